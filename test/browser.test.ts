// The web client in a real browser: Debian's Chromium driven by playwright-core against a real server. Skipped, with a
// message, where Chromium is not installed (.ci/run installs it). Screenshots go to test-output/browser/.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { EchoModel } from '../src/assistant/echo-model.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { chromiumInstalled, launchChromium, OUTPUT } from './helpers/browser.ts';

const hasChromium = chromiumInstalled('the web client tests (test/browser.test.ts)');
const WAIT = 15_000;

describe.skipIf(!hasChromium)('web client in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // A slower offline model, so an answer streams long enough to watch it and to stop it.
    server = await startServer({ CHAT_ECHO_DELAY_MS: '50' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function newPage(prepare?: (context: BrowserContext) => Promise<void>): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(WAIT);
    await prepare?.(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(msg.text()));
    await page.goto(server.url + '/');
    return page;
  }

  async function signUp(page: Page, name: string) {
    const form = page.locator('#sign-up');
    await expect(page.locator('#tenant').inputValue()).resolves.toBe('default');
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Email').fill(`${name.split(' ')[0].toLowerCase()}.${Date.now()}@example.com`);
    await form.getByLabel('Password').fill('correct horse battery');
    await form.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#me-name', { hasText: name }).waitFor();
    await page.locator('#connection', { hasText: 'Live' }).waitFor();
  }

  /** `from` finds `name` (by `search`) and opens their direct conversation. */
  async function openDirect(from: Page, search: string, name: string) {
    await from.getByLabel('Find people to message').fill(search);
    await from.getByRole('button', { name: `Message ${name}` }).click();
    await from.locator('#conversation-title', { hasText: name }).waitFor();
  }

  /** `page` accepts the message request `name` started with them (a stranger's first conversation is one). */
  async function acceptRequest(page: Page, name: string) {
    await page.getByRole('button', { name: /^Requests \([1-9]/ }).click();
    await page.locator('#requests-list button', { hasText: name }).click();
    await page.getByRole('button', { name: `Accept request from ${name}` }).click();
    await page.locator('#conversation-list button', { hasText: name }).waitFor();
    await page.getByRole('button', { name: 'Hide requests' }).click();
  }

  async function screenshot(page: Page, name: string) {
    const path = join(OUTPUT, `${name}.png`);
    await page.screenshot({ path });
    console.log(`screenshot: ${path}`);
  }

  it('two users talk live: unread badge, receipts, presence, typing, edit and delete', { timeout: 90_000 }, async () => {
    const grace = await newPage();
    const ada = await newPage();
    await signUp(grace, 'Grace Hopper');
    await signUp(ada, 'Ada Lovelace');

    // Ada finds Grace and starts a conversation: a message request for Grace (they share none), which she accepts.
    await openDirect(ada, 'Grac', 'Grace Hopper');
    await acceptRequest(grace, 'Ada Lovelace');
    const item = grace.locator('#conversation-list button', { hasText: 'Ada Lovelace' });
    await item.waitFor();

    const composerA = ada.getByLabel('Message', { exact: true });
    await composerA.fill('Hello Grace! Coffee at four?');
    await composerA.press('Enter');
    await ada.locator('#message-list .message.mine', { hasText: 'Hello Grace! Coffee at four?' }).waitFor();

    // Grace sees it live in her list, with an unread badge, without opening anything.
    await item.locator('.badge', { hasText: '1' }).waitFor();
    await item.getByText('Ada Lovelace: Hello Grace! Coffee at four?').waitFor();
    expect(await item.locator('.badge').getAttribute('aria-label')).toBe('1 unread');

    // Opening it clears the badge, and Ada gets the read receipt; both see each other online.
    await item.click();
    await grace.locator('#message-list', { hasText: 'Hello Grace! Coffee at four?' }).waitFor();
    await item.locator('.badge').waitFor({ state: 'detached' });
    await ada.locator('#message-list .receipt', { hasText: 'Read by Grace Hopper' }).waitFor();
    await ada.locator('#conversation-presence', { hasText: 'Grace Hopper: Online' }).waitFor();
    await grace.locator('#conversation-presence', { hasText: 'Ada Lovelace: Online' }).waitFor();

    // Grace types: Ada sees the indicator; it clears when Grace sends.
    const composerG = grace.getByLabel('Message', { exact: true });
    await composerG.fill('Make it five and you have a deal.');
    await ada.locator('#typing', { hasText: 'Grace Hopper is typing…' }).waitFor();
    await composerG.press('Enter');
    await ada.locator('#message-list', { hasText: 'Make it five and you have a deal.' }).waitFor();
    await ada.locator('#typing', { hasText: 'typing' }).waitFor({ state: 'hidden' });

    // Ada edits her message and deletes another one; Grace sees both changes live.
    await ada.getByRole('button', { name: 'Edit message: Hello Grace! Coffee at four?' }).click();
    await ada.getByLabel('Edit message').fill('Hello Grace! Coffee at five?');
    await ada.getByRole('button', { name: 'Save' }).click();
    await grace.locator('#message-list .message', { hasText: 'Hello Grace! Coffee at five?' }).locator('.edited').waitFor();
    await composerA.fill('Sent to the wrong chat, sorry');
    await composerA.press('Enter');
    await grace.locator('#message-list', { hasText: 'Sent to the wrong chat, sorry' }).waitFor();
    await ada.getByRole('button', { name: 'Delete message: Sent to the wrong chat, sorry' }).click();
    await grace.locator('#message-list .message.deleted', { hasText: 'Message deleted' }).waitFor();
    await grace.locator('#message-list', { hasText: 'Sent to the wrong chat, sorry' }).waitFor({ state: 'detached' });

    await composerA.fill('Five it is. See you there!');
    await composerA.press('Enter');
    await grace.locator('#message-list', { hasText: 'Five it is. See you there!' }).waitFor();
    await ada
      .locator('#message-list .message.mine', { hasText: 'Five it is' })
      .locator('.receipt', { hasText: 'Read by Grace Hopper' })
      .waitFor();
    await composerG.fill('Perfect');
    await ada.locator('#typing', { hasText: 'Grace Hopper is typing…' }).waitFor();
    await screenshot(ada, 'conversation');
    await screenshot(grace, 'conversation-other-user');
    expect(pageErrors).toEqual([]);
  });

  it('replies quote a message, and the quote follows an edit of it', { timeout: 90_000 }, async () => {
    const grace = await newPage();
    const ada = await newPage();
    await signUp(grace, 'Margaret Hamilton');
    await signUp(ada, 'Katherine Johnson');
    await openDirect(ada, 'Margaret Ham', 'Margaret Hamilton');
    await acceptRequest(grace, 'Katherine Johnson');
    const composerA = ada.getByLabel('Message', { exact: true });
    await composerA.fill('Shall we ship the compiler on Friday?');
    await composerA.press('Enter');
    await grace.locator('#conversation-list button', { hasText: 'Katherine Johnson' }).click();
    await grace.locator('#message-list', { hasText: 'Shall we ship the compiler on Friday?' }).waitFor();

    // Grace replies to it: the bar says what she quotes, and both see the quote on her message.
    await grace.getByRole('button', { name: 'Reply to message: Shall we ship the compiler on Friday?' }).click();
    await grace.locator('#reply-bar', { hasText: 'Replying to Katherine Johnson: Shall we ship the compiler on Friday?' }).waitFor();
    const composerG = grace.getByLabel('Message', { exact: true });
    await composerG.fill('Friday works, after the last test run.');
    await composerG.press('Enter');
    await grace.locator('#reply-bar').waitFor({ state: 'hidden' });
    const replyAtAda = ada.locator('#message-list .message', { hasText: 'Friday works, after the last test run.' });
    await replyAtAda.locator('.quote', { hasText: 'Shall we ship the compiler on Friday?' }).waitFor();

    // Ada edits the quoted message (once Grace's read receipt is in, which redraws it): the quote in Grace's reply
    // shows the new text, live.
    await ada
      .locator('#message-list .message.mine', { hasText: 'Shall we ship the compiler on Friday?' })
      .locator('.receipt', { hasText: 'Read by Margaret Hamilton' })
      .waitFor();
    await ada.getByRole('button', { name: 'Edit message: Shall we ship the compiler on Friday?' }).click();
    await ada.getByLabel('Edit message').fill('Shall we ship the compiler on Thursday?');
    await ada.getByRole('button', { name: 'Save' }).click();
    const replyAtGrace = grace.locator('#message-list .message', { hasText: 'Friday works, after the last test run.' });
    await replyAtGrace.locator('.quote', { hasText: 'Shall we ship the compiler on Thursday?' }).waitFor();

    // A reply can be cancelled before sending: the next message quotes nothing.
    await ada.getByRole('button', { name: 'Reply to message: Friday works, after the last test run.' }).click();
    await ada.getByRole('button', { name: 'Cancel reply' }).click();
    await ada.locator('#reply-bar').waitFor({ state: 'hidden' });
    await composerA.fill('Thursday then.');
    await composerA.press('Enter');
    await grace.locator('#message-list .message', { hasText: 'Thursday then.' }).waitFor();
    expect(await grace.locator('#message-list .message', { hasText: 'Thursday then.' }).locator('.quote').count()).toBe(0);
    // Only replies carry a quote, and nothing renders as stray text.
    expect(await grace.locator('#message-list .message .quote').count()).toBe(1);
    expect(await grace.locator('#message-list').innerText()).not.toContain('null');
    await screenshot(grace, 'reply');
    expect(pageErrors).toEqual([]);
  });

  it('pins a message for both sides: the bar under the title lists it until it is unpinned', { timeout: 90_000 }, async () => {
    const radia = await newPage();
    const hedy = await newPage();
    await signUp(radia, 'Radia Perlman');
    await signUp(hedy, 'Hedy Lamarr');
    await openDirect(hedy, 'Radia Perl', 'Radia Perlman');
    await acceptRequest(radia, 'Hedy Lamarr');
    const composer = hedy.getByLabel('Message', { exact: true });
    for (const text of ['Draft is in the shared folder', 'Lunch?']) {
      await composer.fill(text);
      await composer.press('Enter');
      // Sent (shown on Hedy's side) before the next, and before Radia opens the conversation.
      await hedy.locator('#message-list .message', { hasText: text }).waitFor();
    }
    await radia.locator('#conversation-list button', { hasText: 'Hedy Lamarr' }).click();
    await radia.locator('#message-list', { hasText: 'Lunch?' }).waitFor();

    // Radia pins Hedy's first message: both see it marked and in the pinned bar, live.
    await radia.getByRole('button', { name: 'Pin message: Draft is in the shared folder' }).click();
    for (const page of [radia, hedy]) {
      await page.locator('#pinned', { hasText: 'Pinned (1)' }).getByText('Draft is in the shared folder').waitFor();
      await page.locator('#message-list .message', { hasText: 'Draft is in the shared' }).locator('.pinned-mark').waitFor();
    }
    await screenshot(hedy, 'pins');

    // Hedy unpins it: the bar goes away on both sides.
    await hedy.getByRole('button', { name: 'Unpin message: Draft is in the shared folder' }).click();
    for (const page of [radia, hedy]) await page.locator('#pinned').waitFor({ state: 'hidden' });
    expect(await radia.locator('#message-list .pinned-mark').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('pins a conversation to the top of the list, and archives one until a new message brings it back', { timeout: 90_000 }, async () => {
    const barbara = await newPage();
    await signUp(barbara, 'Barbara Liskov');
    const [john, ken] = [await server.user({ name: 'John Backus' }), await server.user({ name: 'Ken Thompson' })];
    const found = await server.ok<{ users: { edges: { node: { id: string } }[] } }, Record<string, unknown>>(
      '{ users(search: "Barbara Lis") { edges { node { id } } } }',
      {},
      { token: john.token },
    );
    const barbaraId = found.users.edges[0].node.id;
    const say = (who: typeof john, content: string) =>
      server.ok(
        'mutation($to: ID!, $c: String!) { sendMessage(input: { toUserId: $to, content: $c }) { id } }',
        { to: barbaraId, c: content },
        { token: who.token },
      );
    await say(john, 'Fortran meeting at ten');
    await say(ken, 'Unix release notes attached');
    // Both are message requests for Barbara, who shares no conversation with either: she accepts them.
    await acceptRequest(barbara, 'John Backus');
    await acceptRequest(barbara, 'Ken Thompson');
    const items = barbara.locator('#conversation-list .item-title');
    await barbara.locator('#conversation-list button', { hasText: 'John Backus' }).waitFor();
    await barbara.locator('#conversation-list button', { hasText: 'Ken Thompson' }).waitFor();
    expect(await items.allTextContents()).toEqual(['Ken Thompson', 'John Backus']);

    // Pinning John's conversation puts it first.
    await barbara.locator('#conversation-list button', { hasText: 'John Backus' }).click();
    await barbara.getByRole('button', { name: 'Pin to top' }).click();
    await barbara.getByRole('button', { name: 'Unpin from top' }).waitFor();
    expect(await items.allTextContents()).toEqual(['John Backus · pinned', 'Ken Thompson']);

    // Archiving Ken's moves it to the archive; his next message brings it back.
    await barbara.locator('#conversation-list button', { hasText: 'Ken Thompson' }).click();
    await barbara.getByRole('button', { name: 'Archive', exact: true }).click();
    await barbara.locator('#conversation-list button', { hasText: 'Ken Thompson' }).waitFor({ state: 'detached' });
    await barbara.getByRole('button', { name: 'Archived (1)' }).click();
    await barbara.locator('#conversation-list button', { hasText: 'Ken Thompson' }).waitFor();
    await screenshot(barbara, 'archive');
    await barbara.getByRole('button', { name: 'Back to conversations' }).click();
    await say(ken, 'Ping: the release is out');
    await barbara.locator('#conversation-list button', { hasText: 'Ken Thompson' }).getByText('Ping: the release is out').waitFor();
    expect(await items.allTextContents()).toEqual(['John Backus · pinned', 'Ken Thompson']);
    expect(await barbara.locator('#inbox-error').textContent()).toBe('');
    await screenshot(barbara, 'conversation-settings');
    expect(pageErrors).toEqual([]);
  });

  it('reacts with the picker and with chips, live on both sides', { timeout: 90_000 }, async () => {
    const frances = await newPage();
    const jean = await newPage();
    await signUp(frances, 'Frances Allen');
    await signUp(jean, 'Jean Sammet');
    await openDirect(jean, 'Frances Al', 'Frances Allen');
    await acceptRequest(frances, 'Jean Sammet');
    const composer = jean.getByLabel('Message', { exact: true });
    await composer.fill('COBOL spec is final');
    await composer.press('Enter');
    await frances.locator('#conversation-list button', { hasText: 'Jean Sammet' }).click();
    await frances.locator('#message-list', { hasText: 'COBOL spec is final' }).waitFor();

    // Frances reacts through the picker; Jean sees the chip live and adds hers by clicking it.
    await frances.getByRole('button', { name: 'React to message: COBOL spec is final' }).click();
    await frances.getByRole('button', { name: 'React 🎉' }).click();
    await frances.locator('#message-list .chip.mine', { hasText: '🎉 1' }).waitFor();
    await jean.locator('#message-list .chip', { hasText: '🎉 1' }).click();
    await jean.locator('#message-list .chip.mine', { hasText: '🎉 2' }).waitFor();
    await frances.locator('#message-list .chip.mine', { hasText: '🎉 2' }).waitFor();
    await screenshot(frances, 'reactions');

    // Jean takes hers back.
    await jean.locator('#message-list .chip.mine', { hasText: '🎉 2' }).click();
    await frances.locator('#message-list .chip.mine', { hasText: '🎉 1' }).waitFor();
    await jean.locator('#message-list .chip:not(.mine)', { hasText: '🎉 1' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('streams an assistant answer, stops a long one, and lists past chats', { timeout: 90_000 }, async () => {
    const page = await newPage();
    await signUp(page, 'Alan Turing');
    await page.locator('#model option[value="parley-echo"]').waitFor({ state: 'attached' });
    expect(await page.locator('#model').inputValue()).toBe('parley-echo');

    const answer = page.locator('#chat-transcript .turn.assistant').last();
    const question = 'What should I see on a first visit to Lisbon, if I have three days, like walking, and want to eat well?';
    await page.getByLabel('Ask the assistant').fill(question);
    await page.getByRole('button', { name: 'Ask' }).click();

    // Part of the answer is on screen while it is still streaming...
    const partial = await page
      .waitForFunction(() => {
        const el = document.querySelector<HTMLElement>('#chat-transcript .turn.assistant:last-child');
        const text = el?.querySelector('.content')?.textContent ?? '';
        return el?.dataset.status === 'STREAMING' && el.getAttribute('aria-busy') === 'true' && text.length > 0 && text;
      })
      .then((handle) => handle.jsonValue() as Promise<string>);
    // ...then the whole of it.
    await page.locator('#chat-transcript .turn.assistant[data-status="COMPLETE"]').waitFor();
    const full = EchoModel.reply(question);
    expect(await answer.locator('.content').textContent()).toBe(full);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(full.length);
    expect(full.startsWith(partial)).toBe(true);
    await page.locator('#chat-sessions li').first().waitFor();

    // A long answer in a new chat, stopped part way: the partial text stays, marked Stopped.
    await page.getByRole('button', { name: 'New chat' }).click();
    const long = Array.from({ length: 150 }, (_, i) => `word${i}`).join(' ');
    await page.getByLabel('Ask the assistant').fill(`Repeat after me: ${long}`);
    await page.getByRole('button', { name: 'Ask' }).click();
    await answer.locator('.content', { hasText: 'word3' }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('#chat-transcript .turn.assistant[data-status="STOPPED"]').waitFor();
    await answer.locator('.status', { hasText: 'Stopped' }).waitFor();
    const stopped = (await answer.locator('.content').textContent()) ?? '';
    expect(stopped).toMatch(/^You said: "Repeat after me: word0 /);
    expect(stopped.length).toBeLessThan(EchoModel.reply(`Repeat after me: ${long}`).length);
    await page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'hidden' });

    // Both chats are listed; the first one opens with its answer.
    await page.locator('#chat-sessions li').nth(1).waitFor();
    expect(await page.locator('#chat-sessions li').count()).toBe(2);
    await page
      .locator('#chat-sessions')
      .getByRole('button', { name: /Lisbon/ })
      .click();
    await page.locator('#chat-transcript .turn.assistant .content', { hasText: full }).waitFor();
    await page.locator('#chat-transcript .turn.assistant .content', { hasText: 'word3' }).waitFor({ state: 'detached' });
    expect(await page.locator('#chat-transcript .turn').allTextContents()).toEqual([`You${question}`, `Assistant${full}`]);
    await screenshot(page, 'assistant');
    expect(pageErrors).toEqual([]);
  });

  it('reconnects by itself and resumes the open conversation without losing or repeating a message', { timeout: 90_000 }, async () => {
    // Grace's WebSockets go through a route the test can cut, and refuse while `refuse` is set.
    const sockets: WebSocketRoute[] = [];
    let refuse = false;
    const grace = await newPage((context) =>
      context.routeWebSocket(/\/graphql$/, (ws) => {
        if (refuse) return void ws.close({ code: 1012, reason: 'Service restart' });
        ws.connectToServer();
        sockets.push(ws);
      }),
    );
    const ada = await newPage();
    await signUp(grace, 'Grace Brewster');
    await signUp(ada, 'Ada Byron');
    await openDirect(ada, 'Grace Brew', 'Grace Brewster');
    await acceptRequest(grace, 'Ada Byron');
    const composerA = ada.getByLabel('Message', { exact: true });
    await composerA.fill('Before the drop');
    await composerA.press('Enter');
    await grace.locator('#conversation-list button', { hasText: 'Ada Byron' }).click();
    await grace.locator('#message-list', { hasText: 'Before the drop' }).waitFor();

    refuse = true;
    await Promise.all(sockets.splice(0).map((ws) => ws.close({ code: 1012, reason: 'Service restart' })));
    await grace.locator('#connection', { hasText: 'Offline' }).waitFor();
    for (const text of ['While you were away (1)', 'While you were away (2)']) {
      await composerA.fill(text);
      await composerA.press('Enter');
      await ada.locator('#message-list .message.mine', { hasText: text }).waitFor();
    }
    expect(await grace.locator('#message-list .message').count()).toBe(1);

    refuse = false;
    await grace.locator('#connection', { hasText: 'Live' }).waitFor();
    await grace.locator('#message-list', { hasText: 'While you were away (2)' }).waitFor();
    await composerA.fill('Back live');
    await composerA.press('Enter');
    await grace.locator('#message-list', { hasText: 'Back live' }).waitFor();
    expect(await grace.locator('#message-list .message .content').allTextContents()).toEqual([
      'Before the drop',
      'While you were away (1)',
      'While you were away (2)',
      'Back live',
    ]);
    await screenshot(grace, 'reconnect');
    expect(pageErrors.filter((e) => !/WebSocket/.test(e))).toEqual([]);
  });

  it('shows API errors as readable messages, keeps the session over a reload, signs out and in', { timeout: 60_000 }, async () => {
    const page = await newPage();
    const signUpForm = page.locator('#sign-up');
    const signInForm = page.locator('#sign-in');
    const email = `hedy.${Date.now()}@example.com`;

    await page.getByLabel('Tenant id (sent as X-Client-ID)').fill('no-such-tenant');
    await signUpForm.getByLabel('Name').fill('Hedy Lamarr');
    await signUpForm.getByLabel('Email').fill(email);
    await signUpForm.getByLabel('Password').fill('correct horse battery');
    await signUpForm.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#auth-error', { hasText: 'This tenant does not exist or is disabled: check the tenant id.' }).waitFor();

    await page.getByLabel('Tenant id (sent as X-Client-ID)').fill('default');
    await signUpForm.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#me-name', { hasText: 'Hedy Lamarr' }).waitFor();
    await page.reload();
    await page.locator('#me-name', { hasText: 'Hedy Lamarr' }).waitFor();
    await page.locator('#connection', { hasText: 'Live' }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInForm.waitFor();
    await signInForm.getByLabel('Email or username').fill(email);
    await signInForm.getByLabel('Password').fill('wrong password!');
    await signInForm.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.locator('#auth-error');
    await alert.filter({ hasText: /./ }).waitFor();
    expect(await alert.textContent()).toBe('Invalid email or password.');
    await signInForm.getByLabel('Password').fill('correct horse battery');
    await signInForm.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#me-name', { hasText: 'Hedy Lamarr' }).waitFor();
    // On a phone-sized screen the panels stack: nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { name: 'Assistant' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, 'narrow-screen');
    expect(pageErrors).toEqual([]);
  });

  it('loads older messages when the history is scrolled to the top', { timeout: 60_000 }, async () => {
    const page = await newPage();
    await signUp(page, 'Vint Cerf');
    const bob = await server.user({ name: 'Bob Kahn' });
    const found = await server.ok<{ users: { edges: { node: { id: string } }[] } }, Record<string, unknown>>(
      '{ users(search: "Vint") { edges { node { id } } } }',
      {},
      { token: bob.token },
    );
    const vint = found.users.edges[0].node.id;
    // Bob's conversation is a message request for Vint until Vint accepts it (a request takes 3 messages at most).
    await server.ok('mutation($u: ID!) { startDirectConversation(userId: $u) { id } }', { u: vint }, { token: bob.token });
    await acceptRequest(page, 'Bob Kahn');
    for (let i = 1; i <= 45; i++) {
      await server.ok(
        'mutation($to: ID!, $c: String!) { sendMessage(input: { toUserId: $to, content: $c }) { id } }',
        { to: vint, c: `Packet ${i}` },
        { token: bob.token },
      );
    }
    const item = page.locator('#conversation-list button', { hasText: 'Bob Kahn' });
    await item.locator('.badge', { hasText: '45' }).waitFor();
    await item.click();
    const contents = page.locator('#message-list .message .content');
    await page.locator('#message-list', { hasText: 'Packet 45' }).waitFor();
    expect(await contents.count()).toBe(30); // the newest page
    await page.locator('#message-scroller').evaluate((el) => el.scrollTo({ top: 0 }));
    await page
      .locator('#message-list .message', { hasText: /^Bob Kahn/ })
      .locator('.content', { hasText: /^Packet 1$/ })
      .waitFor();
    expect(await contents.allTextContents()).toEqual(Array.from({ length: 45 }, (_, i) => `Packet ${i + 1}`));
    await page.getByRole('button', { name: 'Load older messages' }).waitFor({ state: 'hidden' });
    await screenshot(page, 'history');
    expect(pageErrors).toEqual([]);
  });
});
