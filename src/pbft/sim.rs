//! PBFT as a [`Protocol`]: the replica ([`Replica`]) with its timers, the replicated key-value
//! store and the replies its clients count, the traitors' own behaviours, and what it narrates;
//! and PBFT's actions on the generic simulator.
//!
//! Clients (§4.1): a workload client sends its command to the replica it believes is the
//! primary; every replica replies when it executes it, and the client accepts a result once
//! f + 1 replicas sent the same one ([`Protocol::client_quorum`]); a client that times out sends
//! its request to every replica. A request proposed at a replica (`propose`) has that replica
//! as its client: the others send it `Reply` messages, and it accepts f + 1 matching ones.

use crate::collections::Map;
use crate::error::{Error, Result};
use crate::kv::{Command, Kv, Output};
use crate::protocol::{node_name, Answer, BehaviourInfo, BugInfo, BugSet, ClientCall, Ctx, Effect, NodeId, Out, Protocol};
use crate::sim::{ClientReply, SimConfig, Simulation};

use super::check::Checker;
use super::msg::{digest, Digest, Msg, Request, Seq};
use super::node::{faults, Behaviour, Options, Replica};
use super::notes::{Note, VcWhy, What};
use super::Bug;

/// PBFT's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// A backup waits this long for a request to execute (or for a NewView) before it moves
    /// to the next view.
    ViewChange,
    /// A replica that fell behind asks for the state when this runs out.
    Fetch,
    /// A replica re-sends what is not committed yet (lost messages).
    Retransmit,
}

/// PBFT's own traitor behaviours ([`Protocol::BEHAVIOURS`]), in [`Behaviour::ALL`]'s order.
pub const BEHAVIOUR_LIST: [BehaviourInfo; 5] = [
    BehaviourInfo { name: "equivocate", does: "as primary, different requests for one sequence number to different backups; as a backup, tells each replica it agrees with its digest; forged results to clients" },
    BehaviourInfo { name: "wrong-digest", does: "as primary, one request's digest with another's body; prepares and commits with a digest that is not the request's; forged results to clients" },
    BehaviourInfo { name: "replay", does: "re-sends its messages twice, and old ones to random replicas" },
    BehaviourInfo { name: "slow", does: "as primary, holds each pre-prepare back for 3/4 of the view-change timeout" },
    BehaviourInfo { name: "lie-in-view-change", does: "its view changes report no checkpoint and no prepared request" },
];

/// PBFT with its options: the [`Protocol`] the simulator drives.
#[derive(Clone, Debug, PartialEq)]
pub struct Pbft {
    /// The settings every replica follows.
    pub options: Options,
}

/// An executed request, as the checker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The sequence number.
    pub seq: Seq,
    /// The request's digest.
    pub digest: Digest,
    /// The request (None: the null request).
    pub request: Option<Request>,
    /// Its client had it executed already: a no-op.
    pub duplicate: bool,
    /// What the key-value store returned (None: not a key-value command, or a no-op).
    pub output: Option<Output>,
}

/// One simulated PBFT replica: the core and its key-value state machine.
#[derive(Clone, Debug)]
pub struct PbftNode {
    /// The replica.
    pub core: Replica,
    /// The state machine, as this replica executed the requests.
    pub kv: Kv,
}

/// The result of an executed request as a `Reply` carries it: the key-value output as JSON
/// (`{"ok":true,"value":"3"}`), or `null`.
pub fn result_text(output: Option<&Output>) -> String {
    match output {
        None => "null".into(),
        Some(o) => {
            let mut s = format!("{{\"ok\":{},\"value\":", o.ok);
            match &o.value {
                None => s.push_str("null"),
                Some(v) => crate::kv::push_json_str(&mut s, v),
            }
            s.push('}');
            s
        }
    }
}

/// The workload client a request's client names (`c3` → client index 2).
fn workload_client(client: &str) -> Option<usize> {
    client.strip_prefix('c')?.parse::<usize>().ok().filter(|k| *k >= 1).map(|k| k - 1)
}

/// The replica a request's client names (`n2` → 1), if it is one of `n`.
fn replica_client(client: &str, n: usize) -> Option<NodeId> {
    client.strip_prefix('n')?.parse::<usize>().ok().filter(|k| *k >= 1 && *k <= n).map(|k| k - 1)
}

impl Pbft {
    /// Whether a traitor of this behaviour forges results to clients.
    fn forges(b: Option<Behaviour>) -> bool {
        matches!(b, Some(Behaviour::Equivocate | Behaviour::WrongDigest))
    }
}

impl Protocol for Pbft {
    type Node = PbftNode;
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Decision = Decision;
    type Checker = Checker;

    const BUGS: &'static [BugInfo] = &super::bug::BUG_LIST;
    const BEHAVIOURS: &'static [BehaviourInfo] = &BEHAVIOUR_LIST;

    fn set_bugs(&mut self, _nodes: &mut [PbftNode], bugs: BugSet) {
        self.options.bugs = bugs;
    }

    fn bugs(&self) -> BugSet {
        self.options.bugs
    }

    fn set_byzantine(&self, node: &mut PbftNode, behaviour: Option<usize>) {
        node.core.set_behaviour(behaviour.and_then(|i| Behaviour::ALL.get(i).copied()));
    }

    /// f + 1 (one honest replica vouches for the result); 1 with the `first-reply` bug.
    fn client_quorum(&self, nodes: usize) -> usize {
        if self.options.bugs.has(Bug::FirstReply) {
            1
        } else {
            faults(nodes) + 1
        }
    }

    fn new_node(&self, id: NodeId, members: &[NodeId]) -> PbftNode {
        PbftNode { core: Replica::new(id, members.len()), kv: Kv::new() }
    }

    fn on_start(&self, n: &mut PbftNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.start(&self.options, out);
    }

    fn on_msg(&self, n: &mut PbftNode, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) -> (Note, bool) {
        let (what, _) = n.core.on_msg(&self.options, cx, from, msg, out);
        let note = Note::Msg { at: cx.me, from, what };
        let routine = note.routine();
        (note, routine)
    }

    fn on_timer(&self, n: &mut PbftNode, cx: &mut Ctx, timer: Timer, out: &mut Out<Self>) {
        match timer {
            Timer::ViewChange => n.core.view_change_timer(&self.options, cx, out),
            Timer::Fetch => n.core.fetch_timer(&self.options, cx, out),
            Timer::Retransmit => n.core.retransmit(&self.options, cx, out),
        }
    }

    /// The command becomes a request `{operation: the command, timestamp: its seq, client:
    /// c<id>}`. One its client had executed already is answered again from the store's session.
    fn on_client(&self, n: &mut PbftNode, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>) {
        let r = Request { operation: call.command.encode(), timestamp: call.command.seq, client: format!("c{}", call.id) };
        let (what, _) = n.core.on_request(&self.options, cx, None, r, out);
        let again = matches!(what, What::RequestDone { .. });
        out.push(Effect::Note(Note::Request { at: cx.me, what }));
        if again {
            if let Some(output) = n.kv.apply(&call.command) {
                let output = self.forge(n, cx.me, output);
                out.push(Effect::Reply { client: call.client, seq: call.command.seq, answer: Answer::Done(output) });
            }
        }
    }

    /// The replica proposes `command` as its own client (client: its id, timestamp: one more
    /// than its last). Returns the sequence number when it is the primary and assigned one,
    /// else 0 (forwarded to the primary, or queued). Never refuses.
    fn propose(&self, n: &mut PbftNode, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
        let r = n.core.own_request(command);
        let (what, seq) = n.core.on_request(&self.options, cx, None, r, out);
        out.push(Effect::Note(Note::Request { at: cx.me, what }));
        Ok(seq.unwrap_or(0))
    }

    fn on_crash(&self, _n: &mut PbftNode, cx: &mut Ctx, out: &mut Out<Self>) {
        out.note(Note::Crash { at: cx.me });
    }

    fn on_restart(&self, n: &mut PbftNode, cx: &mut Ctx, out: &mut Out<Self>) {
        out.note(Note::Restart { at: cx.me, executed: n.core.executed() });
        n.core.start(&self.options, out);
    }

    fn on_resume(&self, n: &mut PbftNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.start(&self.options, out);
    }

    /// Executed requests go to the key-value store in sequence order; every replica replies
    /// to the request's client (a traitor that forges, with a forged result).
    fn settle(&self, n: &mut PbftNode, cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.keep_retransmitting(&self.options, out);
        while let Some((seq, request, duplicate)) = n.core.next_to_execute() {
            let cmd = request.as_ref().and_then(|r| Command::decode(&r.operation));
            let output = match (&cmd, duplicate) {
                (Some(c), _) => n.kv.apply(c),
                (None, _) => None,
            };
            out.note(Note::Executed { at: cx.me, seq, operation: request.as_ref().map(|r| cmd.as_ref().map_or_else(|| r.operation.clone(), |c| c.op.sentence())), duplicate });
            out.push(Effect::Decide(Decision { seq, digest: digest(request.as_ref()), request: request.clone(), duplicate, output: output.clone() }));
            let Some(r) = request else { continue };
            if let (Some(c), Some(o)) = (workload_client(&r.client), output.clone()) {
                let o = self.forge(n, cx.me, o);
                out.push(Effect::Reply { client: c, seq: r.timestamp, answer: Answer::Done(o) });
            } else if let Some(k) = replica_client(&r.client, cx.nodes) {
                let mut result = result_text(output.as_ref());
                if Self::forges(n.core.behaviour()) {
                    result = format!("\"forged by {}\"", node_name(cx.me));
                }
                if k == cx.me {
                    n.core.own_reply(r.timestamp, result);
                } else {
                    out.send(k, Msg::Reply { view: n.core.view(), timestamp: r.timestamp, client: r.client.clone(), replica: cx.me, result });
                }
            }
        }
    }

    fn after_check(&self, n: &mut PbftNode, _cx: &mut Ctx, _out: &mut Out<Self>) {
        n.core.trail.clear();
    }

    /// The view of a primary in normal operation.
    fn leads(&self, n: &PbftNode) -> Option<u64> {
        n.core.is_primary().then(|| n.core.view())
    }

    fn committed_members(&self, _n: &PbftNode) -> Option<Vec<NodeId>> {
        None
    }

    fn elections(&self, n: &PbftNode) -> u64 {
        n.core.elections()
    }

    fn msg_kind(msg: &Msg) -> &'static str {
        msg.kind()
    }

    fn note_kind(note: &Note) -> &'static str {
        note.kind()
    }

    fn note_routine(note: &Note) -> bool {
        note.routine()
    }

    fn describe(&self, note: &Note, names: &[String]) -> String {
        note.describe(names)
    }
}

impl Pbft {
    /// The output a replica sends a client: the true one, or a forged one from a traitor that
    /// forges.
    fn forge(&self, n: &PbftNode, me: NodeId, output: Output) -> Output {
        if Self::forges(n.core.behaviour()) {
            Output { ok: true, value: Some(format!("forged by {}", node_name(me))) }
        } else {
            output
        }
    }
}

/// A PBFT cluster in the simulator.
pub type PbftSimulation = Simulation<Pbft>;

/// PBFT's actions and views on the generic simulator.
impl Simulation<Pbft> {
    /// A cluster of replicas in view 0, n1 its primary.
    ///
    /// Errors: the config breaks a rule of [`SimConfig::validate`], or the options one of
    /// [`Options::validate`].
    pub fn new(config: SimConfig, options: Options) -> Result<Self> {
        options.validate()?;
        Simulation::start(config, Pbft { options })
    }

    /// Replica `i`'s PBFT state.
    pub fn node(&self, i: NodeId) -> &Replica {
        &self.node_state(i).core
    }

    /// Replica `i`'s key-value state machine.
    pub fn kv(&self, i: NodeId) -> &Kv {
        &self.node_state(i).kv
    }

    /// A client sends `command` (JSON text) to replica `to`, or to the primary of the highest
    /// view when `to` is None, as a request whose client is that replica. The primary assigns
    /// it a sequence number (`index`); a backup forwards it to the primary (accepted, with no
    /// `index`). Refused (not accepted) when `to` is paused or no replica is a primary in normal
    /// operation and `to` is None. Errors: `to` is crashed.
    pub fn client_request(&mut self, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        let Some(i) = to.or_else(|| self.leader()) else {
            self.record_client_refused(None);
            return Ok(ClientReply { accepted: false, leader: None, index: None });
        };
        if self.is_paused(i) {
            self.record_client_refused(Some(i));
            return Ok(ClientReply { accepted: false, leader: None, index: None });
        }
        self.require_running(i)?;
        let (seq, _) = self.act_with(i, |p, n, cx, out| p.propose(n, cx, command, out));
        self.settle();
        let seq = seq?;
        let primary = self.node(i).primary_of(self.node(i).view());
        Ok(ClientReply { accepted: true, leader: Some(node_name(primary)), index: (seq > 0).then_some(seq) })
    }

    /// A client outside the cluster (named `x`) sends `operation` (JSON text) to every running
    /// replica at once, as a PBFT client does when it does not know the primary or got no
    /// answer (§4.1); its timestamp is the simulated time in µs. Every backup waits for it, so
    /// a crashed primary is replaced. Returns how many replicas it reached.
    pub fn broadcast_request(&mut self, operation: String) -> usize {
        let r = Request { operation, timestamp: self.now(), client: "x".into() };
        let o = self.protocol().options.clone();
        let mut reached = 0;
        for i in 0..self.ids().len() {
            if self.is_crashed(i) || self.is_paused(i) {
                continue;
            }
            reached += 1;
            let r = r.clone();
            self.act(i, |_, n, cx, out| {
                let (what, _) = n.core.on_request(&o, cx, None, r, out);
                out.push(Effect::Note(Note::Request { at: cx.me, what }));
            });
        }
        self.settle();
        reached
    }

    /// The user makes replica `i` start a view change to its next view now.
    /// Errors: crashed or paused.
    pub fn start_view_change(&mut self, i: NodeId) -> Result<()> {
        self.require_running(i)?;
        let o = self.protocol().options.clone();
        self.act(i, |_, n, cx, out| {
            let v = n.core.view().saturating_add(1);
            n.core.start_view_change(&o, cx, v, VcWhy::User, out)
        });
        self.settle();
        Ok(())
    }

    /// The replicas' executed sequences, by replica: `(seq, digest)` of each executed request.
    pub fn executed(&self, i: NodeId) -> Map<Seq, Digest> {
        let mut m = Map::new();
        for (k, r) in self.node(i).history().iter().enumerate() {
            m.insert(k as Seq + 1, digest(r.as_ref()));
        }
        m
    }
}

impl Options {
    /// Checks every rule; errors name the JS key and the rule.
    pub fn validate(&self) -> Result<()> {
        if self.checkpoint_interval == 0 || self.checkpoint_interval > 10_000 {
            return Err(Error::invalid("checkpointInterval", "must be an integer from 1 to 10000"));
        }
        if self.view_change_us == 0 || self.view_change_us > crate::sim::config::MAX_DURATION_US {
            return Err(Error::invalid("viewChangeMs", "must be above 0 and at most 3600000 ms"));
        }
        Ok(())
    }
}
