// The node interface (issue #10, part 4): createConsensus('raft', id, peers, options) gives one
// node driven by hand, whose messages the test's own network carries. Every call validates its
// input (an Error naming the parameter and the rule, the node unchanged); a well-typed message
// that makes no sense gets the protocol's answer; five nodes over a lossy, duplicating,
// reordering network elect one leader per term and agree on every committed entry.
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

/** Checks an outbox: an array of {to, message}, never to `from`, only to its peers (Raft: or a server its configuration names), JSON-safe. */
function checkOutbox(node, outbox) {
  assert.ok(Array.isArray(outbox));
  const members = new Set([...node.peers, node.id, ...(node.mechanism === 'raft' ? node.view.members : [])]);
  for (const o of outbox) {
    assert.deepEqual(Object.keys(o), ['to', 'message']);
    assert.notEqual(o.to, node.id, 'the outbox never addresses the node itself');
    assert.ok(members.has(o.to), `addressed to a member: ${o.to}`);
    assert.equal(typeof o.message.type, 'string');
  }
  assert.deepEqual(JSON.parse(JSON.stringify(outbox)), outbox, 'JSON-safe');
  return outbox;
}

/**
 * A test network: nodes by id, messages in flight, a clock. `loss` and `dup` are probabilities;
 * `cut` (an id or null) loses every message to or from that node. Election Safety is checked
 * after every call (a node that wins an election at once sends AppendEntries naming itself
 * leader of its term: no two nodes may do so for one term) and from every node's view after
 * every step.
 */
function network(ids, { seed = 1, options = {}, loss = 0, dup = 0 } = {}) {
  const rand = mulberry32(seed);
  const nodes = new Map(ids.map((id) => [id, createConsensus('raft', id, ids, { seed, ...options })]));
  const net = { nodes, rand, now: 0, inFlight: [], leaders: new Map(), views: new Map(), loss, dup, cut: null, log: [] };
  const leads = (id, term) => {
    const had = net.leaders.get(term);
    assert.ok(had === undefined || had === id, `two leaders in term ${term}: ${had} and ${id}`);
    net.leaders.set(term, id);
  };
  net.post = (from, outbox) => {
    checkOutbox(nodes.get(from), outbox);
    net.log.push(JSON.stringify([from, outbox]));
    for (const { to, message } of outbox) {
      if (message.type === 'AppendEntries') leads(message.leaderId, message.term);
      if (rand() < net.loss || net.cut === from || net.cut === to) continue;
      net.inFlight.push({ from, to, message });
      if (rand() < net.dup) net.inFlight.push({ from, to, message: structuredClone(message) });
    }
  };
  net.deliver = ({ from, to, message }) => {
    if (net.cut === from || net.cut === to) return;
    net.post(to, nodes.get(to).handleMessage(from, message));
  };
  /** Reads every node's view and checks the leaders they show. */
  net.look = () => {
    for (const [id, n] of nodes) {
      const v = n.view;
      net.views.set(id, v);
      if (v.state === 'leader') leads(id, v.currentTerm);
    }
  };
  /** One step: time moves by `dt` ms (every node ticks), then `k` random messages are delivered. */
  net.step = (dt, k, calm = false) => {
    net.now += dt;
    for (const [id, n] of nodes) net.post(id, n.tick(net.now));
    for (let i = 0; i < k && net.inFlight.length > 0; i++) {
      const [m] = net.inFlight.splice(Math.floor(rand() * net.inFlight.length), 1);
      net.deliver(m);
    }
    while (calm && net.inFlight.length > 0) net.deliver(net.inFlight.shift());
    net.look();
  };
  /** Reliable steps: everything in flight is delivered, in order, every `dt` ms, for `ms` ms. */
  net.calm = (ms, dt = 5) => {
    for (let t = 0; t < ms; t += dt) net.step(dt, 0, true);
  };
  /** Calm steps until a leader is known (at most 2 s); the leader, or null. */
  net.elect = () => {
    for (let i = 0; i < 200 && net.leader() === null; i++) net.calm(10);
    return net.leader();
  };
  /** The leader of the highest term among the nodes' views after the last step, if any. */
  net.leader = () => {
    let best = null;
    for (const [id, v] of net.views) {
      if (v.state === 'leader' && (best === null || v.currentTerm > best.term)) best = { id, term: v.currentTerm };
    }
    return best?.id ?? null;
  };
  net.look();
  return net;
}

/** Every node's decisions agree index by index, each list numbered 1, 2, … with no gap. */
function assertAgree(nodes) {
  const byIndex = new Map();
  for (const [id, n] of nodes) {
    n.decisions.forEach((d, k) => {
      assert.equal(d.index, k + 1, `${id}: decisions in index order`);
      const key = JSON.stringify(d.value);
      if (!byIndex.has(d.index)) byIndex.set(d.index, key);
      assert.equal(byIndex.get(d.index), key, `${id} decided otherwise at index ${d.index}`);
    });
  }
  return byIndex.size;
}

// ---- the API ------------------------------------------------------------------------------------

test('createConsensus: the API shape', () => {
  const n1 = createConsensus('raft', 'n1', ['n1', 'n2', 'n3'], { seed: 1, electionTimeoutMs: [150, 300], heartbeatMs: 50 });
  assert.ok(n1 instanceof ConsensusNode);
  assert.equal(n1.mechanism, 'raft');
  assert.equal(n1.id, 'n1');
  assert.equal(n1.nodeId, 'n1', 'the lesson’s name for id (issue #11 §3)');
  assert.equal(n1.state, 'follower', 'as the seed’s ConsensusProtocol says it (issue #11 §3)');
  assert.equal(createConsensus('paxos', 'a1', ['a1', 'a2', 'a3']).state, 'follower');
  assert.equal(createConsensus('vote', 'v1', ['v1', 'v2', 'v3']).state, 'voter');
  assert.deepEqual(n1.peers, ['n1', 'n2', 'n3']);
  assert.deepEqual(n1.decisions, []);
  for (const m of ['propose', 'handleMessage', 'tick']) assert.equal(typeof n1[m], 'function');
  const v = n1.view;
  assert.equal(v.id, 'n1');
  assert.equal(v.mechanism, 'raft');
  assert.equal(v.state, 'follower');
  assert.equal(v.currentTerm, 0);
  assert.equal(v.votedFor, null);
  assert.equal(v.leaderId, null);
  assert.deepEqual(v.log, []);
  assert.deepEqual(v.members, ['n1', 'n2', 'n3']);
  assert.equal(v.nowMs, 0);
  // The election timer, drawn from the seed within [150, 300] ms.
  assert.equal(v.timers.length, 1);
  assert.equal(v.timers[0].kind, 'election');
  assert.ok(v.timers[0].atMs >= 150 && v.timers[0].atMs <= 300, `${v.timers[0].atMs}`);
  assert.deepEqual(n1.tick(100), [], 'nothing due at 100 ms');
  // At its deadline the election timer fires: PreVote (dissertation §9.6) to both peers.
  const out = n1.tick(v.timers[0].atMs);
  assert.deepEqual(out.map((o) => o.to).sort(), ['n2', 'n3']);
  assert.deepEqual(out[0].message, { type: 'PreVote', term: 1, candidateId: 'n1', lastLogIndex: 0, lastLogTerm: 0 });
  // Options are optional; the node need not be listed among its peers.
  const x = createConsensus('raft', 'x', ['y', 'z']);
  assert.deepEqual(x.peers, ['y', 'z']);
  assert.deepEqual(x.view.members, ['y', 'z', 'x']);
  assert.equal(x.view.timers[0].kind, 'election');
});

test('an unknown mechanism is refused, naming the known ones', () => {
  throwsError(() => createConsensus('nope', 'x', ['x']), 'Unknown consensus mechanism "nope" (known: raft, paxos, vote, pbft, hotstuff, gossip)');
  throwsError(() => createConsensus('Raft', 'x', ['x']), 'Unknown consensus mechanism "Raft" (known: raft, paxos, vote, pbft, hotstuff, gossip)');
  throwsError(() => createConsensus(undefined, 'x', ['x']), 'Unknown consensus mechanism undefined (known: raft, paxos, vote, pbft, hotstuff, gossip)');
});

test('createConsensus validates every argument', () => {
  const bad = [
    [['raft', '', ['a']], 'id must be a non-empty string (got "")'],
    [['raft', 7, ['a']], 'id must be a non-empty string (got 7)'],
    [['raft', 'a', 'a,b'], 'peers must be an array (got "a,b")'],
    [['raft', 'a', ['a', '']], 'peers[1] must be a non-empty string (got "")'],
    [['raft', 'a', ['a', 'b', 'a']], 'peers[2] must not repeat an id ("a" is listed twice)'],
    [['raft', 'a', ['a'], 5], 'options must be an object (got 5)'],
    [['raft', 'a', ['a'], { sead: 1 }], /^options\.sead is not an option; the options are seed, electionTimeoutMs, /],
    [['raft', 'a', ['a'], { seed: -1 }], 'seed must be a non-negative integer (got -1)'],
    [['raft', 'a', ['a'], { seed: 1.5 }], 'seed must be a non-negative integer (got 1.5)'],
    [['raft', 'a', ['a'], { electionTimeoutMs: 150 }], 'electionTimeoutMs must be an array (got 150)'],
    [['raft', 'a', ['a'], { electionTimeoutMs: [1, 2, 3] }], 'electionTimeoutMs must be [lo, hi] in ms (got 3 numbers)'],
    [['raft', 'a', ['a'], { electionTimeoutMs: [0, 10] }], 'electionTimeoutMs[0] must be a number of ms above 0 and at most 3600000 (got 0)'],
    [['raft', 'a', ['a'], { electionTimeoutMs: [300, 150] }], 'electionTimeoutMs must be [lo, hi] with lo <= hi'],
    [['raft', 'a', ['a'], { heartbeatMs: 0 }], 'heartbeatMs must be a number of ms above 0 and at most 3600000 (got 0)'],
    [['raft', 'a', ['a'], { preVote: 'yes' }], 'preVote must be true or false (got "yes")'],
    [['raft', 'a', ['a'], { checkQuorum: 1 }], 'checkQuorum must be true or false (got 1)'],
    [['raft', 'a', ['a'], { maxEntriesPerAppend: 0 }], 'maxEntriesPerAppend must be an integer from 1 to 1000000, or null (got 0)'],
    [['raft', 'a', ['a'], { snapshotInterval: 0 }], 'snapshotInterval must be a positive integer, or null (got 0)'],
    [['raft', 'a', ['a'], { batchMs: -1 }], 'batchMs must be a number of ms above 0 and at most 3600000 (got -1)'],
  ];
  for (const [args, re] of bad) throwsError(() => createConsensus(...args), re);
  // Every option at once, and nulls where allowed.
  const n = createConsensus('raft', 'a', ['a', 'b'], {
    seed: 9, electionTimeoutMs: [10, 20], heartbeatMs: 5, preVote: false, checkQuorum: false,
    maxEntriesPerAppend: null, snapshotInterval: null, batchMs: null,
  });
  assert.ok(n.view.timers[0].atMs <= 20);
});

// ---- a small cluster, driven by hand ---------------------------------------------------------------

/** Three nodes (ids that need JSON escaping among them) with a leader elected and one command committed. */
function threeWithLeader() {
  const ids = ['agent-001', 'agent "two"', 'agent\\3 ✓'];
  const net = network(ids, { seed: 3 });
  const l = net.elect();
  assert.ok(l, 'a leader emerged');
  net.post(l, net.nodes.get(l).propose({ put: 'x', value: 1 }));
  net.calm(100);
  return net;
}

test('a follower refuses a proposal, naming the leader it knows; the leader takes it', () => {
  const net = threeWithLeader();
  const l = net.leader();
  for (const [id, n] of net.nodes) {
    assert.deepEqual(n.decisions, [{ index: 1, value: null }, { index: 2, value: { put: 'x', value: 1 } }], `${id} decided`);
    assert.equal(n.view.leaderId, l);
    if (id === l) continue;
    const before = state(n);
    throwsError(() => n.propose('y'), `${id} is not the leader; the leader it knows is ${l}`);
    assert.equal(state(n), before, 'unchanged');
  }
  // A leader's outbox: one AppendEntries per follower, ids as the caller spells them.
  const out = net.nodes.get(l).propose([1, 'two', { three: null }]);
  assert.equal(out.length, 2);
  for (const { to, message } of out) {
    assert.ok(net.nodes.get(to));
    assert.equal(message.type, 'AppendEntries');
    assert.equal(message.leaderId, l);
    assert.deepEqual(message.entries.at(-1), { term: message.term, index: 3, command: [1, 'two', { three: null }] });
    assert.deepEqual(Object.keys(message), ['type', 'term', 'leaderId', 'prevLogIndex', 'prevLogTerm', 'entries', 'leaderCommit', 'round']);
  }
  // A node that knows no leader says so.
  const lone = createConsensus('raft', 'a', ['a', 'b', 'c']);
  throwsError(() => lone.propose(1), 'a is not the leader and knows of no leader in its current term');
});

test('bad input to every method is an Error naming the parameter and the rule; the node is unchanged and still works', () => {
  const net = threeWithLeader();
  const l = net.leader();
  const [f] = [...net.nodes.keys()].filter((id) => id !== l);
  const leader = net.nodes.get(l);
  const follower = net.nodes.get(f);
  const cyclic = {};
  cyclic.self = cyclic;
  const term = leader.view.currentTerm;
  const ae = (over) => ({ type: 'AppendEntries', term, leaderId: l, prevLogIndex: 2, prevLogTerm: term, entries: [], leaderCommit: 2, round: 0, ...over });
  const rv = (over) => ({ type: 'RequestVote', term: term + 1, candidateId: f, lastLogIndex: 9, lastLogTerm: term, ...over });
  const cases = [
    // propose(command)
    [leader, (n) => n.propose(undefined), 'command must be a JSON value (got undefined)'],
    [leader, (n) => n.propose(() => 1), /^command must be a JSON value/],
    [leader, (n) => n.propose(10n), /^command must be a JSON value \(it could not be serialized/],
    [leader, (n) => n.propose(cyclic), /^command must be a JSON value \(it could not be serialized/],
    [leader, (n) => n.propose({ $config: ['a'] }), /^command must not be a \{"\$config": \[…\]\} object/],
    // tick(nowMs)
    [leader, (n) => n.tick('5'), 'nowMs must be a number of ms from 0 to 9007199254740 (got "5")'],
    [leader, (n) => n.tick(-1), 'nowMs must be a number of ms from 0 to 9007199254740 (got -1)'],
    [leader, (n) => n.tick(NaN), 'nowMs must be a number of ms from 0 to 9007199254740 (got NaN)'],
    [leader, (n) => n.tick(Infinity), 'nowMs must be a number of ms from 0 to 9007199254740 (got Infinity)'],
    [leader, (n) => n.tick(), 'nowMs must be a number of ms from 0 to 9007199254740 (got undefined)'],
    [leader, (n) => n.tick(net.now - 1), `nowMs must not go back (was ${net.now}, got ${net.now - 1})`],
    // handleMessage(from, message): the sender
    [follower, (n) => n.handleMessage('zz', ae()), `from must be a peer of ${f} (got "zz")`],
    [follower, (n) => n.handleMessage(f, ae()), `from must be a peer of ${f}, not ${f} itself (got "${f}")`],
    [follower, (n) => n.handleMessage(1, ae()), `from must be a peer of ${f} (got 1)`],
    [follower, (n) => n.handleMessage(undefined, ae()), `from must be a peer of ${f} (got undefined)`],
    // the message
    [follower, (n) => n.handleMessage(l, null), 'message must be an object (got null)'],
    [follower, (n) => n.handleMessage(l, 'AppendEntries'), 'message must be an object (got "AppendEntries")'],
    [follower, (n) => n.handleMessage(l, [ae()]), 'message must be an object (got an array)'],
    [follower, (n) => n.handleMessage(l, {}), /^message\.type must be one of RequestVote, RequestVoteResponse, PreVote, .*TimeoutNow \(got undefined\)$/],
    [follower, (n) => n.handleMessage(l, { type: 'Heartbeat', term }), /^message\.type must be one of .* \(got "Heartbeat"\)$/],
    [follower, (n) => n.handleMessage(l, ae({ term: -1 })), 'message.term must be a non-negative integer (got -1)'],
    [follower, (n) => n.handleMessage(l, ae({ term: 1.5 })), 'message.term must be a non-negative integer (got 1.5)'],
    [follower, (n) => n.handleMessage(l, ae({ term: String(term) })), `message.term must be a non-negative integer (got "${term}")`],
    [follower, (n) => n.handleMessage(l, ae({ term: undefined })), 'message.term must be a non-negative integer (got undefined)'],
    [follower, (n) => n.handleMessage(l, ae({ prevLogIndex: 2 ** 53 })), 'message.prevLogIndex must be a non-negative integer (got 9007199254740992)'],
    [follower, (n) => n.handleMessage(l, ae({ extra: 1 })), /^message\.extra is not a field of AppendEntries; its fields are type, term, leaderId, /],
    [follower, (n) => n.handleMessage(l, ae({ leaderId: f })), `message.leaderId must be the sender's id, "${l}" (the from argument) (got "${f}")`],
    [follower, (n) => n.handleMessage(l, ae({ leaderId: '' })), 'message.leaderId must be a non-empty string (got "")'],
    [follower, (n) => n.handleMessage(l, ae({ entries: {} })), 'message.entries must be an array (got object)'],
    [follower, (n) => n.handleMessage(l, ae({ entries: [{ term, index: 3, command: 1 }, { term, index: 5, command: 2 }] })),
      'message.entries[1].index must be 4: entries are contiguous after prevLogIndex 2 (got 5)'],
    [follower, (n) => n.handleMessage(l, ae({ entries: [{ term, index: 3 }] })), 'message.entries[0].command must be a JSON value (got undefined)'],
    [follower, (n) => n.handleMessage(l, ae({ entries: [{ term, index: 3, command: 1, note: 'x' }] })), /^message\.entries\[0\]\.note is not a field of an entry/],
    [follower, (n) => n.handleMessage(l, ae({ entries: [7] })), 'message.entries[0] must be an object (got 7)'],
    [follower, (n) => n.handleMessage(l, ae({ entries: [{ term, index: 3, command: { $config: [l, 7] } }] })), 'message.entries[0].command.$config[1] must be a non-empty string (got 7)'],
    [follower, (n) => n.handleMessage(l, rv()), `message.candidateId must be the sender's id, "${l}" (the from argument) (got "${f}")`],
    [follower, (n) => n.handleMessage(l, rv({ candidateId: l, lastLogTerm: null })), 'message.lastLogTerm must be a non-negative integer (got null)'],
    [follower, (n) => n.handleMessage(l, { type: 'RequestVoteResponse', term, voteGranted: 'yes' }), 'message.voteGranted must be true or false (got "yes")'],
    [leader, (n) => n.handleMessage(f, { type: 'AppendEntriesResponse', term, success: true }), 'message.matchIndex must be a non-negative integer (got undefined)'],
    [follower, (n) => n.handleMessage(l, { type: 'InstallSnapshot', term, leaderId: l, lastIncludedIndex: 2, lastIncludedTerm: term + 1, data: '', config: [] }),
      `message.lastIncludedTerm must not exceed message.term ${term} (got ${term + 1})`],
    [follower, (n) => n.handleMessage(l, { type: 'InstallSnapshot', term, leaderId: l, lastIncludedIndex: 2, lastIncludedTerm: term, data: 5, config: [] }),
      'message.data must be a string (got 5)'],
    [follower, (n) => n.handleMessage(l, { type: 'InstallSnapshot', term, leaderId: l, lastIncludedIndex: 2, lastIncludedTerm: term, data: '', config: [''] }),
      'message.config[0] must be a non-empty string (got "")'],
    [follower, (n) => n.handleMessage(l, { type: 'InstallSnapshot', term, leaderId: l, lastIncludedIndex: 2, lastIncludedTerm: term, data: '', config: [l, l] }),
      `message.config[1] must not repeat an id (got "${l}")`],
    [follower, (n) => n.handleMessage(l, { type: 'TimeoutNow', term, leaderId: 'zz' }), `message.leaderId must be the sender's id, "${l}" (the from argument) (got "zz")`],
  ];
  for (const [node, call, re] of cases) {
    const before = state(node);
    throwsError(() => call(node), re);
    assert.equal(state(node), before, `unchanged after ${re}`);
  }
  // Still usable: the cluster commits another command.
  net.post(l, leader.propose('after'));
  net.calm(100);
  for (const n of net.nodes.values()) assert.deepEqual(n.decisions.at(-1), { index: 3, value: 'after' });
});

test('a well-typed message that makes no sense gets the protocol\'s answer, not an Error', () => {
  const net = threeWithLeader();
  const l = net.leader();
  const [f, g] = [...net.nodes.keys()].filter((id) => id !== l);
  const follower = net.nodes.get(f);
  const leader = net.nodes.get(l);
  const term = follower.view.currentTerm;
  assert.ok(term >= 1);
  // A stale AppendEntries (an old term): AppendEntriesResponse, success false, the current term.
  const stale = { type: 'AppendEntries', term: term - 1, leaderId: g, prevLogIndex: 0, prevLogTerm: 0, entries: [{ term: 0, index: 1, command: 'old' }], leaderCommit: 1 };
  const before = follower.view;
  assert.deepEqual(follower.handleMessage(g, stale), [{ to: g, message: { type: 'AppendEntriesResponse', term, success: false, matchIndex: 0, round: 0 } }]);
  assert.deepEqual(follower.view.log, before.log, 'no entry taken');
  // An old entry again (already held): accepted, nothing changes.
  const ae = { type: 'AppendEntries', term, leaderId: l, prevLogIndex: 0, prevLogTerm: 0, entries: follower.view.log.slice(0, 1), leaderCommit: 0 };
  assert.deepEqual(follower.handleMessage(l, ae), [{ to: l, message: { type: 'AppendEntriesResponse', term, success: true, matchIndex: 1, round: 0 } }]);
  assert.deepEqual(follower.view.log, before.log);
  assert.equal(follower.view.commitIndex, before.commitIndex, 'commitIndex never decreases');
  // A stale RequestVote: refused with the current term.
  assert.deepEqual(follower.handleMessage(g, { type: 'RequestVote', term: term - 1, candidateId: g, lastLogIndex: 0, lastLogTerm: 0 }),
    [{ to: g, message: { type: 'RequestVoteResponse', term, voteGranted: false } }]);
  // A vote reply for an old term, a stray PreVote reply, a stale TimeoutNow: ignored, nothing sent.
  const leaderBefore = state(leader);
  assert.deepEqual(leader.handleMessage(f, { type: 'RequestVoteResponse', term: term - 1, voteGranted: true }), []);
  assert.deepEqual(leader.handleMessage(f, { type: 'PreVoteResponse', term: term + 1, voteGranted: true }), []);
  assert.deepEqual(follower.handleMessage(l, { type: 'TimeoutNow', term: term - 1, leaderId: l }), []);
  // A successful reply claiming entries the leader does not have: ignored, the leader unchanged.
  assert.deepEqual(leader.handleMessage(f, { type: 'AppendEntriesResponse', term, success: true, matchIndex: 99, round: 0 }), []);
  // A failed reply of the current term: the leader retries from an earlier index.
  const retry = leader.handleMessage(f, { type: 'AppendEntriesResponse', term, success: false, matchIndex: 0 });
  assert.ok(retry.every((o) => o.to === f && o.message.type === 'AppendEntries'));
  assert.equal(leader.view.state, 'leader');
  assert.deepEqual(leader.decisions, JSON.parse(leaderBefore)[1]);
  // A newer term in a reply makes the leader step down (Figure 2, "All Servers").
  assert.deepEqual(leader.handleMessage(g, { type: 'AppendEntriesResponse', term: term + 5, success: false, matchIndex: 0, round: 0 }), []);
  assert.equal(leader.view.state, 'follower');
  assert.equal(leader.view.currentTerm, term + 5);
});

test('each node may list the cluster in its own order, with or without itself', () => {
  const lists = { p: ['q', 'r'], q: ['r', 'q', 'p'], r: ['p', 'q', 'r'] };
  const nodes = new Map(Object.entries(lists).map(([id, peers]) => [id, createConsensus('raft', id, peers, { seed: 8 })]));
  const inFlight = [];
  const post = (from, outbox) => outbox.forEach((o) => inFlight.push({ from, ...o }));
  let leader = null;
  for (let now = 5; now < 3000 && leader === null; now += 5) {
    for (const [id, n] of nodes) post(id, n.tick(now));
    while (inFlight.length > 0) {
      const { from, to, message } = inFlight.shift();
      post(to, nodes.get(to).handleMessage(from, message));
    }
    leader = [...nodes.values()].find((n) => n.view.state === 'leader') ?? null;
  }
  assert.ok(leader, 'a leader emerged');
  post(leader.id, leader.propose('hello'));
  for (let k = 0; k < 3; k++) {
    for (const [id, n] of nodes) post(id, n.tick(3000 + 50 * k));
    while (inFlight.length > 0) {
      const { from, to, message } = inFlight.shift();
      post(to, nodes.get(to).handleMessage(from, message));
    }
  }
  for (const n of nodes.values()) {
    assert.deepEqual(n.decisions.map((d) => d.value), [null, 'hello']);
    assert.equal(n.view.leaderId, leader.id);
  }
});

test('snapshots (§7): a follower that missed compacted entries gets InstallSnapshot, ids translated', () => {
  const ids = ['alpha', 'beta', 'gamma'];
  const net = network(ids, { seed: 4, options: { snapshotInterval: 5 } });
  const l = net.elect();
  const [f] = ids.filter((id) => id !== l);
  net.cut = f;
  for (let k = 1; k <= 12; k++) {
    net.post(l, net.nodes.get(l).propose({ k }));
    net.calm(20);
  }
  assert.ok(net.nodes.get(l).view.snapshotIndex >= 10, 'the leader compacted its log');
  net.cut = null;
  const sent = [];
  const post = net.post;
  net.post = (from, outbox) => {
    sent.push(...outbox.filter((o) => o.message.type.startsWith('InstallSnapshot')));
    post(from, outbox);
  };
  net.calm(300);
  const snap = sent.find((o) => o.message.type === 'InstallSnapshot');
  assert.ok(snap, 'InstallSnapshot sent');
  assert.equal(snap.to, f);
  assert.deepEqual(Object.keys(snap.message), ['type', 'term', 'leaderId', 'lastIncludedIndex', 'lastIncludedTerm', 'data', 'config']);
  assert.equal(snap.message.leaderId, l);
  assert.equal(typeof snap.message.data, 'string');
  assert.ok(snap.message.config.every((id) => ids.includes(id)));
  assert.ok(sent.some((o) => o.message.type === 'InstallSnapshotResponse' && o.to === l));
  const follower = net.nodes.get(f).view;
  const leader = net.nodes.get(l).view;
  assert.equal(follower.commitIndex, leader.commitIndex);
  assert.ok(follower.snapshotIndex >= 10);
  assert.deepEqual(follower.log.at(-1), leader.log.at(-1));
  // The follower decided only what came after the snapshot it installed, and it agrees.
  const all = new Map(net.nodes.get(l).decisions.map((d) => [d.index, JSON.stringify(d.value)]));
  const mine = net.nodes.get(f).decisions;
  assert.ok(mine.length > 0 && mine.length < all.size);
  for (const d of mine) assert.equal(JSON.stringify(d.value), all.get(d.index));
});

test('membership (dissertation §4.1): the leader adds a server, then removes one; ids new to a node come with the configuration entry', () => {
  const ids = ['alpha', 'beta', 'gamma'];
  const net = network(ids, { seed: 5 });
  const l = net.elect();
  const leader = net.nodes.get(l);
  net.post(l, leader.propose({ k: 1 }));
  net.calm(100);
  // Refusals name the parameter and the rule, and change nothing.
  const [f, g] = ids.filter((id) => id !== l);
  const before = state(leader);
  throwsError(() => net.nodes.get(f).changeMembership([...ids, 'delta']), `${f} is not the leader; the leader it knows is ${l}`);
  throwsError(() => leader.changeMembership('delta'), 'members must be an array (got "delta")');
  throwsError(() => leader.changeMembership(['alpha', 'alpha']), 'members[1] must not repeat an id (got "alpha")');
  throwsError(() => leader.changeMembership(['alpha', 7]), /^members\[1\] must be a non-empty string/);
  throwsError(() => leader.changeMembership([...ids, 'delta', 'epsilon']), 'members must add or remove exactly one server (dissertation §4.1)');
  throwsError(() => leader.changeMembership(ids), 'members must add or remove exactly one server (dissertation §4.1)');
  assert.equal(state(leader), before, 'unchanged');
  for (const m of ['paxos', 'vote', 'pbft', 'hotstuff', 'gossip']) {
    throwsError(() => createConsensus(m, 'a', ['a', 'b', 'c', 'd']).changeMembership(['a', 'b', 'c']), "changeMembership(members) is offered only by 'raft' nodes");
  }

  // Add delta, which lists the cluster in its own order, itself included.
  net.nodes.set('delta', createConsensus('raft', 'delta', ['delta', 'gamma', 'beta', 'alpha'], { seed: 5 }));
  const out = leader.changeMembership([...ids, 'delta']);
  const config = { $config: ['alpha', 'beta', 'gamma', 'delta'] };
  assert.deepEqual(out.map((o) => o.to).sort(), ['alpha', 'beta', 'delta', 'gamma'].filter((id) => id !== l));
  for (const { message } of out) assert.deepEqual(message.entries.at(-1), { term: message.term, index: 3, command: config });
  assert.deepEqual(leader.view.members, config.$config, 'in effect on the leader at once');
  throwsError(() => leader.changeMembership(ids), 'members must wait: the change at index 3 is not committed yet');
  throwsError(() => leader.propose(config), /^command must not be a \{"\$config": \[…\]\} object \(reserved for membership changes: changeMembership\(members\) makes one\)$/);
  net.post(l, out);
  net.calm(300);
  for (const [id, n] of net.nodes) {
    assert.deepEqual(n.view.members, config.$config, `${id}'s configuration`);
    assert.equal(n.view.configIndex, 3);
    assert.deepEqual(n.decisions.at(-1), { index: 3, value: config }, `${id} decided the configuration, in the caller's ids`);
  }
  assertAgree(net.nodes);
  // With four members a commit needs three: one follower cut off, delta counts.
  net.cut = f;
  net.post(l, leader.propose({ k: 2 }));
  net.calm(200);
  assert.deepEqual(net.nodes.get('delta').decisions.at(-1), { index: 4, value: { k: 2 } });
  net.cut = null;
  net.calm(200);

  // Remove g: it gets nothing more, the other three go on.
  const rest = config.$config.filter((id) => id !== g);
  net.post(l, leader.changeMembership(rest));
  net.calm(300);
  for (const [id, n] of net.nodes) if (id !== g) assert.deepEqual(n.view.members, rest, `${id}'s configuration`);
  const gone = net.nodes.get(g);
  net.nodes.delete(g);
  net.post(l, leader.propose({ k: 3 }));
  net.calm(300);
  for (const [id, n] of net.nodes) assert.deepEqual(n.decisions.at(-1).value, { k: 3 }, `${id} decided without ${g}`);
  assertAgree(net.nodes);
  assert.ok(!gone.decisions.some((d) => JSON.stringify(d.value) === JSON.stringify({ k: 3 })));

  // A malformed configuration entry is refused, naming the field.
  const ae = { type: 'AppendEntries', term: 99, leaderId: 'beta', prevLogIndex: 0, prevLogTerm: 0, entries: [{ term: 99, index: 1, command: { $config: ['a', 'a'] } }], leaderCommit: 0 };
  const fresh = createConsensus('raft', 'alpha', ids);
  const was = state(fresh);
  throwsError(() => fresh.handleMessage('beta', ae), 'message.entries[0].command.$config[1] must not repeat an id (got "a")');
  throwsError(() => fresh.handleMessage('beta', { ...ae, entries: [{ ...ae.entries[0], command: { $config: ['a'], x: 1 } }] }), /^message\.entries\[0\]\.command must have no key but \$config/);
  assert.equal(state(fresh), was, 'unchanged');
  // A well-formed one naming servers the node never heard of: they get ids, and messages from them pass.
  fresh.handleMessage('beta', { ...ae, entries: [{ term: 99, index: 1, command: { $config: ['alpha', 'beta', 'omega'] } }] });
  assert.deepEqual(fresh.view.members, ['alpha', 'beta', 'omega']);
  assert.equal(fresh.handleMessage('omega', { type: 'AppendEntriesResponse', term: 1, success: false, matchIndex: 0, round: 0 }).length, 0);
});

test('compaction by the caller (§7): compact(index, data) replaces the log through index; a lagging follower installs the caller\'s data; decisionsAfter', () => {
  const ids = ['alpha', 'beta', 'gamma'];
  const net = network(ids, { seed: 6 });
  const l = net.elect();
  const leader = net.nodes.get(l);
  const [f] = ids.filter((id) => id !== l);
  net.cut = f;
  for (let k = 1; k <= 8; k++) net.post(l, leader.propose({ k }));
  net.calm(100);
  const applied = leader.view.lastApplied;
  assert.equal(applied, 9);
  assert.deepEqual(leader.decisionsAfter(7), [{ index: 8, value: { k: 7 } }, { index: 9, value: { k: 8 } }]);
  assert.deepEqual(leader.decisionsAfter(9), []);
  // Refusals change nothing.
  const before = state(leader);
  throwsError(() => leader.compact(applied + 1, 'x'), `index must be after the snapshot (0) and applied (lastApplied ${applied})`);
  throwsError(() => leader.compact(0, 'x'), `index must be after the snapshot (0) and applied (lastApplied ${applied})`);
  throwsError(() => leader.compact(-1, 'x'), 'index must be a non-negative integer (got -1)');
  throwsError(() => leader.compact(3, { state: 1 }), 'data must be a string (got object)');
  throwsError(() => leader.decisionsAfter('3'), 'index must be a non-negative integer (got "3")');
  assert.equal(state(leader), before, 'unchanged');
  throwsError(() => createConsensus('paxos', 'a', ['a', 'b']).compact(1, ''), "compact(index, data) is offered only by 'raft' nodes");
  throwsError(() => createConsensus('vote', 'a', ['a', 'b']).snapshot, "snapshot is offered only by 'raft' nodes");
  // Other mechanisms filter their whole list.
  assert.deepEqual(createConsensus('vote', 'a', ['a', 'b']).decisionsAfter(0), []);

  assert.deepEqual(leader.compact(applied, '{"mine":9}'), []);
  assert.equal(leader.view.snapshotIndex, applied);
  assert.equal(leader.view.log.length, 0);
  assert.deepEqual(leader.snapshot, { index: applied, term: leader.view.currentTerm, data: '{"mine":9}', config: ids });
  assert.deepEqual(leader.decisions, [], 'the decisions through the snapshot are dropped too');
  throwsError(() => leader.compact(applied, 'again'), `index must be after the snapshot (${applied}) and applied (lastApplied ${applied})`);

  net.cut = null;
  net.post(l, leader.propose({ k: 9 }));
  net.calm(300);
  const follower = net.nodes.get(f);
  assert.equal(follower.view.snapshotIndex, applied, 'installed by InstallSnapshot');
  assert.equal(follower.snapshot.data, '{"mine":9}', 'the caller\'s data, as given');
  assert.deepEqual(follower.decisionsAfter(applied), [{ index: 10, value: { k: 9 } }]);
});

test('durable state (Figure 2): persistentState brings a crashed node back as it was; its vote survives the crash', () => {
  const ids = ['alpha', 'beta', 'gamma'];
  const net = network(ids, { seed: 7 });
  const l = net.elect();
  const leader = net.nodes.get(l);
  for (let k = 1; k <= 4; k++) net.post(l, leader.propose({ k }));
  net.calm(100);
  const [f, g] = ids.filter((id) => id !== l);
  const old = net.nodes.get(f);
  const stamp = old.persistentStamp;
  const last = old.view.log.at(-1);
  assert.equal(stamp, `${old.view.currentTerm}/${ids.indexOf(old.view.votedFor)}/${last.index}/${last.term}/0`);
  net.post(l, leader.propose({ k: 'more' }));
  net.calm(50);
  assert.notEqual(old.persistentStamp, stamp, 'an appended entry changes the stamp');
  const saved = JSON.parse(JSON.stringify(old.persistentState));
  assert.deepEqual(Object.keys(saved), ['currentTerm', 'votedFor', 'snapshot', 'log']);
  assert.equal(saved.currentTerm, old.view.currentTerm);
  assert.equal(saved.votedFor, old.view.votedFor);
  assert.deepEqual(saved.log, old.view.log);

  // The crash: the node is gone; it comes back from what it wrote.
  const back = createConsensus('raft', f, ids, { seed: 8, persisted: saved });
  const v = back.view;
  assert.equal(v.state, 'follower');
  assert.equal(v.currentTerm, saved.currentTerm);
  assert.equal(v.votedFor, saved.votedFor);
  assert.deepEqual(v.log, saved.log);
  assert.equal(v.commitIndex, 0, 'volatile state starts over (Figure 2)');
  assert.deepEqual(back.decisions, []);
  net.nodes.set(f, back);
  net.post(l, leader.propose({ k: 5 }));
  net.calm(200);
  assert.deepEqual(back.decisions.map((d) => d.value), [null, { k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }, { k: 'more' }, { k: 5 }], 'committed again, in order');

  // Why votedFor is persistent: a node that voted in a term, crashed and came back must not
  // vote again in that term (§5.2).
  const voter = createConsensus('raft', 'v', ['v', 'c1', 'c2']);
  const ask = (from) => voter.handleMessage(from, { type: 'RequestVote', term: 5, candidateId: from, lastLogIndex: 0, lastLogTerm: 0 });
  assert.equal(ask('c1')[0].message.voteGranted, true);
  const restarted = createConsensus('raft', 'v', ['v', 'c1', 'c2'], { persisted: voter.persistentState });
  const second = restarted.handleMessage('c2', { type: 'RequestVote', term: 5, candidateId: 'c2', lastLogIndex: 0, lastLogTerm: 0 });
  assert.equal(second[0].message.voteGranted, false, 'it voted for c1 in term 5');
  const amnesiac = createConsensus('raft', 'v', ['v', 'c1', 'c2']);
  assert.equal(amnesiac.handleMessage('c2', { type: 'RequestVote', term: 5, candidateId: 'c2', lastLogIndex: 0, lastLogTerm: 0 })[0].message.voteGranted, true, 'without it, a second vote in term 5');

  // Bad state is an Error naming the field.
  const base = { currentTerm: 3, votedFor: null, snapshot: { index: 0, term: 0, data: '', config: ids }, log: [{ term: 1, index: 1, command: null }] };
  const bad = [
    [{ ...base, log: [{ term: 1, index: 2, command: null }] }, 'options.persisted.log[0].index must be 1: entries follow the snapshot one after another (got 2)'],
    [{ ...base, log: [{ term: 4, index: 1, command: null }] }, 'options.persisted.log[0].term must be from 0 (the term before it) to currentTerm 3 (got 4)'],
    [{ ...base, currentTerm: -1 }, 'options.persisted.currentTerm must be a non-negative integer (got -1)'],
    [{ ...base, extra: 1 }, /^options\.persisted\.extra is not a field of a persistent state/],
    [{ ...base, snapshot: { ...base.snapshot, data: 1 } }, 'options.persisted.snapshot.data must be a string (got 1)'],
    [{ ...base, log: [{ term: 1, index: 1, command: { $config: ['a', 'a'] } }] }, 'options.persisted.log[0].command.$config[1] must not repeat an id (got "a")'],
  ];
  for (const [persisted, error] of bad) throwsError(() => createConsensus('raft', 'alpha', ids, { persisted }), error);
  throwsError(() => createConsensus('paxos', 'a', ['a', 'b']).persistentState, "persistentState is offered only by 'raft' nodes");
});

test('batching: proposals wait for the next tick after batchMs', () => {
  const net = network(['a', 'b', 'c'], { seed: 2, options: { batchMs: 20 } });
  net.elect();
  const leader = net.nodes.get(net.leader());
  assert.deepEqual(leader.propose(1), []);
  assert.deepEqual(leader.propose(2), []);
  assert.deepEqual(leader.view.timers.filter((t) => t.kind === 'flush').map((t) => t.atMs), [net.now + 20]);
  const out = leader.tick(net.now + 20);
  const appends = out.filter((o) => o.message.type === 'AppendEntries');
  assert.equal(appends.length, 2);
  for (const o of appends) assert.deepEqual(o.message.entries.map((e) => e.command), [1, 2]);
});

// ---- determinism -----------------------------------------------------------------------------------

test('same seed, same inputs: the same outboxes, bit for bit', () => {
  const run = (seed) => {
    const net = network(['a', 'b', 'c', 'd', 'e'], { seed, loss: 0.1, dup: 0.1 });
    for (let i = 0; i < 300; i++) {
      net.step(1 + Math.floor(net.rand() * 10), Math.floor(net.rand() * (net.inFlight.length + 1)));
      const l = net.leader();
      if (l && net.rand() < 0.2) net.post(l, net.nodes.get(l).propose({ i }));
    }
    return net.log;
  };
  const a = run(5);
  assert.ok(a.length > 1500);
  assert.deepEqual(run(5), a);
  assert.notDeepEqual(run(6), a, 'another seed, another run');
  // The seed draws the timeouts; nodes given the same seed still draw different ones (it is
  // mixed with the id).
  const t = (id, seed) => createConsensus('raft', id, ['a', 'b'], { seed }).view.timers[0].atMs;
  assert.equal(t('a', 1), t('a', 1));
  assert.notEqual(t('a', 1), t('b', 1));
});

// ---- the main scenario ------------------------------------------------------------------------------

test('five nodes over a lossy, duplicating, reordering network: one leader per term, every committed entry agreed', () => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  for (const seed of [1, 2, 3, 4, 5]) {
    const net = network(ids, { seed, loss: 0.1, dup: 0.1 });
    const proposed = [];
    for (let step = 0; step < 1000; step++) {
      // From step 300 to 500 the leader of step 300 is cut off: a new term must begin.
      if (step === 300) net.cut = net.leader();
      if (step === 500) net.cut = null;
      net.step(1 + Math.floor(net.rand() * 10), Math.floor(net.rand() * (net.inFlight.length + 1)));
      const l = net.leader();
      if (l && l !== net.cut && net.rand() < 0.2) {
        const command = { seed, step };
        net.post(l, net.nodes.get(l).propose(command));
        proposed.push(JSON.stringify(command));
      }
      if (step % 100 === 0) assertAgree(net.nodes);
    }
    assert.ok(net.leaders.size >= 2, `seed ${seed}: a leader, then another after the cut (${[...net.leaders]})`);
    assertAgree(net.nodes);
    // Heal: everything delivered, no loss; a last command commits everywhere.
    net.loss = 0;
    net.dup = 0;
    net.calm(600);
    const l = net.leader();
    assert.ok(l, `seed ${seed}: a leader after healing`);
    net.post(l, net.nodes.get(l).propose('last'));
    net.calm(500);
    const n = assertAgree(net.nodes);
    const decided = [...net.nodes.values()].map((node) => node.decisions);
    for (const d of decided) assert.deepEqual(d, decided[0], `seed ${seed}: every node decided the same ${n} entries`);
    assert.deepEqual(decided[0].at(-1).value, 'last');
    const committed = decided[0].filter((d) => d.value !== null).map((d) => JSON.stringify(d.value));
    assert.ok(committed.length > 50, `seed ${seed}: ${committed.length} commands committed`);
    const set = new Set(proposed.concat(JSON.stringify('last')));
    assert.ok(committed.every((c) => set.has(c)), 'only proposed commands are decided');
    assert.equal(new Set(committed).size, committed.length, 'each proposal decided at most once');
  }
});
