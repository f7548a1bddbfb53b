//! Small serializable views of the simulation, for the JS boundary and the CLI, and the
//! simulator's own notes. Times are ms (f64) here; the simulation keeps µs.

use serde::Serialize;

use crate::kv::{ClientId, Op, Output};
use crate::protocol::NodeId;

/// Counters since the simulation started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Messages handed to the network.
    pub messages_sent: u64,
    /// Messages handled by a running receiver.
    pub messages_delivered: u64,
    /// Messages lost: to the drop rate, to a user's drop, or to a crashed receiver.
    pub messages_dropped: u64,
    /// Messages the network delivered twice.
    pub messages_duplicated: u64,
    /// Elections started (timeouts and user requests).
    pub elections: u64,
    /// Log entries known committed cluster-wide.
    pub committed: u64,
    /// Leaderless periods that ended with a leader: from the moment no running server was
    /// leader (start, crash, pause, step-down) until one was. The page's "election latency".
    pub leaderless_periods: u64,
    /// Their total length, µs.
    pub leaderless_us: u64,
    /// The length of the latest one, µs (0 before the first leader).
    pub last_leaderless_us: u64,
}

/// What a client request got back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientReply {
    /// Whether a leader appended the command.
    pub accepted: bool,
    /// The leader that accepted it, or the one the asked node knows of.
    pub leader: Option<String>,
    /// The index the command was appended at, when accepted.
    pub index: Option<u64>,
}

/// One event, in plain words.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    /// Increasing from 1.
    pub seq: u64,
    /// Simulated time, ms.
    pub time: f64,
    /// `deliver`, `lost`, `drop`, `electionTimeout`, `startElection`, `preVote`, `leader`,
    /// `heartbeat`, `stepDown`, `transfer`, `snapshot`, `membership`, `batch`, `crash`, `byzantine`,
    /// `restart`, `pause`, `resume`, `partition`, `heal`, `cut`, `repair`, `bugs`, `client` or
    /// `violation`.
    pub kind: &'static str,
    /// The node the event happened at, if any.
    pub node: Option<String>,
    /// The message's id, for message events.
    pub message_id: Option<u64>,
    /// The message's kind, for message events.
    pub message_kind: Option<&'static str>,
    /// The message's sender.
    pub from: Option<String>,
    /// The message's receiver.
    pub to: Option<String>,
    /// What happened and why, e.g. "n3 grants its vote to n1 for term 2: …".
    pub text: String,
    /// True for the steady state's routine traffic, which changes nothing: a leader sending
    /// heartbeats, a follower accepting one, a leader hearing a match it already knew.
    /// The page hides these unless asked.
    pub routine: bool,
}

/// What the simulator itself narrates, as data (sentences built by [`SimNote::describe`]).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum SimNote {
    /// A message reached a crashed node.
    LostCrashed,
    /// A message travelled on a link that is cut.
    LostCut,
    /// A user dropped a message.
    Dropped,
    /// A node paused.
    Paused,
    /// A node resumed; `waited` messages were held for it.
    Resumed { waited: usize },
    /// The network split.
    Partition { groups: Vec<Vec<NodeId>> },
    /// Every link works again.
    Heal,
    /// One link cut or repaired.
    Link { from: NodeId, to: NodeId, cut: bool, both_ways: bool },
    /// The checker found a violation.
    Violation { rule: &'static str, detail: String },
    /// A committed configuration left the node out.
    Retired,
    /// A hand-made client request found no leader.
    NoLeader,
    /// A hand-made client request went to a paused node.
    PausedClient,
    /// A workload client sends an operation.
    ClientSends { client: ClientId, op: Op, seq: u64, attempt: u32 },
    /// A workload client's request reached a crashed or paused node.
    ClientLost { client: ClientId, crashed: bool },
    /// Deliberate bugs switched: the names of those now on.
    Bugs { on: Vec<&'static str> },
    /// A node became a traitor with this behaviour, or honest again (None).
    #[cfg(feature = "byzantine")]
    Byzantine { behaviour: Option<&'static str> },
    /// A workload client got its answer.
    ClientGets { client: ClientId, op: Op, output: Output },
}

impl SimNote {
    /// The sentence of a record at `node`, about message `(kind, from, to)` if any; `names[i]`
    /// is node `i`'s name.
    pub(super) fn describe(&self, names: &[String], node: Option<NodeId>, msg: Option<(&'static str, NodeId, NodeId)>) -> String {
        let name = |i: Option<NodeId>| i.map_or("?", |i| names[i].as_str());
        match (self, msg) {
            (SimNote::LostCrashed, Some((kind, f, t))) => format!("{kind} from {} to {} is lost: {} is crashed", names[f], names[t], names[t]),
            (SimNote::LostCut, Some((kind, f, t))) => {
                let (f, t) = (&names[f], &names[t]);
                format!("{kind} from {f} to {t} is lost: the link from {f} to {t} is cut")
            }
            (SimNote::Dropped, Some((kind, f, t))) => format!("{kind} from {} to {} is dropped", names[f], names[t]),
            (SimNote::Paused, _) => format!("{} pauses: it is frozen and handles nothing until it resumes", name(node)),
            (SimNote::Resumed { waited }, _) => format!("{} resumes with the view it had; {waited} messages waited for it", name(node)),
            (SimNote::Retired, _) => format!("{} leaves the cluster: the configuration without it is committed", name(node)),
            (SimNote::PausedClient, _) => format!("{} is paused and does not answer the client", name(node)),
            (SimNote::ClientSends { client, op, seq, attempt }, _) => {
                format!("client {client} sends {} (seq {seq}, try {attempt}) to {}", op.sentence(), name(node))
            }
            (SimNote::ClientLost { client, crashed }, _) => {
                format!("client {client}'s request to {} is lost: it is {}", name(node), if *crashed { "crashed" } else { "paused" })
            }
            (SimNote::Partition { groups }, _) => {
                let g: Vec<String> = groups.iter().map(|g| format!("{{{}}}", g.iter().map(|&i| names[i].as_str()).collect::<Vec<_>>().join(", "))).collect();
                format!("The network splits into {}: messages between groups are lost", g.join(" | "))
            }
            (SimNote::Heal, _) => "The network heals: every link works again".into(),
            (SimNote::Bugs { on }, _) if on.is_empty() => "The protocol is correct again (no deliberate bugs)".into(),
            (SimNote::Bugs { on }, _) => format!("Deliberate bugs on: {}", on.join(", ")),
            #[cfg(feature = "byzantine")]
            (SimNote::Byzantine { behaviour: Some(b) }, _) => format!("{} turns traitor: {b}. It can lie and keep quiet, but it speaks only as itself", name(node)),
            #[cfg(feature = "byzantine")]
            (SimNote::Byzantine { behaviour: None }, _) => format!("{} acts honestly again (its state may still hold what it lied about)", name(node)),
            (SimNote::Link { from, to, cut, both_ways }, _) => {
                let (f, t) = (&names[*from], &names[*to]);
                match (cut, both_ways) {
                    (true, true) => format!("The link between {f} and {t} is cut both ways"),
                    (true, false) => format!("The link from {f} to {t} is cut"),
                    (false, true) => format!("The link between {f} and {t} works again"),
                    (false, false) => format!("The link from {f} to {t} works again"),
                }
            }
            (SimNote::Violation { rule, detail }, _) => format!("Safety violation ({rule}): {detail}"),
            (SimNote::NoLeader, _) => "A client request finds no leader; it is not accepted".into(),
            (SimNote::ClientGets { client, op, output }, _) => {
                format!("client {client} gets {} for {}", op.output_sentence(output), op.sentence())
            }
            _ => String::new(),
        }
    }
}
