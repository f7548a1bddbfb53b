// Time travel, share links and saved runs in headless Chromium (README "Time travel"): the
// timeline goes back and forward to the same states, Step back, acting in the past forks the run,
// a link and an exported file reopen the same run at the same moment, Jump to the violation.
// Waits are for conditions on the page, never for a length of time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { advance, browserPage } from './browser-page.mjs';

const open = browserPage();

// What the widget shows of the run at this moment: the clock, every node's view (the wasm's), the
// messages in flight and the event log's text.
const state = (page) =>
  page.evaluate(() => {
    const pg = document.querySelector('consensus-playground');
    const s = pg.simulation;
    return { now: s.now, nodes: JSON.stringify(s.nodes()), messages: JSON.stringify(s.messages()), events: document.querySelector('.cp-events').innerText };
  });
const seek = (page, ms) => page.evaluate((ms) => document.querySelector('consensus-playground').seek(ms), ms);
const run = (page) => page.evaluate(() => JSON.parse(JSON.stringify(document.querySelector('consensus-playground').timeline.run)));

/** A run with actions: KV clients, a crashed leader, a cut link; paused at its end. */
async function someRun(page) {
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Pause' }).click();
  await pg.getByRole('button', { name: 'Reset' }).click();
  await advance(page, 700);
  await pg.getByRole('checkbox', { name: 'KV clients' }).check();
  await advance(page, 300);
  const mid = await state(page);
  await advance(page, 50); // (a point in time shows what was done at it: the crash comes later)
  const leader = await pg.locator('[data-state="leader"]').getAttribute('data-node');
  await pg.locator(`[data-node="${leader}"]`).click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Crash' }).click();
  await advance(page, 600);
  await pg.locator('[data-link="n2-n3"]').click();
  await advance(page, 400);
  await page.waitForFunction(() => !document.querySelector('consensus-playground').dirty);
  return { mid, end: await state(page), leader };
}

test('the timeline: back to an earlier moment and forward again show the same state; the slider and its keys', async () => {
  const { page, errors } = await open('?nodes=5&seed=7&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  const { mid, end, leader } = await someRun(page);
  const recorded = await run(page);
  assert.deepEqual(recorded.log.map((a) => a.do), ['startClients', 'crash', 'cutLink']);
  assert.deepEqual(recorded.log[1].args, [leader]);

  // Back to the middle: the same nodes, messages and event log as when the run was there.
  await seek(page, mid.now);
  assert.deepEqual(await state(page), mid);
  assert.equal(await pg.locator(`[data-node="${leader}"]`).getAttribute('data-state'), 'leader', 'not crashed yet');
  assert.equal(await pg.getByRole('checkbox', { name: 'KV clients' }).isChecked(), true);
  // Forward again, with the slider's End key: the furthest point, as it was.
  const slider = pg.getByRole('slider', { name: 'Time' });
  await slider.focus();
  await page.keyboard.press('End');
  await page.waitForFunction((t) => document.querySelector('consensus-playground').simulation.now === t, end.now);
  assert.deepEqual(await state(page), end);
  assert.equal(await pg.locator(`[data-node="${leader}"]`).getAttribute('data-state'), 'crashed');
  // ← goes back a hundredth of the run; focus stays on the slider.
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((t) => document.querySelector('consensus-playground').simulation.now < t, end.now);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label') ?? document.activeElement.closest('label')?.textContent), 'Time');
  assert.ok((await state(page)).now >= end.now - 2100 / 100 - 1);
  // Dragged to the start: t = 0, nothing happened yet.
  await slider.fill('0');
  await page.waitForFunction(() => document.querySelector('consensus-playground').simulation.now === 0);
  assert.equal(await pg.locator('.cp-events li').count(), 0);
  // The record is unchanged by looking around.
  assert.deepEqual((await run(page)).log, recorded.log);
  assert.deepEqual(errors, []);
  await page.close();
});

test('Step back undoes one event; Step does it again', async () => {
  const { page, errors } = await open('?nodes=3&seed=5');
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Pause' }).click();
  await pg.getByRole('button', { name: 'Reset' }).click();
  await pg.locator('[data-node="n2"]').click();
  await pg.getByRole('button', { name: 'Start election' }).click();
  for (let k = 0; k < 3; k++) await pg.getByRole('button', { name: 'Step', exact: true }).click();
  const after3 = await state(page);
  const ev = (await run(page)).ev;
  const back = pg.getByRole('button', { name: 'Step back' });
  await back.click();
  await page.waitForFunction((ev) => document.querySelector('consensus-playground').timeline.run.ev === ev - 1, ev);
  assert.notEqual((await state(page)).events, after3.events, 'the last event is gone from the log');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Step back', 'focus stays on Step back');
  await pg.getByRole('button', { name: 'Step', exact: true }).click();
  assert.deepEqual(await state(page), after3);
  // Back to before the election: the action stays recorded, replayed on the way forward.
  for (let k = 0; k < 3; k++) await back.click();
  await page.waitForFunction(() => document.querySelector('consensus-playground').timeline.run.ev === 0);
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-state'), 'candidate');
  assert.equal(await pg.locator('[data-message="RequestVote"]').count(), 2);
  assert.deepEqual(errors, []);
  await page.close();
});

test('acting in the past forks the run: the recorded future is discarded, the new action takes its place', async () => {
  const { page, errors } = await open('?nodes=5&seed=7&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  const { mid, end } = await someRun(page);
  await seek(page, mid.now);
  await pg.locator('[data-node="n4"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Pause' }).click();
  const r = await run(page);
  assert.deepEqual(r.log.map((a) => a.do), ['startClients', 'pause']);
  assert.equal(r.log[1].at, mid.now);
  assert.equal(r.end.at, mid.now, 'the run now ends here');
  assert.equal(await pg.getByRole('slider', { name: 'Time' }).getAttribute('max'), String(mid.now));
  // The new future: nothing crashed, no link cut.
  await advance(page, end.now - mid.now);
  assert.equal(await pg.locator('[data-state="crashed"]').count(), 0);
  assert.equal(await pg.locator('[data-cut="both"]').count(), 0);
  assert.equal(await pg.locator('[data-node="n4"]').getAttribute('data-paused'), 'true');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Copy link: the link opens the same run at the same moment, in a new page', async () => {
  const { page, errors } = await open('?nodes=5&seed=7&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  const { mid, end } = await someRun(page);
  await seek(page, (mid.now + end.now) / 2);
  const here = await state(page);
  await pg.getByRole('button', { name: 'Share…' }).click();
  await pg.getByRole('button', { name: 'Copy link' }).click();
  const link = await pg.locator('.cp-run-link').getAttribute('href');
  assert.match(link, /\/index\.html\?run=[A-Za-z0-9_-]+$|\/\?run=[A-Za-z0-9_-]+$/);
  const record = JSON.parse(Buffer.from(new URL(link).searchParams.get('run'), 'base64url').toString());
  assert.deepEqual(record.attributes, { nodes: '5', seed: '7', speed: '1' });
  assert.deepEqual(record.actions.map((a) => a.do), ['startClients', 'crash', 'cutLink']);
  assert.deepEqual(record.at[0], here.now);

  const { page: other, errors: otherErrors } = await open(new URL(link).pathname.replace(/^\//, '') + new URL(link).search);
  await other.waitForFunction((t) => document.querySelector('consensus-playground').simulation?.now === t && !document.querySelector('consensus-playground').dirty, here.now);
  assert.deepEqual(await state(other), here);
  assert.equal(await other.getByRole('button', { name: 'Play' }).count(), 1, 'opened paused');
  // Its future came along: forward to the end, the same as the first page's.
  await seek(other, end.now);
  assert.deepEqual(await state(other), end);
  assert.deepEqual(errors, []);
  assert.deepEqual(otherErrors, []);
  await page.close();
  await other.close();
});

test('Export and Import: a run saved as a JSON file opens in another widget as it was', async () => {
  const { page, errors } = await open('?nodes=5&seed=7&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  const { end } = await someRun(page);
  await pg.getByRole('button', { name: 'Share…' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), pg.getByRole('button', { name: 'Export' }).click()]);
  const file = await download.path();
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(saved.consensusPlayground, 1);
  assert.deepEqual(saved.end, saved.at);

  // Another page with other settings imports it: the settings, the seed and the run come back.
  const { page: other, errors: otherErrors } = await open('?nodes=3&seed=99');
  const o = other.locator('consensus-playground');
  await o.getByRole('button', { name: 'Share…' }).click();
  await o.locator('input[type="file"]').setInputFiles(file);
  await other.waitForFunction((t) => document.querySelector('consensus-playground').simulation?.now === t && document.querySelectorAll('[data-node]').length === 5, end.now);
  await other.waitForFunction(() => !document.querySelector('consensus-playground').dirty);
  assert.deepEqual(await state(other), end);
  assert.equal(await other.locator('consensus-playground').getAttribute('seed'), '7');
  assert.deepEqual(errors, []);
  assert.deepEqual(otherErrors, []);
  await page.close();
  await other.close();
});

test('Jump to the violation: with a bug switched on, back to the start and to the moment the checker found it', async () => {
  const { page, errors } = await open('?nodes=5&seed=11');
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Pause' }).click();
  await pg.getByRole('button', { name: 'Reset' }).click();
  // The scenario of browser.test.mjs's violation, as actions of the element (recorded).
  const act = (fn) => page.evaluate(`document.querySelector('consensus-playground').act(${fn})`);
  await act("(s) => { s.setBugs(['no-log-check']); s.partition([['n5']]); s.startElection('n1'); }");
  await advance(page, 100);
  await act("(s) => s.clientRequest('x')");
  await advance(page, 100);
  await act("(s) => { s.heal(); for (let k = 0; k < 3; k++) s.startElection('n5'); }");
  await advance(page, 60);
  const banner = pg.locator('.cp-banner');
  await banner.waitFor();
  const text = await banner.textContent();
  assert.match(text, /^Safety violation — Leader Completeness \(n5\)/);
  const end = await state(page);
  const jump = pg.getByRole('button', { name: 'Jump to the violation' });
  await pg.getByRole('slider', { name: 'Time' }).fill('0');
  await page.waitForFunction(() => document.querySelector('consensus-playground').simulation.now === 0);
  assert.equal(await banner.isHidden(), true, 'no violation at t = 0');
  await jump.click();
  await banner.waitFor();
  assert.equal(await banner.textContent(), text);
  const at = await page.evaluate(() => document.querySelector('consensus-playground').simulation.violations()[0].time);
  assert.equal((await state(page)).now, at);
  assert.ok(at <= end.now);
  assert.match(await pg.locator('[data-node="n5"]').getAttribute('class'), /cp-violating/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a failing seed of consensus-sim check (its "page" link) becomes a run like any other: its link reopens it', async () => {
  const { page, errors } = await open('?check=0&nodes=3&events=20000&faults=crash,pause,partition,cut,drop,duplicate,reorder&bug=no-log-check');
  const pg = page.locator('consensus-playground');
  await pg.locator('.cp-banner').waitFor();
  const start = (await state(page)).now;
  await pg.locator('[data-node="n1"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: /^(Crash|Restart)$/ }).click();
  await advance(page, 200);
  const here = await state(page);
  await pg.getByRole('button', { name: 'Share…' }).click();
  await pg.getByRole('button', { name: 'Copy link' }).click();
  const link = new URL(await pg.locator('.cp-run-link').getAttribute('href'));
  const record = JSON.parse(Buffer.from(link.searchParams.get('run'), 'base64url').toString());
  assert.deepEqual(record.check, { seed: 0, nodes: 3, events: 20000, faults: 'crash,pause,partition,cut,drop,duplicate,reorder', bug: 'no-log-check' });
  const { page: other, errors: otherErrors } = await open(link.search);
  await other.waitForFunction((t) => document.querySelector('consensus-playground').simulation?.now === t && !document.querySelector('consensus-playground').dirty, here.now);
  assert.deepEqual(await state(other), here);
  // Its timeline starts where the check stopped.
  assert.equal(await other.locator('consensus-playground').getByRole('slider', { name: 'Time' }).getAttribute('min'), String(start));
  assert.deepEqual(errors, []);
  assert.deepEqual(otherErrors, []);
  await page.close();
  await other.close();
});

test('every mechanism on the ring travels in time: a crash and a restart, back and forward to the same views', async () => {
  for (const q of ['protocol=paxos&seed=2', 'protocol=vote&seed=1', 'protocol=pbft&nodes=4&seed=3&byzantine=n2:equivocate', 'protocol=hotstuff&nodes=4', 'protocol=generals&nodes=4&m=1', 'protocol=gossip&nodes=16']) {
    const { page, errors } = await open(`?${q}&speed=1`);
    const r = await page.evaluate(async () => {
      const pg = document.querySelector('consensus-playground');
      pg.setPlaying(false);
      const views = () => JSON.stringify([pg.simulation.now, pg.simulation.nodes(), pg.simulation.messages()]);
      pg.act((s) => s.crash('n3'));
      pg.advance(pg.simulation.now + 300);
      const [t, a] = [pg.simulation.now, views()];
      pg.advance(pg.simulation.now + 10);
      pg.act((s) => s.restart('n3'));
      pg.advance(pg.simulation.now + 500);
      const [u, b] = [pg.simulation.now, views()];
      await pg.seek(t);
      const back = views() === a;
      await pg.seek(u);
      return { back, forward: views() === b, log: pg.timeline.run.log.map((x) => x.do) };
    });
    assert.deepEqual(r, { back: true, forward: true, log: ['crash', 'restart'] }, q);
    assert.deepEqual(errors, [], q);
    await page.close();
  }
});
