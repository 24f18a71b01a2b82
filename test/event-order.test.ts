// Publishes that cross on the way are put back in order before streams see them. Two sends to one conversation
// commit in sequence order, but on PostgreSQL their answers come back on two pool connections and may be published
// the other way round, and two instances publishing through Redis interleave the same way. Here instance A writes
// the messages (on a bus of its own), and the test publishes their events on B's bus in the crossed order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, startServer, type TestServer } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { allLive, subscribe, type Subscription } from './helpers/ws.ts';
import { toPayload } from '../src/messaging/events.ts';
import type { Database } from '../src/db/client.ts';

const SUBSCRIBERS = 20;
const Send = 'mutation($id: ID!, $content: String!) { sendMessage(input: { conversationId: $id, content: $content }) { id } }';
const Events = 'subscription($id: ID!) { conversationEvents(conversationId: $id) { sequence type message { content } } }';
type Event = { conversationEvents: { sequence: number; type: string; message: { content: string } | null } };

let fresh: Awaited<ReturnType<typeof openTestDatabase>>;
let db: Database;
let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  fresh = await openTestDatabase();
  db = fresh.db;
  a = await startServer({}, { db });
  b = await startServer({ WS_MAX_CONNECTIONS_PER_USER: '0' }, { db });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await db?.close();
  await fresh?.drop();
});

/** A conversation written on A, followed on B by SUBSCRIBERS live streams that have read everything so far. */
async function followedOnB() {
  const [alice, bob] = [await a.user(), await a.user()];
  const id = await createConversation(a, [alice, bob]);
  const subs: Subscription<Event>[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) subs.push(subscribe<Event, { id: string }>(b.ws({ token: bob.token }), Events, { id }));
  await allLive(subs, () => b.ok(Send, { id, content: 'probe' }, { token: alice.token }));
  await b.ok(Send, { id, content: 'settled' }, { token: alice.token });
  for (const sub of subs) await sub.until((e) => e.data?.conversationEvents.message?.content === 'settled');
  /** Writes messages on A and returns their events as the log holds them (B's streams have not heard of them). */
  const write = async (...contents: string[]) => {
    const from = (await db.prisma.conversation.findUniqueOrThrow({ where: { id } })).lastSequence;
    for (const content of contents) await a.ok(Send, { id, content }, { token: alice.token });
    const rows = await db.prisma.conversationEvent.findMany({
      where: { conversationId: id, sequence: { gt: from } },
      orderBy: { sequence: 'asc' },
    });
    return rows.map(toPayload);
  };
  return { id, subs, write };
}

const seen = (events: Awaited<ReturnType<Subscription<Event>['take']>>) =>
  events.map((e) => [e.data!.conversationEvents.sequence, e.data!.conversationEvents.message?.content]);

describe('events published out of order', () => {
  it('reach every stream in order, without each stream reading the log', async () => {
    const { id, subs, write } = await followedOnB();
    const [one, two] = await write('one', 'two');
    const before = db.queryCount();
    b.services().pubsub.publish('conversation:event', id, two);
    b.services().pubsub.publish('conversation:event', id, one);
    for (const sub of subs)
      expect(seen(await sub.take(2))).toEqual([
        [one.sequence, 'one'],
        [two.sequence, 'two'],
      ]);
    // Loading the two messages for everyone once, not a read of the gap per stream (which was SUBSCRIBERS or more).
    expect(db.queryCount() - before).toBeLessThan(SUBSCRIBERS / 4);
  });

  it('still reach every stream when the missing one never arrives live (read back from the log)', async () => {
    const { id, subs, write } = await followedOnB();
    const [one, two] = await write('lost', 'late');
    b.services().pubsub.publish('conversation:event', id, two);
    for (const sub of subs)
      expect(seen(await sub.take(2))).toEqual([
        [one.sequence, 'lost'],
        [two.sequence, 'late'],
      ]);
  });
});
