//! What a simulated general narrates, as data: a [`Note`] carries the facts of the moment;
//! [`Note::describe`] builds the sentence only when someone reads the event log.

use crate::protocol::NodeId;

use super::node::{Heard, Ignored, Order};

/// One event-log note of a general (`at`: the general it happened at).
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// The commander will start run `run` (his order goes out at the start of that round).
    Started {
        /// The commander.
        at: NodeId,
        /// The run.
        run: u64,
        /// His order.
        order: Order,
    },
    /// The commander sent his order to every lieutenant (`told`: what each was told, by
    /// lieutenant in id order; a traitor's may differ).
    Commanded {
        /// The commander.
        at: NodeId,
        /// The run.
        run: u64,
        /// His order.
        order: Order,
        /// What each lieutenant was told, `(lieutenant, order)`.
        told: Vec<(NodeId, Order)>,
    },
    /// The commander's round passed while he could not act (paused or crashed): no order went
    /// out; the lieutenants take the default.
    Missed {
        /// The commander.
        at: NodeId,
        /// The run.
        run: u64,
    },
    /// A lieutenant relayed the values it holds for paths of `len` generals (round `len + 1`).
    Relayed {
        /// The lieutenant.
        at: NodeId,
        /// The run.
        run: u64,
        /// The path length relayed.
        len: usize,
        /// Messages sent.
        sent: u64,
        /// Of the values it holds for those paths, how many were missing (the default went out).
        missing: usize,
    },
    /// A lieutenant decided.
    Decided {
        /// The lieutenant.
        at: NodeId,
        /// The run.
        run: u64,
        /// The order it obeys.
        order: Order,
        /// The commander's order as it reached it.
        direct: Order,
        /// Top-level values saying attack.
        attack: usize,
        /// Top-level values counted.
        votes: usize,
    },
    /// An order message was delivered.
    Msg {
        /// The receiver.
        at: NodeId,
        /// The sender.
        from: NodeId,
        /// The run.
        run: u64,
        /// The relay chain.
        path: Vec<NodeId>,
        /// The order.
        value: Order,
        /// What the receiver did with it.
        heard: Heard,
    },
    /// A key-value client asked; generals serve no clients.
    Client {
        /// The general.
        at: NodeId,
    },
    /// The general crashed (it keeps what it heard).
    Crash {
        /// The general.
        at: NodeId,
    },
    /// The general restarted with what it heard; rounds it missed are lost.
    Restart {
        /// The general.
        at: NodeId,
    },
}

impl Note {
    /// The event-log kind: `start`, `order`, `relay`, `decide`, `deliver`, `client`, `crash`
    /// or `restart`.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Started { .. } => "start",
            Note::Commanded { .. } | Note::Missed { .. } => "order",
            Note::Relayed { .. } => "relay",
            Note::Decided { .. } => "decide",
            Note::Msg { .. } => "deliver",
            Note::Client { .. } => "client",
            Note::Crash { .. } => "crash",
            Note::Restart { .. } => "restart",
        }
    }

    /// The sentence; `names[i]` is general `i`'s name.
    pub fn describe(&self, names: &[String]) -> String {
        let n = |i: &NodeId| names.get(*i).cloned().unwrap_or_else(|| crate::protocol::node_name(*i));
        let chain = |p: &[NodeId]| p.iter().map(n).collect::<Vec<_>>().join("→");
        match self {
            Note::Started { at, run, order } => format!("{} (commander) will order {} in run {run}", n(at), order.name()),
            Note::Commanded { at, run, order, told } => {
                if told.iter().all(|(_, o)| o == order) {
                    format!("{} (commander) orders {} to every lieutenant in run {run}", n(at), order.name())
                } else {
                    let each: Vec<String> = told.iter().map(|(l, o)| format!("{} to {}", o.name(), n(l))).collect();
                    format!("{} (commander, a traitor) was to order {} in run {run} and sends {}", n(at), order.name(), each.join(", "))
                }
            }
            Note::Missed { at, run } => format!("{} (commander) missed his round in run {run}: no order went out", n(at)),
            Note::Relayed { at, run, len, sent, missing } => {
                let gaps = if *missing > 0 { format!(" ({missing} missing, relayed as retreat)") } else { String::new() };
                format!("{} relays what it heard along paths of {len} in run {run}: {sent} messages{gaps}", n(at))
            }
            Note::Decided { at, run, order, direct, attack, votes } => format!(
                "{} obeys {} in run {run}: {attack} of {votes} values say attack (the commander's order reached it as {})",
                n(at),
                order.name(),
                direct.name()
            ),
            Note::Msg { at, from, run, path, value, heard } => {
                let what = format!("\"{} says {}\" ({}) in run {run}", n(&path.first().copied().unwrap_or(0)), value.name(), chain(path));
                match heard {
                    Heard::Taken { .. } => format!("{} hears from {} {what}", n(at), n(from)),
                    Heard::Ignored(why) => {
                        let why = match why {
                            Ignored::Commander => "the commander takes no orders",
                            Ignored::BadPath => "a malformed relay chain",
                            Ignored::NotSender => "the sender is not the chain's last general",
                            Ignored::TooLong => "a chain longer than m + 1",
                            Ignored::WrongRound => "outside its round",
                            Ignored::Duplicate => "already heard",
                        };
                        format!("{} ignores from {} {what}: {why}", n(at), n(from))
                    }
                }
            }
            Note::Client { at } => format!("{} serves no clients (generals take orders from their commander)", n(at)),
            Note::Crash { at } => format!("{} crashes (it keeps what it heard)", n(at)),
            Note::Restart { at } => format!("{} restarts; the rounds it missed are lost", n(at)),
        }
    }
}
