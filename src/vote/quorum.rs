//! Quorum rules: how much voting weight a proposal needs (the chapter's "majority,
//! supermajority, weighted"; the lesson's `simple_majority` with `quorum: 0.51`).
//!
//! Every rule is a function of the total weight `W` of the voters (each voter's weight, 1 by
//! default), computed exactly in integers:
//!
//! | rule | JS form | weight needed |
//! |---|---|---|
//! | [`Quorum::Majority`] | `'majority'` | more than half: `⌊W/2⌋ + 1` (the seed's `len(acceptances) > len(all_nodes) / 2`) |
//! | [`Quorum::Supermajority`] | `'supermajority'` | at least two thirds: `⌈2W/3⌉` |
//! | [`Quorum::Unanimous`] | `'unanimous'` | all of it: `W` |
//! | [`Quorum::Fraction`] | a number `0 < q < 1`, e.g. `0.51` | at least `⌈q·W⌉`, with `q` as the simplest fraction the number spells (`2/3` of 3 is 2, `0.51` of 100 is 51) |
//! | [`Quorum::Count`] | an integer `≥ 1`, e.g. `3` | that much weight |
//!
//! Two quorums of one rule always share a voter when `2 · required > W`
//! ([`quorums_intersect`]); otherwise two conflicting proposals can both pass.

use crate::error::{Error, Result};

/// How much weight a proposal needs to pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quorum {
    /// More than half of the total weight.
    Majority,
    /// At least two thirds of the total weight.
    Supermajority,
    /// All of the total weight.
    Unanimous,
    /// At least `num/den` of the total weight, rounded up (`0 < num < den`).
    Fraction {
        /// Numerator.
        num: u64,
        /// Denominator.
        den: u64,
    },
    /// At least this much weight (1 or more).
    Count(u64),
}

impl Default for Quorum {
    /// [`Quorum::Majority`].
    fn default() -> Self {
        Quorum::Majority
    }
}

/// The weight `rule` needs out of a total weight `total` (exact integer arithmetic).
pub fn required(rule: Quorum, total: u64) -> u64 {
    let w = u128::from(total);
    let r = match rule {
        Quorum::Majority => w / 2 + 1,
        Quorum::Supermajority => (2 * w).div_ceil(3),
        Quorum::Unanimous => w,
        Quorum::Fraction { num, den } => (u128::from(num) * w).div_ceil(u128::from(den.max(1))),
        Quorum::Count(c) => u128::from(c),
    };
    r as u64
}

/// Whether any two sets of voters that each reach `required` out of `total` share a voter
/// (`2 · required > total`). When they need not, two conflicting proposals can both pass.
pub fn quorums_intersect(required: u64, total: u64) -> bool {
    2 * u128::from(required) > u128::from(total)
}

impl Quorum {
    /// The weight this rule needs out of `total` (see [`required`]).
    pub fn required(self, total: u64) -> u64 {
        required(self, total)
    }

    /// The rule a JS number spells: an integer of 1 or more is a [`Quorum::Count`]; a number
    /// strictly between 0 and 1 is a [`Quorum::Fraction`] (the simplest fraction that is that
    /// number: `0.51` is 51/100, `2/3` is 2/3). Errors name `param`.
    pub fn from_number(param: &str, q: f64) -> Result<Quorum> {
        if q.is_finite() && q > 0.0 && q < 1.0 {
            let (num, den) = simplest_fraction(q);
            return Ok(Quorum::Fraction { num, den });
        }
        if q.is_finite() && q >= 1.0 && q.fract() == 0.0 && q <= 9_007_199_254_740_991.0 {
            return Ok(Quorum::Count(q as u64));
        }
        Err(Error::invalid(param, RULE))
    }

    /// The rule a JS string names: `majority`, `supermajority` or `unanimous`; or a number as
    /// text (`0.51`, `3`), as [`from_number`](Self::from_number) reads it (for the CLI).
    /// Errors name `param`.
    pub fn parse(param: &str, text: &str) -> Result<Quorum> {
        match text {
            "majority" => Ok(Quorum::Majority),
            "supermajority" => Ok(Quorum::Supermajority),
            "unanimous" => Ok(Quorum::Unanimous),
            _ => match text.parse::<f64>() {
                Ok(q) => Quorum::from_number(param, q),
                Err(_) => Err(Error::invalid(param, RULE)),
            },
        }
    }

    /// The rule as the JS API spells it: `majority`, `supermajority`, `unanimous`, `51/100` or
    /// `3`.
    pub fn name(self) -> String {
        match self {
            Quorum::Majority => "majority".into(),
            Quorum::Supermajority => "supermajority".into(),
            Quorum::Unanimous => "unanimous".into(),
            Quorum::Fraction { num, den } => format!("{num}/{den}"),
            Quorum::Count(c) => c.to_string(),
        }
    }
}

/// The rule every quorum parameter follows, for error messages.
pub const RULE: &str = "must be 'majority', 'supermajority', 'unanimous', a fraction strictly between 0 and 1 (e.g. 0.51), or a whole count of 1 or more (e.g. 3)";

/// The simplest fraction `num/den` (`0 < num < den`) that is `q` as an f64: the first
/// continued-fraction convergent of `q` that divides back to exactly `q`. `0.51` → 51/100,
/// `2.0 / 3.0` → 2/3, `0.5` → 1/2. `q` must be strictly between 0 and 1.
pub fn simplest_fraction(q: f64) -> (u64, u64) {
    const LIMIT: u64 = 1 << 53;
    let (mut h0, mut h1) = (0u64, 1u64);
    let (mut k0, mut k1) = (1u64, 0u64);
    let mut best = (1u64, 2u64);
    let mut x = q;
    for _ in 0..80 {
        let a = x.floor();
        if !(0.0..=(LIMIT as f64)).contains(&a) {
            break;
        }
        let a = a as u64;
        let (Some(h2), Some(k2)) = (a.checked_mul(h1).and_then(|v| v.checked_add(h0)), a.checked_mul(k1).and_then(|v| v.checked_add(k0))) else {
            break;
        };
        if k2 > LIMIT {
            break;
        }
        (h0, h1, k0, k1) = (h1, h2, k1, k2);
        if h1 > 0 && h1 < k1 {
            best = (h1, k1);
            if h1 as f64 / k1 as f64 == q {
                return best;
            }
        }
        let frac = x - x.floor();
        if frac <= 0.0 {
            break;
        }
        x = 1.0 / frac;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_the_simplest_that_spell_the_number() {
        assert_eq!(simplest_fraction(0.51), (51, 100));
        assert_eq!(simplest_fraction(2.0 / 3.0), (2, 3));
        assert_eq!(simplest_fraction(0.5), (1, 2));
        assert_eq!(simplest_fraction(0.1), (1, 10));
        assert_eq!(simplest_fraction(0.999), (999, 1000));
        assert_eq!(simplest_fraction(0.3333), (3333, 10000));
    }
}
