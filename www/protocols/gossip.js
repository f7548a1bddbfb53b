// Gossip's part of <consensus-playground protocol="gossip"> (the contract: www/stage/contract.js):
// Demers et al., "Epidemic Algorithms for Replicated Database Maintenance" (PODC 1987). Every
// agent holds a replica of a key-value map; a write goes to one agent, and anti-entropy spreads
// it: every interval each agent picks `fanout` peers at random and compares digests with them
// (push, pull or push-pull). This module draws, for one watched key (x), which agents are
// susceptible (lack its newest version), infective (hold it and spread it) or removed (hold it
// and no longer spread it: rumor mongering's lost interest), as the wasm core's agentStates
// says.
//
// Up to 30 agents: the stage's ring, with the messages (Digest, Reply, Entries, Rumor, RumorAck,
// RumorPull) in flight, run on the main thread. From 31 agents (up to 10,000): a scene of its
// own in place of the ring (contract: dense, scene) — a grid of cells, one per agent, and the
// fraction informed against time beside the curve theory predicts (gossipTheory) — whose
// simulation runs in a Web Worker (www/gossip-worker.js), which posts each frame's states as
// one byte per agent. Every step happens in the wasm core; this module draws, forwards clicks
// and chooses which agents a "crash 10%" hits (a seeded shuffle). Apart from its wasm glue it
// imports nothing: what it needs comes from the stage (cx).
//
// Collective validation (issue #13 §6; attributes attestations, liars, sybil): agents publish
// claims, attest them and decide at k agreeing attestations, all in the wasm core
// (publishClaim, tally, verdicts). This module picks which agents lie (a seeded shuffle, as for
// crashes) and passes them as the Simulation's `byzantine` option, colours each agent by its
// verdict on the latest claim, and charts what the core measures for k = 1, 3, 5 and 9 (runs of
// their own, in a worker). The section's controls, tally and chart are www/protocols/gossip-attest.js
// (and gossip-attest.css), fetched when a run starts with attestations on.
import init, { Simulation } from '../pkg/consensus_playground.js';

export const name = 'gossip';
// No leader to send KV clients' requests to: writes go to an agent (the panel's Write).
export const kvClients = false;

// The wasm core. In www/dist/ the build swaps in a build hosting gossip alone (pkg/gossip_bg.wasm).
export { Simulation };
export const load = () => init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });

const CSS = 'protocols/gossip.css';
// The dense view's worker: www/gossip-worker.js. In www/dist/ the build makes two: one on the
// gossip widget's wasm, one on the wasm that hosts every mechanism, for pages that loaded that.
const WORKER = new URL('../gossip-worker.js', import.meta.url);
const WORKER_COMBINED = new URL('../gossip-worker.js#combined', import.meta.url);

/** The key whose spread the colours show. */
const KEY = 'x';
/** agentStates' codes (Demers' terms), in order. */
const STATES = ['susceptible', 'infective', 'removed', 'crashed'];
const SAYS = {
  susceptible: `lacks the newest ${KEY}`,
  infective: `holds the newest ${KEY} and spreads it`,
  removed: `holds the newest ${KEY}, not as a hot rumor`,
  crashed: 'crashed',
};
/** From this many agents on, the dense view replaces the ring. */
const DENSE = 31;
const AGENTS = [16, 100, 1000, 10000];
const MODES = ['push', 'pull', 'push-pull'];
const FANOUTS = [1, 2, 3, 4];
const INTERVALS = [50, 100, 200, 500];
const LOSSES = [0, 0.1, 0.25, 0.5];
const RUMORS = ['off', 'on'];
/** Each setting's value when its attribute is absent (the Simulation's defaults, as the select shows them). */
const DEFAULTS = { mode: 'push-pull', fanout: '1', 'interval-ms': '100', 'drop-rate': '0', rumors: 'off' };
const num = (x) => x.toLocaleString('en-US');

// ---- collective validation: settings ----------------------------------------------------------

/** Every agent ends up holding every attestation: at most this many agents attest. */
const ATTEST_MAX = 100;
const KS = [1, 3, 5, 9];
const ACCURACIES = [0.8, 0.95, 1];
const LIAR_SHARES = [0, 0.1, 0.2, 0.3, 0.4];
/** Runs per k in the chart. */
const SWEEP_RUNS = 6;
/** verdicts' codes, in order. */
const VERDICTS = ['undecided', 'accepted', 'rejected', 'crashed'];
const GLYPHS = ['?', '✓', '✗', ''];
const pct = (f) => `${Math.round(f * 100)}%`;

/**
 * The `attestations` attribute as the Simulation's option: absent or `off`, null; `on` (or
 * empty), the defaults; else tokens `k=5`, `accuracy=0.95`, `members-only`, `sybils=4`.
 */
function attestationsOf(text) {
  if (text === null || text === 'off') return null;
  const a = {};
  for (const t of text.split(/[\s,]+/).filter(Boolean)) {
    const [key, v] = t.split('=');
    if (key === 'members-only') a.membersOnly = v !== 'off' && v !== 'false';
    else if (['k', 'accuracy', 'sybils'].includes(key)) a[key] = Number(v);
  }
  return a;
}

/** The attribute's text for attestations `a`. */
const attestationsText = (a) => [`k=${a.k ?? 3}`, `accuracy=${a.accuracy ?? 0.95}`, ...(a.membersOnly ? ['members-only'] : []), ...(a.sybils !== undefined ? [`sybils=${a.sybils}`] : [])].join(',');

/** `liars`: `20%`, a fraction (`0.2`) or a count (`3`) of the agents. */
function liarCount(text, n) {
  if (!text) return 0;
  const x = parseFloat(text);
  if (!Number.isFinite(x) || x <= 0) return 0;
  return Math.min(n - 1, text.trim().endsWith('%') ? Math.round((x / 100) * n) : x < 1 ? Math.round(x * n) : Math.round(x));
}

/** `sybil`: present (empty or `on`), one liar is a Sybil; `off` or absent, none. */
const sybilOn = (text) => text !== null && text !== 'off';

/**
 * The traitors the attributes ask for, [id, behaviour] each: `liars` of the agents drawn by a
 * seeded shuffle (the run's seed), the first of them a Sybil when `sybil` is on (a Sybil alone
 * if there are no liars). Only with attestations on.
 */
function traitorsOf(attr, n) {
  if (!attestationsOf(attr('attestations'))) return [];
  let k = liarCount(attr('liars'), n);
  const sybil = sybilOn(attr('sybil'));
  if (sybil) k = Math.max(k, 1);
  const seed = (Number(attr('seed') ?? 7) || 0) ^ 0x11a5;
  const ids = pick([...Array(n).keys()], Math.min(k, n - 1), seed).map((i) => `n${i + 1}`);
  return ids.map((id, i) => [id, sybil && i === 0 ? 'sybil' : 'lie']);
}

export const legend = [
  ['gs-susceptible', 'susceptible'],
  ['gs-infective', 'infective'],
  ['gs-removed', 'removed'],
  ['crashed', 'crashed'],
  ['gs-digest', 'Digest'],
  ['gs-reply', 'Reply'],
  ['gs-entries', 'Entries'],
  ['gs-rumor', 'Rumor'],
  ['gs-ack', 'RumorAck'],
  ['gs-pull', 'RumorPull'],
];

/**
 * The Simulation options this mechanism reads from the element's attributes: mode (push, pull,
 * push-pull), fanout, interval-ms (anti-entropy's round), drop-rate (the network's loss) and
 * rumors (on: rumor mongering too, Demers' §1.4, push with feedback and a counter, k = 2).
 */
export function options(attr) {
  const o = {};
  const n = (a) => attr(a) !== null && attr(a) !== '';
  if (n('mode')) o.mode = attr('mode');
  if (n('fanout')) o.fanout = Number(attr('fanout'));
  if (n('interval-ms')) o.intervalMs = Number(attr('interval-ms'));
  if (n('drop-rate')) o.dropRate = Number(attr('drop-rate'));
  // Rumor mongering on top of anti-entropy (push, feedback, counter, k = 2), at the same interval.
  if (attr('rumors') === 'on') o.rumors = o.intervalMs ? { intervalMs: o.intervalMs } : {};
  // Collective validation: at most ATTEST_MAX agents; the liars as traitors from the start.
  const a = attestationsOf(attr('attestations'));
  if (a) {
    o.attestations = a;
    const size = Math.min(Number(attr('nodes') ?? 5) || 5, ATTEST_MAX);
    if (Number(attr('nodes')) > ATTEST_MAX) o.nodes = ATTEST_MAX;
    const t = traitorsOf(attr, size);
    if (t.length) o.byzantine = Object.fromEntries(t);
  }
  return o;
}

/** From 31 agents on, the scene (the dense view, run in a worker) replaces the ring. */
export const dense = (o) => Number(o.nodes) >= DENSE;

export const hint = `Click an agent (or focus it and press Enter) to write a value of ${KEY} there, or to crash or isolate it. Each agent’s colour says whether it holds the newest ${KEY}; the number inside is the value it holds.`;
export const routine = ['Show routine events', 'Exchanges that changed nothing'];

// ---- per widget -------------------------------------------------------------------------------

/** What one widget remembers, keyed by its stage (cx): the writes, the crash clicks, its scene. */
const widgets = new WeakMap();
function widget(cx) {
  let w = widgets.get(cx);
  if (!w) widgets.set(cx, (w = { writes: 0, crashes: 0, last: null, scene: null, panel: null, seed: 0, claims: 0, claim: null, traitors: [] }));
  return w;
}

/**
 * `k` of the agent indices `from`, drawn by a seeded shuffle (mulberry32): which agents a
 * "crash 10%" hits. The same seed and clicks hit the same agents.
 */
function pick(from, k, seed) {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const xs = [...from];
  k = Math.min(k, xs.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (xs.length - i));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs.slice(0, k);
}

/** The tally of an agentStates array: [susceptible, infective, removed, crashed]. */
function tally(states) {
  const c = [0, 0, 0, 0];
  for (const s of states) c[s]++;
  return c;
}

/** `a` or `random`, as the Write field says: n12 or 12 names agent n12; empty is random. */
const agentOf = (text) => {
  const t = text.trim();
  return t === '' ? null : /^\d+$/.test(t) ? `n${t}` : t;
};

// ---- the ring (up to 30 agents) ---------------------------------------------------------------

/**
 * agentStates for one frame's node views (memoized by that array): state and index per agent,
 * and while a claim is shown, every agent's verdict on it (the core's verdicts).
 */
const frames = new WeakMap();
function statesOf(cx, nodes) {
  let f = frames.get(nodes);
  if (!f) {
    let states = null;
    let verdicts = null;
    if (cx && !widget(cx).scene) fromStores(widget(cx), nodes);
    const claim = cx && widget(cx).claim;
    try {
      states = cx?.sim?.agentStates(KEY) ?? null;
      if (claim) verdicts = cx.sim.verdicts(claim.id);
    } catch {
      states = null;
    }
    f = { states, verdicts, claim, index: new Map(nodes.map((n, i) => [n.id, i])) };
    frames.set(nodes, f);
  }
  return f;
}

/** The entry with the newest version (logical clock, then writer) any agent holds among the keys passing `test`. */
function newest(nodes, test) {
  let best = null;
  for (const n of nodes)
    for (const e of n.store ?? []) if (test(e.key) && (!best || e.version.ts > best.version.ts || (e.version.ts === best.version.ts && e.version.writer > best.version.writer))) best = e;
  return best;
}

/**
 * What the panel says about x and about the latest claim, read from the agents' stores (small
 * view): a scenario's write or claim, a replayed link and a step back in time show as the page's
 * own clicks do. A claim the page published keeps its publish time (its time to decide is
 * shown); one it only finds in the stores has none (null).
 */
function fromStores(w, nodes) {
  const x = newest(nodes, (k) => k === KEY);
  w.last = x && { at: x.version.writer, version: x.version, value: x.deleted ? '∅' : x.value };
  const kept = (id) => nodes.some((n) => n.store?.some((e) => e.key === `claim/${id}`));
  if (w.claim && kept(w.claim.id)) return;
  const c = newest(nodes, (k) => k.startsWith('claim/'));
  const t = c && w.traitors.find(([id]) => id === c.version.writer);
  w.claim = c && { id: c.key.slice(6), truth: c.value === 'true', t: null, at: c.version.writer, by: t ? (t[1] === 'sybil' ? 'the Sybil' : 'a liar') : 'an honest agent' };
  legendShowsClaims(w.attest?.root.closest('consensus-playground'), !!c);
}

const versionText = (v) => (v ? `${v.ts}@${v.writer}` : '—');
const held = (n) => n.store?.find((e) => e.key === KEY);

/** A claim as the page says it: `claim c2 (false)`. */
const claimText = (c) => `claim ${c.id} (${c.truth ? 'true' : 'false'})`;

/** The attestations of claim `id` agent `n` holds, as its node view lists them: [valid, invalid]. */
function attestationsHeld(n, id) {
  const c = [0, 0];
  for (const e of n.store ?? []) if (e.key.startsWith(`att/${id}/`)) c[e.value === 'valid' ? 0 : 1]++;
  return c;
}

export function nodeLabel(n, nodes, cx) {
  const { states, verdicts, claim, index } = statesOf(cx, nodes);
  const code = n.crashed ? 3 : (states?.[index.get(n.id)] ?? 0);
  const epidemic = STATES[code];
  const e = held(n);
  const value = e ? (e.deleted ? '∅' : String(e.value)) : '·';
  if (verdicts) {
    // Collective validation: the colour and the glyph say the agent's verdict on the latest claim.
    const v = n.crashed ? 3 : (verdicts[index.get(n.id)] ?? 0);
    const verdict = VERDICTS[v];
    const [valid, invalid] = attestationsHeld(n, claim.id);
    return {
      state: n.crashed ? 'crashed' : `gs-${verdict}`,
      number: GLYPHS[v],
      sub: n.paused ? `paused, ${verdict}` : verdict,
      label: `${n.id}: ${v === 0 ? 'has not decided on' : v === 3 ? 'crashed, did not decide' : verdict} ${claimText(claim)}; holds ${valid} attestation${valid === 1 ? '' : 's'} saying valid, ${invalid} saying invalid${n.paused ? ', paused' : ''}`,
      data: { epidemic, value: e ? (e.deleted ? 'deleted' : e.value) : 'none', verdict },
      timer: ((t) => (t ? [t.start, t.deadline] : null))(n.timers?.find((t) => t.kind === 'antiEntropy') ?? n.timers?.[0]),
    };
  }
  return {
    state: n.crashed ? 'crashed' : `gs-${epidemic}`,
    number: value.length > 4 ? `${value.slice(0, 3)}…` : value,
    sub: n.paused ? `paused, ${epidemic}` : epidemic,
    label: `${n.id}: ${epidemic} (${SAYS[epidemic]})${e ? `, holds ${KEY} = ${e.deleted ? 'deleted' : e.value} (version ${versionText(e.version)})` : `, holds no ${KEY}`}${n.paused ? ', paused' : ''}`,
    data: { epidemic, value: e ? (e.deleted ? 'deleted' : e.value) : 'none' },
    // The arc: the time to its next anti-entropy round.
    timer: ((t) => (t ? [t.start, t.deadline] : null))(n.timers?.find((t) => t.kind === 'antiEntropy') ?? n.timers?.[0]),
  };
}

/** The keys of a message's list of entries or versions, however the view spells one. */
const keys = (list) => (list ?? []).map((x) => (Array.isArray(x) ? x[0] : x.key)).join(', ');

export function describeMessage(m) {
  const fromTo = `${m.from} → ${m.to}`;
  switch (m.kind) {
    case 'Digest':
      return `${fromTo}: digest of ${m.digest?.length ?? 0} key${m.digest?.length === 1 ? '' : 's'} (${m.exchange ?? 'anti-entropy'}), opens an exchange`;
    case 'Reply':
      return `${fromTo}: reply, ${m.entries?.length ?? 0} newer entr${m.entries?.length === 1 ? 'y' : 'ies'}${m.entries?.length ? ` (${keys(m.entries)})` : ''}${m.want?.length ? `; wants ${m.want.join(', ')}` : ''}`;
    case 'Entries':
      return `${fromTo}: ${m.entries?.length ?? 0} entr${m.entries?.length === 1 ? 'y' : 'ies'} it wanted (${keys(m.entries)})`;
    case 'Rumor':
      return `${fromTo}: hot rumor${m.entries?.length === 1 ? '' : 's'} ${keys(m.entries)}`;
    case 'RumorAck':
      return `${fromTo}: already knew ${keys(m.known)}`;
    case 'RumorPull':
      return `${fromTo}: asks for its hot rumors`;
    default:
      return `${fromTo}: ${m.kind}`;
  }
}

// A digest: a small open circle; Reply: a diamond; Entries: a square; Rumor: a triangle;
// RumorAck: a small dot; RumorPull: an open triangle.
const SHAPES = {
  Digest: ['cp-gs-digest', ['circle', { r: 6 }]],
  Reply: ['cp-gs-reply', ['polygon', { points: '0,-8 8,0 0,8 -8,0' }]],
  Entries: ['cp-gs-entries', ['rect', { x: -6.5, y: -6.5, width: 13, height: 13, rx: 2 }]],
  Rumor: ['cp-gs-rumor', ['polygon', { points: '0,-8.5 8,6 -8,6' }]],
  RumorAck: ['cp-gs-ack', ['circle', { r: 4.5 }]],
  RumorPull: ['cp-gs-pull', ['polygon', { points: '0,-8 7.5,5.5 -7.5,5.5' }]],
};

export function messageShape(m) {
  const [cls, shape] = SHAPES[m.kind] ?? SHAPES.Digest;
  return { cls, shape };
}

/** Writes the next value of x at agent `at` (null: one the core picks at random). */
function write(cx, at) {
  const w = widget(cx);
  const value = `v${++w.writes}`;
  if (w.scene) return w.scene.write(value, at);
  cx.act((sim) => {
    const r = sim.clientRequest({ key: KEY, value }, at ?? undefined);
    if (r.accepted === false) return w.panel?.note(`The write was refused: ${r.reason ?? `${r.at} is down`}.`);
    w.panel?.note('');
    w.last = { ...r, value, t: sim.now };
  });
}

export const toolbar = [];

export function nodeActions(n, cx, common) {
  const live = !n.crashed && !n.paused;
  return [
    live && { text: 'Write here', title: `Write the next value of ${KEY} at ${n.id}: it takes it at once (a new version) and spreads it from there`, run: () => write(cx, n.id) },
    n.crashed ? common.crash : { ...common.crash, title: 'Stop it: its peers’ exchanges with it go unanswered; its replica survives' },
    common.pause,
    common.isolate,
  ];
}

export function nodeDetails(n) {
  const rows = [['clock', n.clock ?? '—']];
  // Claims and attestations (collective validation) are entries too: counted, not listed.
  const store = (n.store ?? []).filter((e) => !/^(claim|att)\//.test(e.key));
  const claims = (n.store ?? []).filter((e) => e.key.startsWith('claim/'));
  for (const c of claims) {
    const id = c.key.slice(6);
    const [valid, invalid] = attestationsHeld(n, id);
    rows.push([`claim ${id}`, `${c.value === 'true' ? 'true' : 'false'}; attestations held: ${valid} valid, ${invalid} invalid`]);
  }
  if (!store.length) rows.push(['store', 'empty']);
  for (const e of store) rows.push([`key ${e.key}`, `${e.deleted ? `deleted (death certificate until ${Math.round(e.expiresMs)} ms)` : e.value}, version ${versionText(e.version)}`]);
  rows.push(['hot rumors', (n.hot ?? []).map((h) => `${h.key} ${versionText(h.version)} (told ${h.count})`).join('; ') || 'none']);
  return rows;
}

// ---- collective validation: the panel's section, in both views ----------------------------------

/** The ring's legend (the stage's) drops the colours of x while the ring shows verdicts. */
function legendShowsClaims(host, claims) {
  const l = host?.querySelector('.cp-stage > .cp-legend');
  if (l) l.toggleAttribute('data-claims', claims);
}

/** Elements whose attributes of collective validation the module watches (a change: a new run). */
const watched = new WeakSet();

/**
 * The Collective validation section: the Attestations switch (the attribute `attestations`: a
 * change starts a new run) and, while it is on, the rest (gossip-attest.js, fetched then): the
 * controls, Publish a true or a false claim, the honest agents' tally, the key and the chart.
 */
function attestSection(cx, w) {
  const { el } = cx.dom;
  const title = 'Collective validation: agents publish claims, each agent checks what it holds and attests it; an agent decides at k agreeing attestations (a new run)';
  const on = el('input', { type: 'checkbox', name: 'attestations', title });
  on.addEventListener('change', () => {
    refocus = 'attestations';
    cx.configure('attestations', on.checked ? attestationsText(attestationsOf(cx.attr('attestations')) ?? {}) : 'off');
  });
  const slot = el('div', { class: 'cp-gs-attest-body' });
  const root = el('fieldset', { class: 'cp-gs-attest' }, el('legend', { text: 'Collective validation' }), el('label', { class: 'cp-gs-check', title }, on, ' Attestations'), slot);
  const lib = {
    KS, ACCURACIES, LIAR_SHARES, SWEEP_RUNS, GLYPHS, pct, num, pick, attestationsOf, attestationsText, options, claimText, legendShowsClaims,
    refocus: (name) => (refocus = name),
    worker: () => new Worker(cx.combined ? WORKER_COMBINED : WORKER, { type: 'module' }),
  };
  let body = null;
  let loading = null;
  return {
    root,
    /** A new run: the switch and the body show its settings; no claim yet. */
    layout(n) {
      const host = root.closest('consensus-playground');
      if (host && !watched.has(host)) {
        watched.add(host);
        new MutationObserver(() => host.mech?.name === 'gossip' && host.reset()).observe(host, { attributeFilter: ['attestations', 'liars', 'sybil'] });
      }
      const a = attestationsOf(cx.attr('attestations'));
      on.checked = !!a;
      slot.hidden = !a;
      w.claim = null;
      w.claims = 0;
      w.traitors = a ? traitorsOf((name) => cx.attr(name), n) : [];
      legendShowsClaims(host, false);
      refocus = null; // the run started again without rebuilding the panel: its control kept the focus
      if (w.scene) w.scene.aside.hidden = !!a;
      if (!a) return;
      cx.stylesheet('stage/traitors.css');
      cx.stylesheet('protocols/gossip-attest.css');
      loading ??= import('./gossip-attest.js').then((m) => {
        body = m.attestBody(cx, w, lib);
        slot.append(body.root);
      });
      loading.then(
        () => body.layout(n, host),
        (e) => w.panel?.note(`Collective validation could not load: ${e.message}`),
      );
    },
    published: (r) => body?.published(r),
    show: (tally, now) => body?.show(tally, now),
  };
}

// ---- the panel: settings and actions, in both views -------------------------------------------

let refocus = null; // the setting whose change rebuilt the widget: its new control takes the focus

/**
 * The Gossip panel: the settings (agents, mode, fanout, interval, loss: each an attribute of the
 * element, so a change starts the run again), Write (at an agent or a random one), Crash 10% /
 * 50%, Restart all, Split in halves / Heal, and the counts for x.
 */
export function panel(cx) {
  const { el, button } = cx.dom;
  cx.stylesheet(CSS);
  const w = widget(cx);
  const attest = (w.attest = attestSection(cx, w));
  const setting = (attr, label, values, text, title) => {
    const select = el('select', { name: attr, title, 'aria-label': label }, ...values.map((v) => el('option', { value: String(v), text: text(v) })));
    select.addEventListener('change', () => {
      refocus = attr;
      cx.configure(attr, select.value);
    });
    return [el('label', { class: 'cp-gs-field' }, el('span', { text: label }), select), select];
  };
  const fields = [
    setting('nodes', 'Agents', AGENTS, num, 'How many agents: up to 30 on the ring, more in the dense view (a new run)'),
    setting('mode', 'Mode', MODES, String, 'Anti-entropy’s exchange: push sends what the peer lacks, pull asks for what it has, push-pull both (a new run)'),
    setting('fanout', 'Fanout', FANOUTS, String, 'Peers each agent contacts per round (a new run)'),
    setting('interval-ms', 'Interval', INTERVALS, (v) => `${v} ms`, 'A round: how often each agent starts an exchange (a new run)'),
    setting('drop-rate', 'Loss', LOSSES, (v) => `${v * 100}%`, 'The fraction of messages the network drops (a new run)'),
    setting('rumors', 'Rumors', RUMORS, (v) => (v === 'on' ? 'on, k = 2' : 'off'), 'Rumor mongering on top of anti-entropy: a new value is a hot rumor its holders push every round, until k = 2 peers already knew it (a new run)'),
  ];
  const at = el('input', { type: 'text', name: 'at', 'aria-label': 'at agent', inputmode: 'text', placeholder: 'random', size: '7', autocomplete: 'off', title: 'The agent that takes the write: n12 or 12; empty: a random one' });
  at.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') write(cx, agentOf(at.value));
  });
  const summary = el('p', { class: 'cp-gs-summary', 'data-informed': '0', 'data-live': '0' });
  const note = el('p', { class: 'cp-gs-note', role: 'status' });
  const done = el('span', { class: 'cp-gs-sr', 'aria-live': 'polite' });
  const crash = (fraction) => () => {
    const k = Math.round(fraction * (w.n ?? 0));
    w.crashes++;
    const seed = (w.seed * 7919 + w.crashes) >>> 0;
    if (w.scene) return w.scene.crash(fraction, seed);
    cx.act((sim) => {
      const nodes = sim.nodes();
      for (const id of pick(nodes.filter((n) => !n.crashed).map((n) => n.id), k, seed)) sim.crash(id);
    });
  };
  const run = (ring, dense) => () => (w.scene ? dense(w.scene) : cx.act(ring));
  const root = el(
    'section',
    { class: 'cp-panel cp-gossip', 'aria-label': 'Gossip' },
    el('h3', { text: 'Gossip' }),
    el('div', { class: 'cp-gs-fields' }, ...fields.map(([f]) => f)),
    el(
      'div',
      { class: 'cp-gs-row' },
      button(`Write ${KEY}`, `Write the next value of ${KEY} (v1, v2, …) at the agent named beside, or at a random one`, () => write(cx, agentOf(at.value))),
      el('label', { class: 'cp-gs-field cp-gs-at' }, el('span', { text: 'at agent' }), at),
    ),
    el(
      'div',
      { class: 'cp-gs-row' },
      button('Crash 10%', 'Crash a tenth of the agents, chosen by a seeded shuffle among the live ones', crash(0.1)),
      button('Crash 50%', 'Crash half of the agents, chosen by a seeded shuffle among the live ones', crash(0.5)),
      button(
        'Restart all',
        'Restart every crashed agent (with its replica)',
        run(
          (sim) => sim.nodes().filter((n) => n.crashed).forEach((n) => sim.restart(n.id)),
          (s) => s.restartAll(),
        ),
      ),
    ),
    el(
      'div',
      { class: 'cp-gs-row' },
      button(
        'Split in halves',
        'Partition the agents into two halves (the first and the second half of the ids): no message crosses',
        run(
          (sim) => {
            const ids = sim.ids;
            sim.partition([ids.slice(0, ids.length >> 1), ids.slice(ids.length >> 1)]);
          },
          (s) => s.split(),
        ),
      ),
      button(
        'Heal',
        'Heal the partition and every cut link',
        run(
          (sim) => sim.heal(),
          (s) => s.heal(),
        ),
      ),
    ),
    summary,
    note,
    done,
    attest.root,
  );
  if (refocus) {
    const f = root.querySelector(`[name="${refocus}"]`);
    refocus = null;
    if (f) queueMicrotask(() => f.focus({ preventScroll: true }));
  }
  const sync = (n) => {
    const attesting = !!attestationsOf(cx.attr('attestations'));
    for (const [, s] of fields) {
      const v = s.name === 'nodes' ? String(n) : (cx.attr(s.name) ?? DEFAULTS[s.name]);
      if (![...s.options].some((o) => o.value === v)) s.append(el('option', { value: v, text: s.name === 'nodes' ? num(Number(v)) : v }));
      s.value = v;
      // Collective validation: every agent keeps every attestation, so at most ATTEST_MAX agents.
      if (s.name === 'nodes') for (const o of s.options) o.disabled = attesting && Number(o.value) > ATTEST_MAX;
    }
  };
  let allSaid = '';
  w.panel = {
    /** The counts for x: agentStates' tally, the informed count (live agents holding the newest version) and the live count. */
    show(counts, informed, live, partitioned) {
      const [s, i, r, c] = counts;
      const last = w.last;
      summary.dataset.informed = String(informed);
      summary.dataset.live = String(live);
      summary.dataset.susceptible = String(s);
      summary.dataset.infective = String(i);
      summary.dataset.removed = String(r);
      summary.dataset.crashed = String(c);
      summary.dataset.partitioned = String(!!partitioned);
      const text = last ? `${num(informed)} of ${num(live)} informed` : `${num(live)} agents, no write yet`;
      summary.replaceChildren(
        el('b', { text }),
        last ? ` — ${KEY} = ${last.value}${last.version ? ` (version ${versionText(last.version)}, written at ${last.at})` : ''}` : ` — write a value of ${KEY} and watch it spread`,
        el('br'),
        `${num(s)} susceptible · ${num(i)} infective · ${num(r)} removed · ${num(c)} crashed${partitioned ? ' · split in halves' : ''}`,
      );
      const all = last && informed === live && live > 0 ? `${KEY} = ${last.value} reached all ${num(live)} live agents.` : '';
      if (all !== allSaid) done.textContent = allSaid = all;
      return text;
    },
    note(text) {
      note.textContent = text;
    },
  };
  return {
    root,
    layout(ids) {
      // A new run: the settings show its values; writes start from v1 again.
      w.writes = 0;
      w.crashes = 0;
      w.last = null;
      w.seed = Number(cx.attr('seed') ?? 7) || 0;
      w.n = w.scene ? Math.min(Number(cx.attr('nodes')), attestationsOf(cx.attr('attestations')) ? ATTEST_MAX : Infinity) : ids.length;
      allSaid = '';
      done.textContent = '';
      note.textContent = '';
      sync(w.n);
      w.panel.show([w.n, 0, 0, 0], 0, w.n, false);
      attest.layout(w.n);
    },
    update(nodes) {
      const sim = cx.sim;
      if (!sim) return;
      w.n = nodes.length;
      const { states } = statesOf(cx, nodes);
      const counts = states ? tally(states) : [0, 0, 0, nodes.filter((n) => n.crashed).length];
      let informed = 0;
      try {
        informed = sim.informed(KEY);
      } catch {
        informed = 0;
      }
      w.panel.show(counts, informed, nodes.length - counts[3], sim.network().partitioned);
      if (w.claim) attest.show(sim.tally(w.claim.id), sim.now);
    },
  };
}

// ---- the dense view (31 to 10,000 agents), run in a Web Worker --------------------------------

// Colour-blind-safe (Okabe & Ito): susceptible pale grey, infective orange, removed blue,
// crashed near-black; they differ in lightness too.
const COLORS = ['#dde3ea', '#e69f00', '#0072b2', '#262626'];
const GAP = '#ffffff';
const rgba = (hex) => {
  const v = parseInt(hex.slice(1), 16);
  // ImageData's bytes are r, g, b, a: little-endian as one Uint32, a b g r.
  return (0xff << 24) | ((v & 0xff) << 16) | (v & 0xff00) | (v >> 16);
};
const PIXELS = COLORS.map(rgba);
// Verdicts on a claim (collective validation), apart from the colours above in hue and
// lightness (Okabe & Ito): undecided mid grey, accepted reddish purple (dark), rejected yellow
// (light), crashed near-black; each cell also carries the verdict's glyph.
const VERDICT_COLORS = ['#b8bec7', '#cc79a7', '#f0e442', '#262626'];
const VERDICT_PIXELS = VERDICT_COLORS.map(rgba);
const GAP_PIXEL = rgba(GAP);
// The plot (viewBox units).
const PW = 340, PH = 190, PL = 38, PR = 18, PT = 10, PB = 34;

/**
 * The dense view: a grid of cells, one per agent, coloured by agentStates(x); the fraction of
 * live agents informed since the latest write against time, beside gossipTheory's curve for the
 * same mode, fanout, loss and live fraction. The simulation runs in a worker (synchronous
 * rounds, as theory assumes), which answers each command with one frame.
 */
export function scene(cx) {
  const { el, svg } = cx.dom;
  cx.stylesheet(CSS);
  const w = widget(cx);
  const canvas = el('canvas', { class: 'cp-gs-grid', role: 'img', 'aria-label': 'The agents, a cell each' });
  const key = el(
    'div',
    { class: 'cp-legend cp-gs-key' },
    ...['susceptible (lacks x)', 'infective (hot rumor)', 'removed (holds x)', 'crashed'].map((s, i) => el('span', {}, el('i', { class: 'cp-gs-swatch', style: `background:${COLORS[i]}` }), s)),
  );
  // While a claim is shown, the cells say verdicts instead.
  const vkey = el(
    'div',
    { class: 'cp-legend cp-gs-vgrid', hidden: '' },
    ...VERDICTS.map((v, i) => el('span', {}, el('i', { class: 'cp-gs-swatch', style: `background:${VERDICT_COLORS[i]}` }), `${v}${GLYPHS[i] ? ` ${GLYPHS[i]}` : ''}`)),
    el('span', {}, el('i', { class: 'cp-gs-swatch cp-gs-horn' }), 'liar or Sybil'),
  );
  const plot = svg('svg', { viewBox: `0 0 ${PW} ${PH}`, class: 'cp-gs-plot', role: 'img', 'aria-label': 'Fraction of live agents informed since the latest write, and what theory predicts' });
  const grid = svg('g', { class: 'cp-gs-axes' });
  const theoryPath = svg('path', { class: 'cp-gs-theory' });
  const runPath = svg('path', { class: 'cp-gs-run' });
  const empty = svg('text', { x: (PL + PW - PR) / 2, y: PH / 2, 'text-anchor': 'middle', class: 'cp-gs-empty' });
  empty.textContent = `Write ${KEY} to see it spread`;
  plot.append(grid, theoryPath, runPath, empty);
  const caption = el(
    'figcaption',
    {},
    el('span', {}, el('i', { class: 'cp-gs-k cp-gs-k-run' }), 'this run (live agents)'),
    el('span', {}, el('i', { class: 'cp-gs-k cp-gs-k-theory' }), 'theory: anti-entropy in synchronous rounds (mean field)'),
  );
  const root = el('div', { class: 'cp-stage cp-gs-scene' }, canvas, key, vkey);
  const split = el('p', { class: 'cp-hint cp-gs-split', hidden: '' }, 'Split in halves: theory’s curve knows nothing of the partition (half the exchanges go nowhere).');
  const aside = el('figure', { class: 'cp-panel cp-gs-figure' }, el('h3', { text: `Informed since the latest write` }), plot, caption, split);
  const ctx = canvas.getContext('2d');

  let worker = null;
  let run = 0; // which reset the frames belong to
  let outstanding = 0; // commands posted, frames not yet back
  let pending = 0; // simulated ms asked for while a frame was out
  let now = 0;
  let n = 0;
  let states = new Uint8Array(0);
  let verdicts = null; // the latest claim's verdicts (collective validation), once one is published
  let traitors = []; // agent indices
  let partitioned = false;
  let interval = 100;
  let cols = 1, rows = 1, cell = 1;
  let fail = () => {};
  // The plot: the latest write's time, its theory, samples [ms since the write, fraction].
  let wrote = null;
  let samples = [];
  let lastLabel = 0;

  const post = (m) => {
    outstanding++;
    worker.postMessage({ ...m, run });
  };

  function geometry() {
    cols = Math.ceil(Math.sqrt(n));
    rows = Math.ceil(n / cols);
    cell = Math.max(2, Math.floor(480 / cols));
    canvas.width = cols * cell;
    canvas.height = rows * cell;
  }

  function draw() {
    const img = ctx.createImageData(canvas.width, canvas.height);
    const px = new Uint32Array(img.data.buffer);
    px.fill(GAP_PIXEL);
    const W = canvas.width;
    const inner = cell >= 5 ? cell - 1 : cell;
    const pixels = verdicts ? VERDICT_PIXELS : PIXELS;
    const codes = verdicts ?? states;
    for (let i = 0; i < n; i++) {
      const color = pixels[codes[i] ?? 0];
      const x0 = (i % cols) * cell;
      const y0 = Math.floor(i / cols) * cell;
      for (let y = 0; y < inner; y++) px.fill(color, (y0 + y) * W + x0, (y0 + y) * W + x0 + inner);
    }
    ctx.putImageData(img, 0, 0);
    if (verdicts && cell >= 12) {
      // The verdict's glyph in each cell, so colour is not the only cue.
      ctx.font = `${Math.round(cell * 0.5)}px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (let i = 0; i < n; i++) {
        const g = GLYPHS[verdicts[i]];
        if (!g) continue;
        ctx.fillStyle = verdicts[i] === 1 ? '#fff' : '#1f2937';
        ctx.fillText(g, (i % cols) * cell + inner / 2, Math.floor(i / cols) * cell + inner / 2 + 1);
      }
    }
    if (traitors.length && attestationsOf(cx.attr('attestations'))) {
      // Traitors: a dark corner (the ring's horns), outlined in white.
      ctx.fillStyle = '#7f1d1d';
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1;
      const c = Math.max(3, Math.round(cell * 0.35));
      for (const i of traitors) {
        const x0 = (i % cols) * cell, y0 = Math.floor(i / cols) * cell;
        ctx.beginPath();
        ctx.moveTo(x0, y0);
        ctx.lineTo(x0 + c, y0);
        ctx.lineTo(x0, y0 + c);
        ctx.closePath();
        ctx.fill();
        ctx.stroke();
      }
    }
    if (partitioned) {
      // The halves: agents 1 … n/2 and the rest, in reading order.
      const h = n >> 1;
      const r = Math.floor(h / cols), c = h % cols;
      ctx.strokeStyle = '#d55e00';
      ctx.lineWidth = Math.max(2, cell / 2);
      ctx.beginPath();
      ctx.moveTo(0, (r + 1) * cell);
      ctx.lineTo(c * cell, (r + 1) * cell);
      ctx.lineTo(c * cell, r * cell);
      ctx.lineTo(cols * cell, r * cell);
      ctx.stroke();
    }
  }

  const px = (t, tMax) => PL + (t / tMax) * (PW - PL - PR);
  const py = (f) => PT + (1 - f) * (PH - PT - PB);

  function drawPlot() {
    empty.style.display = wrote ? 'none' : '';
    if (!wrote) {
      grid.replaceChildren();
      theoryPath.setAttribute('d', '');
      runPath.setAttribute('d', '');
      return;
    }
    const th = wrote.theory;
    // Rounds start together at I, 2I, …: theory's round r completes early in the r-th round after the write.
    const first = (Math.floor(wrote.t / interval) + 1) * interval - wrote.t;
    let end = th.findIndex((f) => f >= 0.999);
    if (end < 0) end = th.length - 1;
    const lastT = samples.length ? samples[samples.length - 1][0] : 0;
    const settled = samples.findIndex(([, f]) => f >= 1);
    const horizon = Math.max(first + end * interval, settled >= 0 ? samples[settled][0] : lastT) + 2 * interval;
    const rounds = Math.ceil(horizon / interval);
    const tMax = rounds * interval;
    const step = Math.max(1, Math.ceil(rounds / 8));
    const seconds = tMax >= 2000;
    const parts = [];
    for (const f of [0, 0.5, 1]) {
      parts.push(svg('line', { x1: PL, x2: PW - PR, y1: py(f), y2: py(f) }));
      const t = svg('text', { x: PL - 4, y: py(f) + 4, 'text-anchor': 'end' });
      t.textContent = `${f * 100}%`;
      parts.push(t);
    }
    for (let r = 0; r <= rounds; r += step) {
      const x = px(r * interval, tMax);
      parts.push(svg('line', { x1: x, x2: x, y1: PT, y2: PH - PB, class: 'cp-gs-tick' }));
      const t = svg('text', { x, y: PH - PB + 13, 'text-anchor': 'middle' });
      t.textContent = seconds ? String(+((r * interval) / 1000).toFixed(2)) : String(r * interval);
      parts.push(t);
    }
    const axis = svg('text', { x: (PL + PW - PR) / 2, y: PH - 4, 'text-anchor': 'middle', class: 'cp-gs-axis' });
    axis.textContent = `time since the write, ${seconds ? 's' : 'ms'} (a round: ${interval} ms)`;
    parts.push(axis);
    grid.replaceChildren(...parts);
    let d = `M${px(0, tMax).toFixed(1)},${py(th[0]).toFixed(1)}`;
    for (let r = 1; r < th.length; r++) {
      const t = first + (r - 1) * interval;
      if (t > tMax) break;
      d += `H${px(t, tMax).toFixed(1)}V${py(th[r]).toFixed(1)}`;
    }
    theoryPath.setAttribute('d', `${d}H${px(tMax, tMax).toFixed(1)}`);
    const shown = samples.filter(([t]) => t <= tMax);
    runPath.setAttribute('d', shown.map(([t, f], i) => `${i ? 'L' : 'M'}${px(t, tMax).toFixed(1)},${py(f).toFixed(1)}`).join(''));
  }

  function frame(m) {
    now = m.now;
    states = m.states;
    verdicts = m.claim?.verdicts ?? null;
    key.hidden = !!verdicts;
    vkey.hidden = !verdicts;
    partitioned = m.partitioned;
    split.hidden = !partitioned;
    const counts = m.counts;
    const live = n - counts[3];
    draw();
    const text = w.panel?.show(counts, m.informed, live, partitioned) ?? '';
    canvas.dataset.now = String(now);
    canvas.dataset.informed = String(m.informed);
    canvas.dataset.live = String(live);
    canvas.dataset.counts = counts.join(',');
    if (m.claim) {
      w.attest?.show(m.claim.tally, now);
      const v = [0, 0, 0, 0];
      for (const x of verdicts) v[x]++;
      canvas.dataset.verdicts = v.join(',');
      canvas.setAttribute('aria-label', `${num(n)} agents, their verdicts on claim ${m.claim.id}: ${num(v[0])} undecided, ${num(v[1])} accepted, ${num(v[2])} rejected, ${num(v[3])} crashed; ${traitors.length} of them liars or Sybils`);
      lastLabel = performance.now();
    }
    // The canvas's text alternative: the counts (at most twice a second).
    if (!m.claim && (performance.now() - lastLabel > 500 || m.informed === live)) {
      lastLabel = performance.now();
      canvas.setAttribute('aria-label', `${num(n)} agents: ${text}; ${num(counts[0])} susceptible, ${num(counts[1])} infective, ${num(counts[2])} removed, ${num(counts[3])} crashed${partitioned ? '; split in halves' : ''}`);
    }
    if (wrote) {
      const t = now - wrote.t;
      const f = live ? m.informed / live : 0;
      const prev = samples[samples.length - 1];
      if (!prev || f !== prev[1] || t - prev[0] >= interval / 4) samples.push([t, f]);
      drawPlot();
    }
  }

  function start() {
    worker = new Worker(cx.combined ? WORKER_COMBINED : WORKER, { type: 'module' });
    worker.onmessage = ({ data: m }) => {
      if (m.run !== run) return;
      if (m.type === 'frame') {
        outstanding = Math.max(0, outstanding - 1);
        frame(m);
        if (!outstanding && pending > 0) {
          const ms = Math.min(pending, 4 * interval);
          pending = 0;
          post({ type: 'advance', ms });
        }
      } else if (m.type === 'ready') {
        n = m.n;
        interval = m.intervalMs;
        traitors = m.traitors ?? [];
        geometry();
      } else if (m.type === 'published') {
        w.attest?.published(m);
      } else if (m.type === 'wrote') {
        if (m.accepted === false) {
          w.panel?.note(`The write was refused: ${m.reason ?? `${m.at} is down`}.`);
          return;
        }
        w.last = { at: m.at, version: m.version, value: m.value };
        w.panel?.note('');
        wrote = { t: m.t, theory: m.theory };
        samples = [];
      } else if (m.type === 'error') {
        // A refused command: said in the panel; a run that could not start: in the banner.
        if (m.final) outstanding = Math.max(0, outstanding - 1);
        if (m.during === 'reset') fail(m.message);
        else w.panel?.note(m.message);
      }
    };
    worker.onerror = (e) => fail(`the gossip worker failed: ${e.message}`);
  }

  const s = {
    root,
    aside,
    get now() {
      return now;
    },
    reset(options, failed) {
      fail = failed;
      worker ??= (start(), worker);
      run++;
      outstanding = 0;
      pending = 0;
      now = 0;
      wrote = null;
      samples = [];
      n = Number(options.nodes);
      states = new Uint8Array(n);
      verdicts = null;
      traitors = [];
      key.hidden = false;
      vkey.hidden = true;
      delete canvas.dataset.verdicts;
      geometry();
      draw();
      drawPlot();
      post({ type: 'reset', options: { ...options, synchronous: true }, key: KEY });
    },
    advance(ms) {
      if (outstanding) pending += ms;
      else post({ type: 'advance', ms: Math.min(ms + pending, 4 * interval) });
    },
    step: () => post({ type: 'step' }),
    write: (value, at) => post({ type: 'write', value, at }),
    publish: (id, truth, at) => post({ type: 'publish', id, truth, at }),
    crash(fraction, seed) {
      const live = [];
      for (let i = 0; i < n; i++) if (states[i] !== 3) live.push(i);
      post({ type: 'crash', agents: pick(live, Math.round(fraction * n), seed) });
    },
    restartAll: () => post({ type: 'restart' }),
    split: () => post({ type: 'split' }),
    heal: () => post({ type: 'heal' }),
    free() {
      worker?.terminate();
      worker = null;
      if (w.scene === s) w.scene = null;
    },
  };
  w.scene = s;
  return s;
}
