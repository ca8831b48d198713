// A conversation's details: its members with their roles (owners and admins add, remove and
// promote), mute, leave; for a direct chat, block the other person.

import { h, replace, pageHeader } from '../dom.js';
import { ApiError, humane } from '../api.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').Participant} Participant */

/** @param {HTMLElement} pane @param {Store} store @param {string} id */
export async function renderDetails(pane, store, id) {
  const api = store.api;
  const status = h('p', { class: 'form-status', role: 'status' });
  /** @param {unknown} e */
  const fail = (e) => { status.textContent = humane(e, 'Something went wrong.'); };
  /** @param {() => Promise<unknown>} action */
  const act = (action) => action().then(() => Promise.all([store.loadChats(), draw()])).catch(fail);

  const body = h('div', {});
  replace(
    pane,
    h('section', { class: 'page', 'aria-labelledby': 'details-title' },
      pageHeader('details-title', 'Details', { back: `#/c/${id}`, label: 'Back to the conversation' }),
      status, body),
  );

  async function draw() {
    const chat = store.chats.get(id);
    if (!chat) {
      replace(body, h('p', {}, 'You are no longer in this conversation.'));
      return;
    }
    /** @type {{ participants: Participant[] }} */
    const people = await api.get(`/conversations/${id}/participants?limit=100`);
    await Promise.all(people.participants.map((p) => store.fetchUser(p.user_id).catch(() => null)));
    const admin = chat.role === 'owner' || chat.role === 'admin';
    const group = chat.kind !== 'direct';
    replace(
      body,
      h('h2', {}, store.titleOf(chat)),
      h('label', { class: 'check' },
        h('input', { type: 'checkbox', checked: chat.muted, onchange: (/** @type {Event} */ e) => act(() => (/** @type {HTMLInputElement} */ (e.currentTarget).checked ? api.put(`/conversations/${id}/mute`) : api.del(`/conversations/${id}/mute`))) }),
        ' Mute notifications'),
      h('h2', {}, `Members (${people.participants.length})`),
      h('ul', { class: 'people', role: 'list' }, people.participants.map((p) => {
        const name = store.nameOf(p.user_id);
        const me = p.user_id === store.me.id;
        return h('li', { class: 'person' },
          h('span', { class: 'person-name' }, name, h('span', { class: 'handle' }, ` ${p.role}`)),
          h('span', { class: 'person-actions' },
            group && admin && !me && p.role === 'member' ? h('button', { type: 'button', onclick: () => act(() => api.patch(`/conversations/${id}/participants/${p.user_id}`, { role: 'admin' })) }, `Make ${name} admin`) : null,
            group && admin && !me && p.role === 'admin' && chat.role === 'owner' ? h('button', { type: 'button', onclick: () => act(() => api.patch(`/conversations/${id}/participants/${p.user_id}`, { role: 'member' })) }, `Make ${name} member`) : null,
            group && admin && !me && p.role !== 'owner' ? h('button', { type: 'button', onclick: () => act(() => api.del(`/conversations/${id}/participants/${p.user_id}`)) }, `Remove ${name}`) : null,
            !group && !me ? h('button', { type: 'button', onclick: () => { if (confirm(`Block ${name}?`)) act(() => api.put(`/users/${p.user_id}/block`)); } }, `Block ${name}`) : null));
      })),
      group && admin ? addForm() : null,
      group ? h('p', {}, h('button', { type: 'button', onclick: () => {
        if (!confirm('Leave this conversation?')) return;
        api.del(`/conversations/${id}/participants/${store.me.id}`).then(() => { store.forgetConversation(id); location.hash = '#/'; }, fail);
      } }, 'Leave conversation')) : null,
    );
  }

  function addForm() {
    const input = h('input', { id: 'add-member', type: 'search', placeholder: 'Username', autocomplete: 'off' });
    return h('form', { class: 'search', onsubmit: async (/** @type {Event} */ e) => {
      e.preventDefault();
      try {
        const found = await api.get(`/users?q=${encodeURIComponent(input.value.trim())}&limit=1`);
        const user = found.users[0];
        if (!user) throw new ApiError(404, { detail: 'Nobody by that name.' });
        await act(() => api.post(`/conversations/${id}/participants`, { user_ids: [user.id] }));
      } catch (err) { fail(err); }
    } }, h('label', { for: 'add-member' }, 'Add a member'), input, h('button', { type: 'submit' }, 'Add'));
  }

  await draw().catch(fail);
}
