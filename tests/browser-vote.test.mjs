// The majority-voting widget (<consensus-playground protocol="vote">) in headless Chromium
// (playwright-core), as a learner uses it. Waits are for conditions on the page, never for a
// length of time. Needs www/dist/ (node scripts/build.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, fetched, pausedAtStart, watchMessages } from './browser-page.mjs';

const open = browserPage();

const VOTE_CHUNK = /^vote-[A-Z0-9]+\.js$/;

/** Waits until the proposal `id` has status `status` in the Votes panel. */
const settled = (pg, id, status) => pg.locator(`[data-proposal="${id}"][data-status="${status}"]`).waitFor();

test('vote: the widget loads only its own chunk, stylesheet and wasm; a proposal is accepted and applied on every voter', async () => {
  const { page, errors } = await open('?protocol=vote&nodes=5&seed=7');
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.getAttribute('protocol'), 'vote');
  await watchMessages(page);
  assert.match(await pg.locator('.cp-legend').textContent(), /voter.*proposer.*Proposal.*Vote for.*Vote against.*Decided: accepted/);
  assert.equal(await pg.locator('[data-voter]').count(), 5);
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-state'), 'voter');
  assert.equal(await pg.locator('[data-node="n1"] .cp-term').textContent(), '1', 'the big number is the weight');
  // A majority of 5 voters of weight 1; every quorum shares a voter with every other: no warning.
  assert.match(await pg.locator('.cp-votes').textContent(), /passes with weight 3 of 5/);
  assert.equal(await pg.locator('.cp-vt-warn').isVisible(), false);

  await pausedAtStart(pg);
  await pg.locator('[data-node="n1"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Propose' }).click();
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-state'), 'proposer');
  assert.equal(await pg.locator('[data-message="Proposal"]').count(), 4, 'a Proposal to every other voter');
  assert.match(await pg.locator('[data-message="Proposal"]').first().getAttribute('aria-label'), /^Proposal n1:1 from n1 to n\d: set x = 1\? Vote for or against/);
  const item = pg.locator('[data-proposal="n1:1"]');
  assert.equal(await item.getAttribute('data-status'), 'open');
  // A quarter of real time: a 10–15 ms message stays on screen for a few frames.
  await pg.getByRole('slider', { name: 'Speed' }).fill('80');
  await pg.getByRole('button', { name: 'Play' }).click();
  await settled(pg, 'n1:1', 'accepted');
  assert.match(await item.textContent(), /x = 1.*accepted/);
  await page.waitForFunction(() => window.__drawn.includes('Decided'));
  // Applied: every voter's row shows x=1 once the Decided reaches it.
  await page.waitForFunction(() => [...document.querySelectorAll('[data-voter] .cp-vt-values')].every((td) => td.textContent === 'x=1'));
  const drawn = new Set(await page.evaluate(() => window.__drawn));
  for (const kind of ['Proposal', 'Vote', 'Decided']) assert.ok(drawn.has(kind), `${kind} was drawn: ${[...drawn]}`);
  const [result] = await pg.evaluate((el) => el.simulation.results());
  assert.equal(result.status, 'accepted');
  assert.equal(result.votes.for >= 3, true);

  // On load: the element, its CSS, the voting chunk, its stylesheet and its wasm, nothing else.
  const files = (await fetched(page)).sort();
  assert.equal(files.filter((f) => VOTE_CHUNK.test(f)).length, 1, files.join(' '));
  assert.deepEqual(files.filter((f) => !VOTE_CHUNK.test(f)), ['consensus-playground.css', 'consensus-playground.js', 'pkg/vote_bg.wasm', 'protocols/vote.css']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('vote: a manual voter’s Approve and Reject, from its node actions and from the proposal', async () => {
  const { page, errors } = await open('?protocol=vote&nodes=3&seed=1');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  // n2 and n3 vote by hand: n1's own vote is not enough for 2 of 3.
  await pg.getByRole('combobox', { name: "n2's policy" }).selectOption('manual');
  await pg.getByRole('combobox', { name: "n3's policy" }).selectOption('manual');
  assert.deepEqual(await pg.evaluate((el) => el.simulation.nodes().map((n) => n.policy)), ['approve', 'manual', 'manual']);
  await pg.getByRole('slider', { name: 'Speed' }).fill('100');
  await pg.getByRole('button', { name: 'Play' }).click();

  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Propose' }).click();
  // The Proposal reaches n2: it waits for a hand.
  await pg.locator('[data-node="n2"][data-waiting="1"]').waitFor();
  await pg.locator('[data-node="n2"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Approve n1:1' }).click();
  await settled(pg, 'n1:1', 'accepted');
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-waiting'), '0');

  // The next proposal: both manual voters reject it, from the buttons under the proposal.
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Propose' }).click();
  const p2 = pg.locator('[data-proposal="n1:2"]');
  await p2.getByRole('button', { name: 'Reject' }).first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-proposal="n1:2"] .cp-vt-manual').length === 2);
  await p2.locator('.cp-vt-manual', { hasText: 'n2' }).getByRole('button', { name: 'Reject' }).click();
  await p2.locator('.cp-vt-manual', { hasText: 'n3' }).getByRole('button', { name: 'Reject' }).click();
  await settled(pg, 'n1:2', 'rejected');
  const results = await pg.evaluate((el) => el.simulation.results().map((r) => [r.proposalId, r.status]));
  assert.deepEqual(results, [['n1:1', 'accepted'], ['n1:2', 'rejected']]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('vote: quorums that need not intersect are flagged; a weight set in the panel counts', async () => {
  // 0.34 of 3 voters needs 2 (1.02 rounded up): any two quorums share a voter.
  let { page, errors } = await open('?protocol=vote&nodes=3&quorum=0.34');
  let pg = page.locator('consensus-playground');
  assert.match(await pg.locator('.cp-votes').textContent(), /passes with weight 2 of 3/);
  assert.equal(await pg.locator('.cp-vt-warn').isVisible(), false);
  assert.deepEqual(errors, []);
  await page.close();
  // 0.34 of 5 needs 2: n1+n2 and n3+n4 are two quorums with no voter in common.
  ({ page, errors } = await open('?protocol=vote&nodes=5&quorum=0.34'));
  pg = page.locator('consensus-playground');
  const warn = pg.locator('.cp-vt-warn');
  await warn.waitFor();
  assert.match(await warn.textContent(), /Quorums do not intersect.*two conflicting proposals on one key can both pass/);
  assert.equal(await pg.locator('.cp-votes').getAttribute('data-quorums-intersect'), 'false');
  // Weigh n1 at 4 (total 8, 0.34 of it needs 3): n1 alone is a quorum, and so is n2+n3+n4;
  // the rule and n1's big number follow.
  const weight = pg.getByRole('spinbutton', { name: "n1's weight" });
  await weight.fill('4');
  await weight.press('Enter');
  await pg.locator('[data-node="n1"][data-weight="4"]').waitFor();
  assert.equal(await pg.locator('[data-node="n1"] .cp-term').textContent(), '4');
  await page.waitForFunction(() => /of 8 in favour/.test(document.querySelector('.cp-votes').textContent));
  assert.deepEqual(errors, []);
  await page.close();
});

test('vote: keyboard — Enter on a focused node opens its actions, Tab reaches Propose', async () => {
  const { page, errors } = await open('?protocol=vote&nodes=3&seed=5');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  await pg.locator('[data-node="n3"]').focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Close node actions');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Propose');
  await page.keyboard.press('Enter');
  assert.equal(await pg.locator('[data-node="n3"]').getAttribute('data-state'), 'proposer');
  assert.equal(await pg.locator('[data-proposal="n3:1"]').getAttribute('data-status'), 'open');
  assert.deepEqual(errors, []);
  await page.close();
});

test('chapter.html: the Paxos figure elects a leader; the voting figure warns, and two conflicting proposals on x both pass', async () => {
  const { page, errors } = await open('chapter.html');
  const widgets = page.locator('consensus-playground');
  assert.equal(await widgets.count(), 12); // the others: browser-chapter.test.mjs
  const [paxos, vote] = [page.locator('#fig-paxos'), page.locator('#fig-vote')];
  assert.equal(await paxos.getAttribute('protocol'), 'paxos');
  await paxos.locator('[data-slots-of]').first().waitFor();
  await paxos.getByRole('slider', { name: 'Speed' }).fill('100');
  await paxos.locator('[data-state="leader"]').waitFor();

  assert.equal(await vote.getAttribute('protocol'), 'vote');
  await vote.locator('.cp-vt-warn').waitFor();
  // As the text says: key x, pause, n1 then n4 propose, play.
  await vote.getByRole('combobox', { name: 'Key to propose on' }).selectOption('x');
  await vote.getByRole('button', { name: 'Pause' }).click();
  for (const id of ['n1', 'n4']) {
    await vote.locator(`[data-node="${id}"]`).click();
    await vote.locator('.cp-actions').getByRole('button', { name: 'Propose' }).click();
  }
  await vote.getByRole('slider', { name: 'Speed' }).fill('100');
  await vote.getByRole('button', { name: 'Play' }).click();
  await settled(vote, 'n1:1', 'accepted');
  await settled(vote, 'n4:1', 'accepted');
  assert.deepEqual(await vote.evaluate((el) => el.simulation.results().map((r) => [r.key, r.value, r.status])), [['x', '1', 'accepted'], ['x', '2', 'accepted']]);
  // A page with widgets of three mechanisms fetches one wasm hosting them all, not one each
  // (issue #11 §6: such a page transfers at most 200 KB).
  const wasm = (await fetched(page)).filter((f) => f.endsWith('.wasm')).sort();
  assert.deepEqual(wasm, ['pkg/combined_bg.wasm'], wasm.join(' '));
  assert.deepEqual(errors, []);
  await page.close();
});

for (const viewport of [{ width: 1280, height: 800 }, { width: 400, height: 800 }]) {
  test(`vote: layout at ${viewport.width}px: nothing overflows, the ring and the Votes panel are visible`, async () => {
    const { page, errors } = await open('?protocol=vote&nodes=5&seed=3&speed=1', viewport);
    const pg = page.locator('consensus-playground');
    await pg.locator('.cp-toolbar').getByRole('button', { name: 'Propose' }).click();
    await settled(pg, 'n1:1', 'accepted');
    // The tally says its weights in words (it once read "for undefined · needs 3 of undefined").
    const hint = await pg.locator('[data-proposal="n1:1"] .cp-hint').last().textContent();
    assert.match(hint, /^for [1-5] · against 0 · not voted [0-4] · needs 3 of 5/, hint);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    const ring = await pg.locator('.cp-ring').boundingBox();
    assert.ok(ring.width >= 300 && ring.x >= 0 && ring.x + ring.width <= viewport.width, JSON.stringify(ring));
    const votes = await pg.locator('.cp-votes').boundingBox();
    assert.ok(votes.x >= 0 && votes.x + votes.width <= viewport.width, JSON.stringify(votes));
    assert.deepEqual(errors, []);
    await page.close();
  });
}
