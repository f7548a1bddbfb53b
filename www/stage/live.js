// The live region: a polite, visually hidden narration of what happens in the run, for screen
// readers: a leader, a crash or restart, a partition or heal, a commit (the latest of several), and
// what a shortcut did. Rate-limited: at most one announcement every GAP_MS, the news of the wait
// coalesced into it (one per kind: a newer leader replaces an older). Only the widget in use
// narrates (keys.js: inUse), so a chapter with many widgets does not talk over itself. A
// violation is not repeated here: the banner (role="alert") says it.
import { el } from '../dom.js';
import { inUse } from './keys.js';

const GAP_MS = 2000;

/** @param {HTMLElement} host   the element, whose own events (host-events.js) it narrates */
export function liveRegion(host) {
  const root = el('div', { class: 'cp-live', 'aria-live': 'polite' });
  let queue = [];
  let timer = 0;
  let next = 0;
  const flush = () => {
    timer = 0;
    root.textContent = queue.map((q) => q.text).join(' ');
    queue = [];
    next = performance.now() + GAP_MS;
  };
  /** Says `text` soon, in place of anything of kind `kind` still waiting. */
  const say = (text, kind = text) => {
    if (!inUse(host)) return;
    queue = queue.filter((q) => q.kind !== kind).concat({ text, kind });
    timer ||= setTimeout(flush, Math.max(0, next - performance.now()));
  };
  const on = (type, fn) => host.addEventListener(type, (e) => e.target === host && say(...fn(e.detail)));
  on('cp-leader', (d) => [`${d.id} leads${d.term === null ? '' : `, term ${d.term}`}.`, 'leader']);
  on('cp-crash', (d) => [`${d.id} crashed.`, d.id]);
  on('cp-restart', (d) => [`${d.id} restarted.`, d.id]);
  on('cp-partition', (d) => [`Network split: ${d.groups.map((g) => g.join(' ')).join(' | ')}.`, 'net']);
  on('cp-heal', () => ['Network healed.', 'net']);
  on('cp-commit', (d) => [`Committed #${d.index}.`, 'commit']);
  return { root, say };
}
