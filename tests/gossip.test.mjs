// Gossip in the JS API (issue #13 §7): `new Simulation({protocol: 'gossip', …})` with up to
// 10,000 agents, its own actions (clientRequest({key, value}, at?), informed, agentStates,
// divergence), gossipTheory, and createConsensus('gossip') over an in-memory transport.
// Demers, Greene, Hauser, Irish, Larson, Shenker, Sturgis, Swinehart & Terry, "Epidemic
// Algorithms for Replicated Database Maintenance", PODC 1987: §1.1 the later version wins,
// §1.3 anti-entropy (push, pull, push-pull), §1.4 rumor mongering, §2.1 death certificates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pkg, { throwsError } from './wasm-package.mjs';

const { Simulation, createConsensus, gossipTheory } = pkg;

const SUSCEPTIBLE = 0;
const INFECTIVE = 1;
const REMOVED = 2;
const CRASHED = 3;

/** Counts of each agentStates code. */
const census = (states) => states.reduce((c, s) => ((c[s] += 1), c), [0, 0, 0, 0]);

/** The round (of `intervalMs`) after which theory expects fewer than half an agent left out. */
const theoryRounds = (nodes, mode = 'push-pull') => {
  const curve = gossipTheory({ nodes, mode, rounds: 100 });
  return curve.findIndex((x) => (1 - x) * nodes < 0.5);
};

// ---- Simulation ---------------------------------------------------------------------------------

test('10,000 agents, push-pull anti-entropy (§1.3): one write reaches every agent within the theory’s rounds', () => {
  const sim = new Simulation({ protocol: 'gossip', nodes: 10000, seed: 1, mode: 'push-pull' });
  assert.equal(sim.ids.length, 10000);
  const w = sim.clientRequest({ key: 'x', value: 'v1' }, 'n1');
  assert.deepEqual(w, { accepted: true, at: 'n1', version: { ts: 1, writer: 'n1' }, reason: null });
  assert.equal(sim.informed('x'), 1);
  const bound = theoryRounds(10000);
  assert.ok(bound > 5 && bound < 20, `theory: ${bound} rounds`);
  let rounds = 0;
  while (sim.informed('x') < 10000 && rounds < bound + 2) {
    rounds += 1;
    sim.runUntil(rounds * 100);
  }
  assert.equal(sim.informed('x'), 10000, `all informed after ${rounds} rounds (theory: ${bound})`);
  assert.ok(rounds <= bound + 2, `${rounds} rounds, theory ${bound}`);
  const states = sim.agentStates('x');
  assert.ok(states instanceof Uint8Array);
  assert.equal(states.length, 10000);
  assert.ok(states.every((s) => s === REMOVED || s === INFECTIVE), 'every agent holds the update');
  assert.equal(sim.divergence(), null);
  assert.deepEqual(sim.violations(), []);
});

test('the generic methods stay fast at 10,000 agents: partition into halves keeps a write in its half until heal; network() is bounded', () => {
  const sim = new Simulation({ protocol: 'gossip', nodes: 10000, seed: 2 });
  const ids = sim.ids;
  const half = ids.slice(0, 5000);
  let t = performance.now();
  sim.partition([half]);
  assert.ok(performance.now() - t < 1000, `partition: ${performance.now() - t} ms`);
  t = performance.now();
  const net = sim.network();
  assert.ok(performance.now() - t < 50, `network(): ${performance.now() - t} ms`);
  assert.equal(net.partitioned, true);
  assert.deepEqual(net.cutLinks, [], 'cut links are listed only up to 32 nodes');
  sim.clientRequest({ key: 'k', value: 'left' }, 'n7');
  sim.runUntil(3000);
  assert.equal(sim.informed('k'), 5000, 'the whole left half, nothing across');
  const states = sim.agentStates('k');
  assert.ok(states.subarray(0, 5000).every((s) => s === REMOVED));
  assert.ok(states.subarray(5000).every((s) => s === SUSCEPTIBLE));
  assert.deepEqual(sim.divergence()?.key, 'k');
  // The other generic methods answer at this size too.
  for (const f of [() => sim.stats(), () => sim.eventsSince(0), () => sim.messages(), () => sim.step(), () => sim.violations()]) {
    t = performance.now();
    f();
    assert.ok(performance.now() - t < 200, `${f}: ${performance.now() - t} ms`);
  }
  sim.crash('n9999');
  sim.pause('n9998');
  sim.setDropRate(0.01);
  sim.heal();
  assert.equal(sim.network().partitioned, false);
  sim.setDropRate(0);
  sim.resume('n9998');
  sim.runUntil(6000);
  assert.equal(sim.informed('k'), 9999, 'every live agent (n9999 is crashed)');
  const after = census(sim.agentStates('k'));
  assert.deepEqual(after, [0, 0, 9999, 1]);
  assert.equal(sim.agentStates('k')[9998], CRASHED);
  sim.restart('n9999');
  sim.runUntil(8000);
  assert.equal(sim.informed('k'), 10000);
  assert.deepEqual(sim.violations(), []);
});

test('options: defaults in config, every gossip option read back', () => {
  const sim = new Simulation({ protocol: 'gossip' });
  assert.deepEqual(sim.config, {
    protocol: 'gossip', seed: 7, nodes: 5, latencyMs: [10, 15], dropRate: 0, duplicateRate: 0, bugs: [],
    mode: 'push-pull', fanout: 1, intervalMs: 100, entriesPerExchange: null, antiEntropy: true, rumors: null,
    deathCertificateMs: 60000, keepState: true, synchronous: false, attestations: null,
  });
  const options = {
    protocol: 'gossip', seed: 3, nodes: 40, latencyMs: [1, 2], dropRate: 0.1, duplicateRate: 0.05, bugs: ['no-tiebreak'],
    mode: 'pull', fanout: 3, intervalMs: 50, entriesPerExchange: 2, antiEntropy: false,
    rumors: { intervalMs: 10, pull: true, feedback: false, interest: 'coin', k: 4, consecutive: true, judgedAtRoundStart: true },
    deathCertificateMs: 500, keepState: false, synchronous: true, attestations: { k: 2, accuracy: 0.9, membersOnly: true, sybils: 3 },
  };
  assert.deepEqual(new Simulation(options).config, options);
  // Left-out rumor settings take Rumors::default(): push, feedback, counter, k = 2, 20 ms.
  assert.deepEqual(new Simulation({ protocol: 'gossip', rumors: {} }).config.rumors, { intervalMs: 20, pull: false, feedback: true, interest: 'counter', k: 2, consecutive: false, judgedAtRoundStart: false });
  assert.deepEqual(Simulation.bugList('gossip').map((b) => b.name), ['keep-older', 'no-tiebreak', 'rumor-only', 'no-tombstone']);
});

test('bad options throw an Error naming the parameter and the rule', () => {
  const bad = (options, re) => throwsError(() => new Simulation({ protocol: 'gossip', ...options }), re);
  bad({ nodes: 0 }, 'nodes must be an integer from 1 to 10000 (got 0)');
  bad({ nodes: 10001 }, 'nodes must be an integer from 1 to 10000 (got 10001)');
  bad({ nodes: 2.5 }, /^nodes must be an integer from 1 to 10000/);
  bad({ mode: 'gossip' }, `mode must be 'push', 'pull' or 'push-pull' (got "gossip")`);
  bad({ fanout: 0 }, 'fanout must be an integer from 1 to 1000 (got 0)');
  bad({ fanout: 1001 }, /^fanout must be an integer from 1 to 1000/);
  bad({ intervalMs: 0 }, 'intervalMs must be a number of ms from 1 to 3600000 (got 0)');
  bad({ entriesPerExchange: 0 }, 'entriesPerExchange must be an integer from 1 to 1000000, or null (unbounded) (got 0)');
  bad({ antiEntropy: 'yes' }, /^antiEntropy must be true or false/);
  bad({ antiEntropy: false }, /^antiEntropy must be true when rumor mongering is off/);
  bad({ rumors: 3 }, /^rumors must be an object/);
  bad({ rumors: { k: 0 } }, 'rumors.k must be an integer from 1 to 1000000 (got 0)');
  bad({ rumors: { interest: 'dice' } }, `rumors.interest must be 'counter' or 'coin' (got "dice")`);
  bad({ rumors: { intervalMs: -1 } }, /^rumors\.intervalMs must be a number of ms from 1 to 3600000/);
  bad({ rumors: { pull: 1 } }, /^rumors\.pull must be true or false/);
  bad({ rumors: { fanout: 2 } }, /^rumors\.fanout is not a field of rumor mongering's settings; its fields are intervalMs, pull, feedback, interest, k, consecutive, judgedAtRoundStart$/);
  bad({ deathCertificateMs: -1 }, /^deathCertificateMs must be a number of ms from 0 to 3600000/);
  bad({ keepState: 1 }, /^keepState must be true or false/);
  bad({ synchronous: 'no' }, /^synchronous must be true or false/);
  bad({ persistMs: 5 }, /^options\.persistMs is not an option/);
  bad({ electionTimeoutMs: [1, 2] }, /^options\.electionTimeoutMs is not an option/);
  bad({ dropRate: 2 }, /^dropRate must be a number from 0 to 1/);
  bad({ latencyMs: [5, 1] }, /^latencyMs must be \[lo, hi\] with lo <= hi/);
  bad({ bugs: ['nope'] }, /^bugs\[0\] must be one of keep-older, no-tiebreak, rumor-only, no-tombstone/);
  bad({ seed: -1 }, /^seed must be a non-negative integer/);
});

test('clientRequest: at a given agent or one drawn from the seeded RNG; deterministic; refused at a crashed agent; bad input throws', () => {
  const run = (seed) => {
    const sim = new Simulation({ protocol: 'gossip', nodes: 100, seed });
    const writes = [sim.clientRequest({ key: 'x', value: 'a' }), sim.clientRequest({ key: 'y', value: 'b' })];
    sim.runUntil(500);
    writes.push(sim.clientRequest({ key: 'x', value: null }));
    sim.runUntil(1000);
    return { writes, stats: sim.stats(), last: sim.eventsSince(0).slice(-5), states: [...sim.agentStates('x')] };
  };
  const a = run(11);
  assert.deepEqual(run(11), a, 'same seed, same actions: same run');
  assert.ok(a.writes.every((w) => w.accepted && /^n\d+$/.test(w.at) && w.version.writer === w.at));
  assert.ok([12, 13, 14, 15].some((seed) => run(seed).writes[0].at !== a.writes[0].at), 'another seed draws other agents');
  // A delete is a death certificate (§2.1): a newer version without a value.
  const sim = new Simulation({ protocol: 'gossip', nodes: 5, seed: 1 });
  sim.clientRequest({ key: 'x', value: 'a' }, 'n2');
  const del = sim.clientRequest({ key: 'x', value: null }, 'n2');
  assert.deepEqual(del, { accepted: true, at: 'n2', version: { ts: 2, writer: 'n2' }, reason: null });
  const [entry] = sim.nodes()[1].store;
  assert.equal(entry.value, null);
  assert.equal(entry.deleted, true);
  assert.equal(entry.expiresMs, 60000);
  sim.crash('n3');
  assert.deepEqual(sim.clientRequest({ key: 'x', value: 'c' }, 'n3'), { accepted: false, at: 'n3', version: null, reason: 'n3 is crashed' });
  sim.pause('n4');
  assert.deepEqual(sim.clientRequest({ key: 'x', value: 'c' }, 'n4'), { accepted: false, at: 'n4', version: null, reason: 'n4 is paused' });
  for (const id of ['n1', 'n2', 'n5']) sim.crash(id);
  assert.deepEqual(sim.clientRequest({ key: 'x', value: 'c' }), { accepted: false, at: null, version: null, reason: 'no agent is running' });
  const before = JSON.stringify([sim.nodes(), sim.stats()]);
  throwsError(() => sim.clientRequest('x'), /^request must be an object/);
  throwsError(() => sim.clientRequest({ value: 'v' }), /^request\.key must be a non-empty string \(got undefined\)/);
  throwsError(() => sim.clientRequest({ key: 'x' }), /^request\.value must be a string, or null \(a delete\) \(got undefined\)/);
  throwsError(() => sim.clientRequest({ key: 'x', value: 3 }), /^request\.value must be a string, or null/);
  throwsError(() => sim.clientRequest({ key: 'x', value: 'v', ttl: 3 }), /^request\.ttl is not a field of a gossip write; its fields are key, value$/);
  throwsError(() => sim.clientRequest({ key: 'x', value: 'v' }, 'n6'), /^at must be a node id, n1 to n5/);
  throwsError(() => sim.clientRequest({ key: 'x', value: 'v' }, 7), /^at must be a non-empty string/);
  assert.equal(JSON.stringify([sim.nodes(), sim.stats()]), before, 'unchanged');
});

test('rumor mongering (§1.4): agents are infective, then removed; agentStates says so', () => {
  const sim = new Simulation({ protocol: 'gossip', nodes: 200, seed: 4, intervalMs: 1000, rumors: { intervalMs: 20, k: 2 } });
  sim.clientRequest({ key: 'r', value: 'hot' }, 'n1');
  assert.equal(sim.agentStates('r')[0], INFECTIVE);
  sim.runUntil(60);
  const mid = census(sim.agentStates('r'));
  assert.ok(mid[INFECTIVE] > 1, JSON.stringify(mid));
  assert.ok(sim.nodes()[0].hot.every((h) => h.key === 'r' && h.version.writer === 'n1' && typeof h.count === 'number'));
  sim.runUntil(5000);
  assert.deepEqual(census(sim.agentStates('r')), [0, 0, 200, 0], 'anti-entropy catches the residue; every rumor cooled');
  assert.equal(sim.informed('r'), 200);
});

test('views: nodes() and messages() of a small population; gossip actions on other mechanisms throw', () => {
  const sim = new Simulation({ protocol: 'gossip', nodes: 4, seed: 9, rumors: { intervalMs: 30 } });
  sim.clientRequest({ key: 'x', value: '1' }, 'n1');
  sim.runUntil(25);
  const [n1] = sim.nodes();
  assert.deepEqual(Object.keys(n1), ['id', 'crashed', 'paused', 'clock', 'store', 'hot', 'timers', 'byzantine']);
  assert.deepEqual(n1.store, [{ key: 'x', value: '1', version: { ts: 1, writer: 'n1' }, deleted: false, expiresMs: null }]);
  assert.deepEqual(n1.timers.map((t) => t.kind), ['antiEntropy', 'rumor']);
  assert.ok(n1.timers.every((t) => t.deadline >= t.start));
  let kinds = new Set();
  for (let i = 0; i < 200 && kinds.size < 3; i++) {
    sim.step();
    for (const m of sim.messages()) {
      kinds.add(m.kind);
      for (const k of ['id', 'from', 'to', 'kind', 'sentAt', 'deliverAt']) assert.ok(k in m, k);
      if (m.kind === 'Digest') assert.ok(['push', 'pull', 'push-pull'].includes(m.exchange) && Array.isArray(m.digest));
      if (m.kind === 'Rumor') assert.deepEqual(Object.keys(m.entries[0]), ['key', 'value', 'version', 'deleted', 'expiresMs']);
    }
  }
  assert.ok(kinds.has('Digest') && kinds.has('Rumor'), [...kinds].join());
  const raft = new Simulation({ protocol: 'raft' });
  throwsError(() => raft.informed('x'), 'informed is an action of gossip simulations (this one runs raft)');
  throwsError(() => raft.agentStates('x'), /^agentStates is an action of gossip simulations/);
  throwsError(() => raft.divergence(), /^divergence is an action of gossip simulations/);
  throwsError(() => sim.informed(''), /^key must be a non-empty string/);
  throwsError(() => sim.agentStates(3), /^key must be a non-empty string/);
  throwsError(() => sim.startElection('n1'), /^startElection is not an action of gossip simulations/);
});

test('the rest of the simulator serves gossip: fromCheck replays a check run, workload clients, setBugs', () => {
  const replay = Simulation.fromCheck({ protocol: 'gossip', seed: 1, nodes: 5, events: 2000, faults: 'all', bug: 'keep-older' });
  assert.equal(replay.config.protocol, 'gossip');
  assert.equal(replay.violations()[0]?.rule, 'Versions never go back');
  const sim = new Simulation({ protocol: 'gossip', nodes: 5, seed: 3 });
  sim.startClients({ clients: 2, opsPerClient: 5 });
  sim.runUntil(3000);
  assert.equal(sim.history().length, 10, 'every operation answered at once by the agent asked');
  assert.equal(sim.leader(), null, 'no leader in gossip');
  sim.setBugs(['no-tombstone']);
  assert.deepEqual(sim.config.bugs, ['no-tombstone']);
  throwsError(() => sim.addNode(), 'addNode is not an action of gossip simulations');
});

test('collective validation (issue #13 §6): a claim travels with its attestations; a Sybil passes a false one unless only members attest', () => {
  const run = (membersOnly) => {
    const sim = new Simulation({ protocol: 'gossip', nodes: 30, seed: 4, attestations: { k: 5, accuracy: 1, sybils: 20, membersOnly } });
    assert.deepEqual(sim.config.attestations, { k: 5, accuracy: 1, membersOnly, sybils: 20 });
    sim.setByzantine('n1', 'sybil');
    assert.deepEqual(sim.publishClaim('c', false, 'n1'), { accepted: true, at: 'n1', reason: null });
    sim.runUntil(3000);
    return sim;
  };
  const open = run(false);
  assert.deepEqual(open.tally('c'), { ...open.tally('c'), accepted: 29, rejected: 0, undecided: 0 });
  assert.ok(open.tally('c').lastAtMs > 0);
  const states = open.verdicts('c');
  assert.equal(states.length, 30);
  assert.ok(states.slice(1).every((v) => v === 1), 'every honest agent accepted the false claim');
  const admitted = run(true);
  assert.equal(admitted.tally('c').rejected, 29);
  // A true claim from an honest agent, checked perfectly: accepted everywhere.
  admitted.publishClaim('t', true, 'n2');
  // The event log keeps the last 500 events: read it as the run goes.
  const verdicts = [];
  let seq = admitted.eventsSince(0).at(-1).seq;
  for (let t = 3010; t <= 6000; t += 10) {
    admitted.runUntil(t);
    for (const e of admitted.eventsSince(seq)) if (e.kind === 'verdict') verdicts.push(e.text);
    seq = admitted.eventsSince(seq).at(-1)?.seq ?? seq;
  }
  assert.equal(admitted.tally('t').accepted, 29);
  // Each honest agent narrates its verdict: "n7 accepts claim t: 5 attestations agree (5 valid, 1 invalid)"
  // (k = 5 or more, when one message brought several; the one invalid is the traitor n1's).
  const said = verdicts.map((text) => text.match(/^n\d+ accepts claim t: (\d+) attestations agree \(\1 valid, [01] invalid\)$/));
  assert.ok(said.every((m) => m && Number(m[1]) >= 5), verdicts.join('\n'));
  // Every agent narrates one verdict: the 29 honest ones and the traitor (it counts the same way;
  // only what it attests is false).
  assert.equal(said.length, 30);
  assert.deepEqual(Simulation.behaviours('gossip').map((b) => b.name), ['silent', 'mute', 'lie', 'sybil']);
});

test('collective validation: bad settings and calls throw naming the parameter; without attestations publishClaim throws', () => {
  throwsError(() => new Simulation({ protocol: 'gossip', attestations: { k: 0 } }), /attestations\.k/);
  throwsError(() => new Simulation({ protocol: 'gossip', attestations: { accuracy: 2 } }), /attestations\.accuracy/);
  throwsError(() => new Simulation({ protocol: 'gossip', attestations: { quorum: 3 } }), /attestations/);
  throwsError(() => new Simulation({ protocol: 'gossip' }).publishClaim('c', true), /attestations/);
  const sim = new Simulation({ protocol: 'gossip', attestations: {} });
  throwsError(() => sim.publishClaim('a/b', true), /id/);
  throwsError(() => sim.publishClaim('c', 'yes'), /truth/);
  throwsError(() => sim.publishClaim('c', true, 'n99'), /at/);
  sim.crash('n3');
  assert.deepEqual(sim.publishClaim('c', true, 'n3'), { accepted: false, at: 'n3', reason: 'n3 is crashed' });
  assert.deepEqual(sim.tally('c'), { accepted: 0, rejected: 0, undecided: 4, lastAtMs: 0 });
  throwsError(() => new Simulation({ protocol: 'raft' }).tally('c'), /gossip/);
});

test('gossipTheory: rounds + 1 fractions rising to 1, push-pull faster than push (Pittel; Karp et al.); validated', () => {
  const pp = gossipTheory({ nodes: 10000, mode: 'push-pull', fanout: 1, dropRate: 0, live: 1, rounds: 30 });
  assert.equal(pp.length, 31);
  assert.equal(pp[0], 1 / 10000);
  assert.ok(pp.every((x, i) => x >= 0 && x <= 1 && (i === 0 || x >= pp[i - 1])));
  assert.ok(pp[30] > 0.9999);
  assert.ok(theoryRounds(10000, 'push-pull') < theoryRounds(10000, 'push'));
  assert.ok(gossipTheory({ nodes: 1000, mode: 'push', dropRate: 0.3, rounds: 10 })[10] < gossipTheory({ nodes: 1000, mode: 'push', rounds: 10 })[10]);
  assert.deepEqual(gossipTheory({ nodes: 1, rounds: 2 }), [1, 1, 1]);
  throwsError(() => gossipTheory(), /^options must be an object/);
  throwsError(() => gossipTheory({ rounds: 5 }), 'nodes must be an integer from 1 to 10000 (got undefined)');
  throwsError(() => gossipTheory({ nodes: 10 }), 'rounds must be an integer from 0 to 10000 (got undefined)');
  throwsError(() => gossipTheory({ nodes: 10, rounds: 5, mode: 'shout' }), /^mode must be 'push', 'pull' or 'push-pull'/);
  throwsError(() => gossipTheory({ nodes: 10, rounds: 5, fanout: 0 }), /^fanout must be an integer from 1 to 1000/);
  throwsError(() => gossipTheory({ nodes: 10, rounds: 5, dropRate: -0.1 }), /^dropRate must be a number from 0 to 1/);
  throwsError(() => gossipTheory({ nodes: 10, rounds: 5, live: 1.5 }), /^live must be a number from 0 to 1/);
  throwsError(() => gossipTheory({ nodes: 10, rounds: 5, seed: 1 }), /^options\.seed is not an option/);
});

// ---- createConsensus('gossip') ------------------------------------------------------------------

const TYPES = ['Digest', 'Reply', 'Entries', 'Rumor', 'RumorAck', 'RumorPull'];

/** An in-memory transport: every node ticked every `step` ms, each message delivered once the
 *  next tick comes (in order, unless `shuffle`). Returns the nodes and `run(untilMs)`. */
function network(ids, options = {}) {
  const nodes = new Map(ids.map((id) => [id, createConsensus('gossip', id, ids, { seed: 5, ...options })]));
  let queue = [];
  let now = 0;
  const seen = new Set();
  const post = (from, outbox) => {
    assert.ok(Array.isArray(outbox));
    for (const o of outbox) {
      assert.deepEqual(Object.keys(o), ['to', 'message']);
      assert.notEqual(o.to, from, 'never to itself');
      assert.ok(nodes.has(o.to));
      assert.ok(TYPES.includes(o.message.type), o.message.type);
      assert.deepEqual(JSON.parse(JSON.stringify(o.message)), o.message, 'JSON-safe');
      seen.add(o.message.type);
      queue.push({ from, ...o });
    }
  };
  const run = (until, step = 10) => {
    while (now < until) {
      now += step;
      for (const [id, n] of nodes) post(id, n.tick(now));
      const due = queue;
      queue = [];
      for (const { from, to, message } of due) post(to, nodes.get(to).handleMessage(from, message));
    }
  };
  return { nodes, post, run, seen };
}

test("createConsensus('gossip'): five agents over an in-memory transport converge; a delete propagates as a death certificate", () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const net = network(ids);
  const a = net.nodes.get('a');
  assert.equal(a.mechanism, 'gossip');
  assert.equal(a.state, 'susceptible');
  net.post('a', a.set('x', { n: 1 }));
  assert.deepEqual(a.get('x'), { n: 1 });
  assert.equal(a.state, 'removed');
  assert.deepEqual(a.decisions, [{ index: 1, value: { key: 'x', value: { n: 1 }, version: { ts: 1, writer: 'a' } } }]);
  net.run(1500);
  for (const id of ids) assert.deepEqual(net.nodes.get(id).get('x'), { n: 1 }, id);
  assert.ok(net.seen.has('Digest') && net.seen.has('Reply') && net.seen.has('Entries'), [...net.seen].join());
  // A later write at another agent wins everywhere (§1.1).
  net.post('c', net.nodes.get('c').set('x', 'two'));
  net.run(3000);
  for (const id of ids) assert.equal(net.nodes.get(id).get('x'), 'two', id);
  net.post('e', net.nodes.get('e').delete('x'));
  assert.equal(net.nodes.get('e').get('x'), undefined);
  net.run(4500);
  for (const id of ids) {
    const n = net.nodes.get(id);
    assert.equal(n.get('x'), undefined, id);
    const [entry] = n.view.store;
    assert.deepEqual(entry, { key: 'x', value: null, version: { ts: 3, writer: 'e' }, expiresMs: 63000, deleted: true });
  }
  assert.deepEqual(a.view.timers.map((t) => t.kind), ['antiEntropy']);
});

test("createConsensus('gossip') with rumor mongering: Rumor, RumorAck and RumorPull travel; every agent hears", () => {
  for (const pull of [false, true]) {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
    const net = network(ids, { intervalMs: 2000, rumors: { intervalMs: 20, pull }, fanout: 2 });
    net.post('n1', net.nodes.get('n1').set('r', 'hot'));
    assert.equal(net.nodes.get('n1').state, 'infective');
    net.run(1000);
    for (const id of ids) assert.equal(net.nodes.get(id).get('r'), 'hot', `${id} (pull: ${pull})`);
    assert.ok(net.seen.has('Rumor'), [...net.seen].join());
    assert.ok(net.seen.has(pull ? 'RumorPull' : 'RumorAck'), [...net.seen].join());
  }
});

test("createConsensus('gossip'): bad arguments and malformed messages throw naming the parameter; the node is unchanged", () => {
  const ids = ['a', 'b', 'c'];
  throwsError(() => createConsensus('gossip', 'a', ids, { mode: 'shout' }), /^mode must be 'push', 'pull' or 'push-pull'/);
  throwsError(() => createConsensus('gossip', 'a', ids, { fanout: 0 }), /^fanout must be an integer from 1 to 1000/);
  throwsError(() => createConsensus('gossip', 'a', ids, { keepState: true }), /^options\.keepState is not an option/);
  throwsError(() => createConsensus('gossip', 'a', ids, { antiEntropy: false }), /^antiEntropy must be true when rumor mongering is off/);
  throwsError(() => createConsensus('gossip', 'a', ids, { rumors: { k: -1 } }), /^rumors\.k must be an integer/);
  throwsError(() => createConsensus('gossip', 'a', ids, { seed: 'x' }), /^seed must be a non-negative integer/);
  const a = createConsensus('gossip', 'a', ids, { seed: 1 });
  a.set('x', 'v');
  const before = JSON.stringify([a.view, a.decisions]);
  throwsError(() => a.set('', 1), /^key must be a non-empty string/);
  throwsError(() => a.set('x', null), /^value must be a JSON value other than null \(delete\(key\) deletes\)/);
  throwsError(() => a.set('x', undefined), /^value must be a JSON value/);
  throwsError(() => a.delete(5), /^key must be a non-empty string/);
  throwsError(() => a.get(null), /^key must be a non-empty string/);
  throwsError(() => a.propose('x'), /^propose is not offered by gossip nodes: write with set\(key, value\) and delete\(key\)/);
  const v = { ts: 1, writer: 'b' };
  const bad = (message, re) => throwsError(() => a.handleMessage('b', message), re);
  bad({ type: 'Gossip' }, /^message\.type must be one of Digest, Reply, Entries, Rumor, RumorAck, RumorPull/);
  bad({ type: 'Digest', exchange: 'push', digest: [], extra: 1 }, /^message\.extra is not a field of Digest/);
  bad({ type: 'Digest', exchange: 'shout', digest: [] }, /^message\.exchange must be 'push', 'pull' or 'push-pull'/);
  bad({ type: 'Digest', exchange: 'push', digest: [{ key: 'x', version: v }, { key: 'x', version: v }] }, /^message\.digest must not list a key twice/);
  bad({ type: 'Digest', exchange: 'push', digest: [{ key: 'x', version: { ts: 0, writer: 'b' } }] }, /^message\.digest\[0\]\.version\.ts must be an integer from 1 to/);
  bad({ type: 'Digest', exchange: 'push', digest: [{ key: 'x', version: { ts: 1, writer: 'z' } }] }, /^message\.digest\[0\]\.version\.writer must be a member of a's cluster/);
  bad({ type: 'Entries', entries: [{ key: 'x', value: null, version: v }] }, /^message\.entries\[0\]\.expiresMs must be a number of ms from 0 to 9007199254740 for a death certificate/);
  bad({ type: 'Entries', entries: [{ key: 'x', value: 1, version: v, expiresMs: 5 }] }, /^message\.entries\[0\]\.expiresMs must be null \(or left out\) for a value/);
  bad({ type: 'Entries', entries: [{ key: '', value: 1, version: v }] }, /^message\.entries\[0\]\.key must be a non-empty string/);
  bad({ type: 'Reply', entries: [], want: [3] }, /^message\.want\[0\] must be a non-empty string/);
  bad({ type: 'RumorAck', known: 'x' }, /^message\.known must be an array/);
  throwsError(() => a.handleMessage('a', { type: 'RumorPull' }), /^from must be a peer of a, not a itself/);
  throwsError(() => a.handleMessage('z', { type: 'RumorPull' }), /^from must be a peer of a/);
  assert.equal(JSON.stringify([a.view, a.decisions]), before, 'unchanged');
  // Well-formed messages are taken: a newer version wins (§1.1), an older one is ignored.
  assert.deepEqual(a.handleMessage('b', { type: 'Entries', entries: [{ key: 'x', value: 'newer', version: { ts: 5, writer: 'b' } }] }), []);
  assert.equal(a.get('x'), 'newer');
  a.handleMessage('c', { type: 'Entries', entries: [{ key: 'x', value: 'older', version: { ts: 2, writer: 'c' }, expiresMs: null }] });
  assert.equal(a.get('x'), 'newer');
  assert.deepEqual(a.handleMessage('b', { type: 'Digest', exchange: 'pull', digest: [] }), [
    { to: 'b', message: { type: 'Reply', entries: [{ key: 'x', value: 'newer', version: { ts: 5, writer: 'b' }, expiresMs: null }], want: [] } },
  ]);
  // The node's clock moved past the highest timestamp seen: its next write is newer.
  a.set('y', 1);
  assert.deepEqual(a.decisions.at(-1).value.version, { ts: 6, writer: 'a' });
  // gossip methods on other mechanisms' nodes.
  const r = createConsensus('raft', 'a', ids);
  throwsError(() => r.set('x', 1), "set(key, value) is offered only by 'gossip' nodes (this is a 'raft' node)");
  throwsError(() => r.get('x'), /^get\(key\) is offered only by 'gossip' nodes/);
  throwsError(() => r.delete('x'), /^delete\(key\) is offered only by 'gossip' nodes/);
});
