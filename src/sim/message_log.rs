//! The record of a run's recent messages, for a space-time diagram: who sent what to whom,
//! when it left, and when it was delivered or lost. Off until asked for
//! ([`Simulation::keep_message_log`](super::Simulation::keep_message_log): the JS `Simulation`
//! keeps the last [`MESSAGE_LOG_CAPACITY`]), so runs that never draw one pay nothing.
//! Recording draws nothing and schedules nothing, so a run is the same with it; the same run
//! records the same messages, so a replay from the start rebuilds it.

use std::collections::VecDeque;

use super::Micros;
use crate::protocol::NodeId;

/// How many messages the JS `Simulation`'s [`MessageLog`] keeps (the oldest sent go first).
pub const MESSAGE_LOG_CAPACITY: usize = 2048;

/// What became of a logged message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Still travelling (or held for a paused receiver).
    InFlight,
    /// Handled by its receiver at this time, µs.
    Delivered(Micros),
    /// Lost at this time, µs: to the drop rate or a cut link (when sent), to a user's drop, to
    /// a cut link or a crashed receiver (on arrival), or to the receiver's crash while held.
    Lost(Micros),
    /// Never left after all: its sender paused or crashed before its stable-storage write was
    /// done (a resumed sender sends it again, under a new id). Left out of [`MessageLog::iter`].
    Withdrawn,
}

/// One message of the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedMessage {
    /// Increasing from 1, in order of sending: the record's own numbering (a message lost as
    /// it was sent has no id, but has a seq).
    pub seq: u64,
    /// The message's id (as in [`Simulation::in_flight`](super::Simulation::in_flight)), or None
    /// for a message lost as it was sent (it never entered the network).
    pub id: Option<u64>,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// The message's kind, as the protocol names it.
    pub kind: &'static str,
    /// When it left, µs.
    pub sent_at: Micros,
    /// When the network was to deliver it, µs (None for a message lost as it was sent).
    pub due_at: Option<Micros>,
    /// What became of it.
    pub fate: Fate,
    /// The largest message id handed out when it was logged: orders the record by id.
    key: u64,
}

/// The last `capacity` messages sent, oldest first, with their fates (none while `capacity`
/// is 0, the default).
#[derive(Clone, Debug, Default)]
pub struct MessageLog {
    records: VecDeque<LoggedMessage>,
    next_seq: u64,
    capacity: usize,
}

impl MessageLog {
    /// How many messages it keeps (0: off).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keeps the last `capacity` messages sent from now on (0: none, forgetting those kept).
    pub(super) fn keep(&mut self, capacity: usize) {
        self.capacity = capacity;
        while self.records.len() > capacity {
            self.records.pop_front();
        }
    }

    /// Every message kept, oldest first (but those withdrawn).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LoggedMessage> {
        self.records.iter().filter(|r| r.fate != Fate::Withdrawn)
    }

    fn push(&mut self, mut r: LoggedMessage) {
        if self.capacity == 0 {
            return;
        }
        if self.records.len() == self.capacity {
            self.records.pop_front();
        }
        self.next_seq += 1;
        r.seq = self.next_seq;
        self.records.push_back(r);
    }

    /// Message `id` entered the network (ids are handed out in increasing order).
    pub(super) fn sent(&mut self, id: u64, from: NodeId, to: NodeId, kind: &'static str, sent_at: Micros, due_at: Micros) {
        self.push(LoggedMessage { seq: 0, id: Some(id), from, to, kind, sent_at, due_at: Some(due_at), fate: Fate::InFlight, key: id });
    }

    /// A message was lost as it was sent, after message `last_id` was handed out.
    pub(super) fn lost_at_send(&mut self, last_id: u64, from: NodeId, to: NodeId, kind: &'static str, sent_at: Micros) {
        self.push(LoggedMessage { seq: 0, id: None, from, to, kind, sent_at, due_at: None, fate: Fate::Lost(sent_at), key: last_id });
    }

    /// The record of message `id`, if still kept.
    fn find(&mut self, id: u64) -> Option<&mut LoggedMessage> {
        let k = self.records.partition_point(|r| r.key < id);
        self.records.range_mut(k..).take_while(|r| r.key == id).find(|r| r.id == Some(id))
    }

    /// Message `id` ended (delivered or lost).
    pub(super) fn ended(&mut self, id: u64, fate: Fate) {
        if self.records.is_empty() {
            return;
        }
        if let Some(r) = self.find(id) {
            r.fate = fate;
        }
    }
}
