//! The invariant checker: Chained HotStuff's safety properties (Yin et al., PODC 2019, §4.3
//! and §6: Lemma 1, Theorem 2), checked after every simulator event on honest replicas only
//! (a replica ever made a traitor stays unjudged: its state holds what it lied about).
//!
//! Checks are incremental: each event hands over what the touched replicas voted for and the
//! QCs they accepted ([`super::node::Trail`]), their locks, and the blocks they executed.

use crate::collections::{Map, Set};
use crate::protocol::{node_name, Invariants, Micros, NodeId, Violation};

use super::node::{BlockId, View, GENESIS};
use super::notes::block_text;
use super::sim::{Decision, HotStuff, HotStuffNode};

/// The blocks honest replicas commit form one chain: no two different blocks are committed at
/// one height, and each replica executes a block extending the one it executed before
/// (Theorem 2: "if cmd1 and cmd2 are committed … they are in the same branch").
pub const COMMIT_SAFETY: &str = "Commit Safety";
/// An honest replica votes for at most one block per view (§4.3: it votes only for a block of
/// a view above `vheight`).
pub const ONE_VOTE_PER_VIEW: &str = "One Vote Per View";
/// An honest replica's locked QC's view never decreases (§5: `lockedQC` only moves to a newer
/// QC), across restarts too (it is durable).
pub const LOCK_MONOTONIC: &str = "Lock Monotonicity";
/// No two QCs certify different blocks in one view (Lemma 1: two quorums of 2f + 1 share an
/// honest replica, which votes once per view), among the QCs honest replicas accept.
pub const UNIQUE_QC: &str = "Unique QC Per View";

/// Invariant state carried between events.
#[derive(Clone, Debug)]
pub struct Checker {
    nodes: usize,
    /// Per replica: ever a traitor (never judged).
    traitor: Vec<bool>,
    /// height → the block first seen committed there, and by whom.
    committed: Map<u64, (BlockId, NodeId)>,
    /// Per replica: the height and block it executed last.
    last: Vec<(u64, BlockId)>,
    /// (view, replica) → the block it voted for. Keyed view first (never iterated): votes come
    /// in rising views, so an insert lands near the end of the sorted `Vec`.
    votes: Map<(View, NodeId), BlockId>,
    /// view → the block first seen certified in it.
    certified: Map<View, BlockId>,
    /// Per replica: the locked QC's view seen last.
    locked: Vec<View>,
    /// Decisions of the event being checked.
    pending: Vec<(NodeId, Decision)>,
    violations: Vec<Violation>,
    reported: Set<String>,
}

impl Checker {
    /// A checker for `n` replicas.
    pub fn new(n: usize) -> Self {
        Checker {
            nodes: n,
            traitor: vec![false; n],
            committed: Map::new(),
            last: vec![(0, GENESIS); n],
            votes: Map::new(),
            certified: Map::new(),
            locked: vec![0; n],
            pending: Vec::new(),
            violations: Vec::new(),
            reported: Set::new(),
        }
    }

    /// height → the block first seen committed there.
    pub fn committed(&self) -> impl Iterator<Item = (u64, BlockId)> + '_ {
        self.committed.iter().map(|(h, (b, _))| (*h, *b))
    }

    fn report(&mut self, now: Micros, rule: &'static str, nodes: Vec<String>, detail: String) {
        let key = format!("{rule}|{}|{detail}", nodes.join(","));
        if self.reported.insert(key) {
            self.violations.push(Violation { rule, nodes, time_us: now, detail, index: None });
        }
    }

    fn voted(&mut self, now: Micros, i: NodeId, view: View, block: BlockId) {
        match self.votes.get(&(view, i)) {
            Some(&b) if b != block => {
                let detail = format!("{} voted for block {} in view {view}, after voting for block {} in that view", node_name(i), block_text(block), block_text(b));
                self.report(now, ONE_VOTE_PER_VIEW, vec![node_name(i)], detail);
            }
            Some(_) => {}
            None => {
                self.votes.insert((view, i), block);
            }
        }
    }

    fn certified(&mut self, now: Micros, i: NodeId, view: View, block: BlockId) {
        match self.certified.get(&view) {
            Some(&b) if b != block => {
                let detail = format!("{} accepted a QC for block {} in view {view}, where block {} was certified", node_name(i), block_text(block), block_text(b));
                self.report(now, UNIQUE_QC, vec![node_name(i)], detail);
            }
            Some(_) => {}
            None => {
                self.certified.insert(view, block);
            }
        }
    }

    fn check_decision(&mut self, now: Micros, i: NodeId, d: Decision) {
        let who = node_name(i);
        let (h, b) = self.last[i];
        if d.height != h + 1 || d.parent != b {
            let detail = format!("{who} executed block {} at height {} after block {} at height {h}, not its parent", block_text(d.block), d.height, block_text(b));
            self.report(now, COMMIT_SAFETY, vec![who.clone()], detail);
        }
        self.last[i] = (d.height, d.block);
        self.commit_seen(now, i, d.height, d.block);
    }

    /// Replica `i` committed `block` at `height`: no other block may be committed there.
    fn commit_seen(&mut self, now: Micros, i: NodeId, height: u64, block: BlockId) {
        match self.committed.get(&height) {
            Some(&(c, by)) if c != block => {
                let who = node_name(i);
                let detail = format!("{who} committed block {} at height {height}, where {} committed block {}", block_text(block), node_name(by), block_text(c));
                self.report(now, COMMIT_SAFETY, vec![who, node_name(by)], detail);
            }
            Some(_) => {}
            None => {
                self.committed.insert(height, (block, i));
            }
        }
    }
}

impl Invariants<HotStuff> for Checker {
    fn new(nodes: usize) -> Self {
        Checker::new(nodes)
    }
    fn add_node(&mut self) {
        self.nodes += 1;
        self.traitor.push(false);
        self.last.push((0, GENESIS));
        self.locked.push(0);
    }
    /// Execution starts again from genesis (the state machine is volatile); the lock stays
    /// what it was (durable).
    fn on_restart(&mut self, node: NodeId) {
        self.last[node] = (0, GENESIS);
    }
    fn on_decide(&mut self, _now: Micros, node: NodeId, d: &Decision) {
        if !self.traitor[node] {
            self.pending.push((node, d.clone()));
        }
    }
    fn check(&mut self, now: Micros, nodes: &mut [HotStuffNode], touched: &[NodeId]) {
        for &i in touched {
            let trail = std::mem::take(&mut nodes[i].core.trail);
            if self.traitor[i] {
                continue;
            }
            for t in trail {
                match t {
                    super::node::Trail::Voted(v, b) => self.voted(now, i, v, b),
                    super::node::Trail::Certified(v, b) => self.certified(now, i, v, b),
                    super::node::Trail::Committed(h, b) => self.commit_seen(now, i, h, b),
                }
            }
            let l = nodes[i].core.locked_qc().view;
            if l < self.locked[i] {
                let detail = format!("{}'s lockedQC went from view {} down to view {l}", node_name(i), self.locked[i]);
                self.report(now, LOCK_MONOTONIC, vec![node_name(i)], detail);
            }
            self.locked[i] = l;
        }
        for (i, d) in std::mem::take(&mut self.pending) {
            self.check_decision(now, i, d);
        }
    }
    fn set_byzantine(&mut self, node: NodeId, traitor: bool) {
        if traitor {
            if let Some(t) = self.traitor.get_mut(node) {
                *t = true;
            }
        }
    }
    fn violations(&self) -> &[Violation] {
        &self.violations
    }
    fn decided(&self) -> u64 {
        self.committed.len() as u64
    }
}
