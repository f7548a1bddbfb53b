//! Experiments that measure the simulated Raft against the paper.
//!
//! [`fig16_trial`] reproduces one trial of the Raft paper's Figure 16 (Ongaro & Ousterhout,
//! USENIX ATC 2014, §9.3; dissertation §9.4 gives the details): five
//! servers, a broadcast time (network round trip plus disk write) of roughly 15 ms, the
//! leader crashed at a uniformly random time within its heartbeat interval (half the minimum
//! election timeout) right after a synchronized heartbeat, two of the four survivors with
//! shorter logs so that they cannot win, and the time measured from the crash until a server
//! receives the new leader's first heartbeat. PreVote and CheckQuorum are off: the paper's
//! algorithm.
//!
//! Two models of the 15 ms ([`Fig16Model`]): the paper's cluster (a gigabit LAN, so a
//! one-way latency of 0.1–0.25 ms, and an SSD write of 14.6 ms before a server answers an
//! RPC that changed its term, vote or log) and a network-only one (7–8 ms each way, no disk).
//! They differ where it matters for elections: a heartbeat needs no disk write, so on the LAN
//! it reaches followers in a fraction of a millisecond, and followers' timers, restarted by
//! the same heartbeat, stay synchronized to within the network's sub-millisecond jitter.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::{Config, Role};
use crate::sim::{Micros, Simulation};

const MS: Micros = 1_000;

/// The election-timeout ranges of Figure 16, in ms: the top panel, then the bottom one.
pub const FIG16_RANGES_MS: [(u64, u64); 11] =
    [(150, 150), (150, 151), (150, 155), (150, 175), (150, 200), (150, 300), (12, 24), (25, 50), (50, 100), (100, 200), (150, 300)];

/// What the paper states for Figure 16 (dissertation §9.4): `(range, what, ms)`.
pub const FIG16_PAPER: [((u64, u64), &str, f64); 4] =
    [((150, 150), "min", 10_000.0), ((150, 155), "median", 287.0), ((150, 200), "max", 513.0), ((12, 24), "mean", 35.0)];

/// A trial gives up after this much simulated time without a new leader.
pub const FIG16_CAP_US: Micros = 20_000 * MS;

/// How the experiment's broadcast time of about 15 ms comes about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fig16Model {
    /// The paper's LAN cluster: one-way latency 0.1–0.25 ms and a 14.6 ms disk write before
    /// a server answers an RPC that changed its persistent state.
    Disk,
    /// Network only: one-way latency 7–8 ms, writes take no time.
    Network,
    /// LogCabin as the paper measured it, as far as its sources tell: the LAN, and LogCabin's
    /// storage and timers of 2013 ([`super::sim::Options::logcabin_writes_us`]): every piece
    /// of state its own fsynced file of [`FIG16_LOGCABIN_WRITE_US`], written before anything
    /// else is sent, and election timeouts in whole ms. Its set-up ([`Fig16Setup::for_model`])
    /// is the paper's script: the synchronized heartbeat ([`Fig16Rejoin::Heartbeat`]).
    LogCabin,
}

/// One file write in the [`Fig16Model::LogCabin`] model, µs. The paper gives no figure for it
/// (its broadcast time of "roughly 15 ms" is a round trip plus writes), so it is read off the
/// paper's own trials: the shortest election, from the timeout to the new leader's first
/// heartbeat, is the shortest time without a leader less the shortest detection (half the
/// minimum election timeout): 9.3 ms at 12–24 ms and 9.4 ms at 150–175 ms
/// (docs/experiments/fig16-paper.json). An election writes five files one after the other
/// (the candidate's term and vote; a voter's term, then its vote; the leader's no-op entry
/// and the metadata) and crosses the LAN three times (about 0.1 ms each at the shortest):
/// 5w + 0.3 ms = 9.3 ms gives w = 1.8 ms.
pub const FIG16_LOGCABIN_WRITE_US: Micros = 1_800;

impl Fig16Model {
    /// `(one-way latency range, disk write)`, µs.
    pub fn timing(self) -> ((Micros, Micros), Micros) {
        match self {
            Fig16Model::Disk => ((100, 250), 14_600),
            Fig16Model::Network => ((7 * MS, 8 * MS), 0),
            // Its writes are LogCabin's files (`Fig16Setup::logcabin_write_us`).
            Fig16Model::LogCabin => ((100, 250), 0),
        }
    }

    /// Every model, in the order the page and the CLI list them.
    pub const ALL: [Fig16Model; 3] = [Fig16Model::Disk, Fig16Model::Network, Fig16Model::LogCabin];

    /// `disk`, `network` or `logcabin`.
    pub fn name(self) -> &'static str {
        match self {
            Fig16Model::Disk => "disk",
            Fig16Model::Network => "network",
            Fig16Model::LogCabin => "logcabin",
        }
    }

    /// The model named `name` (`disk`, `network` or `logcabin`), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// How a Figure 16 leader schedules its heartbeats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fig16Heartbeats {
    /// One timer, one AppendEntries to every follower at once (the default).
    #[default]
    Broadcast,
    /// LogCabin's leader, the one the paper measured: a schedule per follower, each heartbeat
    /// a period after the previous AppendEntries to that follower started, one outstanding
    /// at a time ([`super::sim::Options::per_follower_heartbeats`]).
    PerFollower,
}

impl Fig16Heartbeats {
    /// Both, in the order the CLI lists them.
    pub const ALL: [Fig16Heartbeats; 2] = [Fig16Heartbeats::Broadcast, Fig16Heartbeats::PerFollower];

    /// `broadcast` or `per-follower`.
    pub fn name(self) -> &'static str {
        match self {
            Fig16Heartbeats::Broadcast => "broadcast",
            Fig16Heartbeats::PerFollower => "per-follower",
        }
    }

    /// The schedule named `name` (`broadcast` or `per-follower`), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.name() == name)
    }
}

/// When the two servers with shorter logs come back before the new election.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fig16Rejoin {
    /// At the leader's crash (the default): their election timers start then, up to a
    /// heartbeat interval after the other two followers' were last restarted by a heartbeat.
    #[default]
    Crash,
    /// Right after the leader's last heartbeat before the crash has reached the others (the
    /// copies to them lost, since they were down): all four followers' election timers start
    /// within the network's jitter of each other, as the paper's did ("a synchronized
    /// broadcast of heartbeat RPCs from the leader before terminating its process", Raft
    /// paper §9.3), and the
    /// two still hold shorter logs. A change of the fault schedule only.
    Heartbeat,
}

impl Fig16Rejoin {
    /// Both, in the order the CLI lists them.
    pub const ALL: [Fig16Rejoin; 2] = [Fig16Rejoin::Crash, Fig16Rejoin::Heartbeat];

    /// `crash` or `heartbeat`.
    pub fn name(self) -> &'static str {
        match self {
            Fig16Rejoin::Crash => "crash",
            Fig16Rejoin::Heartbeat => "heartbeat",
        }
    }

    /// The moment named `name` (`crash` or `heartbeat`), if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// A Figure 16 set-up beyond the range and the model: the leader's heartbeat schedule and
/// when the two servers with shorter logs come back. The default is the README's table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fig16Setup {
    /// The leader's heartbeat schedule.
    pub heartbeats: Fig16Heartbeats,
    /// When the two servers with shorter logs come back.
    pub rejoin: Fig16Rejoin,
    /// The [`Fig16Model::LogCabin`] model's file write, µs (None: [`FIG16_LOGCABIN_WRITE_US`]);
    /// other models ignore it.
    pub logcabin_write_us: Option<Micros>,
}

impl Fig16Setup {
    /// The set-up a model is measured with by default: the default one, but for
    /// [`Fig16Model::LogCabin`] the paper's synchronized heartbeat ([`Fig16Rejoin::Heartbeat`]).
    pub fn for_model(model: Fig16Model) -> Self {
        let rejoin = if model == Fig16Model::LogCabin { Fig16Rejoin::Heartbeat } else { Fig16Rejoin::Crash };
        Fig16Setup { rejoin, ..Fig16Setup::default() }
    }
}

/// The simulation settings of a Figure 16 trial with election timeouts in `[lo, hi]` ms.
pub fn fig16_config(seed: u64, range_ms: (u64, u64), model: Fig16Model) -> Config {
    fig16_config_with(seed, range_ms, model, Fig16Heartbeats::Broadcast)
}

/// [`fig16_config`] with the leader's heartbeat schedule chosen.
pub fn fig16_config_with(seed: u64, (lo, hi): (u64, u64), model: Fig16Model, heartbeats: Fig16Heartbeats) -> Config {
    let (latency_us, persist_us) = model.timing();
    #[allow(unused_mut)]
    let mut config = Config {
        seed,
        nodes: 5,
        latency_us,
        persist_us,
        election_timeout_us: (lo * MS, hi * MS),
        heartbeat_us: (lo * MS / 2).max(1),
        pre_vote: false,
        check_quorum: false,
        snapshot_interval: None,
        per_follower_heartbeats: heartbeats == Fig16Heartbeats::PerFollower,
        ..Config::default()
    };
    // (A widget's build has no such option, and no page offers the model there.)
    #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
    {
        config.logcabin_writes_us = (model == Fig16Model::LogCabin).then_some(FIG16_LOGCABIN_WRITE_US);
    }
    config
}

/// How one Figure 16 trial ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fig16Trial {
    /// A server received the new leader's first AppendEntries this many µs after the crash.
    Elected(Micros),
    /// No new leader within [`FIG16_CAP_US`] of the crash.
    Capped,
    /// No leader held on long enough to be crashed (within [`FIG16_CAP_US`] of the start):
    /// timeouts near the broadcast time, where leaders cannot keep followers from elections.
    /// Not a measurement of an election after a crash; counted apart.
    NoLeaderToCrash,
}

/// One Figure 16 trial with the given seed: what [`fig16_range`] summarizes.
pub fn fig16_trial(seed: u64, range_ms: (u64, u64), model: Fig16Model) -> Fig16Trial {
    fig16_trial_with(seed, range_ms, model, Fig16Setup::default())
}

/// [`fig16_trial`] with another set-up. With per-follower schedules
/// the leader is crashed within a heartbeat interval after a heartbeat to any follower: every
/// follower's schedule has the same period, so each follower's phase at the crash is uniform
/// all the same.
pub fn fig16_trial_with(seed: u64, range_ms: (u64, u64), model: Fig16Model, setup: Fig16Setup) -> Fig16Trial {
    match crash_leader(seed, range_ms, model, setup) {
        None => Fig16Trial::NoLeaderToCrash,
        Some((mut s, old, crashed_at)) => {
            while s.now() - crashed_at < FIG16_CAP_US {
                let Some(e) = s.step_brief() else { break };
                // A new leader's first AppendEntries (the old leader's may still be in flight).
                if e.kind == "deliver" && e.message.is_some_and(|(kind, from, _)| kind == "AppendEntries" && from != old) {
                    return Fig16Trial::Elected(s.now() - crashed_at);
                }
            }
            Fig16Trial::Capped
        }
    }
}

/// The trial's set-up, up to the crash: returns the simulation just after the leader crashed
/// (and the two behind servers came back), the crashed leader's index and the time of the
/// crash; None when no leader held on long enough.
fn crash_leader(seed: u64, range_ms: (u64, u64), model: Fig16Model, setup: Fig16Setup) -> Option<(Simulation<super::Raft>, usize, Micros)> {
    #[allow(unused_mut)]
    let mut config = fig16_config_with(seed, range_ms, model, setup.heartbeats);
    #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
    if let (Some(w), Some(_)) = (setup.logcabin_write_us, config.logcabin_writes_us) {
        config.logcabin_writes_us = Some(w);
    }
    let latest = config.latency_us.1;
    let heartbeat = config.heartbeat_us;
    let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0xf16_f16);
    let mut s = Simulation::<super::Raft>::new(config).expect("valid settings");
    // A leader L is elected (n1 is asked to run first; with timeouts near the broadcast time
    // another server may win instead) and settles.
    s.start_election(0).expect("n1 runs");
    let limit = s.now() + FIG16_CAP_US;
    let leader = loop {
        s.step_brief()?;
        if let Some(l) = s.leader() {
            break l;
        }
        if s.now() > limit {
            return None;
        }
    };
    s.run_until(s.now() + 50 * MS);
    // Two other servers are down while L appends: their logs stay shorter and they cannot win.
    let behind: Vec<usize> = (0..5).filter(|&i| i != leader).take(2).collect();
    for &i in &behind {
        s.crash(i).ok()?;
    }
    for k in 0..3 {
        s.client_request(format!("\"e{k}\""), Some(leader)).ok()?;
    }
    s.run_until(s.now() + 60 * MS);
    // Crash L at a uniformly random time within a heartbeat interval: wait for one of its
    // heartbeats (bounded: with timeouts near the broadcast time L may lose its leadership and
    // send none), then up to one interval more. The two come back at that moment.
    loop {
        let e = s.step_brief()?;
        if e.kind == "heartbeat" && e.node == Some(leader) {
            break;
        }
        if s.now() > limit {
            return None;
        }
    }
    let crash_at = s.now() + rng.random_range(0..heartbeat);
    if setup.rejoin == Fig16Rejoin::Heartbeat {
        // Once the heartbeat has reached the others (its copies to the two lost), or at the
        // crash if that comes first.
        s.run_until((s.now() + latest).min(crash_at));
        for &i in &behind {
            s.restart(i).ok()?;
        }
    }
    s.run_until(crash_at);
    if s.node(leader).role() != Role::Leader {
        return None;
    }
    s.crash(leader).ok()?;
    if setup.rejoin == Fig16Rejoin::Crash {
        for &i in &behind {
            s.restart(i).ok()?;
        }
    }
    Some((s, leader, crash_at))
}

/// Summary of one range's trials, times in ms.
#[derive(Clone, Debug, PartialEq)]
pub struct Fig16Summary {
    /// Election timeout range, ms.
    pub range_ms: (u64, u64),
    /// Trials run.
    pub trials: usize,
    /// Trials with no leader to crash ([`Fig16Trial::NoLeaderToCrash`]): left out of the
    /// statistics below, which cover the other `trials - no_leader_to_crash`.
    pub no_leader_to_crash: usize,
    /// Trials with no new leader within the cap (counted at the cap in the statistics).
    pub capped: usize,
    /// Median time to elect a new leader, ms.
    pub median_ms: f64,
    /// 90th percentile, ms.
    pub p90_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Longest, ms.
    pub max_ms: f64,
    /// Mean, ms.
    pub mean_ms: f64,
    /// The cumulative distribution: (ms, fraction of measured trials done by then), at most 100
    /// points (none when no trial was measured).
    pub cdf: Vec<(f64, f64)>,
}

/// Runs `trials` trials for one range (seeds `seed`, `seed + 1`, …) and summarizes them.
pub fn fig16_range(seed: u64, range_ms: (u64, u64), trials: usize, model: Fig16Model) -> Fig16Summary {
    fig16_range_with(seed, range_ms, trials, model, Fig16Setup::default())
}

/// [`fig16_range`] with another set-up.
pub fn fig16_range_with(seed: u64, range_ms: (u64, u64), trials: usize, model: Fig16Model, setup: Fig16Setup) -> Fig16Summary {
    fig16_summary(range_ms, (0..trials as u64).map(|t| fig16_trial_with(seed.wrapping_add(t), range_ms, model, setup)))
}

/// Summarizes one range's trials, whatever ran them (trial `t` of a range is seed `seed + t`
/// wherever it runs: `consensus-sim fig16 --shard` runs a slice of them, `merge` summarizes
/// them all here).
pub fn fig16_summary(range_ms: (u64, u64), outcomes: impl IntoIterator<Item = Fig16Trial>) -> Fig16Summary {
    let outcomes = outcomes.into_iter();
    let (mut trials, mut capped, mut no_leader_to_crash) = (0, 0, 0);
    let mut ms: Vec<f64> = Vec::with_capacity(outcomes.size_hint().0);
    for outcome in outcomes {
        trials += 1;
        match outcome {
            Fig16Trial::Elected(us) => ms.push(us as f64 / 1000.0),
            Fig16Trial::Capped => {
                capped += 1;
                ms.push(FIG16_CAP_US as f64 / 1000.0);
            }
            Fig16Trial::NoLeaderToCrash => no_leader_to_crash += 1,
        }
    }
    ms.sort_unstable_by(f64::total_cmp);
    let q = |p: f64| if ms.is_empty() { 0.0 } else { ms[((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1] };
    let cdf = if ms.is_empty() { Vec::new() } else { (1..=100).map(|k| k as f64 / 100.0).map(|p| (q(p), p)).collect() };
    Fig16Summary {
        range_ms,
        trials,
        no_leader_to_crash,
        capped,
        median_ms: q(0.5),
        p90_ms: q(0.9),
        p99_ms: q(0.99),
        max_ms: *ms.last().unwrap_or(&0.0),
        mean_ms: if ms.is_empty() { 0.0 } else { ms.iter().sum::<f64>() / ms.len() as f64 },
        cdf,
    }
}

/// Messages per committed client write, measured (issue #4, README "Measured").
#[derive(Clone, Debug, PartialEq)]
pub struct MessagesPerWrite {
    /// Cluster size.
    pub nodes: usize,
    /// The leader's batching interval, µs (None: each write is sent at once).
    pub batch_us: Option<Micros>,
    /// Whether the leader crashed halfway through the measured window.
    pub leader_change: bool,
    /// Client writes committed during the window.
    pub writes: u64,
    /// Messages sent during the window (and the settling second after it), every kind.
    pub messages: u64,
}

impl MessagesPerWrite {
    /// Messages per committed write.
    pub fn per_write(&self) -> f64 {
        self.messages as f64 / self.writes.max(1) as f64
    }
}

/// RaftScope's constants (latency 10–15 ms, election timeout 100–200 ms, heartbeat 50 ms) and
/// one client write to the leader every 10 ms for 10 simulated seconds, after the first leader
/// has settled; with `leader_change` the leader crashes at 5 s. Counts every message sent from
/// the start of the window until 1 s after the last write (heartbeats included).
pub fn messages_per_write(seed: u64, nodes: usize, batch_us: Option<Micros>, leader_change: bool) -> MessagesPerWrite {
    let config = Config {
        seed,
        nodes,
        latency_us: (10 * MS, 15 * MS),
        election_timeout_us: (100 * MS, 200 * MS),
        heartbeat_us: 50 * MS,
        batch_us,
        ..Config::default()
    };
    let mut s = Simulation::<super::Raft>::new(config).expect("valid settings");
    s.run_until(2_000 * MS);
    let (sent0, committed0) = (s.stats().messages_sent, s.stats().committed);
    let start = s.now();
    let mut k = 0;
    while s.now() < start + 10_000 * MS {
        if leader_change && k == 500 {
            if let Some(l) = s.leader() {
                let _ = s.crash(l);
            }
        }
        let _ = s.client_request(format!("\"w{k}\""), None);
        k += 1;
        s.run_until(s.now() + 10 * MS);
    }
    s.run_until(s.now() + 1_000 * MS);
    MessagesPerWrite {
        nodes,
        batch_us,
        leader_change,
        writes: s.stats().committed - committed0,
        messages: s.stats().messages_sent - sent0,
    }
}

/// The throughput workload of issue #4 (RaftScope's constants): 5 nodes, latency 10–15 ms,
/// election timeout 100–200 ms, heartbeat 50 ms, one client request to the leader every 10 ms
/// of simulated time, for `seconds` simulated seconds. Returns the events handled.
pub fn throughput_workload(seconds: u64) -> u64 {
    let config = Config {
        seed: 1,
        nodes: 5,
        latency_us: (10 * MS, 15 * MS),
        election_timeout_us: (100 * MS, 200 * MS),
        heartbeat_us: 50 * MS,
        ..Config::default()
    };
    let mut s = Simulation::<super::Raft>::new(config).expect("valid settings");
    let mut events = 0;
    let mut k = 0u64;
    while s.now() < seconds * 1_000 * MS {
        let _ = s.client_request(format!("\"w{k}\""), None);
        k += 1;
        events += s.run_until(s.now() + 10 * MS);
    }
    events
}
