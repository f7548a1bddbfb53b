// Builds www/pkg/ (consensus_playground.js + consensus_playground_bg.wasm, --target web: the
// JavaScript API, every class, every mechanism) and www/dist/ (the widget as pages embed it:
// one wasm build per mechanism with only the Simulation class hosting that mechanism,
// `--no-default-features --features simulation-api,<name>`, and one with only
// fig16Range/fig16Paper for the Experiments panel's worker):
//   1. sets up what is missing (scripts/setup.mjs),
//   2. compiles the crate as a cdylib alone (all features, each mechanism's widget build, the
//      worker's), so LTO applies (a crate with both cdylib and rlib types skips LTO:
//      rust-lang/cargo#9672): the widgets' with the wasm-release profile (Cargo.toml: the
//      release profile at opt-level "z"), www/pkg with the release profile (opt-level 3, as the
//      native build: the JavaScript API runs in Node, where speed matters more than bytes),
//   3. runs the pinned wasm-bindgen CLI,
//   4. optimizes the wasm with wasm-opt (npm package binaryen): -Oz for the widgets, -O3 for
//      www/pkg,
//   5. bundles and minifies the element (esbuild) into www/dist/: consensus-playground.js,
//      consensus-playground.css, per mechanism its module's chunk (www/protocols/<name>.js,
//      with its wasm glue) and pkg/<name>_bg.wasm, fetched by the widgets that use it (a page
//      with widgets of several mechanisms fetches instead one wasm hosting them all, with its
//      glue: www/protocols/combined.js, pkg/combined_bg.wasm); the Experiments panel's chunk,
//      experiments.css, worker and pkg/experiments_bg.wasm, and the Network and bugs panel's
//      chunk and stage/faults.css (each fetched only when its panel is opened), and the traitor
//      controls' chunk and stage/traitors.css (fetched by the Byzantine mechanisms' widgets),
//      and the keyboard's chunks (help, by-keyboard) with stage/keyboard.css (fetched on first use),
// and prints the sizes (scripts/size.mjs).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, ensureNpmPackages, ensureRust, ensureWasmBindgen } from './setup.mjs';
import { widgetSizes } from './size.mjs';

// `--js-only`: bundle www/dist/ again from the wasm builds already made (www/pkg/, target/*-pkg/),
// for a change to www/ alone (seconds instead of minutes); a change to src/ needs a full build.
const JS_ONLY = process.argv.includes('--js-only');
ensureRust();
ensureWasmBindgen();
ensureNpmPackages();

const run = (cmd, args) => {
  console.error(`[build] $ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: ROOT });
};

// Rust's wasm32 target enables these features by default; wasm-opt must accept them.
const features = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

/**
 * cargo (cdylib, LTO) → wasm-bindgen --target web → wasm-opt, into `outDir`. For size (the
 * widgets, which pages fetch): the wasm-release profile (opt-level "z") and wasm-opt -Oz. For
 * speed (`speed`: www/pkg, the JavaScript API that scripts and agents run in Node, where nothing
 * is fetched over a network): the release profile (opt-level 3) and wasm-opt -O3, about 1.8×
 * the events per second for 1.6× the bytes (README "Speed").
 */
function buildWasm(outDir, cargoFeatures, speed = false) {
  const wasm = join(outDir, 'consensus_playground_bg.wasm');
  if (JS_ONLY) {
    if (!existsSync(wasm)) throw new Error(`--js-only: ${wasm} is missing; run a full build first`);
    return wasm;
  }
  const profile = speed ? 'release' : 'wasm-release';
  run('cargo', ['rustc', '--quiet', '--lib', '--profile', profile, '--target', 'wasm32-unknown-unknown', ...cargoFeatures, '--crate-type', 'cdylib']);
  const raw = join(ROOT, `target/wasm32-unknown-unknown/${profile}/consensus_playground.wasm`);
  // TypeScript declarations for www/pkg (the JavaScript API, which a package's users import:
  // consensus_playground.d.ts, a few KB, nothing fetched); none for the widgets' builds.
  run('wasm-bindgen', ['--target', 'web', '--out-dir', outDir, ...(speed ? [] : ['--no-typescript']), raw]);
  run(join(ROOT, 'node_modules/.bin/wasm-opt'), [speed ? '-O3' : '-Oz', '--strip-debug', '--strip-producers', ...features, wasm, '-o', wasm]);
  return wasm;
}

// The JavaScript API, every class (www/pkg/), built for speed.
buildWasm(join(ROOT, 'www/pkg'), [], true);
// The widgets' own wasm, one per mechanism: the Simulation class hosting that mechanism alone
// (cargo feature of its name), without the ConsensusProtocol class and the Figure 16 exports,
// which the page never calls. A widget loads its mechanism's (pkg/<name>_bg.wasm).
const MECHANISMS = ['raft', 'paxos', 'vote', 'pbft', 'hotstuff', 'generals', 'gossip'];
const widgetPkg = (m) => join(ROOT, `target/widget-${m}-pkg`);
const widgetWasm = Object.fromEntries(MECHANISMS.map((m) => [m, buildWasm(widgetPkg(m), ['--no-default-features', '--features', `simulation-api,${m}`])]));
// A page with widgets of several mechanisms loads one wasm hosting them all instead
// (www/protocols/combined.js, pkg/combined_bg.wasm).
widgetWasm.combined = buildWasm(widgetPkg('combined'), ['--no-default-features', '--features', ['simulation-api', ...MECHANISMS].join(',')]);
// The Experiments panel's worker: Figure 16 only (fetched when the panel is opened).
const experimentsPkg = join(ROOT, 'target/experiments-pkg');
const experimentsWasm = buildWasm(experimentsPkg, ['--no-default-features', '--features', 'experiments-api']);

// The widget for embedding: one minified module (element + the widget's wasm glue), its CSS,
// the lazily loaded Experiments chunk and worker, and the wasm where the module looks for it.
const esbuild = await import('esbuild');
const www = join(ROOT, 'www');
const dist = join(www, 'dist');
rmSync(dist, { recursive: true, force: true });
// The sources import ./pkg/consensus_playground.js (the full API); the bundle takes the glue of
// the build that matches each importer: a mechanism's module (www/protocols/<m>.js) gets its
// mechanism's widget build, with the wasm it loads renamed pkg/<m>_bg.wasm (next to the chunks
// in www/dist/); anything else gets `pkgDir`'s.
const coreOf = (path) => [...MECHANISMS, 'combined'].find((m) => path.endsWith(join('protocols', `${m}.js`)));
const glue = (pkgDir) => ({
  name: 'glue',
  setup(b) {
    b.onResolve({ filter: /\/pkg\/consensus_playground\.js$/ }, ({ importer }) => {
      const m = coreOf(importer);
      return { path: join(m ? widgetPkg(m) : pkgDir, 'consensus_playground.js') };
    });
    b.onLoad({ filter: /protocols[\\/]\w+\.js$/ }, ({ path }) => {
      const m = coreOf(path);
      if (!m) return undefined;
      const text = readFileSync(path, 'utf8');
      const wasm = `'../pkg/consensus_playground_bg.wasm'`;
      if (!text.includes(wasm)) throw new Error(`${path} must load ${wasm}`);
      // A mechanism's worker (www/<m>-worker.js, gossip's dense view) sits beside its chunk in www/dist/.
      const worker = `'../${m}-worker.js'`;
      // (and its twin on the wasm hosting every mechanism, for pages that load that one).
      const twin = `'../${m}-worker.js#combined'`;
      return { contents: text.replace(wasm, `'./pkg/${m}_bg.wasm'`).replace(worker, `'./${m}-worker.js'`).replace(twin, `'./${m}-worker-combined.js'`), loader: 'js', resolveDir: dirname(path) };
    });
  },
});
const common = { bundle: true, minify: true, format: 'esm', target: 'es2022', logLevel: 'warning', legalComments: 'none' };
console.error('[build] esbuild -> www/dist/');
await esbuild.build({ ...common, plugins: [glue(null)], entryPoints: [join(www, 'consensus-playground.js')], splitting: true, outdir: dist, chunkNames: '[name]-[hash]' });
await esbuild.build({ ...common, plugins: [glue(experimentsPkg)], define: { FIG16_WASM: '"./pkg/experiments_bg.wasm"' }, entryPoints: [join(www, 'fig16-worker.js')], outdir: dist });
// Gossip's dense view runs its simulation in a worker, on the gossip widget's own wasm (the file
// the widget has loaded): fetched by the widgets of more than 30 agents only.
await esbuild.build({ ...common, plugins: [glue(widgetPkg('gossip'))], define: { GOSSIP_WASM: '"./pkg/gossip_bg.wasm"' }, entryPoints: [join(www, 'gossip-worker.js')], outdir: dist });
// On a page with widgets of several mechanisms, the same worker on the wasm hosting them all.
await esbuild.build({ ...common, plugins: [glue(widgetPkg('combined'))], define: { GOSSIP_WASM: '"./pkg/combined_bg.wasm"' }, entryPoints: [join(www, 'gossip-worker.js')], outfile: join(dist, 'gossip-worker-combined.js') });
// The stylesheets: the widget's, those of two panels, fetched when a reader opens them, and
// each mechanism's own (www/protocols/<m>.css, if it has one), fetched by its widgets only.
// (gossip's Collective validation has one of its own, fetched when attestations are on).
const mechanismCss = [...MECHANISMS.map((m) => `protocols/${m}.css`), 'protocols/gossip-attest.css'].filter((f) => existsSync(join(www, f)));
await esbuild.build({ ...common, entryPoints: ['consensus-playground.css', 'experiments.css', 'stage/faults.css', 'stage/spacetime.css', 'stage/traitors.css', 'stage/scenario.css', 'stage/keyboard.css', 'stage/led.css', ...mechanismCss].map((f) => join(www, f)), outbase: www, outdir: dist });
mkdirSync(join(dist, 'pkg'), { recursive: true });
for (const m of [...MECHANISMS, 'combined']) copyFileSync(widgetWasm[m], join(dist, `pkg/${m}_bg.wasm`));
copyFileSync(experimentsWasm, join(dist, 'pkg/experiments_bg.wasm'));
// The guided scenarios (www/scenarios/<protocol>/<name>.json): data a widget fetches when it opens one.
cpSync(join(www, 'scenarios'), join(dist, 'scenarios'), { recursive: true, filter: (f) => !/\.[a-z]+$/.test(f) || f.endsWith('.json') });
// And their list, for pages that offer them (index.html): {protocol: [{name, title}]}, in each
// scenario's `order` (then by name).
const scenarioList = Object.fromEntries(
  readdirSync(join(www, 'scenarios')).sort().map((p) => [p, readdirSync(join(www, 'scenarios', p)).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(www, 'scenarios', p, f), 'utf8'))).sort((a, b) => (a.order ?? 99) - (b.order ?? 99)).map(({ name, title }) => ({ name, title }))]),
);
writeFileSync(join(dist, 'scenarios/index.json'), JSON.stringify(scenarioList));

for (const s of widgetSizes()) console.error(`[build] ${s.path}: ${s.bytes} bytes, ${s.gzip9_bytes} gzip -9`);
