// TypeScript declarations for <consensus-playground> (www/consensus-playground.js, bundled as
// www/dist/consensus-playground.js): its attributes, properties and the events it dispatches for
// the host page. The wasm JavaScript API's own declarations are www/pkg/consensus_playground.d.ts
// (emitted by wasm-bindgen; scripts/build.mjs). README "Embedding it in a course page".
//
//   import 'consensus-playground';                       // defines the element
//   const pg = document.querySelector('consensus-playground')!;
//   pg.addEventListener('cp-leader', (e) => console.log(e.detail.id, e.detail.term));

import type { Simulation } from './pkg/consensus_playground.js';

export type { Simulation };

/** The mechanisms a widget can show (its `protocol` attribute). */
export type Mechanism = 'raft' | 'paxos' | 'vote' | 'pbft' | 'hotstuff' | 'generals' | 'gossip';

/** The parts the `hide` attribute can name (comma- or space-separated). */
export type Part = 'actions' | 'panel' | 'faults' | 'events' | 'metrics' | 'legend' | 'experiments' | 'clients';

/**
 * The element's attributes, as strings (all optional). A bad value shows "Bad settings: …" in the
 * widget's banner; nothing is thrown.
 */
export interface ConsensusPlaygroundAttributes {
  protocol?: Mechanism;
  /** An older name for `protocol`. */
  mechanism?: Mechanism;
  /** 1–16 (gossip: up to 10,000). Default 5. */
  nodes?: string;
  /** Default 7. */
  seed?: string;
  /** Simulated time per wall-clock time, 0.001–1. Default 0.05. */
  speed?: string;
  /** Present: start paused (removing it plays). */
  paused?: '' | string;
  /** "visible": run only while the element is on screen (IntersectionObserver). */
  autoplay?: 'visible';
  /** Parts not to show, e.g. "events,faults,experiments". */
  hide?: string;
  /** "off" hides the Experiments panel (also `hide="experiments"`). */
  experiments?: 'off';
  /** Every mechanism: message latency, "10-15" or "12" ms. Default 10-15. */
  'latency-ms'?: string;
  /** Every mechanism: the probability a message is lost, 0–1. Default 0. */
  'drop-rate'?: string;
  /** Every mechanism: the probability a message is delivered twice, 0–1. Default 0. */
  'duplicate-rate'?: string;
  /** Every mechanism: deliberate bugs from the start, "no-log-check,figure8" (`Simulation.bugList(protocol)`). */
  bugs?: string;
  /** Raft: entries between snapshots, or "off". Default 20. */
  'snapshot-interval'?: string;
  /** Raft: the election timeout's range, "150-300" ms. */
  'election-timeout-ms'?: string;
  /** Raft and Paxos: the leader's heartbeat, ms. Default 50. */
  'heartbeat-ms'?: string;
  /** Raft: PreVote (§9.6), "on" or "off". Default on. */
  'pre-vote'?: 'on' | 'off' | '';
  /** Raft: CheckQuorum, "on" or "off". Default on. */
  'check-quorum'?: 'on' | 'off' | '';
  /** Raft: ReadIndex reads (§6.4), "on" or "off". Default on. */
  'read-index'?: 'on' | 'off' | '';
  /** The Byzantine mechanisms: traitors from the start, "n1:equivocate, n2:silent". */
  byzantine?: string;
  /**
   * A guided scenario: a built-in's name ("first-election"), "protocol/name"
   * ("paxos/dueling-proposers") or a URL ending in .json (README "Guided scenarios").
   */
  scenario?: string;
  /** Mechanism-specific attributes (README's table): quorum, weights, mode, m, … */
  [name: string]: string | undefined;
}

/** cp-leader: a node leads (a new one, or the same one in a new term). */
export interface LeaderDetail {
  id: string;
  /** Raft's term, a Paxos ballot's round, PBFT's or HotStuff's view; null if the views have none. */
  term: number | null;
  /** Simulated time, ms. */
  timeMs: number;
}
/** cp-commit: the index-th value is decided cluster-wide (stats().committed went past it). */
export interface CommitDetail {
  /** Raft: the log index (no-ops and configuration entries count); Multi-Paxos: the slot; others: the count of decisions. */
  index: number;
  /** Multi-Paxos: the slot (= index). */
  slot?: number;
  /** Raft: the entry's command; Multi-Paxos: the slot's value; absent once compacted or for other mechanisms. */
  value?: unknown;
  /** Simulated time of the redraw that saw it, ms. */
  timeMs: number;
}
/** cp-crash, cp-restart. */
export interface NodeDetail {
  id: string;
  timeMs: number;
}
/** cp-partition: the nodes joined by links that work both ways form more than one group. */
export interface PartitionDetail {
  groups: string[][];
  timeMs: number;
}
/** cp-heal: every node can reach every other again. */
export interface HealDetail {
  timeMs: number;
}
/** cp-violation: the checker found a broken safety rule. */
export interface ViolationDetail {
  rule: string;
  nodes: string[];
  detail: string;
  /** The log index (Raft), slot (Multi-Paxos) or sequence number (PBFT) the rule names, or null. */
  index: number | null;
  timeMs: number;
}

/** cp-scenario: a guided scenario reached a step, saw its task done (or not), or finished. */
export interface ScenarioDetail {
  /** The scenario's `name` (null if it has none). */
  scenario: string | null;
  /** The step reached (1-based). */
  step: number;
  /** How many steps it has. */
  of: number;
  kind: 'step' | 'task-done' | 'task-wrong' | 'finished';
  /** The step's caption as written ({leader} not filled in). */
  caption: string;
  timeMs: number;
}

export interface ConsensusPlaygroundEventMap {
  'cp-leader': CustomEvent<LeaderDetail>;
  'cp-commit': CustomEvent<CommitDetail>;
  'cp-crash': CustomEvent<NodeDetail>;
  'cp-restart': CustomEvent<NodeDetail>;
  'cp-partition': CustomEvent<PartitionDetail>;
  'cp-heal': CustomEvent<HealDetail>;
  'cp-violation': CustomEvent<ViolationDetail>;
  'cp-scenario': CustomEvent<ScenarioDetail>;
}

/** What embed.html posts to its parent window for each event. */
export interface ConsensusPlaygroundMessage<K extends keyof ConsensusPlaygroundEventMap = keyof ConsensusPlaygroundEventMap> {
  source: 'consensus-playground';
  type: K;
  detail: ConsensusPlaygroundEventMap[K]['detail'];
}

/** A run of `consensus-sim check` where it stopped (the CLI prints it as "page"). */
export interface CheckRun {
  seed: number;
  nodes: number;
  events: number;
  faults: string;
  bug?: string | null;
}

export class ConsensusPlayground extends HTMLElement {
  static observedAttributes: string[];
  /** The wasm Simulation behind the widget (replaced on Reset); null before it loads, on bad settings, and in gossip's dense view (run in a worker). */
  simulation: Simulation | null;
  /** Simulated time per wall-clock time. */
  speed: number;
  /** The `protocol` attribute (or `mechanism`), default "raft". */
  mechanismName(): string;
  /** Opens a check run, paused at its violation. */
  loadCheck(options: CheckRun): void;
  /** Plays (true) or pauses (false). */
  setPlaying(on: boolean): void;
  /** Handles the next event (pauses). */
  stepOnce(): void;
  /** A new run from the same seed and settings. */
  reset(): void;
  /** Opens the scenario the `scenario` attribute names, or the one written inside the element (resolves once it shows, or failed: the banner says why). */
  openScenario(): Promise<unknown>;
  /** The guided scenario open in the widget, or null: close() leaves it (the run stays). */
  scenario: { close(): void } | null;
}

declare global {
  interface HTMLElementTagNameMap {
    'consensus-playground': ConsensusPlayground;
  }
  // The events bubble (and are composed): a listener on any ancestor, or on document, gets them.
  interface HTMLElementEventMap extends ConsensusPlaygroundEventMap {}
  interface DocumentEventMap extends ConsensusPlaygroundEventMap {}
}
