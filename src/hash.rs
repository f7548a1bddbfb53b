//! FNV-1a, 64 bits (Fowler, Noll & Vo): the one non-cryptographic hash the crate uses, for
//! deterministic digests (PBFT's request and state digests, HotStuff's block ids), per-node RNG
//! seeds, and choices the randomized runs derive from a command's text. No protocol here needs
//! collision resistance: nobody in the model forges on purpose.

/// The FNV-1a offset basis: the hash of no bytes.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// `h` extended with `bytes` (start from [`FNV_OFFSET`]).
pub fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
}

/// The FNV-1a hash of `text`.
pub fn fnv1a_str(text: &str) -> u64 {
    fnv1a(FNV_OFFSET, text.as_bytes())
}
