//! Chained HotStuff in the JS `Simulation` class (`protocol: 'hotstuff'`): its options, views
//! and actions (Yin, Malkhi, Reiter, Gueta & Abraham, PODC 2019, §5; [`crate::hotstuff`]).
//!
//! Options, beside the shared ones (`seed`, `nodes`, `latencyMs`, `dropRate`, `duplicateRate`,
//! `persistMs`, `bugs`, `byzantine`): `viewTimeoutMs` (the pacemaker's base view timeout,
//! doubled for each successive timeout without progress, at most 16 times; default 150).
//!
//! Block ids cross as decimal strings of the core's 64-bit FNV-1a digest of the block's contents
//! (more than a JS number holds exactly), `'0'` for the genesis block, as `createConsensus
//! ('hotstuff')` and `hotstuffBlockId` spell them; `label` is the short form sentences use
//! (`#a1b2c3`, `genesis`).

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::simulation::{ms, ms_to_us, parse_sim_options, Mechanism, MessageHeadJs, SIM_KEYS};
use super::{core, get, json_or_text, set, to_js, JsResult};
use crate::collections::Map;
use crate::error::Result;
use crate::hotstuff::notes::block_text;
use crate::hotstuff::{quorum_of, Block, BlockId, HotStuff, Msg, Options, Qc, Timer};
use crate::protocol::{node_name, NodeId, Protocol};
use crate::sim::{ClientReply, SimConfig, Simulation};

const HOTSTUFF_KEYS: [&str; 1] = ["viewTimeoutMs"];

fn parse(options: &JsValue) -> JsResult<(SimConfig, Options)> {
    let mut sim = SimConfig::default();
    let mut o = Options::default();
    if options.is_undefined() || options.is_null() {
        return Ok((sim, o));
    }
    let keys: Vec<&str> = SIM_KEYS.iter().chain(HOTSTUFF_KEYS.iter()).copied().collect();
    parse_sim_options(options, &keys, &mut sim, &mut o.bugs, HotStuff::BUGS)?;
    if let Some(v) = Some(get(options, "viewTimeoutMs")).filter(|v| !v.is_undefined()) {
        o.view_timeout_us = ms_to_us(&v, "viewTimeoutMs")?;
    }
    o.validate().map_err(core)?;
    Ok((sim, o))
}

/// A block id as JS sees it: its decimal digits (`'0'`: the genesis block).
pub(super) fn block_id_text(id: BlockId) -> String {
    id.to_string()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJs {
    protocol: &'static str,
    seed: f64,
    nodes: usize,
    latency_ms: [f64; 2],
    drop_rate: f64,
    duplicate_rate: f64,
    persist_ms: f64,
    bugs: Vec<&'static str>,
    view_timeout_ms: f64,
    /// f = ⌊(N − 1)/3⌋.
    faults_tolerated: usize,
    /// Votes in a QC: N − f (2f + 1 when N = 3f + 1).
    quorum: usize,
}

/// A quorum certificate: `{view, block, voters}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QcJs<'a> {
    view: u64,
    block: String,
    voters: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockJs<'a> {
    id: String,
    label: String,
    view: u64,
    height: u64,
    proposer: &'a str,
    parent: String,
    justify: QcJs<'a>,
    /// The block's commands, as JSON text (the JS layer parses them).
    #[serde(skip)]
    commands: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeJs<'a> {
    id: &'a str,
    /// `'leader'` (it leads its current view) or `'replica'`.
    state: &'static str,
    view: u64,
    leader_id: &'a str,
    voted_view: u64,
    locked_qc: QcJs<'a>,
    /// genericQC: the highest QC it knows (highQC).
    high_qc: QcJs<'a>,
    executed_block: String,
    executed_height: u64,
    /// Commands waiting to be proposed.
    pool: usize,
    view_changes: u64,
    timer: Option<&'static str>,
    timer_start: Option<f64>,
    timer_deadline: Option<f64>,
    crashed: bool,
    paused: bool,
    kv: &'a Map<String, String>,
    blocks: Vec<BlockJs<'a>>,
}

/// How many of a replica's highest blocks its view holds.
const VIEW_BLOCKS: usize = 32;

fn qc_js<'a>(q: &Qc, name: &impl Fn(NodeId) -> &'a str) -> QcJs<'a> {
    QcJs { view: q.view, block: block_id_text(q.block), voters: q.voters.iter().map(|v| name(*v)).collect() }
}

fn block_js<'a>(b: &'a Block, name: &impl Fn(NodeId) -> &'a str) -> BlockJs<'a> {
    BlockJs {
        id: block_id_text(b.id),
        label: block_text(b.id),
        view: b.view,
        height: b.height,
        proposer: name(b.proposer),
        parent: block_id_text(b.parent),
        justify: qc_js(&b.justify, name),
        commands: &b.commands,
    }
}

/// `block_js` as a JS value, its commands parsed.
fn block_value<'a>(b: &'a Block, name: &impl Fn(NodeId) -> &'a str) -> JsValue {
    let js = block_js(b, name);
    let v = to_js(&js);
    let commands: Array = js.commands.iter().map(|c| json_or_text(c)).collect();
    set(&v, "commands", &commands);
    v
}

impl Mechanism for HotStuff {
    const NAME: &'static str = "hotstuff";

    fn build(options: &JsValue) -> JsResult<Simulation<HotStuff>> {
        let (sim, o) = parse(options)?;
        Simulation::<HotStuff>::new(sim, o).map_err(core)
    }

    fn config(sim: &Simulation<HotStuff>) -> JsValue {
        let c = sim.sim_config();
        let o = &sim.protocol().options;
        to_js(&ConfigJs {
            protocol: "hotstuff",
            seed: c.seed as f64,
            nodes: c.nodes,
            latency_ms: [ms(c.latency_us.0), ms(c.latency_us.1)],
            drop_rate: c.drop_rate,
            duplicate_rate: c.duplicate_rate,
            persist_ms: ms(c.persist_us),
            bugs: o.bugs.names(HotStuff::BUGS),
            view_timeout_ms: ms(o.view_timeout_us),
            faults_tolerated: crate::hotstuff::node::faults_tolerated(c.nodes),
            quorum: quorum_of(c.nodes, false),
        })
    }

    /// `[{id, state ('leader' | 'replica'), view, leaderId, votedView, lockedQc: {view, block,
    /// voters}, highQc, executedBlock, executedHeight, pool, viewChanges, timer ('view' |
    /// null), timerStart, timerDeadline, crashed, paused, kv, blocks: [{id, label, view, height,
    /// proposer, parent, justify: {view, block, voters}, commands}], byzantine}]` (times in ms;
    /// `blocks`: the 32 highest blocks it holds, by height then id).
    fn nodes(sim: &Simulation<HotStuff>) -> JsValue {
        let names = sim.ids();
        let name = |i: NodeId| names.get(i).map_or("?", String::as_str);
        (0..names.len())
            .map(|i| {
                let r = sim.node(i);
                // The pacemaker's view timer always runs on a replica that is up.
                let timer = if sim.is_crashed(i) { None } else { sim.timer(i, Timer::View) };
                let (exec_block, exec_height) = r.executed();
                // The VIEW_BLOCKS highest blocks by (height, id), increasing, kept in order as
                // they come (no sort: one would bring its own code into the wasm).
                let mut recent: Vec<&Block> = Vec::with_capacity(VIEW_BLOCKS + 1);
                for b in r.blocks().values() {
                    let at = recent.partition_point(|x| (x.height, x.id) < (b.height, b.id));
                    if recent.len() < VIEW_BLOCKS || at > 0 {
                        recent.insert(at, b);
                    }
                    if recent.len() > VIEW_BLOCKS {
                        recent.remove(0);
                    }
                }
                let v = to_js(&NodeJs {
                    id: name(i),
                    state: if r.leads() { "leader" } else { "replica" },
                    view: r.view(),
                    leader_id: name(r.leader()),
                    voted_view: r.voted_view(),
                    locked_qc: qc_js(r.locked_qc(), &name),
                    high_qc: qc_js(r.generic_qc(), &name),
                    executed_block: block_id_text(exec_block),
                    executed_height: exec_height,
                    pool: r.pool().count(),
                    view_changes: r.view_changes(),
                    timer: timer.map(|_| "view"),
                    timer_start: timer.map(|(s, _)| ms(s)),
                    timer_deadline: timer.map(|(_, d)| ms(d)),
                    crashed: sim.is_crashed(i),
                    paused: sim.is_paused(i),
                    kv: sim.kv(i).data(),
                    blocks: Vec::new(),
                });
                set(&v, "blocks", &recent.iter().map(|b| block_value(b, &name)).collect::<Array>());
                v
            })
            .collect::<Array>()
            .into()
    }

    /// `[{id, from, to, kind, sentAt, deliverAt, …}]`: `Proposal` (with `block`), `Vote` (`view`,
    /// `block`: the id voted for), `NewView` (`view`, `highQc`), `Request` (`command`), `Fetch`
    /// (`block`) or `Blocks` (`blocks`: ids).
    fn messages(sim: &Simulation<HotStuff>) -> JsValue {
        let names = sim.ids();
        let name = |i: NodeId| names.get(i).map_or("?", String::as_str);
        sim.in_flight()
            .map(|m| {
                let v = to_js(&MessageHeadJs::of(names, m, m.payload.kind()));
                match &m.payload {
                    Msg::Proposal { block } => {
                        set(&v, "view", &JsValue::from_f64(block.view as f64));
                        set(&v, "block", &block_value(block, &name));
                    }
                    Msg::Vote { view, block } => {
                        set(&v, "view", &JsValue::from_f64(*view as f64));
                        set(&v, "block", &JsValue::from_str(&block_id_text(*block)));
                    }
                    Msg::NewView { view, generic_qc } => {
                        set(&v, "view", &JsValue::from_f64(*view as f64));
                        set(&v, "highQc", &to_js(&qc_js(generic_qc, &name)));
                    }
                    Msg::Request { command } => set(&v, "command", &json_or_text(command)),
                    Msg::Fetch { block } => set(&v, "block", &JsValue::from_str(&block_id_text(*block))),
                    Msg::Blocks { blocks } => set(&v, "blocks", &blocks.iter().map(|b| JsValue::from_str(&block_id_text(b.id))).collect::<Array>()),
                }
                v
            })
            .collect::<Array>()
            .into()
    }

    /// The command goes to replica `to` (the leader of the highest view when None, else `n1`),
    /// which keeps it and sends it to every other replica: whoever leads next proposes it.
    fn client_request(sim: &mut Simulation<HotStuff>, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        let i = to.or_else(|| sim.leader()).unwrap_or(0);
        sim.submit(i, command)?;
        let leader = sim.leader().map(node_name);
        Ok(ClientReply { accepted: true, leader, index: None })
    }
}
