// The space-time diagram in headless Chromium (issue #14 §1: "one line per node, messages as
// arrows between them, in Lamport's style, that scrolls with the timeline and highlights the
// event the narration is talking about; clicking an arrow selects that message"; README "Time
// travel"). Waits are for conditions on the page, never for a length of time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advance, browserPage, fetched } from './browser-page.mjs';

const open = browserPage();
const PX_PER_MS = 1.5; // www/stage/spacetime.js

// The simulation's record of the messages in the diagram's window (the last 500 ms).
const record = (page) => page.evaluate(() => document.querySelector('consensus-playground').simulation.messageLog(Math.max(0, document.querySelector('consensus-playground').simulation.now - 500)));
// Every arrow drawn: its record's seq, accessible name, line and classes.
const arrows = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('.cp-st-msg')].map((g) => {
      const l = g.querySelector('.cp-st-line');
      return { seq: Number(g.dataset.seq), id: g.dataset.stMessage, name: g.getAttribute('aria-label'), x1: Number(l.getAttribute('x1')), y1: Number(l.getAttribute('y1')), x2: Number(l.getAttribute('x2')), y2: Number(l.getAttribute('y2')), inFlight: g.hasAttribute('data-in-flight'), lost: g.hasAttribute('data-lost'), cls: g.getAttribute('class') };
    }),
  );
const ms = (t) => `${Math.round(t * 10) / 10} ms`;
const nameOf = (r) => `${r.kind} ${r.from}→${r.to}, sent ${ms(r.sentMs)}, ${r.deliveredMs !== null ? `delivered ${ms(r.deliveredMs)}` : r.droppedMs !== null ? `lost ${ms(r.droppedMs)}` : 'in flight'}`;
const settled = (page) => page.waitForFunction(() => !document.querySelector('consensus-playground').dirty);

/** Each record of the window has its arrow, named and placed by its times. */
async function assertArrowsMatch(page) {
  const [log, drawn, now, rows] = await Promise.all([
    record(page),
    arrows(page),
    page.evaluate(() => document.querySelector('consensus-playground').simulation.now),
    page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.cp-st-labels div')].map((d, i) => [d.textContent, i]))),
  ]);
  assert.deepEqual(drawn.map((a) => a.seq).sort((a, b) => a - b), log.map((r) => r.seq), 'one arrow per message of the window');
  const rowY = (id) => 18 + rows[id] * 26 + 13;
  for (const r of log) {
    const a = drawn.find((x) => x.seq === r.seq);
    assert.equal(a.name, nameOf(r));
    assert.ok(Math.abs(a.x1 - r.sentMs * PX_PER_MS) < 0.11, `${a.name}: starts at its send time`);
    assert.equal(a.y1, rowY(r.from), `${a.name}: from its sender's line`);
    if (r.deliveredMs !== null) {
      assert.ok(Math.abs(a.x2 - r.deliveredMs * PX_PER_MS) < 0.11, `${a.name}: ends at its delivery`);
      assert.equal(a.y2, rowY(r.to), `${a.name}: at its receiver's line`);
    } else if (r.droppedMs === null) {
      assert.ok(a.inFlight && Math.abs(a.x2 - now * PX_PER_MS) < 0.11, `${a.name}: in flight, it ends at now`);
    } else assert.ok(a.lost, `${a.name}: lost, it ends in a cross`);
  }
  return { log, drawn, now };
}

test('the diagram: opened from the timeline (fetched then), arrows for the election with the simulation’s times; the slider moves it; an arrow selects its message', async () => {
  const { page, errors } = await open('?nodes=5&seed=7&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Pause' }).click();
  await pg.getByRole('button', { name: 'Reset' }).click();
  assert.ok(!(await fetched(page)).some((f) => /spacetime/.test(f)), 'not fetched on load');
  const toggle = pg.getByRole('button', { name: 'Space-time' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await pg.locator('.cp-spacetime').waitFor();
  assert.ok((await fetched(page)).some((f) => /^spacetime-.*\.js$/.test(f)) && (await fetched(page)).includes('stage/spacetime.css'));
  await pg.locator('.cp-st-labels div').nth(4).waitFor(); // the lines are drawn on the next frame
  assert.deepEqual(await pg.locator('.cp-st-labels div').allTextContents(), ['n1', 'n2', 'n3', 'n4', 'n5'], 'one line per node');

  // Run to a leader: the RequestVote / AppendEntries exchange is drawn as the record has it.
  while (!(await page.evaluate(() => document.querySelector('consensus-playground').simulation.leader()))) await advance(page, 20);
  await advance(page, 60);
  await settled(page);
  const { log } = await assertArrowsMatch(page);
  const kinds = new Set(log.map((r) => r.kind));
  for (const k of ['RequestVote', 'RequestVoteResponse', 'AppendEntries', 'AppendEntriesResponse']) assert.ok(kinds.has(k), `${k} drawn`);
  const leader = await page.evaluate(() => document.querySelector('consensus-playground').simulation.leader());
  assert.ok(log.some((r) => r.kind === 'RequestVote' && r.from === leader && r.deliveredMs !== null));
  assert.equal(await pg.locator(`.cp-st-leader[data-st-node="${leader}"]`).count(), 1, 'the leader’s stretch is marked');
  // Named for assistive technology, as the issue spells it.
  const rv = log.find((r) => r.kind === 'RequestVote' && r.deliveredMs !== null);
  await pg.getByRole('button', { name: nameOf(rv), exact: true }).waitFor();
  assert.match(nameOf(rv), /^RequestVote n\d→n\d, sent [\d.]+ ms, delivered [\d.]+ ms$/);

  // The event the narration is at: hovering a line of the event log marks it on the diagram.
  const deliver = pg.locator('.cp-events li.cp-ev-deliver').first();
  await deliver.hover();
  const seq = await deliver.getAttribute('data-seq');
  const ev = await page.evaluate((seq) => document.querySelector('consensus-playground').simulation.eventsSince(seq - 1)[0], Number(seq));
  await page.waitForFunction((seq) => document.querySelector('.cp-st-spot').dataset.seq === seq, seq);
  assert.equal(await pg.locator('.cp-st-spot').getAttribute('visibility'), 'visible');
  assert.equal(Number(await pg.locator('.cp-st-spot').getAttribute('cx')), Number((ev.time * PX_PER_MS).toFixed(1)));
  assert.equal(await pg.locator(`.cp-st-msg.cp-st-told[data-st-message="${ev.messageId}"]`).count(), 1, 'its message is marked');

  // Dragging the time slider back to a few ms after the RequestVote left: the diagram follows.
  const slider = pg.getByRole('slider', { name: 'Time' });
  await slider.fill(String(rv.sentMs + 5)); // (the slider keeps to its step, a hundredth of the run)
  const back = Number(await slider.inputValue());
  assert.ok(back > rv.sentMs && back < rv.dueMs);
  await page.waitForFunction((t) => document.querySelector('consensus-playground').simulation.now === t, back);
  await settled(page);
  const past = await assertArrowsMatch(page);
  assert.ok(past.log.every((r) => r.sentMs <= back), 'nothing from after that moment');
  const flying = past.drawn.find((a) => a.seq === rv.seq);
  assert.ok(flying.inFlight, 'the RequestVote is in flight again');
  assert.equal(Number(await pg.locator('.cp-st-now').getAttribute('x1')), Number((back * PX_PER_MS).toFixed(1)), 'now is where the slider is');

  // Clicking its arrow selects the message: marked here and on the ring, its details, a Drop button.
  // (a click on its line: arrows leaving one node at one moment overlap near their start)
  await pg.locator(`.cp-st-msg[data-seq="${rv.seq}"] .cp-st-hit`).dispatchEvent('click');
  assert.equal(await pg.locator(`.cp-st-msg[data-seq="${rv.seq}"]`).getAttribute('aria-pressed'), 'true');
  const details = pg.locator('.cp-st-details');
  await details.waitFor();
  assert.match(await details.innerText(), new RegExp(`RequestVote #${rv.id}[\\s\\S]*${rv.from} → ${rv.to}[\\s\\S]*Sent\\s+${ms(rv.sentMs)}[\\s\\S]*in flight`));
  assert.equal(await pg.locator(`.cp-ring .cp-msg[data-message-id="${rv.id}"]`).getAttribute('class').then((c) => c.includes('cp-st-picked')), true, 'marked on the ring');
  await details.getByRole('button', { name: 'Drop' }).click();
  const dropped = (await record(page)).find((r) => r.seq === rv.seq);
  assert.equal(dropped.droppedMs, back, 'dropped now');
  await page.waitForFunction((seq) => document.querySelector(`.cp-st-msg[data-seq="${seq}"]`)?.hasAttribute('data-lost'), rv.seq);
  assert.equal(await pg.locator(`.cp-st-msg[data-seq="${rv.seq}"] .cp-st-cross`).count(), 1, 'a dropped message ends in a cross');
  assert.equal(await details.getByRole('button', { name: 'Drop' }).count(), 0);
  assert.deepEqual(await page.evaluate(() => document.querySelector('consensus-playground').timeline.run.log.map((a) => a.do)), ['dropMessage'], 'recorded: acting in the past forks the run');

  // Keyboard: one tab stop among the arrows; ← → move between them, Enter selects.
  const stop = pg.locator('.cp-st-msg[tabindex="0"]');
  assert.equal(await stop.count(), 1);
  await stop.focus();
  const active = () => page.evaluate(() => document.activeElement.dataset.seq);
  await page.keyboard.press('Home');
  const home = await active();
  assert.equal(home, await page.evaluate(() => [...document.querySelectorAll('.cp-st-msg')].sort((a, b) => a.querySelector('line').x1.baseVal.value - b.querySelector('line').x1.baseVal.value || a.dataset.seq - b.dataset.seq)[0].dataset.seq), 'Home: the earliest');
  await page.keyboard.press('ArrowRight');
  const second = await active();
  assert.ok(second && second !== home, '→: the next one');
  await page.keyboard.press('Enter');
  assert.equal(await pg.locator(`.cp-st-msg[data-seq="${second}"]`).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.evaluate(() => document.querySelector('consensus-playground').simulation.now), back, 'the arrow keys did not move time');
  await page.keyboard.press('Escape');
  assert.equal(await pg.locator('.cp-st-details').isVisible(), false, 'Escape deselects');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.seq), second, 'focus stays on the arrow');

  // Closing hides it.
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await pg.locator('.cp-spacetime').isVisible(), false);
  assert.deepEqual(errors, []);
});

test('every mechanism of the ring draws its messages in the diagram; at 400 px it scrolls inside its box', async () => {
  for (const protocol of ['paxos', 'vote', 'pbft', 'hotstuff', 'generals', 'gossip']) {
    const { page, errors } = await open(`?protocol=${protocol}&nodes=4&seed=3&speed=1`, { width: 400, height: 800 });
    const pg = page.locator('consensus-playground');
    await pg.getByRole('button', { name: 'Pause' }).click();
    await pg.getByRole('button', { name: 'Space-time' }).click();
    await pg.locator('.cp-spacetime').waitFor();
    // Something to say: a client request (or the mechanism's own start) and time for replies.
    await page.evaluate(() => {
      const pg = document.querySelector('consensus-playground');
      pg.act((s) => (s.startRun ? s.startRun('attack') : s.clientRequest('x', 'n1'))); // the generals: an order
    });
    await advance(page, 300);
    await settled(page);
    await assertArrowsMatch(page);
    assert.ok((await arrows(page)).length > 0, `${protocol}: arrows drawn`);
    const box = await page.evaluate(() => {
      const s = document.querySelector('.cp-st-scroll');
      return { scroll: s.scrollWidth, client: s.clientWidth, left: s.scrollLeft, right: document.querySelector('.cp-spacetime').getBoundingClientRect().right };
    });
    assert.ok(box.scroll > box.client, `${protocol}: the window scrolls within its box`);
    assert.ok(box.left + box.client >= box.scroll - 2, `${protocol}: scrolled to now`);
    assert.ok(box.right <= 400, `${protocol}: the diagram fits the screen (${box.right} px)`);
    assert.deepEqual(errors, [], protocol);
    await page.close();
  }
});
