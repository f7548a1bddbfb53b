//! `consensus-sim`: the native command line of the simulator. JSON on stdout.
//!
//! ```text
//! consensus-sim check [--protocol P] --seeds A..B [--events N] [--faults LIST|all] [--nodes K] [--bug NAME] [--threads T] [--byzantine K] [--shard i/k]
//! consensus-sim history [--protocol P] --seed S [--clients C] [--ops N] [--faults LIST|all|none] [--nodes K]
//! consensus-sim fig16 [--trials N] [--seed S] [--model disk|network|logcabin] [--write-ms W] [--heartbeats broadcast|per-follower] [--rejoin crash|heartbeat] [--shard i/k]
//! consensus-sim messages [--protocol P]
//! consensus-sim bench [--workload raft|gossip]
//! consensus-sim gossip [--experiment rounds|rumors|attest|all] [--seeds A..B] [--nodes LIST] [--threads T] [--shard i/k]
//! consensus-sim merge [FILE …]
//! consensus-sim lincheck [FILE]
//! consensus-sim maelstrom [--setting 3d|3e] [--topology T] [--nodes N] [--latency-ms L] [--latency-dist D] [--rate R] [--time-limit S] [--partition] [--seed S] [--spread tree|flood] [--batch-ms B] [--sync-ms Y]
//! consensus-sim maelstrom-node [--protocol gossip|raft|paxos] [--seed S] [--spread tree|flood] [--batch-ms B] [--sync-ms Y] [--ignore-topology]
//! ```
//! `--protocol` names the mechanism (`raft`, the default, `paxos`, `vote`, `pbft`, `hotstuff`,
//! `generals` or `gossip`); `--bug` names one
//! of its deliberate bugs; `--byzantine K` makes K nodes traitors from the start, which ones and
//! how each misbehaves drawn from the seed (`sim::chaos::traitors`; the checker judges only the
//! honest ones). With `--protocol paxos` or `vote`, `messages` prints messages per
//! decided value (`sim::measure::messages_per_decision`) beside the textbook figures.
//! `bench` runs the throughput workload (`sim::experiments::throughput_workload`, 60 simulated
//! seconds) natively and prints `{"bench":"sim-native","sim_s_per_wall_s","events_per_s",…}`;
//! `bench --workload gossip` spreads one update by push-pull to 10,000 agents, three seeds, and
//! prints `{"bench":"gossip-native","rounds","events","wall_s",…}` per run.
//! `messages` measures messages per committed client write (see
//! `sim::experiments::messages_per_write`) for 3, 5 and 7 nodes, without and with batching, in
//! steady state and across a leader change: one JSON object per line, with the textbook figure
//! 2(n−1) for a leader-based protocol without batching.
//! `fig16` reproduces the Raft paper's Figure 16 (see `sim::experiments`): one JSON object per
//! election-timeout range, `{"range_ms","model","trials","no_leader_to_crash","capped",
//! "median_ms","p90_ms","p99_ms","max_ms","mean_ms","cdf":[[ms,fraction],…]}`, one per line
//! (`capped`: no new leader within 20 s, counted as 20 s; `no_leader_to_crash`: left out). `--model disk` (default) is the
//! paper's LAN cluster, where the 15 ms broadcast time is mostly a disk write; `network` puts
//! all 15 ms on the wire (see `sim::experiments::Fig16Model`). `--heartbeats per-follower` gives
//! the leader LogCabin's heartbeat schedules, one per follower (`raft::sim::Options::
//! per_follower_heartbeats`); the lines then say `"heartbeats":"per-follower"`. `--rejoin
//! heartbeat` brings the two servers with shorter logs back right after the leader's last
//! heartbeat instead of at the crash (`sim::experiments::Fig16Rejoin`); the lines then say
//! `"rejoin":"heartbeat"`. `--model logcabin` is LogCabin as the paper measured it: its
//! per-file writes and whole-ms timeouts (`raft::sim::Options::logcabin_writes_us`), each file
//! 1.8 ms (`--write-ms W` to change it), and the paper's synchronized heartbeat (its rejoin is
//! `heartbeat` unless `--rejoin` says otherwise); its lines add `"write_ms"`.
//! `check` runs one randomized simulation per seed in `A..B` (B excluded): a client workload,
//! faults drawn from LIST (crash, pause, partition, cut, drop, duplicate, reorder), the invariant
//! checker after every event, and the clients' history checked for linearizability at the end
//! (rule "Linearizability"; not for `vote` and `gossip`, which promise no linearizability:
//! gossip's runs end instead with its convergence check, `gossip::chaos`). It prints `{"runs", "events", "violations", "failing_seeds",
//! "first_violation", "wall_ms", …}`. Exit status: without `--bug`, 1 when a violation is found;
//! with `--bug`, 1 when none is (the checker missed the bug). 2 on bad arguments.
//! The seeds run in parallel on every core (rayon); their results are combined in seed order, so
//! the output is the same for any number of threads, apart from `wall_ms`. `--threads T` sets the
//! number of threads (`--threads 1`: one core); without it, the environment variable
//! `RAYON_NUM_THREADS` does, and without that, the number of cores.
//!
//! `gossip` runs the epidemic experiments of `gossip::experiment` over the seeds (default 0..300),
//! one JSON object per line. `rounds`: one update spread by anti-entropy among n agents (default
//! 100, 1000 and 10000) by push, pull and push-pull, with synchronous and with independent
//! rounds; rounds until the last agent has it (mean, p99, max) beside Pittel's log₂ n + ln n
//! for push and log₃ n for push-pull. `rumors`: rumor mongering alone among n agents (default
//! 1000) in synchronous rounds, push, with feedback or blind, counter or coin, k = 1 … 5 (and
//! feedback with Demers' reading of the counter, `paper_table` 1; blind and coin is his Table
//! 2); the residue s, the traffic m (rumor messages per agent) and the rounds t_ave and t_last,
//! beside s = e^(−m) and, with feedback, the root of s = e^(−(k+1)(1−s)).
//!
//! `attest`: collective validation (`gossip::attest`) among n agents (default 100): the
//! fraction of honest agents that decide a claim wrongly and the time until all have decided,
//! for k = 1, 3, 5, 9 and 0 to 40% liars, a false claim (published by a liar) and a true one;
//! then one Sybil minting 0, 4 or 20 identities against k = 5, with and without identity
//! admission (`members_only`).
//!
//! `maelstrom` runs Maelstrom's `broadcast` workload on the simulator (`maelstrom::workload`):
//! `--nodes` servers (25) arranged by `--topology` (`line`, `grid` (default), `tree2`, `tree3`,
//! `tree4`, `total`; Maelstrom's definitions), server-to-server latency `--latency-ms` (mean, 100)
//! drawn by `--latency-dist` (`constant` (default), `uniform` in [0, 2·mean], `exponential`),
//! `--rate` client operations per second (100; half broadcasts, half reads, each to a random
//! node) for `--time-limit` seconds (20), then 10 s of quiet and a final read at every node.
//! `--partition` adds Maelstrom's partition nemesis (a partition starts or heals every
//! [0, 20) s); `--nemesis-interval S` sets its mean (10). `--seed` (1) seeds the run; the same
//! seed prints the same JSON. The servers: `--spread tree` (default: each value relayed along
//! its origin's breadth-first tree of the topology, batched per neighbour for `--batch-ms`, 100)
//! or `flood` (Maelstrom's tutorial server: every new value at once to every neighbour but its
//! sender); anti-entropy every `--sync-ms` (1000; 0 turns it off). `--setting 3d` or `3e` sets
//! Gossip Glomers' workload (25 nodes, 100 ms, rate 100, 20 s) and judges the run against that
//! challenge's targets (3d: under 30 messages per operation, median stable latency under 400 ms,
//! maximum under 600 ms; 3e: under 20, 1 s, 2 s). It prints one JSON object: the settings,
//! `msgs-per-op`, `stable-latencies` (jepsen's set-full, from the reads: quantiles 0, 0.5, 0.95,
//! 0.99, 1 in ms), `spread-latencies` (from the simulator's knowledge: broadcast to the last
//! node holding it), `stale-count`, `lost-count`, `lost`, and `challenges` (both targets judged).
//!
//! `maelstrom-node` is a Maelstrom node (`maelstrom test -w broadcast --bin` a script running
//! it): newline-delimited JSON messages on stdin and stdout, logs on stderr
//! (`maelstrom::node`). With `--protocol gossip` (its default) it serves `init`, `topology`,
//! `broadcast` and `read` with the same
//! broadcast server as `maelstrom` (its flags the same), driven by the wall clock: a thread
//! reads stdin, the main loop sleeps until the next line or the next timer. `--ignore-topology`
//! makes every node a neighbour (`total`) whatever topology Maelstrom sends. `--protocol raft`
//! serves the `lin-kv` workload instead (`maelstrom::linkv`: `read`, `write`, `cas` on Raft's
//! key-value store; error 20 for a missing key, 22 for a cas that does not swap, 11 from a node
//! that does not lead; 10 for another type); `--protocol paxos` the same with Multi-Paxos.
//! `--seed` (0) seeds the node's RNG (mixed with its index).
//!
//! `--shard i/k` (`check`, `fig16`, `gossip`) runs the i-th of k equal slices (i from 0 to
//! k − 1) of the seeds (`check`, `gossip`) or of each range's trials (`fig16`); a seed or trial
//! runs the same wherever it lands. Instead of the summary a shard prints its raw results, one
//! JSON line per summary line (`consensus_playground::shard::Part`: the shard, the command, the
//! line, the slice, the settings, the per-seed or per-trial data, its wall time), and exits 0
//! once it has run (2 on bad arguments). `merge` reads the k shards' lines (the files, or
//! stdin), checks they are one complete run, and prints what the unsharded run prints, with its
//! exit status; `wall_ms` is then the shards' wall times added up.
//!
//! `history` runs C key-value clients doing N operations each under the faults, then writes the
//! history as JSON Lines, one operation per line, times in simulated ms; `"return":null` means no
//! answer came (the operation may or may not have taken effect).

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use consensus_playground::gossip::Gossip;
use consensus_playground::kv::Op;
use consensus_playground::lincheck;
use consensus_playground::protocol::BugSet;
use consensus_playground::paxos::Paxos;
use consensus_playground::pbft::Pbft;
use consensus_playground::raft::Raft;
use consensus_playground::vote::Vote;
use consensus_playground::sim::chaos::{self, Chaos, ChaosConfig, Fault};
use consensus_playground::sim::{HistoryOp, Violation, Workload};
use consensus_playground::shard::{self, Part, Shard};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

const USAGE: &str = "usage: consensus-sim check [--protocol P] --seeds A..B [--events N] [--faults LIST|all] [--nodes K] [--bug NAME] [--threads T] [--byzantine K] [--shard i/k]\n       consensus-sim history [--protocol P] --seed S [--clients C] [--ops N] [--faults LIST|all|none] [--nodes K]\n       consensus-sim fig16 [--trials N] [--seed S] [--model disk|network|logcabin] [--write-ms W] [--heartbeats broadcast|per-follower] [--rejoin crash|heartbeat] [--shard i/k]\n       consensus-sim messages [--protocol P]\n       consensus-sim bench [--workload raft|gossip]\n       consensus-sim gossip [--experiment rounds|rumors|attest|all] [--seeds A..B] [--nodes LIST] [--threads T] [--shard i/k]\n       consensus-sim merge [FILE …]   (the outputs of --shard 0/k … k-1/k; no FILE: stdin)\n       consensus-sim lincheck [FILE]   (a history as `history` prints it, JSON Lines; no FILE: stdin)\n       consensus-sim shrink [--protocol P] --seed S [--events N] [--faults LIST|all] [--nodes K] [--bug NAME] [--byzantine K]\n       consensus-sim maelstrom [--setting 3d|3e] [--topology line|grid|tree2|tree3|tree4|total] [--nodes N] [--latency-ms L] [--latency-dist constant|uniform|exponential] [--rate R] [--time-limit S] [--partition] [--nemesis-interval S] [--seed S] [--spread tree|flood] [--batch-ms B] [--sync-ms Y]\n       consensus-sim maelstrom-node [--protocol gossip|raft|paxos] [--seed S] [--spread tree|flood] [--batch-ms B] [--sync-ms Y] [--ignore-topology]";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("consensus-sim: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let command = match parser.next().map_err(|e| e.to_string())? {
        Some(Value(v)) => v.string().map_err(|e| e.to_string())?,
        Some(Long("help") | Short('h')) => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        _ => return Err("a command is needed".into()),
    };
    match command.as_str() {
        "check" => check(&mut parser),
        "history" => history(&mut parser),
        "fig16" => fig16(&mut parser),
        "messages" => messages(&mut parser),
        "bench" => bench(&mut parser),
        "gossip" => gossip(&mut parser),
        "maelstrom" => maelstrom(&mut parser),
        "maelstrom-node" => maelstrom_node(&mut parser),
        "merge" => merge(&mut parser),
        "lincheck" => lincheck_cmd(&mut parser),
        "shrink" => shrink(&mut parser),
        other => Err(format!("unknown command {other:?}")),
    }
}

/// The next `--key value` pair, or None at the end; anything else is an error.
fn next_option(parser: &mut lexopt::Parser) -> Result<Option<(String, String)>, String> {
    use lexopt::prelude::*;
    let Some(arg) = parser.next().map_err(|e| e.to_string())? else { return Ok(None) };
    let key = match arg {
        Long(k) => k.to_string(),
        _ => return Err(arg.unexpected().to_string()),
    };
    let value = parser.value().map_err(|e| e.to_string())?.string().map_err(|e| e.to_string())?;
    Ok(Some((key, value)))
}

fn parse_seeds(text: &str) -> Result<(u64, u64), String> {
    let (a, b) = text.split_once("..").ok_or("--seeds must be A..B (B excluded), e.g. 0..100")?;
    let a: u64 = a.parse().map_err(|_| format!("--seeds: {a:?} is not a non-negative integer"))?;
    let b: u64 = b.parse().map_err(|_| format!("--seeds: {b:?} is not a non-negative integer"))?;
    if b <= a {
        return Err("--seeds A..B needs B > A".into());
    }
    Ok((a, b))
}

/// The mechanisms the CLI runs (`--protocol`, `raft` by default).
const PROTOCOLS: &[&str] = &["raft", "paxos", "vote", "pbft", "hotstuff", "generals", "gossip"];

fn protocol_arg(value: &str) -> Result<String, String> {
    if PROTOCOLS.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(format!("--protocol must be one of {} ({value:?} is not)", PROTOCOLS.join(", ")))
    }
}

/// `consensus-sim merge [FILE …]`: the shards' outputs (the files, or stdin without any, or
/// for `-`), combined into the output one unsharded run prints, and its exit status.
fn merge(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    use lexopt::prelude::*;
    use std::io::Read;
    let mut files = Vec::new();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Value(v) => files.push(v.string().map_err(|e| e.to_string())?),
            Short('h') | Long("help") => {
                println!("usage: consensus-sim merge [FILE …]   (no FILE, or -: standard input)");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("merge takes file names, not options ({})", other.unexpected())),
        }
    }
    if files.is_empty() {
        files.push("-".into());
    }
    let mut parts = Vec::new();
    for file in &files {
        let (name, text) = if file == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("merge: stdin: {e}"))?;
            ("stdin", text)
        } else {
            (file.as_str(), std::fs::read_to_string(file).map_err(|e| format!("merge: {file}: {e}"))?)
        };
        parts.extend(shard::read_parts(name, &text)?);
    }
    let run = shard::assemble(parts)?;
    match run.command.as_str() {
        "check" => {
            let s: CheckSettings = serde_json::from_value(run.settings.clone()).map_err(|e| format!("merge: check settings: {e}"))?;
            run.expect(1, s.seeds.0..s.seeds.1)?;
            let line = &run.lines[0];
            let mut tally = CheckTally::default();
            for data in &line.data {
                tally.extend(serde_json::from_value(data.clone()).map_err(|e| format!("merge: check: {e}"))?);
            }
            let (out, code) = check_report(&s, &tally, line.wall_ms);
            println!("{out}");
            Ok(code)
        }
        "fig16" => fig16_merge(&run),
        "gossip" => gossip_merge(&run),
        other => Err(format!("merge: {other} is not a command that shards (check, fig16, gossip)")),
    }
}

/// `check`'s settings, whatever the mechanism.
struct CheckArgs {
    protocol: String,
    seeds: (u64, u64),
    events: u64,
    faults: Vec<Fault>,
    nodes: usize,
    bug: Option<String>,
    threads: Option<usize>,
    traitors: usize,
    shard: Option<Shard>,
}

fn check(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    let mut seeds = None;
    let mut events = 10_000u64;
    let mut faults = Fault::ALL.to_vec();
    let mut nodes = 5usize;
    let mut bug = None;
    let mut threads = None;
    let mut traitors = 0usize;
    let mut protocol = "raft".to_string();
    let mut shard = None;
    while let Some((key, value)) = next_option(parser)? {
        match key.as_str() {
            "protocol" => protocol = protocol_arg(&value)?,
            "seeds" => seeds = Some(parse_seeds(&value)?),
            "events" => events = value.parse().map_err(|_| "--events must be a positive integer")?,
            "faults" => faults = Fault::parse_list(&value).map_err(|e| e.to_string())?,
            "nodes" => nodes = value.parse().map_err(|_| format!("--nodes must be an integer from 1 to {}", consensus_playground::sim::config::MAX_NODES))?,
            "bug" => bug = Some(value),
            "threads" => threads = Some(value.parse::<usize>().ok().filter(|t| *t > 0).ok_or("--threads must be a positive integer")?),
            "byzantine" => traitors = value.parse().map_err(|_| "--byzantine must be a number of traitors from 0 to --nodes")?,
            "shard" => shard = Some(Shard::parse(&value)?),
            other => return Err(format!("unknown option --{other}")),
        }
    }
    if traitors > nodes {
        return Err(format!("--byzantine must be a number of traitors from 0 to --nodes ({traitors} > {nodes})"));
    }
    let args = CheckArgs { protocol, seeds: seeds.ok_or("--seeds is required")?, events, faults, nodes, bug, threads, traitors, shard };
    match args.protocol.as_str() {
        "paxos" => check_with::<Paxos>(args),
        "vote" => check_with::<Vote>(args),
        "pbft" => check_with::<Pbft>(args),
        "hotstuff" => check_with::<consensus_playground::hotstuff::HotStuff>(args),
        "generals" => check_with::<consensus_playground::generals::Generals>(args),
        "gossip" => check_with::<Gossip>(args),
        _ => check_with::<Raft>(args),
    }
}

/// What `check`'s output depends on (not `--threads`: it changes the wall time alone), as a
/// shard prints it and `merge` reads it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CheckSettings {
    protocol: String,
    seeds: (u64, u64),
    events: u64,
    faults: Vec<String>,
    nodes: usize,
    bug: Option<String>,
    byzantine: usize,
}

/// `check`'s results over some seeds, in seed order: what a shard prints, and what `merge`
/// adds up.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CheckTally {
    events: u64,
    committed: u64,
    violations: usize,
    failing_seeds: Vec<u64>,
    /// The first failing seed's first violation.
    first_violation: Option<FirstViolation>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FirstViolation {
    seed: u64,
    rule: String,
    nodes: Vec<String>,
    time_us: u64,
    detail: String,
}

impl CheckTally {
    /// Adds the next seed's report.
    fn add(&mut self, seed: u64, report: &chaos::ChaosReport) {
        self.events += report.events;
        self.committed += report.committed;
        if let Some(v) = report.violations.first() {
            self.violations += report.violations.len();
            if self.first_violation.is_none() {
                self.first_violation = Some(FirstViolation { seed, rule: v.rule.to_string(), nodes: v.nodes.clone(), time_us: v.time_us, detail: v.detail.clone() });
            }
            self.failing_seeds.push(seed);
        }
    }

    /// Adds the tally of the seeds that follow.
    fn extend(&mut self, next: CheckTally) {
        self.events += next.events;
        self.committed += next.committed;
        self.violations += next.violations;
        self.failing_seeds.extend(next.failing_seeds);
        self.first_violation = self.first_violation.take().or(next.first_violation);
    }
}

/// `check`'s output line, and its exit status (1 when a violation is found without a bug
/// switch, or none with one).
fn check_report(s: &CheckSettings, t: &CheckTally, wall_ms: u64) -> (serde_json::Value, ExitCode) {
    let CheckSettings { protocol, seeds: (first, last), events, faults, nodes, bug, byzantine } = s;
    let faults = faults.join(",");
    let first_violation = t.first_violation.as_ref().map_or(serde_json::Value::Null, |v| {
        let seed = v.seed;
        json!({
            "seed": seed,
            "rule": v.rule,
            "nodes": v.nodes,
            "time_ms": v.time_us as f64 / 1000.0,
            "detail": v.detail,
            "page": format!(
                "?{}check={seed}&nodes={nodes}&events={events}&faults={faults}{}{}",
                if protocol == "raft" { String::new() } else { format!("protocol={protocol}&") },
                bug.as_ref().map_or(String::new(), |b| format!("&bug={b}")),
                if *byzantine > 0 { format!("&byzantine={byzantine}") } else { String::new() },
            ),
            "replay": format!(
                "consensus-sim check{} --seeds {seed}..{} --events {events} --faults {faults} --nodes {nodes}{}",
                if protocol == "raft" { String::new() } else { format!(" --protocol {protocol}") },
                seed + 1,
                bug.as_ref().map_or(String::new(), |b| format!(" --bug {b}")),
            ),
        })
    });
    let out = json!({
        "protocol": protocol,
        "runs": last - first,
        "events": t.events,
        "committed": t.committed,
        "violations": t.violations,
        "failing_seeds": t.failing_seeds,
        "first_violation": first_violation,
        "faults": s.faults,
        "nodes": nodes,
        "bug": bug,
        "wall_ms": wall_ms,
    });
    let found = !t.failing_seeds.is_empty();
    (out, if found != bug.is_some() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// `--bug NAME`: the index of one of `P`'s bug switches. Errors name the option and list them.
fn bug_arg<P: Chaos>(name: &str) -> Result<usize, String> {
    BugSet::index_of(P::BUGS, name).ok_or_else(|| {
        let names: Vec<&str> = P::BUGS.iter().map(|b| b.name).collect();
        format!("--bug must be one of {} ({name:?} is not)", names.join(", "))
    })
}

fn check_with<P: Chaos>(args: CheckArgs) -> Result<ExitCode, String> {
    let CheckArgs { protocol, seeds: (first, last), events, faults, nodes, bug, threads, traitors, shard } = args;
    let bug_index = bug.as_deref().map(bug_arg::<P>).transpose()?;
    let bug = bug_index.map(|i| P::BUGS[i]);
    let bugs = bug_index.map_or(BugSet::NONE, |i| BugSet::NONE.with(i, true));
    let settings = CheckSettings {
        protocol,
        seeds: (first, last),
        events,
        faults: faults.iter().map(|f| f.name().to_string()).collect(),
        nodes,
        bug: bug.map(|b| b.name.to_string()),
        byzantine: traitors,
    };
    let seeds = shard.map_or(first..last, |s| s.slice(first..last));
    let started = Instant::now();
    // One run per seed, each independent of the others: run them in parallel, then combine the
    // reports in seed order below, as one thread would have.
    let run_seed = |seed: u64| -> Result<chaos::ChaosReport, String> {
        let cfg = ChaosConfig { seed, nodes, events, faults: faults.clone(), bugs, traitors };
        let (sim, mut report) = chaos::run::<P>(&cfg).map_err(|e| e.to_string())?;
        if P::LINEARIZABLE {
            if let Err(detail) = lincheck::check(sim.history()) {
                report.violations.push(Violation { rule: "Linearizability", nodes: Vec::new(), time_us: report.time_us, detail, index: None });
            }
        }
        Ok(report)
    };
    // (`collect` into a Vec keeps the seeds' order.)
    let run_all = || seeds.clone().into_par_iter().map(run_seed).collect::<Vec<_>>();
    let reports = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new().num_threads(n).build().map_err(|e| e.to_string())?.install(run_all),
        None => run_all(),
    };
    let mut tally = CheckTally::default();
    for (seed, report) in seeds.clone().zip(reports) {
        tally.add(seed, &report?);
    }
    let wall_ms = started.elapsed().as_millis() as u64;
    if let Some(shard) = shard {
        // A shard's verdict is partial: `merge` gives the exit status.
        print_part(shard, "check", 0, seeds, &settings, &tally, wall_ms)?;
        return Ok(ExitCode::SUCCESS);
    }
    let (out, code) = check_report(&settings, &tally, wall_ms);
    println!("{out}");
    Ok(code)
}

/// Prints a shard's share of output line `line` (see `consensus_playground::shard::Part`).
fn print_part(shard: Shard, command: &str, line: usize, slice: std::ops::Range<u64>, settings: &impl Serialize, data: &impl Serialize, wall_ms: u64) -> Result<(), String> {
    let part = Part {
        shard,
        command: command.to_string(),
        line,
        slice: [slice.start, slice.end],
        settings: serde_json::to_value(settings).map_err(|e| e.to_string())?,
        data: serde_json::to_value(data).map_err(|e| e.to_string())?,
        wall_ms,
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string(&part).map_err(|e| e.to_string())?).and_then(|()| out.flush()).map_err(|e| e.to_string())
}

/// `shrink` (issue #16 §2): the failing run of one `check` seed, made small: the actions left,
/// as the page's JS API names them, with their simulated times.
fn shrink(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    let (mut seed, mut events, mut nodes, mut traitors) = (None, 10_000u64, 5usize, 0usize);
    let mut faults = Fault::ALL.to_vec();
    let mut bug = None;
    let mut protocol = "raft".to_string();
    while let Some((key, value)) = next_option(parser)? {
        match key.as_str() {
            "protocol" => protocol = protocol_arg(&value)?,
            "seed" => seed = Some(value.parse::<u64>().map_err(|_| "--seed must be a non-negative integer")?),
            "events" => events = value.parse().map_err(|_| "--events must be a positive integer")?,
            "faults" => faults = Fault::parse_list(&value).map_err(|e| e.to_string())?,
            "nodes" => nodes = value.parse().map_err(|_| format!("--nodes must be an integer from 1 to {}", consensus_playground::sim::config::MAX_NODES))?,
            "bug" => bug = Some(value),
            "byzantine" => traitors = value.parse().map_err(|_| "--byzantine must be a number of traitors from 0 to --nodes")?,
            other => return Err(format!("unknown option --{other}")),
        }
    }
    if traitors > nodes {
        return Err(format!("--byzantine must be a number of traitors from 0 to --nodes ({traitors} > {nodes})"));
    }
    let seed = seed.ok_or("--seed is required")?;
    // (the bug switch is resolved against the mechanism's own list in shrink_with)
    let cfg = ChaosConfig { seed, nodes, events, faults, bugs: BugSet::NONE, traitors };
    let bug = bug.as_deref();
    match protocol.as_str() {
        "paxos" => shrink_with::<Paxos>(&protocol, cfg, bug),
        "vote" => shrink_with::<Vote>(&protocol, cfg, bug),
        "pbft" => shrink_with::<Pbft>(&protocol, cfg, bug),
        "hotstuff" => shrink_with::<consensus_playground::hotstuff::HotStuff>(&protocol, cfg, bug),
        "generals" => shrink_with::<consensus_playground::generals::Generals>(&protocol, cfg, bug),
        "gossip" => shrink_with::<Gossip>(&protocol, cfg, bug),
        _ => shrink_with::<Raft>(&protocol, cfg, bug),
    }
}

fn shrink_with<P: Chaos>(protocol: &str, mut cfg: ChaosConfig, bug: Option<&str>) -> Result<ExitCode, String> {
    if let Some(name) = bug {
        cfg.bugs = BugSet::NONE.with(bug_arg::<P>(name)?, true);
    }
    let seed = cfg.seed;
    let Some(s) = chaos::shrink::<P>(&cfg).map_err(|e| e.to_string())? else {
        println!("{}", json!({ "protocol": protocol, "seed": seed, "bug": bug, "failing": false }));
        return Ok(ExitCode::from(1));
    };
    let (sim, _) = chaos::replay::<P>(&cfg, Some(s.clients), &s.steps, s.time_us).map_err(|e| e.to_string())?;
    let name = |i: usize| sim.ids().get(i).cloned().unwrap_or_else(|| format!("n{}", i + 1));
    let actions: Vec<serde_json::Value> = s
        .steps
        .iter()
        .map(|st| {
            use chaos::Action::*;
            let (what, args) = match &st.action {
                Crash(i) => ("crash", json!([name(*i)])),
                Restart(i) => ("restart", json!([name(*i)])),
                Pause(i) => ("pause", json!([name(*i)])),
                Resume(i) => ("resume", json!([name(*i)])),
                Partition(g) => {
                    let rest: Vec<String> = (0..sim.ids().len()).filter(|i| !g.contains(i)).map(name).collect();
                    ("partition", json!([[g.iter().map(|&i| name(i)).collect::<Vec<_>>(), rest]]))
                }
                Heal => ("heal", json!([])),
                Cut { from, to, both } => ("cutLink", json!([name(*from), name(*to), both])),
                Repair { from, to, both } => ("repairLink", json!([name(*from), name(*to), both])),
                Drop(k) => ("dropInFlight", json!([k])),
                // (the command's JSON text as the value it encodes: the page's clientRequest takes a value)
                Command(c) => ("clientRequest", json!([serde_json::from_str::<serde_json::Value>(c).unwrap_or_else(|_| json!(c))])),
                Protocol(what, i) => (*what, json!([name(*i)])),
            };
            json!({ "atMs": st.at_us as f64 / 1000.0, "do": what, "args": args })
        })
        .collect();
    // The page opens it (a `?run=` link, README "Time travel, share links and saved runs"): the
    // seed's simulation at its start with the clients kept (the record's `check`), then these
    // actions through the page's JS API at their times, paused at the violation, with the
    // actions listed as what led to it (`shrunk`).
    let check = json!({
        "seed": seed,
        "nodes": cfg.nodes,
        "events": cfg.events,
        "faults": cfg.faults.iter().map(|f| f.name()).collect::<Vec<_>>().join(","),
        "bug": bug,
        "byzantine": cfg.traitors,
        "clients": s.clients,
    });
    let until = s.time_us as f64 / 1000.0;
    let record = json!({
        "consensusPlayground": 1,
        "attributes": if protocol == "raft" { json!({}) } else { json!({ "protocol": protocol }) },
        "check": check,
        "actions": actions.iter().map(|a| json!({ "at": a["atMs"], "do": a["do"], "args": a["args"] })).collect::<Vec<_>>(),
        "at": [until],
        "end": [until],
        "shrunk": true,
    });
    // (base64url without padding, RFC 4648 §5, as the page's `?run=` links are)
    let page = format!("?run={}", base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, record.to_string()));
    let out = json!({
        "protocol": protocol,
        "seed": seed,
        "bug": bug,
        "rule": s.rule,
        "stepsBefore": s.steps_before,
        "steps": s.steps.len(),
        "clients": s.clients,
        "timeMs": s.time_us as f64 / 1000.0,
        "timeBeforeMs": s.time_before_us as f64 / 1000.0,
        "replays": s.tries,
        "actions": actions,
        "page": page,
    });
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}


fn history(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    let (mut seed, mut clients, mut ops, mut nodes) = (None, 3usize, 20u64, 5usize);
    let mut faults = Vec::new();
    let mut protocol = "raft".to_string();
    while let Some((key, value)) = next_option(parser)? {
        match key.as_str() {
            "protocol" => protocol = protocol_arg(&value)?,
            "seed" => seed = Some(value.parse::<u64>().map_err(|_| "--seed must be a non-negative integer")?),
            "clients" => clients = value.parse().ok().filter(|c| *c > 0).ok_or("--clients must be a positive integer")?,
            "ops" => ops = value.parse().ok().filter(|c| *c > 0).ok_or("--ops must be a positive integer")?,
            "nodes" => nodes = value.parse().map_err(|_| format!("--nodes must be an integer from 1 to {}", consensus_playground::sim::config::MAX_NODES))?,
            "faults" if value == "none" => faults.clear(),
            "faults" => faults = Fault::parse_list(&value).map_err(|e| e.to_string())?,
            other => return Err(format!("unknown option --{other}")),
        }
    }
    let seed = seed.ok_or("--seed is required")?;
    let workload = Workload { clients, ops_per_client: Some(ops), ..Workload::default() };
    let cfg = ChaosConfig { seed, nodes, events: u64::MAX, faults, bugs: BugSet::NONE, traitors: 0 };
    let history = match protocol.as_str() {
        "paxos" => chaos::run_workload::<Paxos>(&cfg, workload).map_err(|e| e.to_string())?.history().to_vec(),
        "vote" => chaos::run_workload::<Vote>(&cfg, workload).map_err(|e| e.to_string())?.history().to_vec(),
        "pbft" => chaos::run_workload::<Pbft>(&cfg, workload).map_err(|e| e.to_string())?.history().to_vec(),
        "hotstuff" => chaos::run_workload::<consensus_playground::hotstuff::HotStuff>(&cfg, workload).map_err(|e| e.to_string())?.history().to_vec(),
        "gossip" => chaos::run_workload::<Gossip>(&cfg, workload).map_err(|e| e.to_string())?.history().to_vec(),
        "generals" => return Err("history: the Byzantine Generals keep no key-value store (--protocol raft, paxos, vote, pbft, hotstuff or gossip)".into()),
        _ => chaos::run_workload::<Raft>(&cfg, workload).map_err(|e| e.to_string())?.history().to_vec(),
    };
    let mut out = std::io::stdout().lock();
    for h in &history {
        if writeln!(out, "{}", history_line(h)).is_err() {
            break; // the reader went away (e.g. `| head`)
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `lincheck [FILE]`: whether a key-value history is linearizable (`lincheck::check`, Wing &
/// Gong / Lowe, key by key), for histories recorded anywhere, such as agents over real
/// transports (issue #15 §2). The input is JSON Lines, one operation per line, as `history`
/// prints them: `{client, op: put|get|cas|increment, key, value (put), from, to (cas), call
/// (ms), return (ms, or null: no answer came, so it may or may not have taken effect), ok,
/// output (get and increment: a string or null)}`; values are strings, clients non-negative
/// integers. Prints `{"linearizable": true|false, "operations": N, "failure": F}` (`failure`:
/// which key's operations are not linearizable, in a sentence, or null) and exits 0 when linearizable, 1 when
/// not; a malformed line is an error naming the line and the field (exit 2).
fn lincheck_cmd(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    use lexopt::prelude::*;
    use std::io::Read;
    let mut file = None;
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Value(v) if file.is_none() => file = Some(v.string().map_err(|e| e.to_string())?),
            other => return Err(format!("lincheck takes one file name, no options ({})", other.unexpected())),
        }
    }
    let text = match file.as_deref() {
        None | Some("-") => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("lincheck: stdin: {e}"))?;
            text
        }
        Some(f) => std::fs::read_to_string(f).map_err(|e| format!("lincheck: {f}: {e}"))?,
    };
    let mut history = Vec::new();
    for (k, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        history.push(history_op(line).map_err(|e| format!("lincheck: line {}: {e}", k + 1))?);
    }
    let verdict = lincheck::check(&history);
    let failure = verdict.as_ref().err().cloned();
    println!("{}", json!({ "linearizable": verdict.is_ok(), "operations": history.len(), "failure": failure }));
    Ok(if verdict.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// One line of a history (the inverse of [`history_line`]).
fn history_op(line: &str) -> Result<HistoryOp, String> {
    use consensus_playground::kv::Output;
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e})"))?;
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string).ok_or(format!("{k} must be a string"));
    let us = |x: &serde_json::Value| x.as_f64().filter(|t| t.is_finite() && *t >= 0.0).map(|t| (t * 1000.0).round() as u64);
    let client = v.get("client").and_then(|c| c.as_u64()).and_then(|c| u32::try_from(c).ok()).ok_or("client must be a non-negative integer")?;
    let key = text("key")?;
    let op = match v.get("op").and_then(|o| o.as_str()) {
        Some("put") => Op::Put { key, value: text("value")? },
        Some("get") => Op::Get { key },
        Some("cas") => Op::Cas { key, from: text("from")?, to: text("to")? },
        Some("increment") => Op::Increment { key },
        _ => return Err("op must be put, get, cas or increment".into()),
    };
    let call_us = v.get("call").and_then(us).ok_or("call must be a time in ms, 0 or more")?;
    let return_us = match v.get("return") {
        None | Some(serde_json::Value::Null) => None,
        Some(r) => Some(us(r).filter(|r| *r >= call_us).ok_or("return must be null or a time in ms, not before call")?),
    };
    let output = match return_us {
        None => None,
        Some(_) => {
            let ok = v.get("ok").and_then(|o| o.as_bool()).ok_or("ok must be true or false (the operation returned)")?;
            let value = match (&op, v.get("output")) {
                (Op::Get { .. } | Op::Increment { .. }, Some(serde_json::Value::Null) | None) => None,
                (Op::Get { .. } | Op::Increment { .. }, Some(o)) => Some(o.as_str().ok_or("output must be a string or null")?.to_string()),
                _ => None,
            };
            Some(Output { ok, value })
        }
    };
    Ok(HistoryOp { client, op, call_us, return_us, output })
}

fn history_line(h: &HistoryOp) -> serde_json::Value {
    let ms = |us: u64| us as f64 / 1000.0;
    let mut o = json!({ "client": h.client, "op": h.op.name(), "key": h.op.key() });
    match &h.op {
        Op::Put { value, .. } => o["value"] = json!(value),
        Op::Cas { from, to, .. } => {
            o["from"] = json!(from);
            o["to"] = json!(to);
        }
        Op::Get { .. } | Op::Increment { .. } => {}
    }
    o["call"] = json!(ms(h.call_us));
    o["return"] = h.return_us.map_or(serde_json::Value::Null, |r| json!(ms(r)));
    if let Some(out) = &h.output {
        o["ok"] = json!(out.ok);
        if matches!(h.op, Op::Get { .. } | Op::Increment { .. }) {
            o["output"] = json!(out.value);
        }
    }
    o
}

/// What `fig16`'s output depends on, as a shard prints it and `merge` reads it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Fig16Settings {
    trials: usize,
    seed: u64,
    model: String,
    /// `per-follower`, or absent for the default `broadcast` (so default parts read as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    heartbeats: Option<String>,
    /// `heartbeat`, or absent for the default `crash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rejoin: Option<String>,
    /// `--write-ms` of the `logcabin` model, µs, or absent for its default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    write_us: Option<u64>,
}

fn fig16(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    use consensus_playground::raft::experiments::{
        fig16_range_with, fig16_trial_with, Fig16Heartbeats, Fig16Model, Fig16Rejoin, Fig16Setup, Fig16Trial, FIG16_RANGES_MS,
    };
    let (mut trials, mut seed, mut model, mut shard) = (1000usize, 1u64, Fig16Model::Disk, None);
    let (mut heartbeats, mut rejoin, mut write_us) = (Fig16Heartbeats::Broadcast, None, None);
    while let Some((key, value)) = next_option(parser)? {
        match key.as_str() {
            "trials" => trials = value.parse().ok().filter(|t| *t > 0).ok_or("--trials must be a positive integer")?,
            "seed" => seed = value.parse().map_err(|_| "--seed must be a non-negative integer")?,
            "model" => model = Fig16Model::from_name(&value).ok_or("--model must be disk, network or logcabin")?,
            "heartbeats" => heartbeats = Fig16Heartbeats::from_name(&value).ok_or("--heartbeats must be broadcast or per-follower")?,
            "rejoin" => rejoin = Some(Fig16Rejoin::from_name(&value).ok_or("--rejoin must be crash or heartbeat")?),
            "write-ms" => {
                let ms: f64 = value.parse().ok().filter(|ms: &f64| (0.0..=1000.0).contains(ms)).ok_or("--write-ms must be a number of ms from 0 to 1000")?;
                write_us = Some((ms * 1000.0).round() as u64);
            }
            "shard" => shard = Some(Shard::parse(&value)?),
            other => return Err(format!("unknown option --{other}")),
        }
    }
    if write_us.is_some() && model != Fig16Model::LogCabin {
        return Err("--write-ms is the logcabin model's file write: it needs --model logcabin".into());
    }
    // Each model starts from its own set-up (logcabin: the paper's synchronized heartbeat).
    let base = Fig16Setup::for_model(model);
    let setup = Fig16Setup { heartbeats, rejoin: rejoin.unwrap_or(base.rejoin), logcabin_write_us: write_us };
    let settings = Fig16Settings {
        trials,
        seed,
        model: model.name().to_string(),
        heartbeats: (setup.heartbeats != Fig16Heartbeats::Broadcast).then(|| setup.heartbeats.name().to_string()),
        rejoin: (setup.rejoin != Fig16Rejoin::Crash).then(|| setup.rejoin.name().to_string()),
        write_us,
    };
    let mut out = std::io::stdout().lock();
    for (line, range) in FIG16_RANGES_MS.into_iter().enumerate() {
        let started = Instant::now();
        let Some(shard) = shard else {
            let r = fig16_range_with(seed, range, trials, model, setup);
            if writeln!(out, "{}", fig16_line(model, setup, &r, started.elapsed().as_millis() as u64)).is_err() {
                break;
            }
            continue;
        };
        // Trial t is seed `seed + t` in every shard. A trial's outcome: the µs to the new
        // leader, "capped", or null (no leader to crash).
        let slice = shard.slice(0..trials as u64);
        let outcomes: Vec<serde_json::Value> = slice
            .clone()
            .map(|t| match fig16_trial_with(seed.wrapping_add(t), range, model, setup) {
                Fig16Trial::Elected(us) => json!(us),
                Fig16Trial::Capped => json!("capped"),
                Fig16Trial::NoLeaderToCrash => serde_json::Value::Null,
            })
            .collect();
        print_part(shard, "fig16", line, slice, &settings, &json!({ "range_ms": range, "outcomes": outcomes }), started.elapsed().as_millis() as u64)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of `fig16`'s output (`"heartbeats"` and `"rejoin"` only when not the default).
fn fig16_line(
    model: consensus_playground::raft::experiments::Fig16Model,
    setup: consensus_playground::raft::experiments::Fig16Setup,
    r: &consensus_playground::raft::experiments::Fig16Summary,
    wall_ms: u64,
) -> serde_json::Value {
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let mut line = json!({
        "range_ms": [r.range_ms.0, r.range_ms.1],
        "model": model.name(),
        "trials": r.trials,
        "no_leader_to_crash": r.no_leader_to_crash,
        "capped": r.capped,
        "median_ms": round(r.median_ms),
        "p90_ms": round(r.p90_ms),
        "p99_ms": round(r.p99_ms),
        "max_ms": round(r.max_ms),
        "mean_ms": round(r.mean_ms),
        "cdf": r.cdf.iter().map(|(ms, p)| json!([round(*ms), p])).collect::<Vec<_>>(),
        "wall_ms": wall_ms,
    });
    let default = consensus_playground::raft::experiments::Fig16Setup::default();
    if setup.heartbeats != default.heartbeats {
        line["heartbeats"] = json!(setup.heartbeats.name());
    }
    if setup.rejoin != default.rejoin {
        line["rejoin"] = json!(setup.rejoin.name());
    }
    if model == consensus_playground::raft::experiments::Fig16Model::LogCabin {
        let us = setup.logcabin_write_us.unwrap_or(consensus_playground::raft::experiments::FIG16_LOGCABIN_WRITE_US);
        line["write_ms"] = json!(us as f64 / 1000.0);
    }
    line
}

/// `merge` for `fig16`: every range's trials, summarized as one run would.
fn fig16_merge(run: &shard::Assembled) -> Result<ExitCode, String> {
    use consensus_playground::raft::experiments::{fig16_summary, Fig16Heartbeats, Fig16Model, Fig16Rejoin, Fig16Setup, Fig16Trial, FIG16_RANGES_MS};
    let s: Fig16Settings = serde_json::from_value(run.settings.clone()).map_err(|e| format!("merge: fig16 settings: {e}"))?;
    let model = Fig16Model::from_name(&s.model).ok_or("merge: fig16 settings: the model must be disk, network or logcabin")?;
    let heartbeats = match &s.heartbeats {
        None => Fig16Heartbeats::Broadcast,
        Some(h) => Fig16Heartbeats::from_name(h).ok_or("merge: fig16 settings: the heartbeats must be broadcast or per-follower")?,
    };
    let rejoin = match &s.rejoin {
        None => Fig16Rejoin::Crash,
        Some(r) => Fig16Rejoin::from_name(r).ok_or("merge: fig16 settings: the rejoin must be crash or heartbeat")?,
    };
    let setup = Fig16Setup { heartbeats, rejoin, logcabin_write_us: s.write_us };
    run.expect(FIG16_RANGES_MS.len(), 0..s.trials as u64)?;
    let mut out = std::io::stdout().lock();
    for (range, line) in FIG16_RANGES_MS.into_iter().zip(&run.lines) {
        let mut outcomes = Vec::with_capacity(s.trials);
        for data in &line.data {
            if data["range_ms"] != json!(range) {
                return Err(format!("merge: fig16: a part for range {} where {range:?} belongs", data["range_ms"]));
            }
            for o in data["outcomes"].as_array().ok_or("merge: fig16: a part without outcomes")? {
                outcomes.push(match o {
                    serde_json::Value::Null => Fig16Trial::NoLeaderToCrash,
                    serde_json::Value::String(c) if c == "capped" => Fig16Trial::Capped,
                    other => Fig16Trial::Elected(other.as_u64().ok_or_else(|| format!("merge: fig16: {other} is not a trial's outcome (µs, \"capped\" or null)"))?),
                });
            }
        }
        if outcomes.len() != s.trials {
            return Err(format!("merge: fig16: {} trials for range {range:?}, not {}", outcomes.len(), s.trials));
        }
        let r = fig16_summary(range, outcomes);
        if writeln!(out, "{}", fig16_line(model, setup, &r, line.wall_ms)).is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn messages(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    let mut protocol = "raft".to_string();
    while let Some((key, value)) = next_option(parser)? {
        match key.as_str() {
            "protocol" => protocol = protocol_arg(&value)?,
            other => return Err(format!("unknown option --{other}")),
        }
    }
    if protocol == "raft" {
        return raft_messages();
    }
    if protocol == "pbft" || protocol == "hotstuff" {
        return byzantine_messages(&protocol);
    }
    if !["paxos", "vote"].contains(&protocol.as_str()) {
        return Err(format!("messages: --protocol {protocol} is not measured yet (raft, paxos, vote, pbft or hotstuff)"));
    }
    use consensus_playground::sim::measure::messages_per_decision;
    use consensus_playground::sim::SimConfig;
    let mut out = std::io::stdout().lock();
    for nodes in [3usize, 5, 7] {
        // Voting has no leader to lose.
        let scenarios: &[bool] = if protocol == "vote" { &[false] } else { &[false, true] };
        for &leader_change in scenarios {
            let config = SimConfig { seed: 1, nodes, latency_us: (10_000, 15_000), ..SimConfig::default() };
            // The textbook figures (README "Messages per decision"): a stable Multi-Paxos leader
            // sends Accept to n−1 acceptors, and each acceptor tells every learner (n−1 each,
            // itself aside) what it accepted: (n−1) + n(n−1); with replies to the leader alone
            // it would be 2(n−1). A vote: a Proposal to n−1 voters, n−1 Votes back, and the
            // outcome to n−1: 3(n−1).
            let (r, textbook) = match protocol.as_str() {
                "paxos" => {
                    let s = consensus_playground::sim::Simulation::<Paxos>::new(config, Default::default()).map_err(|e| e.to_string())?;
                    (messages_per_decision(s, leader_change), json!({ "leader_replies": 2 * (nodes - 1), "every_learner": (nodes - 1) + nodes * (nodes - 1) }))
                }
                _ => {
                    let s = consensus_playground::sim::Simulation::<Vote>::new(config, Default::default()).map_err(|e| e.to_string())?;
                    (messages_per_decision(s, leader_change), json!(3 * (nodes - 1)))
                }
            };
            let line = json!({
                "protocol": protocol,
                "nodes": nodes,
                "scenario": if leader_change { "leader change" } else { "steady" },
                "commands": r.commands,
                "decided": r.decided,
                "messages": r.messages,
                "messages_per_decision": (r.per_decision() * 100.0).round() / 100.0,
                "messages_per_command": (r.messages as f64 / r.commands.max(1) as f64 * 100.0).round() / 100.0,
                "textbook": textbook,
            });
            if writeln!(out, "{line}").is_err() {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Messages per decision for PBFT and HotStuff, N = 4, 7, 10, 13, 16, beside the textbook
/// counts (README "Messages per decision, Byzantine").
fn byzantine_messages(protocol: &str) -> Result<ExitCode, String> {
    use consensus_playground::sim::measure::messages_per_decision;
    use consensus_playground::sim::{SimConfig, Simulation};
    let mut out = std::io::stdout().lock();
    for nodes in [4usize, 7, 10, 13, 16] {
        for leader_change in [false, true] {
            let config = SimConfig { seed: 1, nodes, latency_us: (10_000, 15_000), ..SimConfig::default() };
            let n = nodes as u64;
            let (r, textbook) = if protocol == "pbft" {
                // Castro & Liskov §4.2: pre-prepare N − 1, prepare (N − 1)², commit N(N − 1),
                // and the replies to the client (here the primary, which proposes: N − 1 of
                // them travel); checkpoints add N(N − 1)/K.
                let s = Simulation::<Pbft>::new(config, Default::default()).map_err(|e| e.to_string())?;
                (messages_per_decision(s, leader_change), json!({ "normal_case": (n - 1) + (n - 1) * (n - 1) + n * (n - 1) + (n - 1), "checkpoints_per_decision": n * (n - 1) / 10 }))
            } else {
                // Yin et al. §5: per block a proposal to N − 1 replicas and N − 1 votes to the
                // next leader: 2(N − 1), O(N).
                let s = Simulation::<consensus_playground::hotstuff::HotStuff>::new(config, Default::default()).map_err(|e| e.to_string())?;
                (messages_per_decision(s, leader_change), json!(2 * (n - 1)))
            };
            let line = json!({
                "protocol": protocol,
                "nodes": nodes,
                "scenario": if leader_change { "leader change" } else { "steady" },
                "commands": r.commands,
                "decided": r.decided,
                "messages": r.messages,
                "messages_per_decision": (r.per_decision() * 100.0).round() / 100.0,
                "messages_per_command": (r.messages as f64 / r.commands.max(1) as f64 * 100.0).round() / 100.0,
                "textbook": textbook,
            });
            if writeln!(out, "{line}").is_err() {
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn raft_messages() -> Result<ExitCode, String> {
    use consensus_playground::raft::experiments::messages_per_write;
    let mut out = std::io::stdout().lock();
    for nodes in [3usize, 5, 7] {
        for batch in [None, Some(25_000u64)] {
            for leader_change in [false, true] {
                let r = messages_per_write(1, nodes, batch, leader_change);
                let line = json!({
                    "nodes": nodes,
                    "batching_ms": batch.map(|b| b as f64 / 1000.0),
                    "scenario": if leader_change { "leader change" } else { "steady" },
                    "writes_committed": r.writes,
                    "messages": r.messages,
                    "messages_per_write": (r.per_write() * 100.0).round() / 100.0,
                    "textbook": 2 * (nodes - 1),
                });
                if writeln!(out, "{line}").is_err() {
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `consensus-sim bench --workload gossip`: one update spread by push-pull anti-entropy to
/// 10,000 agents (rounds of 100 ms at independent phases, latency 10–15 ms), three times.
fn gossip_bench() -> Result<ExitCode, String> {
    use consensus_playground::gossip::experiment::spread;
    use consensus_playground::gossip::Options;
    for run in 1..=3 {
        let started = Instant::now();
        let r = spread(10_000, Options::default(), (10_000, 15_000), run, 1_000).map_err(|e| e.to_string())?;
        let wall = started.elapsed().as_secs_f64();
        println!(
            "{}",
            json!({
                "bench": "gossip-native",
                "workload": "one update spread by push-pull anti-entropy to 10,000 agents, rounds of 100 ms, latency 10-15 ms",
                "seed": run, "complete": r.complete, "rounds": r.rounds, "events": r.events, "messages": r.messages,
                "wall_s": (wall * 1000.0).round() / 1000.0,
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of `consensus-sim gossip`'s output: one experiment's settings, run once per seed.
#[derive(Clone, Copy, Debug)]
enum GossipPoint {
    /// Collective validation (`gossip::attest::run`).
    Attest { n: usize, liars: usize, behaviour: &'static str, a: consensus_playground::gossip::attest::Attestations, truth: bool },
    /// One update spread by anti-entropy (`gossip::experiment::spread`).
    Rounds { n: usize, exchange: consensus_playground::gossip::Exchange, synchronous: bool },
    /// Rumor mongering alone (`gossip::experiment::residue`); `demers`: the counter as Demers
    /// simulated it, `table`: the paper's table to compare.
    Rumors { n: usize, feedback: bool, interest: consensus_playground::gossip::Interest, demers: bool, table: Option<u32>, k: u32 },
}

/// What `gossip`'s output depends on, as a shard prints it and `merge` reads it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct GossipSettings {
    experiment: String,
    seeds: (u64, u64),
    nodes: Option<Vec<usize>>,
}

const MS: u64 = 1_000;

/// The lines `gossip` prints, in order: collective validation against k and the fraction of
/// liars, then one Sybil against identity admission; the rounds to spread one update; rumor
/// mongering's residue against its traffic.
fn gossip_points(s: &GossipSettings) -> Vec<GossipPoint> {
    use consensus_playground::gossip::attest::Attestations;
    use consensus_playground::gossip::{Exchange, Interest};
    let (all, nodes) = (s.experiment == "all", s.nodes.as_deref());
    let mut points = Vec::new();
    if s.experiment == "attest" || all {
        for &n in nodes.unwrap_or(&[100]) {
            for k in [1, 3, 5, 9] {
                for tenths in [0, 1, 2, 3, 4] {
                    for truth in [false, true] {
                        points.push(GossipPoint::Attest { n, liars: n * tenths / 10, behaviour: "lie", a: Attestations { k, ..Attestations::default() }, truth });
                    }
                }
            }
            for sybils in [0, 4, 20] {
                for members_only in [false, true] {
                    points.push(GossipPoint::Attest { n, liars: 1, behaviour: "sybil", a: Attestations { k: 5, sybils, members_only, ..Attestations::default() }, truth: false });
                }
            }
        }
    }
    if s.experiment == "rounds" || all {
        for &n in nodes.unwrap_or(&[100, 1000, 10_000]) {
            for exchange in Exchange::ALL {
                for synchronous in [true, false] {
                    points.push(GossipPoint::Rounds { n, exchange, synchronous });
                }
            }
        }
    }
    if s.experiment == "rumors" || all {
        for &n in nodes.unwrap_or(&[1000]) {
            // (feedback, interest, consecutive counter and "already knew" judged at the round's
            // start: the reading that reproduces Demers' Table 1, the paper's table to compare)
            let variants = [
                (true, Interest::Counter, false, None),
                (true, Interest::Counter, true, Some(1)),
                (true, Interest::Coin, false, None),
                (false, Interest::Coin, false, Some(2)),
                (false, Interest::Counter, false, None),
            ];
            for (feedback, interest, demers, table) in variants {
                for k in 1..=5u32 {
                    points.push(GossipPoint::Rumors { n, feedback, interest, demers, table, k });
                }
            }
        }
    }
    points
}

/// One point's runs, one per seed in seed order (what a shard prints for its seeds).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum GossipRuns {
    Attest(Vec<AttestRun>),
    Rounds(Vec<SpreadRun>),
    Rumors(Vec<ResidueRun>),
}

/// `gossip::attest::Run`, field for field.
#[derive(Debug, Serialize, Deserialize)]
struct AttestRun {
    accepted: usize,
    rejected: usize,
    undecided: usize,
    last_at: u64,
    honest: usize,
    complete: bool,
}

/// `gossip::experiment::Spread`, field for field.
#[derive(Debug, Serialize, Deserialize)]
struct SpreadRun {
    n: usize,
    complete: bool,
    informed: usize,
    rounds: u64,
    time_us: u64,
    events: u64,
    messages: u64,
}

/// `gossip::experiment::Residue`, field for field (its fractions written exactly).
#[derive(Debug, Serialize, Deserialize)]
struct ResidueRun {
    n: usize,
    #[serde(with = "shard::exact_f64")]
    residue: f64,
    #[serde(with = "shard::exact_f64")]
    traffic: f64,
    rounds: u64,
    #[serde(with = "shard::exact_f64")]
    t_ave: f64,
    t_last: u64,
}

impl GossipRuns {
    /// Runs `point` once per seed, in parallel on `pool`.
    fn run(point: GossipPoint, seeds: &[u64], pool: &rayon::ThreadPool) -> Result<GossipRuns, String> {
        use consensus_playground::gossip::experiment::{residue, spread};
        use consensus_playground::gossip::{attest, Options, Rumors};
        fn each<T: Send>(seeds: &[u64], pool: &rayon::ThreadPool, f: impl Fn(u64) -> consensus_playground::error::Result<T> + Sync) -> Result<Vec<T>, String> {
            pool.install(|| seeds.par_iter().map(|&seed| f(seed).map_err(|e| e.to_string())).collect())
        }
        Ok(match point {
            GossipPoint::Attest { n, liars, behaviour, a, truth } => GossipRuns::Attest(
                each(seeds, pool, |seed| attest::run(n, liars, behaviour, a, truth, seed))?
                    .into_iter()
                    .map(|r| AttestRun { accepted: r.tally.accepted, rejected: r.tally.rejected, undecided: r.tally.undecided, last_at: r.tally.last_at, honest: r.honest, complete: r.complete })
                    .collect(),
            ),
            GossipPoint::Rounds { n, exchange, synchronous } => {
                // Rounds of 100 ms, latency 1 ms: an exchange (3 messages at most) ends well within its round.
                let options = Options { exchange, synchronous, interval_us: 100 * MS, ..Options::default() };
                GossipRuns::Rounds(
                    each(seeds, pool, |seed| spread(n, options.clone(), (MS, MS), seed, 1_000))?
                        .into_iter()
                        .map(|r| SpreadRun { n: r.n, complete: r.complete, informed: r.informed, rounds: r.rounds, time_us: r.time_us, events: r.events, messages: r.messages })
                        .collect(),
                )
            }
            GossipPoint::Rumors { n, feedback, interest, demers, k, .. } => {
                let rumors = Rumors { interval_us: 100 * MS, pull: false, feedback, interest, k, consecutive: demers, judged_at_round_start: demers };
                GossipRuns::Rumors(
                    each(seeds, pool, |seed| residue(n, rumors, true, (MS, MS), seed))?
                        .into_iter()
                        .map(|r| ResidueRun { n: r.n, residue: r.residue, traffic: r.traffic, rounds: r.rounds, t_ave: r.t_ave, t_last: r.t_last })
                        .collect(),
                )
            }
        })
    }

    /// How many runs (seeds).
    fn len(&self) -> usize {
        match self {
            GossipRuns::Attest(r) => r.len(),
            GossipRuns::Rounds(r) => r.len(),
            GossipRuns::Rumors(r) => r.len(),
        }
    }

    /// Appends the runs of the seeds that follow (the same point's).
    fn extend(&mut self, next: GossipRuns) -> Result<(), String> {
        match (self, next) {
            (GossipRuns::Attest(a), GossipRuns::Attest(b)) => a.extend(b),
            (GossipRuns::Rounds(a), GossipRuns::Rounds(b)) => a.extend(b),
            (GossipRuns::Rumors(a), GossipRuns::Rumors(b)) => a.extend(b),
            _ => return Err("merge: gossip: parts of one line hold runs of different experiments".into()),
        }
        Ok(())
    }

    /// The output line of `point`, from its runs over all `seeds` seeds.
    fn line(&self, point: GossipPoint, seeds: usize, wall_ms: u64) -> Result<serde_json::Value, String> {
        use consensus_playground::gossip::experiment::demers_residue;
        use consensus_playground::gossip::{Exchange, Interest};
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        let round4 = |x: f64| (x * 10_000.0).round() / 10_000.0;
        Ok(match (point, self) {
            (GossipPoint::Attest { n, liars, behaviour, a, truth }, GossipRuns::Attest(runs)) => {
                use consensus_playground::gossip::attest::{Run, Tally};
                let runs: Vec<Run> = runs.iter().map(|r| Run { tally: Tally { accepted: r.accepted, rejected: r.rejected, undecided: r.undecided, last_at: r.last_at }, honest: r.honest, complete: r.complete }).collect();
                let count = runs.len() as f64;
                let wrong = runs.iter().map(|r| r.wrong(truth)).sum::<f64>() / count;
                let complete: Vec<f64> = runs.iter().filter(|r| r.complete).map(|r| r.tally.last_at as f64 / 1000.0).collect();
                let mean_ms = complete.iter().sum::<f64>() / complete.len().max(1) as f64;
                let max_ms = complete.iter().copied().fold(0.0, f64::max);
                json!({
                    "experiment": "attest", "n": n, "liars": liars, "behaviour": behaviour, "k": a.k, "accuracy": a.accuracy,
                    "members_only": a.members_only, "sybils": a.sybils, "claim": truth, "seeds": seeds,
                    "wrong": round(wrong), "runs_with_any_wrong": runs.iter().filter(|r| r.wrong(truth) > 0.0).count(),
                    "incomplete": runs.len() - complete.len(), "all_decided_ms_mean": round(mean_ms), "all_decided_ms_max": round(max_ms),
                    "wall_ms": wall_ms,
                })
            }
            (GossipPoint::Rounds { n, exchange, synchronous }, GossipRuns::Rounds(runs)) => {
                let incomplete = runs.iter().filter(|r| !r.complete).count();
                let messages = runs.iter().map(|r| r.messages as f64).sum::<f64>() / runs.len() as f64 / n as f64;
                let mut v: Vec<u64> = runs.iter().map(|r| r.rounds).collect();
                v.sort_unstable();
                let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
                let p99 = v[((v.len() * 99).div_ceil(100)).saturating_sub(1)];
                let (max, min) = (*v.last().unwrap_or(&0), *v.first().unwrap_or(&0));
                let ln = (n as f64).ln();
                let theory = match exchange {
                    Exchange::Push => json!({ "source": "Pittel 1987: log2 n + ln n + O(1)", "rounds": round(ln / 2f64.ln() + ln) }),
                    Exchange::Pull => json!({ "source": "Karp et al. 2000: pull, log2 n + O(log log n)", "rounds": round(ln / 2f64.ln()) }),
                    Exchange::PushPull => json!({ "source": "Karp et al. 2000: log3 n + O(log log n)", "rounds": round(ln / 3f64.ln()) }),
                };
                json!({
                    "experiment": "rounds", "n": n, "mode": exchange.name(), "rounds_model": if synchronous { "synchronous" } else { "independent" },
                    "seeds": seeds, "incomplete": incomplete, "mean": round(mean), "p99": p99, "max": max, "min": min,
                    "messages_per_agent": round(messages), "theory": theory, "wall_ms": wall_ms,
                })
            }
            (GossipPoint::Rumors { n, feedback, interest, demers, table, k }, GossipRuns::Rumors(runs)) => {
                let count = runs.len() as f64;
                let s = runs.iter().map(|r| r.residue).sum::<f64>() / count;
                let m = runs.iter().map(|r| r.traffic).sum::<f64>() / count;
                let t_ave = runs.iter().map(|r| r.t_ave).sum::<f64>() / count;
                let t_last = runs.iter().map(|r| r.t_last as f64).sum::<f64>() / count;
                json!({
                    "experiment": "rumors", "n": n, "mode": "push", "feedback": feedback,
                    "interest": if interest == Interest::Counter { "counter" } else { "coin" }, "k": k,
                    "counter": if demers { "consecutive, judged at the round's start" } else { "every unnecessary contact, judged on arrival" },
                    "seeds": seeds, "residue": round4(s), "traffic": round(m), "t_ave": round(t_ave), "t_last": round(t_last),
                    "e_to_minus_m": round4((-m).exp()),
                    "analytic_residue": if feedback { json!(round4(demers_residue(k))) } else { serde_json::Value::Null },
                    "paper_table": table, "wall_ms": wall_ms,
                })
            }
            _ => return Err("merge: gossip: a line's runs are of another experiment than its settings make it".into()),
        })
    }
}

/// `consensus-sim gossip`: see the module's documentation.
fn gossip(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    let (mut experiment, mut seeds, mut nodes, mut threads, mut shard) = ("all".to_string(), (0u64, 300u64), None::<Vec<usize>>, None::<usize>, None);
    while let Some((key, value)) = next_option(parser)? {
        match key.as_str() {
            "experiment" if ["rounds", "rumors", "attest", "all"].contains(&value.as_str()) => experiment = value,
            "experiment" => return Err("--experiment must be rounds, rumors, attest or all".into()),
            "seeds" => seeds = parse_seeds(&value)?,
            "nodes" => {
                let list: Result<Vec<usize>, _> = value.split(',').map(|v| v.trim().parse::<usize>()).collect();
                nodes = Some(list.ok().filter(|l| l.iter().all(|n| (2..=10_000).contains(n))).ok_or("--nodes must be a comma-separated list of integers from 2 to 10000")?);
            }
            "threads" => threads = Some(value.parse::<usize>().ok().filter(|t| *t > 0).ok_or("--threads must be a positive integer")?),
            "shard" => shard = Some(Shard::parse(&value)?),
            other => return Err(format!("unknown option --{other}")),
        }
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads.unwrap_or(0)).build().map_err(|e| e.to_string())?;
    let settings = GossipSettings { experiment, seeds, nodes };
    let slice = shard.map_or(seeds.0..seeds.1, |s| s.slice(seeds.0..seeds.1));
    let seed_list: Vec<u64> = slice.clone().collect();
    for (line, point) in gossip_points(&settings).into_iter().enumerate() {
        let started = Instant::now();
        let runs = GossipRuns::run(point, &seed_list, &pool)?;
        let wall_ms = started.elapsed().as_millis() as u64;
        match shard {
            Some(shard) => print_part(shard, "gossip", line, slice.clone(), &settings, &runs, wall_ms)?,
            None => {
                println!("{}", runs.line(point, seed_list.len(), wall_ms)?);
                std::io::stdout().flush().map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `merge` for `gossip`: every line's runs over all the seeds, summarized as one run would.
fn gossip_merge(run: &shard::Assembled) -> Result<ExitCode, String> {
    let s: GossipSettings = serde_json::from_value(run.settings.clone()).map_err(|e| format!("merge: gossip settings: {e}"))?;
    let points = gossip_points(&s);
    run.expect(points.len(), s.seeds.0..s.seeds.1)?;
    let seeds = (s.seeds.1 - s.seeds.0) as usize;
    let mut out = std::io::stdout().lock();
    for (point, line) in points.into_iter().zip(&run.lines) {
        let mut parts = line.data.iter().map(|d| serde_json::from_value::<GossipRuns>(d.clone()).map_err(|e| format!("merge: gossip: {e}")));
        let mut runs = parts.next().ok_or("merge: gossip: a line without parts")??;
        for next in parts {
            runs.extend(next?)?;
        }
        if runs.len() != seeds {
            return Err(format!("merge: gossip: {} runs for a line, not one per seed ({seeds})", runs.len()));
        }
        if writeln!(out, "{}", runs.line(point, seeds, line.wall_ms)?).is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--key value` or a bare `--flag` (one of `flags`): the next option, or None at the end.
fn next_option_or_flag(parser: &mut lexopt::Parser, flags: &[&str]) -> Result<Option<(String, String)>, String> {
    use lexopt::prelude::*;
    let Some(arg) = parser.next().map_err(|e| e.to_string())? else { return Ok(None) };
    let key = match arg {
        Long(k) => k.to_string(),
        _ => return Err(arg.unexpected().to_string()),
    };
    if flags.contains(&key.as_str()) {
        return Ok(Some((key, String::new())));
    }
    let value = parser.value().map_err(|e| e.to_string())?.string().map_err(|e| e.to_string())?;
    Ok(Some((key, value)))
}

/// Parses a number of milliseconds (0 to an hour) into µs; errors name `--flag`.
fn ms_arg(flag: &str, value: &str) -> Result<u64, String> {
    value.parse::<f64>().ok().filter(|v| (0.0..=3_600_000.0).contains(v)).map(|v| (v * 1000.0).round() as u64).ok_or_else(|| format!("--{flag} must be a number of milliseconds from 0 to 3600000"))
}

/// The broadcast server's flags shared by `maelstrom` and `maelstrom-node`; false when `key`
/// is not one of them.
fn server_option(options: &mut consensus_playground::maelstrom::Options, key: &str, value: &str) -> Result<bool, String> {
    use consensus_playground::maelstrom::Spread;
    match key {
        "spread" => options.spread = Spread::parse(value).map_err(|_| "--spread must be tree or flood")?,
        "batch-ms" => options.batch_us = ms_arg(key, value)?,
        "sync-ms" => options.sync_us = ms_arg(key, value)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// `consensus-sim maelstrom`: see the module's documentation.
fn maelstrom(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    use consensus_playground::maelstrom::workload::{quantiles_ms, run, Config, LatencyDist};
    use consensus_playground::maelstrom::Topology;
    let mut cfg = Config::default();
    let mut setting: Option<String> = None;
    let mut set = Vec::new();
    while let Some((key, value)) = next_option_or_flag(parser, &["partition"])? {
        if server_option(&mut cfg.options, &key, &value)? {
            continue;
        }
        match key.as_str() {
            "setting" if value == "3d" || value == "3e" => setting = Some(value),
            "setting" => return Err("--setting must be 3d or 3e (Gossip Glomers' efficient broadcast, parts I and II)".into()),
            "topology" => cfg.topology = Topology::parse(&value).map_err(|_| "--topology must be line, grid, tree2, tree3, tree4 or total")?,
            "nodes" => cfg.nodes = value.parse().ok().filter(|n| (1..=1000).contains(n)).ok_or("--nodes must be an integer from 1 to 1000")?,
            "latency-ms" => cfg.latency_us = ms_arg(&key, &value)?,
            "latency-dist" => cfg.latency_dist = LatencyDist::parse(&value).map_err(|_| "--latency-dist must be constant, uniform or exponential")?,
            "rate" => cfg.rate = value.parse().ok().filter(|r: &f64| *r > 0.0 && *r <= 100_000.0).ok_or("--rate must be a number of operations per second above 0 (at most 100000)")?,
            "time-limit" => cfg.time_limit_us = value.parse::<f64>().ok().filter(|s| (0.0..=3600.0).contains(s)).map(|s| (s * 1e6).round() as u64).ok_or("--time-limit must be a number of seconds from 0 to 3600")?,
            "nemesis-interval" => cfg.nemesis_interval_us = value.parse::<f64>().ok().filter(|s| *s > 0.0 && *s <= 3600.0).map(|s| (s * 1e6).round() as u64).ok_or("--nemesis-interval must be a number of seconds above 0 (at most 3600)")?,
            "partition" => cfg.partition = true,
            "seed" => cfg.seed = value.parse().map_err(|_| "--seed must be a non-negative integer")?,
            other => return Err(format!("unknown option --{other}")),
        }
        set.push(key);
    }
    if let Some(s) = &setting {
        // Gossip Glomers 3d/3e: `--node-count 25 --time-limit 20 --rate 100 --latency 100`.
        for (flag, clash) in [("nodes", cfg.nodes != 25), ("latency-ms", cfg.latency_us != 100_000), ("rate", cfg.rate != 100.0), ("time-limit", cfg.time_limit_us != 20_000_000)] {
            if clash && set.iter().any(|k| k == flag) {
                return Err(format!("--setting {s} fixes --{flag}; leave it out"));
            }
        }
        cfg.nodes = 25;
        cfg.latency_us = 100_000;
        cfg.rate = 100.0;
        cfg.time_limit_us = 20_000_000;
    }
    let started = Instant::now();
    let report = run(&cfg).map_err(|e| e.to_string())?;
    let mut out = report.to_json();
    let q = quantiles_ms(report.stable_latencies_us.clone());
    let judge = |msgs: f64, median: u64, max: u64| {
        let meets = report.msgs_per_op() < msgs && report.lost.is_empty() && q.is_some_and(|q| q[1] < median && q[4] < max);
        json!({ "msgs-per-op-below": msgs, "median-ms-below": median, "max-ms-below": max, "meets": meets })
    };
    let challenges = json!({ "3d": judge(30.0, 400, 600), "3e": judge(20.0, 1000, 2000) });
    let head = json!({
        "workload": "broadcast",
        "setting": setting,
        "topology": cfg.topology.name(),
        "nodes": cfg.nodes,
        "latency-ms": cfg.latency_us as f64 / 1000.0,
        "latency-dist": cfg.latency_dist.name(),
        "rate": cfg.rate,
        "time-limit-s": cfg.time_limit_us as f64 / 1e6,
        "partition": cfg.partition,
        "seed": cfg.seed,
        "spread": cfg.options.spread.name(),
        "batch-ms": cfg.options.batch_us as f64 / 1000.0,
        "sync-ms": cfg.options.sync_us as f64 / 1000.0,
    });
    let mut merged = head.as_object().cloned().unwrap_or_default();
    merged.extend(out.as_object_mut().map(std::mem::take).unwrap_or_default());
    merged.insert("meets".into(), setting.as_ref().map_or(serde_json::Value::Null, |s| challenges[s]["meets"].clone()));
    merged.insert("challenges".into(), challenges);
    merged.insert("wall_ms".into(), json!(started.elapsed().as_millis() as u64));
    println!("{}", serde_json::Value::Object(merged));
    Ok(ExitCode::SUCCESS)
}

/// `consensus-sim maelstrom-node`: a Maelstrom node on stdin and stdout (see the module's
/// documentation). The binary owns the clock (µs since start) and the threads.
fn maelstrom_node(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    use consensus_playground::maelstrom::node::Node;
    use consensus_playground::maelstrom::Process;
    use std::io::BufRead;
    use std::sync::mpsc;
    let mut options = consensus_playground::maelstrom::Options::default();
    let (mut seed, mut ignore_topology, mut protocol) = (0u64, false, "gossip".to_string());
    while let Some((key, value)) = next_option_or_flag(parser, &["ignore-topology"])? {
        if server_option(&mut options, &key, &value)? {
            continue;
        }
        match key.as_str() {
            "protocol" if ["gossip", "raft", "paxos"].contains(&value.as_str()) => protocol = value,
            "protocol" => return Err(format!("maelstrom-node: --protocol must be gossip (the broadcast workload), raft or paxos (lin-kv) ({value:?} is not)")),
            "seed" => seed = value.parse().map_err(|_| "--seed must be a non-negative integer")?,
            "ignore-topology" => ignore_topology = true,
            other => return Err(format!("unknown option --{other}")),
        }
    }
    use consensus_playground::maelstrom::linkv::KvNode;
    let mut node: Box<dyn Process> = match protocol.as_str() {
        "raft" => Box::new(KvNode::<Raft>::new(seed)),
        "paxos" => Box::new(KvNode::<Paxos>::new(seed)),
        _ => Box::new(Node::new(options, seed, ignore_topology).map_err(|e| e.to_string())?),
    };
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let now = || start.elapsed().as_micros() as u64;
    let emit = |lines: Vec<String>, log: Vec<String>| -> bool {
        let mut err = std::io::stderr().lock();
        for l in log {
            let _ = writeln!(err, "{l}");
        }
        let mut out = std::io::stdout().lock();
        for l in lines {
            if writeln!(out, "{l}").is_err() {
                return false;
            }
        }
        out.flush().is_ok()
    };
    loop {
        let wait = node.next_deadline().map(|d| std::time::Duration::from_micros(d.saturating_sub(now())));
        let got = match wait {
            Some(w) => rx.recv_timeout(w),
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        let lines = match got {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => node.handle(now(), &line),
            Err(mpsc::RecvTimeoutError::Timeout) => Vec::new(),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut lines = lines;
        lines.extend(node.tick(now()));
        let log = node.take_log();
        if !emit(lines, log) {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn bench(parser: &mut lexopt::Parser) -> Result<ExitCode, String> {
    let mut workload = "raft".to_string();
    while let Some((key, value)) = next_option(parser)? {
        match key.as_str() {
            "workload" if value == "raft" || value == "gossip" => workload = value,
            "workload" => return Err("--workload must be raft or gossip".into()),
            other => return Err(format!("unknown option --{other}")),
        }
    }
    if workload == "gossip" {
        return gossip_bench();
    }
    use consensus_playground::raft::experiments::throughput_workload;
    let started = Instant::now();
    let events = throughput_workload(60);
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({
            "bench": "sim-native",
            "workload": "5 nodes, latency 10-15 ms, election 100-200 ms, heartbeat 50 ms, a request every 10 ms, 60 simulated s",
            "events": events,
            "wall_s": (wall * 1000.0).round() / 1000.0,
            "sim_s_per_wall_s": (60.0 / wall).round(),
            "events_per_s": (events as f64 / wall).round(),
        })
    );
    Ok(ExitCode::SUCCESS)
}
