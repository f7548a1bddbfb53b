//! Gossip's experiments against the published results (README "Gossip: fidelity"), on small
//! seed budgets: Pittel's pace for push, push-pull markedly faster (Karp et al. 2000), Demers'
//! residue equation, and his Table 1 with the counter read as he simulated it.

use consensus_playground::gossip::experiment::{demers_residue, residue, spread};
use consensus_playground::gossip::{Exchange, Interest, Options, Rumors};

const MS: u64 = 1_000;

fn mean_rounds(n: usize, exchange: Exchange, seeds: u64) -> f64 {
    let o = Options { exchange, synchronous: true, interval_us: 100 * MS, ..Options::default() };
    let runs: Vec<_> = (0..seeds).map(|s| spread(n, o.clone(), (MS, MS), s, 200).unwrap()).collect();
    assert!(runs.iter().all(|r| r.complete && r.informed == n));
    runs.iter().map(|r| r.rounds as f64).sum::<f64>() / seeds as f64
}

#[test]
fn push_follows_pittel_and_push_pull_needs_markedly_fewer_rounds() {
    let n = 1000;
    let push = mean_rounds(n, Exchange::Push, 20);
    let pittel = (n as f64).log2() + (n as f64).ln();
    assert!((push - pittel).abs() < 3.0, "push {push} rounds vs log2 n + ln n = {pittel}");
    let push_pull = mean_rounds(n, Exchange::PushPull, 20);
    assert!(push_pull + 5.0 < push, "push-pull {push_pull} vs push {push}");
    assert!(push_pull < mean_rounds(n, Exchange::Pull, 20));
}

fn rumors(feedback: bool, interest: Interest, k: u32, demers: bool) -> (f64, f64) {
    let r = Rumors { interval_us: 100 * MS, pull: false, feedback, interest, k, consecutive: demers, judged_at_round_start: demers };
    let runs: Vec<_> = (0..30).map(|s| residue(1000, r, true, (MS, MS), s).unwrap()).collect();
    let s = runs.iter().map(|r| r.residue).sum::<f64>() / 30.0;
    let m = runs.iter().map(|r| r.traffic).sum::<f64>() / 30.0;
    (s, m)
}

#[test]
fn feedback_rumors_leave_the_residue_demers_equation_predicts_and_s_is_e_to_the_minus_m() {
    let (s, m) = rumors(true, Interest::Counter, 1, false);
    assert!((s - demers_residue(1)).abs() < 0.03, "k = 1: s = {s}, equation {}", demers_residue(1));
    assert!((s - (-m).exp()).abs() < 0.03, "s = {s}, e^-m = {}", (-m).exp());
    let (s, m) = rumors(false, Interest::Coin, 2, false);
    assert!((s - (-m).exp()).abs() < 0.03, "blind coin k = 2: s = {s}, e^-m = {}", (-m).exp());
}

/// Demers et al., Table 1 (push, feedback, counter, 1000 sites), k = 2: residue 0.037,
/// traffic 3.30. Counting every unnecessary contact gives 0.06 and 2.8; the consecutive
/// counter judged at the round's start gives the table's.
#[test]
fn the_consecutive_counter_judged_at_the_rounds_start_reproduces_demers_table_1() {
    let (s, m) = rumors(true, Interest::Counter, 2, true);
    assert!((s - 0.037).abs() < 0.01 && (m - 3.30).abs() < 0.1, "s = {s}, m = {m}");
    let (s, m) = rumors(true, Interest::Counter, 2, false);
    assert!(s > 0.05 && m < 3.0, "s = {s}, m = {m}");
}
