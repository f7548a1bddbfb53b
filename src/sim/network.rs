//! The simulated network: latency (global and per link), loss, duplication, and cut links. A
//! partition is a group per node (links between groups are cut) with one-way cuts and repairs
//! on top, so that splitting 10,000 nodes costs one number per agent, not one per link. It
//! knows nodes only by index and carries any payload: nothing here is protocol-specific.

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
    /// Directed links `(from, to)` cut one by one: a message sent on one, or arriving on one
    /// cut while it travelled, is lost.
    cut: Set<(usize, usize)>,
    /// The partition: each node's group (empty: none). Links between groups are cut, except
    /// those in `repaired`.
    group: Vec<u32>,
    /// Links between groups repaired one by one since the partition.
    repaired: Set<(usize, usize)>,
}

impl Network {
    /// A network with the given latency, loss and duplication, every link up.
    pub fn new(latency_us: (Micros, Micros), drop_rate: f64, duplicate_rate: f64) -> Self {
        Network { latency_us, link_latency_us: Map::new(), drop_rate, duplicate_rate, cut: Set::new(), group: Vec::new(), repaired: Set::new() }
    }

    /// The latency range of the link `from → to`.
    pub fn latency(&self, from: usize, to: usize) -> (Micros, Micros) {
        self.link_latency_us.get(&(from, to)).copied().unwrap_or(self.latency_us)
    }

    /// Whether the link `from → to` is cut.
    pub fn is_cut(&self, from: usize, to: usize) -> bool {
        self.cut.contains(&(from, to)) || (self.split(from, to) && !self.repaired.contains(&(from, to)))
    }

    /// Whether the partition puts `from` and `to` in different groups.
    fn split(&self, from: usize, to: usize) -> bool {
        self.group.get(from).zip(self.group.get(to)).is_some_and(|(a, b)| a != b)
    }

    /// Cuts the link `from → to` (one way).
    pub fn cut(&mut self, from: usize, to: usize) {
        self.repaired.remove(&(from, to));
        self.cut.insert((from, to));
    }

    /// Repairs the link `from → to` (one way).
    pub fn repair(&mut self, from: usize, to: usize) {
        self.cut.remove(&(from, to));
        if self.split(from, to) {
            self.repaired.insert((from, to));
        }
    }

    /// Whether a partition is in effect (since [`partition`](Self::partition), until
    /// [`heal`](Self::heal)): O(1), for views of populations too large to list their cut links.
    pub fn is_partitioned(&self) -> bool {
        !self.group.is_empty()
    }

    /// Cut links, in order (a partition of n nodes asks every pair: for views of small
    /// clusters).
    pub fn cut_links(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let n = self.cut.iter().fold(self.group.len(), |n, &(a, b)| n.max(a + 1).max(b + 1));
        let pairs = if self.group.is_empty() { 0 } else { n };
        let split = (0..pairs).flat_map(move |a| (0..pairs).map(move |b| (a, b))).filter(move |&(a, b)| self.is_cut(a, b));
        // Without a partition the one-way cuts are the list, in order; with one, every pair is asked.
        self.cut.iter().copied().filter(move |_| pairs == 0).chain(split)
    }

    /// Splits `n` nodes into `groups` (indexes): every link between two groups is cut both
    /// ways, every link inside a group is repaired. Nodes in no group form one more group.
    pub fn partition(&mut self, n: usize, groups: &[Vec<usize>]) {
        let mut group = vec![groups.len() as u32; n];
        for (g, members) in groups.iter().enumerate() {
            for &i in members {
                group[i] = g as u32;
            }
        }
        self.heal();
        self.group = group;
    }

    /// Repairs every link.
    pub fn heal(&mut self) {
        self.cut.clear();
        self.repaired.clear();
        self.group.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Network;

    #[test]
    fn a_partition_cuts_links_between_groups_and_one_link_can_be_repaired_or_cut_on_top() {
        let mut net = Network::new((1, 1), 0.0, 0.0);
        net.cut(3, 0);
        // {0, 1} | {2} | {3} (the rest): the one-way cut before is gone.
        net.partition(4, &[vec![0, 1], vec![2]]);
        assert!(!net.is_cut(0, 1) && !net.is_cut(1, 0));
        assert!(net.is_cut(0, 2) && net.is_cut(2, 0) && net.is_cut(2, 3) && net.is_cut(3, 1));
        net.repair(0, 2);
        assert!(!net.is_cut(0, 2) && net.is_cut(2, 0));
        net.cut(0, 1);
        assert!(net.is_cut(0, 1) && !net.is_cut(1, 0));
        let links: Vec<_> = net.cut_links().collect();
        assert_eq!(links, [(0, 1), (0, 3), (1, 2), (1, 3), (2, 0), (2, 1), (2, 3), (3, 0), (3, 1), (3, 2)]);
        net.cut(0, 2);
        assert!(net.is_cut(0, 2));
        net.heal();
        assert_eq!(net.cut_links().count(), 0);
        assert!(!net.is_cut(2, 0));
    }
}
