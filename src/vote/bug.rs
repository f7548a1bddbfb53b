//! Deliberate voting bugs, off by default. Each is a classic mistake in counting votes, so
//! that the invariant checker ([`super::check`]) can be seen to catch it.

use crate::protocol::BugInfo;

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `fraction-as-count`: a fractional quorum (`0.51`) is read as a count of votes, so any
    /// one vote — the proposer's own — passes it.
    FractionAsCount,
    /// `half-threshold`: a majority is taken as `⌈W/2⌉`, so 2 of 4 is "a majority" (it must be
    /// more than half: 3 of 4).
    HalfThreshold,
    /// `responders-denominator`: the quorum is counted among those who answered, not among
    /// all voters, so the proposer's own vote is a majority of one.
    RespondersDenominator,
    /// `double-count`: a vote delivered twice (the network duplicates messages) is counted
    /// twice.
    DoubleCount,
}

impl Bug {
    /// Every bug, in order.
    pub const ALL: [Bug; 4] = [Bug::FractionAsCount, Bug::HalfThreshold, Bug::RespondersDenominator, Bug::DoubleCount];

    /// `fraction-as-count`, `half-threshold`, `responders-denominator` or `double-count`.
    pub const fn name(self) -> &'static str {
        match self {
            Bug::FractionAsCount => "fraction-as-count",
            Bug::HalfThreshold => "half-threshold",
            Bug::RespondersDenominator => "responders-denominator",
            Bug::DoubleCount => "double-count",
        }
    }

    /// The rule it breaks, in a few words.
    pub const fn breaks(self) -> &'static str {
        match self {
            Bug::FractionAsCount => "reads a fractional quorum such as 0.51 as a count of votes, so one vote passes it",
            Bug::HalfThreshold => "takes half the weight, rounded up, as a majority (2 of 4): a majority is more than half",
            Bug::RespondersDenominator => "counts the quorum among the voters who answered, not among all voters",
            Bug::DoubleCount => "counts a duplicated vote twice: each voter counts once per proposal",
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

/// Voting's bugs as the simulator lists them ([`crate::protocol::Protocol::BUGS`]), in
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
