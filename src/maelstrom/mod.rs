//! Maelstrom (jepsen-io/maelstrom), a workbench for toy distributed systems: its `broadcast`
//! workload on our simulator, and our servers as Maelstrom nodes (native builds only).
//!
//! - [`topology`]: the topologies Maelstrom hands to broadcast servers (`line`, `grid`,
//!   `tree2`–`tree4`, `total`), as its `broadcast.clj` builds them.
//! - [`broadcast`]: the broadcast server, a [`crate::protocol::Protocol`] on gossip's replica:
//!   eager push along each value's breadth-first tree, batched, with anti-entropy beneath; or
//!   Maelstrom's tutorial flooding, for comparison.
//! - [`workload`]: the workload and its checkers (`msgs-per-op`, jepsen's `set-full`: stable
//!   latencies, stale, lost), deterministic and seeded (`consensus-sim maelstrom`).
//! - [`node`]: one broadcast server speaking Maelstrom's protocol (JSON bodies in, JSON bodies
//!   out), sans-IO: the caller passes each line and the time (`consensus-sim maelstrom-node`
//!   owns stdin, stdout and the clock).
//! - [`linkv`]: a Raft or Multi-Paxos server for Maelstrom's `lin-kv` workload (read, write,
//!   cas), the same way.
//!
//! Values travel as gossip keys: [`key_of`] encodes a Maelstrom message (any JSON value),
//! [`value_of`] decodes it.

pub mod broadcast;
pub mod linkv;
pub mod node;
pub mod topology;
pub mod workload;

pub use broadcast::{Broadcast, Options, Server, Spread};

/// A Maelstrom node as its driver sees it (stdin, stdout and the clock are the driver's):
/// lines in, lines out, at times in µs on the driver's clock that only move forward.
pub trait Process {
    /// Handles one line of input (a message `{src, dest, body}`) at `now`, after the timers
    /// due by then; returns the lines to write.
    fn handle(&mut self, now: crate::protocol::Micros, line: &str) -> Vec<String>;
    /// Fires the timers due by `now`; returns the lines to write.
    fn tick(&mut self, now: crate::protocol::Micros) -> Vec<String>;
    /// When the earliest timer is due, µs (None: none runs).
    fn next_deadline(&self) -> Option<crate::protocol::Micros>;
    /// Lines for stderr written since the last call.
    fn take_log(&mut self) -> Vec<String>;
}
pub use topology::Topology;

/// An incoming message's envelope, read from one line: its sender, `msg_id`, body and the
/// body's `type`.
pub(crate) struct Envelope {
    /// `src`, or "" when missing.
    pub src: String,
    /// `body.msg_id`, if any.
    pub msg_id: Option<u64>,
    /// `body.type`, if a string.
    pub kind: Option<String>,
    /// The body.
    pub body: serde_json::Value,
}

impl Envelope {
    /// The line as a message, or None when it is not JSON (the node logs it and answers
    /// nothing: there is no one to answer).
    pub(crate) fn parse(line: &str) -> Option<Envelope> {
        let mut msg = serde_json::from_str::<serde_json::Value>(line).ok()?;
        let body = msg["body"].take();
        Some(Envelope { src: msg["src"].as_str().unwrap_or_default().to_string(), msg_id: body["msg_id"].as_u64(), kind: body["type"].as_str().map(str::to_string), body })
    }
}

/// One line out, `{src, dest, body}`, with the next of the node's message ids (`next_msg_id`,
/// counted up here) in `body.msg_id`, and `in_reply_to` when it answers a message.
pub(crate) fn reply_line(next_msg_id: &mut u64, src: &str, dest: &str, in_reply_to: Option<u64>, mut body: serde_json::Value) -> String {
    *next_msg_id += 1;
    body["msg_id"] = serde_json::json!(*next_msg_id);
    if let Some(id) = in_reply_to {
        body["in_reply_to"] = serde_json::json!(id);
    }
    serde_json::json!({ "src": src, "dest": dest, "body": body }).to_string()
}

/// A protocol number from a peer's message (term, index, ballot round, timestamp): an integer
/// up to 2⁵³ − 1 (what JSON carries exactly, the bound the wasm parsers use), else None — the
/// message is ignored, so that a peer's huge number cannot overflow the core's `+ 1`.
pub(crate) fn safe_u64(v: &serde_json::Value) -> Option<u64> {
    v.as_u64().filter(|&x| x < 1 << 53)
}

/// The gossip key for a broadcast value: a non-negative integer as 20 digits (so that keys
/// sort as the numbers do and a replica of increasing values appends), anything else as `~`
/// and its JSON text.
pub fn key_of(value: &serde_json::Value) -> String {
    match value.as_u64() {
        Some(v) => format!("{v:020}"),
        None => format!("~{value}"),
    }
}

/// The value a gossip key stands for ([`key_of`]'s inverse). None: not a key it writes.
pub fn value_of(key: &str) -> Option<serde_json::Value> {
    match key.strip_prefix('~') {
        Some(json) => serde_json::from_str(json).ok(),
        None => key.parse::<u64>().ok().map(serde_json::Value::from),
    }
}
