use consensus_playground::pbft::{Options, Pbft};
use consensus_playground::sim::{SimConfig, Simulation};
fn main() {
    let config = SimConfig { seed: 7, nodes: 4, latency_us: (10_000, 12_000), ..SimConfig::default() };
    let mut s = Simulation::<Pbft>::new(config, Options::default()).unwrap();
    s.partition(&[vec![3]]).unwrap();
    s.client_request("\"a\"".into(), None).unwrap();
    s.run_until(200_000);
    s.pause(0).unwrap();
    s.heal();
    let seq0 = s.events_since(0).last().unwrap().seq;
    s.client_request("\"b\"".into(), Some(2)).unwrap();
    s.client_request("\"c\"".into(), Some(3)).unwrap();
    s.run_until(3_000_000);
    for e in s.events_since(seq0) { if !e.text.contains("same sender") { println!("{:>8.3} {:<10} {}", e.time, e.kind, e.text); } }
    for i in 0..4 { println!("n{} view {} {:?} {:?}", i+1, s.node(i).view(), s.node(i).status(), s.executed(i)); }
}
