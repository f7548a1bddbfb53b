//! One agent's state and handlers, sans-IO: its replica of the key-value map, its logical
//! clock, its hot rumors, and what it does with each message. No timers and no effects here:
//! [`super::sim`] wraps these calls in the [`crate::protocol::Protocol`] and writes the effects.
//!
//! Source: Demers, Greene, Hauser, Irish, Larson, Shenker, Sturgis, Swinehart & Terry,
//! "Epidemic Algorithms for Replicated Database Maintenance", PODC 1987. §1.1: every value
//! carries a timestamp and the later one wins; §1.3: anti-entropy (push, pull, push-pull); §1.4:
//! rumor mongering (feedback or blind, counter or coin); §2: deletion and death certificates.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::bug::Bug;
use crate::collections::Map;
use crate::error::{Error, Result};
use crate::protocol::{BugSet, Micros, NodeId};
use crate::sim::config::MAX_DURATION_US;

/// A value's version: the writer's logical clock when it wrote it (one more than the highest
/// timestamp it had seen, Lamport-style) and the writer. Ordered by timestamp, then by writer
/// id: the higher wins (§1.1, with ties broken by writer so that every agent picks the same).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// The writer's logical clock at the write (from 1).
    pub ts: u64,
    /// The writer.
    pub writer: NodeId,
}

impl Version {
    /// `5@n2`: the timestamp and the writer's name.
    pub fn text(&self) -> String {
        format!("{}@{}", self.ts, crate::protocol::name(self.writer))
    }
}

/// What an agent holds for a key: a value, or a death certificate (a delete, §2.1) that
/// expires at `expires_us`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The version.
    pub version: Version,
    /// The value; None: a death certificate.
    pub value: Option<String>,
    /// For a death certificate: when it expires, µs of simulated time (the delete's time plus
    /// [`Options::death_certificate_us`]; every agent drops it then). 0 for a value.
    pub expires_us: Micros,
}

impl Entry {
    /// Whether this is a death certificate whose time has passed (`now` µs): it is no longer
    /// sent, nor taken, and the next anti-entropy round drops it.
    pub fn expired(&self, now: Micros) -> bool {
        self.value.is_none() && now >= self.expires_us
    }
}

/// How two agents exchange state in anti-entropy (§1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exchange {
    /// `push`: the initiator sends what the peer lacks.
    Push,
    /// `pull`: the peer sends what the initiator lacks.
    Pull,
    /// `push-pull`: both.
    PushPull,
}

impl Exchange {
    /// Every mode, in order.
    pub const ALL: [Exchange; 3] = [Exchange::Push, Exchange::Pull, Exchange::PushPull];

    /// `push`, `pull` or `push-pull`.
    pub const fn name(self) -> &'static str {
        match self {
            Exchange::Push => "push",
            Exchange::Pull => "pull",
            Exchange::PushPull => "push-pull",
        }
    }

    /// The mode named `name`. Errors name `param`.
    pub fn parse(param: &str, name: &str) -> Result<Exchange> {
        Exchange::ALL.into_iter().find(|e| e.name() == name).ok_or_else(|| Error::invalid(param, "must be push, pull or push-pull"))
    }

    fn pushes(self) -> bool {
        self != Exchange::Pull
    }

    fn pulls(self) -> bool {
        self != Exchange::Push
    }
}

/// How an agent loses interest in a rumor (§1.4): after `k` times, or with probability `1/k`
/// each time. What counts as "a time" is [`Rumors::feedback`]'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interest {
    /// `counter`: after k.
    Counter,
    /// `coin`: with probability 1/k, each time.
    Coin,
}

/// Rumor mongering's settings (§1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rumors {
    /// Rounds, µs: every agent sends (or, pulling, asks for) hot rumors this often.
    pub interval_us: Micros,
    /// Pull (ask a peer for its hot rumors) instead of push.
    pub pull: bool,
    /// Feedback: a time is a recipient that already knew the rumor (it says so). Blind (false):
    /// every send is a time.
    pub feedback: bool,
    /// Counter or coin.
    pub interest: Interest,
    /// The k of counter and coin (1 or more).
    pub k: u32,
    /// Counter counts consecutive unnecessary contacts: a push that brought news resets it
    /// (recipients then acknowledge news too). Off by default: every unnecessary contact
    /// counts. With [`Rumors::judged_at_round_start`] on as well, this is the reading of
    /// "counter" that reproduces Demers et al.'s Table 1 (README "Gossip: fidelity").
    pub consecutive: bool,
    /// "Already knew" is judged as of the start of the recipient's current rumor round
    /// (the grid `now − now mod interval`, which is every agent's with
    /// [`Options::synchronous`]): an agent that took a rumor during this round still counts as
    /// not having known it. Off by default: judged when the push arrives.
    pub judged_at_round_start: bool,
}

/// A hot rumor at an agent (Demers: the agent is infective with it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hot {
    /// The version that is hot.
    pub version: Version,
    /// Times counted towards losing interest ([`Interest::Counter`]).
    pub count: u32,
    /// When the agent took (or wrote) it, µs.
    pub since: Micros,
}

impl Default for Rumors {
    /// Push, feedback, counter, k = 2, a round every 20 ms.
    fn default() -> Self {
        Rumors { interval_us: 20_000, pull: false, feedback: true, interest: Interest::Counter, k: 2, consecutive: false, judged_at_round_start: false }
    }
}

/// Every agent's settings. Durations µs.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Anti-entropy's exchange: push, pull or push-pull (default).
    pub exchange: Exchange,
    /// Peers each agent contacts per round, uniformly among the others (default 1).
    pub fanout: usize,
    /// Anti-entropy's round, µs (default 100 ms).
    pub interval_us: Micros,
    /// At most this many entries in one message of an exchange (None, default: unbounded; the
    /// digest makes only differences travel). The chapter's sketch sends 3.
    pub entries_per_exchange: Option<usize>,
    /// Run anti-entropy (default true). With [`Options::rumors`] it runs beneath rumor
    /// mongering, usually at a slower interval, to catch the residue.
    pub anti_entropy: bool,
    /// Rumor mongering, if on (default off).
    pub rumors: Option<Rumors>,
    /// How long a death certificate lives, µs (default 60 s).
    pub death_certificate_us: Micros,
    /// Whether an agent keeps its map across a crash (default true). Its logical clock survives
    /// either way (one integer on disk), so it never reuses a version.
    pub keep_state: bool,
    /// Collective validation on top of the replica ([`super::attest`]); None by default.
    pub attestations: Option<super::attest::Attestations>,
    /// Synchronous rounds (default false): every agent's rounds start together, one interval
    /// after the start, as in the papers' analyses (Demers' cycles, Pittel's and Karp's
    /// rounds). Otherwise each agent's first round falls at a uniform offset within the
    /// interval, as independent clocks would: news travels several hops within one interval.
    pub synchronous: bool,
    /// Deliberate bugs ([`Bug`]).
    pub bugs: BugSet,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            exchange: Exchange::PushPull,
            fanout: 1,
            interval_us: 100_000,
            entries_per_exchange: None,
            anti_entropy: true,
            rumors: None,
            death_certificate_us: 60_000_000,
            keep_state: true,
            synchronous: false,
            attestations: None,
            bugs: BugSet::NONE,
        }
    }
}

impl Options {
    /// Checks every rule; errors name the JS key (`fanout`, `intervalMs`, …).
    pub fn validate(&self) -> Result<()> {
        if self.fanout == 0 || self.fanout > 1_000 {
            return Err(Error::invalid("fanout", "must be an integer from 1 to 1000"));
        }
        if self.interval_us < 1_000 || self.interval_us > MAX_DURATION_US {
            return Err(Error::invalid("intervalMs", "must be from 1 to 3600000 ms"));
        }
        if self.entries_per_exchange == Some(0) {
            return Err(Error::invalid("entriesPerExchange", "must be a positive integer or null (unbounded)"));
        }
        if self.death_certificate_us > MAX_DURATION_US {
            return Err(Error::invalid("deathCertificateMs", "must be from 0 to 3600000 ms"));
        }
        if let Some(r) = &self.rumors {
            if r.interval_us < 1_000 || r.interval_us > MAX_DURATION_US {
                return Err(Error::invalid("rumorIntervalMs", "must be from 1 to 3600000 ms"));
            }
            if r.k == 0 {
                return Err(Error::invalid("k", "must be a positive integer"));
            }
        }
        if let Some(a) = &self.attestations {
            a.validate()?;
        }
        if !self.anti_entropy && self.rumors.is_none() {
            return Err(Error::invalid("antiEntropy", "must be true when rumor mongering is off (nothing would spread)"));
        }
        Ok(())
    }

    /// Whether anti-entropy runs (the `rumor-only` bug switches it off).
    pub fn runs_anti_entropy(&self) -> bool {
        self.anti_entropy && !self.bugs.has(Bug::RumorOnly)
    }

    /// Rumor mongering's settings, if it runs (the `rumor-only` bug turns it on with
    /// [`Rumors::default`] when the options have none).
    pub fn rumor_settings(&self) -> Option<Rumors> {
        self.rumors.or_else(|| self.bugs.has(Bug::RumorOnly).then(Rumors::default))
    }

    fn limit(&self) -> usize {
        self.entries_per_exchange.unwrap_or(usize::MAX)
    }
}

/// A message between agents. Keys and entries travel in key order.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    /// Anti-entropy opens: the initiator's digest, every key it holds with its version
    /// (expired certificates left out), and the exchange it runs.
    Digest {
        /// Push, pull or push-pull.
        exchange: Exchange,
        /// Key → version, in key order.
        digest: Vec<(String, Version)>,
    },
    /// The peer answers a digest: the entries newer than the initiator's (pull, push-pull) and
    /// the keys it wants because the initiator's are newer (push, push-pull), each list at most
    /// [`Options::entries_per_exchange`] long.
    Reply {
        /// Entries newer than the initiator's.
        entries: Vec<(String, Entry)>,
        /// Keys the initiator should send.
        want: Vec<String>,
    },
    /// The initiator sends the entries the peer wanted.
    Entries {
        /// The entries.
        entries: Vec<(String, Entry)>,
    },
    /// Hot rumors, pushed or served to a pull.
    Rumor {
        /// The rumors' entries.
        entries: Vec<(String, Entry)>,
    },
    /// Feedback: the rumors the recipient already knew (it held that version or a newer one).
    RumorAck {
        /// Key and the rumor's version.
        known: Vec<(String, Version)>,
        /// The rumors that were news to it (sent only with [`Rumors::consecutive`]: they reset
        /// the sender's counters; empty otherwise).
        news: Vec<(String, Version)>,
    },
    /// Pull rumor mongering: "send me your hot rumors".
    RumorPull,
}

impl Msg {
    /// `Digest`, `Reply`, `Entries`, `Rumor`, `RumorAck` or `RumorPull`.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Digest { .. } => "Digest",
            Msg::Reply { .. } => "Reply",
            Msg::Entries { .. } => "Entries",
            Msg::Rumor { .. } => "Rumor",
            Msg::RumorAck { .. } => "RumorAck",
            Msg::RumorPull => "RumorPull",
        }
    }
}

/// Whether an incoming version `incoming` replaces a held, different version `held`: it is
/// later (§1.1). The bugs break exactly this comparison, wherever it is made (merges, and
/// which entries an exchange sends): `keep-older` reverses it; `no-tiebreak` lets any
/// incoming version with the same timestamp win (the last to arrive).
pub fn supersedes(o: &Options, incoming: Version, held: Version) -> bool {
    if o.bugs.has(Bug::KeepOlder) {
        incoming < held
    } else if o.bugs.has(Bug::NoTiebreak) && incoming.ts == held.ts {
        true
    } else {
        incoming > held
    }
}

/// What a merge did with an incoming entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merged {
    /// News: taken (the agent becomes infective with it when rumor mongering runs).
    New,
    /// The agent held this very version.
    Known,
    /// The agent held a newer version (or the entry is an expired certificate): ignored.
    Stale,
}

/// One agent: its replica, clock and rumors. Demers' states per update: susceptible (does not
/// hold it), infective (holds it, and it is a hot rumor here), removed (holds it, lost
/// interest).
#[derive(Clone, Debug)]
pub struct Core {
    /// This agent.
    pub me: NodeId,
    /// The logical clock: the highest timestamp seen or written.
    pub clock: u64,
    /// The replica: key → entry (value or death certificate), in key order.
    pub store: Map<String, Entry>,
    /// Hot rumors: key → the hot version, its count and since when.
    pub hot: Map<String, Hot>,
    /// How many times the agent lost its map (a restart without its state): the checker starts
    /// its record of the agent again when this moves.
    pub incarnation: u32,
    /// Changes to the replica so far (writes and news taken), wrapping: collective validation
    /// looks again only when this moved.
    pub changes: u32,
    /// `changes` when collective validation last looked.
    pub attested_at: u32,
    /// A traitor's behaviour ([`super::attest::BEHAVIOURS`] index), None when honest.
    pub traitor: Option<u8>,
    /// Claims decided: id → verdict ([`super::attest`]).
    pub verdicts: Map<String, super::attest::Verdict>,
}

impl Core {
    /// A fresh agent with an empty map.
    pub fn new(me: NodeId) -> Core {
        Core { me, clock: 0, store: Map::new(), hot: Map::new(), incarnation: 0, changes: 0, attested_at: 0, traitor: None, verdicts: Map::new() }
    }

    /// The value of `key` (None: never written, or deleted).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.store.get(key).and_then(|e| e.value.as_deref())
    }

    /// A client's write at this agent (`value` None: a delete) at `now`: the next version, its
    /// entry stored (with the `no-tombstone` bug a delete removes the key instead), and made a
    /// hot rumor when rumor mongering runs. Returns the version and the entry as written.
    pub fn write(&mut self, o: &Options, now: Micros, key: &str, value: Option<String>) -> (Version, Entry) {
        // Saturating: a peer's (or traitor's) timestamp may be as high as a u64 goes.
        self.clock = self.clock.saturating_add(1);
        self.changes = self.changes.wrapping_add(1);
        let version = Version { ts: self.clock, writer: self.me };
        let expires_us = if value.is_none() { now.saturating_add(o.death_certificate_us) } else { 0 };
        let entry = Entry { version, value, expires_us };
        if entry.value.is_none() && o.bugs.has(Bug::NoTombstone) {
            self.store.remove(key);
            self.hot.remove(key);
        } else {
            self.store.insert(key.to_string(), entry.clone());
            if o.rumor_settings().is_some() {
                self.hot.insert(key.to_string(), Hot { version, count: 0, since: now });
            }
        }
        (version, entry)
    }

    /// Merges an incoming entry (§1.1: the later version wins; the bugs break that).
    pub fn merge(&mut self, o: &Options, now: Micros, key: &str, incoming: Entry) -> Merged {
        self.clock = self.clock.max(incoming.version.ts);
        if incoming.expired(now) {
            return Merged::Stale;
        }
        let take = match self.store.get(key) {
            None => true,
            Some(mine) if mine.version == incoming.version => return Merged::Known,
            Some(mine) => supersedes(o, incoming.version, mine.version),
        };
        if !take {
            return Merged::Stale;
        }
        let version = incoming.version;
        self.changes = self.changes.wrapping_add(1);
        self.store.insert(key.to_string(), incoming);
        if o.rumor_settings().is_some() {
            self.hot.insert(key.to_string(), Hot { version, count: 0, since: now });
        }
        Merged::New
    }

    /// Merges a list of entries; returns how many were news.
    pub fn merge_all(&mut self, o: &Options, now: Micros, entries: Vec<(String, Entry)>) -> usize {
        entries.into_iter().filter(|(k, e)| self.merge(o, now, k, e.clone()) == Merged::New).count()
    }

    /// The digest: every key held with its version, expired certificates left out.
    pub fn digest(&self, now: Micros) -> Vec<(String, Version)> {
        self.store.iter().filter(|(_, e)| !e.expired(now)).map(|(k, e)| (k.clone(), e.version)).collect()
    }

    /// A peer's answer to a digest: the entries newer here (when the exchange pulls) and the
    /// keys newer there (when it pushes), each at most `entries_per_exchange`, in key order.
    pub fn on_digest(&self, o: &Options, now: Micros, exchange: Exchange, digest: &[(String, Version)]) -> (Vec<(String, Entry)>, Vec<String>) {
        let theirs = |k: &str| digest.binary_search_by(|(d, _)| d.as_str().cmp(k)).ok().map(|i| digest[i].1);
        let mut entries = Vec::new();
        if exchange.pulls() {
            for (k, e) in self.store.iter() {
                if entries.len() >= o.limit() {
                    break;
                }
                if !e.expired(now) && theirs(k).map_or(true, |v| v != e.version && supersedes(o, e.version, v)) {
                    entries.push((k.clone(), e.clone()));
                }
            }
        }
        let mut want = Vec::new();
        if exchange.pushes() {
            for (k, v) in digest {
                if want.len() >= o.limit() {
                    break;
                }
                if self.store.get(k).map_or(true, |e| e.version != *v && supersedes(o, *v, e.version)) {
                    want.push(k.clone());
                }
            }
        }
        (entries, want)
    }

    /// The entries for `keys` (expired certificates left out), at most `entries_per_exchange`.
    pub fn entries_for(&self, o: &Options, now: Micros, keys: &[String]) -> Vec<(String, Entry)> {
        keys.iter()
            .filter_map(|k| self.store.get(k).filter(|e| !e.expired(now)).map(|e| (k.clone(), e.clone())))
            .take(o.limit())
            .collect()
    }

    /// Drops the death certificates that expired (§2.1); returns how many.
    pub fn purge(&mut self, now: Micros) -> usize {
        let before = self.store.len();
        self.store.retain(|_, e| !e.expired(now));
        let store = &self.store;
        self.hot.retain(|k, _| store.contains_key(k));
        before - self.store.len()
    }

    /// `fanout` distinct peers drawn uniformly among the `nodes − 1` others (all of them when
    /// fanout is larger), in the order drawn. Draws about `fanout` numbers: no list of agents.
    pub fn pick_peers(&self, rng: &mut Pcg64Mcg, nodes: usize, fanout: usize) -> Vec<NodeId> {
        let others = nodes.saturating_sub(1);
        let f = fanout.min(others);
        let mut peers: Vec<NodeId> = Vec::with_capacity(f);
        while peers.len() < f {
            let r = rng.random_range(0..others);
            let p = if r >= self.me { r + 1 } else { r };
            if !peers.contains(&p) {
                peers.push(p);
            }
        }
        peers
    }

    /// The hot rumors' entries (a rumor whose key has moved on to another version, or whose
    /// certificate expired, is dropped first).
    pub fn rumor_entries(&mut self, now: Micros) -> Vec<(String, Entry)> {
        let store = &self.store;
        self.hot.retain(|k, h| store.get(k).is_some_and(|e| e.version == h.version && !e.expired(now)));
        self.hot.iter().map(|(k, _)| (k.clone(), self.store.get(k).expect("kept above").clone())).collect()
    }

    /// One "time" counted against the rumor `key` at version `v`: counter adds one and loses
    /// interest at k; coin loses it with probability 1/k. Returns whether interest was lost.
    fn count(&mut self, r: &Rumors, rng: &mut Pcg64Mcg, key: &str, v: Version) -> bool {
        let Some(h) = self.hot.get_mut(key) else { return false };
        if h.version != v {
            return false;
        }
        let lose = match r.interest {
            Interest::Counter => {
                h.count += 1;
                h.count >= r.k
            }
            Interest::Coin => rng.random_range(0..r.k) == 0,
        };
        if lose {
            self.hot.remove(key);
        }
        lose
    }

    /// Blind: the rumors just sent to one peer each count a time. Returns how many the agent
    /// lost interest in.
    pub fn after_send(&mut self, r: &Rumors, rng: &mut Pcg64Mcg, sent: &[(String, Entry)]) -> usize {
        if r.feedback {
            return 0;
        }
        sent.iter().filter(|(k, e)| self.count(r, rng, k, e.version)).count()
    }

    /// Feedback: each rumor the recipient already knew counts a time; with
    /// [`Rumors::consecutive`], each that was news to it resets its counter. Returns how many
    /// the agent lost interest in.
    pub fn on_ack(&mut self, r: &Rumors, rng: &mut Pcg64Mcg, known: &[(String, Version)], news: &[(String, Version)]) -> usize {
        if !r.feedback {
            return 0;
        }
        if r.consecutive {
            for (k, v) in news {
                if let Some(h) = self.hot.get_mut(k.as_str()).filter(|h| h.version == *v) {
                    h.count = 0;
                }
            }
        }
        known.iter().filter(|(k, v)| self.count(r, rng, k, *v)).count()
    }

    /// Whether a rumor of `key` at version `v` that this agent already holds still counts as
    /// news to the sender ([`Rumors::judged_at_round_start`]): the agent took it during its
    /// current rumor round.
    pub fn new_this_round(&self, r: &Rumors, now: Micros, key: &str, v: Version) -> bool {
        r.judged_at_round_start && self.hot.get(key).is_some_and(|h| h.version == v && h.since >= now - now % r.interval_us.max(1))
    }

    /// A restart without the map: the replica and rumors are gone (the clock stays).
    pub fn lose_state(&mut self) {
        self.store.clear();
        self.hot.clear();
        self.verdicts.clear();
        self.incarnation += 1;
        self.changes = self.changes.wrapping_add(1);
    }
}
