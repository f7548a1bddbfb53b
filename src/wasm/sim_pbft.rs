//! PBFT in the JS `Simulation` class (`protocol: 'pbft'`): its options, views and actions
//! (Castro & Liskov, OSDI 1999 §4; [`crate::pbft`]).
//!
//! Options, beside the shared ones (`seed`, `nodes`, `latencyMs`, `dropRate`, `duplicateRate`,
//! `persistMs`, `bugs`, `byzantine`): `checkpointInterval` (K: a checkpoint every K executed
//! requests, §4.3; the watermark window is 2K; 1–10000, default 10, the paper's setting is
//! 100), `viewChangeMs` (how long a backup waits for a request to execute before it moves to
//! the next view, doubled on each successive view change, §4.4; default 300).
//!
//! Replicas are `n1` … `nN`; f = ⌊(N − 1)/3⌋; the primary of view v is replica v mod N
//! (`n1` in view 0). Digests are numbers below 2⁵³ (`pbftDigest`), 0 for the null request.

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::simulation::{ms, ms_to_us, parse_sim_options, Inner, Mechanism, MessageHeadJs, SimulationJs, SIM_KEYS};
use super::{command_text, core, get, json_or_text, to_js, uint_in, JsResult};
use crate::collections::Map;
use crate::error::Result;
use crate::pbft::msg::ViewChangeBody;
use crate::pbft::node::{faults, quorum};
use crate::pbft::sim::Timer;
use crate::pbft::{Msg, Options, Pbft, Phase, Request, Status};
use crate::protocol::{NodeId, Protocol};
use crate::sim::{ClientReply, SimConfig, Simulation};

const PBFT_KEYS: [&str; 2] = ["checkpointInterval", "viewChangeMs"];

fn parse(options: &JsValue) -> JsResult<(SimConfig, Options)> {
    let mut sim = SimConfig::default();
    let mut o = Options::default();
    if options.is_undefined() || options.is_null() {
        return Ok((sim, o));
    }
    let keys: Vec<&str> = SIM_KEYS.iter().chain(PBFT_KEYS.iter()).copied().collect();
    parse_sim_options(options, &keys, &mut sim, &mut o.bugs, Pbft::BUGS)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("checkpointInterval") {
        o.checkpoint_interval = uint_in(&v, "checkpointInterval", 1..=10_000, "must be an integer from 1 to 10000")?;
    }
    if let Some(v) = opt("viewChangeMs") {
        o.view_change_us = ms_to_us(&v, "viewChangeMs")?;
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
    checkpoint_interval: u64,
    view_change_ms: f64,
    /// f = ⌊(N − 1)/3⌋: the traitors N replicas tolerate.
    faults_tolerated: usize,
    /// ⌈(N + f + 1)/2⌉: 2f + 1 when N = 3f + 1.
    quorum: usize,
}

/// A request as JS sees it: `{operation, timestamp, client}` (`operation` parsed from its JSON
/// text; text that is not JSON stays a string).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestJs<'a> {
    timestamp: u64,
    client: &'a str,
}

fn request_js(r: &Request) -> JsValue {
    let v = to_js(&RequestJs { timestamp: r.timestamp, client: &r.client });
    super::set(&v, "operation", &json_or_text(&r.operation));
    v
}

fn opt_request_js(r: Option<&Request>) -> JsValue {
    r.map_or(JsValue::NULL, request_js)
}

/// One sender's message in a certificate: `{from, digest}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VoteJs<'a> {
    from: &'a str,
    digest: u64,
}

/// One sequence number of a replica's log, in the current view.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryJs<'a> {
    seq: u64,
    view: u64,
    /// `'none'`, `'pre-prepared'`, `'prepared'`, `'committed'` (committed-local) or `'executed'`.
    phase: &'static str,
    /// The accepted pre-prepare's digest (null: none accepted).
    digest: Option<u64>,
    /// Prepares received, in arrival order (one per sender and digest).
    prepares: Vec<VoteJs<'a>>,
    /// Commits received, in arrival order.
    commits: Vec<VoteJs<'a>>,
    /// Messages discarded as duplicates.
    duplicates: u32,
}

/// A checkpoint being collected: `{seq, votes: [{from, digest}], stable}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckpointJs<'a> {
    seq: u64,
    votes: Vec<VoteJs<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeJs<'a> {
    id: &'a str,
    /// `'primary'` or `'backup'` (of its current view).
    state: &'static str,
    /// `'normal'` or `'view-change'` (it sent a ViewChange and waits for the NewView).
    status: &'static str,
    view: u64,
    primary_id: &'a str,
    low_watermark: u64,
    high_watermark: u64,
    executed: u64,
    state_digest: u64,
    /// Requests received and not executed yet.
    pending: usize,
    /// View changes it started.
    view_changes: u64,
    /// The running view-change timer (`'viewChange'`), if any.
    timer: Option<&'static str>,
    timer_start: Option<f64>,
    timer_deadline: Option<f64>,
    crashed: bool,
    paused: bool,
    kv: &'a Map<String, String>,
    log: Vec<EntryJs<'a>>,
    checkpoints: Vec<CheckpointJs<'a>>,
    /// The views it holds ViewChange messages for, and from whom: `[{view, from: [id]}]`.
    view_change_votes: Vec<ViewVotesJs<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ViewVotesJs<'a> {
    view: u64,
    from: Vec<&'a str>,
}

const fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::None => "none",
        Phase::PrePrepared => "pre-prepared",
        Phase::Prepared => "prepared",
        Phase::Committed => "committed",
        Phase::Executed => "executed",
    }
}

/// How many of a replica's highest sequence numbers its view holds (the window is 2K; the page
/// draws the latest few).
const VIEW_SEQS: usize = 64;

impl Mechanism for Pbft {
    const NAME: &'static str = "pbft";

    fn build(options: &JsValue) -> JsResult<Simulation<Pbft>> {
        let (sim, o) = parse(options)?;
        Simulation::<Pbft>::new(sim, o).map_err(core)
    }

    fn config(sim: &Simulation<Pbft>) -> JsValue {
        let c = sim.sim_config();
        let o = &sim.protocol().options;
        to_js(&ConfigJs {
            protocol: "pbft",
            seed: c.seed as f64,
            nodes: c.nodes,
            latency_ms: [ms(c.latency_us.0), ms(c.latency_us.1)],
            drop_rate: c.drop_rate,
            duplicate_rate: c.duplicate_rate,
            persist_ms: ms(c.persist_us),
            bugs: o.bugs.names(Pbft::BUGS),
            checkpoint_interval: o.checkpoint_interval,
            view_change_ms: ms(o.view_change_us),
            faults_tolerated: faults(c.nodes),
            quorum: quorum(c.nodes),
        })
    }

    /// `[{id, state ('primary' | 'backup'), status ('normal' | 'view-change'), view, primaryId,
    /// lowWatermark, highWatermark, executed, stateDigest, pending, viewChanges, timer
    /// ('viewChange' | null), timerStart, timerDeadline, crashed, paused, kv, log: [{seq, view,
    /// phase, digest, request, prepares: [{from, digest}], commits: [{from, digest}],
    /// duplicates}], checkpoints: [{seq, votes: [{from, digest}]}], viewChangeVotes: [{view,
    /// from}], byzantine}]` (times in ms; `log` holds the highest 64 sequence numbers of the
    /// current view's log, executed ones that are not garbage-collected yet included;
    /// `request` is the pre-prepared request, null for the null request or none).
    fn nodes(sim: &Simulation<Pbft>) -> JsValue {
        let names = sim.ids();
        let name = |i: NodeId| names.get(i).map_or("?", String::as_str);
        let votes = |vs: &[(NodeId, u64)]| vs.iter().map(|(f, d)| VoteJs { from: name(*f), digest: *d }).collect::<Vec<_>>();
        let o = &sim.protocol().options;
        (0..names.len())
            .map(|i| {
                let r = sim.node(i);
                let timer = if r.waiting() && !sim.is_crashed(i) { sim.timer(i, Timer::ViewChange) } else { None };
                let log = r.log();
                let recent: Vec<_> = log.iter().skip(log.len().saturating_sub(VIEW_SEQS)).collect();
                let v = to_js(&NodeJs {
                    id: name(i),
                    state: if r.is_primary() { "primary" } else { "backup" },
                    status: if r.status() == Status::Normal { "normal" } else { "view-change" },
                    view: r.view(),
                    primary_id: name(r.primary_of(r.view())),
                    low_watermark: r.low_watermark(),
                    high_watermark: r.high_watermark(o),
                    executed: r.executed(),
                    state_digest: r.state_digest(),
                    pending: r.pending().count(),
                    view_changes: r.elections(),
                    timer: timer.map(|_| "viewChange"),
                    timer_start: timer.map(|(s, _)| ms(s)),
                    timer_deadline: timer.map(|(_, d)| ms(d)),
                    crashed: sim.is_crashed(i),
                    paused: sim.is_paused(i),
                    kv: sim.kv(i).data(),
                    log: recent
                        .iter()
                        .map(|(seq, e)| EntryJs {
                            seq: **seq,
                            view: e.view,
                            phase: phase_name(r.phase(**seq)),
                            digest: e.pre_prepare.as_ref().map(|(d, _)| *d),
                            prepares: votes(&e.prepares),
                            commits: votes(&e.commits),
                            duplicates: e.duplicates,
                        })
                        .collect(),
                    checkpoints: r
                        .checkpoint_votes()
                        .iter()
                        .map(|(seq, vs)| CheckpointJs { seq: *seq, votes: vs.iter().map(|(f, d)| VoteJs { from: name(*f), digest: *d }).collect() })
                        .collect(),
                    view_change_votes: r.view_changes().iter().map(|(v, from)| ViewVotesJs { view: *v, from: from.keys().map(|f| name(*f)).collect() }).collect(),
                });
                // The pre-prepared requests, parsed, beside the entries.
                let entries = Array::from(&get(&v, "log"));
                for (k, (_, e)) in recent.iter().enumerate() {
                    let req = e.pre_prepare.as_ref().and_then(|(_, r)| r.as_ref());
                    super::set(&entries.get(k as u32), "request", &opt_request_js(req));
                }
                v
            })
            .collect::<Array>()
            .into()
    }

    /// `[{id, from, to, kind, sentAt, deliverAt, view?, seq?, digest?, request?, timestamp?,
    /// client?, result?, lastStable?, prepared?, checkpoint?, prePrepares?, after?}]`: kind is
    /// `Request`, `PrePrepare`, `Prepare`, `Commit`, `Reply`, `Checkpoint`, `ViewChange`,
    /// `NewView`, `Fetch` or `State`, with the fields of its kind (the `replica` fields a sender
    /// writes about itself are left out: `from` is the authenticated sender, §2). A ViewChange's
    /// `prepared` lists its prepared certificates as `[{seq, view, digest}]`; a NewView's
    /// `prePrepares` as `[{seq, digest}]`.
    fn messages(sim: &Simulation<Pbft>) -> JsValue {
        let names = sim.ids();
        let name = |i: NodeId| names.get(i).map_or("?", String::as_str);
        sim.in_flight()
            .map(|m| {
                let v = to_js(&MessageHeadJs::of(names, m, m.payload.kind()));
                fill_message(&v, &m.payload, &name);
                v
            })
            .collect::<Array>()
            .into()
    }

    fn client_request(sim: &mut Simulation<Pbft>, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        sim.client_request(command, to)
    }

    /// Replica `i` starts a view change to its next view now (as if its timer ran out, §4.4).
    fn start_election(sim: &mut Simulation<Pbft>, i: NodeId) -> Result<()> {
        sim.start_view_change(i)
    }
}

fn num(v: &JsValue, key: &str, n: u64) {
    super::set(v, key, &JsValue::from_f64(n as f64));
}

/// The fields of `msg` on the message view `v`.
fn fill_message<'a>(v: &JsValue, msg: &Msg, name: &impl Fn(NodeId) -> &'a str) {
    match msg {
        Msg::Request(r) => super::set(v, "request", &request_js(r)),
        Msg::PrePrepare { view, seq, digest, request } => {
            num(v, "view", *view);
            num(v, "seq", *seq);
            num(v, "digest", *digest);
            super::set(v, "request", &opt_request_js(request.as_ref()));
        }
        Msg::Prepare { view, seq, digest, .. } | Msg::Commit { view, seq, digest, .. } => {
            num(v, "view", *view);
            num(v, "seq", *seq);
            num(v, "digest", *digest);
        }
        Msg::Reply { view, timestamp, client, result, .. } => {
            num(v, "view", *view);
            num(v, "timestamp", *timestamp);
            super::set(v, "client", &JsValue::from_str(client));
            super::set(v, "result", &json_or_text(result));
        }
        Msg::Checkpoint { seq, digest, .. } => {
            num(v, "seq", *seq);
            num(v, "digest", *digest);
        }
        Msg::ViewChange { body, .. } => {
            let ViewChangeBody { view, last_stable, prepared, .. } = body.as_ref();
            num(v, "view", *view);
            num(v, "lastStable", *last_stable);
            let list = Array::new();
            for c in prepared {
                let o = js_sys::Object::new();
                num(&o, "seq", c.seq);
                num(&o, "view", c.view);
                num(&o, "digest", c.digest);
                list.push(&o);
            }
            super::set(v, "prepared", &list);
        }
        Msg::NewView { view, view_changes, checkpoint, pre_prepares } => {
            num(v, "view", *view);
            super::set(v, "viewChanges", &view_changes.iter().map(|i| JsValue::from_str(name(*i))).collect::<Array>());
            let c = js_sys::Object::new();
            num(&c, "seq", checkpoint.0);
            num(&c, "digest", checkpoint.1);
            super::set(v, "checkpoint", &c);
            let list = Array::new();
            for (seq, digest, _) in pre_prepares {
                let o = js_sys::Object::new();
                num(&o, "seq", *seq);
                num(&o, "digest", *digest);
                list.push(&o);
            }
            super::set(v, "prePrepares", &list);
        }
        Msg::Fetch { after } => num(v, "after", *after),
        Msg::State { seq, digest, requests } => {
            num(v, "seq", *seq);
            num(v, "digest", *digest);
            num(v, "requests", requests.len() as u64);
        }
    }
}

impl SimulationJs {
    /// The PBFT simulation, or an `Error` naming `method` for another mechanism.
    fn pbft(&mut self, method: &str) -> JsResult<&mut Simulation<Pbft>> {
        let name = self.protocol_name();
        #[allow(unreachable_patterns)]
        match &mut self.inner {
            Inner::Pbft(s) => Ok(s),
            _ => Err(JsError::new(&format!("{method} is an action of pbft simulations (this one runs {name})"))),
        }
    }
}

/// PBFT's actions (`protocol: 'pbft'`); other mechanisms' simulations throw.
#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// A client outside the cluster (named `x`) sends `operation` (any JSON value) to every
    /// running replica at once, as a PBFT client does when it does not know the primary or got
    /// no answer (§4.1): every backup waits for it to execute, so a silent or crashed primary is
    /// replaced by a view change. Returns how many replicas it reached.
    #[wasm_bindgen(js_name = broadcastRequest)]
    pub fn broadcast_request(&mut self, operation: JsValue) -> JsResult<u32> {
        let text = command_text(&operation, "operation")?;
        Ok(self.pbft("broadcastRequest")?.broadcast_request(text) as u32)
    }
}
