// Settings: the account's sessions (devices) with sign-out per device, and the password.

import { h, replace, dayOf, timeOf } from '../dom.js';
import { ApiError } from '../api.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').Session} Session */

/** @param {HTMLElement} pane @param {Store} store */
export function renderSettings(pane, store) {
  const api = store.api;
  const sessionsEl = h('ul', { class: 'sessions', role: 'list' });
  const status = h('p', { class: 'form-status', role: 'status' });

  /** @param {unknown} e */
  const say = (e) => { status.textContent = e instanceof ApiError ? e.humane : String(e); };

  const load = async () => {
    /** @type {{ sessions: Session[] }} */
    const body = await api.get('/auth/sessions');
    replace(sessionsEl, body.sessions.map((s) => h(
      'li',
      { class: 'session' },
      h('span', {}, h('strong', {}, s.device_name || s.user_agent || 'Unknown device'), s.current ? h('span', { class: 'tag' }, ' this device') : null),
      h('span', { class: 'hint' }, `${s.ip ?? ''} · last active ${dayOf(s.last_active_at)} ${timeOf(s.last_active_at)}`),
      s.current ? null : h('button', {
        type: 'button',
        'aria-label': `Sign out ${s.device_name || s.user_agent || 'this device'}`,
        onclick: () => api.del(`/auth/sessions/${s.id}`).then(load, say),
      }, 'Sign out'),
    )));
  };

  /** @param {Event} e */
  const changePassword = async (e) => {
    e.preventDefault();
    const form = /** @type {HTMLFormElement} */ (e.currentTarget);
    const data = new FormData(form);
    try {
      await api.post('/auth/password/change', { current_password: data.get('current'), new_password: data.get('next') });
      form.reset();
      status.textContent = 'Password changed. Your other devices were signed out.';
      await load();
    } catch (err) { say(err); }
  };

  replace(
    pane,
    h('section', { class: 'page', 'aria-labelledby': 'settings-title' },
      h('header', { class: 'conv-header' }, h('a', { href: '#/', class: 'back', 'aria-label': 'Back to conversations' }, '‹'), h('h1', { id: 'settings-title' }, 'Settings')),
      h('p', {}, `Signed in as ${store.me.display_name} (@${store.me.username})`),
      status,
      h('section', { 'aria-labelledby': 'sessions-title' }, h('h2', { id: 'sessions-title' }, 'Devices'), sessionsEl),
      h('form', { class: 'password-form', 'aria-labelledby': 'password-title', onsubmit: changePassword },
        h('h2', { id: 'password-title' }, 'Change password'),
        h('div', { class: 'field' }, h('label', { for: 'pw-current' }, 'Current password'), h('input', { id: 'pw-current', name: 'current', type: 'password', required: true, autocomplete: 'current-password' })),
        h('div', { class: 'field' }, h('label', { for: 'pw-next' }, 'New password'), h('input', { id: 'pw-next', name: 'next', type: 'password', required: true, minlength: '8', autocomplete: 'new-password' })),
        h('button', { type: 'submit', class: 'primary' }, 'Change password'))),
  );
  load().catch(say);
}
