// The node interface for PBFT (issue #12 §7): createConsensus('pbft', id, replicas, options)
// gives one replica driven by hand, whose messages the test's own network carries. Four replicas
// (f = 1) over a lossy, duplicating, reordering network execute the same requests in the same
// order (Castro & Liskov, OSDI 1999 §4: safety); pbftDigest builds the digests the replicas use;
// a traitor's hand-built messages get the protocol's answer, never an Error; bad input throws
// naming the parameter and the rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pkg, { throwsError } from './wasm-package.mjs';

const { createConsensus, ConsensusNode, pbftDigest } = pkg;

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
const TYPES = ['Request', 'PrePrepare', 'Prepare', 'Commit', 'Reply', 'Checkpoint', 'ViewChange', 'NewView', 'Fetch', 'State'];
const state = (n) => JSON.stringify([n.view, n.decisions]);

function checkOutbox(id, outbox) {
  assert.ok(Array.isArray(outbox));
  for (const o of outbox) {
    assert.deepEqual(Object.keys(o), ['to', 'message']);
    assert.notEqual(o.to, id, 'the outbox never addresses the node itself');
    assert.ok(IDS.includes(o.to) || o.to === 'x', o.to);
    assert.ok(TYPES.includes(o.message.type), o.message.type);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(outbox)), outbox, 'JSON-safe');
  const numbers = (v) => (typeof v === 'number' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(numbers) : []);
  for (const o of outbox) for (const x of numbers(o.message)) assert.ok(Number.isSafeInteger(x) && x >= 0, `a safe integer: ${x}`);
  return outbox;
}

/** A test network of replicas `ids` (the `honest` ones are checked); `loss`, `dup` probabilities. */
function network(ids, { seed = 1, options = {}, loss = 0, dup = 0, traitor = null } = {}) {
  const rand = mulberry32(seed);
  const nodes = new Map(ids.map((id) => [id, createConsensus('pbft', id, ids, { seed, ...options })]));
  const net = { nodes, rand, now: 0, inFlight: [], loss, dup, sent: [], traitor };
  net.post = (from, outbox) => {
    checkOutbox(from, outbox);
    for (const { to, message } of outbox) {
      net.sent.push({ from, to, message });
      if (from === traitor || to === traitor) continue; // the traitor is silent unless the test speaks for it
      if (rand() < net.loss) continue;
      net.inFlight.push({ from, to, message });
      if (rand() < net.dup) net.inFlight.push({ from, to, message: structuredClone(message) });
    }
  };
  net.deliver = ({ from, to, message }) => net.post(to, nodes.get(to).handleMessage(from, message));
  net.step = (dt, k) => {
    net.now += dt;
    for (const [id, n] of nodes) net.post(id, n.tick(net.now));
    for (let i = 0; i < k && net.inFlight.length > 0; i++) {
      const [m] = net.inFlight.splice(Math.floor(rand() * net.inFlight.length), 1);
      net.deliver(m);
    }
  };
  net.calm = (ms, dt = 5) => {
    for (let t = 0; t < ms; t += dt) {
      net.step(dt, 0);
      while (net.inFlight.length > 0) net.deliver(net.inFlight.shift());
    }
  };
  return net;
}

/** Every honest replica executed the same requests in the same order (a common prefix). */
function assertAgree(net) {
  const lists = [...net.nodes].filter(([id]) => id !== net.traitor).map(([id, n]) => [id, n.decisions]);
  const bySeq = new Map();
  for (const [id, ds] of lists) {
    ds.forEach((d, k) => {
      assert.equal(d.index, k + 1, `${id}: executed in sequence order`);
      const v = JSON.stringify(d.value);
      if (!bySeq.has(d.index)) bySeq.set(d.index, v);
      assert.equal(bySeq.get(d.index), v, `${id} executed otherwise at ${d.index}`);
    });
  }
  return bySeq;
}

test("createConsensus('pbft'): the API shape, a request executed by all four", () => {
  const net = network(IDS);
  const n1 = net.nodes.get('n1');
  assert.ok(n1 instanceof ConsensusNode);
  assert.equal(n1.mechanism, 'pbft');
  assert.equal(n1.nodeId, 'n1');
  assert.equal(n1.view.state, 'normal');
  assert.equal(n1.view.primaryId, 'n1');
  assert.equal(n1.view.isPrimary, true);
  const out = n1.propose({ put: 'x' });
  assert.deepEqual(out.map((o) => o.to), ['n2', 'n3', 'n4']);
  const pp = out[0].message;
  assert.deepEqual(Object.keys(pp), ['type', 'view', 'seq', 'digest', 'request']);
  assert.deepEqual(pp.request, { operation: { put: 'x' }, timestamp: 1, client: 'n1' });
  assert.equal(pp.digest, pbftDigest(pp.request));
  net.post('n1', out);
  net.calm(50);
  for (const n of net.nodes.values()) assert.deepEqual(n.decisions, [{ index: 1, value: { operation: { put: 'x' }, timestamp: 1, client: 'n1' } }]);
  // The next own request gets the next timestamp.
  const out2 = n1.propose('y');
  assert.equal(out2[0].message.request.timestamp, 2);
  assert.equal(pbftDigest(null), 0);
});

test('pbftDigest matches every PrePrepare; a backup forwards a request; a whole request from one client to every replica executes once', () => {
  const net = network(IDS, { seed: 2 });
  const req = { operation: { add: ['k', 1] }, timestamp: 7, client: 'c1' };
  for (const id of IDS) net.post(id, net.nodes.get(id).propose(structuredClone(req)));
  net.post('n3', net.nodes.get('n3').propose('from n3'));
  net.calm(100);
  const pps = net.sent.filter((s) => s.message.type === 'PrePrepare');
  assert.ok(pps.length >= 6);
  for (const { message } of pps) assert.equal(message.digest, pbftDigest(message.request));
  const ds = assertAgree(net);
  assert.equal(ds.size, 2, 'the client request once, n3\'s once');
  for (const n of net.nodes.values()) assert.equal(n.decisions.length, 2);
  // Other replica names: the mapping is given to pbftDigest.
  const names = ['a', 'b', 'c', 'd'];
  const a = createConsensus('pbft', 'a', names);
  const [{ message }] = a.propose(1);
  assert.equal(message.request.client, 'a');
  assert.equal(message.digest, pbftDigest(message.request, names));
  assert.notEqual(message.digest, pbftDigest(message.request));
});

for (const seed of [1, 2, 3]) {
  test(`four replicas over a lossy, duplicating, reordering network execute the same requests in the same order (seed ${seed})`, () => {
    const net = network(IDS, { seed, loss: 0.1, dup: 0.1 });
    let k = 0;
    const proposed = [];
    for (let round = 0; round < 200; round++) {
      if (round % 10 === 0 && k < 15) {
        const id = IDS[Math.floor(net.rand() * 4)];
        // Its own client: timestamp one more than its last.
        const timestamp = proposed.filter((p) => p.client === id).length + 1;
        proposed.push({ operation: { put: [`k${k}`, k] }, timestamp, client: id });
        net.post(id, net.nodes.get(id).propose({ put: [`k${k}`, k] }));
        k++;
      }
      net.step(10, 20);
    }
    net.loss = 0;
    net.dup = 0;
    net.calm(5000, 20);
    const ds = assertAgree(net);
    const executed = [...ds.values()].filter((v) => v !== 'null').map((v) => JSON.parse(v));
    assert.ok(executed.every((r) => proposed.some((p) => JSON.stringify(p) === JSON.stringify(r))), 'only proposed requests executed');
    // Exactly once per client timestamp (§4.1): every request executed, unless a later one of the
    // same client executed first (a client has one request outstanding; this test does not wait).
    for (const p of proposed) {
      const done = executed.some((r) => r.client === p.client && r.timestamp >= p.timestamp);
      assert.ok(done, `${JSON.stringify(p)} executed or superseded`);
    }
    assert.ok(executed.length >= 10, `most requests executed (${executed.length} of ${k})`);
    // A replica that missed a pre-prepare and timed out alone into the next view, while the
    // others stayed idle in theirs, is not brought back by anything they send in a calm: the
    // thesis's status messages (Castro, §5.2), which would, are not implemented. It comes back
    // with the next stable checkpoint (state transfer, §4.3): the clients go on until then.
    const behind = () => [...net.nodes.values()].filter((n) => n.decisions.length < Math.max(...[...net.nodes.values()].map((m) => m.decisions.length)));
    assert.ok(behind().length <= 1, `at most f = 1 replica behind (${behind().map((n) => n.nodeId)})`);
    for (let extra = 0; behind().length > 0 && extra < 30; extra++) {
      const id = IDS.find((x) => net.nodes.get(x).view.state === 'normal');
      net.post(id, net.nodes.get(id).propose({ put: [`more${extra}`, extra] }));
      net.calm(200, 20);
    }
    const all = assertAgree(net);
    for (const n of net.nodes.values()) assert.equal(n.decisions.length, all.size, `${n.nodeId} caught up`);
  });
}

test('a silent primary is replaced by a view change (the client sent its request to every backup, §4.1); the rest still agree', () => {
  const net = network(IDS, { seed: 4, traitor: 'n1' });
  for (const id of ['n2', 'n3', 'n4']) net.post(id, net.nodes.get(id).propose({ operation: 'a', timestamp: 1, client: 'c1' }));
  net.calm(3000, 20);
  const n2 = net.nodes.get('n2');
  assert.ok(n2.view.view >= 1, `moved past view 0 (view ${n2.view.view})`);
  assertAgree(net);
  assert.ok(n2.decisions.some((d) => d.value?.operation === 'a'));
});

test("a traitor's hand-built messages give no Error and break no agreement", () => {
  const net = network(IDS, { seed: 5, traitor: 'n1' });
  const n = (id) => net.nodes.get(id);
  const r1 = { operation: 'r1', timestamp: 1, client: 'c9' };
  const r2 = { operation: 'r2', timestamp: 1, client: 'c8' };
  const d1 = pbftDigest(r1);
  const d2 = pbftDigest(r2);
  const BIG = Number.MAX_SAFE_INTEGER;
  const attacks = [
    { type: 'PrePrepare', view: 0, seq: 1, digest: d2, request: r1 }, // wrong digest
    { type: 'PrePrepare', view: 0, seq: 1, digest: d1, request: r1 },
    { type: 'PrePrepare', view: 0, seq: 1, digest: d2, request: r2 }, // a second pre-prepare for seq 1
    { type: 'PrePrepare', view: 3, seq: 2, digest: d2, request: r2 }, // a view it is not primary of
    { type: 'PrePrepare', view: 0, seq: BIG, digest: d2, request: r2 }, // out of the window
    { type: 'Prepare', view: 0, seq: 1, digest: d2, replica: 'n3' }, // claims another's name
    { type: 'Commit', view: BIG, seq: BIG, digest: BIG, replica: 'n1' },
    { type: 'Checkpoint', seq: 10, digest: 12345, replica: 'n1' },
    { type: 'ViewChange', view: BIG, lastStable: BIG, stableDigest: BIG, checkpointProof: ['n1', 'n2', 'n3'], checkpoints: [{ seq: BIG, digest: 1 }], prepared: [{ seq: 1, view: BIG, digest: d2, request: r2 }], prePrepared: [{ seq: 1, view: BIG, digest: d2 }], replica: 'n1' },
    { type: 'NewView', view: 4, viewChanges: ['n1', 'n2', 'n3'], checkpoint: { seq: 0, digest: 0 }, prePrepares: [{ seq: 1, digest: d2, request: r2 }] }, // forged: view 4's primary is n1, but nobody sent those view changes
    { type: 'NewView', view: 1, viewChanges: ['n2', 'n3', 'n4'], checkpoint: { seq: BIG, digest: BIG }, prePrepares: [] }, // not the primary of view 1
    { type: 'State', seq: 5, digest: 77, requests: [{ seq: 1, request: r2 }, { seq: 2, request: null }] },
    { type: 'Fetch', after: BIG },
    { type: 'Reply', view: 0, timestamp: BIG, client: 'n2', replica: 'n1', result: { ok: true, value: 'forged' } },
    { type: 'Request', request: r2 },
  ];
  // The honest replicas hear a request first, then the attacks, in a seeded shuffled order, twice (replays).
  for (const id of ['n2', 'n3', 'n4']) net.post(id, n(id).propose(structuredClone(r1)));
  for (let pass = 0; pass < 2; pass++) {
    const order = attacks.map((m, k) => [net.rand(), k]).sort((a, b) => a[0] - b[0]);
    for (const [, k] of order) for (const id of ['n2', 'n3', 'n4']) net.post(id, n(id).handleMessage('n1', structuredClone(attacks[k])));
    net.step(5, 50);
  }
  net.calm(4000, 20);
  const ds = assertAgree(net);
  const ops = [...ds.values()].filter((v) => v !== 'null').map((v) => JSON.parse(v).operation);
  assert.ok(ops.includes('r1'), `the honest request executed: ${ops}`);
  for (const id of ['n2', 'n3', 'n4']) assert.equal(n(id).decisions.length, ds.size);
});

test('bad input to every method is an Error naming the parameter and the rule; the node is unchanged', () => {
  const n1 = createConsensus('pbft', 'n1', IDS);
  const before = state(n1);
  throwsError(() => createConsensus('pbft', 'n1', IDS, { checkpointInterval: 0 }), /^checkpointInterval must be an integer from 1 to 10000/);
  throwsError(() => createConsensus('pbft', 'n1', IDS, { viewChangeMs: -1 }), /^viewChangeMs must be/);
  throwsError(() => createConsensus('pbft', 'n1', IDS, { heartbeatMs: 5 }), /heartbeatMs/);
  throwsError(() => n1.handleMessage('n9', { type: 'Fetch', after: 0 }), /^from must be a peer of n1/);
  throwsError(() => n1.handleMessage('n1', { type: 'Fetch', after: 0 }), /^from must be a peer of n1, not n1 itself/);
  throwsError(() => n1.handleMessage('n2', { type: 'Nope' }), /^message.type must be one of Request, PrePrepare/);
  throwsError(() => n1.handleMessage('n2', { type: 'Fetch', after: -1 }), /^message.after must be an integer from 0 to 9007199254740991 \(got -1\)/);
  throwsError(() => n1.handleMessage('n2', { type: 'Fetch', after: 1.5 }), /^message.after must be an integer/);
  throwsError(() => n1.handleMessage('n2', { type: 'Fetch', after: 2 ** 53 }), /^message.after must be an integer/);
  throwsError(() => n1.handleMessage('n2', { type: 'Fetch', after: 0, extra: 1 }), /^message.extra is not a field of Fetch/);
  throwsError(() => n1.handleMessage('n2', { type: 'Prepare', view: 0, seq: 1, digest: 1, replica: 'zz' }), /^message.replica must be a member/);
  throwsError(() => n1.handleMessage('n2', { type: 'PrePrepare', view: 0, seq: 1, digest: 1, request: 5 }), /^message.request must be a request \{operation, timestamp, client\} or null/);
  throwsError(() => n1.handleMessage('n2', { type: 'PrePrepare', view: 0, seq: 1, digest: 1, request: { operation: 1, timestamp: 1 } }), /^message.request.client must be a non-empty string/);
  throwsError(() => n1.handleMessage('n2', { type: 'Request', request: { timestamp: 1, client: 'c' } }), /^message.request.operation must be a JSON value/);
  throwsError(() => n1.handleMessage('n2', { type: 'Request', request: null }), /^message.request must be a request/);
  throwsError(() => n1.handleMessage('n2', { type: 'NewView', view: 1, viewChanges: ['n2', 'n2'], checkpoint: { seq: 0, digest: 0 }, prePrepares: [] }), /^message.viewChanges\[1\] must not repeat an id/);
  throwsError(() => n1.handleMessage('n2', { type: 'NewView', view: 1, viewChanges: [], checkpoint: [0, 0], prePrepares: [] }), /^message.checkpoint must be an object/);
  throwsError(() => n1.handleMessage('n2', { type: 'ViewChange', view: 1, lastStable: 0, stableDigest: 0, checkpointProof: [], checkpoints: [], prepared: [], prePrepared: [[1, 0, 5]], replica: 'n2' }), /^message.prePrepared\[0\] must be an object/);
  throwsError(() => n1.handleMessage('n2', { type: 'State', seq: 1, digest: 1, requests: [{ seq: 'x', request: null }] }), /^message.requests\[0\].seq must be an integer/);
  throwsError(() => n1.handleMessage('n2', { type: 'Reply', view: 0, timestamp: 1, client: 'n01', replica: 'n2', result: null }), /^message.client must be a replica's id or a client name that does not read as n<k>/);
  throwsError(() => n1.propose(undefined), /^command must be a JSON value/);
  throwsError(() => n1.propose({ operation: 1, timestamp: -1, client: 'c1' }), /^command.timestamp must be an integer/);
  throwsError(() => n1.propose({ operation: 1, timestamp: 1, client: '' }), /^command.client must be a non-empty string/);
  throwsError(() => n1.tick(-1), /^nowMs/);
  throwsError(() => pbftDigest({ operation: 1, timestamp: 1.5, client: 'c' }), /^request.timestamp must be an integer/);
  throwsError(() => pbftDigest(undefined), /^request must be a request/);
  throwsError(() => pbftDigest({ operation: 1, timestamp: 1, client: 'c' }, 'n1'), /^replicas must be an array/);
  assert.equal(state(n1), before, 'unchanged');
  // Still works.
  assert.equal(n1.propose('ok').length, 3);
});
