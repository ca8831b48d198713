// Figures for the web client (not a test): the first load's transferred size, the time to
// open a conversation of N messages (click to newest shown), and the page's memory and DOM
// size after scrolling through all of it. Usage:
//   CHAT_SERVER_BIN=target/release/chat-server node bench/open.mjs [N=10000]

import { chromium } from 'playwright-core';
import { Server, until } from '../tests/server.mjs';
import { register, directChatWith } from '../tests/seed.mjs';

const count = Number(process.argv[2] || 10_000);
const server = await Server.start();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  const carol = await register(server.url, 'carol');
  const dave = await register(server.url, 'dave');
  let t = performance.now();
  await directChatWith(server.url, carol, dave, count);
  console.log(`seeded ${count} messages in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  let transferred = 0;
  cdp.on('Network.loadingFinished', (e) => { transferred += e.encodedDataLength; });
  await page.goto(server.url + '/', { waitUntil: 'networkidle' });
  console.log(`first load: ${(transferred / 1024).toFixed(1)} KiB transferred (gzip, headers included)`);

  await page.getByLabel('Username or email').fill('dave');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const chat = page.getByRole('link', { name: /Carol/ });
  await chat.waitFor();
  t = performance.now();
  await chat.click();
  await page.locator(`.msg[data-seq="${count}"]`).waitFor();
  console.log(`open a conversation of ${count}: ${(performance.now() - t).toFixed(0)} ms to the newest message on screen`);

  t = performance.now();
  for (;;) {
    const first = await page.locator('.timeline .msg').first().evaluate((el) => Number(/** @type {HTMLElement} */ (el).dataset.seq));
    if (first === 1) break;
    await page.locator('.scroller').evaluate((el) => { el.scrollTop = 0; });
    await until(async () => (await page.locator('.timeline .msg').first().evaluate((el) => Number(/** @type {HTMLElement} */ (el).dataset.seq))) < first, 'older messages', 60_000);
  }
  console.log(`scrolled to the first message in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (/** @type {string} */ name) => metrics.find((m) => m.name === name)?.value ?? 0;
  console.log(`after scrolling through: JS heap ${(metric('JSHeapUsedSize') / 1048576).toFixed(1)} MiB, ${metric('Nodes')} DOM nodes, ${await page.locator('.timeline .msg').count()} messages in the DOM`);
} finally {
  await browser.close();
  await server.close();
}
