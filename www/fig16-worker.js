// Runs the Raft paper's Figure 16 sweep off the main thread, so the animation stays smooth.
// In:  {trials, model, seed}.
// Out: {type: 'start', ranges, paper}, then {type: 'range', index, result} per range (the
//      bottom panel's 150–300 ms repeats the top one's, same seeds: sent again, not rerun),
//      then {type: 'done', wallMs}; {type: 'error', message} if the wasm cannot load or an
//      input is refused.
import init, { fig16Range, fig16Paper } from './pkg/consensus_playground.js';

let ready = null;

self.onmessage = async (e) => {
  try {
    ready ??= init({ module_or_path: new URL('./pkg/consensus_playground_bg.wasm', import.meta.url) });
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
