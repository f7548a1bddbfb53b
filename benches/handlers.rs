//! Core handler costs (issue #4): requestVote, appendEntries with 1 and 100 entries, and a
//! leader's commit advance. `cargo bench --bench handlers`; `npm run bench` prints the means.
//! The follower holds 10 entries: cloning it per iteration (outside the timing) leaves a log
//! with no spare capacity, so a longer one would time a reallocation, not the handler.

use consensus_playground::raft::{AppendEntriesArgs, AppendEntriesReply, ConsensusProtocol, NodeId, LogEntry, RequestVoteArgs, RequestVoteReply};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// Node ids: `S1` is `n1` (id 0), `S2` is `n2`, and so on.
const S1: NodeId = 0;
const S2: NodeId = 1;
const S3: NodeId = 2;

fn peers() -> Vec<NodeId> {
    (0..5).collect()
}

fn entries(from: u64, n: u64, term: u64) -> Vec<LogEntry> {
    (from..from + n).map(|i| LogEntry { term, index: i, command: format!("{{\"client\":1,\"seq\":{i},\"op\":\"put\",\"key\":\"x\",\"value\":\"{i}\"}}").into() }).collect()
}

fn bench(c: &mut Criterion) {
    let follower = {
        let mut f = ConsensusProtocol::new(S2, peers()).unwrap();
        let args = AppendEntriesArgs { term: 1, leader_id: S1, prev_log_index: 0, prev_log_term: 0, entries: entries(1, 10, 1), leader_commit: 10, round: 0 };
        f.append_entries(&args).unwrap();
        f
    };
    c.bench_function("requestVote", |b| {
        let args = RequestVoteArgs { term: 2, candidate_id: S3, last_log_index: 10, last_log_term: 1 };
        b.iter_batched_ref(|| follower.clone(), |f| black_box(f.request_vote(&args).unwrap()), criterion::BatchSize::SmallInput)
    });
    for n in [1u64, 100] {
        let args = AppendEntriesArgs { term: 1, leader_id: S1, prev_log_index: 10, prev_log_term: 1, entries: entries(11, n, 1), leader_commit: 10, round: 0 };
        c.bench_function(&format!("appendEntries/{n}"), |b| {
            b.iter_batched_ref(|| follower.clone(), |f| black_box(f.append_entries(&args).unwrap()), criterion::BatchSize::SmallInput)
        });
    }
    let leader = {
        let mut l = ConsensusProtocol::new(S1, peers()).unwrap();
        l.start_election();
        for v in [S2, S3] {
            l.handle_request_vote_response(v, &RequestVoteReply { term: 1, vote_granted: true }).unwrap();
        }
        l.become_leader().unwrap();
        for k in 0..100 {
            l.replicate_log(format!("\"c{k}\"")).unwrap();
        }
        l.handle_append_entries_response(S2, &AppendEntriesReply { term: 1, success: true, match_index: 101, round: 0 }).unwrap();
        l
    };
    c.bench_function("leader commit advance", |b| {
        let reply = AppendEntriesReply { term: 1, success: true, match_index: 101, round: 0 };
        b.iter_batched_ref(|| leader.clone(), |l| black_box(l.handle_append_entries_response(S3, &reply).unwrap()), criterion::BatchSize::SmallInput)
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
