// AI answers in the web client: an assistant answer in markdown (headings, lists, a link, inline code, a code block
// with Copy, a table) streamed from a registered model, with the raw HTML it carries shown as text and never run; the
// reasoning and tool calls of parley-echo's /think and /tool answers folded under the answer; and summaries of a
// conversation's unread messages and of a thread, streamed with their sources (numbered links to the messages), a
// Stop, and a spent budget said in plain words. Chromium against a real server; skipped, with a message, where
// Chromium is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { chromiumInstalled, launchChromium } from './helpers/browser.ts';
import { screenshot, send, signedIn as openAs } from './helpers/web-client.ts';
import { gatedModel, register, scriptedModel } from './helpers/chat.ts';

const hasChromium = chromiumInstalled('the AI markdown and summary tests (test/browser-ai-markdown.test.ts)');

/** An answer using every block the client renders, and HTML that must stay text. */
const ANSWER = [
  '## Plan\n\n',
  'Use **bold**, *emphasis* and `inline code`. See [the docs](https://example.com/docs) ',
  'or [this](javascript:window.__pwned=1).\n\n',
  '- first\n- second\n\n',
  '```js\nconst answer = 42;\nconsole.log(answer);\n```\n\n',
  '| Name | Tokens |\n|:-----|-------:|\n| Ada | 12 |\n| Grace | 7 |\n\n',
  '<img src=x onerror="window.__pwned=1;alert(1)"> <script>window.__pwned=2;alert(2)</script>\n\n',
  'Done.',
];

const UNREAD = 'query($id: ID!) { conversation(id: $id) { unreadCount } }';

describe.skipIf(!hasChromium)('AI markdown and summaries in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let admin: TestUser;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    admin = await server.user({ name: 'Ada Admin' }); // the tenant's first user: its ADMIN
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const signedIn = async (user: TestUser) => {
    const page = await openAs(browser, server, user, pageErrors);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    return page;
  };
  const pickModel = async (page: Page, id: string) => {
    await page.locator(`#model option[value="${id}"]`).waitFor({ state: 'attached' });
    await page.locator('#model').selectOption(id);
  };

  it('renders a streamed markdown answer with a code block and a table, and no HTML of its own', { timeout: 90_000 }, async () => {
    const model = register(server, scriptedModel(ANSWER));
    const sam = await server.user({ name: 'Sam Writer' });
    const page = await signedIn(sam);
    await pickModel(page, model);
    await page.getByLabel('Ask the assistant').fill('Show me everything');
    await page.getByRole('button', { name: 'Ask' }).click();
    const answer = page.locator('#chat-transcript .turn.assistant[data-status="COMPLETE"]');
    await answer.waitFor();

    await answer.getByRole('heading', { name: 'Plan' }).waitFor();
    expect(await answer.locator('strong', { hasText: 'bold' }).count()).toBe(1);
    expect(await answer.locator('em', { hasText: 'emphasis' }).count()).toBe(1);
    expect(await answer.locator('p code').first().textContent()).toBe('inline code');
    expect(await answer.locator('ul > li').allTextContents()).toEqual(['first', 'second']);
    const docs = answer.getByRole('link', { name: 'the docs' });
    expect(await docs.getAttribute('href')).toBe('https://example.com/docs');
    expect(await docs.getAttribute('target')).toBe('_blank');
    expect(await docs.getAttribute('rel')).toBe('noopener noreferrer');
    // A javascript: link is not a link.
    expect(await answer.locator('a').count()).toBe(1);

    // The code block: monospace, scrolling sideways, with its language and a Copy button that copies it.
    const code = answer.locator('.md-code');
    expect(await code.locator('pre code').textContent()).toBe('const answer = 42;\nconsole.log(answer);\n');
    expect(await code.locator('.md-code-bar').textContent()).toContain('js');
    expect(await code.locator('pre').evaluate((el) => getComputedStyle(el).overflowX)).toBe('auto');
    expect(await code.locator('pre code').evaluate((el) => getComputedStyle(el).fontFamily)).toMatch(/mono/i);
    await code.getByRole('button', { name: 'Copy code (js)' }).click();
    await code.getByRole('button', { name: 'Copy code (js)' }).filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('const answer = 42;\nconsole.log(answer);\n');

    // The table, its right-aligned column by class (no style attributes under the page's CSP).
    const table = answer.locator('.md-table table');
    expect(await table.locator('th').allTextContents()).toEqual(['Name', 'Tokens']);
    expect(await table.locator('tbody tr').count()).toBe(2);
    expect(await table.locator('td.align-right').first().textContent()).toBe('12');

    // The HTML is shown as the text it is: no element, no handler, nothing run.
    const transcript = page.locator('#chat-transcript');
    expect(await transcript.locator('img, script, [onerror], [style]').count()).toBe(0);
    expect(await answer.textContent()).toContain('<img src=x onerror=');
    expect(await answer.textContent()).toContain('<script>window.__pwned=2;alert(2)</script>');
    await docs.hover();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await screenshot(page, 'ai-markdown');
    expect(pageErrors).toEqual([]);
  });

  it("folds parley-echo's reasoning and tool calls under its answer", { timeout: 90_000 }, async () => {
    const page = await signedIn(await server.user({ name: 'Tina Tools' }));
    await pickModel(page, 'parley-echo');
    const ask = async (text: string) => {
      await page.getByLabel('Ask the assistant').fill(text);
      await page.getByRole('button', { name: 'Ask' }).click();
      await page.locator('#chat-transcript .turn.assistant[data-status="COMPLETE"]').last().waitFor();
      await page.getByRole('button', { name: 'Ask' }).and(page.locator(':enabled')).waitFor();
      return page.locator('#chat-transcript .turn.assistant').last();
    };
    const thought = await ask('/think How far is the moon?');
    const thinking = thought.locator('details.reasoning');
    await thinking.locator('summary', { hasText: /^Thinking$/ }).click();
    expect((await thinking.locator('.reasoning-text').textContent())?.length).toBeGreaterThan(0);
    expect(await thought.locator('.content').textContent()).toContain('How far is the moon?');

    const used = await ask('/tool current_time {}');
    const tool = used.locator('details.tool-use');
    await tool.locator('summary', { hasText: 'Used tool current_time' }).click();
    expect(await tool.locator('.tool-label').allTextContents()).toEqual(['Input', 'Output']);
    expect(await tool.locator('pre').first().textContent()).toBe('{}');
    expect(await used.locator('.content').textContent()).toMatch(/current_time returned/);
    const failed = await ask('/tool no_such_tool {}');
    await failed.locator('details.tool-use.error').waitFor();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it(
    'summarizes unread messages with their sources, stops a summary, summarizes a thread, and says a spent budget',
    { timeout: 120_000 },
    async () => {
      const kim = await server.user({ name: 'Kim Reader' });
      const lee = await server.user({ name: 'Lee Writer' });
      const root = await send(server, lee, kim, 'Release plan for Friday: freeze at noon.');
      const sent = [
        'The staging deploy failed on the migration step.',
        'Fixed it: the index is now built concurrently.',
        'Can you review the rollback notes before 3pm?',
      ];
      for (const text of sent) await send(server, lee, kim, text);
      await send(server, lee, kim, 'Noon works for QA too.', root);
      const model = register(
        server,
        scriptedModel([
          '### Catching up\n\n',
          '- The staging deploy **failed** [2] and was fixed [3].\n',
          '- Lee asks for a review of the rollback notes [4].\n\n',
          '| Topic | Source |\n|---|---|\n| Deploy | [2] |\n',
        ]),
      );
      // The picker lists the models there are when the page opens: the stopped one and the thread's are registered now.
      const gated = gatedModel(['Partial summary so far'], [' and the rest.']);
      const gatedId = register(server, gated.model);
      const threadModel = register(server, scriptedModel(['Freeze at noon [1]; QA agrees [2].']));
      const page = await signedIn(kim);
      await pickModel(page, model);
      await page.locator('#conversation-list button', { hasText: 'Lee Writer' }).click();
      await page.locator('#message-list', { hasText: 'rollback' }).waitFor();

      // Opened with four unread messages: they stay unread until the summary starts, then the pointer moves.
      const conversationId = await page.locator('#conversation-list li').first().getAttribute('data-id');
      const unread = async () =>
        (await server.ok<{ conversation: { unreadCount: number } }, { id: string }>(UNREAD, { id: conversationId! }, { token: kim.token }))
          .conversation.unreadCount;
      const summarize = page.getByRole('button', { name: /^Summarize unread \(\d+\)$/ });
      await summarize.waitFor();
      expect(await unread()).toBe(4);
      await summarize.click();
      const panel = page.locator('#summary-panel');
      await panel.getByRole('heading', { name: 'Summary of unread messages' }).waitFor();
      await panel.locator('.summary-text table').waitFor();
      await panel.getByRole('heading', { name: 'Catching up' }).waitFor();
      expect(await panel.locator('.summary-text li').count()).toBe(2);
      await summarize.waitFor({ state: 'hidden' });
      await expect.poll(unread).toBe(0);

      // The sources, oldest first, name their messages; a citation in the text and a source link scroll to one.
      const sources = panel.getByRole('list', { name: 'Sources' }).getByRole('button');
      await expect.poll(() => sources.count()).toBe(4);
      expect(await sources.nth(1).textContent()).toBe(`[2] Lee Writer: ${sent[0].slice(0, 40)}…`);
      await sources.nth(3).click();
      await page.locator('#message-list .message.cited', { hasText: 'rollback' }).waitFor();
      await panel.locator('.summary-text').getByRole('button', { name: 'Source 3' }).click();
      await page.locator('#message-list .message.cited', { hasText: 'concurrently' }).waitFor();
      expect(await panel.locator('.summary-text').textContent()).toContain('[2]');
      await screenshot(page, 'summary');

      // A summary waiting on its model is stopped.
      await pickModel(page, gatedId);
      await page.locator('.thread-summary').first().click();
      const thread = page.locator('#thread-summary-panel');
      await page.getByRole('button', { name: 'Summarize thread' }).click();
      await thread.locator('.summary-text', { hasText: 'Partial summary so far' }).waitFor();
      await thread.getByRole('button', { name: 'Stop' }).click();
      await thread.locator('.summary-status', { hasText: 'Stopped.' }).waitFor();
      await thread.getByRole('button', { name: 'Stop' }).waitFor({ state: 'hidden' });
      gated.release();

      // The thread's own summary cites its root and its reply.
      // (The model is picked in the Assistant panel, which an open thread covers.)
      await page.getByRole('button', { name: 'Close thread' }).click();
      await pickModel(page, threadModel);
      await page.locator('.thread-summary').first().click();
      await page.getByRole('button', { name: 'Summarize thread' }).click();
      await thread.locator('.summary-text', { hasText: 'QA agrees' }).waitFor();
      await thread.locator('.summary-status:empty').waitFor({ state: 'attached' });
      const threadSources = thread.getByRole('list', { name: 'Sources' }).getByRole('button');
      expect(await threadSources.allTextContents()).toEqual([
        '[1] Lee Writer: Release plan for Friday: freeze at noon.',
        '[2] Lee Writer: Noon works for QA too.',
      ]);
      await threadSources.nth(1).click();
      await page.locator('#thread-replies .message.cited', { hasText: 'Noon works' }).waitFor();

      // A spent budget is said as such.
      await server.ok('mutation { setChatBudgets(userDailyTokens: 1) { userDailyTokens } }', {}, { token: admin.token });
      await page.getByRole('button', { name: 'Summarize thread' }).click();
      await thread.getByRole('alert').filter({ hasText: 'No summary: Your daily AI token budget is used up' }).waitFor();
      await server.ok('mutation { setChatBudgets(userDailyTokens: null) { userDailyTokens } }', {}, { token: admin.token });
      expect(dialogs).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
  );
});
