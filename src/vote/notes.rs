//! What a simulated voter narrates, as data: a [`Note`] carries the numbers of the moment;
//! [`Note::describe`] builds the sentence only when someone reads the event log.

use crate::kv::{ClientId, Op};
use crate::protocol::NodeId;

use super::node::{Cast, ProposalId, Status, Weight};

/// One event-log note of a voter (`at`: the node it happened at).
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// The node proposes `key = value` and broadcasts it; `cast` is its own vote.
    Proposed {
        /// The proposer.
        at: NodeId,
        /// The new proposal.
        id: ProposalId,
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// The weight the rule needs, of `total`.
        required: Weight,
        /// Every voter's weight.
        total: Weight,
        /// Its own vote.
        cast: Cast,
        /// A workload client asked for it.
        client: Option<ClientId>,
    },
    /// A manual voter voted by hand.
    ManualVote {
        /// The voter.
        at: NodeId,
        /// The proposal.
        id: ProposalId,
        /// What it cast.
        cast: Cast,
    },
    /// A message was delivered and handled.
    Msg {
        /// The receiver.
        at: NodeId,
        /// The sender.
        from: NodeId,
        /// What the receiver did.
        what: MsgNote,
    },
    /// A proposal settled at its proposer.
    Settled {
        /// The proposer.
        at: NodeId,
        /// The proposal.
        id: ProposalId,
        /// How.
        status: Status,
        /// Weight for, against, needed, total.
        weights: (Weight, Weight, Weight, Weight),
    },
    /// A workload client read a key from the node's decided values.
    Read {
        /// The node.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The key.
        key: String,
        /// The value it holds.
        value: Option<String>,
    },
    /// A workload client's operation is answered at once, without a proposal (a `cas` whose
    /// expected value is not there).
    ClientRefused {
        /// The node.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The operation.
        op: Op,
    },
    /// The node crashed; its ballots, proposals and values are on disk.
    Crash {
        /// The node.
        at: NodeId,
    },
    /// The node restarted with its ballots, proposals and values; `open` proposals' deadlines
    /// are armed again.
    Restart {
        /// The node.
        at: NodeId,
        /// Its open proposals.
        open: usize,
    },
}

/// What a voter did with a delivered message.
#[derive(Clone, Debug, PartialEq)]
pub enum MsgNote {
    /// A proposal: the vote it cast (None: ignored, or it had voted and the outcome is known).
    Proposal {
        /// The proposal.
        id: ProposalId,
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Its vote.
        cast: Option<Cast>,
    },
    /// A vote at the proposer: counted or ignored, and the tally after it.
    Vote {
        /// The proposal.
        id: ProposalId,
        /// For or against.
        approve: bool,
        /// Counted (false: late, duplicate, or not its proposal).
        counted: bool,
        /// Weight for and against after it.
        tally: (Weight, Weight),
    },
    /// An outcome: applied (an accepted value), freed the key, or already known.
    Decided {
        /// The proposal.
        id: ProposalId,
        /// Accepted or not.
        accepted: bool,
        /// Whether it was news.
        news: bool,
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
}

impl Note {
    /// The event-log kind: `propose`, `vote`, `deliver`, `settle`, `client`, `crash` or `restart`.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Proposed { .. } => "propose",
            Note::ManualVote { .. } => "vote",
            Note::Msg { .. } => "deliver",
            Note::Settled { .. } => "settle",
            Note::Read { .. } | Note::ClientRefused { .. } => "client",
            Note::Crash { .. } => "crash",
            Note::Restart { .. } => "restart",
        }
    }

    /// The sentence; `names[i]` is node `i`'s name.
    pub fn describe(&self, names: &[String]) -> String {
        let n = |i: &NodeId| names.get(*i).cloned().unwrap_or_else(|| crate::protocol::node_name(*i));
        let pid = |id: &ProposalId| id.text(names);
        let cast_text = |c: &Cast| match c {
            Cast::Voted(true) => "votes for".to_string(),
            Cast::Voted(false) => "votes against".to_string(),
            Cast::Locked(other) => format!("votes against (it approved {} for that key, still open)", pid(other)),
            Cast::Waiting => "waits for a manual vote".to_string(),
        };
        match self {
            Note::Proposed { at, id, key, value, required, total, cast, client } => {
                let by = client.map_or(String::new(), |c| format!(" for client {c}"));
                format!("{} proposes {} {key}={value}{by}: it needs {required} of {total} weight; it {}", n(at), pid(id), cast_text(cast))
            }
            Note::ManualVote { at, id, cast } => format!("{} {} {} by hand", n(at), cast_text(cast), pid(id)),
            Note::Msg { at, from, what } => match what {
                MsgNote::Proposal { id, key, value, cast: Some(c) } => format!("{} gets {} {key}={value} from {} and {}", n(at), pid(id), n(from), cast_text(c)),
                MsgNote::Proposal { id, .. } => format!("{} ignores {} from {} (already settled)", n(at), pid(id), n(from)),
                MsgNote::Vote { id, approve, counted: true, tally } => {
                    format!("{} counts {}'s vote {} {}: {} for, {} against", n(at), n(from), if *approve { "for" } else { "against" }, pid(id), tally.0, tally.1)
                }
                MsgNote::Vote { id, .. } => format!("{} ignores {}'s vote on {} (settled, or already counted)", n(at), n(from), pid(id)),
                MsgNote::Decided { id, accepted: true, news: true, key, value } => format!("{} applies {key}={value}: {} was accepted", n(at), pid(id)),
                MsgNote::Decided { id, accepted: false, news: true, key, .. } => format!("{} learns {} was not accepted and frees {key}", n(at), pid(id)),
                MsgNote::Decided { id, .. } => format!("{} already knows the outcome of {}", n(at), pid(id)),
            },
            Note::Settled { at, id, status, weights: (f, a, need, total) } => {
                format!("{} settles {}: {} ({f} for, {a} against, {need} of {total} needed)", n(at), pid(id), status.as_str())
            }
            Note::Read { at, client, key, value } => {
                format!("{} answers client {client}: {key} is {}", n(at), value.as_deref().map_or("unset".into(), |v| format!("\"{v}\"")))
            }
            Note::ClientRefused { at, client, op } => format!("{} refuses client {client}'s {} (the expected value is not there)", n(at), op.sentence()),
            Note::Crash { at } => format!("{} crashes (its ballots, proposals and values are on disk)", n(at)),
            Note::Restart { at, open } => format!("{} restarts with its ballots; {open} proposals still open", n(at)),
        }
    }
}
