//! Multi-Paxos on the generic simulator ("Paxos Made Simple", 2001): scripted scenarios pinned
//! to the paper's sections, the deliberate bugs each caught by the checker, determinism,
//! linearizable key-value histories under faults, and no violation over many random seeds.
//! Times are µs.

use consensus_playground::paxos::check::{CONSISTENCY, LEARNED_CHOSEN, PROMISE_MONOTONIC};
use consensus_playground::paxos::{Ballot, Bug, Msg, Options, Paxos, Role};
use consensus_playground::protocol::BugSet;
use consensus_playground::sim::chaos::{self, ChaosConfig, Fault};
use consensus_playground::sim::{SimConfig, Simulation, Workload};

const MS: u64 = 1_000;

fn sim_with(nodes: usize, seed: u64, options: Options) -> Simulation<Paxos> {
    Simulation::<Paxos>::new(SimConfig { seed, nodes, ..SimConfig::default() }, options).unwrap()
}

fn sim(nodes: usize, seed: u64) -> Simulation<Paxos> {
    sim_with(nodes, seed, Options::default())
}

fn leader(s: &Simulation<Paxos>) -> Option<usize> {
    (0..s.ids().len()).find(|&i| !s.is_crashed(i) && s.node(i).role() == Role::Leader)
}

/// Measures how many of 300 seeds (5000 events, every fault) catch each bug, for 3 and 5
/// nodes: `cargo test --release --test paxos measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_bug_search() {
    for bug in Bug::ALL {
        for nodes in [3, 5] {
            let mut caught = Vec::new();
            let mut rules = std::collections::BTreeMap::new();
            for seed in 0..300 {
                let cfg = ChaosConfig { seed, nodes, events: 5_000, faults: Fault::ALL.to_vec(), bugs: BugSet::NONE.with(bug, true), traitors: 0 };
                let (_, r) = chaos::run::<Paxos>(&cfg).unwrap();
                if let Some(v) = r.violations.first() {
                    caught.push(seed);
                    *rules.entry(v.rule).or_insert(0) += 1;
                }
            }
            println!("{:22} n={nodes}: {:3}/300 caught; first seeds {:?}; rules {:?}", bug.name(), caught.len(), &caught[..caught.len().min(8)], rules);
        }
    }
}
/// Runs `ms` more simulated milliseconds.
fn run_ms(s: &mut Simulation<Paxos>, ms: u64) {
    let until = s.now() + ms * MS;
    s.run_until(until);
}

fn rules(s: &Simulation<Paxos>) -> Vec<&'static str> {
    s.violations().iter().map(|v| v.rule).collect()
}

fn bugs(bug: Option<Bug>) -> Options {
    Options { bugs: bug.map_or(BugSet::NONE, |b| BugSet::NONE.with(b, true)), ..Options::default() }
}

/// Runs step by step until node `i` leads (at most 1 s).
fn until_leads(s: &mut Simulation<Paxos>, i: usize) {
    let limit = s.now() + 1_000 * MS;
    while s.node(i).role() != Role::Leader {
        assert!(s.now() < limit, "n{} did not come to lead", i + 1);
        s.step().unwrap();
    }
}

/// Drops every message in flight that `pick` selects; returns how many.
fn drop_where(s: &mut Simulation<Paxos>, pick: impl Fn(usize, usize, &Msg) -> bool) -> usize {
    let ids: Vec<u64> = s.in_flight().filter(|m| pick(m.from, m.to, &m.payload)).map(|m| m.id).collect();
    for id in &ids {
        s.drop_message(*id).unwrap();
    }
    ids.len()
}

fn is_accept(m: &Msg) -> bool {
    matches!(m, Msg::Accept { .. })
}

fn chosen(s: &Simulation<Paxos>, i: usize, slot: u64) -> Option<&str> {
    s.node(i).chosen().get(&slot).map(String::as_str)
}

/// n1 leads a 3-node cluster with ballot (1, n1).
fn n1_leads(nodes: usize, options: Options) -> Simulation<Paxos> {
    let mut s = sim_with(nodes, 1, options);
    s.start_phase1(0).unwrap();
    until_leads(&mut s, 0);
    assert_eq!(s.node(0).ballot(), Ballot { round: 1, node: 0 });
    run_ms(&mut s, 1); // its first heartbeat, at once
    s
}

// ---- §2.2: phase 1 ------------------------------------------------------------------------------

#[test]
fn p1b_an_acceptor_promises_a_ballot_and_reports_every_accepted_proposal_section_2_2() {
    let mut s = n1_leads(3, Options::default());
    s.client_request("\"a\"".into(), None).unwrap();
    run_ms(&mut s, 100);
    assert_eq!(chosen(&s, 1, 1), Some("\"a\""));
    // n2 runs phase 1 with a higher ballot: n1's Promise reports (1, n1) "a" in slot 1.
    s.start_phase1(1).unwrap();
    let b2 = s.node(1).ballot();
    assert!(b2 > Ballot { round: 1, node: 0 }, "{b2:?}");
    let mut reported = None;
    while reported.is_none() {
        s.step().unwrap();
        reported = s.in_flight().find_map(|m| match &m.payload {
            Msg::Promise { ballot, accepted } if m.from == 0 && m.to == 1 => Some((*ballot, accepted.clone())),
            _ => None,
        });
    }
    let (ballot, accepted) = reported.unwrap();
    assert_eq!(ballot, b2);
    assert_eq!(accepted.len(), 1);
    assert_eq!((accepted[0].slot, accepted[0].ballot, accepted[0].value.as_str()), (1, Ballot { round: 1, node: 0 }, "\"a\""));
    assert_eq!(s.node(0).promised(), b2, "the promise is n2's ballot");
    until_leads(&mut s, 1);
    run_ms(&mut s, 100);
    assert_eq!(s.node(0).role(), Role::Follower, "n1 lost its ballot");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn p1b_an_acceptor_refuses_a_lower_ballot_with_a_nack_and_the_proposer_stops_section_2_2() {
    let mut s = sim(3, 2);
    // n1 and n2 start phase 1 together; both pick round 1, and (1, n2) > (1, n1). n1's Prepare
    // to n3 is slow, so n3 promises (1, n2) first and refuses (1, n1).
    s.set_link_latency(0, 2, Some((60 * MS, 60 * MS))).unwrap();
    s.set_link_latency(0, 1, Some((60 * MS, 60 * MS))).unwrap();
    s.start_phase1(0).unwrap();
    s.start_phase1(1).unwrap();
    let (b1, b2) = (s.node(0).ballot(), s.node(1).ballot());
    assert_eq!((b1, b2), (Ballot { round: 1, node: 0 }, Ballot { round: 1, node: 1 }));
    let mut nack = None;
    let limit = s.now() + 200 * MS;
    while nack.is_none() && s.now() < limit {
        s.step().unwrap();
        nack = s.in_flight().find_map(|m| match m.payload {
            Msg::Nack { ballot, promised } if m.from == 2 => Some((ballot, promised)),
            _ => None,
        });
    }
    assert_eq!(nack, Some((b1, b2)), "n3 refuses (1, n1): it promised (1, n2)");
    until_leads(&mut s, 1);
    run_ms(&mut s, 150);
    assert_ne!(s.node(0).role(), Role::Leader, "n1 lost ballot (1, n1)");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

// ---- §2.2: P2c ----------------------------------------------------------------------------------

/// Slot 1 holds (1, n1) "a" at n1 only, and (2, n2) "b" at n2 and n3 (chosen). Then n1, cut off
/// from n2, runs phase 1 with n3: the promises report both proposals.
fn p2c_scenario(options: Options) -> Simulation<Paxos> {
    let mut s = n1_leads(3, options);
    s.partition(&[vec![0], vec![1, 2]]).unwrap();
    s.client_request("\"a\"".into(), Some(0)).unwrap();
    run_ms(&mut s, 50);
    s.start_phase1(1).unwrap();
    until_leads(&mut s, 1);
    s.client_request("\"b\"".into(), Some(1)).unwrap();
    run_ms(&mut s, 50);
    assert_eq!(chosen(&s, 2, 1), Some("\"b\""));
    assert_eq!(s.node(0).accepted().get(&1).map(|(b, v)| (b.round, v.as_str())), Some((1, "\"a\"")));
    s.partition(&[vec![0, 2], vec![1]]).unwrap();
    // n1's first ballot, (2, n1), is below n3's promise: n1 learns of (2, n2) from the Nack
    // and tries again above it.
    s.start_phase1(0).unwrap();
    run_ms(&mut s, 40);
    s.start_phase1(0).unwrap();
    until_leads(&mut s, 0);
    run_ms(&mut s, 100);
    s
}

#[test]
fn p2c_a_new_leader_adopts_the_highest_ballot_accepted_value_section_2_2() {
    let s = p2c_scenario(Options::default());
    assert_eq!(chosen(&s, 0, 1), Some("\"b\""), "n1 re-proposed (2, n2)'s \"b\", not its own \"a\"");
    assert_eq!(s.node(0).accepted().get(&1).map(|(_, v)| v.as_str()), Some("\"b\""));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn bug_lowest_ballot_adopts_the_older_value_and_two_values_are_chosen_section_2_2() {
    let s = p2c_scenario(bugs(Some(Bug::LowestBallot)));
    assert_eq!(chosen(&s, 0, 1), Some("\"a\""));
    assert!(rules(&s).contains(&CONSISTENCY), "{:?}", s.violations());
}

#[test]
fn bug_own_value_ignores_the_reported_value_and_two_values_are_chosen_section_2_2() {
    let s = p2c_scenario(bugs(Some(Bug::OwnValue)));
    assert_eq!(chosen(&s, 0, 1), Some("null"), "its own value: a no-op (it had no command queued)");
    assert!(rules(&s).contains(&CONSISTENCY), "{:?}", s.violations());
}

// ---- §2.1: quorums ------------------------------------------------------------------------------

/// n1 alone runs phase 1 and proposes "a"; n2 and n3 choose "b" in slot 1.
fn minority_scenario(options: Options) -> Simulation<Paxos> {
    let mut s = sim_with(3, 1, options);
    s.partition(&[vec![0], vec![1, 2]]).unwrap();
    s.start_phase1(0).unwrap();
    run_ms(&mut s, 50);
    s.client_request("\"a\"".into(), Some(0)).unwrap();
    s.start_phase1(1).unwrap();
    until_leads(&mut s, 1);
    s.client_request("\"b\"".into(), Some(1)).unwrap();
    run_ms(&mut s, 100);
    s
}

#[test]
fn a_quorum_is_a_majority_a_lone_proposer_cannot_lead_section_2_1() {
    let s = minority_scenario(Options::default());
    assert_eq!(s.node(0).role(), Role::Candidate, "one promise of three is no quorum");
    assert_eq!(chosen(&s, 0, 1), None);
    assert_eq!(chosen(&s, 2, 1), Some("\"b\""));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn bug_minority_quorum_lets_two_sides_choose_section_2_1() {
    let s = minority_scenario(bugs(Some(Bug::MinorityQuorum)));
    assert_eq!(chosen(&s, 0, 1), Some("\"a\""), "n1 counted its own acceptance as a quorum");
    assert_eq!(chosen(&s, 2, 1), Some("\"b\""));
    assert!(rules(&s).contains(&LEARNED_CHOSEN), "{:?}", s.violations());
}

// ---- §2.3: learning -----------------------------------------------------------------------------

/// "a" is accepted in slot 1 under (1, n1) by n1 only, then under n2's ballot by n2 only: a
/// learner hears one acceptance per ballot, two of "a" in all.
fn cross_ballot_scenario(options: Options) -> Simulation<Paxos> {
    let mut s = n1_leads(3, options);
    s.client_request("\"a\"".into(), Some(0)).unwrap();
    assert_eq!(drop_where(&mut s, |_, _, m| is_accept(m)), 2);
    run_ms(&mut s, 30);
    // n2 runs phase 1 with n1's promise (n3's is lost): it hears of "a".
    s.cut_link(2, 1, false).unwrap();
    s.start_phase1(1).unwrap();
    until_leads(&mut s, 1);
    run_ms(&mut s, 1); // its first heartbeat, which sends its Accepts again
    s.repair_link(2, 1, false).unwrap();
    // Its Accepts (sent when it won, and again by its first heartbeat unless it thinks the
    // slot chosen) are lost.
    assert!(drop_where(&mut s, |_, _, m| is_accept(m)) >= 2, "n2 re-proposes \"a\" (P2c)");
    run_ms(&mut s, 30);
    s
}

#[test]
fn a_learner_counts_acceptances_of_one_ballot_only_section_2_3() {
    let mut s = cross_ballot_scenario(Options::default());
    assert_eq!(chosen(&s, 2, 1), None, "one acceptance under each ballot chooses nothing");
    // The leader's heartbeat sends the Accept again: now chosen.
    run_ms(&mut s, 100);
    assert_eq!(chosen(&s, 2, 1), Some("\"a\""));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn bug_cross_ballot_learner_learns_a_value_that_is_not_chosen_section_2_3() {
    let s = cross_ballot_scenario(bugs(Some(Bug::CrossBallotLearner)));
    assert_eq!(chosen(&s, 2, 1), Some("\"a\""));
    assert!(rules(&s).contains(&LEARNED_CHOSEN), "{:?}", s.violations());
}

// ---- §2.5: stable storage -----------------------------------------------------------------------

/// "a" is chosen in slot 1 by n1 and n2 (n3 cut off); n2 crashes and restarts, n1 crashes; n3,
/// which never heard of "a", leads with n2's promise and is given "b".
fn forget_accepted_scenario(options: Options) -> Simulation<Paxos> {
    let mut s = n1_leads(3, options);
    s.partition(&[vec![0, 1], vec![2]]).unwrap();
    s.client_request("\"a\"".into(), Some(0)).unwrap();
    run_ms(&mut s, 50);
    assert_eq!(chosen(&s, 1, 1), Some("\"a\""));
    s.crash(1).unwrap();
    s.restart(1).unwrap();
    s.crash(0).unwrap();
    s.heal();
    s.start_phase1(2).unwrap();
    until_leads(&mut s, 2);
    s.client_request("\"b\"".into(), Some(2)).unwrap();
    run_ms(&mut s, 100);
    s
}

#[test]
fn accepted_proposals_survive_a_crash_and_a_new_leader_keeps_the_chosen_value_section_2_5() {
    let s = forget_accepted_scenario(Options::default());
    assert_eq!(s.node(1).accepted().get(&1).map(|(_, v)| v.as_str()), Some("\"a\""));
    assert_eq!(chosen(&s, 2, 1), Some("\"a\""));
    assert_eq!(chosen(&s, 2, 2), Some("\"b\""));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn bug_forget_accepted_lets_a_new_leader_choose_another_value_section_2_5() {
    let s = forget_accepted_scenario(bugs(Some(Bug::ForgetAccepted)));
    assert_eq!(chosen(&s, 2, 1), Some("\"b\""));
    assert!(rules(&s).contains(&CONSISTENCY), "{:?}", s.violations());
}

fn forget_promise_scenario(options: Options) -> Simulation<Paxos> {
    let mut s = n1_leads(3, options);
    run_ms(&mut s, 20);
    s.crash(1).unwrap();
    s.restart(1).unwrap();
    s
}

#[test]
fn a_promise_survives_a_crash_section_2_5() {
    let s = forget_promise_scenario(Options::default());
    assert_eq!(s.node(1).promised(), Ballot { round: 1, node: 0 });
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn bug_forget_promise_lowers_a_promise_across_a_restart_section_2_5() {
    let s = forget_promise_scenario(bugs(Some(Bug::ForgetPromise)));
    assert_eq!(s.node(1).promised(), Ballot::ZERO);
    assert!(rules(&s).contains(&PROMISE_MONOTONIC), "{:?}", s.violations());
}

// ---- §3: Multi-Paxos ----------------------------------------------------------------------------

#[test]
fn a_stable_leader_runs_only_phase_2_for_new_commands_section_3() {
    let mut s = n1_leads(5, Options::default());
    let seen = s.events_since(0).last().unwrap().seq;
    for k in 0..10 {
        let r = s.client_request(format!("\"c{k}\""), None).unwrap();
        assert_eq!(r.index, Some(k + 1), "slot {}", k + 1);
    }
    run_ms(&mut s, 200);
    let kinds: Vec<&str> = s.events_since(seen).filter_map(|e| e.message_kind).collect();
    assert!(!kinds.contains(&"Prepare"), "no phase 1: {kinds:?}");
    assert_eq!(s.node(0).ballot(), Ballot { round: 1, node: 0 });
    assert_eq!(s.stats().elections, 1);
    assert!(kinds.contains(&"Accept") && kinds.contains(&"Accepted"));
    for i in 0..5 {
        let values: Vec<&str> = s.node(i).chosen().iter().map(|(_, v)| v.as_str()).collect();
        let want: Vec<String> = (0..10).map(|k| format!("\"c{k}\"")).collect();
        assert_eq!(values, want, "n{}", i + 1);
        assert_eq!(s.node(i).executed(), 10);
    }
    assert_eq!(s.stats().committed, 10);
    assert!(s.violations().is_empty());
}

#[test]
fn a_new_leader_fills_gaps_with_no_ops_section_3() {
    let mut s = n1_leads(3, Options::default());
    s.client_request("\"a\"".into(), None).unwrap();
    run_ms(&mut s, 50);
    s.client_request("\"b\"".into(), None).unwrap();
    assert_eq!(drop_where(&mut s, |_, _, m| matches!(m, Msg::Accept { slot: 2, .. })), 2, "slot 2 reaches only n1's acceptor");
    s.client_request("\"c\"".into(), None).unwrap();
    run_ms(&mut s, 10);
    s.crash(0).unwrap();
    run_ms(&mut s, 40);
    assert_eq!((chosen(&s, 1, 1), chosen(&s, 1, 2), chosen(&s, 1, 3)), (Some("\"a\""), None, Some("\"c\"")));
    s.start_phase1(1).unwrap();
    until_leads(&mut s, 1);
    run_ms(&mut s, 50);
    for i in 1..3 {
        assert_eq!(chosen(&s, i, 2), Some("null"), "n{}: a no-op fills slot 2", i + 1);
        assert_eq!(s.node(i).executed(), 3);
    }
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_follower_forwards_a_command_to_its_leader_and_a_client_is_redirected_section_3() {
    let mut s = n1_leads(3, Options::default());
    run_ms(&mut s, 60); // heartbeats: n2 and n3 follow n1
    assert_eq!(s.node(2).leader(), Some(0));
    let r = s.client_request("\"f\"".into(), Some(2)).unwrap();
    assert!(r.accepted);
    assert_eq!(r.index, None, "forwarded: no slot yet");
    assert_eq!(r.leader.as_deref(), Some("n1"));
    run_ms(&mut s, 100);
    assert_eq!(chosen(&s, 2, 1), Some("\"f\""));
    // Workload clients asking a follower are redirected to the leader, and served there.
    s.start_clients(Workload { clients: 2, ops_per_client: Some(5), ..Workload::default() });
    run_ms(&mut s, 3_000);
    assert_eq!(s.history().iter().filter(|h| h.return_us.is_some()).count(), 10);
    assert!(s.events_since(0).any(|e| e.text.contains("redirects client")));
    consensus_playground::lincheck::check(s.history()).unwrap();
}

#[test]
fn a_silent_leader_is_suspected_and_replaced_section_3() {
    let mut s = sim(5, 3);
    run_ms(&mut s, 1_000);
    let l = leader(&s).expect("a leader");
    s.client_request("\"x\"".into(), None).unwrap();
    run_ms(&mut s, 100);
    s.crash(l).unwrap();
    run_ms(&mut s, 1_000);
    let l2 = leader(&s).expect("a new leader");
    assert_ne!(l, l2);
    assert!(s.node(l2).ballot() > s.node(l).ballot());
    s.client_request("\"y\"".into(), None).unwrap();
    run_ms(&mut s, 100);
    for i in (0..5).filter(|&i| i != l) {
        assert_eq!((chosen(&s, i, 1), chosen(&s, i, 2)), (Some("\"x\""), Some("\"y\"")), "n{}", i + 1);
    }
    assert!(s.violations().is_empty());
}

#[test]
fn a_deposed_leader_gets_a_nack_and_stops_leading_section_3() {
    let mut s = n1_leads(3, Options::default());
    run_ms(&mut s, 60);
    s.partition(&[vec![0], vec![1, 2]]).unwrap();
    s.start_phase1(1).unwrap();
    until_leads(&mut s, 1);
    assert_eq!(s.node(0).role(), Role::Leader, "n1 does not know yet");
    s.heal();
    run_ms(&mut s, 200);
    assert_eq!(s.node(0).role(), Role::Follower);
    assert_eq!(s.node(0).leader(), Some(1));
    assert!(s.violations().is_empty());
}

#[test]
fn a_restarted_node_keeps_its_promise_and_accepted_values_and_learns_the_rest_again_section_2_5() {
    let mut s = n1_leads(3, Options::default());
    for k in 0..5 {
        s.client_request(format!("{{\"client\":1,\"seq\":{},\"op\":\"put\",\"key\":\"x\",\"value\":\"{k}\"}}", k + 1), None).unwrap();
    }
    run_ms(&mut s, 100);
    assert_eq!(s.kv(2).get("x"), Some("4"));
    let before = (s.node(2).promised(), s.node(2).accepted().clone());
    s.crash(2).unwrap();
    s.restart(2).unwrap();
    assert_eq!((s.node(2).promised(), s.node(2).accepted().clone()), before, "durable");
    assert_eq!((s.node(2).executed(), s.kv(2).get("x")), (0, None), "volatile");
    run_ms(&mut s, 200);
    assert_eq!((s.node(2).executed(), s.kv(2).get("x")), (5, Some("4")), "caught up from the leader");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

// ---- §2.4 remark on progress: dueling proposers --------------------------------------------------

/// Three nodes are each given a command at once and know no leader: each tries to lead.
fn duel(backoff: bool, seed: u64) -> Simulation<Paxos> {
    let mut s = sim_with(3, seed, Options { backoff, ..Options::default() });
    for i in 0..3 {
        s.client_request(format!("\"x{i}\""), Some(i)).unwrap();
    }
    run_ms(&mut s, 2_000);
    s
}

#[test]
fn without_backoff_dueling_proposers_preempt_each_other_and_choose_nothing_section_2_4() {
    for seed in 0..5 {
        let s = duel(false, seed);
        assert!(s.stats().elections >= 100, "seed {seed}: {} ballots", s.stats().elections);
        assert!((0..3).all(|i| s.node(i).chosen().is_empty()), "seed {seed}: livelock, nothing chosen");
        assert!(s.violations().is_empty());
    }
}

#[test]
fn with_backoff_one_proposer_wins_and_every_command_is_chosen_section_2_4() {
    for seed in 0..5 {
        let s = duel(true, seed);
        assert!(s.stats().elections <= 6, "seed {seed}: {} ballots", s.stats().elections);
        for i in 0..3 {
            let mut values: Vec<&str> = s.node(i).chosen().iter().map(|(_, v)| v.as_str()).collect();
            values.sort();
            assert_eq!(values, vec!["\"x0\"", "\"x1\"", "\"x2\""], "seed {seed}, n{}", i + 1);
        }
        assert!(s.violations().is_empty());
    }
}

// ---- randomized runs ------------------------------------------------------------------------------

fn chaos_cfg(seed: u64, nodes: usize, events: u64, bug: Option<Bug>) -> ChaosConfig {
    ChaosConfig { seed, nodes, events, faults: Fault::ALL.to_vec(), bugs: bug.map_or(BugSet::NONE, |b| BugSet::NONE.with(b, true)), traitors: 0 }
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let texts = |s: &Simulation<Paxos>| s.events_since(0).map(|e| format!("{} {} {}", e.time, e.kind, e.text)).collect::<Vec<_>>();
    let (a, ra) = chaos::run::<Paxos>(&chaos_cfg(4, 5, 3_000, None)).unwrap();
    let (b, rb) = chaos::run::<Paxos>(&chaos_cfg(4, 5, 3_000, None)).unwrap();
    assert_eq!((ra.events, ra.time_us, ra.committed), (rb.events, rb.time_us, rb.committed));
    assert_eq!(texts(&a), texts(&b));
    assert_eq!(a.history(), b.history());
    let (c, _) = chaos::run::<Paxos>(&chaos_cfg(5, 5, 3_000, None)).unwrap();
    assert_ne!(texts(&a), texts(&c));
}

#[test]
fn no_run_without_bugs_reports_a_violation_and_histories_are_linearizable() {
    for nodes in [3, 5] {
        for seed in 0..300 {
            let (s, r) = chaos::run::<Paxos>(&chaos_cfg(seed, nodes, 5_000, None)).unwrap();
            assert!(r.violations.is_empty(), "seed {seed}, {nodes} nodes: {:?}", r.violations);
            if let Err(e) = consensus_playground::lincheck::check(s.history()) {
                panic!("seed {seed}, {nodes} nodes: {e}");
            }
        }
    }
}

#[test]
fn key_value_histories_under_faults_are_linearizable() {
    for nodes in [3, 5] {
        for seed in 0..20 {
            let workload = Workload { clients: 3, ops_per_client: Some(20), ..Workload::default() };
            let s = chaos::run_workload::<Paxos>(&chaos_cfg(seed, nodes, u64::MAX, None), workload).unwrap();
            assert!(s.violations().is_empty(), "seed {seed}: {:?}", s.violations());
            let done = s.history().iter().filter(|h| h.return_us.is_some()).count();
            // With backoff off (a seed in ten), dueling proposers may leave operations unanswered.
            if s.protocol().options.backoff {
                assert_eq!(done, 60, "seed {seed}, {nodes} nodes: {done} of 60 operations answered");
            }
            consensus_playground::lincheck::check(s.history()).unwrap_or_else(|e| panic!("seed {seed}, {nodes} nodes: {e}"));
        }
    }
}

/// Each bug is found by the randomized runner within a few seeds (300 seeds × 5000 events
/// catch them all: see `measure_bug_search`).
#[test]
fn the_chaos_runner_finds_every_bug() {
    for (bug, nodes, seeds, rule) in [
        (Bug::ForgetPromise, 3, 0..3, PROMISE_MONOTONIC),
        (Bug::ForgetAccepted, 3, 0..3, CONSISTENCY),
        (Bug::OwnValue, 3, 0..3, CONSISTENCY),
        (Bug::LowestBallot, 3, 0..6, CONSISTENCY),
        (Bug::MinorityQuorum, 3, 0..3, LEARNED_CHOSEN),
        (Bug::CrossBallotLearner, 5, 0..4, LEARNED_CHOSEN),
    ] {
        let caught = seeds.clone().find_map(|seed| {
            let (_, r) = chaos::run::<Paxos>(&chaos_cfg(seed, nodes, 5_000, Some(bug))).unwrap();
            r.violations.first().map(|v| (seed, v.rule))
        });
        let (seed, found) = caught.unwrap_or_else(|| panic!("{} not caught in seeds {seeds:?}", bug.name()));
        assert_eq!(found, rule, "{} (seed {seed})", bug.name());
        // A failing seed replays identically.
        let (_, again) = chaos::run::<Paxos>(&chaos_cfg(seed, nodes, 5_000, Some(bug))).unwrap();
        assert_eq!(again.violations.first().map(|v| v.rule), Some(rule));
    }
}

#[test]
fn bug_switches_are_listed_and_logged() {
    use consensus_playground::protocol::Protocol;
    let names: Vec<&str> = Paxos::BUGS.iter().map(|b| b.name).collect();
    assert_eq!(names, ["forget-promise", "forget-accepted", "own-value", "lowest-ballot", "minority-quorum", "cross-ballot-learner"]);
    let mut s = sim(3, 1);
    s.set_bugs(BugSet::NONE.with(Bug::OwnValue, true));
    assert!(s.protocol().bugs().has(Bug::OwnValue));
    assert_eq!(s.events_since(0).last().unwrap().text, "Deliberate bugs on: own-value");
}

#[test]
fn views_show_ballots_promises_accepted_and_chosen_slots() {
    let mut s = n1_leads(3, Options::default());
    s.client_request("\"v\"".into(), None).unwrap();
    let m = s.message_views();
    assert!(m.iter().any(|m| m.kind == "Accept" && m.slot == Some(1) && m.value == Some("\"v\"")));
    let json = serde_json::to_value(&m[0]).unwrap();
    for k in ["id", "from", "to", "kind", "sentAt", "deliverAt"] {
        assert!(json.get(k).is_some(), "{k} in {json}");
    }
    run_ms(&mut s, 100);
    let v = s.node_views();
    assert_eq!((v[0].state, v[1].state), ("leader", "follower"));
    let json = serde_json::to_value(&v[1]).unwrap();
    assert_eq!(json["ballot"], serde_json::json!({"round": 0, "nodeId": null}));
    assert_eq!(json["promised"], serde_json::json!({"round": 1, "nodeId": "n1"}));
    assert_eq!(json["accepted"], serde_json::json!([{"slot": 1, "ballot": {"round": 1, "nodeId": "n1"}}]));
    assert_eq!(v[1].accepted[0].value, "\"v\"");
    assert_eq!(json["chosen"], serde_json::json!([1]));
    assert_eq!(json["leaderId"], "n1");
    assert_eq!(json["timer"], "leaderTimeout");
    assert!(json["timerDeadline"].as_f64().unwrap() > s.now() as f64 / 1000.0);
    assert!(json.get("kv").is_some());
    assert_eq!(serde_json::to_value(&v[0]).unwrap()["timer"], "heartbeat");
}


#[test]
fn standalone_nodes_wired_by_hand_choose_the_same_values() {
    use consensus_playground::node::Standalone;
    let mut nodes: Vec<Standalone<Paxos>> = (0..3).map(|i| Standalone::new(Paxos { options: Options::default() }, i, 3, 10 + i as u64).unwrap()).collect();
    assert_eq!(nodes[0].propose("\"a\"".into()), Ok(0), "queued: it knows no leader");
    let mut now = 0;
    for step in 0..200 {
        now += 5 * MS;
        if step == 100 {
            assert_eq!(nodes[1].propose("\"b\"".into()), Ok(0), "forwarded to the leader");
        }
        for n in nodes.iter_mut() {
            n.tick(now).unwrap();
        }
        // Deliver everything sent, in order, until quiet.
        loop {
            let mut sent = Vec::new();
            for (i, n) in nodes.iter_mut().enumerate() {
                sent.extend(n.take_outbox().into_iter().map(|(to, m)| (i, to, m)));
            }
            if sent.is_empty() {
                break;
            }
            for (from, to, m) in sent {
                nodes[to].on_msg(from, m).unwrap();
            }
        }
    }
    for n in &nodes {
        let values: Vec<&str> = n.decisions().iter().map(|d| d.value.as_str()).collect();
        assert_eq!(values, ["\"a\"", "\"b\""]);
        assert_eq!(n.decisions().iter().map(|d| d.slot).collect::<Vec<_>>(), [1, 2]);
        assert!(n.node().core.trail().is_empty(), "nothing piles up for a checker that is not there");
    }
}
