//! Chained HotStuff as a [`Protocol`]: the replica ([`Replica`]) with its pacemaker timer, its
//! persistence rule, the replicated key-value store and its client sessions, its traitors, and
//! what it narrates; and HotStuff's actions on the generic simulator.
//!
//! Messages (Yin et al., PODC 2019, §5 Algorithm 3 and §4.4):
//! - `Proposal {block}`: the leader of `block.view` proposes `block` (with its `justify` QC) to
//!   every replica;
//! - `Vote {view, block}`: a replica's vote, to the leader of `view + 1` (who forms the QC); a
//!   replica whose next view failed re-sends its last vote, with its NewView, to the leader of
//!   the view it enters (see [`Replica`]'s `send_new_view`);
//! - `NewView {view, genericQc}`: a replica that left its view for `view` sends its highest QC
//!   to every replica (the pacemaker: `view`'s leader proposes on a quorum of them, the others
//!   join a view f + 1 replicas are past theirs at);
//! - `Request {command}`: a client's command, from the replica that took it to every other one,
//!   so that whoever leads next can propose it (HotStuff has no fixed leader to forward to);
//! - `Fetch {block}` / `Blocks {blocks}`: a replica that lacks a block asks the sender of what
//!   referred to it, which answers with the block and its ancestors.
//!
//! The simulator stamps the true sender on every message: a replica believes `from`, never a
//! field. A decision is a committed block, executed in height order.

use crate::collections::Map;
use crate::error::{Error, Result};
use crate::kv::{ClientId, Command, Kv};
use crate::protocol::{Answer, BehaviourInfo, BugInfo, BugSet, ClientCall, Ctx, Effect, Micros, NodeId, Out, Protocol};
use crate::sim::{SimConfig, Simulation};

use super::bug::Behaviour;
use super::check::Checker;
use super::node::{Block, BlockId, Qc, Replica, View};
use super::notes::Note;

/// A message between HotStuff replicas (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// The leader of `block.view` proposes `block`.
    Proposal {
        /// The block, with the QC that justifies it.
        block: Block,
    },
    /// A vote for `block` in `view`, to the leader of `view + 1`.
    Vote {
        /// The view voted in.
        view: View,
        /// The block voted for.
        block: BlockId,
    },
    /// The sender moved to `view` after a timeout: its highest QC, for `view`'s leader.
    NewView {
        /// The view entered.
        view: View,
        /// The sender's highest QC (`genericQC`).
        generic_qc: Qc,
    },
    /// A client's command, to be proposed by whoever leads.
    Request {
        /// The command (JSON text).
        command: String,
    },
    /// The sender lacks block `block`.
    Fetch {
        /// The block asked for.
        block: BlockId,
    },
    /// The answer to a Fetch: the block and its ancestors, newest first.
    Blocks {
        /// At most [`super::node::FETCH_MAX`] blocks.
        blocks: Vec<Block>,
    },
}

impl Msg {
    /// The message's kind as the page names it: `Proposal`, `Vote`, `NewView`, `Request`,
    /// `Fetch` or `Blocks`.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Proposal { .. } => "Proposal",
            Msg::Vote { .. } => "Vote",
            Msg::NewView { .. } => "NewView",
            Msg::Request { .. } => "Request",
            Msg::Fetch { .. } => "Fetch",
            Msg::Blocks { .. } => "Blocks",
        }
    }
}

/// HotStuff's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// The pacemaker's view timer (§4.4): no progress in the view for this long, and the
    /// replica moves to the next one.
    View,
}

/// HotStuff's settings, beyond the simulator's (µs).
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The pacemaker's base view timeout (default 150 ms); doubled for each successive
    /// timeout without progress, at most 16 times the base.
    pub view_timeout_us: Micros,
    /// Deliberate bugs in every replica (see [`super::Bug`]; default none).
    pub bugs: BugSet,
}

impl Default for Options {
    fn default() -> Self {
        Options { view_timeout_us: 150_000, bugs: BugSet::NONE }
    }
}

impl Options {
    /// Checks every rule; errors name the JS key (`viewTimeoutMs`) and the rule.
    pub fn validate(&self) -> Result<()> {
        if self.view_timeout_us == 0 || self.view_timeout_us > crate::sim::config::MAX_DURATION_US {
            return Err(Error::invalid("viewTimeoutMs", "must be above 0 and at most 3600000 ms"));
        }
        Ok(())
    }
}

/// Chained HotStuff, with its options: the [`Protocol`] the simulator drives.
#[derive(Clone, Debug, PartialEq)]
pub struct HotStuff {
    /// The settings every replica follows.
    pub options: Options,
}

/// A decided value, as the checker sees it: a committed block, executed in height order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The block's height (from 1).
    pub height: u64,
    /// The block.
    pub block: BlockId,
    /// Its parent (the block executed before it).
    pub parent: BlockId,
    /// The view it was proposed in.
    pub view: View,
    /// Its commands (JSON text).
    pub commands: Vec<String>,
}

/// One simulated HotStuff replica: the core, its key-value state machine, and the answers it
/// owes clients.
#[derive(Clone, Debug)]
pub struct HotStuffNode {
    /// The replica.
    pub core: Replica,
    /// The state machine, as this replica has executed the committed blocks (volatile: rebuilt
    /// after a restart).
    pub kv: Kv,
    /// (client id, seq) → client index: answered when the command executes here.
    owed: Map<(ClientId, u64), usize>,
}

impl Protocol for HotStuff {
    type Node = HotStuffNode;
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Decision = Decision;
    type Checker = Checker;

    const BUGS: &'static [BugInfo] = &super::bug::BUG_LIST;
    const BEHAVIOURS: &'static [BehaviourInfo] = &super::bug::BEHAVIOUR_LIST;

    fn set_bugs(&mut self, _nodes: &mut [HotStuffNode], bugs: BugSet) {
        self.options.bugs = bugs;
    }

    fn bugs(&self) -> BugSet {
        self.options.bugs
    }

    fn set_byzantine(&self, node: &mut HotStuffNode, behaviour: Option<usize>) {
        node.core.set_behaviour(behaviour.and_then(|i| Behaviour::ALL.get(i).copied()));
    }

    fn new_node(&self, id: NodeId, members: &[NodeId]) -> HotStuffNode {
        HotStuffNode { core: Replica::new(id, members.len()), kv: Kv::new(), owed: Map::new() }
    }

    fn on_start(&self, n: &mut HotStuffNode, cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.start(&self.options, cx, out);
    }

    fn on_msg(&self, n: &mut HotStuffNode, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) -> (Note, bool) {
        let (what, routine) = n.core.on_msg(&self.options, cx, from, msg, out);
        (Note::Msg { at: cx.me, from, what }, routine)
    }

    fn on_timer(&self, n: &mut HotStuffNode, cx: &mut Ctx, timer: Timer, out: &mut Out<Self>) {
        match timer {
            Timer::View => n.core.view_timeout(&self.options, cx, out),
        }
    }

    /// The replica keeps the command, sends it to every other replica unless it already held
    /// it (whoever leads next proposes it), and answers the client when the block carrying it
    /// executes here.
    fn on_client(&self, n: &mut HotStuffNode, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>) {
        let (c, id, seq) = (call.client, call.id, call.command.seq);
        out.note(Note::ClientCall { at: cx.me, client: id, op: call.command.op.clone() });
        let command = call.command.encode();
        if n.core.executed_command(&command) {
            // A retry of a command executed here already (its answer was lost or slow): the
            // store's session answers it again; it is not proposed again.
            if let Some(output) = n.kv.apply(&call.command) {
                out.push(Effect::Reply { client: c, seq, answer: Answer::Done(output) });
            }
            return;
        }
        n.owed.insert((id, seq), c);
        // A retry this replica already holds went to every replica the first time.
        if n.core.add_command(command.clone()) {
            for to in (0..cx.nodes).filter(|&to| to != cx.me) {
                out.send(to, Msg::Request { command: command.clone() });
            }
        }
    }

    /// The command joins the replica's pool and goes to every other replica; returns 0 (its
    /// height is known only once a leader proposes it). Never refuses.
    fn propose(&self, n: &mut HotStuffNode, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
        out.note(Note::Submitted { at: cx.me, command: command.clone() });
        n.core.add_command(command.clone());
        for to in (0..cx.nodes).filter(|&to| to != cx.me) {
            out.send(to, Msg::Request { command: command.clone() });
        }
        Ok(0)
    }

    fn on_crash(&self, n: &mut HotStuffNode, cx: &mut Ctx, out: &mut Out<Self>) {
        out.note(Note::Crash { at: cx.me, view: n.core.view(), locked: n.core.locked_qc().view, blocks: n.core.blocks().len() });
    }

    fn on_restart(&self, n: &mut HotStuffNode, cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.restart();
        n.kv = Kv::new();
        n.owed = Map::new();
        out.note(Note::Restart { at: cx.me, view: n.core.view(), locked: n.core.locked_qc().view, blocks: n.core.blocks().len() });
        n.core.start(&self.options, cx, out);
    }

    fn on_resume(&self, n: &mut HotStuffNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        n.core.resume(out);
    }

    /// Committed blocks are executed in height order (the checker sees each decision); the
    /// replica that took a client's command answers it when the command executes.
    fn settle(&self, n: &mut HotStuffNode, _cx: &mut Ctx, out: &mut Out<Self>) {
        while let Some(b) = n.core.next_to_execute() {
            for text in &b.commands {
                let Some(cmd) = Command::decode(text) else { continue };
                let output = n.kv.apply(&cmd);
                if let Some(c) = n.owed.remove(&(cmd.client, cmd.seq)) {
                    if let Some(output) = output {
                        out.push(Effect::Reply { client: c, seq: cmd.seq, answer: Answer::Done(output) });
                    }
                }
            }
            out.push(Effect::Decide(Decision { height: b.height, block: b.id, parent: b.parent, view: b.view, commands: b.commands }));
        }
    }

    fn after_check(&self, n: &mut HotStuffNode, _cx: &mut Ctx, _out: &mut Out<Self>) {
        n.core.trail.clear();
    }

    /// The view a replica leads (the leader of its current view).
    fn leads(&self, n: &HotStuffNode) -> Option<u64> {
        n.core.leads().then(|| n.core.view())
    }

    fn committed_members(&self, _n: &HotStuffNode) -> Option<Vec<NodeId>> {
        None
    }

    fn elections(&self, n: &HotStuffNode) -> u64 {
        n.core.view_changes()
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

/// A HotStuff cluster in the simulator.
pub type HotStuffSimulation = Simulation<HotStuff>;

/// HotStuff's actions and views on the generic simulator: what tests (and later the page) call.
impl Simulation<HotStuff> {
    /// A cluster of replicas in view 1 holding only the genesis block; the leader of view 1
    /// proposes at once.
    ///
    /// Errors: the config breaks a rule of [`SimConfig::validate`], or the options one of
    /// [`Options::validate`].
    pub fn new(config: SimConfig, options: Options) -> Result<Self> {
        options.validate()?;
        Simulation::start(config, HotStuff { options })
    }

    /// The HotStuff state of replica `i` (0-based).
    pub fn node(&self, i: NodeId) -> &Replica {
        &self.node_state(i).core
    }

    /// Replica `i`'s key-value state machine.
    pub fn kv(&self, i: NodeId) -> &Kv {
        &self.node_state(i).kv
    }

    /// A command (JSON text) given to replica `i`: it keeps it and sends it to every other
    /// replica, so whoever leads proposes it. Errors: `i` is crashed or paused.
    pub fn submit(&mut self, i: NodeId, command: String) -> Result<()> {
        self.require_running(i)?;
        self.act_with(i, |p, n, cx, out| p.propose(n, cx, command, out)).0?;
        self.settle();
        Ok(())
    }
}
