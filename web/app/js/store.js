// What changes what the client holds: sending (optimistic, retried by `client_message_id`),
// edits, deletions, reactions, markers and typing, and every event the socket brings. After
// each (re)connect it syncs every conversation held from its highest seq, so a message is
// neither missed nor shown twice. Views listen for `change` events and re-render.

import { SocketError } from './socket.js';
import { Model } from './model.js';
import { humane } from './api.js';

/** @typedef {import('./types.js').Message} Message */
/** @typedef {import('./types.js').User} User */
/** @typedef {import('./model.js').Pending} Pending */
/** @typedef {import('./api.js').Api} Api */
/** @typedef {import('./socket.js').Gateway} Gateway */

const TYPING_REPEAT_MS = 3000;

export class Store extends Model {
  /** @param {Api} api @param {Gateway} gateway @param {User} me */
  constructor(api, gateway, me) {
    super(api, gateway, me);
    gateway.addEventListener('ready', () => this.catchUp());
    gateway.addEventListener('event', (e) => this.apply(/** @type {CustomEvent} */ (e).detail));
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

  // ---- sending ----

  /**
   * @param {string} id @param {string} content
   * @param {{ reply_to?: string | null, attachment_ids?: string[], mentions?: string[] }} [extra]
   */
  send(id, content, extra = {}) {
    /** @type {Pending} */
    const pending = {
      client_message_id: crypto.randomUUID(), content, created_at: new Date().toISOString(),
      reply_to: extra.reply_to ?? null, attachment_ids: extra.attachment_ids ?? [], mentions: extra.mentions ?? [], state: 'sending',
    };
    this.timeline(id).pending.set(pending.client_message_id, pending);
    this.changed('timeline', id);
    this.stopTyping(id);
    return this.deliver(id, pending);
  }

  /** @param {string} id @param {Pending} pending */
  async deliver(id, pending) {
    pending.state = 'sending';
    this.changed('timeline', id);
    /** @type {Record<string, unknown>} */
    const fields = { conversation_id: id, content: pending.content, client_message_id: pending.client_message_id };
    if (pending.reply_to) fields.reply_to = pending.reply_to;
    if (pending.attachment_ids.length) fields.attachment_ids = pending.attachment_ids;
    if (pending.mentions.length) fields.mentions = pending.mentions;
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

  /** @param {string} id @param {string} messageId */
  findMessage(id, messageId) {
    const t = this.timelines.get(id);
    const seq = t?.seqOf.get(messageId);
    return seq === undefined ? undefined : t?.messages.get(seq);
  }

  /** @param {string} id @param {Message} m @param {string} content */
  async edit(id, m, content) {
    try {
      this.replaced(await this.api.patch(`/conversations/${id}/messages/${m.id}`, { content }));
    } catch (e) {
      alert(humane(e));
    }
  }

  /** @param {string} id @param {Message} m */
  async remove(id, m) {
    try {
      await this.api.del(`/conversations/${id}/messages/${m.id}`);
      this.apply({ type: 'message.deleted', data: { conversation_id: id, message_id: m.id, seq: m.seq } });
    } catch (e) {
      alert(humane(e));
    }
  }

  /** Adds my reaction, or takes it back if I had it. @param {string} id @param {Message} m @param {string} emoji */
  async react(id, m, emoji) {
    const mine = m.reactions.some((r) => r.emoji === emoji && r.me);
    const data = { conversation_id: id, message_id: m.id, user_id: this.me.id, emoji };
    this.reaction(mine ? 'removed' : 'added', data);
    try {
      const path = `/conversations/${id}/messages/${m.id}/reactions/${encodeURIComponent(emoji)}`;
      await (mine ? this.api.del(path) : this.api.put(path));
    } catch (e) {
      this.reaction(mine ? 'added' : 'removed', data);
      alert(humane(e));
    }
  }

  /**
   * Applies a reaction once: my own arrive both from my click and as an event, and `me`
   * tells them apart.
   * @param {'added' | 'removed'} kind
   * @param {{ conversation_id: string, message_id: string, user_id: string, emoji: string }} d
   */
  reaction(kind, d) {
    const m = this.findMessage(d.conversation_id, d.message_id);
    if (!m) return;
    const own = d.user_id === this.me.id;
    let r = m.reactions.find((x) => x.emoji === d.emoji);
    if (kind === 'added') {
      if (own && r?.me) return;
      if (!r) m.reactions.push((r = { emoji: d.emoji, count: 0, me: false }));
      r.count += 1;
      if (own) r.me = true;
    } else {
      if (!r || (own && !r.me)) return;
      r.count -= 1;
      if (own) r.me = false;
      if (r.count <= 0) m.reactions = m.reactions.filter((x) => x !== r);
    }
    m.reactions = [...m.reactions];
    this.changed('timeline', d.conversation_id);
  }

  /** @param {Message} d */
  replaced(d) {
    const t = this.timelines.get(d.conversation_id);
    if (t?.messages.has(d.seq)) this.put(t, d);
    const chat = this.chats.get(d.conversation_id);
    if (chat?.last_message && chat.last_message.id === d.id) chat.last_message = { ...chat.last_message, content: d.content };
    this.changed('timeline', d.conversation_id);
    this.changed('chats');
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
      const parent = m.reply_to && !t.messages.has(m.seq) ? this.findMessage(m.conversation_id, m.reply_to) : undefined;
      if (parent) this.put(t, { ...parent, reply_count: parent.reply_count + 1 });
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
      case 'message.updated':
        this.replaced(d);
        break;
      case 'reaction.added':
      case 'reaction.removed':
        this.reaction(frame.type === 'reaction.added' ? 'added' : 'removed', d);
        break;
      case 'message.deleted': {
        const m = this.timelines.get(d.conversation_id)?.messages.get(d.seq);
        if (m) Object.assign(m, { deleted: true, content: null, attachment_ids: [], reactions: [] });
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
