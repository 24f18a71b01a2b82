// Managing a group in the web client: roles, an announcement group whose members find the composer disabled, invite
// links opened as /?invite=<code> (and a revoked one explained), and a public group found in the directory and
// joined. Chromium against a real server; skipped, with a message, where Chromium is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chromiumInstalled, launchChromium } from './helpers/browser.ts';
import { screenshot, signedIn as openAs } from './helpers/web-client.ts';

const hasChromium = chromiumInstalled('the group tests (test/browser-groups.test.ts)');

const CREATE = 'mutation($title: String!, $ids: [ID!]!) { createGroupConversation(title: $title, memberIds: $ids) { id } }';
const PUBLISH =
  'mutation($c: ID!, $d: String) { updateGroupSettings(conversationId: $c, description: $d, visibility: PUBLIC) { id visibility } }';
const CAN = 'query($c: ID!) { conversation(id: $c) { viewerCan { post configure } members { role user { name } } } }';

describe.skipIf(!hasChromium)('groups in Chromium', () => {
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
  const openGroup = async (page: Page, title: string) => {
    await page.locator('#conversation-list button', { hasText: title }).click();
    await page.locator('#conversation-title', { hasText: title }).waitFor();
  };
  const codeOf = async (page: Page, nth: number) =>
    new URL(await page.locator('#invite-list .invite-url').nth(nth).inputValue()).searchParams.get('invite')!;

  it('roles, an announcement group, invite links and a public group', { timeout: 150_000 }, async () => {
    const ada = await server.user({ name: 'Ada Lovelace' });
    const bob = await server.user({ name: 'Bob Kahn' });
    const carol = await server.user({ name: 'Carol Shaw' });
    const dan = await server.user({ name: 'Dan Bricklin' });
    const eve = await server.user({ name: 'Eve Online' });
    const crew = await group(ada, 'Launch crew', [bob, carol]);

    const adaPage = await signedIn(ada);
    const bobPage = await signedIn(bob);
    await openGroup(adaPage, 'Launch crew');
    await openGroup(bobPage, 'Launch crew');
    expect(await bobPage.locator('#composer-text').isDisabled()).toBe(false);

    // The owner makes Carol an admin from the member list.
    await adaPage.getByRole('button', { name: 'Group', exact: true }).click();
    const panel = adaPage.locator('#group-panel');
    await panel.getByRole('heading', { name: 'Launch crew' }).waitFor();
    await panel.locator('#group-count', { hasText: '3 members' }).waitFor();
    await panel.getByLabel('Role of Carol Shaw').selectOption('ADMIN');
    await panel.locator('#group-status', { hasText: 'Role changed.' }).waitFor();
    expect(await panel.getByLabel('Role of Carol Shaw').inputValue()).toBe('ADMIN');

    // The description, saved from the panel, reaches the other members' copy.
    await panel.getByLabel('Description', { exact: true }).fill('Everything about Friday: who does what, and when');
    await panel.getByRole('button', { name: 'Save title and description' }).click();
    await panel.locator('#group-status', { hasText: 'Title and description saved.' }).waitFor();

    // Only owners and admins post: Bob's composer says so, live; Carol, an admin now, still posts.
    await panel.getByLabel('Who may post').selectOption('ADMINS');
    await panel.getByRole('button', { name: 'Save settings' }).click();
    await panel.locator('#group-status', { hasText: 'Settings saved.' }).waitFor();
    await bobPage.locator('#composer-text:disabled').waitFor();
    await bobPage.getByText("Only the group's owners and admins post here.").waitFor();
    type Can = { conversation: { viewerCan: { post: boolean }; members: { role: string; user: { name: string } }[] } };
    const asCarol = await server.ok<Can, Record<string, unknown>>(CAN, { c: crew }, { token: carol.token });
    expect(asCarol.conversation.viewerCan.post).toBe(true);
    expect(asCarol.conversation.members.find((m) => m.user.name === 'Carol Shaw')?.role).toBe('ADMIN');

    // Bob sees the settings but may not change them.
    await bobPage.getByRole('button', { name: 'Group', exact: true }).click();
    await bobPage.locator('#group-panel #group-post:disabled').waitFor();
    expect(await bobPage.locator('#group-panel #group-description').inputValue()).toBe('Everything about Friday: who does what, and when');
    expect(await bobPage.locator('#group-panel #group-post').inputValue()).toBe('ADMINS');
    expect(await bobPage.getByRole('button', { name: 'Save settings' }).isVisible()).toBe(false);
    expect(await bobPage.locator('#group-invites').isVisible()).toBe(false);
    await bobPage.getByRole('button', { name: 'Close', exact: true }).click();

    // Invite links: one for 5 uses over 7 days, another revoked.
    await panel.getByLabel('Max uses').fill('5');
    await panel.getByLabel('Expires in days').fill('7');
    await panel.getByRole('button', { name: 'Create link' }).click();
    await panel.locator('#invite-list .invite', { hasText: 'Used 0 of 5' }).waitFor();
    await panel.getByRole('button', { name: 'Create link' }).click();
    await panel.locator('#invite-list .invite').nth(1).waitFor();
    const revoked = await codeOf(adaPage, 0);
    await panel.locator('#invite-list .invite').nth(0).getByRole('button', { name: 'Revoke' }).click();
    await panel.locator('#invite-list .invite.ended', { hasText: 'revoked' }).waitFor();
    const code = await codeOf(adaPage, 1);
    await panel.locator('#invite-list .invite').nth(1).getByRole('button', { name: 'Copy' }).click();
    await panel.locator('#invite-status', { hasText: /Link (copied|selected)/ }).waitFor();

    // Dan opens the link and lands in the group, a member who may not post; the code leaves the address.
    const danPage = await signedIn(dan);
    await danPage.goto(`${server.url}/?invite=${encodeURIComponent(code)}`);
    await danPage.locator('#conversation-title', { hasText: 'Launch crew' }).waitFor();
    await danPage.locator('#composer-text:disabled').waitFor();
    await danPage.waitForURL((url) => !url.searchParams.has('invite'));
    await danPage.locator('#conversation-list button', { hasText: 'Launch crew' }).waitFor();
    await panel.locator('#group-count', { hasText: '4 members' }).waitFor();
    await panel.locator('.group-member', { hasText: 'Dan Bricklin' }).waitFor();
    await panel.locator('#invite-list .invite', { hasText: 'Used 1 of 5' }).waitFor();
    await screenshot(adaPage, 'groups');

    // The owner removes Dan again (after confirming), and the panel's list follows.
    adaPage.once('dialog', (dialog) => void dialog.accept());
    await panel.getByRole('button', { name: 'Remove Dan Bricklin' }).click();
    await panel.locator('#group-status', { hasText: 'Dan Bricklin was removed.' }).waitFor();
    await panel.locator('#group-count', { hasText: '3 members' }).waitFor();
    expect(await panel.locator('.group-member', { hasText: 'Dan Bricklin' }).count()).toBe(0);

    // Eve opens the revoked link: she is told so, and is not let in.
    const evePage = await signedIn(eve);
    await evePage.goto(`${server.url}/?invite=${encodeURIComponent(revoked)}`);
    await evePage.locator('#conversation-error', { hasText: 'This invite link was revoked.' }).waitFor();
    await evePage.waitForURL((url) => !url.searchParams.has('invite'));
    expect(await evePage.locator('#conversation-title').textContent()).toBe('No conversation open');

    // A public group, found by its title in the directory and joined.
    const club = await group(ada, 'Book club', [bob]);
    await server.ok(PUBLISH, { c: club, d: 'One novel a month, talked over on Fridays' }, { token: ada.token });
    await evePage.getByRole('button', { name: 'Public groups' }).click();
    await evePage.getByRole('searchbox', { name: 'Search public groups' }).fill('book');
    const listed = evePage.locator('#public-groups-list .public-group', { hasText: 'Book club' });
    await listed.locator('.public-group-description', { hasText: 'One novel a month' }).waitFor();
    await listed.locator('.public-group-count', { hasText: '2 members' }).waitFor();
    expect(await evePage.locator('#public-groups-list .public-group', { hasText: 'Launch crew' }).count()).toBe(0);
    await listed.getByRole('button', { name: 'Join Book club' }).click();
    await evePage.locator('#conversation-title', { hasText: 'Book club' }).waitFor();
    await evePage.locator('#conversation-list button', { hasText: 'Book club' }).waitFor();
    await evePage.getByRole('button', { name: 'Public groups' }).click();
    await listed.getByRole('button', { name: 'Open Book club' }).waitFor();
    await screenshot(evePage, 'groups-directory');
    expect(await evePage.locator('#composer-text').isDisabled()).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
