//! Small serializable views of a simulated voting cluster, for the JS boundary and the CLI.
//! Times are ms (f64) here; the simulation keeps µs. Names are camelCase, like Raft's views.

use serde::Serialize;

use crate::collections::Map;
use crate::sim::{Message, Simulation};

use super::node::{Msg, Weight};
use super::sim::{Vote, Votes};

/// A voter as the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeView<'a> {
    /// `n1` …
    pub id: &'a str,
    /// `voter`, or `proposer` while it has an open proposal.
    pub state: &'static str,
    /// Its voting weight.
    pub weight: Weight,
    /// `approve`, `reject`, `random` or `manual`.
    pub policy: &'static str,
    /// For `random`: the probability of approving.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approve_probability: Option<f64>,
    /// Whether the node is crashed.
    pub crashed: bool,
    /// Whether the node is paused.
    pub paused: bool,
    /// Decided key → value (accepted proposals it has applied).
    pub values: &'a Map<String, String>,
    /// Its own proposals, oldest first.
    pub proposals: Vec<ProposalView<'a>>,
    /// Proposals it was asked about and has not voted on yet (a manual voter), `"n1:3"`.
    pub waiting: Vec<String>,
    /// The weight a proposal needs.
    pub quorum_required: Weight,
    /// Whether any two quorums share a voter (false: two conflicting proposals can both pass).
    pub quorums_intersect: bool,
}

/// One of a node's own proposals.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposalView<'a> {
    /// `"n1:3"`.
    pub proposal_id: String,
    /// The key.
    pub key: &'a str,
    /// The value.
    pub value: &'a str,
    /// `open`, `accepted`, `rejected` or `timeout`.
    pub status: &'static str,
    /// Weight for, against, and every voter's weight (as in a result).
    pub votes: Votes,
    /// The weight needed.
    pub quorum_required: Weight,
    /// The voters counted, in order: `[id, approve]`.
    pub voters: Vec<(&'a str, bool)>,
    /// When it was proposed, ms.
    pub proposed_at: f64,
    /// When it times out, ms.
    pub deadline: f64,
}

/// A message in flight, with its fields flattened in.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView<'a> {
    /// Unique id (for `dropMessage`).
    pub id: u64,
    /// Sender id.
    pub from: &'a str,
    /// Receiver id.
    pub to: &'a str,
    /// `Proposal`, `Vote` or `Decided`.
    pub kind: &'static str,
    /// Send time, ms.
    pub sent_at: f64,
    /// Delivery time, ms.
    pub deliver_at: f64,
    /// The proposal, `"n1:3"`.
    pub proposal_id: String,
    /// Proposal and Decided: the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'a str>,
    /// Proposal and Decided: the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
    /// Vote: for or against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approve: Option<bool>,
    /// Decided: accepted or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
}

/// Every node's view, in id order.
pub fn node_views(sim: &Simulation<Vote>) -> Vec<NodeView<'_>> {
    let ms = |us: u64| us as f64 / 1000.0;
    let o = sim.options();
    let (required, intersect) = (sim.quorum_required(), sim.quorums_intersect());
    (0..sim.ids().len())
        .map(|i| {
            let c = &sim.node_state(i).core;
            let policy = o.policy_of(i);
            NodeView {
                id: &sim.ids()[i],
                state: if c.has_open() { "proposer" } else { "voter" },
                weight: o.weight(i),
                policy: policy.name(),
                approve_probability: match policy {
                    super::node::Policy::Random(p) => Some(p),
                    _ => None,
                },
                crashed: sim.is_crashed(i),
                paused: sim.is_paused(i),
                values: &c.values,
                proposals: c
                    .proposals
                    .iter()
                    .map(|p| ProposalView {
                        proposal_id: p.id.text(sim.ids()),
                        key: &p.key,
                        value: &p.value,
                        status: p.status.as_str(),
                        votes: Votes { for_: p.weight_for, against: p.weight_against, total: p.total },
                        quorum_required: p.quorum_required,
                        voters: p.counted.iter().map(|(v, a)| (sim.ids()[*v].as_str(), *a)).collect(),
                        proposed_at: ms(p.proposed_at),
                        deadline: ms(p.deadline),
                    })
                    .collect(),
                waiting: c.ballots.iter().filter(|(_, b)| b.vote.is_none() && b.outcome.is_none()).map(|(id, _)| id.text(sim.ids())).collect(),
                quorum_required: required,
                quorums_intersect: intersect,
            }
        })
        .collect()
}

/// A message in flight as the page draws it.
pub fn message_view<'a>(sim: &'a Simulation<Vote>, m: &'a Message<Msg>) -> MessageView<'a> {
    let mut v = MessageView {
        id: m.id,
        from: &sim.ids()[m.from],
        to: &sim.ids()[m.to],
        kind: m.payload.kind(),
        sent_at: m.sent_at as f64 / 1000.0,
        deliver_at: m.deliver_at as f64 / 1000.0,
        proposal_id: m.payload.id().text(sim.ids()),
        key: None,
        value: None,
        approve: None,
        accepted: None,
    };
    match &m.payload {
        Msg::Proposal { key, value, .. } => {
            v.key = Some(key);
            v.value = Some(value);
        }
        Msg::Vote { approve, .. } => v.approve = Some(*approve),
        Msg::Decided { accepted, key, value, .. } => {
            v.accepted = Some(*accepted);
            v.key = Some(key);
            v.value = Some(value);
        }
    }
    v
}
