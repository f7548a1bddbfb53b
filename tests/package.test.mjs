// The package a course site installs (issue #14 §4): `npm pack` of the repository (after the
// build) holds the element's bundle with its chunks and wasm, the JavaScript API (www/pkg) with
// its TypeScript declarations, the element's declarations, and embed.html; package.json's
// `exports` and `types` name files that are in it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const ROOT = new URL('../', import.meta.url);

test('npm pack --dry-run lists the element, its dist bundle, the wasm, the .d.ts and embed.html; exports point into it', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [pack] = JSON.parse(out);
  const files = new Set(pack.files.map((f) => f.path));
  for (const f of [
    'package.json',
    'www/consensus-playground.d.ts',
    'www/dist/consensus-playground.js',
    'www/dist/consensus-playground.css',
    'www/dist/pkg/raft_bg.wasm',
    'www/dist/pkg/combined_bg.wasm',
    'www/pkg/consensus_playground.js',
    'www/pkg/consensus_playground_bg.wasm',
    'www/pkg/consensus_playground.d.ts',
    'www/embed.html',
    'www/embed.js',
  ]) {
    assert.ok(files.has(f), `${f} is not in the package (run node scripts/build.mjs first)`);
  }
  // Every mechanism's chunk comes with the element (it imports them on demand).
  for (const m of ['raft', 'paxos', 'vote', 'pbft', 'hotstuff', 'generals', 'gossip']) {
    assert.ok([...files].some((f) => new RegExp(`^www/dist/${m}-[A-Z0-9]+\\.js$`).test(f)), `${m}'s chunk`);
  }
  // No sources, tests or build outputs beyond what a page needs.
  assert.ok(![...files].some((f) => /^(src|tests|scripts|target|benches|docs)\//.test(f)), [...files].filter((f) => !f.startsWith('www/')).join(' '));
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8'));
  const targets = [pkg.types, ...Object.values(pkg.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e)))];
  for (const t of targets.filter((t) => !t.includes('*'))) assert.ok(files.has(t.replace(/^\.\//, '')), `${t} (exports/types) is not in the package`);
  // The element's declarations import the wasm API's from ./pkg/, which the package holds.
  assert.match(readFileSync(new URL('www/consensus-playground.d.ts', ROOT), 'utf8'), /from '\.\/pkg\/consensus_playground\.js'/);
  assert.match(readFileSync(new URL('www/pkg/consensus_playground.d.ts', ROOT), 'utf8'), /export class Simulation/);
});
