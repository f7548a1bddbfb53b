//! Linearizability of the client history, checked as answers arrive (the page's way to see a
//! read that returned stale data while the run goes on; the CLI checks the whole history at the
//! end with [`crate::lincheck`]).
//!
//! Key by key (every operation touches one key, and a history is linearizable exactly when each
//! key's sub-history is), the check keeps the values the key may hold after every operation up
//! to a *cut*, a moment when no operation on the key was in progress, and the operations since
//! (the window). Each answer searches the window for an order that respects real time (an
//! operation answered before another was called comes first) and in which every answered
//! operation returns what its client saw; an operation still without an answer may have taken
//! effect or not. When no operation on the key is left in progress, the values the key may
//! hold after the window become the next cut's, and the window empties: the search only ever
//! looks at the operations since the last quiet moment on that key. A key whose window reaches
//! [`MAX_WINDOW`] operations (one that never quiets: an operation its client gave up on, or
//! many clients) is no longer checked, rather than let each answer's search grow without bound.

use crate::kv::{Kv, Op, Output};

use super::{HistoryOp, Micros, Violation};

/// Operations in one key's window beyond which the check gives that key up (the search over a
/// window is exponential in its length; the page's two clients keep it to a few).
pub(super) const MAX_WINDOW: usize = 24;

/// The incremental check's state: off until [`Linearizability::enable`].
#[derive(Clone, Debug, Default)]
pub(super) struct Linearizability {
    /// Whether the check runs.
    pub(super) on: bool,
    /// Each key's window (a list: the workload's keys are few).
    keys: Vec<(String, KeyWindow)>,
    /// The first violation (the check stops there).
    pub(super) found: Vec<Violation>,
}

#[derive(Clone, Debug)]
struct KeyWindow {
    /// The values the key may hold at the last cut (None: missing).
    states: Vec<Option<String>>,
    /// The operations since the cut, by index in the history, answered or not.
    window: Vec<usize>,
    /// The window reached [`MAX_WINDOW`]: the key is no longer checked.
    given_up: bool,
}

impl Linearizability {
    /// Turns the check on, going through `history` so far (calls and answers in time order).
    pub(super) fn enable(&mut self, history: &[HistoryOp]) {
        if self.on {
            return;
        }
        self.on = true;
        // Calls come in the history's order; answers nearly so (an insertion sort, small in the wasm).
        let mut answers: Vec<(Micros, usize)> = history.iter().enumerate().filter_map(|(h, op)| Some((op.return_us?, h))).collect();
        crate::collections::sort_small(&mut answers);
        let mut answers = answers.into_iter().peekable();
        for (h, op) in history.iter().enumerate() {
            while let Some((at, a)) = answers.next_if(|&(at, _)| at < op.call_us) {
                self.answered(history, a, at, Vec::new());
            }
            self.called(history, h);
        }
        for (at, a) in answers {
            self.answered(history, a, at, Vec::new());
        }
    }

    /// Operation `h` of the history was just called.
    pub(super) fn called(&mut self, history: &[HistoryOp], h: usize) {
        if !self.on || !self.found.is_empty() {
            return;
        }
        let key = history[h].op.key();
        match self.keys.iter_mut().find(|(k, _)| k == key) {
            Some((_, k)) if k.given_up => {}
            Some((_, k)) if k.window.len() >= MAX_WINDOW => {
                k.given_up = true;
                k.window = Vec::new();
            }
            Some((_, k)) => k.window.push(h),
            None => self.keys.push((key.to_string(), KeyWindow { states: vec![None], window: vec![h], given_up: false })),
        }
    }

    /// Operation `h` was just answered (at `now`, by the nodes named `nodes`); returns whether
    /// that made the history not linearizable (the violation is then in `found`).
    pub(super) fn answered(&mut self, history: &[HistoryOp], h: usize, now: Micros, nodes: Vec<String>) -> bool {
        if !self.on || !self.found.is_empty() {
            return false;
        }
        let op = &history[h];
        let Some((_, k)) = self.keys.iter_mut().find(|(k, _)| k == op.op.key()) else { return false };
        if k.given_up {
            return false;
        }
        let ops: Vec<&HistoryOp> = k.window.iter().map(|&i| &history[i]).collect();
        match orders(&k.states, &ops, now) {
            Some(ends) => {
                if ops.iter().all(|o| answered_by(o, now)) {
                    k.states = ends;
                    k.window.clear();
                }
                false
            }
            None => {
                let seen = op.output.as_ref().map_or_else(String::new, |o| op.op.output_sentence(o));
                let by = if nodes.is_empty() { String::new() } else { format!(" from {}", nodes.join(", ")) };
                let detail = format!(
                    "client {}'s {} got {seen}{by}, but no order of the operations on key \"{}\" explains every answer the clients got (a read returned stale data, or a write was lost)",
                    op.client,
                    op.op.sentence(),
                    op.op.key()
                );
                self.found.push(Violation { rule: "Linearizability", nodes, time_us: now, detail, index: None });
                true
            }
        }
    }
}

/// Whether `op` was answered by `now` (going through a past history, a later answer is not yet).
fn answered_by(op: &HistoryOp, now: Micros) -> bool {
    op.return_us.is_some_and(|r| r <= now)
}

/// The key's value after `op` on value `state`, and what `op` returns.
fn apply(op: &Op, state: &Option<String>) -> (Output, Option<String>) {
    let mut kv = Kv::new();
    if let Some(v) = state {
        kv.execute(&Op::Put { key: op.key().to_string(), value: v.clone() });
    }
    let out = kv.execute(op);
    (out, kv.get(op.key()).map(str::to_string))
}

/// Searches for orders of `ops` (on one key, starting from any of `states`) that respect real
/// time and every answer seen by `now`, each answered operation included and any unanswered
/// one included or not. None when there is none; otherwise, when every operation is answered,
/// the values the key may end with (empty when some operation is unanswered).
fn orders(states: &[Option<String>], ops: &[&HistoryOp], now: Micros) -> Option<Vec<Option<String>>> {
    let n = ops.len();
    let ret = |j: usize| Some(ops[j].return_us?).filter(|&r| r <= now);
    let must = (0..n).filter(|&j| ret(j).is_some()).count();
    let complete = must == n;
    let mut ends: Vec<Option<String>> = Vec::new();
    let mut any = false;
    // Tried already (a list: a window holds a handful of operations, and a set would weigh more in the wasm).
    let mut seen: Vec<(Vec<bool>, Option<String>)> = Vec::new();
    let mut stack: Vec<(Vec<bool>, usize, Option<String>)> = states.iter().map(|s| (vec![false; n], 0, s.clone())).collect();
    while let Some((done, placed, state)) = stack.pop() {
        if placed == must {
            any = true;
            if !complete {
                return Some(Vec::new());
            }
            if !ends.contains(&state) {
                ends.push(state);
            }
            continue;
        }
        if seen.iter().any(|(d, st)| *d == done && *st == state) {
            continue;
        }
        seen.push((done.clone(), state.clone()));
        // The next operation cannot have been called after an operation not yet placed was answered.
        let bound = (0..n).filter(|&j| !done[j]).filter_map(ret).min().unwrap_or(Micros::MAX);
        for j in (0..n).filter(|&j| !done[j] && ops[j].call_us <= bound) {
            let (out, next) = apply(&ops[j].op, &state);
            if ret(j).is_some() && ops[j].output.as_ref().is_some_and(|o| *o != out) {
                continue;
            }
            let mut d = done.clone();
            d[j] = true;
            stack.push((d, placed + usize::from(ret(j).is_some()), next));
        }
    }
    any.then_some(ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(client: u32, at: Micros) -> HistoryOp {
        HistoryOp { client, op: Op::Put { key: "x".into(), value: format!("{client}") }, call_us: at, return_us: None, output: None }
    }

    #[test]
    fn a_key_that_never_quiets_is_given_up_at_max_window_rather_than_searched_ever_longer() {
        let mut l = Linearizability::default();
        l.enable(&[]);
        // Operations on x that never get an answer (their clients gave up): the window never
        // empties, and each answer would search it all.
        let mut history: Vec<HistoryOp> = (0..MAX_WINDOW as u32 + 5).map(|c| put(c, u64::from(c))).collect();
        for h in 0..history.len() {
            l.called(&history, h);
        }
        let (_, k) = &l.keys[0];
        assert!(k.given_up && k.window.is_empty(), "window {} at most {MAX_WINDOW}", k.window.len());
        // An answer on x is no longer checked (nor searched): no violation, whatever it says.
        history[0].return_us = Some(1_000);
        history[0].output = Some(Output { ok: true, value: None });
        assert!(!l.answered(&history, 0, 1_000, Vec::new()));
        assert!(l.found.is_empty());
    }
}
