//! The Byzantine generals as a [`Protocol`]: OM(m) ([`super::node`]) with its round timer, its
//! notes and its traitors, and its actions on the generic simulator (`start_run`,
//! `decisions`, message counts).
//!
//! Every general keeps one timer, [`Timer::Round`], armed at the next round boundary while a
//! run needs it. At a boundary the commander sends the order of a run starting then; each
//! lieutenant relays what it holds for the runs in their relaying rounds and decides the runs
//! whose last round ended. The first run starts at time 0 when [`Options::first_order`] says so
//! (every general knows of it, so it is decided even if the commander says nothing); a run
//! started by hand ([`Simulation::start_run`], [`Protocol::propose`] with `attack` or
//! `retreat` at the commander) starts at the next boundary, and a lieutenant learns of it from
//! the first message about it (a lieutenant that learns of it late has received nothing
//! before, so what it would have relayed is the default, which its silence gives anyway; with
//! m = 0, one the commander tells nothing never learns of the run and decides nothing).
//!
//! Workload clients get `Redirect(None)`: generals replicate no key-value store.

use crate::error::{Error, Result};
use crate::protocol::{
    Answer, BehaviourInfo, BugInfo, BugSet, ClientCall, Ctx, Delay, Effect, Micros, NodeId, Out, Protocol,
};
use crate::sim::config::MAX_DURATION_US;
use crate::sim::{SimConfig, Simulation};

use super::check::Checker;
use super::node::{om_messages, tolerated, Behaviour, General, Heard, Msg, Order, Run, BEHAVIOURS};
use super::notes::Note;

const MS: Micros = 1_000;

/// The most messages one run may take (the closed form of [`om_messages`]); larger m are
/// refused.
pub const MAX_RUN_MESSAGES: u64 = 1_000_000;

/// The generals' one timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// The next round boundary.
    Round,
}

/// The settings every general follows.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The commander (default 0, `n1`).
    pub commander: NodeId,
    /// OM(m)'s m (None, the default: ⌊(N − 1)/3⌋, as many traitors as N generals can cope
    /// with).
    pub m: Option<usize>,
    /// The round length, µs (default 50 ms): longer than any message's latency.
    pub round_us: Micros,
    /// The commander's order in a run starting at time 0 (default attack; None: no run until
    /// one is started by hand).
    pub first_order: Option<Order>,
    /// Deliberate bugs (default none; see [`super::Bug`]).
    pub bugs: BugSet,
}

impl Default for Options {
    fn default() -> Self {
        Options { commander: 0, m: None, round_us: 50 * MS, first_order: Some(Order::Attack), bugs: BugSet::NONE }
    }
}

impl Options {
    /// The m used with `n` generals.
    pub fn m_for(&self, n: usize) -> usize {
        self.m.unwrap_or_else(|| tolerated(n))
    }

    /// Checks the options for `config`. Errors name the option: `commander` (a general of the
    /// cluster), `m` (at most N − 2, so that the last round has a receiver; and at most
    /// [`MAX_RUN_MESSAGES`] messages a run), `round` (longer than the longest latency, at most
    /// an hour).
    pub fn validate(&self, config: &SimConfig) -> Result<()> {
        let n = config.nodes;
        if self.commander >= n {
            return Err(Error::invalid("commander", format!("must be a general of the cluster, n1 to n{n} (got n{})", self.commander + 1)));
        }
        let m = self.m_for(n);
        let most = n.saturating_sub(2);
        if m > most {
            return Err(Error::invalid("m", format!("must be at most N − 2 = {most} (got {m})")));
        }
        if om_messages(n, m) > MAX_RUN_MESSAGES {
            return Err(Error::invalid("m", format!("must keep a run within {MAX_RUN_MESSAGES} messages (OM({m}) with {n} generals sends {})", om_messages(n, m))));
        }
        if self.round_us <= config.latency_us.1 || self.round_us > MAX_DURATION_US {
            return Err(Error::invalid(
                "round",
                format!("must be longer than the longest latency ({} µs) and at most an hour (got {} µs)", config.latency_us.1, self.round_us),
            ));
        }
        Ok(())
    }
}

/// OM(m) with its options: the [`Protocol`] the simulator drives.
#[derive(Clone, Debug, PartialEq)]
pub struct Generals {
    /// The settings every general follows.
    pub options: Options,
}

/// A lieutenant's decision, as the checker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The run.
    pub run: u64,
    /// The order it obeys.
    pub order: Order,
}

impl Generals {
    /// Arms the round timer at the start of round `round`.
    fn arm_at(&self, g: &General, now: Micros, round: u64, out: &mut Out<Self>) {
        let at = round.saturating_mul(g.round_us);
        out.push(Effect::CancelTimer(Timer::Round));
        out.set_timer(Timer::Round, Delay::After(at.saturating_sub(now)));
    }

    /// Arms the round timer at the next boundary if a run needs it.
    fn arm_next(&self, g: &General, now: Micros, out: &mut Out<Self>) {
        if g.active() {
            self.arm_at(g, now, g.round_of(now) + 1, out);
        }
    }

    /// The commander takes `order` for a run starting at the next boundary (now, if now is
    /// one) in which he has none. Returns the run.
    pub fn start(&self, g: &mut General, cx: &mut Ctx, order: Order, out: &mut Out<Self>) -> u64 {
        let mut run = cx.now.div_ceil(g.round_us.max(1));
        while g.runs.contains_key(&run) {
            run += 1;
        }
        let r = g.run_mut(run);
        r.order = Some(order);
        out.note(Note::Started { at: cx.me, run, order });
        // The earliest pending run decides when the timer fires.
        let first = g.runs.iter().filter(|(_, r)| r.order.is_some() && !r.commanded).map(|(k, _)| *k).min().unwrap_or(run);
        self.arm_at(g, cx.now, first, out);
        run
    }

    /// At a round boundary (or late, after a pause): the commander's orders, the lieutenants'
    /// relays and decisions that fall in this round.
    fn on_round(&self, g: &mut General, cx: &mut Ctx, out: &mut Out<Self>) {
        let b = g.round_of(cx.now);
        let ids: Vec<u64> = g.runs.keys().copied().collect();
        for id in ids {
            if g.is_commander() {
                let r = &g.runs[&id];
                let (Some(order), false) = (r.order, r.commanded) else { continue };
                if id > b {
                    continue;
                }
                if id < b {
                    g.run_mut(id).commanded = true;
                    out.note(Note::Missed { at: cx.me, run: id });
                    continue;
                }
                let mut told = Vec::with_capacity(g.n.saturating_sub(1));
                for to in (0..g.n).filter(|&to| to != g.me) {
                    let v = g.tell(order, to, cx.rng);
                    told.push((to, v));
                }
                let r = g.run_mut(id);
                r.commanded = true;
                for &(to, _) in &told {
                    r.sent[to] += 1;
                }
                out.note(Note::Commanded { at: cx.me, run: id, order, told: told.clone() });
                for (to, v) in told {
                    out.send(to, Msg::Order { run: id, path: vec![g.commander], value: v });
                }
                continue;
            }
            if g.runs[&id].decision.is_some() || b <= id {
                continue;
            }
            let len = (b - id) as usize;
            let rounds = g.rounds();
            // Relay the paths of `len` generals (rounds 2 … rounds), once each.
            if len < rounds && len > g.runs[&id].relayed {
                let relays = g.relays(&g.runs[&id], len);
                let missing = g.paths(len).iter().filter(|p| !g.runs[&id].received.contains_key(*p)).count();
                let mut sends = Vec::with_capacity(relays.len());
                for (to, path, v) in relays {
                    let said = g.tell(v, to, cx.rng);
                    sends.push((to, Msg::Order { run: id, path, value: said }));
                }
                let r = g.run_mut(id);
                r.relayed = len;
                for (to, _) in &sends {
                    r.sent[*to] += 1;
                }
                out.note(Note::Relayed { at: cx.me, run: id, len, sent: sends.len() as u64, missing });
                for (to, msg) in sends {
                    out.send(to, msg);
                }
            } else if len >= rounds {
                let v = g.decide(&g.runs[&id]);
                g.run_mut(id).decision = Some(v.order);
                out.note(Note::Decided { at: cx.me, run: id, order: v.order, direct: v.direct, attack: v.attack, votes: v.votes });
                out.push(Effect::Decide(Decision { run: id, order: v.order }));
            } else {
                // A round it slept through: what it held then is lost to the others.
                g.run_mut(id).relayed = len;
            }
        }
        self.arm_next(g, cx.now, out);
    }
}

impl Protocol for Generals {
    type Node = General;
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;
    type Decision = Decision;
    type Checker = Checker;

    const BUGS: &'static [BugInfo] = &super::bug::BUG_LIST;
    const BEHAVIOURS: &'static [BehaviourInfo] = &BEHAVIOURS;

    fn set_bugs(&mut self, nodes: &mut [General], bugs: BugSet) {
        self.options.bugs = bugs;
        for g in nodes {
            g.bugs = bugs;
        }
    }

    fn bugs(&self) -> BugSet {
        self.options.bugs
    }

    fn set_byzantine(&self, g: &mut General, behaviour: Option<usize>) {
        g.traitor = behaviour.and_then(|i| Behaviour::ALL.get(i).copied());
    }

    fn new_node(&self, id: NodeId, members: &[NodeId]) -> General {
        let n = members.len().max(id + 1);
        General {
            me: id,
            n,
            commander: self.options.commander,
            m: self.options.m_for(n),
            round_us: self.options.round_us.max(1),
            bugs: self.options.bugs,
            traitor: None,
            runs: Default::default(),
            disturbed_at: None,
            down: false,
        }
    }

    /// With [`Options::first_order`], every general knows of run 0: the commander sends his
    /// order at time 0 (from his timer, so that a traitor set before the clock moves acts as
    /// one), the lieutenants wait for the round boundaries.
    fn on_start(&self, g: &mut General, cx: &mut Ctx, out: &mut Out<Self>) {
        let Some(order) = self.options.first_order else { return };
        if cx.now != 0 {
            return;
        }
        if g.is_commander() {
            g.run_mut(0).order = Some(order);
            self.arm_at(g, cx.now, 0, out);
        } else {
            g.run_mut(0);
            self.arm_at(g, cx.now, 1, out);
        }
    }

    fn on_msg(&self, g: &mut General, cx: &mut Ctx, from: NodeId, msg: Msg, out: &mut Out<Self>) -> (Note, bool) {
        let Msg::Order { run, path, value } = msg;
        let heard = g.hear(cx.now, from, run, &path, value);
        if let Heard::Taken { new_run: true } = heard {
            self.arm_next(g, cx.now, out);
        }
        let routine = !matches!(heard, Heard::Taken { .. });
        (Note::Msg { at: cx.me, from, run, path, value, heard }, routine)
    }

    fn on_timer(&self, g: &mut General, cx: &mut Ctx, _timer: Timer, out: &mut Out<Self>) {
        self.on_round(g, cx, out);
    }

    fn on_client(&self, _g: &mut General, cx: &mut Ctx, call: ClientCall, out: &mut Out<Self>) {
        out.note(Note::Client { at: cx.me });
        out.push(Effect::Reply { client: call.client, seq: call.command.seq, answer: Answer::Redirect(None) });
    }

    /// At the commander, `attack` or `retreat` starts a run with that order at the next round
    /// boundary (returns the run). Errors: not the commander ([`Error::NotLeader`], naming
    /// him), or another command.
    fn propose(&self, g: &mut General, cx: &mut Ctx, command: String, out: &mut Out<Self>) -> Result<u64> {
        if !g.is_commander() {
            return Err(Error::NotLeader { node: crate::protocol::node_name(g.me), leader: Some(crate::protocol::node_name(g.commander)) });
        }
        let order = Order::parse(&command).ok_or_else(|| Error::invalid("command", format!("must be attack or retreat (got {command:?})")))?;
        Ok(self.start(g, cx, order, out))
    }

    fn on_crash(&self, g: &mut General, cx: &mut Ctx, out: &mut Out<Self>) {
        g.disturbed_at = Some(cx.now);
        g.down = true;
        out.note(Note::Crash { at: cx.me });
    }

    fn on_restart(&self, g: &mut General, cx: &mut Ctx, out: &mut Out<Self>) {
        g.disturbed_at = Some(cx.now);
        g.down = false;
        out.note(Note::Restart { at: cx.me });
        self.arm_next(g, cx.now, out);
        // A commander whose round is now: his timer for it was lost.
        if g.is_commander() && g.runs.get(&g.round_of(cx.now)).is_some_and(|r| r.order.is_some() && !r.commanded) {
            self.arm_at(g, cx.now, g.round_of(cx.now), out);
        }
    }

    fn on_resume(&self, g: &mut General, cx: &mut Ctx, out: &mut Out<Self>) {
        g.disturbed_at = Some(cx.now);
        out.push(Effect::ResumeTimer(Timer::Round));
    }

    fn settle(&self, _g: &mut General, _cx: &mut Ctx, _out: &mut Out<Self>) {}

    fn after_check(&self, _g: &mut General, _cx: &mut Ctx, _out: &mut Out<Self>) {}

    fn leads(&self, _g: &General) -> Option<u64> {
        None
    }

    fn committed_members(&self, _g: &General) -> Option<Vec<NodeId>> {
        None
    }

    fn msg_kind(_msg: &Msg) -> &'static str {
        "Order"
    }

    fn note_kind(note: &Note) -> &'static str {
        note.kind()
    }

    fn note_routine(note: &Note) -> bool {
        matches!(note, Note::Msg { heard: Heard::Ignored(_), .. })
    }

    fn describe(&self, note: &Note, names: &[String]) -> String {
        note.describe(names)
    }
}

/// A cluster of generals in the simulator.
pub type GeneralsSimulation = Simulation<Generals>;

/// The generals' actions and views on the generic simulator.
impl Simulation<Generals> {
    /// A cluster of `config.nodes` generals following `options`.
    ///
    /// Errors: the config breaks a rule of [`SimConfig::validate`], or the options one of
    /// [`Options::validate`].
    pub fn new(config: SimConfig, options: Options) -> Result<Self> {
        config.validate()?;
        options.validate(&config)?;
        Simulation::start(config, Generals { options })
    }

    /// The commander.
    pub fn commander(&self) -> NodeId {
        self.protocol().options.commander
    }

    /// OM(m)'s m.
    pub fn m(&self) -> usize {
        self.node_state(0).m
    }

    /// The commander starts a run with `order` at the next round boundary. Returns the run.
    /// Errors: the commander is crashed or paused.
    pub fn start_run(&mut self, order: Order) -> Result<u64> {
        let c = self.commander();
        self.require_running(c)?;
        let (run, _) = self.act_with(c, |p, g, cx, out| p.start(g, cx, order, out));
        self.settle();
        Ok(run)
    }

    /// Run `run` at general `i`, if it knows it.
    pub fn run_of(&self, i: NodeId, run: u64) -> Option<&Run> {
        self.node_state(i).runs.get(&run)
    }

    /// Each general's decision in run `run`, by id (None: the commander, or not decided).
    pub fn decisions(&self, run: u64) -> Vec<Option<Order>> {
        (0..self.ids().len()).map(|i| self.run_of(i, run).and_then(|r| r.decision)).collect()
    }

    /// The commander's order in run `run`, if he gave one.
    pub fn order_of(&self, run: u64) -> Option<Order> {
        self.run_of(self.commander(), run).and_then(|r| r.order)
    }

    /// Messages the generals sent in run `run` (traitors' included).
    pub fn run_messages(&self, run: u64) -> u64 {
        (0..self.ids().len()).filter_map(|i| self.run_of(i, run)).map(Run::messages_sent).sum()
    }

    /// A round after the lieutenants of run `run` decide (every loyal general that kept up has
    /// decided by then), µs.
    pub fn run_end(&self, run: u64) -> Micros {
        let g = self.node_state(0);
        (run + g.rounds() as u64 + 1).saturating_mul(g.round_us)
    }
}
