// The run's record and the timeline under the ring. The record: every action the reader takes
// that changes the run, as `{at, ev, do, args}` (simulated ms; events handled before it; the
// Simulation method and its arguments), and the furthest point reached (`end`). Only what the
// reader did is recorded, never the simulation's own events: the same options and the same
// actions at the same points replay the same run, event for event. The timeline: a slider from
// the start of the run to the furthest point, Jump to the violation, Copy link, Export and
// Import. What they do (checkpoints, replay, links, files) is www/stage/history.js, fetched on
// first use.
import { button, el, fmtMs, setText } from '../dom.js';

// Simulation methods that change nothing: not recorded when an action calls them.
const READS = new Set(['nodes', 'messages', 'leader', 'network', 'violations', 'stats', 'eventsSince', 'history', 'byzantine', 'decisions', 'informed', 'verdicts', 'tally', 'toJSON']);

/**
 * @param {{seek(target: {at?: number, ev?: number}): void, history(): Promise<object>}} on
 *   seek: go to a point of the run (time travel); history: the loaded history module
 */
export function timeline(on) {
  const run = { log: [], ev: 0, applied: 0, start: 0, end: { at: 0, ev: 0 }, violationAt: null };
  const slider = el('input', { type: 'range', min: '0', max: '0', step: 'any', value: '0', class: 'cp-time', 'aria-label': 'Time: drag or use the arrow keys to go back and forward through the run' });
  const jump = button('Jump to the violation', 'Go to the moment the checker found the first safety violation', () => on.seek({ at: run.violationAt }));
  const status = el('span', { class: 'cp-share-status', role: 'status' });
  const file = el('input', { type: 'file', accept: 'application/json,.json', hidden: '', 'aria-label': 'Import a run (JSON file)' });
  const use = (fn) => () => on.history().then(fn, (e) => setText(status, `Time travel could not load: ${e.message}`));
  file.addEventListener('change', use((h) => file.files[0] && h.importFile(file.files[0], status).finally(() => (file.value = ''))));
  let pending = null;
  const seekSoon = (at) => {
    // One replay per frame however fast the slider moves.
    if (pending === null) requestAnimationFrame(() => (on.seek(pending >= run.end.at ? run.end : { at: pending }), (pending = null)));
    pending = at;
  };
  slider.addEventListener('input', () => seekSoon(Number(slider.value)));
  slider.addEventListener('keydown', (e) => {
    const span = run.end.at - run.start;
    const by = { ArrowLeft: -0.01, ArrowDown: -0.01, ArrowRight: 0.01, ArrowUp: 0.01, PageDown: -0.1, PageUp: 0.1 }[e.key];
    if (by === undefined && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    const now = Number(slider.value);
    const to = e.key === 'Home' ? run.start : e.key === 'End' ? run.end.at : Math.min(run.end.at, Math.max(run.start, now + Math.sign(by) * Math.max(1, Math.abs(by) * span)));
    slider.value = String(to);
    seekSoon(to);
  });
  const root = el(
    'div',
    { class: 'cp-timeline' },
    el('label', { class: 'cp-time-label' }, el('span', { text: 'Time' }), slider),
    el(
      'div',
      { class: 'cp-group cp-share' },
      jump,
      button('Copy link', 'A link to this run at this moment: the settings, the seed and every action taken', use((h) => h.copyLink(status))),
      button('Export', 'Download this run as a JSON file', use((h) => h.exportFile(status))),
      button('Import…', 'Open a run exported as a JSON file', () => file.click()),
      file,
      status,
    ),
  );
  jump.hidden = true;
  return {
    root,
    run,
    /** A new run from simulation `sim`: nothing recorded yet. */
    reset(sim) {
      Object.assign(run, { log: [], ev: 0, applied: 0, start: sim.now, end: { at: sim.now, ev: 0 }, violationAt: null });
      setText(status, '');
    },
    /** `n` more events handled by `sim` (the run went on). */
    ran(n, sim) {
      run.ev += n;
      if (sim.now > run.end.at || run.ev > run.end.ev) run.end = { at: sim.now, ev: run.ev };
    },
    /**
     * `sim` as an action sees it: calls that change the run are recorded (after they succeed),
     * reads are not; the point reached becomes the end of the run.
     */
    recording(sim) {
      return new Proxy(sim, {
        get(target, name) {
          const v = Reflect.get(target, name);
          if (typeof v !== 'function' || READS.has(name)) return v;
          return (...args) => {
            const r = v.apply(target, args);
            while (args.length && args.at(-1) === undefined) args.pop();
            run.log.push({ at: target.now, ev: run.ev, do: name, args: JSON.parse(JSON.stringify(args)) });
            run.applied = run.log.length;
            run.end = { at: target.now, ev: run.ev };
            return r;
          };
        },
      });
    },
    /** The slider and the jump at simulated time `now`; `violation` the first violation's time, if any. */
    show(now, violation) {
      if (violation !== undefined && (run.violationAt === null || violation < run.violationAt)) run.violationAt = violation;
      jump.hidden = run.violationAt === null;
      slider.min = String(run.start);
      slider.max = String(run.end.at);
      if (document.activeElement !== slider || pending === null) slider.value = String(now);
      slider.setAttribute('aria-valuetext', `${fmtMs(now)} of ${fmtMs(run.end.at)}`);
    },
  };
}
