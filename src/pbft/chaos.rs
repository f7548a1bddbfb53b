//! What PBFT adds to the simulator's randomized runs ([`crate::sim::chaos`]): the options each
//! seed draws, and extra requests to the primary.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::node::{faults, quorum, Options, Phase};
use super::sim::Pbft;
use crate::error::Result;
use crate::sim::chaos::{Chaos, ChaosConfig, Moment};
use crate::sim::Simulation;

/// The options a randomized run of PBFT uses for `cfg`, drawn from `rng`: `cfg.bugs`; a
/// checkpoint every 2–10 requests; the view-change timeout 150–400 ms.
pub fn options(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Options {
    Options { checkpoint_interval: rng.random_range(2..=10), view_change_us: rng.random_range(150..=400) * 1_000, bugs: cfg.bugs }
}

impl Chaos for Pbft {
    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<Pbft>> {
        Simulation::<Pbft>::new(cfg.sim_config(), options(cfg, rng))
    }

    /// The request goes to the primary of the highest view; when no replica is a primary in
    /// normal operation (it crashed, or a view change is under way), a client sends it to
    /// every replica (§4.1).
    fn command(sim: &mut Simulation<Pbft>, command: String) -> Result<()> {
        if sim.leader().is_some() {
            sim.client_request(command, None).map(|_| ())
        } else {
            sim.broadcast_request(command);
            Ok(())
        }
    }

    /// With a traitor in the run (its lies are what the moments are for):
    /// - `Depose` an honest primary while a traitor waits for its turn (depose it as it takes
    ///   over: the view change that follows makes the next replica primary, §4.4, until the
    ///   traitor's view comes and its lies are tested);
    /// - `Watch` a traitor that is the primary in normal operation (its pre-prepares are its
    ///   lies: they are tested only when every honest backup takes part, since the quorum of
    ///   2f + 1 needs them all with f = 1 at N = 4);
    /// - `Unreplicated` an honest replica that has just become committed-local at a sequence
    ///   number that fewer than a quorum of replicas hold prepared (§4.2: a commit certificate
    ///   stands for 2f + 1 prepared replicas, of which f + 1 honest carry it through a view
    ///   change, §4.4; one that rests on fewer, a traitor's word for instance, is what the next
    ///   view change must not lose): cut it off or crash it, so that the others change views
    ///   without it.
    /// - `Unreplicated` its primary too when fewer than f + 1 honest replicas hold that
    ///   sequence number prepared (the commit rests on a traitor's word: the `count-messages`
    ///   bug counting a traitor's repeated commit, say): the primary, which holds the
    ///   pre-prepare, goes down or is cut off as well, so it cannot re-send it and the others
    ///   change views before they prepare it.
    fn moments(sim: &Simulation<Pbft>, out: &mut Vec<Moment>) {
        let n = sim.ids().len();
        if !(0..n).any(|i| sim.byzantine(i).is_some()) {
            return;
        }
        let q = quorum(n);
        for i in (0..n).filter(|&i| !sim.is_crashed(i)) {
            let r = &sim.node_state(i).core;
            if sim.byzantine(i).is_some() {
                if r.is_primary() {
                    out.push(Moment::Watch(i));
                }
                continue;
            }
            if r.is_primary() {
                out.push(Moment::Depose(i));
            }
            // Per committed-local sequence number: the replicas that hold it prepared, and the
            // honest ones among them.
            let (mut thin, mut lone) = (false, false);
            for s in r.log().iter().filter(|(_, e)| e.committed).map(|(s, _)| *s) {
                let (all, honest) = (0..n).filter(|&j| sim.node_state(j).core.phase(s) >= Phase::Prepared).fold((0, 0), |(a, h), j| (a + 1, h + usize::from(sim.byzantine(j).is_none())));
                thin |= all < q;
                lone |= honest <= faults(n);
            }
            if thin {
                out.push(Moment::Unreplicated(i));
            }
            // Fewer than f + 1 honest replicas hold it prepared (only a traitor's word, §4.4):
            // its primary, which holds the pre-prepare, is a leader with an entry only a
            // minority has; down or cut off too, it cannot re-send its pre-prepare, and the
            // others change views before they prepare it.
            let p = r.primary_of(r.view());
            if lone && p != i && sim.byzantine(p).is_none() {
                out.push(Moment::Unreplicated(p));
            }
        }
    }
}
