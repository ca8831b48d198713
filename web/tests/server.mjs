// Starts the real server binary on a free port with a throwaway SQLite database, and restarts
// it on the same data when a test asks.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.CHAT_SERVER_BIN;

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Polls `check` until it holds, up to a generous deadline. @param {() => Promise<boolean>} check */
export async function until(check, what, deadlineMs = 30_000) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export class Server {
  static async start() {
    if (!BIN) throw new Error('set CHAT_SERVER_BIN to the chat-server binary');
    const server = new Server(mkdtempSync(join(tmpdir(), 'chat-web-')), await freePort());
    await server.run();
    return server;
  }

  /** @param {string} dir @param {number} port */
  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.child = null;
  }

  async run() {
    const log = openSync(join(this.dir, 'server.log'), 'a');
    this.child = spawn(/** @type {string} */ (BIN), [], {
      cwd: this.dir,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        PORT: String(this.port),
        CHAT__SERVER__HOST: '127.0.0.1',
        CHAT__RATE_LIMIT__REGISTER_PER_IP__MAX: '0',
        CHAT__RATE_LIMIT__LOGIN_PER_IP__MAX: '0',
        CHAT__RATE_LIMIT__LOGIN_PER_ACCOUNT__MAX: '0',
        CHAT__RATE_LIMIT__MESSAGES_PER_USER__MAX: '0',
      },
    });
    await until(async () => (await fetch(`${this.url}/health/ready`)).ok, 'the server to be ready');
  }

  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    this.child = null;
  }

  async restart() {
    await this.stop();
    await this.run();
  }

  async close() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
