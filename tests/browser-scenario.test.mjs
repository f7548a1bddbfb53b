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
  await pg.page().waitForFunction(() => !document.querySelector('.cp-scenario .cp-buttons button:last-of-type').disabled || !document.querySelector('.cp-scenario .cp-buttons button:nth-child(2)').hidden);
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
  // The page lists the mechanism's scenarios (the build's scenarios/index.json), this one current.
  await page.locator('nav.scenarios a[aria-current="page"]', { hasText: 'The first election' }).waitFor();
  assert.ok((await page.locator('nav.scenarios a').count()) >= 5);
  assert.equal(await page.locator('nav.scenarios a', { hasText: 'Figure 8' }).getAttribute('href'), '?protocol=raft&scenario=figure-8');
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
  // A task on a message: drop one of the RequestVotes in flight (click it on the ring).
  assert.ok(await panel(pg).getByRole('button', { name: 'Next' }).isDisabled());
  await pg.locator('[data-message="RequestVote"]').first().click();
  await panel(pg).locator('.cp-sc-status', { hasText: 'Lost: that server will never hear' }).waitFor();
  assert.equal(await pg.evaluate((el) => el.simulation.stats().messagesDropped), 1);

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
  assert.ok(events.some((e) => e.kind === 'task-done' && e.step === 2));
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

test('Back is time travel to the previous step; Next after Back returns to the step as it was; a wrong action is "not it"', async () => {
  const { page, errors } = await open('?protocol=raft&scenario=leader-crash', undefined, '.cp-scenario .cp-sc-label');
  const pg = page.locator('consensus-playground');
  await reachStep(pg, 1);
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 2);
  const leader = await pg.evaluate((el) => el.simulation.leader());
  const t2 = await pg.evaluate((el) => el.simulation.now);
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 3);
  // The task asks to crash the leader: crashing another node is not it, and Next stays disabled.
  const other = leader === 'n1' ? 'n2' : 'n1';
  await pg.locator(`[data-node="${other}"]`).click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Crash' }).click();
  await panel(pg).locator('.cp-sc-status', { hasText: 'That was not it' }).waitFor();
  assert.ok(await panel(pg).getByRole('button', { name: 'Next' }).isDisabled());
  await pg.locator('.cp-actions').getByRole('button', { name: 'Restart' }).click();
  await pg.locator(`[data-node="${leader}"]`).click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Crash' }).click();
  await panel(pg).locator('.cp-sc-status', { hasText: 'The leader is down' }).waitFor();
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 4);
  const t4 = await pg.evaluate((el) => el.simulation.now);
  const newLeader = await pg.evaluate((el) => el.simulation.leader());
  assert.ok(newLeader && newLeader !== leader);

  // Back: the run as it was at step 3 (the leader crashed, no new one yet), then at step 2.
  await panel(pg).getByRole('button', { name: 'Back' }).click();
  await panel(pg).locator('.cp-sc-label', { hasText: 'Step 3 of' }).waitFor();
  await page.waitForFunction((t) => document.querySelector('consensus-playground').simulation.now < t, t4);
  assert.equal(await pg.evaluate((el, id) => el.simulation.nodes().find((n) => n.id === id).crashed, leader), true);
  assert.equal(await pg.evaluate((el) => el.simulation.leader()), null);
  await panel(pg).getByRole('button', { name: 'Back' }).click();
  await panel(pg).locator('.cp-sc-label', { hasText: 'Step 2 of' }).waitFor();
  await page.waitForFunction((t) => document.querySelector('consensus-playground').simulation.now === t, t2);
  assert.equal(await pg.evaluate((el) => el.simulation.leader()), leader, 'the leader is alive again: before the crash');
  // Next: step 3 as it was (its task done), then step 4 at the same moment with the same leader.
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await panel(pg).locator('.cp-sc-label', { hasText: 'Step 3 of' }).waitFor();
  await panel(pg).locator('.cp-sc-status', { hasText: 'The leader is down' }).waitFor();
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await panel(pg).locator('.cp-sc-label', { hasText: 'Step 4 of' }).waitFor();
  await page.waitForFunction((t) => document.querySelector('consensus-playground').simulation.now === t, t4);
  assert.equal(await pg.evaluate((el) => el.simulation.leader()), newLeader);
  assert.deepEqual(errors, []);
});

/** A page of our own on the test server, with `html` in its body (the element's files beside it). */
async function hostPage(html, extra = {}) {
  const context = await open.context({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console.error: ${m.text()}`));
  for (const [path, body] of Object.entries(extra)) await page.route(open.url(path), (route) => route.fulfill({ contentType: 'application/json', body }));
  await page.route(open.url('host.html'), (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><html lang="en"><head><script type="module" src="dist/consensus-playground.js"></script></head><body>${html}</body></html>` }));
  await page.goto(open.url('host.html'));
  return { page, errors, context };
}

const tiny = (protocol, caption) => JSON.stringify({ name: 'tiny', protocol, title: 'A tiny scenario', settings: { nodes: 3, seed: 2 }, steps: [{ caption: 'Start.' }, { when: { leader: true }, caption }] });

test('a course author’s scenario: written inside the element, or loaded from a URL (which may change the mechanism)', async () => {
  const inline = await hostPage(`<consensus-playground protocol="raft"><script type="application/json">${tiny('raft', 'Inline: {leader} leads.')}</script></consensus-playground>`);
  const pg = inline.page.locator('consensus-playground');
  await pg.locator('.cp-scenario h3', { hasText: 'A tiny scenario' }).waitFor();
  await reachStep(pg, 1);
  assert.equal(await pg.getAttribute('nodes'), '3', 'its settings are set');
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 2);
  assert.match(await panel(pg).locator('.cp-sc-caption').textContent(), /^Inline: n\d leads\.$/);
  assert.deepEqual(inline.errors, []);
  await inline.context.close();

  // From a URL, for another mechanism than the attribute said: the widget switches to it.
  const remote = await hostPage('<consensus-playground protocol="raft" scenario="lessons/tiny.json"></consensus-playground>', { 'lessons/tiny.json': tiny('paxos', 'Remote: {leader} leads.') });
  const pg2 = remote.page.locator('consensus-playground');
  await pg2.locator('.cp-scenario h3', { hasText: 'A tiny scenario' }).waitFor();
  assert.equal(await pg2.getAttribute('protocol'), 'paxos');
  await panel(pg2).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg2, 2);
  assert.match(await panel(pg2).locator('.cp-sc-caption').textContent(), /^Remote: n\d leads\.$/);
  assert.deepEqual(remote.errors, []);
  await remote.context.close();
});

test('a bad scenario is named in the banner, field and rule; the widget still runs', async () => {
  const bad = JSON.stringify({ protocol: 'raft', steps: [{ caption: 'ok' }, { when: { leeder: true }, caption: 'x' }] });
  const { page, context } = await hostPage(`<consensus-playground><script type="application/json">${bad}</script></consensus-playground>`);
  const pg = page.locator('consensus-playground');
  await pg.locator('.cp-banner', { hasText: 'scenario.steps[1].when.leeder: unknown condition' }).waitFor();
  assert.equal(await pg.locator('.cp-scenario').count(), 0);
  await page.waitForFunction(() => document.querySelector('consensus-playground').simulation?.now > 0, null, { polling: 'raf' });
  await context.close();
  const missing = await open('?protocol=raft&scenario=no-such-scenario', undefined, '.cp-banner:not([hidden])');
  assert.match(await missing.page.locator('.cp-banner').textContent(), /scenario "no-such-scenario": 404/);
  await missing.page.close();
});

test('Back while the run is on its way to a step’s moment: the run is the reader’s again (Play goes past that moment)', async () => {
  const { page, errors } = await open('?protocol=raft&scenario=split-vote', undefined, '.cp-scenario .cp-sc-label');
  const pg = page.locator('consensus-playground');
  await reachStep(pg, 1);
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 2);
  const t2 = await pg.evaluate((el) => el.simulation.now);
  // Step 3 waits 30 ms; the speed is low, so it is still on its way when Back is pressed.
  await pg.evaluate((el) => (el.speed = 0.001));
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await panel(pg).locator('.cp-sc-label', { hasText: 'Step 3 of' }).waitFor();
  await panel(pg).getByRole('button', { name: 'Back' }).click();
  await panel(pg).locator('.cp-sc-label', { hasText: 'Step 2 of' }).waitFor();
  await page.waitForFunction((t) => document.querySelector('consensus-playground').simulation.now === t, t2);
  await pg.evaluate((el) => (el.speed = 1));
  await pg.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction((t) => document.querySelector('consensus-playground').simulation.now > t + 100, t2);
  assert.deepEqual(errors, []);
});

test('Reset starts the scenario again from a new run; × leaves it and forgets it, so the same scenario opens again', async () => {
  const { page, errors } = await open('?protocol=raft&scenario=leader-crash', undefined, '.cp-scenario .cp-sc-label');
  const pg = page.locator('consensus-playground');
  await reachStep(pg, 1);
  await panel(pg).getByRole('button', { name: 'Next' }).click();
  await reachStep(pg, 2);
  assert.ok((await pg.evaluate((el) => el.simulation.now)) > 0);
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Reset' }).click();
  await reachStep(pg, 1);
  assert.equal(await pg.evaluate((el) => el.simulation.now), 0, 'a new run, at its start');
  assert.equal(await pg.evaluate((el) => el.simulation.leader()), null);
  // ×: the panel goes, the run stays, the attribute goes; setting it again opens it anew.
  await panel(pg).getByRole('button', { name: 'Leave the scenario' }).click();
  assert.equal(await pg.locator('.cp-scenario').count(), 0);
  assert.equal(await pg.getAttribute('scenario'), null);
  await pg.evaluate((el) => el.setAttribute('scenario', 'leader-crash'));
  await reachStep(pg, 1);
  assert.equal(await pg.locator('.cp-scenario').count(), 1);
  assert.deepEqual(errors, []);
});
