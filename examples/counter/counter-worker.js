// One counter node in a Node worker thread: a ConsensusTrait (raft) reaching its peers over the
// transport kit's MessagePorts, a DistributedCounter on it, and a small control protocol on
// parentPort for cluster.js. The `cut` / `heal` messages are the demo's network switch (a
// partition you can flip); a crash is the main thread terminating this worker.
import { parentPort, workerData } from 'node:worker_threads';
import { ConsensusTrait, connectPorts } from 'consensus-playground';
import { DistributedCounter } from './counter.js';

const { id, ids, config } = workerData;
const agent = new ConsensusTrait(id, { mechanism: 'raft', ...config, nodes: ids.filter((x) => x !== id) });
const counter = new DistributedCounter(agent, 'counter');
const blocked = new Set();

const report = (name, ...args) => parentPort.postMessage({ op: 'event', id, name, args });
for (const name of ['leader:elected', 'partition:detected', 'partition:healed']) agent.on(name, (...args) => report(name, ...args));
counter.onChange((value) => report('counter', value));
agent.on('state:changed', (key, value) => key !== 'counter' && report('state:changed', key, value));

parentPort.on('message', async (m) => {
  const reply = (result) => parentPort.postMessage({ op: 'reply', id, n: m.n, result });
  if (m.op === 'ports') {
    const ports = Object.fromEntries(Object.entries(m.ports).map(([peer, port]) => [peer, {
      postMessage: (msg) => blocked.has(peer) || port.postMessage(msg),
      set onmessage(fn) {
        port.onmessage = (e) => blocked.has(peer) || fn(e);
      },
      close: () => port.close(),
    }]));
    connectPorts(agent, ports);
  } else if (m.op === 'start') agent.start();
  else if (m.op === 'increment') reply(await counter.increment(m.by));
  else if (m.op === 'batch') reply(await counter.batch(m.deltas));
  else if (m.op === 'write') reply(await agent.proposeWithResult(m.key, m.value));
  else if (m.op === 'value') reply(counter.value());
  else if (m.op === 'cut') for (const p of m.peers) blocked.add(p);
  else if (m.op === 'heal') blocked.clear();
  else if (m.op === 'stop') {
    agent.stop();
    process.exit(0);
  }
});
parentPort.postMessage({ op: 'ready', id });
