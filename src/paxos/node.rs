//! One Multi-Paxos node: acceptor, proposer and learner at once ("Paxos Made Simple" §2.1), as
//! a sans-IO state machine. Handlers write their effects (messages, timers, stable-storage
//! writes, decisions) into an [`Out`] buffer; they read no clock and draw no random number
//! except through the [`Ctx`] they are given.
//!
//! State (§2.5 for what is durable):
//! - acceptor, durable: the promised ballot and, per slot, the accepted `(ballot, value)`;
//!   written to stable storage ([`Effect::Persist`]) before any message that depends on them.
//! - proposer, volatile: role, ballot, the promises gathered in phase 1, the leader's phase-2
//!   values, the next free slot, commands waiting for leadership.
//! - learner, volatile: per slot the acceptances heard, the chosen values, how far they were
//!   executed.

use std::collections::VecDeque;

use crate::collections::Map;
use crate::protocol::{Ctx, Delay, Effect, NodeId, Out};

use super::notes::{MsgNote, Note, Why};
use super::sim::{Msg, Options, Paxos, Timer};
use super::Bug;

/// A slot: the index of one instance of consensus in the sequence (§3), from 1.
pub type Slot = u64;

/// The value a leader proposes to fill a gap in the sequence (§3: "no-op"): JSON `null`.
pub const NO_OP: &str = "null";

/// A ballot (a proposal number, §2.2): `(round, node)`, ordered by round, then by the proposing
/// node's id, so that two proposers never use the same ballot. Round 0 is "none yet".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ballot {
    /// The round, from 1 (0: no ballot).
    pub round: u64,
    /// The proposer, `0` for `n1`.
    pub node: NodeId,
}

impl Ballot {
    /// No ballot: below every real one.
    pub const ZERO: Ballot = Ballot { round: 0, node: 0 };

    /// Whether this is [`Ballot::ZERO`] (round 0).
    pub fn is_zero(self) -> bool {
        self.round == 0
    }
}

/// A proposal an acceptor accepted in one slot, as a Promise reports it (§2.2, phase 1b).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedEntry {
    /// The slot.
    pub slot: Slot,
    /// The ballot it was accepted under.
    pub ballot: Ballot,
    /// The value, as JSON text (`null`: a no-op).
    pub value: String,
}

/// What a node does as proposer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Not proposing: follows the leader it knows, if any.
    Follower,
    /// Running phase 1 for its ballot.
    Candidate,
    /// Phase 1 done for its ballot: runs phase 2 per slot (the distinguished proposer, §3).
    Leader,
}

impl Role {
    /// `"follower"`, `"candidate"` or `"leader"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// What a node did that the checker must see (drained by it after every event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trail {
    /// As proposer: proposed `value` in `slot` under `ballot` (phase 2a).
    Proposed(Slot, Ballot, String),
    /// As acceptor: accepted `value` in `slot` under `ballot` (phase 2b).
    Accepted(Slot, Ballot, String),
}

/// How many acceptances a leader re-sends per heartbeat, at most (Accepts lost on the way).
const RESEND_MAX: usize = 32;
/// How many slots a new leader proposes in at once when it takes over, at most.
const MAX_FILL: Slot = 10_000;
/// How many chosen values a leader sends per CatchUp, at most.
const CATCH_UP_MAX: u64 = 64;

/// One node's Paxos state: acceptor, proposer and learner.
#[derive(Clone, Debug)]
pub struct Replica {
    me: NodeId,
    nodes: usize,
    // ---- acceptor, durable ----
    promised: Ballot,
    accepted: Map<Slot, (Ballot, String)>,
    // ---- proposer, volatile ----
    role: Role,
    ballot: Ballot,
    /// The highest ballot seen in any message (a new ballot goes above it).
    max_seen: Ballot,
    leader: Option<NodeId>,
    promises: Vec<NodeId>,
    /// Phase 1: per slot, the proposal adopted so far from the promises (P2c).
    reported: Map<Slot, (Ballot, String)>,
    /// The leader's phase-2 values not yet known chosen.
    proposals: Map<Slot, String>,
    /// The leader's next slot at its previous heartbeat: a heartbeat re-sends only the Accepts
    /// of slots below it, out for a heartbeat interval at least (younger ones are most likely
    /// still travelling, and re-sending them would double the traffic of a busy leader).
    resend_below: Slot,
    next_slot: Slot,
    queue: VecDeque<String>,
    heard_leader: bool,
    backoff_pending: bool,
    elections: u64,
    // ---- learner, volatile ----
    /// Per slot not yet chosen: per ballot, the value and the acceptors that accepted it.
    tallies: Map<Slot, Vec<(Ballot, String, Vec<NodeId>)>>,
    chosen: Map<Slot, String>,
    executed: Slot,
    /// For the checker (drained after every event; cleared by `after_check`).
    pub(crate) trail: Vec<Trail>,
}

impl Replica {
    /// Node `me` of a cluster of `nodes` nodes: no promise, nothing accepted, a follower that
    /// knows no leader.
    pub fn new(me: NodeId, nodes: usize) -> Replica {
        Replica {
            me,
            nodes,
            promised: Ballot::ZERO,
            accepted: Map::new(),
            role: Role::Follower,
            ballot: Ballot::ZERO,
            max_seen: Ballot::ZERO,
            leader: None,
            promises: Vec::new(),
            reported: Map::new(),
            proposals: Map::new(),
            resend_below: 0,
            next_slot: 1,
            queue: VecDeque::new(),
            heard_leader: false,
            backoff_pending: false,
            elections: 0,
            tallies: Map::new(),
            chosen: Map::new(),
            executed: 0,
            trail: Vec::new(),
        }
    }

    // ---- queries --------------------------------------------------------------------------

    /// This node's id.
    pub fn me(&self) -> NodeId {
        self.me
    }
    /// The cluster's size.
    pub fn nodes(&self) -> usize {
        self.nodes
    }
    /// The highest ballot this acceptor promised (durable; [`Ballot::ZERO`]: none).
    pub fn promised(&self) -> Ballot {
        self.promised
    }
    /// Per slot, the proposal this acceptor accepted last: `(ballot, value)` (durable).
    pub fn accepted(&self) -> &Map<Slot, (Ballot, String)> {
        &self.accepted
    }
    /// Follower, candidate (phase 1) or leader (phase 2).
    pub fn role(&self) -> Role {
        self.role
    }
    /// The ballot this node last ran as proposer ([`Ballot::ZERO`]: never).
    pub fn ballot(&self) -> Ballot {
        self.ballot
    }
    /// The leader this node follows (itself when it leads), if it knows one.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }
    /// The values this node learned chosen, per slot.
    pub fn chosen(&self) -> &Map<Slot, String> {
        &self.chosen
    }
    /// Every slot up to this one is chosen and executed here (0: none).
    pub fn executed(&self) -> Slot {
        self.executed
    }
    /// The next slot a leader proposes in.
    pub fn next_slot(&self) -> Slot {
        self.next_slot
    }
    /// Acceptors that promised this candidate's ballot (itself included).
    pub fn promises(&self) -> &[NodeId] {
        &self.promises
    }
    /// Commands waiting until the node leads (or knows a leader to forward them to).
    pub fn queued(&self) -> impl Iterator<Item = &str> + '_ {
        self.queue.iter().map(String::as_str)
    }
    /// The leader's phase-2 values not yet known chosen, per slot.
    pub fn proposals(&self) -> &Map<Slot, String> {
        &self.proposals
    }
    /// How many times this node started phase 1.
    pub fn elections(&self) -> u64 {
        self.elections
    }
    /// What the node proposed and accepted since the checker last looked (emptied after every
    /// event).
    pub fn trail(&self) -> &[Trail] {
        &self.trail
    }
    /// Whether a backoff timer runs (the node waits before trying to lead).
    pub fn backing_off(&self) -> bool {
        self.backoff_pending
    }

    /// The number of acceptors that form a quorum: a majority, ⌊n/2⌋ + 1 (§2.1); ⌊n/2⌋ (at
    /// least 1) with the `minority-quorum` bug.
    pub fn quorum(&self, opts: &Options) -> usize {
        if opts.bugs.has(Bug::MinorityQuorum) {
            (self.nodes / 2).max(1)
        } else {
            self.nodes / 2 + 1
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    fn broadcast(&self, out: &mut Out<Paxos>, msg: Msg) {
        for to in (0..self.nodes).filter(|&to| to != self.me) {
            out.send(to, msg.clone());
        }
    }

    fn see(&mut self, b: Ballot) {
        if b > self.max_seen {
            self.max_seen = b;
        }
    }

    /// (Re)starts the follower's timer: it suspects the leader after this much silence.
    fn reset_leader_timer(&self, opts: &Options, out: &mut Out<Paxos>) {
        out.push(Effect::CancelTimer(Timer::LeaderTimeout));
        out.set_timer(Timer::LeaderTimeout, Delay::After(opts.leader_timeout_us));
    }

    /// The node hears from leader `l` (its Accept, Heartbeat or Commit, of a ballot at least
    /// its promise): it follows it, forwards the commands it queued, and restarts its timer.
    fn follow(&mut self, opts: &Options, l: NodeId, out: &mut Out<Paxos>) {
        if l == self.me {
            return;
        }
        self.leader = Some(l);
        self.heard_leader = true;
        if self.backoff_pending {
            self.backoff_pending = false;
            out.push(Effect::CancelTimer(Timer::Backoff));
        }
        if self.role != Role::Follower {
            self.step_down(opts, out);
        }
        for value in self.queue.drain(..) {
            out.send(l, Msg::Forward { value });
        }
        self.reset_leader_timer(opts, out);
    }

    /// Stops proposing: back to follower, the follower's timer running.
    fn step_down(&mut self, opts: &Options, out: &mut Out<Paxos>) {
        if self.role == Role::Leader {
            out.push(Effect::CancelTimer(Timer::Heartbeat));
            self.reset_leader_timer(opts, out);
        }
        self.role = Role::Follower;
        self.promises.clear();
        self.reported = Map::new();
        self.proposals = Map::new();
        if self.leader == Some(self.me) {
            self.leader = None;
        }
    }

    /// This proposer lost its ballot to `higher` (a Nack, or a competing Prepare): it stops
    /// proposing. With `backoff` on it follows: the follower's timer (then a random backoff)
    /// decides when it tries again, which gives the higher ballot's proposer time to lead.
    /// With `backoff` off it runs phase 1 again at once with a still higher ballot: the dueling
    /// proposers of §2.4, who can preempt each other forever.
    fn preempted(&mut self, opts: &Options, cx: &mut Ctx, higher: Ballot, out: &mut Out<Paxos>) -> Option<Ballot> {
        self.see(higher);
        if self.role == Role::Follower {
            return None;
        }
        self.step_down(opts, out);
        if opts.backoff {
            self.reset_leader_timer(opts, out);
        } else {
            self.start_phase1(opts, cx, Why::Preempted, out);
        }
        Some(higher)
    }

    /// The node wants to lead: with `backoff` on it waits a random time first (a leader it
    /// hears meanwhile makes it give up); else it starts phase 1 at once.
    pub(crate) fn want_to_lead(&mut self, opts: &Options, cx: &mut Ctx, why: Why, out: &mut Out<Paxos>) {
        if opts.backoff {
            self.heard_leader = false;
            self.backoff_pending = true;
            out.push(Effect::CancelTimer(Timer::Backoff));
            out.set_timer(Timer::Backoff, Delay::Uniform(0, opts.backoff_us));
        } else {
            self.start_phase1(opts, cx, why, out);
        }
    }

    // ---- proposer --------------------------------------------------------------------------

    /// Phase 1a (§2.2): a new ballot above every ballot seen; the node promises it itself
    /// (written to stable storage before the Prepares leave) and asks every acceptor.
    pub fn start_phase1(&mut self, opts: &Options, cx: &mut Ctx, why: Why, out: &mut Out<Paxos>) {
        if self.role == Role::Leader {
            out.push(Effect::CancelTimer(Timer::Heartbeat));
        }
        self.backoff_pending = false;
        out.push(Effect::CancelTimer(Timer::Backoff));
        let round = self.max_seen.round.max(self.promised.round).max(self.ballot.round) + 1;
        let b = Ballot { round, node: self.me };
        self.elections += 1;
        self.ballot = b;
        self.see(b);
        self.role = Role::Candidate;
        self.leader = None;
        self.promised = b;
        self.promises = vec![self.me];
        self.reported = Map::new();
        self.proposals = Map::new();
        let own: Vec<AcceptedEntry> = self.accepted_entries();
        self.adopt(opts, &own);
        out.note(Note::Phase1 { at: cx.me, ballot: b, why });
        self.reset_leader_timer(opts, out);
        out.push(Effect::Persist);
        self.broadcast(out, Msg::Prepare { ballot: b });
        self.try_win(opts, cx, out);
    }

    fn accepted_entries(&self) -> Vec<AcceptedEntry> {
        self.accepted.iter().map(|(s, (b, v))| AcceptedEntry { slot: *s, ballot: *b, value: v.clone() }).collect()
    }

    /// Phase 1b reports merged into the per-slot choice: the highest ballot (P2c), or the
    /// lowest with the `lowest-ballot` bug.
    fn adopt(&mut self, opts: &Options, entries: &[AcceptedEntry]) {
        let lowest = opts.bugs.has(Bug::LowestBallot);
        for e in entries {
            let replace = match self.reported.get(&e.slot) {
                None => true,
                Some((b, _)) => {
                    if lowest {
                        e.ballot < *b
                    } else {
                        e.ballot > *b
                    }
                }
            };
            if replace {
                self.reported.insert(e.slot, (e.ballot, e.value.clone()));
            }
        }
    }

    /// A quorum promised: the node leads. Every slot it has not seen chosen up to the highest
    /// one reported or known gets a proposal: the adopted value (P2c), else a no-op (§3); then
    /// the commands it queued.
    fn try_win(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<Paxos>) {
        if self.role != Role::Candidate || self.promises.len() < self.quorum(opts) {
            return;
        }
        self.role = Role::Leader;
        self.resend_below = 0;
        self.leader = Some(self.me);
        self.backoff_pending = false;
        out.push(Effect::CancelTimer(Timer::LeaderTimeout));
        out.push(Effect::CancelTimer(Timer::Backoff));
        let top = self.reported.last().map_or(0, |(s, _)| *s).max(self.chosen.last().map_or(0, |(s, _)| *s));
        let own_value = opts.bugs.has(Bug::OwnValue);
        let (mut adopted, mut no_ops) = (0, 0);
        let mut fill = Vec::new();
        // At most MAX_FILL slots (a report far beyond what any leader proposed comes only from
        // a hand-made message; slots left unfilled are never proposed in, which is safe).
        for slot in self.executed + 1..=top.min(self.executed + MAX_FILL) {
            if self.chosen.contains_key(&slot) {
                continue;
            }
            let value = match self.reported.get(&slot) {
                Some((_, v)) if !own_value => {
                    adopted += 1;
                    v.clone()
                }
                Some(_) => self.queue.pop_front().unwrap_or_else(|| NO_OP.to_string()),
                None => {
                    no_ops += 1;
                    NO_OP.to_string()
                }
            };
            fill.push((slot, value));
        }
        self.reported = Map::new();
        self.next_slot = top + 1;
        out.note(Note::Leader { at: cx.me, ballot: self.ballot, promises: self.promises.len(), of: self.nodes, adopted, no_ops, queued: self.queue.len() });
        out.set_timer(Timer::Heartbeat, Delay::After(0));
        for (slot, value) in fill {
            self.propose_in(opts, slot, value, out);
        }
        let queued: Vec<String> = self.queue.drain(..).collect();
        for value in queued {
            let slot = self.next_slot;
            self.next_slot += 1;
            self.propose_in(opts, slot, value, out);
        }
    }

    /// Phase 2a in `slot` (§2.2, §3): the leader accepts its own proposal (written to stable
    /// storage first), then sends Accept to every other acceptor and Accepted to every learner.
    fn propose_in(&mut self, opts: &Options, slot: Slot, value: String, out: &mut Out<Paxos>) {
        let b = self.ballot;
        self.trail.push(Trail::Proposed(slot, b, value.clone()));
        self.proposals.insert(slot, value.clone());
        // The leader's own acceptor: its promise is its ballot (or it would not lead).
        self.accepted.insert(slot, (b, value.clone()));
        self.trail.push(Trail::Accepted(slot, b, value.clone()));
        out.push(Effect::Persist);
        self.broadcast(out, Msg::Accept { ballot: b, slot, value: value.clone() });
        self.broadcast(out, Msg::Accepted { ballot: b, slot, value: value.clone() });
        self.learn_acceptance(self.me, b, slot, value, opts);
    }

    /// The leader proposes `value` in its next free slot (phase 2 only: phase 1 is done for
    /// every slot, §3); returns the slot. The node must lead.
    pub fn lead_propose(&mut self, opts: &Options, value: String, out: &mut Out<Paxos>) -> Slot {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.propose_in(opts, slot, value, out);
        slot
    }

    /// A command to propose: a leader takes it in its next slot (returns the slot); a node that
    /// follows a leader forwards it there; a node that knows none queues it and tries to lead
    /// (it proposes the command once it leads). Returns 0 when the command was forwarded or
    /// queued.
    pub fn propose(&mut self, opts: &Options, cx: &mut Ctx, value: String, out: &mut Out<Paxos>) -> Slot {
        match (self.role, self.leader) {
            (Role::Leader, _) => {
                out.note(Note::Proposed { at: cx.me, slot: self.next_slot, value: value.clone() });
                self.lead_propose(opts, value, out)
            }
            (Role::Follower, Some(l)) if l != self.me => {
                out.note(Note::Forwarded { at: cx.me, to: l, value: value.clone() });
                out.send(l, Msg::Forward { value });
                0
            }
            _ => {
                out.note(Note::Queued { at: cx.me, value: value.clone() });
                self.queue.push_back(value);
                if self.role == Role::Follower && !self.backoff_pending {
                    self.want_to_lead(opts, cx, Why::Command, out);
                }
                0
            }
        }
    }

    // ---- handlers --------------------------------------------------------------------------

    /// A message from `from` arrives: the acceptor's, proposer's or learner's rule for it.
    /// Returns what the node did, and whether it was routine (changed nothing to speak of).
    pub fn on_msg(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Paxos>) -> (MsgNote, bool) {
        match msg {
            Msg::Prepare { ballot } => (self.on_prepare(opts, cx, from, ballot, out), false),
            Msg::Promise { ballot, accepted } => (self.on_promise(opts, cx, from, ballot, accepted, out), false),
            Msg::Accept { ballot, slot, value } => self.on_accept(opts, from, ballot, slot, value, out),
            Msg::Accepted { ballot, slot, value } => self.on_accepted(opts, from, ballot, slot, value),
            Msg::Nack { ballot, promised } => self.on_nack(opts, cx, ballot, promised, out),
            Msg::Heartbeat { ballot, chosen_through } => self.on_heartbeat(opts, from, ballot, chosen_through, out),
            Msg::CatchUp { next } => self.on_catch_up(from, next, out),
            Msg::Commit { ballot, slot, value } => self.on_commit(opts, ballot, slot, value, out),
            Msg::Forward { value } => (self.on_forward(opts, value, out), false),
        }
    }

    /// Phase 1b (§2.2): promise a ballot at least the promised one (never to accept a lower
    /// one), written to stable storage before the answer, which reports every accepted
    /// proposal; else Nack. A proposer that sees a higher ballot than its own is preempted.
    fn on_prepare(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, b: Ballot, out: &mut Out<Paxos>) -> MsgNote {
        self.see(b);
        if b < self.promised {
            out.send(from, Msg::Nack { ballot: b, promised: self.promised });
            return MsgNote::PrepareRefused { ballot: b, promised: self.promised };
        }
        let higher = b > self.promised;
        self.promised = b;
        if higher && self.leader != Some(b.node) {
            self.leader = None;
        }
        let accepted = self.accepted_entries();
        let reported = accepted.len();
        if higher {
            out.push(Effect::Persist);
        }
        out.send(from, Msg::Promise { ballot: b, accepted });
        // A proposer with a lower ballot lost it (after the promise left: with no backoff it
        // runs phase 1 again at once, promising itself a still higher ballot).
        let preempted = higher && self.role != Role::Follower && b > self.ballot && self.preempted(opts, cx, b, out).is_some();
        MsgNote::Promised { ballot: b, reported, preempted }
    }

    /// A Promise for the candidate's ballot: counted, its reports adopted (P2c); a quorum makes
    /// the node leader.
    fn on_promise(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, b: Ballot, accepted: Vec<AcceptedEntry>, out: &mut Out<Paxos>) -> MsgNote {
        if self.role != Role::Candidate || b != self.ballot {
            return MsgNote::PromiseIgnored { ballot: b };
        }
        if !self.promises.contains(&from) {
            self.promises.push(from);
            self.adopt(opts, &accepted);
        }
        let promises = self.promises.len();
        self.try_win(opts, cx, out);
        MsgNote::PromiseCounted { ballot: b, promises, quorum: self.quorum(opts), leads: self.role == Role::Leader }
    }

    /// Phase 2b (§2.2): accept unless a higher ballot was promised (then Nack); the acceptance
    /// is written to stable storage, then announced to every learner (§2.3). The sender leads.
    fn on_accept(&mut self, opts: &Options, from: NodeId, b: Ballot, slot: Slot, value: String, out: &mut Out<Paxos>) -> (MsgNote, bool) {
        self.see(b);
        if b < self.promised {
            out.send(from, Msg::Nack { ballot: b, promised: self.promised });
            return (MsgNote::AcceptRefused { ballot: b, slot, promised: self.promised }, false);
        }
        self.promised = b;
        let again = self.accepted.get(&slot) == Some(&(b, value.clone()));
        self.accepted.insert(slot, (b, value.clone()));
        self.trail.push(Trail::Accepted(slot, b, value.clone()));
        self.follow(opts, b.node, out);
        out.push(Effect::Persist);
        self.broadcast(out, Msg::Accepted { ballot: b, slot, value: value.clone() });
        let chosen = self.learn_acceptance(self.me, b, slot, value, opts);
        (MsgNote::Accepts { ballot: b, slot, again, chosen }, false)
    }

    /// A learner hears that `from` accepted (§2.3).
    fn on_accepted(&mut self, opts: &Options, from: NodeId, b: Ballot, slot: Slot, value: String) -> (MsgNote, bool) {
        self.see(b);
        if self.chosen.contains_key(&slot) {
            return (MsgNote::AcceptedKnown { ballot: b, slot }, true);
        }
        let count = self.tallies.get(&slot).and_then(|t| t.iter().find(|(tb, _, _)| *tb == b)).map_or(0, |(_, _, a)| a.len() + usize::from(!a.contains(&from)));
        let chosen = self.learn_acceptance(from, b, slot, value, opts);
        (MsgNote::Tally { ballot: b, slot, count, quorum: self.quorum(opts), chosen }, false)
    }

    /// Counts acceptor `who`'s acceptance of `(b, value)` in `slot`; returns whether the slot is
    /// now learned chosen: a quorum accepted that one ballot (or, with the
    /// `cross-ballot-learner` bug, that value under any ballots).
    fn learn_acceptance(&mut self, who: NodeId, b: Ballot, slot: Slot, value: String, opts: &Options) -> bool {
        if self.chosen.contains_key(&slot) {
            return false;
        }
        let tally = match self.tallies.get_mut(&slot) {
            Some(t) => t,
            None => {
                self.tallies.insert(slot, Vec::new());
                self.tallies.get_mut(&slot).expect("just inserted")
            }
        };
        match tally.iter_mut().find(|(tb, _, _)| *tb == b) {
            Some((_, _, who_all)) => {
                if !who_all.contains(&who) {
                    who_all.push(who);
                }
            }
            None => tally.push((b, value.clone(), vec![who])),
        }
        self.check_chosen(opts, slot, b, &value)
    }

    /// Whether `slot` is chosen by what the tally holds for `(b, value)`; if so it is learned.
    fn check_chosen(&mut self, opts: &Options, slot: Slot, b: Ballot, value: &str) -> bool {
        let quorum = self.quorum(opts);
        let Some(tally) = self.tallies.get(&slot) else { return false };
        let count = if opts.bugs.has(Bug::CrossBallotLearner) {
            let mut who: Vec<NodeId> = Vec::new();
            for (_, _, a) in tally.iter().filter(|(_, v, _)| v == value) {
                for x in a {
                    if !who.contains(x) {
                        who.push(*x);
                    }
                }
            }
            who.len()
        } else {
            tally.iter().find(|(tb, _, _)| *tb == b).map_or(0, |(_, _, a)| a.len())
        };
        if count < quorum {
            return false;
        }
        self.learn(slot, value.to_string());
        true
    }

    /// The learner knows `value` chosen in `slot`.
    fn learn(&mut self, slot: Slot, value: String) {
        self.tallies.remove(&slot);
        self.proposals.remove(&slot);
        if slot > self.executed {
            self.chosen.insert(slot, value);
        }
    }

    /// A Nack: the acceptor promised a higher ballot. A proposer of that ballot is preempted.
    fn on_nack(&mut self, opts: &Options, cx: &mut Ctx, b: Ballot, promised: Ballot, out: &mut Out<Paxos>) -> (MsgNote, bool) {
        self.see(promised);
        if b != self.ballot || self.role == Role::Follower || promised <= b {
            return (MsgNote::NackIgnored { ballot: b, promised }, false);
        }
        self.preempted(opts, cx, promised, out);
        (MsgNote::Preempted { ballot: b, promised }, false)
    }

    /// The leader's liveness message: a ballot below the promise gets a Nack (the sender no
    /// longer leads); else the node follows it, and asks for the chosen values it lacks.
    fn on_heartbeat(&mut self, opts: &Options, from: NodeId, b: Ballot, chosen_through: Slot, out: &mut Out<Paxos>) -> (MsgNote, bool) {
        self.see(b);
        if b < self.promised {
            out.send(from, Msg::Nack { ballot: b, promised: self.promised });
            return (MsgNote::HeartbeatRefused { ballot: b, promised: self.promised }, false);
        }
        let new_leader = self.leader != Some(b.node) || self.role != Role::Follower;
        self.follow(opts, b.node, out);
        let catch_up = (chosen_through > self.executed).then_some(self.executed + 1);
        if let Some(next) = catch_up {
            out.send(from, Msg::CatchUp { next });
        }
        (MsgNote::Heartbeat { ballot: b, chosen_through, catch_up }, !new_leader && catch_up.is_none())
    }

    /// A learner asks for the chosen values from slot `next` on: a leader sends what it knows
    /// chosen, in order, up to [`CATCH_UP_MAX`] of them (a node that no longer leads sends
    /// nothing: the learner asks the next leader).
    fn on_catch_up(&mut self, from: NodeId, next: Slot, out: &mut Out<Paxos>) -> (MsgNote, bool) {
        if self.role != Role::Leader {
            return (MsgNote::CatchUp { next, sent: 0 }, false);
        }
        let mut sent = 0;
        let b = self.ballot;
        for (slot, value) in self.chosen.iter().filter(|(s, _)| **s >= next).take(CATCH_UP_MAX as usize) {
            out.send(from, Msg::Commit { ballot: b, slot: *slot, value: value.clone() });
            sent += 1;
        }
        (MsgNote::CatchUp { next, sent }, false)
    }

    /// The leader says `value` was chosen in `slot`: the learner learns it.
    fn on_commit(&mut self, opts: &Options, b: Ballot, slot: Slot, value: String, out: &mut Out<Paxos>) -> (MsgNote, bool) {
        self.see(b);
        if b >= self.promised && b.node != self.me && !b.is_zero() {
            self.follow(opts, b.node, out);
        }
        let new = slot > self.executed && !self.chosen.contains_key(&slot);
        if new {
            self.learn(slot, value);
        }
        (MsgNote::Commit { slot, learned: new }, false)
    }

    /// A command forwarded by a node that is not leading: a leader proposes it; a candidate
    /// queues it; anyone else drops it (no second forwarding, so no loop).
    fn on_forward(&mut self, opts: &Options, value: String, out: &mut Out<Paxos>) -> MsgNote {
        match self.role {
            Role::Leader => MsgNote::Forwarded { slot: Some(self.lead_propose(opts, value, out)) },
            Role::Candidate => {
                self.queue.push_back(value);
                MsgNote::Forwarded { slot: None }
            }
            Role::Follower => MsgNote::ForwardDropped,
        }
    }

    // ---- timers ----------------------------------------------------------------------------

    /// The follower's timer ran out: no word from a leader for `leader_timeout_us`.
    pub fn leader_timeout(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<Paxos>) {
        if self.role == Role::Leader {
            return;
        }
        out.note(Note::Suspect { at: cx.me, leader: self.leader, backoff: opts.backoff });
        self.leader = None;
        self.reset_leader_timer(opts, out);
        self.want_to_lead(opts, cx, Why::Timeout, out);
    }

    /// The backoff ran out: phase 1 unless a leader was heard meanwhile.
    pub fn backoff_over(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<Paxos>) {
        if !self.backoff_pending {
            return;
        }
        self.backoff_pending = false;
        if self.heard_leader || self.role == Role::Leader {
            out.note(Note::BackoffGivenUp { at: cx.me, leader: self.leader });
            return;
        }
        self.start_phase1(opts, cx, Why::Backoff, out);
    }

    /// The leader's heartbeat: liveness and how far it knows the sequence chosen, to every
    /// other node; proposals not yet known chosen a heartbeat interval after they went out are
    /// sent again (lost Accepts).
    pub fn heartbeat(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<Paxos>) {
        if self.role != Role::Leader {
            return;
        }
        let b = self.ballot;
        let below = std::mem::replace(&mut self.resend_below, self.next_slot);
        let resend: Vec<(Slot, String)> = self.proposals.iter().filter(|(s, _)| **s < below).take(RESEND_MAX).map(|(s, v)| (*s, v.clone())).collect();
        out.note(Note::Heartbeats { at: cx.me, ballot: b, chosen_through: self.executed, resent: resend.len() });
        self.broadcast(out, Msg::Heartbeat { ballot: b, chosen_through: self.executed });
        for (slot, value) in resend {
            self.broadcast(out, Msg::Accept { ballot: b, slot, value });
        }
        out.set_timer(Timer::Heartbeat, Delay::After(opts.heartbeat_us));
    }

    // ---- lifecycle --------------------------------------------------------------------------

    /// The node starts: its follower's timer runs.
    pub fn start(&mut self, opts: &Options, out: &mut Out<Paxos>) {
        self.reset_leader_timer(opts, out);
    }

    /// The node restarts after a crash with its durable state only (the promise and the
    /// accepted proposals, §2.5), less what a bug forgets.
    pub fn restart(&mut self, opts: &Options) {
        let mut fresh = Replica::new(self.me, self.nodes);
        if !opts.bugs.has(Bug::ForgetPromise) {
            fresh.promised = self.promised;
        }
        if !opts.bugs.has(Bug::ForgetAccepted) {
            fresh.accepted = std::mem::take(&mut self.accepted);
        }
        fresh.elections = self.elections;
        *self = fresh;
    }

    /// The node wakes from a pause: a leader beats at once; a follower resumes its timers.
    pub fn resume(&mut self, out: &mut Out<Paxos>) {
        if self.role == Role::Leader {
            out.set_timer(Timer::Heartbeat, Delay::After(0));
        } else {
            out.push(Effect::ResumeTimer(Timer::LeaderTimeout));
            if self.backoff_pending {
                out.push(Effect::ResumeTimer(Timer::Backoff));
            }
        }
    }

    /// The next chosen value to execute, in slot order: `(slot, value)`, and the node moves
    /// past it.
    pub fn next_to_execute(&mut self) -> Option<(Slot, String)> {
        let slot = self.executed + 1;
        let value = self.chosen.get(&slot)?.clone();
        self.executed = slot;
        Some((slot, value))
    }
}
