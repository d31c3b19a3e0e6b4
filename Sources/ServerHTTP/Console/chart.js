// SVG line charts drawn here (no library): time on x, one line per metric, a gap where buckets
// have no data; every chart is followed by its data as a table (what a screen reader reads, and
// what the browser test counts: one row per point).
import { h, s, fmtTime, fmtNumber, stateClass } from './dom.js';

const W = 720, H = 220, L = 56, R = 12, T = 12, B = 28;

function ticks(max) {
  if (!(max > 0)) return [0];
  const raw = max / 4, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= raw) || raw;
  const out = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(v);
  return out;
}

/**
 * A figure: title, SVG chart and data table.
 * spec: {id, title, unit, keys: [{key, label}], points: [{t, key…}], from, to, stepSeconds, note}
 */
export function lineChart(spec) {
  const t0 = Date.parse(spec.from), t1 = Math.max(Date.parse(spec.to), t0 + 1);
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const values = spec.points.flatMap((p) => spec.keys.map((k) => p[k.key]).filter((v) => typeof v === 'number'));
  const yTicks = ticks(Math.max(0, ...values));
  const top = yTicks[yTicks.length - 1] || 1;
  const y = (v) => H - B - (v / top) * (H - T - B);
  const titleID = `${spec.id}-title`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': titleID });
  for (const v of yTicks) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: L - 6, y: y(v) + 4, class: 'tick', 'text-anchor': 'end' }, fmtNumber(v, 1)));
  }
  for (let i = 0; i <= 4; i += 1) {
    const t = t0 + ((t1 - t0) * i) / 4;
    svg.append(s('text', { x: x(t), y: H - 8, class: 'tick', 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' },
      fmtTime(new Date(t).toISOString()).slice(5, 16).replace('T', ' ')));
  }
  svg.append(s('line', { x1: L, x2: L, y1: T, y2: H - B, class: 'axis' }), s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis' }));
  const gap = Math.max(1, spec.stepSeconds || 60) * 1000 * 1.5;
  spec.keys.forEach((k, i) => {
    let run = [], last = null;
    const flush = () => {
      if (run.length === 1) svg.append(s('circle', { cx: run[0][0], cy: run[0][1], r: 2.5, class: `series series-${i}` }));
      else if (run.length > 1) svg.append(s('polyline', { points: run.map((p) => p.join(',')).join(' '), class: `series series-${i}` }));
      run = [];
    };
    for (const p of spec.points) {
      const v = p[k.key];
      const t = Date.parse(p.t);
      if (typeof v !== 'number' || Number.isNaN(t)) { flush(); last = null; continue; }
      if (last !== null && t - last > gap) flush();
      run.push([x(t).toFixed(1), y(v).toFixed(1)]);
      last = t;
    }
    flush();
  });
  const legend = h('ul', { class: 'legend' }, spec.keys.map((k, i) => h('li', {}, h('span', { class: `swatch series-${i}`, 'aria-hidden': 'true' }), k.label)));
  const rows = spec.points.map((p) => h('tr', {}, h('th', { scope: 'row' }, fmtTime(p.t)), spec.keys.map((k) => h('td', {}, fmtNumber(p[k.key])))));
  const dataTable = h('table', { class: 'data', 'data-chart': spec.id },
    h('caption', {}, `${spec.title}: ${spec.points.length} points`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time (UTC)'), spec.keys.map((k) => h('th', { scope: 'col' }, k.label)))),
    h('tbody', {}, rows));
  return h('figure', { class: 'chart-figure', id: spec.id },
    h('figcaption', { id: titleID }, spec.title, spec.unit ? ` (${spec.unit})` : ''),
    spec.points.length ? svg : h('p', { class: 'no-data' }, 'No data in this range.'),
    legend, spec.note ? h('p', { class: 'note' }, spec.note) : null,
    h('details', { class: 'data-table', open: true }, h('summary', {}, 'Data'), dataTable));
}

/** A state timeline: one coloured band per state period, with its state as text in a table. */
export function stateTimeline({ id, changes, from, to }) {
  const t0 = Date.parse(from), t1 = Math.max(Date.parse(to), t0 + 1);
  const x = (t) => L + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * (W - L - R);
  const sorted = [...changes].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const svg = s('svg', { viewBox: `0 0 ${W} 40`, class: 'timeline', role: 'img', 'aria-labelledby': `${id}-title` });
  // A band per period; the state before the range is the last change before it.
  const bands = [];
  let start = t0, state = null;
  for (const c of sorted) {
    const t = Date.parse(c.at);
    if (t <= t0) { state = c.state; continue; }
    if (t >= t1) break;
    bands.push({ start, end: t, state });
    start = t; state = c.state;
  }
  bands.push({ start, end: t1, state });
  const known = bands.filter((b) => b.state);
  for (const b of known) {
    svg.append(s('rect', { x: x(b.start), y: 4, width: Math.max(1, x(b.end) - x(b.start)), height: 22, class: `band ${stateClass(b.state)}` },
      s('title', {}, `${b.state} ${fmtTime(new Date(b.start).toISOString())} → ${fmtTime(new Date(b.end).toISOString())}`)));
  }
  const inRange = sorted.filter((c) => { const t = Date.parse(c.at); return t >= t0 && t <= t1; });
  return h('figure', { class: 'timeline-figure', id },
    h('figcaption', { id: `${id}-title` }, 'State timeline'),
    known.length ? svg : h('p', { class: 'no-data' }, 'No state known in this range.'),
    h('table', { class: 'data' }, h('caption', {}, `${inRange.length} state changes in the range`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time (UTC)'), h('th', { scope: 'col' }, 'State'))),
      h('tbody', {}, inRange.map((c) => h('tr', {}, h('th', { scope: 'row' }, fmtTime(c.at)), h('td', {}, h('span', { class: `state ${stateClass(c.state)}` }, c.state)))))));
}
