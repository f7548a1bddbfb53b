//! Deliberate protocol bugs, off by default. Each breaks one rule of the Raft paper, so that the
//! simulator's invariant checker can be seen to catch it (a checker that never fires proves
//! nothing). The page offers them as "break the protocol"; `consensus-sim check --bug NAME`
//! searches seeds for the violation each one causes.

use crate::protocol::{BugInfo, BugSet};

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `figure8`: a leader commits entries of earlier terms by counting replicas, the very
    /// thing Raft paper §5.4.2 and Figure 8 forbid. As in that figure, a new leader appends no
    /// no-op entry (§8): with the no-op, every reply that covers an old entry covers the
    /// leader's own entry too, and the wrong rule would never change an outcome.
    Figure8,
    /// `no-log-check`: votes are granted without the up-to-date check of §5.4.1.
    NoLogCheck,
    /// `forget-vote`: votedFor is not persisted, so a restarted server may vote twice in one
    /// term (Figure 2 lists votedFor as persistent state).
    ForgetVote,
    /// `stale-truncate`: AppendEntries deletes everything after prevLogIndex even when the
    /// entries match, so a delayed request erases newer entries (Figure 2, receiver step 3).
    StaleTruncate,
    /// `stale-read`: a ReadIndex read is answered without confirming leadership with a
    /// majority, so a deposed leader that does not know it serves stale data (dissertation
    /// §6.4, step 3). Caught by the linearizability check, not by the log invariants.
    StaleRead,
}

impl Bug {
    /// Every bug, in order.
    pub const ALL: [Bug; 5] = [Bug::Figure8, Bug::NoLogCheck, Bug::ForgetVote, Bug::StaleTruncate, Bug::StaleRead];

    /// The bug's name: `figure8`, `no-log-check`, `forget-vote` or `stale-truncate`.
    pub const fn name(self) -> &'static str {
        match self {
            Bug::Figure8 => "figure8",
            Bug::NoLogCheck => "no-log-check",
            Bug::ForgetVote => "forget-vote",
            Bug::StaleTruncate => "stale-truncate",
            Bug::StaleRead => "stale-read",
        }
    }

    /// The rule it breaks, in a few words.
    pub const fn breaks(self) -> &'static str {
        match self {
            Bug::Figure8 => "commits entries of earlier terms by counting replicas, and appends no no-op on election (§5.4.2, Figure 8)",
            Bug::NoLogCheck => "grants votes without checking the candidate's log is up-to-date (§5.4.1)",
            Bug::ForgetVote => "forgets votedFor across a crash (Figure 2: votedFor is persistent)",
            Bug::StaleTruncate => "truncates the log on an AppendEntries that already matches (Figure 2, step 3)",
            Bug::StaleRead => "answers reads without first confirming with a majority that it still leads (§6.4)",
        }
    }

    /// The bug named `name`, if any.
    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|b| b.name() == name)
    }
}

impl From<Bug> for usize {
    /// The bug's bit in a [`Bugs`] set: its place in [`Bug::ALL`] and in [`Raft::BUGS`](crate::protocol::Protocol::BUGS).
    fn from(b: Bug) -> usize {
        b as usize
    }
}

/// A set of Raft's bugs (empty: the protocol as the paper states it): the simulator's
/// [`BugSet`], indexed by [`Bug`].
pub type Bugs = BugSet;

/// Raft's bugs as the simulator lists them, in [`Bug::ALL`]'s order.
pub const BUG_LIST: [BugInfo; 5] = {
    let mut list = [BugInfo { name: "", breaks: "" }; 5];
    let mut i = 0;
    while i < 5 {
        let b = Bug::ALL[i];
        list[i] = BugInfo { name: b.name(), breaks: b.breaks() };
        i += 1;
    }
    list
};
