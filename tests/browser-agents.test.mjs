// ConsensusTrait in a browser without a bundler (issue #15 §1: "Importing the package is all the
// set-up there is … in browsers without a bundler"): a page whose import map names the agents'
// browser entry (www/agents/browser.js, which fetches www/pkg's wasm by top-level await), three
// agents over BroadcastChannel, a write agreed by Raft.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage } from './browser-page.mjs';

const open = browserPage();

const PAGE = `<!doctype html>
<script type="importmap">{"imports": {"consensus-playground": "/agents/browser.js"}}</script>
<script type="module">
  import { ConsensusTrait, connectBroadcastChannel } from 'consensus-playground';
  const ids = ['a', 'b', 'c'];
  const agents = ids.map((id) => new ConsensusTrait(id, { mechanism: 'raft', timeout: 1000, heartbeatInterval: 20, electionTimeout: [60, 120], nodes: ids }));
  for (const a of agents) connectBroadcastChannel(a, 'browser-agents-test', { onError: (e) => console.error(e.message) });
  const everywhere = agents.map((a) => new Promise((resolve) => a.subscribe('k', resolve)));
  for (const a of agents) a.start();
  const r = await agents[1].proposeWithResult('k', 'in a tab');
  window.__result = { accepted: r.accepted, error: r.error, values: await Promise.all(everywhere), leader: agents[0].getLeader() };
  for (const a of agents) a.stop();
</script>`;

test('browser: an import map naming www/agents/browser.js is all the set-up; three agents agree over BroadcastChannel', { timeout: 60_000 }, async () => {
  const context = await open.context();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const url = open.url('agents-test.html');
  await page.route(url, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
  await page.goto(url);
  await page.waitForFunction(() => window.__result || null);
  const result = await page.evaluate(() => window.__result);
  assert.deepEqual(errors, []);
  assert.equal(result.accepted, true, result.error);
  assert.deepEqual(result.values, ['in a tab', 'in a tab', 'in a tab']);
  assert.ok(['a', 'b', 'c'].includes(result.leader));
  await context.close();
});
