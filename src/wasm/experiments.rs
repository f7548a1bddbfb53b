//! The Raft paper's Figure 16 at the JS boundary (`fig16Range`, `fig16Paper`), for the page's
//! Experiments panel. Built with the `experiments-api` feature (on by default; the widget's
//! own wasm leaves it out, the panel's worker loads a build that has it).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{array, get, invalid, object, only_keys, string, to_js, uint, JsResult};

/// Figure 16 summary of one range, as `fig16Range` returns it (times in ms).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fig16Js {
    range_ms: [u64; 2],
    model: &'static str,
    trials: usize,
    no_leader_to_crash: usize,
    capped: usize,
    median_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    mean_ms: f64,
    cdf: Vec<[f64; 2]>,
}

/// The Raft paper's Figure 16 experiment (see `sim::experiments`), for the page's Experiments
/// panel: runs `options.trials` trials (1–10000) of one election-timeout range
/// `options.rangeMs` (`[lo, hi]` integer ms, 1 ≤ lo ≤ hi ≤ 10000) with seeds `options.seed`,
/// `seed + 1`, … (default 1) under `options.model` (`"disk"`, the paper's LAN cluster whose
/// 15 ms broadcast time is mostly a disk write, the default; `"network"`; or `"logcabin"`,
/// LogCabin's per-file writes and whole-ms timeouts with the paper's synchronized heartbeat,
/// `raft::experiments::Fig16Model::LogCabin`). Returns
/// `{rangeMs, model, trials, noLeaderToCrash, capped, medianMs, p90Ms, p99Ms, maxMs, meanMs,
/// cdf: [[ms, fraction], …]}`; trials with no new leader within 20 s count as 20000 ms
/// (`capped`); trials where no leader held on long enough to be crashed are left out of the
/// statistics (`noLeaderToCrash`; `cdf` is empty when every trial was).
/// Errors name the option and the rule.
#[wasm_bindgen(js_name = fig16Range)]
pub fn fig16_range(options: JsValue) -> JsResult<JsValue> {
    use crate::raft::experiments::{fig16_range_with, Fig16Model, Fig16Setup};
    object(&options, "options")?;
    only_keys(&options, &["rangeMs", "trials", "seed", "model"])?;
    let range = array(&get(&options, "rangeMs"), "rangeMs")?;
    let bound = |k: u32| uint(&range.get(k), &format!("rangeMs[{k}]")).ok().filter(|v| (1..=10_000).contains(v));
    let rule = || invalid("rangeMs", "must be [lo, hi], integers with 1 <= lo <= hi <= 10000");
    let (lo, hi) = match (range.length(), bound(0), bound(1)) {
        (2, Some(lo), Some(hi)) if lo <= hi => (lo, hi),
        _ => return Err(rule()),
    };
    let trials = uint(&get(&options, "trials"), "trials").ok().filter(|t| (1..=10_000).contains(t));
    let trials = trials.ok_or_else(|| invalid("trials", "must be an integer from 1 to 10000"))? as usize;
    let seed = match get(&options, "seed") {
        v if v.is_undefined() => 1,
        v => uint(&v, "seed")?,
    };
    let model = match get(&options, "model") {
        v if v.is_undefined() => Fig16Model::Disk,
        v => {
            let name = string(&v, "model")?;
            Fig16Model::from_name(&name).ok_or_else(|| invalid("model", format!("must be \"disk\", \"network\" or \"logcabin\" (got \"{name}\")")))?
        }
    };
    let r = fig16_range_with(seed, (lo, hi), trials, model, Fig16Setup::for_model(model));
    Ok(to_js(&Fig16Js {
        range_ms: [lo, hi],
        model: model.name(),
        trials: r.trials,
        no_leader_to_crash: r.no_leader_to_crash,
        capped: r.capped,
        median_ms: r.median_ms,
        p90_ms: r.p90_ms,
        p99_ms: r.p99_ms,
        max_ms: r.max_ms,
        mean_ms: r.mean_ms,
        cdf: r.cdf.iter().map(|&(ms, p)| [ms, p]).collect(),
    }))
}

/// The ranges of Figure 16 and what the paper states about them:
/// `{ranges: [[lo, hi], …] (top panel, then bottom), paper: [{rangeMs, stat, ms}, …]}` where
/// `stat` is `min` (150–150: over 10 s), `median`, `max` or `mean`.
#[wasm_bindgen(js_name = fig16Paper)]
pub fn fig16_paper() -> JsValue {
    use crate::raft::experiments::{FIG16_PAPER, FIG16_RANGES_MS};
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Stated {
        range_ms: [u64; 2],
        stat: &'static str,
        ms: f64,
    }
    #[derive(Serialize)]
    struct Paper {
        ranges: Vec<[u64; 2]>,
        paper: Vec<Stated>,
    }
    to_js(&Paper {
        ranges: FIG16_RANGES_MS.iter().map(|&(lo, hi)| [lo, hi]).collect(),
        paper: FIG16_PAPER.iter().map(|&((lo, hi), stat, ms)| Stated { range_ms: [lo, hi], stat, ms }).collect(),
    })
}
