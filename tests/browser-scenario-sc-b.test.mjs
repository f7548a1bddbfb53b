// The guided scenarios of PBFT, chained HotStuff and gossip (issue #14 §2: www/scenarios/pbft/,
// hotstuff/, gossip/), in headless Chromium: each is walked from start to end as a reader who
// presses Skip ahead, Do it for me and Next, and at the steps whose captions state a fact about
// the run, the run is checked for that fact (the view moved to 1 and the request still
// committed; f + 1 traitors broke Agreement; a block committed by the three-chain rule with the
// lock one block above it; push-pull informs everyone before pull, and pull before push; …).
// Waits are for conditions on the page, never for a length of time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage } from './browser-page.mjs';

const open = browserPage();

const panel = (pg) => pg.locator('.cp-scenario');

/**
 * Walks scenario `protocol/name` from its first step to Finish; after step i's moment (and its
 * task, done by Do it for me) runs `checks[i](pg, sim)` with `sim(fn)`: fn(el.simulation) in the
 * page. Returns what the checks returned, by step.
 */
async function walk(protocol, name, checks = {}) {
  const { page, errors } = await open(`?protocol=${protocol}&scenario=${name}`, undefined, '.cp-scenario .cp-sc-label');
  const pg = page.locator('consensus-playground');
  const sim = (fn, arg) => pg.evaluate((el, [src, a]) => new Function('sim', 'arg', `return (${src})(sim, arg)`)(el.simulation, a), [fn.toString(), arg]);
  const n = await panel(pg).locator('.cp-sc-label').textContent().then((t) => Number(/of (\d+)/.exec(t)[1]));
  const seen = {};
  for (let i = 1; i <= n; i++) {
    await panel(pg).locator('.cp-sc-label', { hasText: `Step ${i} of` }).waitFor();
    await pg.evaluate((el) => [...el.querySelectorAll('.cp-scenario button')].find((b) => b.textContent === 'Skip ahead' && !b.hidden)?.click());
    await panel(pg).locator('.cp-sc-caption').filter({ hasText: /./ }).waitFor();
    const doIt = panel(pg).getByRole('button', { name: 'Do it for me' });
    if (await doIt.isVisible()) {
      await doIt.click();
      await panel(pg).getByRole('button', { name: i === n ? 'Finish' : 'Next' }).and(page.locator(':enabled')).waitFor();
    }
    if (checks[i]) seen[i] = await checks[i](pg, sim, await panel(pg).locator('.cp-sc-caption').textContent());
    await panel(pg).getByRole('button', { name: i === n ? 'Finish' : 'Next' }).click();
  }
  await panel(pg).locator('.cp-sc-label', { hasText: 'Finished' }).waitFor();
  assert.deepEqual(errors, [], `${protocol}/${name}`);
  await page.close();
  return seen;
}

test('pbft/normal-case: pre-prepare, then prepares, then commits; every replica executes the request at sequence number 1 in view 0', async () => {
  await walk('pbft', 'normal-case', {
    1: async (pg, sim) => assert.deepEqual(await sim((s) => [s.nodes().length, s.leader(), s.config.faultsTolerated, s.config.quorum]), [4, 'n1', 1, 3]),
    3: async (pg, sim) => assert.ok(await sim((s) => s.messages().some((m) => m.kind === 'Prepare' && m.from !== 'n1'))),
    4: async (pg, sim) => {
      // The replica that sends a Commit is prepared: the pre-prepare and 2f = 2 matching prepares.
      const prepared = await sim((s) => s.nodes().filter((n) => n.log.some((e) => e.seq === 1 && e.phase === 'prepared')).map((n) => n.log.find((e) => e.seq === 1).prepares.length));
      assert.ok(prepared.length >= 1 && prepared.every((k) => k >= 2), `prepared with ≥ 2 prepares: ${prepared}`);
    },
    5: async (pg, sim) => assert.ok((await sim((s) => s.nodes().filter((n) => n.executed === 1).length)) >= 1),
    6: async (pg, sim) => assert.deepEqual(await sim((s) => s.nodes().map((n) => [n.view, n.executed])), [[0, 1], [0, 1], [0, 1], [0, 1]]),
  });
});

test('pbft/traitor-primary: the silent primary n1 is replaced by a view change to view 1 (primary n2), and the request is still committed', async () => {
  await walk('pbft', 'traitor-primary', {
    2: async (pg, sim) => assert.equal(await sim((s) => s.byzantine().n1), 'silent'),
    4: async (pg, sim) => assert.deepEqual(await sim((s) => s.nodes().filter((n) => n.status === 'view-change').map((n) => n.view)), [1, 1, 1]),
    6: async (pg, sim) => {
      const [leader, honest, committed] = await sim((s) => [s.leader(), s.nodes().filter((n) => !n.byzantine).map((n) => [n.view, n.executed]), s.stats().committed]);
      assert.equal(leader, 'n2');
      assert.ok(committed >= 1);
      assert.ok(honest.every(([v]) => v === 1) && honest.some(([, e]) => e === 1), JSON.stringify(honest));
      assert.deepEqual(await sim((s) => s.violations()), []);
    },
  });
});

test('pbft/too-many-traitors: one equivocating primary breaks nothing; with a second traitor n3 and n4 commit different requests at sequence number 2 (Agreement)', async () => {
  await walk('pbft', 'too-many-traitors', {
    3: async (pg, sim) => {
      assert.deepEqual(await sim((s) => s.violations()), []);
      // n2 and n4 executed a at 1; n3 holds the null request's pre-prepare there and waits.
      const log = await sim((s) => Object.fromEntries(s.nodes().map((n) => [n.id, [n.executed, n.log.find((e) => e.seq === 1)?.request?.operation ?? null]])));
      assert.deepEqual([log.n2, log.n4, log.n3], [[1, 'a'], [1, 'a'], [0, null]]);
    },
    6: async (pg, sim) => {
      const v = await sim((s) => s.violations());
      assert.equal(v.length, 1);
      assert.equal(v[0].rule, 'Agreement');
      assert.match(v[0].detail, /sequence number 2/);
      assert.deepEqual(await sim((s) => s.byzantine()), { n1: 'equivocate', n2: 'equivocate' });
    },
  });
});

test('hotstuff/normal-case: votes go to the next leader; the first commit is the view-1 block, with lockedQC on the view-2 block; the command commits', async () => {
  await walk('hotstuff', 'normal-case', {
    2: async (pg, sim) => assert.ok(await sim((s) => s.messages().some((m) => m.kind === 'Vote' && m.to === 'n3'))),
    4: async (pg, sim) => {
      const n1 = await sim((s) => s.nodes().find((n) => n.id === 'n1'));
      assert.equal(n1.executedHeight, 1);
      assert.equal(n1.lockedQc.view, 2);
      assert.equal(n1.blocks.find((b) => b.id === n1.executedBlock).view, 1);
    },
    6: async (pg, sim) => {
      // Every replica has executed the block that carries the command.
      const ok = await sim((s) => s.nodes().every((n) => n.blocks.some((b) => b.commands.length && b.height <= n.executedHeight)));
      assert.ok(ok);
      assert.deepEqual(await sim((s) => s.violations()), []);
    },
  });
});

test('hotstuff/leader-crash: the leader n3 crashes, the pacemaker times out, the votes for view 1 are re-sent to n4, which leads view 3 on their QC; blocks commit on three consecutive views and nothing forks', async () => {
  await walk('hotstuff', 'leader-crash', {
    2: async (pg, sim) => assert.ok(await sim((s) => s.nodes().find((n) => n.id === 'n3').crashed)),
    3: async (pg, sim, caption) => {
      assert.equal(await sim((s) => s.eventsSince(0).filter((e) => e.kind === 'timeout')[0].text.split(' ')[0]), "n2's");
      assert.match(caption, /At 161 ms/); // the first timeout: the step is reached at that event (view 2 began at 11 ms)
    },
    4: async (pg, sim) => {
      // n4 counted the votes n2, n1 and n4 re-sent for n2's view-1 block, and proposes on their QC.
      const ev = await sim((s) => s.eventsSince(0).map((e) => e.text));
      assert.ok(ev.some((t) => /^n4 has 3 of 3 votes for block #\w+ of view 1: a QC/.test(t)), 'a QC of view 1 at n4');
      assert.match(ev.filter((t) => / leads view /.test(t)).at(-1), /^n4 leads view 3: proposes block #\w+ at height 2 .*justified by a QC of view 1$/);
    },
    5: async (pg, sim) => {
      const [timeouts, committed] = await sim((s) => [s.eventsSince(0).filter((e) => e.kind === 'timeout').map((e) => Math.round(e.time)), s.stats().committed]);
      assert.ok(committed >= 1);
      assert.ok(timeouts.includes(375), `timeouts at ${timeouts}`);
      // n4 committed its view-3 block (the base of the three-chain of views 3, 4 and 5), and
      // n2's view-1 block below it; its highest QC is of view 5, formed from re-sent votes.
      const n4 = await sim((s) => s.nodes().find((n) => n.id === 'n4'));
      const b = n4.blocks.find((x) => x.id === n4.executedBlock);
      assert.deepEqual([b.view, b.height, b.proposer], [3, 2, 'n4']);
      assert.deepEqual([n4.highQc.view, n4.lockedQc.view], [5, 4]);
      const parent = n4.blocks.find((x) => x.id === b.parent);
      assert.deepEqual([parent.view, parent.height, parent.proposer], [1, 1, 'n2']);
    },
    7: async (pg, sim) => {
      const [n3, violations] = await sim((s) => [s.nodes().find((n) => n.id === 'n3'), s.violations()]);
      assert.ok(!n3.crashed && n3.executedHeight > 0);
      assert.deepEqual(violations, []);
      // Since the restart: n3 led a view, and no pacemaker timed out.
      const since = await sim((s) => { const ev = s.eventsSince(0); const r = ev.findLast((e) => e.kind === 'restart'); return ev.filter((e) => e.time > r.time).map((e) => [e.kind, e.text.split(' ')[0]]); });
      assert.ok(since.some(([k, who]) => k === 'leader' && who === 'n3'));
      assert.ok(!since.some(([k]) => k === 'timeout'));
    },
  });
});

test('hotstuff/traitor-leader: n2 equivocates in view 5 and only one of its blocks gets a QC; its fork in view 9 gets no vote; no violation', async () => {
  await walk('hotstuff', 'traitor-leader', {
    3: async (pg, sim) => {
      const blocks = await sim((s) => [...new Set(s.messages().filter((m) => m.kind === 'Proposal' && m.from === 'n2' && m.view === 5).map((m) => m.block.id))]);
      assert.equal(blocks.length, 2, 'two different blocks for view 5');
    },
    4: async (pg, sim) => {
      // n1 voted for one block, n3 and n4 for the other.
      const votes = await sim((s) => Object.fromEntries(s.eventsSince(0).map((e) => /^(n\d) votes for n2's block (#\w+) \(view 5/.exec(e.text)).filter(Boolean).map((m) => [m[1], m[2]])));
      assert.equal(votes.n3, votes.n4);
      assert.notEqual(votes.n1, votes.n3);
      const qc = await sim((s) => s.nodes().find((n) => n.id === 'n3').highQc);
      assert.equal(qc.view, 5);
      assert.equal(qc.voters.length, 3);
    },
    6: async (pg, sim) => {
      const refusals = await sim((s) => s.eventsSince(0).filter((e) => /safeNode fails/.test(e.text)).map((e) => e.text.split(' ')[0]));
      assert.deepEqual([...new Set(refusals)].sort(), ['n1', 'n3', 'n4']);
    },
    7: async (pg, sim) => assert.deepEqual(await sim((s) => s.violations()), []),
  });
});

test('gossip/push-pull-race: the same write reaches all 16 agents fastest with push-pull, then pull, then push', async () => {
  // The Gossip panel reads x from the agents' stores: the scenario's writes (Do it for me, and
  // steps 3 and 5's own) show there as a click on Write here does.
  const clock = async (pg, sim) => {
    await pg.locator('.cp-gs-summary', { hasText: '16 of 16 informed — x = v1 (version 1@n1, written at n1)' }).waitFor();
    return sim((s) => [s.now, s.nodes().filter((n) => n.clock === 1).length]);
  };
  const seen = await walk('gossip', 'push-pull-race', { 2: clock, 4: clock, 6: clock });
  const [push, pull, pushPull] = [seen[2], seen[4], seen[6]];
  for (const [, informed] of [push, pull, pushPull]) assert.equal(informed, 16);
  assert.ok(pushPull[0] < pull[0] && pull[0] < push[0], `push ${push[0]}, pull ${pull[0]}, push-pull ${pushPull[0]} ms`);
  // "about 7 to 8 rounds", "about 3 to 4 rounds" (100 ms rounds).
  assert.ok(push[0] >= 700 && push[0] < 800 && pushPull[0] >= 300 && pushPull[0] < 400);
});

test('gossip/rumor-mongering: without anti-entropy the rumor dies leaving 2 agents that never heard; with it, 1 is left when the rumor dies and anti-entropy reaches it', async () => {
  const count = (pg, sim) => sim((s) => [s.nodes().filter((n) => n.clock === 0).length, s.nodes().filter((n) => n.hot.length).length]);
  const seen = await walk('gossip', 'rumor-mongering', { 2: count, 4: count, 5: count });
  assert.deepEqual(seen[2], [2, 0]);
  assert.deepEqual(seen[4], [1, 0]);
  assert.equal(seen[5][0], 0);
});

test('gossip/attestations: with honest agents all 16 reject the false claim; a Sybil and three liars make the 12 honest accept it; members-only makes them reject it', async () => {
  // The panel's tally reads the latest claim from the agents' stores: the scenario's claims show
  // there as Publish does (without a time to decide: the page did not see it published).
  const tally = async (pg, sim) => {
    const t = await sim((s) => s.tally('c1'));
    await pg.locator('.cp-gs-attest-body', { hasText: `${t.accepted + t.rejected + t.undecided} honest agents: ${t.accepted} accepted the false claim, ${t.rejected} rejected it, 0 undecided — decided` }).waitFor();
    return t;
  };
  const first = async (pg, sim) => {
    // "Two honest checks were wrong (n6 and n12 attested valid)".
    const valid = await sim((s) => s.nodes()[0].store.filter((e) => e.key.startsWith('att/c1/') && e.value === 'valid').map((e) => e.key.slice(7)));
    assert.deepEqual(valid.sort(), ['n12', 'n6']);
    return tally(pg, sim);
  };
  const seen = await walk('gossip', 'attestations', { 2: first, 4: tally, 6: tally });
  assert.deepEqual([seen[2].accepted, seen[2].rejected, seen[2].undecided], [0, 16, 0]);
  assert.deepEqual([seen[4].accepted, seen[4].rejected, seen[4].undecided], [12, 0, 0]);
  assert.deepEqual([seen[6].accepted, seen[6].rejected, seen[6].undecided], [0, 12, 0]);
});
