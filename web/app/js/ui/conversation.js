// One conversation: history by seq (older pages as you scroll up), day separators, a marker
// at the first unread message, optimistic sending, typing, and ticks on my messages. The
// timeline is patched in place (keyed by seq), so the scroll position, focus and what a screen
// reader has already announced survive every update.

import { h, replace, timeOf, dayOf } from '../dom.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../store.js').Pending} Pending */

const NEAR_BOTTOM_PX = 80;
const MAX_UNREAD_PAGES = 20;

export class ConversationView {
  /** @param {HTMLElement} pane @param {Store} store @param {string} id */
  constructor(pane, store, id) {
    this.store = store;
    this.id = id;
    /** @type {Map<string, { sig: string, el: HTMLElement }>} */
    this.nodes = new Map();
    this.firstUnread = 0;
    this.loadingOlder = false;
    this.title = h('h1', { class: 'conv-title', id: 'conv-title' }, '…');
    this.list = h('ol', { class: 'timeline', 'aria-label': 'Messages' });
    this.scroller = h('div', { class: 'scroller', role: 'log', 'aria-labelledby': 'conv-title', tabindex: '0', onscroll: () => this.scrolled() }, this.list);
    this.older = h('button', { type: 'button', class: 'link older', onclick: () => this.loadOlder() }, 'Load earlier messages');
    this.typing = h('p', { class: 'typing', 'aria-live': 'polite' });
    this.input = h('textarea', {
      id: 'composer', rows: 1, placeholder: 'Write a message', maxlength: '4000',
      onkeydown: (/** @type {Event} */ e) => this.keydown(/** @type {KeyboardEvent} */ (e)),
      oninput: () => store.typed(id),
      onblur: () => store.stopTyping(id),
    });
    replace(
      pane,
      h(
        'section',
        { class: 'conversation', 'aria-labelledby': 'conv-title' },
        h('header', { class: 'conv-header' }, h('a', { href: '#/', class: 'back', 'aria-label': 'Back to conversations' }, '‹'), this.title),
        h('div', { class: 'older-row' }, this.older),
        this.scroller,
        this.typing,
        h(
          'form',
          { class: 'composer', onsubmit: (/** @type {Event} */ e) => this.submit(e) },
          h('label', { for: 'composer', class: 'visually-hidden' }, 'Message'),
          this.input,
          h('button', { type: 'submit', class: 'primary' }, 'Send'),
        ),
      ),
    );
    this.onChange = (/** @type {Event} */ e) => {
      const { what, conversationId } = /** @type {CustomEvent} */ (e).detail;
      if (what === 'timeline' && conversationId === id) this.render();
      else if (what === 'typing' && conversationId === id) this.renderTyping();
      else if (what === 'chats' || what === 'users') {
        this.renderTitle();
        // A reloaded chat list may predate my last read: say it again if so.
        this.maybeRead();
      }
    };
    this.onVisible = () => this.maybeRead();
    store.addEventListener('change', this.onChange);
    document.addEventListener('visibilitychange', this.onVisible);
    store.visible = id;
    this.renderTitle();
    this.load();
  }

  async load() {
    const chat = this.store.chats.get(this.id);
    const readSeq = chat?.read_seq ?? 0;
    this.firstUnread = chat && chat.unread_count > 0 ? readSeq + 1 : 0;
    try {
      await this.store.open(this.id);
      // Jump to the first unread: fetch back until it is held.
      for (let i = 0; this.firstUnread && this.store.timeline(this.id).oldest > this.firstUnread && i < MAX_UNREAD_PAGES; i++) {
        if (!(await this.store.loadOlder(this.id))) break;
      }
    } catch {
      replace(this.list, h('li', { class: 'hint' }, 'This conversation cannot be shown.'));
      return;
    }
    this.render();
    const marker = this.list.querySelector('.unread-marker');
    if (marker) marker.scrollIntoView({ block: 'start' });
    else this.scroller.scrollTop = this.scroller.scrollHeight;
    this.input.focus();
    this.maybeRead();
  }

  renderTitle() {
    const chat = this.store.chats.get(this.id);
    if (chat) this.title.textContent = this.store.titleOf(chat);
  }

  renderTyping() {
    const names = this.store.typists(this.id).map((u) => this.store.nameOf(u));
    this.typing.textContent = names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
  }

  render() {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
    const fromBottom = s.scrollHeight - s.scrollTop;
    const t = this.store.timeline(this.id);
    this.older.hidden = !t.hasOlder;
    /** @type {{ key: string, sig: string, make: () => HTMLElement }[]} */
    const items = [];
    let day = '';
    for (const m of this.store.messagesOf(this.id)) {
      const d = dayOf(m.created_at);
      if (d !== day) {
        day = d;
        items.push({ key: `day:${d}`, sig: d, make: () => h('li', { class: 'day' }, h('span', {}, d)) });
      }
      if (m.seq === this.firstUnread) {
        items.push({ key: 'unread', sig: 'unread', make: () => h('li', { class: 'unread-marker' }, h('span', {}, 'Unread messages')) });
      }
      const tick = m.sender_id === this.store.me.id ? this.store.receiptOf(this.id, m.seq) : '';
      const sig = `${m.content}|${m.edited_at}|${m.deleted}|${tick}|${this.store.nameOf(m.sender_id)}`;
      items.push({ key: `m:${m.seq}`, sig, make: () => this.message(m, tick) });
    }
    for (const p of t.pending.values()) {
      items.push({ key: `p:${p.client_message_id}`, sig: `${p.state}|${p.error}`, make: () => this.pending(p) });
    }
    this.patch(items);
    // At the bottom, stay there; otherwise keep what is on screen (older pages land above it).
    if (atBottom) s.scrollTop = s.scrollHeight;
    else s.scrollTop = s.scrollHeight - fromBottom;
    this.maybeRead();
  }

  /** Brings the list in line with `items`, reusing unchanged nodes. @param {{ key: string, sig: string, make: () => HTMLElement }[]} items */
  patch(items) {
    /** @type {Map<string, { sig: string, el: HTMLElement }>} */
    const next = new Map();
    let cursor = this.list.firstElementChild;
    for (const item of items) {
      const old = this.nodes.get(item.key);
      const reuse = old !== undefined && old.sig === item.sig;
      const el = reuse ? old.el : item.make();
      if (old && !reuse) {
        if (cursor === old.el) cursor = cursor.nextElementSibling;
        old.el.remove();
      }
      if (cursor === el) cursor = cursor.nextElementSibling;
      else this.list.insertBefore(el, cursor);
      next.set(item.key, { sig: item.sig, el });
    }
    // Whatever is left after the cursor is no longer shown.
    while (cursor) {
      const after = cursor.nextElementSibling;
      cursor.remove();
      cursor = after;
    }
    this.nodes = next;
  }

  /** @param {Message} m @param {string} tick */
  message(m, tick) {
    const mine = m.sender_id === this.store.me.id;
    return h(
      'li',
      { class: `msg${mine ? ' mine' : ''}${m.deleted ? ' deleted' : ''}`, dataset: { seq: String(m.seq) } },
      mine ? null : h('span', { class: 'author' }, this.store.nameOf(m.sender_id)),
      h('p', { class: 'body' }, m.deleted ? 'This message was deleted.' : m.content),
      h(
        'span',
        { class: 'meta' },
        m.edited_at && !m.deleted ? h('span', { class: 'edited' }, 'edited · ') : null,
        h('time', { datetime: m.created_at }, timeOf(m.created_at)),
        tick ? h('span', { class: `tick ${tick}`, role: 'img', 'aria-label': tick }, tick === 'sent' ? ' ✓' : ' ✓✓') : null,
      ),
    );
  }

  /** @param {Pending} p */
  pending(p) {
    const label = p.state === 'failed' ? `Not sent: ${p.error}` : p.state === 'queued' ? 'Waiting for the connection' : 'Sending';
    return h(
      'li',
      { class: `msg mine pending ${p.state}` },
      h('p', { class: 'body' }, p.content),
      h(
        'span',
        { class: 'meta' },
        h('span', { class: 'state' }, label),
        p.state === 'failed' ? h('button', { type: 'button', class: 'link', onclick: () => this.store.retry(this.id, p.client_message_id) }, 'Retry') : null,
      ),
    );
  }

  /** @param {KeyboardEvent} e */
  keydown(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
  }

  /** @param {Event} e */
  submit(e) {
    e.preventDefault();
    this.send();
  }

  send() {
    const content = this.input.value.trim();
    if (!content) return;
    this.input.value = '';
    this.firstUnread = 0;
    this.store.send(this.id, content);
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  scrolled() {
    if (this.scroller.scrollTop < 40) this.loadOlder();
    this.maybeRead();
  }

  async loadOlder() {
    if (this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      await this.store.loadOlder(this.id);
    } catch {
      // The button stays; scrolling up again retries.
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Marks the conversation read when its newest message is on screen and the page is visible. */
  maybeRead() {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
    if (atBottom && document.visibilityState === 'visible') this.store.markRead(this.id);
  }

  destroy() {
    this.store.removeEventListener('change', this.onChange);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.store.stopTyping(this.id);
    if (this.store.visible === this.id) this.store.visible = null;
  }
}
