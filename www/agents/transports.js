// Transports for ConsensusTrait (issue #15 §2): each a few lines on setMessageSender /
// handleMessage. Messages are the cores' JSON-safe objects, so structured clone carries them.
// A message the agent refuses (a sender outside its cluster, a malformed message: handleMessage
// throws) is dropped, as a server drops bad input, and handed to `options.onError` if given.

function deliver(agent, from, message, onError) {
  try {
    agent.handleMessage(from, message);
  } catch (e) {
    onError?.(e, from, message);
  }
}

/**
 * Connects `agent` to its peers over MessagePorts, one per peer: `ports` is `{peerId: port}`
 * (Node worker_threads' MessagePort or the browser's). Returns `{close()}`.
 * `meshPorts(ids)` makes the ports for a whole cluster.
 */
export function connectPorts(agent, ports, { onError } = {}) {
  const me = agent.getNodeId();
  for (const [peer, port] of Object.entries(ports)) {
    port.onmessage = (e) => deliver(agent, peer, e.data, onError);
  }
  agent.setMessageSender((to, message) => ports[to]?.postMessage(message));
  return {
    close() {
      for (const port of Object.values(ports)) port.close();
    },
    me,
  };
}

/**
 * One MessageChannel per pair of `ids`: `{id: {peerId: port}}`. Hand each id's object to its
 * agent's thread (`worker.postMessage({ports}, Object.values(ports))`) and `connectPorts` there.
 */
export function meshPorts(ids) {
  const mesh = Object.fromEntries(ids.map((id) => [id, {}]));
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const { port1, port2 } = new MessageChannel();
      mesh[ids[i]][ids[j]] = port1;
      mesh[ids[j]][ids[i]] = port2;
    }
  }
  return mesh;
}

/**
 * Connects `agent` to every agent on the BroadcastChannel `name` (browser tabs and workers of
 * one origin, or threads of one Node process): each message goes to all, addressed `{from, to,
 * message}`, and each agent keeps those addressed to it. Returns `{close()}`.
 */
export function connectBroadcastChannel(agent, name = 'consensus-playground', { onError } = {}) {
  const me = agent.getNodeId();
  const channel = new BroadcastChannel(name);
  channel.onmessage = (e) => {
    const { from, to, message } = e.data ?? {};
    if (to === me && typeof from === 'string') deliver(agent, from, message, onError);
  };
  agent.setMessageSender((to, message) => channel.postMessage({ from: me, to, message }));
  return {
    close() {
      channel.close();
    },
  };
}
