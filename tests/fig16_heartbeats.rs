//! Two models of LogCabin, the implementation the Raft paper measured for Figure 16 (Raft paper
//! §9.3; dissertation §9.4), as Raft options (issue #16 §3).
//!
//! - `per_follower_heartbeats`: LogCabin's leader runs one thread per follower; each sends the
//!   next heartbeat a period after its own previous RPC to that follower *started*, one RPC at
//!   a time, and an RPC that carries entries waits for the follower's disk write before the
//!   reply.
//! - `logcabin_writes_us`: LogCabin's storage and timers of 2013 (commit 24caf70): every piece
//!   of state its own fsynced file, written before anything else is sent, and election
//!   timeouts in whole milliseconds.
//!
//! These tests pin down those rules, that safety holds with each over randomized fault runs,
//! that the defaults are unchanged, and that the paper's own trials (read back from its
//! figure's source, docs/experiments/fig16-paper.json) say what the paper says.

use std::collections::BTreeSet;

use consensus_playground::raft::experiments::{
    fig16_config, fig16_config_with, fig16_range, fig16_range_with, fig16_trial_with, Fig16Heartbeats, Fig16Model, Fig16Rejoin,
    Fig16Setup, Fig16Trial, FIG16_LOGCABIN_WRITE_US,
};
use consensus_playground::raft::{Config, Payload, Raft, Role};
use consensus_playground::sim::chaos::{self, Action};
use consensus_playground::sim::{chance, Micros, Simulation, Workload};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

const MS: Micros = 1_000;
const PERSIST: Micros = 14_600;
const HEARTBEAT: Micros = 50 * MS;

/// A leader's AppendEntries as it left: (to, sent at µs, entries carried).
type Sent = (usize, Micros, usize);

/// Three servers on the paper's LAN with its 14.6 ms disk write; n1 leads.
fn three(per_follower: bool) -> Simulation<Raft> {
    let config = Config {
        seed: 5,
        nodes: 3,
        latency_us: (100, 250),
        persist_us: PERSIST,
        election_timeout_us: (150 * MS, 300 * MS),
        heartbeat_us: HEARTBEAT,
        snapshot_interval: None,
        per_follower_heartbeats: per_follower,
        ..Config::default()
    };
    let mut s = Simulation::<Raft>::new(config).unwrap();
    s.start_election(0).unwrap();
    s.run_until(s.now() + 100 * MS);
    assert_eq!(s.leader(), Some(0));
    s
}

/// Runs until `until`, recording every AppendEntries n1 sends (each seen once, as it leaves).
fn record(s: &mut Simulation<Raft>, until: Micros, seen: &mut BTreeSet<u64>, sent: &mut Vec<Sent>) {
    look(s, seen, sent);
    while s.step_brief_until(until).is_some() {
        look(s, seen, sent);
    }
    s.run_until(until);
}

/// Records the AppendEntries from n1 in flight that were not seen before.
fn look(s: &Simulation<Raft>, seen: &mut BTreeSet<u64>, sent: &mut Vec<Sent>) {
    for m in s.in_flight() {
        if seen.insert(m.id) && m.from == 0 {
            if let Payload::AppendEntries(a) = &m.payload {
                sent.push((m.to, m.sent_at, a.entries.len()));
            }
        }
    }
}

/// The scenario: n3 is down when n1 appends e1 at t1 (n2 gets it, writes it to disk), n3 comes
/// back, and at t1 + 20 ms n1 appends e2. Returns t1 and n1's AppendEntries from t1 on.
fn scenario(per_follower: bool) -> (Micros, Vec<Sent>) {
    let mut s = three(per_follower);
    s.crash(2).unwrap();
    let t1 = s.now();
    let (mut seen, mut sent) = (s.in_flight().map(|m| m.id).collect(), Vec::new());
    s.client_request("\"e1\"".into(), Some(0)).unwrap();
    record(&mut s, t1 + 20 * MS, &mut seen, &mut sent);
    s.client_request("\"e2\"".into(), Some(0)).unwrap();
    record(&mut s, t1 + 100 * MS, &mut seen, &mut sent);
    s.restart(2).unwrap();
    record(&mut s, t1 + 600 * MS, &mut seen, &mut sent);
    assert_eq!(s.leader(), Some(0), "n1 leads throughout");
    assert!(s.violations().is_empty());
    (t1, sent)
}

fn to(sent: &[Sent], f: usize) -> Vec<(Micros, usize)> {
    sent.iter().filter(|m| m.0 == f).map(|m| (m.1, m.2)).collect()
}

/// LogCabin's peer thread: `nextHeartbeatTime = start + HEARTBEAT_PERIOD`, where `start` is when
/// the previous RPC to that follower began, and no RPC while one is outstanding. n2's RPC
/// carrying e2 starts at t1 + 20 ms and waits for n2's disk write; its next heartbeat leaves a
/// period after that start, not after the reply; n3 (down, then back) gets e1 and e2 only when
/// the leader gives its unanswered RPC up, on its own schedule: the two phases differ.
#[test]
fn with_per_follower_heartbeats_each_follower_keeps_its_own_schedule_from_its_last_rpc_start() {
    let (t1, sent) = scenario(true);
    let n2 = to(&sent, 1);
    let n3 = to(&sent, 2);
    // n2: e1 at t1; e2 at t1 + 20 ms (n2 had answered e1 after its disk write); then heartbeats
    // a period apart from that start.
    assert_eq!(n2[0], (t1, 1), "{n2:?}");
    let (e2_at, carried) = n2[1];
    assert_eq!((e2_at - t1, carried), (20 * MS, 1), "{n2:?}");
    assert_eq!(n2[2], (e2_at + HEARTBEAT, 0), "the next heartbeat a period after the RPC that waited for disk began: {n2:?}");
    for w in n2[2..].windows(2) {
        assert_eq!(w[1].0 - w[0].0, HEARTBEAT, "n2's heartbeats keep its phase: {n2:?}");
    }
    // n3: the e1 request was lost (down); e2 was held back behind it (one RPC outstanding);
    // unanswered for the minimum election timeout, it is given up and both entries go.
    assert_eq!(n3[0], (t1, 1), "{n3:?}");
    assert_eq!(n3[1], (t1 + 150 * MS, 2), "{n3:?}");
    assert_eq!(n3[2], (t1 + 200 * MS, 0), "{n3:?}");
    // The phases differ by the 20 ms between the two starts.
    let phase = |v: &[(Micros, usize)]| v.last().unwrap().0 % HEARTBEAT;
    assert_eq!((phase(&n2) + HEARTBEAT - phase(&n3)) % HEARTBEAT, 20 * MS);
    // (every AppendEntries n1 sent is on one of the two schedules or answers a reply: no
    // broadcast instant sends to both at once after e1)
    assert!(n2.iter().skip(1).all(|(t, _)| !n3.iter().any(|(u, _)| u == t)), "no send to both at once after e1");
}

/// The default: one heartbeat timer for every follower; every heartbeat goes to both at once.
#[test]
fn by_default_one_broadcast_heartbeat_reaches_every_follower_at_the_same_instant() {
    assert!(!Config::default().per_follower_heartbeats);
    let (_, sent) = scenario(false);
    let beats = |f: usize| -> Vec<Micros> { sent.iter().filter(|m| m.0 == f && m.2 == 0).map(|m| m.1).collect() };
    let (n2, n3) = (beats(1), beats(2));
    assert!(n3.len() >= 5, "{sent:?}");
    assert!(n3.iter().all(|t| n2.contains(t)), "every heartbeat to n3 left with one to n2: {sent:?}");
}

/// Figure 16's set-up takes the option; the default trial is the one it always was.
#[test]
fn fig16_takes_the_schedule_and_its_default_is_broadcast() {
    let range = (150, 155);
    let per_follower = Fig16Setup { heartbeats: Fig16Heartbeats::PerFollower, ..Fig16Setup::default() };
    assert_eq!(Fig16Setup::default(), Fig16Setup { heartbeats: Fig16Heartbeats::Broadcast, rejoin: Fig16Rejoin::Crash, logcabin_write_us: None });
    assert_eq!(fig16_config(3, range, Fig16Model::Disk), fig16_config_with(3, range, Fig16Model::Disk, Fig16Heartbeats::Broadcast));
    assert!(fig16_config_with(3, range, Fig16Model::Disk, Fig16Heartbeats::PerFollower).per_follower_heartbeats);
    assert_eq!(fig16_range(1, range, 30, Fig16Model::Disk), fig16_range_with(1, range, 30, Fig16Model::Disk, Fig16Setup::default()));
    let per = fig16_range_with(1, range, 30, Fig16Model::Disk, per_follower);
    assert_eq!(per, fig16_range_with(1, range, 30, Fig16Model::Disk, per_follower), "deterministic");
    assert_eq!((per.trials, per.capped, per.no_leader_to_crash), (30, 0, 0));
    assert!(per.median_ms > 75.0 && per.max_ms < 1_000.0, "{per:?}");
    for seed in 1..20 {
        assert!(matches!(fig16_trial_with(seed, range, Fig16Model::Disk, per_follower), Fig16Trial::Elected(_)));
    }
    assert_eq!(Fig16Heartbeats::from_name("per-follower"), Some(Fig16Heartbeats::PerFollower));
    assert_eq!(Fig16Heartbeats::from_name("broadcast"), Some(Fig16Heartbeats::Broadcast));
    assert_eq!(Fig16Heartbeats::from_name("each"), None);
    assert_eq!(Fig16Rejoin::from_name("heartbeat"), Some(Fig16Rejoin::Heartbeat));
}

/// The rejoin at the last heartbeat (the paper's "synchronized broadcast of heartbeat RPCs …
/// before terminating", Raft paper §9.3): all four followers' timers start together, the two
/// behind still cannot win, and with no randomness (150–150 ms) elections keep splitting far
/// more often than when the two rejoin at the crash.
#[test]
fn with_all_four_followers_synchronized_150_150_ms_rarely_converges() {
    let range = (150, 150);
    let at_heartbeat = Fig16Setup { rejoin: Fig16Rejoin::Heartbeat, ..Fig16Setup::default() };
    let apart = fig16_range_with(1, range, 60, Fig16Model::Disk, Fig16Setup::default());
    let together = fig16_range_with(1, range, 60, Fig16Model::Disk, at_heartbeat);
    assert!(together.capped > 2 * apart.capped && together.capped > 30, "capped: {} at the crash, {} at the heartbeat", apart.capped, together.capped);
}

/// Safety with the option on (Raft paper Figure 3): randomized fault runs — crashes, restarts,
/// pauses, partitions, cut links, lost messages, leadership transfers and membership changes,
/// under key-value clients — with settings drawn per seed as `check` draws them (PreVote,
/// CheckQuorum, snapshots, batch sizes, ReadIndex, disk writes), the checker after every event
/// and the clients' history checked for linearizability: no violation in 200 seeds.
#[test]
fn safety_holds_over_200_randomized_fault_runs_with_per_follower_heartbeats() {
    randomized_fault_runs(200, |c| c.per_follower_heartbeats = true);
}

/// The same with LogCabin's per-file writes (1.8 ms each, as the `logcabin` model) and
/// whole-ms timeouts: no violation in 100 seeds.
#[test]
fn safety_holds_over_100_randomized_fault_runs_with_logcabin_writes() {
    randomized_fault_runs(100, |c| c.logcabin_writes_us = Some(1_800));
}

/// `runs` randomized fault runs with the settings `check` draws, changed by `option`.
fn randomized_fault_runs(runs: u64, option: impl Fn(&mut Config)) {
    let mut events = 0;
    let mut committed = 0;
    for seed in 0..runs {
        let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0x0f16_beef);
        let nodes = [3, 5][rng.random_range(0..2)];
        let config = Config {
            seed,
            nodes,
            latency_us: (rng.random_range(0..5 * MS), rng.random_range(5 * MS..20 * MS)),
            persist_us: if chance(&mut rng, 0.5) { rng.random_range(0..=PERSIST) } else { 0 },
            drop_rate: if chance(&mut rng, 0.5) { 0.05 } else { 0.0 },
            duplicate_rate: if chance(&mut rng, 0.3) { 0.02 } else { 0.0 },
            pre_vote: chance(&mut rng, 0.5),
            check_quorum: chance(&mut rng, 0.5),
            snapshot_interval: chance(&mut rng, 0.5).then(|| rng.random_range(5..40)),
            max_entries_per_append: Some(rng.random_range(1..=64)),
            read_index: chance(&mut rng, 0.5),
            batch_us: chance(&mut rng, 0.3).then(|| rng.random_range(1..20) * MS),
            ..Config::default()
        };
        let mut config = config;
        option(&mut config);
        let mut s = Simulation::<Raft>::new(config).unwrap();
        s.start_clients(Workload { clients: rng.random_range(1..=3), ..Workload::default() });
        let end = 8_000 * MS;
        while s.now() < end && s.violations().is_empty() {
            s.run_until(s.now() + rng.random_range(1..40) * MS);
            let n = s.ids().len();
            let i = rng.random_range(0..n);
            let action = match rng.random_range(0..14) {
                0 => Action::Crash(i),
                1 | 2 => Action::Restart(i),
                3 => Action::Pause(i),
                4 | 5 => Action::Resume(i),
                6 => Action::Partition((0..n).filter(|_| chance(&mut rng, 0.4)).collect()),
                7 | 8 => Action::Heal,
                9 => Action::Cut { from: i, to: rng.random_range(0..n), both: chance(&mut rng, 0.5) },
                10 => Action::Drop(rng.random_range(0..8)),
                11 => Action::Protocol("transferLeadership", i),
                12 if chance(&mut rng, 0.2) => Action::Protocol(if chance(&mut rng, 0.5) { "addNode" } else { "removeNode" }, i),
                _ => Action::Command(format!("\"c{}\"", s.now())),
            };
            chaos::apply(&mut s, &action).unwrap();
        }
        assert!(s.violations().is_empty(), "seed {seed}: {:?}", s.violations().first());
        consensus_playground::lincheck::check(s.history()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        events += s.stats().messages_delivered;
        committed += s.stats().committed;
        // Afterwards, with faults undone, a leader emerges and its followers hear from it.
        chaos::apply(&mut s, &Action::Heal).unwrap();
        for k in 0..s.ids().len() {
            chaos::apply(&mut s, &Action::Resume(k)).unwrap();
            chaos::apply(&mut s, &Action::Restart(k)).unwrap();
        }
        let healed = s.now();
        let mut led = false;
        while s.now() < healed + 3_000 * MS {
            s.run_until(s.now() + 10 * MS);
            led |= (0..s.ids().len()).any(|k| !s.is_removed(k) && s.node(k).role() == Role::Leader);
        }
        assert!(s.violations().is_empty(), "seed {seed} after healing: {:?}", s.violations().first());
        assert!(led, "seed {seed}: a leader within 3 s of healing");
    }
    assert!(events > 250 * runs && committed > 25 * runs, "the runs did something: {events} messages delivered, {committed} committed");
}

/// `consensus-sim fig16 --heartbeats per-follower --rejoin heartbeat`, run whole and as three
/// shards merged (issue #16 §4): the same lines, which name the set-up; the default lines do not.
#[test]
fn the_cli_takes_the_setup_and_its_shards_merge_to_the_whole_run() {
    use std::process::Command;
    const BIN: &str = env!("CARGO_BIN_EXE_consensus-sim");
    let wall = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("wall_ms");
                v
            })
            .collect()
    };
    let run = |args: &[&str]| -> String {
        let o = Command::new(BIN).args(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let args = ["fig16", "--trials", "9", "--heartbeats", "per-follower", "--rejoin", "heartbeat"];
    let whole = run(&args);
    let lines = wall(&whole);
    assert_eq!(lines.len(), 11);
    assert!(lines.iter().all(|l| l["heartbeats"] == "per-follower" && l["rejoin"] == "heartbeat"), "{whole}");
    let dir = std::env::temp_dir().join(format!("fig16-heartbeats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<String> = (0..3)
        .map(|i| {
            let file = dir.join(format!("{i}.json"));
            std::fs::write(&file, run(&[&args[..], &["--shard", &format!("{i}/3")]].concat())).unwrap();
            file.to_string_lossy().into_owned()
        })
        .collect();
    let merged = run(&[&["merge"], &files.iter().map(String::as_str).collect::<Vec<_>>()[..]].concat());
    assert_eq!(wall(&merged), lines);
    let _ = std::fs::remove_dir_all(&dir);
    let default = wall(&run(&["fig16", "--trials", "3"]));
    assert!(default.iter().all(|l| l.get("heartbeats").is_none() && l.get("rejoin").is_none()));
    let o = Command::new(BIN).args(["fig16", "--heartbeats", "each"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--heartbeats must be broadcast or per-follower"));
    // The logcabin model: its lines name its write and the paper's synchronized heartbeat; a
    // write of its own merges from shards as the whole run; --write-ms needs the model.
    let logcabin = wall(&run(&["fig16", "--trials", "3", "--model", "logcabin"]));
    assert!(logcabin.iter().all(|l| l["model"] == "logcabin" && l["rejoin"] == "heartbeat" && l["write_ms"] == 1.8), "{logcabin:?}");
    let args = ["fig16", "--trials", "4", "--model", "logcabin", "--write-ms", "2.5"];
    let whole = wall(&run(&args));
    assert!(whole.iter().all(|l| l["write_ms"] == 2.5));
    let parts: String = (0..2).map(|i| run(&[&args[..], &["--shard", &format!("{i}/2")]].concat())).collect();
    let o = Command::new(BIN).arg("merge").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(&mut o.stdin.as_ref().unwrap(), parts.as_bytes()).unwrap();
    let merged = o.wait_with_output().unwrap();
    assert_eq!(wall(&String::from_utf8(merged.stdout).unwrap()), whole);
    let o = Command::new(BIN).args(["fig16", "--write-ms", "2"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--write-ms is the logcabin model's file write: it needs --model logcabin"));
}

// ---- LogCabin's writes and timers (`logcabin_writes_us`) ---------------------------------------

/// Three servers, 1 ms apart, with LogCabin's writes of `w` µs; n1 runs for election now.
fn logcabin_three(w: Micros) -> Simulation<Raft> {
    let config = Config {
        seed: 3,
        nodes: 3,
        latency_us: (MS, MS),
        election_timeout_us: (150 * MS, 300 * MS),
        heartbeat_us: HEARTBEAT,
        pre_vote: false,
        check_quorum: false,
        logcabin_writes_us: Some(w),
        ..Config::default()
    };
    let mut s = Simulation::<Raft>::new(config).unwrap();
    s.start_election(0).unwrap();
    s
}

/// The first message of `kind` from `from` in flight once it appears: its (sent, delivered) µs.
fn first(s: &mut Simulation<Raft>, from: usize, kind: &str) -> (Micros, Micros) {
    loop {
        let found = s.in_flight().find(|m| m.from == from && format!("{:?}", m.payload).starts_with(kind)).map(|m| (m.sent_at, m.deliver_at));
        if let Some(f) = found {
            return f;
        }
        s.step_brief().expect("the run goes on");
    }
}

/// LogCabin at 24caf70 (Server/RaftConsensus.cc, Server/SimpleFileLog.cc): `startNewElection`
/// writes the new term and vote (one file) before the RequestVotes can leave; `handleRequestVote`
/// writes a newer term (`stepDown`) and then the vote before it answers; `becomeLeader` appends
/// the no-op entry (its file and the metadata) before the first AppendEntries; a follower
/// appending an entry writes its file and the metadata. Each write here takes w = 2 ms, each
/// hop 1 ms.
#[test]
fn logcabin_writes_each_file_before_anything_else_leaves() {
    let w = 2 * MS;
    let mut s = logcabin_three(w);
    let t0 = s.now();
    assert_eq!(first(&mut s, 0, "RequestVote"), (t0 + w, t0 + w + MS), "the candidate's term and vote first");
    let (voted, _) = first(&mut s, 1, "RequestVoteResponse");
    assert_eq!(voted, t0 + w + MS + 2 * w, "the voter's new term, then its vote");
    let (append, appended) = first(&mut s, 0, "AppendEntries");
    assert_eq!(append, voted + MS + 2 * w, "the leader's no-op entry and the metadata");
    assert_eq!(s.leader(), Some(0));
    let (ack, _) = first(&mut s, 1, "AppendEntriesResponse");
    assert_eq!(ack, appended + 2 * w, "the follower's entry file and the metadata");
    // Without the option: the simulator's persist delay alone (0 here), nothing held.
    let mut plain = Simulation::<Raft>::new(Config { logcabin_writes_us: None, ..s.config().clone() }).unwrap();
    plain.start_election(0).unwrap();
    let t = plain.now();
    assert_eq!(first(&mut plain, 0, "RequestVote").0, t);
}

/// `setElectionTimer` drew `randomRange(ELECTION_TIMEOUT_MS, 2 * ELECTION_TIMEOUT_MS)` ms, an
/// `lround` of a uniform draw (Core/Random.cc at 24caf70): whole milliseconds, the two ends
/// half as likely as the values between.
#[test]
fn logcabin_timeouts_are_whole_milliseconds_with_half_weight_ends() {
    use consensus_playground::protocol::Delay;
    let mut rng = Pcg64Mcg::seed_from_u64(16);
    let mut counts = [0u32; 6];
    for _ in 0..60_000 {
        let us = Delay::UniformWholeMs(150 * MS, 155 * MS).draw(&mut rng);
        assert_eq!(us % MS, 0, "{us}");
        counts[(us / MS - 150) as usize] += 1;
    }
    // Expected 6,000 at each end and 12,000 between.
    assert!(counts[0].abs_diff(6_000) < 400 && counts[5].abs_diff(6_000) < 400, "{counts:?}");
    assert!(counts[1..5].iter().all(|c| c.abs_diff(12_000) < 500), "{counts:?}");
    assert_eq!(Delay::Uniform(3, 3).draw(&mut rng), 3);
    assert_eq!(Delay::After(7).draw(&mut rng), 7);
}

/// The paper's own trials (docs/experiments/fig16-paper.json, read back by
/// scripts/paper-fig16.mjs from the figure's vector source in the dissertation's repository)
/// say what the paper says of them (Raft paper §9.3, dissertation §9.4): 1000 trials per range
/// (100 for 150–150 ms); 150–155 ms median 287 ms; 150–200 ms longest 513 ms; 12–24 ms mean
/// 35 ms and longest 152 ms; with no randomness "consistently longer than 10 s"; and the
/// 150–300 ms line, drawn in both panels, the same trials.
#[test]
fn the_papers_trials_read_back_from_its_figure_say_what_the_paper_says() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/experiments/fig16-paper.json")).unwrap();
    let data: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ranges = data["ranges"].as_array().unwrap();
    let trials = |lo: u64, hi: u64, k: usize| -> Vec<f64> {
        let r = ranges.iter().filter(|r| r["range_ms"] == serde_json::json!([lo, hi])).nth(k).unwrap();
        r["ms"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
    };
    let median = |v: &[f64]| v[v.len().div_ceil(2) - 1];
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert_eq!(ranges.len(), 11);
    assert_eq!(trials(150, 150, 0).len(), 100);
    assert!(ranges.iter().filter(|r| r["range_ms"] != serde_json::json!([150, 150])).all(|r| r["ms"].as_array().unwrap().len() == 1000));
    assert!((median(&trials(150, 155, 0)) - 287.0).abs() < 0.5);
    assert!((trials(150, 200, 0).last().unwrap() - 513.0).abs() < 1.0);
    let quick = trials(12, 24, 0);
    assert!((mean(&quick) - 35.0).abs() < 0.5 && (quick.last().unwrap() - 152.0).abs() < 1.0);
    assert!(trials(150, 150, 0)[0] > 9_800.0);
    let (top, bottom) = (trials(150, 300, 0), trials(150, 300, 1));
    assert!(top.iter().zip(&bottom).all(|(a, b)| (a - b).abs() < 1.0));
    assert!(trials(150, 155, 0).windows(2).all(|w| w[0] <= w[1]), "sorted");
}

/// What LogCabin's writes and timers do to Figure 16 (the `logcabin` model, with the paper's
/// synchronized heartbeat): a second server that times out before the first candidate's
/// RequestVote has left (its 1.8 ms write) splits the vote, and whole-ms timeouts put servers
/// in the same millisecond: with 1 ms of randomness most elections split (the paper: median
/// 1.2 s), where the disk model elects in one round; with none, no trial elects a leader
/// within the 20 s cap (the paper: every trial over 9.8 s).
#[test]
fn with_logcabin_writes_and_timers_small_randomness_splits_votes_as_in_the_paper() {
    let logcabin = |range| fig16_range_with(1, range, 100, Fig16Model::LogCabin, Fig16Setup::for_model(Fig16Model::LogCabin));
    let disk = fig16_range(1, (150, 151), 100, Fig16Model::Disk);
    let split = logcabin((150, 151));
    assert!(disk.median_ms < 200.0 && split.median_ms > 500.0, "disk {disk:?}, logcabin {split:?}");
    assert_eq!(logcabin((150, 150)).capped, 100);
    assert_eq!(Fig16Setup::for_model(Fig16Model::LogCabin).rejoin, Fig16Rejoin::Heartbeat);
    assert_eq!(Fig16Setup::for_model(Fig16Model::Disk), Fig16Setup::default());
    assert_eq!(fig16_config(1, (150, 155), Fig16Model::LogCabin).logcabin_writes_us, Some(FIG16_LOGCABIN_WRITE_US));
    assert_eq!(fig16_config(1, (150, 155), Fig16Model::Disk).logcabin_writes_us, None);
    assert_eq!(Fig16Model::from_name("logcabin"), Some(Fig16Model::LogCabin));
}
