// Issue #15 §1: `raft.addNode(...)` and `raft.removeNode(...)` on a running cluster. Raft changes
// its membership one server at a time through the log (dissertation §4.1): an agent asks the
// leader (forwarding the request if it is a follower), the leader appends the configuration entry
// with the core's changeMembership, and every agent follows the configuration it holds
// (`membership:changed`); once a removal is committed, `node:removed` fires and the removed agent
// stops (a removed follower learns it from the members it tries to reach, §4.2.3). In-memory
// transport (tests/agents-cluster.mjs); the tests wait for events and conditions, never for time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsensusTrait } from 'consensus-playground';
import { cluster } from './agents-cluster.mjs';

const CONFIG = { timeout: 2000, heartbeatInterval: 10, electionTimeout: [40, 80] };
const members = (a) => a.getDebugState().members;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Records every agent's membership events as [agentId, event, payload]. */
function record(agents) {
  const seen = [];
  for (const a of agents) {
    const id = a.getNodeId();
    a.on('membership:changed', (e) => seen.push([id, 'membership:changed', e]));
    a.on('node:removed', (m) => seen.push([id, 'node:removed', m]));
    a.on('membership:rejected', (e) => seen.push([id, 'membership:rejected', e]));
  }
  return seen;
}

test('raft agents while running: a follower adds a fifth agent, which catches up and votes; writes commit before, during and after', { timeout: 60_000 }, async () => {
  const c = cluster('raft', ['a', 'b', 'c', 'd'], CONFIG);
  c.start();
  await c.ready();
  const leader = c.all().find((a) => a.isLeader());
  const follower = c.all().find((a) => !a.isLeader());
  for (let k = 0; k < 5; k++) assert.equal(await follower.propose(`k${k}`, k), true);

  const e = c.add('e');
  const seen = record([...c.all()]);
  e.start();
  follower.addNode({ id: 'e', address: 'e.local:5000', metadata: { region: 'eu-west' } });
  assert.equal(members(follower).includes('e'), false, 'a request, not yet a change');
  const five = ['a', 'b', 'c', 'd', 'e'];
  await c.until(() => c.all().every((a) => same(members(a), five)));
  // The new agent applied everything committed before it joined.
  await c.until(() => e.get('k4') === 4);
  for (let k = 0; k < 5; k++) assert.equal(e.get(`k${k}`), k);
  // Every agent of the old configuration announced the change once; the requester kept the address it was given.
  for (const id of ['a', 'b', 'c', 'd']) {
    const mine = seen.filter(([who, name]) => who === id && name === 'membership:changed');
    assert.equal(mine.length, 1, `${id}: one membership:changed`);
    assert.deepEqual(mine[0][2].members, five);
    assert.deepEqual(mine[0][2].added, ['e']);
    assert.deepEqual(mine[0][2].removed, []);
  }
  assert.deepEqual(follower.getNodes().find((n) => n.id === 'e'), { id: 'e', address: 'e.local:5000', metadata: { region: 'eu-west' }, self: false, reachable: true });
  assert.equal(leader.getDebugState().coreView.members.length, 5, 'the leader replicates to five');

  // With five members a write needs three: cut two old members off, and the new one makes the quorum.
  const [x, y] = c.all().filter((a) => a !== leader && a !== e).map((a) => a.getNodeId());
  c.partition([[x, y], five.filter((id) => id !== x && id !== y)]);
  assert.equal(await e.propose('after', 'joined'), true);
  assert.equal(e.get('after'), 'joined');
  c.heal();
  await c.everywhere('after', 'joined');
  // Asking again for a member it has is no change.
  follower.addNode({ id: 'e' });
  assert.equal(await leader.propose('still', 5), true);
  await c.everywhere('still', 5);
  assert.deepEqual(members(leader), five);
  assert.equal(seen.filter(([, name]) => name === 'membership:changed').length, 4 + 0, 'no further change');
});

test('raft agents while running: a removed follower and a removed leader stop; the rest elect and commit', { timeout: 60_000 }, async () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const c = cluster('raft', ids, CONFIG);
  c.start();
  await c.ready();
  const seen = record(c.all());
  const leader = c.all().find((a) => a.isLeader());
  const [asker, gone] = c.all().filter((a) => a !== leader);
  assert.equal(await asker.propose('x', 1), true);

  // A follower asks to remove another follower.
  assert.equal(asker.removeNode(gone.getNodeId()), true);
  const four = ids.filter((id) => id !== gone.getNodeId());
  await c.until(() => c.all().filter((a) => a !== gone).every((a) => same(members(a), four)));
  // The removed follower hears from no leader; the members it asks for votes tell it (§4.2.3).
  await c.until(() => !gone.running);
  assert.equal(gone.getDebugState().removed, true);
  assert.ok(seen.some(([who, name, m]) => who === gone.getNodeId() && name === 'node:removed' && m === gone.getNodeId()), 'the removed agent learned it');
  assert.ok(seen.some(([who, name, m]) => who === leader.getNodeId() && name === 'node:removed' && m === gone.getNodeId()));
  assert.throws(() => gone.start(), /^Error: start: \w was removed from its cluster/);

  // Then the leader itself: it leads until the entry commits, then steps down and stops.
  const three = four.filter((id) => id !== leader.getNodeId());
  assert.equal(asker.removeNode(leader.getNodeId()), true);
  await c.until(() => !leader.running);
  assert.equal(leader.getDebugState().removed, true);
  const rest = c.all().filter((a) => three.includes(a.getNodeId()));
  await c.until(() => {
    const l = rest.map((a) => a.getLeader());
    return l[0] !== null && three.includes(l[0]) && l.every((v) => v === l[0]);
  });
  for (const a of rest) assert.deepEqual(members(a), three);
  // Three members: a write needs two.
  assert.equal(await asker.propose('y', 2), true);
  await c.until(() => rest.every((a) => a.get('y') === 2));
  assert.equal(gone.get('y'), undefined);
  for (const a of rest) assert.equal(a.get('x'), 1, 'nothing committed was lost');
  assert.equal(seen.filter(([, name]) => name === 'membership:rejected').length, 0);
});

test('membership while running: what is refused, and where', { timeout: 30_000 }, async () => {
  const c = cluster('raft', ['a', 'b', 'c'], CONFIG);
  c.start();
  await c.ready();
  const a = c.get('a');
  assert.equal(a.removeNode('zz'), false, 'not a member: nothing to remove');
  assert.throws(() => a.removeNode('a'), /^Error: nodeId must not be this agent itself/);
  assert.throws(() => a.addNode({ id: 'd', metadata: 3 }), /^Error: node\.metadata must be an object/);
  // Other mechanisms keep their members while running.
  const v = cluster('simple_majority', ['p', 'q', 'r'], { timeout: 2000 });
  v.start();
  assert.throws(() => v.get('p').addNode({ id: 's' }), /^Error: addNode: p is running; the membership of a simple_majority cluster is fixed while it runs/);
  // A change the cluster cannot make in time is rejected where it was asked for: add a server
  // while no quorum is reachable.
  c.partition([['a'], ['b', 'c']]);
  const rejected = new Promise((resolve) => a.once('membership:rejected', resolve));
  a.addNode({ id: 'd' });
  const r = await rejected;
  assert.equal(r.op, 'add');
  assert.equal(r.nodeId, 'd');
  assert.match(r.error, /^adding d was not committed within 2000 ms/);
  c.heal();
  // A new agent that lists a cluster that has not added it is just not heard: nothing breaks.
  const stray = new ConsensusTrait('z', { mechanism: 'raft', ...CONFIG, nodes: ['a', 'b', 'c'], messageSender: (to, m) => setTimeout(() => c.get(to).handleMessage('z', m), 0) });
  stray.start();
  assert.equal(await c.get('b').propose('k', 'v'), true);
  await c.everywhere('k', 'v');
  assert.equal(stray.get('k'), undefined);
  stray.stop();
  for (const x of c.all()) assert.deepEqual(members(x), ['a', 'b', 'c']);
});
