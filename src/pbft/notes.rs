//! What a PBFT replica narrates, as data: a [`Note`] carries the numbers of the moment;
//! [`Note::describe`] builds the sentence, in the paper's terms (view, sequence number,
//! pre-prepare, prepared, committed-local, checkpoint, watermark), only when someone reads the
//! event log.

use crate::protocol::NodeId;

use super::msg::{Digest, Seq, View};

/// Why a replica started a view change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VcWhy {
    /// Its view-change timer ran out (a request waited too long, or the NewView did not come).
    Timeout,
    /// f + 1 replicas asked for a higher view (§4.5.2).
    Joined,
    /// The new primary's NewView did not match the ViewChanges it names: the primary lied.
    BadNewView,
    /// A user asked.
    User,
}

/// Why a message was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignore {
    /// The sender is not another replica.
    NotAReplica,
    /// For a view it has not entered yet (kept until it does).
    FutureView(View),
    /// For a view it has left.
    StaleView(View),
    /// A pre-prepare or NewView not from the view's primary.
    NotPrimary,
    /// A prepare from the primary (its pre-prepare stands for it).
    FromPrimary,
    /// The sequence number is outside the watermarks.
    OutsideWindow(Seq),
    /// The digest is not the request's.
    WrongDigest(Seq),
    /// The same sender again (discarded).
    Duplicate(u64),
    /// Another pre-prepare for a (view, seq) that has one.
    Conflicting(Seq),
    /// At or below its stable checkpoint (or what it executed).
    BelowStable(Seq),
    /// State whose requests do not chain to the digest claimed.
    BadState,
    /// A reply to another client, or to a request it accepted already.
    NotMine,
}

/// What a replica did with an input (the receiver is the note's `at`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// A request its client had executed already.
    RequestDone {
        /// Client.
        client: String,
        /// Timestamp.
        timestamp: u64,
    },
    /// A request the primary has assigned or queued already.
    RequestKnown {
        /// Client.
        client: String,
        /// Timestamp.
        timestamp: u64,
    },
    /// The primary assigned `seq` (None: queued until the window has room).
    RequestAssigned {
        /// Client.
        client: String,
        /// Timestamp.
        timestamp: u64,
        /// The sequence number.
        seq: Option<Seq>,
    },
    /// A backup keeps the request, forwards a client's to the primary, and waits for it.
    RequestForwarded {
        /// Client.
        client: String,
        /// Timestamp.
        timestamp: u64,
        /// The primary it forwarded to.
        primary: NodeId,
        /// Whether it forwarded it.
        fresh: bool,
    },
    /// A pre-prepare accepted; the backup multicast its prepare.
    PrePrepared {
        /// Sequence number.
        seq: Seq,
        /// Digest.
        digest: Digest,
        /// The null request.
        null: bool,
    },
    /// A prepare counted.
    PrepareCounted {
        /// Sequence number.
        seq: Seq,
        /// Matching prepares held.
        count: usize,
        /// Prepares needed.
        need: usize,
        /// Whether it matched the pre-prepare's digest.
        matches: bool,
        /// Prepared now.
        prepared: bool,
    },
    /// A commit counted.
    CommitCounted {
        /// Sequence number.
        seq: Seq,
        /// Matching commits held.
        count: usize,
        /// Commits needed.
        need: usize,
        /// Whether it matched.
        matches: bool,
        /// Committed-local now.
        committed: bool,
    },
    /// A checkpoint counted.
    CheckpointCounted {
        /// Sequence number.
        seq: Seq,
        /// Matching checkpoints.
        votes: usize,
        /// Needed for stable.
        need: usize,
        /// Stable now (h moved).
        stable: bool,
    },
    /// A Fetch answered with `sent` requests (0: it has nothing newer stable).
    FetchServed {
        /// The asker's last executed.
        after: Seq,
        /// Requests sent.
        sent: usize,
    },
    /// A State answer counted.
    StateCounted {
        /// Its checkpoint.
        seq: Seq,
        /// Matching answers.
        votes: usize,
        /// Needed (f + 1).
        need: usize,
        /// Adopted now.
        adopted: bool,
    },
    /// A reply counted by a replica that was the request's client.
    ReplyCounted {
        /// Timestamp.
        timestamp: u64,
        /// Matching replies.
        votes: usize,
        /// Needed (f + 1).
        need: usize,
        /// The result.
        result: String,
    },
    /// A ViewChange counted.
    ViewChangeCounted {
        /// The view.
        view: View,
        /// ViewChanges held for it.
        count: usize,
        /// Needed.
        need: usize,
        /// The view's primary.
        primary: NodeId,
    },
    /// A NewView held until the ViewChanges it names arrive.
    NewViewWaiting {
        /// The view.
        view: View,
    },
    /// A NewView that does not match the ViewChanges it names.
    NewViewRejected {
        /// The view.
        view: View,
        /// The primary that sent it.
        from: NodeId,
    },
    /// A NewView checked and accepted.
    NewViewAccepted {
        /// The view.
        view: View,
        /// Requests re-proposed.
        reproposed: usize,
        /// Null requests.
        nulls: usize,
    },
    /// Not used.
    Ignored {
        /// The message's kind.
        kind: &'static str,
        /// Why.
        why: Ignore,
    },
}

/// One narrated event of a replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A message from `from` arrived at `at`.
    Msg {
        /// Receiver.
        at: NodeId,
        /// Sender.
        from: NodeId,
        /// What it did.
        what: What,
    },
    /// A request from outside (a client, or proposed at the replica).
    Request {
        /// The replica.
        at: NodeId,
        /// What it did.
        what: What,
    },
    /// It moved to `view` and multicast its ViewChange.
    ViewChangeStarted {
        /// The replica.
        at: NodeId,
        /// The view.
        view: View,
        /// Why.
        why: VcWhy,
    },
    /// As the new primary, it multicast its NewView.
    NewViewSent {
        /// The replica.
        at: NodeId,
        /// The view.
        view: View,
        /// The checkpoint it starts from.
        from_seq: Seq,
        /// Requests re-proposed.
        reproposed: usize,
        /// Null requests in the gaps.
        nulls: usize,
    },
    /// It fell behind and asks for the state.
    Fetching {
        /// The replica.
        at: NodeId,
        /// Its last executed.
        after: Seq,
        /// The checkpoint others reached.
        target: Seq,
    },
    /// It executed the request at `seq`.
    Executed {
        /// The replica.
        at: NodeId,
        /// Sequence number.
        seq: Seq,
        /// The operation in words (None: the null request).
        operation: Option<String>,
        /// A request its client had executed already (a no-op).
        duplicate: bool,
    },
    /// It crashed (its state survives).
    Crash {
        /// The replica.
        at: NodeId,
    },
    /// It restarted with its state.
    Restart {
        /// The replica.
        at: NodeId,
        /// Its last executed.
        executed: Seq,
    },
}

impl Note {
    /// The event-log kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Note::Msg { .. } => "deliver",
            Note::Request { .. } => "client",
            Note::ViewChangeStarted { .. } => "viewChange",
            Note::NewViewSent { .. } => "newView",
            Note::Fetching { .. } => "fetch",
            Note::Executed { .. } => "execute",
            Note::Crash { .. } => "crash",
            Note::Restart { .. } => "restart",
        }
    }

    /// Routine: a duplicate discarded.
    pub fn routine(&self) -> bool {
        matches!(self, Note::Msg { what: What::Ignored { why: Ignore::Duplicate(_), .. }, .. })
    }

    /// The sentence; `names[i]` is replica `i`'s name.
    pub fn describe(&self, names: &[String]) -> String {
        let nm = |i: NodeId| names.get(i).cloned().unwrap_or_else(|| crate::protocol::node_name(i));
        match self {
            Note::Msg { at, from, what } => format!("{}: {}", nm(*at), what_text(what, &nm, Some(nm(*from)))),
            Note::Request { at, what } => format!("{}: {}", nm(*at), what_text(what, &nm, None)),
            Note::ViewChangeStarted { at, view, why } => {
                let why = match why {
                    VcWhy::Timeout => "its view-change timer ran out",
                    VcWhy::Joined => "f + 1 replicas asked for a higher view",
                    VcWhy::BadNewView => "the new primary's NewView does not match the ViewChanges it names",
                    VcWhy::User => "asked by hand",
                };
                format!("{} moves to view {view} ({why}) and multicasts its ViewChange with its prepared certificates", nm(*at))
            }
            Note::NewViewSent { at, view, from_seq, reproposed, nulls } => format!(
                "{} is the primary of view {view}: its NewView starts after checkpoint {from_seq}, re-proposes {reproposed} prepared request(s) at their sequence numbers and fills {nulls} gap(s) with null requests",
                nm(*at)
            ),
            Note::Fetching { at, after, target } => format!("{} fell behind (executed {after}, others reached checkpoint {target}) and asks for the state", nm(*at)),
            Note::Executed { at, seq, operation, duplicate } => match (operation, duplicate) {
                (None, _) => format!("{} executes the null request at {seq} (a no-op)", nm(*at)),
                (Some(op), true) => format!("{} reaches {op} at {seq}: its client had it executed already, so it is a no-op", nm(*at)),
                (Some(op), false) => format!("{} executes {op} at sequence number {seq}", nm(*at)),
            },
            Note::Crash { at } => format!("{} crashes (its log and state survive)", nm(*at)),
            Note::Restart { at, executed } => format!("{} restarts with its log and state (executed through {executed})", nm(*at)),
        }
    }
}

fn what_text(what: &What, nm: &dyn Fn(NodeId) -> String, from: Option<String>) -> String {
    let from_text = from.clone().map_or(String::new(), |f| format!(" from {f}"));
    match what {
        What::RequestDone { client, timestamp } => format!("request {timestamp} of {client} was executed already: it answers again"),
        What::RequestKnown { client, timestamp } => format!("request {timestamp} of {client} has a sequence number already"),
        What::RequestAssigned { client, timestamp, seq: Some(s) } => format!("as primary, assigns sequence number {s} to request {timestamp} of {client} and multicasts the PrePrepare"),
        What::RequestAssigned { client, timestamp, seq: None } => format!("as primary, queues request {timestamp} of {client}: the window between the watermarks is full"),
        What::RequestForwarded { client, timestamp, primary, fresh: true } => {
            format!("forwards request {timestamp} of {client} to the primary {} and starts its view-change timer", nm(*primary))
        }
        What::RequestForwarded { client, timestamp, .. } => format!("keeps request {timestamp} of {client} and waits for it to execute"),
        What::PrePrepared { seq, null: true, .. } => format!("accepts the PrePrepare{from_text} of the null request at {seq} and multicasts a Prepare"),
        What::PrePrepared { seq, digest, .. } => format!("accepts the PrePrepare{from_text} at {seq} (digest {digest:x}) and multicasts a Prepare"),
        What::PrepareCounted { seq, count, need, matches, prepared } => {
            let m = if *matches { "" } else { " (another digest: it does not match)" };
            let p = if *prepared { ": prepared, it multicasts a Commit" } else { "" };
            format!("Prepare{from_text} for {seq}{m}; {count} of {need} matching{p}")
        }
        What::CommitCounted { seq, count, need, matches, committed } => {
            let m = if *matches { "" } else { " (another digest: it does not match)" };
            let c = if *committed { ": committed-local" } else { "" };
            format!("Commit{from_text} for {seq}{m}; {count} of {need} matching{c}")
        }
        What::CheckpointCounted { seq, votes, need, stable } => {
            let s = if *stable { ": stable, the low watermark moves there and older messages are discarded" } else { "" };
            format!("Checkpoint{from_text} at {seq}; {votes} of {need} matching{s}")
        }
        What::FetchServed { after, sent } => format!("sends {sent} executed request(s) after {after} to{}", from.map_or(String::new(), |f| format!(" {f}"))),
        What::StateCounted { seq, votes, need, adopted } => {
            let a = if *adopted { ": adopts it and executes the requests" } else { "" };
            format!("State{from_text} up to checkpoint {seq}; {votes} of {need} agree{a}")
        }
        What::ReplyCounted { timestamp, votes, need, result } => {
            let a = if votes >= need { ": accepted" } else { "" };
            format!("Reply{from_text} to its request {timestamp}: {result}; {votes} of {need} matching{a}")
        }
        What::ViewChangeCounted { view, count, need, primary } => format!("ViewChange{from_text} for view {view}; {count} of {need} (the new primary is {})", nm(*primary)),
        What::NewViewWaiting { view } => format!("holds the NewView{from_text} for view {view} until the ViewChanges it names arrive"),
        What::NewViewRejected { view, .. } => format!("rejects the NewView{from_text} for view {view}: it does not follow from the ViewChanges it names"),
        What::NewViewAccepted { view, reproposed, nulls } => {
            format!("accepts the NewView{from_text}: enters view {view} ({reproposed} re-proposed, {nulls} null) and prepares them")
        }
        What::Ignored { kind, why } => {
            let why = match why {
                Ignore::NotAReplica => "not from another replica".to_string(),
                Ignore::FutureView(v) => format!("for view {v}, which it has not entered yet (kept)"),
                Ignore::StaleView(v) => format!("for view {v}, which it has left"),
                Ignore::NotPrimary => "not from the view's primary".into(),
                Ignore::FromPrimary => "from the primary, whose PrePrepare stands for its Prepare".into(),
                Ignore::OutsideWindow(s) => format!("sequence number {s} is outside the watermarks"),
                Ignore::WrongDigest(s) => format!("at {s}, the digest is not the request's"),
                Ignore::Duplicate(_) => "the same sender again: discarded".into(),
                Ignore::Conflicting(s) => format!("it accepted another PrePrepare at {s} in this view"),
                Ignore::BelowStable(s) => format!("{s} is at or below its stable checkpoint"),
                Ignore::BadState => "the requests do not chain to the digest claimed".into(),
                Ignore::NotMine => "not a reply it waits for".into(),
            };
            format!("ignores {kind}{from_text}: {why}")
        }
    }
}
