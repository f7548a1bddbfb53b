//! `ConsensusProtocol` at the JS boundary: one Raft server (Raft paper Figure 2) driven by
//! hand. Built with the `protocol-api` feature (on by default; the widget's build leaves it out).

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{array, boolean, command_text, core, entries_js, get, got, invalid, object, set, string, to_js, uint, JsResult, MAX_SAFE};
use crate::raft::{self, AppendEntriesArgs, AppendEntriesReply, AppendEntriesRequest, LogEntry, RequestVoteArgs, RequestVoteReply};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VoteArgsJs<'a> {
    term: u64,
    candidate_id: &'a str,
    last_log_index: u64,
    last_log_term: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VoteReplyJs {
    term: u64,
    vote_granted: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppendReplyJs {
    term: u64,
    success: bool,
    match_index: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppendRequestJs<'a> {
    to: &'a str,
    term: u64,
    leader_id: &'a str,
    prev_log_index: u64,
    prev_log_term: u64,
    leader_commit: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TallyJs {
    votes: usize,
    won: bool,
}

fn request_js(r: &AppendEntriesRequest) -> JsValue {
    let a = &r.args;
    let v = to_js(&AppendRequestJs {
        to: &r.to,
        term: a.term,
        leader_id: &a.leader_id,
        prev_log_index: a.prev_log_index,
        prev_log_term: a.prev_log_term,
        leader_commit: a.leader_commit,
    });
    set(&v, "entries", &entries_js(&a.entries));
    v
}

fn requests_js(rs: &[AppendEntriesRequest]) -> JsValue {
    rs.iter().map(request_js).collect::<Array>().into()
}

fn parse_entries(v: &JsValue) -> JsResult<Vec<LogEntry>> {
    let arr = array(v, "entries")?;
    let mut out = Vec::with_capacity(arr.length() as usize);
    for (k, e) in arr.iter().enumerate() {
        let p = format!("entries[{k}]");
        object(&e, &p)?;
        out.push(LogEntry {
            term: uint(&get(&e, "term"), &format!("{p}.term"))?,
            index: uint(&get(&e, "index"), &format!("{p}.index"))?,
            command: command_text(&get(&e, "command"), &format!("{p}.command"))?,
        });
    }
    Ok(out)
}

// ---- ConsensusProtocol ----------------------------------------------------------------------

/// One Raft server: the seed's `ConsensusProtocol` (Raft paper Figure 2), driven by hand.
///
/// ```js
/// const n = new ConsensusProtocol('node1', ['node1', 'node2', 'node3']);
/// n.state === 'follower';
/// ```
/// Every method validates its arguments and throws an `Error` naming the parameter and the
/// rule; a refused call leaves the node unchanged.
#[wasm_bindgen(js_name = ConsensusProtocol)]
pub struct ConsensusProtocolJs {
    inner: raft::ConsensusProtocol,
}

#[wasm_bindgen(js_class = ConsensusProtocol)]
impl ConsensusProtocolJs {
    /// `new ConsensusProtocol(nodeId, peers)`: a follower in term 0 with an empty log.
    /// `peers` is an array of distinct non-empty strings; it may list `nodeId` itself.
    #[wasm_bindgen(constructor)]
    pub fn new(node_id: JsValue, peers: JsValue) -> JsResult<ConsensusProtocolJs> {
        let node_id = string(&node_id, "nodeId")?;
        let arr = array(&peers, "peers")?;
        let mut ids = Vec::with_capacity(arr.length() as usize);
        for (i, p) in arr.iter().enumerate() {
            ids.push(string(&p, &format!("peers[{i}]"))?);
        }
        Ok(ConsensusProtocolJs { inner: raft::ConsensusProtocol::new(node_id, ids).map_err(core)? })
    }

    /// This node's id.
    #[wasm_bindgen(getter, js_name = nodeId)]
    pub fn node_id(&self) -> String {
        self.inner.node_id().to_string()
    }
    /// The peers as given to the constructor (array of strings).
    #[wasm_bindgen(getter)]
    pub fn peers(&self) -> Vec<String> {
        self.inner.peers().to_vec()
    }
    /// `'follower'`, `'candidate'` or `'leader'`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.inner.role().as_str().to_string()
    }
    /// currentTerm (persistent).
    #[wasm_bindgen(getter, js_name = currentTerm)]
    pub fn current_term(&self) -> f64 {
        self.inner.current_term() as f64
    }
    /// votedFor (persistent): a node id, or null.
    #[wasm_bindgen(getter, js_name = votedFor)]
    pub fn voted_for(&self) -> JsValue {
        self.inner.voted_for().map_or(JsValue::NULL, JsValue::from_str)
    }
    /// The log (persistent): an array of `{term, index, command}`, indexes from 1.
    #[wasm_bindgen(getter)]
    pub fn log(&self) -> JsValue {
        entries_js(self.inner.log())
    }
    /// commitIndex (volatile).
    #[wasm_bindgen(getter, js_name = commitIndex)]
    pub fn commit_index(&self) -> f64 {
        self.inner.commit_index() as f64
    }
    /// lastApplied (volatile).
    #[wasm_bindgen(getter, js_name = lastApplied)]
    pub fn last_applied(&self) -> f64 {
        self.inner.last_applied() as f64
    }
    /// The leader this node knows of in its current term, or null.
    #[wasm_bindgen(getter, js_name = leaderId)]
    pub fn leader_id(&self) -> JsValue {
        self.inner.leader_id().map_or(JsValue::NULL, JsValue::from_str)
    }
    /// nextIndex per other node, as an object `{node2: 3, …}` (leaders only; `{}` otherwise).
    #[wasm_bindgen(getter, js_name = nextIndex)]
    pub fn next_index(&self) -> JsValue {
        to_js(self.inner.next_index())
    }
    /// matchIndex per other node, as an object (leaders only; `{}` otherwise).
    #[wasm_bindgen(getter, js_name = matchIndex)]
    pub fn match_index(&self) -> JsValue {
        to_js(self.inner.match_index())
    }

    /// RequestVote receiver (Raft paper Figure 2, §5.2, §5.4.1) → `{term, voteGranted}`.
    /// Throws on a non-integer or negative term/index, or an empty candidateId.
    #[wasm_bindgen(js_name = requestVote)]
    pub fn request_vote(
        &mut self,
        term: JsValue,
        candidate_id: JsValue,
        last_log_index: JsValue,
        last_log_term: JsValue,
    ) -> JsResult<JsValue> {
        let args = RequestVoteArgs {
            term: uint(&term, "term")?,
            candidate_id: string(&candidate_id, "candidateId")?,
            last_log_index: uint(&last_log_index, "lastLogIndex")?,
            last_log_term: uint(&last_log_term, "lastLogTerm")?,
        };
        let (r, _) = self.inner.request_vote(&args).map_err(core)?;
        Ok(to_js(&VoteReplyJs { term: r.term, vote_granted: r.vote_granted }))
    }

    /// AppendEntries receiver (Raft paper Figure 2, §5.3) → `{term, success, matchIndex}`.
    /// `entries` is an array of `{term, index, command}` with indexes `prevLogIndex + 1, …`.
    /// Throws on malformed arguments (the node is then unchanged).
    #[wasm_bindgen(js_name = appendEntries)]
    pub fn append_entries(
        &mut self,
        term: JsValue,
        leader_id: JsValue,
        prev_log_index: JsValue,
        prev_log_term: JsValue,
        entries: JsValue,
        leader_commit: JsValue,
    ) -> JsResult<JsValue> {
        let args = AppendEntriesArgs {
            term: uint(&term, "term")?,
            leader_id: string(&leader_id, "leaderId")?,
            prev_log_index: uint(&prev_log_index, "prevLogIndex")?,
            prev_log_term: uint(&prev_log_term, "prevLogTerm")?,
            entries: parse_entries(&entries)?,
            leader_commit: uint(&leader_commit, "leaderCommit")?,
            round: 0,
        };
        let (r, _) = self.inner.append_entries(&args).map_err(core)?;
        Ok(to_js(&AppendReplyJs { term: r.term, success: r.success, match_index: r.match_index }))
    }

    /// Increments currentTerm, becomes candidate, votes for itself (§5.2) and returns the
    /// RequestVote arguments `{term, candidateId, lastLogIndex, lastLogTerm}`.
    #[wasm_bindgen(js_name = startElection)]
    pub fn start_election(&mut self) -> JsResult<JsValue> {
        if self.inner.current_term() as f64 >= MAX_SAFE {
            return Err(invalid("currentTerm", "must stay a safe integer; it cannot be incremented further"));
        }
        let a = self.inner.start_election();
        Ok(to_js(&VoteArgsJs {
            term: a.term,
            candidate_id: &a.candidate_id,
            last_log_index: a.last_log_index,
            last_log_term: a.last_log_term,
        }))
    }

    /// Candidate → leader: sets nextIndex and matchIndex for every other node, appends a no-op
    /// entry of the new term (Raft §8), and returns the first AppendEntries request for each
    /// other node. Throws unless the node is a candidate.
    #[wasm_bindgen(js_name = becomeLeader)]
    pub fn become_leader(&mut self) -> JsResult<JsValue> {
        Ok(requests_js(&self.inner.become_leader().map_err(core)?))
    }

    /// Leader only (§5.3): appends `{term: currentTerm, index: lastIndex + 1, command}` and
    /// returns one AppendEntries request per other node:
    /// `{to, term, leaderId, prevLogIndex, prevLogTerm, entries, leaderCommit}`.
    /// Throws when not leader (naming the leader it knows, if any) or when `command` is not JSON.
    #[wasm_bindgen(js_name = replicateLog)]
    pub fn replicate_log(&mut self, command: JsValue) -> JsResult<JsValue> {
        let text = command_text(&command, "command")?;
        let (_, requests) = self.inner.replicate_log(text).map_err(core)?;
        Ok(requests_js(&requests))
    }

    /// Leader only: one AppendEntries per other node, from its nextIndex (heartbeat and retry).
    pub fn heartbeat(&mut self) -> JsResult<JsValue> {
        Ok(requests_js(&self.inner.heartbeat().map_err(core)?))
    }

    /// Candidate side of RequestVote: `response` is `{term, voteGranted}` from node `from`.
    /// Returns `{votes, won}`: votes held (own included) and whether they are a majority; call
    /// `becomeLeader()` when `won`.
    #[wasm_bindgen(js_name = handleRequestVoteResponse)]
    pub fn handle_request_vote_response(&mut self, from: JsValue, response: JsValue) -> JsResult<JsValue> {
        let from = string(&from, "from")?;
        object(&response, "response")?;
        let reply = RequestVoteReply {
            term: uint(&get(&response, "term"), "response.term")?,
            vote_granted: boolean(&get(&response, "voteGranted"), "response.voteGranted")?,
        };
        let t = self.inner.handle_request_vote_response(&from, &reply).map_err(core)?;
        Ok(to_js(&TallyJs { votes: t.votes, won: t.won }))
    }

    /// Leader side of AppendEntries: `response` is `{term, success, matchIndex}` from `from`
    /// (`matchIndex` may be left out when `success` is false). Returns the next request for
    /// that node (a retry with a lower nextIndex, the entries it still lacks, or the new
    /// commitIndex), or null. Commits only entries of the current term counted on a majority
    /// (Raft paper §5.4.2, Figure 8).
    #[wasm_bindgen(js_name = handleAppendEntriesResponse)]
    pub fn handle_append_entries_response(&mut self, from: JsValue, response: JsValue) -> JsResult<JsValue> {
        let from = string(&from, "from")?;
        object(&response, "response")?;
        let success = boolean(&get(&response, "success"), "response.success")?;
        let mi = get(&response, "matchIndex");
        let reply = AppendEntriesReply {
            term: uint(&get(&response, "term"), "response.term")?,
            success,
            match_index: if !success && mi.is_undefined() { 0 } else { uint(&mi, "response.matchIndex")? },
            round: 0,
        };
        let next = self.inner.handle_append_entries_response(&from, &reply).map_err(core)?;
        Ok(next.as_ref().map_or(JsValue::NULL, request_js))
    }

    /// The seed's majority rule: `responses` is an array of booleans or of response objects
    /// (`voteGranted` or `success`); true when acceptances > cluster size / 2. The cluster is the
    /// distinct peers plus this node; include this node's own acceptance when it counts.
    #[wasm_bindgen(js_name = isConsensusReached)]
    pub fn is_consensus_reached(&self, responses: JsValue) -> JsResult<bool> {
        let arr = array(&responses, "responses")?;
        let mut oks = Vec::with_capacity(arr.length() as usize);
        for (i, r) in arr.iter().enumerate() {
            let p = format!("responses[{i}]");
            let ok = if let Some(b) = r.as_bool() {
                b
            } else if r.is_object() {
                let (vg, s) = (get(&r, "voteGranted"), get(&r, "success"));
                match (vg.as_bool(), s.as_bool()) {
                    (Some(b), _) | (None, Some(b)) => b,
                    _ => return Err(invalid(&p, "must be a boolean or an object with a boolean voteGranted or success")),
                }
            } else {
                return Err(got(&p, "must be a boolean or a response object", &r));
            };
            oks.push(ok);
        }
        Ok(self.inner.is_consensus_reached(&oks))
    }

    /// Applies committed entries: advances lastApplied to commitIndex and returns the entries
    /// applied, in order.
    #[wasm_bindgen(js_name = applyCommitted)]
    pub fn apply_committed(&mut self) -> JsValue {
        entries_js(&self.inner.apply_committed())
    }

    /// A crash and restart: keeps currentTerm, votedFor and the log; resets the rest.
    pub fn restart(&mut self) {
        self.inner.restart();
    }
}
