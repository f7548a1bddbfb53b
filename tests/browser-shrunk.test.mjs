// Issue #16 §2: "The page opens a failing run at the violation with the events that led to it
// marked." `consensus-sim shrink` prints a `page` link (a ?run= record: the seed's simulation at
// its start with the clients kept, then the shrunk actions through the page's JS API at their
// times); index.html opens it paused at the same violation the CLI found, and lists the actions
// as what led to it, each a way back to its moment. Headless Chromium; waits are for conditions.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ROOT } from '../scripts/setup.mjs';
import { browserPage } from './browser-page.mjs';

const open = browserPage();
const BIN = join(ROOT, 'target/release/consensus-sim');
let shrunk;
before(() => {
  execFileSync('cargo', ['build', '--quiet', '--release', '--bin', 'consensus-sim'], { cwd: ROOT, stdio: 'inherit' });
  // Seven reboots and no client lead to two leaders in one term (README "shrink").
  shrunk = JSON.parse(execFileSync(BIN, ['shrink', '--seed', '28', '--nodes', '5', '--events', '5000', '--bug', 'forget-vote'], { encoding: 'utf8' }));
});

test('a shrunk run opens from its link at the CLI\'s violation, with its actions listed as what led to it', { timeout: 120_000 }, async () => {
  assert.equal(shrunk.rule, 'Election Safety');
  assert.match(shrunk.page, /^\?run=[A-Za-z0-9_-]+$/);
  const record = JSON.parse(Buffer.from(shrunk.page.slice('?run='.length), 'base64url').toString('utf8'));
  assert.equal(record.shrunk, true);
  assert.deepEqual(record.check, { seed: 28, nodes: 5, events: 5000, faults: 'crash,pause,partition,cut,drop,duplicate,reorder', bug: 'forget-vote', byzantine: 0, clients: 0 });
  assert.deepEqual(record.actions.map((a) => [a.at, a.do, a.args]), shrunk.actions.map((a) => [a.atMs, a.do, a.args]));

  const { page, errors } = await open(`index.html${shrunk.page}`, undefined, '.cp-led');
  const pg = page.locator('consensus-playground');
  const banner = pg.locator('.cp-banner');
  // The same violation, at the same moment, as the CLI's replay.
  const v = await page.evaluate(() => document.querySelector('consensus-playground').simulation.violations()[0]);
  assert.equal(v.rule, 'Election Safety');
  assert.equal(v.time, shrunk.timeMs);
  assert.match(await banner.textContent(), /^Safety violation — Election Safety \(n1, n2\) at 505\.4 ms/);
  // The actions, in order, as buttons.
  const led = pg.locator('.cp-led');
  assert.equal(await led.locator('h3').textContent(), `What led to it: ${shrunk.steps} actions (Election Safety)`);
  const items = led.getByRole('button');
  assert.equal(await items.count(), shrunk.steps);
  assert.equal(await items.first().textContent(), '1. 219.0 ms: crash n2');
  // And as tick marks under the time slider, one per moment (a crash and its restart share one).
  const ticks = await page.evaluate(() => {
    const ticks = document.querySelectorAll('consensus-playground .cp-led-ticks span');
    return [...ticks].map((t) => parseFloat(t.title));
  });
  assert.deepEqual(ticks, [...new Set(shrunk.actions.map((a) => a.atMs))]);
  assert.ok(ticks.length >= 2 && ticks.length < shrunk.steps, `${ticks}`);
  // One goes back to its moment: before the violation, the banner is gone; Jump to the violation returns.
  await items.nth(10).click();
  await page.waitForFunction(() => Math.abs(document.querySelector('consensus-playground').simulation.now - 488.542) < 0.01);
  await banner.waitFor({ state: 'hidden' });
  await pg.getByRole('button', { name: 'Jump to the violation' }).click();
  await banner.waitFor({ state: 'visible' });
  assert.match(await banner.textContent(), /Election Safety/);
  // A new run takes the list and the ticks away and leaves the slider where it was.
  await pg.getByRole('button', { name: 'Reset', exact: true }).click();
  await led.waitFor({ state: 'detached' });
  assert.equal(await pg.locator('.cp-led-ticks').count(), 0);
  assert.equal(await pg.locator('.cp-timeline .cp-time-label > input.cp-time').count(), 1);
  assert.deepEqual(errors, []);
});
