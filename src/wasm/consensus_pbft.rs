//! `createConsensus('pbft', id, replicas, options?)`: one PBFT replica (Castro & Liskov, OSDI
//! 1999 §4; [`crate::pbft`]) behind the `ConsensusNode` interface of [`super::consensus`],
//! driven by hand over any transport; and `pbftDigest(request, replicas?)`.
//!
//! ```js
//! const ids = ['n1', 'n2', 'n3', 'n4'];               // f = 1; the primary of view v is ids[v % 4]
//! const n1 = createConsensus('pbft', 'n1', ids, { seed: 1 });
//! n1.propose({ put: 'x' });            // → outbox: PrePrepare to n2, n3, n4 (n1 is view 0's primary)
//! n2.propose({ operation: 'o', timestamp: 1, client: 'c1' }); // a whole request (a client's)
//! n1.handleMessage('n2', message);     // → outbox
//! n1.tick(300);                        // → outbox
//! n1.decisions;                        // [{index: seq, value: request}] (a null request: null)
//! ```
//!
//! Options (every key optional; others are refused): `seed` (a non-negative integer, default 1;
//! mixed with `id`), `checkpointInterval` (K: a checkpoint every K executed requests, the
//! watermark window is 2K; an integer from 1 to 10000, default 10), `viewChangeMs` (how long a
//! backup waits for a request to execute before it moves to the next view, doubled on each
//! successive view change; default 300).
//!
//! A request is `{operation, timestamp, client}`: `operation` any JSON value (stored, hashed and
//! sent as its `JSON.stringify` text, exactly as `propose` stores it), `timestamp` the client's
//! counter, `client` a replica's id or any other non-empty client name; a name that is not a
//! replica's must not read as `n<k>` with k from 1 to the number of replicas (inside, replica
//! `replicas[k-1]` is the client `n<k>`: a client that is a replica gets `Reply` messages). The
//! null request (§4.4) is `null`.
//!
//! `propose(operation)`: a request from this replica as its own client (client: its id,
//! timestamp: one more than its last). `propose({operation, timestamp, client})` (an object
//! with exactly these three keys) hands a whole request to this replica, as a client sending it
//! there: one client can send the same request to every replica. Either way the primary assigns
//! it a sequence number; a backup forwards it to the primary and waits (its view-change timer
//! runs). Never throws for a well-formed request.
//!
//! Messages (numbers are integers from 0 to 2⁵³ − 1; digests are [`pbftDigest`] numbers, 0 for
//! the null request; replica ids are the caller's; the `replica` fields are the sender naming
//! itself, which the replica ignores: the channel's `from` is believed, §2):
//! - `{type: 'Request', request}` (a request a backup forwards to the primary),
//! - `{type: 'PrePrepare', view, seq, digest, request}` (`request` may be `null`),
//! - `{type: 'Prepare', view, seq, digest, replica}`, `{type: 'Commit', view, seq, digest, replica}`,
//! - `{type: 'Reply', view, timestamp, client, replica, result}` (`result`: the key-value
//!   store's `{ok, value}` or `null`),
//! - `{type: 'Checkpoint', seq, digest, replica}` (`digest`: the state digest after `seq`),
//! - `{type: 'ViewChange', view, lastStable, stableDigest, checkpointProof: [id],
//!   checkpoints: [{seq, digest}], prepared: [{seq, view, digest, request}],
//!   prePrepared: [{seq, view, digest}], replica}` (objects, not tuples, for every list),
//! - `{type: 'NewView', view, viewChanges: [id], checkpoint: {seq, digest}, prePrepares:
//!   [{seq, digest, request}]}`,
//! - `{type: 'Fetch', after}`, `{type: 'State', seq, digest, requests: [{seq, request}]}`.
//!
//! A message the replica would send with a number above 2⁵³ − 1 (possible only after a traitor
//! pushed views to the limit) is dropped from the outbox: it would not cross exactly.
//!
//! `view`: `{id, mechanism: 'pbft', state ('normal' | 'view-change'), view, primaryId,
//! isPrimary, lowWatermark, highWatermark, executed, stateDigest, pending, log: [{seq, view,
//! digest, phase}], nowMs, timers: [{kind ('viewChange' | 'fetch' | 'retransmit'), atMs}]}`.
//! `decisions`: `[{index, value}]`, index the sequence number, value the executed request.

use std::fmt::Write;

use wasm_bindgen::prelude::*;

use super::consensus::{duration, ms, node_seed, only_fields, outbox_json, quote, Ids, Mechanism};
use super::{array, command_text, get, got, invalid, json_array, object, only_keys, string, uint, JsResult, MAX_SAFE};
use crate::node::Standalone;
use crate::pbft::msg::{digest, PreparedCert, ViewChangeBody};
use crate::pbft::sim::Timer;
use crate::pbft::{Msg, Options, Pbft, Phase, Request, Status};
use crate::protocol::{node_name, Micros, NodeId};

const OPTION_KEYS: [&str; 3] = ["seed", "checkpointInterval", "viewChangeMs"];

const TYPES: &str = "Request, PrePrepare, Prepare, Commit, Reply, Checkpoint, ViewChange, NewView, Fetch, State";

const MAX: u64 = MAX_SAFE as u64;

/// The fields of each message type, in the order the outbox writes them.
fn fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Request" => &["type", "request"],
        "PrePrepare" => &["type", "view", "seq", "digest", "request"],
        "Prepare" | "Commit" => &["type", "view", "seq", "digest", "replica"],
        "Reply" => &["type", "view", "timestamp", "client", "replica", "result"],
        "Checkpoint" => &["type", "seq", "digest", "replica"],
        "ViewChange" => &["type", "view", "lastStable", "stableDigest", "checkpointProof", "checkpoints", "prepared", "prePrepared", "replica"],
        "NewView" => &["type", "view", "viewChanges", "checkpoint", "prePrepares"],
        "Fetch" => &["type", "after"],
        "State" => &["type", "seq", "digest", "requests"],
        _ => return None,
    })
}

/// PBFT's options and the seed (defaults: seed 1, [`Options::default`]).
fn pbft_options(options: &JsValue) -> JsResult<(Options, u64)> {
    let mut o = Options::default();
    let mut seed = 1;
    if options.is_undefined() || options.is_null() {
        return Ok((o, seed));
    }
    object(options, "options")?;
    only_keys(options, &OPTION_KEYS)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("seed") {
        seed = uint(&v, "seed")?;
    }
    if let Some(v) = opt("checkpointInterval") {
        o.checkpoint_interval = super::uint_in(&v, "checkpointInterval", 1..=10_000, "must be an integer from 1 to 10000")?;
    }
    if let Some(v) = opt("viewChangeMs") {
        o.view_change_us = duration(&v, "viewChangeMs", true)?;
    }
    o.validate().map_err(|e| JsError::new(&e.to_string()))?;
    Ok((o, seed))
}

/// A PBFT replica for `createConsensus`.
pub(super) fn create(ids: &Ids, options: &JsValue) -> JsResult<Box<dyn Mechanism>> {
    let (options, seed) = pbft_options(options)?;
    let s = Standalone::new(Pbft { options }, ids.me, ids.ids.len(), node_seed(seed, ids.me())).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(Box::new(PbftMechanism { s }))
}

struct PbftMechanism {
    s: Standalone<Pbft>,
}

/// An integer from 0 to 2⁵³ − 1.
fn number(v: &JsValue, param: &str) -> JsResult<u64> {
    uint(v, param).map_err(|_| got(param, "must be an integer from 0 to 9007199254740991", v))
}

/// The replica `n<k>` (k from 1 to `n`) a client name reads as inside, as the core reads it.
fn internal_replica(client: &str, n: usize) -> Option<NodeId> {
    client.strip_prefix('n')?.parse::<usize>().ok().filter(|k| *k >= 1 && *k <= n).map(|k| k - 1)
}

/// A client name at the boundary → inside: replica `names[k]` is `n<k+1>`; another name stays
/// as it is, unless it reads as a replica inside (refused).
fn client_in(names: &[String], v: &JsValue, param: &str) -> JsResult<String> {
    let s = string(v, param)?;
    if let Some(k) = names.iter().position(|p| *p == s) {
        return Ok(node_name(k));
    }
    if internal_replica(&s, names.len()).is_some() {
        let rule = format!("must be a replica's id or a client name that does not read as n<k> with k from 1 to {}", names.len());
        return Err(got(param, &rule, v));
    }
    Ok(s)
}

/// A client name inside → the caller's, quoted.
fn client_out(ids: &Ids, client: &str) -> String {
    match internal_replica(client, ids.ids.len()) {
        Some(k) => ids.quoted_id(k),
        None => quote(client),
    }
}

/// `{operation, timestamp, client}`, or `null` when `nullable` (the null request).
fn request(names: &[String], v: &JsValue, param: &str, nullable: bool) -> JsResult<Option<Request>> {
    if nullable && v.is_null() {
        return Ok(None);
    }
    if object(v, param).is_err() {
        let rule = if nullable { "must be a request {operation, timestamp, client} or null" } else { "must be a request {operation, timestamp, client}" };
        return Err(got(param, rule, v));
    }
    only_fields(v, param, "a request", &["operation", "timestamp", "client"])?;
    let operation = command_text(&get(v, "operation"), &format!("{param}.operation"))?;
    let timestamp = number(&get(v, "timestamp"), &format!("{param}.timestamp"))?;
    let client = client_in(names, &get(v, "client"), &format!("{param}.client"))?;
    Ok(Some(Request { operation, timestamp, client }))
}

fn request_json(out: &mut String, ids: &Ids, r: Option<&Request>) {
    match r {
        None => out.push_str("null"),
        Some(r) => {
            let _ = write!(out, "{{\"operation\":{},\"timestamp\":{},\"client\":{}}}", r.operation, r.timestamp, client_out(ids, &r.client));
        }
    }
}

/// Whether every number in `m` crosses into JS exactly.
fn fits(m: &Msg) -> bool {
    let ok = |n: &u64| *n <= MAX;
    let req = |r: &Option<Request>| r.as_ref().map_or(true, |r| ok(&r.timestamp));
    match m {
        Msg::Request(r) => ok(&r.timestamp),
        Msg::PrePrepare { view, seq, digest, request } => ok(view) && ok(seq) && ok(digest) && req(request),
        Msg::Prepare { view, seq, digest, .. } | Msg::Commit { view, seq, digest, .. } => ok(view) && ok(seq) && ok(digest),
        Msg::Reply { view, timestamp, .. } => ok(view) && ok(timestamp),
        Msg::Checkpoint { seq, digest, .. } => ok(seq) && ok(digest),
        Msg::ViewChange { body, .. } => {
            ok(&body.view)
                && ok(&body.last_stable)
                && ok(&body.stable_digest)
                && body.checkpoints.iter().all(|(s, d)| ok(s) && ok(d))
                && body.prepared.iter().all(|p| ok(&p.seq) && ok(&p.view) && ok(&p.digest) && req(&p.request))
                && body.pre_prepared.iter().all(|(s, v, d)| ok(s) && ok(v) && ok(d))
        }
        Msg::NewView { view, checkpoint, pre_prepares, .. } => {
            ok(view) && ok(&checkpoint.0) && ok(&checkpoint.1) && pre_prepares.iter().all(|(s, d, r)| ok(s) && ok(d) && req(r))
        }
        Msg::Fetch { after } => ok(after),
        Msg::State { seq, digest, requests } => ok(seq) && ok(digest) && requests.iter().all(|(s, r)| ok(s) && req(r)),
    }
}

/// A list of member ids, none repeated.
fn members(ids: &Ids, v: &JsValue, param: &str) -> JsResult<Vec<NodeId>> {
    let list = array(v, param)?;
    let mut out: Vec<NodeId> = Vec::with_capacity(list.length() as usize);
    for (k, e) in list.iter().enumerate() {
        let q = format!("{param}[{k}]");
        let i = ids.member(&e, &q)?;
        if out.contains(&i) {
            return Err(got(&q, "must not repeat an id", &e));
        }
        out.push(i);
    }
    Ok(out)
}

/// A list of objects with exactly `keys`, each parsed by `each`.
fn objects<T>(v: &JsValue, param: &str, what: &str, keys: &[&str], mut each: impl FnMut(&JsValue, &str) -> JsResult<T>) -> JsResult<Vec<T>> {
    let list = array(v, param)?;
    let mut out = Vec::with_capacity(list.length() as usize);
    for (k, e) in list.iter().enumerate() {
        let q = format!("{param}[{k}]");
        object(&e, &q)?;
        only_fields(&e, &q, what, keys)?;
        out.push(each(&e, &q)?);
    }
    Ok(out)
}

fn ids_json(out: &mut String, ids: &Ids, list: &[NodeId]) {
    json_array(out, list, |out, i| out.push_str(&ids.quoted_id(*i)));
}

impl PbftMechanism {
    /// `message` from `from`, checked field by field.
    fn parse(ids: &Ids, m: &JsValue) -> JsResult<Msg> {
        object(m, "message")?;
        let t = get(m, "type");
        let kind = t.as_string().unwrap_or_default();
        let Some(allowed) = fields(&kind) else {
            return Err(got("message.type", &format!("must be one of {TYPES}"), &t));
        };
        only_fields(m, "message", &kind, allowed)?;
        let names = &ids.ids;
        let field = |k: &str| get(m, k);
        let n = |k: &str| number(&field(k), &format!("message.{k}"));
        let sub = |v: &JsValue, q: &str, k: &str| number(&get(v, k), &format!("{q}.{k}"));
        let replica = || ids.member(&field("replica"), "message.replica");
        Ok(match kind.as_str() {
            "Request" => Msg::Request(request(names, &field("request"), "message.request", false)?.unwrap_or_else(|| unreachable!())),
            "PrePrepare" => Msg::PrePrepare { view: n("view")?, seq: n("seq")?, digest: n("digest")?, request: request(names, &field("request"), "message.request", true)? },
            "Prepare" => Msg::Prepare { view: n("view")?, seq: n("seq")?, digest: n("digest")?, replica: replica()? },
            "Commit" => Msg::Commit { view: n("view")?, seq: n("seq")?, digest: n("digest")?, replica: replica()? },
            "Reply" => Msg::Reply {
                view: n("view")?,
                timestamp: n("timestamp")?,
                client: client_in(names, &field("client"), "message.client")?,
                replica: replica()?,
                result: command_text(&field("result"), "message.result")?,
            },
            "Checkpoint" => Msg::Checkpoint { seq: n("seq")?, digest: n("digest")?, replica: replica()? },
            "ViewChange" => {
                let (view, last_stable, stable_digest) = (n("view")?, n("lastStable")?, n("stableDigest")?);
                let checkpoint_proof = members(ids, &field("checkpointProof"), "message.checkpointProof")?;
                let checkpoints = objects(&field("checkpoints"), "message.checkpoints", "a checkpoint", &["seq", "digest"], |e, q| Ok((sub(e, q, "seq")?, sub(e, q, "digest")?)))?;
                let prepared = objects(&field("prepared"), "message.prepared", "a prepared certificate", &["seq", "view", "digest", "request"], |e, q| {
                    Ok(PreparedCert { seq: sub(e, q, "seq")?, view: sub(e, q, "view")?, digest: sub(e, q, "digest")?, request: request(names, &get(e, "request"), &format!("{q}.request"), true)? })
                })?;
                let pre_prepared = objects(&field("prePrepared"), "message.prePrepared", "a pre-prepared entry", &["seq", "view", "digest"], |e, q| {
                    Ok((sub(e, q, "seq")?, sub(e, q, "view")?, sub(e, q, "digest")?))
                })?;
                let body = ViewChangeBody { view, last_stable, stable_digest, checkpoint_proof, checkpoints, prepared, pre_prepared };
                Msg::ViewChange { body: Box::new(body), replica: replica()? }
            }
            "NewView" => {
                let view = n("view")?;
                let view_changes = members(ids, &field("viewChanges"), "message.viewChanges")?;
                let c = field("checkpoint");
                object(&c, "message.checkpoint")?;
                only_fields(&c, "message.checkpoint", "a checkpoint", &["seq", "digest"])?;
                let checkpoint = (sub(&c, "message.checkpoint", "seq")?, sub(&c, "message.checkpoint", "digest")?);
                let pre_prepares = objects(&field("prePrepares"), "message.prePrepares", "a pre-prepare", &["seq", "digest", "request"], |e, q| {
                    Ok((sub(e, q, "seq")?, sub(e, q, "digest")?, request(names, &get(e, "request"), &format!("{q}.request"), true)?))
                })?;
                Msg::NewView { view, view_changes, checkpoint, pre_prepares }
            }
            "Fetch" => Msg::Fetch { after: n("after")? },
            _ => {
                let (seq, digest) = (n("seq")?, n("digest")?);
                let requests = objects(&field("requests"), "message.requests", "an executed request", &["seq", "request"], |e, q| {
                    Ok((sub(e, q, "seq")?, request(names, &get(e, "request"), &format!("{q}.request"), true)?))
                })?;
                Msg::State { seq, digest, requests }
            }
        })
    }

    fn message(out: &mut String, ids: &Ids, m: &Msg) {
        let _ = write!(out, "{{\"type\":\"{}\"", m.kind());
        match m {
            Msg::Request(r) => {
                out.push_str(",\"request\":");
                request_json(out, ids, Some(r));
            }
            Msg::PrePrepare { view, seq, digest, request } => {
                let _ = write!(out, ",\"view\":{view},\"seq\":{seq},\"digest\":{digest},\"request\":");
                request_json(out, ids, request.as_ref());
            }
            Msg::Prepare { view, seq, digest, replica } | Msg::Commit { view, seq, digest, replica } => {
                let _ = write!(out, ",\"view\":{view},\"seq\":{seq},\"digest\":{digest},\"replica\":{}", ids.quoted_id(*replica));
            }
            Msg::Reply { view, timestamp, client, replica, result } => {
                let _ = write!(out, ",\"view\":{view},\"timestamp\":{timestamp},\"client\":{},\"replica\":{},\"result\":{result}", client_out(ids, client), ids.quoted_id(*replica));
            }
            Msg::Checkpoint { seq, digest, replica } => {
                let _ = write!(out, ",\"seq\":{seq},\"digest\":{digest},\"replica\":{}", ids.quoted_id(*replica));
            }
            Msg::ViewChange { body, replica } => {
                let b = body.as_ref();
                let _ = write!(out, ",\"view\":{},\"lastStable\":{},\"stableDigest\":{},\"checkpointProof\":", b.view, b.last_stable, b.stable_digest);
                ids_json(out, ids, &b.checkpoint_proof);
                out.push_str(",\"checkpoints\":");
                json_array(out, &b.checkpoints, |out, (s, d)| {
                    let _ = write!(out, "{{\"seq\":{s},\"digest\":{d}}}");
                });
                out.push_str(",\"prepared\":");
                json_array(out, &b.prepared, |out, p| {
                    let _ = write!(out, "{{\"seq\":{},\"view\":{},\"digest\":{},\"request\":", p.seq, p.view, p.digest);
                    request_json(out, ids, p.request.as_ref());
                    out.push('}');
                });
                out.push_str(",\"prePrepared\":");
                json_array(out, &b.pre_prepared, |out, (s, v, d)| {
                    let _ = write!(out, "{{\"seq\":{s},\"view\":{v},\"digest\":{d}}}");
                });
                let _ = write!(out, ",\"replica\":{}", ids.quoted_id(*replica));
            }
            Msg::NewView { view, view_changes, checkpoint, pre_prepares } => {
                let _ = write!(out, ",\"view\":{view},\"viewChanges\":");
                ids_json(out, ids, view_changes);
                let _ = write!(out, ",\"checkpoint\":{{\"seq\":{},\"digest\":{}}},\"prePrepares\":", checkpoint.0, checkpoint.1);
                json_array(out, pre_prepares, |out, (s, d, r)| {
                    let _ = write!(out, "{{\"seq\":{s},\"digest\":{d},\"request\":");
                    request_json(out, ids, r.as_ref());
                    out.push('}');
                });
            }
            Msg::Fetch { after } => {
                let _ = write!(out, ",\"after\":{after}");
            }
            Msg::State { seq, digest, requests } => {
                let _ = write!(out, ",\"seq\":{seq},\"digest\":{digest},\"requests\":");
                json_array(out, requests, |out, (s, r)| {
                    let _ = write!(out, "{{\"seq\":{s},\"request\":");
                    request_json(out, ids, r.as_ref());
                    out.push('}');
                });
            }
        }
        out.push('}');
    }
}

fn timer_name(t: Timer) -> &'static str {
    match t {
        Timer::ViewChange => "viewChange",
        Timer::Fetch => "fetch",
        Timer::Retransmit => "retransmit",
    }
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::None => "none",
        Phase::PrePrepared => "pre-prepared",
        Phase::Prepared => "prepared",
        Phase::Committed => "committed",
        Phase::Executed => "executed",
    }
}

impl Mechanism for PbftMechanism {
    fn propose(&mut self, _ids: &Ids, command: String) -> JsResult<()> {
        self.s.propose(command).map(|_| ()).map_err(|e| JsError::new(&e.to_string()))
    }

    /// A whole request (`{operation, timestamp, client}`, exactly these keys) arrives as from a
    /// client; any other value is an operation this replica proposes as its own client.
    fn propose_js(&mut self, ids: &Ids, command: &JsValue) -> JsResult<()> {
        let whole = command.is_object() && !js_sys::Array::is_array(command) && {
            let keys = js_sys::Object::keys(&js_sys::Object::from(command.clone()));
            keys.length() == 3 && ["operation", "timestamp", "client"].iter().all(|k| keys.includes(&JsValue::from_str(k), 0))
        };
        if !whole {
            let text = command_text(command, "command")?;
            return self.propose(ids, text);
        }
        let r = request(&ids.ids, command, "command", false)?.unwrap_or_else(|| unreachable!());
        let o = self.s.protocol().options.clone();
        self.s.act(|_, n, cx, out| {
            let (what, _) = n.core.on_request(&o, cx, None, r, out);
            out.push(crate::protocol::Effect::Note(crate::pbft::notes::Note::Request { at: cx.me, what }));
        });
        Ok(())
    }

    fn handle(&mut self, ids: &Ids, from: NodeId, message: &JsValue) -> JsResult<()> {
        let msg = Self::parse(ids, message)?;
        self.s.on_msg(from, msg).map_err(|e| JsError::new(&e.to_string()))
    }

    fn tick(&mut self, now: Micros) -> JsResult<()> {
        self.s.tick(now).map(|_| ()).map_err(|e| JsError::new(&e.to_string()))
    }

    fn outbox(&mut self, ids: &Ids, out: &mut String) {
        let mut sent = self.s.take_outbox();
        sent.retain(|(_, m)| fits(m));
        outbox_json(out, ids, &sent, Self::message);
    }

    fn decisions(&self, ids: &Ids, out: &mut String) {
        json_array(out, self.s.decisions(), |out, d| {
            let _ = write!(out, "{{\"index\":{},\"value\":", d.seq);
            request_json(out, ids, d.request.as_ref());
            out.push('}');
        });
    }

    fn view(&self, ids: &Ids, out: &mut String) {
        let r = &self.s.node().core;
        let o = &self.s.protocol().options;
        let state = if r.status() == Status::Normal { "normal" } else { "view-change" };
        let _ = write!(
            out,
            "{{\"id\":{},\"mechanism\":\"pbft\",\"state\":\"{state}\",\"view\":{},\"primaryId\":{},\"isPrimary\":{},\"lowWatermark\":{},\"highWatermark\":{},\"executed\":{},\"stateDigest\":{},\"pending\":{},\"log\":",
            ids.quoted_id(ids.me),
            r.view().min(MAX),
            ids.quoted_id(r.primary_of(r.view())),
            r.is_primary(),
            r.low_watermark().min(MAX),
            r.high_watermark(o).min(MAX),
            r.executed(),
            r.state_digest(),
            r.pending().count()
        );
        json_array(out, r.log().iter(), |out, (seq, e)| {
            let d = e.pre_prepare.as_ref().map_or_else(|| "null".to_string(), |(d, _)| d.to_string());
            let _ = write!(out, "{{\"seq\":{},\"view\":{},\"digest\":{d},\"phase\":\"{}\"}}", seq.min(&MAX), e.view.min(MAX), phase_name(r.phase(*seq)));
        });
        out.push_str(",\"nowMs\":");
        ms(out, self.s.now());
        out.push_str(",\"timers\":");
        json_array(out, self.s.timers(), |out, (t, at)| {
            let _ = write!(out, "{{\"kind\":\"{}\",\"atMs\":", timer_name(t));
            ms(out, at);
            out.push('}');
        });
        out.push('}');
    }
}

/// `pbftDigest(request, replicas?)`: the digest (a number below 2⁵³) of a request
/// `{operation, timestamp, client}` (`operation` hashed as its `JSON.stringify` text, as
/// `propose` stores it), or 0 for `null` (the null request). Give `replicas` (the array given
/// to `createConsensus`) when the replicas are not named `n1`, `n2`, … in that order: a client
/// that is a replica is hashed under its name inside (`replicas[k]` is `n<k+1>`). Throws an
/// `Error` naming the parameter and the rule for a malformed request.
#[wasm_bindgen(js_name = pbftDigest)]
pub fn pbft_digest(request_: JsValue, replicas: JsValue) -> JsResult<f64> {
    let names: Vec<String> = if replicas.is_undefined() {
        Vec::new()
    } else {
        let list = array(&replicas, "replicas")?;
        let mut names = Vec::with_capacity(list.length() as usize);
        for (k, p) in list.iter().enumerate() {
            let p = string(&p, &format!("replicas[{k}]"))?;
            if names.contains(&p) {
                return Err(invalid(&format!("replicas[{k}]"), format!("must not repeat an id (\"{p}\" is listed twice)")));
            }
            names.push(p);
        }
        names
    };
    let r = request(&names, &request_, "request", true)?;
    Ok(digest(r.as_ref()) as f64)
}
