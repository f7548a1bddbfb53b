//! Maelstrom (jepsen-io/maelstrom): the `broadcast` workload on the simulator, and
//! `consensus-sim maelstrom-node` driven through Maelstrom's protocol (`doc/protocol.md`) by a
//! router in the test, as Maelstrom's network would: every line a node writes is a message
//! `{src, dest, body}`; those to nodes go to that node's stdin, those to the client come back.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use consensus_playground::maelstrom::workload::{run, Config};
use consensus_playground::maelstrom::{Options, Spread, Topology};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_consensus-sim");

/// 5 nodes, 50 operations per second for 2 s, then Maelstrom's 10 s of recovery.
fn small(seed: u64) -> Config {
    Config { nodes: 5, time_limit_us: 2_000_000, rate: 50.0, seed, ..Config::default() }
}

#[test]
fn every_broadcast_reaches_every_node_and_no_value_is_lost() {
    for topology in Topology::ALL {
        let r = run(&Config { topology, ..small(1) }).unwrap();
        assert!(r.broadcasts > 20, "{}: {} broadcasts", topology.name(), r.broadcasts);
        assert!(r.lost.is_empty(), "{}: lost {:?}", topology.name(), r.lost);
        assert_eq!(r.stable_count, r.broadcasts, "{}: every element stable", topology.name());
        assert_eq!(r.unspread, 0, "{}: every value at every node", topology.name());
    }
}

/// Maelstrom's `--nemesis partition`: values broadcast on either side of a partition reach
/// everyone once it heals (anti-entropy beneath the eager push).
#[test]
fn a_partition_healed_loses_nothing() {
    for seed in 1..4 {
        let cfg = Config { partition: true, nemesis_interval_us: 500_000, time_limit_us: 4_000_000, ..small(seed) };
        let r = run(&cfg).unwrap();
        assert!(r.partitions >= 1, "seed {seed}: a partition started");
        assert!(r.lost.is_empty(), "seed {seed}: lost {:?}", r.lost);
        assert_eq!(r.unspread, 0, "seed {seed}");
    }
    // Without anti-entropy, eager push alone cannot repair what a partition cut.
    let mut missed = 0;
    for seed in 1..6 {
        let cfg = Config { partition: true, nemesis_interval_us: 500_000, time_limit_us: 4_000_000, options: Options { sync_us: 0, ..Options::default() }, ..small(seed) };
        missed += run(&cfg).unwrap().unspread;
    }
    assert!(missed > 0, "some value never reached some node without anti-entropy");
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let a = run(&Config { partition: true, nemesis_interval_us: 500_000, ..small(9) }).unwrap();
    let b = run(&Config { partition: true, nemesis_interval_us: 500_000, ..small(9) }).unwrap();
    assert_eq!(a.to_json(), b.to_json());
    assert_ne!(a.to_json(), run(&small(10)).unwrap().to_json());
    // The CLI too (apart from its wall-clock field).
    let cli = || {
        let out = Command::new(BIN).args(["maelstrom", "--nodes", "5", "--time-limit", "2", "--seed", "4", "--partition"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_object_mut().unwrap().remove("wall_ms");
        v
    };
    assert_eq!(cli(), cli());
}

/// doc/03-broadcast/02-performance.md: the tutorial's flooding server, 25 nodes, rate 100, no
/// latency, reports 27.8 messages per operation on a grid and 12.0 on a line.
#[test]
fn flooding_costs_what_maelstroms_documentation_reports() {
    let flood = Options { spread: Spread::Flood, sync_us: 0, ..Options::default() };
    let mpo = |topology| run(&Config { topology, latency_us: 0, time_limit_us: 5_000_000, options: flood.clone(), ..Config::default() }).unwrap().msgs_per_op();
    let (grid, line) = (mpo(Topology::Grid), mpo(Topology::Line));
    assert!((26.0..30.0).contains(&grid), "grid {grid}");
    assert!((11.0..13.0).contains(&line), "line {line}");
}

/// Maelstrom's router, in the test: one thread per node forwards its stdout lines here.
struct Cluster {
    children: Vec<Child>,
    stdins: Vec<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
}

impl Cluster {
    fn start(n: usize) -> Cluster {
        Cluster::start_with(n, &["maelstrom-node", "--protocol", "gossip", "--batch-ms", "20", "--sync-ms", "200"])
    }

    fn start_with(n: usize, args: &[&str]) -> Cluster {
        let (tx, rx) = mpsc::channel();
        let mut children = Vec::new();
        let mut stdins = Vec::new();
        for _ in 0..n {
            let mut child = Command::new(BIN)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn consensus-sim maelstrom-node");
            stdins.push(child.stdin.take().unwrap());
            let out = child.stdout.take().unwrap();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
            children.push(child);
        }
        Cluster { children, stdins, lines: rx, next_id: 0 }
    }

    fn send(&mut self, dest: usize, body: Value) -> u64 {
        self.next_id += 1;
        let mut body = body;
        body["msg_id"] = json!(self.next_id);
        let msg = json!({ "src": "c1", "dest": format!("n{}", dest + 1), "body": body });
        writeln!(self.stdins[dest], "{msg}").unwrap();
        self.stdins[dest].flush().unwrap();
        self.next_id
    }

    /// Routes server traffic until the replies to `ids` have all come (in any order); returns
    /// them by id. Panics after a generous timeout.
    fn await_replies(&mut self, ids: &[u64]) -> Vec<Value> {
        let mut got: Vec<Option<Value>> = vec![None; ids.len()];
        let deadline = Instant::now() + Duration::from_secs(30);
        while got.iter().any(Option::is_none) {
            let left = deadline.checked_duration_since(Instant::now()).expect("replies within 30 s");
            let line = self.lines.recv_timeout(left).expect("replies within 30 s");
            let msg: Value = serde_json::from_str(&line).expect("a node writes JSON lines");
            let dest = msg["dest"].as_str().unwrap();
            if let Some(k) = dest.strip_prefix('n') {
                let k: usize = k.parse().unwrap();
                writeln!(self.stdins[k - 1], "{line}").unwrap();
                self.stdins[k - 1].flush().unwrap();
            } else {
                assert_eq!(dest, "c1");
                let to = msg["body"]["in_reply_to"].as_u64().expect("a reply says what it answers");
                if let Some(i) = ids.iter().position(|&x| x == to) {
                    got[i] = Some(msg["body"].clone());
                }
            }
        }
        got.into_iter().map(Option::unwrap).collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn maelstrom_nodes_broadcast_to_every_node_through_the_router() {
    let n = 5;
    let mut c = Cluster::start(n);
    let names: Vec<String> = (1..=n).map(|i| format!("n{i}")).collect();
    let ids: Vec<u64> = (0..n).map(|i| c.send(i, json!({ "type": "init", "node_id": names[i], "node_ids": names }))).collect();
    for r in c.await_replies(&ids) {
        assert_eq!(r["type"], "init_ok");
    }
    // Maelstrom's grid for 5 nodes (side 3).
    let topology = json!({ "n1": ["n4", "n2"], "n2": ["n5", "n3", "n1"], "n3": ["n2"], "n4": ["n1", "n5"], "n5": ["n2", "n4"] });
    let ids: Vec<u64> = (0..n).map(|i| c.send(i, json!({ "type": "topology", "topology": topology }))).collect();
    for r in c.await_replies(&ids) {
        assert_eq!(r["type"], "topology_ok");
    }
    let values: Vec<u64> = (0..12).collect();
    let ids: Vec<u64> = values.iter().map(|&v| c.send(v as usize % n, json!({ "type": "broadcast", "message": v }))).collect();
    for r in c.await_replies(&ids) {
        assert_eq!(r["type"], "broadcast_ok");
    }
    // Reads until every node holds every value (each round waits for its replies).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ids: Vec<u64> = (0..n).map(|i| c.send(i, json!({ "type": "read" }))).collect();
        let reads = c.await_replies(&ids);
        let complete = reads.iter().all(|r| {
            assert_eq!(r["type"], "read_ok");
            let mut got: Vec<u64> = r["messages"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
            got.sort_unstable();
            got == values
        });
        if complete {
            break;
        }
        assert!(Instant::now() < deadline, "every node reads every value within 30 s: {reads:?}");
    }
    // An unknown type: an error body, code 10 (not-supported), in reply to the request.
    let id = c.send(2, json!({ "type": "frobnicate" }));
    let r = &c.await_replies(&[id])[0];
    assert_eq!((r["type"].as_str(), r["code"].as_u64()), (Some("error"), Some(10)));
}

/// Maelstrom's `lin-kv` workload against three Raft nodes, then three Multi-Paxos nodes: a write reaches the leader (the
/// others answer error 11, temporarily-unavailable), then reads, cas and the error codes 20
/// (key-does-not-exist) and 22 (precondition-failed).
#[test]
fn raft_and_paxos_nodes_serve_lin_kv() {
    for protocol in ["raft", "paxos"] {
        lin_kv(protocol);
    }
}

fn lin_kv(protocol: &str) {
    let n = 3;
    let mut c = Cluster::start_with(n, &["maelstrom-node", "--protocol", protocol]);
    let names: Vec<String> = (1..=n).map(|i| format!("n{i}")).collect();
    let ids: Vec<u64> = (0..n).map(|i| c.send(i, json!({ "type": "init", "node_id": names[i], "node_ids": names }))).collect();
    for r in c.await_replies(&ids) {
        assert_eq!(r["type"], "init_ok");
    }
    // Until a leader is elected (real time: 150–300 ms election timeouts), every node answers 11.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut at = 0;
    let leader = loop {
        let id = c.send(at, json!({ "type": "write", "key": 1, "value": 10 }));
        let r = c.await_replies(&[id]).remove(0);
        if r["type"] == "write_ok" {
            break at;
        }
        assert_eq!((r["type"].as_str(), r["code"].as_u64()), (Some("error"), Some(11)), "{protocol}: {r}");
        assert!(Instant::now() < deadline, "{protocol}: a leader within 30 s");
        at = (at + 1) % n;
    };
    let mut ask = |body: Value| {
        let id = c.send(leader, body);
        let r = c.await_replies(&[id]).remove(0);
        (r["type"].as_str().unwrap_or_default().to_string(), r["code"].as_u64(), r["value"].clone())
    };
    assert_eq!(ask(json!({ "type": "read", "key": 1 })), ("read_ok".into(), None, json!(10)));
    assert_eq!(ask(json!({ "type": "read", "key": 2 })), ("error".into(), Some(20), Value::Null));
    assert_eq!(ask(json!({ "type": "cas", "key": 1, "from": 11, "to": 12 })), ("error".into(), Some(22), Value::Null));
    assert_eq!(ask(json!({ "type": "cas", "key": 1, "from": 10, "to": 12 })), ("cas_ok".into(), None, Value::Null));
    assert_eq!(ask(json!({ "type": "read", "key": 1 })), ("read_ok".into(), None, json!(12)));
    assert_eq!(ask(json!({ "type": "frobnicate" })), ("error".into(), Some(10), Value::Null));
}

#[test]
fn an_unknown_protocol_is_refused() {
    let out = Command::new(BIN).args(["maelstrom-node", "--protocol", "pbft"]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--protocol must be gossip"));
}

/// doc/03-broadcast/02-performance.md: "When message delays are exponentially distributed ...
/// the system as a whole actually gets faster" (flooding on the grid at 100 ms: median stable
/// latency 452 ms constant, 229 ms exponential).
#[test]
fn exponential_latency_makes_flooding_on_a_grid_faster() {
    use consensus_playground::maelstrom::workload::{quantiles_ms, LatencyDist};
    let flood = Options { spread: Spread::Flood, sync_us: 0, ..Options::default() };
    let median = |latency_dist| {
        let r = run(&Config { latency_dist, time_limit_us: 5_000_000, options: flood.clone(), ..Config::default() }).unwrap();
        quantiles_ms(r.stable_latencies_us).unwrap()[1]
    };
    let (constant, exponential) = (median(LatencyDist::Constant), median(LatencyDist::Exponential));
    assert!(exponential < constant, "exponential {exponential} ms, constant {constant} ms");
}

/// Gossip Glomers' setting (25 nodes, 100 ms, rate 100, 20 s): our server meets 3d's targets
/// on `total` (under 30 messages per operation, median stable latency under 400 ms, maximum
/// under 600 ms) and 3e's on the grid (under 20, 1 s, 2 s); nothing is lost.
#[test]
fn our_server_meets_the_gossip_glomers_targets() {
    use consensus_playground::maelstrom::workload::quantiles_ms;
    for (topology, msgs, median, max) in [(Topology::Total, 30.0, 400, 600), (Topology::Grid, 20.0, 1000, 2000)] {
        let r = run(&Config { topology, ..Config::default() }).unwrap();
        let q = quantiles_ms(r.stable_latencies_us.clone()).unwrap();
        assert!(r.msgs_per_op() < msgs && q[1] < median && q[4] < max, "{}: {} msgs/op, {q:?}", topology.name(), r.msgs_per_op());
        assert!(r.lost.is_empty() && r.unspread == 0);
    }
}
