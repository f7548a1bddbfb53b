// What a course author sets and hears (issue #14 §4), in headless Chromium: the attributes a
// chapter needs (paused, autoplay="visible", hide, timeouts, Raft's options, faults and bugs at
// the start), the events the element dispatches for its host page (cp-leader, cp-commit,
// cp-crash, cp-partition, cp-heal, cp-violation), embed.html forwarding them to its parent by
// postMessage, and the chapter's RequestVote figure running as its text says. Waits are for
// conditions on the page, never for a length of time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, pausedAtStart } from './browser-page.mjs';

const open = browserPage();

/** Records every cp-* event that reaches `document` in window.__cp ({type, detail}). */
const listen = (page) =>
  page.evaluate(() => {
    window.__cp = [];
    for (const type of ['cp-leader', 'cp-commit', 'cp-crash', 'cp-restart', 'cp-partition', 'cp-heal', 'cp-violation']) {
      document.addEventListener(type, (e) => window.__cp.push({ type, detail: e.detail, target: e.target.localName }));
    }
  });
const heard = (page, type) => page.evaluate((t) => window.__cp.filter((e) => e.type === t), type);
const waitHeard = (page, fn, arg) => page.waitForFunction(fn, arg);

/** Waits for `n` animation frames in the page (the frame loop has had its chances to run). */
const frames = (page, n = 30) => page.evaluate((n) => new Promise((done) => { let k = 0; const f = () => (++k >= n ? done() : requestAnimationFrame(f)); requestAnimationFrame(f); }), n);

/** A page of our own at `path` on the test server (the element's files beside it). */
async function hostPage(path, html) {
  const context = await open.context({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}`));
  await page.route(open.url(path), (route) => route.fulfill({ contentType: 'text/html', body: html }));
  await page.goto(open.url(path));
  return { page, errors, context };
}

test('paused starts paused; the host page hears cp-leader, then cp-commit, and after a crash from the UI cp-crash and a new cp-leader', async () => {
  const { page, errors } = await open('?nodes=5&seed=7&speed=1&paused');
  const pg = page.locator('consensus-playground');
  // Paused from the start: the button offers Play, and the clock stands still.
  assert.ok(await pg.getByRole('button', { name: 'Play' }).isVisible());
  await frames(page);
  assert.equal(await pg.evaluate((el) => el.simulation.now), 0);
  assert.equal(await pg.locator('.cp-clock').textContent(), 't = 0.0 ms');

  await listen(page);
  await pg.getByRole('button', { name: 'Play' }).click();
  await waitHeard(page, () => window.__cp.some((e) => e.type === 'cp-leader'));
  const [first] = await heard(page, 'cp-leader');
  assert.equal(first.target, 'consensus-playground', 'dispatched on the element, bubbling to document');
  assert.equal(await pg.locator('[data-state="leader"]').getAttribute('data-node'), first.detail.id);
  assert.equal(first.detail.term, Number(await pg.locator('[data-state="leader"]').getAttribute('data-term')));
  assert.ok(first.detail.timeMs > 0 && first.detail.timeMs <= (await pg.evaluate((el) => el.simulation.now)));

  // The leader's no-op commits (index 1), then a client's command (index 2, its value).
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Client request' }).click();
  await waitHeard(page, () => window.__cp.some((e) => e.type === 'cp-commit' && e.detail.index === 2));
  const commits = await heard(page, 'cp-commit');
  assert.deepEqual(commits.slice(0, 2).map((e) => [e.detail.index, e.detail.value]), [[1, null], [2, 'x=1']]);

  // Crash the leader from its node actions.
  await pg.locator(`[data-node="${first.detail.id}"]`).click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Crash' }).click();
  await waitHeard(page, () => window.__cp.some((e) => e.type === 'cp-crash'));
  const [crash] = await heard(page, 'cp-crash');
  assert.equal(crash.detail.id, first.detail.id);
  await waitHeard(page, (old) => window.__cp.some((e) => e.type === 'cp-leader' && e.detail.id !== old), first.detail.id);
  const next = (await heard(page, 'cp-leader')).find((e) => e.detail.id !== first.detail.id);
  assert.ok(next.detail.term > first.detail.term, JSON.stringify(next));
  assert.ok(next.detail.timeMs > crash.detail.timeMs);
  // Restart it: cp-restart.
  await pg.locator('.cp-actions').getByRole('button', { name: 'Restart' }).click();
  await waitHeard(page, () => window.__cp.some((e) => e.type === 'cp-restart'));
  // Removing `paused` plays, setting it again pauses.
  const toolbar = pg.locator('.cp-toolbar');
  await toolbar.getByRole('button', { name: 'Pause' }).click();
  await pg.evaluate((el) => el.removeAttribute('paused'));
  assert.ok(await toolbar.getByRole('button', { name: 'Pause' }).isVisible());
  await pg.evaluate((el) => el.setAttribute('paused', ''));
  assert.ok(await toolbar.getByRole('button', { name: 'Play' }).isVisible());
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bug switched on by attribute, a partition and a heal: cp-partition, cp-heal and cp-violation', async () => {
  const { page, errors } = await open('?nodes=5&seed=11&bugs=no-log-check&paused');
  const pg = page.locator('consensus-playground');
  assert.deepEqual(await pg.evaluate((el) => el.simulation.config.bugs), ['no-log-check']);
  // The Network and bugs panel opens its body for a run with a bug on, and shows the switch.
  await pg.locator('input[value="no-log-check"]:checked').waitFor({ state: 'attached' });
  await listen(page);
  // The scenario that exposes the bug (as in browser.test.mjs), as a course script would drive
  // it; any action redraws (Step), and the events come with the redraw.
  await pg.evaluate((el) => {
    const s = el.simulation;
    s.partition([['n5']]);
    s.startElection('n1');
    s.runUntil(s.now + 100);
    s.clientRequest('x');
    s.runUntil(s.now + 100);
  });
  await pg.getByRole('button', { name: 'Step', exact: true }).click();
  await waitHeard(page, () => window.__cp.some((e) => e.type === 'cp-partition'));
  await pg.evaluate((el) => {
    const s = el.simulation;
    s.heal();
    for (let k = 0; k < 3; k++) s.startElection('n5');
    s.runUntil(s.now + 60);
  });
  await pg.getByRole('button', { name: 'Step', exact: true }).click();
  await waitHeard(page, () => window.__cp.some((e) => e.type === 'cp-violation'));
  const [v] = await heard(page, 'cp-violation');
  assert.equal(v.detail.rule, 'Leader Completeness');
  assert.deepEqual(v.detail.nodes, ['n5']);
  assert.ok(v.detail.detail.length > 0 && v.detail.timeMs > 0);
  // The index the rule names (a committed entry's), as violations() reports it.
  assert.ok(Number.isInteger(v.detail.index) && v.detail.index >= 1);
  assert.equal(v.detail.index, await pg.evaluate((el) => el.simulation.violations()[0].index));
  const [cut] = await heard(page, 'cp-partition');
  assert.deepEqual(cut.detail.groups, [['n1', 'n2', 'n3', 'n4'], ['n5']]);
  assert.equal((await heard(page, 'cp-heal')).length, 1);
  // Isolating a node from the UI is a partition too; Heal network heals it.
  await pg.locator('[data-node="n2"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Isolate' }).click();
  await waitHeard(page, () => window.__cp.filter((e) => e.type === 'cp-partition').length === 2);
  assert.deepEqual((await heard(page, 'cp-partition'))[1].detail.groups, [['n1', 'n3', 'n4', 'n5'], ['n2']]);
  await pg.getByText('Network and bugs').click();
  await pg.getByRole('button', { name: 'Heal network' }).click();
  await waitHeard(page, () => window.__cp.filter((e) => e.type === 'cp-heal').length === 2);
  assert.match(await pg.locator('.cp-banner').textContent(), /^Safety violation — Leader Completeness/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('attributes a chapter sets: timeouts, heartbeat, Raft options, latency and loss, hidden parts', async () => {
  const { page, errors } = await open('?nodes=3&seed=3&election-timeout-ms=300-600&heartbeat-ms=80&pre-vote=off&check-quorum=off&read-index=off&snapshot-interval=off&latency-ms=5-8&drop-rate=0.05&duplicate-rate=0.01&hide=events,experiments,clients,metrics');
  const pg = page.locator('consensus-playground');
  const c = await pg.evaluate((el) => el.simulation.config);
  assert.deepEqual(
    [c.electionTimeoutMs, c.heartbeatMs, c.preVote, c.checkQuorum, c.readIndex, c.snapshotInterval, c.latencyMs, c.dropRate, c.duplicateRate],
    [[300, 600], 80, false, false, false, null, [5, 8], 0.05, 0.01],
  );
  for (const sel of ['.cp-events-panel', '.cp-experiments', '.cp-clients', '.cp-metrics']) assert.equal(await pg.locator(sel).isVisible(), false, sel);
  for (const sel of ['.cp-logs', '.cp-faults', '.cp-legend', '.cp-actions']) assert.equal(await pg.locator(sel).isVisible(), true, sel);
  // hide can change on the fly.
  await pg.evaluate((el) => el.setAttribute('hide', 'faults'));
  assert.equal(await pg.locator('.cp-faults').isVisible(), false);
  assert.equal(await pg.locator('.cp-events-panel').isVisible(), true);
  assert.equal(await pg.locator('.cp-banner').isVisible(), false);
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad attribute values show "Bad settings" in the banner; nothing is thrown', async () => {
  for (const [query, message] of [
    ['hide=events,nope', /^Bad settings: hide: unknown part "nope"/],
    ['pre-vote=maybe', /^Bad settings: .*preVote/],
    ['election-timeout-ms=soon', /^Bad settings: .*electionTimeoutMs/],
    ['latency-ms=5-x', /^Bad settings: .*latencyMs/],
    ['drop-rate=2', /^Bad settings: .*dropRate/],
    ['bugs=no-such-bug', /^Bad settings: .*no-such-bug/],
    ['autoplay=sometimes', /^Bad settings: autoplay must be "visible"/],
  ]) {
    const { page, errors } = await open(`?nodes=3&${query}`, undefined, 'consensus-playground .cp-banner:not([hidden])');
    const banner = await page.locator('consensus-playground .cp-banner').textContent();
    assert.match(banner, message, query);
    assert.equal(await page.evaluate(() => document.querySelector('consensus-playground').simulation), null, query);
    assert.deepEqual(errors, [`console.error: ${banner}`], query);
    await page.close();
  }
});

test('autoplay="visible": a widget below the fold does not run until scrolled into view, and stops when scrolled away', async () => {
  const { page, errors, context } = await hostPage(
    'autoplay-host.html',
    `<!doctype html><meta charset="utf-8"><script type="module" src="dist/consensus-playground.js"></script>
     <h1>A chapter</h1><div style="height: 3000px">Text above the figure.</div>
     <consensus-playground nodes="3" seed="1" speed="1" autoplay="visible"></consensus-playground>
     <div style="height: 3000px"></div>`,
  );
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-node="n1"][data-state]').waitFor({ state: 'attached' });
  await listen(page);
  await frames(page, 60);
  assert.equal(await pg.evaluate((el) => el.simulation.now), 0, 'off screen: not running');
  await pg.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.querySelector('consensus-playground').simulation.now > 0);
  await waitHeard(page, () => window.__cp.some((e) => e.type === 'cp-leader'));
  // Scrolled away: the clock stops.
  await page.evaluate(() => window.scrollTo(0, 0));
  await frames(page, 5);
  const stopped = await pg.evaluate((el) => el.simulation.now);
  await frames(page, 60);
  assert.equal(await pg.evaluate((el) => el.simulation.now), stopped);
  assert.deepEqual(errors, []);
  await context.close();
});

test('embed.html in an iframe: settings from the query string, and the events forwarded to the parent by postMessage', async () => {
  const { page, errors, context } = await hostPage(
    'embed-parent.html',
    `<!doctype html><meta charset="utf-8"><h1>A course page</h1>
     <iframe id="fig" title="Raft" src="embed.html?nodes=3&seed=2&speed=1&pre-vote=off&hide=experiments,events" width="1100" height="700"></iframe>
     <script>
       window.__messages = [];
       window.addEventListener('message', (e) => {
         if (e.source === document.getElementById('fig').contentWindow && e.data?.source === 'consensus-playground') window.__messages.push(e.data);
       });
     </script>`,
  );
  const frame = page.frameLocator('#fig');
  const pg = frame.locator('consensus-playground');
  await page.waitForFunction(() => window.__messages.some((m) => m.type === 'cp-leader'));
  const [leader] = (await page.evaluate(() => window.__messages)).filter((m) => m.type === 'cp-leader');
  assert.deepEqual(Object.keys(leader).sort(), ['detail', 'source', 'type']);
  assert.deepEqual(Object.keys(leader.detail).sort(), ['id', 'term', 'timeMs']);
  assert.equal(await pg.evaluate((el) => el.simulation.config.preVote), false);
  assert.equal(await pg.locator('.cp-events-panel').isVisible(), false);
  // Crash the leader inside the frame: the parent hears cp-crash, then a new cp-leader.
  await pg.locator(`[data-node="${leader.detail.id}"]`).click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Crash' }).click();
  await page.waitForFunction((id) => window.__messages.some((m) => m.type === 'cp-crash' && m.detail.id === id), leader.detail.id);
  await page.waitForFunction((id) => window.__messages.some((m) => m.type === 'cp-leader' && m.detail.id !== id), leader.detail.id);
  // Only the listed attributes come from the query string: no handler can be set by a link.
  const evil = await hostPage('embed-evil.html', `<!doctype html><iframe id="fig" src="embed.html?nodes=3&onclick=alert(1)&style=display:none"></iframe>`);
  const el2 = evil.page.frameLocator('#fig').locator('consensus-playground');
  await el2.locator('[data-node="n3"]').waitFor();
  assert.equal(await el2.evaluate((el) => [el.getAttribute('nodes'), el.getAttribute('onclick'), el.getAttribute('style')].join('|')), '3||');
  assert.deepEqual(evil.errors, []);
  await evil.context.close();
  assert.deepEqual(errors, []);
  await context.close();
});

test('chapter.html: Figure 7.2 runs plain RequestVote elections as its text says (no PreVote); Figure 7.3 runs PreVote and its text says so', async () => {
  const { page, errors } = await open('chapter.html');
  const fig = (k) => page.locator(`figure:has(#${['fig-raft-election', 'fig-raft-cluster'][k]})`);
  const [small, large] = [fig(0).locator('consensus-playground'), fig(1).locator('consensus-playground')];
  // The text before Figure 7.2 describes a follower that times out, raises its term and sends RequestVote.
  const before = await page.locator('#raft p', { hasText: 'A follower that hears nothing' }).textContent();
  assert.match(before.replace(/\s+/g, ' '), /increments its term, votes for itself and sends RequestVote to every other server/);
  assert.equal(await small.evaluate((el) => el.simulation.config.preVote), false);
  assert.match(await fig(0).locator('figcaption').textContent(), /without PreVote/);
  // Left to its timers from the start, it elects a leader with RequestVote only.
  await pausedAtStart(small);
  await small.getByRole('slider', { name: 'Speed' }).fill('100');
  await small.getByRole('button', { name: 'Play' }).click();
  await small.locator('[data-state="leader"]').waitFor();
  const kinds = await small.evaluate((el) => [...new Set(el.simulation.eventsSince(0).flatMap((e) => [e.kind, e.messageKind]).filter(Boolean))]);
  assert.ok(kinds.includes('RequestVote') && kinds.includes('electionTimeout'), kinds.join(' '));
  assert.ok(!kinds.includes('PreVote') && !kinds.includes('preVote'), kinds.join(' '));
  // Figure 7.3 runs with PreVote, and the paragraph before it says what PreVote does.
  assert.equal(await large.evaluate((el) => el.simulation.config.preVote), true);
  assert.match(await fig(1).locator('figcaption').textContent(), /with PreVote/);
  const preVoteText = page.locator('#raft p', { hasText: 'PreVote' });
  assert.equal(await preVoteText.count(), 1);
  assert.match((await preVoteText.textContent()).replace(/\s+/g, ' '), /first sends PreVote .* and becomes a candidate and sends RequestVote only if a majority says yes/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('other mechanisms: Multi-Paxos announces its leader with its ballot round and each chosen slot with its value; PBFT its first primary in view 0', async () => {
  const { page, errors, context } = await hostPage(
    'mechanisms-host.html',
    `<!doctype html><meta charset="utf-8">
     <script>
       window.__cp = [];
       for (const type of ['cp-leader', 'cp-commit']) document.addEventListener(type, (e) => window.__cp.push({ type, of: e.target.getAttribute('protocol'), detail: e.detail }));
     </script>
     <script type="module" src="dist/consensus-playground.js"></script>
     <consensus-playground protocol="paxos" nodes="3" seed="3" speed="1"></consensus-playground>
     <consensus-playground protocol="pbft" nodes="4" seed="8" paused></consensus-playground>`,
  );
  const paxos = page.locator('consensus-playground[protocol="paxos"]');
  await page.waitForFunction(() => window.__cp.some((e) => e.of === 'pbft' && e.type === 'cp-leader'));
  const pbft = (await page.evaluate(() => window.__cp)).find((e) => e.of === 'pbft');
  assert.deepEqual(pbft.detail, { id: 'n1', term: 0, timeMs: 0 });
  await page.waitForFunction(() => window.__cp.some((e) => e.of === 'paxos' && e.type === 'cp-leader'));
  const leader = (await page.evaluate(() => window.__cp)).find((e) => e.of === 'paxos' && e.type === 'cp-leader');
  assert.equal(leader.detail.term, await paxos.evaluate((el, id) => el.simulation.nodes().find((n) => n.id === id).ballot.round, leader.detail.id));
  await paxos.locator('.cp-toolbar').getByRole('button', { name: 'Client request' }).click();
  await page.waitForFunction(() => window.__cp.some((e) => e.of === 'paxos' && e.type === 'cp-commit' && e.detail.value === 'x=1'));
  const commit = (await page.evaluate(() => window.__cp)).find((e) => e.of === 'paxos' && e.type === 'cp-commit' && e.detail.value === 'x=1');
  assert.equal(commit.detail.slot, commit.detail.index);
  assert.deepEqual(errors, []);
  await context.close();
});
