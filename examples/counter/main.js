// The distributed counter, run: `node examples/counter/main.js`. Five nodes in five worker
// threads; increments and decrements from every node, a batch, a crash, a partition. `acked` is
// the sum of the operations the cluster acknowledged: every node must end on it.
import { startCounterCluster } from './cluster.js';

const c = await startCounterCluster(['n1', 'n2', 'n3', 'n4', 'n5'], { timeout: 5000, heartbeatInterval: 20, electionTimeout: [150, 300] });
let acked = 0;
const count = (delta) => (r) => {
  if (r?.ok) acked += delta;
  return r;
};
const show = async (what) => console.log(`${what.padEnd(48)} ${(await Promise.all(c.live().map(async (id) => `${id}=${await c.value(id)}`))).join(' ')}`);

console.log(`leader: ${await c.start()}`);
await Promise.all(c.ids.map((id) => c.increment(id).then(count(1))));    // +1 from every node, at once
await c.agree(acked);
await show('+1 from each of the 5 nodes:');
await c.decrement('n2', 2).then(count(-2));
await c.agree(acked);
await show('n2 decrements by 2:');
const b = await c.batch('n3', [10, -1, 1]).then(count(10));             // one command, applied whole
await c.agree(acked);
await show(`n3's batch [10, -1, 1] (one command, ok: ${b.ok}):`);

const crashed = c.currentLeader();
const next = c.leader(c.ids.filter((id) => id !== crashed), [crashed]);
await c.crash(crashed);                                                    // a single node failure
console.log(`crashed the leader ${crashed}; new leader: ${await next}`);
const [alone, ...rest] = c.live();
await c.increment(alone).then(count(1));
await c.agree(acked);
await show(`${alone} increments:`);

const detected = c.event((m) => m.id === alone && m.name === 'partition:detected' && m.args[0].side === 'minority');
c.partition([[alone], rest]);
await detected;
const refused = await c.increment(alone).then(count(1));
console.log(`${alone} cut off: increment ok=${refused.ok} (${refused.error.slice(0, 60)}…); it still reads ${await c.value(alone)}`);
const majority = await c.increment(rest[0]).then(count(1));
console.log(`${rest[0]} (majority side) increments: ok=${majority.ok}, value ${majority.value}; ${alone} still reads ${await c.value(alone)}`);
c.heal();
await c.agree(acked);
await show(`healed: every node agrees on ${acked}:`);
await c.stop();
