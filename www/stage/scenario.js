// Guided scenarios (issue #14 §2; README "Guided scenarios"): a narrated sequence of steps in the
// real simulation, fetched when a widget opens one (scenario="NAME", ?scenario=NAME, a URL, or an
// inline <script type="application/json"> in the element). A scenario is data:
//
//   {"name": "first-election", "protocol": "raft", "title": "The first election",
//    "settings": {"nodes": 5, "seed": 7, "pre-vote": "off"},      element attributes, set first
//    "steps": [
//      {"caption": "Five servers start as followers…"},                          shown at once
//      {"when": {"leader": true}, "caption": "n3 won: …"},                       runs until then
//      {"after": 200, "do": "crash", "args": ["$leader"], "caption": "…"},        200 ms later, acts
//      {"when": {"message": {"kind": "RequestVote"}}, "caption": "Drop it.",
//       "task": {"do": "dropMessage", "message": {"kind": "RequestVote"}, "done": "Dropped."}}]}
//
// A step runs in this order: `set` (attributes: a new run), then the run plays until its moment
// (`at`: simulated ms since the run began; `after`: ms since the step began; `when`: a condition;
// none: at once), then its actions (`do`: a Simulation method and `args`, or a list of
// {do, args}), then it pauses and shows its caption. A step with a `task` waits for the reader
// to take that action (or "Do it for me"), says whether what they did was it, and only then
// offers Next (a task: {do, args?: what it must be called with, example?: the arguments Do it for
// me uses when any will do, message?: the in-flight message it must name, hint?, done?}). Back is time travel: the run as it was when the previous step was reached.
// Conditions (all of a `when` must hold; `within` ms bounds the wait, then `otherwise` is shown):
//   leader: true | false | "new"     a leader exists, none, a different one than at the step's start
//   committed: N                     stats().committed ≥ N (a Raft index, a decided slot, …)
//   violation: true                  the checker found a violation
//   event: KIND                      an event of that kind since the step began (eventsSince: crash,
//                                    restart, leader, partition, heal, deliver, timeout, decide, …)
//   node: {field: value, …}, count   at least `count` (default 1) nodes whose view has those values
//                                    (a value may be a comparison: {"executedHeight": {">=": 7}})
//   message: {field: value, …}       a message in flight with those values (kind, from, to, term, …)
// Captions may say "{leader}" (its id) and "{time}" (the simulated time), as of the step's moment
// (after its actions).
// Arguments may name nodes by role: "$leader" (sim.leader()), "$others" (every other node, a list),
// "$follower" (the first live node that is not the leader), "$crashed" (the first crashed node).
// An action with `each` ({field: value, …}) is taken once per message in flight with those values,
// the message's id first: {"do": "dropMessage", "each": {"from": "n5"}} drops all of n5's.
// The element tells the host page with cp-scenario events: {scenario, step, of, kind:
// 'step' | 'task-done' | 'task-wrong' | 'finished', caption, timeMs}. Nothing here knows a
// protocol: the scenario names the fields and methods, the Simulation does the rest.

const WAIT_CAP_MS = 60_000; // Skip ahead (and a `when` without `within`) gives up after this much simulated time
const CONDITIONS = ['leader', 'committed', 'violation', 'event', 'node', 'count', 'message'];
const STEP_KEYS = ['at', 'after', 'when', 'within', 'otherwise', 'set', 'do', 'args', 'caption', 'task'];
const TASK_KEYS = ['do', 'args', 'example', 'message', 'hint', 'done'];
// Simulation methods a scenario may not call: they are not actions on the run.
const NOT_ACTIONS = /^(free|clone|constructor|step|runUntil|nodes|messages|network|history|leader|violations|stats|eventsSince|config|ids|now|byzantine|messageLog|nextEventAt)$/;

/** Where the built-in scenarios are: www/scenarios/<protocol>/<name>.json, copied to www/dist/scenarios/. */
const builtIn = (base, protocol, name) => new URL(`scenarios/${protocol}/${name}.json`, base).href;

/**
 * Where scenario `spec` (an attribute's value) is: a URL (it has a '/' and ends in .json, or
 * starts with a scheme), "protocol/name" (a built-in of that mechanism) or "name" (a built-in of
 * the widget's mechanism `protocol`).
 */
export function locate(spec, protocol, base) {
  if (/^[a-z]+:|\.json$/i.test(spec)) return new URL(spec, document.baseURI).href;
  const m = /^(?:([a-z]+)\/)?([a-z0-9-]+)$/.exec(spec);
  if (!m) throw new Error(`scenario "${spec}": expected a name (first-election), protocol/name (raft/first-election) or a URL ending in .json`);
  return builtIn(base, m[1] ?? protocol, m[2]);
}

const isObj = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Checks scenario `s` (parsed JSON); throws an Error naming the field and the rule. */
export function validate(s) {
  const fail = (path, rule) => {
    throw new Error(`scenario${path}: ${rule}`);
  };
  if (!isObj(s)) fail('', 'expected a JSON object with protocol and steps');
  if (typeof s.protocol !== 'string') fail('.protocol', 'expected the mechanism’s name (raft, paxos, vote, pbft, hotstuff, generals, gossip)');
  if (s.settings !== undefined && (!isObj(s.settings) || 'protocol' in s.settings || 'scenario' in s.settings)) fail('.settings', 'expected an object of element attributes (not protocol or scenario)');
  if (!Array.isArray(s.steps) || !s.steps.length) fail('.steps', 'expected a non-empty list of steps');
  const actions = (path, d, args) => {
    const list = Array.isArray(d) ? d : [{ do: d, args }];
    list.forEach((a, k) => {
      const p = Array.isArray(d) ? `${path}[${k}]` : path;
      if (!isObj(a) || typeof a.do !== 'string' || !/^[a-z][A-Za-z]*$/.test(a.do) || NOT_ACTIONS.test(a.do)) fail(p, 'expected a Simulation action’s name (crash, restart, partition, heal, clientRequest, startElection, dropMessage, …)');
      if (a.args !== undefined && !Array.isArray(a.args)) fail(`${p}.args`, 'expected a list of arguments');
      if (a.each !== undefined && !isObj(a.each)) fail(`${p}.each`, 'expected an object of field values (the messages in flight to act on)');
    });
  };
  s.steps.forEach((st, i) => {
    const p = `.steps[${i}]`;
    if (!isObj(st)) fail(p, 'expected an object');
    for (const k of Object.keys(st)) if (!STEP_KEYS.includes(k)) fail(`${p}.${k}`, `unknown field (a step has ${STEP_KEYS.join(', ')})`);
    if (typeof st.caption !== 'string') fail(`${p}.caption`, 'expected the text shown when the step is reached');
    if ([st.at, st.after, st.when].filter((x) => x !== undefined).length > 1) fail(p, 'at most one of at, after and when');
    for (const k of ['at', 'after', 'within']) if (st[k] !== undefined && !(Number.isFinite(st[k]) && st[k] >= 0)) fail(`${p}.${k}`, 'expected a non-negative number of simulated ms');
    if (st.when !== undefined) {
      if (!isObj(st.when) || !Object.keys(st.when).length) fail(`${p}.when`, `expected a condition: an object with ${CONDITIONS.join(', ')}`);
      for (const k of Object.keys(st.when)) if (!CONDITIONS.includes(k)) fail(`${p}.when.${k}`, `unknown condition (known: ${CONDITIONS.join(', ')})`);
      const w = st.when;
      if (w.leader !== undefined && ![true, false, 'new'].includes(w.leader)) fail(`${p}.when.leader`, 'expected true, false or "new"');
      if (w.committed !== undefined && !Number.isInteger(w.committed)) fail(`${p}.when.committed`, 'expected an integer');
      if (w.violation !== undefined && w.violation !== true) fail(`${p}.when.violation`, 'expected true');
      if (w.event !== undefined && typeof w.event !== 'string') fail(`${p}.when.event`, 'expected an event kind (crash, leader, decide, …)');
      for (const k of ['node', 'message']) if (w[k] !== undefined && !isObj(w[k])) fail(`${p}.when.${k}`, 'expected an object of field values');
      if (w.count !== undefined && !(Number.isInteger(w.count) && w.count >= 1 && w.node)) fail(`${p}.when.count`, 'expected an integer ≥ 1, with node');
    }
    if (st.set !== undefined && (!isObj(st.set) || 'protocol' in st.set || 'mechanism' in st.set || 'scenario' in st.set)) fail(`${p}.set`, 'expected an object of element attributes (not protocol or scenario: the scenario’s own)');
    if (st.do !== undefined) actions(`${p}.do`, st.do, st.args);
    else if (st.args !== undefined) fail(`${p}.args`, 'args without do');
    if (st.task !== undefined) {
      const t = st.task;
      if (!isObj(t)) fail(`${p}.task`, 'expected {do, args?, message?, hint?, done?}');
      for (const k of Object.keys(t)) if (!TASK_KEYS.includes(k)) fail(`${p}.task.${k}`, `unknown field (a task has ${TASK_KEYS.join(', ')})`);
      actions(`${p}.task`, t.do, t.args);
      if (t.message !== undefined && !isObj(t.message)) fail(`${p}.task.message`, 'expected an object of field values');
      if (t.example !== undefined && !Array.isArray(t.example)) fail(`${p}.task.example`, 'expected the arguments Do it for me passes when the task takes any');
    }
  });
  return s;
}

const COMPARE = { '>=': (a, b) => a >= b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '<': (a, b) => a < b };
/**
 * Whether `x` has every field value of `pattern`: equal as JSON, or a comparison with a number
 * (`{"executedHeight": {">=": 7}}`; >=, <=, >, <).
 */
const matches = (x, pattern) =>
  Object.entries(pattern).every(([k, v]) => {
    const [op] = isObj(v) ? Object.keys(v) : [];
    return op in COMPARE && Object.keys(v).length === 1 ? typeof x?.[k] === 'number' && COMPARE[op](x[k], v[op]) : JSON.stringify(x?.[k]) === JSON.stringify(v);
  });

/**
 * Runs scenario `s` (validated) in widget `host` (the element): `{root, frame(), acted(entries),
 * stopAt, close()}`. The element calls frame() after each redraw, acted() with the actions it
 * recorded (timeline.js entries {at, ev, do, args}), and clamps the run to stopAt.
 */
export function scenario(host, s) {
  const { button, el } = host.cx.dom;
  const title = s.title ?? s.name ?? 'Scenario';
  const label = el('span', { class: 'cp-sc-label' });
  const caption = el('p', { class: 'cp-sc-caption', 'aria-live': 'polite' });
  const status = el('p', { class: 'cp-sc-status', role: 'status' });
  const back = button('Back', 'The run as it was at the previous step', () => go(index - 1));
  const next = button('Next', 'On to the next step', () => (index === s.steps.length - 1 ? finish() : go(index + 1)));
  const skip = button('Skip ahead', 'Run on to this step’s moment now', () => skipAhead());
  const doIt = button('Do it for me', 'Take the action this step asks for', () => doTask());
  const close = el('button', { type: 'button', class: 'cp-close', 'aria-label': 'Leave the scenario', text: '×' });
  close.addEventListener('click', () => api.close(true));
  const root = el(
    'section',
    { class: 'cp-panel cp-scenario', 'aria-label': `Scenario: ${title}` },
    el('div', { class: 'cp-sc-head' }, el('h3', { text: title }), close),
    caption,
    status,
    // The step counter sits beside Back and Next, not under the title: one row less (issue #14 §5:
    // at 400 px the ring and this panel fit on one screen).
    el('div', { class: 'cp-buttons' }, back, skip, doIt, next, label),
  );

  let index = -1;
  let state = 'idle'; // waiting (the run goes on to the step's moment) | task | shown | finished
  let start = null; // the step's start: {now, leader, seq}
  let taskMessages = new Map(); // the messages in flight the last time the reader could see them
  const reached = []; // reached[i]: the run's record when step i was shown (time travel: Back, Next)
  const taskDone = [];
  let own = false; // the scenario itself is acting (not the reader)
  let want = []; // the task's actions, their "$leader"s resolved when the step was reached
  // The task of step `st`, as the run stands now (the leader it names is this one, even once crashed).
  const task = (st) => {
    want = list(st.task.do, st.task.args).map((a) => ({ do: a.do, args: a.args === undefined ? undefined : resolve(a.args) }));
    want.message = st.task.message && resolve(st.task.message);
    taskMessages = new Map(sim().messages().map((m) => [m.id, m]));
  };

  const fire = (kind, extra = {}) => host.dispatchEvent(new CustomEvent('cp-scenario', { detail: { scenario: s.name ?? null, step: index + 1, of: s.steps.length, kind, caption: s.steps[index]?.caption ?? '', timeMs: host.simulation?.now ?? 0, ...extra }, bubbles: true, composed: true }));
  const sim = () => host.simulation;
  const step = () => s.steps[index];

  // "$leader", "$others", "$follower" → node ids, as the run stands now.
  const resolve = (x) => {
    if (Array.isArray(x)) return x.flatMap((y) => (y === '$others' ? resolve(y) : [resolve(y)]));
    if (isObj(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, resolve(v)]));
    if (typeof x !== 'string' || !x.startsWith('$')) return x;
    const leader = sim().leader() ?? null;
    if (x === '$leader') return leader;
    if (x === '$others') return sim().ids.filter((id) => id !== leader);
    if (x === '$crashed') return sim().nodes().find((n) => n.crashed)?.id ?? null;
    if (x === '$follower') return sim().nodes().find((n) => n.id !== leader && !n.crashed && !n.removed)?.id ?? null;
    return x;
  };
  const list = (d, args) => (Array.isArray(d) ? d : d === undefined ? [] : [{ do: d, args }]);
  const perform = (actions) => {
    own = true;
    try {
      for (const a of actions) {
        const ids = a.each ? sim().messages().filter((m) => matches(m, resolve(a.each))).map((m) => [m.id]) : [[]];
        for (const id of ids) host.act((sim) => sim[a.do](...id, ...resolve(a.args ?? [])));
      }
    } finally {
      own = false;
    }
  };

  const holds = (w) => {
    const x = sim();
    if (w.leader !== undefined) {
      const l = x.leader() ?? null;
      if (w.leader === true ? !l : w.leader === false ? l : !l || l === start.leader) return false;
    }
    if (w.committed !== undefined && x.stats().committed < w.committed) return false;
    if (w.violation && !x.violations().length) return false;
    if (w.event && !start.event) {
      // (the events since the last look only: this runs after every event while a step waits)
      for (const e of x.eventsSince(start.seq)) if (((start.seq = e.seq), e.kind === w.event)) start.event = true;
      if (!start.event) return false;
    }
    if (w.node && x.nodes().filter((n) => matches(n, resolve(w.node))).length < (w.count ?? 1)) return false;
    if (w.message && !x.messages().some((m) => matches(m, resolve(w.message)))) return false;
    return true;
  };
  // Whether the step's moment has come: true, false, or 'late' (`within` passed first).
  const due = () => {
    const st = step();
    const now = sim().now;
    if (st.at !== undefined) return now >= st.at - 1e-9;
    if (st.after !== undefined) return now >= start.now + st.after - 1e-9;
    if (st.when === undefined) return true;
    if (holds(st.when)) return true;
    return now - start.now >= (st.within ?? WAIT_CAP_MS) ? 'late' : false;
  };
  const limit = () => {
    const st = step();
    return st.at ?? (st.after !== undefined ? start.now + st.after : st.when !== undefined ? start.now + (st.within ?? WAIT_CAP_MS) : null);
  };

  // A caption's "{leader}" and "{time}": the leader's id and the simulated time when the step was reached.
  const fill = (text) => text.replace(/\{(leader|time)\}/g, (_, k) => (k === 'leader' ? (sim()?.leader() ?? 'no one') : `${Math.round(sim()?.now ?? 0)} ms`));
  const captions = []; // captions[i]: step i's caption as it was when reached ({leader} then)
  const show = () => {
    const st = step();
    label.textContent = `Step ${index + 1} of ${s.steps.length}`;
    back.disabled = index === 0;
    skip.hidden = state !== 'waiting';
    doIt.hidden = state !== 'task';
    next.disabled = state === 'waiting' || state === 'task';
    next.textContent = index === s.steps.length - 1 ? 'Finish' : 'Next';
    if (state === 'waiting') {
      caption.textContent = '';
      status.textContent = 'Running on to the next moment…';
    } else {
      caption.textContent = captions[index] ?? '';
      status.textContent = state === 'task' ? (st.task.hint ?? '') : taskDone[index] ? (st.task.done ?? 'Done.') : '';
    }
  };

  // Step i: its settings, then on to its moment (or straight to the run as it was, when the
  // reader went Back and has changed nothing since).
  const go = async (i) => {
    if (i < 0 || i >= s.steps.length) return;
    index = i;
    api.stopAt = null; // (Back while the run was on its way to a step's moment)
    if (reached[i]) {
      state = 'shown';
      await host.loadRun(reached[i]);
      if (index !== i) return; // (pressed again meanwhile)
      state = step().task && !taskDone[i] ? 'task' : 'shown';
      if (state === 'task') task(step());
      show();
      fire('step');
      return;
    }
    reached.length = i;
    taskDone.length = i;
    const st = step();
    if (st.set) {
      // A new run, even for attributes read only at a reset; then what the mechanism's module does on its own change (a MutationObserver) has happened too.
      for (const [k, v] of Object.entries(st.set)) host.setAttribute(k, String(v));
      host.reset();
      await Promise.resolve();
      if (index !== i) return;
    }
    if (!sim()) return fail('the run did not start: see the banner');
    start = { now: sim().now, leader: sim().leader() ?? null, seq: sim().eventsSince(0).pop()?.seq ?? 0 };
    state = 'waiting';
    api.stopAt = limit();
    show();
    if (due()) reach();
    else host.setPlaying(true);
  };

  const reach = (late = due() === 'late') => {
    if (state !== 'waiting') return;
    const st = step();
    api.stopAt = null;
    host.setPlaying(false);
    state = late ? 'late' : 'shown';
    perform(list(st.do, st.args));
    captions[index] = fill(late ? (st.otherwise ?? st.caption) : st.caption);
    if (!late && st.task) {
      state = 'task';
      task(st);
    }
    show();
    keep(index);
    fire('step');
  };
  // The run as it stands (a copy: the record goes on growing), for Back and Next to come back to step i.
  const keep = (i) => host.history && (reached[i] = JSON.parse(JSON.stringify(host.history.record())));

  // One event, as Step does (false: none left); null when recorded actions lie ahead (after Back):
  // then the history module replays them on the way.
  const stepEvent = () => {
    const run = host.timeline.run;
    if (run.applied < run.log.length) return null;
    const ok = !!sim().step();
    if (ok) host.timeline.ran(1, sim());
    return ok;
  };
  // A `when` step waits event by event, so that its moment is the instant that met its condition,
  // whatever the frames: the same run, with its actions at the same point, at any speed.
  const until = (ms) => {
    const x = sim();
    if (x.nextEventAt === undefined) return false; // (a core without it: frame by frame)
    while (state === 'waiting') {
      const t = x.nextEventAt;
      if (t === null || t > ms) break;
      const ok = stepEvent();
      if (ok === null) return false;
      if (!ok) break;
      const r = due();
      if (!r) continue;
      // (the rest of that instant too: what happens at the same µs is one moment)
      while (x.nextEventAt === x.now && stepEvent());
      reach(r === 'late');
    }
    if (state === 'waiting' && x.now < ms) host.timeline.ran(x.runUntil(ms), x);
    return true;
  };

  const skipAhead = () => {
    if (state !== 'waiting') return;
    const cap = limit() ?? sim().now;
    if (step().when === undefined || !until(cap)) host.advance(cap);
    if (state === 'waiting') reach(due() === 'late' || !due());
    host.dirty = true;
    host.render();
  };

  // The task's action, as the reader would take it.
  const doTask = () => {
    if (state !== 'task') return;
    const t = step().task;
    const [a] = want;
    const args = t.message ? [(sim().messages().find((m) => matches(m, want.message)) ?? [...taskMessages.values()].find((m) => matches(m, want.message)))?.id] : (a.args ?? resolve(t.example ?? []));
    host.act((sim) => sim[a.do](...args));
  };

  // Whether recorded action `e` ({do, args}) is what the task asks for.
  const isTask = (e) => want.some((a) => a.do === e.do && (a.args === undefined || JSON.stringify(a.args) === JSON.stringify(e.args))) && (!want.message || matches(taskMessages.get(e.args[0]), want.message));

  const finish = () => {
    state = 'finished';
    label.textContent = 'Finished';
    caption.textContent = `That was “${title}”. The run is yours now: play on, act, or go Back.`;
    status.textContent = '';
    next.disabled = true;
    fire('finished');
  };

  const fail = (why) => {
    state = 'idle';
    caption.textContent = `This scenario cannot go on: ${why}.`;
  };

  const api = {
    root,
    /** Simulated ms the run must not pass before the step's moment is checked (null: no limit). */
    stopAt: null,
    /** The frame loop's run on to `ms`, when a step waits for a condition: event by event (true if done). */
    advance(ms) {
      return state === 'waiting' && step().when !== undefined && until(ms);
    },
    /** After each redraw: has the step's moment come? (and the messages a task may name). */
    frame() {
      if (state === 'waiting' && sim()) {
        const r = due();
        if (r) reach(r === 'late');
      } else if (state === 'task' && want.message && sim()) for (const m of sim().messages()) if (matches(m, want.message)) taskMessages.set(m.id, m);
    },
    /** The actions the element just recorded: the reader's, unless the scenario took them. */
    acted(entries) {
      if (own || !entries.length) return;
      reached.length = index + 1; // the run forked: the steps after this one are not what they were
      if (state !== 'task') return;
      const t = step().task;
      if (entries.some(isTask)) {
        taskDone[index] = true;
        state = 'shown';
        show();
        keep(index);
        fire('task-done');
      } else {
        status.textContent = `That was not it. ${t.hint ?? ''}`.trim();
        fire('task-wrong');
      }
    },
    /**
     * Leaves the scenario: the run stays as it is. `byReader` (×): the widget forgets it too (the
     * `scenario` attribute goes, and one written inside the element), so setting it again opens it.
     */
    close(byReader = false) {
      api.stopAt = null;
      state = 'idle';
      root.remove();
      if (host.scenario === api) host.scenario = null;
      if (byReader) {
        host.inlineScenario = null;
        host.removeAttribute('scenario');
      }
    },
    /** Starts at step 1: the scenario's settings (a new run), then its first step. */
    async begin() {
      await host.loadHistory(); // (Back and Next travel in time; each step keeps the run as it was)
      reached.length = taskDone.length = 0;
      index = -1;
      for (const [k, v] of Object.entries(s.settings ?? {})) if (host.getAttribute(k) !== String(v)) host.setAttribute(k, String(v));
      // A new run always (Reset, or settings the widget already had), after what a mechanism's
      // module does on its own change of attributes (a MutationObserver).
      host.reset();
      await Promise.resolve();
      host.setPlaying(false);
      return go(0);
    },
  };
  return api;
}

/**
 * Opens scenario `spec` in widget `host`: `text` (inline JSON) or `spec` (a name or URL, see
 * locate). Fetches and checks it, sets its mechanism and settings, shows its panel and starts
 * at step 1. Errors (not found, not JSON, a bad field) show in the widget's banner.
 */
export async function open(host, { spec, text }, base) {
  let s;
  try {
    if (text !== undefined) s = JSON.parse(text);
    else {
      const url = locate(spec, host.mechanismName(), base);
      const r = await fetch(url);
      if (!r.ok) throw new Error(`scenario "${spec}": ${r.status} ${r.statusText} (${url})`);
      s = await r.json();
    }
    validate(s);
  } catch (e) {
    host.showError(e.message.startsWith('scenario') ? e.message : `scenario: ${e.message}`);
    return null;
  }
  host.scenario?.close();
  if (s.protocol !== host.mechanismName()) {
    // Its mechanism first: the widget opens the scenario again once that is loaded (mount).
    host.setAttribute('protocol', s.protocol);
    return null;
  }
  if (!host.simulation) return null;
  host.cx.stylesheet('stage/scenario.css');
  const sc = scenario(host, s);
  host.scenario = sc;
  host.querySelector('.cp-banner')?.after(sc.root);
  await sc.begin();
  return sc;
}
