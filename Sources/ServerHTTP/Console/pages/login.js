// The login form: a read or operator token exchanged for a session cookie (POST /api/v1/session).
// The token is sent once, in a JSON body; never kept by the page, never in a URL.
import * as api from '../api.js';
import { h, notice } from '../dom.js';

export async function render(main, _args, context) {
  if (context.session.open) { location.hash = '#/weather'; return null; }
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, size: 40 });
  const status = h('div', { id: 'login-status' });
  const form = h('form', { class: 'login', id: 'login-form' },
    h('p', {}, h('label', { for: 'token' }, 'Read or operator token'), ' ', input),
    h('p', {}, h('button', { type: 'submit' }, 'Log in')),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      const answer = await api.post('/api/v1/session', { token: input.value });
      input.value = '';
      api.setCsrf(answer.csrf);
      context.session.role = answer.role;
      context.session.open = false;
      context.showWho();
      const next = sessionStorage.getItem('vigie.after-login') || '#/weather';
      sessionStorage.removeItem('vigie.after-login');
      location.hash = next.startsWith('#/login') ? '#/weather' : next;
    } catch (e) {
      status.replaceChildren(notice(e.status === 401 ? 'This token is not a read or operator token.' : e.message, 'error'));
      input.focus();
    }
  });
  main.replaceChildren(h('h1', {}, 'Log in'),
    h('p', {}, 'The token is exchanged for a session cookie; the console never stores it.'), form);
  input.focus();
  return null;
}
