// Time travel's replay (www/stage/history.js) in Node, on www/pkg/: from checkpoints (the
// Simulation's clone()) and, as the widgets' wasm does without clone(), from the start of the
// run. Going back and forward, Step back and a fork give the same states as the run itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { history } from '../www/stage/history.js';
import pkg from './wasm-package.mjs';

/** A widget as history.js sees it: a simulation, its record, and what it calls back. */
function widget(snapshots) {
  const make = () => {
    const s = new pkg.Simulation({ seed: 7, nodes: 5 });
    if (!snapshots) s.clone = undefined; // as the widgets' wasm: no checkpoints
    return s;
  };
  const run = { log: [], ev: 0, applied: 0, start: 0, end: { at: 0, ev: 0 }, violationAt: null };
  const tl = {
    run,
    ran(n, sim) {
      run.ev += n;
      if (sim.now > run.end.at || run.ev > run.end.ev) run.end = { at: sim.now, ev: run.ev };
    },
  };
  const host = {
    simulation: make(),
    makeSimulation: make,
    show(s) {
      if (s !== this.simulation) this.simulation.free();
      this.simulation = s;
    },
    render() {},
    setPlaying() {},
    controls: { showClients() {} },
    faults: { sync() {} },
  };
  const h = history(host, tl);
  // An action, recorded as the element's act() records it.
  const act = (name, ...args) => {
    const s = host.simulation;
    s[name](...args);
    run.log.push({ at: s.now, ev: run.ev, do: name, args });
    run.applied = run.log.length;
    run.end = { at: s.now, ev: run.ev };
  };
  const play = (to) => {
    for (let t = host.simulation.now; t < to; t += 16.7) h.advance(Math.min(t + 16.7, to));
  };
  const state = () => JSON.stringify([host.simulation.now, host.simulation.nodes(), host.simulation.messages(), host.simulation.eventsSince(0)]);
  return { h, run, act, play, state, host };
}

for (const snapshots of [true, false]) {
  test(`replay ${snapshots ? 'from checkpoints (clone())' : 'from the start (no clone(), as in the widgets)'}: back and forward, Step back and a fork`, () => {
    const { h, run, act, play, state, host } = widget(snapshots);
    play(800);
    act('startClients', { clients: 2, thinkMs: 60 });
    h.step();
    h.step();
    act('crash', 'n2'); // between two events due at the same time, maybe: ev places it
    h.step();
    const mid = { at: host.simulation.now, ev: run.ev, state: state() };
    play(3000);
    act('restart', 'n2');
    act('cutLink', 'n1', 'n3', true);
    play(5000);
    const end = { at: host.simulation.now, ev: run.ev, state: state() };

    h.seek({ at: mid.at, ev: mid.ev });
    assert.equal(state(), mid.state, 'back to the middle');
    h.seek({ at: end.at, ev: end.ev });
    assert.equal(state(), end.state, 'forward to the end');
    h.seek({ at: 1234 });
    const at1234 = state();
    h.seek({ at: 4000 });
    h.seek({ at: 1234 });
    assert.equal(state(), at1234, 'the same moment twice');
    h.reset(); // no checkpoints: from the start
    h.seek({ at: 1234 });
    assert.equal(state(), at1234);

    h.seek({ at: 2500 });
    const ev = run.ev;
    const here = state();
    h.stepBack();
    assert.equal(run.ev, ev - 1);
    h.step();
    assert.equal(run.ev, ev);
    assert.equal(JSON.stringify(JSON.parse(state()).slice(1)), JSON.stringify(JSON.parse(here).slice(1)), 'Step back, then Step: the same nodes, messages and events');

    // Acting in the past: the future is dropped, the new action recorded in its place.
    h.seek({ at: 2000 });
    h.fork();
    act('crash', 'n1');
    assert.deepEqual(run.log.map((a) => a.do), ['startClients', 'crash', 'crash']);
    assert.equal(run.end.at, 2000);
    play(2500);
    assert.equal(host.simulation.network().cutLinks.length, 0, 'the cut link is gone with the old future');
  });
}
