// The viewer's own conversation settings stay the same on each of their devices: two browsers signed in as one user,
// a pin and an archive made in one show in the other at once (conversationSettingsChanged). Chromium against a real
// server; skipped, with a message, where Chromium is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from './helpers/server.ts';
import { chromiumInstalled, launchChromium } from './helpers/browser.ts';
import { send, signedIn } from './helpers/web-client.ts';

const hasChromium = chromiumInstalled('the settings sync test (test/browser-settings-sync.test.ts)');

describe.skipIf(!hasChromium)('conversation settings on two devices in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('pins and archives on one device, and the other follows live', { timeout: 90_000 }, async () => {
    const ada = await server.user({ name: 'Ada Byron' });
    const [alan, edsger] = [await server.user({ name: 'Alan Turing' }), await server.user({ name: 'Edsger Dijkstra' })];
    await send(server, alan, ada, 'About the machine');
    await send(server, edsger, ada, 'Goto considered harmful');
    const laptop = await signedIn(browser, server, ada, pageErrors);
    const phone = await signedIn(browser, server, ada, pageErrors);
    const items = (page: typeof laptop) => page.locator('#conversation-list .item-title');
    for (const page of [laptop, phone]) await page.locator('#conversation-list button', { hasText: 'Alan Turing' }).waitFor();
    expect(await items(phone).allTextContents()).toEqual(['Edsger Dijkstra', 'Alan Turing']);

    await laptop.locator('#conversation-list button', { hasText: 'Alan Turing' }).click();
    await laptop.getByRole('button', { name: 'Pin to top' }).click();
    await phone.locator('#conversation-list .item-title', { hasText: 'Alan Turing · pinned' }).waitFor();
    expect(await items(phone).allTextContents()).toEqual(['Alan Turing · pinned', 'Edsger Dijkstra']);

    await laptop.locator('#conversation-list button', { hasText: 'Edsger Dijkstra' }).click();
    await laptop.getByRole('button', { name: 'Archive', exact: true }).click();
    await phone.locator('#conversation-list button', { hasText: 'Edsger Dijkstra' }).waitFor({ state: 'detached' });
    await phone.getByRole('button', { name: 'Archived (1)' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
