//! What Raft adds to the simulator's randomized runs ([`crate::sim::chaos`]): the settings each
//! seed draws, leadership transfers and membership changes, and extra commands to the leader.

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use super::{Config, Raft, Result, Role};
use crate::sim::chaos::{Action, Chaos, ChaosConfig, Moment};
use crate::sim::{chance, Simulation};

/// The settings a randomized run of Raft uses for `cfg`, drawn from `rng`.
///
/// Each seed draws whether PreVote and CheckQuorum are on (each half the time), so both
/// the production defaults and the paper's basic algorithm are covered, whether nodes take
/// snapshots (every 5–40 entries, half the time), the batch size (1–64 entries), and whether
/// reads use ReadIndex or the log.
pub fn config(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Config {
    let (_, defaults) = Config::default().split();
    let mut c = Config::join(&cfg.sim_config(), &defaults);
    c.bugs = cfg.bugs;
    c.pre_vote = chance(rng, 0.5);
    c.check_quorum = chance(rng, 0.5);
    c.snapshot_interval = if chance(rng, 0.5) { Some(rng.random_range(5..40)) } else { None };
    c.max_entries_per_append = Some(rng.random_range(1..=64));
    c.read_index = chance(rng, 0.5);
    c
}

impl Chaos for Raft {
    fn simulation(cfg: &ChaosConfig, rng: &mut Pcg64Mcg) -> Result<Simulation<Raft>> {
        Simulation::<Raft>::new(config(cfg, rng))
    }

    /// Now and then the leader hands over to another node (dissertation §3.10), or the
    /// membership changes by one server (§4.1; refused while a change is in progress).
    fn act(sim: &mut Simulation<Raft>, rng: &mut Pcg64Mcg, did: &mut Vec<Action>) {
        if chance(rng, 0.01) {
            let to = rng.random_range(0..sim.ids().len());
            if sim.transfer_leadership(to).is_ok() {
                did.push(Action::Protocol("transferLeadership", to));
            }
        }
        if chance(rng, 0.004) {
            let members = sim.leader().map_or(0, |l| sim.node(l).cluster().len());
            // 15, not `MAX_NODES`: the cap the runs were recorded with, so that raising the
            // cap changes no run (at 15 nodes `add_node` used to be refused).
            if members > 2 && (chance(rng, 0.5) || sim.ids().len() >= 15) {
                let i = rng.random_range(0..sim.ids().len());
                if sim.remove_node(i).is_ok() {
                    did.push(Action::Protocol("removeNode", i));
                }
            } else if sim.ids().len() < 15 {
                if let Ok(i) = sim.add_node() {
                    did.push(Action::Protocol("addNode", i));
                }
            }
        }
    }

    /// `transferLeadership` and `removeNode` on a node this run has (a shortened list may lack
    /// the `addNode` that made it), `addNode` as it comes.
    fn replay(sim: &mut Simulation<Raft>, name: &str, node: usize) -> Result<()> {
        let exists = node < sim.ids().len();
        match name {
            "transferLeadership" if exists => sim.transfer_leadership(node),
            "removeNode" if exists => sim.remove_node(node),
            "addNode" => sim.add_node().map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Raft names `Strand` for a leader that answers ReadIndex reads without CheckQuorum.
    const STRANDS: bool = true;

    /// When a deposed leader may answer reads on its own for long ([`stale_reads`]).
    fn reads_stay(sim: &Simulation<Raft>) -> bool {
        stale_reads(sim)
    }

    fn command(sim: &mut Simulation<Raft>, command: String) -> Result<()> {
        sim.client_request(command, None).map(|_| ())
    }

    /// A leader whose last entry only a minority holds (crash it: Figure 8's schedule, §5.4.2);
    /// a follower or candidate that voted in an election still without a leader (reboot it:
    /// votedFor must survive, Figure 2); a leader that has committed an entry of its term
    /// (leave it a minority: a stale leader answering reads, §6.4 and §8; stranded, when it
    /// answers reads without a log entry and never steps down on its own: [`stale_reads`]); a
    /// leader whose
    /// commitIndex is at an entry that another server contradicts with an entry of a newer term
    /// at the same index (depose it as it commits, so that the other may be elected next:
    /// Figure 8 (c)–(d), see `contradicted`).
    fn moments(sim: &Simulation<Raft>, out: &mut Vec<Moment>) {
        for i in 0..sim.ids().len() {
            if sim.is_crashed(i) || sim.is_removed(i) {
                continue;
            }
            let n = sim.node(i);
            match n.role() {
                Role::Leader => {
                    // (one that serves reads: it has committed an entry of its term, §6.4)
                    // (terms never fall along a log: only its last entries can be of this term)
                    if n.log().iter().rev().take_while(|e| e.term == n.current_term()).any(|e| e.index <= n.commit_index()) {
                        out.push(if stale_reads(sim) { Moment::Strand(i) } else { Moment::Leads(i) });
                    }
                    let last = n.last_log_index();
                    let holders = 1 + n.match_index().iter().filter(|(_, &m)| m >= last).count();
                    if last > n.commit_index() && 2 * holders <= n.cluster().len() {
                        out.push(Moment::Unreplicated(i));
                    }
                    if contradicted(sim, i) {
                        out.push(Moment::Depose(i));
                    }
                }
                _ if n.leader_id().is_none() && n.voted_for().is_some_and(|c| c != i) => out.push(Moment::Promised(i)),
                _ => {}
            }
        }
    }
}

/// Whether another server (crashed or not: its log is persistent) holds, at leader `i`'s
/// commitIndex, an entry of a newer term than `i`'s entry there. By Leader Completeness (Raft
/// paper §5.4.3) no leader that came after a commit lacks the committed entry, so such a server
/// led between the entry's term and its commit (Figure 8 (c): S5 of term 3 against the entry of
/// term 2 that S1 commits in term 4). Its last entry, of a newer term than the others', may get
/// it elected (§5.4.1) if `i` steps aside now, and it would overwrite the entry (Figure 8 (d)) —
/// unless the commit followed §5.4.2 (then a majority holds an entry of `i`'s term, newer still).
fn contradicted(sim: &Simulation<Raft>, i: usize) -> bool {
    let n = sim.node(i);
    let c = n.commit_index();
    let Some(t) = n.term_at(c).filter(|_| c > 0) else { return false };
    (0..sim.ids().len()).any(|j| j != i && !sim.is_removed(j) && sim.node(j).term_at(c).is_some_and(|u| u > t))
}

/// Whether a leader cut off from the majority may answer reads for long: with ReadIndex its
/// reads need no log entry (dissertation §6.4; it confirms it still leads first, unless the
/// `stale-read` bug skips that), and without CheckQuorum it never steps down on its own (§6.2).
fn stale_reads(sim: &Simulation<Raft>) -> bool {
    let o = &sim.protocol().options;
    o.read_index && !o.check_quorum
}
