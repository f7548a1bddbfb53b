// The chained HotStuff widget (<consensus-playground protocol="hotstuff">) in headless Chromium
// (playwright-core), as a learner uses it. Waits are for conditions on the page, never for a
// length of time. Needs www/dist/ (node scripts/build.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, fetched, watchMessages } from './browser-page.mjs';

const open = browserPage();

const HOTSTUFF_CHUNK = /^hotstuff-[A-Z0-9]+\.js$/;

test('hotstuff: the widget loads only its own chunk, stylesheet and wasm; blocks get QCs, a lock, and commit', async () => {
  const { page, errors } = await open('?protocol=hotstuff&nodes=4&seed=3');
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.getAttribute('protocol'), 'hotstuff');
  // index.html slows HotStuff down (a block every view) and runs N = 3f + 1 = 4 replicas.
  assert.equal(await pg.getAttribute('speed'), '0.02');
  assert.equal(await page.title(), 'consensus-playground: Chained HotStuff');
  await watchMessages(page);
  assert.match(await pg.locator('.cp-legend').textContent(), /replica.*leader of its view.*Proposal.*Vote.*NewView.*Request.*Fetch \/ Blocks/);
  assert.match(await pg.locator('[data-node="n1"]').getAttribute('data-state'), /^(leader|replica)$/);
  const blocks = pg.locator('.cp-hs-blocks');
  assert.match(await blocks.locator('.cp-hs-note').textContent(), /^N = 4 replicas tolerate f = 1 traitor; a QC is 3 votes\.$/);
  assert.equal(await blocks.locator('.cp-hs-warn').isVisible(), false);
  // The tree is the first running honest replica's.
  assert.equal(await blocks.getAttribute('data-replica'), 'n1');

  await pg.getByRole('slider', { name: 'Speed' }).fill('60');
  // Blocks commit: a committed block is drawn filled, with its QC; the locked block and the
  // highest QC's are marked, and are not yet committed when the chain has grown past them.
  await blocks.locator('.cp-hs-block[data-committed="true"]:not([data-block="0"])').first().waitFor();
  await blocks.locator('.cp-hs-block[data-locked="true"]').waitFor();
  await blocks.locator('.cp-hs-block[data-high-qc="true"]').waitFor();
  const committed = blocks.locator('.cp-hs-block[data-committed="true"]:not([data-block="0"])').first();
  assert.match(await committed.locator('.cp-hs-qct').textContent(), /^QC v\d+ · [34] votes$/);
  const view = await pg.evaluate((el) => {
    const n = el.simulation.nodes()[0];
    return { executedHeight: n.executedHeight, locked: n.lockedQc.block, high: n.highQc.block };
  });
  assert.ok(view.executedHeight > 0);
  assert.match(await blocks.locator('.cp-hs-status').textContent(), /^n1: view \d+, leader n\d · locked #[0-9a-f]{6} \(v\d+\) · highQC #[0-9a-f]{6} \(v\d+\) · committed height \d+/);
  const box = await committed.locator('.cp-hs-box').evaluate((r) => getComputedStyle(r).fill);
  assert.equal(box, 'rgb(21, 128, 61)', 'a committed block is filled');
  const lockedStroke = await blocks.locator('.cp-hs-block[data-locked="true"] .cp-hs-box').evaluate((r) => getComputedStyle(r).strokeWidth);
  assert.equal(lockedStroke, '4px', 'the locked block is outlined');

  // On load: the element, its CSS, the HotStuff chunk, its stylesheet and its wasm, nothing else.
  const files = (await fetched(page)).sort();
  assert.equal(files.filter((f) => HOTSTUFF_CHUNK.test(f)).length, 1, files.join(' '));
  // The traitor controls (the byzantine attribute, the Traitor menu) come with the Byzantine mechanisms.
  assert.deepEqual(files.filter((f) => !HOTSTUFF_CHUNK.test(f)).map((f) => f.replace(/^traitors-[A-Z0-9]+\.js$/, 'traitors-*.js')), ['consensus-playground.css', 'consensus-playground.js', 'pkg/hotstuff_bg.wasm', 'protocols/hotstuff.css', 'stage/traitors.css', 'traitors-*.js']);
  const drawn = new Set(await page.evaluate(() => window.__drawn));
  for (const kind of ['Proposal', 'Vote']) assert.ok(drawn.has(kind), `${kind} was drawn: ${[...drawn]}`);
  const proposal = page.locator('[data-message="Proposal"]').first();
  await proposal.waitFor({ state: 'attached' });
  assert.match(await proposal.getAttribute('aria-label'), /^Proposal from n\d to n\d: block #[0-9a-f]{6} of view \d+, height \d+, \d+ commands?, extending (#[0-9a-f]{6}|genesis), justified by /);
  assert.deepEqual(errors, []);
  await page.close();
});

test('hotstuff: a client request’s command ends in a committed block and in every replica’s store', async () => {
  const { page, errors } = await open('?protocol=hotstuff&nodes=4&seed=3');
  const pg = page.locator('consensus-playground');
  await pg.getByRole('slider', { name: 'Speed' }).fill('60');
  // From n2's node actions: the command goes to n2, which passes it on to every replica.
  await pg.locator('[data-node="n2"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Client request' }).click();
  const blocks = pg.locator('.cp-hs-blocks');
  const carrier = blocks.locator('.cp-hs-block', { hasText: 'x=1' });
  await carrier.first().waitFor();
  await blocks.locator('.cp-hs-block[data-committed="true"]', { hasText: 'x=1' }).waitFor();
  assert.match(await carrier.first().locator('title').textContent(), /commands x=1.*Committed/);
  await page.waitForFunction(() => document.querySelector('consensus-playground').simulation.nodes().every((n) => n.kv.x === '1'));
  // The node's details say so too.
  await pg.locator('.cp-actions dd', { hasText: 'x=1' }).waitFor();
  // "Show its blocks" draws n3's tree.
  await pg.locator('[data-node="n3"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Show its blocks' }).click();
  assert.equal(await blocks.getAttribute('data-replica'), 'n3');
  assert.equal(await blocks.getByRole('combobox', { name: 'Replica whose blocks are shown' }).inputValue(), 'n3');
  assert.deepEqual(await pg.evaluate((el) => el.simulation.violations()), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('hotstuff: more traitors than f are flagged; a traitor says which it plays, and the tree skips it', async () => {
  const { page, errors } = await open('?protocol=hotstuff&nodes=4&seed=3&view-timeout-ms=200');
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.evaluate((el) => el.simulation.config.viewTimeoutMs), 200);
  const blocks = pg.locator('.cp-hs-blocks');
  await pg.evaluate((el) => el.simulation.setByzantine('n1', 'fork'));
  await pg.locator('[data-node="n1"] .cp-sub', { hasText: 'traitor: fork' }).waitFor();
  await page.waitForFunction(() => document.querySelector('.cp-hs-blocks').dataset.replica === 'n2');
  assert.equal(await blocks.locator('.cp-hs-warn').isVisible(), false, 'one traitor is within f = 1');
  await pg.evaluate((el) => el.simulation.setByzantine('n3', 'equivocate'));
  const warn = blocks.locator('.cp-hs-warn');
  await warn.waitFor();
  assert.match(await warn.textContent(), /^2 traitors, more than f = 1: HotStuff no longer promises safety/);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const viewport of [{ width: 1280, height: 800 }, { width: 400, height: 800 }]) {
  test(`hotstuff: layout at ${viewport.width}px: nothing overflows, the ring and the Blocks panel are visible`, async () => {
    const { page, errors } = await open('?protocol=hotstuff&nodes=4&seed=3&speed=0.2', viewport);
    const pg = page.locator('consensus-playground');
    await pg.locator('.cp-hs-block[data-committed="true"]:not([data-block="0"])').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    const ring = await pg.locator('.cp-ring').boundingBox();
    assert.ok(ring.width >= 300 && ring.x >= 0 && ring.x + ring.width <= viewport.width, JSON.stringify(ring));
    const panel = await pg.locator('.cp-hs-blocks').boundingBox();
    assert.ok(panel.x >= 0 && panel.x + panel.width <= viewport.width, JSON.stringify(panel));
    // The tree scrolls inside the panel, its newest blocks in view.
    const scroll = await pg.locator('.cp-hs-scroll').evaluate((s) => ({ left: s.scrollLeft, width: s.clientWidth, full: s.scrollWidth }));
    assert.ok(scroll.left + scroll.width >= scroll.full - 4, JSON.stringify(scroll));
    assert.deepEqual(errors, []);
    await page.close();
  });
}
