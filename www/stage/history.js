// Time travel, share links and saved runs (fetched on first use of the timeline, Step back,
// Copy link, Export or Import; README "Time travel"). A point of the run is `{at, ev}`: simulated
// ms and the number of events handled. To go to one, the element replays the run's record
// (timeline.js: the reader's actions with their points) from the nearest checkpoint before it:
// a snapshot of the simulation (`Simulation.prototype.clone()`) taken every `every` simulated ms,
// at most MAX_CHECKPOINTS of them (when there are more, every other one goes and the spacing
// doubles). A core without clone() (the widgets' wasm: see Cargo.toml, feature `snapshots`)
// replays from the start of the run instead; the run is deterministic either way. Acting in the
// past forks the run: the actions recorded after that point are dropped. It imports nothing (it
// gets what it needs from the element), so that no chunk is shared with the element's file.

const MAX_CHECKPOINTS = 24;
const HOUR = 3_000_000; // runUntil goes at most an hour past now: longer replays go in pieces
// runUntil(ms) handles the events due at or before floor(ms × 1000) µs: the ms that ends
// exactly at the µs of `at`, and the ms that ends just before it.
const exact = (at) => (Math.round(at * 1000) + 0.5) / 1000;
const justBefore = (at) => Math.max(0, (Math.round(at * 1000) - 0.5) / 1000);

/** The run in a link: base64url of its JSON. */
export function encode(record) {
  let text = '';
  for (const b of new TextEncoder().encode(JSON.stringify(record))) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Opens `run` (a link's base64url text, or the record) in widget `host`: its settings, then its actions. */
export function load(host, run) {
  if (typeof run === 'string') run = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(run.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
  if (!run || typeof run.attributes !== 'object' || !Array.isArray(run.actions)) throw new Error('not a recorded run (no attributes or actions)');
  host.pendingRun = run;
  // (a guided scenario's attribute stays as it is: a scenario's Back and Next open its records)
  for (const name of host.constructor.observedAttributes) if (name !== 'scenario' && !(name in run.attributes)) host.removeAttribute(name);
  for (const [name, value] of Object.entries(run.attributes)) if (name !== 'scenario' && host.getAttribute(name) !== String(value)) host.setAttribute(name, String(value));
  // Loading: the widget opens it once its mechanism is here (mount).
  if (!host.mech) return;
  host.pendingRun = null;
  if (run.check) {
    host.check = run.check;
    host.openCheck();
  } else host.reset();
  return host.travel((h) => h.open(run));
}

/**
 * @param {HTMLElement} host   the element: simulation, makeSimulation() (a new simulation at the
 *   start of the run), show(sim), setPlaying(on), render(), checkOptions, attributes
 * @param {object} tl          its timeline (timeline.js): the run's record
 */
export function history(host, tl) {
  const run = tl.run;
  let checkpoints = [];
  let every = 1000;

  const free = (list) => list.forEach((c) => c.sim.free());
  const keep = (sim, pos) => {
    if (typeof sim.clone !== 'function') return;
    const last = checkpoints.at(-1);
    if (last && sim.now < last.at + every - 0.001) return; // (a µs of rounding)
    checkpoints.push({ at: sim.now, ev: pos.ev, applied: pos.applied, sim: sim.clone() });
    if (checkpoints.length > MAX_CHECKPOINTS) {
      free(checkpoints.filter((_, k) => k % 2));
      checkpoints = checkpoints.filter((_, k) => k % 2 === 0);
      every *= 2;
    }
  };
  // Handles the events due at or before `ms` (a runUntil argument), taking checkpoints on the way.
  const until = (sim, pos, ms) => {
    for (;;) {
      const next = checkpoints.length && typeof sim.clone === 'function' ? checkpoints.at(-1).at + every : Infinity;
      const to = Math.min(ms, exact(next), sim.now + HOUR);
      pos.ev += sim.runUntil(Math.max(to, 0));
      keep(sim, pos);
      if (to >= ms) return;
    }
  };
  // Moves `sim` to the point (`at`, `ev`): ev undefined, every event due by `at`; at undefined,
  // `ev` events whenever they fall; both, as the run stood when an action was taken there.
  const runTo = (sim, pos, at, ev) => {
    if (ev === undefined) return until(sim, pos, exact(at));
    if (at !== undefined) until(sim, pos, justBefore(at));
    while (pos.ev < ev && sim.step()) pos.ev++;
    if (at !== undefined && sim.now < at) until(sim, pos, exact(at));
  };
  const due = (a, target) => (target.at === undefined || a.at <= target.at) && (target.ev === undefined || a.ev <= target.ev);
  // Replays the record from `pos` (events handled, actions applied) up to `target`.
  const replay = (sim, pos, target) => {
    while (pos.applied < run.log.length && due(run.log[pos.applied], target)) {
      const a = run.log[pos.applied++];
      runTo(sim, pos, a.at, a.ev);
      try {
        sim[a.do](...a.args);
      } catch (e) {
        // It threw when recorded too (or the record was edited): nothing changed then either.
      }
    }
    runTo(sim, pos, target.at, target.ev);
  };
  const settle = (sim, pos) => {
    run.ev = pos.ev;
    run.applied = pos.applied;
    tl.ran(0, sim);
    host.controls.showClients(run.log.slice(0, pos.applied).filter((a) => /^(start|stop)Clients$/.test(a.do)).at(-1)?.do === 'startClients');
  };

  const api = {
    /** Goes to point `target` ({at}, {ev} or both) of the run, forward or back. */
    seek(target) {
      const sim = host.simulation;
      if (!sim) return;
      if (target.at !== undefined) target = { ...target, at: Math.max(run.start, target.at) };
      const pos = { ev: run.ev, applied: run.applied };
      const before = run.applied;
      if (due({ at: sim.now, ev: run.ev }, target)) {
        replay(sim, pos, target);
        settle(sim, pos);
        if (pos.applied > before) host.faults.sync(sim); // the dials, if an action moved them
        host.dirty = true;
        host.render();
        return;
      }
      const from = checkpoints.filter((c) => due(c, target)).at(-1);
      const next = from ? from.sim.clone() : host.makeSimulation();
      const p = from ? { ev: from.ev, applied: from.applied } : { ev: 0, applied: 0 };
      replay(next, p, target);
      settle(next, p);
      host.show(next);
    },
    /** The frame loop: the run goes on to `ms`, applying the recorded actions due by then. */
    advance(ms) {
      api.seek({ at: ms });
    },
    /** Step: the actions due before the next event, then the event. */
    step() {
      const sim = host.simulation;
      api.seek({ ev: run.ev });
      if (sim.step()) run.ev++;
      tl.ran(0, sim);
    },
    /** Step back: the run as it was before the last event handled. */
    stepBack() {
      if (run.ev > 0) api.seek({ ev: run.ev - 1 });
    },
    /** Before an action: in the past, the recorded future is dropped (the run forks here). */
    fork() {
      const sim = host.simulation;
      if (run.applied === run.log.length && run.ev >= run.end.ev && sim.now >= run.end.at) return;
      run.log.length = run.applied;
      run.end = { at: sim.now, ev: run.ev };
      if (run.violationAt !== null && run.violationAt > sim.now) run.violationAt = null;
      const gone = checkpoints.filter((c) => !due(c, run.end) || c.applied > run.applied);
      free(gone);
      checkpoints = checkpoints.filter((c) => !gone.includes(c));
    },
    /** A new run: no checkpoints. */
    reset() {
      free(checkpoints);
      checkpoints = [];
      every = 1000;
    },
    /** The run as data: what a link and an exported file hold. */
    record() {
      return {
        consensusPlayground: 1,
        // (not a guided scenario's name: a run opened from a link or a file is the run, not the scenario)
        attributes: Object.fromEntries([...host.attributes].filter((a) => !['id', 'class', 'style', 'scenario'].includes(a.name)).map((a) => [a.name, a.value])),
        check: host.checkOptions ?? null,
        actions: run.log,
        at: [host.simulation.now, run.ev],
        end: [run.end.at, run.end.ev],
      };
    },
    /** Opens `record` (a link's or a file's): the same run, paused at the same point. */
    open(record) {
      api.reset();
      // (`ev` left out: every event due by `at` first, as `consensus-sim shrink`'s actions are)
      run.log = record.actions.map(({ at, ev, do: name, args }) => ({ at: Number(at), ev: ev === undefined ? undefined : Number(ev), do: String(name), args: Array.isArray(args) ? args : [] }));
      const [at, ev] = record.at ?? [];
      const [endAt, endEv] = record.end ?? record.at ?? [];
      run.ev = run.applied = 0;
      host.setPlaying(false);
      // To the furthest point the run reached, then back to the moment it was at.
      const sim = host.makeSimulation();
      const pos = { ev: 0, applied: 0 };
      run.end = { at: sim.now, ev: 0 };
      replay(sim, pos, { at: Number(endAt ?? sim.now), ev: endEv === undefined ? undefined : Number(endEv) });
      settle(sim, pos);
      host.show(sim);
      api.seek({ at: Number(at ?? sim.now), ev: ev === undefined ? undefined : Number(ev) });
      // A run `consensus-sim shrink` made: its actions are what led to the violation (led.js).
      if (record.shrunk) import('./led.js').then((m) => m.showLed(host, run.log));
    },
    /** Share…: shows or hides Copy link, Export and Import (built in `box` the first time). */
    share(box, toggle) {
      if (!box.firstChild) {
        const { button, el } = host.cx.dom;
        const status = el('span', { class: 'cp-share-status', role: 'status' });
        const file = el('input', { type: 'file', accept: 'application/json,.json', hidden: '', 'aria-label': 'Import a run (JSON file)' });
        file.addEventListener('change', () => file.files[0] && api.importFile(file.files[0], status).finally(() => (file.value = '')));
        box.append(
          button('Copy link', 'A link to this run at this moment: the settings, the seed and every action taken', () => api.copyLink(status)),
          button('Export', 'Download this run as a JSON file', () => api.exportFile(status)),
          button('Import…', 'Open a run exported as a JSON file', () => file.click()),
          file,
          status,
        );
      }
      box.hidden = !box.hidden;
      toggle.setAttribute('aria-expanded', String(!box.hidden));
    },
    /** Copies a link to this run at this moment (and shows it). */
    async copyLink(status) {
      const url = new URL(location.href);
      url.search = `?run=${encode(api.record())}`;
      const link = status.ownerDocument.createElement('a');
      link.href = url.href;
      link.className = 'cp-run-link';
      link.textContent = 'link';
      try {
        await navigator.clipboard.writeText(url.href);
        status.replaceChildren('Copied this ', link, ' to the clipboard');
      } catch {
        status.replaceChildren('Copy this ', link, ' (the clipboard refused)');
      }
    },
    /** Downloads the run as a JSON file. */
    exportFile(status) {
      const a = status.ownerDocument.createElement('a');
      a.href = URL.createObjectURL(new Blob([JSON.stringify(api.record(), null, 1)], { type: 'application/json' }));
      a.download = `consensus-run-${host.mechanismName()}-${Math.round(host.simulation.now)}ms.json`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      status.textContent = `Exported ${a.download}`;
    },
    /** Opens a run from a JSON file (File), saying so in `status`. */
    async importFile(file, status) {
      try {
        load(host, JSON.parse(await file.text()));
        status.textContent = `Opened ${file.name}`;
      } catch (e) {
        status.textContent = `Could not open ${file.name}: ${e.message}`;
      }
    },
  };
  return api;
}
