//! The invariant checker: Paxos's safety properties ("Paxos Made Simple" §2.1, and the
//! definitions of Lamport's Voting.tla), checked after every simulator event.
//!
//! The checker keeps the history of every acceptance (an acceptance is never retracted from
//! the history, even when an acceptor forgets it), so "chosen" is Voting.tla's `ChosenAt`: a
//! majority of acceptors accepted the same `(ballot, value)` in a slot. Acceptances of one value
//! under different ballots do not add up. Checks are incremental: each event hands over what the
//! touched nodes proposed and accepted ([`super::node::Trail`]), and only their promises are
//! compared.

use crate::collections::{Map, Set};
use crate::protocol::{node_name, Invariants, Micros, NodeId, Violation};

use super::node::{Ballot, Slot, Trail};
use super::notes::ballot_text;
use super::sim::{Decision, Paxos, PaxosNode};

/// At most one value is chosen in each slot (§2.1: "only a single value is chosen").
pub const CONSISTENCY: &str = "Consistency";
/// Acceptors never accept two different values in one slot under one ballot (Voting.tla's
/// `OneValuePerBallot`).
pub const ONE_VALUE_PER_BALLOT: &str = "One Value Per Ballot";
/// Only a value that has been proposed may be chosen (§2.1).
pub const NONTRIVIALITY: &str = "Nontriviality";
/// A learner learns (decides) a value only if it has been chosen (§2.1: "a process never learns
/// that a value has been chosen unless it actually has been").
pub const LEARNED_CHOSEN: &str = "Learned Only Chosen";
/// An acceptor's promised ballot never decreases, across restarts too (§2.2, §2.5).
pub const PROMISE_MONOTONIC: &str = "Promise Monotonicity";
/// Every replica executes the same value at each slot, in slot order (§3).
pub const EXECUTION_AGREEMENT: &str = "Execution Agreement";

/// Invariant state carried between events.
#[derive(Clone, Debug)]
pub struct Checker {
    nodes: usize,
    /// (slot, ballot) → the value accepted and who accepted it.
    votes: Map<(Slot, Ballot), (String, Vec<NodeId>)>,
    /// (slot, ballot) → the values proposed (one, unless a bug reused a ballot).
    proposals: Map<(Slot, Ballot), Vec<String>>,
    /// slot → the first (ballot, value) seen chosen.
    chosen: Map<Slot, (Ballot, String)>,
    /// Per node, the promise seen last.
    promised: Vec<Ballot>,
    /// slot → the value executed there (by the first node that did).
    executed: Map<Slot, String>,
    /// Per node, the next slot it must execute.
    next_exec: Vec<Slot>,
    /// Decisions of the event being checked (checked once its acceptances are recorded).
    pending: Vec<(NodeId, Decision)>,
    violations: Vec<Violation>,
    reported: Set<String>,
}

impl Checker {
    /// A checker for `n` nodes.
    pub fn new(n: usize) -> Self {
        Checker {
            nodes: n,
            votes: Map::new(),
            proposals: Map::new(),
            chosen: Map::new(),
            promised: vec![Ballot::ZERO; n],
            executed: Map::new(),
            next_exec: vec![1; n],
            pending: Vec::new(),
            violations: Vec::new(),
            reported: Set::new(),
        }
    }

    /// slot → the `(ballot, value)` first seen chosen (a majority accepted it).
    pub fn chosen(&self) -> &Map<Slot, (Ballot, String)> {
        &self.chosen
    }

    /// Records a violation once; `slot` is the slot it is about, if any.
    fn report(&mut self, now: Micros, rule: &'static str, nodes: Vec<String>, slot: Option<Slot>, detail: String) {
        let key = format!("{rule}|{}|{detail}", nodes.join(","));
        if self.reported.insert(key) {
            self.violations.push(Violation { rule, nodes, time_us: now, detail, index: slot });
        }
    }

    fn names(&self) -> Vec<String> {
        (0..self.nodes).map(node_name).collect()
    }

    fn proposed(&mut self, slot: Slot, b: Ballot, value: String) {
        match self.proposals.get_mut(&(slot, b)) {
            Some(vs) => {
                if !vs.contains(&value) {
                    vs.push(value);
                }
            }
            None => {
                self.proposals.insert((slot, b), vec![value]);
            }
        }
    }

    fn accepted(&mut self, now: Micros, i: NodeId, slot: Slot, b: Ballot, value: String) {
        let names = self.names();
        let majority = self.nodes / 2 + 1;
        let count = match self.votes.get_mut(&(slot, b)) {
            Some((v, _)) if *v != value => {
                let detail = format!(
                    "{} accepted {value} in slot {slot} under ballot {}, where {v} was accepted under the same ballot",
                    node_name(i),
                    ballot_text(b, &names)
                );
                self.report(now, ONE_VALUE_PER_BALLOT, vec![node_name(i)], Some(slot), detail);
                return;
            }
            Some((_, who)) => {
                if who.contains(&i) {
                    return;
                }
                who.push(i);
                who.len()
            }
            None => {
                self.votes.insert((slot, b), (value.clone(), vec![i]));
                1
            }
        };
        if count != majority {
            return;
        }
        // ChosenAt(b, value): a majority accepted it now.
        let proposed = self.proposals.get(&(slot, b)).is_some_and(|vs| vs.contains(&value));
        if !proposed {
            let detail = format!("{value} is chosen in slot {slot} under ballot {} but was never proposed there", ballot_text(b, &names));
            self.report(now, NONTRIVIALITY, vec![node_name(i)], Some(slot), detail);
        }
        match self.chosen.get(&slot) {
            Some((cb, cv)) if *cv != value => {
                let detail = format!(
                    "slot {slot}: {value} is chosen under ballot {}, but {cv} was chosen under ballot {}",
                    ballot_text(b, &names),
                    ballot_text(*cb, &names)
                );
                self.report(now, CONSISTENCY, vec![node_name(i)], Some(slot), detail);
            }
            Some(_) => {}
            None => {
                self.chosen.insert(slot, (b, value));
            }
        }
    }

    fn check_decision(&mut self, now: Micros, i: NodeId, d: Decision) {
        let who = node_name(i);
        match self.chosen.get(&d.slot) {
            Some((_, v)) if *v == d.value => {}
            Some((_, v)) => {
                let detail = format!("{who} learned {} in slot {}, but {v} is the value chosen there", d.value, d.slot);
                self.report(now, LEARNED_CHOSEN, vec![who.clone()], Some(d.slot), detail);
            }
            None => {
                let detail = format!("{who} learned {} in slot {}, which no majority accepted under one ballot", d.value, d.slot);
                self.report(now, LEARNED_CHOSEN, vec![who.clone()], Some(d.slot), detail);
            }
        }
        if d.slot != self.next_exec[i] {
            let detail = format!("{who} executed slot {} before slot {}", d.slot, self.next_exec[i]);
            self.report(now, EXECUTION_AGREEMENT, vec![who.clone()], Some(d.slot), detail);
        }
        self.next_exec[i] = d.slot + 1;
        match self.executed.get(&d.slot) {
            Some(v) if *v != d.value => {
                let detail = format!("{who} executed {} in slot {}, another replica executed {v}", d.value, d.slot);
                self.report(now, EXECUTION_AGREEMENT, vec![who], Some(d.slot), detail);
            }
            Some(_) => {}
            None => {
                self.executed.insert(d.slot, d.value);
            }
        }
    }
}

impl Invariants<Paxos> for Checker {
    fn new(nodes: usize) -> Self {
        Checker::new(nodes)
    }
    fn add_node(&mut self) {
        self.nodes += 1;
        self.promised.push(Ballot::ZERO);
        self.next_exec.push(1);
    }
    /// Execution starts again from slot 1 (the state machine is volatile); the promise stays
    /// what it was (durable).
    fn on_restart(&mut self, node: NodeId) {
        self.next_exec[node] = 1;
    }
    fn on_decide(&mut self, _now: Micros, node: NodeId, d: &Decision) {
        self.pending.push((node, d.clone()));
    }
    fn check(&mut self, now: Micros, nodes: &mut [PaxosNode], touched: &[NodeId]) {
        for &i in touched {
            for t in std::mem::take(&mut nodes[i].core.trail) {
                match t {
                    Trail::Proposed(slot, b, v) => self.proposed(slot, b, v),
                    Trail::Accepted(slot, b, v) => self.accepted(now, i, slot, b, v),
                }
            }
        }
        for &i in touched {
            let p = nodes[i].core.promised();
            if p < self.promised[i] {
                let names = self.names();
                let detail = format!("{}'s promise went from {} down to {}", node_name(i), ballot_text(self.promised[i], &names), ballot_text(p, &names));
                self.report(now, PROMISE_MONOTONIC, vec![node_name(i)], None, detail);
            }
            self.promised[i] = p;
        }
        for (i, d) in std::mem::take(&mut self.pending) {
            self.check_decision(now, i, d);
        }
    }
    fn violations(&self) -> &[Violation] {
        &self.violations
    }
    fn decided(&self) -> u64 {
        self.executed.len() as u64
    }
}
