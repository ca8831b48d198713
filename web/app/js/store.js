// What the client knows: the chat list, each open conversation's messages by seq, people,
// typing and presence. Events from the socket keep it current; after every (re)connect it
// syncs each conversation from the highest seq it holds, so a message is neither missed nor
// shown twice. Views listen for its `change` events and re-render what they show.

import { SocketError } from './socket.js';

/** @typedef {import('./types.js').ChatListItem} ChatListItem */
/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./types.js').User} User */
/** @typedef {import('./types.js').Participant} Participant */
/** @typedef {import('./api.js').Api} Api */
/** @typedef {import('./socket.js').Gateway} Gateway */

/**
 * A message on its way: shown at once, confirmed by the ack, retried with the same
 * `client_message_id` so the server keeps one copy whatever happens.
 * @typedef {{ client_message_id: string, content: string, created_at: string,
 *   state: 'sending' | 'queued' | 'failed', error?: string }} Pending
 * @typedef {{ messages: Map<number, Message>, pending: Map<string, Pending>, oldest: number,
 *   hasOlder: boolean, participants: Map<string, Participant> }} Timeline
 */

const PAGE = 50;
const TYPING_REPEAT_MS = 3000;

export class Store extends EventTarget {
  /** @param {Api} api @param {Gateway} gateway @param {User} me */
  constructor(api, gateway, me) {
    super();
    this.api = api;
    this.gateway = gateway;
    this.me = me;
    /** @type {Map<string, ChatListItem>} */
    this.chats = new Map();
    /** @type {Map<string, User>} */
    this.users = new Map([[me.id, me]]);
    /** @type {Map<string, Promise<User>>} */
    this.userRequests = new Map();
    /** @type {Map<string, Timeline>} */
    this.timelines = new Map();
    /** @type {Map<string, Map<string, number>>} conversation → typist → timer */
    this.typing = new Map();
    /** @type {Map<string, string>} */
    this.presence = new Map();
    /** The conversation on screen, whose messages count as read while the page is visible. */
    /** @type {string | null} */
    this.visible = null;
    this.lastTypingSent = 0;
    /** @type {number | undefined} */
    this.chatListTimer = undefined;
    gateway.addEventListener('ready', () => this.catchUp());
    gateway.addEventListener('event', (e) => this.apply(/** @type {CustomEvent} */ (e).detail));
  }

  /** @param {string} what @param {string} [conversationId] */
  changed(what, conversationId) {
    this.dispatchEvent(new CustomEvent('change', { detail: { what, conversationId } }));
  }

  // ---- people ----

  /** @param {string} id @returns {User | undefined} */
  user(id) {
    const known = this.users.get(id);
    if (!known) this.fetchUser(id);
    return known;
  }

  /** @param {string} id */
  async fetchUser(id) {
    let request = this.userRequests.get(id);
    if (!request) {
      request = this.api.get(`/users/${id}`);
      this.userRequests.set(id, request);
      request.then((user) => {
        this.users.set(id, user);
        this.changed('users');
      }, () => {});
    }
    return request;
  }

  /** @param {string} id */
  nameOf(id) {
    if (id === this.me.id) return 'You';
    return this.user(id)?.display_name ?? '…';
  }

  /** @param {ChatListItem} chat */
  titleOf(chat) {
    if (chat.kind === 'direct') return chat.other_user?.display_name ?? 'Direct chat';
    return chat.title || 'Untitled group';
  }

  // ---- the chat list ----

  async loadChats() {
    const body = await this.api.get('/conversations?limit=100');
    this.chats = new Map(body.conversations.map((/** @type {ChatListItem} */ c) => [c.id, c]));
    for (const chat of this.chats.values()) {
      if (chat.other_user) this.users.set(chat.other_user.id, { ...this.users.get(chat.other_user.id), ...chat.other_user });
    }
    this.changed('chats');
    this.queryPresence();
  }

  /** Coalesces bursts of membership events into one reload. */
  reloadChatsSoon() {
    clearTimeout(this.chatListTimer);
    this.chatListTimer = window.setTimeout(() => this.loadChats().catch(() => {}), 150);
  }

  /** Newest activity first. */
  sortedChats() {
    return [...this.chats.values()].sort((a, b) => b.last_activity_at.localeCompare(a.last_activity_at));
  }

  async queryPresence() {
    const ids = [...this.chats.values()].flatMap((c) => (c.other_user ? [c.other_user.id] : []));
    if (!ids.length || !this.gateway.online) return;
    try {
      const body = await this.gateway.command('presence.query', { user_ids: ids.slice(0, 200) });
      for (const p of body.presence) this.presence.set(p.user_id, p.status);
      this.changed('presence');
    } catch {
      // Presence is a nicety: a failed query leaves the dots as they were.
    }
  }

  // ---- a conversation ----

  /** @param {string} id @returns {Timeline} */
  timeline(id) {
    let t = this.timelines.get(id);
    if (!t) {
      t = { messages: new Map(), pending: new Map(), oldest: Infinity, hasOlder: true, participants: new Map() };
      this.timelines.set(id, t);
    }
    return t;
  }

  /** @param {Timeline} t */
  highest(t) {
    let max = 0;
    for (const seq of t.messages.keys()) if (seq > max) max = seq;
    return max;
  }

  /** Loads the newest page and the participants' markers. @param {string} id */
  async open(id) {
    const t = this.timeline(id);
    if (t.messages.size === 0) {
      const [page, people] = await Promise.all([
        this.api.get(`/conversations/${id}/messages?limit=${PAGE}`),
        this.api.get(`/conversations/${id}/participants?limit=100`),
      ]);
      this.addMessages(id, page.messages);
      t.hasOlder = page.has_more;
      t.participants = new Map(people.participants.map((/** @type {Participant} */ p) => [p.user_id, p]));
      for (const p of t.participants.keys()) this.user(p);
    } else {
      await this.syncConversations([id]);
    }
    this.changed('timeline', id);
  }

  /** The page before the oldest held. @param {string} id */
  async loadOlder(id) {
    const t = this.timeline(id);
    if (!t.hasOlder || t.oldest <= 1) return false;
    const page = await this.api.get(`/conversations/${id}/messages?limit=${PAGE}&before_seq=${t.oldest}`);
    this.addMessages(id, page.messages);
    t.hasOlder = page.has_more;
    this.changed('timeline', id);
    return page.messages.length > 0;
  }

  /** @param {string} id @param {Message[]} messages */
  addMessages(id, messages) {
    const t = this.timeline(id);
    for (const m of messages) {
      t.messages.set(m.seq, m);
      if (m.seq < t.oldest) t.oldest = m.seq;
      if (m.client_message_id && m.sender_id === this.me.id) t.pending.delete(m.client_message_id);
    }
  }

  /** Messages in seq order. @param {string} id */
  messagesOf(id) {
    const t = this.timeline(id);
    return [...t.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Catch-up after a (re)connect: every conversation held, from its highest seq. */
  async catchUp() {
    await Promise.all([
      this.loadChats().catch(() => {}),
      this.syncConversations([...this.timelines.keys()]).catch(() => {}),
    ]);
    for (const [id, t] of this.timelines) {
      for (const p of t.pending.values()) if (p.state !== 'failed') this.deliver(id, p);
    }
  }

  /** @param {string[]} ids */
  async syncConversations(ids) {
    /** @type {Map<string, number>} */
    let from = new Map(ids.map((id) => [id, this.highest(this.timeline(id))]));
    while (from.size && this.gateway.online) {
      const conversations = [...from].slice(0, 100).map(([conversation_id, after_seq]) => ({ conversation_id, after_seq }));
      const body = await this.gateway.command('sync', { conversations });
      /** @type {Map<string, number>} */
      const again = new Map();
      for (const c of body.conversations) {
        if (c.error) this.forgetConversation(c.conversation_id);
        else if (c.has_more) again.set(c.conversation_id, c.last_seq);
      }
      for (const [id, seq] of [...from].slice(100)) again.set(id, seq);
      from = again;
    }
  }

  /** @param {string} id */
  forgetConversation(id) {
    this.timelines.delete(id);
    this.chats.delete(id);
    this.changed('chats');
    this.changed('timeline', id);
  }

  // ---- sending ----

  /** @param {string} id @param {string} content */
  send(id, content) {
    /** @type {Pending} */
    const pending = { client_message_id: crypto.randomUUID(), content, created_at: new Date().toISOString(), state: 'sending' };
    this.timeline(id).pending.set(pending.client_message_id, pending);
    this.changed('timeline', id);
    this.stopTyping(id);
    return this.deliver(id, pending);
  }

  /** @param {string} id @param {Pending} pending */
  async deliver(id, pending) {
    pending.state = 'sending';
    this.changed('timeline', id);
    const fields = { conversation_id: id, content: pending.content, client_message_id: pending.client_message_id };
    try {
      const ack = await this.gateway.command('message.send', fields);
      this.received(ack.message);
    } catch (error) {
      if (error instanceof SocketError && (error.code === 'disconnected' || error.code === 'timeout')) {
        // Sent again with the same id after the next `ready`: the server keeps one copy.
        pending.state = 'queued';
      } else {
        pending.state = 'failed';
        pending.error = error instanceof Error ? error.message : String(error);
      }
      this.changed('timeline', id);
    }
  }

  /** @param {string} id @param {string} clientMessageId */
  retry(id, clientMessageId) {
    const pending = this.timeline(id).pending.get(clientMessageId);
    if (pending) this.deliver(id, pending);
  }

  // ---- markers and typing ----

  /** Moves my read marker to the newest message shown. @param {string} id */
  async markRead(id) {
    const chat = this.chats.get(id);
    const t = this.timelines.get(id);
    if (!chat || !t) return;
    const seq = this.highest(t);
    if (seq <= chat.read_seq || !this.gateway.online) return;
    const before = { read_seq: chat.read_seq, unread_count: chat.unread_count };
    Object.assign(chat, { read_seq: seq, unread_count: 0 });
    this.changed('chats');
    try {
      await this.gateway.command('read', { conversation_id: id, seq });
    } catch {
      Object.assign(chat, before); // Said again on the next occasion.
    }
  }

  /** @param {string} id */
  typed(id) {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_REPEAT_MS || !this.gateway.online) return;
    this.lastTypingSent = now;
    this.gateway.command('typing.start', { conversation_id: id }).catch(() => {});
  }

  /** @param {string} id */
  stopTyping(id) {
    if (!this.lastTypingSent) return;
    this.lastTypingSent = 0;
    if (this.gateway.online) this.gateway.command('typing.stop', { conversation_id: id }).catch(() => {});
  }

  /** Who is typing in a conversation, me excluded. @param {string} id */
  typists(id) {
    return [...(this.typing.get(id)?.keys() ?? [])];
  }

  // ---- events ----

  /** @param {Message} m */
  received(m) {
    const t = this.timelines.get(m.conversation_id);
    if (t) {
      const gap = t.messages.size > 0 && m.seq > this.highest(t) + 1;
      this.addMessages(m.conversation_id, [m]);
      // A seq skipped: something was missed on the way; ask for it by seq.
      if (gap) this.syncConversations([m.conversation_id]).catch(() => {});
      this.changed('timeline', m.conversation_id);
    }
    const chat = this.chats.get(m.conversation_id);
    if (!chat) {
      this.reloadChatsSoon();
      return;
    }
    if (m.seq > chat.last_seq) {
      const isNew = !chat.last_message || m.seq > chat.last_message.seq;
      chat.last_seq = m.seq;
      chat.last_activity_at = m.created_at;
      if (isNew) chat.last_message = { id: m.id, seq: m.seq, sender_id: m.sender_id, content: m.content, created_at: m.created_at };
      if (m.sender_id !== this.me.id && m.seq > chat.read_seq && !m.deleted) chat.unread_count += 1;
      if (m.sender_id === this.me.id) chat.read_seq = Math.max(chat.read_seq, m.seq);
    }
    this.clearTypist(m.conversation_id, m.sender_id);
    this.changed('chats');
  }

  /** @param {import('./types.js').Frame} frame */
  apply(frame) {
    const d = frame.data;
    switch (frame.type) {
      case 'message.created':
        this.received(d);
        break;
      case 'message.updated': {
        const t = this.timelines.get(d.conversation_id);
        if (t?.messages.has(d.seq)) t.messages.set(d.seq, d);
        const chat = this.chats.get(d.conversation_id);
        if (chat?.last_message && chat.last_message.id === d.id) chat.last_message = { ...chat.last_message, content: d.content };
        this.changed('timeline', d.conversation_id);
        this.changed('chats');
        break;
      }
      case 'message.deleted': {
        const m = this.timelines.get(d.conversation_id)?.messages.get(d.seq);
        if (m) Object.assign(m, { deleted: true, content: null });
        const chat = this.chats.get(d.conversation_id);
        if (chat?.last_message && chat.last_message.id === d.message_id) chat.last_message = { ...chat.last_message, content: null };
        this.changed('timeline', d.conversation_id);
        this.changed('chats');
        break;
      }
      case 'read':
      case 'delivered':
        this.marker(frame.type, d);
        break;
      case 'typing':
        if (d.typing) this.setTypist(d.conversation_id, d.user_id, d.expires_in_ms ?? 5000);
        else this.clearTypist(d.conversation_id, d.user_id);
        break;
      case 'presence':
        this.presence.set(d.user_id, d.status);
        this.changed('presence');
        break;
      case 'participant.removed':
        if (d.user_id === this.me.id) this.forgetConversation(d.conversation_id);
        else this.reloadChatsSoon();
        break;
      case 'conversation.deleted':
        this.forgetConversation(d.conversation_id);
        break;
      case 'conversation.created':
      case 'conversation.updated':
      case 'participant.added':
        this.reloadChatsSoon();
        break;
      case 'notification.created':
        this.changed('notifications');
        break;
      case 'resync_required':
        if (d.conversation_id) {
          this.timelines.delete(d.conversation_id);
          this.changed('timeline', d.conversation_id);
        } else {
          this.catchUp();
        }
        break;
      default:
        break;
    }
  }

  /** @param {'read' | 'delivered'} kind @param {{ conversation_id: string, user_id: string, seq: number }} d */
  marker(kind, d) {
    if (d.user_id === this.me.id && kind === 'read') {
      const chat = this.chats.get(d.conversation_id);
      // Read on another device: the unread count there is the truth.
      if (chat && d.seq > chat.read_seq) this.reloadChatsSoon();
      return;
    }
    const p = this.timelines.get(d.conversation_id)?.participants.get(d.user_id);
    if (!p) return;
    if (kind === 'read') p.read_seq = Math.max(p.read_seq, d.seq);
    p.delivered_seq = Math.max(p.delivered_seq, d.seq);
    this.changed('timeline', d.conversation_id);
  }

  /** How far every other participant has got: the tick a message of mine shows. @param {string} id @param {number} seq */
  receiptOf(id, seq) {
    const others = [...(this.timelines.get(id)?.participants.values() ?? [])].filter((p) => p.user_id !== this.me.id);
    if (!others.length) return 'sent';
    if (others.every((p) => p.read_seq >= seq)) return 'read';
    if (others.every((p) => p.delivered_seq >= seq)) return 'delivered';
    return 'sent';
  }

  /** @param {string} id @param {string} user @param {number} ms */
  setTypist(id, user, ms) {
    let typists = this.typing.get(id);
    if (!typists) this.typing.set(id, (typists = new Map()));
    clearTimeout(typists.get(user));
    typists.set(user, window.setTimeout(() => this.clearTypist(id, user), ms));
    this.changed('typing', id);
  }

  /** @param {string} id @param {string} user */
  clearTypist(id, user) {
    const typists = this.typing.get(id);
    if (!typists?.has(user)) return;
    clearTimeout(typists.get(user));
    typists.delete(user);
    this.changed('typing', id);
  }
}
