//! `Simulation` at the JS boundary: the simulated cluster the page animates (feature
//! `simulation-api`, on by default and in the widget's build).

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{
    array, boolean, command_text, core, get, got, invalid, object, only_keys, string, to_js, uint, uint_in, JsResult,
    MAX_RUN_MS,
};
use crate::kv::Op;
use crate::protocol::{BugInfo, BugSet, NodeId};
use crate::sim::chaos::{self, Chaos, ChaosConfig};
use crate::sim::{self, ClientReply, EventView, Fate, HistoryOp, MessageLog, Micros, Network, SimConfig, Simulation, Stats, Violation, Workload};
use crate::error::{Error, Result};

// ---- Simulation ----------------------------------------------------------------------------

/// A deterministic simulated cluster `n1` … `nN` running one consensus mechanism (times in ms
/// at this boundary).
///
/// ```js
/// const sim = new Simulation({ protocol: 'raft', seed: 7, nodes: 5, latencyMs: [10, 15],
///   electionTimeoutMs: [150, 300], heartbeatMs: 50, dropRate: 0 }); // every key optional
/// ```
#[wasm_bindgen(js_name = Simulation)]
pub struct SimulationJs {
    pub(super) inner: Inner,
}

/// The simulation behind the class, by mechanism (an enum, not a trait object: a build that
/// hosts one mechanism pays nothing for the dispatch).
#[cfg_attr(feature = "snapshots", derive(Clone))]
pub(super) enum Inner {
    #[cfg(feature = "raft")]
    Raft(Simulation<crate::raft::Raft>),
    #[cfg(feature = "paxos")]
    Paxos(Simulation<crate::paxos::Paxos>),
    #[cfg(feature = "vote")]
    Vote(Simulation<crate::vote::Vote>),
    #[cfg(feature = "pbft")]
    Pbft(Simulation<crate::pbft::Pbft>),
    #[cfg(feature = "hotstuff")]
    HotStuff(Simulation<crate::hotstuff::HotStuff>),
    #[cfg(feature = "generals")]
    Generals(Simulation<crate::generals::Generals>),
    #[cfg(feature = "gossip")]
    Gossip(Simulation<crate::gossip::Gossip>),
}

/// `each!(inner, s => expr)`: `expr` with `s` bound to the simulation, whatever its mechanism.
macro_rules! each {
    ($inner:expr, $s:ident => $e:expr) => {
        match $inner {
            #[cfg(feature = "raft")]
            Inner::Raft($s) => $e,
            #[cfg(feature = "paxos")]
            Inner::Paxos($s) => $e,
            #[cfg(feature = "vote")]
            Inner::Vote($s) => $e,
            #[cfg(feature = "pbft")]
            Inner::Pbft($s) => $e,
            #[cfg(feature = "hotstuff")]
            Inner::HotStuff($s) => $e,
            #[cfg(feature = "generals")]
            Inner::Generals($s) => $e,
            #[cfg(feature = "gossip")]
            Inner::Gossip($s) => $e,
        }
    };
}

/// What a mechanism brings to the JS `Simulation` beyond the simulator's generic methods: its
/// options, views and actions. One impl per mechanism (Raft's in `sim_raft.rs`); a build
/// includes a mechanism's code only if its feature (`raft`, `paxos`, `vote`, `pbft`, `hotstuff`, `generals`, `gossip`) is on, since only
/// [`build`] names them.
pub(super) trait Mechanism: Chaos {
    /// The `protocol` option's value: `"raft"`, …
    const NAME: &'static str;
    /// A simulation from the constructor's `options` (an object, or undefined/null for the
    /// defaults; the `protocol` key is allowed and already read). Throws on bad options.
    fn build(options: &JsValue) -> JsResult<Simulation<Self>>;
    /// The settings in effect, in the constructor's shape.
    fn config(sim: &Simulation<Self>) -> JsValue;
    /// Every node's view.
    fn nodes(sim: &Simulation<Self>) -> JsValue;
    /// Every message in flight.
    fn messages(sim: &Simulation<Self>) -> JsValue;
    /// A hand-made client request (`command`: JSON text) to the leader or to `to`.
    fn client_request(sim: &mut Simulation<Self>, command: String, to: Option<NodeId>) -> Result<ClientReply>;
    /// Node `i` tries to lead now (Raft: an election as if its timer fired).
    fn start_election(_sim: &mut Simulation<Self>, _i: NodeId) -> Result<()> {
        Err(unsupported::<Self>("startElection"))
    }
    /// The leader hands over to `to`.
    fn transfer_leadership(_sim: &mut Simulation<Self>, _to: NodeId) -> Result<()> {
        Err(unsupported::<Self>("transferLeadership"))
    }
    /// A node joins; returns its index.
    fn add_node(_sim: &mut Simulation<Self>) -> Result<NodeId> {
        Err(unsupported::<Self>("addNode"))
    }
    /// Node `i` leaves.
    fn remove_node(_sim: &mut Simulation<Self>, _i: NodeId) -> Result<()> {
        Err(unsupported::<Self>("removeNode"))
    }
}

/// The index of node `id` (`param` names the argument in the error). Populations larger than
/// the ring's (gossip's 10,000 agents) read `n{k}` as a number rather than search every id (a
/// partition names them all); compiled out for mechanisms of at most 16 nodes.
pub(super) fn index_of<P: crate::protocol::Protocol>(sim: &Simulation<P>, param: &str, id: &str) -> Result<NodeId> {
    if P::MAX_NODES > sim::config::MAX_NODES {
        let k = id.strip_prefix('n').and_then(|k| k.parse::<usize>().ok());
        if let Some(i) = k.and_then(|k| k.checked_sub(1)).filter(|&i| sim.ids().get(i).is_some_and(|x| x == id)) {
            return Ok(i);
        }
    }
    sim.index_of(param, id)
}

fn unsupported<P: Mechanism>(method: &str) -> Error {
    Error::invalid(method, format!("is not an action of {} simulations", P::NAME))
}

/// The simulation behind the JS class, whatever its mechanism: the generic simulator's methods
/// and the mechanism's, in one trait so that [`each!`] can call either.
trait Hosted {
    fn name(&self) -> &'static str;
    fn config(&self) -> JsValue;
    fn nodes(&self) -> JsValue;
    fn messages(&self) -> JsValue;
    fn client_request(&mut self, command: String, to: Option<NodeId>) -> Result<ClientReply>;
    fn start_election(&mut self, i: NodeId) -> Result<()>;
    fn transfer_leadership(&mut self, to: NodeId) -> Result<()>;
    fn add_node(&mut self) -> Result<NodeId>;
    fn remove_node(&mut self, i: NodeId) -> Result<()>;
    fn bug_list(&self) -> &'static [BugInfo];
    fn set_bugs(&mut self, bugs: BugSet);
    fn now(&self) -> Micros;
    fn ids(&self) -> &[String];
    fn index_of(&self, param: &str, id: &str) -> Result<NodeId>;
    fn step(&mut self) -> Option<EventView>;
    fn run_until(&mut self, until: Micros) -> u64;
    fn crash(&mut self, i: NodeId) -> Result<()>;
    fn restart(&mut self, i: NodeId) -> Result<()>;
    fn pause(&mut self, i: NodeId) -> Result<()>;
    fn resume(&mut self, i: NodeId) -> Result<()>;
    fn drop_message(&mut self, id: u64) -> Result<()>;
    fn partition(&mut self, groups: &[Vec<NodeId>]) -> Result<()>;
    fn heal(&mut self);
    fn cut_link(&mut self, from: NodeId, to: NodeId, both: bool) -> Result<()>;
    fn repair_link(&mut self, from: NodeId, to: NodeId, both: bool) -> Result<()>;
    fn set_latency(&mut self, range: (Micros, Micros)) -> Result<()>;
    fn set_link_latency(&mut self, from: NodeId, to: NodeId, range: Option<(Micros, Micros)>) -> Result<()>;
    fn set_drop_rate(&mut self, rate: f64) -> Result<()>;
    fn set_duplicate_rate(&mut self, rate: f64) -> Result<()>;
    fn network(&self) -> &Network;
    fn start_clients(&mut self, w: Workload);
    fn stop_clients(&mut self);
    fn history(&self) -> &[HistoryOp];
    fn leader(&self) -> Option<NodeId>;
    fn violations(&self) -> &[Violation];
    /// Turns on the incremental check of the client history, for a mechanism whose clients
    /// expect a linearizable store ([`Chaos::LINEARIZABLE`]).
    fn check_history(&mut self);
    fn history_violations(&self) -> &[Violation];
    fn stats(&self) -> Stats;
    fn events_since(&self, after: u64) -> impl Iterator<Item = EventView> + '_;
    fn message_log(&self) -> &MessageLog;
    fn keep_message_log(&mut self, capacity: usize);
    fn next_event_at(&self) -> Option<Micros>;
    #[cfg(feature = "byzantine")]
    fn behaviours(&self) -> &'static [crate::protocol::BehaviourInfo];
    #[cfg(feature = "byzantine")]
    fn set_byzantine(&mut self, i: NodeId, b: Option<crate::protocol::Byzantine>) -> Result<()>;
    #[cfg(feature = "byzantine")]
    fn byzantine(&self, i: NodeId) -> Option<&crate::protocol::Byzantine>;
    #[cfg(feature = "byzantine")]
    fn byzantine_name(&self, i: NodeId) -> Option<&'static str>;
}

impl<P: Mechanism> Hosted for Simulation<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }
    fn config(&self) -> JsValue {
        P::config(self)
    }
    fn nodes(&self) -> JsValue {
        P::nodes(self)
    }
    fn messages(&self) -> JsValue {
        P::messages(self)
    }
    fn client_request(&mut self, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        P::client_request(self, command, to)
    }
    fn start_election(&mut self, i: NodeId) -> Result<()> {
        P::start_election(self, i)
    }
    fn transfer_leadership(&mut self, to: NodeId) -> Result<()> {
        P::transfer_leadership(self, to)
    }
    fn add_node(&mut self) -> Result<NodeId> {
        P::add_node(self)
    }
    fn remove_node(&mut self, i: NodeId) -> Result<()> {
        P::remove_node(self, i)
    }
    fn bug_list(&self) -> &'static [BugInfo] {
        P::BUGS
    }
    fn set_bugs(&mut self, bugs: BugSet) {
        Simulation::set_bugs(self, bugs)
    }
    fn now(&self) -> Micros {
        Simulation::now(self)
    }
    fn ids(&self) -> &[String] {
        Simulation::ids(self)
    }
    fn index_of(&self, param: &str, id: &str) -> Result<NodeId> {
        index_of(self, param, id)
    }
    fn step(&mut self) -> Option<EventView> {
        Simulation::step(self)
    }
    fn run_until(&mut self, until: Micros) -> u64 {
        Simulation::run_until(self, until)
    }
    fn crash(&mut self, i: NodeId) -> Result<()> {
        Simulation::crash(self, i)
    }
    fn restart(&mut self, i: NodeId) -> Result<()> {
        Simulation::restart(self, i)
    }
    fn pause(&mut self, i: NodeId) -> Result<()> {
        Simulation::pause(self, i)
    }
    fn resume(&mut self, i: NodeId) -> Result<()> {
        Simulation::resume(self, i)
    }
    fn drop_message(&mut self, id: u64) -> Result<()> {
        Simulation::drop_message(self, id)
    }
    fn partition(&mut self, groups: &[Vec<NodeId>]) -> Result<()> {
        Simulation::partition(self, groups)
    }
    fn heal(&mut self) {
        Simulation::heal(self)
    }
    fn cut_link(&mut self, from: NodeId, to: NodeId, both: bool) -> Result<()> {
        Simulation::cut_link(self, from, to, both)
    }
    fn repair_link(&mut self, from: NodeId, to: NodeId, both: bool) -> Result<()> {
        Simulation::repair_link(self, from, to, both)
    }
    fn set_latency(&mut self, range: (Micros, Micros)) -> Result<()> {
        Simulation::set_latency(self, range)
    }
    fn set_link_latency(&mut self, from: NodeId, to: NodeId, range: Option<(Micros, Micros)>) -> Result<()> {
        Simulation::set_link_latency(self, from, to, range)
    }
    fn set_drop_rate(&mut self, rate: f64) -> Result<()> {
        Simulation::set_drop_rate(self, rate)
    }
    fn set_duplicate_rate(&mut self, rate: f64) -> Result<()> {
        Simulation::set_duplicate_rate(self, rate)
    }
    fn network(&self) -> &Network {
        Simulation::network(self)
    }
    fn start_clients(&mut self, w: Workload) {
        Simulation::start_clients(self, w)
    }
    fn stop_clients(&mut self) {
        Simulation::stop_clients(self)
    }
    fn history(&self) -> &[HistoryOp] {
        Simulation::history(self)
    }
    fn leader(&self) -> Option<NodeId> {
        Simulation::leader(self)
    }
    fn violations(&self) -> &[Violation] {
        Simulation::violations(self)
    }
    fn check_history(&mut self) {
        if P::LINEARIZABLE {
            Simulation::check_history(self)
        }
    }
    fn history_violations(&self) -> &[Violation] {
        Simulation::history_violations(self)
    }
    fn stats(&self) -> Stats {
        Simulation::stats(self)
    }
    fn events_since(&self, after: u64) -> impl Iterator<Item = EventView> + '_ {
        Simulation::events_since(self, after)
    }
    fn next_event_at(&self) -> Option<Micros> {
        Simulation::next_event_at(self)
    }
    fn message_log(&self) -> &MessageLog {
        Simulation::message_log(self)
    }
    fn keep_message_log(&mut self, capacity: usize) {
        Simulation::keep_message_log(self, capacity)
    }
    #[cfg(feature = "byzantine")]
    fn behaviours(&self) -> &'static [crate::protocol::BehaviourInfo] {
        P::BEHAVIOURS
    }
    #[cfg(feature = "byzantine")]
    fn set_byzantine(&mut self, i: NodeId, b: Option<crate::protocol::Byzantine>) -> Result<()> {
        Simulation::set_byzantine(self, i, b)
    }
    #[cfg(feature = "byzantine")]
    fn byzantine(&self, i: NodeId) -> Option<&crate::protocol::Byzantine> {
        Simulation::byzantine(self, i)
    }
    #[cfg(feature = "byzantine")]
    fn byzantine_name(&self, i: NodeId) -> Option<&'static str> {
        Simulation::byzantine_name(self, i)
    }
}

/// The mechanisms this build hosts, as `protocol` names them.
const PROTOCOLS: &[&str] = &[
    #[cfg(feature = "raft")]
    "raft",
    #[cfg(feature = "paxos")]
    "paxos",
    #[cfg(feature = "vote")]
    "vote",
    #[cfg(feature = "pbft")]
    "pbft",
    #[cfg(feature = "hotstuff")]
    "hotstuff",
    #[cfg(feature = "generals")]
    "generals",
    #[cfg(feature = "gossip")]
    "gossip",
];

/// The `protocol` option of `options`: a name from [`PROTOCOLS`] (`"raft"` when absent).
fn protocol_name(options: &JsValue) -> JsResult<String> {
    protocol_of(&if options.is_object() { get(options, "protocol") } else { JsValue::UNDEFINED })
}

/// `v` as a name from [`PROTOCOLS`] (`"raft"` when undefined).
fn protocol_of(v: &JsValue) -> JsResult<String> {
    if v.is_undefined() {
        return Ok("raft".into());
    }
    match v.as_string() {
        Some(s) if PROTOCOLS.contains(&s.as_str()) => Ok(s),
        _ => Err(got("protocol", &format!("must be one of {}", PROTOCOLS.join(", ")), v)),
    }
}

/// Builds the simulation of mechanism `name` (one of [`PROTOCOLS`]).
/// Its message record is kept ([`logged`]).
fn build(name: &str, options: &JsValue) -> JsResult<Inner> {
    Ok(logged(match name {
        #[cfg(feature = "raft")]
        "raft" => Ok(Inner::Raft(<crate::raft::Raft as Mechanism>::build(options)?)),
        #[cfg(feature = "paxos")]
        "paxos" => Ok(Inner::Paxos(<crate::paxos::Paxos as Mechanism>::build(options)?)),
        #[cfg(feature = "vote")]
        "vote" => Ok(Inner::Vote(<crate::vote::Vote as Mechanism>::build(options)?)),
        #[cfg(feature = "pbft")]
        "pbft" => Ok(Inner::Pbft(<crate::pbft::Pbft as Mechanism>::build(options)?)),
        #[cfg(feature = "hotstuff")]
        "hotstuff" => Ok(Inner::HotStuff(<crate::hotstuff::HotStuff as Mechanism>::build(options)?)),
        #[cfg(feature = "generals")]
        "generals" => Ok(Inner::Generals(<crate::generals::Generals as Mechanism>::build(options)?)),
        #[cfg(feature = "gossip")]
        "gossip" => Ok(Inner::Gossip(<crate::gossip::Gossip as Mechanism>::build(options)?)),
        _ => Err(invalid("protocol", format!("must be one of {}", PROTOCOLS.join(", ")))),
    }?))
}

/// `inner` keeping a record of its last [`sim::MESSAGE_LOG_CAPACITY`] messages, for
/// `messageLog()` (the page's space-time diagram).
fn logged(mut inner: Inner) -> Inner {
    each!(&mut inner, s => Hosted::keep_message_log(s, sim::MESSAGE_LOG_CAPACITY));
    inner
}

/// The deliberate bugs of mechanism `name` (one of [`PROTOCOLS`]).
fn bug_list(name: &str) -> &'static [BugInfo] {
    match name {
        #[cfg(feature = "raft")]
        "raft" => <crate::raft::Raft as crate::protocol::Protocol>::BUGS,
        #[cfg(feature = "paxos")]
        "paxos" => <crate::paxos::Paxos as crate::protocol::Protocol>::BUGS,
        #[cfg(feature = "vote")]
        "vote" => <crate::vote::Vote as crate::protocol::Protocol>::BUGS,
        #[cfg(feature = "pbft")]
        "pbft" => <crate::pbft::Pbft as crate::protocol::Protocol>::BUGS,
        #[cfg(feature = "hotstuff")]
        "hotstuff" => <crate::hotstuff::HotStuff as crate::protocol::Protocol>::BUGS,
        #[cfg(feature = "generals")]
        "generals" => <crate::generals::Generals as crate::protocol::Protocol>::BUGS,
        #[cfg(feature = "gossip")]
        "gossip" => <crate::gossip::Gossip as crate::protocol::Protocol>::BUGS,
        _ => &[],
    }
}

/// The randomized run of `cfg` for `P` where it stopped, or (`start`: a number of clients) where
/// it starts, with that many clients.
fn check_run<P: Chaos>(cfg: &ChaosConfig, start: Option<usize>) -> JsResult<Simulation<P>> {
    match start {
        Some(clients) => chaos::start::<P>(cfg, Some(clients)).map_err(core),
        None => Ok(chaos::run::<P>(cfg).map_err(core)?.0),
    }
}

/// Runs the randomized run of `cfg` for mechanism `name` (one of [`PROTOCOLS`]), or its start.
fn from_check(name: &str, cfg: &ChaosConfig, start: Option<usize>) -> JsResult<Inner> {
    match name {
        #[cfg(feature = "raft")]
        "raft" => Ok(Inner::Raft(check_run(cfg, start)?)),
        #[cfg(feature = "paxos")]
        "paxos" => Ok(Inner::Paxos(check_run(cfg, start)?)),
        #[cfg(feature = "vote")]
        "vote" => Ok(Inner::Vote(check_run(cfg, start)?)),
        #[cfg(feature = "pbft")]
        "pbft" => Ok(Inner::Pbft(check_run(cfg, start)?)),
        #[cfg(feature = "hotstuff")]
        "hotstuff" => Ok(Inner::HotStuff(check_run(cfg, start)?)),
        #[cfg(feature = "generals")]
        "generals" => Ok(Inner::Generals(check_run(cfg, start)?)),
        #[cfg(feature = "gossip")]
        "gossip" => Ok(Inner::Gossip(check_run(cfg, start)?)),
        _ => Err(invalid("protocol", format!("must be one of {}", PROTOCOLS.join(", ")))),
    }
}

/// The rule for `nodes`, spelled out so no formatting is needed (the assert keeps it in step
/// with `sim::config::MAX_NODES`).
pub(super) const NODES_RULE: &str = "must be an integer from 1 to 16";
const _: () = assert!(sim::config::MAX_NODES == 16);

/// The simulator's options every mechanism shares (`seed`, `nodes`, `latencyMs`, `dropRate`,
/// `duplicateRate`, `persistMs`, `bugs`), read from `options` into `sim` and `bugs`; `keys` lists
/// every key the mechanism allows (the rest are refused, naming them). For mechanisms other than
/// Raft, whose options keep their historical order of checks.
pub(super) fn parse_sim_options(options: &JsValue, keys: &[&str], sim: &mut SimConfig, bugs: &mut BugSet, list: &'static [BugInfo]) -> JsResult<()> {
    object(options, "options")?;
    only_keys(options, keys)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("seed") {
        sim.seed = uint(&v, "seed")?;
    }
    if let Some(v) = opt("nodes") {
        sim.nodes = uint_in(&v, "nodes", 1..=sim::config::MAX_NODES as u64, NODES_RULE)? as usize;
    }
    if let Some(v) = opt("latencyMs") {
        sim.latency_us = ms_range(&v, "latencyMs")?;
    }
    if let Some(v) = opt("dropRate") {
        sim.drop_rate = rate(&v, "dropRate")?;
    }
    if let Some(v) = opt("duplicateRate") {
        sim.duplicate_rate = rate(&v, "duplicateRate")?;
    }
    if let Some(v) = opt("persistMs") {
        sim.persist_us = ms_to_us(&v, "persistMs")?;
    }
    if let Some(v) = opt("bugs") {
        *bugs = parse_bugs(&v, "bugs", list)?;
    }
    sim.validate().map_err(core)
}

/// The shared options' keys, as [`parse_sim_options`] reads them.
pub(super) const SIM_KEYS: [&str; 8] = ["protocol", "seed", "nodes", "latencyMs", "dropRate", "duplicateRate", "persistMs", "bugs"];

/// An array of bug names from `list` (a mechanism's `BUGS`).
pub(super) fn parse_bugs(v: &JsValue, param: &str, list: &'static [BugInfo]) -> JsResult<BugSet> {
    let arr = array(v, param)?;
    let mut bugs = BugSet::NONE;
    for (k, name) in arr.iter().enumerate() {
        let bug = name.as_string().and_then(|n| BugSet::index_of(list, &n)).ok_or_else(|| {
            let names: Vec<&str> = list.iter().map(|b| b.name).collect();
            got(&format!("{param}[{k}]"), &format!("must be one of {}", names.join(", ")), &name)
        })?;
        bugs = bugs.with(bug, true);
    }
    Ok(bugs)
}

pub(super) fn ms_to_us(v: &JsValue, param: &str) -> JsResult<Micros> {
    match v.as_f64() {
        Some(f) if f.is_finite() && (0.0..=MAX_RUN_MS).contains(&f) => Ok((f * 1000.0).round() as Micros),
        _ => Err(got(param, "must be a number of ms from 0 to 3600000", v)),
    }
}

pub(super) fn ms_range(v: &JsValue, param: &str) -> JsResult<(Micros, Micros)> {
    let arr = array(v, param)?;
    if arr.length() != 2 {
        return Err(invalid(param, format!("must be [lo, hi] in ms (got {} numbers)", arr.length())));
    }
    Ok((ms_to_us(&arr.get(0), &format!("{param}[0]"))?, ms_to_us(&arr.get(1), &format!("{param}[1]"))?))
}

/// A probability in [0, 1].
pub(super) fn rate(v: &JsValue, param: &str) -> JsResult<f64> {
    match v.as_f64() {
        Some(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(got(param, "must be a number from 0 to 1", v)),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HistoryJs<'a> {
    client: u32,
    op: &'a str,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    call: f64,
    r#return: Option<f64>,
    ok: Option<bool>,
    output: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BugJs {
    name: &'static str,
    breaks: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg(feature = "byzantine")]
struct BehaviourJs {
    name: &'static str,
    does: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkLatencyJs<'a> {
    from: &'a str,
    to: &'a str,
    latency_ms: [f64; 2],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NetworkJs<'a> {
    latency_ms: [f64; 2],
    drop_rate: f64,
    duplicate_rate: f64,
    cut_links: Vec<[&'a str; 2]>,
    link_latency: Vec<LinkLatencyJs<'a>>,
}

/// The most nodes whose cut links `network()` lists one by one.
const MAX_LISTED_CUTS: usize = 32;

/// The most nodes a simulation of any mechanism this build hosts may have
/// ([`crate::protocol::Protocol::MAX_NODES`]).
const MAX_HOSTED_NODES: usize = {
    use crate::protocol::Protocol;
    let sizes = [
        #[cfg(feature = "raft")]
        crate::raft::Raft::MAX_NODES,
        #[cfg(feature = "paxos")]
        crate::paxos::Paxos::MAX_NODES,
        #[cfg(feature = "vote")]
        crate::vote::Vote::MAX_NODES,
        #[cfg(feature = "pbft")]
        crate::pbft::Pbft::MAX_NODES,
        #[cfg(feature = "hotstuff")]
        crate::hotstuff::HotStuff::MAX_NODES,
        #[cfg(feature = "generals")]
        crate::generals::Generals::MAX_NODES,
        #[cfg(feature = "gossip")]
        crate::gossip::Gossip::MAX_NODES,
    ];
    let (mut max, mut k) = (0, 0);
    while k < sizes.len() {
        if sizes[k] > max {
            max = sizes[k];
        }
        k += 1;
    }
    max
};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ViolationJs<'a> {
    rule: &'a str,
    nodes: &'a [String],
    time: f64,
    detail: &'a str,
    /// The log index, slot or sequence number named, when the rule is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<f64>,
}

/// What every mechanism's view of a message in flight begins with: `{id, from, to, kind,
/// sentAt, deliverAt}` (times in ms); the mechanism sets its own fields after these.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageHeadJs<'a> {
    id: u64,
    from: &'a str,
    to: &'a str,
    kind: &'static str,
    sent_at: f64,
    deliver_at: f64,
}

impl<'a> MessageHeadJs<'a> {
    /// Message `m` of kind `kind`, its nodes named from `ids`.
    pub(super) fn of<M>(ids: &'a [String], m: &sim::Message<M>, kind: &'static str) -> Self {
        let name = |i: NodeId| ids.get(i).map_or("?", String::as_str);
        MessageHeadJs { id: m.id, from: name(m.from), to: name(m.to), kind, sent_at: ms(m.sent_at), deliver_at: ms(m.deliver_at) }
    }
}

pub(super) fn ms(us: Micros) -> f64 {
    us as f64 / 1000.0
}

#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// `new Simulation(options?)`. Options (all optional): `protocol` (the mechanism: `"raft"`,
    /// the default, or another this build hosts — see the README's per-mechanism options; the
    /// rest of this list is Raft's), `seed` (non-negative integer, 7),
    /// `nodes` (1–16, 5), `latencyMs` ([lo, hi], [10, 15]), `electionTimeoutMs` ([150, 300]),
    /// `heartbeatMs` (50), `dropRate` (0–1, 0), `duplicateRate` (0–1, 0), `bugs` (deliberate
    /// protocol bugs by name, `[]`; see `Simulation.bugList()`), `preVote` (true: PreVote,
    /// dissertation §9.6), `checkQuorum` (true: CheckQuorum, §6.2), `maxEntriesPerAppend` (64;
    /// null for no limit), `snapshotInterval` (10000 applied entries between snapshots, §7;
    /// null: never), `readIndex` (true: client reads by ReadIndex, §6.4), `batchMs` (null:
    /// each write sent at once; a number: the leader collects writes that long and sends them
    /// together), `persistMs` (0; how long a server writes to stable storage before a reply
    /// that changed its currentTerm, votedFor or log, Figure 2). Unknown keys are refused.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> JsResult<SimulationJs> {
        let name = protocol_name(&options)?;
        #[cfg(feature = "byzantine")]
        if options.is_object() && !get(&options, "byzantine").is_undefined() {
            // The traitors are the simulator's: the mechanism reads the rest.
            let traitors = get(&options, "byzantine");
            let rest = js_sys::Object::assign(&js_sys::Object::new(), &js_sys::Object::from(options.clone()));
            let _ = js_sys::Reflect::delete_property(&rest, &"byzantine".into());
            let mut sim = SimulationJs { inner: build(&name, &rest)? };
            sim.set_traitors(&traitors)?;
            return Ok(sim.checking_history());
        }
        Ok(SimulationJs { inner: build(&name, &options)? }.checking_history())
    }

    /// Replays a `consensus-sim check` run (same seed, nodes, events, faults and bug) up to
    /// where it stopped, for a failing seed the CLI printed: `options` is `{protocol, seed,
    /// nodes, events, faults, bug, byzantine?}` (`protocol` as for the constructor, `"raft"`
    /// when absent; `faults` a comma-separated list or "all"; `bug` a name or null; `byzantine`
    /// the number of traitors drawn per seed, as `check --byzantine K`, 0 when absent). Returns the simulation
    /// at that point, its violation (if any) in `violations()`. With `clients` (a non-negative
    /// integer; above 64 counts as 64), the run's start instead: the seed's simulation before any event, with that many
    /// KV clients, where a run `consensus-sim shrink` printed starts (issue #16 §2: its actions
    /// are this API's calls, at their times).
    #[wasm_bindgen(js_name = fromCheck)]
    pub fn from_check(options: JsValue) -> JsResult<SimulationJs> {
        object(&options, "options")?;
        let name = protocol_name(&options)?;
        let seed = uint(&get(&options, "seed"), "seed")?;
        let nodes = uint(&get(&options, "nodes"), "nodes").ok().filter(|n| (1..=sim::config::MAX_NODES as u64).contains(n));
        let nodes = nodes.ok_or_else(|| invalid("nodes", NODES_RULE))? as usize;
        let events = uint(&get(&options, "events"), "events").ok().filter(|n| (1..=1_000_000).contains(n));
        let events = events.ok_or_else(|| invalid("events", "must be an integer from 1 to 1000000"))?;
        let faults = string(&get(&options, "faults"), "faults")?;
        let faults = chaos::Fault::parse_list(&faults).map_err(core)?;
        let bug = get(&options, "bug");
        let bugs = if bug.is_null() || bug.is_undefined() {
            BugSet::NONE
        } else {
            let bug_name = string(&bug, "bug")?;
            let b = BugSet::index_of(bug_list(&name), &bug_name).ok_or_else(|| invalid("bug", format!("must be a bug name (got \"{bug_name}\")")))?;
            BugSet::NONE.with(b, true)
        };
        // Traitors drawn per seed (`check --byzantine K`): builds with traitors only.
        #[cfg(feature = "byzantine")]
        let traitors = match get(&options, "byzantine") {
            v if v.is_undefined() => 0,
            v => uint_in(&v, "byzantine", 0..=nodes as u64, "must be an integer from 0 to nodes")? as usize,
        };
        #[cfg(not(feature = "byzantine"))]
        let traitors = 0;
        let cfg = ChaosConfig { seed, nodes, events, faults, bugs, traitors };
        let start = match get(&options, "clients") {
            v if v.is_undefined() || v.is_null() => None,
            v => Some(uint(&v, "clients")?.min(64) as usize),
        };
        Ok(SimulationJs { inner: logged(from_check(&name, &cfg, start)?) }.checking_history())
    }

    /// The settings in effect, in the constructor's shape (without `byzantine`: see
    /// `byzantine()`).
    #[wasm_bindgen(getter)]
    pub fn config(&self) -> JsValue {
        each!(&self.inner, s => Hosted::config(s))
    }

    /// Time of the next pending event, ms, or null when none is pending. A guided scenario
    /// (www/stage/scenario.js) waits for a condition event by event up to it, so that a step's
    /// moment is the instant that met the condition, whatever the frames.
    #[wasm_bindgen(getter, js_name = nextEventAt)]
    pub fn next_event_at(&self) -> JsValue {
        each!(&self.inner, s => Hosted::next_event_at(s)).map_or(JsValue::NULL, |t| JsValue::from_f64(ms(t)))
    }

    /// Simulated time, ms.
    #[wasm_bindgen(getter)]
    pub fn now(&self) -> f64 {
        ms(each!(&self.inner, s => Hosted::now(s)))
    }

    /// Node ids, `['n1', …]`.
    #[wasm_bindgen(getter)]
    pub fn ids(&self) -> Vec<String> {
        each!(&self.inner, s => Hosted::ids(s)).to_vec()
    }

    /// Handles the next event and returns it (`{seq, time, kind, node, messageId, messageKind,
    /// from, to, text}`), or null when nothing is pending.
    pub fn step(&mut self) -> JsValue {
        each!(&mut self.inner, s => Hosted::step(s)).as_ref().map_or(JsValue::NULL, to_js)
    }

    /// Handles every event up to `ms` (simulated ms; at most one hour past now) and moves the
    /// clock there. Returns the number of events handled.
    #[wasm_bindgen(js_name = runUntil)]
    pub fn run_until(&mut self, ms_: JsValue) -> JsResult<f64> {
        let now = self.now();
        match ms_.as_f64() {
            Some(f) if f.is_finite() && f >= 0.0 && f <= now + MAX_RUN_MS => {
                Ok(each!(&mut self.inner, s => Hosted::run_until(s, (f * 1000.0).floor() as Micros)) as f64)
            }
            _ => Err(got("ms", "must be a number of ms from 0 to now + 3600000", &ms_)),
        }
    }

    /// Node `id` starts an election now, as if its election timer fired. Throws for an unknown
    /// or crashed node.
    #[wasm_bindgen(js_name = startElection)]
    pub fn start_election(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        each!(&mut self.inner, s => Hosted::start_election(s, i)).map_err(core)
    }

    /// Node `id` crashes (keeps currentTerm, votedFor and its log; its replies still waiting for
    /// a `persistMs` write are lost). Throws if already crashed.
    pub fn crash(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        each!(&mut self.inner, s => Hosted::crash(s, i)).map_err(core)
    }

    /// Crashed node `id` restarts as a follower with its persistent state. Throws if running.
    pub fn restart(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        each!(&mut self.inner, s => Hosted::restart(s, i)).map_err(core)
    }

    /// The leader hands leadership to node `to` (dissertation §3.10): it stops taking client
    /// commands, brings `to` up to date, then sends it TimeoutNow. Throws when there is no
    /// leader, or `to` is the leader, unknown, crashed or paused.
    #[wasm_bindgen(js_name = transferLeadership)]
    pub fn transfer_leadership(&mut self, to: JsValue) -> JsResult<()> {
        let i = self.node_param(&to, "to")?;
        each!(&mut self.inner, s => Hosted::transfer_leadership(s, i)).map_err(core)
    }

    /// Adds a server (dissertation §4.1): a new node with an empty log starts and the leader
    /// appends the configuration that includes it. Returns the new node's id (`n{N+1}`).
    /// Throws when there is no running leader, 16 nodes exist, a change is still uncommitted
    /// or the leader has not committed an entry of its term yet.
    #[wasm_bindgen(js_name = addNode)]
    pub fn add_node(&mut self) -> JsResult<String> {
        let i = each!(&mut self.inner, s => Hosted::add_node(s)).map_err(core)?;
        Ok(each!(&self.inner, s => Hosted::ids(s))[i].clone())
    }

    /// Removes server `id` (dissertation §4.1): the leader appends the configuration without
    /// it; it shuts down once that commits (a removed leader steps down first). Throws when
    /// there is no running leader, `id` is not a member or the last one, or a change is
    /// still uncommitted.
    #[wasm_bindgen(js_name = removeNode)]
    pub fn remove_node(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        each!(&mut self.inner, s => Hosted::remove_node(s, i)).map_err(core)
    }

    /// Loses message `messageId` (from `messages()`). Throws if it is not in flight.
    #[wasm_bindgen(js_name = dropMessage)]
    pub fn drop_message(&mut self, message_id: JsValue) -> JsResult<()> {
        let id = uint(&message_id, "messageId")?;
        each!(&mut self.inner, s => Hosted::drop_message(s, id)).map_err(core)
    }

    /// A client sends `command` (any JSON value) to the current leader, or to node `to` when
    /// given. Returns `{accepted, leader, index}`: accepted false without a leader, or when `to`
    /// is not the leader (then `leader` names the leader it knows, if any).
    ///
    /// Gossip: `clientRequest({key, value}, at?)` writes `key = value` (`value` a string, or
    /// null: a delete, leaving a death certificate) at agent `at`, or at a running agent drawn
    /// from the simulation's seeded RNG when `at` is left out. Returns `{accepted, at, version:
    /// {ts, writer}, reason}`: accepted false (version null, `reason` saying why) when the
    /// agent is crashed or paused, or no agent runs.
    #[wasm_bindgen(js_name = clientRequest)]
    pub fn client_request(&mut self, command: JsValue, to: JsValue) -> JsResult<JsValue> {
        // Gossip writes `{key, value}` at agent `to` (or one drawn at random): see sim_gossip.rs.
        #[cfg(feature = "gossip")]
        #[allow(irrefutable_let_patterns)]
        if let Inner::Gossip(s) = &mut self.inner {
            return super::sim_gossip::client_request(s, &command, &to);
        }
        let text = command_text(&command, "command")?;
        let to = if to.is_undefined() || to.is_null() { None } else { Some(self.node_param(&to, "to")?) };
        let reply = each!(&mut self.inner, s => Hosted::client_request(s, text, to)).map_err(core)?;
        Ok(to_js(&reply))
    }

    /// Every node: `[{id, state, currentTerm, votedFor, commitIndex, lastApplied, log,
    /// nextIndex, matchIndex, electionTimerStart, electionDeadline, leaderId, votes, preVotes,
    /// crashed, paused, removed, kv, snapshotIndex, snapshotTerm, members}]` (times in ms;
    /// nextIndex/matchIndex and kv as objects keyed by node id / key; `log` holds the entries
    /// after the snapshot).
    pub fn nodes(&self) -> JsValue {
        let nodes = each!(&self.inner, s => Hosted::nodes(s));
        #[cfg(feature = "byzantine")]
        each!(&self.inner, s => {
            for (i, n) in Array::from(&nodes).iter().enumerate() {
                let b = Hosted::byzantine_name(s, i);
                super::set(&n, "byzantine", &b.map_or(JsValue::NULL, JsValue::from_str));
            }
        });
        nodes
    }

    /// Messages in flight: `[{id, from, to, kind, sentAt, deliverAt, term, …}]` with the RPC's
    /// fields (Raft paper Figure 2, camelCase); kind is `RequestVote`, `RequestVoteResponse`,
    /// `AppendEntries`, `AppendEntriesResponse`, or one of the extensions' `PreVote`,
    /// `PreVoteResponse`, `TimeoutNow`, `InstallSnapshot` (with `lastIncludedIndex`,
    /// `lastIncludedTerm`) and `InstallSnapshotResponse`.
    pub fn messages(&self) -> JsValue {
        each!(&self.inner, s => Hosted::messages(s))
    }

    /// Node `id` freezes (a stopped process): it handles nothing, messages to it wait, and its
    /// replies still waiting for a `persistMs` write leave only when it resumes.
    /// Throws for an unknown, crashed or already paused node.
    pub fn pause(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        each!(&mut self.inner, s => Hosted::pause(s, i)).map_err(core)
    }

    /// Paused node `id` wakes with the view it had; overdue timers fire and waiting messages
    /// are delivered now. Throws unless it is paused.
    pub fn resume(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        each!(&mut self.inner, s => Hosted::resume(s, i)).map_err(core)
    }

    /// Splits the network: `groups` is an array of arrays of node ids, e.g.
    /// `[["n1","n2"],["n3","n4","n5"]]`. Links between groups are cut both ways, links inside
    /// a group work; nodes in no group form one more group. Throws on an unknown id or an id
    /// listed twice.
    pub fn partition(&mut self, groups: JsValue) -> JsResult<()> {
        let arr = array(&groups, "groups")?;
        let mut gs = Vec::with_capacity(arr.length() as usize);
        for (g, members) in arr.iter().enumerate() {
            let m = array(&members, &format!("groups[{g}]"))?;
            let mut ids = Vec::with_capacity(m.length() as usize);
            for (k, id) in m.iter().enumerate() {
                ids.push(self.node_param(&id, &format!("groups[{g}][{k}]"))?);
            }
            gs.push(ids);
        }
        each!(&mut self.inner, s => Hosted::partition(s, &gs)).map_err(core)
    }

    /// Repairs every link.
    pub fn heal(&mut self) {
        each!(&mut self.inner, s => Hosted::heal(s));
    }

    /// Cuts the link `from → to`; with `bothWays` true, `to → from` too. Messages on a cut
    /// link are lost, including those already travelling on it.
    #[wasm_bindgen(js_name = cutLink)]
    pub fn cut_link(&mut self, from: JsValue, to: JsValue, both_ways: JsValue) -> JsResult<()> {
        let (f, t, both) = self.link_args(&from, &to, &both_ways)?;
        each!(&mut self.inner, s => Hosted::cut_link(s, f, t, both)).map_err(core)
    }

    /// Repairs the link `from → to`; with `bothWays` true, `to → from` too.
    #[wasm_bindgen(js_name = repairLink)]
    pub fn repair_link(&mut self, from: JsValue, to: JsValue, both_ways: JsValue) -> JsResult<()> {
        let (f, t, both) = self.link_args(&from, &to, &both_ways)?;
        each!(&mut self.inner, s => Hosted::repair_link(s, f, t, both)).map_err(core)
    }

    /// Sets the latency range `[lo, hi]` ms of every link without its own.
    #[wasm_bindgen(js_name = setLatency)]
    pub fn set_latency(&mut self, latency_ms: JsValue) -> JsResult<()> {
        let r = ms_range(&latency_ms, "latencyMs")?;
        each!(&mut self.inner, s => Hosted::set_latency(s, r)).map_err(core)
    }

    /// Switches deliberate protocol bugs on in every node (and every other one off): `bugs` is
    /// an array of names from `Simulation.bugList()`; `[]` restores the correct protocol.
    #[wasm_bindgen(js_name = setBugs)]
    pub fn set_bugs(&mut self, bugs: JsValue) -> JsResult<()> {
        let b = parse_bugs(&bugs, "bugs", each!(&self.inner, s => Hosted::bug_list(s)))?;
        each!(&mut self.inner, s => Hosted::set_bugs(s, b));
        Ok(())
    }

    /// Every deliberate bug of mechanism `protocol` (`"raft"` when absent): `[{name,
    /// breaks}]`, `breaks` saying which rule it breaks.
    #[wasm_bindgen(js_name = bugList)]
    pub fn bug_list(protocol: JsValue) -> JsResult<JsValue> {
        let name = protocol_of(&protocol)?;
        Ok(bug_list(&name).iter().map(|b| to_js(&BugJs { name: b.name, breaks: b.breaks })).collect::<Array>().into())
    }

    /// Sets the probability that a message is lost (0–1).
    #[wasm_bindgen(js_name = setDropRate)]
    pub fn set_drop_rate(&mut self, rate_: JsValue) -> JsResult<()> {
        let r = rate(&rate_, "dropRate")?;
        each!(&mut self.inner, s => Hosted::set_drop_rate(s, r)).map_err(core)
    }

    /// Sets the probability that a message is delivered twice (0–1).
    #[wasm_bindgen(js_name = setDuplicateRate)]
    pub fn set_duplicate_rate(&mut self, rate_: JsValue) -> JsResult<()> {
        let r = rate(&rate_, "duplicateRate")?;
        each!(&mut self.inner, s => Hosted::set_duplicate_rate(s, r)).map_err(core)
    }

    /// The network now: `{latencyMs, dropRate, duplicateRate, cutLinks: [[from, to], …],
    /// linkLatency: [{from, to, latencyMs}, …], partitioned}`. `cutLinks` lists every cut link
    /// only in simulations of at most 32 nodes (a partition of n nodes cuts up to n² links), and
    /// is `[]` in larger ones; `partitioned` says whether a `partition(groups)` is in effect
    /// (until `heal()`), at any size. `partitioned` is there in builds that host a mechanism of
    /// more than 32 nodes (www/pkg, gossip's widget): the others list every cut link.
    pub fn network(&self) -> JsValue {
        let net = each!(&self.inner, s => Hosted::network(s));
        let ids = each!(&self.inner, s => Hosted::ids(s));
        // Both conditions fold away in builds whose mechanisms all stay within the listed size.
        let listed = MAX_HOSTED_NODES <= MAX_LISTED_CUTS || ids.len() <= MAX_LISTED_CUTS;
        let v = to_js(&NetworkJs {
            latency_ms: [ms(net.latency_us.0), ms(net.latency_us.1)],
            drop_rate: net.drop_rate,
            duplicate_rate: net.duplicate_rate,
            cut_links: if listed { net.cut_links().map(|(f, t)| [ids[f].as_str(), ids[t].as_str()]).collect() } else { Vec::new() },
            link_latency: net
                .link_latency_us
                .iter()
                .map(|((f, t), (lo, hi))| LinkLatencyJs { from: &ids[*f], to: &ids[*t], latency_ms: [ms(*lo), ms(*hi)] })
                .collect(),
        });
        if MAX_HOSTED_NODES > MAX_LISTED_CUTS {
            super::set(&v, "partitioned", &JsValue::from_bool(net.is_partitioned()));
        }
        v
    }

    /// Starts key-value clients: `options` (all optional) `clients` (1–20, 3), `opsPerClient`
    /// (positive integer, or null for no end; null), `keys` (non-empty array of strings,
    /// `["x","y"]`), `timeoutMs` (200), `thinkMs` (20). Each client sends one operation at a
    /// time (put, get, cas, increment) to the node it believes leads and retries on a timeout
    /// or redirect; sessions make a retry take effect once.
    #[wasm_bindgen(js_name = startClients)]
    pub fn start_clients(&mut self, options: JsValue) -> JsResult<()> {
        let mut w = Workload::default();
        if !options.is_undefined() && !options.is_null() {
            object(&options, "options")?;
            only_keys(&options, &["clients", "opsPerClient", "keys", "timeoutMs", "thinkMs"])?;
            let opt = |k: &str| Some(get(&options, k)).filter(|v| !v.is_undefined());
            if let Some(v) = opt("clients") {
                w.clients = uint_in(&v, "clients", 1..=20, "must be an integer from 1 to 20")? as usize;
            }
            if let Some(v) = opt("opsPerClient") {
                w.ops_per_client = if v.is_null() { None } else { Some(uint_in(&v, "opsPerClient", 1..=u64::MAX, "must be a positive integer or null")?) };
            }
            if let Some(v) = opt("keys") {
                let arr = array(&v, "keys")?;
                if arr.length() == 0 {
                    return Err(invalid("keys", "must not be empty"));
                }
                w.keys = arr.iter().enumerate().map(|(k, key)| string(&key, &format!("keys[{k}]"))).collect::<JsResult<_>>()?;
            }
            if let Some(v) = opt("timeoutMs") {
                w.timeout_us = ms_to_us(&v, "timeoutMs")?.max(1);
            }
            if let Some(v) = opt("thinkMs") {
                w.think_us = ms_to_us(&v, "thinkMs")?;
            }
        }
        each!(&mut self.inner, s => Hosted::start_clients(s, w));
        Ok(())
    }

    /// Stops the client workload (operations in progress still get their answers).
    #[wasm_bindgen(js_name = stopClients)]
    pub fn stop_clients(&mut self) {
        each!(&mut self.inner, s => Hosted::stop_clients(s));
    }

    /// Every client operation so far: `[{client, op, key, value?, from?, to?, call, return,
    /// ok, output}]`, times in ms; `return`, `ok` and `output` are null until an answer comes.
    pub fn history(&self) -> JsValue {
        each!(&self.inner, s => Hosted::history(s))
            .iter()
            .map(|h| {
                let (value, from, to) = match &h.op {
                    Op::Put { value, .. } => (Some(value.as_str()), None, None),
                    Op::Cas { from, to, .. } => (None, Some(from.as_str()), Some(to.as_str())),
                    _ => (None, None, None),
                };
                to_js(&HistoryJs {
                    client: h.client,
                    op: h.op.name(),
                    key: h.op.key(),
                    value,
                    from,
                    to,
                    call: ms(h.call_us),
                    r#return: h.return_us.map(ms),
                    ok: h.output.as_ref().map(|o| o.ok),
                    output: h.output.as_ref().and_then(|o| o.value.as_deref()),
                })
            })
            .collect::<Array>()
            .into()
    }

    /// The id of the leader of the highest term among running nodes, or null.
    pub fn leader(&self) -> JsValue {
        each!(&self.inner, s => Hosted::leader(s).map_or(JsValue::NULL, |i| JsValue::from_str(&Hosted::ids(s)[i])))
    }

    /// Safety violations found so far: `[{rule, nodes, time, detail, index?}]` (time in ms;
    /// `index`, when the rule is about one position: Raft's log index, a Paxos slot, a PBFT
    /// sequence number); `[]` when safe.
    /// The checker's, and `Linearizability` when the KV clients' history (`history()`) stops
    /// being linearizable (checked as each answer arrives: a stale read shows when it is read).
    pub fn violations(&self) -> JsValue {
        // The checker's and the client history's, in order of time (each list is; a new one is
        // never earlier than those before it, so the list only grows at its end).
        let (mut a, mut b) = each!(&self.inner, s => (Hosted::violations(s).iter().peekable(), Hosted::history_violations(s).iter().peekable()));
        std::iter::from_fn(|| match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y.time_us < x.time_us => b.next(),
            (Some(_), _) => a.next(),
            _ => b.next(),
        })
            .map(|v| to_js(&ViolationJs { rule: v.rule, nodes: &v.nodes, time: ms(v.time_us), detail: &v.detail, index: v.index.map(|i| i as f64) }))
            .collect::<Array>()
            .into()
    }

    /// `{messagesSent, messagesDelivered, messagesDropped, messagesDuplicated, elections,
    /// committed, leaderlessPeriods, leaderlessMs, lastLeaderlessMs}`: counters since the
    /// start; the last three time the periods with no running leader that have ended (from
    /// the moment none led until one did: election latency), ms.
    pub fn stats(&self) -> JsValue {
        let s = each!(&self.inner, s => Hosted::stats(s));
        to_js(&StatsJs {
            messages_sent: s.messages_sent as f64,
            messages_delivered: s.messages_delivered as f64,
            messages_dropped: s.messages_dropped as f64,
            messages_duplicated: s.messages_duplicated as f64,
            elections: s.elections as f64,
            committed: s.committed as f64,
            leaderless_periods: s.leaderless_periods as f64,
            leaderless_ms: ms(s.leaderless_us),
            last_leaderless_ms: ms(s.last_leaderless_us),
        })
    }

    /// Events with `seq > after` (oldest first; the last 500 are kept), each as `step()` returns.
    #[wasm_bindgen(js_name = eventsSince)]
    pub fn events_since(&self, after: JsValue) -> JsResult<JsValue> {
        let after = if after.is_undefined() { 0 } else { uint(&after, "after")? };
        Ok(each!(&self.inner, s => Hosted::events_since(s, after).map(|e| to_js(&e)).collect::<Array>()).into())
    }

    /// The recent messages, for a space-time diagram: those still in flight or sent, delivered
    /// or lost at or after `sinceMs` (0 when absent), oldest sent first, from a record of the
    /// last 2048 messages sent (since the simulation was made; for `fromCheck`, since the
    /// check stopped): `[{seq, id, from, to, kind, sentMs, dueMs, deliveredMs,
    /// droppedMs}]`. `seq` numbers the record from 1 in order of sending; `id` is the
    /// message's id in `messages()`, or null for a message lost as it was sent (to the drop
    /// rate or a cut link: then `dueMs` is null and `droppedMs` is `sentMs`); `dueMs` is when
    /// the network was to deliver it; `deliveredMs` when its receiver handled it (later than
    /// `dueMs` if the receiver was paused) and `droppedMs` when it was lost (a drop, a cut
    /// link, a crashed receiver), or null; both null: in flight. Recording changes nothing
    /// in the run, and the same run records the same messages.
    #[wasm_bindgen(js_name = messageLog)]
    pub fn message_log(&self, since_ms: JsValue) -> JsResult<JsValue> {
        let since = match since_ms.as_f64() {
            _ if since_ms.is_undefined() => 0,
            Some(f) if f.is_finite() && f >= 0.0 => (f * 1000.0).ceil() as Micros,
            _ => return Err(got("sinceMs", "must be a non-negative number of ms", &since_ms)),
        };
        each!(&self.inner, s => {
            let names = Hosted::ids(s);
            let name = |i: NodeId| names.get(i).map_or("?", String::as_str);
            Ok(Hosted::message_log(s)
                .iter()
                .filter(|r| r.sent_at >= since || !matches!(r.fate, Fate::Delivered(t) | Fate::Lost(t) if t < since))
                .map(|r| {
                    let (delivered, dropped) = match r.fate {
                        Fate::InFlight | Fate::Withdrawn => (None, None),
                        Fate::Delivered(t) => (Some(ms(t)), None),
                        Fate::Lost(t) => (None, Some(ms(t))),
                    };
                    to_js(&LoggedMessageJs {
                        seq: r.seq as f64,
                        id: r.id.map(|i| i as f64),
                        from: name(r.from),
                        to: name(r.to),
                        kind: r.kind,
                        sent_ms: ms(r.sent_at),
                        due_ms: r.due_at.map(ms),
                        delivered_ms: delivered,
                        dropped_ms: dropped,
                    })
                })
                .collect::<Array>()
                .into())
        })
    }

}

impl SimulationJs {
    /// The simulation with its client history checked as answers arrive (see `violations()`).
    fn checking_history(mut self) -> Self {
        each!(&mut self.inner, s => Hosted::check_history(s));
        self
    }
}

/// Traitors (feature `byzantine`: www/pkg and the widgets of the Byzantine mechanisms, PBFT,
/// HotStuff and the generals). A traitor speaks only as itself: the simulator stamps the true
/// sender on every message (Castro & Liskov 1999 §2; Lamport et al. 1982, A2). The checker
/// judges the honest nodes only.
#[cfg(feature = "byzantine")]
#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// Makes node `id` a traitor with `behaviour`, or honest again (null), now: a name from
    /// `Simulation.behaviours(protocol)` (`'silent'`, `'mute'`, then the mechanism's own, e.g.
    /// PBFT's `'equivocate'`), or `{behaviour: 'mute', to: [ids]}` (silent towards those nodes
    /// only). Throws for an unknown node or behaviour, or a `mute` without other nodes to ignore.
    #[wasm_bindgen(js_name = setByzantine)]
    pub fn set_byzantine(&mut self, id: JsValue, behaviour: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        let b = self.behaviour_of(&behaviour, "behaviour")?;
        each!(&mut self.inner, s => Hosted::set_byzantine(s, i, b)).map_err(core)
    }

    /// The traitors now, in the constructor's `byzantine` shape: `{n1: 'equivocate', n3:
    /// {behaviour: 'mute', to: ['n2']}}` (`{}`: every node honest).
    pub fn byzantine(&self) -> JsValue {
        let o = js_sys::Object::new();
        each!(&self.inner, s => {
            let ids = Hosted::ids(s);
            for i in 0..ids.len() {
                let Some(b) = Hosted::byzantine(s, i) else { continue };
                let name = JsValue::from_str(b.name(Hosted::behaviours(s)));
                let v = match b {
                    crate::protocol::Byzantine::Mute(to) => {
                        let m = js_sys::Object::new();
                        super::set(&m, "behaviour", &name);
                        super::set(&m, "to", &to.iter().map(|t| JsValue::from_str(&ids[*t])).collect::<Array>());
                        m.into()
                    }
                    _ => name,
                };
                super::set(&o, &ids[i], &v);
            }
        });
        o.into()
    }

    /// The traitors' behaviours of mechanism `protocol` (`"raft"` when absent): `[{name,
    /// does}]`, the simulator's `silent` and `mute` first, then the mechanism's own.
    pub fn behaviours(protocol: JsValue) -> JsResult<JsValue> {
        let name = protocol_of(&protocol)?;
        let own = behaviour_list(&name);
        Ok(crate::protocol::SIM_BEHAVIOURS.iter().chain(own).map(|b| to_js(&BehaviourJs { name: b.name, does: b.does })).collect::<Array>().into())
    }
}

#[cfg(feature = "byzantine")]
impl SimulationJs {
    /// A behaviour as `setByzantine` and the `byzantine` option take it (null: honest).
    fn behaviour_of(&self, v: &JsValue, param: &str) -> JsResult<Option<crate::protocol::Byzantine>> {
        use crate::protocol::Byzantine;
        if v.is_null() {
            return Ok(None);
        }
        let list = each!(&self.inner, s => Hosted::behaviours(s));
        let names = Byzantine::names(list).join(", ");
        let (name, targets) = if v.is_object() {
            only_keys(v, &["behaviour", "to"])?;
            let name = string(&get(v, "behaviour"), &format!("{param}.behaviour"))?;
            let to = get(v, "to");
            let mut targets = Vec::new();
            if !to.is_undefined() {
                for (k, t) in array(&to, &format!("{param}.to"))?.iter().enumerate() {
                    targets.push(self.node_param(&t, &format!("{param}.to[{k}]"))?);
                }
            }
            (name, targets)
        } else {
            (v.as_string().ok_or_else(|| got(param, &format!("must be null, a behaviour ({names}) or {{behaviour, to}}"), v))?, Vec::new())
        };
        let b = Byzantine::named(&name, list, targets).ok_or_else(|| got(param, &format!("must be one of {names}"), &JsValue::from_str(&name)))?;
        if let Byzantine::Mute(to) = &b {
            if to.is_empty() {
                return Err(invalid(&format!("{param}.to"), "must list the nodes a mute traitor says nothing to (e.g. {behaviour: 'mute', to: ['n2']})"));
            }
        }
        Ok(Some(b))
    }

    /// The constructor's `byzantine` option: `{id: behaviour}`, applied in id order.
    fn set_traitors(&mut self, v: &JsValue) -> JsResult<()> {
        object(v, "byzantine")?;
        let mut chosen = vec![None; each!(&self.inner, s => Hosted::ids(s).len())];
        for key in js_sys::Object::keys(&js_sys::Object::from(v.clone())).iter() {
            let key = key.as_string().unwrap_or_default();
            let p = format!("byzantine.{key}");
            let i = self.node_param(&JsValue::from_str(&key), &p)?;
            chosen[i] = self.behaviour_of(&get(v, &key), &p)?;
        }
        for (i, b) in chosen.into_iter().enumerate() {
            if b.is_some() {
                each!(&mut self.inner, s => Hosted::set_byzantine(s, i, b)).map_err(core)?;
            }
        }
        Ok(())
    }
}

/// The traitors' own behaviours of mechanism `name` (one of [`PROTOCOLS`]).
#[cfg(feature = "byzantine")]
fn behaviour_list(name: &str) -> &'static [crate::protocol::BehaviourInfo] {
    use crate::protocol::Protocol;
    match name {
        #[cfg(feature = "raft")]
        "raft" => <crate::raft::Raft as Protocol>::BEHAVIOURS,
        #[cfg(feature = "paxos")]
        "paxos" => <crate::paxos::Paxos as Protocol>::BEHAVIOURS,
        #[cfg(feature = "vote")]
        "vote" => <crate::vote::Vote as Protocol>::BEHAVIOURS,
        #[cfg(feature = "pbft")]
        "pbft" => <crate::pbft::Pbft as Protocol>::BEHAVIOURS,
        #[cfg(feature = "hotstuff")]
        "hotstuff" => <crate::hotstuff::HotStuff as Protocol>::BEHAVIOURS,
        #[cfg(feature = "generals")]
        "generals" => <crate::generals::Generals as Protocol>::BEHAVIOURS,
        #[cfg(feature = "gossip")]
        "gossip" => <crate::gossip::Gossip as Protocol>::BEHAVIOURS,
        _ => &[],
    }
}

/// Methods neither the page nor course scripts need (they read `history()` and split the
/// network with `partition`, which stay): in www/pkg/ (the JavaScript API), not in the
/// widgets' wasm (feature `simulation-extras`, on by default).
#[cfg(feature = "simulation-extras")]
#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// The mechanism: `"raft"`, …
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> String {
        each!(&self.inner, s => Hosted::name(s)).into()
    }

    /// Gives the link `from → to` its own latency range `[lo, hi]` ms; null restores the
    /// global range.
    #[wasm_bindgen(js_name = setLinkLatency)]
    pub fn set_link_latency(&mut self, from: JsValue, to: JsValue, latency_ms: JsValue) -> JsResult<()> {
        let f = self.node_param(&from, "from")?;
        let t = self.node_param(&to, "to")?;
        let r = if latency_ms.is_null() { None } else { Some(ms_range(&latency_ms, "latencyMs")?) };
        each!(&mut self.inner, s => Hosted::set_link_latency(s, f, t, r)).map_err(core)
    }

}

/// Snapshots (feature `snapshots`: in www/pkg/, not in the widgets' wasm; see Cargo.toml).
#[cfg(feature = "snapshots")]
#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// A snapshot: a new, independent `Simulation` in exactly this one's state (clock, pending
    /// events, random number generator, nodes, network, clients, event log, checker). Both run
    /// on alike, event for event, until one is acted on; each must be freed. It costs memory in
    /// proportion to the state (logs, messages in flight, the event log): the page's timeline
    /// keeps a few as checkpoints to replay from.
    #[wasm_bindgen(js_name = clone)]
    pub fn snapshot(&self) -> SimulationJs {
        SimulationJs { inner: self.inner.clone() }
    }
}

impl SimulationJs {
    fn link_args(&self, from: &JsValue, to: &JsValue, both: &JsValue) -> JsResult<(usize, usize, bool)> {
        let f = self.node_param(from, "from")?;
        let t = self.node_param(to, "to")?;
        let both = if both.is_undefined() { false } else { boolean(both, "bothWays")? };
        Ok((f, t, both))
    }
    fn node(&self, id: &JsValue) -> JsResult<usize> {
        self.node_param(id, "id")
    }
    /// The mechanism's name, for messages.
    pub(super) fn protocol_name(&self) -> &'static str {
        each!(&self.inner, s => Hosted::name(s))
    }
    pub(super) fn node_param(&self, id: &JsValue, param: &str) -> JsResult<usize> {
        let name = string(id, param)?;
        each!(&self.inner, s => Hosted::index_of(s, param, &name)).map_err(core)
    }
}

/// One message of `Simulation.messageLog()`, times in ms.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoggedMessageJs<'a> {
    seq: f64,
    id: Option<f64>,
    from: &'a str,
    to: &'a str,
    kind: &'static str,
    sent_ms: f64,
    due_ms: Option<f64>,
    delivered_ms: Option<f64>,
    dropped_ms: Option<f64>,
}

/// `Simulation.stats()`: counters as numbers, times in ms.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatsJs {
    messages_sent: f64,
    messages_delivered: f64,
    messages_dropped: f64,
    messages_duplicated: f64,
    elections: f64,
    committed: f64,
    leaderless_periods: f64,
    leaderless_ms: f64,
    last_leaderless_ms: f64,
}
