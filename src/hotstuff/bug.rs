//! Deliberate HotStuff bugs, off by default, and the traitors' behaviours. Each bug breaks one
//! rule of the paper (Yin, Malkhi, Reiter, Gueta, Abraham, PODC 2019) so that the invariant
//! checker ([`super::check`]) can be seen to catch it (a checker that never fires proves
//! nothing).

use crate::protocol::{BehaviourInfo, BugInfo};

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `qc-2f`: 2f votes make a quorum certificate, one short of 2f + 1 (§3, §4.1: any two
    /// quorums of 2f + 1 among 3f + 1 replicas share an honest one). Two disjoint groups of
    /// replicas (a partition) then certify and commit two conflicting chains.
    Qc2f,
    /// `ignore-lock`: `safe_node` is always true (§4.2, Algorithm 1's `safeNode`): a replica
    /// votes for a block that neither extends its locked block nor carries a newer QC, so a
    /// leader proposing from an old QC forks below what was committed.
    IgnoreLock,
    /// `double-vote`: a replica votes for a second block in a view it already voted in (the
    /// vote rule `b.view > vheight` becomes `>=`, §4.3 Algorithm 4's `viewNumber` guard):
    /// an equivocating leader then gets two certificates in one view.
    DoubleVote,
    /// `any-view-chain`: a block commits when it heads a three-chain of direct parents
    /// whatever their views (§5's decide rule without its dummy blocks: the paper pads a failed
    /// view so that a direct parent is always the previous view's block; LibraBFT checks
    /// `round + 1`). Two blocks at one height certified in different views can then each
    /// head a three-chain, and a replica commits both. This was our core's own bug until the
    /// nemesis that aims found it (issue #16; seeds 2619, 8498 and 8572 with a `fork` traitor).
    AnyViewChain,
}

impl Bug {
    /// Every bug, in order (bit `i` of a [`crate::protocol::BugSet`] is `ALL[i]`).
    pub const ALL: [Bug; 4] = [Bug::Qc2f, Bug::IgnoreLock, Bug::DoubleVote, Bug::AnyViewChain];

    /// The bug's name as the CLI, the page and the JS API spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Bug::Qc2f => "qc-2f",
            Bug::IgnoreLock => "ignore-lock",
            Bug::DoubleVote => "double-vote",
            Bug::AnyViewChain => "any-view-chain",
        }
    }

    /// The rule it breaks, in a few words, with the paper's section.
    pub const fn breaks(self) -> &'static str {
        match self {
            Bug::Qc2f => "2f votes make a quorum certificate (§3, §4.1: 2f + 1, so two quorums share an honest replica)",
            Bug::IgnoreLock => "safeNode is always true: votes for blocks that conflict with the locked block (§4.2, Algorithm 1)",
            Bug::DoubleVote => "a replica votes for a second block in a view it already voted in (§4.3, Algorithm 4)",
            Bug::AnyViewChain => "a three-chain of direct parents commits whatever its views (§5: direct parents are consecutive views, failed views padded)",
        }
    }

    /// The bug named `name`, if any.
    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|b| b.name() == name)
    }
}

impl From<Bug> for usize {
    /// The bug's bit: its place in [`Bug::ALL`].
    fn from(b: Bug) -> usize {
        b as usize
    }
}

/// HotStuff's bugs as the simulator lists them ([`crate::protocol::Protocol::BUGS`]), in
/// [`Bug::ALL`]'s order.
pub const BUG_LIST: [BugInfo; 4] = {
    let mut list = [BugInfo { name: "", breaks: "" }; 4];
    let mut i = 0;
    while i < 4 {
        let b = Bug::ALL[i];
        list[i] = BugInfo { name: b.name(), breaks: b.breaks() };
        i += 1;
    }
    list
};

/// A traitor's own behaviour (the simulator adds `silent` and `mute`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Behaviour {
    /// `equivocate`: as leader of a view, proposes two different blocks, both extending its
    /// highest QC: one to each half of the replicas, then the other one to each; it votes for
    /// both. As a replica it votes honestly.
    Equivocate,
    /// `fork`: as leader of a view, proposes a block that forks four certified blocks below its
    /// highest QC (justified by that old QC), below what may already be committed; it votes for
    /// it. As a replica it votes honestly. `safe_node` is what stops it.
    Fork,
    /// `double-vote`: votes for every valid proposal it receives, whatever its view, its lock
    /// and its earlier votes in that view. As leader it proposes honestly.
    DoubleVote,
}

impl Behaviour {
    /// Every behaviour, in order (`Byzantine::Lie(i)` is `ALL[i]`).
    pub const ALL: [Behaviour; 3] = [Behaviour::Equivocate, Behaviour::Fork, Behaviour::DoubleVote];

    /// The behaviour's name as the CLI, the page and the JS API spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Behaviour::Equivocate => "equivocate",
            Behaviour::Fork => "fork",
            Behaviour::DoubleVote => "double-vote",
        }
    }

    /// What a traitor showing it does, in a few words.
    pub const fn does(self) -> &'static str {
        match self {
            Behaviour::Equivocate => "as leader, proposes two different blocks in one view, one to each half, then the other, and votes for both",
            Behaviour::Fork => "as leader, proposes a block forking below its highest QC from an old QC (what the lock stops)",
            Behaviour::DoubleVote => "votes for every valid proposal it sees, ignoring its lock and its earlier votes",
        }
    }
}

/// HotStuff's traitors' behaviours as the simulator lists them
/// ([`crate::protocol::Protocol::BEHAVIOURS`]), in [`Behaviour::ALL`]'s order.
pub const BEHAVIOUR_LIST: [BehaviourInfo; 3] = {
    let mut list = [BehaviourInfo { name: "", does: "" }; 3];
    let mut i = 0;
    while i < 3 {
        let b = Behaviour::ALL[i];
        list[i] = BehaviourInfo { name: b.name(), does: b.does() };
        i += 1;
    }
    list
};
