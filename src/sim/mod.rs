//! A deterministic discrete-event simulator for the Raft core.
//!
//! The simulator owns everything the core does not: time (integer µs), the network (per-message
//! latency drawn from a seeded RNG, loss, messages a user drops), timers (election timeouts,
//! heartbeats), crashes and restarts, client requests, and the invariant [`check`]er, run after
//! every event. It never reads a clock or an OS RNG: the same [`Config`] and the same calls give
//! the same events, bit for bit.
//!
//! Events are handled in order of time, ties in order of scheduling. Names follow stateright's
//! environment: a message is delivered or lost, a timer fires, a node crashes and restarts.

pub mod chaos;
pub mod check;
mod clients;
pub mod experiments;
pub mod config;
pub mod network;
pub mod view;

use std::cmp::Reverse;
use crate::collections::Map;
use std::collections::{BinaryHeap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

pub use check::{Checker, Violation};
pub use clients::{HistoryOp, Workload};
pub use config::{Config, Micros};
pub use network::Network;
pub use view::{ClientReply, EventView, MessageView, NodeView, Stats};

use crate::raft::{
    AppendDecision, Bugs, InstallSnapshotArgs, InstallSnapshotReply, TimeoutNowArgs, AppendEntriesArgs, AppendEntriesReply, AppendEntriesRequest, ConsensusProtocol,
    Error, NodeId, RequestVoteArgs, RequestVoteReply, Result, Role, VoteDecision,
};

/// How many recent events [`Simulation::events_since`] can return.
pub const EVENT_LOG_CAPACITY: usize = 500;

/// A message's contents: one of Raft's two RPCs or their results (Raft paper Figure 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A candidate asks for a vote.
    RequestVote(RequestVoteArgs),
    /// A would-be candidate asks whether it would get a vote (dissertation §9.6).
    PreVote(RequestVoteArgs),
    /// A server answers a PreVote.
    PreVoteResponse(RequestVoteReply),
    /// A leader handing over tells its chosen successor to start an election now (§3.10).
    TimeoutNow(TimeoutNowArgs),
    /// A leader sends its snapshot to a follower that needs compacted entries (§7).
    InstallSnapshot(InstallSnapshotArgs),
    /// The follower answers.
    InstallSnapshotResponse(InstallSnapshotReply),
    /// A voter answers.
    RequestVoteResponse(RequestVoteReply),
    /// A leader replicates entries or sends a heartbeat.
    AppendEntries(AppendEntriesArgs),
    /// A follower answers.
    AppendEntriesResponse(AppendEntriesReply),
}

impl Payload {
    /// Whether this answers a request rather than makes one.
    pub fn is_reply(&self) -> bool {
        matches!(
            self,
            Payload::RequestVoteResponse(_) | Payload::AppendEntriesResponse(_) | Payload::PreVoteResponse(_) | Payload::InstallSnapshotResponse(_)
        )
    }

    /// `"RequestVote"`, `"RequestVoteResponse"`, `"PreVote"`, `"PreVoteResponse"`,
    /// `"TimeoutNow"`, `"InstallSnapshot"`, `"InstallSnapshotResponse"`, `"AppendEntries"` or
    /// `"AppendEntriesResponse"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::RequestVote(_) => "RequestVote",
            Payload::PreVote(_) => "PreVote",
            Payload::PreVoteResponse(_) => "PreVoteResponse",
            Payload::TimeoutNow(_) => "TimeoutNow",
            Payload::InstallSnapshot(_) => "InstallSnapshot",
            Payload::InstallSnapshotResponse(_) => "InstallSnapshotResponse",
            Payload::RequestVoteResponse(_) => "RequestVoteResponse",
            Payload::AppendEntries(_) => "AppendEntries",
            Payload::AppendEntriesResponse(_) => "AppendEntriesResponse",
        }
    }
}

/// A message in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Unique within a simulation, in order of sending.
    pub id: u64,
    /// Sender's index (0 for `n1`).
    pub from: usize,
    /// Receiver's index.
    pub to: usize,
    /// When it was sent, µs.
    pub sent_at: Micros,
    /// When it will be delivered, µs.
    pub deliver_at: Micros,
    /// What it carries.
    pub payload: Payload,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Election,
    Heartbeat,
    CheckQuorum,
    TransferTimeout,
    Flush,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Scheduled {
    Deliver(u64),
    Timer { node: usize, timer: Timer, generation: u64 },
    /// A client event (see [`clients`]), by id.
    Client(u64),
}

#[derive(Clone, Debug)]
struct SimNode {
    raft: ConsensusProtocol,
    crashed: bool,
    /// A frozen process: it handles nothing until resumed; messages wait in `inbox`.
    paused: bool,
    /// Ids of messages that arrived while paused, in arrival order.
    inbox: Vec<u64>,
    /// Replies that were waiting for a stable-storage write (`Config::persist_us`) when the
    /// node paused: a frozen process sends nothing, so they leave on resume.
    outbox: Vec<Message>,
    /// When the running election timer was set, and when it fires (None: no timer, e.g. leader).
    election_timer: Option<(Micros, Micros)>,
    /// Bumped to cancel pending timer events.
    generation: u64,
    /// Left the cluster (a committed configuration no longer names it): shut down for good.
    removed: bool,
    /// The generation a batching flush timer was set in (see `Config::batch_us`); the timer is
    /// pending while that is still the node's generation.
    flush_pending: Option<u64>,
}

impl SimNode {
    /// A running follower `id` with an empty log, following `members`, with the config's bugs
    /// and batch size.
    fn new(config: &Config, id: &str, members: Vec<NodeId>) -> Self {
        let mut raft = ConsensusProtocol::new(id, members).expect("simulated ids are distinct and non-empty");
        raft.set_bugs(config.bugs);
        raft.set_max_entries_per_append(config.max_entries_per_append);
        SimNode {
            raft,
            crashed: false,
            paused: false,
            inbox: Vec::new(),
            outbox: Vec::new(),
            removed: false,
            flush_pending: None,
            election_timer: None,
            generation: 0,
        }
    }
}

/// The simulation: a Raft cluster `n1` … `nN`, its network and its clock.
#[derive(Clone, Debug)]
pub struct Simulation {
    config: Config,
    network: Network,
    rng: Pcg64Mcg,
    now: Micros,
    seq: u64,
    queue: BinaryHeap<Reverse<(Micros, u64, Scheduled)>>,
    ids: Vec<NodeId>,
    nodes: Vec<SimNode>,
    in_flight: Map<u64, Message>,
    next_message_id: u64,
    checker: Checker,
    stats: Stats,
    /// Since when no running server has been leader (None while one is): `Stats::leaderless_*`.
    leaderless_since: Option<Micros>,
    events: VecDeque<EventView>,
    event_seq: u64,
    clients: clients::Clients,
}

fn ms(us: Micros) -> f64 {
    us as f64 / 1000.0
}

/// True with probability `p` (0–1; the rates are checked by [`Config::validate`], and a `p`
/// outside 0–1 gives false). Draws from `rng` exactly as `Rng::random_bool` does (same
/// stream, same outcomes: the test below holds it to that), without its out-of-range panic,
/// whose message formats a float and so linked all of float formatting into the wasm
/// (~8.6 KB gzip).
pub(crate) fn chance(rng: &mut Pcg64Mcg, p: f64) -> bool {
    rand::distr::Bernoulli::new(p).is_ok_and(|b| rng.sample(b))
}

impl Simulation {
    /// A cluster of followers in term 0, each with an election timer drawn from the config.
    ///
    /// Errors: the config breaks a rule of [`Config::validate`].
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let n = config.nodes;
        let ids: Vec<NodeId> = (1..=n).map(|i| format!("n{i}")).collect();
        let nodes = ids.iter().map(|id| SimNode::new(&config, id, ids.clone())).collect();
        let mut sim = Simulation {
            rng: Pcg64Mcg::seed_from_u64(config.seed),
            checker: Checker::new(config.nodes),
            network: Network::new(config.latency_us, config.drop_rate, config.duplicate_rate),
            config,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            ids,
            nodes,
            in_flight: Map::new(),
            next_message_id: 1,
            stats: Stats::default(),
            leaderless_since: Some(0),
            events: VecDeque::new(),
            event_seq: 0,
            clients: clients::Clients::new(n),
        };
        for i in 0..sim.nodes.len() {
            sim.reset_election_timer(i);
        }
        Ok(sim)
    }

    // ---- queries ------------------------------------------------------------------------

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// Simulated time, µs.
    pub fn now(&self) -> Micros {
        self.now
    }
    /// Node ids, `n1` … `nN`.
    pub fn ids(&self) -> &[NodeId] {
        &self.ids
    }
    /// The Raft state of node `i` (0-based).
    pub fn node(&self, i: usize) -> &ConsensusProtocol {
        &self.nodes[i].raft
    }
    /// Whether node `i` is crashed.
    pub fn is_crashed(&self, i: usize) -> bool {
        self.nodes[i].crashed
    }
    /// Whether node `i` has left the cluster (shut down after its removal committed).
    pub fn is_removed(&self, i: usize) -> bool {
        self.nodes[i].removed
    }
    /// Whether node `i` is paused (frozen).
    pub fn is_paused(&self, i: usize) -> bool {
        self.nodes[i].paused
    }
    /// The network as it is now (latency, loss, duplication, cut links).
    pub fn network(&self) -> &Network {
        &self.network
    }
    /// Messages in flight, in order of id.
    pub fn in_flight(&self) -> impl Iterator<Item = &Message> {
        self.in_flight.values()
    }
    /// Safety violations found so far: empty when safe.
    pub fn violations(&self) -> &[Violation] {
        self.checker.violations()
    }
    /// Counters since the start.
    pub fn stats(&self) -> Stats {
        Stats { committed: self.checker.committed_len(), ..self.stats }
    }
    /// The index of node `id`. Errors: `param` names the argument, the rule lists the ids.
    pub fn index_of(&self, param: &str, id: &str) -> Result<usize> {
        self.ids.iter().position(|x| x == id).ok_or_else(|| {
            Error::invalid(param, format!("must be a node id, n1 to n{} (\"{id}\" is not)", self.ids.len()))
        })
    }
    /// The leader of the highest term among running nodes, if any.
    pub fn leader(&self) -> Option<usize> {
        (0..self.nodes.len())
            .filter(|i| !self.nodes[*i].crashed && self.nodes[*i].raft.role() == Role::Leader)
            .max_by_key(|i| self.nodes[*i].raft.current_term())
    }
    /// The next event's time, µs, if any is pending (cancelled timers and dropped messages are
    /// skipped when reached, so this may be earlier than the next event [`step`](Self::step) handles).
    pub fn next_event_at(&self) -> Option<Micros> {
        self.queue.peek().map(|Reverse((t, _, _))| *t)
    }
    /// Events with `seq > after`, oldest first; only the last [`EVENT_LOG_CAPACITY`] are kept.
    pub fn events_since(&self, after: u64) -> impl Iterator<Item = &EventView> {
        self.events.iter().filter(move |e| e.seq > after)
    }

    // ---- driving --------------------------------------------------------------------------

    /// Handles the next pending event and returns its record, or None when nothing is pending
    /// (every node crashed and no message in flight).
    pub fn step(&mut self) -> Option<EventView> {
        self.step_until(Micros::MAX)
    }

    /// [`step`](Self::step), but only for an event due at or before `limit` µs.
    fn step_until(&mut self, limit: Micros) -> Option<EventView> {
        while self.next_event_at().is_some_and(|t| t <= limit) {
            let Reverse((at, _, ev)) = self.queue.pop().expect("peeked");
            self.now = self.now.max(at);
            let handled = match ev {
                Scheduled::Deliver(id) if self.in_flight.get(&id).is_some_and(|m| self.nodes[m.to].paused) => {
                    let to = self.in_flight[&id].to;
                    self.nodes[to].inbox.push(id);
                    None
                }
                Scheduled::Deliver(id) => self.in_flight.remove(&id).map(|m| self.deliver(m)),
                Scheduled::Client(id) => self.client_event(id),
                Scheduled::Timer { node, timer, generation } => {
                    let n = &self.nodes[node];
                    if n.crashed || n.paused || n.generation != generation {
                        None
                    } else {
                        match timer {
                            Timer::Election => Some(self.election_timeout(node, false)),
                            Timer::Heartbeat => self.heartbeat(node),
                            Timer::CheckQuorum => self.check_quorum(node),
                            Timer::TransferTimeout => self.transfer_timeout(node),
                            Timer::Flush => self.flush(node),
                        }
                    }
                }
            };
            if let Some(seq) = handled {
                self.after_event();
                return self.events.iter().rev().find(|e| e.seq == seq).cloned();
            }
        }
        None
    }

    /// Handles every event due at or before `until` µs, then sets the clock to `until` (if later).
    /// Returns the number of events handled.
    pub fn run_until(&mut self, until: Micros) -> u64 {
        let mut handled = 0;
        while self.step_until(until).is_some() {
            handled += 1;
        }
        self.now = self.now.max(until);
        handled
    }

    /// The user starts an election at node `i` now, as if its election timer fired.
    /// Errors: node crashed.
    pub fn start_election(&mut self, i: usize) -> Result<()> {
        self.require_running(i)?;
        self.election_timeout(i, true);
        self.after_event();
        Ok(())
    }

    /// Node `i` crashes (running or paused): it stops handling messages and timers; messages
    /// to it, those waiting for a paused node, and its replies still waiting for a
    /// stable-storage write (`Config::persist_us`) are lost. Errors: already crashed.
    pub fn crash(&mut self, i: usize) -> Result<()> {
        if self.nodes[i].crashed {
            return Err(Error::invalid("id", format!("must name a running node ({} is crashed)", self.ids[i])));
        }
        let n = &mut self.nodes[i];
        n.crashed = true;
        n.paused = false;
        n.generation += 1;
        n.election_timer = None;
        for id in std::mem::take(&mut n.inbox) {
            if self.in_flight.remove(&id).is_some() {
                self.stats.messages_dropped += 1;
            }
        }
        // Replies still waiting for their stable-storage write (`Config::persist_us`), or held
        // by a pause, never leave: the crash came after the write, before the send. The state
        // they report stays on disk, which is safe (Figure 2 only forbids answering before the
        // write).
        let unsent = self.take_unsent(i).len() + std::mem::take(&mut self.nodes[i].outbox).len();
        self.stats.messages_dropped += unsent as u64;
        let text = format!("{} crashes: it keeps currentTerm, votedFor and its log on disk", self.ids[i]);
        self.record("crash", Some(i), None, text);
        self.after_event();
        Ok(())
    }

    /// Node `i` restarts with its persistent state (currentTerm, votedFor, log) and fresh volatile
    /// state (follower, commitIndex 0), and a new election timer. Errors: not crashed.
    pub fn restart(&mut self, i: usize) -> Result<()> {
        if self.nodes[i].removed {
            return Err(Error::invalid("id", format!("must name a crashed node ({} has left the cluster)", self.ids[i])));
        }
        if !self.nodes[i].crashed {
            return Err(Error::invalid("id", format!("must name a crashed node ({} is running)", self.ids[i])));
        }
        let n = &mut self.nodes[i];
        n.crashed = false;
        n.raft.restart();
        self.checker.on_restart(i);
        self.clients_on_restart(i);
        self.reset_election_timer(i);
        let n = &self.nodes[i].raft;
        let text = format!(
            "{} restarts as follower in term {} with {} log entries; commitIndex starts again from 0",
            self.ids[i],
            n.current_term(),
            n.last_log_index()
        );
        self.record("restart", Some(i), None, text);
        self.after_event();
        Ok(())
    }

    /// Removes message `id` from the network, as if it were lost. Errors: no such message in flight.
    pub fn drop_message(&mut self, id: u64) -> Result<()> {
        let m = self
            .in_flight
            .remove(&id)
            .ok_or_else(|| Error::invalid("messageId", format!("must be a message in flight ({id} is not)")))?;
        self.stats.messages_dropped += 1;
        let text = format!("{} from {} to {} is dropped", m.payload.kind(), self.ids[m.from], self.ids[m.to]);
        self.record("drop", Some(m.to), Some(&m), text);
        Ok(())
    }

    /// A client sends `command` (JSON text) to node `to`, or to the current leader when `to` is
    /// None. A leader appends it and replicates it at once (Raft paper §5.3); any other node
    /// refuses and names the leader it knows. Errors: `to` is crashed.
    pub fn client_request(&mut self, command: String, to: Option<usize>) -> Result<ClientReply> {
        let Some(i) = to.or_else(|| self.leader()) else {
            self.record("client", None, None, "A client request finds no leader; it is not accepted".into());
            return Ok(ClientReply { accepted: false, leader: None, index: None });
        };
        if self.nodes[i].paused {
            self.record("client", Some(i), None, format!("{} is paused and does not answer the client", self.ids[i]));
            return Ok(ClientReply { accepted: false, leader: None, index: None });
        }
        self.require_running(i)?;
        match self.leader_append(i, command.clone()) {
            Ok(index) => {
                let how = if self.config.batch_us.is_some() { "batches it for replication" } else { "replicates it" };
                let text = format!("{} appends client command {command} at index {index} and {how}", self.ids[i]);
                self.record("client", Some(i), None, text);
                self.after_event();
                Ok(ClientReply { accepted: true, leader: Some(self.ids[i].clone()), index: Some(index) })
            }
            Err(_) => {
                let leader = self.nodes[i].raft.leader_id().map(str::to_string);
                let text = match &leader {
                    Some(l) => format!("{} is not the leader and redirects the client to {l}", self.ids[i]),
                    None => format!("{} is not the leader and knows no leader; the client must retry", self.ids[i]),
                };
                self.record("client", Some(i), None, text);
                Ok(ClientReply { accepted: false, leader, index: None })
            }
        }
    }

    /// Node `i` freezes, like a process stopped by a debugger or a long GC pause: it handles
    /// no message and no timer, messages to it wait, and replies it had not sent yet (waiting
    /// for a `Config::persist_us` write) wait too. Its state is kept as it was.
    /// Errors: crashed or already paused.
    pub fn pause(&mut self, i: usize) -> Result<()> {
        self.require_running(i)?;
        let outbox = self.take_unsent(i);
        let n = &mut self.nodes[i];
        n.paused = true;
        n.generation += 1;
        n.outbox = outbox;
        let text = format!("{} pauses: it is frozen and handles nothing until it resumes", self.ids[i]);
        self.record("pause", Some(i), None, text);
        self.after_event();
        Ok(())
    }

    /// Paused node `i` wakes with the view it had: a timer that ran out while it slept fires at
    /// once (a leader sends heartbeats at once), and the messages that waited are delivered
    /// now, in the order they arrived. Errors: not paused.
    pub fn resume(&mut self, i: usize) -> Result<()> {
        if !self.nodes[i].paused {
            return Err(Error::invalid("id", format!("must name a paused node ({} is not paused)", self.ids[i])));
        }
        let now = self.now;
        let n = &mut self.nodes[i];
        n.paused = false;
        n.generation += 1;
        let inbox = std::mem::take(&mut n.inbox);
        if n.raft.role() == Role::Leader {
            // Every leader timer was cancelled by the pause: start them again.
            self.start_leader_timers(i, now);
        } else if let Some((start, deadline)) = n.election_timer {
            let at = deadline.max(now);
            self.nodes[i].election_timer = Some((start, at));
            self.set_timer(i, Timer::Election, at);
        }
        for id in &inbox {
            self.schedule(now, Scheduled::Deliver(*id));
        }
        // Replies held by the pause leave now, or when their write is done if that is later,
        // with the latency they drew; under a new id, since the old one's delivery is scheduled.
        for mut m in std::mem::take(&mut self.nodes[i].outbox) {
            let latency = m.deliver_at - m.sent_at;
            m.sent_at = m.sent_at.max(now);
            m.deliver_at = m.sent_at + latency;
            self.launch(m);
        }
        let text = format!("{} resumes with the view it had; {} messages waited for it", self.ids[i], inbox.len());
        self.record("resume", Some(i), None, text);
        self.after_event();
        Ok(())
    }

    /// Adds a server (dissertation §4.1, one at a time): a new node `n{N+1}` with an empty log
    /// starts, and the leader appends the configuration that includes it; the new node
    /// catches up from the leader (by snapshot if needed). Returns its index.
    /// Errors: no running leader; 15 nodes already; a change still uncommitted, or the leader
    /// has not committed an entry of its term yet.
    pub fn add_node(&mut self) -> Result<usize> {
        if self.nodes.len() >= config::MAX_NODES {
            return Err(Error::invalid("nodes", format!("must stay at most {} (the ring holds no more)", config::MAX_NODES)));
        }
        let l = self.running_leader()?;
        let id = format!("n{}", self.nodes.len() + 1);
        let mut members = self.nodes[l].raft.cluster().to_vec();
        members.push(id.clone());
        let (index, requests) = self.nodes[l].raft.change_membership(members.clone()).map_err(|e| Error::invalid("addNode", e.to_string()))?;
        self.nodes.push(SimNode::new(&self.config, &id, members));
        self.ids.push(id.clone());
        self.checker.add_node();
        self.clients.kv.push(crate::kv::Kv::new());
        let i = self.nodes.len() - 1;
        self.reset_election_timer(i);
        let text = format!("{id} starts with an empty log, and {} appends the configuration with it at index {index} (§4.1)", self.ids[l]);
        self.record("membership", Some(l), None, text);
        self.send_appends(l, requests);
        self.after_event();
        Ok(i)
    }

    /// Removes server `i` (dissertation §4.1): the leader appends the configuration without
    /// it; once that entry commits, the node shuts down (a removed leader steps down first).
    /// Errors: no running leader; `i` is the last member or not a member; a change still
    /// uncommitted, or no entry of the leader's term committed yet.
    pub fn remove_node(&mut self, i: usize) -> Result<()> {
        let l = self.running_leader()?;
        let id = self.ids[i].clone();
        if !self.nodes[l].raft.is_member(&id) {
            return Err(Error::invalid("id", format!("must name a member ({id} is not in the configuration)")));
        }
        let members: Vec<NodeId> = self.nodes[l].raft.cluster().iter().filter(|m| **m != id).cloned().collect();
        if members.is_empty() {
            return Err(Error::invalid("id", format!("must not be the last member ({id} is)")));
        }
        let (index, requests) = self.nodes[l].raft.change_membership(members).map_err(|e| Error::invalid("removeNode", e.to_string()))?;
        let text = format!("{} appends the configuration without {id} at index {index} (§4.1); {id} leaves once it commits", self.ids[l]);
        self.record("membership", Some(l), None, text);
        self.send_appends(l, requests);
        self.after_event();
        Ok(())
    }

    fn running_leader(&self) -> Result<usize> {
        let l = self.leader().ok_or_else(|| Error::invalid("membership", "needs a leader (there is none)"))?;
        if self.nodes[l].paused {
            return Err(Error::invalid("membership", format!("needs a running leader ({} is paused)", self.ids[l])));
        }
        Ok(l)
    }

    /// Shuts down servers that a committed configuration leaves out (the highest-term leader
    /// whose configuration entry is committed speaks for the cluster).
    fn retire_removed(&mut self) {
        let Some(l) = self.leader() else { return };
        let r = &self.nodes[l].raft;
        if r.config_index() == 0 || r.config_index() > r.commit_index() {
            return;
        }
        let gone: Vec<usize> = (0..self.nodes.len()).filter(|&i| !self.nodes[i].removed && !r.is_member(&self.ids[i])).collect();
        for i in gone {
            let n = &mut self.nodes[i];
            n.removed = true;
            n.crashed = true;
            n.paused = false;
            n.generation += 1;
            n.election_timer = None;
            let text = format!("{} leaves the cluster: the configuration without it is committed", self.ids[i]);
            self.record("membership", Some(i), None, text);
        }
    }

    /// The leader hands leadership to node `to` (dissertation §3.10): it stops taking client
    /// commands, brings `to` up to date, then sends it TimeoutNow; `to` starts an election at
    /// once and wins. If no new leader appears within the longest election timeout, the
    /// leader gives up and takes commands again.
    /// Errors: no leader; `to` is the leader, crashed or paused.
    pub fn transfer_leadership(&mut self, to: usize) -> Result<()> {
        let l = self.leader().ok_or_else(|| Error::invalid("to", "needs a leader to hand over from (there is none)"))?;
        if l == to {
            return Err(Error::invalid("to", format!("must be another node than the leader ({} leads)", self.ids[l])));
        }
        self.require_running(to)?;
        if self.nodes[l].paused {
            return Err(Error::invalid("to", format!("needs a running leader ({} is paused)", self.ids[l])));
        }
        self.nodes[l].raft.transfer_leadership(&self.ids[to]).map_err(|e| Error::invalid("to", e.to_string()))?;
        let text = format!(
            "{} starts handing leadership to {} (§3.10): it takes no client commands and brings {}'s log up to date",
            self.ids[l], self.ids[to], self.ids[to]
        );
        self.record("transfer", Some(l), None, text);
        self.set_timer(l, Timer::TransferTimeout, self.now + self.config.election_timeout_us.1);
        self.send_timeout_now(l);
        self.after_event();
        Ok(())
    }

    fn send_timeout_now(&mut self, l: usize) {
        if let Some((to, args)) = self.nodes[l].raft.take_timeout_now() {
            let to = self.index_of("to", &to).expect("a member");
            self.send(l, to, Payload::TimeoutNow(args));
        }
    }

    /// Splits the network into `groups` of node indexes: links between groups are cut both
    /// ways, links within a group work. Nodes in no group form one more group.
    /// Errors: a node listed twice.
    pub fn partition(&mut self, groups: &[Vec<usize>]) -> Result<()> {
        let mut seen = vec![false; self.nodes.len()];
        for (g, members) in groups.iter().enumerate() {
            for (k, &i) in members.iter().enumerate() {
                if std::mem::replace(&mut seen[i], true) {
                    return Err(Error::invalid(format!("groups[{g}][{k}]"), format!("must not list a node twice ({} is)", self.ids[i])));
                }
            }
        }
        self.network.partition(self.nodes.len(), groups);
        let mut names: Vec<String> = groups
            .iter()
            .filter(|g| !g.is_empty())
            .map(|g| g.iter().map(|&i| self.ids[i].as_str()).collect::<Vec<_>>().join(", "))
            .collect();
        let rest: Vec<&str> = (0..self.nodes.len()).filter(|i| !seen[*i]).map(|i| self.ids[i].as_str()).collect();
        if !rest.is_empty() {
            names.push(rest.join(", "));
        }
        let text = format!("The network splits into {}: messages between groups are lost", names.iter().map(|g| format!("{{{g}}}")).collect::<Vec<_>>().join(" | "));
        self.record("partition", None, None, text);
        Ok(())
    }

    /// Undoes every fault: heals the network (every link, one-way cuts included), stops
    /// losing messages, restarts crashed nodes (not removed ones) and resumes paused ones, in
    /// node order.
    pub fn undo_faults(&mut self) -> Result<()> {
        self.heal();
        self.set_drop_rate(0.0)?;
        for i in 0..self.nodes.len() {
            if self.nodes[i].removed {
                continue;
            } else if self.nodes[i].crashed {
                self.restart(i)?;
            } else if self.nodes[i].paused {
                self.resume(i)?;
            }
        }
        Ok(())
    }

    /// Repairs every link.
    pub fn heal(&mut self) {
        self.network.heal();
        self.record("heal", None, None, "The network heals: every link works again".into());
    }

    /// Cuts the link `from → to` (and `to → from` when `both_ways`). Errors: `from == to`.
    pub fn cut_link(&mut self, from: usize, to: usize, both_ways: bool) -> Result<()> {
        self.set_link(from, to, both_ways, true)
    }

    /// Repairs the link `from → to` (and `to → from` when `both_ways`). Errors: `from == to`.
    pub fn repair_link(&mut self, from: usize, to: usize, both_ways: bool) -> Result<()> {
        self.set_link(from, to, both_ways, false)
    }

    fn set_link(&mut self, from: usize, to: usize, both_ways: bool, cut: bool) -> Result<()> {
        self.check_link(from, to)?;
        let pairs: &[(usize, usize)] = if both_ways { &[(from, to), (to, from)] } else { &[(from, to)] };
        for &(a, b) in pairs {
            if cut {
                self.network.cut(a, b);
            } else {
                self.network.repair(a, b);
            }
        }
        let (f, t) = (&self.ids[from], &self.ids[to]);
        let text = match (cut, both_ways) {
            (true, true) => format!("The link between {f} and {t} is cut both ways"),
            (true, false) => format!("The link from {f} to {t} is cut"),
            (false, true) => format!("The link between {f} and {t} works again"),
            (false, false) => format!("The link from {f} to {t} works again"),
        };
        self.record(if cut { "cut" } else { "repair" }, None, None, text);
        Ok(())
    }

    fn check_link(&self, from: usize, to: usize) -> Result<()> {
        if from == to {
            return Err(Error::invalid("to", format!("must differ from from ({} links to itself)", self.ids[from])));
        }
        Ok(())
    }

    /// Sets the latency range of every link without its own, µs. Errors: as [`Config::validate`].
    pub fn set_latency(&mut self, range: (Micros, Micros)) -> Result<()> {
        Config { latency_us: range, ..self.config.clone() }.validate()?;
        self.network.latency_us = range;
        Ok(())
    }

    /// Gives the link `from → to` its own latency range (None: back to the global one).
    /// Errors: `from == to`, or a range breaking [`Config::validate`]'s rule.
    pub fn set_link_latency(&mut self, from: usize, to: usize, range: Option<(Micros, Micros)>) -> Result<()> {
        self.check_link(from, to)?;
        match range {
            Some(r) => {
                Config { latency_us: r, ..self.config.clone() }.validate()?;
                self.network.link_latency_us.insert((from, to), r);
            }
            None => {
                self.network.link_latency_us.remove(&(from, to));
            }
        }
        Ok(())
    }

    /// Switches deliberate bugs on or off in every node (see [`crate::raft::Bug`]).
    pub fn set_bugs(&mut self, bugs: Bugs) {
        self.config.bugs = bugs;
        for n in &mut self.nodes {
            n.raft.set_bugs(bugs);
        }
        let text = if bugs == Bugs::NONE {
            "The protocol is correct again (no deliberate bugs)".to_string()
        } else {
            let names: Vec<&str> = bugs.iter().map(|b| b.name()).collect();
            format!("Deliberate bugs on: {}", names.join(", "))
        };
        self.record("bugs", None, None, text);
    }

    /// Sets the probability of losing a message. Errors: outside `[0, 1]`.
    pub fn set_drop_rate(&mut self, rate: f64) -> Result<()> {
        Config { drop_rate: rate, ..self.config.clone() }.validate()?;
        self.network.drop_rate = rate;
        Ok(())
    }

    /// Sets the probability of delivering a message twice. Errors: outside `[0, 1]`.
    pub fn set_duplicate_rate(&mut self, rate: f64) -> Result<()> {
        Config { duplicate_rate: rate, ..self.config.clone() }.validate()?;
        self.network.duplicate_rate = rate;
        Ok(())
    }

    /// Leader `i` appends `command`: sent at once, or, with batching, at the next flush.
    fn leader_append(&mut self, i: usize, command: String) -> Result<u64> {
        match self.config.batch_us {
            None => {
                let (index, requests) = self.nodes[i].raft.replicate_log(command)?;
                self.send_appends(i, requests);
                Ok(index)
            }
            Some(delay) => {
                let index = self.nodes[i].raft.propose(command)?;
                let generation = self.nodes[i].generation;
                if self.nodes[i].flush_pending != Some(generation) {
                    self.nodes[i].flush_pending = Some(generation);
                    self.set_timer(i, Timer::Flush, self.now + delay);
                }
                Ok(index)
            }
        }
    }

    /// The batching timer of leader `i`: one AppendEntries per follower with what was
    /// collected. None when it no longer leads or nothing was waiting.
    fn flush(&mut self, i: usize) -> Option<u64> {
        self.nodes[i].flush_pending = None;
        let requests = self.nodes[i].raft.flush().ok()?;
        if requests.is_empty() {
            return None;
        }
        let text = format!("{} sends the commands it batched to {} followers", self.ids[i], requests.len());
        let seq = self.record("batch", Some(i), None, text);
        self.send_appends(i, requests);
        Some(seq)
    }

    fn require_running(&self, i: usize) -> Result<()> {
        if self.nodes[i].crashed {
            return Err(Error::invalid("id", format!("must name a running node ({} is crashed)", self.ids[i])));
        }
        if self.nodes[i].paused {
            return Err(Error::invalid("id", format!("must name a running node ({} is paused)", self.ids[i])));
        }
        Ok(())
    }

    // ---- internals --------------------------------------------------------------------------

    /// Sets node `i`'s `timer` to fire at `at`; bumping the node's generation cancels it.
    fn set_timer(&mut self, i: usize, timer: Timer, at: Micros) {
        let generation = self.nodes[i].generation;
        self.schedule(at, Scheduled::Timer { node: i, timer, generation });
    }

    /// A new leader's timers: heartbeats from `heartbeat_at` on, CheckQuorum once per minimum
    /// election timeout (when on), and the end of a pending leadership transfer.
    fn start_leader_timers(&mut self, i: usize, heartbeat_at: Micros) {
        self.set_timer(i, Timer::Heartbeat, heartbeat_at);
        if self.config.check_quorum {
            self.set_timer(i, Timer::CheckQuorum, self.now + self.config.election_timeout_us.0);
        }
        if self.nodes[i].raft.transfer_target().is_some() {
            self.set_timer(i, Timer::TransferTimeout, self.now + self.config.election_timeout_us.1);
        }
    }

    fn schedule(&mut self, at: Micros, ev: Scheduled) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, ev)));
    }

    fn record(&mut self, kind: &'static str, node: Option<usize>, msg: Option<&Message>, text: String) -> u64 {
        self.event_seq += 1;
        let ev = EventView {
            seq: self.event_seq,
            time: ms(self.now),
            kind,
            node: node.map(|i| self.ids[i].clone()),
            message_id: msg.map(|m| m.id),
            message_kind: msg.map(|m| m.payload.kind()),
            from: msg.map(|m| self.ids[m.from].clone()),
            to: msg.map(|m| self.ids[m.to].clone()),
            text,
            routine: false,
        };
        if self.events.len() == EVENT_LOG_CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(ev);
        self.event_seq
    }

    /// Hands a message to the network: lost on a cut link or to the drop rate, else in
    /// flight with a latency drawn for its link, and sometimes duplicated.
    fn send(&mut self, from: usize, to: usize, payload: Payload) {
        self.send_after(from, to, payload, 0);
    }

    /// Sends `payload` once `from` has spent `delay` µs (a stable-storage write,
    /// `Config::persist_us`): the message leaves then.
    fn send_after(&mut self, from: usize, to: usize, payload: Payload, delay: Micros) {
        self.stats.messages_sent += 1;
        let net = &self.network;
        if net.is_cut(from, to) || (net.drop_rate > 0.0 && chance(&mut self.rng, net.drop_rate)) {
            self.stats.messages_dropped += 1;
            return;
        }
        let copies = if net.duplicate_rate > 0.0 && chance(&mut self.rng, net.duplicate_rate) { 2 } else { 1 };
        if copies == 2 {
            self.stats.messages_duplicated += 1;
        }
        let (lo, hi) = self.network.latency(from, to);
        for _ in 0..copies {
            let sent_at = self.now + delay;
            let deliver_at = sent_at + self.rng.random_range(lo..=hi);
            self.launch(Message { id: 0, from, to, sent_at, deliver_at, payload: payload.clone() });
        }
    }

    /// Puts `m` on the network under a fresh id and schedules its delivery at `m.deliver_at`.
    fn launch(&mut self, mut m: Message) {
        m.id = self.next_message_id;
        self.next_message_id += 1;
        self.schedule(m.deliver_at, Scheduled::Deliver(m.id));
        self.in_flight.insert(m.id, m);
    }

    /// Takes node `i`'s replies that have not left yet (waiting for a stable-storage write,
    /// `Config::persist_us`) out of the network, oldest first.
    fn take_unsent(&mut self, i: usize) -> Vec<Message> {
        let now = self.now;
        let ids: Vec<u64> = self.in_flight.iter().filter(|(_, m)| m.from == i && m.sent_at > now).map(|(id, _)| *id).collect();
        ids.into_iter().filter_map(|id| self.in_flight.remove(&id)).collect()
    }

    /// Sends `payload` from `from` to every other node.
    fn broadcast(&mut self, from: usize, payload: Payload) {
        for to in 0..self.nodes.len() {
            if to != from {
                self.send(from, to, payload.clone());
            }
        }
    }

    /// The stable-storage delay before a reply: `Config::persist_us` when the handler wrote
    /// persistent state, else none.
    fn persist_delay(&self, wrote: bool) -> Micros {
        if wrote {
            self.config.persist_us
        } else {
            0
        }
    }

    fn send_appends(&mut self, from: usize, requests: Vec<AppendEntriesRequest>) {
        for r in requests {
            let to = self.index_of("to", &r.to).expect("requests go to cluster members");
            self.send(from, to, Payload::AppendEntries(r.args));
        }
    }

    fn reset_election_timer(&mut self, i: usize) {
        let (lo, hi) = self.config.election_timeout_us;
        let at = self.now + self.rng.random_range(lo..=hi);
        let n = &mut self.nodes[i];
        n.generation += 1;
        n.election_timer = Some((self.now, at));
        self.set_timer(i, Timer::Election, at);
    }

    /// After every event: leaders hold no election timer and others always do; committed entries
    /// are applied; the invariants are checked.
    fn after_event(&mut self) {
        self.track_leaderless();
        for i in 0..self.nodes.len() {
            let n = &self.nodes[i];
            if n.crashed || n.paused {
                continue;
            }
            match (n.raft.role() == Role::Leader, n.election_timer.is_some()) {
                (false, false) => self.reset_election_timer(i),
                (true, true) => self.nodes[i].election_timer = None,
                _ => {}
            }
        }
        let mut changed = Vec::with_capacity(self.nodes.len());
        for n in &mut self.nodes {
            changed.push(n.raft.take_log_changed_from());
        }
        let now = self.now;
        for i in 0..self.nodes.len() {
            if self.nodes[i].crashed {
                continue;
            }
            for e in self.nodes[i].raft.apply_committed() {
                self.checker.on_apply(now, &self.ids[i], &e);
                self.clients_on_apply(i, e.index, &e.command);
            }
        }
        let before = self.checker.violations().len();
        let rafts: Vec<&ConsensusProtocol> = self.nodes.iter().map(|n| &n.raft).collect();
        self.checker.check(now, &rafts, &changed);
        let found: Vec<String> = self.checker.violations()[before..]
            .iter()
            .map(|v| format!("Safety violation ({}): {}", v.rule, v.detail))
            .collect();
        for text in found {
            self.record("violation", None, None, text);
        }
        // Log compaction (§7), after the checks so they saw every entry first.
        if let Some(every) = self.config.snapshot_interval {
            for i in 0..self.nodes.len() {
                let r = &self.nodes[i].raft;
                if self.nodes[i].crashed || r.last_applied() < r.snapshot().index + every {
                    continue;
                }
                let (upto, from) = (r.last_applied(), r.snapshot().index + 1);
                let data = self.clients_snapshot(i);
                self.nodes[i].raft.compact(upto, data).expect("lastApplied is after the snapshot");
                let text = format!("{} snapshots its state machine at index {upto} and drops log entries {from}–{upto} (§7)", self.ids[i]);
                self.record("snapshot", Some(i), None, text);
            }
        }
        // ReadIndex reads confirmed by now.
        self.clients_serve_reads();
        // Servers a committed configuration removed shut down.
        self.retire_removed();
        // InstallSnapshot for followers that need compacted entries.
        for i in 0..self.nodes.len() {
            for (to, args) in self.nodes[i].raft.take_install_snapshots() {
                let to = self.index_of("to", &to).expect("a member");
                self.send(i, to, Payload::InstallSnapshot(args));
            }
        }
    }
}

impl Simulation {
    /// Times the periods without a running leader (paused leaders count as none).
    fn track_leaderless(&mut self) {
        let leads = (0..self.nodes.len()).any(|i| {
            let n = &self.nodes[i];
            !n.crashed && !n.paused && n.raft.role() == Role::Leader
        });
        match (leads, self.leaderless_since) {
            (false, None) => self.leaderless_since = Some(self.now),
            (true, Some(since)) => {
                let gap = self.now - since;
                self.stats.leaderless_periods += 1;
                self.stats.leaderless_us += gap;
                self.stats.last_leaderless_us = gap;
                self.leaderless_since = None;
            }
            _ => {}
        }
    }
}

/// Event handlers: each returns the seq of the event record it wrote first.
impl Simulation {
    fn election_timeout(&mut self, i: usize, by_user: bool) -> u64 {
        self.nodes[i].raft.election_timer_fired();
        if by_user || !self.config.pre_vote {
            return self.begin_election(i, by_user);
        }
        let args = self.nodes[i].raft.start_pre_vote();
        let text = format!(
            "{} hears from no leader before its election timer fires: it asks the others whether they would vote for it in term {} (PreVote, §9.6), keeping its term {}",
            self.ids[i],
            args.term,
            args.term - 1
        );
        let seq = self.record("preVote", Some(i), None, text);
        self.reset_election_timer(i);
        self.broadcast(i, Payload::PreVote(args));
        if self.nodes[i].raft.has_won_pre_vote() {
            self.begin_election(i, false);
        }
        seq
    }

    fn begin_election(&mut self, i: usize, by_user: bool) -> u64 {
        self.stats.elections += 1;
        let args = self.nodes[i].raft.start_election();
        let cause = if by_user {
            "is told to start an election"
        } else if self.config.pre_vote {
            "holds pre-votes from a majority"
        } else {
            "hears from no leader before its election timer fires"
        };
        let text = format!(
            "{} {cause}: it becomes candidate for term {}, votes for itself and asks the others for votes",
            self.ids[i], args.term
        );
        let seq = self.record(if by_user { "startElection" } else { "electionTimeout" }, Some(i), None, text);
        self.campaign(i, args);
        seq
    }

    /// Node `i` has just become candidate with `args`: ask everyone for votes.
    fn campaign(&mut self, i: usize, args: RequestVoteArgs) {
        self.reset_election_timer(i);
        self.broadcast(i, Payload::RequestVote(args));
        if self.nodes[i].raft.has_won_election() {
            self.win(i);
        }
    }

    fn win(&mut self, i: usize) {
        let votes = self.nodes[i].raft.votes().len();
        let before = self.nodes[i].raft.last_log_index();
        let requests = self.nodes[i].raft.become_leader().expect("a winning node is a candidate");
        let n = &mut self.nodes[i];
        n.generation += 1;
        n.election_timer = None;
        let no_op = if n.raft.last_log_index() > before { " and appends a no-op entry (§8)" } else { " (and, with the figure8 bug, appends no no-op)" };
        let text = format!(
            "{} wins the election for term {} with {votes} of {} votes, becomes leader{no_op}",
            self.ids[i],
            n.raft.current_term(),
            n.raft.cluster().len()
        );
        self.record("leader", Some(i), None, text);
        self.send_appends(i, requests);
        self.start_leader_timers(i, self.now + self.config.heartbeat_us);
    }

    fn transfer_timeout(&mut self, i: usize) -> Option<u64> {
        let target = self.nodes[i].raft.transfer_target()?.to_string();
        if self.nodes[i].raft.role() != Role::Leader {
            return None;
        }
        self.nodes[i].raft.abort_transfer();
        let text = format!("{} gives up handing leadership to {target} and takes client commands again", self.ids[i]);
        Some(self.record("transfer", Some(i), None, text))
    }

    /// CheckQuorum, once per (minimum) election timeout while `i` leads. None when the leader
    /// heard from a majority (nothing to tell) or is no longer leader.
    fn check_quorum(&mut self, i: usize) -> Option<u64> {
        if self.nodes[i].raft.role() != Role::Leader {
            return None;
        }
        if !self.nodes[i].raft.check_quorum() {
            self.set_timer(i, Timer::CheckQuorum, self.now + self.config.election_timeout_us.0);
            return None;
        }
        let text = format!(
            "{} has not heard from a majority for an election timeout and steps down to follower (CheckQuorum, §6.2)",
            self.ids[i]
        );
        Some(self.record("stepDown", Some(i), None, text))
    }

    /// None if `i` is no longer leader (its heartbeat timer should have been cancelled; this
    /// keeps a missed cancellation from ever panicking inside wasm).
    fn heartbeat(&mut self, i: usize) -> Option<u64> {
        let requests = self.nodes[i].raft.heartbeat().ok()?;
        let text = format!("{} sends AppendEntries heartbeats to {} followers", self.ids[i], requests.len());
        let seq = self.record("heartbeat", Some(i), None, text);
        self.events.back_mut().expect("just recorded").routine = true;
        self.send_appends(i, requests);
        self.set_timer(i, Timer::Heartbeat, self.now + self.config.heartbeat_us);
        Some(seq)
    }

    fn deliver(&mut self, m: Message) -> u64 {
        let (from, to) = (m.from, m.to);
        let (f, t) = (self.ids[from].clone(), self.ids[to].clone());
        if self.nodes[to].crashed {
            self.stats.messages_dropped += 1;
            return self.record("lost", Some(to), Some(&m), format!("{} from {f} to {t} is lost: {t} is crashed", m.payload.kind()));
        }
        if self.network.is_cut(from, to) {
            self.stats.messages_dropped += 1;
            let text = format!("{} from {f} to {t} is lost: the link from {f} to {t} is cut", m.payload.kind());
            return self.record("lost", Some(to), Some(&m), text);
        }
        self.stats.messages_delivered += 1;
        let reply = m.payload.is_reply();
        if reply && !self.nodes[to].raft.knows(&f) {
            // Membership changed under it (§4.1): a server it never knew answers it.
            let text = format!("{t} ignores {}'s reply: no configuration it has seen names {f}", m.payload.kind());
            return self.record("deliver", Some(to), Some(&m), text);
        }
        let was = (self.nodes[to].raft.role(), self.nodes[to].raft.current_term());
        let mut routine = false;
        let mut text = match &m.payload {
            Payload::RequestVote(args) => {
                let (reply, decision) = self.nodes[to].raft.request_vote(args).expect("simulated candidates send valid ids");
                let me = &self.nodes[to].raft;
                let text = match decision {
                    VoteDecision::Granted => {
                        format!("{t} grants its vote to {f} for term {}: {f}'s log is at least as up-to-date as its own", args.term)
                    }
                    VoteDecision::StaleTerm => {
                        format!("{t} refuses {f}: term {} is older than its term {}", args.term, me.current_term())
                    }
                    VoteDecision::AlreadyVoted(v) => format!("{t} refuses {f} for term {}: it already voted for {v}", args.term),
                    VoteDecision::LogNotUpToDate => format!(
                        "{t} refuses {f} for term {}: {f}'s log (last term {}, index {}) is behind its own (last term {}, index {}), §5.4.1",
                        args.term, args.last_log_term, args.last_log_index, me.last_log_term(), me.last_log_index()
                    ),
                };
                if reply.vote_granted {
                    self.reset_election_timer(to);
                }
                let wrote = reply.vote_granted || args.term > was.1;
                self.send_after(to, from, Payload::RequestVoteResponse(reply), self.persist_delay(wrote));
                text
            }
            Payload::PreVote(args) => {
                let reply = self.nodes[to].raft.handle_pre_vote(args).expect("simulated candidates send valid ids");
                let me = &self.nodes[to].raft;
                let text = if reply.vote_granted {
                    format!("{t} would vote for {f} in term {}: no leader heard from lately, and {f}'s log is at least as up-to-date", args.term)
                } else if args.term <= me.current_term() {
                    format!("{t} would not vote for {f}: term {} is not newer than its term {}", args.term, me.current_term())
                } else if me.role() == Role::Leader {
                    format!("{t} would not vote for {f}: it is the leader")
                } else if (args.last_log_term, args.last_log_index) < (me.last_log_term(), me.last_log_index()) {
                    format!("{t} would not vote for {f}: {f}'s log is behind its own (§5.4.1)")
                } else {
                    format!("{t} would not vote for {f}: it heard from leader {} within an election timeout", me.leader_id().unwrap_or("?"))
                };
                self.send(to, from, Payload::PreVoteResponse(reply));
                text
            }
            Payload::PreVoteResponse(reply) => {
                let was_pre = self.nodes[to].raft.is_pre_candidate();
                let tally = self.nodes[to].raft.handle_pre_vote_response(&f, reply).expect("replies come from members");
                let me = &self.nodes[to].raft;
                let text = if reply.term > was.1 && !reply.vote_granted {
                    format!("{t} learns of term {} from {f} and gives up its pre-vote", reply.term)
                } else if !was_pre || !me.is_pre_candidate() {
                    format!("{t} ignores {f}'s pre-vote: it is no longer asking")
                } else if reply.vote_granted {
                    format!("{t} gets {f}'s pre-vote ({} of {})", tally.votes, me.cluster().len())
                } else {
                    format!("{t} is refused a pre-vote by {f}")
                };
                if tally.won && me.is_pre_candidate() {
                    self.begin_election(to, false);
                }
                text
            }
            Payload::RequestVoteResponse(reply) => {
                let tally = self.nodes[to].raft.handle_request_vote_response(&f, reply).expect("replies come from members");
                let me = &self.nodes[to].raft;
                let text = if reply.term > was.1 {
                    format!("{t} learns of term {} from {f} and steps down to follower", reply.term)
                } else if was.0 != Role::Candidate || reply.term < was.1 {
                    format!("{t} ignores {f}'s vote from term {}: it is no longer a candidate in that term", reply.term)
                } else if reply.vote_granted {
                    format!("{t} receives {f}'s vote for term {} ({} of {} votes)", reply.term, tally.votes, me.cluster().len())
                } else {
                    format!("{t} is refused a vote by {f} for term {}", reply.term)
                };
                if tally.won {
                    self.win(to);
                }
                text
            }
            Payload::AppendEntries(args) => {
                let commit_before = self.nodes[to].raft.commit_index();
                let (reply, decision) = self.nodes[to].raft.append_entries(args).expect("simulated leaders send valid requests");
                let me = &self.nodes[to].raft;
                let mut text = match decision {
                    AppendDecision::StaleTerm => {
                        format!("{t} rejects AppendEntries from {f}: term {} is older than its term {}", args.term, me.current_term())
                    }
                    AppendDecision::MissingPrevEntry => format!(
                        "{t} rejects AppendEntries from {f}: it has no entry at prevLogIndex {}",
                        args.prev_log_index
                    ),
                    AppendDecision::PrevTermMismatch { found } => format!(
                        "{t} rejects AppendEntries from {f}: its entry at index {} has term {found}, not {}",
                        args.prev_log_index, args.prev_log_term
                    ),
                    AppendDecision::Accepted { appended: 0, .. } if args.entries.is_empty() => {
                        format!("{t} accepts a heartbeat from leader {f} (term {})", args.term)
                    }
                    AppendDecision::Accepted { appended: 0, .. } if args.entries.len() == 1 => {
                        format!("{t} already holds entry {} from {f}; nothing to append", reply.match_index)
                    }
                    AppendDecision::Accepted { appended: 0, .. } => format!(
                        "{t} already holds entries {}–{} from {f}; nothing to append",
                        args.prev_log_index + 1,
                        reply.match_index
                    ),
                    AppendDecision::Accepted { appended, truncated_from } => {
                        let cut = truncated_from
                            .map(|k| format!("deletes its conflicting entries from index {k} on, then "))
                            .unwrap_or_default();
                        format!(
                            "{t} {cut}appends {appended} entr{} from {f}, up to index {}",
                            if appended == 1 { "y" } else { "ies" },
                            reply.match_index
                        )
                    }
                };
                if me.commit_index() > commit_before {
                    text.push_str(&format!("; its commitIndex becomes {}", me.commit_index()));
                } else {
                    routine = args.entries.is_empty() && matches!(decision, AppendDecision::Accepted { .. });
                }
                if reply.term == args.term {
                    self.reset_election_timer(to);
                }
                let wrote = matches!(decision, AppendDecision::Accepted { appended, .. } if appended > 0) || args.term > was.1;
                self.send_after(to, from, Payload::AppendEntriesResponse(reply), self.persist_delay(wrote));
                text
            }
            Payload::AppendEntriesResponse(reply) => {
                let commit_before = self.nodes[to].raft.commit_index();
                let match_before = self.nodes[to].raft.match_index().get(&f).copied();
                let next = self.nodes[to].raft.handle_append_entries_response(&f, reply).expect("replies are well-formed");
                let me = &self.nodes[to].raft;
                let mut text = if reply.term > was.1 {
                    format!("{t} learns of term {} from {f} and steps down to follower", reply.term)
                } else if was.0 != Role::Leader || reply.term < was.1 {
                    format!("{t} ignores {f}'s AppendEntries reply from term {}", reply.term)
                } else if reply.success {
                    format!("{t} learns {f}'s log matches its own up to index {}", reply.match_index)
                } else {
                    format!(
                        "{t} learns {f}'s log does not match; it retries with nextIndex {}",
                        me.next_index().get(&f).copied().unwrap_or(1)
                    )
                };
                let commit = me.commit_index();
                if commit > commit_before {
                    text.push_str(&format!(
                        "; entries up to {commit} are on a majority, so {t} commits them (commitIndex {commit})"
                    ));
                } else {
                    routine = reply.success && me.match_index().get(&f).copied() == match_before;
                }
                if let Some(r) = next {
                    self.send_appends(to, vec![r]);
                }
                if let Some((target, args)) = self.nodes[to].raft.take_timeout_now() {
                    text.push_str(&format!("; {target} is up to date, so {t} sends it TimeoutNow"));
                    let target = self.index_of("to", &target).expect("a member");
                    self.send(to, target, Payload::TimeoutNow(args));
                }
                text
            }
            Payload::InstallSnapshot(args) => {
                let (reply, load) = self.nodes[to].raft.install_snapshot(args).expect("leaders send valid snapshots");
                let snap = &args.snapshot;
                let text = if reply.match_index == 0 {
                    format!("{t} rejects InstallSnapshot from {f}: term {} is older than its term {}", args.term, reply.term)
                } else if load {
                    format!("{t} installs {f}'s snapshot of entries 1–{} (term {}) and loads its state machine from it (§7)", snap.index, snap.term)
                } else {
                    format!("{t} already has entries 1–{}; the snapshot changes nothing", snap.index)
                };
                if load {
                    self.clients_load_snapshot(to);
                }
                if reply.term == args.term {
                    self.reset_election_timer(to);
                }
                self.send_after(to, from, Payload::InstallSnapshotResponse(reply), self.persist_delay(true));
                text
            }
            Payload::InstallSnapshotResponse(reply) => {
                let next = self.nodes[to].raft.handle_install_snapshot_response(&f, reply).expect("replies come from members");
                let text = if reply.match_index == 0 {
                    format!("{t} learns {f} refused its snapshot")
                } else {
                    format!("{t} learns {f} holds its snapshot up to index {}", reply.match_index)
                };
                if let Some(r) = next {
                    self.send_appends(to, vec![r]);
                }
                text
            }
            Payload::TimeoutNow(args) => match self.nodes[to].raft.handle_timeout_now(args).expect("leaders send valid ids") {
                Some(vote) => {
                    self.stats.elections += 1;
                    let text = format!("{t} gets TimeoutNow from {f} and starts an election for term {} at once (§3.10)", vote.term);
                    self.campaign(to, vote);
                    text
                }
                None => format!("{t} ignores a TimeoutNow from term {}", args.term),
            },
        };
        let now = (self.nodes[to].raft.role(), self.nodes[to].raft.current_term());
        if now.1 > was.1 && !reply {
            text = format!("{t} adopts term {} (was {}, {}); {}", now.1, was.1, was.0.as_str(), text);
        }
        let seq = self.record("deliver", Some(to), Some(&m), text);
        if routine && now.1 == was.1 {
            self.events.back_mut().expect("just recorded").routine = true;
        }
        seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `chance` replaced `Rng::random_bool` without changing a run: same outcomes from the same
    /// stream, for the rates the simulator and the chaos runs use.
    #[test]
    fn chance_draws_like_random_bool() {
        for p in [0.0, 0.004, 0.01, 0.05, 0.5, 0.6, 0.999, 1.0] {
            let (mut a, mut b) = (Pcg64Mcg::seed_from_u64(7), Pcg64Mcg::seed_from_u64(7));
            let ours: Vec<bool> = (0..2000).map(|_| chance(&mut a, p)).collect();
            let rands: Vec<bool> = (0..2000).map(|_| b.random_bool(p)).collect();
            assert_eq!(ours, rands, "p = {p}");
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "p = {p}: the streams stay in step");
        }
    }
}
