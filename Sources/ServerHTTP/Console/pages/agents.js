// Agents: each agent's last report and, when the server passes on its last agent_health record,
// drops, store use, export backlog and the rest; from the fleet registry (docs/fleet.md), its
// group, version and where its central configuration stands.
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

/** Where an agent's central configuration stands: applied/desired versions, and a refusal's error. */
export function configText(r) {
  const versions = `v${r.applied_version} of v${r.desired_version}`;
  if (r.config_state === 'refused') return `${versions}: refused — ${r.config_error ?? ''}`;
  if (r.config_state === 'pending') return `${versions}: pending`;
  return r.pending_restart && r.pending_restart.length ? `${versions} (restart for ${r.pending_restart.join(', ')})` : versions;
}

export async function render(main) {
  main.replaceChildren(h('h1', {}, 'Agents'), h('p', {}, 'Loading…'));
  let agents;
  try { agents = await api.get('/api/v1/agents'); } catch (e) { main.replaceChildren(h('h1', {}, 'Agents'), notice(e.message, 'error')); return null; }
  // The fleet registry: agents that registered but sent no record yet are listed too.
  let fleet = [];
  try { fleet = await api.get('/api/v1/fleet/agents'); } catch { fleet = []; }
  const registered = new Map(fleet.map((f) => [f.agent, f]));
  for (const f of fleet) if (!agents.some((a) => a.agent === f.agent)) agents.push({ agent: f.agent, fresh: false });
  const rows = agents.map((a) => {
    const f = healthFigures(typeof a.health === 'string' ? (() => { try { return JSON.parse(a.health); } catch { return null; } })() : a.health);
    const r = registered.get(a.agent);
    if (r && r.registration && !f.version) f.version = r.registration.version;
    return h('tr', { 'data-agent': a.agent },
      h('th', { scope: 'row' }, a.agent),
      h('td', {}, fmtTime(a.last_seen)),
      h('td', {}, a.fresh ? h('span', { class: 'state state-ok' }, 'FRESH') : h('span', { class: 'state state-unknown' }, 'STALE')),
      h('td', {}, String(a.epoch ?? '')),
      h('td', {}, f.dropped), h('td', {}, f.store), h('td', {}, f.backlog), h('td', {}, f.lag), h('td', {}, f.version),
      h('td', {}, r ? (r.group ?? '') : ''), h('td', {}, r ? configText(r) : ''));
  });
  main.replaceChildren(h('h1', {}, 'Agents'),
    h('table', { id: 'agents-table' },
      h('caption', {}, `${agents.length} agents`),
      h('thead', {}, h('tr', {}, ['Agent', 'Last report (UTC)', 'Liveness', 'Epoch', 'Packets dropped', 'Store use', 'Export backlog', 'Export lag', 'Version', 'Group', 'Configuration'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)),
    agents.some((a) => a.health) ? null : h('p', { class: 'note' }, 'This server does not pass on the agents\' health records: drops, store use, backlog and lag are not shown.'));
  return null;
}
