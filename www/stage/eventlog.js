// The event log ("What happened"): the simulation's events, newest first, at most MAX_EVENTS;
// routine ones (for Raft: heartbeats that change nothing) only when asked for.
import { el, fmtMs } from '../dom.js';

const MAX_EVENTS = 150;

/** @param {[string, string]} routine   the routine switch's label and tooltip (from the mechanism) */
export function eventLog([label, title]) {
  // Focusable, so that a keyboard can scroll it (axe-core: scrollable-region-focusable).
  const list = el('ol', { class: 'cp-events', reversed: '', tabindex: '0', 'aria-label': 'Events, newest first' });
  const routineBox = el('input', { type: 'checkbox' });
  const root = el(
    'section',
    { class: 'cp-panel cp-events-panel', 'aria-label': 'Event log' },
    el('div', { class: 'cp-events-head' }, el('h3', { text: 'What happened' }), el('label', { class: 'cp-routine', title }, routineBox, el('span', { text: label }))),
    list,
  );
  // data-seq: the event's seq (the space-time diagram marks the event a line is about).
  const line = (kind, time, text, seq) => el('li', { class: `cp-ev cp-ev-${kind}`, ...(seq && { 'data-seq': seq }) }, el('span', { class: 'cp-ev-time', text: fmtMs(time) }), el('span', { text }));
  let lastSeq = 0;
  return {
    root,
    /** A new run: an empty log. */
    reset() {
      lastSeq = 0;
      list.replaceChildren();
    },
    /** Adds what happened since the last call. */
    update(sim) {
      const events = sim.eventsSince(lastSeq);
      if (!events.length) return;
      lastSeq = events[events.length - 1].seq;
      const frag = document.createDocumentFragment();
      for (let k = events.length - 1; k >= 0 && frag.childNodes.length < MAX_EVENTS; k--) {
        const ev = events[k];
        if (!ev.routine || routineBox.checked) frag.append(line(ev.kind, ev.time, ev.text, ev.seq));
      }
      list.prepend(frag);
      while (list.childElementCount > MAX_EVENTS) list.lastElementChild.remove();
    },
    /** A line of our own (an action the simulation refused), at simulated time `now`. */
    note(text, now) {
      list.prepend(line('note', now, text));
    },
  };
}
