//! Each deliberate bug, driven through the scenario that exposes it, is caught by the invariant
//! checker; the same scenario with the bug off stays safe. This is how we know the checker is
//! not vacuous (issue #3). Times are µs.

use consensus_playground::raft::{Bug, Bugs, Raft, Role};
use consensus_playground::sim::chaos::{self, ChaosConfig, Fault};
use consensus_playground::raft::check::{COMMITTED_KEPT, ELECTION_SAFETY, LEADER_COMPLETENESS};
use consensus_playground::raft::{Config, RaftSimulation as Simulation};

const MS: u64 = 1_000;

fn sim(bug: Option<Bug>) -> Simulation {
    let bugs = bug.map_or(Bugs::NONE, |b| Bugs::NONE.with(b, true));
    Simulation::new(Config { seed: 1, bugs, ..Config::default() }).unwrap()
}

fn rules(s: &Simulation) -> Vec<&'static str> {
    s.violations().iter().map(|v| v.rule).collect()
}

/// Runs until node `i` leads (at most 1 s of simulated time).
fn until_leader(s: &mut Simulation, i: usize) {
    let limit = s.now() + 1_000 * MS;
    while s.node(i).role() != Role::Leader {
        assert!(s.now() < limit, "n{} did not become leader", i + 1);
        s.step().unwrap();
    }
}

/// Cuts every link out of node `i` (one way).
fn mute(s: &mut Simulation, i: usize) {
    for j in 0..s.ids().len() {
        if j != i {
            s.cut_link(i, j, false).unwrap();
        }
    }
}

// no-log-check: a node with an empty log is elected over committed entries.
fn no_log_check(bug: Option<Bug>) -> Simulation {
    let mut s = sim(bug);
    s.partition(&[vec![4]]).unwrap(); // n5 hears nothing
    s.start_election(0).unwrap();
    until_leader(&mut s, 0);
    s.client_request("\"a\"".into(), None).unwrap();
    s.run_until(s.now() + 100 * MS);
    assert_eq!(s.node(0).commit_index(), 2, "the no-op and \"a\" are committed");
    s.heal();
    // n5, empty log, asks for votes in a higher term.
    for _ in 0..3 {
        s.start_election(4).unwrap();
    }
    s.run_until(s.now() + 60 * MS);
    s
}

#[test]
fn no_log_check_elects_a_leader_without_committed_entries() {
    let s = no_log_check(Some(Bug::NoLogCheck));
    assert!(rules(&s).contains(&LEADER_COMPLETENESS), "{:?}", s.violations());
    let s = no_log_check(None);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_ne!(s.node(4).role(), Role::Leader, "§5.4.1: the empty log loses");
}

// forget-vote: two candidates of one term; n3 votes for the first, reboots, votes for the second.
fn forget_vote(bug: Option<Bug>) -> Simulation {
    let mut s = sim(bug);
    s.start_election(0).unwrap();
    s.start_election(1).unwrap();
    // n1 can reach n3 and n4, n2 can reach n3 and n5: each needs n3 for a majority of 3.
    s.cut_link(0, 4, false).unwrap();
    s.cut_link(1, 3, false).unwrap();
    let mut rebooted = false;
    while s.now() < 100 * MS {
        s.step().unwrap();
        if !rebooted && s.node(2).voted_for().is_some() {
            s.crash(2).unwrap();
            s.restart(2).unwrap();
            rebooted = true;
        }
    }
    assert!(rebooted);
    s
}

#[test]
fn forget_vote_lets_a_rebooted_server_vote_twice_in_one_term() {
    let s = forget_vote(Some(Bug::ForgetVote));
    assert!(rules(&s).contains(&ELECTION_SAFETY), "{:?}", s.violations());
    let s = forget_vote(None);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

// stale-truncate: an AppendEntries delayed 300 ms arrives after newer entries committed.
fn stale_truncate(bug: Option<Bug>) -> Simulation {
    let mut s = sim(bug);
    s.start_election(0).unwrap();
    until_leader(&mut s, 0);
    s.run_until(s.now() + 60 * MS);
    s.set_link_latency(0, 1, Some((300 * MS, 300 * MS))).unwrap();
    s.client_request("\"a\"".into(), None).unwrap(); // to n2: prevLogIndex 1, [a], slow
    s.set_link_latency(0, 1, None).unwrap();
    s.run_until(s.now() + MS);
    s.client_request("\"b\"".into(), None).unwrap(); // to n2: prevLogIndex 1, [a, b], fast
    s.run_until(s.now() + 200 * MS);
    assert_eq!(s.node(1).commit_index(), 3, "n2 knows a and b are committed");
    s.run_until(s.now() + 150 * MS); // the stale request lands
    s
}

#[test]
fn stale_truncate_erases_a_committed_entry_when_a_delayed_request_lands() {
    let s = stale_truncate(Some(Bug::StaleTruncate));
    assert!(rules(&s).contains(&COMMITTED_KEPT), "{:?}", s.violations());
    let s = stale_truncate(None);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_eq!(s.node(1).log().len(), 3, "the delayed request changed nothing");
}

// figure8: the Raft paper's Figure 8, (a) to (d), on five servers.
fn figure8(bug: Option<Bug>) -> Simulation {
    let (n1, n3, n4, n5) = (0, 2, 3, 4);
    let mut s = sim(bug);
    // (a) n1 leads term 1 and puts "B" on n1 and n2 only.
    s.start_election(n1).unwrap();
    until_leader(&mut s, n1);
    s.run_until(s.now() + 60 * MS);
    for j in [n3, n4, n5] {
        s.cut_link(n1, j, false).unwrap();
    }
    s.client_request("\"B\"".into(), None).unwrap();
    s.run_until(s.now() + 30 * MS);
    s.crash(n1).unwrap();
    s.heal();
    // (b) n5 leads term 2 with votes from n3 and n4, takes "C" alone, and crashes.
    s.start_election(n5).unwrap();
    until_leader(&mut s, n5);
    let first: Vec<u64> = s.in_flight().filter(|m| m.from == n5).map(|m| m.id).collect();
    for id in first {
        s.drop_message(id).unwrap(); // its first AppendEntries never arrive
    }
    mute(&mut s, n5);
    s.client_request("\"C\"".into(), Some(n5)).unwrap();
    s.crash(n5).unwrap();
    s.heal();
    // (c) n1 comes back and leads term 3; it spreads "B" (term 1) to n3: a majority holds it.
    s.restart(n1).unwrap();
    s.start_election(n1).unwrap();
    s.start_election(n1).unwrap();
    until_leader(&mut s, n1);
    s.run_until(s.now() + 80 * MS);
    let holds_b = |s: &Simulation, i: usize| s.node(i).log().iter().any(|e| e.command == "\"B\"");
    assert!(holds_b(&s, n3), "{:#?}", s.events_since(0).map(|e| e.text).collect::<Vec<_>>());
    s.crash(n1).unwrap();
    // (d) n5 comes back and runs for leader. With the bug the others' last entry is "B" of
    // term 1, older than n5's "C" of term 2, so n5 wins and overwrites "B". Without it, n1's
    // no-op of term 3 sits after "B" on a majority, and n5 cannot win.
    s.restart(n5).unwrap();
    for _ in 0..3 {
        s.start_election(n5).unwrap();
    }
    s.run_until(s.now() + 100 * MS);
    s
}

#[test]
fn figure8_commits_an_old_term_entry_that_a_later_leader_overwrites() {
    let s = figure8(Some(Bug::Figure8));
    assert_eq!(s.node(4).role(), Role::Leader);
    assert!(rules(&s).contains(&LEADER_COMPLETENESS), "{:?}", s.violations());
    let s = figure8(None);
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_ne!(s.node(4).role(), Role::Leader, "n5's log is behind the term-3 no-op");
    let b = s.node(1).log().iter().position(|e| e.command == "\"B\"").unwrap() as u64 + 1;
    assert!(s.stats().committed >= b, "B committed safely, under n1's term-3 no-op");
}

#[test]
fn randomized_runs_find_the_easy_bugs_within_a_few_seeds_and_nothing_without_bugs() {
    // The CLI's search (`consensus-sim check`), small enough for a debug build; the larger
    // searches for figure8 and forget-vote run in release from npm test.
    let run = |seed, bugs| {
        let cfg = ChaosConfig { seed, nodes: 3, events: 3_000, faults: Fault::ALL.to_vec(), bugs, traitors: 0 };
        chaos::run::<Raft>(&cfg).unwrap().1
    };
    for bug in [Bug::NoLogCheck, Bug::StaleTruncate] {
        let found = (0..10).any(|seed| !run(seed, Bugs::NONE.with(bug, true)).violations.is_empty());
        assert!(found, "{} not found in 10 seeds", bug.name());
    }
    for seed in 0..10 {
        let r = run(seed, Bugs::NONE);
        assert!(r.violations.is_empty(), "seed {seed}: {:?}", r.violations);
        assert!(r.events >= 3_000);
    }
}

#[test]
fn a_failing_seed_replays_identically() {
    let cfg = ChaosConfig { seed: 3, nodes: 3, events: 5_000, faults: Fault::ALL.to_vec(), bugs: Bugs::NONE.with(Bug::StaleTruncate, true), traitors: 0 };
    let (a, ra) = chaos::run::<Raft>(&cfg).unwrap();
    let (b, rb) = chaos::run::<Raft>(&cfg).unwrap();
    assert_eq!(ra.violations, rb.violations);
    assert_eq!((ra.events, ra.time_us), (rb.events, rb.time_us));
    let texts = |s: &Simulation| s.events_since(0).map(|e| e.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&a), texts(&b));
}

