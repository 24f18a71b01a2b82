import { describe, expect, it, vi } from 'vitest';
import { print } from 'graphql';
import { graphql } from './gql/index.ts';
import { useServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import type { Client } from 'graphql-ws';
import { sse } from './helpers/chat.ts';
import { EchoModel } from '../src/assistant/echo-model.ts';
import { ChatWrites } from '../src/assistant/chat-writes.ts';
import { randomUUID } from 'node:crypto';
import { buildContext, deriveTitle } from '../src/assistant/context.ts';

// The fragment the documents below spread: codegen reads it from this call, nothing uses its value.
graphql(`
  fragment ChatEventFields on ChatEvent {
    __typename
    ... on ChatStarted {
      assistantMessageId
      session {
        id
        title
        model
      }
      userMessage {
        id
        role
        content
        status
        saved
        sessionId
      }
    }
    ... on ChatToken {
      index
      delta
    }
    ... on ChatCompleted {
      answer {
        id
        role
        content
        status
        model
        saved
        sessionId
        inputTokens
        outputTokens
        errorCode
      }
      usage {
        inputTokens
        outputTokens
        totalTokens
      }
    }
    ... on ChatStopped {
      answer {
        id
        content
        status
      }
    }
    ... on ChatError {
      code
      message
      answer {
        id
        content
        status
        errorCode
      }
    }
  }
`);
const Chat = graphql(`
  subscription Chat($input: ChatInput!) {
    chat(input: $input) {
      ...ChatEventFields
    }
  }
`);
const ChatStream = graphql(`
  subscription ChatStream($messageId: ID!, $afterIndex: Int) {
    chatStream(messageId: $messageId, afterIndex: $afterIndex) {
      ...ChatEventFields
    }
  }
`);
const Models = graphql(`
  query ChatModels {
    chatModels {
      id
      label
      provider
      offline
      default
    }
  }
`);
const Sessions = graphql(`
  query ChatSessions($first: Int, $after: String) {
    chatSessions(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          title
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
const Session = graphql(`
  query ChatSession($id: ID!, $last: Int) {
    chatSession(id: $id) {
      id
      title
      model
      messages(last: $last) {
        edges {
          node {
            id
            role
            content
            status
            model
          }
        }
      }
    }
  }
`);
const ChatTimes = graphql(`
  subscription ChatTimes($input: ChatInput!) {
    chat(input: $input) {
      __typename
      ... on ChatStarted {
        assistantMessageId
        session {
          id
          createdAt
          updatedAt
        }
        userMessage {
          id
          createdAt
          updatedAt
        }
      }
      ... on ChatCompleted {
        answer {
          id
          content
          createdAt
          updatedAt
        }
        usage {
          inputTokens
          outputTokens
        }
      }
    }
  }
`);
const SessionTimes = graphql(`
  query ChatSessionTimes($id: ID!) {
    chatSession(id: $id) {
      createdAt
      updatedAt
      messages {
        edges {
          node {
            id
            content
            status
            createdAt
            updatedAt
          }
        }
      }
    }
  }
`);
const CreateSession = graphql(`
  mutation CreateChatSession($title: String, $model: String) {
    createChatSession(title: $title, model: $model) {
      id
      title
      model
    }
  }
`);
const UpdateSession = graphql(`
  mutation UpdateChatSession($id: ID!, $title: String, $model: String) {
    updateChatSession(id: $id, title: $title, model: $model) {
      id
      title
      model
    }
  }
`);
const DeleteSession = graphql(`
  mutation DeleteChatSession($id: ID!) {
    deleteChatSession(id: $id)
  }
`);
const StopChat = graphql(`
  mutation StopChat($messageId: ID!) {
    stopChat(messageId: $messageId) {
      id
      status
      content
    }
  }
`);

type Event = { __typename?: string; [k: string]: unknown };
const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;
const terminal = (e: Event) => ['ChatCompleted', 'ChatStopped', 'ChatError'].includes(String(e.__typename));

/** Runs `chat` over graphql-ws (a new connection, or `client`) and returns every event up to the terminal one. */
async function chatOverWs(s: TestServer, input: Record<string, unknown>, token?: string, client?: Client) {
  const sub = subscribe(client ?? s.ws({ token }), Chat, { input: input as never });
  const events: Event[] = [];
  for (;;) {
    const r = await sub.next(10_000);
    if (r.errors) return { events, errors: r.errors };
    const e = r.data!.chat as Event;
    events.push(e);
    if (terminal(e)) break;
  }
  await sub.ended();
  return { events, errors: undefined };
}

const tokensOf = (events: Event[]) => events.filter((e) => e.__typename === 'ChatToken') as { index: number; delta: string }[];

describe('assistant with the offline model', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '1', TRUST_PROXY: 'true', CHAT_GUEST_RATE_LIMIT: '3' });

  it('lists parley-echo as the offline default when no provider is configured', async () => {
    const { chatModels } = await server().ok(Models);
    expect(chatModels).toEqual([expect.objectContaining({ id: 'parley-echo', provider: 'parley', offline: true, default: true })]);
  });

  it('streams ChatStarted, every token in order, then ChatCompleted, and saves both messages', async () => {
    const s = server();
    const u = await s.user();
    const message = 'What   is the capital of Portugal?';
    const { events, errors } = await chatOverWs(s, { message }, u.token);
    expect(errors).toBeUndefined();
    const [started, ...rest] = events;
    expect(started.__typename).toBe('ChatStarted');
    const st = started as {
      assistantMessageId: string;
      session: { id: string; title: string; model: string };
      userMessage: Record<string, unknown>;
    };
    expect(st.session).toMatchObject({ title: 'What is the capital of Portugal?', model: 'parley-echo' });
    expect(st.userMessage).toMatchObject({ role: 'USER', content: message, status: 'COMPLETE', saved: true, sessionId: st.session.id });
    const tokens = tokensOf(rest);
    expect(tokens.map((t) => t.index)).toEqual(tokens.map((_, i) => i));
    const text = tokens.map((t) => t.delta).join('');
    expect(text).toBe(EchoModel.reply(message));
    const done = rest.at(-1) as {
      __typename: string;
      answer: Record<string, unknown>;
      usage: { inputTokens: number; outputTokens: number; totalTokens: number };
    };
    expect(done.__typename).toBe('ChatCompleted');
    expect(done.answer).toMatchObject({
      id: st.assistantMessageId,
      role: 'ASSISTANT',
      content: text,
      status: 'COMPLETE',
      model: 'parley-echo',
      saved: true,
    });
    expect(done.usage.outputTokens).toBeGreaterThan(0);
    expect(done.usage.totalTokens).toBe(done.usage.inputTokens + done.usage.outputTokens);

    const { chatSession } = await s.ok(Session, { id: st.session.id }, { token: u.token });
    expect(chatSession.messages.edges.map((e) => [e.node.role, e.node.content, e.node.status])).toEqual([
      ['USER', message, 'COMPLETE'],
      ['ASSISTANT', text, 'COMPLETE'],
    ]);
    const row = await s.db.prisma.chatMessage.findUniqueOrThrow({ where: { id: st.assistantMessageId } });
    expect(row).toMatchObject({ userId: u.id, inputTokens: done.usage.inputTokens, outputTokens: done.usage.outputTokens });
  });

  it('writes a chat in two statements (its start, its end) and stores exactly what the stream reported', async () => {
    const s = server();
    const u = await s.user();
    const client = s.ws({ token: u.token, lazy: false }); // one connection, authenticated before counting
    await chatOverWs(s, { message: 'warm the connection' }, u.token, client);

    const before = s.db.queryCount();
    const sub = subscribe(client, ChatTimes, { input: { message: 'count my statements' } });
    const events: Event[] = [];
    for (let e: Event = { __typename: '' }; !terminal(e);) events.push((e = (await sub.next()).data!.chat as Event));
    await sub.ended();
    // Session and both messages in one statement, the answer and its usage record in one: no reads in between.
    expect(s.db.queryCount() - before).toBe(2);

    const started = events[0] as {
      assistantMessageId: string;
      session: { id: string; createdAt: string; updatedAt: string };
      userMessage: { id: string; createdAt: string; updatedAt: string };
    };
    const done = events.at(-1) as {
      answer: { id: string; content: string; createdAt: string; updatedAt: string };
      usage: { inputTokens: number; outputTokens: number };
    };
    const { chatSession } = await s.ok(SessionTimes, { id: started.session.id }, { token: u.token });
    expect(chatSession).toMatchObject({ createdAt: started.session.createdAt, updatedAt: started.session.updatedAt });
    expect(chatSession!.messages.edges.map((e) => e.node)).toEqual([
      { ...started.userMessage, content: 'count my statements', status: 'COMPLETE' },
      { ...done.answer, status: 'COMPLETE' },
    ]);
    expect(Date.parse(done.answer.createdAt)).toBeGreaterThan(Date.parse(started.userMessage.createdAt));
    const ledger = await s.db.prisma.chatUsageRecord.findMany({ where: { messageId: started.assistantMessageId } });
    expect(ledger).toEqual([expect.objectContaining({ userId: u.id, model: 'parley-echo', ...done.usage })]);
  });

  it('keeps each of many chats started at once its own: messages, session, answer and usage', async () => {
    const s = server();
    const users = await Promise.all([s.user(), s.user(), s.user()]);
    const assistant = s.services().assistant;
    const viewers = await Promise.all(users.map((u) => s.services().auth.fromBearer('default', u.token)));
    const existing = await assistant.createSession(viewers[0]!, { title: 'Kept' });

    // Twelve chats started together, four of them continuing one session: each answers its own message.
    const started = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        assistant.startChat(
          { tenantId: 'default', viewer: viewers[i % 3], ip: null },
          { message: `chat ${i}`, sessionId: i % 3 === 0 ? existing.id : null },
        ),
      ),
    );
    const ends = await Promise.all(started.map((c) => assistant.runs.get(c.assistantMessageId)!.done));
    expect(ends.map((e) => e.kind)).toEqual(Array(12).fill('completed'));

    for (const [i, c] of started.entries()) {
      const owner = users[i % 3];
      const rows = await s.db.prisma.chatMessage.findMany({
        where: { id: { in: [c.userMessage.id, c.assistantMessageId] } },
        orderBy: { createdAt: 'asc' },
      });
      expect(rows.map((r) => [r.role, r.content, r.status, r.userId, r.sessionId])).toEqual([
        ['USER', `chat ${i}`, 'COMPLETE', owner.id, c.session!.id],
        ['ASSISTANT', EchoModel.reply(`chat ${i}`), 'COMPLETE', owner.id, c.session!.id],
      ]);
      expect(c.session!.id === existing.id).toBe(i % 3 === 0);
      const ledger = await s.db.prisma.chatUsageRecord.findMany({ where: { messageId: c.assistantMessageId } });
      expect(ledger).toEqual([expect.objectContaining({ userId: owner.id, outputTokens: rows[1].outputTokens })]);
    }
    expect(await s.db.prisma.chatMessage.count({ where: { sessionId: existing.id } })).toBe(8);
  });

  it('writes the starts and the ends of chats added together in one statement each, each with its own result', async () => {
    const s = server();
    const u = await s.user();
    const tenantId = 'default';
    const writes = new ChatWrites(s.db.prisma);
    const gone = await s.services().assistant.createSession((await s.services().auth.fromBearer(tenantId, u.token))!, {});
    await s.db.prisma.chatSession.delete({ where: { id: gone.id } });
    const at = new Date();
    const chat = (i: number, sessionId: string = randomUUID()) => {
      const session = {
        id: sessionId,
        tenantId,
        userId: u.id,
        title: `t${i}`,
        model: 'parley-echo',
        systemPrompt: null,
        createdAt: at,
        updatedAt: at,
      };
      const base = {
        parentId: null,
        parts: [],
        tenantId,
        userId: u.id,
        sessionId,
        model: 'parley-echo',
        inputTokens: 0,
        outputTokens: 0,
        errorCode: null,
        createdAt: at,
        updatedAt: at,
      };
      const messages = [
        { ...base, id: randomUUID(), role: 'USER' as const, content: `q${i}`, status: 'COMPLETE' as const },
        { ...base, id: randomUUID(), role: 'ASSISTANT' as const, content: '', status: 'STREAMING' as const },
      ];
      return { session, messages };
    };
    const chats = [0, 1, 2, 3, 4].map((i) => chat(i));
    const orphan = chat(5, gone.id); // continues a session deleted meanwhile: nothing of it is written

    let before = s.db.queryCount();
    const started = await Promise.all([
      ...chats.map((c) => writes.start({ ...c, isNew: true })),
      writes.start({ ...orphan, isNew: false }),
    ]);
    expect(s.db.queryCount() - before).toBe(1);
    expect(started).toEqual([true, true, true, true, true, false]);
    expect(await s.db.prisma.chatMessage.count({ where: { userId: u.id } })).toBe(10);
    expect(await s.db.prisma.chatSession.count({ where: { id: gone.id } })).toBe(0);

    before = s.db.queryCount();
    const ended = await Promise.all(
      [...chats, orphan].map((c, i) =>
        writes.end({
          message: { ...c.messages[1], content: `a${i}`, status: 'COMPLETE', outputTokens: i, updatedAt: new Date() },
          usage: {
            spender: { tenantId, userId: u.id },
            messageId: c.messages[1].id,
            model: 'parley-echo',
            usage: { inputTokens: 1, outputTokens: i },
          },
        }),
      ),
    );
    expect(s.db.queryCount() - before).toBe(1);
    expect(ended).toEqual([true, true, true, true, true, false]);
    const answers = await s.db.prisma.chatMessage.findMany({
      where: { userId: u.id, role: 'ASSISTANT' },
      orderBy: { outputTokens: 'asc' },
    });
    expect(answers.map((m) => [m.content, m.status, m.outputTokens])).toEqual([0, 1, 2, 3, 4].map((i) => [`a${i}`, 'COMPLETE', i]));
    // The usage of the orphaned answer still counts: the provider charged for it.
    expect(await s.db.prisma.chatUsageRecord.count({ where: { userId: u.id } })).toBe(6);
  });

  it('continues a session, and replays a finished answer from any index', async () => {
    const s = server();
    const u = await s.user();
    const first = await chatOverWs(s, { message: 'one', title: 'My title' }, u.token);
    const session = (first.events[0] as { session: { id: string; title: string } }).session;
    expect(session.title).toBe('My title');
    const second = await chatOverWs(s, { message: 'two', sessionId: session.id }, u.token);
    expect((second.events[0] as { session: { id: string } }).session.id).toBe(session.id);
    const { chatSession } = await s.ok(Session, { id: session.id, last: 2 }, { token: u.token });
    expect(chatSession.messages.edges.map((e) => e.node.content)).toEqual(['two', EchoModel.reply('two')]);

    const id = (second.events[0] as { assistantMessageId: string }).assistantMessageId;
    const all = tokensOf(second.events);
    const sub = subscribe(s.ws({ token: u.token }), ChatStream, { messageId: id, afterIndex: 2 });
    const replayed: Event[] = [];
    for (;;) {
      const e = (await sub.next()).data!.chatStream as Event;
      replayed.push(e);
      if (terminal(e)) break;
    }
    expect(tokensOf(replayed)).toEqual(all.slice(3));
    expect(replayed.at(-1)!.__typename).toBe('ChatCompleted');
    // Past the last token: only the final event.
    const beyond = subscribe(s.ws({ token: u.token }), ChatStream, { messageId: id, afterIndex: 10_000 });
    expect((await beyond.next()).data!.chatStream).toMatchObject({ __typename: 'ChatCompleted', answer: { id } });
    await beyond.ended();
  });

  it('lets guests chat without saving anything, with their own per-IP rate limit', async () => {
    const s = server();
    const before = await s.db.prisma.chatMessage.count();
    const sessionsBefore = await s.db.prisma.chatSession.count();
    const { events, errors } = await chatOverWs(s, { message: 'hello as a guest' });
    expect(errors).toBeUndefined();
    const started = events[0] as { session: unknown; userMessage: { saved: boolean; sessionId: string | null } };
    expect(started.session).toBeNull();
    expect(started.userMessage).toMatchObject({ saved: false, sessionId: null });
    expect(
      tokensOf(events)
        .map((t) => t.delta)
        .join(''),
    ).toBe(EchoModel.reply('hello as a guest'));
    expect(events.at(-1)).toMatchObject({ __typename: 'ChatCompleted', answer: { saved: false, status: 'COMPLETE' } });
    expect(await s.db.prisma.chatMessage.count()).toBe(before);
    expect(await s.db.prisma.chatSession.count()).toBe(sessionsBefore);

    // CHAT_GUEST_RATE_LIMIT=3 per minute and IP (X-Forwarded-For is trusted on this server).
    const query = print(Chat);
    const ip = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 3; i++) {
      const r = await sse(s.url, query, { input: { message: `guest ${i}` } }, ip);
      expect(r.events.at(-1)!.event).toBe('complete');
      expect(JSON.stringify(r.events)).toContain('ChatCompleted');
    }
    const limited = await sse(s.url, query, { input: { message: 'one too many' } }, ip);
    const payload = limited.events.find((e) => e.event === 'next')!.data as { errors: { extensions: Record<string, unknown> }[] };
    expect(payload.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(payload.errors[0].extensions.retryAfter).toBeGreaterThan(0);
    const other = await sse(s.url, query, { input: { message: 'another address' } }, { 'x-forwarded-for': '203.0.113.8' });
    expect(JSON.stringify(other.events)).toContain('ChatCompleted');
    // Over WebSocket the address is the upgrade request's, read once at connection_init: the same limit applies.
    const limitedWs = await chatOverWs(s, { message: 'one too many, over ws' }, undefined, s.ws({ headers: ip }));
    expect(limitedWs.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    const otherWs = await chatOverWs(
      s,
      { message: 'another address, over ws' },
      undefined,
      s.ws({ headers: { 'x-forwarded-for': '203.0.113.9' } }),
    );
    expect(otherWs.errors).toBeUndefined();
    expect(otherWs.events.at(-1)).toMatchObject({ __typename: 'ChatCompleted' });

    // Guests cannot use saved sessions.
    const withSession = await chatOverWs(s, { message: 'x', sessionId: '00000000-0000-0000-0000-000000000000' });
    expect(withSession.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(code(await s.gql(Sessions, {}))).toBe('UNAUTHENTICATED');
  });

  it('streams the same events over SSE', async () => {
    const s = server();
    const u = await s.user();
    const r = await sse(s.url, print(Chat), { input: { message: 'over server-sent events' } }, { authorization: `Bearer ${u.token}` });
    expect(r.status).toBe(200);
    expect(r.contentType).toContain('text/event-stream');
    expect(r.events.at(-1)!.event).toBe('complete');
    const events = r.events.filter((e) => e.event === 'next').map((e) => (e.data as { data: { chat: Event } }).data.chat);
    expect(events[0].__typename).toBe('ChatStarted');
    expect(events.at(-1)!.__typename).toBe('ChatCompleted');
    const tokens = tokensOf(events);
    expect(tokens.map((t) => t.index)).toEqual(tokens.map((_, i) => i));
    expect(tokens.map((t) => t.delta).join('')).toBe(EchoModel.reply('over server-sent events'));
    const saved = await s.db.prisma.chatMessage.count({ where: { userId: u.id } });
    expect(saved).toBe(2);
  });

  it('rejects bad input with BAD_USER_INPUT and the field', async () => {
    const s = server();
    const u = await s.user();
    const cases: [Record<string, unknown>, string][] = [
      [{ message: '   ' }, 'message'],
      [{ message: 'x'.repeat(32_001) }, 'message'],
      [{ message: 'hi', model: 'no-such-model' }, 'model'],
      [{ message: 'hi', title: '  ' }, 'title'],
    ];
    for (const [input, field] of cases) {
      const { errors } = await chatOverWs(s, input, u.token);
      expect(errors?.[0].extensions, JSON.stringify(input).slice(0, 80)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const stream = subscribe(s.ws({ token: u.token }), ChatStream, { messageId: crypto.randomUUID(), afterIndex: -5 });
    expect(((await stream.next()).errors?.[0].extensions as Record<string, unknown>)?.code).toBe('BAD_USER_INPUT');
    const { createChatSession } = await s.ok(CreateSession, {}, { token: u.token });
    expect(code(await s.gql(UpdateSession, { id: createChatSession.id, title: ' ' }, { token: u.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(UpdateSession, { id: createChatSession.id, model: 'gpt-9' }, { token: u.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(CreateSession, { model: 'gpt-9' }, { token: u.token }))).toBe('BAD_USER_INPUT');
  });

  it('creates, lists, pages, renames and deletes sessions', async () => {
    const s = server();
    const u = await s.user();
    const a = (await s.ok(CreateSession, { title: 'First' }, { token: u.token })).createChatSession;
    expect(a).toMatchObject({ title: 'First', model: 'parley-echo' });
    const b = (await s.ok(CreateSession, {}, { token: u.token })).createChatSession;
    expect(b.title).toBe('New chat');
    const page1 = (await s.ok(Sessions, { first: 1 }, { token: u.token })).chatSessions;
    expect(page1.edges.map((e) => e.node.id)).toEqual([b.id]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await s.ok(Sessions, { first: 1, after: page1.pageInfo.endCursor }, { token: u.token })).chatSessions;
    expect(page2.edges.map((e) => e.node.id)).toEqual([a.id]);
    const renamed = (await s.ok(UpdateSession, { id: a.id, title: '  Renamed  ' }, { token: u.token })).updateChatSession;
    expect(renamed).toMatchObject({ id: a.id, title: 'Renamed', model: 'parley-echo' });
    await chatOverWs(s, { message: 'to be deleted', sessionId: a.id }, u.token);
    expect((await s.ok(DeleteSession, { id: a.id }, { token: u.token })).deleteChatSession).toBe(a.id);
    expect(await s.db.prisma.chatMessage.count({ where: { sessionId: a.id } })).toBe(0);
    expect(code(await s.gql(Session, { id: a.id }, { token: u.token }))).toBe('NOT_FOUND');
  });

  it("never shows one user's sessions or answers to another user of the same tenant, even by id", async () => {
    const s = server();
    const owner = await s.user();
    const other = await s.user();
    const { events } = await chatOverWs(s, { message: 'private' }, owner.token);
    const { session, assistantMessageId } = events[0] as { session: { id: string }; assistantMessageId: string };
    const as = { token: other.token };
    expect(code(await s.gql(Session, { id: session.id }, as))).toBe('NOT_FOUND');
    expect(code(await s.gql(UpdateSession, { id: session.id, title: 'mine now' }, as))).toBe('NOT_FOUND');
    expect(code(await s.gql(DeleteSession, { id: session.id }, as))).toBe('NOT_FOUND');
    expect(code(await s.gql(StopChat, { messageId: assistantMessageId }, as))).toBe('NOT_FOUND');
    expect(code(await s.gql(StopChat, { messageId: assistantMessageId }))).toBe('NOT_FOUND');
    expect((await s.ok(Sessions, {}, as)).chatSessions.edges).toEqual([]);
    const continued = await chatOverWs(s, { message: 'hijack', sessionId: session.id }, other.token);
    expect(continued.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    for (const token of [other.token, undefined]) {
      const stream = subscribe(s.ws({ token }), ChatStream, { messageId: assistantMessageId });
      expect(((await stream.next()).errors?.[0].extensions as Record<string, unknown>)?.code).toBe('NOT_FOUND');
    }
    // The owner still has everything.
    const mine = await s.ok(Session, { id: session.id }, { token: owner.token });
    expect(mine.chatSession.messages.edges).toHaveLength(2);
    expect((await s.ok(StopChat, { messageId: assistantMessageId }, { token: owner.token })).stopChat.status).toBe('COMPLETE');
  });
});

describe('assistant helpers', () => {
  it('derives short titles from the first message', () => {
    expect(deriveTitle('  Hello\n  world ')).toBe('Hello world');
    const long = deriveTitle('Please explain how the tides work and why there are two of them every single day');
    expect(long.length).toBeLessThanOrEqual(61);
    expect(long.endsWith('…')).toBe(true);
  });

  it('trims the context to the budget, newest first, starting with a user turn', () => {
    const history = [
      { role: 'USER' as const, content: 'a'.repeat(400) },
      { role: 'ASSISTANT' as const, content: 'b'.repeat(400) },
      { role: 'USER' as const, content: 'c'.repeat(400) },
      { role: 'ASSISTANT' as const, content: '' },
      { role: 'ASSISTANT' as const, content: 'd'.repeat(400) },
      { role: 'USER' as const, content: 'latest' },
    ];
    const { system, messages } = buildContext(history, 'sys', 250); // 1000 characters
    expect(system).toBe('sys');
    expect(messages.map((m) => [m.role, String(m.content)[0]])).toEqual([
      ['user', 'c'],
      ['assistant', 'd'],
      ['user', 'l'],
    ]);
    expect(buildContext([{ role: 'USER', content: 'x'.repeat(10_000) }], 'sys', 100).messages).toHaveLength(1);
  });
});

describe('parley-echo, the offline model', () => {
  it('keeps its own pace like a remote provider: what a busy reader did not read meanwhile is there at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const { stream } = await new EchoModel(10).doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }] });
      const reader = stream.getReader();
      const nextDelta = async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) throw new Error('stream ended');
          if (value.type === 'text-delta') return value.delta;
        }
      };
      const first = nextDelta();
      await vi.advanceTimersByTimeAsync(10);
      const deltas = [await first];
      // The reader is busy for 50 ms. The model does not wait for it: five more parts are due by then (at 20, 30,
      // ... 60 ms), and are read without the clock moving (a model that paused after each read would need 10 ms each).
      await vi.advanceTimersByTimeAsync(50);
      const clock = performance.now();
      for (let i = 0; i < 5; i++) {
        const next = nextDelta();
        await vi.advanceTimersByTimeAsync(0);
        deltas.push(await next);
      }
      expect(performance.now()).toBe(clock);
      expect(deltas.join('')).toBe(EchoModel.reply('hello').split(' ').slice(0, 6).join(' '));
      // The part after those is due at its own time (70 ms), not earlier.
      const seventh = nextDelta();
      let arrived = false;
      void seventh.then(() => (arrived = true));
      await vi.advanceTimersByTimeAsync(9);
      expect(arrived).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await seventh).toBe(' ' + EchoModel.reply('hello').split(' ')[6]);
      await reader.cancel();
    } finally {
      vi.useRealTimers();
    }
  });
});
