// Events: state changes (the nodes' histories, then live from the event stream) filtered by node and
// state; acknowledgements and maintenance windows, which an operator creates and ends here.
import * as api from '../api.js';
import { h, notice, fmtTime, stateBadge, nodeLink, table, STATES, hashParams, announce } from '../dom.js';

/** Histories read at most for this many nodes (the worst and the upper levels first). */
const MAX_NODES = 40;

async function stateChanges(filterNode) {
  let ids;
  if (filterNode) ids = [filterNode];
  else {
    const weather = await api.get('/api/v1/weather?all=true');
    const rank = (n) => (n.kind === 'application' ? 0 : n.kind === 'service' ? 1 : 2) * 10 + (n.state === 'OK' ? 5 : 0);
    ids = weather.nodes.slice().sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id)).slice(0, MAX_NODES).map((n) => n.id);
  }
  const details = await Promise.all(ids.map((id) => api.get(`/api/v1/nodes/${api.segment(id)}`).catch(() => null)));
  return details.filter(Boolean).flatMap((d) => (d.history || []).map((x) => ({ node: d.node.id, ...x })));
}

function filterForm(node, state) {
  const nodeInput = h('input', { id: 'filter-node', name: 'node', value: node || '', size: 28 });
  const stateSelect = h('select', { id: 'filter-state', name: 'state' }, h('option', { value: '' }, 'any'),
    STATES.map((x) => h('option', { value: x, selected: x === state }, x)));
  const form = h('form', { class: 'filters', id: 'filter-form' },
    h('label', { for: 'filter-node' }, 'Node'), ' ', nodeInput, ' ', h('label', { for: 'filter-state' }, 'State'), ' ', stateSelect, ' ',
    h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `#/events${api.query({ node: nodeInput.value.trim(), state: stateSelect.value })}`;
  });
  return form;
}

export async function render(main, _args, context) {
  const params = hashParams();
  const node = params.get('node') || '', state = params.get('state') || '';
  const operator = context.session.role === 'operator';
  const changesSection = h('section', { id: 'changes' }, h('p', {}, 'Loading…'));
  const acksSection = h('section', { id: 'acks' });
  const maintenanceSection = h('section', { id: 'maintenance' });
  const status = h('div', { id: 'events-status', role: 'status' });
  main.replaceChildren(h('h1', {}, 'Events'), status, h('h2', {}, 'State changes'), filterForm(node, state), changesSection, acksSection, maintenanceSection);

  let changes = [];
  const drawChanges = () => {
    const shown = changes.filter((c) => (!node || c.node === node) && (!state || c.state === state))
      .sort((a, b) => String(b.at).localeCompare(String(a.at)));
    changesSection.replaceChildren(table(`${shown.length} state changes${node ? ` of ${node}` : ''}${state ? ` to ${state}` : ''}`,
      ['Time (UTC)', 'Node', 'State', 'Previous', 'Causes'],
      shown.slice(0, 500).map((c) => [fmtTime(c.at), nodeLink(c.node), stateBadge(c.state), c.previous ? stateBadge(c.previous) : '', (c.causes || []).join(', ')]),
      { id: 'changes-table' }));
  };
  const act = async (call, done) => {
    try { await call(); announce(done); status.replaceChildren(notice(done)); await drawSides(); } catch (e) { status.replaceChildren(notice(e.message, 'error')); }
  };
  const drawSides = async () => {
    const [acks, windows] = await Promise.all([api.get('/api/v1/acks'), api.get('/api/v1/maintenance')]);
    const ackNode = h('input', { id: 'ack-node', required: true, size: 28 });
    const ackComment = h('input', { id: 'ack-comment', size: 28 });
    const ackForm = h('form', { id: 'ack-form', class: 'inline-form' },
      h('label', { for: 'ack-node' }, 'Node'), ' ', ackNode, ' ', h('label', { for: 'ack-comment' }, 'Comment'), ' ', ackComment, ' ',
      h('button', { type: 'submit' }, 'Acknowledge'));
    ackForm.addEventListener('submit', (event) => {
      event.preventDefault();
      act(() => api.post('/api/v1/acks', { node: ackNode.value.trim(), comment: ackComment.value || undefined }), `${ackNode.value} acknowledged`);
    });
    acksSection.replaceChildren(h('h2', {}, 'Acknowledgements'),
      table(`${acks.length} acknowledgements`, ['Node', 'Author', 'Comment', 'Since', operator ? 'Action' : ''],
        acks.map((a) => [nodeLink(a.node), a.author ?? '', a.comment ?? '', fmtTime(a.at ?? a.created ?? a.since),
          operator ? h('button', { type: 'button', onclick: () => act(() => api.del(`/api/v1/acks/${api.segment(a.node)}`), `acknowledgement of ${a.node} removed`) }, 'Remove') : '']),
        { id: 'acks-table' }),
      operator ? ackForm : null);
    const mNode = h('input', { id: 'mw-node', required: true, size: 28 });
    const mMinutes = h('input', { id: 'mw-minutes', type: 'number', min: 1, max: 527040, value: 60, required: true });
    const mComment = h('input', { id: 'mw-comment', size: 28 });
    const mForm = h('form', { id: 'maintenance-form', class: 'inline-form' },
      h('label', { for: 'mw-node' }, 'Node'), ' ', mNode, ' ', h('label', { for: 'mw-minutes' }, 'Minutes'), ' ', mMinutes, ' ',
      h('label', { for: 'mw-comment' }, 'Comment'), ' ', mComment, ' ', h('button', { type: 'submit' }, 'Start maintenance'));
    mForm.addEventListener('submit', (event) => {
      event.preventDefault();
      act(() => api.post('/api/v1/maintenance', { node: mNode.value.trim(), duration_s: Number(mMinutes.value) * 60, comment: mComment.value || undefined }),
        `maintenance of ${mNode.value} started`);
    });
    maintenanceSection.replaceChildren(h('h2', {}, 'Maintenance windows'),
      table(`${windows.length} maintenance windows`, ['Node', 'Start (UTC)', 'End (UTC)', 'Comment', operator ? 'Action' : ''],
        windows.map((w) => [nodeLink(w.node), fmtTime(w.start), fmtTime(w.end), w.comment ?? '',
          operator ? h('button', { type: 'button', onclick: () => act(() => api.del(`/api/v1/maintenance/${w.id}`), `maintenance window ${w.id} ended`) }, 'End') : '']),
        { id: 'maintenance-table' }),
      operator ? mForm : null);
  };

  try { changes = await stateChanges(node); drawChanges(); } catch (e) { changesSection.replaceChildren(notice(e.message, 'error')); }
  try { await drawSides(); } catch (e) { acksSection.replaceChildren(notice(e.message, 'error')); }

  const source = new EventSource('/api/v1/events');
  source.addEventListener('state', (event) => {
    try {
      const c = JSON.parse(event.data);
      changes.push({ node: c.node, at: c.at, state: c.state, previous: c.previous, causes: c.causes });
      drawChanges();
    } catch { /* a malformed event is skipped */ }
  });
  return () => source.close();
}
