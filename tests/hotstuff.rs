//! Chained HotStuff on the generic simulator (Yin, Malkhi, Reiter, Gueta, Abraham, PODC 2019):
//! scripted scenarios pinned to the paper's sections, the deliberate bugs each caught by the
//! checker (scripted, and by random search), traitors within and beyond f, odd messages,
//! determinism and linearizable key-value histories. Times are µs.

use consensus_playground::hotstuff::check::{COMMIT_SAFETY, ONE_VOTE_PER_VIEW, UNIQUE_QC};
use consensus_playground::hotstuff::{leader_of, quorum_of, Behaviour, Block, BlockId, Bug, HotStuff, Msg, Options, Qc, View, GENESIS};
use consensus_playground::lincheck;
use consensus_playground::protocol::{BugSet, Byzantine, Protocol};
use consensus_playground::sim::chaos::{self, Action, Chaos, ChaosConfig, Fault, Moment, Step};
use consensus_playground::sim::{SimConfig, Simulation, Workload};

const MS: u64 = 1_000;

fn sim_with(nodes: usize, seed: u64, options: Options) -> Simulation<HotStuff> {
    Simulation::<HotStuff>::new(SimConfig { seed, nodes, ..SimConfig::default() }, options).unwrap()
}

fn sim(nodes: usize, seed: u64) -> Simulation<HotStuff> {
    sim_with(nodes, seed, Options::default())
}

fn bugged(bug: Bug) -> Options {
    Options { bugs: BugSet::NONE.with(bug, true), ..Options::default() }
}

fn run_ms(s: &mut Simulation<HotStuff>, ms: u64) {
    let until = s.now() + ms * MS;
    s.run_until(until);
}

fn rules(s: &Simulation<HotStuff>) -> Vec<&'static str> {
    s.violations().iter().map(|v| v.rule).collect()
}

fn height(s: &Simulation<HotStuff>, i: usize) -> u64 {
    s.node(i).executed().1
}

fn lie(b: Behaviour) -> Option<Byzantine> {
    Some(Byzantine::Lie(Behaviour::ALL.iter().position(|x| *x == b).unwrap()))
}

fn chaos_cfg(seed: u64, nodes: usize, bug: Option<Bug>, traitors: usize) -> ChaosConfig {
    ChaosConfig { seed, nodes, events: 5_000, faults: Fault::ALL.to_vec(), bugs: bug.map_or(BugSet::NONE, |b| BugSet::NONE.with(b, true)), traitors }
}

// ---- quorums and leaders ----------------------------------------------------------------------

#[test]
fn quorum_is_2f_plus_1_of_3f_plus_1_and_leaders_rotate_section_4_4() {
    assert_eq!([1, 2, 3, 4, 7, 10].map(|n| quorum_of(n, false)), [1, 2, 2, 3, 5, 7]);
    assert_eq!(quorum_of(5, false), 4); // ⌈(5 + 1 + 1)/2⌉
    assert_eq!([4, 7].map(|n| quorum_of(n, true)), [2, 4]); // qc-2f: 2f
    assert_eq!((1..=5).map(|v| leader_of(v, 4)).collect::<Vec<_>>(), vec![1, 2, 3, 0, 1]);
}

// ---- §5: the normal case ------------------------------------------------------------------------

#[test]
fn normal_case_commits_a_block_heading_a_three_chain_section_5() {
    let mut s = sim(4, 1);
    // Step until the first commit anywhere.
    let limit = 1_000 * MS;
    while (0..4).all(|i| height(&s, i) == 0) {
        assert!(s.now() < limit, "nothing committed in 1 s");
        s.step().unwrap();
    }
    let i = (0..4).find(|&i| height(&s, i) > 0).unwrap();
    let n = s.node(i);
    // The committed block b heads b ← b' ← b'' (direct parents), and b'' is certified.
    let (b, h) = n.executed();
    assert_eq!(h, 1);
    let qc2 = n.generic_qc().clone();
    let b2 = n.block(qc2.block).unwrap();
    let b1 = n.block(b2.parent).unwrap();
    assert_eq!(b1.parent, b);
    assert_eq!(b2.justify.block, b1.id);
    assert_eq!(b1.justify.block, b);
    assert_eq!(qc2.voters.len(), 3);
    // The lock is on b' (a two-chain).
    assert_eq!(n.locked_qc().block, b1.id);
    // And the cluster keeps committing, every replica the same chain.
    run_ms(&mut s, 1_000);
    assert!((0..4).all(|i| height(&s, i) >= 20), "{:?}", (0..4).map(|i| height(&s, i)).collect::<Vec<_>>());
    assert!(rules(&s).is_empty(), "{:?}", s.violations());
    assert_eq!(s.stats().elections, 0, "no view timed out");
}

#[test]
fn a_replica_votes_once_per_view_to_the_next_leader_and_its_lock_only_grows_section_4_3() {
    let mut s = sim(4, 2);
    let mut last_lock = [0u64; 4];
    for _ in 0..2_000 {
        s.step().unwrap();
        for (i, last) in last_lock.iter_mut().enumerate() {
            let l = s.node(i).locked_qc().view;
            assert!(l >= *last);
            *last = l;
            assert!(s.node(i).voted_view() < s.node(i).view() || s.node(i).voted_view() == 0);
        }
        for m in s.in_flight() {
            if let Msg::Vote { view, .. } = m.payload {
                assert_eq!(m.to, leader_of(view + 1, 4));
            }
        }
    }
    assert!(rules(&s).is_empty());
}

#[test]
fn client_commands_commit_once_and_histories_are_linearizable() {
    let mut s = sim(4, 3);
    s.start_clients(Workload { clients: 3, ops_per_client: Some(15), ..Workload::default() });
    run_ms(&mut s, 10_000);
    let h = s.history();
    assert_eq!(h.len(), 45);
    assert!(h.iter().all(|op| op.return_us.is_some()), "every operation answered");
    assert_eq!(lincheck::check(h), Ok(()));
    // Every replica's store agrees.
    for i in 1..4 {
        assert_eq!(s.kv(i).data(), s.kv(0).data());
    }
    assert!(rules(&s).is_empty());
}

// ---- §4.4: the pacemaker --------------------------------------------------------------------------

#[test]
fn a_crashed_leader_s_view_times_out_and_the_next_leader_carries_on_section_4_4() {
    let mut s = sim(4, 4);
    run_ms(&mut s, 300);
    let before: Vec<u64> = (0..4).map(|i| height(&s, i)).collect();
    // Crash the leader of the view after the current one, so its view must time out.
    let v = s.node(0).view();
    let l = leader_of(v + 1, 4);
    s.crash(l).unwrap();
    run_ms(&mut s, 3_000);
    let alive: Vec<usize> = (0..4).filter(|&i| i != l).collect();
    assert!(alive.iter().all(|&i| s.node(i).view_changes() > 0), "a view timed out");
    assert!(alive.iter().all(|&i| height(&s, i) > before[i] + 10), "progress after the view change: {:?}", alive.iter().map(|&i| height(&s, i)).collect::<Vec<_>>());
    // The crashed replica's views keep timing out; leaders after it propose on NewViews.
    assert!(rules(&s).is_empty());
    // Restarted with its durable state, it catches up (fetching the blocks it missed).
    s.restart(l).unwrap();
    run_ms(&mut s, 2_000);
    assert!(height(&s, l) > before[l] + 10, "{} vs {}", height(&s, l), before[l]);
    assert!(rules(&s).is_empty(), "{:?}", s.violations());
}

#[test]
fn without_a_quorum_the_view_timer_doubles_on_each_successive_timeout_section_4_4() {
    let mut s = sim(4, 5);
    run_ms(&mut s, 200);
    s.crash(0).unwrap();
    s.crash(1).unwrap();
    let base = Options::default().view_timeout_us;
    run_ms(&mut s, base / MS * 8);
    let n = s.node(2);
    assert!(n.timeouts() >= 3, "{}", n.timeouts());
    assert_eq!(n.view_timeout_us(&Options::default()), base << n.timeouts().min(4));
    // Back to a quorum: progress, and the timer starts again from the base.
    s.restart(0).unwrap();
    run_ms(&mut s, 20_000);
    assert!(height(&s, 2) > 10);
    assert_eq!(s.node(2).timeouts(), 0);
    assert!(rules(&s).is_empty());
}

#[test]
fn a_lagging_replica_fetches_the_blocks_it_missed() {
    let mut s = sim(4, 6);
    s.partition(&[vec![3]]).unwrap();
    run_ms(&mut s, 3_000);
    assert_eq!(height(&s, 3), 0);
    // Every fourth view is n4's and times out, and the votes of the view before it (to n4)
    // are lost: two heights per four views.
    assert!(height(&s, 0) > 10, "{}", height(&s, 0));
    s.heal();
    run_ms(&mut s, 1_000);
    assert!(height(&s, 3) > 10, "{}", height(&s, 3));
    assert!(rules(&s).is_empty());
}

#[test]
fn restart_keeps_the_lock_and_the_last_vote_and_executes_again_from_genesis() {
    let mut s = sim(4, 7);
    run_ms(&mut s, 500);
    let (lock, voted) = (s.node(2).locked_qc().view, s.node(2).voted_view());
    s.crash(2).unwrap();
    s.restart(2).unwrap();
    assert_eq!(s.node(2).locked_qc().view, lock);
    assert_eq!(s.node(2).voted_view(), voted);
    assert_eq!(s.node(2).executed(), (GENESIS, 0));
    run_ms(&mut s, 500);
    assert!(height(&s, 2) > 5);
    assert!(rules(&s).is_empty());
}

// ---- bug switches, scripted ---------------------------------------------------------------------

#[test]
fn a_partition_into_halves_commits_on_neither_side_even_with_qc_2f_until_healed() {
    // A commit needs three blocks of consecutive views and a fourth leader to collect the last
    // QC: with N = 4 and leaders in turn, neither half of two ever leads three views in a row,
    // so once the blocks in flight at the cut have settled, neither half commits, even when two
    // votes make a QC (qc-2f; a cut in the middle of a chain can still let a half finish it, see
    // qc_2f_steps). Before the consecutive-view rule, each half committed its own chain here.
    for bug in [None, Some(Bug::Qc2f)] {
        let mut s = sim_with(4, 8, bug.map_or(Options::default(), bugged));
        run_ms(&mut s, 300);
        assert!(rules(&s).is_empty());
        s.partition(&[vec![0, 1], vec![2, 3]]).unwrap();
        let before: Vec<u64> = (0..4).map(|i| height(&s, i)).collect();
        run_ms(&mut s, 2_000);
        let settled: Vec<u64> = (0..4).map(|i| height(&s, i)).collect();
        run_ms(&mut s, 30_000);
        assert!(rules(&s).is_empty(), "{bug:?}: {:?}", s.violations());
        let after: Vec<u64> = (0..4).map(|i| height(&s, i)).collect();
        assert_eq!(after, settled, "{bug:?}: a half committed ({before:?} at the cut)");
        s.heal();
        run_ms(&mut s, 20_000);
        assert!(height(&s, 0) > after[0], "{bug:?}: progress once healed");
    }
}

/// An action at `ms` simulated ms, as `consensus-sim shrink` prints it.
fn step(ms: u64, action: Action) -> Step {
    Step { at_us: ms * 1000, action }
}

/// Seed `seed`'s simulation (N = 4, `traitors` traitors, `bug` on or off) with `clients` clients
/// and these actions alone (no nemesis), until `until_ms`: the simulation and the rules that
/// fired.
fn replayed(seed: u64, traitors: usize, bug: Option<Bug>, clients: usize, steps: &[Step], until_ms: u64) -> (Simulation<HotStuff>, Vec<&'static str>) {
    let (sim, found) = chaos::replay::<HotStuff>(&chaos_cfg(seed, 4, bug, traitors), Some(clients), steps, until_ms * 1000).unwrap();
    (sim, found.iter().map(|v| v.rule).collect())
}

/// [`replayed`] twice, without `bug` and with it: without, nothing fires, replica n1 commits and
/// the history is linearizable; with it, `rule` fires. Returns the run with the bug.
fn breaks_only_with(bug: Bug, rule: &str, seed: u64, traitors: usize, clients: usize, steps: &[Step], until_ms: u64) -> Simulation<HotStuff> {
    let (clean, fired) = replayed(seed, traitors, None, clients, steps, until_ms);
    assert!(fired.is_empty(), "without {bug:?}: {fired:?}");
    assert!(height(&clean, 0) > 0);
    assert_eq!(lincheck::check(clean.history()), Ok(()));
    let (bugged, fired) = replayed(seed, traitors, Some(bug), clients, steps, until_ms);
    assert!(fired.contains(&rule), "with {bug:?}: {fired:?}");
    bugged
}

/// The run `consensus-sim shrink --protocol hotstuff --seed 802 --nodes 4 --bug qc-2f --events
/// 5000` leaves of the nemesis's seed 802 (704 actions → 15, with 3 clients): 13 extra commands
/// in the first 0.7 s, then a partition into halves {n3, n4} | {n1, n2} while blocks are in
/// flight, healed 22 s later.
fn qc_2f_steps() -> Vec<Step> {
    let mut steps: Vec<Step> = [(302, 6), (345, 7), (373, 8), (393, 9), (450, 11), (463, 12), (487, 13), (516, 14), (545, 15), (601, 17), (625, 18), (651, 19), (670, 20)]
        .into_iter()
        .map(|(ms, c)| step(ms, Action::Command(format!("\"c{c}\""))))
        .collect();
    steps.push(step(764, Action::Partition(vec![2, 3])));
    steps.push(step(22_841, Action::Heal));
    steps
}

#[test]
fn bug_qc_2f_quorums_of_two_commit_conflicting_blocks_when_a_partition_cuts_a_chain_in_flight() {
    // Two votes of four make a QC: two quorums need not share a replica, so the halves of a
    // partition that cuts a chain in flight certify and commit conflicting blocks. With 2f + 1
    // the same actions are harmless.
    breaks_only_with(Bug::Qc2f, COMMIT_SAFETY, 802, 0, 3, &qc_2f_steps(), 23_700);
}

#[test]
fn bug_ignore_lock_a_forking_leader_undoes_a_commit() {
    for bug in [None, Some(Bug::IgnoreLock)] {
        let mut s = sim_with(4, 9, bug.map_or(Options::default(), bugged));
        s.set_byzantine(1, lie(Behaviour::Fork)).unwrap();
        run_ms(&mut s, 5_000);
        if bug.is_some() {
            assert!(rules(&s).contains(&COMMIT_SAFETY), "{:?}", s.violations());
        } else {
            assert!(rules(&s).is_empty(), "{:?}", s.violations());
            assert!((0..4).filter(|&i| i != 1).all(|i| height(&s, i) > 20), "the lock stops the fork, and the others' views commit");
        }
    }
}

#[test]
fn bug_double_vote_an_equivocating_leader_gets_two_votes_from_one_replica() {
    for bug in [None, Some(Bug::DoubleVote)] {
        let mut s = sim_with(4, 10, bug.map_or(Options::default(), bugged));
        s.set_byzantine(1, lie(Behaviour::Equivocate)).unwrap();
        run_ms(&mut s, 3_000);
        if bug.is_some() {
            assert!(rules(&s).contains(&ONE_VOTE_PER_VIEW), "{:?}", s.violations());
        } else {
            assert!(rules(&s).is_empty(), "{:?}", s.violations());
            assert!((0..4).filter(|&i| i != 1).all(|i| height(&s, i) > 20));
        }
    }
}

// ---- traitors -----------------------------------------------------------------------------------

#[test]
fn f_plus_1_traitors_an_equivocating_leader_and_a_double_voter_certify_two_blocks_in_one_view() {
    // N = 4 tolerates f = 1: with two traitors, quorums of 3 no longer need to share an honest
    // replica, so the equivocator's two blocks can both be certified (Lemma 1 fails).
    let mut s = sim(4, 11);
    s.set_byzantine(1, lie(Behaviour::Equivocate)).unwrap();
    s.set_byzantine(3, lie(Behaviour::DoubleVote)).unwrap();
    run_ms(&mut s, 3_000);
    assert!(rules(&s).contains(&UNIQUE_QC), "{:?}", s.violations());
    // With one of them only (f = 1), nothing breaks.
    for t in [Behaviour::Equivocate, Behaviour::DoubleVote] {
        let mut s = sim(4, 11);
        s.set_byzantine(if t == Behaviour::Equivocate { 1 } else { 3 }, lie(t)).unwrap();
        run_ms(&mut s, 3_000);
        assert!(rules(&s).is_empty(), "{t:?}: {:?}", s.violations());
    }
}

#[test]
fn traitors_within_f_break_nothing_under_every_fault() {
    // Safety holds whatever the faults on top of the traitors (liveness need not: f traitors
    // plus a crash or a partition are more than f faults).
    for (nodes, traitors) in [(4usize, 1usize), (7, 2)] {
        for seed in 0..200 {
            let cfg = chaos_cfg(seed, nodes, None, traitors);
            let (sim, r) = chaos::run::<HotStuff>(&cfg).unwrap();
            assert!(r.violations.is_empty(), "n={nodes} seed {seed} traitors {:?}: {:?}", chaos::traitors::<HotStuff>(&cfg), r.violations);
            assert_eq!(lincheck::check(sim.history()), Ok(()), "n={nodes} seed {seed}");
        }
    }
}

#[test]
fn with_traitors_within_f_and_a_lossy_network_the_cluster_keeps_committing() {
    // Every behaviour, drawn per seed; the network loses, duplicates and reorders messages.
    for (nodes, traitors) in [(4usize, 1usize), (7, 2)] {
        let mut committed_runs = 0;
        for seed in 0..200 {
            let cfg = ChaosConfig { faults: vec![Fault::Drop, Fault::Duplicate, Fault::Reorder], ..chaos_cfg(seed, nodes, None, traitors) };
            let (sim, r) = chaos::run::<HotStuff>(&cfg).unwrap();
            assert!(r.violations.is_empty(), "n={nodes} seed {seed}: {:?}", r.violations);
            assert_eq!(lincheck::check(sim.history()), Ok(()), "n={nodes} seed {seed}");
            committed_runs += u32::from(r.committed > 0);
        }
        // A commit needs three honest leaders in a row and a fourth to collect the last QC (or the
        // one after it, which the votes reach after a timeout): with two traitors among seven
        // leaders in turn and up to 40% of messages lost, 9 runs of 200 commit nothing in 5,000
        // events (N = 4: 3); before the consecutive-view rule, none.
        let least = if nodes == 4 { 195 } else { 188 };
        assert!(committed_runs >= least, "n={nodes}: {committed_runs} of 200 runs committed");
    }
}

#[test]
fn every_behaviour_with_one_traitor_keeps_safety_without_faults() {
    for b in 0..(2 + HotStuff::BEHAVIOURS.len()) {
        for t in 0..4 {
            let mut s = sim(4, 12 + t as u64);
            let byz = match b {
                0 => Byzantine::Silent,
                1 => Byzantine::Mute(vec![(t + 1) % 4]),
                k => Byzantine::Lie(k - 2),
            };
            s.set_byzantine(t, Some(byz)).unwrap();
            run_ms(&mut s, 3_000);
            assert!(rules(&s).is_empty(), "behaviour {b} at n{}: {:?}", t + 1, s.violations());
            assert!((0..4).filter(|&i| i != t).all(|i| height(&s, i) > 10), "behaviour {b} at n{}: {:?}", t + 1, (0..4).map(|i| height(&s, i)).collect::<Vec<_>>());
        }
    }
}

// ---- odd messages ---------------------------------------------------------------------------------

#[test]
fn handlers_never_panic_on_odd_messages() {
    let mut s = sim(4, 13);
    run_ms(&mut s, 300);
    let real = s.node(0).block(s.node(0).generic_qc().block).unwrap().clone();
    let good_qc = s.node(0).generic_qc().clone();
    let mut odd: Vec<Msg> = vec![
        Msg::Vote { view: 0, block: GENESIS },
        Msg::Vote { view: u64::MAX, block: 42 },
        Msg::Vote { view: real.view, block: real.id },
        Msg::NewView { view: u64::MAX, generic_qc: Qc::genesis() },
        Msg::NewView { view: 0, generic_qc: Qc { view: 5, block: 77, voters: vec![0, 1, 99] } },
        Msg::NewView { view: s.node(0).view() + 1, generic_qc: Qc { view: real.view, block: real.id, voters: vec![9, 10, 11] } },
        Msg::NewView { view: s.node(0).view() + 1, generic_qc: Qc { view: real.view, block: real.id, voters: vec![1, 1, 1] } },
        Msg::NewView { view: s.node(0).view() + 2, generic_qc: Qc { view: real.view + 1, block: real.id, voters: vec![0, 1, 2] } },
        Msg::Fetch { block: 12345 },
        Msg::Fetch { block: GENESIS },
        Msg::Blocks { blocks: vec![] },
        Msg::Blocks { blocks: vec![Block::genesis(), real.clone(), real.clone()] },
        Msg::Request { command: String::new() },
        Msg::Request { command: "{\"client\":1".into() },
        Msg::Proposal { block: real.clone() },
        Msg::Proposal { block: Block::genesis() },
    ];
    // Blocks with a wrong id, an unknown parent, a QC of non-members, a height that lies, a
    // view from the far future, too many commands.
    let mut wrong_id = real.clone();
    wrong_id.id ^= 1;
    let v = s.node(0).view() + 4;
    let p = leader_of(v, 4);
    let orphan = Block::new(v, real.height + 5, p, 999, good_qc.clone(), vec![]);
    let outsiders = Block::new(v, real.height + 1, p, real.id, Qc { view: real.view, block: real.id, voters: vec![4, 5, 6] }, vec![]);
    let tall = Block::new(v, real.height + 7, p, real.id, good_qc.clone(), vec![]);
    let far = Block::new(u64::MAX, real.height + 1, leader_of(u64::MAX, 4), real.id, good_qc.clone(), vec![]);
    let fat = Block::new(v, real.height + 1, p, real.id, good_qc.clone(), vec!["1".into(); 100]);
    for b in [wrong_id, orphan, outsiders, tall, far, fat] {
        odd.push(Msg::Proposal { block: b.clone() });
        odd.push(Msg::Blocks { blocks: vec![b] });
    }
    for msg in odd {
        for from in 0..4 {
            for to in 0..4 {
                if from == to || s.is_crashed(to) {
                    continue;
                }
                let m = msg.clone();
                s.act(to, |p, n, cx, out| {
                    p.on_msg(n, cx, from, m, out);
                });
                s.settle();
            }
        }
    }
    // A sender id that is not a member.
    s.act(0, |p, n, cx, out| {
        p.on_msg(n, cx, 17, Msg::Vote { view: 1, block: 1 }, out);
    });
    s.settle();
    run_ms(&mut s, 1_000);
    assert!(rules(&s).is_empty(), "{:?}", s.violations());
    assert!((0..4).all(|i| height(&s, i) > 10));
}

// ---- randomized runs ------------------------------------------------------------------------------

#[test]
fn random_runs_without_traitors_find_no_violation_and_linearizable_histories() {
    for nodes in [4usize, 7] {
        for seed in 0..100 {
            let cfg = chaos_cfg(seed, nodes, None, 0);
            let (sim, r) = chaos::run::<HotStuff>(&cfg).unwrap();
            assert!(r.violations.is_empty(), "n={nodes} seed {seed}: {:?}", r.violations);
            assert_eq!(lincheck::check(sim.history()), Ok(()), "n={nodes} seed {seed}");
        }
    }
}

#[test]
fn runs_are_deterministic() {
    let cfg = chaos_cfg(21, 4, None, 1);
    let (a, ra) = chaos::run::<HotStuff>(&cfg).unwrap();
    let (b, rb) = chaos::run::<HotStuff>(&cfg).unwrap();
    assert_eq!((ra.events, ra.time_us, ra.committed), (rb.events, rb.time_us, rb.committed));
    assert_eq!(a.history(), b.history());
    let ta: Vec<String> = a.events_since(0).map(|e| e.text).collect();
    let tb: Vec<String> = b.events_since(0).map(|e| e.text).collect();
    assert_eq!(ta, tb);
}

/// The first of 300 seeds (N = 4, 5000 events, every fault) at which random search catches
/// `bug`, with `traitors` traitors drawn per seed.
fn first_caught(bug: Bug, traitors: usize) -> Option<u64> {
    (0..300).find(|&seed| !chaos::run::<HotStuff>(&chaos_cfg(seed, 4, Some(bug), traitors)).unwrap().1.violations.is_empty())
}

#[test]
fn random_search_catches_qc_2f_without_traitors() {
    // A partition into halves at the right moment (see qc_2f_steps). 1 seed of 300 (first 74)
    // with the blind search of before; 20 of 300 (first 6) once the nemesis drew each seed's
    // faults and aimed (issue #16 §1); since the consecutive-view rule, 1 of 300 (first 175),
    // and still so once HotStuff named its moment (a reboot of the leader counting its vote).
    assert_eq!(first_caught(Bug::Qc2f, 0), Some(175));
}

#[test]
fn random_search_catches_every_bug_with_one_traitor() {
    // ignore-lock and double-vote cannot show without a traitor: an honest leader proposes
    // once per view, on the highest QC of a quorum's NewViews (at least the QC of any block a
    // replica is locked on, when that block was committed). With one traitor drawn per seed
    // (an equivocating leader, a forking leader, …) all three show within a few seeds.
    assert!(first_caught(Bug::Qc2f, 1).is_some_and(|s| s < 10));
    assert!(first_caught(Bug::IgnoreLock, 1).is_some_and(|s| s < 20));
    assert!(first_caught(Bug::DoubleVote, 1).is_some_and(|s| s < 10));
}

/// Measures how many of 300 seeds catch each bug (N = 4, 5000 events, every fault), without
/// and with one traitor: `cargo test --release --test hotstuff measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_bug_search() {
    for bug in Bug::ALL {
        for traitors in [0, 1] {
            let mut caught = Vec::new();
            let mut rules = std::collections::BTreeMap::new();
            for seed in 0..300 {
                let (_, r) = chaos::run::<HotStuff>(&chaos_cfg(seed, 4, Some(bug), traitors)).unwrap();
                if let Some(v) = r.violations.first() {
                    caught.push(seed);
                    *rules.entry(v.rule).or_insert(0) += 1;
                }
            }
            println!("{:12} traitors={traitors}: {:3}/300 caught; first seeds {:?}; rules {:?}", bug.name(), caught.len(), &caught[..caught.len().min(8)], rules);
        }
    }
}

/// How many of 200 seeds commit anything (every fault, or `FAULTS=drop,…`), per traitors'
/// behaviour: `cargo test --release --test hotstuff measure_liveness -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_liveness() {
    let faults = std::env::var("FAULTS").unwrap_or("all".into());
    for (nodes, traitors) in [(4usize, 0usize), (4, 1), (7, 0), (7, 2)] {
        let mut committed_runs = 0;
        let mut total = 0;
        let mut by_kind = std::collections::BTreeMap::new();
        for seed in 0..200 {
            let cfg = ChaosConfig { faults: Fault::parse_list(&faults).unwrap(), ..chaos_cfg(seed, nodes, None, traitors) };
            let (_, r) = chaos::run::<HotStuff>(&cfg).unwrap();
            total += r.committed;
            let kinds: Vec<String> = chaos::traitors::<HotStuff>(&cfg).iter().map(|(_, b)| b.name(HotStuff::BEHAVIOURS).to_string()).collect();
            let e = by_kind.entry(kinds.join("+")).or_insert((0, 0));
            e.0 += 1;
            if r.committed > 0 {
                committed_runs += 1;
                e.1 += 1;
            }
        }
        println!("n={nodes} traitors={traitors}: {committed_runs}/200 runs committed, {total} blocks; by behaviour (runs, committed) {by_kind:?}");
    }
}

/// The run `consensus-sim shrink --protocol hotstuff --seed 17 --nodes 4 --byzantine 1
/// --events 5000 --bug any-view-chain` leaves (224 actions → 5, no client): two extra commands
/// and cut links, with seed 17's traitor.
fn any_view_chain_steps() -> Vec<Step> {
    let link = |from, to, both| Action::Cut { from, to, both };
    vec![
        step(1_014, link(2, 3, false)),
        step(1_046, Action::Command("\"c24\"".into())),
        step(1_080, Action::Command("\"c25\"".into())),
        step(1_345, link(1, 0, true)),
        step(4_003, Action::Repair { from: 1, to: 0, both: false }),
    ]
}

#[test]
fn bug_any_view_chain_a_replica_commits_two_blocks_at_one_height() {
    // Our own core had this bug until the nemesis found it (seeds 2619, 8498 and 8572 of
    // 10,000 with a traitor): the decide rule took a three-chain of direct parents from any
    // views. Two blocks at one height certified in different views then each head a
    // three-chain, and a replica commits both. The paper's direct parents are consecutive
    // views (§5 pads a failed view with a dummy block); LibraBFT checks round + 1; so do we.
    breaks_only_with(Bug::AnyViewChain, COMMIT_SAFETY, 17, 1, 0, &any_view_chain_steps(), 6_300);
}

/// The moments HotStuff names for the nemesis now: every `Moment::Promised(i)`, checked to be
/// a replica that leads the view after its last vote's and has no QC of that view yet.
fn named(s: &Simulation<HotStuff>) -> Vec<usize> {
    let mut out = Vec::new();
    HotStuff::moments(s, &mut out);
    out.into_iter()
        .map(|m| match m {
            Moment::Promised(i) => {
                let n = s.node(i);
                assert_eq!(leader_of(n.voted_view() + 1, 4), i, "{i} collects its own vote");
                assert!(n.generic_qc().view < n.voted_view(), "{i}: no QC of its vote's view yet");
                i
            }
            other => panic!("HotStuff names only Promised, not {other:?}"),
        })
        .collect()
}

#[test]
fn the_nemesis_aims_at_the_next_leader_counting_its_own_vote_and_a_reboot_there_certifies_the_block_late_section_5() {
    // §5: a vote goes to the next view's leader, which forms the QC and proposes on it. That
    // leader, right after it voted and counted its own vote (the others' still to come), is the
    // moment HotStuff names; on a quiet network the moment comes once a view.
    let mut s = sim(4, 1);
    let mut moments = 0;
    let mut before: Vec<usize> = Vec::new();
    while moments < 10 {
        assert!(s.now() < 2_000 * MS);
        s.step().unwrap();
        let now = named(&s);
        assert!(now.len() <= 1, "{now:?}");
        moments += now.iter().filter(|i| !before.contains(i)).count();
        before = now;
    }
    // Reboot it at the next such moment: its vote (vheight) survives, the count it began does
    // not, so the votes of view v arrive at a leader that lost its own: no QC in view v + 1,
    // which times out. The replicas re-send their votes for v's block with their NewViews to
    // the leader of v + 2, the first to hold view v's QC.
    let c = loop {
        s.step().unwrap();
        if let Some(&c) = named(&s).first() {
            break c;
        }
    };
    let v = s.node(c).voted_view();
    let timeouts = s.stats().elections;
    s.crash(c).unwrap();
    s.restart(c).unwrap();
    assert_eq!(s.node(c).voted_view(), v, "vheight is durable");
    let first = loop {
        assert!(s.now() < 10_000 * MS, "view {v}'s block never certified");
        s.step().unwrap();
        if let Some(i) = (0..4).find(|&i| s.node(i).generic_qc().view >= v) {
            break i;
        }
    };
    assert_eq!((first, s.node(first).generic_qc().view), (leader_of(v + 2, 4), v));
    assert!(s.stats().elections > timeouts, "view {} timed out", v + 1);
    assert!((0..4).all(|i| s.node(i).blocks().values().all(|b| b.view != v + 1)), "nobody proposed in view {}", v + 1);
    run_ms(&mut s, 2_000);
    assert!(rules(&s).is_empty(), "{:?}", s.violations());
}

/// The run `consensus-sim shrink --protocol hotstuff --seed 157 --nodes 4 --byzantine 1
/// --events 5000 --bug any-view-chain` leaves (23 actions → 11, 2 clients) of a run the nemesis
/// aimed: seed 157's traitor n2 is silent, so the views whose votes it collects fail; n4 is
/// rebooted five times, each right after it voted and counted its own vote as the next view's
/// leader (the moment HotStuff names), so those views fail too; and n2 crashes at one of its
/// own such moments (the nemesis rebooted it; the shrink kept the crash alone).
fn collector_reboot_steps() -> Vec<Step> {
    let at = |us: u64, action| Step { at_us: us, action };
    let mut steps = Vec::new();
    for us in [40_677, 250_465, 462_249, 666_797, 878_236] {
        steps.push(at(us, Action::Crash(3)));
        steps.push(at(us, Action::Restart(3)));
    }
    steps.insert(6, at(567_908, Action::Crash(1)));
    steps
}

#[test]
fn bug_any_view_chain_when_every_other_view_s_collector_fails_two_branches_each_commit() {
    // With the views whose votes n2 (silent) and n4 (rebooted) collect failing, the votes of
    // the others' views are re-sent with the NewViews to the leader two views on. One that
    // has a quorum of NewViews first proposes on the older QC they carry, then certifies from
    // the votes the block of two views before, at the height it just proposed at: two
    // branches, each a chain of direct parents in views two apart. The old decide rule commits
    // both; with the consecutive-view rule the same actions break nothing.
    let sim = breaks_only_with(Bug::AnyViewChain, COMMIT_SAFETY, 157, 1, 2, &collector_reboot_steps(), 1_080);
    // Two blocks at one height, each certified in a different view: among the QCs the
    // replicas hold (their highest, and those their blocks carry).
    let mut certified: Vec<(u64, BlockId, View)> = Vec::new();
    for i in 0..4 {
        let n = sim.node(i);
        for qc in n.blocks().values().map(|b| &b.justify).chain([n.generic_qc()]).filter(|q| q.view > 0) {
            let b = (0..4).find_map(|j| sim.node(j).block(qc.block)).unwrap();
            certified.push((b.height, b.id, qc.view));
        }
    }
    assert!(certified.iter().any(|a| certified.iter().any(|b| a.0 == b.0 && a.1 != b.1 && a.2 != b.2)), "{certified:?}");
}

#[test]
fn random_search_catches_any_view_chain_without_traitors() {
    // Blind: 2 of 300 seeds without a traitor (first 17); with one, 1 of 300 and 23 of 10,000.
    // With the nemesis rebooting the next view's leader as it counts its own vote (the moment
    // HotStuff names): 7 of 300 without a traitor (first 17), 13 of 300 with one, 329 of 10,000.
    assert_eq!(first_caught(Bug::AnyViewChain, 0), Some(17));
}
