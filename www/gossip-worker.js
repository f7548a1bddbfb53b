// Runs a gossip simulation of up to 10,000 agents off the main thread, for the dense view of
// <consensus-playground protocol="gossip"> (www/protocols/gossip.js), so the page stays
// responsive. Every message is a command; each is answered by one frame (or, if the run could
// not start, a final error):
// In:  {run, type: 'reset', options, key} | {run, type: 'advance', ms} | {type: 'step'} |
//      {type: 'write', value, at} (at: an agent's id or null: a random one) |
//      {type: 'crash', agents: [index…]} | {type: 'restart'} | {type: 'split'} | {type: 'heal'} |
//      {type: 'publish', id, truth, at} (collective validation: publishClaim; later frames carry
//      claim `id`'s verdicts) | {run, type: 'sweep', runs: [{options, truth, at, k}]} (runs of
//      their own, each to the end: answered by {type: 'swept', results}, no frame).
// Out: {type: 'ready', n, intervalMs} after a reset; {type: 'wrote', accepted, at, version,
//      value, t, theory} after a write (theory: gossipTheory's fractions informed per round, for
//      the run's mode, fanout, loss and live fraction); {type: 'frame', now, states (one byte
//      per agent, agentStates: 0 susceptible, 1 infective, 2 removed, 3 crashed; transferred),
//      counts [s, i, r, c], informed, partitioned, claim (null, or {id, verdicts (one byte per
//      agent: 0 undecided, 1 accepted, 2 rejected, 3 crashed), tally})}; {type: 'published',
//      accepted, at, reason, t}; {type: 'ready', …, traitors: [index…]} (sim.byzantine()'s);
//      {type: 'swept', results: [{k, tally, honest, ms}]} (ms: from the claim to the last
//      honest verdict; null if some stayed undecided); {type: 'error', message, during, final}.
// Every answer carries the command's run, so the page ignores those of a run it left.
import init, * as wasm from './pkg/consensus_playground.js';

// The bundle (www/dist/) defines GOSSIP_WASM: the gossip widget's own wasm build (the file the
// widget loaded, so the browser has it). Unbundled, the full package serves.
/* global GOSSIP_WASM */
const WASM = typeof GOSSIP_WASM === 'string' ? GOSSIP_WASM : './pkg/consensus_playground_bg.wasm';

let ready = null;
let sim = null;
let ids = [];
let key = 'x';
let partitioned = false;
let claim = null; // the claim the frames show: its id

/**
 * Collective validation's sweep: each run a fresh simulation, a claim published at `at`, run
 * until every live honest agent has decided (or 10 s of simulated time): its tally, and the
 * time from the claim to the last verdict.
 */
function sweep(runs) {
  return runs.map(({ options, truth, at, k }) => {
    const s = new wasm.Simulation(options);
    try {
      const t = s.now;
      s.publishClaim('c', truth, at ?? undefined);
      let tally = s.tally('c');
      while (tally.undecided > 0 && s.now < t + 10000) {
        s.runUntil(s.now + 50);
        tally = s.tally('c');
      }
      return { k, tally, honest: tally.accepted + tally.rejected + tally.undecided, ms: tally.undecided ? null : tally.lastAtMs - t };
    } finally {
      s.free();
    }
  });
}

function frame(run) {
  const states = sim.agentStates(key);
  const counts = [0, 0, 0, 0];
  for (const s of states) counts[s]++;
  const c = claim && { id: claim, verdicts: sim.verdicts(claim), tally: sim.tally(claim) };
  self.postMessage({ type: 'frame', run, now: sim.now, states, counts, informed: sim.informed(key), partitioned, claim: c }, c ? [states.buffer, c.verdicts.buffer] : [states.buffer]);
}

/** What theory predicts for the run's settings and the live fraction now. */
function theory() {
  const c = sim.config;
  let crashed = 0;
  for (const s of sim.agentStates(key)) crashed += s === 3 ? 1 : 0;
  const live = (ids.length - crashed) / ids.length;
  return Array.from(wasm.gossipTheory({ nodes: ids.length, mode: c.mode, fanout: c.fanout, dropRate: c.dropRate, live, rounds: 60 }));
}

self.onmessage = async ({ data: m }) => {
  const { run } = m;
  try {
    ready ??= init({ module_or_path: new URL(WASM, import.meta.url) });
    await ready;
    if (m.type === 'sweep') {
      self.postMessage({ type: 'swept', run, results: sweep(m.runs) });
      return;
    }
    if (m.type === 'reset') {
      sim?.free();
      sim = null;
      partitioned = false;
      claim = null;
      key = m.key;
      sim = new wasm.Simulation(m.options);
      ids = sim.ids;
      const traitors = Object.keys(sim.byzantine()).map((id) => ids.indexOf(id));
      self.postMessage({ type: 'ready', run, n: ids.length, intervalMs: sim.config.intervalMs, traitors });
    } else if (!sim) {
      throw new Error('no run');
    } else if (m.type === 'advance') {
      sim.runUntil(sim.now + m.ms);
    } else if (m.type === 'step') {
      sim.step();
    } else if (m.type === 'write') {
      const r = sim.clientRequest({ key, value: m.value }, m.at ?? undefined);
      self.postMessage({ type: 'wrote', run, ...r, value: m.value, t: sim.now, theory: theory() });
    } else if (m.type === 'publish') {
      const r = sim.publishClaim(m.id, m.truth, m.at ?? undefined);
      if (r.accepted) claim = m.id;
      self.postMessage({ type: 'published', run, ...r, id: m.id, truth: m.truth, t: sim.now });
    } else if (m.type === 'crash') {
      for (const i of m.agents) sim.crash(ids[i]);
    } else if (m.type === 'restart') {
      const states = sim.agentStates(key);
      states.forEach((s, i) => s === 3 && sim.restart(ids[i]));
    } else if (m.type === 'split') {
      const h = ids.length >> 1;
      sim.partition([ids.slice(0, h), ids.slice(h)]);
      partitioned = true;
    } else if (m.type === 'heal') {
      sim.heal();
      partitioned = false;
    }
  } catch (err) {
    self.postMessage({ type: 'error', run, during: m.type, message: err?.message ?? String(err), final: !sim });
    if (!sim) return;
  }
  frame(run);
};
