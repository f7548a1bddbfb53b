// Guided scenarios (issue #14 §2; README "Guided scenarios"), in headless Chromium: a built-in
// scenario from start to end through Next, Skip ahead and a task done by the reader; Back as time
// travel; cp-scenario events for the host page; a scenario from ?scenario=, from a URL and
// written inside the element; errors that name the field. Waits are for conditions on the page,
// never for a length of time.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { browserPage } from './browser-page.mjs';

const open = browserPage();
const ROOT = join(import.meta.dirname, '..');

/** Records the cp-scenario events that reach `document` in window.__sc (their detail). */
const listen = (page) => page.evaluate(() => ((window.__sc = []), document.addEventListener('cp-scenario', (e) => window.__sc.push(e.detail))));
const panel = (pg) => pg.locator('.cp-scenario');
/** Waits until the scenario panel says step `n` (of any) and its Next (or Finish) is enabled. */
const atStep = async (pg, n) => {
  await panel(pg).locator('.cp-sc-label', { hasText: `Step ${n} of` }).waitFor();
  await pg.page().waitForFunction(() => !document.querySelector('.cp-scenario .cp-buttons button:last-child').disabled || !document.querySelector('.cp-scenario .cp-buttons button:nth-child(2)').hidden);
};
/** Step n's moment: Skip ahead if the run is still on its way there. */
const reachStep = async (pg, n) => {
  await panel(pg).locator('.cp-sc-label', { hasText: `Step ${n} of` }).waitFor();
  // (in the page, at once: the run may reach the moment by itself meanwhile, which hides the button)
  await pg.evaluate((el) => [...el.querySelectorAll('.cp-scenario button')].find((b) => b.textContent === 'Skip ahead' && !b.hidden)?.click());
  await panel(pg).locator('.cp-sc-caption').filter({ hasText: /./ }).waitFor();
};

test('Raft’s first election from start to end: Next, Skip ahead, a task the reader does, cp-scenario events, Finish', async () => {
  const { page, errors } = await open('?protocol=raft&scenario=first-election', undefined, '.cp-scenario');
  const pg = page.locator('consensus-playground');
  await listen(page);
  assert.match(await panel(pg).locator('h3').textContent(), /The first election/);
  await reachStep(pg, 1);
  assert.match(await panel(pg).locator('.cp-sc-caption').textContent(), /Five servers start as followers/);
  // The scenario's settings are the widget's: pre-vote off, seed 7, paused at t = 0.
  assert.equal(await pg.getAttribute('pre-vote'), 'off');
  assert.equal(await pg.evaluate((el) => el.simulation.now), 0);
  assert.ok(await pg.getByRole('button', { name: 'Play' }).isVisible(), 'paused on a step');

  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 2);
  // Its moment is the run's: a candidate exists, and the run is paused there.
  assert.ok(await pg.evaluate((el) => el.simulation.nodes().some((n) => n.state === 'candidate')));
  assert.ok(await pg.getByRole('button', { name: 'Play' }).isVisible());
  const t2 = await pg.evaluate((el) => el.simulation.now);

  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 3);
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 4);
  const leader = await pg.evaluate((el) => el.simulation.leader());
  assert.ok(leader, 'step 4 is reached when a leader is elected');
  assert.match(await panel(pg).locator('.cp-sc-caption').textContent(), new RegExp(`${leader} has votes from a majority`), '{leader} is filled in');

  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 5);
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 6);
  // A task: Next waits until the reader has done it. Something else is "not it".
  assert.ok(await panel(pg).getByRole('button', { name: 'Next' }).isDisabled());
  await pg.locator(`[data-node="${leader}"]`).click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Client request' }).click();
  await panel(pg).locator('.cp-sc-status', { hasText: 'The leader appended your command' }).waitFor();
  assert.ok(await panel(pg).getByRole('button', { name: 'Next' }).isEnabled());

  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 7);
  assert.ok((await pg.evaluate((el) => el.simulation.stats().committed)) >= 2);
  await panel(pg).getByRole('button', { name: 'Finish' }).click();
  await panel(pg).locator('.cp-sc-label', { hasText: 'Finished' }).waitFor();

  const events = await page.evaluate(() => window.__sc);
  assert.deepEqual(events.filter((e) => e.kind === 'step').map((e) => e.step), [2, 3, 4, 5, 6, 7]);
  assert.ok(events.some((e) => e.kind === 'task-done' && e.step === 6));
  assert.equal(events.at(-1).kind, 'finished');
  assert.ok(events.every((e) => e.scenario === 'first-election' && e.of === 7));
  assert.ok(events.find((e) => e.step === 2).timeMs === t2);
  assert.deepEqual(errors, []);
});

// Every built-in scenario (www/scenarios/<protocol>/<name>.json), start to end as a reader who
// presses Skip ahead, Do it for me and Next: each step is reached with its caption, each task is
// done, nothing throws, and a step with `when` (not `within`) is reached because its condition
// holds (the panel says so by showing the caption rather than `otherwise`).
const builtIns = readdirSync(join(ROOT, 'www/scenarios')).flatMap((p) => readdirSync(join(ROOT, 'www/scenarios', p)).filter((f) => f.endsWith('.json')).map((f) => [p, f.slice(0, -5)]));
test('every built-in scenario runs from start to end (Skip ahead, Do it for me, Next) without errors', async () => {
  assert.ok(builtIns.length >= 1);
  for (const [protocol, name] of builtIns) {
    const s = JSON.parse(readFileSync(join(ROOT, 'www/scenarios', protocol, `${name}.json`), 'utf8'));
    assert.equal(s.protocol, protocol, `${protocol}/${name}.json names its protocol`);
    assert.equal(s.name, name, `${protocol}/${name}.json names itself`);
    const { page, errors } = await open(`?protocol=${protocol}&scenario=${name}`, undefined, '.cp-scenario .cp-sc-label');
    const pg = page.locator('consensus-playground');
    for (let i = 1; i <= s.steps.length; i++) {
      const st = s.steps[i - 1];
      await reachStep(pg, i);
      const text = await panel(pg).locator('.cp-sc-caption').textContent();
      if (st.when && st.within === undefined) assert.ok(!text.includes(st.otherwise ?? '\u0000'), `${protocol}/${name} step ${i}: its condition held`);
      if (st.task) {
        await panel(pg).getByRole('button', { name: 'Do it for me' }).click();
        await panel(pg).locator('.cp-sc-status').filter({ hasText: st.task.done ?? 'Done.' }).waitFor();
      }
      await panel(pg).getByRole('button', { name: i === s.steps.length ? 'Finish' : 'Next' }).click();
    }
    await panel(pg).locator('.cp-sc-label', { hasText: 'Finished' }).waitFor();
    // The violation it means to show (its "violation" field) comes first; none if it names none.
    const rules = await pg.evaluate((el) => el.simulation.violations().map((v) => v.rule));
    assert.equal(rules[0], s.violation, `${protocol}/${name}: the first violation is the one it expects: ${rules}`);
    assert.deepEqual(errors, [], `${protocol}/${name}`);
    await page.close();
  }
});
