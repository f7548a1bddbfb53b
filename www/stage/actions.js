// The node actions panel: a hint while no node is selected; for the selected node, its buttons
// (the mechanism's, with the common Crash / Pause / Isolate placed among them) and its state.
import { el } from '../dom.js';
import { actionButton } from './controls.js';
import { commonActions } from './faults.js';

/**
 * @param {import('./contract.js').Mechanism} mech
 * @param {import('./contract.js').Stage} cx
 * @param {() => void} close   what the close button does
 * @param {{traitorSelect: Function}|null} traitors   the Byzantine mechanisms' traitor controls (traitors.js), or null
 */
export function nodeActions(mech, cx, close, traitors) {
  const root = el('section', { class: 'cp-panel cp-actions', 'aria-label': 'Node actions' });
  let sig = null; // what is shown: rebuilt only when it changes, so a button keeps its focus
  let details = null;
  let detailsSig = '';
  const show = (s, ...children) => {
    sig = s;
    root.replaceChildren(...children);
  };
  return {
    root,
    /** Shows node `n`'s actions and state, or the hint when `n` is null; `force` rebuilds. */
    show(n, force = false) {
      if (!n) {
        if (sig !== '' || force) show('', el('h3', { text: 'Nodes' }), el('p', { class: 'cp-hint', text: mech.hint }));
        return;
      }
      if (n.removed) {
        if (sig !== `${n.id}|removed` || force) show(`${n.id}|removed`, el('h3', { text: `${n.id} has left the cluster` }));
        return;
      }
      const actions = mech.nodeActions(n, cx, commonActions(n)).filter(Boolean);
      const now = [n.id, n.byzantine, ...actions.map((a) => a.text + a.title)].join('|');
      if (now !== sig || force) {
        const x = el('button', { type: 'button', class: 'cp-close', 'aria-label': 'Close node actions', text: '×' });
        x.addEventListener('click', close);
        details = el('dl', { class: 'cp-state' });
        detailsSig = '';
        const traitor = traitors && typeof cx.sim.setByzantine === 'function' ? traitors.traitorSelect(n, cx) : '';
        show(now, el('div', { class: 'cp-actions-head' }, el('h3', { text: n.id }), x), el('div', { class: 'cp-buttons' }, ...actions.map((a) => actionButton(a, cx))), traitor, details);
      }
      const rows = mech.nodeDetails(n);
      const s = JSON.stringify(rows);
      if (s === detailsSig) return;
      detailsSig = s;
      details.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]));
    },
    /** Moves focus to the first button (a node was just opened), and the panel into view when it is not (narrow: under the ring). */
    focus() {
      root.querySelector('button')?.focus({ preventScroll: true });
      const r = root.getBoundingClientRect();
      if (r.top < 0 || r.bottom > innerHeight) root.scrollIntoView({ block: r.height > innerHeight ? 'start' : 'nearest' });
    },
  };
}
