//! What Paxos adds to the simulator's randomized runs ([`crate::sim::chaos`]): the options each
//! seed draws, and extra commands to the leader.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::sim::{Options, Paxos};
use super::Slot;
use crate::error::Result;
use crate::sim::chaos::{Chaos, ChaosConfig, Moment};
use crate::sim::{chance, Simulation};

/// The options a randomized run of Paxos uses for `cfg`, drawn from `rng`: `cfg.bugs`; backoff
/// on in 9 seeds of 10 (off, dueling proposers may livelock: safe but slow); the heartbeat
/// 20–80 ms; the follower's timer 3–6 heartbeats; the longest backoff 50–300 ms.
pub fn options(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Options {
    let heartbeat_us = rng.random_range(20..=80) * 1_000;
    Options {
        heartbeat_us,
        leader_timeout_us: heartbeat_us * rng.random_range(3..=6),
        backoff: chance(rng, 0.9),
        backoff_us: rng.random_range(50..=300) * 1_000,
        bugs: cfg.bugs,
    }
}

impl Chaos for Paxos {
    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<Paxos>> {
        Simulation::<Paxos>::new(cfg.sim_config(), options(cfg, rng))
    }

    /// The command goes to the leader (refused, not an error, when none leads).
    fn command(sim: &mut Simulation<Paxos>, command: String) -> Result<()> {
        sim.client_request(command, None).map(|_| ())
    }

    /// An acceptor holding a promise or an accepted value that no chosen value covers yet
    /// (reboot it: both must survive a crash, Paxos Made Simple §2.3); a leader with proposals
    /// not yet chosen (crash it: the next leader must find them in phase 1); any leader (leave
    /// it a minority).
    fn moments(sim: &Simulation<Paxos>, out: &mut Vec<Moment>) {
        for i in 0..sim.ids().len() {
            if sim.is_crashed(i) {
                continue;
            }
            let n = &sim.node_state(i).core;
            // (only the slots past those executed: the maps keep every slot, and this runs after
            // every event of an aiming run)
            let open = |slots: &mut dyn Iterator<Item = &Slot>| slots.take_while(|&&s| s > n.executed()).any(|s| !n.chosen().contains_key(s));
            if n.role() == super::node::Role::Leader {
                out.push(Moment::Leads(i));
                if open(&mut n.proposals().iter().rev().map(|(s, _)| s)) {
                    out.push(Moment::Unreplicated(i));
                }
            } else if open(&mut n.accepted().iter().rev().map(|(s, _)| s)) || (n.leader().is_none() && n.promised() > n.ballot()) {
                out.push(Moment::Promised(i));
            }
        }
    }
}
