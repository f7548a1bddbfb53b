//! Maelstrom's `broadcast` workload on the simulator, deterministic and seeded: what
//! `maelstrom test -w broadcast` does to a cluster of [`Broadcast`] servers, and what its
//! checkers report (jepsen-io/maelstrom `src/maelstrom/workload/broadcast.clj`, `core.clj`,
//! `net.clj`, `net/checker.clj`; jepsen's `checker/set-full`).
//!
//! - Operations at `rate` per second in total, the gaps drawn uniformly in `[0, 2/rate)` s
//!   (jepsen's `stagger`), each to a node drawn uniformly; half `broadcast` of the next
//!   integer (0, 1, 2, …), half `read` (`gen/mix`). Clients sit beside the nodes: client
//!   messages take no time (Maelstrom's `latency-for` gives them 0), so an operation completes
//!   when it is invoked.
//! - Latency between servers: `constant` (the mean), `uniform` (in `[0, 2·mean]`) or
//!   `exponential` (with that mean), as `net.clj`'s `latency-dist`.
//! - Partitions (`--nemesis partition`): every `[0, 2·interval)` (interval 10 s, jepsen's
//!   `stagger`) a partition starts or, the next time, heals; a partition isolates one node
//!   (`one`), a random third minus one (`minority-third`) or a random half (`majority`),
//!   drawn uniformly. (jepsen's fourth, `majorities-ring`, is not a clean split and is left out.)
//! - At the time limit the network heals, 10 s pass (Maelstrom's "Waiting for recovery"), and
//!   every node answers one final read.
//! - `msgs_per_op`: messages between servers (every send, delivered or lost) per client
//!   operation, final reads included (`net/checker.clj`'s `:servers :msgs-per-op`).
//! - `set-full` as jepsen computes it from the reads: an element's known time is its
//!   broadcast's completion; it is *stable* when some read saw it after the last read that
//!   missed it, with stable latency `last miss − known` (0 when no read missed it), in whole
//!   ms; *stale* when that latency is above 0; *lost* when the last read that missed it came
//!   after the last that saw it (and after its broadcast); quantiles at 0, 0.5, 0.95, 0.99 and
//!   1 as `frequency-distribution` takes them (index `⌊n·p⌋`).
//! - From the simulator's knowledge besides: `spread_latencies`, the time from a broadcast to
//!   the moment the last node holds the value (what reads sample), and `unspread`, values some
//!   node still lacks at the end.

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde_json::json;

use super::broadcast::{Broadcast, Options};
use super::topology::Topology;
use super::key_of;
use crate::error::{Error, Result};
use crate::protocol::{Micros, NodeId};
use crate::sim::{SimConfig, Simulation};

/// How latency between servers is drawn (Maelstrom's `--latency-dist`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyDist {
    /// Always the mean (Maelstrom's default).
    Constant,
    /// Uniform in `[0, 2·mean]`.
    Uniform,
    /// Exponential with that mean.
    Exponential,
}

impl LatencyDist {
    /// `constant`, `uniform` or `exponential`.
    pub const fn name(self) -> &'static str {
        match self {
            LatencyDist::Constant => "constant",
            LatencyDist::Uniform => "uniform",
            LatencyDist::Exponential => "exponential",
        }
    }

    /// The distribution named `name`. Errors: another name.
    pub fn parse(name: &str) -> Result<LatencyDist> {
        match name {
            "constant" => Ok(LatencyDist::Constant),
            "uniform" => Ok(LatencyDist::Uniform),
            "exponential" => Ok(LatencyDist::Exponential),
            _ => Err(Error::invalid("latency-dist", "must be constant, uniform or exponential")),
        }
    }
}

/// A run's settings. Durations µs (the CLI takes ms and s).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Servers, `n1` … `nN` (Maelstrom's `--node-count`).
    pub nodes: usize,
    /// The topology handed to the servers.
    pub topology: Topology,
    /// Mean latency between servers, µs (`--latency`, ms there).
    pub latency_us: Micros,
    /// Its distribution (`--latency-dist`).
    pub latency_dist: LatencyDist,
    /// Client operations per second, in total (`--rate`).
    pub rate: f64,
    /// How long operations are issued, µs (`--time-limit`, s there).
    pub time_limit_us: Micros,
    /// Partitions as the fault (`--nemesis partition`).
    pub partition: bool,
    /// Mean time between partition starts and heals, µs (`--nemesis-interval`, 10 s).
    pub nemesis_interval_us: Micros,
    /// Quiet time between the time limit and the final reads, µs (10 s in Maelstrom).
    pub recovery_us: Micros,
    /// The seed: of the simulation and (mixed) of the workload's draws.
    pub seed: u64,
    /// The servers' settings.
    pub options: Options,
}

impl Default for Config {
    /// Gossip Glomers' setting (challenges 3d and 3e): 25 nodes on a grid, 100 ms constant
    /// latency, 100 operations per second for 20 s, no partitions, seed 1.
    fn default() -> Self {
        Config {
            nodes: 25,
            topology: Topology::Grid,
            latency_us: 100_000,
            latency_dist: LatencyDist::Constant,
            rate: 100.0,
            time_limit_us: 20_000_000,
            partition: false,
            nemesis_interval_us: 10_000_000,
            recovery_us: 10_000_000,
            seed: 1,
            options: Options::default(),
        }
    }
}

/// Quantiles at 0, 0.5, 0.95, 0.99 and 1, whole ms (jepsen's `frequency-distribution`: the
/// element at index `min(n − 1, ⌊n·p⌋)` of the sorted list). None for an empty list.
pub fn quantiles_ms(mut us: Vec<Micros>) -> Option<[u64; 5]> {
    if us.is_empty() {
        return None;
    }
    us.sort_unstable();
    let n = us.len();
    let at = |p: f64| us[((n as f64 * p).floor() as usize).min(n - 1)] / 1000;
    Some([at(0.0), at(0.5), at(0.95), at(0.99), at(1.0)])
}

/// What a run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Client operations, final reads included.
    pub ops: u64,
    /// Broadcasts among them (the elements).
    pub broadcasts: u64,
    /// Messages between servers, every send.
    pub server_msgs: u64,
    /// Partitions started.
    pub partitions: u64,
    /// Elements stable (seen by every read after some point).
    pub stable_count: u64,
    /// Stable elements with a stable latency above 0 ms.
    pub stale_count: u64,
    /// Elements lost (the last read to miss one came after the last to see it), in order.
    pub lost: Vec<u64>,
    /// Elements neither stable nor lost (no read after them).
    pub never_read_count: u64,
    /// Stable latencies, µs, one per stable element, in element order.
    pub stable_latencies_us: Vec<Micros>,
    /// From each broadcast to the moment every node held the value, µs, for the values that
    /// reached every node, in element order.
    pub spread_latencies_us: Vec<Micros>,
    /// Values some node still lacked at the end.
    pub unspread: u64,
    /// Simulated time at the end, µs.
    pub end_us: Micros,
}

impl Report {
    /// Messages between servers per operation.
    pub fn msgs_per_op(&self) -> f64 {
        self.server_msgs as f64 / self.ops.max(1) as f64
    }

    /// The report as JSON, Maelstrom's names where it has one (`msgs-per-op`,
    /// `stable-latencies` with quantiles as keys, `lost-count`, `stale-count`), times in ms.
    pub fn to_json(&self) -> serde_json::Value {
        let q = |v: &[Micros]| match quantiles_ms(v.to_vec()) {
            Some(q) => json!({ "0": q[0], "0.5": q[1], "0.95": q[2], "0.99": q[3], "1": q[4] }),
            None => serde_json::Value::Null,
        };
        json!({
            "ops": self.ops,
            "broadcasts": self.broadcasts,
            "server-msgs": self.server_msgs,
            "msgs-per-op": (self.msgs_per_op() * 1000.0).round() / 1000.0,
            "partitions": self.partitions,
            "attempt-count": self.broadcasts,
            "stable-count": self.stable_count,
            "stale-count": self.stale_count,
            "lost-count": self.lost.len(),
            "lost": self.lost,
            "never-read-count": self.never_read_count,
            "stable-latencies": q(&self.stable_latencies_us),
            "spread-latencies": q(&self.spread_latencies_us),
            "unspread": self.unspread,
            "valid": self.lost.is_empty() && self.stable_count > 0,
        })
    }
}

/// One element's history, as jepsen's `SetFullElement` keeps it: positions are operation
/// numbers, times µs.
struct Element {
    value: u64,
    key: String,
    known: (u64, Micros),
    last_present: Option<(u64, Micros)>,
    last_absent: Option<(u64, Micros)>,
    /// Nodes holding it (simulator's knowledge), and when the last one took it.
    holders: usize,
    everywhere_at: Option<Micros>,
}

/// Watches which values each node holds, event by event (the simulator's knowledge).
struct Watch {
    seen: Vec<HashSet<String>>,
    index: std::collections::HashMap<String, usize>,
}

impl Watch {
    fn look(&mut self, sim: &Simulation<Broadcast>, i: NodeId, els: &mut [Element]) {
        let server = sim.node_state(i);
        if server.core.store.len() == self.seen[i].len() {
            return;
        }
        let n = self.seen.len();
        for k in server.keys() {
            if self.seen[i].insert(k.to_string()) {
                if let Some(&e) = self.index.get(k) {
                    els[e].holders += 1;
                    if els[e].holders == n {
                        els[e].everywhere_at = Some(sim.now());
                    }
                }
            }
        }
    }
}

/// Runs the workload `cfg` and checks it. Errors: settings the simulator or the servers
/// refuse (`nodes` outside 1 ..= 1000, a mean latency above an hour, a rate not positive).
pub fn run(cfg: &Config) -> Result<Report> {
    if !(cfg.rate > 0.0 && cfg.rate.is_finite()) {
        return Err(Error::invalid("rate", "must be a positive number of operations per second"));
    }
    let n = cfg.nodes;
    let latency = match cfg.latency_dist {
        LatencyDist::Uniform => (0, cfg.latency_us.saturating_mul(2)),
        _ => (cfg.latency_us, cfg.latency_us),
    };
    let proto = Broadcast::new(cfg.options.clone(), cfg.topology.neighbours(n))?;
    let config = SimConfig { seed: cfg.seed, nodes: n, latency_us: latency, ..SimConfig::default() };
    let mut sim = Simulation::start(config, proto)?;
    if cfg.latency_dist == LatencyDist::Exponential {
        sim.set_latency_exponential(Some(cfg.latency_us))?;
    }
    // The workload's own stream, apart from the simulation's.
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x6d61_656c_7374_726f);
    let mut els: Vec<Element> = Vec::new();
    let mut watch = Watch { seen: vec![HashSet::new(); n], index: Default::default() };
    let mut report = Report {
        ops: 0,
        broadcasts: 0,
        server_msgs: 0,
        partitions: 0,
        stable_count: 0,
        stale_count: 0,
        lost: Vec::new(),
        never_read_count: 0,
        stable_latencies_us: Vec::new(),
        spread_latencies_us: Vec::new(),
        unspread: 0,
        end_us: 0,
    };
    let gap_us = 2.0 * 1e6 / cfg.rate;
    let mut next_op = rng.random_range(0.0..gap_us) as Micros;
    let mut next_nemesis = if cfg.partition { Some(rng.random_range(0..cfg.nemesis_interval_us.saturating_mul(2).max(1))) } else { None };
    let mut partitioned = false;

    let advance = |sim: &mut Simulation<Broadcast>, until: Micros, els: &mut Vec<Element>, watch: &mut Watch| {
        while let Some(b) = sim.step_brief_until(until) {
            if let Some(i) = b.node {
                watch.look(sim, i, els);
            }
        }
        sim.run_until(until);
    };
    let read = |sim: &Simulation<Broadcast>, node: NodeId, op: u64, els: &mut Vec<Element>| {
        let store = &sim.node_state(node).core.store;
        let now = sim.now();
        for e in els.iter_mut() {
            if store.contains_key(&e.key) {
                e.last_present = Some((op, now));
            } else {
                e.last_absent = Some((op, now));
            }
        }
    };

    loop {
        let op_due = (next_op < cfg.time_limit_us).then_some(next_op);
        let nemesis_due = next_nemesis.filter(|&t| t < cfg.time_limit_us);
        let (at, is_op) = match (op_due, nemesis_due) {
            (None, None) => break,
            (Some(o), Some(m)) if m < o => (m, false),
            (Some(o), _) => (o, true),
            (None, Some(m)) => (m, false),
        };
        advance(&mut sim, at, &mut els, &mut watch);
        if !is_op {
            if partitioned {
                sim.heal();
            } else {
                let mut order: Vec<NodeId> = (0..n).collect();
                order.shuffle(&mut rng);
                let size = match rng.random_range(0..3) {
                    0 => 1,
                    1 => (n.div_ceil(3)).saturating_sub(1).max(1),
                    _ => n / 2,
                };
                sim.partition(&[order[..size.min(n)].to_vec()])?;
                report.partitions += 1;
            }
            partitioned = !partitioned;
            next_nemesis = Some(at + rng.random_range(0..cfg.nemesis_interval_us.saturating_mul(2).max(1)));
            continue;
        }
        let node = rng.random_range(0..n);
        let op = report.ops;
        report.ops += 1;
        if rng.random_bool(0.5) {
            let value = report.broadcasts;
            report.broadcasts += 1;
            let key = key_of(&json!(value));
            watch.index.insert(key.clone(), els.len());
            els.push(Element { value, key: key.clone(), known: (op, at), last_present: None, last_absent: None, holders: 0, everywhere_at: None });
            sim.act(node, |p, s, cx, out| {
                p.broadcast(s, cx, &key, out);
            });
            sim.settle();
            watch.look(&sim, node, &mut els);
        } else {
            read(&sim, node, op, &mut els);
        }
        next_op = at + rng.random_range(0.0..gap_us) as Micros;
    }
    // Maelstrom's final phase: heal, wait for recovery, one read per node.
    if partitioned {
        sim.heal();
    }
    let end = cfg.time_limit_us.saturating_add(cfg.recovery_us);
    advance(&mut sim, end, &mut els, &mut watch);
    for node in 0..n {
        let op = report.ops;
        report.ops += 1;
        read(&sim, node, op, &mut els);
    }
    report.server_msgs = sim.stats().messages_sent;
    report.end_us = sim.now();
    for e in &els {
        let stable = e.last_present.is_some_and(|(p, _)| e.last_absent.map_or(true, |(a, _)| a < p));
        let lost = e.last_absent.is_some_and(|(a, _)| e.last_present.map_or(true, |(p, _)| p < a) && e.known.0 < a);
        if stable {
            let stable_time = e.last_absent.map_or(0, |(_, t)| t);
            let latency = stable_time.saturating_sub(e.known.1);
            report.stable_count += 1;
            if latency >= 1000 {
                report.stale_count += 1;
            }
            report.stable_latencies_us.push(latency);
        } else if lost {
            report.lost.push(e.value);
        } else {
            report.never_read_count += 1;
        }
        match e.everywhere_at {
            Some(t) => report.spread_latencies_us.push(t - e.known.1),
            None => report.unspread += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_as_jepsen_takes_them() {
        assert_eq!(quantiles_ms(vec![]), None);
        assert_eq!(quantiles_ms(vec![3000, 1000, 2000, 4000]), Some([1, 3, 4, 4, 4]));
    }
}
