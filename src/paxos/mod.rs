//! Multi-Paxos (Lamport, "Paxos Made Simple", 2001, §2–3) as a [`crate::protocol::Protocol`] on
//! the generic simulator.
//!
//! Every node is proposer, acceptor and learner (§2.1). Ballots are `(round, nodeId)`, totally
//! ordered ([`Ballot`]). A node that wants to lead runs phase 1 (prepare/promise, §2.2) once for
//! every slot it has not seen chosen, adopts in each slot the value of the highest-ballot
//! proposal the promises report (P2c), fills gaps with no-ops (`null`), then runs phase 2
//! (accept/accepted) for each new command without repeating phase 1 (§3). Acceptors tell every
//! learner what they accepted (§2.3); a value is chosen when a majority of acceptors accepted it
//! under one ballot. Chosen values are executed in slot order on the replicated key-value store
//! ([`crate::kv`]).
//!
//! - [`node`]: one node's state (acceptor, proposer, learner) and handlers, sans-IO.
//! - [`sim`]: Paxos as a `Protocol` (messages, timers, options, the key-value store and its
//!   clients) and its actions on the simulator.
//! - [`notes`]: what a node narrates, as data, and its sentences.
//! - [`check`]: the invariants, checked after every event.
//! - [`bug`]: deliberate bugs, to show the checker catches them.
//! - [`chaos`]: what Paxos adds to randomized fault runs.
//! - [`view`]: the views the page draws.

pub mod bug;
pub mod chaos;
pub mod check;
pub mod node;
pub mod notes;
pub mod sim;
pub mod view;

pub use bug::Bug;
pub use node::{AcceptedEntry, Ballot, Replica, Role, Slot, NO_OP};
pub use sim::{Msg, Options, Paxos, PaxosNode, Timer};
