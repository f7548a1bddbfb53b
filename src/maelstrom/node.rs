//! One broadcast server speaking Maelstrom's protocol (jepsen-io/maelstrom `doc/protocol.md`,
//! `doc/workloads.md`), sans-IO: [`Node::handle`] takes one line of stdin (a message
//! `{"src", "dest", "body"}`) and the time, [`Node::tick`] fires the timers that are due, and
//! both return the lines to write to stdout; [`Node::next_deadline`] says when to tick next.
//! The caller (`consensus-sim maelstrom-node`) owns stdin, stdout and the clock; the core's
//! RNG is seeded from what the caller passes and the node's index.
//!
//! Bodies served: `init` → `init_ok` (the node's id and every id, in order: node `i` of the
//! list is the core's id `i`), `topology` → `topology_ok`, `broadcast` → `broadcast_ok`,
//! `read` → `read_ok {messages}`. Replies carry `in_reply_to` (the request's `msg_id`) and a
//! `msg_id` of their own. Between servers, the core's messages as bodies without `msg_id`
//! (no replies): `bc_push {entries}`, `bc_digest {digest}`, `bc_reply {entries, want}`,
//! `bc_entries {entries}`; an entry is `[key, ts, writer]` (the value's gossip key and
//! version, the writer by id), a digest item the same. Any other type gets an `error` body
//! with code 10 (not-supported); a request before `init` gets code 11
//! (temporarily-unavailable); a body without a type, or a broadcast without a `message`,
//! code 12 (malformed-request).

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde_json::{json, Value};

use super::broadcast::{Broadcast, Msg, Options, Server, Timer};
use super::{key_of, value_of};
use crate::error::Result;
use crate::gossip::{self, Entry, Exchange, Version};
use crate::protocol::{Ctx, Delay, Effect, Micros, NodeId, Out, Protocol};

/// Maelstrom's error codes that a broadcast server sends (`resources/errors.edn`).
pub mod code {
    /// `temporarily-unavailable`: try again later (here: before `init`).
    pub const TEMPORARILY_UNAVAILABLE: u64 = 11;
    /// `not-supported`: the request's type is unknown.
    pub const NOT_SUPPORTED: u64 = 10;
    /// `malformed-request`: the body is missing a field it needs.
    pub const MALFORMED_REQUEST: u64 = 12;
}

/// A broadcast server behind Maelstrom's protocol. Times are µs on the caller's clock
/// (any origin; they only move forward).
pub struct Node {
    proto: Broadcast,
    /// Use every node as a neighbour, whatever `topology` says.
    ignore_topology: bool,
    seed: u64,
    /// After `init`: this node, every node's id, the server and its RNG.
    me: NodeId,
    names: Vec<String>,
    server: Option<Server>,
    rng: Pcg64Mcg,
    next_msg_id: u64,
    /// Running timers: deadline, kind.
    timers: Vec<(Micros, Timer)>,
    out: Out<Broadcast>,
    log: Vec<String>,
}

impl Node {
    /// A node following `options`, not yet initialized; `seed` seeds its RNG (mixed with the
    /// node's index at `init`); with `ignore_topology` every node is a neighbour (`total`),
    /// whatever `topology` message comes. Errors: options breaking [`Options::validate`].
    pub fn new(options: Options, seed: u64, ignore_topology: bool) -> Result<Node> {
        Ok(Node {
            proto: Broadcast::new(options, Vec::new())?,
            ignore_topology,
            seed,
            me: 0,
            names: Vec::new(),
            server: None,
            rng: Pcg64Mcg::seed_from_u64(seed),
            next_msg_id: 0,
            timers: Vec::new(),
            out: Out::new(),
            log: Vec::new(),
        })
    }

    /// The values this node holds, decoded, in key order (empty before `init`).
    pub fn values(&self) -> Vec<Value> {
        self.server.as_ref().map_or_else(Vec::new, |s| s.keys().filter_map(value_of).collect())
    }

    /// When the earliest timer is due, µs (None: none runs).
    pub fn next_deadline(&self) -> Option<Micros> {
        self.timers.iter().map(|t| t.0).min()
    }

    /// Lines for stderr written since the last call.
    pub fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }

    /// Handles one line of input at `now`; returns the lines to write (messages as JSON).
    pub fn handle(&mut self, now: Micros, line: &str) -> Vec<String> {
        let mut lines = Vec::new();
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            self.log.push(format!("not JSON, ignored: {line}"));
            return lines;
        };
        let src = msg["src"].as_str().unwrap_or_default().to_string();
        let body = &msg["body"];
        let msg_id = body["msg_id"].as_u64();
        let Some(kind) = body["type"].as_str() else {
            self.error(&mut lines, &src, msg_id, code::MALFORMED_REQUEST, "a body needs a type");
            return lines;
        };
        if kind == "init" {
            self.init(now, body, &mut lines);
            self.reply(&mut lines, &src, msg_id, json!({ "type": "init_ok" }));
            return lines;
        }
        if self.server.is_none() {
            self.error(&mut lines, &src, msg_id, code::TEMPORARILY_UNAVAILABLE, "not initialized yet (init comes first)");
            return lines;
        }
        match kind {
            "topology" => {
                if !self.ignore_topology {
                    let graph = self.names.iter().map(|name| self.ids(&body["topology"][name])).collect();
                    self.proto.set_topology(graph);
                }
                self.reply(&mut lines, &src, msg_id, json!({ "type": "topology_ok" }));
            }
            "broadcast" => {
                let Some(value) = body.get("message") else {
                    self.error(&mut lines, &src, msg_id, code::MALFORMED_REQUEST, "a broadcast needs a message");
                    return lines;
                };
                let key = key_of(value);
                self.with_server(now, &mut lines, |p, s, cx, out| {
                    p.broadcast(s, cx, &key, out);
                });
                self.reply(&mut lines, &src, msg_id, json!({ "type": "broadcast_ok" }));
            }
            "read" => {
                let values = self.values();
                self.reply(&mut lines, &src, msg_id, json!({ "type": "read_ok", "messages": values }));
            }
            "bc_push" | "bc_digest" | "bc_reply" | "bc_entries" => {
                let Some(from) = self.names.iter().position(|n| *n == src) else {
                    self.log.push(format!("{kind} from an unknown node {src}, ignored"));
                    return lines;
                };
                let m = match kind {
                    "bc_push" => Msg::Push { entries: self.entries(&body["entries"]) },
                    "bc_digest" => Msg::Sync(gossip::Msg::Digest { exchange: Exchange::PushPull, digest: self.entries(&body["digest"]).into_iter().map(|(k, e)| (k, e.version)).collect() }),
                    "bc_reply" => Msg::Sync(gossip::Msg::Reply {
                        entries: self.entries(&body["entries"]),
                        want: body["want"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect()),
                    }),
                    _ => Msg::Sync(gossip::Msg::Entries { entries: self.entries(&body["entries"]) }),
                };
                self.with_server(now, &mut lines, |p, s, cx, out| {
                    p.on_msg(s, cx, from, m, out);
                });
            }
            other => {
                let text = format!("unknown message type {other:?} (this node serves init, topology, broadcast and read)");
                self.error(&mut lines, &src, msg_id, code::NOT_SUPPORTED, &text);
            }
        }
        lines
    }

    /// Fires every timer due at `now`, earliest first; returns the lines to write.
    pub fn tick(&mut self, now: Micros) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(i) = (0..self.timers.len()).filter(|&i| self.timers[i].0 <= now).min_by_key(|&i| self.timers[i].0) {
            let (_, timer) = self.timers.remove(i);
            self.with_server(now, &mut lines, |p, s, cx, out| p.on_timer(s, cx, timer, out));
        }
        lines
    }

    fn init(&mut self, now: Micros, body: &Value, lines: &mut Vec<String>) {
        let me = body["node_id"].as_str().unwrap_or_default().to_string();
        self.names = body["node_ids"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
        if !self.names.contains(&me) {
            self.names.push(me.clone());
        }
        self.me = self.names.iter().position(|n| *n == me).expect("pushed above");
        self.rng = Pcg64Mcg::seed_from_u64(self.seed ^ (self.me as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let n = self.names.len();
        // Until a topology comes, every node is a neighbour.
        self.proto.set_topology((0..n).map(|i| (0..n).filter(|&j| j != i).collect()).collect());
        self.timers.clear();
        self.server = Some(self.proto.new_node(self.me, &(0..n).collect::<Vec<_>>()));
        self.with_server(now, lines, |p, s, cx, out| p.on_start(s, cx, out));
        self.log.push(format!("{me} initialized, {n} nodes"));
    }

    /// Ids of the names in a JSON list (unknown names left out).
    fn ids(&self, list: &Value) -> Vec<NodeId> {
        list.as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|v| v.as_str()).filter_map(|s| self.names.iter().position(|n| n == s)).collect())
    }

    fn entries(&self, list: &Value) -> Vec<(String, Entry)> {
        let Some(items) = list.as_array() else { return Vec::new() };
        items
            .iter()
            .filter_map(|item| {
                let key = item[0].as_str()?.to_string();
                let ts = item[1].as_u64()?;
                let writer = self.names.iter().position(|n| Some(n.as_str()) == item[2].as_str())?;
                Some((key, Entry { version: Version { ts, writer }, value: Some(String::new()), expires_us: 0 }))
            })
            .collect()
    }

    fn entry_json(&self, key: &str, v: Version) -> Value {
        json!([key, v.ts, self.names.get(v.writer).map_or("", String::as_str)])
    }

    /// Runs `f` on the server with a context at `now`, then applies its effects.
    fn with_server(&mut self, now: Micros, lines: &mut Vec<String>, f: impl FnOnce(&Broadcast, &mut Server, &mut Ctx, &mut Out<Broadcast>)) {
        let Some(server) = self.server.as_mut() else { return };
        let mut cx = Ctx { me: self.me, now, nodes: self.names.len(), rng: &mut self.rng };
        f(&self.proto, server, &mut cx, &mut self.out);
        for e in self.out.take() {
            match e {
                Effect::Send(to, m) => {
                    let body = match m {
                        Msg::Push { entries } => json!({ "type": "bc_push", "entries": entries.iter().map(|(k, e)| self.entry_json(k, e.version)).collect::<Vec<_>>() }),
                        Msg::Sync(gossip::Msg::Digest { digest, .. }) => json!({ "type": "bc_digest", "digest": digest.iter().map(|(k, v)| self.entry_json(k, *v)).collect::<Vec<_>>() }),
                        Msg::Sync(gossip::Msg::Reply { entries, want }) => json!({ "type": "bc_reply", "entries": entries.iter().map(|(k, e)| self.entry_json(k, e.version)).collect::<Vec<_>>(), "want": want }),
                        Msg::Sync(gossip::Msg::Entries { entries }) => json!({ "type": "bc_entries", "entries": entries.iter().map(|(k, e)| self.entry_json(k, e.version)).collect::<Vec<_>>() }),
                        Msg::Sync(_) => continue,
                    };
                    let Some(dest) = self.names.get(to) else { continue };
                    lines.push(json!({ "src": self.names[self.me], "dest": dest, "body": body }).to_string());
                }
                Effect::SetTimer(t, d) => {
                    let after = match d {
                        Delay::After(us) => us,
                        Delay::Uniform(lo, hi) => self.rng.random_range(lo..=hi),
                    };
                    self.timers.push((now.saturating_add(after), t));
                }
                Effect::CancelTimer(t) => self.timers.retain(|x| x.1 != t),
                Effect::CancelTimers => self.timers.clear(),
                Effect::Note(note) => self.log.push(self.proto.describe(&note, &self.names)),
                _ => {}
            }
        }
    }

    fn reply(&mut self, lines: &mut Vec<String>, dest: &str, in_reply_to: Option<u64>, mut body: Value) {
        self.next_msg_id += 1;
        body["msg_id"] = json!(self.next_msg_id);
        if let Some(id) = in_reply_to {
            body["in_reply_to"] = json!(id);
        }
        let src = self.names.get(self.me).cloned().unwrap_or_default();
        lines.push(json!({ "src": src, "dest": dest, "body": body }).to_string());
    }

    fn error(&mut self, lines: &mut Vec<String>, dest: &str, in_reply_to: Option<u64>, code: u64, text: &str) {
        self.log.push(format!("error {code} to {dest}: {text}"));
        self.reply(lines, dest, in_reply_to, json!({ "type": "error", "code": code, "text": text }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_broadcast_read_and_an_unknown_type() {
        let mut n = Node::new(Options::default(), 1, false).unwrap();
        let out = n.handle(0, r#"{"src":"c1","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}}"#);
        let v: Value = serde_json::from_str(&out[0]).unwrap();
        assert_eq!((v["dest"].as_str(), v["body"]["type"].as_str(), v["body"]["in_reply_to"].as_u64()), (Some("c1"), Some("init_ok"), Some(1)));
        let out = n.handle(5, r#"{"src":"c1","dest":"n1","body":{"type":"broadcast","msg_id":2,"message":42}}"#);
        assert!(out.iter().any(|l| l.contains("broadcast_ok")));
        // The batch window: the push to n2 leaves at the flush.
        let due = n.next_deadline().unwrap();
        let pushed = n.tick(due.max(100_005));
        assert!(pushed.iter().any(|l| l.contains("bc_push") || l.contains("bc_digest")), "{pushed:?}");
        let out = n.handle(10, r#"{"src":"c1","dest":"n1","body":{"type":"read","msg_id":3}}"#);
        let v: Value = serde_json::from_str(&out[0]).unwrap();
        assert_eq!(v["body"]["messages"], json!([42]));
        let out = n.handle(11, r#"{"src":"c1","dest":"n1","body":{"type":"frobnicate","msg_id":4}}"#);
        let v: Value = serde_json::from_str(&out[0]).unwrap();
        assert_eq!((v["body"]["type"].as_str(), v["body"]["code"].as_u64(), v["body"]["in_reply_to"].as_u64()), (Some("error"), Some(10), Some(4)));
    }
}
