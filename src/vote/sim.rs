//! Majority voting as a [`Protocol`]: the core ([`super::node::Core`]) with its deadline timer,
//! its notes, the key-value clients' writes turned into proposals, and voting's actions on the
//! generic simulator (`propose`, `vote`, `result`).
//!
//! Workload clients ([`crate::sim::Workload`]): a `put` becomes a proposal `key = value` at the
//! node the client asked, answered when it settles — accepted: `Output {ok: true}`; rejected or
//! timed out: `Output {ok: false}` (refused; the put did not take effect). A `cas` proposes its
//! new value when the node's decided value is the expected one (ok true when accepted, false
//! otherwise, and at once when the expected value is not there); an `increment` proposes the
//! node's decided value plus one (the new value when accepted; ok false when not accepted or
//! not a number). A `get` answers at once from the node's decided values. Voting promises no
//! linearizability: nodes learn outcomes at different times, and a lost `Decided` leaves a
//! voter behind.

use serde::Serialize;

use crate::collections::Map;
use crate::error::{Error, Result};
use crate::kv::{ClientId, Command, Op, Output};
use crate::protocol::{Answer, BugInfo, BugSet, ClientCall, Ctx, Delay, Effect, Micros, NodeId, Out, Protocol};
use crate::sim::{SimConfig, Simulation};

use super::check::Checker;
use super::notes::{MsgNote, Note};
pub use super::node::{Ballot, Cast, Core, Msg, Options, Policy, Proposal, ProposalId, Status, Step, Weight};

/// Voting's one timer: a proposal's deadline (one instance per open proposal; when one fires,
/// every open proposal whose deadline has passed times out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// `timeout` after a proposal was made.
    Deadline,
}

/// Majority voting, with its options: the [`Protocol`] the simulator drives.
#[derive(Clone, Debug, PartialEq)]
pub struct Vote {
    /// The settings every node follows.
    pub options: Options,
}

/// What a workload client is owed when a proposal made for it settles.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owed {
    /// A put or a cas: ok when accepted.
    Write,
    /// An increment to this value: the value when accepted.
    Increment(String),
}

/// One simulated voter: the core, and the answers it owes workload clients (volatile).
#[derive(Clone, Debug)]
pub struct VoteNode {
    /// The core: values, proposals, ballots, locks.
    pub core: Core,
    /// Every node's weight, by id (for views and the checker).
    pub weights: Vec<Weight>,
    /// Own proposal index → (client index, client id, seq, what it is owed).
    owed: Map<usize, (usize, ClientId, u64, Owed)>,
}

/// A value decided at a node: an accepted proposal, applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The proposal.
    pub id: ProposalId,
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// A proposal's result, the lesson's shape plus a status (all weights).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteResult {
    /// `"n1:3"`.
    pub proposal_id: String,
    /// `open`, `accepted`, `rejected` or `timeout`.
    pub status: &'static str,
    /// Whether it was accepted.
    pub accepted: bool,
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// Weight for, against, and every voter's weight (voted or not).
    pub votes: Votes,
    /// The weight the quorum rule needs.
    pub quorum_required: Weight,
    /// Why it was not accepted (null while open and when accepted).
    pub error: Option<String>,
}

/// A proposal's tally, in weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Votes {
    /// Weight for.
    #[serde(rename = "for")]
    pub for_: Weight,
    /// Weight against.
    pub against: Weight,
    /// Every voter's weight, voted or not.
    pub total: Weight,
}

impl VoteResult {
    /// The result of `p`, with `names` for the proposal id.
    pub fn of(p: &Proposal, names: &[String]) -> VoteResult {
        VoteResult {
            proposal_id: p.id.text(names),
            status: p.status.as_str(),
            accepted: p.status == Status::Accepted,
            key: p.key.clone(),
            value: p.value.clone(),
            votes: Votes { for_: p.weight_for, against: p.weight_against, total: p.total },
            quorum_required: p.quorum_required,
            error: p.error(),
        }
    }
}

impl Vote {
    /// Carries out the core's steps: sends, writes, settled proposals (notes, client answers),
    /// applied values (decisions).
    fn apply(&self, n: &mut VoteNode, cx: &Ctx, steps: Vec<Step>, out: &mut Out<Self>) {
        for s in steps {
            match s {
                Step::Persist => out.push(Effect::Persist),
                Step::Send(to, m) => out.send(to, m),
                Step::Settled(k) => {
                    let p = &n.core.proposals[k];
                    let accepted = p.status == Status::Accepted;
                    out.note(Note::Settled { at: cx.me, id: p.id, status: p.status, weights: (p.weight_for, p.weight_against, p.quorum_required, p.total) });
                    if let Some((client, _, seq, owed)) = n.owed.remove(&k) {
                        let output = match owed {
                            Owed::Write => Output { ok: accepted, value: None },
                            Owed::Increment(v) => Output { ok: accepted, value: accepted.then_some(v) },
                        };
                        out.push(Effect::Reply { client, seq, answer: Answer::Done(output) });
                    }
                }
                Step::Applied(id) => {
                    let b = &n.core.ballots[&id];
                    out.push(Effect::Decide(Decision { id, key: b.key.clone(), value: b.value.clone() }));
                }
            }
        }
    }

    /// Proposes `key = value` at node `n`: the deadline timer, the note, the steps.
    fn make_proposal(&self, n: &mut VoteNode, cx: &mut Ctx, key: String, value: String, client: Option<(usize, ClientId, u64, Owed)>, out: &mut Out<Self>) -> ProposalId {
        let (id, cast, steps) = n.core.propose(&self.options, cx.rng, cx.now, key.clone(), value.clone());
        let p = n.core.proposal(id).expect("just proposed");
        out.note(Note::Proposed { at: cx.me, id, key, value, required: p.quorum_required, total: p.total, cast, client: client.as_ref().map(|c| c.1) });
        out.set_timer(Timer::Deadline, Delay::After(self.options.timeout_us));
        if let Some(c) = client {
            n.owed.insert((id.seq - 1) as usize, c);
        }
        self.apply(n, cx, steps, out);
        id
    }

    /// Arms a deadline timer for each open proposal (after a restart or a pause).
    fn arm(&self, n: &VoteNode, now: Micros, out: &mut Out<Self>) {
        for d in n.core.open_deadlines() {
            out.set_timer(Timer::Deadline, Delay::After(d.saturating_sub(now)));
        }
    }

    /// A manual vote at node `n` (see [`Core::vote`]): whether it was taken.
    pub fn manual_vote(&self, n: &mut VoteNode, cx: &mut Ctx, id: ProposalId, approve: bool, out: &mut Out<Self>) -> bool {
        let Some((cast, steps)) = n.core.vote(&self.options, cx.now, id, approve) else { return false };
        out.note(Note::ManualVote { at: cx.me, id, cast });
        self.apply(n, cx, steps, out);
        true
    }

    /// Proposes `key = value` at node `n` by hand (a page's button, an agent's call).
    pub fn propose_kv(&self, n: &mut VoteNode, cx: &mut Ctx, key: String, value: String, out: &mut Out<Self>) -> ProposalId {
        self.make_proposal(n, cx, key, value, None, out)
    }
}

impl Protocol for Vote {
    type Node = VoteNode;
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Decision = Decision;
    type Checker = Checker;

    const BUGS: &'static [BugInfo] = &super::bug::BUG_LIST;

    fn set_bugs(&mut self, _nodes: &mut [VoteNode], bugs: BugSet) {
        self.options.bugs = bugs;
    }

    fn bugs(&self) -> BugSet {
        self.options.bugs
    }

    fn new_node(&self, id: NodeId, members: &[NodeId]) -> VoteNode {
        let n = members.len().max(id + 1);
        VoteNode { core: Core::new(id, n), weights: (0..n).map(|i| self.options.weight(i)).collect(), owed: Map::new() }
    }

    fn on_start(&self, _n: &mut VoteNode, _cx: &mut Ctx, _out: &mut Out<Self>) {}

    fn on_msg(&self, n: &mut VoteNode, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) -> (Note, bool) {
        let at = cx.me;
        let what = match msg {
            Msg::Proposal { id, key, value } => {
                let (cast, steps) = n.core.on_proposal(&self.options, cx.rng, cx.now, from, id, key.clone(), value.clone());
                self.apply(n, cx, steps, out);
                MsgNote::Proposal { id, key, value, cast }
            }
            Msg::Vote { id, approve } => {
                let (counted, steps) = n.core.on_vote(&self.options, cx.now, from, id, approve);
                let tally = n.core.proposal(id).map_or((0, 0), |p| (p.weight_for, p.weight_against));
                self.apply(n, cx, steps, out);
                MsgNote::Vote { id, approve, counted, tally }
            }
            Msg::Decided { id, accepted, key, value } => {
                let (news, steps) = n.core.on_decided(from, id, accepted, key.clone(), value.clone());
                self.apply(n, cx, steps, out);
                // Narrate what the node applied and freed: its ballot's key and value.
                let (key, value) = match n.core.ballots.get(&id) {
                    Some(b) if news => (b.key.clone(), b.value.clone()),
                    _ => (key, value),
                };
                MsgNote::Decided { id, accepted, news, key, value }
            }
        };
        (Note::Msg { at, from, what }, false)
    }

    fn on_timer(&self, n: &mut VoteNode, cx: &mut Ctx, _timer: Timer, out: &mut Out<Self>) {
        let steps = n.core.on_timeout(cx.now);
        self.apply(n, cx, steps, out);
    }

    fn on_client(&self, n: &mut VoteNode, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>) {
        let (c, id, seq) = (call.client, call.id, call.command.seq);
        let current = n.core.values.get(call.command.op.key()).cloned();
        let refuse = |out: &mut Out<Self>, op: Op, output: Output| {
            out.note(Note::ClientRefused { at: cx.me, client: id, op });
            out.push(Effect::Reply { client: c, seq, answer: Answer::Done(output) });
        };
        match call.command.op {
            Op::Get { key } => {
                out.note(Note::Read { at: cx.me, client: id, key, value: current.clone() });
                out.push(Effect::Reply { client: c, seq, answer: Answer::Done(Output { ok: true, value: current }) });
            }
            Op::Put { key, value } => {
                self.make_proposal(n, cx, key, value, Some((c, id, seq, Owed::Write)), out);
            }
            Op::Cas { key, from, to } => {
                if current.as_deref() == Some(from.as_str()) {
                    self.make_proposal(n, cx, key, to, Some((c, id, seq, Owed::Write)), out);
                } else {
                    refuse(out, Op::Cas { key, from, to }, Output { ok: false, value: None });
                }
            }
            Op::Increment { key } => match current.as_deref().map_or(Some(0), |v| v.parse::<u64>().ok()).and_then(|v| v.checked_add(1)) {
                Some(next) => {
                    let next = next.to_string();
                    self.make_proposal(n, cx, key, next.clone(), Some((c, id, seq, Owed::Increment(next))), out);
                }
                None => refuse(out, Op::Increment { key }, Output { ok: false, value: None }),
            },
        }
    }

    /// A command by hand: a key-value put (as [`Command::encode`] writes it) proposes its key
    /// and value; any other text is proposed as the value of the key `command`. Returns the
    /// proposal's counter.
    fn propose(&self, n: &mut VoteNode, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
        let (key, value) = match Command::decode(&command).map(|c| c.op) {
            Some(Op::Put { key, value }) => (key, value),
            _ => ("command".to_string(), command),
        };
        Ok(self.make_proposal(n, cx, key, value, None, out).seq)
    }

    fn on_crash(&self, _n: &mut VoteNode, cx: &mut Ctx, out: &mut Out<Self>) {
        out.note(Note::Crash { at: cx.me });
    }

    fn on_restart(&self, n: &mut VoteNode, cx: &mut Ctx, out: &mut Out<Self>) {
        n.owed.clear();
        out.note(Note::Restart { at: cx.me, open: n.core.open_deadlines().count() });
        self.arm(n, cx.now, out);
    }

    fn on_resume(&self, n: &mut VoteNode, cx: &mut Ctx, out: &mut Out<Self>) {
        self.arm(n, cx.now, out);
    }

    fn settle(&self, _n: &mut VoteNode, _cx: &mut Ctx, _out: &mut Out<Self>) {}

    fn after_check(&self, n: &mut VoteNode, _cx: &mut Ctx, _out: &mut Out<Self>) {
        // The checker has read these (a standalone node has no checker: they would only grow).
        n.core.dirty.clear();
        n.core.new_ballots.clear();
    }

    fn leads(&self, _n: &VoteNode) -> Option<u64> {
        None
    }

    fn committed_members(&self, _n: &VoteNode) -> Option<Vec<NodeId>> {
        None
    }

    fn msg_kind(msg: &Msg) -> &'static str {
        msg.kind()
    }

    fn note_kind(note: &Note) -> &'static str {
        note.kind()
    }

    fn describe(&self, note: &Note, names: &[String]) -> String {
        note.describe(names)
    }
}

/// A voting cluster in the simulator.
pub type VoteSimulation = Simulation<Vote>;

/// Voting's actions and views on the generic simulator: what the page's buttons and the tests
/// call.
impl Simulation<Vote> {
    /// A cluster of `config.nodes` voters following `options`, with no proposals.
    ///
    /// Errors: the config breaks a rule of [`SimConfig::validate`], or the options one of
    /// [`Options::validate`].
    pub fn new(config: SimConfig, options: Options) -> Result<Self> {
        config.validate()?;
        options.validate(config.nodes)?;
        Simulation::start(config, Vote { options })
    }

    /// The voting options.
    pub fn options(&self) -> &Options {
        &self.protocol().options
    }

    /// The weight a proposal needs (`quorumRequired`).
    pub fn quorum_required(&self) -> Weight {
        self.options().quorum_required(self.ids().len())
    }

    /// Whether any two quorums share a voter (`quorumsIntersect`); when not, two conflicting
    /// proposals on one key can both pass.
    pub fn quorums_intersect(&self) -> bool {
        self.options().quorums_intersect(self.ids().len())
    }

    fn node_index(&self, param: &str, at: NodeId) -> Result<NodeId> {
        if at >= self.ids().len() {
            return Err(Error::invalid(param, format!("must be a node index below {} (got {at})", self.ids().len())));
        }
        Ok(at)
    }

    /// Node `at` proposes `key = value` now: it broadcasts the proposal and votes on it itself.
    /// Errors: no such node, or it is crashed or paused.
    pub fn propose(&mut self, at: NodeId, key: impl Into<String>, value: impl Into<String>) -> Result<ProposalId> {
        let at = self.node_index("at", at)?;
        self.require_running(at)?;
        let (key, value) = (key.into(), value.into());
        if key.is_empty() {
            return Err(Error::invalid("key", "must be a non-empty string"));
        }
        let (id, _) = self.act_with(at, |p, n, cx, out| p.propose_kv(n, cx, key, value, out));
        self.settle();
        Ok(id)
    }

    /// Node `at`, a manual voter asked about `id`, votes now. Returns whether the vote was
    /// taken (false, and nothing happens: it was not asked, it voted already, or the outcome is
    /// known). Errors: no such node, or it is crashed or paused.
    pub fn vote(&mut self, at: NodeId, id: ProposalId, approve: bool) -> Result<bool> {
        let at = self.node_index("at", at)?;
        self.require_running(at)?;
        let (taken, _) = self.act_with(at, |p, n, cx, out| p.manual_vote(n, cx, id, approve, out));
        self.settle();
        Ok(taken)
    }

    /// Proposal `id`'s result, as its proposer knows it (None: no such proposal).
    pub fn result(&self, id: ProposalId) -> Option<VoteResult> {
        self.ids().get(id.proposer)?;
        self.node_state(id.proposer).core.proposal(id).map(|p| VoteResult::of(p, self.ids()))
    }

    /// Every proposal's result, by proposer then counter.
    pub fn results(&self) -> Vec<VoteResult> {
        (0..self.ids().len()).flat_map(|i| self.node_state(i).core.proposals.iter().map(|p| VoteResult::of(p, self.ids()))).collect()
    }

    /// Parses a proposal id (`"n1:3"`) naming this cluster's nodes. Errors name `param`.
    pub fn proposal_id(&self, param: &str, text: &str) -> Result<ProposalId> {
        ProposalId::parse(param, text, self.ids())
    }

    /// Node `i`'s decided values.
    pub fn values(&self, i: NodeId) -> &Map<String, String> {
        &self.node_state(i).core.values
    }

    /// Voter `i` weighs `weight` from now on. Errors: no such node; a weight above 1,000,000;
    /// every weight 0; a proposal still open (its tally counts every vote at the weights it
    /// started with, so the weights change only between proposals).
    pub fn set_weight(&mut self, i: NodeId, weight: Weight) -> Result<()> {
        let i = self.node_index("id", i)?;
        let n = self.ids().len();
        if let Some(open) = (0..n).find(|&k| self.node_state(k).core.has_open()) {
            return Err(Error::invalid("weight", format!("can change only while no proposal is open ({} has one)", self.ids()[open])));
        }
        let mut o = self.options().clone();
        o.weights = (0..n).map(|k| if k == i { weight } else { o.weight(k) }).collect();
        o.validate(n)?;
        self.configure(|p, nodes| {
            p.options = o;
            for node in nodes {
                node.weights = (0..n).map(|k| p.options.weight(k)).collect();
            }
        });
        Ok(())
    }

    /// Voter `i` answers by `policy` from now on. Errors: no such node.
    pub fn set_policy(&mut self, i: NodeId, policy: Policy) -> Result<()> {
        let i = self.node_index("id", i)?;
        self.configure(|p, _| {
            p.options.policies.retain(|(k, _)| *k != i);
            p.options.policies.push((i, policy));
        });
        Ok(())
    }

    /// Every node's view, in id order.
    pub fn node_views(&self) -> Vec<super::view::NodeView<'_>> {
        super::view::node_views(self)
    }

    /// Every message in flight, in id order.
    pub fn message_views(&self) -> Vec<super::view::MessageView<'_>> {
        self.in_flight().map(|m| super::view::message_view(self, m)).collect()
    }
}
