// One agent in a Node worker thread (issue #15 §2), driven by tests/agents-workers.test.mjs:
// the package imported by its name, its peers reached through the transport kit's MessagePorts
// (wrapped so a test can cut links), and a small control protocol on parentPort.
import { parentPort, workerData } from 'node:worker_threads';
import { ConsensusTrait, connectPorts } from 'consensus-playground';

const { id, ids, config, traitor } = workerData;
const agent = new ConsensusTrait(id, { ...config, nodes: ids.filter((x) => x !== id) });
const blocked = new Set(); // peers whose link the test cut (both ways)

/** A traitor's lie (`traitor: {forgeTo: [ids]}`): the value in each PrePrepare it sends them is
 *  rewritten, while the digest still names the true request. */
const lie = (peer, m) => {
  if (!traitor?.forgeTo.includes(peer) || m.type !== 'PrePrepare' || !m.request) return m;
  parentPort.postMessage({ op: 'event', id, name: 'forged', args: [peer, m.seq] });
  return { ...m, request: { ...m.request, operation: { ...m.request.operation, value: 'forged' } } };
};

/** A port whose traffic stops while the test cuts the link to `peer`. */
const cuttable = (peer, port) => ({
  postMessage: (m) => blocked.has(peer) || port.postMessage(lie(peer, m)),
  set onmessage(fn) {
    port.onmessage = (e) => blocked.has(peer) || fn(e);
  },
  close: () => port.close(),
});

const forward = ['leader:elected', 'partition:detected', 'partition:healed', 'node:unreachable', 'node:reconnected'];
for (const name of forward) agent.on(name, (...args) => parentPort.postMessage({ op: 'event', id, name, args }));
// Every change but the bulk writes (keys k<i>), which would flood the test.
agent.on('state:changed', (key, value) => /^k\d+$/.test(key) || parentPort.postMessage({ op: 'event', id, name: 'state:changed', args: [key, value] }));

parentPort.on('message', async (m) => {
  if (m.op === 'ports') {
    const ports = Object.fromEntries(Object.entries(m.ports).map(([p, port]) => [p, cuttable(p, port)]));
    connectPorts(agent, ports, { onError: (e) => { throw e; } }); // a refused message fails the test
  }
  else if (m.op === 'start') agent.start();
  else if (m.op === 'stop') {
    agent.stop();
    parentPort.close();
    process.exit(0);
  } else if (m.op === 'propose') {
    const result = await agent.proposeWithResult(m.key, m.value);
    parentPort.postMessage({ op: 'result', id, n: m.n, result });
  } else if (m.op === 'cut') for (const p of m.peers) blocked.add(p);
  else if (m.op === 'heal') blocked.clear();
  else if (m.op === 'state') parentPort.postMessage({ op: 'state', id, n: m.n, state: agent.getDebugState() });
});
parentPort.postMessage({ op: 'ready', id });
