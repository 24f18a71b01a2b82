// @assistant in a conversation, in the web client: chosen from the @ list, its answer streams in place for every
// member (partial text first, markdown, an AI badge, a caret and Stop), completes, and a member stops a second one
// (both see it stopped with its text so far), a failed one says so; in a thread the answer streams into the thread panel; the group's owner
// turns the assistant off (read-only to the member) and the @ list stops offering it. Chromium against a real server,
// with gated mock models as the assistant's model; skipped, with a message, where Chromium is not installed.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer } from './helpers/server.ts';
import { chromiumInstalled, launchChromium, OUTPUT } from './helpers/browser.ts';
import { signedIn as openAs } from './helpers/web-client.ts';
import { failingModel, gatedModel, scriptedModel } from './helpers/chat.ts';

const hasChromium = chromiumInstalled('the @assistant conversation tests (test/browser-assistant-conversation.test.ts)');

/** The model id the assistant answers with (CHAT_ASSISTANT_MODEL); each step registers the model it needs under it. */
const MODEL = 'conversation-browser-mock';
const SEND = 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }';
const CREATE_GROUP = 'mutation($t: String!, $m: [ID!]!) { createGroupConversation(title: $t, memberIds: $m) { id } }';

describe.skipIf(!hasChromium)('@assistant in a conversation, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startServer({ CHAT_ASSISTANT_MODEL: MODEL, CHAT_ECHO_DELAY_MS: '0' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const useModel = (model: Parameters<ReturnType<TestServer['services']>['assistant']['models']['register']>[1]) =>
    server.services().assistant.models.register(MODEL, model);
  const answers = (page: Page, where = '#message-list') => page.locator(`${where} .message.answer`);
  const options = (page: Page, form = '#composer') => page.locator(`${form} [role="listbox"] [role="option"]`);

  it(
    'streams the answer in place for both members, stops one, answers in a thread, fails, and turns off',
    { timeout: 180_000 },
    async () => {
      const owner = await server.user({ name: 'Olga Owner', username: 'olga' });
      const member = await server.user({ name: 'Mia Member', username: 'mia' });
      const { createGroupConversation } = await server.ok<{ createGroupConversation: { id: string } }, Record<string, unknown>>(
        CREATE_GROUP,
        { t: 'Launch team', m: [member.id] },
        { token: owner.token },
      );
      const group = createGroupConversation.id;
      const ownerPage = await openAs(browser, server, owner, pageErrors);
      const memberPage = await openAs(browser, server, member, pageErrors);
      for (const page of [ownerPage, memberPage]) {
        await page.locator('#conversation-list button', { hasText: 'Launch team' }).click();
        await page.locator('#conversation-title', { hasText: 'Launch team' }).waitFor();
      }

      // Olga types "@assi": the @ list offers the assistant (no member), and Enter takes it.
      const first = gatedModel(['**Hello** from ', 'the assistant'], [': here is the plan.\n\n', '- ship it\n', '- celebrate']);
      useModel(first.model);
      const composer = ownerPage.getByLabel('Message', { exact: true });
      await composer.pressSequentially('@assi');
      await options(ownerPage).filter({ hasText: 'Assistant (AI) @assistant' }).waitFor();
      expect(await options(ownerPage).count()).toBe(1);
      await composer.press('Enter');
      await expect(composer.inputValue()).resolves.toBe('@assistant ');
      await composer.pressSequentially('hello');
      await composer.press('Enter');

      // Both see the answer streaming under the mention: its first words (markdown), a caret and Stop, no more yet.
      for (const page of [ownerPage, memberPage]) {
        const answer = answers(page).first();
        await answer.locator('.content', { hasText: 'Hello from the assistant' }).waitFor();
        expect(await answer.getAttribute('data-status')).toBe('STREAMING');
        expect(await answer.getAttribute('aria-busy')).toBe('true');
        expect(await answer.locator('.ai-badge').textContent()).toBe('AI');
        expect(await answer.locator('.quote').textContent()).toContain('@assistant hello');
        expect(await answer.locator('strong', { hasText: 'Hello' }).count()).toBe(1);
        expect(await answer.locator('.answer-caret').count()).toBe(1);
        await answer.getByRole('button', { name: "Stop the assistant's answer" }).waitFor();
        expect(await answer.textContent()).not.toContain('here is the plan');
      }
      // Olga reloads mid-answer: the history brings its text so far, still streaming, and the rest follows live.
      await ownerPage.reload();
      await ownerPage.locator('#connection', { hasText: 'Live' }).waitFor();
      await ownerPage.locator('#conversation-list button', { hasText: 'Launch team' }).click();
      const reloaded = ownerPage.locator('#message-list .message.answer[data-status="STREAMING"]');
      await reloaded.locator('.content', { hasText: 'Hello from the assistant' }).waitFor();
      await reloaded.getByRole('button', { name: "Stop the assistant's answer" }).waitFor();
      first.release();
      for (const page of [ownerPage, memberPage]) {
        const answer = page.locator('#message-list .message.answer[data-status="COMPLETE"]');
        await answer.waitFor();
        expect(await answer.locator('.content p').first().textContent()).toBe('Hello from the assistant: here is the plan.');
        expect(await answer.locator('.content li').allTextContents()).toEqual(['ship it', 'celebrate']);
        expect(await answer.locator('.answer-caret').count()).toBe(0);
        expect(await answer.getByRole('button', { name: "Stop the assistant's answer" }).count()).toBe(0);
        expect(await answer.getAttribute('aria-busy')).toBeNull();
      }

      // Mia asks again, and stops the answer while it streams: both see it stopped with its text so far.
      const second = gatedModel(['Let me think about ', 'this for a'], [' long while.']);
      useModel(second.model);
      const memberComposer = memberPage.getByLabel('Message', { exact: true });
      await memberComposer.pressSequentially('@assistant what about next week?');
      await memberComposer.press('Escape'); // closes the @ list if still open, so Enter sends
      await memberComposer.press('Enter');
      const streaming = (page: Page) => page.locator('#message-list .message.answer[data-status="STREAMING"]');
      for (const page of [ownerPage, memberPage]) await streaming(page).locator('.content', { hasText: 'this for a' }).waitFor();
      // One answer complete, one streaming with its caret (caught lit: animations stopped) and Stop.
      await memberPage.screenshot({ path: join(OUTPUT, 'assistant-conversation.png'), animations: 'disabled' });
      await streaming(memberPage).getByRole('button', { name: "Stop the assistant's answer" }).click();
      await second.abortSeen;
      for (const page of [ownerPage, memberPage]) {
        const stopped = page.locator('#message-list .message.answer[data-status="STOPPED"]');
        await stopped.waitFor();
        expect(await stopped.locator('.content').textContent()).toBe('Let me think about this for a');
        expect(await stopped.locator('.answer-end').textContent()).toBe(' · stopped');
        expect(await stopped.locator('.answer-caret').count()).toBe(0);
      }
      expect(await answers(ownerPage).count()).toBe(2);

      // In a thread: the answer streams into the thread panel, not the main history.
      useModel(scriptedModel(['The thread ', 'is about ', 'the plan.']));
      await memberPage.getByRole('button', { name: 'Reply in thread: Hello from the assistant: here is the p' }).click();
      const threadComposer = memberPage.getByLabel('Reply in thread', { exact: true });
      await threadComposer.pressSequentially('@assi');
      await options(memberPage, '#thread-composer').filter({ hasText: '@assistant' }).click();
      await threadComposer.pressSequentially('sum up');
      await threadComposer.press('Enter');
      const threadAnswer = memberPage.locator('#thread-replies .message.answer[data-status="COMPLETE"]');
      await threadAnswer.locator('.content', { hasText: 'The thread is about the plan.' }).waitFor();
      await threadAnswer.locator('.ai-badge').waitFor();
      expect(await answers(memberPage).count()).toBe(2);
      await memberPage.getByRole('button', { name: 'Close thread' }).click();

      // A provider failure: the answer ends FAILED, said quietly by its time.
      useModel(failingModel(500));
      await server.ok(SEND, { i: { conversationId: group, content: '@assistant are you there?' } }, { token: owner.token });
      for (const page of [ownerPage, memberPage]) {
        await page.locator('#message-list .message.answer[data-status="FAILED"] .answer-end', { hasText: 'failed' }).waitFor();
      }

      // The switch: read-only to Mia; Olga (the owner) turns it off, and Mia's panel follows.
      const toggle = (page: Page) => page.getByRole('switch', { name: 'Assistant answers @assistant' });
      await memberPage.getByRole('button', { name: 'Group', exact: true }).click();
      await expect(toggle(memberPage).isChecked()).resolves.toBe(true);
      await expect(toggle(memberPage).isDisabled()).resolves.toBe(true);
      await memberPage.locator('#group-assistant-hint', { hasText: 'owners and admins change this' }).waitFor();
      await ownerPage.getByRole('button', { name: 'Group', exact: true }).click();
      await expect(toggle(ownerPage).isDisabled()).resolves.toBe(false);
      await toggle(ownerPage).click();
      await ownerPage.locator('#group-status', { hasText: 'The assistant no longer answers here.' }).waitFor();
      await memberPage.locator('#group-assistant-hint', { hasText: 'Off: owners and admins change this' }).waitFor();
      await expect(toggle(memberPage).isChecked()).resolves.toBe(false);
      for (const page of [ownerPage, memberPage]) {
        await page.locator('#group-close').click();
        const text = page.getByLabel('Message', { exact: true });
        await text.fill('');
        await text.pressSequentially('@assi');
        await expect(options(page).count()).resolves.toBe(0);
        await text.fill('');
        await text.pressSequentially('@');
        await options(page).first().waitFor(); // the list still offers the members
        expect(await options(page).allTextContents()).not.toContain('Assistant (AI) @assistant');
        await text.fill('');
      }
      expect(pageErrors).toEqual([]);
    },
  );
});
