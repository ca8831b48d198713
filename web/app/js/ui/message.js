// One message bubble: the quoted parent of a reply, the text, pictures and files, reaction
// chips, time and ticks, and its actions (react, reply, edit and delete for the author).

import { h, timeOf } from '../dom.js';
import { thumbnail, open } from '../attachments.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').Message} Message */

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];

/**
 * @typedef {{ reply: (m: Message) => void, edit: (m: Message) => void, thread: (m: Message) => void }} MessageActions
 */

/**
 * @param {Store} store @param {string} conversationId @param {Message} m @param {string} tick
 * @param {MessageActions} actions
 */
export function renderMessage(store, conversationId, m, tick, actions) {
  const mine = m.sender_id === store.me.id;
  const author = store.nameOf(m.sender_id);
  const parent = m.reply_to ? store.findMessage(conversationId, m.reply_to) : undefined;
  const canDelete = mine || ['owner', 'admin'].includes(store.chats.get(conversationId)?.role ?? '');
  const picker = h('div', { class: 'picker', role: 'group', 'aria-label': 'Pick a reaction', hidden: true },
    QUICK_REACTIONS.map((emoji) => h('button', { type: 'button', 'aria-label': `React with ${emoji}`, onclick: () => { picker.hidden = true; store.react(conversationId, m, emoji); } }, emoji)));
  return h(
    'li',
    { class: `msg${mine ? ' mine' : ''}${m.deleted ? ' deleted' : ''}`, dataset: { seq: String(m.seq) }, tabindex: '-1' },
    mine ? null : h('span', { class: 'author' }, author),
    m.reply_to ? h('blockquote', { class: 'quote' }, parent ? `${store.nameOf(parent.sender_id)}: ${parent.deleted ? 'deleted message' : parent.content ?? ''}` : 'In reply to an earlier message') : null,
    m.deleted ? h('p', { class: 'body' }, 'This message was deleted.') : m.content ? h('p', { class: 'body' }, m.content) : null,
    m.deleted ? null : m.attachment_ids.map((id) => attachment(store, id)),
    m.reactions.length ? h('div', { class: 'reactions' }, m.reactions.map((r) => h('button', {
      type: 'button', class: 'reaction', 'aria-pressed': r.me ? 'true' : 'false',
      'aria-label': `${r.emoji} ${r.count}${r.me ? ', yours: remove' : ''}`,
      onclick: () => store.react(conversationId, m, r.emoji),
    }, `${r.emoji} ${r.count}`))) : null,
    h(
      'span',
      { class: 'meta' },
      m.edited_at && !m.deleted ? h('span', { class: 'edited' }, 'edited · ') : null,
      h('time', { datetime: m.created_at }, timeOf(m.created_at)),
      tick ? h('span', { class: `tick ${tick}`, role: 'img', 'aria-label': tick }, tick === 'sent' ? ' ✓' : ' ✓✓') : null,
    ),
    m.reply_count > 0 ? h('button', { type: 'button', class: 'link replies', onclick: () => actions.thread(m) }, m.reply_count === 1 ? '1 reply' : `${m.reply_count} replies`) : null,
    m.deleted ? null : h('div', { class: 'msg-actions', role: 'group', 'aria-label': `Actions on ${mine ? 'your' : `${author}'s`} message` },
      h('button', { type: 'button', 'aria-expanded': 'false', onclick: (/** @type {Event} */ e) => {
        picker.hidden = !picker.hidden;
        /** @type {HTMLElement} */ (e.currentTarget).setAttribute('aria-expanded', String(!picker.hidden));
      } }, 'React'),
      h('button', { type: 'button', onclick: () => actions.reply(m) }, 'Reply'),
      mine ? h('button', { type: 'button', onclick: () => actions.edit(m) }, 'Edit') : null,
      canDelete ? h('button', { type: 'button', onclick: () => { if (confirm('Delete this message for everyone?')) store.remove(conversationId, m); } }, 'Delete') : null),
    picker,
  );
}

/** A picture's thumbnail, or a download button for any other file. @param {Store} store @param {string} id */
function attachment(store, id) {
  const slot = h('div', { class: 'attachment' }, h('span', { class: 'hint' }, 'Loading file…'));
  thumbnail(store.api, id).then((url) => {
    const openIt = () => open(store.api, id).catch((e) => alert(e.message));
    slot.replaceChildren(url
      ? h('button', { type: 'button', class: 'thumb', onclick: openIt, 'aria-label': 'Open picture' }, h('img', { src: url, alt: 'Picture' }))
      : h('button', { type: 'button', class: 'file', onclick: openIt }, 'Download file'));
  });
  return slot;
}
