//! Clients of the replicated key-value store ([`crate::kv`]) inside the simulation.
//!
//! Each client issues one operation at a time to the node it believes leads, waits for the
//! answer, and on a timeout or a redirect retries the same command (same client id and seq) at
//! another node; the store's sessions make the retry take effect once (dissertation §6.3). A
//! client remembers the node that answered it (it leads, when one answer is enough) and sends
//! its next operation there; a timeout is the timeout of one attempt of one operation (its seq
//! and attempt), so an old operation's timer never cuts a later one short.
//! Clients sit outside the cluster: their messages take the network's latency but no partition
//! or loss applies to them. Every operation is recorded in a history, with its call and return
//! times, for the linearizability check.

use rand::Rng;

use super::{view::SimNote, Micros, Scheduled, Simulation, Text};
use crate::kv::{ClientId, Command, Op, Output};
use crate::protocol::{ClientCall, Invariants, NodeId, Protocol, Violation};

/// Client workload settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Number of clients, ids 1 ..= clients.
    pub clients: usize,
    /// Operations each client issues before it stops (None: no end).
    pub ops_per_client: Option<u64>,
    /// The keys operations pick from, uniformly.
    pub keys: Vec<String>,
    /// How long a client waits for an answer before retrying elsewhere, µs.
    pub timeout_us: Micros,
    /// Pause between an answer and the client's next operation, µs (drawn from 0 ..= this).
    pub think_us: Micros,
    /// The share of operations that are reads (gets), the rest drawn from the other kinds
    /// as usual; None: the usual mix (7 in 20 are gets). A read-heavy client lingers at a
    /// leader that can no longer commit, where a stale read shows (issue #16 §1).
    pub read_share: Option<f64>,
    /// Whether a client keeps two nodes, one for its reads and one for its other operations,
    /// each the one that last answered such an operation, and leaves it only when it fails the
    /// client (a timeout or a redirect), as a client with a connection for each does. A reader
    /// then stays with a node that answers reads on its own while the client's writes go
    /// elsewhere. False: one node for all (the last that answered).
    pub reads_stay: bool,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            clients: 3,
            ops_per_client: None,
            keys: vec!["x".into(), "y".into()],
            timeout_us: 200_000,
            think_us: 20_000,
            read_share: None,
            reads_stay: false,
        }
    }
}

/// One operation as a client saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryOp {
    /// The client.
    pub client: ClientId,
    /// The operation.
    pub op: Op,
    /// When the client first sent it, µs.
    pub call_us: Micros,
    /// When the answer arrived, µs; None when none came before the run ended (it may or may
    /// not have taken effect).
    pub return_us: Option<Micros>,
    /// The answer, when one came.
    pub output: Option<Output>,
}

#[derive(Clone, Debug)]
struct Pending {
    seq: u64,
    op: Op,
    /// Index of the operation in the history.
    history: usize,
    /// Bumped at every send, so a stale timeout is ignored.
    attempt: u32,
    /// The answers so far, by node (when the protocol's `client_quorum` is above 1).
    answers: Vec<(NodeId, Output)>,
}

#[derive(Clone, Debug)]
struct Client {
    id: ClientId,
    seq: u64,
    issued: u64,
    /// The node it sends its next operation to; with [`Workload::reads_stay`], `[1]` for reads.
    guess: [usize; 2],
    stay: bool,
    pending: Option<Pending>,
}

impl Client {
    /// Which of `guess` the pending operation uses.
    fn path(&self) -> usize {
        usize::from(self.stay && matches!(self.pending, Some(Pending { op: Op::Get { .. }, .. })))
    }
}

/// A message between a client and a node (clients are outside the cluster).
#[derive(Clone, Debug)]
pub(super) enum ClientMsg {
    /// A client's command reaches a node.
    Request { client: usize, node: usize, command: Command },
    /// Node `from` answers a client: the output, or a redirect to the leader it knows (if any).
    Reply { client: usize, from: NodeId, seq: u64, answer: Result<Output, Option<usize>> },
    /// A client's timer: start the next operation, or give up on `attempt` (operation seq,
    /// attempt number) and retry.
    Tick { client: usize, attempt: Option<(u64, u32)> },
}

/// The clients and their history.
#[derive(Clone, Debug, Default)]
pub(super) struct Clients {
    workload: Option<Workload>,
    clients: Vec<Client>,
    pub(super) history: Vec<HistoryOp>,
    /// The incremental linearizability check of `history` (off unless asked for).
    pub(super) linearizable: super::linearizable::Linearizability,
    /// Messages scheduled, by id.
    pub(super) messages: crate::collections::Map<u64, ClientMsg>,
    next_id: u64,
}

impl Clients {
    pub(super) fn new() -> Self {
        Clients::default()
    }
}

impl<P: Protocol> Simulation<P> {
    /// Starts a client workload (replacing any running one; the history so far is kept).
    pub fn start_clients(&mut self, workload: Workload) {
        let n = self.nodes.len();
        let first = self.clients.clients.len();
        for k in 0..workload.clients {
            let id = (first + k + 1) as ClientId;
            let guess = self.rng.random_range(0..n);
            self.clients.clients.push(Client { id, seq: 0, issued: 0, guess: [guess; 2], stay: workload.reads_stay, pending: None });
            let at = self.now + self.rng.random_range(0..=workload.think_us);
            self.schedule_client(at, ClientMsg::Tick { client: first + k, attempt: None });
        }
        self.clients.workload = Some(workload);
    }

    /// Stops the workload: no client starts another operation (answers still arrive).
    pub fn stop_clients(&mut self) {
        self.clients.workload = None;
    }

    /// Whether a client workload is running.
    pub fn clients_running(&self) -> bool {
        self.clients.workload.is_some()
    }

    /// Whether a running client sends its next read to node `i`.
    pub fn client_reads_from(&self, i: NodeId) -> bool {
        self.clients.workload.is_some() && self.clients.clients.iter().any(|c| c.guess[usize::from(c.stay)] == i)
    }

    /// Every client operation so far, in order of call.
    pub fn history(&self) -> &[HistoryOp] {
        &self.clients.history
    }

    /// Checks from now on, as each answer arrives, that the client history is linearizable
    /// (the history so far included); [`Self::history_violations`] has what it finds. Off by
    /// default: the CLI checks the whole history at the end instead ([`crate::lincheck`]).
    pub fn check_history(&mut self) {
        let clients = &mut self.clients;
        clients.linearizable.enable(&clients.history);
    }

    /// What the check of [`Self::check_history`] found: the first answer that made the client
    /// history not linearizable, if any (rule `Linearizability`).
    pub fn history_violations(&self) -> &[Violation] {
        &self.clients.linearizable.found
    }

    pub(super) fn schedule_client(&mut self, at: Micros, msg: ClientMsg) {
        let id = self.clients.next_id;
        self.clients.next_id += 1;
        self.clients.messages.insert(id, msg);
        self.schedule(at, Scheduled::Client(id));
    }

    pub(super) fn client_latency(&mut self) -> Micros {
        let (lo, hi) = self.network.latency_us;
        self.rng.random_range(lo..=hi)
    }

    /// Handles a client event; returns the seq of the event record, if it wrote one.
    pub(super) fn client_event(&mut self, id: u64) -> Option<u64> {
        match self.clients.messages.remove(&id)? {
            ClientMsg::Tick { client, attempt } => self.client_tick(client, attempt),
            ClientMsg::Request { client, node, command } => Some(self.client_request_arrives(client, node, command)),
            ClientMsg::Reply { client, from, seq, answer } => self.client_reply(client, from, seq, answer),
        }
    }

    fn client_tick(&mut self, c: usize, attempt: Option<(u64, u32)>) -> Option<u64> {
        let workload = self.clients.workload.clone()?;
        let n = self.nodes.len();
        match attempt {
            None if self.clients.clients[c].pending.is_none() => {
                let cl = &self.clients.clients[c];
                if workload.ops_per_client.is_some_and(|max| cl.issued >= max) {
                    return None;
                }
                let key = workload.keys[self.rng.random_range(0..workload.keys.len())].clone();
                let v = |rng: &mut rand_pcg::Pcg64Mcg| rng.random_range(0..5u32).to_string();
                let kind = match workload.read_share {
                    None => self.rng.random_range(0..20u32),
                    Some(p) if super::chance(&mut self.rng, p) => 5,
                    // (the other kinds, in their usual proportions: 0..=4 and 12..=19)
                    Some(_) => match self.rng.random_range(0..13u32) {
                        r @ 0..=4 => r,
                        r => r + 7,
                    },
                };
                let op = match kind {
                    0..=4 => Op::Put { key, value: v(&mut self.rng) },
                    5..=11 => Op::Get { key },
                    12..=15 => Op::Cas { key, from: v(&mut self.rng), to: v(&mut self.rng) },
                    _ => Op::Increment { key },
                };
                let cl = &mut self.clients.clients[c];
                cl.seq += 1;
                cl.issued += 1;
                let history = self.clients.history.len();
                self.clients.history.push(HistoryOp { client: cl.id, op: op.clone(), call_us: self.now, return_us: None, output: None });
                cl.pending = Some(Pending { seq: cl.seq, op, history, attempt: 0, answers: Vec::new() });
                self.clients.linearizable.called(&self.clients.history, history);
                Some(self.client_send(c))
            }
            Some((seq, a)) if self.clients.clients[c].pending.as_ref().is_some_and(|p| p.seq == seq && p.attempt == a) => {
                // No answer in time: try the next node.
                let cl = &mut self.clients.clients[c];
                let k = cl.path();
                cl.guess[k] = (cl.guess[k] + 1) % n;
                Some(self.client_send(c))
            }
            _ => None,
        }
    }

    fn client_send(&mut self, c: usize) -> u64 {
        let timeout = self.clients.workload.as_ref().map_or(200_000, |w| w.timeout_us);
        let n = self.nodes.len();
        // A client that needs several matching answers sends a retry to every node (as Castro & Liskov §4.1 has it).
        let broadcast = self.proto.client_quorum(n) > 1;
        let cl = &mut self.clients.clients[c];
        let node = cl.guess[cl.path()];
        let p = cl.pending.as_mut().expect("a client sends only a pending operation");
        p.attempt += 1;
        let (seq, attempt) = (p.seq, p.attempt);
        let command = Command { client: cl.id, seq: p.seq, op: p.op.clone() };
        let note = SimNote::ClientSends { client: cl.id, op: command.op.clone(), seq: p.seq, attempt };
        if broadcast && attempt > 1 {
            for other in (0..n).filter(|&i| i != node) {
                let at = self.now + self.client_latency();
                self.schedule_client(at, ClientMsg::Request { client: c, node: other, command: command.clone() });
            }
        }
        let at = self.now + self.client_latency();
        self.schedule_client(at, ClientMsg::Request { client: c, node, command });
        self.schedule_client(self.now + timeout, ClientMsg::Tick { client: c, attempt: Some((seq, attempt)) });
        self.record("client", Some(node), None, Text::Sim(note))
    }

    fn client_request_arrives(&mut self, c: usize, i: NodeId, command: Command) -> u64 {
        let id = self.clients.clients[c].id;
        let node = &self.nodes[i];
        if node.crashed || node.paused {
            let note = SimNote::ClientLost { client: id, crashed: node.crashed };
            return self.record("client", Some(i), None, Text::Sim(note));
        }
        let call = ClientCall { client: c, id, command };
        self.act(i, |p, n, cx, out| p.on_client(n, cx, call, out)).expect("a protocol notes every client request it gets")
    }

    fn client_reply(&mut self, c: usize, from: NodeId, seq: u64, answer: Result<Output, Option<usize>>) -> Option<u64> {
        let n = self.nodes.len();
        let think = self.clients.workload.as_ref().map_or(0, |w| w.think_us);
        let quorum = self.proto.client_quorum(n);
        let cl = &mut self.clients.clients[c];
        if cl.pending.as_ref().map_or(true, |p| p.seq != seq) {
            return None; // an answer to an attempt already answered
        }
        match answer {
            Ok(output) => {
                let mut vouched = vec![from];
                if quorum > 1 {
                    // Wait for `quorum` nodes to send the same output (one answer per node).
                    let p = cl.pending.as_mut().expect("checked above");
                    if p.answers.iter().any(|(k, _)| *k == from) {
                        return None;
                    }
                    p.answers.push((from, output.clone()));
                    vouched = p.answers.iter().filter(|(_, o)| *o == output).map(|(k, _)| *k).collect();
                    if vouched.len() < quorum {
                        return None;
                    }
                    crate::collections::sort_small(&mut vouched);
                }
                let k = cl.path();
                let p = cl.pending.take().expect("checked above");
                if quorum == 1 {
                    // It answered: it leads (or did). The next operation goes there.
                    cl.guess[k] = from;
                }
                let id = cl.id;
                self.checker.on_client_accept(self.now, id, seq, &output, &vouched);
                let h = &mut self.clients.history[p.history];
                h.return_us = Some(self.now);
                h.output = Some(output.clone());
                let note = SimNote::ClientGets { client: id, op: p.op.clone(), output: output.clone() };
                let next = self.now + self.rng.random_range(0..=think);
                self.schedule_client(next, ClientMsg::Tick { client: c, attempt: None });
                let record = self.record("client", None, None, Text::Sim(note));
                if self.clients.linearizable.on {
                    let names = vouched.iter().map(|&i| self.names[i].clone()).collect();
                    if self.clients.linearizable.answered(&self.clients.history, p.history, self.now, names) {
                        let v = &self.clients.linearizable.found[0];
                        let note = SimNote::Violation { rule: v.rule, detail: v.detail.clone() };
                        self.record("violation", None, None, Text::Sim(note));
                    }
                }
                Some(record)
            }
            Err(redirect) => {
                let k = cl.path();
                cl.guess[k] = redirect.unwrap_or((cl.guess[k] + 1) % n);
                Some(self.client_send(c))
            }
        }
    }
}
