// embed.html's script (loaded by that page only, never by a widget on a course page): the query
// string's settings become the element's attributes, as on index.html (a fixed list: nothing
// else, so no on* handler can be set from a link), and every event the element dispatches for
// its host page goes to the parent window by postMessage:
//   {source: 'consensus-playground', type: 'cp-leader', detail: {id, term, timeMs}}
// `?origin=https://course.example` restricts who may receive them (default: any parent; the
// events carry only facts about the simulated run). A classic script at the end of the body, so
// the attributes are set before the element's module upgrades it.
(() => {
  const ATTRIBUTES = ['protocol', 'mechanism', 'nodes', 'seed', 'speed', 'paused', 'autoplay', 'hide', 'experiments', 'latency-ms', 'drop-rate', 'duplicate-rate', 'bugs', 'snapshot-interval', 'election-timeout-ms', 'heartbeat-ms', 'pre-vote', 'check-quorum', 'read-index', 'leader-timeout-ms', 'backoff', 'backoff-ms', 'quorum', 'weights', 'policy', 'policies', 'timeout-ms', 'byzantine', 'checkpoint-interval', 'view-change-ms', 'view-timeout-ms', 'mode', 'fanout', 'interval-ms', 'rumors', 'attestations', 'liars', 'sybil', 'commander', 'm', 'round-ms', 'first-order', 'scenario'];
  const EVENTS = ['cp-leader', 'cp-commit', 'cp-crash', 'cp-restart', 'cp-partition', 'cp-heal', 'cp-violation', 'cp-scenario'];
  const params = new URLSearchParams(location.search);
  const pg = document.querySelector('consensus-playground');
  for (const a of ATTRIBUTES) if (params.has(a)) pg.setAttribute(a, params.get(a));
  const origin = params.get('origin') || '*';
  if (window.parent === window) return; // opened on its own: nobody to tell
  for (const type of EVENTS) pg.addEventListener(type, (e) => window.parent.postMessage({ source: 'consensus-playground', type, detail: e.detail }, origin));
})();
