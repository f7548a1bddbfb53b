//! One voter's state and handlers, sans-IO: no clock, no network, no timers of its own. The
//! caller ([`super::sim::Vote`] as a [`crate::protocol::Protocol`], or a standalone node) hands
//! in the time and the RNG and carries out the [`Step`]s it gets back, in order.
//!
//! One round, no leader: a proposer broadcasts [`Msg::Proposal`], every voter (the proposer
//! too) answers by its [`Policy`] with [`Msg::Vote`], and the proposer settles the proposal
//! exactly once — accepted as soon as the weight for reaches the quorum, rejected as soon as it
//! no longer can, timed out when its deadline passes — and tells every voter with
//! [`Msg::Decided`]. Voters apply an accepted `key = value` to their state map.
//!
//! Exclusive voters (on by default) approve at most one open proposal per key: a voter that
//! approved proposal P for key `k` holds a lock on `k` until it learns P's outcome (a
//! `Decided`), or, failing that, until `timeout` has passed on its own clock since it voted
//! (P's proposer settles P by then: its deadline is `timeout` after it proposed, and it accepts
//! nothing at or after its deadline). A proposal for a locked key gets a vote against.
//!
//! Everything here is persistent state (a voter's ballots must survive a crash, like Raft's
//! votedFor): a caller writes it to stable storage at each [`Step::Persist`], before the sends
//! that follow.

use rand_pcg::Pcg64Mcg;

use crate::collections::Map;
use crate::error::{Error, Result};
use crate::protocol::{BugSet, Micros, NodeId};

use super::bug::Bug;
use super::quorum::{self, Quorum};

/// Voting weight (an integer; 1 per voter by default).
pub type Weight = u64;

/// A proposal's id: its proposer and the proposer's counter (from 1). At the JS boundary
/// `"v1:3"`: the proposer's id, a colon, the counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProposalId {
    /// The node that proposed it.
    pub proposer: NodeId,
    /// Its counter at that node, from 1.
    pub seq: u64,
}

impl ProposalId {
    /// `"n1:3"`, with `names[proposer]` as the proposer's name.
    pub fn text(self, names: &[String]) -> String {
        let name = names.get(self.proposer).cloned().unwrap_or_else(|| crate::protocol::node_name(self.proposer));
        format!("{name}:{}", self.seq)
    }

    /// Parses `"n1:3"` with `names` as the members' names. Errors name `param` and the rule.
    pub fn parse(param: &str, text: &str, names: &[String]) -> Result<ProposalId> {
        let rule = || Error::invalid(param, format!("must be a proposal id, a member's id, a colon and a counter from 1, such as \"{}:1\" (got \"{text}\")", names.first().map_or("n1", |s| s.as_str())));
        let (name, seq) = text.rsplit_once(':').ok_or_else(rule)?;
        let proposer = names.iter().position(|n| n == name).ok_or_else(rule)?;
        let seq: u64 = seq.parse().ok().filter(|s| *s >= 1 && !seq.starts_with('+') && !seq.starts_with('0')).ok_or_else(rule)?;
        Ok(ProposalId { proposer, seq })
    }
}

/// How a voter answers a proposal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Policy {
    /// `'approve'` (the default): votes for every proposal (unless an exclusive lock forbids it).
    Approve,
    /// `'reject'`: votes against every proposal.
    Reject,
    /// `{random: p}`: votes for with probability `p` (0 to 1), drawn from the seeded RNG.
    Random(f64),
    /// `'manual'`: waits for someone to call `vote(proposalId, approve)`.
    Manual,
}

impl Default for Policy {
    /// [`Policy::Approve`].
    fn default() -> Self {
        Policy::Approve
    }
}

impl Policy {
    /// `approve`, `reject`, `random` or `manual`.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Approve => "approve",
            Policy::Reject => "reject",
            Policy::Random(_) => "random",
            Policy::Manual => "manual",
        }
    }
}

/// A proposal's state: open until it settles, then one of the three outcomes, for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Waiting for votes.
    Open,
    /// The weight for reached the quorum.
    Accepted,
    /// The weight for can no longer reach the quorum.
    Rejected,
    /// The deadline passed first.
    Timeout,
}

impl Status {
    /// `open`, `accepted`, `rejected` or `timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::Timeout => "timeout",
        }
    }
}

/// The voting settings every node follows (µs inside; the JS boundary takes ms).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The quorum rule (default [`Quorum::Majority`]).
    pub quorum: Quorum,
    /// Each node's weight by id; a node past the end weighs 1 (default: empty, every node 1).
    pub weights: Vec<Weight>,
    /// How voters answer (default [`Policy::Approve`]).
    pub policy: Policy,
    /// Per-node policies that override `policy`, `(node, policy)` (default: none).
    pub policies: Vec<(NodeId, Policy)>,
    /// A voter approves at most one open proposal per key (default true).
    pub exclusive: bool,
    /// How long a proposal stays open, µs (default 5 000 000: the lesson's `timeout: 5000` ms).
    pub timeout_us: Micros,
    /// Deliberate bugs (default none; see [`Bug`]).
    pub bugs: BugSet,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            quorum: Quorum::Majority,
            weights: Vec::new(),
            policy: Policy::Approve,
            policies: Vec::new(),
            exclusive: true,
            timeout_us: 5_000_000,
            bugs: BugSet::NONE,
        }
    }
}

impl Options {
    /// Node `i`'s weight.
    pub fn weight(&self, i: NodeId) -> Weight {
        self.weights.get(i).copied().unwrap_or(1)
    }
    /// The total weight of nodes `0 .. n`.
    pub fn total(&self, n: usize) -> Weight {
        (0..n).map(|i| self.weight(i)).sum()
    }
    /// Node `i`'s policy.
    pub fn policy_of(&self, i: NodeId) -> Policy {
        self.policies.iter().rev().find(|(n, _)| *n == i).map_or(self.policy, |(_, p)| *p)
    }
    /// The weight a proposal needs in a cluster of `n` nodes, by the rule (`quorumRequired`).
    pub fn quorum_required(&self, n: usize) -> Weight {
        self.quorum.required(self.total(n))
    }
    /// Whether two quorums always share a voter in a cluster of `n` nodes (`quorumsIntersect`).
    pub fn quorums_intersect(&self, n: usize) -> bool {
        quorum::quorums_intersect(self.quorum_required(n), self.total(n))
    }
    /// The weight a proposer counts as enough, deliberate bugs included.
    fn counted_required(&self, total: Weight) -> Weight {
        match self.quorum {
            Quorum::Fraction { num, den } if self.bugs.has(Bug::FractionAsCount) => num.div_ceil(den),
            Quorum::Majority if self.bugs.has(Bug::HalfThreshold) => total.div_ceil(2),
            q => q.required(total),
        }
    }

    /// Checks the options for a cluster of `n` nodes. Errors name the option: `weights` (each
    /// at most 1 000 000, a total of at least 1), `quorum` (a count above the total weight can
    /// never pass; a fraction must be strictly between 0 and 1), `policy` (a random `p` from 0
    /// to 1), `timeout` (above 0, at most an hour).
    pub fn validate(&self, n: usize) -> Result<()> {
        for (i, w) in self.weights.iter().enumerate() {
            if *w > 1_000_000 {
                return Err(Error::invalid(format!("weights[{i}]"), format!("must be an integer from 0 to 1000000 (got {w})")));
            }
        }
        let total = self.total(n);
        if total == 0 {
            return Err(Error::invalid("weights", "must give the voters a total weight of at least 1 (got 0)"));
        }
        match self.quorum {
            Quorum::Count(c) if c == 0 || c > total => {
                return Err(Error::invalid("quorum", format!("must be a count from 1 to the total weight {total} (got {c})")));
            }
            Quorum::Fraction { num, den } if num == 0 || num >= den => return Err(Error::invalid("quorum", quorum::RULE)),
            _ => {}
        }
        for p in std::iter::once(self.policy).chain(self.policies.iter().map(|(_, p)| *p)) {
            if let Policy::Random(p) = p {
                if !(0.0..=1.0).contains(&p) {
                    return Err(Error::invalid("policy", "must be 'approve', 'reject', 'manual' or {random: p} with p from 0 to 1"));
                }
            }
        }
        if self.timeout_us == 0 || self.timeout_us > 3_600_000_000 {
            return Err(Error::invalid("timeout", format!("must be a number of ms above 0 and at most 3600000 (got {} µs)", self.timeout_us)));
        }
        Ok(())
    }
}

/// A message between voters (`type` at the JS boundary: the variant's name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// A proposer asks every voter: set `key` to `value`? (`{type: 'Proposal', proposalId, key, value}`)
    Proposal {
        /// The proposal.
        id: ProposalId,
        /// The key.
        key: String,
        /// The value (a string; JSON text at the JS boundary).
        value: String,
    },
    /// A voter answers the proposer (`{type: 'Vote', proposalId, approve}`). The network names
    /// the voter (the sender), not the message.
    Vote {
        /// The proposal.
        id: ProposalId,
        /// For or against.
        approve: bool,
    },
    /// The proposer tells every voter the outcome, once it settled (`{type: 'Decided',
    /// proposalId, accepted, key, value}`): voters apply an accepted value and free the key.
    /// It carries the key and value so that a voter that missed the proposal applies it too (a
    /// voter that holds a ballot for the proposal applies the ballot's: see [`Core::on_decided`]).
    Decided {
        /// The proposal.
        id: ProposalId,
        /// Whether it was accepted (rejected and timed out: false).
        accepted: bool,
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
}

impl Msg {
    /// `Proposal`, `Vote` or `Decided`.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Proposal { .. } => "Proposal",
            Msg::Vote { .. } => "Vote",
            Msg::Decided { .. } => "Decided",
        }
    }
    /// The proposal it is about.
    pub fn id(&self) -> ProposalId {
        match self {
            Msg::Proposal { id, .. } | Msg::Vote { id, .. } | Msg::Decided { id, .. } => *id,
        }
    }
}

/// One of this node's own proposals, as the proposer keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Its id.
    pub id: ProposalId,
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// Open, or how it settled.
    pub status: Status,
    /// The votes counted, `(voter, approve)`, in order of arrival (the proposer's own first
    /// when it voted at once). Each voter once (unless the `double-count` bug is on).
    pub counted: Vec<(NodeId, bool)>,
    /// Weight counted for.
    pub weight_for: Weight,
    /// Weight counted against.
    pub weight_against: Weight,
    /// Every voter's weight, voted or not.
    pub total: Weight,
    /// The weight the rule needs (`quorumRequired`).
    pub quorum_required: Weight,
    /// The weight this proposer counts as enough (the rule's, unless a bug says otherwise).
    pub counted_required: Weight,
    /// When it was proposed, µs.
    pub proposed_at: Micros,
    /// When it times out, µs (`timeout` after it was proposed).
    pub deadline: Micros,
    /// When it settled, µs.
    pub settled_at: Option<Micros>,
}

impl Proposal {
    /// Why it was not accepted, in a sentence (None while open and when accepted).
    pub fn error(&self) -> Option<String> {
        let (f, need, total) = (self.weight_for, self.quorum_required, self.total);
        match self.status {
            Status::Open | Status::Accepted => None,
            Status::Rejected => Some(format!(
                "rejected: {f} of {total} weight for and {} against; {need} needed, which it can no longer reach",
                self.weight_against
            )),
            Status::Timeout => Some(format!(
                "timed out after {} ms with {f} of {total} weight for and {} against; {need} needed",
                (self.deadline - self.proposed_at) / 1000,
                self.weight_against
            )),
        }
    }
}

/// A vote this node cast, or is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// For or against; None while a manual voter has not decided (or it never got the
    /// proposal, only its outcome).
    pub vote: Option<bool>,
    /// When it voted, µs.
    pub cast_at: Option<Micros>,
    /// The outcome, once a `Decided` arrived (or, at the proposer, once it settled).
    pub outcome: Option<bool>,
}

/// What the caller does, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Write the node's state to stable storage before the sends that follow.
    Persist,
    /// Send a message.
    Send(NodeId, Msg),
    /// This node's own proposal (by index in [`Core::proposals`]) settled.
    Settled(usize),
    /// An accepted value was applied to this node's state map.
    Applied(ProposalId),
}

/// What a vote did, for narration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cast {
    /// It voted (for or against).
    Voted(bool),
    /// It wanted to approve, but it holds a lock on the key for this other open proposal:
    /// against.
    Locked(ProposalId),
    /// A manual voter: it waits for `vote(proposalId, approve)`.
    Waiting,
}

/// An exclusive voter's lock on a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lock {
    id: ProposalId,
    /// Free from this time on even without its outcome, µs.
    expires: Micros,
}

/// One voter (and proposer): its decided values, its proposals, its ballots and locks.
#[derive(Clone, Debug, PartialEq)]
pub struct Core {
    me: NodeId,
    nodes: usize,
    /// Decided key → value: accepted proposals applied, in the order this node learned them.
    pub values: Map<String, String>,
    /// This node's own proposals, in order (index `seq - 1`).
    pub proposals: Vec<Proposal>,
    /// The ballots this node cast or was asked for, by proposal.
    pub ballots: Map<ProposalId, Ballot>,
    locks: Map<String, Lock>,
    /// Accepted proposals in the order this node applied them (its decisions).
    pub applied: Vec<ProposalId>,
    /// For the invariant checker: own proposals changed since it last looked (by index).
    pub dirty: Vec<usize>,
    /// For the invariant checker: ballots cast since it last looked, `(proposal, approve, µs)`.
    pub new_ballots: Vec<(ProposalId, bool, Micros)>,
}

impl Core {
    /// Node `me` of `nodes`, with no proposals, ballots or values.
    pub fn new(me: NodeId, nodes: usize) -> Self {
        Core {
            me,
            nodes,
            values: Map::new(),
            proposals: Vec::new(),
            ballots: Map::new(),
            locks: Map::new(),
            applied: Vec::new(),
            dirty: Vec::new(),
            new_ballots: Vec::new(),
        }
    }

    /// This node.
    pub fn me(&self) -> NodeId {
        self.me
    }

    /// Own proposal `id`, if this node proposed it.
    pub fn proposal(&self, id: ProposalId) -> Option<&Proposal> {
        if id.proposer != self.me {
            return None;
        }
        self.proposals.get(usize::try_from(id.seq).ok()?.checked_sub(1)?)
    }

    /// Whether one of its own proposals is open.
    pub fn has_open(&self) -> bool {
        self.proposals.iter().any(|p| p.status == Status::Open)
    }

    /// The open proposal holding a lock on `key` at `now`, other than `id`.
    pub fn lock_on(&self, key: &str, id: ProposalId, now: Micros) -> Option<ProposalId> {
        self.locks.get(key).filter(|l| l.id != id && now < l.expires).map(|l| l.id)
    }

    /// Proposes `key = value` at `now`: a new proposal, broadcast, and this node's own vote by
    /// its policy (drawn from `rng` when random). Returns its id and the steps.
    pub fn propose(&mut self, o: &Options, rng: &mut Pcg64Mcg, now: Micros, key: String, value: String) -> (ProposalId, Cast, Vec<Step>) {
        let id = ProposalId { proposer: self.me, seq: self.proposals.len() as u64 + 1 };
        let total = o.total(self.nodes);
        self.proposals.push(Proposal {
            id,
            key: key.clone(),
            value: value.clone(),
            status: Status::Open,
            counted: Vec::new(),
            weight_for: 0,
            weight_against: 0,
            total,
            quorum_required: o.quorum.required(total),
            counted_required: o.counted_required(total),
            proposed_at: now,
            deadline: now.saturating_add(o.timeout_us),
            settled_at: None,
        });
        self.dirty.push(self.proposals.len() - 1);
        let mut steps = vec![Step::Persist];
        for to in (0..self.nodes).filter(|&to| to != self.me) {
            steps.push(Step::Send(to, Msg::Proposal { id, key: key.clone(), value: value.clone() }));
        }
        let cast = self.cast(o, rng, now, id, key, value);
        if cast != Cast::Waiting {
            self.count(o, now, id, self.me, approve_of(cast), &mut steps);
        }
        (id, cast, steps)
    }

    /// Decides this node's ballot on `id` by its policy; records it (and takes a lock).
    fn cast(&mut self, o: &Options, rng: &mut Pcg64Mcg, now: Micros, id: ProposalId, key: String, value: String) -> Cast {
        let policy = o.policy_of(self.me);
        let approve = match policy {
            Policy::Approve => true,
            Policy::Reject => false,
            Policy::Random(p) => crate::sim::chance(rng, p),
            Policy::Manual => {
                self.ballots.insert(id, Ballot { key, value, vote: None, cast_at: None, outcome: None });
                return Cast::Waiting;
            }
        };
        self.ballots.insert(id, Ballot { key, value, vote: None, cast_at: None, outcome: None });
        self.record(o, now, id, approve)
    }

    /// Records this node's vote on `id` (a ballot it holds), enforcing exclusivity.
    fn record(&mut self, o: &Options, now: Micros, id: ProposalId, approve: bool) -> Cast {
        let b = self.ballots.get(&id).expect("a ballot to record");
        let key = b.key.clone();
        let mut cast = Cast::Voted(approve);
        let mut approve = approve;
        if approve && o.exclusive {
            if let Some(other) = self.lock_on(&key, id, now) {
                cast = Cast::Locked(other);
                approve = false;
            } else {
                self.locks.insert(key, Lock { id, expires: now.saturating_add(o.timeout_us) });
            }
        }
        let b = self.ballots.get_mut(&id).expect("a ballot to record");
        b.vote = Some(approve);
        b.cast_at = Some(now);
        self.new_ballots.push((id, approve, now));
        cast
    }

    /// Counts `voter`'s vote on own proposal `id` and settles it if it can. Returns whether
    /// the vote was counted.
    fn count(&mut self, o: &Options, now: Micros, id: ProposalId, voter: NodeId, approve: bool, steps: &mut Vec<Step>) -> bool {
        if voter == self.me && self.ballots.get(&id).is_some_and(|b| b.vote.is_none()) {
            return false;
        }
        let Some(k) = self.proposal(id).map(|p| (p.id.seq - 1) as usize) else { return false };
        let p = &mut self.proposals[k];
        if p.status != Status::Open {
            return false;
        }
        if p.counted.iter().any(|(v, _)| *v == voter) && !o.bugs.has(Bug::DoubleCount) {
            return false;
        }
        p.counted.push((voter, approve));
        let w = o.weight(voter);
        if approve {
            p.weight_for += w;
        } else {
            p.weight_against += w;
        }
        self.dirty.push(k);
        self.evaluate(o, now, k, steps);
        true
    }

    /// Settles own proposal `k` if it can: accepted once the weight for reaches the quorum
    /// (before the deadline), rejected once it no longer can, timed out at the deadline.
    fn evaluate(&mut self, o: &Options, now: Micros, k: usize, steps: &mut Vec<Step>) {
        let p = &self.proposals[k];
        if p.status != Status::Open {
            return;
        }
        let need = if o.bugs.has(Bug::RespondersDenominator) {
            o.quorum.required(p.weight_for + p.weight_against)
        } else {
            p.counted_required
        };
        let remaining = p.total.saturating_sub(p.weight_for + p.weight_against);
        let status = if now >= p.deadline {
            Status::Timeout
        } else if p.weight_for >= need {
            Status::Accepted
        } else if p.weight_for + remaining < p.counted_required {
            Status::Rejected
        } else {
            return;
        };
        self.settle(now, k, status, steps);
    }

    fn settle(&mut self, now: Micros, k: usize, status: Status, steps: &mut Vec<Step>) {
        let p = &mut self.proposals[k];
        p.status = status;
        p.settled_at = Some(now);
        let (id, key, value) = (p.id, p.key.clone(), p.value.clone());
        self.dirty.push(k);
        let accepted = status == Status::Accepted;
        steps.push(Step::Persist);
        for to in (0..self.nodes).filter(|&to| to != self.me) {
            steps.push(Step::Send(to, Msg::Decided { id, accepted, key: key.clone(), value: value.clone() }));
        }
        steps.push(Step::Settled(k));
        self.learn(id, accepted, key, value, steps);
    }

    /// Outcome of `id` known here: free the key, apply an accepted value (once). The key and
    /// value are the ballot's — what this node was asked about and voted on; `key` and `value`
    /// count only when it holds no ballot for `id` (it missed the proposal). So `values`, the
    /// lock it frees and the [`Step::Applied`] decision always name one and the same `key = value`.
    fn learn(&mut self, id: ProposalId, accepted: bool, key: String, value: String, steps: &mut Vec<Step>) -> bool {
        let b = self.ballots.entry(id).or_insert_with(|| Ballot { key, value, vote: None, cast_at: None, outcome: None });
        if b.outcome.is_some() {
            return false;
        }
        b.outcome = Some(accepted);
        let (key, value) = (b.key.clone(), b.value.clone());
        if self.locks.get(&key).is_some_and(|l| l.id == id) {
            self.locks.remove(&key);
        }
        if accepted {
            self.values.insert(key, value);
            self.applied.push(id);
            steps.push(Step::Applied(id));
        }
        true
    }

    /// A `Proposal` from `from` arrives: vote by the policy and answer (a voter that voted
    /// already answers the same again: the message was duplicated). A proposal that does not
    /// name its sender as proposer, or whose outcome is known, is ignored.
    #[allow(clippy::too_many_arguments)] // the message's fields, as the other handlers take them
    pub fn on_proposal(&mut self, o: &Options, rng: &mut Pcg64Mcg, now: Micros, from: NodeId, id: ProposalId, key: String, value: String) -> (Option<Cast>, Vec<Step>) {
        let mut steps = Vec::new();
        if id.proposer != from || from == self.me {
            return (None, steps);
        }
        if let Some(b) = self.ballots.get(&id) {
            if let (Some(approve), None) = (b.vote, b.outcome) {
                steps.push(Step::Send(from, Msg::Vote { id, approve }));
                return (Some(Cast::Voted(approve)), steps);
            }
            return (None, steps);
        }
        let cast = self.cast(o, rng, now, id, key, value);
        if cast != Cast::Waiting {
            steps.push(Step::Persist);
            steps.push(Step::Send(from, Msg::Vote { id, approve: approve_of(cast) }));
        }
        (Some(cast), steps)
    }

    /// A `Vote` from `from` arrives: counted on an open own proposal (once per voter), then the
    /// proposal settles if it can. A vote on a proposal it did not make, or that settled, or a
    /// second vote from one voter, is ignored. Returns whether it was counted.
    pub fn on_vote(&mut self, o: &Options, now: Micros, from: NodeId, id: ProposalId, approve: bool) -> (bool, Vec<Step>) {
        let mut steps = Vec::new();
        if from == self.me {
            return (false, steps);
        }
        let counted = self.count(o, now, id, from, approve, &mut steps);
        (counted, steps)
    }

    /// A `Decided` arrives: the key is freed and an accepted value applied (once). Returns
    /// whether it was news.
    ///
    /// A proposal's id names one `key = value`, fixed by its `Proposal`; the `Decided`'s key
    /// and value are only there for a voter that missed the proposal. A voter holding a ballot
    /// for `id` takes the outcome (`accepted`) and ignores the `Decided`'s key and value: it
    /// frees the key it locked and applies the value it voted on. A `Decided` that disagrees
    /// with the ballot can only come from a lying proposer (an honest one sends the proposal's
    /// own key and value), and ignoring the whole message would protect nothing — a voter
    /// cannot check `accepted` either, so the same liar gets any ballot applied by sending its
    /// own key and value — while it would leave the voter's lock on the ballot's key held
    /// until it expires and the outcome the proposer announced (only the proposer settles a
    /// proposal) unknown to it.
    pub fn on_decided(&mut self, from: NodeId, id: ProposalId, accepted: bool, key: String, value: String) -> (bool, Vec<Step>) {
        let mut steps = Vec::new();
        if id.proposer != from || from == self.me {
            return (false, steps);
        }
        let news = self.learn(id, accepted, key, value, &mut steps);
        (news, steps)
    }

    /// A manual vote on `id` at `now`: taken when this node was asked and has not voted (and
    /// the outcome is not known); else None (ignored).
    pub fn vote(&mut self, o: &Options, now: Micros, id: ProposalId, approve: bool) -> Option<(Cast, Vec<Step>)> {
        let b = self.ballots.get(&id)?;
        if b.vote.is_some() || b.outcome.is_some() {
            return None;
        }
        let cast = self.record(o, now, id, approve);
        let approve = approve_of(cast);
        let mut steps = vec![Step::Persist];
        if id.proposer == self.me {
            self.count(o, now, id, self.me, approve, &mut steps);
        } else {
            steps.push(Step::Send(id.proposer, Msg::Vote { id, approve }));
        }
        Some((cast, steps))
    }

    /// The deadline check: open own proposals whose deadline is at or before `now` time out.
    pub fn on_timeout(&mut self, now: Micros) -> Vec<Step> {
        let mut steps = Vec::new();
        for k in 0..self.proposals.len() {
            let p = &self.proposals[k];
            if p.status == Status::Open && p.deadline <= now {
                self.settle(now, k, Status::Timeout, &mut steps);
            }
        }
        steps
    }

    /// The open own proposals' deadlines, µs (a driver sets a timer for each).
    pub fn open_deadlines(&self) -> impl Iterator<Item = Micros> + '_ {
        self.proposals.iter().filter(|p| p.status == Status::Open).map(|p| p.deadline)
    }
}

/// The vote a [`Cast`] sends: a lock forces against.
fn approve_of(cast: Cast) -> bool {
    matches!(cast, Cast::Voted(true))
}
