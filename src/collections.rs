//! Ordered map and set for the few entries a cluster holds (one per server, one per message
//! in flight, one per client): a sorted `Vec` ([`litemap::LiteMap`], from ICU4X) instead of
//! `BTreeMap`/`BTreeSet`.
//!
//! Why: each `BTreeMap<K, V>` instantiation brings its own node-splitting and rebalancing
//! code, about 50 KB of the wasm build across our key and value types; a sorted `Vec`
//! needs a binary search and a `Vec::insert`. With at most a few hundred entries the
//! O(n) insert costs nothing measurable (see `npm run bench`). Iteration order is the key
//! order, as with the B-tree, so runs stay bit-for-bit what they were.

use serde::{Serialize, Serializer};
use std::borrow::Borrow;

/// An ordered map: `LiteMap<K, V>` (sorted `Vec<(K, V)>`). Serializes as a map.
pub type Map<K, V> = litemap::LiteMap<K, V>;

/// An ordered set of distinct values, kept sorted. Serializes as a sequence in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set<T>(Map<T, ()>);

impl<T> Default for Set<T> {
    fn default() -> Self {
        Set(Map::new())
    }
}

impl<T: Ord> Set<T> {
    /// An empty set.
    pub fn new() -> Self {
        Set(Map::new())
    }

    /// Adds `value`; returns whether it was new.
    pub fn insert(&mut self, value: T) -> bool {
        self.0.try_insert(value, ()).is_none()
    }

    /// Removes `value`; returns whether it was there.
    pub fn remove<Q: Ord + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.0.remove(value).is_some()
    }

    /// Whether `value` is in the set.
    pub fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.0.contains_key(value)
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.0.clear()
    }

    /// The values in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.0.keys()
    }

    /// Keeps only the values `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.0.retain(|k, _| keep(k))
    }
}

impl<T: Ord> Extend<T> for Set<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.insert(v);
        }
    }
}

impl<T: Ord> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut s = Set::new();
        s.extend(iter);
        s
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for Set<T> {
    fn from(values: [T; N]) -> Self {
        values.into_iter().collect()
    }
}

impl<T: Serialize> Serialize for Set<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.keys())
    }
}

/// Sorts a short slice in place, ascending, keeping equal elements in their order (stable):
/// an insertion sort, O(n²), for the handful of elements the cores sort (node ids, votes).
/// Same result as `sort` (and as `sort_unstable` for a total order such as integers'), in a
/// few dozen bytes of wasm where each element type's `sort`/`sort_unstable` brings 2–5 KB.
pub fn sort_small<T: Ord>(v: &mut [T]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// [`sort_small`] by a key: as `sort_by_key` (stable), for a few elements.
pub fn sort_small_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && key(&v[j - 1]) > key(&v[j]) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_keeps_distinct_values_in_order() {
        let mut s: Set<String> = ["S3", "S1"].map(String::from).into();
        assert!(s.insert("S2".to_string()));
        assert!(!s.insert("S1".to_string()));
        assert_eq!(s.iter().map(String::as_str).collect::<Vec<_>>(), ["S1", "S2", "S3"]);
        assert!(s.contains("S2") && s.remove("S2") && !s.contains("S2"));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn map_iterates_in_key_order_like_a_btree() {
        let mut m: Map<u64, &str> = Map::new();
        for (k, v) in [(5, "e"), (1, "a"), (3, "c")] {
            m.insert(k, v);
        }
        assert_eq!(m.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(m.insert(3, "C"), Some("c"));
    }

    #[test]
    fn sort_small_sorts_like_the_stable_sort() {
        let mut seed = 7u64;
        for n in 0..40 {
            let mut v: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|x| x.0);
            sort_small_by_key(&mut v, |x| x.0);
            assert_eq!(v, want);
            sort_small(&mut v);
            want.sort();
            assert_eq!(v, want);
        }
    }
}
