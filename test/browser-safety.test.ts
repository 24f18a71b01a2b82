// Safety in the web client: a stranger's message arrives as a message request (under Requests, not in the list) and
// becomes a normal conversation once accepted; a group invitation accepted there too; the sender told in words when a
// request takes no more messages; a request declined with a block; a message reported from its menu; a blocked
// person's group message collapsed until shown. Chromium against a real server; skipped, with a message, where
// Chromium is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chromiumInstalled, launchChromium } from './helpers/browser.ts';
import { screenshot, signedIn as openAs } from './helpers/web-client.ts';
import { makeContacts } from './helpers/conversations.ts';

const hasChromium = chromiumInstalled('the safety tests (test/browser-safety.test.ts)');

const CREATE = 'mutation($title: String!, $ids: [ID!]!) { createGroupConversation(title: $title, memberIds: $ids) { id } }';
const PRIVACY = 'mutation($g: GroupAddPolicy) { updatePrivacySettings(groupAdds: $g) { id } }';

describe.skipIf(!hasChromium)('message requests, blocking and reports in Chromium', () => {
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
  const group = async (owner: TestUser, title: string, members: TestUser[]) =>
    (
      await server.ok<{ createGroupConversation: { id: string } }, Record<string, unknown>>(
        CREATE,
        { title, ids: members.map((m) => m.id) },
        { token: owner.token },
      )
    ).createGroupConversation.id;
  const listed = (page: Page, name: string) => page.locator('#conversation-list button', { hasText: name });

  it('a request accepted, an invitation accepted, the request limit, a decline with block', { timeout: 120_000 }, async () => {
    const ada = await server.user({ name: 'Ada Lovelace' });
    const bob = await server.user({ name: 'Bob Kahn' });
    const carol = await server.user({ name: 'Carol Shaw' });
    const eve = await server.user({ name: 'Eve Mallory' });
    await server.ok(PRIVACY, { g: 'CONTACTS' }, { token: ada.token }); // strangers' adds become invitations
    const adaPage = await signedIn(ada);
    const bobPage = await signedIn(bob);

    // Bob, a stranger, writes from his page: for Ada it is a request, counted beside Requests and not in her list.
    await bobPage.getByLabel('Find people to message').fill('Ada Love');
    await bobPage.getByRole('button', { name: 'Message Ada Lovelace' }).click();
    const composerB = bobPage.getByLabel('Message', { exact: true });
    for (const text of ['Hi Ada, we met at the workshop', 'About the engine notes', 'Could you send them?']) {
      await composerB.fill(text);
      await composerB.press('Enter');
      await bobPage.locator('#message-list .message.mine', { hasText: text }).waitFor();
    }
    // A fourth message is refused until Ada accepts, and Bob is told why in words.
    await composerB.fill('Hello?');
    await composerB.press('Enter');
    await bobPage
      .locator('#conversation-error', {
        hasText: 'Ada Lovelace has not accepted your message request yet. Until they do, you can send at most 3 messages',
      })
      .waitFor();

    // A stranger's first message, straight through the API (not helpers' send, which makes the two contacts first).
    await server.ok(
      'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
      { i: { toUserId: ada.id, content: 'Buy cheap followers now' } },
      { token: eve.token },
    );
    await adaPage.getByRole('button', { name: 'Requests (2)' }).waitFor();
    await group(carol, 'Analytical engine club', [ada]);
    await adaPage.getByRole('button', { name: 'Requests (2)' }).click();
    await adaPage.locator('#requests-list', { hasText: 'Analytical engine club' }).waitFor();
    await adaPage.locator('#requests-list button', { hasText: 'Bob Kahn' }).click();
    await adaPage.locator('#requests-list .request-messages', { hasText: 'Could you send them?' }).waitFor();
    expect(await listed(adaPage, 'Bob Kahn').count()).toBe(0);
    await screenshot(adaPage, 'requests');

    // Eve's request is declined with a block: it goes, and Eve is blocked.
    await adaPage.locator('#requests-list button', { hasText: 'Eve Mallory' }).click();
    await adaPage.getByRole('button', { name: 'Decline and block Eve Mallory' }).click();
    await adaPage.locator('#requests-list button', { hasText: 'Eve Mallory' }).waitFor({ state: 'detached' });
    const blocked = await server.ok<{ blockedUsers: { id: string }[] }, Record<string, unknown>>(
      '{ blockedUsers { id } }',
      {},
      { token: ada.token },
    );
    expect(blocked.blockedUsers.map((u) => u.id)).toEqual([eve.id]);
    expect(await listed(adaPage, 'Eve Mallory').count()).toBe(0);

    // Accepted: Bob's conversation is in her list with its unread messages, and she can answer.
    await adaPage.locator('#requests-list button', { hasText: 'Bob Kahn' }).click();
    await adaPage.getByRole('button', { name: 'Accept request from Bob Kahn' }).click();
    await listed(adaPage, 'Bob Kahn').locator('.badge', { hasText: '3' }).waitFor();
    await adaPage.getByRole('button', { name: 'Join Analytical engine club' }).click();
    await listed(adaPage, 'Analytical engine club').waitFor();
    await adaPage.locator('#requests-list', { hasText: 'No message requests or invitations.' }).waitFor();
    await listed(adaPage, 'Bob Kahn').click();
    await adaPage.locator('#message-list', { hasText: 'Could you send them?' }).waitFor();
    const composerA = adaPage.getByLabel('Message', { exact: true });
    await composerA.fill('Sending them tonight.');
    await composerA.press('Enter');
    await bobPage.locator('#message-list', { hasText: 'Sending them tonight.' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it(
    "reports a message from its menu, collapses a blocked person's group message, blocks and reports from a head's menu",
    { timeout: 120_000 },
    async () => {
      const ada = await server.user({ name: 'Grace Hopper' });
      const bob = await server.user({ name: 'Howard Aiken' });
      const eve = await server.user({ name: 'Mallory Spam' });
      await server.ok('mutation($u: ID!) { blockUser(userId: $u) }', { u: eve.id }, { token: ada.token });
      const crew = await group(bob, 'Mark I crew', [ada, eve]);
      const reported = await server.ok<{ sendMessage: { id: string } }, Record<string, unknown>>(
        'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
        { i: { conversationId: crew, content: 'You will regret this' } },
        { token: bob.token },
      );
      await server.ok(
        'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
        { i: { conversationId: crew, content: 'Visit my totally real shop' } },
        { token: eve.token },
      );
      const page = await signedIn(ada);
      await listed(page, 'Mark I crew').click();
      await page.locator('#message-list', { hasText: 'You will regret this' }).waitFor();

      // Mallory's message is collapsed until Show.
      const hidden = page.locator('#message-list .message', { hasText: 'Message from a blocked user' });
      await hidden.waitFor();
      expect(await page.locator('#message-list').innerText()).not.toContain('Visit my totally real shop');
      await hidden.getByRole('button', { name: 'Show' }).click();
      await page.locator('#message-list .message', { hasText: 'Visit my totally real shop' }).waitFor();

      // Howard's message is reported with a reason and a note; the report exists.
      await page.getByRole('button', { name: 'Report message: You will regret this' }).click();
      await page.getByLabel('Reason').selectOption('HARASSMENT');
      await page.getByLabel('Note for the moderators (optional)').fill('A threat after the meeting');
      await page.getByRole('button', { name: 'Send report' }).click();
      await page.locator('#conversation-notice', { hasText: 'Report sent' }).waitFor();
      const mine = await server.ok<
        { myReports: { edges: { node: { messageId: string; reason: string; note: string } }[] } },
        Record<string, unknown>
      >('{ myReports(first: 5) { edges { node { messageId reason note } } } }', {}, { token: ada.token });
      expect(mine.myReports.edges.map((e) => e.node)).toEqual([
        { messageId: reported.sendMessage.id, reason: 'HARASSMENT', note: 'A threat after the meeting' },
      ]);

      // In their direct conversation, the menu on its head reports Howard himself, blocks and unblocks him.
      await makeContacts(server, bob, ada);
      await page.reload();
      await listed(page, 'Howard Aiken').click();
      await page.locator('#conversation-title', { hasText: 'Howard Aiken' }).waitFor();
      const menu = () => page.locator('#conversation-safety');
      await page.getByText('⋯').click();
      await menu().getByRole('button', { name: 'Report Howard Aiken' }).click();
      await page.getByLabel('Reason').selectOption('SPAM');
      await page.getByRole('button', { name: 'Send report' }).click();
      await page.locator('#conversation-notice', { hasText: 'Report sent' }).waitFor();
      await page.getByText('⋯').click();
      await menu().getByRole('button', { name: 'Block Howard Aiken' }).click();
      await page.locator('#conversation-notice', { hasText: 'You blocked Howard Aiken.' }).waitFor();
      const blocks = () =>
        server.ok<{ blockedUsers: { id: string }[] }, Record<string, unknown>>('{ blockedUsers { id } }', {}, { token: ada.token });
      expect((await blocks()).blockedUsers.map((u) => u.id).sort()).toEqual([bob.id, eve.id].sort());
      await page.getByText('⋯').click();
      await menu().getByRole('button', { name: 'Unblock Howard Aiken' }).click();
      await page.locator('#conversation-notice', { hasText: 'You unblocked Howard Aiken.' }).waitFor();
      expect((await blocks()).blockedUsers.map((u) => u.id)).toEqual([eve.id]);
      expect(pageErrors).toEqual([]);
    },
  );
});
