// @assistant in conversations: a mention gets an answer from the tenant's assistant as a streaming Message
// (MESSAGE_ADDED STREAMING, MESSAGE_DELTA pieces, MESSAGE_COMPLETED written once), in the mention's thread or quoting
// it; resuming mid-answer gets the text so far; any member stops it; group admins turn it off; the mentioner's
// budget pays and their rights bound what the model reads; the bot never signs in and its username is reserved.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startServer, useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { allLive, subscribe, type Subscription } from './helpers/ws.ts';
import { gatedModel, scriptedModel, toolCallingModel } from './helpers/chat.ts';
import { code, CreateGroup, Send } from './messaging-ops.ts';

const MODEL = 'conversation-mock';

const EVENTS = `subscription($c: ID, $after: Int) {
  conversationEvents(conversationId: $c, afterSequence: $after) {
    type sequence
    delta { messageId index text }
    message { id content status streamedDeltas threadRootId replyTo { id } sender { username } }
  }
}`;
const STOP = `mutation($id: ID!) { stopAssistantReply(messageId: $id) { id status content } }`;
const SETTINGS = `mutation($c: ID!, $on: Boolean) { updateGroupSettings(conversationId: $c, assistantEnabled: $on) { assistantEnabled } }`;
const HISTORY = `query($c: ID!) { messages(conversationId: $c, last: 20) { edges { node { id content status sender { username } } } } }`;

type Ev = {
  type: string;
  sequence: number;
  delta: { messageId: string; index: number; text: string } | null;
  message: {
    id: string;
    content: string;
    status: string;
    streamedDeltas: number;
    threadRootId: string | null;
    replyTo: { id: string } | null;
    sender: { username: string } | null;
  } | null;
};

async function nextEv(sub: Subscription<unknown>): Promise<Ev> {
  const r = await sub.next(10_000);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return (r.data as { conversationEvents: Ev }).conversationEvents;
}

/**
 * `by` stops the answer (through `s`): its text so far ("Hello there") stays, STOPPED, the model saw the abort, and
 * each stream's next event past the pieces it has is the MESSAGE_COMPLETED saying so.
 */
async function stopAndSeeStopped(
  s: TestServer,
  by: TestUser,
  answerId: string,
  gate: ReturnType<typeof gatedModel>,
  subs: Subscription<unknown>[],
) {
  const stopped = await s.ok<{ stopAssistantReply: { id: string; status: string; content: string } }, { id: string }>(
    STOP,
    { id: answerId },
    as(by),
  );
  expect(stopped.stopAssistantReply).toEqual({ id: answerId, status: 'STOPPED', content: 'Hello there' });
  await gate.abortSeen;
  for (const sub of subs) {
    expect(await nextSkipping(sub, 2)).toMatchObject({
      type: 'MESSAGE_COMPLETED',
      message: { id: answerId, status: 'STOPPED', content: 'Hello there' },
    });
  }
}

/** The next event but deltas the client already has (index below `pieces`, the streamedDeltas it read). */
async function nextSkipping(sub: Subscription<unknown>, pieces: number): Promise<Ev> {
  for (;;) {
    const e = await nextEv(sub);
    if (!(e.type === 'MESSAGE_DELTA' && e.delta!.index < pieces)) return e;
  }
}

/** Events up to and including the MESSAGE_COMPLETED of the assistant's answer. */
async function untilCompleted(sub: Subscription<unknown>): Promise<Ev[]> {
  const out: Ev[] = [];
  for (;;) {
    const e = await nextEv(sub);
    out.push(e);
    if (e.type === 'MESSAGE_COMPLETED') return out;
  }
}

type Ctx = { s: TestServer; owner: TestUser; member: TestUser; group: string };

/** Two people in a group, in a tenant of their own (its first user, the owner, is the tenant's admin). */
async function setUp(s: TestServer): Promise<Ctx> {
  const clientId = `assistant-${randomUUID().slice(0, 8)}`;
  await s.services().tenants.add(clientId);
  const owner = await s.user({ clientId });
  const member = await s.user({ clientId });
  const group = (await s.ok(CreateGroup, { title: 'With the assistant', memberIds: [member.id] }, as(owner))).createGroupConversation.id;
  return { s, owner, member, group };
}

const as = (u: TestUser) => ({ token: u.token, clientId: u.clientId });

const send = async (c: Ctx, content: string, by: TestUser = c.owner, threadRootId?: string) =>
  (await c.s.ok(Send, { input: { conversationId: c.group, content, ...(threadRootId ? { threadRootId } : {}) } }, as(by))).sendMessage;

const assistantMessages = (c: Ctx) =>
  c.s
    .services()
    .prisma.message.findMany({ where: { conversationId: c.group, sender: { username: 'assistant' } }, orderBy: { sequence: 'asc' } });

describe('@assistant in conversations', () => {
  const server = useServer({ CHAT_ASSISTANT_MODEL: MODEL, CHAT_ECHO_DELAY_MS: '0' });

  it('answers a mention as a streaming message: ADDED (STREAMING), deltas, COMPLETED with the text written once', async () => {
    const c = await setUp(server());
    c.s.services().assistant.models.register(MODEL, scriptedModel(['The ', 'answer ', 'is ', '42.'], { input: 30, output: 4 }));
    const one = subscribe(c.s.ws(as(c.member)), EVENTS, { c: c.group, after: 0 }) as Subscription<unknown>;
    const inbox = subscribe(c.s.ws(as(c.member)), EVENTS, {}) as Subscription<unknown>;
    await allLive([inbox], () => send(c, 'warming up'));
    const mention = await send(c, 'hey @assistant what is the answer?');

    for (const sub of [one, inbox]) {
      const events = await untilCompleted(sub);
      while (events[0].message?.id !== mention.id) events.shift(); // the group's earlier events
      expect(events[0]).toMatchObject({ type: 'MESSAGE_ADDED', message: { id: mention.id } });
      const added = events[1];
      expect(added).toMatchObject({
        type: 'MESSAGE_ADDED',
        delta: null,
        message: { status: 'STREAMING', sender: { username: 'assistant' }, replyTo: { id: mention.id }, threadRootId: null },
      });
      const answerId = added.message!.id;
      const deltas = events.filter((e) => e.type === 'MESSAGE_DELTA');
      // The pieces in order, each carrying its message's sequence and no rows.
      expect(deltas.map((d) => d.delta)).toEqual(
        ['The ', 'answer ', 'is ', '42.'].map((text, index) => ({ messageId: answerId, index, text })),
      );
      expect(deltas.every((d) => d.sequence === added.sequence && d.message === null)).toBe(true);
      const done = events.at(-1)!;
      expect(done).toMatchObject({
        type: 'MESSAGE_COMPLETED',
        sequence: added.sequence + 1,
        message: { id: answerId, status: 'COMPLETE', content: 'The answer is 42.', streamedDeltas: 0 },
      });
    }
    // Stored once: the log has ADDED and COMPLETED, no event per piece.
    const [answer] = await assistantMessages(c);
    const log = await c.s
      .services()
      .prisma.conversationEvent.findMany({ where: { conversationId: c.group, sequence: { gt: mention.sequence } } });
    expect(log.map((e) => e.type)).toEqual(['MESSAGE_ADDED', 'MESSAGE_COMPLETED']);
    expect(answer).toMatchObject({ content: 'The answer is 42.', status: 'COMPLETE', replyToId: mention.id });
    // The mentioner paid for it.
    const usage = await c.s.ok<{ chatUsage: { usedToday: number } }, Record<string, never>>('{ chatUsage { usedToday } }', {}, as(c.owner));
    expect(usage.chatUsage.usedToday).toBe(34);
    const history = await c.s.ok<{ messages: { edges: { node: { content: string; sender: { username: string } } }[] } }, { c: string }>(
      HISTORY,
      { c: c.group },
      as(c.member),
    );
    expect(history.messages.edges.at(-1)!.node).toMatchObject({ content: 'The answer is 42.', sender: { username: 'assistant' } });
  });

  it('a stream resumed mid-answer gets the text so far with the message, then the rest; any member stops it', async () => {
    const c = await setUp(server());
    const gate = gatedModel(['Hello', ' there'], [' never']);
    c.s.services().assistant.models.register(MODEL, gate.model);
    const mention = await send(c, '@assistant say hello');
    const live = subscribe(c.s.ws(as(c.owner)), EVENTS, { c: c.group, after: mention.sequence - 1 }) as Subscription<unknown>;
    expect(await nextEv(live)).toMatchObject({ type: 'MESSAGE_ADDED', message: { id: mention.id } });
    const added = await nextEv(live);
    const answerId = added.message!.id;
    // The pieces the message's text did not hold yet when it was read follow as deltas: 2 pieces in all.
    for (let i = added.message!.streamedDeltas; i < 2; i++)
      expect(await nextEv(live)).toMatchObject({ type: 'MESSAGE_DELTA', delta: { index: i } });

    // Another member resumes from before the answer: its MESSAGE_ADDED comes with the text so far.
    const resumed = subscribe(c.s.ws(as(c.member)), EVENTS, { c: c.group, after: mention.sequence }) as Subscription<unknown>;
    expect(await nextEv(resumed)).toMatchObject({
      type: 'MESSAGE_ADDED',
      message: { id: answerId, status: 'STREAMING', content: 'Hello there', streamedDeltas: 2 },
    });

    // A member who did not mention it stops it: the text so far stays, STOPPED, and the model saw the abort.
    await stopAndSeeStopped(c.s, c.member, answerId, gate, [live, resumed]);
    // Stopping again returns it as it ended.
    expect(
      (await c.s.ok<{ stopAssistantReply: { status: string } }, { id: string }>(STOP, { id: answerId }, as(c.owner))).stopAssistantReply
        .status,
    ).toBe('STOPPED');
  });

  it('answers in the thread it was mentioned in, reading the thread', async () => {
    const c = await setUp(server());
    const model = scriptedModel(['In ', 'thread.']);
    c.s.services().assistant.models.register(MODEL, model);
    const root = await send(c, 'the root question');
    await send(c, 'an unrelated main message');
    await send(c, 'a reply in the thread', c.member, root.id);
    await send(c, '@assistant sum this thread up', c.owner, root.id);
    await c.s.services().replies.settled();
    const [answer] = await waitForAnswers(c, 1);
    expect(answer).toMatchObject({ threadRootId: root.id, replyToId: null, content: 'In thread.', status: 'COMPLETE' });
    const rootRow = await c.s.services().prisma.message.findUniqueOrThrow({ where: { id: root.id } });
    expect(rootRow.replyCount).toBe(3);
    // The model read the thread (root first), not the main history.
    const prompt = JSON.stringify(model.doStreamCalls[0].prompt);
    expect(prompt).toContain('the root question');
    expect(prompt).toContain('a reply in the thread');
    expect(prompt).not.toContain('an unrelated main message');
  });

  it('reads only what the mentioner may read (history from joining on)', async () => {
    const c = await setUp(server());
    const model = scriptedModel(['ok']);
    c.s.services().assistant.models.register(MODEL, model);
    await send(c, 'a secret from before');
    const FROM_JOIN = `mutation($c: ID!) { updateGroupSettings(conversationId: $c, historyVisibility: FROM_JOIN, visibility: PUBLIC) { id } }`;
    await c.s.ok(FROM_JOIN, { c: c.group }, as(c.owner));
    const late = await c.s.user({ clientId: c.owner.clientId });
    await c.s.ok(`mutation($c: ID!) { joinConversation(id: $c) { id } }`, { c: c.group }, as(late));
    await send(c, '@assistant what did I miss?', late);
    await waitForAnswers(c, 1);
    const prompt = JSON.stringify(model.doStreamCalls[0].prompt);
    expect(prompt).toContain('what did I miss?');
    expect(prompt).not.toContain('a secret from before');
  });

  it('calls tools with the mentioner`s rights: search_messages finds nothing of a conversation they are not in', async () => {
    const c = await setUp(server());
    const model = toolCallingModel([[{ name: 'search_messages', input: { query: 'pineapple' } }]], ['Found ', 'it.']);
    c.s.services().assistant.models.register(MODEL, model);
    await send(c, 'the pineapple plan is here');
    // A group of the owner's that the member (the mentioner) is not in.
    const outsider = await c.s.user({ clientId: c.owner.clientId });
    const hidden = (await c.s.ok(CreateGroup, { title: 'Hidden', memberIds: [outsider.id] }, as(c.owner))).createGroupConversation.id;
    await c.s.ok(Send, { input: { conversationId: hidden, content: 'a secret pineapple recipe' } }, as(c.owner));
    await send(c, '@assistant where is the pineapple?', c.member);
    const [answer] = await waitForAnswers(c, 1);
    expect(answer).toMatchObject({ content: 'Found it.', status: 'COMPLETE' });
    const second = JSON.stringify(model.doStreamCalls[1].prompt);
    expect(second).toContain('the pineapple plan is here');
    expect(second).not.toContain('secret pineapple recipe');
  });

  it('group admins turn it off (and on); members may not; a mention then gets no answer', async () => {
    const c = await setUp(server());
    c.s.services().assistant.models.register(MODEL, scriptedModel(['back']));
    const byMember = await c.s.gql(SETTINGS, { c: c.group, on: false }, as(c.member));
    expect(code(byMember)).toBe('FORBIDDEN');
    const off = await c.s.ok<{ updateGroupSettings: { assistantEnabled: boolean } }, { c: string; on: boolean }>(
      SETTINGS,
      { c: c.group, on: false },
      as(c.owner),
    );
    expect(off.updateGroupSettings.assistantEnabled).toBe(false);
    await send(c, '@assistant are you there?');
    await c.s.services().replies.settled();
    expect(await assistantMessages(c)).toEqual([]);
    await c.s.ok(SETTINGS, { c: c.group, on: true }, as(c.owner));
    await send(c, '@assistant and now?');
    expect((await waitForAnswers(c, 1))[0].content).toBe('back');
  });

  it('a spent budget gets a FAILED answer saying why, and no model call', async () => {
    const c = await setUp(server());
    const model = scriptedModel(['never']);
    c.s.services().assistant.models.register(MODEL, model);
    await c.s.ok(`mutation { setChatBudgets(userDailyTokens: 1) { userDailyTokens } }`, {}, as(c.owner));
    await c.s.services().assistant.budgets.record({ tenantId: (await tenantOf(c)).tenantId, userId: c.member.id }, null, 'x', {
      inputTokens: 5,
      outputTokens: 5,
    });
    await send(c, '@assistant please', c.member);
    const [answer] = await waitForAnswers(c, 1);
    expect(answer.status).toBe('FAILED');
    expect(answer.content).toMatch(/^I can't answer: .*budget/i);
    expect(model.doStreamCalls).toHaveLength(0);
  });

  it('stopAssistantReply refuses what the viewer cannot read or that is not an answer', async () => {
    const c = await setUp(server());
    const gate = gatedModel(['partial'], []);
    c.s.services().assistant.models.register(MODEL, gate.model);
    const mention = await send(c, '@assistant wait');
    const [answer] = await waitForAnswers(c, 1, 'STREAMING');
    const outsider = await c.s.user({ clientId: c.owner.clientId });
    expect(code(await c.s.gql(STOP, { id: answer.id }, as(outsider)))).toBe('NOT_FOUND');
    const elsewhere = await setUp(c.s);
    expect(code(await c.s.gql(STOP, { id: answer.id }, as(elsewhere.owner)))).toBe('NOT_FOUND');
    expect(code(await c.s.gql(STOP, { id: mention.id }, as(c.owner)))).toBe('BAD_USER_INPUT');
    expect(code(await c.s.gql(STOP, { id: 'no-such-message' }, as(c.owner)))).toBe('NOT_FOUND');
    expect(code(await c.s.gql(STOP, { id: answer.id }, {}))).toBe('UNAUTHENTICATED');
    await c.s.ok(STOP, { id: answer.id }, as(c.owner));
  });

  it('the assistant is a bot: it never signs in, and no one may take its username', async () => {
    const c = await setUp(server());
    c.s.services().assistant.models.register(MODEL, scriptedModel(['hi']));
    await send(c, '@assistant hello');
    await waitForAnswers(c, 1);
    const bot = await c.s
      .services()
      .prisma.user.findFirstOrThrow({ where: { username: 'assistant', tenantId: (await tenantOf(c)).tenantId } });
    expect(bot.bot).toBe(true);
    const signIn = await c.s.gql(`mutation($i: SignInInput!) { signIn(input: $i) { token } }`, { i: { email: bot.email, password: '!' } });
    expect(code(signIn)).toBe('UNAUTHENTICATED');
    const taken = await c.s.gql(`mutation($i: SignUpInput!) { signUp(input: $i) { token } }`, {
      i: { email: `someone${Date.now()}@example.com`, name: 'Someone', password: 'correct horse battery', username: 'Assistant' },
    });
    expect(code(taken)).toBe('CONFLICT');
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('@assistant across instances (Redis)', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const env = { REDIS_PREFIX: `test:replies:${process.pid}:${Date.now()}:`, CHAT_ASSISTANT_MODEL: MODEL };
    a = await startServer(env);
    b = await startServer(env, { db: a.db });
  });
  afterAll(async () => {
    await b?.app.stop();
    await a?.stop();
  });

  it('an answer written on A streams to a member on B, resumes there with its text so far, and B stops it', async () => {
    const c = await setUp(a);
    const gate = gatedModel(['Hello', ' there'], [' never']);
    a.services().assistant.models.register(MODEL, gate.model);
    const mention = await send(c, '@assistant say hello'); // sent on A: the answer runs on A
    const live = subscribe(b.ws(as(c.member)), EVENTS, { c: c.group, after: mention.sequence - 1 }) as Subscription<unknown>;
    expect(await nextEv(live)).toMatchObject({ type: 'MESSAGE_ADDED', message: { id: mention.id } });
    const added = await nextEv(live);
    expect(added.message).toMatchObject({ status: 'STREAMING', sender: { username: 'assistant' } });
    const answerId = added.message!.id;
    for (let i = added.message!.streamedDeltas; i < 2; i++) {
      expect(await nextEv(live)).toMatchObject({ type: 'MESSAGE_DELTA', delta: { messageId: answerId, index: i } });
    }
    // On B, which does not run it, the message's text so far comes from the run's replay list.
    const resumed = subscribe(b.ws(as(c.owner)), EVENTS, { c: c.group, after: mention.sequence }) as Subscription<unknown>;
    expect(await nextEv(resumed)).toMatchObject({
      type: 'MESSAGE_ADDED',
      message: { id: answerId, status: 'STREAMING', content: 'Hello there', streamedDeltas: 2 },
    });
    await stopAndSeeStopped(b, c.member, answerId, gate, [live, resumed]);
  });
});

const tenantOf = (c: Ctx) => c.s.services().prisma.user.findUniqueOrThrow({ where: { id: c.owner.id }, select: { tenantId: true } });

/** The assistant's answers in the group once `n` of them reached `status` (polled from the database, which the events also reach). */
async function waitForAnswers(c: Ctx, n: number, status: 'COMPLETE' | 'FAILED' | 'STREAMING' | 'ANY_END' = 'ANY_END') {
  const events = subscribe(c.s.ws(as(c.owner)), EVENTS, { c: c.group, after: 0 }) as Subscription<unknown>;
  try {
    for (;;) {
      const rows = await assistantMessages(c);
      const done = rows.filter((m) => (status === 'ANY_END' ? m.status !== 'STREAMING' : m.status === status));
      if (done.length >= n) return done;
      await nextEv(events); // something happened in the conversation: look again
    }
  } finally {
    events.stop();
  }
}
