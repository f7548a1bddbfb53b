// ConsensusTrait (issue #15 §1): the lesson's agent API on the Rust cores of `createConsensus`.
// See README.md, "Agents that agree for real: ConsensusTrait".

/** The lesson's names; `vote` is accepted for `simple_majority` (the same core). */
export type Mechanism = 'simple_majority' | 'vote' | 'raft' | 'paxos' | 'pbft' | 'gossip';

export interface NodeInfo {
  id: string;
  address?: string | null;
  metadata?: Record<string, unknown>;
}

export interface ConsensusTraitConfig {
  /** Default 'simple_majority'. */
  mechanism?: Mechanism;
  /** ms: a proposal's deadline, and how long a silent node stays "reachable" (default 5000). */
  timeout?: number;
  /** simple_majority: a fraction 0 < q < 1 of the total weight, a weight count ≥ 1, or 'majority' (default), 'supermajority', 'unanimous'. */
  quorum?: number | 'majority' | 'supermajority' | 'unanimous';
  /** simple_majority: {nodeId: weight} (1 each otherwise). */
  weights?: Record<string, number>;
  /** simple_majority: how this voter votes: 'approve' (default), 'reject', 'manual' (vote() by hand) or {random: p}. */
  policy?: 'approve' | 'reject' | 'manual' | { random: number };
  /** simple_majority: a voter approves at most one open proposal per key (default true). */
  exclusive?: boolean;
  /** ms between heartbeats: Raft's and Paxos's leader heartbeat, gossip's round, and this layer's liveness messages (default min(1000, timeout / 5); Raft's core: 50). */
  heartbeatInterval?: number;
  /** [lo, hi] ms: Raft's election timeout; Paxos's leader timeout (lo) and backoff (hi − lo); PBFT's view-change timeout (lo). */
  electionTimeout?: [number, number];
  /** Raft: batch commands for batchWindow ms into one AppendEntries (default false). */
  batchUpdates?: boolean;
  /** ms (default 10). */
  batchWindow?: number;
  /** Accepted and checked; not yet passed to the Raft core (see the README). */
  snapshotInterval?: number;
  /** The original implementation's spelling of setMessageSender(fn). */
  messageSender?: (toNodeId: string, message: object) => void;
  /** The other members (ids or NodeInfo), as addNode would add them. */
  nodes?: Array<string | NodeInfo>;
  /** Seeds the core's random draws (default 1, mixed with the node id). */
  seed?: number;
}

export interface ProposalResult {
  proposalId: string;
  accepted: boolean;
  status: 'accepted' | 'rejected' | 'timeout';
  /** null for batch. */
  key: string | null;
  value: unknown;
  votes: { for: number; against: number; total: number };
  quorumRequired: number | null;
  /** Why it was not accepted; null when it was. */
  error: string | null;
  /** Raft, Paxos, PBFT: the log index, slot or sequence number it was decided at. */
  index?: number;
  /** Gossip: the value is set locally and spreads (eventually consistent). */
  local?: true;
}

/** compareAndSwap's result: the command's outcome at its place in the log, the same on every node. */
export interface CompareAndSwapResult extends ProposalResult {
  /** Whether it swapped; null when the command was not applied (rejected, timed out). */
  swapped: boolean | null;
  /** The value the command found under the key (undefined: absent): the winner's value when another write came first. */
  seen: unknown;
  /** The value after it. */
  current: unknown;
}

/** increment's result. `value` is the delta proposed. */
export interface IncrementResult extends ProposalResult {
  /** false (and `error`) when the key holds something else than a number; null when not applied. */
  applied: boolean | null;
  seen: unknown;
  /** The value after it (the new total when applied). */
  current: unknown;
}

export type BatchOperation =
  | { op: 'set'; key: string; value: unknown }
  | { op: 'increment'; key: string; delta?: number }
  | { op: 'compareAndSwap'; key: string; expected?: unknown; value: unknown };

/** batch's result: `key` is null and `value` the operations. */
export interface BatchResult extends ProposalResult {
  /** Whether every operation was applied (none is when one fails); null when the command was not applied. */
  applied: boolean | null;
  failed: { index: number; key?: string; reason: string } | null;
  /** Each key's value before the batch. */
  seen: Record<string, unknown> | undefined;
  /** Each key's value after it (when applied). */
  values: Record<string, unknown> | null;
}

export interface UpdateResult {
  updated: boolean;
  /** The value committed (updated) or the last value seen (not updated). */
  value: unknown;
  previous: unknown;
  attempts: number;
  error: string | null;
  index?: number;
}

export interface LockOptions {
  /** ms the grant lasts (default 10,000), counted in the log's time from the grant. */
  leaseMs?: number;
  /** Who takes it (default this agent's id). */
  holder?: string;
  /** ms to keep trying when it is held (default 0: answer at once). */
  wait?: number;
}

/** acquireLock's result. */
export interface LockResult extends ProposalResult {
  /** Whether this request got the lock; null when the command was not applied. */
  acquired: boolean | null;
  /** The fencing token of the grant: larger than every earlier grant's. Null when not acquired. */
  token: number | null;
  /** The holder: this request's when acquired, the current one's when refused. */
  holder: string | null;
  /** When the lease ends (ms since the epoch, in the log's time). */
  expiresAt: number | null;
}

export interface ReleaseResult extends ProposalResult {
  /** false when the lock is no longer held under that token; null when the command was not applied. */
  released: boolean | null;
}

export interface LockState {
  holder: string;
  token: number;
  acquiredAt: number;
  expiresAt: number;
}

export interface DebugState {
  nodeId: string;
  mechanism: Mechanism;
  core: 'vote' | 'raft' | 'paxos' | 'pbft' | 'gossip';
  running: boolean;
  role: string | null;
  /** The original implementation's name for role. */
  state: string | null;
  /** Raft's term, Paxos's promised ballot round, PBFT's view; null otherwise. */
  currentTerm: number | null;
  /** The original implementation's name for currentTerm. */
  term: number | null;
  leaderId: string | null;
  commitIndex: number;
  logLength: number;
  members: string[];
  reachable: string[];
  partition: null | 'minority' | 'majority';
  /** Raft: a committed configuration left this agent out, and it stopped. */
  removed: boolean;
  pending: number;
  values: Record<string, unknown>;
  /** The locks as this agent has applied them. */
  locks: Record<string, LockState>;
  /** PBFT: the view and the last executed sequence number. */
  view?: number;
  sequence?: number;
  /** The core's own view (createConsensus's `view`). */
  coreView: Record<string, unknown> | null;
  [more: string]: unknown;
}

export interface ConsensusTraitEvents {
  'leader:elected': (leaderId: string, term: number) => void;
  'state:changed': (key: string, newValue: unknown, oldValue: unknown) => void;
  /** Raft: (candidateId, term); simple_majority: (proposer, proposalId, {key, value}). */
  'vote:requested': (from: string, termOrProposalId: number | string, proposal?: { key: string; value: unknown }) => void;
  /** Raft: (candidateId, term); simple_majority: (proposer, proposalId). */
  'vote:granted': (to: string, termOrProposalId: number | string) => void;
  'log:appended': (entry: { term: number; index: number; command: unknown }) => void;
  'node:unreachable': (nodeId: string) => void;
  'node:reconnected': (nodeId: string) => void;
  'partition:detected': (info: { side: 'minority' | 'majority'; reachable: string[] }) => void;
  'partition:healed': () => void;
  'consensus:accepted': (result: ProposalResult) => void;
  /** The original implementation's name for consensus:accepted (both fire). */
  'proposal:accepted': (result: ProposalResult) => void;
  'proposal:rejected': (result: ProposalResult) => void;
  'proposal:timeout': (result: ProposalResult) => void;
  /** Raft: the configuration this agent holds changed (in effect once appended, dissertation §4.1; `committed` once its entry is). */
  'membership:changed': (change: { members: string[]; added: string[]; removed: string[]; index: number; committed: boolean }) => void;
  /** Raft: a change asked of this agent was refused, or not committed within `timeout` ms. */
  'membership:rejected': (info: { op: 'add' | 'remove'; nodeId: string; error: string }) => void;
  /** Raft: a committed configuration left `nodeId` out (this agent itself included: it then stops). */
  'node:removed': (nodeId: string) => void;
}

export declare const EVENTS: ReadonlyArray<keyof ConsensusTraitEvents>;
export declare const MECHANISM_NAMES: ReadonlyArray<Mechanism>;

export declare class ConsensusTrait {
  constructor(nodeId: string, config?: ConsensusTraitConfig);
  readonly mechanism: Mechanism;
  readonly running: boolean;
  getNodeId(): string;
  /**
   * Before the first start(): a member the core is built with. While a raft agent runs: asks the
   * leader to add it, one server at a time (`membership:changed` reports it done). Other
   * mechanisms throw while running.
   */
  addNode(node: NodeInfo): this;
  /** Before start(): whether it was listed. While a raft agent runs: asks the leader to remove it; whether it is a member. */
  removeNode(nodeId: string): boolean;
  getNodes(): Array<{ id: string; address: string | null; metadata: Record<string, unknown>; self: boolean; reachable: boolean }>;
  getLeader(): string | null;
  isLeader(): boolean;
  setMessageSender(fn: (toNodeId: string, message: object) => void): this;
  handleMessage(fromNodeId: string, message: object): void;
  start(): this;
  stop(): this;
  propose(key: string, value: unknown): Promise<boolean>;
  proposeWithResult(key: string, value: unknown): Promise<ProposalResult>;
  vote(proposalId: string, approve: boolean): this;
  /** One replicated command (raft, paxos, pbft; simple_majority and gossip throw): swaps when `key` holds `expected` (undefined: absent). */
  compareAndSwap(key: string, expected: unknown, newValue: unknown): Promise<CompareAndSwapResult>;
  /** Adds `delta` (an integer, default 1; negative to decrement) as one replicated command. */
  increment(key: string, delta?: number): Promise<IncrementResult>;
  /** Several operations as one replicated command, all or nothing. */
  batch(operations: BatchOperation[]): Promise<BatchResult>;
  /** Optimistic update: fn(current) committed with compareAndSwap, recomputed on conflict at most `retries` (5) more times. */
  update(key: string, fn: (current: unknown) => unknown | Promise<unknown>, options?: { retries?: number }): Promise<UpdateResult>;
  /** A lock with a lease and a fencing token, granted in the replicated state machine. */
  acquireLock(name: string, options?: LockOptions): Promise<LockResult>;
  /** Releases the lock granted under `token`. */
  releaseLock(name: string, token: number): Promise<ReleaseResult>;
  /** The lock as this agent has applied it, or null when free. */
  getLock(name: string): LockState | null;
  get(key: string): unknown;
  subscribe(key: string, callback: (newValue: unknown, oldValue: unknown, key: string) => void): () => void;
  getDebugState(): DebugState;
  on<E extends keyof ConsensusTraitEvents>(event: E, listener: ConsensusTraitEvents[E]): this;
  once<E extends keyof ConsensusTraitEvents>(event: E, listener: ConsensusTraitEvents[E]): this;
  off<E extends keyof ConsensusTraitEvents>(event: E, listener: ConsensusTraitEvents[E]): this;
  emit<E extends keyof ConsensusTraitEvents>(event: E, ...args: Parameters<ConsensusTraitEvents[E]>): void;
}

export declare function createConsensusTrait(nodeId: string, config?: ConsensusTraitConfig): ConsensusTrait;
