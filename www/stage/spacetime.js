// The space-time diagram (issue #14 §1), in Lamport's style: one horizontal line per node, time
// running left to right, each message an arrow from (sender, time sent) to (receiver, time
// delivered); a lost one ends in a cross, one in flight at "now". Crashes, pauses and the
// leader's stretches are marked on the lines. The window is the last WINDOW_MS before the
// simulation's clock, so it follows the run and the time slider. Hovering a line of the event
// log (or, by default, its newest line) marks that event here; clicking an arrow (or Enter on
// it: ← → move between arrows; Escape deselects) selects the message: marked on the ring too, with its details
// and, in flight, a Drop button.
//
// Fetched when "Space-time" is first opened (with stage/spacetime.css). It reads only what every
// mechanism's Simulation offers: messageLog(), eventsSince(), leader(), ids; how a message
// looks and reads comes from the mechanism (messageShape, describeMessage), as on the ring.

const WINDOW_MS = 500; // the time the diagram spans
const PX_PER_MS = 1.5; // 750 px for the window: scrolled horizontally in narrow boxes
const ROW = 26; // px between node lines
const TOP = 18; // px above the first line (the time axis)
const LOST_MS = 6; // how far a message lost as it was sent is drawn before its cross

/**
 * @param {object} p
 * @param {{el: Function, svg: Function, button: Function}} p.dom
 * @param {object} p.mech   the mechanism's module (messageShape, describeMessage)
 * @param {Element} p.ring  the ring's SVG (the selected message is marked there too)
 * @param {Element} p.events  the event log's panel (its lines carry data-seq)
 * @param {(fn: (sim: object) => void) => void} p.act  applies and records an action
 */
export function spacetime({ dom, mech, ring, events, act }) {
  const { el, svg, button } = dom;
  const labels = el('div', { class: 'cp-st-labels', 'aria-hidden': 'true' });
  const plot = svg('svg', { class: 'cp-st-plot', role: 'group', 'aria-label': 'Messages between nodes over time. Arrow keys move between messages; Enter selects one' });
  const probe = svg('g', { class: 'cp-st-probe' }); // colours of message kinds, read from the ring's CSS
  const world = svg('g'); // drawn in run time: x = ms × PX_PER_MS, shifted by the window's start
  const axis = svg('g', { class: 'cp-st-axis' });
  const lines = svg('g', { class: 'cp-st-lines' });
  const arrows = svg('g', { class: 'cp-st-arrows' });
  const spot = svg('circle', { class: 'cp-st-spot', r: 7, visibility: 'hidden' });
  const nowLine = svg('line', { class: 'cp-st-now' });
  world.append(axis, lines, arrows, nowLine, spot);
  plot.append(probe, world);
  const scroller = el('div', { class: 'cp-st-scroll' }, plot);
  const details = el('div', { class: 'cp-st-details', 'aria-live': 'polite' });
  const root = el(
    'section',
    { class: 'cp-spacetime', 'aria-label': 'Space-time diagram' },
    el('div', { class: 'cp-st-box' }, labels, scroller),
    details,
  );
  details.hidden = true;

  let sim = null; // the simulation drawn (a new one after a jump in time: the caches start again)
  let lastSeq = 0;
  let evs = []; // recent events (crash, restart, pause, resume, leader, stepDown, messages): for marks and narration
  const fields = new Map(); // `${id}@${sentMs}` → the message as messages() showed it in flight
  const colours = new Map(); // class → stroke colour
  let drawn = new Map(); // seq → {g, line, head, cross, hit, rec}
  let selected = null; // the selected record's seq
  let hovered = null; // the event log line's seq being pointed at
  let stick = true; // keep "now" in view (until the reader scrolls back)
  let rows = new Map();
  let now = 0;

  scroller.addEventListener('scroll', () => (stick = scroller.scrollLeft + scroller.clientWidth >= scroller.scrollWidth - 2));
  const hover = (e) => {
    const li = e.target.closest?.('li[data-seq]');
    hovered = li ? Number(li.dataset.seq) : null;
    markEvent();
  };
  events.addEventListener('mouseover', hover);
  events.addEventListener('focusin', hover);
  events.addEventListener('mouseleave', () => ((hovered = null), markEvent()));
  events.addEventListener('focusout', () => ((hovered = null), markEvent()));

  const x = (t) => (t * PX_PER_MS).toFixed(1);
  const y = (id) => rows.get(id) ?? -100;
  // A message as messages() showed it in flight: by id, time sent, ends and kind, which stay
  // the same when the run is replayed (time travel) up to where it forks.
  const key = (r) => `${r.id}@${r.sentMs} ${r.from}>${r.to} ${r.kind}`;
  const endOf = (r) => r.deliveredMs ?? r.droppedMs;

  /**
   * The class the ring gives message `m` (the mechanism's messageShape), and its colour; for a
   * message whose fields were never seen (null: sent and handled between two frames, or
   * replayed by a jump in time), a neutral one.
   */
  function look(m) {
    let cls = 'cp-st-unseen';
    let shape = null;
    try {
      if (m) ({ cls, shape } = mech.messageShape(m));
    } catch {
      cls = 'cp-st-unseen';
    }
    if (!colours.has(cls)) {
      const g = svg('g', { class: `cp-msg ${cls}` });
      const s = shape ? svg(...shape) : svg('circle', { r: 5 });
      g.append(s);
      probe.append(g);
      const cs = getComputedStyle(s);
      const fill = cs.fill;
      colours.set(cls, !fill || fill === 'none' || /^rgb\(255, 255, 255\)|^#fff/.test(fill) ? cs.stroke : fill);
      g.remove();
    }
    return { cls, colour: colours.get(cls) };
  }

  /** "AppendEntries n1→n3, sent 120 ms, delivered 131 ms". */
  function name(r) {
    const ms = (t) => `${Math.round(t * 10) / 10} ms`;
    const fate = r.deliveredMs !== null ? `delivered ${ms(r.deliveredMs)}` : r.droppedMs !== null ? `lost ${ms(r.droppedMs)}` : 'in flight';
    return `${r.kind} ${r.from}→${r.to}, sent ${ms(r.sentMs)}, ${fate}`;
  }

  /**
   * Where record `r`'s arrow starts and ends: [y1, t2, y2, crossed] (the start is at its send
   * time; t2 in ms), and whether it ends in a cross. A pure function of its times and now.
   */
  function geometry(r) {
    const [y1, y2] = [y(r.from), y(r.to)];
    // Lost as it was sent: a stub towards the receiver, crossed.
    if (r.dueMs === null) return [y1, r.sentMs + LOST_MS, y1 + (y2 - y1) * 0.35, true];
    if (r.deliveredMs !== null) return [y1, r.deliveredMs, y2, false];
    // In flight (it ends at now; at its due time if its receiver is paused and holds it) or
    // lost (at its loss): where it had got to.
    const t = Math.max(r.sentMs, r.droppedMs ?? Math.min(now, r.dueMs));
    const f = r.dueMs > r.sentMs ? Math.min(1, (t - r.sentMs) / (r.dueMs - r.sentMs)) : 1;
    return [y1, t, y1 + (y2 - y1) * f, r.droppedMs !== null];
  }

  function place(d) {
    const r = d.rec;
    const [y1, t2, y2, crossed] = geometry(r);
    const [x1, x2] = [Number(x(r.sentMs)), Number(x(t2))];
    d.line.setAttribute('x1', x1);
    d.line.setAttribute('y1', y1);
    d.line.setAttribute('x2', x2);
    d.line.setAttribute('y2', y2);
    d.hit.setAttribute('x1', x1);
    d.hit.setAttribute('y1', y1);
    d.hit.setAttribute('x2', x2);
    d.hit.setAttribute('y2', y2);
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const [ux, uy] = [(x2 - x1) / len, (y2 - y1) / len];
    if (crossed) {
      d.head.setAttribute('d', `M${x2 - 4} ${y2 - 4} L${x2 + 4} ${y2 + 4} M${x2 + 4} ${y2 - 4} L${x2 - 4} ${y2 + 4}`);
      d.head.setAttribute('class', 'cp-st-cross');
    } else {
      const [bx, by] = [x2 - ux * 7, y2 - uy * 7];
      d.head.setAttribute('d', `M${x2} ${y2} L${(bx - uy * 3.5).toFixed(1)} ${(by + ux * 3.5).toFixed(1)} L${(bx + uy * 3.5).toFixed(1)} ${(by - ux * 3.5).toFixed(1)} Z`);
      d.head.setAttribute('class', 'cp-st-head');
    }
    d.g.setAttribute('aria-label', name(r));
    d.title.textContent = name(r);
    d.g.toggleAttribute('data-in-flight', endOf(r) === null);
    d.g.toggleAttribute('data-lost', r.droppedMs !== null);
  }

  function arrow(r) {
    const { cls, colour } = look(fields.get(key(r)) ?? null);
    const g = svg('g', { class: `cp-st-msg ${cls}`, 'data-seq': r.seq, 'data-kind': r.kind, role: 'button', tabindex: '-1', style: `--cp-st-c: ${colour}` });
    if (r.id !== null) g.setAttribute('data-st-message', r.id);
    const title = svg('title');
    const d = { g, title, rec: r, hit: svg('line', { class: 'cp-st-hit' }), line: svg('line', { class: 'cp-st-line' }), head: svg('path') };
    g.append(title, d.hit, d.line, d.head);
    g.addEventListener('click', () => select(r.seq, true));
    return d;
  }

  /** Selects record `seq` (null: none): marked here and on the ring, its details below. */
  function select(seq, focus) {
    selected = seq;
    for (const d of drawn.values()) {
      d.g.classList.toggle('cp-st-selected', d.rec.seq === seq);
      d.g.setAttribute('aria-pressed', String(d.rec.seq === seq));
    }
    const d = drawn.get(seq);
    if (d) rove(d.g, focus);
    showDetails();
    markRing();
  }

  /** One tab stop among the arrows: the selected one, or the newest. */
  function rove(g, focus) {
    for (const d of drawn.values()) d.g.setAttribute('tabindex', d.g === g ? '0' : '-1');
    if (focus) g.focus({ preventScroll: false });
  }
  arrows.addEventListener('keydown', (e) => {
    const g = e.target.closest('.cp-st-msg');
    if (!g) return;
    const seq = Number(g.dataset.seq);
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      e.stopPropagation(); // (Space: not the widget's pause)
      select(seq, true);
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      e.stopPropagation(); // not the widget's keys through time
      const order = [...drawn.values()].sort((a, b) => a.rec.sentMs - b.rec.sentMs || a.rec.seq - b.rec.seq);
      const k = order.findIndex((d) => d.rec.seq === seq);
      const next = e.key === 'Home' ? 0 : e.key === 'End' ? order.length - 1 : k + (e.key === 'ArrowLeft' ? -1 : 1);
      if (order[next]) rove(order[next].g, true);
    }
  });

  // Escape deselects, focus back on the arrow.
  root.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || selected === null) return;
    const g = drawn.get(selected)?.g;
    select(null);
    g?.focus();
    e.stopPropagation();
  });

  let told = ''; // what the details say now: rebuilt only when it changes (focus stays on Drop)
  function showDetails() {
    const d = drawn.get(selected);
    if (!d) {
      told = '';
      details.hidden = true;
      details.replaceChildren();
      return;
    }
    const r = d.rec;
    const seen = fields.get(key(r));
    const said2 = evs.find((e) => e.messageId === r.id && r.id !== null && (e.kind === 'deliver' || e.kind === 'lost' || e.kind === 'drop') && e.time >= r.sentMs);
    const sig = `${r.seq} ${r.deliveredMs} ${r.droppedMs} ${!!seen} ${said2?.seq}`;
    if (sig === told) return;
    told = sig;
    let said = '';
    try {
      if (seen) said = mech.describeMessage(seen);
    } catch {
      said = '';
    }
    const ms = (t) => `${Math.round(t * 10) / 10} ms`;
    const row = (k, v) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }));
    const dl = el(
      'dl',
      {},
      row('From → to', `${r.from} → ${r.to}`),
      row('Sent', ms(r.sentMs)),
      row(r.deliveredMs !== null ? 'Delivered' : r.droppedMs !== null ? 'Lost' : 'Due', r.deliveredMs !== null ? ms(r.deliveredMs) : r.droppedMs !== null ? ms(r.droppedMs) : r.dueMs === null ? '—' : `${ms(r.dueMs)} (in flight)`),
    );
    if (said) dl.append(row('Fields', said));
    if (said2) dl.append(row('On arrival', said2.text));
    const kids = [el('h4', { text: `${r.kind}${r.id !== null ? ` #${r.id}` : ''}` }), dl];
    if (!seen) kids.push(el('p', { class: 'cp-st-note', text: 'Its fields were not seen in flight here (it came and went between two frames, or a jump in time replayed it), so it is drawn grey.' }));
    const inFlight = r.id !== null && endOf(r) === null;
    const close = button('Close', 'Deselect this message', () => select(null));
    const actions = el('div', { class: 'cp-st-actions' });
    if (inFlight) actions.append(button('Drop', 'Lose this message now', () => (act((s) => s.dropMessage(r.id)), details.querySelector('button')?.focus())));
    actions.append(close);
    kids.push(actions);
    details.replaceChildren(...kids);
    details.hidden = false;
  }

  /** The selected message on the ring, while it is in flight there. */
  function markRing() {
    for (const g of ring.querySelectorAll('.cp-st-picked')) g.classList.remove('cp-st-picked');
    const r = drawn.get(selected)?.rec;
    if (r && r.id !== null) ring.querySelector(`.cp-msg[data-message-id="${r.id}"]`)?.classList.add('cp-st-picked');
  }

  /** The event the narration is at: the log line pointed at, else its newest line. */
  function markEvent() {
    for (const d of drawn.values()) d.g.classList.remove('cp-st-told');
    const seq = hovered ?? Number(events.querySelector('li[data-seq]')?.dataset.seq ?? NaN);
    const ev = evs.find((e) => e.seq === seq);
    if (!ev) return spot.setAttribute('visibility', 'hidden');
    const d = ev.messageId != null ? [...drawn.values()].find((a) => a.rec.id === ev.messageId && a.rec.sentMs <= ev.time) : null;
    if (d) d.g.classList.add('cp-st-told');
    const node = ev.node ?? ev.to;
    spot.setAttribute('cx', d ? d.line.getAttribute('x2') : x(ev.time));
    spot.setAttribute('cy', d ? d.line.getAttribute('y2') : node ? y(node) : TOP);
    spot.setAttribute('visibility', ev.time >= now - WINDOW_MS && (!node || rows.has(node)) ? 'visible' : 'hidden');
    spot.dataset.seq = String(ev.seq);
  }

  /** The node lines: a line each, crashed and paused stretches, the leader's stretches. */
  function drawLines(ids, t0, leader, nodes) {
    const parts = [];
    for (const id of ids) {
      const yy = y(id);
      parts.push(svg('line', { class: 'cp-st-node', x1: x(t0), x2: x(now), y1: yy, y2: yy }));
    }
    // Stretches from the events in the window: [start, end) per node and kind; a stretch still
    // open at its end reaches now; one whose start is before the window starts at the window.
    const open = new Map();
    const stretches = [];
    const begin = (k, node, t) => open.has(`${k} ${node}`) || open.set(`${k} ${node}`, t);
    const end = (k, node, t, mark) => {
      const s = open.get(`${k} ${node}`);
      // (a crashed or paused node had been so since before the window; a leader, only if it is known)
      if (s === undefined && k === 'leader') return;
      open.delete(`${k} ${node}`);
      stretches.push([k, node, s ?? t0, t, mark]);
    };
    for (const e of evs) {
      if (!e.node) continue;
      if (e.kind === 'crash') (end('leader', e.node, e.time), begin('crashed', e.node, e.time));
      else if (e.kind === 'restart') end('crashed', e.node, e.time, 'restart');
      else if (e.kind === 'pause') begin('paused', e.node, e.time);
      else if (e.kind === 'resume') end('paused', e.node, e.time);
      else if (e.kind === 'leader') {
        for (const [k] of open) if (k.startsWith('leader ') && k !== `leader ${e.node}`) end('leader', k.slice(7), e.time);
        begin('leader', e.node, e.time);
      } else if (e.kind === 'stepDown') end('leader', e.node, e.time);
    }
    for (const [k, t] of open) {
      const [kind, node] = k.split(' ');
      stretches.push([kind, node, t, now]);
    }
    // The leader now, if no event in the window made it so: it has led since before the window.
    if (leader && !stretches.some(([k, n]) => k === 'leader' && n === leader)) stretches.push(['leader', leader, t0, now]);
    // Crashed or paused since before the window, with no event of it in the window.
    for (const n of nodes) for (const k of ['crashed', 'paused']) if (n[k] && !stretches.some(([kind, id]) => kind === k && id === n.id)) stretches.push([k, n.id, t0, now]);
    for (const [kind, node, a, b, mark] of stretches) {
      if (!rows.has(node) || b < t0) continue;
      const yy = y(node);
      const from = Math.max(a, t0);
      // (the leader's band under the node's line; crashed and paused stretches over it)
      parts[kind === 'leader' ? 'unshift' : 'push'](svg('line', { class: `cp-st-${kind}`, x1: x(from), x2: x(b), y1: yy, y2: yy, 'data-st-node': node }));
      if (kind === 'crashed' && a >= t0) parts.push(svg('path', { class: 'cp-st-crash', d: `M${x(a) - 5} ${yy - 5} l10 10 m0 -10 l-10 10`, 'data-st-node': node }));
      if (kind === 'paused' && a >= t0) parts.push(svg('path', { class: 'cp-st-pause', d: `M${x(a) - 2.5} ${yy - 6} v12 M${Number(x(a)) + 2.5} ${yy - 6} v12`, 'data-st-node': node }));
      if (mark === 'restart' && b >= t0) parts.push(svg('circle', { class: 'cp-st-restart', cx: x(b), cy: yy, r: 3.5, 'data-st-node': node }));
    }
    lines.replaceChildren(...parts);
  }

  function drawAxis(t0, height) {
    const ticks = [];
    for (let t = Math.ceil(t0 / 100) * 100; t <= now; t += 100) {
      ticks.push(svg('line', { x1: x(t), x2: x(t), y1: TOP - 4, y2: height }));
      const label = svg('text', { x: x(t), y: TOP - 7 });
      label.textContent = `${t} ms`;
      ticks.push(label);
    }
    axis.replaceChildren(...ticks);
  }

  return {
    root,

    /**
     * Draws simulation `s` at its clock; `msgs` its messages in flight and `nodes` its nodes (as
     * the ring drew them).
     */
    render(s, msgs, nodes) {
      if (s !== sim) {
        sim = s;
        lastSeq = 0;
        evs = [];
        for (const d of drawn.values()) d.g.remove();
        drawn = new Map();
      }
      now = s.now;
      const t0 = Math.max(0, now - WINDOW_MS);
      for (const m of msgs) if (m.id != null) fields.set(key({ id: m.id, sentMs: m.sentAt, from: m.from, to: m.to, kind: m.kind }), m);
      // (the oldest go first, well before the record's 2,048 messages)
      if (fields.size > 4096) for (const k of [...fields.keys()].slice(0, 2048)) fields.delete(k);
      // The events since the last frame; those before the window go.
      const fresh = s.eventsSince(lastSeq);
      if (fresh.length) lastSeq = fresh[fresh.length - 1].seq;
      evs = evs.concat(fresh).filter((e) => e.time >= t0 - WINDOW_MS);

      const ids = s.ids;
      const height = TOP + ids.length * ROW;
      if (rows.size !== ids.length || ids.some((id, i) => rows.get(id) !== TOP + i * ROW + ROW / 2)) {
        rows = new Map(ids.map((id, i) => [id, TOP + i * ROW + ROW / 2]));
        labels.replaceChildren(...ids.map((id) => el('div', { text: id })));
        labels.style.paddingTop = `${TOP}px`;
        for (const d of drawn.values()) d.g.remove();
        drawn = new Map();
      }
      const width = WINDOW_MS * PX_PER_MS + 12;
      plot.setAttribute('width', width);
      plot.setAttribute('height', height + 4);
      // Now at the right edge, early in a run too (the time before 0 left blank).
      world.setAttribute('transform', `translate(${(-(now - WINDOW_MS) * PX_PER_MS + 4).toFixed(1)} 0)`);
      drawAxis(t0, height);
      drawLines(ids, t0, s.leader(), nodes);
      nowLine.setAttribute('x1', x(now));
      nowLine.setAttribute('x2', x(now));
      nowLine.setAttribute('y1', TOP - 4);
      nowLine.setAttribute('y2', height);

      // The arrows: new ones made, changed ones moved, those out of the window gone.
      const log = s.messageLog(t0);
      const keep = new Set();
      for (const r of log) {
        keep.add(r.seq);
        let d = drawn.get(r.seq);
        if (!d) {
          d = arrow(r);
          drawn.set(r.seq, d);
          arrows.append(d.g);
          place(d);
        } else if (d.g.classList.contains('cp-st-unseen') && fields.has(key(r))) {
          // seen in flight since: drawn again in its kind's colour
          d.g.remove();
          d = arrow(r);
          drawn.set(r.seq, d);
          arrows.append(d.g);
          place(d);
        } else if (endOf(d.rec) === null || endOf(d.rec) !== endOf(r)) {
          d.rec = r;
          place(d);
        }
      }
      for (const [seq, d] of drawn) {
        if (!keep.has(seq)) {
          d.g.remove();
          drawn.delete(seq);
        }
      }
      if (!plot.contains(document.activeElement)) {
        const newest = drawn.get(selected) ?? [...drawn.values()].at(-1);
        if (newest) rove(newest.g, false);
      }
      for (const d of drawn.values()) d.g.classList.toggle('cp-st-selected', d.rec.seq === selected);
      if (selected !== null && !drawn.has(selected)) select(null);
      else if (selected !== null) showDetails();
      markRing();
      markEvent();
      if (stick) scroller.scrollLeft = scroller.scrollWidth;
    },

    /** The selected message's record, if any (for tests and scripts). */
    get selected() {
      return drawn.get(selected)?.rec ?? null;
    },
  };
}
