//! Randomized runs: a client workload plus faults drawn at random from an enabled set, with the
//! invariant checker watching every event. `consensus-sim check` runs one per seed; a failing
//! seed replays identically (the schedule draws from its own seeded RNG, apart from the
//! simulation's).

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::{Bugs, Config, Error, Result};
use crate::sim::{chance, Micros, Simulation, Violation, Workload};

const MS: Micros = 1_000;

/// A kind of fault a randomized run may inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// `crash`: nodes crash and later restart with their persistent state.
    Crash,
    /// `pause`: nodes freeze and later resume with a stale view.
    Pause,
    /// `partition`: the network splits into two groups, and later heals.
    Partition,
    /// `cut`: single links are cut (one way or both) and later repaired.
    Cut,
    /// `drop`: the network loses 5% of messages, and random messages in flight are dropped.
    Drop,
    /// `duplicate`: the network delivers 5% of messages twice.
    Duplicate,
    /// `reorder`: latency ranges 1–60 ms, so messages on a link overtake each other.
    Reorder,
}

impl Fault {
    /// Every fault, in order.
    pub const ALL: [Fault; 7] =
        [Fault::Crash, Fault::Pause, Fault::Partition, Fault::Cut, Fault::Drop, Fault::Duplicate, Fault::Reorder];

    /// The fault's name as the CLI spells it (`crash`, `pause`, …).
    pub fn name(self) -> &'static str {
        match self {
            Fault::Crash => "crash",
            Fault::Pause => "pause",
            Fault::Partition => "partition",
            Fault::Cut => "cut",
            Fault::Drop => "drop",
            Fault::Duplicate => "duplicate",
            Fault::Reorder => "reorder",
        }
    }

    /// Parses a comma-separated list (`crash,partition` or `all`). Errors name `--faults`.
    pub fn parse_list(text: &str) -> Result<Vec<Fault>> {
        if text == "all" {
            return Ok(Fault::ALL.to_vec());
        }
        let mut out = Vec::new();
        for name in text.split(',').filter(|s| !s.is_empty()) {
            let f = Fault::ALL.into_iter().find(|f| f.name() == name).ok_or_else(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                Error::invalid("--faults", format!("must list faults from {} or be all (\"{name}\" is not one)", names.join(", ")))
            })?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Ok(out)
    }
}

/// One randomized run's settings.
#[derive(Clone, Debug)]
pub struct ChaosConfig {
    /// Seed of both the simulation and the fault schedule.
    pub seed: u64,
    /// Cluster size.
    pub nodes: usize,
    /// Stop after handling at least this many events (or at the first violation).
    pub events: u64,
    /// The faults that may be injected.
    pub faults: Vec<Fault>,
    /// Deliberate bugs in every node.
    pub bugs: Bugs,
}

/// What a randomized run saw.
#[derive(Clone, Debug)]
pub struct ChaosReport {
    /// Events handled.
    pub events: u64,
    /// Simulated time at the end, µs.
    pub time_us: Micros,
    /// Entries committed cluster-wide.
    pub committed: u64,
    /// Violations found (the run stops at the first event that finds any).
    pub violations: Vec<Violation>,
}

/// The simulation settings a randomized run uses for `cfg` (also how to replay it).
///
/// Each seed also draws whether PreVote and CheckQuorum are on (each half the time), so both
/// the production defaults and the paper's basic algorithm are covered, whether nodes take
/// snapshots (every 5–40 entries, half the time), the batch size (1–64 entries), and whether
/// reads use ReadIndex or the log.
pub fn sim_config(cfg: &ChaosConfig) -> Config {
    let has = |f| cfg.faults.contains(&f);
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x0fea_7a2e);
    Config {
        seed: cfg.seed,
        nodes: cfg.nodes,
        latency_us: if has(Fault::Reorder) { (MS, 60 * MS) } else { (10 * MS, 15 * MS) },
        drop_rate: if has(Fault::Drop) { 0.05 } else { 0.0 },
        duplicate_rate: if has(Fault::Duplicate) { 0.05 } else { 0.0 },
        bugs: cfg.bugs,
        pre_vote: chance(&mut rng, 0.5),
        check_quorum: chance(&mut rng, 0.5),
        snapshot_interval: if chance(&mut rng, 0.5) { Some(rng.random_range(5..40)) } else { None },
        max_entries_per_append: Some(rng.random_range(1..=64)),
        read_index: chance(&mut rng, 0.5),
        ..Config::default()
    }
}

/// Runs one randomized simulation: 0 to 3 key-value clients run throughout; every few
/// simulated ms an extra command may go to the leader, and a fault may strike or be undone.
pub fn run(cfg: &ChaosConfig) -> Result<(Simulation<super::Raft>, ChaosReport)> {
    let mut sim = Simulation::<super::Raft>::new(sim_config(cfg))?;
    // Key-value clients with sessions and retries (0 to 3 of them: quiet runs leave leaders
    // with nothing of their own term to commit, which is what Figure 8 is about); their
    // history is checked for linearizability after the run (crate::lincheck).
    let clients = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x0c11_e475).random_range(0..=3);
    if clients > 0 {
        sim.start_clients(Workload { clients, ..Workload::default() });
    }
    let report = drive(&mut sim, cfg, true, |_| false)?;
    Ok((sim, report))
}

/// Runs `workload` (which must end: `ops_per_client` set) under the faults of `cfg`, without
/// extra commands, until every client is done or 10 simulated minutes pass; then heals every
/// fault and lets the cluster settle for 5 simulated seconds so late answers arrive.
pub fn run_workload(cfg: &ChaosConfig, workload: Workload) -> Result<Simulation<super::Raft>> {
    let mut sim = Simulation::<super::Raft>::new(sim_config(cfg))?;
    let total = workload.clients as u64 * workload.ops_per_client.unwrap_or(0);
    sim.start_clients(workload);
    let limit = 600_000 * MS;
    drive(&mut sim, cfg, false, |s| s.now() > limit || s.history().iter().filter(|h| h.return_us.is_some()).count() as u64 >= total)?;
    sim.undo_faults()?;
    sim.run_until(sim.now() + 5_000 * MS);
    Ok(sim)
}

/// The fault schedule shared by [`run`] and [`run_workload`].
fn drive(sim: &mut Simulation<super::Raft>, cfg: &ChaosConfig, extra_commands: bool, done: impl Fn(&Simulation<super::Raft>) -> bool) -> Result<ChaosReport> {
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x5eed_f00d_cafe_d00d);
    let mut events = 0;
    let mut command = 0u64;
    // Each run draws its own client rate: busy runs replicate a lot, quiet ones leave leaders
    // with nothing of their own term to commit (what Figure 8 is about).
    let client_rate = rng.random_range(0.02..0.5);
    // And its own fault rate, from rare to stormy.
    let fault_rate = rng.random_range(0.03..0.4);
    let actions: Vec<Fault> = cfg.faults.iter().copied().filter(|f| !matches!(f, Fault::Duplicate | Fault::Reorder)).collect();
    while events < cfg.events && sim.violations().is_empty() && !done(sim) {
        let until = sim.now() + rng.random_range(1..=30) * MS;
        events += sim.run_until(until);
        if extra_commands && chance(&mut rng, client_rate) {
            command += 1;
            sim.client_request(format!("\"c{command}\""), None)?;
        }
        // Now and then the leader hands over to another node (dissertation §3.10), or the
        // membership changes by one server (§4.1; refused while a change is in progress).
        if chance(&mut rng, 0.01) {
            let _ = sim.transfer_leadership(rng.random_range(0..sim.ids().len()));
        }
        if chance(&mut rng, 0.004) {
            let members = sim.leader().map_or(0, |l| sim.node(l).cluster().len());
            if members > 2 && (chance(&mut rng, 0.5) || sim.ids().len() >= 15) {
                let _ = sim.remove_node(rng.random_range(0..sim.ids().len()));
            } else {
                let _ = sim.add_node();
            }
        }
        if actions.is_empty() || !chance(&mut rng, fault_rate) {
            continue;
        }
        // Like Jepsen's nemeses, aim at the leader half the time: its failures are the
        // interesting ones.
        let n = sim.ids().len();
        let i = match sim.leader() {
            Some(l) if chance(&mut rng, 0.5) => l,
            _ => rng.random_range(0..n),
        };
        let action = actions[rng.random_range(0..actions.len())];
        if sim.is_removed(i) {
            continue;
        }
        match action {
            Fault::Crash => {
                if sim.is_crashed(i) {
                    sim.restart(i)?;
                } else {
                    sim.crash(i)?;
                    // Half the crashes are a quick reboot: the node is back before anyone
                    // notices, with only its persistent state.
                    if chance(&mut rng, 0.5) {
                        sim.restart(i)?;
                    }
                }
            }
            Fault::Pause => {
                if sim.is_paused(i) {
                    sim.resume(i)?;
                } else if !sim.is_crashed(i) {
                    sim.pause(i)?;
                }
            }
            Fault::Partition => {
                if chance(&mut rng, 0.5) && n > 1 {
                    let mut order: Vec<usize> = (0..n).collect();
                    for k in (1..n).rev() {
                        order.swap(k, rng.random_range(0..=k));
                    }
                    let split = rng.random_range(1..n);
                    sim.partition(&[order[..split].to_vec()])?;
                } else {
                    sim.heal();
                }
            }
            Fault::Cut if n > 1 => {
                let j = (i + rng.random_range(1..n)) % n;
                let both = chance(&mut rng, 0.5);
                if chance(&mut rng, 0.6) {
                    sim.cut_link(i, j, both)?;
                } else {
                    sim.repair_link(i, j, both)?;
                }
            }
            Fault::Drop => {
                let k = rng.random_range(0..8);
                let pick = sim.in_flight().map(|m| m.id).nth(k);
                if let Some(id) = pick {
                    sim.drop_message(id)?;
                }
            }
            _ => {}
        }
    }
    Ok(ChaosReport { events, time_us: sim.now(), committed: sim.stats().committed, violations: sim.violations().to_vec() })
}
