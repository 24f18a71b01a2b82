// AI chat with AI SDK mock models: stop, disconnect, resume, provider errors, titles, context and budgets.
import { describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startServer, useServer, type TestServer } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { MockLanguageModelV3 } from 'ai/test';
import {
  brokenMidStreamModel,
  failingModel,
  gatedModel,
  nextEvent,
  register,
  rest,
  scriptedModel,
  stallingModel,
  type Event,
} from './helpers/chat.ts';

// The fragment the documents below spread: codegen reads it from this call, nothing uses its value.
graphql(`
  fragment RunEventFields on ChatEvent {
    __typename
    ... on ChatStarted {
      assistantMessageId
      session {
        id
        title
      }
    }
    ... on ChatToken {
      index
      delta
    }
    ... on ChatCompleted {
      answer {
        id
        content
        status
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
const RunChat = graphql(`
  subscription RunChat($input: ChatInput!) {
    chat(input: $input) {
      ...RunEventFields
    }
  }
`);
const RunStream = graphql(`
  subscription RunStream($messageId: ID!, $afterIndex: Int) {
    chatStream(messageId: $messageId, afterIndex: $afterIndex) {
      ...RunEventFields
    }
  }
`);
const Stop = graphql(`
  mutation RunStop($messageId: ID!) {
    stopChat(messageId: $messageId) {
      id
      status
      content
      saved
    }
  }
`);
const DeleteSession = graphql(`
  mutation RunDeleteSession($id: ID!) {
    deleteChatSession(id: $id)
  }
`);
const SessionTitle = graphql(`
  query RunSessionTitle($id: ID!) {
    chatSession(id: $id) {
      title
    }
  }
`);
const Usage = graphql(`
  query RunUsage {
    chatUsage {
      usedToday
      dailyLimit
      remainingToday
      tenantUsedThisMonth
      monthlyLimit
      remainingThisMonth
    }
  }
`);

function startChat(s: TestServer, input: Record<string, unknown>, token?: string, clientId?: string) {
  return subscribe(s.ws({ token, clientId }), RunChat, { input: input as never }) as Subscription<unknown>;
}

describe('assistant runs', () => {
  const server = useServer();

  it('stopChat aborts the upstream request and keeps the partial answer as STOPPED', async () => {
    const s = server();
    const u = await s.user();
    const g = gatedModel(['Hello', ' there', ','], [' world', '!']);
    const sub = startChat(s, { message: 'hi', model: register(s, g.model) }, u.token);
    const started = (await nextEvent(sub)) as { assistantMessageId: string };
    const tokens = [await nextEvent(sub), await nextEvent(sub), await nextEvent(sub)];
    expect(tokens.map((t) => t.delta).join('')).toBe('Hello there,');

    const { stopChat } = await s.ok(Stop, { messageId: started.assistantMessageId }, { token: u.token });
    expect(stopChat).toEqual({ id: started.assistantMessageId, status: 'STOPPED', content: 'Hello there,', saved: true });
    expect(await nextEvent(sub)).toEqual({
      __typename: 'ChatStopped',
      answer: { id: started.assistantMessageId, content: 'Hello there,', status: 'STOPPED' },
    });
    await sub.ended();
    await g.abortSeen;
    expect(g.seen.aborted).toBe(true);
    const row = await s.db.prisma.chatMessage.findUniqueOrThrow({ where: { id: started.assistantMessageId } });
    expect(row).toMatchObject({ status: 'STOPPED', content: 'Hello there,' });
    // Stopping again changes nothing.
    expect((await s.ok(Stop, { messageId: started.assistantMessageId }, { token: u.token })).stopChat.status).toBe('STOPPED');
  });

  it('lets a guest stop their own answer by its id', async () => {
    const s = server();
    const g = gatedModel(['Guest', ' words'], [' never']);
    const sub = startChat(s, { message: 'hi', model: register(s, g.model) });
    const started = (await nextEvent(sub)) as { assistantMessageId: string };
    await nextEvent(sub);
    await nextEvent(sub);
    const { stopChat } = await s.ok(Stop, { messageId: started.assistantMessageId });
    expect(stopChat).toEqual({ id: started.assistantMessageId, status: 'STOPPED', content: 'Guest words', saved: false });
    expect((await nextEvent(sub)).__typename).toBe('ChatStopped');
    expect(g.seen.aborted).toBe(true);
  });

  it('keeps generating when the client disconnects, and saves the whole answer', async () => {
    const s = server();
    const u = await s.user();
    const g = gatedModel(['one', ' two'], [' three', ' four']);
    const client = s.ws({ token: u.token });
    const sub = subscribe(client, RunChat, { input: { message: 'count', model: register(s, g.model) } }) as Subscription<unknown>;
    const started = (await nextEvent(sub)) as { assistantMessageId: string };
    await nextEvent(sub);
    await nextEvent(sub);
    await client.dispose();
    g.release();
    const resumed = await rest(
      subscribe(s.ws({ token: u.token }), RunStream, { messageId: started.assistantMessageId, afterIndex: 1 }) as Subscription<unknown>,
    );
    expect(resumed.map((e) => e.__typename)).toEqual(['ChatToken', 'ChatToken', 'ChatCompleted']);
    expect(resumed.at(-1)).toMatchObject({ answer: { content: 'one two three four', status: 'COMPLETE' } });
    expect(g.seen.aborted).toBe(false);
    const row = await s.db.prisma.chatMessage.findUniqueOrThrow({ where: { id: started.assistantMessageId } });
    expect(row).toMatchObject({ status: 'COMPLETE', content: 'one two three four', inputTokens: 7, outputTokens: 4 });
  });

  it('resumes from an index with exactly the missing tokens, then continues live', async () => {
    const s = server();
    const u = await s.user();
    const g = gatedModel(['t0', 't1', 't2'], ['t3', 't4']);
    const first = startChat(s, { message: 'go', model: register(s, g.model) }, u.token);
    const { assistantMessageId } = (await nextEvent(first)) as { assistantMessageId: string };
    for (let i = 0; i < 3; i++) await nextEvent(first);

    const second = subscribe(s.ws({ token: u.token }), RunStream, {
      messageId: assistantMessageId,
      afterIndex: 0,
    }) as Subscription<unknown>;
    const replayed = [await nextEvent(second), await nextEvent(second)];
    expect(replayed).toEqual([
      { __typename: 'ChatToken', index: 1, delta: 't1' },
      { __typename: 'ChatToken', index: 2, delta: 't2' },
    ]);
    g.release();
    const live = await rest(second);
    expect(live.slice(0, -1)).toEqual([
      { __typename: 'ChatToken', index: 3, delta: 't3' },
      { __typename: 'ChatToken', index: 4, delta: 't4' },
    ]);
    expect(live.at(-1)).toMatchObject({ __typename: 'ChatCompleted', answer: { content: 't0t1t2t3t4' } });
    const originalRest = await rest(first);
    expect(originalRest.map((e) => e.index ?? e.__typename)).toEqual([3, 4, 'ChatCompleted']);
  });

  it('maps provider errors to ChatError codes and saves the answer as FAILED with what was generated', async () => {
    const s = server();
    const u = await s.user();
    const cases: [Parameters<typeof register>[1], string, string][] = [
      [failingModel(401), 'PROVIDER_AUTH', ''],
      [failingModel(429), 'PROVIDER_RATE_LIMITED', ''],
      [failingModel(504), 'PROVIDER_TIMEOUT', ''],
      [failingModel(503), 'PROVIDER_UNAVAILABLE', ''],
      [failingModel(400), 'PROVIDER_ERROR', ''],
      [brokenMidStreamModel(['partial', ' answer']), 'PROVIDER_ERROR', 'partial answer'],
      [scriptedModel(['Some', ' text'], { reason: 'content-filter' }), 'CONTENT_FILTERED', 'Some text'],
    ];
    for (const [model, code, content] of cases) {
      const events = await rest(startChat(s, { message: 'fail please', model: register(s, model) }, u.token));
      const [started, ...others] = events as [{ assistantMessageId: string }, ...Event[]];
      const error = others.at(-1)!;
      expect(error, code).toMatchObject({ __typename: 'ChatError', code, answer: { content, status: 'FAILED', errorCode: code } });
      expect(String(error.message)).not.toMatch(/HTTP \d+|provider\.example/); // provider details are logged, not shown
      const row = await s.db.prisma.chatMessage.findUniqueOrThrow({ where: { id: started.assistantMessageId } });
      expect(row).toMatchObject({ status: 'FAILED', errorCode: code, content });
    }
  });

  it('retries a retryable provider failure once, after its Retry-After, and an unretryable one never', async () => {
    const s = server();
    const u = await s.user();
    const answer = scriptedModel(['Second', ' try']);
    let calls = 0;
    const flaky = new MockLanguageModelV3({
      doStream: async (options) => {
        if (calls++ === 0) return failingModel(503).doStream(options);
        return answer.doStream(options);
      },
    });
    const events = await rest(startChat(s, { message: 'retry please', model: register(s, flaky) }, u.token));
    expect(events.at(-1)).toMatchObject({ __typename: 'ChatCompleted', answer: { content: 'Second try', status: 'COMPLETE' } });
    expect(calls).toBe(2);

    const down = failingModel(503);
    const refused = failingModel(401);
    expect((await rest(startChat(s, { message: 'a', model: register(s, down) }, u.token))).at(-1)).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
    });
    expect((await rest(startChat(s, { message: 'b', model: register(s, refused) }, u.token))).at(-1)).toMatchObject({
      code: 'PROVIDER_AUTH',
    });
    expect([down.doStreamCalls.length, refused.doStreamCalls.length]).toEqual([2, 1]);
  });

  it('asks a real provider for a session title, and counts its tokens', async () => {
    const s = server();
    const u = await s.user();
    const model = scriptedModel(['Sure', '.'], { input: 10, output: 20, generate: '"Trip to Lisbon"' });
    const events = await rest(startChat(s, { message: 'plan three days in lisbon for me', model: register(s, model, true) }, u.token));
    const started = events[0] as { session: { id: string; title: string } };
    expect(started.session.title).toBe('plan three days in lisbon for me');
    expect(events.at(-1)).toMatchObject({ __typename: 'ChatCompleted', usage: { inputTokens: 15, outputTokens: 23, totalTokens: 38 } });
    expect((await s.ok(SessionTitle, { id: started.session.id }, { token: u.token })).chatSession.title).toBe('Trip to Lisbon');
  });

  it("sends the model the session's earlier messages", async () => {
    const s = server();
    const u = await s.user();
    const model = scriptedModel(['Answer', ' one']);
    const id = register(s, model);
    const first = await rest(startChat(s, { message: 'first question', model: id }, u.token));
    const sessionId = (first[0] as { session: { id: string } }).session.id;
    await rest(startChat(s, { message: 'second question', sessionId }, u.token));
    const prompt = model.doStreamCalls[1].prompt.map((m) => [
      m.role,
      typeof m.content === 'string' ? m.content : m.content.map((p) => ('text' in p ? p.text : '')).join(''),
    ]);
    expect(prompt).toEqual([
      ['system', s.config.CHAT_SYSTEM_PROMPT],
      ['user', 'first question'],
      ['assistant', 'Answer one'],
      ['user', 'second question'],
    ]);
  });
});

describe('assistant budgets and timeouts', () => {
  const server = useServer({ CHAT_USER_DAILY_TOKENS: '50', CHAT_TENANT_MONTHLY_TOKENS: '80', CHAT_CHUNK_TIMEOUT_MS: '300' });

  it('refuses with QUOTA_EXCEEDED before calling the provider once a user or tenant budget is spent', async () => {
    const s = server();
    const model = scriptedModel(['ok'], { input: 10, output: 20 });
    const id = register(s, model);
    // A tenant of its own, so other tests' spending does not count.
    const clientId = `budget-${Date.now()}`;
    await s.services().tenants.add(clientId);
    const a = await s.user({ clientId });
    const b = await s.user({ clientId });
    for (let i = 0; i < 2; i++)
      expect((await rest(startChat(s, { message: `a${i}`, model: id }, a.token, clientId))).at(-1)!.__typename).toBe('ChatCompleted');
    const refused = await startChat(s, { message: 'a2', model: id }, a.token, clientId).next();
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', budget: 'USER_DAILY', limit: 50 });
    expect(model.doStreamCalls).toHaveLength(2);
    expect(await s.db.prisma.chatMessage.count({ where: { userId: a.id } })).toBe(4);
    // Deleting the chats does not give the tokens back.
    for (const session of await s.db.prisma.chatSession.findMany({ where: { userId: a.id } })) {
      await s.ok(DeleteSession, { id: session.id }, { token: a.token, clientId });
    }
    const stillRefused = await startChat(s, { message: 'a3', model: id }, a.token, clientId).next();
    expect(stillRefused.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', budget: 'USER_DAILY' });

    expect((await rest(startChat(s, { message: 'b0', model: id }, b.token, clientId))).at(-1)!.__typename).toBe('ChatCompleted');
    const tenantRefused = await startChat(s, { message: 'b1', model: id }, b.token, clientId).next();
    expect(tenantRefused.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', budget: 'TENANT_MONTHLY' });
    // Guests of the tenant spend from its budget too.
    const guestRefused = await startChat(s, { message: 'g', model: id }, undefined, clientId).next();
    expect(guestRefused.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', budget: 'TENANT_MONTHLY' });
    expect(model.doStreamCalls).toHaveLength(3);
    expect((await s.ok(Usage, {}, { token: b.token, clientId })).chatUsage).toEqual({
      usedToday: 30,
      dailyLimit: 50,
      remainingToday: 20,
      tenantUsedThisMonth: 90,
      monthlyLimit: 80,
      remainingThisMonth: 0,
    });
  });

  it('ends an answer whose provider goes quiet with PROVIDER_TIMEOUT, keeping what arrived', async () => {
    const s = server();
    const u = await s.user();
    const events = await rest(startChat(s, { message: 'slow', model: register(s, stallingModel('Partial')) }, u.token));
    expect(events.at(-1)).toMatchObject({
      __typename: 'ChatError',
      code: 'PROVIDER_TIMEOUT',
      answer: { content: 'Partial', status: 'FAILED' },
    });
  });
});

describe('assistant shutdown', () => {
  it('saves an answer still streaming when the server stops as FAILED / INTERRUPTED, with its text', async () => {
    const s = await startServer();
    try {
      const u = await s.user();
      const g = gatedModel(['half', ' an'], [' answer']);
      const sub = startChat(s, { message: 'hi', model: register(s, g.model) }, u.token);
      const { assistantMessageId } = (await nextEvent(sub)) as { assistantMessageId: string };
      await nextEvent(sub);
      await nextEvent(sub);
      await s.app.stop(); // the test database stays open: the app was given it
      expect(g.seen.aborted).toBe(true);
      const row = await s.db.prisma.chatMessage.findUniqueOrThrow({ where: { id: assistantMessageId } });
      expect(row).toMatchObject({ status: 'FAILED', errorCode: 'INTERRUPTED', content: 'half an' });
    } finally {
      await s.stop();
    }
  });
});
