// GraphiQL at /graphql in a real browser (Debian's Chromium through playwright-core), served wholly by Parley: it
// renders, runs a query over HTTP and a subscription over WebSocket, and nothing it loads or opens leaves the
// server. Skipped, with a message, where Chromium is not installed (.ci/run installs it).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { EchoModel } from '../src/assistant/echo-model.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { chromiumInstalled, launchChromium, OUTPUT } from './helpers/browser.ts';

const hasChromium = chromiumInstalled('the GraphiQL browser test (test/browser-graphiql.test.ts)');
const WAIT = 20_000;

const QUESTION = 'Hello from GraphiQL';
const SUBSCRIPTION = `subscription {
  chat(input: { message: "${QUESTION}" }) {
    __typename
    ... on ChatCompleted { answer { content } }
    ... on ChatStopped { answer { content } }
    ... on ChatError { code message answer { content } }
  }
}`;

describe.skipIf(!hasChromium)('GraphiQL in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Replaces the operation editor's text and runs it (Ctrl+Enter), as a person would. */
  async function run(page: Page, operation: string) {
    const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(operation.replace(/\s+/g, ' ')); // one line: Monaco indents and closes braces after a newline
    // GraphiQL reads the operations from the editor a moment later; until then it still offers the operations of the
    // old text in a menu on the run button (the first page shows several) and would run one of those.
    await page.locator('.graphiql-execute-button:not([aria-haspopup])').waitFor();
    await page.keyboard.press('ControlOrMeta+Enter');
  }

  /** The response pane's JSON without its whitespace (Monaco draws wrapped, separate lines; compare it so). */
  const response = (page: Page) =>
    page
      .locator('.graphiql-response .view-lines')
      .first()
      .evaluate((el) => (el as HTMLElement).innerText.replace(/\s+/g, ''));
  const compact = (value: unknown) => JSON.stringify(value).replace(/\s+/g, '');

  it('renders, runs a query and a subscription over WebSocket, and requests nothing off the server', { timeout: 90_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    context.setDefaultTimeout(WAIT);
    const requests: string[] = [];
    const sockets: string[] = [];
    const problems: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    // Every CSP violation the page (or a worker) reports, caught where the page's own scripts cannot hide it.
    await context.addInitScript(() => {
      const seen: string[] = [];
      (globalThis as unknown as { cspViolations: string[] }).cspViolations = seen;
      addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    page.on('websocket', (ws) => sockets.push(ws.url()));
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));

    await page.goto(`${server.url}/graphql`);
    await expect(page.title()).resolves.toBe('Parley');
    await page.locator('.graphiql-query-editor .view-lines', { hasText: 'Welcome to Parley' }).waitFor();

    await run(page, '{ chatModels { id offline } }');
    await page.locator('.graphiql-response .view-lines', { hasText: 'parley-echo' }).waitFor();
    expect(await response(page)).toBe(compact({ data: { chatModels: [{ id: 'parley-echo', offline: true }] } }));

    await run(page, SUBSCRIPTION);
    await page.locator('.graphiql-response .view-lines', { hasText: 'ChatCompleted' }).waitFor();
    expect(await response(page)).toBe(
      compact({ data: { chat: { __typename: 'ChatCompleted', answer: { content: EchoModel.reply(QUESTION) } } } }),
    );
    const { host } = new URL(server.url);
    expect(sockets).toEqual([`ws://${host}/graphql`]);

    // Laid out for the screenshot (README): GraphiQL's own prettifier spreads the one-line operation over lines.
    await page.getByRole('button', { name: /Prettify/ }).click();
    await page.locator('.graphiql-query-editor .view-line', { hasText: '... on ChatError' }).waitFor();
    const path = join(OUTPUT, 'graphiql.png');
    await page.screenshot({ path });
    console.log(`screenshot: ${path}`);

    const offServer = requests.filter((url) => new URL(url).origin !== server.url);
    expect(offServer).toEqual([]);
    expect(requests.some((url) => url.endsWith('/graphiql.js'))).toBe(true);
    expect(requests.filter((url) => url.endsWith('.worker.js')).length).toBeGreaterThan(0);
    expect(await page.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
