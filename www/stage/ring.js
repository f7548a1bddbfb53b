// The ring: node placement, the shared parts of a node (body, name, number, sub-label, timer arc,
// crash cross, pause mark, a traitor's horns and its behaviour in the aria-label), the links
// between nodes and their cut state, and the messages in flight. What a node says and how a
// message looks come from the mechanism (contract.js).
import { clamp, setAttr, setText, svg } from '../dom.js';

// prefers-reduced-motion: reduce: messages do not glide; each is drawn still, a third of the way
// from its sender (clear of the node's name, apart from its siblings), until it is delivered and
// gone: the picture changes event by event. The element starts paused.
const motion = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;
/** Whether the reader asked for reduced motion (read at each use, so a change applies at once). */
export const stillMotion = () => !!motion?.matches;

export const SIZE = 400; // the ring's viewBox is SIZE × SIZE
export const NODE_R = 27;

// A node's parts, in its own units (before its scale): the body (and timer arc), the line under
// it (its state), and its name, outside the ring on its radius, where no message passes (they
// travel inside the ring). Sizes are those of the widest texts: "n16", "candidate 12/16".
const GAP = 12; // from the body's edge to the name
const NAME = { h: 14, w: 30 };
const SUB = { y: NODE_R + 20, h: 12, w: 84 };
const SUB_BOX = [-SUB.w / 2, SUB.y - SUB.h * 0.85, SUB.w / 2, SUB.y + SUB.h * 0.25];
/** Below this scale the line under each node is not drawn (CSS: .cp-ring[data-crowded]). */
export const CROWDED = 0.85;

const meet = ([l1, t1, r1, b1], [l2, t2, r2, b2]) => l1 < r2 && l2 < r1 && t1 < b2 && t2 < b1;

/** The box of a text of `size` at `p` ({x, y, anchor}), `[left, top, right, bottom]`. */
function textBox(p, { h, w }) {
  const left = p.anchor === 'start' ? p.x : p.anchor === 'end' ? p.x - w : p.x - w / 2;
  return [left, p.y - h * 0.85, left + w, p.y + h * 0.25];
}

/**
 * Where node `i` of `n` writes its name, in the node's units: `{x, y, anchor}` (SVG
 * text-anchor; `y` the baseline). Outside the ring on the node's radius: centred on it at the
 * sides, standing off by half its height at the top and bottom; and below the line under the
 * node (`sub`: drawn) where it would meet it.
 */
export function namePos(i, n, sub = true) {
  const a = n === 1 ? -Math.PI / 2 : -Math.PI / 2 + (2 * Math.PI * i) / n;
  const [c, s] = [Math.cos(a), Math.sin(a)];
  const d = NODE_R + GAP;
  const anchor = c > 0.35 ? 'start' : c < -0.35 ? 'end' : 'middle';
  const p = { x: c * d, y: s * (d + (anchor === 'middle' ? NAME.h / 2 : 0)) + NAME.h * 0.35, anchor };
  if (sub && meet(textBox(p, NAME), SUB_BOX)) p.y = SUB_BOX[3] + NAME.h * 0.85 + 1;
  return p;
}

/** The boxes a node's drawing covers around its centre (node units). */
function footprint(i, n, sub) {
  const boxes = [[-NODE_R - 6, -NODE_R - 6, NODE_R + 6, NODE_R + 6], textBox(namePos(i, n, sub), NAME)];
  if (sub) boxes.push(SUB_BOX);
  return boxes;
}

/** Whether `n` nodes at scale `s` (the line under each drawn or not) keep clear of each other. */
function fits(n, s, sub) {
  const pts = Array.from({ length: n }, (_, i) => {
    const p = ringPos(i, n, s);
    return footprint(i, n, sub).map(([l, t, r, b]) => [p.x + l * s, p.y + t * s, p.x + r * s, p.y + b * s]);
  });
  const inside = pts.every((bs) => bs.every(([l, t, r, b]) => l >= 0 && t >= 0 && r <= SIZE && b <= SIZE));
  if (!inside) return false;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) for (const a of pts[i]) if (pts[j].some((b) => meet(a, b))) return false;
  return true;
}

function ringPos(i, n, s) {
  if (n === 1) return { x: SIZE / 2, y: SIZE / 2 };
  const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
  // Room at the edge for a name beside the body.
  const r = SIZE / 2 - (NODE_R + GAP + NAME.w + 2) * s;
  return { x: SIZE / 2 + r * Math.cos(a), y: SIZE / 2 + r * Math.sin(a) };
}

const scales = new Map();
/**
 * How large a node is drawn among `n`: the largest scale (at most 1) at which no node's body,
 * name or line under it overlaps another's, with the line under each node while that fits at
 * CROWDED or more, without it below (gossip draws up to 30 agents on the ring).
 */
export function nodeScale(n) {
  if (!scales.has(n)) {
    let s = 1;
    while (s > CROWDED && !fits(n, s, true)) s -= 0.01;
    if (s <= CROWDED) while (s > 0.2 && !fits(n, s, false)) s -= 0.01;
    scales.set(n, Math.round(s * 100) / 100);
  }
  return scales.get(n);
}

/** Where node `i` of `n` sits: on a circle, the first at the top, clockwise. */
export function nodePos(i, n) {
  return ringPos(i, n, nodeScale(n));
}

/**
 * Where a message from `a` to `b` is drawn at simulated time `now`: a pure function of its send
 * and delivery times, so pause, step and speed cost nothing. Requests and replies between one
 * pair travel in two lanes, so they do not overlap.
 */
export function messagePos(a, b, sentAt, deliverAt, now, nodeR = NODE_R) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const lane = 7;
  const sx = a.x + ux * (nodeR + 4) - uy * lane;
  const sy = a.y + uy * (nodeR + 4) + ux * lane;
  const ex = b.x - ux * (nodeR + 4) - uy * lane;
  const ey = b.y - uy * (nodeR + 4) + ux * lane;
  const f = deliverAt > sentAt ? clamp((now - sentAt) / (deliverAt - sentAt), 0, 1) : 1;
  return { x: sx + (ex - sx) * f, y: sy + (ey - sy) * f };
}

/** The arc of a timer that runs from full (`frac` 1) to nothing (0), radius `r`, from 12 o'clock. */
function arcPath(frac, r) {
  if (frac >= 0.9999) return `M0 ${-r} A${r} ${r} 0 1 1 0 ${r} A${r} ${r} 0 1 1 0 ${-r}`;
  if (frac <= 0) return '';
  const a = 2 * Math.PI * frac;
  return `M0 ${-r} A${r} ${r} 0 ${a > Math.PI ? 1 : 0} 1 ${(r * Math.sin(a)).toFixed(2)} ${(-r * Math.cos(a)).toFixed(2)}`;
}

/**
 * The ring's SVG and how to draw it. `on` is told what the reader clicks: a node, a link (and
 * whether it is cut now), a message.
 * @param {{select(id: string): void, toggleLink(p: string, q: string, cut: boolean): void, drop(id: number): void}} on
 */
export function ring(on) {
  // Focusable: the stage the shortcuts act on (stage/keys.js), where Space is not a button's.
  const root = svg('svg', { viewBox: `0 0 ${SIZE} ${SIZE}`, class: 'cp-ring', role: 'group', tabindex: '0', 'aria-label': 'Cluster: nodes and messages in flight. Keys: Space play or pause, S step, arrows back and forward in time, ? help' });
  const linkLayer = svg('g', { class: 'cp-links' });
  const nodeLayer = svg('g', { class: 'cp-nodes' });
  const messageLayer = svg('g', { class: 'cp-messages' });
  root.append(linkLayer, nodeLayer, messageLayer);
  let pos = new Map();
  let nodeEls = new Map();
  let linkEls = new Map();
  let messageEls = new Map();
  let scale = 1;

  const createMessage = (m, mech) => {
    const { cls, shape, glyph } = mech.messageShape(m);
    const said = mech.describeMessage(m);
    const g = svg('g', { class: `cp-msg ${cls}`, 'data-message': m.kind, 'data-message-id': m.id, role: 'button', 'aria-label': `${said}. Click to drop it` });
    const title = svg('title');
    title.textContent = `${said} — click to drop it`;
    g.append(title, svg('circle', { r: 14, class: 'cp-hit' }), svg(...shape));
    if (glyph) {
      const t = svg('text', { y: 4 });
      t.textContent = glyph;
      g.append(t);
    }
    g.addEventListener('click', (e) => {
      e.stopPropagation();
      on.drop(m.id);
    });
    return g;
  };

  return {
    root,

    /** Draws nodes `ids` around the ring with a link between every pair, and no messages. */
    layout(ids) {
      // A node that had focus keeps it when the ring is drawn again (time travel, a new run).
      const focused = nodeLayer.contains(document.activeElement) && document.activeElement.dataset.node;
      nodeLayer.replaceChildren();
      messageLayer.replaceChildren();
      linkLayer.replaceChildren();
      pos = new Map(ids.map((id, i) => [id, nodePos(i, ids.length)]));
      scale = nodeScale(ids.length);
      // Crowded: the line under each node would run into its neighbours' (CSS hides it).
      root.toggleAttribute('data-crowded', scale < CROWDED);
      nodeEls = new Map();
      linkEls = new Map();
      messageEls = new Map();
      // Spokes between every pair: the paths messages travel. Clicking one cuts or repairs it.
      ids.forEach((p, i) => {
        for (const q of ids.slice(i + 1)) {
          const [a, b] = [pos.get(p), pos.get(q)];
          const g = svg('g', { class: 'cp-link', 'data-link': `${p}-${q}`, 'data-cut': 'none', role: 'button' });
          const title = svg('title');
          title.textContent = `Link ${p}–${q}: working. Click to cut it.`;
          g.setAttribute('aria-label', title.textContent);
          g.append(title, svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'cp-link-hit' }), svg('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: 'cp-link-line' }));
          g.addEventListener('click', () => on.toggleLink(p, q, g.dataset.cut !== 'none'));
          linkLayer.append(g);
          linkEls.set(`${p}-${q}`, { g, title, p, q });
        }
      });
      for (const [i, id] of ids.entries()) {
        const { x, y } = pos.get(id);
        const np = namePos(i, ids.length, scale >= CROWDED);
        const g = svg('g', { 'data-node': id, class: 'cp-node', transform: `translate(${x} ${y})${scale < 1 ? ` scale(${scale.toFixed(3)})` : ''}`, tabindex: '0', role: 'button' });
        // A fixed, invisible hit area around everything that moves, so the node's box is stable.
        const hit = svg('circle', { r: NODE_R + 11, class: 'cp-hit' });
        const track = svg('circle', { r: NODE_R + 6, class: 'cp-timer-track' });
        const arc = svg('path', { class: 'cp-timer' });
        const body = svg('circle', { r: NODE_R, class: 'cp-body' });
        const number = svg('text', { class: 'cp-term', y: 9 });
        const name = svg('text', { class: 'cp-name', x: np.x.toFixed(1), y: np.y.toFixed(1), style: `text-anchor: ${np.anchor}` });
        const sub = svg('text', { class: 'cp-sub', y: SUB.y });
        const cross = svg('path', { class: 'cp-cross', d: 'M-14 -14 L14 14 M14 -14 L-14 14' });
        const pauseMark = svg('path', { class: 'cp-pause-mark', d: 'M-7 -11 V11 M7 -11 V11' });
        // A traitor (a Byzantine node) wears horns.
        const horns = svg('path', { class: 'cp-horns', d: 'M-11 -23 L-23 -37 L-20 -17 Z M11 -23 L23 -37 L20 -17 Z' });
        name.textContent = id;
        // The aria-label says what these show (name, state, term): screen readers read it alone.
        for (const t of [number, name, sub]) t.setAttribute('aria-hidden', 'true');
        g.append(hit, track, arc, horns, body, cross, pauseMark, number, name, sub);
        g.addEventListener('click', () => on.select(id));
        g.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            on.select(id);
          }
        });
        nodeLayer.append(g);
        nodeEls.set(id, { g, arc, number, sub });
      }
      if (focused) this.focusNode(focused);
    },

    /** Moves focus to node `id` (its actions were closed). */
    focusNode(id) {
      nodeEls.get(id)?.g.focus({ preventScroll: true });
    },

    /** Node states, labels and timers; `selected` is outlined, `violating` (a Set) marked red; `cx` goes to the mechanism. */
    renderNodes(nodes, now, mech, selected, violating, cx) {
      for (const n of nodes) {
        const { g, arc, number, sub } = nodeEls.get(n.id);
        const v = mech.nodeLabel(n, nodes, cx);
        setAttr(g, 'data-state', v.state);
        for (const [k, x] of Object.entries(v.data)) setAttr(g, `data-${k}`, x);
        setAttr(g, 'data-paused', n.paused);
        // A traitor: data-byzantine names its behaviour (the simulator's silent or mute, or the
        // mechanism's own); honest nodes carry no such attribute.
        if (n.byzantine) setAttr(g, 'data-byzantine', n.byzantine);
        else if (g.hasAttribute('data-byzantine')) g.removeAttribute('data-byzantine');
        setAttr(g, 'aria-label', `${v.label}${n.byzantine ? `, a traitor (${n.byzantine})` : ''}. Open actions`);
        setAttr(g, 'aria-expanded', selected === n.id);
        setText(number, v.number);
        setText(sub, v.sub);
        // The timer's arc shrinks from full to nothing as its deadline approaches.
        const [start, deadline] = v.timer ?? [0, null];
        setAttr(arc, 'd', arcPath(deadline !== null && deadline > start ? clamp((deadline - now) / (deadline - start), 0, 1) : 0, NODE_R + 6));
        setAttr(g, 'class', `cp-node${selected === n.id ? ' cp-selected' : ''}${violating.has(n.id) ? ' cp-violating' : ''}`);
      }
    },

    /** Each link's cut state from `sim.network()`: none, one way, or both ways. */
    renderLinks(net) {
      const cut = new Set(net.cutLinks.map(([f, t]) => `${f}>${t}`));
      for (const { g, title, p, q } of linkEls.values()) {
        const pq = cut.has(`${p}>${q}`);
        const qp = cut.has(`${q}>${p}`);
        const state = pq && qp ? 'both' : pq || qp ? 'one' : 'none';
        if (g.dataset.cut === state) continue;
        g.dataset.cut = state;
        const what = state === 'both' ? 'cut both ways' : state === 'one' ? `cut from ${pq ? p : q} to ${pq ? q : p}` : 'working';
        title.textContent = `Link ${p}–${q}: ${what}. Click to ${state === 'none' ? 'cut' : 'repair'} it.`;
        g.setAttribute('aria-label', title.textContent);
      }
    },

    /** The messages in flight, created as they appear (shaped by the mechanism), moved, removed. */
    renderMessages(msgs, now, mech) {
      const seen = new Set();
      for (const m of msgs) {
        seen.add(m.id);
        let g = messageEls.get(m.id);
        if (!g) {
          g = createMessage(m, mech);
          messageEls.set(m.id, g);
          messageLayer.append(g);
        }
        const { x, y } = messagePos(pos.get(m.from), pos.get(m.to), m.sentAt, m.deliverAt, stillMotion() ? m.sentAt + (m.deliverAt - m.sentAt) / 3 : now, NODE_R * scale);
        setAttr(g, 'transform', `translate(${x.toFixed(1)} ${y.toFixed(1)})`);
      }
      for (const [id, g] of messageEls) {
        if (!seen.has(id)) {
          g.remove();
          messageEls.delete(id);
        }
      }
    },
  };
}
