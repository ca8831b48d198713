// The signed-in layout: the chat list beside the routed pane (a conversation or its details,
// search, notifications, people, settings). On a phone-width screen one of the two shows at a time.

import { h, replace } from '../dom.js';
import { ChatList } from './chatlist.js';
import { ConversationView } from './conversation.js';
import { renderPeople } from './people.js';
import { renderSettings } from './settings.js';
import { renderDetails } from './details.js';
import { renderNotifications, renderSearch } from './inbox.js';

/** @typedef {import('../store.js').Store} Store */

export class Shell {
  /** @param {HTMLElement} root @param {Store} store @param {() => void} signOut */
  constructor(root, store, signOut) {
    this.store = store;
    this.signOut = signOut;
    this.pane = h('main', { class: 'pane', id: 'pane', tabindex: '-1' });
    const list = h('nav', { class: 'sidebar', 'aria-label': 'Conversations' });
    this.chatList = new ChatList(list, store);
    this.app = h(
      'div',
      { class: 'app' },
      h(
        'header',
        { class: 'topbar' },
        h('a', { class: 'brand', href: '#/' }, 'Chat'),
        h('span', { class: 'me', title: `@${store.me.username}` }, store.me.display_name),
        h(
          'nav',
          { class: 'actions', 'aria-label': 'Account' },
          h('a', { href: '#/search', class: 'button' }, 'Search'),
          this.inboxLink = h('a', { href: '#/notifications', class: 'button' }, 'Notifications'),
          h('a', { href: '#/people', class: 'button' }, 'People'),
          h('a', { href: '#/settings', class: 'button' }, 'Settings'),
          h('button', { type: 'button', class: 'sign-out', onclick: signOut }, 'Sign out'),
        ),
      ),
      h('div', { class: 'panes' }, list, this.pane),
    );
    replace(root, this.app);
    /** @type {ConversationView | null} */
    this.view = null;
    this.onRoute = () => this.route();
    this.onChange = (/** @type {Event} */ e) => {
      if (/** @type {CustomEvent} */ (e).detail.what === 'notifications') this.countUnread();
    };
    store.addEventListener('change', this.onChange);
    this.countUnread();
    window.addEventListener('hashchange', this.onRoute);
    this.route();
  }

  route() {
    const [, section, id, sub] = location.hash.split('/');
    this.view?.destroy();
    this.view = null;
    this.app.dataset.route = section || 'home';
    this.chatList.select(section === 'c' ? id : null);
    if (section === 'c' && id && sub === 'info') {
      renderDetails(this.pane, this.store, id);
    } else if (section === 'c' && id) {
      this.view = new ConversationView(this.pane, this.store, id);
    } else if (section === 'notifications') {
      renderNotifications(this.pane, this.store).then(() => this.countUnread());
    } else if (section === 'search') {
      renderSearch(this.pane, this.store);
    } else if (section === 'people') {
      renderPeople(this.pane, this.store);
    } else if (section === 'settings') {
      renderSettings(this.pane, this.store, this.signOut);
    } else {
      replace(
        this.pane,
        h('div', { class: 'empty' }, h('h1', {}, `Hello, ${this.store.me.display_name}`), h('p', {}, 'Pick a conversation, or find people to talk to.'), h('a', { href: '#/people', class: 'button primary' }, 'Find people')),
      );
    }
    if (section !== 'c' && section !== 'search') this.pane.focus({ preventScroll: true });
  }

  /** The inbox link carries the number of unread notifications. */
  async countUnread() {
    try {
      const body = await this.store.api.get('/notifications?unread=true&limit=1');
      const n = body.unread_count;
      replace(this.inboxLink, 'Notifications', n ? h('span', { class: 'badge', role: 'img', 'aria-label': `${n} unread` }, String(n)) : null);
    } catch {
      // The count is a hint; the inbox itself shows the truth.
    }
  }

  destroy() {
    window.removeEventListener('hashchange', this.onRoute);
    this.store.removeEventListener('change', this.onChange);
    this.view?.destroy();
    this.chatList.destroy();
  }
}
