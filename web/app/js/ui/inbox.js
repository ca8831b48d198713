// The notifications inbox (mentions, messages while away, contact requests, group invites) and
// message search over every conversation I am in.

import { h, replace, dayOf, timeOf, pageHeader } from '../dom.js';
import { humane } from '../api.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').Message} Message */
/** @typedef {{ id: string, kind: string, actor_id: string | null, conversation_id: string | null, message_id: string | null, created_at: string, read: boolean }} Notice */

const KINDS = /** @type {Record<string, string>} */ ({
  mention: 'mentioned you',
  message: 'sent you a message',
  contact_request: 'asked to be your contact',
  contact_accepted: 'accepted your contact request',
  added_to_conversation: 'added you to a conversation',
});

/** @param {HTMLElement} pane @param {Store} store */
export async function renderNotifications(pane, store) {
  const list = h('ul', { class: 'people', role: 'list' });
  const draw = async () => {
    /** @type {{ notifications: Notice[], unread_count: number }} */
    const body = await store.api.get('/notifications?limit=50');
    await Promise.all(body.notifications.flatMap((n) => (n.actor_id ? [store.fetchUser(n.actor_id).catch(() => null)] : [])));
    replace(list, body.notifications.length ? body.notifications.map((n) => {
      const who = n.actor_id ? store.nameOf(n.actor_id) : 'Someone';
      const text = `${who} ${KINDS[n.kind] ?? n.kind}`;
      return h('li', { class: `person${n.read ? '' : ' unread'}` },
        n.conversation_id ? h('a', { href: `#/c/${n.conversation_id}`, class: 'person-name' }, text) : h('a', { href: '#/people', class: 'person-name' }, text),
        h('span', { class: 'hint' }, `${dayOf(n.created_at)} ${timeOf(n.created_at)}${n.read ? '' : ' · new'}`));
    }) : h('li', { class: 'hint' }, 'Nothing yet.'));
  };
  replace(pane, h('section', { class: 'page', 'aria-labelledby': 'inbox-title' },
    pageHeader('inbox-title', 'Notifications'),
    h('p', {}, h('button', { type: 'button', onclick: () => store.api.post('/notifications/read', { all: true }).then(draw).then(() => store.changed('notifications')) }, 'Mark all as read')),
    list));
  await draw().catch(() => replace(list, h('li', { class: 'hint' }, 'The notifications cannot be shown.')));
}

/** @param {HTMLElement} pane @param {Store} store */
export function renderSearch(pane, store) {
  const results = h('ul', { class: 'people', role: 'list', 'aria-label': 'Messages found' });
  const status = h('p', { class: 'form-error', role: 'alert' });
  const input = h('input', { id: 'search-q', type: 'search', placeholder: 'Words to find', autocomplete: 'off' });
  replace(pane, h('section', { class: 'page', 'aria-labelledby': 'search-title' },
    pageHeader('search-title', 'Search messages'),
    h('form', { class: 'search', role: 'search', onsubmit: async (/** @type {Event} */ e) => {
      e.preventDefault();
      status.textContent = '';
      try {
        /** @type {{ results: Message[] }} */
        const body = await store.api.get(`/messages/search?q=${encodeURIComponent(input.value.trim())}&limit=50`);
        replace(results, body.results.length ? body.results.map((m) => {
          const chat = store.chats.get(m.conversation_id);
          return h('li', { class: 'person' },
            h('a', { href: `#/c/${m.conversation_id}`, class: 'person-name' }, `${store.nameOf(m.sender_id)}: ${m.content ?? ''}`),
            h('span', { class: 'hint' }, `${chat ? store.titleOf(chat) : ''} · ${dayOf(m.created_at)}`));
        }) : h('li', { class: 'hint' }, 'No message matches.'));
      } catch (err) {
        status.textContent = humane(err, 'The search failed.');
      }
    } }, h('label', { for: 'search-q' }, 'Search your conversations'), input, h('button', { type: 'submit' }, 'Search')),
    status, results));
  input.focus();
}
