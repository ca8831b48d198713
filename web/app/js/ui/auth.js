// Sign in and create an account: two forms on one screen, errors read out by screen readers.

import { h, replace } from '../dom.js';
import { humane } from '../api.js';

/**
 * @param {HTMLElement} root
 * @param {import('../api.js').Api} api
 * @param {() => void} onSignedIn
 */
export function renderAuth(root, api, onSignedIn) {
  let mode = /** @type {'login' | 'register'} */ ('login');
  const error = h('p', { class: 'form-error', role: 'alert' });

  /** @param {string} label @param {string} name @param {Record<string, string | boolean>} [extra] */
  const field = (label, name, extra = {}) => {
    const id = `auth-${name}`;
    return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, required: true, ...extra }));
  };

  const render = () => {
    const registering = mode === 'register';
    const form = h(
      'form',
      { class: 'auth-form', 'aria-labelledby': 'auth-title', onsubmit: submit },
      h('h1', { id: 'auth-title' }, registering ? 'Create an account' : 'Sign in'),
      registering
        ? [
            field('Email', 'email', { type: 'email', autocomplete: 'email' }),
            field('Username', 'username', { autocomplete: 'username', pattern: '[A-Za-z0-9_.]{3,32}', title: '3 to 32 letters, digits, dots or underscores' }),
            field('Display name', 'display_name', { autocomplete: 'name' }),
            field('Password', 'password', { type: 'password', autocomplete: 'new-password', minlength: '8' }),
          ]
        : [
            field('Username or email', 'login', { autocomplete: 'username' }),
            field('Password', 'password', { type: 'password', autocomplete: 'current-password' }),
          ],
      error,
      h('button', { type: 'submit', class: 'primary' }, registering ? 'Create account' : 'Sign in'),
      h(
        'p',
        { class: 'switch' },
        registering ? 'Have an account? ' : 'New here? ',
        h('button', { type: 'button', class: 'link', onclick: toggle }, registering ? 'Sign in' : 'Create an account'),
      ),
    );
    replace(root, h('div', { class: 'auth' }, form));
    form.querySelector('input')?.focus();
  };

  const toggle = () => {
    mode = mode === 'login' ? 'register' : 'login';
    error.textContent = '';
    render();
  };

  /** @param {Event} event */
  async function submit(event) {
    event.preventDefault();
    const form = /** @type {HTMLFormElement} */ (event.currentTarget);
    const data = Object.fromEntries(new FormData(form).entries());
    const button = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
    button.disabled = true;
    error.textContent = '';
    try {
      if (mode === 'register') await api.register(/** @type {Record<string, string>} */ (data));
      else await api.login(String(data.login), String(data.password));
      onSignedIn();
    } catch (e) {
      error.textContent = humane(e, 'The server cannot be reached.');
      button.disabled = false;
    }
  }

  render();
}
