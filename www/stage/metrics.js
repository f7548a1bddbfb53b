// The metrics under the ring: messages per commit and commits per second over the last 10
// simulated seconds, and election latency (time without a leader: the latest period, the mean).
import { el, setText } from '../dom.js';

export function metrics() {
  const dd = {};
  const metric = (key, name, title) => el('div', { title }, el('dt', { text: name }), (dd[key] = el('dd', { text: '—' })));
  const root = el(
    'dl',
    { class: 'cp-metrics', 'aria-label': 'Metrics' },
    metric('perCommit', 'messages / commit', 'Messages sent per log entry committed, over the last 10 simulated seconds (every kind: heartbeats too)'),
    metric('commitRate', 'commits / s', 'Log entries committed per simulated second, over the last 10 simulated seconds'),
    metric('election', 'election latency', 'Time without a running leader, from losing one until the next leads: the latest period, and the mean'),
  );
  let samples = [];
  return {
    root,
    /** A new run: forget the window. */
    reset() {
      samples = [];
    },
    /** From `sim.stats()` at simulated time `now`. */
    render(stats, now) {
      // One sample per 100 simulated ms at most: about 100 in the window at any speed.
      if (!samples.length || now >= samples.at(-1).now + 100) samples.push({ now, sent: stats.messagesSent, committed: stats.committed });
      while (samples.length > 2 && samples[1].now <= now - 10000) samples.shift();
      const first = samples[0];
      const commits = stats.committed - first.committed;
      const span = (now - first.now) / 1000;
      setText(dd.perCommit, commits > 0 ? ((stats.messagesSent - first.sent) / commits).toFixed(1) : '—');
      setText(dd.commitRate, span > 0 ? (commits / span).toFixed(1) : '—');
      const { leaderlessPeriods: periods } = stats;
      setText(dd.election, periods ? `${Math.round(stats.lastLeaderlessMs)} ms (mean ${Math.round(stats.leaderlessMs / periods)})` : '—');
    },
  };
}
