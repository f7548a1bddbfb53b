// Frame time: runs the page in headless Chromium for 10 s with 9 nodes under steady client load
// (KV clients on, speed 0.3×) and prints the p50 and p95 interval between animation frames, as
// one JSON line. It prints a measurement; it asserts nothing (headless Chromium paces frames
// with its own timer, so read the numbers as "does rendering keep up", not as a display's
// refresh).
// Usage: node scripts/frametime.mjs [seconds]
import { chromium } from 'playwright-core';
import { startServer } from './serve.mjs';
import { CHROMIUM } from './setup.mjs';
import { CHROMIUM_ARGS } from './screenshot.mjs';

const seconds = Number(process.argv[2] ?? 10);
const { server, url } = await startServer(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}?nodes=9&seed=3&speed=0.3`);
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-state="leader"]').waitFor();
  await pg.getByRole('checkbox', { name: 'KV clients' }).check();
  const result = await page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const gaps = [];
        let last = null;
        const end = performance.now() + ms;
        const frame = (t) => {
          if (last !== null) gaps.push(t - last);
          last = t;
          if (t < end) requestAnimationFrame(frame);
          else {
            gaps.sort((a, b) => a - b);
            const q = (p) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
            const el = document.querySelector('consensus-playground');
            resolve({ frames: gaps.length, p50_ms: q(0.5), p95_ms: q(0.95), max_ms: gaps[gaps.length - 1], sim_ms: el.simulation.now, svg_nodes: el.querySelectorAll('svg *').length });
          }
        };
        requestAnimationFrame(frame);
      }),
    seconds * 1000,
  );
  const round = (x) => Math.round(x * 100) / 100;
  console.log(JSON.stringify({ bench: 'frame-time', nodes: 9, seconds, ...result, p50_ms: round(result.p50_ms), p95_ms: round(result.p95_ms), max_ms: round(result.max_ms) }));
} finally {
  await browser.close();
  server.close();
}
