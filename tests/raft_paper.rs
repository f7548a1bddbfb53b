//! The Raft core against the rules of the Raft paper (Ongaro & Ousterhout, 2014), one test per
//! rule or scenario, each naming its source. Figure 2 is the summary every test leans on.

use consensus_playground::raft::{
    AppendDecision, AppendEntriesArgs, AppendEntriesReply, AppendEntriesRequest, ConsensusProtocol, Error, LogEntry, NodeId,
    RequestVoteArgs, RequestVoteReply, Role,
};

/// Node ids: `S1` is `n1` (id 0), `S2` is `n2`, and so on.
const S1: NodeId = 0;
const S2: NodeId = 1;
const S3: NodeId = 2;
const S4: NodeId = 3;
const S5: NodeId = 4;

// ---- helpers ----------------------------------------------------------------------------------

fn cluster5() -> Vec<NodeId> {
    vec![S1, S2, S3, S4, S5]
}

fn node(id: NodeId, peers: &[NodeId]) -> ConsensusProtocol {
    ConsensusProtocol::new(id, peers.to_vec()).unwrap()
}

/// Entries with the given terms at indexes `from`, `from + 1`, …
fn entries_from(from: u64, terms: &[u64]) -> Vec<LogEntry> {
    terms
        .iter()
        .enumerate()
        .map(|(k, t)| LogEntry { term: *t, index: from + k as u64, command: format!("\"c{}\"", from + k as u64).into() })
        .collect()
}

fn terms(n: &ConsensusProtocol) -> Vec<u64> {
    n.log().iter().map(|e| e.term).collect()
}

fn ae(term: u64, leader: NodeId, prev: u64, prev_term: u64, entries: Vec<LogEntry>, commit: u64) -> AppendEntriesArgs {
    AppendEntriesArgs { term, leader_id: leader, prev_log_index: prev, prev_log_term: prev_term, entries, leader_commit: commit, round: 0 }
}

fn rv(term: u64, candidate: NodeId, last_index: u64, last_term: u64) -> RequestVoteArgs {
    RequestVoteArgs { term, candidate_id: candidate, last_log_index: last_index, last_log_term: last_term }
}

/// Gives `n` the log with these terms (as a leader of the last term would), leaving
/// currentTerm at that term and commitIndex at 0.
fn with_log(mut n: ConsensusProtocol, log_terms: &[u64]) -> ConsensusProtocol {
    let term = log_terms.iter().copied().max().unwrap_or(0);
    let leader = n.others().next().unwrap();
    let (reply, _) = n.append_entries(&ae(term, leader, 0, 0, entries_from(1, log_terms), 0)).unwrap();
    assert!(reply.success);
    n
}

/// Makes `n` leader of `term` (> its currentTerm) with votes from `voters`.
fn make_leader(n: &mut ConsensusProtocol, term: u64, voters: &[NodeId]) -> Vec<AppendEntriesRequest> {
    while n.current_term() < term {
        n.start_election();
    }
    for v in voters {
        n.handle_request_vote_response(*v, &RequestVoteReply { term, vote_granted: true }).unwrap();
    }
    assert!(n.has_won_election(), "votes from {voters:?} are a majority");
    n.become_leader().unwrap()
}

/// Delivers `req` to `follower` and its reply to `leader`, until the leader has nothing more to
/// send that follower. Returns how many AppendEntries it took.
fn sync(leader: &mut ConsensusProtocol, follower: &mut ConsensusProtocol, req: AppendEntriesRequest) -> usize {
    let mut next = Some(req);
    let mut rounds = 0;
    while let Some(r) = next {
        rounds += 1;
        assert!(rounds < 100, "log repair does not converge");
        let (reply, _) = follower.append_entries(&r.args).unwrap();
        next = leader.handle_append_entries_response(follower.node_id(), &reply).unwrap();
    }
    rounds
}

// ---- the seed's contract ------------------------------------------------------------------------

#[test]
fn seed_example_a_new_node_is_a_follower_in_term_0() {
    let n = ConsensusProtocol::new(S1, vec![S1, S2, S3]).unwrap();
    assert_eq!(n.role(), Role::Follower);
    assert_eq!((n.current_term(), n.voted_for(), n.log().len()), (0, None, 0));
    assert_eq!((n.commit_index(), n.last_applied()), (0, 0));
    assert_eq!(n.cluster().len(), 3, "the node listed in its own peers is counted once");
}

#[test]
fn a_node_missing_from_its_peers_is_still_a_member() {
    let n = ConsensusProtocol::new(S1, vec![S2, S3]).unwrap();
    assert_eq!(n.cluster().len(), 3);
    // Majority of 3 is 2: acceptances > 3 / 2.
    assert!(n.is_consensus_reached(&[true, true]));
    assert!(!n.is_consensus_reached(&[true, false, false]));
}

#[test]
fn majority_is_more_than_half_of_the_cluster() {
    let four = ConsensusProtocol::new(S1, vec![S1, S2, S3, S4]).unwrap();
    assert!(!four.is_consensus_reached(&[true, true, false, false]), "2 of 4 is not a majority");
    assert!(four.is_consensus_reached(&[true, true, true]));
    let five = node(S1, &cluster5());
    assert!(!five.is_consensus_reached(&[true, true]));
    assert!(five.is_consensus_reached(&[true, true, true]));
}

#[test]
fn an_id_listed_twice_is_refused_with_the_parameter_named() {
    let e = ConsensusProtocol::new(S1, vec![S1, S2, S1]).unwrap_err();
    assert_eq!(e.to_string(), "peers[2] must not repeat an id (\"n1\" is listed twice)");
}

// ---- RequestVote (Figure 2, §5.2, §5.4.1) -------------------------------------------------------

#[test]
fn vote_refused_for_a_stale_term_and_reply_carries_current_term() {
    let mut n = with_log(node(S1, &cluster5()), &[1, 2]);
    let (r, _) = n.request_vote(&rv(1, S2, 5, 2)).unwrap();
    assert_eq!(r, RequestVoteReply { term: 2, vote_granted: false });
    assert_eq!(n.voted_for(), None);
}

#[test]
fn higher_term_is_adopted_before_voting_and_clears_voted_for() {
    let mut n = node(S1, &cluster5());
    assert!(n.request_vote(&rv(1, S2, 0, 0)).unwrap().0.vote_granted);
    assert_eq!(n.voted_for(), Some(S2));
    // A newer term: votedFor is cleared first, so s3 can get the vote.
    let (r, _) = n.request_vote(&rv(2, S3, 0, 0)).unwrap();
    assert_eq!(r, RequestVoteReply { term: 2, vote_granted: true });
    assert_eq!((n.current_term(), n.voted_for()), (2, Some(S3)));
}

#[test]
fn at_most_one_vote_per_term_but_a_repeated_request_is_granted_again() {
    let mut n = node(S1, &cluster5());
    assert!(n.request_vote(&rv(1, S2, 0, 0)).unwrap().0.vote_granted);
    assert!(!n.request_vote(&rv(1, S3, 0, 0)).unwrap().0.vote_granted, "§5.2: first come, first served");
    assert!(n.request_vote(&rv(1, S2, 0, 0)).unwrap().0.vote_granted, "a retried RequestVote from the same candidate");
    assert_eq!(n.voted_for(), Some(S2));
}

#[test]
fn up_to_date_compares_last_term_first_then_last_index() {
    // §5.4.1: "If the logs have last entries with different terms, then the log with the later
    // term is more up-to-date. If the logs end with the same term, then whichever log is longer
    // is more up-to-date."
    let voter = with_log(node(S1, &cluster5()), &[1, 1, 2]); // last term 2, last index 3
    let cases = [
        (rv(3, S2, 1, 3), true, "later last term, shorter log"),
        (rv(3, S2, 3, 2), true, "same last term, same length"),
        (rv(3, S2, 4, 2), true, "same last term, longer"),
        (rv(3, S2, 2, 2), false, "same last term, shorter"),
        (rv(3, S2, 9, 1), false, "earlier last term, longer"),
        (rv(3, S2, 0, 0), false, "empty log"),
    ];
    for (args, granted, why) in cases {
        let mut n = voter.clone();
        let (r, _) = n.request_vote(&args).unwrap();
        assert_eq!(r.vote_granted, granted, "{why}");
        assert_eq!(n.current_term(), 3, "{why}: the newer term is adopted either way");
        assert_eq!(n.voted_for(), granted.then_some(S2), "{why}");
    }
}

#[test]
fn a_leader_steps_down_on_a_higher_term_request_vote() {
    let mut s1 = node(S1, &cluster5());
    make_leader(&mut s1, 1, &[S2, S3]);
    assert_eq!(s1.role(), Role::Leader);
    let (r, _) = s1.request_vote(&rv(2, S2, 0, 0)).unwrap();
    assert!(!r.vote_granted, "s2's empty log is behind s1's no-op entry");
    assert_eq!((s1.role(), s1.current_term()), (Role::Follower, 2));
}

// ---- Elections (§5.2) ---------------------------------------------------------------------------

#[test]
fn start_election_increments_term_votes_for_self_and_asks_with_last_log() {
    let mut n = with_log(node(S1, &cluster5()), &[1, 1, 3]);
    let args = n.start_election();
    assert_eq!(args, rv(4, S1, 3, 3));
    assert_eq!((n.role(), n.current_term(), n.voted_for()), (Role::Candidate, 4, Some(S1)));
}

#[test]
fn a_candidate_needs_a_majority_counting_each_voter_once() {
    let mut n = node(S1, &cluster5());
    n.start_election();
    let yes = RequestVoteReply { term: 1, vote_granted: true };
    assert!(!n.handle_request_vote_response(S2, &yes).unwrap().won);
    assert!(!n.handle_request_vote_response(S2, &yes).unwrap().won, "a duplicated reply counts once");
    let no = RequestVoteReply { term: 1, vote_granted: false };
    assert!(!n.handle_request_vote_response(S4, &no).unwrap().won);
    let t = n.handle_request_vote_response(S3, &yes).unwrap();
    assert_eq!((t.votes, t.won), (3, true));
}

#[test]
fn a_vote_from_an_older_term_is_not_counted() {
    let mut n = node(S1, &cluster5());
    n.start_election();
    n.start_election(); // term 2
    let old = RequestVoteReply { term: 1, vote_granted: true };
    for v in [S2, S3, S4] {
        assert!(!n.handle_request_vote_response(v, &old).unwrap().won);
    }
    assert_eq!(n.votes().len(), 1);
}

#[test]
fn a_candidate_steps_down_on_a_reply_with_a_higher_term() {
    let mut n = node(S1, &cluster5());
    n.start_election();
    n.handle_request_vote_response(S2, &RequestVoteReply { term: 5, vote_granted: false }).unwrap();
    assert_eq!((n.role(), n.current_term(), n.voted_for()), (Role::Follower, 5, None));
}

#[test]
fn become_leader_sets_next_and_match_index_and_appends_a_no_op() {
    let mut n = with_log(node(S1, &cluster5()), &[1, 1]);
    let reqs = make_leader(&mut n, 2, &[S2, S3]);
    assert_eq!(n.role(), Role::Leader);
    // §8: a no-op entry of the new term at the end of the log.
    assert_eq!(n.log().last().unwrap(), &LogEntry { term: 2, index: 3, command: "null".into() });
    for p in [S2, S3, S4, S5] {
        assert_eq!(n.next_index().get(&p).copied().unwrap(), 3, "last log index + 1, before the no-op");
        assert_eq!(n.match_index().get(&p).copied().unwrap(), 0);
    }
    assert_eq!(reqs.len(), 4);
    assert!(reqs.iter().all(|r| r.args.prev_log_index == 2 && r.args.prev_log_term == 1 && r.args.entries.len() == 1));
}

#[test]
fn become_leader_and_replicate_log_refuse_from_the_wrong_state() {
    let mut n = node(S1, &cluster5());
    assert_eq!(
        n.become_leader().unwrap_err(),
        Error::WrongState { action: "becomeLeader", state: "follower", needs: "candidate" }
    );
    n.append_entries(&ae(1, S3, 0, 0, vec![], 0)).unwrap();
    let e = n.replicate_log("\"x\"".into()).unwrap_err();
    assert_eq!(e, Error::NotLeader { node: "n1".into(), leader: Some("n3".into()) });
    assert_eq!(e.to_string(), "n1 is not the leader; the leader it knows is n3");
    assert!(n.log().is_empty(), "a refused call changes nothing");
}

// ---- AppendEntries receiver (Figure 2, §5.3) -----------------------------------------------------

#[test]
fn append_entries_refuses_a_stale_term_and_changes_nothing() {
    let mut n = with_log(node(S1, &cluster5()), &[1, 3]); // term 3, leader s2
    let (r, _) = n.append_entries(&ae(2, S4, 1, 1, vec![], 2)).unwrap();
    assert_eq!(r, AppendEntriesReply { term: 3, success: false, match_index: 0, round: 0 });
    assert_eq!((terms(&n), n.commit_index()), (vec![1, 3], 0));
    assert_eq!(n.leader_id(), Some(S2), "a stale sender is not taken as leader");
}

#[test]
fn a_candidate_steps_down_on_append_entries_of_its_term_and_records_the_leader() {
    let mut n = node(S1, &cluster5());
    n.start_election();
    let (r, _) = n.append_entries(&ae(1, S2, 0, 0, vec![], 0)).unwrap();
    assert!(r.success);
    assert_eq!((n.role(), n.current_term(), n.leader_id()), (Role::Follower, 1, Some(S2)));
    assert_eq!(n.voted_for(), Some(S1), "same term: the vote stays recorded");
}

#[test]
fn a_leader_steps_down_on_append_entries_of_a_higher_term() {
    let mut n = node(S1, &cluster5());
    make_leader(&mut n, 1, &[S2, S3]);
    let (r, _) = n.append_entries(&ae(2, S4, 0, 0, vec![], 0)).unwrap();
    assert!(r.success);
    assert_eq!((n.role(), n.current_term()), (Role::Follower, 2));
    assert!(n.next_index().is_empty(), "leader state is gone");
}

#[test]
fn consistency_check_fails_without_a_matching_prev_entry() {
    let n = with_log(node(S1, &cluster5()), &[1, 1, 2]);
    let mut missing = n.clone();
    let (r, _) = missing.append_entries(&ae(3, S2, 4, 2, entries_from(5, &[3]), 0)).unwrap();
    assert!(!r.success, "no entry at prevLogIndex 4");
    let mut mismatch = n.clone();
    let (r, _) = mismatch.append_entries(&ae(3, S2, 3, 3, entries_from(4, &[3]), 0)).unwrap();
    assert!(!r.success, "entry 3 has term 2, not 3");
    assert_eq!(terms(&missing), vec![1, 1, 2]);
    assert_eq!(terms(&mismatch), vec![1, 1, 2]);
}

#[test]
fn a_conflicting_entry_and_all_that_follow_it_are_deleted() {
    let mut n = with_log(node(S1, &cluster5()), &[1, 1, 2, 2, 2]);
    let (r, _) = n.append_entries(&ae(3, S2, 2, 1, entries_from(3, &[3]), 0)).unwrap();
    assert_eq!((r.success, r.match_index), (true, 3));
    assert_eq!(terms(&n), vec![1, 1, 3]);
}

#[test]
fn a_delayed_already_matching_append_entries_never_truncates() {
    // Figure 2: "If an existing entry conflicts with a new one (same index but different terms),
    // delete the existing entry and all that follow it" — only then.
    let mut n = with_log(node(S1, &cluster5()), &[1, 1, 1, 1]);
    let old = ae(1, S2, 0, 0, entries_from(1, &[1, 1]), 0);
    let (r, _) = n.append_entries(&old).unwrap();
    assert_eq!((r.success, r.match_index), (true, 2), "matchIndex covers only what the request carried");
    assert_eq!(terms(&n), vec![1, 1, 1, 1], "entries 3 and 4 are kept");
}

#[test]
fn commit_index_is_min_of_leader_commit_and_last_new_entry_and_never_decreases() {
    let mut n = node(S1, &cluster5());
    n.append_entries(&ae(1, S2, 0, 0, entries_from(1, &[1, 1, 1]), 2)).unwrap();
    assert_eq!(n.commit_index(), 2, "leaderCommit 2 < last new entry 3");
    n.append_entries(&ae(1, S2, 0, 0, entries_from(1, &[1]), 9)).unwrap();
    assert_eq!(n.commit_index(), 2, "min(9, 1) = 1 would move it back: it stays 2");
    n.append_entries(&ae(1, S2, 3, 1, vec![], 9)).unwrap();
    assert_eq!(n.commit_index(), 3, "a heartbeat after entry 3: min(9, 3)");
    n.append_entries(&ae(1, S2, 3, 1, vec![], 1)).unwrap();
    assert_eq!(n.commit_index(), 3, "a stale leaderCommit never lowers it");
    assert_eq!(n.apply_committed().iter().map(|e| e.index).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(n.last_applied(), 3);
    assert!(n.apply_committed().is_empty(), "each entry is applied once");
}

#[test]
fn malformed_append_entries_is_refused_and_leaves_the_node_unchanged() {
    let base = with_log(node(S1, &cluster5()), &[1, 1]);
    let bad = [
        (ae(2, S2, 1, 1, entries_from(3, &[2]), 0), "entries[0].index must be 2"),
        (ae(1, S2, 2, 2, entries_from(4, &[2]), 3), "entries[0].index must be 3"),
    ];
    for (args, msg) in bad {
        let mut n = base.clone();
        let e = n.append_entries(&args).unwrap_err();
        assert!(e.to_string().starts_with(msg), "{e} (expected {msg})");
        assert_eq!((terms(&n), n.current_term(), n.leader_id()), (vec![1, 1], 1, Some(S2)));
    }
}

/// Figure 2, AppendEntries receiver steps 1 and 2: a well-formed request that no correct
/// leader would send gets the protocol's answer, not an error (issue #10).
#[test]
fn nonsense_append_entries_gets_figure_2s_answer_not_an_error() {
    // A node in term 2 holding entries of terms 1, 2.
    let mut base = node(S1, &cluster5());
    base.append_entries(&ae(2, S2, 0, 0, entries_from(1, &[1, 2]), 0)).unwrap();
    // Stale term, with a prevLogTerm above it and entries of a later term: refused for its term (step 1).
    let mut n = base.clone();
    let (r, d) = n.append_entries(&ae(1, S3, 2, 2, entries_from(3, &[2]), 3)).unwrap();
    assert_eq!((r.term, r.success, d), (2, false, AppendDecision::StaleTerm));
    assert_eq!((terms(&n), n.commit_index(), n.leader_id()), (vec![1, 2], 0, Some(S2)), "nothing changed");
    // Current term, prevLogTerm above the term and not what the log holds: the consistency check fails (step 2).
    let (r, d) = n.append_entries(&ae(2, S2, 2, 3, vec![], 2)).unwrap();
    assert_eq!((r.success, d), (false, AppendDecision::PrevTermMismatch { found: 2 }));
    // prevLogIndex 0 with a term other than 0: index 0 has term 0, so the check fails too.
    let (r, _) = n.append_entries(&ae(2, S2, 0, 1, vec![], 0)).unwrap();
    assert!(!r.success);
    assert_eq!((terms(&n), n.commit_index()), (vec![1, 2], 0));
}

// ---- Leaders: replication and commitment (Figure 2, §5.3, §5.4.2) ------------------------------

#[test]
fn replicate_log_appends_at_the_next_index_and_addresses_every_follower() {
    let mut n = node(S1, &cluster5());
    make_leader(&mut n, 1, &[S2, S3]);
    let (index, reqs) = n.replicate_log("{\"x\":1}".into()).unwrap();
    assert_eq!(index, 2);
    assert_eq!(n.log()[1], LogEntry { term: 1, index: 2, command: "{\"x\":1}".into() });
    let to: Vec<NodeId> = reqs.iter().map(|r| r.to).collect();
    assert_eq!(to, vec![S2, S3, S4, S5]);
    // nextIndex is still 1 for everyone: each request carries the no-op and the new entry.
    assert!(reqs.iter().all(|r| r.args.prev_log_index == 0 && r.args.entries.len() == 2));
}

#[test]
fn a_failed_append_entries_decrements_next_index_and_retries() {
    let mut leader = with_log(node(S1, &cluster5()), &[1, 1, 1]);
    make_leader(&mut leader, 2, &[S2, S3]);
    assert_eq!(leader.next_index().get(&S2).copied().unwrap(), 4);
    let retry = leader
        .handle_append_entries_response(S2, &AppendEntriesReply { term: 2, success: false, match_index: 0, round: 0 })
        .unwrap()
        .expect("a retry");
    assert_eq!(leader.next_index().get(&S2).copied().unwrap(), 3);
    assert_eq!((retry.to, retry.args.prev_log_index, retry.args.entries.len()), (S2, 2, 2));
}

#[test]
fn a_reordered_older_success_does_not_lower_match_index() {
    let mut leader = node(S1, &cluster5());
    make_leader(&mut leader, 1, &[S2, S3]);
    leader.replicate_log("\"a\"".into()).unwrap();
    let ok = |m| AppendEntriesReply { term: 1, success: true, match_index: m, round: 0 };
    leader.handle_append_entries_response(S2, &ok(2)).unwrap();
    leader.handle_append_entries_response(S2, &ok(1)).unwrap();
    assert_eq!((leader.match_index().get(&S2).copied().unwrap(), leader.next_index().get(&S2).copied().unwrap()), (2, 3));
}

#[test]
fn leader_commits_an_entry_of_its_term_once_a_majority_stores_it() {
    let mut leader = node(S1, &cluster5());
    make_leader(&mut leader, 1, &[S2, S3]);
    let ok = |m| AppendEntriesReply { term: 1, success: true, match_index: m, round: 0 };
    leader.handle_append_entries_response(S2, &ok(1)).unwrap();
    assert_eq!(leader.commit_index(), 0, "2 of 5 is not a majority");
    let next = leader.handle_append_entries_response(S3, &ok(1)).unwrap();
    assert_eq!(leader.commit_index(), 1, "3 of 5");
    assert_eq!(next.expect("a request carrying the new commitIndex").args.leader_commit, 1);
    // §5.3: the leader "includes that index in future AppendEntries RPCs (including heartbeats)".
    assert!(leader.heartbeat().unwrap().iter().all(|r| r.args.leader_commit == 1));
}

#[test]
fn each_new_entry_is_sent_once_per_follower_not_once_per_reply() {
    let mut leader = node(S1, &cluster5());
    make_leader(&mut leader, 1, &[S2, S3]);
    let (_, reqs) = leader.replicate_log("\"a\"".into()).unwrap();
    assert_eq!(reqs.len(), 4);
    // s2's reply to the first request (the no-op only) arrives after entry 2 went out:
    // entry 2 is already on its way, so no follow-up.
    let ok = |m| AppendEntriesReply { term: 1, success: true, match_index: m, round: 0 };
    assert_eq!(leader.handle_append_entries_response(S2, &ok(1)).unwrap(), None);
    // A failure is retried at once.
    let retry = leader.handle_append_entries_response(S3, &AppendEntriesReply { term: 1, success: false, match_index: 0, round: 0 });
    assert!(retry.unwrap().is_some());
}

#[test]
fn figure_8_entries_of_earlier_terms_are_not_committed_by_counting_replicas() {
    // §5.4.2, Figure 8 (c): s1 leads term 4 and has replicated its term-2 entry to a majority;
    // that alone must not commit it, since a server with a term-3 entry could still be elected
    // and overwrite it (Figure 8 d). Once an entry of the current term is on a majority, both
    // commit (Figure 8 e).
    let mut s1 = with_log(node(S1, &cluster5()), &[1, 2]);
    make_leader(&mut s1, 4, &[S2, S3]);
    assert_eq!(terms(&s1), vec![1, 2, 4], "the no-op of term 4 (§8)");
    let ok = |m| AppendEntriesReply { term: 4, success: true, match_index: m, round: 0 };
    s1.handle_append_entries_response(S2, &ok(2)).unwrap();
    s1.handle_append_entries_response(S3, &ok(2)).unwrap();
    assert_eq!(s1.commit_index(), 0, "index 2 (term 2) is on s1, s2, s3 but is not of term 4");
    s1.handle_append_entries_response(S2, &ok(3)).unwrap();
    assert_eq!(s1.commit_index(), 0, "index 3 is on s1 and s2 only");
    s1.handle_append_entries_response(S3, &ok(3)).unwrap();
    assert_eq!(s1.commit_index(), 3, "index 3 (term 4) is on a majority: it and all before it commit");
}

#[test]
fn figure_8_the_overwrite_that_makes_the_rule_necessary() {
    // Figure 8 (d): s5, with a term-3 entry at index 2, can win term 5 with votes from s2, s3
    // and s4 (s1's term-2 entry is older), and then overwrites index 2 on every follower.
    let peers = cluster5();
    let s5 = with_log(node(S5, &peers), &[1, 3]);
    let mut s3 = with_log(node(S3, &peers), &[1, 2]);
    let mut candidate = s5.clone();
    let mut args = candidate.start_election();
    while args.term < 5 {
        args = candidate.start_election();
    }
    let (r, _) = s3.request_vote(&args).unwrap();
    assert!(r.vote_granted, "last term 3 beats last term 2 (§5.4.1)");
    let mut s5 = candidate;
    let reqs = make_leader(&mut s5, 5, &[S2, S3, S4]);
    let to_s3 = reqs.into_iter().find(|r| r.to == S3).unwrap();
    sync(&mut s5, &mut s3, to_s3);
    assert_eq!(terms(&s3), vec![1, 3, 5], "s3's term-2 entry at index 2 was overwritten");
}

#[test]
fn figure_7_the_leader_brings_every_follower_log_in_line() {
    // §5.3, Figure 7: the leader of term 8 and followers (a)–(f) with missing and extraneous
    // entries. Decrementing nextIndex on each failure finds the last matching entry; the
    // follower then deletes what conflicts and takes the leader's entries.
    let (leader_id, a, b, c, d, e, f) = (0, 1, 2, 3, 4, 5, 6);
    let peers = vec![leader_id, a, b, c, d, e, f];
    let leader_terms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let followers: [(NodeId, &[u64]); 6] = [
        (a, &[1, 1, 1, 4, 4, 5, 5, 6, 6]),
        (b, &[1, 1, 1, 4]),
        (c, &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]),
        (d, &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]),
        (e, &[1, 1, 1, 4, 4, 4, 4]),
        (f, &[1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
    ];
    let mut leader = with_log(node(leader_id, &peers), &leader_terms);
    let reqs = make_leader(&mut leader, 8, &[a, b, c]);
    let mut expected = leader_terms.to_vec();
    expected.push(8);
    assert_eq!(terms(&leader), expected);
    for (id, log) in followers {
        let mut f = with_log(node(id, &peers), log);
        let first = reqs.iter().find(|r| r.to == id).unwrap().clone();
        let rounds = sync(&mut leader, &mut f, first);
        assert_eq!(terms(&f), expected, "follower ({id}) after {rounds} AppendEntries");
        assert_eq!(f.log(), leader.log(), "follower ({id}): same commands too (Log Matching)");
        assert_eq!(leader.match_index().get(&id).copied().unwrap(), 11, "follower ({id})");
    }
    assert_eq!(leader.commit_index(), 11, "the term-8 no-op is on all seven");
}

// ---- Persistence (Figure 2, "State") ---------------------------------------------------------

#[test]
fn restart_keeps_persistent_state_and_resets_volatile_state() {
    let mut n = node(S1, &cluster5());
    n.append_entries(&ae(3, S2, 0, 0, entries_from(1, &[1, 3]), 2)).unwrap();
    n.request_vote(&rv(4, S4, 2, 3)).unwrap();
    n.apply_committed();
    n.restart();
    assert_eq!((n.current_term(), n.voted_for(), terms(&n)), (4, Some(S4), vec![1, 3]));
    assert_eq!((n.role(), n.commit_index(), n.last_applied(), n.leader_id()), (Role::Follower, 0, 0, None));
}
