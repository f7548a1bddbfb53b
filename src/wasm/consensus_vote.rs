//! `createConsensus('vote', …)`: one voter of majority voting ([`crate::vote`]), driven by hand
//! behind the `ConsensusNode` interface of [`super::consensus`] (issue #11 §3).
//!
//! ```js
//! const v = createConsensus('vote', 'v1', ['v1', 'v2', 'v3'],
//!   { quorum: 0.51, weights: { v1: 2 }, policy: 'approve', exclusive: true, timeout: 5000, seed: 1 });
//! v.propose('x', 1);            // → outbox: a Proposal to each peer
//! v.handleMessage('v2', vote);  // → outbox: a Decided to each peer once it settles
//! v.vote('v2:1', true);         // a 'manual' voter decides → outbox
//! v.result('v1:1');             // {proposalId, status, accepted, key, value, votes: {for, against, total}, quorumRequired, error}
//! v.proposals;                  // [{proposalId, key, value, status}], newest last
//! v.decisions;                  // [{index, value: {key, value, proposalId}}]: accepted proposals, in the order this node learned them
//! ```
//!
//! Messages (`type` and fields; ids are the caller's, values any JSON value):
//! `{type: 'Proposal', proposalId, key, value}`, `{type: 'Vote', proposalId, approve}`,
//! `{type: 'Decided', proposalId, accepted, key, value}`. A proposal id is `"v1:3"`: its
//! proposer's id, a colon, the proposer's counter from 1. A `Proposal` or `Decided` must come
//! from the proposer its id names; a `Vote` names its voter by the sender (`from`).
//!
//! Malformed input throws an `Error` naming the parameter and the rule and leaves the node
//! unchanged; a well-typed message that makes no sense (a vote on a proposal this node did not
//! make or that has settled, a second vote from one voter, an outcome it knew) is ignored, as
//! the protocol says.

use std::fmt::Write;

use wasm_bindgen::prelude::*;

use super::consensus::{ms, node_seed, only_fields, outbox_json, quote, Ids, Mechanism};
use super::json_array;
use super::{boolean, command_text, get, got, invalid, object, only_keys, string, uint, JsResult};
use crate::node::Standalone;
use crate::protocol::{Micros, NodeId};
use crate::vote::node::{Options, Policy, ProposalId};
use crate::vote::sim::{Msg, Vote, VoteResult};

const OPTION_KEYS: [&str; 6] = ["seed", "quorum", "weights", "policy", "exclusive", "timeout"];

/// The voting options and the seed. Defaults: seed 1, and [`super::vote_options`]'s.
fn vote_options(ids: &Ids, options: &JsValue) -> JsResult<(Options, u64)> {
    let mut seed = 1;
    if options.is_undefined() || options.is_null() {
        return Ok((Options::default(), seed));
    }
    object(options, "options")?;
    only_keys(options, &OPTION_KEYS)?;
    let v = get(options, "seed");
    if !v.is_undefined() {
        seed = uint(&v, "seed")?;
    }
    Ok((super::vote_options(&ids.ids, options)?, seed))
}

/// One voter behind `ConsensusNode`.
pub(crate) struct VoteMechanism {
    s: Standalone<Vote>,
}

impl VoteMechanism {
    /// A voter named `ids.me()` with the caller's `options` (see [`vote_options`]).
    pub(crate) fn new(ids: &Ids, options: &JsValue) -> JsResult<Self> {
        let (options, seed) = vote_options(ids, options)?;
        let s = Standalone::new(Vote { options }, ids.me, ids.ids.len(), node_seed(seed, ids.me())).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(VoteMechanism { s })
    }

    /// A proposal id from JS: a string naming a member and a counter.
    fn proposal_id(ids: &Ids, v: &JsValue, param: &str) -> JsResult<ProposalId> {
        let text = v.as_string().ok_or_else(|| got(param, "must be a proposal id string such as \"v1:3\"", v))?;
        ProposalId::parse(param, &text, &ids.ids).map_err(|e| JsError::new(&e.to_string()))
    }

    /// `message` from `from`, checked field by field.
    fn parse(ids: &Ids, from: NodeId, m: &JsValue) -> JsResult<Msg> {
        object(m, "message")?;
        let t = get(m, "type");
        let kind = t.as_string().unwrap_or_default();
        let allowed: &[&str] = match kind.as_str() {
            "Proposal" => &["type", "proposalId", "key", "value"],
            "Vote" => &["type", "proposalId", "approve"],
            "Decided" => &["type", "proposalId", "accepted", "key", "value"],
            _ => return Err(got("message.type", "must be one of Proposal, Vote, Decided", &t)),
        };
        only_fields(m, "message", &kind, allowed)?;
        let id = Self::proposal_id(ids, &get(m, "proposalId"), "message.proposalId")?;
        if kind != "Vote" && id.proposer != from {
            return Err(got(
                "message.proposalId",
                &format!("must name the sender \"{}\" (the from argument) as its proposer", ids.ids[from]),
                &get(m, "proposalId"),
            ));
        }
        let key = || string(&get(m, "key"), "message.key");
        let value = || command_text(&get(m, "value"), "message.value");
        Ok(match kind.as_str() {
            "Proposal" => Msg::Proposal { id, key: key()?, value: value()? },
            "Vote" => Msg::Vote { id, approve: boolean(&get(m, "approve"), "message.approve")? },
            _ => {
                let accepted = boolean(&get(m, "accepted"), "message.accepted")?;
                Msg::Decided { id, accepted, key: key()?, value: value()? }
            }
        })
    }

    fn message(out: &mut String, ids: &Ids, m: &Msg) {
        let _ = write!(out, "{{\"type\":\"{}\",\"proposalId\":{}", m.kind(), quote(&m.id().text(&ids.ids)));
        match m {
            Msg::Proposal { key, value, .. } => {
                let _ = write!(out, ",\"key\":{},\"value\":{value}", quote(key));
            }
            Msg::Vote { approve, .. } => {
                let _ = write!(out, ",\"approve\":{approve}");
            }
            Msg::Decided { accepted, key, value, .. } => {
                let _ = write!(out, ",\"accepted\":{accepted},\"key\":{},\"value\":{value}", quote(key));
            }
        }
        out.push('}');
    }
}

fn result_json(out: &mut String, r: &VoteResult, value: &str) {
    let _ = write!(
        out,
        "{{\"proposalId\":{},\"status\":\"{}\",\"accepted\":{},\"key\":{},\"value\":{value},\"votes\":{{\"for\":{},\"against\":{},\"total\":{}}},\"quorumRequired\":{},\"error\":{}}}",
        quote(&r.proposal_id),
        r.status,
        r.accepted,
        quote(&r.key),
        r.votes.for_,
        r.votes.against,
        r.votes.total,
        r.quorum_required,
        r.error.as_deref().map_or_else(|| "null".to_string(), quote)
    );
}

impl Mechanism for VoteMechanism {
    fn propose(&mut self, _ids: &Ids, _command: String) -> JsResult<()> {
        Err(invalid("value", "must be given: a vote node proposes with propose(key, value)"))
    }

    fn handle(&mut self, ids: &Ids, from: NodeId, message: &JsValue) -> JsResult<()> {
        let msg = Self::parse(ids, from, message)?;
        self.s.on_msg(from, msg).map_err(|e| JsError::new(&e.to_string()))
    }

    fn tick(&mut self, now: Micros) -> JsResult<()> {
        self.s.tick(now).map(|_| ()).map_err(|e| JsError::new(&e.to_string()))
    }

    fn outbox(&mut self, ids: &Ids, out: &mut String) {
        outbox_json(out, ids, &self.s.take_outbox(), Self::message);
    }

    fn decisions(&self, ids: &Ids, out: &mut String) {
        json_array(out, self.s.decisions().iter().enumerate(), |out, (k, d)| {
            let _ = write!(
                out,
                "{{\"index\":{},\"value\":{{\"key\":{},\"value\":{},\"proposalId\":{}}}}}",
                k + 1,
                quote(&d.key),
                d.value,
                quote(&d.id.text(&ids.ids))
            );
        });
    }

    fn view(&self, ids: &Ids, out: &mut String) {
        let o = &self.s.protocol().options;
        let c = &self.s.node().core;
        let n = ids.ids.len();
        let policy = o.policy_of(ids.me);
        let _ = write!(
            out,
            "{{\"id\":{},\"mechanism\":\"vote\",\"state\":\"{}\",\"weight\":{},\"policy\":",
            ids.quoted[ids.me],
            if c.has_open() { "proposer" } else { "voter" },
            o.weight(ids.me)
        );
        match policy {
            Policy::Random(p) => {
                // p as given (JS formats it): no float formatting in the wasm.
                let p = js_sys::Number::from(p).to_string_with_radix(10).map(String::from).unwrap_or_default();
                let _ = write!(out, "{{\"random\":{p}}}");
            }
            p => {
                let _ = write!(out, "\"{}\"", p.name());
            }
        }
        let _ = write!(out, ",\"exclusive\":{},\"timeoutMs\":", o.exclusive);
        ms(out, o.timeout_us);
        out.push_str(",\"values\":{");
        for (k, (key, value)) in c.values.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let _ = write!(out, "{}:{value}", quote(key));
        }
        out.push_str("},\"proposals\":");
        self.proposals(ids, out);
        out.push_str(",\"waiting\":[");
        let mut first = true;
        for (id, b) in c.ballots.iter() {
            if b.vote.is_none() && b.outcome.is_none() {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&quote(&id.text(&ids.ids)));
            }
        }
        let _ = write!(out, "],\"quorumRequired\":{},\"quorumsIntersect\":{},\"totalWeight\":{},\"members\":[", o.quorum_required(n), o.quorums_intersect(n), o.total(n));
        for k in 0..n {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&ids.quoted_id(k));
        }
        out.push_str("],\"nowMs\":");
        ms(out, self.s.now());
        out.push_str(",\"timers\":[");
        for (k, (_, at)) in self.s.timers().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str("{\"kind\":\"deadline\",\"atMs\":");
            ms(out, at);
            out.push('}');
        }
        out.push_str("]}");
    }

    fn votes(&self) -> bool {
        true
    }

    fn propose_kv(&mut self, _ids: &Ids, key: String, value: String) -> JsResult<()> {
        self.s.act(|p, n, cx, out| p.propose_kv(n, cx, key, value, out));
        Ok(())
    }

    fn vote(&mut self, ids: &Ids, proposal_id: &JsValue, approve: &JsValue) -> JsResult<()> {
        let id = Self::proposal_id(ids, proposal_id, "proposalId")?;
        let approve = boolean(approve, "approve")?;
        self.s.act(|p, n, cx, out| p.manual_vote(n, cx, id, approve, out));
        Ok(())
    }

    fn proposals(&self, ids: &Ids, out: &mut String) {
        json_array(out, &self.s.node().core.proposals, |out, p| {
            let _ = write!(
                out,
                "{{\"proposalId\":{},\"key\":{},\"value\":{},\"status\":\"{}\"}}",
                quote(&p.id.text(&ids.ids)),
                quote(&p.key),
                p.value,
                p.status.as_str()
            );
        });
    }

    fn result(&self, ids: &Ids, proposal_id: &JsValue, out: &mut String) -> JsResult<()> {
        let id = Self::proposal_id(ids, proposal_id, "proposalId")?;
        match self.s.node().core.proposal(id) {
            Some(p) => result_json(out, &VoteResult::of(p, &ids.ids), &p.value),
            None => out.push_str("null"),
        }
        Ok(())
    }
}
