//! Multi-Paxos as a [`Protocol`]: the node ([`Replica`]) with its timers, its persistence rule,
//! the replicated key-value store and its client sessions, and what it narrates; and Paxos's
//! actions on the generic simulator.
//!
//! Messages ("Paxos Made Simple" §2.2–2.3, §3; ballots are `(round, node)`):
//! - `Prepare {ballot}` (phase 1a), `Promise {ballot, accepted: [{slot, ballot, value}]}`
//!   (phase 1b, every proposal the acceptor accepted), `Accept {ballot, slot, value}` (phase
//!   2a), `Accepted {ballot, slot, value}` (phase 2b, from the acceptor to every learner),
//!   `Nack {ballot, promised}` (a Prepare, Accept or Heartbeat refused: a higher ballot is
//!   promised);
//! - the leader's own: `Heartbeat {ballot, chosenThrough}` (liveness, every `heartbeat_us`;
//!   every slot up to `chosenThrough` is chosen at the leader), `CatchUp {next}` (a learner
//!   that is behind asks the leader for the values chosen from slot `next` on), `Commit {ballot,
//!   slot, value}` (the leader's answer: that value was chosen in that slot), `Forward {value}`
//!   (a command given to a follower, passed to the leader it knows).
//!
//! Values are JSON text; a no-op is `null`. A decision's index is its slot.

use crate::collections::Map;
use crate::error::{Error, Result};
use crate::kv::{ClientId, Command, Kv};
use crate::protocol::{node_name, Answer, BugInfo, BugSet, ClientCall, Ctx, Effect, Micros, NodeId, Out, Protocol};
use crate::sim::{ClientReply, SimConfig, Simulation};

use super::check::Checker;
use super::node::{AcceptedEntry, Ballot, Replica, Role, Slot};
use super::notes::{Note, Why};

/// A message between Paxos nodes (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Phase 1a: a proposer asks acceptors to promise `ballot` (§2.2).
    Prepare {
        /// The proposer's ballot.
        ballot: Ballot,
    },
    /// Phase 1b: the acceptor promises never to accept a ballot below `ballot`, and reports
    /// every proposal it accepted (§2.2).
    Promise {
        /// The ballot promised.
        ballot: Ballot,
        /// The acceptor's accepted proposals, one per slot, in slot order.
        accepted: Vec<AcceptedEntry>,
    },
    /// Phase 2a: the leader asks acceptors to accept `value` in `slot` under `ballot`.
    Accept {
        /// The leader's ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The value (JSON text; `null`: a no-op).
        value: String,
    },
    /// Phase 2b: the acceptor accepted, told to every learner (§2.3).
    Accepted {
        /// The ballot accepted.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The value.
        value: String,
    },
    /// A Prepare, Accept or Heartbeat of `ballot` refused: the acceptor promised `promised`.
    Nack {
        /// The ballot refused.
        ballot: Ballot,
        /// The higher ballot promised.
        promised: Ballot,
    },
    /// The leader's liveness message: it still leads with `ballot`; every slot up to
    /// `chosen_through` is chosen at the leader.
    Heartbeat {
        /// The leader's ballot.
        ballot: Ballot,
        /// Slots chosen at the leader, all of them, up to this one (0: none).
        chosen_through: Slot,
    },
    /// A learner that is behind asks the leader for the values chosen from slot `next` on.
    CatchUp {
        /// The first slot it lacks.
        next: Slot,
    },
    /// The leader's answer to CatchUp: `value` was chosen in `slot`.
    Commit {
        /// The leader's ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The value chosen.
        value: String,
    },
    /// A command given to a follower, passed to the leader it knows.
    Forward {
        /// The command (JSON text).
        value: String,
    },
}

impl Msg {
    /// The message's kind as the page names it: `Prepare`, `Promise`, `Accept`, `Accepted`,
    /// `Nack`, `Heartbeat`, `CatchUp`, `Commit` or `Forward`.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Prepare { .. } => "Prepare",
            Msg::Promise { .. } => "Promise",
            Msg::Accept { .. } => "Accept",
            Msg::Accepted { .. } => "Accepted",
            Msg::Nack { .. } => "Nack",
            Msg::Heartbeat { .. } => "Heartbeat",
            Msg::CatchUp { .. } => "CatchUp",
            Msg::Commit { .. } => "Commit",
            Msg::Forward { .. } => "Forward",
        }
    }
}

/// Paxos's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// A follower (or candidate) that hears nothing from a leader for `leader_timeout_us`
    /// suspects it and wants to lead.
    LeaderTimeout,
    /// The random wait before trying to lead (`backoff`).
    Backoff,
    /// The leader's heartbeat interval.
    Heartbeat,
}

/// Paxos's settings, beyond the simulator's (µs).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The leader's heartbeat interval (default 50 ms).
    pub heartbeat_us: Micros,
    /// A follower suspects the leader after this much silence (default 200 ms).
    pub leader_timeout_us: Micros,
    /// Backoff (default true): a node that wants to lead (its leader suspected, or a command
    /// given while it knows no leader) first waits a random time, uniform in `[0, backoff_us]`,
    /// and gives up if it hears a leader meanwhile; a proposer preempted by a higher ballot
    /// follows, and tries again only when its follower's timer runs out. Off: a node that wants
    /// to lead runs phase 1 at once, and a preempted proposer runs it again at once with a
    /// higher ballot, so two proposers can preempt each other forever (the dueling proposers of
    /// §2.4's remark on progress: safe, but nothing is chosen).
    pub backoff: bool,
    /// The longest backoff (default 150 ms).
    pub backoff_us: Micros,
    /// Deliberate bugs in every node (see [`super::Bug`]; default none).
    pub bugs: BugSet,
}

impl Default for Options {
    fn default() -> Self {
        Options { heartbeat_us: 50_000, leader_timeout_us: 200_000, backoff: true, backoff_us: 150_000, bugs: BugSet::NONE }
    }
}

impl Options {
    /// Checks every rule; errors name the JS key (`heartbeatMs`, `leaderTimeoutMs`,
    /// `backoffMs`) and the rule.
    pub fn validate(&self) -> Result<()> {
        let max = crate::sim::config::MAX_DURATION_US;
        if self.heartbeat_us == 0 || self.heartbeat_us > max {
            return Err(Error::invalid("heartbeatMs", "must be above 0 and at most 3600000 ms"));
        }
        if self.leader_timeout_us == 0 || self.leader_timeout_us > max {
            return Err(Error::invalid("leaderTimeoutMs", "must be above 0 and at most 3600000 ms"));
        }
        if self.backoff_us > max {
            return Err(Error::invalid("backoffMs", "must be from 0 to 3600000 ms"));
        }
        Ok(())
    }
}

/// Multi-Paxos, with its options: the [`Protocol`] the simulator drives.
#[derive(Clone, Debug, PartialEq)]
pub struct Paxos {
    /// The settings every node follows.
    pub options: Options,
}

/// A decided value, as the checker sees it: the value chosen in a slot, executed in slot order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The slot.
    pub slot: Slot,
    /// The value (JSON text; `null`: a no-op).
    pub value: String,
}

/// One simulated Paxos node: the core, its key-value state machine, and the answers it owes
/// clients.
#[derive(Clone, Debug)]
pub struct PaxosNode {
    /// Acceptor, proposer and learner.
    pub core: Replica,
    /// The state machine, as this node has executed the chosen values (volatile: rebuilt after
    /// a restart from the values it learns again).
    pub kv: Kv,
    /// Slot → (client index, client id, seq): answered when the slot is executed.
    owed: Map<Slot, (usize, ClientId, u64)>,
}

impl Protocol for Paxos {
    type Node = PaxosNode;
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Decision = Decision;
    type Checker = Checker;

    const BUGS: &'static [BugInfo] = &super::bug::BUG_LIST;

    fn set_bugs(&mut self, _nodes: &mut [PaxosNode], bugs: BugSet) {
        self.options.bugs = bugs;
    }

    fn bugs(&self) -> BugSet {
        self.options.bugs
    }

    fn new_node(&self, id: NodeId, members: &[NodeId]) -> PaxosNode {
        PaxosNode { core: Replica::new(id, members.len()), kv: Kv::new(), owed: Map::new() }
    }

    fn on_start(&self, n: &mut PaxosNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.start(&self.options, out);
    }

    fn on_msg(&self, n: &mut PaxosNode, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) -> (Note, bool) {
        let (what, routine) = n.core.on_msg(&self.options, cx, from, msg, out);
        (Note::Msg { at: cx.me, from, what }, routine)
    }

    fn on_timer(&self, n: &mut PaxosNode, cx: &mut Ctx, timer: Timer, out: &mut Out<Self>) {
        match timer {
            Timer::LeaderTimeout => n.core.leader_timeout(&self.options, cx, out),
            Timer::Backoff => n.core.backoff_over(&self.options, cx, out),
            Timer::Heartbeat => n.core.heartbeat(&self.options, cx, out),
        }
    }

    fn on_client(&self, n: &mut PaxosNode, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>) {
        let (c, id, seq) = (call.client, call.id, call.command.seq);
        if n.core.role() == Role::Leader {
            out.note(Note::ClientProposed { at: cx.me, client: id, op: call.command.op.clone(), slot: n.core.next_slot() });
            let slot = n.core.lead_propose(&self.options, call.command.encode(), out);
            n.owed.insert(slot, (c, id, seq));
        } else {
            let leader = n.core.leader();
            out.note(Note::Redirect { at: cx.me, client: Some(id), leader });
            out.push(Effect::Reply { client: c, seq, answer: Answer::Redirect(leader) });
        }
    }

    /// Returns the slot when the node leads and proposes the command itself; 0 when it
    /// forwarded the command to the leader it knows, or queued it (it tries to lead, and
    /// proposes it once it does). Never refuses.
    fn propose(&self, n: &mut PaxosNode, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
        Ok(n.core.propose(&self.options, cx, command, out))
    }

    fn on_crash(&self, n: &mut PaxosNode, cx: &mut Ctx, out: &mut Out<Self>) {
        out.note(Note::Crash { at: cx.me, promised: n.core.promised(), accepted: n.core.accepted().len() });
    }

    fn on_restart(&self, n: &mut PaxosNode, cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.restart(&self.options);
        n.kv = Kv::new();
        n.owed = Map::new();
        out.note(Note::Restart { at: cx.me, promised: n.core.promised(), accepted: n.core.accepted().len() });
        n.core.start(&self.options, out);
    }

    fn on_resume(&self, n: &mut PaxosNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.resume(out);
    }

    /// Chosen values are executed in slot order (the checker sees each decision); the node
    /// that took a client's command answers it when its slot is executed with that command.
    fn settle(&self, n: &mut PaxosNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        while let Some((slot, value)) = n.core.next_to_execute() {
            let reply = Command::decode(&value).and_then(|cmd| {
                let output = n.kv.apply(&cmd);
                let (c, id, seq) = n.owed.remove(&slot)?;
                let ours = id == cmd.client && seq == cmd.seq;
                Some(Effect::Reply { client: c, seq, answer: Answer::Done(output.filter(|_| ours)?) })
            });
            n.owed.remove(&slot);
            out.push(Effect::Decide(Decision { slot, value }));
            out.extend(reply);
        }
    }

    fn after_check(&self, n: &mut PaxosNode, _cx: &mut Ctx, _out: &mut Out<Self>) {
        n.core.trail.clear();
    }

    /// The round of the ballot a leader runs phase 2 with (the simulator breaks ties between
    /// equal rounds by the higher node id, as ballots do).
    fn leads(&self, n: &PaxosNode) -> Option<u64> {
        (n.core.role() == Role::Leader).then(|| n.core.ballot().round)
    }

    fn committed_members(&self, _n: &PaxosNode) -> Option<Vec<NodeId>> {
        None
    }

    fn elections(&self, n: &PaxosNode) -> u64 {
        n.core.elections()
    }

    fn msg_kind(msg: &Msg) -> &'static str {
        msg.kind()
    }

    fn note_kind(note: &Note) -> &'static str {
        note.kind()
    }

    fn note_routine(note: &Note) -> bool {
        note.routine()
    }

    fn describe(&self, note: &Note, names: &[String]) -> String {
        note.describe(names)
    }
}

/// A Paxos cluster in the simulator.
pub type PaxosSimulation = Simulation<Paxos>;

/// Paxos's actions and views on the generic simulator: what the page's buttons and the tests
/// call.
impl Simulation<Paxos> {
    /// A cluster of followers with no promise, each with its follower's timer running.
    ///
    /// Errors: the config breaks a rule of [`SimConfig::validate`], or the options one of
    /// [`Options::validate`].
    pub fn new(config: SimConfig, options: Options) -> Result<Self> {
        options.validate()?;
        Simulation::start(config, Paxos { options })
    }

    /// The Paxos state of node `i` (0-based).
    pub fn node(&self, i: NodeId) -> &Replica {
        &self.node_state(i).core
    }

    /// Node `i`'s key-value state machine.
    pub fn kv(&self, i: NodeId) -> &Kv {
        &self.node_state(i).kv
    }

    /// When node `i`'s running timer (the follower's timer, the backoff, or a leader's
    /// heartbeat) was set and when it fires, µs (None: crashed).
    pub fn paxos_timer(&self, i: NodeId) -> Option<(Micros, Micros)> {
        if self.is_crashed(i) {
            return None;
        }
        let n = self.node(i);
        let kind = match n.role() {
            Role::Leader => Timer::Heartbeat,
            _ if n.backing_off() => Timer::Backoff,
            _ => Timer::LeaderTimeout,
        };
        self.timer(i, kind)
    }

    /// The user makes node `i` run phase 1 now with a new ballot (no backoff).
    /// Errors: node crashed or paused.
    pub fn start_phase1(&mut self, i: NodeId) -> Result<()> {
        self.require_running(i)?;
        let opts = self.protocol().options.clone();
        self.act(i, |_, n, cx, out| n.core.start_phase1(&opts, cx, Why::User, out));
        self.settle();
        Ok(())
    }

    /// A client sends `command` (JSON text) to node `to`, or to the current leader when `to` is
    /// None. A leader proposes it in its next slot (`index`: the slot); a follower forwards it
    /// to the leader it knows, and a node that knows none queues it and tries to lead (both
    /// `accepted`, with no `index`). Refused (not accepted) when no node leads and `to` is None,
    /// or when `to` is paused. Errors: `to` is crashed.
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
        let (slot, _) = self.act_with(i, |p, n, cx, out| p.propose(n, cx, command, out));
        self.settle();
        let slot = slot?;
        let leader = self.node(i).leader().map(node_name);
        Ok(ClientReply { accepted: true, leader, index: (slot > 0).then_some(slot) })
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
