//! What voting adds to the simulator's randomized runs ([`crate::sim::chaos`]): the settings
//! each seed draws, and extra proposals.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::node::{Options, Policy};
use super::quorum::Quorum;
use super::sim::Vote;
use crate::error::Result;
use crate::sim::chaos::{Chaos, ChaosConfig};
use crate::sim::Simulation;

/// The voting options a randomized run of `cfg` uses, drawn from `rng`, with `cfg.bugs` on.
///
/// Each seed draws the weights (all 1 40% of the time; one node weighing 2, the others 1, 30%, which
/// makes the total even in odd-sized clusters; else 1 to 3 each), the quorum rule
/// (majority 30%, a fraction 30% — 0.51, 0.6, 2/3, 0.75 or 0.9 —, supermajority 15%, a count
/// that makes quorums intersect 15%, unanimity 10%), the policy (approve half the time,
/// `{random: p}` with p from 0.5 to 1 40%, reject 10%) and the timeout (50 to 1000 ms).
/// Voters are exclusive and quorums intersect, so a run without bugs must find no violation.
pub fn options(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Options {
    let n = cfg.nodes;
    let weights: Vec<u64> = match rng.random_range(0..10) {
        0..=3 => Vec::new(),
        4..=6 => {
            let heavy = rng.random_range(0..n);
            (0..n).map(|i| if i == heavy { 2 } else { 1 }).collect()
        }
        _ => (0..n).map(|_| rng.random_range(1..=3)).collect(),
    };
    let total: u64 = (0..n).map(|i| weights.get(i).copied().unwrap_or(1)).sum();
    let quorum = match rng.random_range(0..100) {
        0..=29 => Quorum::Majority,
        30..=59 => {
            let (num, den) = [(51, 100), (3, 5), (2, 3), (3, 4), (9, 10)][rng.random_range(0..5)];
            Quorum::Fraction { num, den }
        }
        60..=74 => Quorum::Supermajority,
        75..=89 => Quorum::Count(rng.random_range(total / 2 + 1..=total)),
        _ => Quorum::Unanimous,
    };
    let policy = match rng.random_range(0..10) {
        0..=4 => Policy::Approve,
        5..=8 => Policy::Random(rng.random_range(0.5..=1.0)),
        _ => Policy::Reject,
    };
    let timeout_us = rng.random_range(50..=1000) * 1000;
    Options { quorum, weights, policy, policies: Vec::new(), exclusive: true, timeout_us, bugs: cfg.bugs }
}

impl Chaos for Vote {
    /// Voting settles each proposal on its own, with no total order of operations: its clients'
    /// histories are not linearizable, and are not checked as if they were.
    const LINEARIZABLE: bool = false;

    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<Vote>> {
        Simulation::<Vote>::new(cfg.sim_config(), options(cfg, rng))
    }

    /// Proposes the command (a JSON string such as `"c7"`, its quotes dropped) as the value of
    /// a key among `x`, `y`, `z`, at a node — both picked by the command's hash. A crashed or
    /// paused node proposes nothing.
    fn command(sim: &mut Simulation<Vote>, command: String) -> Result<()> {
        let h = crate::hash::fnv1a_str(&command);
        let n = sim.ids().len();
        let at = (h % n as u64) as usize;
        let key = ["x", "y", "z"][((h >> 32) % 3) as usize];
        if sim.is_crashed(at) || sim.is_paused(at) {
            return Ok(());
        }
        sim.propose(at, key, command.trim_matches('"')).map(|_| ())
    }
}
