//! Gossip's invariants, checked after every simulator event on the agents it touched, and the
//! convergence rule, checked once writes stop and the live agents are connected.
//!
//! The checker knows every client write (each write is an [`crate::protocol::Effect::Decide`])
//! and keeps, per agent, the highest version it has held of each key (its *floor*; a delete
//! written at the agent counts, with the `no-tombstone` bug too). Memory: one entry per write
//! plus one per agent and key, linear in agents × keys. The record of an agent starts again
//! when it loses its map in a restart ([`super::node::Core::incarnation`]).
//!
//! Rules (Demers et al., PODC 1987):
//! - [`NO_OLDER_VERSION`]: an agent never moves a key to an older version, nor loses a value
//!   without a newer version replacing it (§1.1: the later version wins everywhere).
//! - [`ONLY_WRITTEN`]: every value an agent holds, with its version, was written by a client.
//! - [`DELETED_STAYS_DELETED`]: an agent that held a death certificate (or wrote the delete)
//!   never holds an older value of that key while the certificate lives (§2.1).
//! - [`CONVERGENCE`]: once writes stop, faults are undone and the live agents are connected,
//!   every live agent holds the same versions within a bound in rounds
//!   ([`convergence_bound_rounds`]); checked at the end of every randomized run
//!   ([`super::chaos`]).

use crate::collections::Map;
use crate::protocol::{node_name, Invariants, Micros, NodeId, Violation};

use super::node::{Core, Version};
use super::sim::{Decision, Gossip};

/// An agent never moves a key to an older version (nor loses a value without a newer one).
pub const NO_OLDER_VERSION: &str = "Versions never go back";
/// Every value held was written by a client, under that version.
pub const ONLY_WRITTEN: &str = "Only written values";
/// A deleted key does not come back while its death certificate lives.
pub const DELETED_STAYS_DELETED: &str = "Deleted stays deleted";
/// Once writes stop and the live agents are connected, all converge within the bound.
pub const CONVERGENCE: &str = "Convergence";

/// The bound, in rounds of the slowest mechanism that runs (anti-entropy's interval, or the
/// rumor interval when only rumors run), within which every live, connected agent must hold
/// the same versions once writes stop: `10 + 4 · (⌈log₂ n⌉ + ⌈keys / E⌉)` for `n` agents,
/// `keys` keys held anywhere and `E` entries per exchange (unbounded: `E = keys`).
///
/// Why: with push-pull one update reaches every agent in `log₂ n + O(ln ln n)` rounds
/// (Karp et al., FOCS 2000) and push alone in `log₂ n + ln n + O(1)` (Pittel 1987); an agent
/// that must receive `keys` entries `E` at a time needs `⌈keys / E⌉` exchanges with an informed
/// peer. The factor 4 and the 10 rounds cover the tail at ≤ 16 agents (an agent left uncontacted
/// for r rounds has probability about e^(−r) under push): 300 seeds find no false alarm.
pub fn convergence_bound_rounds(n: usize, keys: usize, entries_per_exchange: Option<usize>) -> u64 {
    let log2 = usize::BITS - n.max(1).saturating_sub(1).leading_zeros();
    let e = entries_per_exchange.unwrap_or(keys.max(1)).max(1);
    10 + 4 * (log2 as u64 + keys.div_ceil(e) as u64)
}

/// The highest version an agent has held of a key; `expires_us` when that was a delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Floor {
    version: Version,
    delete: Option<Micros>,
}

/// Invariant state carried between events.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// Every client write: key → version → value (None: a delete).
    written: Map<String, Map<Version, Option<String>>>,
    /// Per agent: key → its floor.
    floors: Vec<Map<String, Floor>>,
    /// Per agent: the incarnation the floors are of.
    incarnations: Vec<u32>,
    decided: u64,
    violations: Vec<Violation>,
}

impl Checker {
    fn report(&mut self, now: Micros, rule: &'static str, agent: NodeId, detail: String) {
        self.violations.push(Violation { rule, nodes: vec![node_name(agent)], time_us: now, detail, index: None });
    }

    fn raise(&mut self, agent: NodeId, key: &str, floor: Floor) {
        let floors = &mut self.floors[agent];
        match floors.get_mut(key) {
            Some(f) if f.version >= floor.version => {}
            Some(f) => *f = floor,
            None => {
                floors.insert(key.to_string(), floor);
            }
        }
    }

    fn check_agent(&mut self, now: Micros, i: NodeId, core: &Core) {
        if self.incarnations[i] != core.incarnation {
            self.incarnations[i] = core.incarnation;
            self.floors[i].clear();
        }
        let name = node_name(i);
        for (key, e) in core.store.iter() {
            let written = self.written.get(key.as_str()).and_then(|m| m.get(&e.version));
            if written != Some(&e.value) {
                let what = e.value.as_deref().map_or("a death certificate".to_string(), |v| format!("{key}={v}"));
                let detail = format!("{name} holds {what} at version {}, which no client wrote", e.version.text());
                self.report(now, ONLY_WRITTEN, i, detail);
            }
            let floor = Floor { version: e.version, delete: e.value.is_none().then_some(e.expires_us) };
            if let Some(f) = self.floors[i].get(key.as_str()).copied() {
                if e.version < f.version {
                    match f.delete {
                        Some(expires) if now >= expires => {}
                        Some(expires) if e.value.is_some() => {
                            let detail = format!(
                                "{name} holds {key}={} at version {} although it held the delete at version {}, whose certificate lives until {} ms",
                                e.value.as_deref().unwrap_or(""),
                                e.version.text(),
                                f.version.text(),
                                expires / 1000
                            );
                            self.report(now, DELETED_STAYS_DELETED, i, detail);
                        }
                        _ => {
                            let detail = format!("{name} moved {key} from version {} back to {}", f.version.text(), e.version.text());
                            self.report(now, NO_OLDER_VERSION, i, detail);
                        }
                    }
                    // Reported once: the floor follows what the agent now holds.
                    self.floors[i].insert(key.clone(), floor);
                    continue;
                }
            }
            self.raise(i, key, floor);
        }
        // Keys the agent no longer holds: fine after a delete (a certificate dropped when it
        // expired, or a removal under `no-tombstone`); a value must not vanish.
        let mut vanished = Vec::new();
        self.floors[i].retain(|key, f| {
            if core.store.contains_key(key.as_str()) {
                return true;
            }
            match f.delete {
                Some(expires) => now < expires,
                None => {
                    vanished.push((key.clone(), f.version));
                    false
                }
            }
        });
        for (key, v) in vanished {
            let detail = format!("{name} lost {key} at version {} with no newer version in its place", v.text());
            self.report(now, NO_OLDER_VERSION, i, detail);
        }
    }
}

impl Invariants<Gossip> for Checker {
    fn new(nodes: usize) -> Self {
        Checker { floors: vec![Map::new(); nodes], incarnations: vec![0; nodes], ..Checker::default() }
    }

    fn add_node(&mut self) {
        self.floors.push(Map::new());
        self.incarnations.push(0);
    }

    fn on_restart(&mut self, _node: NodeId) {}

    /// A client's write at `node`: the checker learns the value, and the agent's floor rises to it.
    fn on_decide(&mut self, _now: Micros, node: NodeId, d: &Decision) {
        self.decided += 1;
        match self.written.get_mut(d.key.as_str()) {
            Some(m) => {
                m.insert(d.version, d.value.clone());
            }
            None => {
                let mut m = Map::new();
                m.insert(d.version, d.value.clone());
                self.written.insert(d.key.clone(), m);
            }
        }
        let floor = Floor { version: d.version, delete: d.value.is_none().then_some(d.expires_us) };
        self.raise(node, &d.key, floor);
    }

    fn check(&mut self, now: Micros, nodes: &mut [Core], touched: &[NodeId]) {
        for &i in touched {
            self.check_agent(now, i, &nodes[i]);
        }
    }

    fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Client writes, population-wide.
    fn decided(&self) -> u64 {
        self.decided
    }
}
