// The native test bed: `consensus-sim check` (release build). Without bugs it finds nothing;
// with each bug switch on it finds a violation within a modest number of seeds, and the
// failing seed it prints replays to the same violation.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ROOT } from '../scripts/setup.mjs';

const BIN = join(ROOT, 'target/release/consensus-sim');

before(() => {
  execFileSync('cargo', ['build', '--quiet', '--release', '--bin', 'consensus-sim'], { cwd: ROOT, stdio: 'inherit' });
});

function check(...args) {
  const r = spawnSync(BIN, ['check', ...args], { encoding: 'utf8' });
  assert.equal(r.stderr, '', r.stderr);
  return { status: r.status, out: JSON.parse(r.stdout) };
}

test('no violation in 100 randomized runs with every fault, and exit status 0', () => {
  const { status, out } = check('--seeds', '0..100', '--events', '10000', '--faults', 'all');
  assert.equal(status, 0);
  assert.equal(out.runs, 100);
  assert.ok(out.events >= 1_000_000, `events ${out.events}`);
  assert.ok(out.committed > 1000, 'the workload made progress');
  assert.equal(out.violations, 0);
  assert.equal(out.first_violation, null);
});

// Seed ranges: how far the search must go for each bug (printed numbers, not timing).
const SEARCH = {
  'no-log-check': ['--seeds', '0..20', '--nodes', '5'],
  'stale-truncate': ['--seeds', '0..20', '--nodes', '5'],
  'forget-vote': ['--seeds', '0..100', '--nodes', '3'],
  figure8: ['--seeds', '0..200', '--nodes', '3'],
  // Only the linearizability check sees this one: a leader left with a minority while its
  // readers linger (the nemesis aims partitions at a leader that serves reads, issue #16 §1;
  // partitions alone, 3 nodes, 40,000 events: 10 of seeds 0..90, first 3, since Moment::Strand; blind, none of 300).
  'stale-read': ['--seeds', '0..90', '--nodes', '3', '--faults', 'partition'],
};

for (const [bug, range] of Object.entries(SEARCH)) {
  test(`--bug ${bug}: a violation is found, and its seed replays`, () => {
    const args = range.includes('--faults') ? [...range, '--events', '40000'] : [...range, '--events', '20000', '--faults', 'all'];
    const { status, out } = check(...args, '--bug', bug);
    assert.equal(status, 0, 'with --bug, finding the violation is success');
    assert.ok(out.failing_seeds.length > 0, `no violation in ${range.join(' ')}`);
    const v = out.first_violation;
    assert.ok(v.rule && Array.isArray(v.nodes) && typeof v.time_ms === 'number' && v.detail);
    if (v.rule !== 'Linearizability') assert.ok(v.nodes.length > 0, 'a Raft violation names its nodes');
    const again = check(...v.replay.split(' ').slice(2));
    assert.deepEqual(again.out.first_violation, v, 'the printed replay command gives the same violation');
    console.log(`${bug}: ${out.failing_seeds.length} of ${out.runs} seeds fail; first ${v.seed}: ${v.rule}`);
  });
}

// Seeds run in parallel (rayon) and are combined in seed order: the output is the same for any
// number of threads, wall_ms aside. --threads 4 runs in parallel even on a machine with fewer cores.
test('check: the same output with one thread (--threads 1 or RAYON_NUM_THREADS=1) as with several', () => {
  const run = (args, env) => {
    const r = spawnSync(BIN, ['check', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(r.stderr, '', r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(typeof out.wall_ms, 'number');
    delete out.wall_ms;
    return { status: r.status, out: JSON.stringify(out) };
  };
  for (const args of [
    ['--seeds', '0..40', '--events', '3000', '--nodes', '5'],
    ['--seeds', '3..40', '--events', '3000', '--nodes', '5', '--bug', 'no-log-check'],
  ]) {
    const one = run([...args, '--threads', '1']);
    if (args.includes('--bug')) assert.ok(JSON.parse(one.out).failing_seeds.length > 1, 'several failing seeds to order');
    assert.deepEqual(run(args), one, `default threads: ${args.join(' ')}`);
    assert.deepEqual(run([...args, '--threads', '4']), one, `--threads 4: ${args.join(' ')}`);
    assert.deepEqual(run(args, { RAYON_NUM_THREADS: '1' }), one, `RAYON_NUM_THREADS=1: ${args.join(' ')}`);
  }
});

test('bad arguments: exit status 2 and a message naming the option', () => {
  for (const [args, re] of [
    [['--seeds', '5..5'], /--seeds A\.\.B needs B > A/],
    [['--seeds', '0..3', '--faults', 'crash,meteor'], /--faults must list faults from crash, pause, .* \("meteor" is not one\)/],
    [['--seeds', '0..3', '--bug', 'typo'], /--bug must be one of figure8, no-log-check, forget-vote, stale-truncate, stale-read/],
    [['--events', '10'], /--seeds is required/],
    [['--seeds', '0..3', '--threads', '0'], /--threads must be a positive integer/],
  ]) {
    const r = spawnSync(BIN, ['check', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, re);
  }
});

test('history: JSON Lines, one operation per line, in the shape issue #3 gives', () => {
  const r = spawnSync(BIN, ['history', '--seed', '5', '--clients', '3', '--ops', '20', '--faults', 'all'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 60);
  const shapes = { put: ['value'], get: ['output'], cas: ['from', 'to'], increment: ['output'] };
  const seen = new Set();
  for (const h of lines) {
    assert.ok([1, 2, 3].includes(h.client));
    assert.equal(typeof h.key, 'string');
    assert.equal(typeof h.call, 'number');
    seen.add(h.op);
    if (h.return === null) {
      assert.ok(!('ok' in h), 'no answer, no outcome');
      continue;
    }
    assert.ok(h.return >= h.call);
    assert.equal(typeof h.ok, 'boolean');
    for (const k of shapes[h.op]) assert.ok(k in h, `${h.op} has ${k}: ${JSON.stringify(h)}`);
  }
  assert.deepEqual([...seen].sort(), ['cas', 'get', 'increment', 'put']);
  assert.deepEqual(Object.keys(lines[0]).slice(0, 3), ['client', 'op', 'key']);
  const again = spawnSync(BIN, ['history', '--seed', '5', '--clients', '3', '--ops', '20', '--faults', 'all'], { encoding: 'utf8' });
  assert.equal(again.stdout, r.stdout, 'same seed, same history');
});

test('a failing seed prints the page address that replays it', () => {
  const { out } = check('--seeds', '0..20', '--nodes', '3', '--events', '20000', '--bug', 'no-log-check');
  assert.equal(out.first_violation.page, '?check=0&nodes=3&events=20000&faults=crash,pause,partition,cut,drop,duplicate,reorder&bug=no-log-check');
});

test('fig16 prints one JSON line per Figure 16 range, in the issue\'s shape, for every model', () => {
  for (const model of ['disk', 'network', 'logcabin']) {
    const r = spawnSync(BIN, ['fig16', '--trials', '20', '--model', model], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.range_ms.join('-')), ['150-150', '150-151', '150-155', '150-175', '150-200', '150-300', '12-24', '25-50', '50-100', '100-200', '150-300']);
    for (const l of lines) {
      for (const key of ['trials', 'median_ms', 'p90_ms', 'p99_ms', 'max_ms', 'mean_ms', 'cdf', 'capped', 'no_leader_to_crash']) assert.ok(key in l, key);
      assert.equal(l.model, model);
      assert.ok(l.median_ms <= l.p90_ms && l.p90_ms <= l.p99_ms && l.p99_ms <= l.max_ms, JSON.stringify(l));
    }
  }
  const bad = spawnSync(BIN, ['fig16', '--model', 'fiber'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--model must be disk, network or logcabin/);
});

test('messages prints messages per committed write for 3, 5 and 7 nodes beside 2(n−1)', () => {
  const r = spawnSync(BIN, ['messages'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 12);
  for (const l of lines) {
    assert.equal(l.textbook, 2 * (l.nodes - 1));
    // Without batching every write costs at least one round trip per follower.
    if (l.batching_ms === null) assert.ok(l.messages_per_write >= l.textbook, JSON.stringify(l));
  }
});

test('messages --protocol pbft|hotstuff measures N = 4, 7, 10, 13 and 16, every PBFT command decided', () => {
  for (const protocol of ['pbft', 'hotstuff']) {
    const r = spawnSync(BIN, ['messages', '--protocol', protocol], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.nodes, l.scenario]), [4, 7, 10, 13, 16].flatMap((n) => [[n, 'steady'], [n, 'leader change']]));
    for (const l of lines) {
      assert.equal(l.protocol, protocol);
      const n = l.nodes;
      if (protocol === 'pbft') {
        assert.equal(l.textbook.normal_case, (n - 1) + (n - 1) ** 2 + n * (n - 1) + (n - 1));
        assert.equal(l.decided, l.commands, JSON.stringify(l));
      } else {
        assert.equal(l.textbook, 2 * (n - 1));
      }
      // Steady (no leader change): at least the textbook's count.
      if (l.scenario === 'steady') assert.ok(l.messages_per_decision >= (protocol === 'pbft' ? l.textbook.normal_case : l.textbook), JSON.stringify(l));
    }
  }
});

// Issue #16 §2: a failing seed shrinks to the actions that matter, printed as the page's JS API
// names them (crash, restart, partition, cutLink, clientRequest, …) with their simulated times.
test('shrink: a failing check seed shrinks to a short list of actions; a seed that does not fail says so', () => {
  const run = (...args) => spawnSync(BIN, ['shrink', ...args], { encoding: 'utf8' });
  const r = run('--seed', '28', '--nodes', '5', '--events', '5000', '--bug', 'forget-vote');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual([out.rule, out.stepsBefore, out.steps, out.clients], ['Election Safety', 28, 14, 0]);
  assert.equal(out.actions.length, 14);
  for (const [k, a] of out.actions.entries()) {
    assert.equal(a.do, k % 2 ? 'restart' : 'crash', 'reboots: a crash and a restart at one moment');
    assert.match(a.args[0], /^n[1-5]$/);
    assert.equal(typeof a.atMs, 'number');
  }
  const clean = run('--seed', '28', '--nodes', '5', '--events', '5000');
  assert.equal(clean.status, 1);
  assert.equal(JSON.parse(clean.stdout).failing, false);
  const bad = run('--nodes', '5');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--seed is required/);
});

test('lincheck: a history as `history` prints it is checked for linearizability (exit 0); a stale read is not linearizable (exit 1); a malformed line is an error naming it (exit 2)', () => {
  const h = spawnSync(BIN, ['history', '--seed', '5', '--clients', '3', '--ops', '20', '--faults', 'all'], { encoding: 'utf8' });
  const ok = spawnSync(BIN, ['lincheck'], { input: h.stdout, encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { linearizable: true, operations: 60, failure: null });
  // put x=1 returned at 5 ms; a get that began at 10 ms cannot see no value.
  const stale = ['{"client":1,"op":"put","key":"x","value":"1","call":0,"return":5,"ok":true}', '{"client":2,"op":"get","key":"x","call":10,"return":12,"ok":true,"output":null}'].join('\n');
  const bad = spawnSync(BIN, ['lincheck'], { input: stale, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.deepEqual(JSON.parse(bad.stdout), { linearizable: false, operations: 2, failure: 'the 2 operations on key "x" are not linearizable' });
  // The same get while the put is in flight may see either: linearizable.
  const racing = stale.replace('"call":10,"return":12', '"call":3,"return":12');
  assert.equal(spawnSync(BIN, ['lincheck'], { input: racing, encoding: 'utf8' }).status, 0);
  const malformed = spawnSync(BIN, ['lincheck'], { input: '{"client":1,"op":"put","key":"x","call":0,"return":5,"ok":true}\n', encoding: 'utf8' });
  assert.equal(malformed.status, 2);
  assert.match(malformed.stderr, /lincheck: line 1: value must be a string/);
});
