// GraphiQL at GET /graphql: it loads from this server alone (every request the page makes stays
// on its origin), and runs the sign-in it offers against the real API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Server } from './server.mjs';
import { register } from './seed.mjs';

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

test('GraphiQL is served offline and runs an operation', { timeout: 120_000 }, async () => {
  await register(server.url, 'alice');
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  /** @type {string[]} */
  const elsewhere = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) elsewhere.push(request.url());
  });
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));

  await page.goto(server.url + '/graphql');
  await page.locator('.graphiql-container').waitFor({ timeout: TIMEOUT });
  // The default document signs alice in; running it asks which operation, so pick SignIn.
  await page.getByRole('button', { name: /Execute query/ }).click();
  const choice = page.getByRole('menuitem', { name: 'SignIn' });
  if (await choice.isVisible().catch(() => false)) await choice.click();
  await page.locator('.result-window').getByText('accessToken').waitFor({ timeout: TIMEOUT });

  assert.deepEqual(elsewhere, [], 'nothing fetched from another origin');
  assert.deepEqual(errors, [], 'no script error');
});
