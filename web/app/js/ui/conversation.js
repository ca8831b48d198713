// One conversation: history by seq (older pages as you scroll up), day separators, a marker
// at the first unread message, optimistic sending, typing, and threads in a dialog. Only a
// window of the messages held is in the DOM (WINDOW of them, moved by STEP as you scroll), so
// ten thousand stay smooth. The list is patched in place (keyed by seq) and the first message
// on screen is kept where it was, so scrolling, focus and what a screen reader has already
// announced survive every update.

import { h, replace, dayOf, pageHeader } from '../dom.js';
import { renderMessage } from './message.js';
import { Composer } from './composer.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../model.js').Pending} Pending */

const NEAR_BOTTOM_PX = 80;
const NEAR_EDGE_PX = 300;
const MAX_UNREAD_PAGES = 20;
/** At most this many messages are in the DOM: scrolling moves the window, by STEP. */
const WINDOW = 240;
const STEP = 80;

export class ConversationView {
  /** @param {HTMLElement} pane @param {Store} store @param {string} id */
  constructor(pane, store, id) {
    this.store = store;
    this.id = id;
    /** @type {Map<string, { sig: string, el: HTMLElement }>} */
    this.nodes = new Map();
    this.firstUnread = 0;
    this.loadingOlder = false;
    this.ready = false;
    this.title = h('h1', { class: 'conv-title', id: 'conv-title' }, '…');
    this.list = h('ol', { class: 'timeline', 'aria-label': 'Messages' });
    this.scroller = h('div', { class: 'scroller', role: 'log', 'aria-labelledby': 'conv-title', tabindex: '0', onscroll: () => this.scrolled() }, this.list);
    this.older = h('button', { type: 'button', class: 'link older', onclick: () => this.expandUp() }, 'Load earlier messages');
    this.latest = h('button', { type: 'button', class: 'latest primary', hidden: true, onclick: () => this.jumpToLatest() }, 'Jump to the latest messages');
    /** The window shown, by seq: from `lo`, up to `hi` unless following the newest. */
    this.lo = 0;
    this.hi = Infinity;
    this.follow = true;
    /** Which end gives way when the window outgrows WINDOW. */
    this.trim = /** @type {'top' | 'bottom'} */ ('top');
    this.typing = h('p', { class: 'typing', 'aria-live': 'polite' });
    this.composer = new Composer(store, id, () => {
      this.firstUnread = 0;
      if (!this.follow) this.jumpToLatest();
      this.scroller.scrollTop = this.scroller.scrollHeight;
    });
    /** @type {import('./message.js').MessageActions} */
    this.actions = {
      reply: (m) => this.composer.begin('reply', m),
      edit: (m) => this.composer.begin('edit', m),
      thread: (m) => this.showThread(m),
    };
    this.dialog = h('dialog', { class: 'thread', 'aria-labelledby': 'thread-title' });
    replace(
      pane,
      h(
        'section',
        { class: 'conversation', 'aria-labelledby': 'conv-title' },
        pageHeader('conv-title', this.title, { extra: h('a', { href: `#/c/${id}/info`, class: 'button details-link' }, 'Details') }),
        h('div', { class: 'older-row' }, this.older),
        this.scroller,
        this.latest,
        this.typing,
        this.composer.el,
        this.dialog,
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
    const place = this.store.places.get(this.id);
    this.ready = true;
    if (place) {
      // Back to where it was left (newer messages wait behind "jump to the latest").
      Object.assign(this, { lo: place.lo, hi: place.hi, follow: place.follow, trim: 'bottom' });
      this.render();
      const el = /** @type {HTMLElement | null} */ (this.list.querySelector(`.msg[data-seq="${place.seq}"]`));
      if (el) this.scroller.scrollTop = el.offsetTop - place.offset;
    } else {
      const all = this.store.messagesOf(this.id);
      const start = Math.max(0, all.length - STEP);
      this.lo = Math.min(all[start]?.seq ?? 0, this.firstUnread || Infinity);
      // Far back, the first unread wins over the newest: the window starts there.
      if (this.firstUnread) this.trim = 'bottom';
      this.render();
      const marker = this.list.querySelector('.unread-marker');
      if (marker) marker.scrollIntoView({ block: 'start' });
      else this.scroller.scrollTop = this.scroller.scrollHeight;
    }
    this.composer.input.focus();
    this.maybeRead();
  }

  renderTitle() {
    const chat = this.store.chats.get(this.id);
    if (!chat) return;
    this.title.textContent = this.store.titleOf(chat);
    this.composer.setReadOnly(chat.kind === 'channel' && chat.role === 'member');
  }

  renderTyping() {
    const names = this.store.typists(this.id).map((u) => this.store.nameOf(u));
    this.typing.textContent = names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
  }

  /**
   * The messages to show: those held within [lo, hi], at most WINDOW of them (the end named
   * by `trim` gives way).
   * @param {Message[]} all in seq order
   */
  windowOf(all) {
    let start = all.findIndex((m) => m.seq >= this.lo);
    if (start < 0) start = all.length;
    let end = this.follow ? all.length : all.findIndex((m) => m.seq > this.hi);
    if (end < 0) end = all.length;
    if (end - start > WINDOW) {
      if (this.trim === 'bottom') {
        end = start + WINDOW;
        this.follow = false;
      } else {
        start = end - WINDOW;
      }
    }
    if (start < end) {
      this.lo = all[start].seq;
      this.hi = this.follow ? Infinity : all[end - 1].seq;
    }
    return { shown: all.slice(start, end), before: start > 0 };
  }

  render() {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
    // The first message on screen, to keep in place whatever is added or removed around it.
    // (A message, not a day separator: those stay first while messages come in above.)
    const anchor = /** @type {HTMLElement[]} */ ([...this.list.querySelectorAll(':scope > .msg[data-seq]')])
      .find((el) => el.offsetTop + el.offsetHeight > s.scrollTop);
    const anchorAt = anchor ? anchor.offsetTop - s.scrollTop : 0;
    const t = this.store.timeline(this.id);
    const { shown, before } = this.windowOf(this.store.messagesOf(this.id));
    this.older.hidden = !(t.hasOlder || before);
    this.latest.hidden = this.follow;
    /** @type {{ key: string, sig: string, make: () => HTMLElement }[]} */
    const items = [];
    let day = '';
    for (const m of shown) {
      const d = dayOf(m.created_at);
      if (d !== day) {
        day = d;
        items.push({ key: `day:${d}`, sig: d, make: () => h('li', { class: 'day' }, h('span', {}, d)) });
      }
      if (m.seq === this.firstUnread) {
        items.push({ key: 'unread', sig: 'unread', make: () => h('li', { class: 'unread-marker' }, h('span', {}, 'Unread messages')) });
      }
      const tick = m.sender_id === this.store.me.id ? this.store.receiptOf(this.id, m.seq) : '';
      const parent = m.reply_to ? this.store.findMessage(this.id, m.reply_to) : undefined;
      const sig = JSON.stringify([m.content, m.edited_at, m.deleted, tick, this.store.nameOf(m.sender_id), m.reactions, m.reply_count, m.attachment_ids, parent?.content, parent?.deleted]);
      items.push({ key: `m:${m.seq}`, sig, make: () => renderMessage(this.store, this.id, m, tick, this.actions) });
    }
    if (this.follow) {
      for (const p of t.pending.values()) {
        items.push({ key: `p:${p.client_message_id}`, sig: `${p.state}|${p.error}`, make: () => this.pending(p) });
      }
    }
    this.patch(items);
    if (atBottom && this.follow) s.scrollTop = s.scrollHeight;
    else if (anchor?.isConnected) s.scrollTop = anchor.offsetTop - anchorAt;
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

  /** The replies to a message, in a dialog. @param {Message} m */
  async showThread(m) {
    replace(this.dialog, h('h2', { id: 'thread-title' }, 'Thread'), h('p', { class: 'hint' }, 'Loading…'));
    this.dialog.showModal();
    try {
      const body = await this.store.api.get(`/conversations/${this.id}/messages/${m.id}/thread?limit=100`);
      const replies = /** @type {Message[]} */ (body.replies);
      replace(
        this.dialog,
        h('h2', { id: 'thread-title' }, `Replies to ${this.store.nameOf(m.sender_id)}`),
        h('blockquote', { class: 'quote' }, m.content ?? ''),
        h('ol', { class: 'timeline', 'aria-label': 'Replies' }, replies.filter((r) => r.id !== m.id).map((r) => renderMessage(this.store, this.id, r, '', this.actions))),
        h('form', { method: 'dialog' }, h('button', { type: 'submit' }, 'Close')),
      );
    } catch {
      replace(this.dialog, h('p', {}, 'The thread cannot be shown.'), h('form', { method: 'dialog' }, h('button', { type: 'submit' }, 'Close')));
    }
  }

  scrolled() {
    const s = this.scroller;
    if (s.scrollTop < NEAR_EDGE_PX) this.expandUp();
    else if (!this.follow && s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_EDGE_PX) this.expandDown();
    this.maybeRead();
  }

  /** Shows STEP older messages, fetching a page first when none older is held. */
  async expandUp() {
    if (this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      let all = this.store.messagesOf(this.id);
      let start = all.findIndex((m) => m.seq >= this.lo);
      if (start <= 0 && (await this.store.loadOlder(this.id))) {
        all = this.store.messagesOf(this.id);
        start = all.findIndex((m) => m.seq >= this.lo);
      }
      if (start > 0) {
        this.lo = all[Math.max(0, start - STEP)].seq;
        this.trim = 'bottom';
        this.render();
      }
    } catch {
      // The button stays; scrolling up again retries.
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Shows STEP newer messages, following the newest again once they are all shown. */
  expandDown() {
    const all = this.store.messagesOf(this.id);
    const end = all.findIndex((m) => m.seq > this.hi);
    if (end < 0 || end + STEP >= all.length) this.follow = true;
    else this.hi = all[end + STEP - 1].seq;
    this.trim = 'top';
    this.render();
  }

  jumpToLatest() {
    const all = this.store.messagesOf(this.id);
    this.follow = true;
    this.trim = 'top';
    this.lo = all[Math.max(0, all.length - STEP)]?.seq ?? 0;
    this.render();
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  /** Marks the conversation read when its newest message is on screen and the page is visible. */
  maybeRead() {
    if (!this.ready) return; // Nothing counts as seen before the conversation is laid out.
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
    if (atBottom && this.follow && document.visibilityState === 'visible') this.store.markRead(this.id);
  }

  /** Remembers the window and the message at the top of the screen. */
  keepPlace() {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
    const top = /** @type {HTMLElement[]} */ ([...this.list.querySelectorAll(':scope > .msg[data-seq]')])
      .find((el) => el.offsetTop + el.offsetHeight > s.scrollTop);
    if (!top || (atBottom && this.follow)) {
      this.store.places.delete(this.id);
      return;
    }
    this.store.places.set(this.id, { lo: this.lo, hi: this.hi, follow: this.follow, seq: Number(top.dataset.seq), offset: top.offsetTop - s.scrollTop });
  }

  destroy() {
    this.keepPlace();
    this.store.removeEventListener('change', this.onChange);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.store.stopTyping(this.id);
    if (this.dialog.open) this.dialog.close();
    if (this.store.visible === this.id) this.store.visible = null;
  }
}
