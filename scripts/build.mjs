// Builds www/pkg/ (consensus_playground.js + consensus_playground_bg.wasm, --target web):
//   1. sets up what is missing (scripts/setup.mjs),
//   2. compiles the crate as a cdylib alone, so the release profile's LTO applies
//      (a crate with both cdylib and rlib types skips LTO: rust-lang/cargo#9672),
//   3. runs the pinned wasm-bindgen CLI,
//   4. shrinks the wasm with wasm-opt -Oz (npm package binaryen),
// and prints the sizes.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, ensureNpmPackages, ensureRust, ensureWasmBindgen } from './setup.mjs';

ensureRust();
ensureWasmBindgen();
ensureNpmPackages();

const run = (cmd, args) => {
  console.error(`[build] $ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: ROOT });
};

run('cargo', ['rustc', '--quiet', '--lib', '--release', '--target', 'wasm32-unknown-unknown', '--crate-type', 'cdylib']);
const raw = join(ROOT, 'target/wasm32-unknown-unknown/release/consensus_playground.wasm');
const pkg = join(ROOT, 'www/pkg');
run('wasm-bindgen', ['--target', 'web', '--out-dir', pkg, '--no-typescript', raw]);
const wasm = join(pkg, 'consensus_playground_bg.wasm');
// Rust's wasm32 target enables these features by default; wasm-opt must accept them.
const features = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'];
run(join(ROOT, 'node_modules/.bin/wasm-opt'), ['-Oz', '--strip-debug', '--strip-producers', ...features, wasm, '-o', wasm]);

for (const f of ['consensus_playground_bg.wasm', 'consensus_playground.js']) {
  const p = join(pkg, f);
  const gz = gzipSync(readFileSync(p), { level: 9 }).length;
  console.error(`[build] www/pkg/${f}: ${statSync(p).size} bytes, ${gz} gzip -9`);
}
