// The chapter page (www/chapter.html, www/chapter.js), issue #14 §6: every widget mounts; the
// comparison's last column fills with messages per decision measured on the page's widgets;
// the exercise's fault bar applies one fault to both clusters through their recorded path, and
// its readout says what each decision does under it. Waits are for conditions on the page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage } from './browser-page.mjs';

const open = browserPage();

const WIDGETS = [
  ['fig-vote', 'vote'],
  ['fig-raft-election', 'raft'],
  ['fig-raft-cluster', 'raft'],
  ['fig-paxos', 'paxos'],
  ['fig-generals-three', 'generals'],
  ['fig-generals-four', 'generals'],
  ['fig-pbft', 'pbft'],
  ['fig-hotstuff', 'hotstuff'],
  ['fig-gossip', 'gossip'],
  ['fig-attest', 'gossip'],
  ['ex-raft', 'raft'],
  ['ex-gossip', 'gossip'],
];

test('chapter.html: a section per mechanism, each with its widget; every widget mounts without an error, and each scrolled to runs', async () => {
  const { page, errors } = await open('chapter.html');
  assert.deepEqual(
    await page.locator('consensus-playground').evaluateAll((els) => els.map((e) => e.id)),
    WIDGETS.map(([id]) => id),
  );
  // The sections, in order, each with its heading; headings do not skip a level.
  assert.deepEqual(await page.locator('article > section').evaluateAll((s) => s.map((x) => x.id)), ['introduction', 'voting', 'raft', 'paxos', 'generals', 'pbft', 'hotstuff', 'gossip', 'comparison', 'exercise', 'exercises', 'references']);
  const levels = await page.evaluate(() => [...document.querySelectorAll('body > header h1, nav h2, article h2, article h3, article h4')].filter((h) => !h.closest('consensus-playground')).map((h) => Number(h.tagName[1])));
  assert.equal(levels[0], 1);
  for (let i = 1; i < levels.length; i++) assert.ok(levels[i] <= levels[i - 1] + 1, `heading h${levels[i]} after h${levels[i - 1]}`);
  // Below the fold a widget does not run before the reader gets there (issue text: paused or autoplay="visible").
  for (const [id] of WIDGETS) assert.equal(await page.locator(`#${id}`).getAttribute('autoplay'), 'visible', id);
  for (const [id, mech] of WIDGETS) {
    const w = page.locator(`#${id}`);
    assert.equal(await w.evaluate((el) => el.mechanismName()), mech, id);
    await w.scrollIntoViewIfNeeded();
    if (id === 'fig-gossip') {
      // 1,000 agents: the dense view, its simulation in a worker; it runs once on screen.
      await w.locator('.cp-gs-grid[data-live="1000"]').waitFor();
      continue;
    }
    await w.locator('[data-node="n1"][data-state]').waitFor();
    assert.ok(await w.evaluate((el) => el.simulation !== null), id);
    const t0 = await w.evaluate((el) => el.simulation.now);
    await page.waitForFunction(([el, t]) => el.simulation.now > t, [await w.elementHandle(), t0]);
    assert.equal(await w.locator('.cp-banner', { hasText: /Bad settings|could not load/ }).count(), 0, id);
  }
  // Each section's figures offer the guided scenarios the issue names, its primary one first.
  const primary = await page.locator('.guided').evaluateAll((bars) => bars.map((b) => b.nextElementSibling.id + ':' + b.querySelector('button').dataset.scenario));
  assert.deepEqual(primary, ['fig-vote:quorum-kinds', 'fig-raft-election:first-election', 'fig-raft-cluster:leader-crash', 'fig-paxos:two-phases', 'fig-generals-three:three-generals', 'fig-generals-four:four-generals', 'fig-pbft:normal-case', 'fig-hotstuff:normal-case', 'fig-gossip:push-pull-race', 'fig-attest:attestations']);
  assert.deepEqual(await page.locator('#fig-raft-cluster').evaluate((el) => el.dataset.scenarios.split(' ').sort()), ['figure-8', 'leader-crash', 'partition-prevote']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('chapter.html: a Guided button opens its scenario in the figure (from the defaults and the scenario\'s settings); Back to the figure restores the figure the text describes', async () => {
  const { page, errors } = await open('chapter.html');
  const fig = page.locator('#fig-raft-election');
  const bar = page.locator('.guided', { has: page.locator('[data-scenario="first-election"]') });
  assert.equal(await bar.getAttribute('aria-label'), 'Guided scenarios for Figure 7.2');
  await bar.getByRole('button', { name: 'The first election' }).click();
  await fig.locator('.cp-scenario').waitFor();
  assert.equal(await fig.getAttribute('scenario'), 'first-election');
  assert.equal(await bar.getByRole('button', { name: 'The first election' }).getAttribute('aria-pressed'), 'true');
  // The figure's own settings gave way to the scenario's (five servers); its place on the page stays.
  await fig.locator('[data-node="n5"]').waitFor();
  assert.equal(await fig.getAttribute('id'), 'fig-raft-election');
  assert.equal(await fig.getAttribute('autoplay'), 'visible');
  assert.equal(await fig.getAttribute('experiments'), 'off'); // how it shows, not what it runs
  // Back to the figure: the scenario closes and the figure's attributes come back, a new run.
  await bar.getByRole('button', { name: 'Back to the figure' }).click();
  await fig.locator('.cp-scenario').waitFor({ state: 'detached' });
  await fig.locator('[data-node="n5"]').waitFor({ state: 'detached' });
  assert.equal(await fig.getAttribute('scenario'), null);
  assert.deepEqual(await fig.evaluate((el) => [el.getAttribute('nodes'), el.getAttribute('seed'), el.getAttribute('pre-vote'), el.getAttribute('experiments'), el.simulation.config.preVote, el.simulation.nodes().length]), ['3', '1', 'off', 'off', false, 3]);
  assert.equal(await bar.getByRole('button', { name: 'Back to the figure' }).isHidden(), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('chapter.html: Table 7.1 fills its measured column from the widgets on the page once they decide something', async () => {
  const { page, errors } = await open('chapter.html');
  const cell = (mech) => page.locator(`#compare td[data-live="${mech}"]`);
  // Nothing decided yet where no widget has run: the cell says so with a dash.
  assert.equal((await cell('pbft').textContent()).trim(), '—');
  // Raft: the leader's no-op commits with its election (cp-commit), and the cell fills.
  const raft = page.locator('#fig-raft-election');
  await raft.evaluate((el) => el.setAttribute('speed', '1'));
  await raft.scrollIntoViewIfNeeded();
  await cell('raft').locator('b').waitFor();
  let d = await cell('raft').evaluate((c) => ({ ...c.dataset }));
  assert.ok(Number(d.decisions) >= 1 && Number(d.messages) > 0, JSON.stringify(d));
  assert.equal(Number(d.value), Number((d.messages / d.decisions).toFixed(2)));
  // What it counts is the simulation's own: no more than the widget has sent and decided by now.
  const now = await raft.evaluate((el) => el.simulation.stats());
  assert.ok(Number(d.messages) <= now.messagesSent && Number(d.decisions) <= now.committed, JSON.stringify([d, now]));
  // The generals: each decided run costs OM(m)'s closed form, (N−1) + (N−1)(N−2): 4 messages for
  // three generals with m = 1, 9 for four; the cell is their mean per decision.
  for (const id of ['fig-generals-three', 'fig-generals-four']) {
    const g = page.locator(`#${id}`);
    await g.evaluate((el) => el.setAttribute('speed', '1'));
    await g.scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => el.simulation?.stats().committed >= 1, await g.elementHandle());
  }
  await page.waitForFunction(() => Number(document.querySelector('#compare td[data-live="generals"]').dataset.decisions) >= 2);
  d = await cell('generals').evaluate((c) => ({ ...c.dataset }));
  assert.ok(Number(d.value) >= 4 && Number(d.value) <= 9, JSON.stringify(d));
  assert.match(await cell('generals').locator('small').textContent(), /^\d+ messages, \d+ decisions \(2 widgets\)$/);
  assert.deepEqual(errors, []);
  await page.close();
});

/** Both exercise widgets' cut links, sorted, and whether each reports a partition. */
const cuts = (page) =>
  page.evaluate(() =>
    ['ex-raft', 'ex-gossip'].map((id) => {
      const n = document.getElementById(id).simulation.network();
      return { partitioned: n.partitioned, cut: n.cutLinks.map((l) => l.join('-')).sort() };
    }),
  );

for (const viewport of [{ width: 1280, height: 800 }, { width: 400, height: 800 }]) {
  test(`chapter.html, the exercise at ${viewport.width}px: one fault bar partitions both clusters; the Raft minority cannot load a model while gossip keeps routing on both sides, and both converge after Heal`, async () => {
    const { page, errors } = await open('chapter.html', viewport);
    const raft = page.locator('#ex-raft');
    const gossip = page.locator('#ex-gossip');
    const raftOut = page.locator('#ex-raft-readout');
    const gossipOut = page.locator('#ex-gossip-readout');
    for (const w of [raft, gossip]) await w.evaluate((el) => el.setAttribute('speed', '1'));
    // Side by side at 1280 px, stacked at 400 px; nothing scrolls sideways.
    const [a, b] = [await raft.boundingBox(), await gossip.boundingBox()];
    if (viewport.width > 1000) assert.ok(b.x >= a.x + a.width && Math.abs(a.y - b.y) < 200, JSON.stringify([a, b]));
    else assert.ok(b.y >= a.y + a.height && a.width <= viewport.width, JSON.stringify([a, b]));
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, 'the page scrolls sideways');
    // A model version loaded before any fault.
    await raft.scrollIntoViewIfNeeded();
    await page.locator('#ex-load:not([disabled])').waitFor();
    await raft.locator('[data-state="leader"]').waitFor();
    await page.locator('#ex-load').click();
    // (At 400 px the fault bar sits above the widgets and clicking it scrolls them away; a widget
    // off screen waits for the reader: autoplay="visible".)
    await raft.scrollIntoViewIfNeeded();
    await raftOut.locator('[data-side="whole"]', { hasText: 'Model loaded (committed): v1 on n1, n2, n3, n4, n5.' }).waitFor();

    // The partition, applied to both through element.act (recorded: time travel replays it).
    await page.locator('#ex-partition').click();
    const [r, g] = await cuts(page);
    assert.equal(r.partitioned && g.partitioned, true);
    assert.equal(r.cut.length, 12); // 2 × 3 links, each way
    assert.deepEqual(r.cut, g.cut);
    for (const w of [raft, gossip]) assert.deepEqual(await w.evaluate((el) => el.timeline.run.log.filter((a) => a.do === 'partition').map((a) => a.args)), [[[['n1', 'n2'], ['n3', 'n4', 'n5']]]]);

    // Raft: the minority cannot load a new version, the majority can.
    const minority = raftOut.locator('[data-side="minority"]');
    const majority = raftOut.locator('[data-side="majority"]');
    assert.equal(await minority.getAttribute('data-can-commit'), 'false');
    assert.match(await minority.textContent(), /No majority here \(2 of 5, 3 needed\): this side cannot load a new model version/);
    assert.equal(await majority.getAttribute('data-can-commit'), 'true');
    await page.locator('input[name="ex-side"][value="minority"]').check();
    await page.locator('#ex-load').click();
    // (The majority's leader: the one it had, or one it elects once its old leader is cut off.)
    await raft.scrollIntoViewIfNeeded();
    await majority.and(page.locator('[data-leader^="n"]')).waitFor();
    await page.locator('input[name="ex-side"][value="majority"]').check();
    await page.locator('#ex-load').click();
    await raft.scrollIntoViewIfNeeded();
    await majority.filter({ hasText: 'Model loaded (committed): v2 on n3, n4, n5.' }).waitFor();
    // The majority has a leader and loaded v2; the minority still serves v1 (its servers' commitIndex holds no v2).
    assert.notEqual(await majority.getAttribute('data-leader'), '');
    assert.match(await minority.textContent(), /Model loaded \(committed\): v1 on n1, n2\./);
    const minorityLoaded = await raft.evaluate((el) => el.simulation.nodes().filter((n) => ['n1', 'n2'].includes(n.id)).map((n) => n.log.filter((e) => e.index <= n.commitIndex).map((e) => e.command)));
    for (const cmds of minorityLoaded) assert.ok(!cmds.includes('model=v2'), JSON.stringify(cmds));

    // Gossip: both sides take a new traffic share at once and keep routing, with different shares.
    await gossip.scrollIntoViewIfNeeded();
    await page.locator('input[name="ex-side"][value="minority"]').check();
    await page.locator('#ex-route').click();
    await page.locator('input[name="ex-side"][value="majority"]').check();
    await page.locator('#ex-route').click();
    await gossip.scrollIntoViewIfNeeded();
    const gMin = gossipOut.locator('[data-side="minority"]');
    const gMaj = gossipOut.locator('[data-side="majority"]');
    await gMin.filter({ hasText: 'Canary share held: 10% on n1, n2.' }).waitFor();
    await gMaj.filter({ hasText: 'Canary share held: 25% on n3, n4, n5.' }).waitFor();
    for (const s of [gMin, gMaj]) {
      assert.equal(await s.getAttribute('data-routing'), 'true');
      assert.match(await s.textContent(), /Keeps routing/);
    }
    assert.equal(await gossipOut.locator('[data-converged]').getAttribute('data-converged'), 'false');

    // Heal: one group again; Raft's minority loads v2, gossip converges on one share everywhere.
    await page.locator('#ex-heal').click();
    assert.deepEqual((await cuts(page)).map((c) => c.cut.length), [0, 0]);
    await gossip.scrollIntoViewIfNeeded();
    await gossipOut.locator('[data-converged="true"]').waitFor();
    await raft.scrollIntoViewIfNeeded();
    await raftOut.locator('[data-side="whole"]', { hasText: 'Model loaded (committed): v2 on n1, n2, n3, n4, n5.' }).waitFor();
    assert.equal(await raft.evaluate((el) => el.simulation.violations().length), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('chapter.html, the exercise: Crash applies to both clusters, Restart brings the server back in both', async () => {
  const { page, errors } = await open('chapter.html');
  await page.locator('#ex-raft').scrollIntoViewIfNeeded();
  await page.locator('#ex-crash:not([disabled])').waitFor();
  await page.locator('#ex-server').selectOption('n4');
  await page.locator('#ex-crash').click();
  const state = () => page.evaluate(() => ['ex-raft', 'ex-gossip'].map((id) => document.getElementById(id).simulation.nodes().find((n) => n.id === 'n4').crashed));
  assert.deepEqual(await state(), [true, true]);
  await page.locator('#ex-raft [data-node="n4"][data-state="crashed"]').waitFor();
  await page.locator('#ex-restart').click();
  assert.deepEqual(await state(), [false, false]);
  assert.match(await page.locator('#ex-note').textContent(), /Restarted n4 in both clusters/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('chapter.html, the exercise by keyboard alone: Tab reaches the fault bar, Enter partitions both clusters and heals them', async () => {
  const { page, errors } = await open('chapter.html');
  await page.locator('#ex-raft').scrollIntoViewIfNeeded();
  await page.locator('#ex-partition:not([disabled])').waitFor();
  // From the server picker, Tab goes through Crash and Restart to Partition.
  await page.locator('#ex-server').focus();
  for (const name of ['Crash', 'Restart', 'Partition {n1, n2} | {n3, n4, n5}']) {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), name);
  }
  await page.keyboard.press('Enter');
  const [r, g] = await cuts(page);
  assert.ok(r.partitioned && g.partitioned && r.cut.length === 12);
  assert.deepEqual(r.cut, g.cut);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Heal');
  await page.keyboard.press('Enter');
  assert.deepEqual((await cuts(page)).map((c) => [c.partitioned, c.cut.length]), [[false, 0], [false, 0]]);
  assert.match(await page.locator('#ex-note').textContent(), /Healed both networks/);
  assert.deepEqual(errors, []);
  await page.close();
});
