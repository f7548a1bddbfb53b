//! Gossip's experiments, against the published results (`consensus-sim gossip`, README
//! "Gossip: fidelity"): how many rounds one update takes to reach every agent, and what rumor
//! mongering leaves behind for the traffic it costs.
//!
//! - [`spread`]: one update written at agent `n1` at time 0, spread by anti-entropy alone;
//!   the round in which the last agent took it. Pittel (1987): push needs
//!   `log₂ n + ln n + O(1)` rounds; Karp, Schindelhauer, Shenker & Vöcking (FOCS 2000):
//!   push-pull markedly fewer (`log₃ n + O(log log n)`).
//! - [`residue`]: one update spread by rumor mongering alone (no anti-entropy beneath it); the
//!   residue `s` (the fraction of agents that never hear it) and the traffic `m` (rumor
//!   messages per agent). Demers et al. (PODC 1987) §1.4: `s = e^(−m)`, and for push with
//!   feedback and counter `s = e^(−(k+1)(1−s))`.

use super::node::{Options, Rumors};
use super::sim::Gossip;
use crate::error::Result;
use crate::protocol::Micros;
use crate::sim::{SimConfig, Simulation};

/// The key every experiment writes.
const KEY: &str = "x";

/// What one spread of one update measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// Agents.
    pub n: usize,
    /// Whether every agent took the update before the time limit.
    pub complete: bool,
    /// Agents that took it (the writer counts).
    pub informed: usize,
    /// Rounds: the time the last agent took the update, in whole intervals (an agent informed
    /// during round r — in `[r·I, (r+1)·I)` — counts r; the write is at 0, round 1 starts at I).
    pub rounds: u64,
    /// When the last agent took it, µs.
    pub time_us: Micros,
    /// Events the simulator handled.
    pub events: u64,
    /// Messages sent, every kind.
    pub messages: u64,
}

/// Spreads one update written at `n1` at time 0 among `n` agents following `options`, with
/// one-way latency `latency_us` (a range, µs) and seed `seed`, until every agent holds it or
/// `max_rounds` intervals pass. Watches each event's node, so it costs O(1) per event.
///
/// Errors: `n` outside 1 ..= 10,000, or options that break a rule of [`Options::validate`].
pub fn spread(n: usize, options: Options, latency_us: (Micros, Micros), seed: u64, max_rounds: u64) -> Result<Spread> {
    let interval = options.interval_us;
    let config = SimConfig { seed, nodes: n, latency_us, ..SimConfig::default() };
    let mut s = Simulation::<Gossip>::new(config, options)?;
    s.set(0, KEY, "v")?;
    let mut has = vec![false; n];
    has[0] = true;
    let (mut informed, mut last) = (1usize, 0);
    let mut events = 0u64;
    let limit = interval.saturating_mul(max_rounds + 1);
    while informed < n {
        let Some(at) = s.next_event_at() else { break };
        if at > limit {
            break;
        }
        let Some(b) = s.step_brief() else { continue };
        events += 1;
        if let Some(i) = b.node {
            if !has[i] && s.store(i).contains_key(KEY) {
                has[i] = true;
                informed += 1;
                last = s.now();
            }
        }
    }
    Ok(Spread { n, complete: informed == n, informed, rounds: last / interval, time_us: last, events, messages: s.stats().messages_sent })
}

/// What rumor mongering left behind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Residue {
    /// Agents.
    pub n: usize,
    /// The fraction of agents that never took the update (Demers' s).
    pub residue: f64,
    /// Rumor messages sent per agent (Demers' m: `Rumor` messages, not acknowledgements).
    pub traffic: f64,
    /// Rounds until no agent was infective (the rumor died out), in rumor intervals.
    pub rounds: u64,
}

/// Spreads one update written at `n1` by rumor mongering alone (`rumors`, no anti-entropy),
/// among `n` agents, until no agent holds it as a hot rumor; with one-way latency `latency_us`
/// and seed `seed`. Counts the agents that never took it and the `Rumor` messages sent.
///
/// Errors: `n` outside 1 ..= 10,000, or settings that break a rule of [`Options::validate`].
pub fn residue(n: usize, rumors: Rumors, synchronous: bool, latency_us: (Micros, Micros), seed: u64) -> Result<Residue> {
    let options = Options { anti_entropy: false, rumors: Some(rumors), synchronous, ..Options::default() };
    let config = SimConfig { seed, nodes: n, latency_us, ..SimConfig::default() };
    let mut s = Simulation::<Gossip>::new(config, options)?;
    s.set(0, KEY, "v")?;
    let mut hot = vec![false; n];
    hot[0] = true;
    let (mut infective, mut rumor_messages, mut died) = (1usize, 0u64, 0);
    // The rumor has died out when no agent is infective and no message is in flight.
    while infective > 0 || s.in_flight().next().is_some() {
        let Some(b) = s.step_brief() else { break };
        if b.kind == "deliver" && b.message.is_some_and(|m| m.0 == "Rumor") {
            rumor_messages += 1;
        }
        if let Some(i) = b.node {
            if hot[i] != s.is_hot(i, KEY) {
                hot[i] = !hot[i];
                if hot[i] { infective += 1 } else { infective -= 1 }
                died = s.now();
            }
        }
    }
    let informed = (0..n).filter(|&i| s.store(i).contains_key(KEY)).count();
    Ok(Residue { n, residue: (n - informed) as f64 / n as f64, traffic: rumor_messages as f64 / n as f64, rounds: died.div_ceil(rumors.interval_us) })
}

/// Demers et al. §1.4's residue for push rumor mongering with feedback and counter k: the root
/// in (0, 1) of `s = e^(−(k+1)(1−s))`, by fixed-point iteration from 0 (it converges to the
/// smaller root; `s = 1` is always a root). About 0.203, 0.0595, 0.0198 for k = 1, 2, 3.
pub fn demers_residue(k: u32) -> f64 {
    let mut s = 0.0f64;
    for _ in 0..10_000 {
        s = (-(f64::from(k) + 1.0) * (1.0 - s)).exp();
    }
    s
}
