// The console's shell: who is logged in, the hash router (#/weather, #/node/<id>, #/map, #/agents,
// #/events, #/drilldown/<id>, #/login), and the page modules it loads on demand.
import * as api from './api.js';
import { h, notice } from './dom.js';

const pages = {
  weather: () => import('./pages/weather.js'),
  node: () => import('./pages/node.js'),
  map: () => import('./pages/map.js'),
  agents: () => import('./pages/agents.js'),
  events: () => import('./pages/events.js'),
  drilldown: () => import('./pages/drilldown.js'),
  login: () => import('./pages/login.js'),
};

/** What the pages know of the session: role ('read' | 'operator'), open (no login needed). */
const session = { role: null, open: false, known: false };
let leave = null;          // the current page's clean-up (closes its event stream)
let firstRoute = true;

async function whoAmI() {
  try {
    const answer = await api.get('/api/v1/session');
    session.role = answer.role;
    session.open = Boolean(answer.open);
    api.setCsrf(answer.csrf || null);
  } catch (e) {
    if (!(e instanceof api.HttpError) || e.status !== 401) throw e;
    session.role = null;
    session.open = false;
    api.setCsrf(null);
  }
  session.known = true;
  showWho();
}

function showWho() {
  const who = document.getElementById('who');
  const logout = document.getElementById('logout');
  if (session.open) who.textContent = 'no login needed on this server';
  else who.textContent = session.role ? `logged in: ${session.role}` : 'not logged in';
  logout.hidden = !session.role || session.open;
}

async function logOut() {
  try { await api.del('/api/v1/session'); } catch { /* gone already */ }
  session.role = null;
  api.setCsrf(null);
  showWho();
  location.hash = '#/login';
}

/** The page and its arguments from the hash: `#/node/<encoded id>?range=…`. */
function parseHash() {
  const raw = location.hash.startsWith('#/') ? location.hash.slice(2) : '';
  const path = raw.split('?')[0];
  const [page, ...rest] = path.split('/');
  let args;
  try { args = rest.map(decodeURIComponent); } catch { args = rest; }
  return { page: page || 'weather', args };
}

async function route() {
  if (!location.hash.startsWith('#/') && location.hash !== '') return;  // an in-page anchor
  if (leave) { try { leave(); } catch { /* best effort */ } leave = null; }
  const main = document.getElementById('main');
  const { page, args } = parseHash();
  if (!session.known) await whoAmI();
  if (!session.role && page !== 'login') {
    sessionStorage.setItem('vigie.after-login', location.hash || '#/weather');
    location.hash = '#/login';
    return;
  }
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#/${page}`) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const load = pages[page];
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  if (!load) {
    main.replaceChildren(h('h1', {}, 'Not found'), notice(`No page '${page}'.`, 'error'));
    return;
  }
  try {
    const module = await load();
    const context = { session, whoAmI, showWho };
    leave = (await module.render(main, args, context)) || null;
  } catch (e) {
    main.replaceChildren(h('h1', {}, 'Error'), notice(e.message || String(e), 'error'));
  }
  // Keyboard and screen-reader users land on the new content (not on the first load).
  if (!firstRoute) main.focus({ preventScroll: true });
  firstRoute = false;
}

window.addEventListener('hashchange', route);
window.addEventListener('vigie:unauthorized', () => {
  session.role = null;
  showWho();
  if (!location.hash.startsWith('#/login')) {
    sessionStorage.setItem('vigie.after-login', location.hash);
    location.hash = '#/login';
  }
});
document.getElementById('logout').addEventListener('click', logOut);
route();
