//! Gossip in the JS `Simulation` class (`protocol: 'gossip'`): epidemic dissemination of a
//! replicated key-value map among up to 10,000 agents (Demers, Greene, Hauser, Irish, Larson,
//! Shenker, Sturgis, Swinehart & Terry, "Epidemic Algorithms for Replicated Database
//! Maintenance", PODC 1987; [`crate::gossip`]).
//!
//! Options, beside the shared ones (`seed`, `nodes` — here 1 to 10,000 —, `latencyMs`,
//! `dropRate`, `duplicateRate`, `bugs`): `mode` (anti-entropy's exchange, §1.3: `'push'`,
//! `'pull'` or `'push-pull'`, the default), `fanout` (peers each agent contacts per round, 1 to
//! 1000, 1), `intervalMs` (anti-entropy's round, 100), `entriesPerExchange` (null, the default:
//! unbounded; else at most this many entries per message, 1 to 1000000), `antiEntropy` (true),
//! `rumors` (rumor mongering, §1.4: null, the default, or `{intervalMs (20), pull (false),
//! feedback (true), interest ('counter' | 'coin', 'counter'), k (2)}`, any key left out taking
//! that default), `deathCertificateMs` (how long a delete's death certificate lives, §2.1,
//! 60000), `keepState` (an agent keeps its map across a crash, true), `synchronous` (every
//! agent's rounds start together, as in the papers' analyses; false).
//!
//! Gossip's actions: `clientRequest({key, value}, at?)` (a write, or a delete when `value` is
//! null), `informed(key)`, `agentStates(key)`, `divergence()`; and the free function
//! `gossipTheory(…)`, the fraction informed per round that theory predicts.
//!
//! Every generic method stays O(1) or O(events) per call at 10,000 agents except the views that
//! list every agent (`nodes()`, `agentStates`, `informed`, `divergence`: O(agents)); the page
//! draws more than about 30 agents from `agentStates(key)` (one byte per agent), not `nodes()`.

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::simulation::{ms, parse_sim_options, rate, Inner, Mechanism, MessageHeadJs, SimulationJs, SIM_KEYS};
use super::{core, get, gossip_fanout, gossip_mode, gossip_options, got, object, only_fields, only_keys, set, string, to_js, uint_in, JsResult};
use crate::error::{Error, Result};
use crate::gossip::{Entry, Exchange, Gossip, GossipSimulation, Interest, Msg, Options, Timer, Version};
use crate::protocol::{NodeId, Protocol};
use crate::sim::{ClientReply, SimConfig, Simulation};

/// The rule for gossip's `nodes` (`Gossip::MAX_NODES`).
const NODES_RULE: &str = "must be an integer from 1 to 10000";
const _: () = assert!(Gossip::MAX_NODES == 10_000);

const GOSSIP_KEYS: [&str; 9] = ["mode", "fanout", "intervalMs", "entriesPerExchange", "antiEntropy", "rumors", "deathCertificateMs", "keepState", "synchronous"];

fn parse(options: &JsValue) -> JsResult<(SimConfig, Options)> {
    let mut sim = SimConfig::default();
    let mut o = Options::default();
    if options.is_undefined() || options.is_null() {
        return Ok((sim, o));
    }
    // Gossip's keys: the shared ones but `persistMs` (an agent writes nothing to disk).
    let keys: Vec<&str> = SIM_KEYS.iter().filter(|k| **k != "persistMs").chain(GOSSIP_KEYS.iter()).copied().collect();
    object(options, "options")?;
    only_keys(options, &keys)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    // `nodes` goes up to 10,000 here: read apart, the shared options read from the rest.
    let nodes = match opt("nodes") {
        Some(v) => uint_in(&v, "nodes", 1..=Gossip::MAX_NODES as u64, NODES_RULE)? as usize,
        None => sim.nodes,
    };
    let rest = js_sys::Object::assign(&js_sys::Object::new(), &js_sys::Object::from(options.clone()));
    let _ = js_sys::Reflect::delete_property(&rest, &"nodes".into());
    parse_sim_options(&rest, &keys, &mut sim, &mut o.bugs, Gossip::BUGS)?;
    sim.nodes = nodes;
    gossip_options(options, &mut o)?;
    Ok((sim, o))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RumorsJs {
    interval_ms: f64,
    pull: bool,
    feedback: bool,
    interest: &'static str,
    k: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJs {
    protocol: &'static str,
    seed: f64,
    nodes: usize,
    latency_ms: [f64; 2],
    drop_rate: f64,
    duplicate_rate: f64,
    bugs: Vec<&'static str>,
    mode: &'static str,
    fanout: usize,
    interval_ms: f64,
    entries_per_exchange: Option<usize>,
    anti_entropy: bool,
    rumors: Option<RumorsJs>,
    death_certificate_ms: f64,
    keep_state: bool,
    synchronous: bool,
}

/// `{ts, writer}`: a version (§1.1), the writer by id.
#[derive(Serialize)]
struct VersionJs<'a> {
    ts: f64,
    writer: &'a str,
}

fn version_js(names: &[String], v: Version) -> VersionJs<'_> {
    VersionJs { ts: v.ts as f64, writer: names.get(v.writer).map_or("?", String::as_str) }
}

/// One entry of a replica or a message: `{key, value, version, deleted, expiresMs}` (value null
/// and expiresMs a time in ms for a death certificate; expiresMs null for a value).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EntryJs<'a> {
    key: &'a str,
    value: Option<&'a str>,
    version: VersionJs<'a>,
    deleted: bool,
    expires_ms: Option<f64>,
}

fn entry_js<'a>(names: &'a [String], key: &'a str, e: &'a Entry) -> EntryJs<'a> {
    let deleted = e.value.is_none();
    EntryJs { key, value: e.value.as_deref(), version: version_js(names, e.version), deleted, expires_ms: deleted.then(|| ms(e.expires_us)) }
}

/// `{key, version}`.
#[derive(Serialize)]
struct KeyVersionJs<'a> {
    key: &'a str,
    version: VersionJs<'a>,
}

/// A hot rumor: `{key, version, count}` (count: the times counted towards losing interest).
#[derive(Serialize)]
struct HotJs<'a> {
    key: &'a str,
    version: VersionJs<'a>,
    count: u32,
}

#[derive(Serialize)]
struct TimerJs {
    kind: &'static str,
    start: f64,
    deadline: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeJs<'a> {
    id: &'a str,
    crashed: bool,
    paused: bool,
    clock: f64,
    store: Vec<EntryJs<'a>>,
    hot: Vec<HotJs<'a>>,
    timers: Vec<TimerJs>,
}

impl Mechanism for Gossip {
    const NAME: &'static str = "gossip";

    fn build(options: &JsValue) -> JsResult<Simulation<Gossip>> {
        let (sim, o) = parse(options)?;
        Simulation::<Gossip>::new(sim, o).map_err(core)
    }

    fn config(sim: &Simulation<Gossip>) -> JsValue {
        let c = sim.sim_config();
        let o = sim.options();
        to_js(&ConfigJs {
            protocol: "gossip",
            seed: c.seed as f64,
            nodes: c.nodes,
            latency_ms: [ms(c.latency_us.0), ms(c.latency_us.1)],
            drop_rate: c.drop_rate,
            duplicate_rate: c.duplicate_rate,
            bugs: o.bugs.names(Gossip::BUGS),
            mode: o.exchange.name(),
            fanout: o.fanout,
            interval_ms: ms(o.interval_us),
            entries_per_exchange: o.entries_per_exchange,
            anti_entropy: o.anti_entropy,
            rumors: o.rumors.map(|r| RumorsJs {
                interval_ms: ms(r.interval_us),
                pull: r.pull,
                feedback: r.feedback,
                interest: if r.interest == Interest::Coin { "coin" } else { "counter" },
                k: r.k,
            }),
            death_certificate_ms: ms(o.death_certificate_us),
            keep_state: o.keep_state,
            synchronous: o.synchronous,
        })
    }

    /// `[{id, crashed, paused, clock, store: [{key, value, version: {ts, writer}, deleted,
    /// expiresMs}], hot: [{key, version, count}], timers: [{kind ('antiEntropy' | 'rumor'),
    /// start, deadline}]}]` (times in ms; `value` null and `expiresMs` set for a death
    /// certificate; `hot`: the agent's hot rumors, Demers' infective; `timers`: none while
    /// crashed). O(agents × keys): for small populations (the page draws more than about 30
    /// agents from `agentStates`).
    fn nodes(sim: &Simulation<Gossip>) -> JsValue {
        let names = sim.ids();
        let o = sim.options();
        let kinds = [(Timer::AntiEntropy, "antiEntropy", o.runs_anti_entropy()), (Timer::Rumor, "rumor", o.rumor_settings().is_some())];
        (0..names.len())
            .map(|i| {
                let n = sim.node_state(i);
                let crashed = sim.is_crashed(i);
                let timers = kinds
                    .iter()
                    .filter(|(_, _, on)| *on && !crashed)
                    .filter_map(|(t, kind, _)| sim.timer(i, *t).map(|(s, d)| TimerJs { kind, start: ms(s), deadline: ms(d) }))
                    .collect();
                to_js(&NodeJs {
                    id: &names[i],
                    crashed,
                    paused: sim.is_paused(i),
                    clock: n.clock as f64,
                    store: n.store.iter().map(|(k, e)| entry_js(names, k, e)).collect(),
                    hot: n.hot.iter().map(|(k, (v, c))| HotJs { key: k, version: version_js(names, *v), count: *c }).collect(),
                    timers,
                })
            })
            .collect::<Array>()
            .into()
    }

    /// `[{id, from, to, kind, sentAt, deliverAt, …}]` with each kind's fields: `Digest`
    /// `{exchange, digest: [{key, version}]}`, `Reply` `{entries, want: [key]}`, `Entries` and
    /// `Rumor` `{entries}` (entries as in `nodes()`'s store), `RumorAck` `{known: [{key,
    /// version}]}`, `RumorPull` (no more).
    fn messages(sim: &Simulation<Gossip>) -> JsValue {
        let names = sim.ids();
        let entries = |list: &[(String, Entry)]| to_js(&list.iter().map(|(k, e)| entry_js(names, k, e)).collect::<Vec<_>>());
        let versions = |list: &[(String, Version)]| to_js(&list.iter().map(|(k, v)| KeyVersionJs { key: k, version: version_js(names, *v) }).collect::<Vec<_>>());
        sim.in_flight()
            .map(|m| {
                let v = to_js(&MessageHeadJs::of(names, m, m.payload.kind()));
                match &m.payload {
                    Msg::Digest { exchange, digest } => {
                        set(&v, "exchange", &JsValue::from_str(exchange.name()));
                        set(&v, "digest", &versions(digest));
                    }
                    Msg::Reply { entries: e, want } => {
                        set(&v, "entries", &entries(e));
                        set(&v, "want", &to_js(want));
                    }
                    Msg::Entries { entries: e } | Msg::Rumor { entries: e } => set(&v, "entries", &entries(e)),
                    Msg::RumorAck { known } => set(&v, "known", &versions(known)),
                    Msg::RumorPull => {}
                }
                v
            })
            .collect::<Array>()
            .into()
    }

    /// Not reached: `clientRequest` on a gossip simulation takes `{key, value}` and answers
    /// with a version ([`client_request`]).
    fn client_request(_sim: &mut Simulation<Gossip>, _command: String, _to: Option<NodeId>) -> Result<ClientReply> {
        Err(Error::invalid("request", "must be {key, value} for gossip"))
    }
}

/// `{accepted, at, version, reason}`: `clientRequest`'s answer on a gossip simulation.
#[derive(Serialize)]
struct WriteJs<'a> {
    accepted: bool,
    at: Option<&'a str>,
    version: Option<VersionJs<'a>>,
    reason: Option<String>,
}

/// `clientRequest({key, value}, at?)` on a gossip simulation (see `SimulationJs::client_request`).
pub(super) fn client_request(sim: &mut GossipSimulation, request: &JsValue, at: &JsValue) -> JsResult<JsValue> {
    object(request, "request")?;
    only_fields(request, "request", "a gossip write", &["key", "value"])?;
    let key = string(&get(request, "key"), "request.key")?;
    let v = get(request, "value");
    let value = if v.is_null() { None } else { Some(v.as_string().ok_or_else(|| got("request.value", "must be a string, or null (a delete)", &v))?) };
    let agent = if at.is_undefined() || at.is_null() {
        None
    } else {
        let id = string(at, "at")?;
        Some(super::simulation::index_of(sim, "at", &id).map_err(core)?)
    };
    // Every argument checked: only now may the simulation's RNG draw.
    let Some(i) = agent.or_else(|| sim.random_running_agent()) else {
        return Ok(to_js(&WriteJs { accepted: false, at: None, version: None, reason: Some("no agent is running".into()) }));
    };
    let refused = if sim.is_crashed(i) {
        Some("is crashed")
    } else if sim.is_paused(i) {
        Some("is paused")
    } else {
        None
    };
    let names = sim.ids().to_vec();
    if let Some(why) = refused {
        return Ok(to_js(&WriteJs { accepted: false, at: Some(&names[i]), version: None, reason: Some(format!("{} {why}", names[i])) }));
    }
    let version = match value {
        Some(value) => sim.set(i, &key, &value),
        None => sim.delete(i, &key),
    }
    .map_err(core)?;
    Ok(to_js(&WriteJs { accepted: true, at: Some(&names[i]), version: Some(version_js(&names, version)), reason: None }))
}

impl SimulationJs {
    /// The gossip simulation, or an `Error` naming `method` for another mechanism.
    fn gossip(&self, method: &str) -> JsResult<&GossipSimulation> {
        let name = self.protocol_name();
        #[allow(unreachable_patterns)]
        match &self.inner {
            Inner::Gossip(s) => Ok(s),
            _ => Err(JsError::new(&format!("{method} is an action of gossip simulations (this one runs {name})"))),
        }
    }
}

/// Gossip's views (`protocol: 'gossip'`); other mechanisms' simulations throw.
#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// How many live agents (running or paused, not crashed) hold the newest version of `key`
    /// (Demers' infective and removed agents; the others are susceptible). 0 when no agent
    /// holds the key. O(agents).
    pub fn informed(&self, key: JsValue) -> JsResult<f64> {
        let key = string(&key, "key")?;
        Ok(self.gossip("informed")?.informed(&key) as f64)
    }

    /// Every agent's state for `key`'s newest version, in id order: a `Uint8Array` of length
    /// `nodes`, `0` susceptible (does not hold it), `1` infective (holds it as a hot rumor),
    /// `2` removed (holds it, not hot; without rumor mongering every informed agent), `3`
    /// crashed (Demers et al. §1). One byte per agent: what the page draws large populations
    /// from. O(agents).
    #[wasm_bindgen(js_name = agentStates)]
    pub fn agent_states(&self, key: JsValue) -> JsResult<js_sys::Uint8Array> {
        let key = string(&key, "key")?;
        let states: Vec<u8> = self.gossip("agentStates")?.agent_states(&key).into_iter().map(|s| s as u8).collect();
        Ok(js_sys::Uint8Array::from(&states[..]))
    }

    /// null when every live agent holds the same versions (expired death certificates left
    /// out), else `{a, b, key}`: the first two agents that differ and a key they differ on.
    /// O(agents × keys).
    pub fn divergence(&self) -> JsResult<JsValue> {
        let s = self.gossip("divergence")?;
        Ok(match s.divergence() {
            None => JsValue::NULL,
            Some((a, b, key)) => {
                let o = js_sys::Object::new();
                set(&o, "a", &JsValue::from_str(&s.ids()[a]));
                set(&o, "b", &JsValue::from_str(&s.ids()[b]));
                set(&o, "key", &JsValue::from_str(&key));
                o.into()
            }
        })
    }
}

const THEORY_KEYS: [&str; 6] = ["nodes", "mode", "fanout", "dropRate", "live", "rounds"];

/// `gossipTheory({nodes, mode, fanout, dropRate, live, rounds})`: the fraction of live agents
/// that hold one update after each synchronous anti-entropy round, as theory predicts (a
/// mean-field recursion, the form of Demers et al. §1.3's and Pittel's analyses; see
/// `gossip::experiment::theory_informed`): an array of `rounds + 1` fractions in [0, 1],
/// element r after round r (element 0: the writer alone). `nodes` (1 to 10000) and `rounds` (0
/// to 10000) are required; `mode` (`'push-pull'`), `fanout` (1 to 1000, 1), `dropRate` (the
/// probability a message is lost, 0 to 1, 0) and `live` (the fraction of agents running, 0 to
/// 1, 1) are optional. Throws an `Error` naming the parameter and the rule.
#[wasm_bindgen(js_name = gossipTheory)]
pub fn gossip_theory(options: JsValue) -> JsResult<JsValue> {
    object(&options, "options")?;
    only_keys(&options, &THEORY_KEYS)?;
    let opt = |k: &str| Some(get(&options, k)).filter(|v| !v.is_undefined());
    let nodes = uint_in(&get(&options, "nodes"), "nodes", 1..=Gossip::MAX_NODES as u64, NODES_RULE)? as usize;
    let rounds = uint_in(&get(&options, "rounds"), "rounds", 0..=10_000, "must be an integer from 0 to 10000")? as usize;
    let mode = opt("mode").map_or(Ok(Exchange::PushPull), |v| gossip_mode(&v, "mode"))?;
    let fanout = opt("fanout").map_or(Ok(1), |v| gossip_fanout(&v))?;
    let loss = opt("dropRate").map_or(Ok(0.0), |v| rate(&v, "dropRate"))?;
    let live = opt("live").map_or(Ok(1.0), |v| rate(&v, "live"))?;
    Ok(to_js(&crate::gossip::experiment::theory_informed(nodes, mode, fanout, loss, live, rounds)))
}
