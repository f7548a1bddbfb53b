//! Raft (Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014):
//! the seed's `ConsensusProtocol` as a sans-IO state machine.
//!
//! - [`node`]: one server's state and handlers (Figure 2).
//! - [`message`]: RequestVote and AppendEntries arguments and results, log entries.
//! - [`error`]: the one error type.
//! - [`bug`]: deliberate protocol bugs (off by default), to show the checker catches them.

pub mod bug;
pub mod error;
pub mod message;
pub mod node;

pub use bug::{Bug, Bugs};
pub use error::{Error, Result};
pub use message::{
    AppendEntriesArgs, AppendEntriesReply, AppendEntriesRequest, LogEntry, RequestVoteArgs,
    InstallSnapshotArgs, InstallSnapshotReply, RequestVoteReply, Snapshot, TimeoutNowArgs,
};
pub use node::{AppendDecision, ConsensusProtocol, Role, VoteDecision, VoteTally};

/// A term number (Raft paper §5.1): 0 before any election, then 1, 2, …
pub type Term = u64;
/// A log index (Raft paper §5.3): entries are numbered from 1; 0 means "before the first".
pub type LogIndex = u64;
/// A node's id, e.g. `"n1"`.
pub type NodeId = String;
