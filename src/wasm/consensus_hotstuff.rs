//! `createConsensus('hotstuff', id, replicas, options?)`: one Chained HotStuff replica (Yin,
//! Malkhi, Reiter, Gueta, Abraham, "HotStuff: BFT Consensus with Linearity and
//! Responsiveness", PODC 2019: §5 Algorithm 3, with the pacemaker of §4.4 and Algorithm 5;
//! [`crate::hotstuff`]) behind the `ConsensusNode` interface of [`super::consensus`], driven by
//! hand over any transport; and `hotstuffBlockId(block, replicas)`.
//!
//! ```js
//! const ids = ['n1', 'n2', 'n3', 'n4'];          // f = 1; the leader of view v is ids[v % 4]
//! const n2 = createConsensus('hotstuff', 'n2', ids, { seed: 1, viewTimeoutMs: 150 });
//! n2.tick(0);                     // → outbox: n2 leads view 1 and proposed at creation: Proposal
//!                                 //   to n1, n3, n4, then its own Vote to n3 (view 2's leader)
//! n1.propose({ put: 'x' });       // → outbox: Request to n2, n3, n4 (whoever leads next batches it)
//! n1.handleMessage('n2', message); // → outbox (a Vote to the next view's leader, …)
//! n1.decisions;                   // [{index, value, height, block}]: one per executed command
//! ```
//!
//! Replicas: N of them tolerate f = ⌊(N − 1)/3⌋ traitors; a QC needs ⌈(N + f + 1)/2⌉ voters (2f +
//! 1 when N = 3f + 1). The leader of view v is `replicas[v mod N]` (§4.4, leaders rotate);
//! replicas start in view 1, so `replicas[1]` proposes at once, at creation (its first call's
//! outbox carries the Proposal; it votes for its own block as a replica and moves to view 2).
//! Every view's leader proposes as soon as it holds the previous
//! view's QC, with or without commands: the chain moves on with empty blocks as fast as the
//! transport carries the messages (a caller that wants a slower chain delays them).
//!
//! Every replica must be given the same `replicas` array, in the same order: it fixes the
//! leaders and, through the proposers' and voters' places in it, the block ids.
//!
//! Trust: `from` is believed (the transport authenticates the channel). A QC's voter list stands
//! for the paper's threshold signature (§3, §4.1: a QC combines the votes of a quorum into one
//! signature); nothing here signs, so a replica cannot tell whether the replicas a QC names
//! really voted: a traitor that names 2f + 1 real replicas is believed. A deployment facing
//! traitors must sign votes and check QCs in its transport. Everything else a traitor can build
//! (a wrong id, a block from a replica that does not lead its view, an invalid QC, a vote for an
//! unknown block, a huge view) gets the protocol's answer.
//!
//! Options (every key optional; others are refused): `seed` (a non-negative integer, default
//! 1; mixed with `id`), `viewTimeoutMs` (the pacemaker's base view timeout, §4.4: a replica
//! that sees no progress in its view for this long moves to the next and sends a NewView;
//! doubled on each successive timeout, at most 16 times the base, back to the base on progress;
//! above 0 and at most 3600000, default 150).
//!
//! Ids at this boundary: replica ids are the caller's strings. Block ids are 64-bit digests of a
//! block's contents ([`crate::hotstuff::node::block_id`], FNV-1a; no cryptography) and cross as
//! **decimal strings** (`"0"` is the genesis block; at most `"18446744073709551615"`, no leading
//! zeros), so that no bit is lost; `hotstuffBlockId(block, replicas)` computes one. Views and
//! heights are integers from 0 to 2⁵³ − 1.
//!
//! Messages (§5 Algorithm 3 and §4.4; `from` is believed, never a field):
//! - `{type: 'Proposal', block}`: the leader of `block.view` proposes `block`, to every replica;
//! - `{type: 'Vote', view, block}`: a vote for block `block` (an id) in `view`, to the leader of
//!   `view + 1`, who forms the QC (and again, when that view fails, to the leader of the view the
//!   voter enters next, who may form it instead);
//! - `{type: 'NewView', view, genericQc}`: a replica that moved to `view` after a timeout sends
//!   its highest QC (`genericQC`) to every replica;
//! - `{type: 'Request', command}`: a command (any JSON value) from the replica that took it, to
//!   every other one (whoever leads next proposes it);
//! - `{type: 'Fetch', block}`: the sender lacks block `block` (an id);
//! - `{type: 'Blocks', blocks: [block]}`: the answer, the block and its ancestors, newest first.
//!
//! A block is `{id, view, height, proposer, parent, justify, commands}` (`proposer` a replica's
//! id, `parent` a block id, `justify` the QC it extends, `commands` JSON values, stored and hashed
//! as their `JSON.stringify` text); a QC is `{view, block, voters: [id]}` (the genesis QC:
//! `{view: 0, block: '0', voters: []}`). A QC's voters are written in the order of `replicas`;
//! voters that are not replicas, repeated or out of that order make the QC invalid, which the
//! replica answers as the protocol does (it ignores the QC), not with an Error. A `proposer` that
//! is not a replica throws.
//!
//! A message the replica would send with a view or height above 2⁵³ − 1 (possible only after a
//! traitor leader pushed views to the limit) is dropped from the outbox: it would not cross
//! exactly.
//!
//! `propose(value)` makes each call a distinct command, `{proposer, n, value}` (`proposer` this
//! replica's id, `n` its count of proposals from 1): a replica executes a command once, and
//! ignores one that arrives again after it committed (a late `Request`), so that a value
//! proposed twice is executed twice, and a command never is.
//!
//! `decisions`: `[{index, value, proposer, height, block}]`, one entry per command of every
//! executed block, in execution order: `index` counts executed commands from 1, `value` the
//! value proposed (a command that is not `{proposer, n, value}`, say a traitor's, is its own
//! value, with `proposer` null), `height` and `block` the block that carried it (a block with no
//! command adds no entry).
//!
//! `view`: `{id, mechanism: 'hotstuff', state ('leader' | 'replica': whether it leads its
//! current view), view, leaderId, isLeader, votedView (the last view voted in, 0: none),
//! proposedView (the last view it proposed in, 0: never), lockedQc, genericQc (the highest QC
//! known), executedHeight, executedBlock, blocks (how many it holds, genesis included),
//! timeouts (successive view timeouts), viewTimeoutMs (the current view's timeout), pool (the
//! commands waiting to be proposed), nowMs, timers: [{kind: 'view', atMs}]}`. Numbers above 2⁵³
//! − 1 show as 2⁵³ − 1.

use std::fmt::Write;

use wasm_bindgen::prelude::*;

use super::consensus::{duration, ms, node_seed, only_fields, outbox_json, Ids, Mechanism};
use super::{array, command_text, get, got, invalid, json_array, object, only_keys, string, uint, JsResult, MAX_SAFE};
use crate::hotstuff::node::block_id;
use crate::hotstuff::{Block, BlockId, HotStuff, Msg, Options, Qc, Timer};
use crate::node::Standalone;
use crate::protocol::{Micros, NodeId};

const OPTION_KEYS: [&str; 2] = ["seed", "viewTimeoutMs"];

const TYPES: &str = "Proposal, Vote, NewView, Request, Fetch, Blocks";

const MAX: u64 = MAX_SAFE as u64;

/// What a voter that is not a replica is inside: an id no replica has, so the core finds the QC
/// invalid (it checks every voter is below the number of replicas).
const NOT_A_REPLICA: NodeId = NodeId::MAX;

/// The fields of each message type, in the order the outbox writes them.
fn fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Proposal" => &["type", "block"],
        "Vote" => &["type", "view", "block"],
        "NewView" => &["type", "view", "genericQc"],
        "Request" => &["type", "command"],
        "Fetch" => &["type", "block"],
        "Blocks" => &["type", "blocks"],
        _ => return None,
    })
}

const BLOCK_FIELDS: [&str; 7] = ["id", "view", "height", "proposer", "parent", "justify", "commands"];

/// HotStuff's options and the seed (defaults: seed 1, [`Options::default`]).
fn hotstuff_options(options: &JsValue) -> JsResult<(Options, u64)> {
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
    if let Some(v) = opt("viewTimeoutMs") {
        o.view_timeout_us = duration(&v, "viewTimeoutMs", true)?;
    }
    o.validate().map_err(|e| JsError::new(&e.to_string()))?;
    Ok((o, seed))
}

/// A HotStuff replica for `createConsensus`.
pub(super) fn create(ids: &Ids, options: &JsValue) -> JsResult<Box<dyn Mechanism>> {
    let (options, seed) = hotstuff_options(options)?;
    let s = Standalone::new(HotStuff { options }, ids.me, ids.ids.len(), node_seed(seed, ids.me())).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(Box::new(HotStuffMechanism { s, proposed: 0 }))
}

struct HotStuffMechanism {
    s: Standalone<HotStuff>,
    /// Proposals made here so far (`n` of the next is one more).
    proposed: u64,
}

// ---- in ---------------------------------------------------------------------------------------

/// An integer from 0 to 2⁵³ − 1.
fn number(v: &JsValue, param: &str) -> JsResult<u64> {
    uint(v, param).map_err(|_| got(param, "must be an integer from 0 to 9007199254740991", v))
}

/// A block id: a decimal string of a 64-bit integer, no leading zeros.
fn block_ref(v: &JsValue, param: &str) -> JsResult<BlockId> {
    const RULE: &str = "must be a block id: a decimal string of an integer from 0 to 18446744073709551615, no leading zeros";
    let s = v.as_string().ok_or_else(|| got(param, RULE, v))?;
    let canonical = !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    s.parse::<u64>().ok().filter(|_| canonical).ok_or_else(|| got(param, RULE, v))
}

/// A replica's id → its index (`names[k]` is replica k).
fn replica(names: &[String], v: &JsValue, param: &str) -> JsResult<NodeId> {
    let s = string(v, param)?;
    names.iter().position(|p| *p == s).ok_or_else(|| got(param, &format!("must be a replica's id, one of {}", names.join(", ")), v))
}

/// `{view, block, voters: [id]}`. A voter that is not a replica is kept as [`NOT_A_REPLICA`]:
/// the QC is then invalid, for the protocol to ignore.
fn qc_in(names: &[String], v: &JsValue, param: &str) -> JsResult<Qc> {
    object(v, param)?;
    only_fields(v, param, "a QC", &["view", "block", "voters"])?;
    let view = number(&get(v, "view"), &format!("{param}.view"))?;
    let block = block_ref(&get(v, "block"), &format!("{param}.block"))?;
    let list = array(&get(v, "voters"), &format!("{param}.voters"))?;
    let mut voters = Vec::with_capacity(list.length() as usize);
    for (k, e) in list.iter().enumerate() {
        let s = string(&e, &format!("{param}.voters[{k}]"))?;
        voters.push(names.iter().position(|p| *p == s).unwrap_or(NOT_A_REPLICA));
    }
    Ok(Qc { view, block, voters })
}

/// A block `{id, view, height, proposer, parent, justify, commands}`; `id` is required when
/// `with_id` (a message), and may be left out otherwise (`hotstuffBlockId`: ignored).
fn block_in(names: &[String], v: &JsValue, param: &str, with_id: bool) -> JsResult<Block> {
    if object(v, param).is_err() {
        return Err(got(param, "must be a block {id, view, height, proposer, parent, justify, commands}", v));
    }
    only_fields(v, param, "a block", &BLOCK_FIELDS)?;
    let f = |k: &str| get(v, k);
    let p = |k: &str| format!("{param}.{k}");
    let id = if with_id || !f("id").is_undefined() { block_ref(&f("id"), &p("id"))? } else { 0 };
    let view = number(&f("view"), &p("view"))?;
    let height = number(&f("height"), &p("height"))?;
    let proposer = replica(names, &f("proposer"), &p("proposer"))?;
    let parent = block_ref(&f("parent"), &p("parent"))?;
    let justify = qc_in(names, &f("justify"), &p("justify"))?;
    let list = array(&f("commands"), &p("commands"))?;
    let mut commands = Vec::with_capacity(list.length() as usize);
    for (k, c) in list.iter().enumerate() {
        commands.push(command_text(&c, &format!("{param}.commands[{k}]"))?);
    }
    Ok(Block { id, view, height, proposer, parent, justify, commands })
}

// ---- out --------------------------------------------------------------------------------------

fn qc_json(out: &mut String, ids: &Ids, qc: &Qc) {
    let _ = write!(out, "{{\"view\":{},\"block\":\"{}\",\"voters\":", qc.view.min(MAX), qc.block);
    json_array(out, &qc.voters, |out, v| out.push_str(&ids.quoted_id(*v)));
    out.push('}');
}

fn block_json(out: &mut String, ids: &Ids, b: &Block) {
    let _ = write!(
        out,
        "{{\"id\":\"{}\",\"view\":{},\"height\":{},\"proposer\":{},\"parent\":\"{}\",\"justify\":",
        b.id,
        b.view.min(MAX),
        b.height.min(MAX),
        ids.quoted_id(b.proposer),
        b.parent
    );
    qc_json(out, ids, &b.justify);
    out.push_str(",\"commands\":");
    json_array(out, &b.commands, |out, c| out.push_str(c));
    out.push('}');
}

/// Whether every number in `m` crosses into JS exactly and every id names a replica.
fn fits(m: &Msg, nodes: usize) -> bool {
    let qc = |q: &Qc| q.view <= MAX && q.voters.iter().all(|v| *v < nodes);
    let block = |b: &Block| b.view <= MAX && b.height <= MAX && b.proposer < nodes && qc(&b.justify);
    match m {
        Msg::Proposal { block: b } => block(b),
        Msg::Vote { view, .. } => *view <= MAX,
        Msg::NewView { view, generic_qc } => *view <= MAX && qc(generic_qc),
        Msg::Request { .. } | Msg::Fetch { .. } => true,
        Msg::Blocks { blocks } => blocks.iter().all(block),
    }
}

impl HotStuffMechanism {
    /// `message`, checked field by field.
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
        let id = |k: &str| block_ref(&field(k), &format!("message.{k}"));
        Ok(match kind.as_str() {
            "Proposal" => Msg::Proposal { block: block_in(names, &field("block"), "message.block", true)? },
            "Vote" => Msg::Vote { view: n("view")?, block: id("block")? },
            "NewView" => Msg::NewView { view: n("view")?, generic_qc: qc_in(names, &field("genericQc"), "message.genericQc")? },
            "Request" => Msg::Request { command: command_text(&field("command"), "message.command")? },
            "Fetch" => Msg::Fetch { block: id("block")? },
            _ => {
                let list = array(&field("blocks"), "message.blocks")?;
                let mut blocks = Vec::with_capacity(list.length() as usize);
                for (k, b) in list.iter().enumerate() {
                    blocks.push(block_in(names, &b, &format!("message.blocks[{k}]"), true)?);
                }
                Msg::Blocks { blocks }
            }
        })
    }

    fn message(out: &mut String, ids: &Ids, m: &Msg) {
        let _ = write!(out, "{{\"type\":\"{}\"", m.kind());
        match m {
            Msg::Proposal { block } => {
                out.push_str(",\"block\":");
                block_json(out, ids, block);
            }
            Msg::Vote { view, block } => {
                let _ = write!(out, ",\"view\":{view},\"block\":\"{block}\"");
            }
            Msg::NewView { view, generic_qc } => {
                let _ = write!(out, ",\"view\":{view},\"genericQc\":");
                qc_json(out, ids, generic_qc);
            }
            Msg::Request { command } => {
                let _ = write!(out, ",\"command\":{command}");
            }
            Msg::Fetch { block } => {
                let _ = write!(out, ",\"block\":\"{block}\"");
            }
            Msg::Blocks { blocks } => {
                out.push_str(",\"blocks\":");
                json_array(out, blocks, |out, b| block_json(out, ids, b));
            }
        }
        out.push('}');
    }
}

/// A command as `propose` wrapped it, `{proposer, n, value}`: the value's and the proposer's
/// JSON text; any other command is its own value, with no proposer (`null`).
fn proposal_of(command: &str) -> (String, String) {
    let plain = || (command.to_string(), "null".to_string());
    let Ok(v) = js_sys::JSON::parse(command) else { return plain() };
    let keys = if v.is_object() && !js_sys::Array::is_array(&v) { js_sys::Object::keys(&js_sys::Object::from(v.clone())) } else { return plain() };
    let names: Vec<String> = keys.iter().filter_map(|k| k.as_string()).collect();
    if names != ["proposer", "n", "value"] {
        return plain();
    }
    let text = |x: JsValue| js_sys::JSON::stringify(&x).ok().and_then(|s| s.as_string());
    match (text(get(&v, "value")), text(get(&v, "proposer"))) {
        (Some(value), Some(proposer)) => (value, proposer),
        _ => plain(),
    }
}

fn timer_name(t: Timer) -> &'static str {
    match t {
        Timer::View => "view",
    }
}

impl Mechanism for HotStuffMechanism {
    fn propose(&mut self, ids: &Ids, value: String) -> JsResult<()> {
        let n = self.proposed + 1;
        let command = format!("{{\"proposer\":{},\"n\":{n},\"value\":{value}}}", ids.quoted_id(ids.me));
        self.s.propose(command).map_err(|e| JsError::new(&e.to_string()))?;
        self.proposed = n;
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
        let nodes = ids.ids.len();
        sent.retain(|(_, m)| fits(m, nodes));
        outbox_json(out, ids, &sent, Self::message);
    }

    fn decisions(&self, _ids: &Ids, out: &mut String) {
        let commands = self.s.decisions().iter().flat_map(|d| d.commands.iter().map(move |c| (d, c)));
        json_array(out, commands.enumerate(), |out, (k, (d, c))| {
            let (value, proposer) = proposal_of(c);
            let _ = write!(out, "{{\"index\":{},\"value\":{value},\"proposer\":{proposer},\"height\":{},\"block\":\"{}\"}}", k + 1, d.height.min(MAX), d.block);
        });
    }

    fn view(&self, ids: &Ids, out: &mut String) {
        let r = &self.s.node().core;
        let o = &self.s.protocol().options;
        let state = if r.leads() { "leader" } else { "replica" };
        let _ = write!(
            out,
            "{{\"id\":{},\"mechanism\":\"hotstuff\",\"state\":\"{state}\",\"view\":{},\"leaderId\":{},\"isLeader\":{},\"votedView\":{},\"proposedView\":{},\"lockedQc\":",
            ids.quoted_id(ids.me),
            r.view().min(MAX),
            ids.quoted_id(r.leader()),
            r.leads(),
            r.voted_view().min(MAX),
            r.proposed_view().min(MAX),
        );
        qc_json(out, ids, r.locked_qc());
        out.push_str(",\"genericQc\":");
        qc_json(out, ids, r.generic_qc());
        let (exec, height) = r.executed();
        let _ = write!(out, ",\"executedHeight\":{},\"executedBlock\":\"{exec}\",\"blocks\":{},\"timeouts\":{},\"viewTimeoutMs\":", height.min(MAX), r.blocks().len(), r.timeouts());
        ms(out, r.view_timeout_us(o));
        out.push_str(",\"pool\":");
        json_array(out, r.pool(), |out, c| out.push_str(c));
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

/// `hotstuffBlockId(block, replicas)`: the id (a decimal string) of a block `{view, height,
/// proposer, parent, justify: {view, block, voters}, commands}` (an `id` field, if present, is
/// checked for form and ignored), as a replica computes it: the digest of its contents, with
/// `proposer` and the voters as their places in `replicas` (the array given to
/// `createConsensus`) and each command as its `JSON.stringify` text. A voter that is not a
/// replica is allowed (such a QC is invalid, but its block still has an id). Throws an `Error`
/// naming the parameter and the rule for a malformed block or replica list.
#[wasm_bindgen(js_name = hotstuffBlockId)]
pub fn hotstuff_block_id(block: JsValue, replicas: JsValue) -> JsResult<String> {
    let list = array(&replicas, "replicas")?;
    let mut names = Vec::with_capacity(list.length() as usize);
    for (k, p) in list.iter().enumerate() {
        let p = string(&p, &format!("replicas[{k}]"))?;
        if names.contains(&p) {
            return Err(invalid(&format!("replicas[{k}]"), format!("must not repeat an id (\"{p}\" is listed twice)")));
        }
        names.push(p);
    }
    let b = block_in(&names, &block, "block", false)?;
    Ok(block_id(&b).to_string())
}
