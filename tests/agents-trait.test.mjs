// ConsensusTrait (issue #15 §1): the lesson's agent API, imported by the package's name, with
// several agents in one process over an in-memory transport (plain function calls, delivered on
// a later macrotask, every message through JSON). Timers are real but short (elections of 30–60
// ms); tests wait for events and conditions, never for time, and stop every agent so the process
// exits.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { cluster as inMemory } from './agents-cluster.mjs';

// "Importing the package is all the set-up there is" (§1): the package's own name, resolved
// through package.json "exports" (condition "node").
const { ConsensusTrait, createConsensusTrait } = await import('consensus-playground');

const FAST = { timeout: 400, heartbeatInterval: 10, electionTimeout: [30, 60] };
const LIMIT = { timeout: 20_000 }; // a test that hangs fails instead

/** Agents over the in-memory network of agents-cluster.mjs, with this file's timers. */
const cluster = (mechanism, ids, config = {}, perNode) => inMemory(mechanism, ids, { ...FAST, ...config }, perNode);

/** The next `event` on `agent` (whose arguments pass `filter`), as a promise of its arguments. */
function next(agent, event, filter = () => true) {
  return new Promise((resolve) => {
    const fn = (...args) => {
      if (!filter(...args)) return;
      agent.off(event, fn);
      resolve(args);
    };
    agent.on(event, fn);
  });
}

/** A client's write: retried (the outcome of a timed-out one is unknown; a leader may change
 *  under load) until acknowledged, at most 20 times. → the last result. */
async function commit(agent, key, value) {
  let r;
  for (let attempt = 0; attempt < 20 && !r?.accepted; attempt++) r = await agent.proposeWithResult(key, value);
  return r;
}

function leaderOf(c) {
  const leaders = c.all().filter((a) => a.isLeader());
  return leaders.length === 1 ? leaders[0] : null;
}

/** Every agent (of `ids`) knows the same leader. */
function agreed(c, ids = [...c.agents.keys()]) {
  const l = ids.map((id) => c.get(id).getLeader());
  return l[0] !== null && l.every((x) => x === l[0]) && c.get(l[0])?.isLeader();
}

test('§1: the package entry exports ConsensusTrait and createConsensusTrait and loads its wasm on import', LIMIT, async () => {
  const m = await import('consensus-playground');
  assert.equal(typeof m.ConsensusTrait, 'function');
  assert.equal(typeof m.createConsensusTrait, 'function');
  assert.ok(m.createConsensusTrait('solo') instanceof m.ConsensusTrait);
  // The wasm core answers at once: no init call.
  const solo = m.createConsensusTrait('solo', { mechanism: 'simple_majority' });
  assert.equal(await solo.propose('k', 1), true);
  assert.equal(solo.get('k'), 1);
  solo.stop();
});

test("§1's code block runs as written (timeouts shortened)", LIMIT, async () => {
  const network = new EventEmitter();
  network.send = () => {}; // a transport that goes nowhere: raft runs alone here
  const c = createConsensusTrait('agent-001', { mechanism: 'simple_majority', timeout: 5000, quorum: 0.51 });
  const raft = new ConsensusTrait('node-001', { mechanism: 'raft', timeout: 300, heartbeatInterval: 10,
    electionTimeout: [30, 60], batchUpdates: true, batchWindow: 50, snapshotInterval: 1000 });
  raft.setMessageSender((toNodeId, message) => network.send(toNodeId, message));
  network.on('message', (fromNodeId, message) => raft.handleMessage(fromNodeId, message));
  raft.start(); raft.stop();
  raft.addNode({ id: 'node-002', address: 'host2:5000', metadata: { region: 'us-west' } });
  assert.deepEqual(raft.getNodes().map((n) => [n.id, n.address, n.metadata.region]), [['node-001', null, undefined], ['node-002', 'host2:5000', 'us-west']]);
  raft.removeNode('node-002'); raft.getNodes(); raft.getLeader(); raft.isLeader(); raft.getNodeId();
  assert.deepEqual(raft.getNodes().map((n) => n.id), ['node-001']);
  assert.equal(raft.getNodeId(), 'node-001');
  assert.equal(await c.propose('player_score', 100), true);            // → true | false
  const r = await c.proposeWithResult('setting', 'newValue');
  assert.deepEqual(Object.keys(r).slice(0, 8).sort(), ['accepted', 'error', 'key', 'proposalId', 'quorumRequired', 'status', 'value', 'votes']);
  assert.deepEqual([r.accepted, r.key, r.value, r.votes, r.quorumRequired, r.error], [true, 'setting', 'newValue', { for: 1, against: 0, total: 1 }, 1, null]);
  assert.equal(c.get('player_score'), 100);
  const seen = [];
  const off = c.subscribe('player_score', (v) => seen.push(v));
  await c.propose('player_score', 101);
  off();
  await c.propose('player_score', 102);
  assert.deepEqual(seen, [101]);
  const elected = next(raft, 'leader:elected');
  raft.on('leader:elected', (leaderId) => assert.equal(leaderId, 'node-001'));
  raft.start();                                   // alone, it elects itself
  assert.deepEqual(await elected, ['node-001', 1]);
  const d = raft.getDebugState();                 // {currentTerm, role, leaderId, commitIndex, logLength, …}
  assert.equal(d.currentTerm, 1);
  assert.equal(d.term, 1);                        // the original implementation's spelling
  assert.equal(d.role, 'leader');
  assert.equal(d.state, 'leader');
  assert.equal(d.leaderId, 'node-001');
  assert.ok(d.logLength >= 1 && d.commitIndex >= 1, JSON.stringify(d));
  c.vote(r.proposalId, true);                     // decided already: ignored, as the core does
  raft.stop();
  c.stop();
});

test('raft: three agents elect one leader, each hears leader:elected; a follower\'s propose → true; get and subscribe on every agent', LIMIT, async () => {
  const c = cluster('raft', ['a', 'b', 'c']);
  const heard = new Map();
  const events = { requested: 0, granted: 0, appended: 0 };
  for (const a of c.all()) {
    a.on('leader:elected', (l) => heard.set(a.getNodeId(), l));
    a.on('vote:requested', () => events.requested++);
    a.on('vote:granted', () => events.granted++);
    a.on('log:appended', () => events.appended++);
  }
  c.start();
  await c.until(() => agreed(c) && heard.size === 3);
  const leader = leaderOf(c).getNodeId();
  assert.deepEqual([...heard.values()], [leader, leader, leader], 'leader:elected fires on every agent that learns of the leader');
  assert.ok(events.requested >= 1 && events.granted >= 1, JSON.stringify(events));
  const follower = c.all().find((a) => !a.isLeader());
  const changes = [];
  const subs = c.all().map((a) => new Promise((resolve) => a.subscribe('player_score', (v) => (v === 100 ? resolve(a.getNodeId()) : null))));
  follower.on('state:changed', (...args) => changes.push(args));
  const r = await follower.proposeWithResult('player_score', 100);
  assert.equal(r.accepted, true, r.error);
  assert.equal(r.status, 'accepted');
  assert.equal(r.quorumRequired, 2);
  assert.deepEqual((await Promise.all(subs)).sort(), ['a', 'b', 'c']);
  for (const a of c.all()) assert.equal(a.get('player_score'), 100);
  assert.deepEqual(changes[0], ['player_score', 100, undefined]);
  assert.equal(await leaderOf(c).propose('player_score', 150), true);
  await c.until(() => c.all().every((a) => a.get('player_score') === 150));
  assert.deepEqual(changes.at(-1), ['player_score', 150, 100], 'state:changed (key, newValue, oldValue)');
  assert.ok(events.appended >= 3 * 2, 'log:appended on every agent');
  const d = follower.getDebugState();
  assert.equal(d.leaderId, leader);
  assert.equal(d.role, 'follower');
  c.stop();
});

test('simple_majority: quorum 0.51 of 3 voters needs 2 votes (the proposer\'s own is not enough)', LIMIT, async () => {
  // b and c vote by hand: a's proposal has only a's vote until one of them approves.
  const c = cluster('simple_majority', ['a', 'b', 'c'], { quorum: 0.51 }, (id) => (id === 'a' ? {} : { policy: 'manual' }));
  c.start();
  const a = c.get('a');
  const asked = next(c.get('b'), 'vote:requested');
  const pending = a.proposeWithResult('leader_choice', 'x');
  const [from, proposalId, proposal] = await asked;
  assert.deepEqual([from, proposal], ['a', { key: 'leader_choice', value: 'x' }]);
  const open = a.getDebugState().proposals.find((p) => p.proposalId === proposalId);
  assert.equal(open.status, 'open', 'one vote of three does not pass a 0.51 quorum');
  c.get('b').vote(proposalId, true);
  const r = await pending;
  assert.equal(r.accepted, true);
  assert.equal(r.quorumRequired, 2);
  assert.deepEqual(r.votes, { for: 2, against: 0, total: 3 });
  await c.until(() => c.all().every((x) => x.get('leader_choice') === 'x'));
  // Both voters against: rejected as soon as 2 can no longer be reached, with the reason.
  const rejected = next(a, 'proposal:rejected');
  const p2 = a.proposeWithResult('leader_choice', 'y');
  for (const v of [c.get('b'), c.get('c')]) {
    const [, id] = await next(v, 'vote:requested');
    v.vote(id, false);
  }
  const r2 = await p2;
  assert.equal(r2.accepted, false);
  assert.equal(r2.status, 'rejected');
  assert.ok(r2.error, 'a rejected proposal says why');
  assert.equal((await rejected)[0].proposalId, r2.proposalId);
  assert.equal(a.get('leader_choice'), 'x');
  c.stop();
});

test('simple_majority: a quorum of 1 or more is a weight count; weights count', LIMIT, async () => {
  // quorum 3 of weights {a: 2, b: 1, c: 1}: a alone (2) is not enough, a and b (3) are.
  const c = cluster('simple_majority', ['a', 'b', 'c'], { quorum: 3, weights: { a: 2 } }, (id) => (id === 'a' ? {} : { policy: 'manual' }));
  c.start();
  const asked = next(c.get('b'), 'vote:requested');
  const pending = c.get('a').proposeWithResult('k', 1);
  const [, proposalId] = await asked;
  assert.equal(c.get('a').getDebugState().proposals.find((p) => p.proposalId === proposalId).status, 'open', 'weight 2 of the 3 needed');
  c.get('b').vote(proposalId, true);
  const r = await pending;
  assert.equal(r.accepted, true, JSON.stringify(r));
  assert.equal(r.quorumRequired, 3);
  assert.deepEqual(r.votes, { for: 3, against: 0, total: 4 });
  c.stop();
});

test('simple_majority: a proposal no voter answers times out; proposal:timeout fires and the promise settles false', LIMIT, async () => {
  const c = cluster('simple_majority', ['a', 'b', 'c'], { timeout: 100 }, (id) => (id === 'a' ? {} : { policy: 'manual' }));
  c.start();
  const timedOut = next(c.get('a'), 'proposal:timeout');
  const r = await c.get('a').proposeWithResult('k', 1);
  assert.deepEqual([r.accepted, r.status], [false, 'timeout']);
  assert.match(r.error, /time/);
  assert.equal((await timedOut)[0].proposalId, r.proposalId);
  c.stop();
});

test('pbft: the mechanism really runs PBFT (view and sequence numbers, pre-prepare/prepare/commit), and a backup\'s write is applied everywhere', LIMIT, async () => {
  // A view-change timeout of 200 ms: at FAST's 30 ms, a backup on a busy event loop suspects a
  // working primary alone and stays in view change (PBFT's design, §4.4), so its request waits.
  const c = cluster('pbft', ['n1', 'n2', 'n3', 'n4'], { electionTimeout: [200, 400] });
  c.start();
  const backup = c.get('n3');
  const r = await backup.proposeWithResult('x', 'v');
  assert.equal(r.accepted, true, r.error);
  assert.equal(r.quorumRequired, 3, '2f + 1 of 4 replicas');
  await c.until(() => c.all().every((a) => a.get('x') === 'v'));
  const d = backup.getDebugState();
  assert.equal(d.core, 'pbft');
  // View 0 unless a slow run made the backups suspect the primary: the primary of view v is
  // replica v mod N either way.
  assert.ok(Number.isInteger(d.view) && d.view >= 0, JSON.stringify(d));
  assert.equal(d.primaryId, ['n1', 'n2', 'n3', 'n4'][d.view % 4]);
  assert.equal(d.leaderId, d.primaryId);
  assert.ok(d.sequence >= 1, JSON.stringify(d));
  assert.equal(d.coreView.mechanism, 'pbft');
  assert.ok(d.coreView.log.some((e) => e.seq === r.index), JSON.stringify(d.coreView.log));
  c.stop();
});

test('pbft with a traitor primary (a transport that rewrites its pre-prepares): the honest replicas change view and agree, and never apply the forged value', LIMIT, async () => {
  const c = cluster('pbft', ['n1', 'n2', 'n3', 'n4'], { timeout: 2000, electionTimeout: [100, 200] });
  // n1, the primary of view 0, forges the value in every PrePrepare it sends to n3 and n4 (the
  // digest still names the true request: an equivocation the digest check exposes).
  const honest = ['n2', 'n3', 'n4'].map((id) => c.get(id));
  const traitor = c.get('n1');
  let forged = 0;
  const agents = c.agents;
  traitor.setMessageSender((to, message) => {
    if (message.type === 'PrePrepare' && message.request && to !== 'n2') {
      message = structuredClone(message);
      message.request.operation.value = 'forged';
      forged++;
    }
    setTimeout(() => agents.get(to).handleMessage('n1', structuredClone(message)), 0);
  });
  const seen = [];
  for (const a of honest) a.subscribe('x', (v) => seen.push([a.getNodeId(), v]));
  c.start();
  const r = await c.get('n3').proposeWithResult('x', 'true value');
  assert.equal(r.accepted, true, r.error);
  await c.until(() => honest.every((a) => a.get('x') === 'true value'));
  assert.ok(forged > 0, 'the traitor forged');
  assert.deepEqual(seen.filter(([, v]) => v !== 'true value'), [], 'no honest replica applied the forged value');
  assert.ok(honest.every((a) => a.getDebugState().view >= 1), 'the honest replicas left the traitor\'s view');
  c.stop();
});

test('paxos and gossip: propose → true and every agent gets the value (gossip: set locally, spread eventually)', LIMIT, async () => {
  for (const mechanism of ['paxos', 'gossip']) {
    const c = cluster(mechanism, ['a', 'b', 'c']);
    c.start();
    const r = await c.get('b').proposeWithResult('k', { n: 1 });
    assert.equal(r.accepted, true, `${mechanism}: ${r.error}`);
    if (mechanism === 'gossip') assert.equal(r.local, true);
    await c.until(() => c.all().every((a) => a.get('k')?.n === 1));
    c.stop();
  }
});

test('an unknown mechanism is an Error naming the known ones; none stands in for another', () => {
  for (const m of ['nope', 'hotstuff', 'Raft', 42]) {
    assert.throws(() => new ConsensusTrait('x', { mechanism: m }), /Unknown consensus mechanism .* \(known: simple_majority, raft, paxos, pbft, gossip/);
  }
  assert.equal(new ConsensusTrait('x', { mechanism: 'pbft' }).getDebugState().core, 'pbft');
  assert.equal(new ConsensusTrait('x', { mechanism: 'vote' }).getDebugState().core, 'vote');
});

test('bad arguments throw an Error naming the parameter', () => {
  const a = new ConsensusTrait('a', { mechanism: 'raft' });
  const cases = [
    [() => new ConsensusTrait('', {}), /^nodeId /],
    [() => new ConsensusTrait(7), /^nodeId /],
    [() => new ConsensusTrait('a', 'raft'), /^config /],
    [() => new ConsensusTrait('a', { timeout: -1 }), /^config\.timeout /],
    [() => new ConsensusTrait('a', { electionTimeout: [5, 1] }), /^config\.electionTimeout /],
    [() => new ConsensusTrait('a', { quorm: 0.5 }), /^config\.quorm is not an option/],
    [() => new ConsensusTrait('a', { quorum: -2 }), /^config\.quorum /],
    [() => new ConsensusTrait('a', { quorum: 'most' }), /^config\.quorum /],
    [() => new ConsensusTrait('a', { policy: 'maybe' }), /^config\.policy /],
    [() => new ConsensusTrait('a', { nodes: 'b' }), /^config\.nodes /],
    [() => new ConsensusTrait('a', { mechanism: 'raft', quorum: 0.5 }), /^config\.quorum is an option of simple_majority/],
    [() => new ConsensusTrait('a', { nodes: [{ address: 'h' }] }), /^config\.nodes\[0\]\.id /],
    [() => a.addNode('b'), /^node /],
    [() => a.addNode({ id: 'b', metadata: 3 }), /^node\.metadata /],
    [() => a.removeNode(''), /^nodeId /],
    [() => a.setMessageSender('x'), /^messageSender /],
    [() => a.handleMessage(1, {}), /^fromNodeId /],
    [() => a.handleMessage('b', 'hi'), /^message /],
    [() => a.proposeWithResult('', 1), /^key /],
    [() => a.proposeWithResult('k', undefined), /^value /],
    [() => a.proposeWithResult('k', { f() {}, x: 1n }), /^value /],
    [() => a.get(3), /^key /],
    [() => a.subscribe('k', 3), /^callback /],
    [() => a.on('leader:electd', () => {}), /^event must be one of/],
    [() => a.on('leader:elected', 3), /^listener /],
    [() => a.vote('p', 'yes'), /^approve /],
    [() => a.vote('p', true), /only simple_majority agents vote by hand/],
  ];
  for (const [fn, re] of cases) assert.throws(fn, (e) => e instanceof Error && re.test(e.message), String(fn));
  // A node with peers and no transport cannot start, and says so.
  assert.throws(() => new ConsensusTrait('a', { nodes: ['b'] }).start(), { message: /^messageSender: / });
});

test('a partitioned minority: partition:detected {side, reachable}, writes fail fast with "no quorum", get serves the last value; heal → partition:healed', LIMIT, async () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const c = cluster('raft', ids, { timeout: 300 });
  c.start();
  await c.until(() => agreed(c));
  const r0 = await commit(c.get('a'), 'k', 'before');
  assert.equal(r0.accepted, true, r0.error);
  await c.until(() => c.all().every((x) => x.get('k') === 'before'));
  const [a, b, d] = [c.get('a'), c.get('b'), c.get('d')];
  // Peers go silent one by one: the events follow, and settle on each side's final view.
  const minority = next(a, 'partition:detected', (i) => i.side === 'minority' && i.reachable.length === 2);
  const minorityB = next(b, 'partition:detected', (i) => i.side === 'minority');
  const majority = next(d, 'partition:detected', (i) => i.side === 'majority' && i.reachable.length === 3);
  const unreachable = next(a, 'node:unreachable');
  c.partition([['a', 'b'], ['c', 'd', 'e']]);
  const [info] = await minority;
  assert.equal(info.side, 'minority');
  assert.deepEqual(info.reachable, ['a', 'b']);
  assert.ok(['c', 'd', 'e'].includes((await unreachable)[0]));
  const [infoMajority] = await majority;
  assert.equal(infoMajority.side, 'majority');
  assert.deepEqual(infoMajority.reachable, ['c', 'd', 'e']);
  await minorityB;
  // Read-only mode on the minority side.
  const rejected = next(b, 'proposal:rejected');
  const r = await b.proposeWithResult('k', 'minority write');
  assert.equal(r.accepted, false);
  assert.match(r.error, /no quorum/);
  assert.equal((await rejected)[0].proposalId, r.proposalId);
  assert.equal(await a.propose('k', 'x'), false);
  assert.equal(a.get('k'), 'before');
  assert.equal(b.get('k'), 'before');
  // The majority side elects (if it must) and writes.
  await c.until(() => agreed(c, ['c', 'd', 'e']));
  const ra = await commit(d, 'k', 'after');
  assert.equal(ra.accepted, true, ra.error);
  // Heal: events on both sides, and the minority catches up.
  const healed = [a, b, d].map((x) => next(x, 'partition:healed'));
  const reconnected = next(a, 'node:reconnected');
  c.heal();
  await Promise.all(healed);
  await c.until(() => agreed(c));
  assert.ok(['c', 'd', 'e'].includes((await reconnected)[0]));
  await c.until(() => c.all().every((x) => x.get('k') === 'after'));
  const rh = await commit(b, 'k', 'healed');
  assert.equal(rh.accepted, true, rh.error);
  c.stop();
});

test('stop() settles every pending proposal and clears the timers; a stopped agent ignores messages', LIMIT, async () => {
  const c = cluster('simple_majority', ['a', 'b'], {}, (id) => (id === 'b' ? { policy: 'manual' } : {}));
  c.start();
  const p = c.get('a').proposeWithResult('k', 1);
  c.get('a').stop();
  const r = await p;
  assert.deepEqual([r.accepted, r.status], [false, 'rejected']);
  assert.match(r.error, /stopped/);
  assert.equal(c.get('a').running, false);
  c.get('a').handleMessage('b', { type: 'Vote', proposalId: r.proposalId, approve: true });
  assert.equal(await c.get('a').propose('k', 2), false, 'a stopped agent does not write');
  c.stop();
});

test("the README's first ConsensusTrait example runs as written and exits", LIMIT, async () => {
  const { readFileSync, writeFileSync, rmSync } = await import('node:fs');
  const { execFile } = await import('node:child_process');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Agents that agree for real: ConsensusTrait'));
  const code = section.match(/```js\n([\s\S]*?)```/)[1];
  // Inside the package, so that 'consensus-playground' resolves to itself through "exports".
  const file = new URL(`./.readme-agents-${process.pid}.mjs`, import.meta.url);
  writeFileSync(file, code);
  try {
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, [file.pathname], { timeout: 15_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
    const lines = out.trim().split('\n').filter((l) => !/ leads term /.test(l));
    assert.deepEqual(lines, ['true', '[ 100, 100, 100 ]', 'true { for: 2, against: 0, total: 3 } 2', 'true']);
    assert.match(out, /node-00\d: node-00\d leads term \d+/);
  } finally {
    rmSync(file, { force: true });
  }
});

test('the transport kit: agents over BroadcastChannel (one channel, each keeps what is addressed to it) agree', LIMIT, async () => {
  const { connectBroadcastChannel } = await import('consensus-playground');
  const ids = ['a', 'b', 'c'];
  const name = `agents-trait-${process.pid}`;
  const agents = ids.map((id) => new ConsensusTrait(id, { mechanism: 'raft', ...FAST, nodes: ids }));
  let onRefused;
  const refused = new Promise((resolve) => (onRefused = resolve));
  const links = agents.map((a) => connectBroadcastChannel(a, name, { onError: (e) => onRefused(e.message) }));
  const applied = agents.map((a) => new Promise((resolve) => a.subscribe('k', resolve)));
  for (const a of agents) a.start();
  // A stranger on the channel, addressing a: dropped (a Raft agent ignores servers outside its
  // configuration, as a joining one is until it is added). A malformed message: dropped and
  // reported, never thrown into the channel.
  const stranger = new BroadcastChannel(name);
  stranger.postMessage({ from: 'z', to: 'a', message: { type: 'AgentHeartbeat' } });
  stranger.postMessage({ from: 'b', to: 'a', message: 'not an object' });
  const r = await agents[2].proposeWithResult('k', 'over BroadcastChannel');
  assert.equal(r.accepted, true, r.error);
  assert.deepEqual(await Promise.all(applied), ['over BroadcastChannel', 'over BroadcastChannel', 'over BroadcastChannel']);
  assert.match(await refused, /^message must be an object with a string type/);
  stranger.close();
  for (const a of agents) a.stop();
  for (const l of links) l.close();
});
