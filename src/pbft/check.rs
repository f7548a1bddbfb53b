//! PBFT's invariants over the honest replicas (Castro & Liskov, OSDI 1999 §4.5, TOCS §4.5),
//! checked after every simulator event. A replica the simulator ever made a traitor is not
//! judged ([`Invariants::set_byzantine`]).

use crate::collections::{Map, Set};

use crate::kv::{ClientId, Output};
use crate::protocol::{node_name, Invariants, Micros, NodeId, Violation};

use super::digests::ByDigest;
use super::msg::{Digest, Seq, View};
use super::node::Trail;
use super::sim::{Decision, Pbft, PbftNode};

/// No two honest replicas execute, or commit-local, different requests at one sequence number,
/// in any views (§4.5.1 safety).
pub const AGREEMENT: &str = "Agreement";
/// Each honest replica executes sequence numbers in order, with no gap: with Agreement, their
/// executed sequences are prefixes of one sequence.
pub const PREFIX: &str = "Prefix Order";
/// Every executed request came from a client, and takes effect at most once (§4.1).
pub const FROM_CLIENTS: &str = "Requests From Clients";
/// A request committed at an honest replica in view v is re-proposed with the same digest at
/// the same sequence number by every later NewView an honest replica accepts (§4.4).
pub const VIEW_CHANGE_SAFETY: &str = "View-Change Safety";
/// An honest replica accepts pre-prepares, prepares and commits only between its watermarks
/// (§4.3).
pub const WATERMARKS: &str = "Watermarks";
/// A client accepts only a result an honest replica produced for its request (§4.1: f + 1
/// matching replies).
pub const CLIENT_RESULT: &str = "Client Result";

/// Invariant state carried between events.
#[derive(Clone, Debug)]
pub struct Checker {
    traitor: Vec<bool>,
    /// seq → (digest, the first honest replica that executed it).
    executed: Map<Seq, (Digest, NodeId)>,
    next: Vec<Seq>,
    /// Every request's digest clients sent (not a [`Set`]: there can be tens of thousands, see
    /// [`ByDigest`]).
    requested: ByDigest<()>,
    /// Per replica, the (client, timestamp) it executed (not as a duplicate).
    once: Vec<Set<(String, u64)>>,
    /// seq → (view, digest) of commits at honest replicas.
    committed: Map<Seq, Vec<(View, Digest)>>,
    /// (client id, seq) → the output honest replicas produced.
    results: Map<(ClientId, u64), Output>,
    decided: u64,
    violations: Vec<Violation>,
}

impl Checker {
    /// Records a violation, the first of each rule; `seq` is the sequence number it is about, if any.
    fn report(&mut self, now: Micros, rule: &'static str, nodes: Vec<NodeId>, seq: Option<Seq>, detail: String) {
        if self.violations.iter().any(|v| v.rule == rule) {
            return;
        }
        self.violations.push(Violation { rule, nodes: nodes.into_iter().map(node_name).collect(), time_us: now, detail, index: seq });
    }

    /// seq → the digest honest replicas executed there.
    pub fn executed(&self) -> impl Iterator<Item = (Seq, Digest)> + '_ {
        self.executed.iter().map(|(s, (d, _))| (*s, *d))
    }
}

impl Invariants<Pbft> for Checker {
    fn new(nodes: usize) -> Self {
        Checker {
            traitor: vec![false; nodes],
            executed: Map::new(),
            next: vec![1; nodes],
            requested: ByDigest::new(),
            once: vec![Set::new(); nodes],
            committed: Map::new(),
            results: Map::new(),
            decided: 0,
            violations: Vec::new(),
        }
    }
    fn add_node(&mut self) {
        self.traitor.push(false);
        self.next.push(1);
        self.once.push(Set::new());
    }
    /// A replica's state survives a crash: nothing to forget.
    fn on_restart(&mut self, _node: NodeId) {}
    fn set_byzantine(&mut self, node: NodeId, traitor: bool) {
        if traitor {
            self.traitor[node] = true;
        }
    }
    fn on_decide(&mut self, now: Micros, i: NodeId, d: &Decision) {
        if self.traitor[i] {
            return;
        }
        if d.seq != self.next[i] {
            let detail = format!("{} executed sequence number {} after {}", node_name(i), d.seq, self.next[i] - 1);
            self.report(now, PREFIX, vec![i], Some(d.seq), detail);
        }
        self.next[i] = d.seq + 1;
        match self.executed.get(&d.seq) {
            Some(&(other, j)) if other != d.digest => {
                let detail = format!("{} and {} executed different requests at sequence number {} (digests {:x} and {:x})", node_name(j), node_name(i), d.seq, other, d.digest);
                self.report(now, AGREEMENT, vec![j, i], Some(d.seq), detail);
            }
            Some(_) => {}
            None => {
                self.executed.insert(d.seq, (d.digest, i));
                self.decided += 1;
            }
        }
        if let Some(r) = &d.request {
            if !self.requested.contains_key(&d.digest) {
                let detail = format!("{} executed a request no client sent ({} at {})", node_name(i), r.operation, d.seq);
                self.report(now, FROM_CLIENTS, vec![i], Some(d.seq), detail);
            }
            if !d.duplicate && !self.once[i].insert((r.client.clone(), r.timestamp)) {
                let detail = format!("{} executed request {} of {} twice", node_name(i), r.timestamp, r.client);
                self.report(now, FROM_CLIENTS, vec![i], Some(d.seq), detail);
            }
            if let (Some(id), Some(o)) = (r.client.strip_prefix('c').and_then(|c| c.parse::<ClientId>().ok()), &d.output) {
                self.results.entry((id, r.timestamp)).or_insert_with(|| o.clone());
            }
        }
    }
    fn on_client_accept(&mut self, now: Micros, client: ClientId, seq: u64, output: &Output, from: &[NodeId]) {
        if self.results.get(&(client, seq)) != Some(output) {
            let detail = format!(
                "client {client} accepted {:?} for its request {seq} on the word of {}, but no honest replica produced it",
                output.value,
                from.iter().map(|k| node_name(*k)).collect::<Vec<_>>().join(", ")
            );
            self.report(now, CLIENT_RESULT, from.to_vec(), None, detail);
        }
    }
    fn check(&mut self, now: Micros, nodes: &mut [PbftNode], touched: &[NodeId]) {
        for &i in touched {
            let trail = std::mem::take(&mut nodes[i].core.trail);
            for t in trail {
                match t {
                    // Requests are genuine whoever received them: the simulator's clients
                    // and proposals by hand hand them in.
                    Trail::Requested(d) => {
                        self.requested.insert(d, ());
                    }
                    _ if self.traitor[i] => {}
                    Trail::Committed(v, s, d) => {
                        // Committed-local requests agree across honest replicas, in any views
                        // (§4.5.1).
                        if let Some(&(cv, cd)) = self.committed.get(&s).and_then(|cs| cs.iter().find(|(_, x)| *x != d)) {
                            let detail = format!("{} committed digest {d:x} at sequence number {s} in view {v}, where digest {cd:x} was committed in view {cv}", node_name(i));
                            self.report(now, AGREEMENT, vec![i], Some(s), detail);
                        }
                        self.committed.entry(s).or_default().push((v, d));
                    }
                    Trail::InWindow(s, low, high) => {
                        if s <= low || s > high {
                            self.report(now, WATERMARKS, vec![i], Some(s), format!("{} accepted sequence number {s} outside its watermarks {low}–{high}", node_name(i)));
                        }
                    }
                    Trail::NewView(v, h, pps) => {
                        let mut placed: Map<Seq, Digest> = Map::new();
                        for (s, d) in pps {
                            placed.insert(s, d);
                        }
                        let lost: Vec<(Seq, View, Digest)> = self
                            .committed
                            .iter()
                            .filter(|(s, _)| **s > h)
                            .flat_map(|(s, cs)| cs.iter().filter(|(cv, _)| *cv < v).map(move |(cv, d)| (*s, *cv, *d)))
                            .filter(|(s, _, d)| placed.get(s) != Some(d))
                            .collect();
                        if let Some((s, cv, d)) = lost.first() {
                            let now_there = placed.get(s).map_or("nothing".to_string(), |x| format!("digest {x:x}"));
                            let detail = format!("{} entered view {v} with {now_there} at sequence number {s}, where digest {d:x} was committed in view {cv}", node_name(i));
                            self.report(now, VIEW_CHANGE_SAFETY, vec![i], Some(*s), detail);
                        }
                    }
                }
            }
        }
    }
    fn violations(&self) -> &[Violation] {
        &self.violations
    }
    fn decided(&self) -> u64 {
        self.decided
    }
}
