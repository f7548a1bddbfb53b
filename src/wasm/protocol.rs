//! `ConsensusProtocol` at the JS boundary: one Raft server (Raft paper Figure 2) driven by
//! hand. Built with the `protocol-api` feature (on by default; the widget's build leaves it out).

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{array, boolean, command_text, core, entries_js, get, got, invalid, object, set, string, to_js, uint, JsResult, MAX_SAFE};
use crate::raft::{self, AppendEntriesArgs, AppendEntriesReply, AppendEntriesRequest, LogEntry, NodeId, RequestVoteArgs, RequestVoteReply};

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

fn request_js(names: &[String], r: &AppendEntriesRequest) -> JsValue {
    let a = &r.args;
    let v = to_js(&AppendRequestJs {
        to: &names[r.to],
        term: a.term,
        leader_id: &names[a.leader_id],
        prev_log_index: a.prev_log_index,
        prev_log_term: a.prev_log_term,
        leader_commit: a.leader_commit,
    });
    set(&v, "entries", &entries_js(&a.entries));
    v
}

fn requests_js(names: &[String], rs: &[AppendEntriesRequest]) -> JsValue {
    rs.iter().map(|r| request_js(names, r)).collect::<Array>().into()
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
            command: command_text(&get(&e, "command"), &format!("{p}.command"))?.into(),
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
    /// The caller's ids, by the core's: `names[i]` is node `i` (the peers as given, this node
    /// after them if they leave it out, then any other id a message named).
    names: Vec<String>,
    /// The peers as given to the constructor.
    peers: Vec<String>,
}

impl ConsensusProtocolJs {
    fn id_of(&self, name: &str) -> Option<NodeId> {
        self.names.iter().position(|n| n == name)
    }

    /// The id of `name`, registering it when no configuration named it (a candidate or leader
    /// the node has never heard of: the core answers it as Figure 2 says). Returns whether it
    /// was new, so a refused call can take it back.
    fn register(&mut self, name: String) -> (NodeId, bool) {
        match self.id_of(&name) {
            Some(i) => (i, false),
            None => {
                self.names.push(name);
                (self.names.len() - 1, true)
            }
        }
    }

    /// `from` must be another node that a configuration names.
    fn member(&self, from: &JsValue, param: &str) -> JsResult<NodeId> {
        let name = string(from, param)?;
        match self.id_of(&name) {
            Some(i) if i == self.inner.node_id() => Err(invalid(param, format!("must be another node, not {name} itself"))),
            Some(i) if self.inner.knows(i) => Ok(i),
            _ => Err(invalid(param, format!("must be a member of the cluster (\"{name}\" is not)"))),
        }
    }

    /// A refused call's error, with the caller's ids.
    fn err(&self, e: raft::Error) -> JsError {
        match e {
            raft::Error::NotLeader { .. } => core(raft::Error::NotLeader {
                node: self.names[self.inner.node_id()].clone(),
                leader: self.inner.leader_id().map(|l| self.names[l].clone()),
            }),
            e => core(e),
        }
    }

    fn name(&self, id: Option<NodeId>) -> JsValue {
        id.map_or(JsValue::NULL, |i| JsValue::from_str(&self.names[i]))
    }

    fn index_map(&self, map: &crate::collections::Map<NodeId, u64>) -> JsValue {
        let named: crate::collections::Map<&str, u64> = map.iter().map(|(k, v)| (self.names[*k].as_str(), *v)).collect();
        to_js(&named)
    }
}

#[wasm_bindgen(js_class = ConsensusProtocol)]
impl ConsensusProtocolJs {
    /// `new ConsensusProtocol(nodeId, peers)`: a follower in term 0 with an empty log.
    /// `peers` is an array of distinct non-empty strings; it may list `nodeId` itself.
    #[wasm_bindgen(constructor)]
    pub fn new(node_id: JsValue, peers: JsValue) -> JsResult<ConsensusProtocolJs> {
        let node_id = string(&node_id, "nodeId")?;
        let arr = array(&peers, "peers")?;
        let mut given: Vec<String> = Vec::with_capacity(arr.length() as usize);
        for (i, p) in arr.iter().enumerate() {
            let p = string(&p, &format!("peers[{i}]"))?;
            if given.contains(&p) {
                return Err(invalid(&format!("peers[{i}]"), format!("must not repeat an id (\"{p}\" is listed twice)")));
            }
            given.push(p);
        }
        let mut names = given.clone();
        if !names.contains(&node_id) {
            names.push(node_id.clone());
        }
        let me = names.iter().position(|n| *n == node_id).expect("just added");
        let inner = raft::ConsensusProtocol::new(me, (0..given.len()).collect()).map_err(core)?;
        Ok(ConsensusProtocolJs { inner, names, peers: given })
    }

    /// This node's id.
    #[wasm_bindgen(getter, js_name = nodeId)]
    pub fn node_id(&self) -> String {
        self.names[self.inner.node_id()].clone()
    }
    /// The peers as given to the constructor (array of strings).
    #[wasm_bindgen(getter)]
    pub fn peers(&self) -> Vec<String> {
        self.peers.clone()
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
        self.name(self.inner.voted_for())
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
        self.name(self.inner.leader_id())
    }
    /// nextIndex per other node, as an object `{node2: 3, …}` (leaders only; `{}` otherwise).
    #[wasm_bindgen(getter, js_name = nextIndex)]
    pub fn next_index(&self) -> JsValue {
        self.index_map(self.inner.next_index())
    }
    /// matchIndex per other node, as an object (leaders only; `{}` otherwise).
    #[wasm_bindgen(getter, js_name = matchIndex)]
    pub fn match_index(&self) -> JsValue {
        self.index_map(self.inner.match_index())
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
        let term = uint(&term, "term")?;
        let candidate = string(&candidate_id, "candidateId")?;
        let last_log_index = uint(&last_log_index, "lastLogIndex")?;
        let last_log_term = uint(&last_log_term, "lastLogTerm")?;
        let (candidate_id, _) = self.register(candidate);
        let args = RequestVoteArgs { term, candidate_id, last_log_index, last_log_term };
        let (r, _) = self.inner.request_vote(&args).map_err(|e| self.err(e))?;
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
        let term = uint(&term, "term")?;
        let leader = string(&leader_id, "leaderId")?;
        let prev_log_index = uint(&prev_log_index, "prevLogIndex")?;
        let prev_log_term = uint(&prev_log_term, "prevLogTerm")?;
        let entries = parse_entries(&entries)?;
        let leader_commit = uint(&leader_commit, "leaderCommit")?;
        let (leader_id, new) = self.register(leader);
        let args = AppendEntriesArgs { term, leader_id, prev_log_index, prev_log_term, entries, leader_commit, round: 0 };
        let (r, _) = match self.inner.append_entries(&args) {
            Ok(r) => r,
            Err(e) => {
                if new {
                    self.names.pop(); // refused: the node is unchanged, and so are its ids
                }
                return Err(self.err(e));
            }
        };
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
            candidate_id: &self.names[a.candidate_id],
            last_log_index: a.last_log_index,
            last_log_term: a.last_log_term,
        }))
    }

    /// Candidate → leader: sets nextIndex and matchIndex for every other node, appends a no-op
    /// entry of the new term (Raft §8), and returns the first AppendEntries request for each
    /// other node. Throws unless the node is a candidate.
    #[wasm_bindgen(js_name = becomeLeader)]
    pub fn become_leader(&mut self) -> JsResult<JsValue> {
        let requests = self.inner.become_leader().map_err(|e| self.err(e))?;
        Ok(requests_js(&self.names, &requests))
    }

    /// Leader only (§5.3): appends `{term: currentTerm, index: lastIndex + 1, command}` and
    /// returns one AppendEntries request per other node:
    /// `{to, term, leaderId, prevLogIndex, prevLogTerm, entries, leaderCommit}`.
    /// Throws when not leader (naming the leader it knows, if any) or when `command` is not JSON.
    #[wasm_bindgen(js_name = replicateLog)]
    pub fn replicate_log(&mut self, command: JsValue) -> JsResult<JsValue> {
        let text = command_text(&command, "command")?;
        let (_, requests) = self.inner.replicate_log(text).map_err(|e| self.err(e))?;
        Ok(requests_js(&self.names, &requests))
    }

    /// Leader only: one AppendEntries per other node, from its nextIndex (heartbeat and retry).
    pub fn heartbeat(&mut self) -> JsResult<JsValue> {
        let requests = self.inner.heartbeat().map_err(|e| self.err(e))?;
        Ok(requests_js(&self.names, &requests))
    }

    /// Candidate side of RequestVote: `response` is `{term, voteGranted}` from node `from`.
    /// Returns `{votes, won}`: votes held (own included) and whether they are a majority; call
    /// `becomeLeader()` when `won`.
    #[wasm_bindgen(js_name = handleRequestVoteResponse)]
    pub fn handle_request_vote_response(&mut self, from: JsValue, response: JsValue) -> JsResult<JsValue> {
        let from = self.member(&from, "from")?;
        object(&response, "response")?;
        let reply = RequestVoteReply {
            term: uint(&get(&response, "term"), "response.term")?,
            vote_granted: boolean(&get(&response, "voteGranted"), "response.voteGranted")?,
        };
        let t = self.inner.handle_request_vote_response(from, &reply).map_err(|e| self.err(e))?;
        Ok(to_js(&TallyJs { votes: t.votes, won: t.won }))
    }

    /// Leader side of AppendEntries: `response` is `{term, success, matchIndex}` from `from`
    /// (`matchIndex` may be left out when `success` is false). Returns the next request for
    /// that node (a retry with a lower nextIndex, the entries it still lacks, or the new
    /// commitIndex), or null. Commits only entries of the current term counted on a majority
    /// (Raft paper §5.4.2, Figure 8).
    #[wasm_bindgen(js_name = handleAppendEntriesResponse)]
    pub fn handle_append_entries_response(&mut self, from: JsValue, response: JsValue) -> JsResult<JsValue> {
        let from = self.member(&from, "from")?;
        object(&response, "response")?;
        let success = boolean(&get(&response, "success"), "response.success")?;
        let mi = get(&response, "matchIndex");
        let reply = AppendEntriesReply {
            term: uint(&get(&response, "term"), "response.term")?,
            success,
            match_index: if !success && mi.is_undefined() { 0 } else { uint(&mi, "response.matchIndex")? },
            round: 0,
        };
        let next = self.inner.handle_append_entries_response(from, &reply).map_err(|e| self.err(e))?;
        Ok(next.as_ref().map_or(JsValue::NULL, |r| request_js(&self.names, r)))
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
