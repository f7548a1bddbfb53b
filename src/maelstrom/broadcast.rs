//! A broadcast server for Maelstrom's `broadcast` workload, as a [`Protocol`]: gossip's
//! replica ([`crate::gossip::Core`]) holds the values, one key per value; new values spread
//! by eager push along the topology, batched; anti-entropy (gossip's digest exchange) runs
//! beneath to repair what partitions cut.
//!
//! - A client's `broadcast m` writes key `m` at the receiving node (gossip's
//!   [`Core::write`](crate::gossip::Core::write): a new version `(ts, writer)`); a value's
//!   writer is its origin. Merges are gossip's ([`Core::merge`](crate::gossip::Core::merge)),
//!   so a value taken twice is taken once: the set of keys only grows.
//! - [`Spread::Tree`] (the default): each node knows the whole topology (Maelstrom's `topology`
//!   message lists every node's neighbours) and relays a value along the breadth-first tree
//!   of the topology rooted at the value's origin (neighbours in listed order; the first to
//!   reach a node is its parent): a node sends a value only to its children in the origin's
//!   tree, so a value costs `N − 1` sends when nothing is lost, and arrives after as many hops
//!   as the origin's distance. Batching: a server flushes what it queued (one `Push` per
//!   neighbour) at most once per [`Options::batch_us`]: at once when its last flush is a
//!   window old, else when that window closes. A lone value goes without waiting; under load
//!   each link carries at most one message per window.
//! - [`Spread::Flood`]: Maelstrom's tutorial server (doc/03-broadcast/02-performance.md): a
//!   node that takes a new value sends it at once, alone, to every neighbour but the one it
//!   came from. For comparison with the documented figures.
//! - Anti-entropy: every [`Options::sync_us`] a node opens a push-pull digest exchange with
//!   one node drawn uniformly among all the others (gossip's `Digest` → `Reply` → `Entries`;
//!   only differences travel, and an exchange that finds none ends after the digest).
//!   Whatever a node takes by anti-entropy it also relays along the tree.
//!
//! Sans-IO: the simulator ([`crate::sim::Simulation`]) or the Maelstrom driver
//! ([`super::node`]) passes time and the RNG in and applies the effects.

use crate::error::{Error, Result};
use crate::gossip::{self, Core, Entry, Exchange, Merged};
use crate::kv::Op;
use crate::protocol::{Answer, ClientCall, Ctx, Delay, Effect, Invariants, Micros, NodeId, Out, Protocol, Violation};
use crate::sim::config::MAX_DURATION_US;

/// How new values travel (eager push); anti-entropy runs beneath either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spread {
    /// Along the origin's breadth-first tree of the topology, batched.
    Tree,
    /// To every neighbour but the sender, at once, one value per message (Maelstrom's
    /// tutorial server).
    Flood,
}

impl Spread {
    /// `tree` or `flood`.
    pub const fn name(self) -> &'static str {
        match self {
            Spread::Tree => "tree",
            Spread::Flood => "flood",
        }
    }

    /// The mode named `name`. Errors: another name.
    pub fn parse(name: &str) -> Result<Spread> {
        match name {
            "tree" => Ok(Spread::Tree),
            "flood" => Ok(Spread::Flood),
            _ => Err(Error::invalid("spread", "must be tree or flood")),
        }
    }
}

/// A broadcast server's settings. Durations µs.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// How new values travel (default [`Spread::Tree`]).
    pub spread: Spread,
    /// Tree: the batch window, µs: a server flushes its queued values at most once per window
    /// (default 100 ms; 0: each value goes at once).
    pub batch_us: Micros,
    /// Anti-entropy's round, µs (default 1 s; 0: no anti-entropy).
    pub sync_us: Micros,
}

impl Default for Options {
    fn default() -> Self {
        Options { spread: Spread::Tree, batch_us: 100_000, sync_us: 1_000_000 }
    }
}

impl Options {
    /// Checks every rule; errors name the CLI flag (`batch-ms`, `sync-ms`).
    pub fn validate(&self) -> Result<()> {
        if self.batch_us > MAX_DURATION_US {
            return Err(Error::invalid("batch-ms", "must be from 0 to 3600000 ms"));
        }
        if self.sync_us > MAX_DURATION_US || (self.sync_us > 0 && self.sync_us < 1_000) {
            return Err(Error::invalid("sync-ms", "must be 0 (off) or from 1 to 3600000 ms"));
        }
        Ok(())
    }
}

/// A message between servers.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// Eager push: values (key and entry) new to the sender, for the recipient to take.
    Push {
        /// The values.
        entries: Vec<(String, Entry)>,
    },
    /// Anti-entropy: gossip's `Digest`, `Reply` or `Entries`.
    Sync(gossip::Msg),
}

impl Msg {
    /// `Push`, or gossip's kind (`Digest`, `Reply`, `Entries`).
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Push { .. } => "Push",
            Msg::Sync(m) => m.kind(),
        }
    }
}

/// A server's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// The batch window closes: queued values go.
    Flush,
    /// Anti-entropy's round.
    Sync,
}

/// One server: gossip's replica (one key per value) and the values queued per neighbour.
#[derive(Clone, Debug)]
pub struct Server {
    /// The replica: its keys are the values this server holds.
    pub core: Core,
    /// Values waiting for the batch window, per neighbour, in order queued.
    pub outbox: Vec<(NodeId, Vec<(String, Entry)>)>,
    /// Whether a [`Timer::Flush`] is running.
    pub armed: bool,
    /// When queued values last went, µs (None: never).
    pub last_flush: Option<Micros>,
}

impl Server {
    /// The keys this server holds (its values), in key order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.core.store.keys().map(String::as_str)
    }
}

/// What a server did, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A client's broadcast written here.
    Broadcast {
        /// The server.
        at: NodeId,
        /// The value's key.
        key: String,
    },
    /// A message taken: its kind, how many values it carried, how many were new.
    Msg {
        /// The server.
        at: NodeId,
        /// The sender.
        from: NodeId,
        /// The message's kind.
        kind: &'static str,
        /// Values carried.
        values: usize,
        /// Values new here.
        news: usize,
    },
    /// The batch window closed: pushes sent.
    Flush {
        /// The server.
        at: NodeId,
        /// Messages sent.
        messages: usize,
    },
    /// Anti-entropy: a digest sent.
    Sync {
        /// The server.
        at: NodeId,
        /// The peer.
        peer: NodeId,
    },
    /// A workload client's read.
    Read {
        /// The server.
        at: NodeId,
        /// Values held.
        values: usize,
    },
}

impl Note {
    /// The event-log kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Broadcast { .. } => "broadcast",
            Note::Msg { .. } => "deliver",
            Note::Flush { .. } => "flush",
            Note::Sync { .. } => "sync",
            Note::Read { .. } => "read",
        }
    }

    /// The sentence; `names[i]` is node i's name.
    pub fn describe(&self, names: &[String]) -> String {
        match self {
            Note::Broadcast { at, key } => format!("{} takes a client's broadcast {key}", names[*at]),
            Note::Msg { at, from, kind, values, news } => format!("{} takes {kind} from {} ({values} values, {news} new)", names[*at], names[*from]),
            Note::Flush { at, messages } => format!("{} pushes its batch ({messages} messages)", names[*at]),
            Note::Sync { at, peer } => format!("{} opens anti-entropy with {}", names[*at], names[*peer]),
            Note::Read { at, values } => format!("{} answers a read ({values} values)", names[*at]),
        }
    }
}

/// The broadcast server's one rule, checked after every event: a server never forgets a value
/// (its set of keys only grows).
#[derive(Clone, Debug, Default)]
pub struct Checker {
    held: Vec<usize>,
    violations: Vec<Violation>,
}

impl Invariants<Broadcast> for Checker {
    fn new(nodes: usize) -> Self {
        Checker { held: vec![0; nodes], violations: Vec::new() }
    }
    fn add_node(&mut self) {
        self.held.push(0);
    }
    fn on_restart(&mut self, _node: NodeId) {}
    fn on_decide(&mut self, _now: Micros, _node: NodeId, _decision: &()) {}
    fn check(&mut self, now: Micros, nodes: &mut [Server], touched: &[NodeId]) {
        for &i in touched {
            let len = nodes[i].core.store.len();
            if len < self.held[i] {
                self.violations.push(Violation {
                    rule: "Values are never forgotten",
                    nodes: vec![crate::protocol::node_name(i)],
                    time_us: now,
                    detail: format!("held {} values, now {len}", self.held[i]),
                    index: None,
                });
            }
            self.held[i] = len;
        }
    }
    fn violations(&self) -> &[Violation] {
        &self.violations
    }
    fn decided(&self) -> u64 {
        0
    }
}

/// The broadcast protocol: the options, the topology, and each origin's breadth-first tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Broadcast {
    /// The settings every server follows.
    pub options: Options,
    /// Gossip's settings for writes and merges (its defaults: no bugs, no rumors).
    gossip: gossip::Options,
    /// Each node's neighbours.
    graph: Vec<Vec<NodeId>>,
    /// `parent[origin][v]`: v's parent in the breadth-first tree rooted at `origin` (None for
    /// the origin and for nodes it cannot reach).
    parent: Vec<Vec<Option<u32>>>,
}

impl Broadcast {
    /// A protocol following `options` on the topology `graph` (`graph[i]`: node i's
    /// neighbours). Errors: options breaking [`Options::validate`].
    pub fn new(options: Options, graph: Vec<Vec<NodeId>>) -> Result<Broadcast> {
        options.validate()?;
        let mut b = Broadcast { options, gossip: gossip::Options::default(), graph: Vec::new(), parent: Vec::new() };
        b.set_topology(graph);
        Ok(b)
    }

    /// Takes a new topology (`graph[i]`: node i's neighbours; ids out of range are ignored)
    /// and computes every origin's breadth-first tree.
    pub fn set_topology(&mut self, graph: Vec<Vec<NodeId>>) {
        let n = graph.len();
        let graph: Vec<Vec<NodeId>> = graph.into_iter().enumerate().map(|(i, ns)| ns.into_iter().filter(|&j| j < n && j != i).collect()).collect();
        self.parent = (0..n)
            .map(|o| {
                let mut parent = vec![None; n];
                let mut seen = vec![false; n];
                seen[o] = true;
                let mut queue = std::collections::VecDeque::from([o]);
                while let Some(v) = queue.pop_front() {
                    for &w in &graph[v] {
                        if !seen[w] {
                            seen[w] = true;
                            parent[w] = Some(v as u32);
                            queue.push_back(w);
                        }
                    }
                }
                parent
            })
            .collect();
        self.graph = graph;
    }

    /// Node `me`'s neighbours.
    pub fn neighbours(&self, me: NodeId) -> &[NodeId] {
        self.graph.get(me).map_or(&[], Vec::as_slice)
    }

    /// Node `me`'s children in the breadth-first tree rooted at `origin`.
    pub fn children(&self, origin: NodeId, me: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let parent = self.parent.get(origin);
        self.neighbours(me).iter().copied().filter(move |&w| parent.is_some_and(|p| p[w] == Some(me as u32)))
    }

    /// A client's broadcast of the value `key` at server `n`: written to its replica (a new
    /// version) and spread. Returns the version's timestamp.
    pub fn broadcast(&self, n: &mut Server, cx: &mut Ctx, key: &str, out: &mut Out<Self>) -> u64 {
        let (version, entry) = n.core.write(&self.gossip, cx.now, key, Some(String::new()));
        out.note(Note::Broadcast { at: cx.me, key: key.to_string() });
        self.spread(n, cx, key.to_string(), entry, None, out);
        version.ts
    }

    /// A value new at `n` (written here, or taken from `from`) goes on its way.
    fn spread(&self, n: &mut Server, cx: &mut Ctx, key: String, entry: Entry, from: Option<NodeId>, out: &mut Out<Self>) {
        match self.options.spread {
            Spread::Flood => {
                for &w in self.neighbours(cx.me) {
                    if Some(w) != from {
                        out.send(w, Msg::Push { entries: vec![(key.clone(), entry.clone())] });
                    }
                }
            }
            Spread::Tree => {
                let origin = entry.version.writer;
                for w in self.children(origin, cx.me) {
                    if Some(w) == from {
                        continue;
                    }
                    match n.outbox.iter_mut().find(|(x, _)| *x == w) {
                        Some((_, q)) => q.push((key.clone(), entry.clone())),
                        None => n.outbox.push((w, vec![(key.clone(), entry.clone())])),
                    }
                }
                if n.outbox.is_empty() || n.armed {
                    return;
                }
                // At most one flush per window: at once when the last is a window old, else
                // when its window closes.
                let b = self.options.batch_us;
                match n.last_flush.map(|t| t.saturating_add(b)).filter(|&due| due > cx.now) {
                    None => self.flush(n, cx, out),
                    Some(due) => {
                        n.armed = true;
                        out.set_timer(Timer::Flush, Delay::After(due - cx.now));
                    }
                }
            }
        }
    }

    fn flush(&self, n: &mut Server, cx: &mut Ctx, out: &mut Out<Self>) {
        n.last_flush = Some(cx.now);
        let mut messages = 0;
        for (w, entries) in std::mem::take(&mut n.outbox) {
            out.send(w, Msg::Push { entries });
            messages += 1;
        }
        if messages > 0 {
            out.note(Note::Flush { at: cx.me, messages });
        }
    }

    /// Merges `entries` from `from`; spreads what is new. Returns how many were.
    fn take(&self, n: &mut Server, cx: &mut Ctx, from: NodeId, entries: Vec<(String, Entry)>, out: &mut Out<Self>) -> usize {
        let mut news = 0;
        for (k, e) in entries {
            if n.core.merge(&self.gossip, cx.now, &k, e.clone()) == Merged::New {
                news += 1;
                self.spread(n, cx, k, e, Some(from), out);
            }
        }
        news
    }

    fn arm_sync(&self, out: &mut Out<Self>, first: bool) {
        let s = self.options.sync_us;
        if s > 0 {
            out.set_timer(Timer::Sync, if first { Delay::Uniform(1, s) } else { Delay::After(s) });
        }
    }
}

impl Protocol for Broadcast {
    type Node = Server;
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Decision = ();
    type Checker = Checker;

    /// Maelstrom runs tens of nodes; the trees cost N² ids.
    const MAX_NODES: usize = 1_000;
    const LEADERS: bool = false;

    fn new_node(&self, id: NodeId, _members: &[NodeId]) -> Server {
        Server { core: Core::new(id), outbox: Vec::new(), armed: false, last_flush: None }
    }

    fn on_start(&self, _n: &mut Server, _cx: &mut Ctx, out: &mut Out<Self>) {
        self.arm_sync(out, true);
    }

    fn on_msg(&self, n: &mut Server, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) -> (Note, bool) {
        let kind = msg.kind();
        let (values, news) = match msg {
            Msg::Push { entries } => (entries.len(), self.take(n, cx, from, entries, out)),
            Msg::Sync(gossip::Msg::Digest { exchange, digest }) => {
                let (entries, want) = n.core.on_digest(&self.gossip, cx.now, exchange, &digest);
                if !entries.is_empty() || !want.is_empty() {
                    out.send(from, Msg::Sync(gossip::Msg::Reply { entries, want }));
                }
                (digest.len(), 0)
            }
            Msg::Sync(gossip::Msg::Reply { entries, want }) => {
                let count = entries.len();
                let news = self.take(n, cx, from, entries, out);
                let send = n.core.entries_for(&self.gossip, cx.now, &want);
                if !send.is_empty() {
                    out.send(from, Msg::Sync(gossip::Msg::Entries { entries: send }));
                }
                (count, news)
            }
            Msg::Sync(gossip::Msg::Entries { entries }) => (entries.len(), self.take(n, cx, from, entries, out)),
            // Rumor mongering is not part of this server.
            Msg::Sync(_) => (0, 0),
        };
        (Note::Msg { at: cx.me, from, kind, values, news }, news == 0)
    }

    fn on_timer(&self, n: &mut Server, cx: &mut Ctx, timer: Timer, out: &mut Out<Self>) {
        match timer {
            Timer::Flush => {
                n.armed = false;
                self.flush(n, cx, out);
            }
            Timer::Sync => {
                self.arm_sync(out, false);
                let Some(&peer) = n.core.pick_peers(cx.rng, cx.nodes, 1).first() else { return };
                out.note(Note::Sync { at: cx.me, peer });
                out.send(peer, Msg::Sync(gossip::Msg::Digest { exchange: Exchange::PushPull, digest: n.core.digest(cx.now) }));
            }
        }
    }

    /// Key-value clients, for the simulator's generic workloads: a `put` broadcasts its key, a
    /// `get` answers how many values the server holds; the rest are refused (`ok` false).
    fn on_client(&self, n: &mut Server, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>) {
        let (c, seq) = (call.client, call.command.seq);
        let output = match call.command.op {
            Op::Put { key, .. } => {
                self.broadcast(n, cx, &key, out);
                crate::kv::Output { ok: true, value: None }
            }
            Op::Get { .. } => {
                out.note(Note::Read { at: cx.me, values: n.core.store.len() });
                crate::kv::Output { ok: true, value: Some(n.core.store.len().to_string()) }
            }
            _ => {
                out.note(Note::Read { at: cx.me, values: n.core.store.len() });
                crate::kv::Output { ok: false, value: None }
            }
        };
        out.push(Effect::Reply { client: c, seq, answer: Answer::Done(output) });
    }

    /// A command by hand broadcasts it as a value. Returns the version's timestamp.
    fn propose(&self, n: &mut Server, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
        Ok(self.broadcast(n, cx, &command, out))
    }

    fn on_crash(&self, _n: &mut Server, _cx: &mut Ctx, _out: &mut Out<Self>) {}

    /// The replica survives a crash; the queued pushes do not (anti-entropy repairs them).
    fn on_restart(&self, n: &mut Server, _cx: &mut Ctx, out: &mut Out<Self>) {
        n.outbox.clear();
        n.armed = false;
        self.arm_sync(out, true);
    }

    fn on_resume(&self, n: &mut Server, _cx: &mut Ctx, out: &mut Out<Self>) {
        if self.options.sync_us > 0 {
            out.push(Effect::ResumeTimer(Timer::Sync));
        }
        if n.armed {
            out.push(Effect::ResumeTimer(Timer::Flush));
        }
    }

    fn settle(&self, _n: &mut Server, _cx: &mut Ctx, _out: &mut Out<Self>) {}

    fn after_check(&self, _n: &mut Server, _cx: &mut Ctx, _out: &mut Out<Self>) {}

    fn leads(&self, _n: &Server) -> Option<u64> {
        None
    }

    fn committed_members(&self, _n: &Server) -> Option<Vec<NodeId>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maelstrom::Topology;

    #[test]
    fn each_origin_has_a_breadth_first_tree_covering_the_graph() {
        let b = Broadcast::new(Options::default(), Topology::Grid.neighbours(25)).unwrap();
        for o in 0..25 {
            let edges: usize = (0..25).map(|v| b.children(o, v).count()).sum();
            assert_eq!(edges, 24, "origin n{}", o + 1);
        }
        // The centre of a 5×5 grid reaches everything in 4 hops: its children are its 4 neighbours.
        assert_eq!(b.children(12, 12).count(), 4);
    }
}
