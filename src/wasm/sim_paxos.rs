//! Multi-Paxos in the JS `Simulation` class (`protocol: 'paxos'`): its options, views and
//! actions ("Paxos Made Simple", 2001, §2–3; [`crate::paxos`]).
//!
//! Options, beside the shared ones (`seed`, `nodes`, `latencyMs`, `dropRate`, `duplicateRate`,
//! `persistMs`, `bugs`): `heartbeatMs` (the leader's heartbeat interval, 50), `leaderTimeoutMs`
//! (a follower suspects the leader after this much silence, 200), `backoff` (true: a node that
//! wants to lead first waits a random time up to `backoffMs`; false: preempted proposers retry
//! at once and may duel forever), `backoffMs` (150).


use js_sys::{Array, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::simulation::{ms, ms_to_us, parse_sim_options, Mechanism, SIM_KEYS};
use super::{boolean, core, get, paxos_entries_json, set, to_js, JsResult};
use crate::error::Result;
use crate::paxos::view::VIEW_SLOTS;
use crate::paxos::{AcceptedEntry, Ballot, Options, Paxos};
use crate::protocol::{NodeId, Protocol};
use crate::sim::{ClientReply, SimConfig, Simulation};

const PAXOS_KEYS: [&str; 4] = ["heartbeatMs", "leaderTimeoutMs", "backoff", "backoffMs"];

fn parse(options: &JsValue) -> JsResult<(SimConfig, Options)> {
    let mut sim = SimConfig::default();
    let mut o = Options::default();
    if options.is_undefined() || options.is_null() {
        return Ok((sim, o));
    }
    let keys: Vec<&str> = SIM_KEYS.iter().chain(PAXOS_KEYS.iter()).copied().collect();
    parse_sim_options(options, &keys, &mut sim, &mut o.bugs, Paxos::BUGS)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("heartbeatMs") {
        o.heartbeat_us = ms_to_us(&v, "heartbeatMs")?;
    }
    if let Some(v) = opt("leaderTimeoutMs") {
        o.leader_timeout_us = ms_to_us(&v, "leaderTimeoutMs")?;
    }
    if let Some(v) = opt("backoff") {
        o.backoff = boolean(&v, "backoff")?;
    }
    if let Some(v) = opt("backoffMs") {
        o.backoff_us = ms_to_us(&v, "backoffMs")?;
    }
    o.validate().map_err(core)?;
    Ok((sim, o))
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
    heartbeat_ms: f64,
    leader_timeout_ms: f64,
    backoff: bool,
    backoff_ms: f64,
}

/// `[{slot, ballot, value}]` (values are JSON text) as a JS array.
fn accepted_js<'a>(names: &[String], entries: impl Iterator<Item = (u64, Ballot, &'a str)>) -> JsValue {
    let mut text = String::new();
    paxos_entries_json(&mut text, &|i| names.get(i).map_or_else(|| "null".into(), |n| format!("\"{n}\"")), entries);
    JSON::parse(&text).unwrap_or(JsValue::NULL)
}

/// A value held as JSON text, as a JS value.
fn value_js(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::NULL)
}

impl Mechanism for Paxos {
    const NAME: &'static str = "paxos";

    fn build(options: &JsValue) -> JsResult<Simulation<Paxos>> {
        let (sim, o) = parse(options)?;
        Simulation::<Paxos>::new(sim, o).map_err(core)
    }

    fn config(sim: &Simulation<Paxos>) -> JsValue {
        let c = sim.sim_config();
        let o = &sim.protocol().options;
        to_js(&ConfigJs {
            protocol: "paxos",
            seed: c.seed as f64,
            nodes: c.nodes,
            latency_ms: [ms(c.latency_us.0), ms(c.latency_us.1)],
            drop_rate: c.drop_rate,
            duplicate_rate: c.duplicate_rate,
            persist_ms: ms(c.persist_us),
            bugs: o.bugs.names(Paxos::BUGS),
            heartbeat_ms: ms(o.heartbeat_us),
            leader_timeout_ms: ms(o.leader_timeout_us),
            backoff: o.backoff,
            backoff_ms: ms(o.backoff_us),
        })
    }

    /// `[{id, state ('follower' | 'candidate' | 'leader'), ballot: {round, nodeId}, promised,
    /// accepted: [{slot, ballot, value}], chosen: [{slot, value}], executed, leaderId,
    /// promises, queued, elections, timer, timerStart, timerDeadline, crashed, paused, kv}]`;
    /// `accepted` and `chosen` hold the highest 64 slots (`VIEW_SLOTS`).
    fn nodes(sim: &Simulation<Paxos>) -> JsValue {
        let names = sim.ids();
        sim.node_views()
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let v = to_js(n);
                let accepted = sim.node(i).accepted();
                let recent = accepted.iter().skip(accepted.len().saturating_sub(VIEW_SLOTS));
                set(&v, "accepted", &accepted_js(names, recent.map(|(slot, (b, value))| (*slot, *b, value.as_str()))));
                let chosen: Array = n
                    .chosen
                    .iter()
                    .zip(&n.chosen_values)
                    .map(|(slot, value)| {
                        let o = js_sys::Object::new();
                        set(&o, "slot", &JsValue::from_f64(*slot as f64));
                        set(&o, "value", &value_js(value));
                        JsValue::from(o)
                    })
                    .collect();
                set(&v, "chosen", &chosen);
                v
            })
            .collect::<Array>()
            .into()
    }

    /// `[{id, from, to, kind, sentAt, deliverAt, ballot?, promised?, slot?, value?, accepted?,
    /// chosenThrough?, next?}]`; kind is `Prepare`, `Promise`, `Accept`, `Accepted`, `Nack`,
    /// `Heartbeat`, `CatchUp`, `Commit` or `Forward`.
    fn messages(sim: &Simulation<Paxos>) -> JsValue {
        let names = sim.ids();
        sim.message_views()
            .iter()
            .map(|m| {
                let v = to_js(m);
                if let Some(value) = m.value {
                    set(&v, "value", &value_js(value));
                }
                if let Some(a) = m.accepted {
                    set(&v, "accepted", &accepted_js(names, a.iter().map(|e: &AcceptedEntry| (e.slot, e.ballot, e.value.as_str()))));
                }
                v
            })
            .collect::<Array>()
            .into()
    }

    fn client_request(sim: &mut Simulation<Paxos>, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        sim.client_request(command, to)
    }

    /// Node `i` runs phase 1 now with a new ballot ("Try to lead").
    fn start_election(sim: &mut Simulation<Paxos>, i: NodeId) -> Result<()> {
        sim.start_phase1(i)
    }
}
