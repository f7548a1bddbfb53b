//! Practical Byzantine Fault Tolerance (Castro & Liskov, OSDI 1999 §4; TOCS 2002) as a
//! [`crate::protocol::Protocol`] on the generic simulator: N replicas tolerate f = ⌊(N − 1) / 3⌋
//! traitors. The normal case (pre-prepare, prepare, commit), checkpoints and watermarks, view
//! changes without signatures, state transfer, clients that accept f + 1 matching replies, and
//! traitors of PBFT's own kinds on top of the simulator's silent and mute ones.
//!
//! - [`msg`]: requests, digests and messages.
//! - [`node`]: one replica, sans-IO (and how certificates are weighed without signatures).
//! - [`sim`]: PBFT as a `Protocol` (timers, the key-value store, client replies, traitors) and
//!   its actions on the simulator.
//! - [`notes`]: what a replica narrates, as data, and its sentences.
//! - [`check`]: the invariants over honest replicas, checked after every event.
//! - `digests`: an ordered map keyed by request digest, quick to insert into anywhere.
//! - [`bug`]: deliberate bugs, to show the checker catches them.
//! - [`chaos`]: what PBFT adds to randomized fault runs.

pub mod bug;
pub mod chaos;
pub mod check;
mod digests;
pub mod msg;
pub mod node;
pub mod notes;
pub mod sim;

pub use bug::Bug;
pub use msg::{digest, Digest, Msg, Request, Seq, View};
pub use node::{Behaviour, Options, Phase, Replica, Status};
pub use sim::{Pbft, PbftNode, Timer};
