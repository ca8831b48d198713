// The composer: text (Enter sends, Shift+Enter breaks the line), `@` offering the members to
// mention, a reply or an edit in progress shown above it, and files uploaded with progress
// before the message goes.

import { h, replace } from '../dom.js';
import { upload } from '../attachments.js';
import { humane } from '../api.js';

/** @typedef {import('../store.js').Store} Store */
/** @typedef {import('../types.js').Message} Message */
/** @typedef {import('../attachments.js').Uploaded} Uploaded */

export class Composer {
  /** @param {Store} store @param {string} id @param {() => void} sent */
  constructor(store, id, sent) {
    this.store = store;
    this.id = id;
    this.sent = sent;
    /** @type {{ kind: 'reply' | 'edit', message: Message } | null} */
    this.mode = null;
    /** @type {Uploaded[]} */
    this.files = [];
    this.uploading = 0;
    this.context = h('div', { class: 'compose-context', 'aria-live': 'polite' });
    /** @type {import('../types.js').User[]} */
    this.matches = [];
    this.active = 0;
    this.suggestions = h('ul', { id: 'mention-list', class: 'mentions', role: 'listbox', 'aria-label': 'People to mention', hidden: true });
    this.input = h('textarea', {
      id: 'composer', rows: 1, placeholder: 'Write a message', maxlength: '4000',
      'aria-autocomplete': 'list', 'aria-controls': 'mention-list',
      onkeydown: (/** @type {Event} */ e) => this.keydown(/** @type {KeyboardEvent} */ (e)),
      oninput: () => { store.typed(id); this.suggest(); },
      onblur: () => { store.stopTyping(id); setTimeout(() => this.closeSuggestions(), 150); },
    });
    this.picker = h('input', { type: 'file', id: 'attach', class: 'visually-hidden', multiple: true, onchange: () => this.attach() });
    this.el = h(
      'div',
      { class: 'compose' },
      this.context,
      this.suggestions,
      h(
        'form',
        { class: 'composer', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.send(); } },
        this.picker,
        h('label', { for: 'attach', class: 'button attach', title: 'Attach files' }, h('span', { 'aria-hidden': 'true' }, '+'), h('span', { class: 'visually-hidden' }, 'Attach files')),
        h('label', { for: 'composer', class: 'visually-hidden' }, 'Message'),
        this.input,
        h('button', { type: 'submit', class: 'primary' }, 'Send'),
      ),
    );
  }

  /** In a channel only owners and admins post: the others see why they cannot. @param {boolean} readOnly */
  setReadOnly(readOnly) {
    const form = /** @type {HTMLFormElement} */ (this.el.querySelector('form'));
    for (const control of form.elements) /** @type {HTMLInputElement} */ (control).disabled = readOnly;
    this.input.placeholder = readOnly ? 'Only admins post in this channel' : 'Write a message';
  }

  /** @param {'reply' | 'edit'} kind @param {Message} message */
  begin(kind, message) {
    this.mode = { kind, message };
    if (kind === 'edit') this.input.value = message.content ?? '';
    this.renderContext();
    this.input.focus();
  }

  cancel() {
    if (this.mode?.kind === 'edit') this.input.value = '';
    this.mode = null;
    this.renderContext();
    this.input.focus();
  }

  renderContext() {
    const m = this.mode?.message;
    replace(
      this.context,
      this.mode && m ? h('p', { class: 'compose-mode' },
        this.mode.kind === 'edit' ? 'Editing your message' : `Replying to ${this.store.nameOf(m.sender_id)}: ${(m.content ?? '').slice(0, 80)}`,
        ' ', h('button', { type: 'button', class: 'link', onclick: () => this.cancel() }, 'Cancel')) : null,
      this.files.map((f, i) => h('span', { class: 'chip' }, f.file_name, ' ',
        h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${f.file_name}`, onclick: () => { this.files.splice(i, 1); this.renderContext(); } }, '×'))),
      this.uploading ? h('progress', { class: 'upload', max: '1', value: '0', 'aria-label': 'Uploading' }) : null,
    );
  }

  async attach() {
    const chosen = [...(this.picker.files ?? [])];
    this.picker.value = '';
    for (const file of chosen) {
      this.uploading += 1;
      this.renderContext();
      const bar = /** @type {HTMLProgressElement | null} */ (this.context.querySelector('progress'));
      try {
        this.files.push(await upload(this.store.api, file, (f) => { if (bar) bar.value = f; }));
      } catch (e) {
        alert(`${file.name}: ${humane(e)}`);
      } finally {
        this.uploading -= 1;
        this.renderContext();
      }
    }
  }

  /** The `@name` being typed just before the caret, if any. */
  mentionQuery() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    return /(?:^|\s)@([\p{L}\p{N}_.]*)$/u.exec(before)?.[1] ?? null;
  }

  /** Offers the conversation's members whose name starts with what follows `@`. */
  suggest() {
    const q = this.mentionQuery();
    if (q === null) return this.closeSuggestions();
    const lower = q.toLowerCase();
    const ids = [...this.store.timeline(this.id).participants.keys()].filter((u) => u !== this.store.me.id);
    this.matches = ids.map((u) => this.store.user(u)).filter((u) => u !== undefined)
      .filter((u) => u.username.toLowerCase().startsWith(lower) || u.display_name.toLowerCase().startsWith(lower)).slice(0, 8);
    this.active = 0;
    this.renderSuggestions();
  }

  renderSuggestions() {
    const open = this.matches.length > 0;
    this.suggestions.hidden = !open;
    replace(this.suggestions, this.matches.map((u, i) => h('li', {
      id: `mention-${i}`, role: 'option', 'aria-selected': String(i === this.active),
      onmousedown: (/** @type {Event} */ e) => { e.preventDefault(); this.pick(u); },
    }, `${u.display_name} `, h('span', { class: 'handle' }, `@${u.username}`))));
    if (open) this.input.setAttribute('aria-activedescendant', `mention-${this.active}`);
    else this.input.removeAttribute('aria-activedescendant');
  }

  closeSuggestions() {
    this.matches = [];
    this.renderSuggestions();
  }

  /** Replaces the `@query` with the username. @param {import('../types.js').User} user */
  pick(user) {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret).replace(/@[\p{L}\p{N}_.]*$/u, `@${user.username} `);
    this.input.value = before + this.input.value.slice(caret);
    this.input.selectionStart = this.input.selectionEnd = before.length;
    this.closeSuggestions();
    this.input.focus();
  }

  /** The members whose `@username` the text holds. @param {string} content */
  mentionsIn(content) {
    const names = new Set([...content.matchAll(/@([A-Za-z0-9_.]+)/g)].map((m) => m[1].toLowerCase()));
    return [...this.store.timeline(this.id).participants.keys()].filter((u) => {
      const user = this.store.users.get(u);
      return user && names.has(user.username.toLowerCase());
    });
  }

  /** @param {KeyboardEvent} e */
  keydown(e) {
    if (this.matches.length && ['ArrowDown', 'ArrowUp', 'Enter', 'Tab', 'Escape'].includes(e.key)) {
      e.preventDefault();
      if (e.key === 'ArrowDown') this.active = (this.active + 1) % this.matches.length;
      else if (e.key === 'ArrowUp') this.active = (this.active + this.matches.length - 1) % this.matches.length;
      else if (e.key === 'Escape') return this.closeSuggestions();
      else return this.pick(this.matches[this.active]);
      return this.renderSuggestions();
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    } else if (e.key === 'Escape' && this.mode) {
      this.cancel();
    }
  }

  send() {
    const content = this.input.value.trim();
    if (this.uploading || (!content && !this.files.length)) return;
    this.store.stopTyping(this.id);
    if (this.mode?.kind === 'edit') {
      if (content && content !== this.mode.message.content) this.store.edit(this.id, this.mode.message, content);
    } else {
      this.store.send(this.id, content, { reply_to: this.mode?.message.id ?? null, attachment_ids: this.files.map((f) => f.id), mentions: this.mentionsIn(content) });
    }
    this.input.value = '';
    this.files = [];
    this.mode = null;
    this.renderContext();
    this.sent();
  }
}
