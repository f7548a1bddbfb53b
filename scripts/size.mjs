// What a page that embeds the widget transfers, raw and gzip -9: the files www/dist/ serves
// on load (the module, its CSS, the wasm). The Experiments panel's chunk and worker are listed
// apart: a page fetches them only when a reader opens that panel.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './setup.mjs';

/** The size budget of issue #4: the widget's total transfer, gzip -9, bytes (70 KB). */
export const BUDGET_GZIP9_BYTES = 70 * 1024;

const measure = (what, path) => {
  const bytes = readFileSync(join(ROOT, path));
  return { bench: 'size', what, path, bytes: bytes.length, gzip9_bytes: gzipSync(bytes, { level: 9 }).length };
};

/** One record per file, then the total on load (`what: 'widget total'`). */
export function widgetSizes() {
  const onLoad = [
    measure('wasm', 'www/dist/pkg/consensus_playground_bg.wasm'),
    measure('element + wasm glue js (minified)', 'www/dist/consensus-playground.js'),
    measure('css (minified)', 'www/dist/consensus-playground.css'),
  ];
  const total = onLoad.reduce((t, s) => ({ bytes: t.bytes + s.bytes, gzip9_bytes: t.gzip9_bytes + s.gzip9_bytes }), { bytes: 0, gzip9_bytes: 0 });
  const lazy = readdirSync(join(ROOT, 'www/dist'))
    .filter((f) => f.startsWith('experiments-') || f === 'fig16-worker.js')
    .map((f) => measure('Experiments panel, on opening (not in the total)', `www/dist/${f}`))
    .concat(measure('Experiments panel, on opening (not in the total)', 'www/dist/pkg/experiments_bg.wasm'));
  return [...onLoad, ...lazy, { bench: 'size', what: 'widget total', path: 'www/dist/ on load', ...total, budget_gzip9_bytes: BUDGET_GZIP9_BYTES }];
}
