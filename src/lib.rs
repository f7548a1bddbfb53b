//! # consensus-playground
//!
//! An interactive consensus-protocol playground: protocol cores in Rust, compiled to
//! WebAssembly, animated in the browser.
//!
//! ## Architecture (dependencies point one way: core ← sim ← bindings ← www)
//!
//! - [`raft`] — the core. `ConsensusProtocol` is a sans-IO state machine: inputs are method
//!   calls (a RequestVote or AppendEntries received, a reply received, an election the caller
//!   decided to start), outputs are return values or queues the caller drains (the reply, the
//!   requests to send, the entries to apply, InstallSnapshot/TimeoutNow to send, confirmed
//!   reads). It has no clock, no RNG and no IO. Beyond Figure 2: PreVote, CheckQuorum,
//!   leadership transfer, snapshots, membership changes, batching and pipelining, ReadIndex,
//!   and deliberate bug switches ([`raft::Bug`]).
//! - [`kv`] — a replicated key-value store: the state machine applied to the log, with client
//!   sessions (a retried command takes effect once).
//! - [`lincheck`] — linearizability of a client history (Wing & Gong / Lowe, per key).
//! - [`sim`] — a deterministic discrete-event simulator. It owns time (integer µs), the
//!   network (per-link latency drawn from a seeded RNG, loss, duplication, cut links and
//!   partitions), timers, crashes, pauses, key-value clients, and an invariant checker that
//!   runs after every event (Election Safety, Log Matching, Leader Completeness, State Machine
//!   Safety, Committed Entry Retention, commitIndex monotonicity). Same seed + same actions =
//!   same run. [`sim::chaos`] runs randomized fault schedules; [`sim::experiments`] the
//!   paper's Figure 16.
//! - [`node`] — another driver of a protocol: one node driven by hand (`Standalone`), with its
//!   own seeded RNG, clock and timers; what it sends goes to an outbox the caller delivers over
//!   any transport (the JS `createConsensus` API).
//! - `wasm` (wasm32 only) — `#[wasm_bindgen]` exports `ConsensusProtocol` and
//!   `Simulation`: validate JS input, convert, forward; small view objects go back
//!   (times in ms at the boundary).
//! - `www/` (not Rust) — the `<consensus-playground>` custom element: renders views, handles
//!   input, holds no protocol logic.
#![deny(missing_docs)]

pub mod collections;
pub mod error;
pub mod kv;
pub mod lincheck;
pub mod node;
pub mod protocol;
pub mod raft;
pub mod sim;

#[cfg(target_arch = "wasm32")]
mod wasm;

/// The wasm build's allocator: Talc instead of Rust's default dlmalloc, ~2.5 KB gzip smaller
/// in the widget's wasm; the simulator runs as fast (README "Measured").
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
