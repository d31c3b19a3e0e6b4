// Dependency map: the declared impact edges of the inventory and the dependencies the agents
// observed (client → service), as a layered SVG graph; observed dependencies the model does not
// hold yet are highlighted, and an operator confirms or promotes them here.
import * as api from '../api.js';
import { h, s, notice, fmtTime, fmtNumber, stateBadge, stateClass, nodeLink, announce } from '../dom.js';

/** More observed clients than this for one service are drawn as one "N clients" node. */
const MAX_CLIENTS = 4;
const NODE_W = 132, NODE_H = 34, GAP_X = 20, GAP_Y = 70, PAD = 16;

/**
 * The graph: nodes [{id, label, layer, kind, observed}] and edges [{from, to, kind}] where kind is
 * declared | observed (not in the model) | promoted. A node's layer is one below its lowest parent;
 * observed clients sit above everything (they use the services).
 */
export function buildGraph(inventory, deps) {
  const nodes = new Map();
  const edges = [];
  for (const n of inventory.nodes || []) nodes.set(n.id, { id: n.id, label: n.name || n.id, kind: n.kind, layer: 0, observed: false });
  const parents = new Map();
  for (const e of inventory.edges || []) {
    if (!nodes.has(e.child) || !nodes.has(e.parent)) continue;
    if (!parents.has(e.child)) parents.set(e.child, []);
    parents.get(e.child).push(e.parent);
    edges.push({ from: e.parent, to: e.child, kind: 'declared' });
  }
  const layerOf = new Map();
  const depth = (id, seen = new Set()) => {
    if (layerOf.has(id)) return layerOf.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const ps = parents.get(id) || [];
    const d = ps.length ? 1 + Math.max(...ps.map((p) => depth(p, seen))) : 0;
    layerOf.set(id, d);
    return d;
  };
  for (const id of nodes.keys()) nodes.get(id).layer = depth(id);
  const bottom = Math.max(0, ...[...nodes.values()].map((n) => n.layer));
  const byService = new Map();
  for (const d of deps) {
    if (d.status === 'gone') continue;
    if (!byService.has(d.service)) byService.set(d.service, []);
    byService.get(d.service).push(d);
  }
  // Many clients in all: one "N clients" node per service, else the graph is only clients.
  const aggregate = new Set(deps.map((d) => d.client)).size > 3 * MAX_CLIENTS;
  for (const [service, list] of byService) {
    if (!nodes.has(service)) nodes.set(service, { id: service, label: service, kind: 'endpoint', layer: bottom + 1, observed: true });
    const kindOf = (ds) => (ds.every((d) => d.promoted) ? 'promoted' : 'observed');
    if (aggregate || list.length > MAX_CLIENTS) {
      const id = `clients of ${service}`;
      nodes.set(id, { id, label: list.length === 1 ? list[0].client : `${list.length} clients`, kind: 'client', layer: -1, observed: true, group: true });
      edges.push({ from: id, to: service, kind: kindOf(list) });
    } else {
      for (const d of list) {
        const id = `client ${d.client}`;
        if (!nodes.has(id)) nodes.set(id, { id, label: d.client, kind: 'client', layer: -1, observed: true });
        edges.push({ from: id, to: service, kind: kindOf([d]) });
      }
    }
  }
  return { nodes: [...nodes.values()], edges };
}

/**
 * Positions: rows by layer (observed clients on top), the upper inventory layers first; a node sits
 * under the mean x of the nodes it is linked to in the rows already placed (its parents; for a
 * client, its services), then overlaps are pushed right. Few crossings, no solver.
 */
export function layout(graph) {
  const layers = new Map();
  for (const n of graph.nodes) {
    if (!layers.has(n.layer)) layers.set(n.layer, []);
    layers.get(n.layer).push(n);
  }
  const rows = [...layers.keys()].sort((a, b) => a - b);
  const placing = [...rows.filter((l) => l >= 0), ...rows.filter((l) => l < 0)];
  const linked = new Map();
  for (const e of graph.edges) {
    for (const [a, b] of [[e.from, e.to], [e.to, e.from]]) {
      if (!linked.has(a)) linked.set(a, []);
      linked.get(a).push(b);
    }
  }
  const x = new Map();
  const step = NODE_W + GAP_X;
  const layerOf = new Map(graph.nodes.map((n) => [n.id, n.layer]));
  // One row: each node at the mean x of its links in the rows `from` selects, overlaps pushed right.
  const place = (layer, from) => {
    const list = layers.get(layer).map((n) => {
      const xs = (linked.get(n.id) || []).filter((o) => x.has(o) && from(layerOf.get(o))).map((o) => x.get(o));
      return { n, ideal: xs.length ? xs.reduce((p, q) => p + q, 0) / xs.length : null };
    });
    if (list.every((v) => v.ideal === null)) list.forEach((v, i) => { v.ideal = PAD + i * step; });
    list.sort((p, q) => (p.ideal ?? Infinity) - (q.ideal ?? Infinity) || p.n.id.localeCompare(q.n.id));
    let next = PAD;
    for (const v of list) {
      const at = Math.max(next, v.ideal ?? next);
      x.set(v.n.id, at);
      next = at + step;
    }
  };
  // Down from the top (children under their parents), back up (parents over their children),
  // then the clients over their services.
  const inventoryRows = placing.filter((l) => l >= 0);
  for (const layer of inventoryRows) place(layer, (l) => l < layer);
  for (const layer of inventoryRows.slice(0, -1).reverse()) place(layer, (l) => l === layer + 1);
  for (const layer of placing.filter((l) => l < 0)) place(layer, (l) => l >= 0);
  const pos = new Map();
  rows.forEach((layer, row) => { for (const n of layers.get(layer)) pos.set(n.id, { x: x.get(n.id), y: PAD + row * (NODE_H + GAP_Y) }); });
  const width = Math.max(...[...pos.values()].map((p) => p.x)) + NODE_W + PAD;
  const height = PAD * 2 + rows.length * (NODE_H + GAP_Y) - GAP_Y;
  return { pos, width, height };
}

function drawGraph(graph, states) {
  const { pos, width, height } = layout(graph);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'graph', role: 'img', 'aria-labelledby': 'map-title' });
  for (const e of graph.edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) continue;
    svg.append(s('line', { x1: a.x + NODE_W / 2, y1: a.y + NODE_H, x2: b.x + NODE_W / 2, y2: b.y, class: `edge edge-${e.kind}` },
      s('title', {}, `${e.from} → ${e.to} (${e.kind})`)));
  }
  for (const n of graph.nodes) {
    const p = pos.get(n.id);
    const state = states.get(n.id);
    const label = n.label.length > 20 ? `${n.label.slice(0, 19)}…` : n.label;
    const box = s('g', { class: `node ${n.observed ? 'node-observed' : ''}` },
      s('rect', { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: 4, class: state ? stateClass(state) : 'state-none' }),
      s('text', { x: p.x + NODE_W / 2, y: p.y + 14, 'text-anchor': 'middle' }, label),
      s('text', { x: p.x + NODE_W / 2, y: p.y + 28, 'text-anchor': 'middle', class: 'small' }, state || n.kind),
      s('title', {}, `${n.id}${state ? ` — ${state}` : ''}`));
    svg.append(n.kind === 'client' ? box : s('a', { href: `#/node/${encodeURIComponent(n.id)}` }, box));
  }
  return svg;
}

export async function render(main, _args, context) {
  const operator = context.session.role === 'operator';
  const status = h('div', { id: 'map-status', role: 'status' });
  const draw = async () => {
    const [inventory, deps, weather] = await Promise.all([api.get('/api/v1/inventory'), api.get('/api/v1/dependencies'), api.get('/api/v1/weather?all=true')]);
    const states = new Map(weather.nodes.map((n) => [n.id, n.state]));
    const graph = buildGraph(inventory, deps);
    const parents = (inventory.nodes || []).filter((n) => n.kind === 'application' || n.kind === 'service').map((n) => n.id).sort();
    const rows = deps.map((d) => {
      const actions = [];
      if (operator && !d.confirmed) {
        actions.push(h('button', { type: 'button', class: 'confirm', 'data-id': d.id, onclick: () => act(`/api/v1/dependencies/${d.id}/confirm`, undefined, `dependency ${d.client} → ${d.service} confirmed`) }, 'Confirm'));
      }
      if (operator && !d.promoted && parents.length) {
        const select = h('select', { id: `parent-${d.id}`, 'aria-label': `Parent for ${d.service}` }, parents.map((p) => h('option', { value: p }, p)));
        actions.push(' ', select, ' ', h('button', { type: 'button', class: 'promote', 'data-id': d.id, onclick: () => act(`/api/v1/dependencies/${d.id}/promote`, { parent: select.value }, `${d.service} promoted under ${select.value}`) }, 'Promote'));
      }
      return h('tr', { class: d.promoted ? '' : 'observed-only', 'data-dependency': d.id },
        h('th', { scope: 'row' }, d.client), h('td', {}, nodeLink(d.service)), h('td', {}, d.status),
        h('td', {}, d.promoted ? 'in the model' : h('strong', {}, 'observed only')),
        h('td', {}, fmtNumber(d.attempts)), h('td', {}, fmtNumber(d.failures)), h('td', {}, fmtTime(d.last_seen)), h('td', {}, actions));
    });
    main.replaceChildren(h('h1', { id: 'map-title' }, 'Dependencies'),
      h('p', {}, 'Solid lines: declared impact edges (inventory). ', h('span', { class: 'legend-observed' }, 'Dashed orange: observed by the agents, not in the model'),
        '. Blue dashes: observed and promoted. Node colours and labels are states: ', stateBadge('OK'), ' ', stateBadge('DEGRADED'), ' ', stateBadge('DOWN'), ' ', stateBadge('UNKNOWN'), '.'),
      status,
      h('div', { class: 'graph-wrap' }, drawGraph(graph, states)),
      h('table', { id: 'dependencies-table' },
        h('caption', {}, `${deps.length} observed dependencies`),
        h('thead', {}, h('tr', {}, ['Client', 'Service', 'Status', 'Model', 'Attempts', 'Failures', 'Last seen (UTC)', operator ? 'Actions' : ''].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, rows)));
  };
  const act = async (path, body, done) => {
    try {
      await api.post(path, body === undefined ? {} : body);
      announce(done);
      await draw();
      status.replaceChildren(notice(done));
    } catch (e) {
      status.replaceChildren(notice(e.message, 'error'));
    }
  };
  main.replaceChildren(h('h1', { id: 'map-title' }, 'Dependencies'), h('p', {}, 'Loading…'));
  await draw();
  return null;
}
