// The exercise "Build a distributed counter" (issue #15 §3), as shipped in examples/counter/:
// "increment and decrement from any node, every node shows the same value, survives a single
// node failure, handles partitions, supports atomic batch operations (several increments applied
// as one command) … a test that runs it across worker threads with a crash and a partition and
// checks the final value." Five counter nodes (examples/counter/counter-worker.js, importing the
// package by name) in five worker threads; tests wait for events, never for time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCounterCluster } from '../examples/counter/cluster.js';

/**
 * The ledger of a run: every operation sent, by outcome. Acknowledged (ok): applied. Refused
 * with "no quorum": never proposed, so never applied. Anything else (a timeout, a node that
 * crashed before answering): unknown — it may or may not have been applied.
 */
function ledger() {
  const acked = [];
  const unknown = [];
  let refused = 0;
  return {
    acked,
    unknown,
    get refused() {
      return refused;
    },
    record(total, r) {
      if (r?.ok) acked.push(total);
      else if (r?.status === 'rejected' && /no quorum/.test(r.error)) refused++;
      else unknown.push(total);
      return r;
    },
    sum: () => acked.reduce((s, x) => s + x, 0),
    /** Whether `value` is the acknowledged sum plus the sum of some of the unknown operations. */
    explains(value) {
      let reachable = new Set([0]);
      for (const u of unknown) reachable = new Set([...reachable, ...[...reachable].map((s) => s + u)]);
      return reachable.has(value - this.sum());
    },
  };
}

test('examples/counter across 5 worker threads: increments, decrements and batches from every node; the leader crashes mid-stream; a partition; every surviving node ends with the sum of the acknowledged operations', { timeout: 60_000 }, async (t) => {
  const c = await startCounterCluster(['n1', 'n2', 'n3', 'n4', 'n5']);
  t.after(() => c.kill()); // a failed assertion must not leave the workers running
  const book = ledger();
  await c.start();
  // One client per node, each sending its operations one after another to its own node: +1, -1,
  // +2 and a batch [3, -1, 1] (applied as one command, worth 3) in turn.
  const ops = [
    (id) => c.increment(id, 1).then((r) => book.record(1, r)),
    (id) => c.decrement(id, 1).then((r) => book.record(-1, r)),
    (id) => c.increment(id, 2).then((r) => book.record(2, r)),
    (id) => c.batch(id, [3, -1, 1]).then((r) => book.record(3, r)),
  ];
  const PER_CLIENT = 24;
  let sent = 0;
  let crashed = null;
  let successor = null;
  async function client(id) {
    for (let k = 0; k < PER_CLIENT; k++) {
      if (++sent === 40) {
        // A single node failure, mid-stream: the leader's worker is terminated.
        crashed = c.currentLeader();
        successor = c.leader(c.ids.filter((x) => x !== crashed), [crashed]);
        c.crash(crashed);
      }
      if (id === crashed) return;
      const r = await ops[k % ops.length](id);
      // Acknowledged, unknown (timed out, or the node crashed first), or refused at once while a
      // node hears no quorum (a loaded machine can delay heartbeats past `timeout`).
      assert.ok(r === null || r.ok || r.status === 'timeout' || /no quorum/.test(r.error), `${id}: ${r?.error}`);
    }
  }
  await Promise.all(c.ids.map(client));
  assert.ok(crashed, 'the leader crashed mid-stream');
  const leader = await successor;
  assert.notEqual(leader, crashed);
  assert.ok(book.acked.length >= 3 * PER_CLIENT, `${book.acked.length} operations acknowledged`);
  assert.ok(book.acked.some((x) => x === 3), 'batches were acknowledged');

  // A partition: one survivor cut off from the other three. Its writes are refused at once
  // ("no quorum", never applied) and it keeps serving its last value; the majority goes on.
  const [alone, ...rest] = c.live();
  const detected = c.event((m) => m.id === alone && m.name === 'partition:detected' && m.args[0].side === 'minority');
  c.partition([[alone], rest]);
  await detected;
  const before = await c.value(alone);
  const refused = book.record(5, await c.increment(alone, 5));
  assert.equal(refused.ok, false);
  assert.match(refused.error, /no quorum/);
  assert.equal(await c.value(alone), before, 'the cut-off node still serves its last value');
  const onMajority = [];
  for (const id of rest) onMajority.push(book.record(1, await c.increment(id, 1)), book.record(3, await c.batch(id, [1, 1, 1])));
  assert.ok(onMajority.every((r) => r.ok), onMajority.map((r) => r.error).join('; '));
  // Healed: it reaches every live node again (the crashed one stays unreachable, so the event is
  // partition:detected on the majority side, not partition:healed).
  const healed = c.event((m) => m.id === alone && m.name === 'partition:detected' && m.args[0].side === 'majority' && m.args[0].reachable.length === 4);
  c.heal();
  await healed;
  // After the heal the cut-off node writes again.
  for (let attempt = 0; ; attempt++) {
    const r = book.record(-2, await c.decrement(alone, 2));
    if (r.ok) break;
    assert.ok(attempt < 20, r.error);
  }

  // A last command after all others: once every survivor applies it, each has applied every
  // acknowledged operation, and the counter must be their sum on every node.
  const survivors = c.live();
  assert.equal(survivors.length, 4);
  const applied = Promise.all(survivors.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[0] === 'done')));
  assert.equal((await c.write(leader, 'done', true))?.accepted, true);
  await applied;
  const values = await Promise.all(survivors.map((id) => c.value(id)));
  assert.equal(new Set(values).size, 1, `every node shows the same value: ${values}`);
  if (book.unknown.length === 0) assert.equal(values[0], book.sum());
  else assert.ok(book.explains(values[0]), `${values[0]} is the sum of the ${book.acked.length} acknowledged operations (${book.sum()}) plus some of the ${book.unknown.length} unknown ones (${book.unknown})`);
  assert.ok(book.refused >= 1);
  t.diagnostic(`final value ${values[0]} on ${survivors.join(', ')}: ${book.acked.length} acknowledged operations summing to ${book.sum()}, ${book.unknown.length} unknown (${book.unknown.join(', ') || 'none'}), ${book.refused} refused`);
  await c.stop();
});

test('examples/counter/main.js runs as written (the README\'s command) and ends with every node agreeing on the acknowledged sum', { timeout: 60_000 }, async () => {
  const { execFile } = await import('node:child_process');
  const main = new URL('../examples/counter/main.js', import.meta.url);
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, [main.pathname], { timeout: 50_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout))));
  const lines = out.trim().split('\n');
  assert.match(lines[1], /^\+1 from each of the 5 nodes: +(n\d=5 ?){5}$/);
  assert.match(lines[3], /^n3's batch \[10, -1, 1\] \(one command, ok: true\): +(n\d=13 ?){5}$/);
  assert.match(lines[4], /^crashed the leader (n\d); new leader: (?!\1)n\d$/);
  assert.match(lines[6], /cut off: increment ok=false \(no quorum: .*it still reads 14$/);
  assert.match(lines.at(-1), /^healed: every node agrees on 15: +(n\d=15 ?){4}$/);
});
