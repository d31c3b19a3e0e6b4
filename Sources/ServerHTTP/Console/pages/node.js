// A node: its state and causes, state timeline, metric charts over a chosen range (the series API),
// the agents that see it, its neighbours, its observed clients and the way down to flows and packets.
import * as api from '../api.js';
import { h, stateBadge, nodeLink, notice, fmtTime, fmtNumber, table, hashParams } from '../dom.js';
import { lineChart, stateTimeline } from '../chart.js';

export const RANGES = { '1h': 3600, '1d': 86400, '1w': 7 * 86400 };

/** The charts: a title, a unit and the metrics it draws (names of the series API). */
export const CHARTS = [
  { id: 'chart-connections', title: 'Connections', unit: 'per bucket', keys: ['attempts', 'established', 'refused', 'unanswered', 'resets'] },
  { id: 'chart-transactions', title: 'Transactions', unit: 'per bucket', keys: ['transactions', 'errors'] },
  { id: 'chart-error-rate', title: 'Error rate', unit: 'share', keys: ['error_rate'] },
  { id: 'chart-rtt', title: 'Round-trip time', unit: 'ms', keys: ['rtt_p50_ms', 'rtt_p95_ms', 'rtt_p99_ms'] },
  { id: 'chart-response', title: 'Response time', unit: 'ms', keys: ['response_p50_ms', 'response_p95_ms', 'response_p99_ms'] },
  { id: 'chart-bytes', title: 'Bytes', unit: 'bytes per bucket', keys: ['bytes_to_server', 'bytes_to_client'] },
];

/** The range the hash asks for: {from, to, range} as ISO texts (custom from/to win over presets). */
export function chosenRange(params, now = Date.now()) {
  const from = params.get('from'), to = params.get('to');
  if (from && to && !Number.isNaN(Date.parse(from)) && !Number.isNaN(Date.parse(to)) && Date.parse(from) < Date.parse(to)) {
    return { range: 'custom', from: new Date(Date.parse(from)).toISOString(), to: new Date(Date.parse(to)).toISOString() };
  }
  const range = RANGES[params.get('range')] ? params.get('range') : '1h';
  return { range, from: new Date(now - RANGES[range] * 1000).toISOString(), to: new Date(now).toISOString() };
}

const isoSeconds = (iso) => iso.replace(/\.\d+Z$/, 'Z');

function rangeHash(id, params) { return `#/node/${api.segment(id)}${api.query(params)}`; }

function rangeControls(id, chosen, lastChange) {
  const presets = h('ul', { class: 'ranges' }, Object.keys(RANGES).map((r) => h('li', {},
    h('a', { href: rangeHash(id, { range: r }), 'aria-current': chosen.range === r ? 'true' : null },
      { '1h': 'Last hour', '1d': 'Last day', '1w': 'Last week' }[r]))));
  if (lastChange) {
    const t = Date.parse(lastChange);
    presets.append(h('li', {}, h('a', { href: rangeHash(id, { from: isoSeconds(new Date(t - 1800e3).toISOString()), to: isoSeconds(new Date(t + 1800e3).toISOString()) }) }, 'Around the last change')));
  }
  const local = (iso) => iso.slice(0, 19);
  const from = h('input', { id: 'range-from', type: 'datetime-local', step: 1, value: local(chosen.from) });
  const to = h('input', { id: 'range-to', type: 'datetime-local', step: 1, value: local(chosen.to) });
  const form = h('form', { class: 'range-form', id: 'range-form' },
    h('label', { for: 'range-from' }, 'From (UTC)'), ' ', from, ' ',
    h('label', { for: 'range-to' }, 'To (UTC)'), ' ', to, ' ',
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!from.value || !to.value) return;
    location.hash = rangeHash(id, { from: `${from.value.length === 16 ? `${from.value}:00` : from.value}Z`, to: `${to.value.length === 16 ? `${to.value}:00` : to.value}Z` });
  });
  return h('nav', { 'aria-label': 'Time range', class: 'range' }, presets, form);
}

async function series(id, chosen) {
  const metrics = CHARTS.flatMap((c) => c.keys).join(',');
  try {
    return await api.get(`/api/v1/nodes/${api.segment(id)}/series${api.query({ metrics, from: isoSeconds(chosen.from), to: isoSeconds(chosen.to), step: 'auto' })}`);
  } catch (e) {
    if (e instanceof api.HttpError && (e.status === 404 || e.status === 501)) return null;  // no history on this server (yet)
    throw e;
  }
}

export async function render(main, args) {
  const id = args[0];
  if (!id) { main.replaceChildren(h('h1', {}, 'Node'), notice('No node named.', 'error')); return null; }
  let detail;
  try {
    detail = await api.get(`/api/v1/nodes/${api.segment(id)}`);
  } catch (e) {
    main.replaceChildren(h('h1', {}, id), notice(e.status === 404 ? `No node '${id}'.` : e.message, 'error'));
    return null;
  }
  const chosen = chosenRange(hashParams());
  const st = detail.status || {};
  const history = detail.history || [];
  const lastChange = history.length ? history.map((x) => x.at).sort().at(-1) : null;
  const header = h('section', { class: 'node-head' },
    h('h1', {}, detail.node.name || detail.node.id, ' ', stateBadge(st.state)),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Id'), h('dd', { id: 'node-id' }, detail.node.id),
      h('dt', {}, 'Kind'), h('dd', {}, detail.node.kind),
      h('dt', {}, 'State'), h('dd', { id: 'node-state' }, stateBadge(st.state), detail.flapping ? ' (flapping)' : ''),
      h('dt', {}, 'Coverage'), h('dd', {}, st.coverage === undefined ? '' : `${Math.round(st.coverage * 100)} %`),
      h('dt', {}, 'Causes'), h('dd', {}, (st.causes || []).flatMap((c, i) => (i ? [', ', nodeLink(c)] : [nodeLink(c)]))),
      h('dt', {}, 'Root causes'), h('dd', { id: 'node-root-causes' }, (st.root_causes || []).flatMap((c, i) => (i ? [', ', nodeLink(c)] : [nodeLink(c)]))),
      h('dt', {}, 'Availability (24 h)'), h('dd', {}, Object.entries(detail.availability24h || detail.availability_24h || {}).map(([k, v]) => `${k} ${(v * 100).toFixed(1)} %`).join(', '))));

  const charts = h('section', { id: 'charts', 'aria-labelledby': 'charts-title' }, h('h2', { id: 'charts-title' }, 'Metrics'), h('p', {}, 'Loading…'));
  const drill = h('p', {}, h('a', { id: 'drilldown-link', href: `#/drilldown/${api.segment(id)}${api.query({ from: isoSeconds(chosen.from), to: isoSeconds(chosen.to) })}` },
    'Flows and packets in this range'));
  const timeline = h('section', { id: 'timeline' });
  const neighbours = h('section', { 'aria-labelledby': 'neighbours-title' }, h('h2', { id: 'neighbours-title' }, 'Neighbours'),
    table('Parents (what depends on it)', ['Node'], (detail.parents || []).map((p) => [nodeLink(p)])),
    table('Children (what it depends on)', ['Node', 'Map', 'Weight'], (detail.children || []).map((c) => [nodeLink(c.child), c.map ?? '', fmtNumber(c.weight)])));
  const agents = h('section', { 'aria-labelledby': 'agents-title' }, h('h2', { id: 'agents-title' }, 'Agents that see it'),
    table(null, ['Agent', 'Their state', 'Updated', 'Window'], (detail.views || []).map((v) => [v.agent, stateBadge(v.state), fmtTime(v.updated), fmtTime(v.ts)]), { id: 'views-table' }));
  const clients = h('section', { 'aria-labelledby': 'clients-title' }, h('h2', { id: 'clients-title' }, 'Observed clients'), h('p', {}, 'Loading…'));
  main.replaceChildren(header, rangeControls(id, chosen, lastChange), drill, timeline, charts, agents, clients, neighbours);

  let answer = null;
  try { answer = await series(id, chosen); } catch (e) { charts.replaceChildren(h('h2', { id: 'charts-title' }, 'Metrics'), notice(e.message, 'error')); }
  const changes = (answer && answer.states && answer.states.length ? answer.states : history).map((x) => ({ at: x.at, state: x.state }));
  timeline.replaceChildren(h('h2', {}, 'States'), stateTimeline({ id: 'state-timeline', changes, from: chosen.from, to: chosen.to }));
  if (answer) {
    const points = answer.points || [];
    const note = answer.percentiles && answer.percentiles !== 'histogram' ? 'Percentiles over this step come from the stored percentiles, not from merged histograms.' : null;
    charts.replaceChildren(h('h2', { id: 'charts-title' }, 'Metrics'),
      h('p', { id: 'series-summary' }, `${points.length} points, step ${answer.scale || ''} (${answer.step_seconds || '?'} s), ${fmtTime(answer.from)} → ${fmtTime(answer.to)}.`),
      ...CHARTS.map((c) => lineChart({
        id: c.id, title: c.title, unit: c.unit, from: answer.from || chosen.from, to: answer.to || chosen.to, stepSeconds: answer.step_seconds,
        keys: c.keys.map((k) => ({ key: k, label: k })), note: c.id.startsWith('chart-rtt') || c.id.startsWith('chart-response') ? note : null,
        // A chart's table has a row per point the API returned (buckets with data).
        points,
      })));
  } else if (charts.querySelector('.notice') === null) {
    charts.replaceChildren(h('h2', { id: 'charts-title' }, 'Metrics'), notice('No data: this server keeps no metric history for this node (the series API answered 404).', 'info'));
  }

  try {
    const deps = (await api.get('/api/v1/dependencies')).filter((d) => d.service === id);
    clients.replaceChildren(h('h2', { id: 'clients-title' }, 'Observed clients'),
      table(`${deps.length} clients seen by the agents`, ['Client', 'Status', 'Attempts', 'Transactions', 'Failures', 'Last seen', 'Drill down'],
        deps.map((d) => [d.client, d.status, fmtNumber(d.attempts), fmtNumber(d.transactions), fmtNumber(d.failures), fmtTime(d.last_seen),
          h('a', { href: `#/drilldown/${api.segment(id)}${api.query({ client: d.client, from: isoSeconds(chosen.from), to: isoSeconds(chosen.to) })}` }, 'flows')]), { id: 'clients-table' }));
  } catch (e) {
    clients.replaceChildren(h('h2', { id: 'clients-title' }, 'Observed clients'), notice(e.message, 'error'));
  }
  return null;
}
