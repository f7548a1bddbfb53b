//! The Byzantine Generals (Lamport, Shostak & Pease 1982), OM(m) on the generic simulator
//! (issue #12 §5): IC1 with a traitorous commander and IC2 with a traitorous lieutenant at
//! N = 4; the impossibility at N = 3; OM(2) with two traitors at N = 7; messages beside the
//! closed form; the bug switches caught by scenario and by search; malformed messages from a
//! traitor ignored without a panic.

use consensus_playground::generals::check::{reading, Reading, IC1, IC2};
use consensus_playground::generals::node::{Heard, Ignored};
use consensus_playground::generals::{closed_form, message_count, Bug, Generals, Msg, Options, Order};
use consensus_playground::protocol::{BugSet, Byzantine, Ctx, Micros, NodeId, Out, Protocol};
use consensus_playground::sim::chaos::{self, ChaosConfig, Fault};
use consensus_playground::sim::{SimConfig, Simulation};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

const MS: Micros = 1_000;

fn sim(seed: u64, nodes: usize, options: Options) -> Simulation<Generals> {
    let config = SimConfig { seed, nodes, latency_us: (10 * MS, 15 * MS), ..SimConfig::default() };
    Simulation::<Generals>::new(config, options).unwrap()
}

/// Every behaviour a traitor can show: the simulator's `silent` and `mute` (towards `mute`),
/// and the generals' own `lie`, `flip`, `random` and `forge`.
fn behaviours(mute: Vec<NodeId>) -> Vec<Byzantine> {
    vec![Byzantine::Silent, Byzantine::Mute(mute), Byzantine::Lie(0), Byzantine::Lie(1), Byzantine::Lie(2), Byzantine::Lie(3)]
}

/// Runs run 0 to its end with `traitors`, the commander ordering `order`.
fn run0(seed: u64, nodes: usize, options: Options, traitors: &[(NodeId, Byzantine)]) -> Simulation<Generals> {
    let mut s = sim(seed, nodes, options);
    for (i, b) in traitors {
        s.set_byzantine(*i, Some(b.clone())).unwrap();
    }
    let end = s.run_end(0);
    s.run_until(end);
    s
}

fn loyal_decisions(s: &Simulation<Generals>, run: u64, traitors: &[(NodeId, Byzantine)]) -> Vec<Order> {
    let c = s.commander();
    s.decisions(run)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != c && !traitors.iter().any(|(t, _)| t == i))
        .map(|(i, d)| d.unwrap_or_else(|| panic!("n{} did not decide", i + 1)))
        .collect()
}

#[test]
fn n4_with_a_traitorous_commander_the_loyal_lieutenants_agree_ic1() {
    for seed in 0..5 {
        for order in [Order::Attack, Order::Retreat] {
            for b in behaviours(vec![1, 3]) {
                let t = [(0, b.clone())];
                let s = run0(seed, 4, Options { first_order: Some(order), ..Options::default() }, &t);
                let d = loyal_decisions(&s, 0, &t);
                assert_eq!(d.len(), 3);
                assert!(d.iter().all(|x| *x == d[0]), "{b:?} {order:?}: {d:?}");
                assert!(s.violations().is_empty(), "{:?}", s.violations());
            }
        }
    }
    // The traitor's split: n2 and n4 hear attack, n3 retreat; the majority of (attack, attack,
    // retreat) is attack at every loyal lieutenant.
    let t = [(0, Byzantine::Lie(0))];
    let s = run0(1, 4, Options::default(), &t);
    assert_eq!(s.decisions(0), vec![None, Some(Order::Attack), Some(Order::Attack), Some(Order::Attack)]);
    assert_eq!(s.run_of(2, 0).unwrap().received.get(&vec![0]), Some(&Order::Retreat));
}

#[test]
fn n4_with_a_traitorous_lieutenant_they_obey_the_loyal_commander_ic2() {
    for seed in 0..3 {
        for order in [Order::Attack, Order::Retreat] {
            for traitor in 1..4 {
                let others: Vec<NodeId> = (1..4).filter(|&i| i != traitor).take(1).collect();
                for b in behaviours(others) {
                    let t = [(traitor, b.clone())];
                    let s = run0(seed, 4, Options { first_order: Some(order), ..Options::default() }, &t);
                    let d = loyal_decisions(&s, 0, &t);
                    assert_eq!(d, vec![order, order], "traitor n{} {b:?}", traitor + 1);
                    assert!(s.violations().is_empty(), "{:?}", s.violations());
                }
            }
        }
    }
}

#[test]
fn n3_with_one_traitor_is_the_impossibility_and_the_checker_says_so() {
    // OM(1) with three generals: the loyal commander orders attack, the traitor n3 tells n2
    // "he said retreat"; n2 holds (attack, retreat), a tie, and retreats: IC2 fails.
    let t = [(2, Byzantine::Lie(1))];
    let a = run0(1, 3, Options { m: Some(1), ..Options::default() }, &t);
    assert_eq!(a.decisions(0)[1], Some(Order::Retreat));
    let v = &a.violations()[0];
    assert_eq!(v.rule, IC2);
    assert!(v.detail.contains("N ≤ 3m") && v.detail.contains("impossibility"), "{}", v.detail);
    assert!(v.detail.contains("expected"), "{}", v.detail);
    // The classic case: a traitorous commander tells n2 attack and n3 retreat, and the loyal n3
    // says so. n2 hears exactly what it heard from the traitorous peer: it cannot tell them apart.
    let b = run0(1, 3, Options { m: Some(1), ..Options::default() }, &[(0, Byzantine::Lie(0))]);
    assert_eq!(a.run_of(1, 0).unwrap().received, b.run_of(1, 0).unwrap().received);
    assert_eq!(a.run_of(1, 0).unwrap().received.len(), 2);
    // With the default m = ⌊2/3⌋ = 0 (OM(0)) a traitorous commander splits the lieutenants,
    // and it is still the impossibility, not a bug.
    let c = run0(1, 3, Options::default(), &[(0, Byzantine::Lie(0))]);
    assert_eq!(c.m(), 0);
    let v = &c.violations()[0];
    assert_eq!(v.rule, IC1);
    assert!(v.detail.contains("N ≤ 3m"), "{}", v.detail);
    // Randomized: with one traitor among three, runs break IC1 or IC2, every one read as the
    // impossibility.
    let mut found = 0;
    for seed in 0..60 {
        let cfg = ChaosConfig { seed, nodes: 3, events: 2_000, faults: vec![], bugs: BugSet::NONE, traitors: 1 };
        let (_, report) = chaos::run::<Generals>(&cfg).unwrap();
        for v in &report.violations {
            assert!(v.rule == IC1 || v.rule == IC2);
            assert!(v.detail.contains("N ≤ 3m") && !v.detail.contains("a bug"), "{}", v.detail);
            found += 1;
        }
    }
    assert!(found > 0);
}

#[test]
fn n7_with_om2_and_two_traitors_is_fine() {
    let mut runs = 0;
    for seed in 0..4 {
        for (x, y) in [(0, 3), (2, 5), (1, 6), (0, 6)] {
            for bx in behaviours((1..7).filter(|&i| i != x && i != y).step_by(2).collect()) {
                for by in [Byzantine::Lie(0), Byzantine::Lie(1), Byzantine::Lie(2), Byzantine::Silent] {
                    for order in [Order::Attack, Order::Retreat] {
                        let t = [(x, bx.clone()), (y, by.clone())];
                        let s = run0(seed, 7, Options { first_order: Some(order), ..Options::default() }, &t);
                        assert_eq!(s.m(), 2);
                        let d = loyal_decisions(&s, 0, &t);
                        assert!(d.iter().all(|v| *v == d[0]), "{t:?}: {d:?}");
                        if x != 0 {
                            assert_eq!(d[0], order, "{t:?}");
                        }
                        assert!(s.violations().is_empty(), "{:?}", s.violations());
                        runs += 1;
                    }
                }
            }
        }
    }
    assert_eq!(runs, 4 * 4 * 6 * 4 * 2);
    // And randomized, under every fault, with two traitors.
    for seed in 0..20 {
        let cfg = ChaosConfig { seed, nodes: 7, events: 3_000, faults: Fault::ALL.to_vec(), bugs: BugSet::NONE, traitors: 2 };
        let (_, report) = chaos::run::<Generals>(&cfg).unwrap();
        assert!(report.violations.is_empty(), "seed {seed}: {:?}", report.violations);
    }
}

#[test]
fn messages_equal_the_closed_form_without_faults() {
    assert_eq!(closed_form(4, 1), 3 + 3 * 2);
    assert_eq!(closed_form(7, 2), 6 + 6 * 5 + 6 * 5 * 4);
    assert_eq!(closed_form(10, 3), 9 + 9 * 8 + 9 * 8 * 7 + 9 * 8 * 7 * 6);
    let table = [(3, 0, 2), (3, 1, 4), (4, 1, 9), (4, 2, 15), (7, 1, 36), (7, 2, 156), (10, 1, 81), (10, 2, 585), (10, 3, 3609)];
    for (n, m, expect) in table {
        let c = message_count(n, m).unwrap();
        assert_eq!((c.closed_form, c.measured), (expect, expect), "N = {n}, m = {m}");
    }
    // The run's own tally agrees with the simulator's, and every lieutenant decided.
    let s = run0(3, 7, Options::default(), &[]);
    assert_eq!(s.run_messages(0), 156);
    assert_eq!(s.stats().messages_sent, 156);
    assert!(s.decisions(0).iter().skip(1).all(|d| *d == Some(Order::Attack)));
    // A run decides once, and then the cluster is idle: no timer, no message pending.
    assert_eq!(s.next_event_at(), None);
    // m beyond N − 2 is refused, naming the option.
    let e = Simulation::<Generals>::new(SimConfig { nodes: 4, ..SimConfig::default() }, Options { m: Some(3), ..Options::default() }).unwrap_err();
    assert!(e.to_string().starts_with("m must be at most"), "{e}");
    let e = Simulation::<Generals>::new(SimConfig { nodes: 4, ..SimConfig::default() }, Options { round_us: 15 * MS, ..Options::default() }).unwrap_err();
    assert!(e.to_string().starts_with("round must be longer"), "{e}");
}

fn with_bug(bug: Bug) -> Options {
    Options { bugs: BugSet::NONE.with(bug, true), ..Options::default() }
}

#[test]
fn no_majority_is_caught_by_its_scenario_and_by_search() {
    // The traitorous commander splits the lieutenants; without the majority they obey what he
    // told each.
    let s = run0(1, 4, with_bug(Bug::NoMajority), &[(0, Byzantine::Lie(0))]);
    let v = &s.violations()[0];
    assert_eq!(v.rule, IC1);
    assert!(v.detail.contains("a bug, N > 3m"), "{}", v.detail);
    assert_bug_found(Bug::NoMajority, 4, 1);
}

#[test]
fn one_round_short_is_caught_by_its_scenario_and_by_search() {
    // N = 4, m = 1: one round is OM(0), and the traitorous commander splits them.
    let s = run0(1, 4, with_bug(Bug::OneRoundShort), &[(0, Byzantine::Lie(0))]);
    assert_eq!(s.violations()[0].rule, IC1);
    assert!(s.violations()[0].detail.contains("a bug"));
    // N = 7, m = 2: two rounds are OM(1), which two traitors defeat.
    let t = [(0, Byzantine::Lie(0)), (2, Byzantine::Lie(0))];
    let s = run0(1, 7, with_bug(Bug::OneRoundShort), &t);
    assert!(!s.violations().is_empty());
    assert!(s.violations()[0].detail.contains("a bug, N > 3m: N = 7 > 3m = 6"), "{}", s.violations()[0].detail);
    let s = run0(1, 7, Options::default(), &t);
    assert!(s.violations().is_empty());
    assert_bug_found(Bug::OneRoundShort, 4, 1);
    assert_bug_found(Bug::OneRoundShort, 7, 2);
}

#[test]
fn trust_path_is_caught_by_its_scenario_and_by_search() {
    // The forger n4 sends n2 "n1 says retreat" as if n3 had relayed it; when it arrives before
    // n3's own relay, a lieutenant that believes the chain counts two retreats against the
    // loyal commander's attack.
    let t = [(3, Byzantine::Lie(3))];
    let caught: Vec<u64> = (0..20).filter(|&seed| !run0(seed, 4, with_bug(Bug::TrustPath), &t).violations().is_empty()).collect();
    assert!(!caught.is_empty());
    let s = run0(caught[0], 4, with_bug(Bug::TrustPath), &t);
    assert_eq!(s.violations()[0].rule, IC2);
    assert!(s.violations()[0].detail.contains("a bug, N > 3m"), "{}", s.violations()[0].detail);
    // Without the bug the forgeries are ignored: the sender is not the chain's last general.
    let s = run0(caught[0], 4, Options::default(), &t);
    assert!(s.violations().is_empty());
    assert!(s.events_since(0).any(|e| e.text.ends_with("the sender is not the chain's last general")));
    assert_bug_found(Bug::TrustPath, 4, 1);
}

/// Randomized runs with `traitors` traitors and `bug` on find a violation read as a bug, and
/// the same seeds without it find none.
fn assert_bug_found(bug: Bug, nodes: usize, traitors: usize) {
    let mut found = None;
    for seed in 0..200 {
        let cfg = ChaosConfig { seed, nodes, events: 2_000, faults: vec![], bugs: BugSet::NONE.with(bug, true), traitors };
        let (_, report) = chaos::run::<Generals>(&cfg).unwrap();
        if let Some(v) = report.violations.first() {
            assert!(v.detail.contains("a bug"), "{}", v.detail);
            found = Some(seed);
            break;
        }
    }
    let seed = found.unwrap_or_else(|| panic!("{} not found with N = {nodes}", bug.name()));
    let cfg = ChaosConfig { seed, nodes, events: 2_000, faults: vec![], bugs: BugSet::NONE, traitors };
    assert!(chaos::run::<Generals>(&cfg).unwrap().1.violations.is_empty());
}

#[test]
fn a_traitors_malformed_messages_are_ignored_without_a_panic() {
    let proto = Generals { options: Options::default() };
    let members: Vec<NodeId> = (0..4).collect();
    let mut rng = Pcg64Mcg::seed_from_u64(5);
    let mut g = proto.new_node(2, &members);
    let mut out = Out::new();
    let mut deliver = |g: &mut _, now: Micros, from: NodeId, run: u64, path: Vec<NodeId>, rng: &mut Pcg64Mcg| {
        let mut cx = Ctx { me: 2, now, nodes: 4, rng };
        let (note, _) = proto.on_msg(g, &mut cx, from, Msg::Order { run, path, value: Order::Attack }, &mut out);
        match note {
            consensus_playground::generals::notes::Note::Msg { heard, .. } => heard,
            other => panic!("{other:?}"),
        }
    };
    let ignored = |why| Heard::Ignored(why);
    assert_eq!(deliver(&mut g, 10 * MS, 0, 0, vec![], &mut rng), ignored(Ignored::BadPath));
    assert_eq!(deliver(&mut g, 60 * MS, 1, 0, vec![0, 1, 1], &mut rng), ignored(Ignored::BadPath));
    assert_eq!(deliver(&mut g, 60 * MS, 1, 0, vec![0, 0, 1], &mut rng), ignored(Ignored::BadPath));
    assert_eq!(deliver(&mut g, 60 * MS, 1, 0, vec![0, 2], &mut rng), ignored(Ignored::BadPath));
    assert_eq!(deliver(&mut g, 60 * MS, 1, 0, vec![1, 0], &mut rng), ignored(Ignored::BadPath));
    assert_eq!(deliver(&mut g, 60 * MS, 9, 0, vec![0, 9], &mut rng), ignored(Ignored::BadPath));
    assert_eq!(deliver(&mut g, 60 * MS, 1, 0, vec![0, usize::MAX], &mut rng), ignored(Ignored::BadPath));
    assert_eq!(deliver(&mut g, 60 * MS, 3, 0, vec![0, 1], &mut rng), ignored(Ignored::NotSender));
    assert_eq!(deliver(&mut g, 110 * MS, 3, 0, vec![0, 1, 3], &mut rng), ignored(Ignored::TooLong));
    assert_eq!(deliver(&mut g, 60 * MS, 0, 0, vec![0], &mut rng), ignored(Ignored::WrongRound));
    assert_eq!(deliver(&mut g, 10 * MS, 1, u64::MAX, vec![0, 1], &mut rng), ignored(Ignored::WrongRound));
    assert_eq!(deliver(&mut g, 10 * MS, 0, 0, vec![0], &mut rng), Heard::Taken { new_run: true });
    assert_eq!(deliver(&mut g, 11 * MS, 0, 0, vec![0], &mut rng), ignored(Ignored::Duplicate));
    // The commander takes no orders.
    let mut c = proto.new_node(0, &members);
    let mut cx = Ctx { me: 0, now: 60 * MS, nodes: 4, rng: &mut rng };
    let (note, routine) = proto.on_msg(&mut c, &mut cx, 1, Msg::Order { run: 0, path: vec![0, 1], value: Order::Retreat }, &mut Out::new());
    assert!(routine && format!("{note:?}").contains("Commander"));
    // Random well-typed messages, at random times, at every general of a running cluster:
    // no panic, and the loyal lieutenants still agree on the commander's order.
    let mut s = sim(2, 4, Options::default());
    s.set_byzantine(3, Some(Byzantine::Lie(2))).unwrap();
    for _ in 0..20_000 {
        let len = rng.random_range(0..6);
        let path: Vec<NodeId> = (0..len).map(|_| if rng.random_range(0..10) == 0 { usize::MAX - rng.random_range(0..3) } else { rng.random_range(0..5) }).collect();
        let run = [0, 1, 2, u64::MAX, rng.random()][rng.random_range(0..5)];
        let (to, from) = (rng.random_range(0..4), rng.random_range(0..5));
        let now = rng.random_range(0..400) * MS;
        let mut g = s.node_state(to).clone();
        let mut cx = Ctx { me: to, now, nodes: 4, rng: &mut rng };
        let _ = s.protocol().on_msg(&mut g, &mut cx, from, Msg::Order { run, path, value: Order::Retreat }, &mut Out::new());
    }
    s.run_until(s.run_end(0));
    assert_eq!(s.decisions(0)[1..3], [Some(Order::Attack), Some(Order::Attack)]);
    assert!(s.violations().is_empty());
}

#[test]
fn runs_are_started_by_the_commander_alone_and_read_as_sentences() {
    let mut s = sim(4, 4, Options { first_order: None, ..Options::default() });
    s.run_until(120 * MS);
    assert_eq!(s.stats().messages_sent, 0, "no run without an order");
    let run = s.start_run(Order::Retreat).unwrap();
    assert_eq!(run, 3, "the next round boundary: 150 ms");
    s.run_until(s.run_end(run));
    assert_eq!(s.decisions(run), vec![None, Some(Order::Retreat), Some(Order::Retreat), Some(Order::Retreat)]);
    assert_eq!(s.stats().committed, 1);
    // A lieutenant refuses, naming the commander; a command other than an order is refused.
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    let mut g = s.node_state(1).clone();
    let mut cx = Ctx { me: 1, now: s.now(), nodes: 4, rng: &mut rng };
    let e = s.protocol().propose(&mut g, &mut cx, "attack".into(), &mut Out::new()).unwrap_err();
    assert_eq!(e.to_string(), "n2 is not the leader; the leader it knows is n1");
    let mut c = s.node_state(0).clone();
    let mut cx = Ctx { me: 0, now: s.now(), nodes: 4, rng: &mut rng };
    assert!(s.protocol().propose(&mut c, &mut cx, "charge".into(), &mut Out::new()).is_err());
    assert!(s.protocol().propose(&mut c, &mut cx, "\"attack\"".into(), &mut Out::new()).is_ok());
    let texts: Vec<String> = s.events_since(0).map(|e| e.text).collect();
    for want in ["n1 (commander) will order retreat in run 3", "n1 (commander) orders retreat to every lieutenant in run 3", "n2 obeys retreat in run 3: 0 of 3 values say attack"] {
        assert!(texts.iter().any(|t| t.starts_with(want)), "{want}: {texts:#?}");
    }
    assert!(texts.iter().any(|t| t.contains("hears from n3 \"n1 says retreat\" (n1→n3)")), "{texts:#?}");
    // A traitorous commander's split is told as such.
    let s = run0(1, 4, Options::default(), &[(0, Byzantine::Lie(0))]);
    assert!(s.events_since(0).any(|e| e.text == "n1 (commander, a traitor) was to order attack in run 0 and sends attack to n2, retreat to n3, attack to n4"));
}

#[test]
fn randomized_runs_without_traitors_or_within_m_find_nothing_and_replay_identically() {
    for (nodes, traitors) in [(4, 0), (4, 1), (5, 1), (7, 2)] {
        for seed in 0..15 {
            let cfg = ChaosConfig { seed, nodes, events: 3_000, faults: Fault::ALL.to_vec(), bugs: BugSet::NONE, traitors };
            let (_, report) = chaos::run::<Generals>(&cfg).unwrap();
            assert!(report.violations.is_empty(), "N = {nodes}, seed {seed}: {:?}", report.violations);
            assert!(report.committed > 0);
        }
    }
    let cfg = ChaosConfig { seed: 9, nodes: 5, events: 3_000, faults: Fault::ALL.to_vec(), bugs: BugSet::NONE, traitors: 1 };
    let a: Vec<String> = chaos::run::<Generals>(&cfg).unwrap().0.events_since(0).map(|e| e.text).collect();
    let b: Vec<String> = chaos::run::<Generals>(&cfg).unwrap().0.events_since(0).map(|e| e.text).collect();
    assert_eq!(a, b);
}

#[test]
fn the_reading_of_a_violation() {
    assert_eq!(reading(4, 1, 1, 1), Reading::Bug);
    assert_eq!(reading(7, 2, 2, 2), Reading::Bug);
    assert_eq!(reading(4, 1, 0, 2), Reading::Unjudged);
    assert_eq!(reading(4, 1, 1, 2), Reading::Unjudged);
    assert!(matches!(reading(3, 1, 1, 1), Reading::Expected(t) if t.contains("N ≤ 3m") && t.contains("impossibility")));
    assert!(matches!(reading(4, 1, 2, 2), Reading::Expected(t) if t.contains("N ≤ 3m")));
    assert!(matches!(reading(7, 1, 2, 2), Reading::Expected(t) if t.contains("more than the m = 1")));
    assert!(matches!(reading(4, 2, 1, 1), Reading::Expected(t) if t.contains("OM(2)")));
}

#[test]
fn a_lost_message_makes_its_sender_faulty_and_a_crashed_receiver_blames_no_one() {
    let nodes = |s: &Simulation<Generals>| (0..s.ids().len()).map(|i| s.node_state(i).clone()).collect::<Vec<_>>();
    // n2's relays to n3 are cut: n2 committed an omission, which only a faulty general does;
    // one faulty general is within OM(1)'s m, so the others still obey the loyal commander.
    let mut s = sim(1, 4, Options::default());
    s.cut_link(1, 2, false).unwrap();
    s.run_until(s.run_end(0));
    assert_eq!(s.checker().faulty(0, &nodes(&s)), vec![false, true, false, false]);
    assert_eq!(s.decisions(0), vec![None, Some(Order::Attack), Some(Order::Attack), Some(Order::Attack)]);
    assert!(s.violations().is_empty() && s.checker().unjudged().is_empty());
    // n4 is down before the run: the messages to it are lost, and no sender is blamed.
    let mut s = sim(1, 4, Options { first_order: None, ..Options::default() });
    s.crash(3).unwrap();
    let run = s.start_run(Order::Retreat).unwrap();
    s.run_until(s.run_end(run));
    assert_eq!(s.checker().faulty(run, &nodes(&s)), vec![false, false, false, true]);
    assert_eq!(s.decisions(run), vec![None, Some(Order::Retreat), Some(Order::Retreat), None]);
    assert!(s.violations().is_empty());
}
