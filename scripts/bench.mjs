// npm run bench: prints JSON lines, one measurement per line (issue #4).
//   - sizes of what a page embedding the widget transfers, raw and gzip -9;
//   - simulation throughput on RaftScope's workload, native and wasm-in-Node;
//   - core handler costs (criterion, benches/handlers.rs), mean ns per call;
//   - frame time of the page in headless Chromium (scripts/frametime.mjs).
// Speeds depend on the machine: this prints them, it asserts nothing. Budgets on sizes live in
// the tests.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { ROOT } from './setup.mjs';

const print = (o) => console.log(JSON.stringify(o));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

// ---- sizes ------------------------------------------------------------------------------------
export function sizes() {
  const files = {
    wasm: 'www/pkg/consensus_playground_bg.wasm',
    'wasm glue js': 'www/pkg/consensus_playground.js',
    'element js': 'www/consensus-playground.js',
    css: 'www/consensus-playground.css',
  };
  let raw = 0;
  let gz = 0;
  const out = [];
  for (const [what, path] of Object.entries(files)) {
    const bytes = readFileSync(join(ROOT, path));
    const g = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gz += g;
    out.push({ bench: 'size', what, path, bytes: bytes.length, gzip9_bytes: g });
  }
  out.push({ bench: 'size', what: 'widget total (what an embedding page transfers)', bytes: raw, gzip9_bytes: gz });
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run('node', ['scripts/build.mjs']);
  for (const s of sizes()) print(s);

  // ---- throughput, native -------------------------------------------------------------------
  run('cargo', ['build', '--quiet', '--release', '--bin', 'consensus-sim']);
  print(JSON.parse(run(join(ROOT, 'target/release/consensus-sim'), ['bench'])));

  // ---- throughput, wasm in Node (the same workload through the JS API) ----------------------
  const { initSync, Simulation } = await import(join(ROOT, 'www/pkg/consensus_playground.js'));
  initSync({ module: readFileSync(join(ROOT, 'www/pkg/consensus_playground_bg.wasm')) });
  const sim = new Simulation({ seed: 1, nodes: 5, latencyMs: [10, 15], electionTimeoutMs: [100, 200], heartbeatMs: 50 });
  const t0 = performance.now();
  let events = 0;
  for (let k = 0; sim.now < 60_000; k++) {
    sim.clientRequest(`w${k}`);
    events += sim.runUntil(sim.now + 10);
  }
  const wall = (performance.now() - t0) / 1000;
  print({
    bench: 'sim-wasm-node',
    workload: '5 nodes, latency 10-15 ms, election 100-200 ms, heartbeat 50 ms, a request every 10 ms, 60 simulated s',
    events,
    wall_s: Math.round(wall * 1000) / 1000,
    sim_s_per_wall_s: Math.round(60 / wall),
    events_per_s: Math.round(events / wall),
  });

  // ---- core handler costs (criterion) ---------------------------------------------------------
  run('cargo', ['bench', '--quiet', '--bench', 'handlers', '--', '--quick']);
  for (const name of ['requestVote', 'appendEntries_1', 'appendEntries_100', 'leader commit advance']) {
    const file = join(ROOT, 'target/criterion', name, 'new/estimates.json');
    if (!existsSync(file)) continue;
    const est = JSON.parse(readFileSync(file, 'utf8'));
    print({ bench: 'core', handler: name.replace('_', '/'), mean_ns: Math.round(est.mean.point_estimate) });
  }

  // ---- frame time in headless Chromium (9 nodes, clients on) ----------------------------------
  process.stdout.write(run('node', ['scripts/frametime.mjs', '10']));
}
