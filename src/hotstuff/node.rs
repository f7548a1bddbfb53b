//! One Chained HotStuff replica (Yin et al., PODC 2019, §5 Algorithm 3 with the pacemaker of
//! §4.4 and Algorithm 5), as a sans-IO state machine. Handlers write their effects (messages,
//! timers, stable-storage writes) into an [`Out`] buffer; they read no clock and draw no random
//! number.
//!
//! State:
//! - durable (written with [`Effect::Persist`] before the votes and proposals that depend on
//!   it): the block tree, the view, the last view voted in (`vheight`), `locked_qc`, the
//!   highest QC (`generic_qc`, the paper's `genericQC` / `qc_high`), the last view proposed in;
//! - volatile: the executed prefix (`b_exec`, re-executed after a restart), the votes and
//!   NewViews a leader tallies, the pacemaker's count of successive timeouts, the pool of
//!   client commands, proposals waiting for a missing ancestor.
//!
//! A message a traitor builds is judged, never trusted: a block's id must be its contents'
//! ([`block_id`]), a QC must name 2f + 1 distinct members that certify a known block of that
//! view, and the sender must be the view's leader. Nothing a message carries can make a handler
//! panic.

use std::collections::VecDeque;

use crate::collections::{Map, Set};

use crate::protocol::{Ctx, Delay, Effect, NodeId, Out};

use super::bug::{Behaviour, Bug};
use super::notes::{MsgNote, Note, Refusal};
use super::sim::{HotStuff, Msg, Options, Timer};

/// A view number (the paper's `viewNumber`), from 1; view 0 holds only the genesis block.
pub type View = u64;

/// A block's id: a 64-bit digest of its contents ([`block_id`]); no cryptography.
pub type BlockId = u64;

/// The genesis block's id: the root of every chain, in view 0, height 0, committed by all.
pub const GENESIS: BlockId = 0;

/// How many commands a leader puts in one block, at most.
pub const MAX_BATCH: usize = 16;
/// How many client commands a replica keeps waiting to be proposed, at most.
const MAX_POOL: usize = 256;
/// How many proposals a replica keeps while it fetches their ancestors, at most.
const MAX_WAITING: usize = 16;
/// How many blocks a Blocks answer carries, at most (the one asked for and its ancestors).
pub const FETCH_MAX: usize = 32;

/// A quorum certificate (§4.1): the replicas that voted for `block` in `view`, 2f + 1 of them
/// (the model of a threshold signature: the set of voters, in increasing id order). The genesis
/// QC certifies [`GENESIS`] in view 0 with no voters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Qc {
    /// The view the votes were cast in.
    pub view: View,
    /// The block certified (the paper's `qc.node`).
    pub block: BlockId,
    /// Who voted, by id, increasing.
    pub voters: Vec<NodeId>,
}

impl Qc {
    /// The genesis QC: [`GENESIS`] in view 0.
    pub fn genesis() -> Qc {
        Qc { view: 0, block: GENESIS, voters: Vec::new() }
    }
}

/// A block (the paper's tree node, §4 and §5): a batch of commands, the parent it extends and
/// the QC that justifies it (`justify`, the highest QC its leader knew).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    /// The digest of everything below ([`block_id`]).
    pub id: BlockId,
    /// The view it was proposed in.
    pub view: View,
    /// Its distance from the genesis block (genesis: 0).
    pub height: u64,
    /// The leader that proposed it.
    pub proposer: NodeId,
    /// The block it extends.
    pub parent: BlockId,
    /// The QC its leader attached (the paper's `b.justify`).
    pub justify: Qc,
    /// Client commands (JSON text), in order; empty: a block that only moves the chain on.
    pub commands: Vec<String>,
}

impl Block {
    /// The genesis block: id [`GENESIS`], view 0, height 0, no commands.
    pub fn genesis() -> Block {
        Block { id: GENESIS, view: 0, height: 0, proposer: 0, parent: GENESIS, justify: Qc::genesis(), commands: Vec::new() }
    }

    /// A block with these contents and the id they digest to.
    pub fn new(view: View, height: u64, proposer: NodeId, parent: BlockId, justify: Qc, commands: Vec<String>) -> Block {
        let mut b = Block { id: 0, view, height, proposer, parent, justify, commands };
        b.id = block_id(&b);
        b
    }
}

fn fnv(h: &mut u64, bytes: &[u8]) {
    *h = crate::hash::fnv1a(*h, bytes);
}

/// The digest of a block's contents (its view, height, proposer, parent, justify's view, block
/// and voters, and commands): FNV-1a, 64 bits, never [`GENESIS`]. Deterministic, so every
/// replica computes the same id; not collision-resistant against a forger (the model has no
/// cryptography, and no traitor searches for collisions).
pub fn block_id(b: &Block) -> BlockId {
    let mut h = crate::hash::FNV_OFFSET;
    for x in [b.view, b.height, b.proposer as u64, b.parent, b.justify.view, b.justify.block, b.justify.voters.len() as u64] {
        fnv(&mut h, &x.to_le_bytes());
    }
    for v in &b.justify.voters {
        fnv(&mut h, &(*v as u64).to_le_bytes());
    }
    for c in &b.commands {
        fnv(&mut h, &(c.len() as u64).to_le_bytes());
        fnv(&mut h, c.as_bytes());
    }
    if h == GENESIS {
        1
    } else {
        h
    }
}

/// The leader of view `v` among `nodes` replicas: replica `v mod nodes` (§4.4: leaders rotate).
pub fn leader_of(v: View, nodes: usize) -> NodeId {
    (v % nodes.max(1) as u64) as NodeId
}

/// f, the most traitors `nodes` replicas tolerate: ⌊(n − 1)/3⌋.
pub fn faults_tolerated(nodes: usize) -> usize {
    nodes.saturating_sub(1) / 3
}

/// The votes a QC needs among `nodes` replicas: ⌈(n + f + 1)/2⌉ (2f + 1 when n = 3f + 1);
/// one fewer (at least 1) with the `qc-2f` bug.
pub fn quorum_of(nodes: usize, qc_2f: bool) -> usize {
    let f = faults_tolerated(nodes);
    let q = (nodes + f + 2) / 2;
    if qc_2f {
        q.saturating_sub(1).max(1)
    } else {
        q
    }
}

/// What a replica did that the checker must see (drained by it after every event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trail {
    /// Voted for `block` in `view`.
    Voted(View, BlockId),
    /// Accepted a QC as valid (formed it from votes, or read it in a proposal or a NewView).
    Certified(View, BlockId),
    /// Committed the block at this height (it heads a three-chain), executed or not: a block
    /// at or below the executed height that conflicts with what was executed is not executed
    /// again, but the commit is seen.
    Committed(u64, BlockId),
}

/// How many sorted sets [`Done`] splits the committed commands into.
const DONE_SHARDS: usize = 256;

/// A set of command texts, asked only whether it holds one (never iterated): [`DONE_SHARDS`]
/// sorted sets, a command in the one its FNV-1a hash picks. A long run commits tens of
/// thousands of commands; one sorted `Vec` would shift them all on every insert (a B-tree
/// would bring its own code into the wasm), a shard shifts a few hundred. (`consensus-sim
/// check --protocol hotstuff --seeds 3..4 --events 1000000`: 20.8 s with a `BTreeSet`,
/// 41.8 s with one `Set`, 22.5 s with 256.)
#[derive(Clone, Debug, Default)]
struct Done(Vec<Set<String>>);

impl Done {
    fn shard(command: &str) -> usize {
        (crate::hash::fnv1a_str(command) % DONE_SHARDS as u64) as usize
    }

    fn contains(&self, command: &str) -> bool {
        self.0.get(Done::shard(command)).is_some_and(|s| s.contains(command))
    }

    fn insert(&mut self, command: &str) {
        if self.0.is_empty() {
            self.0.resize_with(DONE_SHARDS, Set::new);
        }
        let s = &mut self.0[Done::shard(command)];
        if !s.contains(command) {
            s.insert(command.to_string());
        }
    }
}

/// One replica's HotStuff state.
#[derive(Clone, Debug)]
pub struct Replica {
    me: NodeId,
    nodes: usize,
    // ---- durable ----
    blocks: Map<BlockId, Block>,
    view: View,
    voted_view: View,
    /// The block it last voted for (in `voted_view`; genesis before any vote).
    voted_block: BlockId,
    locked_qc: Qc,
    generic_qc: Qc,
    proposed_view: View,
    // ---- volatile ----
    exec: (BlockId, u64),
    to_execute: VecDeque<BlockId>,
    votes: Map<(View, BlockId), Vec<NodeId>>,
    new_views: Map<View, Vec<NodeId>>,
    timeouts: u32,
    pool: VecDeque<String>,
    /// Every command committed here (rebuilt after a restart, as execution starts again from
    /// genesis): a command arriving again after it committed is not proposed again.
    done: Done,
    waiting: Vec<(NodeId, Block)>,
    orphan_qcs: Vec<Qc>,
    /// Per replica: the highest view it sent a NewView for (view synchronization).
    seen_views: Vec<View>,
    view_changes: u64,
    behaviour: Option<Behaviour>,
    /// For the checker (drained after every event; cleared by `after_check`).
    pub(crate) trail: Vec<Trail>,
}

impl Replica {
    /// Replica `me` of `nodes`: only the genesis block, in view 1, locked on genesis.
    pub fn new(me: NodeId, nodes: usize) -> Replica {
        let mut blocks = Map::new();
        blocks.insert(GENESIS, Block::genesis());
        Replica {
            me,
            nodes,
            blocks,
            view: 1,
            voted_view: 0,
            voted_block: GENESIS,
            locked_qc: Qc::genesis(),
            generic_qc: Qc::genesis(),
            proposed_view: 0,
            exec: (GENESIS, 0),
            to_execute: VecDeque::new(),
            votes: Map::new(),
            new_views: Map::new(),
            timeouts: 0,
            pool: VecDeque::new(),
            done: Done::default(),
            waiting: Vec::new(),
            orphan_qcs: Vec::new(),
            seen_views: Vec::new(),
            view_changes: 0,
            behaviour: None,
            trail: Vec::new(),
        }
    }

    // ---- queries --------------------------------------------------------------------------

    /// This replica's id.
    pub fn me(&self) -> NodeId {
        self.me
    }
    /// The cluster's size.
    pub fn nodes(&self) -> usize {
        self.nodes
    }
    /// The pacemaker's current view (`curView`).
    pub fn view(&self) -> View {
        self.view
    }
    /// The last view it voted in (`vheight`; 0: none).
    pub fn voted_view(&self) -> View {
        self.voted_view
    }
    /// The QC of the block it is locked on (`lockedQC`).
    pub fn locked_qc(&self) -> &Qc {
        &self.locked_qc
    }
    /// The highest QC it knows (`genericQC`, `qc_high`).
    pub fn generic_qc(&self) -> &Qc {
        &self.generic_qc
    }
    /// Every block it holds, by id (genesis included).
    pub fn blocks(&self) -> &Map<BlockId, Block> {
        &self.blocks
    }
    /// The block `id`, if held.
    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.blocks.get(&id)
    }
    /// The last block it executed (`b_exec`) and its height (genesis, 0: none).
    pub fn executed(&self) -> (BlockId, u64) {
        self.exec
    }
    /// The leader of the current view.
    pub fn leader(&self) -> NodeId {
        leader_of(self.view, self.nodes)
    }
    /// Whether it leads its current view.
    pub fn leads(&self) -> bool {
        self.leader() == self.me
    }
    /// The last view it proposed in (0: never).
    pub fn proposed_view(&self) -> View {
        self.proposed_view
    }
    /// Views it left because its timer ran out.
    pub fn view_changes(&self) -> u64 {
        self.view_changes
    }
    /// Successive timeouts without progress (the pacemaker doubles its timer for each).
    pub fn timeouts(&self) -> u32 {
        self.timeouts
    }
    /// Client commands waiting to be proposed, oldest first.
    pub fn pool(&self) -> impl Iterator<Item = &str> + '_ {
        self.pool.iter().map(String::as_str)
    }
    /// The traitor's behaviour, if it is one.
    pub fn behaviour(&self) -> Option<Behaviour> {
        self.behaviour
    }
    /// What it voted and certified since the checker last looked.
    pub fn trail(&self) -> &[Trail] {
        &self.trail
    }
    /// The votes a QC needs (see [`quorum_of`]).
    pub fn quorum(&self, opts: &Options) -> usize {
        quorum_of(self.nodes, opts.bugs.has(Bug::Qc2f))
    }
    /// Whether it is counting its own last vote as the collector: it leads the view after
    /// that vote's view (§5: a vote goes to the next view's leader, who forms the QC), its own
    /// vote is among those it counted for that block, fewer than a quorum so far, and it knows
    /// no QC of that view or later: the others' votes are still to come. Its vote (`vheight`,
    /// §4.3) is durable; the count is volatile, lost in a crash.
    pub fn counts_own_vote(&self, opts: &Options) -> bool {
        let v = self.voted_view;
        v > self.generic_qc.view
            && leader_of(v.saturating_add(1), self.nodes) == self.me
            && self.votes.get(&(v, self.voted_block)).is_some_and(|voters| voters.contains(&self.me) && voters.len() < self.quorum(opts))
    }

    /// Makes this replica a traitor with `b`, or honest (None).
    pub fn set_behaviour(&mut self, b: Option<Behaviour>) {
        self.behaviour = b;
    }

    /// Whether block `b` extends block `ancestor` (or is it): following parents from `b` down
    /// to `ancestor`'s height meets `ancestor`.
    pub fn extends(&self, b: BlockId, ancestor: BlockId) -> bool {
        let Some(target) = self.blocks.get(&ancestor) else { return false };
        let mut x = b;
        loop {
            let Some(blk) = self.blocks.get(&x) else { return false };
            if blk.height <= target.height {
                return x == ancestor;
            }
            x = blk.parent;
        }
    }

    // ---- validation -------------------------------------------------------------------------

    /// Whether `qc` is a valid certificate here: the genesis QC, or 2f + 1 distinct members
    /// (increasing ids) that voted for a block this replica holds, of that view.
    fn qc_valid(&self, opts: &Options, qc: &Qc) -> bool {
        if *qc == Qc::genesis() {
            return true;
        }
        let distinct = qc.voters.windows(2).all(|w| w[0] < w[1]);
        let members = qc.voters.iter().all(|&v| v < self.nodes);
        distinct && members && qc.voters.len() >= self.quorum(opts) && self.blocks.get(&qc.block).is_some_and(|b| b.view == qc.view && b.id != GENESIS)
    }

    /// Whether `b` is well formed here (its parent and justify's block held): the id digests
    /// its contents, its height and view follow its parent's, its proposer leads its view, its
    /// QC is valid and older than it, and it carries at most [`MAX_BATCH`] commands.
    fn block_valid(&self, opts: &Options, b: &Block) -> bool {
        let Some(parent) = self.blocks.get(&b.parent) else { return false };
        b.id != GENESIS
            && b.id == block_id(b)
            && parent.height.checked_add(1) == Some(b.height)
            && b.view > parent.view
            && b.proposer < self.nodes
            && b.proposer == leader_of(b.view, self.nodes)
            && b.justify.view < b.view
            && b.commands.len() <= MAX_BATCH
            && self.qc_valid(opts, &b.justify)
    }

    /// `safeNode(b, b.justify)` (§4.2, Algorithm 1): `b` extends the locked block (safety), or
    /// its QC is newer than the lock (liveness). Always true with the `ignore-lock` bug.
    pub fn safe_node(&self, opts: &Options, b: &Block) -> bool {
        opts.bugs.has(Bug::IgnoreLock) || self.extends(b.id, self.locked_qc.block) || b.justify.view > self.locked_qc.view
    }

    // ---- helpers ----------------------------------------------------------------------------

    fn broadcast(&self, out: &mut Out<HotStuff>, msg: Msg) {
        for to in (0..self.nodes).filter(|&to| to != self.me) {
            out.send(to, msg.clone());
        }
    }

    /// The pacemaker's timer for the current view: the base timeout, doubled for every
    /// successive timeout (at most 2⁴ times).
    pub fn view_timeout_us(&self, opts: &Options) -> u64 {
        opts.view_timeout_us.saturating_mul(1 << self.timeouts.min(4))
    }

    fn restart_timer(&self, opts: &Options, out: &mut Out<HotStuff>) {
        out.push(Effect::CancelTimer(Timer::View));
        out.set_timer(Timer::View, Delay::After(self.view_timeout_us(opts)));
    }

    /// The pacemaker moves to view `v` (nothing if it is there or past it). `progress`: a QC
    /// or a vote moved it (successive timeouts start again from the base timeout).
    fn enter_view(&mut self, opts: &Options, v: View, progress: bool, out: &mut Out<HotStuff>) {
        if v < self.view {
            return;
        }
        if progress {
            self.timeouts = 0;
        }
        if v == self.view {
            return;
        }
        self.view = v;
        self.new_views.retain(|&w, _| w >= v);
        self.restart_timer(opts, out);
    }

    /// Stores a valid block (its parent already held).
    fn insert(&mut self, b: Block) {
        self.blocks.entry(b.id).or_insert(b);
    }

    /// A valid QC for a block it holds (§5 Algorithm 3, the chained phases): `generic_qc`
    /// becomes it if newer (pre-commit of `b''`); if `b''`'s parent is the block its own QC
    /// certifies, `locked_qc` becomes that QC (commit phase of `b'`: a two-chain); if `b'`'s
    /// parent is in turn the block `b'`'s QC certifies, and `b`, `b'`, `b''` were proposed in
    /// consecutive views, `b` commits (decide: a three-chain of direct parents in consecutive
    /// views). The pacemaker moves past the QC's view.
    ///
    /// Consecutive views: the paper's Chained HotStuff pads a failed view with a dummy block
    /// (§5, "dummy nodes"), so there a direct parent is always the previous view's block; we
    /// do not pad, so we must check the views (the rule LibraBFT/DiemBFT state as
    /// `b0.round + 1 = b1.round` and `b1.round + 1 = b2.round`). Without the check, two
    /// blocks at one height certified in different views can each head a three-chain and a
    /// replica commits both: seed 8572 of `check --protocol hotstuff --nodes 4 --byzantine 1`
    /// (no fault; two extra client commands) did exactly that.
    fn update(&mut self, opts: &Options, qc: &Qc, out: &mut Out<HotStuff>) -> Option<u64> {
        if qc.view > 0 {
            self.trail.push(Trail::Certified(qc.view, qc.block));
        }
        if qc.view > self.generic_qc.view {
            self.generic_qc = qc.clone();
        }
        self.enter_view(opts, qc.view.saturating_add(1), true, out);
        let b2 = self.blocks.get(&qc.block)?;
        let qc1 = b2.justify.clone();
        let b1 = self.blocks.get(&qc1.block)?;
        if b2.parent != b1.id || b1.id == GENESIS {
            return None;
        }
        let (b1_parent, qc0, v1, v2) = (b1.parent, b1.justify.clone(), b1.view, b2.view);
        if qc1.view > self.locked_qc.view {
            self.locked_qc = qc1;
        }
        let b0 = self.blocks.get(&qc0.block)?;
        if b1_parent != b0.id || b0.id == GENESIS {
            return None;
        }
        if (v1 != b0.view.saturating_add(1) || v2 != v1.saturating_add(1)) && !opts.bugs.has(Bug::AnyViewChain) {
            return None;
        }
        let id = b0.id;
        self.commit(id)
    }

    /// Block `id` is committed (it heads a three-chain): it and its ancestors above the last
    /// executed block are queued for execution, oldest first (one at or below the executed
    /// height is only reported to the checker). Returns the new executed height.
    fn commit(&mut self, id: BlockId) -> Option<u64> {
        let height = self.blocks.get(&id)?.height;
        self.trail.push(Trail::Committed(height, id));
        if height <= self.exec.1 {
            return None;
        }
        let mut chain = Vec::new();
        let mut x = id;
        while let Some(b) = self.blocks.get(&x) {
            if b.height <= self.exec.1 {
                break;
            }
            chain.push(x);
            x = b.parent;
        }
        // Their commands leave the pool now, not when executed: a leader proposing in this same
        // step must not propose them again.
        for x in &chain {
            if let Some(b) = self.blocks.get(x) {
                self.pool.retain(|c| !b.commands.contains(c));
                for c in &b.commands {
                    self.done.insert(c);
                }
            }
        }
        self.to_execute.extend(chain.into_iter().rev());
        self.exec = (id, height);
        Some(height)
    }

    /// The next committed block to execute, oldest first (settle drains these).
    pub fn next_to_execute(&mut self) -> Option<Block> {
        let id = self.to_execute.pop_front()?;
        self.blocks.get(&id).cloned()
    }

    /// A QC to act on: valid and its block held, it is acted on; its block missing, it waits and
    /// the block is fetched from `from`.
    fn take_qc(&mut self, opts: &Options, from: NodeId, qc: Qc, out: &mut Out<HotStuff>) -> Option<u64> {
        if qc.view == 0 || self.blocks.contains_key(&qc.block) {
            if self.qc_valid(opts, &qc) {
                return self.update(opts, &qc, out);
            }
            return None;
        }
        if from != self.me && self.orphan_qcs.len() < MAX_WAITING && !self.orphan_qcs.contains(&qc) {
            self.orphan_qcs.push(qc.clone());
            out.send(from, Msg::Fetch { block: qc.block });
        }
        None
    }

    // ---- leader -----------------------------------------------------------------------------

    /// A leader proposes when it leads the current view, has not proposed in it, and holds the
    /// QC of the view before (the happy path, §5) or NewViews from a quorum (§4.4) and every
    /// block their QCs name.
    fn try_propose(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<HotStuff>) {
        let v = self.view;
        if leader_of(v, self.nodes) != self.me || self.proposed_view >= v {
            return;
        }
        if self.generic_qc.view.checked_add(1) == Some(v) {
            self.propose(opts, cx, out);
            return;
        }
        // On NewViews: a QC they carried for a block still being fetched may be the highest;
        // the leader waits for the block (a lost answer lets the view time out).
        // The leader counts itself: it is in view v, whether a timeout or a vote brought it.
        let waiting = self.orphan_qcs.iter().any(|q| q.view > self.generic_qc.view);
        let me = self.me;
        let ready = self.new_views.get(&v).map_or(0, |s| s.len() + usize::from(!s.contains(&me)));
        if !waiting && ready >= self.quorum(opts) {
            self.propose(opts, cx, out);
        }
    }

    /// The commands of the chain from `tip` down to the executed block (at most 64 blocks).
    fn pending_commands(&self, tip: BlockId) -> Vec<&String> {
        let mut seen = Vec::new();
        let mut x = tip;
        for _ in 0..64 {
            let Some(b) = self.blocks.get(&x) else { break };
            if b.height <= self.exec.1 {
                break;
            }
            seen.extend(b.commands.iter());
            x = b.parent;
        }
        seen
    }

    /// A new block for view `v` extending `qc`'s block, with the pool's commands not yet on
    /// that chain (`extra`: one more, to make an equivocating twin differ).
    fn make_block(&self, v: View, qc: &Qc, extra: Option<&str>) -> Option<Block> {
        let parent = self.blocks.get(&qc.block)?;
        let on_chain = self.pending_commands(qc.block);
        let mut commands: Vec<String> = self.pool.iter().filter(|c| !on_chain.contains(c)).take(MAX_BATCH - 1).cloned().collect();
        commands.extend(extra.map(str::to_string));
        Some(Block::new(v, parent.height.saturating_add(1), self.me, parent.id, qc.clone(), commands))
    }

    /// The leader proposes (§5: `createLeaf(genericQC.node, cmd, genericQC)`), writes it to
    /// stable storage, sends it to every replica and handles it itself as a replica. A traitor
    /// acts out its behaviour here.
    pub fn propose(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<HotStuff>) {
        let v = self.view;
        let qc = self.generic_qc.clone();
        let Some(block) = self.make_block(v, &qc, None) else { return };
        self.proposed_view = v;
        match self.behaviour {
            Some(Behaviour::Equivocate) => {
                let Some(twin) = self.make_block(v, &qc, Some("\"equivocation\"")) else { return };
                out.note(Note::Proposed { at: cx.me, view: v, block: block.id, height: block.height, commands: block.commands.len(), justify: qc.view, twin: Some(twin.id) });
                self.insert(block.clone());
                self.insert(twin.clone());
                let others: Vec<NodeId> = (0..self.nodes).filter(|&i| i != self.me).collect();
                let half = others.len() / 2;
                for (k, &to) in others.iter().enumerate() {
                    out.send(to, Msg::Proposal { block: if k < half { block.clone() } else { twin.clone() } });
                }
                out.push(Effect::Hold(opts.view_timeout_us / 8));
                for (k, &to) in others.iter().enumerate() {
                    out.send(to, Msg::Proposal { block: if k < half { twin.clone() } else { block.clone() } });
                }
                self.on_proposal(opts, cx, self.me, block, out);
                self.on_proposal(opts, cx, self.me, twin, out);
                return;
            }
            Some(Behaviour::Fork) => {
                let mut old = qc.clone();
                for _ in 0..4 {
                    match self.blocks.get(&old.block) {
                        Some(b) if b.id != GENESIS => old = b.justify.clone(),
                        _ => break,
                    }
                }
                if let Some(fork) = self.make_block(v, &old, Some("\"fork\"")) {
                    out.note(Note::Proposed { at: cx.me, view: v, block: fork.id, height: fork.height, commands: fork.commands.len(), justify: old.view, twin: None });
                    self.insert(fork.clone());
                    out.push(Effect::Persist);
                    self.broadcast(out, Msg::Proposal { block: fork.clone() });
                    self.on_proposal(opts, cx, self.me, fork, out);
                    return;
                }
            }
            _ => {}
        }
        out.note(Note::Proposed { at: cx.me, view: v, block: block.id, height: block.height, commands: block.commands.len(), justify: qc.view, twin: None });
        self.insert(block.clone());
        out.push(Effect::Persist);
        self.broadcast(out, Msg::Proposal { block: block.clone() });
        self.on_proposal(opts, cx, self.me, block, out);
    }

    // ---- handlers ---------------------------------------------------------------------------

    /// A message from `from` arrives. Returns what the replica did, and whether it was
    /// routine (changed nothing to speak of).
    pub fn on_msg(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<HotStuff>) -> (MsgNote, bool) {
        if from >= self.nodes {
            return (MsgNote::NotMember, true);
        }
        let note = match msg {
            Msg::Proposal { block } => self.on_proposal(opts, cx, from, block, out),
            Msg::Vote { view, block } => self.on_vote(opts, cx, from, view, block, out),
            Msg::NewView { view, generic_qc } => self.on_new_view(opts, cx, from, view, generic_qc, out),
            Msg::Request { command } => self.on_request(command),
            Msg::Fetch { block } => self.on_fetch(from, block, out),
            Msg::Blocks { blocks } => self.on_blocks(opts, cx, from, blocks, out),
        };
        let routine = matches!(note, MsgNote::Duplicate { .. } | MsgNote::Request { fresh: false });
        (note, routine)
    }

    /// A proposal (§5 Algorithm 3, replica side): checked (its sender leads its view, it is
    /// well formed), its QC acted on (`update`), then voted for when it is of the current view
    /// or later, newer than the last vote, and `safe_node`; the vote goes to the next view's
    /// leader, and the pacemaker moves to the next view.
    pub fn on_proposal(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, block: Block, out: &mut Out<HotStuff>) -> MsgNote {
        let (view, id) = (block.view, block.id);
        if from != block.proposer || from != leader_of(view, self.nodes) {
            return MsgNote::Refused { view, block: id, why: Refusal::NotLeader };
        }
        let known = self.blocks.contains_key(&id);
        if known && view <= self.voted_view && from != self.me && self.behaviour != Some(Behaviour::DoubleVote) && !opts.bugs.has(Bug::DoubleVote) {
            return MsgNote::Duplicate { view, block: id };
        }
        if !self.blocks.contains_key(&block.parent) || !self.blocks.contains_key(&block.justify.block) {
            let missing = if self.blocks.contains_key(&block.parent) { block.justify.block } else { block.parent };
            if view.saturating_add(64) >= self.view && self.waiting.len() < MAX_WAITING && !self.waiting.iter().any(|(_, b)| b.id == id) {
                self.waiting.push((from, block));
                out.send(from, Msg::Fetch { block: missing });
            }
            return MsgNote::Waiting { view, block: id, missing };
        }
        if !self.block_valid(opts, &block) {
            return MsgNote::Refused { view, block: id, why: Refusal::Invalid };
        }
        let height = block.height;
        self.insert(block.clone());
        let committed = self.update(opts, &block.justify, out);
        // A double-voting traitor votes for whatever it is shown; any traitor for its own blocks.
        let traitor_votes = self.behaviour == Some(Behaviour::DoubleVote) || (from == self.me && self.behaviour.is_some());
        let newer = if opts.bugs.has(Bug::DoubleVote) { view >= self.voted_view } else { view > self.voted_view };
        let why = if traitor_votes {
            None
        } else if view < self.view && !(opts.bugs.has(Bug::DoubleVote) && view == self.voted_view) {
            Some(Refusal::OldView)
        } else if !newer {
            Some(Refusal::VotedAlready)
        } else if !self.safe_node(opts, &block) {
            Some(Refusal::Unsafe)
        } else {
            None
        };
        if let Some(why) = why {
            self.try_propose(opts, cx, out);
            return MsgNote::Refused { view, block: id, why };
        }
        if view >= self.voted_view {
            self.voted_view = view;
            self.voted_block = id;
        }
        self.trail.push(Trail::Voted(view, id));
        self.enter_view(opts, view.saturating_add(1), true, out);
        let next = leader_of(view.saturating_add(1), self.nodes);
        out.push(Effect::Persist);
        if next == self.me {
            self.on_vote(opts, cx, self.me, view, id, out);
        } else {
            out.send(next, Msg::Vote { view, block: id });
        }
        self.try_propose(opts, cx, out);
        MsgNote::Voted { view, block: id, height, locked: self.locked_qc.view, committed, to: next }
    }

    /// A vote, at the leader of the next view (or, re-sent after that view failed, at the
    /// leader of a later one up to the view after its own: see [`Replica::send_new_view`]):
    /// counted once per voter; 2f + 1 for one block make its QC, which the leader acts on (and
    /// proposes on, §5's happy path).
    fn on_vote(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, view: View, block: BlockId, out: &mut Out<HotStuff>) -> MsgNote {
        // (the next view's leader collects even before it reaches that view itself)
        let last = self.view.saturating_add(1).min(view.saturating_add(self.nodes as u64));
        let next = view.saturating_add(1);
        let collects = (next..=last.max(next)).any(|k| leader_of(k, self.nodes) == self.me);
        if !collects || view < self.generic_qc.view || view == 0 {
            return MsgNote::VoteIgnored { view, block };
        }
        let quorum = self.quorum(opts);
        let voters = self.votes.entry((view, block)).or_default();
        if voters.contains(&from) {
            return MsgNote::Duplicate { view, block };
        }
        voters.push(from);
        let count = voters.len();
        if count != quorum {
            return MsgNote::VoteCounted { view, block, votes: count, quorum, certified: false };
        }
        let mut list = voters.clone();
        crate::collections::sort_small(&mut list);
        let qc = Qc { view, block, voters: list };
        self.votes.retain(|(v, _), _| *v >= view);
        self.take_qc(opts, leader_of(view, self.nodes), qc, out);
        self.try_propose(opts, cx, out);
        MsgNote::VoteCounted { view, block, votes: count, quorum, certified: true }
    }

    /// A NewView (§4.4, Algorithm 5): a replica that left its view for `view` sends its highest
    /// QC to every replica. Any replica acts on the QC; one that sees f + 1 replicas past its
    /// view (one of them at least honest) joins the lowest of their views and sends its own
    /// NewView for it (view synchronization, as Bracha's amplification: the paper leaves the
    /// pacemaker's synchronization open); `view`'s leader counts the NewViews for its view
    /// and, with a quorum, moves to it and proposes on the highest QC it knows.
    fn on_new_view(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, view: View, qc: Qc, out: &mut Out<HotStuff>) -> MsgNote {
        if view < self.view || view > self.view.saturating_add(1 << 20) {
            return MsgNote::NewViewIgnored { view };
        }
        let qc_view = qc.view;
        self.take_qc(opts, from, qc, out);
        let mut joined = None;
        if view > self.view && from != self.me {
            if self.seen_views.len() < self.nodes {
                self.seen_views.resize(self.nodes, 0);
            }
            self.seen_views[from] = self.seen_views[from].max(view);
            // The (f + 1)-th highest view among those past ours (the one at index f in
            // decreasing order): the highest view that at least f + 1 of them reach. Found
            // without a sort (a sort would bring its own code into the wasm).
            let ahead = || self.seen_views.iter().copied().filter(|&v| v > self.view);
            let f = super::node::faults_tolerated(self.nodes);
            if let Some(target) = ahead().filter(|&v| ahead().filter(|&w| w >= v).count() > f).max() {
                self.view_changes += 1;
                self.enter_view(opts, target, false, out);
                joined = Some(target);
                self.send_new_view(opts, cx, out);
            }
        }
        let (count, proposed) = self.count_new_view(opts, cx, from, view, out);
        MsgNote::NewView { view, count, quorum: self.quorum(opts), generic_qc: qc_view, proposed, joined }
    }

    /// Whether [`Replica::send_new_view`] re-sends the last vote: it went to the leader of a
    /// view since left, and no QC for it is known.
    fn resends_vote(&self) -> bool {
        self.voted_view > self.generic_qc.view && self.voted_view.saturating_add(1) < self.view
    }

    /// Sends a NewView for the current view, with the highest QC, to every replica (and counts
    /// its own if it leads that view).
    ///
    /// Before it, the replica re-sends its last vote to the leader of the view it enters, when
    /// that vote went to the leader of a view since left and no QC for it is known: a vote goes
    /// to the next view's leader, so with that leader down the last block of a three-chain of
    /// consecutive views would never get its QC. With round-robin leaders and N = 4, one crashed
    /// replica would then stop every commit (three honest leaders in a row and a fourth to
    /// collect the votes never happen). This is our pacemaker's choice, not the paper's, which
    /// leaves the pacemaker open (§4.4). Safety does not change: a QC is 2f + 1 votes for one
    /// block in one view, whoever collects them.
    fn send_new_view(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<HotStuff>) {
        let v = self.view;
        let (voted, block) = (self.voted_view, self.voted_block);
        if self.resends_vote() {
            let to = leader_of(v, self.nodes);
            if to == self.me {
                self.on_vote(opts, cx, self.me, voted, block, out);
            } else {
                out.send(to, Msg::Vote { view: voted, block });
            }
        }
        self.broadcast(out, Msg::NewView { view: v, generic_qc: self.generic_qc.clone() });
        self.count_new_view(opts, cx, self.me, v, out);
    }

    /// The leader of `view` counts `from`'s NewView; with a quorum it moves to `view` and
    /// proposes. Returns the NewViews held and whether it proposed.
    fn count_new_view(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, view: View, out: &mut Out<HotStuff>) -> (usize, bool) {
        if leader_of(view, self.nodes) != self.me || view < self.view {
            return (0, false);
        }
        let senders = self.new_views.entry(view).or_default();
        if !senders.contains(&from) {
            senders.push(from);
        }
        let count = senders.len();
        if count >= self.quorum(opts) && view > self.view {
            self.enter_view(opts, view, false, out);
        }
        let before = self.proposed_view;
        self.try_propose(opts, cx, out);
        (count, self.proposed_view > before)
    }

    /// A client command broadcast by the replica that took it: kept until it executes.
    fn on_request(&mut self, command: String) -> MsgNote {
        let fresh = self.add_command(command);
        MsgNote::Request { fresh }
    }

    /// Whether `command` was committed here (in a block heading a three-chain, §5; it is
    /// executed in the same step).
    pub fn executed_command(&self, command: &str) -> bool {
        self.done.contains(command)
    }

    /// Adds a command to the pool (unless there already, or executed here already: a command
    /// executes once); returns whether it was new.
    pub fn add_command(&mut self, command: String) -> bool {
        if self.pool.contains(&command) || self.done.contains(&command) {
            return false;
        }
        if self.pool.len() >= MAX_POOL {
            self.pool.pop_front();
        }
        self.pool.push_back(command);
        true
    }

    /// A replica asks for a block it lacks: it gets the block and up to [`FETCH_MAX`] − 1 of
    /// its ancestors, newest first.
    fn on_fetch(&mut self, from: NodeId, id: BlockId, out: &mut Out<HotStuff>) -> MsgNote {
        let mut blocks = Vec::new();
        let mut x = id;
        while blocks.len() < FETCH_MAX {
            match self.blocks.get(&x) {
                Some(b) if b.id != GENESIS => {
                    blocks.push(b.clone());
                    x = b.parent;
                }
                _ => break,
            }
        }
        let sent = blocks.len();
        if sent > 0 {
            out.send(from, Msg::Blocks { blocks });
        }
        MsgNote::Fetch { block: id, sent }
    }

    /// Blocks answering a Fetch: those that are well formed are stored, oldest first; if the
    /// oldest still lacks its parent, that is fetched too. Then the proposals and QCs that
    /// waited for them are handled again.
    fn on_blocks(&mut self, opts: &Options, cx: &mut Ctx, from: NodeId, blocks: Vec<Block>, out: &mut Out<HotStuff>) -> MsgNote {
        let received = blocks.len();
        let mut added = 0;
        let mut missing = None;
        for b in blocks.into_iter().take(FETCH_MAX).rev() {
            if self.blocks.contains_key(&b.id) {
                continue;
            }
            if !self.blocks.contains_key(&b.parent) {
                if missing.is_none() && b.id == block_id(&b) {
                    missing = Some(b.parent);
                }
                continue;
            }
            if self.block_valid(opts, &b) {
                self.insert(b);
                added += 1;
            }
        }
        if added == 0 {
            if let Some(p) = missing {
                // The oldest block sent lacks its parent: ask for it (at most once per answer).
                if !self.blocks.contains_key(&p) {
                    out.send(from, Msg::Fetch { block: p });
                }
            }
        }
        if added > 0 {
            self.retry_waiting(opts, cx, out);
        }
        MsgNote::Blocks { received, added }
    }

    /// Handles again the QCs and proposals that waited for blocks now held.
    fn retry_waiting(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<HotStuff>) {
        let qcs = std::mem::take(&mut self.orphan_qcs);
        for qc in qcs {
            if self.blocks.contains_key(&qc.block) {
                if self.qc_valid(opts, &qc) {
                    self.update(opts, &qc, out);
                }
            } else {
                self.orphan_qcs.push(qc);
            }
        }
        let waiting = std::mem::take(&mut self.waiting);
        for (from, b) in waiting {
            if self.blocks.contains_key(&b.parent) && self.blocks.contains_key(&b.justify.block) {
                let note = self.on_proposal(opts, cx, from, b, out);
                out.note(Note::Msg { at: cx.me, from, what: note });
            } else {
                self.waiting.push((from, b));
            }
        }
        self.try_propose(opts, cx, out);
    }

    // ---- timers -----------------------------------------------------------------------------

    /// The pacemaker's timer ran out (§4.4): the replica gives up on its view, moves to the
    /// next one with a timer twice as long, and sends its highest QC in a NewView (to every
    /// replica: the leader proposes on it, the others synchronize their views).
    pub fn view_timeout(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<HotStuff>) {
        let from = self.view;
        self.orphan_qcs.clear();
        self.timeouts = self.timeouts.saturating_add(1);
        self.view_changes += 1;
        let v = from.saturating_add(1);
        self.view = v;
        self.new_views.retain(|&w, _| w >= v);
        let leader = leader_of(v, self.nodes);
        let resent = self.resends_vote().then_some(self.voted_view);
        out.note(Note::Timeout { at: cx.me, view: from, next: v, leader, timeout_us: self.view_timeout_us(opts), resent });
        self.restart_timer(opts, out);
        self.send_new_view(opts, cx, out);
    }

    // ---- lifecycle --------------------------------------------------------------------------

    /// The replica starts (or restarts): its view timer runs, and the leader of its view
    /// proposes if it can.
    pub fn start(&mut self, opts: &Options, cx: &mut Ctx, out: &mut Out<HotStuff>) {
        self.restart_timer(opts, out);
        self.try_propose(opts, cx, out);
    }

    /// The replica restarts after a crash with its durable state only (blocks, view, vote,
    /// locks, highest QC, last proposal): it executes again from the genesis block.
    pub fn restart(&mut self) {
        let mut fresh = Replica::new(self.me, self.nodes);
        fresh.blocks = std::mem::take(&mut self.blocks);
        fresh.view = self.view;
        fresh.voted_view = self.voted_view;
        fresh.voted_block = self.voted_block;
        fresh.locked_qc = std::mem::take(&mut self.locked_qc);
        fresh.generic_qc = std::mem::take(&mut self.generic_qc);
        fresh.proposed_view = self.proposed_view;
        fresh.view_changes = self.view_changes;
        fresh.behaviour = self.behaviour;
        *self = fresh;
    }

    /// The replica wakes from a pause: its view timer runs again.
    pub fn resume(&mut self, out: &mut Out<HotStuff>) {
        out.push(Effect::ResumeTimer(Timer::View));
    }
}
