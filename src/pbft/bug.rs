//! Deliberate PBFT bugs, off by default. Each breaks one rule of Castro & Liskov (OSDI 1999
//! §4) so that the invariant checker ([`super::check`]) can be seen to catch it (a checker that
//! never fires proves nothing).

use crate::protocol::BugInfo;

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `quorum-2f`: prepared, committed-local, stable checkpoints and new views with 2f
    /// replicas instead of 2f + 1 (§4.2: two quorums must share an honest replica).
    Quorum2f,
    /// `second-preprepare`: a backup accepts a second pre-prepare with another digest for one
    /// (view, seq) (§4.2: "it has not accepted a pre-prepare message for view v and sequence
    /// number n containing a different digest").
    SecondPrePrepare,
    /// `unbound-digest`: a backup does not recompute the digest from the request (§4.2: "the
    /// signatures in the request and the pre-prepare message are correct and d is the digest
    /// for m").
    UnboundDigest,
    /// `view-change-without-prepared`: view changes carry no prepared certificates (§4.4: P),
    /// so a new primary fills committed sequence numbers with null requests: safety is lost
    /// with no traitor at all.
    ViewChangeWithoutPrepared,
    /// `first-reply`: the client accepts the first reply instead of f + 1 matching ones (§4.1).
    FirstReply,
    /// `count-messages`: matching messages are counted per message, not per sender, so a
    /// duplicated or replayed prepare or commit counts twice (§4.2: "from different backups").
    CountMessages,
}

impl Bug {
    /// Every bug, in order (bit `i` of a [`crate::protocol::BugSet`] is `ALL[i]`).
    pub const ALL: [Bug; 6] = [Bug::Quorum2f, Bug::SecondPrePrepare, Bug::UnboundDigest, Bug::ViewChangeWithoutPrepared, Bug::FirstReply, Bug::CountMessages];

    /// The bug's name as the CLI, the page and the JS API spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Bug::Quorum2f => "quorum-2f",
            Bug::SecondPrePrepare => "second-preprepare",
            Bug::UnboundDigest => "unbound-digest",
            Bug::ViewChangeWithoutPrepared => "view-change-without-prepared",
            Bug::FirstReply => "first-reply",
            Bug::CountMessages => "count-messages",
        }
    }

    /// The rule it breaks, in a few words, with the paper's section.
    pub const fn breaks(self) -> &'static str {
        match self {
            Bug::Quorum2f => "prepares, commits and view changes with 2f replicas instead of 2f + 1 (§4.2: quorums must share an honest replica)",
            Bug::SecondPrePrepare => "a backup accepts a second pre-prepare with another digest for one view and sequence number (§4.2)",
            Bug::UnboundDigest => "a backup does not check that the pre-prepare's digest is the request's (§4.2)",
            Bug::ViewChangeWithoutPrepared => "view changes carry no prepared certificates, so a new view drops committed requests (§4.4)",
            Bug::FirstReply => "the client accepts the first reply instead of f + 1 matching ones (§4.1)",
            Bug::CountMessages => "matching prepares and commits are counted per message, not per sender (§4.2)",
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

/// PBFT's bugs as the simulator lists them ([`crate::protocol::Protocol::BUGS`]).
pub const BUG_LIST: [BugInfo; 6] = {
    let mut list = [BugInfo { name: "", breaks: "" }; 6];
    let mut i = 0;
    while i < 6 {
        let b = Bug::ALL[i];
        list[i] = BugInfo { name: b.name(), breaks: b.breaks() };
        i += 1;
    }
    list
};
