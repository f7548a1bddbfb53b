//! Gossip on the generic simulator (issue #13 §1–2): anti-entropy's spread, versions and their
//! tiebreak, death certificates, rumor mongering's residue and anti-entropy beneath it, the
//! invariant checker and each bug switch caught by a scripted scenario, and randomized runs
//! (`consensus-sim check --protocol gossip`) finding nothing without a bug.
//! Source: Demers et al., "Epidemic Algorithms for Replicated Database Maintenance", PODC 1987.

use consensus_playground::gossip::check::{convergence_bound_rounds, CONVERGENCE, DELETED_STAYS_DELETED, NO_OLDER_VERSION};
use consensus_playground::gossip::{AgentState, Bug, Core, Entry, Exchange, Gossip, Interest, Merged, Msg, Options, Rumors, Version};
use consensus_playground::protocol::{BugSet, Micros};
use consensus_playground::sim::chaos::{self, Chaos, ChaosConfig, Fault};
use consensus_playground::sim::{SimConfig, Simulation, Workload};

const MS: Micros = 1_000;

fn sim(seed: u64, nodes: usize, options: Options) -> Simulation<Gossip> {
    let config = SimConfig { seed, nodes, latency_us: (10 * MS, 15 * MS), ..SimConfig::default() };
    Simulation::<Gossip>::new(config, options).unwrap()
}

fn with_bug(bug: Bug, options: Options) -> Options {
    Options { bugs: BugSet::NONE.with(bug, true), ..options }
}

fn rules(s: &Simulation<Gossip>) -> Vec<&'static str> {
    s.violations().iter().map(|v| v.rule).collect()
}

/// Rounds (of `interval`) until every agent holds the newest version of `key`; None past `max`.
fn rounds_to_spread(s: &mut Simulation<Gossip>, key: &str, interval: Micros, max: u64) -> Option<u64> {
    let n = s.ids().len();
    let start = s.now();
    for r in 1..=max {
        s.run_until(start + r * interval);
        if s.informed(key) == n {
            return Some(r);
        }
    }
    None
}

#[test]
fn push_pull_anti_entropy_spreads_one_update_to_all_16_within_a_few_rounds() {
    // Karp et al. (FOCS 2000): push-pull informs n agents in log₃ n + O(ln ln n) rounds; with
    // 16 agents, 10 rounds is a generous ceiling, and the mean is a handful.
    let mut total = 0;
    for seed in 0..30 {
        let mut s = sim(seed, 16, Options::default());
        s.set(0, "x", "1").unwrap();
        assert_eq!(s.informed("x"), 1);
        let r = rounds_to_spread(&mut s, "x", 100 * MS, 10).unwrap_or_else(|| panic!("seed {seed}: not everyone heard in 10 rounds"));
        total += r;
        assert!(s.violations().is_empty(), "{:?}", s.violations());
    }
    assert!(total as f64 / 30.0 <= 6.0, "mean rounds {}", total as f64 / 30.0);
}

#[test]
fn push_alone_and_pull_alone_spread_too_and_push_pull_is_fastest() {
    let mut mean = Vec::new();
    for exchange in [Exchange::Push, Exchange::Pull, Exchange::PushPull] {
        let mut total = 0;
        for seed in 0..30 {
            let mut s = sim(seed, 16, Options { exchange, ..Options::default() });
            s.set(3, "k", "v").unwrap();
            total += rounds_to_spread(&mut s, "k", 100 * MS, 40).unwrap_or_else(|| panic!("{} seed {seed}", exchange.name()));
            assert!(s.violations().is_empty());
        }
        mean.push(total as f64 / 30.0);
    }
    assert!(mean[2] <= mean[0] && mean[2] <= mean[1], "push, pull, push-pull means: {mean:?}");
}

#[test]
fn a_later_write_wins_everywhere_and_versions_never_go_back() {
    let mut s = sim(1, 5, Options::default());
    let v1 = s.set(0, "x", "a").unwrap();
    assert_eq!(v1, Version { ts: 1, writer: 0 });
    s.run_until(2_000 * MS);
    // n2 has seen timestamp 1, so its write is 2@n2: later than 1@n1 though n2 < … ids differ.
    let v2 = s.set(1, "x", "b").unwrap();
    assert_eq!(v2, Version { ts: 2, writer: 1 });
    s.run_until(4_000 * MS);
    for i in 0..5 {
        assert_eq!(s.get(i, "x"), Some("b"));
    }
    // The merge itself: an older entry is stale, the same one known, a newer one taken.
    let o = Options::default();
    let mut c = Core::new(4);
    let e = |ts, writer, v: &str| Entry { version: Version { ts, writer }, value: Some(v.into()), expires_us: 0 };
    assert_eq!(c.merge(&o, 0, "x", e(2, 1, "b")), Merged::New);
    assert_eq!(c.merge(&o, 0, "x", e(1, 0, "a")), Merged::Stale);
    assert_eq!(c.merge(&o, 0, "x", e(2, 1, "b")), Merged::Known);
    assert_eq!(c.get("x"), Some("b"));
    // The clock follows the highest timestamp seen: the next write is later than all.
    assert_eq!(c.write(&o, 0, "y", Some("c".into())).0, Version { ts: 3, writer: 4 });
    assert!(s.violations().is_empty());
}

#[test]
fn equal_timestamps_are_broken_by_writer_id_the_same_way_everywhere() {
    let mut s = sim(2, 4, Options::default());
    // Everyone alone: n1 and n3 write x at the same timestamp, 1.
    s.partition(&[vec![0], vec![1], vec![2], vec![3]]).unwrap();
    assert_eq!(s.set(2, "x", "from-n3").unwrap(), Version { ts: 1, writer: 2 });
    assert_eq!(s.set(0, "x", "from-n1").unwrap(), Version { ts: 1, writer: 0 });
    s.run_until(1_000 * MS);
    s.heal();
    s.run_until(4_000 * MS);
    for i in 0..4 {
        assert_eq!(s.get(i, "x"), Some("from-n3"), "agent {i}: the higher writer id wins");
    }
    assert!(s.violations().is_empty() && s.divergence().is_none());
}

#[test]
fn death_certificates_stop_resurrection_then_expire() {
    let o = Options { death_certificate_us: 10_000 * MS, ..Options::default() };
    let mut s = sim(3, 3, o);
    s.set(0, "x", "old").unwrap();
    s.run_until(2_000 * MS);
    assert_eq!(s.informed("x"), 3);
    // n3 is cut off holding the old value; n1 deletes.
    s.partition(&[vec![2]]).unwrap();
    let d = s.delete(0, "x").unwrap();
    s.run_until(4_000 * MS);
    assert_eq!(s.store(1).get("x").map(|e| (e.version, e.value.clone())), Some((d, None)), "n2 holds the certificate");
    assert_eq!(s.get(2, "x"), Some("old"));
    // Healed: the certificate is newer than n3's value, so the value does not come back.
    s.heal();
    s.run_until(6_000 * MS);
    for i in 0..3 {
        assert_eq!(s.get(i, "x"), None);
        assert!(s.store(i).get("x").is_some_and(|e| e.value.is_none()));
    }
    // 10 s after the delete every certificate is dropped (at each agent's next round).
    s.run_until(2_000 * MS + 10_000 * MS + 500 * MS);
    for i in 0..3 {
        assert!(s.store(i).get("x").is_none(), "agent {i} still holds {:?}", s.store(i).get("x"));
    }
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_partition_longer_than_the_certificate_brings_the_value_back_as_demers_warns() {
    // §2.1's hazard: an agent away longer than the certificate lives brings the old value back.
    // The checker allows it: the rule holds only while the certificate lives.
    let o = Options { death_certificate_us: 2_000 * MS, ..Options::default() };
    let mut s = sim(4, 3, o);
    s.set(0, "x", "old").unwrap();
    s.run_until(1_000 * MS);
    s.partition(&[vec![2]]).unwrap();
    s.delete(0, "x").unwrap();
    s.run_until(5_000 * MS);
    assert!(s.store(0).get("x").is_none(), "the certificate expired");
    s.heal();
    s.run_until(8_000 * MS);
    for i in 0..3 {
        assert_eq!(s.get(i, "x"), Some("old"));
    }
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

/// Options for rumor mongering by push with feedback and counter k, without anti-entropy.
fn rumors_only(k: u32) -> Options {
    let r = Rumors { interval_us: 20 * MS, pull: false, feedback: true, interest: Interest::Counter, k };
    Options { anti_entropy: false, rumors: Some(r), ..Options::default() }
}

#[test]
fn rumor_mongering_with_feedback_and_counter_leaves_a_residue_that_anti_entropy_removes() {
    // Demers §1.4: push, feedback, counter k = 1 leaves s ≈ 0.2 of the agents susceptible.
    let (mut residue, mut runs) = (0usize, 0);
    for seed in 0..20 {
        let mut s = sim(seed, 16, rumors_only(1));
        s.set(0, "x", "1").unwrap();
        s.run_until(3_000 * MS);
        assert!((0..16).all(|i| !s.is_hot(i, "x")), "every agent lost interest");
        residue += 16 - s.informed("x");
        runs += 1;
        assert!(s.violations().is_empty());
    }
    let s_frac = residue as f64 / (16 * runs) as f64;
    assert!(s_frac > 0.05 && s_frac < 0.5, "residue {s_frac}");
    // The same with anti-entropy beneath at a slower interval (1 s): everyone hears.
    for seed in 0..20 {
        let o = Options { anti_entropy: true, interval_us: 1_000 * MS, ..rumors_only(1) };
        let mut s = sim(seed, 16, o);
        s.set(0, "x", "1").unwrap();
        s.run_until(15_000 * MS);
        assert_eq!(s.informed("x"), 16, "seed {seed}");
    }
}

#[test]
fn blind_coin_and_pull_rumor_mongering_also_spread_and_stop() {
    for (pull, feedback, interest) in [(false, false, Interest::Coin), (true, true, Interest::Counter), (true, false, Interest::Coin)] {
        let r = Rumors { interval_us: 20 * MS, pull, feedback, interest, k: 3 };
        let mut s = sim(5, 16, Options { rumors: Some(r), interval_us: 1_000 * MS, ..Options::default() });
        s.set(0, "x", "1").unwrap();
        s.run_until(20_000 * MS);
        assert_eq!(s.informed("x"), 16);
        assert!((0..16).all(|i| !s.is_hot(i, "x")), "{pull} {feedback} {interest:?}: interest lost everywhere");
        assert!(s.violations().is_empty());
    }
}

#[test]
fn entries_per_exchange_bounds_every_message_and_still_converges() {
    let o = Options { entries_per_exchange: Some(1), ..Options::default() };
    let mut s = sim(6, 5, o);
    for k in ["a", "b", "c", "d", "e"] {
        s.set(0, k, "v").unwrap();
    }
    let mut rounds = 0;
    while s.divergence().is_some() {
        let until = s.now() + 10 * MS;
        s.run_until(until);
        for m in s.in_flight() {
            let len = match &m.payload {
                Msg::Reply { entries, want } => entries.len().max(want.len()),
                Msg::Entries { entries } => entries.len(),
                _ => 0,
            };
            assert!(len <= 1, "{:?}", m.payload);
        }
        rounds += 1;
        assert!(rounds < 1_000);
    }
    assert!(s.now() <= convergence_bound_rounds(5, 5, Some(1)) * 100 * MS);
}

#[test]
fn a_restart_without_state_is_refilled_by_anti_entropy() {
    let mut s = sim(7, 5, Options { keep_state: false, ..Options::default() });
    s.set(0, "x", "1").unwrap();
    s.set(1, "y", "2").unwrap();
    s.run_until(2_000 * MS);
    s.crash(3).unwrap();
    s.restart(3).unwrap();
    assert!(s.store(3).is_empty());
    // Its clock survived: its next write is later than anything it had seen.
    assert_eq!(s.set(3, "z", "3").unwrap(), Version { ts: 2, writer: 3 });
    s.run_until(4_000 * MS);
    assert_eq!((s.get(3, "x"), s.get(3, "y")), (Some("1"), Some("2")));
    assert!(s.divergence().is_none() && s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn clients_are_answered_at_once_from_the_agents_replica() {
    let mut s = sim(8, 5, Options::default());
    s.start_clients(Workload { clients: 3, ops_per_client: Some(30), ..Workload::default() });
    s.run_until(30_000 * MS);
    let h = s.history();
    assert_eq!(h.len(), 90);
    // Answered at once: the client's round trip only (no leader, no quorum).
    assert!(h.iter().all(|op| op.return_us.is_some_and(|r| r - op.call_us <= 40 * MS)));
    assert!(s.violations().is_empty() && s.divergence().is_none());
}

// ---- each bug, caught by a scripted scenario ----

#[test]
fn keep_older_is_caught_moving_a_key_back() {
    let mut s = sim(1, 3, with_bug(Bug::KeepOlder, Options::default()));
    s.partition(&[vec![0], vec![1], vec![2]]).unwrap();
    s.set(0, "x", "a").unwrap(); // 1@n1
    s.set(1, "x", "b").unwrap(); // 1@n2
    s.set(1, "x", "c").unwrap(); // 2@n2
    s.heal();
    s.run_until(2_000 * MS);
    assert!(rules(&s).contains(&NO_OLDER_VERSION), "{:?}", s.violations());
}

#[test]
fn no_tiebreak_is_caught_when_equal_timestamps_meet() {
    // n3, cut off, and n1 write x at the same timestamp; n1's spreads to n2 and n4 first.
    let mut s = sim(2, 4, with_bug(Bug::NoTiebreak, Options::default()));
    s.partition(&[vec![2]]).unwrap();
    s.set(2, "x", "from-n3").unwrap();
    s.set(0, "x", "from-n1").unwrap();
    s.run_until(1_000 * MS);
    assert!(s.violations().is_empty());
    // Healed, n3 takes 1@n1 because it arrived last: back from 1@n3 to the lower writer.
    s.heal();
    s.run_until(3_000 * MS);
    assert!(rules(&s).contains(&NO_OLDER_VERSION), "{:?}", s.violations());
}

#[test]
fn rumor_only_is_caught_by_the_convergence_check() {
    // Rumor mongering (push, feedback, counter k = 1) and the bug switching anti-entropy off.
    let o = with_bug(Bug::RumorOnly, Options { rumors: rumors_only(1).rumors, ..Options::default() });
    let cfg = ChaosConfig { seed: 0, nodes: 16, events: 0, faults: Vec::new(), bugs: o.bugs, traitors: 0 };
    let mut s = sim(0, 16, o);
    s.set(0, "x", "1").unwrap();
    s.run_until(5_000 * MS);
    assert!(s.informed("x") < 16, "this seed leaves a residue");
    let found = Gossip::finish(&mut s, &cfg).unwrap();
    assert_eq!(found.iter().map(|v| v.rule).collect::<Vec<_>>(), [CONVERGENCE], "{found:?}");
    // Without the bug the same run converges.
    let mut s = sim(0, 16, Options { rumors: rumors_only(1).rumors, ..Options::default() });
    s.set(0, "x", "1").unwrap();
    s.run_until(5_000 * MS);
    assert!(Gossip::finish(&mut s, &cfg).unwrap().is_empty());
}

#[test]
fn no_tombstone_is_caught_when_the_deleted_value_comes_back() {
    let mut s = sim(3, 3, with_bug(Bug::NoTombstone, Options::default()));
    s.set(0, "x", "old").unwrap();
    s.run_until(2_000 * MS);
    s.delete(0, "x").unwrap();
    assert!(s.store(0).get("x").is_none(), "removed, no certificate");
    s.run_until(4_000 * MS);
    assert_eq!(s.get(0, "x"), Some("old"), "anti-entropy brought it back");
    assert!(rules(&s).contains(&DELETED_STAYS_DELETED), "{:?}", s.violations());
}

// ---- randomized runs ----

fn check(seeds: std::ops::Range<u64>, bugs: BugSet) -> Vec<u64> {
    seeds
        .filter(|&seed| {
            let cfg = ChaosConfig { seed, nodes: 5, events: 10_000, faults: Fault::ALL.to_vec(), bugs, traitors: 0 };
            !chaos::run::<Gossip>(&cfg).unwrap().1.violations.is_empty()
        })
        .collect()
}

#[test]
fn check_over_300_seeds_finds_no_violation_without_a_bug() {
    assert_eq!(check(0..300, BugSet::NONE), Vec::<u64>::new());
}

#[test]
fn check_finds_every_bug_within_50_seeds() {
    for bug in Bug::ALL {
        let failing = check(0..50, BugSet::NONE.with(bug, true));
        assert!(!failing.is_empty(), "{} not found", bug.name());
    }
}

#[test]
fn a_seed_replays_identically() {
    let cfg = ChaosConfig { seed: 11, nodes: 5, events: 5_000, faults: Fault::ALL.to_vec(), bugs: BugSet::NONE, traitors: 0 };
    let (a, ra) = chaos::run::<Gossip>(&cfg).unwrap();
    let (b, rb) = chaos::run::<Gossip>(&cfg).unwrap();
    assert_eq!((ra.events, ra.time_us, ra.committed), (rb.events, rb.time_us, rb.committed));
    for i in 0..5 {
        assert_eq!(a.store(i), b.store(i));
    }
}

/// Demers' states per update (§1): susceptible (does not hold it), infective (hot rumor),
/// removed (holds it, lost interest); crashed agents apart. What the JS `agentStates` returns.
#[test]
fn agent_states_are_demers_susceptible_infective_removed_and_crashed() {
    let options = Options { interval_us: 1_000 * MS, rumors: Some(Rumors { interval_us: 20 * MS, ..Rumors::default() }), ..Options::default() };
    let mut s = sim(3, 50, options);
    s.set(0, "x", "v").unwrap();
    let st = s.agent_states("x");
    assert_eq!(st[0], AgentState::Infective);
    assert!(st[1..].iter().all(|&a| a == AgentState::Susceptible));
    s.crash(7).unwrap();
    s.run_until(5_000 * MS);
    let st = s.agent_states("x");
    assert_eq!(st[7], AgentState::Crashed);
    assert!(st.iter().enumerate().all(|(i, &a)| i == 7 || a == AgentState::Removed), "{st:?}");
    assert_eq!(s.informed("x"), 49);
    assert!(s.agent_states("never").iter().all(|&a| a == AgentState::Susceptible || a == AgentState::Crashed));
}

/// A write "at a random agent" draws from the simulation's seeded RNG: same seed, same agent
/// and the same run after it; crashed and paused agents are never drawn.
#[test]
fn a_random_running_agent_is_drawn_from_the_seed_and_runs() {
    let draw = |seed| {
        let mut s = sim(seed, 100, Options::default());
        let picks: Vec<usize> = (0..5).map(|_| s.random_running_agent().unwrap()).collect();
        s.run_until(300 * MS);
        (picks, s.stats().messages_sent)
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1).0, draw(2).0);
    let mut s = sim(1, 3, Options::default());
    s.crash(0).unwrap();
    s.pause(2).unwrap();
    assert!((0..20).all(|_| s.random_running_agent() == Some(1)));
    s.crash(1).unwrap();
    assert_eq!(s.random_running_agent(), None);
}
