// The lesson's patterns (issue #15 §3), on ConsensusTrait: "compareAndSwap(key, expected,
// newValue) as one replicated command (not a read followed by a write, which the lesson's sketch
// does and which races), a distributed lock with expiry that is safe when a holder pauses past its
// lease (fencing tokens: each grant carries an increasing number that a resource can check),
// optimistic update with rollback." Agents in one process over an in-memory transport (every
// message through JSON, on a later macrotask); real but short timers. Tests wait for events and
// conditions, never for time, and assert no durations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsensusTrait, FencedResource } from 'consensus-playground';
import { cluster as inMemory } from './agents-cluster.mjs';

const FAST = { timeout: 1000, heartbeatInterval: 10, electionTimeout: [30, 60] };
// PBFT's view-change timeout is electionTimeout[0]: at 30 ms a busy event loop makes a backup
// suspect a working primary on its own, and a lone suspicion never ends (the others do not
// follow it into the new view), so its own requests never execute. 200 ms keeps it honest.
const SLOWER = { pbft: { electionTimeout: [200, 400] } };
const LIMIT = { timeout: 20_000 }; // a test that hangs fails instead
const LOGS = { raft: ['a', 'b', 'c'], paxos: ['a', 'b', 'c'], pbft: ['a', 'b', 'c', 'd'] };

/** Agents over the in-memory network of agents-cluster.mjs, with this file's timers. */
const cluster = (mechanism, ids, config = {}) => inMemory(mechanism, ids, { ...FAST, ...SLOWER[mechanism], ...config });

/** A write retried until acknowledged (a leader may change under load), so the test has a known state. */
async function commit(agent, key, value) {
  let r;
  for (let k = 0; k < 20 && !r?.accepted; k++) r = await agent.proposeWithResult(key, value);
  assert.equal(r.accepted, true, r.error);
  return r;
}

for (const [mechanism, ids] of Object.entries(LOGS)) {
  test(`${mechanism}: compareAndSwap from two nodes at once, from the same expected value: exactly one swaps, the loser sees the winner's value, every node holds it`, LIMIT, async () => {
    const c = cluster(mechanism, ids);
    c.start();
    await c.ready();
    await commit(c.get('a'), 'x', 'start');
    await c.everywhere('x', 'start');
    // Both read 'start' and both try to move it on: one command each, ordered by the log.
    const [rb, rc] = await Promise.all([c.get('b').compareAndSwap('x', 'start', 'from-b'), c.get('c').compareAndSwap('x', 'start', 'from-c')]);
    assert.equal(rb.accepted && rc.accepted, true, `${rb.error} / ${rc.error}`);
    assert.deepEqual([rb.swapped, rc.swapped].sort(), [false, true], 'exactly one swapped');
    const [winner, loser] = rb.swapped ? [rb, rc] : [rc, rb];
    assert.equal(winner.seen, 'start');
    assert.equal(loser.seen, winner.value, "the loser sees the winner's value");
    assert.equal(loser.current, winner.value);
    assert.ok(loser.index !== winner.index, 'two places in the log');
    await c.everywhere('x', winner.value); // identically on every node
    // expected undefined: the key must be absent (once only).
    const [first, second] = await Promise.all([c.get('a').compareAndSwap('fresh', undefined, 1), c.get('b').compareAndSwap('fresh', undefined, 2)]);
    assert.deepEqual([first.swapped, second.swapped].sort(), [false, true]);
    assert.equal((first.swapped ? second : first).seen, first.swapped ? 1 : 2);
    c.stop();
  });
}

test('raft: the optimistic update (read, compute, compareAndSwap, retry on conflict): 3 nodes × 4 concurrent updates, none lost', LIMIT, async () => {
  const c = cluster('raft', ['a', 'b', 'c']);
  c.start();
  await c.ready();
  await commit(c.get('a'), 'n', 0);
  await c.everywhere('n', 0);
  const results = await Promise.all(c.all().flatMap((a) => [1, 2, 3, 4].map(() => a.update('n', (v) => v + 1, { retries: 20 }))));
  assert.ok(results.every((r) => r.updated), results.map((r) => r.error).join('; '));
  assert.ok(results.some((r) => r.attempts > 1), 'some update lost a swap and ran again');
  assert.deepEqual(results.map((r) => r.value).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'each committed a different value');
  await c.everywhere('n', 12);
  c.stop();
});

test('raft: update rolls back on conflict (the lost swap writes nothing) and runs again on the value it saw; fn throwing writes nothing', LIMIT, async () => {
  const c = cluster('raft', ['a', 'b', 'c']);
  c.start();
  await c.ready();
  const [a, b] = [c.get('a'), c.get('b')];
  await commit(a, 'cart', ['apple']);
  await c.everywhere('cart', ['apple']);
  // While a computes its update from ['apple'], b's write comes first.
  const interfere = async (v) => {
    if (v.length === 1) {
      await commit(b, 'cart', ['apple', 'pear']);
      await c.everywhere('cart', ['apple', 'pear']);
    }
    return [...v, 'plum'];
  };
  const none = await a.update('cart', interfere, { retries: 0 });
  assert.equal(none.updated, false);
  assert.match(none.error, /conflict: cart changed .*nothing written/);
  assert.deepEqual(none.value, ['apple', 'pear'], 'the value the lost swap saw');
  assert.deepEqual(a.get('cart'), ['apple', 'pear'], 'rolled back: the lost update left nothing');
  // Again from ['apple']: the first try loses to b's write, the retry computes on b's value.
  await commit(a, 'cart', ['apple']);
  await c.everywhere('cart', ['apple']);
  const calls = [];
  const r = await a.update('cart', (v) => (calls.push(v), interfere(v)));
  assert.equal(r.updated, true, r.error);
  assert.equal(r.attempts, 2);
  assert.deepEqual(calls, [['apple'], ['apple', 'pear']]);
  await c.everywhere('cart', ['apple', 'pear', 'plum']);
  const thrown = await a.update('cart', () => {
    throw new Error('out of stock');
  });
  assert.deepEqual([thrown.updated, thrown.error], [false, 'nothing written: out of stock']);
  assert.deepEqual(a.get('cart'), ['apple', 'pear', 'plum']);
  c.stop();
});

for (const mechanism of ['raft', 'pbft']) {
  test(`${mechanism}: a lock with a lease: a second acquirer is refused until the lease ends, then granted with a larger fencing token; the paused holder's late write is refused by the fenced resource`, LIMIT, async () => {
    const ids = LOGS[mechanism];
    const c = cluster(mechanism, ids);
    c.start();
    await c.ready();
    const [a, b] = [c.get('a'), c.get('b')];
    const resource = new FencedResource('storage');
    const leaseMs = 300;
    const first = await a.acquireLock('db', { leaseMs });
    assert.equal(first.acquired, true, first.error);
    assert.equal(first.holder, 'a');
    assert.ok(Number.isSafeInteger(first.token) && first.token > 0);
    assert.equal(resource.write(first.token, 'a writes').written, true);
    // The lock is held: b is refused and told by whom and until when.
    const refused = await b.acquireLock('db', { leaseMs });
    assert.deepEqual([refused.accepted, refused.acquired, refused.token, refused.holder, refused.expiresAt], [true, false, null, 'a', first.expiresAt]);
    const again = await a.acquireLock('db', { leaseMs });
    assert.equal(again.acquired, false, 'not reentrant: the holder itself waits for its release');
    // a pauses (does nothing) past its lease; b waits for the lock and gets it once the lease ends.
    const second = await b.acquireLock('db', { leaseMs: 5000, wait: 10_000 });
    assert.equal(second.acquired, true, second.error);
    assert.equal(second.holder, 'b');
    assert.ok(second.token > first.token, `tokens increase: ${first.token} then ${second.token}`);
    assert.ok(second.expiresAt - 5000 >= first.expiresAt, 'granted at or after the first lease ended, in the log\'s time');
    assert.equal(resource.write(second.token, 'b writes').written, true);
    // a wakes up, still believing it holds the lock, and writes with its old token: refused.
    const late = resource.write(first.token, 'a writes late');
    assert.equal(late.written, false);
    assert.match(late.error, new RegExp(`stale fencing token ${first.token}: storage has accepted token ${second.token}`));
    assert.equal(resource.read(), 'b writes');
    // a's release under its old token changes nothing; b's releases the lock.
    const stale = await a.releaseLock('db', first.token);
    assert.deepEqual([stale.released, stale.error], [false, `db is held under fencing token ${second.token}, not ${first.token}`]);
    assert.equal((await b.releaseLock('db', second.token)).released, true);
    const third = await a.acquireLock('db', { leaseMs });
    assert.equal(third.acquired, true);
    assert.ok(third.token > second.token);
    // Every node applied the same grants: the same lock table everywhere.
    await c.until(() => c.all().every((x) => x.getLock('db')?.token === third.token));
    assert.deepEqual(new Set(c.all().map((x) => JSON.stringify(x.getDebugState().locks))).size, 1);
    c.stop();
  });
}

test('raft: acquireLock({wait}) takes the lock as soon as its holder releases it', LIMIT, async () => {
  const c = cluster('raft', ['a', 'b', 'c']);
  c.start();
  await c.ready();
  const [a, b] = [c.get('a'), c.get('b')];
  const held = await a.acquireLock('job', { leaseMs: 60_000 });
  assert.equal(held.acquired, true);
  const waiting = b.acquireLock('job', { leaseMs: 1000, wait: 60_000 });
  await c.until(() => b.getLock('job')?.holder === 'a');
  assert.equal((await a.releaseLock('job', held.token)).released, true);
  const got = await waiting;
  assert.equal(got.acquired, true);
  assert.ok(got.token > held.token);
  assert.ok(got.expiresAt < held.expiresAt, 'granted long before the first lease would have ended');
  c.stop();
});

test('raft: batch applies several operations as one command, all or nothing; increment from every node counts each', LIMIT, async () => {
  const c = cluster('raft', ['a', 'b', 'c']);
  c.start();
  await c.ready();
  const [a, b] = [c.get('a'), c.get('b')];
  const ok = await a.batch([{ op: 'increment', key: 'hits', delta: 2 }, { op: 'increment', key: 'hits', delta: 3 }, { op: 'set', key: 'who', value: 'a' }]);
  assert.deepEqual([ok.applied, ok.failed, ok.values, ok.key], [true, null, { hits: 5, who: 'a' }, null]);
  await c.everywhere('hits', 5);
  // The swap fails, so neither the increment before it nor the set after it is applied.
  const no = await b.batch([{ op: 'increment', key: 'hits' }, { op: 'compareAndSwap', key: 'who', expected: 'b', value: 'c' }, { op: 'set', key: 'x', value: 1 }]);
  assert.equal(no.applied, false);
  assert.deepEqual(no.failed, { index: 1, key: 'who', reason: 'who holds "a", not the value expected' });
  await Promise.all(c.all().flatMap((x) => [x.increment('hits'), x.increment('hits', -2)]));
  await c.everywhere('hits', 2);
  assert.equal(a.get('x'), undefined);
  const notNumber = await a.increment('who');
  assert.deepEqual([notNumber.accepted, notNumber.applied, notNumber.error], [true, false, 'who holds "a", not a number']);
  c.stop();
});

test('raft: a minority cannot swap or take a lock (no quorum, swapped/acquired null: not applied)', LIMIT, async () => {
  const c = cluster('raft', ['a', 'b', 'c']);
  c.start();
  await c.ready();
  c.partition([['a'], ['b', 'c']]);
  const a = c.get('a');
  await new Promise((resolve) => a.once('partition:detected', resolve));
  const r = await a.compareAndSwap('x', undefined, 1);
  assert.deepEqual([r.accepted, r.swapped], [false, null]);
  assert.match(r.error, /no quorum/);
  const l = await a.acquireLock('db', { leaseMs: 100, wait: 1000 });
  assert.deepEqual([l.accepted, l.acquired, l.token], [false, null, null]);
  c.stop();
});

test('simple_majority and gossip refuse the patterns with an Error naming the mechanism: they need an ordered log', () => {
  for (const mechanism of ['simple_majority', 'gossip']) {
    const agent = new ConsensusTrait('a', { mechanism });
    const calls = {
      compareAndSwap: () => agent.compareAndSwap('x', 1, 2),
      increment: () => agent.increment('x'),
      batch: () => agent.batch([{ op: 'set', key: 'x', value: 1 }]),
      acquireLock: () => agent.acquireLock('db'),
      releaseLock: () => agent.releaseLock('db', 1),
      update: () => agent.update('x', (v) => v),
    };
    for (const [method, call] of Object.entries(calls)) {
      assert.throws(call, new RegExp(`^Error: ${method} needs an ordered log \\(mechanism raft, paxos or pbft\\), and ${mechanism} has none: `));
    }
    agent.stop();
  }
});

test('bad arguments throw an Error naming the parameter and the rule', () => {
  const agent = new ConsensusTrait('a', { mechanism: 'raft' });
  assert.throws(() => agent.compareAndSwap('', 1, 2), /^Error: key must be a non-empty string \(got ""\)/);
  assert.throws(() => agent.compareAndSwap('x', 1, undefined), /^Error: newValue must be a JSON value/);
  assert.throws(() => agent.compareAndSwap('x', 1n, 2), /^Error: expected must be a JSON value/);
  assert.throws(() => agent.increment('x', 1.5), /^Error: delta must be an integer \(got 1.5\)/);
  assert.throws(() => agent.batch([]), /^Error: operations must be a non-empty array/);
  assert.throws(() => agent.batch([{ op: 'multiply', key: 'x' }]), /^Error: operations\[0\]\.op must be 'set', 'increment' or 'compareAndSwap' \(got "multiply"\)/);
  assert.throws(() => agent.batch([{ op: 'increment', key: 'x', delta: 'one' }]), /^Error: operations\[0\]\.delta must be an integer/);
  assert.throws(() => agent.releaseLock('db', 0), /^Error: token must be a positive integer/);
  assert.throws(() => agent.acquireLock('db', { leaseMs: -1 }), /^Error: options\.leaseMs must be a positive number of milliseconds \(got -1\)/);
  assert.throws(() => agent.acquireLock('db', { lease: 100 }), /^Error: options\.lease is not an option \(known: leaseMs, holder, wait\)/);
  assert.throws(() => agent.acquireLock('', {}), /^Error: name must be a non-empty string/);
  assert.throws(() => agent.update('x', 'x + 1'), /^Error: fn must be a function/);
  assert.throws(() => agent.update('x', (v) => v, { retries: -1 }), /^Error: options\.retries must be a non-negative integer/);
  assert.throws(() => new FencedResource('r').write('7', 'v'), /^Error: token must be a positive integer/);
  agent.stop();
});

test("the README's pattern blocks run as written, in order, and print what their comments say", LIMIT, async () => {
  const { readFileSync, writeFileSync, rmSync } = await import('node:fs');
  const { execFile } = await import('node:child_process');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('### Patterns: compare-and-swap, locks with fencing tokens');
  const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
  const code = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
  // Inside the package, so that 'consensus-playground' resolves to itself through "exports".
  const file = new URL(`./.readme-patterns-${process.pid}.mjs`, import.meta.url);
  writeFileSync(file, code);
  try {
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, [file.pathname], { timeout: 15_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
    assert.deepEqual(out.trim().split('\n'), [
      '[ false, true ]',
      '9',
      'true 8',
      'false nothing written: not enough stock 8',
      'true true',
      'false',
      'true true',
      'false',
      'final by b',
      'true',
      "true { visits: 9, last: 'a' }",
      'increment needs an ordered log (mechanism raft, paxos or pbft)',
    ]);
  } finally {
    rmSync(file, { force: true });
  }
});
