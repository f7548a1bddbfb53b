//! What HotStuff adds to the simulator's randomized runs ([`crate::sim::chaos`]): the options
//! each seed draws, extra commands, and the moment the nemesis aims at.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::sim::{HotStuff, Options};
use crate::error::Result;
use crate::sim::chaos::{Chaos, ChaosConfig, Moment};
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

    /// A replica that has just voted for view v's block and leads view v + 1, so that it
    /// counts its own vote with the others' still to come (§5: votes go to the next view's
    /// leader): reboot it ([`Moment::Promised`]). Its vote must survive (`vheight`, §4.3); the
    /// count it began is lost, so no QC of view v forms in time and view v + 1 times out. The
    /// replicas then re-send their votes for v's block with their NewViews to the leader of
    /// v + 2, which proposes on the older QC the NewViews carry if a quorum of them comes
    /// before the votes do, and certifies v's block just after: two blocks at one height
    /// certified in different views. With the collectors of every other view failing so, each
    /// branch grows a chain of direct parents from views that are not consecutive, which only
    /// the decide rule's consecutive views keep from committing (the `any-view-chain` bug).
    fn moments(sim: &Simulation<HotStuff>, out: &mut Vec<Moment>) {
        let opts = &sim.protocol().options;
        for i in 0..sim.ids().len() {
            if !sim.is_crashed(i) && !sim.is_paused(i) && sim.node(i).counts_own_vote(opts) {
                out.push(Moment::Promised(i));
            }
        }
    }
}
