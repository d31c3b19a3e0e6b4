// Drill-down: from a node (an endpoint's service id) and a time range, the flow records the server
// keeps (GET /api/v1/flows) and a pcap of the packets the agents still hold (a plain download link:
// the session cookie goes with it, no token in the URL).
import * as api from '../api.js';
import { h, notice, fmtTime, fmtNumber, fmtBytes, nodeLink, hashParams } from '../dom.js';
import { lineChart } from '../chart.js';

const EDGE_METRICS = ['attempts', 'refused', 'unanswered', 'transactions', 'errors'];

/** One client's use of the service over the range (GET /api/v1/dependencies/series); null when the server has none. */
async function edgeChart(service, client, from, to) {
  try {
    const answer = await api.get(`/api/v1/dependencies/series${api.query({ client, service, metrics: EDGE_METRICS.join(','), from, to, step: 'auto' })}`);
    return lineChart({ id: 'chart-edge', title: `${client} → ${service}`, unit: 'per bucket', from: answer.from || from, to: answer.to || to,
      stepSeconds: answer.step_seconds, keys: EDGE_METRICS.map((k) => ({ key: k, label: k })), points: answer.points || [] });
  } catch (e) {
    if (e instanceof api.HttpError && (e.status === 404 || e.status === 501)) return notice('No data: this server keeps no history of this dependency.', 'info');
    return notice(e.message, 'error');
  }
}

/** A conn record's start (`start_ts`, else `ts`) and length in seconds (docs/records.md). */
const startOf = (f) => f.start_ts || f.ts;
const secondsOf = (f) => (typeof f.duration_us === 'number' ? f.duration_us / 1e6 : null);

/** The flows in [from, to]: one overlapping the range counts. */
export function inRange(flows, from, to) {
  const t0 = from ? Date.parse(from) : -Infinity, t1 = to ? Date.parse(to) : Infinity;
  return flows.filter((f) => {
    const start = Date.parse(startOf(f));
    if (Number.isNaN(start)) return true;
    const end = start + (secondsOf(f) ?? 0) * 1000;
    return end >= t0 && start <= t1;
  });
}

export async function render(main, args) {
  const service = args[0];
  const params = hashParams();
  const from = params.get('from') || '', to = params.get('to') || '', client = params.get('client') || '';
  const pcap = `/api/v1/drilldown/packets${api.query({ service, client, from, to })}`;
  const list = h('section', { id: 'flows', 'aria-labelledby': 'flows-title' }, h('h2', { id: 'flows-title' }, 'Flows'), h('p', {}, 'Loading…'));
  main.replaceChildren(
    h('h1', {}, 'Drill-down: ', nodeLink(service)),
    h('p', {}, `Range: ${from ? fmtTime(from) : 'any'} → ${to ? fmtTime(to) : 'now'}`, client ? `, client ${client}` : '', '.'),
    h('p', {}, h('a', { id: 'pcap-link', href: pcap, download: 'drilldown.pcap', class: 'button' }, 'Download the packets (pcap)'),
      ' — fetched from the agents that saw this service; a large range takes time.'),
    client && from && to ? h('section', { id: 'edge' }, h('h2', {}, 'This client\'s use of the service'), await edgeChart(service, client, from, to)) : null,
    list);
  try {
    const flows = inRange(api.ndjson(await api.get(`/api/v1/flows${api.query({ service, limit: 1000 })}`)), from, to)
      .filter((f) => !client || f.orig_h === client);
    const rows = flows.map((f) => h('tr', {},
      h('th', { scope: 'row' }, fmtTime(startOf(f))),
      h('td', {}, `${f.orig_h ?? ''}:${f.orig_p ?? ''}`),
      h('td', {}, `${f.resp_h ?? ''}:${f.resp_p ?? ''}`),
      h('td', {}, [f.transport, f.app].filter(Boolean).join(' / ')),
      h('td', {}, f.conn_state ?? ''),
      h('td', {}, fmtNumber(secondsOf(f), 3)),
      h('td', {}, fmtBytes(f.orig_bytes)),
      h('td', {}, fmtBytes(f.resp_bytes)),
      h('td', {}, f.agent_id ?? '')));
    list.replaceChildren(h('h2', { id: 'flows-title' }, 'Flows'),
      h('table', { id: 'flows-table' },
        h('caption', {}, `${flows.length} flow records (newest first, at most 1000 read)`),
        h('thead', {}, h('tr', {}, ['Start (UTC)', 'Client', 'Server', 'Protocol', 'State', 'Duration (s)', 'Bytes from client', 'Bytes from server', 'Agent'].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, rows)));
  } catch (e) {
    list.replaceChildren(h('h2', { id: 'flows-title' }, 'Flows'), notice(e.message, 'error'));
  }
  return null;
}
