//! `Simulation` at the JS boundary: the simulated cluster the page animates (feature
//! `simulation-api`, on by default and in the widget's build).

use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{
    array, boolean, command_text, core, entries_js, get, got, invalid, max_entries_per_append, object, only_keys, set,
    snapshot_interval, string, to_js, uint, uint_in, JsResult, MAX_RUN_MS,
};
use crate::kv::Op;
use crate::raft::{Bug, Bugs, Config, Raft, RaftSimulation};
use crate::sim::chaos;
use crate::sim::{self, Micros, Workload};

// ---- Simulation ----------------------------------------------------------------------------

/// A deterministic simulated Raft cluster `n1` … `nN` (times in ms at this boundary).
///
/// ```js
/// const sim = new Simulation({ seed: 7, nodes: 5, latencyMs: [10, 15],
///   electionTimeoutMs: [150, 300], heartbeatMs: 50, dropRate: 0 }); // every key optional
/// ```
#[wasm_bindgen(js_name = Simulation)]
pub struct SimulationJs {
    inner: RaftSimulation,
}

/// The rule for `nodes`, spelled out so no formatting is needed (the assert keeps it in step
/// with `sim::config::MAX_NODES`).
const NODES_RULE: &str = "must be an integer from 1 to 15";
const _: () = assert!(sim::config::MAX_NODES == 15);

const OPTION_KEYS: [&str; 15] = [
    "seed",
    "nodes",
    "latencyMs",
    "electionTimeoutMs",
    "heartbeatMs",
    "dropRate",
    "duplicateRate",
    "bugs",
    "preVote",
    "checkQuorum",
    "maxEntriesPerAppend",
    "snapshotInterval",
    "readIndex",
    "batchMs",
    "persistMs",
];

/// An array of bug names (`figure8`, `no-log-check`, `forget-vote`, `stale-truncate`).
fn parse_bugs(v: &JsValue, param: &str) -> JsResult<Bugs> {
    let arr = array(v, param)?;
    let mut bugs = Bugs::NONE;
    for (k, name) in arr.iter().enumerate() {
        let bug = name.as_string().and_then(|n| Bug::from_name(&n)).ok_or_else(|| {
            let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
            got(&format!("{param}[{k}]"), &format!("must be one of {}", names.join(", ")), &name)
        })?;
        bugs = bugs.with(bug, true);
    }
    Ok(bugs)
}

fn ms_to_us(v: &JsValue, param: &str) -> JsResult<Micros> {
    match v.as_f64() {
        Some(f) if f.is_finite() && (0.0..=MAX_RUN_MS).contains(&f) => Ok((f * 1000.0).round() as Micros),
        _ => Err(got(param, "must be a number of ms from 0 to 3600000", v)),
    }
}

fn ms_range(v: &JsValue, param: &str) -> JsResult<(Micros, Micros)> {
    let arr = array(v, param)?;
    if arr.length() != 2 {
        return Err(invalid(param, format!("must be [lo, hi] in ms (got {} numbers)", arr.length())));
    }
    Ok((ms_to_us(&arr.get(0), &format!("{param}[0]"))?, ms_to_us(&arr.get(1), &format!("{param}[1]"))?))
}

/// A probability in [0, 1].
fn rate(v: &JsValue, param: &str) -> JsResult<f64> {
    match v.as_f64() {
        Some(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(got(param, "must be a number from 0 to 1", v)),
    }
}

fn parse_config(options: &JsValue) -> JsResult<Config> {
    let mut c = Config::default();
    if options.is_undefined() || options.is_null() {
        return Ok(c);
    }
    object(options, "options")?;
    only_keys(options, &OPTION_KEYS)?;
    let opt = |k: &str| Some(get(options, k)).filter(|v| !v.is_undefined());
    if let Some(v) = opt("seed") {
        c.seed = uint(&v, "seed")?;
    }
    if let Some(v) = opt("nodes") {
        c.nodes = uint_in(&v, "nodes", 1..=sim::config::MAX_NODES as u64, NODES_RULE)? as usize;
    }
    if let Some(v) = opt("latencyMs") {
        c.latency_us = ms_range(&v, "latencyMs")?;
    }
    if let Some(v) = opt("electionTimeoutMs") {
        c.election_timeout_us = ms_range(&v, "electionTimeoutMs")?;
    }
    if let Some(v) = opt("heartbeatMs") {
        c.heartbeat_us = ms_to_us(&v, "heartbeatMs")?;
    }
    if let Some(v) = opt("dropRate") {
        c.drop_rate = rate(&v, "dropRate")?;
    }
    if let Some(v) = opt("duplicateRate") {
        c.duplicate_rate = rate(&v, "duplicateRate")?;
    }
    if let Some(v) = opt("bugs") {
        c.bugs = parse_bugs(&v, "bugs")?;
    }
    if let Some(v) = opt("preVote") {
        c.pre_vote = boolean(&v, "preVote")?;
    }
    if let Some(v) = opt("checkQuorum") {
        c.check_quorum = boolean(&v, "checkQuorum")?;
    }
    if let Some(v) = opt("batchMs") {
        c.batch_us = if v.is_null() { None } else { Some(ms_to_us(&v, "batchMs")?.max(1)) };
    }
    if let Some(v) = opt("persistMs") {
        c.persist_us = ms_to_us(&v, "persistMs")?;
    }
    if let Some(v) = opt("readIndex") {
        c.read_index = boolean(&v, "readIndex")?;
    }
    if let Some(v) = opt("snapshotInterval") {
        c.snapshot_interval = snapshot_interval(&v)?;
    }
    if let Some(v) = opt("maxEntriesPerAppend") {
        c.max_entries_per_append = max_entries_per_append(&v)?;
    }
    c.validate().map_err(core)?;
    Ok(c)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigJs {
    seed: f64,
    nodes: usize,
    latency_ms: [f64; 2],
    election_timeout_ms: [f64; 2],
    heartbeat_ms: f64,
    drop_rate: f64,
    duplicate_rate: f64,
    bugs: Vec<&'static str>,
    pre_vote: bool,
    check_quorum: bool,
    max_entries_per_append: Option<usize>,
    snapshot_interval: Option<u64>,
    read_index: bool,
    batch_ms: Option<f64>,
    persist_ms: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HistoryJs<'a> {
    client: u32,
    op: &'a str,
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    call: f64,
    r#return: Option<f64>,
    ok: Option<bool>,
    output: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BugJs {
    name: &'static str,
    breaks: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkLatencyJs<'a> {
    from: &'a str,
    to: &'a str,
    latency_ms: [f64; 2],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NetworkJs<'a> {
    latency_ms: [f64; 2],
    drop_rate: f64,
    duplicate_rate: f64,
    cut_links: Vec<[&'a str; 2]>,
    link_latency: Vec<LinkLatencyJs<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ViolationJs<'a> {
    rule: &'a str,
    nodes: &'a [String],
    time: f64,
    detail: &'a str,
}

fn ms(us: Micros) -> f64 {
    us as f64 / 1000.0
}

#[wasm_bindgen(js_class = Simulation)]
impl SimulationJs {
    /// `new Simulation(options?)`. Options (all optional): `seed` (non-negative integer, 7),
    /// `nodes` (1–15, 5), `latencyMs` ([lo, hi], [10, 15]), `electionTimeoutMs` ([150, 300]),
    /// `heartbeatMs` (50), `dropRate` (0–1, 0), `duplicateRate` (0–1, 0), `bugs` (deliberate
    /// protocol bugs by name, `[]`; see `Simulation.bugList()`), `preVote` (true: PreVote,
    /// dissertation §9.6), `checkQuorum` (true: CheckQuorum, §6.2), `maxEntriesPerAppend` (64;
    /// null for no limit), `snapshotInterval` (10000 applied entries between snapshots, §7;
    /// null: never), `readIndex` (true: client reads by ReadIndex, §6.4), `batchMs` (null:
    /// each write sent at once; a number: the leader collects writes that long and sends them
    /// together), `persistMs` (0; how long a server writes to stable storage before a reply
    /// that changed its currentTerm, votedFor or log, Figure 2). Unknown keys are refused.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> JsResult<SimulationJs> {
        Ok(SimulationJs { inner: RaftSimulation::new(parse_config(&options)?).map_err(core)? })
    }

    /// Replays a `consensus-sim check` run (same seed, nodes, events, faults and bug) up to
    /// where it stopped, for a failing seed the CLI printed: `options` is `{seed, nodes,
    /// events, faults, bug}` (`faults` a comma-separated list or "all"; `bug` a name or
    /// null). Returns the simulation at that point, its violation (if any) in `violations()`.
    #[wasm_bindgen(js_name = fromCheck)]
    pub fn from_check(options: JsValue) -> JsResult<SimulationJs> {
        object(&options, "options")?;
        let seed = uint(&get(&options, "seed"), "seed")?;
        let nodes = uint(&get(&options, "nodes"), "nodes").ok().filter(|n| (1..=sim::config::MAX_NODES as u64).contains(n));
        let nodes = nodes.ok_or_else(|| invalid("nodes", NODES_RULE))? as usize;
        let events = uint(&get(&options, "events"), "events").ok().filter(|n| (1..=1_000_000).contains(n));
        let events = events.ok_or_else(|| invalid("events", "must be an integer from 1 to 1000000"))?;
        let faults = string(&get(&options, "faults"), "faults")?;
        let faults = chaos::Fault::parse_list(&faults).map_err(core)?;
        let bug = get(&options, "bug");
        let bugs = if bug.is_null() || bug.is_undefined() {
            Bugs::NONE
        } else {
            let name = string(&bug, "bug")?;
            let b = Bug::from_name(&name).ok_or_else(|| invalid("bug", format!("must be a bug name (got \"{name}\")")))?;
            Bugs::NONE.with(b, true)
        };
        let cfg = chaos::ChaosConfig { seed, nodes, events, faults, bugs };
        let (inner, _) = chaos::run::<Raft>(&cfg).map_err(core)?;
        Ok(SimulationJs { inner })
    }

    /// The settings in effect, in the constructor's shape.
    #[wasm_bindgen(getter)]
    pub fn config(&self) -> JsValue {
        let c = self.inner.config();
        to_js(&ConfigJs {
            seed: c.seed as f64,
            nodes: c.nodes,
            latency_ms: [ms(c.latency_us.0), ms(c.latency_us.1)],
            election_timeout_ms: [ms(c.election_timeout_us.0), ms(c.election_timeout_us.1)],
            heartbeat_ms: ms(c.heartbeat_us),
            drop_rate: c.drop_rate,
            duplicate_rate: c.duplicate_rate,
            bugs: c.bugs.names(<crate::raft::Raft as crate::protocol::Protocol>::BUGS),
            pre_vote: c.pre_vote,
            check_quorum: c.check_quorum,
            max_entries_per_append: c.max_entries_per_append,
            snapshot_interval: c.snapshot_interval,
            read_index: c.read_index,
            batch_ms: c.batch_us.map(ms),
            persist_ms: ms(c.persist_us),
        })
    }

    /// Simulated time, ms.
    #[wasm_bindgen(getter)]
    pub fn now(&self) -> f64 {
        ms(self.inner.now())
    }

    /// Node ids, `['n1', …]`.
    #[wasm_bindgen(getter)]
    pub fn ids(&self) -> Vec<String> {
        self.inner.ids().to_vec()
    }

    /// Handles the next event and returns it (`{seq, time, kind, node, messageId, messageKind,
    /// from, to, text}`), or null when nothing is pending.
    pub fn step(&mut self) -> JsValue {
        self.inner.step().as_ref().map_or(JsValue::NULL, to_js)
    }

    /// Handles every event up to `ms` (simulated ms; at most one hour past now) and moves the
    /// clock there. Returns the number of events handled.
    #[wasm_bindgen(js_name = runUntil)]
    pub fn run_until(&mut self, ms_: JsValue) -> JsResult<f64> {
        let now = self.now();
        match ms_.as_f64() {
            Some(f) if f.is_finite() && f >= 0.0 && f <= now + MAX_RUN_MS => {
                Ok(self.inner.run_until((f * 1000.0).floor() as Micros) as f64)
            }
            _ => Err(got("ms", "must be a number of ms from 0 to now + 3600000", &ms_)),
        }
    }

    /// Node `id` starts an election now, as if its election timer fired. Throws for an unknown
    /// or crashed node.
    #[wasm_bindgen(js_name = startElection)]
    pub fn start_election(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        self.inner.start_election(i).map_err(core)
    }

    /// Node `id` crashes (keeps currentTerm, votedFor and its log; its replies still waiting for
    /// a `persistMs` write are lost). Throws if already crashed.
    pub fn crash(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        self.inner.crash(i).map_err(core)
    }

    /// Crashed node `id` restarts as a follower with its persistent state. Throws if running.
    pub fn restart(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        self.inner.restart(i).map_err(core)
    }

    /// The leader hands leadership to node `to` (dissertation §3.10): it stops taking client
    /// commands, brings `to` up to date, then sends it TimeoutNow. Throws when there is no
    /// leader, or `to` is the leader, unknown, crashed or paused.
    #[wasm_bindgen(js_name = transferLeadership)]
    pub fn transfer_leadership(&mut self, to: JsValue) -> JsResult<()> {
        let i = self.node_param(&to, "to")?;
        self.inner.transfer_leadership(i).map_err(core)
    }

    /// Adds a server (dissertation §4.1): a new node with an empty log starts and the leader
    /// appends the configuration that includes it. Returns the new node's id (`n{N+1}`).
    /// Throws when there is no running leader, 15 nodes exist, a change is still uncommitted
    /// or the leader has not committed an entry of its term yet.
    #[wasm_bindgen(js_name = addNode)]
    pub fn add_node(&mut self) -> JsResult<String> {
        let i = self.inner.add_node().map_err(core)?;
        Ok(self.inner.ids()[i].clone())
    }

    /// Removes server `id` (dissertation §4.1): the leader appends the configuration without
    /// it; it shuts down once that commits (a removed leader steps down first). Throws when
    /// there is no running leader, `id` is not a member or the last one, or a change is
    /// still uncommitted.
    #[wasm_bindgen(js_name = removeNode)]
    pub fn remove_node(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        self.inner.remove_node(i).map_err(core)
    }

    /// Loses message `messageId` (from `messages()`). Throws if it is not in flight.
    #[wasm_bindgen(js_name = dropMessage)]
    pub fn drop_message(&mut self, message_id: JsValue) -> JsResult<()> {
        let id = uint(&message_id, "messageId")?;
        self.inner.drop_message(id).map_err(core)
    }

    /// A client sends `command` (any JSON value) to the current leader, or to node `to` when
    /// given. Returns `{accepted, leader, index}`: accepted false without a leader, or when `to`
    /// is not the leader (then `leader` names the leader it knows, if any).
    #[wasm_bindgen(js_name = clientRequest)]
    pub fn client_request(&mut self, command: JsValue, to: JsValue) -> JsResult<JsValue> {
        let text = command_text(&command, "command")?;
        let to = if to.is_undefined() || to.is_null() { None } else { Some(self.node_param(&to, "to")?) };
        let reply = self.inner.client_request(text, to).map_err(core)?;
        Ok(to_js(&reply))
    }

    /// Every node: `[{id, state, currentTerm, votedFor, commitIndex, lastApplied, log,
    /// nextIndex, matchIndex, electionTimerStart, electionDeadline, leaderId, votes, preVotes,
    /// crashed, paused, removed, kv, snapshotIndex, snapshotTerm, members}]` (times in ms;
    /// nextIndex/matchIndex and kv as objects keyed by node id / key; `log` holds the entries
    /// after the snapshot).
    pub fn nodes(&self) -> JsValue {
        self.inner
            .node_views()
            .iter()
            .map(|n| {
                let v = to_js(n);
                set(&v, "log", &entries_js(n.log));
                v
            })
            .collect::<Array>()
            .into()
    }

    /// Messages in flight: `[{id, from, to, kind, sentAt, deliverAt, term, …}]` with the RPC's
    /// fields (Raft paper Figure 2, camelCase); kind is `RequestVote`, `RequestVoteResponse`,
    /// `AppendEntries`, `AppendEntriesResponse`, or one of the extensions' `PreVote`,
    /// `PreVoteResponse`, `TimeoutNow`, `InstallSnapshot` (with `lastIncludedIndex`,
    /// `lastIncludedTerm`) and `InstallSnapshotResponse`.
    pub fn messages(&self) -> JsValue {
        self.inner
            .message_views()
            .iter()
            .map(|m| {
                let v = to_js(m);
                if let Some(e) = m.entries {
                    set(&v, "entries", &entries_js(e));
                }
                v
            })
            .collect::<Array>()
            .into()
    }

    /// Node `id` freezes (a stopped process): it handles nothing, messages to it wait, and its
    /// replies still waiting for a `persistMs` write leave only when it resumes.
    /// Throws for an unknown, crashed or already paused node.
    pub fn pause(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        self.inner.pause(i).map_err(core)
    }

    /// Paused node `id` wakes with the view it had; overdue timers fire and waiting messages
    /// are delivered now. Throws unless it is paused.
    pub fn resume(&mut self, id: JsValue) -> JsResult<()> {
        let i = self.node(&id)?;
        self.inner.resume(i).map_err(core)
    }

    /// Splits the network: `groups` is an array of arrays of node ids, e.g.
    /// `[["n1","n2"],["n3","n4","n5"]]`. Links between groups are cut both ways, links inside
    /// a group work; nodes in no group form one more group. Throws on an unknown id or an id
    /// listed twice.
    pub fn partition(&mut self, groups: JsValue) -> JsResult<()> {
        let arr = array(&groups, "groups")?;
        let mut gs = Vec::with_capacity(arr.length() as usize);
        for (g, members) in arr.iter().enumerate() {
            let m = array(&members, &format!("groups[{g}]"))?;
            let mut ids = Vec::with_capacity(m.length() as usize);
            for (k, id) in m.iter().enumerate() {
                ids.push(self.node_param(&id, &format!("groups[{g}][{k}]"))?);
            }
            gs.push(ids);
        }
        self.inner.partition(&gs).map_err(core)
    }

    /// Repairs every link.
    pub fn heal(&mut self) {
        self.inner.heal();
    }

    /// Cuts the link `from → to`; with `bothWays` true, `to → from` too. Messages on a cut
    /// link are lost, including those already travelling on it.
    #[wasm_bindgen(js_name = cutLink)]
    pub fn cut_link(&mut self, from: JsValue, to: JsValue, both_ways: JsValue) -> JsResult<()> {
        let (f, t, both) = self.link_args(&from, &to, &both_ways)?;
        self.inner.cut_link(f, t, both).map_err(core)
    }

    /// Repairs the link `from → to`; with `bothWays` true, `to → from` too.
    #[wasm_bindgen(js_name = repairLink)]
    pub fn repair_link(&mut self, from: JsValue, to: JsValue, both_ways: JsValue) -> JsResult<()> {
        let (f, t, both) = self.link_args(&from, &to, &both_ways)?;
        self.inner.repair_link(f, t, both).map_err(core)
    }

    /// Sets the latency range `[lo, hi]` ms of every link without its own.
    #[wasm_bindgen(js_name = setLatency)]
    pub fn set_latency(&mut self, latency_ms: JsValue) -> JsResult<()> {
        let r = ms_range(&latency_ms, "latencyMs")?;
        self.inner.set_latency(r).map_err(core)
    }

    /// Gives the link `from → to` its own latency range `[lo, hi]` ms; null restores the
    /// global range.
    #[wasm_bindgen(js_name = setLinkLatency)]
    pub fn set_link_latency(&mut self, from: JsValue, to: JsValue, latency_ms: JsValue) -> JsResult<()> {
        let f = self.node_param(&from, "from")?;
        let t = self.node_param(&to, "to")?;
        let r = if latency_ms.is_null() { None } else { Some(ms_range(&latency_ms, "latencyMs")?) };
        self.inner.set_link_latency(f, t, r).map_err(core)
    }

    /// Switches deliberate protocol bugs on in every node (and every other one off): `bugs` is
    /// an array of names from `Simulation.bugList()`; `[]` restores the correct protocol.
    #[wasm_bindgen(js_name = setBugs)]
    pub fn set_bugs(&mut self, bugs: JsValue) -> JsResult<()> {
        let b = parse_bugs(&bugs, "bugs")?;
        self.inner.set_bugs(b);
        Ok(())
    }

    /// Every deliberate bug: `[{name, breaks}]`, `breaks` saying which rule it breaks.
    #[wasm_bindgen(js_name = bugList)]
    pub fn bug_list() -> JsValue {
        Bug::ALL.iter().map(|b| to_js(&BugJs { name: b.name(), breaks: b.breaks() })).collect::<Array>().into()
    }

    /// Sets the probability that a message is lost (0–1).
    #[wasm_bindgen(js_name = setDropRate)]
    pub fn set_drop_rate(&mut self, rate_: JsValue) -> JsResult<()> {
        let r = rate(&rate_, "dropRate")?;
        self.inner.set_drop_rate(r).map_err(core)
    }

    /// Sets the probability that a message is delivered twice (0–1).
    #[wasm_bindgen(js_name = setDuplicateRate)]
    pub fn set_duplicate_rate(&mut self, rate_: JsValue) -> JsResult<()> {
        let r = rate(&rate_, "duplicateRate")?;
        self.inner.set_duplicate_rate(r).map_err(core)
    }

    /// The network now: `{latencyMs, dropRate, duplicateRate, cutLinks: [[from, to], …],
    /// linkLatency: [{from, to, latencyMs}, …]}`.
    pub fn network(&self) -> JsValue {
        let net = self.inner.network();
        let ids = self.inner.ids();
        to_js(&NetworkJs {
            latency_ms: [ms(net.latency_us.0), ms(net.latency_us.1)],
            drop_rate: net.drop_rate,
            duplicate_rate: net.duplicate_rate,
            cut_links: net.cut_links().map(|(f, t)| [ids[f].as_str(), ids[t].as_str()]).collect(),
            link_latency: net
                .link_latency_us
                .iter()
                .map(|((f, t), (lo, hi))| LinkLatencyJs { from: &ids[*f], to: &ids[*t], latency_ms: [ms(*lo), ms(*hi)] })
                .collect(),
        })
    }

    /// Starts key-value clients: `options` (all optional) `clients` (1–20, 3), `opsPerClient`
    /// (positive integer, or null for no end; null), `keys` (non-empty array of strings,
    /// `["x","y"]`), `timeoutMs` (200), `thinkMs` (20). Each client sends one operation at a
    /// time (put, get, cas, increment) to the node it believes leads and retries on a timeout
    /// or redirect; sessions make a retry take effect once.
    #[wasm_bindgen(js_name = startClients)]
    pub fn start_clients(&mut self, options: JsValue) -> JsResult<()> {
        let mut w = Workload::default();
        if !options.is_undefined() && !options.is_null() {
            object(&options, "options")?;
            only_keys(&options, &["clients", "opsPerClient", "keys", "timeoutMs", "thinkMs"])?;
            let opt = |k: &str| Some(get(&options, k)).filter(|v| !v.is_undefined());
            if let Some(v) = opt("clients") {
                w.clients = uint_in(&v, "clients", 1..=20, "must be an integer from 1 to 20")? as usize;
            }
            if let Some(v) = opt("opsPerClient") {
                w.ops_per_client = if v.is_null() { None } else { Some(uint_in(&v, "opsPerClient", 1..=u64::MAX, "must be a positive integer or null")?) };
            }
            if let Some(v) = opt("keys") {
                let arr = array(&v, "keys")?;
                if arr.length() == 0 {
                    return Err(invalid("keys", "must not be empty"));
                }
                w.keys = arr.iter().enumerate().map(|(k, key)| string(&key, &format!("keys[{k}]"))).collect::<JsResult<_>>()?;
            }
            if let Some(v) = opt("timeoutMs") {
                w.timeout_us = ms_to_us(&v, "timeoutMs")?.max(1);
            }
            if let Some(v) = opt("thinkMs") {
                w.think_us = ms_to_us(&v, "thinkMs")?;
            }
        }
        self.inner.start_clients(w);
        Ok(())
    }

    /// Stops the client workload (operations in progress still get their answers).
    #[wasm_bindgen(js_name = stopClients)]
    pub fn stop_clients(&mut self) {
        self.inner.stop_clients();
    }

    /// Every client operation so far: `[{client, op, key, value?, from?, to?, call, return,
    /// ok, output}]`, times in ms; `return`, `ok` and `output` are null until an answer comes.
    pub fn history(&self) -> JsValue {
        self.inner
            .history()
            .iter()
            .map(|h| {
                let (value, from, to) = match &h.op {
                    Op::Put { value, .. } => (Some(value.as_str()), None, None),
                    Op::Cas { from, to, .. } => (None, Some(from.as_str()), Some(to.as_str())),
                    _ => (None, None, None),
                };
                to_js(&HistoryJs {
                    client: h.client,
                    op: h.op.name(),
                    key: h.op.key(),
                    value,
                    from,
                    to,
                    call: ms(h.call_us),
                    r#return: h.return_us.map(ms),
                    ok: h.output.as_ref().map(|o| o.ok),
                    output: h.output.as_ref().and_then(|o| o.value.as_deref()),
                })
            })
            .collect::<Array>()
            .into()
    }

    /// The id of the leader of the highest term among running nodes, or null.
    pub fn leader(&self) -> JsValue {
        self.inner.leader().map_or(JsValue::NULL, |i| JsValue::from_str(&self.inner.ids()[i]))
    }

    /// Safety violations found so far: `[{rule, nodes, time, detail}]` (time in ms); `[]` when safe.
    pub fn violations(&self) -> JsValue {
        self.inner
            .violations()
            .iter()
            .map(|v| to_js(&ViolationJs { rule: v.rule, nodes: &v.nodes, time: ms(v.time_us), detail: &v.detail }))
            .collect::<Array>()
            .into()
    }

    /// `{messagesSent, messagesDelivered, messagesDropped, messagesDuplicated, elections,
    /// committed, leaderlessPeriods, leaderlessMs, lastLeaderlessMs}`: counters since the
    /// start; the last three time the periods with no running leader that have ended (from
    /// the moment none led until one did: election latency), ms.
    pub fn stats(&self) -> JsValue {
        let s = self.inner.stats();
        to_js(&StatsJs {
            messages_sent: s.messages_sent as f64,
            messages_delivered: s.messages_delivered as f64,
            messages_dropped: s.messages_dropped as f64,
            messages_duplicated: s.messages_duplicated as f64,
            elections: s.elections as f64,
            committed: s.committed as f64,
            leaderless_periods: s.leaderless_periods as f64,
            leaderless_ms: ms(s.leaderless_us),
            last_leaderless_ms: ms(s.last_leaderless_us),
        })
    }

    /// Events with `seq > after` (oldest first; the last 500 are kept), each as `step()` returns.
    #[wasm_bindgen(js_name = eventsSince)]
    pub fn events_since(&self, after: JsValue) -> JsResult<JsValue> {
        let after = if after.is_undefined() { 0 } else { uint(&after, "after")? };
        Ok(self.inner.events_since(after).map(|e| to_js(&e)).collect::<Array>().into())
    }

    /// Time of the next pending event, ms, or null.
    #[wasm_bindgen(getter, js_name = nextEventAt)]
    pub fn next_event_at(&self) -> JsValue {
        self.inner.next_event_at().map_or(JsValue::NULL, |t| JsValue::from_f64(ms(t)))
    }
}

impl SimulationJs {
    fn link_args(&self, from: &JsValue, to: &JsValue, both: &JsValue) -> JsResult<(usize, usize, bool)> {
        let f = self.node_param(from, "from")?;
        let t = self.node_param(to, "to")?;
        let both = if both.is_undefined() { false } else { boolean(both, "bothWays")? };
        Ok((f, t, both))
    }
    fn node(&self, id: &JsValue) -> JsResult<usize> {
        self.node_param(id, "id")
    }
    fn node_param(&self, id: &JsValue, param: &str) -> JsResult<usize> {
        let s = string(id, param)?;
        self.inner.index_of(param, &s).map_err(core)
    }
}

/// `Simulation.stats()`: counters as numbers, times in ms.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatsJs {
    messages_sent: f64,
    messages_delivered: f64,
    messages_dropped: f64,
    messages_duplicated: f64,
    elections: f64,
    committed: f64,
    leaderless_periods: f64,
    leaderless_ms: f64,
    last_leaderless_ms: f64,
}
