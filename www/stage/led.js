// What led to the violation (issue #16 §2): a run shrunk by `consensus-sim shrink` opens paused
// at its violation (its ?run= link, history.js), and this list marks the actions the
// shrinking kept — each one needed, since removing it made the violation go away — with their
// times; each is a button that takes the run to that moment (the timeline's seek). Fetched only
// when such a run opens. It imports nothing (a shared import would make esbuild split dom.js
// into a chunk every widget fetches on load).

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
  host.banner.after(panel);
  host.ledPanel = panel;
}
