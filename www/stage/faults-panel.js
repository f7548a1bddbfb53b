// The body of the "Network and bugs" panel: loss, duplication, latency and jitter dials, Heal,
// the "Break the protocol" switches. Fetched when a reader first opens the panel (faults.js); it
// imports nothing, so that no chunk is shared with the element's file (it gets cx.dom).

/**
 * @param {import('./contract.js').Stage} cx
 * @param {{name: string, breaks: string}[]} bugs   one switch per deliberate bug (`Simulation.bugList()`)
 */
export function faultsPanel({ act, dom: { button, el } }, bugs) {
  const dials = [];
  const dial = (label, min, max, value, unit, apply) => {
    const input = el('input', { type: 'range', min: String(min), max: String(max), step: '1', value: String(value), 'aria-label': label });
    const out = el('output', { text: `${value}${unit}` });
    const set = (v) => {
      input.value = String(v);
      out.textContent = `${v}${unit}`;
    };
    input.addEventListener('input', () => {
      out.textContent = `${input.value}${unit}`;
      act((s) => apply(s, Number(input.value)));
    });
    dials.push({ input, set });
    return el('label', { class: 'cp-dial' }, el('span', { text: label }), input, out);
  };
  const latency = () => {
    const [lo, jitter] = dials.slice(2).map((d) => Number(d.input.value));
    return [lo, lo + jitter];
  };
  const boxes = bugs.map((b) => el('input', { type: 'checkbox', value: b.name }));
  for (const box of boxes) box.addEventListener('change', () => act((s) => s.setBugs(boxes.filter((x) => x.checked).map((x) => x.value))));
  return {
    children: [
      el('p', { class: 'cp-hint', text: 'Click the line between two nodes to cut or repair that link (by keyboard: a node’s Links).' }),
      el(
        'div',
        { class: 'cp-dials' },
        dial('Loss', 0, 50, 0, '%', (s, v) => s.setDropRate(v / 100)),
        dial('Duplication', 0, 50, 0, '%', (s, v) => s.setDuplicateRate(v / 100)),
        dial('Latency', 1, 100, 10, ' ms', (s) => s.setLatency(latency())),
        dial('Jitter', 0, 100, 5, ' ms', (s) => s.setLatency(latency())),
      ),
      button('Heal network', 'Repair every link', () => act((s) => s.heal())),
      el(
        'fieldset',
        { class: 'cp-bugs' },
        el('legend', { text: 'Break the protocol' }),
        ...bugs.map((b, k) => el('label', { class: 'cp-bug' }, boxes[k], el('span', {}, el('code', { text: b.name }), ` — ${b.breaks}`))),
      ),
    ],
    /** Puts the dials and bug switches back to what simulation `sim` has. */
    sync(sim) {
      const net = sim.network();
      const [loss, dup, lat, jit] = dials;
      loss.set(Math.round(net.dropRate * 100));
      dup.set(Math.round(net.duplicateRate * 100));
      lat.set(net.latencyMs[0]);
      jit.set(net.latencyMs[1] - net.latencyMs[0]);
      const on = new Set(sim.config.bugs);
      for (const b of boxes) b.checked = on.has(b.value);
    },
  };
}
