// Builds www/pkg/ (consensus_playground.js + consensus_playground_bg.wasm, --target web: the
// JavaScript API, every class) and www/dist/ (the widget as pages embed it: its own wasm build
// with only the Simulation class, `--no-default-features --features simulation-api`, and a
// third with only fig16Range/fig16Paper for the Experiments panel's worker):
//   1. sets up what is missing (scripts/setup.mjs),
//   2. compiles the crate as a cdylib alone (three times: all features, the widget's, the
//      worker's), so LTO applies (a crate with both cdylib and rlib types skips LTO:
//      rust-lang/cargo#9672), with the wasm-release profile (Cargo.toml: the release
//      profile at opt-level "z"; the native release build is at opt-level 3),
//   3. runs the pinned wasm-bindgen CLI,
//   4. shrinks the wasm with wasm-opt -Oz (npm package binaryen),
//   5. bundles and minifies the element with the wasm glue (esbuild) into www/dist/:
//      consensus-playground.js, consensus-playground.css, pkg/consensus_playground_bg.wasm,
//      one chunk per mechanism (www/protocols/<name>.js, fetched by the widgets that use it),
//      and the Experiments panel's chunk, experiments.css, worker and pkg/experiments_bg.wasm,
//      and the Network and bugs panel's chunk and stage/faults.css (each fetched only when
//      its panel is opened),
// and prints the sizes (scripts/size.mjs).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ensureNpmPackages, ensureRust, ensureWasmBindgen } from './setup.mjs';
import { widgetSizes } from './size.mjs';

ensureRust();
ensureWasmBindgen();
ensureNpmPackages();

const run = (cmd, args) => {
  console.error(`[build] $ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: ROOT });
};

// Rust's wasm32 target enables these features by default; wasm-opt must accept them.
const features = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];

/** cargo (cdylib, LTO, opt-level z) → wasm-bindgen --target web → wasm-opt -Oz, into `outDir`. */
function buildWasm(outDir, cargoFeatures) {
  run('cargo', ['rustc', '--quiet', '--lib', '--profile', 'wasm-release', '--target', 'wasm32-unknown-unknown', ...cargoFeatures, '--crate-type', 'cdylib']);
  const raw = join(ROOT, 'target/wasm32-unknown-unknown/wasm-release/consensus_playground.wasm');
  run('wasm-bindgen', ['--target', 'web', '--out-dir', outDir, '--no-typescript', raw]);
  const wasm = join(outDir, 'consensus_playground_bg.wasm');
  run(join(ROOT, 'node_modules/.bin/wasm-opt'), ['-Oz', '--strip-debug', '--strip-producers', ...features, wasm, '-o', wasm]);
  return wasm;
}

// The JavaScript API, every class (www/pkg/).
buildWasm(join(ROOT, 'www/pkg'), []);
// The widget's own wasm: without the ConsensusProtocol class and the Figure 16 exports, which
// the page itself never calls.
const widgetPkg = join(ROOT, 'target/widget-pkg');
const widgetWasm = buildWasm(widgetPkg, ['--no-default-features', '--features', 'simulation-api,raft']);
// The Experiments panel's worker: Figure 16 only (fetched when the panel is opened).
const experimentsPkg = join(ROOT, 'target/experiments-pkg');
const experimentsWasm = buildWasm(experimentsPkg, ['--no-default-features', '--features', 'experiments-api']);

// The widget for embedding: one minified module (element + the widget's wasm glue), its CSS,
// the lazily loaded Experiments chunk and worker, and the wasm where the module looks for it.
const esbuild = await import('esbuild');
const www = join(ROOT, 'www');
const dist = join(www, 'dist');
rmSync(dist, { recursive: true, force: true });
// The sources import ./pkg/consensus_playground.js (the full API); the bundle takes the
// widget build's glue instead, which matches the widget's wasm.
const glue = (pkgDir) => ({
  name: 'glue',
  setup(b) {
    b.onResolve({ filter: /\/pkg\/consensus_playground\.js$/ }, () => ({ path: join(pkgDir, 'consensus_playground.js') }));
  },
});
const common = { bundle: true, minify: true, format: 'esm', target: 'es2022', logLevel: 'warning', legalComments: 'none' };
console.error('[build] esbuild -> www/dist/');
await esbuild.build({ ...common, plugins: [glue(widgetPkg)], entryPoints: [join(www, 'consensus-playground.js')], splitting: true, outdir: dist, chunkNames: '[name]-[hash]' });
await esbuild.build({ ...common, plugins: [glue(experimentsPkg)], define: { FIG16_WASM: '"./pkg/experiments_bg.wasm"' }, entryPoints: [join(www, 'fig16-worker.js')], outdir: dist });
// The stylesheets: the widget's, and those of two panels, fetched when a reader opens them.
await esbuild.build({ ...common, entryPoints: ['consensus-playground.css', 'experiments.css', 'stage/faults.css'].map((f) => join(www, f)), outbase: www, outdir: dist });
mkdirSync(join(dist, 'pkg'), { recursive: true });
copyFileSync(widgetWasm, join(dist, 'pkg/consensus_playground_bg.wasm'));
copyFileSync(experimentsWasm, join(dist, 'pkg/experiments_bg.wasm'));

for (const s of widgetSizes()) console.error(`[build] ${s.path}: ${s.bytes} bytes, ${s.gzip9_bytes} gzip -9`);
