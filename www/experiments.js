// The Experiments panel of <consensus-playground>: the Raft paper's Figure 16 (time to elect a
// new leader after the leader crashes), run by the same wasm core in a Web Worker, plotted as
// CDFs on a log-time axis like the paper's figure, beside the paper's own trials (dashed) and the
// numbers it states.
// Loaded on demand (the panel's first opening), so a page that never opens it does not fetch it,
// nor its stylesheet (experiments.css, fetched beside it). It imports nothing: the element hands
// it its DOM helpers (www/dom.js), which then stay in the element's own file.

const COLORS = ['#2563eb', '#d97706', '#16a34a', '#dc2626', '#7c3aed', '#0f766e'];
// Plot geometry (viewBox units) and the log-time domain, ms.
const W = 320, H = 200, L = 34, R = 8, T = 8, B = 32;
const X_MIN = 10, X_MAX = 30000;
// fig16Paper().ranges lists the top panel's ranges first: this many.
const TOP_RANGES = 6;
const x = (ms) => L + ((Math.log10(Math.min(Math.max(ms, X_MIN), X_MAX)) - Math.log10(X_MIN)) / (Math.log10(X_MAX) - Math.log10(X_MIN))) * (W - L - R);
const y = (p) => T + (1 - p) * (H - T - B);
const fmt = (ms) => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const label = ([lo, hi]) => `${lo}–${hi} ms`;

// The paper's own trials, drawn dashed beside ours: per range, its shortest trial and then the
// trial at every 2.5 % (whole ms), read back from the figure's vector source in the
// dissertation's repository (docs/experiments/fig16-paper.json; this constant is
// `node scripts/paper-fig16.mjs --cdf docs/experiments/fig16-paper.json`, and a test keeps
// the two equal).
export const PAPER_CDF = {"150-150":[9865,13938,16352,18137,18731,21450,22226,25212,27163,27308,28177,29286,30301,33780,34328,36026,36344,37099,37935,40223,40654,43502,45042,45445,49701,50589,53013,55060,56119,57755,60484,64996,66329,68609,72039,81352,84055,98501,104960,174891,527964],"150-151":[86,160,285,404,434,550,571,597,689,713,737,756,849,874,894,919,1020,1040,1063,1169,1198,1308,1342,1367,1474,1511,1629,1668,1779,1900,1939,2089,2231,2373,2534,2707,3132,3437,3901,4497,8231],"150-155":[85,97,106,115,119,125,129,135,143,149,154,162,243,251,257,262,267,271,277,282,287,293,299,304,308,314,398,409,419,428,435,446,452,464,557,582,606,709,763,1036,2143],"150-175":[84,97,102,104,107,109,111,113,116,118,121,123,124,127,129,131,133,135,137,139,141,143,145,147,150,152,155,158,160,162,164,167,173,179,263,279,291,299,313,331,610],"150-200":[87,98,104,107,110,113,116,118,120,122,125,127,129,131,134,136,138,140,142,144,146,148,150,152,154,156,158,161,162,164,167,168,172,176,181,186,193,202,293,325,512],"150-300":[93,107,115,119,124,128,132,136,138,142,144,146,148,152,155,157,160,162,164,168,171,174,177,181,185,188,192,196,200,203,208,213,217,222,228,236,244,253,264,286,603],"12-24":[15,18,19,19,20,21,22,22,23,24,24,25,26,26,27,27,28,29,29,29,30,31,31,32,33,34,36,37,39,41,42,43,45,46,48,50,52,56,66,74,152],"25-50":[24,27,29,30,31,32,32,33,34,34,35,36,37,38,38,39,40,41,41,42,43,44,45,45,46,47,48,49,50,51,52,54,55,57,63,69,73,78,83,96,276],"50-100":[37,42,44,46,48,50,51,53,54,55,56,57,59,60,60,61,62,63,64,66,67,68,69,70,71,72,73,75,77,78,79,81,84,87,89,91,96,103,120,144,253],"100-200":[66,73,78,82,85,89,92,93,95,98,100,102,105,106,108,110,111,113,116,118,120,122,124,127,129,131,133,137,140,142,145,150,152,156,159,162,165,171,181,199,335]};
/** The paper's CDF of a range as [ms, fraction] points, or null. */
const paperCdf = ([lo, hi]) => PAPER_CDF[`${lo}-${hi}`]?.map((ms, i, all) => [ms, i / (all.length - 1)]) ?? null;

/** An empty CDF plot: axes, log-time ticks, gridlines. */
function plot(svg, title) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'cp-x-plot', role: 'img', 'aria-label': title });
  const grid = svg('g', { class: 'cp-x-grid' });
  for (const ms of [10, 100, 1000, 10000]) {
    grid.append(svg('line', { x1: x(ms), x2: x(ms), y1: T, y2: H - B }));
    const t = svg('text', { x: x(ms), y: H - B + 13, 'text-anchor': 'middle' });
    t.textContent = ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
    grid.append(t);
  }
  for (const p of [0, 0.5, 1]) {
    grid.append(svg('line', { x1: L, x2: W - R, y1: y(p), y2: y(p) }));
    const t = svg('text', { x: L - 4, y: y(p) + 4, 'text-anchor': 'end' });
    t.textContent = `${p * 100}%`;
    grid.append(t);
  }
  const axis = svg('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', class: 'cp-x-axis' });
  axis.textContent = 'time without a leader (log scale)';
  const lines = svg('g', { class: 'cp-x-lines' });
  root.append(grid, lines, axis);
  return { root, lines };
}

/** The CDF of one range as a step line: [ms, fraction] points, fraction rising to 1. */
function cdfPath(cdf) {
  let d = `M${x(cdf[0][0]).toFixed(1)},${y(0).toFixed(1)}`;
  let prev = 0;
  for (const [ms, p] of cdf) {
    const px = x(ms).toFixed(1);
    d += `L${px},${y(prev).toFixed(1)}L${px},${y(p).toFixed(1)}`;
    prev = p;
  }
  return d;
}

/** The panel's content; `dom` is {el, svg} of www/dom.js. */
export function buildExperiments({ el, svg }) {
  const trials = el('select', { 'aria-label': 'Trials per range' }, ...[100, 200, 1000].map((n) => el('option', { value: String(n), text: `${n} trials per range` })));
  trials.value = '200';
  const model = el(
    'select',
    { 'aria-label': 'Model of the 15 ms broadcast time' },
    el('option', { value: 'disk', text: 'LAN + disk write (the paper’s cluster)' }),
    el('option', { value: 'network', text: '15 ms network, no disk' }),
    el('option', { value: 'logcabin', text: 'LogCabin 2013’s writes and timers' }),
  );
  const run = el('button', { type: 'button', class: 'cp-btn cp-primary', text: 'Run Figure 16' });
  const progress = el('progress', { max: '11', value: '0', 'aria-label': 'Sweep progress' });
  const status = el('span', { class: 'cp-x-status', role: 'status', text: 'Five servers, the leader crashed at a random time within its heartbeat interval, two servers with shorter logs; each trial times the crash until a server hears the new leader.' });
  const top = plot(svg, 'Figure 16 top: varying the randomness of election timeouts');
  const bottom = plot(svg, 'Figure 16 bottom: scaling the minimum election timeout');
  const topKey = el('ul', { class: 'cp-x-key' });
  const bottomKey = el('ul', { class: 'cp-x-key' });
  const body = el('tbody');
  const table = el(
    'table',
    { class: 'cp-x-table' },
    el('thead', {}, el('tr', {}, ...['Election timeout', 'median', 'p90', 'max', 'mean', 'no new leader in 20 s', 'no leader to crash', 'the paper: median / p90 / max'].map((h) => el('th', { text: h })))),
    body,
  );
  const panel = el(
    'div',
    { class: 'cp-x' },
    el('div', { class: 'cp-x-controls' }, model, trials, run, progress),
    status,
    el(
      'div',
      { class: 'cp-x-plots' },
      el('figure', {}, top.root, topKey, el('figcaption', { text: 'Top: 150 ms minimum, more or less randomness. Dashed: the paper’s trials; ◇ its stated median or longest, → over 10 s' })),
      el('figure', {}, bottom.root, bottomKey, el('figcaption', { text: 'Bottom: timeouts scaled down, randomness = minimum. Dashed: the paper’s trials; ○ its stated mean' })),
    ),
    table,
  );

  let worker = null;
  run.addEventListener('click', () => {
    if (worker) {
      worker.terminate();
      worker = null;
      run.textContent = 'Run Figure 16';
      status.textContent = 'Stopped.';
      return;
    }
    for (const p of [top, bottom]) p.lines.replaceChildren();
    topKey.replaceChildren();
    bottomKey.replaceChildren();
    body.replaceChildren();
    progress.value = 0;
    run.textContent = 'Stop';
    status.textContent = 'Running in a Web Worker…';
    worker = new Worker(new URL('./fig16-worker.js', import.meta.url), { type: 'module' });
    let paper = [];
    let ranges = [];
    // The bottom panel ends with the top one's 150–300 ms: plotted in both, listed and marked once.
    const listed = new Set();
    worker.onmessage = ({ data }) => {
      if (data.type === 'start') {
        ({ paper, ranges } = data);
        progress.max = ranges.length;
      } else if (data.type === 'range') {
        const r = data.result;
        const inTop = data.index < TOP_RANGES;
        const k = inTop ? data.index : data.index - TOP_RANGES;
        const again = listed.has(label(r.rangeMs));
        listed.add(label(r.rangeMs));
        const color = COLORS[k % COLORS.length];
        const p = inTop ? top : bottom;
        const theirs = again ? null : paperCdf(r.rangeMs);
        if (theirs) p.lines.append(svg('path', { d: cdfPath(theirs), stroke: color, class: 'cp-x-theirs', 'data-paper': label(r.rangeMs) }));
        if (r.cdf.length) p.lines.append(svg('path', { d: cdfPath(r.cdf), stroke: color, 'data-range': label(r.rangeMs) }));
        const key = inTop ? topKey : bottomKey;
        key.append(el('li', {}, el('i', { style: `background:${color}` }), label(r.rangeMs)));
        const stated = paper.filter((s) => s.rangeMs.join() === r.rangeMs.join());
        // The paper's numbers: a median (◇ at 50%) and a longest (◇ at 100%) are points of its
        // CDF; a mean is not (○ at 50% marks the time); "over 10 s" is an arrow at 10 s.
        for (const s of again ? [] : stated) {
          const at = { median: 0.5, mean: 0.5, max: 1, min: 0.05 }[s.stat];
          const cx = x(s.ms), cy = y(at);
          const d = {
            mean: `M${cx - 5},${cy}a5,5 0 1,0 10,0a5,5 0 1,0 -10,0`,
            min: `M${cx - 6},${cy}L${cx + 6},${cy}M${cx + 2},${cy - 4}L${cx + 6},${cy}L${cx + 2},${cy + 4}`,
          }[s.stat] ?? `M${cx},${cy - 5}L${cx + 5},${cy}L${cx},${cy + 5}L${cx - 5},${cy}Z`;
          const mark = svg('path', { d, stroke: color, class: 'cp-x-paper' });
          const tip = svg('title');
          tip.textContent = `the paper, ${label(r.rangeMs)}: ${s.stat === 'min' ? 'over 10 s' : `${s.stat} ${fmt(s.ms)}`}`;
          mark.append(tip);
          p.lines.append(mark);
        }
        // The paper's trials: median, p90 and longest (its stated numbers are among them).
        const q = PAPER_CDF[r.rangeMs.join('-')];
        const said = q ? `${fmt(q[20])} / ${fmt(q[36])} / ${fmt(q[40])}` : stated.map((s) => `${s.stat} ${fmt(s.ms)}`).join(', ');
        if (!again) {
          body.append(
            el(
              'tr',
              {},
              el('td', {}, el('i', { style: `background:${color}` }), label(r.rangeMs)),
              ...[r.medianMs, r.p90Ms, r.maxMs, r.meanMs].map((v) => el('td', { text: fmt(v) })),
              el('td', { text: r.capped ? `${r.capped} of ${r.trials - r.noLeaderToCrash}` : '—' }),
              el('td', { text: r.noLeaderToCrash ? `${r.noLeaderToCrash} of ${r.trials}` : '—' }),
              el('td', { text: said || '—' }),
            ),
          );
        }
        progress.value = data.index + 1;
        status.textContent = `${data.index + 1} of ${ranges.length} ranges (${r.trials} trials each)…`;
      } else if (data.type === 'done' || data.type === 'error') {
        status.textContent = data.type === 'done' ? `Done: ${ranges.length} ranges in ${(data.wallMs / 1000).toFixed(1)} s of wall time.` : `Error: ${data.message}`;
        run.textContent = 'Run Figure 16';
        worker.terminate();
        worker = null;
      }
    };
    worker.onerror = (e) => {
      status.textContent = `Error: ${e.message}`;
      run.textContent = 'Run Figure 16';
      worker = null;
    };
    worker.postMessage({ trials: Number(trials.value), model: model.value, seed: 1 });
  });
  return panel;
}
