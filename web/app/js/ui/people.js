// People: find users, ask them to be contacts, answer requests, start a direct chat, and
// create a group or a channel with contacts.

import { h, replace, pageHeader } from '../dom.js';
import { humane } from '../api.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').User} User */
/** @typedef {import('../types.js').Contacts} Contacts */

/** @param {HTMLElement} pane @param {Store} store */
export function renderPeople(pane, store) {
  const api = store.api;
  const status = h('p', { class: 'form-error', role: 'alert' });
  const results = h('ul', { class: 'people', role: 'list', 'aria-label': 'Search results' });
  const contactsEl = h('div', {});
  /** @type {Contacts} */
  let contacts = { contacts: [], incoming: [], outgoing: [] };

  /** @param {unknown} e */
  const fail = (e) => { status.textContent = humane(e, 'Something went wrong.'); };

  /** @param {string} userId */
  const message = async (userId) => {
    try {
      const conversation = await api.post('/conversations', { kind: 'direct', user_id: userId });
      await store.loadChats();
      location.hash = `#/c/${conversation.id}`;
    } catch (e) { fail(e); }
  };

  /** @param {() => Promise<unknown>} action */
  const then = async (action) => {
    status.textContent = '';
    try {
      await action();
      await loadContacts();
    } catch (e) { fail(e); }
  };

  /** @param {User} user @param {...(Node | null)} buttons */
  const person = (user, ...buttons) => h(
    'li',
    { class: 'person' },
    h('span', { class: 'person-name' }, user.display_name, h('span', { class: 'handle' }, ` @${user.username}`)),
    h('span', { class: 'person-actions' }, buttons),
  );

  const messageButton = (/** @type {User} */ u) => h('button', { type: 'button', onclick: () => message(u.id), 'aria-label': `Message ${u.display_name}` }, 'Message');

  const renderContacts = () => {
    const known = new Set([...contacts.contacts, ...contacts.incoming, ...contacts.outgoing].map((c) => c.user.id));
    replace(
      contactsEl,
      contacts.incoming.length ? h('section', { 'aria-labelledby': 'incoming-title' },
        h('h2', { id: 'incoming-title' }, 'Contact requests'),
        h('ul', { class: 'people', role: 'list' }, contacts.incoming.map((c) => person(c.user,
          h('button', { type: 'button', class: 'primary', onclick: () => then(() => api.post(`/contacts/${c.user.id}/accept`)), 'aria-label': `Accept ${c.user.display_name}` }, 'Accept'),
          h('button', { type: 'button', onclick: () => then(() => api.del(`/contacts/${c.user.id}`)), 'aria-label': `Decline ${c.user.display_name}` }, 'Decline'))))) : null,
      h('section', { 'aria-labelledby': 'contacts-title' },
        h('h2', { id: 'contacts-title' }, 'Contacts'),
        contacts.contacts.length
          ? h('ul', { class: 'people', role: 'list' }, contacts.contacts.map((c) => person(c.user, messageButton(c.user))))
          : h('p', { class: 'hint' }, 'No contacts yet.'),
        contacts.outgoing.length ? h('p', { class: 'hint' }, `Waiting for: ${contacts.outgoing.map((c) => c.user.display_name).join(', ')}`) : null),
      contacts.contacts.length ? groupForm() : null,
    );
    for (const li of results.querySelectorAll('[data-user]')) {
      const add = li.querySelector('.add-contact');
      if (add instanceof HTMLButtonElement) add.hidden = known.has(/** @type {HTMLElement} */ (li).dataset.user ?? '');
    }
  };

  const groupForm = () => {
    const title = h('input', { id: 'group-title', name: 'title', required: true, maxlength: '100' });
    return h('form', {
      class: 'group-form', 'aria-labelledby': 'group-heading',
      onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        const form = /** @type {HTMLFormElement} */ (e.currentTarget);
        const data = new FormData(form);
        const member_ids = data.getAll('member').map(String);
        try {
          const conversation = await api.post('/conversations', { kind: data.get('kind'), title: title.value, member_ids });
          await store.loadChats();
          location.hash = `#/c/${conversation.id}`;
        } catch (err) { fail(err); }
      },
    },
    h('h2', { id: 'group-heading' }, 'New group or channel'),
    h('div', { class: 'field' }, h('label', { for: 'group-title' }, 'Name'), title),
    h('fieldset', {}, h('legend', {}, 'Kind'),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: 'kind', value: 'group', checked: true }), ' Group: everyone writes'),
      h('label', { class: 'check' }, h('input', { type: 'radio', name: 'kind', value: 'channel' }), ' Channel: only admins post')),
    h('fieldset', {}, h('legend', {}, 'Members'),
      contacts.contacts.map((c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'member', value: c.user.id }), ` ${c.user.display_name}`))),
    h('button', { type: 'submit', class: 'primary' }, 'Create'));
  };

  const loadContacts = async () => {
    contacts = await api.get('/contacts');
    renderContacts();
  };

  /** @param {Event} e */
  const search = async (e) => {
    e.preventDefault();
    const q = /** @type {HTMLInputElement} */ (document.getElementById('people-q')).value.trim();
    if (!q) return;
    try {
      const body = await api.get(`/users?q=${encodeURIComponent(q)}&limit=20`);
      /** @type {User[]} */
      const users = body.users.filter((/** @type {User} */ u) => u.id !== store.me.id);
      replace(results, users.length ? users.map((u) => {
        const li = person(u, messageButton(u), h('button', { type: 'button', class: 'add-contact', onclick: () => then(() => api.post('/contacts', { user_id: u.id })), 'aria-label': `Add ${u.display_name} as a contact` }, 'Add contact'));
        li.dataset.user = u.id;
        return li;
      }) : h('li', { class: 'hint' }, 'Nobody by that name.'));
      renderContacts();
    } catch (err) { fail(err); }
  };

  replace(
    pane,
    h('section', { class: 'page', 'aria-labelledby': 'people-title' },
      pageHeader('people-title', 'People'),
      h('form', { class: 'search', role: 'search', onsubmit: search },
        h('label', { for: 'people-q' }, 'Find people'),
        h('input', { id: 'people-q', type: 'search', placeholder: 'Name or username', autocomplete: 'off' }),
        h('button', { type: 'submit' }, 'Search')),
      status, results, contactsEl),
  );
  const onChange = (/** @type {Event} */ e) => {
    if (!pane.isConnected || !pane.querySelector('#people-title')) {
      store.removeEventListener('change', onChange);
      return;
    }
    if (/** @type {CustomEvent} */ (e).detail.what === 'notifications') loadContacts().catch(() => {});
  };
  store.addEventListener('change', onChange);
  loadContacts().catch(fail);
}
