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
        let Some(b) = s.step_brief_until(limit) else { break };
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
    /// The mean round in which an agent that heard the update first took it (Demers' t_ave;
    /// the writer left out), in rumor intervals: an agent informed during `[r·I, (r+1)·I)`
    /// counts r.
    pub t_ave: f64,
    /// The round in which the last agent to hear it took it (Demers' t_last).
    pub t_last: u64,
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
    let mut has = vec![false; n];
    has[0] = true;
    let (mut infective, mut rumor_messages, mut died) = (1usize, 0u64, 0);
    let (mut heard, mut sum_rounds, mut t_last) = (0u64, 0u64, 0u64);
    let interval = rumors.interval_us.max(1);
    // The rumor has died out when no agent is infective and no message is in flight.
    while infective > 0 || s.in_flight().next().is_some() {
        let Some(b) = s.step_brief() else { break };
        if b.kind == "deliver" && b.message.is_some_and(|m| m.0 == "Rumor") {
            rumor_messages += 1;
        }
        if let Some(i) = b.node {
            if !has[i] && s.store(i).contains_key(KEY) {
                has[i] = true;
                heard += 1;
                sum_rounds += s.now() / interval;
                t_last = s.now() / interval;
            }
            if hot[i] != s.is_hot(i, KEY) {
                hot[i] = !hot[i];
                if hot[i] { infective += 1 } else { infective -= 1 }
                died = s.now();
            }
        }
    }
    let informed = (0..n).filter(|&i| s.store(i).contains_key(KEY)).count();
    Ok(Residue {
        n,
        residue: (n - informed) as f64 / n as f64,
        traffic: rumor_messages as f64 / n as f64,
        rounds: died.div_ceil(interval),
        t_ave: sum_rounds as f64 / heard.max(1) as f64,
        t_last,
    })
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

/// The fraction of live agents that hold one update after each round, as theory predicts it
/// for synchronous anti-entropy rounds (a mean-field recursion on the expected counts, the
/// form of Demers et al. §1.3's and Pittel's analyses): element `r` is after round `r`
/// (element 0: only the writer). `n` agents of which the fraction `live` run (crashed ones
/// answer nothing), each contacting `fanout` peers per round among the `n − 1` others; each
/// message is lost with probability `loss`. Our exchanges open with a digest, so a push needs
/// three messages to arrive (digest, want, entries) and a pull two (digest, entries): a
/// susceptible agent stays so through a round with probability
/// `(1 − fanout·q_push/(n−1))^i · (1 − i·q_pull/(n−1))^fanout` for `i` informed agents,
/// `q_push = (1 − loss)³`, `q_pull = (1 − loss)²`, each term present only when the exchange
/// pushes, pulls.
///
/// Shapes: `rounds + 1` fractions in `[0, 1]`. A population of one is informed from the start.
pub fn theory_informed(n: usize, exchange: super::node::Exchange, fanout: usize, loss: f64, live: f64, rounds: usize) -> Vec<f64> {
    use super::node::Exchange;
    let n = n.max(1) as f64;
    let m = (n * live.clamp(0.0, 1.0)).max(1.0);
    let others = (n - 1.0).max(1.0);
    let f = fanout.max(1) as f64;
    let q = 1.0 - loss.clamp(0.0, 1.0);
    let (push, pull) = (exchange != Exchange::Pull, exchange != Exchange::Push);
    let mut i = 1.0f64;
    let mut out = Vec::with_capacity(rounds + 1);
    out.push(i / m);
    for _ in 0..rounds {
        let s = m - i;
        let mut stay = 1.0;
        if push {
            stay *= (1.0 - (f * q.powi(3) / others).min(1.0)).powf(i);
        }
        if pull {
            stay *= (1.0 - (i * q.powi(2) / others).min(1.0)).powf(f);
        }
        i = (m - s * stay).min(m);
        out.push(i / m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gossip::Exchange;

    /// Pittel: push needs about log₂ n + ln n rounds; the recursion's last-agent round (the
    /// expected susceptible count below one half) lands within a round or two of it.
    #[test]
    fn the_theory_curve_rises_to_one_at_pittels_pace_for_push_and_faster_for_push_pull() {
        let rounds_to_all = |e: Exchange| theory_informed(10_000, e, 1, 0.0, 1.0, 60).iter().position(|&x| (1.0 - x) * 10_000.0 < 0.5).unwrap();
        let push = rounds_to_all(Exchange::Push) as f64;
        let pittel = 10_000f64.log2() + 10_000f64.ln();
        assert!((push - pittel).abs() <= 2.0, "push {push} vs {pittel}");
        assert!(rounds_to_all(Exchange::PushPull) < rounds_to_all(Exchange::Pull));
        assert!(rounds_to_all(Exchange::PushPull) + 5 < rounds_to_all(Exchange::Push));
        // Loss slows it; with half the agents crashed the live half is still reached.
        assert!(theory_informed(1000, Exchange::Push, 1, 0.3, 1.0, 10)[10] < theory_informed(1000, Exchange::Push, 1, 0.0, 1.0, 10)[10]);
        assert!(theory_informed(1000, Exchange::PushPull, 2, 0.0, 0.5, 40)[40] > 0.999);
    }

    #[test]
    fn demers_residue_solves_his_equation() {
        for (k, s) in [(1, 0.203), (2, 0.0595), (3, 0.0198)] {
            assert!((demers_residue(k) - s).abs() < 0.001, "k = {k}: {}", demers_residue(k));
        }
    }
}
