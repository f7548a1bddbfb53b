//! Chained HotStuff with a pacemaker (Yin, Malkhi, Reiter, Gueta, Abraham, "HotStuff: BFT
//! Consensus with Linearity and Responsiveness", PODC 2019) as a
//! [`crate::protocol::Protocol`] on the generic simulator: Byzantine fault tolerant state
//! machine replication among `n` replicas, `f = ⌊(n − 1)/3⌋` of which may be traitors.
//!
//! - Views and leaders (§4.4): the leader of view `v` is replica `v mod n`; leaders rotate.
//! - Blocks and QCs (§4.1, §5): a leader proposes a block extending the block of the highest
//!   quorum certificate it knows (`generic_qc`, the paper's `genericQC`), which the block
//!   carries as its `justify`. A QC is the set of 2f + 1 voters (⌈(n + f + 1)/2⌉ in general)
//!   for one block in one view; there is no cryptography, and the simulator stamps the true
//!   sender on every message, so a replica counts only votes it received.
//! - Voting (§4.2 `safeNode`, §5 Algorithm 3): a replica votes at most once per view, for a
//!   block that extends its locked block or whose QC is newer than its `locked_qc`; its vote
//!   goes to the leader of the next view, who forms the next QC.
//! - Chained phases (§5): a QC for `b''` makes it the `generic_qc` (prepare → pre-commit);
//!   when `b''`'s parent is `b'`, `b'`'s QC becomes `locked_qc` (commit phase, a two-chain);
//!   when `b'`'s parent is in turn `b` and the three were proposed in consecutive views, `b`
//!   commits (decide: a three-chain of direct parents in consecutive views; the paper gets the
//!   consecutive views by padding failed views with dummy blocks, we check them as
//!   LibraBFT/DiemBFT do), and with it every ancestor not yet executed.
//! - Pacemaker (§4.4, Algorithm 5): a view timer, doubled on each successive timeout (at most
//!   16 times the base) and back to the base on progress; a replica that times out moves to
//!   the next view and sends a NewView with its highest QC. The NewView goes to every replica,
//!   not only to that view's leader: a leader with NewViews from a quorum proposes on the
//!   highest QC it knows (once it holds the blocks their QCs name), and a replica that sees
//!   f + 1 replicas past its view joins them (the paper leaves view synchronization to the
//!   pacemaker; with NewViews to the leader alone, replicas whose views drifted apart under
//!   crashes and partitions rarely met in one view again).
//! - Clients: a replica that takes a command passes it to every replica (any of them may lead
//!   next) and answers the client when the block carrying it executes; the key-value store's
//!   sessions ([`crate::kv`]) make a command that lands twice take effect once.
//! - Traitors ([`Behaviour`]): `equivocate` (two blocks in one view), `fork` (a block from an
//!   old QC, below what may be committed), `double-vote`; the simulator adds `silent` and `mute`.
//!
//! Modules:
//! - [`node`]: one replica's state and handlers, sans-IO.
//! - [`sim`]: HotStuff as a `Protocol` (messages, timers, options, the key-value store and its
//!   clients) and its actions on the simulator.
//! - [`notes`]: what a replica narrates, as data, and its sentences.
//! - [`check`]: the invariants, checked after every event on honest replicas.
//! - [`bug`]: deliberate bugs, to show the checker catches them, and the traitors' behaviours.
//! - [`chaos`]: what HotStuff adds to randomized fault runs.

pub mod bug;
pub mod chaos;
pub mod check;
pub mod node;
pub mod notes;
pub mod sim;

pub use bug::{Behaviour, Bug};
pub use node::{leader_of, quorum_of, Block, BlockId, Qc, Replica, View, GENESIS};
pub use sim::{Decision, HotStuff, HotStuffNode, Msg, Options, Timer};
