//! The JavaScript boundary: `#[wasm_bindgen]` exports only. Every function validates its JS
//! input, converts it, forwards it to [`crate::raft`] or [`crate::sim`] and converts the result
//! back. Nothing here decides protocol behaviour.
//!
//! Rules at the boundary:
//! - Bad input is a JS `Error` whose message names the parameter and the rule
//!   (`"prevLogIndex must be a non-negative integer (got -1)"`); the object is left unchanged.
//! - Terms and indexes are JS numbers (safe integers); times are ms (the simulator keeps µs).
//! - Commands are any JSON value; the core stores them as JSON text.

// The helpers below serve the classes; a build with only some of them (the widget's, the
// Experiments worker's) leaves some helpers unused.
#![cfg_attr(
    not(all(feature = "simulation-api", feature = "protocol-api", feature = "experiments-api", feature = "consensus-api")),
    allow(dead_code, unused_imports)
)]

use std::fmt::Display;

use js_sys::{Array, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::raft::{self, LogEntry};

/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
/// How far one `runUntil` call may move the clock, ms (one simulated hour).
const MAX_RUN_MS: f64 = 3_600_000.0;

/// `Simulation`, the simulated cluster the page animates (feature `simulation-api`).
#[cfg(feature = "simulation-api")]
mod simulation;
#[cfg(all(feature = "simulation-api", feature = "raft"))]
mod sim_raft;
#[cfg(all(feature = "simulation-api", feature = "paxos"))]
mod sim_paxos;
#[cfg(all(feature = "simulation-api", feature = "vote"))]
mod sim_vote;
#[cfg(all(feature = "simulation-api", feature = "pbft"))]
mod sim_pbft;
#[cfg(all(feature = "simulation-api", feature = "hotstuff"))]
mod sim_hotstuff;
#[cfg(all(feature = "simulation-api", feature = "generals"))]
mod sim_generals;
#[cfg(all(feature = "simulation-api", feature = "gossip"))]
mod sim_gossip;

/// `ConsensusProtocol`, one Raft server driven by hand from JS (the course exercise's class).
/// The widget does not use it: its build (`www/dist/`) leaves it out.
#[cfg(feature = "protocol-api")]
mod protocol;

/// `fig16Range` and `fig16Paper`, the Raft paper's Figure 16 for the page's Experiments panel.
/// The widget's own wasm leaves them out; the panel's worker loads a build that has them.
#[cfg(feature = "experiments-api")]
mod experiments;

/// A panic poisons the instance (a release-blocking bug): say where on the console, as
/// `console.error(message, file, line)`. Lighter than console_error_panic_hook, whose
/// formatting of the whole panic info and a JS stack weighed 1.1 KB gzip of the widget's wasm.
#[wasm_bindgen(start)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        let p = info.payload();
        let message = p.downcast_ref::<&str>().copied().unwrap_or("panic");
        let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
        web_sys::console::error_3(&JsValue::from_str(message), &JsValue::from_str(file), &JsValue::from_f64(line as f64));
    }));
}

// ---- conversion helpers -----------------------------------------------------------------------

type JsResult<T> = Result<T, JsError>;

fn invalid(param: &str, rule: impl Display) -> JsError {
    JsError::new(&format!("{param} {rule}"))
}

/// `"{param} {rule} (got {v})"`, e.g. `"seed must be a non-negative integer (got -1)"`: one
/// formatting site for every rule that quotes the value it refused.
fn got(param: &str, rule: &str, v: &JsValue) -> JsError {
    JsError::new(&format!("{param} {rule} (got {})", describe(v)))
}

fn core(e: raft::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A short description of a JS value for error messages: `-1`, `"abc"`, `undefined`, `object`.
fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if v.as_f64().is_some() {
        // JS formats its own numbers (no float formatting code in the wasm).
        js_sys::Number::from(v.clone()).to_string_with_radix(10).map(String::from).unwrap_or_default()
    } else if let Some(s) = v.as_string() {
        let s: String = s.chars().take(40).collect();
        format!("\"{s}\"")
    } else if Array::is_array(v) {
        "an array".into()
    } else {
        v.js_typeof().as_string().unwrap_or_default()
    }
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn object<'a>(v: &'a JsValue, param: &str) -> JsResult<&'a JsValue> {
    if v.is_object() && !Array::is_array(v) {
        Ok(v)
    } else {
        Err(got(param, "must be an object", v))
    }
}

fn array(v: &JsValue, param: &str) -> JsResult<Array> {
    if Array::is_array(v) {
        Ok(Array::from(v))
    } else {
        Err(got(param, "must be an array", v))
    }
}

/// A term or index: a non-negative safe integer.
fn uint(v: &JsValue, param: &str) -> JsResult<u64> {
    match v.as_f64() {
        Some(f) if f.is_finite() && f.fract() == 0.0 && (0.0..=MAX_SAFE).contains(&f) => Ok(f as u64),
        _ => Err(got(param, "must be a non-negative integer", v))
    }
}

/// A non-negative integer within `range`; else `"{param} {rule} (got {v})"`.
fn uint_in(v: &JsValue, param: &str, range: std::ops::RangeInclusive<u64>, rule: &str) -> JsResult<u64> {
    uint(v, param).ok().filter(|n| range.contains(n)).ok_or_else(|| got(param, rule, v))
}

/// Raft's `maxEntriesPerAppend` option: an integer from 1 to 1000000, or null (no limit).
fn max_entries_per_append(v: &JsValue) -> JsResult<Option<usize>> {
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(uint_in(v, "maxEntriesPerAppend", 1..=1_000_000, "must be an integer from 1 to 1000000, or null")? as usize))
}

/// Raft's `snapshotInterval` option (applied entries between snapshots, §7): a positive
/// integer, or null (never).
fn snapshot_interval(v: &JsValue) -> JsResult<Option<u64>> {
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(uint_in(v, "snapshotInterval", 1..=1_000_000_000, "must be a positive integer, or null")?))
}

fn string(v: &JsValue, param: &str) -> JsResult<String> {
    match v.as_string() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(got(param, "must be a non-empty string", v)),
    }
}

fn boolean(v: &JsValue, param: &str) -> JsResult<bool> {
    v.as_bool().ok_or_else(|| got(param, "must be true or false", v))
}

/// Any JSON value, as JSON text.
fn command_text(v: &JsValue, param: &str) -> JsResult<String> {
    if v.is_undefined() {
        return Err(invalid(param, "must be a JSON value (got undefined)"));
    }
    match JSON::stringify(v) {
        Ok(s) => s.as_string().ok_or_else(|| got(param, "must be a JSON value", v)),
        Err(_) => Err(invalid(param, "must be a JSON value (it could not be serialized: a BigInt or a cycle?)")),
    }
}

/// JSON text (a command or value a core holds) as a JS value; text that is not JSON (a string a
/// traitor or a hand-made request put there) stays a string.
#[cfg(feature = "byzantine")]
fn json_or_text(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or_else(|_| JsValue::from_str(text))
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or_else(|_| unreachable!("views hold only strings, bools and safe integers"))
}

/// Log entries as a JS array of `{term, index, command}`, commands parsed from their JSON text.
fn entries_js(entries: &[LogEntry]) -> JsValue {
    let mut text = String::with_capacity(2 + entries.len() * 40);
    text.push('[');
    for (k, e) in entries.iter().enumerate() {
        if k > 0 {
            text.push(',');
        }
        text.push_str(&format!("{{\"term\":{},\"index\":{},\"command\":{}}}", e.term, e.index, e.command));
    }
    text.push(']');
    JSON::parse(&text).expect("commands are JSON text produced by JSON.stringify")
}

/// Writes `items` as a JSON array, each item by `each`.
fn json_array<T>(out: &mut String, items: impl IntoIterator<Item = T>, mut each: impl FnMut(&mut String, T)) {
    out.push('[');
    for (k, item) in items.into_iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        each(out, item);
    }
    out.push(']');
}

/// A Paxos ballot as the JSON `{round, nodeId}` (`nodeId` null for no ballot); `quoted(i)` is
/// node `i`'s id as a JSON string. For `createConsensus('paxos')` and a Paxos `Simulation`.
fn paxos_ballot_json(out: &mut String, quoted: &dyn Fn(usize) -> String, b: crate::paxos::Ballot) {
    if b.is_zero() {
        out.push_str("{\"round\":0,\"nodeId\":null}");
    } else {
        let _ = std::fmt::Write::write_fmt(out, format_args!("{{\"round\":{},\"nodeId\":{}}}", b.round, quoted(b.node)));
    }
}

/// Paxos's accepted proposals as the JSON `[{slot, ballot, value}]` (values are JSON text).
fn paxos_entries_json<'a>(out: &mut String, quoted: &dyn Fn(usize) -> String, entries: impl Iterator<Item = (u64, crate::paxos::Ballot, &'a str)>) {
    json_array(out, entries, |out, (slot, b, value)| {
        let _ = std::fmt::Write::write_fmt(out, format_args!("{{\"slot\":{slot},\"ballot\":"));
        paxos_ballot_json(out, quoted, b);
        let _ = std::fmt::Write::write_fmt(out, format_args!(",\"value\":{value}}}"));
    });
}

fn set(obj: &JsValue, key: &str, value: &JsValue) {
    Reflect::set(obj, &JsValue::from_str(key), value).expect("obj is a plain object");
}

/// Refuses a key of `obj` not in `allowed`, naming it `{param}.{key}` and listing the fields
/// of `what`.
fn only_fields(obj: &JsValue, param: &str, what: &str, allowed: &[&str]) -> JsResult<()> {
    for key in js_sys::Object::keys(&js_sys::Object::from(obj.clone())).iter() {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(invalid(&format!("{param}.{key}"), format!("is not a field of {what}; its fields are {}", allowed.join(", "))));
        }
    }
    Ok(())
}

/// Refuses an options object with a key not in `allowed`, naming it and listing the options.
fn only_keys(options: &JsValue, allowed: &[&str]) -> JsResult<()> {
    for key in js_sys::Object::keys(&js_sys::Object::from(options.clone())).iter() {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(invalid(&format!("options.{key}"), format!("is not an option; the options are {}", allowed.join(", "))));
        }
    }
    Ok(())
}

/// `createConsensus` and `ConsensusNode`: one node of a mechanism driven by hand, its messages
/// carried by any transport (feature `consensus-api`; the widget's build leaves it out).
#[cfg(feature = "consensus-api")]
mod consensus;

/// Majority voting behind `createConsensus('vote', …)` (feature `consensus-api`).
#[cfg(feature = "consensus-api")]
mod consensus_vote;
/// `createConsensus('paxos', …)`: Multi-Paxos behind the same `ConsensusNode` interface.
#[cfg(feature = "consensus-api")]
mod consensus_paxos;
/// `createConsensus('pbft', …)` and `pbftDigest`: PBFT behind the same `ConsensusNode` interface.
#[cfg(feature = "consensus-api")]
mod consensus_pbft;
/// `createConsensus('hotstuff', …)` and `hotstuffBlockId`: Chained HotStuff behind the same
/// `ConsensusNode` interface.
#[cfg(feature = "consensus-api")]
mod consensus_hotstuff;
/// `createConsensus('gossip', …)`: a gossip agent (Demers et al. PODC 1987) behind the same
/// `ConsensusNode` interface, with `set`, `delete` and `get`.
#[cfg(feature = "consensus-api")]
mod consensus_gossip;

/// What a voting `policy` option must be, for error messages.
const POLICY_RULE: &str = "must be 'approve', 'reject', 'manual' or {random: p} with p a number from 0 to 1";

/// A voting policy from JS: `'approve'`, `'reject'`, `'manual'` or `{random: p}` (p from 0 to
/// 1). Errors name `param`.
fn vote_policy(v: &JsValue, param: &str) -> JsResult<crate::vote::Policy> {
    use crate::vote::Policy;
    Ok(match v.as_string().as_deref() {
        Some("approve") => Policy::Approve,
        Some("reject") => Policy::Reject,
        Some("manual") => Policy::Manual,
        Some(_) => return Err(got(param, POLICY_RULE, v)),
        None => {
            object(v, param).map_err(|_| got(param, POLICY_RULE, v))?;
            for key in js_sys::Object::keys(&js_sys::Object::from(v.clone())).iter() {
                let key = key.as_string().unwrap_or_default();
                if key != "random" {
                    return Err(invalid(&format!("{param}.{key}"), "is not a field of a random policy; its field is random"));
                }
            }
            let p = get(v, "random");
            match p.as_f64() {
                Some(p) if (0.0..=1.0).contains(&p) => Policy::Random(p),
                _ => return Err(got(&format!("{param}.random"), "must be a number from 0 to 1", &p)),
            }
        }
    })
}

/// Voting's options ([`crate::vote::Options`]) from the JS object `options`, reading only
/// their keys (the caller refuses others): `quorum` (`'majority'`, the default;
/// `'supermajority'`; `'unanimous'`; a number strictly between 0 and 1, a fraction of the total
/// weight; or a whole count of weight, 1 or more), `weights` (`{id: weight}` over `names`,
/// integers from 0 to 1000000; others weigh 1), `policy` (`'approve'`, the default;
/// `'reject'`; `'manual'`; `{random: p}`), `exclusive` (true), `timeout` (ms, default 5000).
/// Errors name the option and the rule. For `createConsensus('vote', …)` and a voting
/// `Simulation`.
fn vote_options(names: &[String], options: &JsValue) -> JsResult<crate::vote::Options> {
    use crate::vote::{Options, Quorum};
    let mut o = Options::default();
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("quorum") {
        let rule = crate::vote::quorum::RULE;
        o.quorum = match (v.as_string().as_deref(), v.as_f64()) {
            (Some("majority"), _) => Quorum::Majority,
            (Some("supermajority"), _) => Quorum::Supermajority,
            (Some("unanimous"), _) => Quorum::Unanimous,
            (None, Some(q)) => Quorum::from_number("quorum", q).map_err(|_| got("quorum", rule, &v))?,
            _ => return Err(got("quorum", rule, &v)),
        };
    }
    if let Some(v) = opt("weights") {
        object(&v, "weights")?;
        let mut weights = vec![1; names.len()];
        for key in js_sys::Object::keys(&js_sys::Object::from(v.clone())).iter() {
            let key = key.as_string().unwrap_or_default();
            let param = format!("weights.{key}");
            let Some(i) = names.iter().position(|m| *m == key) else {
                return Err(invalid(&param, format!("must name a member ({})", names.join(", "))));
            };
            weights[i] = uint_in(&get(&v, &key), &param, 0..=1_000_000, "must be an integer from 0 to 1000000")?;
        }
        o.weights = weights;
    }
    if let Some(v) = opt("policy") {
        o.policy = vote_policy(&v, "policy")?;
    }
    if let Some(v) = opt("exclusive") {
        o.exclusive = boolean(&v, "exclusive")?;
    }
    if let Some(v) = opt("timeout") {
        o.timeout_us = match v.as_f64() {
            Some(f) if f.is_finite() && f > 0.0 && f <= 3_600_000.0 => ((f * 1000.0).round() as u64).max(1),
            _ => return Err(got("timeout", "must be a number of ms above 0 and at most 3600000", &v)),
        };
    }
    o.validate(names.len()).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(o)
}

// ---- gossip's options (a gossip `Simulation` and `createConsensus('gossip', …)`) --------------

/// A gossip round's length: ms from 1 to an hour, as µs.
fn gossip_interval(v: &JsValue, param: &str) -> JsResult<crate::protocol::Micros> {
    match v.as_f64() {
        Some(f) if f.is_finite() && (1.0..=MAX_RUN_MS).contains(&f) => Ok((f * 1000.0).round() as crate::protocol::Micros),
        _ => Err(got(param, "must be a number of ms from 1 to 3600000", v)),
    }
}

/// Anti-entropy's exchange (Demers et al. §1.3): `'push'`, `'pull'` or `'push-pull'`.
fn gossip_mode(v: &JsValue, param: &str) -> JsResult<crate::gossip::Exchange> {
    v.as_string()
        .and_then(|s| crate::gossip::Exchange::parse(param, &s).ok())
        .ok_or_else(|| got(param, "must be 'push', 'pull' or 'push-pull'", v))
}

/// `fanout`: peers per round, 1 to 1000.
fn gossip_fanout(v: &JsValue) -> JsResult<usize> {
    Ok(uint_in(v, "fanout", 1..=1000, "must be an integer from 1 to 1000")? as usize)
}

/// Rumor mongering's settings (§1.4): null (off) or `{intervalMs (20), pull (false), feedback
/// (true), interest ('counter' | 'coin', 'counter'), k (2)}`, each key optional
/// ([`crate::gossip::Rumors::default`]).
fn gossip_rumors(v: &JsValue) -> JsResult<Option<crate::gossip::Rumors>> {
    use crate::gossip::{Interest, Rumors};
    if v.is_null() {
        return Ok(None);
    }
    object(v, "rumors")?;
    only_fields(v, "rumors", "rumor mongering's settings", &["intervalMs", "pull", "feedback", "interest", "k"])?;
    let mut r = Rumors::default();
    let opt = |k: &str| Some(get(v, k)).filter(|x| !x.is_undefined());
    if let Some(x) = opt("intervalMs") {
        r.interval_us = gossip_interval(&x, "rumors.intervalMs")?;
    }
    if let Some(x) = opt("pull") {
        r.pull = boolean(&x, "rumors.pull")?;
    }
    if let Some(x) = opt("feedback") {
        r.feedback = boolean(&x, "rumors.feedback")?;
    }
    if let Some(x) = opt("interest") {
        r.interest = match x.as_string().as_deref() {
            Some("counter") => Interest::Counter,
            Some("coin") => Interest::Coin,
            _ => return Err(got("rumors.interest", "must be 'counter' or 'coin'", &x)),
        };
    }
    if let Some(x) = opt("k") {
        r.k = uint_in(&x, "rumors.k", 1..=1_000_000, "must be an integer from 1 to 1000000")? as u32;
    }
    Ok(Some(r))
}

/// Gossip's own options ([`crate::gossip::Options`]) from the JS object `options` into `o`,
/// reading only their keys (the caller refuses others): `mode`, `fanout`, `intervalMs`,
/// `entriesPerExchange` (null: unbounded; 1 to 1000000), `antiEntropy`, `rumors`,
/// `deathCertificateMs`, `keepState`, `synchronous`. Then checks [`crate::gossip::Options::validate`]'s
/// rules (anti-entropy may be off only with rumor mongering on). Errors name the option and
/// the rule.
fn gossip_options(options: &JsValue, o: &mut crate::gossip::Options) -> JsResult<()> {
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("mode") {
        o.exchange = gossip_mode(&v, "mode")?;
    }
    if let Some(v) = opt("fanout") {
        o.fanout = gossip_fanout(&v)?;
    }
    if let Some(v) = opt("intervalMs") {
        o.interval_us = gossip_interval(&v, "intervalMs")?;
    }
    if let Some(v) = opt("entriesPerExchange") {
        let rule = "must be an integer from 1 to 1000000, or null (unbounded)";
        o.entries_per_exchange = if v.is_null() { None } else { Some(uint_in(&v, "entriesPerExchange", 1..=1_000_000, rule)? as usize) };
    }
    if let Some(v) = opt("antiEntropy") {
        o.anti_entropy = boolean(&v, "antiEntropy")?;
    }
    if let Some(v) = opt("rumors") {
        o.rumors = gossip_rumors(&v)?;
    }
    if let Some(v) = opt("deathCertificateMs") {
        o.death_certificate_us = match v.as_f64() {
            Some(f) if f.is_finite() && (0.0..=MAX_RUN_MS).contains(&f) => (f * 1000.0).round() as crate::protocol::Micros,
            _ => return Err(got("deathCertificateMs", "must be a number of ms from 0 to 3600000", &v)),
        };
    }
    if let Some(v) = opt("keepState") {
        o.keep_state = boolean(&v, "keepState")?;
    }
    if let Some(v) = opt("synchronous") {
        o.synchronous = boolean(&v, "synchronous")?;
    }
    o.validate().map_err(core)
}
