import { existsSync } from 'node:fs';
import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale } from '@flashsale/core';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, test } from 'vitest';
import { generateWebhookSecret, serve, type RunningServer } from '../src/index.js';

/**
 * /docs rendered by a real browser with the network off: Debian's Chromium, headless, where every
 * request that is not to the test server is refused and recorded. The page must still show every
 * operation of the document, load nothing from outside, and log no error (a Content-Security-Policy
 * violation is one). `.ci/run` installs Chromium; in CI a missing browser fails this test rather
 * than skipping it.
 */

const CHROMIUM = process.env.FLASHSALE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = Boolean(process.env.CI || process.env.FLASHSALE_CI);
if (!haveChromium && !inCi) {
  console.warn(`docs-browser.test.ts skipped: no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium, or set FLASHSALE_CHROMIUM)`);
}

interface Operation {
  operationId: string;
  summary: string;
}

let server: RunningServer | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.skipIf(!haveChromium && !inCi)('/docs in headless Chromium with the network off', () => {
  test('renders every operation of /openapi.json and fetches nothing from outside', { timeout: 60_000 }, async () => {
    if (!haveChromium) throw new Error(`CI needs Chromium at ${CHROMIUM} for the /docs test: apt-get install -y chromium`);
    const engine = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }) });
    server = await serve({
      engine,
      port: 0,
      logger: false,
      rateLimit: false,
      sweeper: false,
      adminToken: 'docs-test-admin-token',
      webhookSecret: generateWebhookSecret(),
    });
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    expect(operations.length).toBe(16);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start. The resolver rule
      // makes every host but the test server's address unresolvable, below the request hook.
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
    });
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const outside: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === server!.url) return route.continue();
      outside.push(url.href);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));

    const answer = await page.goto(`${server.url}/docs`);
    expect(answer?.status()).toBe(200);
    const operationIds = page.locator('.opblock-summary-operation-id');
    await expect.poll(() => operationIds.count(), { timeout: 30_000 }).toBe(operations.length);

    expect((await operationIds.allTextContents()).sort()).toEqual(operations.map((op) => op.operationId).sort());
    expect((await page.locator('.opblock-summary-description').allTextContents()).sort()).toEqual(operations.map((op) => op.summary).sort());
    expect(await page.locator('.info .title').textContent()).toContain('flashsale');
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
  });
});
