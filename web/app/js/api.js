// REST calls with the session's tokens. The access token lives in memory only and is refreshed
// a minute before it expires. The refresh token never reaches script: the server keeps it in
// an HttpOnly cookie (`X-Refresh-Token-Delivery: cookie`), and localStorage only remembers that
// a session exists. Every refresh runs under a Web Lock, because tokens rotate on use and two
// tabs presenting the same one would look like theft and end the session.

/** @typedef {import('./types.js').SignedIn} SignedIn */
/** @typedef {import('./types.js').Tokens} Tokens */

const STORAGE_KEY = 'chat.session';
const COOKIE_DELIVERY = { 'x-refresh-token-delivery': 'cookie' };
const EARLY_REFRESH_MS = 60_000;

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ code?: string, detail?: string, errors?: { field: string, message: string }[] }} problem
   */
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || 'http_error';
    this.errors = problem.errors || [];
  }

  /** A sentence for people: the first field error, or the detail. */
  get humane() {
    const field = this.errors[0];
    return field ? `${field.field.replaceAll('_', ' ')} ${field.message}` : this.message;
  }
}

export class Api {
  /** @param {string} base */
  constructor(base = '/api/v1') {
    this.base = base;
    /** @type {string | null} */
    this.accessToken = null;
    this.expiresAt = 0;
    /** @type {Promise<void> | null} */
    this.refreshing = null;
    /** Called once the session is gone (revoked, expired, signed out elsewhere). */
    this.onSignedOut = () => {};
  }

  /** @returns {{ session_id: string, user_id: string } | null} */
  stored() {
    try {
      return JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
    } catch {
      return null;
    }
  }

  get signedIn() {
    return this.stored() !== null;
  }

  /** @param {SignedIn | { tokens: Tokens }} body @param {string} userId */
  adopt(body, userId) {
    const t = body.tokens;
    this.accessToken = t.access_token;
    this.expiresAt = Date.parse(t.expires_at);
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ session_id: t.session_id, user_id: userId }));
  }

  forget() {
    this.accessToken = null;
    this.expiresAt = 0;
    localStorage.removeItem(STORAGE_KEY);
  }

  /** @param {Record<string, string>} fields @returns {Promise<SignedIn>} */
  async register(fields) {
    const body = await this.request('POST', '/auth/register', fields, { auth: false, headers: COOKIE_DELIVERY });
    this.adopt(body, body.user.id);
    return body;
  }

  /** @param {string} login @param {string} password @returns {Promise<SignedIn>} */
  async login(login, password) {
    const body = await this.request('POST', '/auth/login', { login, password, device_name: deviceName() }, { auth: false, headers: COOKIE_DELIVERY });
    this.adopt(body, body.user.id);
    return body;
  }

  async logout() {
    try {
      await this.request('POST', '/auth/logout', undefined, { headers: COOKIE_DELIVERY });
    } finally {
      this.forget();
    }
  }

  /** A valid access token, refreshed first when it is about to expire (or when `force`). */
  async token(force = false) {
    if (force) this.accessToken = null;
    if (!this.accessToken || Date.now() > this.expiresAt - EARLY_REFRESH_MS) await this.refresh();
    if (!this.accessToken) throw new ApiError(401, { code: 'unauthenticated', detail: 'Signed out.' });
    return this.accessToken;
  }

  refresh() {
    this.refreshing ??= this.refreshOnce().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  async refreshOnce() {
    const run = async () => {
      const stored = this.stored();
      if (!stored) return;
      const response = await fetch(`${this.base}/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...COOKIE_DELIVERY },
        body: '{}',
      });
      if (response.ok) {
        this.adopt(await response.json(), stored.user_id);
      } else if (response.status === 401) {
        this.forget();
        this.onSignedOut();
      } else {
        throw new ApiError(response.status, await problemOf(response));
      }
    };
    if (navigator.locks) await navigator.locks.request('chat.refresh', run);
    else await run();
  }

  /**
   * @param {string} method
   * @param {string} path under /api/v1
   * @param {unknown} [body] JSON, or FormData sent as multipart
   * @param {{ auth?: boolean, retried?: boolean, headers?: Record<string, string> }} [options]
   * @returns {Promise<any>}
   */
  async request(method, path, body, options = {}) {
    const auth = options.auth ?? true;
    /** @type {Record<string, string>} */
    const headers = { ...options.headers };
    if (auth) headers.authorization = `Bearer ${await this.token()}`;
    /** @type {BodyInit | undefined} */
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(this.base + path, { method, headers, body: payload });
    if (response.status === 401 && auth && !options.retried) {
      // The token may have been refused at the edge of its lifetime: refresh once and retry.
      this.accessToken = null;
      return this.request(method, path, body, { ...options, retried: true });
    }
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    if (response.status === 204) return null;
    const type = response.headers.get('content-type') || '';
    return type.includes('json') ? response.json() : response.text();
  }

  /** @param {string} path */
  get(path) { return this.request('GET', path); }
  /** @param {string} path @param {unknown} [body] */
  post(path, body) { return this.request('POST', path, body); }
  /** @param {string} path @param {unknown} [body] */
  patch(path, body) { return this.request('PATCH', path, body); }
  /** @param {string} path @param {unknown} [body] */
  put(path, body) { return this.request('PUT', path, body); }
  /** @param {string} path */
  del(path) { return this.request('DELETE', path); }
}

/** @param {Response} response */
async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { detail: `${response.status} ${response.statusText}` };
  }
}

/**
 * What to tell a person about a failure: a problem's own words, else `fallback` (or the
 * error's message).
 * @param {unknown} e @param {string} [fallback]
 */
export function humane(e, fallback) {
  if (e instanceof ApiError) return e.humane;
  return fallback ?? (e instanceof Error ? e.message : String(e));
}

function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom/.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  return `${browser} (web)`;
}
