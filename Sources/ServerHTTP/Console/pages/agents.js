// Agents: each agent's last report and, when the server passes on its last agent_health record,
// drops, store use, export backlog and the rest.
import * as api from '../api.js';
import { h, notice, fmtTime, fmtNumber, fmtBytes } from '../dom.js';

/** The health record's figures the page shows (absent fields stay empty). */
export function healthFigures(health) {
  const x = health && typeof health === 'object' ? health : {};
  const sinks = Array.isArray(x.sinks) ? x.sinks : [];
  const pending = sinks.reduce((n, s) => n + (s.pending || 0), 0);
  const lag = x.ts && x.agent_ts ? (Date.parse(x.ts) - Date.parse(x.agent_ts)) / 1000 : null;
  return {
    dropped: x.packets_dropped === undefined ? '' : `${fmtNumber(x.packets_dropped)} (kernel) + ${fmtNumber(x.packets_dropped_agent ?? 0)} (agent)`,
    store: fmtBytes(x.store_bytes),
    backlog: sinks.length ? `${pending} records${sinks.some((s) => s.last_error) ? ` — ${sinks.map((s) => s.last_error).filter(Boolean).join('; ')}` : ''}` : '',
    lag: typeof lag === 'number' && !Number.isNaN(lag) ? `${lag.toFixed(1)} s` : '',
    version: x.version ?? '',
  };
}

export async function render(main) {
  main.replaceChildren(h('h1', {}, 'Agents'), h('p', {}, 'Loading…'));
  let agents;
  try { agents = await api.get('/api/v1/agents'); } catch (e) { main.replaceChildren(h('h1', {}, 'Agents'), notice(e.message, 'error')); return null; }
  const rows = agents.map((a) => {
    const f = healthFigures(typeof a.health === 'string' ? (() => { try { return JSON.parse(a.health); } catch { return null; } })() : a.health);
    return h('tr', { 'data-agent': a.agent },
      h('th', { scope: 'row' }, a.agent),
      h('td', {}, fmtTime(a.last_seen)),
      h('td', {}, a.fresh ? h('span', { class: 'state state-ok' }, 'FRESH') : h('span', { class: 'state state-unknown' }, 'STALE')),
      h('td', {}, String(a.epoch ?? '')),
      h('td', {}, f.dropped), h('td', {}, f.store), h('td', {}, f.backlog), h('td', {}, f.lag), h('td', {}, f.version));
  });
  main.replaceChildren(h('h1', {}, 'Agents'),
    h('table', { id: 'agents-table' },
      h('caption', {}, `${agents.length} agents`),
      h('thead', {}, h('tr', {}, ['Agent', 'Last report (UTC)', 'Liveness', 'Epoch', 'Packets dropped', 'Store use', 'Export backlog', 'Export lag', 'Version'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)),
    agents.some((a) => a.health) ? null : h('p', { class: 'note' }, 'This server does not pass on the agents\' health records: drops, store use, backlog and lag are not shown.'));
  return null;
}
