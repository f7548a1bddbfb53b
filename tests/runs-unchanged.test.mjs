// Runs unchanged (issue #10, part 2): the CLI's numbers after Raft moved onto the
// protocol-generic simulator are those from before the move (commit 5736d6a), wall times aside:
// `check --seeds 0..200 --events 5000 --faults all` on 3, 5, 7 and 9 nodes, `messages`, and
// `fig16 --trials 300` in both models. The fixtures in tests/fixtures/cli-before/ were printed
// by the CLI before the move, except check-N.json, printed again on purpose when the nemesis
// began to aim (issue #16 §1: swarm testing and aimed faults change every randomized run).
// (tests/runs_unchanged.rs compares whole runs, event by event.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ROOT } from '../scripts/setup.mjs';

const BIN = join(ROOT, 'target/release/consensus-sim');
const FIXTURES = join(ROOT, 'tests/fixtures/cli-before');

before(() => {
  execFileSync('cargo', ['build', '--quiet', '--release', '--bin', 'consensus-sim'], { cwd: ROOT, stdio: 'inherit' });
});

/** The CLI's JSON lines, without wall-clock fields (and without `protocol: "raft"`, a field
 * added when other mechanisms joined: issue #11). */
function lines(text) {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const o = JSON.parse(l);
      for (const k of Object.keys(o)) if (k.startsWith('wall')) delete o[k];
      if (o.protocol === 'raft') delete o.protocol;
      return o;
    });
}

const run = (...args) => lines(execFileSync(BIN, args, { encoding: 'utf8', maxBuffer: 1 << 26 }));
const fixture = (name) => lines(readFileSync(join(FIXTURES, name), 'utf8'));

for (const nodes of [3, 5, 7, 9]) {
  test(`check --seeds 0..200 --events 5000 --faults all --nodes ${nodes}: as before the move`, () => {
    assert.deepEqual(run('check', '--seeds', '0..200', '--events', '5000', '--faults', 'all', '--nodes', String(nodes)), fixture(`check-${nodes}.json`));
  });
}

test('messages: as before the move', () => {
  assert.deepEqual(run('messages'), fixture('messages.jsonl'));
});

for (const model of ['disk', 'network']) {
  test(`fig16 --trials 300 --model ${model}: as before the move`, () => {
    assert.deepEqual(run('fig16', '--trials', '300', '--model', model), fixture(`fig16-${model}.jsonl`));
  });
}
