// www/agents.html (issue #15 §2: "open it in several tabs and they form one cluster over
// BroadcastChannel, each tab an agent showing its role, its log and the shared state; closing a
// tab is a crash"), in headless Chromium: three tabs of one browser take the three places, elect
// one Raft leader, agree on a write made in one tab; the leader's tab closes and the other two
// elect a new leader and still commit; a tab opened after that restarts the crashed agent from
// its durable state in localStorage, and it catches up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage } from './browser-page.mjs';

const open = browserPage();

test('agents.html: three tabs form one Raft cluster; a write in one shows in all; closing the leader’s tab is a crash the others survive, and a new tab restarts it', { timeout: 120_000 }, async () => {
  const context = await open.context();
  const errors = [];
  const tab = async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(open.url('agents.html?room=t1'));
    await page.waitForSelector('body[data-agent-id]');
    return page;
  };
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await tab()); // one after another: each finds the others' places taken
  const idOf = (p) => p.evaluate(() => document.body.dataset.agentId);
  const ids = await Promise.all(tabs.map(idOf));
  assert.deepEqual([...ids].sort(), ['agent-1', 'agent-2', 'agent-3']);

  // One leader, known to every tab; its tab shows the role.
  const leaderOf = (p) => p.evaluate(() => document.body.dataset.leader);
  const agreeOnLeader = async (pages, not = null) => {
    for (const p of pages) await p.waitForFunction((not) => document.body.dataset.leader && document.body.dataset.leader !== not, not);
    for (;;) {
      const seen = await Promise.all(pages.map(leaderOf));
      if (seen.every((l) => l === seen[0]) && seen[0] !== not) return seen[0];
      await pages[0].waitForTimeout(100); // polling for agreement between tabs, not a timed assertion
    }
  };
  const leader = await agreeOnLeader(tabs);
  const leaderTab = tabs[ids.indexOf(leader)];
  assert.equal(await leaderTab.locator('#role').getAttribute('data-role'), 'leader');

  // A write proposed in a follower's tab is accepted and shows in every tab's shared state.
  const follower = tabs.find((p) => p !== leaderTab);
  await follower.fill('input[name="key"]', 'greeting');
  await follower.fill('input[name="value"]', '"hello"');
  await follower.click('button[type="submit"]');
  await follower.locator('#result[data-ok="true"]').waitFor();
  for (const p of tabs) await p.locator('#state tr[data-key="greeting"]', { hasText: 'hello' }).waitFor();
  // The log shows the entry, committed.
  await follower.locator('#log li', { hasText: 'hello' }).waitFor();
  assert.doesNotMatch(await follower.locator('#log li', { hasText: 'hello' }).textContent(), /not committed/);

  // Closing the leader's tab is a crash: the other two elect a new leader and still commit.
  await leaderTab.close();
  const rest = tabs.filter((p) => p !== leaderTab);
  const next = await agreeOnLeader(rest, leader);
  assert.notEqual(next, leader);
  await rest[0].locator(`#peers span[data-reachable="false"]`, { hasText: leader }).waitFor();
  await rest[0].fill('input[name="key"]', 'after');
  await rest[0].fill('input[name="value"]', '2');
  await rest[0].click('button[type="submit"]');
  await rest[0].locator('#result[data-ok="true"]').waitFor();
  for (const p of rest) await p.locator('#state tr[data-key="after"]', { hasText: '2' }).waitFor();

  // A tab opened again takes the crashed place back: the Raft agent wrote its durable state
  // (term, vote, log, Figure 2) to localStorage before anything it sent left, so the new tab
  // restarts it from there, and it catches up from the new leader.
  const again = await context.newPage();
  again.on('pageerror', (e) => errors.push(e.message));
  await again.goto(open.url('agents.html?room=t1'));
  await again.waitForSelector('body[data-restarted]');
  assert.equal(await again.evaluate(() => document.body.dataset.agentId), leader);
  assert.match(await again.locator('#status').textContent(), new RegExp(`This tab is ${leader}, restarted from the durable state`));
  await again.locator('#state tr[data-key="after"]', { hasText: '2' }).waitFor();
  // And it is a member again: a write from its tab commits everywhere.
  await again.fill('input[name="key"]', 'back');
  await again.fill('input[name="value"]', '3');
  await again.click('button[type="submit"]');
  await again.locator('#result[data-ok="true"]').waitFor();
  for (const p of rest) await p.locator('#state tr[data-key="back"]', { hasText: '3' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});
