//! One broadcast server speaking Maelstrom's protocol (jepsen-io/maelstrom `doc/protocol.md`,
//! `doc/workloads.md`), sans-IO: [`Node::handle`] takes one line of stdin (a message
//! `{"src", "dest", "body"}`) and the time, [`Node::tick`] fires the timers that are due, and
//! both return the lines to write to stdout; [`Node::next_deadline`] says when to tick next.
//! The caller (`consensus-sim maelstrom-node`) owns stdin, stdout and the clock; the core runs
//! in a [`Standalone`] driver, the same one any transport uses, its RNG seeded from what the
//! caller passes and the node's index.
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

use serde_json::{json, Value};

use super::broadcast::{Broadcast, Msg, Options};
use super::{key_of, value_of, Process};
use crate::error::Result;
use crate::gossip::{self, Entry, Exchange, Version};
use crate::node::Standalone;
use crate::protocol::{Micros, NodeId};

/// Maelstrom's error codes that a broadcast server sends (`resources/errors.edn`).
pub mod code {
    /// `temporarily-unavailable`: try again later (here: before `init`).
    pub const TEMPORARILY_UNAVAILABLE: u64 = 11;
    /// `not-supported`: the request's type is unknown.
    pub const NOT_SUPPORTED: u64 = 10;
    /// `malformed-request`: the body is missing a field it needs.
    pub const MALFORMED_REQUEST: u64 = 12;
}

/// A broadcast server behind Maelstrom's protocol: the protocol core in a
/// [`Standalone`] driver (its own seeded RNG, timers and outbox), created at `init`. Times are
/// µs on the caller's clock (any origin; they only move forward).
pub struct Node {
    options: Options,
    /// Use every node as a neighbour, whatever `topology` says.
    ignore_topology: bool,
    seed: u64,
    /// After `init`: every node's id (node `i` of the list is the core's id `i`), and the node.
    names: Vec<String>,
    node: Option<Standalone<Broadcast>>,
    next_msg_id: u64,
    log: Vec<String>,
}

impl Node {
    /// A node following `options`, not yet initialized; `seed` seeds its RNG (mixed with the
    /// node's index at `init`); with `ignore_topology` every node is a neighbour (`total`),
    /// whatever `topology` message comes. Errors: options breaking [`Options::validate`].
    pub fn new(options: Options, seed: u64, ignore_topology: bool) -> Result<Node> {
        options.validate()?;
        Ok(Node { options, ignore_topology, seed, names: Vec::new(), node: None, next_msg_id: 0, log: Vec::new() })
    }

    /// The values this node holds, decoded, in key order (empty before `init`).
    pub fn values(&self) -> Vec<Value> {
        self.node.as_ref().map_or_else(Vec::new, |s| s.node().keys().filter_map(value_of).collect())
    }

    /// Handles one line of input at `now` (after firing the timers due by then); returns the
    /// lines to write (messages as JSON). ([`Process::handle`].)
    pub fn handle(&mut self, now: Micros, line: &str) -> Vec<String> {
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
        let names = self.names.clone();
        let Some(node) = self.node.as_mut() else {
            self.error(&mut lines, &src, msg_id, code::TEMPORARILY_UNAVAILABLE, "not initialized yet (init comes first)");
            return lines;
        };
        match kind {
            "topology" => {
                if !self.ignore_topology {
                    let graph = names.iter().map(|name| ids(&names, &body["topology"][name])).collect();
                    node.configure(|p, _| p.set_topology(graph));
                }
                self.reply(&mut lines, &src, msg_id, json!({ "type": "topology_ok" }));
            }
            "broadcast" => {
                let Some(value) = body.get("message") else {
                    self.error(&mut lines, &src, msg_id, code::MALFORMED_REQUEST, "a broadcast needs a message");
                    return lines;
                };
                let key = key_of(value);
                node.act(|p, s, cx, out| p.broadcast(s, cx, &key, out));
                self.drain(&mut lines);
                self.reply(&mut lines, &src, msg_id, json!({ "type": "broadcast_ok" }));
            }
            "read" => {
                let values = self.values();
                self.reply(&mut lines, &src, msg_id, json!({ "type": "read_ok", "messages": values }));
            }
            "bc_push" | "bc_digest" | "bc_reply" | "bc_entries" => {
                let Some(from) = names.iter().position(|n| *n == src) else {
                    self.log.push(format!("{kind} from an unknown node {src}, ignored"));
                    return lines;
                };
                let m = match kind {
                    "bc_push" => Msg::Push { entries: entries(&names, &body["entries"]) },
                    "bc_digest" => Msg::Sync(gossip::Msg::Digest { exchange: Exchange::PushPull, digest: entries(&names, &body["digest"]).into_iter().map(|(k, e)| (k, e.version)).collect() }),
                    "bc_reply" => Msg::Sync(gossip::Msg::Reply {
                        entries: entries(&names, &body["entries"]),
                        want: body["want"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect()),
                    }),
                    _ => Msg::Sync(gossip::Msg::Entries { entries: entries(&names, &body["entries"]) }),
                };
                if let Err(e) = node.on_msg(from, m) {
                    self.log.push(format!("{kind} from {src} refused: {e}"));
                }
                self.drain(&mut lines);
            }
            other => {
                let text = format!("unknown message type {other:?} (this node serves init, topology, broadcast and read)");
                self.error(&mut lines, &src, msg_id, code::NOT_SUPPORTED, &text);
            }
        }
        lines
    }

    /// `init`: the node's id and every id; the core starts (every node a neighbour until a
    /// topology comes), its clock at `now`.
    fn init(&mut self, now: Micros, body: &Value) -> Result<()> {
        let me = body["node_id"].as_str().unwrap_or_default().to_string();
        let mut names: Vec<String> = body["node_ids"].as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect());
        if !names.contains(&me) {
            names.push(me.clone());
        }
        let i = names.iter().position(|n| *n == me).expect("pushed above");
        let n = names.len();
        let proto = Broadcast::new(self.options.clone(), (0..n).map(|a| (0..n).filter(|&b| b != a).collect()).collect())?;
        let mut node = Standalone::new(proto, i, n, self.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))?;
        // The core's clock starts at 0; the caller's is `now`: tick to it at once.
        node.tick(now)?;
        self.node = Some(node);
        self.names = names;
        self.log.push(format!("{me} initialized, {n} nodes"));
        Ok(())
    }

    /// Moves the core's clock to `now` (never back) and fires what is due.
    fn advance(&mut self, now: Micros) {
        if let Some(node) = self.node.as_mut() {
            let now = now.max(node.now());
            if let Err(e) = node.tick(now) {
                self.log.push(format!("tick refused: {e}"));
            }
        }
    }

    /// The core's outbox as lines: its messages as bodies to the nodes they go to.
    fn drain(&mut self, lines: &mut Vec<String>) {
        let Some(node) = self.node.as_mut() else { return };
        let me = node.me();
        for (to, m) in node.take_outbox() {
            let names = &self.names;
            let list = |entries: &[(String, Entry)]| entries.iter().map(|(k, e)| entry_json(names, k, e.version)).collect::<Vec<_>>();
            let body = match m {
                Msg::Push { entries } => json!({ "type": "bc_push", "entries": list(&entries) }),
                Msg::Sync(gossip::Msg::Digest { digest, .. }) => json!({ "type": "bc_digest", "digest": digest.iter().map(|(k, v)| entry_json(names, k, *v)).collect::<Vec<_>>() }),
                Msg::Sync(gossip::Msg::Reply { entries, want }) => json!({ "type": "bc_reply", "entries": list(&entries), "want": want }),
                Msg::Sync(gossip::Msg::Entries { entries }) => json!({ "type": "bc_entries", "entries": list(&entries) }),
                Msg::Sync(_) => continue,
            };
            let Some(dest) = names.get(to) else { continue };
            lines.push(json!({ "src": names[me], "dest": dest, "body": body }).to_string());
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

impl Process for Node {
    fn handle(&mut self, now: Micros, line: &str) -> Vec<String> {
        Node::handle(self, now, line)
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

/// Ids of the names in a JSON list (unknown names left out).
fn ids(names: &[String], list: &Value) -> Vec<NodeId> {
    list.as_array().map_or_else(Vec::new, |a| a.iter().filter_map(|v| v.as_str()).filter_map(|s| names.iter().position(|n| n == s)).collect())
}

/// Entries `[key, ts, writer]` (writer by id) as gossip entries of a broadcast value.
fn entries(names: &[String], list: &Value) -> Vec<(String, Entry)> {
    let Some(items) = list.as_array() else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| {
            let key = item[0].as_str()?.to_string();
            let ts = super::safe_u64(&item[1])?;
            let writer = names.iter().position(|n| Some(n.as_str()) == item[2].as_str())?;
            Some((key, Entry { version: Version { ts, writer }, value: Some(String::new()), expires_us: 0 }))
        })
        .collect()
}

fn entry_json(names: &[String], key: &str, v: Version) -> Value {
    json!([key, v.ts, names.get(v.writer).map_or("", String::as_str)])
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
