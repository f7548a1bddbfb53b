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

test('chapter.html: Figure 7.8, 1,000 agents by push, informs all; on this page of several mechanisms the worker runs the wasm the page loaded', async () => {
  const { page, errors } = await open('chapter.html', undefined, 'consensus-playground[protocol="gossip"] .cp-gs-grid[data-live]');
  const pg = page.locator('consensus-playground[protocol="gossip"]');
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
