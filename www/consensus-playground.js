// <consensus-playground>: an embeddable Raft playground.
//
//   <script type="module" src="consensus-playground.js"></script>
//   <consensus-playground nodes="5" seed="7" speed="0.05"></consensus-playground>
//
// Attributes: nodes (1–15, default 5), seed (non-negative integer, default 7), speed (simulated
// time per wall-clock time, default 0.05: a 10–15 ms message takes 0.2–0.3 s to cross).
//
// This file renders and handles input only. Every protocol step happens in the Rust core
// (www/pkg, WebAssembly): the element asks the Simulation to run up to a time, then draws the
// views it returns. A message's position is a pure function of its send and delivery times and
// the simulated clock, so pause, step and speed cost nothing.
//
// Hooks for tests and course scripts (light DOM, so document.querySelector finds them):
//   [data-node="n1"][data-state="follower|candidate|leader|crashed"][data-term]
//   [data-message="RequestVote|RequestVoteResponse|AppendEntries|AppendEntriesResponse"]
//   [data-log-of="n1"] [data-entry="3"][data-entry-term="2"][data-committed="true|false"]
//   element.simulation: the wasm Simulation (read-only use, please).
import init, { Simulation } from './pkg/consensus_playground.js';
import { button, el, svg } from './dom.js';
import { faults } from './stage/faults.js';

const SIZE = 400; // the ring's viewBox is SIZE × SIZE
const NODE_R = 27;
const MAX_EVENTS = 150;
const MAX_FRAME_MS = 100; // a long frame (hidden tab) advances the clock by at most this much wall time

let ready = null;
function loadWasm() {
  ready ??= init({ module_or_path: new URL('./pkg/consensus_playground_bg.wasm', import.meta.url) });
  return ready;
}

const sheets = new Map();
/**
 * Adds stylesheet `path` (relative to this file, which www/dist/ mirrors) to the page, once;
 * resolves when it has loaded (or failed: the widget then works unstyled).
 */
function stylesheet(path) {
  if (!sheets.has(path)) {
    const link = el('link', { rel: 'stylesheet', href: new URL(path, import.meta.url).href, 'data-consensus-playground': path });
    sheets.set(path, new Promise((done) => (link.onload = link.onerror = done)));
    document.head.append(link);
  }
  return sheets.get(path);
}

function setAttr(e, k, v) {
  const s = String(v);
  if (e.getAttribute(k) !== s) e.setAttribute(k, s);
}

function setText(e, s) {
  if (e.textContent !== s) e.textContent = s;
}

const fmtMs = (ms) => `${ms.toFixed(1)} ms`;
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
// Speed slider: 0…100 maps to 0.001×…1× on a log scale.
const sliderToSpeed = (v) => 10 ** (-3 + (3 * v) / 100);
const speedToSlider = (s) => clamp(((Math.log10(s) + 3) * 100) / 3, 0, 100);
const speedLabel = (s) => (s >= 0.1 ? s.toFixed(2) : s >= 0.01 ? s.toFixed(3) : s.toFixed(4)).replace(/0+$/, '').replace(/\.$/, '') + '×';

function describeMessage(m) {
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

function termColor(term) {
  return `hsl(${(term * 67 + 200) % 360} 70% 84%)`;
}

export class ConsensusPlayground extends HTMLElement {
  static observedAttributes = ['nodes', 'seed', 'speed', 'snapshot-interval', 'experiments'];

  constructor() {
    super();
    this.simulation = null;
    this.playing = true;
    this.speed = 0.05;
    this.selected = null;
    this.commandCount = 0;
    this.raf = 0;
    this.lastFrame = null;
    this.built = false;
  }

  connectedCallback() {
    stylesheet('consensus-playground.css');
    if (!this.built) this.build();
    this.speed = this.speedAttr();
    this.speedInput.value = String(speedToSlider(this.speed));
    this.updateSpeedLabel();
    loadWasm().then(
      () => {
        if (!this.simulation) this.reset();
        this.startLoop();
      },
      (e) => this.showError(`The WebAssembly core could not load: ${e.message}`),
    );
  }

  disconnectedCallback() {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  attributeChangedCallback(name, oldValue, value) {
    if (!this.built || oldValue === value) return;
    if (name === 'experiments') {
      this.experiments.hidden = value === 'off';
    } else if (name === 'speed') {
      this.speed = this.speedAttr();
      this.speedInput.value = String(speedToSlider(this.speed));
      this.updateSpeedLabel();
    } else if (this.simulation) {
      this.reset();
    }
  }

  speedAttr() {
    const s = Number(this.getAttribute('speed') ?? 0.05);
    return Number.isFinite(s) && s > 0 ? clamp(s, 0.001, 1) : 0.05;
  }

  options() {
    const opts = {};
    const nodes = this.getAttribute('nodes');
    const seed = this.getAttribute('seed');
    if (nodes !== null) opts.nodes = Number(nodes);
    if (seed !== null) opts.seed = Number(seed);
    // Snapshots every 20 applied entries by default here, so that learners see one happen.
    const snap = this.getAttribute('snapshot-interval');
    opts.snapshotInterval = snap === null ? 20 : snap === 'off' ? null : Number(snap);
    return opts;
  }

  // ---- building the DOM ---------------------------------------------------------------------

  build() {
    this.built = true;
    const playBtn = el('button', { type: 'button', class: 'cp-btn cp-primary', text: 'Pause' });
    const stepBtn = el('button', { type: 'button', class: 'cp-btn', text: 'Step', title: 'Handle the next event (pauses)' });
    const resetBtn = el('button', { type: 'button', class: 'cp-btn', text: 'Reset', title: 'Start again from the same seed' });
    const clientBtn = el('button', { type: 'button', class: 'cp-btn', text: 'Client request', title: 'Send a client command to the leader' });
    const addBtn = el('button', { type: 'button', class: 'cp-btn', text: 'Add node', title: 'The leader adds a new server to the configuration (§4.1)' });
    addBtn.addEventListener('click', () => this.act((sim) => sim.addNode()));
    const speedInput = el('input', { type: 'range', min: '0', max: '100', step: '1', 'aria-label': 'Speed', class: 'cp-speed' });
    const speedOut = el('output', { class: 'cp-speed-out' });
    const clock = el('span', { class: 'cp-clock', 'aria-label': 'Simulated time' });
    const clientsBox = el('input', { type: 'checkbox' });
    const clientsLabel = el('label', { class: 'cp-clients', title: 'Two key-value clients send put, get, cas and increment to the leader, with retries' }, clientsBox, el('span', { text: 'KV clients' }));
    clientsBox.addEventListener('change', () => this.act((sim) => (clientsBox.checked ? sim.startClients({ clients: 2, thinkMs: 60 }) : sim.stopClients())));
    playBtn.addEventListener('click', () => this.setPlaying(!this.playing));
    stepBtn.addEventListener('click', () => this.stepOnce());
    resetBtn.addEventListener('click', () => this.reset());
    clientBtn.addEventListener('click', () => this.clientRequest(undefined));
    speedInput.addEventListener('input', () => {
      this.speed = sliderToSpeed(Number(speedInput.value));
      this.updateSpeedLabel();
    });

    const toolbar = el(
      'div',
      { class: 'cp-toolbar' },
      el('div', { class: 'cp-group' }, playBtn, stepBtn, resetBtn, addBtn),
      el('label', { class: 'cp-group cp-speed-label' }, el('span', { text: 'Speed' }), speedInput, speedOut),
      el('div', { class: 'cp-group' }, clientBtn, clientsLabel, clock),
    );

    this.ring = svg('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'cp-ring', role: 'group', 'aria-label': 'Cluster: nodes and messages in flight' });
    this.linkLayer = svg('g', { class: 'cp-links' });
    this.messageLayer = svg('g', { class: 'cp-messages' });
    this.nodeLayer = svg('g', { class: 'cp-nodes' });
    this.ring.append(this.linkLayer, this.nodeLayer, this.messageLayer);

    this.banner = el('div', { class: 'cp-banner', role: 'alert', hidden: '' });
    this.actions = el('section', { class: 'cp-panel cp-actions', 'aria-label': 'Node actions' });
    this.logs = el('section', { class: 'cp-panel cp-logs', 'aria-label': 'Logs' });
    this.eventList = el('ol', { class: 'cp-events', reversed: '' });
    this.routineBox = el('input', { type: 'checkbox' });
    const routineLabel = el('label', { class: 'cp-routine', title: 'Heartbeats and replies that change nothing' }, this.routineBox, el('span', { text: 'Show heartbeats' }));
    const events = el(
      'section',
      { class: 'cp-panel cp-events-panel', 'aria-label': 'Event log' },
      el('div', { class: 'cp-events-head' }, el('h3', { text: 'What happened' }), routineLabel),
      this.eventList,
    );

    const legend = el('div', { class: 'cp-legend', 'aria-hidden': 'true' });
    legend.innerHTML = `
      <span><i class="cp-lg cp-lg-follower"></i>follower</span>
      <span><i class="cp-lg cp-lg-candidate"></i>candidate</span>
      <span><i class="cp-lg cp-lg-leader"></i>leader</span>
      <span><i class="cp-lg cp-lg-crashed"></i>crashed</span>
      <span><i class="cp-lg cp-lg-pv"></i>PreVote</span>
      <span><i class="cp-lg cp-lg-rv"></i>RequestVote</span>
      <span><i class="cp-lg cp-lg-ae"></i>AppendEntries</span>
      <span><i class="cp-lg cp-lg-hb"></i>heartbeat</span>
      <span><i class="cp-lg cp-lg-ok"></i>granted / success</span>
      <span><i class="cp-lg cp-lg-no"></i>refused / failure</span>`;

    this.metricEls = {};
    const metric = (key, name, title) => {
      this.metricEls[key] = el('dd', { text: '—' });
      return el('div', { title }, el('dt', { text: name }), this.metricEls[key]);
    };
    const metrics = el(
      'dl',
      { class: 'cp-metrics', 'aria-label': 'Metrics' },
      metric('perCommit', 'messages / commit', 'Messages sent per log entry committed, over the last 10 simulated seconds (every kind: heartbeats too)'),
      metric('commitRate', 'commits / s', 'Log entries committed per simulated second, over the last 10 simulated seconds'),
      metric('election', 'election latency', 'Time without a running leader, from losing one until the next leads: the latest period, and the mean'),
    );
    const stage = el('div', { class: 'cp-stage' }, this.ring, legend, metrics);
    // Network and bugs: its body's code and stylesheet are fetched when it is first opened. The
    // module gets what it needs from here (no shared chunk to fetch on load).
    const host = this;
    const cx = {
      get sim() {
        return host.simulation;
      },
      act: (fn) => this.act(fn),
      dom: { button, el },
      stylesheet,
    };
    this.faults = faults(cx, () => Simulation.bugList(), (e) => this.showError(`The Network and bugs panel could not load: ${e.message}`));
    const side = el('div', { class: 'cp-side' }, this.actions, this.logs, this.faults.root);
    // Experiments (Figure 16): code and stylesheet loaded when the panel is first opened.
    const experiments = el('details', { class: 'cp-panel cp-experiments' }, el('summary', { text: 'Experiments — the Raft paper’s Figure 16' }));
    experiments.addEventListener('toggle', () => {
      if (!experiments.open || experiments.dataset.loaded) return;
      experiments.dataset.loaded = '1';
      Promise.all([import('./experiments.js'), stylesheet('experiments.css')]).then(
        ([m]) => experiments.append(m.buildExperiments()),
        (e) => this.showError(`The Experiments panel could not load: ${e.message}`),
      );
    });
    experiments.hidden = this.getAttribute('experiments') === 'off';
    this.experiments = experiments;
    this.root = el('div', { class: 'cp-root' }, toolbar, this.banner, el('div', { class: 'cp-main' }, stage, side), events, experiments);
    this.replaceChildren(this.root);

    Object.assign(this, { playBtn, stepBtn, clientBtn, speedInput, speedOut, clock, clientsBox });
    this.renderActions();
  }

  showError(text) {
    this.banner.hidden = false;
    this.banner.textContent = text;
    console.error(text);
  }

  updateSpeedLabel() {
    this.speedOut.textContent = speedLabel(this.speed);
    this.speedInput.setAttribute('aria-valuetext', `${speedLabel(this.speed)} real time`);
  }

  // ---- simulation control -------------------------------------------------------------------

  reset() {
    this.replaceSimulation(() => new Simulation(this.options()), 'Bad settings');
  }

  /**
   * Opens a run of `consensus-sim check` where it stopped (a failing seed the CLI printed):
   * `{seed, nodes, events, faults, bug}`. The run is paused; its violation shows in the banner.
   */
  loadCheck(options) {
    loadWasm().then(() => {
      if (this.replaceSimulation(() => Simulation.fromCheck(options), 'Could not replay the check run')) this.setPlaying(false);
    });
  }

  /**
   * Frees the simulation, puts `make()` in its place and shows it from scratch (nodes, logs,
   * event log, dials, metrics). If `make` throws, there is no simulation and the banner says
   * why (`failure: message`). Returns whether it worked.
   */
  replaceSimulation(make, failure) {
    try {
      this.simulation?.free();
      this.simulation = make();
    } catch (e) {
      this.simulation = null;
      this.showError(`${failure}: ${e.message}`);
      return false;
    }
    this.banner.hidden = true;
    this.ids = this.simulation.ids;
    this.lastSeq = 0;
    this.commandCount = 0;
    this.metricSamples = [];
    this.selected = null;
    this.violationCount = 0;
    this.eventList.replaceChildren();
    this.violationNodes = new Set();
    this.buildNodes();
    this.buildLogs();
    this.faults.sync(this.simulation);
    this.clientsBox.checked = false;
    this.dirty = true;
    this.render();
    return true;
  }

  setPlaying(on) {
    this.playing = on;
    this.playBtn.textContent = on ? 'Pause' : 'Play';
    this.lastFrame = null;
  }

  stepOnce() {
    if (!this.simulation) return;
    this.setPlaying(false);
    this.simulation.step();
    this.dirty = true;
    this.render();
  }

  act(fn) {
    if (!this.simulation) return;
    try {
      fn(this.simulation);
    } catch (e) {
      this.note(e.message);
    }
    this.dirty = true;
    this.render();
  }

  clientRequest(to) {
    this.act((sim) => {
      const n = ++this.commandCount;
      const command = `${'xyz'[(n - 1) % 3]}=${n}`;
      sim.clientRequest(command, to);
    });
  }

  note(text) {
    const li = el('li', { class: 'cp-ev cp-ev-note' }, el('span', { class: 'cp-ev-time', text: fmtMs(this.simulation.now) }), el('span', { text }));
    this.eventList.prepend(li);
  }

  startLoop() {
    if (this.raf) return;
    const frame = (t) => {
      this.raf = requestAnimationFrame(frame);
      if (!this.simulation) return;
      if (this.playing) {
        const dt = this.lastFrame === null ? 0 : Math.min(t - this.lastFrame, MAX_FRAME_MS);
        this.lastFrame = t;
        if (dt > 0) {
          this.simulation.runUntil(this.simulation.now + dt * this.speed);
          this.dirty = true;
        }
      }
      if (this.dirty) this.render();
    };
    this.raf = requestAnimationFrame(frame);
  }

  // ---- rendering ----------------------------------------------------------------------------

  nodePos(i) {
    const n = this.ids.length;
    if (n === 1) return { x: SIZE / 2, y: SIZE / 2 };
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    const r = SIZE / 2 - NODE_R - 34;
    return { x: SIZE / 2 + r * Math.cos(a), y: SIZE / 2 + r * Math.sin(a) };
  }

  buildNodes() {
    this.nodeEls = new Map();
    this.messageEls = new Map();
    this.nodeLayer.replaceChildren();
    this.messageLayer.replaceChildren();
    this.linkLayer.replaceChildren();
    this.pos = new Map(this.ids.map((id, i) => [id, this.nodePos(i)]));
    // Spokes between every pair: the paths messages travel. Clicking one cuts or repairs it.
    this.linkEls = new Map();
    for (let i = 0; i < this.ids.length; i++) {
      for (let j = i + 1; j < this.ids.length; j++) {
        const [p, q] = [this.ids[i], this.ids[j]];
        const a = this.pos.get(p);
        const b = this.pos.get(q);
        const g = svg('g', { class: 'cp-link', 'data-link': `${p}-${q}`, 'data-cut': 'none', role: 'button' });
        const title = svg('title');
        g.append(title, svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'cp-link-hit' }), svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'cp-link-line' }));
        g.addEventListener('click', () => this.toggleLink(p, q));
        this.linkLayer.append(g);
        this.linkEls.set(`${p}-${q}`, { g, title, p, q });
      }
    }
    for (const id of this.ids) {
      const { x, y } = this.pos.get(id);
      const g = svg('g', { 'data-node': id, class: 'cp-node', transform: `translate(${x} ${y})`, tabindex: '0', role: 'button' });
      // A fixed, invisible hit area around everything that moves, so the node's box is stable.
      const hit = svg('circle', { r: NODE_R + 11, class: 'cp-hit' });
      const track = svg('circle', { r: NODE_R + 6, class: 'cp-timer-track' });
      const arc = svg('path', { class: 'cp-timer' });
      const body = svg('circle', { r: NODE_R, class: 'cp-body' });
      const term = svg('text', { class: 'cp-term', y: 9 });
      const name = svg('text', { class: 'cp-name', y: -NODE_R - 12 });
      const sub = svg('text', { class: 'cp-sub', y: NODE_R + 20 });
      const cross = svg('path', { class: 'cp-cross', d: 'M-14 -14 L14 14 M14 -14 L-14 14' });
      const pauseMark = svg('path', { class: 'cp-pause-mark', d: 'M-7 -11 V11 M7 -11 V11' });
      name.textContent = id;
      g.append(hit, track, arc, body, cross, pauseMark, term, name, sub);
      const open = () => this.select(id);
      g.addEventListener('click', open);
      g.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          open();
        }
      });
      this.nodeLayer.append(g);
      this.nodeEls.set(id, { g, arc, term, sub, track });
    }
  }

  buildLogs() {
    this.logRows = new Map();
    const rows = this.ids.map((id) => {
      const entries = el('div', { class: 'cp-entries' });
      const snap = el('span', { class: 'cp-snapshot', hidden: '' });
      entries.append(snap);
      const label = el('span', { class: 'cp-log-id', text: id });
      const row = el('div', { class: 'cp-log-row', 'data-log-of': id }, label, entries);
      this.logRows.set(id, { row, entries, snap, cells: [], sig: '' });
      return row;
    });
    this.logs.replaceChildren(
      el('h3', { text: 'Logs' }, el('span', { class: 'cp-hint', text: ' (each box is an entry showing its term; solid = committed)' })),
      ...rows,
    );
  }

  /** Opens node `id`'s actions (null closes them). */
  select(id) {
    this.selected = id;
    this.renderActions();
    if (this.selected) this.actions.querySelector('button')?.focus({ preventScroll: true });
  }

  renderActions() {
    const sim = this.simulation;
    const id = this.selected;
    if (!sim || !id) {
      this.actions.replaceChildren(
        el('h3', { text: 'Nodes' }),
        el('p', { class: 'cp-hint', text: 'Click a node (or focus it and press Enter) to start an election, crash or restart it, or send it a client request. Click a message in flight to drop it.' }),
      );
      this.actionSig = '';
      return;
    }
    const n = sim.nodes().find((x) => x.id === id);
    const crashed = n.crashed;
    const buttons = [];
    if (n.removed) {
      this.actions.replaceChildren(el('h3', { text: `${id} has left the cluster` }));
      this.actionSig = `${id}|removed`;
      return;
    }
    const btn = (text, fn, title) => {
      const b = el('button', { type: 'button', class: 'cp-btn', text, title });
      b.addEventListener('click', fn);
      buttons.push(b);
    };
    if (!crashed && !n.paused) btn('Start election', () => this.act((s) => s.startElection(id)), 'As if its election timer fired (§5.2)');
    if (crashed) btn('Restart', () => this.act((s) => s.restart(id)), 'Restart with its persistent state');
    else btn('Crash', () => this.act((s) => s.crash(id)), 'Stop it; its disk (term, vote, log) survives');
    if (!crashed) btn('Client request', () => this.clientRequest(id), 'A client sends a command to this node');
    if (!crashed && !n.paused && n.state !== 'leader' && sim.leader()) {
      btn('Transfer leadership here', () => this.act((s) => s.transferLeadership(id)), 'The leader brings this node up to date, then tells it to start an election now (TimeoutNow, §3.10)');
    }
    if (!crashed && !n.paused) btn('Pause', () => this.act((s) => s.pause(id)), 'Freeze it (a long GC pause): it wakes later with a stale view');
    if (n.paused) btn('Resume', () => this.act((s) => s.resume(id)), 'Wake it with the view it had');
    if (!crashed && sim.leader()) btn('Remove from cluster', () => this.act((s) => s.removeNode(id)), 'The leader appends a configuration without this server (§4.1)');
    btn('Isolate', () => this.act((s) => this.ids.filter((o) => o !== id).forEach((o) => s.cutLink(id, o, true))), 'Cut every link to and from it');
    const close = el('button', { type: 'button', class: 'cp-close', 'aria-label': 'Close node actions', text: '×' });
    close.addEventListener('click', () => this.select(null));
    this.stateList = el('dl', { class: 'cp-state' });
    this.actions.replaceChildren(
      el('div', { class: 'cp-actions-head' }, el('h3', { text: `${id}` }), close),
      el('div', { class: 'cp-buttons' }, ...buttons),
      this.stateList,
    );
    this.actionSig = `${id}|${crashed}|${n.paused}|${n.state}|${sim.leader()}`;
    this.renderState(n);
  }

  renderState(n) {
    if (!this.stateList) return;
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
    const sig = JSON.stringify(rows);
    if (sig === this.stateSig) return;
    this.stateSig = sig;
    this.stateList.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]));
  }

  render() {
    const sim = this.simulation;
    if (!sim) return;
    this.dirty = false;
    // A server joined (§4.1): lay the ring out again.
    if (sim.ids.length !== this.ids.length) {
      this.ids = sim.ids;
      this.buildNodes();
      this.buildLogs();
      if (this.selected) this.renderActions();
    }
    const now = sim.now;
    setText(this.clock, `t = ${fmtMs(now)}`);
    const v = sim.violations();
    if (v.length !== this.violationCount) {
      this.violationCount = v.length;
      this.banner.hidden = v.length === 0;
      this.banner.textContent = v.length ? `Safety violation — ${v[0].rule} (${v[0].nodes.join(', ')}) at ${fmtMs(v[0].time)}: ${v[0].detail}` : '';
      this.violationNodes = new Set(v.flatMap((x) => x.nodes));
    }
    const nodes = sim.nodes();
    this.renderNodes(nodes, now);
    this.renderMessages(sim.messages(), now);
    this.renderLogs(nodes);
    this.renderEvents(sim.eventsSince(this.lastSeq));
    if (this.selected) {
      const n = nodes.find((x) => x.id === this.selected);
      const sig = n.removed ? `${n.id}|removed` : `${n.id}|${n.crashed}|${n.paused}|${n.state}|${sim.leader()}`;
      if (sig !== this.actionSig) this.renderActions();
      else this.renderState(n);
    }
    this.renderLinks(sim.network());
    this.renderMetrics(sim.stats(), now);
  }

  /** Messages per commit and commits per second over the last 10 simulated s; election latency. */
  renderMetrics(stats, now) {
    const samples = (this.metricSamples ??= []);
    // One sample per 100 simulated ms at most: about 100 in the window at any speed.
    if (!samples.length || now >= samples.at(-1).now + 100) samples.push({ now, sent: stats.messagesSent, committed: stats.committed });
    while (samples.length > 2 && samples[1].now <= now - 10000) samples.shift();
    const first = samples[0];
    const commits = stats.committed - first.committed;
    const span = (now - first.now) / 1000;
    const m = this.metricEls;
    setText(m.perCommit, commits > 0 ? ((stats.messagesSent - first.sent) / commits).toFixed(1) : '—');
    setText(m.commitRate, span > 0 ? (commits / span).toFixed(1) : '—');
    setText(
      m.election,
      stats.leaderlessPeriods ? `${Math.round(stats.lastLeaderlessMs)} ms (mean ${Math.round(stats.leaderlessMs / stats.leaderlessPeriods)})` : '—',
    );
  }

  renderNodes(nodes, now) {
    for (const n of nodes) {
      const e = this.nodeEls.get(n.id);
      const state = n.removed ? 'removed' : n.crashed ? 'crashed' : n.state;
      setAttr(e.g, 'data-state', state);
      setAttr(e.g, 'data-term', n.currentTerm);
      setAttr(e.g, 'data-paused', n.paused);
      setAttr(e.g, 'aria-label', `${n.id}: ${state}${n.paused ? ' (paused)' : ''}, term ${n.currentTerm}. Open actions`);
      setAttr(e.g, 'aria-expanded', this.selected === n.id);
      setText(e.term, String(n.currentTerm));
      let sub = state;
      if (state === 'candidate') sub = `candidate ${n.votes}/${nodes.length}`;
      if (state === 'follower' && n.preVotes > 0) sub = `pre-vote ${n.preVotes}/${nodes.length}`;
      if (n.paused) sub = `paused ${n.state}`;
      setText(e.sub, sub);
      // Election timer: the arc shrinks from full to nothing as the deadline approaches.
      let frac = 0;
      if (!n.crashed && n.electionDeadline !== null && n.electionDeadline > n.electionTimerStart) {
        frac = clamp((n.electionDeadline - now) / (n.electionDeadline - n.electionTimerStart), 0, 1);
      }
      const r = NODE_R + 6;
      let d = '';
      if (frac >= 0.9999) d = `M0 ${-r} A${r} ${r} 0 1 1 0 ${r} A${r} ${r} 0 1 1 0 ${-r}`;
      else if (frac > 0) {
        const a = 2 * Math.PI * frac;
        d = `M0 ${-r} A${r} ${r} 0 ${a > Math.PI ? 1 : 0} 1 ${(r * Math.sin(a)).toFixed(2)} ${(-r * Math.cos(a)).toFixed(2)}`;
      }
      setAttr(e.arc, 'd', d);
      const bad = this.violationNodes?.has(n.id) ? ' cp-violating' : '';
      setAttr(e.g, 'class', `cp-node${this.selected === n.id ? ' cp-selected' : ''}${bad}`);
    }
  }

  renderLinks(net) {
    const cut = new Set(net.cutLinks.map(([f, t]) => `${f}>${t}`));
    for (const { g, title, p, q } of this.linkEls.values()) {
      const pq = cut.has(`${p}>${q}`);
      const qp = cut.has(`${q}>${p}`);
      const state = pq && qp ? 'both' : pq || qp ? 'one' : 'none';
      if (g.dataset.cut === state) continue;
      g.dataset.cut = state;
      const what = state === 'both' ? 'cut both ways' : state === 'one' ? `cut from ${pq ? p : q} to ${pq ? q : p}` : 'working';
      title.textContent = `Link ${p}–${q}: ${what}. Click to ${state === 'none' ? 'cut' : 'repair'} it.`;
      g.setAttribute('aria-label', title.textContent);
    }
  }

  toggleLink(p, q) {
    const g = this.linkEls.get(`${p}-${q}`).g;
    this.act((s) => (g.dataset.cut === 'none' ? s.cutLink(p, q, true) : s.repairLink(p, q, true)));
  }

  renderMessages(msgs, now) {
    const seen = new Set();
    for (const m of msgs) {
      seen.add(m.id);
      let e = this.messageEls.get(m.id);
      if (!e) {
        e = this.createMessage(m);
        this.messageEls.set(m.id, e);
        this.messageLayer.append(e.g);
      }
      const a = this.pos.get(m.from);
      const b = this.pos.get(m.to);
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len = Math.hypot(dx, dy) || 1;
      const ux = dx / len;
      const uy = dy / len;
      // Requests and replies between one pair travel in two lanes, so they do not overlap.
      const lane = 7;
      const sx = a.x + ux * (NODE_R + 4) - uy * lane;
      const sy = a.y + uy * (NODE_R + 4) + ux * lane;
      const ex = b.x - ux * (NODE_R + 4) - uy * lane;
      const ey = b.y - uy * (NODE_R + 4) + ux * lane;
      const f = m.deliverAt > m.sentAt ? clamp((now - m.sentAt) / (m.deliverAt - m.sentAt), 0, 1) : 1;
      setAttr(e.g, 'transform', `translate(${(sx + (ex - sx) * f).toFixed(1)} ${(sy + (ey - sy) * f).toFixed(1)})`);
    }
    for (const [id, e] of this.messageEls) {
      if (!seen.has(id)) {
        e.g.remove();
        this.messageEls.delete(id);
      }
    }
  }

  createMessage(m) {
    let cls = 'cp-msg';
    let shape;
    let glyph = '';
    if (m.kind === 'RequestVote') {
      cls += ' cp-rv';
      shape = svg('circle', { r: 8 });
    } else if (m.kind === 'PreVote') {
      cls += ' cp-pv';
      shape = svg('circle', { r: 7 });
      glyph = '?';
    } else if (m.kind === 'PreVoteResponse') {
      cls += m.voteGranted ? ' cp-pv-ok' : ' cp-pv-no';
      shape = svg('circle', { r: 7 });
      glyph = m.voteGranted ? '✓' : '✗';
    } else if (m.kind === 'InstallSnapshot') {
      cls += ' cp-is';
      shape = svg('rect', { x: -9, y: -7, width: 18, height: 14, rx: 2 });
      glyph = 'S';
    } else if (m.kind === 'InstallSnapshotResponse') {
      cls += m.matchIndex > 0 ? ' cp-ok' : ' cp-no';
      shape = svg('rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 });
      glyph = m.matchIndex > 0 ? '✓' : '✗';
    } else if (m.kind === 'TimeoutNow') {
      cls += ' cp-tn';
      shape = svg('rect', { x: -7, y: -7, width: 14, height: 14, transform: 'rotate(45)' });
      glyph = '!';
    } else if (m.kind === 'RequestVoteResponse') {
      cls += m.voteGranted ? ' cp-ok' : ' cp-no';
      shape = svg('circle', { r: 8 });
      glyph = m.voteGranted ? '✓' : '✗';
    } else if (m.kind === 'AppendEntries') {
      cls += m.entries.length ? ' cp-ae' : ' cp-hb';
      shape = svg('rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 });
      glyph = m.entries.length ? String(m.entries.length) : '';
    } else {
      cls += m.success ? ' cp-ok' : ' cp-no';
      shape = svg('rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 });
      glyph = m.success ? '✓' : '✗';
    }
    const g = svg('g', { class: cls, 'data-message': m.kind, 'data-message-id': m.id, role: 'button', 'aria-label': `${describeMessage(m)}. Click to drop it` });
    const title = svg('title');
    title.textContent = `${describeMessage(m)} — click to drop it`;
    const hit = svg('circle', { r: 14, class: 'cp-hit' });
    g.append(title, hit, shape);
    if (glyph) {
      const t = svg('text', { y: 4 });
      t.textContent = glyph;
      g.append(t);
    }
    g.addEventListener('click', (e) => {
      e.stopPropagation();
      this.act((s) => s.dropMessage(m.id));
    });
    return { g };
  }

  renderLogs(nodes) {
    for (const n of nodes) {
      const row = this.logRows.get(n.id);
      const last = n.log.length ? n.log[n.log.length - 1] : null;
      const sig = `${n.snapshotIndex}|${n.log.length}|${last?.term}|${n.commitIndex}|${n.crashed}|${n.state}`;
      if (sig === row.sig) continue;
      row.sig = sig;
      row.row.classList.toggle('cp-crashed', n.crashed);
      row.row.classList.toggle('cp-leader-row', n.state === 'leader' && !n.crashed);
      const cells = row.cells;
      const atEnd = row.entries.scrollLeft + row.entries.clientWidth >= row.entries.scrollWidth - 4;
      // The snapshot stands in for entries 1..snapshotIndex (§7).
      row.snap.hidden = n.snapshotIndex === 0;
      if (n.snapshotIndex > 0) {
        row.snap.textContent = `snapshot 1–${n.snapshotIndex}`;
        row.snap.title = `Snapshot: the state machine after entries 1–${n.snapshotIndex} (last term ${n.snapshotTerm}); those entries are compacted away`;
        row.snap.dataset.snapshot = String(n.snapshotIndex);
      }
      // Cells are keyed by position in the kept log; a compaction shifts every index.
      if (cells.length && n.log.length && cells[0].dataset.entry !== String(n.log[0].index)) {
        while (cells.length) cells.pop().remove();
      }
      while (cells.length > n.log.length) cells.pop().remove();
      n.log.forEach((entry, k) => {
        let c = cells[k];
        if (!c) {
          c = el('span', { class: 'cp-entry', 'data-entry': String(entry.index) });
          cells.push(c);
          row.entries.append(c);
        }
        const committed = entry.index <= n.commitIndex;
        if (c.dataset.entryTerm !== String(entry.term) || c.dataset.committed !== String(committed)) {
          c.dataset.entryTerm = String(entry.term);
          c.dataset.committed = String(committed);
          c.textContent = String(entry.term);
          c.style.background = termColor(entry.term);
          const config = entry.command && typeof entry.command === 'object' && Array.isArray(entry.command.$config);
          c.classList.toggle('cp-config-entry', config);
          const cmd = entry.command === null ? 'no-op (§8)' : config ? `configuration ${entry.command.$config.join(' ')} (§4.1)` : JSON.stringify(entry.command);
          c.title = `index ${entry.index}, term ${entry.term}: ${cmd}${committed ? ', committed' : ', not committed yet'}`;
        }
      });
      if (atEnd) row.entries.scrollLeft = row.entries.scrollWidth;
    }
  }

  renderEvents(events) {
    if (!events.length) return;
    this.lastSeq = events[events.length - 1].seq;
    // Routine traffic (heartbeats that change nothing) is left out unless asked for.
    const frag = document.createDocumentFragment();
    const routine = this.routineBox.checked;
    for (let k = events.length - 1; k >= 0 && frag.childNodes.length < MAX_EVENTS; k--) {
      const ev = events[k];
      if (ev.routine && !routine) continue;
      frag.append(el('li', { class: `cp-ev cp-ev-${ev.kind}` }, el('span', { class: 'cp-ev-time', text: fmtMs(ev.time) }), el('span', { text: ev.text })));
    }
    this.eventList.prepend(frag);
    while (this.eventList.childElementCount > MAX_EVENTS) this.eventList.lastElementChild.remove();
  }
}

if (!customElements.get('consensus-playground')) {
  customElements.define('consensus-playground', ConsensusPlayground);
}
