//! The simulator: determinism, elections, replication, crashes, and an invariant checker that
//! finds violations when they exist. Times here are µs (the simulator's unit).

use consensus_playground::raft::{ConsensusProtocol, RequestVoteReply, Role};
use consensus_playground::sim::check::{Checker, ELECTION_SAFETY, LOG_MATCHING, STATE_MACHINE_SAFETY};
use consensus_playground::sim::{Config, Simulation};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

const MS: u64 = 1_000;
const S: u64 = 1_000_000;

fn sim(seed: u64) -> Simulation {
    Simulation::new(Config { seed, ..Config::default() }).unwrap()
}

fn texts(s: &Simulation) -> Vec<String> {
    s.events_since(0).map(|e| format!("{} {}", e.time, e.text)).collect()
}

fn leaders(s: &Simulation) -> Vec<usize> {
    (0..s.ids().len()).filter(|i| !s.is_crashed(*i) && s.node(*i).role() == Role::Leader).collect()
}

/// Runs until some node leads and returns it (panics after `limit` µs).
fn run_to_leader(s: &mut Simulation, limit: u64) -> usize {
    while s.now() < limit {
        if let Some(l) = s.leader() {
            return l;
        }
        s.step().expect("timers keep running");
    }
    panic!("no leader by {} ms", limit / MS);
}

#[test]
fn same_seed_same_events_bit_for_bit() {
    let run = |seed| {
        let mut s = sim(seed);
        s.run_until(700 * MS);
        let l = s.leader().unwrap();
        s.client_request("\"x\"".into(), None).unwrap();
        s.crash(l).unwrap();
        s.run_until(2 * S);
        s.restart(l).unwrap();
        s.run_until(3 * S);
        (texts(&s), s.stats())
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11).0, run(12).0, "the seed matters");
}

#[test]
fn a_leader_is_elected_from_timeouts_alone_section_5_2() {
    for seed in 0..50 {
        let mut s = sim(seed);
        // Election timeouts are 150–300 ms: by 2 s some election has succeeded.
        let l = run_to_leader(&mut s, 2 * S);
        s.run_until(s.now() + 500 * MS);
        assert_eq!(leaders(&s), vec![l], "seed {seed}: one leader, still the same (heartbeats keep it)");
        let term = s.node(l).current_term();
        for i in 0..5 {
            assert_eq!(s.node(i).current_term(), term, "seed {seed}: heartbeats carry the term to n{}", i + 1);
        }
        assert!(s.violations().is_empty(), "seed {seed}: {:?}", s.violations());
    }
}

#[test]
fn start_election_by_hand_makes_that_node_leader_when_nobody_competes() {
    let mut s = sim(3);
    s.start_election(2).unwrap();
    assert_eq!(s.node(2).role(), Role::Candidate);
    s.run_until(100 * MS); // one round trip is 20–30 ms, timeouts are ≥ 150 ms
    assert_eq!(s.leader(), Some(2));
    assert_eq!(s.node(2).current_term(), 1);
    assert_eq!(s.stats().elections, 1);
}

#[test]
fn a_client_request_commits_and_is_applied_on_every_node_section_5_3() {
    let mut s = sim(5);
    let l = run_to_leader(&mut s, 2 * S);
    let reply = s.client_request("{\"set\":\"x\"}".into(), None).unwrap();
    assert!(reply.accepted);
    let index = reply.index.unwrap();
    s.run_until(s.now() + 200 * MS);
    for i in 0..5 {
        let n = s.node(i);
        assert!(n.commit_index() >= index && n.last_applied() >= index, "n{}", i + 1);
        assert_eq!(n.log()[index as usize - 1].command, "{\"set\":\"x\"}");
    }
    assert_eq!(s.node(l).log().len(), index as usize);
    assert!(s.stats().committed >= index);
}

#[test]
fn a_client_request_to_a_follower_is_redirected_to_the_leader() {
    let mut s = sim(5);
    let l = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 100 * MS);
    let f = (l + 1) % 5;
    let reply = s.client_request("\"y\"".into(), Some(f)).unwrap();
    assert!(!reply.accepted);
    assert_eq!(reply.leader.as_deref(), Some(s.ids()[l].as_str()));
}

#[test]
fn no_leader_no_acceptance() {
    let mut s = sim(5);
    let reply = s.client_request("\"z\"".into(), None).unwrap();
    assert!(!reply.accepted && reply.leader.is_none() && reply.index.is_none());
}

#[test]
fn crashing_the_leader_elects_a_new_one_in_a_higher_term_and_the_old_one_catches_up() {
    let mut s = sim(9);
    let old = run_to_leader(&mut s, 2 * S);
    s.client_request("\"a\"".into(), None).unwrap();
    s.run_until(s.now() + 100 * MS);
    let term = s.node(old).current_term();
    s.crash(old).unwrap();
    let limit = s.now() + 2 * S;
    let new = run_to_leader(&mut s, limit);
    assert_ne!(new, old);
    assert!(s.node(new).current_term() > term);
    assert!(s.node(new).log().iter().any(|e| e.command == "\"a\""), "Leader Completeness (§5.4)");
    s.client_request("\"b\"".into(), None).unwrap();
    s.restart(old).unwrap();
    assert_eq!(s.node(old).role(), Role::Follower);
    s.run_until(s.now() + 500 * MS);
    assert_eq!(s.node(old).log(), s.node(new).log(), "the restarted node's log converges");
    assert_eq!(s.node(old).commit_index(), s.node(new).commit_index());
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn without_a_majority_nothing_commits_section_5_3() {
    let mut s = sim(4);
    let l = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 100 * MS);
    let committed = s.node(l).commit_index();
    let others: Vec<usize> = (0..5).filter(|i| *i != l).take(3).collect();
    for i in &others {
        s.crash(*i).unwrap();
    }
    let reply = s.client_request("\"lonely\"".into(), None).unwrap();
    assert!(reply.accepted, "the leader still accepts");
    s.run_until(s.now() + S);
    assert_eq!(s.node(l).commit_index(), committed, "two of five cannot commit");
}

#[test]
fn dropping_a_message_by_hand_loses_it() {
    let mut s = sim(2);
    s.start_election(0).unwrap();
    let ids: Vec<u64> = s.in_flight().map(|m| m.id).collect();
    assert_eq!(ids.len(), 4, "RequestVote to the four others");
    for id in &ids {
        s.drop_message(*id).unwrap();
    }
    assert_eq!(s.in_flight().count(), 0);
    assert_eq!(s.stats().messages_dropped, 4);
    assert!(s.drop_message(ids[0]).is_err(), "already gone");
    assert_eq!(s.node(0).role(), Role::Candidate);
}

#[test]
fn user_errors_name_the_parameter_and_change_nothing() {
    let mut s = sim(2);
    assert_eq!(s.index_of("id", "n9").unwrap_err().to_string(), "id must be a node id, n1 to n5 (\"n9\" is not)");
    s.crash(1).unwrap();
    assert!(s.crash(1).unwrap_err().to_string().contains("n2 is crashed"));
    assert!(s.start_election(1).is_err());
    assert!(s.restart(0).unwrap_err().to_string().contains("n1 is running"));
    let e = Simulation::new(Config { nodes: 0, ..Config::default() }).unwrap_err();
    assert_eq!(e.to_string(), "nodes must be an integer from 1 to 15");
    let e = Simulation::new(Config { latency_us: (20, 10), ..Config::default() }).unwrap_err();
    assert_eq!(e.to_string(), "latencyMs must be [lo, hi] with lo <= hi");
    let e = Simulation::new(Config { drop_rate: 1.5, ..Config::default() }).unwrap_err();
    assert_eq!(e.to_string(), "dropRate must be a number from 0 to 1");
}

#[test]
fn a_single_node_cluster_elects_itself_and_commits_alone() {
    let mut s = Simulation::new(Config { nodes: 1, ..Config::default() }).unwrap();
    run_to_leader(&mut s, S);
    let r = s.client_request("\"solo\"".into(), None).unwrap();
    s.run_until(s.now() + 10 * MS);
    assert_eq!(s.node(0).commit_index(), r.index.unwrap());
}

#[test]
fn random_faults_never_break_safety() {
    // A seeded schedule of crashes, restarts, forced elections, client requests and dropped
    // messages, over many seeds, on a lossy network. The checker runs after every event.
    for seed in 0..40 {
        let mut rng = Pcg64Mcg::seed_from_u64(1000 + seed);
        let nodes = [3, 5, 7][seed as usize % 3];
        let mut s = Simulation::new(Config { seed, nodes, drop_rate: 0.05, ..Config::default() }).unwrap();
        for _ in 0..300 {
            let t = s.now() + rng.random_range(1..40) * MS;
            s.run_until(t);
            let i = rng.random_range(0..nodes);
            match rng.random_range(0..10) {
                0 => {
                    let _ = if s.is_crashed(i) { s.restart(i) } else { s.crash(i) };
                }
                1 => {
                    let _ = s.start_election(i);
                }
                2..=4 => {
                    let _ = s.client_request(format!("\"{seed}-{t}\""), None);
                }
                5 => {
                    let pick = s.in_flight().map(|m| m.id).nth(rng.random_range(0..4));
                    if let Some(id) = pick {
                        s.drop_message(id).unwrap();
                    }
                }
                _ => {}
            }
        }
        assert!(s.violations().is_empty(), "seed {seed}: {:?}", s.violations());
        assert!(s.stats().committed > 0, "seed {seed}: the run made progress");
    }
}

// ---- the checker finds what it looks for ------------------------------------------------------

fn leader_of(id: &str, peers: &[String], voters: &[&str]) -> ConsensusProtocol {
    let mut n = ConsensusProtocol::new(id, peers.to_vec()).unwrap();
    n.start_election();
    for v in voters {
        n.handle_request_vote_response(v, &RequestVoteReply { term: 1, vote_granted: true }).unwrap();
    }
    n.become_leader().unwrap();
    n
}

#[test]
fn checker_reports_two_leaders_in_one_term() {
    let peers: Vec<String> = ["n1", "n2", "n3"].iter().map(|s| s.to_string()).collect();
    let a = leader_of("n1", &peers, &["n2"]);
    let b = leader_of("n2", &peers, &["n3"]);
    let mut c = Checker::new(2);
    c.check(0, &[&a, &b], &[None, None]);
    assert_eq!(c.violations().len(), 1);
    let v = &c.violations()[0];
    assert_eq!((v.rule, v.nodes.clone()), (ELECTION_SAFETY, vec!["n1".to_string(), "n2".to_string()]));
}

#[test]
fn checker_reports_diverging_logs_and_diverging_commits() {
    let peers: Vec<String> = ["n1", "n2", "n3"].iter().map(|s| s.to_string()).collect();
    // Each leader commits its own term-1 entry at index 2 on its own (a faked majority).
    let mut a = leader_of("n1", &peers, &["n2"]);
    let mut b = leader_of("n2", &peers, &["n3"]);
    a.replicate_log("\"a\"".into()).unwrap();
    b.replicate_log("\"b\"".into()).unwrap();
    let ok = |m| consensus_playground::raft::AppendEntriesReply { term: 1, success: true, match_index: m };
    a.handle_append_entries_response("n3", &ok(2)).unwrap();
    b.handle_append_entries_response("n1", &ok(2)).unwrap();
    let mut c = Checker::new(2);
    c.check(0, &[&a, &b], &[Some(1), Some(1)]);
    let rules: Vec<&str> = c.violations().iter().map(|v| v.rule).collect();
    assert!(rules.contains(&LOG_MATCHING), "{rules:?}");
    assert!(rules.contains(&STATE_MACHINE_SAFETY), "{rules:?}");
}

#[test]
fn steady_state_heartbeats_are_marked_routine_and_changes_are_not() {
    let mut s = sim(8);
    run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 300 * MS);
    let seen = s.events_since(0).last().unwrap().seq;
    s.run_until(s.now() + 200 * MS);
    let quiet: Vec<_> = s.events_since(seen).collect();
    assert!(quiet.len() > 20);
    assert!(quiet.iter().all(|e| e.routine), "{:?}", quiet.iter().find(|e| !e.routine));
    let seen = quiet.last().unwrap().seq;
    s.client_request("\"w\"".into(), None).unwrap();
    s.run_until(s.now() + 200 * MS);
    let changes: Vec<&str> = s.events_since(seen).filter(|e| !e.routine).map(|e| e.text.as_str()).collect();
    assert!(changes.iter().any(|t| t.contains("appends client command")), "{changes:?}");
    assert!(changes.iter().any(|t| t.contains("appends 1 entry")), "{changes:?}");
    assert!(changes.iter().any(|t| t.contains("commits them")), "{changes:?}");
    assert!(changes.iter().any(|t| t.contains("its commitIndex becomes")), "{changes:?}");
}
