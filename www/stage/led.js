// What led to the violation (issue #16 §2): a run shrunk by `consensus-sim shrink` opens paused
// at its violation (its ?run= link, history.js), and this list marks the actions the
// shrinking kept — each one needed, since removing it made the violation go away — with their
// times; each is a button that takes the run to that moment (the timeline's seek), and a tick
// mark under the timeline's slider. Fetched only when such a run opens. It imports nothing (a
// shared import would make esbuild split dom.js into a chunk every widget fetches on load).

const make = (tag, text) => Object.assign(document.createElement(tag), text === undefined ? {} : { textContent: text });

/** Words for a recorded action (`{at, do, args}`). */
function describe({ do: what, args = [] }) {
  const list = (g) => (Array.isArray(g) ? g.join(', ') : String(g));
  switch (what) {
    case 'partition': return `partition {${list(args[0]?.[0])}} | {${list(args[0]?.[1])}}`;
    case 'heal': return 'heal every partition and link';
    case 'cutLink': return `cut the link ${args[0]} ${args[2] === false ? '→' : '↔'} ${args[1]}`;
    case 'repairLink': return `repair the link ${args[0]} ${args[2] === false ? '→' : '↔'} ${args[1]}`;
    case 'dropInFlight': return `drop message #${args[0]} in flight`;
    case 'clientRequest': return `client request ${args[0]}`;
    default: return `${what} ${list(args)}`.trim();
  }
}

/** Shows `actions` under the widget's banner (in place of a list shown before). */
export function showLed(host, actions) {
  const rule = host.simulation?.violations()[0]?.rule;
  host.cx.stylesheet('stage/led.css');
  host.ledPanel?.remove();
  const items = actions.map((a, k) => {
    const b = make('button', `${k + 1}. ${a.at.toFixed(1)} ms: ${describe(a)}`);
    Object.assign(b, { type: 'button', className: 'cp-btn', title: 'Go to this moment of the run' });
    b.addEventListener('click', () => host.seek(a.at));
    const li = make('li');
    li.append(b);
    return li;
  });
  const panel = make('section');
  panel.className = 'cp-led';
  panel.setAttribute('aria-label', 'What led to the violation');
  const list = make('ol');
  list.append(...items);
  panel.append(
    make('h3', `What led to it: ${actions.length} action${actions.length === 1 ? '' : 's'}${rule ? ` (${rule})` : ''}`),
    make('p', 'The run was shrunk to these: without any one of them, the violation does not happen.'),
    list,
  );
  // The actions' moments as tick marks under the time slider (a datalist's ticks are not drawn
  // on every platform): the slider is wrapped with a strip of marks while the panel stands.
  const slider = host.querySelector('input.cp-time');
  let unwrap = () => {};
  if (slider) {
    const track = make('span');
    const strip = make('span');
    track.className = 'cp-led-track';
    strip.className = 'cp-led-ticks';
    strip.setAttribute('aria-hidden', 'true');
    const moments = [...new Set(actions.map((a) => a.at))];
    const ticks = moments.map((at) => Object.assign(make('span'), { title: `${at} ms` }));
    // Placed on the slider's scale, again whenever the run grows (played on past the violation).
    const place = () => {
      const [lo, hi] = [Number(slider.min), Number(slider.max)];
      ticks.forEach((t, k) => (t.style.left = `${hi > lo ? (100 * (moments[k] - lo)) / (hi - lo) : 0}%`));
    };
    place();
    const watch = new MutationObserver(place);
    watch.observe(slider, { attributes: true, attributeFilter: ['min', 'max'] });
    strip.append(...ticks);
    slider.replaceWith(track);
    track.append(slider, strip);
    unwrap = () => (watch.disconnect(), track.replaceWith(slider));
  }
  host.banner.after(panel);
  // The widget removes it when another run starts.
  host.ledPanel = { remove: () => (panel.remove(), unwrap()) };
}
