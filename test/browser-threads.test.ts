// Threads and @mentions in the web client, in Chromium against a real server (test/browser.test.ts has the rest of
// the client). Skipped, with a message, where Chromium is not installed. Screenshots go to test-output/browser/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chromiumInstalled, launchChromium } from './helpers/browser.ts';
import { screenshot, send as sendAs, signedIn as openAs } from './helpers/web-client.ts';

const hasChromium = chromiumInstalled('the thread and mention tests (test/browser-threads.test.ts)');

describe.skipIf(!hasChromium)('threads and mentions in Chromium', () => {
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

  const signedIn = (user: TestUser) => openAs(browser, server, user, pageErrors);
  const send = (from: TestUser, to: TestUser, content: string, threadRootId?: string) => sendAs(server, from, to, content, threadRootId);

  it(
    'replies in a thread: the panel pages its replies, both sides see them live, the main list never does',
    { timeout: 120_000 },
    async () => {
      const ada = await server.user({ name: 'Ada Lovelace', username: 'ada_l' });
      const grace = await server.user({ name: 'Grace Hopper', username: 'grace_h' });
      const rootId = await send(ada, grace, 'Release plan for Friday: who takes what?');
      for (let i = 1; i <= 32; i++) await send(ada, grace, `Step ${i}`, rootId);
      await send(ada, grace, 'Lunch after the release?');

      const gracePage = await signedIn(grace);
      const adaPage = await signedIn(ada);
      for (const page of [gracePage, adaPage]) {
        const other = page === gracePage ? 'Ada Lovelace' : 'Grace Hopper';
        await page.locator('#conversation-list button', { hasText: other }).click();
        await page.locator('#message-list', { hasText: 'Lunch after the release?' }).waitFor();
      }
      // The root carries its summary; its replies are not in the main history.
      const rootAt = (page: Page) => page.locator('#message-list .message', { hasText: 'Release plan for Friday' });
      await rootAt(gracePage).locator('.thread-summary', { hasText: '32 replies' }).waitFor();
      expect(await gracePage.locator('#message-list .message .content').allTextContents()).toEqual([
        'Release plan for Friday: who takes what?',
        'Lunch after the release?',
      ]);

      // Grace opens the thread from the summary: the newest 30 replies, then the older ones on request.
      await rootAt(gracePage)
        .getByRole('button', { name: /^32 replies, last at .* from Ada Lovelace: open the thread/ })
        .click();
      const panelG = gracePage.locator('#thread-panel');
      await panelG.locator('#thread-root', { hasText: 'Release plan for Friday' }).waitFor();
      await panelG.locator('#thread-replies .message', { hasText: 'Step 32' }).waitFor();
      const repliesG = panelG.locator('#thread-replies .message .content');
      expect(await repliesG.count()).toBe(30);
      expect(await repliesG.first().textContent()).toBe('Step 3');
      // Shown, then clicked by its own event: the replies re-render as live events (receipts) arrive, and a pointer
      // click can land on a reply moved under it meanwhile.
      const older = panelG.getByRole('button', { name: 'Load older replies' });
      await older.waitFor();
      await older.dispatchEvent('click');
      await panelG.locator('#thread-replies .content', { hasText: /^Step 1$/ }).waitFor();
      expect(await repliesG.allTextContents()).toEqual(Array.from({ length: 32 }, (_, i) => `Step ${i + 1}`));
      await panelG.getByRole('button', { name: 'Load older replies' }).waitFor({ state: 'hidden' });
      await expect(gracePage.locator('#assistant').isHidden()).resolves.toBe(true); // the panel takes its place

      // Grace replies in the thread: Ada's summary counts it live, with Grace among the repliers; her main list stays.
      const composerG = gracePage.getByLabel('Reply in thread', { exact: true });
      await composerG.fill('I can take the changelog');
      await composerG.press('Enter');
      await panelG.locator('#thread-replies .message.mine', { hasText: 'I can take the changelog' }).waitFor();
      await rootAt(adaPage).locator('.thread-summary', { hasText: '33 replies' }).waitFor();
      await rootAt(adaPage).locator('.thread-summary', { hasText: 'Ada Lovelace, Grace Hopper' }).waitFor();
      await rootAt(gracePage).locator('.thread-summary', { hasText: '33 replies' }).waitFor();

      // Ada opens the thread with Reply in thread and answers: Grace's open panel shows it live.
      await adaPage.getByRole('button', { name: 'Reply in thread: Release plan for Friday: who takes what?' }).click();
      const panelA = adaPage.locator('#thread-panel');
      await panelA.locator('#thread-replies .message', { hasText: 'I can take the changelog' }).waitFor();
      const composerA = adaPage.getByLabel('Reply in thread', { exact: true });
      await composerA.fill('Thanks! I will tag the release then.');
      await composerA.press('Enter');
      await panelG.locator('#thread-replies .message', { hasText: 'Thanks! I will tag the release then.' }).waitFor();
      await rootAt(gracePage).locator('.thread-summary', { hasText: '34 replies' }).waitFor();
      await panelG.locator('#thread-count', { hasText: '34 replies' }).waitFor();
      // A reply sent from outside the browser arrives the same way.
      await send(ada, grace, 'Step 33: ship it', rootId);
      await panelG.locator('#thread-replies .message', { hasText: 'Step 33: ship it' }).waitFor();
      await rootAt(gracePage).locator('.thread-summary', { hasText: '35 replies' }).waitFor();

      for (const page of [gracePage, adaPage]) {
        const main = await page.locator('#message-list').innerText();
        for (const reply of ['Step 1', 'changelog', 'tag the release', 'ship it']) expect(main).not.toContain(reply);
      }
      expect(await panelG.locator('#thread-replies .message').count()).toBe(35);
      await screenshot(gracePage, 'thread');

      // A thread on a message that came live (after the history was read): the panel finds it all the same.
      await send(ada, grace, 'Second topic: the blog post');
      await send(ada, grace, 'Third topic: the demo');
      await gracePage.getByRole('button', { name: 'Reply in thread: Third topic: the demo' }).click();
      await panelG.locator('#thread-root', { hasText: 'Third topic: the demo' }).waitFor();
      await panelG.locator('#thread-count', { hasText: 'No replies yet' }).waitFor();
      await composerG.fill('I will record it');
      await composerG.press('Enter');
      await panelG.locator('#thread-replies .message.mine', { hasText: 'I will record it' }).waitFor();
      await adaPage
        .locator('#message-list .message', { hasText: 'Third topic' })
        .locator('.thread-summary', { hasText: '1 reply' })
        .waitFor();
      expect(await panelG.locator('#thread-replies .message').count()).toBe(1);

      // Close puts the assistant back; opening another conversation closes an open thread too.
      await panelG.getByRole('button', { name: 'Close thread' }).click();
      await panelG.waitFor({ state: 'hidden' });
      await gracePage.locator('#assistant').waitFor();
      await adaPage.locator('#thread-panel').waitFor();
      const alan = await server.user({ name: 'Alan Turing', username: 'alan_t' });
      await send(alan, ada, 'Hello Ada');
      await adaPage.locator('#conversation-list button', { hasText: 'Alan Turing' }).click();
      await adaPage.locator('#conversation-title', { hasText: 'Alan Turing' }).waitFor();
      await adaPage.locator('#thread-panel').waitFor({ state: 'hidden' });
      expect(pageErrors).toEqual([]);
    },
  );

  it(
    '@mentions: chosen from the autocomplete with the keyboard, highlighted, and counted in a badge until read',
    { timeout: 120_000 },
    async () => {
      const katherine = await server.user({ name: 'Katherine Johnson', username: 'katherine' });
      const dorothy = await server.user({ name: 'Dorothy Vaughan', username: 'dorothy' });
      await send(dorothy, katherine, 'Morning!');
      const katherinePage = await signedIn(katherine);
      const dorothyPage = await signedIn(dorothy);
      const item = katherinePage.locator('#conversation-list button', { hasText: 'Dorothy Vaughan' });
      await item.waitFor();
      expect(await item.locator('.mention-badge').count()).toBe(0);

      // Dorothy types "@kat": the list offers Katherine (not herself); Enter takes her handle instead of sending.
      await dorothyPage.locator('#conversation-list button', { hasText: 'Katherine Johnson' }).click();
      await dorothyPage.locator('#message-list', { hasText: 'Morning!' }).waitFor();
      const composer = dorothyPage.getByLabel('Message', { exact: true });
      await composer.pressSequentially('Can you check the orbit numbers, @kat');
      const options = dorothyPage.locator('#composer [role="listbox"] [role="option"]');
      await options.filter({ hasText: 'Katherine Johnson @katherine' }).waitFor();
      expect(await options.count()).toBe(1);
      expect(await options.first().getAttribute('aria-selected')).toBe('true');
      await composer.press('ArrowDown'); // one option: it stays chosen
      await composer.press('Enter');
      await dorothyPage.locator('#composer [role="listbox"]').waitFor({ state: 'hidden' });
      await expect(composer.inputValue()).resolves.toBe('Can you check the orbit numbers, @katherine ');
      // Escape closes the list and leaves the text as typed.
      await composer.pressSequentially('and @dor');
      await expect(options.count()).resolves.toBe(0); // nobody else to mention here
      await composer.fill('Can you check the orbit numbers, @katherine ');
      await composer.pressSequentially('@k');
      await options.first().waitFor();
      await composer.press('Escape');
      await dorothyPage.locator('#composer [role="listbox"]').waitFor({ state: 'hidden' });
      await composer.press('Backspace');
      await composer.press('Backspace');
      await composer.pressSequentially('please?');
      await composer.press('Enter');
      const sent = 'Can you check the orbit numbers, @katherine please?';
      await dorothyPage.locator('#message-list .message.mine', { hasText: sent }).locator('.mention', { hasText: '@katherine' }).waitFor();
      expect(await dorothyPage.locator('#message-list .mention.me').count()).toBe(0);

      // Katherine's list shows the mention badge live; opening the conversation clears it and shows her name marked.
      await item.locator('.mention-badge', { hasText: '@1' }).waitFor();
      expect(await item.locator('.mention-badge').getAttribute('aria-label')).toBe('1 unread mention');
      await item.click();
      const mine = katherinePage.locator('#message-list .message', { hasText: sent }).locator('.mention.me');
      await mine.waitFor();
      expect(await mine.textContent()).toBe('@katherine');
      await item.locator('.mention-badge').waitFor({ state: 'detached' });

      // The thread composer offers the same list; a click chooses too.
      await katherinePage.getByRole('button', { name: `Reply in thread: ${sent.slice(0, 40)}` }).click();
      const threadComposer = katherinePage.getByLabel('Reply in thread', { exact: true });
      await threadComposer.pressSequentially('On it, @Dor');
      await katherinePage.locator('#thread-composer [role="option"]', { hasText: 'Dorothy Vaughan @dorothy' }).click();
      await expect(threadComposer.inputValue()).resolves.toBe('On it, @dorothy ');
      await threadComposer.pressSequentially('numbers by noon.');
      await threadComposer.press('Enter');
      await katherinePage.locator('#thread-replies .message.mine .mention', { hasText: '@dorothy' }).waitFor();
      await dorothyPage.locator('#message-list .thread-summary', { hasText: '1 reply' }).click();
      await dorothyPage
        .locator('#thread-replies .message', { hasText: 'numbers by noon.' })
        .locator('.mention.me', { hasText: '@dorothy' })
        .waitFor();

      // Dorothy's Mentions list has Katherine's thread reply; it opens the conversation with that thread.
      await dorothyPage.getByRole('button', { name: 'Close thread' }).click();
      await dorothyPage.locator('#thread-panel').waitFor({ state: 'hidden' });
      await dorothyPage.getByRole('button', { name: 'Mentions' }).click();
      const mention = dorothyPage.locator('#mentions-list .mention-item', { hasText: 'On it, @dorothy numbers by noon.' });
      await mention.getByText('Katherine Johnson in Katherine Johnson (thread)').waitFor();
      await mention.locator('.mention.me', { hasText: '@dorothy' }).waitFor();
      expect(await dorothyPage.locator('#mentions-list .mention-item').count()).toBe(1); // her own mention of Katherine is not hers
      await mention.click();
      await dorothyPage.locator('#thread-root', { hasText: 'Can you check the orbit numbers' }).waitFor();
      await dorothyPage.locator('#thread-replies .message', { hasText: 'numbers by noon.' }).waitFor();

      // Read later, after the page loads again: the mention comes from the server (Message.mentions) this time.
      await katherinePage.getByRole('button', { name: 'Close thread' }).click();
      await katherinePage.reload();
      await katherinePage.locator('#conversation-list button', { hasText: 'Dorothy Vaughan' }).click();
      await katherinePage.locator('#message-list .message', { hasText: sent }).locator('.mention.me').waitFor();
      await katherinePage.getByLabel('Message', { exact: true }).pressSequentially('Sure @do');
      await katherinePage.locator('#composer [role="option"]', { hasText: 'Dorothy Vaughan @dorothy' }).waitFor();
      await screenshot(katherinePage, 'mentions');
      expect(pageErrors).toEqual([]);
    },
  );
});
