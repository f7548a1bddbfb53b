// The "Network and bugs" panel, whose body (faults-panel.js and faults.css: dials, Heal, bug
// switches) is fetched when a reader first opens it, or as soon as a run has a bug switched on,
// so that its switch shows.
import { el } from '../dom.js';

/**
 * The "Network and bugs" panel, closed; its body arrives when it is first opened.
 * @param {{sim: object, act: Function, dom: {el: Function, button: Function}, stylesheet: Function}} cx   what the element hands the panel
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
