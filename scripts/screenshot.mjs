// Screenshots of the served page in headless Chromium, for looking at what we build.
// Usage: node scripts/screenshot.mjs <url> <out.png> [width] [height] [waitMs] [actions: start-election]
import { chromium } from 'playwright-core';
import { CHROMIUM } from './setup.mjs';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, out, w = '1280', h = '800', wait = '3000', ...actions] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: Number(w), height: Number(h) } });
  page.on('console', (m) => console.error(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  await page.goto(url);
  await page.waitForSelector('[data-node]');
  for (const a of actions) {
    if (a === 'start-election') {
      await page.locator('[data-node="n1"]').first().click();
      await page.getByRole('button', { name: 'Start election' }).first().click();
    } else if (a === 'client') {
      await page.getByRole('button', { name: 'Client request' }).first().click();
    } else if (a.startsWith('wait')) {
      await page.waitForTimeout(Number(a.slice(4)));
    } else if (a === 'fast') {
      await page.getByRole('slider', { name: 'Speed' }).first().fill('60');
    } else if (a === 'slow') {
      await page.getByRole('slider', { name: 'Speed' }).first().fill('55');
    } else if (a === 'pause') {
      await page.getByRole('button', { name: 'Pause' }).first().click();
    }
  }
  await page.waitForTimeout(Number(wait));
  await page.screenshot({ path: out, fullPage: !process.env.VIEWPORT_ONLY });
  await browser.close();
}
