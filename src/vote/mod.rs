//! Majority voting (the chapter's "majority, supermajority, weighted"; the lesson's
//! `simple_majority` with `quorum: 0.51` and `timeout: 5000`): one round, no leader, for
//! discrete decisions. A proposer broadcasts a proposal `key = value`, every voter (the proposer
//! too) votes for or against by its policy, and the proposer settles it exactly once —
//! accepted as soon as the weight for reaches the quorum, rejected as soon as it no longer can,
//! timed out when its time runs out — then tells every voter, who apply an accepted value.
//!
//! - [`quorum`]: the quorum rules (majority, supermajority, unanimous, a fraction, a count)
//!   over weighted voters, computed exactly.
//! - [`node`]: one voter's state and handlers, sans-IO (messages, policies, exclusive locks).
//! - [`sim`]: voting as a [`crate::protocol::Protocol`] (its timer, the key-value clients'
//!   writes as proposals), and its actions on the generic simulator.
//! - [`notes`]: what a simulated voter narrates, as data, and its sentences.
//! - [`check`]: the invariants, checked after every event.
//! - [`bug`]: deliberate counting bugs, to show the checker catches them.
//! - [`chaos`]: what voting adds to randomized fault runs; [`view`]: what the page draws.

pub mod bug;
pub mod chaos;
pub mod check;
pub mod node;
pub mod notes;
pub mod quorum;
pub mod sim;
pub mod view;

pub use bug::Bug;
pub use node::{Msg, Options, Policy, ProposalId, Status, Weight};
pub use quorum::Quorum;
pub use sim::{Decision, Timer, Vote, VoteNode, VoteResult, VoteSimulation, Votes};
