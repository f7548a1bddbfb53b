// The JS Simulation hosts the Byzantine mechanisms (issue #12 §2, §7): `new Simulation({protocol:
// 'pbft' | 'hotstuff' | 'generals', byzantine: {n1: 'equivocate'}})`, `setByzantine`,
// `byzantine()`, `Simulation.behaviours(protocol)`, node views with the view, role, the
// traitor's behaviour and (PBFT) the phase per sequence number, and errors that name the
// parameter and the rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pkg, { throwsError } from './wasm-package.mjs';

const { Simulation } = pkg;

test('PBFT, HotStuff and the generals answer the generic methods', () => {
  for (const protocol of ['pbft', 'hotstuff', 'generals']) {
    const sim = new Simulation({ protocol, nodes: 4, seed: 2 });
    assert.equal(sim.protocol, protocol);
    assert.equal(sim.config.protocol, protocol);
    assert.deepEqual(sim.ids, ['n1', 'n2', 'n3', 'n4']);
    sim.runUntil(100);
    sim.clientRequest(protocol === 'generals' ? 'retreat' : { put: 'x' });
    sim.runUntil(600);
    assert.ok(sim.nodes().every((n) => n.id && typeof n.state === 'string' && n.crashed === false && n.byzantine === null), protocol);
    sim.crash('n4');
    sim.pause('n3');
    sim.resume('n3');
    sim.restart('n4');
    sim.partition([['n1'], ['n2', 'n3', 'n4']]);
    sim.heal();
    sim.runUntil(2000);
    assert.ok(sim.stats().messagesSent > 0, protocol);
    assert.ok(sim.eventsSince(0).length > 0, protocol);
    assert.deepEqual(sim.violations(), [], protocol);
    assert.ok(Simulation.bugList(protocol).length >= 3, protocol);
    assert.deepEqual(Simulation.behaviours(protocol).slice(0, 2).map((b) => b.name), ['silent', 'mute']);
  }
});

test('the byzantine option, setByzantine and byzantine() name the traitors; node views carry their behaviour', () => {
  const sim = new Simulation({ protocol: 'pbft', nodes: 4, seed: 1, byzantine: { n4: 'slow', n2: { behaviour: 'mute', to: ['n3'] } } });
  assert.deepEqual(sim.byzantine(), { n2: { behaviour: 'mute', to: ['n3'] }, n4: 'slow' });
  assert.deepEqual(sim.nodes().map((n) => n.byzantine), [null, 'mute', null, 'slow']);
  sim.setByzantine('n2', null);
  sim.setByzantine('n1', 'equivocate');
  assert.deepEqual(sim.byzantine(), { n1: 'equivocate', n4: 'slow' });
  assert.ok(sim.eventsSince(0).some((e) => e.kind === 'byzantine' && e.node === 'n1'), 'the event log says so');
  assert.deepEqual(Simulation.behaviours('pbft').map((b) => b.name), ['silent', 'mute', 'equivocate', 'wrong-digest', 'replay', 'slow', 'lie-in-view-change']);
  assert.ok(Simulation.behaviours('pbft').every((b) => b.does.length > 10));
  // Raft has only the simulator's: a traitor there is silent or mute.
  assert.deepEqual(Simulation.behaviours('raft').map((b) => b.name), ['silent', 'mute']);
});

test('bad traitors are refused with an Error naming the parameter, and the simulation is unchanged', () => {
  const sim = new Simulation({ protocol: 'pbft', nodes: 4, seed: 1 });
  throwsError(() => sim.setByzantine('n1', 'lie'), /^behaviour must be one of silent, mute, equivocate, wrong-digest, replay, slow, lie-in-view-change \(got "lie"\)/);
  throwsError(() => sim.setByzantine('n9', 'silent'), /^id must be a node id/);
  throwsError(() => sim.setByzantine('n1', 'mute'), /^behaviour\.to must list the nodes a mute traitor says nothing to/);
  throwsError(() => sim.setByzantine('n1', { behaviour: 'mute', to: ['n1'] }), /^to must list other nodes of the cluster \(n1 is the traitor itself\)/);
  throwsError(() => sim.setByzantine('n1', { behaviour: 'mute', to: ['n7'] }), /^behaviour\.to\[0\] must be a node id/);
  throwsError(() => sim.setByzantine('n1', 3), /^behaviour must be null, a behaviour/);
  throwsError(() => new Simulation({ protocol: 'pbft', nodes: 4, byzantine: { n5: 'silent' } }), /^byzantine\.n5 must be a node id/);
  throwsError(() => new Simulation({ protocol: 'pbft', nodes: 4, byzantine: 'n1' }), /^byzantine must be an object/);
  throwsError(() => new Simulation({ protocol: 'hotstuff', byzantine: { n1: 'slow' } }), /^byzantine\.n1 must be one of silent, mute, equivocate, fork, double-vote/);
  assert.deepEqual(sim.byzantine(), {});
  sim.runUntil(500);
  assert.deepEqual(sim.violations(), []);
});

test('PBFT node views: view, primary, watermarks and per sequence number the phase and one slot per sender (§4.2)', () => {
  const sim = new Simulation({ protocol: 'pbft', nodes: 4, seed: 5 });
  assert.equal(sim.config.faultsTolerated, 1);
  assert.equal(sim.config.quorum, 3);
  sim.clientRequest({ put: 'x', value: '1' });
  sim.runUntil(8);
  const [n1, n2] = sim.nodes();
  assert.equal(n1.state, 'primary');
  assert.equal(n2.state, 'backup');
  assert.equal(n2.primaryId, 'n1');
  assert.equal(n1.log[0].phase, 'pre-prepared');
  assert.deepEqual(n1.log[0].request, { operation: { put: 'x', value: '1' }, timestamp: 1, client: 'n1' });
  const pp = sim.messages().find((m) => m.kind === 'PrePrepare');
  assert.equal(pp.seq, 1);
  assert.equal(pp.digest, n1.log[0].digest);
  assert.equal(pp.digest, pkg.pbftDigest(n1.log[0].request));
  sim.runUntil(1000);
  for (const n of sim.nodes()) {
    assert.equal(n.executed, 1, n.id);
    assert.equal(n.log[0].phase, 'executed');
    // prepared: 2f matching prepares from distinct backups; committed-local: 2f + 1 commits.
    assert.ok(new Set(n.log[0].prepares.map((p) => p.from)).size >= (n.id === 'n1' ? 2 : 1), n.id);
    assert.ok(n.log[0].commits.length >= 3, n.id);
    assert.ok(n.log[0].prepares.every((p) => p.from !== 'n1'), 'the primary sends no prepare');
  }
  assert.deepEqual(sim.violations(), []);
});

test('PBFT: a silent primary costs one view change, then requests execute again (§4.4)', () => {
  const sim = new Simulation({ protocol: 'pbft', nodes: 4, seed: 6, byzantine: { n1: 'silent' } });
  sim.startClients({ clients: 1 });
  sim.runUntil(3000);
  const nodes = sim.nodes();
  for (const n of nodes.slice(1)) {
    assert.equal(n.view, 1, n.id);
    assert.equal(n.primaryId, 'n2');
    assert.ok(n.executed >= 3, `${n.id} executed ${n.executed}`);
  }
  assert.equal(sim.leader(), 'n2');
  assert.deepEqual(sim.violations(), []);
});

test('PBFT: f + 1 traitors (the primary and a backup equivocating, N = 4) break agreement, and the violation names the honest replicas', () => {
  const sim = new Simulation({ protocol: 'pbft', nodes: 4, seed: 8, byzantine: { n1: 'equivocate', n2: 'equivocate' } });
  sim.clientRequest('a');
  sim.runUntil(500);
  const v = sim.violations()[0];
  assert.ok(v, 'a violation');
  assert.match(v.rule, /Agreement/);
  assert.deepEqual([...v.nodes].sort(), ['n3', 'n4']);
  // The same with one traitor (f = 1): nothing breaks.
  const one = new Simulation({ protocol: 'pbft', nodes: 4, seed: 8, byzantine: { n1: 'equivocate' } });
  one.clientRequest('a');
  one.runUntil(3000);
  assert.deepEqual(one.violations(), []);
});

test('HotStuff node views: the block tree with its QCs, the locked block and the committed height (§5)', () => {
  const sim = new Simulation({ protocol: 'hotstuff', nodes: 4, seed: 1 });
  sim.clientRequest({ put: 'x', value: '1' });
  sim.runUntil(600);
  const n = sim.nodes()[0];
  assert.ok(n.executedHeight > 0);
  const ids = new Set(n.blocks.map((b) => b.id));
  for (const b of n.blocks) {
    assert.match(b.id, /^(0|[1-9][0-9]*)$/, 'decimal digits, as createConsensus spells them');
    assert.equal(b.justify.voters.length >= 3 || b.justify.block === '0', true, 'a QC is 2f + 1 votes');
    if (b.id !== '0' && ids.has(b.parent)) assert.equal(n.blocks.find((p) => p.id === b.parent).height, b.height - 1);
  }
  assert.ok(n.lockedQc.view <= n.highQc.view);
  assert.ok(n.blocks.some((b) => b.commands.some((c) => c.put === 'x')) || n.kv.x === '1');
  const proposal = sim.messages().find((m) => m.kind === 'Proposal');
  assert.ok(proposal && proposal.block.id && proposal.view === proposal.block.view);
});

test('the generals: OM(1) with four agrees despite a lying commander; with three, IC1 fails as the paper says (§2, §3)', () => {
  const four = new Simulation({ protocol: 'generals', nodes: 4, seed: 1, byzantine: { n1: 'lie' } });
  assert.equal(four.config.messagesPerRun, 9);
  four.runUntil(400);
  const d = four.decisions(0);
  assert.equal(new Set(Object.values(d.decisions)).size, 1, 'the loyal lieutenants agree');
  assert.equal(Object.keys(d.decisions).length, 3);
  assert.deepEqual(four.violations(), []);
  const lieutenant = four.nodes()[1];
  assert.equal(lieutenant.state, 'lieutenant');
  assert.equal(lieutenant.runs[0].received.length, 3, 'one value from the commander, one relayed by each other lieutenant');
  assert.equal(lieutenant.runs[0].verdict.votes, 3);
  const three = new Simulation({ protocol: 'generals', nodes: 3, seed: 1, byzantine: { n1: 'lie' } });
  three.runUntil(400);
  assert.equal(three.violations()[0].rule, 'IC1');
  throwsError(() => three.startRun('charge'), /^order must be 'attack' or 'retreat'/);
  throwsError(() => new Simulation({ protocol: 'generals', nodes: 4, commander: 'n9' }), /^commander must name a general, n1 to n4/);
  throwsError(() => new Simulation({ protocol: 'pbft' }).startRun('attack'), /^startRun is an action of generals simulations \(this one runs pbft\)/);
});
