// Builds www/pkg/ (consensus_playground.js + consensus_playground_bg.wasm, --target web: the
// JavaScript API, every class) and www/dist/ (the widget as pages embed it, from a second wasm
// build without the ConsensusProtocol class, `--no-default-features`):
//   1. sets up what is missing (scripts/setup.mjs),
//   2. compiles the crate as a cdylib alone (twice: all features, then the widget's), so the
//      release profile's LTO applies
//      (a crate with both cdylib and rlib types skips LTO: rust-lang/cargo#9672),
//   3. runs the pinned wasm-bindgen CLI,
//   4. shrinks the wasm with wasm-opt -Oz (npm package binaryen),
//   5. bundles and minifies the element with the wasm glue (esbuild) into www/dist/:
//      consensus-playground.js, consensus-playground.css, the Experiments panel's chunk and
//      worker (fetched only when the panel is opened), and pkg/consensus_playground_bg.wasm,
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

/** cargo (cdylib, LTO) → wasm-bindgen --target web → wasm-opt -Oz, into `outDir`. */
function buildWasm(outDir, cargoFeatures) {
  run('cargo', ['rustc', '--quiet', '--lib', '--release', '--target', 'wasm32-unknown-unknown', ...cargoFeatures, '--crate-type', 'cdylib']);
  const raw = join(ROOT, 'target/wasm32-unknown-unknown/release/consensus_playground.wasm');
  run('wasm-bindgen', ['--target', 'web', '--out-dir', outDir, '--no-typescript', raw]);
  const wasm = join(outDir, 'consensus_playground_bg.wasm');
  run(join(ROOT, 'node_modules/.bin/wasm-opt'), ['-Oz', '--strip-debug', '--strip-producers', ...features, wasm, '-o', wasm]);
  return wasm;
}

// The JavaScript API, every class (www/pkg/).
buildWasm(join(ROOT, 'www/pkg'), []);
// The widget's own wasm: without the ConsensusProtocol class, which the page never uses.
const widgetPkg = join(ROOT, 'target/widget-pkg');
const widgetWasm = buildWasm(widgetPkg, ['--no-default-features']);

// The widget for embedding: one minified module (element + the widget's wasm glue), its CSS,
// the lazily loaded Experiments chunk and worker, and the wasm where the module looks for it.
const esbuild = await import('esbuild');
const www = join(ROOT, 'www');
const dist = join(www, 'dist');
rmSync(dist, { recursive: true, force: true });
// The sources import ./pkg/consensus_playground.js (the full API); the bundle takes the
// widget build's glue instead, which matches the widget's wasm.
const widgetGlue = {
  name: 'widget-glue',
  setup(b) {
    b.onResolve({ filter: /\/pkg\/consensus_playground\.js$/ }, () => ({ path: join(widgetPkg, 'consensus_playground.js') }));
  },
};
const common = { bundle: true, minify: true, format: 'esm', target: 'es2022', logLevel: 'warning', legalComments: 'none', plugins: [widgetGlue] };
console.error('[build] esbuild -> www/dist/');
await esbuild.build({ ...common, entryPoints: [join(www, 'consensus-playground.js')], splitting: true, outdir: dist, chunkNames: '[name]-[hash]' });
await esbuild.build({ ...common, entryPoints: [join(www, 'fig16-worker.js')], outdir: dist });
await esbuild.build({ ...common, entryPoints: [join(www, 'consensus-playground.css')], outdir: dist });
mkdirSync(join(dist, 'pkg'), { recursive: true });
copyFileSync(widgetWasm, join(dist, 'pkg/consensus_playground_bg.wasm'));

for (const s of widgetSizes()) console.error(`[build] ${s.path}: ${s.bytes} bytes, ${s.gzip9_bytes} gzip -9`);
