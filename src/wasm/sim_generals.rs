//! The Byzantine Generals in the JS `Simulation` class (`protocol: 'generals'`): the
//! oral-messages algorithm OM(m) in synchronous rounds (Lamport, Shostak & Pease, "The
//! Byzantine Generals Problem", TOPLAS 1982, §3; [`crate::generals`]).
//!
//! Options, beside the shared ones (`seed`, `nodes`, `latencyMs`, `dropRate`, `duplicateRate`,
//! `persistMs`, `bugs`, `byzantine`): `commander` (a general's id, `'n1'`), `m` (OM(m)'s m, an
//! integer from 0 to N − 2; null, the default: ⌊(N − 1)/3⌋), `roundMs` (a round's length,
//! longer than the longest latency; 50), `firstOrder` (`'attack'`, the default, `'retreat'`,
//! or null: no run until `startRun`).
//!
//! A run is named by the round in which its commander sends his order; its lieutenants decide
//! m + 1 rounds later. `clientRequest('attack' | 'retreat')` and `startRun(order)` start one.

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::simulation::{ms, ms_to_us, parse_sim_options, Inner, Mechanism, MessageHeadJs, SimulationJs, SIM_KEYS};
use super::{core, get, got, set, string, to_js, uint, JsResult};
use crate::error::{Error, Result};
use crate::generals::node::om_messages;
use crate::generals::{Generals, Msg, Options, Order, Timer};
use crate::protocol::{NodeId, Protocol};
use crate::sim::{ClientReply, SimConfig, Simulation};

const GENERALS_KEYS: [&str; 4] = ["commander", "m", "roundMs", "firstOrder"];

fn order_of(v: &JsValue, param: &str) -> JsResult<Order> {
    v.as_string().and_then(|s| Order::parse(&s)).ok_or_else(|| got(param, "must be 'attack' or 'retreat'", v))
}

fn parse(options: &JsValue) -> JsResult<(SimConfig, Options)> {
    let mut sim = SimConfig::default();
    let mut o = Options::default();
    if options.is_undefined() || options.is_null() {
        o.validate(&sim).map_err(core)?;
        return Ok((sim, o));
    }
    let keys: Vec<&str> = SIM_KEYS.iter().chain(GENERALS_KEYS.iter()).copied().collect();
    parse_sim_options(options, &keys, &mut sim, &mut o.bugs, Generals::BUGS)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("commander") {
        let id = string(&v, "commander")?;
        o.commander = (0..sim.nodes)
            .find(|&i| crate::protocol::node_name(i) == id)
            .ok_or_else(|| got("commander", &format!("must name a general, n1 to n{}", sim.nodes), &v))?;
    }
    if let Some(v) = opt("m") {
        o.m = if v.is_null() { None } else { Some(uint(&v, "m")? as usize) };
    }
    if let Some(v) = opt("roundMs") {
        o.round_us = ms_to_us(&v, "roundMs")?;
        if o.round_us <= sim.latency_us.1 {
            return Err(got("roundMs", &format!("must be longer than the longest latency ({} ms)", ms(sim.latency_us.1)), &v));
        }
    }
    if let Some(v) = opt("firstOrder") {
        o.first_order = if v.is_null() { None } else { Some(order_of(&v, "firstOrder")?) };
    }
    o.validate(&sim).map_err(core)?;
    Ok((sim, o))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJs<'a> {
    protocol: &'static str,
    seed: f64,
    nodes: usize,
    latency_ms: [f64; 2],
    drop_rate: f64,
    duplicate_rate: f64,
    persist_ms: f64,
    bugs: Vec<&'static str>,
    commander: &'a str,
    m: usize,
    round_ms: f64,
    first_order: Option<&'static str>,
    /// Messages one run of OM(m) sends: (N−1) + (N−1)(N−2) + … (m + 1 terms), O(N^(m+1)).
    messages_per_run: u64,
    /// The traitors N generals can cope with: ⌊(N − 1)/3⌋ (Theorem 1: N > 3m).
    traitors_tolerated: usize,
}

/// One value a lieutenant took: the relay chain (commander first) and the order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReceivedJs<'a> {
    path: Vec<&'a str>,
    order: &'static str,
}

/// How a lieutenant's decision came about: the top-level majority (§3, OM(m) step 3).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerdictJs {
    order: &'static str,
    /// The commander's order as it reached it (or the default, retreat).
    direct: &'static str,
    /// Of the values the majority counted, how many say attack.
    attack: usize,
    votes: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunJs<'a> {
    run: u64,
    /// At the commander: his order.
    order: Option<&'static str>,
    /// A lieutenant's decision, once made.
    decision: Option<&'static str>,
    verdict: Option<VerdictJs>,
    received: Vec<ReceivedJs<'a>>,
    /// Messages this general sent in the run.
    messages_sent: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeJs<'a> {
    id: &'a str,
    /// `'commander'` or `'lieutenant'`.
    state: &'static str,
    m: usize,
    /// The round now.
    round: u64,
    crashed: bool,
    paused: bool,
    timer: Option<&'static str>,
    timer_start: Option<f64>,
    timer_deadline: Option<f64>,
    runs: Vec<RunJs<'a>>,
}

/// How many of a general's latest runs its view holds.
const VIEW_RUNS: usize = 4;

impl Mechanism for Generals {
    const NAME: &'static str = "generals";

    fn build(options: &JsValue) -> JsResult<Simulation<Generals>> {
        let (sim, o) = parse(options)?;
        Simulation::<Generals>::new(sim, o).map_err(core)
    }

    fn config(sim: &Simulation<Generals>) -> JsValue {
        let c = sim.sim_config();
        let o = &sim.protocol().options;
        to_js(&ConfigJs {
            protocol: "generals",
            seed: c.seed as f64,
            nodes: c.nodes,
            latency_ms: [ms(c.latency_us.0), ms(c.latency_us.1)],
            drop_rate: c.drop_rate,
            duplicate_rate: c.duplicate_rate,
            persist_ms: ms(c.persist_us),
            bugs: o.bugs.names(Generals::BUGS),
            commander: &sim.ids()[sim.commander()],
            m: sim.m(),
            round_ms: ms(o.round_us),
            first_order: o.first_order.map(Order::name),
            messages_per_run: om_messages(c.nodes, sim.m()),
            traitors_tolerated: crate::generals::node::tolerated(c.nodes),
        })
    }

    /// `[{id, state ('commander' | 'lieutenant'), m, round, crashed, paused, timer ('round' |
    /// null), timerStart, timerDeadline, runs: [{run, order, decision, verdict: {order, direct,
    /// attack, votes} | null, received: [{path: [id], order}], messagesSent}], byzantine}]`
    /// (the latest 4 runs; orders are `'attack'` or `'retreat'`).
    fn nodes(sim: &Simulation<Generals>) -> JsValue {
        let names = sim.ids();
        let name = |i: NodeId| names.get(i).map_or("?", String::as_str);
        (0..names.len())
            .map(|i| {
                let g = sim.node_state(i);
                // Armed at the next round boundary while a run needs it: one in the past has fired.
                let timer = sim.timer(i, Timer::Round).filter(|(_, d)| *d >= sim.now() && !sim.is_crashed(i));
                let runs = g.runs.iter().skip(g.runs.len().saturating_sub(VIEW_RUNS));
                to_js(&NodeJs {
                    id: name(i),
                    state: if g.is_commander() { "commander" } else { "lieutenant" },
                    m: g.m,
                    round: g.round_of(sim.now()),
                    crashed: sim.is_crashed(i),
                    paused: sim.is_paused(i),
                    timer: timer.map(|_| "round"),
                    timer_start: timer.map(|(s, _)| ms(s)),
                    timer_deadline: timer.map(|(_, d)| ms(d)),
                    runs: runs
                        .map(|(id, r)| RunJs {
                            run: *id,
                            order: r.order.map(Order::name),
                            decision: r.decision.map(Order::name),
                            verdict: r.decision.map(|_| {
                                let v = g.decide(r);
                                VerdictJs { order: v.order.name(), direct: v.direct.name(), attack: v.attack, votes: v.votes }
                            }),
                            received: r.received.iter().map(|(p, o)| ReceivedJs { path: p.iter().map(|k| name(*k)).collect(), order: o.name() }).collect(),
                            messages_sent: r.messages_sent(),
                        })
                        .collect(),
                })
            })
            .collect::<Array>()
            .into()
    }

    /// `[{id, from, to, kind: 'Order', sentAt, deliverAt, run, path: [id], order}]`: "path[0]
    /// says order", relayed along `path` (the sender last, unless a traitor forged it).
    fn messages(sim: &Simulation<Generals>) -> JsValue {
        let names = sim.ids();
        let name = |i: NodeId| names.get(i).map_or("?", String::as_str);
        sim.in_flight()
            .map(|m| {
                let Msg::Order { run, path, value } = &m.payload;
                let v = to_js(&MessageHeadJs::of(names, m, "Order"));
                set(&v, "run", &JsValue::from_f64(*run as f64));
                set(&v, "path", &path.iter().map(|k| JsValue::from_str(name(*k))).collect::<Array>());
                set(&v, "order", &JsValue::from_str(value.name()));
                v
            })
            .collect::<Array>()
            .into()
    }

    /// `command` `"attack"` or `"retreat"` (JSON text): the commander starts a run with that
    /// order at the next round (`index`: the run). `to`, if given, must be the commander.
    fn client_request(sim: &mut Simulation<Generals>, command: String, to: Option<NodeId>) -> Result<ClientReply> {
        let c = sim.commander();
        if to.is_some_and(|t| t != c) {
            return Err(Error::invalid("to", format!("must be the commander ({}): only he gives orders", sim.ids()[c])));
        }
        let order = serde_order(&command).ok_or_else(|| Error::invalid("command", format!("must be \"attack\" or \"retreat\" (got {command})")))?;
        let run = sim.start_run(order)?;
        Ok(ClientReply { accepted: true, leader: Some(sim.ids()[c].clone()), index: Some(run) })
    }
}

/// `"attack"` (JSON text of a string) or `attack` as an order.
fn serde_order(text: &str) -> Option<Order> {
    Order::parse(text.trim_matches('"'))
}

impl SimulationJs {
    /// The generals' simulation, or an `Error` naming `method` for another mechanism.
    fn generals(&mut self, method: &str) -> JsResult<&mut Simulation<Generals>> {
        let name = self.protocol_name();
        #[allow(unreachable_patterns)]
        match &mut self.inner {
            Inner::Generals(s) => Ok(s),
            _ => Err(JsError::new(&format!("{method} is an action of generals simulations (this one runs {name})"))),
        }
    }
}

/// The generals' actions (`protocol: 'generals'`); other mechanisms' simulations throw.
#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// The commander starts a run with `order` (`'attack'` or `'retreat'`) at the next round
    /// boundary. Returns the run (its first round). Throws when the commander is crashed or
    /// paused.
    #[wasm_bindgen(js_name = startRun)]
    pub fn start_run(&mut self, order: JsValue) -> JsResult<f64> {
        let o = order_of(&order, "order")?;
        Ok(self.generals("startRun")?.start_run(o).map_err(core)? as f64)
    }

    /// Run `run`: `{order, decisions: {n2: 'attack', …}, messages}`: the commander's order
    /// (null if he gave none), each lieutenant's decision (the undecided left out), and the
    /// messages the generals sent in it (traitors' included).
    pub fn decisions(&mut self, run: JsValue) -> JsResult<JsValue> {
        let run = uint(&run, "run")?;
        let s = self.generals("decisions")?;
        let o = js_sys::Object::new();
        for (i, d) in s.decisions(run).iter().enumerate() {
            if let Some(d) = d {
                set(&o, &s.ids()[i], &JsValue::from_str(d.name()));
            }
        }
        let out = js_sys::Object::new();
        set(&out, "order", &s.order_of(run).map_or(JsValue::NULL, |x| JsValue::from_str(x.name())));
        set(&out, "decisions", &o);
        set(&out, "messages", &JsValue::from_f64(s.run_messages(run) as f64));
        Ok(out.into())
    }
}
