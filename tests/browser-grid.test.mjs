// Issue #14 §5: "Logs (Raft) and slots (Paxos, PBFT): one grid aligned by index across nodes,
// with index headers, the leader's nextIndex and matchIndex marked under each follower's row, and
// the index a violation names highlighted." One test per mechanism's grid, in headless Chromium.
// Waits are for conditions on the page, never for a length of time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, paxosGap } from './browser-page.mjs';

const open = browserPage();

/**
 * In the grid of `panel`: every cell carrying `cellAttr` (its column in that attribute) sits at
 * the x of its column's header, and every row has one header cell (th scope=row). Returns how
 * many cells were compared.
 */
const aligned = (pg, panel, cellAttr) =>
  pg.evaluate(
    (el, [panel, attr]) => {
      const grid = el.querySelector(`${panel} table.cp-grid`);
      const x = (e) => Math.round(e.getBoundingClientRect().left);
      const heads = new Map([...grid.querySelectorAll('thead th[scope="col"][data-col]')].map((th) => [th.dataset.col, x(th)]));
      const off = [];
      let n = 0;
      for (const td of grid.querySelectorAll(`tbody td[${attr}]`)) {
        const col = td.getAttribute(attr) || td.dataset.col;
        if (!heads.has(col)) continue;
        n++;
        if (x(td) !== heads.get(col)) off.push(`${td.closest('tr').querySelector('th').textContent} ${col}: ${x(td)} vs ${heads.get(col)}`);
      }
      const rows = [...grid.querySelectorAll('tbody tr')].filter((tr) => tr.querySelectorAll('th[scope="row"]').length !== 1).length;
      return { n, off, rows };
    },
    [panel, cellAttr],
  );

test('raft grid: entries line up under their index headers; the leader’s nextIndex and matchIndex under each follower match sim.nodes(), a crashed follower lags', async () => {
  const { page, errors } = await open('?nodes=5&seed=7&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  const leader = await pg.locator('[data-state="leader"]').getAttribute('data-node');
  const follower = ['n1', 'n2', 'n3', 'n4', 'n5'].find((id) => id !== leader);
  const writes = (k) => pg.evaluate((el, k) => { for (let i = 0; i < k; i++) el.simulation.clientRequest(`w=${i}`); }, k);
  // Every node holds and commits the writes.
  await writes(3);
  await page.waitForFunction(() => document.querySelectorAll('[data-log-of] [data-entry="4"][data-committed="true"]').length === 5);

  // The follower crashes; more writes commit on the other four; it restarts, paused: it lags.
  await pg.locator(`[data-node="${follower}"]`).click();
  await pg.getByRole('button', { name: 'Crash' }).click();
  await writes(4);
  await page.waitForFunction((l) => document.querySelector(`[data-log-of="${l}"] [data-entry="8"][data-committed="true"]`), leader);
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Pause' }).click();
  await pg.getByRole('button', { name: 'Restart' }).click();

  /** The leader's progress rows as drawn, and as sim.nodes() says, once the page shows the paused state. */
  const progress = async () => {
    await page.waitForFunction(() => {
      const s = document.querySelector('consensus-playground').simulation;
      const l = s.nodes().find((n) => n.id === s.leader());
      return Object.keys(l.nextIndex).every((id) => document.querySelector(`[data-progress-of="${id}"]`)?.dataset.next === String(l.nextIndex[id]));
    });
    return pg.evaluate((el) => {
      const s = el.simulation;
      const l = s.nodes().find((n) => n.id === s.leader());
      const drawn = {};
      for (const tr of el.querySelectorAll('[data-progress-of]')) {
        const col = (sel) => {
          const td = tr.querySelector(sel);
          if (!td) return null;
          const i = [...tr.children].indexOf(td);
          return el.querySelector('.cp-logs thead tr').children[i].textContent;
        };
        drawn[tr.dataset.progressOf] = { next: Number(tr.dataset.next), match: Number(tr.dataset.match), nextCol: col('td[data-next]'), matchCol: col('td[data-match]') };
      }
      return { drawn, nextIndex: l.nextIndex, matchIndex: l.matchIndex, last: l.log.at(-1).index, leader: l.id };
    });
  };
  let p = await progress();
  assert.deepEqual(Object.keys(p.drawn).sort(), Object.keys(p.nextIndex).sort(), 'a progress row under each follower, none under the leader');
  assert.equal(await pg.locator(`[data-progress-of="${p.leader}"]`).count(), 0);
  for (const [id, d] of Object.entries(p.drawn)) {
    assert.equal(d.next, p.nextIndex[id], `${id} nextIndex`);
    assert.equal(d.match, p.matchIndex[id], `${id} matchIndex`);
    // The markers stand in the columns of those indices (when in view).
    if (d.nextCol !== null) assert.equal(d.nextCol, String(d.next), `${id}: "next" under header ${d.next}`);
    if (d.match > 0) assert.equal(d.matchCol, String(d.match), `${id}: "match" under header ${d.match}`);
  }
  assert.ok(p.drawn[follower].next < p.last + 1, `the restarted follower lags: next ${p.drawn[follower].next}, leader's last index ${p.last}`);
  const up = Object.keys(p.drawn).filter((id) => id !== follower);
  for (const id of up) assert.equal(p.drawn[id].next, p.last + 1, `${id} is up to date`);
  const a = await aligned(pg, '.cp-logs', 'data-entry');
  assert.ok(a.n >= 5 * 4, `cells compared: ${a.n}`);
  assert.deepEqual(a.off, [], 'cell i of every row has the x of header i');
  assert.equal(a.rows, 0, 'every row has its header cell');

  // Played on, the follower catches up: its next reaches the leader's last index + 1.
  await pg.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction((f) => {
    const s = document.querySelector('consensus-playground').simulation;
    const l = s.nodes().find((n) => n.id === s.leader());
    return l.matchIndex[f] === l.log.at(-1).index;
  }, follower);
  await pg.getByRole('button', { name: 'Pause' }).first().click(); // the toolbar's (the node's own follows)
  p = await progress();
  assert.equal(p.drawn[follower].next, p.last + 1);
  assert.equal(p.drawn[follower].match, p.last);
  assert.equal(p.drawn[follower].matchCol, String(p.last));
  // Readable as a table: index headers and one row header per row.
  assert.equal(await pg.locator('.cp-logs thead th[scope="col"]').first().textContent(), 'index');
  assert.equal(await pg.getByRole('rowheader', { name: new RegExp(`^${p.leader}`) }).count(), 1);
  assert.match(await pg.locator(`[data-log-of="${p.leader}"] th`).textContent(), /leader$/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('raft grid: a violation that names a log index (no-log-check) highlights that column', async () => {
  const { page, errors } = await open('?check=0&nodes=3&events=20000&faults=crash,pause,partition,cut,drop,duplicate,reorder&bug=no-log-check');
  const pg = page.locator('consensus-playground');
  await pg.locator('.cp-banner').waitFor();
  const v = await pg.evaluate((el) => el.simulation.violations()[0]);
  assert.equal(v.rule, 'Leader Completeness');
  assert.ok(Number.isInteger(v.index) && v.detail.includes(`index ${v.index}`), JSON.stringify(v));
  const bad = pg.locator('.cp-logs thead th.cp-bad');
  await bad.waitFor();
  assert.equal(await bad.count(), 1);
  assert.equal(await bad.textContent(), String(v.index));
  // Its column is in view inside the grid's box, and the cells under it are marked too.
  const [box, th] = [await pg.locator('.cp-logs .cp-grid-scroll').boundingBox(), await bad.boundingBox()];
  assert.ok(th.x >= box.x && th.x + th.width <= box.x + box.width, `${JSON.stringify(th)} in ${JSON.stringify(box)}`);
  const under = await pg.locator('.cp-logs tbody td.cp-bad').evaluateAll((tds) => tds.map((td) => Math.round(td.getBoundingClientRect().left)));
  assert.ok(under.length >= 1);
  for (const x of under) assert.equal(x, Math.round(th.x));
  assert.deepEqual(errors, []);
  await page.close();
});

test('raft grid: a long log scrolls inside its box with the newest index in view; at 400 px the page does not scroll sideways', async () => {
  const { page, errors } = await open('?nodes=3&seed=2&speed=1&snapshot-interval=off', { width: 400, height: 800 });
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  await pg.evaluate((el) => { for (let i = 0; i < 40; i++) el.simulation.clientRequest(`w=${i}`); });
  await page.waitForFunction(() => document.querySelectorAll('[data-log-of] [data-entry="41"][data-committed="true"]').length === 3);
  await pg.getByRole('button', { name: 'Pause' }).click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const box = await pg.locator('.cp-logs .cp-grid-scroll').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 400, JSON.stringify(box));
  const heads = await pg.locator('.cp-logs thead th').allTextContents();
  assert.equal(heads[1], '…', 'older indices are left out');
  const newest = pg.locator('.cp-logs thead th').last();
  const th = await newest.boundingBox();
  assert.ok(th.x + th.width <= box.x + box.width + 1 && th.x >= box.x, `the newest column is in view: ${JSON.stringify(th)} in ${JSON.stringify(box)}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('paxos grid: slots line up under their headers; a violation that names a slot (minority-quorum) highlights its column', async () => {
  const { page, errors } = await open('?protocol=paxos&check=0&nodes=3&events=20000&faults=all&bug=minority-quorum');
  const pg = page.locator('consensus-playground');
  await pg.locator('.cp-banner').waitFor();
  const v = await pg.evaluate((el) => el.simulation.violations()[0]);
  assert.ok(Number.isInteger(v.index) && v.detail.includes(`slot ${v.index}`), JSON.stringify(v));
  const bad = pg.locator('.cp-slots thead th.cp-bad');
  await bad.waitFor();
  assert.equal(await bad.textContent(), String(v.index));
  const a = await aligned(pg, '.cp-slots', 'data-slot');
  assert.ok(a.n >= 3, `cells compared: ${a.n}`);
  assert.deepEqual(a.off, []);
  assert.equal(a.rows, 0);
  const x = Math.round((await bad.boundingBox()).x);
  for (const cx of await pg.locator('.cp-slots tbody td.cp-bad').evaluateAll((tds) => tds.map((td) => Math.round(td.getBoundingClientRect().left)))) assert.equal(cx, x);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pbft grid: sequence numbers line up under their headers, each cell its digest and phase; the primary is marked; a broken agreement highlights its sequence number', async () => {
  const { page, errors } = await open('?protocol=pbft&nodes=4&seed=8');
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Pause' }).click();
  await pg.getByRole('button', { name: 'Reset' }).click();
  await pg.evaluate((el) => {
    el.simulation.setByzantine('n1', 'equivocate');
    el.simulation.setByzantine('n2', 'equivocate');
  });
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Request', exact: true }).click();
  await pg.getByRole('slider', { name: 'Speed' }).fill('80');
  await pg.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => /Safety violation — Agreement/.test(document.querySelector('.cp-banner')?.textContent));
  await pg.getByRole('button', { name: 'Pause' }).click();
  const v = await pg.evaluate((el) => el.simulation.violations()[0]);
  assert.ok(Number.isInteger(v.index) && v.detail.includes(`sequence number ${v.index}`), JSON.stringify(v));
  const bad = pg.locator('.cp-pbft thead th.cp-bad');
  await bad.waitFor();
  assert.equal(await bad.textContent(), String(v.index));
  const a = await aligned(pg, '.cp-pbft', 'data-seq');
  assert.ok(a.n >= 4, `cells compared: ${a.n}`);
  assert.deepEqual(a.off, []);
  assert.equal(a.rows, 0);
  // A cell with a pre-prepare shows its digest (4 hex digits) under the phase.
  const cell = await pg.locator(`[data-phases-of="n3"] td[data-seq="${v.index}"]`).textContent();
  assert.match(cell, /^(pp|p|c|✓)[0-9a-f]{4}$/);
  // The columns run from the low watermark h (its checkpoint) to the high one H (K = 10: a window of 20).
  const heads = await pg.locator('.cp-pbft thead th[data-col]').allTextContents();
  const n3 = await pg.evaluate((el) => el.simulation.nodes().find((n) => n.id === 'n3'));
  assert.equal(heads[0], String(Math.max(1, n3.lowWatermark)));
  assert.equal(heads.at(-1), String(n3.highWatermark));
  // The primary (here a traitor too) is marked in its row header.
  assert.match(await pg.locator('[data-phases-of="n1"] th').textContent(), /^n1primary ⚠$/);
  assert.equal(await pg.locator('[data-phases-of="n1"].cp-leader-row').count(), 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('paxos grid: a gap in the slots is marked until a new leader fills it with a no-op (§3)', async () => {
  const { page, errors } = await open('?protocol=paxos&nodes=3&seed=2');
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Pause' }).click();
  await pg.getByRole('button', { name: 'Reset' }).click();
  // n1 leads, proposes x=1 in slot 1 and y=2 in slot 2; every Accept (and Commit) of slot 1 is
  // lost; n1 crashes. n2 and n3 hold y=2 in slot 2, nothing in slot 1.
  await paxosGap(pg);
  for (const id of ['n2', 'n3']) {
    await pg.locator(`[data-slots-of="${id}"] td[data-slot="1"][data-gap]`).waitFor();
    assert.equal(await pg.locator(`[data-slots-of="${id}"] td[data-slot="2"]`).getAttribute('data-value'), 'y=2');
  }
  assert.equal(await pg.locator('[data-slots-of="n1"] td[data-slot="1"][data-gap]').count(), 0, 'n1 accepted x=1 there');
  await pg.getByRole('slider', { name: 'Speed' }).fill('100');
  await pg.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => ['n2', 'n3'].every((id) => document.querySelector(`[data-slots-of="${id}"] [data-slot="1"]`)?.dataset.chosen === 'true'));
  for (const id of ['n2', 'n3']) {
    const one = pg.locator(`[data-slots-of="${id}"] td[data-slot="1"]`);
    assert.equal(await one.getAttribute('data-value'), 'no-op');
    assert.equal(await one.getAttribute('data-gap'), null);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
