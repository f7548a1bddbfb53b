//! Many machines (issue #16 §4): "`check`, `fig16` and the gossip experiments accept
//! `--shard i/k` (the i-th of k equal slices of the seed range) and print results that a
//! `merge` subcommand combines into the same output a single run gives … test that sharded and
//! merged output equals the unsharded output."
//!
//! Each test runs the binary unsharded, then as k shards (i = 0 … k−1), merges the shards'
//! outputs and compares the text with the unsharded run's, byte for byte but for the digits of
//! `wall_ms` (wall time, which no two runs share). Small seed ranges and trial counts: a debug
//! build runs them in seconds.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_consensus-sim");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run consensus-sim")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 errors")
}

/// `text` with the digits of every `"wall_ms":N` replaced by `W`.
fn without_wall_times(text: &str) -> String {
    const KEY: &str = "\"wall_ms\":";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        out.push_str(&rest[..at + KEY.len()]);
        rest = rest[at + KEY.len()..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('W');
    }
    out.push_str(rest);
    out
}

/// A directory of its own for one test's shard files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("consensus-sim-shard-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `args` as shards 0/k … k−1/k, each into `dir/shard-i.json`; returns the files, in
/// shard order. Every shard exits 0, whatever it found.
fn shards(dir: &Path, args: &[&str], k: u64) -> Vec<String> {
    (0..k)
        .map(|i| {
            let spec = format!("{i}/{k}");
            let o = run(&[args, &["--shard", &spec]].concat());
            assert_eq!(o.status.code(), Some(0), "--shard {spec}: {}", stderr(&o));
            let file = dir.join(format!("shard-{i}.json"));
            std::fs::write(&file, &o.stdout).unwrap();
            file.to_str().unwrap().to_string()
        })
        .collect()
}

fn merge(files: &[String]) -> Output {
    let args: Vec<&str> = std::iter::once("merge").chain(files.iter().map(String::as_str)).collect();
    run(&args)
}

/// `merge` with the shards' outputs on stdin, concatenated in the order given.
fn merge_stdin(files: &[String]) -> Output {
    let mut child = Command::new(BIN).arg("merge").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    for f in files {
        input.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Unsharded, then for each k sharded and merged (files in shard order, files in reverse
/// order, and the lot on stdin): the same text and the same exit status. Returns the
/// unsharded output.
fn same_when_sharded(name: &str, args: &[&str], ks: &[u64]) -> String {
    let whole = run(args);
    assert!(stderr(&whole).is_empty(), "{}", stderr(&whole));
    let expected = without_wall_times(&stdout(&whole));
    for &k in ks {
        let dir = scratch(&format!("{name}-{k}"));
        let files = shards(&dir, args, k);
        let mut reversed = files.clone();
        reversed.reverse();
        for (how, merged) in [("files", merge(&files)), ("files, last shard first", merge(&reversed)), ("stdin", merge_stdin(&reversed))] {
            assert!(stderr(&merged).is_empty(), "{name}, k = {k}, {how}: {}", stderr(&merged));
            assert_eq!(without_wall_times(&stdout(&merged)), expected, "{name}, k = {k}, merged from {how}");
            assert_eq!(merged.status.code(), whole.status.code(), "{name}, k = {k}, {how}: merge's exit status is the unsharded run's");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    expected
}

/// `check` with a bug switch, so there are failing seeds to merge: 3 nodes, `forget-vote`,
/// seeds 116..136 fail at 123, 124 and 129 (since the nemesis aims, issue #16 §1). With 5
/// shards the first and the last find none and the first violation comes from the second; with
/// 7 two shards hold failures; 40 shards leave 20 empty.
#[test]
fn check_with_failing_seeds_merges_to_the_unsharded_output() {
    let args = ["check", "--seeds", "116..136", "--events", "5000", "--faults", "all", "--nodes", "3", "--bug", "forget-vote", "--threads", "1"];
    let out = same_when_sharded("check-forget-vote", &args, &[1, 5, 7, 40]);
    let v: serde_json::Value = serde_json::from_str(&out.replace("\"wall_ms\":W", "\"wall_ms\":0")).unwrap();
    assert_eq!(v["failing_seeds"], serde_json::json!([123, 124, 129]), "{out}");
    assert_eq!(v["first_violation"]["seed"], 123);
}

/// A bug the seeds do not find: unsharded and merged, exit status 1 (the checker missed it),
/// while every shard exits 0 (a shard's verdict is partial).
#[test]
fn check_exit_status_comes_from_merge() {
    let args = ["check", "--seeds", "0..6", "--events", "2000", "--nodes", "3", "--bug", "figure8", "--threads", "1"];
    let whole = run(&args);
    assert_eq!(whole.status.code(), Some(1), "{}", stdout(&whole));
    same_when_sharded("check-missed", &args, &[3]);
}

/// `fig16`: each range's trials are sliced (trial t is seed `seed + t` in every shard); the
/// medians and percentiles are computed from every trial's outcome. 13 shards of 12 trials
/// leave one empty.
#[test]
fn fig16_merges_to_the_unsharded_output() {
    let out = same_when_sharded("fig16", &["fig16", "--trials", "12", "--seed", "3"], &[2, 5, 13]);
    assert_eq!(out.lines().count(), 11, "one line per range");
    same_when_sharded("fig16-network", &["fig16", "--trials", "6", "--model", "network"], &[4]);
}

/// Gossip's rumor mongering: means of fractions over seeds, added up in seed order as one run
/// adds them (each seed's fractions carried exactly); and the rounds experiment (quantiles).
#[test]
fn a_gossip_experiment_merges_to_the_unsharded_output() {
    let out = same_when_sharded("gossip-rumors", &["gossip", "--experiment", "rumors", "--seeds", "0..4", "--nodes", "100", "--threads", "1"], &[3]);
    assert_eq!(out.lines().count(), 25, "5 variants × k = 1 … 5");
    same_when_sharded("gossip-rounds", &["gossip", "--experiment", "rounds", "--seeds", "3..9", "--nodes", "30", "--threads", "1"], &[4]);
}

/// `--shard i/k`: i counts from 0, k ≥ 1; each error names the option and the rule, exit 2.
#[test]
fn bad_shard_values_are_refused_with_the_rule() {
    let commands: [&[&str]; 3] = [&["check", "--seeds", "0..4"], &["fig16", "--trials", "4"], &["gossip", "--seeds", "0..4"]];
    let cases = [
        ("4/4", "--shard i/k needs i < k: i counts from 0, so the shards of 4 are 0/4 to 3/4"),
        ("1/1", "--shard i/k needs i < k"),
        ("0/0", "--shard i/k needs k ≥ 1"),
        ("3", "--shard must be i/k, the i-th of k slices counting from 0"),
        ("a/4", "--shard must be i/k"),
        ("-1/4", "--shard must be i/k"),
        ("1/2/3", "--shard must be i/k"),
    ];
    for command in commands {
        for (value, rule) in cases {
            let o = run(&[command, &["--shard", value]].concat());
            assert_eq!(o.status.code(), Some(2), "{command:?} --shard {value}");
            assert!(stderr(&o).contains(rule), "{command:?} --shard {value}: {}", stderr(&o));
            assert!(o.stdout.is_empty());
        }
    }
}

/// `merge` refuses what is not one complete run: a shard missing or given twice, shards of
/// different settings, a line that no shard printed.
#[test]
fn merge_refuses_an_incomplete_or_mixed_run() {
    let dir = scratch("refused");
    let args = ["fig16", "--trials", "3"];
    let files = shards(&dir, &args, 3);
    let refused = |files: &[String], why: &str| {
        let o = merge(files);
        assert_eq!(o.status.code(), Some(2), "{why}");
        assert!(o.stdout.is_empty(), "{why}");
        assert!(stderr(&o).contains(why), "{why}: {}", stderr(&o));
    };
    refused(&files[..2], "shard 2/3 missing");
    refused(&[files.clone(), vec![files[1].clone()]].concat(), "shard 1/3 is given twice");
    let other_dir = dir.join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = shards(&other_dir, &["fig16", "--trials", "3", "--seed", "9"], 3);
    refused(&[files[0].clone(), other[1].clone(), files[2].clone()], "ran other settings");
    let noise = dir.join("noise.json");
    std::fs::write(&noise, "{\"runs\":1}\n").unwrap();
    refused(&[files.clone(), vec![noise.to_str().unwrap().to_string()]].concat(), "line 1: not a line printed with --shard");
    let o = merge_stdin(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no shard output to merge"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}
