//! Small serializable views of a simulated Paxos cluster, for the JS boundary and the CLI
//! (camelCase). Times are ms (f64) here; the simulation keeps µs. Values are JSON text inside:
//! fields holding them are skipped by serde and the JS layer converts them (as Raft's log).

use serde::Serialize;

use crate::collections::Map;
use crate::sim::{Message, Simulation};

use super::node::{AcceptedEntry, Ballot, Role, Slot};
use super::sim::{Msg, Paxos, Timer};

/// A ballot as the page shows it: `{round, nodeId}` ("Paxos Made Simple" §2.2's proposal
/// number); round 0 with `nodeId` null is "no ballot".
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BallotView<'a> {
    /// The round (0: none).
    pub round: u64,
    /// The proposer's id (null for round 0).
    pub node_id: Option<&'a str>,
}

/// One accepted proposal: `{slot, ballot, value}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedView<'a> {
    /// The slot.
    pub slot: Slot,
    /// The ballot it was accepted under.
    pub ballot: BallotView<'a>,
    /// The value as JSON text (`null`: a no-op); the JS layer parses it.
    #[serde(skip)]
    pub value: &'a str,
}

/// A node as the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeView<'a> {
    /// `n1` …
    pub id: &'a str,
    /// `"leader"` (phase 1 done, runs phase 2 per slot), `"candidate"` (running phase 1) or
    /// `"follower"` (every node is an acceptor and a learner whatever its state). A crashed
    /// node shows the state it had.
    pub state: &'static str,
    /// The ballot it last ran as proposer (round 0: never).
    pub ballot: BallotView<'a>,
    /// The acceptor's promised ballot (durable).
    pub promised: BallotView<'a>,
    /// The acceptor's accepted proposals, one per slot, in slot order (durable).
    pub accepted: Vec<AcceptedView<'a>>,
    /// The slots this learner knows chosen, in order.
    pub chosen: Vec<Slot>,
    /// The values chosen, as JSON text, in the order of `chosen`; the JS layer parses them.
    #[serde(skip)]
    pub chosen_values: Vec<&'a str>,
    /// Every slot up to this one is chosen and executed here (0: none).
    pub executed: Slot,
    /// The leader it follows (itself when it leads), if it knows one.
    pub leader_id: Option<&'a str>,
    /// A candidate's promises so far (its own included).
    pub promises: Vec<&'a str>,
    /// Commands waiting until it leads or finds a leader.
    pub queued: usize,
    /// Times it started phase 1.
    pub elections: u64,
    /// The running timer: `"leaderTimeout"`, `"backoff"` or `"heartbeat"` (null: crashed).
    pub timer: Option<&'static str>,
    /// When that timer was set, ms.
    pub timer_start: Option<f64>,
    /// When it fires, ms.
    pub timer_deadline: Option<f64>,
    /// Whether the node is crashed.
    pub crashed: bool,
    /// Whether the node is paused (a frozen process).
    pub paused: bool,
    /// The node's key-value store as it has executed it (see [`crate::kv`]).
    pub kv: &'a Map<String, String>,
}

/// A message in flight, with its fields (camelCase).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView<'a> {
    /// Unique id (for `dropMessage`).
    pub id: u64,
    /// Sender id.
    pub from: &'a str,
    /// Receiver id.
    pub to: &'a str,
    /// `Prepare`, `Promise`, `Accept`, `Accepted`, `Nack`, `Heartbeat`, `CatchUp`, `Commit` or
    /// `Forward`.
    pub kind: &'static str,
    /// Send time, ms.
    pub sent_at: f64,
    /// Delivery time, ms.
    pub deliver_at: f64,
    /// Every kind but CatchUp and Forward: the ballot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ballot: Option<BallotView<'a>>,
    /// Nack: the higher ballot the acceptor promised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promised: Option<BallotView<'a>>,
    /// Accept, Accepted, Commit: the slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<Slot>,
    /// Accept, Accepted, Commit, Forward: the value as JSON text; the JS layer parses it.
    #[serde(skip)]
    pub value: Option<&'a str>,
    /// Promise: the accepted proposals reported; the JS layer converts them.
    #[serde(skip)]
    pub accepted: Option<&'a [AcceptedEntry]>,
    /// Heartbeat: every slot up to this one is chosen at the leader.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen_through: Option<Slot>,
    /// CatchUp: the first slot asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Slot>,
}

/// `b` as a view, with node names from `sim`.
pub fn ballot_view(sim: &Simulation<Paxos>, b: Ballot) -> BallotView<'_> {
    BallotView { round: b.round, node_id: (!b.is_zero()).then(|| sim.ids().get(b.node).map_or("?", String::as_str)) }
}

/// The JS name of a timer: `leaderTimeout`, `backoff` or `heartbeat`.
pub fn timer_name(t: Timer) -> &'static str {
    match t {
        Timer::LeaderTimeout => "leaderTimeout",
        Timer::Backoff => "backoff",
        Timer::Heartbeat => "heartbeat",
    }
}

/// How many of a node's highest accepted and chosen slots its view holds: the page draws the
/// latest 30, and a view of every slot of a long run would cost the page more each frame.
pub const VIEW_SLOTS: usize = 64;

/// Every node's view, in id order (accepted and chosen: the highest [`VIEW_SLOTS`] slots).
pub fn node_views(sim: &Simulation<Paxos>) -> Vec<NodeView<'_>> {
    let ms = |us: u64| us as f64 / 1000.0;
    let name = |i: usize| sim.ids()[i].as_str();
    (0..sim.ids().len())
        .map(|i| {
            let n = sim.node_state(i);
            let r = &n.core;
            let timer = sim.paxos_timer(i);
            let kind = (!sim.is_crashed(i)).then(|| match r.role() {
                Role::Leader => "heartbeat",
                _ if r.backing_off() => "backoff",
                _ => "leaderTimeout",
            });
            NodeView {
                id: &sim.ids()[i],
                state: r.role().as_str(),
                ballot: ballot_view(sim, r.ballot()),
                promised: ballot_view(sim, r.promised()),
                accepted: r.accepted().iter().skip(r.accepted().len().saturating_sub(VIEW_SLOTS)).map(|(s, (b, v))| AcceptedView { slot: *s, ballot: ballot_view(sim, *b), value: v }).collect(),
                chosen: r.chosen().iter().skip(r.chosen().len().saturating_sub(VIEW_SLOTS)).map(|(s, _)| *s).collect(),
                chosen_values: r.chosen().iter().skip(r.chosen().len().saturating_sub(VIEW_SLOTS)).map(|(_, v)| v.as_str()).collect(),
                executed: r.executed(),
                leader_id: r.leader().map(name),
                promises: if r.role() == Role::Candidate { r.promises().iter().map(|p| name(*p)).collect() } else { Vec::new() },
                queued: r.queued().count(),
                elections: r.elections(),
                timer: timer.and(kind),
                timer_start: timer.map(|(s, _)| ms(s)),
                timer_deadline: timer.map(|(_, d)| ms(d)),
                crashed: sim.is_crashed(i),
                paused: sim.is_paused(i),
                kv: n.kv.data(),
            }
        })
        .collect()
}

/// A message in flight as the page draws it.
pub fn message_view<'a>(sim: &'a Simulation<Paxos>, m: &'a Message<Msg>) -> MessageView<'a> {
    let mut v = MessageView {
        id: m.id,
        from: &sim.ids()[m.from],
        to: &sim.ids()[m.to],
        kind: m.payload.kind(),
        sent_at: m.sent_at as f64 / 1000.0,
        deliver_at: m.deliver_at as f64 / 1000.0,
        ballot: None,
        promised: None,
        slot: None,
        value: None,
        accepted: None,
        chosen_through: None,
        next: None,
    };
    match &m.payload {
        Msg::Prepare { ballot } => v.ballot = Some(ballot_view(sim, *ballot)),
        Msg::Promise { ballot, accepted } => {
            v.ballot = Some(ballot_view(sim, *ballot));
            v.accepted = Some(accepted);
        }
        Msg::Accept { ballot, slot, value } | Msg::Accepted { ballot, slot, value } | Msg::Commit { ballot, slot, value } => {
            v.ballot = Some(ballot_view(sim, *ballot));
            v.slot = Some(*slot);
            v.value = Some(value);
        }
        Msg::Nack { ballot, promised } => {
            v.ballot = Some(ballot_view(sim, *ballot));
            v.promised = Some(ballot_view(sim, *promised));
        }
        Msg::Heartbeat { ballot, chosen_through } => {
            v.ballot = Some(ballot_view(sim, *ballot));
            v.chosen_through = Some(*chosen_through);
        }
        Msg::CatchUp { next } => v.next = Some(*next),
        Msg::Forward { value } => v.value = Some(value),
    }
    v
}
