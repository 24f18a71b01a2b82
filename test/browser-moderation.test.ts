// Safety and community in the web client, each checked on the server: the moderation page (shown to moderators and
// admins only) resolves a report with a note, suspends and lets back the reported person, lists the audit log, sets a
// tenant role and edits the content filter (a refused pattern said in words); the privacy panel saves who may add the
// viewer to a group; the group panel adds one person and invites another whose privacy asks for it; New group makes a
// group from the conversation list. Chromium against a real server; skipped, with a message, where Chromium is not
// installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chromiumInstalled, launchChromium } from './helpers/browser.ts';
import { screenshot, send, signedIn as openAs } from './helpers/web-client.ts';

const hasChromium = chromiumInstalled('the moderation and privacy tests (test/browser-moderation.test.ts)');

const SET_ROLE = 'mutation($u: ID!, $r: TenantRole!) { setUserRole(userId: $u, role: $r) { id } }';
const PRIVACY = 'mutation($g: GroupAddPolicy) { updatePrivacySettings(groupAdds: $g) { id } }';
const REPORTS = `query($s: ReportStatus) { moderationReports(status: $s, first: 20) {
  edges { node { id status action resolutionNote targetUser { id } } } } }`;
const PERSON = 'query($s: String) { users(search: $s, first: 1) { edges { node { id role suspendedAt } } } }';
const GROUP = 'query($c: ID!) { conversation(id: $c) { title members { role user { id } } pendingInvitations { id } } }';

type Reports = {
  moderationReports: { edges: { node: { id: string; status: string; action: string | null; resolutionNote: string | null } }[] };
};
type Person = { users: { edges: { node: { id: string; role: string; suspendedAt: string | null } }[] } };
type Group = { conversation: { title: string; members: { role: string; user: { id: string } }[]; pendingInvitations: { id: string }[] } };

describe.skipIf(!hasChromium)('moderation, privacy and groups in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  /** The tenant's first user, so its ADMIN. */
  let admin: TestUser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    admin = await server.user({ name: 'Ada Admin' });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const signedIn = (user: TestUser) => openAs(browser, server, user, pageErrors);
  const asAdmin = <R>(query: string, variables: Record<string, unknown> = {}) =>
    server.ok<R, Record<string, unknown>>(query, variables, { token: admin.token });
  const person = async (name: string) => (await asAdmin<Person>(PERSON, { s: name })).users.edges[0].node;
  const report = (by: TestUser, mutation: string, variables: Record<string, unknown>) =>
    server.ok<Record<string, { id: string }>, Record<string, unknown>>(mutation, variables, { token: by.token });

  it('resolves a report, suspends and lets back a person, sets a role and edits the content filter', { timeout: 150_000 }, async () => {
    expect((await asAdmin<{ me: { role: string } }>('{ me { role } }')).me.role).toBe('ADMIN');
    const moe = await server.user({ name: 'Moe Moderator' });
    const bob = await server.user({ name: 'Bob Reporter' });
    const eve = await server.user({ name: 'Eve Mallory' });
    const carl = await server.user({ name: 'Carl Helper' });
    await asAdmin(SET_ROLE, { u: moe.id, r: 'MODERATOR' });
    const spam = await send(server, eve, bob, 'Buy cheap followers now');
    const onMessage = (
      await report(bob, 'mutation($m: ID!) { reportMessage(messageId: $m, reason: SPAM, note: "Third time today") { id } }', { m: spam })
    ).reportMessage.id;
    const onUser = (
      await report(bob, 'mutation($u: ID!) { reportUser(userId: $u, reason: HARASSMENT, note: "Keeps writing at night") { id } }', {
        u: eve.id,
      })
    ).reportUser.id;

    // A plain user has no Moderation in the header.
    const bobPage = await signedIn(bob);
    await bobPage.getByRole('button', { name: 'Privacy' }).waitFor();
    expect(await bobPage.getByRole('button', { name: 'Moderation' }).count()).toBe(0);

    // The moderator reads the queue: who reported whom, why, and the message as it was.
    const moePage = await signedIn(moe);
    await moePage.getByRole('button', { name: 'Moderation' }).click();
    const messageReport = moePage.locator('#moderation-reports .moderation-report', { hasText: 'Buy cheap followers now' });
    await messageReport.waitFor();
    for (const text of ['Spam', 'Reported by Bob Reporter', 'About Eve Mallory', 'Note: Third time today'])
      await messageReport.getByText(text).first().waitFor();

    // Resolved with a warning and a note: the report is resolved, and Eve is told.
    await messageReport.getByLabel('Resolution').selectOption('WARN');
    await messageReport.getByLabel('Note (with Warn').fill('Please stop advertising here.');
    await messageReport.getByRole('button', { name: 'Resolve' }).click();
    await moePage.locator('#moderation-status', { hasText: 'Report resolved: warned.' }).waitFor();
    await messageReport.waitFor({ state: 'detached' });
    const resolved = await asAdmin<Reports>(REPORTS, { s: 'RESOLVED' });
    expect(resolved.moderationReports.edges.map((e) => e.node).find((r) => r.id === onMessage)).toMatchObject({
      action: 'WARN',
      resolutionNote: 'Please stop advertising here.',
    });
    const warned = await server.ok<{ myWarnings: { note: string }[] }, Record<string, unknown>>(
      '{ myWarnings { note } }',
      {},
      { token: eve.token },
    );
    expect(warned.myWarnings.map((w) => w.note)).toEqual(['Please stop advertising here.']);

    // The person reported is suspended from their report, then let back.
    const userReport = moePage.locator('#moderation-reports .moderation-report', { hasText: 'Keeps writing at night' });
    await userReport.getByLabel('Reason for suspending Eve Mallory').fill('Harassment, until we talk');
    await userReport.getByRole('button', { name: 'Suspend Eve Mallory', exact: true }).click();
    await moePage.locator('#moderation-status', { hasText: 'Eve Mallory was suspended' }).waitFor();
    await userReport.getByText('Suspended since').waitFor();
    expect((await person('Eve Mallory')).suspendedAt).not.toBeNull();
    await userReport.getByRole('button', { name: 'Unsuspend Eve Mallory' }).click();
    await moePage.locator('#moderation-status', { hasText: 'Eve Mallory may sign in again.' }).waitFor();
    expect((await person('Eve Mallory')).suspendedAt).toBeNull();
    const log = moePage.locator('#moderation-log');
    for (const text of ['Moe Moderator lifted the suspension of Eve Mallory', 'Moe Moderator suspended Eve Mallory', 'warned Eve Mallory'])
      await log.getByText(text).first().waitFor();
    // A moderator reads the content filter but does not change it.
    await moePage.getByRole('heading', { name: 'Content filter' }).waitFor();
    expect(await moePage.getByRole('button', { name: 'Add pattern' }).count()).toBe(0);

    // The admin makes Carl a moderator from People.
    const adaPage = await signedIn(admin);
    await adaPage.getByRole('button', { name: 'Moderation' }).click();
    await adaPage.getByLabel('Find a person to moderate').fill('Carl');
    await adaPage.getByLabel('Tenant role of Carl Helper').selectOption('MODERATOR');
    await adaPage.locator('#moderation-status', { hasText: 'Carl Helper is now moderator.' }).waitFor();
    expect(await person('Carl Helper')).toMatchObject({ id: carl.id, role: 'MODERATOR' });

    // The content filter: two patterns added, one removed, the action changed; an unsafe pattern refused in words.
    const filter = adaPage.locator('#moderation-filter');
    for (const pattern of ['cheapfollowers', '/free\\s+followers/']) {
      await filter.getByLabel('New pattern').fill(pattern);
      await filter.getByRole('button', { name: 'Add pattern' }).click();
      await adaPage.locator('#moderation-status', { hasText: `Pattern ${pattern} added.` }).waitFor();
    }
    await filter.getByRole('button', { name: 'Remove pattern cheapfollowers' }).click();
    await adaPage.locator('#moderation-status', { hasText: 'Pattern cheapfollowers removed.' }).waitFor();
    await filter.getByLabel('When a text matches').selectOption('MASK');
    await adaPage.locator('#moderation-status', { hasText: 'Content filter action saved.' }).waitFor();
    await filter.getByLabel('New pattern').fill('/(a+)+/');
    await filter.getByRole('button', { name: 'Add pattern' }).click();
    await adaPage.locator('#moderation-error', { hasText: 'Pattern /(a+)+/' }).waitFor();
    expect(await filter.getByLabel('New pattern').inputValue()).toBe('/(a+)+/');
    const saved = await asAdmin<{ contentFilter: { action: string; patterns: string[] } }>('{ contentFilter { action patterns } }');
    expect(saved.contentFilter).toEqual({ action: 'MASK', patterns: ['/free\\s+followers/'] });
    await filter.getByLabel('New pattern').fill('');
    await adaPage.getByRole('button', { name: 'Refresh' }).click();
    await adaPage.locator('#moderation-error:empty').waitFor({ state: 'attached' });
    await adaPage.locator('#moderation-reports .moderation-report', { hasText: 'Keeps writing at night' }).waitFor();
    await screenshot(adaPage, 'moderation');

    // The admin dismisses the last report: the queue is empty, and the report resolved.
    const last = adaPage.locator('#moderation-reports .moderation-report', { hasText: 'Keeps writing at night' });
    await last.getByLabel('Resolution').selectOption('DISMISS');
    await last.getByRole('button', { name: 'Resolve' }).click();
    await adaPage.locator('#moderation-reports', { hasText: 'No open reports.' }).waitFor();
    const open = await asAdmin<Reports>(REPORTS, { s: 'OPEN' });
    expect(open.moderationReports.edges.map((e) => e.node.id)).not.toContain(onUser);
    await adaPage.getByRole('button', { name: 'Back to chat' }).click();
    await adaPage.getByRole('heading', { name: 'Conversations' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('saves privacy settings, makes a group from the list and adds and invites people from its panel', { timeout: 150_000 }, async () => {
    const grace = await server.user({ name: 'Grace Owner' });
    const hal = await server.user({ name: 'Hal Member' });
    const ivy = await server.user({ name: 'Ivy Private' });
    const jon = await server.user({ name: 'Jon Joiner' });
    const kim = await server.user({ name: 'Kim Contacts' });
    await server.ok(PRIVACY, { g: 'CONTACTS' }, { token: kim.token });

    // Ivy lets nobody add her to a group, from her own Privacy panel.
    const ivyPage = await signedIn(ivy);
    await ivyPage.getByRole('button', { name: 'Privacy' }).click();
    const privacy = ivyPage.locator('#privacy-dialog');
    await privacy.getByRole('radio', { name: 'Everyone' }).and(ivyPage.locator(':checked')).waitFor();
    await privacy.getByRole('radio', { name: 'Nobody' }).check();
    await privacy.getByRole('button', { name: 'Save privacy settings' }).click();
    await privacy.locator('#privacy-status', { hasText: 'Privacy settings saved. Who may add you to a group: Nobody.' }).waitFor();
    const mine = await server.ok<{ me: { privacy: { groupAdds: string } } }, Record<string, unknown>>(
      '{ me { privacy { groupAdds } } }',
      {},
      { token: ivy.token },
    );
    expect(mine.me.privacy.groupAdds).toBe('NOBODY');
    await screenshot(ivyPage, 'privacy');
    await privacy.getByRole('button', { name: 'Close' }).click();

    // Grace makes a group of Hal and Ivy from the conversation list: Hal is added, Ivy invited.
    const gracePage = await signedIn(grace);
    await gracePage.getByRole('button', { name: 'New group' }).click();
    const form = gracePage.locator('#new-group-view');
    await form.getByLabel('Title').fill('Launch crew');
    for (const name of ['Hal Member', 'Ivy Private']) {
      await form.getByLabel('Members').fill(name.split(' ')[0]);
      await form.getByRole('button', { name: `Choose ${name}` }).click();
      await form.locator('.picker-chosen', { hasText: name }).waitFor();
    }
    await form.getByRole('button', { name: 'Create group' }).click();
    await gracePage.locator('#conversation-title', { hasText: 'Launch crew' }).waitFor();
    await gracePage.locator('#conversation-list button', { hasText: 'Launch crew' }).waitFor();
    await gracePage
      .locator('#conversation-notice', { hasText: 'Invited instead of added, as their privacy settings ask: Ivy Private.' })
      .waitFor();
    const [created] = (
      await server.ok<{ conversations: { edges: { node: { id: string } }[] } }, Record<string, unknown>>(
        '{ conversations(first: 1) { edges { node { id } } } }',
        {},
        { token: grace.token },
      )
    ).conversations.edges;
    const group = async () =>
      (await server.ok<Group, Record<string, unknown>>(GROUP, { c: created.node.id }, { token: grace.token })).conversation;
    const made = await group();
    expect(made.title).toBe('Launch crew');
    expect(made.members.map((m) => m.user.id).sort()).toEqual([grace.id, hal.id].sort());
    expect(made.pendingInvitations.map((u) => u.id)).toEqual([ivy.id]);

    // From the group's panel Grace adds Jon (added) and Kim (a stranger to her: invited).
    await gracePage.getByRole('button', { name: 'Group', exact: true }).click();
    const panel = gracePage.locator('#group-panel');
    await panel.getByRole('heading', { name: 'Add members' }).waitFor();
    for (const name of ['Jon Joiner', 'Kim Contacts']) {
      await panel.getByLabel('Find people to add').fill(name.split(' ')[0]);
      await panel.getByRole('button', { name: `Choose ${name}` }).click();
    }
    await panel.getByRole('button', { name: 'Add to the group' }).click();
    await panel
      .locator('#group-status', { hasText: 'Added: Jon Joiner. Invited instead, as their privacy settings ask: Kim Contacts.' })
      .waitFor();
    await panel.locator('.group-member', { hasText: 'Jon Joiner' }).waitFor();
    const grown = await group();
    expect(grown.members.map((m) => m.user.id).sort()).toEqual([grace.id, hal.id, jon.id].sort());
    expect(grown.pendingInvitations.map((u) => u.id).sort()).toEqual([ivy.id, kim.id].sort());
    // Members already in the group are not offered.
    await panel.getByLabel('Find people to add').fill('Hal');
    await panel.locator('.picker-found', { hasText: 'Nobody found.' }).waitFor();

    // Hal, a member, may not add people: the panel has no Add members for him.
    const halPage = await signedIn(hal);
    await halPage.locator('#conversation-list button', { hasText: 'Launch crew' }).click();
    await halPage.locator('#conversation-title', { hasText: 'Launch crew' }).waitFor();
    await halPage.getByRole('button', { name: 'Group', exact: true }).click();
    await halPage.locator('#group-panel .group-member', { hasText: 'Jon Joiner' }).waitFor();
    expect(await halPage.locator('#group-add').isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
