// Real processes, real faults (issue #15 §2, first step): 5 agents as 5 Node worker threads (not
// one simulation), each importing the package by name and reaching its peers over the transport
// kit's MessagePorts. Raft: elect a leader, commit 1,000 proposals, terminate the leader's worker
// mid-stream, and check that no acknowledged write is lost and a new leader takes over; then cut
// the transport between two groups and check the events and the minority's read-only mode, and
// heal. Tests wait for events, never for time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { meshPorts } from 'consensus-playground';

const WORKER = new URL('./agents-worker.mjs', import.meta.url);
const CONFIG = { mechanism: 'raft', timeout: 1000, heartbeatInterval: 20, electionTimeout: [150, 300] };

/** Starts one worker per id, wired into a full mesh; returns the cluster's handle. */
async function workers(ids, config = CONFIG, traitors = {}) {
  const mesh = meshPorts(ids);
  const threads = new Map();
  const listeners = new Set();
  const replies = new Map();
  let n = 0;
  const exited = new Set();
  await Promise.all(
    ids.map(
      (id) =>
        new Promise((resolve, reject) => {
          const w = new Worker(WORKER, { workerData: { id, ids, config, traitor: traitors[id] ?? null } });
          threads.set(id, w);
          w.on('error', reject);
          w.on('exit', () => {
            exited.add(id);
            // Whatever it had not answered is lost with it: unacknowledged.
            for (const [k, r] of replies) if (r.id === id) (replies.delete(k), r.resolve(null));
          });
          w.on('message', (m) => {
            if (m.op === 'ready') resolve();
            else if (m.op === 'event') for (const l of [...listeners]) l(m);
            else if (m.op === 'result' || m.op === 'state') {
              const r = replies.get(m.n);
              replies.delete(m.n);
              r?.resolve(m.op === 'result' ? m.result : m.state);
            }
          });
        }),
    ),
  );
  for (const id of ids) threads.get(id).postMessage({ op: 'ports', ports: mesh[id] }, Object.values(mesh[id]));
  const ask = (id, msg) =>
    exited.has(id)
      ? Promise.resolve(null)
      : new Promise((resolve) => {
          const k = ++n;
          replies.set(k, { id, resolve });
          threads.get(id).postMessage({ ...msg, n: k });
        });
  return {
    live: () => ids.filter((id) => !exited.has(id)),
    post: (id, msg) => threads.get(id).postMessage(msg),
    /** → the result, or null when the worker died first. */
    propose: (id, key, value) => ask(id, { op: 'propose', key, value }),
    state: (id) => ask(id, { op: 'state' }),
    /** The next event (from any worker) passing `filter`. */
    event: (filter) =>
      new Promise((resolve) => {
        const l = (m) => {
          if (!filter(m)) return;
          listeners.delete(l);
          resolve(m);
        };
        listeners.add(l);
      }),
    on: (fn) => listeners.add(fn),
    kill: (id) => threads.get(id).terminate(),
    async stop() {
      await Promise.all(
        ids.filter((id) => !exited.has(id)).map((id) => new Promise((resolve) => {
          threads.get(id).once('exit', resolve);
          threads.get(id).postMessage({ op: 'stop' });
        })),
      );
    },
  };
}

/** Resolves once every id in `ids` has heard leader:elected naming one same leader (not in `not`). */
function agreeOnLeader(c, ids, not = []) {
  const known = new Map();
  return new Promise((resolve) => {
    c.on((m) => {
      if (m.name !== 'leader:elected' || !ids.includes(m.id)) return;
      known.set(m.id, m.args[0]);
      const l = [...known.values()];
      if (known.size === ids.length && l.every((x) => x === l[0]) && !not.includes(l[0])) resolve(l[0]);
    });
  });
}

test('raft, 5 worker threads: 1,000 proposals, the leader\'s worker terminated mid-stream: no acknowledged write is lost, a new leader takes over', { timeout: 120_000 }, async () => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const c = await workers(ids);
  const elected = agreeOnLeader(c, ids);
  for (const id of ids) c.post(id, { op: 'start' });
  const first = await elected;
  let leader = first;
  c.on((m) => m.name === 'leader:elected' && (leader = m.args[0]));
  const TOTAL = 1000;
  let ackedBeforeKill = 0;
  const acknowledged = new Set();
  let killed = null;
  let newLeader = null;
  let next = 0;
  // A client per agent: each sends its writes one after another (k<i> = i), retrying a write the
  // cluster did not acknowledge on another live agent, so all 1,000 are committed in the end.
  async function client(k) {
    for (;;) {
      const i = next++;
      if (i >= TOTAL) return;
      if (i === 300 && !killed) {
        killed = leader;
        ackedBeforeKill = acknowledged.size;
        newLeader = agreeOnLeader(c, ids.filter((x) => x !== killed), [killed]);
        await c.kill(killed);
      }
      for (let attempt = 0; ; attempt++) {
        const live = c.live();
        const at = live[(k + attempt) % live.length];
        const r = await c.propose(at, `k${i}`, i);
        if (r?.accepted) {
          acknowledged.add(i);
          break;
        }
        assert.ok(attempt < 50, `k${i} never acknowledged: ${r?.error}`);
      }
    }
  }
  await Promise.all(ids.map((_, k) => client(k)));
  assert.equal(acknowledged.size, TOTAL);
  assert.ok(killed, 'the leader was terminated mid-stream');
  assert.ok(ackedBeforeKill > 0 && ackedBeforeKill < TOTAL, `${ackedBeforeKill} writes acknowledged before the kill`);
  const second = await newLeader;
  assert.notEqual(second, killed);
  // A last write, applied after every earlier one in log order: once each survivor applies it,
  // each must hold every acknowledged write.
  const survivors = c.live();
  const applied = Promise.all(survivors.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[0] === 'done')));
  assert.equal((await c.propose(second, 'done', true))?.accepted, true);
  await applied;
  for (const id of survivors) {
    const s = await c.state(id);
    const lost = [...acknowledged].filter((i) => s.values[`k${i}`] !== i);
    assert.deepEqual(lost, [], `${id} lost acknowledged writes`);
  }
  await c.stop();
});

// PBFT's quorum is ⌈(N + f + 1) / 2⌉: 4 of 5, so a 2 | 3 cut leaves both sides read-only; with 4
// replicas (quorum 3) the primary n1 is cut off alone and the others change view without it.
const SPLITS = {
  raft: [['n1', 'n2'], ['n3', 'n4', 'n5']],
  simple_majority: [['n1', 'n2'], ['n3', 'n4', 'n5']],
  pbft: [['n1'], ['n2', 'n3', 'n4']],
};
for (const [mechanism, [small, large]] of Object.entries(SPLITS)) {
test(`${mechanism}, ${small.length + large.length} worker threads: a cut between {${small}} and {${large}}: partition events, the minority read-only, then healed`, { timeout: 60_000 }, async () => {
  const ids = [...small, ...large];
  const c = await workers(ids, { ...CONFIG, mechanism });
  const elected = mechanism === 'raft' ? agreeOnLeader(c, ids) : null;
  for (const id of ids) c.post(id, { op: 'start' });
  await elected;
  const everywhere = ids.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[1] === 'before'));
  assert.equal((await c.propose(large[0], 'x', 'before'))?.accepted, true);
  await Promise.all(everywhere);
  const minority = small.map((id) => c.event((m) => m.id === id && m.name === 'partition:detected' && m.args[0].side === 'minority' && m.args[0].reachable.length === small.length));
  const majority = large.map((id) => c.event((m) => m.id === id && m.name === 'partition:detected' && m.args[0].side === 'majority' && m.args[0].reachable.length === large.length));
  for (const id of small) c.post(id, { op: 'cut', peers: large });
  for (const id of large) c.post(id, { op: 'cut', peers: small });
  for (const m of await Promise.all(minority)) assert.deepEqual(m.args[0], { side: 'minority', reachable: small });
  for (const m of await Promise.all(majority)) assert.deepEqual(m.args[0], { side: 'majority', reachable: large });
  const r = await c.propose(small[0], 'x', 'minority');
  assert.equal(r.accepted, false);
  assert.match(r.error, /no quorum/);
  assert.equal((await c.state(small.at(-1))).values.x, 'before', 'get serves the last value');
  // The majority side may keep its leader (no leader:elected then): write through any of it.
  for (let attempt = 0; ; attempt++) {
    const w = await c.propose(large[attempt % large.length], 'x', 'majority');
    if (w.accepted) break;
    assert.ok(attempt < 20, w.error);
  }
  const healed = ids.map((id) => c.event((m) => m.id === id && m.name === 'partition:healed'));
  for (const id of ids) c.post(id, { op: 'heal' });
  await Promise.all(healed);
  // The minority writes again (Raft brings it up to date first; a vote's Decided messages lost
  // in the cut are not sent again, so voting's minority only sees later writes; PBFT's old
  // primary, cut off alone, sends its request to every replica, §4.1, and joins the new view).
  const writer = small[0];
  const caughtUp = ids.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[1] === 'healed'));
  for (let attempt = 0; ; attempt++) {
    const w = await c.propose(writer, 'x', 'healed');
    if (w.accepted) break;
    assert.ok(attempt < 20, w.error);
  }
  await Promise.all(caughtUp);
  await c.stop();
});
}

test('pbft, 4 worker threads, the primary a traitor (its transport forges the value in its pre-prepares to n3 and n4): the honest replicas change view, commit, and never apply the forged value', { timeout: 60_000 }, async () => {
  const ids = ['n1', 'n2', 'n3', 'n4'];
  const honest = ['n2', 'n3', 'n4'];
  const c = await workers(ids, { ...CONFIG, mechanism: 'pbft' }, { n1: { forgeTo: ['n3', 'n4'] } });
  const values = [];
  c.on((m) => m.name === 'state:changed' && honest.includes(m.id) && values.push([m.id, m.args[1]]));
  const forged = c.event((m) => m.name === 'forged');
  const applied = honest.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[1] === 'true value'));
  for (const id of ids) c.post(id, { op: 'start' });
  for (let attempt = 0; ; attempt++) {
    const r = await c.propose('n3', 'x', 'true value');
    if (r.accepted) break;
    assert.ok(attempt < 20, r.error);
  }
  await forged;
  await Promise.all(applied);
  assert.deepEqual(values.filter(([, v]) => v !== 'true value'), [], 'no honest replica applied the forged value');
  for (const id of honest) assert.ok((await c.state(id)).view >= 1, `${id} left the traitor's view`);
  await c.stop();
});
