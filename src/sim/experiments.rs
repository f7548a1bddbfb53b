//! Experiments that measure the simulated Raft against the paper.
//!
//! [`fig16_trial`] reproduces one trial of the Raft paper's Figure 16 (Ongaro & Ousterhout,
//! USENIX ATC 2014, §9.3): five servers, a broadcast time of about 15 ms, logs of different
//! lengths so that some servers cannot win, the leader crashed at a uniformly random time within
//! its heartbeat interval (half the minimum election timeout); the trial measures the time from
//! the crash until a new leader is elected. PreVote and CheckQuorum are off: the paper's
//! algorithm.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::{Config, Micros, Simulation};
use crate::raft::Role;

const MS: Micros = 1_000;

/// The election-timeout ranges of Figure 16, in ms: the top panel, then the bottom one.
pub const FIG16_RANGES_MS: [(u64, u64); 11] =
    [(150, 150), (150, 151), (150, 155), (150, 175), (150, 200), (150, 300), (12, 24), (25, 50), (50, 100), (100, 200), (150, 300)];

/// A trial gives up after this much simulated time without a new leader.
pub const FIG16_CAP_US: Micros = 20_000 * MS;

/// One-way message latency of the experiment, µs: a round trip (the paper's broadcast time) of
/// about 15 ms.
pub const FIG16_LATENCY_US: (Micros, Micros) = (7 * MS, 8 * MS);

/// The simulation settings of a Figure 16 trial with election timeouts in `[lo, hi]` ms.
pub fn fig16_config(seed: u64, (lo, hi): (u64, u64)) -> Config {
    Config {
        seed,
        nodes: 5,
        latency_us: FIG16_LATENCY_US,
        election_timeout_us: (lo * MS, hi * MS),
        heartbeat_us: (lo * MS / 2).max(1),
        pre_vote: false,
        check_quorum: false,
        snapshot_interval: None,
        ..Config::default()
    }
}

/// One Figure 16 trial: µs from the leader's crash until a new leader is elected, or None when
/// none is within [`FIG16_CAP_US`].
pub fn fig16_trial(seed: u64, range_ms: (u64, u64)) -> Option<Micros> {
    let config = fig16_config(seed, range_ms);
    let heartbeat = config.heartbeat_us;
    let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0xf16_f16);
    let mut s = Simulation::new(config).expect("valid settings");
    // n1 leads; n4 and n5 miss the last entries, so their logs are shorter and they cannot win.
    s.start_election(0).expect("n1 runs");
    let limit = s.now() + FIG16_CAP_US;
    while s.node(0).role() != Role::Leader {
        s.step()?;
        if s.now() > limit {
            return None;
        }
    }
    s.run_until(s.now() + 50 * MS);
    // n4 and n5 are down while n1 appends: their logs stay shorter.
    s.crash(3).ok()?;
    s.crash(4).ok()?;
    for k in 0..3 {
        s.client_request(format!("\"e{k}\""), Some(0)).ok()?;
    }
    s.run_until(s.now() + 60 * MS);
    // Crash n1 at a uniformly random time within a heartbeat interval: wait for one of its
    // heartbeats, then up to one interval more. n4 and n5 come back at that moment.
    while s.step().is_some_and(|e| !(e.kind == "heartbeat" && e.node.as_deref() == Some("n1"))) {}
    s.run_until(s.now() + rng.random_range(0..heartbeat));
    if s.node(0).role() != Role::Leader {
        return None;
    }
    s.crash(0).ok()?;
    s.restart(3).ok()?;
    s.restart(4).ok()?;
    let crashed_at = s.now();
    while s.now() - crashed_at < FIG16_CAP_US {
        s.step()?;
        if s.leader().is_some() {
            return Some(s.now() - crashed_at);
        }
    }
    None
}

/// Summary of one range's trials, times in ms.
#[derive(Clone, Debug, PartialEq)]
pub struct Fig16Summary {
    /// Election timeout range, ms.
    pub range_ms: (u64, u64),
    /// Trials run.
    pub trials: usize,
    /// Trials with no leader within the cap (counted at the cap in the statistics).
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
    /// The cumulative distribution: (ms, fraction of trials done by then), at most 101 points.
    pub cdf: Vec<(f64, f64)>,
}

/// Runs `trials` trials for one range (seeds `seed`, `seed + 1`, …) and summarizes them.
pub fn fig16_range(seed: u64, range_ms: (u64, u64), trials: usize) -> Fig16Summary {
    let mut capped = 0;
    let mut ms: Vec<f64> = (0..trials as u64)
        .map(|t| {
            fig16_trial(seed.wrapping_add(t), range_ms).unwrap_or_else(|| {
                capped += 1;
                FIG16_CAP_US
            }) as f64
                / 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| ms[((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    let cdf = (0..=100).map(|k| k as f64 / 100.0).filter(|p| *p > 0.0).map(|p| (q(p), p)).collect();
    Fig16Summary {
        range_ms,
        trials,
        capped,
        median_ms: q(0.5),
        p90_ms: q(0.9),
        p99_ms: q(0.99),
        max_ms: *ms.last().unwrap_or(&0.0),
        mean_ms: ms.iter().sum::<f64>() / ms.len().max(1) as f64,
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
    let mut s = Simulation::new(config).expect("valid settings");
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
    let mut s = Simulation::new(config).expect("valid settings");
    let mut events = 0;
    let mut k = 0u64;
    while s.now() < seconds * 1_000 * MS {
        let _ = s.client_request(format!("\"w{k}\""), None);
        k += 1;
        events += s.run_until(s.now() + 10 * MS);
    }
    events
}
