// The keyboard help (the ? key, or the toolbar's ? button): a modal dialog listing the
// shortcuts (keys.js). Fetched on first use; it imports nothing, so that no chunk is shared with
// the element's file (it gets el and button from the element). Escape or Close closes it, and
// focus goes back where it was.

const KEYS = [
  ['Space', 'Play or pause (on a button, Space presses the button)'],
  ['S', 'Step: handle the next event (pauses)'],
  ['→', 'A step forward along the timeline (the next event)'],
  ['←', 'A step back along the timeline'],
  ['?', 'This help'],
  ['Escape', 'Close what is open: this help, Share…, the node’s actions'],
  ['Tab', 'Move between controls; on the ring, to each node: Enter or Space opens its actions (Crash, Pause, Links to cut…)'],
];

let count = 0;

/** Opens the help of widget `host` (built once, inside it). */
export function openHelp(host, { el, button }) {
  let dialog = host.querySelector('.cp-help');
  if (!dialog || !dialog.isConnected) {
    const id = `cp-help-title-${++count}`;
    dialog = el(
      'dialog',
      { class: 'cp-help', 'aria-labelledby': id },
      el('h2', { id, text: 'Keyboard shortcuts' }),
      el('dl', {}, ...KEYS.flatMap(([k, v]) => [el('dt', {}, el('kbd', { text: k })), el('dd', { text: v })])),
      el('p', { class: 'cp-hint', text: 'Shortcuts go to the widget you last used, never while you type in a field. Messages in flight lists each message with a Drop button.' }),
    );
    const close = button('Close', 'Close (Escape)', () => dialog.close());
    dialog.append(close);
    dialog.addEventListener('close', () => dialog.back?.isConnected && dialog.back.focus({ preventScroll: true }));
    host.querySelector('.cp-root').append(dialog);
  }
  if (dialog.open) return;
  dialog.back = document.activeElement;
  dialog.showModal();
  dialog.querySelector('.cp-btn').focus();
}
