// Everyone can use it (issue #14 §5; README "Keyboard and screen readers"), in headless Chromium:
// axe-core finds no violations on the index page and in the chapter's widgets; every action by
// keyboard (a node's actions, cutting a link, dropping a message), with focus kept on the control
// used; the shortcuts, only for the widget in use and never while typing; the live region;
// prefers-reduced-motion. Waits are for conditions on the page, never for a length of time.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { widgetSizes } from '../scripts/size.mjs';
import { browserPage, fetched } from './browser-page.mjs';

const open = browserPage();
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * axe-core's violations on the page as `rule: target…` lines. One rule is checked apart:
 * label-content-name-mismatch (WCAG 2.5.3) everywhere but on the ring's nodes, whose name says in
 * words what their drawn glyphs show ("n1: follower, term 0"), while the rule wants the glyphs
 * themselves ("0", "n1", "follower", read as one word) in the name.
 */
async function axe(page, context = null) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async (context) => {
    const include = context ?? document;
    const all = await window.axe.run(include, { rules: { 'label-content-name-mismatch': { enabled: false } } });
    const label = await window.axe.run({ include: context ? context.include : [[':root']], exclude: [['[data-node]']] }, { runOnly: ['label-content-name-mismatch'] });
    return [...all.violations, ...label.violations].map((v) => ({ id: v.id, targets: v.nodes.map((n) => n.target.join(' ')), help: v.help }));
  }, context);
}
const show = (violations) => violations.map((v) => `${v.id} (${v.help}): ${v.targets.slice(0, 5).join(' | ')}`).join('\n');

const focused = (page) =>
  page.evaluate(() => {
    const a = document.activeElement;
    return { text: a.textContent, node: a.dataset?.node ?? null, label: a.getAttribute('aria-label'), inActions: !!a.closest('.cp-actions'), tag: a.tagName.toLowerCase(), cls: a.getAttribute('class') };
  });
/** Presses Tab until `pred(focused)` holds (at most `max` times); returns what has focus. */
async function tabTo(page, pred, max = 40) {
  for (let k = 0; k < max; k++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (pred(f)) return f;
  }
  assert.fail('Tab never reached the control');
}
const ev = (page, k = 0) => page.evaluate((k) => document.querySelectorAll('consensus-playground')[k].timeline.run.ev, k);
const playing = (page, k = 0) => page.evaluate((k) => document.querySelectorAll('consensus-playground')[k].playing, k);

test('axe-core: no violations on the index page, with the node actions, Links, Messages in flight and the help open', async () => {
  const { page, errors } = await open('index.html?nodes=5&seed=7');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  let v = await axe(page);
  assert.deepEqual(v, [], show(v));

  await pg.getByRole('button', { name: 'Pause', exact: true }).click();
  await pg.getByRole('button', { name: 'Step', exact: true }).click();
  await pg.locator('[data-node="n2"]').click();
  await pg.locator('.cp-node-links summary').click();
  await pg.locator('.cp-link-toggle').first().waitFor();
  await pg.locator('.cp-inflight summary').click();
  await page.waitForFunction(() => document.querySelector('consensus-playground').simulation.messages().length === document.querySelectorAll('.cp-inflight-list li').length);
  v = await axe(page);
  assert.deepEqual(v, [], show(v));

  await page.keyboard.press('?');
  await pg.locator('dialog.cp-help[open]').waitFor();
  v = await axe(page);
  assert.deepEqual(v, [], show(v));
  assert.deepEqual(errors, []);
  await page.close();
});

test('axe-core: no violations in the chapter page’s widgets (the page’s own structure is the chapter’s)', async (t) => {
  const { page, errors } = await open('chapter.html');
  await page.waitForFunction(() => [...document.querySelectorAll('consensus-playground')].every((w) => w.querySelector('.cp-toolbar')));
  await page.waitForFunction(() => [...document.querySelectorAll('consensus-playground')].every((w) => w.querySelector('[data-node="n1"][data-state], .cp-main-scene')));
  // Rules about the page as a whole (landmarks around its text, its outline of headings, under
  // which the widgets' h3 panels sit) are the page's: reported, not failed here.
  const PAGE = ['region', 'landmark-one-main', 'page-has-heading-one', 'heading-order'];
  const v = await axe(page);
  const widget = v
    .map((x) => ({ ...x, targets: x.targets.filter((s) => /consensus-playground/.test(s) || s.startsWith('.cp-') || s.startsWith('[data-')) }))
    .filter((x) => x.targets.length && !PAGE.includes(x.id));
  const pageLevel = v.filter((x) => PAGE.includes(x.id) || !widget.some((w) => w.id === x.id));
  if (pageLevel.length) t.diagnostic(`chapter.html, the page's own: ${show(pageLevel)}`);
  assert.deepEqual(widget, [], show(widget));
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard only: Tab to a node, Enter opens it, crash it (focus moves to Restart), Escape closes (focus back on the node); Space, S, ←, →, ?, Escape on Share…', async () => {
  const { page, errors } = await open('index.html?nodes=5&seed=7');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();

  const node = await tabTo(page, (f) => f.node !== null);
  assert.match(node.label, new RegExp(`^${node.node}: .*Open actions$`), 'a node is a button with an accessible name');
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => document.querySelector('.cp-actions h3')?.textContent === id, node.node);
  assert.ok((await focused(page)).inActions, 'focus moves into the node’s actions');
  await tabTo(page, (f) => f.inActions && f.text === 'Crash', 15);
  await page.keyboard.press('Enter');
  assert.equal(await pg.locator(`[data-node="${node.node}"]`).getAttribute('data-state'), 'crashed');
  const after = await focused(page);
  assert.deepEqual([after.inActions, after.text], [true, 'Restart'], 'focus stays where Crash was: on Restart');
  await page.keyboard.press('Enter');
  assert.notEqual(await pg.locator(`[data-node="${node.node}"]`).getAttribute('data-state'), 'crashed');
  assert.equal((await focused(page)).text, 'Crash', 'and back on Crash');

  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.querySelector('.cp-actions h3')?.textContent === 'Nodes');
  assert.equal((await focused(page)).node, node.node, 'focus returns to the node that was open');

  // Space on the ring (the stage, not a button): pause; S steps one event; ← back one, → forward one.
  await page.keyboard.press('Shift+Tab');
  assert.equal((await focused(page)).cls, 'cp-ring');
  assert.equal(await playing(page), true);
  await page.keyboard.press(' ');
  assert.equal(await playing(page), false);
  assert.equal(await pg.locator('.cp-toolbar .cp-primary').textContent(), 'Play');
  const e0 = await ev(page);
  await page.keyboard.press('s');
  assert.equal(await ev(page), e0 + 1);
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((e) => document.querySelector('consensus-playground').timeline.run.ev === e, e0);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((e) => document.querySelector('consensus-playground').timeline.run.ev === e, e0 + 1);
  await page.keyboard.press(' ');
  assert.equal(await playing(page), true);
  await page.keyboard.press(' ');

  // ? opens the help, listing the shortcuts; Escape closes it and focus goes back to the ring.
  await page.keyboard.press('?');
  const help = pg.locator('dialog.cp-help[open]');
  await help.waitFor();
  assert.match(await help.textContent(), /Space.*Play or pause.*S.*Step.*←.*back/s);
  assert.equal(await page.evaluate(() => !!document.activeElement.closest('dialog')), true);
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('dialog.cp-help[open]'));
  assert.equal((await focused(page)).cls, 'cp-ring');

  // Share… opens its box; Escape closes it, focus back on Share…. (With the space-time diagram
  // open too, whose button is also expanded: Escape closes the Share… box and hides nothing else.)
  await pg.getByRole('button', { name: 'Space-time' }).click();
  await tabTo(page, (f) => f.text === 'Share…');
  await page.keyboard.press('Enter');
  await pg.locator('.cp-share:not([hidden])').waitFor();
  await page.keyboard.press('Escape');
  assert.equal(await pg.locator('.cp-share').isHidden(), true);
  assert.equal((await focused(page)).text, 'Share…');
  assert.equal(await pg.getByRole('button', { name: 'Share…' }).getAttribute('aria-expanded'), 'false');
  assert.ok(await pg.getByRole('button', { name: 'Share…' }).isVisible());
  assert.equal(await pg.getByRole('button', { name: 'Space-time' }).getAttribute('aria-expanded'), 'true');
  assert.deepEqual(errors, []);
  await page.close();
});

test('keyboard only: cut and repair a link from the node’s Links, drop a message from Messages in flight', async () => {
  const { page, errors } = await open('index.html?nodes=3&seed=5');
  const pg = page.locator('consensus-playground');
  await pg.getByRole('button', { name: 'Pause', exact: true }).click();
  await pg.getByRole('button', { name: 'Reset' }).click();
  await pg.locator('[data-node="n1"]').focus();
  await page.keyboard.press('Enter');
  await tabTo(page, (f) => f.tag === 'summary' && f.text.startsWith('Links'), 15);
  await page.keyboard.press('Enter');
  const toggle = pg.getByRole('button', { name: 'n2', exact: true });
  await toggle.waitFor();
  await tabTo(page, (f) => f.text === 'n2' && f.inActions, 5);
  await page.keyboard.press('Enter');
  assert.equal(await pg.locator('[data-link="n1-n2"]').getAttribute('data-cut'), 'both');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  assert.equal((await focused(page)).text, 'n2', 'focus stays on the toggle');
  assert.match(await pg.locator('[data-link="n1-n2"]').getAttribute('aria-label'), /^Link n1–n2: cut both ways/);
  await page.keyboard.press('Space');
  assert.equal(await pg.locator('[data-link="n1-n2"]').getAttribute('data-cut'), 'none');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');

  // An election's RequestVotes in flight, each listed with a Drop button.
  await page.keyboard.press('Escape');
  await pg.locator('.cp-actions').getByRole('button', { name: 'Start election' }).waitFor({ state: 'detached' });
  await pg.locator('[data-node="n2"]').focus();
  await page.keyboard.press('Enter');
  await tabTo(page, (f) => f.text === 'Start election', 10);
  await page.keyboard.press('Enter');
  const inFlight = () => page.evaluate(() => document.querySelector('consensus-playground').simulation.messages().map((m) => m.id));
  assert.equal((await inFlight()).length, 2);
  await page.keyboard.press('Escape');
  await tabTo(page, (f) => f.tag === 'summary' && f.text.startsWith('Messages in flight'));
  assert.equal((await focused(page)).text, 'Messages in flight (2)');
  await page.keyboard.press('Enter');
  const drop = pg.locator('.cp-inflight-list').getByRole('button', { name: /^Drop RequestVote from n2 to n\d/ });
  await drop.first().waitFor();
  assert.equal(await drop.count(), 2);
  const [first, second] = await inFlight();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.deepEqual(await inFlight(), [second], 'the first message is dropped');
  assert.equal(await pg.locator(`[data-message-id="${first}"]`).count(), 0);
  assert.match((await focused(page)).label, /^Drop RequestVote from n2/, 'focus moves to the next Drop button');
  assert.deepEqual(errors, []);
  await page.close();
});

test('shortcuts go to the widget in use, and never while typing in a field', async () => {
  const { page, errors } = await open('index.html?nodes=5&seed=7');
  await page.evaluate(() => {
    const two = document.createElement('consensus-playground');
    two.setAttribute('nodes', '3');
    two.setAttribute('paused', '');
    document.querySelector('main').append(two);
  });
  await page.waitForFunction(() => document.querySelectorAll('consensus-playground [data-node="n1"][data-state]').length === 2);
  const [a, b] = [page.locator('consensus-playground').first(), page.locator('consensus-playground').nth(1)];
  await a.getByRole('button', { name: 'Pause', exact: true }).click();
  const [a0, b0] = [await ev(page, 0), await ev(page, 1)];
  // Focus in the second: S steps it alone.
  await b.locator('.cp-ring').focus();
  await page.keyboard.press('s');
  assert.deepEqual([await ev(page, 0), await ev(page, 1)], [a0, b0 + 1]);
  // A click in the first (on no control: focus falls to the body): it is the one in use now.
  await a.locator('.cp-legend').click();
  assert.equal(await page.evaluate(() => document.activeElement === document.body), true);
  await page.keyboard.press('s');
  assert.deepEqual([await ev(page, 0), await ev(page, 1)], [a0 + 1, b0 + 1]);

  // Typing in a field inside the widget (an input, contenteditable): no shortcut fires.
  await page.evaluate(() => {
    const root = document.querySelector('consensus-playground .cp-root');
    root.append(Object.assign(document.createElement('input'), { className: 'typing', ariaLabel: 'note' }));
    const div = Object.assign(document.createElement('div'), { className: 'editing', contentEditable: 'true', ariaLabel: 'notes' });
    div.setAttribute('role', 'textbox');
    root.append(div);
  });
  for (const field of ['.typing', '.editing']) {
    await a.locator(field).focus();
    await page.keyboard.type('s ?');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Escape');
    assert.deepEqual([await ev(page, 0), await playing(page, 0)], [a0 + 1, false], field);
    assert.equal(await page.locator('dialog.cp-help[open]').count(), 0);
  }
  assert.equal(await a.locator('.typing').inputValue(), 's ?');
  assert.equal(await a.locator('.editing').textContent(), 's ?');
  // Escape is no typing: from the speed slider it still closes the node's actions.
  await a.locator('[data-node="n3"]').click();
  await a.getByRole('slider', { name: 'Speed' }).focus();
  await page.keyboard.press('Escape');
  assert.equal(await a.locator('.cp-actions h3').textContent(), 'Nodes');
  assert.equal((await focused(page)).node, 'n3');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the live region narrates, politely and coalesced: a leader, then two crashes in one announcement', async () => {
  const { page, errors } = await open('index.html?nodes=5&seed=7');
  const live = page.locator('consensus-playground [aria-live="polite"]');
  assert.equal(await live.count(), 1);
  await page.waitForFunction(() => /^n\d leads, term \d+\.$/.test(document.querySelector('.cp-live').textContent));
  await page.evaluate(() => {
    window.__said = [];
    const region = document.querySelector('.cp-live');
    new MutationObserver(() => window.__said.push(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true });
    const pg = document.querySelector('consensus-playground');
    pg.act((s) => s.crash('n1'));
    pg.act((s) => s.crash('n2'));
  });
  await page.waitForFunction(() => window.__said.length > 0);
  assert.match((await page.evaluate(() => window.__said))[0], /n1 crashed\. n2 crashed\./);
  assert.deepEqual(errors, []);
  await page.close();
});

test('prefers-reduced-motion: the widget starts paused, and a message stays still (near its sender) until it is delivered', async () => {
  for (const reducedMotion of ['reduce', 'no-preference']) {
    const context = await open.context({ viewport: { width: 1280, height: 800 }, reducedMotion });
    const page = await context.newPage();
    await page.goto(open.url('index.html?nodes=3&seed=5'));
    await page.waitForSelector('[data-node="n1"][data-state]');
    const pg = page.locator('consensus-playground');
    assert.equal(await playing(page), reducedMotion !== 'reduce', reducedMotion);
    if (reducedMotion === 'no-preference') await pg.getByRole('button', { name: 'Pause', exact: true }).click();
    await pg.getByRole('button', { name: 'Reset' }).click();
    await pg.locator('[data-node="n2"]').click();
    await pg.getByRole('button', { name: 'Start election' }).click();
    // Half-way through its flight (on the simulated clock), where is a RequestVote drawn?
    const moved = await page.evaluate(() => {
      const pg = document.querySelector('consensus-playground');
      const m = pg.simulation.messages()[0];
      const at = () => document.querySelector(`[data-message-id="${m.id}"]`).getAttribute('transform');
      const before = at();
      pg.advance((m.sentAt + m.deliverAt) / 2);
      pg.render();
      return before !== at();
    });
    assert.equal(moved, reducedMotion !== 'reduce', reducedMotion);
    await context.close();
  }
});

test('the help, Links and Messages in flight are fetched on first use, not on load (scripts/size.mjs counts them apart)', async () => {
  const { page, errors } = await open('index.html?nodes=3&seed=5&paused');
  const pg = page.locator('consensus-playground');
  const mine = async () => (await fetched(page)).filter((f) => /^(help|by-keyboard)-[A-Z0-9]+\.js$|^stage\/keyboard\.css$/.test(f)).map((f) => f.replace(/-[A-Z0-9]+\.js$/, '-*.js')).sort();
  assert.deepEqual(await mine(), []);
  await pg.locator('.cp-ring').focus();
  await page.keyboard.press('?');
  await pg.locator('dialog.cp-help[open]').waitFor();
  assert.deepEqual(await mine(), ['help-*.js', 'stage/keyboard.css']);
  await page.keyboard.press('Escape');
  await pg.locator('.cp-inflight summary').click();
  await pg.locator('.cp-inflight-list').waitFor({ state: 'attached' });
  assert.deepEqual(await mine(), ['by-keyboard-*.js', 'help-*.js', 'stage/keyboard.css']);
  const lazy = widgetSizes().filter((x) => x.what.startsWith('Keyboard help'));
  assert.deepEqual(lazy.map((x) => x.path.replace(/-[A-Z0-9]+\.js$/, '-*.js')).sort(), ['www/dist/by-keyboard-*.js', 'www/dist/help-*.js', 'www/dist/stage/keyboard.css']);
  assert.deepEqual(errors, []);
  await page.close();
});
