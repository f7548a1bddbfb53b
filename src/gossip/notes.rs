//! What a simulated agent narrates, as data: a [`Note`] carries the numbers of the moment;
//! [`Note::describe`] builds the sentence only when someone reads the event log.

use crate::kv::ClientId;
use crate::protocol::NodeId;

use super::node::{Exchange, Version};

/// One event-log note of an agent (`at`: the agent it happened at).
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A write at this agent (a client's, or by hand): `value` None is a delete.
    Write {
        /// The agent.
        at: NodeId,
        /// The key.
        key: String,
        /// The new version.
        version: Version,
        /// The value; None: a death certificate (or, with `no-tombstone`, a removal).
        value: Option<String>,
        /// The workload client, if one asked.
        client: Option<ClientId>,
    },
    /// A workload client's read, answered from the agent's own replica.
    Read {
        /// The agent.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The key.
        key: String,
        /// What the agent holds.
        value: Option<String>,
    },
    /// A client's compare-and-set or increment that did not apply (refused at once).
    Refused {
        /// The agent.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The key.
        key: String,
    },
    /// An anti-entropy round starts: digests to `peers`.
    Round {
        /// The agent.
        at: NodeId,
        /// The peers drawn.
        peers: Vec<NodeId>,
        /// The exchange.
        exchange: Exchange,
        /// Keys in the digest.
        keys: usize,
        /// Death certificates dropped as expired first.
        purged: usize,
    },
    /// A rumor round: hot rumors pushed to `peers`, or a pull asked of them.
    RumorRound {
        /// The agent.
        at: NodeId,
        /// The peers drawn.
        peers: Vec<NodeId>,
        /// Hot rumors sent (0 when pulling).
        rumors: usize,
        /// Pulling.
        pull: bool,
        /// Rumors it lost interest in (blind).
        lost: usize,
    },
    /// A message was delivered and handled.
    Msg {
        /// The receiver.
        at: NodeId,
        /// The sender.
        from: NodeId,
        /// What it did.
        what: MsgNote,
    },
    /// The agent crashed.
    Crash {
        /// The agent.
        at: NodeId,
        /// Whether its map survives.
        kept: bool,
    },
    /// The agent decided a claim ([`super::attest`]).
    Verdict {
        /// The agent.
        at: NodeId,
        /// The claim's id.
        claim: String,
        /// Accepted, or rejected.
        accepted: bool,
        /// Admitted attestations saying valid, and invalid, when it decided.
        valid: usize,
        /// See `valid`.
        invalid: usize,
    },
    /// The agent restarted.
    Restart {
        /// The agent.
        at: NodeId,
        /// Whether its map survived.
        kept: bool,
        /// Keys it holds.
        keys: usize,
    },
}

/// What an agent did with a delivered message.
#[derive(Clone, Debug, PartialEq)]
pub enum MsgNote {
    /// A digest: entries sent back and keys asked for.
    Digest {
        /// Keys in it.
        keys: usize,
        /// Entries newer here, sent back.
        sent: usize,
        /// Keys newer there, asked for.
        want: usize,
    },
    /// A reply to its digest: news taken, entries sent on.
    Reply {
        /// Entries in it.
        entries: usize,
        /// Of which news.
        news: usize,
        /// Entries sent on (wanted).
        sent: usize,
    },
    /// Entries a peer wanted, or hot rumors: news taken.
    Entries {
        /// Entries in it.
        entries: usize,
        /// Of which news.
        news: usize,
        /// Hot rumors (false: anti-entropy's entries).
        rumor: bool,
    },
    /// Feedback on its rumors.
    Ack {
        /// Rumors the peer already knew.
        known: usize,
        /// Rumors it lost interest in.
        lost: usize,
    },
    /// A pull of hot rumors.
    Pull {
        /// Rumors served.
        served: usize,
    },
}

impl MsgNote {
    /// Whether the delivery changed nothing (no news, nothing sent on).
    pub fn routine(&self) -> bool {
        match self {
            MsgNote::Digest { sent, want, .. } => *sent == 0 && *want == 0,
            MsgNote::Reply { news, sent, .. } => *news == 0 && *sent == 0,
            MsgNote::Entries { news, .. } => *news == 0,
            MsgNote::Ack { lost, .. } => *lost == 0,
            MsgNote::Pull { served } => *served == 0,
        }
    }
}

impl Note {
    /// The event-log kind: `write`, `client`, `round`, `rumor`, `deliver`, `crash`, `restart` or
    /// `verdict`.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Write { .. } => "write",
            Note::Read { .. } | Note::Refused { .. } => "client",
            Note::Round { .. } => "round",
            Note::RumorRound { .. } => "rumor",
            Note::Msg { .. } => "deliver",
            Note::Crash { .. } => "crash",
            Note::Restart { .. } => "restart",
            Note::Verdict { .. } => "verdict",
        }
    }

    /// Whether it is routine traffic that changes nothing: rounds, and deliveries without news.
    pub fn routine(&self) -> bool {
        match self {
            Note::Round { purged, .. } => *purged == 0,
            Note::RumorRound { lost, .. } => *lost == 0,
            Note::Msg { what, .. } => what.routine(),
            _ => false,
        }
    }

    /// The sentence; `names[i]` is node `i`'s name.
    pub fn describe(&self, names: &[String]) -> String {
        let n = |i: &NodeId| names.get(*i).cloned().unwrap_or_else(|| crate::protocol::node_name(*i));
        let list = |ps: &[NodeId]| ps.iter().map(&n).collect::<Vec<_>>().join(", ");
        let v = |v: &Version| format!("{}@{}", v.ts, n(&v.writer));
        match self {
            Note::Write { at, key, version, value: Some(value), client } => {
                let by = client.map_or(String::new(), |c| format!(" for client {c}"));
                format!("{} writes {key}={value} at version {}{by}: a new rumor", n(at), v(version))
            }
            Note::Write { at, key, version, value: None, client } => {
                let by = client.map_or(String::new(), |c| format!(" for client {c}"));
                format!("{} deletes {key} at version {}{by}, leaving a death certificate", n(at), v(version))
            }
            Note::Read { at, client, key, value } => {
                format!("{} answers client {client} from its own replica: {key} is {}", n(at), value.as_deref().map_or("unset".into(), |x| format!("\"{x}\"")))
            }
            Note::Refused { at, client, key } => format!("{} refuses client {client}'s conditional write to {key} (its replica does not match)", n(at)),
            Note::Round { at, peers, exchange, keys, purged } => {
                let p = if *purged > 0 { format!(" after dropping {purged} expired death certificates") } else { String::new() };
                format!("{} starts anti-entropy ({}) with {}{p}: a digest of {keys} keys", n(at), exchange.name(), list(peers))
            }
            Note::RumorRound { at, peers, pull: true, .. } => format!("{} asks {} for hot rumors", n(at), list(peers)),
            Note::RumorRound { at, peers, rumors, lost, .. } => {
                let l = if *lost > 0 { format!("; it loses interest in {lost}") } else { String::new() };
                format!("{} pushes {rumors} hot rumors to {}{l}", n(at), list(peers))
            }
            Note::Msg { at, from, what } => match what {
                MsgNote::Digest { keys, sent, want } => format!("{} compares {}'s digest of {keys} keys: sends {sent} newer entries, asks for {want}", n(at), n(from)),
                MsgNote::Reply { entries, news, sent } => format!("{} takes {news} of {entries} entries from {} and sends {sent} it asked for", n(at), n(from)),
                MsgNote::Entries { entries, news, rumor: true } => format!("{} hears {entries} rumors from {}, {news} of them news", n(at), n(from)),
                MsgNote::Entries { entries, news, rumor: false } => format!("{} takes {news} of {entries} entries from {}", n(at), n(from)),
                MsgNote::Ack { known, lost } => format!("{} learns {} already knew {known} of its rumors; it loses interest in {lost}", n(at), n(from)),
                MsgNote::Pull { served } => format!("{} serves {served} hot rumors to {}", n(at), n(from)),
            },
            Note::Crash { at, kept: true } => format!("{} crashes (its replica is on disk)", n(at)),
            Note::Crash { at, kept: false } => format!("{} crashes and loses its replica (its clock is on disk)", n(at)),
            Note::Restart { at, kept: true, keys } => format!("{} restarts with its {keys} keys", n(at)),
            Note::Verdict { at, claim, accepted, valid, invalid } => {
                let (does, k) = if *accepted { ("accepts", valid) } else { ("rejects", invalid) };
                format!("{} {does} claim {claim}: {k} attestations agree ({valid} valid, {invalid} invalid)", n(at))
            }
            Note::Restart { at, kept: false, .. } => format!("{} restarts with an empty replica: anti-entropy brings it back", n(at)),
        }
    }
}
