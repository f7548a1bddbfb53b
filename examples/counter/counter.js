// The exercise "Build a distributed counter" (issue #15 §3), on ConsensusTrait: increment and
// decrement from any node, every node shows the same value, survives a single node failure,
// handles partitions, and applies a batch of increments as one command.
//
// The whole idea: an increment is a COMMAND in the replicated log, not a read followed by a
// write. `agent.increment(key, delta)` proposes "add delta to key"; the log orders every node's
// commands, and each node's state machine applies them in that order, so concurrent increments
// from different nodes all count and every node reaches the same total. (A read-then-write —
// get, add one, propose the sum — loses one of two concurrent increments.) A batch is one
// command holding several increments: it is applied whole at one place in the log, or not at all.
// Fault tolerance comes from the mechanism: Raft commits with a majority, so one crashed node of
// three (two of five) changes nothing, and a node cut off from the majority refuses writes
// ("no quorum") and keeps serving the last value it applied until the partition heals.

export class DistributedCounter {
  #agent;
  #key;

  /** A counter named `name` (the key it lives under) on `agent`, a ConsensusTrait with an ordered log (raft, paxos or pbft). */
  constructor(agent, name = 'counter') {
    if (typeof agent?.increment !== 'function') throw new Error('agent must be a ConsensusTrait');
    if (typeof name !== 'string' || name === '') throw new Error(`name must be a non-empty string (got ${JSON.stringify(name)})`);
    this.#agent = agent;
    this.#key = name;
  }

  get name() {
    return this.#key;
  }

  /** The value this node has applied (0 before the first increment). Served while partitioned too: it may lag. */
  value() {
    return this.#agent.get(this.#key) ?? 0;
  }

  /** Adds `by` (an integer, default 1). → Promise<{ok, value, error}>: `value` the total right after this command, in log order. */
  async increment(by = 1) {
    return outcome(await this.#agent.increment(this.#key, by));
  }

  /** Subtracts `by` (default 1). */
  async decrement(by = 1) {
    if (!Number.isSafeInteger(by)) throw new Error(`by must be an integer (got ${JSON.stringify(by)})`);
    return this.increment(-by);
  }

  /**
   * Several increments (and decrements: negative numbers) as ONE command, applied together at
   * one place in the log: `counter.batch([5, -2, 1])`. No other node's increment lands between
   * them, and either all count or none does.
   */
  async batch(deltas) {
    if (!Array.isArray(deltas) || deltas.length === 0) throw new Error(`deltas must be a non-empty array of integers (got ${JSON.stringify(deltas)})`);
    const r = await this.#agent.batch(deltas.map((delta) => ({ op: 'increment', key: this.#key, delta })));
    return { ok: r.accepted && r.applied === true, value: r.values?.[this.#key], error: r.error, status: r.status };
  }

  /** Calls `fn(value)` whenever this node applies a change. → unsubscribe. */
  onChange(fn) {
    return this.#agent.subscribe(this.#key, (v) => fn(v ?? 0));
  }
}

/** ok: the increment is in the log and applied; otherwise `error` says why and `status` whether
 *  it was refused (`'rejected'`: never applied when the error is "no quorum") or is unknown
 *  (`'timeout'`: it may still be applied — do not blindly retry a non-idempotent increment). */
function outcome(r) {
  return { ok: r.accepted && r.applied === true, value: r.current, error: r.error, status: r.status };
}
