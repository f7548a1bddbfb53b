//! Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014):
//! the seed's `ConsensusProtocol` as a sans-IO state machine.
//!
//! - [`node`]: one server's state and handlers (Figure 2).
//! - [`message`]: RequestVote and AppendEntries arguments and results, log entries.
//! - [`bug`]: deliberate protocol bugs (off by default), to show the checker catches them.
//! - [`sim`]: Raft as a [`crate::protocol::Protocol`] (timers, PreVote flow, persistence rule,
//!   the key-value store and its clients), and Raft's actions on the generic simulator.
//! - [`notes`]: what a simulated server narrates, as data, and its sentences.
//! - [`check`]: the invariants (Figure 3), checked after every event.
//! - [`config`], [`view`]: a simulated cluster's settings and the views the page draws.
//! - [`chaos`]: what Raft adds to randomized fault runs; [`experiments`]: Figure 16, messages per write.

pub mod bug;
pub mod chaos;
pub mod check;
pub mod config;
pub mod experiments;
pub mod message;
pub mod node;
pub mod notes;
pub mod sim;
pub mod view;

pub use crate::error::{Error, Result};
pub use bug::{Bug, Bugs};
pub use config::Config;
pub use sim::{Payload, Raft, RaftNode, RaftSimulation};
pub use message::{
    AppendEntriesArgs, AppendEntriesReply, AppendEntriesRequest, CommandText, LogEntry, RequestVoteArgs,
    InstallSnapshotArgs, InstallSnapshotReply, RequestVoteReply, Snapshot, TimeoutNowArgs,
};
pub use node::{AppendDecision, ConsensusProtocol, Role, VoteDecision, VoteTally};

/// A term number (Raft paper §5.1): 0 before any election, then 1, 2, …
pub type Term = u64;
/// A log index (Raft paper §5.3): entries are numbered from 1; 0 means "before the first".
pub type LogIndex = u64;
/// A node's id: a small integer, 0 for `n1` (names only in views and sentences).
pub type NodeId = crate::protocol::NodeId;
