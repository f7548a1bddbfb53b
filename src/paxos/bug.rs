//! Deliberate Paxos bugs, off by default. Each breaks one rule of "Paxos Made Simple" so that
//! the invariant checker ([`super::check`]) can be seen to catch it (a checker that never fires
//! proves nothing).

use crate::protocol::BugInfo;

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `forget-promise`: an acceptor's promised ballot is volatile: a restarted acceptor answers
    /// prepares (and accepts) of ballots lower than one it promised (§2.2: the acceptor must
    /// remember its promise "even if it fails and then restarts", §2.5).
    ForgetPromise,
    /// `forget-accepted`: an acceptor's accepted proposals are volatile: a restarted acceptor
    /// reports none in its promises, so a new leader may propose another value in a slot already
    /// chosen (§2.5).
    ForgetAccepted,
    /// `own-value`: a new leader proposes its own value (a queued command, or a no-op) in every
    /// slot instead of the value of the highest-ballot accepted proposal reported (P2c, §2.2).
    OwnValue,
    /// `lowest-ballot`: a new leader adopts the value of the lowest-ballot accepted proposal
    /// reported instead of the highest (P2c, §2.2).
    LowestBallot,
    /// `minority-quorum`: ⌊n/2⌋ acceptors count as a quorum, for promises and for learning
    /// (§2.1: a majority, so that any two quorums share an acceptor).
    MinorityQuorum,
    /// `cross-ballot-learner`: a learner counts acceptances of one value under different ballots
    /// together (§2.3: a value is chosen when a majority accepted the same proposal, one ballot).
    CrossBallotLearner,
}

impl Bug {
    /// Every bug, in order (bit `i` of a [`crate::protocol::BugSet`] is `ALL[i]`).
    pub const ALL: [Bug; 6] = [Bug::ForgetPromise, Bug::ForgetAccepted, Bug::OwnValue, Bug::LowestBallot, Bug::MinorityQuorum, Bug::CrossBallotLearner];

    /// The bug's name as the CLI, the page and the JS API spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Bug::ForgetPromise => "forget-promise",
            Bug::ForgetAccepted => "forget-accepted",
            Bug::OwnValue => "own-value",
            Bug::LowestBallot => "lowest-ballot",
            Bug::MinorityQuorum => "minority-quorum",
            Bug::CrossBallotLearner => "cross-ballot-learner",
        }
    }

    /// The rule it breaks, in a few words, with the paper's section.
    pub const fn breaks(self) -> &'static str {
        match self {
            Bug::ForgetPromise => "forgets its promised ballot across a crash (§2.5: an acceptor's promise is stable storage)",
            Bug::ForgetAccepted => "forgets its accepted proposals across a crash (§2.5: accepted proposals are stable storage)",
            Bug::OwnValue => "a new leader proposes its own value instead of the highest-ballot accepted one (P2c, §2.2)",
            Bug::LowestBallot => "a new leader adopts the lowest-ballot accepted value instead of the highest (P2c, §2.2)",
            Bug::MinorityQuorum => "counts ⌊n/2⌋ acceptors as a quorum (§2.1: a majority)",
            Bug::CrossBallotLearner => "a learner adds up acceptances of one value under different ballots (§2.3)",
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

/// Paxos's bugs as the simulator lists them ([`crate::protocol::Protocol::BUGS`]), in
/// [`Bug::ALL`]'s order.
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
