//! RequestVote and AppendEntries, their arguments and results (Raft paper Figure 2).

use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

use serde::{Serialize, Serializer};

use super::{LogIndex, NodeId, Term};

/// One log entry: `{term, index, command}` (Raft paper §5.3). Indexes start at 1.
///
/// `command` is the client's command as JSON text (`"null"` for a leader's no-op entry,
/// Raft paper §8); the core never looks inside it. It is shared, not copied (see
/// [`CommandText`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// The term of the leader that created the entry.
    pub term: Term,
    /// The entry's position in the log, from 1.
    pub index: LogIndex,
    /// The command, as JSON text.
    pub command: CommandText,
}

/// A log entry's command text, shared: the leader's log, every AppendEntries that carries the
/// entry, the followers' logs and the checker hold one copy of the text, and cloning an entry
/// counts a reference instead of copying it. Reads as a `str` (it derefs to one, compares with
/// one, prints and serializes as one); made from a `String` or a `&str` with `.into()`.
#[derive(Clone)]
pub struct CommandText(Rc<str>);

impl CommandText {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for CommandText {
    fn from(s: String) -> Self {
        CommandText(Rc::from(s))
    }
}

impl From<&str> for CommandText {
    fn from(s: &str) -> Self {
        CommandText(Rc::from(s))
    }
}

impl Deref for CommandText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq for CommandText {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || self.as_str() == other.as_str()
    }
}

impl Eq for CommandText {}

impl PartialEq<str> for CommandText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for CommandText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for CommandText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for CommandText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl Serialize for CommandText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// RequestVote RPC arguments (Raft paper Figure 2), sent by a candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestVoteArgs {
    /// The candidate's term.
    pub term: Term,
    /// The candidate requesting the vote.
    pub candidate_id: NodeId,
    /// Index of the candidate's last log entry (0 for an empty log).
    pub last_log_index: LogIndex,
    /// Term of the candidate's last log entry (0 for an empty log).
    pub last_log_term: Term,
}

/// RequestVote RPC results (Raft paper Figure 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestVoteReply {
    /// The voter's currentTerm, for the candidate to update itself.
    pub term: Term,
    /// True means the candidate received the vote.
    pub vote_granted: bool,
}

/// AppendEntries RPC arguments (Raft paper Figure 2), sent by a leader to replicate
/// entries and as a heartbeat (empty `entries`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntriesArgs {
    /// The leader's term.
    pub term: Term,
    /// The leader, so followers can redirect clients.
    pub leader_id: NodeId,
    /// Index of the log entry immediately preceding the new ones (0: none).
    pub prev_log_index: LogIndex,
    /// Term of the entry at `prev_log_index` (0 when `prev_log_index` is 0).
    pub prev_log_term: Term,
    /// Entries to store, with indexes `prev_log_index + 1 ..`; empty for a heartbeat.
    pub entries: Vec<LogEntry>,
    /// The leader's commitIndex.
    pub leader_commit: LogIndex,
    /// The leader's confirmation round (ReadIndex, dissertation §6.4; not in Figure 2): the
    /// reply echoes it, proving the follower heard from this leader after a read arrived.
    /// 0 before any read.
    pub round: u64,
}

/// AppendEntries RPC results (Raft paper Figure 2), plus `match_index`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntriesReply {
    /// The follower's currentTerm, for the leader to update itself.
    pub term: Term,
    /// True if the follower held an entry matching `prev_log_index` and `prev_log_term`.
    pub success: bool,
    /// On success, the index of the last entry the request carried (`prev_log_index +
    /// entries.len()`): the follower's log matches the leader's up to there. 0 on failure.
    /// Carrying it lets the leader ignore reordered replies safely.
    pub match_index: LogIndex,
    /// The request's `round`, echoed (ReadIndex).
    pub round: u64,
}

/// An AppendEntries request addressed to one node, as `replicate_log` and the
/// response handlers return them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntriesRequest {
    /// The node to send it to.
    pub to: NodeId,
    /// The request.
    pub args: AppendEntriesArgs,
}

/// TimeoutNow (dissertation §3.10): a leader handing over leadership tells the chosen
/// follower, now as up to date as itself, to start an election at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutNowArgs {
    /// The leader's term.
    pub term: Term,
    /// The leader handing over.
    pub leader_id: NodeId,
}

/// A snapshot (Raft paper §7): the state machine's state after applying every entry up to
/// `index`, standing in for those entries. `data` is the application's, as text; the core
/// never looks inside.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The last entry the snapshot replaces (0: no snapshot).
    pub index: LogIndex,
    /// That entry's term.
    pub term: Term,
    /// The state machine's state, as the application encoded it.
    pub data: String,
    /// The cluster configuration in effect at `index` (empty: the initial one), kept because
    /// the snapshot replaces the entry that held it (dissertation §4.1).
    pub config: Vec<NodeId>,
}

/// InstallSnapshot RPC arguments (Raft paper Figure 13), sent by a leader to a follower that
/// needs entries the leader has compacted away. The whole snapshot travels in one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallSnapshotArgs {
    /// The leader's term.
    pub term: Term,
    /// The leader.
    pub leader_id: NodeId,
    /// The snapshot (lastIncludedIndex, lastIncludedTerm, data).
    pub snapshot: Snapshot,
}

/// InstallSnapshot RPC results, plus `match_index`: the follower's log now matches the leader's
/// up to there (the snapshot's index, or more when it already held more). 0 when refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallSnapshotReply {
    /// The follower's currentTerm.
    pub term: Term,
    /// How far the follower now matches the leader.
    pub match_index: LogIndex,
}
