//! Raft nodes driven one by one through the standalone driver ([`Standalone`]), wired by the
//! test's own network: what the JS `createConsensus` API does, without the JS.

use std::collections::BTreeMap;

use consensus_playground::error::Error;
use consensus_playground::node::Standalone;
use consensus_playground::protocol::{Micros, NodeId};
use consensus_playground::raft::sim::{Options, Timer};
use consensus_playground::raft::{Config, LogEntry, Payload, Raft, RaftSimulation, Role};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

const MS: Micros = 1_000;

fn options() -> Options {
    let (_, mut o) = Config::default().split();
    o.snapshot_interval = None;
    o
}

fn cluster(n: usize, seed: u64) -> Vec<Standalone<Raft>> {
    (0..n).map(|i| Standalone::new(Raft { options: options() }, i, n, seed + i as u64).unwrap()).collect()
}

/// Checks Election Safety over every term seen so far (at most one leader per term).
fn record_leaders(nodes: &[Standalone<Raft>], leaders: &mut BTreeMap<u64, NodeId>) {
    for (i, s) in nodes.iter().enumerate() {
        let core = &s.node().core;
        if core.role() == Role::Leader {
            let l = *leaders.entry(core.current_term()).or_insert(i);
            assert_eq!(l, i, "two leaders in term {}", core.current_term());
        }
    }
}

fn leader(nodes: &[Standalone<Raft>]) -> Option<NodeId> {
    let best = nodes.iter().enumerate().filter(|(_, s)| s.node().core.role() == Role::Leader);
    best.max_by_key(|(_, s)| s.node().core.current_term()).map(|(i, _)| i)
}

/// Every node's decisions agree with every other's, index by index.
fn assert_prefix_consistent(nodes: &[Standalone<Raft>]) {
    let mut by_index: BTreeMap<u64, &LogEntry> = BTreeMap::new();
    for s in nodes {
        let d = s.decisions();
        for w in d.windows(2) {
            assert_eq!(w[1].index, w[0].index + 1, "decisions in index order, no gap");
        }
        for e in d {
            let seen = by_index.entry(e.index).or_insert(e);
            assert_eq!(*seen, e, "two nodes decided differently at index {}", e.index);
        }
    }
}

#[test]
fn three_nodes_wired_by_hand_elect_a_leader_and_commit_a_command() {
    let mut nodes = cluster(3, 1);
    let mut leaders = BTreeMap::new();
    let mut wire: Vec<(NodeId, NodeId, Payload)> = Vec::new();
    let mut proposed = false;
    let mut now = 0;
    while now < 3_000 * MS {
        now += 5 * MS;
        for s in &mut nodes {
            s.tick(now).unwrap();
        }
        // Deliver everything sent, in order, until the network is quiet.
        loop {
            for (i, s) in nodes.iter_mut().enumerate() {
                wire.extend(s.take_outbox().into_iter().map(|(to, m)| (i, to, m)));
            }
            if wire.is_empty() {
                break;
            }
            for (from, to, m) in std::mem::take(&mut wire) {
                assert_ne!(from, to, "the outbox never addresses the node itself");
                nodes[to].on_msg(from, m).unwrap();
                record_leaders(&nodes, &mut leaders);
            }
        }
        record_leaders(&nodes, &mut leaders);
        if let (Some(l), false) = (leader(&nodes), proposed) {
            // A follower refuses, naming the leader it knows.
            let f = (l + 1) % 3;
            match nodes[f].propose("\"no\"".into()) {
                Err(Error::NotLeader { leader: Some(name), .. }) => assert_eq!(name, format!("n{}", l + 1)),
                other => panic!("a follower took a command: {other:?}"),
            }
            assert_eq!(nodes[l].propose("{\"put\":\"x\"}".into()), Ok(2));
            proposed = true;
        }
        if proposed && nodes.iter().all(|s| s.decisions().len() >= 2) {
            break;
        }
    }
    assert!(proposed, "a leader emerged");
    assert!(nodes.iter().all(|s| s.decisions().len() >= 2), "the command committed everywhere");
    for s in &nodes {
        assert_eq!(s.decisions()[0].command, "null", "the leader's no-op first (§8)");
        assert_eq!(s.decisions()[1].command, "{\"put\":\"x\"}");
    }
    assert_prefix_consistent(&nodes);
    assert!(nodes.iter().any(|s| s.persists() > 0), "voters and followers asked for stable-storage writes");
}

/// Five nodes, a lossy, duplicating, reordering network: one leader per term, and every
/// committed entry agreed on.
#[test]
fn five_nodes_over_a_bad_network_agree() {
    for seed in 0..8 {
        let mut rng = Pcg64Mcg::seed_from_u64(1000 + seed);
        let mut nodes = cluster(5, seed * 10);
        let mut leaders = BTreeMap::new();
        let mut wire: Vec<(NodeId, NodeId, Payload)> = Vec::new();
        let mut next_command = 0;
        let mut now = 0;
        // From step 300 to 500 the leader of step 300 is cut off: a new term must begin.
        let mut cut = None;
        for step in 0..1_000 {
            if step == 300 {
                cut = leader(&nodes);
            }
            if step == 500 {
                cut = None;
            }
            now += rng.random_range(1..=10) * MS;
            for s in &mut nodes {
                s.tick(now).unwrap();
            }
            for (i, s) in nodes.iter_mut().enumerate() {
                for (to, m) in s.take_outbox() {
                    if rng.random_bool(0.1) || cut == Some(i) || cut == Some(to) {
                        continue; // lost
                    }
                    if rng.random_bool(0.1) {
                        wire.push((i, to, m.clone())); // duplicated
                    }
                    wire.push((i, to, m));
                }
            }
            // Deliver a random part of what is in flight, in random order.
            let k = rng.random_range(0..=wire.len());
            for _ in 0..k {
                let j = rng.random_range(0..wire.len());
                let (from, to, m) = wire.swap_remove(j);
                if cut == Some(from) || cut == Some(to) {
                    continue;
                }
                nodes[to].on_msg(from, m).unwrap();
                record_leaders(&nodes, &mut leaders);
            }
            if let Some(l) = leader(&nodes).filter(|&l| Some(l) != cut) {
                if rng.random_bool(0.2) {
                    next_command += 1;
                    nodes[l].propose(format!("{next_command}")).unwrap();
                }
            }
        }
        assert!(leaders.len() >= 2, "seed {seed}: a leader emerged, then another after the cut");
        assert_prefix_consistent(&nodes);
        let committed = nodes.iter().map(|s| s.decisions().len()).max().unwrap();
        assert!(committed > 5, "seed {seed}: commands committed ({committed})");
    }
}

#[test]
fn the_first_timeout_is_the_simulators_for_the_same_seed() {
    for seed in [1, 7, 42] {
        let sim = RaftSimulation::new(Config { seed, nodes: 1, ..Config::default() }).unwrap();
        let s = Standalone::new(Raft { options: sim.protocol().options.clone() }, 0, 1, seed).unwrap();
        assert_eq!(s.timer(Timer::Election), sim.timer(0, Timer::Election));
    }
}

#[test]
fn same_seed_same_inputs_same_outboxes() {
    let run = || {
        let mut nodes = cluster(3, 5);
        let mut log = Vec::new();
        for t in 1..200 {
            for s in &mut nodes {
                s.tick(t * 3 * MS).unwrap();
            }
            let mut wire = Vec::new();
            for (i, s) in nodes.iter_mut().enumerate() {
                wire.extend(s.take_outbox().into_iter().map(|(to, m)| (i, to, m)));
            }
            for (from, to, m) in wire {
                log.push(format!("{from}->{to} {m:?}"));
                nodes[to].on_msg(from, m).unwrap();
            }
        }
        log
    };
    let a = run();
    assert!(a.len() > 20);
    assert_eq!(a, run());
}
