// The page in headless Chromium (playwright-core), as a learner and a course author use it.
// Waits are for conditions on the page, never for a length of time.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { browserPage, fetched, pausedAtStart, watchMessages } from './browser-page.mjs';

const open = browserPage();

const RAFT_CHUNK = /^raft-[A-Z0-9]+\.js$/;

const nodeState = (scope, id) => scope.locator(`[data-node="${id}"]`).getAttribute('data-state');

test('start an election, watch the messages, commit a client request, crash the leader', async () => {
  const { page, errors } = await open('?nodes=5&seed=7');
  const pg = page.locator('consensus-playground');
  await watchMessages(page);

  // Paused, the clock stands still: the RequestVotes stay where they were sent.
  await pausedAtStart(pg);
  await pg.locator('[data-node="n1"]').click();
  await pg.getByRole('button', { name: 'Start election' }).click();
  assert.equal(await nodeState(pg, 'n1'), 'candidate');
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-term'), '1');
  assert.equal(await pg.locator('[data-message="RequestVote"]').count(), 4, 'one RequestVote to each other node');

  // Step handles one event: the first RequestVote arrives and a vote goes back.
  await pg.getByRole('button', { name: 'Step', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-message="RequestVoteResponse"]').length === 1);

  // Faster, and play: n1 wins (every other timer is ≥ 150 ms away).
  await pg.getByRole('slider', { name: 'Speed' }).fill('100');
  await pg.getByRole('button', { name: 'Play' }).click();
  await page.waitForSelector('consensus-playground [data-node="n1"][data-state="leader"]');
  assert.deepEqual(await page.locator('[data-state="leader"]').count(), 1);
  // n1 is still selected: as leader it cannot start an election (issue #14 §5: it was offered
  // it), and its buttons keep their places (nothing moves under the pointer): Start election is
  // disabled there, saying why, and its other actions stay (Crash).
  await page.waitForFunction(() => document.querySelector('.cp-actions .cp-buttons [aria-disabled="true"]')?.textContent === 'Start election');
  assert.match(await pg.locator('.cp-actions').getByRole('button', { name: 'Start election' }).getAttribute('title'), /a leader has no election timer/);
  assert.deepEqual(await pg.locator('.cp-actions .cp-buttons button').allTextContents(), ['Start election', 'Crash', 'Client request', 'Transfer leadership here', 'Pause', 'Remove from cluster', 'Isolate']);
  assert.equal(await pg.getByRole('button', { name: 'Crash' }).count(), 1);
  await page.waitForFunction(() => window.__drawn.includes('AppendEntriesResponse'));
  const drawn = new Set(await page.evaluate(() => window.__drawn));
  assert.deepEqual([...drawn].sort(), ['AppendEntries', 'AppendEntriesResponse', 'RequestVote', 'RequestVoteResponse']);
  await assert.doesNotReject(pg.locator('.cp-events').getByText('n1 wins the election for term 1').waitFor());

  // A client request to the leader commits on all five nodes (entry 1 is the leader's no-op).
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Client request' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-log-of] [data-entry="2"][data-committed="true"]').length === 5);
  for (const id of ['n1', 'n2', 'n3', 'n4', 'n5']) {
    const entry = pg.locator(`[data-log-of="${id}"] [data-entry="2"]`);
    assert.equal(await entry.getAttribute('data-entry-term'), '1', id);
  }

  // Crash the leader: another node is elected in a higher term.
  await pg.locator('[data-node="n1"]').click();
  await pg.getByRole('button', { name: 'Crash' }).click();
  assert.equal(await nodeState(pg, 'n1'), 'crashed');
  await page.waitForSelector('consensus-playground [data-state="leader"]');
  const leader = pg.locator('[data-state="leader"]');
  assert.notEqual(await leader.getAttribute('data-node'), 'n1');
  assert.ok(Number(await leader.getAttribute('data-term')) >= 2);

  // Restart it: it comes back as a follower and learns the new term.
  await pg.getByRole('button', { name: 'Restart' }).click();
  await page.waitForFunction(() => {
    const n1 = document.querySelector('[data-node="n1"]');
    const l = document.querySelector('[data-state="leader"]');
    return n1.dataset.state === 'follower' && l && n1.dataset.term === l.dataset.term;
  });
  assert.equal(await page.locator('.cp-banner').isHidden(), true, 'no safety violation');
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard: Enter on a node opens its actions; clicking a message drops it', async () => {
  const { page, errors } = await open('?nodes=3&seed=5');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  await pg.locator('[data-node="n2"]').focus();
  await page.keyboard.press('Enter');
  await pg.getByRole('button', { name: 'Start election' }).click();
  assert.equal(await pg.locator('[data-message="RequestVote"]').count(), 2);
  await pg.locator('[data-message="RequestVote"]').first().click();
  assert.equal(await pg.locator('[data-message="RequestVote"]').count(), 1);
  await assert.doesNotReject(pg.locator('.cp-events').getByText(/RequestVote from n2 to n\d is dropped/).waitFor());
  assert.deepEqual(errors, []);
  await page.close();
});

test('chapter.html: two embedded widgets run independently', async () => {
  const { page, errors } = await open('chapter.html');
  const [small, large] = [page.locator('#fig-raft-election'), page.locator('#fig-raft-cluster')];
  assert.equal(await small.locator('[data-node]').count(), 3);
  assert.equal(await large.locator('[data-node]').count(), 5);
  // experiments="off" on the first: a chapter that does not need Figure 16 hides the panel.
  assert.equal(await small.locator('.cp-experiments').isVisible(), false);
  assert.equal(await large.locator('.cp-experiments').isVisible(), true);
  await large.getByRole('button', { name: 'Pause' }).click();
  const snapshot = (w) => w.evaluate((el) => JSON.stringify([el.simulation.now, el.simulation.nodes().map((n) => [n.state, n.currentTerm])]));
  const largeBefore = await snapshot(large);
  const largeTime = await large.locator('.cp-clock').textContent();
  // From the start of the small one's run (paused, reset to t = 0), however long the page took
  // to load: n3 is the first candidate, with a log as up to date as anyone's (§5.4.1).
  await pausedAtStart(small);
  assert.equal(await small.locator('.cp-clock').textContent(), 't = 0.0 ms');
  await small.locator('[data-node="n3"]').click();
  await small.getByRole('button', { name: 'Start election' }).click();
  await small.getByRole('slider', { name: 'Speed' }).fill('100');
  await small.getByRole('button', { name: 'Play' }).click();
  await small.locator('[data-node="n3"][data-state="leader"]').waitFor();
  assert.equal(await snapshot(large), largeBefore, 'the paused widget did not move');
  assert.equal(await large.locator('.cp-clock').textContent(), largeTime);
  // And the second one elects its own leader.
  await large.getByRole('slider', { name: 'Speed' }).fill('100');
  await large.getByRole('button', { name: 'Play' }).click();
  await large.locator('[data-state="leader"]').waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

for (const viewport of [{ width: 1280, height: 800 }, { width: 400, height: 800 }]) {
  test(`layout at ${viewport.width}px: nothing overflows, everything is visible`, async () => {
    for (const path of ['', 'chapter.html']) {
      const { page, errors } = await open(path, viewport);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path || 'index'}: the page scrolls sideways by ${overflow}px`);
      // The chapter's first Raft figure (its first widget is the voting one).
      const pg = page.locator(path ? '#fig-raft-election' : 'consensus-playground').first();
      for (const name of ['Pause', 'Step back', 'Step', 'Client request']) {
        assert.ok(await pg.locator('.cp-toolbar').getByRole('button', { name, exact: true }).isVisible(), name);
      }
      assert.ok(await pg.getByRole('slider', { name: 'Speed' }).isVisible());
      assert.ok(await pg.getByRole('slider', { name: 'Time' }).isVisible(), 'the timeline');
      const ring = await pg.locator('.cp-ring').boundingBox();
      assert.ok(ring.width >= 300 && ring.x >= 0 && ring.x + ring.width <= viewport.width, JSON.stringify(ring));
      // Node labels sit inside the ring's box (none is cut off).
      for (const id of ['n1', 'n2', 'n3']) {
        const b = await pg.locator(`[data-node="${id}"]`).boundingBox();
        assert.ok(b.x >= ring.x && b.x + b.width <= ring.x + ring.width && b.y >= ring.y, `${id} ${JSON.stringify(b)}`);
      }
      assert.deepEqual(errors, []);
      await page.close();
    }
  });
}

test('faults from the page: cut a link, pause a node, loss dial, bug switch, violation banner', async () => {
  const { page, errors } = await open('?nodes=5&seed=11');
  const pg = page.locator('consensus-playground');
  const sim = (fn) => page.evaluate(fn);
  await pausedAtStart(pg);
  await pg.getByText('Network and bugs').click();

  const link = pg.locator('[data-link="n1-n2"]');
  await link.click();
  assert.equal(await link.getAttribute('data-cut'), 'both');
  assert.deepEqual(await sim(() => document.querySelector('consensus-playground').simulation.network().cutLinks), [['n1', 'n2'], ['n2', 'n1']]);
  await link.click();
  assert.equal(await link.getAttribute('data-cut'), 'none');

  await pg.locator('[data-node="n3"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Pause' }).click();
  assert.equal(await pg.locator('[data-node="n3"]').getAttribute('data-paused'), 'true');
  await pg.locator('.cp-actions').getByRole('button', { name: 'Resume' }).click();
  assert.equal(await pg.locator('[data-node="n3"]').getAttribute('data-paused'), 'false');
  await pg.locator('.cp-actions').getByRole('button', { name: 'Isolate' }).click();
  assert.equal(await pg.locator('[data-link="n1-n3"]').getAttribute('data-cut'), 'both');
  await pg.getByRole('button', { name: 'Heal network' }).click();
  assert.equal(await pg.locator('[data-cut="both"]').count(), 0);

  await pg.getByRole('slider', { name: 'Loss' }).fill('10');
  assert.equal(await sim(() => document.querySelector('consensus-playground').simulation.network().dropRate), 0.1);

  // Break the protocol, then drive the scenario that exposes it (a course script would do the same).
  await pg.getByRole('checkbox', { name: /no-log-check/ }).check();
  assert.deepEqual(await sim(() => document.querySelector('consensus-playground').simulation.config.bugs), ['no-log-check']);
  await pg.getByRole('slider', { name: 'Loss' }).fill('0');
  await sim(() => {
    const s = document.querySelector('consensus-playground').simulation;
    s.partition([['n5']]);
    s.startElection('n1');
    s.runUntil(s.now + 100);
    s.clientRequest('x');
    s.runUntil(s.now + 100);
    s.heal();
    for (let k = 0; k < 3; k++) s.startElection('n5');
    s.runUntil(s.now + 60);
  });
  await pg.getByRole('button', { name: 'Step', exact: true }).click(); // any action redraws
  const banner = pg.locator('.cp-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), /^Safety violation — Leader Completeness \(n5\)/);
  assert.match(await pg.locator('[data-node="n5"]').getAttribute('class'), /cp-violating/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('KV clients from the page: their commands commit and every node shows the same store', async () => {
  const { page, errors } = await open('?nodes=3&seed=2&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  await pg.getByRole('checkbox', { name: 'KV clients' }).check();
  // Wait for an answered write: then the leader's store holds a key.
  await page.waitForFunction(() =>
    document.querySelector('consensus-playground').simulation.history().some((o) => o.return !== null && o.ok && (o.op === 'put' || o.op === 'increment')),
  );
  await pg.getByRole('button', { name: 'Pause' }).click();
  const leader = await pg.locator('[data-state="leader"]').getAttribute('data-node');
  await pg.locator(`[data-node="${leader}"]`).click();
  assert.match(await pg.locator('.cp-state').textContent(), /store[xy]=/);
  // The newest entry is a client's command (older ones may be in a snapshot by now).
  const title = await pg.locator(`[data-log-of="${leader}"] [data-entry]`).last().getAttribute('title');
  assert.match(title, /"client":\d,"seq":\d+,"op":"(put|get|cas|increment)"/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('transfer leadership from the page', async () => {
  const { page, errors } = await open('?nodes=3&seed=4&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  const leader = await pg.locator('[data-state="leader"]').getAttribute('data-node');
  const target = ['n1', 'n2', 'n3'].find((id) => id !== leader);
  await pg.getByRole('button', { name: 'Pause' }).click();
  await pg.locator(`[data-node="${target}"]`).click();
  await pg.getByRole('button', { name: 'Transfer leadership here' }).click();
  await pg.getByRole('button', { name: 'Play' }).click();
  await pg.locator(`[data-node="${target}"][data-state="leader"]`).waitFor();
  assert.equal(await pg.locator(`[data-node="${leader}"]`).getAttribute('data-state'), 'follower');
  assert.deepEqual(errors, []);
  await page.close();
});

test('membership from the page: add a node, remove one', async () => {
  const { page, errors } = await open('?nodes=3&seed=6&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  // The leader needs an entry of its term committed first (§4.1): wait for its no-op.
  await page.waitForFunction(() => {
    const s = document.querySelector('consensus-playground').simulation;
    const l = s.nodes().find((n) => n.id === s.leader());
    return l && l.commitIndex >= 1;
  });
  await pg.getByRole('button', { name: 'Add node' }).click();
  await pg.locator('[data-node="n4"]').waitFor();
  assert.equal(await pg.locator('[data-log-of="n4"]').count(), 1);
  await page.waitForFunction(() => {
    const s = document.querySelector('consensus-playground').simulation;
    const n4 = s.nodes().find((n) => n.id === 'n4');
    const l = s.nodes().find((n) => n.id === s.leader());
    return l && n4.lastApplied === l.lastApplied && l.commitIndex >= l.log[l.log.length - 1].index;
  });
  const leader = await pg.locator('[data-state="leader"]').getAttribute('data-node');
  const gone = ['n1', 'n2', 'n3'].find((id) => id !== leader);
  await pg.locator(`[data-node="${gone}"]`).click();
  await pg.getByRole('button', { name: 'Remove from cluster' }).click();
  await pg.locator(`[data-node="${gone}"][data-state="removed"]`).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('a failing seed from consensus-sim check opens in the page, paused at its violation', async () => {
  // The "page" field of `consensus-sim check --seeds 0..20 --nodes 3 --bug no-log-check`.
  const { page, errors } = await open('?check=0&nodes=3&events=20000&faults=crash,pause,partition,cut,drop,duplicate,reorder&bug=no-log-check');
  const pg = page.locator('consensus-playground');
  const banner = pg.locator('.cp-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), /^Safety violation — Leader Completeness/);
  assert.ok(await pg.getByRole('button', { name: 'Play' }).isVisible(), 'paused');
  const bugs = await page.evaluate(() => document.querySelector('consensus-playground').simulation.config.bugs);
  assert.deepEqual(bugs, ['no-log-check']);
  assert.ok(await pg.locator('input[value="no-log-check"]').isChecked(), 'the bug switch shows it');
  assert.deepEqual(errors, []);
  await page.close();
});

test('touch: tapping works on a phone-sized screen', async () => {
  const context = await open.context({ viewport: { width: 400, height: 800 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(open.url('?nodes=5&seed=8'));
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-node="n1"][data-state]').waitFor();
  await pausedAtStart(pg, 'tap');
  await pg.locator('[data-node="n2"]').tap();
  await pg.getByRole('button', { name: 'Start election' }).tap();
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-state'), 'candidate');
  await pg.locator('[data-link="n1-n4"]').tap();
  assert.equal(await pg.locator('[data-link="n1-n4"]').getAttribute('data-cut'), 'both');
  await pg.locator('[data-message="RequestVote"]').first().tap();
  assert.equal(await pg.locator('[data-message="RequestVote"]').count(), 3, 'a tapped message is dropped');
  assert.deepEqual(errors, []);
  await context.close();
});

test('Experiments: Figure 16 runs in a Web Worker while the animation goes on, and plots every range beside the paper', async () => {
  const { page, errors } = await open('?seed=7');
  const pg = page.locator('consensus-playground');
  // Nothing of the panel is fetched until it is opened.
  assert.equal(await page.evaluate(() => performance.getEntriesByType('resource').some((r) => r.name.includes('experiments.js'))), false);
  await pg.locator('.cp-experiments summary').click();
  await pg.getByRole('combobox', { name: 'Trials per range' }).selectOption('100');
  await pg.getByRole('button', { name: 'Run Figure 16' }).click();
  // The page keeps animating while the worker runs: the simulated clock moves.
  const clockBefore = await pg.locator('.cp-clock').textContent();
  await page.waitForFunction((before) => document.querySelector('.cp-clock').textContent !== before, clockBefore);
  await page.waitForFunction(() => document.querySelector('.cp-x-status')?.textContent.startsWith('Done'), null, { timeout: 120000 });
  assert.equal(await pg.locator('progress').evaluate((p) => p.value === p.max && p.max === 11), true);
  // Six CDFs in the top panel, five in the bottom; one table row per distinct range (10).
  const plots = pg.locator('.cp-x-plot');
  assert.equal(await plots.nth(0).locator('path[data-range]').count(), 6);
  assert.equal(await plots.nth(1).locator('path[data-range]').count(), 5);
  assert.equal(await pg.locator('.cp-x-table tbody tr').count(), 10);
  // The paper's trials sit beside ours, dashed, one curve per distinct range (read back from its
  // figure); its median / p90 / longest in the table (150–155 ms: median 287 ms, as it states),
  // and its stated numbers as markers.
  assert.equal(await plots.nth(0).locator('path.cp-x-theirs').count(), 6);
  assert.equal(await plots.nth(1).locator('path.cp-x-theirs').count(), 4);
  const row = pg.locator('.cp-x-table tbody tr', { hasText: '150–155 ms' });
  assert.match(await row.textContent(), /287 ms \/ 606 ms \/ 2143 ms$/);
  assert.equal(await pg.locator('.cp-x-paper').count(), 4);
  // LogCabin's writes and whole-ms timers (the logcabin model, with the paper's synchronized
  // heartbeat): with 1 ms of randomness most elections split, as in the paper.
  await pg.getByRole('combobox', { name: 'Model of the 15 ms broadcast time' }).selectOption('logcabin');
  await pg.getByRole('button', { name: 'Run Figure 16' }).click();
  await page.waitForFunction(() => document.querySelector('.cp-x-status')?.textContent.startsWith('Done'), null, { timeout: 120000 });
  const split = await pg.locator('.cp-x-table tbody tr', { hasText: '150–151 ms' }).locator('td').nth(1).textContent();
  assert.ok(/ s$/.test(split) || Number.parseFloat(split) > 500, split);
  assert.deepEqual(errors, []);
  await page.close();
});

test('metrics: messages per commit, commits per second and election latency once a leader commits', async () => {
  const { page, errors } = await open('?seed=7&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('.cp-clients input').check();
  const metric = (name) => pg.locator('.cp-metrics div', { hasText: name }).locator('dd');
  await page.waitForFunction(() => /^\d/.test(document.querySelectorAll('.cp-metrics dd')[0].textContent));
  assert.match(await metric('election latency').textContent(), /^\d+ ms \(mean \d+\)$/);
  assert.ok(Number(await metric('messages / commit').textContent()) > 0);
  assert.ok(Number(await metric('commits / s').textContent()) > 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test('protocol="raft", mechanism="raft" (its older name), and neither: the widget loads the Raft module, and only what a Raft widget needs', async () => {
  for (const path of ['?protocol=raft&nodes=3&seed=4&speed=1', '?mechanism=raft&nodes=3&seed=4&speed=1', '?nodes=3&seed=4&speed=1']) {
    const { page, errors } = await open(path);
    const pg = page.locator('consensus-playground');
    const attr = path.match(/^\?(protocol|mechanism)=/)?.[1];
    if (attr) assert.equal(await pg.getAttribute(attr), 'raft');
    else assert.equal(await pg.getAttribute('protocol'), null);
    // What only Raft draws is there: its legend, its Logs panel, its toolbar buttons.
    assert.match(await pg.locator('.cp-legend').textContent(), /PreVote.*RequestVote.*AppendEntries.*granted \/ success/);
    assert.equal(await pg.locator('[data-log-of]').count(), 3);
    assert.ok(await pg.locator('.cp-toolbar').getByRole('button', { name: 'Add node' }).isVisible());
    // And it runs: a leader is elected and says so with its term.
    await pg.locator('[data-state="leader"][data-term]').waitFor();
    // On load: the element, its CSS, the Raft chunk (with the wasm glue) and Raft's own wasm;
    // panels only when opened.
    const files = (await fetched(page)).sort();
    assert.equal(files.filter((f) => RAFT_CHUNK.test(f)).length, 1, files.join(' '));
    assert.deepEqual(files.filter((f) => !RAFT_CHUNK.test(f)), ['consensus-playground.css', 'consensus-playground.js', 'pkg/raft_bg.wasm']);
    await pg.getByText('Network and bugs').click();
    await pg.getByRole('slider', { name: 'Loss' }).waitFor();
    assert.ok((await fetched(page)).some((f) => /^faults-panel-[A-Z0-9]+\.js$/.test(f)), 'the panel came on opening');
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('mechanism="nope": the widget names the known mechanisms instead of breaking, and recovers when the attribute changes', async () => {
  const { page, errors } = await open('?mechanism=nope', undefined, 'consensus-playground .cp-banner:not([hidden])');
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.locator('.cp-banner').textContent(), 'Unknown mechanism "nope". Known mechanisms: raft, paxos, vote, pbft, hotstuff, generals, gossip.');
  assert.equal(await pg.locator('[data-node]').count(), 0);
  assert.equal(await pg.evaluate((el) => el.simulation), null);
  // Nothing more is fetched for it: no mechanism chunk, no wasm.
  assert.deepEqual((await fetched(page)).sort(), ['consensus-playground.css', 'consensus-playground.js']);
  // The message is also on the console for the page's author; nothing is thrown.
  assert.deepEqual(errors, ['console.error: Unknown mechanism "nope". Known mechanisms: raft, paxos, vote, pbft, hotstuff, generals, gossip.']);
  await pg.evaluate((el) => el.setAttribute('mechanism', 'raft'));
  await pg.locator('[data-node="n1"][data-state]').waitFor();
  assert.equal(await pg.locator('.cp-banner').isVisible(), false);
  assert.equal(await pg.locator('[data-node]').count(), 5);
  assert.equal(errors.length, 1, errors.join('\n'));
  await page.close();
});

test('www/dist/: the Raft module is its own chunk, loaded by a dynamic import, and the element holds no Raft-only code', () => {
  const dist = new URL('../www/dist/', import.meta.url);
  const read = (f) => readFileSync(new URL(f, dist), 'utf8');
  const files = readdirSync(dist);
  const raftChunks = files.filter((f) => RAFT_CHUNK.test(f));
  assert.equal(raftChunks.length, 1, files.join(' '));
  const [entry, raft] = [read('consensus-playground.js'), read(raftChunks[0])];
  // Raft-only: its legend, its reply kinds and their sentences, its node actions, its Logs panel, Figure 16.
  for (const s of ['granted / success', 'RequestVoteResponse', 'AppendEntries reply from', 'Transfer leadership here', 'data-log-of', 'Figure 16']) {
    assert.ok(!entry.includes(s), `the element's file contains ${JSON.stringify(s)}`);
    assert.ok(raft.includes(s), `the Raft chunk lacks ${JSON.stringify(s)}`);
  }
  // The element fetches the chunk only on demand, and statically imports nothing, so that a page
  // fetches on load the element, the one chunk of its mechanism, the CSS and the wasm.
  assert.ok(entry.includes(`import("./${raftChunks[0]}")`), 'a dynamic import of the Raft chunk');
  const staticImport = /(^|[;}])import\s*[{*"]|(^|[;}])import\s+[\w$]+\s*from/;
  assert.doesNotMatch(entry, staticImport, 'no static import in the element');
  assert.doesNotMatch(raft, staticImport, 'no static import in the Raft chunk');
});
