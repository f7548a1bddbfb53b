// One agent of scripts/bench-agents.mjs in a Node worker thread: the package by its name, its
// peers through the transport kit's MessagePorts; proposals on request, each timed from the
// call to its settled result; the event loop's busy time (the library's own work, and this
// small harness's) on request.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { ConsensusTrait, connectPorts } from 'consensus-playground';

const { id, ids, config } = workerData;
const agent = new ConsensusTrait(id, { ...config, nodes: ids.filter((x) => x !== id) });
let elu = null;
agent.on('leader:elected', (leader) => parentPort.postMessage({ op: 'leader', id, leader }));
parentPort.on('message', async (m) => {
  if (m.op === 'ports') connectPorts(agent, m.ports);
  else if (m.op === 'start') agent.start();
  else if (m.op === 'mark') {
    elu = performance.eventLoopUtilization();
    parentPort.postMessage({ op: 'marked', id });
  } else if (m.op === 'propose') {
    const t = performance.now();
    const r = await agent.proposeWithResult(m.key, m.value);
    parentPort.postMessage({ op: 'result', id, n: m.n, accepted: r.accepted, error: r.error, ms: performance.now() - t });
  } else if (m.op === 'busy') {
    const u = performance.eventLoopUtilization(elu);
    parentPort.postMessage({ op: 'busy', id, activeMs: u.active });
  } else if (m.op === 'stop') {
    agent.stop();
    process.exit(0);
  }
});
parentPort.postMessage({ op: 'ready', id });
