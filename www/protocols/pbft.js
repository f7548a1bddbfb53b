// PBFT's part of <consensus-playground protocol="pbft"> (the contract: www/stage/contract.js):
// its wasm core, its message kinds (Castro & Liskov, OSDI 1999 §4: Request, PrePrepare, Prepare,
// Commit, Reply; Checkpoint; ViewChange, NewView; Fetch and State for state transfer) and their
// shapes and sentences, the legend, what a replica shows (primary or backup, its view, a view
// change under way and its timer, a traitor's behaviour), its node actions (Start view change,
// Client request), and the PBFT panel: the view and its primary, how many traitors N tolerates,
// a grid of the phase each replica reached per sequence number, and for one replica its
// certificates (one slot per sender for the pre-prepare, the prepares and the commits) with its
// watermarks and checkpoints. Every step happens in the wasm core; this module draws and
// forwards clicks. Apart from its wasm glue it imports nothing: what it needs comes from the
// stage (cx).
import init, { Simulation } from '../pkg/consensus_playground.js';

export const name = 'pbft';
// Its nodes can be made traitors (the stage's traitor select in the node actions).
export const traitors = true;

// The wasm core. In www/dist/ the build swaps in a build hosting PBFT alone (pkg/pbft_bg.wasm).
export { Simulation };
export const load = () => init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });

const CSS = 'protocols/pbft.css';

export const legend = [
  ['pb-primary', 'primary'],
  ['pb-backup', 'backup'],
  ['pb-vc', 'changing view'],
  ['crashed', 'crashed'],
  ['pb-req', 'Request'],
  ['ae', 'PrePrepare'],
  ['pb-prep', 'Prepare'],
  ['pb-commit', 'Commit'],
  ['ok', 'Reply'],
  ['pb-ckpt', 'Checkpoint'],
  ['no', 'ViewChange'],
  ['pb-nv', 'NewView'],
  ['pb-st', 'Fetch / State'],
];

/** The Simulation options read from the element's attributes: checkpoint-interval (K), view-change-ms. */
export function options(attr) {
  const opts = {};
  for (const [a, key] of [['checkpoint-interval', 'checkpointInterval'], ['view-change-ms', 'viewChangeMs']]) {
    if (attr(a) !== null) opts[key] = Number(attr(a));
  }
  return opts;
}

export const hint = 'Click a replica (or focus it and press Enter) to send it a client request, make it start a view change, or crash it. Click a row of the phase table to see that replica’s certificates. Click a message in flight to drop it.';
export const routine = ['Show routine events', 'Events that change nothing'];

/** A digest as "#3a5f…" (0 is the null request's). */
export const hex = (d) => (d === null || d === undefined ? '—' : `#${d.toString(16).padStart(4, '0').slice(0, 4)}…`);
/** An operation: a client's command text, a key-value command, or the null request. */
const opText = (o) => (o === null || o === undefined ? 'null request' : typeof o === 'string' ? o : o.op && o.key ? `${o.op} ${o.key}${o.value !== undefined ? `=${o.value}` : ''}` : JSON.stringify(o));
const reqText = (r) => (r ? opText(r.operation) : 'the null request');
const plural = (k, word) => `${k} ${word}${k === 1 ? '' : 's'}`;

export function describeMessage(m) {
  const head = `${m.kind} from ${m.from} to ${m.to}`;
  const at = `view ${m.view}, seq ${m.seq}, digest ${hex(m.digest)}`;
  switch (m.kind) {
    case 'Request':
      return `${head}: ${reqText(m.request)} (client ${m.request.client}, timestamp ${m.request.timestamp}); the primary orders it, backups wait for it to execute`;
    case 'PrePrepare':
      return `${head}: ${at}, request ${reqText(m.request)}; the primary assigns the sequence number (§4.2)`;
    case 'Prepare':
      return `${head}: ${at}; ${m.from} accepted the pre-prepare`;
    case 'Commit':
      return `${head}: ${at}; ${m.from} has it prepared`;
    case 'Reply':
      return `${head}: view ${m.view}, request ${m.timestamp} of client ${m.client}, result ${JSON.stringify(m.result)}`;
    case 'Checkpoint':
      return `${head}: executed through seq ${m.seq}, state digest ${hex(m.digest)} (§4.3)`;
    case 'ViewChange':
      return `${head}: move to view ${m.view}; stable checkpoint ${m.lastStable}, prepared ${m.prepared.length ? m.prepared.map((c) => `seq ${c.seq} ${hex(c.digest)}`).join(', ') : 'nothing'} (§4.4)`;
    case 'NewView':
      return `${head}: view ${m.view} starts, from the view changes of ${m.viewChanges.join(' ')}; checkpoint ${m.checkpoint.seq}, pre-prepares ${m.prePrepares.length ? m.prePrepares.map((p) => `seq ${p.seq}`).join(', ') : 'none'}`;
    case 'Fetch':
      return `${head}: send me the state after seq ${m.after}`;
    default:
      return `${head}: the state at seq ${m.seq}, digest ${hex(m.digest)}, ${plural(m.requests, 'request')}`;
  }
}

const CIRCLE = ['circle', { r: 8 }];
const SQUARE = ['rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 }];
const seqGlyph = (cls, m) => ({ cls: m.seq > 99 ? `${cls} cp-pb-long` : cls, shape: SQUARE, glyph: String(m.seq) });

export function messageShape(m) {
  switch (m.kind) {
    case 'Request':
      return { cls: 'cp-pb-req', shape: ['rect', { x: -9, y: -6, width: 18, height: 12, rx: 6 }], glyph: '→' };
    case 'PrePrepare':
      return seqGlyph('cp-ae', m);
    case 'Prepare':
      return seqGlyph('cp-pb-prep', m);
    case 'Commit':
      return seqGlyph('cp-pb-commit', m);
    case 'Reply':
      return { cls: 'cp-ok', shape: CIRCLE, glyph: '✓' };
    case 'Checkpoint':
      return { cls: 'cp-pb-ckpt', shape: ['rect', { x: -7, y: -7, width: 14, height: 14, transform: 'rotate(45)' }], glyph: 'K' };
    case 'ViewChange':
      return { cls: 'cp-no', shape: CIRCLE, glyph: String(m.view) };
    case 'NewView':
      return { cls: 'cp-pb-nv', shape: CIRCLE, glyph: String(m.view) };
    default:
      return { cls: 'cp-pb-st', shape: ['circle', { r: 7 }], glyph: m.kind === 'Fetch' ? '?' : 'S' };
  }
}

export function nodeLabel(n) {
  const state = n.crashed ? 'crashed' : n.state;
  let sub = n.status === 'view-change' ? `→ view ${n.view}` : `exec ${n.executed}`;
  // A traitor's behaviour; a long name without the word, so that it fits beside the ring.
  if (n.byzantine) sub = n.byzantine.length > 10 ? `⚠ ${n.byzantine}` : `traitor: ${n.byzantine}`;
  if (n.paused) sub = `paused ${n.state}`;
  if (n.crashed) sub = 'crashed';
  return {
    state,
    number: String(n.view),
    sub,
    label: `${n.id}: ${state}${n.paused ? ' (paused)' : ''}, view ${n.view}${n.status === 'view-change' ? ' (changing view)' : ''}, executed ${n.executed}`,
    data: { view: n.view, status: n.status, executed: n.executed },
    timer: n.crashed || !n.timer ? null : [n.timerStart, n.timerDeadline],
  };
}

/** Operations sent to every replica from the toolbar: all=1, all=2, … (per run). */
const counters = new WeakMap();
export const toolbar = [
  { slot: 'clients', text: 'Request', title: 'A client sends the next command to the primary, which orders it: pre-prepare, prepare, commit', run: (cx) => cx.clientRequest() },
  {
    slot: 'clients',
    text: 'Request to all',
    title: 'A client sends a command to every replica at once (§4.1): each backup waits for it to execute, so a silent primary is replaced by a view change',
    run: (cx) =>
      cx.act((s) => {
        const k = (counters.get(s) ?? 0) + 1;
        counters.set(s, k);
        s.broadcastRequest(`all=${k}`);
      }),
  },
];

/** cx → what the PBFT panel does when a node is selected: it shows that replica's certificates. */
const follow = new WeakMap();

export function nodeActions(n, cx, common) {
  const id = n.id;
  follow.get(cx)?.(id);
  const live = !n.crashed && !n.paused;
  return [
    !n.crashed && { text: 'Client request', title: 'A client sends the next command to this replica: the primary orders it, a backup relays it to the primary', run: () => cx.clientRequest(id) },
    live && { text: 'Start view change', title: `Move to view ${n.view + 1} now, as if its timer ran out: ViewChange to every replica (§4.4)`, run: () => cx.act((s) => s.startElection(id)) },
    n.crashed ? common.crash : { ...common.crash, title: 'Stop it; its log and checkpoints survive' },
    common.pause,
    common.isolate,
  ];
}

export function nodeDetails(n) {
  const rows = [
    ['state', n.crashed ? `crashed (was ${n.state})` : n.state],
    ['view', `${n.view} (primary ${n.primaryId})${n.status === 'view-change' ? ', changing view' : ''}`],
    ['watermarks', `h = ${n.lowWatermark}, H = ${n.highWatermark}`],
    ['executed', `through seq ${n.executed}`],
    ['pending', plural(n.pending, 'request')],
    ['view changes', n.viewChanges],
  ];
  if (n.byzantine) rows.unshift(['traitor', n.byzantine]);
  const votes = n.viewChangeVotes.filter((v) => v.view > 0 && v.from.length);
  if (votes.length) rows.push(['ViewChanges', votes.map((v) => `view ${v.view}: ${v.from.join(' ')}`).join('; ')]);
  const store = Object.entries(n.kv);
  if (store.length) rows.push(['store', store.map(([k, v]) => `${k}=${v}`).join('  ')]);
  return rows;
}

const ROWS = 8; // sequence numbers in the certificates: the latest
const COLS = 24; // sequence numbers in the grid: at most, from the low watermark to the high one
const PHASE = { none: '·', 'pre-prepared': 'pp', prepared: 'p', committed: 'c', executed: '✓' };

/** The view most running replicas are in (on a tie, the higher), and who is changing view. */
function currentView(nodes) {
  const up = nodes.filter((n) => !n.crashed);
  const count = new Map();
  for (const n of up) count.set(n.view, (count.get(n.view) ?? 0) + 1);
  let [view, best] = [0, 0];
  for (const [v, k] of count) if (k > best || (k === best && v > view)) [view, best] = [v, k];
  return { view, changing: up.filter((n) => n.status === 'view-change') };
}

/** "N = 4 replicas tolerate f = 1 traitor (quorums of 3)", and when N is not 3f + 1, why the quorum is what it is. */
export function tolerance(N) {
  const f = Math.floor((N - 1) / 3);
  const q = Math.ceil((N + f + 1) / 2);
  const head = `N = ${N} replica${N === 1 ? ' tolerates' : 's tolerate'} f = ${plural(f, 'traitor')}`;
  return N === 3 * f + 1 ? `${head} (quorums of ${q}).` : `${head}. N = ${N} is not 3f + 1: quorums of ⌈(N + f + 1)/2⌉ = ${q}.`;
}

/**
 * The PBFT panel: the view and its primary, the tolerance note (and a warning past f traitors),
 * the grid (a row per replica, the primary marked; a column per sequence number from the low
 * watermark h to the high one H; per cell the request's digest and its phase, a bar after the
 * last executed, the checkpointed prefix as one cell, the sequence number a violation names
 * highlighted; a click picks the replica) and the picked replica's certificates: per sequence number its pre-prepare, one
 * prepare and one commit slot per sender (lit: same digest as its pre-prepare; hatched red:
 * another digest), its phase and discarded duplicates; its watermarks h..H and checkpoints.
 */
export function panel(cx) {
  const { el } = cx.dom;
  cx.stylesheet(CSS);
  const viewLine = el('p', { class: 'cp-pb-view', role: 'status' });
  const note = el('p', { class: 'cp-hint cp-pb-note' });
  const warn = el('p', { class: 'cp-pb-warn', role: 'alert', hidden: '' });
  const head = el('tr');
  const matrix = el('tbody');
  const scroll = el('div', { class: 'cp-grid-scroll' }, el('table', { class: 'cp-grid cp-pb-grid' }, el('thead', {}, head), matrix));
  const certHead = el('h3');
  const marks = el('div', { class: 'cp-hint cp-pb-marks' });
  const bar = el('div', { class: 'cp-pb-bar', role: 'img' });
  const cert = el('table', { class: 'cp-pb-cert' });
  const root = el(
    'section',
    { class: 'cp-panel cp-pbft', 'aria-label': 'PBFT' },
    viewLine,
    note,
    warn,
    el('h3', { text: 'Phases' }, el('span', { class: 'cp-hint', text: ' (per sequence number, h to H: the request digest and its phase, pp pre-prepared, p prepared, c committed-local, ✓ executed; bar = executed through; click a row)' })),
    scroll,
    certHead,
    marks,
    bar,
    el('div', { class: 'cp-pb-scroll' }, cert),
  );
  let ids = [];
  let K = 10;
  let picked = null; // the replica whose certificates show: picked in the table, or the node selected on the ring
  let selected = null;
  let sig = '';
  let shown; // the sequence number a violation names, scrolled to
  let newest; // the highest sequence number shown
  // Also while paused: the stage redraws nothing when a node is selected.
  follow.set(cx, (id) => {
    if (id === selected) return;
    [selected, picked] = [id, id];
    api.update(cx.sim.nodes(), cx.sim.violations());
  });

  const slotCell = (votes, from, digest, na) => {
    if (na) return el('td', { class: 'cp-pb-slot', 'data-slot': 'na', title: `${from} is the primary: it sends no prepare` });
    const mine = votes.filter((v) => v.from === from);
    const match = digest !== null && mine.some((v) => v.digest === digest);
    const other = mine.filter((v) => v.digest !== digest);
    const state = !mine.length ? 'none' : digest === null ? 'early' : other.length ? (match ? 'both' : 'mismatch') : 'match';
    const title = !mine.length ? `nothing from ${from}` : `from ${from}: ${mine.map((v) => hex(v.digest)).join(', ')}${other.length && digest !== null ? ` (its pre-prepare: ${hex(digest)})` : ''}${digest === null ? ' (no pre-prepare yet)' : ''}`;
    return el('td', { class: 'cp-pb-slot', 'data-slot': state, 'data-from': from, title });
  };

  const drawCert = (n, primaryOf) => {
    const N = ids.length;
    certHead.replaceChildren(`Certificates of ${n.id}`, el('span', { class: 'cp-hint', text: ` (view ${n.view}, primary ${n.primaryId}${n.byzantine ? `; a traitor: ${n.byzantine}` : ''})` }));
    const open = n.checkpoints;
    marks.textContent = `Watermarks h = ${n.lowWatermark} (stable checkpoint) to H = ${n.highWatermark}; executed through ${n.executed}; a checkpoint every K = ${K}${open.length ? `; collecting ${open.map((c) => `checkpoint ${c.seq} (${c.votes.length} votes)`).join(', ')}` : ''}.`;
    // The window h..H: executed part filled, a tick per checkpoint.
    const span = Math.max(1, n.highWatermark - n.lowWatermark);
    const pct = (s) => `${(100 * Math.min(span, Math.max(0, s - n.lowWatermark))) / span}%`;
    const fill = el('span', { class: 'cp-pb-fill' });
    fill.style.width = pct(n.executed);
    const ticks = [];
    for (let s = n.lowWatermark + K; s < n.highWatermark; s += K) {
      const t = el('span', { class: 'cp-pb-tick', title: `checkpoint at ${s}` });
      t.style.left = pct(s);
      ticks.push(t);
    }
    bar.replaceChildren(el('b', { text: `h ${n.lowWatermark}` }), fill, ...ticks, el('b', { text: `H ${n.highWatermark}` }));
    bar.setAttribute('aria-label', `window from h = ${n.lowWatermark} to H = ${n.highWatermark}, executed through ${n.executed}`);
    const rows = n.log.slice(-ROWS);
    const senders = (label) => ids.map((id) => el('th', { class: 'cp-pb-sender', text: id.slice(1), title: `${label} from ${id}` }));
    cert.replaceChildren(
      el(
        'thead',
        {},
        el('tr', {}, el('th', { text: 'seq', rowspan: '2' }), el('th', { text: 'pp', rowspan: '2', title: 'the pre-prepare it accepted: its digest' }), el('th', { text: 'prepare', colspan: String(N), class: 'cp-pb-group' }), el('th', { text: 'commit', colspan: String(N), class: 'cp-pb-group' }), el('th', { text: 'phase', rowspan: '2' })),
        el('tr', {}, ...senders('Prepare'), ...senders('Commit')),
      ),
      el(
        'tbody',
        {},
        ...rows.map((e) => {
          const primary = primaryOf(e.view);
          const mark = e.seq === n.lowWatermark ? 'stable' : e.seq % K === 0 ? 'checkpoint' : null;
          return el(
            'tr',
            { 'data-seq': String(e.seq), 'data-phase': e.phase, ...(mark ? { 'data-mark': mark } : {}) },
            el('th', { text: String(e.seq), title: mark === 'stable' ? `seq ${e.seq}: the stable checkpoint (h)` : mark ? `seq ${e.seq}: a checkpoint` : `seq ${e.seq}` }),
            el('td', { class: 'cp-pb-pp', 'data-slot': e.digest === null ? 'none' : 'match', text: e.digest === null ? '' : e.request ? opText(e.request.operation) : 'null', title: e.digest === null ? 'no pre-prepare accepted' : `pre-prepare from ${primary}: ${hex(e.digest)}, ${reqText(e.request)}` }),
            ...ids.map((id) => slotCell(e.prepares, id, e.digest, id === primary)),
            ...ids.map((id) => slotCell(e.commits, id, e.digest, false)),
            el('td', { class: 'cp-pb-phase', 'data-phase': e.phase, text: `${e.phase}${e.duplicates ? ` +${e.duplicates} dup` : ''}`, title: e.duplicates ? `${plural(e.duplicates, 'duplicate')} discarded` : e.phase }),
          );
        }),
        ...(rows.length ? [] : [el('tr', {}, el('td', { colspan: String(3 + 2 * N), class: 'cp-hint', text: n.status === 'view-change' ? 'Changing view: its log waits for the NewView.' : 'No sequence number yet: click Request.' }))]),
      ),
    );
  };

  const api = {
    root,
    layout(list) {
      ids = list;
      K = cx.sim.config.checkpointInterval;
      if (!ids.includes(picked)) picked = ids[0];
      selected = null;
      sig = '';
      note.textContent = tolerance(ids.length);
    },
    update(nodes, violations = []) {
      const bad = violations.find((v) => v.index)?.index;
      const s = JSON.stringify([picked, bad, nodes.map((n) => [n.view, n.status, n.crashed, n.paused, n.byzantine, n.executed, n.lowWatermark, n.highWatermark, n.checkpoints, n.log.slice(-COLS)])]);
      if (s === sig) return;
      sig = s;
      const N = nodes.length;
      const f = Math.floor((N - 1) / 3);
      const { view, changing } = currentView(nodes);
      const primaryOf = (v) => ids[v % N];
      const to = [...new Set(changing.map((n) => n.view))].map((v) => `${changing.filter((n) => n.view === v).map((n) => n.id).join(' ')} → ${v}`);
      viewLine.replaceChildren(el('b', { text: `view ${view} — primary ${primaryOf(view)}` }), to.length ? ` · changing view: ${to.join(', ')}` : '');
      root.dataset.view = String(view);
      const traitors = nodes.filter((n) => n.byzantine);
      warn.hidden = traitors.length <= f;
      warn.textContent = `${plural(traitors.length, 'traitor')} > f = ${f}: safety is no longer guaranteed.`;
      note.textContent = `${tolerance(N)}${traitors.length && traitors.length <= f ? ` Traitors now: ${traitors.map((n) => n.id).join(' ')}.` : ''}`;
      // The grid: sequence numbers from the lowest low watermark h to the highest high one H (§4.3).
      const last = Math.max(0, ...nodes.map((n) => Math.max(n.executed, n.log.at(-1)?.seq ?? 0)));
      // (at most COLS of them: the newest activity, or the sequence number a violation names, in view)
      const lo = Math.max(1, Math.min(...nodes.map((n) => n.lowWatermark)), Math.min(last, bad ?? last) - COLS + 1); // h itself: the checkpoint
      const hi = Math.max(last, Math.min(Math.max(...nodes.map((n) => n.highWatermark)), lo + COLS - 1));
      const cols = [];
      for (let k = lo; k <= hi; k++) cols.push(k);
      const focused = matrix.contains(document.activeElement) ? document.activeElement.dataset.phasesOf : null; // kept across the redraw
      const more = () => (lo > 1 ? [el('td')] : []);
      head.replaceChildren(
        el('th', { scope: 'col', text: 'seq' }),
        ...(lo > 1 ? [el('th', { scope: 'col', text: '…', title: `sequence numbers 1–${lo - 1} are left out` })] : []),
        ...cols.map((k) => el('th', { scope: 'col', text: String(k), 'data-col': String(k), ...(k === last ? { 'data-newest': '' } : {}), ...(k === bad ? { class: 'cp-bad', title: `seq ${k}: the violation is about it` } : {}) })),
      );
      matrix.replaceChildren(
        ...nodes.map((n) => {
          const bySeq = new Map(n.log.map((e) => [e.seq, e]));
          const gone = Math.min(n.lowWatermark, hi) - lo + 1; // checkpointed columns in view
          const role = n.crashed ? 'crashed' : n.state === 'primary' ? `primary${n.byzantine ? ' ⚠' : ''}` : n.byzantine ? `⚠ ${n.byzantine}` : n.status === 'view-change' ? `→ view ${n.view}` : '';
          const tr = el(
            'tr',
            { 'data-phases-of': n.id, class: `${n.id === picked ? 'cp-pb-picked' : ''}${n.crashed ? ' cp-crashed' : ''}${n.state === 'primary' && !n.crashed ? ' cp-leader-row' : ''}`, tabindex: '0', title: `Show ${n.id}’s certificates` },
            el('th', { scope: 'row', ...(n.byzantine ? { title: `a traitor: ${n.byzantine}` } : {}) }, n.id, el('small', { class: 'cp-pb-role', text: role })),
            ...more(),
            ...(gone > 0 ? [el('td', { class: 'cp-snap', colspan: String(gone), 'data-checkpoint': String(n.lowWatermark), text: gone > 2 ? `checkpoint ${n.lowWatermark}` : 'h', title: `${n.id}: sequence numbers up to ${n.lowWatermark}, its stable checkpoint (h): their certificates are discarded (§4.3)` })] : []),
            ...cols.slice(Math.max(0, gone)).map((k) => {
              const e = bySeq.get(k);
              const phase = e?.phase ?? (k <= n.executed ? 'executed' : 'none');
              const out = k > n.highWatermark;
              const d = e?.digest;
              const td = el(
                'td',
                { class: `cp-pb-phase${out ? ' cp-pb-out' : ''}${k === bad ? ' cp-bad' : ''}`, 'data-seq': String(k), 'data-phase': phase, ...(k === n.executed ? { 'data-commit-index': '' } : {}), title: `${n.id}, seq ${k}: ${out ? `beyond its high watermark H = ${n.highWatermark}` : phase}${d === null || d === undefined ? '' : `, digest ${hex(d)}${e.request ? `, ${opText(e.request.operation)}` : ''}`}` },
                PHASE[phase],
              );
              if (d !== null && d !== undefined) td.append(el('small', { text: d.toString(16).padStart(4, '0').slice(0, 4) }));
              return td;
            }),
          );
          const pick = () => {
            picked = n.id;
            api.update(cx.sim.nodes(), cx.sim.violations());
          };
          tr.addEventListener('click', pick);
          tr.addEventListener('keydown', (ev) => (ev.key === 'Enter' || ev.key === ' ') && (ev.preventDefault(), pick()));
          return tr;
        }),
      );
      if (!last) matrix.append(el('tr', {}, el('td', { class: 'cp-hint', colspan: String(cols.length + 1), text: 'No request yet: click Request.' })));
      // A new sequence number is scrolled into view; the one a violation names when it appears.
      const th = last !== newest ? head.querySelector('[data-newest]') : bad !== shown && head.querySelector('.cp-bad');
      const past = th && th.getBoundingClientRect().right - scroll.getBoundingClientRect().right;
      if (past > 0) scroll.scrollLeft += past + 24;
      [newest, shown] = [last, bad];
      if (focused) matrix.querySelector(`[data-phases-of="${focused}"]`)?.focus({ preventScroll: true });
      drawCert(nodes.find((n) => n.id === picked) ?? nodes[0], primaryOf);
    },
  };
  return api;
}
