// The Byzantine Generals widget (<consensus-playground protocol="generals">, OM(m) of Lamport,
// Shostak & Pease 1982) in headless Chromium (playwright-core), as a learner uses it. Waits are
// for conditions on the page, never for a length of time. Needs www/dist/ (node scripts/build.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, fetched, watchMessages } from './browser-page.mjs';

const open = browserPage();

const GENERALS_CHUNK = /^generals-[A-Z0-9]+\.js$/;

/** Waits until the Generals panel shows a run other than `before` whose loyal lieutenants have all decided. */
async function settledRun(page, before = null) {
  await page.waitForFunction(
    (b) => {
      const p = document.querySelector('.cp-generals');
      return p && p.dataset.run !== 'none' && p.dataset.run !== String(b) && p.dataset.ic1 !== 'pending' && p.dataset.ic2 !== 'pending';
    },
    before,
  );
  return page.evaluate(() => document.querySelector('.cp-generals').dataset.run);
}

/** Per lieutenant row of the panel: [id, from the commander, relayed values…, decision]. */
const rows = (pg) =>
  pg.evaluate((el) => [...el.querySelectorAll('[data-lieutenant]')].map((tr) => [tr.dataset.lieutenant, ...[...tr.querySelectorAll('td[data-path]')].map((td) => `${td.dataset.path}:${td.dataset.order}`), tr.dataset.decision]));

test('generals: N = 4 — a run completes, the panel shows each decision and 9 messages; with a lying commander the loyal lieutenants still agree', async () => {
  const { page, errors } = await open('?protocol=generals&nodes=4&seed=1');
  const pg = page.locator('consensus-playground');
  await watchMessages(page);
  assert.match(await pg.locator('.cp-legend').textContent(), /commander.*lieutenant.*Order: attack.*Order: retreat/);
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-state'), 'commander');
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-state'), 'lieutenant');
  assert.match(await pg.locator('.cp-gn-note').textContent(), /N = 4 generals cope with m = 1 traitor \(N > 3m\)/);
  await pg.getByRole('slider', { name: 'Speed' }).fill('80');

  // Run 0: the loyal commander's first order, attack.
  const run0 = await settledRun(page);
  assert.deepEqual(await rows(pg), [
    ['n2', 'n1:attack', 'n1>n3:attack', 'n1>n4:attack', 'attack'],
    ['n3', 'n1:attack', 'n1>n2:attack', 'n1>n4:attack', 'attack'],
    ['n4', 'n1:attack', 'n1>n2:attack', 'n1>n3:attack', 'attack'],
  ]);
  assert.match(await pg.locator('[data-lieutenant="n2"] .cp-gn-maj').textContent(), /^attack 3 of 3$/);
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-decision'), 'attack');
  assert.equal(await pg.locator('[data-node="n2"] .cp-sub').textContent(), 'attack');
  const count = pg.locator('.cp-gn-count');
  assert.equal(await count.getAttribute('data-messages'), '9');
  assert.equal(await count.getAttribute('data-closed-form'), '9');
  assert.match(await count.textContent(), /^Messages this run: 9 = \(N−1\) \+ \(N−1\)\(N−2\) = 3 \+ 3·2, as OM\(1\) sends: O\(N\^\(m\+1\)\)/);
  assert.equal(await pg.locator('[data-check="IC1"]').getAttribute('data-ok'), 'true');
  assert.equal(await pg.locator('[data-check="IC2"]').getAttribute('data-ok'), 'true');
  assert.match(await pg.locator('[data-check="IC1"]').textContent(), /✓IC1 All loyal lieutenants obey the same order/);
  assert.match(await pg.locator('[data-check="IC2"]').textContent(), /✓IC2 If the commanding general is loyal, then every loyal lieutenant obeys the order he sends/);
  const said = await page.evaluate(() => window.__drawn);
  assert.ok(said.includes('Order'), said.join(' '));

  // The commander turns traitor (the element's simulation) and orders again: he tells n2 and
  // n4 attack, n3 retreat; the majority of what they relay is attack at every loyal lieutenant.
  await pg.evaluate((el) => el.simulation.setByzantine('n1', 'lie'));
  await pg.locator('[data-node="n1"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Order attack' }).click();
  await pg.locator('[data-node="n1"] .cp-sub', { hasText: 'traitor: lie' }).waitFor();
  // A relayed order in flight says who said what.
  await page.waitForFunction(() => [...document.querySelectorAll('[data-message="Order"]')].some((m) => / said (attack|retreat) \(relayed n1→n\d\), run \d+/.test(m.getAttribute('aria-label'))));
  const run1 = await settledRun(page, run0);
  assert.notEqual(run1, run0);
  const r = await rows(pg);
  assert.deepEqual(r.map((x) => x[1]), ['n1:attack', 'n1:retreat', 'n1:attack'], 'the traitor split his order');
  assert.deepEqual(r.map((x) => x.at(-1)), ['attack', 'attack', 'attack'], 'the loyal lieutenants agree');
  assert.equal(await pg.locator('[data-check="IC1"]').getAttribute('data-ok'), 'true');
  assert.match(await pg.locator('[data-check="IC2"]').textContent(), /asks nothing here: the commander n1 is a traitor/);
  assert.match(await pg.locator('.cp-gn-head').textContent(), /the commander n1 \(a traitor: lie\) orders attack/);
  assert.equal(await pg.locator('.cp-banner').isVisible(), false, 'no violation');
  const d = await pg.evaluate((el, run) => el.simulation.decisions(Number(run)), run1);
  assert.equal(d.messages, 9);

  // On load: the element, its CSS, the generals chunk, its stylesheet and its wasm, nothing else.
  const files = (await fetched(page)).sort();
  assert.equal(files.filter((f) => GENERALS_CHUNK.test(f)).length, 1, files.join(' '));
  // The traitor controls (the byzantine attribute, the Traitor menu) come with the Byzantine mechanisms.
  assert.deepEqual(files.filter((f) => !GENERALS_CHUNK.test(f)).map((f) => f.replace(/^traitors-[A-Z0-9]+\.js$/, 'traitors-*.js')), ['consensus-playground.css', 'consensus-playground.js', 'pkg/generals_bg.wasm', 'protocols/generals.css', 'stage/traitors.css', 'traitors-*.js']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('generals: N = 3 with a lying commander — the lieutenants split, and the IC1 violation shows', async () => {
  const { page, errors } = await open('?protocol=generals&nodes=3&seed=1&first-order=none');
  const pg = page.locator('consensus-playground');
  const note = pg.locator('.cp-gn-note');
  assert.equal(await note.getAttribute('data-case'), 'impossible3');
  assert.match(await note.textContent(), /N = 3 generals cannot cope with one traitor/);
  assert.match(await note.textContent(), /n2 hears “attack” from the commander n1 and “the commander said retreat” from n3\. It cannot tell whether the commander or n3 lies \(Lamport et al\. §2, Fig\. 1–2\)/);
  assert.match(await pg.locator('.cp-generals').textContent(), /No run yet/);
  await pg.evaluate((el) => el.simulation.setByzantine('n1', 'lie'));
  await pg.getByRole('slider', { name: 'Speed' }).fill('80');
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Order attack' }).click();
  await settledRun(page);
  assert.deepEqual(await rows(pg), [
    ['n2', 'n1:attack', 'attack'],
    ['n3', 'n1:retreat', 'retreat'],
  ]);
  assert.equal(await pg.locator('[data-check="IC1"]').getAttribute('data-ok'), 'false');
  assert.match(await pg.locator('[data-check="IC1"]').textContent(), /✗IC1 .*they do not: n2 attack, n3 retreat/);
  // The stage's banner: the checker's violation, IC1 as the paper states it.
  const banner = pg.locator('.cp-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), /^Safety violation — IC1 \(n2, n3\) .*All loyal lieutenants obey the same order/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('generals: N = 3 with m = 1 — n2 hears the same from a lying commander as from a lying n3 (Fig. 1–2), and IC2 fails', async () => {
  const { page, errors } = await open('?protocol=generals&nodes=3&seed=1&m=1&first-order=none');
  const pg = page.locator('consensus-playground');
  await pg.getByRole('slider', { name: 'Speed' }).fill('80');
  // Fig. 1: the commander is loyal and orders attack; n3, the traitor, tells n2 "he said retreat".
  await pg.evaluate((el) => el.simulation.setByzantine('n3', 'flip'));
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Order attack' }).click();
  const run0 = await settledRun(page);
  const fig1 = (await rows(pg))[0];
  assert.deepEqual(fig1.slice(0, 3), ['n2', 'n1:attack', 'n1>n3:retreat']);
  // n2 takes the tie's default, retreat: IC2 fails, and the checker says so.
  assert.equal(await pg.locator('[data-check="IC2"]').getAttribute('data-ok'), 'false');
  await pg.locator('.cp-banner').waitFor();
  assert.match(await pg.locator('.cp-banner').textContent(), /^Safety violation — IC2 \(n1, n2\)/);
  // Fig. 2: the commander is the traitor, n3 loyal (it says truly what it heard: retreat).
  await pg.evaluate((el) => {
    el.simulation.setByzantine('n3', null);
    el.simulation.setByzantine('n1', 'lie');
  });
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Order attack' }).click();
  await settledRun(page, run0);
  const fig2 = (await rows(pg))[0];
  assert.deepEqual(fig2.slice(0, 3), fig1.slice(0, 3), 'n2 cannot tell them apart');
  // The checker holds n3 faulty from the time it turned traitor; so does the panel.
  assert.match(await pg.locator('[data-lieutenant="n3"] th').textContent(), /was a traitor/);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const viewport of [{ width: 1280, height: 800 }, { width: 400, height: 800 }]) {
  test(`generals: layout at ${viewport.width}px: nothing overflows, the ring and the Generals panel are visible`, async () => {
    const { page, errors } = await open('?protocol=generals&nodes=4&seed=3&speed=1', viewport);
    const pg = page.locator('consensus-playground');
    await settledRun(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    const ring = await pg.locator('.cp-ring').boundingBox();
    assert.ok(ring.width >= 300 && ring.x >= 0 && ring.x + ring.width <= viewport.width, JSON.stringify(ring));
    const panel = await pg.locator('.cp-generals').boundingBox();
    assert.ok(panel.x >= 0 && panel.x + panel.width <= viewport.width, JSON.stringify(panel));
    assert.deepEqual(errors, []);
    await page.close();
  });
}
