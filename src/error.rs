//! The crate's one error type, shared by the protocol cores, the simulator and the bindings.

use std::fmt;

/// A node's name in an error message.
type NodeId = String;

/// Why a call into the core was refused. A refused call leaves the node unchanged.
/// `Debug` prints the `Display` sentence (a derived `Debug` would link string escaping into
/// the wasm for the `expect`s on core results).
#[derive(Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument broke a rule. `param` is the argument's name as the JS API spells it
    /// (camelCase, e.g. `"prevLogIndex"` or `"entries[2].index"`); `rule` says what it must be.
    InvalidArgument {
        /// The argument's name (JS spelling).
        param: String,
        /// The rule it broke, as a sentence fragment ("must be a non-empty string").
        rule: String,
    },
    /// A leader-only call (`replicate_log`, `heartbeat`) on a node that is not leader.
    /// `leader` is the leader this node knows of in its current term, if any.
    NotLeader {
        /// The node that was asked.
        node: NodeId,
        /// The leader it knows of, if any.
        leader: Option<NodeId>,
    },
    /// A state transition asked from a state that does not allow it
    /// (e.g. `become_leader` on a follower: Raft paper Figure 2, "Rules for Servers").
    WrongState {
        /// The transition that was asked ("becomeLeader").
        action: &'static str,
        /// The state the node is in ("follower").
        state: &'static str,
        /// The state the transition needs ("candidate").
        needs: &'static str,
    },
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(param: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::InvalidArgument { param: param.into(), rule: rule.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument { param, rule } => write!(f, "{param} {rule}"),
            Error::NotLeader { node, leader: Some(l) } => {
                write!(f, "{node} is not the leader; the leader it knows is {l}")
            }
            Error::NotLeader { node, leader: None } => {
                write!(f, "{node} is not the leader and knows of no leader in its current term")
            }
            Error::WrongState { action, state, needs } => {
                write!(f, "{action} needs a {needs}, but this node is a {state}")
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}

/// The crate's result alias.
pub type Result<T> = std::result::Result<T, Error>;
