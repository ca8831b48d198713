// A tiny element builder: the client renders with the DOM API only (no innerHTML with data),
// so text from the server can never become markup.

/**
 * @typedef {string | number | boolean | null | undefined | EventListener | Record<string, string>} AttrValue
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * Creates an element: `on*` attributes become listeners, `class` and `dataset` are handled,
 * `false`/`null` attributes are left out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, AttrValue>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset' && typeof value === 'object') {
      Object.assign(el.dataset, value);
    } else if (name in el && typeof value !== 'string' && typeof value !== 'object') {
      // Properties such as `disabled`, `checked`, `value`, `hidden`.
      /** @type {any} */ (el)[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {(Child | Child[])[]} children
 */
export function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** @param {Element} el @param {...(Child | Child[])} children */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A screen's header: a back link (shown on phones) and its title.
 * @param {string} id of the title @param {string | Element} title
 * @param {{ back?: string, label?: string, extra?: Child }} [options]
 */
export function pageHeader(id, title, options = {}) {
  const back = options.back ?? '#/';
  return h('header', { class: 'conv-header' },
    h('a', { href: back, class: back === '#/' ? 'back' : 'back shown', 'aria-label': options.label ?? 'Back to conversations' }, '‹'),
    typeof title === 'string' ? h('h1', { id }, title) : title,
    options.extra);
}

/** @param {string} id */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** @param {string} iso */
export const timeOf = (iso) => timeFormat.format(new Date(iso));

/** @param {string} iso */
export const dayOf = (iso) => dayFormat.format(new Date(iso));
