// The contract between the stage (www/stage/: what every mechanism shares) and a mechanism
// module (www/protocols/<name>.js: one per consensus mechanism, fetched only by the widgets that
// use it). Types only; nothing imports this file at run time.
//
// As in Observable Plot, where plot.js owns layout and scales and each mark renders what it owns:
// the stage owns the layout and the shared parts (the ring: node placement, links and their cut
// state, messages in flight placed by sentAt, deliverAt and the clock; the controls; the faults
// panel with crash, pause and isolate; the metrics; the event log). A mechanism module answers
// the questions below and draws nothing else. Views are what the wasm Simulation returns:
// sim.nodes()[i] has id, crashed, paused, removed; sim.messages()[i] has id, kind, from, to,
// sentAt, deliverAt; the rest of their fields belong to the mechanism.

/**
 * What www/protocols/<name>.js exports (named exports).
 * @typedef {object} Mechanism
 * @property {string} name                 the `protocol` attribute's value, e.g. 'raft'
 * @property {Function} Simulation         its wasm core's Simulation class (the only import a mechanism
 *   module has is its wasm glue, which the build swaps for a build hosting it alone)
 * @property {() => Promise<unknown>} load   loads and starts its wasm core
 * @property {LegendItem[]} legend         under the ring: node states, then message kinds
 * @property {(m: object) => MessageShape} messageShape   how one message in flight looks
 * @property {(m: object) => string} describeMessage      one sentence: the message's tooltip and aria-label
 * @property {(n: object, nodes: object[], cx: Stage) => NodeLabel} nodeLabel   what a node on the ring shows
 * @property {(n: object, cx: Stage, common: CommonActions) => (Action|false|null)[]} nodeActions
 *   the selected node's buttons in order, the stage's common ones placed where they belong
 *   (falsy entries are skipped)
 * @property {(n: object) => [string, string|number][]} nodeDetails   the selected node's state, as rows
 * @property {Action[]} toolbar            toolbar buttons: slot 'cluster' (after Reset) or 'clients' (before KV clients)
 * @property {(cx: Stage) => Panel} panel  per widget: the mechanism's own panel (Raft: the logs)
 * @property {(attr: (name: string) => string|null, parse: {range: Function, onOff: Function}) => object} [options]
 *   Simulation options of its own, read from the element's attributes (Raft: snapshot-interval,
 *   election-timeout-ms, pre-vote, …); `parse` (stage/settings.js) reads "150-300" as [150, 300]
 *   and "on"/"off" as true/false, and passes anything else on for the core to refuse
 * @property {(nodes: object[], k: number) => object|undefined} [commit]   more facts for the host
 *   page's cp-commit event about the k-th value decided cluster-wide (Raft: the entry's command;
 *   Multi-Paxos: the slot and its value), read from the node views
 * @property {string} hint                 what clicking a node does (shown while none is selected)
 * @property {boolean} [traitors]          the node actions offer to make a node a traitor (the Byzantine
 *   mechanisms; needs a wasm core built with traitors, whose Simulation has setByzantine)
 * @property {[string, string]} routine    the event log's switch for routine events: label, tooltip
 * @property {{summary: string, load: () => Promise<{buildExperiments(dom: object): Element}>, css: string}} [experiments]
 *   an Experiments panel: its code and stylesheet (a path like Stage's stylesheet) are fetched
 *   when a reader first opens it; buildExperiments gets Stage's dom
 * @property {boolean} [kvClients]         false: the toolbar offers no KV clients (gossip: no leader to send to)
 * @property {(options: object) => boolean} [dense]   whether the Simulation options (the element's
 *   attributes) are shown by the mechanism's scene instead of the ring (gossip: from 31 agents on)
 * @property {(cx: Stage) => Scene} [scene]   the mechanism's own view in place of the ring, its
 *   legend and the metrics, for the options `dense` accepts; beside it only the mechanism's panel
 *   (no node actions, Network and bugs panel, event log): cx.sim is null, the scene runs its
 *   simulation itself (gossip: in a Web Worker)
 */

/**
 * @typedef {object} Scene
 * @property {Element} root                 the stage column
 * @property {Element} [aside]              goes in the side column, under the mechanism's panel
 * @property {(options: object, fail: (message: string) => void) => void} reset   a new run with these options
 * @property {(ms: number) => void} advance   run `ms` more of simulated time (the frame loop, while playing)
 * @property {() => void} step              handle the next event
 * @property {number} now                   the simulated time shown, ms
 * @property {() => void} free              stop (the widget is rebuilt or shows another mechanism)
 */

/**
 * What the stage gives a mechanism. A mechanism module imports nothing (so that no chunk is
 * shared with the element's file and fetched on load): what it needs comes from here.
 * @typedef {object} Stage
 * @property {object} sim        the wasm Simulation (replaced on Reset: read it each time)
 * @property {string[]} ids      the node ids, in ring order
 * @property {(fn: (sim: object) => void) => void} act   runs fn on the simulation and redraws; a thrown error is noted in the event log
 * @property {(to?: string) => void} clientRequest       a client sends the next command ('x=1', 'y=2', …) to `to`, or to the leader
 * @property {{el: Function, svg: Function, button: Function}} dom   the DOM helpers of www/dom.js
 * @property {boolean} combined   the page loaded one wasm hosting every mechanism (protocols/combined.js), not this mechanism's own
 * @property {(name: string) => string|null} attr   the element's attribute `name`
 * @property {(name: string, value: string|number) => void} configure   sets the element's attribute
 *   `name` (a setting such as nodes or mode: the run starts again with it)
 * @property {(path: string) => Promise<unknown>} stylesheet   adds www/<path> (www/dist/<path> when bundled) once; resolves when loaded.
 *   A mechanism's own styles go in www/protocols/<name>.css, which its panel() fetches this way
 *   (Paxos, voting): the build bundles it and size.mjs counts it to that mechanism's widgets only
 */

/** @typedef {{text: string, title: string, run: (cx: Stage) => void, slot?: 'cluster'|'clients', disabled?: ((cx: Stage) => string|null) | string | null}} Action  (`disabled`: why it cannot act now, or null: a toolbar button's as a function of the stage, a node action's as a string; a node action keeps its place and says why) */
/** @typedef {{crash: Action, pause: Action|null, isolate: Action}} CommonActions  Crash or Restart; Pause or Resume (null while crashed); Isolate */
/** @typedef {[string, string]} LegendItem  a swatch (CSS class cp-lg-<key>) and its text */

/**
 * @typedef {object} MessageShape
 * @property {string} cls                 CSS classes of the message, besides cp-msg
 * @property {[string, object]} shape     an SVG element centred on 0,0: tag and attributes
 * @property {string} [glyph]             a character drawn over it
 */

/**
 * @typedef {object} NodeLabel
 * @property {string} state               data-state, which the CSS colours the node by
 * @property {string} number              the big number inside the node (Raft: its term)
 * @property {string} sub                 the line under the node
 * @property {string} label               its aria-label (the stage adds ". Open actions")
 * @property {Record<string, string|number>} data   more data-* attributes (Raft: data-term)
 * @property {[number, number|null]|null} timer     [start, deadline]: drawn as an arc that shrinks
 */

/**
 * @typedef {object} Panel
 * @property {Element} root                        goes in the side column, under the node actions
 * @property {(ids: string[]) => void} layout      a new cluster (Reset) or a node joined
 * @property {(nodes: object[], violations: object[]) => void} update    every redraw (violations: sim.violations())
 */

export {};
