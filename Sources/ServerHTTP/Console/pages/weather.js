// Weather: the application → service → endpoint tree (inventory edges) with each node's state,
// coverage, causes, root causes, maintenance and acknowledgement; re-read on every state change the
// server streams (GET /api/v1/events), without reloading the page.
import * as api from '../api.js';
import { h, stateBadge, nodeLink, notice, fmtTime, announce } from '../dom.js';

const ORDER = { application: 0, service: 1, host: 2, site: 3, endpoint: 4, agent: 5 };

/** Tree rows in depth-first order: [{entry, depth}], roots first (nodes without a parent). */
export function treeRows(weather, inventory) {
  const byID = new Map(weather.nodes.map((n) => [n.id, n]));
  const children = new Map();
  const hasParent = new Set();
  for (const e of (inventory && inventory.edges) || []) {
    if (!byID.has(e.child) || !byID.has(e.parent)) continue;
    if (!children.has(e.parent)) children.set(e.parent, []);
    children.get(e.parent).push(e.child);
    hasParent.add(e.child);
  }
  const sortIDs = (ids) => ids.sort((a, b) => {
    const x = byID.get(a), y = byID.get(b);
    return (ORDER[x.kind] ?? 9) - (ORDER[y.kind] ?? 9) || a.localeCompare(b);
  });
  const rows = [];
  const seen = new Set();
  const walk = (id, depth) => {
    if (seen.has(id)) return;
    seen.add(id);
    rows.push({ entry: byID.get(id), depth });
    for (const c of sortIDs([...(children.get(id) || [])])) walk(c, depth + 1);
  };
  for (const id of sortIDs(weather.nodes.map((n) => n.id).filter((id) => !hasParent.has(id)))) walk(id, 0);
  for (const n of weather.nodes) walk(n.id, 0);  // anything left (a cycle cannot happen, but stay total)
  return rows;
}

function flags(e) {
  const out = [];
  if (e.maintenance) out.push(h('span', { class: 'flag flag-maintenance' }, 'maintenance'));
  if (e.acknowledged) out.push(h('span', { class: 'flag flag-ack' }, 'acknowledged'));
  if (e.flapping) out.push(h('span', { class: 'flag flag-flapping' }, 'flapping'));
  if (e.idle) out.push(h('span', { class: 'flag' }, 'idle'));
  if (e.forced) out.push(h('span', { class: 'flag' }, 'forced'));
  return out;
}

const links = (ids) => (ids || []).flatMap((id, i) => (i ? [', ', nodeLink(id)] : [nodeLink(id)]));

function summary(weather) {
  const counts = {};
  for (const n of weather.nodes) counts[n.state] = (counts[n.state] || 0) + 1;
  return h('p', { class: 'summary' }, `${weather.nodes.length} nodes: `,
    Object.entries(counts).sort().flatMap(([state, n], i) => [i ? ', ' : '', `${n} `, stateBadge(state)]),
    `. Updated ${fmtTime(weather.generated_at)}.`);
}

function draw(section, weather, inventory) {
  const rows = treeRows(weather, inventory).map(({ entry: e, depth }) => h('tr', { class: `depth-${Math.min(depth, 6)}`, 'data-node': e.id, 'data-state': e.state },
    h('th', { scope: 'row' }, h('span', { class: 'indent' }, nodeLink(e.id, e.name || e.id)), e.name ? h('small', { class: 'id' }, e.id) : null),
    h('td', {}, e.kind),
    h('td', {}, stateBadge(e.state)),
    h('td', {}, `${Math.round((e.coverage ?? 0) * 100)} %`),
    h('td', { class: 'causes' }, links(e.causes)),
    h('td', { class: 'root-causes' }, links(e.root_causes)),
    h('td', {}, flags(e))));
  section.replaceChildren(summary(weather),
    h('table', { id: 'weather-table', class: 'tree' },
      h('caption', {}, 'Applications, services and endpoints'),
      h('thead', {}, h('tr', {}, ['Node', 'Kind', 'State', 'Coverage', 'Causes', 'Root causes', 'Flags'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}

export async function render(main) {
  const section = h('div', { id: 'weather' }, h('p', {}, 'Loading…'));
  const live = h('p', { class: 'live-status', id: 'live-status' }, 'Live updates: connecting…');
  main.replaceChildren(h('h1', {}, 'Weather'), live, section);

  let inventory = null;
  let pending = null;
  const refresh = async () => {
    try {
      const [weather, inv] = await Promise.all([api.get('/api/v1/weather?all=true'), inventory ? inventory : api.get('/api/v1/inventory')]);
      inventory = inv;
      draw(section, weather, inventory);
    } catch (e) {
      section.replaceChildren(notice(`The weather could not be read: ${e.message}`, 'error'));
    }
  };
  await refresh();

  // A burst of state changes (an outage touches many endpoints) is one re-read.
  const source = new EventSource('/api/v1/events');
  source.addEventListener('open', () => { live.textContent = 'Live updates: on'; });
  source.addEventListener('error', () => { live.textContent = 'Live updates: reconnecting…'; });
  source.addEventListener('state', (event) => {
    try {
      const change = JSON.parse(event.data);
      announce(`${change.node} is now ${change.state}`);
    } catch { /* the re-read says it all */ }
    if (pending) return;
    pending = setTimeout(async () => { pending = null; inventory = null; await refresh(); }, 300);
  });
  return () => { source.close(); if (pending) clearTimeout(pending); };
}
