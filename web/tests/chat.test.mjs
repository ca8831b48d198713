// Two people in two browser contexts, driving the web client the server embeds: register,
// become contacts, chat live (message, typing, read tick), then the server restarts while one
// of them is cut off, and on reconnecting they see what was sent meanwhile exactly once.
// Also: no serious or critical accessibility violation on the main screens (axe-core), and
// the screenshots in docs/screenshots are taken from this run.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Server, until } from './server.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const TIMEOUT = 30_000;

/** @type {Server} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;

before(async () => {
  server = await Server.start();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** @param {import('playwright-core').BrowserContext} context */
function watchErrors(context) {
  /** @type {string[]} */
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  context.on('console', (m) => { if (m.type() === 'error' && /Content.Security.Policy/i.test(m.text())) errors.push(m.text()); });
  return errors;
}

/** @param {import('playwright-core').Page} page @param {string} name */
async function register(page, name) {
  await page.goto(server.url + '/');
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(`${name}@example.com`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Display name').fill(name[0].toUpperCase() + name.slice(1));
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('link', { name: 'Settings' }).waitFor({ timeout: TIMEOUT });
}

/** Axe over the page as it is: no serious or critical violation. @param {import('playwright-core').Page} page @param {string} screen */
async function accessible(page, screen) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    // @ts-ignore axe is injected above
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((/** @type {any} */ v) => v.impact === 'serious' || v.impact === 'critical')
      .map((/** @type {any} */ v) => `${v.id}: ${v.nodes.map((/** @type {any} */ n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `accessibility on ${screen}`);
}

/** @param {import('playwright-core').Page} page @param {string} name */
async function shoot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}

test('two people chat live, and a reconnect after a restart misses nothing and doubles nothing', { timeout: 240_000 }, async () => {
  const alice = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const bob = await browser.newContext({ viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true });
  const aliceErrors = watchErrors(alice);
  const bobErrors = watchErrors(bob);
  const a = await alice.newPage();
  const b = await bob.newPage();

  await a.goto(server.url + '/');
  await a.getByRole('heading', { name: 'Sign in' }).waitFor();
  await accessible(a, 'sign-in');
  await register(a, 'alice');
  await register(b, 'bob');

  // The refresh token never reaches script: an HttpOnly cookie carries it, and a reload
  // stays signed in through it.
  assert.doesNotMatch(await a.evaluate(() => JSON.stringify(localStorage) + document.cookie), /refresh|chat_refresh/);
  const cookies = await alice.cookies();
  assert.ok(cookies.some((c) => c.name === 'chat_refresh' && c.httpOnly && c.sameSite === 'Strict'), JSON.stringify(cookies));
  await a.reload();
  await a.getByRole('link', { name: 'Settings' }).waitFor({ timeout: TIMEOUT });

  // Alice finds Bob and asks him to be a contact; Bob's open People page shows the request live.
  await b.getByRole('link', { name: 'People', exact: true }).click();
  await a.getByRole('link', { name: 'People', exact: true }).click();
  await a.getByLabel('Find people').fill('bo');
  await a.getByRole('button', { name: 'Search' }).click();
  await a.getByRole('button', { name: 'Add Bob as a contact' }).click();
  await b.getByRole('button', { name: 'Accept Alice' }).click({ timeout: TIMEOUT });
  await b.getByRole('button', { name: 'Message Alice' }).waitFor({ timeout: TIMEOUT });
  await accessible(b, 'people (phone)');

  // Alice starts the direct chat and writes; Bob's chat list shows it live with an unread count.
  await a.getByRole('region', { name: 'Contacts' }).getByRole('button', { name: 'Message Bob' }).click({ timeout: TIMEOUT });
  await a.getByRole('heading', { name: 'Bob', level: 1 }).waitFor({ timeout: TIMEOUT });
  await a.getByLabel('Message', { exact: true }).fill('Hello Bob');
  await a.getByLabel('Message', { exact: true }).press('Enter');
  await a.locator('.msg.mine', { hasText: 'Hello Bob' }).locator('.tick').waitFor({ timeout: TIMEOUT });
  await b.getByRole('link', { name: 'Back to conversations' }).click();
  const bobsChat = b.getByRole('link', { name: /Alice/ });
  await bobsChat.getByLabel('1 unread').waitFor({ timeout: TIMEOUT });

  // Bob opens it: the message is there, and Alice's tick turns to read.
  await bobsChat.click();
  await b.locator('.msg', { hasText: 'Hello Bob' }).waitFor({ timeout: TIMEOUT });
  await a.locator('.msg.mine', { hasText: 'Hello Bob' }).locator('.tick.read').waitFor({ timeout: TIMEOUT });

  // Typing reaches Alice; Bob's answer too.
  await b.getByLabel('Message', { exact: true }).fill('Hi');
  await a.getByText('Bob is typing…').waitFor({ timeout: TIMEOUT });
  await b.getByLabel('Message', { exact: true }).fill('Hi Alice, how are you?');
  await b.getByRole('button', { name: 'Send' }).click();
  await a.locator('.msg', { hasText: 'Hi Alice, how are you?' }).waitFor({ timeout: TIMEOUT });

  // Bob reacts to Alice's message; Alice replies to Bob's; Bob sends a picture; Alice edits.
  // A message's actions show on hover, or once it is tapped (focused).
  const hello = b.locator('.msg', { hasText: 'Hello Bob' });
  await hello.locator('.body').click();
  await hello.getByRole('button', { name: 'React', exact: true }).click();
  await hello.getByRole('button', { name: 'React with 👍' }).click();
  await a.locator('.msg', { hasText: 'Hello Bob' }).getByRole('button', { name: /^👍 1/ }).waitFor({ timeout: TIMEOUT });
  await a.locator('.msg', { hasText: 'how are you' }).hover();
  await a.locator('.msg', { hasText: 'how are you' }).getByRole('button', { name: 'Reply' }).click();
  // A mention, picked from the members offered after `@`.
  await a.getByLabel('Message', { exact: true }).pressSequentially('@bo');
  await a.getByRole('option', { name: /Bob/ }).waitFor({ timeout: TIMEOUT });
  await a.getByLabel('Message', { exact: true }).press('Enter');
  await a.getByLabel('Message', { exact: true }).pressSequentially('fine, thanks');
  assert.equal(await a.getByLabel('Message', { exact: true }).inputValue(), '@bob fine, thanks');
  await a.getByLabel('Message', { exact: true }).press('Enter');
  await b.locator('.msg', { hasText: 'fine, thanks' }).locator('.quote', { hasText: 'You: Hi Alice, how are you?' }).waitFor({ timeout: TIMEOUT });
  await b.getByRole('link', { name: /Notifications/ }).click();
  await b.getByRole('link', { name: 'Alice mentioned you' }).click({ timeout: TIMEOUT });
  await b.locator('.msg', { hasText: 'fine, thanks' }).waitFor({ timeout: TIMEOUT });
  await b.locator('#attach').setInputFiles({ name: 'screen.png', mimeType: 'image/png', buffer: await a.screenshot() });
  await b.locator('.chip', { hasText: 'screen.png' }).waitFor({ timeout: TIMEOUT });
  await b.getByRole('button', { name: 'Send' }).click();
  const picture = a.locator('.msg .thumb img');
  await picture.waitFor({ timeout: TIMEOUT });
  await until(() => picture.evaluate((img) => /** @type {HTMLImageElement} */ (img).complete && /** @type {HTMLImageElement} */ (img).naturalWidth > 0), 'the thumbnail to load', TIMEOUT);
  await a.locator('.msg.mine', { hasText: 'fine, thanks' }).hover();
  await a.locator('.msg.mine', { hasText: 'fine, thanks' }).getByRole('button', { name: 'Edit' }).click();
  await a.getByLabel('Message', { exact: true }).fill('@bob fine, thanks!');
  await a.getByLabel('Message', { exact: true }).press('Enter');
  await b.locator('.msg', { hasText: 'fine, thanks!' }).locator('.edited').waitFor({ timeout: TIMEOUT });

  await accessible(a, 'conversation (desktop)');
  await accessible(b, 'conversation (phone)');
  await shoot(a, 'conversation-desktop');
  await shoot(b, 'conversation-phone');

  // Alice sets a picture; Bob's list shows it once it reloads (after the reconnect below).
  await a.getByRole('link', { name: 'Settings' }).click();
  await a.locator('#pf-picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: await b.screenshot() });
  await a.getByText('Picture saved.').waitFor({ timeout: TIMEOUT });
  await a.getByRole('link', { name: /Bob/ }).click();
  await a.getByRole('heading', { name: 'Bob', level: 1 }).waitFor();

  // The server restarts while Bob is cut off; Alice reconnects and writes twice meanwhile.
  await bob.setOffline(true);
  await server.restart();
  await b.locator('#banner').getByText(/Offline|Connecting/).waitFor({ timeout: TIMEOUT });
  await until(async () => !(await a.locator('#banner').isVisible()), 'Alice to reconnect', TIMEOUT);
  for (const text of ['While you were away', 'And one more']) {
    await a.getByLabel('Message', { exact: true }).fill(text);
    await a.getByLabel('Message', { exact: true }).press('Enter');
    await a.locator('.msg.mine', { hasText: text }).locator('.tick').waitFor({ timeout: TIMEOUT });
  }

  // Bob comes back: both messages, once each, in order, and the banner is gone.
  await bob.setOffline(false);
  await until(async () => !(await b.locator('#banner').isVisible()), 'Bob to reconnect', 60_000);
  await b.locator('.msg', { hasText: 'And one more' }).waitFor({ timeout: TIMEOUT });
  const texts = await b.locator('.msg .body').allInnerTexts();
  assert.deepEqual(texts, ['Hello Bob', 'Hi Alice, how are you?', '@bob fine, thanks!', 'While you were away', 'And one more']);
  assert.equal(await b.locator('.msg .thumb img').count(), 1);
  // Read to the end: what is on screen counts as read.
  await b.locator('.scroller').evaluate((el) => { el.scrollTop = el.scrollHeight; });

  // Search finds what was sent while Bob was away.
  await b.getByRole('link', { name: 'Search', exact: true }).click();
  await b.getByLabel('Search your conversations').fill('away');
  await b.getByRole('button', { name: 'Search', exact: true }).click();
  await b.getByRole('link', { name: 'Alice: While you were away' }).waitFor({ timeout: TIMEOUT });

  // The chat list: desktop and phone screenshots, and its accessibility.
  await b.getByRole('link', { name: 'Back to conversations' }).click();
  // Read while open: the list counts nothing unread.
  await until(async () => (await b.getByRole('link', { name: /Alice/ }).locator('.badge').count()) === 0, 'no unread badge', TIMEOUT);
  const avatarImg = b.getByRole('link', { name: /Alice/ }).locator('.avatar img');
  await until(() => avatarImg.evaluate((img) => /** @type {HTMLImageElement} */ (img).complete && /** @type {HTMLImageElement} */ (img).naturalWidth > 0), 'Alice\'s picture in the list', TIMEOUT);
  await shoot(b, 'chats-phone');
  await accessible(b, 'chat list (phone)');

  // The keyboard alone: Tab to the chat, Enter opens it with the composer focused, Enter sends.
  await a.getByRole('link', { name: 'Chat', exact: true }).click();
  await a.getByRole('heading', { name: /^Hello/ }).waitFor();
  const focusedName = () => a.evaluate(() => document.activeElement?.textContent ?? '');
  for (let i = 0; i < 30 && !/^B?Bob/.test(await focusedName()); i++) await a.keyboard.press('Tab');
  assert.match(await focusedName(), /Bob/);
  await a.keyboard.press('Enter');
  await until(() => a.evaluate(() => document.activeElement?.id === 'composer'), 'the composer to take focus', TIMEOUT);
  await a.keyboard.type('Typed with the keyboard');
  await a.keyboard.press('Enter');
  await b.getByRole('link', { name: /Alice/ }).getByText('Typed with the keyboard').waitFor({ timeout: TIMEOUT });

  assert.deepEqual(aliceErrors, [], 'page errors in Alice\'s browser');
  assert.deepEqual(bobErrors, [], 'page errors in Bob\'s browser');
  await alice.close();
  await bob.close();
});
