// A long conversation in the browser: it opens at the first unread message, only a window of
// it is in the DOM however far one scrolls, every message comes by in seq order on the way to
// the first, coming back to it shows the same place, and "jump to the latest" comes back to
// the newest.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Server, until } from './server.mjs';
import { register, directChatWith, readUpTo } from './seed.mjs';

const COUNT = 700;
const READ = 400;
const MAX_IN_DOM = 240;
const TIMEOUT = 30_000;

/** @type {Server} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;

before(async () => {
  server = await Server.start();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('scrolling a long history keeps the DOM bounded and misses no seq', { timeout: 300_000 }, async () => {
  const carol = await register(server.url, 'carol');
  const dave = await register(server.url, 'dave');
  const conversation = await directChatWith(server.url, carol, dave, COUNT);
  await readUpTo(server.url, dave, conversation, READ);

  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  await page.goto(server.url + '/');
  await page.getByLabel('Username or email').fill('dave');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: /Carol/ }).getByLabel(`${COUNT - READ} unread`).waitFor({ timeout: TIMEOUT });
  await page.getByRole('link', { name: /Carol/ }).click();

  // It opens at the first unread, under its marker, with the way to the latest offered.
  await page.locator('.unread-marker + .msg[data-seq="401"]').waitFor({ timeout: TIMEOUT });
  await until(() => page.locator('.msg[data-seq="401"]').evaluate((el) => {
    const box = el.getBoundingClientRect();
    const view = /** @type {HTMLElement} */ (el.closest('.scroller')).getBoundingClientRect();
    return box.top >= view.top && box.bottom <= view.bottom;
  }), 'the first unread to be on screen', TIMEOUT);
  await page.getByRole('button', { name: 'Jump to the latest messages' }).waitFor();

  const seqs = () => page.locator('.timeline .msg').evaluateAll((els) => els.map((el) => Number(/** @type {HTMLElement} */ (el).dataset.seq)));
  /** @type {Set<number>} */
  const seen = new Set();
  for (let round = 0; round < 200; round++) {
    const shown = await seqs();
    assert.ok(shown.length <= MAX_IN_DOM, `${shown.length} messages in the DOM`);
    shown.forEach((seq, i) => assert.ok(i === 0 || seq === shown[i - 1] + 1, `seq ${shown[i - 1]} then ${seq}`));
    shown.forEach((seq) => seen.add(seq));
    if (shown[0] === 1) break;
    const first = shown[0];
    await page.locator('.scroller').evaluate((el) => { el.scrollTop = 0; });
    await until(async () => (await seqs())[0] < first, `messages before seq ${first}`, TIMEOUT);
  }
  const top = Math.max(...seen);
  assert.ok(top > READ, `the first window reached past the first unread (${top})`);
  assert.equal(seen.size, top, 'every message from the first unread window up was shown on the way');
  assert.equal(await page.locator('.msg[data-seq="1"]').count(), 1);
  assert.equal(await page.locator(`.msg[data-seq="${COUNT}"]`).count(), 0, 'the newest left the DOM');

  // Leave and come back: the same message is at the top of the screen.
  const topOnScreen = () => page.locator('.scroller').evaluate((s) => {
    const top = [...s.querySelectorAll('.msg[data-seq]')].find((el) => el.getBoundingClientRect().bottom > s.getBoundingClientRect().top);
    return Number(/** @type {HTMLElement | undefined} */ (top)?.dataset.seq);
  });
  await page.locator('.scroller').evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
  const left = await topOnScreen();
  assert.ok(left > 1, `${left}`);
  await page.getByRole('link', { name: 'People', exact: true }).click();
  await page.getByRole('heading', { name: 'People' }).waitFor();
  await page.getByRole('link', { name: /Carol/ }).click();
  await until(async () => (await topOnScreen()) === left, `message ${left} back at the top`, TIMEOUT);

  await page.getByRole('button', { name: 'Jump to the latest messages' }).click();
  await page.locator(`.msg[data-seq="${COUNT}"]`).waitFor({ timeout: TIMEOUT });
  assert.ok((await seqs()).length <= MAX_IN_DOM);
  await page.close();
});
