// Traitors in the widget, for the Byzantine mechanisms (PBFT, HotStuff, the generals: modules
// with `traitors: true`), fetched with stage/traitors.css only by their widgets: the element's
// `byzantine` attribute and the traitor select of the node actions.
// It imports nothing (el comes from the stage, cx.dom), so no chunk is shared with the element.

/**
 * Node `n`'s loyalty: honest, or a traitor with one of the behaviours its mechanism knows
 * (`Simulation.behaviours`: the simulator's silent and mute — towards one chosen node here —,
 * then the mechanism's own), each option titled with what the traitor does.
 */
export function traitorSelect(n, cx) {
  const { el } = cx.dom;
  const sim = cx.sim;
  const current = JSON.stringify(sim.byzantine()[n.id] ?? null);
  const options = [el('option', { value: 'null', text: 'honest' })];
  for (const b of sim.constructor.behaviours(sim.config.protocol)) {
    const choices = b.name === 'mute' ? cx.ids.filter((o) => o !== n.id).map((o) => [{ behaviour: 'mute', to: [o] }, `mute towards ${o}`]) : [[b.name, b.name]];
    for (const [value, text] of choices) options.push(el('option', { value: JSON.stringify(value), text, title: b.does }));
  }
  const select = el('select', { class: 'cp-traitor-select', 'aria-label': `${n.id}: honest or a traitor (Byzantine behaviour)` }, ...options);
  select.value = options.some((o) => o.value === current) ? current : 'null';
  select.addEventListener('change', () => cx.act((s) => s.setByzantine(n.id, JSON.parse(select.value))));
  return el('label', { class: 'cp-traitor', title: 'A traitor may send anything (Byzantine); the checker judges only the honest nodes' }, 'Traitor ', select);
}

/** `"n1:equivocate, n2:mute>n3"` as the Simulation's `byzantine` option. */
export function parseTraitors(text) {
  return Object.fromEntries(
    text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((p) => {
        const [id, b = ''] = p.split(':');
        const [behaviour, ...to] = b.split('>');
        return [id, to.length ? { behaviour, to } : behaviour];
      }),
  );
}

