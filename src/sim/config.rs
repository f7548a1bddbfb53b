//! Simulation settings and their validation.

use crate::error::{Error, Result};
pub use crate::protocol::Micros;

/// The most nodes a simulation may have (the page draws them on one ring; 16 still fit on it
/// without overlapping). No bitset or fixed array depends on it: node sets are `Vec`s, maps,
/// or 64-bit masks with a spill-over list.
pub const MAX_NODES: usize = 16;
/// The longest latency, election timeout or heartbeat interval accepted, in µs (one hour).
pub const MAX_DURATION_US: Micros = 3_600_000_000;

/// The simulator's settings, the same for every protocol. Durations are µs here; the JS
/// boundary takes ms. A protocol's own settings (timeouts, switches) are the protocol's.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Seed of the simulation's RNG: the only source of randomness.
    pub seed: u64,
    /// Number of nodes, ids `n1` … `nN`; 1 ..= [`MAX_NODES`].
    pub nodes: usize,
    /// One-way message latency, drawn uniformly from `[lo, hi]` µs per message.
    pub latency_us: (Micros, Micros),
    /// Probability that the network loses a message, in `[0, 1]`.
    pub drop_rate: f64,
    /// Probability that the network delivers a message twice, in `[0, 1]`.
    pub duplicate_rate: f64,
    /// Stable-storage write time, µs: after a protocol writes its persistent state
    /// ([`crate::protocol::Effect::Persist`]), the messages it sends in the same handler leave
    /// this much later. 0 by default.
    pub persist_us: Micros,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { seed: 7, nodes: 5, latency_us: (10_000, 15_000), drop_rate: 0.0, duplicate_rate: 0.0, persist_us: 0 }
    }
}

/// `latencyMs`-style range check: `[lo, hi]`, `lo >= min_lo`, `hi` at most an hour.
pub fn range(param: &str, (lo, hi): (Micros, Micros), min_lo: Micros) -> Result<()> {
    if lo < min_lo {
        return Err(Error::invalid(format!("{param}[0]"), if min_lo == 0 { "must be at least 0 ms".into() } else { format!("must be at least {min_lo} µs") }));
    }
    if lo > hi {
        return Err(Error::invalid(param, "must be [lo, hi] with lo <= hi"));
    }
    if hi > MAX_DURATION_US {
        return Err(Error::invalid(format!("{param}[1]"), "must be at most 3600000 ms"));
    }
    Ok(())
}

impl SimConfig {
    /// Checks every rule, `nodes` up to [`MAX_NODES`]; errors name the JS key (`latencyMs`, …)
    /// and the rule.
    pub fn validate(&self) -> Result<()> {
        self.validate_up_to(MAX_NODES)
    }

    /// [`validate`](Self::validate) for a protocol whose simulations may hold up to `max_nodes`
    /// nodes ([`crate::protocol::Protocol::MAX_NODES`]).
    pub fn validate_up_to(&self, max_nodes: usize) -> Result<()> {
        self.validate_nodes_up_to(max_nodes)?;
        range("latencyMs", self.latency_us, 0)?;
        self.validate_rates_and_persist()
    }

    /// `nodes` within 1 ..= [`MAX_NODES`].
    pub fn validate_nodes(&self) -> Result<()> {
        self.validate_nodes_up_to(MAX_NODES)
    }

    fn validate_nodes_up_to(&self, max_nodes: usize) -> Result<()> {
        if self.nodes == 0 || self.nodes > max_nodes {
            return Err(Error::invalid("nodes", format!("must be an integer from 1 to {max_nodes}")));
        }
        Ok(())
    }

    /// `dropRate`, `persistMs` and `duplicateRate`, in that order.
    pub fn validate_rates_and_persist(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.drop_rate) {
            return Err(Error::invalid("dropRate", "must be a number from 0 to 1"));
        }
        if self.persist_us > MAX_DURATION_US {
            return Err(Error::invalid("persistMs", "must be from 0 to 3600000 ms"));
        }
        if !(0.0..=1.0).contains(&self.duplicate_rate) {
            return Err(Error::invalid("duplicateRate", "must be a number from 0 to 1"));
        }
        Ok(())
    }
}
