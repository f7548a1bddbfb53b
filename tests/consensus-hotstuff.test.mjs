// The node interface for HotStuff (issue #12): createConsensus('hotstuff', id, replicas, options)
// gives one Chained HotStuff replica (Yin, Malkhi, Reiter, Gueta & Abraham, PODC 2019) driven by
// hand, whose messages the test's own network carries. Four replicas (f = 1) over a lossy,
// duplicating, reordering network execute the same commands in the same order (§5, Theorem 2:
// safety; §4.4: the pacemaker brings liveness); a silent leader's view times out and the next
// leader proposes (§4.4); a traitor's hand-built messages get the protocol's answer, never an
// Error; bad input throws naming the parameter and the rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pkg, { throwsError } from './wasm-package.mjs';

const { createConsensus, ConsensusNode, hotstuffBlockId } = pkg;

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

const IDS = ['n1', 'n2', 'n3', 'n4'];
const TYPES = ['Proposal', 'Vote', 'NewView', 'Request', 'Fetch', 'Blocks'];
const GENESIS_QC = { view: 0, block: '0', voters: [] };
const BIG = Number.MAX_SAFE_INTEGER;
const state = (n) => JSON.stringify([n.view, n.decisions]);

function checkOutbox(id, outbox) {
  assert.ok(Array.isArray(outbox));
  for (const o of outbox) {
    assert.deepEqual(Object.keys(o), ['to', 'message']);
    assert.notEqual(o.to, id, 'the outbox never addresses the node itself');
    assert.ok(IDS.includes(o.to), o.to);
    assert.ok(TYPES.includes(o.message.type), o.message.type);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(outbox)), outbox, 'JSON-safe');
  // Numbers (views, heights) cross exactly; block ids are decimal strings; commands are the caller's.
  const numbers = (v, key) => (key === 'command' || key === 'commands' ? [] : typeof v === 'number' ? [v] : v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => numbers(x, k)) : []);
  for (const o of outbox) for (const x of numbers(o.message)) assert.ok(Number.isSafeInteger(x) && x >= 0, `a safe integer: ${x}`);
  return outbox;
}

/**
 * A test network of replicas `ids`; `loss`, `dup` probabilities. Messages from and to `silent`
 * are dropped (a crashed replica, or a traitor the test speaks for by hand).
 */
function network(ids, { seed = 1, options = {}, loss = 0, dup = 0, silent = null } = {}) {
  const rand = mulberry32(seed);
  const nodes = new Map(ids.map((id) => [id, createConsensus('hotstuff', id, ids, { seed, ...options })]));
  const net = { nodes, rand, now: 0, inFlight: [], loss, dup, sent: [], silent };
  net.post = (from, outbox) => {
    checkOutbox(from, outbox);
    for (const { to, message } of outbox) {
      net.sent.push({ from, to, message });
      if (from === silent || to === silent) continue;
      if (rand() < net.loss) continue;
      net.inFlight.push({ from, to, message });
      if (rand() < net.dup) net.inFlight.push({ from, to, message: structuredClone(message) });
    }
  };
  net.deliver = ({ from, to, message }) => net.post(to, nodes.get(to).handleMessage(from, message));
  // Every leader proposes as soon as it holds a QC, so the chain never rests: each step delivers
  // at most `k` messages, in random order.
  net.step = (dt, k) => {
    net.now += dt;
    for (const [id, n] of nodes) net.post(id, n.tick(net.now));
    for (let i = 0; i < k && net.inFlight.length > 0; i++) {
      const [m] = net.inFlight.splice(Math.floor(rand() * net.inFlight.length), 1);
      net.deliver(m);
    }
  };
  net.run = (ms, dt = 10, k = 20) => {
    for (let t = 0; t < ms; t += dt) net.step(dt, k);
  };
  return net;
}

const honest = (net) => [...net.nodes].filter(([id]) => id !== net.silent);

/**
 * Every honest replica executed the same commands in the same order (§5 Theorem 2: no two
 * conflicting blocks commit, and blocks execute in chain order): the k-th decision of each is the
 * same command of the same block. Returns index → the decision's text.
 */
function assertAgree(net) {
  const byIndex = new Map();
  for (const [id, n] of honest(net)) {
    n.decisions.forEach((d, k) => {
      assert.deepEqual(Object.keys(d), ['index', 'value', 'proposer', 'height', 'block']);
      assert.equal(d.index, k + 1, `${id}: a running count from 1`);
      const v = JSON.stringify(d);
      if (!byIndex.has(d.index)) byIndex.set(d.index, v);
      assert.equal(byIndex.get(d.index), v, `${id} executed otherwise at ${d.index}`);
    });
  }
  return byIndex;
}

const values = (n) => n.decisions.map((d) => JSON.stringify(d.value));

test("createConsensus('hotstuff'): the API shape; view 1's leader proposes at once; a command executed by all four", () => {
  const net = network(IDS);
  const n1 = net.nodes.get('n1');
  const n2 = net.nodes.get('n2');
  assert.ok(n1 instanceof ConsensusNode);
  assert.equal(n1.mechanism, 'hotstuff');
  assert.equal(n1.nodeId, 'n1');
  // §4.4: the leader of view v is replicas[v mod N]; replicas start in view 1.
  assert.equal(n1.view.view, 1);
  assert.equal(n1.view.leaderId, 'n2');
  assert.equal(n1.state, 'replica');
  assert.equal(n1.view.isLeader, false);
  assert.deepEqual(n1.view.lockedQc, GENESIS_QC);
  assert.deepEqual(n1.view.genericQc, GENESIS_QC);
  assert.deepEqual(n1.view.timers, [{ kind: 'view', atMs: 150 }]);
  assert.equal(n1.view.viewTimeoutMs, 150);
  // §5: the leader of view 1 proposed at creation (createLeaf on the genesis QC), then, as a
  // replica, voted for its own block and moved to view 2; its first call's outbox carries the
  // Proposal to every other replica and its Vote to view 2's leader.
  const out = n2.tick(0);
  assert.deepEqual(out.map((o) => [o.to, o.message.type]), [['n1', 'Proposal'], ['n3', 'Proposal'], ['n4', 'Proposal'], ['n3', 'Vote']]);
  const { block } = out[0].message;
  assert.deepEqual(Object.keys(out[0].message), ['type', 'block']);
  assert.deepEqual(Object.keys(block), ['id', 'view', 'height', 'proposer', 'parent', 'justify', 'commands']);
  assert.deepEqual({ ...block, id: undefined }, { id: undefined, view: 1, height: 1, proposer: 'n2', parent: '0', justify: GENESIS_QC, commands: [] });
  assert.equal(block.id, hotstuffBlockId(block, IDS), 'hotstuffBlockId computes the replicas\' id');
  assert.match(block.id, /^[1-9][0-9]*$/);
  assert.deepEqual(out[3].message, { type: 'Vote', view: 1, block: block.id });
  const v2 = n2.view;
  assert.deepEqual([v2.proposedView, v2.votedView, v2.view, v2.leaderId, v2.state], [1, 1, 2, 'n3', 'replica']);
  assert.equal(net.nodes.get('n3').tick(0).length, 0);
  // n3 leads view 2 once it holds view 1's QC (2f + 1 = 3 votes: n2's, n3's own, one more).
  assert.equal(net.nodes.get('n3').state, 'replica', 'still in view 1');
  net.post('n3', net.nodes.get('n3').handleMessage('n2', out[1].message));
  assert.equal(net.nodes.get('n3').state, 'leader', 'in view 2, which it leads');
  net.post('n2', out.filter((o, k) => k !== 1));
  // propose: the value becomes a distinct command {proposer, n, value}, which joins the pool
  // and goes to every other replica (whoever leads next batches it into a block).
  const req = n1.propose({ put: 'x' });
  assert.deepEqual(req.map((o) => o.to), ['n2', 'n3', 'n4']);
  assert.deepEqual(req[0].message, { type: 'Request', command: { proposer: 'n1', n: 1, value: { put: 'x' } } });
  assert.deepEqual(n1.view.pool, [{ proposer: 'n1', n: 1, value: { put: 'x' } }]);
  net.post('n1', req);
  net.run(300);
  assertAgree(net);
  for (const n of net.nodes.values()) {
    // Executed once, even though Requests keep arriving after it committed.
    assert.deepEqual(values(n), ['{"put":"x"}'], n.nodeId);
    assert.equal(n.decisions[0].proposer, 'n1');
    assert.equal(n.decisions[0].index, 1);
    assert.ok(n.view.executedHeight >= n.decisions[0].height);
    assert.match(n.decisions[0].block, /^[1-9][0-9]*$/);
  }
  // §5: a block commits when it heads a three-chain; the lock is the two-chain's head.
  const v = n1.view;
  assert.ok(v.lockedQc.view > 0 && v.genericQc.view >= v.lockedQc.view, JSON.stringify(v));
  assert.deepEqual(v.genericQc.voters.length >= 3, true, 'a QC has 2f + 1 voters');
});

test('a value proposed twice is two commands, each executed once; a late Request of a committed command is not proposed again', () => {
  const net = network(IDS, { seed: 5, dup: 0.3 });
  const n1 = net.nodes.get('n1');
  net.post('n1', n1.propose('inc'));
  net.post('n1', n1.propose('inc'));
  net.run(600);
  // A Request for the first command, delivered again long after it committed.
  net.deliver({ from: 'n1', to: 'n3', message: { type: 'Request', command: { proposer: 'n1', n: 1, value: 'inc' } } });
  net.run(600);
  assertAgree(net);
  for (const n of net.nodes.values()) assert.deepEqual(n.decisions.map((d) => [d.value, d.proposer]), [['inc', 'n1'], ['inc', 'n1']], n.nodeId);
});

for (const seed of [1, 2, 3]) {
  test(`four replicas over a lossy, duplicating, reordering network execute the same commands in the same order (seed ${seed})`, () => {
    const net = network(IDS, { seed, loss: 0.1, dup: 0.1 });
    const proposed = [];
    for (let round = 0; round < 300; round++) {
      if (round % 10 === 0 && proposed.length < 15) {
        const id = IDS[Math.floor(net.rand() * 4)];
        const command = { put: [`k${proposed.length}`, proposed.length] };
        proposed.push(JSON.stringify(command));
        net.post(id, net.nodes.get(id).propose(command));
      }
      net.step(10, 20);
    }
    // Then a calm network (§4.4: after GST the pacemaker brings the replicas into one view).
    net.loss = 0;
    net.dup = 0;
    net.run(3000, 10, 30);
    const ds = assertAgree(net);
    for (const [id, n] of net.nodes) {
      const vs = values(n);
      assert.ok(vs.every((v) => proposed.includes(v)), `${id}: only proposed commands executed`);
      for (const p of proposed) assert.ok(vs.includes(p), `${id} executed ${p} (${vs.length} decisions)`);
      assert.equal(vs.length, proposed.length, `${id}: each command executed once`);
    }
    assert.equal(ds.size, proposed.length);
  });
}

test('a silent leader: its view times out, the replicas move on with NewViews, and the next leader makes progress (§4.4)', () => {
  // n2 leads view 1 (and 5, 9, …) and never speaks nor hears: crashed.
  const net = network(IDS, { seed: 4, silent: 'n2' });
  net.post('n1', net.nodes.get('n1').propose('a'));
  net.run(100);
  const n1 = net.nodes.get('n1');
  assert.equal(n1.view.view, 1, 'still waiting in view 1');
  assert.deepEqual(n1.decisions, []);
  net.run(3000);
  // The pacemaker's timer ran out in view 1 (150 ms); every replica sent a NewView for view 2
  // with its highest QC, to every replica.
  assert.ok(net.sent.some((s) => s.from === 'n1' && s.message.type === 'NewView' && s.message.view === 2));
  // n3 leads view 2: with NewViews from a quorum it proposes, on the highest QC (genesis).
  const p2 = net.sent.find((s) => s.from === 'n3' && s.message.type === 'Proposal' && s.message.block.view === 2);
  assert.ok(p2, 'view 2 leader proposed');
  assert.deepEqual(p2.message.block.justify, GENESIS_QC);
  assert.ok(n1.view.view > 5, `views moved on (view ${n1.view.view})`);
  assertAgree(net);
  for (const [id, n] of honest(net)) assert.deepEqual(values(n).slice(0, 1), ['"a"'], id);
  // A command proposed later, also executed while the silent leader keeps costing its views.
  net.post('n4', net.nodes.get('n4').propose('b'));
  net.run(3000);
  assertAgree(net);
  for (const [id, n] of honest(net)) assert.ok(values(n).includes('"b"'), id);
});

test("a traitor's hand-built messages (equivocation, votes for unknown blocks, bogus QCs, huge views) give no Error and break no agreement", () => {
  // n1 is the traitor: the test speaks for it. It leads views 4, 8, … (§4.4).
  const net = network(IDS, { seed: 5, silent: 'n1' });
  const n = (id) => net.nodes.get(id);
  const block = (view, commands, justify = GENESIS_QC, parent = '0', height = 1) => {
    const b = { view, height, proposer: 'n1', parent, justify, commands };
    return { id: hotstuffBlockId(b, IDS), ...b };
  };
  // §4.2 safeNode / Lemma 1: an equivocating leader's two blocks for view 4 (each well formed);
  // honest replicas vote at most once per view, so at most one of them gets a QC.
  const a = block(4, ['evil-a']);
  const b = block(4, ['evil-b']);
  assert.notEqual(a.id, b.id);
  const view1 = n('n2').tick(0)[0].message.block; // n2's real proposal of view 1
  net.post('n2', [{ to: 'n3', message: { type: 'Proposal', block: view1 } }, { to: 'n4', message: { type: 'Proposal', block: view1 } }]);
  const attacks = (to) => [
    { type: 'Proposal', block: to === 'n2' ? a : b },
    { type: 'Proposal', block: to === 'n2' ? b : a }, // the twin, later
    { type: 'Proposal', block: { ...a, id: '12345' } }, // an id that is not its contents' digest
    { type: 'Proposal', block: block(5, ['not-mine']) }, // view 5 is n2's, not n1's
    { type: 'Proposal', block: block(BIG, ['huge']) }, // view 2^53 − 1 is n4's
    { type: 'Proposal', block: block(8, ['orphan'], { view: 7, block: '999', voters: ['n2', 'n3', 'n4'] }, '999', 2) }, // unknown parent and QC block
    // QCs whose voters are not replicas, repeated, too few, or out of order: invalid (§4.1).
    { type: 'Proposal', block: block(8, ['bogus-voters'], { view: 1, block: view1.id, voters: ['x', 'y', 'z'] }, view1.id, 2) },
    { type: 'NewView', view: 2, genericQc: { view: 1, block: view1.id, voters: ['n2', 'n2', 'n3'] } },
    { type: 'NewView', view: 2, genericQc: { view: 1, block: view1.id, voters: ['n3', 'n2', 'n4'] } },
    { type: 'NewView', view: 2, genericQc: { view: 1, block: view1.id, voters: ['n2', 'n3'] } },
    { type: 'NewView', view: 3, genericQc: { view: BIG, block: '18446744073709551615', voters: ['n2', 'n3', 'n4'] } },
    { type: 'NewView', view: BIG, genericQc: GENESIS_QC }, // a huge view: one replica is not f + 1
    { type: 'NewView', view: 1000, genericQc: GENESIS_QC },
    // Votes for unknown blocks, in views whose next leader is or is not the receiver.
    { type: 'Vote', view: 4, block: '12345' },
    { type: 'Vote', view: 1, block: '18446744073709551615' },
    { type: 'Vote', view: BIG, block: '1' },
    { type: 'Vote', view: 0, block: '0' },
    { type: 'Fetch', block: '0' },
    { type: 'Fetch', block: '424242' },
    { type: 'Blocks', blocks: [block(8, ['fake']), { ...b, id: '7' }, block(12, [], { view: 3, block: '5', voters: ['q'] }, '5', 9)] },
    { type: 'Blocks', blocks: [] },
    { type: 'Request', command: { put: ['from-traitor', 1] } }, // a command is any client's: it may execute
  ];
  for (let pass = 0; pass < 2; pass++) {
    for (const to of ['n2', 'n3', 'n4']) {
      const list = attacks(to);
      const order = list.map((m, k) => [net.rand(), k]).sort((x, y) => x[0] - y[0]);
      for (const [, k] of order) net.post(to, n(to).handleMessage('n1', structuredClone(list[k])));
    }
    // The traitor votes for its own block b, to view 5's leader (its vote is real: from is believed).
    net.post('n2', n('n2').handleMessage('n1', { type: 'Vote', view: 4, block: b.id }));
    if (pass === 0) for (const id of ['n2', 'n3', 'n4']) net.post(id, n(id).propose(`honest-${id}`));
    net.run(50);
  }
  net.run(4000);
  const ds = assertAgree(net);
  const executed = [...ds.values()].map((v) => JSON.stringify(JSON.parse(v).value));
  for (const id of ['n2', 'n3', 'n4']) {
    assert.ok(executed.includes(`"honest-${id}"`), `the honest command of ${id} executed: ${executed}`);
  }
  // At most one of the equivocating blocks executed anywhere, and the same one everywhere.
  const evil = executed.filter((v) => v === '"evil-a"' || v === '"evil-b"');
  assert.ok(new Set(evil).size <= 1, `both twins executed: ${evil}`);
  for (const bad of ['"not-mine"', '"huge"', '"orphan"', '"bogus-voters"', '"fake"']) assert.ok(!executed.includes(bad), bad);
});

test('a traitor leader that proposes at view 2^53 − 4 is followed (the protocol allows it) without an Error; messages past 2^53 − 1 leave no outbox', () => {
  const net = network(IDS, { seed: 6, silent: 'n1' });
  const V = BIG - 3; // 2^53 − 4 ≡ 0 (mod 4): n1 leads it
  const b = { view: V, height: 1, proposer: 'n1', parent: '0', justify: GENESIS_QC, commands: ['far'] };
  const far = { id: hotstuffBlockId(b, IDS), ...b };
  for (const id of ['n2', 'n3', 'n4']) net.post(id, net.nodes.get(id).handleMessage('n1', { type: 'Proposal', block: far }));
  net.run(3000);
  assertAgree(net);
  for (const [id, n] of honest(net)) {
    assert.ok(n.view.view >= V, `${id} followed (view ${n.view.view})`);
    assert.ok(Number.isSafeInteger(n.view.view), 'the view shows at most 2^53 − 1');
    assert.ok(Number.isSafeInteger(n.view.votedView));
  }
  // Every outbox passed checkOutbox: only safe integers.
  assert.ok(net.sent.every((s) => s.message.type !== 'Proposal' || Number.isSafeInteger(s.message.block.view)));
});

test('a traitor sending seeded random well-typed messages (valid ids where it can) causes no Error, no panic, no disagreement', () => {
  // §4.1-§4.4: whatever a traitor sends, honest replicas judge it; f = 1 traitor cannot break
  // safety. Debug builds of the wasm check arithmetic overflow, so numbers up to 2^53 − 1 here
  // would trap on an unchecked sum.
  const net = network(IDS, { seed: 7, silent: 'n1' });
  const r = net.rand;
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const seen = new Set(['0']);
  const num = () => pick([0, 1, 2, 3, 4, 5, 8, 12, 1000, BIG, BIG - 1, BIG - 3, Math.floor(r() * BIG)]);
  const id = () => pick([...seen, '0', '1', '18446744073709551615', String(Math.floor(r() * BIG))]);
  const voters = () => Array.from({ length: Math.floor(r() * 5) }, () => pick([...IDS, 'x']));
  const qc = () => (r() < 0.3 ? GENESIS_QC : { view: num(), block: id(), voters: voters() });
  const blk = () => {
    const view = r() < 0.5 ? 4 * Math.floor(r() * 50) : num();
    const b = { view, height: pick([1, 2, 3, num()]), proposer: pick(IDS), parent: id(), justify: qc(), commands: r() < 0.5 ? [] : ['t'] };
    const h = hotstuffBlockId(b, IDS);
    if (r() < 0.5) seen.add(h);
    return { id: r() < 0.8 ? h : id(), ...b };
  };
  const make = () => {
    switch (pick(TYPES)) {
      case 'Proposal': return { type: 'Proposal', block: blk() };
      case 'Vote': return { type: 'Vote', view: num(), block: id() };
      case 'NewView': return { type: 'NewView', view: num(), genericQc: qc() };
      case 'Request': return { type: 'Request', command: pick(['t', 1, null, { a: [1] }]) };
      case 'Fetch': return { type: 'Fetch', block: id() };
      default: return { type: 'Blocks', blocks: Array.from({ length: Math.floor(r() * 4) }, blk) };
    }
  };
  for (const id of ['n2', 'n3', 'n4']) net.post(id, net.nodes.get(id).propose(`honest-${id}`));
  for (let round = 0; round < 100; round++) {
    for (const s of net.sent.slice(-20)) if (s.message.type === 'Proposal') seen.add(s.message.block.id);
    for (let k = 0; k < 10; k++) {
      const to = pick(['n2', 'n3', 'n4']);
      net.post(to, net.nodes.get(to).handleMessage('n1', make()));
    }
    net.step(10, 20);
  }
  net.run(3000);
  assertAgree(net);
  // Liveness too, for this seed (a traitor leader may push the views to 2^53 − 1, where the
  // chain stops: the honest commands were proposed first and executed before any such jump).
  for (const [id, n] of honest(net)) for (const h of ['n2', 'n3', 'n4']) assert.ok(values(n).includes(`"honest-${h}"`), `${id} executed honest-${h}`);
});

test('bad input to every method is an Error naming the parameter and the rule; the node is unchanged', () => {
  const n1 = createConsensus('hotstuff', 'n1', IDS);
  const before = state(n1);
  const blk = { id: '1', view: 1, height: 1, proposer: 'n2', parent: '0', justify: GENESIS_QC, commands: [] };
  const msg = (m) => () => n1.handleMessage('n2', m);
  throwsError(() => createConsensus('hotstuff', 'n1', IDS, { viewTimeoutMs: 0 }), /^viewTimeoutMs must be a number of ms above 0 and at most 3600000 \(got 0\)/);
  throwsError(() => createConsensus('hotstuff', 'n1', IDS, { viewTimeoutMs: '150' }), /^viewTimeoutMs must be a number of ms/);
  throwsError(() => createConsensus('hotstuff', 'n1', IDS, { seed: -1 }), /^seed must be a non-negative integer/);
  throwsError(() => createConsensus('hotstuff', 'n1', IDS, { checkpointInterval: 5 }), /^options.checkpointInterval is not an option; the options are seed, viewTimeoutMs/);
  throwsError(() => createConsensus('hotstuff', 'n1', IDS, 5), /^options must be an object/);
  throwsError(() => createConsensus('hotstuff', '', IDS), /^id must be a non-empty string/);
  throwsError(() => createConsensus('hotstuff', 'n1', ['n1', 'n1']), /^peers\[1\] must not repeat an id/);
  throwsError(() => n1.handleMessage('n9', { type: 'Fetch', block: '0' }), /^from must be a peer of n1/);
  throwsError(() => n1.handleMessage('n1', { type: 'Fetch', block: '0' }), /^from must be a peer of n1, not n1 itself/);
  throwsError(msg(null), /^message must be an object/);
  throwsError(msg({ type: 'Nope' }), /^message.type must be one of Proposal, Vote, NewView, Request, Fetch, Blocks/);
  throwsError(msg({ type: 'Vote', view: -1, block: '0' }), /^message.view must be an integer from 0 to 9007199254740991 \(got -1\)/);
  throwsError(msg({ type: 'Vote', view: 1.5, block: '0' }), /^message.view must be an integer/);
  throwsError(msg({ type: 'Vote', view: 2 ** 53, block: '0' }), /^message.view must be an integer/);
  throwsError(msg({ type: 'Vote', view: 1 }), /^message.block must be a block id: a decimal string/);
  throwsError(msg({ type: 'Vote', view: 1, block: 5 }), /^message.block must be a block id: a decimal string of an integer from 0 to 18446744073709551615, no leading zeros \(got 5\)/);
  throwsError(msg({ type: 'Vote', view: 1, block: '007' }), /^message.block must be a block id/);
  throwsError(msg({ type: 'Vote', view: 1, block: '18446744073709551616' }), /^message.block must be a block id/);
  throwsError(msg({ type: 'Vote', view: 1, block: '-1' }), /^message.block must be a block id/);
  throwsError(msg({ type: 'Vote', view: 1, block: '' }), /^message.block must be a block id/);
  throwsError(msg({ type: 'Vote', view: 1, block: '1', extra: 1 }), /^message.extra is not a field of Vote; its fields are type, view, block/);
  throwsError(msg({ type: 'Fetch', block: '1e3' }), /^message.block must be a block id/);
  throwsError(msg({ type: 'Proposal' }), /^message.block must be a block \{id, view, height, proposer, parent, justify, commands\}/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, id: undefined } }), /^message.block.id must be a block id/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, proposer: 'zz' } }), /^message.block.proposer must be a replica's id, one of n1, n2, n3, n4 \(got "zz"\)/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, parent: 0 } }), /^message.block.parent must be a block id/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, height: -2 } }), /^message.block.height must be an integer/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, justify: null } }), /^message.block.justify must be an object/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, justify: { ...GENESIS_QC, voters: [5] } } }), /^message.block.justify.voters\[0\] must be a non-empty string/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, justify: { ...GENESIS_QC, signers: [] } } }), /^message.block.justify.signers is not a field of a QC/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, commands: 'x' } }), /^message.block.commands must be an array/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, commands: [undefined] } }), /^message.block.commands\[0\] must be a JSON value/);
  throwsError(msg({ type: 'Proposal', block: { ...blk, foo: 1 } }), /^message.block.foo is not a field of a block/);
  throwsError(msg({ type: 'NewView', view: 2, genericQc: [0, '0', []] }), /^message.genericQc must be an object/);
  throwsError(msg({ type: 'NewView', view: 2, genericQc: { view: 0, block: '0' } }), /^message.genericQc.voters must be an array/);
  throwsError(msg({ type: 'Blocks', blocks: {} }), /^message.blocks must be an array/);
  throwsError(msg({ type: 'Blocks', blocks: [blk, { ...blk, view: 'x' }] }), /^message.blocks\[1\].view must be an integer/);
  throwsError(msg({ type: 'Request' }), /^message.command must be a JSON value/);
  throwsError(() => n1.propose(undefined), /^command must be a JSON value/);
  throwsError(() => n1.propose(1n), /^command must be a JSON value/);
  throwsError(() => n1.propose('a', 'b'), /^value must be left out/);
  throwsError(() => n1.tick(-1), /^nowMs/);
  throwsError(() => n1.vote('x', true), /offered only by 'vote' nodes/);
  throwsError(() => hotstuffBlockId(blk, 'n1'), /^replicas must be an array/);
  throwsError(() => hotstuffBlockId(blk), /^replicas must be an array/);
  throwsError(() => hotstuffBlockId(1, IDS), /^block must be a block/);
  throwsError(() => hotstuffBlockId({ view: 1 }, IDS), /^block.height must be an integer/);
  throwsError(() => hotstuffBlockId({ ...blk, proposer: 'n9' }, IDS), /^block.proposer must be a replica's id/);
  assert.equal(state(n1), before, 'unchanged');
  // Still works: the id field is optional for hotstuffBlockId; a non-replica voter is allowed.
  assert.equal(hotstuffBlockId({ ...blk, id: undefined }, IDS), hotstuffBlockId(blk, IDS));
  assert.match(hotstuffBlockId({ ...blk, justify: { view: 0, block: '0', voters: ['x'] } }, IDS), /^[0-9]+$/);
  assert.equal(n1.propose('ok').length, 3);
  assert.equal(n1.handleMessage('n2', { type: 'Vote', view: 3, block: '99' }).length, 0);
});
