//! Raft in the JS `Simulation` class: its options, views and actions.

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::simulation::{ms, ms_range, ms_to_us, parse_bugs, rate, Mechanism, NODES_RULE};
use super::{boolean, core, entries_js, get, max_entries_per_append, object, only_keys, set, snapshot_interval, to_js, uint, uint_in, JsResult};
use crate::error::Result;
use crate::protocol::{NodeId, Protocol};
use crate::raft::{Config, Raft};
use crate::sim::{self, ClientReply, Simulation};

const OPTION_KEYS: [&str; 16] = [
    "seed",
    "nodes",
    "latencyMs",
    "electionTimeoutMs",
    "heartbeatMs",
    "dropRate",
    "duplicateRate",
    "bugs",
    "preVote",
    "checkQuorum",
    "maxEntriesPerAppend",
    "snapshotInterval",
    "readIndex",
    "batchMs",
    "persistMs",
    "protocol",
];

fn parse_config(options: &JsValue) -> JsResult<Config> {
    let mut c = Config::default();
    if options.is_undefined() || options.is_null() {
        return Ok(c);
    }
    object(options, "options")?;
    only_keys(options, &OPTION_KEYS)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("seed") {
        c.seed = uint(&v, "seed")?;
    }
    if let Some(v) = opt("nodes") {
        c.nodes = uint_in(&v, "nodes", 1..=sim::config::MAX_NODES as u64, NODES_RULE)? as usize;
    }
    if let Some(v) = opt("latencyMs") {
        c.latency_us = ms_range(&v, "latencyMs")?;
    }
    if let Some(v) = opt("electionTimeoutMs") {
        c.election_timeout_us = ms_range(&v, "electionTimeoutMs")?;
    }
    if let Some(v) = opt("heartbeatMs") {
        c.heartbeat_us = ms_to_us(&v, "heartbeatMs")?;
    }
    if let Some(v) = opt("dropRate") {
        c.drop_rate = rate(&v, "dropRate")?;
    }
    if let Some(v) = opt("duplicateRate") {
        c.duplicate_rate = rate(&v, "duplicateRate")?;
    }
    if let Some(v) = opt("bugs") {
        c.bugs = parse_bugs(&v, "bugs", Raft::BUGS)?;
    }
    if let Some(v) = opt("preVote") {
        c.pre_vote = boolean(&v, "preVote")?;
    }
    if let Some(v) = opt("checkQuorum") {
        c.check_quorum = boolean(&v, "checkQuorum")?;
    }
    if let Some(v) = opt("batchMs") {
        c.batch_us = if v.is_null() { None } else { Some(ms_to_us(&v, "batchMs")?.max(1)) };
    }
    if let Some(v) = opt("persistMs") {
        c.persist_us = ms_to_us(&v, "persistMs")?;
    }
    if let Some(v) = opt("readIndex") {
        c.read_index = boolean(&v, "readIndex")?;
    }
    if let Some(v) = opt("snapshotInterval") {
        c.snapshot_interval = snapshot_interval(&v)?;
    }
    if let Some(v) = opt("maxEntriesPerAppend") {
        c.max_entries_per_append = max_entries_per_append(&v)?;
    }
    c.validate().map_err(core)?;
    Ok(c)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJs {
    protocol: &'static str,
    seed: f64,
    nodes: usize,
    latency_ms: [f64; 2],
    election_timeout_ms: [f64; 2],
    heartbeat_ms: f64,
    drop_rate: f64,
    duplicate_rate: f64,
    bugs: Vec<&'static str>,
    pre_vote: bool,
    check_quorum: bool,
    max_entries_per_append: Option<usize>,
    snapshot_interval: Option<u64>,
    read_index: bool,
    batch_ms: Option<f64>,
    persist_ms: f64,
}


impl Mechanism for Raft {
    const NAME: &'static str = "raft";

    fn build(options: &JsValue) -> JsResult<Simulation<Raft>> {
        Simulation::<Raft>::new(parse_config(options)?).map_err(core)
    }

    fn config(sim: &Simulation<Raft>) -> JsValue {
        let c = sim.config();
        to_js(&ConfigJs {
            protocol: "raft",
            seed: c.seed as f64,
            nodes: c.nodes,
            latency_ms: [ms(c.latency_us.0), ms(c.latency_us.1)],
            election_timeout_ms: [ms(c.election_timeout_us.0), ms(c.election_timeout_us.1)],
            heartbeat_ms: ms(c.heartbeat_us),
            drop_rate: c.drop_rate,
            duplicate_rate: c.duplicate_rate,
            bugs: c.bugs.names(Raft::BUGS),
            pre_vote: c.pre_vote,
            check_quorum: c.check_quorum,
            max_entries_per_append: c.max_entries_per_append,
            snapshot_interval: c.snapshot_interval,
            read_index: c.read_index,
            batch_ms: c.batch_us.map(ms),
            persist_ms: ms(c.persist_us),
        })
    }

    /// `[{id, state, currentTerm, votedFor, commitIndex, lastApplied, log, nextIndex,
    /// matchIndex, electionTimerStart, electionDeadline, leaderId, votes, preVotes, crashed,
    /// paused, removed, kv, snapshotIndex, snapshotTerm, members}]`.
    fn nodes(sim: &Simulation<Raft>) -> JsValue {
        sim.node_views()
            .iter()
            .map(|n| {
                let v = to_js(n);
                set(&v, "log", &entries_js(n.log));
                v
            })
            .collect::<Array>()
            .into()
    }

    fn messages(sim: &Simulation<Raft>) -> JsValue {
        sim.message_views()
            .iter()
            .map(|m| {
                let v = to_js(m);
                if let Some(e) = m.entries {
                    set(&v, "entries", &entries_js(e));
                }
                v
            })
            .collect::<Array>()
            .into()
    }

    fn client_request(sim: &mut Simulation<Raft>, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        sim.client_request(command, to)
    }

    fn start_election(sim: &mut Simulation<Raft>, i: NodeId) -> Result<()> {
        sim.start_election(i)
    }

    fn transfer_leadership(sim: &mut Simulation<Raft>, to: NodeId) -> Result<()> {
        sim.transfer_leadership(to)
    }

    fn add_node(sim: &mut Simulation<Raft>) -> Result<NodeId> {
        sim.add_node()
    }

    fn remove_node(sim: &mut Simulation<Raft>, i: NodeId) -> Result<()> {
        sim.remove_node(i)
    }
}
