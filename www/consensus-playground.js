// <consensus-playground>: an embeddable consensus playground.
//
//   <script type="module" src="consensus-playground.js"></script>
//   <consensus-playground protocol="raft" nodes="5" seed="7" speed="0.05"></consensus-playground>
//
// Attributes: protocol (the mechanism, default raft; `mechanism` is an older name for it), nodes (1–16, default 5), seed (non-negative integer,
// default 7), speed (simulated time per wall-clock time, default 0.05: a 10–15 ms message takes
// 0.2–0.3 s to cross), snapshot-interval (default 20, or off), experiments (off hides that panel),
// byzantine (traitors from the start, for the Byzantine mechanisms: "n1:equivocate, n2:silent"),
// and gossip's mode, fanout, interval-ms, drop-rate and rumors (nodes up to 10,000 there: from 31 on, a
// dense view run in a Web Worker replaces the ring). For a chapter (stage/settings.js): paused
// (start paused), autoplay="visible" (run only while on screen), hide="events,faults,…" (parts:
// actions, panel, faults, events, metrics, legend, experiments, clients), faults at the start for
// every mechanism (latency-ms="10-15", drop-rate, duplicate-rate, bugs="no-log-check"), and
// Raft's election-timeout-ms="150-300", heartbeat-ms, pre-vote, check-quorum, read-index (on/off).
// It tells the host page what happens with events cp-leader, cp-commit, cp-crash, cp-restart,
// cp-partition, cp-heal, cp-violation (stage/host-events.js; types in consensus-playground.d.ts).
// scenario="first-election" (or protocol/name, a URL, or JSON inside the element) opens a guided
// scenario (stage/scenario.js, fetched then; its steps dispatch cp-scenario).
//
// This file is the element's shell: attributes, loading (the mechanism's module,
// www/protocols/<name>.js, then its wasm core), the frame loop, and the simulation's life (reset, step, act). It
// composes the stage (www/stage/: ring, controls, faults, metrics, event log, node actions),
// which draws what every mechanism shares, with one mechanism module (www/protocols/<name>.js,
// fetched only by widgets that use it), which draws what only that mechanism has; their
// contract is www/stage/contract.js. Every protocol step happens in the Rust core (www/pkg,
// WebAssembly): the element asks the Simulation to run up to a time, then draws the views it
// returns. A message's position is a pure function of its send and delivery times and the
// simulated clock, so pause, step and speed cost nothing.
//
// Keyboard and screen readers (README "Keyboard and screen readers"): every action by keyboard
// (a node's Links, Messages in flight: stage/by-keyboard.js), focus kept on the control used,
// shortcuts for the widget in use (stage/keys.js: Space, S, ← →, ?, Escape; the help is
// stage/help.js, fetched on first use), a polite live region (stage/live.js);
// prefers-reduced-motion: reduce starts paused and draws each message still (a third of the way
// from its sender) until it is delivered.
//
// Hooks for tests and course scripts (light DOM, so document.querySelector finds them): see
// README "Embedding it in a course page"; element.simulation is the wasm Simulation.
import { button, clamp, el, fmtMs, svg } from './dom.js';
import { MECHANISMS } from './protocols/index.js';
import { nodeActions } from './stage/actions.js';
import { controls } from './stage/controls.js';
import { eventLog } from './stage/eventlog.js';
import { faults } from './stage/faults.js';
import { hostEvents } from './stage/host-events.js';
import { inflight } from './stage/inflight.js';
import { openHelp, shortcuts } from './stage/keys.js';
import { liveRegion } from './stage/live.js';
import { metrics } from './stage/metrics.js';
import { ring, stillMotion } from './stage/ring.js';
import { commonOptions, hidden, onOff, range } from './stage/settings.js';
import { timeline } from './stage/timeline.js';

const MAX_FRAME_MS = 100; // a long frame (hidden tab) advances the clock by at most this much wall time
// The DOM helpers that the modules loaded later (mechanisms, panels) get from the element rather
// than import, so that no chunk is shared with this file and fetched on load.
const dom = { button, el, svg };

const cores = new Map();
/**
 * The wasm core for a widget of mechanism module `mech`, loaded once per page: resolves to a
 * module with the Simulation class. A page whose widgets show one mechanism loads that
 * mechanism's own wasm (the smallest); a page with widgets of several loads one build hosting
 * them all (www/protocols/combined.js) rather than one wasm per mechanism.
 */
function loadCore(mech) {
  const shown = new Set([...document.querySelectorAll('consensus-playground')].map((e) => e.mechanismName?.()).filter((n) => MECHANISMS[n]));
  const key = shown.size > 1 ? '*' : mech.name;
  if (!cores.has(key)) {
    const loading = key === '*' ? import('./protocols/combined.js').then(async (core) => (await core.load(), core)) : mech.load().then(() => mech);
    loading.catch(() => cores.delete(key)); // a later widget may try again
    cores.set(key, loading);
  }
  return cores.get(key);
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

export class ConsensusPlayground extends HTMLElement {
  static observedAttributes = ['protocol', 'mechanism', 'nodes', 'seed', 'speed', 'snapshot-interval', 'experiments', 'byzantine', 'mode', 'fanout', 'interval-ms', 'drop-rate', 'rumors', 'paused', 'autoplay', 'hide', 'latency-ms', 'duplicate-rate', 'bugs', 'election-timeout-ms', 'heartbeat-ms', 'pre-vote', 'check-quorum', 'read-index', 'scenario',
    // The mechanisms' own, so that a change starts a new run (a scenario's `set`): Paxos, voting, the generals, PBFT, HotStuff.
    'leader-timeout-ms', 'backoff', 'backoff-ms', 'quorum', 'weights', 'policy', 'policies', 'timeout-ms', 'commander', 'm', 'round-ms', 'first-order', 'checkpoint-interval', 'view-change-ms', 'view-timeout-ms'];
  constructor() {
    super();
    this.simulation = null;
    this.speed = 0.05;
    this.live = liveRegion(this); // narration for screen readers (stage/live.js), in every build
    // Also: mech (the mechanism's module, once loaded and drawn), mounting (the mechanism being,
    // or last, loaded), playing, selected (the node whose actions are open), raf (frame loop).
  }

  connectedCallback() {
    stylesheet('consensus-playground.css');
    // A scenario written inside the element (<script type="application/json">), read before the widget replaces its children.
    this.inlineScenario ??= this.querySelector(':scope > script[type="application/json"]')?.textContent;
    this.speed = this.speedAttr();
    this.watchScreen();
    if (this.mounting !== this.mechanismName()) this.mount(this.mechanismName());
    else if (this.mech) this.startLoop();
  }

  disconnectedCallback() {
    this.stopLoop();
    this.screen?.disconnect();
  }

  /** autoplay="visible": the frame loop runs only while the element is on screen. */
  watchScreen() {
    this.screen?.disconnect();
    this.offscreen = this.getAttribute('autoplay') === 'visible';
    if (this.offscreen) (this.screen = new IntersectionObserver(([e]) => ((this.offscreen = !e.isIntersecting) ? this.stopLoop() : this.mech && this.startLoop()))).observe(this);
    else if (this.mech) this.startLoop();
  }

  attributeChangedCallback(name, oldValue, value) {
    if (oldValue === value) return;
    if (name === 'protocol' || name === 'mechanism') {
      if (this.mounting && this.mounting !== this.mechanismName()) this.mount(this.mechanismName());
    } else if (name === 'speed') {
      this.speed = this.speedAttr();
      this.controls?.setSpeed(this.speed);
    } else if (name === 'paused') {
      if (this.controls) this.setPlaying(value === null);
    } else if (name === 'scenario') {
      if (this.simulation) value === null ? this.scenario?.close() : this.openScenario();
    } else if (name === 'autoplay') {
      if (this.isConnected) this.watchScreen();
    } else if (name === 'experiments' || name === 'hide') {
      try {
        if (this.controls) this.showParts();
      } catch (e) {
        this.showError(`Bad settings: ${e.message}`);
      }
    } else if (this.simulation || this.scene) {
      this.reset();
    }
  }

  mechanismName() {
    return this.getAttribute('protocol') || this.getAttribute('mechanism') || 'raft';
  }

  speedAttr() {
    const s = Number(this.getAttribute('speed') ?? 0.05);
    return Number.isFinite(s) && s > 0 ? clamp(s, 0.001, 1) : 0.05;
  }

  options() {
    const opts = { protocol: this.mechanismName() };
    const nodes = this.getAttribute('nodes');
    const seed = this.getAttribute('seed');
    if (nodes !== null) opts.nodes = Number(nodes);
    if (seed !== null) opts.seed = Number(seed);
    // Traitors from the start, for mechanisms that have them: byzantine="n1:equivocate,
    // n2:mute>n3>n4" (mute: the nodes after '>' hear nothing from it). The simulator refuses
    // what it does not know, and the banner says so.
    const traitors = this.getAttribute('byzantine');
    if (traitors && this.traitorUI) opts.byzantine = this.traitorUI.parseTraitors(traitors);
    // Faults at the start, then the mechanism's own attributes (Raft: snapshot-interval).
    const attr = (a) => this.getAttribute(a);
    return { ...opts, ...commonOptions(attr), ...this.mech?.options?.(attr, { range, onOff }) };
  }

  // ---- loading ------------------------------------------------------------------------------

  /**
   * Loads mechanism `name`'s module and the wasm core (in parallel), then draws the widget and
   * starts a run. Until then the widget holds only its banner, which names an unknown mechanism
   * (and the known ones) or what failed to load.
   */
  async mount(name) {
    this.mounting = name;
    this.scenario?.close(); // (the widget opens it again once loaded, if the attribute still names one)
    this.stopLoop();
    this.scene?.free();
    this.scene = null;
    this.simulation?.free();
    this.simulation = null;
    this.mech = null;
    this.playing = !this.hasAttribute('paused') && !stillMotion(); // reduced motion: paused
    this.lastFrame = null;
    this.banner = el('div', { class: 'cp-banner', role: 'alert', hidden: '' });
    this.replaceChildren(el('div', { class: 'cp-root' }, this.banner));
    if (!MECHANISMS[name]) {
      this.showError(`Unknown mechanism "${name}". Known mechanisms: ${Object.keys(MECHANISMS).join(', ')}.`);
      return;
    }
    let mech, core;
    try {
      mech = await MECHANISMS[name]();
      // The Byzantine mechanisms' traitor controls (stage/traitors.js and its stylesheet),
      // fetched only for their widgets.
      if (mech.traitors) stylesheet('stage/traitors.css');
      [core, this.traitorUI] = await Promise.all([loadCore(mech), mech.traitors ? import('./stage/traitors.js') : null]);
    } catch (e) {
      if (this.mounting === name) this.failed(`The ${name} module or the wasm core`)(e);
      return;
    }
    if (this.mounting !== name) return; // the attribute changed meanwhile
    this.Simulation = core.Simulation;
    this.combined = core !== mech;
    this.build(mech);
    if (this.check) this.openCheck();
    else this.reset();
    if (this.pendingRun) this.loadRun(this.pendingRun);
    else if (this.getAttribute('scenario') || this.inlineScenario) this.openScenario();
    if (this.isConnected) this.startLoop();
  }

  /** What the stage hands the mechanism (contract.js: Stage). */
  stageApi() {
    const host = this;
    return {
      get sim() {
        return host.simulation;
      },
      get ids() {
        return host.ids;
      },
      get combined() {
        return host.combined;
      },
      act: (fn) => host.act(fn),
      clientRequest: (to) => host.clientRequest(to),
      attr: (name) => host.getAttribute(name),
      configure: (name, value) => host.setAttribute(name, String(value)),
      dom,
      stylesheet,
    };
  }

  /**
   * Draws the stage around mechanism `mech`'s parts; or, when the mechanism shows these
   * settings in a scene of its own (gossip's dense view of 100 to 10,000 agents, run in a Web
   * Worker), the toolbar and the mechanism's scene and panel.
   */
  build(mech) {
    this.mech = mech;
    // A new timeline: the history module binds again on first use.
    this.history?.reset();
    this.history = this.historyLoading = null;
    this.scene?.free();
    this.scene = null;
    const cx = (this.cx = this.stageApi());
    if (mech.dense?.(this.options())) return this.buildScene(mech, cx);
    this.controls = controls(
      {
        togglePlay: () => this.setPlaying(!this.playing),
        stepBack: () => this.travel((h) => h.stepBack()),
        step: () => this.stepOnce(),
        reset: () => (this.scenario ? this.scenario.begin() : this.reset()),
        speed: (s) => (this.speed = s),
        clients: (on) => this.act((sim) => (on ? sim.startClients({ clients: 2, thinkMs: 60 }) : sim.stopClients())),
        help: () => openHelp(this, dom),
      },
      mech.toolbar,
      cx,
      mech.kvClients !== false,
    );
    this.controls.setSpeed(this.speed);
    this.controls.showPlaying(this.playing);
    this.hostEvents = hostEvents(this);
    this.ring = ring({
      select: (id) => this.select(id),
      toggleLink: (p, q, cut) => this.act((s) => (cut ? s.repairLink(p, q, true) : s.cutLink(p, q, true))),
      drop: (id) => this.act((s) => s.dropMessage(id)),
    });
    const legend = (this.legend = el('div', { class: 'cp-legend', 'aria-hidden': 'true' }, ...mech.legend.map(([key, text]) => el('span', {}, el('i', { class: `cp-lg cp-lg-${key}` }), text))));
    this.metrics = metrics();
    this.actions = nodeActions(mech, cx, () => this.select(null), this.traitorUI);
    this.panel = mech.panel(cx);
    this.faults = faults(cx, () => this.Simulation.bugList(mech.name), this.failed('The Network and bugs panel'));
    this.events = eventLog(mech.routine);
    this.timeline = timeline({ seek: (target) => this.travel((h) => h.seek(target)), history: () => this.loadHistory(), spacetime: (open) => this.showSpacetime(open) });
    this.spacetime = null;
    this.spacetimeOpen = false;
    this.inflight = inflight((id) => this.act((s) => s.dropMessage(id)), this.failed('Messages in flight'), stylesheet);
    // Panels are groups, not landmarks: a page with several widgets would have many alike.
    for (const p of [this.panel.root, this.events.root]) p.setAttribute('role', 'group');
    shortcuts(this, dom);
    const stage = el('div', { class: 'cp-stage' }, this.ring.root, this.timeline.root, this.inflight.root, legend, this.metrics.root);
    const side = el('div', { class: 'cp-side' }, this.actions.root, this.panel.root, this.faults.root);
    const main = el('div', { class: 'cp-main' }, stage, side);
    this.experiments = mech.experiments ? this.buildExperiments(mech.experiments) : null;
    this.replaceChildren(el('div', { class: 'cp-root' }, this.controls.root, this.banner, main, this.events.root, ...(this.experiments ? [this.experiments] : []), this.live.root));
    this.actions.show(null, true);
  }

  /** Opens (or closes) the space-time diagram under the timeline: stage/spacetime.js, fetched on first opening. */
  showSpacetime(open) {
    this.spacetimeOpen = open;
    if (this.spacetime) this.spacetime.root.hidden = !open;
    else if (open)
      Promise.all([import('./stage/spacetime.js'), stylesheet('stage/spacetime.css')]).then(([m]) => {
        if (this.spacetime || !this.spacetimeOpen || !this.ring) return;
        this.spacetime = m.spacetime({ dom, mech: this.mech, ring: this.ring.root, events: this.events.root, act: (fn) => this.act(fn) });
        this.timeline.root.after(this.spacetime.root);
        this.dirty = true;
      }, this.failed('The space-time diagram'));
    this.dirty = true;
  }

  /** Hides the parts named by `hide` (and the Experiments panel with experiments="off"); throws if `hide` is bad. */
  showParts() {
    const h = hidden((a) => this.getAttribute(a));
    const parts = { actions: this.actions?.root, panel: this.panel?.root, faults: this.faults?.root, events: this.events?.root, metrics: this.metrics?.root, legend: this.legend, experiments: this.experiments, clients: this.querySelector('.cp-clients') };
    for (const k in parts) if (parts[k]) parts[k].hidden = h.has(k);
  }

  /**
   * The mechanism's scene in place of the ring, its legend and metrics; beside it, its panel.
   * No node actions, Network and bugs panel nor event log: the scene has its own controls.
   */
  buildScene(mech, cx) {
    this.scene = mech.scene(cx);
    this.controls = controls({ togglePlay: () => this.setPlaying(!this.playing), step: () => this.stepOnce(), reset: () => this.reset(), speed: (s) => (this.speed = s), help: () => openHelp(this, dom) }, mech.toolbar, cx, false);
    this.controls.setSpeed(this.speed);
    this.panel = mech.panel(cx);
    this.panel.root.setAttribute('role', 'group');
    this.ring = this.actions = this.faults = this.events = this.metrics = this.experiments = this.timeline = this.inflight = null;
    shortcuts(this, dom);
    const main = el('div', { class: 'cp-main cp-main-scene' }, this.scene.root, el('div', { class: 'cp-side' }, this.panel.root, this.scene.aside ?? ''));
    this.replaceChildren(el('div', { class: 'cp-root' }, this.controls.root, this.banner, main, this.live.root));
  }

  /** The Experiments panel: its code is fetched when the panel is first opened. */
  buildExperiments({ summary, load, css }) {
    const details = el('details', { class: 'cp-panel cp-experiments' }, el('summary', { text: summary }));
    details.addEventListener('toggle', () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = '1';
      Promise.all([load(), stylesheet(css)]).then(
        ([m]) => details.append(m.buildExperiments(dom)),
        this.failed('The Experiments panel'),
      );
    });
    return details;
  }

  /** What to do when `what` could not load: say so in the banner. */
  failed(what) {
    return (e) => this.showError(`${what} could not load: ${e.message}`);
  }

  showError(text) {
    this.banner.hidden = false;
    this.banner.textContent = text;
    console.error(text);
  }

  // ---- simulation control -------------------------------------------------------------------

  reset() {
    const opts = this.options();
    // Settings that move between the ring and the mechanism's scene (gossip: nodes) rebuild the widget.
    if (!!this.mech.dense?.(opts) !== !!this.scene) this.build(this.mech);
    if (this.scene) {
      this.simulation?.free();
      this.simulation = null;
      this.banner.hidden = true;
      this.scene.reset(opts, (e) => this.showError(`Bad settings: ${e}`));
      this.panel.layout([]);
      return;
    }
    this.replaceSimulation(() => (this.showParts(), new this.Simulation(opts)), 'Bad settings');
  }

  /**
   * Opens a run of `consensus-sim check` where it stopped (a failing seed the CLI printed):
   * `{seed, nodes, events, faults, bug}`. The run is paused; its violation shows in the banner.
   */
  loadCheck(options) {
    this.check = options;
    if (this.mech) this.openCheck();
  }

  openCheck() {
    const options = this.check;
    this.check = null;
    if (this.replaceSimulation(() => this.Simulation.fromCheck({ protocol: this.mechanismName(), ...options }), 'Could not replay the check run')) {
      this.checkOptions = options; // the run starts where the check stopped (a link says so)
      this.setPlaying(false);
    }
  }

  // ---- guided scenarios (stage/scenario.js, fetched when a widget opens one) -----------------

  /** Opens the scenario the `scenario` attribute names (a built-in's name or a URL), or the one written inside the element. */
  openScenario() {
    const spec = this.getAttribute('scenario');
    return import('./stage/scenario.js')
      .then((m) => m.open(this, spec ? { spec } : { text: this.inlineScenario }, import.meta.url))
      .catch(this.failed('The scenario'));
  }

  // ---- time travel, share links and saved runs (stage/timeline.js; stage/history.js) -------

  /** The history module (fetched on first use), bound to this widget. */
  loadHistory() {
    return (this.historyLoading ??= import('./stage/history.js').then((m) => (this.history = m.history(this, this.timeline))));
  }

  /** Runs `fn(history)` once the history module is here; paused, since the reader is looking back. */
  travel(fn) {
    if (!this.simulation) return Promise.resolve();
    this.setPlaying(false);
    return this.loadHistory().then((h) => this.simulation && fn(h), this.failed('Time travel'));
  }

  /** Goes to simulated time `ms` of the run (back or forward), as the timeline does. */
  seek(ms) {
    return this.travel((h) => h.seek({ at: ms }));
  }

  /**
   * Opens a recorded run: a `?run=` link's value (base64url of the JSON) or the JSON itself
   * (an exported file): its attributes, its start, its actions; paused where it was.
   */
  loadRun(run) {
    return import('./stage/history.js').then((m) => m.load(this, run)).catch(this.failed('The run'));
  }

  /**
   * Frees the simulation, puts `make()` in its place and shows it from scratch (nodes, the
   * mechanism's panel, event log, dials, metrics). If `make` throws, there is no simulation and
   * the banner says why (`failure: message`). Returns whether it worked.
   */
  replaceSimulation(make, failure) {
    let sim;
    try {
      this.simulation?.free();
      this.simulation = null;
      sim = make();
    } catch (e) {
      this.showError(`${failure}: ${e.message}`);
      return false;
    }
    this.makeSimulation = make;
    this.checkOptions = null;
    this.ledPanel?.remove();
    this.history?.reset();
    this.timeline.reset(sim);
    this.commandCount = 0;
    this.selected = null;
    this.controls.clientsOff();
    this.show(sim);
    return true;
  }

  /**
   * Shows simulation `sim` from scratch (nodes, the mechanism's panel, event log, dials,
   * metrics) in place of the one shown, which is freed: a new run, or the run at another time.
   */
  show(sim) {
    if (this.simulation !== sim) this.simulation?.free();
    this.simulation = sim;
    this.banner.hidden = true;
    this.violationCount = 0;
    this.actionError = null;
    this.violationNodes = new Set();
    this.metrics.reset();
    this.events.reset();
    this.inflight.reset();
    this.layout(sim.ids);
    this.faults.sync(sim);
    this.dirty = true;
    this.render();
  }

  /** Places nodes `ids` on the ring and in the mechanism's panel. */
  layout(ids) {
    this.ids = ids;
    this.ring.layout(ids);
    this.panel.layout(ids);
  }

  setPlaying(on) {
    this.playing = on;
    this.controls.showPlaying(on);
    this.lastFrame = null;
  }

  stepOnce() {
    if (!this.simulation && !this.scene) return;
    this.setPlaying(false);
    if (this.scene) return this.scene.step();
    if (this.history) this.history.step();
    else this.timeline.ran(this.simulation.step() ? 1 : 0, this.simulation);
    this.dirty = true;
    this.render();
  }

  /** Runs the simulation on to simulated time `ms`, applying the recorded actions due by then. */
  advance(ms) {
    // A guided scenario stops the run where its step's moment is checked (a condition: at the event that met it).
    if (this.scenario?.stopAt != null) ms = Math.min(ms, this.scenario.stopAt);
    if (this.scenario?.advance(ms)) return void (this.dirty = true);
    if (this.history) this.history.advance(ms);
    else this.timeline.ran(this.simulation.runUntil(ms), this.simulation);
    this.dirty = true;
  }

  /** Applies action `fn(sim)`, recorded (timeline.js); in the past, it forks the run there. */
  act(fn) {
    if (!this.simulation) return;
    this.history?.fork();
    const log = this.timeline.run.log;
    const n = log.length;
    try {
      fn(this.timeline.recording(this.simulation));
      if (this.actionError) (this.actionError = null), (this.violationCount = -1);
    } catch (e) {
      // Said where the learner looks (the banner), not only in the event log.
      this.events.note(e.message, this.simulation.now);
      this.actionError = e.message;
      this.violationCount = -1;
    }
    this.scenario?.acted(log.slice(n));
    this.dirty = true;
    this.render();
  }

  clientRequest(to) {
    this.act((sim) => {
      const n = ++this.commandCount;
      sim.clientRequest(`${'xyz'[(n - 1) % 3]}=${n}`, to);
    });
  }

  /** Opens node `id`'s actions (null closes them). */
  select(id) {
    const was = this.selected;
    this.selected = id;
    this.actions.show((id && this.simulation?.nodes().find((x) => x.id === id)) || null, true);
    if (id) this.actions.focus();
    else if (was) this.ring.focusNode(was); // closed: focus goes back to the node
  }

  stopLoop() {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  startLoop() {
    if (this.raf || this.offscreen) return;
    this.lastFrame = null;
    const frame = (t) => {
      this.raf = requestAnimationFrame(frame);
      if (this.scene) {
        // The scene runs its simulation elsewhere (a Web Worker): it is told how far to go.
        const dt = this.playing && this.lastFrame !== null ? Math.min(t - this.lastFrame, MAX_FRAME_MS) : 0;
        this.lastFrame = this.playing ? t : null;
        if (dt > 0) this.scene.advance(dt * this.speed);
        this.controls.showClock(this.scene.now);
        return;
      }
      if (!this.simulation) return;
      if (this.playing) {
        const dt = this.lastFrame === null ? 0 : Math.min(t - this.lastFrame, MAX_FRAME_MS);
        this.lastFrame = t;
        if (dt > 0) this.advance(this.simulation.now + dt * this.speed);
      }
      if (this.dirty) this.render();
    };
    this.raf = requestAnimationFrame(frame);
  }

  // ---- rendering ----------------------------------------------------------------------------

  render() {
    const sim = this.simulation;
    if (!sim) return;
    this.dirty = false;
    // A server joined (Raft §4.1): lay the ring out again.
    if (sim.ids.length !== this.ids.length) this.layout(sim.ids);
    const now = sim.now;
    this.controls.showClock(now);
    const v = sim.violations();
    if (v.length !== this.violationCount) {
      this.violationCount = v.length;
      this.banner.hidden = v.length === 0 && !this.actionError;
      this.banner.textContent = v.length ? `Safety violation — ${v[0].rule} (${v[0].nodes.join(', ')}) at ${fmtMs(v[0].time)}: ${v[0].detail}` : this.actionError ? `Not done: ${this.actionError}` : '';
      this.violationNodes = new Set(v.flatMap((x) => x.nodes));
    }
    this.timeline.show(now, v[0]?.time);
    this.controls.sync();
    const nodes = sim.nodes();
    this.ring.renderNodes(nodes, now, this.mech, this.selected, this.violationNodes, this.cx);
    const msgs = sim.messages();
    this.ring.renderMessages(msgs, now, this.mech);
    this.inflight.render(msgs, this.mech);
    this.panel.update(nodes, v);
    this.events.update(sim);
    this.hostEvents(sim, nodes, this.mech);
    if (this.selected) this.actions.show(nodes.find((x) => x.id === this.selected));
    this.ring.renderLinks(sim.network());
    this.metrics.render(sim.stats(), now);
    if (this.spacetimeOpen && this.spacetime) this.spacetime.render(sim, msgs, nodes);
    this.scenario?.frame();
  }
}

if (!customElements.get('consensus-playground')) {
  customElements.define('consensus-playground', ConsensusPlayground);
}
