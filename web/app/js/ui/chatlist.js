// The chat list: newest activity first, with the last message, unread count, mute and, for
// direct chats, a presence dot. It re-renders from the store on every change.

import { h, replace, timeOf } from '../dom.js';
import { thumbnail } from '../attachments.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').ChatListItem} ChatListItem */

export class ChatList {
  /** @param {HTMLElement} el @param {Store} store */
  constructor(el, store) {
    this.el = el;
    this.store = store;
    /** @type {string | null} */
    this.selected = null;
    this.onChange = (/** @type {Event} */ e) => {
      const what = /** @type {CustomEvent} */ (e).detail.what;
      if (what === 'chats' || what === 'presence' || what === 'users') this.render();
    };
    store.addEventListener('change', this.onChange);
    this.render();
  }

  /** @param {string | null} id */
  select(id) {
    this.selected = id;
    this.render();
  }

  render() {
    const chats = this.store.sortedChats();
    replace(
      this.el,
      h('h2', { class: 'visually-hidden' }, 'Conversations'),
      chats.length
        ? h('ul', { class: 'chats', role: 'list' }, chats.map((c) => this.item(c)))
        : h('p', { class: 'hint' }, 'No conversations yet.'),
    );
  }

  /** @param {ChatListItem} chat */
  item(chat) {
    const store = this.store;
    const title = store.titleOf(chat);
    const other = chat.other_user?.id;
    const presence = other ? store.presence.get(other) ?? 'offline' : null;
    const last = chat.last_message;
    const preview = !last ? 'No messages yet' : last.content === null ? 'Message deleted' : `${last.sender_id === store.me.id ? 'You: ' : ''}${last.content || 'Picture or file'}`;
    const unread = chat.unread_count > 0 ? h('span', { class: 'badge', role: 'img', 'aria-label': `${chat.unread_count} unread` }, String(chat.unread_count)) : null;
    return h(
      'li',
      { dataset: { id: chat.id } },
      h(
        'a',
        { href: `#/c/${chat.id}`, class: 'chat', 'aria-current': chat.id === this.selected ? 'page' : false },
        avatar(store, chat.kind === 'direct' ? chat.other_user?.avatar_id : chat.avatar_id, title, presence),
        h(
          'span',
          { class: 'chat-text' },
          h('span', { class: 'chat-title' }, title, chat.muted ? h('span', { class: 'muted-mark', role: 'img', 'aria-label': 'muted', title: 'Muted' }, ' 🔕') : null),
          h('span', { class: 'preview' }, preview),
        ),
        h('span', { class: 'chat-meta' }, last ? h('time', { datetime: last.created_at }, timeOf(last.created_at)) : null, unread),
        presence ? h('span', { class: 'visually-hidden' }, `, ${presence}`) : null,
      ),
    );
  }

  destroy() {
    this.store.removeEventListener('change', this.onChange);
  }
}

/**
 * The picture when there is one (its thumbnail, fetched with the token), else initials.
 * @param {Store} store @param {string | null | undefined} id @param {string} name @param {string | null} presence
 */
export function avatar(store, id, name, presence) {
  const el = h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name), presence ? h('span', { class: `dot ${presence}` }) : null);
  if (id) {
    thumbnail(store.api, id).then((url) => {
      if (url) el.firstChild?.replaceWith(h('img', { src: url, alt: '' }));
    });
  }
  return el;
}

/** @param {string} name */
export function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => [...w][0]?.toUpperCase() ?? '').join('') || '?';
}
