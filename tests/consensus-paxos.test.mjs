// The node interface for Multi-Paxos (issue #11 §3): createConsensus('paxos', id, peers, options)
// gives one node driven by hand, whose messages the test's own network carries. Every call
// validates its input (an Error naming the parameter and the rule, the node unchanged); a
// well-typed message that makes no sense gets the protocol's answer (a Nack, or nothing); five
// nodes over a lossy, duplicating, reordering network choose one value per slot ("Paxos Made
// Simple" §2.1: a majority of acceptors accepted it under one ballot) and agree on every decision.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pkg, { throwsError } from './wasm-package.mjs';

const { createConsensus, ConsensusNode } = pkg;

/** A small seeded PRNG (mulberry32): the test network's only randomness. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const state = (n) => JSON.stringify([n.view, n.decisions]);
const TYPES = ['Prepare', 'Promise', 'Accept', 'Accepted', 'Nack', 'Heartbeat', 'CatchUp', 'Commit', 'Forward'];

/** Checks an outbox: an array of {to, message}, never to the node itself, only to its peers, JSON-safe. */
function checkOutbox(node, outbox) {
  assert.ok(Array.isArray(outbox));
  const members = new Set([...node.peers, node.id]);
  for (const o of outbox) {
    assert.deepEqual(Object.keys(o), ['to', 'message']);
    assert.notEqual(o.to, node.id, 'the outbox never addresses the node itself');
    assert.ok(members.has(o.to), `addressed to a member: ${o.to}`);
    assert.ok(TYPES.includes(o.message.type), o.message.type);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(outbox)), outbox, 'JSON-safe');
  return outbox;
}

/**
 * A test network: nodes by id, messages in flight, a clock. `loss` and `dup` are probabilities.
 * Every Accepted a node sends is recorded (before any loss): an acceptor that sends one has
 * accepted, so `votes` is the history of acceptances the decisions are checked against.
 */
function network(ids, { seed = 1, options = {}, loss = 0, dup = 0 } = {}) {
  const rand = mulberry32(seed);
  const nodes = new Map(ids.map((id) => [id, createConsensus('paxos', id, ids, { seed, ...options })]));
  const net = { nodes, rand, now: 0, inFlight: [], loss, dup, votes: new Map(), proposed: new Set() };
  net.post = (from, outbox) => {
    checkOutbox(nodes.get(from), outbox);
    for (const { to, message } of outbox) {
      if (message.type === 'Accepted') {
        const key = JSON.stringify([message.slot, message.ballot, message.value]);
        if (!net.votes.has(key)) net.votes.set(key, new Set());
        net.votes.get(key).add(from);
      }
      if (rand() < net.loss) continue;
      net.inFlight.push({ from, to, message });
      if (rand() < net.dup) net.inFlight.push({ from, to, message: structuredClone(message) });
    }
  };
  net.deliver = ({ from, to, message }) => net.post(to, nodes.get(to).handleMessage(from, message));
  /** One step: time moves by `dt` ms (every node ticks), then `k` random messages are delivered. */
  net.step = (dt, k) => {
    net.now += dt;
    for (const [id, n] of nodes) net.post(id, n.tick(net.now));
    for (let i = 0; i < k && net.inFlight.length > 0; i++) {
      const [m] = net.inFlight.splice(Math.floor(rand() * net.inFlight.length), 1);
      net.deliver(m);
    }
  };
  /** Reliable steps: everything in flight is delivered, in order, every `dt` ms, for `ms` ms. */
  net.calm = (ms, dt = 5) => {
    for (let t = 0; t < ms; t += dt) {
      net.step(dt, 0);
      while (net.inFlight.length > 0) net.deliver(net.inFlight.shift());
    }
  };
  net.propose = (id, value) => {
    net.proposed.add(JSON.stringify(value));
    net.post(id, nodes.get(id).propose(value));
  };
  net.leader = () => [...nodes.values()].find((n) => n.view.state === 'leader')?.id ?? null;
  return net;
}

/**
 * Every node's decisions agree slot by slot, each list numbered 1, 2, … with no gap; every
 * decision was chosen (a majority of the acceptors sent Accepted for that slot, ballot and value)
 * and proposed (or is a no-op). Returns the decisions by slot.
 */
function assertAgree(net) {
  const majority = Math.floor(net.nodes.size / 2) + 1;
  const bySlot = new Map();
  for (const [id, n] of net.nodes) {
    n.decisions.forEach((d, k) => {
      assert.equal(d.index, k + 1, `${id}: decisions in slot order`);
      const value = JSON.stringify(d.value);
      if (!bySlot.has(d.index)) bySlot.set(d.index, value);
      assert.equal(bySlot.get(d.index), value, `${id} decided otherwise in slot ${d.index}`);
    });
  }
  for (const [slot, value] of bySlot) {
    const chosen = [...net.votes].some(([key, who]) => {
      const [s, , v] = JSON.parse(key);
      return s === slot && JSON.stringify(v) === value && who.size >= majority;
    });
    assert.ok(chosen, `slot ${slot}: ${value} was accepted by a majority under one ballot`);
    assert.ok(value === 'null' || net.proposed.has(value), `slot ${slot}: ${value} was proposed`);
  }
  return bySlot;
}

// ---- the API ------------------------------------------------------------------------------------

test("createConsensus('paxos'): the API shape", () => {
  const n1 = createConsensus('paxos', 'n1', ['n1', 'n2', 'n3'], { seed: 1, heartbeatMs: 50, leaderTimeoutMs: 200, backoff: true, backoffMs: 100 });
  assert.ok(n1 instanceof ConsensusNode);
  assert.equal(n1.mechanism, 'paxos');
  assert.equal(n1.id, 'n1');
  assert.deepEqual(n1.peers, ['n1', 'n2', 'n3']);
  assert.deepEqual(n1.decisions, []);
  assert.deepEqual(n1.view, {
    id: 'n1', mechanism: 'paxos', state: 'follower',
    ballot: { round: 0, nodeId: null }, promised: { round: 0, nodeId: null },
    accepted: [], chosen: [], executed: 0, leaderId: null, promises: [], queued: 0, nowMs: 0,
    timers: [{ kind: 'leaderTimeout', atMs: 200 }],
  });
  assert.deepEqual(n1.tick(199), [], 'nothing due before 200 ms');
  // The leader is suspected: a random backoff (0–100 ms), then phase 1 (§2.2).
  assert.deepEqual(n1.tick(200), []);
  const backoff = n1.view.timers.find((t) => t.kind === 'backoff');
  assert.ok(backoff && backoff.atMs >= 200 && backoff.atMs <= 300, JSON.stringify(n1.view.timers));
  const out = n1.tick(backoff.atMs);
  assert.deepEqual(out.map((o) => o.to).sort(), ['n2', 'n3']);
  assert.deepEqual(out[0].message, { type: 'Prepare', ballot: { round: 1, nodeId: 'n1' } });
  assert.equal(n1.view.state, 'candidate');
  assert.deepEqual(n1.view.promised, { round: 1, nodeId: 'n1' }, 'it promises its own ballot');
  assert.deepEqual(n1.view.promises, ['n1']);
  // Options are optional; the node need not be listed among its peers.
  const x = createConsensus('paxos', 'x', ['y', 'z']);
  assert.deepEqual(x.peers, ['y', 'z']);
  assert.equal(x.view.timers[0].kind, 'leaderTimeout');
});

test('createConsensus validates Paxos options; unknown mechanisms name the known ones', () => {
  throwsError(() => createConsensus('Paxos', 'x', ['x']), 'Unknown consensus mechanism "Paxos" (known: raft, paxos, vote, pbft, hotstuff, gossip)');
  const bad = [
    [{ sead: 1 }, 'options.sead is not an option; the options are seed, heartbeatMs, leaderTimeoutMs, backoff, backoffMs'],
    [{ electionTimeoutMs: [1, 2] }, /^options\.electionTimeoutMs is not an option/],
    [{ seed: -1 }, 'seed must be a non-negative integer (got -1)'],
    [{ heartbeatMs: 0 }, 'heartbeatMs must be a number of ms above 0 and at most 3600000 (got 0)'],
    [{ leaderTimeoutMs: 'x' }, 'leaderTimeoutMs must be a number of ms above 0 and at most 3600000 (got "x")'],
    [{ backoff: 1 }, 'backoff must be true or false (got 1)'],
    [{ backoffMs: -5 }, 'backoffMs must be a number of ms from 0 to 3600000 (got -5)'],
  ];
  for (const [options, re] of bad) throwsError(() => createConsensus('paxos', 'a', ['a', 'b'], options), re);
  throwsError(() => createConsensus('paxos', 'a', ['a', 'a']), 'peers[1] must not repeat an id ("a" is listed twice)');
  assert.equal(createConsensus('paxos', 'a', ['a', 'b'], { backoffMs: 0, backoff: false }).mechanism, 'paxos');
});

// ---- a cluster, driven by hand -----------------------------------------------------------------------

/** Three nodes (ids that need JSON escaping among them) with a leader and one value chosen. */
function threeWithLeader() {
  const ids = ['agent-001', 'agent "two"', 'agent\\3 ✓'];
  const net = network(ids, { seed: 3 });
  net.propose(ids[0], { put: 'x', value: 1 });
  for (let i = 0; i < 200 && net.leader() === null; i++) net.calm(10);
  net.calm(100);
  const l = net.leader();
  assert.ok(l, 'a leader emerged');
  for (const [id, n] of net.nodes) {
    assert.deepEqual(n.decisions, [{ index: 1, value: { put: 'x', value: 1 } }], id);
    assert.equal(n.view.leaderId, l);
  }
  assertAgree(net);
  return net;
}

test('a leader proposes in its next slot (phase 2 only, §3); a follower forwards to its leader', () => {
  const net = threeWithLeader();
  const l = net.leader();
  const leader = net.nodes.get(l);
  const [f] = [...net.nodes.keys()].filter((id) => id !== l);
  const ballot = leader.view.ballot;
  assert.equal(ballot.nodeId, l);
  net.proposed.add(JSON.stringify([1, 'two', { three: null }]));
  net.proposed.add(JSON.stringify('via follower'));
  const out = leader.propose([1, 'two', { three: null }]);
  assert.deepEqual(out.filter((o) => o.message.type === 'Accept').map((o) => o.message),
    [0, 1].map(() => ({ type: 'Accept', ballot, slot: 2, value: [1, 'two', { three: null }] })));
  assert.deepEqual(out.filter((o) => o.message.type === 'Accepted').map((o) => Object.keys(o.message)), [0, 1].map(() => ['type', 'ballot', 'slot', 'value']));
  assert.ok(out.every((o) => o.message.type !== 'Prepare'), 'no phase 1 for a new command');
  net.post(l, out);
  // A follower forwards.
  const fw = net.nodes.get(f).propose('via follower');
  assert.deepEqual(fw, [{ to: l, message: { type: 'Forward', value: 'via follower' } }]);
  net.post(f, fw);
  net.calm(100);
  for (const n of net.nodes.values()) {
    assert.deepEqual(n.decisions.slice(1).map((d) => d.value), [[1, 'two', { three: null }], 'via follower']);
  }
  assertAgree(net);
});

test('a no-op fills a gap as null; a new leader adopts the highest-ballot accepted value (P2c)', () => {
  const [a, b, c] = ['a', 'b', 'c'];
  const nodes = Object.fromEntries([a, b, c].map((id) => [id, createConsensus('paxos', id, [a, b, c], { backoff: false })]));
  // a leads with ballot (1, a): its Prepare answered by b.
  let out = nodes.a.propose('first');
  const prepare = out.find((o) => o.to === b).message;
  const promise = nodes.b.handleMessage(a, prepare);
  assert.deepEqual(promise, [{ to: a, message: { type: 'Promise', ballot: { round: 1, nodeId: a }, accepted: [] } }]);
  out = nodes.a.handleMessage(b, promise[0].message);
  assert.equal(nodes.a.view.state, 'leader');
  // It proposed "first" in slot 1; b accepts (1, a) "first"; c hears nothing.
  const accept = out.find((o) => o.to === b && o.message.type === 'Accept').message;
  assert.deepEqual(accept, { type: 'Accept', ballot: { round: 1, nodeId: a }, slot: 1, value: 'first' });
  nodes.b.handleMessage(a, accept);
  nodes.b.handleMessage(a, { type: 'Accept', ballot: { round: 1, nodeId: a }, slot: 3, value: 'third' });
  // c runs phase 1 with ballot (2, c) after seeing a's: b reports slots 1 and 3.
  nodes.c.handleMessage(a, { type: 'Heartbeat', ballot: { round: 1, nodeId: a }, chosenThrough: 0 });
  nodes.c.tick(10_000); // the leader is suspected; no backoff: phase 1 at once
  const p2 = nodes.c.view.ballot;
  assert.deepEqual(p2, { round: 2, nodeId: c });
  const reply = nodes.b.handleMessage(c, { type: 'Prepare', ballot: p2 });
  assert.deepEqual(reply[0].message.accepted, [
    { slot: 1, ballot: { round: 1, nodeId: a }, value: 'first' },
    { slot: 3, ballot: { round: 1, nodeId: a }, value: 'third' },
  ]);
  // A Promise that arrives once the node leads changes nothing.
  const stale = { type: 'Promise', ballot: p2, accepted: [{ slot: 1, ballot: { round: 1, nodeId: a }, value: 'first' }] };
  out = nodes.c.handleMessage(b, reply[0].message);
  assert.equal(nodes.c.view.state, 'leader');
  const accepts = out.filter((o) => o.to === a && o.message.type === 'Accept').map((o) => [o.message.slot, o.message.value]);
  assert.deepEqual(accepts, [[1, 'first'], [2, null], [3, 'third']], 'adopted values, and a no-op (null) in the gap');
  assert.deepEqual(nodes.c.handleMessage(a, stale), [], 'a Promise for a ballot no longer in phase 1 is ignored');
});

test('bad input to every method is an Error naming the parameter and the rule; the node is unchanged and still works', () => {
  const net = threeWithLeader();
  const l = net.leader();
  const [f] = [...net.nodes.keys()].filter((id) => id !== l);
  const leader = net.nodes.get(l);
  const follower = net.nodes.get(f);
  const cyclic = {};
  cyclic.self = cyclic;
  const ballot = leader.view.ballot;
  const acc = (over) => ({ type: 'Accept', ballot, slot: 2, value: 'v', ...over });
  const cases = [
    [leader, (n) => n.propose(undefined), 'command must be a JSON value (got undefined)'],
    [leader, (n) => n.propose(10n), /^command must be a JSON value \(it could not be serialized/],
    [leader, (n) => n.propose(cyclic), /^command must be a JSON value \(it could not be serialized/],
    [leader, (n) => n.tick(-1), 'nowMs must be a number of ms from 0 to 9007199254740 (got -1)'],
    [leader, (n) => n.tick(net.now - 1), `nowMs must not go back (was ${net.now}, got ${net.now - 1})`],
    [follower, (n) => n.handleMessage('zz', acc()), `from must be a peer of ${f} (got "zz")`],
    [follower, (n) => n.handleMessage(f, acc()), `from must be a peer of ${f}, not ${f} itself (got "${f}")`],
    [follower, (n) => n.handleMessage(l, null), 'message must be an object (got null)'],
    [follower, (n) => n.handleMessage(l, [acc()]), 'message must be an object (got an array)'],
    [follower, (n) => n.handleMessage(l, {}), 'message.type must be one of Prepare, Promise, Accept, Accepted, Nack, Heartbeat, CatchUp, Commit, Forward (got undefined)'],
    [follower, (n) => n.handleMessage(l, { type: 'AppendEntries' }), /^message\.type must be one of Prepare, .* \(got "AppendEntries"\)$/],
    [follower, (n) => n.handleMessage(l, acc({ extra: 1 })), 'message.extra is not a field of Accept; its fields are type, ballot, slot, value'],
    [follower, (n) => n.handleMessage(l, acc({ ballot: undefined })), 'message.ballot must be an object (got undefined)'],
    [follower, (n) => n.handleMessage(l, acc({ ballot: 3 })), 'message.ballot must be an object (got 3)'],
    [follower, (n) => n.handleMessage(l, acc({ ballot: { round: 0, nodeId: l } })), 'message.ballot.round must be an integer from 1 to 9007199254740989 (got 0)'],
    [follower, (n) => n.handleMessage(l, acc({ ballot: { round: 1.5, nodeId: l } })), 'message.ballot.round must be an integer from 1 to 9007199254740989 (got 1.5)'],
    [follower, (n) => n.handleMessage(l, acc({ ballot: { round: 2 ** 53, nodeId: l } })), 'message.ballot.round must be an integer from 1 to 9007199254740989 (got 9007199254740992)'],
    [follower, (n) => n.handleMessage(l, acc({ ballot: { round: 1 } })), `message.ballot.nodeId must be a member of ${f}'s cluster (got undefined)`],
    [follower, (n) => n.handleMessage(l, acc({ ballot: { round: 1, nodeId: 'zz' } })), `message.ballot.nodeId must be a member of ${f}'s cluster (got "zz")`],
    [follower, (n) => n.handleMessage(l, acc({ ballot: { round: 1, nodeId: l, x: 1 } })), 'message.ballot.x is not a field of a ballot; its fields are round, nodeId'],
    [follower, (n) => n.handleMessage(l, acc({ ballot: { round: 9, nodeId: f } })),
      `message.ballot.nodeId must be the sender's id, "${l}" (the from argument): a proposer sends only its own ballot (got "${f}")`],
    [follower, (n) => n.handleMessage(l, acc({ slot: 0 })), 'message.slot must be an integer from 1 to 9007199254740989 (got 0)'],
    [follower, (n) => n.handleMessage(l, acc({ slot: '2' })), 'message.slot must be an integer from 1 to 9007199254740989 (got "2")'],
    [follower, (n) => n.handleMessage(l, acc({ value: undefined })), 'message.value must be a JSON value (got undefined)'],
    [follower, (n) => n.handleMessage(l, { type: 'Prepare', ballot: { round: 9, nodeId: f } }), /^message\.ballot\.nodeId must be the sender's id/],
    [follower, (n) => n.handleMessage(l, { type: 'Promise', ballot, accepted: {} }), 'message.accepted must be an array (got object)'],
    [follower, (n) => n.handleMessage(l, { type: 'Promise', ballot, accepted: [7] }), 'message.accepted[0] must be an object (got 7)'],
    [follower, (n) => n.handleMessage(l, { type: 'Promise', ballot, accepted: [{ slot: 1, ballot }] }), 'message.accepted[0].value must be a JSON value (got undefined)'],
    [follower, (n) => n.handleMessage(l, { type: 'Promise', ballot, accepted: [{ slot: 1, ballot, value: 1, note: 2 }] }),
      'message.accepted[0].note is not a field of an accepted proposal; its fields are slot, ballot, value'],
    [follower, (n) => n.handleMessage(l, { type: 'Promise', ballot, accepted: [{ slot: 1, ballot, value: 1 }, { slot: 1, ballot, value: 2 }] }),
      'message.accepted[1].slot must not repeat a slot (1 is listed twice)'],
    [follower, (n) => n.handleMessage(l, { type: 'Nack', ballot }), 'message.promised must be an object (got undefined)'],
    [follower, (n) => n.handleMessage(l, { type: 'Heartbeat', ballot, chosenThrough: -1 }), 'message.chosenThrough must be an integer from 0 to 9007199254740989 (got -1)'],
    [follower, (n) => n.handleMessage(l, { type: 'CatchUp', next: 0 }), 'message.next must be an integer from 1 to 9007199254740989 (got 0)'],
    [follower, (n) => n.handleMessage(l, { type: 'Forward' }), 'message.value must be a JSON value (got undefined)'],
    [follower, (n) => n.handleMessage(l, { type: 'Commit', ballot: { round: 9, nodeId: f }, slot: 1, value: 1 }), /^message\.ballot\.nodeId must be the sender's id/],
  ];
  for (const [node, call, re] of cases) {
    const before = state(node);
    throwsError(() => call(node), re);
    assert.equal(state(node), before, `unchanged after ${re}`);
  }
  // Still usable: the cluster chooses another value.
  net.propose(l, 'after');
  net.calm(100);
  for (const n of net.nodes.values()) assert.deepEqual(n.decisions.at(-1), { index: 2, value: 'after' });
  assertAgree(net);
});

test("a well-typed message that makes no sense gets the protocol's answer, not an Error", () => {
  const net = threeWithLeader();
  const l = net.leader();
  const [f, g] = [...net.nodes.keys()].filter((id) => id !== l);
  const follower = net.nodes.get(f);
  const leader = net.nodes.get(l);
  const promised = follower.view.promised;
  assert.deepEqual(promised, leader.view.ballot);
  // The follower promises g a higher ballot (a Promise reporting what it accepted) ...
  const high = { round: promised.round + 5, nodeId: g };
  const p = follower.handleMessage(g, { type: 'Prepare', ballot: high });
  assert.deepEqual(p, [{ to: g, message: { type: 'Promise', ballot: high, accepted: [{ slot: 1, ballot: promised, value: { put: 'x', value: 1 } }] } }]);
  assert.deepEqual(follower.view.promised, high);
  // ... then a Prepare, Accept or Heartbeat below it gets a Nack naming the promise (§2.2).
  const before = follower.view;
  const low = { round: promised.round + 1, nodeId: g };
  for (const m of [{ type: 'Prepare', ballot: low }, { type: 'Accept', ballot: low, slot: 2, value: 'old' }, { type: 'Heartbeat', ballot: low, chosenThrough: 0 }]) {
    assert.deepEqual(follower.handleMessage(g, m), [{ to: g, message: { type: 'Nack', ballot: low, promised: high } }], m.type);
  }
  assert.deepEqual(follower.handleMessage(l, { type: 'Heartbeat', ballot: promised, chosenThrough: 1 }),
    [{ to: l, message: { type: 'Nack', ballot: promised, promised: high } }], "the old leader's heartbeat");
  assert.deepEqual(follower.view.accepted, before.accepted, 'nothing accepted');
  // A Promise for a ballot nobody runs, a Nack of an old ballot, a CatchUp at a follower: ignored.
  const leaderBefore = state(leader);
  assert.deepEqual(leader.handleMessage(f, { type: 'Promise', ballot: { round: 99, nodeId: g }, accepted: [] }), []);
  assert.deepEqual(leader.handleMessage(f, { type: 'Nack', ballot: { round: 99, nodeId: g }, promised: { round: 100, nodeId: g } }), []);
  assert.equal(state(leader), leaderBefore);
  assert.deepEqual(follower.handleMessage(g, { type: 'CatchUp', next: 1 }), [], 'only a leader answers CatchUp');
  // A Commit of a slot already known, an Accepted of a slot already chosen: nothing changes.
  const fBefore = JSON.stringify(follower.decisions);
  assert.deepEqual(follower.handleMessage(l, { type: 'Commit', ballot: leader.view.ballot, slot: 1, value: 'other' }), []);
  assert.deepEqual(follower.handleMessage(g, { type: 'Accepted', ballot: { round: 50, nodeId: g }, slot: 1, value: 'other' }), []);
  assert.equal(JSON.stringify(follower.decisions), fBefore);
  // A Forward to a follower is dropped (no second forwarding, so no loop).
  assert.deepEqual(follower.handleMessage(g, { type: 'Forward', value: 'x' }), []);
  // The leader answers a CatchUp with what it knows chosen.
  assert.deepEqual(leader.handleMessage(f, { type: 'CatchUp', next: 1 }),
    [{ to: f, message: { type: 'Commit', ballot: leader.view.ballot, slot: 1, value: { put: 'x', value: 1 } } }]);
  // A higher ballot in a Nack of the leader's own ballot: it stops leading.
  const nack = { type: 'Nack', ballot: leader.view.ballot, promised: { round: leader.view.ballot.round + 5, nodeId: g } };
  leader.handleMessage(f, nack);
  assert.equal(leader.view.state, 'follower');
});

test('five nodes over a lossy, duplicating, reordering network choose one value per slot and agree', () => {
  for (const seed of [1, 2, 3]) {
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const net = network(ids, { seed, loss: 0.1, dup: 0.1 });
    let k = 0;
    for (let round = 0; round < 400; round++) {
      if (round % 10 === 0) net.propose(ids[Math.floor(net.rand() * 5)], { k: k++ });
      net.step(5, 12);
    }
    // Then a calm network: every node learns what was chosen.
    net.loss = 0;
    net.dup = 0;
    net.calm(1_000);
    const decided = assertAgree(net);
    assert.ok(decided.size >= 20, `seed ${seed}: ${decided.size} slots decided`);
    // (A command may be decided in two slots: a duplicated Forward is proposed twice. Paxos
    // chooses values; the key-value store's client sessions make a retried command count once.)
    const lens = [...net.nodes.values()].map((n) => n.decisions.length);
    assert.ok(lens.every((x) => x === lens[0]), `seed ${seed}: every node caught up (${lens})`);
  }
});

test('without backoff, five proposers given commands at once duel (§2.4); with it, they agree', () => {
  const run = (backoff) => {
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const net = network(ids, { seed: 7, options: { backoff } });
    ids.forEach((id, i) => net.propose(id, `c${i}`));
    for (let round = 0; round < 300; round++) net.step(5, 8);
    const rounds = Math.max(...[...net.nodes.values()].map((n) => n.view.ballot.round));
    return { net, rounds };
  };
  const off = run(false);
  const on = run(true);
  assertAgree(off.net);
  assertAgree(on.net);
  assert.ok(off.rounds > 3 * on.rounds, `ballot rounds: ${off.rounds} without backoff, ${on.rounds} with`);
  assert.ok(on.net.nodes.get('p1').decisions.length >= 3);
});
