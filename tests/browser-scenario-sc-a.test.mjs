// The guided scenarios of Multi-Paxos, majority voting and the Byzantine Generals (issue #14 §2),
// in headless Chromium: each from start to end as a reader who presses Skip ahead, Do it for me
// and Next, checking that every step with `when` was reached because its condition held (before
// its `within` ran out, so the panel shows the caption, not `otherwise`), and that the run shows
// what the captions claim: in dueling-proposers, ballots preempted again and again with nothing
// chosen, then a decision; in gap-fill, the no-op in the gap; the quorum rules' outcomes; the
// generals' decisions and, with three, IC2's violation. Waits are for conditions on the page.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { browserPage } from './browser-page.mjs';

const open = browserPage();
const ROOT = join(import.meta.dirname, '..');
const panel = (pg) => pg.locator('.cp-scenario');
const sim = (pg, fn, arg) => pg.evaluate((el, [src, a]) => new Function('sim', 'arg', `return (${src})(sim, arg)`)(el.simulation, a), [fn.toString(), arg]);

/**
 * Plays scenario protocol/name from start to end; `checks[i]` (1-based step) runs once step i
 * is shown (after its task, if any). Returns the page's errors.
 */
async function play(protocol, name, checks = {}) {
  const s = JSON.parse(readFileSync(join(ROOT, 'www/scenarios', protocol, `${name}.json`), 'utf8'));
  const { page, errors } = await open(`?protocol=${protocol}&scenario=${name}`, undefined, '.cp-scenario .cp-sc-label');
  const pg = page.locator('consensus-playground');
  let prev = 0;
  for (let i = 1; i <= s.steps.length; i++) {
    const st = s.steps[i - 1];
    await panel(pg).locator('.cp-sc-label', { hasText: `Step ${i} of` }).waitFor();
    await pg.evaluate((el) => [...el.querySelectorAll('.cp-scenario button')].find((b) => b.textContent === 'Skip ahead' && !b.hidden)?.click());
    await panel(pg).locator('.cp-sc-caption').filter({ hasText: /./ }).waitFor();
    const now = await pg.evaluate((el) => el.simulation.now);
    // A step's wait starts when the previous step was left (at 0 in a new run: `set`).
    if (st.when) assert.ok(now - (st.set ? 0 : prev) < st.within, `${protocol}/${name} step ${i}: its condition held before ${st.within} ms (at ${now})`);
    if (st.task) {
      await panel(pg).getByRole('button', { name: 'Do it for me' }).click();
      await panel(pg).locator('.cp-sc-status').filter({ hasText: st.task.done }).waitFor();
    }
    await checks[i]?.(pg, page);
    prev = await pg.evaluate((el) => el.simulation.now);
    await panel(pg).getByRole('button', { name: i === s.steps.length ? 'Finish' : 'Next' }).click();
  }
  await panel(pg).locator('.cp-sc-label', { hasText: 'Finished' }).waitFor();
  assert.deepEqual(await sim(pg, (x) => x.violations().map((v) => v.rule)), s.violation ? [s.violation] : []);
  await page.close();
  return errors;
}

const chosen = (x) => Object.fromEntries(x.nodes().filter((n) => !n.crashed).map((n) => [n.id, Object.fromEntries(n.chosen.map((c) => [c.slot, c.value]))]));

test('paxos/two-phases: n1 leads after phase 1 with no accepted values; the reader’s command is chosen in slot 1', async () => {
  const errors = await play('paxos', 'two-phases', {
    4: async (pg) => assert.equal(await sim(pg, (x) => x.leader()), 'n1'),
    8: async (pg) => {
      const c = await sim(pg, chosen);
      assert.ok(Object.values(c).some((slots) => slots[1] !== undefined), 'a learner knows slot 1 chosen');
      assert.equal(await sim(pg, (x) => x.nodes().filter((n) => n.accepted.some((a) => a.slot === 1)).length >= 3), true, 'a majority accepted it');
    },
  });
  assert.deepEqual(errors, []);
});

test('paxos/dueling-proposers: without backoff n1 and n2 preempt each other for 400 ms with nothing chosen; crashing one, or backoff, settles it', async () => {
  const errors = await play('paxos', 'dueling-proposers', {
    5: async (pg) => {
      const r = await sim(pg, (x) => ({ committed: x.stats().committed, ballots: x.stats().elections, preempted: x.eventsSince(0).filter((e) => e.kind === 'phase1' && /preempted/.test(e.text)).map((e) => e.node) }));
      assert.equal(r.committed, 0, 'nothing chosen at 400 ms');
      assert.ok(r.ballots > 30, `more than 30 ballots (${r.ballots})`);
      assert.ok(r.preempted.filter((n) => n === 'n1').length >= 2 && r.preempted.filter((n) => n === 'n2').length >= 2, 'each proposer was preempted at least twice');
    },
    6: async (pg) => assert.ok(Object.values(await sim(pg, chosen)).some((c) => c[1] === 'x=1'), 'x=1 chosen in slot 1'),
    8: async (pg) => {
      assert.equal(await sim(pg, (x) => x.stats().elections), 2, 'with backoff: two ballots in all');
      assert.equal(await sim(pg, (x) => x.leader()), 'n2');
      assert.ok(Object.values(await sim(pg, chosen)).some((c) => c[1] === 'x=1'), 'x=1 chosen in slot 1');
    },
  });
  assert.deepEqual(errors, []);
});

test('paxos/gap-fill: slot 2 accepted by the crashed n1 alone becomes a no-op; slot 3, accepted by n1 and n2, keeps x=3', async () => {
  const errors = await play('paxos', 'gap-fill', {
    5: async (pg) => {
      const acc = await sim(pg, (x) => Object.fromEntries(x.nodes().map((n) => [n.id, n.accepted.map((a) => `${a.slot}:${a.value}`)])));
      assert.deepEqual(acc.n1, ['1:x=1', '2:x=2', '3:x=3']);
      assert.deepEqual(acc.n2, ['1:x=1', '3:x=3']);
      for (const id of ['n3', 'n4', 'n5']) assert.deepEqual(acc[id], ['1:x=1']);
    },
    8: async (pg) => {
      const c = await sim(pg, chosen);
      for (const id of ['n2', 'n3', 'n4', 'n5']) assert.deepEqual({ ...c[id], 4: undefined }, { 1: 'x=1', 2: null, 3: 'x=3', 4: undefined }, id);
    },
  });
  assert.deepEqual(errors, []);
});

const results = (pg) => sim(pg, (x) => x.results().map((r) => ({ status: r.status, for: r.votes.for, total: r.votes.total, q: r.quorumRequired })));

test('vote/quorum-kinds: the same voters pass a proposal by majority, fail it by supermajority and by a weighted majority; Back returns to the majority run', async () => {
  const errors = await play('vote', 'quorum-kinds', {
    2: async (pg) => assert.deepEqual((await results(pg)).map((r) => [r.status, r.q, r.total]), [['accepted', 3, 5]]),
    4: async (pg) => {
      assert.deepEqual(await results(pg), [{ status: 'rejected', for: 3, total: 5, q: 4 }]);
      // Back twice: the first run again, its settings (quorum majority) and its outcome.
      for (const n of [3, 2]) {
        await panel(pg).getByRole('button', { name: 'Back' }).click();
        await panel(pg).locator('.cp-sc-label', { hasText: `Step ${n} of` }).waitFor();
      }
      await pg.page().waitForFunction(() => document.querySelector('consensus-playground').simulation?.results().length === 1);
      assert.equal(await pg.getAttribute('quorum'), 'majority');
      assert.deepEqual((await results(pg)).map((r) => [r.status, r.q]), [['accepted', 3]]);
      for (const n of [3, 4]) {
        await panel(pg).getByRole('button', { name: 'Next' }).click();
        await panel(pg).locator('.cp-sc-label', { hasText: `Step ${n} of` }).waitFor();
      }
      await pg.page().waitForFunction(() => document.querySelector('consensus-playground').simulation?.results()[0]?.status === 'rejected');
    },
    6: async (pg) => assert.deepEqual(await results(pg), [{ status: 'rejected', for: 3, total: 7, q: 4 }]),
  });
  assert.deepEqual(errors, []);
});

test('vote/small-quorum: with quorum 2 of 5 two conflicting proposals both pass and the voters disagree; the bug half-threshold is caught', async () => {
  const errors = await play('vote', 'small-quorum', {
    4: async (pg) => {
      assert.deepEqual((await results(pg)).map((r) => r.status), ['accepted', 'accepted']);
      assert.equal(await sim(pg, (x) => x.nodes()[0].quorumsIntersect), false);
      assert.equal(await pg.locator('.cp-vt-warn').isVisible(), true, 'the Votes panel warns');
    },
    5: async (pg) => assert.deepEqual(await sim(pg, (x) => x.nodes().map((n) => n.values.x)), ['2', '1', '1', '2', '1']),
  });
  assert.deepEqual(errors, []);
});

test('vote/weighted: a weight-4 voter and one ally pass a proposal 2 heads to 3; at weight 2 the same votes fail', async () => {
  const errors = await play('vote', 'weighted', {
    3: async (pg) => assert.deepEqual(await results(pg), [{ status: 'accepted', for: 5, total: 8, q: 5 }]),
    6: async (pg) => assert.deepEqual((await results(pg))[1], { status: 'rejected', for: 3, total: 6, q: 4 }),
  });
  assert.deepEqual(errors, []);
});

const decisions = (pg) => sim(pg, (x) => Object.fromEntries(x.nodes().filter((n) => n.state === 'lieutenant').map((n) => [n.id, n.runs.at(-1)?.decision ?? null])));

test('generals/three-generals: a lying commander and a lying lieutenant look the same to n2; OM(1) with n = 3 breaks IC2', async () => {
  const errors = await play('generals', 'three-generals', {
    2: async (pg) => assert.deepEqual(await decisions(pg), { n2: 'retreat', n3: 'retreat' }),
    6: async (pg) => {
      assert.equal((await decisions(pg)).n2, 'retreat');
      assert.match(await sim(pg, (x) => x.violations()[0].detail), /N ≤ 3m/);
    },
  });
  assert.deepEqual(errors, []);
});

test('generals/four-generals: with a lying lieutenant the loyal ones obey retreat, in 9 messages', async () => {
  const errors = await play('generals', 'four-generals', {
    5: async (pg) => {
      assert.deepEqual(await decisions(pg), { n2: 'retreat', n3: 'retreat', n4: 'retreat' });
      assert.equal(await sim(pg, (x) => x.stats().messagesSent), 9);
    },
  });
  assert.deepEqual(errors, []);
});

test('generals/traitor-commander: lieutenants agree whether the commander sends two orders or none to n3', async () => {
  const all = { n2: 'attack', n3: 'attack', n4: 'attack' };
  const errors = await play('generals', 'traitor-commander', {
    3: async (pg) => assert.deepEqual(await sim(pg, (x) => x.messages().map((m) => [m.to, m.order]).sort()), [['n2', 'attack'], ['n3', 'retreat'], ['n4', 'attack']]),
    5: async (pg) => assert.deepEqual(await decisions(pg), all),
    7: async (pg) => assert.deepEqual(await decisions(pg), all),
  });
  assert.deepEqual(errors, []);
});

/** Goes on from the shown step to step n's moment (Next, then Skip ahead). */
async function next(pg, n) {
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await panel(pg).locator('.cp-sc-label', { hasText: `Step ${n} of` }).waitFor();
  await pg.evaluate((el) => [...el.querySelectorAll('.cp-scenario button')].find((b) => b.textContent === 'Skip ahead' && !b.hidden)?.click());
  await panel(pg).locator('.cp-sc-caption').filter({ hasText: /./ }).waitFor();
}

test('the tasks as a reader does them: a weight typed in the Votes panel, a Traitor menu, Order attack, Crash and Try to lead on a node', async () => {
  // weighted, step 4: n1's weight typed in.
  let { page, errors } = await open('?protocol=vote&scenario=weighted', undefined, '.cp-scenario .cp-sc-label');
  let pg = page.locator('consensus-playground');
  for (const n of [2, 3, 4]) await next(pg, n);
  await pg.getByLabel("n1's weight").fill('2');
  await pg.getByLabel("n1's weight").press('Tab');
  await panel(pg).locator('.cp-sc-status', { hasText: 'n1 now weighs 2' }).waitFor();
  await next(pg, 5);
  await next(pg, 6);
  assert.deepEqual((await results(pg))[1], { status: 'rejected', for: 3, total: 6, q: 4 });
  assert.deepEqual(errors, []);
  await page.close();

  // three-generals, steps 3 and 4: n3's Traitor menu, then Order attack in the toolbar.
  ({ page, errors } = await open('?protocol=generals&scenario=three-generals', undefined, '.cp-scenario .cp-sc-label'));
  pg = page.locator('consensus-playground');
  for (const n of [2, 3]) await next(pg, n);
  await pg.locator('[data-node="n3"]').click();
  await pg.getByLabel('n3: honest or a traitor (Byzantine behaviour)').selectOption('"flip"');
  await panel(pg).locator('.cp-sc-status', { hasText: 'n3 is a traitor now' }).waitFor();
  await next(pg, 4);
  await pg.getByRole('button', { name: 'Order attack', exact: true }).first().click(); // the toolbar's (n3's actions have none)
  await panel(pg).locator('.cp-sc-status', { hasText: 'At the next round' }).waitFor();
  for (const n of [5, 6]) await next(pg, n);
  assert.deepEqual(await sim(pg, (x) => x.violations().map((v) => v.rule)), ['IC2']);
  assert.deepEqual(errors, []);
  await page.close();

  // dueling-proposers, step 5: Crash on n2; gap-fill, step 5: Try to lead on n2.
  ({ page, errors } = await open('?protocol=paxos&scenario=dueling-proposers', undefined, '.cp-scenario .cp-sc-label'));
  pg = page.locator('consensus-playground');
  for (const n of [2, 3, 4, 5]) await next(pg, n);
  await pg.locator('[data-node="n2"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Crash' }).click();
  await panel(pg).locator('.cp-sc-status', { hasText: 'no rival left' }).waitFor();
  await next(pg, 6);
  assert.ok(Object.values(await sim(pg, chosen)).some((c) => c[1] === 'x=1'));
  assert.deepEqual(errors, []);
  await page.close();

  ({ page, errors } = await open('?protocol=paxos&scenario=gap-fill', undefined, '.cp-scenario .cp-sc-label'));
  pg = page.locator('consensus-playground');
  for (const n of [2, 3, 4, 5]) await next(pg, n);
  await pg.locator('[data-node="n2"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Try to lead' }).click();
  await panel(pg).locator('.cp-sc-status', { hasText: 'n2 runs phase 1' }).waitFor();
  await next(pg, 6);
  assert.equal(await sim(pg, (x) => x.leader()), 'n2');
  assert.deepEqual(errors, []);
  await page.close();
});
