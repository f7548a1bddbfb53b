//! What HotStuff adds to the simulator's randomized runs ([`crate::sim::chaos`]): the options
//! each seed draws, and extra commands.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::sim::{HotStuff, Options};
use crate::error::Result;
use crate::sim::chaos::{Chaos, ChaosConfig};
use crate::sim::Simulation;

/// The options a randomized run of HotStuff uses for `cfg`, drawn from `rng`: `cfg.bugs`; the
/// pacemaker's base view timeout 60–200 ms.
pub fn options(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Options {
    Options { view_timeout_us: rng.random_range(60..=200) * 1_000, bugs: cfg.bugs }
}

impl Chaos for HotStuff {
    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<HotStuff>> {
        Simulation::<HotStuff>::new(cfg.sim_config(), options(cfg, rng))
    }

    /// The command goes to the leader of the highest view (or, when none runs, to no one:
    /// refused, not an error).
    fn command(sim: &mut Simulation<HotStuff>, command: String) -> Result<()> {
        match sim.leader() {
            Some(l) if !sim.is_paused(l) => sim.submit(l, command),
            _ => Ok(()),
        }
    }
}
