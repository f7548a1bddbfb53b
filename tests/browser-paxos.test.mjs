// The Multi-Paxos widget (<consensus-playground protocol="paxos">) in headless Chromium
// (playwright-core), as a learner uses it. Waits are for conditions on the page, never for a
// length of time. Needs www/dist/ (node scripts/build.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, fetched, pausedAtStart, paxosGap, watchMessages } from './browser-page.mjs';

const open = browserPage();

const PAXOS_CHUNK = /^paxos-[A-Z0-9]+\.js$/;

/** Waits until `count` rows of the Slots panel show `value` chosen in some slot. */
const chosenOnRows = (page, value, count) =>
  page.waitForFunction(
    ([v, c]) => document.querySelectorAll(`[data-slots-of] [data-chosen="true"][data-value="${v}"]`).length === c,
    [value, count],
  );

test('paxos: the widget loads only its own chunk, stylesheet and wasm; a leader emerges, a command is chosen on every row; crash the leader and another leads, chosen slots stay', async () => {
  const { page, errors } = await open('?protocol=paxos&nodes=5&seed=7');
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.getAttribute('protocol'), 'paxos');
  await watchMessages(page);

  // Paxos's legend and panel, not Raft's.
  assert.match(await pg.locator('.cp-legend').textContent(), /Prepare.*Promise \/ Accepted.*Nack.*Accept.*Commit.*Heartbeat/);
  assert.equal(await pg.locator('[data-log-of]').count(), 0);
  assert.equal(await pg.locator('[data-slots-of]').count(), 5);

  // n1 tries to lead from t = 0: phase 1, a Prepare to every other acceptor.
  await pausedAtStart(pg);
  await pg.locator('[data-node="n1"]').click();
  await pg.getByRole('button', { name: 'Try to lead' }).click();
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-state'), 'candidate');
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-ballot'), '1.n1');
  assert.equal(await pg.locator('[data-message="Prepare"]').count(), 4);
  // A message says what it carries.
  assert.match(await pg.locator('[data-message="Prepare"]').first().getAttribute('aria-label'), /^Prepare from n1 to n\d: ballot 1\.n1; /);
  await pg.getByRole('slider', { name: 'Speed' }).fill('100');
  await pg.getByRole('button', { name: 'Play' }).click();
  await pg.locator('[data-node="n1"][data-state="leader"]').waitFor();
  assert.equal(await pg.locator('[data-state="leader"]').count(), 1);
  // Every acceptor promised n1's ballot: the big number is its round.
  await page.waitForFunction(() => [...document.querySelectorAll('[data-node]')].every((n) => n.dataset.promised === '1.n1'));
  assert.equal(await pg.locator('[data-node="n3"] .cp-term').textContent(), '1');

  // A client request to the leader: chosen in slot 1 on every node's row.
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Client request' }).click();
  await chosenOnRows(page, 'x=1', 5);
  for (const id of ['n1', 'n2', 'n3', 'n4', 'n5']) {
    const cell = pg.locator(`[data-slots-of="${id}"] [data-slot="1"]`);
    assert.equal(await cell.getAttribute('data-value'), 'x=1', id);
    assert.equal(await cell.getAttribute('data-ballot'), '1.n1', id);
  }
  const drawn = new Set(await page.evaluate(() => window.__drawn));
  for (const kind of ['Prepare', 'Promise', 'Accept', 'Accepted']) assert.ok(drawn.has(kind), `${kind} was drawn: ${[...drawn]}`);

  // Crash the leader: another node's timer runs out, it runs phase 1 with a higher ballot and leads.
  await pg.locator('[data-node="n1"]').click();
  await pg.getByRole('button', { name: 'Crash' }).click();
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-state'), 'crashed');
  await pg.locator('[data-state="leader"]').waitFor();
  const leader = await pg.locator('[data-state="leader"]').getAttribute('data-node');
  assert.notEqual(leader, 'n1');
  assert.ok(Number(await pg.locator(`[data-node="${leader}"] .cp-term`).textContent()) >= 2);
  // Slot 1 stays chosen with x=1 everywhere (n1's row too: its acceptor state survives).
  await chosenOnRows(page, 'x=1', 5);
  // And the new leader gets the next command chosen on the four running nodes.
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Client request' }).click();
  await chosenOnRows(page, 'y=2', 4);
  assert.equal(await pg.locator('[data-slots-of="n1"] [data-value="y=2"]').count(), 0, 'the crashed node learns nothing');

  // On load: the element, its CSS, the Paxos chunk, its stylesheet and its wasm, nothing of Raft.
  const files = (await fetched(page)).sort();
  assert.equal(files.filter((f) => PAXOS_CHUNK.test(f)).length, 1, files.join(' '));
  assert.deepEqual(files.filter((f) => !PAXOS_CHUNK.test(f)), ['consensus-playground.css', 'consensus-playground.js', 'pkg/paxos_bg.wasm', 'protocols/paxos.css']);
  assert.equal(await pg.locator('.cp-banner').isHidden(), true, 'no safety violation');
  assert.deepEqual(errors, []);
  await page.close();
});

test('paxos: keyboard — Enter on a focused node opens its actions; Propose sends a command to a follower, which forwards it', async () => {
  const { page, errors } = await open('?protocol=paxos&nodes=3&seed=5');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  await pg.locator('[data-node="n2"]').focus();
  await page.keyboard.press('Enter');
  // The actions open with the focus on their first button (Close); Tab reaches Try to lead.
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Close node actions');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Try to lead');
  await page.keyboard.press('Enter');
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-state'), 'candidate');
  assert.equal(await pg.locator('[data-message="Prepare"]').count(), 2);
  await pg.getByRole('slider', { name: 'Speed' }).fill('100');
  await pg.getByRole('button', { name: 'Play' }).click();
  await pg.locator('[data-node="n2"][data-state="leader"]').waitFor();
  // Propose at n3, a follower: it forwards the command to n2, which gets it chosen.
  await pg.locator('[data-node="n3"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Propose' }).click();
  await chosenOnRows(page, 'x=1', 3);
  assert.match(await pg.locator('.cp-state').textContent(), /chosenslots 1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('paxos: a new leader fills a gap with a no-op, drawn apart from values', async () => {
  const { page, errors } = await open('?protocol=paxos&nodes=3&seed=2');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  // As a course script would: n1 leads, proposes x=1 in slot 1 and y=2 in slot 2; every
  // Accept (and Commit) of slot 1 is lost, then n1 crashes. The next leader hears of y=2 in
  // slot 2 from the promises, of nothing in slot 1, and proposes a no-op there.
  await paxosGap(pg);
  await pg.getByRole('slider', { name: 'Speed' }).fill('100');
  await pg.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => ['n2', 'n3'].every((id) => document.querySelector(`[data-slots-of="${id}"] [data-slot="1"]`)?.dataset.chosen === 'true'));
  for (const id of ['n2', 'n3']) {
    const [one, two] = [pg.locator(`[data-slots-of="${id}"] [data-slot="1"]`), pg.locator(`[data-slots-of="${id}"] [data-slot="2"]`)];
    assert.equal(await one.getAttribute('data-value'), 'no-op', id);
    assert.match(await one.getAttribute('class'), /cp-noop/);
    assert.equal(await two.getAttribute('data-value'), 'y=2', id);
    assert.equal(await two.getAttribute('data-chosen'), 'true', id);
  }
  // n1, crashed, still shows what it accepted, not known chosen there.
  assert.equal(await pg.locator('[data-slots-of="n1"] [data-slot="1"]').getAttribute('data-value'), 'x=1');
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-state'), 'crashed');
  assert.equal(await pg.locator('.cp-banner').isHidden(), true, 'no safety violation');
  assert.deepEqual(errors, []);
  await page.close();
});

test('paxos: the Network and bugs panel lists Paxos’s bug switches', async () => {
  const { page, errors } = await open('?protocol=paxos&nodes=3&seed=2');
  const pg = page.locator('consensus-playground');
  await pg.getByText('Network and bugs').click();
  await pg.getByRole('checkbox', { name: /forget-promise/ }).waitFor();
  assert.ok(await pg.getByRole('checkbox', { name: /minority-quorum/ }).isVisible());
  assert.deepEqual(errors, []);
  await page.close();
});

for (const viewport of [{ width: 1280, height: 800 }, { width: 400, height: 800 }]) {
  test(`paxos: layout at ${viewport.width}px: nothing overflows, the ring and the Slots panel are visible`, async () => {
    const { page, errors } = await open('?protocol=paxos&nodes=5&seed=3&speed=1', viewport);
    const pg = page.locator('consensus-playground');
    await pg.locator('[data-state="leader"]').waitFor();
    await pg.locator('.cp-toolbar').getByRole('button', { name: 'Client request' }).click();
    await chosenOnRows(page, 'x=1', 5);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    const ring = await pg.locator('.cp-ring').boundingBox();
    assert.ok(ring.width >= 300 && ring.x >= 0 && ring.x + ring.width <= viewport.width, JSON.stringify(ring));
    const slots = await pg.locator('.cp-slots').boundingBox();
    assert.ok(slots.x >= 0 && slots.x + slots.width <= viewport.width, JSON.stringify(slots));
    assert.deepEqual(errors, []);
    await page.close();
  });
}
