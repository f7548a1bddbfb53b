// The node interface for majority voting (issue #11 §3): createConsensus('vote', id, peers,
// options) gives one voter driven by hand, whose messages the test's own network carries.
// Voters settle proposals by the quorum rule over weights; manual voters wait for vote();
// malformed input throws an Error naming the parameter and the rule (the node unchanged); a
// well-typed message that makes no sense is ignored.
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

const state = (n) => JSON.stringify([n.view, n.decisions, n.proposals]);

/** Checks an outbox: an array of {to, message}, never to the node itself, JSON-safe. */
function checkOutbox(node, outbox) {
  assert.ok(Array.isArray(outbox));
  const members = new Set([...node.peers, node.id]);
  for (const o of outbox) {
    assert.deepEqual(Object.keys(o), ['to', 'message']);
    assert.notEqual(o.to, node.id);
    assert.ok(members.has(o.to), `addressed to a member: ${o.to}`);
    assert.ok(['Proposal', 'Vote', 'Decided'].includes(o.message.type), o.message.type);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(outbox)), outbox, 'JSON-safe');
  return outbox;
}

/** A network of voters: messages delivered in a random order, some twice when `dup` > 0. */
function network(ids, { seed = 1, options = {}, perNode = {}, dup = 0 } = {}) {
  const rand = mulberry32(seed);
  const nodes = new Map(ids.map((id) => [id, createConsensus('vote', id, ids, { seed, ...options, ...(perNode[id] ?? {}) })]));
  const net = { nodes, inFlight: [], now: 0 };
  net.post = (from, outbox) => {
    checkOutbox(nodes.get(from), outbox);
    for (const { to, message } of outbox) {
      net.inFlight.push({ from, to, message });
      if (rand() < dup) net.inFlight.push({ from, to, message: structuredClone(message) });
    }
  };
  /** Delivers everything in flight (and what it causes), in a random order. */
  net.drain = () => {
    while (net.inFlight.length > 0) {
      const [{ from, to, message }] = net.inFlight.splice(Math.floor(rand() * net.inFlight.length), 1);
      net.post(to, nodes.get(to).handleMessage(from, message));
    }
  };
  net.propose = (id, key, value) => {
    const node = nodes.get(id);
    net.post(id, node.propose(key, value));
    return node.proposals.at(-1).proposalId;
  };
  net.tick = (ms) => {
    net.now += ms;
    for (const [id, n] of nodes) net.post(id, n.tick(net.now));
  };
  return net;
}

test("createConsensus('vote'): the API shape", () => {
  const v = createConsensus('vote', 'v1', ['v1', 'v2', 'v3'], { quorum: 0.51, weights: { v1: 2 }, policy: 'approve', exclusive: true, timeout: 5000, seed: 1 });
  assert.ok(v instanceof ConsensusNode);
  assert.equal(v.mechanism, 'vote');
  assert.deepEqual(v.decisions, []);
  assert.deepEqual(v.proposals, []);
  const view = v.view;
  assert.equal(view.mechanism, 'vote');
  assert.equal(view.state, 'voter');
  assert.equal(view.weight, 2);
  assert.equal(view.policy, 'approve');
  assert.equal(view.totalWeight, 4);
  assert.equal(view.quorumRequired, 3, '0.51 of 4 is 3 (2.04 rounded up)');
  assert.equal(view.quorumsIntersect, true);
  assert.deepEqual(view.members, ['v1', 'v2', 'v3']);
  assert.deepEqual(view.values, {});
  const out = v.propose('x', { n: 1 });
  assert.deepEqual(out, [
    { to: 'v2', message: { type: 'Proposal', proposalId: 'v1:1', key: 'x', value: { n: 1 } } },
    { to: 'v3', message: { type: 'Proposal', proposalId: 'v1:1', key: 'x', value: { n: 1 } } },
  ]);
  assert.deepEqual(v.proposals, [{ proposalId: 'v1:1', key: 'x', value: { n: 1 }, status: 'open' }]);
  assert.equal(v.view.state, 'proposer');
  assert.deepEqual(v.result('v1:1'), {
    proposalId: 'v1:1', status: 'open', accepted: false, key: 'x', value: { n: 1 },
    votes: { for: 2, against: 0, total: 4 }, quorumRequired: 3, error: null,
  });
  assert.equal(v.result('v2:1'), null, 'a proposal this node did not make');
  assert.equal(v.view.timers.length, 1);
  assert.equal(v.view.timers[0].atMs, 5000);
});

test('five voters wired by the network settle proposals, and every voter applies them', () => {
  for (const seed of [1, 2, 3]) {
    const ids = ['v1', 'v2', 'v3', 'v4', 'v5'];
    const net = network(ids, { seed, dup: 0.2 });
    const a = net.propose('v1', 'x', 1);
    const b = net.propose('v3', 'y', 'two');
    net.drain();
    const c = net.propose('v5', 'x', 3);
    net.drain();
    for (const [id, pid] of [['v1', a], ['v3', b], ['v5', c]]) {
      const r = net.nodes.get(id).result(pid);
      assert.equal(r.status, 'accepted', `seed ${seed}: ${pid}`);
      assert.ok(r.votes.for >= 3 && r.votes.total === 5 && r.quorumRequired === 3);
    }
    for (const [id, n] of net.nodes) {
      assert.deepEqual(n.view.values, { x: 3, y: 'two' }, `${id}`);
      const d = n.decisions;
      assert.deepEqual(d.map((x) => x.index), [1, 2, 3]);
      assert.deepEqual(d.at(-1).value, { key: 'x', value: 3, proposalId: 'v5:1' });
      assert.equal(n.view.state, 'voter');
    }
  }
});

test('quorum 0.51 with 3 voters needs 2 votes, never 1', () => {
  const net = network(['v1', 'v2', 'v3'], { options: { quorum: 0.51 } });
  const v1 = net.nodes.get('v1');
  const id = net.propose('v1', 'x', 1);
  let r = v1.result(id);
  assert.equal(r.quorumRequired, 2);
  assert.equal(r.status, 'open', 'its own vote is 1 of 3: not enough');
  // One more vote passes it.
  const proposal = net.inFlight.find((m) => m.to === 'v2');
  const [vote] = net.nodes.get('v2').handleMessage('v1', proposal.message);
  assert.deepEqual(vote, { to: 'v1', message: { type: 'Vote', proposalId: 'v1:1', approve: true } });
  const out = v1.handleMessage('v2', vote.message);
  r = v1.result(id);
  assert.equal(r.status, 'accepted');
  assert.deepEqual(r.votes, { for: 2, against: 0, total: 3 });
  assert.deepEqual(out.map((o) => [o.to, o.message]), [
    ['v2', { type: 'Decided', proposalId: 'v1:1', accepted: true, key: 'x', value: 1 }],
    ['v3', { type: 'Decided', proposalId: 'v1:1', accepted: true, key: 'x', value: 1 }],
  ]);
  // Settled once: the same vote again, and a late one, change nothing.
  assert.deepEqual(v1.handleMessage('v2', vote.message), []);
  assert.deepEqual(v1.handleMessage('v3', { type: 'Vote', proposalId: 'v1:1', approve: false }), []);
  assert.equal(v1.result(id).status, 'accepted');
  assert.deepEqual(v1.decisions, [{ index: 1, value: { key: 'x', value: 1, proposalId: 'v1:1' } }]);
});

test('weights: a heavy voter counts for its weight', () => {
  // v1 weighs 3 of 5: a majority needs 3, so v1 alone passes it; v2 alone (1) cannot.
  const net = network(['v1', 'v2', 'v3'], { options: { weights: { v1: 3 } } });
  const id = net.propose('v1', 'x', 'heavy');
  assert.equal(net.nodes.get('v1').result(id).status, 'accepted');
  net.drain();
  const id2 = net.propose('v2', 'y', 'light');
  assert.equal(net.nodes.get('v2').result(id2).status, 'open');
  net.drain();
  const r = net.nodes.get('v2').result(id2);
  assert.equal(r.status, 'accepted');
  assert.equal(r.votes.total, 5);
  assert.ok(r.votes.for >= 3, 'accepted once v1 (3) or both others voted');
  // Against the heavy voter, two light ones are rejected as soon as they cannot reach 3.
  const net2 = network(['v1', 'v2', 'v3'], { options: { weights: { v1: 3 } }, perNode: { v1: { policy: 'reject' } } });
  const id3 = net2.propose('v2', 'z', 1);
  net2.drain();
  const r3 = net2.nodes.get('v2').result(id3);
  assert.equal(r3.status, 'rejected');
  assert.match(r3.error, /^rejected: /);
  assert.deepEqual(net2.nodes.get('v3').view.values, {}, 'not applied');
});

test('manual voters wait for vote(proposalId, approve)', () => {
  const net = network(['v1', 'v2', 'v3'], { options: { policy: 'manual' } });
  const v1 = net.nodes.get('v1');
  const v2 = net.nodes.get('v2');
  const id = net.propose('v1', 'x', 1);
  assert.equal(v1.result(id).votes.for, 0, 'a manual proposer waits too');
  net.drain();
  assert.deepEqual(v2.view.waiting, ['v1:1']);
  const out = v2.vote('v1:1', true);
  assert.deepEqual(out, [{ to: 'v1', message: { type: 'Vote', proposalId: 'v1:1', approve: true } }]);
  assert.deepEqual(v2.vote('v1:1', false), [], 'a second vote is ignored');
  assert.deepEqual(v2.view.waiting, []);
  net.post('v2', out);
  net.drain();
  assert.equal(v1.result(id).status, 'open');
  net.post('v1', v1.vote(id, true));
  assert.equal(v1.result(id).status, 'accepted');
  net.drain();
  assert.deepEqual(net.nodes.get('v3').view.waiting, [], 'the outcome closes the question');
  assert.deepEqual(net.nodes.get('v3').vote(id, true), [], 'a vote after settling is ignored');
  assert.deepEqual(net.nodes.get('v3').vote('v2:7', true), [], 'an unknown proposal is ignored');
  assert.deepEqual(net.nodes.get('v3').view.values, { x: 1 });
});

test('a proposal that cannot gather its quorum times out, and random policies follow the seed', () => {
  const net = network(['v1', 'v2', 'v3'], { options: { timeout: 200 } });
  const v1 = net.nodes.get('v1');
  const id = net.propose('v1', 'x', 1);
  net.inFlight = []; // lost
  assert.deepEqual(v1.tick(199.999), []);
  const out = v1.tick(200);
  assert.deepEqual(out.map((o) => o.message), [
    { type: 'Decided', proposalId: 'v1:1', accepted: false, key: 'x', value: 1 },
    { type: 'Decided', proposalId: 'v1:1', accepted: false, key: 'x', value: 1 },
  ]);
  const r = v1.result(id);
  assert.equal(r.status, 'timeout');
  assert.equal(r.error, 'timed out after 200 ms with 1 of 3 weight for and 0 against; 2 needed');
  const fors = (seed) => {
    const n = network(['v1', 'v2', 'v3', 'v4', 'v5'], { seed, options: { policy: { random: 0.5 }, exclusive: false } });
    const got = [];
    for (let k = 0; k < 12; k++) {
      const pid = n.propose(`v${(k % 5) + 1}`, `k${k}`, k);
      n.drain();
      got.push(n.nodes.get(`v${(k % 5) + 1}`).result(pid).status);
    }
    return got;
  };
  assert.deepEqual(fors(4), fors(4));
  assert.ok(fors(4).includes('accepted') && fors(4).includes('rejected'), JSON.stringify(fors(4)));
  assert.deepEqual(createConsensus('vote', 'a', ['a', 'b'], { policy: { random: 0.25 } }).view.policy, { random: 0.25 });
});

test('exclusive voters approve one open proposal per key', () => {
  const v3 = createConsensus('vote', 'v3', ['v1', 'v2', 'v3']);
  const first = v3.handleMessage('v1', { type: 'Proposal', proposalId: 'v1:1', key: 'x', value: 'a' });
  assert.deepEqual(first[0].message, { type: 'Vote', proposalId: 'v1:1', approve: true });
  const second = v3.handleMessage('v2', { type: 'Proposal', proposalId: 'v2:1', key: 'x', value: 'b' });
  assert.deepEqual(second[0].message, { type: 'Vote', proposalId: 'v2:1', approve: false }, 'locked by v1:1');
  // Another key is free; and once v1:1's outcome is known, x is free again.
  assert.equal(v3.handleMessage('v2', { type: 'Proposal', proposalId: 'v2:2', key: 'y', value: 1 })[0].message.approve, true);
  v3.handleMessage('v1', { type: 'Decided', proposalId: 'v1:1', accepted: false, key: 'x', value: 'a' });
  assert.equal(v3.handleMessage('v2', { type: 'Proposal', proposalId: 'v2:3', key: 'x', value: 'c' })[0].message.approve, true);
  // With exclusive: false, both would have been approved.
  const free = createConsensus('vote', 'v3', ['v1', 'v2', 'v3'], { exclusive: false });
  assert.equal(free.handleMessage('v1', { type: 'Proposal', proposalId: 'v1:1', key: 'x', value: 'a' })[0].message.approve, true);
  assert.equal(free.handleMessage('v2', { type: 'Proposal', proposalId: 'v2:1', key: 'x', value: 'b' })[0].message.approve, true);
});

test('malformed input throws, naming the parameter and the rule, and changes nothing', () => {
  const peers = ['v1', 'v2', 'v3'];
  const make = (options) => () => createConsensus('vote', 'v1', peers, options);
  throwsError(make({ quorum: 0 }), /^quorum must be 'majority', 'supermajority', 'unanimous', a fraction strictly between 0 and 1 \(e\.g\. 0\.51\), or a whole count of 1 or more \(e\.g\. 3\) \(got 0\)$/);
  throwsError(make({ quorum: 1.5 }), /^quorum must be .* \(got 1\.5\)$/);
  throwsError(make({ quorum: 'most' }), /^quorum must be .* \(got "most"\)$/);
  throwsError(make({ quorum: 4 }), 'quorum must be a count from 1 to the total weight 3 (got 4)');
  throwsError(make({ weights: { zz: 1 } }), 'weights.zz must name a member (v1, v2, v3)');
  throwsError(make({ weights: { v2: -1 } }), /^weights\.v2 must be an integer from 0 to 1000000 \(got -1\)$/);
  throwsError(make({ weights: { v1: 0, v2: 0, v3: 0 } }), /^weights must give the voters a total weight of at least 1/);
  throwsError(make({ weights: [1] }), /^weights must be an object/);
  throwsError(make({ policy: 'maybe' }), /^policy must be 'approve', 'reject', 'manual' or \{random: p\}/);
  throwsError(make({ policy: { random: 2 } }), /^policy\.random must be a number from 0 to 1 \(got 2\)$/);
  throwsError(make({ policy: { odds: 1 } }), /^policy\.odds is not a field of a random policy/);
  throwsError(make({ timeout: 0 }), /^timeout must be a number of ms above 0/);
  throwsError(make({ exclusive: 'yes' }), /^exclusive must be true or false/);
  throwsError(make({ nope: 1 }), /^options\.nope is not an option; the options are seed, quorum, weights, policy, exclusive, timeout$/);
  throwsError(() => createConsensus('nope', 'v1', peers), /known: raft, paxos, vote, pbft, hotstuff, gossip\)$/);

  const v = createConsensus('vote', 'v1', peers, { policy: 'manual' });
  v.propose('k', 1);
  const before = state(v);
  throwsError(() => v.propose(5, 1), /^key must be a non-empty string \(got 5\)$/);
  throwsError(() => v.propose('', 1), /^key must be a non-empty string/);
  throwsError(() => v.propose('x'), /^value must be a JSON value \(got undefined\)$/);
  throwsError(() => v.vote('zz', true), /^proposalId must be a proposal id, a member's id, a colon and a counter from 1/);
  throwsError(() => v.vote('v1:0', true), /^proposalId must be a proposal id/);
  throwsError(() => v.vote('v1:1', 'yes'), /^approve must be true or false/);
  throwsError(() => v.result(3), /^proposalId must be a proposal id string/);
  throwsError(() => v.handleMessage('v9', { type: 'Vote', proposalId: 'v1:1', approve: true }), /^from must be a peer of v1/);
  throwsError(() => v.handleMessage('v2', null), /^message must be an object/);
  throwsError(() => v.handleMessage('v2', { type: 'Nope' }), /^message\.type must be one of Proposal, Vote, Decided/);
  throwsError(() => v.handleMessage('v2', { type: 'Vote', proposalId: 'v1:1' }), /^message\.approve must be true or false \(got undefined\)$/);
  throwsError(() => v.handleMessage('v2', { type: 'Vote', proposalId: 'v1:1', approve: true, extra: 1 }), /^message\.extra is not a field of Vote/);
  throwsError(() => v.handleMessage('v2', { type: 'Proposal', proposalId: 'v3:1', key: 'x', value: 1 }), /^message\.proposalId must name the sender "v2" \(the from argument\) as its proposer/);
  throwsError(() => v.handleMessage('v2', { type: 'Proposal', proposalId: 'v2:1', key: 7, value: 1 }), /^message\.key must be a non-empty string/);
  throwsError(() => v.handleMessage('v2', { type: 'Decided', proposalId: 'v2:1', key: 'x', value: 1 }), /^message\.accepted must be true or false/);
  assert.equal(state(v), before, 'the node is unchanged');
  // Well-typed but senseless: ignored, never an Error.
  assert.deepEqual(v.handleMessage('v2', { type: 'Vote', proposalId: 'v3:4', approve: true }), []);
  assert.deepEqual(v.handleMessage('v2', { type: 'Vote', proposalId: 'v1:9', approve: true }), []);
  assert.deepEqual(v.handleMessage('v2', { type: 'Decided', proposalId: 'v2:5', accepted: false, key: 'x', value: 1 }), []);
  assert.deepEqual(v.handleMessage('v2', { type: 'Decided', proposalId: 'v2:5', accepted: false, key: 'x', value: 1 }), []);

  // Raft nodes offer none of voting's methods.
  const r = createConsensus('raft', 'n1', ['n1', 'n2', 'n3']);
  throwsError(() => r.vote('n1:1', true), "vote(proposalId, approve) is offered only by 'vote' nodes (this is a 'raft' node)");
  throwsError(() => r.proposals, "proposals is offered only by 'vote' nodes (this is a 'raft' node)");
  throwsError(() => r.result('n1:1'), "result(proposalId) is offered only by 'vote' nodes (this is a 'raft' node)");
  throwsError(() => r.propose('x', 1), /^value must be left out: raft's propose\(command\) takes one argument \(got 1\)$/);
});
