// The Raft paper's Figure 16 as data: every trial's time, read back from the figure's vector
// source. The dissertation's repository (github.com/ongardie/dissertation, commit 42841d1,
// leaderelection/benchmarks-randomness.svg and benchmarks-scale.svg; Ongaro, "Consensus:
// Bridging Theory and Practice", 2014, Figure 9.x = the ATC paper's Figure 16) holds the plots as
// ggplot2/cairo SVG. Each curve is an empirical CDF drawn as a staircase, one rise of 1/N per
// trial (N = 1000, 100 for 150–150 ms), so the x of each rise is one trial's time without a
// leader. The axes come from the plot's own tick marks: the top panel's x axis is log10 (its
// decade ticks are 100, 1000, 10000 and 100000 ms), the bottom panel's linear (a tick every
// 25 ms from 0).
//
//   node scripts/paper-fig16.mjs benchmarks-randomness.svg benchmarks-scale.svg > docs/experiments/fig16-paper.json
//
// Prints {"source", "ranges": [{"range_ms": [lo, hi], "trials": N, "ms": [sorted times, 0.1 ms]}]}.
// With --cdf FILE, prints the compact CDF www/experiments.js draws (`paperCdf`).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The stroked paths of a cairo SVG: colour, miter limit (1 for data, 10 for guides), points. */
function paths(file) {
  const svg = readFileSync(file, 'utf8');
  return [...svg.matchAll(/<path([^>]*)\/>/g)].flatMap(([, attrs]) => {
    const style = /style="([^"]*)"/.exec(attrs)?.[1] ?? '';
    const stroke = /stroke:(rgb\([^)]*\))/.exec(style)?.[1];
    if (!stroke) return [];
    const d = /\sd="([^"]*)"/.exec(attrs)?.[1] ?? '';
    const pts = [...d.matchAll(/[ML]\s*([-\d.]+)\s+([-\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    return [{ stroke, data: /stroke-miterlimit:1;/.test(style), pts }];
  });
}

/** Tick marks: short black segments; vertical ones are x ticks (their x), horizontal ones y ticks. */
function ticks(ps) {
  const black = ps.filter((p) => p.stroke === 'rgb(0%,0%,0%)' && p.pts.length === 2);
  const xs = black.filter((p) => p.pts[0][0] === p.pts[1][0]).map((p) => p.pts[0][0]).sort((a, b) => a - b);
  const ys = black.filter((p) => p.pts[0][1] === p.pts[1][1]).map((p) => p.pts[0][1]).sort((a, b) => b - a);
  return { xs, ys };
}

/** The legend's order of colours (its guide lines, top to bottom) is the ranges' order. */
function legendColours(ps) {
  const data = new Set(ps.filter((p) => p.data).map((p) => p.stroke));
  return ps
    .filter((p) => !p.data && data.has(p.stroke) && p.pts.length === 2 && p.pts[0][1] === p.pts[1][1])
    .sort((a, b) => a.pts[0][1] - b.pts[0][1])
    .map((p) => p.stroke);
}

/** The trials of one staircase: each rise of `unit` y at some x is a trial at that x. */
function trials(curve, unit, toMs) {
  const out = [];
  for (let k = 1; k < curve.pts.length; k++) {
    const [[x0, y0], [x1, y1]] = [curve.pts[k - 1], curve.pts[k]];
    if (x0 !== x1 || y1 >= y0) continue;
    const n = Math.round((y0 - y1) / unit);
    for (let j = 0; j < n; j++) out.push(Math.round(toMs(x1) * 10) / 10);
  }
  // The first point sits half a step up (the staircase starts at its first trial).
  out.unshift(Math.round(toMs(curve.pts[0][0]) * 10) / 10);
  return out.sort((a, b) => a - b);
}

function panel(file, ranges, axis) {
  const ps = paths(file);
  const { xs, ys } = ticks(ps);
  // y: 11 ticks, 0.0 (bottom) to 1.0 (top).
  const [y0, y1] = [ys[0], ys[ys.length - 1]];
  const toMs = axis(xs);
  const colours = legendColours(ps);
  return ranges.map((range, k) => {
    const curve = ps.find((p) => p.data && p.stroke === colours[k]);
    const n = range[0] === range[1] ? 100 : 1000;
    const ms = trials(curve, (y0 - y1) / n, toMs);
    if (ms.length !== n) throw new Error(`${range}: ${ms.length} trials read back, ${n} expected`);
    return { range_ms: range, trials: n, ms };
  });
}

/**
 * The paper's CDF in 41 points per range, as www/experiments.js draws it: the shortest trial,
 * then the trial at every 2.5 % (the k-th of n at k/n), whole ms. `data` is this script's output.
 */
export function paperCdf(data) {
  const out = {};
  for (const r of data.ranges) {
    const key = r.range_ms.join('-');
    if (key in out) continue;
    const m = r.ms;
    out[key] = [m[0], ...Array.from({ length: 40 }, (_, i) => m[Math.ceil(((i + 1) / 40) * m.length) - 1])].map((ms) => Math.round(ms));
  }
  return out;
}

function main() {
  const [top, bottom] = process.argv.slice(2);
  if (top === '--cdf') {
    // node scripts/paper-fig16.mjs --cdf docs/experiments/fig16-paper.json: the constant for www/experiments.js.
    console.log(`const PAPER_CDF = ${JSON.stringify(paperCdf(JSON.parse(readFileSync(bottom, 'utf8'))))};`);
    return;
  }
  if (!top || !bottom) {
    console.error('usage: node scripts/paper-fig16.mjs benchmarks-randomness.svg benchmarks-scale.svg');
    process.exit(2);
  }
  // Top: log10; the ticks run 100, 200, …, 900, 1000, 2000, …: a decade is the distance from the
  // first tick to the tenth.
  const logAxis = (xs) => {
    const decade = xs[9] - xs[0];
    return (x) => 100 * 10 ** ((x - xs[0]) / decade);
  };
  // Bottom: linear, a tick every 25 ms from 0.
  const linearAxis = (xs) => (x) => ((x - xs[0]) / (xs[1] - xs[0])) * 25;
  const out = {
    source: 'github.com/ongardie/dissertation@42841d17fe814dbc5d077428ba3fffb88fd91422 leaderelection/benchmarks-{randomness,scale}.svg, read back by scripts/paper-fig16.mjs',
    ranges: [
      ...panel(top, [[150, 150], [150, 151], [150, 155], [150, 175], [150, 200], [150, 300]], logAxis),
      ...panel(bottom, [[12, 24], [25, 50], [50, 100], [100, 200], [150, 300]], linearAxis),
    ],
  };
  console.log(JSON.stringify(out));
}

// Run as a script, not when a test imports paperCdf.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
