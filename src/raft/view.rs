//! Small serializable views of a simulated Raft cluster, for the JS boundary and the CLI.
//! Times are ms (f64) here; the simulation keeps µs.

use crate::collections::Map;

use serde::Serialize;

use super::sim::{Payload, Raft};
use super::{LogEntry, LogIndex, NodeId, Role, Term};
use crate::sim::{Message, Simulation};

/// A node as the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeView<'a> {
    /// `n1` …
    pub id: &'a str,
    /// `follower`, `candidate` or `leader` (a crashed node shows the role it had).
    pub state: &'static str,
    /// currentTerm.
    pub current_term: Term,
    /// votedFor.
    pub voted_for: Option<&'a str>,
    /// commitIndex.
    pub commit_index: LogIndex,
    /// lastApplied.
    pub last_applied: LogIndex,
    /// The log; the JS layer converts each command from JSON text.
    #[serde(skip)]
    pub log: &'a [LogEntry],
    /// nextIndex per follower (leaders only).
    pub next_index: Map<&'a str, LogIndex>,
    /// matchIndex per follower (leaders only).
    pub match_index: Map<&'a str, LogIndex>,
    /// When the running election timer was set, ms (null: no timer).
    pub election_timer_start: Option<f64>,
    /// When it fires, ms (null: no timer, e.g. a leader or a crashed node).
    pub election_deadline: Option<f64>,
    /// The leader it knows of in its term.
    pub leader_id: Option<&'a str>,
    /// Votes a candidate holds (its own included).
    pub votes: usize,
    /// Pre-votes held while the node runs a pre-vote round (§9.6; 0 otherwise).
    pub pre_votes: usize,
    /// Whether the node is crashed.
    pub crashed: bool,
    /// Whether the node is paused (a frozen process).
    pub paused: bool,
    /// The node's key-value store as it has applied it (see [`crate::kv`]).
    pub kv: &'a Map<String, String>,
    /// The last entry its snapshot replaces (0: no snapshot); `log` starts after it.
    pub snapshot_index: LogIndex,
    /// That entry's term.
    pub snapshot_term: Term,
    /// The configuration this node follows (dissertation §4.1).
    pub members: Vec<&'a str>,
    /// Whether it has left the cluster (its removal committed).
    pub removed: bool,
}

/// A message in flight, with its RPC's fields flattened in (camelCase, Raft paper Figure 2).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView<'a> {
    /// Unique id (for `dropMessage`).
    pub id: u64,
    /// Sender id.
    pub from: &'a str,
    /// Receiver id.
    pub to: &'a str,
    /// `RequestVote`, `RequestVoteResponse`, `PreVote`, `PreVoteResponse`, `TimeoutNow`,
    /// `InstallSnapshot`, `InstallSnapshotResponse`, `AppendEntries` or `AppendEntriesResponse`.
    pub kind: &'static str,
    /// Send time, ms.
    pub sent_at: f64,
    /// Delivery time, ms.
    pub deliver_at: f64,
    /// The sender's term.
    pub term: Term,
    /// RequestVote: the candidate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<&'a str>,
    /// RequestVote: the candidate's last log index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_log_index: Option<LogIndex>,
    /// RequestVote: the candidate's last log term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_log_term: Option<Term>,
    /// RequestVoteResponse: granted or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vote_granted: Option<bool>,
    /// AppendEntries: the leader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_id: Option<&'a str>,
    /// AppendEntries: prevLogIndex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_log_index: Option<LogIndex>,
    /// AppendEntries: prevLogTerm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_log_term: Option<Term>,
    /// AppendEntries: the entries; the JS layer converts each command from JSON text.
    #[serde(skip)]
    pub entries: Option<&'a [LogEntry]>,
    /// AppendEntries: leaderCommit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_commit: Option<LogIndex>,
    /// AppendEntriesResponse: success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// AppendEntriesResponse and InstallSnapshotResponse: matchIndex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_index: Option<LogIndex>,
    /// InstallSnapshot: the last entry the snapshot replaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_included_index: Option<LogIndex>,
    /// InstallSnapshot: that entry's term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_included_term: Option<Term>,
}

/// `map` keyed by node name instead of id. Built by inserting (a binary search each): a
/// handful of entries, and no sorting code in the wasm (collecting into a map sorts, and each
/// `collect` brought its own copy of the standard library's stable sort, ~3.5 KB each).
fn by_name<'a>(map: &Map<NodeId, LogIndex>, name: impl Fn(NodeId) -> &'a str) -> Map<&'a str, LogIndex> {
    let mut out = Map::new();
    for (k, v) in map.iter() {
        out.insert(name(*k), *v);
    }
    out
}

/// Every node's view, in id order.
pub(super) fn node_views(sim: &Simulation<Raft>) -> Vec<NodeView<'_>> {
    let ms = |us: u64| us as f64 / 1000.0;
    let name = |i: usize| sim.ids()[i].as_str();
    (0..sim.ids().len())
        .map(|i| {
            let n = sim.node_state(i);
            let r = &n.core;
            let timer = sim.election_timer(i);
            NodeView {
                id: &sim.ids()[i],
                state: r.role().as_str(),
                current_term: r.current_term(),
                voted_for: r.voted_for().map(name),
                commit_index: r.commit_index(),
                last_applied: r.last_applied(),
                log: r.log(),
                next_index: by_name(r.next_index(), name),
                match_index: by_name(r.match_index(), name),
                election_timer_start: timer.map(|(s, _)| ms(s)),
                election_deadline: timer.map(|(_, d)| ms(d)),
                leader_id: r.leader_id().map(name),
                votes: if r.role() == Role::Candidate {
                    r.votes().len()
                } else {
                    0
                },
                pre_votes: r.pre_vote_count(),
                crashed: sim.is_crashed(i),
                paused: sim.is_paused(i),
                kv: n.kv.data(),
                snapshot_index: r.snapshot().index,
                snapshot_term: r.snapshot().term,
                members: r.cluster().iter().map(|m| name(*m)).collect(),
                removed: sim.is_removed(i),
            }
        })
        .collect()
}

/// A message in flight as the page draws it.
pub(super) fn message_view<'a>(
    sim: &'a Simulation<Raft>,
    m: &'a Message<Payload>,
) -> MessageView<'a> {
    let name = |i: usize| sim.ids()[i].as_str();
    let mut v = MessageView {
        id: m.id,
        from: &sim.ids()[m.from],
        to: &sim.ids()[m.to],
        kind: m.payload.kind(),
        sent_at: m.sent_at as f64 / 1000.0,
        deliver_at: m.deliver_at as f64 / 1000.0,
        term: 0,
        candidate_id: None,
        last_log_index: None,
        last_log_term: None,
        vote_granted: None,
        leader_id: None,
        prev_log_index: None,
        prev_log_term: None,
        entries: None,
        leader_commit: None,
        success: None,
        match_index: None,
        last_included_index: None,
        last_included_term: None,
    };
    match &m.payload {
        Payload::RequestVote(a) | Payload::PreVote(a) => {
            v.term = a.term;
            v.candidate_id = Some(name(a.candidate_id));
            v.last_log_index = Some(a.last_log_index);
            v.last_log_term = Some(a.last_log_term);
        }
        Payload::RequestVoteResponse(r) | Payload::PreVoteResponse(r) => {
            v.term = r.term;
            v.vote_granted = Some(r.vote_granted);
        }
        Payload::AppendEntries(a) => {
            v.term = a.term;
            v.leader_id = Some(name(a.leader_id));
            v.prev_log_index = Some(a.prev_log_index);
            v.prev_log_term = Some(a.prev_log_term);
            v.entries = Some(&a.entries);
            v.leader_commit = Some(a.leader_commit);
        }
        Payload::InstallSnapshot(a) => {
            v.term = a.term;
            v.leader_id = Some(name(a.leader_id));
            v.last_included_index = Some(a.snapshot.index);
            v.last_included_term = Some(a.snapshot.term);
        }
        Payload::InstallSnapshotResponse(r) => {
            v.term = r.term;
            v.match_index = Some(r.match_index);
        }
        Payload::TimeoutNow(a) => {
            v.term = a.term;
            v.leader_id = Some(name(a.leader_id));
        }
        Payload::AppendEntriesResponse(r) => {
            v.term = r.term;
            v.success = Some(r.success);
            v.match_index = Some(r.match_index);
        }
    }
    v
}
