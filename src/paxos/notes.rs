//! What a simulated Paxos node narrates, as data: a [`Note`] carries the numbers of the moment;
//! [`Note::describe`] builds the sentence, in the paper's terms (ballot, promise, accept,
//! accepted, chosen, slot), only when someone reads the event log.

use crate::kv::{ClientId, Op};
use crate::protocol::NodeId;

use super::node::{Ballot, Slot};

/// Why a node started phase 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Its follower's timer ran out (no backoff).
    Timeout,
    /// Its backoff ran out and it heard no leader meanwhile.
    Backoff,
    /// A higher ballot preempted its own (no backoff: it tries again at once).
    Preempted,
    /// It was given a command and knows no leader (no backoff).
    Command,
    /// A user asked.
    User,
}

/// What a node did with a message it received (the receiver is the note's `at`).
#[derive(Clone, Debug, PartialEq)]
pub enum MsgNote {
    /// Prepare refused: a higher ballot is promised (Nack sent).
    PrepareRefused {
        /// The ballot asked.
        ballot: Ballot,
        /// The acceptor's promise.
        promised: Ballot,
    },
    /// Prepare answered with a Promise reporting `reported` accepted proposals; `preempted`:
    /// the receiver was proposing with a lower ballot and lost it.
    Promised {
        /// The ballot promised.
        ballot: Ballot,
        /// Accepted proposals reported.
        reported: usize,
        /// Whether the receiver lost its own ballot.
        preempted: bool,
    },
    /// A Promise for a ballot the node no longer runs phase 1 for.
    PromiseIgnored {
        /// The ballot promised.
        ballot: Ballot,
    },
    /// A Promise counted: `promises` of `quorum` needed; `leads`: the node now leads.
    PromiseCounted {
        /// The ballot.
        ballot: Ballot,
        /// Promises held (its own included).
        promises: usize,
        /// Promises needed.
        quorum: usize,
        /// Whether it leads now.
        leads: bool,
    },
    /// Accept refused: a higher ballot is promised (Nack sent).
    AcceptRefused {
        /// The ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// The acceptor's promise.
        promised: Ballot,
    },
    /// Accept taken: the acceptor accepted (again, if it already had) and told every learner;
    /// `chosen`: its own count made the value chosen.
    Accepts {
        /// The ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// It had accepted this very proposal already.
        again: bool,
        /// The slot is now learned chosen here.
        chosen: bool,
    },
    /// An Accepted for a slot already learned chosen.
    AcceptedKnown {
        /// The ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
    },
    /// An Accepted counted: `count` acceptors accepted this ballot's proposal in the slot.
    Tally {
        /// The ballot.
        ballot: Ballot,
        /// The slot.
        slot: Slot,
        /// Acceptors that accepted it (as this learner heard).
        count: usize,
        /// Acceptors needed.
        quorum: usize,
        /// Whether the value is now learned chosen.
        chosen: bool,
    },
    /// A Nack for an old ballot, or for one the node no longer runs.
    NackIgnored {
        /// The ballot refused.
        ballot: Ballot,
        /// The acceptor's promise.
        promised: Ballot,
    },
    /// A Nack for the node's ballot: it stops proposing.
    Preempted {
        /// Its ballot.
        ballot: Ballot,
        /// The higher ballot promised.
        promised: Ballot,
    },
    /// A leader's Heartbeat from a ballot lower than the promise: Nack sent.
    HeartbeatRefused {
        /// The leader's ballot.
        ballot: Ballot,
        /// The promise.
        promised: Ballot,
    },
    /// A leader's Heartbeat: the node follows it; `catch_up`: it asked for chosen values from
    /// this slot on.
    Heartbeat {
        /// The leader's ballot.
        ballot: Ballot,
        /// Slots chosen at the leader, all of them up to this one.
        chosen_through: Slot,
        /// The first slot asked for, if any.
        catch_up: Option<Slot>,
    },
    /// A CatchUp answered with `sent` Commits.
    CatchUp {
        /// The first slot asked for.
        next: Slot,
        /// Commits sent.
        sent: usize,
    },
    /// A Commit: `learned` if the slot was not known chosen yet.
    Commit {
        /// The slot.
        slot: Slot,
        /// Whether it was new here.
        learned: bool,
    },
    /// A forwarded command: proposed in `slot` (a leader), or queued (a candidate).
    Forwarded {
        /// The slot, when proposed.
        slot: Option<Slot>,
    },
    /// A forwarded command dropped: the node neither leads nor runs phase 1.
    ForwardDropped,
}

/// One event-log note of a Paxos node (`at`: the node it happened at).
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A message was delivered and handled.
    Msg {
        /// The receiver.
        at: NodeId,
        /// The sender.
        from: NodeId,
        /// What the receiver did.
        what: MsgNote,
    },
    /// Phase 1a: the node starts a ballot and sends Prepare to every acceptor (§2.2).
    Phase1 {
        /// The node.
        at: NodeId,
        /// Its new ballot.
        ballot: Ballot,
        /// Why.
        why: Why,
    },
    /// A quorum promised: the node leads (§3), proposing adopted values and no-ops.
    Leader {
        /// The node.
        at: NodeId,
        /// Its ballot.
        ballot: Ballot,
        /// Promises held.
        promises: usize,
        /// Cluster size.
        of: usize,
        /// Slots where it adopted a reported value (P2c).
        adopted: usize,
        /// Gaps it fills with no-ops.
        no_ops: usize,
        /// Queued commands it proposes now.
        queued: usize,
    },
    /// The follower's timer ran out: the leader is suspected.
    Suspect {
        /// The node.
        at: NodeId,
        /// The leader it followed, if any.
        leader: Option<NodeId>,
        /// Whether it backs off before trying to lead.
        backoff: bool,
    },
    /// The backoff ran out but a leader was heard meanwhile: the node does not try.
    BackoffGivenUp {
        /// The node.
        at: NodeId,
        /// The leader heard.
        leader: Option<NodeId>,
    },
    /// The leader's heartbeat round.
    Heartbeats {
        /// The leader.
        at: NodeId,
        /// Its ballot.
        ballot: Ballot,
        /// Slots chosen, all of them, up to this one.
        chosen_through: Slot,
        /// Accepts sent again for slots not yet known chosen.
        resent: usize,
    },
    /// A command proposed by hand at the leader, in `slot`.
    Proposed {
        /// The leader.
        at: NodeId,
        /// The slot.
        slot: Slot,
        /// The command (JSON text).
        value: String,
    },
    /// A command given to a follower, forwarded to the leader it knows.
    Forwarded {
        /// The follower.
        at: NodeId,
        /// The leader.
        to: NodeId,
        /// The command (JSON text).
        value: String,
    },
    /// A command given to a node that knows no leader: queued until it leads or finds one.
    Queued {
        /// The node.
        at: NodeId,
        /// The command (JSON text).
        value: String,
    },
    /// A client's command proposed by the leader in `slot`.
    ClientProposed {
        /// The leader.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The operation.
        op: Op,
        /// The slot.
        slot: Slot,
    },
    /// A node that does not lead redirects a client (or refuses a command by hand).
    Redirect {
        /// The node.
        at: NodeId,
        /// The client (None: a command by hand).
        client: Option<ClientId>,
        /// The leader it knows, if any.
        leader: Option<NodeId>,
    },
    /// The node crashed; what survives.
    Crash {
        /// The node.
        at: NodeId,
        /// Its promise.
        promised: Ballot,
        /// Slots with an accepted proposal.
        accepted: usize,
    },
    /// The node restarted with its durable state.
    Restart {
        /// The node.
        at: NodeId,
        /// Its promise, as kept.
        promised: Ballot,
        /// Slots with an accepted proposal, as kept.
        accepted: usize,
    },
}

/// `(3, n1)`.
pub fn ballot_text(b: Ballot, names: &[String]) -> String {
    if b.is_zero() {
        return "none".into();
    }
    format!("({}, {})", b.round, name(names, b.node))
}

fn name(names: &[String], i: NodeId) -> String {
    names.get(i).cloned().unwrap_or_else(|| crate::protocol::node_name(i))
}

fn value_text(v: &str) -> String {
    if v == super::NO_OP {
        "a no-op".into()
    } else {
        let short: String = v.chars().take(40).collect();
        if short.len() < v.len() {
            format!("{short}…")
        } else {
            short
        }
    }
}

impl Note {
    /// The event-log kind: `deliver`, `phase1`, `leader`, `suspect`, `backoff`, `heartbeat`,
    /// `client`, `crash` or `restart`.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Msg { .. } => "deliver",
            Note::Phase1 { .. } => "phase1",
            Note::Leader { .. } => "leader",
            Note::Suspect { .. } => "suspect",
            Note::BackoffGivenUp { .. } => "backoff",
            Note::Heartbeats { .. } => "heartbeat",
            Note::Proposed { .. } | Note::Forwarded { .. } | Note::Queued { .. } | Note::ClientProposed { .. } | Note::Redirect { .. } => "client",
            Note::Crash { .. } => "crash",
            Note::Restart { .. } => "restart",
        }
    }

    /// The note's sentence; `names[i]` is node `i`'s name.
    pub fn describe(&self, names: &[String]) -> String {
        let b = |x: Ballot| ballot_text(x, names);
        let n = |i: NodeId| name(names, i);
        match self {
            Note::Msg { at, from, what } => {
                let (at, from) = (n(*at), n(*from));
                match what {
                    MsgNote::PrepareRefused { ballot, promised } => {
                        format!("{at} refuses {from}'s Prepare {}: it promised {} (Nack)", b(*ballot), b(*promised))
                    }
                    MsgNote::Promised { ballot, reported, preempted } => {
                        let lost = if *preempted { "; its own lower ballot is preempted" } else { "" };
                        format!("{at} promises {from} ballot {}, reporting {reported} accepted proposal(s){lost}", b(*ballot))
                    }
                    MsgNote::PromiseIgnored { ballot } => format!("{at} ignores {from}'s Promise for ballot {}: it no longer runs phase 1 with it", b(*ballot)),
                    MsgNote::PromiseCounted { ballot, promises, quorum, leads } => {
                        let now = if *leads { ": it leads" } else { "" };
                        format!("{at} has {promises} of {quorum} promises for ballot {}{now}", b(*ballot))
                    }
                    MsgNote::AcceptRefused { ballot, slot, promised } => {
                        format!("{at} refuses {from}'s Accept {} in slot {slot}: it promised {} (Nack)", b(*ballot), b(*promised))
                    }
                    MsgNote::Accepts { ballot, slot, again, chosen } => {
                        let again = if *again { " again" } else { "" };
                        let chosen = if *chosen { "; the value is chosen" } else { "" };
                        format!("{at} accepts{again} {from}'s proposal {} in slot {slot} and tells every learner{chosen}", b(*ballot))
                    }
                    MsgNote::AcceptedKnown { ballot, slot } => format!("{at} hears {from} accepted {} in slot {slot}, already chosen", b(*ballot)),
                    MsgNote::Tally { ballot, slot, count, quorum, chosen } => {
                        let chosen = if *chosen { ": chosen" } else { "" };
                        format!("{at} hears {from} accepted {} in slot {slot} ({count} of {quorum}){chosen}", b(*ballot))
                    }
                    MsgNote::NackIgnored { ballot, promised } => format!("{at} ignores {from}'s Nack of {} (promised {}): not its running ballot", b(*ballot), b(*promised)),
                    MsgNote::Preempted { ballot, promised } => {
                        format!("{at}'s ballot {} is preempted: {from} promised {}", b(*ballot), b(*promised))
                    }
                    MsgNote::HeartbeatRefused { ballot, promised } => {
                        format!("{at} refuses {from}'s heartbeat {}: it promised {} (Nack)", b(*ballot), b(*promised))
                    }
                    MsgNote::Heartbeat { ballot, chosen_through, catch_up } => match catch_up {
                        Some(next) => format!("{at} follows leader {from} under ballot {}, chosen through slot {chosen_through}; asks for slots from {next}", b(*ballot)),
                        None => format!("{at} follows leader {from} under ballot {}, chosen through slot {chosen_through}", b(*ballot)),
                    },
                    MsgNote::CatchUp { next, sent } => format!("{at} sends {from} {sent} chosen value(s) from slot {next}"),
                    MsgNote::Commit { slot, learned: true } => format!("{at} learns from {from} the value chosen in slot {slot}"),
                    MsgNote::Commit { slot, learned: false } => format!("{at} already knows slot {slot} chosen ({from}'s Commit)"),
                    MsgNote::Forwarded { slot: Some(s) } => format!("{at} proposes {from}'s forwarded command in slot {s}"),
                    MsgNote::Forwarded { slot: None } => format!("{at} queues {from}'s forwarded command until it leads"),
                    MsgNote::ForwardDropped => format!("{at} drops {from}'s forwarded command: it does not lead"),
                }
            }
            Note::Phase1 { at, ballot, why } => {
                let why = match why {
                    Why::Timeout => "the leader is silent",
                    Why::Backoff => "its backoff ran out",
                    Why::Preempted => "preempted, it tries again at once",
                    Why::Command => "it has a command and knows no leader",
                    Why::User => "asked to",
                };
                format!("{} starts phase 1 with ballot {} ({why}): Prepare to every acceptor", n(*at), b(*ballot))
            }
            Note::Leader { at, ballot, promises, of, adopted, no_ops, queued } => format!(
                "{} leads with ballot {} ({promises} of {of} promised): re-proposes {adopted} accepted value(s), fills {no_ops} gap(s) with no-ops, proposes {queued} queued command(s)",
                n(*at),
                b(*ballot)
            ),
            Note::Suspect { at, leader, backoff } => {
                let who = leader.map_or("no leader".to_string(), |l| format!("leader {}", n(l)));
                let then = if *backoff { "backs off, then tries to lead" } else { "tries to lead" };
                format!("{} heard nothing from {who}: it {then}", n(*at))
            }
            Note::BackoffGivenUp { at, leader } => {
                let who = leader.map_or("a leader".to_string(), &n);
                format!("{} ends its backoff without trying: it heard from {who}", n(*at))
            }
            Note::Heartbeats { at, ballot, chosen_through, resent } => {
                let resent = if *resent > 0 { format!(", and re-sends {resent} Accept(s)") } else { String::new() };
                format!("{} (leader, {}) sends heartbeats, chosen through slot {chosen_through}{resent}", n(*at), b(*ballot))
            }
            Note::Proposed { at, slot, value } => format!("{} proposes {} in slot {slot}", n(*at), value_text(value)),
            Note::Forwarded { at, to, value } => format!("{} forwards {} to leader {}", n(*at), value_text(value), n(*to)),
            Note::Queued { at, value } => format!("{} knows no leader: it queues {}", n(*at), value_text(value)),
            Note::ClientProposed { at, client, op, slot } => format!("{} proposes client {client}'s {} in slot {slot}", n(*at), op.sentence()),
            Note::Redirect { at, client, leader } => {
                let who = client.map_or("the command".to_string(), |c| format!("client {c}"));
                match leader {
                    Some(l) => format!("{} does not lead: it redirects {who} to {}", n(*at), n(*l)),
                    None => format!("{} does not lead and knows no leader: it turns {who} away", n(*at)),
                }
            }
            Note::Crash { at, promised, accepted } => {
                format!("{} crashes; its promise {} and {accepted} accepted proposal(s) are on disk", n(*at), b(*promised))
            }
            Note::Restart { at, promised, accepted } => {
                format!("{} restarts with promise {} and {accepted} accepted proposal(s)", n(*at), b(*promised))
            }
        }
    }

    /// Routine traffic that changes nothing (the page hides it unless asked).
    pub fn routine(&self) -> bool {
        matches!(self, Note::Heartbeats { resent: 0, .. })
    }
}
