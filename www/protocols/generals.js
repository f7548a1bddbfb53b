// The Byzantine Generals' part of <consensus-playground protocol="generals"> (the contract:
// www/stage/contract.js): Lamport, Shostak & Pease, "The Byzantine Generals Problem" (ACM TOPLAS
// 1982), the oral-messages algorithm OM(m) in synchronous rounds. Its wasm core, its one message
// kind (Order: "path[0] said attack/retreat", relayed along path) with a shape per order, the
// legend, what a general shows (commander or lieutenant, the round, its decision or its
// treachery), its node actions (the commander's Order attack / Order retreat), and the Generals
// panel: the latest run's order, per lieutenant the values it received (from the commander and
// as relayed by each peer), their majority and its decision, the paper's IC1 and IC2 as checks,
// and the messages the run took beside OM(m)'s closed form. Every step happens in the wasm
// core; this module draws and forwards clicks. Apart from its wasm glue it imports nothing: what
// it needs comes from the stage (cx).
import init, { Simulation } from '../pkg/consensus_playground.js';

export const name = 'generals';
// Its nodes can be made traitors (the stage's traitor select in the node actions).
export const traitors = true;

// The wasm core. In www/dist/ the build swaps in a build hosting the generals alone (pkg/generals_bg.wasm).
export { Simulation };
export const load = () => init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });

const CSS = 'protocols/generals.css';

// The paper's interactive consistency conditions (§1), word for word.
const IC1 = 'All loyal lieutenants obey the same order';
const IC2 = 'If the commanding general is loyal, then every loyal lieutenant obeys the order he sends';

export const legend = [
  ['gn-commander', 'commander'],
  ['gn-lieutenant', 'lieutenant'],
  ['crashed', 'crashed'],
  ['gn-attack', 'Order: attack'],
  ['gn-retreat', 'Order: retreat'],
];

/**
 * The Simulation options this mechanism reads from the element's attributes: commander (a
 * general's id, n1 by default), m (OM(m)'s m, 0 to N − 2; by default ⌊(N − 1)/3⌋), round-ms (a
 * round's length), first-order (attack, retreat, or none: no run until the commander is told).
 */
export function options(attr) {
  const opts = {};
  if (attr('commander') !== null) opts.commander = attr('commander');
  if (attr('m') !== null && attr('m') !== '') opts.m = Number(attr('m'));
  if (attr('round-ms') !== null) opts.roundMs = Number(attr('round-ms'));
  const first = attr('first-order');
  if (first !== null) opts.firstOrder = first === 'none' ? null : first;
  return opts;
}

export const hint = 'Click the commander (or focus it and press Enter) to give an order — attack or retreat — or any general to crash, pause or isolate it. The Generals panel shows what each lieutenant heard, its majority and whether the loyal ones agree. Click a message in flight to drop it.';
export const routine = ['Show routine events', 'Events that change nothing'];

/** A traitor's behaviour as a word: the byzantine field is a name or `{behaviour, to}`. */
const treachery = (b) => (b ? (typeof b === 'string' ? b : b.behaviour) : null);

export function describeMessage(m) {
  const p = m.path ?? [];
  const relayed = p.length > 1;
  const forged = p.length && p[p.length - 1] !== m.from ? `; forged: the chain ends in ${p[p.length - 1]}, not in its sender` : '';
  if (!relayed) return `${m.from} tells ${m.to}: ${m.order}${m.from === p[0] ? ' (the commander’s order)' : ` (claims to be ${p[0]}’s order)`}, run ${m.run}${forged}`;
  return `${m.from} tells ${m.to}: ${p[0]} said ${m.order} (relayed ${p.join('→')}), run ${m.run}${forged}`;
}

// Attack: a triangle pointing ahead; retreat: a square. A relayed order is outlined, the
// commander's own solid.
const TRIANGLE = ['polygon', { points: '0,-9 8.5,6 -8.5,6' }];
const SQUARE = ['rect', { x: -7, y: -7, width: 14, height: 14, rx: 2 }];

export function messageShape(m) {
  const relayed = (m.path?.length ?? 1) > 1 ? ' cp-gn-relay' : '';
  return m.order === 'attack' ? { cls: `cp-gn-attack${relayed}`, shape: TRIANGLE, glyph: 'A' } : { cls: `cp-gn-retreat${relayed}`, shape: SQUARE, glyph: 'R' };
}

/**
 * The generals that are or were traitors in simulation `sim`: the checker holds a general that
 * once turned traitor faulty from then on, and so does the panel. Read from the node views and,
 * for one that turned and turned back between two frames, from the event log.
 */
const everTraitors = new WeakMap(); // sim → {seq, ids}
function traitorsOf(sim, nodes) {
  let t = everTraitors.get(sim);
  if (!t) everTraitors.set(sim, (t = { seq: 0, ids: new Set() }));
  const events = sim.eventsSince(t.seq);
  if (events.length) t.seq = events[events.length - 1].seq;
  for (const e of events) if (e.kind === 'byzantine' && e.node && / turns traitor/.test(e.text)) t.ids.add(e.node);
  for (const n of nodes) if (n.byzantine) t.ids.add(n.id);
  return t.ids;
}

/** A general's latest run in its view (or undefined). */
const latest = (n) => n.runs[n.runs.length - 1];

export function nodeLabel(n) {
  const state = n.crashed ? 'crashed' : n.state;
  const traitor = treachery(n.byzantine);
  const r = latest(n);
  let sub;
  if (n.state === 'commander') sub = r?.order ? `orders ${r.order}` : 'commander';
  else sub = r?.decision ?? (r?.received.length ? `heard ${r.received.length}` : 'lieutenant');
  if (traitor) sub = `traitor: ${traitor}`;
  if (n.paused) sub = `paused ${n.state}`;
  if (n.crashed) sub = 'crashed';
  return {
    state,
    number: String(n.round),
    sub,
    label: `${n.id}: ${state}${n.paused ? ' (paused)' : ''}, round ${n.round}${r ? `, run ${r.run}: ${n.state === 'commander' ? `ordered ${r.order ?? 'nothing'}` : (r.decision ?? 'undecided')}` : ''}`,
    data: { round: n.round, decision: (n.state === 'lieutenant' && r?.decision) || 'none' },
    timer: n.crashed || n.timer === null || n.timer === undefined ? null : [n.timerStart, n.timerDeadline],
  };
}

const order = (cx, o) => cx.act((s) => s.startRun(o));

export const toolbar = [
  { slot: 'clients', text: 'Order attack', title: 'The commander starts a run at the next round: he sends attack to every lieutenant, who relay it for m rounds and take the majority', run: (cx) => order(cx, 'attack') },
  { slot: 'clients', text: 'Order retreat', title: 'The commander starts a run at the next round with the order retreat', run: (cx) => order(cx, 'retreat') },
];

export function nodeActions(n, cx, common) {
  const live = !n.crashed && !n.paused;
  const commander = n.state === 'commander';
  return [
    commander && live && { text: 'Order attack', title: 'Start a run at the next round: attack (a traitorous commander sends what his behaviour makes of it)', run: () => order(cx, 'attack') },
    commander && live && { text: 'Order retreat', title: 'Start a run at the next round: retreat', run: () => order(cx, 'retreat') },
    n.crashed ? common.crash : { ...common.crash, title: commander ? 'Stop him: his lieutenants hear nothing and take the default, retreat (A3)' : 'Stop it: its peers miss its relays and take the default, retreat (A3)' },
    common.pause,
    common.isolate,
  ];
}

export function nodeDetails(n) {
  const r = latest(n);
  const rows = [
    ['state', n.crashed ? `crashed (was ${n.state})` : n.state],
    ['loyal', treachery(n.byzantine) ? `no: a traitor (${treachery(n.byzantine)})` : 'yes'],
    ['round', n.round],
    ['algorithm', `OM(${n.m})`],
  ];
  if (!r) {
    rows.push(['run', 'none yet']);
    return rows;
  }
  rows.push(['run', r.run]);
  if (n.state === 'commander') rows.push(['order', r.order ?? 'none']);
  else {
    rows.push(['heard', r.received.length ? r.received.map((x) => `${x.path.join('→')}: ${x.order}`).join('; ') : 'nothing yet']);
    rows.push(['decision', r.verdict ? `${r.decision} (attack ${r.verdict.attack} of ${r.verdict.votes})` : 'not yet']);
  }
  rows.push(['messages sent', r.messagesSent]);
  return rows;
}

/** OM(m)'s message count, (N−1) + (N−1)(N−2) + … (m + 1 terms): the terms in symbols and in numbers. */
function terms(N, m) {
  const sym = [];
  const num = [];
  for (let k = 0; k <= m; k++) {
    sym.push(Array.from({ length: k + 1 }, (_, j) => `(N−${j + 1})`).join(''));
    num.push(Array.from({ length: k + 1 }, (_, j) => N - 1 - j).join('·'));
  }
  return [sym.join(' + '), num.join(' + ')];
}

/**
 * The Generals panel: the latest run, as each lieutenant saw it (a row per lieutenant: the
 * value from the commander and the value each peer relayed, coloured by order; its majority and
 * decision), IC1 and IC2 as checks, the messages the run took against OM(m)'s closed form, and
 * a note on what N generals can cope with (the impossibility at N = 3, §2 Fig. 1–2).
 */
export function panel(cx) {
  const { el } = cx.dom;
  cx.stylesheet(CSS);
  const rule = el('p', { class: 'cp-hint cp-gn-rule' });
  const note = el('div', { class: 'cp-gn-note', role: 'note' });
  const head = el('p', { class: 'cp-gn-head' });
  const thead = el('tr');
  const tbody = el('tbody');
  // Focusable, so that a keyboard can scroll it when it is wider than the panel.
  const table = el('div', { class: 'cp-gn-scroll', tabindex: '0', role: 'group', 'aria-label': 'What each lieutenant heard' }, el('table', { class: 'cp-gn-table' }, el('thead', {}, thead), tbody));
  const deeper = el('p', { class: 'cp-hint', hidden: '' });
  const checks = el('ul', { class: 'cp-gn-checks' });
  const count = el('p', { class: 'cp-gn-count' });
  const root = el(
    'section',
    { class: 'cp-panel cp-generals', 'aria-label': 'Generals' },
    el('h3', { text: 'Generals' }),
    rule,
    note,
    head,
    table,
    deeper,
    checks,
    count,
  );
  let sig = '';
  let noteSig = '';

  const cell = (o, title, attrs = {}) => el('td', { class: o ? `cp-gn-v cp-gn-${o}` : 'cp-gn-v cp-gn-none', 'data-order': o ?? 'none', title, ...attrs, text: o ?? '·' });

  const check = (key, text, ok, why) =>
    el('li', { 'data-check': key, 'data-ok': ok === null ? 'pending' : String(ok), title: text }, el('span', { class: 'cp-gn-mark', text: ok === null ? '…' : ok ? '✓' : '✗' }), el('b', { text: `${key} ` }), el('span', { text: `${text}: ` }), el('span', { class: 'cp-gn-why', text: why }));

  function drawNote(cfg, N, m, nodes) {
    const s = JSON.stringify([N, m, cfg.commander, cfg.traitorsTolerated]);
    if (s === noteSig) return;
    noteSig = s;
    const c = cfg.commander;
    const [a, b] = nodes.map((n) => n.id).filter((id) => id !== c);
    const copes = N > 3 * m && m >= 1 && cfg.traitorsTolerated >= 1;
    root.dataset.copes = String(copes);
    note.dataset.case = copes ? 'copes' : N === 3 ? 'impossible3' : 'impossible';
    if (copes) {
      note.replaceChildren(el('p', { text: `N = ${N} generals cope with m = ${m} traitor${m === 1 ? '' : 's'} (N > 3m): OM(${m}) satisfies IC1 and IC2 while at most ${m} general${m === 1 ? ' is a traitor' : 's are traitors'} (Theorem 1, §3). Make one a traitor — the commander or a lieutenant — and the loyal lieutenants still agree.` }));
      return;
    }
    const tol = cfg.traitorsTolerated;
    const first =
      tol === 0
        ? `N = ${N} generals cannot cope with one traitor: no solution with fewer than 3m + 1 generals copes with m traitors (Lamport et al. §2). ${m === 0 ? 'Here OM(0) runs: no one relays, so a traitorous commander splits the lieutenants (IC1).' : `Here OM(${m}) runs, and N ≤ 3m (${N} ≤ ${3 * m}): Theorem 1 promises nothing.`}`
        : m === 0
          ? `OM(0) copes with no traitor: no one relays, so a traitorous commander splits the lieutenants. N = ${N} generals could cope with ${tol} with m = ${tol} (attribute m).`
          : `N ≤ 3m (${N} ≤ ${3 * m}): Theorem 1 promises nothing for OM(${m}) with ${m} traitors; N = ${N} generals cope with ${tol} (N > 3m).`;
    const parts = [el('p', { text: first })];
    if (N === 3 && a && b) {
      // The classic case (§2, Fig. 1 and 2): the loyal a's view is the same whichever of the two lies.
      const fig = (title, who) =>
        el(
          'figure',
          { class: 'cp-gn-fig' },
          el('figcaption', { text: title }),
          el(
            'table',
            { class: 'cp-gn-table cp-gn-mini' },
            el('thead', {}, el('tr', {}, el('td'), el('th', { text: `from ${c}` }), el('th', { text: `relayed by ${b}` }))),
            el('tbody', {}, el('tr', {}, el('th', { text: `${a} hears` }), cell('attack', `${c} tells ${a} attack`), cell('retreat', `${b} tells ${a}: ${c} said retreat`))),
          ),
          el('p', { class: 'cp-hint', text: who }),
        );
      parts.push(
        el('p', { text: `The classic case: ${a} hears “attack” from the commander ${c} and “the commander said retreat” from ${b}. It cannot tell whether the commander or ${b} lies (Lamport et al. §2, Fig. 1–2):` }),
        el(
          'div',
          { class: 'cp-gn-figs' },
          fig(`Fig. 1: ${b} is the traitor`, `${c} is loyal and ordered attack: IC2 says ${a} must attack.`),
          fig(`Fig. 2: ${c} is the traitor`, `${c} told ${b} retreat, and ${b} says so truly. ${b} must retreat (to it this looks like Fig. 1 with ${a} the traitor), so if ${a} attacks, IC1 fails.`),
        ),
        el('p', { class: 'cp-hint', text: `${m === 0 ? `With m = 0 (the default for N = 3) no one relays; the attribute m="1" adds the relay round shown here. ` : ''}Whatever ${a} does with the same view breaks IC1 or IC2 in one of the two.` }),
      );
    }
    note.replaceChildren(...parts);
  }

  return {
    root,
    layout() {
      sig = '';
      noteSig = '';
      tbody.replaceChildren();
      thead.replaceChildren();
    },
    update(nodes) {
      const sim = cx.sim;
      const cfg = sim.config;
      const N = nodes.length;
      const m = cfg.m;
      drawNote(cfg, N, m, nodes);
      // The latest run any general knows of.
      let run = null;
      for (const n of nodes) for (const r of n.runs) if (run === null || r.run > run) run = r.run;
      const d = run === null ? null : sim.decisions(run);
      const ever = traitorsOf(sim, nodes);
      const s = JSON.stringify([run, d, [...ever], nodes.map((n) => [n.state, n.crashed, n.paused, n.byzantine, n.runs.find((r) => r.run === run)])]);
      if (s === sig) return;
      sig = s;
      const c = nodes.find((n) => n.state === 'commander') ?? nodes.find((n) => n.id === cfg.commander);
      const lieutenants = nodes.filter((n) => n !== c);
      // OM(0) relays nothing: no relay columns.
      const relayers = m ? lieutenants : [];
      // A traitor's behaviour now, or 'was a traitor' for one that turned back.
      const traitorText = (n) => treachery(n?.byzantine) ?? (n && ever.has(n.id) ? 'was a traitor' : null);
      const cTraitor = traitorText(c);
      const tol = cfg.traitorsTolerated;
      rule.textContent = `OM(${m}) with N = ${N}: the commander ${c?.id} sends his order; ${m === 0 ? 'each lieutenant obeys what it received (no relays)' : `for ${m} round${m === 1 ? '' : 's'} every lieutenant relays what it heard to the others; then each takes the majority (ties and missing values: retreat)`}. ${tol ? `${N} generals cope with up to ${tol} traitor${tol === 1 ? '' : 's'} (N > 3m).` : `${N} generals cope with no traitor: one needs N ≥ 4 (N > 3m).`}`;
      root.dataset.run = run === null ? 'none' : String(run);
      deeper.hidden = m < 2;
      deeper.textContent = `With m = ${m}, a cell shows what the peer said the commander said; the majority counts instead what OM(${m - 1}) among the others made of it (deeper relays).`;
      if (run === null) {
        head.textContent = 'No run yet: the commander gives an order (Order attack, Order retreat).';
        thead.replaceChildren();
        tbody.replaceChildren();
        checks.replaceChildren();
        count.textContent = '';
        return;
      }
      const cRun = c?.runs.find((r) => r.run === run);
      head.replaceChildren(
        el('b', { text: `Run ${run}: ` }),
        `the commander ${c.id} `,
        cTraitor ? el('span', { class: 'cp-gn-traitor', text: `(${cTraitor === 'was a traitor' ? cTraitor : `a traitor: ${cTraitor}`}) ` }) : '',
        'orders ',
        cRun?.order ? el('span', { class: `cp-gn-tag cp-gn-${cRun.order}`, text: cRun.order }) : 'nothing',
      );
      // Columns: from the commander, then relayed by each lieutenant (the path commander → peer).
      thead.replaceChildren(
        el('th', { title: 'lieutenant' }, el('span', { class: 'cp-sr-only', text: 'lieutenant' })),
        el('th', { text: `from ${c.id}`, title: `What the commander ${c.id} told it` }),
        ...relayers.map((p) => el('th', { text: `relayed by ${p.id}`, title: `What ${p.id} told it the commander said (path ${c.id}→${p.id})` })),
        el('th', { text: 'decision (majority)', title: 'What it obeys: the majority of the values it counts (ties: retreat)' }),
      );
      tbody.replaceChildren(
        ...lieutenants.map((n) => {
          const r = n.runs.find((x) => x.run === run);
          const got = new Map((r?.received ?? []).map((x) => [x.path.join('>'), x.order]));
          const traitor = traitorText(n);
          const direct = got.get(c.id);
          const v = r?.verdict;
          return el(
            'tr',
            { 'data-lieutenant': n.id, 'data-decision': r?.decision ?? 'none', 'data-loyal': String(!traitor), class: n.crashed ? 'cp-crashed' : '' },
            el('th', {}, el('b', { text: n.id }), traitor ? el('span', { class: 'cp-gn-traitor', text: traitor === 'was a traitor' ? ` ${traitor}` : ` traitor: ${traitor}` }) : ''),
            cell(direct, `${n.id} heard from ${c.id}: ${direct ?? 'nothing yet'}`, { 'data-path': c.id }),
            ...relayers.map((p) => {
              if (p === n) return el('td', { class: 'cp-gn-self', text: '—' });
              const o = got.get(`${c.id}>${p.id}`);
              return cell(o, `${p.id} told ${n.id}: ${c.id} said ${o ?? '… (nothing yet)'}`, { 'data-path': `${c.id}>${p.id}` });
            }),
            el(
              'td',
              { class: r?.decision ? `cp-gn-v cp-gn-${r.decision} cp-gn-decision` : 'cp-gn-v cp-gn-none', title: v ? `Of the ${v.votes} values the majority counts, ${v.attack} say attack: ${v.order}` : 'Decided after the last round' },
              r?.decision ?? (n.crashed ? 'crashed' : '…'),
              el('span', { class: 'cp-gn-maj', text: v ? `attack ${v.attack} of ${v.votes}` : '' }),
            ),
          );
        }),
      );
      // IC1 and IC2 over the loyal lieutenants that decided.
      const loyal = lieutenants.filter((n) => !ever.has(n.id) && !n.crashed);
      const decided = loyal.map((n) => [n.id, d.decisions[n.id]]).filter(([, x]) => x);
      const waiting = decided.length < loyal.length;
      const kinds = [...new Set(decided.map(([, x]) => x))];
      const ic1 = kinds.length > 1 ? false : waiting ? null : true;
      const ic1Why =
        kinds.length > 1
          ? `they do not: ${decided.map(([id, x]) => `${id} ${x}`).join(', ')}`
          : waiting
            ? `${decided.length} of ${loyal.length} loyal lieutenants have decided`
            : loyal.length > 1
              ? `the loyal ${loyal.map((n) => n.id).join(', ')} all ${kinds[0]}`
              : loyal.length
                ? `${loyal[0].id}, the only loyal lieutenant, ${kinds[0] === 'attack' ? 'attacks' : 'retreats'}`
                : 'no loyal lieutenant';
      let ic2 = null;
      let ic2Why;
      if (cTraitor) {
        ic2 = true;
        ic2Why = `asks nothing here: the commander ${c.id} ${c.byzantine ? 'is a traitor' : 'was a traitor, and counts as one from then on'}`;
      } else {
        const wrong = decided.filter(([, x]) => x !== d.order);
        ic2 = wrong.length ? false : waiting ? null : true;
        ic2Why = wrong.length ? `${c.id} ordered ${d.order}, but ${wrong.map(([id, x]) => `${id} ${x === 'attack' ? 'attacks' : 'retreats'}`).join(', ')}` : waiting ? `${c.id} ordered ${d.order ?? 'nothing'}; waiting for the last round` : `${c.id} ordered ${d.order}, and every loyal lieutenant obeys`;
      }
      root.dataset.ic1 = ic1 === null ? 'pending' : String(ic1);
      root.dataset.ic2 = ic2 === null ? 'pending' : String(ic2);
      checks.replaceChildren(check('IC1', IC1, ic1, ic1Why), check('IC2', IC2, ic2, ic2Why));
      // Messages: what this run measured beside OM(m)'s closed form.
      const [sym, num] = terms(N, m);
      const form = `${sym} = ${num}`;
      const total = num === String(cfg.messagesPerRun) ? '' : ` = ${cfg.messagesPerRun}`;
      count.dataset.messages = String(d.messages);
      count.dataset.closedForm = String(cfg.messagesPerRun);
      count.replaceChildren(
        el('b', { text: `Messages this run: ${d.messages}` }),
        d.messages === cfg.messagesPerRun && !waiting
          ? ` = ${form}, as OM(${m}) sends: O(N^(m+1)), growing as ${N}^${m + 1}.`
          : `${waiting ? ' so far' : ''}; OM(${m}) sends ${form}${total} when every general sends: O(N^(m+1)).`,
      );
    },
  };
}
