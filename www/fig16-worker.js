// Runs the Raft paper's Figure 16 sweep off the main thread, so the animation stays smooth.
// In:  {trials, model, seed}.
// Out: {type: 'start', ranges, paper}, then {type: 'range', index, result} per range (the
//      bottom panel's 150–300 ms repeats the top one's, same seeds: sent again, not rerun),
//      then {type: 'done', wallMs}; {type: 'error', message} if the wasm cannot load or an
//      input is refused.
import init, { fig16Range, fig16Paper } from './pkg/consensus_playground.js';

// The bundle (www/dist/) defines FIG16_WASM: the worker's own wasm build, which has the
// experiments and not the rest of the JS API. Unbundled, the full package serves.
/* global FIG16_WASM */
const WASM = typeof FIG16_WASM === 'string' ? FIG16_WASM : './pkg/consensus_playground_bg.wasm';

let ready = null;

self.onmessage = async (e) => {
  try {
    ready ??= init({ module_or_path: new URL(WASM, import.meta.url) });
    await ready;
    const { trials, model, seed } = e.data;
    const { ranges, paper } = fig16Paper();
    self.postMessage({ type: 'start', ranges, paper });
    const started = performance.now();
    const done = new Map();
    for (const [index, rangeMs] of ranges.entries()) {
      const key = rangeMs.join('-');
      const result = done.get(key) ?? fig16Range({ rangeMs, trials, model, seed });
      done.set(key, result);
      self.postMessage({ type: 'range', index, result });
    }
    self.postMessage({ type: 'done', wallMs: performance.now() - started });
  } catch (err) {
    self.postMessage({ type: 'error', message: err?.message ?? String(err) });
  }
};
