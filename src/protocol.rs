//! The contract between a consensus mechanism and the simulator: the [`Protocol`] trait.
//!
//! A protocol is a sans-IO state machine (as quinn-proto's `Connection` is) that owns its
//! timers and hands back what to do as data (as stateright's `Actor` does): every handler
//! writes [`Effect`]s into an [`Out`] buffer — send a message, set or cancel a timer, wait for
//! a stable-storage write before the next sends, decide a value, answer a client, and narrate
//! ([`Effect::Note`]: the note is data; its sentence is built by [`Protocol::describe`] only
//! when someone reads the event log). The simulator ([`crate::sim::Simulation`]) applies the
//! effects in the order they were written — which is the order its seeded RNG is drawn in, so
//! the same seed and the same actions give the same run, bit for bit — and never names a
//! protocol: clock, network, faults, client workloads, the event log and the checker driver
//! are the same for every mechanism.
//!
//! Node ids are small integers inside (`0` is `n1`); names appear only in views, notes' sentences
//! and at the JS boundary.

use rand_pcg::Pcg64Mcg;

use crate::error::Result;
#[allow(unused_imports)] // for the doc links
use crate::error::Error;
use crate::kv::{ClientId, Command, Output};

/// Microseconds: the simulator's unit of time (the JS boundary takes ms).
pub type Micros = u64;

/// A node's id: its index, `0` for `n1`. Names (`n1` …) are for views and sentences only.
pub type NodeId = usize;

/// The name of node `id` as views and sentences spell it: `n1` for 0.
pub fn node_name(id: NodeId) -> String {
    name(id).into_owned()
}

/// [`node_name`] without allocating (for the first 32 ids, from a table of literals).
pub fn name(id: NodeId) -> std::borrow::Cow<'static, str> {
    const NAMES: [&str; 32] = ["n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11", "n12", "n13", "n14", "n15", "n16", "n17", "n18", "n19", "n20", "n21", "n22", "n23", "n24", "n25", "n26", "n27", "n28", "n29", "n30", "n31", "n32"];
    match NAMES.get(id) {
        Some(n) => std::borrow::Cow::Borrowed(n),
        None => std::borrow::Cow::Owned(format!("n{}", id + 1)),
    }
}

/// How long a timer runs. The simulator draws a random one from its seeded RNG when it
/// applies the effect ([`Delay::draw`]); a [`Delay::After`] draws nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delay {
    /// Exactly this many µs.
    After(Micros),
    /// Uniformly in `[lo, hi]` µs (a randomized election timeout, say).
    Uniform(Micros, Micros),
    /// Uniformly in `[lo, hi]` µs, then rounded to the nearest whole millisecond, as a timer
    /// library that counts whole milliseconds draws it (a uniform draw, rounded half up: the
    /// two ends are half as likely as the values between them). One draw, as `Uniform`.
    /// Native and experiments builds only (no widget uses it).
    #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
    UniformWholeMs(Micros, Micros),
}

impl Delay {
    /// The µs this delay runs for, drawing from `rng` when it is random.
    pub fn draw(self, rng: &mut impl rand::Rng) -> Micros {
        match self {
            Delay::After(us) => us,
            Delay::Uniform(lo, hi) => rng.random_range(lo..=hi),
            #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
            Delay::UniformWholeMs(lo, hi) => rng.random_range(lo..=hi).saturating_add(500) / 1_000 * 1_000,
        }
    }
}

/// An answer to a workload client's request ([`ClientCall`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The operation took effect (or was read) with this output.
    Done(Output),
    /// This node does not serve clients; the leader it knows, if any, should be tried instead.
    Redirect(Option<NodeId>),
}

/// What a protocol asks the simulator to do, in order.
#[derive(Clone, Debug)]
pub enum Effect<P: Protocol> {
    /// Send a message to another node (the network may delay, lose or duplicate it).
    Send(NodeId, P::Msg),
    /// The node wrote its persistent state: the sends after this, within the same handler, leave
    /// once the stable-storage write is done (`SimConfig::persist_us` later).
    Persist,
    /// Start a timer; it fires unless cancelled. Several of one kind may run at once.
    SetTimer(P::Timer, Delay),
    /// Cancel every running timer of this kind.
    CancelTimer(P::Timer),
    /// Cancel every running timer of this node.
    CancelTimers,
    /// Start again, at its deadline or now if that has passed, a timer that a pause suspended
    /// (see [`Protocol::on_resume`]). Its start time is kept.
    ResumeTimer(P::Timer),
    /// Narration: recorded in the event log; its sentence is built only when read.
    Note(P::Note),
    /// Answer a workload client (the answer travels with the network's latency).
    Reply {
        /// The client, by index.
        client: usize,
        /// The request's sequence number.
        seq: u64,
        /// The answer.
        answer: Answer,
    },
    /// A value is decided (committed and applied) at this node: the checker sees it.
    Decide(P::Decision),
    /// The sends after this one, within the same handler, leave this many µs later (added to
    /// any [`Effect::Persist`] wait): a traitor holding messages back (a slow leader, say).
    Hold(Micros),
}

/// The effects a handler writes. The simulator reuses one buffer for every event.
#[derive(Clone, Debug)]
pub struct Out<P: Protocol> {
    effects: Vec<Effect<P>>,
}

impl<P: Protocol> Default for Out<P> {
    fn default() -> Self {
        Out { effects: Vec::new() }
    }
}

impl<P: Protocol> Out<P> {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds an effect.
    pub fn push(&mut self, e: Effect<P>) {
        self.effects.push(e);
    }
    /// Adds effects, in order.
    pub fn extend(&mut self, effects: impl IntoIterator<Item = Effect<P>>) {
        self.effects.extend(effects);
    }
    /// Sends `msg` to `to`.
    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.effects.push(Effect::Send(to, msg));
    }
    /// Starts `timer` for `delay`.
    pub fn set_timer(&mut self, timer: P::Timer, delay: Delay) {
        self.effects.push(Effect::SetTimer(timer, delay));
    }
    /// Records a note.
    pub fn note(&mut self, note: P::Note) {
        self.effects.push(Effect::Note(note));
    }
    /// The effects written so far, in order.
    pub fn effects(&self) -> &[Effect<P>] {
        &self.effects
    }
    /// Takes the effects out, leaving the buffer empty (its capacity is kept by the caller that
    /// hands it back with [`restore`](Self::restore)).
    pub fn take(&mut self) -> Vec<Effect<P>> {
        std::mem::take(&mut self.effects)
    }
    /// Gives back an emptied vector, so its capacity serves the next event.
    pub fn restore(&mut self, mut v: Vec<Effect<P>>) {
        v.clear();
        if self.effects.is_empty() {
            self.effects = v;
        }
    }
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }
}

/// What a handler knows of its surroundings: who it is, the time, how many nodes exist, and the
/// simulation's seeded RNG (for protocols that choose at random, such as which peers to contact; a
/// protocol that draws nothing leaves the stream as it is).
pub struct Ctx<'a> {
    /// This node.
    pub me: NodeId,
    /// Simulated time, µs.
    pub now: Micros,
    /// How many nodes the simulation has (ids `0 .. nodes`).
    pub nodes: usize,
    /// The simulation's RNG.
    pub rng: &'a mut Pcg64Mcg,
}

/// A request from a workload client (see `sim::Workload`), as it reaches a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCall {
    /// The client, by index (answers go back to it with [`Effect::Reply`]).
    pub client: usize,
    /// The client's id in the key-value store's sessions (dissertation §6.3).
    pub id: ClientId,
    /// The command: operation, client id and sequence number.
    pub command: Command,
}

/// A deliberate bug a protocol offers (see [`Protocol::BUGS`]): its name as the CLI, the page
/// and the JS API spell it, and the rule it breaks, in a few words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BugInfo {
    /// `figure8`, `no-log-check`, …
    pub name: &'static str,
    /// The rule it breaks, with the paper's section.
    pub breaks: &'static str,
}

/// A Byzantine behaviour: its name as the CLI, the page and the JS API spell it, and what a
/// traitor showing it does, in a few words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BehaviourInfo {
    /// `silent`, `equivocate`, …
    pub name: &'static str,
    /// What the traitor does.
    pub does: &'static str,
}

/// The behaviours the simulator acts out itself, for every protocol (it withholds the
/// traitor's messages): [`Byzantine::Silent`] and [`Byzantine::Mute`].
pub const SIM_BEHAVIOURS: [BehaviourInfo; 2] = [
    BehaviourInfo { name: "silent", does: "sends nothing (it still hears and keeps its state)" },
    BehaviourInfo { name: "mute", does: "sends nothing to the nodes chosen, and the truth to the others" },
];

/// What a traitor (a Byzantine node: Lamport, Shostak & Pease 1982; Castro & Liskov 1999 §2)
/// does. It can lie, equivocate and keep quiet, but it speaks only as itself: the simulator
/// stamps the true sender on every message (authenticated channels), and the checker judges
/// only the honest nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Byzantine {
    /// Sends nothing: the simulator withholds every message its handlers write.
    Silent,
    /// Sends nothing to these nodes (by id, increasing); the truth to the others.
    Mute(Vec<NodeId>),
    /// The protocol's own behaviour `BEHAVIOURS[i]` ([`Protocol::BEHAVIOURS`]), acted out by
    /// the protocol's handlers.
    Lie(usize),
}

impl Byzantine {
    /// The behaviour's name: `silent`, `mute` or the protocol's own from `list` (its
    /// [`Protocol::BEHAVIOURS`]).
    pub fn name(&self, list: &'static [BehaviourInfo]) -> &'static str {
        match self {
            Byzantine::Silent => SIM_BEHAVIOURS[0].name,
            Byzantine::Mute(_) => SIM_BEHAVIOURS[1].name,
            Byzantine::Lie(i) => list.get(*i).map_or("?", |b| b.name),
        }
    }

    /// The behaviour named `name` (`silent`, `mute` with `targets`, or one of `list`), if any.
    pub fn named(name: &str, list: &'static [BehaviourInfo], targets: Vec<NodeId>) -> Option<Byzantine> {
        match name {
            "silent" => Some(Byzantine::Silent),
            "mute" => Some(Byzantine::Mute(targets)),
            _ => list.iter().position(|b| b.name == name).map(Byzantine::Lie),
        }
    }

    /// Every behaviour's name a protocol with `list` offers: the simulator's, then its own.
    pub fn names(list: &'static [BehaviourInfo]) -> Vec<&'static str> {
        SIM_BEHAVIOURS.iter().chain(list).map(|b| b.name).collect()
    }

    /// Whether a message to `to` is withheld (never sent).
    pub fn withholds(&self, to: NodeId) -> bool {
        match self {
            Byzantine::Silent => true,
            Byzantine::Mute(targets) => targets.contains(&to),
            Byzantine::Lie(_) => false,
        }
    }
}

/// A set of a protocol's deliberate bugs: bit `i` is `P::BUGS[i]` (empty: the protocol as its
/// paper states it). A protocol indexes it with its own bug enum (`impl From<Bug> for usize`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BugSet(u32);

impl BugSet {
    /// No bugs.
    pub const NONE: BugSet = BugSet(0);

    /// Whether bug `bug` (an index into the protocol's [`Protocol::BUGS`]) is on.
    pub fn has(self, bug: impl Into<usize>) -> bool {
        let i = bug.into();
        i < 32 && self.0 & (1 << i) != 0
    }

    /// This set with `bug` switched on or off.
    pub fn with(self, bug: impl Into<usize>, on: bool) -> BugSet {
        let i = bug.into();
        assert!(i < 32, "a protocol has at most 32 bug switches");
        if on {
            BugSet(self.0 | (1 << i))
        } else {
            BugSet(self.0 & !(1 << i))
        }
    }

    /// The indexes of the bugs that are on, in order.
    pub fn indexes(self) -> impl Iterator<Item = usize> {
        (0..32).filter(move |i| self.0 & (1 << i) != 0)
    }

    /// The names of the bugs that are on, in order, from `list` (a protocol's [`Protocol::BUGS`]).
    pub fn names(self, list: &'static [BugInfo]) -> Vec<&'static str> {
        self.indexes().filter_map(|i| list.get(i).map(|b| b.name)).collect()
    }

    /// The index in `list` of the bug named `name`, if any.
    pub fn index_of(list: &'static [BugInfo], name: &str) -> Option<usize> {
        list.iter().position(|b| b.name == name)
    }
}

/// A safety violation: the rule, the nodes involved (by name), when (µs) and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The rule broken, e.g. `"Election Safety"`.
    pub rule: &'static str,
    /// The nodes involved, by name.
    pub nodes: Vec<String>,
    /// Simulated time of detection, µs.
    #[serde(skip)]
    pub time_us: Micros,
    /// What was seen, in words.
    pub detail: String,
    /// The position in the replicated sequence the violation is about, when it names one (a
    /// log index, a slot, a sequence number: the protocol's own numbering); the page highlights
    /// that column of its grid. Not in the CLI's output, which stays as it was.
    #[serde(skip)]
    pub index: Option<u64>,
}

/// A protocol's invariants, checked by the simulator after every event. Checks are incremental:
/// `touched` lists the nodes the event changed (in increasing order); a checker looks at what
/// they changed, and at the rest only where a cluster-wide property needs it.
pub trait Invariants<P: Protocol>: Clone + std::fmt::Debug {
    /// A checker for `nodes` nodes.
    fn new(nodes: usize) -> Self;
    /// A node joined (its state starts empty).
    fn add_node(&mut self);
    /// Node `node` restarted: its volatile state starts again.
    fn on_restart(&mut self, node: NodeId);
    /// Node `node` decided `decision` (from an [`Effect::Decide`]).
    fn on_decide(&mut self, now: Micros, node: NodeId, decision: &P::Decision);
    /// After an event: check what `touched` changed. `nodes` is every node, crashed ones too.
    fn check(&mut self, now: Micros, nodes: &mut [P::Node], touched: &[NodeId]);
    /// A workload client accepted `output` for its command `seq` (client `client`'s id), on the
    /// matching answers of `from` (their ids, increasing; [`Protocol::client_quorum`] of
    /// them). Default: ignored. A Byzantine-tolerant protocol checks that honest nodes
    /// produced it.
    fn on_client_accept(&mut self, _now: Micros, _client: ClientId, _seq: u64, _output: &Output, _from: &[NodeId]) {}
    /// Node `node` became a traitor (`true`) or was made honest again (`false`). The checker
    /// judges only honest nodes; a checker may keep not judging a node that was ever a traitor
    /// (its state may hold what it lied about). Default: ignored (a protocol without traitors
    /// of its own; the simulator's `silent` and `mute` only omit messages).
    fn set_byzantine(&mut self, _node: NodeId, _traitor: bool) {}
    /// Violations found so far, oldest first.
    fn violations(&self) -> &[Violation];
    /// How many values are known decided cluster-wide (the `committed` counter).
    fn decided(&self) -> u64;
}

/// One consensus mechanism, as the simulator drives it. Handlers never fail: input from the
/// network is well-formed by construction (the JS boundary validates what people type), and a
/// message that makes no sense gets the protocol's answer.
pub trait Protocol: Sized + Clone + std::fmt::Debug + 'static {
    /// One node's state.
    type Node: Clone + std::fmt::Debug;
    /// A message between nodes.
    type Msg: Clone + std::fmt::Debug + PartialEq;
    /// A timer kind (several of one kind may run; [`Effect::CancelTimer`] cancels all of a kind).
    type Timer: Copy + Eq + Ord + std::fmt::Debug;
    /// Narration as data; [`describe`](Self::describe) builds its sentence.
    type Note: Clone + std::fmt::Debug;
    /// A decided value, as the checker sees it.
    type Decision: Clone + std::fmt::Debug;
    /// The protocol's invariants.
    type Checker: Invariants<Self>;

    /// The most nodes a simulation of this protocol may have: the simulator's
    /// [`crate::sim::config::MAX_NODES`] (what the page's ring draws) unless the protocol is
    /// built for populations of agents (thousands).
    const MAX_NODES: usize = crate::sim::config::MAX_NODES;
    /// Whether a node can ever lead ([`leads`](Self::leads) can be Some). When false, the
    /// simulator neither times leaderless periods nor asks for a committed configuration
    /// after each event, which would cost a pass over every node per event.
    const LEADERS: bool = true;

    /// The protocol's deliberate bug switches, each breaking one rule of its paper so that the
    /// checker can be seen to catch it (a checker that never fires proves nothing). Bit `i` of a
    /// [`BugSet`] is `BUGS[i]`.
    const BUGS: &'static [BugInfo] = &[];
    /// Switches exactly the bugs in `bugs` on, in the protocol's settings and in every node.
    fn set_bugs(&mut self, _nodes: &mut [Self::Node], _bugs: BugSet) {}
    /// The bugs that are on.
    fn bugs(&self) -> BugSet {
        BugSet::NONE
    }

    /// How many nodes must send a workload client the same answer before it accepts it (1:
    /// the first answer; a Byzantine-tolerant protocol asks f + 1, so that one honest node
    /// vouches for it). When above 1, a client that times out sends its command to every node.
    fn client_quorum(&self, _nodes: usize) -> usize {
        1
    }

    /// The protocol's own Byzantine behaviours, acted out by its handlers
    /// ([`Byzantine::Lie`]`(i)` is `BEHAVIOURS[i]`); the simulator's `silent` and `mute`
    /// ([`SIM_BEHAVIOURS`]) come on top, for every protocol.
    const BEHAVIOURS: &'static [BehaviourInfo] = &[];
    /// Node `node` becomes a traitor showing the protocol's behaviour `BEHAVIOURS[i]`
    /// (`Some(i)`), or acts honestly again (`None`, also for `silent` and `mute`, which the
    /// simulator acts out). Only indexes below `BEHAVIOURS.len()` are given.
    fn set_byzantine(&self, _node: &mut Self::Node, _behaviour: Option<usize>) {}

    /// A new node `id`, running, in a cluster of `members` (its state is empty).
    fn new_node(&self, id: NodeId, members: &[NodeId]) -> Self::Node;
    /// The node has just been created (or restarted): start its timers.
    fn on_start(&self, node: &mut Self::Node, cx: &mut Ctx, out: &mut Out<Self>);
    /// A message from `from` arrives. Returns the note that describes the delivery (recorded
    /// after the notes the handler wrote) and whether it is routine traffic that changes
    /// nothing (the page hides those unless asked).
    fn on_msg(&self, node: &mut Self::Node, cx: &mut Ctx, from: NodeId, msg: Self::Msg, out: &mut Out<Self>) -> (Self::Note, bool);
    /// A timer fires. An event that writes no note is not counted as one (nothing happened).
    fn on_timer(&self, node: &mut Self::Node, cx: &mut Ctx, timer: Self::Timer, out: &mut Out<Self>);
    /// A workload client's request arrives. Must write a note first.
    fn on_client(&self, node: &mut Self::Node, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>);
    /// A command proposed at this node by hand (a page's button, an agent's `propose`): the node
    /// takes it (returns its index, a slot or sequence number) or refuses it, naming the leader
    /// it knows ([`Error::NotLeader`]). Writes a note when it takes it.
    fn propose(&self, node: &mut Self::Node, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64>;
    /// The node crashed (its timers are already cancelled): what survives, as a note.
    fn on_crash(&self, node: &mut Self::Node, cx: &mut Ctx, out: &mut Out<Self>);
    /// The node restarts after a crash with its persistent state only.
    fn on_restart(&self, node: &mut Self::Node, cx: &mut Ctx, out: &mut Out<Self>);
    /// The node resumes after a pause (its timers were suspended): re-arm what it needs.
    fn on_resume(&self, node: &mut Self::Node, cx: &mut Ctx, out: &mut Out<Self>);
    /// After every event, for each node it touched: bring the node to rest (apply what was
    /// committed, keep its timers consistent). Runs before the invariants are checked.
    fn settle(&self, node: &mut Self::Node, cx: &mut Ctx, out: &mut Out<Self>);
    /// After the invariants were checked, for each touched node: work that must not hide
    /// anything from the checker (compaction, answering reads, sending snapshots).
    fn after_check(&self, node: &mut Self::Node, cx: &mut Ctx, out: &mut Out<Self>);

    /// The term (ballot, view) of a node that leads, or None when it does not lead.
    fn leads(&self, node: &Self::Node) -> Option<u64>;
    /// The members a node's committed configuration names, when that configuration was
    /// changed and committed (the simulator retires the others when the highest-term leader
    /// says so); None otherwise.
    fn committed_members(&self, node: &Self::Node) -> Option<Vec<NodeId>>;
    /// Elections (ballots, view changes) this node has started, for the simulator's counter.
    fn elections(&self, _node: &Self::Node) -> u64 {
        0
    }
    /// The message's kind as the page names it (`"RequestVote"`, `"Prepare"`, …).
    fn msg_kind(msg: &Self::Msg) -> &'static str;
    /// The event-log kind of a note (`"leader"`, `"heartbeat"`, …).
    fn note_kind(note: &Self::Note) -> &'static str;
    /// Whether the note is routine traffic that changes nothing (the page hides those unless
    /// asked), such as a leader's heartbeats.
    fn note_routine(_note: &Self::Note) -> bool {
        false
    }
    /// The note's sentence; `names[i]` is node `i`'s name.
    fn describe(&self, note: &Self::Note, names: &[String]) -> String;
}
