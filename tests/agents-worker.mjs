// One agent in a Node worker thread (issue #15 §2), driven by tests/agents-workers.test.mjs:
// the package imported by its name, its peers reached through
// the transport kit's MessagePorts (wrapped so a test can cut links, and so a traitor's transport
// can rewrite what it sends), and a small control protocol on parentPort.
import { parentPort, workerData } from 'node:worker_threads';
import { ConsensusTrait, connectPorts } from 'consensus-playground';

const { id, ids, config, traitor, reportRefused } = workerData;
const agent = new ConsensusTrait(id, { ...config, nodes: ids.filter((x) => x !== id) });
const blocked = new Set(); // peers whose link the test cut (both ways)
const forged = (peer, type, detail) => parentPort.postMessage({ op: 'event', id, name: 'forged', args: [peer, type, detail] });

/**
 * A traitor's lies: what its transport sends `peer` in place of `m` (a list: a lie may repeat a
 * message). The agent inside is the library, unchanged; only the wire lies.
 * - `forgeTo: [ids]` (PBFT): the value in each PrePrepare sent to them is rewritten, while the
 *   digest still names the true request.
 * - `vote: 'against'` (simple_majority): every Vote it sends says against, whatever it decided.
 * - `vote: {repeat: k, naming: voter}` (simple_majority): every Vote it sends goes k times, and
 *   once more with a `voter` field naming another voter (the protocol's Vote has no such field:
 *   the network names the voter, as the sender).
 * - `decided: 'accepted'` (simple_majority, as a proposer): every Decided it sends says
 *   accepted, whatever its votes said.
 */
const lie = (peer, m) => {
  if (traitor?.forgeTo?.includes(peer) && m.type === 'PrePrepare' && m.request) {
    forged(peer, m.type, m.seq);
    return [{ ...m, request: { ...m.request, operation: { ...m.request.operation, value: 'forged' } } }];
  }
  if (traitor?.vote === 'against' && m.type === 'Vote' && m.approve) {
    forged(peer, m.type, m.proposalId);
    return [{ ...m, approve: false }];
  }
  if (traitor?.vote?.repeat && m.type === 'Vote') {
    forged(peer, m.type, m.proposalId);
    return [...Array(traitor.vote.repeat).fill(m), { ...m, voter: traitor.vote.naming }];
  }
  if (traitor?.decided === 'accepted' && m.type === 'Decided' && !m.accepted) {
    forged(peer, m.type, m.proposalId);
    return [{ ...m, accepted: true }];
  }
  return [m];
};

/** A port whose traffic stops while the test cuts the link to `peer`. */
const cuttable = (peer, port) => ({
  postMessage: (m) => blocked.has(peer) || lie(peer, m).forEach((x) => port.postMessage(x)),
  set onmessage(fn) {
    port.onmessage = (e) => blocked.has(peer) || fn(e);
  },
  close: () => port.close(),
});

const forward = ['leader:elected', 'partition:detected', 'partition:healed', 'node:unreachable', 'node:reconnected'];
for (const name of forward) agent.on(name, (...args) => parentPort.postMessage({ op: 'event', id, name, args }));
// Every change but the bulk writes (keys k<i>), which would flood the test.
agent.on('state:changed', (key, value) => /^k\d+$/.test(key) || parentPort.postMessage({ op: 'event', id, name: 'state:changed', args: [key, value] }));

// A message the agent refuses (handleMessage throws: malformed, or from outside the cluster)
// fails the test (the worker throws) — unless the test has a traitor, whose lies the honest
// agents are expected to refuse: then each refusal is an event naming the sender and the error.
const onError = reportRefused
  ? (e, from, message) => parentPort.postMessage({ op: 'event', id, name: 'refused', args: [from, message?.type, e.message] })
  : (e) => {
      throw e;
    };

/** Runs one operation for the test; a method that throws (bad arguments) answers `status: 'threw'`. */
const answer = async (m, run) => {
  let result;
  try {
    result = await run();
  } catch (e) {
    result = { accepted: false, status: 'threw', error: e.message };
  }
  parentPort.postMessage({ op: 'result', id, n: m.n, result });
};

parentPort.on('message', async (m) => {
  if (m.op === 'ports') {
    const ports = Object.fromEntries(Object.entries(m.ports).map(([p, port]) => [p, cuttable(p, port)]));
    connectPorts(agent, ports, { onError });
  }
  else if (m.op === 'start') agent.start();
  else if (m.op === 'stop') {
    agent.stop();
    parentPort.close();
    process.exit(0);
  } else if (m.op === 'propose') await answer(m, () => agent.proposeWithResult(m.key, m.value));
  else if (m.op === 'cas') await answer(m, () => agent.compareAndSwap(m.key, m.expected, m.value));
  else if (m.op === 'cut') for (const p of m.peers) blocked.add(p);
  else if (m.op === 'heal') blocked.clear();
  else if (m.op === 'state') parentPort.postMessage({ op: 'state', id, n: m.n, state: agent.getDebugState() });
});
parentPort.postMessage({ op: 'ready', id });
