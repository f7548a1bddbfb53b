// Shared by the agent tests (agents-trait, agents-patterns, agents-lincheck): ConsensusTrait
// agents in one process over an in-memory network. A send is a function call on a later
// macrotask, every message through JSON (the agents' messages are JSON-safe plain objects);
// links can be cut. Every cluster a test made is stopped after that test, passed or failed, so a
// failed assertion does not leave timers running (the file would never exit).
import { afterEach } from 'node:test';
import { ConsensusTrait } from 'consensus-playground';

const live = new Set();
afterEach(() => {
  for (const c of live) c.stop();
  live.clear();
});

/**
 * `ids.length` agents of `mechanism`, each with `config` and `perNode(id)` (its own settings),
 * and the others as its members. Returns `{agents, get, all, start, stop, until(pred),
 * partition(groups), heal, add(id), replace(id), sent, everywhere(key, value), ready()}`: `until` resolves once
 * `pred()` holds, checked after every delivery and again on the next turn (after the agent's
 * once-per-turn read of its core).
 */
export function cluster(mechanism, ids, config = {}, perNode = () => ({})) {
  const agents = new Map();
  const cut = new Set();
  const waiters = new Set();
  let sent = 0;
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pred()) {
        waiters.delete(w);
        w.resolve();
      }
    }
  };
  const make = (id, members) => {
    const a = new ConsensusTrait(id, { mechanism, ...config, ...perNode(id), nodes: members.filter((x) => x !== id) });
    a.setMessageSender((to, message) => {
      sent++;
      if (cut.has(`${id}|${to}`)) return;
      const text = JSON.stringify(message);
      setTimeout(() => {
        if (cut.has(`${id}|${to}`)) return;
        agents.get(to)?.handleMessage(id, JSON.parse(text));
        check();
        setImmediate(check);
      }, 0);
    });
    agents.set(id, a);
    return a;
  };
  for (const id of ids) make(id, ids);
  const c = {
    agents,
    get: (id) => agents.get(id),
    all: () => [...agents.values()],
    start() {
      for (const a of agents.values()) a.start();
    },
    stop() {
      for (const a of agents.values()) a.stop();
      for (const w of waiters) w.resolve();
    },
    /** Resolves once `pred()` holds. */
    until(pred) {
      if (pred()) return Promise.resolve();
      return new Promise((resolve) => waiters.add({ pred, resolve }));
    },
    /** Cuts every link between agents of different groups (both ways). */
    partition(groups) {
      for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) cut.add(`${a}|${b}`);
    },
    heal() {
      cut.clear();
    },
    /** A new agent `id` (not started) listing every agent so far and itself as its members: one that is to join. */
    add: (id) => make(id, [...agents.keys(), id]),
    /** A new agent in the place of `id` (stop the old one first): the same id, settings and members; a process restarted after a crash. */
    replace: (id) => make(id, [...agents.keys()]),
    /** Messages the agents sent, cut links included. */
    get sent() {
      return sent;
    },
    /** Once every agent holds `value` under `key`. */
    everywhere: (key, value) => c.until(() => c.all().every((a) => JSON.stringify(a.get(key)) === JSON.stringify(value))),
    /** A leader (Raft, Paxos) or a primary in a normal view (PBFT) that every agent knows. */
    ready: () =>
      c.until(() => {
        const l = c.all().map((a) => a.getLeader());
        return l[0] !== null && l.every((x) => x === l[0]);
      }),
  };
  live.add(c);
  return c;
}
