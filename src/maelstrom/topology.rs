//! Maelstrom's broadcast topologies, as `src/maelstrom/workload/broadcast.clj` (jepsen-io/maelstrom)
//! builds them for nodes `n1` … `nN` in that order: who each node's neighbours are, in the
//! order Maelstrom lists them.
//!
//! - `line`: `n1 – n2 – … – nN`; an inner node lists `[left, right]`.
//! - `grid`: rows of `side = ⌈√N⌉` nodes (node `i·side + j` at row i, column j); a node lists
//!   the one below, above, right and left of it that exist (at most 4).
//! - `tree2`, `tree3`, `tree4` (`tree` is `tree2`): tiers of 1, b, b², … nodes in order, each
//!   parent taking the next b of the tier below: node x's children are `b·x + 1 ..= b·x + b`;
//!   a node lists its parent, then its children.
//! - `total`: every other node, in order.

use crate::error::{Error, Result};
use crate::protocol::NodeId;

/// A topology Maelstrom's broadcast workload can hand to the nodes (`--topology`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// `line`.
    Line,
    /// `grid` (Maelstrom's default).
    Grid,
    /// `tree2`, `tree3`, `tree4`: a tree with at most this many children per node.
    Tree(usize),
    /// `total`: everyone's neighbour is everyone.
    Total,
}

impl Topology {
    /// Every topology, in the order the README's table lists them.
    pub const ALL: [Topology; 6] = [Topology::Grid, Topology::Line, Topology::Tree(2), Topology::Tree(3), Topology::Tree(4), Topology::Total];

    /// `line`, `grid`, `tree2`, `tree3`, `tree4` or `total`.
    pub fn name(self) -> String {
        match self {
            Topology::Line => "line".into(),
            Topology::Grid => "grid".into(),
            Topology::Tree(b) => format!("tree{b}"),
            Topology::Total => "total".into(),
        }
    }

    /// The topology named `name` (`tree` is `tree2`). Errors: another name.
    pub fn parse(name: &str) -> Result<Topology> {
        match name {
            "line" => Ok(Topology::Line),
            "grid" => Ok(Topology::Grid),
            "tree" | "tree2" => Ok(Topology::Tree(2)),
            "tree3" => Ok(Topology::Tree(3)),
            "tree4" => Ok(Topology::Tree(4)),
            "total" => Ok(Topology::Total),
            _ => Err(Error::invalid("topology", "must be line, grid, tree2, tree3, tree4 or total")),
        }
    }

    /// Each node's neighbours among `n` nodes (`result[i]` for node i), in Maelstrom's order.
    /// The relation is symmetric.
    pub fn neighbours(self, n: usize) -> Vec<Vec<NodeId>> {
        match self {
            Topology::Line => (0..n)
                .map(|i| {
                    let mut v = Vec::new();
                    if n >= 2 {
                        if i > 0 {
                            v.push(i - 1);
                        }
                        if i + 1 < n {
                            v.push(i + 1);
                        }
                    }
                    v
                })
                .collect(),
            Topology::Grid => {
                let side = (n as f64).sqrt().ceil() as usize;
                let at = |i: isize, j: isize| -> Option<NodeId> {
                    if i < 0 || j < 0 || j >= side as isize {
                        return None;
                    }
                    let idx = i as usize * side + j as usize;
                    (idx < n).then_some(idx)
                };
                (0..n)
                    .map(|x| {
                        let (i, j) = ((x / side) as isize, (x % side) as isize);
                        [at(i + 1, j), at(i - 1, j), at(i, j + 1), at(i, j - 1)].into_iter().flatten().collect()
                    })
                    .collect()
            }
            Topology::Tree(b) => (0..n)
                .map(|x| {
                    let parent = (x > 0).then(|| (x - 1) / b);
                    parent.into_iter().chain((b * x + 1..=b * x + b).filter(|&c| c < n)).collect()
                })
                .collect(),
            Topology::Total => (0..n).map(|i| (0..n).filter(|&j| j != i).collect()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Topology;

    #[test]
    fn maelstroms_topologies_for_a_few_nodes() {
        // broadcast.clj's line-topology: ends list one neighbour.
        assert_eq!(Topology::Line.neighbours(3), vec![vec![1], vec![0, 2], vec![1]]);
        // grid-topology, 5 nodes: side 3; n1 lists below (n4), right (n2).
        assert_eq!(Topology::Grid.neighbours(5), vec![vec![3, 1], vec![4, 2, 0], vec![1], vec![0, 4], vec![1, 3]]);
        // tree-topology b = 2: parent first, then children.
        assert_eq!(Topology::Tree(2).neighbours(6), vec![vec![1, 2], vec![0, 3, 4], vec![0, 5], vec![1], vec![1], vec![2]]);
        assert_eq!(Topology::Total.neighbours(3), vec![vec![1, 2], vec![0, 2], vec![0, 1]]);
        // 25 nodes: a 5×5 grid has 40 links; a tree 24.
        let links = |t: Topology| t.neighbours(25).iter().map(Vec::len).sum::<usize>() / 2;
        assert_eq!((links(Topology::Grid), links(Topology::Line), links(Topology::Tree(4)), links(Topology::Total)), (40, 24, 24, 300));
        for t in Topology::ALL {
            let g = t.neighbours(25);
            for (i, ns) in g.iter().enumerate() {
                assert!(ns.iter().all(|&j| g[j].contains(&i) && j != i), "{} is symmetric", t.name());
            }
        }
    }
}
