//! The simulated network: latency (global and per link), loss, duplication, and cut links
//! (partitions are sets of cut links). It knows nodes only by index and carries any payload:
//! nothing here is protocol-specific.

use crate::collections::{Map, Set};

use super::config::Micros;

/// What the network does to messages. Reordering needs no switch: two messages on one link
/// with overlapping latency ranges arrive in either order.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// One-way latency range `[lo, hi]` µs, drawn uniformly per message.
    pub latency_us: (Micros, Micros),
    /// Latency ranges that override `latency_us` on one directed link `(from, to)`.
    pub link_latency_us: Map<(usize, usize), (Micros, Micros)>,
    /// Probability that a message is lost, in `[0, 1]`.
    pub drop_rate: f64,
    /// Probability that a message is delivered twice (the copy with its own latency), in `[0, 1]`.
    pub duplicate_rate: f64,
    /// Directed links `(from, to)` that carry nothing: a message sent on one, or arriving on
    /// one cut while it travelled, is lost.
    cut: Set<(usize, usize)>,
}

impl Network {
    /// A network with the given latency, loss and duplication, every link up.
    pub fn new(latency_us: (Micros, Micros), drop_rate: f64, duplicate_rate: f64) -> Self {
        Network { latency_us, link_latency_us: Map::new(), drop_rate, duplicate_rate, cut: Set::new() }
    }

    /// The latency range of the link `from → to`.
    pub fn latency(&self, from: usize, to: usize) -> (Micros, Micros) {
        self.link_latency_us.get(&(from, to)).copied().unwrap_or(self.latency_us)
    }

    /// Whether the link `from → to` is cut.
    pub fn is_cut(&self, from: usize, to: usize) -> bool {
        self.cut.contains(&(from, to))
    }

    /// Cuts the link `from → to` (one way).
    pub fn cut(&mut self, from: usize, to: usize) {
        self.cut.insert((from, to));
    }

    /// Repairs the link `from → to` (one way).
    pub fn repair(&mut self, from: usize, to: usize) {
        self.cut.remove(&(from, to));
    }

    /// Cut links, in order.
    pub fn cut_links(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.cut.iter().copied()
    }

    /// Splits `n` nodes into `groups` (indexes): every link between two groups is cut both
    /// ways, every link inside a group is repaired. Nodes in no group form one more group.
    pub fn partition(&mut self, n: usize, groups: &[Vec<usize>]) {
        let mut group_of = vec![groups.len(); n];
        for (g, members) in groups.iter().enumerate() {
            for &i in members {
                group_of[i] = g;
            }
        }
        self.cut.clear();
        for a in 0..n {
            for b in 0..n {
                if a != b && group_of[a] != group_of[b] {
                    self.cut.insert((a, b));
                }
            }
        }
    }

    /// Repairs every link.
    pub fn heal(&mut self) {
        self.cut.clear();
    }
}
