//! The Raft extensions beyond the paper's Figure 2, in the core: batching and pipelined
//! AppendEntries. (PreVote and CheckQuorum are exercised through the simulator in
//! tests/simulation.rs.)

use consensus_playground::raft::{AppendEntriesReply, AppendEntriesRequest, ConsensusProtocol, RequestVoteReply};

fn peers() -> Vec<String> {
    ["s1", "s2", "s3"].iter().map(|s| s.to_string()).collect()
}

fn leader() -> ConsensusProtocol {
    let mut n = ConsensusProtocol::new("s1", peers()).unwrap();
    n.start_election();
    n.handle_request_vote_response("s2", &RequestVoteReply { term: 1, vote_granted: true }).unwrap();
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
    let mut f = ConsensusProtocol::new("s2", peers()).unwrap();
    let mut next = Some(l.heartbeat().unwrap().into_iter().find(|r| r.to == "s2").unwrap());
    let mut sizes = Vec::new();
    while let Some(r) = next {
        sizes.push(r.args.entries.len());
        let (reply, _) = f.append_entries(&r.args).unwrap();
        next = l.handle_append_entries_response("s2", &reply).unwrap();
    }
    assert!(sizes.iter().all(|n| *n <= 3), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 10, "the no-op and 9 commands, each once: {sizes:?}");
    assert_eq!(f.log(), l.log());
}

#[test]
fn pipelining_sends_new_entries_after_what_is_in_flight_without_waiting() {
    let mut l = leader();
    // s2 acknowledges the no-op: it is replicating.
    l.handle_append_entries_response("s2", &AppendEntriesReply { term: 1, success: true, match_index: 1 }).unwrap();
    let (_, first) = l.replicate_log("\"a\"".into()).unwrap();
    let (_, second) = l.replicate_log("\"b\"".into()).unwrap();
    let to = |rs: &[AppendEntriesRequest], id: &str| rs.iter().find(|r| r.to == id).unwrap().args.clone();
    let (a, b) = (to(&first, "s2"), to(&second, "s2"));
    assert_eq!((a.prev_log_index, a.entries.len()), (1, 1));
    assert_eq!((b.prev_log_index, b.entries.len()), (2, 1), "b goes right after a, which is still in flight");
    // s3 never answered: it is probed from nextIndex, every request carries all it lacks.
    let c = to(&second, "s3");
    assert_eq!((c.prev_log_index, c.entries.len()), (0, 3));
    // A lost request shows up as a failure: back to probing from nextIndex.
    let retry = l.handle_append_entries_response("s2", &AppendEntriesReply { term: 1, success: false, match_index: 0 }).unwrap().unwrap();
    assert_eq!((retry.args.prev_log_index, retry.args.entries.len()), (1, 2));
}
