// Small DOM helpers: elements built with createElement (never innerHTML with data: the text of a
// node id is text), state badges, tables with headers, times.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') element.addEventListener(k.slice(2), v);
    else if (k === 'class') element.setAttribute('class', v);
    else element.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    element.append(c instanceof Node ? c : String(c));
  }
  return element;
}

/** An HTML element: h('a', {href: '#/x'}, 'text', child…). */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
/** An SVG element. */
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

export const STATES = ['OK', 'UP', 'WARNING', 'DEGRADED', 'DOWN', 'REFUSED', 'UNANSWERED', 'UNKNOWN', 'IDLE'];

/** A state as colour and text (the colour alone would say nothing to some readers). */
export function stateBadge(state) {
  const name = String(state || 'UNKNOWN').toUpperCase();
  return h('span', { class: `state state-${name.toLowerCase()}` }, name);
}

/** The state's CSS class (also for SVG fills). */
export const stateClass = (state) => `state-${String(state || 'UNKNOWN').toLowerCase()}`;

/** A link to a node's page. */
export const nodeLink = (id, label) => h('a', { href: `#/node/${encodeURIComponent(id)}` }, label ?? id);

/** A table with a caption, column headers and rows (arrays of cells; a cell may be a node). */
export function table(caption, headers, rows, attrs = {}) {
  return h('table', attrs,
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

/** A time (ISO text or epoch seconds) as ISO without milliseconds, in UTC. */
export function fmtTime(t) {
  if (t === undefined || t === null || t === '') return '';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace('.000Z', 'Z');
}

export function fmtNumber(v, digits = 2) {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'number') return String(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function fmtBytes(v) {
  if (typeof v !== 'number') return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0, x = v;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i += 1; }
  return `${i ? x.toFixed(1) : x} ${units[i]}`;
}

/** A notice (error or information) in the page. */
export const notice = (text, kind = 'info') => h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : null }, text);

/** Announces a change to screen readers (the live region). */
export function announce(text) {
  const live = document.getElementById('live');
  if (live) live.textContent = text;
}

/** The parameters after '?' in the hash (`#/node/x?from=…`). */
export function hashParams() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}
