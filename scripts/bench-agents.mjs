// Agents over real threads (issue #15 §4): 5 ConsensusTrait agents, each in a Node worker
// thread, over MessagePorts (the in-process transport of www/agents/transports.js); proposals
// sent round-robin to the agents with a fixed number in flight. Prints, per setting, one JSON
// line: proposals per second, p50 / p99 / max commit latency (ms, from propose() to its result),
// and the library's own work: the 5 event loops' busy time per proposal (ms of CPU, summed over
// the agents), beside the latency, which the timers and the turns between threads dominate.
// Part of `npm run bench`; `node scripts/bench-agents.mjs [proposals]` alone. Asserts nothing.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { meshPorts } from '../www/agents/transports.js';

const SETTINGS = [
  { name: 'raft', config: { mechanism: 'raft' } },
  { name: 'raft, batchUpdates (10 ms window)', config: { mechanism: 'raft', batchUpdates: true, batchWindow: 10 } },
  { name: 'simple_majority', config: { mechanism: 'simple_majority' } },
];
const BASE = { timeout: 10_000, heartbeatInterval: 50, electionTimeout: [150, 300] };

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function measure({ name, config }, proposals, inFlight) {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const mesh = meshPorts(ids);
  const workers = new Map();
  const waiters = [];
  const on = (pred) => new Promise((resolve) => waiters.push({ pred, resolve }));
  for (const id of ids) {
    const w = new Worker(new URL('./bench-agents-worker.mjs', import.meta.url), { workerData: { id, ids, config: { ...BASE, ...config } } });
    w.on('message', (m) => {
      for (const x of [...waiters]) if (x.pred(m)) waiters.splice(waiters.indexOf(x), 1) && x.resolve(m);
    });
    w.on('error', (e) => {
      throw e;
    });
    workers.set(id, w);
  }
  await Promise.all(ids.map((id) => on((m) => m.op === 'ready' && m.id === id)));
  for (const id of ids) workers.get(id).postMessage({ op: 'ports', ports: mesh[id] }, Object.values(mesh[id]));
  const led = config.mechanism === 'raft' ? on((m) => m.op === 'leader') : Promise.resolve();
  for (const w of workers.values()) w.postMessage({ op: 'start' });
  await led;
  await Promise.all(ids.map((id) => (workers.get(id).postMessage({ op: 'mark' }), on((m) => m.op === 'marked' && m.id === id))));
  const latencies = [];
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  const one = async () => {
    while (next < proposals) {
      const n = next++;
      const id = ids[n % ids.length];
      workers.get(id).postMessage({ op: 'propose', n, key: `k${n % 100}`, value: n });
      const r = await on((m) => m.op === 'result' && m.n === n);
      if (r.accepted) latencies.push(r.ms);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, one));
  const wallMs = performance.now() - t0;
  const busy = await Promise.all(ids.map((id) => (workers.get(id).postMessage({ op: 'busy' }), on((m) => m.op === 'busy' && m.id === id))));
  for (const w of workers.values()) w.postMessage({ op: 'stop' });
  latencies.sort((a, b) => a - b);
  const busyMs = busy.reduce((s, b) => s + b.activeMs, 0);
  const r1 = (x) => Math.round(x * 10) / 10;
  return {
    bench: 'agents-threads',
    setting: name,
    agents: ids.length,
    proposals,
    in_flight: inFlight,
    accepted: latencies.length,
    failed,
    per_s: Math.round((latencies.length / wallMs) * 1000),
    p50_ms: r1(quantile(latencies, 0.5)),
    p99_ms: r1(quantile(latencies, 0.99)),
    max_ms: r1(latencies.at(-1)),
    library_cpu_ms_per_proposal: Math.round((busyMs / proposals) * 100) / 100,
    wall_s: r1(wallMs / 1000),
  };
}

export async function benchAgents(proposals = 2000) {
  const out = [];
  for (const s of SETTINGS) {
    for (const inFlight of [1, 50]) out.push(await measure(s, inFlight === 1 ? Math.min(proposals, 300) : proposals, inFlight));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await benchAgents(Number(process.argv[2]) || 2000)) console.log(JSON.stringify(line));
  process.exit(0);
}
