//! How many messages OM(m) sends: measured from a run beside the closed form
//! (N − 1) + (N − 1)(N − 2) + … + (N − 1)(N − 2)…(N − m − 1), the paper's O(N^(m+1)) (§3:
//! "the algorithm OM(m) … requires sending a number of messages exponential in m").

use super::node::{om_messages, Order};
use super::sim::{Generals, Options};
use crate::error::Result;
use crate::protocol::Micros;
use crate::sim::{SimConfig, Simulation};

const MS: Micros = 1_000;

/// The messages of one decision of OM(m) with N generals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageCount {
    /// N.
    pub nodes: usize,
    /// m.
    pub m: usize,
    /// Messages sent in a run without faults or traitors (the simulator's count).
    pub measured: u64,
    /// (N − 1) + (N − 1)(N − 2) + … with m + 1 terms.
    pub closed_form: u64,
}

/// The closed form: (N − 1) + (N − 1)(N − 2) + … with m + 1 terms.
pub fn closed_form(nodes: usize, m: usize) -> u64 {
    om_messages(nodes, m)
}

/// Runs one decision of OM(`m`) with `nodes` loyal generals on a network without faults
/// (latency 10–15 ms, rounds of 50 ms) and counts every message sent, beside the closed form.
/// Errors: settings [`Options::validate`] refuses (m above N − 2, or a run too large).
pub fn message_count(nodes: usize, m: usize) -> Result<MessageCount> {
    let config = SimConfig { seed: 1, nodes, latency_us: (10 * MS, 15 * MS), ..SimConfig::default() };
    let options = Options { m: Some(m), first_order: Some(Order::Attack), ..Options::default() };
    let mut sim = Simulation::<Generals>::new(config, options)?;
    let end = sim.run_end(0);
    sim.run_until(end);
    Ok(MessageCount { nodes, m, measured: sim.stats().messages_sent, closed_form: closed_form(nodes, m) })
}
