// The keyboard's ways to do what clicks on the ring do (README "Keyboard and screen readers"):
// cut or repair a link from the node's actions (Links: a toggle per other node, pressed while the
// link is cut), and drop a message from "Messages in flight" (each message with a Drop button).
// Fetched when a reader first opens either; it imports nothing, so that no chunk is shared with
// the element's file (it gets el from the element).

/**
 * The toggles of node `id`'s links, in `details`; returns what shows their state.
 * @param {import('./contract.js').Stage} cx
 */
export function linkToggles(details, id, cx) {
  const { el } = cx.dom;
  const group = el('div', { class: 'cp-buttons', role: 'group', 'aria-label': `Links from ${id}: pressed means cut` });
  for (const o of cx.ids.filter((x) => x !== id)) {
    const b = el('button', { type: 'button', class: 'cp-btn cp-link-toggle', 'data-peer': o, 'data-key': `link-${o}`, text: o });
    b.addEventListener('click', () => cx.act((s) => (b.getAttribute('aria-pressed') !== 'false' ? s.repairLink(id, o, true) : s.cutLink(id, o, true))));
    group.append(b);
  }
  details.append(group);
  return () => {
    if (!details.open) return;
    const cut = new Set(cx.sim.network().cutLinks.map(([f, t]) => `${f}>${t}`));
    for (const b of group.children) {
      const o = b.dataset.peer;
      const [out, back] = [cut.has(`${id}>${o}`), cut.has(`${o}>${id}`)];
      const state = out && back ? 'true' : out || back ? 'mixed' : 'false';
      if (b.getAttribute('aria-pressed') === state) continue;
      b.setAttribute('aria-pressed', state);
      b.title = `Link ${id}–${o}: ${state === 'true' ? 'cut both ways' : state === 'mixed' ? `cut from ${out ? id : o} to ${out ? o : id}` : 'working'}. Press to ${state === 'false' ? 'cut' : 'repair'} it.`;
    }
  };
}

/**
 * The list of messages in flight, in `details` (after its `summary`): what draws it, as
 * `render(msgs, mech)`, and `reset()` for a new run. When the message whose Drop button has focus
 * is delivered or dropped, focus moves to the next one (or the summary).
 * @param {(id: number) => void} drop   drops message `id`
 */
export function messageList(details, summary, drop, { el }) {
  const MAX_ROWS = 200;
  const list = el('ul', { class: 'cp-inflight-list' });
  details.append(list);
  let rows = new Map();
  return {
    render(msgs, mech) {
      if (!details.open) return;
      const seen = new Set();
      for (const m of msgs.slice(0, MAX_ROWS)) {
        seen.add(m.id);
        if (rows.has(m.id)) continue;
        const said = mech.describeMessage(m);
        const b = el('button', { type: 'button', class: 'cp-btn', text: 'Drop', 'aria-label': `Drop ${said}` });
        b.addEventListener('click', () => drop(m.id));
        const li = el('li', {}, el('span', { text: said }), b);
        rows.set(m.id, li);
        list.append(li);
      }
      let lost = -1;
      let k = 0;
      for (const [id, li] of rows) {
        if (seen.has(id)) {
          k++;
          continue;
        }
        if (li.contains(document.activeElement)) lost = k;
        li.remove();
        rows.delete(id);
      }
      if (lost >= 0) (list.children[Math.min(lost, list.children.length - 1)]?.querySelector('button') ?? summary).focus({ preventScroll: true });
    },
    reset() {
      if (list.contains(document.activeElement)) summary.focus({ preventScroll: true });
      rows = new Map();
      list.replaceChildren();
    },
  };
}
