// What a page that embeds the widget transfers, raw and gzip -9: every file of www/dist/ it
// fetches on load (the module and its shared chunks, the CSS, the wasm). The Experiments
// panel's chunk, stylesheet, worker and wasm, and the Network and bugs panel's chunk and
// stylesheet, are listed apart: a page fetches them only when a reader opens that panel.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './setup.mjs';

/** The size budget of issue #4: the widget's total transfer, gzip -9, bytes (70 KB). */
export const BUDGET_GZIP9_BYTES = 70 * 1024;

const measure = (what, path) => {
  const bytes = readFileSync(join(ROOT, path));
  return { bench: 'size', what, path, bytes: bytes.length, gzip9_bytes: gzipSync(bytes, { level: 9 }).length };
};

// Fetched on opening a panel, not on load.
const LAZY = [
  ['Experiments panel, on opening (not in the total)', /^(experiments-.*\.js|experiments\.css|fig16-worker\.js|pkg\/experiments_bg\.wasm)$/],
  ['Network and bugs panel, on opening (not in the total)', /^(faults-panel-.*\.js|stage\/faults\.css)$/],
];
const lazyLabel = (f) => LAZY.find(([, re]) => re.test(f))?.[0];
const label = (f) =>
  f.endsWith('.wasm') ? 'wasm' : f.endsWith('.css') ? 'css (minified)' : f === 'consensus-playground.js' ? 'element + wasm glue js (minified)' : 'js chunk (minified)';

/** One record per file of www/dist/, then the total on load (`what: 'widget total'`). */
export function widgetSizes() {
  const dist = join(ROOT, 'www/dist');
  const files = readdirSync(dist, { recursive: true }).filter((f) => statSync(join(dist, f)).isFile()).sort();
  const onLoad = files.filter((f) => !lazyLabel(f)).map((f) => measure(label(f), `www/dist/${f}`));
  const lazy = files.filter(lazyLabel).map((f) => measure(lazyLabel(f), `www/dist/${f}`));
  const total = onLoad.reduce((t, s) => ({ bytes: t.bytes + s.bytes, gzip9_bytes: t.gzip9_bytes + s.gzip9_bytes }), { bytes: 0, gzip9_bytes: 0 });
  return [...onLoad, ...lazy, { bench: 'size', what: 'widget total', path: 'www/dist/ on load', ...total, budget_gzip9_bytes: BUDGET_GZIP9_BYTES }];
}
