//! The generic simulator driven by a protocol that is not Raft (issue #10, part 1): "tick-tock",
//! a toy in which every node ticks on a randomized timer, broadcasts its tick count (after a
//! stable-storage write), and decides a tick once a majority has echoed it. Its one invariant:
//! a node decides each tick at most once; its bug switch decides every tick twice.
//!
//! Everything the simulator owns is exercised through it: timers drawn from the seeded RNG,
//! cancelled and resumed; the network's latency, loss and partitions; crashes, restarts and
//! pauses; the persist delay; notes whose sentences are built only when read; the checker
//! driver; determinism. And the simulator's source names no protocol.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use consensus_playground::protocol::{BugInfo, BugSet, ClientCall, Ctx, Delay, Effect, Invariants, Micros, NodeId, Out, Protocol, Violation};
use consensus_playground::sim::chaos::{self, Chaos, ChaosConfig, Fault};
use consensus_playground::sim::{SimConfig, Simulation};
use rand_pcg::Pcg64Mcg;

const MS: Micros = 1_000;

#[derive(Clone, Debug)]
struct TickTock {
    /// The bug switch: decide every tick twice.
    decide_twice: bool,
    /// How many sentences `describe` has built (notes are data until read); this simulation's
    /// own count, so tests running beside it do not move it.
    described: Arc<AtomicUsize>,
}

impl TickTock {
    fn new(decide_twice: bool) -> Self {
        TickTock { decide_twice, described: Arc::default() }
    }
}

#[derive(Clone, Debug, Default)]
struct Node {
    ticks: u64,
    /// Echoes per own tick.
    echoes: Vec<u32>,
    decided: Vec<u64>,
    restarts: u32,
}

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Tick(u64),
    Echo(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Tick,
}

#[derive(Clone, Debug)]
enum Note {
    Ticked { at: NodeId, n: u64 },
    Echoed { at: NodeId, from: NodeId, n: u64 },
    Heard { at: NodeId, from: NodeId, n: u64, echoes: u32 },
    Crashed { at: NodeId },
    Restarted { at: NodeId },
}

#[derive(Clone, Debug, Default)]
struct DecidedOnce {
    /// The nodes the last checked event touched.
    touched: Vec<NodeId>,
    /// Per node, the ticks it decided.
    seen: Vec<std::collections::BTreeSet<u64>>,
    violations: Vec<Violation>,
    decided: u64,
}

impl Invariants<TickTock> for DecidedOnce {
    fn new(nodes: usize) -> Self {
        DecidedOnce { seen: vec![Default::default(); nodes], ..Default::default() }
    }
    fn add_node(&mut self) {
        self.seen.push(Default::default());
    }
    fn on_restart(&mut self, _node: NodeId) {}
    fn on_decide(&mut self, now: Micros, node: NodeId, d: &u64) {
        self.decided += 1;
        if !self.seen[node].insert(*d) {
            self.violations.push(Violation {
                rule: "Decided once",
                nodes: vec![format!("n{}", node + 1)],
                time_us: now,
                detail: format!("decided tick {d} a second time"),
                index: None,
            });
        }
    }
    fn check(&mut self, _now: Micros, _nodes: &mut [Node], touched: &[NodeId]) {
        self.touched = touched.to_vec();
    }
    fn violations(&self) -> &[Violation] {
        &self.violations
    }
    fn decided(&self) -> u64 {
        self.decided
    }
}

impl Protocol for TickTock {
    type Node = Node;
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Decision = u64;
    type Checker = DecidedOnce;

    const BUGS: &'static [BugInfo] = &[BugInfo { name: "decide-twice", breaks: "decides every tick twice" }];

    fn set_bugs(&mut self, _nodes: &mut [Node], bugs: BugSet) {
        self.decide_twice = bugs.has(0usize);
    }

    fn bugs(&self) -> BugSet {
        BugSet::NONE.with(0usize, self.decide_twice)
    }

    fn new_node(&self, _id: NodeId, _members: &[NodeId]) -> Node {
        Node::default()
    }
    fn on_start(&self, _n: &mut Node, _cx: &mut Ctx, out: &mut Out<Self>) {
        out.set_timer(Timer::Tick, Delay::Uniform(10 * MS, 20 * MS));
    }
    fn on_msg(&self, n: &mut Node, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) -> (Note, bool) {
        match msg {
            Msg::Tick(k) => {
                out.send(from, Msg::Echo(k));
                (Note::Echoed { at: cx.me, from, n: k }, true)
            }
            Msg::Echo(k) => {
                let e = &mut n.echoes[k as usize - 1];
                *e += 1;
                let echoes = *e;
                // A majority: the node itself and more than half of the others' echoes.
                if 2 * (echoes as usize + 1) > cx.nodes && 2 * (echoes as usize) <= cx.nodes {
                    n.decided.push(k);
                    out.push(Effect::Decide(k));
                    if self.decide_twice {
                        out.push(Effect::Decide(k));
                    }
                }
                (Note::Heard { at: cx.me, from, n: k, echoes }, false)
            }
        }
    }
    fn on_timer(&self, n: &mut Node, cx: &mut Ctx, timer: Timer, out: &mut Out<Self>) {
        assert_eq!(timer, Timer::Tick);
        n.ticks += 1;
        n.echoes.push(0);
        out.note(Note::Ticked { at: cx.me, n: n.ticks });
        out.push(Effect::Persist);
        for to in (0..cx.nodes).filter(|&to| to != cx.me) {
            out.send(to, Msg::Tick(n.ticks));
        }
        out.set_timer(Timer::Tick, Delay::Uniform(10 * MS, 20 * MS));
    }
    fn on_client(&self, _n: &mut Node, cx: &mut Ctx, _call: ClientCall, out: &mut Out<Self>) {
        out.note(Note::Crashed { at: cx.me });
    }
    fn propose(&self, _n: &mut Node, _cx: &mut Ctx, _command: String, _out: &mut Out<Self>) -> consensus_playground::error::Result<u64> {
        Err(consensus_playground::error::Error::invalid("command", "is not taken by tick-tock"))
    }
    fn on_crash(&self, _n: &mut Node, cx: &mut Ctx, out: &mut Out<Self>) {
        out.note(Note::Crashed { at: cx.me });
    }
    fn on_restart(&self, n: &mut Node, cx: &mut Ctx, out: &mut Out<Self>) {
        n.restarts += 1;
        out.note(Note::Restarted { at: cx.me });
        out.set_timer(Timer::Tick, Delay::After(5 * MS));
    }
    fn on_resume(&self, _n: &mut Node, _cx: &mut Ctx, out: &mut Out<Self>) {
        out.push(Effect::ResumeTimer(Timer::Tick));
    }
    fn settle(&self, _n: &mut Node, _cx: &mut Ctx, _out: &mut Out<Self>) {}
    fn after_check(&self, _n: &mut Node, _cx: &mut Ctx, _out: &mut Out<Self>) {}
    fn leads(&self, _n: &Node) -> Option<u64> {
        None
    }
    fn committed_members(&self, _n: &Node) -> Option<Vec<NodeId>> {
        None
    }
    fn msg_kind(msg: &Msg) -> &'static str {
        match msg {
            Msg::Tick(_) => "Tick",
            Msg::Echo(_) => "Echo",
        }
    }
    fn note_kind(note: &Note) -> &'static str {
        match note {
            Note::Ticked { .. } => "tick",
            Note::Crashed { .. } => "crash",
            Note::Restarted { .. } => "restart",
            Note::Echoed { .. } | Note::Heard { .. } => "deliver",
        }
    }
    fn describe(&self, note: &Note, names: &[String]) -> String {
        self.described.fetch_add(1, Ordering::SeqCst);
        match note {
            Note::Ticked { at, n } => format!("{} ticks {n}", names[*at]),
            Note::Echoed { at, from, n } => format!("{} echoes {}'s tick {n}", names[*at], names[*from]),
            Note::Heard { at, from, n, echoes } => format!("{} hears {} echo tick {n} ({echoes} echoes)", names[*at], names[*from]),
            Note::Crashed { at } => format!("{} crashes", names[*at]),
            Note::Restarted { at } => format!("{} restarts", names[*at]),
        }
    }
}

impl Chaos for TickTock {
    fn simulation(cfg: &ChaosConfig, _rng: &mut Pcg64Mcg) -> consensus_playground::error::Result<Simulation<Self>> {
        let mut s = Simulation::start(cfg.sim_config(), TickTock::new(false))?;
        s.set_bugs(cfg.bugs);
        Ok(s)
    }
    fn command(_sim: &mut Simulation<Self>, _command: String) -> consensus_playground::error::Result<()> {
        Ok(())
    }
}

fn sim(seed: u64, nodes: usize) -> Simulation<TickTock> {
    let config = SimConfig { seed, nodes, latency_us: (2 * MS, 4 * MS), ..SimConfig::default() };
    Simulation::start(config, TickTock::new(false)).unwrap()
}

fn texts(s: &Simulation<TickTock>) -> Vec<String> {
    s.events_since(0).map(|e| format!("{} {} {}", e.time, e.kind, e.text)).collect()
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let run = |seed| {
        let mut s = sim(seed, 5);
        s.run_until(300 * MS);
        texts(&s)
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn timers_fire_within_their_drawn_range_and_messages_within_the_latency() {
    let mut s = sim(1, 3);
    s.run_until(200 * MS); // the log keeps the last 500 events: all of these
    let events: Vec<_> = s.events_since(0).collect();
    assert!(events[0].seq == 1 && events.len() < 500);
    for node in ["n1", "n2", "n3"] {
        let ticks: Vec<f64> = events.iter().filter(|e| e.kind == "tick" && e.node.as_deref() == Some(node)).map(|e| e.time).collect();
        assert!(ticks.len() >= 9, "{node} ticked {} times in 200 ms", ticks.len());
        assert!(ticks[0] >= 10.0 && ticks[0] <= 20.0, "first tick at {}", ticks[0]);
        for w in ticks.windows(2) {
            assert!((10.0..=20.0).contains(&(w[1] - w[0])), "{node}: ticks {} then {}", w[0], w[1]);
        }
    }
    // Every message spent 2-4 ms on the wire.
    let mut s = sim(2, 3);
    for _ in 0..500 {
        s.step();
        for m in s.in_flight() {
            assert!((2 * MS..=4 * MS).contains(&(m.deliver_at - m.sent_at)), "{m:?}");
        }
    }
}

#[test]
fn a_majority_of_echoes_decides_each_tick_once_and_the_checker_sees_decisions() {
    let mut s = sim(5, 5);
    s.run_until(500 * MS);
    let n1 = &s.node_state(0);
    assert!(n1.decided.len() as u64 >= n1.ticks - 2, "{} ticks, {} decided", n1.ticks, n1.decided.len());
    assert!(n1.decided.windows(2).all(|w| w[0] < w[1]));
    assert!(s.violations().is_empty());
    let total: u64 = (0..5).map(|i| s.node_state(i).decided.len() as u64).sum();
    assert_eq!(s.stats().committed, total, "the counter is the checker's count of decisions");
}

#[test]
fn the_checker_runs_after_every_event_on_the_nodes_it_touched() {
    let mut s = sim(5, 5);
    for _ in 0..200 {
        let e = s.step().unwrap();
        let at = e.node.as_deref().map(|n| n[1..].parse::<usize>().unwrap() - 1);
        let touched = &s.checker().touched;
        match e.kind {
            // A delivery touches its receiver, a tick its node; a lost message no one.
            "deliver" | "tick" => assert_eq!(touched, &vec![at.unwrap()], "{e:?}"),
            "lost" => assert!(touched.is_empty()),
            other => panic!("unexpected event {other}"),
        }
    }
}

#[test]
fn the_bug_switch_is_caught_by_the_checker_and_logged() {
    let config = SimConfig { seed: 5, nodes: 3, ..SimConfig::default() };
    let mut s = Simulation::start(config, TickTock::new(true)).unwrap();
    s.run_until(200 * MS);
    assert!(!s.violations().is_empty());
    assert_eq!(s.violations()[0].rule, "Decided once");
    assert!(s.events_since(0).any(|e| e.kind == "violation" && e.text.starts_with("Safety violation (Decided once)")));
}

#[test]
fn bug_switches_are_the_simulators_set_bugs_logs_them_and_the_checker_catches_them() {
    let mut s = sim(5, 3);
    s.set_bugs(BugSet::NONE.with(0usize, true));
    assert!(s.protocol().decide_twice);
    assert_eq!(s.events_since(0).last().unwrap().text, "Deliberate bugs on: decide-twice");
    s.run_until(200 * MS);
    assert_eq!(s.violations()[0].rule, "Decided once");
    s.set_bugs(BugSet::NONE);
    assert!(!s.protocol().decide_twice);
    assert_eq!(s.events_since(0).last().unwrap().text, "The protocol is correct again (no deliberate bugs)");
}

#[test]
fn the_generic_chaos_runner_drives_any_protocol_finds_its_bug_and_replays_a_seed() {
    let run = |seed, bugs| {
        let cfg = ChaosConfig { seed, nodes: 3, events: 3_000, faults: Fault::ALL.to_vec(), bugs, traitors: 0 };
        chaos::run::<TickTock>(&cfg).unwrap()
    };
    // Without the bug: thousands of events under every fault, no violation.
    for seed in 0..5 {
        let (s, r) = run(seed, BugSet::NONE);
        assert!(r.events >= 3_000 && r.violations.is_empty(), "seed {seed}: {r:?}");
        assert!(r.committed > 0, "seed {seed}: ticks were decided");
        // The faults struck: some node crashed, paused or was cut off at some point.
        assert!(s.stats().messages_dropped > 0 || s.events_since(0).any(|e| ["crash", "pause", "partition", "link"].contains(&e.kind)), "seed {seed}");
    }
    // With it: caught, and the same seed replays the same run.
    let (a, ra) = run(1, BugSet::NONE.with(0usize, true));
    assert_eq!(ra.violations[0].rule, "Decided once");
    let (b, rb) = run(1, BugSet::NONE.with(0usize, true));
    assert_eq!((ra.events, ra.time_us, &ra.violations), (rb.events, rb.time_us, &rb.violations));
    assert_eq!(texts(&a), texts(&b));
}

#[test]
fn sentences_are_built_only_when_the_log_is_read() {
    let mut s = sim(9, 5);
    let counter = s.protocol().described.clone();
    let described = || counter.load(Ordering::SeqCst);
    let handled = s.run_until(2_000 * MS);
    assert!(handled > 2_000, "{handled} events");
    assert_eq!(described(), 0, "running {handled} events built no sentence");
    let read = s.events_since(0).count();
    assert_eq!(read, 500, "the log keeps the last 500 events");
    assert_eq!(described(), 500, "reading built the sentences of what was read");
}

#[test]
fn a_partition_loses_messages_between_groups_and_healing_restores_them() {
    let mut s = sim(4, 4);
    s.run_until(50 * MS);
    s.partition(&[vec![0, 1]]).unwrap();
    let seen = s.events_since(0).last().unwrap().seq;
    s.run_until(200 * MS);
    let after: Vec<_> = s.events_since(seen).collect();
    let across = |e: &consensus_playground::sim::EventView| {
        let (f, t) = (e.from.as_deref().unwrap(), e.to.as_deref().unwrap());
        (["n1", "n2"].contains(&f)) != (["n1", "n2"].contains(&t))
    };
    assert!(after.iter().filter(|e| e.kind == "deliver").all(|e| !across(e)), "nothing delivered across the cut");
    assert!(after.iter().any(|e| e.kind == "lost" && across(e)), "messages in flight when it split are lost");
    s.heal();
    let seen = s.events_since(0).last().unwrap().seq;
    s.run_until(300 * MS);
    assert!(s.events_since(seen).any(|e| e.kind == "deliver" && across(&e)));
}

#[test]
fn a_crashed_node_stops_a_restarted_one_starts_again_and_a_paused_one_resumes_its_timer() {
    let mut s = sim(6, 3);
    s.run_until(100 * MS);
    s.crash(1).unwrap();
    let ticks = s.node_state(1).ticks;
    s.run_until(300 * MS);
    assert_eq!(s.node_state(1).ticks, ticks, "a crashed node's timers are cancelled");
    assert!(s.events_since(0).any(|e| e.kind == "crash" && e.text == "n2 crashes"));
    s.restart(1).unwrap();
    assert_eq!(s.node_state(1).restarts, 1);
    s.run_until(306 * MS);
    assert_eq!(s.node_state(1).ticks, ticks + 1, "on_restart set a 5 ms timer");
    // Pause: nothing fires; on resume the overdue tick fires at once.
    s.pause(2).unwrap();
    let ticks = s.node_state(2).ticks;
    s.run_until(500 * MS);
    assert_eq!(s.node_state(2).ticks, ticks);
    s.resume(2).unwrap();
    s.run_until(500 * MS);
    assert_eq!(s.node_state(2).ticks, ticks + 1, "the overdue timer fired at resume time");
}

#[test]
fn sends_after_a_persist_leave_once_the_write_is_done() {
    let config = SimConfig { seed: 8, nodes: 3, latency_us: (MS, MS), persist_us: 7 * MS, ..SimConfig::default() };
    let mut s = Simulation::start(config, TickTock::new(false)).unwrap();
    loop {
        let e = s.step().unwrap();
        if e.kind == "tick" {
            break;
        }
    }
    let ticks: Vec<_> = s.in_flight().filter(|m| matches!(m.payload, Msg::Tick(_))).collect();
    assert_eq!(ticks.len(), 2);
    for m in ticks {
        assert_eq!(m.sent_at, s.now() + 7 * MS, "the tick leaves after the write");
        assert_eq!(m.deliver_at, m.sent_at + MS);
    }
}

/// Traitors are the simulator's for every protocol: a silent one sends nothing, a mute one
/// nothing to the nodes chosen; both still hear (ARCHITECTURE: "it can only send as itself").
#[test]
fn a_silent_traitor_sends_nothing_and_a_mute_one_nothing_to_its_targets() {
    use consensus_playground::protocol::Byzantine;
    let mut s = sim(4, 4);
    s.set_byzantine(0, Some(Byzantine::Silent)).unwrap();
    s.set_byzantine(1, Some(Byzantine::Mute(vec![2]))).unwrap();
    assert_eq!(s.byzantine_name(0), Some("silent"));
    assert_eq!(s.byzantine_name(1), Some("mute"));
    assert!(s.events_since(0).any(|e| e.kind == "byzantine" && e.text.contains("n1 turns traitor: silent")));
    let mut delivered_from_n1 = 0;
    let mut n2_to_n4 = 0;
    for _ in 0..2000 {
        let Some(e) = s.step() else { break };
        for m in s.in_flight() {
            assert_ne!(m.from, 0, "n1 is silent: {m:?}");
            assert!(!(m.from == 1 && m.to == 2), "n2 is mute towards n3: {m:?}");
            n2_to_n4 += usize::from(m.from == 1 && m.to == 3);
        }
        delivered_from_n1 += usize::from(e.kind == "deliver" && e.to.as_deref() == Some("n1"));
    }
    assert!(delivered_from_n1 > 0, "a silent traitor still hears");
    assert!(n2_to_n4 > 0, "a mute traitor still talks to the others");
    // Errors leave the node as it was.
    let err = s.set_byzantine(2, Some(Byzantine::Mute(vec![2]))).unwrap_err();
    assert!(err.to_string().contains("to") && err.to_string().contains("itself"), "{err}");
    assert!(s.set_byzantine(2, Some(Byzantine::Lie(0))).unwrap_err().to_string().contains("silent, mute"));
    assert_eq!(s.byzantine(2), None);
    s.set_byzantine(0, None).unwrap();
    assert_eq!(s.byzantine(0), None);
}

#[test]
fn the_simulator_names_no_protocol() {
    for (file, text) in [
        ("sim/mod.rs", include_str!("../src/sim/mod.rs")),
        ("sim/clients.rs", include_str!("../src/sim/clients.rs")),
        ("sim/linearizable.rs", include_str!("../src/sim/linearizable.rs")),
        ("sim/network.rs", include_str!("../src/sim/network.rs")),
        ("sim/view.rs", include_str!("../src/sim/view.rs")),
        ("sim/config.rs", include_str!("../src/sim/config.rs")),
        ("sim/chaos.rs", include_str!("../src/sim/chaos.rs")),
        ("sim/measure.rs", include_str!("../src/sim/measure.rs")),
        ("sim/message_log.rs", include_str!("../src/sim/message_log.rs")),
        ("protocol.rs", include_str!("../src/protocol.rs")),
    ] {
        let lower = text.to_lowercase();
        for name in ["raft", "paxos", "pbft", "hotstuff", "gossip"] {
            assert!(!lower.contains(name), "{file} names {name}");
        }
    }
}
