//! A deterministic discrete-event simulator for any [`Protocol`].
//!
//! The simulator owns everything a protocol does not: time (integer µs), the network
//! (per-message latency drawn from a seeded RNG, loss, duplication, cut links, partitions),
//! timers (a protocol sets and cancels them as [`Effect`]s; the simulator draws their durations
//! and fires them), crashes, restarts, pauses, key-value client workloads ([`Workload`]), the
//! event log, counters, and the driver of the protocol's invariant checker, run after every
//! event on the nodes the event touched. It never reads a clock or an OS RNG and never names a
//! protocol: the same [`SimConfig`], protocol and calls give the same events, bit for bit.
//!
//! Events are handled in order of time, ties in order of scheduling. Names follow stateright's
//! environment: a message is delivered or lost, a timer fires, a node crashes and restarts.

pub mod chaos;
mod clients;
pub mod config;
mod linearizable;
pub mod measure;
pub mod message_log;
pub mod network;
pub mod view;

use std::collections::{BinaryHeap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::protocol::{Answer, BugSet, Byzantine, Ctx, Delay, Effect, Invariants, NodeId, Out, Protocol};
use crate::error::{Error, Result};

pub use crate::protocol::{Micros, Violation};
pub use clients::{HistoryOp, Workload};
pub use config::SimConfig;
pub use message_log::{Fate, LoggedMessage, MessageLog, MESSAGE_LOG_CAPACITY};
pub use network::Network;
pub use view::{ClientReply, EventView, Stats};

/// How many recent events [`Simulation::events_since`] can return.
pub const EVENT_LOG_CAPACITY: usize = 500;

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<M> {
    /// Unique within a simulation, in order of sending.
    pub id: u64,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// When it was sent, µs.
    pub sent_at: Micros,
    /// When it will be delivered, µs.
    pub deliver_at: Micros,
    /// What it carries.
    pub payload: M,
}

/// What an entry of the event queue does. Kept small (16 bytes for a one-byte timer kind): the
/// queue moves entries on every push and pop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheduled<T> {
    Deliver(u64),
    /// A timer of `node`, live while the node's generation and the kind's are still these
    /// (generations count cancellations, wrapping: a timer would need 2³² cancellations of
    /// its node while pending to be mistaken for a live one).
    Timer { node: u32, timer: T, generation: u32, kind_generation: u32 },
    /// A client event (see [`clients`]), by id.
    Client(u64),
}

/// An entry of the event queue: `ev` happens at `at`, and was the `seq`-th thing scheduled.
/// Ordered by `(at, seq)` alone, reversed (the heap is a max-heap: the earliest is on top).
/// `seq` is unique, so no two entries compare equal and the order never looks at `ev`.
#[derive(Clone, Copy, Debug)]
struct Due<T> {
    at: Micros,
    seq: u64,
    ev: Scheduled<T>,
}

impl<T> PartialEq for Due<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<T> Eq for Due<T> {}

impl<T> PartialOrd for Due<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Due<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Messages in flight by id. Ids are handed out in increasing order and most messages arrive
/// soon, so a window of slots from the oldest message still in flight serves every operation
/// in constant time (a sorted map shifted its whole tail on every delivery), and iterates in id
/// order.
#[derive(Clone, Debug)]
struct InFlight<M> {
    /// The id of `slots[0]`.
    base: u64,
    slots: VecDeque<Option<Message<M>>>,
}

impl<M> Default for InFlight<M> {
    fn default() -> Self {
        InFlight { base: 1, slots: VecDeque::new() }
    }
}

impl<M> InFlight<M> {
    fn insert(&mut self, id: u64, m: Message<M>) {
        if id == self.base + self.slots.len() as u64 {
            // The usual case: the next id.
            self.slots.push_back(Some(m));
            return;
        }
        while self.base + (self.slots.len() as u64) <= id {
            self.slots.push_back(None);
        }
        self.slots[(id - self.base) as usize] = Some(m);
    }
    fn get(&self, id: &u64) -> Option<&Message<M>> {
        id.checked_sub(self.base).and_then(|k| self.slots.get(k as usize)).and_then(Option::as_ref)
    }
    fn remove(&mut self, id: &u64) -> Option<Message<M>> {
        let k = id.checked_sub(self.base)? as usize;
        let m = self.slots.get_mut(k)?.take();
        while self.slots.front().is_some_and(Option::is_none) {
            self.slots.pop_front();
            self.base += 1;
        }
        m
    }
    fn values(&self) -> impl Iterator<Item = &Message<M>> {
        self.slots.iter().flatten()
    }
}

/// The event queue: earliest first, ties in order of scheduling.
type Queue<T> = BinaryHeap<Due<T>>;

/// An event in brief, without its sentence: see [`Simulation::step_brief`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Brief {
    /// The record's kind (`deliver`, `heartbeat`, …).
    pub kind: &'static str,
    /// The node it happened at.
    pub node: Option<NodeId>,
    /// For message events: the message's kind, sender and receiver.
    pub message: Option<(&'static str, NodeId, NodeId)>,
}

/// The last start of one kind of timer on a node: for views (an election deadline) and for
/// [`Effect::ResumeTimer`].
#[derive(Clone, Copy, Debug)]
struct TimerSlot<T> {
    timer: T,
    /// Bumped (wrapping) by [`Effect::CancelTimer`].
    generation: u32,
    /// When it was last set, and its deadline, µs.
    set_at: Micros,
    deadline: Micros,
    /// The entry of this kind in the queue that a later start may ride on: `(at, seq, node
    /// generation, kind generation)`. Still queued while Some.
    #[cfg(not(target_family = "wasm"))]
    queued: Option<Pending>,
    /// A start that rides on `queued` instead of entering the queue: when `queued` comes out, this
    /// goes in with its own `(at, seq)`, so events come out in the order they would have had.
    #[cfg(not(target_family = "wasm"))]
    next: Option<Pending>,
}

/// A timer start: its deadline, its seq, and the node's and the kind's generations then.
#[cfg(not(target_family = "wasm"))]
type Pending = (Micros, u64, u32, u32);

/// Fast paths of the native build that weigh too much for the wasm (the widget's build is sized
/// for the page: 0.4 KB gzip): timer starts riding on queued entries (`TimerSlot::next`) and
/// the event log's ring turned in place (`push_record`). Runs are the same either way (events,
/// seqs, RNG draws); only the queue's length and the copies differ.
const FAST_PATHS: bool = cfg!(not(target_family = "wasm"));

#[derive(Clone, Debug)]
struct SimNode<P: Protocol> {
    crashed: bool,
    /// A frozen process: it handles nothing until resumed; messages wait in `inbox`.
    paused: bool,
    /// Ids of messages that arrived while paused, in arrival order.
    inbox: Vec<u64>,
    /// Messages that were waiting for a stable-storage write (`SimConfig::persist_us`) when the
    /// node paused: a frozen process sends nothing, so they leave on resume.
    outbox: Vec<Message<P::Msg>>,
    /// Bumped (wrapping) to cancel every pending timer of the node.
    generation: u32,
    /// Per timer kind: its generation and last start.
    timers: Vec<TimerSlot<P::Timer>>,
    /// Left the cluster (a committed configuration no longer names it): shut down for good.
    removed: bool,
    /// A traitor's behaviour (None: honest).
    byzantine: Option<Byzantine>,
}

impl<P: Protocol> SimNode<P> {
    /// A node that runs, with no timers and nothing held.
    fn running() -> Self {
        SimNode { crashed: false, paused: false, inbox: Vec::new(), outbox: Vec::new(), generation: 0, timers: Vec::new(), removed: false, byzantine: None }
    }
}

/// One event-log record; the sentence is built when read ([`Simulation::events_since`]).
#[derive(Clone, Debug)]
struct Record<N> {
    seq: u64,
    time: Micros,
    kind: &'static str,
    node: Option<NodeId>,
    /// For message events: id, kind, from, to.
    message: Option<(u64, &'static str, NodeId, NodeId)>,
    text: Text<N>,
    routine: bool,
}

/// What a record says, as data.
#[derive(Clone, Debug)]
enum Text<N> {
    /// The protocol's note.
    Note(N),
    /// The simulator's own.
    Sim(view::SimNote),
}

/// The simulation: a cluster `n1` … `nN` running protocol `P`, its network and its clock.
#[derive(Clone, Debug)]
pub struct Simulation<P: Protocol> {
    proto: P,
    config: SimConfig,
    network: Network,
    rng: Pcg64Mcg,
    now: Micros,
    seq: u64,
    queue: Queue<P::Timer>,
    names: Vec<String>,
    /// The simulator's side of each node (faults, timers, held messages).
    nodes: Vec<SimNode<P>>,
    /// The protocol's side of each node.
    states: Vec<P::Node>,
    in_flight: InFlight<P::Msg>,
    next_message_id: u64,
    /// The recent messages and their fates, for a space-time diagram.
    message_log: MessageLog,
    checker: P::Checker,
    stats: Stats,
    /// Since when no running node has led (None while one does): `Stats::leaderless_*`.
    leaderless_since: Option<Micros>,
    events: VecDeque<Record<P::Note>>,
    event_seq: u64,
    clients: clients::Clients,
    /// Nodes whose handlers ran since the last settling, in order of first touch.
    touched: Vec<NodeId>,
    /// The effects buffer, reused.
    out: Out<P>,
    /// How many of the checker's violations are in the event log already.
    logged_violations: usize,
    /// Inside [`settle`](Self::settle): what it runs on the touched nodes touches nothing new.
    settling: bool,
}

/// True with probability `p` (0–1; a `p` outside gives false). Draws from `rng` exactly as
/// `Rng::random_bool` does (same stream, same outcomes: the test below holds it to that),
/// without its out-of-range panic, whose message formats a float and so linked all of float
/// formatting into the wasm (~8.6 KB gzip).
pub fn chance(rng: &mut Pcg64Mcg, p: f64) -> bool {
    rand::distr::Bernoulli::new(p).is_ok_and(|b| rng.sample(b))
}

impl<P: Protocol> Simulation<P> {
    /// A cluster of `config.nodes` fresh nodes of `proto`, each started in id order.
    ///
    /// Errors: the config breaks a rule of [`SimConfig::validate`].
    pub fn start(config: SimConfig, proto: P) -> Result<Self> {
        config.validate_up_to(P::MAX_NODES)?;
        let n = config.nodes;
        let members: Vec<NodeId> = (0..n).collect();
        let states = (0..n).map(|i| proto.new_node(i, &members)).collect();
        let nodes = (0..n)
            .map(|_| SimNode::running())
            .collect();
        let mut sim = Simulation {
            rng: Pcg64Mcg::seed_from_u64(config.seed),
            checker: P::Checker::new(n),
            network: Network::new(config.latency_us, config.drop_rate, config.duplicate_rate),
            proto,
            config,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            names: (0..n).map(crate::protocol::node_name).collect(),
            nodes,
            states,
            in_flight: InFlight::default(),
            next_message_id: 1,
            message_log: MessageLog::default(),
            stats: Stats::default(),
            leaderless_since: Some(0),
            events: VecDeque::with_capacity(if FAST_PATHS { EVENT_LOG_CAPACITY } else { 0 }),
            event_seq: 0,
            clients: clients::Clients::new(),
            touched: Vec::new(),
            out: Out::new(),
            logged_violations: 0,
            settling: false,
        };
        for i in 0..n {
            sim.act(i, |p, node, cx, out| p.on_start(node, cx, out));
            // Large populations (thousands of nodes): no list of every node to search at each
            // start. Nothing reads `touched` before it is cleared below, so runs are the same.
            if P::MAX_NODES > config::MAX_NODES {
                sim.touched.clear();
            }
        }
        sim.touched.clear();
        Ok(sim)
    }

    // ---- queries ------------------------------------------------------------------------

    /// The protocol (its options).
    pub fn protocol(&self) -> &P {
        &self.proto
    }
    /// The simulator's settings.
    pub fn sim_config(&self) -> &SimConfig {
        &self.config
    }
    /// Simulated time, µs.
    pub fn now(&self) -> Micros {
        self.now
    }
    /// Node names, `n1` … `nN`.
    pub fn ids(&self) -> &[String] {
        &self.names
    }
    /// Node `i`'s protocol state.
    pub fn node_state(&self, i: NodeId) -> &P::Node {
        &self.states[i]
    }
    /// Whether node `i` is crashed.
    pub fn is_crashed(&self, i: NodeId) -> bool {
        self.nodes[i].crashed
    }
    /// Whether node `i` has left the cluster (shut down after its removal committed).
    pub fn is_removed(&self, i: NodeId) -> bool {
        self.nodes[i].removed
    }
    /// Whether node `i` is paused (frozen).
    pub fn is_paused(&self, i: NodeId) -> bool {
        self.nodes[i].paused
    }
    /// Node `i`'s behaviour if it is a traitor (None: honest).
    pub fn byzantine(&self, i: NodeId) -> Option<&Byzantine> {
        self.nodes[i].byzantine.as_ref()
    }
    /// The name of node `i`'s behaviour if it is a traitor (`silent`, `mute`, or one of the
    /// protocol's [`Protocol::BEHAVIOURS`]).
    pub fn byzantine_name(&self, i: NodeId) -> Option<&'static str> {
        self.nodes[i].byzantine.as_ref().map(|b| b.name(P::BEHAVIOURS))
    }
    /// When node `i` last set a timer of kind `timer`, and its deadline, µs (None: never).
    pub fn timer(&self, i: NodeId, timer: P::Timer) -> Option<(Micros, Micros)> {
        self.nodes[i].timers.iter().find(|s| s.timer == timer).map(|s| (s.set_at, s.deadline))
    }
    /// The network as it is now (latency, loss, duplication, cut links).
    pub fn network(&self) -> &Network {
        &self.network
    }
    /// Messages in flight, in order of id.
    pub fn in_flight(&self) -> impl Iterator<Item = &Message<P::Msg>> {
        self.in_flight.values()
    }
    /// The messages sent since [`keep_message_log`](Self::keep_message_log), at most its
    /// `capacity` (the newest), oldest first, with when they left and when they were delivered
    /// or lost: what a space-time diagram draws. Empty unless asked for.
    pub fn message_log(&self) -> &MessageLog {
        &self.message_log
    }
    /// Keeps a record of the last `capacity` messages sent from now on ([`message_log`](Self::message_log);
    /// 0 stops it). Changes nothing in the run.
    /// Messages already in flight (those sent by the nodes' start) are recorded first.
    pub fn keep_message_log(&mut self, capacity: usize) {
        let was_off = self.message_log.capacity() == 0;
        self.message_log.keep(capacity);
        if was_off {
            for m in self.in_flight.values() {
                self.message_log.sent(m.id, m.from, m.to, P::msg_kind(&m.payload), m.sent_at, m.deliver_at);
            }
        }
    }
    /// The simulation's RNG, for actions that draw (a random agent to write at): a draw here
    /// changes the run that follows, the same way for the same seed and the same calls.
    pub fn rng(&mut self) -> &mut Pcg64Mcg {
        &mut self.rng
    }
    /// The protocol's invariant checker.
    pub fn checker(&self) -> &P::Checker {
        &self.checker
    }
    /// Safety violations found so far: empty when safe.
    pub fn violations(&self) -> &[Violation] {
        self.checker.violations()
    }
    /// Counters since the start.
    pub fn stats(&self) -> Stats {
        let elections = self.states.iter().map(|n| self.proto.elections(n)).sum();
        Stats { committed: self.checker.decided(), elections, ..self.stats }
    }
    /// The index of node `id`. Errors: `param` names the argument, the rule lists the ids.
    pub fn index_of(&self, param: &str, id: &str) -> Result<NodeId> {
        self.names.iter().position(|x| x == id).ok_or_else(|| {
            Error::invalid(param, format!("must be a node id, n1 to n{} (\"{id}\" is not)", self.names.len()))
        })
    }
    /// The leader of the highest term among nodes that are not crashed (paused ones count), if any.
    pub fn leader(&self) -> Option<NodeId> {
        let mut best: Option<(u64, NodeId)> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if let (false, Some(t)) = (n.crashed, self.proto.leads(&self.states[i])) {
                if best.map_or(true, |(bt, _)| t >= bt) {
                    best = Some((t, i));
                }
            }
        }
        best.map(|(_, i)| i)
    }
    /// The next event's time, µs, if any is pending (cancelled timers and dropped messages are
    /// skipped when reached, so this may be earlier than the next event [`step`](Self::step) handles).
    pub fn next_event_at(&self) -> Option<Micros> {
        self.queue.peek().map(|d| d.at)
    }
    /// Events with `seq > after`, oldest first, sentences built now; only the last
    /// [`EVENT_LOG_CAPACITY`] are kept.
    pub fn events_since(&self, after: u64) -> impl Iterator<Item = EventView> + '_ {
        let skip = self.events.partition_point(|e| e.seq <= after);
        self.events.range(skip..).map(move |r| self.view_of(r))
    }

    fn view_of(&self, r: &Record<P::Note>) -> EventView {
        let name = |i: NodeId| self.names[i].clone();
        EventView {
            seq: r.seq,
            time: r.time as f64 / 1000.0,
            kind: r.kind,
            node: r.node.map(name),
            message_id: r.message.map(|m| m.0),
            message_kind: r.message.map(|m| m.1),
            from: r.message.map(|m| name(m.2)),
            to: r.message.map(|m| name(m.3)),
            text: match &r.text {
                Text::Note(n) => self.proto.describe(n, &self.names),
                Text::Sim(s) => s.describe(&self.names, r.node, r.message.map(|m| (m.1, m.2, m.3))),
            },
            routine: r.routine,
        }
    }

    // ---- driving --------------------------------------------------------------------------

    /// Handles the next pending event and returns its record, or None when nothing is pending.
    pub fn step(&mut self) -> Option<EventView> {
        let seq = self.step_until(Micros::MAX)?;
        self.events.iter().rev().find(|e| e.seq == seq).map(|r| self.view_of(r))
    }

    /// [`step`](Self::step) without building the sentence: the event's kind, node and message
    /// (kind, from, to), for drivers that look at every event (Figure 16's trials).
    pub fn step_brief(&mut self) -> Option<Brief> {
        self.step_brief_until(Micros::MAX)
    }

    /// [`step_brief`](Self::step_brief) for an event due at or before `limit` µs only (None
    /// when none is): for drivers that watch every event up to a time.
    pub fn step_brief_until(&mut self, limit: Micros) -> Option<Brief> {
        let seq = self.step_until(limit)?;
        self.events.iter().rev().find(|e| e.seq == seq).map(|r| Brief { kind: r.kind, node: r.node, message: r.message.map(|m| (m.1, m.2, m.3)) })
    }

    /// Handles the next event due at or before `limit` µs; returns the seq of its record.
    fn step_until(&mut self, limit: Micros) -> Option<u64> {
        while self.next_event_at().is_some_and(|t| t <= limit) {
            #[cfg_attr(target_family = "wasm", allow(unused_variables))]
            let Due { at, ev, seq } = self.queue.pop().expect("peeked");
            self.now = self.now.max(at);
            let handled = match ev {
                Scheduled::Deliver(id) if self.in_flight.get(&id).is_some_and(|m| self.nodes[m.to].paused) => {
                    let to = self.in_flight.get(&id).expect("just checked").to;
                    self.nodes[to].inbox.push(id);
                    None
                }
                Scheduled::Deliver(id) => self.in_flight.remove(&id).map(|m| self.deliver(m)),
                Scheduled::Client(id) => self.client_event(id),
                Scheduled::Timer { node, timer, generation, kind_generation } => {
                    let node = node as NodeId;
                    #[cfg(not(target_family = "wasm"))]
                    self.requeue(node, timer, seq);
                    let n = &self.nodes[node];
                    let live = !n.crashed
                        && !n.paused
                        && n.generation == generation
                        && n.timers.iter().any(|s| s.timer == timer && s.generation == kind_generation);
                    if live {
                        self.act(node, |p, state, cx, out| p.on_timer(state, cx, timer, out))
                    } else {
                        None
                    }
                }
            };
            if let Some(seq) = handled {
                self.settle();
                return Some(seq);
            }
        }
        None
    }

    /// Handles every event due at or before `until` µs, then sets the clock to `until` (if later).
    /// Returns the number of events handled.
    pub fn run_until(&mut self, until: Micros) -> u64 {
        let mut handled = 0;
        while self.step_until(until).is_some() {
            handled += 1;
        }
        self.now = self.now.max(until);
        handled
    }

    /// Runs `f` on node `i`'s state with a context and the effects buffer, then applies the
    /// effects it wrote. Returns the seq of the first record written, if any. Marks the node
    /// touched (it is settled and checked after the event).
    pub fn act(&mut self, i: NodeId, f: impl FnOnce(&P, &mut P::Node, &mut Ctx, &mut Out<P>)) -> Option<u64> {
        self.act_with(i, f).1
    }

    /// [`act`](Self::act) returning `f`'s result too.
    pub fn act_with<R>(&mut self, i: NodeId, f: impl FnOnce(&P, &mut P::Node, &mut Ctx, &mut Out<P>) -> R) -> (R, Option<u64>) {
        if !self.settling && !self.touched.contains(&i) {
            self.touched.push(i);
        }
        let mut cx = Ctx { me: i, now: self.now, nodes: self.nodes.len(), rng: &mut self.rng };
        let r = f(&self.proto, &mut self.states[i], &mut cx, &mut self.out);
        let first = self.apply(i);
        (r, first)
    }

    /// Applies the effects node `i` wrote, in order. Returns the seq of the first record.
    fn apply(&mut self, i: NodeId) -> Option<u64> {
        if self.out.is_empty() {
            return None;
        }
        let mut effects = self.out.take();
        let mut first = None;
        // Sends wait for a stable-storage write (`Persist`) and for what a traitor holds back.
        let (mut delay, mut held) = (0, 0);
        for e in effects.drain(..) {
            match e {
                Effect::Send(to, _) if self.nodes[i].byzantine.as_ref().is_some_and(|b| b.withholds(to)) => {}
                Effect::Send(to, msg) => self.send_after(i, to, msg, delay + held),
                Effect::Persist => delay = self.config.persist_us,
                Effect::Hold(us) => held += us,
                Effect::SetTimer(timer, d) => {
                    // (the common arms inline rather than `Delay::draw`: each widget's wasm is
                    // about 0.1 KB gzip smaller so, measured 2026-12-07)
                    let after = match d {
                        Delay::After(us) => us,
                        Delay::Uniform(lo, hi) => self.rng.random_range(lo..=hi),
                        #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
                        whole_ms => whole_ms.draw(&mut self.rng),
                    };
                    self.set_timer(i, timer, self.now, self.now + after);
                }
                Effect::CancelTimer(timer) => {
                    if let Some(s) = self.nodes[i].timers.iter_mut().find(|s| s.timer == timer) {
                        s.generation = s.generation.wrapping_add(1);
                    }
                }
                Effect::CancelTimers => self.nodes[i].generation = self.nodes[i].generation.wrapping_add(1),
                Effect::ResumeTimer(timer) => {
                    if let Some((start, deadline)) = self.timer(i, timer) {
                        self.set_timer(i, timer, start, deadline.max(self.now));
                    }
                }
                Effect::Note(note) => {
                    let (kind, routine) = (P::note_kind(&note), P::note_routine(&note));
                    let seq = self.push_record(kind, Some(i), None, Text::Note(note), routine);
                    first.get_or_insert(seq);
                }
                Effect::Reply { client, seq, answer } => {
                    let at = self.now + self.client_latency();
                    let answer = match answer {
                        Answer::Done(output) => Ok(output),
                        Answer::Redirect(to) => Err(to),
                    };
                    self.schedule_client(at, clients::ClientMsg::Reply { client, from: i, seq, answer });
                }
                Effect::Decide(d) => self.checker.on_decide(self.now, i, &d),
            }
        }
        self.out.restore(effects);
        first
    }

    /// Schedules node `i`'s `timer` to fire at `deadline` (set at `set_at`, for views).
    fn set_timer(&mut self, i: NodeId, timer: P::Timer, set_at: Micros, deadline: Micros) {
        let n = &mut self.nodes[i];
        let kind_generation = match n.timers.iter_mut().find(|s| s.timer == timer) {
            Some(s) => {
                s.set_at = set_at;
                s.deadline = deadline;
                s.generation
            }
            None => {
                // One slot per timer kind, a handful at most: grown one at a time, so that a
                // population of 10,000 nodes with one kind each holds one slot each, not four.
                n.timers.reserve_exact(1);
                n.timers.push(TimerSlot {
                    timer,
                    generation: 0,
                    set_at,
                    deadline,
                    #[cfg(not(target_family = "wasm"))]
                    queued: None,
                    #[cfg(not(target_family = "wasm"))]
                    next: None,
                });
                0
            }
        };
        let generation = n.generation;
        #[cfg(target_family = "wasm")]
        self.schedule(deadline, Scheduled::Timer { node: i as u32, timer, generation, kind_generation });
        #[cfg(not(target_family = "wasm"))]
        self.ride_or_queue(i, timer, deadline, generation, kind_generation);
    }

    /// [`set_timer`](Self::set_timer)'s queueing, native build: see [`FAST_PATHS`].
    #[cfg(not(target_family = "wasm"))]
    fn ride_or_queue(&mut self, i: NodeId, timer: P::Timer, deadline: Micros, generation: u32, kind_generation: u32) {
        let n = &mut self.nodes[i];
        // A start whose kind's last start is cancelled (its generations are gone for good), with
        // an entry of the kind already queued no later than this deadline, rides on that entry
        // (the election timer, reset by every AppendEntries): the queue stays short. It keeps
        // the seq it would have had, so the order of events does not change.
        let slot = n.timers.iter_mut().find(|s| s.timer == timer).expect("just set");
        let dead = |p: &Pending| p.2 != generation || p.3 != kind_generation;
        self.seq += 1;
        let start = (deadline, self.seq, generation, kind_generation);
        match slot.queued {
            Some(q) if q.0 <= deadline && slot.next.as_ref().map_or(dead(&q), dead) => slot.next = Some(start),
            _ => {
                if slot.next.as_ref().map_or(true, dead) && slot.queued.map_or(true, |q| deadline < q.0) {
                    slot.queued = Some(start);
                    slot.next = None;
                }
                self.queue.push(Due { at: deadline, seq: start.1, ev: Scheduled::Timer { node: i as u32, timer, generation, kind_generation } });
            }
        }
    }

    /// The queued entry `seq` of node `i`'s `timer` came out: a start riding on it goes in now,
    /// unless cancelled since (it could never fire).
    #[cfg(not(target_family = "wasm"))]
    fn requeue(&mut self, i: NodeId, timer: P::Timer, seq: u64) {
        let n = &mut self.nodes[i];
        let Some(slot) = n.timers.iter_mut().find(|s| s.timer == timer && s.queued.is_some_and(|q| q.1 == seq)) else { return };
        slot.queued = None;
        let Some(p) = slot.next.take() else { return };
        if p.2 != n.generation || p.3 != slot.generation {
            return;
        }
        slot.queued = Some(p);
        self.queue.push(Due { at: p.0, seq: p.1, ev: Scheduled::Timer { node: i as u32, timer, generation: p.2, kind_generation: p.3 } });
    }

    /// After every handled event: the touched nodes settle, leadership is timed, the invariants
    /// are checked on the touched nodes, then the touched nodes do what must come after the
    /// check, and nodes a committed configuration leaves out retire.
    pub fn settle(&mut self) {
        if P::LEADERS {
            self.track_leaderless();
        }
        let mut touched = std::mem::take(&mut self.touched);
        self.settling = true;
        // In id order (a handful of nodes at most: an insertion sort, no sorting machinery).
        for k in 1..touched.len() {
            let mut j = k;
            while j > 0 && touched[j - 1] > touched[j] {
                touched.swap(j - 1, j);
                j -= 1;
            }
        }
        for &i in &touched {
            if !self.nodes[i].crashed && !self.nodes[i].paused {
                self.act(i, |p, n, cx, out| p.settle(n, cx, out));
            }
        }
        self.checker.check(self.now, &mut self.states, &touched);
        if self.checker.violations().len() > self.logged_violations {
            self.log_violations();
        }
        for &i in &touched {
            if !self.nodes[i].crashed {
                self.act(i, |p, n, cx, out| p.after_check(n, cx, out));
            }
        }
        self.settling = false;
        if P::LEADERS {
            self.retire_removed();
        }
        // Keep the buffer's capacity for the next event.
        touched.clear();
        self.touched = touched;
    }

    /// Records every violation found since the last event (by the check, and by decisions).
    #[cold]
    fn log_violations(&mut self) {
        let found: Vec<(&'static str, String)> =
            self.checker.violations()[self.logged_violations..].iter().map(|v| (v.rule, v.detail.clone())).collect();
        self.logged_violations += found.len();
        for (rule, detail) in found {
            self.record("violation", None, None, Text::Sim(view::SimNote::Violation { rule, detail }));
        }
    }

    /// Times the periods without a running leader (paused leaders count as none).
    fn track_leaderless(&mut self) {
        let leads = (0..self.nodes.len()).any(|i| {
            let n = &self.nodes[i];
            !n.crashed && !n.paused && self.proto.leads(&self.states[i]).is_some()
        });
        match (leads, self.leaderless_since) {
            (false, None) => self.leaderless_since = Some(self.now),
            (true, Some(since)) => {
                let gap = self.now - since;
                self.stats.leaderless_periods += 1;
                self.stats.leaderless_us += gap;
                self.stats.last_leaderless_us = gap;
                self.leaderless_since = None;
            }
            _ => {}
        }
    }

    /// Shuts down nodes that a committed configuration leaves out (the highest-term leader's
    /// committed configuration speaks for the cluster).
    fn retire_removed(&mut self) {
        let Some(l) = self.leader() else { return };
        let Some(members) = self.proto.committed_members(&self.states[l]) else { return };
        for i in 0..self.nodes.len() {
            if self.nodes[i].removed || members.contains(&i) {
                continue;
            }
            let n = &mut self.nodes[i];
            n.removed = true;
            n.crashed = true;
            n.paused = false;
            n.generation = n.generation.wrapping_add(1);
            self.record("membership", Some(i), None, Text::Sim(view::SimNote::Retired));
        }
    }

    /// A node joins: created with `members` as its cluster, started (its timers drawn now).
    /// Returns its id. The caller (a protocol's membership change) tells the others.
    pub fn spawn_node(&mut self, members: &[NodeId]) -> NodeId {
        let i = self.nodes.len();
        self.states.push(self.proto.new_node(i, members));
        self.nodes.push(SimNode::running());
        self.names.push(crate::protocol::node_name(i));
        self.checker.add_node();
        self.act(i, |p, n, cx, out| p.on_start(n, cx, out));
        i
    }

    /// Node `i` crashes (running or paused): it stops handling messages and timers; messages
    /// to it, those waiting for a paused node, and its messages still waiting for a
    /// stable-storage write (`SimConfig::persist_us`) are lost. Errors: already crashed.
    pub fn crash(&mut self, i: NodeId) -> Result<()> {
        if self.nodes[i].crashed {
            return Err(Error::invalid("id", format!("must name a running node ({} is crashed)", self.names[i])));
        }
        let n = &mut self.nodes[i];
        n.crashed = true;
        n.paused = false;
        n.generation = n.generation.wrapping_add(1);
        for id in std::mem::take(&mut n.inbox) {
            if self.in_flight.remove(&id).is_some() {
                self.stats.messages_dropped += 1;
                self.message_log.ended(id, Fate::Lost(self.now));
            }
        }
        // Messages still waiting for their stable-storage write, or held by a pause, never
        // leave: the crash came after the write, before the send. The state they report stays
        // on disk, which is safe (Figure 2 only forbids answering before the write).
        let unsent = self.take_unsent(i).len() + std::mem::take(&mut self.nodes[i].outbox).len();
        self.stats.messages_dropped += unsent as u64;
        self.act(i, |p, n, cx, out| p.on_crash(n, cx, out));
        self.settle();
        Ok(())
    }

    /// Node `i` restarts with its persistent state and fresh volatile state. Errors: not crashed,
    /// or removed.
    pub fn restart(&mut self, i: NodeId) -> Result<()> {
        if self.nodes[i].removed {
            return Err(Error::invalid("id", format!("must name a crashed node ({} has left the cluster)", self.names[i])));
        }
        if !self.nodes[i].crashed {
            return Err(Error::invalid("id", format!("must name a crashed node ({} is running)", self.names[i])));
        }
        self.nodes[i].crashed = false;
        self.checker.on_restart(i);
        self.act(i, |p, n, cx, out| p.on_restart(n, cx, out));
        self.settle();
        Ok(())
    }

    /// Removes message `id` from the network, as if it were lost. Errors: no such message in flight.
    pub fn drop_message(&mut self, id: u64) -> Result<()> {
        let m = self
            .in_flight
            .remove(&id)
            .ok_or_else(|| Error::invalid("messageId", format!("must be a message in flight ({id} is not)")))?;
        self.stats.messages_dropped += 1;
        self.message_log.ended(id, Fate::Lost(self.now));
        self.record("drop", Some(m.to), Some(&m), Text::Sim(view::SimNote::Dropped));
        Ok(())
    }

    /// Node `i` freezes, like a process stopped by a debugger or a long GC pause: it handles
    /// no message and no timer, messages to it wait, and messages it had not sent yet (waiting
    /// for a `SimConfig::persist_us` write) wait too. Its state is kept as it was.
    /// Errors: crashed or already paused.
    pub fn pause(&mut self, i: NodeId) -> Result<()> {
        self.require_running(i)?;
        let outbox = self.take_unsent(i);
        let n = &mut self.nodes[i];
        n.paused = true;
        n.generation = n.generation.wrapping_add(1);
        n.outbox = outbox;
        self.record("pause", Some(i), None, Text::Sim(view::SimNote::Paused));
        self.settle();
        Ok(())
    }

    /// Paused node `i` wakes with the view it had: the protocol re-arms its timers (one that ran
    /// out while it slept fires at once), and the messages that waited are delivered now, in
    /// the order they arrived. Errors: not paused.
    pub fn resume(&mut self, i: NodeId) -> Result<()> {
        if !self.nodes[i].paused {
            return Err(Error::invalid("id", format!("must name a paused node ({} is not paused)", self.names[i])));
        }
        let now = self.now;
        let n = &mut self.nodes[i];
        n.paused = false;
        n.generation = n.generation.wrapping_add(1);
        let inbox = std::mem::take(&mut n.inbox);
        self.act(i, |p, n, cx, out| p.on_resume(n, cx, out));
        for id in &inbox {
            self.schedule(now, Scheduled::Deliver(*id));
        }
        // Messages held by the pause leave now, or when their write is done if that is later,
        // with the latency they drew; under a new id, since the old one's delivery is scheduled.
        for mut m in std::mem::take(&mut self.nodes[i].outbox) {
            let latency = m.deliver_at - m.sent_at;
            m.sent_at = m.sent_at.max(now);
            m.deliver_at = m.sent_at + latency;
            self.launch(m);
        }
        self.record("resume", Some(i), None, Text::Sim(view::SimNote::Resumed { waited: inbox.len() }));
        self.settle();
        Ok(())
    }

    /// Splits the network into `groups` of node ids: links between groups are cut both ways,
    /// links within a group work. Nodes in no group form one more group.
    /// Errors: a node listed twice, or an index that is no node.
    pub fn partition(&mut self, groups: &[Vec<NodeId>]) -> Result<()> {
        let mut seen = vec![false; self.nodes.len()];
        for (g, members) in groups.iter().enumerate() {
            for (k, &i) in members.iter().enumerate() {
                if i >= seen.len() {
                    return Err(Error::invalid(format!("groups[{g}][{k}]"), format!("must be a node (there are {})", seen.len())));
                }
                if std::mem::replace(&mut seen[i], true) {
                    return Err(Error::invalid(format!("groups[{g}][{k}]"), format!("must not list a node twice ({} is)", self.names[i])));
                }
            }
        }
        self.network.partition(self.nodes.len(), groups);
        let mut all: Vec<Vec<NodeId>> = groups.iter().filter(|g| !g.is_empty()).cloned().collect();
        let rest: Vec<NodeId> = (0..self.nodes.len()).filter(|i| !seen[*i]).collect();
        if !rest.is_empty() {
            all.push(rest);
        }
        self.record("partition", None, None, Text::Sim(view::SimNote::Partition { groups: all }));
        Ok(())
    }

    /// Repairs every link.
    pub fn heal(&mut self) {
        self.network.heal();
        self.record("heal", None, None, Text::Sim(view::SimNote::Heal));
    }

    /// Cuts the link `from → to` (and `to → from` when `both_ways`). Errors: `from == to`.
    pub fn cut_link(&mut self, from: NodeId, to: NodeId, both_ways: bool) -> Result<()> {
        self.set_link(from, to, both_ways, true)
    }

    /// Repairs the link `from → to` (and `to → from` when `both_ways`). Errors: `from == to`.
    pub fn repair_link(&mut self, from: NodeId, to: NodeId, both_ways: bool) -> Result<()> {
        self.set_link(from, to, both_ways, false)
    }

    fn set_link(&mut self, from: NodeId, to: NodeId, both_ways: bool, cut: bool) -> Result<()> {
        self.check_link(from, to)?;
        let pairs: &[(NodeId, NodeId)] = if both_ways { &[(from, to), (to, from)] } else { &[(from, to)] };
        for &(a, b) in pairs {
            if cut {
                self.network.cut(a, b);
            } else {
                self.network.repair(a, b);
            }
        }
        self.record(if cut { "cut" } else { "repair" }, None, None, Text::Sim(view::SimNote::Link { from, to, cut, both_ways }));
        Ok(())
    }

    fn check_link(&self, from: NodeId, to: NodeId) -> Result<()> {
        if from == to {
            return Err(Error::invalid("to", format!("must differ from from ({} links to itself)", self.names[from])));
        }
        Ok(())
    }

    /// Sets the latency range of every link without its own, µs. Errors: as [`SimConfig::validate`].
    pub fn set_latency(&mut self, range: (Micros, Micros)) -> Result<()> {
        SimConfig { latency_us: range, ..self.config.clone() }.validate_up_to(P::MAX_NODES)?;
        self.network.latency_us = range;
        Ok(())
    }

    /// Gives the link `from → to` its own latency range (None: back to the global one).
    /// Errors: `from == to`, or a range breaking [`SimConfig::validate`]'s rule.
    pub fn set_link_latency(&mut self, from: NodeId, to: NodeId, range: Option<(Micros, Micros)>) -> Result<()> {
        self.check_link(from, to)?;
        match range {
            Some(r) => {
                SimConfig { latency_us: r, ..self.config.clone() }.validate_up_to(P::MAX_NODES)?;
                self.network.link_latency_us.insert((from, to), r);
            }
            None => {
                self.network.link_latency_us.remove(&(from, to));
            }
        }
        Ok(())
    }

    /// Sets the probability of losing a message. Errors: outside `[0, 1]`.
    pub fn set_drop_rate(&mut self, rate: f64) -> Result<()> {
        SimConfig { drop_rate: rate, ..self.config.clone() }.validate_up_to(P::MAX_NODES)?;
        self.network.drop_rate = rate;
        Ok(())
    }

    /// Sets the probability of delivering a message twice. Errors: outside `[0, 1]`.
    pub fn set_duplicate_rate(&mut self, rate: f64) -> Result<()> {
        SimConfig { duplicate_rate: rate, ..self.config.clone() }.validate_up_to(P::MAX_NODES)?;
        self.network.duplicate_rate = rate;
        Ok(())
    }

    /// Undoes every fault: heals the network (every link, one-way cuts included), stops
    /// losing messages, restarts crashed nodes (not removed ones) and resumes paused ones, in
    /// node order.
    pub fn undo_faults(&mut self) -> Result<()> {
        self.heal();
        self.set_drop_rate(0.0)?;
        for i in 0..self.nodes.len() {
            if self.nodes[i].removed {
                continue;
            } else if self.nodes[i].crashed {
                self.restart(i)?;
            } else if self.nodes[i].paused {
                self.resume(i)?;
            }
        }
        Ok(())
    }

    /// Errors unless node `i` is running (not crashed, not paused).
    pub fn require_running(&self, i: NodeId) -> Result<()> {
        if self.nodes[i].crashed {
            return Err(Error::invalid("id", format!("must name a running node ({} is crashed)", self.names[i])));
        }
        if self.nodes[i].paused {
            return Err(Error::invalid("id", format!("must name a running node ({} is paused)", self.names[i])));
        }
        Ok(())
    }

    /// Records a simulator note about a client request made by hand (`client_request`).
    pub fn record_client_refused(&mut self, node: Option<NodeId>) {
        let note = match node {
            None => view::SimNote::NoLeader,
            Some(_) => view::SimNote::PausedClient,
        };
        self.record("client", node, None, Text::Sim(note));
    }

    /// Switches exactly the deliberate bugs in `bugs` on (bit `i` is `P::BUGS[i]`), in the
    /// protocol's settings and in every node, and says so in the event log.
    pub fn set_bugs(&mut self, bugs: BugSet) {
        self.proto.set_bugs(&mut self.states, bugs);
        self.record("bugs", None, None, Text::Sim(view::SimNote::Bugs { on: bugs.names(P::BUGS) }));
    }

    #[cfg(feature = "byzantine")]
    /// Makes node `i` a traitor with `behaviour`, or honest again (None); says so in the event
    /// log. A traitor speaks only as itself (the simulator stamps the true sender on every
    /// message); `silent` and `mute` are the simulator's (it withholds the messages), the
    /// others the protocol's ([`Protocol::set_byzantine`]). The checker stops judging the node
    /// ([`Invariants::set_byzantine`]).
    ///
    /// Errors: a protocol behaviour index out of range (`behaviour`), a `mute` target that is
    /// the node itself or not a node (`to`).
    pub fn set_byzantine(&mut self, i: NodeId, behaviour: Option<Byzantine>) -> Result<()> {
        match &behaviour {
            Some(Byzantine::Lie(k)) if *k >= P::BEHAVIOURS.len() => {
                let names = Byzantine::names(P::BEHAVIOURS).join(", ");
                return Err(Error::invalid("behaviour", format!("must be one of {names}")));
            }
            Some(Byzantine::Mute(targets)) => {
                if let Some(&t) = targets.iter().find(|&&t| t == i || t >= self.nodes.len()) {
                    let why = if t == i { format!("{} is the traitor itself", self.names[i]) } else { format!("{} is not a node", t + 1) };
                    return Err(Error::invalid("to", format!("must list other nodes of the cluster ({why})")));
                }
            }
            _ => {}
        }
        let lie = match behaviour {
            Some(Byzantine::Lie(k)) => Some(k),
            _ => None,
        };
        let name = behaviour.as_ref().map(|b| b.name(P::BEHAVIOURS));
        self.checker.set_byzantine(i, behaviour.is_some());
        self.nodes[i].byzantine = behaviour;
        self.proto.set_byzantine(&mut self.states[i], lie);
        self.record("byzantine", Some(i), None, Text::Sim(view::SimNote::Byzantine { behaviour: name }));
        Ok(())
    }

    /// Changes settings that apply to the whole cluster: `f` gets the protocol and every node's
    /// state (a voter's weight, say). Nothing is recorded or settled; the next events see it.
    pub fn configure<R>(&mut self, f: impl FnOnce(&mut P, &mut [P::Node]) -> R) -> R {
        f(&mut self.proto, &mut self.states)
    }

    /// Records a note of the protocol's that no node wrote (a sentence about the cluster).
    pub fn record_note(&mut self, node: Option<NodeId>, note: P::Note) -> u64 {
        self.record(P::note_kind(&note), node, None, Text::Note(note))
    }

    // ---- internals --------------------------------------------------------------------------

    fn schedule(&mut self, at: Micros, ev: Scheduled<P::Timer>) {
        self.seq += 1;
        self.queue.push(Due { at, seq: self.seq, ev });
    }

    fn record(&mut self, kind: &'static str, node: Option<NodeId>, msg: Option<&Message<P::Msg>>, text: Text<P::Note>) -> u64 {
        let message = msg.map(|m| (m.id, P::msg_kind(&m.payload), m.from, m.to));
        self.push_record(kind, node, message, text, false)
    }

    /// Appends a record to the event log (dropping the oldest beyond [`EVENT_LOG_CAPACITY`]);
    /// returns its seq.
    fn push_record(
        &mut self,
        kind: &'static str,
        node: Option<NodeId>,
        message: Option<(u64, &'static str, NodeId, NodeId)>,
        text: Text<P::Note>,
        routine: bool,
    ) -> u64 {
        self.event_seq += 1;
        let rec = Record { seq: self.event_seq, time: self.now, kind, node, message, text, routine };
        if self.events.len() == EVENT_LOG_CAPACITY {
            if FAST_PATHS {
                // The oldest record's slot takes the new one, and the ring turns by one (no move
                // when the log's capacity is exactly its size, as `start` allocates it).
                *self.events.front_mut().expect("full") = rec;
                self.events.rotate_left(1);
                return self.event_seq;
            }
            self.events.pop_front();
        }
        self.events.push_back(rec);
        self.event_seq
    }

    /// Sends `payload` once `from` has spent `delay` µs (a stable-storage write): lost on a
    /// cut link or to the drop rate, else in flight with a latency drawn for its link, and
    /// sometimes duplicated.
    fn send_after(&mut self, from: NodeId, to: NodeId, payload: P::Msg, delay: Micros) {
        self.stats.messages_sent += 1;
        let net = &self.network;
        if net.is_cut(from, to) || (net.drop_rate > 0.0 && chance(&mut self.rng, net.drop_rate)) {
            self.stats.messages_dropped += 1;
            self.message_log.lost_at_send(self.next_message_id - 1, from, to, P::msg_kind(&payload), self.now + delay);
            return;
        }
        let copies = if net.duplicate_rate > 0.0 && chance(&mut self.rng, net.duplicate_rate) { 2 } else { 1 };
        if copies == 2 {
            self.stats.messages_duplicated += 1;
        }
        let sent_at = self.now + delay;
        if copies == 2 {
            let deliver_at = sent_at + self.draw_latency(from, to);
            self.launch(Message { id: 0, from, to, sent_at, deliver_at, payload: payload.clone() });
        }
        let deliver_at = sent_at + self.draw_latency(from, to);
        self.launch(Message { id: 0, from, to, sent_at, deliver_at, payload });
    }

    /// One message's latency on `from → to`, µs: uniform in the link's range, or (native
    /// builds, [`Network::exponential_mean_us`] set, no range of the link's own) exponential
    /// with that mean, by inversion of one uniform draw, capped at an hour.
    fn draw_latency(&mut self, from: NodeId, to: NodeId) -> Micros {
        #[cfg(not(target_family = "wasm"))]
        if let (Some(mean), false) = (self.network.exponential_mean_us, self.network.link_latency_us.contains_key(&(from, to))) {
            let u: f64 = self.rng.random::<f64>();
            let x = -(mean as f64) * (1.0 - u).ln();
            return (x.round() as Micros).min(config::MAX_DURATION_US);
        }
        let (lo, hi) = self.network.latency(from, to);
        self.rng.random_range(lo..=hi)
    }

    /// Sets exponentially distributed latency with mean `mean_us` µs on every link without its
    /// own range (None: back to uniform in the global range). Maelstrom's `--latency-dist
    /// exponential`. Native builds only. Errors: a mean above an hour.
    #[cfg(not(target_family = "wasm"))]
    pub fn set_latency_exponential(&mut self, mean_us: Option<Micros>) -> Result<()> {
        if mean_us.is_some_and(|m| m > config::MAX_DURATION_US) {
            return Err(Error::invalid("latencyMs", "must be from 0 to 3600000 ms"));
        }
        self.network.exponential_mean_us = mean_us;
        Ok(())
    }

    /// Puts `m` on the network under a fresh id and schedules its delivery at `m.deliver_at`.
    fn launch(&mut self, mut m: Message<P::Msg>) {
        m.id = self.next_message_id;
        self.next_message_id += 1;
        self.message_log.sent(m.id, m.from, m.to, P::msg_kind(&m.payload), m.sent_at, m.deliver_at);
        self.schedule(m.deliver_at, Scheduled::Deliver(m.id));
        self.in_flight.insert(m.id, m);
    }

    /// Takes node `i`'s messages that have not left yet (waiting for a stable-storage write)
    /// out of the network, oldest first.
    fn take_unsent(&mut self, i: NodeId) -> Vec<Message<P::Msg>> {
        let now = self.now;
        let ids: Vec<u64> = self.in_flight.values().filter(|m| m.from == i && m.sent_at > now).map(|m| m.id).collect();
        for &id in &ids {
            self.message_log.ended(id, Fate::Withdrawn);
        }
        ids.into_iter().filter_map(|id| self.in_flight.remove(&id)).collect()
    }

    fn deliver(&mut self, m: Message<P::Msg>) -> u64 {
        let (from, to) = (m.from, m.to);
        if self.nodes[to].crashed {
            self.stats.messages_dropped += 1;
            self.message_log.ended(m.id, Fate::Lost(self.now));
            return self.record("lost", Some(to), Some(&m), Text::Sim(view::SimNote::LostCrashed));
        }
        if self.network.is_cut(from, to) {
            self.stats.messages_dropped += 1;
            self.message_log.ended(m.id, Fate::Lost(self.now));
            return self.record("lost", Some(to), Some(&m), Text::Sim(view::SimNote::LostCut));
        }
        self.stats.messages_delivered += 1;
        let (id, kind) = (m.id, P::msg_kind(&m.payload));
        self.message_log.ended(id, Fate::Delivered(self.now));
        let ((note, routine), _) = self.act_with(to, |p, n, cx, out| p.on_msg(n, cx, from, m.payload, out));
        self.push_record("deliver", Some(to), Some((id, kind, from, to)), Text::Note(note), routine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `chance` replaced `Rng::random_bool` without changing a run: same outcomes from the same
    /// stream, for the rates the simulator and the chaos runs use.
    #[test]
    fn chance_draws_like_random_bool() {
        for p in [0.0, 0.004, 0.01, 0.05, 0.5, 0.6, 0.999, 1.0] {
            let (mut a, mut b) = (Pcg64Mcg::seed_from_u64(7), Pcg64Mcg::seed_from_u64(7));
            let ours: Vec<bool> = (0..2000).map(|_| chance(&mut a, p)).collect();
            let rands: Vec<bool> = (0..2000).map(|_| b.random_bool(p)).collect();
            assert_eq!(ours, rands, "p = {p}");
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "p = {p}: the streams stay in step");
        }
    }
}
