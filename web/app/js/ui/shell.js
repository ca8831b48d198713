// The signed-in layout: the chat list beside the routed pane (a conversation, people,
// settings). On a phone-width screen one of the two shows at a time.

import { h, replace } from '../dom.js';
import { ChatList } from './chatlist.js';
import { ConversationView } from './conversation.js';
import { renderPeople } from './people.js';
import { renderSettings } from './settings.js';

/** @typedef {import('../store.js').Store} Store */

export class Shell {
  /** @param {HTMLElement} root @param {Store} store @param {() => void} signOut */
  constructor(root, store, signOut) {
    this.store = store;
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
          h('a', { href: '#/people', class: 'button' }, 'People'),
          h('a', { href: '#/settings', class: 'button' }, 'Settings'),
          h('button', { type: 'button', onclick: signOut }, 'Sign out'),
        ),
      ),
      h('div', { class: 'panes' }, list, this.pane),
    );
    replace(root, this.app);
    /** @type {ConversationView | null} */
    this.view = null;
    this.onRoute = () => this.route();
    window.addEventListener('hashchange', this.onRoute);
    this.route();
  }

  route() {
    const [, section, id] = location.hash.split('/');
    this.view?.destroy();
    this.view = null;
    this.app.dataset.route = section || 'home';
    this.chatList.select(section === 'c' ? id : null);
    if (section === 'c' && id) {
      this.view = new ConversationView(this.pane, this.store, id);
    } else if (section === 'people') {
      renderPeople(this.pane, this.store);
    } else if (section === 'settings') {
      renderSettings(this.pane, this.store);
    } else {
      replace(
        this.pane,
        h('div', { class: 'empty' }, h('h1', {}, `Hello, ${this.store.me.display_name}`), h('p', {}, 'Pick a conversation, or find people to talk to.'), h('a', { href: '#/people', class: 'button primary' }, 'Find people')),
      );
    }
    if (section !== 'c') this.pane.focus({ preventScroll: true });
  }

  destroy() {
    window.removeEventListener('hashchange', this.onRoute);
    this.view?.destroy();
    this.chatList.destroy();
  }
}
