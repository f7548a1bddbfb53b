//! Many machines (native builds only): a sweep cut into `k` shards that run anywhere, and
//! their outputs combined into the output one run would have printed (`consensus-sim …
//! --shard i/k`, `consensus-sim merge`).
//!
//! A shard runs the `i`-th of `k` equal slices ([`Shard::slice`]) of a range of seeds or
//! trials, `i` counting from 0. Each seed or trial draws the same run whichever shard it lands
//! in, so the slices together are the whole run. Instead of the command's summary lines a
//! shard prints one [`Part`] per line the summary would have (JSON, one per line): the
//! settings, which slice, and the raw per-seed or per-trial results the line is computed from
//! (counts, samples: a median cannot be merged from medians). [`assemble`] checks that a set
//! of parts is one complete run and groups them by line, in shard order; the command then
//! computes each line from them with the code an unsharded run uses.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// `--shard i/k`: the `index`-th (from 0) of `count` equal slices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    /// Which slice, from 0 to `count - 1`.
    pub index: u64,
    /// How many slices (at least 1).
    pub count: u64,
}

impl Shard {
    /// Parses `i/k` (`--shard`'s value). The rules, each named in the error: two
    /// non-negative integers separated by `/`, `k ≥ 1`, `0 ≤ i < k` (i counts from 0).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let shape = || format!("--shard must be i/k, the i-th of k slices counting from 0 (0/4, 1/4, 2/4, 3/4); {text:?} is not");
        let (i, k) = text.split_once('/').ok_or_else(shape)?;
        let (index, count) = match (i.trim().parse::<u64>(), k.trim().parse::<u64>()) {
            (Ok(i), Ok(k)) => (i, k),
            _ => return Err(shape()),
        };
        if count == 0 {
            return Err(format!("--shard i/k needs k ≥ 1 (k is the number of shards; {text:?} has k = 0)"));
        }
        if index >= count {
            return Err(format!("--shard i/k needs i < k: i counts from 0, so the shards of {count} are 0/{count} to {}/{count} ({text:?} is not one)", count - 1));
        }
        Ok(Shard { index, count })
    }

    /// This shard's slice of `range`: `[a + ⌊i·N/k⌋, a + ⌊(i+1)·N/k⌋)` for `N = range.len()`.
    /// The k slices are contiguous, in order, cover the range and differ in length by at most
    /// one; a slice is empty when `k > N`.
    pub fn slice(self, range: Range<u64>) -> Range<u64> {
        let n = u128::from(range.end.saturating_sub(range.start));
        let at = |j: u64| range.start + (n * u128::from(j) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Serialize for Shard {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Shard::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One line a shard prints: its share of one line of the command's output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Which shard printed it (`"i/k"`).
    pub shard: Shard,
    /// The command (`check`, `fig16`, `gossip`).
    pub command: String,
    /// Which line of the command's output this is a share of (0 for `check`'s one line).
    pub line: usize,
    /// The seeds or trials this shard ran, `[start, end)`.
    pub slice: [u64; 2],
    /// Everything the output depends on (the same in every shard of a run).
    pub settings: Value,
    /// The command's raw results for the slice (its own shape).
    pub data: Value,
    /// The shard's wall time for this line, ms.
    pub wall_ms: u64,
}

/// One output line's shares, in shard order.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Each shard's `data`, shard 0 first.
    pub data: Vec<Value>,
    /// Each shard's slice, shard 0 first.
    pub slices: Vec<[u64; 2]>,
    /// The shards' wall times added up, ms.
    pub wall_ms: u64,
}

/// A complete sharded run, as [`assemble`] found it.
#[derive(Clone, Debug, PartialEq)]
pub struct Assembled {
    /// The command every part came from.
    pub command: String,
    /// The settings every part agreed on.
    pub settings: Value,
    /// The number of shards, k.
    pub shards: u64,
    /// The output lines, in order.
    pub lines: Vec<Line>,
}

impl Assembled {
    /// Checks that the run has `lines` output lines and that each shard ran its own slice of
    /// `range` (the run's seeds or trials); errors say what does not fit.
    pub fn expect(&self, lines: usize, range: Range<u64>) -> Result<(), String> {
        if self.lines.len() != lines {
            return Err(format!("merge: {} parts per shard, but these settings make {lines} lines", self.lines.len()));
        }
        for line in &self.lines {
            for (index, slice) in (0..).zip(&line.slices) {
                let want = Shard { index, count: self.shards }.slice(range.clone());
                if *slice != [want.start, want.end] {
                    return Err(format!("merge: shard {index}/{} ran {}..{}, not its slice {}..{} of {}..{}", self.shards, slice[0], slice[1], want.start, want.end, range.start, range.end));
                }
            }
        }
        Ok(())
    }
}

/// Reads shards' output: one [`Part`] per non-empty line. `name` (a file name, or `stdin`)
/// goes into errors.
pub fn read_parts(name: &str, text: &str) -> Result<Vec<Part>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|e| format!("merge: {name} line {}: not a line printed with --shard ({e})", n + 1)))
        .collect()
}

/// Checks that `parts` are one complete run — one command, the same settings and k, every
/// shard 0 … k−1 present once for every line — and groups them by line, in shard order.
pub fn assemble(parts: Vec<Part>) -> Result<Assembled, String> {
    let first = parts.first().ok_or("merge: no shard output to merge (give the files the shards wrote, or pipe them in)")?.clone();
    let count = first.shard.count;
    let mut by_line: BTreeMap<usize, BTreeMap<u64, Part>> = BTreeMap::new();
    for part in parts {
        if part.command != first.command {
            return Err(format!("merge: parts of different commands ({} and {})", first.command, part.command));
        }
        if part.shard.count != count {
            return Err(format!("merge: shards of different splits ({} and {})", first.shard, part.shard));
        }
        if part.settings != first.settings {
            return Err(format!("merge: shard {} ran other settings than shard {} ({} against {})", part.shard, first.shard, part.settings, first.settings));
        }
        let shard = part.shard;
        if by_line.entry(part.line).or_default().insert(shard.index, part).is_some() {
            return Err(format!("merge: shard {shard} is given twice"));
        }
    }
    let mut lines = Vec::with_capacity(by_line.len());
    for (expected, (line, shards)) in by_line.into_iter().enumerate() {
        if line != expected {
            return Err(format!("merge: line {expected} of the output is missing from every shard"));
        }
        let missing: Vec<String> = (0..count).filter(|i| !shards.contains_key(i)).map(|i| format!("{i}/{count}")).collect();
        if !missing.is_empty() {
            return Err(format!("merge: shard {} missing (line {line} of the output)", missing.join(", ")));
        }
        let parts: Vec<Part> = shards.into_values().collect();
        lines.push(Line {
            wall_ms: parts.iter().map(|p| p.wall_ms).sum(),
            slices: parts.iter().map(|p| p.slice).collect(),
            data: parts.into_iter().map(|p| p.data).collect(),
        });
    }
    Ok(Assembled { command: first.command, settings: first.settings, shards: count, lines })
}

/// An `f64` field written as a JSON string that reads back to the same bits (Rust's shortest
/// round-trip form, e.g. `"0.203"`): a merged mean must add up the very values an unsharded
/// run adds, and JSON numbers read by `serde_json` need not round-trip exactly. For
/// `#[serde(with = "exact_f64")]`.
pub mod exact_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `x` as a string.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(x)
    }

    /// Reads a string written by [`serialize`].
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_are_contiguous_equal_and_cover_the_range() {
        for (range, k) in [(0..10, 3), (5..6, 4), (0..300, 7), (10..10, 2), (0..1000, 1)] {
            let slices: Vec<_> = (0..k).map(|index| Shard { index, count: k }.slice(range.clone())).collect();
            assert_eq!(slices[0].start, range.start);
            assert_eq!(slices.last().unwrap().end, range.end);
            assert!(slices.windows(2).all(|w| w[0].end == w[1].start));
            let lens: Vec<u64> = slices.iter().map(|s| s.end - s.start).collect();
            assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1, "{lens:?}");
        }
        assert_eq!(Shard { index: 1, count: 2 }.slice(u64::MAX - 4..u64::MAX), u64::MAX - 2..u64::MAX);
    }

    #[test]
    fn exact_f64_round_trips_every_bit() {
        #[derive(Serialize, Deserialize)]
        struct X(#[serde(with = "exact_f64")] f64);
        for x in [0.1 + 0.2, 1.0 / 3.0, 20_333.333_333_333_334, 5e-324, f64::MAX, -0.0, 123_456_789.123_456_78] {
            let back: X = serde_json::from_str(&serde_json::to_string(&X(x)).unwrap()).unwrap();
            assert_eq!(back.0.to_bits(), x.to_bits(), "{x}");
        }
    }
}
