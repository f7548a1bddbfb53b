// The PBFT widget (<consensus-playground protocol="pbft">) in headless Chromium (playwright-core),
// as a learner uses it. Waits are for conditions on the page, never for a length of time.
// Needs www/dist/ (node scripts/build.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPage, fetched, pausedAtStart, watchMessages } from './browser-page.mjs';

const open = browserPage();

const PBFT_CHUNK = /^pbft-[A-Z0-9]+\.js$/;

/** Waits until every replica's row of the phase table shows sequence number `seq` executed. */
const executedEverywhere = (page, seq, n) => page.waitForFunction(([s, k]) => document.querySelectorAll(`[data-phases-of] td[data-seq="${s}"][data-phase="executed"]`).length === k, [seq, n]);

test('pbft: the widget loads only its own chunk, stylesheet and wasm; a request is pre-prepared, prepared, committed and executed on every replica', async () => {
  const { page, errors } = await open('?protocol=pbft&nodes=4&seed=3');
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.getAttribute('protocol'), 'pbft');
  await watchMessages(page);
  assert.match(await pg.locator('.cp-legend').textContent(), /primary.*backup.*changing view.*Request.*PrePrepare.*Prepare.*Commit.*Reply.*Checkpoint.*ViewChange.*NewView/);
  assert.equal(await pg.locator('[data-node="n1"]').getAttribute('data-state'), 'primary');
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-state'), 'backup');
  assert.equal(await pg.locator('[data-node="n1"] .cp-term').textContent(), '0', 'the big number is the view');
  assert.equal(await pg.locator('.cp-pb-view').textContent(), 'view 0 — primary n1');
  assert.equal(await pg.locator('.cp-pb-note').textContent(), 'N = 4 replicas tolerate f = 1 traitor (quorums of 3).');
  assert.equal(await pg.locator('.cp-pb-warn').isVisible(), false);
  assert.equal(await pg.locator('[data-phases-of]').count(), 4);

  await pausedAtStart(pg);
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Request', exact: true }).click();
  // The primary orders it: a PrePrepare to each backup.
  assert.equal(await pg.locator('[data-message="PrePrepare"]').count(), 3);
  assert.match(await pg.locator('[data-message="PrePrepare"]').first().getAttribute('aria-label'), /^PrePrepare from n1 to n[234]: view 0, seq 1, digest #[0-9a-f]{4}…, request x=1/);
  assert.equal(await pg.locator('[data-phases-of="n1"] td[data-seq="1"]').getAttribute('data-phase'), 'pre-prepared');
  await pg.getByRole('slider', { name: 'Speed' }).fill('80');
  await pg.getByRole('button', { name: 'Play' }).click();
  await executedEverywhere(page, 1, 4);
  const drawn = new Set(await page.evaluate(() => window.__drawn));
  for (const kind of ['PrePrepare', 'Prepare', 'Commit', 'Reply']) assert.ok(drawn.has(kind), `${kind} was drawn: ${[...drawn]}`);
  await pg.getByRole('button', { name: 'Pause' }).click();

  // Each replica's certificates for seq 1: its pre-prepare, matching prepares from the backups
  // (the primary sends none: its slot is not applicable), a commit quorum, executed.
  for (const id of ['n1', 'n2', 'n3', 'n4']) {
    await pg.locator(`[data-phases-of="${id}"]`).click();
    assert.match(await pg.locator('.cp-pbft h3').last().textContent(), new RegExp(`^Certificates of ${id}`));
    const row = pg.locator('.cp-pb-cert tr[data-seq="1"]');
    assert.equal(await row.getAttribute('data-phase'), 'executed', id);
    assert.equal(await row.locator('.cp-pb-pp').getAttribute('data-slot'), 'match', id);
    assert.equal(await row.locator('.cp-pb-pp').textContent(), 'x=1');
    const slots = await row.locator('.cp-pb-slot').evaluateAll((tds) => tds.map((td) => td.dataset.slot));
    assert.equal(slots.length, 8, id);
    const [prepares, commits] = [slots.slice(0, 4), slots.slice(4)];
    assert.equal(prepares[0], 'na', `${id}: the primary n1 sends no prepare`);
    assert.ok(prepares.filter((s) => s === 'match').length >= 1, `${id} prepares: ${prepares}`);
    assert.ok(commits.filter((s) => s === 'match').length >= 3, `${id} commits: ${commits}`);
    assert.ok(!slots.some((s) => s === 'mismatch' || s === 'both'), `${id}: ${slots}`);
    assert.match(await row.locator('.cp-pb-phase').textContent(), /^executed/);
  }
  assert.match(await pg.locator('.cp-pb-marks').textContent(), /^Watermarks h = 0 \(stable checkpoint\) to H = 20; executed through 1; a checkpoint every K = 10/);
  assert.deepEqual(await pg.evaluate((el) => el.simulation.violations()), []);

  // On load: the element, its CSS, the PBFT chunk, its stylesheet and its wasm, nothing else.
  const files = (await fetched(page)).sort();
  assert.equal(files.filter((f) => PBFT_CHUNK.test(f)).length, 1, files.join(' '));
  // The traitor controls (the byzantine attribute, the Traitor menu) come with the Byzantine mechanisms.
  assert.deepEqual(files.filter((f) => !PBFT_CHUNK.test(f)).map((f) => f.replace(/^traitors-[A-Z0-9]+\.js$/, 'traitors-*.js')), ['consensus-playground.css', 'consensus-playground.js', 'pkg/pbft_bg.wasm', 'protocols/pbft.css', 'stage/traitors.css', 'traitors-*.js']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pbft: N = 5 is not 3f + 1 (quorums of 4); more than f traitors are flagged; a traitor says so under its node', async () => {
  const { page, errors } = await open('?protocol=pbft&nodes=5&seed=2');
  const pg = page.locator('consensus-playground');
  assert.equal(await pg.locator('.cp-pb-note').textContent(), 'N = 5 replicas tolerate f = 1 traitor. N = 5 is not 3f + 1: quorums of ⌈(N + f + 1)/2⌉ = 4.');
  assert.equal(await pg.evaluate((el) => el.simulation.config.quorum), 4);
  assert.equal(await pg.locator('.cp-pb-warn').isVisible(), false);
  // One traitor (f = 1): tolerated.
  await pg.evaluate((el) => el.simulation.setByzantine('n2', 'equivocate'));
  await pg.locator('[data-node="n2"] .cp-sub', { hasText: 'traitor: equivocate' }).waitFor();
  assert.match(await pg.locator('.cp-pb-note').textContent(), /Traitors now: n2\.$/);
  assert.equal(await pg.locator('.cp-pb-warn').isVisible(), false);
  // Two: more than f.
  await pg.evaluate((el) => el.simulation.setByzantine('n3', 'wrong-digest'));
  const warn = pg.locator('.cp-pb-warn');
  await warn.waitFor();
  assert.equal(await warn.textContent(), '2 traitors > f = 1: safety is no longer guaranteed.');
  await pg.locator('[data-node="n3"]').click();
  assert.match(await pg.locator('.cp-actions dl').textContent(), /traitorwrong-digest/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pbft: two equivocating traitors (> f): a prepare or commit with another digest shows in a certificate, the checker reports the broken agreement; duplicates are counted', async () => {
  const { page, errors } = await open('?protocol=pbft&nodes=4&seed=8');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  await pg.evaluate((el) => {
    el.simulation.setByzantine('n1', 'equivocate');
    el.simulation.setByzantine('n2', 'equivocate');
    el.simulation.setDuplicateRate(0.5);
  });
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Request', exact: true }).click();
  await pg.getByRole('slider', { name: 'Speed' }).fill('80');
  await pg.getByRole('button', { name: 'Play' }).click();
  await pg.locator('.cp-pb-warn', { hasText: '2 traitors > f = 1' }).waitFor();
  await page.waitForFunction(() => /Safety violation — Agreement/.test(document.querySelector('.cp-banner')?.textContent));
  await page.waitForFunction(() => ['n3', 'n4'].every((id) => document.querySelector(`[data-phases-of="${id}"] td[data-seq="1"]`)?.dataset.phase === 'executed'));
  await pg.getByRole('button', { name: 'Pause' }).click();
  const seen = [];
  let dups = 0;
  for (const id of ['n3', 'n4']) {
    await pg.locator(`[data-phases-of="${id}"]`).click();
    const row = pg.locator('.cp-pb-cert tr[data-seq="1"]');
    seen.push(...(await row.locator('.cp-pb-slot').evaluateAll((tds) => tds.map((td) => td.dataset.slot))));
    if (/\+\d+ dup/.test(await row.locator('.cp-pb-phase').textContent())) dups++;
  }
  assert.ok(seen.some((s) => s === 'mismatch' || s === 'both'), `a slot with another digest: ${seen}`);
  assert.ok(dups > 0, 'duplicates discarded are counted');
  assert.deepEqual(errors, []);
  await page.close();
});

test('pbft: a silent primary is replaced by a view change — "view 1 — primary n2" — and the request executes', async () => {
  const { page, errors } = await open('?protocol=pbft&nodes=4&seed=6');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  await pg.evaluate((el) => el.simulation.setByzantine('n1', 'silent'));
  // A client that gets no answer sends to every replica (§4.1): each backup waits for it.
  await pg.locator('.cp-toolbar').getByRole('button', { name: 'Request to all' }).click();
  await pg.getByRole('slider', { name: 'Speed' }).fill('100');
  await pg.getByRole('button', { name: 'Play' }).click();
  // While they wait, the view-change timer runs on the backups.
  await pg.locator('[data-node="n2"] .cp-timer[d*="A"]').waitFor();
  await page.waitForFunction(() => document.querySelector('.cp-pb-view b')?.textContent === 'view 1 — primary n2');
  await pg.locator('[data-node="n2"][data-state="primary"]').waitFor();
  assert.equal(await pg.locator('[data-node="n2"] .cp-term').textContent(), '1');
  assert.equal(await pg.locator('[data-node="n1"] .cp-sub').textContent(), 'traitor: silent');
  // The honest replicas execute the request in view 1.
  await page.waitForFunction(() => ['n2', 'n3', 'n4'].every((id) => document.querySelector(`[data-phases-of="${id}"] td[data-seq="1"]`)?.dataset.phase === 'executed'));
  assert.deepEqual(await pg.evaluate((el) => el.simulation.violations()), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pbft: a replica’s actions start a view change and send it a client request', async () => {
  const { page, errors } = await open('?protocol=pbft&nodes=4&seed=4');
  const pg = page.locator('consensus-playground');
  await pausedAtStart(pg);
  await pg.locator('[data-node="n3"]').click();
  assert.match(await pg.locator('.cp-pbft h3').last().textContent(), /^Certificates of n3/, 'the panel shows the selected replica');
  await pg.locator('.cp-actions').getByRole('button', { name: 'Start view change' }).click();
  assert.equal(await pg.locator('[data-node="n3"]').getAttribute('data-status'), 'view-change');
  assert.equal(await pg.locator('[data-node="n3"] .cp-sub').textContent(), '→ view 1');
  assert.equal(await pg.locator('[data-message="ViewChange"]').count(), 3);
  assert.match(await pg.locator('[data-message="ViewChange"]').first().getAttribute('aria-label'), /^ViewChange from n3 to n\d: move to view 1; stable checkpoint 0, prepared nothing/);
  assert.match(await pg.locator('.cp-pb-view').textContent(), /changing view: n3 → 1/);
  await pg.locator('[data-node="n2"]').click();
  await pg.locator('.cp-actions').getByRole('button', { name: 'Client request' }).click();
  assert.equal(await pg.locator('[data-message="Request"]').count(), 1, 'a backup relays the request to the primary');
  assert.match(await pg.locator('[data-message="Request"]').first().getAttribute('aria-label'), /^Request from n2 to n1: x=1/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pbft: keyboard — Enter on a row of the phase table shows that replica’s certificates; focus stays on it while the table redraws', async () => {
  const { page, errors } = await open('?protocol=pbft&nodes=4&seed=5&speed=1');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-phases-of="n3"]').focus();
  await page.keyboard.press('Enter');
  assert.match(await pg.locator('.cp-pbft h3').last().textContent(), /^Certificates of n3/);
  // A request (from a script, so that the focus stays where it is) redraws the table: the
  // focused row is drawn again and keeps the focus.
  await pg.evaluate((el) => el.simulation.clientRequest('x=1'));
  await executedEverywhere(page, 1, 4);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.phasesOf), 'n3');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press(' ');
  assert.match(await pg.locator('.cp-pbft h3').last().textContent(), /^Certificates of n2/);
  assert.deepEqual(errors, []);
  await page.close();
});

for (const viewport of [{ width: 1280, height: 800 }, { width: 400, height: 800 }]) {
  test(`pbft: layout at ${viewport.width}px: nothing overflows, the ring and the PBFT panel are visible`, async () => {
    const { page, errors } = await open('?protocol=pbft&nodes=4&seed=3&speed=1', viewport);
    const pg = page.locator('consensus-playground');
    await pg.locator('.cp-toolbar').getByRole('button', { name: 'Request', exact: true }).click();
    await executedEverywhere(page, 1, 4);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    const ring = await pg.locator('.cp-ring').boundingBox();
    assert.ok(ring.width >= 300 && ring.x >= 0 && ring.x + ring.width <= viewport.width, JSON.stringify(ring));
    for (const sel of ['.cp-pbft', '.cp-pb-cert']) {
      const box = await pg.locator(sel).boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `${sel} ${JSON.stringify(box)}`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test('traitors from the page: the byzantine attribute, the Traitor menu of a node, data-byzantine and the horns (issue #12 §2, §7)', async () => {
  const { page, errors } = await open('?protocol=pbft&nodes=4&seed=3&byzantine=n1:equivocate,n2:mute>n3');
  const pg = page.locator('consensus-playground');
  await pg.locator('[data-node="n1"][data-byzantine="equivocate"]').waitFor();
  assert.equal(await pg.locator('[data-node="n2"]').getAttribute('data-byzantine'), 'mute');
  assert.equal(await pg.locator('[data-node="n3"]').getAttribute('data-byzantine'), null, 'honest nodes carry no data-byzantine');
  assert.equal(await pg.locator('[data-node="n1"] .cp-horns').isVisible(), true);
  assert.equal(await pg.locator('[data-node="n3"] .cp-horns').isVisible(), false);
  assert.match(await pg.locator('[data-node="n1"]').getAttribute('aria-label'), /a traitor \(equivocate\)/);
  assert.deepEqual(await pg.evaluate((el) => el.simulation.byzantine()), { n1: 'equivocate', n2: { behaviour: 'mute', to: ['n3'] } });
  // The Traitor menu of n2 shows its behaviour; make it honest, then make n4 silent.
  await pg.locator('[data-node="n2"]').click();
  const menu = pg.locator('.cp-actions').getByRole('combobox', { name: /n2: honest or a traitor/ });
  assert.equal(JSON.parse(await menu.inputValue()).behaviour, 'mute');
  assert.ok((await menu.locator('option').allTextContents()).includes('lie-in-view-change'), 'the mechanism’s own behaviours are offered');
  await menu.selectOption('null');
  await page.waitForFunction(() => !document.querySelector('[data-node="n2"]').hasAttribute('data-byzantine'));
  await pg.locator('[data-node="n4"]').click();
  await pg.locator('.cp-actions').getByRole('combobox', { name: /n4: honest or a traitor/ }).selectOption({ label: 'silent' });
  await pg.locator('[data-node="n4"][data-byzantine="silent"]').waitFor();
  assert.deepEqual(await pg.evaluate((el) => el.simulation.byzantine()), { n1: 'equivocate', n4: 'silent' });
  // Two traitors with N = 4: the panel warns.
  await pg.locator('.cp-pb-warn').waitFor();
  assert.deepEqual(errors, []);
});

test('chapter.html: the Byzantine figures — three generals break IC2, four agree, and PBFT loses agreement with f + 1 traitors but not with f', async () => {
  const { page, errors } = await open('chapter.html');
  const widgets = page.locator('consensus-playground');
  assert.equal(await widgets.count(), 12); // the others: browser-chapter.test.mjs
  const [three, four, pbft] = [page.locator('#fig-generals-three'), page.locator('#fig-generals-four'), page.locator('#fig-pbft')];
  assert.deepEqual([await three.getAttribute('protocol'), await four.getAttribute('protocol'), await pbft.getAttribute('protocol')], ['generals', 'generals', 'pbft']);
  // Figure 7.5: OM(1) with three generals and a traitorous lieutenant: IC2 fails.
  await three.locator('[data-node="n3"][data-byzantine="flip"]').waitFor();
  await three.getByRole('slider', { name: 'Speed' }).fill('100');
  await three.locator('.cp-banner', { hasText: /IC2/ }).waitFor();
  // Figure 7.6: four generals, a lying commander: the loyal lieutenants agree, no banner.
  await four.getByRole('slider', { name: 'Speed' }).fill('100');
  await four.locator('.cp-generals[data-ic1="true"]').waitFor();
  assert.equal(await four.locator('.cp-banner').isVisible(), false);
  // Figure 7.7: as the text says, first make n2 honest and send a request: no violation.
  await pbft.locator('[data-node="n2"][data-byzantine="equivocate"]').waitFor();
  await pausedAtStart(pbft);
  await pbft.locator('[data-node="n2"]').click();
  await pbft.locator('.cp-actions').getByRole('combobox', { name: /n2: honest or a traitor/ }).selectOption('null');
  await pbft.locator('.cp-toolbar').getByRole('button', { name: 'Request', exact: true }).click();
  await pbft.getByRole('slider', { name: 'Speed' }).fill('100');
  await pbft.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction((el) => el.simulation.now > 1000, await pbft.elementHandle());
  assert.deepEqual(await pbft.evaluate((el) => el.simulation.violations()), []);
  // Then Reset (both traitors back) and the same request: n3 and n4 disagree.
  await pbft.getByRole('button', { name: 'Close node actions' }).click();
  await pausedAtStart(pbft);
  assert.deepEqual(await pbft.evaluate((el) => el.simulation.byzantine()), { n1: 'equivocate', n2: 'equivocate' });
  await pbft.locator('.cp-toolbar').getByRole('button', { name: 'Request', exact: true }).click();
  await pbft.getByRole('button', { name: 'Play' }).click();
  await pbft.locator('.cp-banner', { hasText: /Agreement \(n[34], n[34]\)/ }).waitFor();
  assert.deepEqual(errors, []);
});
