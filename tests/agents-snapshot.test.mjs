// Issue #15 §1: `snapshotInterval` for raft agents. The agent compacts its core's log (Raft §7)
// every `snapshotInterval` applied entries, with its own replicated state (values, locks) as the
// snapshot: the core's log and decisions stay short, and a follower that fell behind the
// compaction installs that state by InstallSnapshot and goes on from it. In-memory transport
// (tests/agents-cluster.mjs); the tests wait for conditions, never for time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cluster } from './agents-cluster.mjs';

const CONFIG = { timeout: 2000, heartbeatInterval: 10, electionTimeout: [40, 80] };

test('raft agents with snapshotInterval: logs stay short, and a follower cut off during compaction catches up by InstallSnapshot with every value and lock', { timeout: 60_000 }, async () => {
  const c = cluster('raft', ['a', 'b', 'c'], { ...CONFIG, snapshotInterval: 5 });
  c.start();
  await c.ready();
  const leader = c.all().find((x) => x.isLeader());
  const [f, lagging] = c.all().filter((x) => x !== leader);
  c.partition([[lagging.getNodeId()], [leader.getNodeId(), f.getNodeId()]]);
  for (let k = 0; k < 30; k++) assert.equal(await f.propose(`k${k % 7}`, k), true);
  const lock = await f.acquireLock('printer', { holder: 'job-1', leaseMs: 60_000 });
  assert.equal(lock.acquired, true);
  assert.equal(await f.increment('n', 3).then((r) => r.accepted), true);
  const core = leader.getDebugState().coreView;
  assert.ok(core.snapshotIndex >= 25, `the leader compacted (snapshot at ${core.snapshotIndex})`);
  assert.ok(core.log.length < 10, `its log keeps ${core.log.length} entries`);
  assert.ok(leader.getDebugState().snapshotIndex >= 25);

  const changed = [];
  lagging.on('state:changed', (key, value) => changed.push([key, value]));
  c.heal();
  const want = leader.getDebugState();
  await c.until(() => lagging.get('n') === 3);
  const got = lagging.getDebugState();
  assert.ok(got.snapshotIndex >= 25, `the lagging follower installed a snapshot (at ${got.snapshotIndex})`);
  assert.deepEqual(got.values, want.values, 'every value');
  assert.deepEqual(got.locks, want.locks, 'the lock table, fencing token included');
  assert.equal(got.locks.printer.token, lock.token);
  // Subscribers hear the values the snapshot brought.
  assert.ok(changed.some(([key]) => key === 'k6'));
  // It goes on from the snapshot: the next write and the next lock decision are the same everywhere.
  assert.equal(await lagging.propose('after', 'snapshot'), true);
  await c.everywhere('after', 'snapshot');
  const second = await lagging.acquireLock('printer', { holder: 'job-2', leaseMs: 1000 });
  assert.equal(second.acquired, false, 'held by job-1, as the snapshot says');
  assert.equal(second.holder, 'job-1');
});

/** A storage with localStorage's two methods, kept in memory (Node 20 has no localStorage). */
function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), map: m };
}

test('raft agents with config.storage: a crashed agent comes back under its id with its term, vote and log, and catches up', { timeout: 60_000 }, async () => {
  const storage = { a: memoryStorage(), b: memoryStorage(), c: memoryStorage() };
  const c = cluster('raft', ['a', 'b', 'c'], { ...CONFIG, snapshotInterval: 8 }, (id) => ({ storage: storage[id] }));
  c.start();
  await c.ready();
  const follower = c.all().find((x) => !x.isLeader());
  const id = follower.getNodeId();
  for (let k = 0; k < 12; k++) assert.equal(await follower.propose(`k${k}`, k), true);
  const before = follower.getDebugState();
  assert.equal(before.restarted, false);
  const saved = JSON.parse(storage[id].getItem(`consensus-trait/${id}`));
  assert.equal(saved.currentTerm, before.currentTerm, 'written as it changed');
  assert.ok(saved.snapshot.index >= 8, 'compacted state is what is kept');

  // The crash: the agent object is gone (its timers stopped); a new one with the same id and storage takes its place.
  follower.stop();
  const others = c.all().filter((x) => x !== follower);
  assert.equal(await others[0].propose('while', 'down'), true);
  const back = c.replace(id);
  back.start();
  const s = back.getDebugState();
  assert.equal(s.restarted, true);
  assert.ok(s.currentTerm >= before.currentTerm, 'its term survived');
  assert.equal(s.snapshotIndex, saved.snapshot.index);
  await c.until(() => back.get('while') === 'down');
  for (let k = 0; k < 12; k++) assert.equal(back.get(`k${k}`), k, 'every value, from its snapshot and log');
  assert.equal(await back.propose('after', 'restart'), true);
  await c.everywhere('after', 'restart');

  // Other mechanisms have no persistent state to restore: refused, naming the option.
  assert.throws(() => new (back.constructor)('x', { mechanism: 'pbft', storage: memoryStorage() }), /^Error: config\.storage is an option of raft, not of pbft/);
  assert.throws(() => new (back.constructor)('x', { mechanism: 'raft', storage: {} }), /^Error: config\.storage must have getItem\(key\) and setItem\(key, value\)/);
});
