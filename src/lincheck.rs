//! Linearizability of a recorded key-value history, checked with the Wing & Gong algorithm as
//! extended by Lowe (the maintained `todc-utils` crate's `WGLChecker`), key by key: the store's
//! operations each touch one key, so the history is linearizable exactly when every key's
//! sub-history is (P-compositionality, as Porcupine uses it).
//!
//! An operation with no answer by the end of the run may or may not have taken effect: its
//! return is placed after every other event, so it may be linearized anywhere after its call,
//! or last, where it changes nothing anyone saw. Its client may go on to call others meanwhile
//! (it gave up waiting: a timeout), so each operation is its own process for the checker, as
//! Knossos does for an `:info` operation: a call is paired with its own return, never with the
//! next return of the same client.

use std::collections::BTreeMap;

use todc_utils::linearizability::history::{Action, History};
use todc_utils::linearizability::WGLChecker;
use todc_utils::specifications::Specification;

use crate::kv::{Kv, Op, Output};
use crate::sim::HistoryOp;

/// One operation on one key, with the output the client saw (None: no answer came).
#[derive(Clone, Debug)]
pub struct KeyOp {
    op: Op,
    output: Option<Output>,
}

/// The sequential specification of one key of the store (see [`crate::kv`]).
pub struct KeySpec;

impl Specification for KeySpec {
    type State = Option<String>;
    type Operation = KeyOp;

    fn init() -> Self::State {
        None
    }

    fn apply(op: &KeyOp, state: &Self::State) -> (bool, Self::State) {
        let mut kv = Kv::new();
        if let Some(v) = state {
            kv.execute(&Op::Put { key: op.op.key().to_string(), value: v.clone() });
        }
        let out = kv.execute(&op.op);
        if op.output.as_ref().is_some_and(|seen| *seen != out) {
            return (false, state.clone());
        }
        (true, kv.get(op.op.key()).map(str::to_string))
    }
}

/// Whether `history` is linearizable. On failure, the key whose operations are not.
pub fn check(history: &[HistoryOp]) -> Result<(), String> {
    let mut by_key: BTreeMap<&str, Vec<&HistoryOp>> = BTreeMap::new();
    for h in history {
        by_key.entry(h.op.key()).or_default().push(h);
    }
    for (key, ops) in by_key {
        // Events in time order; at equal times calls come first (the weaker, safer ordering);
        // unanswered operations return after everything.
        let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(ops.len() * 2);
        for (k, h) in ops.iter().enumerate() {
            events.push((h.call_us, 0, k));
            events.push((h.return_us.unwrap_or(u64::MAX), 1, k));
        }
        events.sort();
        let actions = events
            .into_iter()
            .map(|(_, kind, k)| {
                let h = ops[k];
                let op = KeyOp { op: h.op.clone(), output: h.output.clone() };
                // The operation's own process (see the module's doc): `History::from_actions`
                // pairs each process's calls and returns in order.
                (k, if kind == 0 { Action::Call(op) } else { Action::Response(op) })
            })
            .collect();
        if !WGLChecker::<KeySpec>::is_linearizable(History::from_actions(actions)) {
            return Err(format!("the {} operations on key {key:?} are not linearizable", ops.len()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(client: crate::kv::ClientId, op: Op, call_us: u64, return_us: Option<u64>, output: Option<Output>) -> HistoryOp {
        HistoryOp { client, op, call_us, return_us, output }
    }

    /// Client 0's first put has no answer (a timeout) and client 0 goes on to a second put; a
    /// get saw the first put's value in between. Linearizable (put 1, get, put 2) whichever
    /// client made the first put: its call is not paired with the second put's return.
    #[test]
    fn an_unanswered_operation_is_not_paired_with_its_clients_next_return() {
        let put = |v: &str| Op::Put { key: "x".into(), value: v.into() };
        for first in [0, 2] {
            let history = [
                op(first, put("1"), 0, None, None),
                op(1, Op::Get { key: "x".into() }, 5, Some(8), Some(Output { ok: true, value: Some("1".into()) })),
                op(0, put("2"), 10, Some(20), Some(Output { ok: true, value: None })),
            ];
            assert_eq!(check(&history), Ok(()), "first put by client {first}");
        }
        // The get saw 1 before anyone called put 1: not linearizable.
        let history = [
            op(0, put("1"), 10, None, None),
            op(1, Op::Get { key: "x".into() }, 5, Some(8), Some(Output { ok: true, value: Some("1".into()) })),
        ];
        assert!(check(&history).is_err());
    }
}
