// answer() (src/db/rows.ts) builds what a Prisma query would return from rows already in hand: a history page's
// rows, or the rows a live event carries (which crossed Redis as JSON). Here every selection it answers is put to
// Prisma as well, on the same rows, and the two must be deep-equal; a selection the rows cannot answer is undefined.
import { beforeAll, describe, expect, it } from 'vitest';
import { useServer, type TestUser } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { historyPage, type HistoryRow } from '../src/db/sql/messages.ts';
import { answer, known, WITHHELD, type Known } from '../src/db/rows.ts';

const s = useServer();
const SEND =
  'mutation($c: ID!, $text: String!, $key: String) { sendMessage(input: { conversationId: $c, content: $text, clientMessageId: $key }) { id } }';

let rows: HistoryRow[];
beforeAll(async () => {
  const server = s();
  const [alice, bob, carol] = [await server.user(), await server.user(), await server.user()];
  const conversationId = await createConversation(server, [alice, bob, carol], 'rows');
  const send = async (by: TestUser, text: string, key: string | null = null) =>
    (await server.ok<{ sendMessage: { id: string } }, Record<string, unknown>>(SEND, { c: conversationId, text, key }, { token: by.token }))
      .sendMessage.id;
  await send(alice, 'plain');
  await send(bob, 'with a key', 'key-1');
  const edited = await send(alice, 'before the edit');
  await server.ok('mutation($id: ID!) { editMessage(id: $id, content: "after the edit") { id } }', { id: edited }, { token: alice.token });
  const deleted = await send(bob, 'deleted');
  await server.ok('mutation($id: ID!) { deleteMessage(id: $id) { id } }', { id: deleted }, { token: bob.token });
  await send(carol, 'from a deleted account');
  await server.ok('mutation($pw: String!) { deleteAccount(password: $pw) }', { pw: carol.password }, { token: carol.token });
  rows = (await historyPage(server.db.query, { conversationId, take: 100, after: null, before: null, backward: false }))!;
});

/** Rows in hand as a history page has them, and as a live event carries them (through JSON, dates as strings). */
const IN_HAND: Record<string, (row: HistoryRow) => Known> = {
  'a history page': ({ message, sender }) => known('Message', message, { sender: sender && known('User', sender) }),
  'a live event from Redis': ({ message, sender }) => {
    const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
    return known('Message', json(message), { sender: sender && known('User', json(sender)) });
  },
};

/** Selections answer() answers: scalars, nulls, dates, an enum, nested relations as select and include. */
const ANSWERED: Record<string, Record<string, unknown>> = {
  'the whole row': {},
  scalars: { select: { id: true, content: true, sequence: true, clientMessageId: true, senderId: true } },
  dates: { select: { createdAt: true, editedAt: true, deletedAt: true } },
  'a field left out': { select: { id: true, content: false } },
  'a nested select': {
    select: { id: true, sender: { select: { id: true, name: true, status: true, createdAt: true, lastSeenAt: true } } },
  },
  'an include': { include: { sender: true } },
  'an include with a nested select': { include: { sender: { select: { name: true, image: true } } } },
  'a nested include': { select: { content: true, sender: { include: {} } } },
};

/** Selections rows in hand cannot answer: relations not loaded, filters or ordering. */
const UNANSWERED: Record<string, Record<string, unknown>> = {
  'edits (not loaded)': { select: { id: true, edits: true } },
  'the conversation (not loaded)': { include: { conversation: true } },
  "the sender's memberships": { select: { sender: { select: { memberships: true } } } },
  'a filtered relation': { select: { sender: { select: { id: true }, where: { name: 'x' } } } },
};

/** Columns that hold lists of ids: Prisma reads an empty one of a whole row as `{}` (threads.schema.ts idList). */
const ID_LISTS = new Set(['mentionedIds', 'threadParticipantIds']);

/** What Prisma returns, less the columns rows in hand never carry (no resolver reads them), empty id lists as []. */
function withoutWithheld(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !WITHHELD.has(key))
      .map(([key, v]) => [key, ID_LISTS.has(key) && !Array.isArray(v) ? [] : withoutWithheld(v)]),
  );
}

describe.each(Object.entries(IN_HAND))('answer() from %s', (_, inHand) => {
  it.each(Object.entries(ANSWERED))('returns what Prisma returns for %s', async (_name, query) => {
    for (const row of rows) {
      const fromPrisma = await s().db.prisma.message.findUniqueOrThrow({ ...query, where: { id: row.message.id } });
      expect(answer(query, inHand(row)), row.message.content).toStrictEqual(withoutWithheld(fromPrisma));
    }
  });

  it.each(Object.entries(UNANSWERED))('leaves %s to Prisma', (_name, query) => {
    for (const row of rows.filter((r) => r.sender)) expect(answer(query, inHand(row))).toBeUndefined();
  });
});

describe('answer() from partial rows', () => {
  it('answers only the columns in hand', () => {
    const { id, content, createdAt } = rows[0].message;
    const partial = known('Message', { id, content, createdAt });
    expect(partial.whole).toBe(false);
    expect(answer({ select: { id: true, createdAt: true } }, partial)).toStrictEqual({ id, createdAt });
    expect(answer({}, partial)).toBeUndefined();
    expect(answer({ select: { id: true, sequence: true } }, partial)).toBeUndefined();
  });

  it('covers the null relation of a deleted sender with null, as Prisma does', () => {
    const orphan = rows.find((r) => r.sender === null)!;
    expect(orphan.message.senderId).toBeNull();
    expect(answer({ select: { sender: { select: { memberships: true } } } }, IN_HAND['a history page'](orphan))).toStrictEqual({
      sender: null,
    });
  });
});
