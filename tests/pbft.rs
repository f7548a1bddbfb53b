//! PBFT (Castro & Liskov, OSDI 1999 §4) on the simulator: the normal case, checkpoints and
//! watermarks, view changes, clients, traitors, and each deliberate bug caught by the checker.
//! Tests are named after the rule or scenario they check.

use consensus_playground::lincheck;
use consensus_playground::pbft::check::{AGREEMENT, CLIENT_RESULT, VIEW_CHANGE_SAFETY};
use consensus_playground::pbft::{Behaviour, Bug, Options, Pbft, Status};
use consensus_playground::protocol::{BugSet, Byzantine, Micros, Protocol};
use consensus_playground::sim::chaos::{self, ChaosConfig, Fault};
use consensus_playground::sim::{SimConfig, Simulation, Workload};

const MS: Micros = 1_000;

fn sim_with(seed: u64, nodes: usize, options: Options) -> Simulation<Pbft> {
    let config = SimConfig { seed, nodes, latency_us: (10 * MS, 12 * MS), ..SimConfig::default() };
    Simulation::<Pbft>::new(config, options).unwrap()
}

fn sim(seed: u64, nodes: usize) -> Simulation<Pbft> {
    sim_with(seed, nodes, Options::default())
}

fn bugs(b: Bug) -> Options {
    Options { bugs: BugSet::NONE.with(b, true), ..Options::default() }
}

fn lie(b: Behaviour) -> Option<Byzantine> {
    Some(Byzantine::Lie(Behaviour::ALL.iter().position(|x| *x == b).unwrap()))
}

/// Messages delivered so far, of one kind (the log keeps the last 500 events).
fn delivered(s: &Simulation<Pbft>, kind: &str) -> usize {
    s.events_since(0).filter(|e| e.kind == "deliver" && e.message_kind == Some(kind)).count()
}

fn rules(s: &Simulation<Pbft>) -> Vec<&'static str> {
    s.violations().iter().map(|v| v.rule).collect()
}

#[test]
fn normal_case_every_replica_executes_the_request_and_the_client_accepts_f_plus_1_replies_s4_2() {
    let mut s = sim(1, 4);
    let reply = s.client_request("\"a\"".into(), None).unwrap();
    assert_eq!((reply.accepted, reply.index, reply.leader.as_deref()), (true, Some(1), Some("n1")));
    s.run_until(200 * MS);
    let first = s.executed(0);
    assert_eq!(first.len(), 1);
    for i in 1..4 {
        assert_eq!(s.executed(i), first, "n{} executed what n1 did", i + 1);
    }
    // The textbook count: pre-prepare N − 1, prepare (N − 1)², commit N(N − 1), and the N − 1
    // replies to n1, the request's client (its own reply it counts itself).
    assert_eq!(delivered(&s, "PrePrepare"), 3);
    assert_eq!(delivered(&s, "Prepare"), 9);
    assert_eq!(delivered(&s, "Commit"), 12);
    assert_eq!(delivered(&s, "Reply"), 3);
    assert_eq!(s.node(0).accepted_replies().get(&1).map(String::as_str), Some("null"), "a non-KV operation's result is null");
    assert!(s.violations().is_empty());
}

#[test]
fn a_backup_forwards_a_request_to_the_primary_and_starts_its_view_change_timer_s4_1() {
    let mut s = sim(2, 4);
    let reply = s.client_request("{\"client\":9,\"seq\":1,\"op\":\"put\",\"key\":\"x\",\"value\":\"1\"}".into(), Some(2)).unwrap();
    assert_eq!((reply.accepted, reply.index), (true, None), "a backup assigns no sequence number");
    assert!(s.timer(2, consensus_playground::pbft::Timer::ViewChange).is_some(), "n3 waits for its request");
    s.run_until(300 * MS);
    for i in 0..4 {
        assert_eq!(s.kv(i).get("x"), Some("1"), "n{} executed the put", i + 1);
    }
    assert_eq!(s.node(2).view(), 0, "no view change: the request executed in time");
    assert!(s.violations().is_empty());
}

#[test]
fn workload_clients_accept_f_plus_1_matching_replies_and_histories_are_linearizable_s4_1() {
    let mut s = sim(3, 4);
    s.start_clients(Workload::default());
    s.run_until(5_000 * MS);
    let done = s.history().iter().filter(|h| h.return_us.is_some()).count();
    assert!(done > 50, "only {done} operations returned");
    lincheck::check(s.history()).unwrap();
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_eq!(Pbft { options: Options::default() }.client_quorum(4), 2, "f + 1 with N = 4");
    assert_eq!(Pbft { options: Options::default() }.client_quorum(7), 3, "f + 1 with N = 7");
}

#[test]
fn checkpoints_become_stable_move_the_low_watermark_and_discard_older_messages_s4_3() {
    let mut s = sim_with(4, 4, Options { checkpoint_interval: 2, ..Options::default() });
    for k in 0..5 {
        s.client_request(format!("\"r{k}\""), None).unwrap();
        s.run_until(s.now() + 100 * MS);
    }
    for i in 0..4 {
        let n = s.node(i);
        assert_eq!(n.executed(), 5);
        assert_eq!(n.low_watermark(), 4, "n{}: the checkpoint at 4 is stable", i + 1);
        assert_eq!(n.high_watermark(&s.protocol().options), 8, "H = h + 2K");
        assert!(n.log().keys().all(|seq| *seq > 4), "n{} discarded what the checkpoint covers", i + 1);
    }
}

#[test]
fn the_primary_assigns_only_between_the_watermarks_and_queues_the_rest_s4_2() {
    let mut s = sim_with(5, 4, Options { checkpoint_interval: 1, ..Options::default() });
    let seqs: Vec<Option<u64>> = (0..4).map(|k| s.client_request(format!("\"q{k}\""), None).unwrap().index).collect();
    assert_eq!(seqs, vec![Some(1), Some(2), None, None], "the window is h + 1 .. h + 2K = 1 .. 2");
    s.run_until(1_000 * MS);
    for i in 0..4 {
        assert_eq!(s.node(i).executed(), 4, "queued requests go out as checkpoints become stable");
    }
    assert!(s.violations().is_empty());
}

#[test]
fn a_silent_primary_costs_one_view_change_then_the_cluster_executes_again_s4_4() {
    // Workload clients: a client that hears nothing sends its request to every replica, so
    // every backup waits for it (one backup alone cannot force a view change, §4.5.2).
    let mut s = sim(6, 4);
    s.set_byzantine(0, Some(Byzantine::Silent)).unwrap();
    s.start_clients(Workload { clients: 1, ..Workload::default() });
    s.run_until(3_000 * MS);
    for i in 1..4 {
        let n = s.node(i);
        assert_eq!((n.view(), n.status()), (1, Status::Normal), "n{} moved to view 1", i + 1);
        assert!(n.executed() >= 3, "n{} executed {} requests in view 1", i + 1, n.executed());
    }
    assert_eq!(s.leader(), Some(1), "n2 is the primary of view 1");
    assert!(s.violations().is_empty());
}

#[test]
fn view_change_re_proposes_prepared_requests_and_a_replica_that_missed_them_catches_up_s4_4() {
    // n4 is cut off while n1..n3 execute a request; then n1 stops, and the view change must
    // carry the request to n4 at its sequence number.
    let mut s = sim(7, 4);
    s.partition(&[vec![3]]).unwrap();
    s.client_request("\"a\"".into(), None).unwrap();
    s.run_until(200 * MS);
    assert_eq!((s.node(1).executed(), s.node(3).executed()), (1, 0));
    s.pause(0).unwrap();
    s.heal();
    s.client_request("\"b\"".into(), Some(2)).unwrap();
    s.client_request("\"c\"".into(), Some(3)).unwrap();
    s.run_until(3_000 * MS);
    assert!(s.node(3).view() >= 1);
    assert_eq!(s.executed(3).get(&1), s.executed(1).get(&1), "n4 executed at 1 what the others did");
    assert!(s.node(3).executed() >= 2);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

/// The primary of view 0 is cut off alone; the others change view without it and execute a
/// few requests in view 1. After the heal it still believes it is the primary of view 0, and the
/// request it proposes goes out as a view-0 PrePrepare. The others answer a message of a view
/// they left with their ViewChange for their view and the primary with its NewView (Castro's
/// thesis §5.2, retransmission), and the ViewChange of the replica that joins with the
/// protocol messages of that view: it joins view 1 (§4.5.2, f + 1 ViewChanges for a higher
/// view), accepts the NewView as any NewView (checked against the ViewChanges it received from
/// the replicas the NewView names), and executes the requests it missed and its own, with no
/// checkpoint (K = 10) to catch up from.
#[test]
fn an_old_primary_that_missed_the_view_change_joins_the_new_view_and_executes_at_once_thesis_5_2() {
    let mut s = sim(15, 4);
    s.partition(&[vec![0]]).unwrap();
    // Each backup proposes a request: it forwards it to n1, waits, and moves to view 1.
    for i in 1..4 {
        s.client_request(format!("\"a{i}\""), Some(i)).unwrap();
    }
    s.run_until(2_000 * MS);
    for i in 1..4 {
        let n = s.node(i);
        assert_eq!((n.view(), n.status(), n.executed()), (1, Status::Normal, 3), "n{} executed the three in view 1", i + 1);
    }
    assert_eq!((s.node(0).view(), s.node(0).executed()), (0, 0), "n1, cut off, stays in view 0");
    s.heal();
    s.run_until(3_000 * MS);
    assert_eq!(s.node(0).view(), 0, "n1 sent nothing: nobody has told it yet");
    let reply = s.client_request("\"b\"".into(), Some(0)).unwrap();
    assert_eq!(reply.index, Some(1), "n1 believes it is the primary of view 0 and assigns 1 to b");
    s.run_until(s.now() + 300 * MS);
    let n1 = s.node(0);
    assert_eq!((n1.view(), n1.status()), (1, Status::Normal), "n1 joined view 1");
    assert_eq!(n1.executed(), 4, "n1 executed the three it missed, and b at 4");
    assert_eq!(n1.low_watermark(), 0, "with no stable checkpoint");
    for i in 1..4 {
        assert_eq!(s.executed(i), s.executed(0), "n{} executed what n1 did", i + 1);
    }
    assert_eq!(s.node(0).accepted_replies().len(), 1, "n1, b's client, accepted f + 1 replies");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

/// What the retransmission delivers is checked as it would be fresh: a NewView that arrives
/// before the ViewChanges it names is held (also when the replica then joins that view), and
/// entered only if the ViewChanges that came from those replicas themselves decide the same
/// (§4.4 with TOCS §4.5's rule); a traitor primary's NewView that does not follow from them
/// makes the replica move on to the next view instead.
#[test]
fn a_new_view_that_arrives_first_is_held_and_checked_against_the_view_changes_it_names_s4_4() {
    use consensus_playground::pbft::msg::ViewChangeBody;
    use consensus_playground::pbft::{digest, Msg, Request};
    let r = Request { operation: "\"forged\"".into(), timestamp: 1, client: "n9".into() };
    let empty = |view| ViewChangeBody { view, last_stable: 0, stable_digest: 0, checkpoint_proof: vec![], checkpoints: vec![], prepared: vec![], pre_prepared: vec![] };
    for (pre_prepares, enters) in [(vec![], true), (vec![(1, digest(Some(&r)), Some(r.clone()))], false)] {
        let mut s = sim(16, 4);
        s.partition(&[vec![0]]).unwrap();
        let o = s.protocol().options.clone();
        let deliver = |s: &mut Simulation<Pbft>, from: usize, m: Msg| {
            s.act(0, |_, n, cx, out| {
                n.core.on_msg(&o, cx, from, m, out);
            });
            s.settle();
        };
        deliver(&mut s, 1, Msg::NewView { view: 1, view_changes: vec![1, 2, 3], checkpoint: (0, 0), pre_prepares: pre_prepares.clone() });
        assert_eq!((s.node(0).view(), s.node(0).status()), (0, Status::Normal), "held: no ViewChange yet");
        deliver(&mut s, 2, Msg::ViewChange { body: Box::new(empty(1)), replica: 2 });
        deliver(&mut s, 3, Msg::ViewChange { body: Box::new(empty(1)), replica: 3 });
        assert_eq!((s.node(0).view(), s.node(0).status()), (1, Status::ViewChange), "f + 1 ask for view 1: n1 joins, and still waits for n2's ViewChange");
        deliver(&mut s, 1, Msg::ViewChange { body: Box::new(empty(1)), replica: 1 });
        let n1 = s.node(0);
        if enters {
            assert_eq!((n1.view(), n1.status()), (1, Status::Normal), "the NewView follows from the ViewChanges: entered");
        } else {
            assert_eq!((n1.view(), n1.status()), (2, Status::ViewChange), "nothing was prepared, yet the NewView re-proposes a request: rejected, next view");
            assert_eq!(n1.executed(), 0);
        }
        assert!(s.violations().is_empty(), "{:?}", s.violations());
    }
}

/// n = 3f + 1 is the bound: with f + 1 traitors (the primary and one backup equivocating
/// together, N = 4) two honest replicas execute different requests at one sequence number.
#[test]
fn f_plus_1_traitors_break_agreement_the_primary_and_a_backup_equivocating_together() {
    let mut s = sim(8, 4);
    s.set_byzantine(0, lie(Behaviour::Equivocate)).unwrap();
    s.set_byzantine(1, lie(Behaviour::Equivocate)).unwrap();
    s.client_request("\"a\"".into(), None).unwrap();
    s.run_until(500 * MS);
    let v = s.violations().first().expect("a violation");
    assert_eq!(v.rule, AGREEMENT);
    let mut nodes = v.nodes.clone();
    nodes.sort();
    assert_eq!(nodes, ["n3", "n4"], "the honest replicas, named: {v:?}");
    assert_ne!(s.executed(2).get(&1), s.executed(3).get(&1), "n3 and n4 executed different requests at 1");
    // The same attack by one traitor (f = 1) fails.
    let mut s = sim(8, 4);
    s.set_byzantine(0, lie(Behaviour::Equivocate)).unwrap();
    s.client_request("\"a\"".into(), None).unwrap();
    s.run_until(3_000 * MS);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

/// With at most f traitors, of any behaviour and as primary or backup, nothing goes wrong and
/// the cluster keeps executing.
#[test]
fn at_most_f_traitors_of_any_behaviour_break_nothing_and_requests_still_execute() {
    let mut kinds: Vec<Byzantine> = vec![Byzantine::Silent, Byzantine::Mute(vec![2])];
    kinds.extend((0..Behaviour::ALL.len()).map(Byzantine::Lie));
    for (nodes, traitors) in [(4, vec![0]), (4, vec![2]), (7, vec![0, 4])] {
        for b in &kinds {
            let mut s = sim(9, nodes);
            for &t in &traitors {
                let b = match b {
                    Byzantine::Mute(_) => Byzantine::Mute(vec![(t + 1) % nodes]),
                    other => other.clone(),
                };
                s.set_byzantine(t, Some(b)).unwrap();
            }
            s.start_clients(Workload::default());
            s.run_until(6_000 * MS);
            let name = b.name(Pbft::BEHAVIOURS);
            assert!(s.violations().is_empty(), "N={nodes} traitors {traitors:?} {name}: {:?}", s.violations());
            let honest = (0..nodes).find(|i| !traitors.contains(i)).unwrap();
            assert!(s.node(honest).executed() >= 10, "N={nodes} traitors {traitors:?} {name}: n{} executed {}", honest + 1, s.node(honest).executed());
            lincheck::check(s.history()).unwrap_or_else(|e| panic!("N={nodes} {name}: {e}"));
        }
    }
}

#[test]
fn a_replica_driven_with_any_well_typed_message_does_not_panic() {
    use consensus_playground::pbft::msg::{PreparedCert, ViewChangeBody};
    use consensus_playground::pbft::{Msg, Request};
    let r = Request { operation: "\"z\"".into(), timestamp: 1, client: "n9".into() };
    let bodies = [
        ViewChangeBody { view: u64::MAX, last_stable: u64::MAX, stable_digest: 1, checkpoint_proof: vec![99], checkpoints: vec![(u64::MAX, 3)], prepared: vec![], pre_prepared: vec![(u64::MAX, u64::MAX, 5)] },
        ViewChangeBody { view: 1, last_stable: 0, stable_digest: 0, checkpoint_proof: vec![], checkpoints: vec![], prepared: vec![PreparedCert { seq: 1, view: 7, digest: 42, request: Some(r.clone()) }], pre_prepared: vec![] },
    ];
    let msgs = vec![
        Msg::PrePrepare { view: 0, seq: 0, digest: 0, request: None },
        Msg::PrePrepare { view: 0, seq: u64::MAX, digest: 1, request: Some(r.clone()) },
        Msg::PrePrepare { view: u64::MAX, seq: 1, digest: 1, request: None },
        Msg::Prepare { view: 0, seq: 1, digest: 9, replica: 77 },
        Msg::Commit { view: 0, seq: u64::MAX, digest: 9, replica: 0 },
        Msg::Checkpoint { seq: u64::MAX, digest: 9, replica: 3 },
        Msg::Checkpoint { seq: 0, digest: 0, replica: 3 },
        Msg::ViewChange { body: Box::new(bodies[0].clone()), replica: 1 },
        Msg::ViewChange { body: Box::new(bodies[1].clone()), replica: 1 },
        Msg::NewView { view: 1, view_changes: vec![1, 1, 1, 99], checkpoint: (5, 5), pre_prepares: vec![(1, 2, None)] },
        Msg::NewView { view: 5, view_changes: vec![], checkpoint: (0, 0), pre_prepares: vec![] },
        Msg::Fetch { after: u64::MAX },
        Msg::Fetch { after: 0 },
        Msg::State { seq: u64::MAX, digest: 1, requests: vec![(1, None)] },
        Msg::State { seq: 3, digest: 1, requests: vec![(9, None)] },
        Msg::Reply { view: 0, timestamp: 1, client: "n2".into(), replica: 0, result: "x".into() },
        Msg::Request(r.clone()),
    ];
    let mut s = sim(10, 4);
    s.client_request("\"a\"".into(), None).unwrap();
    s.run_until(100 * MS);
    let o = s.protocol().options.clone();
    for (k, m) in msgs.into_iter().enumerate() {
        for from in [0, 2, 3] {
            s.act(1, |_, n, cx, out| {
                n.core.on_msg(&o, cx, from, m.clone(), out);
            });
            s.settle();
        }
        let _ = k;
    }
    s.run_until(s.now() + 2_000 * MS);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

// ---- deliberate bugs, each caught ------------------------------------------------------------

/// `quorum-2f`: with 2f = 2, two halves of a partition each prepare, commit and change views on
/// their own: {n1, n4} execute one request at 1, {n2, n3} another.
#[test]
fn bug_quorum_2f_lets_two_halves_of_a_partition_decide_apart() {
    let scenario = |options: Options| {
        let mut s = sim_with(11, 4, options);
        s.partition(&[vec![0, 3], vec![1, 2]]).unwrap();
        s.client_request("\"a\"".into(), None).unwrap();
        s.client_request("\"b\"".into(), Some(1)).unwrap();
        s.client_request("\"c\"".into(), Some(2)).unwrap();
        s.run_until(3_000 * MS);
        s
    };
    let s = scenario(bugs(Bug::Quorum2f));
    assert!(rules(&s).iter().any(|r| *r == AGREEMENT || *r == VIEW_CHANGE_SAFETY), "{:?}", s.violations());
    assert!(scenario(Options::default()).violations().is_empty());
}

/// `view-change-without-prepared`: n4 missed a request the others executed; after the primary
/// stops, the new view knows nothing of it.
#[test]
fn bug_view_change_without_prepared_drops_a_committed_request_with_no_traitor() {
    let scenario = |options: Options| {
        let mut s = sim_with(12, 4, options);
        s.partition(&[vec![3]]).unwrap();
        s.client_request("\"a\"".into(), None).unwrap();
        s.run_until(200 * MS);
        s.pause(0).unwrap();
        s.heal();
        s.client_request("\"b\"".into(), Some(2)).unwrap();
        s.client_request("\"c\"".into(), Some(3)).unwrap();
        s.run_until(3_000 * MS);
        s
    };
    let s = scenario(bugs(Bug::ViewChangeWithoutPrepared));
    assert_eq!(rules(&s).first(), Some(&VIEW_CHANGE_SAFETY), "{:?}", s.violations());
    assert!(scenario(Options::default()).violations().is_empty());
}

/// `first-reply`: a traitor that forges results answers first, and the client believes it.
#[test]
fn bug_first_reply_lets_a_client_accept_a_forged_result() {
    let scenario = |options: Options| {
        let mut s = sim_with(13, 4, options);
        s.set_byzantine(3, lie(Behaviour::Equivocate)).unwrap();
        s.start_clients(Workload::default());
        s.run_until(3_000 * MS);
        s
    };
    let s = scenario(bugs(Bug::FirstReply));
    assert_eq!(rules(&s).first(), Some(&CLIENT_RESULT), "{:?}", s.violations());
    assert!(scenario(Options::default()).violations().is_empty());
}

/// `unbound-digest`: a traitorous primary sends half the backups the request's digest with
/// another body; backups that do not recompute the digest execute that body.
#[test]
fn bug_unbound_digest_lets_a_primary_pass_one_body_under_another_digest() {
    let scenario = |options: Options| {
        let mut s = sim_with(14, 4, options);
        s.set_byzantine(0, lie(Behaviour::WrongDigest)).unwrap();
        s.client_request("\"a\"".into(), None).unwrap();
        s.run_until(3_000 * MS);
        s
    };
    let s = scenario(bugs(Bug::UnboundDigest));
    assert_eq!(rules(&s).first(), Some(&AGREEMENT), "{:?}", s.violations());
    assert!(scenario(Options::default()).violations().is_empty());
}

/// `second-preprepare` and `count-messages`: found by the randomized runs with one traitor;
/// the same seeds without the bug are clean.
#[test]
fn bugs_second_preprepare_and_count_messages_are_caught_by_the_randomized_runs() {
    for (bug, seed) in [(Bug::SecondPrePrepare, SECOND_PREPREPARE_SEED), (Bug::CountMessages, COUNT_MESSAGES_SEED)] {
        let cfg = |bugs| ChaosConfig { seed, nodes: 4, events: 5_000, faults: Fault::ALL.to_vec(), bugs, traitors: 1 };
        let (s, report) = chaos::run::<Pbft>(&cfg(BugSet::NONE.with(bug, true))).unwrap();
        assert!(!report.violations.is_empty(), "{} at seed {seed}: no violation", bug.name());
        let _ = s;
        let (_, clean) = chaos::run::<Pbft>(&cfg(BugSet::NONE)).unwrap();
        assert!(clean.violations.is_empty(), "seed {seed} without the bug: {:?}", clean.violations);
    }
}

const SECOND_PREPREPARE_SEED: u64 = 12;
const COUNT_MESSAGES_SEED: u64 = 295;

/// Randomized runs: no bug, no violation, with and without a traitor; every bug that random
/// search can reach is reached within 300 seeds (README's table has the counts).
#[test]
fn randomized_runs_find_no_violation_without_a_bug_and_find_the_bugs() {
    for traitors in [0, 1] {
        for seed in 0..40 {
            let cfg = ChaosConfig { seed, nodes: 4, events: 3_000, faults: Fault::ALL.to_vec(), bugs: BugSet::NONE, traitors };
            let (sim, report) = chaos::run::<Pbft>(&cfg).unwrap();
            assert!(report.violations.is_empty(), "seed {seed}, {traitors} traitor(s): {:?}", report.violations);
            lincheck::check(sim.history()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
    for (bug, traitors) in [(Bug::Quorum2f, 0), (Bug::ViewChangeWithoutPrepared, 0), (Bug::FirstReply, 1)] {
        let found = (0..60).any(|seed| {
            let cfg = ChaosConfig { seed, nodes: 4, events: 5_000, faults: Fault::ALL.to_vec(), bugs: BugSet::NONE.with(bug, true), traitors };
            !chaos::run::<Pbft>(&cfg).unwrap().1.violations.is_empty()
        });
        assert!(found, "{} not found in 60 seeds", bug.name());
    }
}

/// `count-messages` with an equivocating backup, which echoes each prepare with its commit
/// twice (§4.2: 2f + 1 commits "from different replicas"): with n3 cut off, n2 commits-local
/// on its own prepared certificate and n4's repeated commit while the primary n1 is not even
/// prepared (n4 sends it no prepare); counted per sender, n2 waits for a third replica.
#[test]
fn bug_count_messages_lets_a_backup_commit_on_a_traitors_repeated_commit_s4_2() {
    use consensus_playground::pbft::Phase;
    let run = |o: Options| {
        let mut s = sim_with(1, 4, o);
        s.set_byzantine(3, lie(Behaviour::Equivocate)).unwrap();
        s.partition(&[vec![2]]).unwrap();
        s.client_request("\"a\"".into(), None).unwrap();
        s.run_until(60 * MS);
        (s.node(1).phase(1), s.node(0).phase(1))
    };
    assert_eq!(run(bugs(Bug::CountMessages)), (Phase::Executed, Phase::PrePrepared));
    assert_eq!(run(Options::default()), (Phase::Prepared, Phase::PrePrepared));
}
