// The WebSocket gateway: authenticates with its first frame (browsers cannot set headers),
// answers commands by `ref`, and reconnects with exponential backoff and jitter. After every
// (re)connect it emits `ready`; the store then syncs by seq, so nothing is missed or doubled.

/** @typedef {import('./types.js').Frame} Frame */

const MAX_BACKOFF_MS = 30_000;
const COMMAND_TIMEOUT_MS = 15_000;

export class SocketError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class Gateway extends EventTarget {
  /** @param {(force: boolean) => Promise<string>} token a valid access token; `force` refreshes it */
  constructor(token) {
    super();
    this.token = token;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {'connecting' | 'online' | 'offline'} */
    this.status = 'offline';
    this.attempt = 0;
    this.nextRef = 1;
    /** @type {Map<number, { resolve: (data: any) => void, reject: (e: Error) => void, timer: number }>} */
    this.pending = new Map();
    this.stopped = true;
    this.staleToken = false;
    /** @type {number | undefined} */
    this.retryTimer = undefined;
    this.onOnline = () => { if (this.status === 'offline') this.reconnectNow(); };
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.retryTimer);
    this.ws?.close(1000);
    this.ws = null;
  }

  reconnectNow() {
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    if (!this.ws) this.connect();
  }

  /** @param {'connecting' | 'online' | 'offline'} status */
  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  async connect() {
    if (this.stopped || this.ws) return;
    this.setStatus('connecting');
    let token;
    try {
      token = await this.token(this.staleToken);
      this.staleToken = false;
    } catch {
      this.scheduleRetry();
      return;
    }
    if (this.stopped || this.ws) return;
    const url = new URL('/api/v1/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
    ws.onmessage = (event) => this.receive(String(event.data));
    ws.onclose = (event) => this.closed(ws, event.code);
  }

  /** @param {string} text */
  receive(text) {
    /** @type {Frame} */
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === 'ack' || frame.type === 'error') {
      const waiting = this.pending.get(frame.ref);
      if (!waiting) return;
      this.pending.delete(frame.ref);
      clearTimeout(waiting.timer);
      if (frame.type === 'ack') waiting.resolve(frame.data);
      else waiting.reject(new SocketError(frame.code || 'error', frame.message || 'The server refused this.'));
      return;
    }
    if (frame.type === 'ready') {
      this.attempt = 0;
      this.setStatus('online');
      this.dispatchEvent(new CustomEvent('ready', { detail: frame.data }));
      return;
    }
    this.dispatchEvent(new CustomEvent('event', { detail: frame }));
  }

  /** @param {WebSocket} ws @param {number} code */
  closed(ws, code) {
    if (this.ws !== ws) return;
    this.ws = null;
    for (const [ref, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new SocketError('disconnected', 'The connection closed.'));
      this.pending.delete(ref);
    }
    this.setStatus('offline');
    // 4003: the session ended elsewhere (logout, revocation, password change).
    if (code === 4003) {
      this.dispatchEvent(new CustomEvent('signedout'));
      return;
    }
    // 4001: the token was refused (expired on the way): take a new one for the next try.
    if (code === 4001) this.staleToken = true;
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.stopped) return;
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    // Full jitter: a restarted server is not met by every client at the same instant.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.connect(), delay);
  }

  get online() {
    return this.status === 'online' && this.ws !== null;
  }

  /**
   * Sends a command and resolves with its `ack` data.
   * @param {string} type
   * @param {Record<string, unknown>} [fields]
   * @returns {Promise<any>}
   */
  command(type, fields = {}) {
    const ws = this.ws;
    if (!ws || this.status !== 'online') return Promise.reject(new SocketError('disconnected', 'Not connected.'));
    const ref = this.nextRef++;
    return new Promise((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.pending.delete(ref);
        reject(new SocketError('timeout', 'No answer from the server.'));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(ref, { resolve, reject, timer });
      ws.send(JSON.stringify({ type, ref, ...fields }));
    });
  }
}
