// What a page that embeds the widget transfers, raw and gzip -9: every file of www/dist/ it
// fetches on load for a Raft widget (the module, the Raft module's chunk — a widget fetches the
// chunk of its mechanism, www/protocols/<name>.js —, the CSS, the wasm). Files fetched only when
// a reader opens a panel (Experiments: chunk, stylesheet, worker, wasm; Network and bugs: chunk,
// stylesheet), and other mechanisms' chunks, are listed apart.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './setup.mjs';

/** The size budget of issue #4: the widget's total transfer, gzip -9, bytes (70 KB). */
export const BUDGET_GZIP9_BYTES = 70 * 1024;

/** The mechanism whose widget is measured; its chunk counts on load. */
export const MECHANISM = 'raft';

const measure = (what, path) => {
  const bytes = readFileSync(join(ROOT, path));
  return { bench: 'size', what, path, bytes: bytes.length, gzip9_bytes: gzipSync(bytes, { level: 9 }).length };
};

// Fetched on opening a panel, not on load.
const LAZY = [
  ['Experiments panel, on opening (not in the total)', /^(experiments-.*\.js|experiments\.css|fig16-worker\.js|pkg\/experiments_bg\.wasm)$/],
  ['Network and bugs panel, on opening (not in the total)', /^(faults-panel-.*\.js|stage\/faults\.css)$/],
];
// esbuild names a mechanism's chunk after its module: www/protocols/raft.js → raft-<hash>.js.
const mechanisms = readdirSync(join(ROOT, 'www/protocols'))
  .filter((f) => f.endsWith('.js') && f !== 'index.js')
  .map((f) => f.slice(0, -3));
const mechanismOf = (f) => mechanisms.find((m) => new RegExp(`^${m}-[A-Z0-9]+\\.js$`).test(f));

const label = (f) =>
  f.endsWith('.wasm') ? 'wasm' : f.endsWith('.css') ? 'css (minified)' : f === 'consensus-playground.js' ? 'element + wasm glue js (minified)' : 'js chunk (minified)';

/** One record per file of www/dist/, then the total on load (`what: 'widget total'`). */
export function widgetSizes() {
  const dist = join(ROOT, 'www/dist');
  const files = readdirSync(dist, { recursive: true }).filter((f) => statSync(join(dist, f)).isFile()).sort();
  const onLoad = [];
  const apart = [];
  for (const f of files) {
    const lazy = LAZY.find(([, re]) => re.test(f));
    const mech = mechanismOf(f);
    if (lazy) apart.push(measure(lazy[0], `www/dist/${f}`));
    else if (mech && mech !== MECHANISM) apart.push(measure(`${mech} module, for its widgets (not in the total)`, `www/dist/${f}`));
    else onLoad.push(measure(mech ? `${mech} module js chunk (minified)` : label(f), `www/dist/${f}`));
  }
  const total = onLoad.reduce((t, s) => ({ bytes: t.bytes + s.bytes, gzip9_bytes: t.gzip9_bytes + s.gzip9_bytes }), { bytes: 0, gzip9_bytes: 0 });
  return [...onLoad, ...apart, { bench: 'size', what: 'widget total', path: 'www/dist/ on load', ...total, budget_gzip9_bytes: BUDGET_GZIP9_BYTES }];
}
