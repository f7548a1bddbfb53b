// The run's record and the timeline under the ring. The record: every action the reader takes
// that changes the run, as `{at, ev, do, args}` (simulated ms; events handled before it; the
// Simulation method and its arguments), and the furthest point reached (`end`). Only what the
// reader did is recorded, never the simulation's own events: the same options and the same
// actions at the same points replay the same run, event for event. The timeline: a slider
// ("Time") from the start of the run to the furthest point, Jump to the violation, and Share…
// (Copy link, Export, Import). What they do (checkpoints, replay, links, files) is
// www/stage/history.js, fetched on first use.
import { button, el, fmtMs } from '../dom.js';

// One recording view per simulation, so that what a mechanism keys on it (a WeakMap of request
// counters) stays the same from one action to the next.
const views = new WeakMap();

/**
 * @param {{seek(target: {at?: number, ev?: number}): void, history(): Promise<object>, spacetime(open: boolean): void}} on
 *   seek: go to a point of the run (time travel); history: the history module, once loaded;
 *   spacetime: open or close the space-time diagram
 */
export function timeline(on) {
  const run = { log: [], ev: 0, applied: 0, start: 0, end: { at: 0, ev: 0 }, violationAt: null };
  const slider = el('input', { type: 'range', min: '0', max: '0', value: '0', class: 'cp-time' });
  const jump = button('Jump to the violation', '', () => on.seek({ at: run.violationAt }));
  // Copy link, Export and Import come with the history module, on first opening.
  const box = el('div', { class: 'cp-group cp-share', hidden: '' });
  const share = button('Share…', 'Copy link, Export, Import', () => on.history().then((h) => h.share(box, share)));
  share.setAttribute('aria-expanded', 'false');
  // The space-time diagram (stage/spacetime.js, fetched on first opening).
  const spacetime = button('Space-time', 'A space-time diagram: one line per node, messages as arrows', () => {
    const open = spacetime.getAttribute('aria-expanded') !== 'true';
    spacetime.setAttribute('aria-expanded', String(open));
    on.spacetime(open);
  });
  spacetime.setAttribute('aria-expanded', 'false');
  let pending = null;
  // The slider's own keys (← → by a hundredth of the run: its step, Page Up / Down, Home, End)
  // and drags go there, one replay per frame however fast it moves; at its top, the furthest point.
  slider.addEventListener('input', () => {
    if (pending === null) requestAnimationFrame(() => (on.seek(pending > run.end.at - slider.step ? run.end : { at: pending }), (pending = null)));
    pending = Number(slider.value);
  });
  const root = el('div', { class: 'cp-timeline' }, el('label', { class: 'cp-time-label' }, el('span', { text: 'Time' }), slider), jump, spacetime, share, box);
  jump.hidden = true;
  return {
    root,
    run,
    /** A new run from simulation `sim`: nothing recorded yet. */
    reset(sim) {
      Object.assign(run, { log: [], ev: 0, applied: 0, start: sim.now, end: { at: sim.now, ev: 0 }, violationAt: null });
    },
    /** `n` more events handled by `sim` (the run went on). */
    ran(n, sim) {
      run.ev += n;
      if (sim.now > run.end.at || run.ev > run.end.ev) run.end = { at: sim.now, ev: run.ev };
    },
    /**
     * `sim` as an action sees it: its method calls are recorded (once they succeed: the few
     * reads among them replay harmlessly); the point reached becomes the end of the run.
     */
    recording(sim) {
      if (!views.has(sim))
        views.set(
          sim,
          new Proxy(sim, {
            get(target, name) {
              const v = Reflect.get(target, name);
              return typeof v !== 'function'
                ? v
                : (...args) => {
                    const r = v.apply(target, args);
                    while (args.length && args.at(-1) === undefined) args.pop();
                    run.log.push({ at: target.now, ev: run.ev, do: name, args: JSON.parse(JSON.stringify(args)) });
                    run.applied = run.log.length;
                    run.end = { at: target.now, ev: run.ev };
                    return r;
                  };
            },
          }),
        );
      return views.get(sim);
    },
    /** The slider and the jump at simulated time `now`; `violation` the first violation's time, if any. */
    show(now, violation) {
      if (violation !== undefined && (run.violationAt === null || violation < run.violationAt)) run.violationAt = violation;
      jump.hidden = run.violationAt === null;
      slider.min = String(run.start);
      slider.max = String(run.end.at);
      slider.step = String(Math.max(1, (run.end.at - run.start) / 100));
      if (pending === null) slider.value = String(now);
      slider.setAttribute('aria-valuetext', `${fmtMs(now)} of ${fmtMs(run.end.at)}`);
    },
  };
}
