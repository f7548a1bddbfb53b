//! Values keyed by request digest, in digest order: what a replica holds per pending request and
//! what the checker remembers clients sent.
//!
//! Why not a [`Map`] alone: a digest lands anywhere in the order, and while no view makes
//! progress a randomized run's clients pile up requests by the hundred thousand (over a million
//! at one replica in `check --seeds 243..244`), so a sorted `Vec`'s insert (moving half of it)
//! made `consensus-sim check` many times slower. Why not a `BTreeMap`: its node code costs
//! several KB of the wasm per key and value type. Instead: the digests (hashes, spread evenly)
//! go into buckets by their top bits, each bucket a [`Map`], twice as many buckets whenever
//! they hold [`PER_BUCKET`] entries on average. Iterating the buckets in order, and each in
//! order, visits the digests in ascending order, as a `BTreeMap` does.

use crate::collections::Map;

use super::msg::Digest;

/// The average bucket size that doubles the buckets.
const PER_BUCKET: usize = 32;
/// At most 2^16 buckets.
const MAX_BITS: u32 = 16;
/// The digests of [`super::msg::digest`] have 53 bits.
const DIGEST_BITS: u32 = 53;

/// The bucket of digest `d` among `2^bits` buckets: its top `bits` of [`DIGEST_BITS`] (a
/// longer digest goes to the last bucket). Monotone in `d`, so bucket order then digest order
/// is digest order.
fn bucket(d: Digest, bits: u32) -> usize {
    ((d >> (DIGEST_BITS - bits)) as usize).min((1 << bits) - 1)
}

/// An ordered map from digests to `V`, fast to insert into at any place (see the module
/// documentation).
#[derive(Clone, Debug)]
pub struct ByDigest<V> {
    /// 2^bits buckets, in digest order.
    buckets: Vec<Map<Digest, V>>,
    bits: u32,
    len: usize,
}

impl<V> Default for ByDigest<V> {
    fn default() -> Self {
        ByDigest { buckets: vec![Map::new()], bits: 0, len: 0 }
    }
}

impl<V> ByDigest<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn at(&mut self, d: Digest) -> &mut Map<Digest, V> {
        &mut self.buckets[bucket(d, self.bits)]
    }

    /// Counts a new entry; doubles the buckets when they are full.
    fn grew(&mut self) {
        self.len += 1;
        if self.len > PER_BUCKET << self.bits && self.bits < MAX_BITS {
            self.bits += 1;
            let old = std::mem::replace(&mut self.buckets, (0..1 << self.bits).map(|_| Map::new()).collect());
            for (d, v) in old.into_iter().flat_map(Map::into_tuple_vec) {
                // In ascending order: each insert appends.
                self.buckets[bucket(d, self.bits)].insert(d, v);
            }
        }
    }

    /// Sets the value of `d`; returns the one it replaces.
    pub fn insert(&mut self, d: Digest, value: V) -> Option<V> {
        let old = self.at(d).insert(d, value);
        if old.is_none() {
            self.grew();
        }
        old
    }

    /// The value of `d`, inserting `make()` first if there is none.
    pub fn get_or_insert_with(&mut self, d: Digest, make: impl FnOnce() -> V) -> &mut V {
        if !self.contains_key(&d) {
            self.insert(d, make());
        }
        self.at(d).get_mut(&d).expect("just inserted")
    }

    /// Removes `d`; returns its value.
    pub fn remove(&mut self, d: &Digest) -> Option<V> {
        let v = self.at(*d).remove(d);
        self.len -= v.is_some() as usize;
        v
    }

    /// Whether `d` has a value.
    pub fn contains_key(&self, d: &Digest) -> bool {
        self.buckets[bucket(*d, self.bits)].contains_key(d)
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries in ascending digest order.
    pub fn iter(&self) -> impl Iterator<Item = (&Digest, &V)> {
        self.buckets.iter().flat_map(|m| m.iter())
    }

    /// The values in ascending digest order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_in_digest_order_like_a_btree() {
        let mut m = ByDigest::new();
        let mut b = std::collections::BTreeMap::new();
        let mut x: u64 = 1;
        for i in 0..5000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let d = if i % 97 == 0 { x } else { (x >> 11) & ((1 << 53) - 1) };
            assert_eq!(m.insert(d, i), b.insert(d, i));
            if i % 3 == 0 {
                let gone = (x >> 7) & ((1 << 53) - 1);
                assert_eq!(m.remove(&gone), b.remove(&gone));
                assert_eq!(m.remove(&d), b.remove(&d));
            }
            assert_eq!(*m.get_or_insert_with(i, || i + 1), *b.entry(i).or_insert_with(|| i + 1));
        }
        assert!(m.iter().eq(b.iter()));
        assert!(m.contains_key(&5) && !m.contains_key(&u64::MAX));
        for d in b.keys() {
            m.remove(d);
        }
        assert!(m.is_empty());
    }
}
