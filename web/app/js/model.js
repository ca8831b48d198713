// What the client holds: the chat list, people, and each open conversation's messages by
// seq with its members' markers, loaded over REST and caught up by seq over the socket.
// `Store` (store.js) adds what changes it: sending, actions, and the socket's events.

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
 *   reply_to: string | null, attachment_ids: string[], mentions: string[],
 *   state: 'sending' | 'queued' | 'failed', error?: string }} Pending
 * @typedef {{ messages: Map<number, Message>, seqOf: Map<string, number>,
 *   sorted: Message[] | null, pending: Map<string, Pending>, oldest: number, hasOlder: boolean,
 *   participants: Map<string, Participant> }} Timeline
 */

const PAGE = 50;

export class Model extends EventTarget {
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
    /**
     * Where each conversation was left: its window and the message at the top of the screen,
     * so coming back shows the same place.
     * @type {Map<string, { lo: number, hi: number, follow: boolean, seq: number, offset: number }>}
     */
    this.places = new Map();
    this.lastTypingSent = 0;
    /** @type {number | undefined} */
    this.chatListTimer = undefined;
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
      t = { messages: new Map(), seqOf: new Map(), sorted: null, pending: new Map(), oldest: Infinity, hasOlder: true, participants: new Map() };
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
      this.put(t, m);
      if (m.seq < t.oldest) t.oldest = m.seq;
      if (m.client_message_id && m.sender_id === this.me.id) t.pending.delete(m.client_message_id);
    }
  }

  /** Holds `m` (new, or a newer copy of one held). @param {Timeline} t @param {Message} m */
  put(t, m) {
    t.messages.set(m.seq, m);
    t.seqOf.set(m.id, m.seq);
    t.sorted = null;
  }

  /** Messages in seq order, sorted once per change (every render asks). @param {string} id */
  messagesOf(id) {
    const t = this.timeline(id);
    t.sorted ??= [...t.messages.values()].sort((a, b) => a.seq - b.seq);
    return t.sorted;
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
}
