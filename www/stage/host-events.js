// Events for the host page: what happens in a run, as DOM CustomEvents dispatched on the
// element (bubbling, composed), the facts in `detail` (README "Events for the host page"):
//   cp-leader {id, term, timeMs}      a node leads (a new one, or the same one in a new term)
//   cp-commit {index, value?, timeMs} the index-th value is decided cluster-wide
//   cp-crash / cp-restart {id, timeMs}
//   cp-partition {groups, timeMs} / cp-heal {timeMs}   the nodes split into groups that cannot
//                                     talk to each other, or are one group again
//   cp-violation {rule, nodes, detail, index, timeMs}   (index: the log index, slot or sequence number it names, or null)
//   cp-scenario {scenario, step, of, kind, caption, timeMs}   dispatched by stage/scenario.js (a
//                                     guided scenario's step reached, its task done, its end)
// Everything is read from what the wasm Simulation reports, once per redraw: eventsSince's kinds
// (crash, restart; partition, cut, repair, heal), leader(), stats().committed and violations();
// nothing here knows a protocol. A mechanism's module may add facts about a decision
// (contract.js: Mechanism.commit).

/**
 * @param {HTMLElement} host   the element the events are dispatched on
 * @returns {(sim: object, nodes: object[], mech: object) => void}   dispatches what happened
 *   since the last call (`nodes`: sim.nodes())
 */
export function hostEvents(host) {
  let sim, seq, leader, committed, violations, groups, now;
  const fire = (type, detail) => host.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  return (s, nodes, mech) => {
    if (s !== sim || s.now < now) {
      // What a run already shows is its starting point, not news (a run opened where a check
      // stopped, one rewound), except at t = 0: a first primary (PBFT) is announced.
      sim = s;
      seq = s.eventsSince(0).pop()?.seq ?? 0;
      leader = s.now > 0 && lead(s, nodes);
      committed = s.stats().committed;
      violations = s.violations().length;
      groups = '';
    }
    now = s.now;
    let net;
    const won = {};
    for (const { seq: q, kind, node: id, time: timeMs } of s.eventsSince(seq)) {
      seq = q;
      if (kind === 'leader') won[id] = timeMs;
      else if (kind === 'crash' || kind === 'restart') fire(`cp-${kind}`, { id, timeMs });
      else if (/^(partition|cut|repair|heal)$/.test(kind)) net = timeMs;
    }
    if (net !== undefined) {
      // The groups of nodes joined by links that work both ways, as the network is now.
      const g = components(s.ids, s.network().cutLinks);
      const sig = g.length > 1 ? JSON.stringify(g) : '';
      if (sig !== groups) fire(sig ? 'cp-partition' : 'cp-heal', sig ? { groups: g, timeMs: net } : { timeMs: net });
      groups = sig;
    }
    const l = lead(s, nodes);
    if (l && `${l}` !== `${leader}`) fire('cp-leader', { id: l[0], term: l[1] ?? null, timeMs: won[l[0]] ?? now });
    leader = l;
    for (const c = s.stats().committed; committed < c; ) fire('cp-commit', { index: ++committed, ...mech.commit?.(nodes, committed), timeMs: now });
    for (const v of s.violations().slice(violations)) violations++, fire('cp-violation', { rule: v.rule, nodes: v.nodes, detail: v.detail, index: v.index ?? null, timeMs: v.time });
  };
}

/** [id, term] of the leader (term: Raft's, a Paxos ballot's round, PBFT's or HotStuff's view), or null. */
function lead(sim, nodes) {
  const n = nodes.find((x) => x.id === sim.leader());
  return n ? [n.id, n.currentTerm ?? n.view ?? n.ballot?.round] : null;
}

/** The connected components of `ids` when the links `cut` ([from, to] pairs) are missing. */
function components(ids, cut) {
  const down = new Set(cut.map(String));
  const seen = new Set();
  const out = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    const group = [id];
    seen.add(id);
    for (const a of group) for (const b of ids) if (!seen.has(b) && !down.has(`${a},${b}`) && !down.has(`${b},${a}`)) seen.add(b), group.push(b);
    out.push(group);
  }
  return out;
}
