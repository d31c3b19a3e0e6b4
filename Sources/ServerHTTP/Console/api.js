// The console's calls to the server's JSON API (Schemas/server-api.yaml): same origin, the session
// cookie sent by the browser, the session's CSRF token added to every state change.

const CSRF_KEY = 'vigie.csrf';

/** An HTTP answer other than 2xx: its status and the problem's detail. */
export class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export function csrf() { return sessionStorage.getItem(CSRF_KEY); }

export function setCsrf(value) {
  if (value) sessionStorage.setItem(CSRF_KEY, value); else sessionStorage.removeItem(CSRF_KEY);
}

/** One request; JSON bodies in and out, NDJSON and text as text; a problem document as HttpError. */
export async function request(method, path, body) {
  const headers = { Accept: 'application/json, application/x-ndjson;q=0.9, */*;q=0.1' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = csrf();
  if (method !== 'GET' && method !== 'HEAD' && token) headers['X-CSRF-Token'] = token;
  const answer = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!answer.ok) {
    let detail = `${answer.status} ${answer.statusText}`;
    try {
      const problem = await answer.json();
      if (problem && problem.detail) detail = problem.detail;
    } catch { /* not a problem document */ }
    if (answer.status === 401 && path !== '/api/v1/session') window.dispatchEvent(new CustomEvent('vigie:unauthorized'));
    throw new HttpError(answer.status, detail);
  }
  if (answer.status === 204) return null;
  const type = answer.headers.get('Content-Type') || '';
  return type.includes('json') && !type.includes('ndjson') ? answer.json() : answer.text();
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);
export const del = (path) => request('DELETE', path);

/** A node id as one path segment: ids hold ':' and '/' (`10.0.0.5:443/tcp` → `10.0.0.5%3A443%2Ftcp`). */
export const segment = (id) => encodeURIComponent(id);

/** A query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** NDJSON text as objects (a malformed line is skipped). */
export function ndjson(text) {
  const out = [];
  for (const line of String(text || '').split('\n')) {
    if (!line.trim()) continue;
    try { out.push(JSON.parse(line)); } catch { /* skipped */ }
  }
  return out;
}
