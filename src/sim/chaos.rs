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
    /// The node leads and answers reads from its own state, believing it still leads until it
    /// hears otherwise. While a client reads from it, the nemesis strands it: cut off with a
    /// minority while every other node is up and the rest of the network whole, so that the
    /// majority elects another and goes on, and nothing else strikes for a while (not even at
    /// a vote or an entry of the new leader's), it may answer the clients that still ask it
    /// with what the majority has since overwritten (a stale read). With no client reading
    /// from it, or neither partitions nor cuts on, it is aimed at as [`Moment::Leads`].
    Strand(usize),
    /// The node is where the run should look while the moment lasts (a traitor leads: what it
    /// does shows only if every other node takes part): the nemesis undoes its faults (heals
    /// the network, restarts and resumes the other nodes) and holds still a while.
    Watch(usize),
}

impl Moment {
    /// Whether the nemesis aims at the moment as it begins (watched event by event: a vote
    /// just cast, an entry just appended), rather than at some time while it lasts (a leader,
    /// a node to watch).
    pub fn edge(self) -> bool {
        !matches!(self, Moment::Leads(_) | Moment::Watch(_) | Moment::Strand(_))
    }
}

/// One thing the nemesis did to a run (issue #16 §2: what `shrink` removes and replays). Nodes
/// by index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The node crashes.
    Crash(usize),
    /// The node restarts with its persistent state.
    Restart(usize),
    /// The node freezes.
    Pause(usize),
    /// The node resumes.
    Resume(usize),
    /// The network splits: these nodes on one side, the rest on the other.
    Partition(Vec<usize>),
    /// Every partition and cut link heals.
    Heal,
    /// The link `from` → `to` is cut (both ways when `both`).
    Cut {
        /// One end.
        from: usize,
        /// The other.
        to: usize,
        /// Both directions.
        both: bool,
    },
    /// The link is repaired.
    Repair {
        /// One end.
        from: usize,
        /// The other.
        to: usize,
        /// Both directions.
        both: bool,
    },
    /// The k-th message in flight (in the simulator's order) is lost; none if fewer are.
    Drop(usize),
    /// An extra command (a JSON string) to whoever leads.
    Command(String),
    /// One of the protocol's own actions ([`Chaos::act`]), by the name the JS API gives it
    /// (`transferLeadership`, `addNode`, `removeNode`, …), on a node.
    Protocol(&'static str, usize),
}

/// An [`Action`] at a simulated time, µs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// When, µs: after every event up to this time.
    pub at_us: Micros,
    /// What.
    pub action: Action,
}

/// Applies `action` to `sim` (a protocol action through [`Chaos::replay`]). A refused action
/// (a node already down, say), or one naming a node `sim` does not have, is skipped, not an
/// error: replaying a shortened list may ask for either. ([`Chaos::replay`] checks a protocol
/// action's node itself: `addNode` names the node it adds.)
pub fn apply<P: Chaos>(sim: &mut Simulation<P>, action: &Action) -> Result<()> {
    // (a node the shortened list never added is no node: the action is skipped)
    let n = sim.ids().len();
    let exists = match *action {
        Action::Crash(i) | Action::Restart(i) | Action::Pause(i) | Action::Resume(i) => i < n,
        Action::Partition(ref group) => group.iter().all(|&i| i < n),
        Action::Cut { from, to, .. } | Action::Repair { from, to, .. } => from < n && to < n,
        // (the protocol checks its own: addNode names the node it is to add)
        Action::Heal | Action::Drop(_) | Action::Command(_) | Action::Protocol(..) => true,
    };
    if !exists {
        return Ok(());
    }
    let _ = match *action {
        Action::Crash(i) => sim.crash(i),
        Action::Restart(i) => sim.restart(i),
        Action::Pause(i) => sim.pause(i),
        Action::Resume(i) => sim.resume(i),
        Action::Partition(ref group) => sim.partition(std::slice::from_ref(group)),
        Action::Heal => {
            sim.heal();
            Ok(())
        }
        Action::Cut { from, to, both } => sim.cut_link(from, to, both),
        Action::Repair { from, to, both } => sim.repair_link(from, to, both),
        Action::Drop(k) => {
            let pick = sim.in_flight().map(|m| m.id).nth(k);
            pick.map_or(Ok(()), |id| sim.drop_message(id))
        }
        Action::Command(ref c) => P::command(sim, c.clone()),
        Action::Protocol(name, i) => P::replay(sim, name, i),
    };
    Ok(())
}

/// What a protocol adds to randomized runs.
pub trait Chaos: Protocol {
    /// Whether the clients' histories must be linearizable (`consensus-sim check` checks them
    /// with `crate::lincheck` when so): true for replicated state machines; a mechanism
    /// without one total order of operations says false.
    const LINEARIZABLE: bool = true;
    /// Whether the protocol names [`Moment::Strand`] (a widget of another protocol then carries
    /// none of the code that strands a node). Default: false.
    const STRANDS: bool = false;
    /// The simulation a run of `cfg` uses: `cfg.sim_config()` plus the protocol's settings with
    /// `cfg.bugs` on, some of them drawn from `rng` (seeded from the run's seed alone) so that
    /// the seeds cover the protocol's options. Errors: settings the protocol refuses.
    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<Self>>;
    /// Once per step of the schedule, before the fault: the protocol's own actions, drawn from
    /// `rng` (leadership transfers, membership changes, …), each done pushed to `did`
    /// ([`Action::Protocol`]). Refused actions are no error (and are not pushed).
    fn act(_sim: &mut Simulation<Self>, _rng: &mut Pcg64Mcg, _did: &mut Vec<Action>) {}
    /// Does again one of the actions [`Self::act`] reported ([`Action::Protocol`]).
    fn replay(_sim: &mut Simulation<Self>, _name: &str, _node: usize) -> Result<()> {
        Ok(())
    }
    /// An extra command from outside the workload (a JSON string), to whoever leads.
    fn command(sim: &mut Simulation<Self>, command: String) -> Result<()>;
    /// Whether the run's clients keep their reads at the node that last answered one
    /// ([`Workload::reads_stay`]): true when a node may answer reads from its own state, so
    /// that a reader lingers at a node that may have been deposed. Default: false.
    fn reads_stay(_sim: &Simulation<Self>) -> bool {
        false
    }
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
    run_logged(cfg, &mut ())
}

/// [`run`], and every action the nemesis took, in order ([`replay`] does the run again from them).
pub fn run_recorded<P: Chaos>(cfg: &ChaosConfig) -> Result<(Simulation<P>, ChaosReport, Vec<Step>)> {
    let mut log = Vec::new();
    let (sim, report) = run_logged(cfg, &mut log)?;
    Ok((sim, report, log))
}

/// Where the schedule writes what it did: nowhere (`()`: [`run`], the CLI's `check` and the
/// page, whose wasm then carries no recording) or a list ([`run_recorded`]).
trait Log {
    /// The nemesis did `action()` at `at_us`.
    fn did(&mut self, at_us: Micros, action: impl FnOnce() -> Action);
}

impl Log for () {
    fn did(&mut self, _: Micros, _: impl FnOnce() -> Action) {}
}

impl Log for Vec<Step> {
    fn did(&mut self, at_us: Micros, action: impl FnOnce() -> Action) {
        self.push(Step { at_us, action: action() });
    }
}

fn run_logged<P: Chaos>(cfg: &ChaosConfig, log: &mut impl Log) -> Result<(Simulation<P>, ChaosReport)> {
    let mut sim = start::<P>(cfg, None)?;
    let mut report = drive(&mut sim, cfg, true, |_| false, log)?;
    if report.violations.is_empty() {
        let found = P::finish(&mut sim, cfg)?;
        report.violations.extend(found);
    }
    Ok((sim, report))
}

/// The clients a run of `cfg` starts (`clients` of them instead of its own number, when given):
/// key-value clients with sessions and retries, 0 to 3 of them (quiet runs leave leaders with
/// nothing of their own term to commit, where old-term commit bugs hide); their history is
/// checked for linearizability after the run (crate::lincheck).
fn workload(cfg: &ChaosConfig, clients: Option<usize>) -> Option<Workload> {
    let mut draw = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x0c11_e475);
    let own = draw.random_range(0..=3);
    // Half the runs' clients mostly read (swarm testing of the workload: a reader that lingers
    // at a leader cut off from the rest is how a stale read shows).
    let read_share = chance(&mut draw, 0.5).then(|| draw.random_range(0.9..0.995));
    let clients = clients.unwrap_or(own);
    (clients > 0).then(|| Workload { clients, read_share, ..Workload::default() })
}

/// Where a run of `cfg` starts, before any event or action: its simulation with its clients
/// started (`clients` of them, when given). [`replay`] applies the steps from here; so does a
/// caller that applies them itself (the page opening a shrunk run, through its JS API).
pub fn start<P: Chaos>(cfg: &ChaosConfig, clients: Option<usize>) -> Result<Simulation<P>> {
    let mut sim = simulation::<P>(cfg)?;
    if let Some(mut w) = workload(cfg, clients) {
        w.reads_stay = P::reads_stay(&sim);
        sim.start_clients(w);
    }
    Ok(sim)
}

/// Does a run of `cfg` again from its actions: a fresh simulation of `cfg` with its clients
/// (`clients` of them, when given), each step applied at its time ([`apply`]), on to
/// `until_us`; then, when nothing was found, the end-of-run checks. Stops at the first
/// violation. With every step [`run_recorded`] gave, it is the same run.
pub fn replay<P: Chaos>(cfg: &ChaosConfig, clients: Option<usize>, steps: &[Step], until_us: Micros) -> Result<(Simulation<P>, Vec<Violation>)> {
    let mut sim = start::<P>(cfg, clients)?;
    for step in steps {
        if !sim.violations().is_empty() {
            break;
        }
        // (steps at one time follow each other with no event between them, as they were taken)
        if step.at_us > sim.now() {
            sim.run_until(step.at_us);
        }
        if sim.violations().is_empty() {
            apply(&mut sim, &step.action)?;
        }
    }
    if sim.violations().is_empty() && until_us > sim.now() {
        sim.run_until(until_us);
    }
    let mut found = sim.violations().to_vec();
    if found.is_empty() {
        found = P::finish(&mut sim, cfg)?;
    }
    Ok((sim, found))
}

/// A failing run made small ([`shrink`]).
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The rule that still fails.
    pub rule: &'static str,
    /// The actions left, in order.
    pub steps: Vec<Step>,
    /// How many actions the run took at first.
    pub steps_before: usize,
    /// The clients left (the run's own number at first).
    pub clients: usize,
    /// When the violation is found now, µs (at first: `time_before_us`).
    pub time_us: Micros,
    /// When it was found at first, µs.
    pub time_before_us: Micros,
    /// The replays tried.
    pub tries: usize,
}

/// Shrinks the failing run of `cfg` (issue #16 §2): removes actions (delta debugging, Zeller &
/// Hildebrandt, TSE 2002: halves, then quarters, … down to single actions) and clients while
/// the same rule still fails, each candidate replayed from the start ([`replay`]); the run then
/// ends where the violation is found. None when the run of `cfg` finds no violation.
pub fn shrink<P: Chaos>(cfg: &ChaosConfig) -> Result<Option<Shrunk>> {
    let (sim, report, steps) = run_recorded::<P>(cfg)?;
    let Some((rule, time_before)) = failure(&sim, &report.violations) else { return Ok(None) };
    let until = report.time_us;
    let mut clients = workload(cfg, None).map_or(0, |w| w.clients);
    let mut tries = 0;
    // Whether these steps with these clients still break `rule`, and when.
    let mut fails = |steps: &[Step], clients: usize| -> Result<Option<Micros>> {
        tries += 1;
        let (sim, found) = replay::<P>(cfg, Some(clients), steps, until)?;
        Ok(failure(&sim, &found).filter(|f| f.0 == rule).map(|f| f.1))
    };
    let mut time = fails(&steps, clients)?.unwrap_or(time_before);
    let mut current = steps.clone();
    // ddmin: try removing each of n chunks; on success keep the rest and coarsen, else refine.
    let mut n = 2;
    while current.len() >= 2 {
        let chunk = current.len().div_ceil(n);
        let mut removed = false;
        for c in 0..n {
            let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(current.len()));
            if lo >= hi {
                continue;
            }
            let candidate: Vec<Step> = current[..lo].iter().chain(&current[hi..]).cloned().collect();
            if let Some(t) = fails(&candidate, clients)? {
                current = candidate;
                time = t;
                removed = true;
                break;
            }
        }
        if removed {
            n = (n - 1).max(2);
        } else {
            if n >= current.len() {
                break;
            }
            n = (2 * n).min(current.len());
        }
    }
    if current.len() == 1 {
        if let Some(t) = fails(&[], clients)? {
            current.clear();
            time = t;
        }
    }
    // Then fewer clients, while it still fails.
    while clients > 0 {
        match fails(&current, clients - 1)? {
            Some(t) => {
                clients -= 1;
                time = t;
            }
            None => break,
        }
    }
    // The run ends at the violation: actions after it never mattered.
    current.retain(|s| s.at_us <= time);
    Ok(Some(Shrunk { rule, steps: current, steps_before: steps.len(), clients, time_us: time, time_before_us: time_before, tries }))
}

/// The first rule a run broke and when: the checker's first violation, else (for a mechanism
/// whose clients expect a linearizable store) a client history that is not linearizable, at
/// the end of the run ([`crate::lincheck`], as `consensus-sim check` checks it).
fn failure<P: Chaos>(sim: &Simulation<P>, found: &[Violation]) -> Option<(&'static str, Micros)> {
    match found.first() {
        Some(v) => Some((v.rule, v.time_us)),
        None if P::LINEARIZABLE && crate::lincheck::check(sim.history()).is_err() => Some(("Linearizability", sim.now())),
        None => None,
    }
}

/// Runs `workload` (which must end: `ops_per_client` set) under the faults of `cfg`, without
/// extra commands, until every client is done or 10 simulated minutes pass; then heals every
/// fault and lets the cluster settle for 5 simulated seconds so late answers arrive.
pub fn run_workload<P: Chaos>(cfg: &ChaosConfig, workload: Workload) -> Result<Simulation<P>> {
    let mut sim = simulation::<P>(cfg)?;
    let total = workload.clients as u64 * workload.ops_per_client.unwrap_or(0);
    sim.start_clients(workload);
    let limit = 600_000 * MS;
    drive(&mut sim, cfg, false, |s| s.now() > limit || s.history().iter().filter(|h| h.return_us.is_some()).count() as u64 >= total, &mut ())?;
    sim.undo_faults()?;
    sim.run_until(sim.now() + 5_000 * MS);
    Ok(sim)
}

/// A fault aimed at `moment`, of a kind this run turns on (`on`); none when no kind fits. What
/// it did goes to `log`.
fn aim<P: Chaos>(sim: &mut Simulation<P>, moment: Moment, on: &[Fault], rng: &mut Pcg64Mcg, log: &mut impl Log) -> Result<()> {
    let n = sim.ids().len();
    let has = |f| on.contains(&f);
    match moment {
        Moment::Unreplicated(i) | Moment::Promised(i) if sim.is_removed(i) || sim.is_crashed(i) => {}
        // Crash it now; a fifth of the time it is back at once (a reboot with its persistent
        // state only), else it stays down until the schedule restarts it.
        Moment::Unreplicated(i) if has(Fault::Crash) => {
            sim.crash(i)?;
            log.did(sim.now(), || Action::Crash(i));
            if chance(rng, 0.2) {
                sim.restart(i)?;
                log.did(sim.now(), || Action::Restart(i));
            }
        }
        // (or, without crashes, cut off alone)
        Moment::Unreplicated(i) if has(Fault::Partition) && n > 1 => {
            sim.partition(&[vec![i]])?;
            log.did(sim.now(), || Action::Partition(vec![i]));
        }
        Moment::Promised(i) if has(Fault::Crash) => {
            sim.crash(i)?;
            log.did(sim.now(), || Action::Crash(i));
            sim.restart(i)?;
            log.did(sim.now(), || Action::Restart(i));
        }
        // With one other node when two are still a minority (5 nodes and more), else alone.
        Moment::Leads(i) if has(Fault::Partition) && n > 1 && !sim.is_removed(i) => {
            let group = if n >= 5 { vec![i, (i + rng.random_range(1..n)) % n] } else { vec![i] };
            sim.partition(std::slice::from_ref(&group))?;
            log.did(sim.now(), || Action::Partition(group));
        }
        Moment::Depose(i) if sim.is_removed(i) || sim.is_crashed(i) => {}
        Moment::Depose(i) if has(Fault::Partition) && n > 1 => {
            sim.partition(&[vec![i]])?;
            log.did(sim.now(), || Action::Partition(vec![i]));
        }
        // (without partitions: down until the schedule restarts it)
        Moment::Depose(i) | Moment::Leads(i) if has(Fault::Crash) && !sim.is_removed(i) && !sim.is_crashed(i) => {
            sim.crash(i)?;
            log.did(sim.now(), || Action::Crash(i));
        }
        // (undo every fault but the cut-off group's: heal, cut it off, restart or resume the rest)
        Moment::Watch(i) | Moment::Strand(i) => {
            let watch = !P::STRANDS || moment == Moment::Watch(i);
            let group = if watch || n < 5 { vec![i] } else { vec![i, (i + rng.random_range(1..n)) % n] };
            sim.heal();
            log.did(sim.now(), || Action::Heal);
            if watch {
                // (a watched node keeps its links: every other node joins it)
            } else if has(Fault::Partition) {
                sim.partition(std::slice::from_ref(&group))?;
                log.did(sim.now(), || Action::Partition(group.clone()));
            } else {
                // (or, without partitions, every link across cut both ways)
                for &from in &group {
                    for to in (0..n).filter(|k| !group.contains(k)) {
                        sim.cut_link(from, to, true)?;
                        log.did(sim.now(), || Action::Cut { from, to, both: true });
                    }
                }
            }
            for k in 0..n {
                if group.contains(&k) || sim.is_removed(k) {
                    continue;
                } else if sim.is_crashed(k) {
                    sim.restart(k)?;
                    log.did(sim.now(), || Action::Restart(k));
                } else if sim.is_paused(k) {
                    sim.resume(k)?;
                    log.did(sim.now(), || Action::Resume(k));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The fault schedule shared by [`run`] and [`run_workload`]; `open_ended` for [`run`]'s runs
/// (extra commands, aimed faults), not for a workload that must finish.
fn drive<P: Chaos>(sim: &mut Simulation<P>, cfg: &ChaosConfig, open_ended: bool, done: impl Fn(&Simulation<P>) -> bool, log: &mut impl Log) -> Result<ChaosReport> {
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
    // (after a stranded node, edge moments wait too: the new leader's first entry is one)
    let mut hold_edges_until = 0;
    // A run in which nothing happens for 10,000 steps in a row (minutes of simulated time: a
    // lone voter with no clients, say) stops: it would never reach `cfg.events`.
    let mut idle = 0;
    while events < cfg.events && sim.violations().is_empty() && !done(sim) && idle < IDLE_STEPS {
        let until = sim.now() + rng.random_range(1..=30) * MS;
        let mut handled = 0;
        if aim_rate > 0.0 && !actions.is_empty() && sim.now() >= hold_edges_until {
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
                        aim(sim, m, &actions, &mut aim_rng, log)?;
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
            let c = format!("\"c{command}\"");
            P::command(sim, c.clone())?;
            log.did(sim.now(), || Action::Command(c));
        }
        let mut did = Vec::new();
        P::act(sim, &mut rng, &mut did);
        for action in did {
            log.did(sim.now(), || action);
        }
        if actions.is_empty() || sim.now() < hold_until || !chance(&mut rng, fault_rate) {
            continue;
        }
        moments.clear();
        P::moments(sim, &mut moments);
        moments.retain(|m| !m.edge());
        if !moments.is_empty() && chance(&mut aim_rng, aim_rate) {
            let mut m = moments[aim_rng.random_range(0..moments.len())];
            // A node is stranded while a client reads from it, by a partition or cuts this run
            // turns on; else it is cut off as a leader is.
            if let Moment::Strand(i) = m {
                if !P::STRANDS || !sim.client_reads_from(i) || !actions.iter().any(|&f| f == Fault::Partition || f == Fault::Cut) {
                    m = Moment::Leads(i);
                }
            }
            aim(sim, m, &actions, &mut aim_rng, log)?;
            // Then the nemesis holds still a while, so that the protocol's reaction (an
            // election on the majority's side, clients reading from the stale leader) plays
            // out before the next fault.
            hold_until = sim.now() + aim_rng.random_range(100..=2_000) * MS;
            if P::STRANDS && matches!(m, Moment::Strand(_)) {
                hold_edges_until = hold_until;
            }
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
            let k = down[rng.random_range(0..down.len())];
            sim.restart(k)?;
            log.did(sim.now(), || Action::Restart(k));
            continue;
        }
        match action {
            Fault::Crash => {
                if sim.is_crashed(i) {
                    sim.restart(i)?;
                    log.did(sim.now(), || Action::Restart(i));
                } else {
                    sim.crash(i)?;
                    log.did(sim.now(), || Action::Crash(i));
                    // Half the crashes are a quick reboot: the node is back before anyone
                    // notices, with only its persistent state.
                    if chance(&mut rng, 0.5) {
                        sim.restart(i)?;
                        log.did(sim.now(), || Action::Restart(i));
                    }
                }
            }
            Fault::Pause => {
                if sim.is_paused(i) {
                    sim.resume(i)?;
                    log.did(sim.now(), || Action::Resume(i));
                } else if !sim.is_crashed(i) {
                    sim.pause(i)?;
                    log.did(sim.now(), || Action::Pause(i));
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
                    log.did(sim.now(), || Action::Partition(order[..split].to_vec()));
                } else {
                    sim.heal();
                    log.did(sim.now(), || Action::Heal);
                }
            }
            Fault::Cut if n > 1 => {
                let j = (i + rng.random_range(1..n)) % n;
                let both = chance(&mut rng, 0.5);
                if chance(&mut rng, 0.6) {
                    sim.cut_link(i, j, both)?;
                    log.did(sim.now(), || Action::Cut { from: i, to: j, both });
                } else {
                    sim.repair_link(i, j, both)?;
                    log.did(sim.now(), || Action::Repair { from: i, to: j, both });
                }
            }
            Fault::Drop => {
                let k = rng.random_range(0..8);
                let pick = sim.in_flight().map(|m| m.id).nth(k);
                if let Some(id) = pick {
                    sim.drop_message(id)?;
                    log.did(sim.now(), || Action::Drop(k));
                }
            }
            _ => {}
        }
    }
    Ok(ChaosReport { events, time_us: sim.now(), committed: sim.stats().committed, violations: sim.violations().to_vec() })
}
