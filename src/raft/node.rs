//! One Raft server: the seed's `ConsensusProtocol`, as a sans-IO state machine.
//!
//! Every input is a method call (a message received, a timer the caller decided has fired);
//! every output is a return value (the reply, the requests to send). The node owns no clock,
//! no RNG and no IO: the simulator decides when elections start and heartbeats go out.

use crate::collections::{Map, Set};

use super::bug::{Bug, Bugs};
use crate::error::{Error, Result};
use super::message::{
    AppendEntriesArgs, AppendEntriesReply, AppendEntriesRequest, CommandText, InstallSnapshotArgs, InstallSnapshotReply,
    LogEntry, RequestVoteArgs, RequestVoteReply, Snapshot, TimeoutNowArgs,
};
use super::{LogIndex, NodeId, Term};

/// A server's role (Raft paper §5.1, Figure 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Passive: answers leaders and candidates.
    Follower,
    /// Seeking votes to become leader (§5.2).
    Candidate,
    /// Handles client requests and replicates the log (§5.3).
    Leader,
}

impl Role {
    /// `"follower"`, `"candidate"` or `"leader"`, as the JS API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// Why a RequestVote was answered as it was (Raft paper Figure 2, §5.2, §5.4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoteDecision {
    /// Refused: the candidate's term is older than the voter's currentTerm.
    StaleTerm,
    /// Refused: the voter already voted for this other node in this term.
    AlreadyVoted(NodeId),
    /// Refused: the candidate's log is less up-to-date than the voter's (§5.4.1).
    LogNotUpToDate,
    /// Granted (votedFor now records the candidate).
    Granted,
}

/// Why an AppendEntries was answered as it was (Raft paper Figure 2, §5.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppendDecision {
    /// Refused: the leader's term is older than the follower's currentTerm.
    StaleTerm,
    /// Refused: the follower has no entry at `prev_log_index`.
    MissingPrevEntry,
    /// Refused: the follower's entry at `prev_log_index` has term `found`, not `prev_log_term`.
    PrevTermMismatch {
        /// The term the follower holds at `prev_log_index`.
        found: Term,
    },
    /// Accepted: `appended` new entries were stored; if a conflicting suffix was deleted
    /// first, `truncated_from` is the first index deleted.
    Accepted {
        /// How many entries were new to this follower.
        appended: u64,
        /// The first index deleted because of a term conflict, if any.
        truncated_from: Option<LogIndex>,
    },
}

/// What a candidate's tally looks like after a RequestVote reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteTally {
    /// Votes granted to this node in its current term, its own included (0 when it is
    /// not a candidate).
    pub votes: usize,
    /// True when the node is a candidate holding votes from a majority of the cluster:
    /// the caller should now call [`ConsensusProtocol::become_leader`].
    pub won: bool,
}

/// One Raft server (the seed's `ConsensusProtocol`), with the state of Raft paper Figure 2.
///
/// Persistent state (`current_term`, `voted_for`, `log`) survives [`restart`](Self::restart);
/// volatile state does not.
#[derive(Clone, Debug)]
pub struct ConsensusProtocol {
    node_id: NodeId,
    peers: Vec<NodeId>,
    /// The configuration in effect (dissertation §4.1: the latest one in the log, committed or
    /// not; else the snapshot's; else the initial one). It may leave this node out.
    cluster: Vec<NodeId>,
    /// `cluster` as a bit set when every member's id is below 64 (bit `i`: id `i`), for
    /// [`is_member`](Self::is_member) in the hot paths; None otherwise.
    member_bits: Option<u64>,
    /// The initial configuration: `peers` plus `node_id` if it is not listed.
    initial: Vec<NodeId>,
    /// Index of the configuration entry in effect (0: it comes from the snapshot or is the
    /// initial one).
    config_index: LogIndex,
    /// Every server any configuration this node has seen named: replies from former members
    /// are ignored, not refused. Looked up for every reply: bits for ids below 64.
    known: IdSet,
    // Persistent state on all servers.
    current_term: Term,
    voted_for: Option<NodeId>,
    /// The entries after the snapshot: `log[k]` has index `snapshot.index + 1 + k`.
    log: Vec<LogEntry>,
    /// The latest snapshot (persistent; index 0 when none): it replaces entries 1..=index.
    snapshot: Snapshot,
    /// InstallSnapshot messages for the caller to send (see `take_install_snapshots`).
    snapshots_out: Vec<(NodeId, InstallSnapshotArgs)>,
    // Volatile state on all servers.
    role: Role,
    commit_index: LogIndex,
    last_applied: LogIndex,
    leader_id: Option<NodeId>,
    // Volatile state on candidates.
    votes: Set<NodeId>,
    // Volatile state on leaders.
    next_index: Map<NodeId, LogIndex>,
    match_index: Map<NodeId, LogIndex>,
    /// The highest index sent to each other node in this term (not in Figure 2; raft-rs keeps
    /// the like in its `Progress`): a success reply triggers a follow-up only for entries never
    /// sent, so each new entry travels once per follower, not once per reply.
    sent_index: Map<NodeId, LogIndex>,
    /// The lowest log index written (appended or truncated) since the caller last asked.
    log_changed_from: Option<LogIndex>,
    /// Deliberate bugs switched on (none by default).
    bugs: Bugs,
    /// PreVote (dissertation §9.6): Some while this node runs a pre-vote round, with the
    /// pre-votes it holds (its own included).
    pre_votes: Option<Set<NodeId>>,
    /// Whether this node has heard from a leader of its term since its election timer last
    /// ran out ([`election_timer_fired`](Self::election_timer_fired)). While it has, it refuses
    /// pre-votes: the leader is alive (§9.6).
    leader_contact: bool,
    /// CheckQuorum: the followers a leader heard from since its last check.
    recent_active: IdSet,
    /// The most entries one AppendEntries carries (None: all the follower lacks, as in the paper).
    max_entries: Option<usize>,
    /// Followers whose last reply in this term was a success: new entries go to them pipelined,
    /// after what was already sent, without waiting for acknowledgements (raft-rs's
    /// "replicate" state). Others are probed from nextIndex, one request at a time.
    replicating: IdSet,
    /// Leadership transfer in progress (dissertation §3.10): the follower chosen, and whether
    /// its TimeoutNow has gone out.
    transfer: Option<(NodeId, bool)>,
    /// A TimeoutNow for the caller to send (see [`take_timeout_now`](Self::take_timeout_now)).
    timeout_now: Option<(NodeId, TimeoutNowArgs)>,
    /// ReadIndex (dissertation §6.4): the leader's confirmation round, carried by every
    /// AppendEntries; a read waits for a majority of replies from its round or later.
    round: u64,
    /// The last entry the leader has released for sending: entries after it wait for a
    /// [`flush`](Self::flush) (batching); `replicate_log` releases everything at once.
    released: LogIndex,
    /// Reads waiting for confirmation: (id, readIndex, round, followers that confirmed).
    reads: Vec<(u64, LogIndex, u64, Set<NodeId>)>,
    /// Confirmed reads for the caller: (id, readIndex).
    ready_reads: Vec<(u64, LogIndex)>,
}

/// A configuration entry's command: `{"$config":["n1","n2","n3"]}` (dissertation §4.1: the
/// configuration travels in the log), members by name (`n1` for id 0).
pub fn config_command(members: &[NodeId]) -> String {
    let list: Vec<String> = members.iter().map(|&m| format!("\"{}\"", crate::protocol::name(m))).collect();
    format!("{{\"$config\":[{}]}}", list.join(","))
}

/// The members a configuration entry's command names (`n1` … as ids 0 …), or None for any
/// other command (including a `$config` naming something other than `n` and a number).
pub fn parse_config(command: &str) -> Option<Vec<NodeId>> {
    let body = command.strip_prefix("{\"$config\":[")?.strip_suffix("]}")?;
    if body.is_empty() {
        return Some(Vec::new());
    }
    body.split(',')
        .map(|q| {
            let digits = q.strip_prefix("\"n")?.strip_suffix('"')?;
            let k: usize = digits.parse().ok().filter(|k| *k >= 1 && !digits.starts_with('0'))?;
            Some(k - 1)
        })
        .collect()
}

/// Sets `map[key] = value`.
fn put(map: &mut Map<NodeId, LogIndex>, key: NodeId, value: LogIndex) {
    map.insert(key, value);
}

/// Adds `key` to `set`.
/// `members` as a bit set, when every id is below 64.
fn member_bits(members: &[NodeId]) -> Option<u64> {
    members.iter().try_fold(0u64, |bits, &m| (m < 64).then(|| bits | (1 << m)))
}

/// A set of node ids on a leader's hot paths (followers heard from, followers replicating):
/// ids below 64 as bits, any others in a sorted set.
#[derive(Clone, Debug, Default)]
struct IdSet {
    bits: u64,
    more: Set<NodeId>,
}

impl IdSet {
    fn insert(&mut self, id: NodeId) {
        if id < 64 {
            self.bits |= 1 << id;
        } else {
            self.more.insert(id);
        }
    }
    fn remove(&mut self, id: NodeId) {
        if id < 64 {
            self.bits &= !(1 << id);
        } else {
            self.more.remove(&id);
        }
    }
    fn contains(&self, id: NodeId) -> bool {
        if id < 64 {
            self.bits & (1 << id) != 0
        } else {
            self.more.contains(&id)
        }
    }
    fn clear(&mut self) {
        self.bits = 0;
        self.more.clear();
    }
    /// The ids, in increasing order.
    fn iter(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..64).filter(move |i| self.bits & (1 << i) != 0).chain(self.more.iter().copied())
    }
}

fn add(set: &mut Set<NodeId>, key: NodeId) {
    set.insert(key);
}

/// A node's name in a sentence: `n1` for id 0.
fn nm(id: NodeId) -> std::borrow::Cow<'static, str> {
    crate::protocol::name(id)
}

impl ConsensusProtocol {
    /// A follower in term 0 with an empty log. `peers` lists the cluster's members; it may or
    /// may not list `node_id` itself (the seed's example does), the node is a member either way.
    ///
    /// Errors: `peers` lists an id twice.
    pub fn new(node_id: NodeId, peers: Vec<NodeId>) -> Result<Self> {
        let mut seen = Set::new();
        for (i, &p) in peers.iter().enumerate() {
            if !seen.insert(p) {
                return Err(Error::invalid(format!("peers[{i}]"), format!("must not repeat an id (\"{}\" is listed twice)", nm(p))));
            }
        }
        let mut cluster = peers.clone();
        if !seen.contains(&node_id) {
            cluster.push(node_id);
        }
        let mut known = IdSet::default();
        for &m in &cluster {
            known.insert(m);
        }
        Ok(ConsensusProtocol {
            node_id,
            peers,
            initial: cluster.clone(),
            config_index: 0,
            known,
            member_bits: member_bits(&cluster),
            cluster,
            current_term: 0,
            voted_for: None,
            log: Vec::new(),
            snapshot: Snapshot::default(),
            snapshots_out: Vec::new(),
            role: Role::Follower,
            commit_index: 0,
            last_applied: 0,
            leader_id: None,
            votes: Set::new(),
            next_index: Map::new(),
            match_index: Map::new(),
            sent_index: Map::new(),
            log_changed_from: None,
            bugs: Bugs::NONE,
            pre_votes: None,
            leader_contact: false,
            recent_active: IdSet::default(),
            max_entries: None,
            replicating: IdSet::default(),
            transfer: None,
            timeout_now: None,
            round: 0,
            released: 0,
            reads: Vec::new(),
            ready_reads: Vec::new(),
        })
    }

    // ---- queries ------------------------------------------------------------------------

    /// The deliberate bugs switched on.
    pub fn bugs(&self) -> Bugs {
        self.bugs
    }

    /// Switches deliberate bugs on or off (see [`Bug`]); the protocol is correct with none.
    pub fn set_bugs(&mut self, bugs: Bugs) {
        self.bugs = bugs;
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }
    /// The peers as given to [`new`](Self::new).
    pub fn peers(&self) -> &[NodeId] {
        &self.peers
    }
    /// Every member of the cluster, this node included, each once.
    pub fn cluster(&self) -> &[NodeId] {
        &self.cluster
    }
    /// The members other than this node.
    pub fn others(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.cluster.iter().copied().filter(move |p| *p != self.node_id)
    }
    /// Follower, candidate or leader.
    pub fn role(&self) -> Role {
        self.role
    }
    /// currentTerm: latest term the server has seen (persistent).
    pub fn current_term(&self) -> Term {
        self.current_term
    }
    /// votedFor: the candidate that received this node's vote in its current term (persistent).
    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }
    /// The log entries kept after the snapshot (persistent). Without a snapshot, entry `i`
    /// (from 1) is `log()[i - 1]`; in general use [`entry`](Self::entry).
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }
    /// The latest snapshot (index 0: none), which stands in for entries 1..=its index (§7).
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
    /// The entry at `index`, if the log still holds it (not compacted, not past the end).
    pub fn entry(&self, index: LogIndex) -> Option<&LogEntry> {
        index.checked_sub(self.snapshot.index + 1).and_then(|k| self.log.get(k as usize))
    }
    /// Position in `log` of the entry at `index` (which must be after the snapshot).
    fn pos(&self, index: LogIndex) -> usize {
        (index - self.snapshot.index - 1) as usize
    }
    /// commitIndex: highest log index known to be committed.
    pub fn commit_index(&self) -> LogIndex {
        self.commit_index
    }
    /// lastApplied: highest log index applied to the state machine.
    pub fn last_applied(&self) -> LogIndex {
        self.last_applied
    }
    /// The leader this node knows of in its current term, if any.
    pub fn leader_id(&self) -> Option<NodeId> {
        self.leader_id
    }
    /// nextIndex per other node (leaders only; empty otherwise).
    pub fn next_index(&self) -> &Map<NodeId, LogIndex> {
        &self.next_index
    }
    /// matchIndex per other node (leaders only; empty otherwise).
    pub fn match_index(&self) -> &Map<NodeId, LogIndex> {
        &self.match_index
    }
    /// Votes granted to this candidate in its current term, its own included.
    pub fn votes(&self) -> &Set<NodeId> {
        &self.votes
    }
    /// Index of the last log entry (0 when empty).
    pub fn last_log_index(&self) -> LogIndex {
        self.snapshot.index + self.log.len() as LogIndex
    }
    /// Term of the last log entry (the snapshot's when the log after it is empty; 0 when empty).
    pub fn last_log_term(&self) -> Term {
        self.log.last().map_or(self.snapshot.term, |e| e.term)
    }
    /// Term of the entry at `index` (0 for index 0, the snapshot's at its index), or None past
    /// the end or inside the snapshot.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot.index {
            Some(self.snapshot.term)
        } else {
            self.entry(index).map(|e| e.term)
        }
    }

    /// Majority rule of the seed: `acceptances > cluster size / 2`, counting the `true`s in
    /// `responses`. The caller includes the node's own acceptance when it counts one.
    pub fn is_consensus_reached(&self, responses: &[bool]) -> bool {
        self.is_majority(responses.iter().filter(|r| **r).count())
    }

    fn is_majority(&self, count: usize) -> bool {
        2 * count > self.cluster.len()
    }

    /// Whether some configuration this node has seen names `id` (replies from such a server
    /// are handled; others are refused as invalid).
    pub fn knows(&self, id: NodeId) -> bool {
        self.known.contains(id)
    }

    /// Whether `id` belongs to the configuration in effect.
    pub fn is_member(&self, id: NodeId) -> bool {
        match self.member_bits {
            Some(bits) => id < 64 && bits & (1 << id) != 0,
            None => self.cluster.contains(&id),
        }
    }

    /// How many members are among `ids`, plus this node when `me` (and it is a member).
    fn members_among<'a>(&self, me: bool, ids: impl Iterator<Item = &'a NodeId>) -> usize {
        usize::from(me && self.is_member(self.node_id)) + ids.filter(|p| self.is_member(**p)).count()
    }

    /// `id` must be another server some configuration has named (a reply from a former
    /// member is legitimate and is ignored by the handlers).
    fn check_member(&self, param: &str, id: NodeId) -> Result<()> {
        if id == self.node_id {
            return Err(Error::invalid(param, format!("must be another node, not {} itself", nm(id))));
        }
        if !self.known.contains(id) {
            return Err(Error::invalid(param, format!("must be a member of the cluster (\"{}\" is not)", nm(id))));
        }
        Ok(())
    }

    /// Re-reads the configuration in effect after the log changed (dissertation §4.1), and on
    /// a leader keeps nextIndex/matchIndex for exactly the other members.
    fn refresh_config(&mut self) {
        let latest = self.log.iter().rev().find_map(|e| parse_config(&e.command).map(|c| (e.index, c)));
        let (index, config) = match latest {
            Some((i, c)) => (i, c),
            None if !self.snapshot.config.is_empty() => (0, self.snapshot.config.clone()),
            None => (0, self.initial.clone()),
        };
        for &m in &config {
            self.known.insert(m);
        }
        self.config_index = index;
        self.member_bits = member_bits(&config);
        self.cluster = config;
        if self.role == Role::Leader {
            let others: Vec<NodeId> = self.others().collect();
            self.next_index.retain(|k, _| others.contains(k));
            self.match_index.retain(|k, _| others.contains(k));
            for p in others {
                self.next_index.entry(p).or_insert(1);
                self.match_index.entry(p).or_insert(0);
            }
        }
    }

    /// The configuration in effect at `index` (for a snapshot taken there).
    fn config_at(&self, index: LogIndex) -> Vec<NodeId> {
        let in_log = self.log.iter().rev().filter(|e| e.index <= index).find_map(|e| parse_config(&e.command));
        in_log.unwrap_or_else(|| if self.snapshot.config.is_empty() { self.initial.clone() } else { self.snapshot.config.clone() })
    }

    // ---- transitions --------------------------------------------------------------------

    /// Adopt a newer term: become follower and forget the vote (Figure 2, "All Servers").
    fn observe_term(&mut self, term: Term) {
        if term > self.current_term {
            self.current_term = term;
            self.voted_for = None;
            self.leader_id = None;
            self.become_follower();
        }
    }

    fn become_follower(&mut self) {
        self.role = Role::Follower;
        self.pre_votes = None;
        self.recent_active.clear();
        self.votes.clear();
        self.next_index.clear();
        self.match_index.clear();
        self.sent_index.clear();
        self.replicating.clear();
        self.transfer = None;
        self.timeout_now = None;
        self.reads.clear();
    }

    fn mark_log_changed(&mut self, from: LogIndex) {
        self.log_changed_from = Some(self.log_changed_from.map_or(from, |f| f.min(from)));
    }

    /// The lowest log index appended or truncated since the last call, then forgets it.
    /// The simulator uses it to check Log Matching only where logs changed (the role of
    /// raft-rs's unstable entries in `Ready`).
    pub fn take_log_changed_from(&mut self) -> Option<LogIndex> {
        self.log_changed_from.take()
    }

    /// RequestVote receiver (Raft paper Figure 2; §5.2, §5.4.1).
    ///
    /// Refuses a term older than currentTerm. A newer term is adopted first (follower, votedFor
    /// cleared). The vote is granted when votedFor is null or the candidate, and the candidate's
    /// log is at least as up-to-date: its last term is higher, or equal with a last index at
    /// least this node's. Granting records votedFor.
    ///
    /// Errors: `candidateId` empty (the node is then unchanged).
    pub fn request_vote(&mut self, args: &RequestVoteArgs) -> Result<(RequestVoteReply, VoteDecision)> {
        if args.term < self.current_term {
            return Ok((self.vote_reply(false), VoteDecision::StaleTerm));
        }
        self.observe_term(args.term);
        let decision = match &self.voted_for {
            Some(v) if *v != args.candidate_id => VoteDecision::AlreadyVoted(*v),
            _ if !self.bugs.has(Bug::NoLogCheck)
                && (args.last_log_term, args.last_log_index)
                < (self.last_log_term(), self.last_log_index()) =>
            {
                VoteDecision::LogNotUpToDate
            }
            _ => {
                self.voted_for = Some(args.candidate_id);
                VoteDecision::Granted
            }
        };
        Ok((self.vote_reply(decision == VoteDecision::Granted), decision))
    }

    fn vote_reply(&self, vote_granted: bool) -> RequestVoteReply {
        RequestVoteReply { term: self.current_term, vote_granted }
    }

    /// Checks what a well-formed AppendEntries must hold, before anything changes: a leader id,
    /// and entries numbered one after another from `prev_log_index + 1`. A request that is well
    /// formed but that no correct leader would send (a stale term, a `prev_log_term` above
    /// `term`, entries of later terms than `term`) is not refused here: it gets Figure 2's
    /// answer (a stale term is refused; a `prev_log_term` the log does not hold fails the
    /// consistency check).
    fn validate_append(args: &AppendEntriesArgs) -> Result<()> {
        for (k, e) in args.entries.iter().enumerate() {
            let want = args.prev_log_index + 1 + k as u64;
            if e.index != want {
                return Err(Error::invalid(
                    format!("entries[{k}].index"),
                    format!("must be {want}: entries are contiguous after prevLogIndex {}", args.prev_log_index),
                ));
            }
        }
        Ok(())
    }

    /// AppendEntries receiver (Raft paper Figure 2; §5.3).
    ///
    /// Refuses a term older than currentTerm. A current or newer term makes a candidate or
    /// leader step down and records the leader. Fails the consistency check unless the log
    /// holds an entry at `prev_log_index` with term `prev_log_term`. Deletes an existing entry
    /// and all after it only when it conflicts in term with a new one (a delayed, already
    /// matching request never truncates), appends the entries not yet in the log, and sets
    /// commitIndex to `min(leader_commit, index of the last new entry)` when that is higher:
    /// commitIndex never decreases.
    ///
    /// A well-formed request no correct leader sends gets the same treatment: a stale `term` is
    /// refused (`{term: currentTerm, success: false}`) whatever else it holds, and a
    /// `prev_log_term` the log does not hold at `prev_log_index` (say, one above `term`) fails
    /// the consistency check.
    ///
    /// Errors (node unchanged): empty `leaderId`; an entry whose index is not contiguous after
    /// `prevLogIndex` (malformed input, not a protocol answer).
    pub fn append_entries(&mut self, args: &AppendEntriesArgs) -> Result<(AppendEntriesReply, AppendDecision)> {
        Self::validate_append(args)?;
        let round = args.round;
        let fail = |s: &Self, d| Ok((AppendEntriesReply { term: s.current_term, success: false, match_index: 0, round }, d));
        if args.term < self.current_term {
            return fail(self, AppendDecision::StaleTerm);
        }
        self.observe_term(args.term);
        if self.role != Role::Follower {
            self.become_follower();
        }
        self.leader_id = Some(args.leader_id);
        self.leader_contact = true;
        // Entries up to the snapshot are committed, hence the leader's too: skip them.
        let skip = self.snapshot.index.saturating_sub(args.prev_log_index) as usize;
        let trimmed;
        let args = if skip > 0 {
            let entries = args.entries.get(skip..).map(<[LogEntry]>::to_vec).unwrap_or_default();
            let last = args.prev_log_index + args.entries.len() as u64;
            trimmed = AppendEntriesArgs {
                prev_log_index: self.snapshot.index,
                prev_log_term: self.snapshot.term,
                entries,
                ..args.clone()
            };
            if last <= self.snapshot.index {
                return Ok((
                    AppendEntriesReply { term: self.current_term, success: true, match_index: last, round },
                    AppendDecision::Accepted { appended: 0, truncated_from: None },
                ));
            }
            &trimmed
        } else {
            args
        };
        match self.term_at(args.prev_log_index) {
            None => return fail(self, AppendDecision::MissingPrevEntry),
            Some(t) if t != args.prev_log_term => {
                return fail(self, AppendDecision::PrevTermMismatch { found: t })
            }
            Some(_) => {}
        }
        let mut appended = 0;
        let mut truncated_from = None;
        if self.bugs.has(Bug::StaleTruncate) && self.last_log_index() > args.prev_log_index {
            let keep = self.pos(args.prev_log_index + 1);
            self.log.truncate(keep);
            self.mark_log_changed(args.prev_log_index + 1);
            truncated_from = Some(args.prev_log_index + 1);
        }
        let mut config_touched = false;
        for e in &args.entries {
            match self.term_at(e.index) {
                Some(t) if t == e.term => continue,
                Some(_) => {
                    // Conflict: delete the existing entry and all that follow it (§5.3).
                    let keep = self.pos(e.index);
                    self.log.truncate(keep);
                    truncated_from = Some(e.index);
                }
                None => {}
            }
            config_touched |= parse_config(&e.command).is_some();
            self.log.push(e.clone());
            self.mark_log_changed(e.index);
            appended += 1;
        }
        if config_touched || truncated_from.is_some_and(|t| t <= self.config_index) {
            self.refresh_config();
        }
        let last_new = args.prev_log_index + args.entries.len() as u64;
        if args.leader_commit > self.commit_index {
            self.commit_index = self.commit_index.max(args.leader_commit.min(last_new));
        }
        Ok((
            AppendEntriesReply { term: self.current_term, success: true, match_index: last_new, round },
            AppendDecision::Accepted { appended, truncated_from },
        ))
    }

    /// Election timeout fired (Figure 2, "Candidates"; §5.2): increment currentTerm, become
    /// candidate, vote for itself. Returns the RequestVote arguments to send to every other
    /// node. Allowed from any state (the playground lets a user force an election).
    /// A single-node cluster has won at once: check [`votes`](Self::votes) or call
    /// [`become_leader`](Self::become_leader).
    pub fn start_election(&mut self) -> RequestVoteArgs {
        self.current_term += 1;
        self.become_follower();
        self.leader_contact = false;
        self.role = Role::Candidate;
        self.voted_for = Some(self.node_id);
        self.leader_id = None;
        self.votes.insert(self.node_id);
        RequestVoteArgs {
            term: self.current_term,
            candidate_id: self.node_id,
            last_log_index: self.last_log_index(),
            last_log_term: self.last_log_term(),
        }
    }

    /// True when this node is a candidate holding votes from a majority.
    pub fn has_won_election(&self) -> bool {
        self.role == Role::Candidate && self.is_majority(self.members_among(false, self.votes.iter()))
    }

    /// Candidate side of RequestVote (Figure 2). A newer term in the reply makes the node a
    /// follower; a reply of an older term, or to a node no longer candidate, is ignored;
    /// a granted vote is counted once per voter.
    ///
    /// Errors: `from` is empty, this node, or not a member.
    pub fn handle_request_vote_response(&mut self, from: NodeId, reply: &RequestVoteReply) -> Result<VoteTally> {
        self.check_member("from", from)?;
        self.observe_term(reply.term);
        if self.role == Role::Candidate && reply.term == self.current_term && reply.vote_granted {
            add(&mut self.votes, from);
        }
        Ok(VoteTally { votes: self.votes.len(), won: self.has_won_election() })
    }

    /// Candidate → leader (Figure 2, "Leaders"; §5.2). Initialises nextIndex to the last log
    /// index + 1 and matchIndex to 0 for every other node, then appends a no-op entry of the
    /// new term (Raft paper §8) so entries of earlier terms can commit. Returns the first
    /// AppendEntries for every other node.
    ///
    /// Errors: the node is not a candidate.
    pub fn become_leader(&mut self) -> Result<Vec<AppendEntriesRequest>> {
        if self.role != Role::Candidate {
            return Err(Error::WrongState { action: "becomeLeader", state: self.role.as_str(), needs: "candidate" });
        }
        self.role = Role::Leader;
        self.leader_id = Some(self.node_id);
        self.leader_contact = true;
        self.votes.clear();
        let next = self.last_log_index() + 1;
        let others: Vec<NodeId> = self.others().collect();
        for p in others {
            self.next_index.insert(p, next);
            self.match_index.insert(p, 0);
        }
        if !self.bugs.has(Bug::Figure8) {
            self.append_own("null".into());
        }
        self.released = self.last_log_index();
        Ok(self.requests_for_all(false))
    }

    /// The most entries one AppendEntries may carry (None: no limit, as in the paper). Batching
    /// bounds message size; a follower far behind catches up batch by batch.
    pub fn set_max_entries_per_append(&mut self, max: Option<usize>) {
        self.max_entries = max.map(|m| m.max(1));
    }

    fn append_own(&mut self, command: CommandText) -> LogIndex {
        let index = self.last_log_index() + 1;
        let config = parse_config(&command).is_some();
        self.log.push(LogEntry { term: self.current_term, index, command });
        self.mark_log_changed(index);
        if config {
            self.refresh_config();
        }
        self.advance_commit_index();
        index
    }

    // ---- Membership changes, one server at a time (dissertation §4.1) ----------------------

    /// Leader only: changes the configuration to `members`, which must differ from the one in
    /// effect by exactly one server (added or removed). The new configuration is appended to
    /// the log as a configuration entry and takes effect at once on every server that holds
    /// it. A new server starts from nextIndex 1 (or a snapshot). A leader that removes itself
    /// keeps leading until the entry commits, then steps down (§4.2.2).
    ///
    /// Errors: not leader or handing over; a previous change not yet committed; no entry of
    /// the leader's term committed yet (the §4.1 safety rule); not exactly one server changed;
    /// an id that is not plain (letters, digits, `-`, `_`, `.`).
    pub fn change_membership(&mut self, members: Vec<NodeId>) -> Result<(LogIndex, Vec<AppendEntriesRequest>)> {
        self.require_leader()?;
        if self.transfer.is_some() {
            return Err(Error::WrongState { action: "changeMembership", state: "leader handing over leadership", needs: "leader" });
        }
        if self.config_index > self.commit_index {
            return Err(Error::invalid("members", format!("must wait: the change at index {} is not committed yet", self.config_index)));
        }
        if self.term_at(self.commit_index) != Some(self.current_term) {
            return Err(Error::invalid("members", "must wait until the leader has committed an entry of its term (§4.1)"));
        }
        for (k, m) in members.iter().enumerate() {
            if parse_config(&config_command(std::slice::from_ref(m))).is_none() {
                return Err(Error::invalid(format!("members[{k}]"), "must be a node id"));
            }
        }
        let added = members.iter().filter(|m| !self.is_member(**m)).count();
        let removed = self.cluster.iter().filter(|m| !members.contains(m)).count();
        let distinct: Set<&NodeId> = members.iter().collect();
        if added + removed != 1 || distinct.len() != members.len() || members.is_empty() {
            return Err(Error::invalid("members", "must add or remove exactly one server (dissertation §4.1)"));
        }
        let index = self.append_own(config_command(&members).into());
        self.released = self.last_log_index();
        Ok((index, self.requests_for_all(false)))
    }

    /// The index of the configuration entry in effect (0: initial or from the snapshot).
    pub fn config_index(&self) -> LogIndex {
        self.config_index
    }

    fn requests_for_all(&mut self, pipelined: bool) -> Vec<AppendEntriesRequest> {
        // request_for does not read the configuration: lend it out instead of cloning its ids.
        let cluster = std::mem::take(&mut self.cluster);
        let mut requests = Vec::with_capacity(cluster.len());
        for p in &cluster {
            if *p != self.node_id {
                requests.extend(self.request_for(*p, pipelined));
            }
        }
        self.cluster = cluster;
        requests
    }

    /// The AppendEntries a leader sends `to`: the entries from nextIndex on (at most
    /// `max_entries_per_append` of them), after the entry at nextIndex − 1. When `pipelined`
    /// and `to` is replicating, it starts after what was already sent instead.
    /// None when `to` needs entries compacted into the snapshot: an InstallSnapshot is queued
    /// for it instead (see [`take_install_snapshots`](Self::take_install_snapshots)).
    fn request_for(&mut self, to: NodeId, pipelined: bool) -> Option<AppendEntriesRequest> {
        let next = self.next_index.get(&to).copied().unwrap_or(1).max(1);
        if next <= self.snapshot.index {
            let args = InstallSnapshotArgs { term: self.current_term, leader_id: self.node_id, snapshot: self.snapshot.clone() };
            self.snapshots_out.retain(|(t, _)| *t != to);
            self.snapshots_out.push((to, args));
            return None;
        }
        let sent = self.sent_index.get(&to).copied().unwrap_or(0);
        let start = if pipelined && self.replicating.contains(to) { next.max(sent + 1) } else { next };
        let released = self.released.min(self.last_log_index());
        let prev = (start - 1).min(released);
        let end = match self.max_entries {
            Some(m) => (prev + m as u64).min(released),
            None => released,
        };
        put(&mut self.sent_index, to, sent.max(end));
        Some(self.append_request(to, prev, end))
    }

    /// The AppendEntries to `to` carrying entries `prev + 1 ..= end` (none when `end == prev`)
    /// after the entry at `prev`, with this leader's term, commitIndex and round.
    fn append_request(&self, to: NodeId, prev: LogIndex, end: LogIndex) -> AppendEntriesRequest {
        AppendEntriesRequest {
            to,
            args: AppendEntriesArgs {
                term: self.current_term,
                leader_id: self.node_id,
                prev_log_index: prev,
                prev_log_term: self.term_at(prev).unwrap_or(0),
                entries: if end > prev { self.log[self.pos(prev + 1)..self.pos(end + 1)].to_vec() } else { Vec::new() },
                leader_commit: self.commit_index,
                round: self.round,
            },
        }
    }

    fn require_leader(&self) -> Result<()> {
        if self.role != Role::Leader {
            return Err(Error::NotLeader { node: nm(self.node_id).into_owned(), leader: self.leader_id.map(|l| nm(l).into_owned()) });
        }
        Ok(())
    }

    /// Leader only (§5.3): appends `{term: currentTerm, index: last + 1, command}` and returns
    /// one AppendEntries per other node, built from that node's nextIndex. `command` is JSON
    /// text. Returns the new entry's index with the requests.
    ///
    /// Errors: not leader ([`Error::NotLeader`] names the leader it knows, if any).
    pub fn replicate_log(&mut self, command: String) -> Result<(LogIndex, Vec<AppendEntriesRequest>)> {
        self.replicate_shared(command.into())
    }

    /// [`replicate_log`](Self::replicate_log) with the command's text already shared (the
    /// simulator's Raft keeps the same text in its note).
    pub(crate) fn replicate_shared(&mut self, command: CommandText) -> Result<(LogIndex, Vec<AppendEntriesRequest>)> {
        self.require_leader()?;
        if self.transfer.is_some() {
            return Err(Error::WrongState { action: "replicateLog", state: "leader handing over leadership", needs: "leader" });
        }
        let index = self.append_own(command);
        self.released = self.last_log_index();
        Ok((index, self.requests_for_all(true)))
    }

    /// Leader only: appends `{term, index, command}` like [`replicate_log`](Self::replicate_log)
    /// but sends nothing yet: the caller batches several commands and then calls
    /// [`flush`](Self::flush), so one AppendEntries carries them all.
    ///
    /// Errors: not leader, or handing over leadership.
    pub fn propose(&mut self, command: String) -> Result<LogIndex> {
        self.propose_shared(command.into())
    }

    /// [`propose`](Self::propose) with the command's text already shared.
    pub(crate) fn propose_shared(&mut self, command: CommandText) -> Result<LogIndex> {
        self.require_leader()?;
        if self.transfer.is_some() {
            return Err(Error::WrongState { action: "replicateLog", state: "leader handing over leadership", needs: "leader" });
        }
        Ok(self.append_own(command))
    }

    /// Leader only: AppendEntries for every follower that lacks entries not yet sent to it
    /// (pipelined after what is in flight), none for the others.
    ///
    /// Errors: not leader.
    pub fn flush(&mut self) -> Result<Vec<AppendEntriesRequest>> {
        self.require_leader()?;
        let last = self.last_log_index();
        self.released = last;
        let behind: Vec<NodeId> =
            self.others().filter(|p| self.sent_index.get(p).copied().unwrap_or(0) < last).collect();
        Ok(behind.iter().filter_map(|p| self.request_for(*p, true)).collect())
    }

    /// Leader only: the periodic AppendEntries to every other node (§5.2 heartbeats); each
    /// also carries the entries that node lacks by nextIndex, so it doubles as a retry.
    ///
    /// Errors: not leader.
    pub fn heartbeat(&mut self) -> Result<Vec<AppendEntriesRequest>> {
        self.require_leader()?;
        Ok(self.requests_for_all(false))
    }

    /// Leader only: the AppendEntries for follower `to` alone (a heartbeat on its own schedule,
    /// carrying what it lacks from nextIndex on); None when it needs the snapshot instead (an
    /// InstallSnapshot is queued) or is not another member.
    ///
    /// Errors: not leader.
    pub fn heartbeat_to(&mut self, to: NodeId) -> Result<Option<AppendEntriesRequest>> {
        self.require_leader()?;
        Ok(if to != self.node_id && self.is_member(to) { self.request_for(to, false) } else { None })
    }

    /// Whether a leader owes follower `to` an AppendEntries beyond the answer it just had: `to`
    /// lacks released entries, or a ReadIndex round newer than `answered` waits for it.
    pub fn owes(&self, to: NodeId, answered: u64) -> bool {
        let released = self.released.min(self.last_log_index());
        self.role == Role::Leader && (self.match_index.get(&to).copied().unwrap_or(0) < released || (answered < self.round && !self.reads.is_empty()))
    }

    /// Leader side of AppendEntries (Figure 2, "Leaders"; §5.3, §5.4.2).
    ///
    /// A newer term makes the node a follower. A reply of an older term, or to a node no longer
    /// leader, is ignored. On failure nextIndex for `from` is decremented (never below
    /// matchIndex + 1) and the retry is returned. On success matchIndex becomes the reply's
    /// `match_index` if higher, nextIndex = matchIndex + 1, and commitIndex advances to the
    /// highest N of the current term stored on a majority (the Figure 8 rule, §5.4.2). Returns
    /// the next request for `from` if it lacks entries that were never sent to it, or to carry
    /// a commitIndex this reply just advanced; else None. Entries already on their way are not
    /// sent again (the next heartbeat resends what is still unacknowledged), and other
    /// followers learn the new commitIndex from the next AppendEntries, heartbeats included
    /// (§5.3: "it includes that index in future AppendEntries RPCs").
    ///
    /// Errors (node unchanged): `from` is empty, this node or not a member; a successful
    /// reply's `match_index` beyond this leader's last log index.
    pub fn handle_append_entries_response(
        &mut self,
        from: NodeId,
        reply: &AppendEntriesReply,
    ) -> Result<Option<AppendEntriesRequest>> {
        self.check_member("from", from)?;
        if reply.success && reply.term == self.current_term && reply.match_index > self.last_log_index() {
            return Err(Error::invalid(
                "response.matchIndex",
                format!("must not exceed the leader's last log index {}", self.last_log_index()),
            ));
        }
        self.observe_term(reply.term);
        if self.role != Role::Leader || reply.term < self.current_term || !self.is_member(from) {
            return Ok(None);
        }
        self.recent_active.insert(from);
        self.confirm_reads(from, reply.round);
        let matched = self.match_index.get(&from).copied().unwrap_or(0);
        if !reply.success {
            let next = self.next_index.get(&from).copied().unwrap_or(1);
            put(&mut self.next_index, from, next.saturating_sub(1).max(matched + 1));
            self.replicating.remove(from);
            put(&mut self.sent_index, from, matched);
            return Ok(self.request_for(from, false));
        }
        let matched = matched.max(reply.match_index);
        put(&mut self.match_index, from, matched);
        put(&mut self.next_index, from, matched + 1);
        let moved = self.advance_commit_index();
        if self.role != Role::Leader {
            return Ok(None); // it committed its own removal and stepped down (§4.2.2)
        }
        let sent = self.sent_index.get(&from).copied().unwrap_or(0);
        let released = self.released.min(self.last_log_index());
        let unsent = matched < released && sent < released;
        self.replicating.insert(from);
        self.maybe_timeout_now();
        if unsent {
            return Ok(self.request_for(from, true));
        }
        // Only the commitIndex moved: tell `from` with an empty request right after what it
        // just acknowledged (anything still on its way to it stays where it is).
        Ok(moved.then(|| self.append_request(from, matched, matched)))
    }

    /// Figure 2, "Leaders": if there is an N > commitIndex with a majority of matchIndex[i] ≥ N
    /// and log[N].term == currentTerm, set commitIndex = N. Only entries of the current term
    /// are committed by counting replicas (§5.4.2, Figure 8). Returns whether it moved.
    fn advance_commit_index(&mut self) -> bool {
        if self.role != Role::Leader {
            return false;
        }
        let mut n = self.last_log_index();
        if n <= self.commit_index {
            return false;
        }
        let any_term = self.bugs.has(Bug::Figure8);
        while n > self.commit_index && (any_term || self.term_at(n) == Some(self.current_term)) {
            let replicas = self.members_among(true, self.match_index.iter().filter(|(_, m)| **m >= n).map(|(k, _)| k));
            if self.is_majority(replicas) {
                self.commit_index = n;
                // A leader the committed configuration leaves out steps down (§4.2.2).
                if !self.is_member(self.node_id) && self.config_index <= n {
                    self.become_follower();
                    self.leader_id = None;
                }
                return true;
            }
            n -= 1;
        }
        false
    }

    /// Applies committed entries: advances lastApplied to commitIndex and returns the entries
    /// to hand to the state machine, in order (Figure 2, "All Servers").
    pub fn apply_committed(&mut self) -> Vec<LogEntry> {
        self.take_committed().to_vec()
    }

    /// [`apply_committed`](Self::apply_committed) without copying: the entries to apply, as a
    /// slice of the log (empty when there are none).
    pub fn take_committed(&mut self) -> &[LogEntry] {
        let from = self.last_applied.max(self.snapshot.index);
        let to = self.commit_index.min(self.last_log_index());
        if to <= from {
            // Only a broken protocol (a deliberate bug) truncates applied entries; then the
            // entries are applied again as the log grows back, so the checker sees the change.
            self.last_applied = to.max(self.snapshot.index);
            return &[];
        }
        self.last_applied = to;
        &self.log[self.pos(from + 1)..self.pos(to + 1)]
    }

    // ---- ReadIndex: linearizable reads without writing the log (dissertation §6.4) ---------

    /// Leader only: registers read `id`. Its readIndex is the current commitIndex; the leader
    /// starts a new confirmation round and returns the heartbeats that carry it. Once a
    /// majority (the leader included) has answered a request of that round, the read is
    /// confirmed and shows up in [`take_ready_reads`](Self::take_ready_reads); the caller then
    /// answers it from its state machine as soon as lastApplied ≥ readIndex.
    ///
    /// Errors: not leader; the leader has not yet committed an entry of its term (its
    /// commitIndex may be behind: §6.4 step 1; the §8 no-op soon fixes that).
    pub fn read_index(&mut self, id: u64) -> Result<Vec<AppendEntriesRequest>> {
        self.require_leader()?;
        if self.term_at(self.commit_index) != Some(self.current_term) {
            return Err(Error::WrongState { action: "readIndex", state: "leader with no entry of its term committed yet", needs: "leader" });
        }
        self.round += 1;
        self.reads.push((id, self.commit_index, self.round, Set::new()));
        let me = self.node_id;
        self.confirm_reads(me, 0);
        Ok(self.requests_for_all(false))
    }

    /// Whether confirmed reads or InstallSnapshot messages wait for the caller
    /// ([`take_ready_reads`](Self::take_ready_reads), [`take_install_snapshots`](Self::take_install_snapshots)).
    pub fn has_output(&self) -> bool {
        !self.ready_reads.is_empty() || !self.snapshots_out.is_empty()
    }

    /// Confirmed reads: `(id, readIndex)`, oldest first, each returned once.
    pub fn take_ready_reads(&mut self) -> Vec<(u64, LogIndex)> {
        std::mem::take(&mut self.ready_reads)
    }

    /// `from` answered a request of round `round`: it confirms the reads of that round and
    /// earlier. The leader confirms itself (called with its own id).
    fn confirm_reads(&mut self, from: NodeId, round: u64) {
        let me = from == self.node_id;
        let mut i = 0;
        while i < self.reads.len() {
            if !me && round < self.reads[i].2 {
                i += 1;
                continue;
            }
            if !me {
                add(&mut self.reads[i].3, from);
            }
            if self.bugs.has(Bug::StaleRead) || self.is_majority(self.members_among(true, self.reads[i].3.iter())) {
                let (id, index, _, _) = self.reads.remove(i);
                self.ready_reads.push((id, index));
            } else {
                i += 1;
            }
        }
    }

    // ---- Log compaction (Raft paper §7) ----------------------------------------------------

    /// Replaces the entries up to `index` (which must be applied) with a snapshot of the state
    /// machine there, `data` encoded by the application. Leaders send it, by InstallSnapshot, to
    /// followers that need compacted entries.
    ///
    /// Errors: `index` not after the current snapshot, or not yet applied.
    pub fn compact(&mut self, index: LogIndex, data: String) -> Result<()> {
        if index <= self.snapshot.index || index > self.last_applied {
            return Err(Error::invalid(
                "index",
                format!("must be after the snapshot ({}) and applied (lastApplied {})", self.snapshot.index, self.last_applied),
            ));
        }
        let term = self.term_at(index).expect("an applied entry after the snapshot is in the log");
        let config = self.config_at(index); // before the entries that may hold it go
        let cut = self.pos(index) + 1;
        self.log.drain(..cut);
        self.snapshot = Snapshot { index, term, data, config };
        Ok(())
    }

    /// The InstallSnapshot messages to send now (leaders queue one when a follower's nextIndex
    /// falls inside the snapshot).
    pub fn take_install_snapshots(&mut self) -> Vec<(NodeId, InstallSnapshotArgs)> {
        std::mem::take(&mut self.snapshots_out)
    }

    /// InstallSnapshot receiver (Raft paper Figure 13). Refuses a stale term; otherwise, like
    /// AppendEntries, adopts the term, follows the leader, and then: a snapshot no newer than
    /// what this node has committed changes nothing; if the log holds the snapshot's last entry
    /// (same term) the entries after it are kept, else the whole log is discarded; commitIndex
    /// and lastApplied move up to the snapshot. Returns the reply and whether the state machine
    /// must now be loaded from `args.snapshot.data`.
    ///
    /// Errors: `leaderId` empty; a snapshot term above `term`.
    pub fn install_snapshot(&mut self, args: &InstallSnapshotArgs) -> Result<(InstallSnapshotReply, bool)> {
        if args.snapshot.term > args.term {
            return Err(Error::invalid("lastIncludedTerm", "must not exceed term"));
        }
        if args.term < self.current_term {
            return Ok((InstallSnapshotReply { term: self.current_term, match_index: 0 }, false));
        }
        self.observe_term(args.term);
        if self.role != Role::Follower {
            self.become_follower();
        }
        self.leader_id = Some(args.leader_id);
        self.leader_contact = true;
        let snap = &args.snapshot;
        if snap.index <= self.commit_index {
            return Ok((InstallSnapshotReply { term: self.current_term, match_index: snap.index }, false));
        }
        if self.term_at(snap.index) == Some(snap.term) && snap.index <= self.last_log_index() {
            let cut = self.pos(snap.index) + 1;
            self.log.drain(..cut);
        } else {
            self.log.clear();
            self.mark_log_changed(snap.index + 1);
        }
        self.snapshot = snap.clone();
        self.commit_index = snap.index;
        self.last_applied = snap.index;
        self.refresh_config();
        Ok((InstallSnapshotReply { term: self.current_term, match_index: snap.index }, true))
    }

    /// Leader side of InstallSnapshot: the follower now matches up to `reply.match_index`;
    /// returns the AppendEntries for what it still lacks, if anything.
    ///
    /// Errors: `from` is empty, this node or not a member.
    pub fn handle_install_snapshot_response(&mut self, from: NodeId, reply: &InstallSnapshotReply) -> Result<Option<AppendEntriesRequest>> {
        self.check_member("from", from)?;
        self.observe_term(reply.term);
        if self.role != Role::Leader || reply.term < self.current_term || reply.match_index == 0 || !self.is_member(from) {
            return Ok(None);
        }
        self.recent_active.insert(from);
        let matched = self.match_index.get(&from).copied().unwrap_or(0).max(reply.match_index.min(self.last_log_index()));
        put(&mut self.match_index, from, matched);
        put(&mut self.next_index, from, matched + 1);
        put(&mut self.sent_index, from, matched);
        self.advance_commit_index();
        if self.role != Role::Leader {
            return Ok(None);
        }
        self.maybe_timeout_now();
        if matched < self.last_log_index() {
            return Ok(self.request_for(from, false));
        }
        Ok(None)
    }

    // ---- Leadership transfer (dissertation §3.10) ------------------------------------------

    /// Leader only: hands leadership to `to`. The leader stops taking client commands, brings
    /// `to`'s log up to date with the usual AppendEntries, and then sends it TimeoutNow
    /// (collect it with [`take_timeout_now`](Self::take_timeout_now)), on which `to` starts an
    /// election and, with the most up-to-date log and a higher term, wins. The caller should
    /// [`abort_transfer`](Self::abort_transfer) if no new leader appears within an election
    /// timeout.
    ///
    /// Errors: not leader; `to` is empty, this node, or not a member.
    pub fn transfer_leadership(&mut self, to: NodeId) -> Result<()> {
        self.require_leader()?;
        self.check_member("to", to)?;
        self.transfer = Some((to, false));
        self.maybe_timeout_now();
        Ok(())
    }

    /// Whether a leadership transfer is in progress, and to whom.
    pub fn transfer_target(&self) -> Option<NodeId> {
        self.transfer.map(|(t, _)| t)
    }

    /// Gives up a leadership transfer: the leader takes client commands again.
    pub fn abort_transfer(&mut self) {
        self.transfer = None;
        self.timeout_now = None;
    }

    /// The TimeoutNow to send, once the transfer target has caught up (then None until the
    /// next transfer).
    pub fn take_timeout_now(&mut self) -> Option<(NodeId, TimeoutNowArgs)> {
        self.timeout_now.take()
    }

    fn maybe_timeout_now(&mut self) {
        if let Some((to, false)) = &self.transfer {
            if self.match_index.get(to).copied() == Some(self.last_log_index()) {
                let to = *to;
                self.timeout_now = Some((to, TimeoutNowArgs { term: self.current_term, leader_id: self.node_id }));
                self.transfer = Some((to, true));
            }
        }
    }

    /// TimeoutNow receiver: from the leader of this node's current term, start an election now
    /// (no PreVote: the leader asked for it). Returns the RequestVote arguments to send, or
    /// None when the message is stale (another term) and is ignored.
    ///
    /// Errors: `leaderId` empty.
    pub fn handle_timeout_now(&mut self, args: &TimeoutNowArgs) -> Result<Option<RequestVoteArgs>> {
        if args.term != self.current_term || self.role == Role::Leader {
            return Ok(None);
        }
        Ok(Some(self.start_election()))
    }

    // ---- PreVote (dissertation §9.6) and CheckQuorum (§6.2) -------------------------------

    /// The caller's election timer ran out: this node has not heard from a leader for an
    /// election timeout, so from now on it grants pre-votes (until a leader contacts it).
    pub fn election_timer_fired(&mut self) {
        self.leader_contact = false;
    }

    /// Whether this node runs a pre-vote round.
    pub fn is_pre_candidate(&self) -> bool {
        self.pre_votes.is_some()
    }

    /// Pre-votes held in the running pre-vote round, its own included (0 when none runs).
    pub fn pre_vote_count(&self) -> usize {
        self.pre_votes.as_ref().map_or(0, Set::len)
    }

    /// Starts a pre-vote round (dissertation §9.6): asks whether the others *would* vote for it
    /// in term currentTerm + 1, without changing its term or votedFor, so that a server cut off
    /// from the cluster cannot disrupt it with ever higher terms. Returns the PreVote arguments
    /// (term = currentTerm + 1). When the node alone is a majority it has won at once: check
    /// [`has_won_pre_vote`](Self::has_won_pre_vote) and call [`start_election`](Self::start_election).
    pub fn start_pre_vote(&mut self) -> RequestVoteArgs {
        self.leader_contact = false;
        self.pre_votes = Some(Set::from([self.node_id]));
        RequestVoteArgs {
            term: self.current_term + 1,
            candidate_id: self.node_id,
            last_log_index: self.last_log_index(),
            last_log_term: self.last_log_term(),
        }
    }

    /// True when this node runs a pre-vote round holding pre-votes from a majority: the caller
    /// should now call [`start_election`](Self::start_election).
    pub fn has_won_pre_vote(&self) -> bool {
        self.pre_votes.as_ref().is_some_and(|v| self.is_majority(self.members_among(false, v.iter())))
    }

    /// PreVote receiver: grants when the proposed term is newer than currentTerm, the
    /// candidate's log is at least as up-to-date (§5.4.1), and this node has not heard from a
    /// leader within an election timeout (a leader never grants). Changes nothing: no term
    /// adopted, no vote recorded. The reply carries the proposed term when granted, else
    /// currentTerm.
    ///
    /// Errors: `candidateId` empty.
    pub fn handle_pre_vote(&mut self, args: &RequestVoteArgs) -> Result<RequestVoteReply> {
        let up_to_date = self.bugs.has(Bug::NoLogCheck)
            || (args.last_log_term, args.last_log_index) >= (self.last_log_term(), self.last_log_index());
        let grant = args.term > self.current_term && up_to_date && !self.leader_contact && self.role != Role::Leader;
        Ok(RequestVoteReply { term: if grant { args.term } else { self.current_term }, vote_granted: grant })
    }

    /// Pre-candidate side of PreVote: counts a granted pre-vote for term currentTerm + 1; a
    /// refusal carrying a newer term makes the node adopt it (and end the round).
    ///
    /// Errors: `from` is empty, this node, or not a member.
    pub fn handle_pre_vote_response(&mut self, from: NodeId, reply: &RequestVoteReply) -> Result<VoteTally> {
        self.check_member("from", from)?;
        if !reply.vote_granted && reply.term > self.current_term {
            self.observe_term(reply.term);
        }
        if let Some(v) = self.pre_votes.as_mut() {
            if reply.vote_granted && reply.term == self.current_term + 1 {
                add(v, from);
            }
        }
        Ok(VoteTally { votes: self.pre_vote_count(), won: self.has_won_pre_vote() })
    }

    /// CheckQuorum (dissertation §6.2): called by a leader once per election timeout. If it
    /// has not heard from a majority (itself included) since the last call, it steps down to
    /// follower, so that clients of a leader cut off in a minority look elsewhere. Returns
    /// whether it stepped down. Does nothing on a non-leader.
    pub fn check_quorum(&mut self) -> bool {
        if self.role != Role::Leader {
            return false;
        }
        let heard = usize::from(self.is_member(self.node_id)) + self.recent_active.iter().filter(|p| self.is_member(*p)).count();
        self.recent_active.clear();
        if self.is_majority(heard) {
            return false;
        }
        self.become_follower();
        self.leader_id = None;
        true
    }

    /// Loads the persistent state an earlier run of this server left on stable storage (Raft
    /// paper Figure 2: currentTerm, votedFor, log; §7: the latest snapshot) into a node that has
    /// done nothing yet; then [`restart`](Self::restart) makes it a follower that has just come
    /// back, as after a crash. The configuration is re-read from the log and the snapshot (§4.1).
    ///
    /// Errors (node unchanged): the node is not fresh (a term, a vote or a log of its own);
    /// `log` not numbered one after another from `snapshot.index + 1`; a term of the log or the
    /// snapshot above `current_term`, or decreasing along the log.
    pub fn load(&mut self, current_term: Term, voted_for: Option<NodeId>, snapshot: Snapshot, log: Vec<LogEntry>) -> Result<()> {
        if self.current_term != 0 || self.voted_for.is_some() || !self.log.is_empty() || self.snapshot.index != 0 {
            return Err(Error::invalid("persisted", "must be loaded into a fresh node (this one has run)"));
        }
        if snapshot.term > current_term {
            return Err(Error::invalid("persisted.snapshot.term", format!("must not exceed currentTerm {current_term} (got {})", snapshot.term)));
        }
        let mut term = snapshot.term;
        for (k, e) in log.iter().enumerate() {
            let want = snapshot.index + 1 + k as LogIndex;
            if e.index != want {
                return Err(Error::invalid(format!("persisted.log[{k}].index"), format!("must be {want}: entries follow the snapshot one after another (got {})", e.index)));
            }
            if e.term < term || e.term > current_term {
                return Err(Error::invalid(
                    format!("persisted.log[{k}].term"),
                    format!("must be from {term} (the term before it) to currentTerm {current_term} (got {})", e.term),
                ));
            }
            term = e.term;
        }
        self.current_term = current_term;
        self.voted_for = voted_for;
        self.snapshot = snapshot;
        self.log = log;
        self.refresh_config();
        self.mark_log_changed(self.snapshot.index + 1);
        Ok(())
    }

    /// A crash and restart: persistent state (currentTerm, votedFor, log) is kept, volatile
    /// state is lost (follower, commitIndex = lastApplied = 0, no known leader, no
    /// nextIndex/matchIndex). Raft paper Figure 2, "State".
    pub fn restart(&mut self) {
        self.leader_contact = false;
        self.snapshots_out.clear();
        if self.bugs.has(Bug::ForgetVote) {
            self.voted_for = None;
        }
        self.become_follower();
        // The state machine restarts from the snapshot (§7): what it covers is committed
        // and applied.
        self.commit_index = self.snapshot.index;
        self.last_applied = self.snapshot.index;
        self.leader_id = None;
    }
}

impl AsRef<ConsensusProtocol> for ConsensusProtocol {
    fn as_ref(&self) -> &ConsensusProtocol {
        self
    }
}
