// Size budgets of the embedded widget (issues #4 and #11), on bytes (stable), gzip -9, of what a
// page that embeds widgets transfers on load: www/dist/ element + CSS + per mechanism its chunk
// (with its wasm glue) and its own wasm (scripts/size.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUDGET_GZIP9_BYTES, mechanisms, widgetSizes } from '../scripts/size.mjs';

// What the build weighs now, rounded up: no change may make it heavier without lowering
// features or raising this on purpose. Lower it when the build shrinks.
// Raised on purpose from 88,500 for issue #10 (widget 90,555 B, was 88,214): the
// protocol-generic simulator interprets effects and keeps notes as data (+1.6 KB gzip of
// wasm), the front end's split into a stage and a Raft module costs +0.3 KB after the closed
// panels' code and styles moved to load on opening, and the faster event loop (a window of
// slots for messages in flight, integer ids) +0.4 KB. The Experiments worker's wasm shrank by
// 5.7 KB (Figure 16 builds no sentences now).
// Lowered from 90,600 for issue #11 (widget 89,740 B): each mechanism's widget loads a wasm
// that hosts it alone; the Simulation methods neither the page nor course scripts call
// (setLinkLatency, nextEventAt, protocol) are only in www/pkg/ (-0.75 KB), and a lighter panic
// hook replaced console_error_panic_hook (-0.65 KB).
// Raised to 89,900 B (89,855) when the element learned to load one wasm hosting every
// mechanism on a page with widgets of several (+0.1 KB of element code).
// Lowered to 87,600 B (87,536) by the faster event loop of issue #10, which also shrank the
// wasm (no copies of the standard library's sort in the node views, bit sets in the core):
// under issue #11's "the Raft page must not grow past 88,500 B".
// Raised to 87,900 B (87,895) for issue #12, on purpose: traitors on the generic simulator
// (sends a traitor withholds or holds back, clients that wait for several matching answers,
// the checker told what clients accepted) +0.3 KB of wasm in every widget. What only
// Byzantine runs need (Simulation::set_byzantine, the chaos runs' traitors, their sentences) is
// behind the `byzantine` cargo feature, out of the widgets (-0.16 KB). Still under issue #11's
// 88,500 B.
// Raised to 88,200 B (88,200) for issue #12, on purpose: every widget's ring marks traitors
// (data-byzantine, horns), and the element knows six mechanisms and fetches the traitor controls
// (stage/traitors.js and .css, 0.85 KB) for the Byzantine ones before their first run (+0.29 KB
// of element code); the wasm +12 B (72,059: Chaos::finish, the end-of-run hook gossip's
// convergence check needs). Still under issue #11's 88,500 B.
// Raised to 89,300 B (89,277) for issue #13, on purpose: the element can show a mechanism's own
// scene instead of the ring (gossip's dense view of up to 10,000 agents, run in a worker), knows
// seven mechanisms and gossip's attributes, draws the nodes of a crowded ring smaller, and hides
// the horns of non-traitors (+0.5 KB of element code and CSS); the Raft wasm is +0.58 KB
// (72,640) after gossip at scale changed the simulator (partitions as groups, up to 10,000
// nodes). Over issue #11's 88,500 B by 0.78 KB: see README "Size".
// Raised to 90,700 B (90,685) for issue #14 §4, on purpose: what a course author sets and hears,
// in every widget's element (+1.24 KB gzip of element code: stage/host-events.js, the events
// cp-leader, cp-commit, cp-crash, cp-restart, cp-partition, cp-heal and cp-violation derived
// from the Simulation's reports each redraw, 0.6 KB; stage/settings.js, the attributes latency-ms,
// drop-rate, duplicate-rate, bugs, hide and their checks, 0.3 KB; paused, autoplay="visible"
// with an IntersectionObserver, hiding parts, 0.3 KB), and Raft's chunk +0.16 KB (its attributes
// election-timeout-ms, heartbeat-ms, pre-vote, check-quorum, read-index; the committed entry's
// command for cp-commit). embed.html's forwarding (www/embed.js) is loaded by that page only.
// Over issue #11's 90,000 B for one mechanism's widget by 0.7 KB: see README "Size".
// Then, for issue #14 §1 and §3 (90,237 B with them alone), on purpose: every widget records the
// reader's actions (a recording view of the Simulation), counts the events handled, and shows
// the timeline under the ring (the Time slider, Jump to the violation, Share…) and Step back
// (+0.91 KB of element code, +16 B of CSS). What they do (checkpoints, replay, links, Export and
// Import: 2.3 KB) is a chunk fetched on first use (history-*.js), and the widgets' wasm has no
// clone() (+5.5 KB gzip measured: see Cargo.toml, feature `snapshots`).
// Both (§1, §3 and §4) merged: 91,637 B. Over issue #11's 90,000 B by 1.6 KB: see README "Size".
// Raised to 100,100 B (100,036) for the rest of issue #14, on purpose, each named in README "Size":
// the wasm +4.2 KB (the clients' history checked for linearizability as answers arrive, so a
// stale read shows in the page; the bounded message record behind the space-time diagram;
// Violation.index; nextEventAt), the element +2.9 KB (shortcuts, focus, the live region, the
// keyboard's Messages in flight, the scenario and space-time hooks, action errors in the banner),
// its CSS +0.4 KB (the shared log grid), Raft's chunk +0.6 KB (the log grid with nextIndex and
// matchIndex). A size pass is due (README "Size").
// Then 100,141 B with the review's fixes (the incremental check's window cap, a scenario closed on mount, keys left to boxes that scroll).
// Then 100,301 B: a node's buttons keep their places, disabled with their reason (issue #14 §5: nothing moves under the pointer).
// Raised to 101,900 B (101,810) for the randomized runner's nemesis that aims (issue #16 §1: swarm draws, the moments the protocol names, event-by-event aiming), in every widget's wasm because Simulation.fromCheck opens a failing `check` seed in the page as the very same run: +1.5 KB.
// Then 102,097 B: Raft's leadership transfers and membership changes reported to the nemesis's record (issue #16 §2; the record itself is compiled out of the page's runs).
// Raised to 102,600 B (102,572) for issue #16: the page opens a shrunk run (Simulation.fromCheck's `clients`, a run's start, in every widget's wasm: +0.3 KB) and Raft names its Figure 8 (c)–(d) moment for the nemesis (+78 B).
// Then 102,668 B with PBFT's Moment::Watch in the simulator's nemesis (every widget).
// Raised to 103,150 B (103,109) for issue #16 §1's stale-read target: Raft's Moment::Strand (the nemesis strands a leader that answers ReadIndex reads without CheckQuorum while a client reads from it) and clients whose reads stay at the node that last answered one, in the widget because the page replays a `check` seed as the very same run: +0.44 KB. (Figure 16's logcabin model is compiled out of widgets: no bytes.)
const CEILING_GZIP9_BYTES = 103_150;

// Issue #11 §6: a page with one widget of one mechanism, and a page with a widget of every
// mechanism.
// Raft's widget has its own ceiling above (over this one, on purpose, for issue #14).
// Raised to 98,300 B (the generals' 98,195, the largest of the others) for issue #14, on
// purpose, by the same element, CSS and wasm additions as Raft's (README "Size"); paxos 90,022,
// vote 92,773, HotStuff 95,891.
// Then 98,299 B (the generals') with the review's fixes.
// Then 98,399 B (the generals'): a crashed node's Pause disabled in its place, and the style of a disabled button.
// Raised to 99,200 B (the generals' 99,136) for the randomized runner's nemesis that aims (issue #16 §1: swarm draws, the moments the protocol names, event-by-event aiming), in every widget's wasm because Simulation.fromCheck opens a failing `check` seed in the page as the very same run: +0.7 KB to +1.9 KB by mechanism (Paxos' and PBFT's name moments).
// Then 99,178 B (the generals'), as Raft's above.
// Raised to 99,600 B (the generals' 99,548) for the shrunk run's start in every widget (issue #16 §2, as Raft's above); HotStuff's 98,586 B with the moment it names for the nemesis (+0.8 KB).
// Raised to 99,800 B (the generals' 99,756) for issue #16 §1: the simulator's clients keep a node for reads and one for writes (Workload::reads_stay) and the nemesis's hold after a stranding, in every widget (+0.2 KB; the stranding itself only where a protocol names it, Chaos::STRANDS).
const ONE_MECHANISM_GZIP9_BYTES = 99_800;
// PBFT's widget is over issue #11's 90,000 B, on purpose for now: its core is the largest
// (three-phase normal case, checkpoints and watermarks, view changes weighed without signatures,
// state transfer, retransmission, six invariants: ~28 KB of its wasm against HotStuff's ~18 KB).
// Without B-trees and sort code it went from 139,364 to 107,893 B (issue #12); what remains is
// named in the README's Size section. This ceiling keeps it from growing.
// Raised to 109,000 B (108,951) for issue #13: the element's scene support (+0.5 KB, as above)
// and the simulator's changes for gossip at scale in PBFT's wasm (87,970 B).
// Raised to 110,300 B (110,227) for issue #14 §4: the element's host events and attributes (+1.24 KB, as above).
// Then, for issue #14's time travel in the element (109,932 B with it alone) (+0.95 KB, as above).
// Both merged: 111,176 B.
// Raised to 119,900 B (119,850) for the rest of issue #14, as Raft's above (PBFT's chunk carries its phase grid).
// Then 119,995 B with the review's fixes.
// Then 120,095 B (a crashed node's Pause disabled in its place).
// Raised to 121,800 B (121,709) for the nemesis that aims (issue #16 §1), as Raft's above.
// Then 121,819 B, as Raft's above.
// Raised to 122,200 B (122,145) for the shrunk run's start (issue #16 §2), as Raft's above.
// Raised to 123,200 B (123,168) for PBFT's retransmission to a replica that missed a view change (Castro's thesis §5.2) and its aims for the nemesis (Watch, Unreplicated): +1.0 KB.
// Raised to 123,350 B (123,316) for issue #16 §1's count-messages target: an equivocating traitor's repeated commit and the nemesis aiming at a primary whose request rests on a traitor's word (+0.1 KB), and the clients' reads path (+0.05 KB, as above).
const PBFT_GZIP9_BYTES = 123_350;
// Raised from 200,000 B (set for three mechanisms) for issue #12's three Byzantine ones: the
// combined wasm hosts six mechanisms (226,307 B), and six chunks and stylesheets come with it
// (291,129 B in all). The chapter page is such a page.
// Raised to 334,500 B (334,054) for issue #13: the combined wasm hosts gossip too (252,517 B),
// and gossip's chunk and stylesheet come with it, and the dense view's worker on that wasm
// (gossip-worker-combined.js: such a page fetches no gossip_bg.wasm).
// Raised to 341,400 B (341,308) for issue #13 §6: the combined wasm hosts collective validation
// (src/gossip/attest.rs, merged before the page's part: about 338.7 KB with the page as it was),
// and gossip's chunk, stylesheet and combined worker carry the page's part that every gossip
// widget needs (+2.7 KB: the Attestations switch, verdicts on the ring and the grid, the worker's
// publish, verdicts and the chart's runs); the Collective validation section itself is fetched
// when attestations are on (gossip-attest-*.js, protocols/gossip-attest.css: 4.2 KB, apart).
// Then 341,927 B after the review fixes in gossip's core (combined wasm 257,516 B).
// Raised to 343,400 B (343,378) for issue #14 §4: the element's host events and attributes
// (+1.24 KB, as above), Raft's and Multi-Paxos' chunks (their attributes, cp-commit's value).
// Then, for issue #14's time travel in the element (342,881 B with it alone) (+0.95 KB, as above).
// Both merged: 344,327 B.
// Raised to 356,000 B (355,923) for the rest of issue #14, as Raft's above.
// Then 356,058 B with the review's fixes.
// Then 356,218 B (the node buttons kept in place).
// Raised to 360,400 B (360,314) for the nemesis that aims (issue #16 §1), as Raft's above.
// Then 360,913 B, as Raft's above.
// Raised to 361,300 B (361,129) for HotStuff's safety fix (the consecutive-view decide rule,
// the re-sent vote, the leader counting itself, and the old rule kept as the bug switch
// any-view-chain; HotStuff's own widget 97,355 B).
// Raised to 361,500 B (361,423) for Figure 16's per-follower heartbeats (issue #16 §3; compiled
// out of wasm builds, but the Raft options and timers they add are not: Raft 102,147 B).
// Raised to 362,800 B (362,707) for issue #16: the shrunk run's start for each of the seven
// mechanisms in the combined wasm (+0.95 KB), HotStuff's and Raft's moments for the nemesis.
// Raised to 364,000 B (363,896) for PBFT's retransmission and aims, as PBFT's above.
// Raised to 364,600 B (364,556) for issue #16 §1's stale-read and count-messages aims, as Raft's and PBFT's above.
const EVERY_MECHANISM_GZIP9_BYTES = 364_600;
// Gossip's widget: its chunk (the ring's views, the panel, the dense view's grid and plot), its
// stylesheet, its wasm, and the dense view's worker (fetched from 31 agents on; counted always).
// Raised to 99,000 B (98,969) for issue #13 §6, on purpose, in two steps. (1) Collective
// validation in the core (src/gossip/attest.rs; the gossip feature now brings the simulator's
// traitors): with the page unchanged the widget weighed 96,276 B, its wasm 69,882 B (61,576
// before). (2) The page's part every gossip widget loads, +2,693 B gzip: the chunk +2.2 KB (the
// Attestations switch, the attributes attestations, liars and sybil, verdicts on the ring and
// on the dense grid), the stylesheet +0.15 KB, the worker +0.31 KB (publish, verdicts in frames,
// the chart's runs). The Collective validation section (controls, tally, chart: 3,420 B of chunk
// and 732 B of stylesheet) is fetched only when attestations are on. Over issue #11's 90,000 B
// by 9 KB (see README "Size"): the test below holds gossip to this ceiling instead.
// Then 99,206 B after review fixes in the core (a tie rule for verdicts, identities spelled as
// members' names, the attestations' population cap): +237 B of wasm.
// Raised to 100,500 B (100,455) for issue #14 §4: the element's host events and attributes (+1.24 KB, as above).
// Then, for issue #14's time travel in the element (100,162 B with it alone) (+0.95 KB, as above).
// Both merged: 101,406 B.
// Raised to 109,300 B (109,256) for the rest of issue #14, as Raft's above.
// Then 109,343 B with the review's fixes.
// Then 109,443 B (a crashed node's Pause disabled in its place).
// Raised to 110,500 B (110,403) for the nemesis that aims (issue #16 §1), as Raft's above.
// Then 110,453 B, as Raft's above.
// Raised to 110,800 B (110,763) for the shrunk run's start (issue #16 §2), as Raft's above.
// Raised to 111,100 B (111,040) for the clients' reads path and the nemesis's hold (issue #16 §1), as the one-mechanism ceiling above.
const GOSSIP_GZIP9_BYTES = 111_100;

const total = () => widgetSizes().find((s) => s.what === 'widget total');

test(`the widget's transfer does not grow: at most ${CEILING_GZIP9_BYTES} B gzip -9`, () => {
  const t = total();
  console.log(JSON.stringify(t));
  assert.ok(t.gzip9_bytes <= CEILING_GZIP9_BYTES, `${t.gzip9_bytes} B gzip -9 > ${CEILING_GZIP9_BYTES} B`);
});

test(`issue #11: a widget of any one mechanism transfers at most ${ONE_MECHANISM_GZIP9_BYTES} B (PBFT's: ${PBFT_GZIP9_BYTES} B, gossip's: ${GOSSIP_GZIP9_BYTES} B, Raft's: ${CEILING_GZIP9_BYTES} B)`, () => {
  const each = widgetSizes().filter((s) => s.what.endsWith(' widget total'));
  assert.ok(['raft', 'paxos', 'vote', 'pbft', 'hotstuff', 'generals', 'gossip'].every((m) => each.some((s) => s.what === `${m} widget total`)), JSON.stringify(each));
  for (const s of each) {
    const ceiling = { 'pbft widget total': PBFT_GZIP9_BYTES, 'gossip widget total': GOSSIP_GZIP9_BYTES, 'raft widget total': CEILING_GZIP9_BYTES }[s.what] ?? ONE_MECHANISM_GZIP9_BYTES;
    assert.ok(s.gzip9_bytes <= ceiling, `${s.what}: ${s.gzip9_bytes} B > ${ceiling} B`);
  }
});

test(`issue #13: gossip's widget, worker included, transfers at most ${GOSSIP_GZIP9_BYTES} B; its own files are a chunk, a wasm, a stylesheet and the dense view's worker`, () => {
  const sizes = widgetSizes('gossip');
  const t = sizes.find((s) => s.what === 'widget total');
  console.log(JSON.stringify(t));
  assert.ok(t.gzip9_bytes <= GOSSIP_GZIP9_BYTES, `${t.gzip9_bytes} B > ${GOSSIP_GZIP9_BYTES} B`);
  const own = sizes.filter((s) => s.what.startsWith('gossip ') && !s.what.endsWith('total'));
  assert.deepEqual(own.map((s) => s.path.replace(/gossip-[A-Z0-9]+\.js$/, 'gossip-*.js')).sort(), ['www/dist/gossip-*.js', 'www/dist/gossip-worker.js', 'www/dist/pkg/gossip_bg.wasm', 'www/dist/protocols/gossip.css']);
  // Its twin on the wasm hosting every mechanism counts for pages of several mechanisms only.
  assert.ok(sizes.some((s) => s.path === 'www/dist/gossip-worker-combined.js' && s.what.startsWith('every mechanism in one wasm')));
  // No other widget counts them.
  assert.ok(!widgetSizes('raft').some((s) => s.path.includes('gossip') && !s.what.includes('for its widgets') && !s.what.includes('total')));
});

test('the traitor controls load with the Byzantine mechanisms’ widgets only: counted in their totals, in no other', () => {
  const sizes = widgetSizes();
  const t = sizes.filter((s) => /^www\/dist\/(traitors-[A-Z0-9]+\.js|stage\/traitors\.css)$/.test(s.path));
  assert.ok(t.length >= 2, JSON.stringify(t));
  for (const m of ['pbft', 'hotstuff', 'generals']) assert.ok(sizes.some((s) => s.what.startsWith('traitor controls') && s.path.includes('traitors')), m);
  // Raft's total is its shared files and its own, without them (checked below); PBFT's has them.
  const pbft = widgetSizes('pbft');
  const own = pbft.filter((s) => s.path.includes('traitors') && !s.what.includes('(not in the total)'));
  assert.equal(own.length, 2, JSON.stringify(own));
});

// A page of every mechanism fetches one wasm hosting them all (pkg/combined_bg.wasm), not three
// builds each with its own copy of the simulator (227.9 KB in all).
test(`issue #11: a page of every mechanism transfers at most ${EVERY_MECHANISM_GZIP9_BYTES} B`, () => {
  const all = widgetSizes().find((s) => s.what === 'all mechanisms page total');
  console.log(JSON.stringify(all));
  assert.ok(all.gzip9_bytes <= EVERY_MECHANISM_GZIP9_BYTES, `${all.gzip9_bytes} B`);
});

// Issue #4's budget. Not met yet (see README "Measured"): reported as TODO, so the gap shows
// in every test run without failing it.
test(`issue #4 budget: the widget's transfer is at most 70 KB (${BUDGET_GZIP9_BYTES} B) gzip -9`, { todo: 'the wasm alone is ~72 KB gzip; see README "Size"' }, () => {
  const t = total();
  assert.ok(t.gzip9_bytes <= BUDGET_GZIP9_BYTES, `${t.gzip9_bytes} B gzip -9, ${t.gzip9_bytes - BUDGET_GZIP9_BYTES} B over`);
});

test('the Experiments panel is not part of the load: its chunk, stylesheet, worker and wasm exist apart', () => {
  const lazy = widgetSizes().filter((s) => s.what.startsWith('Experiments'));
  assert.equal(lazy.length, 4, JSON.stringify(lazy));
});

test('time travel is not part of the load: its chunk (checkpoints, replay, links, Export and Import) exists apart', () => {
  const lazy = widgetSizes().filter((s) => s.what.startsWith('Time travel'));
  assert.deepEqual(lazy.map((s) => s.path.replace(/-[A-Z0-9]+\.js$/, '-*.js')), ['www/dist/history-*.js']);
});

test('the Network and bugs panel is not part of the load either: its chunk and stylesheet exist apart', () => {
  const lazy = widgetSizes().filter((s) => s.what.startsWith('Network and bugs'));
  assert.equal(lazy.length, 2, JSON.stringify(lazy));
});

test('gossip’s Collective validation section is not part of the load: its chunk and stylesheet exist apart, fetched when attestations are on', () => {
  const lazy = widgetSizes('gossip').filter((s) => s.what.startsWith('Gossip’s Collective validation'));
  assert.deepEqual(lazy.map((s) => s.path.replace(/-[A-Z0-9]+\.js$/, '-*.js')).sort(), ['www/dist/gossip-attest-*.js', 'www/dist/protocols/gossip-attest.css']);
});

test('the Raft module is part of a Raft widget’s load: one chunk of its own (with the wasm glue) and its own wasm', () => {
  const raft = widgetSizes().filter((s) => s.what.startsWith('raft module'));
  assert.equal(raft.length, 1, JSON.stringify(raft));
  assert.match(raft[0].path, /^www\/dist\/raft-[A-Z0-9]+\.js$/);
  assert.deepEqual(widgetSizes().filter((s) => s.what === 'raft wasm').map((s) => s.path), ['www/dist/pkg/raft_bg.wasm']);
});

test('the Paxos, voting, PBFT, HotStuff and generals modules are part of their widgets’ load only: a chunk, a wasm and a stylesheet each', () => {
  const sizes = widgetSizes();
  for (const m of ['paxos', 'vote', 'pbft', 'hotstuff', 'generals']) {
    const own = sizes.filter((s) => s.what.startsWith(`${m} `) && !s.what.endsWith('total'));
    assert.deepEqual(own.map((s) => s.path.replace(/-[A-Z0-9]+\.js$/, '-*.js')).sort(), [`www/dist/${m}-*.js`, `www/dist/pkg/${m}_bg.wasm`, `www/dist/protocols/${m}.css`].sort(), m);
  }
  // A Raft widget fetches none of them.
  const raftTotal = sizes.find((s) => s.what === 'raft widget total');
  const own = new RegExp(`^(${mechanisms().join('|')}) `);
  const shared = sizes.filter((s) => !own.test(s.what) && !s.what.includes('(not in the total)') && !s.what.includes('total'));
  const raftOwn = sizes.filter((s) => s.what.startsWith('raft ') && !s.what.endsWith('total'));
  assert.equal(raftTotal.gzip9_bytes, [...shared, ...raftOwn].reduce((t, s) => t + s.gzip9_bytes, 0));
});
