//! The paper's interactive consistency conditions, checked whenever a lieutenant decides:
//!
//! - **IC1** ([`IC1`]): all loyal lieutenants obey the same order;
//! - **IC2** ([`IC2`]): if the commanding general is loyal, then every loyal lieutenant obeys
//!   the order he sends.
//!
//! Only loyal generals are judged: the traitors the simulator names
//! ([`Invariants::set_byzantine`]), and, in each run, the generals the paper would count as
//! faulty because the simulation broke its assumptions A1–A3 for them: one that is down, or
//! crashed, restarted or woke from a pause during the run, and one whose message to a loyal lieutenant
//! that kept up was not taken in its round (lost, cut, late: an omission, which only a faulty
//! general commits in the paper). These counts come from the generals' own tallies of what
//! each sent and took ([`super::node::Run::sent`], [`super::node::Run::accepted`]).
//!
//! A violation is flagged with its rule and a detail that says which case it is:
//!
//! - **a bug** when N > 3m and at most m generals are faulty: Theorem 1 (§3) says OM(m) satisfies
//!   IC1 and IC2 then;
//! - **expected** when traitors are in play and N ≤ 3m for m = the number of traitors (the
//!   impossibility of §2: no solution with 3m or fewer generals copes with m traitors), or
//!   there are more traitors than OM(m)'s m, or N ≤ 3m for OM(m)'s m.
//!
//! A run that breaks a condition only because the network or crashes made more than m
//! generals faulty, with at most m traitors, is not flagged: it is counted as unjudged
//! ([`Checker::unjudged`]); the paper promises nothing without A1–A3.

use crate::collections::Set;
use crate::protocol::{node_name, Invariants, Micros, NodeId, Violation};

use super::node::{General, Order};
use super::sim::{Decision, Generals};

/// IC1: "All loyal lieutenants obey the same order."
pub const IC1: &str = "IC1";
/// IC2: "If the commanding general is loyal, then every loyal lieutenant obeys the order he
/// sends."
pub const IC2: &str = "IC2";
/// IC1 as the paper states it (§1).
pub const IC1_TEXT: &str = "All loyal lieutenants obey the same order";
/// IC2 as the paper states it (§1).
pub const IC2_TEXT: &str = "If the commanding general is loyal, then every loyal lieutenant obeys the order he sends";

/// How a violation of IC1 or IC2 is to be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// N > 3m and at most m faulty generals: Theorem 1 (§3) rules it out.
    Bug,
    /// Traitors beyond what N generals, or OM(m), cope with: the paper's impossibility or
    /// its limits; the sentence says which.
    Expected(String),
    /// No more than m traitors; the network or crashes made the rest faulty.
    Unjudged,
}

/// How to read a violation with `n` generals running OM(`m`), `traitors` of them traitors and
/// `faulty` faulty in all (traitors included).
pub fn reading(n: usize, m: usize, traitors: usize, faulty: usize) -> Reading {
    if n > 3 * m && faulty <= m {
        Reading::Bug
    } else if traitors == 0 || (n > 3 * m && traitors <= m) {
        Reading::Unjudged
    } else if n <= 3 * traitors {
        Reading::Expected(format!(
            "expected, N ≤ 3m: N = {n} generals with m = {traitors} traitor{} — the paper's impossibility (§2: no solution with fewer than 3m + 1 generals copes with m traitors)",
            if traitors == 1 { "" } else { "s" }
        ))
    } else if traitors > m {
        Reading::Expected(format!("expected: {traitors} traitors, more than the m = {m} OM({m}) copes with (Theorem 1, §3)"))
    } else {
        Reading::Expected(format!("expected, N ≤ 3m: N = {n} generals run OM({m}), for which Theorem 1 promises nothing"))
    }
}

/// The sentence of a [`Reading::Bug`].
fn bug_text(n: usize, m: usize, faulty: usize) -> String {
    format!("a bug, N > 3m: N = {n} > 3m = {} with {faulty} faulty general{} (at most m = {m}), where Theorem 1 (§3) says OM({m}) satisfies IC1 and IC2", 3 * m, if faulty == 1 { "" } else { "s" })
}

/// Checker state carried between events.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// Generals that were ever traitors.
    traitors: Vec<bool>,
    /// Runs decided in the current event, to check.
    pending: Vec<u64>,
    /// Runs some general decided.
    decided: Set<u64>,
    /// `(run, rule)` already reported.
    reported: Set<(u64, &'static str)>,
    /// Runs not judged (see [`Checker::unjudged`]).
    unjudged: Set<u64>,
    violations: Vec<Violation>,
}

impl Checker {
    /// Runs that broke IC1 or IC2 only because the network or crashes made more than m
    /// generals faulty while at most m were traitors: not flagged.
    pub fn unjudged(&self) -> Vec<u64> {
        self.unjudged.iter().copied().collect()
    }

    /// Whether general `i` is (or was) a traitor.
    pub fn is_traitor(&self, i: NodeId) -> bool {
        self.traitors.get(i).copied().unwrap_or(false)
    }

    /// The generals faulty in run `run`: traitors, generals disturbed during the run, and
    /// loyal senders some message of which a loyal, undisturbed lieutenant did not take.
    pub fn faulty(&self, run: u64, nodes: &[General]) -> Vec<bool> {
        let n = nodes.len();
        let start = nodes.first().map_or(0, |g| run.saturating_mul(g.round_us));
        let disturbed = |i: usize| nodes[i].down || nodes[i].disturbed_at.is_some_and(|t| t >= start);
        let honest = |i: usize| !self.is_traitor(i) && !disturbed(i);
        let mut faulty: Vec<bool> = (0..n).map(|i| !honest(i)).collect();
        for s in (0..n).filter(|&s| honest(s)) {
            let Some(sent) = nodes[s].runs.get(&run) else { continue };
            let lost = (0..n).filter(|&r| r != s && honest(r)).any(|r| {
                let took = nodes[r].runs.get(&run).and_then(|x| x.accepted.get(s).copied()).unwrap_or(0);
                sent.sent.get(r).copied().unwrap_or(0) > took
            });
            if lost {
                faulty[s] = true;
            }
        }
        faulty
    }

    fn judge(&mut self, now: Micros, run: u64, nodes: &[General]) {
        let Some(first) = nodes.first() else { return };
        let (n, c, m) = (nodes.len(), first.commander, first.m);
        let faulty = self.faulty(run, nodes);
        let judged: Vec<(NodeId, Order)> =
            (0..n).filter(|&i| i != c && !faulty[i]).filter_map(|i| nodes[i].runs.get(&run).and_then(|r| r.decision).map(|d| (i, d))).collect();
        let mut found: Vec<(&'static str, Vec<NodeId>, String)> = Vec::new();
        if let Some(&(a, da)) = judged.first() {
            if let Some(&(b, db)) = judged.iter().find(|(_, d)| *d != da) {
                let what = format!("{IC1_TEXT}; in run {run} loyal lieutenants {} and {} obey different orders ({} and {})", node_name(a), node_name(b), da.name(), db.name());
                found.push((IC1, vec![a, b], what));
            }
        }
        let commanded = nodes[c].runs.get(&run).filter(|r| r.commanded).and_then(|r| r.order);
        if let (false, Some(order)) = (faulty[c], commanded) {
            if let Some(&(l, d)) = judged.iter().find(|(_, d)| *d != order) {
                let what = format!("{IC2_TEXT}; in run {run} the loyal commander {} ordered {} and loyal lieutenant {} obeys {}", node_name(c), order.name(), node_name(l), d.name());
                found.push((IC2, vec![c, l], what));
            }
        }
        if found.is_empty() {
            return;
        }
        let traitors = (0..n).filter(|&i| self.is_traitor(i)).count();
        let all = faulty.iter().filter(|f| **f).count();
        let why = match reading(n, m, traitors, all) {
            Reading::Bug => bug_text(n, m, all),
            Reading::Expected(text) => text,
            Reading::Unjudged => {
                self.unjudged.insert(run);
                return;
            }
        };
        for (rule, who, what) in found {
            if self.reported.insert((run, rule)) {
                self.violations.push(Violation { rule, nodes: who.into_iter().map(node_name).collect(), time_us: now, detail: format!("{what}: {why}"), index: None });
            }
        }
    }
}

impl Invariants<Generals> for Checker {
    fn new(nodes: usize) -> Self {
        Checker { traitors: vec![false; nodes], ..Checker::default() }
    }
    fn add_node(&mut self) {
        self.traitors.push(false);
    }
    fn on_restart(&mut self, _node: NodeId) {}
    fn on_decide(&mut self, _now: Micros, _node: NodeId, d: &Decision) {
        self.decided.insert(d.run);
        if !self.pending.contains(&d.run) {
            self.pending.push(d.run);
        }
    }
    fn check(&mut self, now: Micros, nodes: &mut [General], _touched: &[NodeId]) {
        for run in std::mem::take(&mut self.pending) {
            self.judge(now, run, nodes);
        }
    }
    /// A traitor stays unjudged for good (what it holds may be what it lied about).
    fn set_byzantine(&mut self, node: NodeId, traitor: bool) {
        if traitor {
            if node >= self.traitors.len() {
                self.traitors.resize(node + 1, false);
            }
            self.traitors[node] = true;
        }
    }
    fn violations(&self) -> &[Violation] {
        &self.violations
    }
    /// Runs decided by some general.
    fn decided(&self) -> u64 {
        self.decided.len() as u64
    }
}
