//! Majority voting in the JS `Simulation` class (`protocol: 'vote'`): its options, views and
//! actions ([`crate::vote`]).
//!
//! Options, beside the shared ones (`seed`, `nodes`, `latencyMs`, `dropRate`, `duplicateRate`,
//! `persistMs`, `bugs`): `quorum` (`'majority'`, the default; `'supermajority'`, `'unanimous'`, a
//! fraction `0 < q < 1`, or a count of 1 or more, all of weight), `weights` (`{n1: 2}`; every
//! voter 1 by default), `policy` (every voter's: `'approve'`, the default, `'reject'`,
//! `'manual'` or `{random: p}`), `policies` (per voter, `{n2: 'reject'}`), `exclusive` (true: a
//! voter approves at most one open proposal per key), `timeoutMs` (5000: how long a proposal
//! stays open).
//!
//! Values are strings in the voters' state: a JSON string is kept as it is, any other JSON
//! value as its JSON text.

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::simulation::{ms, ms_to_us, parse_sim_options, Inner, Mechanism, SimulationJs, SIM_KEYS};
use super::{boolean, command_text, core, get, got, object, string, to_js, uint_in, vote_options, vote_policy, JsResult};
use crate::error::{Error, Result};
use crate::protocol::{node_name, NodeId, Protocol};
use crate::sim::{ClientReply, SimConfig, Simulation};
use crate::vote::node::Options;
use crate::vote::sim::Vote;

const VOTE_KEYS: [&str; 6] = ["quorum", "weights", "policy", "policies", "exclusive", "timeoutMs"];

/// `{n1: x, …}` → `(node index, x)` for each key, which must name a node of `names`.
fn per_node(v: &JsValue, param: &str, names: &[String], mut each: impl FnMut(NodeId, &JsValue, &str) -> JsResult<()>) -> JsResult<()> {
    object(v, param)?;
    for key in js_sys::Object::keys(&js_sys::Object::from(v.clone())).iter() {
        let key = key.as_string().unwrap_or_default();
        let p = format!("{param}.{key}");
        let Some(i) = names.iter().position(|n| *n == key) else {
            return Err(got(&p, &format!("must name a node, n1 to n{}", names.len()), &JsValue::from_str(&key)));
        };
        each(i, &get(v, &key), &p)?;
    }
    Ok(())
}

fn parse(options: &JsValue) -> JsResult<(SimConfig, Options)> {
    let mut sim = SimConfig::default();
    if options.is_undefined() || options.is_null() {
        return Ok((sim, Options::default()));
    }
    let keys: Vec<&str> = SIM_KEYS.iter().chain(VOTE_KEYS.iter()).copied().collect();
    let mut bugs = crate::protocol::BugSet::NONE;
    parse_sim_options(options, &keys, &mut sim, &mut bugs, Vote::BUGS)?;
    let names: Vec<String> = (0..sim.nodes).map(node_name).collect();
    // quorum, weights, policy and exclusive as createConsensus('vote') reads them; the rest
    // are the Simulation's own.
    let mut o = vote_options(&names, options)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("policies") {
        per_node(&v, "policies", &names, |i, p, param| {
            o.policies.push((i, vote_policy(p, param)?));
            Ok(())
        })?;
    }
    if let Some(v) = opt("timeoutMs") {
        o.timeout_us = ms_to_us(&v, "timeoutMs")?.max(1);
    }
    o.bugs = bugs;
    o.validate(names.len()).map_err(core)?;
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
    quorum_required: u64,
    quorums_intersect: bool,
    weights: Vec<u64>,
    exclusive: bool,
    timeout_ms: f64,
}

/// A JS value as a voter's value: a string as it is, anything else as its JSON text.
pub(super) fn value_text(v: &JsValue, param: &str) -> JsResult<String> {
    match v.as_string() {
        Some(s) => Ok(s),
        None => command_text(v, param),
    }
}

impl Mechanism for Vote {
    const NAME: &'static str = "vote";

    fn build(options: &JsValue) -> JsResult<Simulation<Vote>> {
        let (sim, o) = parse(options)?;
        Simulation::<Vote>::new(sim, o).map_err(core)
    }

    fn config(sim: &Simulation<Vote>) -> JsValue {
        let c = sim.sim_config();
        let o = sim.options();
        to_js(&ConfigJs {
            protocol: "vote",
            seed: c.seed as f64,
            nodes: c.nodes,
            latency_ms: [ms(c.latency_us.0), ms(c.latency_us.1)],
            drop_rate: c.drop_rate,
            duplicate_rate: c.duplicate_rate,
            persist_ms: ms(c.persist_us),
            bugs: o.bugs.names(Vote::BUGS),
            quorum_required: sim.quorum_required(),
            quorums_intersect: sim.quorums_intersect(),
            weights: (0..sim.ids().len()).map(|i| o.weight(i)).collect(),
            exclusive: o.exclusive,
            timeout_ms: ms(o.timeout_us),
        })
    }

    /// `[{id, state ('voter' | 'proposer'), weight, policy, approveProbability?, crashed,
    /// paused, values, proposals: [{proposalId, key, value, status, votes: {for, against,
    /// total}, quorumRequired, voters: [[id, approve]], proposedAt, deadline}], waiting,
    /// quorumRequired, quorumsIntersect}]`.
    fn nodes(sim: &Simulation<Vote>) -> JsValue {
        sim.node_views().iter().map(to_js).collect::<Array>().into()
    }

    /// `[{id, from, to, kind ('Proposal' | 'Vote' | 'Decided'), sentAt, deliverAt, proposalId,
    /// key?, value?, approve?, accepted?}]`.
    fn messages(sim: &Simulation<Vote>) -> JsValue {
        sim.message_views().iter().map(to_js).collect::<Array>().into()
    }

    /// A client's command `command` becomes a proposal on key `"x"` at `to` (or `n1`, or the
    /// first node that runs): `{accepted: true, leader: null, index: null}` once it is made.
    fn client_request(sim: &mut Simulation<Vote>, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        let at = match to {
            Some(i) => i,
            None => (0..sim.ids().len()).find(|&i| !sim.is_crashed(i) && !sim.is_paused(i)).ok_or_else(|| Error::invalid("to", "needs a running node (every node is crashed or paused)"))?,
        };
        let value = js_sys::JSON::parse(&command).ok().and_then(|v| v.as_string()).unwrap_or(command);
        sim.propose(at, "x", value)?;
        Ok(ClientReply { accepted: true, leader: None, index: None })
    }
}

impl SimulationJs {
    /// The voting simulation, or an `Error` naming `method` for another mechanism.
    fn voting(&mut self, method: &str) -> JsResult<&mut Simulation<Vote>> {
        let name = self.protocol_name();
        #[allow(unreachable_patterns)]
        match &mut self.inner {
            Inner::Vote(s) => Ok(s),
            _ => Err(JsError::new(&format!("{method} is an action of vote simulations (this one runs {name})"))),
        }
    }
}

/// Voting's actions (`protocol: 'vote'`); other mechanisms' simulations throw.
#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// Voter `id` proposes `key = value` now (`value`: any JSON value; a string is kept as it
    /// is): it broadcasts a Proposal and votes on it itself. Returns the proposal id
    /// (`"n1:3"`). Throws for an unknown, crashed or paused node, or an empty key.
    pub fn propose(&mut self, id: JsValue, key: JsValue, value: JsValue) -> JsResult<String> {
        let i = self.node_param(&id, "id")?;
        let key = string(&key, "key")?;
        let value = value_text(&value, "value")?;
        let s = self.voting("propose")?;
        let p = s.propose(i, key, value).map_err(core)?;
        Ok(p.text(s.ids()))
    }

    /// Voter `id`, a `'manual'` voter asked about proposal `proposalId`, votes now. Returns
    /// whether the vote was taken (false: it was not asked, voted already, or the outcome is
    /// known). Throws for an unknown, crashed or paused node or a malformed proposal id.
    pub fn vote(&mut self, id: JsValue, proposal_id: JsValue, approve: JsValue) -> JsResult<bool> {
        let i = self.node_param(&id, "id")?;
        let approve = boolean(&approve, "approve")?;
        let text = string(&proposal_id, "proposalId")?;
        let s = self.voting("vote")?;
        let p = s.proposal_id("proposalId", &text).map_err(core)?;
        s.vote(i, p, approve).map_err(core)
    }

    /// Every proposal's result, by proposer then counter: `[{proposalId, status, accepted,
    /// key, value, votes: {for, against, total}, quorumRequired, error}]` (weights).
    pub fn results(&mut self) -> JsResult<JsValue> {
        let s = self.voting("results")?;
        Ok(s.results().iter().map(to_js).collect::<Array>().into())
    }

    /// Voter `id` weighs `weight` (an integer from 0 to 1000000) from now on. Throws for an
    /// unknown node, a bad weight, when every weight would be 0, or while a proposal is open
    /// (weights change only between proposals).
    #[wasm_bindgen(js_name = setWeight)]
    pub fn set_weight(&mut self, id: JsValue, weight: JsValue) -> JsResult<()> {
        let i = self.node_param(&id, "id")?;
        let w = uint_in(&weight, "weight", 0..=1_000_000, "must be an integer from 0 to 1000000")?;
        self.voting("setWeight")?.set_weight(i, w).map_err(core)
    }

    /// Voter `id` answers by `policy` from now on: `'approve'`, `'reject'`, `'manual'` or
    /// `{random: p}`.
    #[wasm_bindgen(js_name = setPolicy)]
    pub fn set_policy(&mut self, id: JsValue, policy_: JsValue) -> JsResult<()> {
        let i = self.node_param(&id, "id")?;
        let p = vote_policy(&policy_, "policy")?;
        self.voting("setPolicy")?.set_policy(i, p).map_err(core)
    }
}
