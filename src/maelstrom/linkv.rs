//! Raft or Multi-Paxos servers for Maelstrom's `lin-kv` workload (jepsen-io/maelstrom
//! `doc/workloads.md`: `read {key}` → `read_ok {value}`, `write {key, value}` → `write_ok`,
//! `cas {key, from, to}` → `cas_ok`), sans-IO like [`super::node::Node`]: the protocol's
//! [`Protocol`] with its key-value store and client sessions ([`crate::raft::Raft`],
//! [`crate::paxos::Paxos`]) in a [`Standalone`] driver; the caller passes lines and the time.
//!
//! - A request becomes a key-value command (keys and values as their JSON text) from client
//!   `c<k>` (id k; other names hashed), sequence number its `msg_id`; the node answers when
//!   Raft answers: a write or cas once committed and applied, a read by ReadIndex (dissertation
//!   §6.4; Paxos: through the log). Linearizable, as the simulator's checker holds both to be.
//! - Errors (Maelstrom's codes): 20 key-does-not-exist (a read of a missing key), 22
//!   precondition-failed (a cas that did not swap: the key is missing or holds another value;
//!   both are definite failures to Maelstrom's checker), 11 temporarily-unavailable (this node
//!   does not lead; the text names the leader it knows; the client tries another node), 10
//!   not-supported (another type), 12 malformed-request.
//! - Between servers, the protocol's messages as bodies `raft_<kind>` (`raft_AppendEntries`,
//!   …) or `paxos_<kind>` (`paxos_Accept`, …) with their fields in snake case; Raft's log
//!   entries `[term, index, command]`, Paxos's ballots `[round, node]` and accepted entries
//!   `[slot, ballot, value]`; node ids as names ([`Wire`]).

use serde_json::{json, Value};

use super::node::code;
use super::Process;
use crate::error::Result;
use crate::kv::{ClientId, Command, Op};
use crate::node::Standalone;
use crate::paxos::{self, AcceptedEntry, Ballot, Paxos};
use crate::protocol::{Answer, ClientCall, Micros, NodeId, Protocol};
use crate::raft::{
    AppendEntriesArgs, AppendEntriesReply, InstallSnapshotArgs, InstallSnapshotReply, LogEntry, Payload, Raft, RequestVoteArgs, RequestVoteReply, Snapshot,
    TimeoutNowArgs,
};

/// Maelstrom's `key-does-not-exist`.
pub const KEY_DOES_NOT_EXIST: u64 = 20;
/// Maelstrom's `precondition-failed`.
pub const PRECONDITION_FAILED: u64 = 22;

/// A protocol that can serve `lin-kv`: its default settings and its messages as JSON bodies.
pub trait Wire: Protocol {
    /// `raft` or `paxos`: the bodies' type prefix (`raft_AppendEntries`).
    const NAME: &'static str;
    /// The protocol with its default settings (for real time: the simulator's defaults).
    fn with_defaults() -> Self;
    /// The message as a body (its `type` set to `<NAME>_<kind>`), node ids as `names`.
    fn encode(names: &[String], m: &Self::Msg) -> Value;
    /// A body of type `<NAME>_<kind>` back to the message (None: not one `encode` writes).
    fn decode(names: &[String], kind: &str, body: &Value) -> Option<Self::Msg>;
}

impl Wire for Raft {
    const NAME: &'static str = "raft";
    fn with_defaults() -> Self {
        Raft { options: crate::raft::Config::default().split().1 }
    }
    fn encode(names: &[String], m: &Payload) -> Value {
        encode(names, m)
    }
    fn decode(names: &[String], kind: &str, body: &Value) -> Option<Payload> {
        decode(names, kind, body)
    }
}

impl Wire for Paxos {
    const NAME: &'static str = "paxos";
    fn with_defaults() -> Self {
        Paxos { options: paxos::Options::default() }
    }
    fn encode(names: &[String], m: &paxos::Msg) -> Value {
        let name = |i: NodeId| names.get(i).cloned().unwrap_or_default();
        let ballot = |b: &Ballot| json!([b.round, name(b.node)]);
        let mut body = match m {
            paxos::Msg::Prepare { ballot: b } => json!({ "ballot": ballot(b) }),
            paxos::Msg::Promise { ballot: b, accepted } => json!({
                "ballot": ballot(b),
                "accepted": accepted.iter().map(|e| json!([e.slot, ballot(&e.ballot), e.value])).collect::<Vec<_>>(),
            }),
            paxos::Msg::Accept { ballot: b, slot, value } | paxos::Msg::Accepted { ballot: b, slot, value } | paxos::Msg::Commit { ballot: b, slot, value } => {
                json!({ "ballot": ballot(b), "slot": slot, "value": value })
            }
            paxos::Msg::Nack { ballot: b, promised } => json!({ "ballot": ballot(b), "promised": ballot(promised) }),
            paxos::Msg::Heartbeat { ballot: b, chosen_through } => json!({ "ballot": ballot(b), "chosen_through": chosen_through }),
            paxos::Msg::CatchUp { next } => json!({ "next": next }),
            paxos::Msg::Forward { value } => json!({ "value": value }),
        };
        body["type"] = json!(format!("paxos_{}", m.kind()));
        body
    }
    fn decode(names: &[String], kind: &str, b: &Value) -> Option<paxos::Msg> {
        let ballot = |v: &Value| Some(Ballot { round: super::safe_u64(&v[0])?, node: v[1].as_str().and_then(|s| names.iter().position(|n| n == s))? });
        let text = |k: &str| b[k].as_str().map(str::to_string);
        Some(match kind {
            "Prepare" => paxos::Msg::Prepare { ballot: ballot(&b["ballot"])? },
            "Promise" => paxos::Msg::Promise {
                ballot: ballot(&b["ballot"])?,
                accepted: b["accepted"]
                    .as_array()?
                    .iter()
                    .map(|e| Some(AcceptedEntry { slot: super::safe_u64(&e[0])?, ballot: ballot(&e[1])?, value: e[2].as_str()?.to_string() }))
                    .collect::<Option<Vec<_>>>()?,
            },
            "Accept" => paxos::Msg::Accept { ballot: ballot(&b["ballot"])?, slot: super::safe_u64(&b["slot"])?, value: text("value")? },
            "Accepted" => paxos::Msg::Accepted { ballot: ballot(&b["ballot"])?, slot: super::safe_u64(&b["slot"])?, value: text("value")? },
            "Commit" => paxos::Msg::Commit { ballot: ballot(&b["ballot"])?, slot: super::safe_u64(&b["slot"])?, value: text("value")? },
            "Nack" => paxos::Msg::Nack { ballot: ballot(&b["ballot"])?, promised: ballot(&b["promised"])? },
            "Heartbeat" => paxos::Msg::Heartbeat { ballot: ballot(&b["ballot"])?, chosen_through: super::safe_u64(&b["chosen_through"])? },
            "CatchUp" => paxos::Msg::CatchUp { next: super::safe_u64(&b["next"])? },
            "Forward" => paxos::Msg::Forward { value: text("value")? },
            _ => return None,
        })
    }
}

/// A Raft or Paxos server behind Maelstrom's `lin-kv` protocol. Times are µs on the caller's
/// clock.
pub struct KvNode<P: Wire> {
    seed: u64,
    names: Vec<String>,
    node: Option<Standalone<P>>,
    /// Clients by index (`ClientCall::client`): their names.
    clients: Vec<String>,
    /// Requests awaiting Raft's answer: client index, seq (the msg_id), the request's type.
    pending: Vec<(usize, u64, &'static str)>,
    next_msg_id: u64,
    log: Vec<String>,
}

impl<P: Wire> KvNode<P> {
    /// A node not yet initialized; `seed` seeds its RNG (mixed with its index at `init`).
    pub fn new(seed: u64) -> KvNode<P> {
        KvNode { seed, names: Vec::new(), node: None, clients: Vec::new(), pending: Vec::new(), next_msg_id: 0, log: Vec::new() }
    }

    fn init(&mut self, now: Micros, body: &Value) -> Result<()> {
        let me = body["node_id"].as_str().unwrap_or_default().to_string();
        let mut names: Vec<String> = body["node_ids"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
        if !names.contains(&me) {
            names.push(me.clone());
        }
        let i = names.iter().position(|n| *n == me).expect("pushed above");
        let mut node = Standalone::new(P::with_defaults(), i, names.len(), self.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))?;
        node.set_keep_replies(true);
        node.tick(now)?;
        self.log.push(format!("{me} initialized ({}), {} nodes", P::NAME, names.len()));
        self.node = Some(node);
        self.names = names;
        Ok(())
    }

    fn client(&mut self, name: &str) -> (usize, ClientId) {
        let i = match self.clients.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                self.clients.push(name.to_string());
                self.clients.len() - 1
            }
        };
        let id = name.strip_prefix('c').and_then(|k| k.parse::<ClientId>().ok()).unwrap_or_else(|| {
            // FNV-1a of the name, above the range of numbered clients.
            let h = name.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
            h | 0x8000_0000
        });
        (i, id)
    }

    fn advance(&mut self, now: Micros) {
        if let Some(node) = self.node.as_mut() {
            let now = now.max(node.now());
            if let Err(e) = node.tick(now) {
                self.log.push(format!("tick refused: {e}"));
            }
        }
    }

    /// Raft's outbox as lines, and its answers to clients as replies.
    fn drain(&mut self, lines: &mut Vec<String>) {
        let Some(node) = self.node.as_mut() else { return };
        let me = node.me();
        let outbox = node.take_outbox();
        let replies = node.take_replies();
        for (to, m) in outbox {
            let Some(dest) = self.names.get(to) else { continue };
            lines.push(json!({ "src": self.names[me], "dest": dest, "body": P::encode(&self.names, &m) }).to_string());
        }
        for (client, seq, answer) in replies {
            let Some(k) = self.pending.iter().position(|&(c, s, _)| c == client && s == seq) else { continue };
            let (_, _, kind) = self.pending.remove(k);
            let dest = self.clients[client].clone();
            let body = match answer {
                Answer::Redirect(leader) => {
                    let text = match leader.and_then(|l| self.names.get(l)) {
                        Some(l) => format!("not the leader; {l} leads, as far as this node knows"),
                        None => "not the leader, and no leader known".to_string(),
                    };
                    json!({ "type": "error", "code": code::TEMPORARILY_UNAVAILABLE, "text": text })
                }
                Answer::Done(out) => match kind {
                    "read" => match out.value.and_then(|v| serde_json::from_str::<Value>(&v).ok()) {
                        Some(v) => json!({ "type": "read_ok", "value": v }),
                        None => json!({ "type": "error", "code": KEY_DOES_NOT_EXIST, "text": "no such key" }),
                    },
                    "write" => json!({ "type": "write_ok" }),
                    _ if out.ok => json!({ "type": "cas_ok" }),
                    _ => json!({ "type": "error", "code": PRECONDITION_FAILED, "text": "the key is missing or holds another value" }),
                },
            };
            self.reply(lines, &dest, Some(seq), body);
        }
    }

    fn reply(&mut self, lines: &mut Vec<String>, dest: &str, in_reply_to: Option<u64>, body: Value) {
        let src = self.node.as_ref().and_then(|n| self.names.get(n.me())).cloned().unwrap_or_default();
        lines.push(super::reply_line(&mut self.next_msg_id, &src, dest, in_reply_to, body));
    }

    fn error(&mut self, lines: &mut Vec<String>, dest: &str, in_reply_to: Option<u64>, code: u64, text: &str) {
        self.log.push(format!("error {code} to {dest}: {text}"));
        self.reply(lines, dest, in_reply_to, json!({ "type": "error", "code": code, "text": text }));
    }
}

impl<P: Wire> Process for KvNode<P> {
    fn handle(&mut self, now: Micros, line: &str) -> Vec<String> {
        let mut lines = Vec::new();
        self.advance(now);
        self.drain(&mut lines);
        let Some(super::Envelope { src, msg_id, kind, body }) = super::Envelope::parse(line) else {
            self.log.push(format!("not JSON, ignored: {line}"));
            return lines;
        };
        let body = &body;
        let Some(kind) = kind.as_deref() else {
            self.error(&mut lines, &src, msg_id, code::MALFORMED_REQUEST, "a body needs a type");
            return lines;
        };
        if kind == "init" {
            if let Err(e) = self.init(now, body) {
                self.error(&mut lines, &src, msg_id, code::MALFORMED_REQUEST, &e.to_string());
                return lines;
            }
            self.drain(&mut lines);
            self.reply(&mut lines, &src, msg_id, json!({ "type": "init_ok" }));
            return lines;
        }
        if self.node.is_none() {
            self.error(&mut lines, &src, msg_id, code::TEMPORARILY_UNAVAILABLE, "not initialized yet (init comes first)");
            return lines;
        }
        if let Some(raft_kind) = kind.strip_prefix(P::NAME).and_then(|k| k.strip_prefix('_')) {
            let Some(from) = self.names.iter().position(|n| *n == src) else {
                self.log.push(format!("{kind} from an unknown node {src}, ignored"));
                return lines;
            };
            match P::decode(&self.names, raft_kind, body) {
                Some(m) => {
                    if let Err(e) = self.node.as_mut().expect("checked").on_msg(from, m) {
                        self.log.push(format!("{kind} from {src} refused: {e}"));
                    }
                }
                None => self.log.push(format!("{kind} from {src} not understood, ignored")),
            }
            self.drain(&mut lines);
            return lines;
        }
        let text = |v: &Value| v.to_string();
        let op = match kind {
            "read" => body.get("key").map(|k| Op::Get { key: text(k) }),
            "write" => body.get("key").zip(body.get("value")).map(|(k, v)| Op::Put { key: text(k), value: text(v) }),
            "cas" => match (body.get("key"), body.get("from"), body.get("to")) {
                (Some(k), Some(f), Some(t)) => Some(Op::Cas { key: text(k), from: text(f), to: text(t) }),
                _ => None,
            },
            other => {
                let t = format!("unknown message type {other:?} (this node serves init, read, write and cas)");
                self.error(&mut lines, &src, msg_id, code::NOT_SUPPORTED, &t);
                return lines;
            }
        };
        let (Some(op), Some(seq)) = (op, msg_id) else {
            self.error(&mut lines, &src, msg_id, code::MALFORMED_REQUEST, "read needs key; write key and value; cas key, from and to; and a msg_id");
            return lines;
        };
        let (client, id) = self.client(&src);
        let kind: &'static str = match op {
            Op::Get { .. } => "read",
            Op::Put { .. } => "write",
            _ => "cas",
        };
        self.pending.push((client, seq, kind));
        let call = ClientCall { client, id, command: Command { client: id, seq, op } };
        self.node.as_mut().expect("checked").act(|p, n, cx, out| p.on_client(n, cx, call, out));
        self.drain(&mut lines);
        lines
    }

    fn tick(&mut self, now: Micros) -> Vec<String> {
        let mut lines = Vec::new();
        self.advance(now);
        self.drain(&mut lines);
        lines
    }

    fn next_deadline(&self) -> Option<Micros> {
        self.node.as_ref().and_then(Standalone::next_deadline)
    }

    fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }
}

fn entry_json(e: &LogEntry) -> Value {
    json!([e.term, e.index, e.command.as_str()])
}

/// Raft's message as a Maelstrom body: `raft_<kind>` and its fields (ids as names).
fn encode(names: &[String], m: &Payload) -> Value {
    let name = |i: NodeId| names.get(i).cloned().unwrap_or_default();
    let vote_args = |a: &RequestVoteArgs| json!({ "term": a.term, "candidate_id": name(a.candidate_id), "last_log_index": a.last_log_index, "last_log_term": a.last_log_term });
    let vote_reply = |r: &RequestVoteReply| json!({ "term": r.term, "vote_granted": r.vote_granted });
    let mut body = match m {
        Payload::RequestVote(a) | Payload::PreVote(a) => vote_args(a),
        Payload::RequestVoteResponse(r) | Payload::PreVoteResponse(r) => vote_reply(r),
        Payload::TimeoutNow(a) => json!({ "term": a.term, "leader_id": name(a.leader_id) }),
        Payload::InstallSnapshot(a) => json!({
            "term": a.term, "leader_id": name(a.leader_id),
            "snapshot": { "index": a.snapshot.index, "term": a.snapshot.term, "data": a.snapshot.data, "config": a.snapshot.config.iter().map(|&i| name(i)).collect::<Vec<_>>() },
        }),
        Payload::InstallSnapshotResponse(r) => json!({ "term": r.term, "match_index": r.match_index }),
        Payload::AppendEntries(a) => json!({
            "term": a.term, "leader_id": name(a.leader_id), "prev_log_index": a.prev_log_index, "prev_log_term": a.prev_log_term,
            "entries": a.entries.iter().map(entry_json).collect::<Vec<_>>(), "leader_commit": a.leader_commit, "round": a.round,
        }),
        Payload::AppendEntriesResponse(r) => json!({ "term": r.term, "success": r.success, "match_index": r.match_index, "round": r.round }),
    };
    body["type"] = json!(format!("raft_{}", m.kind()));
    body
}

/// A body `raft_<kind>` back to Raft's message (None: not one [`encode`] writes).
fn decode(names: &[String], kind: &str, b: &Value) -> Option<Payload> {
    let id = |v: &Value| v.as_str().and_then(|s| names.iter().position(|n| n == s));
    let u = |k: &str| super::safe_u64(&b[k]);
    let vote_args = || Some(RequestVoteArgs { term: u("term")?, candidate_id: id(&b["candidate_id"])?, last_log_index: u("last_log_index")?, last_log_term: u("last_log_term")? });
    let vote_reply = || Some(RequestVoteReply { term: u("term")?, vote_granted: b["vote_granted"].as_bool()? });
    Some(match kind {
        "RequestVote" => Payload::RequestVote(vote_args()?),
        "PreVote" => Payload::PreVote(vote_args()?),
        "RequestVoteResponse" => Payload::RequestVoteResponse(vote_reply()?),
        "PreVoteResponse" => Payload::PreVoteResponse(vote_reply()?),
        "TimeoutNow" => Payload::TimeoutNow(TimeoutNowArgs { term: u("term")?, leader_id: id(&b["leader_id"])? }),
        "InstallSnapshot" => {
            let s = &b["snapshot"];
            let config = s["config"].as_array()?.iter().map(id).collect::<Option<Vec<_>>>()?;
            let snapshot = Snapshot { index: super::safe_u64(&s["index"])?, term: super::safe_u64(&s["term"])?, data: s["data"].as_str()?.to_string(), config };
            Payload::InstallSnapshot(InstallSnapshotArgs { term: u("term")?, leader_id: id(&b["leader_id"])?, snapshot })
        }
        "InstallSnapshotResponse" => Payload::InstallSnapshotResponse(InstallSnapshotReply { term: u("term")?, match_index: u("match_index")? }),
        "AppendEntries" => {
            let entries = b["entries"]
                .as_array()?
                .iter()
                .map(|e| Some(LogEntry { term: super::safe_u64(&e[0])?, index: super::safe_u64(&e[1])?, command: e[2].as_str()?.into() }))
                .collect::<Option<Vec<_>>>()?;
            Payload::AppendEntries(AppendEntriesArgs {
                term: u("term")?,
                leader_id: id(&b["leader_id"])?,
                prev_log_index: u("prev_log_index")?,
                prev_log_term: u("prev_log_term")?,
                entries,
                leader_commit: u("leader_commit")?,
                round: u("round")?,
            })
        }
        "AppendEntriesResponse" => Payload::AppendEntriesResponse(AppendEntriesReply { term: u("term")?, success: b["success"].as_bool()?, match_index: u("match_index")?, round: u("round")? }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raft_and_paxos_messages_survive_the_json_round_trip() {
        let names: Vec<String> = ["n1", "n2", "n3"].iter().map(|s| s.to_string()).collect();
        let msgs = [
            Payload::RequestVote(RequestVoteArgs { term: 3, candidate_id: 1, last_log_index: 4, last_log_term: 2 }),
            Payload::PreVoteResponse(RequestVoteReply { term: 3, vote_granted: true }),
            Payload::AppendEntries(AppendEntriesArgs {
                term: 3,
                leader_id: 2,
                prev_log_index: 1,
                prev_log_term: 1,
                entries: vec![LogEntry { term: 3, index: 2, command: "{\"put\":1}".into() }],
                leader_commit: 1,
                round: 7,
            }),
            Payload::AppendEntriesResponse(AppendEntriesReply { term: 3, success: false, match_index: 0, round: 7 }),
            Payload::InstallSnapshot(InstallSnapshotArgs { term: 4, leader_id: 0, snapshot: Snapshot { index: 9, term: 4, data: "d \"k\" \"v\"\n".into(), config: vec![0, 2] } }),
            Payload::InstallSnapshotResponse(InstallSnapshotReply { term: 4, match_index: 9 }),
            Payload::TimeoutNow(TimeoutNowArgs { term: 5, leader_id: 1 }),
        ];
        for m in msgs {
            let body = encode(&names, &m);
            let text = body.to_string();
            let back: Value = serde_json::from_str(&text).unwrap();
            let kind = back["type"].as_str().unwrap().strip_prefix("raft_").unwrap();
            assert_eq!(decode(&names, kind, &back), Some(m));
        }
        let msgs = [
            paxos::Msg::Prepare { ballot: Ballot { round: 2, node: 1 } },
            paxos::Msg::Promise { ballot: Ballot { round: 2, node: 1 }, accepted: vec![AcceptedEntry { slot: 3, ballot: Ballot { round: 1, node: 0 }, value: "null".into() }] },
            paxos::Msg::Accept { ballot: Ballot { round: 2, node: 1 }, slot: 4, value: "{\"k\":1}".into() },
            paxos::Msg::Accepted { ballot: Ballot { round: 2, node: 1 }, slot: 4, value: "x".into() },
            paxos::Msg::Commit { ballot: Ballot { round: 2, node: 1 }, slot: 4, value: "x".into() },
            paxos::Msg::Nack { ballot: Ballot { round: 2, node: 1 }, promised: Ballot { round: 3, node: 2 } },
            paxos::Msg::Heartbeat { ballot: Ballot { round: 2, node: 1 }, chosen_through: 4 },
            paxos::Msg::CatchUp { next: 5 },
            paxos::Msg::Forward { value: "y".into() },
        ];
        for m in msgs {
            let back: Value = serde_json::from_str(&Paxos::encode(&names, &m).to_string()).unwrap();
            let kind = back["type"].as_str().unwrap().strip_prefix("paxos_").unwrap();
            assert_eq!(Paxos::decode(&names, kind, &back), Some(m));
        }
    }
}
