// The inbox (conversationEvents without conversationId) in tests: the subscription over graphql-ws, and the stream
// opened in-process as the subscription opens it, for tests that read at their own pace (a slow consumer) and look
// inside the cursors it issues.
import { expect } from 'vitest';
import type { ExecutionResult } from 'graphql';
import type { TestServer, TestUser } from './server.ts';
import type { Subscription } from './ws.ts';
import { graphql } from '../gql/index.ts';
import { Send } from '../messaging-ops.ts';
import type { InboxStream } from '../../src/messaging/inbox.ts';
import { openInbox } from '../../src/messaging/inbox-subscription.ts';
import { CursorSigner, cursorLimits, type InboxPosition } from '../../src/messaging/inbox-cursor.ts';
import { currentSnapshot } from '../../src/db/sql/inbox.ts';
import type { ConversationEventPayload } from '../../src/messaging/events.ts';

export const Inbox = graphql(`
  subscription Inbox($cursor: String) {
    conversationEvents(afterCursor: $cursor) {
      type
      sequence
      conversationId
      cursor
      message {
        id
        content
      }
      user {
        id
      }
    }
  }
`);
/** One event of the Inbox subscription. */
export interface InboxEvent {
  type: string;
  sequence: number;
  conversationId: string;
  cursor?: string | null;
  message?: { id: string; content?: string | null } | null;
  user?: { id: string } | null;
}
export const ev = (r: ExecutionResult<unknown>): InboxEvent => {
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return (r.data as { conversationEvents: InboxEvent }).conversationEvents;
};
export const key = (e: { conversationId: string; sequence: number }) => `${e.conversationId}:${e.sequence}`;

export const send = (s: TestServer, by: TestUser, conversationId: string, content: string) =>
  s.ok(Send, { input: { conversationId, content } }, { token: by.token }).then((r) => r.sendMessage);

/**
 * Takes `n` events, then checks that nothing else was waiting: the next event is a new message sent now. A resumed
 * inbox replays conversation by conversation, so only the order within each conversation is defined.
 */
export async function takeExactly(sub: Subscription<unknown>, n: number, probe: () => Promise<{ id: string }>) {
  const got = (await sub.take(n, 20_000)).map(ev);
  const marker = await probe();
  expect(ev(await sub.next())).toMatchObject({ message: { id: marker.id } });
  return got;
}

/** Reads the inbox until the event of `marker`, returning every event before it (probes and all). */
export async function readUntil(sub: Subscription<unknown>, markerId: string, timeoutMs = 20_000) {
  const got: InboxEvent[] = [];
  for (;;) {
    const e = ev(await sub.next(timeoutMs));
    if (e.message?.id === markerId) return { got, marker: e };
    got.push(e);
  }
}

export interface InboxRead {
  event: ConversationEventPayload;
  /** The cursor to resume right after the event. */
  cursor: string;
}

/** The viewer's inbox (tenant `default`), from now or after `cursor`, holding at most `maxQueued` events for its reader. */
export function openTestInbox(s: TestServer, viewer: TestUser, cursor: string | null, maxQueued?: number): Promise<InboxStream> {
  const { prisma, eventTopics } = s.services();
  const secret = s.config.authSecret;
  return openInbox({
    prisma,
    topics: eventTopics,
    viewerId: viewer.id,
    secret,
    tenantId: 'default',
    afterCursor: cursor,
    withCursors: true,
    maxQueued,
  });
}

export async function readInbox(stream: InboxStream): Promise<InboxRead> {
  const { value } = await stream.next();
  return { event: value as ConversationEventPayload, cursor: stream.cursorAfter(value as ConversationEventPayload)! };
}

/**
 * Waits until an inbox opened from now is live (a message sent before that is history to it): sends probes until
 * one arrives, then reads up to the last probe sent. Returns that read.
 */
export async function readLive(stream: InboxStream, probe: () => Promise<{ id: string }>): Promise<InboxRead> {
  const first = readInbox(stream);
  const probes: string[] = [];
  for (let on = false; !on && probes.length < 50;) {
    probes.push((await probe()).id);
    on = await Promise.race([first.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
  }
  let read = await first;
  while (read.event.messageId !== probes.at(-1)) read = await readInbox(stream);
  return read;
}

/** Reads cursors as the server reads them (throwing INVALID_CURSOR where the server would refuse one). */
export async function cursorReader(s: TestServer, viewer: TestUser): Promise<(cursor: string) => InboxPosition> {
  const { maxInProgress } = await currentSnapshot(s.services().prisma);
  const signer = new CursorSigner(s.config.authSecret, 'default', viewer.id, cursorLimits(maxInProgress));
  return (cursor) => signer.decode(cursor);
}
