// Boot: the sign-in screen, or (with a stored session) the chat. Routes live in the hash
// (`#/c/<id>`, `#/people`, `#/settings`) so the server serves one page and reloads keep place.

import { Api } from './api.js';
import { Gateway } from './socket.js';
import { Store } from './store.js';
import { byId } from './dom.js';
import { renderAuth } from './ui/auth.js';
import { Shell } from './ui/shell.js';

const api = new Api();
const root = byId('root');
const banner = byId('banner');
/** @type {{ gateway: Gateway, shell: Shell } | null} */
let running = null;

function signedOut() {
  running?.gateway.stop();
  running?.shell.destroy();
  running = null;
  banner.hidden = true;
  if (location.hash) history.replaceState(null, '', location.pathname);
  renderAuth(root, api, start);
}

async function start() {
  let me;
  try {
    me = await api.get('/users/me');
  } catch {
    if (!api.signedIn) return signedOut();
    root.textContent = 'The server cannot be reached. Retrying…';
    setTimeout(start, 3000);
    return;
  }
  const gateway = new Gateway((force) => api.token(force));
  const store = new Store(api, gateway, me);
  const shell = new Shell(root, store, () => api.logout().finally(signedOut));
  running = { gateway, shell };
  gateway.addEventListener('status', () => showStatus(gateway.status));
  gateway.addEventListener('signedout', () => {
    api.forget();
    signedOut();
  });
  await store.loadChats().catch(() => {});
  gateway.start();
}

/** The connection, said honestly: nothing while online, a banner otherwise. @param {string} status */
function showStatus(status) {
  banner.hidden = status === 'online';
  banner.dataset.status = status;
  banner.textContent = status === 'connecting' ? 'Connecting…' : 'Offline: messages will be sent when the connection is back.';
}

api.onSignedOut = signedOut;
if (api.signedIn) start();
else signedOut();
