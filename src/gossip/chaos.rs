//! What gossip adds to the simulator's randomized runs ([`crate::sim::chaos`]): the settings
//! each seed draws, extra writes and deletes, and the convergence check at the end.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::check::{convergence_bound_rounds, CONVERGENCE};
use super::node::{Exchange, Interest, Options, Rumors};
use super::sim::Gossip;
use crate::error::Result;
use crate::protocol::{node_name, Micros, Violation};
use crate::sim::chaos::{Chaos, ChaosConfig};
use crate::sim::Simulation;

const MS: Micros = 1_000;

/// The gossip options a randomized run of `cfg` uses, drawn from `rng`, with `cfg.bugs` on.
///
/// Each seed draws the exchange (push, pull, push-pull, a third each), the fanout (1 to 3),
/// anti-entropy's interval (50 to 500 ms), the entries per exchange (unbounded half the time,
/// else 1 to 3), rumor mongering half the time (a round every 10 to 50 ms; push 70%, pull
/// 30%; feedback or blind; counter or coin; k from 1 to 4) with anti-entropy beneath it,
/// death certificates living 0.5 to 60 s, and whether a crash keeps the map (half the time).
pub fn options(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Options {
    let exchange = Exchange::ALL[rng.random_range(0..3)];
    let fanout = rng.random_range(1..=3);
    let interval_us = rng.random_range(50..=500) * MS;
    let entries_per_exchange = if rng.random_range(0..2) == 0 { None } else { Some(rng.random_range(1..=3)) };
    let rumors = (rng.random_range(0..2) == 0).then(|| Rumors {
        interval_us: rng.random_range(10..=50) * MS,
        pull: rng.random_range(0..10) < 3,
        feedback: rng.random_range(0..2) == 0,
        interest: if rng.random_range(0..2) == 0 { Interest::Counter } else { Interest::Coin },
        k: rng.random_range(1..=4),
        consecutive: false,
        judged_at_round_start: false,
    });
    let death_certificate_us = rng.random_range(500..=60_000) * MS;
    let keep_state = rng.random_range(0..2) == 0;
    Options { exchange, fanout, interval_us, entries_per_exchange, anti_entropy: true, rumors, death_certificate_us, keep_state, synchronous: false, attestations: None, bugs: cfg.bugs }
}

impl Chaos for Gossip {
    /// Gossip is eventually consistent: agents answer from their own replicas, so the clients'
    /// histories are not linearizable and are not checked as if they were. Convergence is
    /// checked instead ([`Chaos::finish`]).
    const LINEARIZABLE: bool = false;

    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<Gossip>> {
        Simulation::<Gossip>::new(cfg.sim_config(), options(cfg, rng))
    }

    /// Writes the command (a JSON string such as `"c7"`, its quotes dropped) as the value of a
    /// key among `x`, `y`, `z` at an agent — or, one time in four, deletes the key there — all
    /// picked by the command's hash. A crashed or paused agent writes nothing.
    fn command(sim: &mut Simulation<Gossip>, command: String) -> Result<()> {
        let h = crate::hash::fnv1a_str(&command);
        let n = sim.ids().len();
        let at = (h % n as u64) as usize;
        let key = ["x", "y", "z"][((h >> 32) % 3) as usize];
        if sim.is_crashed(at) || sim.is_paused(at) {
            return Ok(());
        }
        if (h >> 48) % 4 == 0 {
            sim.delete(at, key).map(|_| ())
        } else {
            sim.set(at, key, command.trim_matches('"')).map(|_| ())
        }
    }

    /// Convergence: the clients stop, every fault is undone (network healed, loss off, crashed
    /// agents restarted, paused ones resumed), two seconds pass for the clients' last retries,
    /// then the population runs [`convergence_bound_rounds`] rounds (of anti-entropy's
    /// interval; of the rumor interval when only rumors run); every live agent must then hold
    /// the same versions. When a death certificate expires inside that window the window starts
    /// again at its expiry (an old value the certificate had not yet displaced may spread
    /// again, §2.1), as often as needed.
    fn finish(sim: &mut Simulation<Gossip>, _cfg: &ChaosConfig) -> Result<Vec<Violation>> {
        sim.stop_clients();
        sim.undo_faults()?;
        sim.run_until(sim.now() + 2_000 * MS);
        let o = sim.options().clone();
        let n = sim.ids().len();
        let round = if o.runs_anti_entropy() { o.interval_us } else { o.rumor_settings().map_or(o.interval_us, |r| r.interval_us) };
        let now = sim.now();
        let mut keys: Vec<&str> = Vec::new();
        let mut expiries: Vec<Micros> = Vec::new();
        for i in 0..n {
            for (k, e) in sim.store(i).iter() {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
                if e.value.is_none() && !e.expired(now) && !expiries.contains(&e.expires_us) {
                    expiries.push(e.expires_us);
                }
            }
        }
        let rounds = convergence_bound_rounds(n, keys.len(), o.entries_per_exchange);
        // A certificate that expires inside the window may let an old value it had not yet
        // displaced spread again (§2.1): the window then starts at that expiry.
        let mut start = now;
        while let Some(e) = expiries.iter().copied().filter(|&e| e > start && e <= start + rounds * round).max() {
            start = e;
        }
        sim.run_until(start + rounds * round);
        Ok(match sim.divergence() {
            None => Vec::new(),
            Some((a, b, key)) => {
                let show = |i: usize| sim.store(i).get(key.as_str()).filter(|e| !e.expired(sim.now())).map_or("nothing".to_string(), |e| {
                    format!("{} at {}", e.value.as_deref().map_or("a death certificate".to_string(), |v| format!("\"{v}\"")), e.version.text())
                });
                let detail = format!(
                    "{rounds} rounds after writes stopped and faults were undone, {} holds {key} as {} and {} as {}",
                    node_name(a),
                    show(a),
                    node_name(b),
                    show(b)
                );
                vec![Violation { rule: CONVERGENCE, nodes: vec![node_name(a), node_name(b)], time_us: sim.now(), detail, index: None }]
            }
        })
    }
}
