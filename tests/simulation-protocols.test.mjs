// The JS Simulation hosts every mechanism (issue #11 §3): `new Simulation({protocol: 'paxos' |
// 'vote', …})`, the generic methods for each, their views and options, each mechanism's own
// actions, and errors that name the parameter and the rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pkg, { throwsError } from './wasm-package.mjs';

const { Simulation } = pkg;

test('every mechanism answers the generic methods (step, runUntil, nodes, messages, faults, stats, events)', () => {
  for (const protocol of ['raft', 'paxos', 'vote']) {
    const sim = new Simulation({ protocol, nodes: 3, seed: 2 });
    assert.equal(sim.protocol, protocol);
    assert.equal(sim.config.protocol, protocol);
    assert.deepEqual(sim.ids, ['n1', 'n2', 'n3']);
    sim.runUntil(1000);
    sim.clientRequest('c1');
    sim.runUntil(1500);
    assert.ok(sim.step() === null || typeof sim.step().kind === 'string');
    assert.ok(sim.nodes().every((n) => n.id && typeof n.state === 'string' && n.crashed === false && n.paused === false), protocol);
    assert.ok(Array.isArray(sim.messages()));
    sim.crash('n3');
    sim.pause('n2');
    sim.resume('n2');
    sim.restart('n3');
    sim.cutLink('n1', 'n2', true);
    sim.repairLink('n1', 'n2', true);
    sim.partition([['n1'], ['n2', 'n3']]);
    sim.heal();
    sim.setDropRate(0.1);
    sim.setDuplicateRate(0.1);
    sim.runUntil(3000);
    assert.ok(sim.stats().messagesSent > 0, protocol);
    assert.ok(sim.eventsSince(0).length > 0, protocol);
    assert.deepEqual(sim.violations(), [], protocol);
    assert.ok(Simulation.bugList(protocol).length >= 4, protocol);
    throwsError(() => sim.crash('n9'), /^id must be a node id, n1 to n3/);
  }
});

test('paxos: a leader runs phase 1, then a client command is chosen in a slot and every node learns it (Paxos Made Simple §3)', () => {
  const sim = new Simulation({ protocol: 'paxos', nodes: 3, seed: 1 });
  assert.deepEqual(
    { heartbeatMs: sim.config.heartbeatMs, leaderTimeoutMs: sim.config.leaderTimeoutMs, backoff: sim.config.backoff, backoffMs: sim.config.backoffMs },
    { heartbeatMs: 50, leaderTimeoutMs: 200, backoff: true, backoffMs: 150 },
  );
  sim.runUntil(2000);
  const leader = sim.leader();
  assert.ok(leader, 'someone leads');
  const l = sim.nodes().find((n) => n.id === leader);
  assert.equal(l.state, 'leader');
  assert.equal(l.ballot.nodeId, leader);
  const reply = sim.clientRequest({ put: 'x' });
  assert.equal(reply.accepted, true);
  sim.runUntil(2500);
  for (const n of sim.nodes()) {
    assert.ok(n.chosen.some((c) => c.slot === reply.index && c.value?.put === 'x'), `${n.id} learned slot ${reply.index}`);
    assert.ok(n.accepted.some((a) => a.slot === reply.index && a.ballot.round === l.ballot.round));
  }
  // A node told to try to lead runs phase 1 with a higher ballot.
  const other = sim.ids.find((id) => id !== leader);
  sim.startElection(other);
  assert.ok(sim.messages().some((m) => m.kind === 'Prepare' && m.from === other && m.ballot.round > l.ballot.round));
  sim.runUntil(3500);
  assert.deepEqual(sim.violations(), []);
});

test('paxos: options and bug switches are validated; fromCheck replays a check run', () => {
  throwsError(() => new Simulation({ protocol: 'paxos', heartbeatMs: -1 }), /^heartbeatMs must be a number of ms/);
  throwsError(() => new Simulation({ protocol: 'paxos', electionTimeoutMs: [1, 2] }), /^options\.electionTimeoutMs is not an option; the options are protocol, seed, nodes, .*heartbeatMs, leaderTimeoutMs, backoff, backoffMs$/);
  throwsError(() => new Simulation({ protocol: 'paxos', bugs: ['figure8'] }), /^bugs\[0\] must be one of forget-promise, /);
  const sim = new Simulation({ protocol: 'paxos', bugs: ['own-value'] });
  assert.deepEqual(sim.config.bugs, ['own-value']);
  sim.setBugs([]);
  assert.deepEqual(sim.config.bugs, []);
  const replay = Simulation.fromCheck({ protocol: 'paxos', seed: 3, nodes: 3, events: 2000, faults: 'all', bug: 'minority-quorum' });
  assert.equal(replay.protocol, 'paxos');
  assert.ok(replay.violations().length > 0, 'minority-quorum is caught on seed 3');
  throwsError(() => Simulation.fromCheck({ protocol: 'paxos', seed: 3, nodes: 3, events: 10, faults: 'all', bug: 'figure8' }), /^bug must be a bug name/);
});

test('vote: a proposal is settled by weight and applied to every voter; manual voters; results have the lesson’s shape', () => {
  const sim = new Simulation({ protocol: 'vote', nodes: 3, seed: 1, quorum: 0.51 });
  assert.equal(sim.config.quorumRequired, 2, '0.51 of 3 is 2 votes, not 1');
  assert.equal(sim.config.quorumsIntersect, true);
  const id = sim.propose('n1', 'x', 1);
  assert.equal(id, 'n1:1');
  sim.runUntil(200);
  const [r] = sim.results();
  assert.deepEqual(r, { proposalId: 'n1:1', status: 'accepted', accepted: true, key: 'x', value: '1', votes: { for: 2, against: 0, total: 3 }, quorumRequired: 2, error: null }, 'settled as soon as 2 voted for: the third vote came late');
  assert.ok(sim.nodes().every((n) => n.values.x === '1'));
  // Manual voters wait for a hand; the proposer's own vote is not enough for 2 of 3.
  sim.setPolicy('n2', 'manual');
  sim.setPolicy('n3', 'manual');
  const id2 = sim.propose('n1', 'y', 'a');
  sim.runUntil(400);
  assert.equal(sim.results().find((x) => x.proposalId === id2).status, 'open');
  assert.ok(sim.nodes()[1].waiting.includes(id2));
  assert.equal(sim.vote('n2', id2, true), true);
  assert.equal(sim.vote('n2', id2, true), false, 'a second vote is not taken');
  sim.runUntil(600);
  assert.equal(sim.results().find((x) => x.proposalId === id2).status, 'accepted');
  // Weights change between proposals only: a tally counts every vote at the weights it began with.
  sim.setPolicy('n2', 'approve');
  sim.setPolicy('n3', 'manual');
  const open = sim.propose('n3', 'z', 'q');
  throwsError(() => sim.setWeight('n1', 3), 'weight can change only while no proposal is open (n3 has one)');
  sim.runUntil(sim.now + 6000);
  assert.equal(sim.results().find((x) => x.proposalId === open).status, 'accepted');
  sim.setWeight('n1', 3);
  assert.equal(sim.config.weights[0], 3);
  throwsError(() => sim.setWeight('n1', -1), /^weight must be an integer from 0 to 1000000/);
  throwsError(() => sim.setPolicy('n1', 'maybe'), /^policy must be 'approve', 'reject', 'manual' or \{random: p\}/);
  throwsError(() => sim.vote('n2', 'n7:1', true), /^proposalId /);
});

test('vote: quorums that need not intersect are flagged; options validated; other mechanisms refuse voting actions', () => {
  // 0.34 of 3 is 1.02: 2 votes, and two quorums of 2 of 3 share a voter; 0.3 of 3 needs 1.
  assert.equal(new Simulation({ protocol: 'vote', nodes: 3, quorum: 0.34 }).config.quorumsIntersect, true);
  const small = new Simulation({ protocol: 'vote', nodes: 3, quorum: 0.3 });
  assert.equal(small.config.quorumsIntersect, false);
  assert.ok(small.nodes().every((n) => n.quorumsIntersect === false && n.quorumRequired === 1));
  throwsError(() => new Simulation({ protocol: 'vote', quorum: 0 }), /^quorum must be 'majority', 'supermajority', 'unanimous', a fraction/);
  throwsError(() => new Simulation({ protocol: 'vote', weights: { n9: 2 } }), /^weights\.n9 must name a member \(n1, n2, n3, n4, n5\)/);
  throwsError(() => new Simulation({ protocol: 'vote', policies: { n2: 'sometimes' } }), /^policies\.n2 must be 'approve'/);
  const raft = new Simulation();
  throwsError(() => raft.propose('n1', 'x', 1), 'propose is an action of vote simulations (this one runs raft)');
  throwsError(() => raft.results(), 'results is an action of vote simulations (this one runs raft)');
  throwsError(() => small.transferLeadership('n2'), /^transferLeadership is not an action of vote simulations/);
});

test('no input, however odd, traps the wasm instance of a Paxos or voting simulation', () => {
  // A panic inside wasm would poison the instance (release-blocking): every call must succeed
  // or throw a plain Error, and the simulations must keep working.
  const odd = [undefined, null, NaN, -1, 0.5, 1e300, Infinity, '', 'n1', 'n2', 'n1:1', 'n9:1', 'x', [], [1], {}, { random: 2 }, { random: 0.5 }, true, 2 ** 53, Symbol('s'), 10n];
  const paxos = new Simulation({ protocol: 'paxos', nodes: 3, seed: 1 });
  const vote = new Simulation({ protocol: 'vote', nodes: 3, seed: 1 });
  const calls = [
    (a) => new Simulation({ protocol: 'paxos', heartbeatMs: a }), (a) => new Simulation({ protocol: 'paxos', backoff: a }),
    (a) => new Simulation({ protocol: 'vote', quorum: a }), (a) => new Simulation({ protocol: 'vote', weights: a }),
    (a) => new Simulation({ protocol: 'vote', policy: a }), (a) => new Simulation({ protocol: 'vote', policies: { n1: a } }),
    (a) => new Simulation({ protocol: a }), (a) => Simulation.bugList(a), (a) => Simulation.fromCheck({ protocol: 'vote', seed: 1, nodes: 2, events: 50, faults: 'all', bug: a }),
    ...[paxos, vote].flatMap((s) => [
      (a) => s.startElection(a), (a, b) => s.clientRequest(a, b), (a) => s.crash(a), (a) => s.restart(a), (a) => s.setBugs(a),
      (a) => s.runUntil(a), (a, b) => s.cutLink(a, b, a), (a) => s.partition(a), (a) => s.dropMessage(a),
      (a, b) => s.propose(a, b, a), (a, b) => s.vote(a, b, a), (a, b) => s.vote('n2', a, b), (a, b) => s.setWeight(a, b),
      (a) => s.setWeight('n1', a), (a, b) => s.setPolicy(b, a), (a) => s.setPolicy('n2', a), () => s.results(),
    ]),
  ];
  let thrown = 0;
  for (const call of calls) {
    for (const a of odd) {
      for (const b of [undefined, 'n2', 'n1:1', 5]) {
        try {
          call(a, b);
        } catch (e) {
          thrown++;
          assert.ok(e instanceof Error && !(e instanceof WebAssembly.RuntimeError), `${call} (${String(a)}, ${String(b)}): ${e}`);
        }
      }
    }
  }
  assert.ok(thrown > 100);
  for (const s of [paxos, vote]) {
    s.runUntil(s.now + 1000);
    assert.ok(Array.isArray(s.nodes()));
    assert.deepEqual(s.violations(), [], s.protocol);
  }
});
