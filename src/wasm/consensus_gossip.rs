//! `createConsensus('gossip', id, peers, options?)`: one gossip agent (Demers, Greene, Hauser,
//! Irish, Larson, Shenker, Sturgis, Swinehart & Terry, "Epidemic Algorithms for Replicated
//! Database Maintenance", PODC 1987; [`crate::gossip`]) behind the `ConsensusNode` interface of
//! [`super::consensus`], driven by hand over any transport. Sans-IO: the core takes time as
//! input (`tick(nowMs)`), and draws its peers and timers from the node's own seeded RNG.
//!
//! ```js
//! const a = createConsensus('gossip', 'a', ['a', 'b', 'c'], { seed: 1, mode: 'push-pull' });
//! a.set('x', 1);               // → outbox (empty: anti-entropy sends at its next round)
//! a.tick(100);                 // → outbox: a Digest to a peer drawn at random
//! a.handleMessage('b', m);     // → outbox
//! a.get('x');                  // 1 (undefined: never written, or deleted)
//! a.delete('x');               // a death certificate (§2.1) → outbox
//! ```
//!
//! Options (every key optional; others are refused): `seed` (a non-negative integer, default 1;
//! mixed with `id`), `mode` (`'push'`, `'pull'` or `'push-pull'`, the default; §1.3), `fanout`
//! (peers per round, 1 to 1000, default 1), `intervalMs` (anti-entropy's round, 100),
//! `entriesPerExchange` (null, the default: unbounded), `antiEntropy` (true), `rumors` (rumor
//! mongering, §1.4: null, the default, or `{intervalMs, pull, feedback, interest, k}`),
//! `deathCertificateMs` (60000), `synchronous` (false: the first round falls at a random offset
//! within the interval; true: one interval after creation).
//!
//! Values are any JSON value but null (`set(key, null)` throws: `delete(key)` deletes). A
//! version is `{ts, writer}`: the writer's logical clock (from 1) and its id (§1.1: the higher
//! `ts` wins, ties broken by the writer's index in the cluster — the order of `peers`, this node
//! added last if they do not list it; give every node the same `peers`). An entry is `{key,
//! value, version, expiresMs}`: `value` null and `expiresMs` the time it expires (ms on the
//! nodes' clocks, the deleting node's `nowMs` plus `deathCertificateMs`) for a death
//! certificate, `expiresMs` null for a value. Keys are non-empty strings.
//!
//! Messages (ids are the caller's):
//! - `{type: 'Digest', exchange, digest: [{key, version}]}` (anti-entropy opens: every key the
//!   sender holds, with its version; keys in any order, each once),
//! - `{type: 'Reply', entries: [entry], want: [key]}` (the entries newer at the peer, and the
//!   keys it wants because the initiator's are newer),
//! - `{type: 'Entries', entries: [entry]}` (the initiator sends what the peer wanted),
//! - `{type: 'Rumor', entries: [entry]}` (hot rumors, pushed or served to a pull),
//! - `{type: 'RumorAck', known: [{key, version}]}` (feedback: the rumors the recipient already
//!   knew),
//! - `{type: 'RumorPull'}` (pull rumor mongering: "send me your hot rumors").
//!
//! `view`: `{id, mechanism: 'gossip', state, clock, store: [entry + deleted], hot: [{key,
//! version, count}], nowMs, timers: [{kind ('antiEntropy' | 'rumor'), atMs}]}` (`state`:
//! `'infective'` while it holds a hot rumor, `'removed'` when it holds entries but none hot,
//! `'susceptible'` when it holds nothing). `decisions`: this node's own writes, `[{index, value:
//! {key, value, version}}]` (index from 1; `value.value` null for a delete).

use std::fmt::Write;

use wasm_bindgen::prelude::*;

use super::consensus::{ms, node_seed, only_fields, outbox_json, quote, Ids, Mechanism};
use super::{array, command_text, core, get, got, gossip_mode, gossip_options, invalid, json_array, object, only_keys, string, uint, uint_in, JsResult, MAX_SAFE};
use crate::gossip::{Entry, Gossip, Msg, Options, Timer, Version};
use crate::node::Standalone;
use crate::protocol::{Micros, NodeId};

const OPTION_KEYS: [&str; 9] = ["seed", "mode", "fanout", "intervalMs", "entriesPerExchange", "antiEntropy", "rumors", "deathCertificateMs", "synchronous"];

const TYPES: &str = "Digest, Reply, Entries, Rumor, RumorAck, RumorPull";

/// The largest timestamp accepted: one more (the next write) still fits a JS number exactly.
const MAX_TS: u64 = MAX_SAFE as u64 - 1;

/// The latest `expiresMs` accepted (µs stay exact in a JS number).
const MAX_EXPIRES_MS: f64 = MAX_SAFE / 1000.0;

/// The fields of each message type.
fn fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Digest" => &["type", "exchange", "digest"],
        "Reply" => &["type", "entries", "want"],
        "Entries" | "Rumor" => &["type", "entries"],
        "RumorAck" => &["type", "known"],
        "RumorPull" => &["type"],
        _ => return None,
    })
}

/// Gossip's options and the seed (defaults: seed 1, [`Options::default`]).
fn options_of(options: &JsValue) -> JsResult<(Options, u64)> {
    let mut o = Options::default();
    let mut seed = 1;
    if options.is_undefined() || options.is_null() {
        return Ok((o, seed));
    }
    object(options, "options")?;
    only_keys(options, &OPTION_KEYS)?;
    let s = get(options, "seed");
    if !s.is_undefined() {
        seed = uint(&s, "seed")?;
    }
    gossip_options(options, &mut o)?;
    Ok((o, seed))
}

/// A gossip agent for `createConsensus`.
pub(super) fn create(ids: &Ids, options: &JsValue) -> JsResult<Box<dyn Mechanism>> {
    let (options, seed) = options_of(options)?;
    let s = Standalone::new(Gossip { options }, ids.me, ids.ids.len(), node_seed(seed, ids.me())).map_err(core)?;
    Ok(Box::new(GossipMechanism { s }))
}

struct GossipMechanism {
    s: Standalone<Gossip>,
}

// ---- parsing --------------------------------------------------------------------------------

/// `{ts, writer}`: ts from 1 to 2⁵³ − 2, writer a member.
fn version(ids: &Ids, v: &JsValue, param: &str) -> JsResult<Version> {
    object(v, param)?;
    only_fields(v, param, "a version", &["ts", "writer"])?;
    let ts = uint_in(&get(v, "ts"), &format!("{param}.ts"), 1..=MAX_TS, &format!("must be an integer from 1 to {MAX_TS}"))?;
    let writer = ids.member(&get(v, "writer"), &format!("{param}.writer"))?;
    Ok(Version { ts, writer })
}

/// `{key, value, version, expiresMs}` (see the module documentation).
fn entry(ids: &Ids, v: &JsValue, param: &str) -> JsResult<(String, Entry)> {
    object(v, param)?;
    only_fields(v, param, "an entry", &["key", "value", "version", "expiresMs"])?;
    let key = string(&get(v, "key"), &format!("{param}.key"))?;
    let ver = version(ids, &get(v, "version"), &format!("{param}.version"))?;
    let value = get(v, "value");
    let expires = get(v, "expiresMs");
    let p = format!("{param}.expiresMs");
    let e = if value.is_null() {
        let us = match expires.as_f64() {
            Some(f) if f.is_finite() && (0.0..=MAX_EXPIRES_MS).contains(&f) => (f * 1000.0).round() as Micros,
            _ => return Err(got(&p, "must be a number of ms from 0 to 9007199254740 for a death certificate (value null)", &expires)),
        };
        Entry { version: ver, value: None, expires_us: us }
    } else {
        if !(expires.is_null() || expires.is_undefined()) {
            return Err(got(&p, "must be null (or left out) for a value: only a death certificate expires", &expires));
        }
        Entry { version: ver, value: Some(command_text(&value, &format!("{param}.value"))?), expires_us: 0 }
    };
    Ok((key, e))
}

fn entries(ids: &Ids, v: &JsValue, param: &str) -> JsResult<Vec<(String, Entry)>> {
    array(v, param)?.iter().enumerate().map(|(k, e)| entry(ids, &e, &format!("{param}[{k}]"))).collect()
}

/// `[{key, version}]`, sorted by key here (the core looks keys up by binary search); a key
/// listed twice is refused.
fn key_versions(ids: &Ids, v: &JsValue, param: &str) -> JsResult<Vec<(String, Version)>> {
    let mut list = Vec::new();
    for (k, e) in array(v, param)?.iter().enumerate() {
        let q = format!("{param}[{k}]");
        object(&e, &q)?;
        only_fields(&e, &q, "a key and its version", &["key", "version"])?;
        list.push((string(&get(&e, "key"), &format!("{q}.key"))?, version(ids, &get(&e, "version"), &format!("{q}.version"))?));
    }
    list.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = list.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(invalid(param, format!("must not list a key twice (\"{}\" is)", w[0].0)));
    }
    Ok(list)
}

fn parse(ids: &Ids, m: &JsValue) -> JsResult<Msg> {
    object(m, "message")?;
    let t = get(m, "type");
    let kind = t.as_string().unwrap_or_default();
    let Some(allowed) = fields(&kind) else {
        return Err(got("message.type", &format!("must be one of {TYPES}"), &t));
    };
    only_fields(m, "message", &kind, allowed)?;
    let field = |k: &str| get(m, k);
    Ok(match kind.as_str() {
        "Digest" => Msg::Digest { exchange: gossip_mode(&field("exchange"), "message.exchange")?, digest: key_versions(ids, &field("digest"), "message.digest")? },
        "Reply" => {
            let entries = entries(ids, &field("entries"), "message.entries")?;
            let want = array(&field("want"), "message.want")?.iter().enumerate().map(|(k, w)| string(&w, &format!("message.want[{k}]"))).collect::<JsResult<_>>()?;
            Msg::Reply { entries, want }
        }
        "Entries" => Msg::Entries { entries: entries(ids, &field("entries"), "message.entries")? },
        "Rumor" => Msg::Rumor { entries: entries(ids, &field("entries"), "message.entries")? },
        "RumorAck" => Msg::RumorAck { known: key_versions(ids, &field("known"), "message.known")? },
        _ => Msg::RumorPull,
    })
}

// ---- JSON text ------------------------------------------------------------------------------

fn version_json(out: &mut String, ids: &Ids, v: Version) {
    let _ = write!(out, "{{\"ts\":{},\"writer\":{}}}", v.ts, ids.quoted_id(v.writer));
}

/// `{key, value, version, expiresMs}`; with `deleted` too when `deleted` is asked (views).
fn entry_json(out: &mut String, ids: &Ids, key: &str, e: &Entry, deleted: bool) {
    let _ = write!(out, "{{\"key\":{},\"value\":{},\"version\":", quote(key), e.value.as_deref().unwrap_or("null"));
    version_json(out, ids, e.version);
    out.push_str(",\"expiresMs\":");
    if e.value.is_none() {
        ms(out, e.expires_us);
    } else {
        out.push_str("null");
    }
    if deleted {
        let _ = write!(out, ",\"deleted\":{}", e.value.is_none());
    }
    out.push('}');
}

fn entries_json(out: &mut String, ids: &Ids, list: &[(String, Entry)]) {
    json_array(out, list, |out, (k, e)| entry_json(out, ids, k, e, false));
}

fn key_versions_json(out: &mut String, ids: &Ids, list: &[(String, Version)]) {
    json_array(out, list, |out, (k, v)| {
        let _ = write!(out, "{{\"key\":{},\"version\":", quote(k));
        version_json(out, ids, *v);
        out.push('}');
    });
}

fn message(out: &mut String, ids: &Ids, m: &Msg) {
    let _ = write!(out, "{{\"type\":\"{}\"", m.kind());
    match m {
        Msg::Digest { exchange, digest } => {
            let _ = write!(out, ",\"exchange\":\"{}\",\"digest\":", exchange.name());
            key_versions_json(out, ids, digest);
        }
        Msg::Reply { entries, want } => {
            out.push_str(",\"entries\":");
            entries_json(out, ids, entries);
            out.push_str(",\"want\":");
            json_array(out, want, |out, k| out.push_str(&quote(k)));
        }
        Msg::Entries { entries } | Msg::Rumor { entries } => {
            out.push_str(",\"entries\":");
            entries_json(out, ids, entries);
        }
        Msg::RumorAck { known } => {
            out.push_str(",\"known\":");
            key_versions_json(out, ids, known);
        }
        Msg::RumorPull => {}
    }
    out.push('}');
}

fn timer_name(t: Timer) -> &'static str {
    match t {
        Timer::AntiEntropy => "antiEntropy",
        Timer::Rumor => "rumor",
    }
}

impl Mechanism for GossipMechanism {
    fn propose(&mut self, _ids: &Ids, _command: String) -> JsResult<()> {
        Err(invalid("propose", "is not offered by gossip nodes: write with set(key, value) and delete(key)"))
    }

    fn handle(&mut self, ids: &Ids, from: NodeId, message: &JsValue) -> JsResult<()> {
        let msg = parse(ids, message)?;
        self.s.on_msg(from, msg).map_err(core)
    }

    fn tick(&mut self, now: Micros) -> JsResult<()> {
        self.s.tick(now).map(|_| ()).map_err(core)
    }

    fn outbox(&mut self, ids: &Ids, out: &mut String) {
        outbox_json(out, ids, &self.s.take_outbox(), message);
    }

    fn decisions(&self, ids: &Ids, out: &mut String) {
        json_array(out, self.s.decisions().iter().enumerate(), |out, (k, d)| {
            let _ = write!(out, "{{\"index\":{},\"value\":{{\"key\":{},\"value\":{},\"version\":", k + 1, quote(&d.key), d.value.as_deref().unwrap_or("null"));
            version_json(out, ids, d.version);
            out.push_str("}}");
        });
    }

    fn view(&self, ids: &Ids, out: &mut String) {
        let n = self.s.node();
        let state = if !n.hot.is_empty() {
            "infective"
        } else if n.store.is_empty() {
            "susceptible"
        } else {
            "removed"
        };
        let _ = write!(out, "{{\"id\":{},\"mechanism\":\"gossip\",\"state\":\"{state}\",\"clock\":{},\"store\":", ids.quoted_id(ids.me), n.clock);
        json_array(out, n.store.iter(), |out, (k, e)| entry_json(out, ids, k, e, true));
        out.push_str(",\"hot\":");
        json_array(out, n.hot.iter(), |out, (k, (v, c))| {
            let _ = write!(out, "{{\"key\":{},\"version\":", quote(k));
            version_json(out, ids, *v);
            let _ = write!(out, ",\"count\":{c}}}");
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

    fn writes(&self) -> bool {
        true
    }

    fn write(&mut self, _ids: &Ids, key: String, value: Option<String>) -> JsResult<()> {
        self.s.act(|p, n, cx, out| p.write(n, cx, &key, value, None, out));
        Ok(())
    }

    fn read(&self, key: &str) -> Option<String> {
        self.s.node().get(key).map(str::to_string)
    }
}
