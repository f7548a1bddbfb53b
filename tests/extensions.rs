//! The Raft extensions beyond the paper's Figure 2, in the core: batching and pipelined
//! AppendEntries. (PreVote and CheckQuorum are exercised through the simulator in
//! tests/simulation.rs.)

use consensus_playground::raft::{AppendEntriesReply, AppendEntriesRequest, ConsensusProtocol, NodeId, RequestVoteReply};

/// Node ids: `S1` is `n1` (id 0), `S2` is `n2`, and so on.
const S1: NodeId = 0;
const S2: NodeId = 1;
const S3: NodeId = 2;

fn peers() -> Vec<NodeId> {
    vec![S1, S2, S3]
}

fn leader() -> ConsensusProtocol {
    let mut n = ConsensusProtocol::new(S1, peers()).unwrap();
    n.start_election();
    n.handle_request_vote_response(S2, &RequestVoteReply { term: 1, vote_granted: true }).unwrap();
    n.become_leader().unwrap();
    n
}

#[test]
fn batching_caps_entries_per_append_and_a_far_behind_follower_catches_up_batch_by_batch() {
    let mut l = leader();
    l.set_max_entries_per_append(Some(3));
    for k in 0..9 {
        l.replicate_log(format!("\"c{k}\"")).unwrap();
    }
    let mut f = ConsensusProtocol::new(S2, peers()).unwrap();
    let mut next = Some(l.heartbeat().unwrap().into_iter().find(|r| r.to == S2).unwrap());
    let mut sizes = Vec::new();
    while let Some(r) = next {
        sizes.push(r.args.entries.len());
        let (reply, _) = f.append_entries(&r.args).unwrap();
        next = l.handle_append_entries_response(S2, &reply).unwrap();
    }
    assert!(sizes.iter().all(|n| *n <= 3), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 10, "the no-op and 9 commands, each once: {sizes:?}");
    assert_eq!(f.log(), l.log());
}

#[test]
fn pipelining_sends_new_entries_after_what_is_in_flight_without_waiting() {
    let mut l = leader();
    // s2 acknowledges the no-op: it is replicating.
    l.handle_append_entries_response(S2, &AppendEntriesReply { term: 1, success: true, match_index: 1, round: 0 }).unwrap();
    let (_, first) = l.replicate_log("\"a\"".into()).unwrap();
    let (_, second) = l.replicate_log("\"b\"".into()).unwrap();
    let to = |rs: &[AppendEntriesRequest], id: NodeId| rs.iter().find(|r| r.to == id).unwrap().args.clone();
    let (a, b) = (to(&first, S2), to(&second, S2));
    assert_eq!((a.prev_log_index, a.entries.len()), (1, 1));
    assert_eq!((b.prev_log_index, b.entries.len()), (2, 1), "b goes right after a, which is still in flight");
    // s3 never answered: it is probed from nextIndex, every request carries all it lacks.
    let c = to(&second, S3);
    assert_eq!((c.prev_log_index, c.entries.len()), (0, 3));
    // A lost request shows up as a failure: back to probing from nextIndex.
    let retry = l.handle_append_entries_response(S2, &AppendEntriesReply { term: 1, success: false, match_index: 0, round: 0 }).unwrap().unwrap();
    assert_eq!((retry.args.prev_log_index, retry.args.entries.len()), (1, 2));
}

// ---- log compaction (Raft paper §7, Figure 13) -----------------------------------------------

use consensus_playground::raft::{AppendEntriesArgs, InstallSnapshotArgs, LogEntry, Snapshot};

fn entries(from: u64, terms: &[u64]) -> Vec<LogEntry> {
    terms.iter().enumerate().map(|(k, t)| LogEntry { term: *t, index: from + k as u64, command: format!("\"c{}\"", from + k as u64).into() }).collect()
}

fn follower_with(terms: &[u64], commit: u64) -> ConsensusProtocol {
    let mut f = ConsensusProtocol::new(S2, peers()).unwrap();
    let t = *terms.iter().max().unwrap();
    let args = AppendEntriesArgs { term: t, leader_id: S3, prev_log_index: 0, prev_log_term: 0, entries: entries(1, terms), leader_commit: commit, round: 0 };
    assert!(f.append_entries(&args).unwrap().0.success);
    f.apply_committed();
    f
}

#[test]
fn compaction_replaces_applied_entries_with_a_snapshot() {
    let mut f = follower_with(&[1, 1, 2, 2, 2], 4);
    assert!(f.compact(5, "x".into()).is_err(), "entry 5 is not applied yet");
    f.compact(3, "state@3".into()).unwrap();
    assert_eq!(f.snapshot(), &Snapshot { index: 3, term: 2, data: "state@3".into(), config: peers() });
    assert_eq!(f.log().iter().map(|e| e.index).collect::<Vec<_>>(), vec![4, 5]);
    assert_eq!((f.last_log_index(), f.last_log_term(), f.term_at(3), f.term_at(2)), (5, 2, Some(2), None));
    assert!(f.compact(3, "again".into()).is_err(), "not after the snapshot");
    // An AppendEntries whose prevLogIndex falls inside the snapshot still works.
    let args = AppendEntriesArgs { term: 2, leader_id: S3, prev_log_index: 1, prev_log_term: 1, entries: entries(2, &[1, 2, 2, 2, 2]), leader_commit: 6, round: 0 };
    let (r, _) = f.append_entries(&args).unwrap();
    assert_eq!((r.success, r.match_index), (true, 6));
    assert_eq!(f.last_log_index(), 6);
    // A restart keeps the snapshot: the state machine starts from it.
    f.restart();
    assert_eq!((f.commit_index(), f.last_applied(), f.snapshot().index), (3, 3, 3));
}

#[test]
fn install_snapshot_discards_a_conflicting_log_and_keeps_a_matching_suffix() {
    let snap = |index, term| InstallSnapshotArgs { term: 3, leader_id: S1, snapshot: Snapshot { index, term, data: format!("at {index}"), config: Vec::new() } };
    // The follower's entry 4 has term 1, the snapshot's last entry is (4, term 2): discard all.
    let mut f = follower_with(&[1, 1, 1, 1, 1, 1], 2);
    let (r, load) = f.install_snapshot(&snap(4, 2)).unwrap();
    assert_eq!((r.match_index, load), (4, true));
    assert!(f.log().is_empty());
    assert_eq!((f.commit_index(), f.last_applied(), f.last_log_index()), (4, 4, 4));
    // Entry 4 matches (term 2): entries after it stay.
    let mut g = follower_with(&[1, 2, 2, 2, 2, 2], 2);
    let (r, load) = g.install_snapshot(&snap(4, 2)).unwrap();
    assert_eq!((r.match_index, load), (4, true));
    assert_eq!(g.log().iter().map(|e| e.index).collect::<Vec<_>>(), vec![5, 6]);
    // Nothing newer than what it committed: no change.
    let mut h = follower_with(&[1, 2, 2, 2, 2, 2], 5);
    let (r, load) = h.install_snapshot(&snap(4, 2)).unwrap();
    assert_eq!((r.match_index, load), (4, false));
    assert_eq!(h.last_log_index(), 6);
    // A stale term is refused.
    let stale = InstallSnapshotArgs { term: 1, ..snap(4, 1) };
    let (r, load) = h.install_snapshot(&stale).unwrap();
    assert_eq!((r.match_index, load, r.term), (0, false, 3), "it adopted term 3 from the snapshot above");
}

#[test]
fn a_leader_sends_its_snapshot_to_a_follower_that_needs_compacted_entries() {
    let mut l = leader();
    for k in 0..4 {
        l.replicate_log(format!("\"c{k}\"")).unwrap();
    }
    l.handle_append_entries_response(S3, &AppendEntriesReply { term: 1, success: true, match_index: 5, round: 0 }).unwrap();
    assert_eq!(l.commit_index(), 5);
    l.apply_committed();
    l.compact(4, "kv@4".into()).unwrap();
    // s2 has nothing: its nextIndex (1) is inside the snapshot.
    let hb = l.heartbeat().unwrap();
    assert!(hb.iter().all(|r| r.to != S2), "no AppendEntries for s2");
    let snaps = l.take_install_snapshots();
    assert_eq!(snaps.len(), 1);
    let (to, args) = &snaps[0];
    assert_eq!((*to, args.snapshot.index, args.snapshot.data.as_str()), (S2, 4, "kv@4"));
    let mut f = ConsensusProtocol::new(S2, peers()).unwrap();
    let (reply, load) = f.install_snapshot(args).unwrap();
    assert!(load);
    let next = l.handle_install_snapshot_response(S2, &reply).unwrap().expect("entry 5 still to send");
    assert_eq!((next.args.prev_log_index, next.args.entries.len()), (4, 1));
    let (r, _) = f.append_entries(&next.args).unwrap();
    assert!(r.success);
    assert_eq!(f.last_log_index(), 5);
}

// ---- ReadIndex (dissertation §6.4) -----------------------------------------------------------

#[test]
fn read_index_waits_for_a_majority_to_confirm_in_a_new_round() {
    let mut l = leader();
    assert!(l.read_index(1).is_err(), "no entry of its term committed yet (§6.4 step 1)");
    l.handle_append_entries_response(S2, &AppendEntriesReply { term: 1, success: true, match_index: 1, round: 0 }).unwrap();
    assert_eq!(l.commit_index(), 1);
    let hb = l.read_index(7).unwrap();
    assert_eq!(hb.len(), 2, "a heartbeat to each follower");
    let round = hb[0].args.round;
    assert!(round > 0 && hb.iter().all(|r| r.args.round == round));
    assert!(l.take_ready_reads().is_empty());
    // A reply to an older request proves nothing about now.
    l.handle_append_entries_response(S3, &AppendEntriesReply { term: 1, success: true, match_index: 1, round: round - 1 }).unwrap();
    assert!(l.take_ready_reads().is_empty());
    // A reply of this round: the leader + s3 are a majority of 3.
    let mut f = ConsensusProtocol::new(S3, peers()).unwrap();
    let (reply, _) = f.append_entries(&hb.iter().find(|r| r.to == S3).unwrap().args).unwrap();
    assert_eq!(reply.round, round, "the follower echoes the round");
    l.handle_append_entries_response(S3, &reply).unwrap();
    assert_eq!(l.take_ready_reads(), vec![(7, 1)], "read 7 confirmed at readIndex 1");
}

#[test]
fn the_stale_read_bug_answers_without_confirmation() {
    let mut l = leader();
    l.set_bugs(consensus_playground::raft::Bugs::NONE.with(consensus_playground::raft::Bug::StaleRead, true));
    l.handle_append_entries_response(S2, &AppendEntriesReply { term: 1, success: true, match_index: 1, round: 0 }).unwrap();
    l.read_index(3).unwrap();
    assert_eq!(l.take_ready_reads(), vec![(3, 1)], "no majority asked");
}
