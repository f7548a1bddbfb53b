// DOM helpers of the element and its stage. The modules fetched later (a mechanism, a panel) get
// el, svg and button from the element (Stage.dom in stage/contract.js) instead of importing this
// file, which would make esbuild put it in a chunk of its own, one more file to fetch on load.

export const SVG = 'http://www.w3.org/2000/svg';

/** `<tag>` with attributes (`class`, `text` for textContent, others as attributes) and children. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

/** A button (class cp-btn) that runs `fn` when clicked. */
export function button(text, title, fn) {
  const b = el('button', { type: 'button', class: 'cp-btn', text, title });
  b.addEventListener('click', fn);
  return b;
}

/** An SVG element with attributes. */
export function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** Sets an attribute only when it changes (the frame loop calls this for every node, every frame). */
export function setAttr(e, k, v) {
  const s = String(v);
  if (e.getAttribute(k) !== s) e.setAttribute(k, s);
}

/** Sets textContent only when it changes. */
export function setText(e, s) {
  if (e.textContent !== s) e.textContent = s;
}

export const fmtMs = (ms) => `${ms.toFixed(1)} ms`;
export const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
