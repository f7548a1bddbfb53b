use consensus_playground::pbft::Pbft;
use consensus_playground::protocol::BugSet;
use consensus_playground::sim::chaos::{self, ChaosConfig, Fault};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = args[1].parse().unwrap();
    let faults = Fault::parse_list(&args[2]).unwrap();
    let traitors: usize = args.get(3).map_or(0, |t| t.parse().unwrap());
    let events: u64 = args.get(5).map_or(5000, |t| t.parse().unwrap());
    let bugs = match args.get(4).filter(|b| !b.is_empty()) { Some(b) => BugSet::NONE.with(BugSet::index_of(<Pbft as consensus_playground::protocol::Protocol>::BUGS, b).unwrap(), true), None => BugSet::NONE };
    let cfg = ChaosConfig { seed, nodes: 4, events, faults, bugs, traitors };
    let (sim, rep) = chaos::run::<Pbft>(&cfg).unwrap();
    for e in sim.events_since(0) { if !e.routine { println!("{:>9.3} {:<10} {}", e.time, e.kind, e.text); } }
    println!("traitors {:?}", chaos::traitors::<Pbft>(&cfg));
    for i in 0..4 { let n = sim.node(i); println!("n{}: view {} {:?} low {} executed {} vcs {:?}", i+1, n.view(), n.status(), n.low_watermark(), n.executed(), n.view_changes().get(&n.view())); }
    println!("{:?} {} events, {} in flight", rep.violations, rep.events, sim.in_flight().count());
}
