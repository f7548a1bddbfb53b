//! Randomized runs for any protocol: a client workload plus faults drawn at random from an
//! enabled set, with the invariant checker watching every event. `consensus-sim check` runs one
//! per seed; a failing seed replays identically (the schedule draws from its own seeded RNG,
//! apart from the simulation's).
//!
//! The runner owns the schedule (when to act, which fault, on which node: the leader half the
//! time, as Jepsen's nemeses aim); a protocol brings what only it knows through [`Chaos`]: the
//! settings a seed draws, its own actions (leadership transfers, membership changes),
//! and how an extra command reaches its leader. A test drives it with a toy protocol
//! (`tests/toy_protocol.rs`).

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use super::{chance, Micros, SimConfig, Simulation, Violation, Workload};
use crate::error::{Error, Result};
use crate::protocol::{BugSet, Protocol};
#[cfg(feature = "byzantine")]
use crate::protocol::{Byzantine, SIM_BEHAVIOURS};

const MS: Micros = 1_000;

/// Steps of the fault schedule in a row without an event after which a run stops.
const IDLE_STEPS: u32 = 10_000;

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
    /// Deliberate bugs in every node (bit `i` is the protocol's `BUGS[i]`).
    pub bugs: BugSet,
    /// How many nodes are traitors from the start (`--byzantine K`): which ones, and the
    /// behaviour of each (the simulator's `silent` and `mute`, or one of the protocol's
    /// [`Protocol::BEHAVIOURS`]), are drawn from the seed. 0: every node is honest.
    pub traitors: usize,
}

impl ChaosConfig {
    /// The fault kinds this seed turns on (swarm testing, Groce et al., ISSTA 2012, as
    /// TigerBeetle's VOPR uses it): each of `faults` is on with probability ½, drawn from the
    /// seed alone, and at least one is on when `faults` is not empty. Some runs are quiet
    /// (a lone kind of fault, rare), some are storms; a run that mixes everything every time
    /// drowns the few faults at the right moment that real bugs need in many others.
    pub fn swarm(&self) -> Vec<Fault> {
        let mut rng = Pcg64Mcg::seed_from_u64(self.seed ^ 0x5a4a_7e57);
        let mut on: Vec<Fault> = self.faults.iter().copied().filter(|_| chance(&mut rng, 0.5)).collect();
        if on.is_empty() && !self.faults.is_empty() {
            on.push(self.faults[rng.random_range(0..self.faults.len())]);
        }
        on
    }

    /// The simulator's settings for this run: the seed and size, and the network the faults
    /// this seed turns on ask for ([`Self::swarm`]: 1–60 ms latency with `reorder`, else
    /// 10–15 ms; 5% loss with `drop`; 5% duplication with `duplicate`). A protocol adds its
    /// own ([`Chaos::simulation`]).
    pub fn sim_config(&self) -> SimConfig {
        let on = self.swarm();
        let has = |f| on.contains(&f);
        SimConfig {
            seed: self.seed,
            nodes: self.nodes,
            latency_us: if has(Fault::Reorder) { (MS, 60 * MS) } else { (10 * MS, 15 * MS) },
            drop_rate: if has(Fault::Drop) { 0.05 } else { 0.0 },
            duplicate_rate: if has(Fault::Duplicate) { 0.05 } else { 0.0 },
            ..SimConfig::default()
        }
    }
}

/// What a randomized run saw.
#[derive(Clone, Debug)]
pub struct ChaosReport {
    /// Events handled.
    pub events: u64,
    /// Simulated time at the end, µs.
    pub time_us: Micros,
    /// Values decided cluster-wide (the checker's count).
    pub committed: u64,
    /// Violations found (the run stops at the first event that finds any).
    pub violations: Vec<Violation>,
}

/// A moment of a run at which a fault is most likely to expose a bug, as the protocol sees it
/// (issue #16 §1: the protocol names its interesting moments, and the nemesis aims at them
/// without knowing the protocol). Each names a node by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// The node leads and holds entries that only a minority has: crashing it now (or
    /// cutting it off) leaves them partly replicated for the next leader to deal with.
    Unreplicated(usize),
    /// The node has just promised something it must keep across a crash (a vote, a promise):
    /// a reboot now tests that the promise was persisted.
    Promised(usize),
    /// The node leads: cut off with one other node, it keeps a minority and may go on
    /// believing it leads while the majority moves on (a stale leader).
    Leads(usize),
    /// The node has just taken the lead, and the run should see the lead pass on (an honest
    /// primary while a traitor waits for its turn): cut off alone, or crashed, as it begins.
    Depose(usize),
}

impl Moment {
    /// Whether the nemesis aims at the moment as it begins (watched event by event: a vote
    /// just cast, an entry just appended), rather than at some time while it lasts (a leader).
    pub fn edge(self) -> bool {
        !matches!(self, Moment::Leads(_))
    }
}

/// What a protocol adds to randomized runs.
pub trait Chaos: Protocol {
    /// Whether the clients' histories must be linearizable (`consensus-sim check` checks them
    /// with `crate::lincheck` when so): true for replicated state machines; a mechanism
    /// without one total order of operations says false.
    const LINEARIZABLE: bool = true;
    /// The simulation a run of `cfg` uses: `cfg.sim_config()` plus the protocol's settings with
    /// `cfg.bugs` on, some of them drawn from `rng` (seeded from the run's seed alone) so that
    /// the seeds cover the protocol's options. Errors: settings the protocol refuses.
    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<Self>>;
    /// Once per step of the schedule, before the fault: the protocol's own actions, drawn from
    /// `rng` (leadership transfers, membership changes, …). Refused actions are no error.
    fn act(_sim: &mut Simulation<Self>, _rng: &mut Pcg64Mcg) {}
    /// An extra command from outside the workload (a JSON string), to whoever leads.
    fn command(sim: &mut Simulation<Self>, command: String) -> Result<()>;
    /// The interesting moments of the run as it stands ([`Moment`]), pushed to `out`, at
    /// which the nemesis aims some of its faults. Default: none (faults strike at random).
    fn moments(_sim: &Simulation<Self>, _out: &mut Vec<Moment>) {}
    /// After a run of [`run`] that found no violation: the protocol's own end-of-run checks
    /// (an eventually consistent mechanism's convergence once writes stop and faults are
    /// undone, say), which may run the simulation further. Returns what they found. Default:
    /// nothing, and the simulation is left as it is.
    fn finish(_sim: &mut Simulation<Self>, _cfg: &ChaosConfig) -> Result<Vec<Violation>> {
        Ok(Vec::new())
    }
}

/// The simulation a run of `cfg` uses, before anything happens in it (also how to replay it).
pub fn simulation<P: Chaos>(cfg: &ChaosConfig) -> Result<Simulation<P>> {
    #[cfg_attr(not(feature = "byzantine"), allow(unused_mut))]
    let mut sim = P::simulation(cfg, &mut Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x0fea_7a2e))?;
    if cfg.traitors > 0 {
        #[cfg(feature = "byzantine")]
        for (i, b) in traitors::<P>(cfg) {
            sim.set_byzantine(i, Some(b))?;
        }
        #[cfg(not(feature = "byzantine"))]
        return Err(Error::invalid("traitors", "must be 0 in a build without the byzantine feature"));
    }
    Ok(sim)
}

/// The traitors of a run of `cfg` and their behaviours, drawn from its own RNG (seeded from the
/// run's seed): `cfg.traitors` distinct nodes (at most all), each with one of the behaviours
/// the protocol offers, `silent` and `mute` included (a mute traitor keeps quiet towards a
/// random half of the others). In node order.
#[cfg(feature = "byzantine")]
pub fn traitors<P: Protocol>(cfg: &ChaosConfig) -> Vec<(usize, Byzantine)> {
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0xb12a_0717e5);
    let n = cfg.nodes;
    let mut order: Vec<usize> = (0..n).collect();
    for k in (1..n).rev() {
        order.swap(k, rng.random_range(0..=k));
    }
    let mut chosen: Vec<usize> = order.into_iter().take(cfg.traitors).collect();
    crate::collections::sort_small(&mut chosen);
    let kinds = SIM_BEHAVIOURS.len() + P::BEHAVIOURS.len();
    chosen
        .into_iter()
        .map(|i| {
            let b = match rng.random_range(0..kinds) {
                0 => Byzantine::Silent,
                1 => Byzantine::Mute((0..n).filter(|&j| j != i && chance(&mut rng, 0.5)).collect()),
                k => Byzantine::Lie(k - SIM_BEHAVIOURS.len()),
            };
            (i, b)
        })
        .collect()
}

/// Runs one randomized simulation: 0 to 3 key-value clients run throughout; every few
/// simulated ms an extra command may go to the leader, and a fault may strike or be undone.
/// It stops after `cfg.events` events, at the first violation, or after 10,000 steps of the
/// schedule in a row in which nothing happened; then, when nothing was found, the protocol's
/// end-of-run checks run ([`Chaos::finish`]).
pub fn run<P: Chaos>(cfg: &ChaosConfig) -> Result<(Simulation<P>, ChaosReport)> {
    let mut sim = simulation::<P>(cfg)?;
    // Key-value clients with sessions and retries (0 to 3 of them: quiet runs leave leaders
    // with nothing of their own term to commit, where old-term commit bugs hide); their
    // history is checked for linearizability after the run (crate::lincheck).
    let mut draw = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x0c11_e475);
    let clients = draw.random_range(0..=3);
    // Half the runs' clients mostly read (swarm testing of the workload: a reader that lingers
    // at a leader cut off from the rest is how a stale read shows).
    let read_share = chance(&mut draw, 0.5).then(|| draw.random_range(0.9..0.995));
    if clients > 0 {
        sim.start_clients(Workload { clients, read_share, ..Workload::default() });
    }
    let mut report = drive(&mut sim, cfg, true, |_| false)?;
    if report.violations.is_empty() {
        let found = P::finish(&mut sim, cfg)?;
        report.violations.extend(found);
    }
    Ok((sim, report))
}

/// Runs `workload` (which must end: `ops_per_client` set) under the faults of `cfg`, without
/// extra commands, until every client is done or 10 simulated minutes pass; then heals every
/// fault and lets the cluster settle for 5 simulated seconds so late answers arrive.
pub fn run_workload<P: Chaos>(cfg: &ChaosConfig, workload: Workload) -> Result<Simulation<P>> {
    let mut sim = simulation::<P>(cfg)?;
    let total = workload.clients as u64 * workload.ops_per_client.unwrap_or(0);
    sim.start_clients(workload);
    let limit = 600_000 * MS;
    drive(&mut sim, cfg, false, |s| s.now() > limit || s.history().iter().filter(|h| h.return_us.is_some()).count() as u64 >= total)?;
    sim.undo_faults()?;
    sim.run_until(sim.now() + 5_000 * MS);
    Ok(sim)
}

/// A fault aimed at `moment`, of a kind this run turns on (`on`); none when no kind fits.
fn aim<P: Chaos>(sim: &mut Simulation<P>, moment: Moment, on: &[Fault], rng: &mut Pcg64Mcg) -> Result<()> {
    let n = sim.ids().len();
    let has = |f| on.contains(&f);
    match moment {
        Moment::Unreplicated(i) | Moment::Promised(i) if sim.is_removed(i) || sim.is_crashed(i) => {}
        // Crash it now; a fifth of the time it is back at once (a reboot with its persistent
        // state only), else it stays down until the schedule restarts it.
        Moment::Unreplicated(i) if has(Fault::Crash) => {
            sim.crash(i)?;
            if chance(rng, 0.2) {
                sim.restart(i)?;
            }
        }
        // (or, without crashes, cut off alone)
        Moment::Unreplicated(i) if has(Fault::Partition) && n > 1 => sim.partition(&[vec![i]])?,
        Moment::Promised(i) if has(Fault::Crash) => {
            sim.crash(i)?;
            sim.restart(i)?;
        }
        // With one other node when two are still a minority (5 nodes and more), else alone.
        Moment::Leads(i) if has(Fault::Partition) && n > 1 && !sim.is_removed(i) => {
            let group = if n >= 5 { vec![i, (i + rng.random_range(1..n)) % n] } else { vec![i] };
            sim.partition(&[group])?;
        }
        Moment::Depose(i) if sim.is_removed(i) || sim.is_crashed(i) => {}
        Moment::Depose(i) if has(Fault::Partition) && n > 1 => sim.partition(&[vec![i]])?,
        Moment::Depose(i) if has(Fault::Crash) => sim.crash(i)?,
        // (without partitions: down until the schedule restarts it)
        Moment::Leads(i) if has(Fault::Crash) && !sim.is_removed(i) && !sim.is_crashed(i) => sim.crash(i)?,
        _ => {}
    }
    Ok(())
}

/// The fault schedule shared by [`run`] and [`run_workload`]; `open_ended` for [`run`]'s runs
/// (extra commands, aimed faults), not for a workload that must finish.
fn drive<P: Chaos>(sim: &mut Simulation<P>, cfg: &ChaosConfig, open_ended: bool, done: impl Fn(&Simulation<P>) -> bool) -> Result<ChaosReport> {
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x5eed_f00d_cafe_d00d);
    let mut events = 0;
    let mut command = 0u64;
    // Each run draws its own client rate: busy runs replicate a lot, quiet ones leave leaders
    // with nothing of their own term to commit.
    let client_rate = rng.random_range(0.02..0.5);
    // And its own fault rate, from rare to stormy, about log-uniform from 0.3% to 40% a step (as
    // many runs with a fault every few seconds as with several a second: quiet runs let a
    // partition outlast an election). (Halvings, not `ln`/`exp`: no libm in the wasm.)
    let fault_rate = 0.4 / f64::from(1u32 << rng.random_range(0..7)) * rng.random_range(0.7..1.0);
    let actions: Vec<Fault> = cfg.swarm().into_iter().filter(|f| !matches!(f, Fault::Duplicate | Fault::Reorder)).collect();
    // How often a fault aims at a moment the protocol names, when there is one (drawn per run
    // too: some runs only aim, some never do).
    let aim_rate = if chance(&mut rng, 0.2) { 0.0 } else { rng.random_range(0.2..1.0) };
    // (a workload that must finish is not aimed at: aimed faults can keep a cluster from
    // serving it for simulated minutes)
    let aim_rate = if open_ended { aim_rate } else { 0.0 };
    // The nemesis aims with its own RNG (the random faults' draws stay as they are).
    let mut aim_rng = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0xa1_5eed);
    let mut moments: Vec<Moment> = Vec::new();
    let mut before: Vec<Moment> = Vec::new();
    let mut hold_until = 0;
    // A run in which nothing happens for 10,000 steps in a row (minutes of simulated time: a
    // lone voter with no clients, say) stops: it would never reach `cfg.events`.
    let mut idle = 0;
    while events < cfg.events && sim.violations().is_empty() && !done(sim) && idle < IDLE_STEPS {
        let until = sim.now() + rng.random_range(1..=30) * MS;
        let mut handled = 0;
        if aim_rate > 0.0 && !actions.is_empty() {
            // Event by event, so that a fault can strike right after the event that made a
            // moment (a vote just cast, an entry just appended), before the next message.
            while let Some(t) = sim.next_event_at().filter(|&t| t <= until) {
                handled += sim.run_until(t);
                if !sim.violations().is_empty() || events + handled >= cfg.events {
                    break;
                }
                moments.clear();
                P::moments(sim, &mut moments);
                for &m in &moments {
                    if m.edge() && !before.contains(&m) && chance(&mut aim_rng, aim_rate) {
                        aim(sim, m, &actions, &mut aim_rng)?;
                    }
                }
                std::mem::swap(&mut moments, &mut before);
            }
        }
        handled += sim.run_until(until);
        idle = if handled == 0 { idle + 1 } else { 0 };
        events += handled;
        if open_ended && chance(&mut rng, client_rate) {
            command += 1;
            P::command(sim, format!("\"c{command}\""))?;
        }
        P::act(sim, &mut rng);
        if actions.is_empty() || sim.now() < hold_until || !chance(&mut rng, fault_rate) {
            continue;
        }
        moments.clear();
        P::moments(sim, &mut moments);
        moments.retain(|m| !m.edge());
        if !moments.is_empty() && chance(&mut aim_rng, aim_rate) {
            aim(sim, moments[aim_rng.random_range(0..moments.len())], &actions, &mut aim_rng)?;
            // Then the nemesis holds still a while, so that the protocol's reaction (an
            // election on the majority's side, clients reading from the stale leader) plays
            // out before the next fault.
            hold_until = sim.now() + aim_rng.random_range(100..=2_000) * MS;
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
        // A node that aimed faults left down comes back as often as one crashes.
        let down: Vec<usize> = if aim_rate > 0.0 { (0..n).filter(|&k| sim.is_crashed(k) && !sim.is_removed(k)).collect() } else { Vec::new() };
        if action == Fault::Crash && !down.is_empty() && chance(&mut rng, 0.5) {
            sim.restart(down[rng.random_range(0..down.len())])?;
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
