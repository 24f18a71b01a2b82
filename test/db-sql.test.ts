// The hand-written statements of src/db/sql/ on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL):
// parley_append_message as the migrations leave it, and every statement's decoder against what Prisma reads of the
// same rows. Conversations and messages are made through the API; the statements are then called directly.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { appendMessageRow, historyPage, type AppendedMessage } from '../src/db/sql/messages.ts';

const s = useServer();
const SEND = 'mutation($c: ID!, $text: String!) { sendMessage(input: { conversationId: $c, content: $text }) { id } }';

let alice: TestUser;
let bob: TestUser;
let dave: TestUser;
let tenantId: string;
beforeAll(async () => {
  [alice, bob, dave] = [await s().user(), await s().user(), await s().user()];
  tenantId = (await s().db.prisma.user.findUniqueOrThrow({ where: { id: alice.id } })).tenantId;
});

const send = async (by: TestUser, conversationId: string, text: string): Promise<string> =>
  (await s().ok<{ sendMessage: { id: string } }, Record<string, unknown>>(SEND, { c: conversationId, text }, { token: by.token }))
    .sendMessage.id;
const lastSequence = async (id: string) => (await s().db.prisma.conversation.findUniqueOrThrow({ where: { id } })).lastSequence;

/** A PL/pgSQL function as the migrations left it, checked to be the definition in src/db/sql/<name>.sql. */
async function migrated(name: string): Promise<{ args: string }> {
  const file = await readFile(new URL(`../src/db/sql/${name}.sql`, import.meta.url), 'utf8');
  const body = file.slice(file.indexOf('AS $$') + 'AS $$'.length, file.lastIndexOf('$$'));
  const [row] = await s().db.prisma.$queryRaw<{ prosrc: string; args: string }[]>`
    SELECT prosrc, pg_get_function_identity_arguments(oid) AS args FROM pg_proc WHERE proname = ${name}`;
  expect(row.prosrc).toBe(body);
  return row;
}

describe('parley_count_members', () => {
  it('is migrated with the definition in src/db/sql/parley_count_members.sql', async () => {
    expect((await migrated('parley_count_members')).args).toBe('');
  });
});

describe('parley_append_message', () => {
  let conversationId: string;
  const draft = (o: Partial<AppendedMessage> = {}): AppendedMessage => ({
    messageId: randomUUID(),
    eventId: randomUUID(),
    tenantId,
    conversationId,
    senderId: alice.id,
    content: 'hello',
    clientMessageId: null,
    now: new Date(),
    replyToId: null,
    threadRootId: null,
    mentions: [],
    attachmentIds: [],
    requestLimit: 3,
    ...o,
  });
  beforeAll(async () => {
    conversationId = await createConversation(s(), [alice, bob], 'append');
  });

  it('is migrated with the definition in src/db/sql/parley_append_message.sql', async () => {
    const row = await migrated('parley_append_message');
    expect(row.args).toBe(
      'p_message_id text, p_event_id text, p_tenant_id text, p_conversation_id text, p_sender_id text, p_content text, p_client_message_id text, p_now timestamp without time zone, p_reply_to_id text, p_thread_root_id text, p_mentions text[], p_attachment_ids text[], p_request_limit integer',
    );
  });

  it('stores the message at the next sequence with its MESSAGE_ADDED event, and returns the stored row', async () => {
    const before = await lastSequence(conversationId);
    const d = draft({ content: 'first', clientMessageId: 'k1' });
    const message = await appendMessageRow(s().db.query, d);
    expect(message).toStrictEqual(await s().db.prisma.message.findUnique({ where: { id: d.messageId } }));
    expect(message).toMatchObject({ sequence: before + 1, senderId: alice.id, content: 'first', clientMessageId: 'k1', tenantId });
    expect(await s().db.prisma.conversationEvent.findUnique({ where: { id: d.eventId } })).toMatchObject({
      conversationId,
      sequence: before + 1,
      type: 'MESSAGE_ADDED',
      messageId: d.messageId,
      userId: alice.id,
      readUpTo: null,
      createdAt: message!.createdAt,
    });
    const next = await appendMessageRow(s().db.query, draft({ senderId: bob.id }));
    expect(next!.sequence).toBe(before + 2);
    expect(await s().db.prisma.conversation.findUniqueOrThrow({ where: { id: conversationId } })).toMatchObject({
      lastSequence: before + 2,
      lastMessageAt: next!.createdAt,
    });
  });

  it('never moves a message time backwards: a later writer with an earlier clock takes the later time', async () => {
    const id = await createConversation(s(), [alice, bob], 'clocks');
    const ahead = await appendMessageRow(s().db.query, draft({ conversationId: id, now: new Date(Date.now() + 60_000) }));
    const behind = await appendMessageRow(s().db.query, draft({ conversationId: id, now: new Date() }));
    expect(behind!.createdAt).toEqual(ahead!.createdAt);
    expect(behind!.sequence).toBe(ahead!.sequence + 1);
  });

  it('writes nothing for a sender who is not a member, another tenant or an unknown conversation', async () => {
    const before = await lastSequence(conversationId);
    const refused = [draft({ senderId: dave.id }), draft({ tenantId: `other-${randomUUID()}` }), draft({ conversationId: randomUUID() })];
    for (const d of refused) expect(await appendMessageRow(s().db.query, d)).toBeNull();
    expect(await lastSequence(conversationId)).toBe(before);
    const ids = refused.map((d) => d.messageId);
    expect(await s().db.prisma.message.count({ where: { id: { in: ids } } })).toBe(0);
    expect(await s().db.prisma.conversationEvent.count({ where: { id: { in: refused.map((d) => d.eventId) } } })).toBe(0);
  });

  it('keeps the quoted message of a reply only when it is in the same conversation', async () => {
    const quoted = (await appendMessageRow(s().db.query, draft({ content: 'quoted' })))!;
    const reply = await appendMessageRow(s().db.query, draft({ content: 'reply', replyToId: quoted.id }));
    expect(reply!.replyToId).toBe(quoted.id);
    const elsewhere = await createConversation(s(), [alice, bob], 'elsewhere');
    const foreign = (await appendMessageRow(s().db.query, draft({ conversationId: elsewhere, content: 'other' })))!;
    const crossed = await appendMessageRow(s().db.query, draft({ content: 'crossed', replyToId: foreign.id }));
    expect(crossed).toMatchObject({ content: 'crossed', replyToId: null });
    expect((await appendMessageRow(s().db.query, draft({ replyToId: randomUUID() })))!.replyToId).toBeNull();
  });

  it('fails as a whole on a reused clientMessageId or message id: no sequence taken, no event', async () => {
    const first = await appendMessageRow(s().db.query, draft({ clientMessageId: 'once' }));
    const before = await lastSequence(conversationId);
    const again = [draft({ clientMessageId: 'once' }), draft({ messageId: first!.id })];
    for (const d of again) await expect(appendMessageRow(s().db.query, d)).rejects.toMatchObject({ code: '23505' });
    expect(await lastSequence(conversationId)).toBe(before);
    expect(await s().db.prisma.conversationEvent.count({ where: { id: { in: again.map((d) => d.eventId) } } })).toBe(0);
  });
});

describe('historyPage', () => {
  let conversationId: string;
  let server: TestServer;
  /** The conversation's messages with their senders, as Prisma reads them (oldest first). */
  const expected = async () =>
    (
      await server.db.prisma.message.findMany({
        where: { conversationId },
        orderBy: { sequence: 'asc' },
        include: { sender: { omit: { passwordHash: true } } },
      })
    ).map(({ sender, ...message }) => ({ message, sender }));
  const range = { after: null, before: null, backward: false, take: 100 };
  beforeAll(async () => {
    server = s();
    const carol = await server.user();
    conversationId = await createConversation(server, [alice, bob, carol], 'history');
    await send(alice, conversationId, 'one');
    await send(bob, conversationId, 'two');
    await send(carol, conversationId, 'from an account deleted later');
    await send(alice, conversationId, 'three');
    await server.ok('mutation($pw: String!) { deleteAccount(password: $pw) }', { pw: carol.password }, { token: carol.token });
  });

  it('decodes every row into the message and its sender as Prisma reads them (a deleted sender is null)', async () => {
    const rows = await historyPage(server.db.query, { conversationId, ...range });
    expect(rows).toStrictEqual(await expected());
    expect(rows!.map((r) => r.sender?.id ?? null)).toEqual([alice.id, bob.id, null, alice.id]);
    expect(rows![3].sender).toBe(rows![0].sender); // one object per sender in a page
    expect(rows![0].sender).not.toHaveProperty('passwordHash');
  });

  it('reads backward and within bounds, and takes at most `take` rows', async () => {
    const all = await expected();
    const [, second, third, fourth] = all.map((r) => r.message.sequence);
    expect(await historyPage(server.db.query, { conversationId, ...range, backward: true, take: 2 })).toStrictEqual([all[3], all[2]]);
    expect(await historyPage(server.db.query, { conversationId, ...range, after: second, before: fourth })).toStrictEqual([all[2]]);
    expect(await historyPage(server.db.query, { conversationId, ...range, before: third, backward: true })).toStrictEqual([all[1], all[0]]);
  });

  it('checks the viewer: a member gets the page (empty or not), anyone else null', async () => {
    const viewer = { tenantId, userId: bob.id };
    expect(await historyPage(server.db.query, { conversationId, ...range, viewer })).toStrictEqual(await expected());
    expect(await historyPage(server.db.query, { conversationId, ...range, viewer: { tenantId, userId: dave.id } })).toBeNull();
    expect(await historyPage(server.db.query, { conversationId, ...range, viewer: { tenantId: 'elsewhere', userId: bob.id } })).toBeNull();
    const empty = await createConversation(server, [alice, bob], 'empty');
    expect(await historyPage(server.db.query, { conversationId: empty, ...range, viewer })).toEqual([]);
  });
});

describe('SQL lives in src/db', () => {
  // Hand-written statements of src/assistant/ still to move (another change): remove each once it has.
  // Prisma's raw API, Prisma.sql fragments, and Database.query (however the handle is named: db.query, sql(...)).
  const HAND_WRITTEN = /\$queryRaw|\$executeRaw|Prisma\.(sql|raw|join)\b|\bsql\s*\(|\bquery\s*\(/;

  it('no file outside src/db (and the generated client) sends a statement of its own', async () => {
    const root = new URL('../src/', import.meta.url).pathname;
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts') && !/^(db|generated)\//.test(f));
    const offenders: string[] = [];
    for (const file of files) {
      const code = (await readFile(join(root, file), 'utf8')).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may name them
      if (HAND_WRITTEN.test(code)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
