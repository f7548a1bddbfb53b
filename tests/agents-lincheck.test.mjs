// Issue #15 §2: "Write each agent's operations to a history and check it for linearizability
// with the project's checker." Three Raft agents in one process (an in-memory transport that
// delivers on a later macrotask), one client each, race compare-and-swap increments of one
// counter and plain writes of another key; each operation's call and return times and outcome
// go to a history in the JSON Lines form `consensus-sim history` prints, which `consensus-sim
// lincheck` (src/lincheck.rs: Wing & Gong / Lowe, key by key) judges. A history with one swap's
// outcome flipped is not linearizable: the check is not vacuous.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ROOT } from '../scripts/setup.mjs';
import { cluster } from './agents-cluster.mjs';

const BIN = join(ROOT, 'target/release/consensus-sim');
before(() => {
  execFileSync('cargo', ['build', '--quiet', '--release', '--bin', 'consensus-sim'], { cwd: ROOT, stdio: 'inherit' });
});

const ids = ['a', 'b', 'c'];

const lincheck = (lines) => spawnSync(BIN, ['lincheck'], { input: lines.map((l) => JSON.stringify(l)).join('\n'), encoding: 'utf8' });

test('agents: a history of racing compare-and-swaps and writes from three Raft agents is linearizable; with one outcome flipped it is not', { timeout: 60_000 }, async () => {
  const c = cluster('raft', ids, { timeout: 2000, heartbeatInterval: 10, electionTimeout: [40, 80] });
  const agents = c.agents;
  c.start();
  const t0 = performance.now();
  const now = () => Math.round((performance.now() - t0) * 1000) / 1000;
  const history = [];
  // One operation: `run()` → its result; `line(result)` → the history line's outcome fields
  // (null when the outcome is unknown: it timed out, so it may or may not have taken effect).
  const record = async (client, fields, run, outcome) => {
    const call = now();
    const r = await run();
    if (r.status === 'rejected') return r; // refused before it reached the log: no effect
    const o = r.status === 'accepted' ? outcome(r) : null;
    history.push({ client, ...fields, call, return: o ? now() : null, ...(o ?? {}) });
    return r;
  };
  const first = agents.get('a');
  await record(0, { op: 'put', key: 'n', value: '0' }, () => first.proposeWithResult('n', '0'), () => ({ ok: true }));
  await Promise.all(
    ids.map(async (id, i) => {
      const agent = agents.get(id);
      for (let k = 0; k < 12; k++) {
        const from = String(agent.get('n') ?? '0');
        const to = String(Number(from) + 1);
        await record(i + 1, { op: 'cas', key: 'n', from, to }, () => agent.compareAndSwap('n', from, to), (r) => (r.swapped === null ? null : { ok: r.swapped }));
        const value = `${id}${k}`;
        await record(i + 1, { op: 'put', key: 'w', value }, () => agent.proposeWithResult('w', value), () => ({ ok: true }));
      }
    }),
  );
  const swaps = history.filter((h) => h.op === 'cas' && h.ok === true);
  const refused = history.filter((h) => h.op === 'cas' && h.ok === false);
  assert.ok(swaps.length >= 5 && refused.length >= 1, `${swaps.length} swaps, ${refused.length} refused: the clients raced`);
  const verdict = lincheck(history);
  assert.equal(verdict.status, 0, verdict.stderr);
  assert.deepEqual(JSON.parse(verdict.stdout), { linearizable: true, operations: history.length, failure: null });
  // The final value is the number of swaps that took effect.
  for (const a of agents.values()) await new Promise((resolve) => (a.get('n') === String(swaps.length) ? resolve() : a.subscribe('n', (v) => v === String(swaps.length) && resolve())));

  // Flip one refused swap to "swapped": two swaps then claim the same step, which no order of the
  // operations allows.
  const forged = history.map((h) => (h === refused[0] ? { ...h, ok: true } : h));
  const no = lincheck(forged);
  assert.equal(no.status, 1, no.stdout + no.stderr);
  assert.match(JSON.parse(no.stdout).failure, /key "n" are not linearizable/);
});
