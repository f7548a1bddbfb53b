// A counter cluster of worker threads, one counter node each (counter-worker.js), wired into a
// full mesh of MessagePorts, with the faults the exercise asks for: crash(id) terminates a
// worker; partition(groups) cuts every link between groups; heal() restores them.
import { Worker } from 'node:worker_threads';
import { meshPorts } from 'consensus-playground';

const WORKER = new URL('./counter-worker.js', import.meta.url);
export const CONFIG = { timeout: 1000, heartbeatInterval: 20, electionTimeout: [150, 300] };

export async function startCounterCluster(ids = ['n1', 'n2', 'n3', 'n4', 'n5'], config = CONFIG) {
  const mesh = meshPorts(ids);
  const threads = new Map();
  const listeners = new Set();
  const replies = new Map();
  const crashed = new Set();
  let n = 0;
  await Promise.all(ids.map((id) => new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { id, ids, config } });
    threads.set(id, w);
    w.on('error', reject);
    w.on('exit', () => {
      crashed.add(id);
      // What it had not answered dies with it: null (the outcome is unknown).
      for (const [k, r] of replies) if (r.id === id) (replies.delete(k), r.resolve(null));
    });
    w.on('message', (m) => {
      if (m.op === 'ready') resolve();
      else if (m.op === 'event') for (const l of [...listeners]) l(m);
      else if (m.op === 'reply') {
        const r = replies.get(m.n);
        replies.delete(m.n);
        r?.resolve(m.result);
      }
    });
  })));
  for (const id of ids) threads.get(id).postMessage({ op: 'ports', ports: mesh[id] }, Object.values(mesh[id]));
  const ask = (id, msg) => crashed.has(id)
    ? Promise.resolve(null)
    : new Promise((resolve) => {
      const k = ++n;
      replies.set(k, { id, resolve });
      threads.get(id).postMessage({ ...msg, n: k });
    });
  let leader = null;
  listeners.add((m) => m.name === 'leader:elected' && (leader = m.args[0]));
  const cluster = {
    ids,
    /** Starts every node. → once all agree on a leader: its id. */
    start() {
      const elected = cluster.leader(ids);
      for (const id of ids) threads.get(id).postMessage({ op: 'start' });
      return elected;
    },
    /** The leader most recently announced by any node. */
    currentLeader: () => leader,
    live: () => ids.filter((id) => !crashed.has(id)),
    /** → {ok, value, error, status}, or null when the node crashed first. */
    increment: (id, by = 1) => ask(id, { op: 'increment', by }),
    decrement: (id, by = 1) => ask(id, { op: 'increment', by: -by }),
    batch: (id, deltas) => ask(id, { op: 'batch', deltas }),
    /** A plain write (a marker: once a node applies it, it has applied every command before it). */
    write: (id, key, value) => ask(id, { op: 'write', key, value }),
    value: (id) => ask(id, { op: 'value' }),
    /** The next event from any node for which `filter({id, name, args})` holds. */
    event: (filter) => new Promise((resolve) => {
      const l = (m) => {
        if (filter(m)) (listeners.delete(l), resolve(m));
      };
      listeners.add(l);
    }),
    on: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
    crash: (id) => threads.get(id).terminate(),
    partition(groups) {
      for (const g of groups) for (const id of g) {
        const others = groups.filter((h) => h !== g).flat();
        if (!crashed.has(id)) threads.get(id).postMessage({ op: 'cut', peers: others });
      }
    },
    heal() {
      for (const id of cluster.live()) threads.get(id).postMessage({ op: 'heal' });
    },
    /** Once every live node shows the same counter value (`expected`, when given): that value. */
    async agree(expected) {
      for (;;) {
        let off;
        const changed = new Promise((resolve) => (off = cluster.on((m) => m.name === 'counter' && resolve())));
        const values = await Promise.all(cluster.live().map((id) => cluster.value(id)));
        if (values.every((v) => v === (expected ?? values[0]))) return off(), values[0];
        await changed;
        off();
      }
    },
    /** Once every node of `among` has heard the same leader (not one of `not`): its id. */
    leader(among = cluster.live(), not = []) {
      const known = new Map();
      return new Promise((resolve) => {
        const off = cluster.on((m) => {
          if (m.name !== 'leader:elected' || !among.includes(m.id)) return;
          known.set(m.id, m.args[0]);
          const l = [...known.values()];
          if (known.size === among.length && l.every((x) => x === l[0]) && !not.includes(l[0])) (off(), resolve(l[0]));
        });
      });
    },
    /** Terminates every worker at once (a test's clean-up after a failure). */
    kill: () => Promise.all(cluster.live().map((id) => threads.get(id).terminate())),
    async stop() {
      await Promise.all(cluster.live().map((id) => new Promise((resolve) => {
        threads.get(id).once('exit', resolve);
        threads.get(id).postMessage({ op: 'stop' });
      })));
    },
  };
  return cluster;
}
