// Chained HotStuff's part of <consensus-playground protocol="hotstuff"> (the contract:
// www/stage/contract.js; Yin, Malkhi, Reiter, Gueta & Abraham, "HotStuff: BFT Consensus with
// Linearity and Responsiveness", PODC 2019, §5): its wasm core, its six message kinds (Proposal,
// Vote, NewView, Request, Fetch, Blocks) and their shapes and sentences, the legend, what a
// replica shows (leader or replica, its view, its committed height or the traitor it plays, the
// pacemaker's view timer), its node actions, and the Blocks panel: one replica's block tree as a
// chain left to right by height, forks on rows below, each block's QC, the locked block, the
// highest QC (genericQC) and the committed chain. Every step happens in the wasm core; this
// module draws and forwards clicks. Apart from its wasm glue it imports nothing: what it needs
// comes from the stage (cx).
//
// With no commands HotStuff still proposes a block in every view (the chained pacemaker keeps
// the pipeline going), so a view lasts about two message delays: at the element's default speed
// (0.05) a new block appears about every half second. speed="0.02" (a view in ~1.3 s) is easier
// to follow, and is what www/index.html uses for this mechanism.
import init, { Simulation } from '../pkg/consensus_playground.js';

export const name = 'hotstuff';
// Its nodes can be made traitors (the stage's traitor select in the node actions).
export const traitors = true;

// The wasm core. In www/dist/ the build swaps in a build hosting HotStuff alone (pkg/hotstuff_bg.wasm).
export { Simulation };
export const load = () => init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });

const CSS = 'protocols/hotstuff.css';

/** The speed this page's readers can follow (see above); index.html sets it. */
export const recommendedSpeed = 0.02;

export const legend = [
  ['hs-replica', 'replica'],
  ['leader', 'leader of its view'],
  ['crashed', 'crashed'],
  ['ae', 'Proposal'],
  ['ok', 'Vote'],
  ['rv', 'NewView'],
  ['hs-req', 'Request'],
  ['hs-fetch', 'Fetch / Blocks'],
];

/** The Simulation options this mechanism reads from the element's attributes: view-timeout-ms. */
export function options(attr) {
  const opts = {};
  if (attr('view-timeout-ms') !== null) opts.viewTimeoutMs = Number(attr('view-timeout-ms'));
  return opts;
}

export const hint = 'Click a replica (or focus it and press Enter) to send it a client request, show its block tree, or crash it. Each view’s leader proposes a block; when three blocks of consecutive views each get a QC (votes from a quorum), the first commits. Click a message in flight to drop it.';
export const routine = ['Show routine events', 'Duplicate messages and commands already known'];

/** A block id (decimal digits, '0' the genesis block) as sentences name it: 'genesis', or '#' and
 *  the first six of its 16 hex digits, as the core's event log does. */
export const blockLabel = (id) => (id === '0' ? 'genesis' : `#${(BigInt(id) >> 40n).toString(16).padStart(6, '0')}`);

/**
 * A command as text: a key-value operation ({client, seq, op, key, …}, as the KV clients and this
 * page's Client request send them) as "x=1", "cas x 1→2", "x++" or "get x"; a string as itself;
 * anything else as its JSON.
 */
export function commandText(c) {
  if (typeof c === 'string') return c;
  if (c && typeof c.op === 'string' && typeof c.key === 'string') {
    if (c.op === 'put') return `${c.key}=${c.value}`;
    if (c.op === 'cas') return `cas ${c.key} ${c.from}→${c.to}`;
    if (c.op === 'increment') return `${c.key}++`;
    return `${c.op} ${c.key}`;
  }
  return JSON.stringify(c);
}

// The page's Client request: a put (x=1, y=2, z=3, x=4, …; counted per run) from client 0, a
// client id the KV clients never take (theirs start at 1), with a session sequence number, so
// that the key-value store applies it once it commits (a bare "x=1", what the stage's
// clientRequest sends, is a command the store ignores).
const counters = new WeakMap(); // sim → requests sent
function request(cx, to) {
  cx.act((s) => {
    const seq = (counters.get(s) ?? 0) + 1;
    counters.set(s, seq);
    s.clientRequest({ client: 0, seq, op: 'put', key: 'xyz'[(seq - 1) % 3], value: String(seq) }, to);
  });
}

const plural = (k, one, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
const qcText = (qc) => (qc.block === '0' && !qc.voters.length ? 'the genesis QC' : `QC v${qc.view} for ${blockLabel(qc.block)} (${plural(qc.voters.length, 'vote')})`);

export function describeMessage(m) {
  const head = `${m.kind} from ${m.from} to ${m.to}`;
  switch (m.kind) {
    case 'Proposal': {
      const b = m.block;
      return `${head}: block ${b.label} of view ${b.view}, height ${b.height}, ${plural(b.commands.length, 'command')}, extending ${blockLabel(b.parent)}, justified by ${qcText(b.justify)}; vote for it if it is safe (extends the locked block, or its QC is newer than the lock)`;
    }
    case 'Vote':
      return `${head}: votes for block ${blockLabel(m.block)} in view ${m.view}; the next view’s leader makes a QC of a quorum of such votes (a vote sent again after a timeout goes to the leader of the voter’s new view)`;
    case 'NewView':
      return `${head}: enters view ${m.view} (its view timer ran out, or it follows others there), with its highest QC: ${qcText(m.highQc)}`;
    case 'Request':
      return `${head}: a client’s command ${commandText(m.command)}, for whoever leads next to propose`;
    case 'Fetch':
      return `${head}: send me block ${blockLabel(m.block)} and its missing ancestors`;
    default:
      return `${head}: ${plural(m.blocks.length, 'block')} it asked for (${m.blocks.map(blockLabel).join(', ')})`;
  }
}

const CIRCLE = ['circle', { r: 8 }];
const SQUARE = ['rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 }];

export function messageShape(m) {
  switch (m.kind) {
    case 'Proposal':
      return { cls: m.view > 99 ? 'cp-ae cp-hs-long' : 'cp-ae', shape: SQUARE, glyph: String(m.view % 1000) };
    case 'Vote':
      return { cls: 'cp-ok', shape: CIRCLE, glyph: '✓' };
    case 'NewView':
      return { cls: m.view > 99 ? 'cp-rv cp-hs-long' : 'cp-rv', shape: CIRCLE, glyph: String(m.view % 1000) };
    case 'Request':
      return { cls: 'cp-hs-req', shape: ['rect', { x: -9, y: -6, width: 18, height: 12, rx: 6 }], glyph: '→' };
    case 'Fetch':
      return { cls: 'cp-hs-fetch', shape: ['circle', { r: 7 }], glyph: '?' };
    default:
      return { cls: 'cp-hs-fetch', shape: SQUARE, glyph: String(m.blocks.length) };
  }
}

export function nodeLabel(n) {
  const state = n.crashed ? 'crashed' : n.state;
  let sub = n.byzantine ? `traitor: ${n.byzantine}` : `h ${n.executedHeight}`;
  if (n.paused) sub = `paused ${n.state}`;
  if (n.crashed) sub = 'crashed';
  return {
    state,
    number: String(n.view),
    sub,
    label: `${n.id}: ${state}${n.paused ? ' (paused)' : ''}, view ${n.view}, leader ${n.leaderId}, committed height ${n.executedHeight}, locked on view ${n.lockedQc.view}`,
    data: { view: n.view, height: n.executedHeight, locked: n.lockedQc.view },
    timer: n.crashed || n.timer !== 'view' ? null : [n.timerStart, n.timerDeadline],
  };
}

export const toolbar = [{ slot: 'clients', text: 'Client request', title: 'A client sends the next command (x=1, y=2, …) to the leader of the highest view, which passes it to every replica: whoever leads next proposes it', run: (cx) => request(cx) }];

const shown = new WeakMap(); // cx → the Blocks panel's show(id)

export function nodeActions(n, cx, common) {
  const id = n.id;
  return [
    !n.crashed && { text: 'Client request', title: 'A client sends the next command (x=1, y=2, …) to this replica, which passes it to every other: whoever leads next proposes it', run: () => request(cx, id) },
    { text: 'Show its blocks', title: `Draw ${id}’s block tree in the Blocks panel`, run: () => shown.get(cx)?.(id) },
    n.crashed ? common.crash : { ...common.crash, title: 'Stop it; its blocks, lock and votes survive' },
    common.pause,
    common.isolate,
  ];
}

export function nodeDetails(n) {
  const rows = [
    ['state', n.crashed ? `crashed (was ${n.state})` : n.state],
    ['view', `${n.view} (leader ${n.leaderId})`],
    ['voted in view', n.votedView || 'none yet'],
    ['highQC', qcText(n.highQc)],
    ['locked', qcText(n.lockedQc)],
    ['committed', `height ${n.executedHeight} (${blockLabel(n.executedBlock)})`],
    ['commands waiting', n.pool],
    ['view changes', n.viewChanges],
  ];
  if (n.byzantine) rows.splice(1, 0, ['traitor', n.byzantine]);
  const store = Object.entries(n.kv);
  rows.push(['store', store.length ? store.map(([k, v]) => `${k}=${v}`).join('  ') : 'empty']);
  return rows;
}

// The Blocks panel's geometry (px): a column per height, a row per branch.
const HEIGHTS = 10; // the latest heights drawn
const ROWS = 3; // the main chain and at most two rows of forks
const COL = 116;
const BOX_W = 86;
const BOX_H = 58;
const ROW_H = 104;
const PAD = 14;
const TOP = 20; // room for the tags over a block

/**
 * Lays out replica `n`'s blocks: the latest HEIGHTS heights; row 0 the chain to the highest
 * block that extends its highQC's block, forks below. Returns {minH, maxH, placed: [{b, col,
 * row, committed, main}], dropped, byId}.
 */
export function layoutTree(n) {
  const byId = new Map(n.blocks.map((b) => [b.id, b]));
  const ancestors = (id) => {
    const seen = [];
    for (let b = byId.get(id); b; b = b.id === '0' ? null : byId.get(b.parent)) seen.push(b.id);
    return seen;
  };
  const maxH = Math.max(0, ...n.blocks.map((b) => b.height));
  const minH = Math.max(0, maxH - HEIGHTS + 1);
  // The tip: the highest block whose chain holds the highQC's block (else the executed one, else any).
  const under = (anchor) => n.blocks.filter((b) => ancestors(b.id).includes(anchor));
  const candidates = [n.highQc.block, n.executedBlock].map(under).find((l) => l.length) ?? n.blocks;
  const tip = candidates.reduce((a, b) => (b.height > a.height ? b : a), candidates[0]);
  const main = new Set(tip ? ancestors(tip.id) : []);
  const committed = new Set(ancestors(n.executedBlock));
  const perHeight = new Map();
  const placed = [];
  let dropped = 0;
  for (const b of n.blocks) {
    if (b.height < minH) continue;
    let row = 0;
    if (!main.has(b.id)) {
      row = 1 + (perHeight.get(b.height) ?? 0);
      perHeight.set(b.height, row);
      if (row >= ROWS) {
        dropped++;
        continue;
      }
    }
    placed.push({ b, col: b.height - minH, row, committed: committed.has(b.id), main: main.has(b.id) });
  }
  return { minH, maxH, placed, dropped, byId };
}

/**
 * The Blocks panel: whose tree (a picker: by default the first running honest replica), the
 * tolerance note (and a warning when there are more traitors than f), a line on the replica's
 * state, and its block tree drawn in SVG: each block a box (label, view, proposer, commands),
 * an arrow to its parent, under it the QC that certifies it; the committed chain filled, the
 * locked block outlined, the highQC's block tagged.
 */
export function panel(cx) {
  const { el, svg } = cx.dom;
  cx.stylesheet(CSS);
  const pick = el('select', { 'aria-label': 'Replica whose blocks are shown' });
  const note = el('p', { class: 'cp-hint cp-hs-note' });
  const warn = el('p', { class: 'cp-hs-warn', role: 'status', hidden: '' });
  const status = el('p', { class: 'cp-hint cp-hs-status' });
  const tree = svg('svg', { class: 'cp-hs-tree', role: 'img' });
  const scroll = el('div', { class: 'cp-hs-scroll' }, tree);
  const key = el(
    'p',
    { class: 'cp-hint cp-hs-key' },
    el('span', {}, el('i', { class: 'cp-hs-k cp-hs-k-committed' }), 'committed'),
    el('span', {}, el('i', { class: 'cp-hs-k cp-hs-k-locked' }), 'locked'),
    el('span', {}, el('i', { class: 'cp-hs-k cp-hs-k-block' }), 'not yet committed'),
    el('span', {}, el('i', { class: 'cp-hs-k cp-hs-k-fork' }), 'fork'),
    el('span', {}, el('b', { class: 'cp-hs-k-qc', text: 'QC' }), 'votes of a quorum for it'),
  );
  const root = el(
    'section',
    { class: 'cp-panel cp-hs-blocks', 'aria-label': 'Blocks' },
    el('div', { class: 'cp-hs-head' }, el('h3', { text: 'Blocks' }), el('label', { class: 'cp-hint' }, 'of ', pick)),
    note,
    warn,
    status,
    scroll,
    key,
  );
  let choice = 'auto';
  let sig = '';
  let noteSig = '';
  let last = [];
  pick.addEventListener('change', () => {
    choice = pick.value;
    sig = '';
    update(last);
  });
  shown.set(cx, (id) => {
    choice = id;
    pick.value = id;
    sig = '';
    update(last);
  });

  const text = (attrs, s) => {
    const t = svg('text', attrs);
    t.textContent = s;
    return t;
  };

  function draw(n) {
    const { minH, maxH, placed, dropped, byId } = layoutTree(n);
    const rows = Math.max(1, ...placed.map((p) => p.row + 1));
    const cols = maxH - minH + 1;
    const width = PAD * 2 + (cols - 1) * COL + BOX_W + (minH > 0 ? 24 : 0);
    const height = TOP + rows * ROW_H - (ROW_H - BOX_H - 30);
    const x0 = PAD + (minH > 0 ? 24 : 0);
    tree.setAttribute('width', width);
    tree.setAttribute('height', height);
    tree.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const at = new Map(placed.map((p) => [p.b.id, { x: x0 + p.col * COL, y: TOP + p.row * ROW_H }]));
    // The QC that certifies each block: the newest among its children's justify and the replica's own QCs.
    const qcs = new Map();
    for (const qc of [...n.blocks.map((b) => b.justify), n.highQc, n.lockedQc]) {
      if (!qc.voters.length) continue;
      const had = qcs.get(qc.block);
      if (!had || qc.view > had.view) qcs.set(qc.block, qc);
    }
    const edges = svg('g', { class: 'cp-hs-edges' });
    const boxes = svg('g');
    for (const { b, row, committed, main } of placed) {
      const { x, y } = at.get(b.id);
      // The arrow to its parent (a hash pointer), or to the left edge when the parent is older than what is drawn.
      if (b.id !== '0') {
        const p = at.get(b.parent);
        const [px, py] = p ? [p.x + BOX_W, p.y + BOX_H / 2] : [x0 - 22, TOP + BOX_H / 2];
        const d = py === y + BOX_H / 2 ? `M${x} ${py}H${px + 2}` : `M${x} ${y + BOX_H / 2}C${x - 18} ${y + BOX_H / 2} ${px + 18} ${py} ${px + 2} ${py}`;
        edges.append(svg('path', { d, class: `cp-hs-edge${main ? '' : ' cp-hs-edge-fork'}`, 'marker-end': 'url(#cp-hs-arrow)' }));
      }
      const locked = b.id === n.lockedQc.block;
      const high = b.id === n.highQc.block;
      const executed = b.id === n.executedBlock;
      const qc = qcs.get(b.id);
      const cmds = b.commands.map(commandText);
      const g = svg('g', {
        class: 'cp-hs-block',
        transform: `translate(${x} ${y})`,
        'data-block': b.id,
        'data-height': b.height,
        'data-committed': String(committed),
        'data-locked': String(locked),
        'data-high-qc': String(high),
        'data-fork': String(!main),
        'data-qc': qc ? String(qc.view) : '',
      });
      const title = svg('title');
      title.textContent = `${b.id === '0' ? 'genesis' : `block ${b.label}: view ${b.view}, height ${b.height}, proposed by ${b.proposer}, parent ${blockLabel(b.parent)}; justify: ${qcText(b.justify)}`}${cmds.length ? `; commands ${cmds.join(', ')}` : '; no commands'}${qc ? `. Certified by ${qcText(qc)}: ${qc.voters.join(', ')}` : '. No QC for it yet'}${committed ? '. Committed' : ''}${executed ? ' (the last block executed)' : ''}${locked ? '. Locked' : ''}${high ? '. Its QC is the highest known (highQC)' : ''}${main ? '' : '. Off the main chain: a fork'}`;
      g.append(title, svg('rect', { class: 'cp-hs-box', width: BOX_W, height: BOX_H, rx: 6 }));
      if (b.id === '0') {
        g.append(text({ x: BOX_W / 2, y: BOX_H / 2 + 4, class: 'cp-hs-label' }, 'genesis'));
      } else {
        g.append(
          text({ x: BOX_W / 2, y: 17, class: 'cp-hs-label' }, b.label),
          text({ x: BOX_W / 2, y: 33, class: 'cp-hs-line' }, `v${b.view} · ${b.proposer}`),
          text({ x: BOX_W / 2, y: 49, class: 'cp-hs-line' }, cmds.length ? (cmds.length === 1 ? cmds[0].slice(0, 12) : plural(cmds.length, 'cmd')) : 'empty'),
        );
      }
      // Tags over the box: the lock and the highest QC.
      const tags = [locked && ['locked', 'cp-hs-tag-locked'], high && ['highQC', 'cp-hs-tag-high']].filter(Boolean);
      tags.forEach(([t, cls], k) => {
        const w = t.length * 6 + 8;
        const tx = tags.length === 1 ? (BOX_W - w) / 2 : k === 0 ? 0 : BOX_W - w;
        g.append(svg('rect', { class: `cp-hs-tag ${cls}`, x: tx, y: -16, width: w, height: 13, rx: 6 }), text({ x: tx + w / 2, y: -6, class: `cp-hs-tagt ${cls}` }, t));
      });
      if (qc) {
        const label = `QC v${qc.view} · ${plural(qc.voters.length, 'vote')}`;
        g.append(svg('rect', { class: 'cp-hs-qc', x: 2, y: BOX_H + 4, width: BOX_W - 4, height: 15, rx: 7 }), text({ x: BOX_W / 2, y: BOX_H + 15, class: 'cp-hs-qct' }, label));
      }
      boxes.append(g);
    }
    const defs = svg('defs');
    const marker = svg('marker', { id: 'cp-hs-arrow', viewBox: '0 0 8 8', refX: '7', refY: '4', markerWidth: '7', markerHeight: '7', orient: 'auto' });
    marker.append(svg('path', { d: 'M0 0L8 4L0 8z', class: 'cp-hs-arrowhead' }));
    defs.append(marker);
    const extra = [];
    if (minH > 0) extra.push(text({ x: PAD + 2, y: TOP + BOX_H / 2 + 4, class: 'cp-hs-line cp-hs-more' }, '…'));
    tree.replaceChildren(defs, edges, boxes, ...extra);
    const committedNow = placed.filter((p) => p.committed).length;
    tree.setAttribute('aria-label', `${n.id}'s blocks at heights ${minH} to ${maxH}: ${committedNow} drawn committed, locked ${blockLabel(n.lockedQc.block)}, highQC ${blockLabel(n.highQc.block)}${dropped ? `, ${dropped} more forks not drawn` : ''}`);
  }

  function update(nodes) {
    last = nodes;
    if (!nodes.length) return;
    const byz = nodes.filter((n) => n.byzantine).length;
    const N = nodes.length;
    const ns = `${N}|${byz}`;
    if (ns !== noteSig) {
      noteSig = ns;
      // f = ⌊(N − 1)/3⌋, and a QC is ⌈(N + f + 1)/2⌉ votes (2f + 1 when N = 3f + 1), as the core says.
      const config = cx.sim?.config;
      const f = config?.faultsTolerated ?? Math.floor((N - 1) / 3);
      const q = config?.quorum ?? Math.ceil((N + f + 1) / 2);
      note.textContent = `N = ${N} replicas tolerate f = ${f} ${f === 1 ? 'traitor' : 'traitors'}; a QC is ${q} votes.`;
      warn.hidden = byz <= f;
      root.dataset.traitors = String(byz);
      warn.textContent = `${byz} traitors, more than f = ${f}: HotStuff no longer promises safety. Traitors with honest replicas can make quorums for two conflicting blocks, and both may commit.`;
    }
    const auto = nodes.find((n) => !n.crashed && !n.byzantine) ?? nodes[0];
    const n = (choice !== 'auto' && nodes.find((x) => x.id === choice)) || auto;
    const opts = `${auto.id}|${nodes.map((x) => x.id).join(',')}`;
    if (pick.dataset.sig !== opts) {
      pick.dataset.sig = opts;
      pick.replaceChildren(el('option', { value: 'auto', text: `${auto.id} (first running honest)` }), ...nodes.map((x) => el('option', { value: x.id, text: x.id })));
      pick.value = nodes.some((x) => x.id === choice) ? choice : 'auto';
    }
    const s = `${n.id}|${n.crashed}|${n.blocks.map((b) => b.id).join(',')}|${n.lockedQc.block}|${n.highQc.view}|${n.highQc.block}|${n.executedBlock}|${n.view}|${n.pool}`;
    if (s === sig) return;
    sig = s;
    root.dataset.replica = n.id;
    status.textContent = `${n.id}${n.crashed ? ' (crashed)' : ''}${n.byzantine ? ` (traitor: ${n.byzantine})` : ''}: view ${n.view}, leader ${n.leaderId} · locked ${blockLabel(n.lockedQc.block)} (v${n.lockedQc.view}) · highQC ${blockLabel(n.highQc.block)} (v${n.highQc.view}) · committed height ${n.executedHeight}${n.pool ? ` · ${plural(n.pool, 'command')} waiting` : ''}`;
    const atEnd = scroll.scrollLeft + scroll.clientWidth >= scroll.scrollWidth - 4;
    draw(n);
    if (atEnd) scroll.scrollLeft = scroll.scrollWidth;
  }

  return {
    root,
    layout() {
      sig = '';
      noteSig = '';
      pick.dataset.sig = '';
      tree.replaceChildren();
    },
    update,
  };
}
