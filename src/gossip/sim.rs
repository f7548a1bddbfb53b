//! Gossip as a [`Protocol`]: the core ([`super::node::Core`]) with its two timers (anti-entropy,
//! rumor rounds), its notes, the key-value clients served from each agent's replica, and
//! gossip's actions on the generic simulator (`set`, `delete`, `get`, `informed`).
//!
//! Workload clients ([`crate::sim::Workload`]): gossip promises eventual consistency, not
//! linearizability, so an agent answers every client at once from its own replica and never
//! redirects. A `put` writes at that agent (a new version, a hot rumor) and is acknowledged at
//! once (`ok`); a `get` reads the agent's replica; a `cas` compares with the agent's replica and
//! writes when it matches (`ok` false at once otherwise: no atomicity across agents); an
//! `increment` writes the agent's value plus one. Each write is shown to the checker
//! ([`Effect::Decide`]) so that it knows every value a client wrote.

use rand::Rng;

use crate::collections::Map;
use crate::error::{Error, Result};
use crate::kv::{Command, Op, Output};
use crate::protocol::{Answer, BugInfo, BugSet, ClientCall, Ctx, Delay, Effect, Micros, NodeId, Out, Protocol};
use crate::sim::{SimConfig, Simulation};

use super::check::Checker;
use super::notes::{MsgNote, Note};
pub use super::node::{Core, Entry, Exchange, Interest, Merged, Msg, Options, Rumors, Version};

/// Gossip's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// Anti-entropy's round, every [`Options::interval_us`] (the first at a uniform offset).
    AntiEntropy,
    /// Rumor mongering's round, every [`Rumors::interval_us`].
    Rumor,
}

/// Gossip with its options: the [`Protocol`] the simulator drives.
#[derive(Clone, Debug, PartialEq)]
pub struct Gossip {
    /// The settings every agent follows.
    pub options: Options,
}

/// A client's write as the checker sees it: the key, the version, the value (None: a delete)
/// and, for a delete, when its certificate expires (µs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The key.
    pub key: String,
    /// The version written.
    pub version: Version,
    /// The value; None: a delete.
    pub value: Option<String>,
    /// For a delete: when its certificate expires, µs (0 for a value).
    pub expires_us: Micros,
}

impl Gossip {
    /// Starts the timers that run: the first round at a uniform offset within its interval
    /// (`first`: at start and restart, so that agents' rounds do not line up; not with
    /// [`Options::synchronous`]), else one interval on.
    fn arm(&self, out: &mut Out<Self>, first: bool) {
        let o = &self.options;
        let first = first && !o.synchronous;
        if o.runs_anti_entropy() {
            let d = if first { Delay::Uniform(1, o.interval_us) } else { Delay::After(o.interval_us) };
            out.set_timer(Timer::AntiEntropy, d);
        }
        if let Some(r) = o.rumor_settings() {
            let d = if first { Delay::Uniform(1, r.interval_us) } else { Delay::After(r.interval_us) };
            out.set_timer(Timer::Rumor, d);
        }
    }

    /// A write at agent `n` (`value` None: a delete): the note, the checker's decision.
    /// Returns the version.
    pub fn write(&self, n: &mut Core, cx: &mut Ctx, key: &str, value: Option<String>, client: Option<crate::kv::ClientId>, out: &mut Out<Self>) -> Version {
        let (version, entry) = n.write(&self.options, cx.now, key, value);
        out.note(Note::Write { at: cx.me, key: key.to_string(), version, value: entry.value.clone(), client });
        out.push(Effect::Decide(Decision { key: key.to_string(), version, value: entry.value, expires_us: entry.expires_us }));
        version
    }

    fn serve_rumors(&self, n: &mut Core, cx: &mut Ctx, to: NodeId, out: &mut Out<Self>) -> (usize, usize) {
        let Some(r) = self.options.rumor_settings() else { return (0, 0) };
        let entries = n.rumor_entries(cx.now);
        if entries.is_empty() {
            return (0, 0);
        }
        let lost = n.after_send(&r, cx.rng, &entries);
        let sent = entries.len();
        out.send(to, Msg::Rumor { entries });
        (sent, lost)
    }
}

impl Protocol for Gossip {
    type Node = Core;
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Decision = Decision;
    type Checker = Checker;

    const BUGS: &'static [BugInfo] = &super::bug::BUG_LIST;
    /// Populations: 10,000 agents (the page draws more than 30 as a dense grid).
    const MAX_NODES: usize = 10_000;
    const LEADERS: bool = false;
    const BEHAVIOURS: &'static [crate::protocol::BehaviourInfo] = &super::attest::BEHAVIOURS;

    fn set_byzantine(&self, node: &mut Core, behaviour: Option<usize>) {
        node.traitor = behaviour.map(|b| b as u8);
    }

    fn set_bugs(&mut self, _nodes: &mut [Core], bugs: BugSet) {
        self.options.bugs = bugs;
    }

    fn bugs(&self) -> BugSet {
        self.options.bugs
    }

    fn new_node(&self, id: NodeId, _members: &[NodeId]) -> Core {
        Core::new(id)
    }

    fn on_start(&self, _n: &mut Core, _cx: &mut Ctx, out: &mut Out<Self>) {
        self.arm(out, true);
    }

    fn on_msg(&self, n: &mut Core, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) -> (Note, bool) {
        let o = &self.options;
        let what = match msg {
            Msg::Digest { exchange, digest } => {
                let (entries, want) = n.on_digest(o, cx.now, exchange, &digest);
                let (sent, wanted) = (entries.len(), want.len());
                if sent > 0 || wanted > 0 {
                    out.send(from, Msg::Reply { entries, want });
                }
                MsgNote::Digest { keys: digest.len(), sent, want: wanted }
            }
            Msg::Reply { entries, want } => {
                let count = entries.len();
                let news = n.merge_all(o, cx.now, entries);
                let send = n.entries_for(o, cx.now, &want);
                let sent = send.len();
                if sent > 0 {
                    out.send(from, Msg::Entries { entries: send });
                }
                MsgNote::Reply { entries: count, news, sent }
            }
            Msg::Entries { entries } => {
                let count = entries.len();
                MsgNote::Entries { entries: count, news: n.merge_all(o, cx.now, entries), rumor: false }
            }
            Msg::Rumor { entries } => {
                let count = entries.len();
                let r = o.rumor_settings();
                let (mut known, mut fresh) = (Vec::new(), Vec::new());
                let mut news = 0;
                for (k, e) in entries {
                    let v = e.version;
                    match n.merge(o, cx.now, &k, e) {
                        Merged::New => {
                            news += 1;
                            fresh.push((k, v));
                        }
                        _ if r.is_some_and(|r| n.new_this_round(&r, cx.now, &k, v)) => fresh.push((k, v)),
                        Merged::Known | Merged::Stale => known.push((k, v)),
                    }
                }
                if let Some(r) = r.filter(|r| r.feedback) {
                    if !r.consecutive {
                        fresh.clear();
                    }
                    if !known.is_empty() || !fresh.is_empty() {
                        out.send(from, Msg::RumorAck { known, news: fresh });
                    }
                }
                MsgNote::Entries { entries: count, news, rumor: true }
            }
            Msg::RumorAck { known, news } => {
                let lost = o.rumor_settings().map_or(0, |r| n.on_ack(&r, cx.rng, &known, &news));
                MsgNote::Ack { known: known.len(), lost }
            }
            Msg::RumorPull => MsgNote::Pull { served: self.serve_rumors(n, cx, from, out).0 },
        };
        let routine = what.routine();
        (Note::Msg { at: cx.me, from, what }, routine)
    }

    fn on_timer(&self, n: &mut Core, cx: &mut Ctx, timer: Timer, out: &mut Out<Self>) {
        let o = &self.options;
        match timer {
            Timer::AntiEntropy => {
                if !o.runs_anti_entropy() {
                    return;
                }
                out.set_timer(Timer::AntiEntropy, Delay::After(o.interval_us));
                let purged = n.purge(cx.now);
                let peers = n.pick_peers(cx.rng, cx.nodes, o.fanout);
                let digest = n.digest(cx.now);
                let keys = digest.len();
                out.note(Note::Round { at: cx.me, peers: peers.clone(), exchange: o.exchange, keys, purged });
                for &p in &peers {
                    out.send(p, Msg::Digest { exchange: o.exchange, digest: digest.clone() });
                }
            }
            Timer::Rumor => {
                let Some(r) = o.rumor_settings() else { return };
                out.set_timer(Timer::Rumor, Delay::After(r.interval_us));
                if r.pull {
                    let peers = n.pick_peers(cx.rng, cx.nodes, o.fanout);
                    out.note(Note::RumorRound { at: cx.me, peers: peers.clone(), rumors: 0, pull: true, lost: 0 });
                    for &p in &peers {
                        out.send(p, Msg::RumorPull);
                    }
                    return;
                }
                let entries = n.rumor_entries(cx.now);
                if entries.is_empty() {
                    return;
                }
                let peers = n.pick_peers(cx.rng, cx.nodes, o.fanout);
                // Blind: each peer sent to counts a time against every rumor sent.
                let lost: usize = peers.iter().map(|_| n.after_send(&r, cx.rng, &entries)).sum();
                out.note(Note::RumorRound { at: cx.me, peers: peers.clone(), rumors: entries.len(), pull: false, lost });
                for &p in &peers {
                    out.send(p, Msg::Rumor { entries: entries.clone() });
                }
            }
        }
    }

    fn on_client(&self, n: &mut Core, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>) {
        let (c, id, seq) = (call.client, call.id, call.command.seq);
        let current = n.get(call.command.op.key()).map(str::to_string);
        let reply = |out: &mut Out<Self>, output: Output| out.push(Effect::Reply { client: c, seq, answer: Answer::Done(output) });
        match call.command.op {
            Op::Get { key } => {
                out.note(Note::Read { at: cx.me, client: id, key, value: current.clone() });
                reply(out, Output { ok: true, value: current });
            }
            Op::Put { key, value } => {
                self.write(n, cx, &key, Some(value), Some(id), out);
                reply(out, Output { ok: true, value: None });
            }
            Op::Cas { key, from, to } => {
                if current.as_deref() == Some(from.as_str()) {
                    self.write(n, cx, &key, Some(to), Some(id), out);
                    reply(out, Output { ok: true, value: None });
                } else {
                    out.note(Note::Refused { at: cx.me, client: id, key });
                    reply(out, Output { ok: false, value: None });
                }
            }
            Op::Increment { key } => match current.as_deref().map_or(Some(0), |v| v.parse::<u64>().ok()).and_then(|v| v.checked_add(1)) {
                Some(next) => {
                    let next = next.to_string();
                    self.write(n, cx, &key, Some(next.clone()), Some(id), out);
                    reply(out, Output { ok: true, value: Some(next) });
                }
                None => {
                    out.note(Note::Refused { at: cx.me, client: id, key });
                    reply(out, Output { ok: false, value: None });
                }
            },
        }
    }

    /// A command by hand: a key-value put (as [`Command::encode`] writes it) writes its key and
    /// value; any other text is written as the value of the key `command`. Returns the new
    /// version's timestamp.
    fn propose(&self, n: &mut Core, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
        let (key, value) = match Command::decode(&command).map(|c| c.op) {
            Some(Op::Put { key, value }) => (key, value),
            _ => ("command".to_string(), command),
        };
        Ok(self.write(n, cx, &key, Some(value), None, out).ts)
    }

    fn on_crash(&self, _n: &mut Core, cx: &mut Ctx, out: &mut Out<Self>) {
        out.note(Note::Crash { at: cx.me, kept: self.options.keep_state });
    }

    fn on_restart(&self, n: &mut Core, cx: &mut Ctx, out: &mut Out<Self>) {
        if !self.options.keep_state {
            n.lose_state();
        }
        out.note(Note::Restart { at: cx.me, kept: self.options.keep_state, keys: n.store.len() });
        self.arm(out, true);
    }

    fn on_resume(&self, _n: &mut Core, _cx: &mut Ctx, out: &mut Out<Self>) {
        if self.options.runs_anti_entropy() {
            out.push(Effect::ResumeTimer(Timer::AntiEntropy));
        }
        if self.options.rumor_settings().is_some() {
            out.push(Effect::ResumeTimer(Timer::Rumor));
        }
    }

    /// After every event at the agent: collective validation, when on ([`super::attest`]).
    fn settle(&self, n: &mut Core, cx: &mut Ctx, out: &mut Out<Self>) {
        self.attest_step(n, cx, out);
    }

    fn after_check(&self, _n: &mut Core, _cx: &mut Ctx, _out: &mut Out<Self>) {}

    fn leads(&self, _n: &Core) -> Option<u64> {
        None
    }

    fn committed_members(&self, _n: &Core) -> Option<Vec<NodeId>> {
        None
    }

    fn msg_kind(msg: &Msg) -> &'static str {
        msg.kind()
    }

    fn note_kind(note: &Note) -> &'static str {
        note.kind()
    }

    fn note_routine(note: &Note) -> bool {
        note.routine()
    }

    fn describe(&self, note: &Note, names: &[String]) -> String {
        note.describe(names)
    }
}

/// An agent's state with respect to one update (Demers et al. §1: susceptible, infective,
/// removed), or crashed. The discriminants are the codes of the JS `agentStates(key)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AgentState {
    /// Does not hold the update (0).
    Susceptible = 0,
    /// Holds it as a hot rumor (1).
    Infective = 1,
    /// Holds it, no longer hot (2). Without rumor mongering every informed agent is removed.
    Removed = 2,
    /// Crashed (3), whatever it holds.
    Crashed = 3,
}

/// A gossip population in the simulator.
pub type GossipSimulation = Simulation<Gossip>;

/// Gossip's actions and views on the generic simulator: what the tests (and later the page)
/// call.
impl Simulation<Gossip> {
    /// A population of `config.nodes` agents following `options`, with empty maps.
    ///
    /// Errors: the config breaks a rule of [`SimConfig::validate`], or the options one of
    /// [`Options::validate`].
    pub fn new(config: SimConfig, options: Options) -> Result<Self> {
        config.validate_up_to(Gossip::MAX_NODES)?;
        options.validate()?;
        if options.attestations.is_some() && config.nodes > super::attest::MAX_AGENTS {
            return Err(Error::invalid("nodes", format!("must be at most {} with attestations (each agent holds every agent's attestation)", super::attest::MAX_AGENTS)));
        }
        Simulation::start(config, Gossip { options })
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.protocol().options
    }

    fn writable(&self, agent: NodeId, key: &str) -> Result<()> {
        if agent >= self.ids().len() {
            return Err(Error::invalid("agent", format!("must be an agent index below {} (got {agent})", self.ids().len())));
        }
        self.require_running(agent)?;
        if key.is_empty() {
            return Err(Error::invalid("key", "must be a non-empty string"));
        }
        Ok(())
    }

    /// Agent `agent` writes `key = value` now (a new version, a hot rumor). Returns the
    /// version. Errors: no such agent, it is crashed or paused, or the key is empty.
    pub fn set(&mut self, agent: NodeId, key: &str, value: &str) -> Result<Version> {
        self.writable(agent, key)?;
        let (v, _) = self.act_with(agent, |p, n, cx, out| p.write(n, cx, key, Some(value.to_string()), None, out));
        self.settle();
        Ok(v)
    }

    /// Agent `agent` deletes `key` now: a death certificate (a new version without a value)
    /// that expires after [`Options::death_certificate_us`]. Returns its version. Errors as
    /// [`set`](Self::set).
    pub fn delete(&mut self, agent: NodeId, key: &str) -> Result<Version> {
        self.writable(agent, key)?;
        let (v, _) = self.act_with(agent, |p, n, cx, out| p.write(n, cx, key, None, None, out));
        self.settle();
        Ok(v)
    }

    /// A running agent (neither crashed nor paused) drawn uniformly from the simulation's RNG,
    /// or None when none runs. Draws once, then scans only if the draw hit an agent that does
    /// not run: O(1) while most agents run.
    pub fn random_running_agent(&mut self) -> Option<NodeId> {
        let n = self.ids().len();
        let i = self.rng().random_range(0..n);
        if self.require_running(i).is_ok() {
            return Some(i);
        }
        let running: Vec<NodeId> = (0..n).filter(|&j| self.require_running(j).is_ok()).collect();
        if running.is_empty() {
            return None;
        }
        let k = self.rng().random_range(0..running.len());
        Some(running[k])
    }

    /// Demers' state of every agent for `key`'s newest version ([`newest`](Self::newest)), by
    /// agent: `Susceptible` (does not hold it), `Infective` (holds it as a hot rumor),
    /// `Removed` (holds it, not hot), or `Crashed`. O(agents).
    pub fn agent_states(&self, key: &str) -> Vec<AgentState> {
        let now = self.now();
        let newest = self.newest(key);
        (0..self.ids().len())
            .map(|i| {
                if self.is_crashed(i) {
                    return AgentState::Crashed;
                }
                let n = self.node_state(i);
                let holds = newest.is_some_and(|v| n.store.get(key).is_some_and(|e| e.version == v && !e.expired(now)));
                match (holds, n.hot.get(key)) {
                    (false, _) => AgentState::Susceptible,
                    (true, Some(h)) if Some(h.version) == newest => AgentState::Infective,
                    (true, _) => AgentState::Removed,
                }
            })
            .collect()
    }

    /// The value agent `agent` holds for `key` (None: none, or deleted).
    pub fn get(&self, agent: NodeId, key: &str) -> Option<&str> {
        self.node_state(agent).get(key)
    }

    /// Agent `agent`'s replica: key → entry, in key order.
    pub fn store(&self, agent: NodeId) -> &Map<String, Entry> {
        &self.node_state(agent).store
    }

    /// The newest version of `key` any agent holds, crashed ones too (expired certificates
    /// left out); None when none holds it.
    pub fn newest(&self, key: &str) -> Option<Version> {
        let now = self.now();
        (0..self.ids().len()).filter_map(|i| self.store(i).get(key).filter(|e| !e.expired(now)).map(|e| e.version)).max()
    }

    /// How many live (running or paused, not crashed) agents hold the newest version of `key`
    /// (Demers: the update's infective and removed agents; the others are susceptible).
    pub fn informed(&self, key: &str) -> usize {
        let Some(v) = self.newest(key) else { return 0 };
        (0..self.ids().len()).filter(|&i| !self.is_crashed(i) && self.store(i).get(key).is_some_and(|e| e.version == v)).count()
    }

    /// Whether agent `agent` holds `key` as a hot rumor (infective, in Demers' terms).
    pub fn is_hot(&self, agent: NodeId, key: &str) -> bool {
        self.node_state(agent).hot.contains_key(key)
    }

    /// Whether every live agent holds the same versions (expired certificates left out);
    /// otherwise the first two agents that differ and a key they differ on.
    pub fn divergence(&self) -> Option<(NodeId, NodeId, String)> {
        let now = self.now();
        let live: Vec<NodeId> = (0..self.ids().len()).filter(|&i| !self.is_crashed(i) && !self.is_removed(i)).collect();
        let first = *live.first()?;
        let view = |i: NodeId| self.store(i).iter().filter(|(_, e)| !e.expired(now)).map(|(k, e)| (k, e.version));
        for &i in &live[1..] {
            let mut a = view(first);
            let mut b = view(i);
            loop {
                match (a.next(), b.next()) {
                    (None, None) => break,
                    (Some((ka, va)), Some((kb, vb))) if ka == kb && va == vb => continue,
                    (Some((ka, _)), Some((kb, _))) => return Some((first, i, ka.min(kb).clone())),
                    (Some((k, _)), None) | (None, Some((k, _))) => return Some((first, i, k.clone())),
                }
            }
        }
        None
    }
}
