//! Voting's invariants, checked after every simulator event, incrementally: each event looks
//! only at the proposals its nodes changed and the ballots they cast (which each node lists for
//! the checker, [`Core::dirty`] and [`Core::new_ballots`]).
//!
//! Weights are recomputed here from the distinct voters a proposer counted, and the weight
//! needed is the quorum rule's, so a proposer that counts wrongly (the deliberate bugs) is
//! caught by what it did, not by what it claims.

use crate::collections::Map;
use crate::protocol::{node_name, Invariants, Micros, NodeId, Violation};

use super::node::{Core, Proposal, ProposalId, Status, Weight};
use super::quorum::quorums_intersect;
use super::sim::{Decision, Vote, VoteNode};

/// A proposal settles once and its outcome never changes.
pub const SETTLED_ONCE: &str = "Settled once";
/// An accepted proposal had at least `quorumRequired` weight for it (each voter's weight once).
pub const ACCEPTED_WITH_QUORUM: &str = "Accepted with a quorum";
/// A rejected proposal could no longer reach `quorumRequired`: the weight for plus the weight
/// not yet voted was below it.
pub const REJECTED_WHEN_UNREACHABLE: &str = "Rejected only when unreachable";
/// A proposer counts each voter once per proposal (the network names the sender).
pub const COUNTED_ONCE: &str = "Each voter counted once";
/// With intersecting quorums, no two conflicting proposals on one key (same key, different
/// values) are both accepted while both were open: of two such proposals, the later one must
/// have the vote of some voter that approved the earlier one, cast after the earlier one
/// settled (exclusive voters guarantee it; without exclusivity, or with quorums that need not
/// intersect, it can fail).
pub const NO_CONFLICTING_ACCEPTANCES: &str = "No conflicting acceptances";

#[derive(Clone, Debug)]
struct Accepted {
    id: ProposalId,
    value: String,
    settled_at: Micros,
    approvers: Vec<NodeId>,
}

/// Invariant state carried between events.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// How each proposal settled, when it did.
    settled: Map<ProposalId, Status>,
    /// When each voter cast its approval of each proposal, µs.
    approvals: Map<(NodeId, ProposalId), Micros>,
    /// Accepted proposals per key, in order of settling.
    accepted: Map<String, Vec<Accepted>>,
    decided: u64,
    violations: Vec<Violation>,
}

fn names(ids: &[NodeId]) -> Vec<String> {
    ids.iter().map(|i| node_name(*i)).collect()
}

fn pid(id: ProposalId) -> String {
    format!("{}:{}", node_name(id.proposer), id.seq)
}

impl Checker {
    fn report(&mut self, now: Micros, rule: &'static str, nodes: Vec<NodeId>, detail: String) {
        self.violations.push(Violation { rule, nodes: names(&nodes), time_us: now, detail, index: None });
    }

    /// Checks proposal `p` of a node whose weights are `weights`.
    fn check_proposal(&mut self, now: Micros, p: &Proposal, weights: &[Weight]) {
        let w = |v: NodeId| weights.get(v).copied().unwrap_or(1);
        let mut seen: Vec<NodeId> = Vec::with_capacity(p.counted.len());
        let (mut wf, mut wa) = (0, 0);
        let mut approvers = Vec::new();
        for &(v, approve) in &p.counted {
            if seen.contains(&v) {
                if !self.violations.iter().any(|x| x.rule == COUNTED_ONCE && x.detail.starts_with(&pid(p.id))) {
                    let detail = format!("{} counted {}'s vote twice", pid(p.id), node_name(v));
                    self.report(now, COUNTED_ONCE, vec![p.id.proposer, v], detail);
                }
                continue;
            }
            seen.push(v);
            if approve {
                wf += w(v);
                approvers.push(v);
            } else {
                wa += w(v);
            }
        }
        match self.settled.get(&p.id).copied() {
            Some(s) if s != p.status => {
                let detail = format!("{} settled {} and then became {}", pid(p.id), s.as_str(), p.status.as_str());
                self.report(now, SETTLED_ONCE, vec![p.id.proposer], detail);
                return;
            }
            Some(_) => return,
            None if p.status == Status::Open => return,
            None => {
                self.settled.insert(p.id, p.status);
            }
        }
        let need = p.quorum_required;
        match p.status {
            Status::Accepted => {
                self.decided += 1;
                if wf < need {
                    let detail = format!("{} was accepted with {wf} of {} weight for; the rule needs {need}", pid(p.id), p.total);
                    self.report(now, ACCEPTED_WITH_QUORUM, vec![p.id.proposer], detail);
                }
                let settled_at = p.settled_at.unwrap_or(now);
                if quorums_intersect(need, p.total) {
                    let mut conflict = None;
                    for q in self.accepted.get(&p.key).map(|v| v.as_slice()).unwrap_or(&[]).iter().rev() {
                        if q.settled_at < p.proposed_at {
                            break;
                        }
                        if q.value == p.value {
                            continue;
                        }
                        // Some voter approved both, the later one after the earlier settled.
                        let ordered = q.approvers.iter().any(|v| {
                            approvers.contains(v) && self.approvals.get(&(*v, p.id)).is_some_and(|at| *at >= q.settled_at)
                        });
                        if !ordered {
                            conflict = Some((q.id, q.value.clone()));
                            break;
                        }
                    }
                    if let Some((qid, qvalue)) = conflict {
                        let detail = format!(
                            "{} ({}={qvalue}) and {} ({}={}) were both accepted while both open, with quorums that must intersect",
                            pid(qid),
                            p.key,
                            pid(p.id),
                            p.key,
                            p.value
                        );
                        self.report(now, NO_CONFLICTING_ACCEPTANCES, vec![qid.proposer, p.id.proposer], detail);
                    }
                }
                let list = match self.accepted.get_mut(&p.key) {
                    Some(l) => l,
                    None => {
                        self.accepted.insert(p.key.clone(), Vec::new());
                        self.accepted.get_mut(&p.key).expect("just inserted")
                    }
                };
                list.push(Accepted { id: p.id, value: p.value.clone(), settled_at, approvers });
            }
            Status::Rejected => {
                let open = p.total.saturating_sub(wf + wa);
                if wf + open >= need {
                    let detail = format!(
                        "{} was rejected with {wf} for, {wa} against of {}: {} could still vote, enough to reach {need}",
                        pid(p.id),
                        p.total,
                        open
                    );
                    self.report(now, REJECTED_WHEN_UNREACHABLE, vec![p.id.proposer], detail);
                }
            }
            Status::Open | Status::Timeout => {}
        }
    }
}

impl Invariants<Vote> for Checker {
    fn new(_nodes: usize) -> Self {
        Checker::default()
    }
    fn add_node(&mut self) {}
    fn on_restart(&mut self, _node: NodeId) {}
    fn on_decide(&mut self, _now: Micros, _node: NodeId, _decision: &Decision) {}

    fn check(&mut self, now: Micros, nodes: &mut [VoteNode], touched: &[NodeId]) {
        for &i in touched {
            for (id, approve, at) in std::mem::take(&mut nodes[i].core.new_ballots) {
                if approve {
                    self.approvals.insert((i, id), at);
                }
            }
        }
        for &i in touched {
            let core: &mut Core = &mut nodes[i].core;
            let mut dirty = std::mem::take(&mut core.dirty);
            dirty.sort_unstable();
            dirty.dedup();
            for k in dirty {
                let n = &nodes[i];
                if let Some(p) = n.core.proposals.get(k) {
                    let (p, weights) = (p.clone(), n.weights.clone());
                    self.check_proposal(now, &p, &weights);
                }
            }
        }
    }

    fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Proposals accepted, cluster-wide.
    fn decided(&self) -> u64 {
        self.decided
    }
}
