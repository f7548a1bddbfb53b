// What a page that embeds widgets transfers, raw and gzip -9. A widget of mechanism M fetches on
// load: the element (consensus-playground.js), its stylesheet, M's module chunk (from
// www/protocols/M.js, with its wasm glue), M's wasm (pkg/M_bg.wasm) and M's own stylesheet
// (protocols/M.css) if it has one. Files fetched only when a reader opens a panel (Experiments: chunk,
// stylesheet, worker, wasm; Network and bugs: chunk, stylesheet), uses time travel (a chunk) or turns a feature on (gossip's
// attestations: a chunk and a stylesheet) are listed apart.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from './setup.mjs';

/** The size budget of issue #4: the widget's total transfer, gzip -9, bytes (70 KB). */
export const BUDGET_GZIP9_BYTES = 70 * 1024;

/** The mechanism whose widget `widgetSizes()` totals by default. */
export const MECHANISM = 'raft';

const measure = (what, path) => {
  const bytes = readFileSync(join(ROOT, path));
  return { bench: 'size', what, path, bytes: bytes.length, gzip9_bytes: gzipSync(bytes, { level: 9 }).length };
};

// Fetched on opening a panel, not on load.
const LAZY = [
  ['Experiments panel, on opening (not in the total)', /^(experiments-.*\.js|experiments\.css|fig16-worker\.js|pkg\/experiments_bg\.wasm)$/],
  ['Network and bugs panel, on opening (not in the total)', /^(faults-panel-.*\.js|stage\/faults\.css)$/],
  // Time travel, share links and saved runs (www/stage/history.js): fetched on first use of the
  // timeline, Step back, Copy link, Export or Import, or by a ?run= link.
  ['Time travel, on first use (not in the total)', /^history-[A-Z0-9]+\.js$/],
  // What led to a violation (www/stage/led.js and its stylesheet): fetched when a shrunk run opens.
  ['A shrunk run\'s actions, when one is opened (not in the total)', /^(led-[A-Z0-9]+\.js|stage\/led\.css)$/],
  // Guided scenarios (www/stage/scenario.js and its stylesheet, and the scenario's JSON): fetched
  // when a widget opens one (scenario="…", ?scenario=, or one written inside the element).
  ['A guided scenario, when one is opened (not in the total)', /^(scenario-[A-Z0-9]+\.js|stage\/scenario\.css|scenarios\/.*\.json)$/],
  // The keyboard help (www/stage/help.js, on the ? key or button) and the keyboard's Links and
  // Messages in flight (www/stage/by-keyboard.js), with their stylesheet, fetched on first opening.
  ['Keyboard help, Links and Messages in flight, on first use (not in the total)', /^((help|by-keyboard)-[A-Z0-9]+\.js|stage\/keyboard\.css)$/],
  // The space-time diagram (www/stage/spacetime.js and its stylesheet): fetched when "Space-time"
  // is first opened.
  ['Space-time diagram, on opening (not in the total)', /^(spacetime-[A-Z0-9]+\.js|stage\/spacetime\.css)$/],
  // Gossip's Collective validation section (www/protocols/gossip-attest.js): fetched when a run
  // starts with attestations on, with its stylesheet (and stage/traitors.css, counted with the
// traitor controls).
  ['Gossip’s Collective validation, when attestations are on (not in the total)', /^(gossip-attest-[A-Z0-9]+\.js|protocols\/gossip-attest\.css)$/],
];

// The traitor controls (stage/traitors.js's chunk and stage/traitors.css): fetched on load by
// the widgets of mechanisms whose module declares `traitors = true` (PBFT, HotStuff, the
// generals), counted in their totals and in no other's.
const TRAITORS = /^(traitors-.*\.js|stage\/traitors\.css)$/;
const hasTraitors = (m) => /^export const traitors = true;$/m.test(readFileSync(join(ROOT, `www/protocols/${m}.js`), 'utf8'));

/**
 * The mechanisms www/protocols/ has (a module M.js each, beside index.js and combined.js; a
 * mechanism's modules fetched later are named M-<part>.js, gossip-attest.js).
 */
export const mechanisms = () =>
  readdirSync(join(ROOT, 'www/protocols'))
    .filter((f) => f.endsWith('.js') && f !== 'index.js' && f !== 'combined.js' && !f.includes('-'))
    .map((f) => f.slice(0, -'.js'.length))
    .sort();

/** Which mechanism's widget fetches file `f` of www/dist/ on load, and as what; null: every widget. */
function ownerOf(f, all) {
  for (const m of all) {
    // esbuild names a chunk after its module: www/protocols/raft.js → raft-<hash>.js.
    if (new RegExp(`^${m}-[A-Z0-9]+\\.js$`).test(f)) return [m, `${m} module and wasm glue js chunk (minified)`];
    if (f === `pkg/${m}_bg.wasm`) return [m, `${m} wasm`];
    if (f === `protocols/${m}.css`) return [m, `${m} css (minified)`];
    // Gossip's dense view (more than 30 agents) runs in a worker: counted in its widgets' total.
    if (f === `${m}-worker.js`) return [m, `${m} worker js (minified), for its dense view`];
  }
  return null;
}

// A page with widgets of several mechanisms fetches one wasm hosting them all, with its glue.
// Gossip's dense view on such a page runs its worker on that wasm (gossip-worker-combined.js).
const COMBINED = /^(combined-[A-Z0-9]+\.js|pkg\/combined_bg\.wasm|[a-z]+-worker-combined\.js)$/;

const label = (f) => (f.endsWith('.css') ? 'css (minified)' : f === 'consensus-playground.js' ? 'element js (minified)' : 'js chunk (minified)');

const sum = (list) => list.reduce((t, s) => ({ bytes: t.bytes + s.bytes, gzip9_bytes: t.gzip9_bytes + s.gzip9_bytes }), { bytes: 0, gzip9_bytes: 0 });

/**
 * One record per file of www/dist/, then the total on load of a widget of `mechanism`
 * (`what: 'widget total'`), then one `'<m> widget total'` per mechanism and the total of a
 * page with a widget of every mechanism (`'all mechanisms page total'`).
 */
export function widgetSizes(mechanism = MECHANISM) {
  const dist = join(ROOT, 'www/dist');
  const files = readdirSync(dist, { recursive: true }).filter((f) => statSync(join(dist, f)).isFile()).sort();
  const all = mechanisms();
  const shared = [];
  const apart = [];
  const combined = [];
  const own = Object.fromEntries(all.map((m) => [m, []]));
  const traitors = [];
  for (const f of files) {
    const lazy = LAZY.find(([, re]) => re.test(f));
    if (TRAITORS.test(f)) {
      traitors.push(measure('traitor controls, for the Byzantine mechanisms’ widgets', `www/dist/${f}`));
      continue;
    }
    const owner = ownerOf(f, all);
    if (lazy) apart.push(measure(lazy[0], `www/dist/${f}`));
    else if (COMBINED.test(f)) combined.push(measure('every mechanism in one wasm, for pages with widgets of several (not in a one-mechanism total)', `www/dist/${f}`));
    else if (owner) own[owner[0]].push(measure(owner[0] === mechanism ? owner[1] : `${owner[1]}, for its widgets`, `www/dist/${f}`));
    else shared.push(measure(label(f), `www/dist/${f}`));
  }
  for (const m of all) if (hasTraitors(m)) own[m].push(...traitors.map((t) => ({ ...t, what: m === mechanism ? t.what : `${t.what}, for its widgets` })));
  const totals = all.map((m) => ({ bench: 'size', what: `${m} widget total`, path: `www/dist/ on load, ${m}`, ...sum([...shared, ...own[m]]) }));
  const others = all.filter((m) => m !== mechanism).flatMap((m) => own[m].filter((s) => !traitors.some((t) => t.path === s.path)));
  // A page with a widget of every mechanism: each mechanism's chunk and stylesheet, and the
  // combined wasm instead of each one's own.
  const everyOne = [...all.flatMap((m) => own[m].filter((s) => !s.path.endsWith('.wasm') && !s.path.endsWith('-worker.js') && !traitors.some((t) => t.path === s.path))), ...(all.some(hasTraitors) ? traitors : [])];
  return [
    ...shared,
    ...(all.some(hasTraitors) && !hasTraitors(mechanism) ? traitors.map((t) => ({ ...t, what: `${t.what} only (not in the total)` })) : []),
    ...(own[mechanism] ?? []),
    ...others,
    ...combined,
    ...apart,
    ...totals,
    { bench: 'size', what: 'all mechanisms page total', path: 'www/dist/ on load, every mechanism', ...sum([...shared, ...everyOne, ...combined]) },
    { bench: 'size', what: 'widget total', path: `www/dist/ on load`, mechanism, ...sum([...shared, ...(own[mechanism] ?? [])]), budget_gzip9_bytes: BUDGET_GZIP9_BYTES },
  ];
}
