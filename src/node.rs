//! One node of any [`Protocol`], driven by hand: a standalone driver for a real deployment,
//! where the caller carries the messages over whatever transport it has and moves the clock.
//!
//! The simulator ([`crate::sim::Simulation`]) is one driver of a protocol: it owns a whole
//! cluster, the network and one clock. [`Standalone`] is another: it owns a single node, its own
//! seeded RNG, its own clock and its own timers, and hands what the node sends to the caller
//! (an outbox). It applies a handler's [`Effect`]s in the order they were written, exactly as
//! the simulator does, and after every input (a message, a timer, a proposal) it brings the node
//! to rest like the simulator's `settle`: [`Protocol::settle`] (committed entries are applied
//! and decided), then [`Protocol::after_check`]. There is no invariant checker here: a checker
//! needs every node's state, and a standalone node has only its own.
//!
//! How each effect is applied:
//!
//! - [`Effect::Send`]: into the outbox, `(to, message)`, for the caller to deliver. A message
//!   to the node itself or to an id outside `0 .. nodes` is dropped (no protocol here sends one).
//! - [`Effect::Persist`]: nothing to wait for; it is counted ([`Standalone::persists`]). In a
//!   real deployment the caller writes the node's persistent state to stable storage before it
//!   sends the messages of the same call (Raft paper Figure 2: "updated on stable storage before
//!   responding to RPCs").
//! - [`Effect::SetTimer`]: a new timer instance due at now + the delay; a
//!   random [`Delay`] is drawn from this node's RNG (so a seed fixes every timeout).
//!   [`Effect::CancelTimer`] cancels every instance of that kind, [`Effect::CancelTimers`]
//!   every instance; [`Effect::ResumeTimer`] starts the kind again at its last deadline (or now
//!   if that has passed), as in the simulator.
//! - [`Effect::Note`]: the last [`Standalone::set_note_capacity`] notes are kept (none by
//!   default).
//! - [`Effect::Reply`]: ignored, unless the caller serves clients itself
//!   ([`Standalone::set_keep_replies`]): then kept for [`Standalone::take_replies`].
//! - [`Effect::Decide`]: appended to [`Standalone::decisions`].
//! - [`Effect::Hold`]: ignored (the caller's transport decides when messages leave).
//!
//! Time: the clock is in µs, starts at 0, and moves only by [`Standalone::tick`]. A tick to
//! `now` sets the clock to `now` and fires, one by one in deadline order (ties in the order they
//! were set), the timers that were pending when the tick began and are due by `now`; each fires
//! at `now` (late, if the caller ticks coarsely: a real node's timers do the same), and what it
//! sets runs from `now`. A timer set during a tick fires at a later tick even when it is due
//! already, so a tick always ends, however far it moves the clock. Messages and proposals are
//! handled at the clock's time (the last tick's).
//!
//! Same protocol options, seed and sequence of calls: same outboxes, bit for bit.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::error::{Error, Result};
use crate::protocol::{Answer, Ctx, Delay, Effect, Micros, NodeId, Out, Protocol};

/// A pending timer instance.
#[derive(Clone, Copy, Debug)]
struct Pending<T> {
    timer: T,
    deadline: Micros,
    /// Order of setting (ties in deadline fire in this order; a tick fires only timers set
    /// before it began).
    seq: u64,
}

/// The last start of one kind of timer: for [`Effect::ResumeTimer`] and for views.
#[derive(Clone, Copy, Debug)]
struct Slot<T> {
    timer: T,
    set_at: Micros,
    deadline: Micros,
}

/// One node of protocol `P`, driven by hand (see the [module documentation](self)).
#[derive(Clone, Debug)]
pub struct Standalone<P: Protocol> {
    proto: P,
    node: P::Node,
    me: NodeId,
    nodes: usize,
    rng: Pcg64Mcg,
    now: Micros,
    /// Pending timer instances, in order of setting.
    pending: Vec<Pending<P::Timer>>,
    slots: Vec<Slot<P::Timer>>,
    next_seq: u64,
    outbox: Vec<(NodeId, P::Msg)>,
    decisions: Vec<P::Decision>,
    notes: VecDeque<P::Note>,
    note_capacity: usize,
    persists: u64,
    /// Answers to clients, `(client, seq, answer)`, when kept.
    replies: Option<Vec<(usize, u64, Answer)>>,
    out: Out<P>,
}

impl<P: Protocol> Standalone<P> {
    /// Node `me` of a cluster of `nodes` nodes (ids `0 .. nodes`, all members), running `proto`,
    /// its RNG seeded with `seed`. The node is created and started at time 0
    /// ([`Protocol::on_start`]: its first timers are drawn now); what it sends at once is in the
    /// outbox.
    ///
    /// Errors: `nodes` is 0, or `me` is not below it.
    pub fn new(proto: P, me: NodeId, nodes: usize, seed: u64) -> Result<Self> {
        if nodes == 0 {
            return Err(Error::invalid("nodes", "must be at least 1 (got 0)"));
        }
        if me >= nodes {
            return Err(Error::invalid("me", format!("must be a node id below {nodes} (got {me})")));
        }
        let members: Vec<NodeId> = (0..nodes).collect();
        let node = proto.new_node(me, &members);
        let mut s = Standalone {
            proto,
            node,
            me,
            nodes,
            rng: Pcg64Mcg::seed_from_u64(seed),
            now: 0,
            pending: Vec::new(),
            slots: Vec::new(),
            next_seq: 0,
            outbox: Vec::new(),
            decisions: Vec::new(),
            notes: VecDeque::new(),
            note_capacity: 0,
            persists: 0,
            replies: None,
            out: Out::new(),
        };
        s.run(|p, n, cx, out| p.on_start(n, cx, out));
        Ok(s)
    }

    // ---- queries ------------------------------------------------------------------------

    /// The protocol (its options).
    pub fn protocol(&self) -> &P {
        &self.proto
    }
    /// The node's state.
    pub fn node(&self) -> &P::Node {
        &self.node
    }
    /// This node's id.
    pub fn me(&self) -> NodeId {
        self.me
    }
    /// How many nodes the cluster has.
    pub fn nodes(&self) -> usize {
        self.nodes
    }
    /// The clock, µs (the last tick's time; 0 before any).
    pub fn now(&self) -> Micros {
        self.now
    }
    /// The messages sent since the outbox was last taken, in order: `(to, message)`.
    pub fn outbox(&self) -> &[(NodeId, P::Msg)] {
        &self.outbox
    }
    /// Takes the outbox, leaving it empty.
    pub fn take_outbox(&mut self) -> Vec<(NodeId, P::Msg)> {
        std::mem::take(&mut self.outbox)
    }
    /// Every value this node has decided, in order.
    pub fn decisions(&self) -> &[P::Decision] {
        &self.decisions
    }
    /// The pending timers, `(kind, deadline µs)`, in order of setting.
    pub fn timers(&self) -> impl Iterator<Item = (P::Timer, Micros)> + '_ {
        self.pending.iter().map(|t| (t.timer, t.deadline))
    }
    /// When a timer of kind `timer` was last set and its deadline, µs (None: never set).
    pub fn timer(&self, timer: P::Timer) -> Option<(Micros, Micros)> {
        self.slots.iter().find(|s| s.timer == timer).map(|s| (s.set_at, s.deadline))
    }
    /// The earliest pending deadline, µs (None: no timer runs): a caller that sleeps can wake
    /// then and [`tick`](Self::tick).
    pub fn next_deadline(&self) -> Option<Micros> {
        self.pending.iter().map(|t| t.deadline).min()
    }
    /// The notes kept, oldest first (see [`set_note_capacity`](Self::set_note_capacity)).
    pub fn notes(&self) -> impl Iterator<Item = &P::Note> + '_ {
        self.notes.iter()
    }
    /// Keeps the last `capacity` notes from now on (0, the default: none).
    pub fn set_note_capacity(&mut self, capacity: usize) {
        self.note_capacity = capacity;
        while self.notes.len() > capacity {
            self.notes.pop_front();
        }
    }
    /// How many stable-storage writes the node has asked for ([`Effect::Persist`]).
    pub fn persists(&self) -> u64 {
        self.persists
    }

    /// Keeps the answers the protocol writes for clients ([`Effect::Reply`]) from now on, for
    /// a caller that serves clients itself (a Maelstrom node, say); `false` (the default)
    /// drops them, and those kept.
    pub fn set_keep_replies(&mut self, keep: bool) {
        self.replies = keep.then(Vec::new);
    }
    /// Takes the answers kept since the last call: `(client, seq, answer)`, in order.
    pub fn take_replies(&mut self) -> Vec<(usize, u64, Answer)> {
        self.replies.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Drops the first `k` decisions (all of them when fewer): a caller that keeps their effect
    /// elsewhere (a snapshot of its state machine, say) need not keep them twice.
    pub fn forget_decisions(&mut self, k: usize) {
        self.decisions.drain(..k.min(self.decisions.len()));
    }

    /// The cluster's id space grows to `nodes` ids (`0 .. nodes`): a membership change named a
    /// server this node had no id for (Raft dissertation §4.1). Messages from and to the new ids
    /// pass from now on; who is a *member* stays the protocol's business. Never shrinks: a
    /// smaller `nodes` changes nothing.
    pub fn grow(&mut self, nodes: usize) {
        self.nodes = self.nodes.max(nodes);
    }

    /// Changes the protocol's settings or the node's state by hand (a topology learned from
    /// the transport, say): `f` gets both. Nothing is settled; the next input sees it.
    pub fn configure<R>(&mut self, f: impl FnOnce(&mut P, &mut P::Node) -> R) -> R {
        f(&mut self.proto, &mut self.node)
    }

    // ---- inputs -------------------------------------------------------------------------

    /// A message from node `from` arrives ([`Protocol::on_msg`]; the note it returns is kept
    /// after the handler's own); then the node settles.
    ///
    /// Errors (node unchanged): `from` is this node or not below [`nodes`](Self::nodes).
    pub fn on_msg(&mut self, from: NodeId, msg: P::Msg) -> Result<()> {
        if from >= self.nodes || from == self.me {
            return Err(Error::invalid(
                "from",
                format!("must be another node's id below {} (got {from}; this node is {})", self.nodes, self.me),
            ));
        }
        let (note, _) = self.run(|p, n, cx, out| p.on_msg(n, cx, from, msg, out));
        // The delivery's own note comes after the handler's, as in the simulator's event log.
        self.keep(note);
        self.settle();
        Ok(())
    }

    /// A command proposed at this node ([`Protocol::propose`]): its index (slot, sequence
    /// number) when the node takes it, then the node settles; else the protocol's refusal (for
    /// a node that does not lead, [`Error::NotLeader`] names the leader it knows). The effects
    /// the protocol wrote are applied either way, as the simulator does.
    pub fn propose(&mut self, command: String) -> Result<u64> {
        let r = self.run(|p, n, cx, out| p.propose(n, cx, command, out));
        if r.is_ok() {
            self.settle();
        }
        r
    }

    /// Moves the clock to `now` µs and fires the timers due by then (see the
    /// [module documentation](self)); the node settles after each. Returns how many fired.
    ///
    /// Errors (node unchanged): `now` is before the clock.
    pub fn tick(&mut self, now: Micros) -> Result<usize> {
        if now < self.now {
            return Err(Error::invalid("now", format!("must not go back (was {} µs, got {now} µs)", self.now)));
        }
        self.now = now;
        let before = self.next_seq;
        let mut fired = 0;
        loop {
            let due = self
                .pending
                .iter()
                .enumerate()
                .filter(|(_, t)| t.seq < before && t.deadline <= now)
                .min_by_key(|(_, t)| (t.deadline, t.seq))
                .map(|(k, _)| k);
            let Some(k) = due else { break };
            let timer = self.pending.remove(k).timer;
            self.act(|p, n, cx, out| p.on_timer(n, cx, timer, out));
            fired += 1;
        }
        Ok(fired)
    }

    /// Runs `f` on the node's state with a context and an effects buffer, applies the effects it
    /// wrote, then settles the node (as after any input). For protocol-specific actions a
    /// driver offers beyond messages, timers and proposals.
    pub fn act<R>(&mut self, f: impl FnOnce(&P, &mut P::Node, &mut Ctx, &mut Out<P>) -> R) -> R {
        let r = self.run(f);
        self.settle();
        r
    }

    // ---- internals ----------------------------------------------------------------------

    /// Runs `f` and applies its effects, without settling.
    fn run<R>(&mut self, f: impl FnOnce(&P, &mut P::Node, &mut Ctx, &mut Out<P>) -> R) -> R {
        let mut cx = Ctx { me: self.me, now: self.now, nodes: self.nodes, rng: &mut self.rng };
        let r = f(&self.proto, &mut self.node, &mut cx, &mut self.out);
        self.apply();
        r
    }

    /// After an input, as the simulator's settle does for a touched node: the node settles
    /// (committed entries are applied and decided), then does what comes after the invariant
    /// check (there is none here).
    fn settle(&mut self) {
        self.run(|p, n, cx, out| p.settle(n, cx, out));
        self.run(|p, n, cx, out| p.after_check(n, cx, out));
    }

    /// Applies the effects written, in order.
    fn apply(&mut self) {
        let mut effects = self.out.take();
        for e in effects.drain(..) {
            match e {
                Effect::Send(to, msg) => {
                    if to != self.me && to < self.nodes {
                        self.outbox.push((to, msg));
                    }
                }
                Effect::Persist => self.persists += 1,
                Effect::SetTimer(timer, d) => {
                    // (the common arms inline rather than `Delay::draw`: each widget's wasm is
                    // about 0.1 KB gzip smaller so, measured 2026-12-07)
                    let after = match d {
                        Delay::After(us) => us,
                        Delay::Uniform(lo, hi) => self.rng.random_range(lo..=hi),
                        #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
                        whole_ms => whole_ms.draw(&mut self.rng),
                    };
                    self.set_timer(timer, self.now, self.now.saturating_add(after));
                }
                Effect::CancelTimer(timer) => self.pending.retain(|t| t.timer != timer),
                Effect::CancelTimers => self.pending.clear(),
                Effect::ResumeTimer(timer) => {
                    if let Some((set_at, deadline)) = self.timer(timer) {
                        self.set_timer(timer, set_at, deadline.max(self.now));
                    }
                }
                Effect::Note(note) => self.keep(note),
                Effect::Reply { client, seq, answer } => {
                    if let Some(r) = self.replies.as_mut() {
                        r.push((client, seq, answer));
                    }
                }
                Effect::Decide(d) => self.decisions.push(d),
                Effect::Hold(_) => {}
            }
        }
        self.out.restore(effects);
    }

    /// Keeps `note` if notes are kept, dropping the oldest beyond the capacity.
    fn keep(&mut self, note: P::Note) {
        if self.note_capacity > 0 {
            if self.notes.len() == self.note_capacity {
                self.notes.pop_front();
            }
            self.notes.push_back(note);
        }
    }

    fn set_timer(&mut self, timer: P::Timer, set_at: Micros, deadline: Micros) {
        match self.slots.iter_mut().find(|s| s.timer == timer) {
            Some(s) => {
                s.set_at = set_at;
                s.deadline = deadline;
            }
            None => self.slots.push(Slot { timer, set_at, deadline }),
        }
        self.pending.push(Pending { timer, deadline, seq: self.next_seq });
        self.next_seq += 1;
    }
}

#[cfg(test)]
mod tests {
    //! The driver's own rules, with a toy protocol: effects in order, timers (draws, kinds,
    //! cancelling, resuming, ticks that end), the outbox, settling after every input.
    //! `tests/standalone.rs` wires Raft nodes by hand.

    use super::*;
    use crate::protocol::{ClientCall, Invariants, Violation};

    const MS: Micros = 1_000;

    #[derive(Clone, Debug)]
    struct Toy;

    #[derive(Clone, Debug, Default)]
    struct Node {
        fired: Vec<(Timer, Micros)>,
        got: Vec<(NodeId, u32)>,
        settled: u32,
        after: u32,
        proposed: Vec<String>,
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    enum Timer {
        A,
        B,
        /// Re-arms itself with no delay whenever it fires.
        Zero,
    }

    #[derive(Clone, Debug, Default)]
    struct NoCheck;

    impl Invariants<Toy> for NoCheck {
        fn new(_nodes: usize) -> Self {
            NoCheck
        }
        fn add_node(&mut self) {}
        fn on_restart(&mut self, _node: NodeId) {}
        fn on_decide(&mut self, _now: Micros, _node: NodeId, _d: &u32) {}
        fn check(&mut self, _now: Micros, _nodes: &mut [Node], _touched: &[NodeId]) {}
        fn violations(&self) -> &[Violation] {
            &[]
        }
        fn decided(&self) -> u64 {
            0
        }
    }

    impl Protocol for Toy {
        type Node = Node;
        type Msg = u32;
        type Timer = Timer;
        type Note = u32;
        type Decision = u32;
        type Checker = NoCheck;

        fn new_node(&self, _id: NodeId, _members: &[NodeId]) -> Node {
            Node::default()
        }
        fn on_start(&self, _n: &mut Node, _cx: &mut Ctx, out: &mut Out<Self>) {
            out.set_timer(Timer::A, Delay::Uniform(10 * MS, 20 * MS));
            out.set_timer(Timer::B, Delay::After(5 * MS));
        }
        fn on_msg(&self, n: &mut Node, cx: &mut Ctx, from: NodeId, msg: u32, out: &mut Out<Self>) -> (u32, bool) {
            n.got.push((from, msg));
            match msg {
                // Echo to everyone, itself included (the driver drops that one), and decide.
                0 => {
                    for to in 0..=cx.nodes {
                        out.send(to, 100 + to as u32);
                    }
                    out.push(Effect::Persist);
                    out.push(Effect::Decide(7));
                }
                1 => out.push(Effect::CancelTimer(Timer::A)),
                2 => out.push(Effect::CancelTimers),
                3 => out.set_timer(Timer::Zero, Delay::After(0)),
                4 => out.push(Effect::ResumeTimer(Timer::A)),
                _ => out.note(msg),
            }
            // The delivery's note.
            (1000 + msg, false)
        }
        fn on_timer(&self, n: &mut Node, cx: &mut Ctx, timer: Timer, out: &mut Out<Self>) {
            n.fired.push((timer, cx.now));
            if timer == Timer::Zero {
                out.set_timer(Timer::Zero, Delay::After(0));
            }
        }
        fn on_client(&self, _n: &mut Node, _cx: &mut Ctx, _call: ClientCall, _out: &mut Out<Self>) {}
        fn propose(&self, n: &mut Node, _cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
            if command == "no" {
                return Err(Error::NotLeader { node: "n1".into(), leader: Some("n2".into()) });
            }
            n.proposed.push(command);
            out.push(Effect::Decide(n.proposed.len() as u32));
            Ok(n.proposed.len() as u64)
        }
        fn on_crash(&self, _n: &mut Node, _cx: &mut Ctx, _out: &mut Out<Self>) {}
        fn on_restart(&self, _n: &mut Node, _cx: &mut Ctx, _out: &mut Out<Self>) {}
        fn on_resume(&self, _n: &mut Node, _cx: &mut Ctx, _out: &mut Out<Self>) {}
        fn settle(&self, n: &mut Node, _cx: &mut Ctx, _out: &mut Out<Self>) {
            n.settled += 1;
        }
        fn after_check(&self, n: &mut Node, _cx: &mut Ctx, _out: &mut Out<Self>) {
            n.after += 1;
        }
        fn leads(&self, _n: &Node) -> Option<u64> {
            None
        }
        fn committed_members(&self, _n: &Node) -> Option<Vec<NodeId>> {
            None
        }
        fn msg_kind(_msg: &u32) -> &'static str {
            "Toy"
        }
        fn note_kind(_note: &u32) -> &'static str {
            "toy"
        }
        fn describe(&self, note: &u32, _names: &[String]) -> String {
            format!("note {note}")
        }
    }

    fn toy(seed: u64) -> Standalone<Toy> {
        Standalone::new(Toy, 1, 3, seed).unwrap()
    }

    #[test]
    fn new_checks_its_arguments() {
        assert!(Standalone::new(Toy, 0, 0, 1).is_err());
        assert!(Standalone::new(Toy, 3, 3, 1).is_err());
    }

    #[test]
    fn timers_are_drawn_from_the_seed_and_fire_in_deadline_order() {
        let mut s = toy(1);
        let a = s.timer(Timer::A).unwrap().1;
        assert!((10 * MS..=20 * MS).contains(&a));
        assert_eq!(s.timer(Timer::B), Some((0, 5 * MS)));
        assert_eq!(s.next_deadline(), Some(5 * MS));
        // Same seed, same draw; another seed, (here) another.
        assert_eq!(toy(1).timer(Timer::A), s.timer(Timer::A));
        assert!((2..40).any(|seed| toy(seed).timer(Timer::A) != s.timer(Timer::A)));
        assert_eq!(s.tick(4 * MS), Ok(0));
        assert_eq!(s.tick(30 * MS), Ok(2));
        // Both fire at the tick's time, B (due first) first.
        assert_eq!(s.node().fired, vec![(Timer::B, 30 * MS), (Timer::A, 30 * MS)]);
        assert_eq!(s.next_deadline(), None);
        // Settled after each input: two timers; nothing before.
        assert_eq!((s.node().settled, s.node().after), (2, 2));
    }

    #[test]
    fn time_never_goes_back() {
        let mut s = toy(1);
        s.tick(7 * MS).unwrap();
        let before = s.node().clone();
        assert!(s.tick(6 * MS).is_err());
        assert_eq!(s.now(), 7 * MS);
        assert_eq!(s.node().fired, before.fired);
        assert_eq!(s.tick(7 * MS), Ok(0));
    }

    #[test]
    fn cancel_one_kind_or_all_and_resume() {
        let mut s = toy(1);
        s.on_msg(0, 1).unwrap();
        assert_eq!(s.timers().map(|t| t.0).collect::<Vec<_>>(), vec![Timer::B]);
        s.on_msg(0, 4).unwrap(); // resumes A at its last deadline
        let a = s.timer(Timer::A).unwrap().1;
        assert_eq!(s.timers().collect::<Vec<_>>(), vec![(Timer::B, 5 * MS), (Timer::A, a)]);
        s.on_msg(2, 2).unwrap();
        assert_eq!(s.timers().count(), 0);
        assert_eq!(s.tick(100 * MS), Ok(0));
        // Resumed after its deadline passed: due now.
        s.on_msg(0, 4).unwrap();
        assert_eq!(s.timers().collect::<Vec<_>>(), vec![(Timer::A, 100 * MS)]);
    }

    #[test]
    fn a_tick_ends_even_when_a_timer_rearms_with_no_delay() {
        let mut s = toy(1);
        s.on_msg(0, 3).unwrap();
        assert_eq!(s.tick(MS), Ok(1));
        assert_eq!(s.tick(MS), Ok(1));
        assert_eq!(s.node().fired.iter().filter(|f| f.0 == Timer::Zero).count(), 2);
    }

    #[test]
    fn sends_go_to_the_outbox_never_to_itself_decisions_are_kept() {
        let mut s = toy(1);
        assert!(s.outbox().is_empty());
        s.on_msg(2, 0).unwrap();
        // Node 1 of 3: to 0 and 2; itself and the out-of-range 3 dropped.
        assert_eq!(s.take_outbox(), vec![(0, 100), (2, 102)]);
        assert!(s.outbox().is_empty());
        assert_eq!(s.decisions(), &[7]);
        assert_eq!(s.persists(), 1);
        assert_eq!(s.node().got, vec![(2, 0)]);
    }

    #[test]
    fn messages_from_itself_or_outside_are_refused() {
        let mut s = toy(1);
        assert!(s.on_msg(1, 0).is_err());
        assert!(s.on_msg(3, 0).is_err());
        assert!(s.node().got.is_empty());
        assert_eq!(s.node().settled, 0);
    }

    #[test]
    fn propose_settles_when_taken() {
        let mut s = toy(1);
        assert_eq!(s.propose("x".into()), Ok(1));
        assert_eq!(s.decisions(), &[1]);
        assert_eq!(s.node().settled, 1);
        assert!(matches!(s.propose("no".into()), Err(Error::NotLeader { .. })));
        assert_eq!(s.node().settled, 1);
    }

    #[test]
    fn notes_are_kept_only_when_asked() {
        let mut s = toy(1);
        s.on_msg(0, 50).unwrap();
        assert_eq!(s.notes().count(), 0);
        s.set_note_capacity(3);
        for k in 51..55 {
            s.on_msg(0, k).unwrap();
        }
        // The handler's note, then the delivery's; the oldest dropped.
        assert_eq!(s.notes().copied().collect::<Vec<_>>(), vec![1053, 54, 1054]);
        s.set_note_capacity(1);
        assert_eq!(s.notes().copied().collect::<Vec<_>>(), vec![1054]);
    }
}
