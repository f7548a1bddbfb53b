// Gossip's Collective validation section (issue #13 §6), the part of www/protocols/gossip.js
// that only widgets with attestations on need: fetched (its own chunk) when a run starts with the
// `attestations` attribute set. The controls k, accuracy, liars, one Sybil, only members attest
// (each an attribute of the element: a change starts a new run), Publish a true or a false claim;
// the honest agents' tally on the latest claim (the core's tally); a key to the agents' colours;
// the chart of what the core measures for each k at these settings, run in the gossip worker.
// It imports nothing: the stage's helpers come in cx, gossip's in `lib`.

/** Per element: the worker that runs the chart's runs, and the latest sweep asked for. */
const sweepers = new WeakMap();

// The chart (viewBox units): two panels, one above the other, of four horizontal bars (k = 1,
// 3, 5, 9), so it stays legible in a narrow column.
const CW = 250, LBL = 34, BAR = 170, ROW = 18, PANEL = 24 + 4 * ROW;

/**
 * The section's body for widget state `w` (gossip.js's: traitors, claims, the panel's note);
 * `lib`: gossip.js's settings and helpers.
 */
export function attestBody(cx, w, lib) {
  const { KS, ACCURACIES, LIAR_SHARES, SWEEP_RUNS, GLYPHS, pct, num, pick, attestationsOf, attestationsText, options, claimText, legendShowsClaims, refocus, worker } = lib;
  const { el, svg, button } = cx.dom;
  const attr = (name) => cx.attr(name);
  const settings = () => attestationsOf(attr('attestations')) ?? {};
  const set = (name, value) => {
    refocus(name);
    cx.configure(name, value);
  };
  const setA = (change) => set('attestations', attestationsText({ ...settings(), ...change }));
  const select = (name, label, values, text, title, change) => {
    const s = el('select', { name, title, 'aria-label': label }, ...values.map((v) => el('option', { value: String(v), text: text(v) })));
    s.addEventListener('change', () => change(s.value));
    return [el('label', { class: 'cp-gs-field' }, el('span', { text: label }), s), s];
  };
  const check = (name, label, title, change) => {
    const c = el('input', { type: 'checkbox', name, title });
    c.addEventListener('change', () => change(c.checked));
    return [el('label', { class: 'cp-gs-check', title }, c, ` ${label}`), c];
  };
  const [kLabel, k] = select('k', 'Threshold k', KS, String, 'Agreeing attestations an agent needs to accept or reject a claim (a new run)', (v) => setA({ k: Number(v) }));
  const [accLabel, acc] = select('accuracy', 'Accuracy', ACCURACIES, pct, 'How often an honest agent’s own check of a claim is right (a new run)', (v) => setA({ accuracy: Number(v) }));
  const [liarsLabel, liars] = select('liars', 'Liars', LIAR_SHARES, pct, 'Agents that attest the opposite of the truth, chosen by a seeded shuffle (a new run)', (v) => set('liars', pct(Number(v))));
  const [sybilLabel, sybil] = check('sybil', 'One Sybil', 'One liar is a Sybil: it also attests under identities it mints (a new run)', (v) => set('sybil', v ? 'on' : 'off'));
  const [membersLabel, members] = check('members-only', 'Only members attest', 'Only the members’ attestations count, each signed by the member it names: minted identities do not (a new run)', (v) => setA({ membersOnly: v }));
  const summary = el('p', { class: 'cp-gs-claim' });
  const said = el('span', { class: 'cp-gs-sr', 'aria-live': 'polite' });
  const key = el(
    'p',
    { class: 'cp-gs-vkey', 'aria-hidden': 'true' },
    ...['undecided', 'accepted', 'rejected'].map((v, i) => el('span', {}, el('i', { class: `cp-gs-vswatch cp-gs-v-${v}`, text: GLYPHS[i] }), v)),
    el('span', {}, el('i', { class: 'cp-gs-vswatch cp-gs-v-traitor' }), 'liar or Sybil (horns on the ring)'),
  );
  const chart = svg('svg', { viewBox: `0 0 ${CW} ${2 * PANEL}`, class: 'cp-gs-chart', role: 'img', 'aria-label': 'Not computed yet' });
  const caption = el('figcaption', {});
  const figure = el('figure', { class: 'cp-gs-sweep', 'data-state': 'idle' }, chart, caption);
  const publishers = (truth) => {
    // A false claim: published by a liar when there is one (the Sybil first); a true one: by an
    // honest agent (a seeded pick).
    const bad = w.traitors.map(([id]) => id);
    if (!truth && bad.length) return bad[0];
    const honest = [...Array(w.n ?? 0).keys()].map((i) => `n${i + 1}`).filter((id) => !bad.includes(id));
    return pick(honest, 1, (w.seed * 31 + w.claims) >>> 0)[0];
  };
  const publish = (truth) => () => {
    const id = `c${++w.claims}`;
    const at = publishers(truth);
    if (w.scene) return w.scene.publish(id, truth, at);
    cx.act((sim) => section.published({ ...sim.publishClaim(id, truth, at), id, truth, t: sim.now }));
  };
  const body = el(
    'div',
    {},
    el('div', { class: 'cp-gs-fields' }, kLabel, accLabel, liarsLabel),
    el('div', { class: 'cp-gs-row' }, sybilLabel, membersLabel),
    el(
      'div',
      { class: 'cp-gs-row' },
      button('Publish a true claim', 'An honest agent publishes a claim that is true, and attests it', publish(true)),
      button('Publish a false claim', 'A liar (the Sybil, if there is one; else an honest agent) publishes a claim that is false, and attests it', publish(false)),
    ),
    summary,
    key,
    figure,
  );
  const root = el('div', {}, body, said);
  let announced = '';

  /** The chart: the mean over SWEEP_RUNS runs per k, from the worker. */
  function draw(results, n) {
    const byK = KS.map((kk) => {
      const rs = results.filter((r) => r.k === kk);
      const wrong = rs.reduce((t, r) => t + r.tally.accepted / Math.max(1, r.honest), 0) / rs.length;
      const decided = rs.filter((r) => r.ms !== null);
      const ms = decided.length ? decided.reduce((t, r) => t + r.ms, 0) / decided.length : null;
      return { k: kk, wrong, ms, open: rs.length - decided.length };
    });
    const now = settings().k ?? 3;
    const top = Math.max(100, ...byK.map((b) => b.ms ?? 0));
    const parts = [];
    const text = (x, y, t, attrs = {}) => {
      const e = svg('text', { x, y, ...attrs });
      e.textContent = t;
      parts.push(e);
    };
    [['Honest agents that accepted the false claim', 0], ['Time until all decided, ms', PANEL]].forEach(([title, y0], p) => {
      text(0, y0 + 12, title, { class: 'cp-gs-ctitle' });
      parts.push(svg('line', { x1: LBL, x2: LBL, y1: y0 + 18, y2: y0 + 20 + 4 * ROW, class: 'cp-gs-base' }));
      byK.forEach((b, i) => {
        const y = y0 + 20 + i * ROW;
        const f = p ? (b.ms ?? 0) / top : b.wrong;
        const g = svg('g', { class: `cp-gs-bar${b.k === now ? ' cp-gs-now' : ''}`, 'data-k': b.k, [p ? 'data-ms' : 'data-wrong']: p ? String(b.ms === null ? '' : Math.round(b.ms)) : b.wrong.toFixed(3) });
        g.append(svg('rect', { x: LBL, y, width: Math.max(f * BAR, 0.5), height: ROW - 5 }));
        parts.push(g);
        text(LBL - 4, y + ROW - 8, `k = ${b.k}`, { 'text-anchor': 'end', class: b.k === now ? 'cp-gs-cnow' : '' });
        text(LBL + f * BAR + 4, y + ROW - 8, p ? (b.ms === null ? 'never' : `${Math.round(b.ms)}${b.open ? '*' : ''}`) : pct(b.wrong), { class: 'cp-gs-cval' });
      });
    });
    chart.replaceChildren(...parts);
    chart.setAttribute('aria-label', `For k = 1, 3, 5 and 9: ${byK.map((b) => `k = ${b.k}: ${pct(b.wrong)} of honest agents accepted the false claim, ${b.ms === null ? 'never all decided' : `all decided after ${Math.round(b.ms)} ms`}`).join('; ')}`);
    const t = w.traitors;
    const a = settings();
    caption.textContent = `Mean of ${SWEEP_RUNS} runs per k (seeds ${w.seed}–${w.seed + SWEEP_RUNS - 1}), each run by the simulator: ${n} agents, ${t.filter(([, b]) => b === 'lie').length} liars${t.some(([, b]) => b === 'sybil') ? ' and one Sybil' : ''}, accuracy ${pct(a.accuracy ?? 0.95)}${a.membersOnly ? ', only members attest' : ''}; a false claim published by ${t.length ? 'a liar' : 'an honest agent'}.${byK.some((b) => b.open) ? ' *: some runs left agents undecided after 10 s.' : ''}`;
    figure.dataset.state = 'done';
  }

  /** Asks the worker for the chart's runs at the current settings. */
  function sweep(host, options) {
    let s = sweepers.get(host);
    if (!s) {
      s = { worker: worker(), run: 0 };
      sweepers.set(host, s);
      s.worker.onmessage = ({ data: m }) => {
        if (m.run !== s.run) return;
        if (m.type === 'swept') s.done?.(m.results);
        else if (m.type === 'error') s.failed?.(m.message);
      };
    }
    const run = ++s.run;
    const at = w.traitors[0]?.[0] ?? null;
    s.done = (results) => run === s.run && draw(results, options.nodes);
    s.failed = (message) => {
      caption.textContent = `The chart’s runs failed: ${message}`;
      figure.dataset.state = 'failed';
    };
    figure.dataset.state = 'running';
    caption.textContent = `Running the simulator ${SWEEP_RUNS} times for each k = 1, 3, 5, 9…`;
    const runs = KS.flatMap((kk) => [...Array(SWEEP_RUNS).keys()].map((j) => ({ k: kk, truth: false, at, options: { ...options, seed: w.seed + j, attestations: { ...options.attestations, k: kk } } })));
    s.worker.postMessage({ type: 'sweep', run, runs });
  }

  const section = {
    root,
    /** A new run: the controls show its settings; the chart is run again. */
    layout(n, host) {
      const a = attestationsOf(attr('attestations'));
      if (!a) return;
      announced = said.textContent = '';
      summary.replaceChildren();
      for (const d of ['claim', 'truth', 'honest', 'accepted', 'rejected', 'undecided', 'decidedMs', 'wrong']) delete summary.dataset[d];
      // The dense view has its own key under the grid.
      key.hidden = !!w.scene;
      k.value = String(a.k ?? 3);
      if (![...k.options].some((o) => o.selected)) k.append(el('option', { value: k.value, text: k.value, selected: '' }));
      acc.value = String(a.accuracy ?? 0.95);
      if (![...acc.options].some((o) => o.selected)) acc.append(el('option', { value: acc.value, text: pct(a.accuracy), selected: '' }));
      const share = n ? w.traitors.filter(([, b]) => b === 'lie').length / n : 0;
      liars.value = String(LIAR_SHARES.reduce((best, f) => (Math.abs(f - share) < Math.abs(best - share) ? f : best), 0));
      sybil.checked = w.traitors.some(([, b]) => b === 'sybil');
      members.checked = !!a.membersOnly;
      summary.textContent = `${w.traitors.length ? `Traitors: ${w.traitors.map(([id, b]) => `${id} (${b === 'sybil' ? `Sybil, ${a.sybils ?? 10} minted identities` : 'liar'})`).join(', ')}. ` : 'No liars. '}Publish a claim and watch the agents decide.`;
      if (host) sweep(host, { protocol: 'gossip', ...options(attr), nodes: n, synchronous: !!w.scene });
    },
    /** publishClaim's answer (in either view). */
    published(r) {
      if (r.accepted === false) return w.panel?.note(`The claim was refused: ${r.reason}.`);
      w.panel?.note('');
      const t = w.traitors.find(([id]) => id === r.at);
      w.claim = { id: r.id, truth: r.truth, t: r.t, at: r.at, by: t ? (t[1] === 'sybil' ? 'the Sybil' : 'a liar') : 'an honest agent' };
      legendShowsClaims(root.closest('consensus-playground'), true);
      announced = said.textContent = '';
    },
    /** The core's tally of the latest claim, `now` the simulated time. */
    show(tally, now) {
      const c = w.claim;
      if (!c) return;
      const { accepted: a, rejected: r, undecided: u } = tally;
      const honest = a + r + u;
      const settled = u === 0 && honest > 0;
      // (a claim found in the stores, not published by the page, has no publish time: c.t null)
      const decided = settled && c.t !== null ? Math.max(0, tally.lastAtMs - c.t) : null;
      const wrong = (c.truth ? r : a) / Math.max(1, honest);
      Object.assign(summary.dataset, { claim: c.id, truth: String(c.truth), honest: String(honest), accepted: String(a), rejected: String(r), undecided: String(u), decidedMs: decided === null ? '' : String(Math.round(decided)), wrong: wrong.toFixed(3) });
      const head = `${num(honest)} honest agents: ${num(a)} accepted the ${c.truth ? 'true' : 'false'} claim, ${num(r)} rejected it, ${num(u)} undecided`;
      const by = decided === null ? '' : ` by ${Math.round(decided)} ms`;
      const since = c.t === null ? '' : ` — ${Math.round(now - c.t)} ms since it was published`;
      summary.replaceChildren(el('b', { text: head }), settled ? ` — decided${by}` : since, el('br'), `${claimText(c)}, published by ${c.at} (${c.by}).`);
      const all = settled ? `${head}, decided${by}.` : '';
      if (all !== announced) said.textContent = announced = all;
    },
  };
  return section;
}

