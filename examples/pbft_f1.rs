use consensus_playground::pbft::{Behaviour, Options, Pbft};
use consensus_playground::protocol::Byzantine;
use consensus_playground::sim::{SimConfig, Simulation};
fn main() {
    let seed: u64 = std::env::args().nth(1).unwrap().parse().unwrap();
    let config = SimConfig { seed, nodes: 4, latency_us: (10_000, 12_000), ..SimConfig::default() };
    let mut s = Simulation::<Pbft>::new(config, Options::default()).unwrap();
    let eq = Byzantine::Lie(Behaviour::ALL.iter().position(|x| *x == Behaviour::Equivocate).unwrap());
    s.set_byzantine(0, Some(eq.clone())).unwrap();
    s.set_byzantine(1, Some(eq)).unwrap();
    s.client_request("\"a\"".into(), None).unwrap();
    s.run_until(500_000);
    for e in s.events_since(0) { println!("{:>8.3} {:<10} {}", e.time, e.kind, e.text); }
    println!("{:?}", s.violations());
    for i in 0..4 { println!("n{} {:?}", i+1, s.executed(i)); }
}
