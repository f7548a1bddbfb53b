// Shared by the browser tests (browser*.test.mjs): a static server for www/ and headless
// Chromium (playwright-core) for the test file that calls browserPage(), and the helpers every
// such test uses. Waits are for conditions on the page, never for a length of time.
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM } from '../scripts/setup.mjs';
import { CHROMIUM_ARGS } from '../scripts/screenshot.mjs';

/**
 * Starts the server and the browser before the calling file's tests and stops them after;
 * returns `open(path, viewport?, ready?)`: a page that records console errors, uncaught
 * exceptions and failed requests in `errors`, resolved once `ready` shows. `open.context(options)`
 * is a new browser context (touch, say) and `open.url(path)` a page's address, for tests that
 * set a page up themselves.
 */
export function browserPage() {
  let server;
  let base;
  let browser;
  before(async () => {
    ({ server, url: base } = await startServer(0));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });
  async function open(path, viewport = { width: 1280, height: 800 }, ready = '[data-node="n1"][data-state]') {
    const page = await browser.newPage({ viewport });
    const errors = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(base + path);
    await page.waitForSelector(ready);
    return { page, errors };
  }
  open.context = (options) => browser.newContext(options);
  open.url = (path) => base + path;
  return open;
}

/**
 * The files of www/dist/ the page has fetched so far, e.g. 'raft-ABCD1234.js' (not index.html's
 * own list of guided scenarios, scenarios/index.json, which is the page's and no widget's).
 */
export const fetched = (page) =>
  page.evaluate(() => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.includes('/dist/')).map((n) => n.split('/dist/')[1]).filter((f) => f !== 'scenarios/index.json'));

/** Records every message kind the element ever draws (a MutationObserver in the page), in window.__drawn. */
export async function watchMessages(page) {
  await page.evaluate(() => {
    window.__drawn = [];
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.dataset?.message) window.__drawn.push(n.dataset.message);
    }).observe(document.body, { childList: true, subtree: true });
  });
}

/**
 * Pauses a widget and resets it to t = 0, so a scripted scenario starts from the beginning of
 * the run however long the page took to load (an election could otherwise come first).
 */
export async function pausedAtStart(widget, how = 'click') {
  await widget.getByRole('button', { name: 'Pause' })[how]();
  await widget.getByRole('button', { name: 'Reset' })[how]();
}

/** Runs the widget on by `ms` simulated ms, paused (as the frame loop does while playing), and redraws it. */
export const advance = (page, ms) =>
  page.evaluate((ms) => {
    const pg = document.querySelector('consensus-playground');
    pg.advance(pg.simulation.now + ms);
    pg.render();
  }, ms);

/**
 * Multi-Paxos with a gap, in widget `pg` (3 nodes): n1 leads, proposes x=1 in slot 1 and y=2 in
 * slot 2; every Accept (and Commit) of slot 1 is lost; n1 crashes (a recorded action). n2 and n3
 * hold y=2 in slot 2 and nothing in slot 1, which the next leader fills with a no-op.
 */
export const paxosGap = (pg) =>
  pg.evaluate((el) => {
    const s = el.simulation;
    s.startElection('n1');
    s.runUntil(s.now + 100);
    s.clientRequest('x=1');
    s.clientRequest('y=2');
    for (let k = 0; k < 40; k++) {
      for (const m of s.messages()) if ((m.kind === 'Accept' || m.kind === 'Commit') && m.slot === 1) s.dropMessage(m.id);
      s.runUntil(s.now + 1);
    }
    el.act((sim) => sim.crash('n1'));
  });
