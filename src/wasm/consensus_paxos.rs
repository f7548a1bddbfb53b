//! `createConsensus('paxos', id, peers, options?)`: one Multi-Paxos node ("Paxos Made Simple",
//! 2001, §2–3; [`crate::paxos`]) behind the `ConsensusNode` interface of [`super::consensus`],
//! driven by hand over any transport.
//!
//! ```js
//! const n1 = createConsensus('paxos', 'n1', ['n1', 'n2', 'n3'], { seed: 1 });
//! n1.propose({ put: 'x' });            // → outbox: Prepare to n2, n3 (it knows no leader)
//! n1.handleMessage('n2', message);     // → outbox
//! n1.tick(250);                        // → outbox
//! n1.decisions;                        // [{index: slot, value}] (a no-op is null)
//! ```
//!
//! Options (every key optional; others are refused): `seed` (a non-negative integer, default 1;
//! mixed with `id`), `heartbeatMs` (the leader's heartbeat interval, default 50), `leaderTimeoutMs`
//! (a follower suspects the leader after this much silence, default 200), `backoff` (true: a
//! node that wants to lead first waits a random time, from 0 to `backoffMs`, and gives up if it
//! hears a leader meanwhile; false: preempted proposers retry at once and may duel forever),
//! `backoffMs` (150).
//!
//! Messages (ballots are `{round, nodeId}`, rounds from 1; ids are the caller's; a value is any
//! JSON value, a no-op is `null`; slots are integers from 1):
//! - `{type: 'Prepare', ballot}` (phase 1a; `ballot.nodeId` is the sender),
//! - `{type: 'Promise', ballot, accepted: [{slot, ballot, value}]}` (phase 1b: every proposal
//!   the acceptor accepted, one per slot),
//! - `{type: 'Accept', ballot, slot, value}` (phase 2a; `ballot.nodeId` is the sender),
//! - `{type: 'Accepted', ballot, slot, value}` (phase 2b, from the acceptor to every learner),
//! - `{type: 'Nack', ballot, promised}` (a Prepare, Accept or Heartbeat of `ballot` refused:
//!   the acceptor promised the higher `promised`),
//! - `{type: 'Heartbeat', ballot, chosenThrough}` (the leader's liveness message; every slot up
//!   to `chosenThrough`, 0 or more, is chosen at the leader; `ballot.nodeId` is the sender),
//! - `{type: 'CatchUp', next}` (a learner that is behind asks the leader for the values chosen
//!   from slot `next` on),
//! - `{type: 'Commit', ballot, slot, value}` (the leader's answer: `value` was chosen in `slot`;
//!   `ballot.nodeId` is the sender),
//! - `{type: 'Forward', value}` (a command given to a follower, passed to its leader).
//!
//! `propose(value)` never throws for a well-formed value: a leader proposes it in its next slot;
//! a follower that knows a leader forwards it there; a node that knows none queues it and tries
//! to lead (it proposes the value once it leads).
//!
//! `view`: `{id, mechanism: 'paxos', state ('follower' | 'candidate' | 'leader'), ballot,
//! promised, accepted: [{slot, ballot, value}], chosen: [{slot, value}], executed, leaderId,
//! promises, queued, nowMs, timers: [{kind ('leaderTimeout' | 'backoff' | 'heartbeat'), atMs}]}`
//! (a ballot of round 0 with `nodeId` null: none yet). `decisions`: `[{index, value}]`, index
//! the slot, in slot order.

use std::fmt::Write;

use wasm_bindgen::prelude::*;

use super::consensus::{duration, ms, node_seed, only_fields, outbox_json, Ids, Mechanism};
use super::{array, boolean, command_text, get, got, invalid, json_array, object, only_keys, paxos_ballot_json, paxos_entries_json, uint, JsResult, MAX_SAFE};
use crate::node::Standalone;
use crate::paxos::view::timer_name;
use crate::paxos::{AcceptedEntry, Ballot, Msg, Options, Paxos, Slot};
use crate::protocol::{Micros, NodeId};

const OPTION_KEYS: [&str; 5] = ["seed", "heartbeatMs", "leaderTimeoutMs", "backoff", "backoffMs"];

const TYPES: &str = "Prepare, Promise, Accept, Accepted, Nack, Heartbeat, CatchUp, Commit, Forward";

/// The largest round or slot accepted: one more still fits a JS number exactly.
const MAX_NUMBER: u64 = MAX_SAFE as u64 - 2;

/// The fields of each message type, in the order the outbox writes them.
fn fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Prepare" => &["type", "ballot"],
        "Promise" => &["type", "ballot", "accepted"],
        "Accept" | "Accepted" | "Commit" => &["type", "ballot", "slot", "value"],
        "Nack" => &["type", "ballot", "promised"],
        "Heartbeat" => &["type", "ballot", "chosenThrough"],
        "CatchUp" => &["type", "next"],
        "Forward" => &["type", "value"],
        _ => return None,
    })
}

/// Paxos's options and the seed (defaults: seed 1, [`Options::default`]).
fn paxos_options(options: &JsValue) -> JsResult<(Options, u64)> {
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
    if let Some(v) = opt("heartbeatMs") {
        o.heartbeat_us = duration(&v, "heartbeatMs", true)?;
    }
    if let Some(v) = opt("leaderTimeoutMs") {
        o.leader_timeout_us = duration(&v, "leaderTimeoutMs", true)?;
    }
    if let Some(v) = opt("backoff") {
        o.backoff = boolean(&v, "backoff")?;
    }
    if let Some(v) = opt("backoffMs") {
        o.backoff_us = duration(&v, "backoffMs", false)?;
    }
    Ok((o, seed))
}

/// A Paxos node for `createConsensus`.
pub(super) fn create(ids: &Ids, options: &JsValue) -> JsResult<Box<dyn Mechanism>> {
    let (options, seed) = paxos_options(options)?;
    let s = Standalone::new(Paxos { options }, ids.me, ids.ids.len(), node_seed(seed, ids.me())).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(Box::new(PaxosMechanism { s }))
}

struct PaxosMechanism {
    s: Standalone<Paxos>,
}

/// An integer from `min` to [`MAX_NUMBER`].
fn number(v: &JsValue, param: &str, min: u64) -> JsResult<u64> {
    match uint(v, param) {
        Ok(n) if (min..=MAX_NUMBER).contains(&n) => Ok(n),
        _ => Err(got(param, &format!("must be an integer from {min} to {MAX_NUMBER}"), v)),
    }
}

/// `{round, nodeId}`: round from 1, nodeId a member.
fn ballot(ids: &Ids, v: &JsValue, param: &str) -> JsResult<Ballot> {
    object(v, param)?;
    only_fields(v, param, "a ballot", &["round", "nodeId"])?;
    let round = number(&get(v, "round"), &format!("{param}.round"), 1)?;
    let node = ids.member(&get(v, "nodeId"), &format!("{param}.nodeId"))?;
    Ok(Ballot { round, node })
}

/// A ballot the sender speaks for: its own.
fn own_ballot(ids: &Ids, from: NodeId, v: &JsValue, param: &str) -> JsResult<Ballot> {
    let b = ballot(ids, v, param)?;
    if b.node != from {
        let rule = format!("must be the sender's id, \"{}\" (the from argument): a proposer sends only its own ballot", ids.ids[from]);
        return Err(got(&format!("{param}.nodeId"), &rule, &get(v, "nodeId")));
    }
    Ok(b)
}

/// `{round, nodeId}` with the caller's ids.
fn ballot_json(out: &mut String, ids: &Ids, b: Ballot) {
    paxos_ballot_json(out, &|i| ids.quoted_id(i), b);
}

/// `[{slot, ballot, value}]` with the caller's ids.
fn entries_json<'a>(out: &mut String, ids: &Ids, entries: impl Iterator<Item = (Slot, Ballot, &'a str)>) {
    paxos_entries_json(out, &|i| ids.quoted_id(i), entries);
}

impl PaxosMechanism {
    /// `message` from `from`, checked field by field.
    fn parse(&self, ids: &Ids, from: NodeId, m: &JsValue) -> JsResult<Msg> {
        object(m, "message")?;
        let t = get(m, "type");
        let kind = t.as_string().unwrap_or_default();
        let Some(allowed) = fields(&kind) else {
            return Err(got("message.type", &format!("must be one of {TYPES}"), &t));
        };
        only_fields(m, "message", &kind, allowed)?;
        let field = |k: &str| get(m, k);
        let p = |k: &str| format!("message.{k}");
        let any_ballot = |k: &str| ballot(ids, &field(k), &p(k));
        let sender_ballot = |k: &str| own_ballot(ids, from, &field(k), &p(k));
        let slot = || number(&field("slot"), "message.slot", 1);
        let value = || command_text(&field("value"), "message.value");
        Ok(match kind.as_str() {
            "Prepare" => Msg::Prepare { ballot: sender_ballot("ballot")? },
            "Promise" => {
                let b = any_ballot("ballot")?;
                let list = array(&field("accepted"), "message.accepted")?;
                let mut accepted: Vec<AcceptedEntry> = Vec::with_capacity(list.length() as usize);
                for (k, e) in list.iter().enumerate() {
                    let q = format!("message.accepted[{k}]");
                    object(&e, &q)?;
                    only_fields(&e, &q, "an accepted proposal", &["slot", "ballot", "value"])?;
                    let slot = number(&get(&e, "slot"), &format!("{q}.slot"), 1)?;
                    if accepted.iter().any(|a| a.slot == slot) {
                        return Err(invalid(&format!("{q}.slot"), format!("must not repeat a slot ({slot} is listed twice)")));
                    }
                    let eb = ballot(ids, &get(&e, "ballot"), &format!("{q}.ballot"))?;
                    let value = command_text(&get(&e, "value"), &format!("{q}.value"))?;
                    accepted.push(AcceptedEntry { slot, ballot: eb, value });
                }
                Msg::Promise { ballot: b, accepted }
            }
            "Accept" => Msg::Accept { ballot: sender_ballot("ballot")?, slot: slot()?, value: value()? },
            "Accepted" => Msg::Accepted { ballot: any_ballot("ballot")?, slot: slot()?, value: value()? },
            "Commit" => Msg::Commit { ballot: sender_ballot("ballot")?, slot: slot()?, value: value()? },
            "Nack" => Msg::Nack { ballot: any_ballot("ballot")?, promised: any_ballot("promised")? },
            "Heartbeat" => Msg::Heartbeat { ballot: sender_ballot("ballot")?, chosen_through: number(&field("chosenThrough"), "message.chosenThrough", 0)? },
            "CatchUp" => Msg::CatchUp { next: number(&field("next"), "message.next", 1)? },
            _ => Msg::Forward { value: value()? },
        })
    }

    fn message(out: &mut String, ids: &Ids, m: &Msg) {
        let _ = write!(out, "{{\"type\":\"{}\"", m.kind());
        match m {
            Msg::Prepare { ballot } => {
                out.push_str(",\"ballot\":");
                ballot_json(out, ids, *ballot);
            }
            Msg::Promise { ballot, accepted } => {
                out.push_str(",\"ballot\":");
                ballot_json(out, ids, *ballot);
                out.push_str(",\"accepted\":");
                entries_json(out, ids, accepted.iter().map(|e| (e.slot, e.ballot, e.value.as_str())));
            }
            Msg::Accept { ballot, slot, value } | Msg::Accepted { ballot, slot, value } | Msg::Commit { ballot, slot, value } => {
                out.push_str(",\"ballot\":");
                ballot_json(out, ids, *ballot);
                let _ = write!(out, ",\"slot\":{slot},\"value\":{value}");
            }
            Msg::Nack { ballot, promised } => {
                out.push_str(",\"ballot\":");
                ballot_json(out, ids, *ballot);
                out.push_str(",\"promised\":");
                ballot_json(out, ids, *promised);
            }
            Msg::Heartbeat { ballot, chosen_through } => {
                out.push_str(",\"ballot\":");
                ballot_json(out, ids, *ballot);
                let _ = write!(out, ",\"chosenThrough\":{chosen_through}");
            }
            Msg::CatchUp { next } => {
                let _ = write!(out, ",\"next\":{next}");
            }
            Msg::Forward { value } => {
                let _ = write!(out, ",\"value\":{value}");
            }
        }
        out.push('}');
    }
}

impl Mechanism for PaxosMechanism {
    fn propose(&mut self, _ids: &Ids, command: String) -> JsResult<()> {
        self.s.propose(command).map(|_| ()).map_err(|e| JsError::new(&e.to_string()))
    }

    fn handle(&mut self, ids: &Ids, from: NodeId, message: &JsValue) -> JsResult<()> {
        let msg = self.parse(ids, from, message)?;
        self.s.on_msg(from, msg).map_err(|e| JsError::new(&e.to_string()))
    }

    fn tick(&mut self, now: Micros) -> JsResult<()> {
        self.s.tick(now).map(|_| ()).map_err(|e| JsError::new(&e.to_string()))
    }

    fn outbox(&mut self, ids: &Ids, out: &mut String) {
        outbox_json(out, ids, &self.s.take_outbox(), Self::message);
    }

    fn decisions(&self, _ids: &Ids, out: &mut String) {
        json_array(out, self.s.decisions(), |out, d| {
            let _ = write!(out, "{{\"index\":{},\"value\":{}}}", d.slot, d.value);
        });
    }

    fn view(&self, ids: &Ids, out: &mut String) {
        let r = &self.s.node().core;
        let _ = write!(out, "{{\"id\":{},\"mechanism\":\"paxos\",\"state\":\"{}\",\"ballot\":", ids.quoted_id(ids.me), r.role().as_str());
        ballot_json(out, ids, r.ballot());
        out.push_str(",\"promised\":");
        ballot_json(out, ids, r.promised());
        out.push_str(",\"accepted\":");
        entries_json(out, ids, r.accepted().iter().map(|(s, (b, v))| (*s, *b, v.as_str())));
        out.push_str(",\"chosen\":[");
        for (k, (slot, value)) in r.chosen().iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"slot\":{slot},\"value\":{value}}}");
        }
        let leader = r.leader().map_or_else(|| "null".to_string(), |l| ids.quoted_id(l));
        let _ = write!(out, "],\"executed\":{},\"leaderId\":{leader},\"promises\":[", r.executed());
        let promises = if r.role() == crate::paxos::Role::Candidate { r.promises() } else { &[] };
        for (k, p) in promises.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&ids.quoted_id(*p));
        }
        let _ = write!(out, "],\"queued\":{},\"nowMs\":", r.queued().count());
        ms(out, self.s.now());
        out.push_str(",\"timers\":[");
        for (k, (t, at)) in self.s.timers().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"kind\":\"{}\",\"atMs\":", timer_name(t));
            ms(out, at);
            out.push('}');
        }
        out.push_str("]}");
    }
}
