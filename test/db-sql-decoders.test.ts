// Each statement of src/db/sql/ read through its decoder equals what Prisma reads of the same rows (PGlite, or
// PostgreSQL with TEST_DATABASE_URL). The data is made through the API; the statements are called directly.
import { beforeAll, describe, expect, it } from 'vitest';
import { useServer, type TestUser } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { takeSequences } from '../src/db/sql/events.ts';
import { lastMessageIds, lockConversation, unreadCounts } from '../src/db/sql/conversations.ts';
import { searchMessages } from '../src/db/sql/search.ts';
import { messagesPerDay, messageTotals } from '../src/db/sql/stats.ts';
import { currentSnapshot, latestSequences, membershipsSince, nextJoin, viewpoints, visibleSequences } from '../src/db/sql/inbox.ts';

const s = useServer();
const SEND = 'mutation($c: ID!, $text: String!) { sendMessage(input: { conversationId: $c, content: $text }) { id } }';

let alice: TestUser;
let bob: TestUser;
let tenantId: string;
/** Bob is in `talk` (messages, some read, one deleted) and `quiet` (none); he left `gone`. */
let talk: string;
let quiet: string;
let gone: string;
beforeAll(async () => {
  const server = s();
  [alice, bob] = [await server.user(), await server.user()];
  tenantId = (await server.db.prisma.user.findUniqueOrThrow({ where: { id: alice.id } })).tenantId;
  [talk, quiet, gone] = [
    await createConversation(server, [alice, bob], 'talk'),
    await createConversation(server, [alice, bob], 'quiet'),
    await createConversation(server, [alice, bob], 'gone'),
  ];
  const read = await send(alice, talk, 'read by bob');
  await send(bob, talk, 'from bob with a <b>needle</b> & "quotes"');
  await server.ok(
    'mutation($c: ID!, $m: ID) { markConversationRead(conversationId: $c, upToMessageId: $m) { id } }',
    { c: talk, m: read },
    { token: bob.token },
  );
  await send(alice, talk, 'unread one');
  const deleted = await send(alice, talk, 'deleted needle');
  await server.ok('mutation($id: ID!) { deleteMessage(id: $id) { id } }', { id: deleted }, { token: alice.token });
  await send(alice, talk, 'unread two');
  await send(alice, gone, 'before bob left');
  await server.ok('mutation($c: ID!) { leaveConversation(conversationId: $c) }', { c: gone }, { token: bob.token });
});

const send = async (by: TestUser, conversationId: string, text: string): Promise<string> =>
  (await s().ok<{ sendMessage: { id: string } }, Record<string, unknown>>(SEND, { c: conversationId, text }, { token: by.token }))
    .sendMessage.id;
const messagesOf = (conversationId: string) => s().db.prisma.message.findMany({ where: { conversationId }, orderBy: { sequence: 'asc' } });
const conversation = (id: string) => s().db.prisma.conversation.findUniqueOrThrow({ where: { id } });
const bobsOwnEvents = (conversationId: string) =>
  s().db.prisma.conversationEvent.findMany({
    where: { conversationId, userId: bob.id, type: { in: ['MEMBER_JOINED', 'MEMBER_LEFT'] } },
    orderBy: { sequence: 'asc' },
  });

describe('events and conversations', () => {
  it('takeSequences returns the first of the sequences it took', async () => {
    const id = await createConversation(s(), [alice, bob], 'sequences'); // a log no one reads: these sequences stay unused
    const last = (await conversation(id)).lastSequence;
    expect(await s().db.prisma.$transaction((tx) => takeSequences(tx, id, 3))).toBe(last + 1);
    expect((await conversation(id)).lastSequence).toBe(last + 3);
    await expect(s().db.prisma.$transaction((tx) => takeSequences(tx, 'no such conversation'))).rejects.toThrow(/vanished/);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('lockConversation holds the row until the transaction ends', async () => {
    const { prisma } = s().db;
    const probe = () => prisma.$transaction((tx) => tx.$queryRaw`SELECT id FROM "Conversation" WHERE id = ${quiet} FOR UPDATE NOWAIT`);
    await prisma.$transaction(async (tx) => {
      await lockConversation(tx, quiet);
      await expect(probe()).rejects.toThrow(/lock/i);
    });
    await expect(probe()).resolves.toHaveLength(1);
  });

  it('unreadCounts: messages of others after the read pointer, not deleted', async () => {
    const member = await s().db.prisma.conversationMember.findUniqueOrThrow({
      where: { conversationId_userId: { conversationId: talk, userId: bob.id } },
    });
    const unread = (await messagesOf(talk)).filter((m) => m.senderId !== bob.id && !m.deletedAt && m.sequence > member.lastReadSequence);
    expect(unread.map((m) => m.content)).toEqual(['unread one', 'unread two']);
    expect(await unreadCounts(s().db.prisma, bob.id, [talk, quiet])).toEqual(new Map([[talk, 2]]));
  });

  it('lastMessageIds: the latest message of each conversation that has one (a tombstone counts)', async () => {
    const latest = (await messagesOf(talk)).at(-1)!;
    const goneLatest = (await messagesOf(gone)).at(-1)!;
    expect(await lastMessageIds(s().db.prisma, [talk, quiet, gone])).toEqual(
      new Map([
        [talk, latest.id],
        [gone, goneLatest.id],
      ]),
    );
  });
});

describe('search and statistics', () => {
  it('searchMessages: each hit carries its row as Prisma reads it, and an escaped, marked snippet', async () => {
    const hits = await searchMessages(s().db.prisma, { query: 'needle', tenantId, userId: bob.id, take: 10, offset: 0 });
    expect(hits).toHaveLength(1); // the deleted message has no search vector
    const [hit] = hits;
    expect(hit.message).toStrictEqual(await s().db.prisma.message.findUniqueOrThrow({ where: { id: hit.message.id } }));
    expect(hit.rank).toBeTypeOf('number');
    expect(hit.rank).toBeGreaterThan(0);
    expect(hit.snippet).toContain('&lt;b&gt;<mark>needle</mark>&lt;/b&gt; &amp; &quot;quotes');
    expect(
      await searchMessages(s().db.prisma, { query: 'needle', tenantId, userId: bob.id, conversationId: quiet, take: 10, offset: 0 }),
    ).toEqual([]);
    expect(await searchMessages(s().db.prisma, { query: 'needle', tenantId, userId: bob.id, take: 10, offset: 1 })).toEqual([]);
  });

  it('messageTotals and messagesPerDay count what Prisma reads', async () => {
    const { prisma } = s().db;
    const memberships = await prisma.conversationMember.findMany({ where: { userId: bob.id } });
    const visible = await prisma.message.findMany({
      where: { conversationId: { in: memberships.map((m) => m.conversationId) }, deletedAt: null },
    });
    const received = visible.filter((m) => m.senderId !== bob.id);
    const pointer = new Map(memberships.map((m) => [m.conversationId, m.lastReadSequence]));
    const totals = await messageTotals(prisma, tenantId, bob.id);
    expect(totals).toStrictEqual({
      sent: await prisma.message.count({ where: { tenantId, senderId: bob.id, deletedAt: null } }),
      received: received.length,
      unread: received.filter((m) => m.sequence > pointer.get(m.conversationId)!).length,
      conversations: memberships.length,
    });
    const since = new Date(Date.now() - 29 * 86_400_000);
    since.setUTCHours(0, 0, 0, 0);
    const days = await messagesPerDay(prisma, bob.id, since);
    expect(days.map((d) => d.date)).toEqual(
      Array.from({ length: 30 }, (_, i) => new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10)),
    );
    const sum = (key: 'sent' | 'received') => days.reduce((n, d) => n + d[key], 0);
    expect([sum('sent'), sum('received')]).toEqual([visible.length - received.length, received.length]);
  });
});

describe('the inbox view of the log', () => {
  it('currentSnapshot and latestSequences: the lastSequence of the viewer’s conversations and of those asked for', async () => {
    const { snapshot, maxInProgress } = await currentSnapshot(s().db.prisma);
    expect(snapshot).toMatch(/^\d+:\d+:[\d,]*$/);
    expect(Number.isInteger(maxInProgress) && maxInProgress > 8).toBe(true);
    const latest = await latestSequences(s().db.prisma, bob.id, [gone]);
    expect(latest.snapshot).toMatch(/^\d+:\d+:/);
    const ids = [talk, quiet, gone];
    const memberOf = (await s().db.prisma.conversationMember.findMany({ where: { userId: bob.id } })).map((m) => m.conversationId);
    const expected = await s().db.prisma.conversation.findMany({ where: { id: { in: [...new Set([...memberOf, gone])] } } });
    expect(latest.sequences).toEqual(new Map(expected.map((c) => [c.id, c.lastSequence])));
    expect(ids.every((id) => latest.sequences.has(id))).toBe(true);
    const nobody = await latestSequences(s().db.prisma, 'nobody');
    expect(nobody.sequences).toEqual(new Map());
  });

  it('membershipsSince, visibleSequences, viewpoints and nextJoin read the viewer’s own events', async () => {
    const { prisma } = s().db;
    const { snapshot } = await currentSnapshot(prisma);
    const memberOf = (await prisma.conversationMember.findMany({ where: { userId: bob.id } })).map((m) => m.conversationId);
    expect(new Set(await membershipsSince(prisma, bob.id, snapshot))).toEqual(new Set(memberOf));
    const [talkNow, goneNow] = [(await conversation(talk)).lastSequence, (await conversation(gone)).lastSequence];
    expect(await visibleSequences(prisma, [talk, gone, 'none'], snapshot)).toEqual(
      new Map([
        [talk, talkNow],
        [gone, goneNow],
        ['none', 0],
      ]),
    );
    const [left] = (await bobsOwnEvents(gone)).filter((e) => e.type === 'MEMBER_LEFT');
    const [joinedQuiet] = await bobsOwnEvents(quiet);
    const seen = await viewpoints(prisma, bob.id, [
      { id: talk, given: -1, snapshot },
      { id: gone, given: -1, snapshot },
      { id: quiet, given: joinedQuiet.sequence, snapshot },
    ]);
    expect(seen).toEqual(
      new Map([
        [talk, { sequence: talkNow, member: true }],
        [gone, { sequence: left.sequence, member: false }],
        [quiet, { sequence: joinedQuiet.sequence, member: true }],
      ]),
    );
    const [joined] = await bobsOwnEvents(talk);
    expect(await nextJoin(prisma, bob.id, talk, 0, talkNow)).toBe(joined.sequence);
    expect(await nextJoin(prisma, bob.id, talk, joined.sequence, talkNow)).toBeNull();
  });
});
