// Real processes, real faults (issue #15 §2): 5 agents as 5 Node worker threads (not one
// simulation), each importing the package by name and reaching its peers over the transport
// kit's MessagePorts. Raft: elect a leader, commit 1,000 proposals, terminate the leader's worker
// mid-stream, and check that no acknowledged write is lost and a new leader takes over; then cut
// the transport between two groups and check the events and the minority's read-only mode, and
// heal; the same for simple_majority and pbft, and each with a traitor (a test transport that
// rewrites its messages). The operations the raft and pbft runs issue go to a history that the
// project's checker (`consensus-sim lincheck`) must find linearizable. Tests wait for events,
// never for time.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, before, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { meshPorts } from 'consensus-playground';
import { ROOT } from '../scripts/setup.mjs';

const BIN = join(ROOT, 'target/release/consensus-sim');
before(() => {
  execFileSync('cargo', ['build', '--quiet', '--release', '--bin', 'consensus-sim'], { cwd: ROOT, stdio: 'inherit' });
});

const WORKER = new URL('./agents-worker.mjs', import.meta.url);
const CONFIG = { mechanism: 'raft', timeout: 1000, heartbeatInterval: 20, electionTimeout: [150, 300] };

// Every cluster's workers are terminated after its test, passed or failed: a failed assertion
// must not leave threads running (the file would never exit). After a passing test they have
// stopped already.
const clusters = new Set();
afterEach(async () => {
  await Promise.all([...clusters].flatMap((threads) => [...threads.values()].map((w) => w.terminate())));
  clusters.clear();
});

/**
 * Starts one worker per id, wired into a full mesh; returns the cluster's handle. `traitors`:
 * {id: lies} (see agents-worker.mjs); with any, the honest agents report the messages they
 * refuse as `refused` events rather than fail. `perNode`: {id: settings} over `config`.
 */
async function workers(ids, config = CONFIG, traitors = {}, perNode = {}) {
  const mesh = meshPorts(ids);
  const threads = new Map();
  const listeners = new Set();
  const replies = new Map();
  let n = 0;
  const exited = new Set();
  clusters.add(threads);
  await Promise.all(
    ids.map(
      (id) =>
        new Promise((resolve, reject) => {
          const w = new Worker(WORKER, {
            workerData: { id, ids, config: { ...config, ...perNode[id] }, traitor: traitors[id] ?? null, reportRefused: Object.keys(traitors).length > 0 },
          });
          threads.set(id, w);
          w.on('error', reject);
          w.on('exit', () => {
            exited.add(id);
            // Whatever it had not answered is lost with it: unacknowledged.
            for (const [k, r] of replies) if (r.id === id) (replies.delete(k), r.resolve(null));
          });
          w.on('message', (m) => {
            if (m.op === 'ready') resolve();
            else if (m.op === 'event') for (const l of [...listeners]) l(m);
            else if (m.op === 'result' || m.op === 'state') {
              const r = replies.get(m.n);
              replies.delete(m.n);
              r?.resolve(m.op === 'result' ? m.result : m.state);
            }
          });
        }),
    ),
  );
  for (const id of ids) threads.get(id).postMessage({ op: 'ports', ports: mesh[id] }, Object.values(mesh[id]));
  const ask = (id, msg) =>
    exited.has(id)
      ? Promise.resolve(null)
      : new Promise((resolve) => {
          const k = ++n;
          replies.set(k, { id, resolve });
          threads.get(id).postMessage({ ...msg, n: k });
        });
  return {
    live: () => ids.filter((id) => !exited.has(id)),
    post: (id, msg) => threads.get(id).postMessage(msg),
    /** → the result, or null when the worker died first. */
    propose: (id, key, value) => ask(id, { op: 'propose', key, value }),
    /** compareAndSwap at `id` → the result, or null when the worker died first. */
    cas: (id, key, expected, value) => ask(id, { op: 'cas', key, expected, value }),
    state: (id) => ask(id, { op: 'state' }),
    /** The next event (from any worker) passing `filter`. */
    event: (filter) =>
      new Promise((resolve) => {
        const l = (m) => {
          if (!filter(m)) return;
          listeners.delete(l);
          resolve(m);
        };
        listeners.add(l);
      }),
    on: (fn) => listeners.add(fn),
    kill: (id) => threads.get(id).terminate(),
    async stop() {
      await Promise.all(
        ids.filter((id) => !exited.has(id)).map((id) => new Promise((resolve) => {
          threads.get(id).once('exit', resolve);
          threads.get(id).postMessage({ op: 'stop' });
        })),
      );
    },
  };
}

/** Resolves once every id in `ids` has heard leader:elected naming one same leader (not in `not`). */
function agreeOnLeader(c, ids, not = []) {
  const known = new Map();
  return new Promise((resolve) => {
    c.on((m) => {
      if (m.name !== 'leader:elected' || !ids.includes(m.id)) return;
      known.set(m.id, m.args[0]);
      const l = [...known.values()];
      if (known.size === ids.length && l.every((x) => x === l[0]) && !not.includes(l[0])) resolve(l[0]);
    });
  });
}

/**
 * compareAndSwap(key, READ, READ) changes nothing whatever `key` holds (at best it swaps READ for
 * READ), and its result's `seen` is the value at the command's place in the log: a read through
 * the log, linearizable as any command is (Ongaro's dissertation §6.4, the simple way to serve
 * reads: log them). The history records it as a `get`. An agent's own `get` is not recorded: it
 * is local, and a follower's copy may be stale.
 */
const READ = '(a read through the log)';

/**
 * The history of the operations a test issues through the workers, in the JSON Lines form
 * `consensus-sim lincheck` reads: `{client, op: put|cas|get, key, value | from, to, call, return,
 * ok, output}`, values as their JSON text (the checker's values are strings). Times are the main
 * thread's `performance.now()` in ms: `call` just before the request is posted to the worker,
 * `return` when its answer comes back; whatever the operation did, it did in between, so the two
 * bound it in real time, as linearizability asks.
 *
 * An outcome is known when the answer is `accepted` (the proposer applied its command at its
 * place in the log; a swap's `swapped` and a read's `seen` are what the command found there).
 * It is unknown — `return: null`, which the checker may linearize anywhere after the call, or
 * last, where it changes nothing anyone saw — when no answer came (the worker was terminated:
 * null), when it timed out (the command may still be committed: the agent says "the outcome is
 * unknown"), and when it was rejected for any reason but one. That one: `rejected` with "no
 * quorum", which is left out because it had no effect: consensus-trait.js's #submit refuses the
 * command while the agent is on the minority side, before handing it to the core or sending it
 * to anyone. (The other rejections are not all harmless: stop() settles a command still pending
 * as "stopped before … was decided", and it may have been forwarded to the leader already.)
 *
 * A client is one process of the history, one operation at a time. The checker pairs each
 * process's calls and returns in order, so a client whose operation's outcome is unknown (its
 * return never comes) goes on as a new process, as Jepsen renumbers a process whose operation
 * crashed. Kept as one process, the unknown call would be paired with the next operation's
 * return (and that operation with the unknown's), so the unknown operation could only take
 * effect after the next one's call: a false alarm when a read saw its effect before that.
 */
function history(c) {
  const t0 = performance.now();
  const now = () => Math.round((performance.now() - t0) * 1000) / 1000;
  const text = (v) => (v === undefined ? null : JSON.stringify(v));
  const lines = [];
  let processes = 0;
  async function record(client, fields, ask, outcome) {
    const call = now();
    const r = await ask();
    const ret = now();
    assert.notEqual(r?.status, 'threw', r?.error); // a call the agent refused outright: the test's mistake
    if (r?.status === 'rejected' && /^no quorum/.test(r.error)) return r;
    if (r?.status === 'accepted') lines.push({ client: client.process, ...fields, call, return: ret, ...outcome(r) });
    else {
      lines.push({ client: client.process, ...fields, call, return: null });
      client.process = processes++;
    }
    return r;
  }
  return {
    lines,
    /** A new client (its own process). */
    client: () => ({ process: processes++ }),
    put: (client, at, key, value) => record(client, { op: 'put', key, value: text(value) }, () => c.propose(at, key, value), () => ({ ok: true })),
    cas: (client, at, key, from, to) => record(client, { op: 'cas', key, from: text(from), to: text(to) }, () => c.cas(at, key, from, to), (r) => ({ ok: r.swapped })),
    read: (client, at, key) => record(client, { op: 'get', key }, () => c.cas(at, key, READ, READ), (r) => ({ ok: true, output: text(r.seen) })),
  };
}

/** What a history holds, in a line (a test's diagnostic). */
function summary(lines) {
  const count = (f) => lines.filter(f).length;
  return (
    `history: ${lines.length} operations (${count((l) => l.op === 'put')} writes, ${count((l) => l.op === 'cas' && l.ok === true)} swaps won, ` +
    `${count((l) => l.op === 'cas' && l.ok === false)} refused, ${count((l) => l.op === 'get')} reads through the log), ${count((l) => l.return === null)} with unknown outcomes`
  );
}

/** `consensus-sim lincheck` on `lines` → {status, verdict}. */
function lincheck(lines) {
  const r = spawnSync(BIN, ['lincheck'], { input: lines.map((l) => JSON.stringify(l)).join('\n'), encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `lincheck failed: ${r.stderr}`);
  return { status: r.status, verdict: JSON.parse(r.stdout) };
}

/** Asserts `lines` are linearizable; when not, the checker's words and a file holding the history. */
function assertLinearizable(lines) {
  const { verdict } = lincheck(lines);
  if (verdict.linearizable) return assert.equal(verdict.operations, lines.length);
  const file = join(tmpdir(), `agents-workers-history-${process.pid}-${Date.now()}.jsonl`);
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
  assert.fail(`${verdict.failure} (the history: ${file}; consensus-sim lincheck ${file})`);
}

test('raft, 5 worker threads: 1,000 proposals, the leader\'s worker terminated mid-stream: no acknowledged write is lost, a new leader takes over, and the history of every operation is linearizable', { timeout: 120_000 }, async (t) => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const c = await workers(ids);
  const h = history(c);
  const elected = agreeOnLeader(c, ids);
  for (const id of ids) c.post(id, { op: 'start' });
  const first = await elected;
  let leader = first;
  c.on((m) => m.name === 'leader:elected' && (leader = m.args[0]));
  const setup = h.client();
  assert.equal((await h.put(setup, first, 'n', 0))?.accepted, true);
  const TOTAL = 1000;
  let ackedBeforeKill = 0;
  const acknowledged = new Set();
  let killed = null;
  let newLeader = null;
  let next = 0;
  // A client per agent: each sends its writes one after another (k<i> = i), retrying a write the
  // cluster did not acknowledge on another live agent, so all 1,000 are committed in the end.
  // Every 10th write of a client is followed by a compare-and-swap increment of the counter n
  // from the value that client last saw (often stale: the clients race, and a refused swap
  // tells it the current value), and by reads through the log of n and of a recent write.
  async function client(k) {
    const me = h.client();
    let n = 0;
    for (let ops = 1; ; ops++) {
      const i = next++;
      if (i >= TOTAL) return;
      if (i === 300 && !killed) {
        killed = leader;
        ackedBeforeKill = acknowledged.size;
        newLeader = agreeOnLeader(c, ids.filter((x) => x !== killed), [killed]);
        await c.kill(killed);
      }
      for (let attempt = 0; ; attempt++) {
        const live = c.live();
        const at = live[(k + attempt) % live.length];
        const r = await h.put(me, at, `k${i}`, i);
        if (r?.accepted) {
          acknowledged.add(i);
          break;
        }
        assert.ok(attempt < 50, `k${i} never acknowledged: ${r?.error}`);
      }
      if (ops % 10 === 0) {
        const live = c.live();
        const at = live[(k + ops) % live.length];
        const s = await h.cas(me, at, 'n', n, n + 1);
        if (s?.accepted) n = s.current;
        await h.read(me, at, 'n');
        await h.read(me, at, `k${Math.max(0, i - 5)}`);
      }
    }
  }
  await Promise.all(ids.map((_, k) => client(k)));
  assert.equal(acknowledged.size, TOTAL);
  assert.ok(killed, 'the leader was terminated mid-stream');
  assert.ok(ackedBeforeKill > 0 && ackedBeforeKill < TOTAL, `${ackedBeforeKill} writes acknowledged before the kill`);
  const second = await newLeader;
  assert.notEqual(second, killed);
  // A last write, applied after every earlier one in log order: once each survivor applies it,
  // each must hold every acknowledged write.
  const survivors = c.live();
  const applied = Promise.all(survivors.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[0] === 'done')));
  assert.equal((await h.put(setup, second, 'done', true))?.accepted, true);
  await applied;
  for (const id of survivors) {
    const s = await c.state(id);
    const lost = [...acknowledged].filter((i) => s.values[`k${i}`] !== i);
    assert.deepEqual(lost, [], `${id} lost acknowledged writes`);
  }
  // Swaps racing from one value: each survivor at once swaps n from the value a read through
  // the log found to a value of its own. A swap is one command in the log, so at most one wins,
  // and exactly one when every swap was decided.
  const racers = survivors.map(() => h.client());
  for (let round = 0; round < 3; round++) {
    let read = null;
    for (let attempt = 0; !read?.accepted; attempt++) {
      assert.ok(attempt < 20, read?.error);
      read = await h.read(setup, second, 'n');
    }
    const from = read.seen;
    const rs = await Promise.all(survivors.map((id, j) => h.cas(racers[j], id, 'n', from, `${id}/${round}`)));
    const won = rs.filter((r) => r?.swapped === true).length;
    assert.ok(won <= 1, `${won} swaps from ${from} won`);
    // (Exactly one, unless a swap from the same value whose outcome is unknown may have come first.)
    const unknown = h.lines.some((l) => l.op === 'cas' && l.return === null && l.from === JSON.stringify(from));
    if (rs.every((r) => r?.accepted) && !unknown) assert.equal(won, 1);
  }
  await c.stop();
  const swaps = h.lines.filter((l) => l.op === 'cas');
  assert.ok(swaps.some((l) => l.ok === true) && swaps.some((l) => l.ok === false), 'some swaps won, some were refused');
  t.diagnostic(summary(h.lines));
  assertLinearizable(h.lines);
  // Not vacuous: flip the outcome of a swap refused while another from the same value won, and
  // the history is not linearizable. Every swap of n moves it to a value it never held before (a
  // count one higher, or a racer's own name), so n holds each value once, and two swaps from one
  // value cannot both win.
  const refused = swaps.find((l) => l.ok === false && swaps.some((w) => w.ok === true && w.from === l.from));
  assert.ok(refused, 'a swap lost a race to a swap from the same value');
  const flipped = lincheck(h.lines.map((l) => (l === refused ? { ...l, ok: true } : l)));
  assert.equal(flipped.status, 1);
  assert.match(flipped.verdict.failure, /key "n" are not linearizable/);
});

// PBFT's quorum is ⌈(N + f + 1) / 2⌉: 4 of 5, so a 2 | 3 cut leaves both sides read-only; with 4
// replicas (quorum 3) the primary n1 is cut off alone and the others change view without it.
const SPLITS = {
  raft: [['n1', 'n2'], ['n3', 'n4', 'n5']],
  simple_majority: [['n1', 'n2'], ['n3', 'n4', 'n5']],
  pbft: [['n1'], ['n2', 'n3', 'n4']],
};
for (const [mechanism, [small, large]] of Object.entries(SPLITS)) {
// Raft and PBFT order every command in a log, so their runs record a history and add swaps
// racing from every agent and reads through the log (on each side of the cut, and healed).
// simple_majority has no order among proposals (compareAndSwap throws: it needs an ordered log)
// and its `get` is local, so its run could only record blind writes, and a history of blind
// writes is linearizable whatever the cluster did: it is not checked.
const logged = mechanism !== 'simple_majority';
test(`${mechanism}, ${small.length + large.length} worker threads: a cut between {${small}} and {${large}}: partition events, the minority read-only, then healed${logged ? '; the history is linearizable' : ''}`, { timeout: 60_000 }, async (t) => {
  const ids = [...small, ...large];
  const c = await workers(ids, { ...CONFIG, mechanism });
  const h = history(c);
  const client = Object.fromEntries(ids.map((id) => [id, h.client()]));
  /** Writes x = value through `writers` (in turn) until one is acknowledged. */
  async function write(writers, value) {
    for (let attempt = 0; ; attempt++) {
      const at = writers[attempt % writers.length];
      const w = await h.put(client[at], at, 'x', value);
      if (w?.accepted) return;
      assert.ok(attempt < 20, w?.error);
    }
  }
  /** Every agent of `group` at once swaps x from `from` to a value of its own, then reads x through the log. */
  async function race(group, from, tag) {
    await Promise.all(group.map((id) => h.cas(client[id], id, 'x', from, `${id}/${tag}`)));
    await Promise.all(group.map((id) => h.read(client[id], id, 'x')));
  }
  const elected = mechanism === 'raft' ? agreeOnLeader(c, ids) : null;
  for (const id of ids) c.post(id, { op: 'start' });
  await elected;
  const everywhere = ids.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[1] === 'before'));
  assert.equal((await h.put(client[large[0]], large[0], 'x', 'before'))?.accepted, true);
  await Promise.all(everywhere);
  const minority = small.map((id) => c.event((m) => m.id === id && m.name === 'partition:detected' && m.args[0].side === 'minority' && m.args[0].reachable.length === small.length));
  const majority = large.map((id) => c.event((m) => m.id === id && m.name === 'partition:detected' && m.args[0].side === 'majority' && m.args[0].reachable.length === large.length));
  for (const id of small) c.post(id, { op: 'cut', peers: large });
  for (const id of large) c.post(id, { op: 'cut', peers: small });
  for (const m of await Promise.all(minority)) assert.deepEqual(m.args[0], { side: 'minority', reachable: small });
  for (const m of await Promise.all(majority)) assert.deepEqual(m.args[0], { side: 'majority', reachable: large });
  const r = await h.put(client[small[0]], small[0], 'x', 'minority');
  assert.equal(r.accepted, false);
  assert.match(r.error, /no quorum/);
  if (logged) {
    // A read through the log is a command too: the minority cannot make one.
    const read = await h.read(client[small[0]], small[0], 'x');
    assert.equal(read.accepted, false);
    assert.match(read.error, /no quorum/);
  }
  assert.equal((await c.state(small.at(-1))).values.x, 'before', 'get serves the last value');
  // The majority side may keep its leader (no leader:elected then): write through any of it.
  await write(large, 'majority');
  if (logged) await race(large, 'majority', 'cut');
  const healed = ids.map((id) => c.event((m) => m.id === id && m.name === 'partition:healed'));
  for (const id of ids) c.post(id, { op: 'heal' });
  await Promise.all(healed);
  // The minority writes again (Raft brings it up to date first; a vote's Decided messages lost
  // in the cut are not sent again, so voting's minority only sees later writes). PBFT's old
  // primary, cut off alone, missed the view change: its request goes out as a PrePrepare of
  // view 0, which the others answer with their ViewChanges for their view and the new primary
  // with its NewView (Castro's thesis §5.2, retransmission), and it joins their view and
  // executes what it missed at once, not at the next stable checkpoint.
  const caughtUp = ids.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[1] === 'healed'));
  await write([small[0]], 'healed');
  await Promise.all(caughtUp);
  if (mechanism === 'pbft') {
    const views = await Promise.all(ids.map(async (id) => (await c.state(id)).view));
    assert.ok(views[0] >= 1 && views.every((v) => v === views[0]), `the old primary joined the others' view (views ${views})`);
  }
  if (logged) await race(ids, 'healed', 'healed');
  await c.stop();
  if (!logged) return;
  t.diagnostic(summary(h.lines));
  assert.ok(h.lines.some((l) => l.op === 'cas' && l.ok === true), 'a swap won');
  assertLinearizable(h.lines);
});
}

test('pbft, 4 worker threads, the primary a traitor (its transport forges the value in its pre-prepares to n3 and n4): the honest replicas change view, commit, never apply the forged value, and their clients\' history is linearizable', { timeout: 60_000 }, async (t) => {
  const ids = ['n1', 'n2', 'n3', 'n4'];
  const honest = ['n2', 'n3', 'n4'];
  const c = await workers(ids, { ...CONFIG, mechanism: 'pbft' }, { n1: { forgeTo: ['n3', 'n4'] } });
  // The history is of the honest replicas' clients: a client of the traitor has no guarantee.
  const h = history(c);
  const client = Object.fromEntries(honest.map((id) => [id, h.client()]));
  const values = [];
  c.on((m) => m.name === 'state:changed' && honest.includes(m.id) && values.push([m.id, m.args[1]]));
  const refused = [];
  c.on((m) => m.name === 'refused' && refused.push(m.args));
  const forged = c.event((m) => m.name === 'forged');
  const applied = honest.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[1] === 'true value'));
  for (const id of ids) c.post(id, { op: 'start' });
  for (let attempt = 0; ; attempt++) {
    const r = await h.put(client.n3, 'n3', 'x', 'true value');
    if (r?.accepted) break;
    assert.ok(attempt < 20, r?.error);
  }
  await forged;
  await Promise.all(applied);
  assert.deepEqual(values.filter(([, v]) => v !== 'true value'), [], 'no honest replica applied the forged value');
  for (const id of honest) assert.ok((await c.state(id)).view >= 1, `${id} left the traitor's view`);
  // Then the honest replicas race swaps from the true value and read x through the log.
  await Promise.all(honest.map((id) => h.cas(client[id], id, 'x', 'true value', `${id}/swap`)));
  await Promise.all(honest.map((id) => h.read(client[id], id, 'x')));
  await c.stop();
  assert.deepEqual(values.filter(([, v]) => v === 'forged'), []);
  // The forged pre-prepares are well-formed: the protocol, not the parser, refuses their value.
  assert.deepEqual(refused, []);
  t.diagnostic(summary(h.lines));
  assert.ok(h.lines.some((l) => l.op === 'cas' && l.ok === true), 'a swap won');
  assertLinearizable(h.lines);
});

// simple_majority with a traitor (n5 of 5): the voting core counts each voter's Vote once, for
// the voter the network names (the sender; a Vote has no voter field), and the proposer alone
// counts and announces the outcome (Decided). So one traitor is one vote, and one voice when it
// proposes: it cannot outvote four honest voters, nor vote for anyone else; it can block a
// quorum that needs every vote, and as a proposer it can announce what no one voted for —
// simple majority voting is not Byzantine fault tolerant (that is what pbft is for).
const VOTING = { ...CONFIG, mechanism: 'simple_majority', timeout: 5000 };
const FIVE = ['n1', 'n2', 'n3', 'n4', 'n5'];
const HONEST = ['n1', 'n2', 'n3', 'n4'];

/** Each honest agent proposes `v-<id>` = its id at once → their results, in HONEST's order. */
async function honestProposals(c) {
  return Promise.all(HONEST.map((id) => c.propose(id, `v-${id}`, id)));
}

test('simple_majority, 5 worker threads, a traitor whose transport turns every approval it sends into a rejection: it cannot stop what the 4 honest voters approve with the default quorum (3 of 5)', { timeout: 60_000 }, async () => {
  const c = await workers(FIVE, VOTING, { n5: { vote: 'against' } });
  const lied = c.event((m) => m.id === 'n5' && m.name === 'forged' && m.args[1] === 'Vote');
  const appliedEverywhere = FIVE.flatMap((id) => HONEST.map((p) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[0] === `v-${p}`)));
  for (const id of FIVE) c.post(id, { op: 'start' });
  for (const r of await honestProposals(c)) {
    assert.equal(r.quorumRequired, 3);
    assert.equal(r.accepted, true, r.error);
    assert.ok(r.votes.for >= 3, JSON.stringify(r.votes));
  }
  await lied;
  // Every agent applies every accepted value (the traitor's agent too: only its wire lies).
  await Promise.all(appliedEverywhere);
  await c.stop();
});

test('simple_majority, 5 worker threads, the same traitor with a unanimous quorum (5 of 5): its rejection alone rejects every honest proposal, and nothing is applied', { timeout: 60_000 }, async () => {
  const c = await workers(FIVE, { ...VOTING, quorum: 5 }, { n5: { vote: 'against' } });
  for (const id of FIVE) c.post(id, { op: 'start' });
  for (const r of await honestProposals(c)) {
    assert.equal(r.quorumRequired, 5);
    // Rejected, not timed out: once the traitor's against is counted the quorum is out of reach.
    assert.equal(r.status, 'rejected', r.error);
    assert.equal(r.votes.against, 1, JSON.stringify(r.votes));
  }
  for (const id of FIVE) {
    const { values } = await c.state(id);
    assert.deepEqual(HONEST.filter((p) => `v-${p}` in values), [], `${id} applied a rejected proposal`);
  }
  await c.stop();
});

test('simple_majority, 5 worker threads, a traitor that sends its approval three times and once more naming another voter: each voter counts once, for its sender; the forged vote is refused', { timeout: 60_000 }, async () => {
  // n2, n3 and n4 reject by policy, n1 (the proposer) and n5 approve: 2 of 5 for, 3 against.
  // Had the copies or the forged vote counted, the traitor alone would reach the quorum of 3.
  const rejecters = { n2: { policy: 'reject' }, n3: { policy: 'reject' }, n4: { policy: 'reject' } };
  const c = await workers(FIVE, VOTING, { n5: { vote: { repeat: 3, naming: 'n2' } } }, rejecters);
  const refused = c.event((m) => m.id === 'n1' && m.name === 'refused');
  for (const id of FIVE) c.post(id, { op: 'start' });
  const r = await c.propose('n1', 'x', 'proposed');
  assert.equal(r.accepted, false);
  assert.equal(r.status, 'rejected', r.error);
  assert.ok(r.votes.for <= 2 && r.votes.against === 3, JSON.stringify(r.votes));
  // The Vote naming a voter is not the protocol's message: the core refuses it (the transport
  // drops it and reports it), naming the field.
  const { args: [from, type, error] } = await refused;
  assert.equal(from, 'n5');
  assert.equal(type, 'Vote');
  assert.match(error, /message\.voter is not a field of Vote/);
  assert.equal((await c.state('n1')).values.x, undefined);
  await c.stop();
});

test('simple_majority, 5 worker threads, a traitor proposer whose Decided says accepted for a proposal every honest voter rejected: the honest voters apply it (what one traitor can do to simple majority)', { timeout: 60_000 }, async () => {
  const rejecters = Object.fromEntries(HONEST.map((id) => [id, { policy: 'reject' }]));
  const c = await workers(FIVE, VOTING, { n5: { decided: 'accepted' } }, rejecters);
  const applied = HONEST.map((id) => c.event((m) => m.id === id && m.name === 'state:changed' && m.args[0] === 'x'));
  for (const id of FIVE) c.post(id, { op: 'start' });
  const r = await c.propose('n5', 'x', 'rejected by all');
  // The traitor's own agent counted its own vote for and the honest votes against: rejected
  // (once 3 are against, the quorum of 3 is out of reach), and it applies nothing...
  assert.equal(r.status, 'rejected', r.error);
  assert.ok(r.votes.for === 1 && r.votes.against >= 3, JSON.stringify(r.votes));
  // ...while every honest voter, told it was accepted, applies it: the Decided is the
  // proposer's word, and the core checks only that the proposer sent it.
  for (const m of await Promise.all(applied)) assert.deepEqual(m.args.slice(0, 2), ['x', 'rejected by all']);
  assert.equal((await c.state('n5')).values.x, undefined);
  await c.stop();
});
