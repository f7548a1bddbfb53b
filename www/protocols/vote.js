// Majority voting's part of <consensus-playground protocol="vote"> (the contract:
// www/stage/contract.js): its wasm core, its three message kinds (Proposal, Vote, Decided) and
// their shapes and sentences, the legend, what a node shows (voter or proposer, its weight, its
// policy, an open proposal's deadline), its node actions (Propose; Approve and Reject for a
// manual voter), and the Votes panel: the voters with their weight and policy (editable), the
// quorum rule and whether quorums intersect, and every proposal with its tally. Every step
// happens in the wasm core; this module draws and forwards clicks. Apart from its wasm glue it
// imports nothing: what it needs comes from the stage (cx).
import init, { Simulation } from '../pkg/consensus_playground.js';

export const name = 'vote';

// The wasm core. In www/dist/ the build swaps in a build hosting voting alone (pkg/vote_bg.wasm).
export { Simulation };
export const load = () => init({ module_or_path: new URL('../pkg/consensus_playground_bg.wasm', import.meta.url) });

const CSS = 'protocols/vote.css';

export const legend = [
  ['vt-voter', 'voter'],
  ['vt-proposer', 'proposer'],
  ['crashed', 'crashed'],
  ['rv', 'Proposal'],
  ['ok', 'Vote for'],
  ['no', 'Vote against'],
  ['ae', 'Decided: accepted'],
  ['vt-dno', 'Decided: not accepted'],
];

/** `"n1:2,n3:3"` as `{n1: 2, n3: 3}` (`number` false keeps the values as text). */
const pairs = (text, number) =>
  Object.fromEntries(text.split(/[\s,]+/).filter(Boolean).map((p) => [p.slice(0, p.indexOf(':')), p.slice(p.indexOf(':') + 1)]).map(([k, v]) => [k, number ? Number(v) : policyOf(v)]));
/** A policy as the Simulation takes it: 'approve', 'reject', 'manual', or `random:0.7` as `{random: 0.7}`. */
const policyOf = (v) => (v.startsWith('random') ? { random: Number(v.split(/[:=]/)[1] ?? 0.5) } : v);

/**
 * The Simulation options this mechanism reads from the element's attributes: quorum
 * ('majority', 'supermajority', 'unanimous', a fraction 0 < q < 1 or a count), weights
 * ("n1:2,n3:3"), policy (every voter's), policies ("n2:reject,n3:manual,n4:random:0.7"),
 * timeout-ms.
 */
export function options(attr) {
  const opts = {};
  const q = attr('quorum');
  if (q !== null) opts.quorum = Number.isNaN(Number(q)) ? q : Number(q);
  if (attr('weights') !== null) opts.weights = pairs(attr('weights'), true);
  if (attr('policy') !== null) opts.policy = policyOf(attr('policy'));
  if (attr('policies') !== null) opts.policies = pairs(attr('policies'), false);
  if (attr('timeout-ms') !== null) opts.timeoutMs = Number(attr('timeout-ms'));
  return opts;
}

export const hint = 'Click a node (or focus it and press Enter) to have it propose a value, vote by hand when its policy is manual, or crash it. Set each voter’s weight and policy in the Votes panel. Click a message in flight to drop it.';
export const routine = ['Show routine events', 'Events that change nothing'];

const kv = (m) => `${m.key} = ${m.value}`;

export function describeMessage(m) {
  switch (m.kind) {
    case 'Proposal':
      return `Proposal ${m.proposalId} from ${m.from} to ${m.to}: set ${kv(m)}? Vote for or against`;
    case 'Vote':
      return `Vote from ${m.from} to ${m.to} on ${m.proposalId}: ${m.approve ? 'for' : 'against'}`;
    default:
      return `Decided from ${m.from} to ${m.to}: ${m.proposalId} (${kv(m)}) ${m.accepted ? 'is accepted: apply it' : 'is not accepted'}`;
  }
}

const CIRCLE = ['circle', { r: 8 }];
const SQUARE = ['rect', { x: -8, y: -8, width: 16, height: 16, rx: 3 }];

export function messageShape(m) {
  switch (m.kind) {
    case 'Proposal':
      return { cls: 'cp-rv', shape: CIRCLE, glyph: m.key.slice(0, 1) };
    case 'Vote':
      return { cls: m.approve ? 'cp-ok' : 'cp-no', shape: CIRCLE, glyph: m.approve ? '✓' : '✗' };
    default:
      return { cls: m.accepted ? 'cp-ae' : 'cp-vt-dno', shape: SQUARE, glyph: m.accepted ? '✓' : '✗' };
  }
}

const policyText = (n) => (n.policy === 'random' ? `random ${Math.round((n.approveProbability ?? 0.5) * 100)}%` : n.policy);

export function nodeLabel(n) {
  const state = n.crashed ? 'crashed' : n.state;
  let sub = n.waiting.length ? `${n.waiting.length} to vote on` : policyText(n);
  if (n.paused) sub = `paused ${n.state}`;
  if (n.crashed) sub = 'crashed';
  // An open proposal of its own: the arc runs down to its deadline.
  const open = n.proposals.find((p) => p.status === 'open');
  return {
    state,
    number: String(n.weight),
    sub,
    label: `${n.id}: ${state}${n.paused ? ' (paused)' : ''}, weight ${n.weight}, policy ${policyText(n)}${n.waiting.length ? `, ${n.waiting.length} proposals wait for its vote` : ''}`,
    data: { weight: n.weight, policy: n.policy, waiting: n.waiting.length },
    timer: open && !n.crashed ? [open.proposedAt, open.deadline] : null,
  };
}

/** The next value proposed from this page: x=1, y=2, z=3, x=4, … (per run), or on the key picked in the panel. */
const counters = new WeakMap();
const keyPicks = new WeakMap(); // cx → the panel's key picker
function propose(cx, id) {
  cx.act((s) => {
    const n = (counters.get(s) ?? 0) + 1;
    counters.set(s, n);
    const pick = keyPicks.get(cx)?.value;
    const key = pick && pick !== 'turn' ? pick : 'xyz'[(n - 1) % 3];
    s.propose(id ?? s.nodes().find((x) => !x.crashed && !x.paused)?.id ?? 'n1', key, String(n));
  });
}

export const toolbar = [{ slot: 'clients', text: 'Propose', title: 'The first running node proposes the next value (x=1, y=2, …, or on the key picked in the Votes panel)', run: (cx) => propose(cx) }];

export function nodeActions(n, cx, common) {
  const id = n.id;
  const live = !n.crashed && !n.paused;
  const about = (pid) => cx.sim.nodes().flatMap((x) => x.proposals).find((p) => p.proposalId === pid);
  const ballots = live
    ? n.waiting.flatMap((pid) => {
        const p = about(pid);
        const what = p ? `${pid} (${p.key} = ${p.value})` : pid;
        return [
          { text: `Approve ${pid}`, title: `Vote for ${what}`, run: () => cx.act((s) => s.vote(id, pid, true)) },
          { text: `Reject ${pid}`, title: `Vote against ${what}`, run: () => cx.act((s) => s.vote(id, pid, false)) },
        ];
      })
    : [];
  return [
    live && { text: 'Propose', title: 'This node proposes the next value (x=1, y=2, …) to every voter, and votes on it itself', run: () => propose(cx, id) },
    ...ballots,
    n.crashed ? common.crash : { ...common.crash, title: 'Stop it; its decided values survive' },
    common.pause,
    common.isolate,
  ];
}

export function nodeDetails(n) {
  const open = n.proposals.filter((p) => p.status === 'open').length;
  const rows = [
    ['state', n.crashed ? `crashed (was ${n.state})` : n.state],
    ['weight', n.weight],
    ['policy', policyText(n)],
    ['proposals', n.proposals.length ? `${n.proposals.length} (${open} open)` : 'none'],
  ];
  if (n.waiting.length) rows.push(['to vote on', n.waiting.join(' ')]);
  const values = Object.entries(n.values);
  rows.push(['values', values.length ? values.map(([k, v]) => `${k}=${v}`).join('  ') : 'none decided']);
  rows.push(['quorum', `weight ${n.quorumRequired}${n.quorumsIntersect ? '' : ' (quorums do not intersect)'}`]);
  return rows;
}

const MAX_PROPOSALS = 8;
const POLICIES = ['approve', 'reject', 'manual', 'random'];
const STATUS = { open: 'open', accepted: 'accepted', rejected: 'rejected', timeout: 'timed out' };

/**
 * The Votes panel: the quorum rule (and a warning when two quorums need not share a voter),
 * the voters with their weight and policy, editable, and the latest proposals, each with a tally
 * bar (for from the left, against from the right, not yet voted between, the quorum line).
 */
export function panel(cx) {
  const { el, button } = cx.dom;
  cx.stylesheet(CSS);
  const rule = el('p', { class: 'cp-hint' });
  const warn = el('p', { class: 'cp-vt-warn', role: 'status', hidden: '' });
  const voters = el('tbody');
  const list = el('ol', { class: 'cp-proposals' });
  const more = el('p', { class: 'cp-hint', hidden: '' });
  const pick = el('select', { 'aria-label': 'Key to propose on' }, el('option', { value: 'turn', text: 'x, y, z in turn' }), ...['x', 'y', 'z'].map((k) => el('option', { value: k, text: k })));
  keyPicks.set(cx, pick);
  const root = el(
    'section',
    { class: 'cp-panel cp-votes', 'aria-label': 'Votes' },
    el('h3', { text: 'Voters' }),
    rule,
    warn,
    el('div', { class: 'cp-vt-scroll' }, el('table', { class: 'cp-voters' }, el('thead', {}, el('tr', {}, ...['node', 'weight', 'policy', 'values'].map((t) => el('th', { text: t })))), voters)),
    el('h3', { text: 'Proposals' }, el('span', { class: 'cp-hint', text: ' (green: weight for, red: against, grey: not voted yet; the line is the quorum)' })),
    el('label', { class: 'cp-vt-pick cp-hint' }, 'Propose on key ', pick),
    list,
    more,
  );
  let rows = new Map();
  let sig = '';
  let ruleSig = '';

  const voterRow = (id) => {
    const weight = el('input', { type: 'number', min: '0', max: '100', step: '1', 'aria-label': `${id}'s weight` });
    weight.addEventListener('change', () => cx.act((s) => s.setWeight(id, Number(weight.value))));
    const policy = el('select', { 'aria-label': `${id}'s policy` }, ...POLICIES.map((p) => el('option', { value: p, text: p === 'random' ? 'random 50%' : p })));
    policy.addEventListener('change', () => cx.act((s) => s.setPolicy(id, policy.value === 'random' ? { random: 0.5 } : policy.value)));
    const values = el('td', { class: 'cp-vt-values' });
    const tr = el('tr', { 'data-voter': id }, el('th', { text: id }), el('td', {}, weight), el('td', {}, policy), values);
    return { tr, weight, policy, values, sig: '' };
  };

  const proposalItem = (p, nodes) => {
    const voted = p.votes.for + p.votes.against;
    const pct = (w) => `${p.votes.total ? (100 * w) / p.votes.total : 0}%`;
    const bar = el(
      'div',
      { class: 'cp-tally', role: 'img', 'aria-label': `for ${p.votes.for}, against ${p.votes.against}, not voted ${p.votes.total - voted}, quorum ${p.quorumRequired} of ${p.votes.total}` },
      el('span', { class: 'cp-tally-for' }),
      el('span', { class: 'cp-tally-against' }),
      el('span', { class: 'cp-tally-q', title: `quorum: weight ${p.quorumRequired} of ${p.votes.total}` }),
    );
    bar.children[0].style.width = pct(p.votes.for);
    bar.children[1].style.width = pct(p.votes.against);
    bar.children[2].style.left = pct(p.quorumRequired);
    const proposer = p.proposalId.split(':')[0];
    const waiting = p.status === 'open' ? nodes.filter((n) => n.waiting.includes(p.proposalId) && !n.crashed && !n.paused) : [];
    return el(
      'li',
      { 'data-proposal': p.proposalId, 'data-status': p.status, class: 'cp-proposal' },
      el(
        'div',
        { class: 'cp-proposal-head' },
        el('b', { text: `${p.key} = ${p.value}` }),
        el('span', { class: 'cp-hint', text: ` ${p.proposalId}, by ${proposer}` }),
        el('span', { class: 'cp-vt-status', text: STATUS[p.status] ?? p.status }),
      ),
      bar,
      el('div', { class: 'cp-hint', text: `for ${p.votes.for} · against ${p.votes.against} · not voted ${p.votes.total - voted} · needs ${p.quorumRequired} of ${p.votes.total}${p.voters.length ? ` · ${p.voters.map(([v, a]) => `${v}${a ? '✓' : '✗'}`).join(' ')}` : ''}` }),
      ...waiting.map((n) =>
        el(
          'div',
          { class: 'cp-vt-manual' },
          el('span', { class: 'cp-hint', text: `${n.id} (manual) has not voted: ` }),
          button('Approve', `${n.id} votes for ${p.proposalId}`, () => cx.act((s) => s.vote(n.id, p.proposalId, true))),
          button('Reject', `${n.id} votes against ${p.proposalId}`, () => cx.act((s) => s.vote(n.id, p.proposalId, false))),
        ),
      ),
    );
  };

  return {
    root,
    layout(ids) {
      rows = new Map(ids.map((id) => [id, voterRow(id)]));
      voters.replaceChildren(...[...rows.values()].map((r) => r.tr));
      sig = '';
      ruleSig = '';
      list.replaceChildren();
    },
    update(nodes) {
      const n0 = nodes[0];
      const total = nodes.reduce((t, n) => t + n.weight, 0);
      const r = `${n0.quorumRequired}|${total}|${n0.quorumsIntersect}`;
      if (r !== ruleSig) {
        ruleSig = r;
        rule.textContent = `A proposal passes with weight ${n0.quorumRequired} of ${total} in favour.`;
        warn.hidden = n0.quorumsIntersect;
        root.dataset.quorumsIntersect = String(n0.quorumsIntersect);
        warn.textContent = `Quorums do not intersect: two groups of voters that share no one can each reach weight ${n0.quorumRequired}, so two conflicting proposals on one key can both pass.`;
      }
      for (const n of nodes) {
        const row = rows.get(n.id);
        if (!row) continue;
        const values = Object.entries(n.values).map(([k, v]) => `${k}=${v}`).join(' ');
        const s = `${n.weight}|${policyText(n)}|${values}|${n.crashed}`;
        if (s === row.sig) continue;
        row.sig = s;
        // Not while the reader is typing in it.
        if (document.activeElement !== row.weight) row.weight.value = String(n.weight);
        if (document.activeElement !== row.policy) row.policy.value = n.policy;
        row.policy.lastChild.textContent = n.policy === 'random' ? policyText(n) : 'random 50%';
        row.values.textContent = values || '—';
        row.tr.classList.toggle('cp-crashed', n.crashed);
      }
      // Open ones first, then the latest settled; only those are drawn (a long run has hundreds).
      const all = nodes.flatMap((n) => n.proposals);
      all.sort((a, b) => (a.status === 'open') - (b.status === 'open') || a.proposedAt - b.proposedAt).reverse();
      const shown = all.slice(0, MAX_PROPOSALS);
      const s = JSON.stringify([all.length, shown, nodes.map((n) => [n.waiting, n.crashed, n.paused])]);
      if (s === sig) return;
      sig = s;
      list.replaceChildren(...shown.map((p) => proposalItem(p, nodes)));
      if (!all.length) list.append(el('li', { class: 'cp-hint', text: 'None yet: click Propose.' }));
      more.hidden = all.length <= MAX_PROPOSALS;
      more.textContent = `and ${all.length - MAX_PROPOSALS} older`;
    },
  };
}
