// The assistant's settings in the web client, each checked on the server: a chat's system prompt saved from the
// assistant panel (a new chat gets a session to hold it, and the chat's answers go on in it), shown again when the chat
// is opened, and cleared back to the server's default; and the AI budgets on the moderation page, shown to the
// tenant's admins only, with the month's spending by user, set to a limit, unlimited and back to the server's default.
// Chromium against a real server with the offline model (parley-echo); skipped, with a message, where Chromium is not
// installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chromiumInstalled, launchChromium } from './helpers/browser.ts';
import { screenshot, signedIn as openAs } from './helpers/web-client.ts';

const hasChromium = chromiumInstalled('the assistant settings tests (test/browser-assistant-settings.test.ts)');

const SESSIONS = '{ chatSessions(first: 10) { edges { node { id systemPrompt } } } }';
const BUDGETS = '{ chatBudgets { userDailyTokens userDailyTokensSet tenantMonthlyTokens tenantMonthlyTokensSet usedThisMonth } }';
const SET_ROLE = 'mutation($u: ID!, $r: TenantRole!) { setUserRole(userId: $u, role: $r) { id } }';

type Sessions = { chatSessions: { edges: { node: { id: string; systemPrompt: string | null } }[] } };
type Budgets = {
  chatBudgets: {
    userDailyTokens: number | null;
    userDailyTokensSet: boolean;
    tenantMonthlyTokens: number | null;
    tenantMonthlyTokensSet: boolean;
    usedThisMonth: number;
  };
};

describe.skipIf(!hasChromium)('assistant settings in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  /** The tenant's first user, so its ADMIN. */
  let admin: TestUser;
  let sam: TestUser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // A server-wide monthly budget, so the page has a default limit to show.
    server = await startServer({ CHAT_TENANT_MONTHLY_TOKENS: '1000000' });
    browser = await launchChromium();
    admin = await server.user({ name: 'Ada Admin' });
    sam = await server.user({ name: 'Sam Writer' });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const signedIn = (user: TestUser) => openAs(browser, server, user, pageErrors);
  const as = <R>(user: TestUser, query: string, variables: Record<string, unknown> = {}) =>
    server.ok<R, Record<string, unknown>>(query, variables, { token: user.token });
  const sessions = async (user: TestUser) => (await as<Sessions>(user, SESSIONS)).chatSessions.edges.map((e) => e.node);

  it('saves a system prompt for a new chat, shows it when the chat opens again, and clears it', { timeout: 90_000 }, async () => {
    const page = await signedIn(sam);
    await page.locator('#model option[value="parley-echo"]').waitFor({ state: 'attached' });
    const control = page.locator('#system-prompt');
    await control.locator('summary', { hasText: 'System prompt: server default' }).click();
    const box = control.getByLabel('Instructions to the model for this chat');
    expect(await box.getAttribute('placeholder')).toBe('Server default');
    expect(await box.inputValue()).toBe('');

    // No chat yet: saving starts one that holds the prompt, and the question asked next goes on in it.
    const prompt = 'Answer like a ship’s captain, in two sentences at most.';
    await box.fill(prompt);
    await control.getByText('Not saved yet.').waitFor();
    await control.getByRole('button', { name: 'Save system prompt' }).click();
    await control.locator('#system-prompt-status', { hasText: 'System prompt saved.' }).waitFor();
    await control.locator('summary', { hasText: 'System prompt: this chat’s own' }).waitFor();
    const [saved] = await sessions(sam);
    expect(saved.systemPrompt).toBe(prompt);
    await page.locator('#chat-sessions button.current').waitFor();
    await page.getByLabel('Ask the assistant').fill('Where are we headed?');
    await page.getByRole('button', { name: 'Ask' }).click();
    await page.locator('#chat-transcript .turn.assistant[data-status="COMPLETE"]').waitFor();
    expect(await sessions(sam)).toEqual([{ id: saved.id, systemPrompt: prompt }]);

    // A new chat starts with the server's default; opening the first one (still "New chat": a session made before its
    // first question keeps its title) shows its prompt again.
    await page.getByRole('button', { name: 'New chat', exact: true }).click();
    await control.locator('summary', { hasText: 'System prompt: server default' }).waitFor();
    expect(await box.inputValue()).toBe('');
    await page
      .locator('#chat-sessions')
      .getByRole('button', { name: /New chat/ })
      .click();
    await control.locator('summary', { hasText: 'System prompt: this chat’s own' }).waitFor();
    expect(await box.inputValue()).toBe(prompt);

    // Saved empty: the server's default again, shown as the placeholder.
    await box.fill('');
    await control.getByRole('button', { name: 'Save system prompt' }).click();
    await control.locator('#system-prompt-status', { hasText: 'System prompt reset to the server default.' }).waitFor();
    await control.locator('summary', { hasText: 'System prompt: server default' }).waitFor();
    expect(await sessions(sam)).toEqual([{ id: saved.id, systemPrompt: null }]);
    await control.locator('#system-prompt-error:empty').waitFor({ state: 'attached' });
    expect(pageErrors).toEqual([]);
  });

  it('shows the AI budgets to an admin, who sets them, and not to a moderator', { timeout: 90_000 }, async () => {
    // A moderator has the moderation page, without AI budgets; a plain user has no moderation page.
    const moe = await server.user({ name: 'Moe Moderator' });
    await as(admin, SET_ROLE, { u: moe.id, r: 'MODERATOR' });
    const moePage = await signedIn(moe);
    await moePage.getByRole('button', { name: 'Moderation' }).click();
    await moePage.getByRole('heading', { name: 'Content filter' }).waitFor();
    expect(await moePage.getByRole('heading', { name: 'AI budgets' }).count()).toBe(0);
    expect(await moePage.locator('#moderation-budgets').isHidden()).toBe(true);
    await moePage.locator('#moderation-error:empty').waitFor({ state: 'attached' });
    const samPage = await signedIn(sam);
    await samPage.getByRole('button', { name: 'Privacy' }).waitFor();
    expect(await samPage.getByRole('button', { name: 'Moderation' }).count()).toBe(0);

    // The admin reads what is in force (the server's defaults) and who spent (Sam, in the first test).
    const page = await signedIn(admin);
    await page.getByRole('button', { name: 'Moderation' }).click();
    const section = page.locator('#moderation-budgets');
    await section.getByRole('heading', { name: 'AI budgets' }).waitFor();
    const before = (await as<Budgets>(admin, BUDGETS)).chatBudgets;
    expect(before).toMatchObject({ userDailyTokens: null, userDailyTokensSet: false, tenantMonthlyTokens: 1_000_000 });
    expect(before.usedThisMonth).toBeGreaterThan(0);
    await section.getByText('unlimited (the server’s default)').waitFor();
    await section.getByText(/^1\D?000\D?000 tokens \(the server’s default\)$/).waitFor();
    await section.locator('.budget-users tbody tr', { hasText: 'Sam Writer' }).waitFor();

    // A daily limit of the organisation's own, and no monthly one.
    await section.getByLabel('Daily budget per user').selectOption('limit');
    await section.getByLabel('Tokens per user per day').fill('5000');
    await section.getByLabel('Monthly budget for the organisation').selectOption('unlimited');
    expect(await section.getByLabel('Tokens per month').isDisabled()).toBe(true);
    await section.getByRole('button', { name: 'Save AI budgets' }).click();
    await page.locator('#moderation-status', { hasText: 'AI budgets saved.' }).waitFor();
    expect((await as<Budgets>(admin, BUDGETS)).chatBudgets).toMatchObject({
      userDailyTokens: 5000,
      userDailyTokensSet: true,
      tenantMonthlyTokens: null,
      tenantMonthlyTokensSet: true,
    });
    await section.getByText(/^5\D?000 tokens \(this organisation’s own\)$/).waitFor();
    await section.getByText('unlimited (this organisation’s own)').waitFor();
    expect(await section.getByLabel('Tokens per user per day').inputValue()).toBe('5000');
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, 'ai-settings');

    // The monthly budget back to the server's default; the daily one stays.
    await section.getByLabel('Monthly budget for the organisation').selectOption('default');
    await section.getByRole('button', { name: 'Save AI budgets' }).click();
    await section.getByText(/^1\D?000\D?000 tokens \(the server’s default\)$/).waitFor();
    expect((await as<Budgets>(admin, BUDGETS)).chatBudgets).toMatchObject({
      userDailyTokens: 5000,
      userDailyTokensSet: true,
      tenantMonthlyTokens: 1_000_000,
      tenantMonthlyTokensSet: false,
    });
    expect(pageErrors).toEqual([]);
  });
});
