//! The simulator: determinism, elections, replication, crashes, and an invariant checker that
//! finds violations when they exist. Times here are µs (the simulator's unit).

use consensus_playground::raft::{ConsensusProtocol, RequestVoteReply, Role};
use consensus_playground::raft::check::{Checker, ELECTION_SAFETY, LOG_MATCHING, STATE_MACHINE_SAFETY};
use consensus_playground::raft::{Config, RaftSimulation as Simulation};
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
    assert_eq!(e.to_string(), "nodes must be an integer from 1 to 16");
    assert!(Simulation::new(Config { nodes: 16, ..Config::default() }).is_ok());
    let e = Simulation::new(Config { nodes: 17, ..Config::default() }).unwrap_err();
    assert_eq!(e.to_string(), "nodes must be an integer from 1 to 16");
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
    // A seeded schedule of crashes, restarts, pauses, partitions, cut links, forced elections,
    // client requests and dropped messages, over many seeds, on a lossy, duplicating network
    // whose latency range (5–40 ms) reorders messages. The checker runs after every event.
    let mut duplicated = 0;
    for seed in 0..40 {
        let mut rng = Pcg64Mcg::seed_from_u64(1000 + seed);
        let nodes = [3, 5, 7][seed as usize % 3];
        let config = Config { seed, nodes, drop_rate: 0.05, duplicate_rate: 0.05, latency_us: (5 * MS, 40 * MS), ..Config::default() };
        let mut s = Simulation::new(config).unwrap();
        for _ in 0..300 {
            let t = s.now() + rng.random_range(1..40) * MS;
            s.run_until(t);
            let i = rng.random_range(0..nodes);
            match rng.random_range(0..12u32) {
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
                6 => {
                    let _ = if s.is_paused(i) { s.resume(i) } else { s.pause(i) };
                }
                7 => {
                    if rng.random_bool(0.5) {
                        let split = rng.random_range(1..nodes);
                        s.partition(&[(0..split).collect()]).unwrap();
                    } else {
                        s.heal();
                    }
                }
                8 => {
                    let j = (i + rng.random_range(1..nodes)) % nodes;
                    let both = rng.random_bool(0.5);
                    let _ = if rng.random_bool(0.5) { s.cut_link(i, j, both) } else { s.repair_link(i, j, both) };
                }
                _ => {}
            }
        }
        assert!(s.violations().is_empty(), "seed {seed}: {:?}", s.violations());
        duplicated += s.stats().messages_duplicated;
        // Then calm: every node up, every link working. Raft must make progress again (§5.2,
        // §9.3: elections succeed once the network behaves).
        s.undo_faults().unwrap();
        let calm = s.now();
        let committed = |s: &Simulation| (0..nodes).any(|i| {
            let n = s.node(i);
            n.log()[..n.commit_index() as usize].iter().any(|e| e.command == "\"calm\"")
        });
        // A client retries until its command commits (a leader that steps down may lose it).
        while !committed(&s) {
            assert!(s.now() < calm + 5 * S, "seed {seed}: a request commits within 5 s of calm");
            let limit = s.now() + 5 * S;
            let l = run_to_leader(&mut s, limit);
            s.client_request("\"calm\"".into(), Some(l)).unwrap();
            s.run_until(s.now() + 300 * MS);
        }
        assert!(s.violations().is_empty(), "seed {seed}: {:?}", s.violations());
    }
    assert!(duplicated > 100, "the network duplicated messages ({duplicated})");
}

// ---- the checker finds what it looks for ------------------------------------------------------

/// Node ids: n1 is 0.
const N1: usize = 0;
const N2: usize = 1;
const N3: usize = 2;

fn leader_of(id: usize, peers: &[usize], voters: &[usize]) -> ConsensusProtocol {
    let mut n = ConsensusProtocol::new(id, peers.to_vec()).unwrap();
    n.start_election();
    for &v in voters {
        n.handle_request_vote_response(v, &RequestVoteReply { term: 1, vote_granted: true }).unwrap();
    }
    n.become_leader().unwrap();
    n
}

#[test]
fn checker_reports_two_leaders_in_one_term() {
    let peers = [N1, N2, N3];
    let a = leader_of(N1, &peers, &[N2]);
    let b = leader_of(N2, &peers, &[N3]);
    let mut c = Checker::new(2);
    c.check(0, &[&a, &b], &[None, None]);
    assert_eq!(c.violations().len(), 1);
    let v = &c.violations()[0];
    assert_eq!((v.rule, v.nodes.clone()), (ELECTION_SAFETY, vec!["n1".to_string(), "n2".to_string()]));
}

#[test]
fn checker_reports_diverging_logs_and_diverging_commits() {
    let peers = [N1, N2, N3];
    // Each leader commits its own term-1 entry at index 2 on its own (a faked majority).
    let mut a = leader_of(N1, &peers, &[N2]);
    let mut b = leader_of(N2, &peers, &[N3]);
    a.replicate_log("\"a\"".into()).unwrap();
    b.replicate_log("\"b\"".into()).unwrap();
    let ok = |m| consensus_playground::raft::AppendEntriesReply { term: 1, success: true, match_index: m, round: 0 };
    a.handle_append_entries_response(N3, &ok(2)).unwrap();
    b.handle_append_entries_response(N1, &ok(2)).unwrap();
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
    let changes: Vec<String> = s.events_since(seen).filter(|e| !e.routine).map(|e| e.text).collect();
    assert!(changes.iter().any(|t| t.contains("appends client command")), "{changes:?}");
    assert!(changes.iter().any(|t| t.contains("appends 1 entry")), "{changes:?}");
    assert!(changes.iter().any(|t| t.contains("commits them")), "{changes:?}");
    assert!(changes.iter().any(|t| t.contains("its commitIndex becomes")), "{changes:?}");
}

// ---- network faults and paused nodes -------------------------------------------------------------

#[test]
fn a_leader_cut_off_in_a_minority_cannot_commit_and_steps_down_after_the_heal_section_5_4() {
    let mut s = sim(21);
    let old = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 100 * MS);
    let buddy = (old + 1) % 5;
    s.partition(&[vec![old, buddy]]).unwrap();
    let lost = s.client_request("\"minority\"".into(), Some(old)).unwrap();
    assert!(lost.accepted, "the old leader does not know it is cut off");
    let limit = s.now() + 2 * S;
    let new = loop {
        s.step().unwrap();
        match s.leader() {
            Some(l) if l != old => break l,
            _ => assert!(s.now() < limit, "the majority side elects a leader"),
        }
    };
    assert!(s.node(new).current_term() > s.node(old).current_term());
    let kept = s.client_request("\"majority\"".into(), None).unwrap();
    s.run_until(s.now() + 300 * MS);
    assert!(s.node(old).commit_index() < lost.index.unwrap(), "2 of 5 cannot commit");
    assert!(s.node(new).commit_index() >= kept.index.unwrap(), "3 of 5 can");
    s.heal();
    s.run_until(s.now() + 500 * MS);
    assert_eq!(s.node(old).role(), Role::Follower);
    assert!(s.node(old).log().iter().all(|e| e.command != "\"minority\""), "the uncommitted entry was overwritten");
    for i in 0..5 {
        assert_eq!(s.node(i).log(), s.node(new).log(), "n{} converges", i + 1);
    }
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_link_cut_one_way_starves_a_follower_and_without_prevote_it_disrupts_the_cluster() {
    let mut s = Simulation::new(Config { seed: 22, pre_vote: false, ..Config::default() }).unwrap();
    let l = run_to_leader(&mut s, 2 * S);
    let f = (l + 2) % 5;
    s.cut_link(l, f, false).unwrap();
    let term = s.node(l).current_term();
    s.run_until(s.now() + 400 * MS);
    assert!(s.node(f).current_term() > term, "n{} times out and starts elections", f + 1);
    assert!(s.cut_link(f, f, false).is_err());
    s.repair_link(l, f, false).unwrap();
    s.run_until(s.now() + 2 * S);
    assert!(s.leader().is_some());
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

/// Partitions follower `f` away for 2 s, heals, and returns (leader before, leader after, term
/// before, term after, f's highest term while cut off).
fn rejoin(pre_vote: bool) -> (usize, Option<usize>, u64, u64, u64) {
    let mut s = Simulation::new(Config { seed: 30, pre_vote, ..Config::default() }).unwrap();
    let l = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 100 * MS);
    let f = (l + 1) % 5;
    let term = s.node(l).current_term();
    s.partition(&[vec![f]]).unwrap();
    s.run_until(s.now() + 2 * S);
    let f_term = s.node(f).current_term();
    s.heal();
    s.run_until(s.now() + 500 * MS);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    (l, s.leader(), term, s.node(l).current_term(), f_term)
}

#[test]
fn prevote_keeps_a_rejoining_partitioned_node_from_disrupting_the_leader_dissertation_9_6() {
    let (before, after, term, term_after, f_term) = rejoin(true);
    assert_eq!(f_term, term, "cut off, it asked for pre-votes but never raised its term");
    assert_eq!((after, term_after), (Some(before), term), "the same leader in the same term");
    let (before, after, term, term_after, f_term) = rejoin(false);
    assert!(f_term > term + 3, "without PreVote its term climbs at every timeout ({f_term})");
    assert!(term_after > term, "and on rejoining it forces a new election");
    let _ = (before, after);
}

/// Cuts the leader and one follower off from the other three; returns whether the old leader
/// is still leader 600 ms later.
fn minority_leader(check_quorum: bool) -> bool {
    let mut s = Simulation::new(Config { seed: 31, check_quorum, ..Config::default() }).unwrap();
    let l = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 100 * MS);
    s.partition(&[vec![l, (l + 1) % 5]]).unwrap();
    s.run_until(s.now() + 600 * MS);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    s.node(l).role() == Role::Leader
}

#[test]
fn check_quorum_makes_a_leader_cut_off_in_a_minority_step_down_dissertation_6_2() {
    assert!(!minority_leader(true), "it heard from 2 of 5 only: it steps down");
    assert!(minority_leader(false), "without CheckQuorum it keeps believing it leads");
}

#[test]
fn duplicated_messages_change_nothing_but_the_count() {
    let config = Config { seed: 23, duplicate_rate: 0.5, ..Config::default() };
    let mut s = Simulation::new(config).unwrap();
    run_to_leader(&mut s, 2 * S);
    for k in 0..10 {
        s.client_request(format!("\"d{k}\""), None).unwrap();
        s.run_until(s.now() + 20 * MS);
    }
    s.run_until(s.now() + 300 * MS);
    assert!(s.stats().messages_duplicated > 10);
    let l = s.leader().unwrap();
    for i in 0..5 {
        assert_eq!(s.node(i).log(), s.node(l).log());
        assert_eq!(s.node(i).commit_index(), s.node(l).log().len() as u64);
    }
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_paused_leader_wakes_with_a_stale_view_and_steps_down() {
    let mut s = sim(24);
    let old = run_to_leader(&mut s, 2 * S);
    s.pause(old).unwrap();
    assert!(s.start_election(old).unwrap_err().to_string().contains("is paused"));
    let r = s.client_request("\"x\"".into(), Some(old)).unwrap();
    assert!(!r.accepted, "a frozen leader answers nobody");
    let limit = s.now() + 2 * S;
    let new = loop {
        s.step().unwrap();
        match (0..5).find(|i| *i != old && s.node(*i).role() == Role::Leader) {
            Some(l) => break l,
            None => assert!(s.now() < limit),
        }
    };
    s.run_until(s.now() + 100 * MS);
    assert_eq!(s.node(old).role(), Role::Leader, "still leader in its own frozen view");
    let waiting = s.in_flight().filter(|m| m.to == old).count();
    assert!(waiting > 0, "messages wait for it");
    s.resume(old).unwrap();
    s.run_until(s.now() + 100 * MS);
    assert_eq!(s.node(old).role(), Role::Follower);
    assert_eq!(s.node(old).current_term(), s.node(new).current_term());
    assert!(s.resume(old).is_err());
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_link_can_be_given_its_own_latency() {
    let mut s = sim(25);
    s.set_link_latency(0, 1, Some((80 * MS, 90 * MS))).unwrap();
    s.start_election(0).unwrap();
    for m in s.in_flight() {
        let d = m.deliver_at - m.sent_at;
        if m.to == 1 {
            assert!((80 * MS..=90 * MS).contains(&d));
        } else {
            assert!((10 * MS..=15 * MS).contains(&d));
        }
    }
    assert!(s.set_link_latency(0, 0, None).is_err());
    assert!(s.set_drop_rate(1.5).is_err());
    assert!(s.set_latency((9, 3)).is_err());
}

// ---- leadership transfer (dissertation §3.10) -----------------------------------------------------

#[test]
fn leadership_transfer_hands_over_to_the_chosen_node_in_the_next_term() {
    let mut s = sim(40);
    let l = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 100 * MS);
    let to = (l + 2) % 5;
    let term = s.node(l).current_term();
    s.transfer_leadership(to).unwrap();
    let refused = s.client_request("\"during\"".into(), Some(l)).unwrap();
    assert!(!refused.accepted, "no new commands while handing over");
    s.run_until(s.now() + 100 * MS);
    assert_eq!(s.leader(), Some(to));
    assert_eq!(s.node(to).current_term(), term + 1);
    assert_eq!(s.node(l).role(), Role::Follower);
    assert!(s.events_since(0).any(|e| e.text.contains("gets TimeoutNow")));
    assert!(s.transfer_leadership(to).is_err(), "to the leader itself");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn leadership_transfer_waits_for_a_lagging_target_to_catch_up() {
    let mut s = sim(41);
    let l = run_to_leader(&mut s, 2 * S);
    let to = (l + 1) % 5;
    s.cut_link(l, to, false).unwrap();
    for k in 0..5 {
        s.client_request(format!("\"e{k}\""), None).unwrap();
    }
    s.run_until(s.now() + 50 * MS);
    assert!(s.node(to).log().len() < s.node(l).log().len(), "the target lags");
    s.transfer_leadership(to).unwrap();
    s.run_until(s.now() + 30 * MS);
    assert_eq!(s.leader(), Some(l), "no TimeoutNow while the target lags");
    s.repair_link(l, to, false).unwrap();
    s.run_until(s.now() + 200 * MS);
    assert_eq!(s.leader(), Some(to), "caught up, it got TimeoutNow and won");
    assert!(s.node(to).log().iter().any(|e| e.command == "\"e4\""));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_transfer_that_cannot_finish_is_abandoned_and_the_leader_serves_again() {
    let mut s = Simulation::new(Config { seed: 42, check_quorum: false, ..Config::default() }).unwrap();
    let l = run_to_leader(&mut s, 2 * S);
    let to = (l + 1) % 5;
    s.run_until(s.now() + 100 * MS);
    s.pause(to).unwrap();
    s.client_request("\"x\"".into(), None).unwrap();
    assert!(s.transfer_leadership(to).is_err(), "a paused target is refused");
    s.resume(to).unwrap();
    s.cut_link(l, to, true).unwrap();
    s.client_request("\"y\"".into(), None).unwrap();
    s.transfer_leadership(to).unwrap();
    s.run_until(s.now() + 400 * MS);
    assert!(s.events_since(0).any(|e| e.text.contains("gives up handing leadership")));
    assert_eq!(s.leader(), Some(l), "PreVote: the cut-off target cannot take over by itself");
    let r = s.client_request("\"after\"".into(), Some(l)).unwrap();
    assert!(r.accepted, "the leader takes commands again");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

// ---- log compaction (§7) in the simulator ---------------------------------------------------

#[test]
fn a_follower_back_from_a_long_crash_catches_up_by_install_snapshot() {
    let config = Config { seed: 50, snapshot_interval: Some(8), ..Config::default() };
    let mut s = Simulation::new(config).unwrap();
    s.start_clients(consensus_playground::sim::Workload { clients: 3, ..Default::default() });
    let l = run_to_leader(&mut s, 2 * S);
    let f = (l + 3) % 5;
    s.crash(f).unwrap();
    s.run_until(s.now() + 3 * S);
    let leader = s.leader().unwrap();
    assert!(s.node(leader).snapshot().index > 8, "the leader compacted its log");
    s.restart(f).unwrap();
    let mut installed = false;
    let until = s.now() + 500 * MS;
    while s.now() < until {
        let e = s.step().unwrap();
        installed |= e.text.starts_with(&format!("n{} installs", f + 1));
    }
    assert!(installed, "InstallSnapshot");
    s.stop_clients();
    s.run_until(s.now() + 1_000 * MS);
    let leader = s.leader().unwrap();
    assert_eq!(s.node(f).last_log_index(), s.node(leader).last_log_index());
    assert_eq!(s.node(f).last_applied(), s.node(leader).last_applied());
    assert_eq!(s.kv(f), s.kv(leader), "the same store, from the snapshot then the log");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_eq!(consensus_playground::lincheck::check(s.history()), Ok(()));
}

#[test]
fn a_restarted_node_loads_its_state_machine_from_its_snapshot() {
    let config = Config { seed: 51, snapshot_interval: Some(5), ..Config::default() };
    let mut s = Simulation::new(config).unwrap();
    s.start_clients(consensus_playground::sim::Workload { clients: 2, ops_per_client: Some(15), ..Default::default() });
    s.run_until(5 * S);
    let f = (s.leader().unwrap() + 1) % 5;
    let snap = s.node(f).snapshot().clone();
    assert!(snap.index >= 5);
    s.crash(f).unwrap();
    s.heal();
    s.restart(f).unwrap();
    assert_eq!(s.node(f).last_applied(), snap.index);
    assert_eq!(s.kv(f), &consensus_playground::kv::Kv::restore(&snap.data).unwrap());
    s.run_until(s.now() + 500 * MS);
    let l = s.leader().unwrap();
    assert_eq!(s.kv(f), s.kv(l));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

// ---- membership changes, one server at a time (dissertation §4.1) ------------------------------

#[test]
fn adding_a_server_grows_the_cluster_and_the_newcomer_catches_up() {
    let mut s = Simulation::new(Config { seed: 60, snapshot_interval: Some(10), ..Config::default() }).unwrap();
    s.start_clients(consensus_playground::sim::Workload { clients: 2, ..Default::default() });
    let l = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 1_000 * MS);
    let new = s.add_node().unwrap();
    assert_eq!((new, s.ids()[new].as_str()), (5, "n6"));
    assert!(s.add_node().is_err(), "one change at a time: the first is not committed yet");
    s.run_until(s.now() + 1_000 * MS);
    let leader = s.leader().unwrap();
    assert_eq!(s.node(leader).cluster().len(), 6);
    assert!(s.node(new).is_member(5), "n6");
    s.stop_clients();
    s.run_until(s.now() + 500 * MS);
    assert_eq!(s.node(new).last_applied(), s.node(leader).last_applied(), "it caught up (from a snapshot, then the log)");
    assert_eq!(s.kv(new), s.kv(leader));
    assert!(s.node(l).log().iter().chain(s.node(leader).log()).any(|e| e.command.starts_with("{\"$config\"")) || s.node(leader).snapshot().config.len() == 6);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_eq!(consensus_playground::lincheck::check(s.history()), Ok(()));
}

#[test]
fn removing_a_follower_shuts_it_down_once_committed_and_the_rest_carry_on() {
    let mut s = sim(61);
    let l = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 100 * MS);
    let gone = (l + 1) % 5;
    s.remove_node(gone).unwrap();
    s.run_until(s.now() + 200 * MS);
    assert!(s.is_removed(gone));
    assert!(s.restart(gone).is_err(), "a removed server does not come back");
    assert_eq!(s.node(l).cluster().len(), 4);
    // Four members: two may fail.
    let down: Vec<usize> = (0..5).filter(|i| *i != l && *i != gone).take(1).collect();
    for i in &down {
        s.crash(*i).unwrap();
    }
    let r = s.client_request("\"four\"".into(), None).unwrap();
    s.run_until(s.now() + 200 * MS);
    assert!(s.node(l).commit_index() >= r.index.unwrap(), "3 of 4 commit");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_removed_leader_steps_down_after_the_change_commits_dissertation_4_2_2() {
    let mut s = sim(62);
    let l = run_to_leader(&mut s, 2 * S);
    s.run_until(s.now() + 100 * MS);
    s.remove_node(l).unwrap();
    assert_eq!(s.node(l).role(), Role::Leader, "it manages the change until it commits");
    let limit = s.now() + 2 * S;
    let new = loop {
        s.step().unwrap();
        match s.leader() {
            Some(x) if x != l => break x,
            _ => assert!(s.now() < limit, "a new leader among the four"),
        }
    };
    s.run_until(s.now() + 300 * MS);
    assert!(s.is_removed(l));
    assert_eq!(s.node(new).cluster().len(), 4);
    assert!(!s.node(new).is_member(l));
    let r = s.client_request("\"after\"".into(), None).unwrap();
    s.run_until(s.now() + 200 * MS);
    assert!(s.node(new).commit_index() >= r.index.unwrap());
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

// ---- Figure 16 harness (sim::experiments) ----------------------------------------------------

#[test]
fn figure_16_trials_elect_a_new_leader_after_the_crash() {
    use consensus_playground::raft::experiments::{fig16_range, fig16_trial, Fig16Model};
    for model in [Fig16Model::Disk, Fig16Model::Network] {
        // Deterministic: the same seed, the same simulated election time.
        assert_eq!(fig16_trial(3, (150, 300), model), fig16_trial(3, (150, 300), model));
        let r = fig16_range(1, (150, 300), 40, model);
        assert_eq!((r.trials, r.capped, r.no_leader_to_crash), (40, 0, 0), "{model:?}");
        // Followers' timers started at the last heartbeat, up to one heartbeat interval (75 ms)
        // before the crash: none fires sooner than 150 − 75 ms after it. With a 15 ms
        // broadcast time an election of a 150–300 ms range rarely needs more than two.
        assert!(r.cdf[0].0 >= 75.0, "{model:?} {:?}", r.cdf[0]);
        assert!(r.median_ms < 450.0, "{model:?} {}", r.median_ms);
        assert!(r.cdf.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 < w[1].1));
    }
}

#[test]
fn figure_16_bottom_panel_needs_the_disk_write_in_the_broadcast_time() {
    // Dissertation §9.4: a broadcast time of ~15 ms is "network round trip plus disk write".
    // A heartbeat needs no disk write, so with 12–24 ms timeouts the LAN cluster elects and
    // keeps a leader (paper: mean 35 ms), while 15 ms of pure network latency leaves the
    // leader's first heartbeat later than many followers' timeouts.
    use consensus_playground::raft::experiments::{fig16_range, Fig16Model};
    let disk = fig16_range(1, (12, 24), 100, Fig16Model::Disk);
    let network = fig16_range(1, (12, 24), 100, Fig16Model::Network);
    assert!(disk.median_ms < 60.0, "{}", disk.median_ms);
    let failed = |r: &consensus_playground::raft::experiments::Fig16Summary| r.capped + r.no_leader_to_crash;
    assert!(failed(&disk) * 4 < failed(&network), "disk {:?} vs network {:?}", (disk.capped, disk.no_leader_to_crash), (network.capped, network.no_leader_to_crash));
}

#[test]
fn messages_per_write_meet_the_textbook_floor_and_batching_cuts_them() {
    use consensus_playground::raft::experiments::messages_per_write;
    for nodes in [3, 5] {
        let plain = messages_per_write(1, nodes, None, false);
        let batched = messages_per_write(1, nodes, Some(25 * MS), false);
        assert_eq!((plain.writes, batched.writes), (1000, 1000), "every write commits");
        let textbook = 2.0 * (nodes as f64 - 1.0);
        assert!(plain.per_write() >= textbook, "one AppendEntries and one reply per follower at least: {}", plain.per_write());
        assert!(batched.per_write() < plain.per_write() * 0.6, "{} vs {}", batched.per_write(), plain.per_write());
    }
}

// ---- Stable-storage delay (Config::persist_us) -------------------------------------------------

#[test]
fn a_reply_that_wrote_to_stable_storage_leaves_after_the_write_and_a_heartbeat_reply_does_not() {
    // Figure 2: persistent state is "updated on stable storage before responding to RPCs".
    use consensus_playground::raft::Payload;
    let config = Config { seed: 1, nodes: 3, latency_us: (MS, MS), persist_us: 5 * MS, ..Config::default() };
    let mut s = Simulation::new(config).unwrap();
    s.start_election(0).unwrap();
    let mut seen = (false, false);
    let mut first_sight = std::collections::HashSet::new();
    while s.now() < 2 * S && !(seen.0 && seen.1) {
        s.step();
        for m in s.in_flight().filter(|m| first_sight.insert(m.id)) {
            match &m.payload {
                // A vote granted (votedFor and currentTerm written): 5 ms on disk, then 1 ms.
                Payload::RequestVoteResponse(r) if r.vote_granted => {
                    assert_eq!((m.deliver_at - m.sent_at, m.sent_at - s.now()), (MS, 5 * MS));
                    seen.0 = true;
                }
                // An empty AppendEntries in the follower's own term changes nothing on disk.
                Payload::AppendEntriesResponse(_) if m.sent_at == s.now() => {
                    assert_eq!(m.deliver_at - m.sent_at, MS);
                    seen.1 = true;
                }
                _ => {}
            }
        }
    }
    assert!(seen.0 && seen.1, "saw a granted vote and an immediate heartbeat reply: {seen:?}");
}

#[test]
fn a_server_that_crashes_before_its_write_is_done_never_sends_the_reply() {
    // Figure 2: no answer before stable storage is updated. A voter that crashes while its
    // vote is being written never answers: n1 gets no vote from it, and one from n3.
    use consensus_playground::raft::Payload;
    let config = Config { seed: 1, nodes: 3, latency_us: (MS, MS), persist_us: 5 * MS, ..Config::default() };
    let mut s = Simulation::new(config).unwrap();
    s.start_election(0).unwrap();
    // Both RequestVotes arrive after 1 ms; both votes are then 5 ms on disk.
    s.run_until(2 * MS);
    let waiting = |s: &Simulation, from: usize| {
        s.in_flight().filter(|m| m.from == from && m.sent_at > s.now() && matches!(m.payload, Payload::RequestVoteResponse(_))).count()
    };
    assert_eq!((waiting(&s, 1), waiting(&s, 2)), (1, 1), "each voter's reply waits for its write");
    let dropped = s.stats().messages_dropped;
    s.crash(1).unwrap();
    assert_eq!((waiting(&s, 1), waiting(&s, 2)), (0, 1), "the crashed voter's reply is gone, the other's still waits");
    assert_eq!(s.stats().messages_dropped, dropped + 1);
    s.run_until(10 * MS);
    let votes_from: Vec<String> = s
        .events_since(0)
        .filter(|e| e.kind == "deliver" && e.message_kind == Some("RequestVoteResponse"))
        .filter_map(|e| e.from)
        .collect();
    assert_eq!(votes_from, ["n3"], "n1 hears only from n3");
    assert_eq!(s.node(0).role(), consensus_playground::raft::Role::Leader, "n3's vote and its own make a majority of 3");
}

#[test]
fn a_paused_server_sends_its_written_reply_when_it_resumes_not_while_frozen() {
    // A frozen process sends nothing: a vote whose write is done while the voter is paused
    // leaves when it resumes (with the latency it drew); one paused and resumed within the
    // write leaves when the write is done, as if never paused.
    use consensus_playground::raft::Payload;
    let config = Config { seed: 1, nodes: 3, latency_us: (MS, MS), persist_us: 5 * MS, ..Config::default() };
    let mut s = Simulation::new(config).unwrap();
    s.start_election(0).unwrap();
    s.run_until(2 * MS); // both votes are on disk until 6 ms
    let vote_from = |s: &Simulation, from: usize| {
        s.in_flight().find(|m| m.from == from && matches!(m.payload, Payload::RequestVoteResponse(_))).map(|m| (m.sent_at, m.deliver_at))
    };
    assert_eq!(vote_from(&s, 2), Some((6 * MS, 7 * MS)));
    s.pause(1).unwrap();
    s.pause(2).unwrap();
    assert_eq!((vote_from(&s, 1), vote_from(&s, 2)), (None, None), "paused voters send nothing");
    s.run_until(4 * MS);
    s.resume(2).unwrap(); // within its write: leaves at 6 ms as planned
    s.run_until(20 * MS);
    s.resume(1).unwrap(); // its write ended at 6 ms: leaves now
    assert_eq!(vote_from(&s, 1), Some((20 * MS, 21 * MS)));
    let votes: Vec<(f64, Option<String>)> = s
        .events_since(0)
        .filter(|e| e.kind == "deliver" && e.message_kind == Some("RequestVoteResponse"))
        .map(|e| (e.time, e.from))
        .collect();
    assert_eq!(votes, [(7.0, Some("n3".to_string()))], "n3's vote arrives at 7 ms; n2's is still on its way");
    s.run_until(30 * MS);
    assert_eq!(s.stats().messages_dropped, 0, "nothing was lost");
}

/// The message record (`Simulation::message_log`, the space-time diagram's source, issue #14
/// §1): every message sent, with when it left and when it was delivered or lost, agreeing with
/// the messages in flight, the event log and the counters; recording it changes nothing.
#[test]
fn the_message_log_records_every_send_delivery_and_loss() {
    use consensus_playground::sim::{Fate, MESSAGE_LOG_CAPACITY};
    let mut s = sim(7);
    assert_eq!(s.message_log().iter().count(), 0, "off unless asked for");
    s.keep_message_log(MESSAGE_LOG_CAPACITY);
    s.set_drop_rate(0.05).unwrap();
    s.run_until(400 * MS);
    let m = s.in_flight().next().expect("a message in flight").id;
    s.drop_message(m).unwrap();
    let l = s.leader().expect("a leader by 400 ms");
    s.crash(l).unwrap();
    s.run_until(900 * MS);
    let log: Vec<_> = s.message_log().iter().copied().collect();
    let stats = s.stats();
    assert_eq!(log.len() as u64, stats.messages_sent + stats.messages_duplicated, "one record per copy sent");
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq), "in order of sending");
    let lost = log.iter().filter(|r| matches!(r.fate, Fate::Lost(_))).count() as u64;
    assert_eq!(lost, stats.messages_dropped);
    let delivered = log.iter().filter(|r| matches!(r.fate, Fate::Delivered(_))).count() as u64;
    assert_eq!(delivered, stats.messages_delivered);
    assert!(log.iter().any(|r| r.id.is_none() && r.due_at.is_none()), "drop rate: some lost as sent, without an id");
    assert_eq!(log.iter().find(|r| r.id == Some(m)).unwrap().fate, Fate::Lost(400 * MS), "the user's drop, at its time");
    for f in s.in_flight() {
        let r = log.iter().find(|r| r.id == Some(f.id)).expect("in flight and recorded");
        assert_eq!((r.from, r.to, r.sent_at, r.due_at, r.fate), (f.from, f.to, f.sent_at, Some(f.deliver_at), Fate::InFlight));
    }
    for e in s.events_since(0).filter(|e| e.kind == "deliver") {
        let r = log.iter().find(|r| r.id == e.message_id).expect("a delivered message is recorded");
        assert_eq!(r.fate, Fate::Delivered((e.time * 1000.0).round() as u64), "{e:?}");
        assert_eq!(Some(r.kind), e.message_kind);
    }
    // The same run without the record: the same events.
    let mut t = sim(7);
    t.set_drop_rate(0.05).unwrap();
    t.run_until(400 * MS);
    t.drop_message(m).unwrap();
    t.crash(l).unwrap();
    t.run_until(900 * MS);
    assert_eq!(texts(&s), texts(&t));
    assert_eq!(t.message_log().iter().count(), 0);
    // The same run recorded again: the same record.
    let mut u = sim(7);
    u.keep_message_log(MESSAGE_LOG_CAPACITY);
    u.set_drop_rate(0.05).unwrap();
    u.run_until(400 * MS);
    u.drop_message(m).unwrap();
    u.crash(l).unwrap();
    u.run_until(900 * MS);
    assert_eq!(u.message_log().iter().copied().collect::<Vec<_>>(), log, "the same run records the same messages");
    // Bounded: the newest `capacity`.
    u.keep_message_log(10);
    assert_eq!(u.message_log().iter().map(|r| r.seq).collect::<Vec<_>>(), log[log.len() - 10..].iter().map(|r| r.seq).collect::<Vec<_>>());
    u.run_until(1000 * MS);
    assert_eq!(u.message_log().iter().count(), 10);
}
