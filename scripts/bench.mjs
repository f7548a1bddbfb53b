// npm run bench: prints JSON lines, one measurement per line (issue #4).
//   - sizes of what a page embedding the widget transfers, raw and gzip -9;
//   - simulation throughput on RaftScope's workload, native and wasm-in-Node, and the native
//     run's instruction count (callgrind, when valgrind is installed: a number that repeats);
//   - gossip at scale: one update spread by push-pull to 10,000 agents, native and wasm-in-Node;
//   - the Figure 16 sweep's wall time in wasm (Node), 200 and 1000 trials per range;
//   - core handler costs (criterion, benches/handlers.rs), mean ns per call;
//   - frame time of the page in headless Chromium (scripts/frametime.mjs);
//   - agents over real threads: 5 ConsensusTrait agents in worker threads, proposals per second,
//     commit latency and the library's own work per proposal (scripts/bench-agents.mjs).
// Speeds depend on the machine: this prints them, it asserts nothing. Budgets on sizes live in
// the tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchAgents } from './bench-agents.mjs';
import { ROOT } from './setup.mjs';
import { widgetSizes } from './size.mjs';

const print = (o) => console.log(JSON.stringify(o));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

if (import.meta.url === `file://${process.argv[1]}`) {
  run('node', ['scripts/build.mjs']);
  for (const s of widgetSizes()) print(s);

  // ---- throughput, native -------------------------------------------------------------------
  run('cargo', ['build', '--quiet', '--release', '--bin', 'consensus-sim']);
  const native = JSON.parse(run(join(ROOT, 'target/release/consensus-sim'), ['bench']));
  print(native);
  // Instructions, not seconds: callgrind's count repeats exactly for the same binary and input,
  // whatever else the machine is doing (skipped where valgrind is missing).
  const cg = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', join(ROOT, 'target/release/consensus-sim'), 'bench'], { encoding: 'utf8' });
  const refs = cg.status === 0 && cg.stderr.match(/I\s+refs:\s+([\d,]+)/);
  if (refs) {
    const instructions = Number(refs[1].replaceAll(',', ''));
    print({ bench: 'sim-native-instructions', tool: 'valgrind --tool=callgrind', events: native.events, instructions, per_event: Math.round(instructions / native.events) });
  }

  // ---- gossip at scale, native (issue #13: one update to 10,000 agents by push-pull) -------
  for (const line of run(join(ROOT, 'target/release/consensus-sim'), ['bench', '--workload', 'gossip']).trim().split('\n')) print(JSON.parse(line));

  // ---- throughput, wasm in Node (the same workload through the JS API) ----------------------
  const { initSync, Simulation, fig16Range, fig16Paper } = await import(join(ROOT, 'www/pkg/consensus_playground.js'));
  initSync({ module: readFileSync(join(ROOT, 'www/pkg/consensus_playground_bg.wasm')) });
  // Driven as the page drives it: a client request, then runUntil 10 simulated ms later. Three
  // runs in this process: the first also pays for V8 compiling the wasm's hot code (the page
  // runs for minutes), so it is printed but marked cold.
  for (let run = 1; run <= 3; run++) {
    const sim = new Simulation({ seed: 1, nodes: 5, latencyMs: [10, 15], electionTimeoutMs: [100, 200], heartbeatMs: 50 });
    const t0 = performance.now();
    let events = 0;
    for (let k = 0; sim.now < 60_000; k++) {
      sim.clientRequest(`w${k}`);
      events += sim.runUntil(sim.now + 10);
    }
    const wall = (performance.now() - t0) / 1000;
    sim.free();
    print({
      bench: 'sim-wasm-node',
      run,
      cold: run === 1,
      workload: '5 nodes, latency 10-15 ms, election 100-200 ms, heartbeat 50 ms, a request every 10 ms, 60 simulated s',
      events,
      wall_s: Math.round(wall * 1000) / 1000,
      sim_s_per_wall_s: Math.round(60 / wall),
      events_per_s: Math.round(events / wall),
    });
  }

  // ---- gossip at scale in wasm (Node): the same spread through the JS API, as the page's worker
  // runs it; informed() asked once per 100 ms round. Three runs: the first also compiles.
  for (let run = 1; run <= 3; run++) {
    const t0 = performance.now();
    const sim = new Simulation({ protocol: 'gossip', nodes: 10000, seed: run, latencyMs: [10, 15] });
    sim.clientRequest({ key: 'x', value: 'v' }, 'n1');
    let events = 0;
    while (sim.informed('x') < 10000 && sim.now < 60_000) events += sim.runUntil(sim.now + 100);
    const wall = (performance.now() - t0) / 1000;
    print({ bench: 'gossip-wasm-node', run, cold: run === 1, workload: 'one update spread by push-pull anti-entropy to 10,000 agents, rounds of 100 ms, latency 10-15 ms', informed: sim.informed('x'), rounds: Math.round(sim.now / 100), events, wall_s: Math.round(wall * 1000) / 1000 });
    sim.free();
  }

  // ---- the Figure 16 sweep in wasm (what the page's Experiments panel runs in its worker) ---
  for (const trials of [200, 1000]) {
    const f0 = performance.now();
    const seen = new Set();
    for (const rangeMs of fig16Paper().ranges) {
      if (seen.has(rangeMs.join())) continue; // the bottom panel's 150-300 ms repeats the top one's
      seen.add(rangeMs.join());
      fig16Range({ rangeMs, trials, seed: 1 });
    }
    print({ bench: 'fig16-wasm-node', ranges: seen.size, trials_per_range: trials, model: 'disk', wall_s: Math.round(performance.now() - f0) / 1000 });
  }

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

  // ---- agents over real threads (issue #15 §4) -------------------------------------------------
  for (const line of await benchAgents()) print(line);
  process.exit(0);
}
