//! Deliberate bugs in OM(m), off by default. Each breaks the algorithm of the paper's §3 so
//! that the checker ([`super::check`]) can be seen to catch it: with N > 3m generals and at
//! most m traitors, IC1 or IC2 fails, which Theorem 1 (§3) says cannot happen.

use crate::protocol::BugInfo;

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `no-majority`: a lieutenant obeys the order the commander sent him directly, ignoring
    /// what the other lieutenants relay (OM(0) when m ≥ 1): a traitorous commander who sends
    /// attack to some and retreat to others splits the loyal lieutenants (IC1).
    NoMajority,
    /// `one-round-short`: the lieutenants stop one round early, relaying paths of length up
    /// to m − 1 and deciding after m rounds (OM(m − 1) where OM(m) is needed): with m traitors
    /// the loyal lieutenants may disagree.
    OneRoundShort,
    /// `trust-path`: a lieutenant believes the relay chain a message claims instead of the
    /// sender the network names (A2: "the receiver of a message knows who sent it"), so a
    /// traitor can relay in a loyal lieutenant's name (a `forge` traitor does).
    TrustPath,
}

impl Bug {
    /// Every bug, in order.
    pub const ALL: [Bug; 3] = [Bug::NoMajority, Bug::OneRoundShort, Bug::TrustPath];

    /// `no-majority`, `one-round-short` or `trust-path`.
    pub const fn name(self) -> &'static str {
        match self {
            Bug::NoMajority => "no-majority",
            Bug::OneRoundShort => "one-round-short",
            Bug::TrustPath => "trust-path",
        }
    }

    /// The rule it breaks, in a few words.
    pub const fn breaks(self) -> &'static str {
        match self {
            Bug::NoMajority => "a lieutenant obeys the commander's direct order and ignores the relays: OM(m) takes the majority of the values the other lieutenants relay (§3)",
            Bug::OneRoundShort => "the lieutenants decide after m rounds instead of m + 1: OM(m − 1) copes with only m − 1 traitors (§3, Theorem 1)",
            Bug::TrustPath => "a lieutenant believes the relay chain a message claims, not its sender: A2, the receiver knows who sent it (§3)",
        }
    }

    /// The bug named `name`, if any.
    pub fn from_name(name: &str) -> Option<Bug> {
        Bug::ALL.into_iter().find(|b| b.name() == name)
    }
}

impl From<Bug> for usize {
    /// The bug's bit in a [`crate::protocol::BugSet`]: its place in [`Bug::ALL`] and in [`BUG_LIST`].
    fn from(b: Bug) -> usize {
        b as usize
    }
}

/// The bugs as the simulator lists them ([`crate::protocol::Protocol::BUGS`]), in
/// [`Bug::ALL`]'s order.
pub const BUG_LIST: [BugInfo; 3] = {
    let mut list = [BugInfo { name: "", breaks: "" }; 3];
    let mut i = 0;
    while i < 3 {
        let b = Bug::ALL[i];
        list[i] = BugInfo { name: b.name(), breaks: b.breaks() };
        i += 1;
    }
    list
};
