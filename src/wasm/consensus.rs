//! `createConsensus` at the JS boundary: one node of a consensus mechanism, driven by hand, whose
//! messages any transport can carry (issue #10, part 4): Raft here, majority voting in `consensus_vote.rs`, Multi-Paxos in `consensus_paxos.rs`, PBFT in `consensus_pbft.rs`, Chained HotStuff in
//! `consensus_hotstuff.rs`. Built with the
//! `consensus-api` feature (on by default; the widget's build leaves it out).
//!
//! ```js
//! const n1 = createConsensus('raft', 'n1', ['n1', 'n2', 'n3'], { seed: 1 });
//! n1.tick(200);                       // → outbox [{to, message}], timers due by 200 ms fired
//! n1.handleMessage('n2', message);    // → outbox
//! n1.propose({ put: 'x' });           // → outbox (a follower throws naming the leader it knows)
//! n1.decisions;                       // [{index, value}]
//! ```
//!
//! The node is a [`Standalone`] driver around the mechanism's [`crate::protocol::Protocol`]
//! (its own seeded RNG, clock and timers). Ids at this boundary are the caller's strings; inside
//! they are indices (`0 ..`), and the Raft core sees `n1`, `n2`, …: every id in a message and a
//! view is translated both ways. Times are ms here, µs inside.
//!
//! Rules: every call validates all of its input before it touches the node, and throws an
//! `Error` naming the parameter and the rule (the node is then unchanged); a well-typed message
//! that makes no sense (a stale term, an old entry, a reply to an old request) is handed to the
//! protocol, which answers it as it would answer any server. The outbox never addresses the node
//! itself, and every message in it is a plain JSON-safe object.

use std::fmt::Write;

use js_sys::JSON;
use wasm_bindgen::prelude::*;

use super::{
    array, boolean, command_text, describe, get, got, invalid, json_array, max_entries_per_append, object, only_keys, snapshot_interval, string,
    uint, JsResult, MAX_SAFE,
};
use crate::error::Error;
use crate::node::Standalone;
use crate::protocol::{node_name, Effect, Micros, NodeId, Protocol};
use crate::raft::sim::{Options, Timer};
use crate::raft::{
    AppendEntriesArgs, AppendEntriesReply, InstallSnapshotArgs, InstallSnapshotReply, LogEntry, Payload, Raft, RequestVoteArgs,
    RequestVoteReply, Snapshot, TimeoutNowArgs,
};

/// The mechanisms `createConsensus` knows, as the error for an unknown one lists them.
const KNOWN: &str = "raft, paxos, vote, pbft, hotstuff, gossip";

/// The most members a cluster may list.
const MAX_MEMBERS: usize = 1000;

/// The latest `nowMs` a tick accepts: µs stay exact integers in a JS number.
const MAX_NOW_MS: f64 = MAX_SAFE / 1000.0;

// ---- ids ------------------------------------------------------------------------------------

/// The caller's ids: the cluster in the order given (the peers, then this node if they do not
/// list it). Index `i` is node `i` inside, which the Raft core calls `n{i+1}`.
pub(crate) struct Ids {
    /// Every member, by index.
    pub(crate) ids: Vec<String>,
    /// Each member's id as a JSON string literal (for the outbox and views, built as JSON text).
    pub(crate) quoted: Vec<String>,
    /// The peers as given.
    pub(super) peers: Vec<String>,
    /// This node's index.
    pub(crate) me: NodeId,
}

pub(crate) fn quote(s: &str) -> String {
    JSON::stringify(&JsValue::from_str(s)).ok().and_then(|q| q.as_string()).unwrap_or_else(|| "null".into())
}

impl Ids {
    /// `id`: a non-empty string; `peers`: an array of distinct non-empty strings, at most 1000,
    /// which may or may not list `id`.
    fn new(id: &JsValue, peers: &JsValue) -> JsResult<Ids> {
        let me = string(id, "id")?;
        let arr = array(peers, "peers")?;
        if arr.length() as usize > MAX_MEMBERS {
            return Err(invalid("peers", format!("must list at most {MAX_MEMBERS} ids (got {})", arr.length())));
        }
        let mut given = Vec::with_capacity(arr.length() as usize);
        for (k, p) in arr.iter().enumerate() {
            let p = string(&p, &format!("peers[{k}]"))?;
            if given.contains(&p) {
                return Err(invalid(&format!("peers[{k}]"), format!("must not repeat an id (\"{p}\" is listed twice)")));
            }
            given.push(p);
        }
        let mut ids = given.clone();
        let me = match ids.iter().position(|p| *p == me) {
            Some(i) => i,
            None => {
                ids.push(me);
                ids.len() - 1
            }
        };
        let quoted = ids.iter().map(|s| quote(s)).collect();
        Ok(Ids { ids, quoted, peers: given, me })
    }

    pub(crate) fn me(&self) -> &str {
        &self.ids[self.me]
    }

    /// Gives `id` the next index unless it has one (a Raft membership change named a server
    /// this node had no index for); returns its index. Indices are this node's own: every id in
    /// a message is translated, so nodes need not agree on them.
    pub(super) fn add(&mut self, id: &str) -> NodeId {
        if let Some(i) = self.ids.iter().position(|p| p == id) {
            return i;
        }
        self.ids.push(id.to_string());
        self.quoted.push(quote(id));
        self.ids.len() - 1
    }

    /// A sender: another member of the cluster.
    pub(super) fn peer(&self, v: &JsValue, param: &str) -> JsResult<NodeId> {
        let me = self.me();
        match v.as_string().and_then(|s| self.ids.iter().position(|p| *p == s)) {
            Some(i) if i == self.me => Err(got(param, &format!("must be a peer of {me}, not {me} itself"), v)),
            Some(i) => Ok(i),
            None => Err(got(param, &format!("must be a peer of {}", self.me()), v)),
        }
    }

    /// A member of the cluster, this node included.
    pub(super) fn member(&self, v: &JsValue, param: &str) -> JsResult<NodeId> {
        v.as_string()
            .and_then(|s| self.ids.iter().position(|p| *p == s))
            .ok_or_else(|| got(param, &format!("must be a member of {}'s cluster", self.me()), v))
    }

    /// Node `i` as the caller spells it, quoted.
    pub(crate) fn quoted_id(&self, i: NodeId) -> String {
        self.quoted.get(i).cloned().unwrap_or_else(|| quote(&node_name(i)))
    }

    /// Node `i` as the caller spells it.
    pub(super) fn name(&self, i: NodeId) -> String {
        self.ids.get(i).cloned().unwrap_or_else(|| node_name(i))
    }
}

// ---- JSON text ------------------------------------------------------------------------------

/// Parses JSON text this module built (ids quoted by `JSON.stringify`, commands produced by it).
pub(crate) fn parse(text: &str) -> JsResult<JsValue> {
    JSON::parse(text).map_err(|_| JsError::new("internal error: the consensus node built malformed JSON"))
}

/// µs as a JSON number of ms, with no float formatting (`120000` → `120.000`).
pub(crate) fn ms(out: &mut String, us: Micros) {
    let _ = write!(out, "{}.{:03}", us / 1000, us % 1000);
}

/// An outbox as the JSON array `[{to, message}]`, each message written by `message`.
pub(crate) fn outbox_json<M>(out: &mut String, ids: &Ids, sent: &[(NodeId, M)], message: impl Fn(&mut String, &Ids, &M)) {
    json_array(out, sent, |out, (to, m)| {
        let _ = write!(out, "{{\"to\":{},\"message\":", ids.quoted_id(*to));
        message(out, ids, m);
        out.push('}');
    });
}

fn entries_json(out: &mut String, ids: &Ids, entries: &[LogEntry]) {
    json_array(out, entries, |out, e| {
        let _ = write!(out, "{{\"term\":{},\"index\":{},\"command\":", e.term, e.index);
        command_json(out, ids, &e.command);
        out.push('}');
    });
}

/// A log entry's command as JSON text for the caller: a configuration entry's members
/// (`{"$config":["n1","n3"]}` inside) by the caller's ids (`{"$config":["a","c"]}`), any other
/// command as it is.
fn command_json(out: &mut String, ids: &Ids, command: &str) {
    match crate::raft::node::parse_config(command) {
        Some(members) => {
            out.push_str("{\"$config\":");
            json_array(out, &members, |out, m| out.push_str(&ids.quoted_id(*m)));
            out.push('}');
        }
        None => out.push_str(command),
    }
}

/// Ids a message or a membership change names that this node has no index for yet: each gets
/// the next free index, `base + k`, once the input is accepted (see [`Ids::add`]).
#[derive(Default)]
struct Newcomers {
    base: usize,
    names: Vec<String>,
}

impl Newcomers {
    fn new(ids: &Ids) -> Self {
        Newcomers { base: ids.ids.len(), names: Vec::new() }
    }

    /// The index of `name`: its own, or the one it will get.
    fn index(&mut self, ids: &Ids, name: &str) -> NodeId {
        if let Some(i) = ids.ids.iter().position(|p| p == name) {
            return i;
        }
        match self.names.iter().position(|p| p == name) {
            Some(k) => self.base + k,
            None => {
                self.names.push(name.to_string());
                self.base + self.names.len() - 1
            }
        }
    }

    /// `list` (`param`): distinct non-empty strings, at most [`MAX_MEMBERS`], as indices.
    fn members(&mut self, ids: &Ids, list: &JsValue, param: &str) -> JsResult<Vec<NodeId>> {
        let arr = array(list, param)?;
        if arr.length() as usize > MAX_MEMBERS {
            return Err(invalid(param, format!("must list at most {MAX_MEMBERS} ids (got {})", arr.length())));
        }
        let mut members = Vec::with_capacity(arr.length() as usize);
        for (k, id) in arr.iter().enumerate() {
            let name = string(&id, &format!("{param}[{k}]"))?;
            let i = self.index(ids, &name);
            if members.contains(&i) {
                return Err(got(&format!("{param}[{k}]"), "must not repeat an id", &id));
            }
            members.push(i);
        }
        Ok(members)
    }
}

// ---- a mechanism behind the one interface -----------------------------------------------------

/// What every mechanism offers `ConsensusNode`: inputs already checked for type where generic
/// (the sender is a peer, the command is JSON, time does not go back); outputs as JSON text.
pub(crate) trait Mechanism {
    /// Proposes `command` (JSON text).
    fn propose(&mut self, ids: &Ids, command: String) -> JsResult<()>;
    /// Validates `message` from peer `from` completely, then hands it to the node.
    fn handle(&mut self, ids: &Ids, from: NodeId, message: &JsValue) -> JsResult<()>;
    /// Fires the timers due by `now` µs.
    fn tick(&mut self, now: Micros) -> JsResult<()>;
    /// Proposes `command` as `propose(command)` received it (a JS value, not yet checked): by
    /// default its JSON text, to [`Mechanism::propose`]; PBFT also takes a whole request.
    fn propose_js(&mut self, ids: &Ids, command: &JsValue) -> JsResult<()> {
        let text = command_text(command, "command")?;
        self.propose(ids, text)
    }
    /// Drains the outbox as a JSON array of `{to, message}`.
    fn outbox(&mut self, ids: &Ids, out: &mut String);
    /// The decisions as a JSON array of `{index, value}`.
    fn decisions(&self, ids: &Ids, out: &mut String);
    /// The view as a JSON object.
    fn view(&self, ids: &Ids, out: &mut String);
    /// Whether it offers `propose(key, value)`, `vote`, `proposals` and `result` (voting);
    /// the methods below are called only when it does.
    fn votes(&self) -> bool {
        false
    }
    /// Proposes `key = value` (`value`: JSON text).
    fn propose_kv(&mut self, _ids: &Ids, _key: String, _value: String) -> JsResult<()> {
        Err(JsError::new("propose(key, value) is not offered by this mechanism"))
    }
    /// A manual vote on `proposal_id` (validated here).
    fn vote(&mut self, _ids: &Ids, _proposal_id: &JsValue, _approve: &JsValue) -> JsResult<()> {
        Err(JsError::new("vote is not offered by this mechanism"))
    }
    /// This node's proposals as a JSON array.
    fn proposals(&self, _ids: &Ids, _out: &mut String) {}
    /// Proposal `proposal_id`'s result as a JSON object, or `null` (validated here).
    fn result(&self, _ids: &Ids, _proposal_id: &JsValue, _out: &mut String) -> JsResult<()> {
        Err(JsError::new("result is not offered by this mechanism"))
    }
    /// Whether it offers `set(key, value)`, `delete(key)` and `get(key)` (gossip); the methods
    /// below are called only when it does.
    fn writes(&self) -> bool {
        false
    }
    /// Writes `key` = `value` (JSON text), or deletes it (None) at this node.
    fn write(&mut self, _ids: &Ids, _key: String, _value: Option<String>) -> JsResult<()> {
        Err(JsError::new("set and delete are not offered by this mechanism"))
    }
    /// The value this node holds for `key`, as JSON text (None: none, or deleted).
    fn read(&self, _key: &str) -> Option<String> {
        None
    }
    /// The decisions after index `after`, as [`Mechanism::decisions`] writes them; false when
    /// the mechanism does not pick them itself (the caller then filters them all).
    fn decisions_after(&self, _ids: &Ids, _after: u64, _out: &mut String) -> bool {
        false
    }
    /// Raft: the caller's state machine, `data`, stands for the log through `index` (§7).
    fn compact(&mut self, _index: u64, _data: String) -> JsResult<()> {
        Err(JsError::new("compact(index, data) is offered only by 'raft' nodes"))
    }
    /// Raft: the latest snapshot as a JSON object.
    fn snapshot(&self, _ids: &Ids, _out: &mut String) -> JsResult<()> {
        Err(JsError::new("snapshot is offered only by 'raft' nodes"))
    }
    /// Raft: the persistent state (Figure 2) as a JSON object.
    fn persistent(&self, _ids: &Ids, _out: &mut String) -> JsResult<()> {
        Err(JsError::new("persistentState is offered only by 'raft' nodes"))
    }
    /// Raft: a stamp of the persistent state, which changes whenever the state does.
    fn persistent_stamp(&self) -> JsResult<String> {
        Err(JsError::new("persistentStamp is offered only by 'raft' nodes"))
    }
    /// Raft: the leader changes the configuration to `members` (validated here), one server
    /// added or removed.
    fn change_members(&mut self, _ids: &Ids, _members: &JsValue) -> JsResult<()> {
        Err(JsError::new("changeMembership(members) is offered only by 'raft' nodes"))
    }
    /// The ids the last accepted input named for the first time, in the order of the indices
    /// they were given (for [`Ids::add`]).
    fn take_newcomers(&mut self) -> Vec<String> {
        Vec::new()
    }
}

// ---- Raft -----------------------------------------------------------------------------------

const OPTION_KEYS: [&str; 9] =
    ["seed", "electionTimeoutMs", "heartbeatMs", "preVote", "checkQuorum", "maxEntriesPerAppend", "snapshotInterval", "batchMs", "persisted"];

/// ms (a number from 0 to an hour) → µs.
pub(crate) fn duration(v: &JsValue, param: &str, positive: bool) -> JsResult<Micros> {
    let rule = if positive { "must be a number of ms above 0 and at most 3600000" } else { "must be a number of ms from 0 to 3600000" };
    match v.as_f64() {
        Some(f) if f.is_finite() && (0.0..=3_600_000.0).contains(&f) && (!positive || f > 0.0) => Ok(((f * 1000.0).round() as Micros).max(u64::from(positive))),
        _ => Err(got(param, rule, v)),
    }
}

/// Raft's options and the seed. Defaults: seed 1, election timeout 150–300 ms, heartbeat 50 ms,
/// PreVote and CheckQuorum on, at most 64 entries per AppendEntries, no snapshots, no batching.
fn raft_options(options: &JsValue) -> JsResult<(Options, u64)> {
    let mut o = Options {
        election_timeout_us: (150_000, 300_000),
        heartbeat_us: 50_000,
        bugs: crate::raft::Bugs::NONE,
        pre_vote: true,
        check_quorum: true,
        max_entries_per_append: Some(64),
        snapshot_interval: None,
        read_index: false,
        batch_us: None,
        per_follower_heartbeats: false,
        #[cfg(any(not(target_family = "wasm"), feature = "experiments-api"))]
        logcabin_writes_us: None,
    };
    let mut seed = 1;
    if options.is_undefined() || options.is_null() {
        return Ok((o, seed));
    }
    object(options, "options")?;
    only_keys(options, &OPTION_KEYS)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("seed") {
        seed = uint(&v, "seed")?;
    }
    if let Some(v) = opt("electionTimeoutMs") {
        let arr = array(&v, "electionTimeoutMs")?;
        if arr.length() != 2 {
            return Err(invalid("electionTimeoutMs", format!("must be [lo, hi] in ms (got {} numbers)", arr.length())));
        }
        let lo = duration(&arr.get(0), "electionTimeoutMs[0]", true)?;
        let hi = duration(&arr.get(1), "electionTimeoutMs[1]", true)?;
        if lo > hi {
            return Err(invalid("electionTimeoutMs", "must be [lo, hi] with lo <= hi"));
        }
        o.election_timeout_us = (lo, hi);
    }
    if let Some(v) = opt("heartbeatMs") {
        o.heartbeat_us = duration(&v, "heartbeatMs", true)?;
    }
    if let Some(v) = opt("preVote") {
        o.pre_vote = boolean(&v, "preVote")?;
    }
    if let Some(v) = opt("checkQuorum") {
        o.check_quorum = boolean(&v, "checkQuorum")?;
    }
    if let Some(v) = opt("maxEntriesPerAppend") {
        o.max_entries_per_append = max_entries_per_append(&v)?;
    }
    if let Some(v) = opt("snapshotInterval") {
        o.snapshot_interval = snapshot_interval(&v)?;
    }
    if let Some(v) = opt("batchMs") {
        o.batch_us = if v.is_null() { None } else { Some(duration(&v, "batchMs", true)?) };
    }
    Ok((o, seed))
}

/// The seed of a node's RNG: the caller's seed mixed with its id (FNV-1a), so that nodes given
/// the same seed still draw different timeouts (identical draws would split every vote).
pub(crate) fn node_seed(seed: u64, id: &str) -> u64 {
    seed ^ crate::hash::fnv1a_str(id)
}

/// The fields of each message type, in the order the outbox writes them.
fn fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "RequestVote" | "PreVote" => &["type", "term", "candidateId", "lastLogIndex", "lastLogTerm"],
        "RequestVoteResponse" | "PreVoteResponse" => &["type", "term", "voteGranted"],
        "AppendEntries" => &["type", "term", "leaderId", "prevLogIndex", "prevLogTerm", "entries", "leaderCommit", "round"],
        "AppendEntriesResponse" => &["type", "term", "success", "matchIndex", "round"],
        "InstallSnapshot" => &["type", "term", "leaderId", "lastIncludedIndex", "lastIncludedTerm", "data", "config"],
        "InstallSnapshotResponse" => &["type", "term", "matchIndex"],
        "TimeoutNow" => &["type", "term", "leaderId"],
        _ => return None,
    })
}

const TYPES: &str = "RequestVote, RequestVoteResponse, PreVote, PreVoteResponse, AppendEntries, AppendEntriesResponse, \
                     InstallSnapshot, InstallSnapshotResponse, TimeoutNow";

pub(super) use super::only_fields;

/// A command (JSON text) that Raft would read as a membership change: reserved.
fn check_not_config(text: &str, param: &str) -> JsResult<()> {
    // Any {"$config": …} object, whatever it names: the core reads those naming its members
    // as membership changes (`parse_config`).
    if text.starts_with("{\"$config\":") {
        return Err(invalid(param, "must not be a {\"$config\": […]} object (reserved for membership changes: changeMembership(members) makes one)"));
    }
    Ok(())
}

struct RaftMechanism {
    s: Standalone<Raft>,
    /// Ids the last accepted input named for the first time (see [`Newcomers`]).
    newcomers: Vec<String>,
}

/// A configuration entry's command as it arrives, `{"$config": [ids]}` (`param`), as the
/// core's JSON text; ids new to this node become newcomers.
fn config_entry(ids: &Ids, command: &JsValue, param: &str, new: &mut Newcomers) -> JsResult<String> {
    if js_sys::Object::keys(&js_sys::Object::from(command.clone())).length() != 1 {
        return Err(got(param, "must have no key but $config (a configuration entry)", command));
    }
    let members = new.members(ids, &get(command, "$config"), &format!("{param}.$config"))?;
    Ok(crate::raft::node::config_command(&members))
}

impl RaftMechanism {
    /// `message` from `from`, checked field by field and translated to core names; ids that
    /// its configuration entries or snapshot name for the first time go to `new`.
    fn parse(&self, ids: &Ids, from: NodeId, m: &JsValue, new: &mut Newcomers) -> JsResult<Payload> {
        object(m, "message")?;
        let t = get(m, "type");
        let kind = t.as_string().unwrap_or_default();
        let Some(allowed) = fields(&kind) else {
            return Err(got("message.type", &format!("must be one of {TYPES}"), &t));
        };
        only_fields(m, "message", &kind, allowed)?;
        let field = |k: &str| get(m, k);
        let u = |k: &str| uint(&field(k), &format!("message.{k}"));
        let b = |k: &str| boolean(&field(k), &format!("message.{k}"));
        // The sender names itself: a candidate asks for its own votes, a leader speaks for itself.
        let sender = |k: &str| -> JsResult<NodeId> {
            let v = field(k);
            let s = string(&v, &format!("message.{k}"))?;
            if s != ids.ids[from] {
                return Err(got(&format!("message.{k}"), &format!("must be the sender's id, \"{}\" (the from argument)", ids.ids[from]), &v));
            }
            Ok(from)
        };
        let round = |k: &str| if field(k).is_undefined() { Ok(0) } else { u(k) };
        Ok(match kind.as_str() {
            "RequestVote" | "PreVote" => {
                let args = RequestVoteArgs {
                    term: u("term")?,
                    candidate_id: sender("candidateId")?,
                    last_log_index: u("lastLogIndex")?,
                    last_log_term: u("lastLogTerm")?,
                };
                if kind == "PreVote" {
                    Payload::PreVote(args)
                } else {
                    Payload::RequestVote(args)
                }
            }
            "RequestVoteResponse" | "PreVoteResponse" => {
                let reply = RequestVoteReply { term: u("term")?, vote_granted: b("voteGranted")? };
                if kind == "PreVoteResponse" {
                    Payload::PreVoteResponse(reply)
                } else {
                    Payload::RequestVoteResponse(reply)
                }
            }
            "AppendEntries" => {
                let (term, leader_id, prev_log_index, prev_log_term) = (u("term")?, sender("leaderId")?, u("prevLogIndex")?, u("prevLogTerm")?);
                let list = array(&field("entries"), "message.entries")?;
                let mut entries = Vec::with_capacity(list.length() as usize);
                for (k, e) in list.iter().enumerate() {
                    let p = format!("message.entries[{k}]");
                    object(&e, &p)?;
                    only_fields(&e, &p, "an entry", &["term", "index", "command"])?;
                    let index = uint(&get(&e, "index"), &format!("{p}.index"))?;
                    let want = prev_log_index + 1 + k as u64;
                    if index != want {
                        return Err(invalid(
                            &format!("{p}.index"),
                            format!("must be {want}: entries are contiguous after prevLogIndex {prev_log_index} (got {index})"),
                        ));
                    }
                    let value = get(&e, "command");
                    let mut command = command_text(&value, &format!("{p}.command"))?;
                    if command.starts_with("{\"$config\":") {
                        command = config_entry(ids, &value, &format!("{p}.command"), new)?;
                    }
                    entries.push(LogEntry { term: uint(&get(&e, "term"), &format!("{p}.term"))?, index, command: command.into() });
                }
                let leader_commit = u("leaderCommit")?;
                Payload::AppendEntries(AppendEntriesArgs { term, leader_id, prev_log_index, prev_log_term, entries, leader_commit, round: round("round")? })
            }
            "AppendEntriesResponse" => Payload::AppendEntriesResponse(AppendEntriesReply {
                term: u("term")?,
                success: b("success")?,
                match_index: u("matchIndex")?,
                round: round("round")?,
            }),
            "InstallSnapshot" => {
                let (term, leader_id, index, snap_term) = (u("term")?, sender("leaderId")?, u("lastIncludedIndex")?, u("lastIncludedTerm")?);
                if snap_term > term {
                    return Err(invalid("message.lastIncludedTerm", format!("must not exceed message.term {term} (got {snap_term})")));
                }
                let data = field("data").as_string().ok_or_else(|| got("message.data", "must be a string", &field("data")))?;
                let config = new.members(ids, &field("config"), "message.config")?;
                Payload::InstallSnapshot(InstallSnapshotArgs { term, leader_id, snapshot: Snapshot { index, term: snap_term, data, config } })
            }
            "InstallSnapshotResponse" => Payload::InstallSnapshotResponse(InstallSnapshotReply { term: u("term")?, match_index: u("matchIndex")? }),
            _ => Payload::TimeoutNow(TimeoutNowArgs { term: u("term")?, leader_id: sender("leaderId")? }),
        })
    }

    fn message(out: &mut String, ids: &Ids, p: &Payload) {
        let _ = write!(out, "{{\"type\":\"{}\"", p.kind());
        match p {
            Payload::RequestVote(a) | Payload::PreVote(a) => {
                let _ = write!(
                    out,
                    ",\"term\":{},\"candidateId\":{},\"lastLogIndex\":{},\"lastLogTerm\":{}",
                    a.term,
                    ids.quoted_id(a.candidate_id),
                    a.last_log_index,
                    a.last_log_term
                );
            }
            Payload::RequestVoteResponse(r) | Payload::PreVoteResponse(r) => {
                let _ = write!(out, ",\"term\":{},\"voteGranted\":{}", r.term, r.vote_granted);
            }
            Payload::AppendEntries(a) => {
                let _ = write!(
                    out,
                    ",\"term\":{},\"leaderId\":{},\"prevLogIndex\":{},\"prevLogTerm\":{},\"entries\":",
                    a.term,
                    ids.quoted_id(a.leader_id),
                    a.prev_log_index,
                    a.prev_log_term
                );
                entries_json(out, ids, &a.entries);
                let _ = write!(out, ",\"leaderCommit\":{},\"round\":{}", a.leader_commit, a.round);
            }
            Payload::AppendEntriesResponse(r) => {
                let _ = write!(out, ",\"term\":{},\"success\":{},\"matchIndex\":{},\"round\":{}", r.term, r.success, r.match_index, r.round);
            }
            Payload::InstallSnapshot(a) => {
                let s = &a.snapshot;
                let _ = write!(
                    out,
                    ",\"term\":{},\"leaderId\":{},\"lastIncludedIndex\":{},\"lastIncludedTerm\":{},\"data\":{},\"config\":[",
                    a.term,
                    ids.quoted_id(a.leader_id),
                    s.index,
                    s.term,
                    quote(&s.data)
                );
                for (k, m) in s.config.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    out.push_str(&ids.quoted_id(*m));
                }
                out.push(']');
            }
            Payload::InstallSnapshotResponse(r) => {
                let _ = write!(out, ",\"term\":{},\"matchIndex\":{}", r.term, r.match_index);
            }
            Payload::TimeoutNow(a) => {
                let _ = write!(out, ",\"term\":{},\"leaderId\":{}", a.term, ids.quoted_id(a.leader_id));
            }
        }
        out.push('}');
    }
}

fn timer_name(t: Timer) -> &'static str {
    match t {
        Timer::Election => "election",
        Timer::Heartbeat | Timer::HeartbeatTo(_) => "heartbeat",
        Timer::CheckQuorum => "checkQuorum",
        Timer::TransferTimeout => "transferTimeout",
        Timer::Flush => "flush",
    }
}

impl Mechanism for RaftMechanism {
    fn propose(&mut self, ids: &Ids, command: String) -> JsResult<()> {
        check_not_config(&command, "command")?;
        self.s.propose(command).map(|_| ()).map_err(|e| {
            let e = match e {
                // With the caller's ids, not the core's names.
                Error::NotLeader { .. } => {
                    Error::NotLeader { node: ids.me().to_string(), leader: self.s.node().core.leader_id().map(|l| ids.name(l)) }
                }
                e => e,
            };
            JsError::new(&e.to_string())
        })
    }

    fn handle(&mut self, ids: &Ids, from: NodeId, message: &JsValue) -> JsResult<()> {
        let mut new = Newcomers::new(ids);
        let payload = self.parse(ids, from, message, &mut new)?;
        // A successful reply claiming entries the leader does not have: no correct follower
        // sends it in the leader's term (the core refuses it as invalid). Ignored, as a reply that
        // makes no sense is: nothing changes and nothing is sent.
        if let Payload::AppendEntriesResponse(r) = &payload {
            let core = &self.s.node().core;
            if r.success && r.term == core.current_term() && r.match_index > core.last_log_index() {
                return Ok(());
            }
        }
        self.s.grow(new.base + new.names.len());
        self.newcomers = new.names;
        self.s.on_msg(from, payload).map_err(|e| JsError::new(&e.to_string()))
    }

    fn change_members(&mut self, ids: &Ids, members: &JsValue) -> JsResult<()> {
        let mut new = Newcomers::new(ids);
        let members = new.members(ids, members, "members")?;
        // First, so that the entry's AppendEntries to a new server are not dropped as addressed
        // outside the cluster; a refused change leaves only unused room.
        self.s.grow(new.base + new.names.len());
        let r = self.s.act(|p, n, cx, out| p.change_membership(n, cx, members, out));
        r.map_err(|e| {
            let e = match e {
                Error::NotLeader { .. } => {
                    Error::NotLeader { node: ids.me().to_string(), leader: self.s.node().core.leader_id().map(|l| ids.name(l)) }
                }
                e => e,
            };
            JsError::new(&e.to_string())
        })?;
        self.newcomers = new.names;
        Ok(())
    }

    fn take_newcomers(&mut self) -> Vec<String> {
        std::mem::take(&mut self.newcomers)
    }

    fn tick(&mut self, now: Micros) -> JsResult<()> {
        self.s.tick(now).map(|_| ()).map_err(|e| JsError::new(&e.to_string()))
    }

    fn outbox(&mut self, ids: &Ids, out: &mut String) {
        outbox_json(out, ids, &self.s.take_outbox(), Self::message);
    }

    fn decisions(&self, ids: &Ids, out: &mut String) {
        self.decisions_after(ids, 0, out);
    }

    fn decisions_after(&self, ids: &Ids, after: u64, out: &mut String) -> bool {
        let all = self.s.decisions();
        json_array(out, &all[all.partition_point(|e| e.index <= after)..], |out, e| {
            let _ = write!(out, "{{\"index\":{},\"value\":", e.index);
            command_json(out, ids, &e.command);
            out.push('}');
        });
        true
    }

    fn compact(&mut self, index: u64, data: String) -> JsResult<()> {
        self.s.act(|_, n, _, _| n.core.compact(index, data)).map_err(|e| JsError::new(&e.to_string()))?;
        let k = self.s.decisions().partition_point(|e| e.index <= index);
        self.s.forget_decisions(k);
        Ok(())
    }

    fn snapshot(&self, ids: &Ids, out: &mut String) -> JsResult<()> {
        let s = self.s.node().core.snapshot();
        let _ = write!(out, "{{\"index\":{},\"term\":{},\"data\":{},\"config\":", s.index, s.term, quote(&s.data));
        json_array(out, &s.config, |out, m| out.push_str(&ids.quoted_id(*m)));
        out.push('}');
        Ok(())
    }

    fn persistent(&self, ids: &Ids, out: &mut String) -> JsResult<()> {
        let r = &self.s.node().core;
        let voted = r.voted_for().map_or_else(|| "null".to_string(), |v| ids.quoted_id(v));
        let _ = write!(out, "{{\"currentTerm\":{},\"votedFor\":{voted},\"snapshot\":", r.current_term());
        self.snapshot(ids, out)?;
        out.push_str(",\"log\":");
        entries_json(out, ids, r.log());
        out.push('}');
        Ok(())
    }

    fn persistent_stamp(&self) -> JsResult<String> {
        let r = &self.s.node().core;
        let voted = r.voted_for().map_or(-1, |v| v as i64);
        Ok(format!("{}/{voted}/{}/{}/{}", r.current_term(), r.last_log_index(), r.last_log_term(), r.snapshot().index))
    }

    fn view(&self, ids: &Ids, out: &mut String) {
        let r = &self.s.node().core;
        let opt = |id: Option<NodeId>| id.map_or_else(|| "null".to_string(), |i| ids.quoted_id(i));
        let _ = write!(
            out,
            "{{\"id\":{},\"mechanism\":\"raft\",\"state\":\"{}\",\"currentTerm\":{},\"votedFor\":{},\"leaderId\":{},\
             \"commitIndex\":{},\"lastApplied\":{},\"log\":",
            ids.quoted[ids.me],
            r.role().as_str(),
            r.current_term(),
            opt(r.voted_for()),
            opt(r.leader_id()),
            r.commit_index(),
            r.last_applied()
        );
        entries_json(out, ids, r.log());
        let _ = write!(out, ",\"snapshotIndex\":{},\"snapshotTerm\":{},\"configIndex\":{}", r.snapshot().index, r.snapshot().term, r.config_index());
        for (key, map) in [("nextIndex", r.next_index()), ("matchIndex", r.match_index())] {
            let _ = write!(out, ",\"{key}\":{{");
            for (k, (name, v)) in map.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}:{v}", ids.quoted_id(*name));
            }
            out.push('}');
        }
        let votes = if r.role() == crate::raft::Role::Candidate { r.votes().len() } else { 0 };
        let _ = write!(out, ",\"votes\":{votes},\"preVotes\":{},\"members\":[", r.pre_vote_count());
        for (k, m) in r.cluster().iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&ids.quoted_id(*m));
        }
        out.push_str("],\"nowMs\":");
        ms(out, self.s.now());
        out.push_str(",\"timers\":[");
        for (k, (t, at)) in self.s.timers().enumerate() {
            if k > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"kind\":\"{}\",\"atMs\":", timer_name(t));
            ms(out, at);
            out.push('}');
        }
        out.push_str("]}");
    }
}

// ---- ConsensusNode --------------------------------------------------------------------------

/// `createConsensus(mechanism, id, peers, options?)`: one node of `mechanism` (`'raft'`,
/// `'paxos'`, `'vote'`, `'pbft'`, `'hotstuff'` or `'gossip'`) named `id` in the cluster `peers` (distinct non-empty strings; it may or may not list
/// `id`, the node is a member either way). The node starts at time 0 with its timers drawn from
/// its seed.
///
/// Raft's `options` (every key optional; others are refused): `seed` (a non-negative integer,
/// default 1; mixed with `id`, so nodes given the same seed draw different timeouts),
/// `electionTimeoutMs` (`[lo, hi]`, default `[150, 300]`, Raft paper §5.2), `heartbeatMs` (50),
/// `preVote` (true, dissertation §9.6), `checkQuorum` (true, §6.2), `maxEntriesPerAppend` (64,
/// or null for no limit), `snapshotInterval` (applied entries between snapshots, §7; default
/// null: never), `batchMs` (null: each command is sent at once), `persisted` (the
/// `persistentState` an earlier run of this node wrote: it comes back from it, as after a crash).
///
/// Paxos's `options` and messages: see `src/wasm/consensus_paxos.rs` (`seed`, `heartbeatMs`,
/// `leaderTimeoutMs`, `backoff`, `backoffMs`).
///
/// PBFT's (`'pbft'`; `peers` are the replicas, the primary of view v is the v mod N-th):
/// `seed`, `checkpointInterval` (10), `viewChangeMs` (300); `propose` takes an operation (this
/// replica as the client) or a whole request `{operation, timestamp, client}`. See
/// `src/wasm/consensus_pbft.rs` for its messages and `pbftDigest`.
///
/// HotStuff's (`'hotstuff'`, Chained HotStuff, Yin et al. PODC 2019; `peers` are the replicas,
/// the leader of view v is the v mod N-th, replicas start in view 1): `seed`, `viewTimeoutMs`
/// (150, the pacemaker's base view timeout, §4.4); `propose` adds a command to the replica's
/// pool and sends it to every other replica (whoever leads next batches it into a block). See
/// `src/wasm/consensus_hotstuff.rs` for its messages (block ids are decimal strings) and
/// `hotstuffBlockId`.
///
/// Voting's `options` (`'vote'`, [`crate::vote`]; every key optional, others refused): `seed`
/// (as for Raft), `quorum` (`'majority'`, the default; `'supermajority'`; `'unanimous'`; a
/// fraction strictly between 0 and 1 such as `0.51`, at least that share of the total weight,
/// rounded up and computed exactly; or a whole count of weight, 1 or more, at most the total),
/// `weights` (`{id: weight}`, integers 0 to 1000000, others 1), `policy` (`'approve'`, the
/// default; `'reject'`; `'manual'`: waits for `vote(proposalId, approve)`; or `{random: p}`,
/// drawn from the seed), `exclusive` (true: a voter approves at most one open proposal per
/// key), `timeout` (ms a proposal stays open, default 5000). See `src/wasm/consensus_vote.rs`
/// for its messages.
///
/// Gossip's (`'gossip'`, Demers et al. PODC 1987; one agent of an epidemic key-value store):
/// `seed`, `mode`, `fanout`, `intervalMs`, `entriesPerExchange`, `antiEntropy`, `rumors`,
/// `deathCertificateMs`, `synchronous`; it writes with `set(key, value)` and `delete(key)` and
/// reads with `get(key)` (`propose` throws). See `src/wasm/consensus_gossip.rs` for its
/// messages (`Digest`, `Reply`, `Entries`, `Rumor`, `RumorAck`, `RumorPull`).
///
/// Throws `Unknown consensus mechanism "nope" (known: raft, paxos, vote, pbft, hotstuff, gossip)` for an unknown mechanism, and an
/// `Error` naming the parameter and the rule for any other bad argument.
#[wasm_bindgen(js_name = createConsensus)]
pub fn create_consensus(mechanism: JsValue, id: JsValue, peers: JsValue, options: JsValue) -> JsResult<ConsensusNode> {
    let name = match mechanism.as_string().as_deref() {
        Some("raft") => "raft",
        Some("paxos") => "paxos",
        Some("vote") => "vote",
        Some("pbft") => "pbft",
        Some("hotstuff") => "hotstuff",
        Some("gossip") => "gossip",
        _ => return Err(JsError::new(&format!("Unknown consensus mechanism {} (known: {KNOWN})", describe(&mechanism)))),
    };
    let ids = Ids::new(&id, &peers)?;
    if name == "paxos" {
        let inner = super::consensus_paxos::create(&ids, &options)?;
        return Ok(ConsensusNode { mechanism: "paxos", ids, last_ms: 0.0, inner });
    }
    if name == "pbft" {
        let inner = super::consensus_pbft::create(&ids, &options)?;
        return Ok(ConsensusNode { mechanism: "pbft", ids, last_ms: 0.0, inner });
    }
    if name == "hotstuff" {
        let inner = super::consensus_hotstuff::create(&ids, &options)?;
        return Ok(ConsensusNode { mechanism: "hotstuff", ids, last_ms: 0.0, inner });
    }
    if name == "gossip" {
        let inner = super::consensus_gossip::create(&ids, &options)?;
        return Ok(ConsensusNode { mechanism: "gossip", ids, last_ms: 0.0, inner });
    }
    if name == "vote" {
        let inner = super::consensus_vote::VoteMechanism::new(&ids, &options)?;
        return Ok(ConsensusNode { mechanism: "vote", ids, last_ms: 0.0, inner: Box::new(inner) });
    }
    let (raft, seed) = raft_options(&options)?;
    let mut ids = ids;
    let mut s = Standalone::new(Raft { options: raft }, ids.me, ids.ids.len(), node_seed(seed, ids.me())).map_err(|e| JsError::new(&e.to_string()))?;
    if !options.is_undefined() && !options.is_null() {
        let persisted = get(&options, "persisted");
        if !persisted.is_undefined() {
            load_persisted(&mut s, &mut ids, &persisted)?;
        }
    }
    Ok(ConsensusNode { mechanism: "raft", ids, last_ms: 0.0, inner: Box::new(RaftMechanism { s, newcomers: Vec::new() }) })
}

/// `options.persisted` (what `persistentState` gave): loaded into the fresh node `s`, which then
/// restarts from it as after a crash (Raft paper Figure 2). Ids it names for the first time
/// join `ids`.
fn load_persisted(s: &mut Standalone<Raft>, ids: &mut Ids, v: &JsValue) -> JsResult<()> {
    const P: &str = "options.persisted";
    object(v, P)?;
    only_fields(v, P, "a persistent state", &["currentTerm", "votedFor", "snapshot", "log"])?;
    let mut new = Newcomers::new(ids);
    let current_term = uint(&get(v, "currentTerm"), &format!("{P}.currentTerm"))?;
    let voted = get(v, "votedFor");
    let voted_for = if voted.is_null() || voted.is_undefined() { None } else { Some(new.index(ids, &string(&voted, &format!("{P}.votedFor"))?)) };
    let sv = get(v, "snapshot");
    let sp = format!("{P}.snapshot");
    object(&sv, &sp)?;
    only_fields(&sv, &sp, "a snapshot", &["index", "term", "data", "config"])?;
    let data = get(&sv, "data");
    let snapshot = Snapshot {
        index: uint(&get(&sv, "index"), &format!("{sp}.index"))?,
        term: uint(&get(&sv, "term"), &format!("{sp}.term"))?,
        data: data.as_string().ok_or_else(|| got(&format!("{sp}.data"), "must be a string", &data))?,
        config: new.members(ids, &get(&sv, "config"), &format!("{sp}.config"))?,
    };
    let list = array(&get(v, "log"), &format!("{P}.log"))?;
    let mut log = Vec::with_capacity(list.length() as usize);
    for (k, e) in list.iter().enumerate() {
        let p = format!("{P}.log[{k}]");
        object(&e, &p)?;
        only_fields(&e, &p, "an entry", &["term", "index", "command"])?;
        let value = get(&e, "command");
        let mut command = command_text(&value, &format!("{p}.command"))?;
        if command.starts_with("{\"$config\":") {
            command = config_entry(ids, &value, &format!("{p}.command"), &mut new)?;
        }
        log.push(LogEntry { term: uint(&get(&e, "term"), &format!("{p}.term"))?, index: uint(&get(&e, "index"), &format!("{p}.index"))?, command: command.into() });
    }
    s.grow(new.base + new.names.len());
    // (the core names its parameter `persisted…`; here it is an option)
    s.configure(|_, n| n.core.load(current_term, voted_for, snapshot, log)).map_err(|e| JsError::new(&format!("options.{e}")))?;
    s.act(|p, n, cx, out| {
        out.push(Effect::CancelTimers);
        p.on_restart(n, cx, out);
    });
    for name in new.names {
        ids.add(&name);
    }
    Ok(())
}

/// One node of a consensus mechanism, driven by hand: the caller carries its messages over any
/// transport and moves its clock (see `createConsensus`).
///
/// `propose`, `handleMessage` and `tick` return the outbox: an array of `{to, message}`, every
/// message the node sent since the last call (never to itself), each a plain JSON-safe object
/// with a `type`. The caller delivers each to `to` with `handleMessage(thisNodesId, message)`;
/// it may lose, duplicate, delay or reorder them. Before sending, a real deployment writes the
/// node's state to stable storage (Raft paper Figure 2: persistent state is "updated on stable
/// storage before responding to RPCs").
///
/// Raft's messages (the paper's RPC names; ids are the caller's):
/// `RequestVote` and `PreVote` `{type, term, candidateId, lastLogIndex, lastLogTerm}`;
/// `RequestVoteResponse` and `PreVoteResponse` `{type, term, voteGranted}`;
/// `AppendEntries` `{type, term, leaderId, prevLogIndex, prevLogTerm, entries: [{term, index,
/// command}], leaderCommit, round}` (`round`, ReadIndex's confirmation round, may be left out:
/// 0); `AppendEntriesResponse` `{type, term, success, matchIndex, round}`; `InstallSnapshot`
/// `{type, term, leaderId, lastIncludedIndex, lastIncludedTerm, data, config}`;
/// `InstallSnapshotResponse` `{type, term, matchIndex}`; `TimeoutNow` `{type, term, leaderId}`.
///
/// Voting's messages: `Proposal` `{type, proposalId, key, value}`, `Vote` `{type, proposalId,
/// approve}`, `Decided` `{type, proposalId, accepted, key, value}` (`proposalId`: `"v1:3"`, the
/// proposer's id and its counter; a `Proposal` or `Decided` must come from that proposer).
///
/// Every method validates all of its input first and throws an `Error` naming the parameter
/// and the rule, leaving the node unchanged.
#[wasm_bindgen]
pub struct ConsensusNode {
    mechanism: &'static str,
    ids: Ids,
    /// The last tick's `nowMs`, as given.
    last_ms: f64,
    inner: Box<dyn Mechanism>,
}

#[wasm_bindgen]
impl ConsensusNode {
    /// The mechanism's name: `'raft'`, `'paxos'`, `'vote'`, `'pbft'`, `'hotstuff'` or `'gossip'`.
    #[wasm_bindgen(getter)]
    pub fn mechanism(&self) -> String {
        self.mechanism.to_string()
    }

    /// This node's id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.ids.me().to_string()
    }

    /// This node's id (the lesson's name for `id`).
    #[wasm_bindgen(getter, js_name = nodeId)]
    pub fn node_id(&self) -> String {
        self.id()
    }

    /// The node's role in its mechanism, as `view.state` gives it: Raft and Paxos
    /// `'follower'`, `'candidate'` or `'leader'`; voting `'voter'` or `'proposer'`; PBFT
    /// `'normal'` or `'view-change'`; HotStuff `'leader'` (it leads its current view) or
    /// `'replica'`; gossip `'infective'` (it holds a hot rumor), `'removed'` or `'susceptible'`
    /// (it holds nothing).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsResult<JsValue> {
        Ok(get(&self.view()?, "state"))
    }

    /// The peers as given to `createConsensus`.
    #[wasm_bindgen(getter)]
    pub fn peers(&self) -> Vec<String> {
        self.ids.peers.clone()
    }

    /// The values this node has decided, in index order: `[{index, value}]` (Raft: the
    /// committed entries it applied; a leader's no-op, §8, decides `null`; entries a snapshot
    /// installed from the leader covers are not listed). Voting: the accepted proposals this
    /// node applied (its own as they settle, others' as their `Decided` arrives), index from 1,
    /// `value` `{key, value, proposalId}`. PBFT: index the sequence number, value the request.
    /// HotStuff: `[{index, value, height, block}]`, one per command of each executed block,
    /// index counting executed commands from 1.
    #[wasm_bindgen(getter)]
    pub fn decisions(&self) -> JsResult<JsValue> {
        let mut out = String::new();
        self.inner.decisions(&self.ids, &mut out);
        parse(&out)
    }

    /// A plain object for display. Raft: `{id, mechanism, state, currentTerm, votedFor,
    /// leaderId, commitIndex, lastApplied, log: [{term, index, command}], snapshotIndex,
    /// snapshotTerm, nextIndex: {id: n}, matchIndex: {id: n}, votes, preVotes, members, nowMs,
    /// timers: [{kind, atMs}]}` (`state`: `'follower'`, `'candidate'` or `'leader'`; `timers`:
    /// the pending ones, `election`, `heartbeat`, `checkQuorum`, `flush`). Voting: `{id,
    /// mechanism, state, weight, policy, exclusive, timeoutMs, values: {key: value},
    /// proposals: [{proposalId, key, value, status}], waiting: [proposalId], quorumRequired,
    /// quorumsIntersect, totalWeight, members, nowMs, timers: [{kind: 'deadline', atMs}]}`
    /// (`state`: `'proposer'` while it has an open proposal, else `'voter'`; `waiting`: the
    /// proposals a manual voter has yet to vote on). PBFT and HotStuff: see
    /// `src/wasm/consensus_pbft.rs` and `src/wasm/consensus_hotstuff.rs`.
    #[wasm_bindgen(getter)]
    pub fn view(&self) -> JsResult<JsValue> {
        let mut out = String::new();
        self.inner.view(&self.ids, &mut out);
        parse(&out)
    }

    /// Proposes `command` (any JSON value) → the outbox. A node that does not lead throws,
    /// naming the leader it knows (`n2 is not the leader; the leader it knows is n1`). Raft
    /// refuses a `{"$config": […]}` object (reserved for membership changes).
    ///
    /// Voting: `propose(key, value)` (`key` a non-empty string, `value` any JSON value) → the
    /// outbox: the proposal to every peer (and the node's own vote, counted at once).
    ///
    /// PBFT: `propose(operation)` is a request with this replica as its client (timestamp one
    /// more than its last); `propose({operation, timestamp, client})` (exactly these keys) a
    /// whole request from any client. Never throws for a well-formed one: a backup forwards it.
    ///
    /// HotStuff: `propose(command)` adds the command to this replica's pool and sends it to every
    /// other replica (whoever leads next batches it into a block). Never throws for a JSON value.
    pub fn propose(&mut self, command: JsValue, value: JsValue) -> JsResult<JsValue> {
        if self.inner.votes() {
            let key = string(&command, "key")?;
            let value = command_text(&value, "value")?;
            self.inner.propose_kv(&self.ids, key, value)?;
            return self.outbox();
        }
        if !value.is_undefined() {
            return Err(invalid("value", format!("must be left out: {}'s propose(command) takes one argument (got {})", self.mechanism, describe(&value))));
        }
        self.inner.propose_js(&self.ids, &command)?;
        self.outbox()
    }

    /// Voting: a `'manual'` voter votes on `proposalId` (`"v1:3"`: the proposer's id, a
    /// colon, its counter) for (`true`) or against (`false`) → the outbox. A proposal it was
    /// not asked about, or already voted on, or whose outcome it knows, is ignored (an empty
    /// outbox). Throws on other mechanisms.
    pub fn vote(&mut self, proposal_id: JsValue, approve: JsValue) -> JsResult<JsValue> {
        self.offers("vote(proposalId, approve)")?;
        self.inner.vote(&self.ids, &proposal_id, &approve)?;
        self.outbox()
    }

    /// Voting: this node's own proposals, oldest first: `[{proposalId, key, value, status}]`
    /// (`status`: `'open'`, `'accepted'`, `'rejected'` or `'timeout'`). Throws on other
    /// mechanisms.
    #[wasm_bindgen(getter)]
    pub fn proposals(&self) -> JsResult<JsValue> {
        self.offers("proposals")?;
        let mut out = String::new();
        self.inner.proposals(&self.ids, &mut out);
        parse(&out)
    }

    /// Voting: the result of this node's proposal `proposalId`: `{proposalId, status,
    /// accepted, key, value, votes: {for, against, total}, quorumRequired, error}` (weights;
    /// `total` is every voter's weight, voted or not; `error` says why when it was not
    /// accepted, null otherwise), or null when this node did not make it. Throws on other
    /// mechanisms.
    pub fn result(&self, proposal_id: JsValue) -> JsResult<JsValue> {
        self.offers("result(proposalId)")?;
        let mut out = String::new();
        self.inner.result(&self.ids, &proposal_id, &mut out)?;
        parse(&out)
    }

    /// Gossip: writes `key` (a non-empty string) = `value` (any JSON value but null) at this
    /// agent → the outbox (usually empty: anti-entropy and rumor mongering send at their next
    /// rounds). A new version `{ts, writer}` (§1.1), and a hot rumor when rumor mongering runs.
    /// Throws on other mechanisms.
    pub fn set(&mut self, key: JsValue, value: JsValue) -> JsResult<JsValue> {
        self.offers_writes("set(key, value)")?;
        let key = string(&key, "key")?;
        if value.is_null() {
            return Err(invalid("value", "must be a JSON value other than null (delete(key) deletes)"));
        }
        let value = command_text(&value, "value")?;
        self.inner.write(&self.ids, key, Some(value))?;
        self.outbox()
    }

    /// Gossip: deletes `key` at this agent: a death certificate (Demers et al. §2.1) that
    /// expires `deathCertificateMs` later → the outbox (usually empty). Throws on other
    /// mechanisms.
    #[wasm_bindgen(js_name = "delete")]
    pub fn delete(&mut self, key: JsValue) -> JsResult<JsValue> {
        self.offers_writes("delete(key)")?;
        let key = string(&key, "key")?;
        self.inner.write(&self.ids, key, None)?;
        self.outbox()
    }

    /// Gossip: the value this agent holds for `key`, or undefined (never heard of, or deleted).
    /// Throws on other mechanisms.
    pub fn get(&self, key: JsValue) -> JsResult<JsValue> {
        self.offers_writes("get(key)")?;
        let key = string(&key, "key")?;
        match self.inner.read(&key) {
            Some(text) => parse(&text),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    fn offers_writes(&self, method: &str) -> JsResult<()> {
        if self.inner.writes() {
            return Ok(());
        }
        Err(JsError::new(&format!("{method} is offered only by 'gossip' nodes (this is a '{}' node)", self.mechanism)))
    }

    fn offers(&self, method: &str) -> JsResult<()> {
        if self.inner.votes() {
            return Ok(());
        }
        Err(JsError::new(&format!("{method} is offered only by 'vote' nodes (this is a '{}' node)", self.mechanism)))
    }

    /// A message from peer `from` arrives → the outbox (the answer, if any, and what follows).
    /// Throws when `from` is not a peer of this node, or the message is malformed: not an
    /// object, an unknown `type`, a missing, mistyped or unknown field, a `candidateId` or
    /// `leaderId` other than `from`, an id outside the cluster (Raft: a configuration entry
    /// `{"$config": [ids]}` or a snapshot's `config` may name servers new to this node, which
    /// then become its peers; see `changeMembership`), entries not numbered one after
    /// another from `prevLogIndex + 1`. A well-typed message that makes no sense (a stale term,
    /// an old entry, a reply to an old request) gets the protocol's answer.
    #[wasm_bindgen(js_name = handleMessage)]
    pub fn handle_message(&mut self, from: JsValue, message: JsValue) -> JsResult<JsValue> {
        let from = self.ids.peer(&from, "from")?;
        self.inner.handle(&self.ids, from, &message)?;
        self.welcome();
        self.outbox()
    }

    /// The decisions after index `after` (a non-negative integer), as `decisions` lists them:
    /// for a caller that applies them as they come and need not read the whole list each time
    /// (Raft picks them in O(log n); the other mechanisms filter the whole list).
    #[wasm_bindgen(js_name = decisionsAfter)]
    pub fn decisions_after(&self, after: JsValue) -> JsResult<JsValue> {
        let after = super::uint(&after, "index")?;
        let mut out = String::new();
        if self.inner.decisions_after(&self.ids, after, &mut out) {
            return parse(&out);
        }
        self.inner.decisions(&self.ids, &mut out);
        let all: js_sys::Array = parse(&out)?.unchecked_into();
        let key = JsValue::from_str("index");
        Ok(all.filter(&mut |d, _, _| js_sys::Reflect::get(&d, &key).ok().and_then(|i| i.as_f64()).is_some_and(|i| i > after as f64)).into())
    }

    /// Raft: log compaction by the caller's state machine (Raft paper §7). `data` (a string,
    /// the caller's encoding of its state after applying every entry through `index`) becomes
    /// the snapshot that replaces the log through `index`: a follower whose nextIndex falls
    /// inside it gets it by InstallSnapshot, and reads it from `snapshot` once `view.snapshotIndex`
    /// moves past what it applied. The decisions through `index` are dropped too (`decisions`
    /// then starts after it). → the outbox (empty).
    ///
    /// Throws (the node unchanged): `index` not an integer after the current snapshot and at most
    /// `view.lastApplied`; `data` not a string. Other mechanisms throw. With the `snapshotInterval`
    /// option the node also compacts by itself, with its own key-value store as the data.
    pub fn compact(&mut self, index: JsValue, data: JsValue) -> JsResult<JsValue> {
        let index = super::uint(&index, "index")?;
        let data = data.as_string().ok_or_else(|| got("data", "must be a string", &data))?;
        self.inner.compact(index, data)?;
        self.outbox()
    }

    /// Raft: the persistent state a server keeps on stable storage (Raft paper Figure 2, and
    /// §7's snapshot): `{currentTerm, votedFor, snapshot: {index, term, data, config}, log:
    /// [{term, index, command}]}`, JSON-safe, ids the caller's. A caller that wants its node to
    /// survive a crash writes it to storage whenever `persistentStamp` has changed, before it
    /// sends the outbox of that call (Figure 2: "updated on stable storage before responding to
    /// RPCs"; a candidate's own vote and a leader's own entries too, before its RequestVote or
    /// AppendEntries leave), and brings the node back with `createConsensus('raft', id, peers,
    /// {persisted})`.
    /// Its size grows with the log: compact (`compact`, `snapshotInterval`) to bound it. Other
    /// mechanisms throw.
    #[wasm_bindgen(getter, js_name = persistentState)]
    pub fn persistent_state(&self) -> JsResult<JsValue> {
        let mut out = String::new();
        self.inner.persistent(&self.ids, &mut out)?;
        parse(&out)
    }

    /// Raft: a short string that changes whenever the persistent state does, cheap to read
    /// after every call (`persistentState` is built whole): currentTerm, votedFor, the last log
    /// entry's index and term, and the snapshot's index. The last entry's index and term name
    /// the whole log: two logs with an entry of the same index and term agree up to it (the Log
    /// Matching Property, Raft paper §5.3). Other mechanisms throw.
    #[wasm_bindgen(getter, js_name = persistentStamp)]
    pub fn persistent_stamp(&self) -> JsResult<String> {
        self.inner.persistent_stamp()
    }

    /// Raft: the latest snapshot, `{index, term, data, config}` (`index` 0: none; `data` the
    /// string given to `compact` or installed from the leader; `config` the members in effect
    /// at `index`). Other mechanisms throw.
    #[wasm_bindgen(getter)]
    pub fn snapshot(&self) -> JsResult<JsValue> {
        let mut out = String::new();
        self.inner.snapshot(&self.ids, &mut out)?;
        parse(&out)
    }

    /// Raft: the leader changes the cluster's configuration to `members` (the caller's ids, the
    /// whole new configuration), which must add or remove exactly one server (dissertation
    /// §4.1) → the outbox. The configuration entry `{"$config": members}` is appended and takes
    /// effect at once on every server that holds it (`view.members`, `view.configIndex`); a new
    /// server catches up from the leader; a removed leader leads until the entry commits, then
    /// steps down. Messages from and to a new server pass from then on (on other nodes, from
    /// the first message naming it).
    ///
    /// Throws (the node unchanged): not an array of distinct non-empty strings; not the leader
    /// (naming the leader it knows); a previous change not committed yet, or no entry of the
    /// leader's term committed yet (§4.1); not exactly one server added or removed. Other
    /// mechanisms throw.
    #[wasm_bindgen(js_name = changeMembership)]
    pub fn change_membership(&mut self, members: JsValue) -> JsResult<JsValue> {
        self.inner.change_members(&self.ids, &members)?;
        self.welcome();
        self.outbox()
    }

    /// Gives the ids the last input named for the first time their indices.
    fn welcome(&mut self) {
        for id in self.inner.take_newcomers() {
            self.ids.add(&id);
        }
    }

    /// Moves the node's clock to `nowMs` (ms since the node was created; never decreasing) and
    /// fires its timers due by then, one by one in deadline order, each at `nowMs` → the outbox.
    /// A timer set during the call fires at a later call.
    pub fn tick(&mut self, now_ms: JsValue) -> JsResult<JsValue> {
        let now = match now_ms.as_f64() {
            Some(f) if f.is_finite() && (0.0..=MAX_NOW_MS).contains(&f) => f,
            _ => return Err(got("nowMs", "must be a number of ms from 0 to 9007199254740", &now_ms)),
        };
        if now < self.last_ms {
            let was = describe(&JsValue::from_f64(self.last_ms));
            return Err(invalid("nowMs", format!("must not go back (was {was}, got {})", describe(&now_ms))));
        }
        self.inner.tick((now * 1000.0).round() as Micros)?;
        self.last_ms = now;
        self.outbox()
    }

    fn outbox(&mut self) -> JsResult<JsValue> {
        let mut out = String::new();
        self.inner.outbox(&self.ids, &mut out);
        parse(&out)
    }
}
