//! What a simulated HotStuff replica narrates, as data: a [`Note`] carries the numbers of the
//! moment; [`Note::describe`] builds the sentence, in the paper's terms (view, block, QC,
//! genericQC, lockedQC, safeNode, NewView, pacemaker), only when someone reads the event log.

use crate::kv::{ClientId, Op};
use crate::protocol::NodeId;

use super::node::{BlockId, View};

/// Why a replica did not vote for a proposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The sender does not lead the block's view, or is not its proposer.
    NotLeader,
    /// The block is malformed (its id, height, view, proposer or QC).
    Invalid,
    /// The block's view is behind the replica's.
    OldView,
    /// The replica already voted in that view (or a later one).
    VotedAlready,
    /// `safeNode` failed: the block conflicts with the locked block and its QC is not newer.
    Unsafe,
}

impl Refusal {
    fn words(self) -> &'static str {
        match self {
            Refusal::NotLeader => "its sender does not lead that view",
            Refusal::Invalid => "it is malformed",
            Refusal::OldView => "its view is behind",
            Refusal::VotedAlready => "it already voted in that view",
            Refusal::Unsafe => "safeNode fails: it conflicts with the locked block and its QC is not newer than lockedQC",
        }
    }
}

/// What a replica did with a message it received (the receiver is the note's `at`).
#[derive(Clone, Debug, PartialEq)]
pub enum MsgNote {
    /// The sender is not a member.
    NotMember,
    /// Voted for `block` in `view`, to `to` (the next view's leader).
    Voted {
        /// The view.
        view: View,
        /// The block.
        block: BlockId,
        /// Its height.
        height: u64,
        /// The locked QC's view after the proposal's QC was acted on.
        locked: View,
        /// The height committed up to now, if the proposal's QC committed a block.
        committed: Option<u64>,
        /// The next view's leader.
        to: NodeId,
    },
    /// Did not vote for the proposal.
    Refused {
        /// The view.
        view: View,
        /// The block.
        block: BlockId,
        /// Why.
        why: Refusal,
    },
    /// A proposal, or a vote, seen before.
    Duplicate {
        /// The view.
        view: View,
        /// The block.
        block: BlockId,
    },
    /// A proposal whose ancestor is missing: it waits, and the block is fetched.
    Waiting {
        /// The view.
        view: View,
        /// The block.
        block: BlockId,
        /// The block fetched.
        missing: BlockId,
    },
    /// A vote this replica does not collect (it does not lead the next view, or stale).
    VoteIgnored {
        /// The view.
        view: View,
        /// The block.
        block: BlockId,
    },
    /// A vote counted; `certified`: it completed a QC.
    VoteCounted {
        /// The view.
        view: View,
        /// The block.
        block: BlockId,
        /// Votes held.
        votes: usize,
        /// Votes needed.
        quorum: usize,
        /// Whether a QC formed.
        certified: bool,
    },
    /// A NewView this replica does not collect.
    NewViewIgnored {
        /// The view.
        view: View,
    },
    /// A NewView counted.
    NewView {
        /// The view.
        view: View,
        /// NewViews held for it.
        count: usize,
        /// NewViews needed.
        quorum: usize,
        /// The view of the QC it carried.
        generic_qc: View,
        /// Whether the leader proposed.
        proposed: bool,
        /// The view the receiver joined (f + 1 replicas were past its own), if any.
        joined: Option<View>,
    },
    /// A client's command from another replica; `fresh`: it was not in the pool.
    Request {
        /// New to this replica.
        fresh: bool,
    },
    /// A Fetch answered with `sent` blocks.
    Fetch {
        /// The block asked for.
        block: BlockId,
        /// Blocks sent.
        sent: usize,
    },
    /// Blocks received; `added` were new and well formed.
    Blocks {
        /// Blocks received.
        received: usize,
        /// Blocks stored.
        added: usize,
    },
}

/// What a replica narrates.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A message arrived at `at` from `from`.
    Msg {
        /// The receiver.
        at: NodeId,
        /// The sender.
        from: NodeId,
        /// What it did.
        what: MsgNote,
    },
    /// The leader proposed (`twin`: an equivocating traitor's second block of the view).
    Proposed {
        /// The leader.
        at: NodeId,
        /// The view.
        view: View,
        /// The block.
        block: BlockId,
        /// Its height.
        height: u64,
        /// Commands it carries.
        commands: usize,
        /// The view of its justify QC.
        justify: View,
        /// A second block of the same view (a traitor).
        twin: Option<BlockId>,
    },
    /// The pacemaker's timer ran out.
    Timeout {
        /// The replica.
        at: NodeId,
        /// The view it leaves.
        view: View,
        /// The view it enters.
        next: View,
        /// That view's leader.
        leader: NodeId,
        /// The next timer, µs.
        timeout_us: u64,
        /// The view of the vote it re-sends to that leader, if any (its collector failed).
        resent: Option<View>,
    },
    /// A workload client's command arrived.
    ClientCall {
        /// The replica.
        at: NodeId,
        /// The client.
        client: ClientId,
        /// The operation.
        op: Op,
    },
    /// A command given by hand.
    Submitted {
        /// The replica.
        at: NodeId,
        /// The command.
        command: String,
    },
    /// The replica crashed.
    Crash {
        /// The replica.
        at: NodeId,
        /// Its view.
        view: View,
        /// Its locked QC's view.
        locked: View,
        /// Blocks it holds.
        blocks: usize,
    },
    /// The replica restarted with its durable state.
    Restart {
        /// The replica.
        at: NodeId,
        /// Its view.
        view: View,
        /// Its locked QC's view.
        locked: View,
        /// Blocks it holds.
        blocks: usize,
    },
}

/// A block id as sentences show it: `#` and its first 6 hex digits (`genesis` for 0).
pub fn block_text(id: BlockId) -> String {
    if id == 0 {
        "genesis".into()
    } else {
        format!("#{:06x}", id >> 40)
    }
}

impl Note {
    /// The event-log kind: `proposal`, `vote`, `timeout`, `client`, `crash`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Msg { what, .. } => match what {
                MsgNote::Voted { committed: Some(_), .. } => "commit",
                MsgNote::Voted { .. } | MsgNote::Refused { .. } | MsgNote::Duplicate { .. } | MsgNote::Waiting { .. } => "proposal",
                MsgNote::VoteIgnored { .. } | MsgNote::VoteCounted { .. } => "vote",
                MsgNote::NewView { .. } | MsgNote::NewViewIgnored { .. } => "newview",
                MsgNote::Request { .. } => "client",
                MsgNote::Fetch { .. } | MsgNote::Blocks { .. } => "fetch",
                MsgNote::NotMember => "deliver",
            },
            Note::Proposed { .. } => "leader",
            Note::Timeout { .. } => "timeout",
            Note::ClientCall { .. } | Note::Submitted { .. } => "client",
            Note::Crash { .. } => "crash",
            Note::Restart { .. } => "restart",
        }
    }

    /// Whether it is routine traffic (duplicates, commands already known).
    pub fn routine(&self) -> bool {
        matches!(self, Note::Msg { what: MsgNote::Duplicate { .. } | MsgNote::Request { fresh: false }, .. })
    }

    /// The sentence; `names[i]` is node `i`'s name.
    pub fn describe(&self, names: &[String]) -> String {
        let name = |i: NodeId| names.get(i).cloned().unwrap_or_else(|| format!("n{}", i + 1));
        match self {
            Note::Msg { at, from, what } => {
                let (at, from) = (name(*at), name(*from));
                match what {
                    MsgNote::NotMember => format!("{at} ignores a message from {from}, not a member"),
                    MsgNote::Voted { view, block, height, locked, committed, to } => {
                        let c = committed.map_or(String::new(), |h| format!("; committed up to height {h}"));
                        format!("{at} votes for {from}'s block {} (view {view}, height {height}) and sends the vote to {}, the next leader; lockedQC is of view {locked}{c}", block_text(*block), name(*to))
                    }
                    MsgNote::Refused { view, block, why } => format!("{at} does not vote for block {} of view {view} from {from}: {}", block_text(*block), why.words()),
                    MsgNote::Duplicate { view, block } => format!("{at} already has {from}'s message about block {} of view {view}", block_text(*block)),
                    MsgNote::Waiting { view, block, missing } => format!("{at} holds {from}'s block {} of view {view} and fetches its missing ancestor {}", block_text(*block), block_text(*missing)),
                    MsgNote::VoteIgnored { view, block } => format!("{at} ignores {from}'s vote for block {} of view {view} (not the next leader, or stale)", block_text(*block)),
                    MsgNote::VoteCounted { view, block, votes, quorum, certified } => {
                        if *certified {
                            format!("{at} has {votes} of {quorum} votes for block {} of view {view}: a QC (the new genericQC)", block_text(*block))
                        } else {
                            format!("{at} counts {from}'s vote for block {} of view {view}: {votes} of {quorum}", block_text(*block))
                        }
                    }
                    MsgNote::NewViewIgnored { view } => format!("{at} ignores {from}'s NewView for view {view}"),
                    MsgNote::NewView { view, count, quorum, generic_qc, proposed, joined } => {
                        let p = if *proposed { "; it proposes" } else { "" };
                        let j = joined.map_or(String::new(), |v| format!("; f + 1 replicas are past its view, so it joins view {v}"));
                        if *count > 0 {
                            format!("{at} gets {from}'s NewView for view {view} (its genericQC is of view {generic_qc}): {count} of {quorum}{p}{j}")
                        } else {
                            format!("{at} gets {from}'s NewView for view {view} (its genericQC is of view {generic_qc}){j}")
                        }
                    }
                    MsgNote::Request { fresh } => {
                        if *fresh {
                            format!("{at} keeps a client command from {from} for the next proposal")
                        } else {
                            format!("{at} already has {from}'s client command")
                        }
                    }
                    MsgNote::Fetch { block, sent } => format!("{at} sends {from} {sent} blocks from {}", block_text(*block)),
                    MsgNote::Blocks { received, added } => format!("{at} gets {received} blocks from {from}, {added} new"),
                }
            }
            Note::Proposed { at, view, block, height, commands, justify, twin } => {
                let twin = twin.map_or(String::new(), |t| format!(", and a second block {} for the same view (equivocation)", block_text(t)));
                format!("{} leads view {view}: proposes block {} at height {height} with {commands} commands, justified by a QC of view {justify}{twin}", name(*at), block_text(*block))
            }
            Note::Timeout { at, view, next, leader, timeout_us, resent } => format!(
                "{}'s pacemaker gives up on view {view}: NewView for view {next} to its leader {}{} (next timeout {} ms)",
                name(*at),
                name(*leader),
                resent.map_or(String::new(), |v| format!(", with its vote of view {v} again")),
                timeout_us / 1000
            ),
            Note::ClientCall { at, client, op } => format!("{} takes client {client}'s {} and passes it to every replica", name(*at), op.sentence()),
            Note::Submitted { at, command } => format!("{} takes command {command} and passes it to every replica", name(*at)),
            Note::Crash { at, view, locked, blocks } => format!("{} crashes in view {view}; it keeps {blocks} blocks, its lock (view {locked}) and its last vote", name(*at)),
            Note::Restart { at, view, locked, blocks } => format!("{} restarts in view {view} with {blocks} blocks, locked on view {locked}; it executes again from genesis", name(*at)),
        }
    }
}
