// The toolbar: Play / Pause, Step, Reset, the Speed slider, KV clients and the simulated clock,
// with two slots for the mechanism's own buttons (after Reset; before KV clients), and ? (the
// keyboard shortcuts' help, stage/help.js) at the end of the first group.
import { button, clamp, el, fmtMs, setText } from '../dom.js';

// Speed slider: 0…100 maps to 0.001×…1× on a log scale.
const sliderToSpeed = (v) => 10 ** (-3 + (3 * v) / 100);
const speedToSlider = (s) => clamp(((Math.log10(s) + 3) * 100) / 3, 0, 100);
const speedLabel = (s) => (s >= 0.1 ? s.toFixed(2) : s >= 0.01 ? s.toFixed(3) : s.toFixed(4)).replace(/0+$/, '').replace(/\.$/, '') + '×';

/** The button of an Action (contract.js); `cx` is what its run gets. */
export const actionButton = (a, cx) => button(a.text, a.title, () => a.run(cx));

/**
 * @param {{togglePlay(): void, stepBack?(): void, step(): void, reset(): void, speed(s: number): void, clients(on: boolean): void, help(): void}} on
 * @param {import('./contract.js').Action[]} extra   the mechanism's toolbar buttons
 * @param {import('./contract.js').Stage} cx
 * @param {boolean} [kvClients]   whether to offer KV clients (not for gossip, which has no leader to send to)
 */
export function controls(on, extra, cx, kvClients = true) {
  const play = el('button', { type: 'button', class: 'cp-btn cp-primary', text: 'Pause' });
  play.addEventListener('click', on.togglePlay);
  const speed = el('input', { type: 'range', min: '0', max: '100', step: '1', 'aria-label': 'Speed', class: 'cp-speed' });
  const speedOut = el('output', { class: 'cp-speed-out' });
  const clock = el('span', { class: 'cp-clock', 'aria-label': 'Simulated time' });
  const clients = el('input', { type: 'checkbox' });
  clients.addEventListener('change', () => on.clients(clients.checked));
  const showSpeed = (s) => {
    speedOut.textContent = speedLabel(s);
    speed.setAttribute('aria-valuetext', `${speedLabel(s)} real time`);
  };
  speed.addEventListener('input', () => {
    const s = sliderToSpeed(Number(speed.value));
    showSpeed(s);
    on.speed(s);
  });
  const help = button('?', 'Keyboard shortcuts (?)', on.help);
  help.setAttribute('aria-label', 'Keyboard shortcuts (?)');
  const made = [];
  const slot = (name) => extra.filter((a) => a.slot === name).map((a) => (made.push([a, actionButton(a, cx)]), made.at(-1)[1]));
  return {
    root: el(
      'div',
      { class: 'cp-toolbar' },
      el('div', { class: 'cp-group' }, play, on.stepBack ? button('Step back', 'Back one event', on.stepBack) : '', button('Step', 'Handle the next event (pauses)', on.step), button('Reset', 'Start again from the same seed', on.reset), ...slot('cluster'), help),
      el('label', { class: 'cp-group cp-speed-label' }, el('span', { text: 'Speed' }), speed, speedOut),
      el(
        'div',
        { class: 'cp-group' },
        ...slot('clients'),
        kvClients ? el('label', { class: 'cp-clients', title: 'Two key-value clients send put, get, cas and increment to the leader, with retries' }, clients, el('span', { text: 'KV clients' })) : '',
        clock,
      ),
    ),
    showPlaying(on) {
      play.textContent = on ? 'Pause' : 'Play';
    },
    /** Speed `s` on the slider and its label (the `speed` attribute set it). */
    setSpeed(s) {
      speed.value = String(speedToSlider(s));
      showSpeed(s);
    },
    /** Unticks KV clients (a new run has none). */
    clientsOff() {
      clients.checked = false;
    },
    /** Ticks KV clients or not (time travel: as they were at that moment). */
    showClients(on) {
      clients.checked = on;
    },
    showClock(now) {
      setText(clock, `t = ${fmtMs(now)}`);
    },
    /** Disables the mechanism's buttons that cannot act now (their `disabled(cx)` says why, in the title). */
    sync() {
      for (const [a, b] of made) {
        const why = a.disabled?.(cx) || '';
        if (b.disabled !== !!why) b.disabled = !!why;
        if (b.title !== (why || a.title)) b.title = why || a.title;
      }
    },
  };
}
