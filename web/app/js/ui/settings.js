// Settings: profile, privacy and notification choices, the account's sessions (devices)
// with sign-out per device, and the password.

import { h, replace, dayOf, timeOf, pageHeader } from '../dom.js';
import { humane } from '../api.js';
import { upload } from '../attachments.js';
import { avatar } from './chatlist.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').Session} Session */

/** @param {HTMLElement} pane @param {Store} store @param {() => void} signOut */
export function renderSettings(pane, store, signOut) {
  const api = store.api;
  const sessionsEl = h('ul', { class: 'sessions', role: 'list' });
  const status = h('p', { class: 'form-status', role: 'status' });
  const privacyEl = h('div', {});

  /** @param {unknown} e */
  const say = (e) => { status.textContent = humane(e); };

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
      pageHeader('settings-title', 'Settings'),
      h('p', {}, `Signed in as ${store.me.display_name} (@${store.me.username}) `, h('button', { type: 'button', onclick: signOut }, 'Sign out')),
      status,
      profileForm(store, say),
      privacyEl,
      h('section', { 'aria-labelledby': 'sessions-title' }, h('h2', { id: 'sessions-title' }, 'Devices'), sessionsEl),
      h('form', { class: 'password-form', 'aria-labelledby': 'password-title', onsubmit: changePassword },
        h('h2', { id: 'password-title' }, 'Change password'),
        h('div', { class: 'field' }, h('label', { for: 'pw-current' }, 'Current password'), h('input', { id: 'pw-current', name: 'current', type: 'password', required: true, autocomplete: 'current-password' })),
        h('div', { class: 'field' }, h('label', { for: 'pw-next' }, 'New password'), h('input', { id: 'pw-next', name: 'next', type: 'password', required: true, minlength: '8', autocomplete: 'new-password' })),
        h('button', { type: 'submit', class: 'primary' }, 'Change password'))),
  );
  load().catch(say);
  api.get('/users/me/settings').then((/** @type {Prefs} */ prefs) => replace(privacyEl, privacyForm(store, prefs, say)), say);
}

/**
 * @typedef {{ privacy: Record<string, string>, notifications: Record<string, boolean> }} Prefs
 */

const CHOICES = /** @type {[string, string, string[]][]} */ ([
  ['presence', 'Who sees when I am online', ['everyone', 'contacts', 'nobody']],
  ['last_seen', 'Who sees when I was last online', ['everyone', 'contacts', 'nobody']],
  ['direct_messages', 'Who may start a direct chat with me', ['everyone', 'contacts']],
  ['group_invites', 'Who may add me to groups', ['everyone', 'contacts', 'nobody']],
]);

const NOTIFY = /** @type {[string, string][]} */ ([
  ['messages', 'Messages while I am away'],
  ['mentions', 'Mentions'],
  ['contact_requests', 'Contact requests'],
  ['group_invites', 'Being added to groups'],
  ['email_digest', 'An e-mail digest of what I missed'],
]);

/** @param {Store} store @param {Prefs} prefs @param {(e: unknown) => void} say */
function privacyForm(store, prefs, say) {
  return h('form', { class: 'password-form', 'aria-labelledby': 'privacy-title', onsubmit: async (/** @type {Event} */ e) => {
    e.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (e.currentTarget));
    const privacy = Object.fromEntries(CHOICES.map(([key]) => [key, String(data.get(key))]));
    const notifications = Object.fromEntries(NOTIFY.map(([key]) => [key, data.get(`n-${key}`) === 'on']));
    try {
      await store.api.patch('/users/me/settings', { privacy, notifications });
      say('Saved.');
    } catch (err) { say(err); }
  } },
  h('h2', { id: 'privacy-title' }, 'Privacy and notifications'),
  CHOICES.map(([key, label, options]) => h('div', { class: 'field' },
    h('label', { for: `p-${key}` }, label),
    h('select', { id: `p-${key}`, name: key }, options.map((o) => h('option', { value: o, selected: prefs.privacy[key] === o }, o[0].toUpperCase() + o.slice(1)))))),
  h('fieldset', {}, h('legend', {}, 'Notify me of'),
    NOTIFY.map(([key, label]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `n-${key}`, checked: prefs.notifications[key] === true }), ` ${label}`))),
  h('button', { type: 'submit', class: 'primary' }, 'Save'));
}

/** @param {Store} store @param {(e: unknown) => void} say */
function profileForm(store, say) {
  const me = store.me;
  let preview = avatar(store, me.avatar_id, me.display_name, null);
  return h('form', { class: 'password-form', 'aria-labelledby': 'profile-title', onsubmit: async (/** @type {Event} */ e) => {
    e.preventDefault();
    const data = new FormData(/** @type {HTMLFormElement} */ (e.currentTarget));
    try {
      const user = await store.api.patch('/users/me', { display_name: data.get('display_name'), status_text: data.get('status_text'), bio: data.get('bio') });
      Object.assign(me, user);
      say('Profile saved.');
    } catch (err) { say(err); }
  } },
  h('h2', { id: 'profile-title' }, 'Profile'),
  h('div', { class: 'field picture' }, preview,
    h('label', { for: 'pf-picture' }, 'Picture'),
    h('input', { id: 'pf-picture', type: 'file', accept: 'image/*', onchange: async (/** @type {Event} */ e) => {
      const input = /** @type {HTMLInputElement} */ (e.currentTarget);
      const file = input.files?.[0];
      if (!file) return;
      try {
        const stored = await upload(store.api, file, () => {});
        Object.assign(me, await store.api.patch('/users/me', { avatar_id: stored.id }));
        preview.replaceWith((preview = avatar(store, me.avatar_id, me.display_name, null)));
        say('Picture saved.');
      } catch (err) { say(err); }
    } })),
  h('div', { class: 'field' }, h('label', { for: 'pf-name' }, 'Display name'), h('input', { id: 'pf-name', name: 'display_name', value: me.display_name, required: true, maxlength: '64' })),
  h('div', { class: 'field' }, h('label', { for: 'pf-status' }, 'Status'), h('input', { id: 'pf-status', name: 'status_text', value: me.status_text ?? '', maxlength: '140' })),
  h('div', { class: 'field' }, h('label', { for: 'pf-bio' }, 'About me'), h('textarea', { id: 'pf-bio', name: 'bio', rows: 3, maxlength: '500' }, me.bio ?? '')),
  h('button', { type: 'submit', class: 'primary' }, 'Save profile'));
}
