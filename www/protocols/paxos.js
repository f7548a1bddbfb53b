// Multi-Paxos's part of <consensus-playground protocol="paxos"> (the contract:
// www/stage/contract.js): its wasm core, its message kinds (Lamport, "Paxos Made Simple", 2001:
// phase 1 Prepare/Promise, phase 2 Accept/Accepted, and what a stable leader adds: Heartbeat,
// Commit, CatchUp, Forward) and their shapes and sentences, the legend, what a node shows
// (state, the round of the ballot it follows, its timer), its node actions, and the Slots panel:
// per acceptor, its promised ballot and the (ballot, value) it accepted in each slot. Every step
// happens in the wasm core; this module draws and forwards clicks. Apart from its wasm glue it
// imports nothing: what it needs comes from the stage (cx).
import init, { Simulation } from '../pkg/consensus_playground.js';

export const name = 'paxos';

// The wasm core. In www/dist/ the build swaps in a build hosting Paxos alone (pkg/paxos_bg.wasm).
export { Simulation };
export const load = () => init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });

// Its own styles (message kinds Raft lacks, the Slots panel), in protocols/paxos.css: a Raft
// widget never fetches them.
const CSS = 'protocols/paxos.css';

export const legend = [
  ['follower', 'follower'],
  ['candidate', 'candidate'],
  ['leader', 'leader'],
  ['crashed', 'crashed'],
  ['rv', 'Prepare'],
  ['ok', 'Promise / Accepted'],
  ['no', 'Nack'],
  ['ae', 'Accept'],
  ['px-commit', 'Commit'],
  ['hb', 'Heartbeat'],
  ['px-cu', 'CatchUp'],
  ['px-fw', 'Forward'],
];

/** The Simulation options this mechanism reads from the element's attributes. */
export function options(attr) {
  const opts = {};
  for (const [a, key] of [['heartbeat-ms', 'heartbeatMs'], ['leader-timeout-ms', 'leaderTimeoutMs'], ['backoff-ms', 'backoffMs']]) {
    if (attr(a) !== null) opts[key] = Number(attr(a));
  }
  if (attr('backoff') !== null) opts.backoff = attr('backoff') !== 'off';
  return opts;
}

/** The k-th value decided (the event cp-commit): slot k (executed in order), and its value while a learner's view holds it. */
export function commit(nodes, k) {
  for (const n of nodes) for (const c of n.chosen) if (c.slot === k) return { slot: k, value: c.value };
  return { slot: k };
}

export const hint = 'Click a node (or focus it and press Enter) to have it try to lead with a new ballot, send it a client command to propose, or crash it. Click a message in flight to drop it.';
export const routine = ['Show heartbeats', 'Heartbeats and replies that change nothing'];

/** A ballot `{round, nodeId}` as "3.n2" ("Paxos Made Simple" §2.2: a proposal number); round 0 is none. */
export const ballot = (b) => (b && b.round ? `${b.round}.${b.nodeId}` : '—');

/** A value: a client's command, a key-value operation, or a no-op (null); `short` for a cell. */
export function valueText(v, short) {
  if (v === null || v === undefined) return 'no-op';
  if (typeof v === 'string') return v;
  if (v.op === 'put') return short ? `${v.key}=${v.value}` : `put ${v.key}=${v.value}`;
  if (v.op === 'cas') return short ? `${v.key}:${v.from}→${v.to}` : `cas ${v.key} ${v.from}→${v.to}`;
  if (v.op === 'increment' && short) return `${v.key}++`;
  if (v.op) return `${v.op} ${v.key}`;
  return JSON.stringify(v);
}

const slots = (list) => list.map((a) => `slot ${a.slot}: (${ballot(a.ballot)}, ${valueText(a.value)})`).join('; ');

export function describeMessage(m) {
  const head = `${m.kind} from ${m.from} to ${m.to}`;
  switch (m.kind) {
    case 'Prepare':
      return `${head}: ballot ${ballot(m.ballot)}; promise to accept nothing lower, and report what you accepted (phase 1a)`;
    case 'Promise':
      return `${head}: promises ballot ${ballot(m.ballot)} (phase 1b); ${m.accepted?.length ? `accepted ${slots(m.accepted)}` : 'nothing accepted'}`;
    case 'Accept':
      return `${head}: ballot ${ballot(m.ballot)}, slot ${m.slot}, value ${valueText(m.value)} (phase 2a)`;
    case 'Accepted':
      return `${head}: accepted (${ballot(m.ballot)}, ${valueText(m.value)}) in slot ${m.slot} (phase 2b)`;
    case 'Nack':
      return `${head}: refuses ballot ${ballot(m.ballot)}, it promised ${ballot(m.promised)}`;
    case 'Heartbeat':
      return `${head}: leader of ballot ${ballot(m.ballot)}, slots up to ${m.chosenThrough} chosen`;
    case 'Commit':
      return `${head}: slot ${m.slot} chose ${valueText(m.value)} (ballot ${ballot(m.ballot)})`;
    case 'CatchUp':
      return `${head}: send me the values chosen from slot ${m.next} on`;
    default:
      return `${head}: a client's command ${valueText(m.value)}, for the leader to propose`;
  }
}

// Phase 1 is circles, phase 2 squares (as Raft's votes and appends), a Commit a diamond.
const CIRCLE = ['circle', { r: 8 }];
const SQUARE = ['rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 }];

export function messageShape(m) {
  switch (m.kind) {
    case 'Prepare':
      return { cls: 'cp-rv', shape: CIRCLE, glyph: String(m.ballot.round) };
    case 'Promise':
      return { cls: 'cp-ok', shape: CIRCLE, glyph: '✓' };
    case 'Nack':
      return { cls: 'cp-no', shape: CIRCLE, glyph: '✗' };
    case 'Accept':
      return { cls: m.slot > 99 ? 'cp-ae cp-px-long' : 'cp-ae', shape: SQUARE, glyph: String(m.slot) };
    case 'Accepted':
      return { cls: 'cp-ok', shape: SQUARE, glyph: '✓' };
    case 'Heartbeat':
      return { cls: 'cp-hb', shape: SQUARE };
    case 'Commit':
      return { cls: m.slot > 99 ? 'cp-px-commit cp-px-long' : 'cp-px-commit', shape: ['rect', { x: -7, y: -7, width: 14, height: 14, transform: 'rotate(45)' }], glyph: String(m.slot) };
    case 'CatchUp':
      return { cls: 'cp-px-cu', shape: ['circle', { r: 7 }], glyph: '?' };
    default:
      return { cls: 'cp-px-fw', shape: ['rect', { x: -9, y: -6, width: 18, height: 12, rx: 6 }], glyph: '→' };
  }
}

export function nodeLabel(n, nodes) {
  const state = n.crashed ? 'crashed' : n.state;
  // The big number: the round of the ballot it follows (its promise; its own ballot when it
  // leads), whose proposer shows under the node.
  const p = n.promised;
  let sub = p.round && !n.crashed ? `${state} · ${p.nodeId}` : state;
  if (state === 'candidate') sub = `candidate ${n.promises.length}/${nodes.length}`;
  if (n.paused) sub = `paused ${n.state}`;
  return {
    state,
    number: String(p.round),
    sub,
    label: `${n.id}: ${state}${n.paused ? ' (paused)' : ''}, promised ballot ${ballot(p)}`,
    data: { ballot: ballot(n.ballot), promised: ballot(p), timer: n.timer ?? 'none' },
    // The leader's heartbeat timer would spin; shown: a follower's wait for the leader and a
    // would-be leader's backoff.
    timer: n.crashed || !n.timer || n.timer === 'heartbeat' ? null : [n.timerStart, n.timerDeadline],
  };
}

// To the leader; while there is none, to a running node, which keeps it until one leads.
const anyNode = (sim) => sim.leader() ?? sim.nodes().find((n) => !n.crashed && !n.paused)?.id;
export const toolbar = [{ slot: 'clients', text: 'Client request', title: 'A client sends a command to the leader, which proposes it in the next slot (while none leads, a node keeps it)', run: (cx) => cx.clientRequest(anyNode(cx.sim)) }];

export function nodeActions(n, cx, common) {
  const id = n.id;
  const live = !n.crashed && !n.paused;
  return [
    live && { text: 'Try to lead', title: 'Run phase 1 now with a new, higher ballot: Prepare to every acceptor (§2.2)', run: () => cx.act((s) => s.startElection(id)) },
    n.crashed ? common.crash : { ...common.crash, title: 'Stop it; its promise and accepted proposals survive (§2.5)' },
    !n.crashed && { text: 'Propose', title: 'A client sends a command to this node: a leader proposes it in its next slot, another node forwards it', run: () => cx.clientRequest(id) },
    common.pause,
    common.isolate,
  ];
}

/** Slot numbers as ranges: "1–4, 6". */
const ranges = (list) => {
  const out = [];
  for (const s of list) {
    const last = out[out.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');
};

export function nodeDetails(n) {
  const rows = [
    ['state', n.crashed ? `crashed (was ${n.state})` : n.state],
    ['ballot', n.ballot.round ? ballot(n.ballot) : 'none yet'],
    ['promised', ballot(n.promised)],
    ['accepted', n.accepted.length ? `slots ${ranges(n.accepted.map((a) => a.slot))}` : 'none'],
    ['chosen', n.chosen.length ? `slots ${ranges(n.chosen.map((c) => c.slot))}` : 'none known'],
    ['executed', n.executed ? `slots 1–${n.executed}` : 'none'],
    ['leader', n.leaderId ?? 'unknown'],
  ];
  if (n.state === 'candidate' && !n.crashed) rows.push(['promises', n.promises.join(' ')]);
  if (n.queued) rows.push(['queued', `${n.queued} command${n.queued > 1 ? 's' : ''}`]);
  const store = Object.entries(n.kv);
  if (store.length) rows.push(['store', store.map(([k, v]) => `${k}=${v}`).join('  ')]);
  return rows;
}

/** A ballot's colour: one hue per round, as Raft's entries per term. */
const roundColor = (round) => `hsl(${(round * 67 + 200) % 360} 70% 86%)`;

const COLS = 24; // slots shown: the latest (the grid scrolls; the newest stay in view)

/**
 * The Slots panel: one grid aligned by slot, a row per acceptor (the leader marked) under its
 * promised ballot, a column per slot; a cell is what the acceptor accepted there, (ballot,
 * value), solid once this node knows the slot chosen, a bar after the slots it executed; a
 * no-op (grey) is a gap a new leader filled (§3); the slot a violation names is highlighted.
 */
export function panel(cx) {
  const { el } = cx.dom;
  cx.stylesheet(CSS);
  const head = el('tr');
  const body = el('tbody');
  const empty = el('p', { class: 'cp-hint', text: 'No slot holds a value yet: send a client request.' });
  const scroll = el('div', { class: 'cp-grid-scroll' }, el('table', { class: 'cp-grid' }, el('thead', {}, head), body), empty);
  const root = el(
    'section',
    { class: 'cp-panel cp-slots', 'aria-label': 'Slots' },
    el('h3', { text: 'Slots' }, el('span', { class: 'cp-hint', text: ' (a row per acceptor, under its promised ballot; per slot the value it accepted over its ballot, 2.n3 = round 2 of n3; solid = chosen, as it knows; bar = executed; dotted = a gap, no-op = a gap a new leader filled)' })),
    scroll,
  );
  let sig = '';
  let shown; // the slot a violation names, scrolled to
  return {
    root,
    layout() {
      sig = '';
      head.replaceChildren();
      body.replaceChildren();
    },
    update(nodes, violations = []) {
      const bad = violations.find((v) => v.index)?.index;
      // What the grid shows: the latest slots only (a long run has thousands).
      const s = JSON.stringify([bad, nodes.map((n) => [n.state, n.crashed, n.promised, n.accepted.slice(-COLS), n.chosen.length, n.chosen.at(-1)?.slot, n.executed])]);
      if (s === sig) return;
      sig = s;
      let last = 0;
      for (const n of nodes) last = Math.max(last, n.accepted.at(-1)?.slot ?? 0, n.chosen.at(-1)?.slot ?? 0);
      empty.hidden = last > 0;
      const first = Math.max(1, Math.min(last - COLS + 1, bad ?? last), last - 4 * COLS);
      const cols = [];
      for (let k = first; k <= last; k++) cols.push(k);
      head.replaceChildren(
        el('th', { scope: 'col', text: 'slot', title: 'Per acceptor: the highest ballot it promised; it accepts nothing lower (§2.2)' }),
        ...(first > 1 ? [el('th', { scope: 'col', text: '…', title: `Slots 1–${first - 1} are left out` })] : []),
        ...cols.map((k) => el('th', { scope: 'col', text: String(k), 'data-col': String(k), title: `slot ${k}`, ...(k === bad ? { class: 'cp-bad' } : {}) })),
      );
      body.replaceChildren(...nodes.map((n) => row(el, n, cols, first, bad)));
      // The newest stay in view by CSS (the box scrolls from its right end); the column a
      // violation names is scrolled to when it appears.
      const th = bad !== shown && head.querySelector('.cp-bad');
      if (th) scroll.scrollLeft += th.getBoundingClientRect().left - scroll.getBoundingClientRect().left - 60;
      shown = bad;
    },
  };
}

function row(el, n, cols, first, bad) {
  const accepted = new Map(n.accepted.map((a) => [a.slot, a]));
  const chosen = new Map(n.chosen.map((c) => [c.slot, c.value]));
  const lead = n.state === 'leader' && !n.crashed;
  const top = Math.max(n.accepted.at(-1)?.slot ?? 0, n.chosen.at(-1)?.slot ?? 0);
  const cells = cols.map((k) => {
    const a = accepted.get(k);
    const isChosen = chosen.has(k);
    const mark = { ...(k === n.executed ? { 'data-commit-index': '' } : {}), ...(k === bad ? { class: 'cp-bad' } : {}) };
    // A gap: nothing here while a later slot holds a value; a new leader fills it (§3).
    if (!a && !isChosen) return k < top ? el('td', { 'data-slot': String(k), 'data-gap': '', title: `${n.id}, slot ${k}: a gap (a new leader fills it: a reported value, else a no-op, §3)`, ...mark }) : el('td', { 'data-slot': String(k), ...mark });
    // What it knows chosen wins over what it accepted (an older ballot's value, never chosen).
    const value = isChosen ? chosen.get(k) : a.value;
    const b = a ? ballot(a.ballot) : '—';
    const text = valueText(value);
    const td = el(
      'td',
      {
        'data-slot': String(k),
        'data-chosen': String(isChosen),
        'data-ballot': b,
        'data-value': text,
        ...mark,
        class: `cp-slot${value === null ? ' cp-noop' : ''}${k === bad ? ' cp-bad' : ''}`,
        title: `${n.id}, slot ${k}: ${a ? `accepted (${b}, ${valueText(a.value)})` : 'nothing accepted'}${isChosen ? `; chosen: ${text}` : '; not known chosen'}${value === null ? ' (a gap a new leader filled, §3)' : ''}${k <= n.executed ? ', executed' : ''}`,
      },
      el('span', { class: 'cp-slot-v', text: valueText(value, true) }),
      el('span', { class: 'cp-slot-b', text: b }),
    );
    if (a && value !== null) td.style.background = roundColor(a.ballot.round);
    return td;
  });
  return el(
    'tr',
    { 'data-slots-of': n.id, class: `${lead ? 'cp-leader-row' : ''}${n.crashed ? ' cp-crashed' : ''}` },
    el('th', { scope: 'row', 'data-promised': ballot(n.promised), title: `${n.id}${lead ? ', the leader,' : ''} promised ${ballot(n.promised)}` }, n.id, el('small', { text: lead ? `leader ${ballot(n.promised)}` : ballot(n.promised) })),
    ...(first > 1 ? [el('td', {})] : []),
    ...cells,
  );
}
