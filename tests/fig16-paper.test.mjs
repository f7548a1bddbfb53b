// Issue #16 §3: the paper's own Figure 16 trials, read back from the figure's vector source
// (scripts/paper-fig16.mjs → docs/experiments/fig16-paper.json), are what the Experiments panel
// draws dashed beside ours: the panel's compact CDF is the data's, point for point.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../scripts/setup.mjs';
import { paperCdf } from '../scripts/paper-fig16.mjs';
import { PAPER_CDF } from '../www/experiments.js';

test("the Experiments panel draws the paper's trials as docs/experiments/fig16-paper.json holds them", () => {
  const data = JSON.parse(readFileSync(join(ROOT, 'docs/experiments/fig16-paper.json'), 'utf8'));
  assert.deepEqual(PAPER_CDF, paperCdf(data));
  // Ten distinct ranges, 41 points each, rising; 150–155 ms: its median is the paper's 287 ms.
  assert.equal(Object.keys(PAPER_CDF).length, 10);
  for (const [range, points] of Object.entries(PAPER_CDF)) {
    assert.equal(points.length, 41, range);
    assert.ok(points.every((ms, i) => i === 0 || ms >= points[i - 1]), range);
  }
  assert.equal(PAPER_CDF['150-155'][20], 287);
  assert.equal(PAPER_CDF['150-200'][40], 512);
});
