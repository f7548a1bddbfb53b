// "Messages in flight": a disclosure under the ring listing each message in flight with a Drop
// button (the keyboard's way to do what clicking a message on the ring does). Its list is drawn
// by stage/by-keyboard.js (styled by stage/keyboard.css), fetched when a reader first opens it.
import { button, el, svg } from '../dom.js';

/**
 * @param {(id: number) => void} drop   drops message `id`
 * @param {(e: Error) => void} fail   says the list could not load
 * @param {(path: string) => Promise<void>} stylesheet   adds a stylesheet of the stage (the element's)
 */
export function inflight(drop, fail, stylesheet) {
  const count = el('span');
  const summary = el('summary', {}, 'Messages in flight', count);
  const root = el('details', { class: 'cp-panel cp-inflight' }, summary);
  let list = null;
  let last = [[], null];
  root.addEventListener('toggle', () => {
    if (root.open && !list)
      Promise.all([import('./by-keyboard.js'), stylesheet('stage/keyboard.css')]).then(([m]) => {
        list ??= m.messageList(root, summary, drop, { button, el, svg });
        list.render(...last);
      }, fail);
    else list?.render(...last);
  });
  return {
    root,
    /** Messages `msgs` (sim.messages()), as mechanism `mech` describes them. */
    render(msgs, mech) {
      last = [msgs, mech];
      const n = ` (${msgs.length})`;
      if (count.textContent !== n) count.textContent = n;
      list?.render(msgs, mech);
    },
    /** A new run, or the run at another time: the list starts again. */
    reset() {
      list?.reset();
    },
  };
}
