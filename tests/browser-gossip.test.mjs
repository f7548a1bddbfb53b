// The gossip widget (<consensus-playground protocol="gossip">, Demers et al. 1987) in headless
// Chromium (playwright-core), as a learner uses it: the ring of 16 agents, and the dense view of
// 1,000 and 10,000 agents whose simulation runs in a Web Worker. Waits are for conditions on the
// page, never for a length of time. Needs www/dist/ (node scripts/build.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, fetched, watchMessages } from './browser-page.mjs';

const open = browserPage();

const GOSSIP_CHUNK = /^gossip-[A-Z0-9]+\.js$/;
const DENSE_READY = 'consensus-playground .cp-gs-grid[data-live]';

/** The Gossip panel's counts (data-* of its summary). */
const counts = (pg) => pg.locator('.cp-gs-summary').evaluate((p) => Object.fromEntries(['informed', 'live', 'susceptible', 'infective', 'removed', 'crashed', 'partitioned'].map((k) => [k, p.dataset[k]])));

/** Waits until the summary says `informed` of `live` are informed. */
const informed = (page, n, live = n) =>
  page.waitForFunction(([a, b]) => {
    const p = document.querySelector('.cp-gs-summary');
    return p && p.dataset.informed === String(a) && p.dataset.live === String(b);
  }, [n, live]);

test('gossip: 16 agents on the ring — a write at n3 reaches every agent; digests and entries travel; node details show the store', async () => {
  const { page, errors } = await open('?protocol=gossip&nodes=16&seed=3');
  const pg = page.locator('consensus-playground');
  await watchMessages(page);
  assert.match(await pg.locator('.cp-legend').textContent(), /susceptible.*infective.*removed.*crashed.*Digest.*Reply.*Entries.*Rumor.*RumorAck.*RumorPull/);
  assert.equal(await pg.locator('[data-node]').count(), 16);
  assert.equal(await pg.locator('[data-node="n3"]').getAttribute('data-epidemic'), 'susceptible');
  // No KV clients: gossip has no leader to send them to.
  assert.equal(await pg.getByText('KV clients').count(), 0);
  await pg.getByRole('slider', { name: 'Speed' }).fill('100');
  await pg.locator('[data-node="n3"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Write here' }).click();
  assert.equal(await pg.locator('[data-node="n3"]').getAttribute('data-value'), 'v1');
  assert.notEqual(await pg.locator('[data-node="n3"]').getAttribute('data-epidemic'), 'susceptible');
  assert.match(await pg.locator('.cp-actions').textContent(), /key x.*v1, version \d+@n3/);
  await informed(page, 16);
  assert.match(await pg.locator('.cp-gs-summary').textContent(), /^16 of 16 informed — x = v1 \(version \d+@n3, written at n3\)/);
  assert.equal(await pg.locator('[data-node][data-value="v1"]').count(), 16);
  const drawn = new Set(await page.evaluate(() => window.__drawn));
  for (const kind of ['Digest', 'Reply', 'Entries']) assert.ok(drawn.has(kind), [...drawn].join(' '));
  // A message in flight says what it carries.
  assert.match(await pg.locator('[data-message="Digest"]').first().getAttribute('aria-label'), /^n\d+ → n\d+: digest of 1 key \(push-pull\)/);
  // On load: the element, its CSS, the gossip chunk, its stylesheet and its wasm; no worker.
  const files = (await fetched(page)).sort();
  assert.equal(files.filter((f) => GOSSIP_CHUNK.test(f)).length, 1, files.join(' '));
  assert.deepEqual(files.filter((f) => !GOSSIP_CHUNK.test(f)), ['consensus-playground.css', 'consensus-playground.js', 'pkg/gossip_bg.wasm', 'protocols/gossip.css']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('gossip: 1,000 agents in the dense view — a write informs all; the plot draws the run beside theory; the worker is fetched', async () => {
  const { page, errors } = await open('?protocol=gossip&nodes=1000&seed=5&speed=1', undefined, DENSE_READY);
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.locator('.cp-ring').count(), 0, 'no ring');
  assert.match(await pg.locator('.cp-gs-key').textContent(), /susceptible.*infective.*removed.*crashed/);
  await pg.getByRole('button', { name: 'Write x' }).click();
  await informed(page, 1000);
  assert.match(await pg.locator('.cp-gs-summary').textContent(), /^1,000 of 1,000 informed — x = v1/);
  const grid = pg.locator('.cp-gs-grid');
  assert.equal(await grid.getAttribute('data-informed'), '1000');
  assert.match(await grid.getAttribute('aria-label'), /^1,000 agents: 1,000 of 1,000 informed; 0 susceptible/);
  assert.ok((await pg.locator('.cp-gs-theory').getAttribute('d')).length > 20, 'a theory curve');
  assert.ok((await pg.locator('.cp-gs-run').getAttribute('d')).length > 20, 'the run’s curve');
  assert.ok((await fetched(page)).includes('gossip-worker.js'), 'the worker');
  assert.deepEqual(errors, []);
  await page.close();
});

test('gossip: split in halves, then a write at agent 1 stays in its half until Heal', async () => {
  const { page, errors } = await open('?protocol=gossip&nodes=1000&seed=5&speed=1', undefined, DENSE_READY);
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Split in halves' }).click();
  await page.waitForFunction(() => document.querySelector('.cp-gs-summary').dataset.partitioned === 'true');
  await pg.getByLabel('at agent').fill('1');
  await pg.getByRole('button', { name: 'Write x' }).click();
  await informed(page, 500, 1000);
  // Twenty more rounds (2 s of simulated time): still only the first half.
  const at = await pg.locator('.cp-gs-grid').evaluate((c) => Number(c.dataset.now));
  await page.waitForFunction((t) => Number(document.querySelector('.cp-gs-grid').dataset.now) > t + 2000, at);
  assert.deepEqual(await counts(pg), { informed: '500', live: '1000', susceptible: '500', infective: '0', removed: '500', crashed: '0', partitioned: 'true' });
  await pg.getByRole('button', { name: 'Heal' }).click();
  await informed(page, 1000);
  assert.deepEqual(errors, []);
  await page.close();
});

test('gossip: 10,000 agents — the page handles clicks while the worker runs; crash 10% crashes 1,000', async () => {
  const { page, errors } = await open('?protocol=gossip&nodes=10000&seed=2&speed=1', undefined, DENSE_READY);
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Write x' }).click();
  // While it spreads, a click is handled.
  await page.waitForFunction(() => Number(document.querySelector('.cp-gs-summary').dataset.informed) > 1);
  await pg.getByRole('button', { name: 'Crash 10%' }).click();
  await page.waitForFunction(() => document.querySelector('.cp-gs-summary').dataset.crashed === '1000');
  await informed(page, 9000);
  assert.match(await pg.locator('.cp-gs-summary').textContent(), /^9,000 of 9,000 informed/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('gossip: the settings are labelled and reachable by Tab; Agents moves between the ring and the dense view', async () => {
  const { page, errors } = await open('?protocol=gossip&nodes=16&seed=3');
  const pg = page.locator('consensus-playground');
  for (const label of ['Agents', 'Mode', 'Fanout', 'Interval', 'Loss', 'at agent']) assert.equal(await pg.getByLabel(label, { exact: true }).count(), 1, label);
  // Tab from Write x reaches the agent field.
  await pg.getByRole('button', { name: 'Write x' }).focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'at');
  await pg.getByLabel('Mode', { exact: true }).selectOption('pull');
  assert.equal(await pg.getAttribute('mode'), 'pull');
  assert.equal(await pg.evaluate((el) => el.simulation.config.mode), 'pull');
  await pg.getByLabel('Agents', { exact: true }).selectOption('100');
  await page.waitForSelector(DENSE_READY);
  assert.equal(await pg.locator('.cp-ring').count(), 0);
  assert.equal(await pg.getByLabel('Mode', { exact: true }).inputValue(), 'pull');
  // The select that rebuilt the widget keeps the focus.
  assert.equal(await page.evaluate(() => document.activeElement?.name), 'nodes');
  await pg.getByLabel('Agents', { exact: true }).selectOption('16');
  await pg.locator('[data-node="n16"]').waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test('chapter.html: Figure 7.9, 1,000 agents by push, informs all; on this page of several mechanisms the worker runs the wasm the page loaded', async () => {
  const { page, errors } = await open('chapter.html', undefined, 'consensus-playground[protocol="gossip"] .cp-gs-grid[data-live]');
  const pg = page.locator('consensus-playground[protocol="gossip"][nodes="1000"]');
  assert.equal(await pg.getByLabel('Mode', { exact: true }).inputValue(), 'push');
  await pg.evaluate((el) => el.setAttribute('speed', '1'));
  await pg.getByRole('button', { name: 'Write x' }).click();
  await informed(page, 1000);
  const files = await fetched(page);
  assert.ok(files.includes('gossip-worker-combined.js') && files.includes('pkg/combined_bg.wasm'), files.join(' '));
  assert.ok(!files.includes('pkg/gossip_bg.wasm') && !files.includes('gossip-worker.js'), files.join(' '));
  assert.deepEqual(errors, []);
  await page.close();
});

// ---- collective validation (issue #13 §6) -----------------------------------------------------

const CLAIM = '.cp-gs-claim';
/** The Collective validation summary's counts (data-* of .cp-gs-claim). */
const claimCounts = (pg) => pg.locator(CLAIM).evaluate((p) => ({ ...p.dataset }));
/** Waits until every live honest agent of widget `pg` has decided on the latest claim. */
const decided = (pg) => pg.locator(`${CLAIM}[data-decided-ms]:not([data-decided-ms=""])`).waitFor({ timeout: 60_000 });
/** Waits until the chart's runs are done; returns [{k, wrong, ms}] per bar pair. */
async function chart(pg) {
  await pg.locator('.cp-gs-sweep[data-state="done"]').waitFor({ timeout: 60_000 });
  return pg.locator('.cp-gs-chart').evaluate((svg) =>
    [1, 3, 5, 9].map((k) => ({ k, wrong: Number(svg.querySelector(`[data-k="${k}"][data-wrong]`).dataset.wrong), ms: Number(svg.querySelector(`[data-k="${k}"][data-ms]`).dataset.ms) })),
  );
}

test('chapter.html: Figure 7.10 does what its text says — the Sybil n2 passes a false claim at k = 5, and with only members attesting all 15 honest agents reject it; with 20% liars and no Sybil, k = 9 protects better than k = 1 and takes longer', async () => {
  const { page, errors } = await open('chapter.html', undefined, 'consensus-playground[protocol="gossip"][nodes="16"] [data-node="n1"][data-state]');
  const pg = page.locator('consensus-playground[protocol="gossip"][nodes="16"]');
  const text = await page.locator('h3:has-text("Checking claims together") ~ p').first().textContent();
  assert.match(text, /higher confidence than individual checks/);
  assert.match(text, /increases latency/);
  await pg.evaluate((el) => el.setAttribute('speed', '1'));
  // n2 is the Sybil, with horns; k is 5; nobody else is a traitor.
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-byzantine'), 'sybil');
  assert.equal(await pg.locator('[data-node][data-byzantine]').count(), 1);
  assert.equal(await pg.getByLabel('Threshold k', { exact: true }).inputValue(), '5');
  assert.equal(await pg.getByLabel('One Sybil').isChecked(), true);
  assert.equal(await pg.getByLabel('Only members attest').isChecked(), false);
  // "Raising k does not help, as the chart shows: eleven identities pass k = 9 too."
  for (const b of await chart(pg)) assert.equal(b.wrong, 1, JSON.stringify(b));
  // "every one of the 15 honest agents accepts it"
  await pg.getByRole('button', { name: 'Publish a false claim' }).click();
  await decided(pg);
  let c = await claimCounts(pg);
  assert.deepEqual([c.truth, c.honest, c.accepted, c.rejected, c.undecided], ['false', '15', '15', '0', '0']);
  assert.match(await pg.locator(CLAIM).textContent(), /^15 honest agents: 15 accepted the false claim, 0 rejected it, 0 undecided — decided by \d+ ms.*published by n2 \(the Sybil\)/);
  assert.equal(await pg.locator('[data-node]:not([data-byzantine])[data-verdict="accepted"]').count(), 15);
  assert.match(await pg.locator('[data-node="n5"]').getAttribute('aria-label'), /^n5: accepted claim c1 \(false\); holds \d+ attestations saying valid/);
  // "Now tick Only members attest … the run starts again. Publish the false claim again … all 15 reject it"
  await pg.getByLabel('Only members attest').check();
  await page.waitForFunction(() => document.querySelector('consensus-playground[nodes="16"]').getAttribute('attestations').includes('members-only'));
  await pg.locator(`${CLAIM}:not([data-claim])`).waitFor();
  assert.equal(await pg.getByLabel('Only members attest').isChecked(), true);
  await pg.getByRole('button', { name: 'Publish a false claim' }).click();
  await decided(pg);
  c = await claimCounts(pg);
  assert.deepEqual([c.claim, c.honest, c.accepted, c.rejected, c.undecided], ['c1', '15', '0', '15', '0']);
  assert.equal(await pg.locator('[data-node]:not([data-byzantine])[data-verdict="rejected"]').count(), 15);
  // "The chart agrees from k = 5 on."
  const admitted = await chart(pg);
  assert.deepEqual(admitted.slice(2).map((b) => b.wrong), [0, 0], JSON.stringify(admitted));
  // "Untick One Sybil and set Liars to 20%: at k = 1 some honest agents accept a false claim a
  // liar publishes, and the share falls as k grows, while the time until every agent has decided grows."
  await pg.getByLabel('Only members attest').uncheck();
  await pg.getByLabel('One Sybil').uncheck();
  await pg.getByLabel('Liars', { exact: true }).selectOption('0.2');
  await page.waitForFunction(() => document.querySelector('consensus-playground[nodes="16"]').getAttribute('liars') === '20%');
  assert.equal(await pg.locator('[data-node][data-byzantine="lie"]').count(), 3);
  const bars = await chart(pg);
  assert.ok(bars[0].wrong > 0, JSON.stringify(bars));
  assert.ok(bars[3].wrong <= bars[1].wrong && bars[1].wrong < bars[0].wrong, JSON.stringify(bars));
  assert.ok(bars[3].ms > bars[0].ms, JSON.stringify(bars));
  assert.deepEqual(errors, []);
  await page.close();
});

test('gossip: 100 agents, 20% liars — a false claim a liar publishes fools some honest agents at k = 1 and fewer at k = 9; the dense grid shows verdicts', async () => {
  const ready = 'consensus-playground .cp-gs-grid[data-live]';
  const { page, errors } = await open('?protocol=gossip&nodes=100&seed=7&speed=1&attestations=k=1&liars=20%25', undefined, ready);
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.getByLabel('Attestations').isChecked(), true);
  assert.equal(await pg.getByLabel('Liars', { exact: true }).inputValue(), '0.2');
  await pg.getByRole('button', { name: 'Publish a false claim' }).click();
  await decided(pg);
  const k1 = await claimCounts(pg);
  assert.equal(k1.honest, '80');
  assert.ok(Number(k1.wrong) > 0, JSON.stringify(k1));
  assert.match(await pg.locator('.cp-gs-grid').getAttribute('aria-label'), /^100 agents, their verdicts on claim c1: 0 undecided, \d+ accepted, \d+ rejected, 0 crashed; 20 of them liars or Sybils/);
  await pg.getByLabel('Threshold k', { exact: true }).focus();
  await pg.getByLabel('Threshold k', { exact: true }).selectOption('9');
  await page.waitForFunction(() => document.querySelector('consensus-playground').getAttribute('attestations').startsWith('k=9'));
  await pg.locator(`${CLAIM}:not([data-claim])`).waitFor();
  // The select that started the run again keeps the focus.
  assert.equal(await page.evaluate(() => document.activeElement?.name), 'k');
  await page.waitForSelector(ready);
  await pg.getByRole('button', { name: 'Publish a false claim' }).click();
  await decided(pg);
  const k9 = await claimCounts(pg);
  assert.equal(k9.honest, '80');
  assert.ok(Number(k9.wrong) < Number(k1.wrong), JSON.stringify([k1, k9]));
  assert.ok(Number(k9.decidedMs) > 0);
  const bars = await chart(pg);
  assert.ok(bars[3].wrong < bars[0].wrong, JSON.stringify(bars));
  assert.deepEqual(errors, []);
  await page.close();
});

test('gossip: the Collective validation controls are labelled and reachable by Tab; Agents above 100 are off while attesting', async () => {
  const { page, errors } = await open('?protocol=gossip&nodes=16&seed=3');
  const pg = page.locator('consensus-playground');
  const on = pg.getByLabel('Attestations');
  assert.equal(await on.isChecked(), false);
  assert.equal(await pg.getByRole('button', { name: 'Publish a false claim' }).isVisible(), false);
  await on.focus();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('consensus-playground').getAttribute('attestations') === 'k=3,accuracy=0.95');
  await pg.getByRole('button', { name: 'Publish a false claim' }).waitFor();
  // The section's code and stylesheet come when attestations are turned on, not before.
  const files = await fetched(page);
  assert.ok(files.some((f) => /^gossip-attest-[A-Z0-9]+\.js$/.test(f)) && files.includes('protocols/gossip-attest.css') && files.includes('stage/traitors.css'), files.join(' '));
  for (const label of ['Threshold k', 'Accuracy', 'Liars', 'One Sybil', 'Only members attest']) assert.equal(await pg.getByLabel(label, { exact: true }).count(), 1, label);
  // Tab from the switch through every control, in reading order.
  await on.focus();
  const order = [];
  for (let i = 0; i < 7; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => document.activeElement.name || document.activeElement.textContent));
  }
  assert.deepEqual(order, ['k', 'accuracy', 'liars', 'sybil', 'members-only', 'Publish a true claim', 'Publish a false claim']);
  assert.deepEqual(await pg.getByLabel('Agents', { exact: true }).evaluate((s) => [...s.options].filter((o) => o.disabled).map((o) => o.value)), ['1000', '10000']);
  // A true claim, published by an honest agent: decided, and the chart's figure says what it shows.
  await pg.evaluate((el) => el.setAttribute('speed', '1'));
  await pg.getByRole('button', { name: 'Publish a true claim' }).click();
  await decided(pg);
  assert.equal((await claimCounts(pg)).truth, 'true');
  await chart(pg);
  assert.match(await pg.locator('.cp-gs-chart').getAttribute('aria-label'), /^For k = 1, 3, 5 and 9: k = 1: \d+% of honest agents accepted the false claim/);
  assert.deepEqual(errors, []);
  await page.close();
});
