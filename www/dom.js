// DOM helpers shared by the element and its Experiments panel.

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
