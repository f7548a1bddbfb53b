//! What a simulated Raft server narrates, as data: a [`Note`] carries the numbers of the moment;
//! [`Note::describe`] builds the sentence only when someone reads the event log (a `check` run
//! of a million events builds none).

use crate::kv::{ClientId, Op};
use crate::protocol::NodeId;

use super::{CommandText, LogIndex, Role, Term};

/// One event-log note of a Raft server (`at`: the node it happened at).
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A message was delivered and handled; `adopted` is `(new term, old term, old role)` when a
    /// request made the receiver adopt a newer term.
    Msg {
        /// The receiver.
        at: NodeId,
        /// The sender.
        from: NodeId,
        /// What the receiver did.
        what: MsgNote,
        /// The term adopted on the way, if any.
        adopted: Option<(Term, Term, Role)>,
        /// The commitIndex the message moved to, and whether the receiver leads (a leader
        /// commits by counting replicas; a follower learns leaderCommit).
        commit: Option<(LogIndex, bool)>,
        /// The transfer target an AppendEntries reply showed up to date (it is sent TimeoutNow).
        timeout_now: Option<NodeId>,
    },
    /// The election timer ran out and PreVote is on: a pre-vote round for `term` (§9.6).
    PreVote {
        /// The node.
        at: NodeId,
        /// The term it would run in.
        term: Term,
    },
    /// The node becomes candidate for `term`.
    Candidate {
        /// The node.
        at: NodeId,
        /// Its new term.
        term: Term,
        /// A user asked (Start election).
        by_user: bool,
        /// PreVote is on (it won a pre-vote round first).
        pre_vote: bool,
    },
    /// The node wins the election.
    Leader {
        /// The node.
        at: NodeId,
        /// Its term.
        term: Term,
        /// Votes it holds.
        votes: usize,
        /// Cluster size.
        of: usize,
        /// Whether it appended a no-op (§8; not with the figure8 bug).
        no_op: bool,
    },
    /// A leader sends heartbeats.
    Heartbeats {
        /// The leader.
        at: NodeId,
        /// How many followers.
        followers: usize,
    },
    /// CheckQuorum: the leader steps down (§6.2).
    StepDown {
        /// The leader.
        at: NodeId,
    },
    /// A leadership transfer starts (§3.10).
    Transfer {
        /// The leader.
        at: NodeId,
        /// The chosen successor.
        to: NodeId,
    },
    /// A leadership transfer is given up.
    TransferGivenUp {
        /// The leader.
        at: NodeId,
        /// The successor that did not take over.
        to: NodeId,
    },
    /// Batching: the leader sends what it collected.
    Batch {
        /// The leader.
        at: NodeId,
        /// How many followers.
        followers: usize,
    },
    /// The node compacts its log into a snapshot (§7).
    Snapshot {
        /// The node.
        at: NodeId,
        /// First entry dropped.
        from: LogIndex,
        /// Last entry dropped (the snapshot's index).
        upto: LogIndex,
    },
    /// A leader takes a ReadIndex read (§6.4).
    ReadIndex {
        /// The leader.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The key read.
        key: String,
        /// The readIndex (its commitIndex).
        commit: LogIndex,
    },
    /// A leader answers a confirmed read.
    ReadAnswered {
        /// The leader.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The key.
        key: String,
        /// The value read (None: absent).
        value: Option<String>,
        /// The readIndex.
        index: LogIndex,
    },
    /// A leader appends a workload client's operation.
    ClientAppended {
        /// The leader.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The operation.
        op: Op,
        /// The entry's index.
        index: LogIndex,
    },
    /// A leader appends a command sent by hand.
    Appended {
        /// The leader.
        at: NodeId,
        /// The command, as JSON text.
        command: CommandText,
        /// The entry's index.
        index: LogIndex,
    },
    /// A node that does not lead redirects a client (`client`: a workload client; None: by hand).
    Redirect {
        /// The node.
        at: NodeId,
        /// The workload client, if any.
        client: Option<ClientId>,
        /// The leader it knows.
        leader: Option<NodeId>,
    },
    /// The node crashed.
    Crash {
        /// The node.
        at: NodeId,
    },
    /// The node restarted.
    Restart {
        /// The node.
        at: NodeId,
        /// Its term.
        term: Term,
        /// Its log's last index.
        entries: LogIndex,
    },
    /// A leader appends a configuration that adds `node` (§4.1).
    Added {
        /// The leader.
        at: NodeId,
        /// The new server.
        node: NodeId,
        /// The configuration entry's index.
        index: LogIndex,
    },
    /// A leader appends a configuration without `node` (§4.1).
    Removing {
        /// The leader.
        at: NodeId,
        /// The server removed.
        node: NodeId,
        /// The configuration entry's index.
        index: LogIndex,
    },
}

/// What a server did with a message it received.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum MsgNote {
    /// A reply from a server no configuration it has seen names (§4.1).
    UnknownReply { kind: &'static str },
    VoteGranted { term: Term },
    VoteStale { term: Term, mine: Term },
    VoteAlready { term: Term, voted: NodeId },
    /// (last log term, last log index) of the candidate and of the voter.
    VoteLogBehind { term: Term, theirs: (Term, LogIndex), mine: (Term, LogIndex) },
    PreGranted { term: Term },
    PreNotNewer { term: Term, mine: Term },
    PreLeader,
    PreLogBehind,
    PreHeard { leader: Option<NodeId> },
    PreLearns { term: Term },
    PreIgnored,
    PreGets { votes: usize, of: usize },
    PreRefused,
    StepsDown { term: Term },
    VoteIgnored { term: Term },
    VoteGets { term: Term, votes: usize, of: usize },
    VoteRefused { term: Term },
    AppendStale { term: Term, mine: Term },
    AppendMissing { prev: LogIndex },
    AppendMismatch { prev: LogIndex, found: Term, want: Term },
    Heartbeat { term: Term },
    HoldsOne { index: LogIndex },
    HoldsRange { from: LogIndex, to: LogIndex },
    Appended { count: u64, upto: LogIndex, truncated_from: Option<LogIndex> },
    AppendReplyIgnored { term: Term },
    Matches { index: LogIndex },
    Retries { next: LogIndex },
    SnapshotStale { term: Term, mine: Term },
    SnapshotInstalled { index: LogIndex, term: Term },
    SnapshotNothing { index: LogIndex },
    SnapshotRefused,
    SnapshotHeld { index: LogIndex },
    TimeoutNow { term: Term },
    TimeoutNowIgnored { term: Term },
}

impl Note {
    /// The event-log kind: `deliver` is the simulator's; these are the rest.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Msg { .. } => "deliver",
            Note::PreVote { .. } => "preVote",
            Note::Candidate { by_user: true, .. } => "startElection",
            Note::Candidate { .. } => "electionTimeout",
            Note::Leader { .. } => "leader",
            Note::Heartbeats { .. } => "heartbeat",
            Note::StepDown { .. } => "stepDown",
            Note::Transfer { .. } | Note::TransferGivenUp { .. } => "transfer",
            Note::Batch { .. } => "batch",
            Note::Snapshot { .. } => "snapshot",
            Note::ReadIndex { .. } | Note::ReadAnswered { .. } | Note::ClientAppended { .. } | Note::Appended { .. } | Note::Redirect { .. } => "client",
            Note::Crash { .. } => "crash",
            Note::Restart { .. } => "restart",
            Note::Added { .. } | Note::Removing { .. } => "membership",
        }
    }

    /// The sentence; `names[i]` is node `i`'s name; `batching`: whether the leader batches
    /// commands (`Config::batch_us`).
    pub fn describe(&self, names: &[String], batching: bool) -> String {
        let n = |i: &NodeId| names[*i].as_str();
        match self {
            Note::Msg { at, from, what, adopted, commit, timeout_now } => {
                let (t, f) = (n(at), n(from));
                let mut text = what.describe(t, f, names);
                match commit {
                    Some((c, false)) => text.push_str(&format!("; its commitIndex becomes {c}")),
                    Some((c, true)) => text.push_str(&format!("; entries up to {c} are on a majority, so {t} commits them (commitIndex {c})")),
                    None => {}
                }
                if let Some(target) = timeout_now {
                    text.push_str(&format!("; {} is up to date, so {t} sends it TimeoutNow", n(target)));
                }
                match adopted {
                    Some((now, was, role)) => format!("{} adopts term {now} (was {was}, {}); {text}", n(at), role.as_str()),
                    None => text,
                }
            }
            Note::PreVote { at, term } => format!(
                "{} hears from no leader before its election timer fires: it asks the others whether they would vote for it in term {term} (PreVote, §9.6), keeping its term {}",
                n(at),
                term - 1
            ),
            Note::Candidate { at, term, by_user, pre_vote } => {
                let cause = if *by_user {
                    "is told to start an election"
                } else if *pre_vote {
                    "holds pre-votes from a majority"
                } else {
                    "hears from no leader before its election timer fires"
                };
                format!("{} {cause}: it becomes candidate for term {term}, votes for itself and asks the others for votes", n(at))
            }
            Note::Leader { at, term, votes, of, no_op } => {
                let no_op = if *no_op { " and appends a no-op entry (§8)" } else { " (and, with the figure8 bug, appends no no-op)" };
                format!("{} wins the election for term {term} with {votes} of {of} votes, becomes leader{no_op}", n(at))
            }
            Note::Heartbeats { at, followers } => format!("{} sends AppendEntries heartbeats to {followers} followers", n(at)),
            Note::StepDown { at } => format!(
                "{} has not heard from a majority for an election timeout and steps down to follower (CheckQuorum, §6.2)",
                n(at)
            ),
            Note::Transfer { at, to } => format!(
                "{} starts handing leadership to {} (§3.10): it takes no client commands and brings {}'s log up to date",
                n(at),
                n(to),
                n(to)
            ),
            Note::TransferGivenUp { at, to } => {
                format!("{} gives up handing leadership to {} and takes client commands again", n(at), n(to))
            }
            Note::Batch { at, followers } => format!("{} sends the commands it batched to {followers} followers", n(at)),
            Note::Snapshot { at, from, upto } => {
                format!("{} snapshots its state machine at index {upto} and drops log entries {from}–{upto} (§7)", n(at))
            }
            Note::ReadIndex { at, client, key, commit } => format!(
                "{} takes client {client}'s get {key} as a ReadIndex read at commitIndex {commit}: it first confirms with a majority that it still leads",
                n(at)
            ),
            Note::ReadAnswered { at, client, key, value, index } => format!(
                "{} answers client {client}'s get {key} = {}: a majority confirmed it leads, and it has applied up to readIndex {index}",
                n(at),
                value.as_deref().map_or("null".to_string(), |v| format!("\"{v}\""))
            ),
            Note::ClientAppended { at, client, op, index } => {
                format!("{} appends client {client}'s {} at index {index} and replicates it", n(at), op.sentence())
            }
            Note::Appended { at, command, index } => {
                let how = if batching { "batches it for replication" } else { "replicates it" };
                format!("{} appends client command {command} at index {index} and {how}", n(at))
            }
            Note::Redirect { at, client: None, leader: Some(l) } => format!("{} is not the leader and redirects the client to {}", n(at), n(l)),
            Note::Redirect { at, client: None, leader: None } => {
                format!("{} is not the leader and knows no leader; the client must retry", n(at))
            }
            Note::Redirect { at, client: Some(c), leader: Some(l) } => {
                format!("{} is not the leader and redirects client {c} to {}", n(at), n(l))
            }
            Note::Redirect { at, client: Some(c), leader: None } => {
                format!("{} is not the leader and knows none; client {c} must try elsewhere", n(at))
            }
            Note::Crash { at } => format!("{} crashes: it keeps currentTerm, votedFor and its log on disk", n(at)),
            Note::Restart { at, term, entries } => format!(
                "{} restarts as follower in term {term} with {entries} log entries; commitIndex starts again from 0",
                n(at)
            ),
            Note::Added { at, node, index } => format!(
                "{} starts with an empty log, and {} appends the configuration with it at index {index} (§4.1)",
                n(node),
                n(at)
            ),
            Note::Removing { at, node, index } => format!(
                "{} appends the configuration without {} at index {index} (§4.1); {} leaves once it commits",
                n(at),
                n(node),
                n(node)
            ),
        }
    }
}

impl MsgNote {
    /// The sentence, `t` having received the message from `f`.
    fn describe(&self, t: &str, f: &str, names: &[String]) -> String {
        match self {
            MsgNote::UnknownReply { kind } => format!("{t} ignores {kind}'s reply: no configuration it has seen names {f}"),
            MsgNote::VoteGranted { term } => {
                format!("{t} grants its vote to {f} for term {term}: {f}'s log is at least as up-to-date as its own")
            }
            MsgNote::VoteStale { term, mine } => format!("{t} refuses {f}: term {term} is older than its term {mine}"),
            MsgNote::VoteAlready { term, voted } => format!("{t} refuses {f} for term {term}: it already voted for {}", names[*voted]),
            MsgNote::VoteLogBehind { term, theirs, mine } => format!(
                "{t} refuses {f} for term {term}: {f}'s log (last term {}, index {}) is behind its own (last term {}, index {}), §5.4.1",
                theirs.0, theirs.1, mine.0, mine.1
            ),
            MsgNote::PreGranted { term } => format!(
                "{t} would vote for {f} in term {term}: no leader heard from lately, and {f}'s log is at least as up-to-date"
            ),
            MsgNote::PreNotNewer { term, mine } => format!("{t} would not vote for {f}: term {term} is not newer than its term {mine}"),
            MsgNote::PreLeader => format!("{t} would not vote for {f}: it is the leader"),
            MsgNote::PreLogBehind => format!("{t} would not vote for {f}: {f}'s log is behind its own (§5.4.1)"),
            MsgNote::PreHeard { leader } => {
                format!("{t} would not vote for {f}: it heard from leader {} within an election timeout", leader.map_or("?", |l| names[l].as_str()))
            }
            MsgNote::PreLearns { term } => format!("{t} learns of term {term} from {f} and gives up its pre-vote"),
            MsgNote::PreIgnored => format!("{t} ignores {f}'s pre-vote: it is no longer asking"),
            MsgNote::PreGets { votes, of } => format!("{t} gets {f}'s pre-vote ({votes} of {of})"),
            MsgNote::PreRefused => format!("{t} is refused a pre-vote by {f}"),
            MsgNote::StepsDown { term } => format!("{t} learns of term {term} from {f} and steps down to follower"),
            MsgNote::VoteIgnored { term } => {
                format!("{t} ignores {f}'s vote from term {term}: it is no longer a candidate in that term")
            }
            MsgNote::VoteGets { term, votes, of } => format!("{t} receives {f}'s vote for term {term} ({votes} of {of} votes)"),
            MsgNote::VoteRefused { term } => format!("{t} is refused a vote by {f} for term {term}"),
            MsgNote::AppendStale { term, mine } => {
                format!("{t} rejects AppendEntries from {f}: term {term} is older than its term {mine}")
            }
            MsgNote::AppendMissing { prev } => format!("{t} rejects AppendEntries from {f}: it has no entry at prevLogIndex {prev}"),
            MsgNote::AppendMismatch { prev, found, want } => {
                format!("{t} rejects AppendEntries from {f}: its entry at index {prev} has term {found}, not {want}")
            }
            MsgNote::Heartbeat { term } => format!("{t} accepts a heartbeat from leader {f} (term {term})"),
            MsgNote::HoldsOne { index } => format!("{t} already holds entry {index} from {f}; nothing to append"),
            MsgNote::HoldsRange { from, to } => format!("{t} already holds entries {from}–{to} from {f}; nothing to append"),
            MsgNote::Appended { count, upto, truncated_from } => {
                let cut = truncated_from.map(|k| format!("deletes its conflicting entries from index {k} on, then ")).unwrap_or_default();
                format!("{t} {cut}appends {count} entr{} from {f}, up to index {upto}", if *count == 1 { "y" } else { "ies" })
            }
            MsgNote::AppendReplyIgnored { term } => format!("{t} ignores {f}'s AppendEntries reply from term {term}"),
            MsgNote::Matches { index } => format!("{t} learns {f}'s log matches its own up to index {index}"),
            MsgNote::Retries { next } => format!("{t} learns {f}'s log does not match; it retries with nextIndex {next}"),
            MsgNote::SnapshotStale { term, mine } => {
                format!("{t} rejects InstallSnapshot from {f}: term {term} is older than its term {mine}")
            }
            MsgNote::SnapshotInstalled { index, term } => {
                format!("{t} installs {f}'s snapshot of entries 1–{index} (term {term}) and loads its state machine from it (§7)")
            }
            MsgNote::SnapshotNothing { index } => format!("{t} already has entries 1–{index}; the snapshot changes nothing"),
            MsgNote::SnapshotRefused => format!("{t} learns {f} refused its snapshot"),
            MsgNote::SnapshotHeld { index } => format!("{t} learns {f} holds its snapshot up to index {index}"),
            MsgNote::TimeoutNow { term } => {
                format!("{t} gets TimeoutNow from {f} and starts an election for term {term} at once (§3.10)")
            }
            MsgNote::TimeoutNowIgnored { term } => format!("{t} ignores a TimeoutNow from term {term}"),
        }
    }
}
