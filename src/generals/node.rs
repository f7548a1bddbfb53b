//! One general's state and the pieces of OM(m), sans-IO: no clock, no network, no timers of
//! its own. The [`super::sim::Generals`] protocol hands in the time and the RNG and turns what
//! these functions return into effects.
//!
//! Rounds are synchronous (the paper's A3: "the absence of a message can be detected", with
//! synchronized clocks, §6): round `k` is the time `[k·R, (k+1)·R)` for a round length `R`
//! longer than any message's latency. A run of the algorithm is named by the round `g` in which
//! its commander sends his order; a message whose relay chain (its `path`, the commander first)
//! has `r` generals belongs to round `g + r − 1` and is taken only then. At the start of round
//! `g + r` (r = 1 … m) each lieutenant relays every value it holds for a path of `r` generals
//! it is not on — the value received, or [`DEFAULT`] (retreat) when none came (A2/A3) — to the
//! lieutenants not on the path (the recursion of OM(m), §3); at the start of round
//! `g + m + 1` it decides by the recursive majority ([`General::decide`]).

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use crate::collections::Map;
use crate::protocol::{BehaviourInfo, BugSet, Micros, NodeId};

use super::bug::Bug;

/// An order: the paper's two values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Order {
    /// `attack`.
    Attack,
    /// `retreat`.
    Retreat,
}

/// The order a lieutenant takes when a message is missing, and the majority of a tie (the
/// paper's RETREAT, §3: "the majority value … or RETREAT if there is none").
pub const DEFAULT: Order = Order::Retreat;

impl Order {
    /// `attack` or `retreat`.
    pub const fn name(self) -> &'static str {
        match self {
            Order::Attack => "attack",
            Order::Retreat => "retreat",
        }
    }

    /// The other order.
    pub const fn opposite(self) -> Order {
        match self {
            Order::Attack => Order::Retreat,
            Order::Retreat => Order::Attack,
        }
    }

    /// `attack` or `retreat` (any case, surrounding spaces and quotes ignored).
    pub fn parse(text: &str) -> Option<Order> {
        let t = text.trim().trim_matches('"').trim();
        if t.eq_ignore_ascii_case("attack") {
            Some(Order::Attack)
        } else if t.eq_ignore_ascii_case("retreat") {
            Some(Order::Retreat)
        } else {
            None
        }
    }
}

/// A message between generals: an oral message (the paper's A1–A3: delivered correctly, the
/// receiver knows who sent it — the simulator stamps the true sender —, its absence can be
/// detected). A traitor may put anything in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// "`path[0]` says `value`", as relayed along `path`: the commander first, then each
    /// lieutenant that relayed it; the last is the sender.
    Order {
        /// The run: the round in which its commander sent his order.
        run: u64,
        /// The relay chain, commander first.
        path: Vec<NodeId>,
        /// The order.
        value: Order,
    },
}

/// A traitor's own behaviour (the simulator's `silent` and `mute` come on top).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// `lie`: tells n2, n4, … attack and n3, n5, … retreat, whatever it heard (a traitorous
    /// commander sends two different orders).
    Lie,
    /// `flip`: tells everyone the opposite of what it heard (a traitorous commander the
    /// opposite of his order).
    Flip,
    /// `random`: tells each receiver an order drawn at random.
    Random,
    /// `forge`: tells everyone the opposite of what it heard, and also sends relay chains that
    /// end in other lieutenants, as if they had relayed the opposite (the receiver must believe
    /// the sender the network names, not the chain: A2).
    Forge,
}

impl Behaviour {
    /// Every behaviour, in [`BEHAVIOURS`] order.
    pub const ALL: [Behaviour; 4] = [Behaviour::Lie, Behaviour::Flip, Behaviour::Random, Behaviour::Forge];
}

/// The traitors' behaviours as the simulator lists them ([`crate::protocol::Protocol::BEHAVIOURS`]).
pub const BEHAVIOURS: [BehaviourInfo; 4] = [
    BehaviourInfo { name: "lie", does: "tells n2, n4, … attack and n3, n5, … retreat, whatever it heard (as commander: two different orders)" },
    BehaviourInfo { name: "flip", does: "tells everyone the opposite of what it heard (as commander: the opposite of its order)" },
    BehaviourInfo { name: "random", does: "tells each general an order drawn at random" },
    BehaviourInfo { name: "forge", does: "tells everyone the opposite of what it heard, and forges relay chains ending in other lieutenants" },
];

/// What a general holds of one run of OM(m).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The run's id: the round in which the commander sends his order.
    pub id: u64,
    /// The commander's order (at the commander only).
    pub order: Option<Order>,
    /// Whether the commander has sent his order (or missed his round).
    pub commanded: bool,
    /// The values taken, by path (a lieutenant's).
    pub received: std::collections::BTreeMap<Vec<NodeId>, Order>,
    /// Messages taken, per sender, the last general of their relay chain (the checker compares
    /// them with what loyal senders sent).
    pub accepted: Vec<u64>,
    /// Messages sent, per receiver.
    pub sent: Vec<u64>,
    /// The longest path length whose values this lieutenant has relayed (0: none yet).
    pub relayed: usize,
    /// The lieutenant's decision, once made.
    pub decision: Option<Order>,
}

impl Run {
    /// An empty run `id` in a cluster of `n`.
    pub fn new(id: u64, n: usize) -> Run {
        Run { id, order: None, commanded: false, received: Default::default(), accepted: vec![0; n], sent: vec![0; n], relayed: 0, decision: None }
    }
    /// Messages this general sent in the run.
    pub fn messages_sent(&self) -> u64 {
        self.sent.iter().sum()
    }
}

/// Why a lieutenant did not take a message (it counts as missing: the default applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// The commander takes no orders.
    Commander,
    /// The path is empty, does not start with the commander, repeats a general, names one
    /// outside the cluster, or names the receiver.
    BadPath,
    /// The sender is not the path's last general (it may only relay as itself).
    NotSender,
    /// The path is longer than OM(m)'s m + 1 generals.
    TooLong,
    /// It came outside its round (early, late, or for a run not yet started).
    WrongRound,
    /// A value for that path was taken already (the first one counts).
    Duplicate,
}

/// What a lieutenant did with an order message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Taken; `new_run`: the first it heard of the run.
    Taken {
        /// The first message of this run.
        new_run: bool,
    },
    /// Ignored.
    Ignored(Ignored),
}

/// A lieutenant's decision and how it came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The order it obeys.
    pub order: Order,
    /// The commander's order as it reached it (or the default).
    pub direct: Order,
    /// Of the values in the top-level majority (the direct one and each other lieutenant's
    /// OM(m − 1) result), how many say attack.
    pub attack: usize,
    /// How many values the top-level majority counted.
    pub votes: usize,
}

/// One general: who it is, the cluster's settings, and the runs it knows.
#[derive(Clone, Debug)]
pub struct General {
    /// This general.
    pub me: NodeId,
    /// How many generals.
    pub n: usize,
    /// The commander.
    pub commander: NodeId,
    /// OM(m)'s m.
    pub m: usize,
    /// The round length, µs.
    pub round_us: Micros,
    /// Deliberate bugs.
    pub bugs: BugSet,
    /// A traitor's own behaviour (None: loyal, or a traitor the simulator acts out).
    pub traitor: Option<Behaviour>,
    /// The runs it knows, by id.
    pub runs: Map<u64, Run>,
    /// When it last crashed, restarted or woke from a pause (the checker does not judge it in
    /// a run going on then: it may have missed its rounds).
    pub disturbed_at: Option<Micros>,
    /// Crashed and not restarted (the checker does not blame those whose messages to it were
    /// lost).
    pub down: bool,
}

/// The number of messages OM(m) sends with `n` generals: (n−1) + (n−1)(n−2) + … with m + 1
/// terms (the paper's §3: O(n^(m+1))). Saturates at `u64::MAX`.
pub fn om_messages(n: usize, m: usize) -> u64 {
    let mut total: u64 = 0;
    let mut term: u64 = 1;
    for k in 1..=m + 1 {
        if n <= k {
            break;
        }
        term = term.saturating_mul((n - k) as u64);
        total = total.saturating_add(term);
    }
    total
}

/// The m a cluster of `n` generals copes with: ⌊(n − 1)/3⌋ (Theorem 1, §3: n > 3m).
pub fn tolerated(n: usize) -> usize {
    n.saturating_sub(1) / 3
}

impl General {
    /// The round `now` falls in.
    pub fn round_of(&self, now: Micros) -> u64 {
        now / self.round_us.max(1)
    }

    /// Whether this general is the commander.
    pub fn is_commander(&self) -> bool {
        self.me == self.commander
    }

    /// How many rounds the lieutenants run: m + 1 (m with `one-round-short`).
    pub fn rounds(&self) -> usize {
        if self.bugs.has(Bug::OneRoundShort) {
            self.m
        } else {
            self.m + 1
        }
    }

    /// The run `id`, created if new.
    pub fn run_mut(&mut self, id: u64) -> &mut Run {
        if !self.runs.contains_key(&id) {
            self.runs.insert(id, Run::new(id, self.n));
        }
        self.runs.get_mut(&id).expect("just inserted")
    }

    /// Whether some run still needs this general at a coming round boundary.
    pub fn active(&self) -> bool {
        self.runs.values().any(|r| if self.is_commander() { r.order.is_some() && !r.commanded } else { r.decision.is_none() })
    }

    /// What it tells `to` when it means to say `value`: the truth when loyal, else what its
    /// behaviour makes of it.
    pub fn tell(&self, value: Order, to: NodeId, rng: &mut Pcg64Mcg) -> Order {
        match self.traitor {
            None => value,
            // n2, n4, … are ids 1, 3, …
            Some(Behaviour::Lie) => {
                if to % 2 == 1 {
                    Order::Attack
                } else {
                    Order::Retreat
                }
            }
            Some(Behaviour::Flip | Behaviour::Forge) => value.opposite(),
            Some(Behaviour::Random) => {
                if rng.random::<bool>() {
                    Order::Attack
                } else {
                    Order::Retreat
                }
            }
        }
    }

    /// Checks an order message from `from` at time `now` and takes it if it is well formed and
    /// on time. Never panics, whatever a traitor put in it.
    pub fn hear(&mut self, now: Micros, from: NodeId, run: u64, path: &[NodeId], value: Order) -> Heard {
        if self.is_commander() {
            return Heard::Ignored(Ignored::Commander);
        }
        let n = self.n;
        let well_formed = !path.is_empty()
            && path[0] == self.commander
            && path.iter().all(|&g| g < n && g != self.me)
            && path.iter().enumerate().all(|(k, g)| !path[..k].contains(g));
        if !well_formed {
            return Heard::Ignored(Ignored::BadPath);
        }
        let relayer = *path.last().expect("not empty");
        if relayer != from && !self.bugs.has(Bug::TrustPath) {
            return Heard::Ignored(Ignored::NotSender);
        }
        if path.len() > self.m + 1 {
            return Heard::Ignored(Ignored::TooLong);
        }
        let round = self.round_of(now);
        if run.checked_add(path.len() as u64 - 1) != Some(round) {
            return Heard::Ignored(Ignored::WrongRound);
        }
        let new_run = !self.runs.contains_key(&run);
        let r = self.run_mut(run);
        if r.decision.is_some() || r.received.contains_key(path) {
            return Heard::Ignored(Ignored::Duplicate);
        }
        r.received.insert(path.to_vec(), value);
        // (From the relayer the chain names: its sender, unless `trust-path` believes a forgery.)
        if let Some(c) = r.accepted.get_mut(relayer) {
            *c += 1;
        }
        Heard::Taken { new_run }
    }

    /// Every path of `len` generals this lieutenant relays: the commander first, then distinct
    /// lieutenants, itself not among them; in lexicographic order.
    pub fn paths(&self, len: usize) -> Vec<Vec<NodeId>> {
        let mut out = Vec::new();
        if len == 0 {
            return out;
        }
        let mut path = vec![self.commander];
        self.extend_paths(&mut path, len, &mut out);
        out
    }

    fn extend_paths(&self, path: &mut Vec<NodeId>, len: usize, out: &mut Vec<Vec<NodeId>>) {
        if path.len() == len {
            out.push(path.clone());
            return;
        }
        for j in 0..self.n {
            if j != self.me && !path.contains(&j) {
                path.push(j);
                self.extend_paths(path, len, out);
                path.pop();
            }
        }
    }

    /// The value it holds for `path` in run `run`: the one taken, or the default.
    pub fn value(run: &Run, path: &[NodeId]) -> Order {
        run.received.get(path).copied().unwrap_or(DEFAULT)
    }

    /// The relays of run `run` for paths of `len` generals: `(to, path with itself appended,
    /// the value it means to say)`, before any lie. A `forge` traitor adds, for each, the same
    /// path ending in every other lieutenant that could have relayed it, saying the opposite.
    pub fn relays(&self, run: &Run, len: usize) -> Vec<(NodeId, Vec<NodeId>, Order)> {
        let mut out = Vec::new();
        for p in self.paths(len) {
            let v = Self::value(run, &p);
            let mut q = p.clone();
            q.push(self.me);
            for to in 0..self.n {
                if to != self.me && !p.contains(&to) {
                    out.push((to, q.clone(), v));
                    if self.traitor == Some(Behaviour::Forge) {
                        for j in (0..self.n).filter(|&j| j != self.me && j != to && !p.contains(&j)) {
                            let mut f = p.clone();
                            f.push(j);
                            // (Said as the opposite once the traitor's `tell` flips it.)
                            out.push((to, f, v));
                        }
                    }
                }
            }
        }
        out
    }

    /// The recursive majority of OM(m) at this lieutenant for run `run` (§3, step 3 at each
    /// level): the value of a path of `rounds` generals is the one received; of a shorter path
    /// `p`, the majority of the value received for `p` and the values of `p + j` for every
    /// lieutenant `j` not on `p` and not itself (ties: the default). With `no-majority`, the
    /// commander's direct order.
    pub fn decide(&self, run: &Run) -> Verdict {
        let c = [self.commander];
        let direct = Self::value(run, &c);
        if self.bugs.has(Bug::NoMajority) {
            let attack = usize::from(direct == Order::Attack);
            return Verdict { order: direct, direct, attack, votes: 1 };
        }
        let limit = self.rounds();
        let mut path = vec![self.commander];
        let (order, attack, votes) = self.majority(run, &mut path, limit);
        Verdict { order, direct, attack, votes }
    }

    /// The value of `path` and its top-level tally (attack, votes).
    fn majority(&self, run: &Run, path: &mut Vec<NodeId>, limit: usize) -> (Order, usize, usize) {
        let own = Self::value(run, path);
        if path.len() >= limit {
            return (own, usize::from(own == Order::Attack), 1);
        }
        let (mut attack, mut votes) = (usize::from(own == Order::Attack), 1);
        for j in 0..self.n {
            if j != self.me && !path.contains(&j) {
                path.push(j);
                let (v, _, _) = self.majority(run, path, limit);
                path.pop();
                votes += 1;
                attack += usize::from(v == Order::Attack);
            }
        }
        let order = if 2 * attack > votes { Order::Attack } else { DEFAULT };
        (order, attack, votes)
    }
}
