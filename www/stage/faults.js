// Faults every mechanism shares: the common node actions (Crash / Restart, Pause / Resume,
// Isolate) that a mechanism places among its own, and the "Network and bugs" panel, whose body
// (faults-panel.js and faults.css: dials, Heal, bug switches) is fetched when a reader first
// opens it, or as soon as a run has a bug switched on, so that its switch shows. Links are cut
// on the ring (ring.js).
import { el } from '../dom.js';

/** Crash or Restart, Pause or Resume (disabled while crashed: the buttons keep their places), and Isolate, for node `n`. */
export function commonActions(n) {
  const id = n.id;
  const action = (text, title, fn) => ({ text, title, run: (cx) => cx.act(fn) });
  return {
    crash: n.crashed ? action('Restart', 'Restart with its persistent state', (s) => s.restart(id)) : action('Crash', 'Stop it; its disk survives', (s) => s.crash(id)),
    pause: n.paused
      ? action('Resume', 'Wake it with the view it had', (s) => s.resume(id))
      : n.crashed
        ? { ...action('Pause', ''), disabled: 'It is crashed: restart it first' }
        : action('Pause', 'Freeze it (a long GC pause): it wakes later with a stale view', (s) => s.pause(id)),
    isolate: action('Isolate', 'Cut every link to and from it', (s) => s.ids.filter((o) => o !== id).forEach((o) => s.cutLink(id, o, true))),
  };
}

/**
 * The "Network and bugs" panel, closed; its body arrives when it is first opened.
 * @param {import('./contract.js').Stage} cx
 * @param {() => {name: string, breaks: string}[]} bugList
 * @param {(e: Error) => void} fail   says the panel could not load
 */
export function faults(cx, bugList, fail) {
  const root = el('details', { class: 'cp-panel cp-faults' }, el('summary', { text: 'Network and bugs' }));
  let body = null;
  let loading = null;
  const load = () =>
    (loading ??= Promise.all([import('./faults-panel.js'), cx.stylesheet('stage/faults.css')]).then(
      ([m]) => {
        body = m.faultsPanel(cx, bugList());
        root.append(...body.children);
        if (cx.sim) body.sync(cx.sim);
      },
      fail,
    ));
  root.addEventListener('toggle', () => root.open && load());
  return {
    root,
    /** A new run: the dials and switches show its settings. */
    sync(sim) {
      if (body) body.sync(sim);
      else if (sim.config.bugs.length) load();
    },
  };
}
