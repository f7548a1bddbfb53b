//! Gossip's memory per agent (issue #13 §3: "memory grows linearly with agents × keys; say how
//! much per agent"): live heap bytes of a whole simulation, counted by a global allocator, at
//! 1,000 and 10,000 agents, with 1 and with 10 keys spread to every agent. Prints the figures
//! the README quotes; asserts linearity and a budget in bytes (sizes are stable; times are not).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use consensus_playground::gossip::{GossipSimulation, Options};
use consensus_playground::sim::SimConfig;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Relaxed);
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Live bytes of a simulation of `n` agents once `keys` keys written at n1 have reached every
/// agent by push-pull anti-entropy (rounds of 100 ms).
fn bytes(n: usize, keys: usize) -> usize {
    let before = LIVE.load(Relaxed);
    let config = SimConfig { seed: 1, nodes: n, latency_us: (1_000, 1_000), ..SimConfig::default() };
    let mut s = GossipSimulation::new(config, Options::default()).unwrap();
    for k in 0..keys {
        s.set(0, &format!("key{k}"), "a value of twenty b").unwrap();
    }
    let mut t = 0;
    while (0..keys).any(|k| s.informed(&format!("key{k}")) < n) {
        t += 100_000;
        s.run_until(t);
    }
    let live = LIVE.load(Relaxed) - before;
    drop(s);
    live
}

#[test]
fn memory_grows_linearly_with_agents_and_keys() {
    let mut per_agent = Vec::new();
    for keys in [1, 10] {
        let (small, large) = (bytes(1_000, keys), bytes(10_000, keys));
        let per = (large - small) as f64 / 9_000.0;
        println!("{{\"bench\":\"gossip-memory\",\"keys\":{keys},\"bytes_1000_agents\":{small},\"bytes_10000_agents\":{large},\"bytes_per_agent\":{per:.0}}}");
        // Linear in agents: 10,000 agents cost ten times 1,000, within 15%.
        let ratio = large as f64 / small as f64;
        assert!((8.5..=11.5).contains(&ratio), "{keys} keys: {large} B at 10,000 agents vs {small} B at 1,000");
        per_agent.push(per);
    }
    // Linear in keys: each key costs an agent about the same (its entry in the replica and
    // the checker's floor), so ten keys cost less than ten times one.
    assert!(per_agent[1] > per_agent[0] && per_agent[1] < 10.0 * per_agent[0], "{per_agent:?}");
    // The budget: an agent with one key (its replica, timers, the simulator's and the checker's
    // share) stays under 1 KB.
    assert!(per_agent[0] < 1_024.0, "{} B per agent", per_agent[0]);
}
