//! The invariant checker: Raft's safety properties (Raft paper Figure 3) and commitIndex
//! monotonicity, checked after every simulator event.
//!
//! Checks are incremental: each event looks only at what it changed (logs from the index a
//! node reports as changed, commit indexes above what was already checked), so a long run
//! costs about the same per event as a short one.

use crate::collections::{Map, Set};

use crate::protocol::{name, node_name, Invariants, Micros, NodeId as Index};
use super::sim::{Raft, RaftNode};
use super::{CommandText, ConsensusProtocol, LogEntry, LogIndex, Role, Term};

pub use crate::protocol::Violation;

/// Election Safety: at most one leader can be elected in a given term (§5.2).
pub const ELECTION_SAFETY: &str = "Election Safety";
/// Log Matching: if two logs contain an entry with the same index and term, the logs are
/// identical in all entries up through that index (§5.3).
pub const LOG_MATCHING: &str = "Log Matching";
/// Leader Completeness: a committed entry is present in the logs of the leaders of all
/// higher-numbered terms (§5.4).
pub const LEADER_COMPLETENESS: &str = "Leader Completeness";
/// State Machine Safety: no two servers apply (or commit) different entries at one index (§5.4.3).
pub const STATE_MACHINE_SAFETY: &str = "State Machine Safety";
/// commitIndex never decreases while a server runs (Figure 2; it restarts from 0 after a crash).
pub const COMMIT_MONOTONIC: &str = "commitIndex monotonicity";
/// A server never deletes or replaces an entry it knows is committed (implied by State Machine
/// Safety, §5.4.3: a committed entry is never overwritten).
pub const COMMITTED_KEPT: &str = "Committed Entry Retention";

#[derive(Clone, Debug)]
struct Committed {
    term: Term,
    command: CommandText,
    /// The term in which the entry was first seen committed: leaders of later terms must hold it.
    seen_in_term: Term,
}

/// Invariant state carried between events.
#[derive(Clone, Debug)]
pub struct Checker {
    leaders: Map<Term, usize>,
    committed: Vec<Committed>,
    applied: Vec<(Term, CommandText)>,
    commit_seen: Vec<LogIndex>,
    commit_checked: Vec<LogIndex>,
    leader_checked: Vec<Option<Term>>,
    violations: Vec<Violation>,
    reported: Set<String>,
    /// Each node's lowest changed log index in the event being checked (None outside a check).
    changed: Vec<Option<LogIndex>>,
}

impl Checker {
    /// A checker for `n` nodes.
    pub fn new(n: usize) -> Self {
        Checker {
            leaders: Map::new(),
            committed: Vec::new(),
            applied: Vec::new(),
            commit_seen: vec![0; n],
            commit_checked: vec![0; n],
            leader_checked: vec![None; n],
            violations: Vec::new(),
            reported: Set::new(),
            changed: Vec::new(),
        }
    }

    /// A node joined: its state starts empty.
    pub fn add_node(&mut self) {
        self.commit_seen.push(0);
        self.commit_checked.push(0);
        self.leader_checked.push(None);
    }

    /// Violations found so far, oldest first.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Number of log entries known committed cluster-wide.
    pub fn committed_len(&self) -> u64 {
        self.committed.len() as u64
    }

    /// Records a violation once; `index` is the log index it is about, if any.
    fn report(&mut self, now: Micros, rule: &'static str, nodes: Vec<String>, index: Option<LogIndex>, detail: String) {
        let key = format!("{rule}|{}|{detail}", nodes.join(","));
        if self.reported.insert(key) {
            self.violations.push(Violation { rule, nodes, time_us: now, detail, index });
        }
    }

    /// Node `i` restarted: its volatile commitIndex starts again from 0.
    pub fn on_restart(&mut self, i: usize) {
        self.commit_seen[i] = 0;
        self.commit_checked[i] = 0;
        self.leader_checked[i] = None;
    }

    /// Node `node` applied `entry` to its state machine: every server must apply the same
    /// entry at each index (State Machine Safety, §5.4.3).
    pub fn on_apply(&mut self, now: Micros, node: &str, entry: &LogEntry) {
        let i = entry.index as usize;
        match self.applied.get(i - 1) {
            Some((t, c)) if *t == entry.term && *c == entry.command => {}
            Some((t, c)) => {
                let detail = format!(
                    "{node} applied (term {}, {}) at index {i}, another server applied (term {t}, {c})",
                    entry.term, entry.command
                );
                self.report(now, STATE_MACHINE_SAFETY, vec![node.to_string()], Some(entry.index), detail);
            }
            None => self.applied.push((entry.term, entry.command.clone())),
        }
    }

    /// Checks every property after an event. `changed_from[i]` is the lowest log index node
    /// `i` wrote during the event (from [`ConsensusProtocol::take_log_changed_from`]).
    pub fn check<N: AsRef<ConsensusProtocol>>(&mut self, now: Micros, nodes: &[N], changed_from: &[Option<LogIndex>]) {
        let all: Vec<Index> = (0..nodes.len()).collect();
        let slots = self.changed.len();
        self.changed.clear();
        self.changed.extend_from_slice(changed_from);
        self.changed.resize(nodes.len(), None);
        self.check_from(now, nodes, &all);
        self.changed.clear();
        self.changed.resize(slots, None);
    }

    /// [`check`](Self::check), looking only at nodes `which` (in increasing order): the nodes
    /// an event touched. The others did not change, so they can add nothing new. What changed
    /// in node `i`'s log is `self.changed[i]`.
    fn check_from<N: AsRef<ConsensusProtocol>>(&mut self, now: Micros, nodes: &[N], which: &[Index]) {
        for &i in which {
            let n = nodes[i].as_ref();
            // Election Safety (once per leader and term: `leader_checked` says it was seen).
            if n.role() == Role::Leader && self.leader_checked[i] != Some(n.current_term()) {
                let first = *self.leaders.entry(n.current_term()).or_insert(i);
                if first != i {
                    let (a, b) = (node_name(nodes[first].as_ref().node_id()), node_name(n.node_id()));
                    let detail = format!("{a} and {b} were both leader in term {}", n.current_term());
                    self.report(now, ELECTION_SAFETY, vec![a, b], None, detail);
                }
            }
            // commitIndex monotonicity.
            if n.commit_index() < self.commit_seen[i] {
                let detail = format!(
                    "{}'s commitIndex went from {} down to {}",
                    name(n.node_id()),
                    self.commit_seen[i],
                    n.commit_index()
                );
                self.report(now, COMMIT_MONOTONIC, vec![node_name(n.node_id())], None, detail);
            }
            self.commit_seen[i] = n.commit_index();
        }
        for &i in which {
            if let Some(from) = self.changed[i] {
                self.check_log_matching(now, nodes, i, from);
                self.check_committed_kept(now, nodes[i].as_ref(), i, from);
            }
        }
        for &i in which {
            self.check_committed(now, nodes, i);
        }
        for &i in which {
            let n = nodes[i].as_ref();
            if n.role() == Role::Leader && self.leader_checked[i] != Some(n.current_term()) {
                self.leader_checked[i] = Some(n.current_term());
                for index in 1..=self.committed.len() {
                    self.check_leader_has(now, n, index);
                }
            }
        }
    }

    /// Log Matching, inductively: for every index `k` where two logs hold entries of the same
    /// term, the commands agree and the terms at `k − 1` agree too. Holding at every index is
    /// equivalent to the property; only indexes from `from` on can have changed for node `a`.
    /// Entries inside a snapshot are compacted away; only entries both logs still hold are
    /// compared (snapshots hold committed entries only, which the commit checks cover).
    fn check_log_matching<N: AsRef<ConsensusProtocol>>(&mut self, now: Micros, nodes: &[N], a: usize, from: LogIndex) {
        let na = nodes[a].as_ref();
        for (b, nb) in nodes.iter().map(AsRef::as_ref).enumerate() {
            if b == a {
                continue;
            }
            let start = from.max(1).max(na.snapshot().index + 1).max(nb.snapshot().index + 1);
            let end = na.last_log_index().min(nb.last_log_index());
            for k in start..=end {
                let (Some(ea), Some(eb)) = (na.entry(k), nb.entry(k)) else { continue };
                if ea.term != eb.term {
                    continue;
                }
                let prev_differs = match (na.term_at(k - 1), nb.term_at(k - 1)) {
                    (Some(x), Some(y)) => x != y,
                    _ => false,
                };
                if ea.command != eb.command || prev_differs {
                    let (ia, ib) = (node_name(na.node_id()), node_name(nb.node_id()));
                    let detail = format!(
                        "{ia} and {ib} both hold an entry of term {} at index {k} but their logs differ at or before it",
                        ea.term
                    );
                    self.report(now, LOG_MATCHING, vec![ia, ib], Some(k), detail);
                    break;
                }
            }
        }
    }

    /// Node `i` wrote its log from index `from` on: entries it already knew committed there must
    /// still be the committed ones.
    fn check_committed_kept(&mut self, now: Micros, n: &ConsensusProtocol, i: usize, from: LogIndex) {
        let known = self.commit_checked[i];
        for index in from.max(1)..=known {
            let c = &self.committed[index as usize - 1];
            if index <= n.snapshot().index {
                continue; // in its snapshot: applied and kept
            }
            let held = n.entry(index);
            if !held.is_some_and(|e| e.term == c.term && e.command == c.command) {
                let what = held.map_or("no entry".to_string(), |e| format!("(term {}, {})", e.term, e.command));
                let detail = format!(
                    "{} knew index {index} (term {}, {}) committed but now holds {what} there",
                    name(n.node_id()),
                    c.term,
                    c.command
                );
                self.report(now, COMMITTED_KEPT, vec![node_name(n.node_id())], Some(index), detail);
                break;
            }
        }
    }

    /// Records entries newly covered by node `i`'s commitIndex, and checks they agree with what
    /// other servers committed (State Machine Safety) and that current leaders of later terms
    /// hold them (Leader Completeness).
    fn check_committed<N: AsRef<ConsensusProtocol>>(&mut self, now: Micros, nodes: &[N], i: usize) {
        let n = nodes[i].as_ref();
        let upto = n.commit_index().min(n.last_log_index());
        while self.commit_checked[i] < upto {
            let index = self.commit_checked[i] as usize + 1;
            let Some(e) = n.entry(index as LogIndex) else {
                // Inside the node's snapshot: entries that were committed (and checked) when
                // some server held them.
                if index > self.committed.len() {
                    break;
                }
                self.commit_checked[i] += 1;
                continue;
            };
            self.commit_checked[i] += 1;
            match self.committed.get(index - 1) {
                Some(c) if c.term == e.term && c.command == e.command => {}
                Some(c) => {
                    let detail = format!(
                        "{} committed (term {}, {}) at index {index}, another server committed (term {}, {})",
                        name(n.node_id()),
                        e.term,
                        e.command,
                        c.term,
                        c.command
                    );
                    self.report(now, STATE_MACHINE_SAFETY, vec![node_name(n.node_id())], Some(index as LogIndex), detail);
                }
                None => {
                    // Entries are committed in index order, so this is the next one.
                    self.committed.push(Committed {
                        term: e.term,
                        command: e.command.clone(),
                        seen_in_term: n.current_term(),
                    });
                    for l in nodes.iter().map(AsRef::as_ref).filter(|l| l.role() == Role::Leader) {
                        self.check_leader_has(now, l, index);
                    }
                }
            }
        }
    }

    fn check_leader_has(&mut self, now: Micros, leader: &ConsensusProtocol, index: usize) {
        let c = &self.committed[index - 1];
        if leader.current_term() <= c.seen_in_term {
            return;
        }
        let holds = index as LogIndex <= leader.snapshot().index
            || leader.entry(index as LogIndex).is_some_and(|e| e.term == c.term && e.command == c.command);
        if !holds {
            let detail = format!(
                "{} leads term {} without the entry (term {}) committed at index {index} in term {}",
                name(leader.node_id()),
                leader.current_term(),
                c.term,
                c.seen_in_term
            );
            self.report(now, LEADER_COMPLETENESS, vec![node_name(leader.node_id())], Some(index as LogIndex), detail);
        }
    }
}

impl AsRef<ConsensusProtocol> for RaftNode {
    fn as_ref(&self) -> &ConsensusProtocol {
        &self.core
    }
}

impl Invariants<Raft> for Checker {
    fn new(nodes: usize) -> Self {
        Checker::new(nodes)
    }
    fn add_node(&mut self) {
        Checker::add_node(self)
    }
    fn on_restart(&mut self, node: Index) {
        Checker::on_restart(self, node)
    }
    fn on_decide(&mut self, now: Micros, node: Index, entry: &LogEntry) {
        self.on_apply(now, &crate::protocol::name(node), entry)
    }
    fn check(&mut self, now: Micros, nodes: &mut [RaftNode], touched: &[Index]) {
        // Only the touched nodes' slots are read; they are cleared again after the check.
        if self.changed.len() < nodes.len() {
            self.changed.resize(nodes.len(), None);
        }
        for &i in touched {
            self.changed[i] = nodes[i].core.take_log_changed_from();
        }
        self.check_from(now, nodes, touched);
        for &i in touched {
            self.changed[i] = None;
        }
    }
    fn violations(&self) -> &[Violation] {
        Checker::violations(self)
    }
    fn decided(&self) -> u64 {
        self.committed_len()
    }
}
