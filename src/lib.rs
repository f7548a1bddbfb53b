//! # consensus-playground
//!
//! An interactive consensus-protocol playground: protocol cores in Rust, compiled to
//! WebAssembly, animated in the browser.
//!
//! ## Architecture (dependencies point one way: cores ← simulator ← bindings ← www)
//!
//! - [`protocol`] — the contract every mechanism implements: [`protocol::Protocol`], a sans-IO
//!   state machine that owns its timers and writes its effects as data (send, persist, set or
//!   cancel a timer, decide, answer a client, narrate a [`protocol::Effect::Note`] whose
//!   sentence is built only when read), and [`protocol::Invariants`], its checker. Node ids are
//!   small integers inside; names (`n1` …) only in views and sentences.
//! - [`sim`] — one deterministic discrete-event simulator for any protocol. It owns time
//!   (integer µs), the network (per-message latency drawn from a seeded RNG, loss,
//!   duplication, cut links and partitions), timers, crashes, restarts, pauses, key-value client
//!   workloads, the event log, counters, and the checker driver (after every event, on the nodes
//!   it touched). It never names a protocol. Same seed + same actions = same run.
//! - [`raft`] — Raft: the core `ConsensusProtocol` (Figure 2; PreVote, CheckQuorum, leadership
//!   transfer, snapshots, membership changes, batching and pipelining, ReadIndex, bug switches),
//!   Raft as a `Protocol` with its timers, notes and checker (Election Safety, Log Matching,
//!   Leader Completeness, State Machine Safety, Committed Entry Retention, commitIndex
//!   monotonicity), randomized fault runs ([`raft::chaos`]) and the paper's Figure 16
//!   ([`raft::experiments`]).
//! - [`gossip`] — epidemic dissemination (Demers et al. 1987): anti-entropy and rumor mongering
//!   over a versioned key-value map, death certificates, convergence checked at the end of runs.
//! - `maelstrom` (native builds only) — Maelstrom's `broadcast` workload on the simulator
//!   (its topologies, latency distributions, partitions, `msgs-per-op` and jepsen's set-full
//!   checker) served by a broadcast server on gossip's replica, and that server speaking
//!   Maelstrom's JSON protocol, and Raft or Multi-Paxos serving Maelstrom's `lin-kv` (`consensus-sim maelstrom`,
//!   `maelstrom-node`).
//! - [`kv`] — a replicated key-value store: the state machine applied to the log, with client
//!   sessions (a retried command takes effect once).
//! - [`lincheck`] — linearizability of a client history (Wing & Gong / Lowe, per key).
//! - [`error`] — the one error type: a refused call names the parameter and the rule.
//! - [`node`] — another driver of a protocol: one node driven by hand (`Standalone`), with its
//!   own seeded RNG, clock and timers; what it sends goes to an outbox the caller delivers over
//!   any transport (the JS `createConsensus` API).
//! - `wasm` (wasm32 only) — `#[wasm_bindgen]` exports `Simulation`, `ConsensusProtocol`,
//!   `createConsensus` and Figure 16: validate JS input, convert, forward; small view objects go
//!   back (times in ms at the boundary).
//! - `www/` (not Rust) — the `<consensus-playground>` custom element: renders views, handles
//!   input, holds no protocol logic.
#![deny(missing_docs)]

pub mod collections;
pub mod error;
pub mod generals;
pub mod gossip;
pub mod hash;
pub mod hotstuff;
pub mod kv;
pub mod lincheck;
#[cfg(not(target_family = "wasm"))]
pub mod maelstrom;
pub mod node;
pub mod paxos;
pub mod pbft;
pub mod protocol;
pub mod raft;
#[cfg(not(target_family = "wasm"))]
pub mod shard;
pub mod sim;
pub mod vote;

#[cfg(target_arch = "wasm32")]
mod wasm;

/// The wasm build's allocator: Talc instead of Rust's default dlmalloc, ~2.5 KB gzip smaller
/// in the widget's wasm; the simulator runs as fast (README "Measured").
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
