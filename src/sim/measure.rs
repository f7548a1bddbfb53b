//! Measurements any mechanism can take part in: messages per decided command.

use super::chaos::Chaos;
use super::{Micros, Simulation};

const MS: Micros = 1_000;

/// Messages per decided command, measured (README "Messages per decision").
#[derive(Clone, Debug, PartialEq)]
pub struct MessagesPerDecision {
    /// Cluster size.
    pub nodes: usize,
    /// Whether the leader crashed halfway through the measured window.
    pub leader_change: bool,
    /// Commands sent during the window.
    pub commands: u64,
    /// Values decided cluster-wide during the window and the settling second after it (the
    /// checker's count: a slot, an index or a proposal counts once however many nodes learn it).
    pub decided: u64,
    /// Messages sent during the window and the settling second, every kind.
    pub messages: u64,
}

impl MessagesPerDecision {
    /// Messages per decided value.
    pub fn per_decision(&self) -> f64 {
        self.messages as f64 / self.decided.max(1) as f64
    }
}

/// The messages-per-write workload for any mechanism: after 2 simulated seconds of
/// settling, one command every 10 ms for 10 s through [`Chaos::command`] (to the leader, or as
/// the mechanism takes commands), then 1 s more; with `leader_change` the leader (if any)
/// crashes at 5 s. Counts every message sent from the start of the window to the end.
pub fn messages_per_decision<P: Chaos>(mut s: Simulation<P>, leader_change: bool) -> MessagesPerDecision {
    s.run_until(2_000 * MS);
    let (sent0, decided0) = (s.stats().messages_sent, s.stats().committed);
    let start = s.now();
    let mut k = 0u64;
    while s.now() < start + 10_000 * MS {
        if leader_change && k == 500 {
            if let Some(l) = s.leader() {
                let _ = s.crash(l);
            }
        }
        let _ = P::command(&mut s, format!("\"w{k}\""));
        k += 1;
        s.run_until(s.now() + 10 * MS);
    }
    s.run_until(s.now() + 1_000 * MS);
    MessagesPerDecision {
        nodes: s.ids().len(),
        leader_change,
        commands: k,
        decided: s.stats().committed - decided0,
        messages: s.stats().messages_sent - sent0,
    }
}
