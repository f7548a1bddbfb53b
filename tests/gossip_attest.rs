//! Collective validation on gossip (issue #13 §6, `gossip::attest`): claims travel with their
//! attestations; an agent decides at k agreeing admitted attestations; liars and a Sybil
//! against the threshold and identity admission.

use consensus_playground::gossip::attest::{run, Attestations};
use consensus_playground::gossip::{GossipSimulation, Options};
use consensus_playground::protocol::Byzantine;
use consensus_playground::sim::SimConfig;

fn sim(n: usize, a: Attestations) -> GossipSimulation {
    let config = SimConfig { seed: 3, nodes: n, ..SimConfig::default() };
    GossipSimulation::new(config, Options { attestations: Some(a), ..Options::default() }).unwrap()
}

#[test]
fn honest_agents_with_perfect_checks_accept_a_true_claim_and_reject_a_false_one_and_keep_their_verdicts() {
    let mut s = sim(20, Attestations { k: 3, accuracy: 1.0, ..Attestations::default() });
    s.publish_claim(0, "t", true).unwrap();
    s.publish_claim(5, "f", false).unwrap();
    s.run_until(3_000_000);
    let (t, f) = (s.tally("t"), s.tally("f"));
    assert_eq!((t.accepted, t.rejected, t.undecided), (20, 0, 0));
    assert_eq!((f.accepted, f.rejected, f.undecided), (0, 20, 0));
    let before: Vec<_> = (0..20).map(|i| s.verdict(i, "t")).collect();
    s.run_until(6_000_000);
    assert_eq!(before, (0..20).map(|i| s.verdict(i, "t")).collect::<Vec<_>>(), "a verdict never changes");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn one_sybil_minting_k_identities_passes_a_false_claim_unless_only_members_attest() {
    let a = Attestations { k: 5, accuracy: 1.0, sybils: 20, members_only: false };
    let open = run(30, 1, "sybil", a, false, 1).unwrap();
    assert!(open.complete);
    assert_eq!(open.tally.accepted, 29, "every honest agent accepts the false claim: {open:?}");
    // Fewer minted identities than honest agents: the early deciders still fall for it (they
    // hold the Sybil's k attestations before k honest ones).
    let few = run(30, 1, "sybil", Attestations { sybils: 4, ..a }, false, 1).unwrap();
    assert!(few.tally.accepted > 0, "{few:?}");
    let admitted = run(30, 1, "sybil", Attestations { members_only: true, ..a }, false, 1).unwrap();
    assert_eq!((admitted.tally.accepted, admitted.tally.rejected), (0, 29), "{admitted:?}");
}

#[test]
fn a_higher_threshold_costs_latency_and_buys_safety_against_liars() {
    let mean = |k: usize| {
        let runs: Vec<_> = (0..8).map(|seed| run(60, 12, "lie", Attestations { k, ..Attestations::default() }, false, seed).unwrap()).collect();
        let wrong = runs.iter().map(|r| r.wrong(false)).sum::<f64>() / 8.0;
        let ms = runs.iter().map(|r| r.tally.last_at as f64).sum::<f64>() / 8.0;
        (wrong, ms)
    };
    let (wrong1, ms1) = mean(1);
    let (wrong9, ms9) = mean(9);
    assert!(wrong1 > 0.03, "k = 1: a few attestations decide, liars' among them ({wrong1})");
    assert!(wrong9 < wrong1 / 4.0, "k = 9: {wrong9} vs k = 1: {wrong1}");
    assert!(ms9 > ms1, "k = 9 decides later ({ms9} µs) than k = 1 ({ms1} µs)");
}

#[test]
fn bad_settings_are_errors_naming_the_parameter() {
    let config = SimConfig { nodes: 5, ..SimConfig::default() };
    let bad = |a: Attestations| GossipSimulation::new(config.clone(), Options { attestations: Some(a), ..Options::default() }).unwrap_err().to_string();
    assert!(bad(Attestations { k: 0, ..Attestations::default() }).contains("attestations.k"));
    assert!(bad(Attestations { accuracy: 1.5, ..Attestations::default() }).contains("attestations.accuracy"));
    let mut s = GossipSimulation::new(config, Options::default()).unwrap();
    assert!(s.publish_claim(0, "c", true).unwrap_err().to_string().contains("attestations"));
    let mut s = sim(5, Attestations::default());
    assert!(s.publish_claim(0, "a/b", true).unwrap_err().to_string().contains("id"));
    assert!(run(5, 5, "lie", Attestations::default(), false, 1).unwrap_err().to_string().contains("liars"));
    assert!(run(5, 1, "silent", Attestations::default(), false, 1).unwrap_err().to_string().contains("behaviour"));
    // A traitor is set through the simulator's machinery, by the protocol's behaviour names.
    s.set_byzantine(1, Some(Byzantine::Lie(1))).unwrap();
    assert_eq!(s.byzantine_name(1), Some("sybil"));
}
