//! PBFT's messages and digests (Castro & Liskov, OSDI 1999 §4; TOCS 2002 §4), in the papers'
//! names. Numbers are plain integers (views, sequence numbers, timestamps: at most 2⁵³ − 1 at
//! the JS boundary); a digest is a 53-bit number so that it crosses into JavaScript exactly.
//!
//! Channels are authenticated (§2: "we use cryptographic techniques to prevent spoofing"): the
//! simulator stamps the true sender on every message and a replica believes that stamp, never a
//! `replica` field. No message carries a signature, so a certificate relayed inside a
//! `ViewChange` is a claim; how claims are weighed is described in [`super::node`].

use crate::hash::{fnv1a as fnv, FNV_OFFSET};
use crate::protocol::NodeId;

/// A view number (§4: "the primary of a view is replica p such that p = v mod |R|"), from 0.
pub type View = u64;
/// A sequence number assigned by the primary (§4.2), from 1.
pub type Seq = u64;
/// A request's digest (§4.2: D(m)), 53 bits; [`NULL_DIGEST`] for the null request.
pub type Digest = u64;

/// The digest of the null request (§4.4: "a special null request ... which goes through the
/// protocol like other requests, but whose execution is a no-op").
pub const NULL_DIGEST: Digest = 0;

const MASK: u64 = (1 << 53) - 1;

/// A client's request (§4.1: `⟨REQUEST, o, t, c⟩`): the operation (for the key-value store,
/// a command as JSON text), the client's timestamp (increasing per client: exactly-once
/// execution) and the client's name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Request {
    /// The operation `o`: JSON text (a key-value command, or any value).
    pub operation: String,
    /// The timestamp `t`: the client's own counter.
    pub timestamp: u64,
    /// The client `c`: a replica's id (`n1`) for requests proposed at a replica, `c1` … for the
    /// simulator's workload clients.
    pub client: String,
}

/// The digest of a request, or of the null request (`None`): FNV-1a over the operation, the
/// timestamp and the client, cut to 53 bits, never [`NULL_DIGEST`] for a real request. Not a
/// cryptographic hash: nobody here forges on purpose, and a traitor's digest is wrong only
/// where it chooses so (`wrong-digest`).
pub fn digest(request: Option<&Request>) -> Digest {
    let Some(r) = request else { return NULL_DIGEST };
    let mut h = fnv(FNV_OFFSET, r.operation.as_bytes());
    h = fnv(h, &[0]);
    h = fnv(h, &r.timestamp.to_le_bytes());
    h = fnv(h, r.client.as_bytes());
    (h & MASK).max(1)
}

/// The state digest after executing the request with digest `d` at `seq` on a state with digest
/// `prev` (a hash chain: equal chains mean equal sequences of executed requests, hence equal
/// states). Checkpoints carry it (§4.3: "the digest of the state").
pub fn chain(prev: Digest, seq: Seq, d: Digest) -> Digest {
    let mut h = fnv(FNV_OFFSET, &prev.to_le_bytes());
    h = fnv(h, &seq.to_le_bytes());
    h = fnv(h, &d.to_le_bytes());
    h & MASK
}

/// A prepared certificate as a `ViewChange` reports it (§4.4, the set P): at `seq`, the request
/// with `digest` prepared in `view` (the highest view it prepared in there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedCert {
    /// The sequence number.
    pub seq: Seq,
    /// The view it prepared in.
    pub view: View,
    /// The request's digest.
    pub digest: Digest,
    /// The request itself (None: the null request), so that a new primary can re-propose it.
    pub request: Option<Request>,
}

/// What a `ViewChange` carries (§4.4: `⟨VIEW-CHANGE, v+1, n, C, P, i⟩`), plus what the
/// signature-free view change needs (TOCS §4.5's sets Q and the replica's own checkpoints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewChangeBody {
    /// The view it moves to.
    pub view: View,
    /// `n`: the sequence number of its last stable checkpoint.
    pub last_stable: Seq,
    /// The state digest at `last_stable`.
    pub stable_digest: Digest,
    /// `C`: the replicas whose matching Checkpoint messages made it stable (claimed).
    pub checkpoint_proof: Vec<NodeId>,
    /// Its own checkpoints above `last_stable`, `(seq, state digest)`: what it executed.
    pub checkpoints: Vec<(Seq, Digest)>,
    /// `P`: per sequence number above `last_stable`, the prepared certificate of the highest
    /// view.
    pub prepared: Vec<PreparedCert>,
    /// `Q`: per sequence number above `last_stable`, the highest view it accepted a
    /// pre-prepare in, and its digest: `(seq, view, digest)`.
    pub pre_prepared: Vec<(Seq, View, Digest)>,
}

/// A message between replicas (and, for `Reply`, to a replica acting as a client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// A client's request, as a client sends it or a backup forwards it to the primary.
    Request(Request),
    /// `⟨PRE-PREPARE, v, n, d⟩, m` (§4.2): the primary assigns `seq` to the request.
    PrePrepare {
        /// The view.
        view: View,
        /// The sequence number.
        seq: Seq,
        /// The request's digest.
        digest: Digest,
        /// The request (None: the null request).
        request: Option<Request>,
    },
    /// `⟨PREPARE, v, n, d, i⟩` (§4.2): a backup accepted the pre-prepare.
    Prepare {
        /// The view.
        view: View,
        /// The sequence number.
        seq: Seq,
        /// The digest.
        digest: Digest,
        /// The sender as it names itself (ignored: the channel's stamp is believed).
        replica: NodeId,
    },
    /// `⟨COMMIT, v, n, D(m), i⟩` (§4.2): the sender has prepared the request.
    Commit {
        /// The view.
        view: View,
        /// The sequence number.
        seq: Seq,
        /// The digest.
        digest: Digest,
        /// The sender as it names itself (ignored).
        replica: NodeId,
    },
    /// `⟨REPLY, v, t, c, i, r⟩` (§4.1), to a replica that proposed the request as its client.
    Reply {
        /// The view.
        view: View,
        /// The request's timestamp.
        timestamp: u64,
        /// The client.
        client: String,
        /// The sender as it names itself (ignored).
        replica: NodeId,
        /// The result (JSON text).
        result: String,
    },
    /// `⟨CHECKPOINT, n, d, i⟩` (§4.3): the sender's state digest after executing `seq`.
    Checkpoint {
        /// The sequence number.
        seq: Seq,
        /// The state digest.
        digest: Digest,
        /// The sender as it names itself (ignored).
        replica: NodeId,
    },
    /// `⟨VIEW-CHANGE, v+1, n, C, P, i⟩` (§4.4).
    ViewChange {
        /// What it carries.
        body: Box<ViewChangeBody>,
        /// The sender as it names itself (ignored).
        replica: NodeId,
    },
    /// `⟨NEW-VIEW, v+1, V, O⟩` (§4.4): the new primary's decision, from the view changes of
    /// `view_changes` (V, by sender: each backup checks it against the ViewChanges it received
    /// from those replicas itself), starting from the stable checkpoint `checkpoint`, and the
    /// pre-prepares O.
    NewView {
        /// The new view.
        view: View,
        /// V: the replicas whose ViewChange messages the decision used.
        view_changes: Vec<NodeId>,
        /// The checkpoint the view starts from: `(seq, state digest)`.
        checkpoint: (Seq, Digest),
        /// O: `(seq, digest, request)` for every sequence number after the checkpoint up to the
        /// highest prepared one (null requests in the gaps).
        pre_prepares: Vec<(Seq, Digest, Option<Request>)>,
    },
    /// State transfer (TOCS §6.2, simplified): a replica that fell behind asks for the requests
    /// executed after `after`.
    Fetch {
        /// The last sequence number it executed.
        after: Seq,
    },
    /// The answer to Fetch: the requests executed after the asker's `after` up to the sender's
    /// last stable checkpoint `seq`, whose state digest is `digest`. The asker believes it when
    /// f + 1 replicas answer with the same `(seq, digest)` and the requests chain to it.
    State {
        /// The sender's last stable checkpoint.
        seq: Seq,
        /// The state digest there.
        digest: Digest,
        /// `(seq, request)` from the asker's `after + 1` to `seq`.
        requests: Vec<(Seq, Option<Request>)>,
    },
}

impl Msg {
    /// The message's kind as the page names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Request(_) => "Request",
            Msg::PrePrepare { .. } => "PrePrepare",
            Msg::Prepare { .. } => "Prepare",
            Msg::Commit { .. } => "Commit",
            Msg::Reply { .. } => "Reply",
            Msg::Checkpoint { .. } => "Checkpoint",
            Msg::ViewChange { .. } => "ViewChange",
            Msg::NewView { .. } => "NewView",
            Msg::Fetch { .. } => "Fetch",
            Msg::State { .. } => "State",
        }
    }

    /// The view a normal-case message belongs to (PrePrepare, Prepare, Commit), if it is one.
    pub fn normal_view(&self) -> Option<View> {
        match self {
            Msg::PrePrepare { view, .. } | Msg::Prepare { view, .. } | Msg::Commit { view, .. } => Some(*view),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_fit_53_bits_differ_by_field_and_the_null_request_is_zero() {
        let r = Request { operation: "\"x\"".into(), timestamp: 1, client: "n1".into() };
        let d = digest(Some(&r));
        assert!(d > 0 && d < (1 << 53));
        assert_eq!(digest(None), NULL_DIGEST);
        assert_ne!(d, digest(Some(&Request { timestamp: 2, ..r.clone() })));
        assert_ne!(d, digest(Some(&Request { client: "n2".into(), ..r.clone() })));
        assert_ne!(d, digest(Some(&Request { operation: "\"y\"".into(), ..r.clone() })));
        assert_ne!(chain(0, 1, d), chain(0, 2, d));
    }
}
