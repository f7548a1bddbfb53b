// ConsensusTrait (issue #15 §1): the lesson's agent API, on the nodes of `createConsensus`.
//
// One agent is one `createConsensus` node (www/pkg, the Rust cores) plus the bookkeeping an
// agent developer needs around it: real timers that drive the core's `tick`, a transport hook
// (`setMessageSender` / `handleMessage`), promises that settle when the core decides, a
// key/value map applied from the core's `decisions` in order, and events read from what the
// node observes. Every vote, append, ballot and quorum count is a call into the wasm core; this
// file holds no protocol logic. The wasm is initialized by the entry that imports this module
// (node.js in Node, browser.js in browsers), not here.

import { createConsensus } from '../pkg/consensus_playground.js';

/** The lesson's mechanism names → the core each runs (`vote` is also accepted for simple_majority). */
const MECHANISMS = { simple_majority: 'vote', vote: 'vote', raft: 'raft', paxos: 'paxos', pbft: 'pbft', gossip: 'gossip' };
const KNOWN = 'simple_majority, raft, paxos, pbft, gossip';

const CONFIG_KEYS = [
  'mechanism', 'timeout', 'quorum', 'weights', 'policy', 'exclusive', 'heartbeatInterval', 'electionTimeout',
  'batchUpdates', 'batchWindow', 'snapshotInterval', 'messageSender', 'nodes', 'seed', 'storage',
];

/** Every event an agent emits (`proposal:accepted` is the original implementation's name for `consensus:accepted`). */
export const EVENTS = [
  'leader:elected', 'state:changed', 'vote:requested', 'vote:granted', 'log:appended', 'node:unreachable',
  'node:reconnected', 'partition:detected', 'partition:healed', 'consensus:accepted', 'proposal:accepted',
  'proposal:rejected', 'proposal:timeout', 'membership:changed', 'membership:rejected', 'node:removed',
];

/** This layer's own messages (liveness and a Raft follower's hand-off to its leader): types the cores do not use. */
const HEARTBEAT = 'AgentHeartbeat';
const FORWARD = 'AgentForward';
/** Raft: a membership change asked of the leader `{op: 'add' | 'remove', nodeId}`, and the answer to a removed server's messages. */
const MEMBERS = 'AgentMembers';
const REMOVED = 'AgentRemoved';

const now = () => performance.now();
/** After the tasks already queued (Node: setImmediate; browsers: a MessageChannel task). */
const nextTurn = (() => {
  if (typeof setImmediate === 'function') return (fn) => setImmediate(fn);
  const queue = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => queue.shift()?.();
  return (fn) => {
    queue.push(fn);
    channel.port2.postMessage(null);
  };
})();

function fail(param, rule, got) {
  return new Error(`${param} ${rule}${arguments.length > 2 ? ` (got ${describe(got)})` : ''}`);
}
function describe(v) {
  if (typeof v === 'function') return 'a function';
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}…` : s;
  } catch {
    return String(v);
  }
}
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
function nonEmptyString(v, param) {
  if (typeof v !== 'string' || v === '') throw fail(param, 'must be a non-empty string', v);
  return v;
}
function positiveMs(v, param) {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw fail(param, 'must be a positive number of milliseconds', v);
  return v;
}
/** A value the transport can carry and the cores store: JSON, round-tripped. */
function jsonValue(v, param) {
  let text;
  try {
    text = JSON.stringify(v);
  } catch (e) {
    throw fail(param, `must be a JSON value (${e.message})`);
  }
  if (text === undefined) throw fail(param, 'must be a JSON value', v);
  return JSON.parse(text);
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * One operation of the state machine on a key's current value `v` (undefined: absent) → {value}
 * (the key's value after it) or {error}. Pure: part of every node's identical step.
 */
function stepOne(o, v) {
  if (o.op === 'set') return 'value' in o ? { value: o.value } : { error: 'set without a value' };
  if (o.op === 'increment') {
    const from = v === undefined ? 0 : v;
    if (!Number.isSafeInteger(o.delta)) return { error: `delta ${describe(o.delta)} is not an integer` };
    if (typeof from !== 'number') return { error: `${o.key} holds ${describe(v)}, not a number` };
    return { value: from + o.delta };
  }
  if (o.op === 'compareAndSwap') {
    const ok = o.expectAbsent === true ? v === undefined : v !== undefined && same(v, o.expected);
    return ok ? { value: o.value } : { error: `${o.key} holds ${describe(v)}, not the value expected` };
  }
  return { error: `unknown operation ${describe(o.op)}` };
}

/**
 * One agent. `new ConsensusTrait(nodeId, config)`; `createConsensusTrait(nodeId, config)` is the same.
 * See README.md, "Agents that agree for real: ConsensusTrait".
 */
export class ConsensusTrait {
  #id;
  #mechanism; // the lesson's name, as given
  #core; // the core's name
  #cfg;
  #nodes = new Map(); // id → {id, address, metadata}
  #members = null; // the sorted ids the core was built with
  #node = null; // the createConsensus node
  #running = false;
  #sender = null;
  #listeners = new Map();
  #subscribers = new Map();
  #kv = new Map();
  #applied = 0; // the last decision index applied
  #pending = new Map(); // proposalId → {key, value, resolve, timer, index?}
  #waiting = []; // Raft: proposals waiting for a leader to be known
  #pbftQueue = []; // PBFT: one request outstanding per client (§4.1)
  #counter = 0;
  #stamp = Date.now().toString(36);
  #tickTimer = null;
  #livenessTimer = null;
  #lastHeard = new Map();
  #lastSent = new Map();
  #unreachable = new Set();
  #side = null; // null, 'minority' or 'majority'
  #sideKey = null;
  #leaderKey = null; // `${term}/${leader}` last announced
  #lastLogIndex = 0;
  #locks = new Map(); // lock name → {holder, token, acquiredAt, expiresAt}: replicated state
  #logClock = 0; // the largest `at` of the lock commands applied (ms since the epoch)
  #lockWaiters = new Map(); // lock name → [wake]: acquireLock({wait}) retries when it is released

  constructor(nodeId, config = {}) {
    this.#id = nonEmptyString(nodeId, 'nodeId');
    if (config === undefined || config === null) config = {};
    if (!isObject(config)) throw fail('config', 'must be an object', config);
    for (const k of Object.keys(config)) {
      if (!CONFIG_KEYS.includes(k)) throw fail(`config.${k}`, `is not an option (known: ${CONFIG_KEYS.join(', ')})`);
    }
    const mechanism = config.mechanism ?? 'simple_majority';
    if (typeof mechanism !== 'string' || !Object.hasOwn(MECHANISMS, mechanism)) {
      throw new Error(`Unknown consensus mechanism ${describe(mechanism)} (known: ${KNOWN}; config.mechanism)`);
    }
    this.#mechanism = mechanism;
    this.#core = MECHANISMS[mechanism];
    const cfg = { timeout: positiveMs(config.timeout ?? 5000, 'config.timeout') };
    cfg.heartbeatInterval = config.heartbeatInterval === undefined ? undefined : positiveMs(config.heartbeatInterval, 'config.heartbeatInterval');
    cfg.liveness = cfg.heartbeatInterval ?? Math.min(1000, cfg.timeout / 5);
    if (config.electionTimeout !== undefined) {
      const e = config.electionTimeout;
      if (!Array.isArray(e) || e.length !== 2 || e.some((x) => typeof x !== 'number' || !(x > 0)) || e[0] > e[1]) {
        throw fail('config.electionTimeout', 'must be [lo, hi], positive milliseconds with lo ≤ hi', e);
      }
      cfg.electionTimeout = e;
    }
    if (config.batchUpdates !== undefined && typeof config.batchUpdates !== 'boolean') throw fail('config.batchUpdates', 'must be a boolean', config.batchUpdates);
    cfg.batchUpdates = config.batchUpdates ?? false;
    cfg.batchWindow = positiveMs(config.batchWindow ?? 10, 'config.batchWindow');
    if (config.snapshotInterval !== undefined && !(Number.isInteger(config.snapshotInterval) && config.snapshotInterval > 0)) {
      throw fail('config.snapshotInterval', 'must be a positive integer (entries)', config.snapshotInterval);
    }
    cfg.snapshotInterval = config.snapshotInterval;
    if (config.seed !== undefined && !(Number.isInteger(config.seed) && config.seed >= 0)) throw fail('config.seed', 'must be a non-negative integer', config.seed);
    cfg.seed = config.seed;
    if (this.#core !== 'vote') {
      for (const k of ['quorum', 'weights', 'policy', 'exclusive']) {
        if (config[k] !== undefined) throw fail(`config.${k}`, `is an option of simple_majority, not of ${mechanism}`);
      }
    }
    if (config.quorum !== undefined) {
      const q = config.quorum;
      if (!(['majority', 'supermajority', 'unanimous'].includes(q) || (typeof q === 'number' && Number.isFinite(q) && q > 0))) {
        throw fail('config.quorum', "must be a fraction (0 < q < 1) of the total weight, a weight count (≥ 1), 'majority', 'supermajority' or 'unanimous'", q);
      }
    }
    if (config.weights !== undefined && !isObject(config.weights)) throw fail('config.weights', 'must be an object {nodeId: weight}', config.weights);
    const p = config.policy;
    if (p !== undefined && !['approve', 'reject', 'manual'].includes(p) && !(isObject(p) && Object.keys(p).join() === 'random' && typeof p.random === 'number' && p.random >= 0 && p.random <= 1)) {
      throw fail('config.policy', "must be 'approve', 'reject', 'manual' or {random: p} with 0 ≤ p ≤ 1", p);
    }
    Object.assign(cfg, { quorum: config.quorum, weights: config.weights, policy: config.policy, exclusive: config.exclusive });
    if (config.storage !== undefined) {
      const st = config.storage;
      if (!(st && typeof st.getItem === 'function' && typeof st.setItem === 'function')) {
        throw fail('config.storage', 'must have getItem(key) and setItem(key, value), as localStorage has', st);
      }
      if (this.#core !== 'raft') throw fail('config.storage', `is an option of raft, not of ${mechanism} (its core has no persistent state to restore yet)`);
      this.#storage = st;
    }
    this.#cfg = cfg;
    this.#nodes.set(this.#id, { id: this.#id, address: null, metadata: {} });
    if (config.nodes !== undefined && !Array.isArray(config.nodes)) throw fail('config.nodes', 'must be an array of node ids or {id, address, metadata}', config.nodes);
    for (const [k, n] of (config.nodes ?? []).entries()) {
      this.#addNode(typeof n === 'string' ? { id: n } : n, `config.nodes[${k}]`);
    }
    if (config.messageSender !== undefined) this.setMessageSender(config.messageSender);
  }

  // ---- identity and membership ----------------------------------------------------------------

  getNodeId() {
    return this.#id;
  }

  /** The lesson's mechanism name, as configured. */
  get mechanism() {
    return this.#mechanism;
  }

  /**
   * Adds a member. Before start(): to the members the core is built with. While a Raft agent
   * runs: asks the cluster's leader to add it (dissertation §4.1, one server at a time); the
   * change is done when `membership:changed` reports it (see the README).
   */
  addNode(node) {
    if (this.#running && this.#core === 'raft') {
      this.#addNode(node, 'node', this.#members.includes(node?.id) ? this.#nodes : this.#info);
      this.#requestChange('add', node.id);
      return this;
    }
    this.#changeMembers('addNode');
    this.#addNode(node, 'node');
    return this;
  }

  #addNode(node, param, into = this.#nodes) {
    if (!isObject(node)) throw fail(param, 'must be an object {id, address?, metadata?}', node);
    const id = nonEmptyString(node.id, `${param}.id`);
    if (node.address !== undefined && node.address !== null && typeof node.address !== 'string') throw fail(`${param}.address`, 'must be a string', node.address);
    if (node.metadata !== undefined && !isObject(node.metadata)) throw fail(`${param}.metadata`, 'must be an object', node.metadata);
    const old = into.get(id);
    into.set(id, { id, address: node.address ?? old?.address ?? null, metadata: jsonValue(node.metadata ?? old?.metadata ?? {}, `${param}.metadata`) });
  }

  /**
   * Removes a member (not this agent). Before start(): → whether it was listed. While a Raft
   * agent runs: asks the leader to remove it → whether it is a member now (the change is done
   * when `membership:changed` reports it).
   */
  removeNode(nodeId) {
    nonEmptyString(nodeId, 'nodeId');
    if (nodeId === this.#id) throw fail('nodeId', 'must not be this agent itself', nodeId);
    if (this.#running && this.#core === 'raft') {
      if (!this.#members.includes(nodeId)) return false;
      this.#requestChange('remove', nodeId);
      return true;
    }
    this.#changeMembers('removeNode');
    return this.#nodes.delete(nodeId);
  }

  #changeMembers(what) {
    if (this.#running) {
      throw new Error(
        `${what}: ${this.#id} is running; the membership of a ${this.#mechanism} cluster is fixed while it runs ` +
          '(createConsensus builds each core with its members; only raft changes them while running; stop() first)',
      );
    }
  }

  // ---- Raft: membership changes while running (dissertation §4.1) -----------------------------

  #memberChanges = []; // [{op, id, mine, deadline, sentAt}]: asked for, not yet committed
  #removed = new Set(); // servers a committed configuration left out: their messages get REMOVED

  /** Keeps the change until a committed configuration has it (or `timeout` passes); the leader makes it. */
  #requestChange(op, id, mine = true) {
    const c = this.#memberChanges.find((x) => x.id === id);
    if (c && c.op === op) return;
    if (c) this.#memberChanges.splice(this.#memberChanges.indexOf(c), 1); // the later request wins
    if (op === 'add') this.#removed.delete(id);
    this.#memberChanges.push({ op, id, mine, deadline: now() + this.#cfg.timeout, sentAt: -Infinity });
    this.#pumpMembers(this.#node.view);
  }

  /**
   * The leader makes the first change not yet in effect once the previous one is committed (the
   * core refuses otherwise, §4.1); another agent forwards it to the leader it knows, again every
   * liveness period until a committed configuration has it. Changes past their deadline are
   * dropped (`membership:rejected` where they were asked for).
   */
  #pumpMembers(v) {
    if (!this.#running || this.#core !== 'raft' || this.#memberChanges.length === 0) return;
    const t = now();
    const committed = v.configIndex <= v.commitIndex;
    const inEffect = (c) => (c.op === 'add') === v.members.includes(c.id);
    this.#memberChanges = this.#memberChanges.filter((c) => {
      if (committed && inEffect(c)) return false;
      if (t <= c.deadline) return true;
      if (c.mine) {
        this.emit('membership:rejected', {
          op: c.op, nodeId: c.id,
          error: `${c.op === 'add' ? 'adding' : 'removing'} ${c.id} was not committed within ${this.#cfg.timeout} ms (no leader, or no quorum)`,
        });
      }
      return false;
    });
    const c = this.#memberChanges.find((x) => !inEffect(x));
    if (!c) return;
    if (v.state === 'leader') {
      if (!committed) return;
      const target = c.op === 'add' ? [...v.members, c.id] : v.members.filter((m) => m !== c.id);
      try {
        this.#call(() => this.#node.changeMembership(target));
        this.#setMembers([...target].sort(), this.#node.view); // at once: the new server's answers come before the next read
      } catch (e) {
        if (/must wait/.test(e.message)) return; // the core's §4.1 rule: after the leader commits an entry of its term
        this.#memberChanges.splice(this.#memberChanges.indexOf(c), 1);
        if (c.mine) this.emit('membership:rejected', { op: c.op, nodeId: c.id, error: e.message });
      }
    } else if (v.leaderId && v.leaderId !== this.#id && t - c.sentAt >= this.#cfg.liveness) {
      c.sentAt = t;
      this.#transmit(v.leaderId, { type: MEMBERS, op: c.op, nodeId: c.id });
    }
  }

  /** The configuration in the core's view changed: the books follow, and `membership:changed` says so. */
  #setMembers(next, v) {
    const added = next.filter((m) => !this.#members.includes(m));
    const removed = this.#members.filter((m) => !next.includes(m));
    if (!added.length && !removed.length) return;
    const t = now();
    for (const m of added) {
      this.#nodes.set(m, this.#nodes.get(m) ?? this.#info.get(m) ?? { id: m, address: null, metadata: {} });
      this.#info.delete(m);
      this.#lastHeard.set(m, t);
      this.#removed.delete(m);
      this.#left.delete(m);
    }
    for (const m of removed) {
      if (m !== this.#id) this.#nodes.delete(m);
      this.#lastHeard.delete(m);
      this.#unreachable.delete(m);
      this.#left.add(m);
    }
    this.#members = next;
    this.emit('membership:changed', { members: [...next], added, removed, index: v.configIndex, committed: v.configIndex <= v.commitIndex });
    this.#updateSide();
  }

  /**
   * Once the configuration in effect is committed, the servers it left out are removed for
   * good: `node:removed` fires, their messages are answered with REMOVED (a removed server
   * hears from no leader, §4.2.3), and this agent, if it is one of them, stops.
   */
  #commitMembers(v) {
    if (this.#left.size === 0 || v.configIndex > v.commitIndex) return;
    const gone = [...this.#left].filter((m) => !v.members.includes(m));
    this.#left.clear();
    for (const m of gone) {
      this.#removed.add(m);
      this.emit('node:removed', m);
    }
    if (gone.includes(this.#id)) this.#leave();
  }
  #left = new Set(); // servers a configuration in effect left out, until it is committed
  #info = new Map(); // id → {id, address, metadata} given to addNode while running, until it is a member

  /** This agent was removed from the cluster: it stops, its pending proposals rejected as such. */
  #leave() {
    this.#wasRemoved = true;
    for (const [id] of [...this.#pending]) this.#settle(id, { accepted: false, status: 'rejected', error: `${this.#id} was removed from the cluster before ${id} was decided` });
    this.stop();
  }
  #wasRemoved = false;

  /** [{id, address, metadata, self, reachable}] in id order. */
  getNodes() {
    return [...this.#nodes.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((n) => ({ ...n, metadata: { ...n.metadata }, self: n.id === this.#id, reachable: n.id === this.#id || !this.#unreachable.has(n.id) }));
  }

  getLeader() {
    if (!this.#node) return null;
    const v = this.#node.view;
    if (this.#core === 'raft' || this.#core === 'paxos') return v.leaderId ?? null;
    if (this.#core === 'pbft') return v.primaryId ?? null;
    return null;
  }

  isLeader() {
    const l = this.getLeader();
    return l !== null && l === this.#id;
  }

  // ---- transport -------------------------------------------------------------------------------

  setMessageSender(fn) {
    if (typeof fn !== 'function') throw fail('messageSender', 'must be a function (toNodeId, message) => void', fn);
    this.#sender = fn;
    return this;
  }

  /** A message from `fromNodeId` (a member) arrives. A stopped agent ignores it (it is down). */
  handleMessage(fromNodeId, message) {
    nonEmptyString(fromNodeId, 'fromNodeId');
    if (!isObject(message) || typeof message.type !== 'string') throw fail('message', 'must be an object with a string type', message);
    if (!this.#running) return;
    if (this.#core === 'raft' && fromNodeId !== this.#id && !this.#members.includes(fromNodeId)) {
      // Not a member of the configuration this agent holds: a server being added that it has not
      // heard of yet, or one removed (told so, once the removal is committed). Not an error:
      // membership changes while running make both normal.
      if (this.#removed.has(fromNodeId) && message.type !== REMOVED) this.#transmit(fromNodeId, { type: REMOVED });
      return;
    }
    if (fromNodeId === this.#id || !this.#members.includes(fromNodeId)) {
      throw fail('fromNodeId', `must be another member of ${this.#id}'s cluster (${this.#members.join(', ')})`, fromNodeId);
    }
    this.#heard(fromNodeId);
    if (message.type === HEARTBEAT) return;
    if (message.type === FORWARD) {
      this.#onForward(message);
      return;
    }
    if (this.#core === 'raft' && message.type === MEMBERS) {
      if ((message.op === 'add' || message.op === 'remove') && typeof message.nodeId === 'string' && message.nodeId !== '') {
        this.#requestChange(message.op, message.nodeId, false);
      }
      return;
    }
    if (this.#core === 'raft' && message.type === REMOVED) {
      // A member holds a committed configuration without this agent (§4.2.3).
      this.emit('node:removed', this.#id);
      this.#leave();
      return;
    }
    if (this.#core === 'raft' && message.type === 'RequestVote') this.emit('vote:requested', fromNodeId, message.term);
    if (this.#core === 'vote' && message.type === 'Proposal') this.emit('vote:requested', fromNodeId, message.proposalId, { key: message.key, value: message.value });
    this.#call(() => this.#node.handleMessage(fromNodeId, message));
  }

  // ---- life ------------------------------------------------------------------------------------

  start() {
    if (this.#running) return this;
    if (this.#wasRemoved) throw new Error(`start: ${this.#id} was removed from its cluster; a new ConsensusTrait can join again (addNode on a member)`);
    const members = [...this.#nodes.keys()].sort();
    if (this.#node && !same(members, this.#members)) {
      throw new Error(
        `start: ${this.#id}'s members changed since its ${this.#mechanism} core was built (${this.#members.join(', ')}); ` +
          'a core keeps the members it was built with: create a new ConsensusTrait to join another cluster',
      );
    }
    if (members.length > 1 && !this.#sender) {
      throw new Error(`messageSender: ${this.#id} has peers but no way to reach them: call setMessageSender(fn) (or give config.messageSender) before start()`);
    }
    if (!this.#node) {
      const options = this.#coreOptions();
      const saved = this.#storage?.getItem(this.#storageKey);
      if (typeof saved === 'string') {
        try {
          options.persisted = JSON.parse(saved);
        } catch (e) {
          throw new Error(`config.storage holds no state of ${this.#id} under ${this.#storageKey} (${e.message})`);
        }
      }
      this.#node = createConsensus(this.#core, this.#id, members, options);
      this.#restarted = options.persisted !== undefined;
      if (this.#restarted) {
        // Its own log, read back: not appended now (no log:appended for it).
        const v = this.#node.view;
        this.#lastLogIndex = v.log.length ? v.log[v.log.length - 1].index : v.snapshotIndex;
      }
      this.#members = members;
      this.#t0 = now();
    }
    this.#running = true;
    const t = now();
    for (const m of this.#members) if (m !== this.#id) this.#lastHeard.set(m, t);
    this.#unreachable.clear();
    this.#side = this.#sideKey = null;
    this.#livenessTimer = setInterval(() => this.#liveness(), this.#cfg.liveness);
    this.#call(() => this.#node.tick(this.#clock()));
    return this;
  }

  #t0 = 0;
  #clock() {
    return Math.max(0, now() - this.#t0);
  }

  /** Stops the agent: clears every timer (Node can exit) and settles every pending proposal as rejected. The core's state is kept for start(). */
  stop() {
    this.#running = false;
    clearTimeout(this.#tickTimer);
    clearInterval(this.#livenessTimer);
    this.#tickTimer = this.#livenessTimer = null;
    for (const [id, p] of [...this.#pending]) this.#settle(id, { accepted: false, status: 'rejected', error: `${this.#id} stopped before ${id} was decided` });
    for (const p of this.#waiting.splice(0)) this.#settle(p.proposalId, { accepted: false, status: 'rejected', error: `${this.#id} stopped` });
    this.#pbftQueue.length = 0;
    return this;
  }

  get running() {
    return this.#running;
  }

  #coreOptions() {
    const c = this.#cfg;
    const o = {};
    if (c.seed !== undefined) o.seed = c.seed;
    if (this.#core === 'raft') {
      if (c.electionTimeout) o.electionTimeoutMs = c.electionTimeout;
      if (c.heartbeatInterval !== undefined) o.heartbeatMs = c.heartbeatInterval;
      if (c.batchUpdates) o.batchMs = c.batchWindow;
      // snapshotInterval is not passed on: this layer compacts the core's log itself, with its
      // own state as the snapshot (#applyDecisions), not the core's key-value store.
    } else if (this.#core === 'paxos') {
      if (c.heartbeatInterval !== undefined) o.heartbeatMs = c.heartbeatInterval;
      if (c.electionTimeout) {
        o.leaderTimeoutMs = c.electionTimeout[0];
        o.backoffMs = Math.max(1, c.electionTimeout[1] - c.electionTimeout[0]);
      }
    } else if (this.#core === 'pbft') {
      if (c.electionTimeout) o.viewChangeMs = c.electionTimeout[0];
    } else if (this.#core === 'vote') {
      o.timeout = c.timeout;
      for (const k of ['quorum', 'weights', 'policy', 'exclusive']) if (c[k] !== undefined) o[k] = c[k];
    } else if (this.#core === 'gossip') {
      if (c.heartbeatInterval !== undefined) o.intervalMs = c.heartbeatInterval;
    }
    return o;
  }

  // ---- the core, driven ------------------------------------------------------------------------

  /**
   * Calls into the core and sends its outbox at once; reads what changed (events, decisions,
   * the next tick) once per turn of the event loop, however many calls the turn made: reading
   * the core's view costs in proportion to its log.
   */
  #call(fn) {
    // The core's clock moves only when it is ticked, and a timer a call sets runs from that clock:
    // bring it to the present first, or an idle core (a PBFT backup with no timer pending) would
    // start a timer already late and fire it at once (a false suspicion of the primary). Only
    // when that fires nothing: a timer already due (the event loop ran late) fires from its own
    // setTimeout, after the messages that arrived meanwhile, as before.
    const t = this.#clock();
    if (this.#running && t - this.#coreNow >= 1 && !(this.#nextTimerAt <= t)) {
      this.#coreNow = t;
      this.#send(this.#node.tick(t));
    }
    const out = fn();
    this.#send(out);
    this.#observeSoon();
    return out;
  }
  #observeSoon() {
    if (this.#observing) return;
    this.#observing = true;
    nextTurn(() => {
      this.#observing = false;
      this.#observe();
    });
  }
  #observing = false;
  #coreNow = 0; // the last time the core was ticked to (ms since start())
  #nextTimerAt = Infinity; // the core's next timer, as last read

  // ---- durable state (Raft, config.storage) ---------------------------------------------------

  #storage = null;
  #persistedStamp = null;
  #restarted = false; // the core came back from the storage's state
  get #storageKey() {
    return `consensus-trait/${this.#id}`;
  }

  /** Writes the core's persistent state (Figure 2) when it changed (or `force`): before anything it sent leaves. */
  #save(force = false) {
    if (!this.#storage) return;
    const stamp = this.#node.persistentStamp;
    if (!force && stamp === this.#persistedStamp) return;
    this.#persistedStamp = stamp;
    this.#storage.setItem(this.#storageKey, JSON.stringify(this.#node.persistentState));
  }

  #send(outbox) {
    this.#save(); // (a no-op unless the persistent state changed, or without storage)
    for (const { to, message } of outbox ?? []) {
      if (this.#core === 'raft' && message.type === 'RequestVoteResponse' && message.voteGranted) this.emit('vote:granted', to, message.term);
      if (this.#core === 'vote' && message.type === 'Vote' && message.approve) this.emit('vote:granted', to, message.proposalId);
      this.#transmit(to, message);
    }
  }

  #transmit(to, message) {
    this.#lastSent.set(to, now());
    try {
      this.#sender?.(to, message);
    } catch {
      // A transport that throws lost the message; the protocol copes with loss.
    }
  }

  #observe() {
    if (!this.#node) return;
    const v = this.#node.view;
    // A new leader (a new term, ballot or view), as this node learns of it.
    let leader = null;
    let term = null;
    if (this.#core === 'raft') [leader, term] = [v.leaderId, v.currentTerm];
    else if (this.#core === 'paxos') [leader, term] = [v.leaderId, v.promised?.round ?? null];
    else if (this.#core === 'pbft') [leader, term] = [v.state === 'normal' ? v.primaryId : null, v.view];
    if (leader) {
      const key = `${term}/${leader}`;
      if (key !== this.#leaderKey) {
        this.#leaderKey = key;
        this.emit('leader:elected', leader, term);
        if (this.#core === 'raft') this.#flushWaiting();
      }
    }
    if (this.#core === 'raft') {
      const last = v.log.length ? v.log[v.log.length - 1].index : v.snapshotIndex;
      if (last < this.#lastLogIndex) this.#lastLogIndex = last; // a conflicting suffix was truncated (§5.3)
      for (const e of v.log) if (e.index > this.#lastLogIndex) this.emit('log:appended', e);
      this.#lastLogIndex = Math.max(this.#lastLogIndex, last);
    }
    // Decisions, applied in order.
    if (this.#core === 'gossip') this.#applyGossip(v);
    else this.#applyDecisions(v);
    if (this.#core === 'vote') {
      for (const id of [...this.#pending.keys()]) {
        const r = this.#node.result(id);
        if (r && r.status !== 'open') this.#settle(id, r);
      }
    }
    if (this.#core === 'raft') {
      const members = [...v.members].sort();
      if (!same(members, this.#members)) this.#setMembers(members, v);
      this.#commitMembers(v);
      if (!this.#running) return; // removed: it stopped
      this.#pumpMembers(v);
    }
    this.#schedule(v);
  }

  #applyDecisions(v) {
    // A snapshot installed from the leader (§7) stands for entries this agent never applied.
    if (this.#core === 'raft' && v.snapshotIndex > this.#applied) this.#restore(this.#node.snapshot);
    const done = this.#core === 'raft' ? v.lastApplied : this.#core === 'vote' ? Infinity : v.executed;
    if (done !== Infinity && done <= this.#applied) return;
    for (const d of this.#node.decisionsAfter(this.#applied)) {
      if (d.index <= this.#applied) continue;
      this.#applied = d.index;
      const cmd = this.#core === 'pbft' ? d.value?.operation : d.value;
      if (!isObject(cmd)) continue; // a no-op
      const outcome = this.#core === 'vote' ? (this.#put(cmd) && {}) : this.#step(cmd, d.index);
      if (!outcome) continue; // not this layer's
      if (this.#core !== 'vote' && this.#pending.has(cmd.proposalId)) {
        // The commit rule guarantees a quorum: that is what `votes.for` reports.
        const q = this.#quorum();
        this.#settle(cmd.proposalId, { accepted: true, status: 'accepted', index: d.index, votes: { for: q, against: 0, total: this.#members.length }, error: null, outcome });
      }
    }
    const every = this.#cfg.snapshotInterval;
    if (this.#core === 'raft' && every && this.#applied - Math.max(v.snapshotIndex, this.#snapshotAt) >= every) {
      // Log compaction (§7) with this layer's state machine as the snapshot: the core then
      // forgets the entries and the decisions through #applied.
      this.#node.compact(this.#applied, JSON.stringify(this.#state()));
      this.#snapshotAt = this.#applied;
      this.#save(true);
    }
  }
  #snapshotAt = 0; // the index of the last snapshot this agent took

  /** This layer's replicated state: what a snapshot holds (the same on every agent at one index). */
  #state() {
    return { values: [...this.#kv], locks: [...this.#locks], logClock: this.#logClock };
  }

  /** Takes the state a snapshot holds (installed from the leader) in place of the entries it replaces. */
  #restore(snap) {
    let state;
    try {
      state = JSON.parse(snap.data);
    } catch {
      state = null;
    }
    if (!isObject(state) || !Array.isArray(state.values) || !Array.isArray(state.locks)) return; // not this layer's: nothing to take
    this.#applied = snap.index;
    const values = new Map(state.values);
    for (const k of [...this.#kv.keys()]) if (!values.has(k)) this.#apply(k, undefined);
    for (const [k, value] of values) this.#apply(k, value);
    this.#locks = new Map(state.locks);
    this.#logClock = Math.max(this.#logClock, state.logClock ?? 0);
    for (const list of this.#lockWaiters.values()) for (const wake of list.splice(0)) wake();
  }

  /** A plain write `{key, value}`: true when applied. */
  #put(cmd) {
    if (typeof cmd.key !== 'string' || !('value' in cmd)) return false;
    this.#apply(cmd.key, cmd.value);
    return true;
  }

  /**
   * The replicated state machine: applies one committed command at log position `index` and
   * returns its outcome (null when the entry is not this layer's). A pure function of the state
   * and the command, run in log order on every node, so every node decides the same outcome:
   * nothing here reads a clock, a random number or anything local.
   */
  #step(cmd, index) {
    if (cmd.op === undefined) return this.#put(cmd) ? {} : null;
    if (cmd.op !== 'batch' && typeof cmd.key !== 'string') return null;
    switch (cmd.op) {
      case 'cas': {
        const seen = this.#kv.get(cmd.key);
        const swapped = cmd.expectAbsent === true ? seen === undefined : seen !== undefined && same(seen, cmd.expected);
        if (swapped) this.#apply(cmd.key, cmd.value);
        return { swapped, seen, current: swapped ? cmd.value : seen };
      }
      case 'batch': {
        if (!Array.isArray(cmd.value)) return null;
        // All or nothing: run every operation on a copy of the values it touches; apply the copy
        // only when none failed.
        const after = new Map();
        const read = (k) => (after.has(k) ? after.get(k) : this.#kv.get(k));
        const seen = {};
        for (const [k, o] of cmd.value.entries()) {
          if (!isObject(o) || typeof o.key !== 'string') return { applied: false, failed: { index: k, reason: 'not an operation' }, seen, values: null };
          const v = read(o.key);
          if (!(o.key in seen)) seen[o.key] = v;
          const r = stepOne(o, v);
          if (r.error) return { applied: false, failed: { index: k, key: o.key, reason: r.error }, seen, values: null };
          after.set(o.key, r.value);
        }
        for (const [k, v] of after) this.#apply(k, v);
        return { applied: true, failed: null, seen, values: Object.fromEntries(after) };
      }
      case 'increment': {
        const seen = this.#kv.get(cmd.key);
        const r = stepOne(cmd, seen);
        if (r.error) return { applied: false, seen, current: seen, error: r.error };
        this.#apply(cmd.key, r.value);
        return { applied: true, seen, current: r.value };
      }
      case 'lock':
      case 'unlock':
        return this.#stepLock(cmd, index);
      default:
        return null;
    }
  }

  /**
   * Locks with leases and fencing tokens, decided in the replicated state machine.
   *
   * The expiry rule. A lease must end at the same point of the log on every node, so no node's
   * own clock may decide it. Each lock command carries its proposer's wall clock (`at`:
   * `Date.now()` when it was proposed), and the state machine keeps a log clock: the largest
   * `at` applied so far (time in the log never runs backwards). A command is judged at
   * `max(log clock, at)`: a grant made then lasts until that time + `leaseMs` (`expiresAt`), and
   * a lock whose `expiresAt` is not after the judging time is free. Every node applies the same
   * commands in the same order, so every node grants, refuses and expires identically.
   *
   * The fencing token of a grant is the log position of the command that made it (Raft's index,
   * Paxos's slot, PBFT's sequence number): unique and strictly increasing from one grant to the
   * next, across all locks. A lease cannot make a holder safe on its own — the holder may pause
   * (GC, a swapped-out process) past its lease while believing it still holds the lock, and
   * clocks may disagree — so a resource that the lock guards checks the token and refuses any
   * token lower than the highest it has seen (`FencedResource`, www/agents/fencing.js).
   */
  #stepLock(cmd, index) {
    if (!(Number.isFinite(cmd.at) && cmd.at >= 0)) return null;
    const clock = (this.#logClock = Math.max(this.#logClock, cmd.at));
    const held = this.#locks.get(cmd.key);
    const live = held && held.expiresAt > clock ? held : null;
    if (cmd.op === 'lock') {
      if (typeof cmd.holder !== 'string' || !(Number.isFinite(cmd.leaseMs) && cmd.leaseMs > 0)) return null;
      if (live) return { acquired: false, token: null, holder: live.holder, expiresAt: live.expiresAt };
      const lock = { holder: cmd.holder, token: index, acquiredAt: clock, expiresAt: clock + cmd.leaseMs };
      this.#locks.set(cmd.key, lock);
      return { acquired: true, token: lock.token, holder: lock.holder, expiresAt: lock.expiresAt };
    }
    // unlock: by the token of the grant still recorded (a lapsed lease nobody took over frees harmlessly).
    const released = held?.token === cmd.token;
    if (released) this.#locks.delete(cmd.key);
    for (const wake of this.#lockWaiters.get(cmd.key)?.splice(0) ?? []) wake();
    return {
      released,
      error: released ? null : held ? `${cmd.key} is held under fencing token ${held.token}, not ${cmd.token}` : `${cmd.key} is not held`,
    };
  }

  #applyGossip(v) {
    for (const e of v.store) {
      const value = e.deleted || e.value === null ? undefined : e.value;
      const old = this.#kv.get(e.key);
      if (!same(old, value)) this.#apply(e.key, value);
    }
  }

  #apply(key, value) {
    const old = this.#kv.get(key);
    if (value === undefined) this.#kv.delete(key);
    else this.#kv.set(key, value);
    if (same(old, value)) return;
    this.emit('state:changed', key, value, old);
    for (const fn of [...(this.#subscribers.get(key) ?? [])]) {
      try {
        fn(value, old, key);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  #schedule(v) {
    clearTimeout(this.#tickTimer);
    this.#tickTimer = null;
    if (!this.#running) return;
    const next = Math.min(...(v.timers ?? []).map((t) => t.atMs));
    this.#nextTimerAt = next;
    if (!Number.isFinite(next)) return;
    this.#tickTimer = setTimeout(() => {
      this.#tickTimer = null;
      if (this.#running) this.#call(() => this.#node.tick(Math.max(this.#clock(), v.nowMs)));
    }, Math.max(0, next - this.#clock()));
  }

  // ---- liveness and partitions -----------------------------------------------------------------

  #heard(from) {
    this.#lastHeard.set(from, now());
    if (this.#unreachable.delete(from)) {
      this.emit('node:reconnected', from);
      this.#updateSide();
    }
  }

  #liveness() {
    const t = now();
    for (const m of this.#members) {
      if (m === this.#id) continue;
      if (t - (this.#lastSent.get(m) ?? -Infinity) >= this.#cfg.liveness * 0.9) this.#transmit(m, { type: HEARTBEAT });
      if (!this.#unreachable.has(m) && t - this.#lastHeard.get(m) > this.#cfg.timeout) {
        this.#unreachable.add(m);
        this.emit('node:unreachable', m);
      }
    }
    this.#updateSide();
    if (this.#memberChanges.length) this.#pumpMembers(this.#node.view);
  }

  #reachable() {
    return this.#members.filter((m) => m === this.#id || !this.#unreachable.has(m));
  }

  /** The quorum a write needs, in nodes (voting: in weight). */
  #quorum() {
    const n = this.#members.length;
    // PBFT's quorum as its core counts it: ⌈(N + f + 1) / 2⌉, which is 2f + 1 when N = 3f + 1.
    if (this.#core === 'pbft') return Math.ceil((n + Math.floor((n - 1) / 3) + 1) / 2);
    if (this.#core === 'vote') return this.#node.view.quorumRequired;
    return Math.floor(n / 2) + 1;
  }

  #hasQuorum() {
    const reachable = this.#reachable();
    if (this.#core === 'vote') {
      const w = this.#cfg.weights ?? {};
      return reachable.reduce((s, m) => s + (w[m] ?? 1), 0) >= this.#quorum();
    }
    return reachable.length >= this.#quorum();
  }

  #updateSide() {
    if (!this.#running) return;
    const reachable = this.#reachable();
    const side = !this.#hasQuorum() ? 'minority' : reachable.length < this.#members.length ? 'majority' : null;
    const key = side && `${side}:${reachable.join(',')}`;
    if (key === this.#sideKey) return;
    this.#sideKey = key;
    this.#side = side;
    // Again whenever the side or the reachable set changes (nodes go silent one by one).
    if (side === null) this.emit('partition:healed');
    else this.emit('partition:detected', { side, reachable });
  }

  // ---- proposals -------------------------------------------------------------------------------

  /** → Promise<boolean>: accepted or not; always settles. */
  async propose(key, value) {
    return (await this.proposeWithResult(key, value)).accepted;
  }

  /** → Promise<{proposalId, accepted, status, key, value, votes: {for, against, total}, quorumRequired, error}>. */
  proposeWithResult(key, value) {
    nonEmptyString(key, 'key');
    if (value === undefined) throw fail('value', 'must be a JSON value (undefined is not one)');
    value = jsonValue(value, 'value');
    return this.#submit({ key, value });
  }

  /**
   * Proposes one command: `fields` is the log entry without its proposalId (`{key, value}` for a
   * write; `{op, key, …}` for the replicated commands of patterns below, which only the ordered
   * logs take). `blank` is the outcome a command reports when it is not applied (rejected, timed
   * out). → Promise<result>, always settled.
   */
  #submit(fields, blank = null) {
    return new Promise((resolve) => {
      let proposalId = `${this.#id}:${this.#stamp}-${++this.#counter}`;
      const base = { proposalId, key: fields.key ?? null, value: fields.value, blank };
      const reject = (error) => {
        const r = this.#result(base, { accepted: false, status: 'rejected', error });
        this.emit('proposal:rejected', r);
        resolve(r);
      };
      const { key, value } = fields;
      // The lesson's simple_majority snippet proposes without start(): a never-started agent starts here.
      if (!this.#running && !this.#node) {
        try {
          this.start();
        } catch (e) {
          return reject(e.message);
        }
      }
      if (!this.#running) return reject(`${this.#id} is stopped (call start())`);
      if (this.#core !== 'gossip' && this.#side === 'minority') {
        const reachable = this.#reachable();
        return reject(
          `no quorum: the cluster has no quorum reachable from ${this.#id} (it reaches ${reachable.join(', ')}: ` +
            `${reachable.length} of ${this.#members.length}; a write needs ${this.#quorum()}${this.#core === 'vote' ? ' weight' : ''}); read-only until the partition heals`,
        );
      }
      if (this.#core === 'gossip') {
        this.#call(() => this.#node.set(key, value));
        this.#observe(); // get(key) shows it once the promise resolves
        const r = this.#result(base, { accepted: true, status: 'accepted', votes: { for: 1, against: 0, total: this.#members.length }, quorumRequired: 1, error: null, local: true });
        this.emit('consensus:accepted', r);
        this.emit('proposal:accepted', r);
        return resolve(r);
      }
      if (this.#core === 'vote') {
        try {
          this.#call(() => this.#node.propose(key, value));
        } catch (e) {
          return reject(e.message);
        }
        const mine = this.#node.proposals;
        proposalId = mine[mine.length - 1].proposalId;
        base.proposalId = proposalId;
        // The core keeps the deadline (config.timeout); its result settles the promise.
        this.#pending.set(proposalId, { ...base, resolve });
        this.#observe(); // settles it now if the proposer's own weight decides it
        return;
      }
      const p = { ...base, resolve };
      p.timer = setTimeout(() => {
        this.#settle(proposalId, {
          accepted: false,
          status: 'timeout',
          error: `timed out after ${this.#cfg.timeout} ms without a decision; the outcome is unknown (it may still be applied)`,
        });
      }, this.#cfg.timeout);
      this.#pending.set(proposalId, p);
      const command = { proposalId, ...fields };
      if (this.#core === 'raft') this.#raftPropose(command);
      else if (this.#core === 'pbft') {
        this.#pbftQueue.push(command);
        if (this.#pbftQueue.length === 1) this.#pbftNext();
      } else this.#call(() => this.#node.propose(command));
    });
  }

  #raftPropose(command) {
    const { hops = 0, forwarded, ...entry } = command; // the log entry: {proposalId, key, value} or {proposalId, op, …}
    const leader = this.getLeader();
    if (leader === this.#id) {
      try {
        this.#call(() => this.#node.propose(entry));
        return;
      } catch {
        // No longer the leader: fall through.
      }
    }
    const known = this.getLeader();
    if (known && known !== this.#id) this.#transmit(known, { type: FORWARD, ...entry, hops: hops + 1 });
    else if (this.#waiting.length < 10_000) this.#waiting.push(command);
  }

  #flushWaiting() {
    const waiting = this.#waiting.splice(0).filter((c) => c.forwarded || this.#pending.has(c.proposalId));
    for (const c of waiting) this.#raftPropose(c);
  }

  /** Raft: a follower hands a proposal to the leader it knows (the core refuses a follower's propose). */
  #onForward(m) {
    if (this.#core !== 'raft') return;
    const { type, hops, ...command } = m; // the log entry, as its proposer built it
    if (typeof command.proposalId !== 'string' || (command.op === undefined && typeof command.key !== 'string')) return;
    // Passed on to the leader this node knows, or held until it knows one; a proposal that
    // still finds no leader times out at its proposer.
    if ((hops ?? 1) < 3) this.#raftPropose({ ...command, hops: hops ?? 1, forwarded: true });
  }

  #pbftNext() {
    while (this.#pbftQueue.length && !this.#pending.has(this.#pbftQueue[0].proposalId)) this.#pbftQueue.shift();
    const c = this.#pbftQueue[0];
    if (!c) return;
    const out = this.#call(() => this.#node.propose(c));
    // PBFT §4.1: a client that gets no reply soon enough sends its request to every replica, so
    // that each backup expects it and suspects a primary that does not order it. The request is
    // the one the core just sent (to the backups in a PrePrepare, or to the primary).
    const sent = (out ?? []).find((o) => o.message.type === 'PrePrepare' || o.message.type === 'Request')?.message.request;
    const p = this.#pending.get(c.proposalId);
    if (!sent || !p) return;
    p.retransmit = setInterval(() => {
      if (!this.#running || !this.#pending.has(c.proposalId)) return clearInterval(p.retransmit);
      for (const m of this.#members) if (m !== this.#id) this.#transmit(m, { type: 'Request', request: sent });
    }, Math.max(1, this.#cfg.timeout / 4));
  }

  #result(base, r) {
    return {
      proposalId: base.proposalId,
      accepted: r.accepted,
      status: r.status,
      key: base.key,
      value: base.value,
      votes: r.votes ?? { for: 0, against: 0, total: this.#members?.length ?? this.#nodes.size },
      quorumRequired: r.quorumRequired ?? (this.#members ? this.#quorum() : null),
      error: r.error ?? null,
      ...(r.index !== undefined ? { index: r.index } : {}),
      ...(r.local ? { local: true } : {}),
      // A replicated command's outcome, as the state machine decided it at its place in the log
      // (or `blank`, its fields unknown, when it was not applied).
      ...(r.outcome ?? base.blank ?? {}),
    };
  }

  #settle(proposalId, r) {
    const p = this.#pending.get(proposalId);
    if (!p) return;
    this.#pending.delete(proposalId);
    clearTimeout(p.timer);
    clearInterval(p.retransmit);
    const status = r.status === 'open' ? 'rejected' : r.status;
    const result = this.#result(p, { ...r, status, accepted: status === 'accepted' });
    if (status === 'accepted') {
      this.emit('consensus:accepted', result);
      this.emit('proposal:accepted', result);
    } else if (status === 'timeout') {
      if (!result.error) result.error = `timed out after ${this.#cfg.timeout} ms without a quorum`;
      this.emit('proposal:timeout', result);
    } else {
      if (!result.error) result.error = 'rejected';
      this.emit('proposal:rejected', result);
    }
    p.resolve(result);
    if (this.#core === 'pbft' && this.#pbftQueue[0]?.proposalId === proposalId) {
      this.#pbftQueue.shift();
      if (this.#running) this.#pbftNext();
    }
  }

  /** simple_majority: a voter decides by hand on `proposalId` (policy 'manual'). */
  vote(proposalId, approve) {
    nonEmptyString(proposalId, 'proposalId');
    if (typeof approve !== 'boolean') throw fail('approve', 'must be a boolean', approve);
    if (this.#core !== 'vote') throw new Error(`vote: only simple_majority agents vote by hand (this one runs ${this.#mechanism})`);
    if (!this.#running) throw new Error(`vote: ${this.#id} is not running (call start())`);
    this.#call(() => this.#node.vote(proposalId, approve));
    return this;
  }

  // ---- patterns: replicated commands (issue #15 §3) --------------------------------------------
  //
  // Each is ONE command in the log, decided by the state machine (#step) at its place in the
  // log, identically on every node: never a read here followed by a write there, which races.
  // Only the ordered logs (raft, paxos, pbft) can do that; see #needsLog.

  /** The patterns need one order of commands that every node applies: refuse the mechanisms without one. */
  #needsLog(method) {
    if (this.#core === 'vote') {
      throw new Error(
        `${method} needs an ordered log (mechanism raft, paxos or pbft), and ${this.#mechanism} has none: ` +
          'it decides each proposal by its own vote, with no order among proposals, so no value is current at a ' +
          'command\'s place and two conflicting swaps or grants could both pass',
      );
    }
    if (this.#core === 'gossip') {
      throw new Error(
        `${method} needs an ordered log (mechanism raft, paxos or pbft), and gossip has none: it writes locally ` +
          'and merges later (the newer write wins), so two nodes could both swap, both take a lock, or lose an increment',
      );
    }
  }

  /**
   * Compare-and-swap as one replicated command: at its place in the log, if `key` holds
   * `expected` (compared as JSON; `undefined`: the key is absent), it becomes `newValue`.
   * → Promise<result & {swapped, seen, current}>: `swapped` whether it did, `seen` the value the
   * command found there (the winner's value when another swap came first), `current` the value
   * after it. When the command was not applied (no quorum, timeout) `swapped` is null: unknown.
   */
  compareAndSwap(key, expected, newValue) {
    nonEmptyString(key, 'key');
    const expectAbsent = expected === undefined;
    if (!expectAbsent) expected = jsonValue(expected, 'expected');
    if (newValue === undefined) throw fail('newValue', 'must be a JSON value (undefined is not one)');
    newValue = jsonValue(newValue, 'newValue');
    this.#needsLog('compareAndSwap');
    const fields = { op: 'cas', key, value: newValue, ...(expectAbsent ? { expectAbsent: true } : { expected }) };
    return this.#submit(fields, { swapped: null, seen: undefined, current: undefined });
  }

  /**
   * Adds `delta` (an integer; negative to decrement) to the number under `key` (absent: 0), as one
   * replicated command, so concurrent increments from any nodes all count.
   * → Promise<result & {applied, seen, current}>: `current` the value after it; `applied` false
   * (and `error`) when the key holds something else than a number; null when not applied.
   */
  increment(key, delta = 1) {
    nonEmptyString(key, 'key');
    if (!Number.isSafeInteger(delta)) throw fail('delta', 'must be an integer', delta);
    this.#needsLog('increment');
    return this.#submit({ op: 'increment', key, value: delta, delta }, { applied: null, seen: undefined, current: undefined });
  }

  /**
   * Several operations applied as one replicated command, all or nothing: `operations` is an array
   * of `{op: 'set', key, value}`, `{op: 'increment', key, delta}` and `{op: 'compareAndSwap', key,
   * expected, value}`, applied in order at one place in the log; if any fails (a swap whose
   * expected value is not there, an increment of something not a number) none is applied.
   * → Promise<result & {applied, failed: {index, key, reason} | null, seen: {key: before},
   * values: {key: after} | null}>. The result's `key` is null and its `value` the operations.
   */
  batch(operations) {
    if (!Array.isArray(operations) || operations.length === 0) throw fail('operations', 'must be a non-empty array of {op, key, …}', operations);
    const ops = operations.map((o, k) => {
      const at = `operations[${k}]`;
      if (!isObject(o)) throw fail(at, "must be an object {op: 'set' | 'increment' | 'compareAndSwap', key, …}", o);
      const key = nonEmptyString(o.key, `${at}.key`);
      if (o.op === 'set') {
        if (o.value === undefined) throw fail(`${at}.value`, 'must be a JSON value (undefined is not one)');
        return { op: 'set', key, value: jsonValue(o.value, `${at}.value`) };
      }
      if (o.op === 'increment') {
        const delta = o.delta ?? 1;
        if (!Number.isSafeInteger(delta)) throw fail(`${at}.delta`, 'must be an integer', o.delta);
        return { op: 'increment', key, delta };
      }
      if (o.op === 'compareAndSwap') {
        if (o.value === undefined) throw fail(`${at}.value`, 'must be a JSON value (undefined is not one)');
        const value = jsonValue(o.value, `${at}.value`);
        return o.expected === undefined ? { op: 'compareAndSwap', key, value, expectAbsent: true } : { op: 'compareAndSwap', key, value, expected: jsonValue(o.expected, `${at}.expected`) };
      }
      throw fail(`${at}.op`, "must be 'set', 'increment' or 'compareAndSwap'", o.op);
    });
    this.#needsLog('batch');
    return this.#submit({ op: 'batch', value: ops }, { applied: null, failed: null, seen: undefined, values: null });
  }

  /**
   * Optimistic update: reads `key` (this agent's applied value), computes `fn(value)`, and commits
   * it with compareAndSwap against the value it read. When another write came first, the swap
   * fails and nothing is written — the update is rolled back before anyone sees it — and `fn`
   * runs again on the value the swap saw, at most `retries` more times (default 5). `fn` may be
   * async and must not have side effects (it can run several times). When `fn` throws, nothing
   * is written. → Promise<{updated, value, previous, attempts, error}>: `value` the committed
   * value (updated) or the last value seen (not updated); `error` why not.
   */
  update(key, fn, options = {}) {
    nonEmptyString(key, 'key');
    if (typeof fn !== 'function') throw fail('fn', 'must be a function (currentValue) => newValue', fn);
    if (!isObject(options)) throw fail('options', 'must be an object {retries}', options);
    for (const k of Object.keys(options)) if (k !== 'retries') throw fail(`options.${k}`, 'is not an option (known: retries)');
    const retries = options.retries ?? 5;
    if (!(Number.isInteger(retries) && retries >= 0)) throw fail('options.retries', 'must be a non-negative integer', retries);
    this.#needsLog('update');
    return this.#update(key, fn, retries);
  }

  async #update(key, fn, retries) {
    let current = this.#kv.get(key);
    for (let attempt = 1; ; attempt++) {
      let next;
      try {
        next = await fn(current);
        if (next === undefined) throw new Error('fn returned undefined, which is no JSON value');
        next = jsonValue(next, 'fn(value)');
      } catch (e) {
        return { updated: false, value: current, previous: current, attempts: attempt, error: `nothing written: ${e.message}` };
      }
      const r = await this.compareAndSwap(key, current, next);
      if (r.swapped === true) return { updated: true, value: next, previous: current, attempts: attempt, error: null, index: r.index };
      if (r.swapped === null) return { updated: false, value: current, previous: current, attempts: attempt, error: r.error };
      current = r.seen;
      if (attempt > retries) {
        return { updated: false, value: current, previous: current, attempts: attempt, error: `conflict: ${key} changed under each of ${attempt} attempts (retries: ${retries}); nothing written` };
      }
    }
  }

  /**
   * Takes the lock `name` for `leaseMs` (default 10,000) as one replicated command: granted when
   * nobody holds it or the holder's lease has expired (see #stepLock for the expiry rule, judged
   * in the log, not by any node's clock). Not reentrant: a holder asking again is refused until
   * it releases or its lease ends. `holder` names the taker (default this agent's id); `wait`
   * (ms, default 0) retries a refused request when the lock is released here or its lease ends,
   * until `wait` ms have passed.
   * → Promise<result & {acquired, token, holder, expiresAt}>: `token` the grant's fencing token
   * (an integer larger than every earlier grant's: hand it to the resource you write to),
   * `expiresAt` the lease's end (ms since the epoch, in the log's time); when refused, `holder`
   * and `expiresAt` are the current holder's.
   */
  acquireLock(name, options = {}) {
    nonEmptyString(name, 'name');
    if (!isObject(options)) throw fail('options', 'must be an object {leaseMs, holder, wait}', options);
    for (const k of Object.keys(options)) if (!['leaseMs', 'holder', 'wait'].includes(k)) throw fail(`options.${k}`, 'is not an option (known: leaseMs, holder, wait)');
    const leaseMs = positiveMs(options.leaseMs ?? 10_000, 'options.leaseMs');
    const holder = nonEmptyString(options.holder ?? this.#id, 'options.holder');
    const wait = options.wait ?? 0;
    if (!(typeof wait === 'number' && wait >= 0 && !Number.isNaN(wait))) throw fail('options.wait', 'must be a non-negative number of milliseconds', wait);
    this.#needsLog('acquireLock');
    return this.#acquire(name, holder, leaseMs, Date.now() + wait);
  }

  async #acquire(name, holder, leaseMs, deadline) {
    for (;;) {
      const r = await this.#submit({ op: 'lock', key: name, value: holder, holder, leaseMs, at: Date.now() }, { acquired: null, token: null, holder: null, expiresAt: null });
      if (r.acquired !== false || Date.now() >= deadline || !this.#running) return r;
      // Refused: try again once it is released (as this agent applies it) or its lease ends; at
      // once if that happened already (applied in the same turn as the refusal).
      const now = this.#locks.get(name);
      if (!now || now.holder !== r.holder || now.expiresAt !== r.expiresAt) continue;
      await new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        if (!this.#lockWaiters.has(name)) this.#lockWaiters.set(name, []);
        const waiters = this.#lockWaiters.get(name);
        waiters.push(wake);
        const timer = setTimeout(() => {
          const k = waiters.indexOf(wake);
          if (k >= 0) waiters.splice(k, 1);
          resolve();
        }, Math.max(1, Math.min(r.expiresAt, deadline) - Date.now()));
      });
    }
  }

  /**
   * Releases the lock `name` granted under fencing `token`, as one replicated command.
   * → Promise<result & {released, error}>: released false when the lock is no longer held under
   * that token (its lease ended and another holder took it, or it was released already).
   */
  releaseLock(name, token) {
    nonEmptyString(name, 'name');
    if (!(Number.isSafeInteger(token) && token > 0)) throw fail('token', 'must be a positive integer (the fencing token acquireLock returned)', token);
    this.#needsLog('releaseLock');
    return this.#submit({ op: 'unlock', key: name, value: token, token, at: Date.now() }, { released: null });
  }

  /** The lock `name` as this agent has applied it: {holder, token, acquiredAt, expiresAt}, or null when free. A lapsed lease shows until someone takes or releases the lock: compare expiresAt with your clock. */
  getLock(name) {
    nonEmptyString(name, 'name');
    const l = this.#locks.get(name);
    return l ? { ...l } : null;
  }

  // ---- state -----------------------------------------------------------------------------------

  /** The last value applied for `key` (gossip: the local value), or undefined. Served in read-only mode too. */
  get(key) {
    nonEmptyString(key, 'key');
    return this.#kv.get(key);
  }

  /** Calls `callback(newValue, oldValue, key)` whenever `key` changes here; returns the function that unsubscribes. */
  subscribe(key, callback) {
    nonEmptyString(key, 'key');
    if (typeof callback !== 'function') throw fail('callback', 'must be a function', callback);
    if (!this.#subscribers.has(key)) this.#subscribers.set(key, new Set());
    const set = this.#subscribers.get(key);
    const entry = (...a) => callback(...a);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** {nodeId, mechanism, core, role, state, currentTerm, term, leaderId, commitIndex, logLength, …, view: the core's own}. */
  getDebugState() {
    const v = this.#node?.view ?? null;
    const s = {
      nodeId: this.#id,
      mechanism: this.#mechanism,
      core: this.#core,
      running: this.#running,
      role: null,
      currentTerm: null,
      leaderId: this.getLeader(),
      commitIndex: this.#applied,
      logLength: 0,
      members: this.#members ? [...this.#members] : [...this.#nodes.keys()].sort(),
      reachable: this.#members ? this.#reachable() : [],
      partition: this.#side,
      removed: this.#wasRemoved,
      restarted: this.#restarted,
      pending: this.#pending.size,
      values: Object.fromEntries(this.#kv),
      locks: Object.fromEntries([...this.#locks].map(([k, l]) => [k, { ...l }])),
    };
    if (v) {
      s.role = v.state;
      if (this.#core === 'raft') Object.assign(s, { currentTerm: v.currentTerm, commitIndex: v.commitIndex, logLength: v.log.length ? v.log[v.log.length - 1].index : v.snapshotIndex, votedFor: v.votedFor, snapshotIndex: v.snapshotIndex });
      else if (this.#core === 'paxos') Object.assign(s, { currentTerm: v.ballot.round, ballot: v.ballot, commitIndex: v.executed, logLength: v.accepted.length });
      else if (this.#core === 'pbft') Object.assign(s, { currentTerm: v.view, view: v.view, sequence: v.executed, primaryId: v.primaryId, commitIndex: v.executed, logLength: v.log.length, lowWatermark: v.lowWatermark, highWatermark: v.highWatermark });
      else if (this.#core === 'vote') Object.assign(s, { quorumRequired: v.quorumRequired, totalWeight: v.totalWeight, weight: v.weight, policy: v.policy, quorumsIntersect: v.quorumsIntersect, proposals: v.proposals });
      else if (this.#core === 'gossip') Object.assign(s, { clock: v.clock, logLength: v.store.length });
    }
    // The original implementation's names.
    s.term = s.currentTerm;
    s.state = s.role;
    s.coreView = v;
    return s;
  }

  // ---- events ----------------------------------------------------------------------------------

  on(event, listener) {
    this.#checkEvent(event);
    if (typeof listener !== 'function') throw fail('listener', 'must be a function', listener);
    if (!this.#listeners.has(event)) this.#listeners.set(event, []);
    this.#listeners.get(event).push(listener);
    return this;
  }

  once(event, listener) {
    if (typeof listener !== 'function') throw fail('listener', 'must be a function', listener);
    const wrapped = (...a) => {
      this.off(event, wrapped);
      listener(...a);
    };
    return this.on(event, wrapped);
  }

  off(event, listener) {
    this.#checkEvent(event);
    const list = this.#listeners.get(event);
    const k = list ? list.indexOf(listener) : -1;
    if (k >= 0) list.splice(k, 1);
    return this;
  }

  #checkEvent(event) {
    if (!EVENTS.includes(event)) throw fail('event', `must be one of ${EVENTS.join(', ')}`, event);
  }

  /** Calls the listeners of `event`; a listener that throws does not stop the agent (its error is rethrown asynchronously). */
  emit(event, ...args) {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) {
      try {
        fn(...args);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}

/** The lesson's factory: `new ConsensusTrait(nodeId, config)`. */
export function createConsensusTrait(nodeId, config) {
  return new ConsensusTrait(nodeId, config);
}

export const MECHANISM_NAMES = Object.keys(MECHANISMS);
