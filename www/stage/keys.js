// Keyboard shortcuts (README "Keyboard and screen readers"): Space play / pause, S step, ← a step
// back and → a step forward along the timeline, ? the help (stage/help.js, fetched on first use),
// Escape closes what is open (the Share… box, the node's actions: focus returns to the node).
// One listener per page: a key goes to the widget that has focus, or, while focus is on the page's
// body, to the one the reader last used (clicked or focused) if it is on screen. Never while the
// reader types (an input, a select, a text area, contenteditable), nor inside a dialog (Escape
// alone works from a slider or a checkbox); Space on a button presses the button, as everywhere.

let last = null; // the widget the reader last clicked or focused
const widgets = new WeakMap(); // widget → its key actions

/** Whether widget `host` is the one the reader is using (or the page's only widget, before any use): it narrates. */
export function inUse(host) {
  return last ? last === host : document.querySelectorAll('consensus-playground').length === 1;
}

const onScreen = (w) => {
  const r = w.getBoundingClientRect();
  return r.bottom > 0 && r.top < innerHeight && r.width > 0;
};

function keydown(e) {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  const body = t === document.body || t === document.documentElement;
  const w = body ? last : t.closest?.('consensus-playground');
  const on = w && widgets.get(w);
  if (!on || (body && !onScreen(w)) || t.closest?.('select, textarea, dialog') || t.isContentEditable) return;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  // A box that scrolls (the generals' table, the event log) keeps its own arrows and Space.
  if (/^(ArrowLeft|ArrowRight| )$/.test(k) && !body && (t.scrollWidth > t.clientWidth || t.scrollHeight > t.clientHeight)) return;
  // In an input, no shortcut; but Escape still closes, from a slider or a checkbox.
  if (t.tagName === 'INPUT' && (k !== 'Escape' || !/^(range|checkbox|radio)$/.test(t.type))) return;
  const act = { ' ': !t.closest?.('button, [role="button"], summary, a[href]') && on.togglePlay, s: on.step, ArrowLeft: on.back, ArrowRight: on.step, '?': on.help, Escape: on.escape }[k];
  if (act && act() !== false) e.preventDefault();
}

/** Opens the keyboard help of widget `host` (stage/help.js, fetched on first use); `dom` is the element's el and button. */
export function openHelp(host, dom) {
  return Promise.all([import('./help.js'), host.cx.stylesheet('stage/keyboard.css')]).then(([m]) => m.openHelp(host, dom), host.failed('The help'));
}

/**
 * Gives widget `host` (the element: setPlaying, stepOnce, travel, select, timeline, live) its
 * shortcuts, once its parts are built; what a shortcut did is narrated (stage/live.js).
 */
export function shortcuts(host, dom) {
  const say = (what) => host.live.say(`${what}: t = ${(host.simulation?.now ?? host.scene?.now ?? 0).toFixed(1)} ms.`, 'key');
  const on = {
    togglePlay: () => (host.setPlaying(!host.playing), say(host.playing ? 'Playing' : 'Paused')),
    step: () => (host.stepOnce(), say('Step')),
    back: host.timeline && (() => void host.travel((h) => h.stepBack()).then(() => say('Back'))),
    help: () => void openHelp(host, dom),
    escape: () => {
      // The Share… box, then the node's actions (focus goes back to the node on the ring).
      const share = host.timeline?.root.querySelector('.cp-share:not([hidden])')?.previousElementSibling;
      if (share) {
        share.nextElementSibling.hidden = true;
        share.setAttribute('aria-expanded', 'false');
        share.focus();
      } else if (host.selected) host.select(null);
      else return false;
    },
  };
  if (!widgets.has(host)) {
    const use = () => (last = host);
    host.addEventListener('pointerdown', use);
    host.addEventListener('focusin', use);
  }
  widgets.set(host, on);
  if (!keydown.on) document.addEventListener('keydown', keydown), (keydown.on = true);
}
