//! What the generals add to the simulator's randomized runs ([`crate::sim::chaos`]): the
//! settings each seed draws, and extra runs started by the commander.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::node::Order;
use super::sim::{Generals, Options};
use crate::error::Result;
use crate::protocol::Micros;
use crate::sim::chaos::{Chaos, ChaosConfig};
use crate::sim::Simulation;

const MS: Micros = 1_000;

/// The options a randomized run of `cfg` uses, drawn from `rng`, with `cfg.bugs` on: the
/// commander (any general), his first order (attack or retreat, at time 0), m = ⌊(N − 1)/3⌋,
/// and a round of 50 ms or twice the longest latency, whichever is longer.
pub fn options(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Options {
    let commander = rng.random_range(0..cfg.nodes.max(1));
    let first_order = Some(if rng.random::<bool>() { Order::Attack } else { Order::Retreat });
    let round_us = (2 * cfg.sim_config().latency_us.1).max(50 * MS);
    Options { commander, m: None, round_us, first_order, bugs: cfg.bugs }
}

impl Chaos for Generals {
    /// The generals keep no key-value history: there is nothing to check for linearizability.
    const LINEARIZABLE: bool = false;

    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<Generals>> {
        Simulation::<Generals>::new(cfg.sim_config(), options(cfg, rng))
    }

    /// The commander starts a new run at the next round boundary, ordering attack or retreat
    /// by the command's hash. A crashed or paused commander starts nothing.
    fn command(sim: &mut Simulation<Generals>, command: String) -> Result<()> {
        let c = sim.commander();
        if sim.is_crashed(c) || sim.is_paused(c) {
            return Ok(());
        }
        let order = if crate::hash::fnv1a_str(&command) % 2 == 0 { Order::Attack } else { Order::Retreat };
        sim.start_run(order).map(|_| ())
    }
}
