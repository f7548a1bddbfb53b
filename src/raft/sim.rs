//! Raft as a [`Protocol`]: the core ([`ConsensusProtocol`], Figure 2) with its timers, its
//! PreVote flow, its persistence rule, the replicated key-value store and its client sessions,
//! and what it narrates. The simulator drives it like any other mechanism.
//!
//! Effects are written in the order the simulator used to draw its random numbers before Raft
//! moved onto the generic simulator (for example the election timer is reset before a
//! candidate's RequestVotes go out), so every run is the same as before the move
//! (`tests/runs_unchanged.rs`).

use crate::collections::Map;
use crate::error::{Error, Result};
use crate::kv::{ClientId, Kv, Op, Output};
use crate::protocol::{node_name, Answer, BugInfo, ClientCall, Ctx, Delay, Effect, Micros, NodeId, Out, Protocol};
use crate::sim::{ClientReply, Simulation};

use super::check::Checker;
use super::config::Config;
use super::notes::{MsgNote, Note};
use super::{
    AppendDecision, AppendEntriesArgs, AppendEntriesReply, AppendEntriesRequest, Bugs, CommandText, ConsensusProtocol, InstallSnapshotArgs,
    InstallSnapshotReply, LogEntry, RequestVoteArgs, RequestVoteReply, Role, TimeoutNowArgs, VoteDecision,
};

/// A message's contents: one of Raft's RPCs or their results (Raft paper Figure 2, Figure 13,
/// dissertation §3.10 and §9.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A candidate asks for a vote.
    RequestVote(RequestVoteArgs),
    /// A would-be candidate asks whether it would get a vote (dissertation §9.6).
    PreVote(RequestVoteArgs),
    /// A server answers a PreVote.
    PreVoteResponse(RequestVoteReply),
    /// A leader handing over tells its chosen successor to start an election now (§3.10).
    TimeoutNow(TimeoutNowArgs),
    /// A leader sends its snapshot to a follower that needs compacted entries (§7).
    InstallSnapshot(InstallSnapshotArgs),
    /// The follower answers.
    InstallSnapshotResponse(InstallSnapshotReply),
    /// A voter answers.
    RequestVoteResponse(RequestVoteReply),
    /// A leader replicates entries or sends a heartbeat.
    AppendEntries(AppendEntriesArgs),
    /// A follower answers.
    AppendEntriesResponse(AppendEntriesReply),
}

impl Payload {
    /// Whether this answers a request rather than makes one.
    pub fn is_reply(&self) -> bool {
        matches!(
            self,
            Payload::RequestVoteResponse(_) | Payload::AppendEntriesResponse(_) | Payload::PreVoteResponse(_) | Payload::InstallSnapshotResponse(_)
        )
    }

    /// `"RequestVote"`, `"RequestVoteResponse"`, `"PreVote"`, `"PreVoteResponse"`,
    /// `"TimeoutNow"`, `"InstallSnapshot"`, `"InstallSnapshotResponse"`, `"AppendEntries"` or
    /// `"AppendEntriesResponse"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::RequestVote(_) => "RequestVote",
            Payload::PreVote(_) => "PreVote",
            Payload::PreVoteResponse(_) => "PreVoteResponse",
            Payload::TimeoutNow(_) => "TimeoutNow",
            Payload::InstallSnapshot(_) => "InstallSnapshot",
            Payload::InstallSnapshotResponse(_) => "InstallSnapshotResponse",
            Payload::RequestVoteResponse(_) => "RequestVoteResponse",
            Payload::AppendEntries(_) => "AppendEntries",
            Payload::AppendEntriesResponse(_) => "AppendEntriesResponse",
        }
    }
}

/// Raft's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// A follower or candidate that hears from no leader for this long starts an election (§5.2).
    Election,
    /// A leader's heartbeat interval.
    Heartbeat,
    /// CheckQuorum, once per minimum election timeout (dissertation §6.2).
    CheckQuorum,
    /// A leadership transfer gives up after the longest election timeout (§3.10).
    TransferTimeout,
    /// Batching: the leader sends what it collected (`Config::batch_us`).
    Flush,
    /// A leader's heartbeat to one follower, by id ([`Options::per_follower_heartbeats`]).
    HeartbeatTo(u8),
}

/// Raft's settings, beyond the simulator's (µs).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Election timeout range, drawn uniformly each time the timer is reset (§5.2).
    pub election_timeout_us: (Micros, Micros),
    /// A leader's heartbeat interval.
    pub heartbeat_us: Micros,
    /// Deliberate bugs in every node.
    pub bugs: Bugs,
    /// PreVote (§9.6).
    pub pre_vote: bool,
    /// CheckQuorum (§6.2).
    pub check_quorum: bool,
    /// The most entries one AppendEntries carries (None: no limit).
    pub max_entries_per_append: Option<usize>,
    /// Applied entries between snapshots (§7); None: never.
    pub snapshot_interval: Option<u64>,
    /// Client reads by ReadIndex (§6.4).
    pub read_index: bool,
    /// Batching interval (None: each command is sent at once).
    pub batch_us: Option<Micros>,
    /// Per-follower heartbeat schedules, as in LogCabin, the implementation the Raft paper
    /// measured (§9.3; dissertation §9.4): the leader keeps one schedule per follower, as
    /// LogCabin's one thread per follower does. Each follower gets its next heartbeat a period
    /// after the leader's previous AppendEntries to it *started*; at most one AppendEntries is
    /// outstanding per follower (one that carries entries waits for the follower's disk write),
    /// and what a follower still lacks goes out when it answers; an RPC unanswered for a
    /// period is given up and the next one starts. Off: one heartbeat timer for all followers
    /// and pipelined AppendEntries (the default; `sim::experiments` measures both). Native
    /// builds only: a wasm build ignores it (the page does not offer it).
    pub per_follower_heartbeats: bool,
    /// Stable storage and timers as in LogCabin of September 2013 (commit 24caf70), the
    /// implementation the Raft paper measured (§9.3; dissertation §9.4): Some(w) µs per file.
    /// Its `SimpleFileLog` wrote every piece of state as a file of its own, fsynced. Each write
    /// ran under the server's lock, so nothing left until it was done:
    /// - a candidate writes its new term and vote before its RequestVotes leave
    ///   (`startNewElection`);
    /// - a voter writes a newer term (`stepDown`), then its vote, before it answers;
    /// - a follower writes a newer term, then for each entry it appends the entry and the
    ///   metadata (one more if it truncated);
    /// - a new leader writes its no-op entry and the metadata before its first AppendEntries
    ///   (`becomeLeader`), and a command likewise before it is sent.
    ///
    /// Each file delays what the handler sends next by w ([`Effect::Hold`]). Election timeouts
    /// are drawn in whole milliseconds ([`Delay::UniformWholeMs`], as `setElectionTimer` did).
    /// None: the simulator's single `persist_us` write before replies (the default). Native
    /// and experiments builds only: a widget's wasm has no such field.
    #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
    pub logcabin_writes_us: Option<Micros>,
}

/// Raft, with its options: the [`Protocol`] the simulator drives.
#[derive(Clone, Debug, PartialEq)]
pub struct Raft {
    /// The settings every node follows.
    pub options: Options,
}

/// One simulated Raft server: the core, its key-value state machine, and what a real server
/// keeps beside the core (the answers it owes clients, reads it is confirming, its timers' state).
#[derive(Clone, Debug)]
pub struct RaftNode {
    /// The core (Figure 2 state and handlers).
    pub core: ConsensusProtocol,
    /// The state machine, as this node has applied the log (volatile: rebuilt after a restart).
    pub kv: Kv,
    /// Whether an election timer runs (followers and candidates: always, after every event).
    election_timer: bool,
    /// Whether a batching flush timer runs.
    flush_pending: bool,
    /// Log index → (client index, client id, seq): the leader answers when it applies the entry.
    owed: Map<u64, (usize, ClientId, u64)>,
    /// ReadIndex reads being confirmed: read id → (client index, seq, key).
    reads: Map<u64, (usize, u64, String)>,
    /// Confirmed reads waiting for the state machine to reach their readIndex: (read id, readIndex).
    confirmed: Vec<(u64, u64)>,
    next_read: u64,
    /// Elections this node started (timeouts, TimeoutNow, a user's request).
    elections: u64,
    /// Per-follower heartbeats only: the followers (bit per id) a leader awaits an answer from.
    busy: u64,
    /// Per-follower heartbeats only: followers whose heartbeat fell due while the leader still
    /// awaited their answer (it goes out with the answer).
    due: u64,
}

fn send_appends(out: &mut Out<Raft>, requests: Vec<AppendEntriesRequest>) {
    for r in requests {
        out.send(r.to, Payload::AppendEntries(r.args));
    }
}

/// `to`'s bit in [`RaftNode::busy`] (ids below 64; the simulator has at most 16 nodes).
fn bit(to: NodeId) -> u64 {
    1 << (to & 63)
}

fn broadcast(cx: &Ctx, out: &mut Out<Raft>, payload: Payload) {
    for to in 0..cx.nodes {
        if to != cx.me {
            out.send(to, payload.clone());
        }
    }
}

impl Raft {
    /// Whether the leader keeps per-follower heartbeat schedules ([`Options::per_follower_heartbeats`]):
    /// never in a wasm build, whose pages do not offer the option (it would add 0.8 KB gzip to
    /// the Raft widget); the native CLI and the tests have it.
    fn per_follower(&self) -> bool {
        cfg!(not(target_family = "wasm")) && self.options.per_follower_heartbeats
    }

    /// LogCabin's per-file writes ([`Options::logcabin_writes_us`]), if on in this build.
    fn logcabin(&self) -> Option<Micros> {
        #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
        return self.options.logcabin_writes_us;
        #[allow(unreachable_code)]
        None
    }

    /// The election timer's delay: uniform in `[lo, hi]`, in whole ms with LogCabin's timers.
    fn election_delay(&self, (lo, hi): (Micros, Micros)) -> Delay {
        #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
        if self.logcabin().is_some() {
            return Delay::UniformWholeMs(lo, hi);
        }
        Delay::Uniform(lo, hi)
    }

    /// With LogCabin's writes, `files` files are written before what the handler sends next.
    fn write_files(&self, files: u64, out: &mut Out<Self>) {
        if let Some(w) = self.logcabin().filter(|_| files > 0) {
            out.push(Effect::Hold(w * files));
        }
    }

    /// Sends the leader's AppendEntries. With per-follower heartbeats (LogCabin's peer
    /// threads), a request to a follower that has not answered the previous one waits (what it
    /// lacks goes out with the answer, [`Self::answered`]), and each request that goes out
    /// restarts that follower's heartbeat timer: its next heartbeat is a period after this start.
    fn send_appends(&self, n: &mut RaftNode, out: &mut Out<Self>, requests: Vec<AppendEntriesRequest>) {
        if !self.per_follower() {
            return send_appends(out, requests);
        }
        for r in requests {
            if n.busy & bit(r.to) == 0 {
                self.rpc_started(n, r.to, out);
                out.send(r.to, Payload::AppendEntries(r.args));
            }
        }
    }

    /// Per-follower heartbeats: an RPC to `to` starts now; its next heartbeat is a period later.
    fn rpc_started(&self, n: &mut RaftNode, to: NodeId, out: &mut Out<Self>) {
        n.busy |= bit(to);
        n.due &= !bit(to);
        out.push(Effect::CancelTimer(Timer::HeartbeatTo(to as u8)));
        out.set_timer(Timer::HeartbeatTo(to as u8), Delay::After(self.options.heartbeat_us));
    }

    /// Per-follower heartbeats: `to` answered (an AppendEntries of ReadIndex round `round`, or
    /// an InstallSnapshot). LogCabin's peer thread sends again at once only while the follower
    /// lacks entries (matchIndex < lastLogIndex; here also a newer ReadIndex round): then the
    /// request from its nextIndex goes out, in place of the core's follow-up (which may start
    /// after requests held back, or only carry a new commitIndex: that waits for the heartbeat).
    fn answered(&self, n: &mut RaftNode, to: NodeId, round: u64, out: &mut Out<Self>) {
        n.busy &= !bit(to);
        if n.due & bit(to) != 0 || n.core.owes(to, round) {
            let next = n.core.heartbeat_to(to).ok().flatten();
            self.send_appends(n, out, next.into_iter().collect());
        }
    }

    fn reset_election_timer(&self, n: &mut RaftNode, out: &mut Out<Self>) {
        out.push(Effect::CancelTimers);
        out.set_timer(Timer::Election, self.election_delay(self.options.election_timeout_us));
        n.election_timer = true;
        n.flush_pending = false;
    }

    fn start_leader_timers(&self, n: &RaftNode, heartbeat_after: Micros, out: &mut Out<Self>) {
        if !self.per_follower() {
            out.set_timer(Timer::Heartbeat, Delay::After(heartbeat_after));
        } else if heartbeat_after == 0 {
            // Resumed after a pause: every follower's schedule starts again now.
            for f in n.core.others() {
                out.set_timer(Timer::HeartbeatTo(f as u8), Delay::After(0));
            }
        }
        if self.options.check_quorum {
            out.set_timer(Timer::CheckQuorum, Delay::After(self.options.election_timeout_us.0));
        }
        if n.core.transfer_target().is_some() {
            out.set_timer(Timer::TransferTimeout, Delay::After(self.options.election_timeout_us.1));
        }
    }

    /// The leader changes the configuration to `members`, one server added or removed
    /// (dissertation §4.1): it appends the configuration entry, notes the change and sends the
    /// new entry to every member. Returns the entry's index. For a driver outside the simulator
    /// (the simulator's own `add_node` also spawns the new node between the two steps).
    /// Errors: those of [`crate::raft::ConsensusProtocol::change_membership`].
    /// (Not shared with `remove_node`: the widgets' build, which has no use for it, stays 100 B
    /// smaller.)
    #[cfg_attr(not(all(feature = "consensus-api", target_arch = "wasm32")), allow(dead_code))]
    pub(crate) fn change_membership(&self, n: &mut RaftNode, cx: &Ctx, members: Vec<NodeId>, out: &mut Out<Self>) -> Result<super::LogIndex> {
        let before: Vec<NodeId> = n.core.cluster().to_vec();
        let (index, requests) = n.core.change_membership(members)?;
        let after = n.core.cluster();
        match (after.iter().find(|m| !before.contains(m)), before.iter().find(|m| !after.contains(m))) {
            (Some(&node), _) => out.note(Note::Added { at: cx.me, node, index }),
            (_, Some(&node)) => out.note(Note::Removing { at: cx.me, node, index }),
            _ => {}
        }
        self.send_appends(n, out, requests);
        Ok(index)
    }

    /// The election timer fired, or a user asked (`by_user`: no PreVote).
    pub(crate) fn election_timeout(&self, n: &mut RaftNode, cx: &Ctx, by_user: bool, out: &mut Out<Self>) {
        n.core.election_timer_fired();
        if by_user || !self.options.pre_vote {
            return self.begin_election(n, cx, by_user, out);
        }
        let args = n.core.start_pre_vote();
        out.note(Note::PreVote { at: cx.me, term: args.term });
        self.reset_election_timer(n, out);
        broadcast(cx, out, Payload::PreVote(args));
        if n.core.has_won_pre_vote() {
            self.begin_election(n, cx, false, out);
        }
    }

    fn begin_election(&self, n: &mut RaftNode, cx: &Ctx, by_user: bool, out: &mut Out<Self>) {
        n.elections += 1;
        let args = n.core.start_election();
        out.note(Note::Candidate { at: cx.me, term: args.term, by_user, pre_vote: self.options.pre_vote });
        self.campaign(n, cx, args, out);
    }

    /// The node has just become candidate with `args`: ask everyone for votes.
    fn campaign(&self, n: &mut RaftNode, cx: &Ctx, args: RequestVoteArgs, out: &mut Out<Self>) {
        self.reset_election_timer(n, out);
        // LogCabin: the new term and the vote for itself, one file.
        self.write_files(1, out);
        broadcast(cx, out, Payload::RequestVote(args));
        if n.core.has_won_election() {
            self.win(n, cx, out);
        }
    }

    fn win(&self, n: &mut RaftNode, cx: &Ctx, out: &mut Out<Self>) {
        let votes = n.core.votes().len();
        let before = n.core.last_log_index();
        let requests = n.core.become_leader().expect("a winning node is a candidate");
        out.push(Effect::CancelTimers);
        n.election_timer = false;
        n.flush_pending = false;
        let no_op = n.core.last_log_index() > before;
        out.note(Note::Leader { at: cx.me, term: n.core.current_term(), votes, of: n.core.cluster().len(), no_op });
        n.busy = 0;
        // LogCabin: the no-op entry's file and the metadata.
        self.write_files(if no_op { 2 } else { 0 }, out);
        self.send_appends(n, out, requests);
        self.start_leader_timers(n, self.options.heartbeat_us, out);
    }

    /// Leader `n` appends `command`: sent at once, or, with batching, at the next flush.
    pub(crate) fn leader_append(&self, n: &mut RaftNode, command: CommandText, out: &mut Out<Self>) -> Result<u64> {
        match self.options.batch_us {
            None => {
                let (index, requests) = n.core.replicate_shared(command)?;
                self.write_files(2, out);
                self.send_appends(n, out, requests);
                Ok(index)
            }
            Some(delay) => {
                let index = n.core.propose_shared(command)?;
                if !n.flush_pending {
                    n.flush_pending = true;
                    out.set_timer(Timer::Flush, Delay::After(delay));
                }
                Ok(index)
            }
        }
    }

    /// The state machine is loaded from the node's snapshot (after a restart or an
    /// InstallSnapshot); answers owed for entries the snapshot covers are dropped (the clients
    /// retry, and their sessions answer the retry).
    fn load_snapshot(n: &mut RaftNode) {
        let snap = n.core.snapshot();
        n.kv = if snap.index == 0 { Kv::new() } else { Kv::restore(&snap.data).unwrap_or_default() };
        let upto = snap.index;
        n.owed.retain(|index, _| *index > upto);
    }

    /// Handles a delivered message; returns what the receiver did, whether it is routine, the
    /// commitIndex it moved to (and whether the receiver leads), and a TimeoutNow target.
    #[allow(clippy::type_complexity)]
    fn deliver(
        &self,
        n: &mut RaftNode,
        cx: &Ctx,
        f: NodeId,
        payload: Payload,
        out: &mut Out<Self>,
    ) -> (MsgNote, bool, Option<(u64, bool)>, Option<NodeId>) {
        let mut moved = None;
        let mut timeout_now = None;
        let was = (n.core.role(), n.core.current_term());
        let mut routine = false;
        let what = match &payload {
            Payload::RequestVote(args) => {
                let (reply, decision) = n.core.request_vote(args).expect("simulated candidates send valid ids");
                let me = &n.core;
                let what = match decision {
                    VoteDecision::Granted => MsgNote::VoteGranted { term: args.term },
                    VoteDecision::StaleTerm => MsgNote::VoteStale { term: args.term, mine: me.current_term() },
                    VoteDecision::AlreadyVoted(v) => MsgNote::VoteAlready { term: args.term, voted: v },
                    VoteDecision::LogNotUpToDate => MsgNote::VoteLogBehind {
                        term: args.term,
                        theirs: (args.last_log_term, args.last_log_index),
                        mine: (me.last_log_term(), me.last_log_index()),
                    },
                };
                if reply.vote_granted {
                    self.reset_election_timer(n, out);
                }
                if reply.vote_granted || args.term > was.1 {
                    out.push(Effect::Persist);
                }
                self.write_files(u64::from(args.term > was.1) + u64::from(reply.vote_granted), out);
                out.send(f, Payload::RequestVoteResponse(reply));
                what
            }
            Payload::PreVote(args) => {
                let reply = n.core.handle_pre_vote(args).expect("simulated candidates send valid ids");
                let me = &n.core;
                let what = if reply.vote_granted {
                    MsgNote::PreGranted { term: args.term }
                } else if args.term <= me.current_term() {
                    MsgNote::PreNotNewer { term: args.term, mine: me.current_term() }
                } else if me.role() == Role::Leader {
                    MsgNote::PreLeader
                } else if (args.last_log_term, args.last_log_index) < (me.last_log_term(), me.last_log_index()) {
                    MsgNote::PreLogBehind
                } else {
                    MsgNote::PreHeard { leader: me.leader_id() }
                };
                out.send(f, Payload::PreVoteResponse(reply));
                what
            }
            Payload::PreVoteResponse(reply) => {
                let was_pre = n.core.is_pre_candidate();
                let tally = n.core.handle_pre_vote_response(f, reply).expect("replies come from members");
                let me = &n.core;
                let what = if reply.term > was.1 && !reply.vote_granted {
                    MsgNote::PreLearns { term: reply.term }
                } else if !was_pre || !me.is_pre_candidate() {
                    MsgNote::PreIgnored
                } else if reply.vote_granted {
                    MsgNote::PreGets { votes: tally.votes, of: me.cluster().len() }
                } else {
                    MsgNote::PreRefused
                };
                if tally.won && me.is_pre_candidate() {
                    self.begin_election(n, cx, false, out);
                }
                what
            }
            Payload::RequestVoteResponse(reply) => {
                let tally = n.core.handle_request_vote_response(f, reply).expect("replies come from members");
                let me = &n.core;
                let what = if reply.term > was.1 {
                    MsgNote::StepsDown { term: reply.term }
                } else if was.0 != Role::Candidate || reply.term < was.1 {
                    MsgNote::VoteIgnored { term: reply.term }
                } else if reply.vote_granted {
                    MsgNote::VoteGets { term: reply.term, votes: tally.votes, of: me.cluster().len() }
                } else {
                    MsgNote::VoteRefused { term: reply.term }
                };
                if tally.won {
                    self.win(n, cx, out);
                }
                what
            }
            Payload::AppendEntries(args) => {
                let commit_before = n.core.commit_index();
                let (reply, decision) = n.core.append_entries(args).expect("simulated leaders send valid requests");
                let me = &n.core;
                let what = match decision {
                    AppendDecision::StaleTerm => MsgNote::AppendStale { term: args.term, mine: me.current_term() },
                    AppendDecision::MissingPrevEntry => MsgNote::AppendMissing { prev: args.prev_log_index },
                    AppendDecision::PrevTermMismatch { found } => {
                        MsgNote::AppendMismatch { prev: args.prev_log_index, found, want: args.prev_log_term }
                    }
                    AppendDecision::Accepted { appended: 0, .. } if args.entries.is_empty() => MsgNote::Heartbeat { term: args.term },
                    AppendDecision::Accepted { appended: 0, .. } if args.entries.len() == 1 => MsgNote::HoldsOne { index: reply.match_index },
                    AppendDecision::Accepted { appended: 0, .. } => {
                        MsgNote::HoldsRange { from: args.prev_log_index + 1, to: reply.match_index }
                    }
                    AppendDecision::Accepted { appended, truncated_from } => {
                        MsgNote::Appended { count: appended, upto: reply.match_index, truncated_from }
                    }
                };
                moved = (me.commit_index() > commit_before).then_some((me.commit_index(), false));
                if moved.is_none() {
                    routine = args.entries.is_empty() && matches!(decision, AppendDecision::Accepted { .. });
                }
                if reply.term == args.term {
                    self.reset_election_timer(n, out);
                }
                if matches!(decision, AppendDecision::Accepted { appended, .. } if appended > 0) || args.term > was.1 {
                    out.push(Effect::Persist);
                }
                if let AppendDecision::Accepted { appended, truncated_from } = decision {
                    self.write_files(2 * appended + u64::from(truncated_from.is_some()), out);
                }
                self.write_files(u64::from(args.term > was.1), out);
                out.send(f, Payload::AppendEntriesResponse(reply));
                what
            }
            Payload::AppendEntriesResponse(reply) => {
                let commit_before = n.core.commit_index();
                let match_before = n.core.match_index().get(&f).copied();
                let next = n.core.handle_append_entries_response(f, reply).expect("replies are well-formed");
                let me = &n.core;
                let what = if reply.term > was.1 {
                    MsgNote::StepsDown { term: reply.term }
                } else if was.0 != Role::Leader || reply.term < was.1 {
                    MsgNote::AppendReplyIgnored { term: reply.term }
                } else if reply.success {
                    MsgNote::Matches { index: reply.match_index }
                } else {
                    MsgNote::Retries { next: me.next_index().get(&f).copied().unwrap_or(1) }
                };
                moved = (me.commit_index() > commit_before).then_some((me.commit_index(), true));
                if moved.is_none() {
                    routine = reply.success && me.match_index().get(&f).copied() == match_before;
                }
                if self.per_follower() {
                    self.answered(n, f, reply.round, out);
                } else if let Some(r) = next {
                    out.send(r.to, Payload::AppendEntries(r.args));
                }
                if let Some((t, args)) = n.core.take_timeout_now() {
                    timeout_now = Some(t);
                    out.send(t, Payload::TimeoutNow(args));
                }
                what
            }
            Payload::InstallSnapshot(args) => {
                let (reply, load) = n.core.install_snapshot(args).expect("leaders send valid snapshots");
                let snap = &args.snapshot;
                let what = if reply.match_index == 0 {
                    MsgNote::SnapshotStale { term: args.term, mine: reply.term }
                } else if load {
                    MsgNote::SnapshotInstalled { index: snap.index, term: snap.term }
                } else {
                    MsgNote::SnapshotNothing { index: snap.index }
                };
                if load {
                    Self::load_snapshot(n);
                }
                if reply.term == args.term {
                    self.reset_election_timer(n, out);
                }
                out.push(Effect::Persist);
                out.send(f, Payload::InstallSnapshotResponse(reply));
                what
            }
            Payload::InstallSnapshotResponse(reply) => {
                let next = n.core.handle_install_snapshot_response(f, reply).expect("replies come from members");
                let what = if reply.match_index == 0 {
                    MsgNote::SnapshotRefused
                } else {
                    MsgNote::SnapshotHeld { index: reply.match_index }
                };
                if self.per_follower() {
                    self.answered(n, f, u64::MAX, out);
                } else if let Some(r) = next {
                    out.send(r.to, Payload::AppendEntries(r.args));
                }
                what
            }
            Payload::TimeoutNow(args) => match n.core.handle_timeout_now(args).expect("leaders send valid ids") {
                Some(vote) => {
                    n.elections += 1;
                    let what = MsgNote::TimeoutNow { term: vote.term };
                    self.campaign(n, cx, vote, out);
                    what
                }
                None => MsgNote::TimeoutNowIgnored { term: args.term },
            },
        };
        (what, routine, moved, timeout_now)
    }
}

impl Protocol for Raft {
    type Node = RaftNode;
    type Msg = Payload;
    type Timer = Timer;
    type Note = Note;
    type Decision = LogEntry;
    type Checker = Checker;

    const BUGS: &'static [BugInfo] = &super::bug::BUG_LIST;

    fn set_bugs(&mut self, nodes: &mut [RaftNode], bugs: Bugs) {
        self.options.bugs = bugs;
        for n in nodes {
            n.core.set_bugs(bugs);
        }
    }

    fn bugs(&self) -> Bugs {
        self.options.bugs
    }

    fn new_node(&self, id: NodeId, members: &[NodeId]) -> RaftNode {
        let mut core = ConsensusProtocol::new(id, members.to_vec()).expect("simulated ids are distinct");
        core.set_bugs(self.options.bugs);
        core.set_max_entries_per_append(self.options.max_entries_per_append);
        RaftNode {
            core,
            kv: Kv::new(),
            election_timer: false,
            flush_pending: false,
            owed: Map::new(),
            reads: Map::new(),
            confirmed: Vec::new(),
            next_read: 0,
            elections: 0,
            busy: 0,
            due: 0,
        }
    }

    fn on_start(&self, n: &mut RaftNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        self.reset_election_timer(n, out);
    }

    fn on_msg(&self, n: &mut RaftNode, cx: &mut Ctx, from: NodeId, payload: Payload, out: &mut Out<Self>) -> (Note, bool) {
        let at = cx.me;
        if payload.is_reply() && !n.core.knows(from) {
            // Membership changed under it (§4.1): a server it never knew answers it.
            let what = MsgNote::UnknownReply { kind: payload.kind() };
            return (Note::Msg { at, from, what, adopted: None, commit: None, timeout_now: None }, false);
        }
        let reply = payload.is_reply();
        let was = (n.core.role(), n.core.current_term());
        let (what, routine, commit, timeout_now) = self.deliver(n, cx, from, payload, out);
        let now = (n.core.role(), n.core.current_term());
        let adopted = (now.1 > was.1 && !reply).then_some((now.1, was.1, was.0));
        (Note::Msg { at, from, what, adopted, commit, timeout_now }, routine && now.1 == was.1)
    }

    fn on_timer(&self, n: &mut RaftNode, cx: &mut Ctx, timer: Timer, out: &mut Out<Self>) {
        let at = cx.me;
        match timer {
            Timer::Election => self.election_timeout(n, cx, false, out),
            Timer::Heartbeat => {
                let Ok(requests) = n.core.heartbeat() else { return };
                out.note(Note::Heartbeats { at, followers: requests.len() });
                send_appends(out, requests);
                out.set_timer(Timer::Heartbeat, Delay::After(self.options.heartbeat_us));
            }
            Timer::HeartbeatTo(_) if !self.per_follower() => {}
            Timer::HeartbeatTo(f) => {
                // A period since the last RPC to `f` started.
                let f = f as NodeId;
                if !n.core.is_member(f) || n.core.role() != Role::Leader {
                    return; // removed from the configuration: no more heartbeats
                }
                let (busy, due) = (n.busy & bit(f) != 0, n.due & bit(f) != 0);
                if busy && !due {
                    // Still awaiting the answer (a disk write, say): LogCabin's peer thread
                    // waits for it and then sends the heartbeat at once. Its transport reports
                    // a failed RPC; the simulator's network says nothing, so the leader gives
                    // it up when the minimum election timeout has passed since it started.
                    n.due |= bit(f);
                    let wait = self.options.election_timeout_us.0.saturating_sub(self.options.heartbeat_us);
                    return out.set_timer(Timer::HeartbeatTo(f as u8), Delay::After(wait));
                }
                let Ok(request) = n.core.heartbeat_to(f) else { return };
                n.busy &= !bit(f);
                out.note(Note::Heartbeats { at, followers: 1 });
                match request {
                    Some(r) => self.send_appends(n, out, vec![r]),
                    // An InstallSnapshot is queued for it (`after_check` sends it).
                    None => out.set_timer(Timer::HeartbeatTo(f as u8), Delay::After(self.options.heartbeat_us)),
                }
            }
            Timer::CheckQuorum => {
                if n.core.role() != Role::Leader {
                    return;
                }
                if !n.core.check_quorum() {
                    out.set_timer(Timer::CheckQuorum, Delay::After(self.options.election_timeout_us.0));
                    return;
                }
                out.note(Note::StepDown { at });
            }
            Timer::TransferTimeout => {
                let Some(target) = n.core.transfer_target() else { return };
                if n.core.role() != Role::Leader {
                    return;
                }
                n.core.abort_transfer();
                out.note(Note::TransferGivenUp { at, to: target });
            }
            Timer::Flush => {
                n.flush_pending = false;
                let Ok(requests) = n.core.flush() else { return };
                if requests.is_empty() {
                    return;
                }
                out.note(Note::Batch { at, followers: requests.len() });
                self.send_appends(n, out, requests);
            }
        }
    }

    fn on_client(&self, n: &mut RaftNode, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>) {
        let at = cx.me;
        let (c, id, seq) = (call.client, call.id, call.command.seq);
        // A read, at a leader, with ReadIndex on: no log entry (dissertation §6.4).
        if let (Op::Get { key }, true) = (&call.command.op, self.options.read_index) {
            let rid = n.next_read;
            if let Ok(requests) = n.core.read_index(rid) {
                n.next_read += 1;
                n.reads.insert(rid, (c, seq, key.clone()));
                out.note(Note::ReadIndex { at, client: id, key: key.clone(), commit: n.core.commit_index() });
                self.send_appends(n, out, requests);
                return;
            }
        }
        match self.leader_append(n, call.command.encode().into(), out) {
            Ok(index) => {
                n.owed.insert(index, (c, id, seq));
                out.note(Note::ClientAppended { at, client: id, op: call.command.op, index });
            }
            Err(_) => {
                let leader = n.core.leader_id();
                out.push(Effect::Reply { client: c, seq, answer: Answer::Redirect(leader) });
                out.note(Note::Redirect { at, client: Some(id), leader });
            }
        }
    }

    fn propose(&self, n: &mut RaftNode, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
        let text: CommandText = command.into();
        let index = self.leader_append(n, text.clone(), out)?;
        out.note(Note::Appended { at: cx.me, command: text, index });
        Ok(index)
    }

    fn on_crash(&self, _n: &mut RaftNode, cx: &mut Ctx, out: &mut Out<Self>) {
        out.note(Note::Crash { at: cx.me });
    }

    fn on_restart(&self, n: &mut RaftNode, cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.restart();
        Self::load_snapshot(n);
        n.owed.clear();
        n.reads.clear();
        n.confirmed.clear();
        self.reset_election_timer(n, out);
        out.note(Note::Restart { at: cx.me, term: n.core.current_term(), entries: n.core.last_log_index() });
    }

    fn on_resume(&self, n: &mut RaftNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        n.flush_pending = false;
        if n.core.role() == Role::Leader {
            // Every leader timer was cancelled by the pause: start them again.
            self.start_leader_timers(n, 0, out);
        } else if n.election_timer {
            out.push(Effect::ResumeTimer(Timer::Election));
        }
    }

    fn settle(&self, n: &mut RaftNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        // Leaders hold no election timer and others always do.
        match (n.core.role() == Role::Leader, n.election_timer) {
            (false, false) => self.reset_election_timer(n, out),
            (true, true) => n.election_timer = false,
            _ => {}
        }
        // Committed entries are applied (the checker sees each first); the leader that took a
        // client's command answers it.
        let leads = n.core.role() == Role::Leader;
        for e in n.core.take_committed() {
            let reply = crate::kv::Command::decode(&e.command).and_then(|cmd| {
                let output = n.kv.apply(&cmd);
                let (c, id, seq) = n.owed.remove(&e.index)?;
                let ours = id == cmd.client && seq == cmd.seq && leads;
                Some(Effect::Reply { client: c, seq, answer: Answer::Done(output.filter(|_| ours)?) })
            });
            out.push(Effect::Decide(e.clone()));
            out.extend(reply);
        }
    }

    fn after_check(&self, n: &mut RaftNode, cx: &mut Ctx, out: &mut Out<Self>) {
        let at = cx.me;
        // Log compaction (§7), after the checks so they saw every entry first.
        if let Some(every) = self.options.snapshot_interval {
            let r = &n.core;
            if r.last_applied() >= r.snapshot().index + every {
                let (upto, from) = (r.last_applied(), r.snapshot().index + 1);
                let data = n.kv.snapshot();
                n.core.compact(upto, data).expect("lastApplied is after the snapshot");
                out.note(Note::Snapshot { at, from, upto });
            }
        }
        // Most events leave nothing more to do here: no read, no snapshot to send.
        if !n.core.has_output() && n.confirmed.is_empty() && n.reads.is_empty() {
            return;
        }
        // ReadIndex reads confirmed by now; reads at a node that stopped leading before
        // confirming are dropped (the client times out and retries).
        for (rid, index) in n.core.take_ready_reads() {
            n.confirmed.push((rid, index));
        }
        if n.core.role() != Role::Leader {
            n.reads.clear();
        }
        let mut k = 0;
        while k < n.confirmed.len() {
            let (rid, index) = n.confirmed[k];
            if n.core.last_applied() < index {
                k += 1;
                continue;
            }
            n.confirmed.remove(k);
            let Some((c, seq, key)) = n.reads.remove(&rid) else { continue };
            let value = n.kv.get(&key).map(str::to_string);
            out.note(Note::ReadAnswered { at, client: c as ClientId + 1, key, value: value.clone(), index });
            out.push(Effect::Reply { client: c, seq, answer: Answer::Done(Output { ok: true, value }) });
        }
        // InstallSnapshot for followers that need compacted entries.
        for (to, args) in n.core.take_install_snapshots() {
            if self.per_follower() {
                self.rpc_started(n, to, out);
            }
            out.send(to, Payload::InstallSnapshot(args));
        }
    }

    fn leads(&self, n: &RaftNode) -> Option<u64> {
        (n.core.role() == Role::Leader).then(|| n.core.current_term())
    }

    fn committed_members(&self, n: &RaftNode) -> Option<Vec<NodeId>> {
        let r = &n.core;
        if r.config_index() == 0 || r.config_index() > r.commit_index() {
            return None;
        }
        Some(r.cluster().to_vec())
    }

    fn elections(&self, n: &RaftNode) -> u64 {
        n.elections
    }

    fn msg_kind(msg: &Payload) -> &'static str {
        msg.kind()
    }

    fn note_kind(note: &Note) -> &'static str {
        note.kind()
    }

    fn note_routine(note: &Note) -> bool {
        matches!(note, Note::Heartbeats { .. })
    }

    fn describe(&self, note: &Note, names: &[String]) -> String {
        note.describe(names, self.options.batch_us.is_some())
    }
}

/// A Raft cluster in the simulator.
pub type RaftSimulation = Simulation<Raft>;

/// Raft's actions and views on the generic simulator: what the page's buttons and the tests call.
impl Simulation<Raft> {
    /// A cluster of followers in term 0, each with an election timer drawn from the config.
    ///
    /// Errors: the config breaks a rule of [`Config::validate`].
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let (sim, options) = config.split();
        Simulation::start(sim, Raft { options })
    }

    /// The settings, in one [`Config`].
    pub fn config(&self) -> Config {
        Config::join(self.sim_config(), &self.protocol().options)
    }

    /// The Raft state of node `i` (0-based).
    pub fn node(&self, i: NodeId) -> &ConsensusProtocol {
        &self.node_state(i).core
    }

    /// Node `i`'s key-value state machine.
    pub fn kv(&self, i: NodeId) -> &Kv {
        &self.node_state(i).kv
    }

    /// When node `i`'s running election timer was set and when it fires, µs (None: no timer,
    /// as for a leader or a crashed node).
    pub fn election_timer(&self, i: NodeId) -> Option<(Micros, Micros)> {
        if self.is_crashed(i) || !self.node_state(i).election_timer {
            return None;
        }
        self.timer(i, Timer::Election)
    }

    /// The user starts an election at node `i` now, as if its election timer fired.
    /// Errors: node crashed or paused.
    pub fn start_election(&mut self, i: NodeId) -> Result<()> {
        self.require_running(i)?;
        self.act(i, |p, n, cx, out| p.election_timeout(n, cx, true, out));
        self.settle();
        Ok(())
    }

    /// A client sends `command` (JSON text) to node `to`, or to the current leader when `to` is
    /// None. A leader appends it and replicates it at once (Raft paper §5.3); any other node
    /// refuses and names the leader it knows. Errors: `to` is crashed.
    pub fn client_request(&mut self, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        let Some(i) = to.or_else(|| self.leader()) else {
            self.record_client_refused(None);
            return Ok(ClientReply { accepted: false, leader: None, index: None });
        };
        if self.is_paused(i) {
            self.record_client_refused(Some(i));
            return Ok(ClientReply { accepted: false, leader: None, index: None });
        }
        self.require_running(i)?;
        let (appended, _) = self.act_with(i, |p, n, cx, out| {
            let r = p.propose(n, cx, command, out);
            if r.is_err() {
                out.note(Note::Redirect { at: cx.me, client: None, leader: n.core.leader_id() });
            }
            r
        });
        match appended {
            Ok(index) => {
                self.settle();
                Ok(ClientReply { accepted: true, leader: Some(self.ids()[i].clone()), index: Some(index) })
            }
            Err(_) => Ok(ClientReply { accepted: false, leader: self.node(i).leader_id().map(node_name), index: None }),
        }
    }

    fn running_leader(&self) -> Result<NodeId> {
        let l = self.leader().ok_or_else(|| Error::invalid("membership", "needs a leader (there is none)"))?;
        if self.is_paused(l) {
            return Err(Error::invalid("membership", format!("needs a running leader ({} is paused)", self.ids()[l])));
        }
        Ok(l)
    }

    /// Adds a server (dissertation §4.1, one at a time): a new node `n{N+1}` with an empty log
    /// starts, and the leader appends the configuration that includes it; the new node
    /// catches up from the leader (by snapshot if needed). Returns its index.
    /// Errors: no running leader; [`crate::sim::config::MAX_NODES`] nodes already; a change still uncommitted, or the leader
    /// has not committed an entry of its term yet.
    pub fn add_node(&mut self) -> Result<NodeId> {
        if self.ids().len() >= crate::sim::config::MAX_NODES {
            return Err(Error::invalid("nodes", format!("must stay at most {} (the ring holds no more)", crate::sim::config::MAX_NODES)));
        }
        let l = self.running_leader()?;
        let new = self.ids().len();
        let mut members = self.node(l).cluster().to_vec();
        members.push(new);
        let (changed, _) = self.act_with(l, |_, n, _, _| n.core.change_membership(members.clone()));
        let (index, requests) = changed.map_err(|e| Error::invalid("addNode", e.to_string()))?;
        let i = self.spawn_node(&members);
        self.act(l, |p, n, cx, out| {
            out.note(Note::Added { at: cx.me, node: i, index });
            p.send_appends(n, out, requests);
        });
        self.settle();
        Ok(i)
    }

    /// Removes server `i` (dissertation §4.1): the leader appends the configuration without
    /// it; once that entry commits, the node shuts down (a removed leader steps down first).
    /// Errors: no running leader; `i` is the last member or not a member; a change still
    /// uncommitted, or no entry of the leader's term committed yet.
    pub fn remove_node(&mut self, i: NodeId) -> Result<()> {
        let l = self.running_leader()?;
        let id = self.ids()[i].clone();
        if !self.node(l).is_member(i) {
            return Err(Error::invalid("id", format!("must name a member ({id} is not in the configuration)")));
        }
        let members: Vec<NodeId> = self.node(l).cluster().iter().copied().filter(|m| *m != i).collect();
        if members.is_empty() {
            return Err(Error::invalid("id", format!("must not be the last member ({id} is)")));
        }
        let (changed, _) = self.act_with(l, |p, n, cx, out| {
            let r = n.core.change_membership(members);
            if let Ok((index, requests)) = r {
                out.note(Note::Removing { at: cx.me, node: i, index });
                p.send_appends(n, out, requests);
                return Ok(());
            }
            r.map(|_| ())
        });
        changed.map_err(|e| Error::invalid("removeNode", e.to_string()))?;
        self.settle();
        Ok(())
    }

    /// The leader hands leadership to node `to` (dissertation §3.10): it stops taking client
    /// commands, brings `to` up to date, then sends it TimeoutNow; `to` starts an election at
    /// once and wins. If no new leader appears within the longest election timeout, the
    /// leader gives up and takes commands again.
    /// Errors: no leader; `to` is the leader, crashed or paused.
    pub fn transfer_leadership(&mut self, to: NodeId) -> Result<()> {
        let l = self.leader().ok_or_else(|| Error::invalid("to", "needs a leader to hand over from (there is none)"))?;
        if l == to {
            return Err(Error::invalid("to", format!("must be another node than the leader ({} leads)", self.ids()[l])));
        }
        self.require_running(to)?;
        if self.is_paused(l) {
            return Err(Error::invalid("to", format!("needs a running leader ({} is paused)", self.ids()[l])));
        }
        let timeout = self.protocol().options.election_timeout_us.1;
        let (r, _) = self.act_with(l, |_, n, cx, out| {
            n.core.transfer_leadership(to)?;
            out.note(Note::Transfer { at: cx.me, to });
            out.set_timer(Timer::TransferTimeout, Delay::After(timeout));
            if let Some((t, args)) = n.core.take_timeout_now() {
                out.send(t, Payload::TimeoutNow(args));
            }
            Ok::<(), Error>(())
        });
        r.map_err(|e| Error::invalid("to", e.to_string()))?;
        self.settle();
        Ok(())
    }

    /// Every node's view, in id order.
    pub fn node_views(&self) -> Vec<super::view::NodeView<'_>> {
        super::view::node_views(self)
    }

    /// Every message in flight, in id order.
    pub fn message_views(&self) -> Vec<super::view::MessageView<'_>> {
        self.in_flight().map(|m| super::view::message_view(self, m)).collect()
    }
}
