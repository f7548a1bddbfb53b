// Issue #14 §5, as a new user tries the page: the defects it lists (the node state table, Add
// node at the limit, the stale-read bug the page never showed) and the layout (15 nodes without
// overlaps, names that messages never cover, the ring and the node panel on one 400 × 800
// screen). Waits are for conditions on the page, never for a length of time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, pausedAtStart } from './browser-page.mjs';

const open = browserPage();

const stateRows = (pg) => pg.locator('.cp-actions dl.cp-state dt').count();

test('the node state table keeps its rows when the selected node is paused, resumed, and when the leader changes', async () => {
  const { page, errors } = await open('?nodes=5&seed=7&speed=1');
  const pg = page.locator('consensus-playground');
  await page.waitForSelector('consensus-playground [data-state="leader"]');
  const leader = await pg.locator('[data-state="leader"]').getAttribute('data-node');
  const other = leader === 'n2' ? 'n3' : 'n2';
  await pg.locator(`[data-node="${other}"]`).click();
  const actions = pg.locator('.cp-actions');
  assert.ok((await stateRows(pg)) >= 7, 'state, configuration, currentTerm, votedFor, commitIndex, lastApplied, log');
  // Its buttons change (Pause becomes Resume): the panel is rebuilt, and the rows with it.
  await actions.getByRole('button', { name: 'Pause', exact: true }).click();
  await actions.getByRole('button', { name: 'Resume' }).waitFor();
  assert.ok((await stateRows(pg)) >= 7, 'rows after pausing the node');
  assert.equal(await actions.locator('dd').first().textContent(), 'follower');
  await actions.getByRole('button', { name: 'Resume' }).click();
  await actions.getByRole('button', { name: 'Pause', exact: true }).waitFor();
  assert.ok((await stateRows(pg)) >= 7, 'rows after resuming it');
  // A change of leader changes what its buttons can do (it leads now: Start election and Transfer
  // are disabled in their places).
  const before = await actions.locator('.cp-buttons button').allTextContents();
  await actions.getByRole('button', { name: 'Transfer leadership here' }).click();
  await page.waitForSelector(`consensus-playground [data-node="${other}"][data-state="leader"]`);
  await page.waitForFunction(() => document.querySelector('.cp-actions .cp-buttons [aria-disabled="true"]')?.textContent === 'Start election');
  assert.deepEqual(await actions.locator('.cp-buttons button').allTextContents(), before, 'the buttons keep their places');
  assert.ok((await stateRows(pg)) >= 9, 'rows after it became leader (nextIndex and matchIndex among them)');
  assert.equal(await actions.locator('dd').first().textContent(), 'leader');
  assert.deepEqual(errors, []);
  await page.close();
});

test('Add node: disabled at the limit with a title saying why; an action that fails says so in the banner', async () => {
  const full = await open('?nodes=16&seed=3');
  const add = full.page.locator('consensus-playground .cp-toolbar').getByRole('button', { name: 'Add node' });
  await full.page.waitForSelector('consensus-playground [data-state="leader"]');
  assert.equal(await add.isDisabled(), true, '16 nodes: the most the ring holds');
  assert.match(await add.getAttribute('title'), /16 nodes/);
  assert.deepEqual(full.errors, []);
  await full.page.close();

  const { page, errors } = await open('?nodes=3&seed=3&speed=1');
  const pg = page.locator('consensus-playground');
  const button = pg.locator('.cp-toolbar').getByRole('button', { name: 'Add node' });
  await page.waitForSelector('consensus-playground [data-state="leader"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-log-of] [data-entry="1"][data-committed="true"]').length === 3);
  await pg.getByRole('button', { name: 'Pause' }).click();
  assert.equal(await button.isEnabled(), true);
  await button.click();
  assert.equal(await pg.locator('[data-node="n4"]').count(), 1, 'n4 joins');
  assert.equal(await pg.locator('.cp-banner').isHidden(), true);
  // A second change before the first committed is refused (§4.1): the banner says so.
  await button.click();
  await pg.locator('.cp-banner').waitFor();
  assert.match(await pg.locator('.cp-banner').textContent(), /^Not done: .*not committed yet/);
  assert.equal(await pg.locator('[data-node="n5"]').count(), 0);
  // The next action that works clears it.
  await pg.locator('[data-node="n2"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Isolate' }).click();
  await pg.locator('.cp-banner').waitFor({ state: 'hidden' });
  assert.deepEqual(errors, []);
  await page.close();
});

/** Boxes of every node's body, name and (when drawn) the line under it, in page pixels. */
const nodeBoxes = () =>
  [...document.querySelectorAll('consensus-playground [data-node]')].flatMap((g) =>
    ['.cp-body', '.cp-name', '.cp-sub']
      .map((sel) => [sel, g.querySelector(sel)])
      .filter(([sel, e]) => sel === '.cp-body' || (getComputedStyle(e).display !== 'none' && e.textContent))
      .map(([sel, e]) => {
        const r = e.getBoundingClientRect();
        return { id: g.dataset.node, what: sel.slice(4), box: [r.left, r.top, r.right, r.bottom] };
      }),
  );
const meet = ([l1, t1, r1, b1], [l2, t2, r2, b2]) => l1 < r2 && l2 < r1 && t1 < b2 && t2 < b1;

test('15 nodes: no circle, name or label overlaps another node’s, and messages never cover a name', async () => {
  const { page, errors } = await open('?nodes=15&seed=4');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  const boxes = await page.evaluate(nodeBoxes);
  assert.equal(boxes.filter((b) => b.what === 'body').length, 15);
  assert.equal(boxes.filter((b) => b.what === 'name').length, 15);
  const clashes = [];
  for (const a of boxes) for (const b of boxes) if (a.id < b.id && meet(a.box, b.box)) clashes.push(`${a.id} ${a.what} × ${b.id} ${b.what}`);
  for (const a of boxes) for (const b of boxes) if (a.id === b.id && a.what < b.what && a.what !== 'body' && meet(a.box, b.box)) clashes.push(`${a.id}: ${a.what} × ${b.what}`);
  assert.deepEqual(clashes, []);
  // Names sit inside the ring's drawing.
  const ring = await pg.locator('.cp-ring').boundingBox();
  for (const b of boxes) assert.ok(b.box[0] >= ring.x && b.box[2] <= ring.x + ring.width && b.box[1] >= ring.y && b.box[3] <= ring.y + ring.height, `${b.id} ${b.what} inside the ring`);

  // Messages in flight, at every step of an election and its replies: none covers a name.
  for (const id of ['n1', 'n5', 'n12']) {
    await pg.locator(`[data-node="${id}"]`).click();
    await pg.getByRole('button', { name: 'Start election' }).click();
  }
  const step = pg.getByRole('button', { name: 'Step', exact: true });
  for (let k = 0; k < 25; k++) {
    const covered = await page.evaluate(() => {
      const names = [...document.querySelectorAll('consensus-playground .cp-name')].map((e) => [e.closest('[data-node]').dataset.node, e.getBoundingClientRect()]);
      const out = [];
      for (const m of document.querySelectorAll('consensus-playground [data-message]')) {
        const r = m.querySelector(':scope > :not(title):not(.cp-hit)').getBoundingClientRect();
        for (const [id, n] of names) if (r.left < n.right && n.left < r.right && r.top < n.bottom && n.top < r.bottom) out.push(`${m.dataset.message} over ${id}`);
      }
      return [document.querySelectorAll('consensus-playground [data-message]').length, out];
    });
    assert.ok(k > 0 || covered[0] >= 14, 'messages in flight');
    assert.deepEqual(covered[1], [], `step ${k}`);
    await step.click();
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('400 × 800: the ring and the node panel are both on screen once a node is selected', async () => {
  const { page, errors } = await open('?nodes=5&seed=7', { width: 400, height: 800 });
  const pg = page.locator('consensus-playground');
  await page.waitForSelector('consensus-playground [data-state="leader"]');
  const leader = await pg.locator('[data-state="leader"]').getAttribute('data-node');
  await pg.locator(`[data-node="${leader}"]`).click();
  await pg.locator('.cp-actions dl.cp-state dt').first().waitFor();
  const within = async (loc) => {
    const b = await loc.boundingBox();
    return b.y >= 0 && b.y + b.height <= 800 && b.x >= 0 && b.x + b.width <= 400;
  };
  assert.ok(await within(pg.locator('.cp-ring')), 'the ring');
  assert.ok(await within(pg.locator('.cp-actions')), 'the node panel');
  const ring = await pg.locator('.cp-ring').boundingBox();
  const panel = await pg.locator('.cp-actions').boundingBox();
  assert.ok(ring.y + ring.height <= panel.y, 'the panel under the ring, not over it');
  assert.deepEqual(errors, []);
  await page.close();
});

test('400 × 800: a guided scenario’s panel and the whole ring are on the first screen, no scrolling', async () => {
  // The step counter sits beside Back and Next, and the page's header is tighter on a phone:
  // the reader sees the caption and every node it talks about at once.
  const { page, errors } = await open('?protocol=raft&scenario=leader-crash', { width: 400, height: 800 }, '.cp-scenario');
  const pg = page.locator('consensus-playground');
  await pg.locator('.cp-scenario .cp-sc-caption').filter({ hasText: /./ }).waitFor();
  const onScreen = async (loc) => {
    const b = await loc.boundingBox();
    return b.y >= 0 && b.y + b.height <= 800 && b.x >= 0 && b.x + b.width <= 400;
  };
  assert.ok(await onScreen(pg.locator('.cp-scenario')), 'the scenario panel');
  for (const node of await pg.locator('.cp-ring [data-node]').all()) assert.ok(await onScreen(node), `node ${await node.getAttribute('data-node')}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('stale-read: the page checks its clients’ history and shows the stale read like any violation', async () => {
  // What a learner does (a link to it, Share… → Copy link): 3 nodes, seed 34, the stale-read bug
  // and CheckQuorum off, so that the isolated leader keeps believing it leads; Isolate the
  // leader (n1) at 1 s; KV clients on at 2 s, once n2 and n3 have a new leader. A client whose
  // reads go to n1 gets values the new leader's writes have replaced (seed 34: at 2,101.6 ms).
  const record = {
    consensusPlayground: 1,
    attributes: { nodes: '3', seed: '34', bugs: 'stale-read', 'check-quorum': 'off', speed: '0.2' },
    check: null,
    actions: [
      { at: 1000, do: 'cutLink', args: ['n1', 'n2', true] },
      { at: 1000, do: 'cutLink', args: ['n1', 'n3', true] },
      { at: 2000, do: 'startClients', args: [{ clients: 2, thinkMs: 60 }] },
    ],
    at: [2050],
    end: [2050],
  };
  const run = Buffer.from(JSON.stringify(record)).toString('base64url');
  const { page, errors } = await open(`?run=${run}`);
  const pg = page.locator('consensus-playground');
  await page.waitForFunction(() => document.querySelector('consensus-playground .cp-clock')?.textContent === 't = 2050.0 ms');
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-state'), 'leader', 'n1 still believes it leads');
  assert.equal(await pg.locator('[data-node="n2"][data-state="leader"], [data-node="n3"][data-state="leader"]').count(), 1, 'n2 or n3 leads the others');
  assert.equal(await pg.locator('.cp-banner').isHidden(), true);
  await page.evaluate(() => {
    window.__violations = [];
    document.addEventListener('cp-violation', (e) => window.__violations.push(e.detail));
  });
  await pg.getByRole('button', { name: 'Play' }).click();
  await pg.locator('.cp-banner').waitFor();
  assert.match(await pg.locator('.cp-banner').textContent(), /^Safety violation — Linearizability \(n1\) at 2101\.6 ms: client \d's get \w got .* from n1, but no order of the operations on key/);
  await page.waitForFunction(() => window.__violations.length === 1);
  const [v] = await page.evaluate(() => window.__violations);
  assert.equal(v.rule, 'Linearizability');
  assert.deepEqual(v.nodes, ['n1']);
  assert.equal(v.timeMs, 2101.621);
  assert.match(await pg.locator('[data-node="n1"]').getAttribute('class'), /\bcp-violating\b/);
  // Jump to the violation, as for the checker's own.
  await pg.getByRole('button', { name: 'Pause' }).click();
  await pg.getByRole('button', { name: 'Jump to the violation' }).click();
  await page.waitForFunction(() => document.querySelector('consensus-playground .cp-clock').textContent === 't = 2101.6 ms');
  assert.deepEqual(errors, []);
  await page.close();
});
