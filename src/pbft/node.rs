//! One PBFT replica (Castro & Liskov, OSDI 1999 §4; TOCS 2002 §4) as a sans-IO state machine:
//! handlers write their effects (messages, the view-change timer, notes) into an [`Out`]
//! buffer and read no clock; the executed requests wait in [`Replica::next_to_execute`] for the
//! state machine (the key-value store, in [`super::sim`]).
//!
//! Normal case (§4.2): the primary of view v (replica v mod N) assigns a sequence number to a
//! request and multicasts `PrePrepare`; a backup accepts it when it is in view v, the sequence
//! number is between its watermarks h and h + L (L = 2K, K the checkpoint interval), the digest
//! is the request's, and it accepted no other pre-prepare for (v, n); it then multicasts
//! `Prepare`. *Prepared*: the pre-prepare and 2f matching prepares from distinct backups (its
//! own included). It then multicasts `Commit`. *Committed-local*: prepared and 2f + 1 matching
//! commits from distinct replicas (its own included). Requests execute in sequence order; every
//! replica replies to the client, which accepts f + 1 matching replies. With N ≠ 3f + 1 the
//! quorum is ⌈(N + f + 1) / 2⌉ (2f + 1 when N = 3f + 1): prepared needs quorum − 1 prepares.
//!
//! Checkpoints (§4.3): every K executions a replica multicasts `Checkpoint` with its state
//! digest; with a quorum of matching ones the checkpoint is *stable*: h moves there and older
//! protocol messages are discarded. A replica that falls behind fetches the executed requests
//! from the others (state transfer, TOCS §6.2, simplified: a `State` answer is believed when
//! f + 1 replicas report the same checkpoint and the requests chain to its digest).
//!
//! View change (§4.4): a backup waiting for a request starts its view-change timer; when it
//! runs out the backup moves to view v + 1 and multicasts `ViewChange` with its last stable
//! checkpoint, its prepared certificates (P) and the pre-prepares it accepted (Q); timers
//! double on each successive view change; a replica joins once f + 1 others ask for higher
//! views. The new primary, with a quorum of ViewChanges, multicasts `NewView`.
//!
//! **Certificates without signatures.** The papers' replicas sign view changes, so a relayed
//! certificate can be checked. Ours do not sign (the simulator only stamps the true sender of
//! each message), so a certificate inside a ViewChange is only its sender's claim, and the new
//! view is decided by the rule of TOCS §4.5 ("view changes without signatures"), which weighs
//! claims instead of checking them. For each sequence number s above the chosen checkpoint:
//! - a request m with digest d is chosen if some ViewChange reports m prepared at s in view v
//!   and (A1) a quorum of ViewChanges report nothing prepared at s in a view above v, nor
//!   another digest in v, and (A2) f + 1 ViewChanges report d pre-prepared or prepared at s in
//!   view v or later;
//! - else the null request, if a quorum of ViewChanges report nothing prepared at s;
//! - else the new primary waits for more ViewChanges.
//!
//! The checkpoint the view starts from is the highest `(seq, digest)` that f + 1 ViewChanges
//! claim (as their stable checkpoint or as one they executed). Every claim that counts is
//! vouched for by f + 1 replicas, so by at least one honest one; and a request committed at an
//! honest replica was prepared by f + 1 honest replicas, one of whom is in any quorum of
//! ViewChanges and reports it, so no traitor's claim can make the new view drop or replace it.
//! The `NewView` names the replicas whose ViewChanges it used; each backup takes those
//! ViewChanges from its own inbox (they were multicast, with the channel's stamp), decides the
//! same way, and accepts the NewView only if the decisions are equal — otherwise the primary
//! lied, and the backup moves to the next view.
//!
//! State that survives a crash: everything (the papers' replicas do not lose state; a restarted
//! replica resumes with its log and fetches what it missed).

use std::collections::VecDeque;

use crate::collections::{Map, Set};

use crate::protocol::{BugSet, Ctx, Delay, Effect, Micros, NodeId, Out};

use super::digests::ByDigest;
use super::msg::{chain, digest, Digest, Msg, PreparedCert, Request, Seq, View, ViewChangeBody, NULL_DIGEST};
use super::notes::{Ignore, Note, What};
use super::sim::{Pbft, Timer};
use super::Bug;

/// PBFT's settings (µs inside).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// K: a checkpoint every K executed requests (§4.3; the paper's setting is 100, the page's
    /// 10). The watermark window is 2K.
    pub checkpoint_interval: u64,
    /// How long a backup waits for a request to execute before it starts a view change
    /// (doubled on each successive view change), µs (default 300 ms).
    pub view_change_us: Micros,
    /// Deliberate bugs in every replica ([`super::Bug`]).
    pub bugs: BugSet,
}

impl Default for Options {
    fn default() -> Self {
        Options { checkpoint_interval: 10, view_change_us: 300_000, bugs: BugSet::NONE }
    }
}

/// A traitor's own ways of lying (the simulator adds `silent` and `mute`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// `equivocate`: as primary, one request to half the backups and another (or the null
    /// request) to the others for the same sequence number, then (a little later) the other
    /// pre-prepare too; as primary or backup, it sends no prepare or commit of its own but
    /// echoes every prepare back to its sender with a prepare and a commit for the same digest,
    /// the commit twice (it tells each replica what it wants to hear, and repeats itself).
    Equivocate,
    /// `wrong-digest`: as primary, half the backups get the digest of the request with the body
    /// of another (or of the null request); its prepares and commits carry a digest that is not
    /// the request's.
    WrongDigest,
    /// `replay`: with every send, re-sends the message again (half the time) or one of its old
    /// messages to a random replica.
    Replay,
    /// `slow`: as primary, holds each pre-prepare back for 3/4 of the view-change timeout.
    Slow,
    /// `lie-in-view-change`: its ViewChanges report no checkpoint and no prepared request.
    LieInViewChange,
}

impl Behaviour {
    /// Every behaviour, in the order of [`super::sim::BEHAVIOUR_LIST`].
    pub const ALL: [Behaviour; 5] = [Behaviour::Equivocate, Behaviour::WrongDigest, Behaviour::Replay, Behaviour::Slow, Behaviour::LieInViewChange];
}

/// Normal operation, or between views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// In a view: handles pre-prepares, prepares and commits.
    Normal,
    /// Moving to `view` (it sent its ViewChange): waits for the NewView.
    ViewChange,
}

/// The phase a sequence number reached at a replica, for views.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Nothing accepted yet (prepares or commits may have arrived).
    None,
    /// A pre-prepare accepted.
    PrePrepared,
    /// Prepared (§4.2).
    Prepared,
    /// Committed-local (§4.2).
    Committed,
    /// Executed.
    Executed,
}

/// One sequence number's certificates in the current view.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// The view these messages belong to.
    pub view: View,
    /// The pre-prepare accepted: its digest and request.
    pub pre_prepare: Option<(Digest, Option<Request>)>,
    /// Prepares received, in arrival order: `(sender, digest)` (one per sender and digest,
    /// unless the `count-messages` bug counts every message; a sender's prepares for two
    /// digests are two certificates' worth of evidence, and each counts only for its digest).
    pub prepares: Vec<(NodeId, Digest)>,
    /// Commits received: `(sender, digest)`.
    pub commits: Vec<(NodeId, Digest)>,
    /// Messages discarded as duplicates, for views.
    pub duplicates: u32,
    /// Prepared in this view.
    pub prepared: bool,
    /// Committed-local in this view.
    pub committed: bool,
}

/// What a replica did that the checker must see (drained by it after every event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trail {
    /// A request arrived from a client (the simulator's, or one proposed at a replica).
    Requested(Digest),
    /// Committed-local `(view, seq, digest)`.
    Committed(View, Seq, Digest),
    /// Accepted a pre-prepare, prepare or commit at `seq` with watermarks `(low, high)`.
    InWindow(Seq, Seq, Seq),
    /// Entered `view` through a NewView starting at checkpoint `seq` with these pre-prepares.
    NewView(View, Seq, Vec<(Seq, Digest)>),
}

/// A State answer as a fetching replica keeps it: the sender, its stable checkpoint `(seq,
/// state digest)`, and the requests it sent.
type StateAnswer = (NodeId, Seq, Digest, Vec<(Seq, Option<Request>)>);

/// The decision a NewView carries: the checkpoint and the pre-prepares.
type Plan = ((Seq, Digest), Vec<(Seq, Digest, Option<Request>)>);

/// How many old messages a `replay` traitor keeps.
const REPLAY_KEEP: usize = 32;
/// How many messages of future views a replica keeps until it enters them.
const FUTURE_KEEP: usize = 512;

/// One PBFT replica.
#[derive(Clone, Debug)]
pub struct Replica {
    me: NodeId,
    n: usize,
    view: View,
    status: Status,
    /// h: the last stable checkpoint, and the state digest there.
    low: Seq,
    low_digest: Digest,
    stable_proof: Vec<NodeId>,
    /// The primary's last assigned sequence number.
    next_seq: Seq,
    log: Map<Seq, Entry>,
    /// P: per seq, the prepared certificate of the highest view.
    prepared: Map<Seq, PreparedCert>,
    /// Q: per seq, the highest view a pre-prepare was accepted in, and its digest.
    pre_prepared: Map<Seq, (View, Digest)>,
    executed: Seq,
    state_digest: Digest,
    /// Every executed request: the replicated state, replayable (what state transfer sends).
    history: Vec<Option<Request>>,
    ready: VecDeque<(Seq, Option<Request>, bool)>,
    own_checkpoints: Map<Seq, Digest>,
    /// Every checkpoint it reached (its state digest there), kept: ViewChanges report the
    /// recent ones so that f + 1 replicas can vouch for a checkpoint.
    checkpoint_log: Map<Seq, Digest>,
    checkpoint_votes: Map<Seq, Map<NodeId, Digest>>,
    /// Requests received and not executed yet, by digest (not a [`Map`]: there can be tens
    /// of thousands, see [`ByDigest`]).
    pending: ByDigest<Request>,
    /// The primary's requests waiting for room in the window.
    queue: VecDeque<Request>,
    /// Digests assigned a sequence number in this view.
    assigned: Set<Digest>,
    /// Per client, the timestamp of the last request executed.
    last_ts: Map<String, u64>,
    view_changes: Map<View, Map<NodeId, ViewChangeBody>>,
    new_view: Option<(NodeId, Msg)>,
    /// The NewView it multicast as the primary of its current view (re-sent to a replica that
    /// missed it, see [`Replica::on_msg`]).
    new_view_sent: Option<Msg>,
    /// View changes in a row without progress (timers double).
    vc_streak: u32,
    waiting: bool,
    /// State transfer: the checkpoint it is fetching towards, and the answers so far.
    fetch_target: Seq,
    fetching: bool,
    states: Vec<StateAnswer>,
    future: Vec<(NodeId, Msg)>,
    /// As a client: its own timestamp, and the replies per timestamp.
    own_ts: u64,
    replies: Map<u64, Vec<(NodeId, String)>>,
    accepted_replies: Map<u64, String>,
    behaviour: Option<Behaviour>,
    sent: VecDeque<(NodeId, Msg)>,
    /// The retransmission timer runs.
    resending: bool,
    /// The sequence numbers that were not committed at the last retransmission tick: only
    /// those are re-sent at the next (younger ones are most likely still on their way).
    overdue: Vec<Seq>,
    elections: u64,
    /// For the checker (drained after every event).
    pub(crate) trail: Vec<Trail>,
}

impl Replica {
    /// Replica `me` of `n`: view 0, nothing logged, state empty.
    pub fn new(me: NodeId, n: usize) -> Replica {
        Replica {
            me,
            n,
            view: 0,
            status: Status::Normal,
            low: 0,
            low_digest: 0,
            stable_proof: Vec::new(),
            next_seq: 0,
            log: Map::new(),
            prepared: Map::new(),
            pre_prepared: Map::new(),
            executed: 0,
            state_digest: 0,
            history: Vec::new(),
            ready: VecDeque::new(),
            own_checkpoints: Map::new(),
            checkpoint_log: Map::new(),
            checkpoint_votes: Map::new(),
            pending: ByDigest::new(),
            queue: VecDeque::new(),
            assigned: Set::new(),
            last_ts: Map::new(),
            view_changes: Map::new(),
            new_view: None,
            new_view_sent: None,
            vc_streak: 0,
            waiting: false,
            fetch_target: 0,
            fetching: false,
            states: Vec::new(),
            future: Vec::new(),
            own_ts: 0,
            replies: Map::new(),
            accepted_replies: Map::new(),
            behaviour: None,
            sent: VecDeque::new(),
            resending: false,
            overdue: Vec::new(),
            elections: 0,
            trail: Vec::new(),
        }
    }

    // ---- queries ----------------------------------------------------------------------------

    /// f = ⌊(N − 1) / 3⌋: the traitors N replicas tolerate.
    pub fn f(&self) -> usize {
        faults(self.n)
    }
    /// The quorum ⌈(N + f + 1) / 2⌉ (2f + 1 when N = 3f + 1); with the `quorum-2f` bug, one less.
    pub fn quorum(&self, o: &Options) -> usize {
        let q = quorum(self.n);
        if o.bugs.has(Bug::Quorum2f) {
            q.saturating_sub(1).max(1)
        } else {
            q
        }
    }
    /// This replica's id.
    pub fn id(&self) -> NodeId {
        self.me
    }
    /// The current view (while changing views: the view it moves to).
    pub fn view(&self) -> View {
        self.view
    }
    /// The primary of view `v`: replica v mod N.
    pub fn primary_of(&self, v: View) -> NodeId {
        (v % self.n as u64) as NodeId
    }
    /// Whether it is the primary of its view, in normal operation.
    pub fn is_primary(&self) -> bool {
        self.status == Status::Normal && self.primary_of(self.view) == self.me
    }
    /// Normal operation or between views.
    pub fn status(&self) -> Status {
        self.status
    }
    /// h: the last stable checkpoint.
    pub fn low_watermark(&self) -> Seq {
        self.low
    }
    /// H = h + 2K.
    pub fn high_watermark(&self, o: &Options) -> Seq {
        self.low + 2 * o.checkpoint_interval
    }
    /// The last sequence number executed.
    pub fn executed(&self) -> Seq {
        self.executed
    }
    /// The state digest after the last execution.
    pub fn state_digest(&self) -> Digest {
        self.state_digest
    }
    /// Every executed request, in sequence order (None: the null request).
    pub fn history(&self) -> &[Option<Request>] {
        &self.history
    }
    /// The certificates of each sequence number in the current view.
    pub fn log(&self) -> &Map<Seq, Entry> {
        &self.log
    }
    /// The phase `seq` reached here.
    // (not inlined: the nemesis's moments call it in several places; a smaller wasm)
    #[inline(never)]
    pub fn phase(&self, seq: Seq) -> Phase {
        if seq <= self.executed {
            return Phase::Executed;
        }
        match self.log.get(&seq) {
            Some(e) if e.committed => Phase::Committed,
            Some(e) if e.prepared => Phase::Prepared,
            Some(e) if e.pre_prepare.is_some() => Phase::PrePrepared,
            _ => Phase::None,
        }
    }
    /// Requests received and not executed, in digest order.
    pub fn pending(&self) -> impl Iterator<Item = &Request> {
        self.pending.values()
    }
    /// Whether its view-change timer runs (it waits for a request to execute, or for a
    /// NewView).
    pub fn waiting(&self) -> bool {
        self.waiting
    }
    /// View changes started (timeouts, joins, rejected NewViews).
    pub fn elections(&self) -> u64 {
        self.elections
    }
    /// Its traitor's behaviour, if it lies in PBFT's own ways.
    pub fn behaviour(&self) -> Option<Behaviour> {
        self.behaviour
    }
    /// Replies accepted as a client (f + 1 matching), by timestamp.
    pub fn accepted_replies(&self) -> &Map<u64, String> {
        &self.accepted_replies
    }
    /// Its checkpoints' votes: seq → sender → state digest.
    pub fn checkpoint_votes(&self) -> &Map<Seq, Map<NodeId, Digest>> {
        &self.checkpoint_votes
    }
    /// ViewChanges received for views from its own on: view → sender → body.
    pub fn view_changes(&self) -> &Map<View, Map<NodeId, ViewChangeBody>> {
        &self.view_changes
    }
    /// The next executed request for the state machine: `(seq, request, duplicate)`, where a
    /// duplicate (a timestamp its client already had executed) is executed as a no-op.
    pub fn next_to_execute(&mut self) -> Option<(Seq, Option<Request>, bool)> {
        self.ready.pop_front()
    }

    /// Makes it a traitor with `b` (None: honest).
    pub fn set_behaviour(&mut self, b: Option<Behaviour>) {
        self.behaviour = b;
    }

    // ---- inputs -----------------------------------------------------------------------------

    /// Starts (or restarts) the replica: the view-change timer runs if it waits for a request.
    pub fn start(&mut self, o: &Options, out: &mut Out<Pbft>) {
        // (A crash or a pause cancelled every timer.)
        self.waiting = false;
        self.resending = false;
        if self.fetching {
            self.fetching = false;
            self.fetch_target = self.fetch_target.max(self.executed + 1);
            out.set_timer(Timer::Fetch, Delay::After(o.view_change_us / 4));
            self.fetching = true;
        }
        if self.status == Status::ViewChange || !self.pending.is_empty() {
            self.arm(o, out);
        }
    }

    /// A request proposed at this replica as its own client: the next timestamp, client = its
    /// name. Returns the request (the caller hands it to [`Replica::on_request`]).
    pub fn own_request(&mut self, operation: String) -> Request {
        self.own_ts += 1;
        Request { operation, timestamp: self.own_ts, client: crate::protocol::node_name(self.me) }
    }

    /// A request arrives from a client (`from` None) or forwarded by a replica. Returns the
    /// sequence number assigned, if this replica is the primary and assigned one now.
    pub fn on_request(&mut self, o: &Options, cx: &mut Ctx, from: Option<NodeId>, r: Request, out: &mut Out<Pbft>) -> (What, Option<Seq>) {
        let d = digest(Some(&r));
        if from.is_none() {
            self.trail.push(Trail::Requested(d));
            if r.client == crate::protocol::node_name(self.me) {
                self.own_ts = self.own_ts.max(r.timestamp);
            }
        }
        if self.last_ts.get(&r.client).is_some_and(|&t| r.timestamp <= t) {
            return (What::RequestDone { client: r.client, timestamp: r.timestamp }, None);
        }
        if self.is_primary() {
            if self.assigned.contains(&d) || self.queue.iter().any(|q| *q == r) {
                return (What::RequestKnown { client: r.client, timestamp: r.timestamp }, None);
            }
            self.pending.insert(d, r.clone());
            let seq = self.assign(o, cx, r.clone(), out);
            return (What::RequestAssigned { client: r.client, timestamp: r.timestamp, seq }, seq);
        }
        let fresh = self.pending.insert(d, r.clone()).is_none();
        let primary = self.primary_of(self.view);
        // A backup forwards a client's request to the primary (a forwarded one it keeps).
        if from.is_none() && self.status == Status::Normal {
            self.send(o, cx, primary, Msg::Request(r.clone()), out);
        }
        if !self.waiting {
            self.arm(o, out);
        }
        (What::RequestForwarded { client: r.client, timestamp: r.timestamp, primary, fresh: fresh && from.is_none() }, None)
    }

    /// The primary assigns the next sequence number to `r` if the window has room (else queues
    /// it), and multicasts the pre-prepare.
    fn assign(&mut self, o: &Options, cx: &mut Ctx, r: Request, out: &mut Out<Pbft>) -> Option<Seq> {
        let seq = self.next_seq.max(self.low).max(self.executed) + 1;
        if seq > self.high_watermark(o) {
            self.queue.push_back(r);
            return None;
        }
        self.next_seq = seq;
        let d = digest(Some(&r));
        self.assigned.insert(d);
        self.pre_prepare_as_primary(o, cx, seq, d, Some(r), out);
        Some(seq)
    }

    /// The primary logs its own pre-prepare and multicasts it (a traitor as its behaviour says).
    fn pre_prepare_as_primary(&mut self, o: &Options, cx: &mut Ctx, seq: Seq, d: Digest, r: Option<Request>, out: &mut Out<Pbft>) {
        let view = self.view;
        let e = self.entry(seq);
        e.pre_prepare = Some((d, r.clone()));
        self.pre_prepared.insert(seq, (view, d));
        self.trail.push(Trail::InWindow(seq, self.low, self.high_watermark(o)));
        match self.behaviour {
            Some(Behaviour::Equivocate) => {
                // Half the backups get the request, the others another one (a pending request
                // of another client, or the null request); a little later each gets the other
                // pre-prepare too (honest backups ignore it; a buggy one may not). Its commits
                // are echoes (see on_prepare).
                let other = self.pending.values().find(|p| digest(Some(p)) != d).cloned();
                let od = digest(other.as_ref());
                let others: Vec<NodeId> = self.others().collect();
                let pick = |k: usize, flip: bool| if (k % 2 == 0) != flip { (d, r.clone()) } else { (od, other.clone()) };
                for (k, &to) in others.iter().enumerate() {
                    let (dd, rr) = pick(k, false);
                    self.raw_send(to, Msg::PrePrepare { view, seq, digest: dd, request: rr }, out);
                }
                out.push(Effect::Hold(o.view_change_us / 10));
                for (k, &to) in others.iter().enumerate() {
                    let (dd, rr) = pick(k, true);
                    self.raw_send(to, Msg::PrePrepare { view, seq, digest: dd, request: rr }, out);
                }
            }
            Some(Behaviour::WrongDigest) => {
                // Half the backups get the digest of the request with the body of another.
                let other = self.pending.values().find(|p| digest(Some(p)) != d).cloned();
                for (k, to) in self.others().enumerate().collect::<Vec<_>>() {
                    let body = if k % 2 == 0 { r.clone() } else { other.clone() };
                    self.raw_send(to, Msg::PrePrepare { view, seq, digest: d, request: body }, out);
                }
            }
            Some(Behaviour::Slow) => {
                out.push(Effect::Hold(o.view_change_us * 3 / 4));
                self.multicast(o, cx, Msg::PrePrepare { view, seq, digest: d, request: r }, out);
            }
            _ => self.multicast(o, cx, Msg::PrePrepare { view, seq, digest: d, request: r }, out),
        }
    }

    /// A message from replica `from` (the channel's stamp). Returns what happened.
    pub fn on_msg(&mut self, o: &Options, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Pbft>) -> (What, bool) {
        if from >= self.n || from == self.me {
            return (What::Ignored { kind: msg.kind(), why: Ignore::NotAReplica }, false);
        }
        if let Some(v) = msg.normal_view() {
            if v > self.view || (v == self.view && self.status == Status::ViewChange) {
                if self.future.len() < FUTURE_KEEP {
                    self.future.push((from, msg.clone()));
                }
                return (What::Ignored { kind: msg.kind(), why: Ignore::FutureView(v) }, false);
            }
            if v < self.view {
                // The sender missed the view change: tell it (see `answer_stale`).
                self.answer_stale(from, true, false, out);
                return (What::Ignored { kind: msg.kind(), why: Ignore::StaleView(v) }, false);
            }
        }
        match msg {
            Msg::Request(r) => (self.on_request(o, cx, Some(from), r, out).0, false),
            Msg::PrePrepare { view, seq, digest: d, request } => (self.on_pre_prepare(o, cx, from, view, seq, d, request, out), false),
            Msg::Prepare { view, seq, digest: d, .. } => (self.on_prepare(o, cx, from, view, seq, d, out), false),
            Msg::Commit { view, seq, digest: d, .. } => (self.on_commit(o, cx, from, view, seq, d, out), false),
            Msg::Checkpoint { seq, digest: d, .. } => (self.on_checkpoint(o, cx, from, seq, d, out), false),
            Msg::ViewChange { body, .. } => (self.on_view_change(o, cx, from, *body, out), false),
            nv @ Msg::NewView { .. } => (self.on_new_view(o, cx, from, nv, out), false),
            Msg::Fetch { after } => (self.on_fetch(from, after, out), false),
            Msg::State { seq, digest: d, requests } => (self.on_state(o, cx, from, seq, d, requests, out), false),
            Msg::Reply { timestamp, client, result, .. } => (self.on_reply(from, timestamp, client, result), false),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_pre_prepare(&mut self, o: &Options, cx: &mut Ctx, from: NodeId, view: View, seq: Seq, d: Digest, request: Option<Request>, out: &mut Out<Pbft>) -> What {
        let kind = "PrePrepare";
        if from != self.primary_of(view) {
            return What::Ignored { kind, why: Ignore::NotPrimary };
        }
        if !self.in_window(o, seq) {
            return What::Ignored { kind, why: Ignore::OutsideWindow(seq) };
        }
        if !o.bugs.has(Bug::UnboundDigest) && digest(request.as_ref()) != d {
            return What::Ignored { kind, why: Ignore::WrongDigest(seq) };
        }
        // A sequence number it executed keeps the request it executed there.
        if seq <= self.executed && self.history.get((seq - 1) as usize).is_some_and(|r| digest(r.as_ref()) != d) {
            return What::Ignored { kind, why: Ignore::Conflicting(seq) };
        }
        let second = o.bugs.has(Bug::SecondPrePrepare);
        let e = self.entry(seq);
        match &e.pre_prepare {
            Some((have, _)) if *have == d => {
                e.duplicates += 1;
                return What::Ignored { kind, why: Ignore::Duplicate(seq) };
            }
            Some(_) if !second => return What::Ignored { kind, why: Ignore::Conflicting(seq) },
            _ => {}
        }
        if e.pre_prepare.is_some() {
            // (The `second-preprepare` bug: the new digest's certificates start afresh.)
            e.prepared = false;
            e.committed = false;
        }
        e.pre_prepare = Some((d, request.clone()));
        self.pre_prepared.insert(seq, (view, d));
        self.trail.push(Trail::InWindow(seq, self.low, self.high_watermark(o)));
        if let Some(r) = &request {
            self.pending.get_or_insert_with(d, || r.clone());
            if !self.waiting {
                self.arm(o, out);
            }
        }
        self.add_prepare(o, seq, self.me, d);
        self.send_phase(o, cx, Msg::Prepare { view, seq, digest: d, replica: self.me }, out);
        self.advance(o, cx, seq, out);
        What::PrePrepared { seq, digest: d, null: request.is_none() }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_prepare(&mut self, o: &Options, cx: &mut Ctx, from: NodeId, view: View, seq: Seq, d: Digest, out: &mut Out<Pbft>) -> What {
        let kind = "Prepare";
        if from == self.primary_of(view) {
            return What::Ignored { kind, why: Ignore::FromPrimary };
        }
        // An equivocating traitor tells each replica what it wants to hear: every prepare is
        // echoed back to its sender with a prepare and a commit for the same digest, the commit
        // twice (counted per sender, §4.2, the second is a duplicate).
        if self.behaviour == Some(Behaviour::Equivocate) {
            if self.primary_of(view) != self.me {
                self.raw_send(from, Msg::Prepare { view, seq, digest: d, replica: self.me }, out);
            }
            for _ in 0..2 {
                self.raw_send(from, Msg::Commit { view, seq, digest: d, replica: self.me }, out);
            }
        }
        if !self.in_window(o, seq) {
            return What::Ignored { kind, why: Ignore::OutsideWindow(seq) };
        }
        // A prepare for a sequence number it committed in this view: the sender, still
        // preparing, may have missed the commits (they are not retransmitted once committed
        // here): it gets this replica's commit again (Castro's thesis §5.2: a replica re-sends
        // the commits a replica of its view is missing). Only a prepare asks: a commit never
        // does, so two replicas cannot answer each other without end.
        if self.log.get(&seq).is_some_and(|e| e.committed && e.view == view && e.pre_prepare.as_ref().is_some_and(|(pd, _)| *pd == d)) {
            self.phase_to(from, Msg::Commit { view, seq, digest: d, replica: self.me }, out);
        }
        self.trail.push(Trail::InWindow(seq, self.low, self.high_watermark(o)));
        if !self.add_prepare(o, seq, from, d) {
            return What::Ignored { kind, why: Ignore::Duplicate(seq) };
        }
        let was = self.log.get(&seq).is_some_and(|e| e.prepared);
        self.advance(o, cx, seq, out);
        // (Executing may have made a checkpoint stable and discarded the entry.)
        let Some(e) = self.log.get(&seq) else { return What::PrepareCounted { seq, count: self.quorum(o) - 1, need: self.quorum(o) - 1, matches: true, prepared: !was } };
        let matching = e.pre_prepare.as_ref().map(|(pd, _)| *pd);
        What::PrepareCounted { seq, count: count(&e.prepares, matching.unwrap_or(d)), need: self.quorum(o) - 1, matches: matching.map_or(true, |m| m == d), prepared: e.prepared && !was }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_commit(&mut self, o: &Options, cx: &mut Ctx, from: NodeId, _view: View, seq: Seq, d: Digest, out: &mut Out<Pbft>) -> What {
        let kind = "Commit";
        if !self.in_window(o, seq) {
            return What::Ignored { kind, why: Ignore::OutsideWindow(seq) };
        }
        self.trail.push(Trail::InWindow(seq, self.low, self.high_watermark(o)));
        let counts_messages = o.bugs.has(Bug::CountMessages);
        let e = self.entry(seq);
        if !counts_messages && e.commits.iter().any(|(k, x)| *k == from && *x == d) {
            e.duplicates += 1;
            return What::Ignored { kind, why: Ignore::Duplicate(seq) };
        }
        e.commits.push((from, d));
        let was = e.committed;
        self.advance(o, cx, seq, out);
        let Some(e) = self.log.get(&seq) else { return What::CommitCounted { seq, count: self.quorum(o), need: self.quorum(o), matches: true, committed: !was } };
        let matching = e.pre_prepare.as_ref().map(|(pd, _)| *pd);
        What::CommitCounted { seq, count: count(&e.commits, matching.unwrap_or(d)), need: self.quorum(o), matches: matching.map_or(true, |m| m == d), committed: e.committed && !was }
    }

    /// Records a prepare; false when it is a duplicate that does not count.
    fn add_prepare(&mut self, o: &Options, seq: Seq, from: NodeId, d: Digest) -> bool {
        let counts_messages = o.bugs.has(Bug::CountMessages);
        let e = self.entry(seq);
        if !counts_messages && e.prepares.iter().any(|(k, x)| *k == from && *x == d) {
            e.duplicates += 1;
            return false;
        }
        e.prepares.push((from, d));
        true
    }

    /// After a message about `seq`: prepared? committed-local? then execute what can be.
    fn advance(&mut self, o: &Options, cx: &mut Ctx, seq: Seq, out: &mut Out<Pbft>) {
        let q = self.quorum(o);
        let view = self.view;
        let Some(e) = self.log.get_mut(&seq) else { return };
        let Some((d, req)) = e.pre_prepare.clone() else { return };
        if !e.prepared && count(&e.prepares, d) >= q - 1 {
            e.prepared = true;
            self.prepared.insert(seq, PreparedCert { seq, view, digest: d, request: req });
            let e = self.log.get_mut(&seq).expect("just seen");
            e.commits.push((self.me, d));
            self.send_phase(o, cx, Msg::Commit { view, seq, digest: d, replica: self.me }, out);
        }
        let Some(e) = self.log.get_mut(&seq) else { return };
        if e.prepared && !e.committed && count(&e.commits, d) >= q {
            e.committed = true;
            self.trail.push(Trail::Committed(view, seq, d));
        }
        self.execute(o, cx, out);
    }

    /// Executes, in sequence order, every committed-local request it can.
    fn execute(&mut self, o: &Options, cx: &mut Ctx, out: &mut Out<Pbft>) {
        loop {
            let next = self.executed + 1;
            let Some(e) = self.log.get(&next) else { break };
            if !e.committed {
                break;
            }
            let (d, req) = e.pre_prepare.clone().expect("committed entries have their pre-prepare");
            self.apply(o, cx, next, d, req, out);
        }
    }

    /// Executes `req` (digest `d`) at `seq`: the history, the state digest, the client's
    /// timestamp, a checkpoint every K.
    fn apply(&mut self, o: &Options, cx: &mut Ctx, seq: Seq, d: Digest, req: Option<Request>, out: &mut Out<Pbft>) {
        self.executed = seq;
        self.state_digest = chain(self.state_digest, seq, d);
        let duplicate = match &req {
            Some(r) => {
                self.pending.remove(&digest(Some(r)));
                let last = self.last_ts.entry(r.client.clone()).or_insert(0);
                let dup = r.timestamp <= *last;
                *last = (*last).max(r.timestamp);
                dup
            }
            None => false,
        };
        self.history.push(req.clone());
        self.ready.push_back((seq, req, duplicate));
        self.vc_streak = 0;
        // The timer stops when nothing waits, and restarts for the next request that does.
        // (Between views it bounds the wait for the NewView: executing what a state transfer
        // brought does not stop it, or a replica could wait for a lost NewView for ever.)
        if self.waiting && self.status == Status::Normal {
            out.push(Effect::CancelTimer(Timer::ViewChange));
            self.waiting = false;
        }
        if !self.pending.is_empty() && self.status == Status::Normal && !self.is_primary() {
            self.arm(o, out);
        }
        if seq % o.checkpoint_interval == 0 {
            let sd = self.state_digest;
            self.own_checkpoints.insert(seq, sd);
            self.checkpoint_log.insert(seq, sd);
            self.checkpoint_votes.entry(seq).or_default().insert(self.me, sd);
            self.multicast(o, cx, Msg::Checkpoint { seq, digest: sd, replica: self.me }, out);
            if self.try_stable(o, seq) {
                self.drain_queue(o, cx, out);
            }
        }
    }

    /// The primary assigns the requests that waited for room in the window.
    fn drain_queue(&mut self, o: &Options, cx: &mut Ctx, out: &mut Out<Pbft>) {
        while self.is_primary() && self.next_seq.max(self.low) < self.high_watermark(o) {
            let Some(r) = self.queue.pop_front() else { break };
            self.assign(o, cx, r, out);
        }
    }

    fn on_checkpoint(&mut self, o: &Options, cx: &mut Ctx, from: NodeId, seq: Seq, d: Digest, out: &mut Out<Pbft>) -> What {
        if seq <= self.low {
            return What::Ignored { kind: "Checkpoint", why: Ignore::BelowStable(seq) };
        }
        self.checkpoint_votes.entry(seq).or_default().insert(from, d);
        let stable = self.try_stable(o, seq);
        if stable {
            self.drain_queue(o, cx, out);
        }
        // f + 1 matching checkpoints beyond what it executed: it fell behind; fetch the state.
        let f = self.f();
        let matching = self.checkpoint_votes.get(&seq).map_or(self.quorum(o), |votes| votes.values().filter(|x| **x == d).count());
        if !stable && seq > self.executed && matching > f && seq > self.fetch_target {
            self.fetch_target = seq;
            if !self.fetching {
                self.fetching = true;
                out.set_timer(Timer::Fetch, Delay::After(o.view_change_us / 4));
            }
        }
        What::CheckpointCounted { seq, votes: matching, need: self.quorum(o), stable }
    }

    /// Makes the checkpoint at `seq` stable if a quorum matches its own state digest there.
    fn try_stable(&mut self, o: &Options, seq: Seq) -> bool {
        let Some(&own) = self.own_checkpoints.get(&seq) else { return false };
        let q = self.quorum(o);
        let Some(votes) = self.checkpoint_votes.get(&seq) else { return false };
        let proof: Vec<NodeId> = votes.iter().filter(|(_, d)| **d == own).map(|(k, _)| *k).collect();
        if proof.len() < q || seq <= self.low {
            return false;
        }
        self.stable_proof = proof;
        self.discard_to(seq, own);
        true
    }

    /// The checkpoint at `seq` (state digest `d`) is stable: h moves there and what is older goes.
    fn discard_to(&mut self, seq: Seq, d: Digest) {
        self.low = seq;
        self.low_digest = d;
        self.log.retain(|s, _| *s > seq);
        self.prepared.retain(|s, _| *s > seq);
        self.pre_prepared.retain(|s, _| *s > seq);
        self.checkpoint_votes.retain(|s, _| *s > seq);
        self.own_checkpoints.retain(|s, _| *s > seq);
    }

    /// The fetch timer: still behind, so ask every replica for the executed requests.
    pub fn fetch_timer(&mut self, o: &Options, cx: &mut Ctx, out: &mut Out<Pbft>) {
        self.fetching = false;
        if self.executed >= self.fetch_target {
            return;
        }
        self.states.clear();
        out.note(Note::Fetching { at: self.me, after: self.executed, target: self.fetch_target });
        self.multicast(o, cx, Msg::Fetch { after: self.executed }, out);
        self.fetching = true;
        out.set_timer(Timer::Fetch, Delay::After(o.view_change_us));
    }

    fn on_fetch(&mut self, from: NodeId, after: Seq, out: &mut Out<Pbft>) -> What {
        if self.low <= after {
            return What::FetchServed { after, sent: 0 };
        }
        let requests: Vec<(Seq, Option<Request>)> = ((after + 1)..=self.low).map(|s| (s, self.history[(s - 1) as usize].clone())).collect();
        let sent = requests.len();
        self.raw_send(from, Msg::State { seq: self.low, digest: self.low_digest, requests }, out);
        What::FetchServed { after, sent }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_state(&mut self, o: &Options, cx: &mut Ctx, from: NodeId, seq: Seq, d: Digest, requests: Vec<(Seq, Option<Request>)>, out: &mut Out<Pbft>) -> What {
        if seq <= self.executed {
            return What::Ignored { kind: "State", why: Ignore::BelowStable(seq) };
        }
        // The requests must chain from its own state to the digest claimed.
        let mut sd = self.state_digest;
        let mut expect = self.executed + 1;
        for (s, r) in &requests {
            if *s != expect {
                return What::Ignored { kind: "State", why: Ignore::BadState };
            }
            sd = chain(sd, *s, digest(r.as_ref()));
            expect += 1;
        }
        if sd != d || expect != seq + 1 {
            return What::Ignored { kind: "State", why: Ignore::BadState };
        }
        self.states.retain(|(k, ..)| *k != from);
        self.states.push((from, seq, d, requests));
        let vouched = self.states.iter().filter(|(_, s, x, _)| *s == seq && *x == d).count();
        if vouched <= self.f() {
            return What::StateCounted { seq, votes: vouched, need: self.f() + 1, adopted: false };
        }
        let k = self.states.iter().position(|(_, s, x, _)| *s == seq && *x == d).expect("counted");
        let (_, _, _, requests) = self.states.swap_remove(k);
        self.states.clear();
        for (s, r) in requests {
            let dd = digest(r.as_ref());
            self.log.remove(&s);
            self.apply(o, cx, s, dd, r, out);
        }
        if seq > self.low {
            self.discard_to(seq, d);
        }
        self.fetching = false;
        out.push(Effect::CancelTimer(Timer::Fetch));
        self.execute(o, cx, out);
        What::StateCounted { seq, votes: vouched, need: self.f() + 1, adopted: true }
    }

    fn on_reply(&mut self, from: NodeId, timestamp: u64, client: String, result: String) -> What {
        if client != crate::protocol::node_name(self.me) || self.accepted_replies.contains_key(&timestamp) {
            return What::Ignored { kind: "Reply", why: Ignore::NotMine };
        }
        let rs = self.replies.entry(timestamp).or_default();
        if rs.iter().any(|(k, _)| *k == from) {
            return What::Ignored { kind: "Reply", why: Ignore::Duplicate(timestamp) };
        }
        rs.push((from, result.clone()));
        let votes = rs.iter().filter(|(_, r)| *r == result).count();
        let need = self.f() + 1;
        if votes >= need {
            self.replies.remove(&timestamp);
            self.accepted_replies.insert(timestamp, result.clone());
        }
        What::ReplyCounted { timestamp, votes, need, result }
    }

    /// After every event: while some sequence number in its log is not committed (or its last
    /// checkpoint not stable), the retransmission timer runs, every third of the view-change
    /// timeout. The papers assume lost messages are retransmitted (TOCS §5.2); without it one
    /// lost prepare would cost a view change.
    pub fn keep_retransmitting(&mut self, o: &Options, out: &mut Out<Pbft>) {
        if self.resending || self.status != Status::Normal {
            return;
        }
        let unfinished = self.log.iter().any(|(s, e)| *s > self.executed && e.pre_prepare.is_some() && !e.committed)
            || self.own_checkpoints.keys().any(|s| *s > self.low);
        if unfinished {
            self.resending = true;
            out.set_timer(Timer::Retransmit, Delay::After((o.view_change_us / 3).max(1)));
        }
    }

    /// The retransmission timer: the primary re-sends its pre-prepares, a backup its prepares,
    /// each replica its commits, for every sequence number that was not committed here at the
    /// previous tick either; and its checkpoint that is not stable yet.
    pub fn retransmit(&mut self, o: &Options, cx: &mut Ctx, out: &mut Out<Pbft>) {
        self.resending = false;
        if self.status != Status::Normal {
            return;
        }
        let view = self.view;
        let primary = self.primary_of(view) == self.me;
        let open: Vec<Seq> = self.log.iter().filter(|(s, e)| **s > self.executed && !e.committed && e.view == view).map(|(s, _)| *s).collect();
        let overdue = std::mem::replace(&mut self.overdue, open);
        let todo: Vec<(Seq, Digest, Option<Request>, bool)> = overdue
            .iter()
            .filter_map(|s| self.log.get(s).map(|e| (s, e)))
            .filter(|(s, e)| **s > self.executed && !e.committed && e.view == view)
            .filter_map(|(s, e)| e.pre_prepare.as_ref().map(|(d, r)| (*s, *d, r.clone(), e.prepared)))
            .collect();
        for (seq, d, r, prepared) in todo {
            if primary {
                self.multicast(o, cx, Msg::PrePrepare { view, seq, digest: d, request: r }, out);
            } else {
                self.send_phase(o, cx, Msg::Prepare { view, seq, digest: d, replica: self.me }, out);
            }
            if prepared {
                self.send_phase(o, cx, Msg::Commit { view, seq, digest: d, replica: self.me }, out);
            }
        }
        if let Some((&seq, &d)) = self.own_checkpoints.iter().next_back().filter(|(s, _)| **s > self.low) {
            self.multicast(o, cx, Msg::Checkpoint { seq, digest: d, replica: self.me }, out);
        }
        self.keep_retransmitting(o, out);
    }

    /// Its own reply to a request it proposed as its client (it executed it too).
    pub fn own_reply(&mut self, timestamp: u64, result: String) {
        let me = self.me;
        self.on_reply(me, timestamp, crate::protocol::node_name(me), result);
    }

    // ---- view change ------------------------------------------------------------------------

    /// The view-change timer ran out: move to the next view.
    ///
    /// A replica that moved to a view but has not yet heard a quorum of ViewChanges for it does
    /// not move on (§4.5.2: the timer for the NewView starts only with 2f + 1 ViewChanges, so
    /// a replica cut off from the others does not run through views alone): it multicasts its
    /// ViewChange again, in case it was lost, and waits.
    pub fn view_change_timer(&mut self, o: &Options, cx: &mut Ctx, out: &mut Out<Pbft>) {
        self.waiting = false;
        if self.status == Status::ViewChange && !self.quorum_for_view(o) {
            if let Some(body) = self.view_changes.get(&self.view).and_then(|m| m.get(&self.me)).cloned() {
                self.multicast(o, cx, Msg::ViewChange { body: Box::new(body), replica: self.me }, out);
            }
            out.set_timer(Timer::ViewChange, Delay::After(o.view_change_us));
            return;
        }
        let next = self.view.saturating_add(1);
        self.start_view_change(o, cx, next, super::notes::VcWhy::Timeout, out);
    }

    /// Whether it holds a quorum of ViewChanges for the view it moves to.
    fn quorum_for_view(&self, o: &Options) -> bool {
        self.view_changes.get(&self.view).map_or(0, |m| m.len()) >= self.quorum(o)
    }

    /// Starts the timer that bounds the wait (doubling with each successive view change).
    fn arm(&mut self, o: &Options, out: &mut Out<Pbft>) {
        let t = o.view_change_us << self.vc_streak.min(4);
        out.push(Effect::CancelTimer(Timer::ViewChange));
        out.set_timer(Timer::ViewChange, Delay::After(t));
        self.waiting = true;
    }

    /// Moves to view `v` (above its own) and multicasts its ViewChange.
    pub fn start_view_change(&mut self, o: &Options, cx: &mut Ctx, v: View, why: super::notes::VcWhy, out: &mut Out<Pbft>) {
        if v <= self.view && self.status == Status::ViewChange {
            return;
        }
        self.view = v;
        self.status = Status::ViewChange;
        self.elections += 1;
        self.vc_streak += 1;
        self.log.clear();
        self.assigned.clear();
        // A NewView for this view (or a later one) that came first is kept: it is checked, as
        // any NewView, once the ViewChanges it names are here.
        if !self.new_view.as_ref().is_some_and(|(_, m)| matches!(m, Msg::NewView { view, .. } if *view >= v)) {
            self.new_view = None;
        }
        self.new_view_sent = None;
        self.future.retain(|(_, m)| m.normal_view().is_some_and(|x| x >= v) || m.normal_view().is_none());
        self.view_changes.retain(|w, _| *w >= v);
        out.note(Note::ViewChangeStarted { at: self.me, view: v, why });
        let body = self.view_change_body(o);
        self.view_changes.entry(v).or_default().insert(self.me, body.clone());
        self.multicast(o, cx, Msg::ViewChange { body: Box::new(body), replica: self.me }, out);
        out.push(Effect::CancelTimer(Timer::ViewChange));
        if self.quorum_for_view(o) {
            self.arm(o, out);
        } else {
            // Re-sends its ViewChange until a quorum moved to this view too.
            out.set_timer(Timer::ViewChange, Delay::After(o.view_change_us));
            self.waiting = false;
        }
        self.try_new_view(o, cx, out);
    }

    /// Retransmission to a replica that missed a view change (Castro's thesis §5.2, message
    /// retransmission: a replica whose status shows an older view is sent the receiver's latest
    /// VIEW-CHANGE, and the primary's NEW-VIEW to one that waits for it; the BFT library does it
    /// in `Replica::handle(Status*)`). Here a message of an older view stands for that status,
    /// as a negative acknowledgement: `to` sent a pre-prepare, prepare or commit of a view this
    /// replica has left, or a ViewChange for one (or for its own view, whose NewView it is
    /// still waiting for). This replica answers `to` alone with messages it sent before, as it
    /// sent them: its own ViewChange for its view (with `own_view_change`), and, as that view's
    /// primary in normal operation, its NewView. Nothing is relayed (a relayed ViewChange would be a claim, see
    /// the module documentation): with f + 1 ViewChanges for a higher view `to` joins it
    /// (§4.5.2), and it accepts the NewView only as it accepts any, once the ViewChanges of
    /// every replica the NewView names came from those replicas themselves and decide the same.
    /// A traitor gains nothing: it can only make honest replicas repeat their own messages.
    ///
    /// With `missed_messages` (`to` waits for the NewView of this replica's view, so it is
    /// about to enter it) it also re-sends what `to` needs to execute the view's requests
    /// (the thesis's retransmission of the messages a replica in the same view is missing):
    /// its stable checkpoint (f + 1 of them start a state transfer at a replica behind it),
    /// and for every sequence number of the view in its log its pre-prepare (as primary) or
    /// prepare, and its commit once prepared. `to` keeps them until it enters the view.
    fn answer_stale(&mut self, to: NodeId, own_view_change: bool, missed_messages: bool, out: &mut Out<Pbft>) {
        let view = self.view;
        if let Some(body) = self.view_changes.get(&view).and_then(|m| m.get(&self.me)).filter(|_| own_view_change).cloned() {
            self.raw_send(to, Msg::ViewChange { body: Box::new(body), replica: self.me }, out);
        }
        if self.status != Status::Normal {
            return;
        }
        let primary = self.primary_of(view) == self.me;
        if primary {
            if let Some(nv @ Msg::NewView { view: w, .. }) = self.new_view_sent.clone() {
                if w == view {
                    self.raw_send(to, nv, out);
                }
            }
        }
        if !missed_messages {
            return;
        }
        if self.low > 0 {
            self.raw_send(to, Msg::Checkpoint { seq: self.low, digest: self.low_digest, replica: self.me }, out);
        }
        let held: Vec<(Seq, Digest, Option<Request>, bool)> =
            self.log.iter().filter(|(_, e)| e.view == view).filter_map(|(s, e)| e.pre_prepare.as_ref().map(|(d, r)| (*s, *d, r.clone(), e.prepared))).collect();
        for (seq, d, r, prepared) in held {
            if primary {
                self.raw_send(to, Msg::PrePrepare { view, seq, digest: d, request: r }, out);
            } else {
                self.phase_to(to, Msg::Prepare { view, seq, digest: d, replica: self.me }, out);
            }
            if prepared {
                self.phase_to(to, Msg::Commit { view, seq, digest: d, replica: self.me }, out);
            }
        }
    }

    /// Its ViewChange for its view: what it knows, or (as a `lie-in-view-change` traitor, or
    /// with the `view-change-without-prepared` bug) less.
    fn view_change_body(&self, o: &Options) -> ViewChangeBody {
        let lie = self.behaviour == Some(Behaviour::LieInViewChange);
        let omit = lie || o.bugs.has(Bug::ViewChangeWithoutPrepared);
        ViewChangeBody {
            view: self.view,
            last_stable: if lie { 0 } else { self.low },
            stable_digest: if lie { 0 } else { self.low_digest },
            checkpoint_proof: if lie { Vec::new() } else { self.stable_proof.clone() },
            checkpoints: if lie {
                Vec::new()
            } else {
                let from = self.low.saturating_sub(4 * o.checkpoint_interval);
                self.checkpoint_log.iter().filter(|(s, _)| **s >= from).map(|(s, d)| (*s, *d)).collect()
            },
            prepared: if omit { Vec::new() } else { self.prepared.values().cloned().collect() },
            pre_prepared: if omit { Vec::new() } else { self.pre_prepared.iter().map(|(s, (v, d))| (*s, *v, *d)).collect() },
        }
    }

    fn on_view_change(&mut self, o: &Options, cx: &mut Ctx, from: NodeId, body: ViewChangeBody, out: &mut Out<Pbft>) -> What {
        let v = body.view;
        if v < self.view {
            // Moving to a view this replica has left: tell it (see `answer_stale`).
            self.answer_stale(from, true, false, out);
            return What::Ignored { kind: "ViewChange", why: Ignore::StaleView(v) };
        }
        if v == self.view && self.status == Status::Normal {
            // Waiting for the NewView of the view this replica is in (the sender missed it):
            // tell it (see `answer_stale`); its own ViewChange only the first time it hears
            // from the sender for this view (two replicas in normal operation would otherwise
            // answer each other's ViewChanges without end).
            let first = self.view_changes.entry(v).or_default().insert(from, body).is_none();
            self.answer_stale(from, first, true, out);
            return What::Ignored { kind: "ViewChange", why: Ignore::StaleView(v) };
        }
        self.view_changes.entry(v).or_default().insert(from, body);
        // Join: f + 1 replicas ask for views above its own: move to the smallest of them
        // (§4.5.2, liveness).
        let f = self.f();
        let next = self.view.saturating_add(1);
        let above: Set<NodeId> = self.view_changes.iter().filter(|(w, _)| **w >= next).flat_map(|(_, m)| m.keys().copied()).collect();
        if above.len() > f {
            let smallest = self.view_changes.iter().filter(|(w, _)| **w >= next).find(|(_, m)| !m.is_empty()).map(|(w, _)| *w).expect("some view above");
            self.start_view_change(o, cx, smallest, super::notes::VcWhy::Joined, out);
        }
        let count = self.view_changes.get(&v).map_or(0, |m| m.len());
        if v == self.view && self.status == Status::ViewChange && !self.waiting && self.quorum_for_view(o) {
            // A quorum moved to this view: the wait for its NewView starts now.
            self.arm(o, out);
        }
        let sent = self.try_new_view(o, cx, out);
        if !sent {
            self.retry_new_view(o, cx, out);
        }
        What::ViewChangeCounted { view: v, count, need: self.quorum(o), primary: self.primary_of(v) }
    }

    /// As the new primary: with a quorum of ViewChanges that decide every sequence number,
    /// multicast the NewView and enter the view. Returns whether it did.
    fn try_new_view(&mut self, o: &Options, cx: &mut Ctx, out: &mut Out<Pbft>) -> bool {
        let v = self.view;
        if self.status != Status::ViewChange || self.primary_of(v) != self.me {
            return false;
        }
        let Some(vcs) = self.view_changes.get(&v) else { return false };
        if vcs.len() < self.quorum(o) {
            return false;
        }
        let senders: Vec<NodeId> = vcs.keys().copied().collect();
        let Some(plan) = decide(o, self.n, self.quorum(o), vcs) else { return false };
        let ((h, hd), pps) = plan.clone();
        let reproposed = pps.iter().filter(|p| p.2.is_some()).count();
        out.note(Note::NewViewSent { at: self.me, view: v, from_seq: h, reproposed, nulls: pps.len() - reproposed });
        let msg = Msg::NewView { view: v, view_changes: senders, checkpoint: (h, hd), pre_prepares: pps };
        self.new_view_sent = Some(msg.clone());
        self.multicast(o, cx, msg, out);
        self.enter_view(o, cx, v, plan, out);
        true
    }

    fn on_new_view(&mut self, o: &Options, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Pbft>) -> What {
        let Msg::NewView { view, .. } = &msg else { unreachable!("only NewViews come here") };
        let v = *view;
        if from != self.primary_of(v) {
            return What::Ignored { kind: "NewView", why: Ignore::NotPrimary };
        }
        if v < self.view || (v == self.view && self.status == Status::Normal) {
            return What::Ignored { kind: "NewView", why: Ignore::StaleView(v) };
        }
        self.new_view = Some((from, msg));
        self.retry_new_view(o, cx, out).unwrap_or(What::NewViewWaiting { view: v })
    }

    /// Checks a NewView it holds against the ViewChanges it received from the replicas the
    /// NewView names: equal decisions → enter the view; different → the primary lied: next view.
    fn retry_new_view(&mut self, o: &Options, cx: &mut Ctx, out: &mut Out<Pbft>) -> Option<What> {
        let (from, Msg::NewView { view: v, view_changes, checkpoint, pre_prepares }) = self.new_view.clone()? else { return None };
        let q = self.quorum(o);
        let mut uniq = view_changes.clone();
        uniq.sort_unstable();
        uniq.dedup();
        let have = self.view_changes.get(&v);
        let mut mine: Map<NodeId, ViewChangeBody> = Map::new();
        for (k, b) in uniq.iter().filter_map(|k| have.and_then(|m| m.get(k)).map(|b| (*k, b))) {
            mine.insert(k, b.clone());
        }
        if uniq.len() < q || uniq.iter().any(|k| *k >= self.n) {
            self.new_view = None;
            self.start_view_change(o, cx, v.saturating_add(1), super::notes::VcWhy::BadNewView, out);
            return Some(What::NewViewRejected { view: v, from });
        }
        if mine.len() < uniq.len() {
            return None; // waits for the ViewChanges it names
        }
        let expected = decide(o, self.n, q, &mine);
        self.new_view = None;
        if expected.as_ref() != Some(&(checkpoint, pre_prepares.clone())) {
            self.start_view_change(o, cx, v.saturating_add(1), super::notes::VcWhy::BadNewView, out);
            return Some(What::NewViewRejected { view: v, from });
        }
        let reproposed = pre_prepares.iter().filter(|p| p.2.is_some()).count();
        let nulls = pre_prepares.len() - reproposed;
        self.enter_view(o, cx, v, (checkpoint, pre_prepares), out);
        Some(What::NewViewAccepted { view: v, reproposed, nulls })
    }

    /// Enters view `v` with the NewView's decision: the checkpoint (fetch the state if behind),
    /// the pre-prepares (a backup prepares each), pending requests forwarded to the primary, and
    /// the messages of `v` that arrived early.
    fn enter_view(&mut self, o: &Options, cx: &mut Ctx, v: View, plan: Plan, out: &mut Out<Pbft>) {
        let ((h, hd), pps) = plan;
        self.view = v;
        self.status = Status::Normal;
        self.log.clear();
        self.assigned.clear();
        self.trail.push(Trail::NewView(v, h, pps.iter().map(|(s, d, _)| (*s, *d)).collect()));
        if h > self.low && h <= self.executed {
            // Its own state reached h: the checkpoint is stable here too.
            self.discard_to(h, self.own_checkpoints.get(&h).copied().unwrap_or(hd));
        } else if h > self.executed {
            self.fetch_target = self.fetch_target.max(h);
            self.states.clear();
            self.fetching = true;
            self.multicast(o, cx, Msg::Fetch { after: self.executed }, out);
            out.set_timer(Timer::Fetch, Delay::After(o.view_change_us));
        }
        let primary = self.primary_of(v) == self.me;
        let low = self.low.max(h);
        // The primary's next sequence number comes after everything placed or executed.
        let top = pps.iter().map(|p| p.0).max().unwrap_or(0).max(low).max(self.executed);
        // (A replica that executed a sequence number already goes through it again, without
        // executing it twice, so that those that missed it can prepare and commit it.)
        for (s, d, r) in pps {
            if s <= low {
                continue;
            }
            if let Some(r) = &r {
                self.assigned.insert(digest(Some(r)));
            }
            let e = self.entry(s);
            e.pre_prepare = Some((d, r));
            self.pre_prepared.insert(s, (v, d));
            if !primary {
                self.add_prepare(o, s, self.me, d);
                self.send_phase(o, cx, Msg::Prepare { view: v, seq: s, digest: d, replica: self.me }, out);
            }
        }
        out.push(Effect::CancelTimer(Timer::ViewChange));
        self.waiting = false;
        if primary {
            self.next_seq = top;
            // Requests it holds that the new view did not place get fresh sequence numbers.
            let fresh: Vec<Request> = self.pending.iter().filter(|(d, _)| !self.assigned.contains(*d)).map(|(_, r)| r.clone()).collect();
            for r in fresh {
                if !self.last_ts.get(&r.client).is_some_and(|&t| r.timestamp <= t) {
                    self.assign(o, cx, r, out);
                }
            }
        } else {
            let p = self.primary_of(v);
            let held: Vec<Request> = self.pending.values().cloned().collect();
            for r in held {
                self.send(o, cx, p, Msg::Request(r), out);
            }
            if !self.pending.is_empty() {
                self.arm(o, out);
            }
        }
        let early: Vec<(NodeId, Msg)> = std::mem::take(&mut self.future);
        for (from, m) in early {
            match m.normal_view() {
                Some(w) if w == v => {
                    self.on_msg(o, cx, from, m, out);
                }
                Some(w) if w > v => self.future.push((from, m)),
                _ => {}
            }
        }
        for s in self.log.keys().copied().collect::<Vec<_>>() {
            self.advance(o, cx, s, out);
        }
        self.execute(o, cx, out);
    }

    // ---- sending ----------------------------------------------------------------------------

    fn others(&self) -> impl Iterator<Item = NodeId> {
        let me = self.me;
        (0..self.n).filter(move |k| *k != me)
    }

    /// Sends one message (a `replay` traitor remembers it).
    fn send(&mut self, o: &Options, cx: &mut Ctx, to: NodeId, msg: Msg, out: &mut Out<Pbft>) {
        self.raw_send(to, msg, out);
        self.replay(o, cx, out);
    }

    fn raw_send(&mut self, to: NodeId, msg: Msg, out: &mut Out<Pbft>) {
        if self.behaviour == Some(Behaviour::Replay) {
            if self.sent.len() == REPLAY_KEEP {
                self.sent.pop_front();
            }
            self.sent.push_back((to, msg.clone()));
        }
        out.send(to, msg);
    }

    /// Sends `msg` to every other replica.
    fn multicast(&mut self, o: &Options, cx: &mut Ctx, msg: Msg, out: &mut Out<Pbft>) {
        for to in self.others().collect::<Vec<_>>() {
            self.raw_send(to, msg.clone(), out);
        }
        self.replay(o, cx, out);
    }

    /// Multicasts a Prepare or Commit, as a traitor's behaviour bends it.
    fn send_phase(&mut self, o: &Options, cx: &mut Ctx, msg: Msg, out: &mut Out<Pbft>) {
        if let Some(msg) = self.bent(msg) {
            self.multicast(o, cx, msg, out);
        }
    }

    /// Sends a Prepare or Commit to one replica, as a traitor's behaviour bends it (as
    /// `send_phase` does).
    fn phase_to(&mut self, to: NodeId, msg: Msg, out: &mut Out<Pbft>) {
        if let Some(msg) = self.bent(msg) {
            self.raw_send(to, msg, out);
        }
    }

    /// A Prepare or Commit of its own as its behaviour bends it: a `wrong-digest` traitor's
    /// carries a wrong digest; an `equivocate` traitor sends none (it only echoes what others
    /// prepared: see `on_prepare`).
    fn bent(&self, msg: Msg) -> Option<Msg> {
        match (self.behaviour, msg) {
            (Some(Behaviour::Equivocate), _) => None,
            (Some(Behaviour::WrongDigest), Msg::Prepare { view, seq, digest, replica }) => Some(Msg::Prepare { view, seq, digest: digest ^ 0x1f, replica }),
            (Some(Behaviour::WrongDigest), Msg::Commit { view, seq, digest, replica }) => Some(Msg::Commit { view, seq, digest: digest ^ 0x1f, replica }),
            (_, m) => Some(m),
        }
    }

    /// A `replay` traitor re-sends one of its old messages to a random replica.
    fn replay(&mut self, _o: &Options, cx: &mut Ctx, out: &mut Out<Pbft>) {
        use rand::Rng;
        if self.behaviour != Some(Behaviour::Replay) || self.sent.is_empty() || self.n < 2 {
            return;
        }
        // Half the time the message it just sent, again (a duplicate); else an old one to anyone.
        if crate::sim::chance(cx.rng, 0.5) {
            let (to, m) = self.sent.back().expect("not empty").clone();
            out.send(to, m);
        } else {
            let (_, m) = self.sent[cx.rng.random_range(0..self.sent.len())].clone();
            let to = (self.me + cx.rng.random_range(1..self.n)) % self.n;
            out.send(to, m);
        }
    }

    fn in_window(&self, o: &Options, seq: Seq) -> bool {
        seq > self.low && seq <= self.high_watermark(o)
    }

    /// The entry of `seq` for the current view (reset if it held an older view's).
    fn entry(&mut self, seq: Seq) -> &mut Entry {
        let view = self.view;
        let e = self.log.entry(seq).or_default();
        if e.view != view {
            *e = Entry { view, ..Entry::default() };
        }
        e
    }
}

/// f = ⌊(N − 1) / 3⌋.
pub fn faults(n: usize) -> usize {
    n.saturating_sub(1) / 3
}

/// The quorum ⌈(N + f + 1) / 2⌉: 2f + 1 when N = 3f + 1.
pub fn quorum(n: usize) -> usize {
    (n + faults(n) + 1).div_ceil(2)
}

/// How many of `msgs` carry digest `d`.
fn count(msgs: &[(NodeId, Digest)], d: Digest) -> usize {
    msgs.iter().filter(|(_, x)| *x == d).count()
}

/// The new view's decision from a set of ViewChanges (the rule in the module documentation),
/// or None while some sequence number is undecided.
fn decide(o: &Options, n: usize, q: usize, vcs: &Map<NodeId, ViewChangeBody>) -> Option<Plan> {
    let f = faults(n);
    // The checkpoint: the highest (seq, digest) that f + 1 ViewChanges claim.
    let mut claims: Map<(Seq, Digest), Set<NodeId>> = Map::new();
    claims.entry((0, 0)).or_default().extend(vcs.keys().copied());
    for (k, b) in vcs {
        claims.entry((b.last_stable, b.stable_digest)).or_default().insert(*k);
        for c in &b.checkpoints {
            claims.entry(*c).or_default().insert(*k);
        }
    }
    let (h, hd) = claims.iter().filter(|(_, who)| who.len() > f).map(|(c, _)| *c).max().unwrap_or((0, 0));
    let window = 2 * o.checkpoint_interval;
    // A replica whose stable checkpoint lies beyond the window reports nothing there: what was
    // committed up to its checkpoint cannot be placed from this set. Wait for more.
    let highest_stable = vcs.values().map(|b| b.last_stable).max().unwrap_or(0);
    if highest_stable > h + window {
        return None;
    }
    // Every sequence number up to the highest reported, and up to every stable checkpoint
    // claimed (those replicas report nothing below it), must be decided.
    let top = vcs
        .values()
        .flat_map(|b| b.prepared.iter().map(|p| p.seq).chain(b.pre_prepared.iter().map(|p| p.0)))
        .filter(|s| *s > h && *s <= h + window)
        .max()
        .unwrap_or(h)
        .max(highest_stable);
    let mut pps = Vec::new();
    for s in (h + 1)..=top {
        let reporting: Vec<&ViewChangeBody> = vcs.values().filter(|b| b.last_stable < s).collect();
        let prepared_at = |b: &ViewChangeBody| b.prepared.iter().find(|p| p.seq == s).map(|p| (p.view, p.digest));
        let mut chosen = None;
        let mut candidates: Vec<&PreparedCert> = vcs.values().flat_map(|b| b.prepared.iter().filter(|p| p.seq == s)).filter(|p| digest(p.request.as_ref()) == p.digest).collect();
        // Highest view first, then smallest digest, ties in their order: the stable order, by
        // insertion (a few certificates; smaller in the wasm than the standard library's sort).
        let before = |a: &PreparedCert, b: &PreparedCert| b.view.cmp(&a.view).then(a.digest.cmp(&b.digest)).is_lt();
        for i in 1..candidates.len() {
            let mut j = i;
            while j > 0 && before(candidates[j], candidates[j - 1]) {
                candidates.swap(j - 1, j);
                j -= 1;
            }
        }
        for c in candidates {
            let a1 = reporting.iter().filter(|b| prepared_at(b).map_or(true, |(v, d)| v < c.view || (v == c.view && d == c.digest))).count();
            let a2 = vcs
                .values()
                .filter(|b| b.pre_prepared.iter().any(|p| p.0 == s && p.1 >= c.view && p.2 == c.digest) || b.prepared.iter().any(|p| p.seq == s && p.view >= c.view && p.digest == c.digest))
                .count();
            if a1 >= q && a2 > f {
                chosen = Some((s, c.digest, c.request.clone()));
                break;
            }
        }
        match chosen {
            Some(c) => pps.push(c),
            None if reporting.iter().filter(|b| prepared_at(b).is_none()).count() >= q => pps.push((s, NULL_DIGEST, None)),
            None => return None,
        }
    }
    Some(((h, hd), pps))
}
