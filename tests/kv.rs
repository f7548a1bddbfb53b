//! The replicated key-value store: its operations, client sessions (dissertation §6.3), the
//! linearizability checker, and clients running against the simulated cluster.

use consensus_playground::kv::{Command, Kv, Op, Output};
use consensus_playground::lincheck;
use consensus_playground::sim::chaos::{self, ChaosConfig, Fault};
use consensus_playground::raft::{Config, RaftSimulation as Simulation};
use consensus_playground::sim::{HistoryOp, Workload};
use consensus_playground::raft::{Bugs, Raft};

const MS: u64 = 1_000;

fn put(key: &str, value: &str) -> Op {
    Op::Put { key: key.into(), value: value.into() }
}
fn get(key: &str) -> Op {
    Op::Get { key: key.into() }
}
fn ok(value: Option<&str>) -> Output {
    Output { ok: true, value: value.map(str::to_string) }
}

#[test]
fn operations_follow_their_specification() {
    let mut kv = Kv::new();
    assert_eq!(kv.execute(&get("x")), ok(None), "a missing key reads as null");
    assert_eq!(kv.execute(&put("x", "3")), ok(None));
    assert_eq!(kv.execute(&get("x")), ok(Some("3")));
    let cas = |from: &str, to: &str| Op::Cas { key: "x".into(), from: from.into(), to: to.into() };
    assert_eq!(kv.execute(&cas("2", "9")), Output { ok: false, value: None }, "comparison fails: a read");
    assert_eq!(kv.get("x"), Some("3"));
    assert_eq!(kv.execute(&cas("3", "4")), Output { ok: true, value: None });
    assert_eq!(kv.get("x"), Some("4"));
    let inc = |k: &str| Op::Increment { key: k.into() };
    assert_eq!(kv.execute(&inc("x")), ok(Some("5")));
    assert_eq!(kv.execute(&inc("n")), ok(Some("1")), "a missing key counts as 0");
    kv.execute(&put("s", "abc"));
    assert_eq!(kv.execute(&inc("s")), Output { ok: false, value: None }, "not an integer: no change");
    assert_eq!(kv.get("s"), Some("abc"));
}

#[test]
fn a_retried_command_takes_effect_once_dissertation_6_3() {
    let mut kv = Kv::new();
    let inc = Command { client: 7, seq: 1, op: Op::Increment { key: "n".into() } };
    assert_eq!(kv.apply(&inc), Some(ok(Some("1"))));
    assert_eq!(kv.apply(&inc), Some(ok(Some("1"))), "the retry gets the first answer");
    assert_eq!(kv.get("n"), Some("1"), "and does not increment again");
    let next = Command { client: 7, seq: 2, op: Op::Increment { key: "n".into() } };
    assert_eq!(kv.apply(&next), Some(ok(Some("2"))));
    assert_eq!(kv.apply(&inc), None, "a stale retry of seq 1 after seq 2 does nothing");
    let other = Command { client: 8, seq: 1, op: Op::Increment { key: "n".into() } };
    assert_eq!(kv.apply(&other), Some(ok(Some("3"))), "sessions are per client");
}

#[test]
fn commands_round_trip_through_the_log_text() {
    let cmds = [
        Command { client: 1, seq: 4, op: Op::Cas { key: "x".into(), from: "3".into(), to: "4".into() } },
        Command { client: 2, seq: 1, op: put("we\"ird\\key\n", "ü") },
        Command { client: 3, seq: 9, op: get("y") },
        Command { client: 4, seq: 2, op: Op::Increment { key: "n".into() } },
    ];
    for c in cmds {
        assert_eq!(Command::decode(&c.encode()), Some(c.clone()), "{}", c.encode());
    }
    assert_eq!(
        Command { client: 1, seq: 4, op: put("x", "3") }.encode(),
        r#"{"client":1,"seq":4,"op":"put","key":"x","value":"3"}"#
    );
    for other in ["null", "\"x=1\"", "{}", r#"{"client":1,"seq":1,"op":"delete","key":"x"}"#, r#"{"op":"get","key":"x"}"#, "{\"client\":1"] {
        assert_eq!(Command::decode(other), None, "{other}");
    }
}

fn op(client: u32, op: Op, call: u64, ret: Option<u64>, output: Option<Output>) -> HistoryOp {
    HistoryOp { client, op, call_us: call, return_us: ret, output }
}

#[test]
fn the_checker_accepts_linearizable_histories_and_rejects_a_stale_read() {
    // put x=1 [0,10]; get x → 1 [5,15] (overlapping: fine); get x → null [20,30] (stale!).
    let fine = vec![op(1, put("x", "1"), 0, Some(10), Some(ok(None))), op(2, get("x"), 5, Some(15), Some(ok(Some("1"))))];
    assert_eq!(lincheck::check(&fine), Ok(()));
    let mut stale = fine.clone();
    stale.push(op(2, get("x"), 20, Some(30), Some(ok(None))));
    assert!(lincheck::check(&stale).is_err());
    // A read that sees an unanswered write is fine: the write may have happened.
    let pending = vec![op(1, put("x", "1"), 0, None, None), op(2, get("x"), 50, Some(60), Some(ok(Some("1"))))];
    assert_eq!(lincheck::check(&pending), Ok(()));
    // Two increments both answering "1" cannot both have happened.
    let inc = |c, t| op(c, Op::Increment { key: "n".into() }, t, Some(t + 5), Some(ok(Some("1"))));
    assert!(lincheck::check(&[inc(1, 0), inc(2, 10)]).is_err());
}

/// Every running node that applied as far as the furthest one holds the same store.
fn all_equal(s: &Simulation) {
    let running: Vec<usize> = (0..s.ids().len()).filter(|i| !s.is_crashed(*i)).collect();
    let max_applied = running.iter().map(|i| s.node(*i).last_applied()).max().unwrap();
    let done: Vec<usize> = running.into_iter().filter(|i| s.node(*i).last_applied() == max_applied).collect();
    for i in &done {
        assert_eq!(s.kv(*i), s.kv(done[0]), "n{}", i + 1);
    }
}

#[test]
fn clients_on_a_healthy_cluster_get_every_answer_and_a_linearizable_history() {
    let mut s = Simulation::new(Config { seed: 4, ..Config::default() }).unwrap();
    s.start_clients(Workload { clients: 3, ops_per_client: Some(30), ..Workload::default() });
    s.run_until(20_000 * MS);
    let h = s.history();
    assert_eq!(h.len(), 90);
    assert!(h.iter().all(|o| o.return_us.is_some()), "every operation was answered");
    assert_eq!(lincheck::check(h), Ok(()));
    let data = s.kv(0).data().clone();
    for i in 1..5 {
        assert_eq!(s.kv(i).data(), &data, "n{} applied the same state", i + 1);
    }
    all_equal(&s);
}

#[test]
fn clients_under_every_fault_still_see_a_linearizable_history() {
    for seed in 0..20 {
        let cfg = ChaosConfig { seed, nodes: 5, events: u64::MAX, faults: Fault::ALL.to_vec(), bugs: Bugs::NONE, traitors: 0 };
        let workload = Workload { clients: 3, ops_per_client: Some(30), ..Workload::default() };
        let s = chaos::run_workload::<Raft>(&cfg, workload).unwrap();
        assert!(s.violations().is_empty(), "seed {seed}: {:?}", s.violations());
        assert_eq!(s.history().len(), 90);
        let answered = s.history().iter().filter(|o| o.return_us.is_some()).count();
        assert!(answered >= 88, "seed {seed}: only {answered} of 90 answered");
        assert_eq!(lincheck::check(s.history()), Ok(()), "seed {seed}");
        all_equal(&s);
    }
}
