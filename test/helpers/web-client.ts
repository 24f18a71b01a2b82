// The web client in Chromium for the browser tests that act for users made through the API (so the test can also
// send, upload or read as them): a page signed in through the sign-in form, page errors collected, screenshots.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TestServer, TestUser } from './server.ts';
import { OUTPUT } from './browser.ts';
import { makeContacts } from './conversations.ts';

export const WAIT = 15_000;

/** A 1280x800 page of `server` signed in as `user`; its page and console errors go to `errors`. */
export async function signedIn(browser: Browser, server: TestServer, user: TestUser, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
  await page.goto(server.url + '/');
  const form = page.locator('#sign-in');
  await form.getByLabel('Email or username').fill(user.email);
  await form.getByLabel('Password').fill(user.password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#me-name', { hasText: user.name }).waitFor();
  await page.locator('#connection', { hasText: 'Live' }).waitFor();
  return page;
}

/** Pairs already made contacts by send(), per server. */
const contacts = new WeakMap<TestServer, Set<string>>();

/**
 * `from` sends `content` to `to` (their direct conversation), optionally in a thread; resolves with the message id.
 * The two are made accepted contacts first (a stranger's first message would be a request `to` has to accept), as
 * people who talk are.
 */
export async function send(server: TestServer, from: TestUser, to: TestUser, content: string, threadRootId?: string): Promise<string> {
  const pairs = contacts.get(server) ?? new Set<string>();
  contacts.set(server, pairs);
  const pair = [from.id, to.id].sort().join(':');
  if (!pairs.has(pair)) {
    await makeContacts(server, from, to);
    pairs.add(pair);
  }
  const data = await server.ok<{ sendMessage: { id: string } }, Record<string, unknown>>(
    'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
    { i: { toUserId: to.id, content, threadRootId } },
    { token: from.token },
  );
  return data.sendMessage.id;
}

/** Writes test-output/browser/<name>.png (copied by hand to docs/ when the README should show it). */
export async function screenshot(page: Page, name: string) {
  const path = join(OUTPUT, `${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
}
