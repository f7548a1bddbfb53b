//! A simulated Raft cluster's settings and their validation.

use crate::error::{Error, Result};
use crate::sim::config::{range, MAX_DURATION_US};
use crate::sim::{Micros, SimConfig};

use super::sim::Options;
use super::Bugs;

/// A simulated Raft cluster's settings: the simulator's ([`SimConfig`]) and Raft's
/// ([`Options`]) in one struct, as `Simulation.new` takes them. Durations are µs here; the JS
/// boundary takes ms.
///
/// Defaults: seed 7, 5 nodes, latency 10–15 ms, election timeout 150–300 ms (the Raft paper's
/// §9.3 recommendation), heartbeat 50 ms, no loss, no duplication, PreVote and CheckQuorum on.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Seed of the simulation's RNG: the only source of randomness.
    pub seed: u64,
    /// Number of nodes, ids `n1` … `nN`; 1 ..= [`crate::sim::config::MAX_NODES`].
    pub nodes: usize,
    /// One-way message latency, drawn uniformly from `[lo, hi]` µs per message.
    pub latency_us: (Micros, Micros),
    /// Election timeout, drawn uniformly from `[lo, hi]` µs each time a timer is reset
    /// (Raft paper §5.2).
    pub election_timeout_us: (Micros, Micros),
    /// Interval between a leader's heartbeats, µs.
    pub heartbeat_us: Micros,
    /// Probability that the network loses a message, in `[0, 1]`.
    pub drop_rate: f64,
    /// Probability that the network delivers a message twice, in `[0, 1]`.
    pub duplicate_rate: f64,
    /// Deliberate protocol bugs in every node (none by default; see [`super::Bug`]).
    pub bugs: Bugs,
    /// PreVote (dissertation §9.6): a node whose election timer runs out first asks whether
    /// it would win, without raising its term. On by default, as in etcd.
    pub pre_vote: bool,
    /// CheckQuorum (dissertation §6.2): a leader that has not heard from a majority within an
    /// election timeout steps down. On by default, as in etcd.
    pub check_quorum: bool,
    /// The most entries one AppendEntries carries (None: no limit). 64 by default; leaders
    /// also pipeline: new entries go to an up-to-date follower without waiting for acks.
    pub max_entries_per_append: Option<usize>,
    /// Each node snapshots its state machine and drops its log up to lastApplied every this
    /// many applied entries (Raft paper §7); None: never. 10000 by default, as etcd's
    /// snapshot count.
    pub snapshot_interval: Option<u64>,
    /// Client reads (`get`) are answered by ReadIndex (dissertation §6.4): the leader confirms
    /// it still leads with a round of heartbeats and answers from its state machine, writing
    /// nothing to the log. Off: reads go through the log like writes. On by default, as etcd.
    pub read_index: bool,
    /// Batching: a leader collects client commands for this long (µs) and then sends them in
    /// one AppendEntries per follower; None sends each command at once. None by default.
    pub batch_us: Option<Micros>,
    /// Stable-storage write time, µs: a server that changed its persistent state (currentTerm,
    /// votedFor, log) while handling a RequestVote, AppendEntries or InstallSnapshot sends its
    /// reply this much later (Figure 2: "updated on stable storage before responding to
    /// RPCs"). The paper's broadcast time includes it (§5.6: "0.5ms to 20ms, depending on
    /// storage technology"). 0 by default: the page shows the network alone. The state is
    /// on disk when the handler runs; a server that crashes before the reply leaves never
    /// sends it (a crash after the write, before the send).
    pub persist_us: Micros,
    /// Per-follower heartbeat schedules and one AppendEntries outstanding per follower, as
    /// LogCabin's leader runs them (see [`Options::per_follower_heartbeats`]). Off by default.
    pub per_follower_heartbeats: bool,
    /// Stable storage and timers as in LogCabin of 2013, which the Raft paper measured (see
    /// [`Options::logcabin_writes_us`]): Some(w) writes each piece of state as its own file
    /// taking w µs, before anything else is sent. None by default. Native and experiments
    /// builds only.
    #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
    pub logcabin_writes_us: Option<Micros>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 7,
            nodes: 5,
            latency_us: (10_000, 15_000),
            election_timeout_us: (150_000, 300_000),
            heartbeat_us: 50_000,
            drop_rate: 0.0,
            duplicate_rate: 0.0,
            bugs: Bugs::NONE,
            pre_vote: true,
            check_quorum: true,
            max_entries_per_append: Some(64),
            snapshot_interval: Some(10_000),
            read_index: true,
            batch_us: None,
            persist_us: 0,
            per_follower_heartbeats: false,
            #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
            logcabin_writes_us: None,
        }
    }
}

impl Config {
    /// Checks every rule; errors name the JS key (`latencyMs`, …) and the rule.
    pub fn validate(&self) -> Result<()> {
        let (sim, _) = self.split();
        sim.validate_nodes()?;
        range("latencyMs", self.latency_us, 0)?;
        range("electionTimeoutMs", self.election_timeout_us, 1)?;
        if self.heartbeat_us == 0 || self.heartbeat_us > MAX_DURATION_US {
            return Err(Error::invalid("heartbeatMs", "must be more than 0 and at most 3600000 ms"));
        }
        if !(0.0..=1.0).contains(&self.drop_rate) {
            return Err(Error::invalid("dropRate", "must be a number from 0 to 1"));
        }
        if self.snapshot_interval == Some(0) {
            return Err(Error::invalid("snapshotInterval", "must be a positive integer or null"));
        }
        if self.max_entries_per_append == Some(0) {
            return Err(Error::invalid("maxEntriesPerAppend", "must be a positive integer or null"));
        }
        sim.validate_rates_and_persist()
    }

    /// The simulator's settings and Raft's.
    pub fn split(&self) -> (SimConfig, Options) {
        let sim = SimConfig {
            seed: self.seed,
            nodes: self.nodes,
            latency_us: self.latency_us,
            drop_rate: self.drop_rate,
            duplicate_rate: self.duplicate_rate,
            persist_us: self.persist_us,
        };
        let options = Options {
            election_timeout_us: self.election_timeout_us,
            heartbeat_us: self.heartbeat_us,
            bugs: self.bugs,
            pre_vote: self.pre_vote,
            check_quorum: self.check_quorum,
            max_entries_per_append: self.max_entries_per_append,
            snapshot_interval: self.snapshot_interval,
            read_index: self.read_index,
            batch_us: self.batch_us,
            per_follower_heartbeats: self.per_follower_heartbeats,
            #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
            logcabin_writes_us: self.logcabin_writes_us,
        };
        (sim, options)
    }

    /// The inverse of [`split`](Self::split).
    pub fn join(sim: &SimConfig, o: &Options) -> Config {
        Config {
            seed: sim.seed,
            nodes: sim.nodes,
            latency_us: sim.latency_us,
            drop_rate: sim.drop_rate,
            duplicate_rate: sim.duplicate_rate,
            persist_us: sim.persist_us,
            election_timeout_us: o.election_timeout_us,
            heartbeat_us: o.heartbeat_us,
            bugs: o.bugs,
            pre_vote: o.pre_vote,
            check_quorum: o.check_quorum,
            max_entries_per_append: o.max_entries_per_append,
            snapshot_interval: o.snapshot_interval,
            read_index: o.read_index,
            batch_us: o.batch_us,
            per_follower_heartbeats: o.per_follower_heartbeats,
            #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
            logcabin_writes_us: o.logcabin_writes_us,
        }
    }
}
