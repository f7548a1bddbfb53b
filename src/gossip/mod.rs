//! Gossip: epidemic dissemination of a replicated key-value map (Demers, Greene, Hauser, Irish,
//! Larson, Shenker, Sturgis, Swinehart & Terry, "Epidemic Algorithms for Replicated Database
//! Maintenance", PODC 1987). No leader and no quorum: every agent holds a replica, a write goes
//! to one agent and is acknowledged at once, and agents spread what they know by talking to
//! peers drawn at random — eventual consistency, no linearizability.
//!
//! - Versions `(timestamp, writer)`: the writer's logical clock, one more than the highest seen;
//!   compared by timestamp, then writer id; the higher wins everywhere (§1.1). Deletes leave
//!   death certificates that expire after `death_certificate_us` (§2.1).
//! - Anti-entropy (§1.3): every `interval_us` an agent draws `fanout` peers uniformly among the
//!   others and exchanges by push, pull or push-pull. A digest (key → version) opens each
//!   exchange so that only differences travel, at most `entries_per_exchange` per message.
//! - Rumor mongering (§1.4): a new update is a hot rumor; agents push (or serve to pulls) their
//!   hot rumors each round and lose interest by feedback or blind, counter or coin; anti-entropy
//!   runs beneath it to catch the residue.
//!
//! Variants chosen where the paper leaves a choice (say so beside any measured numbers):
//! - "Already heard" (feedback) is judged by the recipient when the rumor arrives: it already
//!   held that version or a newer one. Blind counts one time per peer a rumor is sent to.
//! - Counter counts per rumor (per key and version); coin draws 1/k at each time.
//! - A rumor message carries every hot rumor of the sender (no `entries_per_exchange` bound);
//!   pull rumor mongering asks `fanout` peers each round and they serve their hot rumors.
//! - Any update an agent takes — by rumor or by anti-entropy — becomes a hot rumor there when
//!   rumor mongering runs (§1.5: anti-entropy's finds redistributed as rumors).
//! - An anti-entropy exchange opens with a digest of every key (its version); entries go in key
//!   order, at most `entries_per_exchange` per message.
//! - Death certificates carry their expiry time (simulated µs, the delete's time plus
//!   `death_certificate_us`): every agent drops them then, at its next anti-entropy round; no
//!   dormant certificates (§2.2) yet.
//!
//! Modules: [`node`] (one agent's state and handlers, sans-IO), [`sim`] (gossip as a
//! [`crate::protocol::Protocol`], and its actions on the simulator), [`check`] (the invariants
//! and the convergence bound), [`bug`] (deliberate bugs), [`chaos`] (what a seed draws, and the
//! convergence check at the end of a run), [`notes`] (narration as data).
//!
//! Per-agent state is the replica (one entry per key), the hot rumors (one per hot key) and a
//! clock: no list of peers and nothing of size agents², so that the population can grow.

pub mod bug;
pub mod chaos;
pub mod check;
pub mod experiment;
pub mod node;
pub mod notes;
pub mod sim;

pub use bug::Bug;
pub use node::{Core, Entry, Exchange, Interest, Merged, Msg, Options, Rumors, Version};
pub use sim::{AgentState, Decision, Gossip, GossipSimulation, Timer};
