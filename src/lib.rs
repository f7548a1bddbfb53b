//! # consensus-playground
//!
//! An interactive consensus-protocol playground: protocol cores in Rust, compiled to
//! WebAssembly, animated in the browser.
//!
//! ## Architecture (dependencies point one way: core ← sim ← bindings ← www)
//!
//! - [`raft`] — the core. `ConsensusProtocol` is a sans-IO state machine: inputs are method
//!   calls (a RequestVote or AppendEntries received, a reply received, an election the caller
//!   decided to start), outputs are return values (the reply, the requests to send, the
//!   entries to apply). It has no clock, no RNG and no IO.
//! - [`kv`] — a replicated key-value store: the state machine applied to the log, with client
//!   sessions (a retried command takes effect once).
//! - [`sim`] — a deterministic discrete-event simulator. It owns time (integer µs), the
//!   network (latency drawn from a seeded RNG, loss, messages a user drops), timers (election
//!   timeouts, heartbeats), crashes and restarts, client requests, and an invariant checker
//!   that runs after every event (Election Safety, Log Matching, Leader Completeness, State
//!   Machine Safety, commitIndex monotonicity). Same seed + same actions = same run.
//! - `wasm` (wasm32 only) — `#[wasm_bindgen]` exports `ConsensusProtocol` and
//!   `Simulation`: validate JS input, convert, forward; small view objects go back
//!   (times in ms at the boundary).
//! - `www/` (not Rust) — the `<consensus-playground>` custom element: renders views, handles
//!   input, holds no protocol logic.
#![deny(missing_docs)]

pub mod kv;
pub mod lincheck;
pub mod raft;
pub mod sim;

#[cfg(target_arch = "wasm32")]
mod wasm;
