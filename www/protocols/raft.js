// Raft's part of <consensus-playground> (the contract: www/stage/contract.js): its wasm core,
// its message kinds and their shapes and colours, the legend, what a node shows (state, term,
// votes, election timer), Raft's node actions, the sentences that describe a message, and the
// Logs panel. Fetched only by widgets with protocol="raft" (the default). Apart from its wasm
// glue it imports nothing: what it needs, DOM helpers included, comes from the stage (cx).
import init, { Simulation } from '../pkg/consensus_playground.js';

export const name = 'raft';

// The wasm core. Run from www/ (unbundled), this is the full API of www/pkg/; in www/dist/ the
// build swaps in the glue and the wasm of a build that hosts Raft alone (pkg/raft_bg.wasm), so
// a Raft widget loads no other mechanism's code (scripts/build.mjs).
export { Simulation };
export const load = () => init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });

export const legend = [
  ['follower', 'follower'],
  ['candidate', 'candidate'],
  ['leader', 'leader'],
  ['crashed', 'crashed'],
  ['pv', 'PreVote'],
  ['rv', 'RequestVote'],
  ['ae', 'AppendEntries'],
  ['hb', 'heartbeat'],
  ['ok', 'granted / success'],
  ['no', 'refused / failure'],
];

/**
 * The Simulation options this mechanism reads from the element's attributes (`attr(name)`):
 * snapshot-interval, election-timeout-ms ("150-300"), heartbeat-ms, and pre-vote, check-quorum,
 * read-index ("on" / "off").
 */
export function options(attr, { range, onOff }) {
  // Snapshots every 20 applied entries by default here, so that learners see one happen.
  const snap = attr('snapshot-interval');
  const o = { snapshotInterval: snap === null ? 20 : snap === 'off' ? null : Number(snap) };
  if (attr('election-timeout-ms') !== null) o.electionTimeoutMs = range(attr('election-timeout-ms'));
  if (attr('heartbeat-ms') !== null) o.heartbeatMs = Number(attr('heartbeat-ms'));
  for (const [a, k] of [['pre-vote', 'preVote'], ['check-quorum', 'checkQuorum'], ['read-index', 'readIndex']]) if (attr(a) !== null) o[k] = onOff(attr(a));
  return o;
}

/** The k-th value decided (the event cp-commit): entry k's command, while a log still holds it. */
export function commit(nodes, k) {
  for (const n of nodes) for (const e of n.log) if (e.index === k) return { value: e.command };
}

export const hint = 'Click a node (or focus it and press Enter) to start an election, crash or restart it, or send it a client request. Click a message in flight to drop it.';
export const routine = ['Show heartbeats', 'Heartbeats and replies that change nothing'];

export const experiments = {
  summary: 'Experiments — the Raft paper’s Figure 16',
  load: () => import('../experiments.js'),
  css: 'experiments.css',
};

export function describeMessage(m) {
  switch (m.kind) {
    case 'RequestVote':
      return `RequestVote from ${m.from} to ${m.to}: term ${m.term}, lastLogIndex ${m.lastLogIndex}, lastLogTerm ${m.lastLogTerm}`;
    case 'RequestVoteResponse':
      return `RequestVote reply from ${m.from} to ${m.to}: term ${m.term}, vote ${m.voteGranted ? 'granted' : 'refused'}`;
    case 'InstallSnapshot':
      return `InstallSnapshot from ${m.from} to ${m.to}: term ${m.term}, snapshot of entries 1–${m.lastIncludedIndex} (last term ${m.lastIncludedTerm})`;
    case 'InstallSnapshotResponse':
      return `InstallSnapshot reply from ${m.from} to ${m.to}: term ${m.term}, matches up to ${m.matchIndex}`;
    case 'TimeoutNow':
      return `TimeoutNow from ${m.from} to ${m.to}: start an election now (term ${m.term})`;
    case 'PreVote':
      return `PreVote from ${m.from} to ${m.to}: would you vote for me in term ${m.term}? lastLogIndex ${m.lastLogIndex}, lastLogTerm ${m.lastLogTerm}`;
    case 'PreVoteResponse':
      return `PreVote reply from ${m.from} to ${m.to}: ${m.voteGranted ? 'yes' : 'no'} (term ${m.term})`;
    case 'AppendEntries':
      return `AppendEntries from ${m.from} to ${m.to}: term ${m.term}, prevLogIndex ${m.prevLogIndex}, prevLogTerm ${m.prevLogTerm}, ${m.entries.length} entries, leaderCommit ${m.leaderCommit}`;
    default:
      return `AppendEntries reply from ${m.from} to ${m.to}: term ${m.term}, ${m.success ? `success, matchIndex ${m.matchIndex}` : 'failure'}`;
  }
}

// Votes are circles, log traffic squares, TimeoutNow a diamond; replies are green or red.
const VOTE = ['circle', { r: 8 }];
const PRE_VOTE = ['circle', { r: 7 }];
const SQUARE = ['rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 }];
const yes = (ok) => (ok ? '✓' : '✗');

export function messageShape(m) {
  switch (m.kind) {
    case 'RequestVote':
      return { cls: 'cp-rv', shape: VOTE };
    case 'RequestVoteResponse':
      return { cls: m.voteGranted ? 'cp-ok' : 'cp-no', shape: VOTE, glyph: yes(m.voteGranted) };
    case 'PreVote':
      return { cls: 'cp-pv', shape: PRE_VOTE, glyph: '?' };
    case 'PreVoteResponse':
      return { cls: m.voteGranted ? 'cp-pv-ok' : 'cp-pv-no', shape: PRE_VOTE, glyph: yes(m.voteGranted) };
    case 'InstallSnapshot':
      return { cls: 'cp-is', shape: ['rect', { x: -9, y: -7, width: 18, height: 14, rx: 2 }], glyph: 'S' };
    case 'InstallSnapshotResponse':
      return { cls: m.matchIndex > 0 ? 'cp-ok' : 'cp-no', shape: SQUARE, glyph: yes(m.matchIndex > 0) };
    case 'TimeoutNow':
      return { cls: 'cp-tn', shape: ['rect', { x: -7, y: -7, width: 14, height: 14, transform: 'rotate(45)' }], glyph: '!' };
    case 'AppendEntries':
      return { cls: m.entries.length ? 'cp-ae' : 'cp-hb', shape: SQUARE, glyph: m.entries.length ? String(m.entries.length) : '' };
    default:
      return { cls: m.success ? 'cp-ok' : 'cp-no', shape: SQUARE, glyph: yes(m.success) };
  }
}

export function nodeLabel(n, nodes) {
  const state = n.removed ? 'removed' : n.crashed ? 'crashed' : n.state;
  let sub = state;
  if (state === 'candidate') sub = `candidate ${n.votes}/${nodes.length}`;
  if (state === 'follower' && n.preVotes > 0) sub = `pre-vote ${n.preVotes}/${nodes.length}`;
  if (n.paused) sub = `paused ${n.state}`;
  return {
    state,
    number: String(n.currentTerm),
    sub,
    label: `${n.id}: ${state}${n.paused ? ' (paused)' : ''}, term ${n.currentTerm}`,
    data: { term: n.currentTerm },
    timer: n.crashed ? null : [n.electionTimerStart, n.electionDeadline],
  };
}

export const toolbar = [
  {
    slot: 'cluster',
    text: 'Add node',
    title: 'The leader adds a new server to the configuration (§4.1)',
    run: (cx) => cx.act((s) => s.addNode()),
    // The simulator's limit (nodes 1–16, removed ones included), and addNode's first rule.
    disabled: (cx) => (cx.sim.ids.length >= 16 ? 'The cluster has 16 nodes, the most the ring holds' : !cx.sim.leader() ? 'No leader to add a server: wait for an election' : null),
  },
  { slot: 'clients', text: 'Client request', title: 'Send a client command to the leader', run: (cx) => cx.clientRequest() },
];

export function nodeActions(n, cx, common) {
  const id = n.id;
  const leader = cx.sim.leader();
  // The same buttons in the same places whatever the node's state (issue #14 §5: nothing moves
  // under the pointer); those that cannot act now are disabled and say why.
  const down = n.crashed ? 'It is crashed' : n.paused ? 'It is paused' : null;
  return [
    // A leader has no election timer to fire (§5.2).
    { text: 'Start election', title: 'As if its election timer fired (§5.2)', run: () => cx.act((s) => s.startElection(id)), disabled: down ?? (n.state === 'leader' ? 'It leads: a leader has no election timer to fire (§5.2)' : null) },
    n.crashed ? common.crash : { ...common.crash, title: 'Stop it; its disk (term, vote, log) survives' },
    { text: 'Client request', title: 'A client sends a command to this node', run: () => cx.clientRequest(id), disabled: n.crashed ? 'It is crashed' : null },
    {
      text: 'Transfer leadership here',
      title: 'The leader brings this node up to date, then tells it to start an election now (TimeoutNow, §3.10)',
      run: () => cx.act((s) => s.transferLeadership(id)),
      disabled: down ?? (n.state === 'leader' ? 'It leads already' : !leader ? 'No leader to transfer from' : null),
    },
    common.pause,
    { text: 'Remove from cluster', title: 'The leader appends a configuration without this server (§4.1)', run: () => cx.act((s) => s.removeNode(id)), disabled: n.crashed ? 'It is crashed' : !leader ? 'No leader to remove it' : null },
    common.isolate,
  ];
}

export function nodeDetails(n) {
  const rows = [
    ['state', n.crashed ? `crashed (was ${n.state})` : n.state],
    ['configuration', n.members.join(' ')],
    ['currentTerm', n.currentTerm],
    ['votedFor', n.votedFor ?? 'null'],
    ['commitIndex', n.commitIndex],
    ['lastApplied', n.lastApplied],
    ['log', n.log.length ? `entries ${n.log[0].index}–${n.log[n.log.length - 1].index}` : 'empty'],
  ];
  if (n.snapshotIndex > 0) rows.push(['snapshot', `entries 1–${n.snapshotIndex} (term ${n.snapshotTerm})`]);
  const store = Object.entries(n.kv);
  if (store.length) rows.push(['store', store.map(([k, v]) => `${k}=${v}`).join('  ')]);
  if (n.state === 'leader' && !n.crashed) {
    rows.push(['nextIndex', Object.entries(n.nextIndex).map(([k, v]) => `${k}:${v}`).join(' ')]);
    rows.push(['matchIndex', Object.entries(n.matchIndex).map(([k, v]) => `${k}:${v}`).join(' ')]);
  } else if (n.leaderId) {
    rows.push(['knows leader', n.leaderId]);
  }
  return rows;
}

/** An entry's colour: one hue per term. */
const termColor = (term) => `hsl(${(term * 67 + 200) % 360} 70% 84%)`;
const COLS = 24; // log indices shown: the latest (the grid scrolls; the newest stay in view)

/**
 * The Logs panel: one grid aligned by log index, a row per server (the leader marked), a cell
 * per entry showing its term (a colour per term; solid once committed, a bar after commitIndex;
 * entries compacted into a snapshot as one hatched cell, §7), under each follower's row the
 * leader's nextIndex ("next") and matchIndex ("match") for it (§5.3), and the index a violation
 * names highlighted.
 */
export function panel(cx) {
  const { el } = cx.dom;
  const head = el('tr');
  const body = el('tbody');
  const scroll = el('div', { class: 'cp-grid-scroll' }, el('table', { class: 'cp-grid' }, el('thead', {}, head), body));
  const root = el(
    'section',
    { class: 'cp-panel cp-logs', 'aria-label': 'Logs' },
    el('h3', { text: 'Logs' }, el('span', { class: 'cp-hint', text: ' (each entry’s term by index; solid = committed, bar = commitIndex; under a follower, the leader’s nextIndex and matchIndex)' })),
    scroll,
  );
  let sig = '';
  let shown; // the index a violation names, scrolled to
  return {
    root,
    layout() {
      sig = '';
    },
    update(nodes, violations = []) {
      const bad = violations.find((v) => v.index)?.index;
      const lead = nodes.filter((n) => n.state === 'leader' && !n.crashed).sort((a, b) => b.currentTerm - a.currentTerm)[0];
      const lastOf = (n) => n.log.at(-1)?.index ?? n.snapshotIndex;
      let hi = Math.max(0, ...nodes.map(lastOf));
      if (lead) hi = Math.max(hi, ...Object.values(lead.nextIndex));
      // The index a violation names stays in view (within a few screens of the newest).
      const lo = Math.max(1, Math.min(hi - COLS + 1, bad ?? hi), hi - 4 * COLS);
      const s = JSON.stringify([bad, lo, hi, lead?.id, lead?.nextIndex, lead?.matchIndex, nodes.map((n) => [n.state, n.crashed, n.snapshotIndex, n.commitIndex, n.log.filter((e) => e.index >= lo).map((e) => e.term)])]);
      if (s === sig) return;
      sig = s;
      const cols = [];
      for (let k = lo; k <= hi; k++) cols.push(k);
      const more = () => (lo > 1 ? [el('td')] : []);
      head.replaceChildren(
        el('th', { scope: 'col', text: 'index' }),
        ...(lo > 1 ? [el('th', { scope: 'col', text: '…' })] : []),
        ...cols.map((k) => el('th', { scope: 'col', text: String(k), 'data-col': String(k), ...(k === bad ? { class: 'cp-bad' } : {}) })),
      );
      const rows = [];
      for (const n of nodes) {
        const leads = n === lead;
        const by = new Map(n.log.map((e) => [e.index, e]));
        const cells = more();
        const snap = Math.min(n.snapshotIndex, hi) - lo + 1; // compacted columns in view
        if (snap > 0) {
          const t = `snapshot 1–${n.snapshotIndex}`;
          cells.push(el('td', { class: 'cp-snap', colspan: String(snap), 'data-snapshot': String(n.snapshotIndex), text: snap > 2 ? t : 'S', title: `${t} (last term ${n.snapshotTerm}), compacted (§7)` }));
        }
        for (const k of cols.slice(Math.max(0, snap))) {
          const e = by.get(k);
          const a = { ...(k === n.commitIndex ? { 'data-commit-index': '' } : {}) };
          if (k === bad) a.class = 'cp-bad';
          if (!e) {
            cells.push(el('td', a));
            continue;
          }
          const committed = k <= n.commitIndex;
          const config = e.command && typeof e.command === 'object' && Array.isArray(e.command.$config);
          const cmd = e.command === null ? 'no-op (§8)' : config ? `configuration ${e.command.$config.join(' ')} (§4.1)` : JSON.stringify(e.command);
          const c = el('td', { ...a, class: `cp-entry${config ? ' cp-config-entry' : ''}${k === bad ? ' cp-bad' : ''}`, 'data-entry': String(k), 'data-entry-term': String(e.term), 'data-committed': String(committed), text: String(e.term), title: `${n.id}, index ${k}, term ${e.term}: ${cmd}${committed ? ', committed' : ', not committed yet'}` });
          c.style.background = termColor(e.term);
          cells.push(c);
        }
        const role = n.removed ? 'removed' : n.crashed ? 'crashed' : n.state === 'follower' ? '' : n.state;
        rows.push(el('tr', { 'data-log-of': n.id, class: `${leads ? 'cp-leader-row' : ''}${n.crashed ? ' cp-crashed' : ''}` }, el('th', { scope: 'row' }, n.id, el('small', { text: role })), ...cells));
        // The leader's progress for this follower (§5.3): its nextIndex and matchIndex.
        const next = lead?.nextIndex[n.id];
        if (next === undefined || leads) continue;
        const match = lead.matchIndex[n.id];
        const what = `the leader ${lead.id}’s nextIndex ${next} and matchIndex ${match} for ${n.id}`;
        rows.push(
          el(
            'tr',
            { class: 'cp-grid-progress', 'data-progress-of': n.id, 'data-next': String(next), 'data-match': String(match) },
            el('th', { scope: 'row', text: '↳', title: what, 'aria-label': what }),
            ...more(),
            ...cols.map((k) => (k === next ? el('td', { 'data-next': '', text: 'next' }) : k === match ? el('td', { 'data-match': '', text: 'match' }) : el('td'))),
          ),
        );
      }
      body.replaceChildren(...rows);
      // The newest stay in view by CSS (the box scrolls from its right end); the column a
      // violation names is scrolled to when it appears.
      const th = bad !== shown && head.querySelector('.cp-bad');
      if (th) scroll.scrollLeft += th.getBoundingClientRect().left - scroll.getBoundingClientRect().left - 60;
      shown = bad;
    },
  };
}
