//! Property tests (proptest): random fault schedules, shrunk to a minimal one on failure.
//! Whatever the schedule, the checker finds no violation, the clients' history is
//! linearizable, and once every fault is undone the cluster commits again.

use consensus_playground::lincheck;
use consensus_playground::raft::{Config, RaftSimulation as Simulation};
use consensus_playground::sim::Workload;
use proptest::prelude::*;

const MS: u64 = 1_000;

#[derive(Clone, Debug)]
enum Action {
    Advance(u64),
    Crash(usize),
    Restart(usize),
    Pause(usize),
    Resume(usize),
    Partition(Vec<usize>),
    Heal,
    Cut(usize, usize, bool),
    Repair(usize, usize),
    Drop(f64),
    Election(usize),
    Transfer(usize),
}

fn action(n: usize) -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (1u64..80).prop_map(Action::Advance),
        1 => (0..n).prop_map(Action::Crash),
        1 => (0..n).prop_map(Action::Restart),
        1 => (0..n).prop_map(Action::Pause),
        1 => (0..n).prop_map(Action::Resume),
        1 => proptest::sample::subsequence((0..n).collect::<Vec<_>>(), 1..n).prop_map(Action::Partition),
        1 => Just(Action::Heal),
        1 => (0..n, 0..n, any::<bool>()).prop_map(|(a, b, both)| Action::Cut(a, b, both)),
        1 => (0..n, 0..n).prop_map(|(a, b)| Action::Repair(a, b)),
        1 => prop_oneof![Just(0.0), Just(0.1), Just(0.3)].prop_map(Action::Drop),
        1 => (0..n).prop_map(Action::Election),
        1 => (0..n).prop_map(Action::Transfer),
    ]
}

fn schedule() -> impl Strategy<Value = (u64, usize, bool, Vec<Action>)> {
    (any::<u64>(), prop_oneof![Just(3usize), Just(5)], any::<bool>())
        .prop_flat_map(|(seed, n, pre_vote)| (Just(seed), Just(n), Just(pre_vote), proptest::collection::vec(action(n), 1..60)))
}

fn apply(s: &mut Simulation, a: &Action) {
    // Refused actions (crash a crashed node, …) are part of the schedule too: they must
    // change nothing.
    let _ = match *a {
        Action::Advance(ms) => {
            s.run_until(s.now() + ms * MS);
            Ok(())
        }
        Action::Crash(i) => s.crash(i),
        Action::Restart(i) => s.restart(i),
        Action::Pause(i) => s.pause(i),
        Action::Resume(i) => s.resume(i),
        Action::Partition(ref g) => s.partition(std::slice::from_ref(g)),
        Action::Heal => {
            s.heal();
            Ok(())
        }
        Action::Cut(a, b, both) => s.cut_link(a, b, both),
        Action::Repair(a, b) => s.repair_link(a, b, true),
        Action::Drop(p) => s.set_drop_rate(p),
        Action::Election(i) => s.start_election(i),
        Action::Transfer(i) => s.transfer_leadership(i),
    };
}

proptest! {
    // A fixed seed (PROPTEST_SEED overrides it): the same cases on every run, so CI is
    // repeatable; vary it by hand to explore.
    #![proptest_config(ProptestConfig {
        cases: 48,
        max_shrink_time: 60_000,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(std::env::var("PROPTEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7)),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_fault_schedule_is_safe_linearizable_and_recovers((seed, n, pre_vote, actions) in schedule()) {
        let config = Config { seed, nodes: n, pre_vote, latency_us: (2 * MS, 40 * MS), duplicate_rate: 0.05, ..Config::default() };
        let mut s = Simulation::new(config).unwrap();
        s.start_clients(Workload { clients: 2, ..Workload::default() });
        for a in &actions {
            apply(&mut s, a);
            prop_assert!(s.violations().is_empty(), "{:?}", s.violations());
        }
        // Undo every fault, then the cluster must elect a leader and commit.
        s.stop_clients();
        s.undo_faults().unwrap();
        s.run_until(s.now() + 3_000 * MS);
        let committed = s.stats().committed;
        let leader = s.leader();
        prop_assert!(leader.is_some(), "no leader 3 s after calm");
        let r = s.client_request("\"calm\"".into(), leader).unwrap();
        prop_assert!(r.accepted);
        s.run_until(s.now() + 1_000 * MS);
        prop_assert!(s.stats().committed > committed, "nothing committed after calm");
        prop_assert!(s.violations().is_empty(), "{:?}", s.violations());
        prop_assert_eq!(lincheck::check(s.history()), Ok(()));
    }
}
