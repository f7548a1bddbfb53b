// The node actions panel: a hint while no node is selected; for the selected node, its buttons
// (the mechanism's, with the common Crash / Pause / Isolate placed among them), its links (cut or
// repair each, by keyboard as well as on the ring) and its state. A rebuilt panel keeps focus on
// the button that was used, or the one in its place (Crash becomes Restart).
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
  // A group, not a landmark: a page with several widgets would have many alike.
  const root = el('section', { class: 'cp-panel cp-actions', role: 'group', 'aria-label': 'Node actions' });
  let sig = null; // what is shown: rebuilt only when it changes, so a button keeps its focus
  let details = null;
  let detailsSig = '';
  let links = null; // the Links disclosure: a toggle per other node, pressed while that link is cut
  let linksOpen = false;
  const controlsOf = () => [...root.querySelectorAll('button, select, summary')];
  const show = (s, ...children) => {
    // The control that has focus, by what it does (data-key: Crash and Restart share one) and place.
    const had = document.activeElement;
    const list = root.contains(had) ? controlsOf() : null;
    sig = s;
    root.replaceChildren(...children);
    if (!list) return;
    const now = controlsOf();
    const same = had.dataset.key && now.find((b) => b.dataset.key === had.dataset.key);
    (same || now[Math.min(list.indexOf(had), now.length - 1)] || root).focus?.({ preventScroll: true });
  };
  // Links: the toggles come with stage/by-keyboard.js (and keyboard.css), fetched when a reader first opens it.
  const linkToggles = (id) => {
    const d = el('details', { class: 'cp-node-links' }, el('summary', { text: 'Links (pressed: cut)', 'data-key': 'links' }));
    d.addEventListener('toggle', () => {
      linksOpen = d.open;
      if (d.open && !d.update) Promise.all([import('./by-keyboard.js'), cx.stylesheet('stage/keyboard.css')]).then(([m]) => (d.update ??= m.linkToggles(d, id, cx))(), console.error);
      d.update?.();
    });
    d.open = linksOpen;
    return d;
  };
  return {
    root,
    /** Shows node `n`'s actions and state, or the hint when `n` is null; `force` rebuilds. */
    show(n, force = false) {
      if (!n) {
        if (sig !== '' || force) show('', el('h3', { text: 'Nodes' }), el('p', { class: 'cp-hint', text: mech.hint }));
        return;
      }
      const closer = () => {
        const x = el('button', { type: 'button', class: 'cp-close', 'aria-label': 'Close node actions', title: 'Close (Escape)', text: '×', 'data-key': 'close' });
        x.addEventListener('click', close);
        return x;
      };
      if (n.removed) {
        if (sig !== `${n.id}|removed` || force) show(`${n.id}|removed`, el('div', { class: 'cp-actions-head' }, el('h3', { text: `${n.id} has left the cluster` }), closer()));
        return;
      }
      const common = commonActions(n);
      for (const k in common) if (common[k]) common[k].key = k; // (a mechanism may copy them: the key goes along)
      const actions = mech.nodeActions(n, cx, common).filter(Boolean);
      const now = [n.id, n.byzantine, cx.ids.length, ...actions.map((a) => a.text + a.title + (a.disabled || ''))].join('|');
      if (now !== sig || force) {
        details = el('dl', { class: 'cp-state' });
        detailsSig = '';
        const traitor = traitors && typeof cx.sim.setByzantine === 'function' ? traitors.traitorSelect(n, cx) : '';
        traitor?.querySelector?.('select')?.setAttribute('data-key', 'traitor');
        // An action that cannot act now (`disabled`: why) keeps its place, and can keep focus:
        // aria-disabled, its reason as its title, a click that does nothing.
        const buttons = actions.map((a) => {
          const b = actionButton(a.disabled ? { ...a, title: a.disabled, run() {} } : a, cx);
          if (a.disabled) b.setAttribute('aria-disabled', 'true');
          b.dataset.key = a.key ?? a.text;
          return b;
        });
        links = linkToggles(n.id);
        show(now, el('div', { class: 'cp-actions-head' }, el('h3', { text: n.id }), closer()), el('div', { class: 'cp-buttons' }, ...buttons), traitor, links, details);
      }
      links.update?.();
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
