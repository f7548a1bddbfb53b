//! Deliberate gossip bugs, off by default. Each breaks one rule of Demers et al. (PODC 1987),
//! so that the invariant checker ([`super::check`]) and the convergence check at the end of a
//! randomized run ([`super::chaos`]) can be seen to catch it.

use crate::protocol::BugInfo;

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `keep-older`: a merge keeps the older of two versions (the comparison is reversed), so an
    /// agent moves a key back to an older version.
    KeepOlder,
    /// `no-tiebreak`: two versions with equal timestamps are resolved by arrival order (the one
    /// that arrives last wins) instead of by writer id, so agents flip between them and can
    /// diverge for good.
    NoTiebreak,
    /// `rumor-only`: rumor mongering without anti-entropy beneath it (§1.4: "anti-entropy …
    /// as a backup"): the agents a rumor missed never hear.
    RumorOnly,
    /// `no-tombstone`: a delete removes the item instead of leaving a death certificate (§2.1),
    /// so anti-entropy brings the old value back.
    NoTombstone,
}

impl Bug {
    /// Every bug, in order.
    pub const ALL: [Bug; 4] = [Bug::KeepOlder, Bug::NoTiebreak, Bug::RumorOnly, Bug::NoTombstone];

    /// `keep-older`, `no-tiebreak`, `rumor-only` or `no-tombstone`.
    pub const fn name(self) -> &'static str {
        match self {
            Bug::KeepOlder => "keep-older",
            Bug::NoTiebreak => "no-tiebreak",
            Bug::RumorOnly => "rumor-only",
            Bug::NoTombstone => "no-tombstone",
        }
    }

    /// The rule it breaks, in a few words.
    pub const fn breaks(self) -> &'static str {
        match self {
            Bug::KeepOlder => "a merge keeps the older version: the later version must win everywhere (Demers et al. §1.1)",
            Bug::NoTiebreak => "equal timestamps resolved by arrival order: ties must be broken by writer id, the same way everywhere (§1.1)",
            Bug::RumorOnly => "rumor mongering without anti-entropy beneath it: some agents never hear (§1.4, §1.5)",
            Bug::NoTombstone => "a delete removes the item instead of leaving a death certificate: the old value comes back (§2.1)",
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

/// Gossip's bugs as the simulator lists them ([`crate::protocol::Protocol::BUGS`]), in
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
