// The chapter page's own script (www/chapter.html). No protocol logic: it reads what the widgets
// report (element.simulation's stats(), nodes() and network(); the cp-commit event) and acts on
// them only through the element's recorded path (element.act), as the widgets' own buttons do,
// so time travel and share links still hold. Two parts:
//   - Table 7.1's last column: messages per decision, measured live on the page's widgets;
//   - the exercise: one fault bar for two clusters (Raft for model loading, gossip for traffic
//     routing) and a readout per side of what each decision does under the fault.

const mechanismOf = (w) => w.getAttribute('protocol') || w.getAttribute('mechanism') || 'raft';
const num = (n) => n.toLocaleString('en-US');

// ---- messages per decision, measured live ------------------------------------------------------

/** Per widget, what its simulation had sent and decided at its latest decision. */
const atDecision = new Map();

/** Fills mechanism `mech`'s measured cell from the widgets of that mechanism that decided something. */
function fillMeasured(mech) {
  const cell = document.querySelector(`#compare td[data-live="${mech}"]`);
  if (!cell) return;
  let sent = 0;
  let decisions = 0;
  let widgets = 0;
  for (const [w, s] of atDecision) {
    if (mechanismOf(w) !== mech || s.decisions === 0) continue;
    sent += s.sent;
    decisions += s.decisions;
    widgets += 1;
  }
  if (decisions === 0) return;
  const per = sent / decisions;
  cell.dataset.value = per.toFixed(2);
  cell.dataset.messages = String(sent);
  cell.dataset.decisions = String(decisions);
  const b = document.createElement('b');
  b.textContent = per >= 100 ? num(Math.round(per)) : per.toFixed(1);
  const small = document.createElement('small');
  small.textContent = `${num(sent)} messages, ${num(decisions)} ${decisions === 1 ? 'decision' : 'decisions'} (${widgets} ${widgets === 1 ? 'widget' : 'widgets'})`;
  cell.replaceChildren(b, small);
}

document.addEventListener('cp-commit', (e) => {
  const w = e.target;
  const sim = w?.simulation;
  if (!sim) return;
  const s = sim.stats();
  atDecision.set(w, { sent: s.messagesSent, decisions: s.committed });
  fillMeasured(mechanismOf(w));
});

// ---- the exercise: a model-serving cluster -----------------------------------------------------

const raft = document.getElementById('ex-raft');
const gossip = document.getElementById('ex-gossip');
const $ = (id) => document.getElementById(id);
const SIDES = { minority: ['n1', 'n2'], majority: ['n3', 'n4', 'n5'] };
const SIDE_NAME = { minority: 'the {n1, n2} side', majority: 'the {n3, n4, n5} side' };
const SHARES = ['10%', '25%', '50%', '75%', '100%'];
const KEY = 'x'; // the gossip widget shows the value of x each agent holds
const MODEL = /^model=v(\d+)$/;

function note(text) {
  $('ex-note').textContent = text;
}

const ready = () => !!(raft?.simulation && gossip?.simulation);
const node = (sim, id) => sim.nodes().find((n) => n.id === id);

/** Applies `fn(sim)` to both clusters through their recorded path. */
function both(fn) {
  raft.act(fn);
  gossip.act(fn);
}

function crash() {
  const id = $('ex-server').value;
  if (node(raft.simulation, id)?.crashed && node(gossip.simulation, id)?.crashed) return note(`${id} is already crashed in both clusters.`);
  for (const w of [raft, gossip]) if (!node(w.simulation, id)?.crashed) w.act((s) => s.crash(id));
  note(`Crashed ${id} in both clusters.`);
}

function restart() {
  const id = $('ex-server').value;
  let any = false;
  for (const w of [raft, gossip])
    if (node(w.simulation, id)?.crashed) {
      w.act((s) => s.restart(id));
      any = true;
    }
  note(any ? `Restarted ${id} in both clusters.` : `${id} is running in both clusters.`);
}

function partition() {
  both((s) => s.partition([SIDES.minority, SIDES.majority]));
  note('Partitioned both clusters: {n1, n2} | {n3, n4, n5}.');
}

function heal() {
  both((s) => s.heal());
  note('Healed both networks: every server reaches every other again.');
}

const side = () => document.querySelector('input[name="ex-side"]:checked')?.value ?? 'majority';
const live = (sim, ids) => ids.filter((id) => !node(sim, id)?.crashed);

/** The latest model version in `n`'s log up to `upTo` (an index), or 0. */
function modelIn(n, from, upTo) {
  let v = 0;
  for (const e of n.log ?? []) if (e.index > from && e.index <= upTo && typeof e.command === 'string') v = Math.max(v, Number(MODEL.exec(e.command)?.[1] ?? 0));
  return v;
}

function load() {
  const sim = raft.simulation;
  const nodes = sim.nodes();
  const v = 1 + Math.max(0, ...nodes.map((n) => modelIn(n, 0, Infinity)));
  const where = side();
  // A client on that side reaches only that side: its leader if it has one, else a server there.
  const here = live(sim, SIDES[where]);
  if (!here.length) return note(`Every server on ${SIDE_NAME[where]} is crashed: no one to ask.`);
  const partitioned = sim.network().partitioned;
  const to = partitioned ? (here.find((id) => node(sim, id).state === 'leader') ?? here[0]) : undefined;
  let r = null;
  raft.act((s) => (r = s.clientRequest(`model=v${v}`, to)));
  if (!r) return note(`Model v${v}: the request failed (see the Raft widget).`);
  const at = to ?? r.leader ?? 'the leader';
  note(
    r.accepted
      ? `Model v${v}: ${r.leader ?? at} appended it at index ${r.index}; a server loads it once a majority stores it.`
      : `Model v${v}: ${at} refused it, ${r.leader ? `its leader is ${r.leader}, which it cannot reach` : 'it knows no leader'}.`,
  );
}

let shareCount = 0;
function route() {
  const sim = gossip.simulation;
  const where = side();
  const here = live(sim, SIDES[where]);
  if (!here.length) return note(`Every server on ${SIDE_NAME[where]} is crashed: no one to ask.`);
  const value = SHARES[shareCount++ % SHARES.length];
  let r = null;
  gossip.act((s) => (r = s.clientRequest({ key: KEY, value }, here[0])));
  note(r?.accepted ? `Canary share ${value}: ${here[0]} took it at once; gossip spreads it from there.` : `Canary share ${value}: ${here[0]} refused it (${r?.reason ?? 'see the gossip widget'}).`);
}

// ---- the readout -----------------------------------------------------------------------------

/** `[side name, ids]` per side as the network stands: one group when it is whole. */
const groupsOf = (sim) => (sim.network().partitioned ? [['minority', SIDES.minority], ['majority', SIDES.majority]] : [['whole', [...SIDES.minority, ...SIDES.majority]]]);
const GROUP_TITLE = { minority: '{n1, n2}', majority: '{n3, n4, n5}', whole: 'All five servers (no partition)' };

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  e.append(...kids);
  return e;
}

/** Ids grouped by a value: "v2 on n3, n4, n5 · nothing yet on n1". */
function byValue(pairs) {
  const m = new Map();
  for (const [id, v] of pairs) m.set(v, [...(m.get(v) ?? []), id]);
  return [...m].map(([v, ids]) => `${v ?? 'nothing yet'} on ${ids.join(', ')}`).join(' · ');
}

function raftReadout(sim) {
  const nodes = sim.nodes();
  const total = nodes.filter((n) => !n.removed).length;
  const majority = Math.floor(total / 2) + 1;
  const parts = [];
  for (const [name, ids] of groupsOf(sim)) {
    const up = ids.map((id) => nodes.find((n) => n.id === id)).filter((n) => n && !n.crashed);
    const leader = up.find((n) => n.state === 'leader');
    const can = up.length >= majority;
    const loaded = up.map((n) => [n.id, ((v) => (v ? `v${v}` : null))(modelIn(n, 0, n.commitIndex))]);
    const pending = up.map((n) => [n.id, modelIn(n, n.commitIndex, Infinity)]).filter(([, v]) => v);
    parts.push(
      h(
        'div',
        { 'data-side': name, 'data-can-commit': String(can), 'data-leader': leader?.id ?? '' },
        h('h4', {}, GROUP_TITLE[name]),
        h('p', {}, `Leader: ${leader ? `${leader.id} (term ${leader.currentTerm})` : 'none'} · ${up.length} of ${total} servers running here.`),
        h('p', {}, `Model loaded (committed): ${loaded.length ? byValue(loaded) : 'no server running'}.`),
        ...(pending.length ? [h('p', {}, `Appended, not committed: ${pending.map(([id, v]) => `v${v} at ${id}`).join(', ')}.`)] : []),
        h('p', { class: can ? 'ok' : 'stuck' }, can ? `A majority (${majority} of ${total}) is here: this side can load a new model version.` : `No majority here (${up.length} of ${total}, ${majority} needed): this side cannot load a new model version; it keeps serving what it loaded.`),
      ),
    );
  }
  return parts;
}

function gossipReadout(sim) {
  const nodes = sim.nodes();
  const held = (n) => n.store?.find((e) => e.key === KEY);
  const parts = [];
  for (const [name, ids] of groupsOf(sim)) {
    const up = ids.map((id) => nodes.find((n) => n.id === id)).filter((n) => n && !n.crashed);
    const shares = up.map((n) => [n.id, held(n)?.value ?? null]);
    parts.push(
      h(
        'div',
        { 'data-side': name, 'data-routing': String(up.length > 0) },
        h('h4', {}, GROUP_TITLE[name]),
        h('p', {}, `Canary share held: ${shares.length ? byValue(shares) : 'no server running'}.`),
        h('p', { class: up.length ? 'ok' : 'stuck' }, up.length ? `Keeps routing: each of the ${up.length} running servers here routes by the share it holds, and takes new shares at once.` : 'No server running here.'),
      ),
    );
  }
  const d = sim.divergence();
  parts.push(
    h(
      'p',
      { class: d ? 'diverged' : 'ok', 'data-converged': String(!d) },
      d ? `Diverged: ${d.a} and ${d.b} hold different shares; they converge once gossip reaches both (after a heal).` : 'Converged: every running server holds the same share.',
    ),
  );
  return parts;
}

/** Replaces `box`'s content with `parts` only when the text changed (the region is aria-live). */
function show(box, parts) {
  const next = parts.map((p) => p.outerHTML).join('');
  if (box.dataset.shown === next) return;
  box.dataset.shown = next;
  box.replaceChildren(...parts);
}

function refresh() {
  if (!ready()) return;
  show($('ex-raft-readout'), raftReadout(raft.simulation));
  show($('ex-gossip-readout'), gossipReadout(gossip.simulation));
}

if (raft && gossip) {
  const buttons = ['ex-crash', 'ex-restart', 'ex-partition', 'ex-heal', 'ex-load', 'ex-route'].map($);
  const handlers = [crash, restart, partition, heal, load, route];
  buttons.forEach((b, i) =>
    b.addEventListener('click', () => {
      if (!ready()) return note('The clusters are still loading.');
      handlers[i]();
      refresh();
    }),
  );
  for (const b of buttons) b.disabled = true;
  // Redraw the readout every frame while the exercise is on screen (two small simulations).
  let visible = false;
  let raf = 0;
  const frame = () => {
    raf = visible ? requestAnimationFrame(frame) : 0;
    if (ready() && buttons[0].disabled) {
      for (const b of buttons) b.disabled = false;
      note('Ready: pick a fault or a decision.');
    }
    refresh();
  };
  new IntersectionObserver(([e]) => {
    visible = e.isIntersecting;
    if (visible && !raf) raf = requestAnimationFrame(frame);
  }).observe($('exercise'));
}

// ---- guided scenarios, one click away from each figure ---------------------------------------
//
// A figure's data-scenarios names the built-in scenarios that go with it (the primary one first).
// A button above the figure opens one in the figure's widget: the widget's own settings are
// cleared first, so the scenario starts from the defaults and its own settings, as it would on a
// page of its own; Back to the figure closes it and puts the figure's attributes back (a new
// run, as the text describes it). Opening one at load would replace the settings the text
// describes (the scenarios choose their own nodes, seeds and traitors) and pause every figure at
// its first step.

const TITLES = {
  'raft/first-election': 'The first election',
  'raft/split-vote': 'A split vote',
  'raft/leader-crash': 'The leader crashes',
  'raft/figure-8': 'Figure 8',
  'raft/partition-prevote': 'A partition, with and without PreVote',
  'paxos/two-phases': 'Paxos in two phases',
  'paxos/dueling-proposers': 'Dueling proposers',
  'paxos/gap-fill': 'A new leader fills a gap',
  'vote/quorum-kinds': 'Majority, supermajority, weighted',
  'vote/small-quorum': 'A quorum too small',
  'vote/weighted': 'Weighted voting',
  'pbft/normal-case': 'PBFT’s normal case',
  'pbft/traitor-primary': 'A traitor primary',
  'pbft/too-many-traitors': 'f + 1 traitors',
  'generals/three-generals': 'Three generals',
  'generals/four-generals': 'Four generals',
  'generals/traitor-commander': 'A traitorous commander',
  'hotstuff/normal-case': 'A block per view',
  'hotstuff/leader-crash': 'A leader crashes',
  'hotstuff/traitor-leader': 'A traitor leader',
  'gossip/push-pull-race': 'Push, pull and push-pull',
  'gossip/rumor-mongering': 'Rumor mongering',
  'gossip/attestations': 'Collective validation',
};
/** Attributes a scenario does not replace: where and how the figure shows, not what it runs. */
const KEEP = /^(id|class|style|protocol|mechanism|autoplay|hide|experiments|data-.*|aria-.*|role|scenario)$/;

function guided(w) {
  const names = w.dataset.scenarios.trim().split(/\s+/);
  const saved = [...w.attributes].filter((a) => !KEEP.test(a.name)).map((a) => [a.name, a.value]);
  const figureName = w.closest('figure')?.querySelector('figcaption')?.textContent.split(' — ')[0] ?? 'this figure';
  const buttons = names.map((name) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.scenario = name;
    b.setAttribute('aria-pressed', 'false');
    b.textContent = TITLES[`${mechanismOf(w)}/${name}`] ?? name;
    b.addEventListener('click', () => open(name));
    return b;
  });
  const back = document.createElement('button');
  back.type = 'button';
  back.className = 'guided-back';
  back.textContent = 'Back to the figure';
  back.hidden = true;
  back.addEventListener('click', restore);
  const label = document.createElement('span');
  label.className = 'guided-label';
  label.textContent = 'Guided:';
  const bar = h('div', { class: 'guided', role: 'group', 'aria-label': `Guided scenarios for ${figureName}` });
  bar.append(label, ...buttons, back);
  w.before(bar);

  const pressed = (name) => {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.scenario === name));
    back.hidden = name === null;
  };
  function open(name) {
    // From the defaults: every setting of the figure goes (each a new run; the scenario sets its own).
    for (const a of [...w.attributes]) if (!KEEP.test(a.name)) w.removeAttribute(a.name);
    w.removeAttribute('scenario'); // (the same one again, after the reader left it: it opens anew)
    w.setAttribute('scenario', name);
    pressed(name);
    w.scrollIntoView({ block: 'nearest' });
  }
  function restore() {
    w.removeAttribute('scenario');
    w.scenario?.close(); // (also when the reader closed it with ×: the run stays, the figure comes back)
    for (const a of [...w.attributes]) if (!KEEP.test(a.name) && !saved.some(([n]) => n === a.name)) w.removeAttribute(a.name);
    for (const [n, v] of saved) if (w.getAttribute(n) !== v) w.setAttribute(n, v);
    pressed(null);
  }
}

for (const w of document.querySelectorAll('consensus-playground[data-scenarios]')) guided(w);
