// agents.html (issue #15 §2): this tab is one agent of a cluster of browser tabs over
// BroadcastChannel. The page only finds a free place for the tab, wires the agent to the channel
// and shows what it reports; every vote and append is the Rust core's (www/agents/, www/pkg/).
//
// Places: a cluster of `n` agents named agent-1 … agent-n (the agents' member list is fixed, as
// the cores want it). A tab asks on the room's lobby channel who holds which place, waits a
// moment for the answers, and takes the lowest place never taken in this room (or ?id=). Tabs
// say "here" four times a second, with every place they know was taken. A Raft agent keeps its
// durable state (currentTerm, votedFor, log and snapshot, Figure 2) in localStorage under the
// room and its id, written before anything it sends leaves, so a place whose tab closed can be
// taken again by a new tab, which restarts the agent from that state (a restart after a crash).
// Without it (other mechanisms, or no localStorage) the place stays down: an agent that came
// back empty would break what the others remember of it (a leader's matchIndex for it never goes
// back, so it would never catch up). Two tabs that took the same place at once: the one with the
// larger token gives it up and looks again.
import { ConsensusTrait, EVENTS, MECHANISM_NAMES, connectBroadcastChannel } from 'consensus-playground';

const params = new URLSearchParams(location.search);
const mechanism = params.get('mechanism') ?? 'raft';
const room = params.get('room') ?? 'default';
const size = Math.min(9, Math.max(1, Number(params.get('n')) || (mechanism === 'pbft' ? 4 : 3)));
const ids = Array.from({ length: size }, (_, i) => `agent-${i + 1}`);
const token = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
const $ = (id) => document.getElementById(id);
const status = (text) => ($('status').textContent = text);

if (!MECHANISM_NAMES.includes(mechanism)) {
  status(`Unknown mechanism "${mechanism}": use one of ${MECHANISM_NAMES.join(', ')} (?mechanism=…).`);
  throw new Error(`mechanism must be one of ${MECHANISM_NAMES.join(', ')}`);
}

const lobby = new BroadcastChannel(`consensus-playground-agents-lobby-${room}`);
const held = new Map(); // place → {token, at}
const used = new Set(); // every place taken in this room, as far as this tab knows
let me = null;
let agent = null;
let link = null;

const announce = () => lobby.postMessage({ type: 'here', id: me, token, used: [...used] });
lobby.onmessage = ({ data }) => {
  if (data?.type === 'who') announce();
  else if (data?.type === 'bye') held.delete(data.id);
  else if (data?.type === 'here') {
    for (const id of Array.isArray(data.used) ? data.used : []) if (ids.includes(id) && id !== me) used.add(id);
    if (typeof data.id !== 'string') return;
    used.add(data.id);
    held.set(data.id, { token: data.token, at: Date.now() });
    if (data.id === me && data.token < token) yieldPlace();
  }
};

const free = () => ids.filter((id) => !used.has(id));

/** Raft: localStorage for this room's agents (null when the browser refuses it). */
const storage = (() => {
  if (mechanism !== 'raft') return null;
  try {
    const key = (k) => `consensus-playground-agents/${room}/${k}`;
    localStorage.getItem(key('probe'));
    return { getItem: (k) => localStorage.getItem(key(k)), setItem: (k, v) => localStorage.setItem(key(k), v) };
  } catch {
    return null;
  }
})();
/** Places taken before whose tab is gone (no "here" for 2 s) and whose agent left its durable state here: a tab may restart them. */
const restartable = () => ids.filter((id) => used.has(id) && !(held.get(id)?.at > Date.now() - 2000) && storage?.getItem(`consensus-trait/${id}`) != null);

function claim() {
  const wanted = params.get('id');
  const open = [...free(), ...restartable()];
  me = wanted ? (open.includes(wanted) ? wanted : null) : open[0] ?? null;
  if (!me) {
    const down = ids.filter((id) => !(held.get(id)?.at > Date.now() - 2000));
    status(down.length
      ? `No place left in room "${room}": ${down.join(', ')} crashed with ${down.length === 1 ? 'its tab' : 'their tabs'} and stay${down.length === 1 ? 's' : ''} down, since ${down.length === 1 ? 'its' : 'their'} durable state (term, vote, log) went with ${down.length === 1 ? 'it' : 'them'}. Open agents.html?room=another for a new cluster.`
      : `The cluster in room "${room}" is full (${size} agents). Open agents.html?room=another for a new cluster.`);
    document.body.dataset.full = '';
    setTimeout(claim, 1000);
    return;
  }
  used.add(me);
  announce();
  start();
}

function yieldPlace() {
  agent?.stop();
  link?.close();
  used.delete(me);
  [agent, link, me] = [null, null, null];
  status('Another tab took this place at the same moment: looking again…');
  setTimeout(claim, 300 + Math.random() * 300);
}

function start() {
  const durable = storage ? { storage, snapshotInterval: 50 } : {};
  agent = new ConsensusTrait(me, { mechanism, nodes: ids, timeout: 2000, heartbeatInterval: 100, electionTimeout: [400, 800], seed: Math.floor(Math.random() * 1e9), ...durable });
  link = connectBroadcastChannel(agent, `consensus-playground-agents-${room}`, { onError: (e) => note(`a message was refused: ${e.message}`) });
  for (const event of EVENTS) agent.on(event, (...args) => note(describe(event, args)));
  agent.start();
  document.title = `${me} — agents in tabs`;
  $('agent-id').textContent = me;
  document.body.dataset.agentId = me;
  $('mechanism').textContent = `${mechanism}, ${size} agents (room "${room}")`;
  const back = agent.getDebugState().restarted;
  if (back) document.body.dataset.restarted = '';
  status(back
    ? `This tab is ${me}, restarted from the durable state its agent left in this browser (term ${agent.getDebugState().currentTerm}): it catches up from the leader.`
    : `This tab is ${me}. Open more tabs of this page to fill the cluster (${size} places); close one to crash its agent${storage ? ', and open another to restart it' : ''}.`);
}

// ---- what the agent reports ------------------------------------------------------------------

const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
/** A log entry's command as the agents write it ({proposalId, key, value}), or the new leader's no-op (null). */
const command = (c) => (c === null ? 'no-op (a new leader’s first entry)' : c && typeof c.key === 'string' ? `${c.key} = ${text(c.value)}` : text(c));

function describe(event, args) {
  switch (event) {
    case 'leader:elected': return `${args[0]} is the leader (term ${args[1]})`;
    case 'state:changed': return `${args[0]} = ${text(args[1])}`;
    case 'log:appended': return `log entry ${args[0].index} appended (term ${args[0].term})`;
    case 'node:unreachable': return `${args[0]} is unreachable`;
    case 'node:reconnected': return `${args[0]} is back`;
    case 'partition:detected': return `cut off: this side (${args[0].side}) reaches ${args[0].reachable.join(', ') || 'nobody'}`;
    case 'partition:healed': return 'reaches a quorum again';
    case 'vote:requested': return `${args[0]} asks for a vote (${args[1]})`;
    case 'vote:granted': return `votes for ${args[0]} (${args[1]})`;
    default: return `${event}: ${args[0]?.key ?? ''} ${args[0]?.error ?? ''}`.trim();
  }
}

const events = [];
function note(line) {
  events.unshift(`${new Date().toLocaleTimeString()} ${line}`);
  events.length = Math.min(events.length, 10);
  $('events').replaceChildren(...events.map((e) => Object.assign(document.createElement('li'), { textContent: e })));
  renderSoon();
}

// One render for a burst of events (an AppendEntries can append many entries at once): reading
// the agent's state costs in proportion to its log.
let renderQueued = false;
function renderSoon() {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(() => {
    renderQueued = false;
    render();
  });
}

/** The core's log, newest first: Raft's entries, Paxos's accepted slots, PBFT's sequence numbers. */
function logLines(d) {
  const v = d.coreView ?? {};
  if (Array.isArray(v.log) && d.core === 'raft') return v.log.slice(-10).reverse().map((e) => [e.index, `term ${e.term}: ${command(e.command)}`, e.index <= d.commitIndex]);
  if (Array.isArray(v.log) && d.core === 'pbft') return v.log.slice(-10).reverse().map((e) => [e.seq, `view ${e.view}: ${e.phase}`, e.seq <= d.commitIndex]);
  if (Array.isArray(v.accepted)) return v.accepted.slice(-10).reverse().map((e) => [e.slot, text(e.value ?? e), e.slot <= d.commitIndex]);
  return [];
}

function render() {
  if (!agent) return;
  const d = agent.getDebugState();
  const role = d.role ?? '—';
  $('role').textContent = role;
  $('role').dataset.role = role;
  $('term-label').textContent = d.core === 'pbft' ? 'view' : d.core === 'paxos' ? 'ballot' : 'term';
  $('term').textContent = d.currentTerm ?? '—';
  $('leader').textContent = d.leaderId ?? 'none known';
  document.body.dataset.leader = d.leaderId ?? '';
  $('commit').textContent = `${d.commitIndex} of ${d.logLength}${d.partition === 'minority' ? ' — no quorum: read-only' : ''}`;
  const reach = new Set(d.reachable);
  $('peers').replaceChildren(...ids.map((id) => Object.assign(document.createElement('span'), { textContent: id === me ? `${id} (this tab)` : id, title: id === me || reach.has(id) ? 'reachable' : 'unreachable' })));
  for (const span of $('peers').children) span.dataset.reachable = String(span.title === 'reachable');
  const rows = Object.entries(d.values).sort(([a], [b]) => a.localeCompare(b));
  $('state').replaceChildren(...(rows.length ? rows : [['(empty)', '']]).map(([k, v]) => {
    const tr = document.createElement('tr');
    tr.dataset.key = k;
    tr.append(Object.assign(document.createElement('td'), { textContent: k }), Object.assign(document.createElement('td'), { textContent: v === '' ? '' : text(v) }));
    return tr;
  }));
  const lines = logLines(d);
  $('log').replaceChildren(...(lines.length ? lines : [[null, d.core === 'raft' || d.core === 'paxos' || d.core === 'pbft' ? 'empty' : 'no log: this mechanism keeps none', false]]).map(([i, t, done]) => Object.assign(document.createElement('li'), { value: i ?? 0, textContent: `${t}${done ? '' : ' (not committed)'}` })));
}

$('propose').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!agent) return;
  const form = new FormData(e.target);
  let value = String(form.get('value'));
  try {
    value = JSON.parse(value);
  } catch {
    // a plain string
  }
  $('result').textContent = 'Proposing…';
  const r = await agent.proposeWithResult(String(form.get('key')), value);
  render();
  $('result').dataset.ok = String(r.accepted);
  $('result').textContent = r.accepted ? `Accepted${r.index ? ` at ${r.index}` : ''}: ${r.key} = ${text(r.value)}` : `Not accepted (${r.status}): ${r.error}`;
});

setInterval(() => {
  announce();
  render();
}, 250);
addEventListener('pagehide', () => {
  if (me) lobby.postMessage({ type: 'bye', id: me });
  agent?.stop();
});
lobby.postMessage({ type: 'who' });
setTimeout(claim, 400);
