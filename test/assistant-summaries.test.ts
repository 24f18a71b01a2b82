// Conversation summaries (summarizeConversation): each scope cites exactly its messages, read with the viewer's
// rights (membership, FROM_JOIN history, tenant, deleted messages); the refusals and their codes; stopChat and
// chatStream on a summary; budgets.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { graphql } from './gql/index.ts';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { gatedModel, register, scriptedModel, terminal, type Event } from './helpers/chat.ts';
import { code, CreateGroup, Delete, Leave, MarkRead, Send } from './messaging-ops.ts';
import { NOTHING_TO_SUMMARIZE } from '../src/assistant/summaries.ts';

const Summarize = graphql(`
  subscription Summarize($c: ID!, $scope: SummaryScope!, $root: ID, $model: String) {
    summarizeConversation(conversationId: $c, scope: $scope, threadRootId: $root, model: $model) {
      __typename
      ... on ChatStarted {
        assistantMessageId
        session {
          id
        }
        userMessage {
          content
          saved
        }
      }
      ... on ChatSource {
        index
        messageId
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
          saved
        }
        usage {
          inputTokens
          outputTokens
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
      }
    }
  }
`);
const SummaryStream = graphql(`
  subscription SummaryStream($id: ID!) {
    chatStream(messageId: $id) {
      __typename
      ... on ChatSource {
        messageId
      }
      ... on ChatToken {
        delta
      }
      ... on ChatStopped {
        answer {
          content
        }
      }
    }
  }
`);
const StopSummary = graphql(`
  mutation StopSummary($id: ID!) {
    stopChat(messageId: $id) {
      id
      status
      content
      saved
    }
  }
`);
const GroupSettings = graphql(`
  mutation SummaryGroupSettings($c: ID!) {
    updateGroupSettings(conversationId: $c, historyVisibility: FROM_JOIN, visibility: PUBLIC) {
      id
    }
  }
`);
const Join = graphql(`
  mutation SummaryJoin($id: ID!) {
    joinConversation(id: $id) {
      id
    }
  }
`);
const Budgets = graphql(`
  mutation SummaryBudgets($daily: Int) {
    setChatBudgets(userDailyTokens: $daily) {
      userDailyTokens
    }
  }
`);

type Vars = { c: string; scope: 'UNREAD' | 'LAST_DAY' | 'THREAD'; root?: string; model?: string };
type Run = { errors?: readonly { extensions?: Record<string, unknown> }[]; events: Event[] };

const open = (s: TestServer, user: Pick<TestUser, 'token' | 'clientId'> | null, vars: Vars) =>
  subscribe(s.ws({ token: user?.token, clientId: user?.clientId }), Summarize, vars) as Subscription<unknown>;

/** Every event of a summary up to its final one, or the errors it was refused with. */
async function summarize(s: TestServer, user: Pick<TestUser, 'token' | 'clientId'> | null, vars: Vars): Promise<Run> {
  const sub = open(s, user, vars);
  const events: Event[] = [];
  for (;;) {
    const r = await sub.next(10_000);
    if (r.errors) return { errors: r.errors, events };
    const e = (r.data as { summarizeConversation: Event }).summarizeConversation;
    events.push(e);
    if (terminal(e)) return { events };
  }
}

const sources = (run: Run) => run.events.filter((e) => e.__typename === 'ChatSource').map((e) => e.messageId);
const text = (run: Run) =>
  run.events
    .filter((e) => e.__typename === 'ChatToken')
    .map((e) => e.delta)
    .join('');
const last = (run: Run) => run.events.at(-1) as { __typename: string; answer: { content: string; status: string; saved: boolean } };

type Ctx = { s: TestServer; owner: TestUser; member: TestUser; group: string };

async function setUp(s: TestServer, clientId?: string): Promise<Ctx> {
  const owner = await s.user({ clientId });
  const member = await s.user({ clientId });
  const group = (await s.ok(CreateGroup, { title: 'Summaries', memberIds: [member.id] }, { token: owner.token, clientId }))
    .createGroupConversation.id;
  return { s, owner, member, group };
}

async function send(c: Ctx, content: string, as: TestUser = c.owner, threadRootId?: string): Promise<string> {
  const input = { conversationId: c.group, content, ...(threadRootId ? { threadRootId } : {}) };
  return (await c.s.ok(Send, { input }, { token: as.token, clientId: as.clientId })).sendMessage.id;
}

describe('summarizeConversation', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '0' });

  it('UNREAD cites the others` main-history messages after the read pointer; parley-echo answers deterministically', async () => {
    const c = await setUp(server());
    const one = await send(c, 'one');
    const two = await send(c, 'two');
    const three = await send(c, 'three\nwith a second line');
    const four = await send(c, 'four');
    const five = await send(c, 'five');
    await c.s.ok(MarkRead, { c: c.group, upTo: two }, { token: c.member.token });
    await c.s.ok(Delete, { id: four }, { token: c.owner.token });
    await send(c, 'mine', c.member);
    await send(c, 'a thread reply', c.owner, one);

    const run = await summarize(c.s, c.member, { c: c.group, scope: 'UNREAD' });
    expect(run.errors).toBeUndefined();
    expect(run.events[0]).toMatchObject({
      __typename: 'ChatStarted',
      session: null,
      userMessage: { saved: false, content: 'Summarize the unread messages of this conversation (2 messages)' },
    });
    expect(sources(run)).toEqual([three, five]);
    // Sources come first, then the text: every index counts up from 0.
    expect(run.events.slice(1, -1).map((e) => e.index)).toEqual(run.events.slice(1, -1).map((_, i) => i));
    // parley-echo repeats the request, each message on its numbered line, and answers the same every time.
    const name = c.owner.name;
    expect(text(run)).toContain(
      `Summarize the unread messages of this conversation (2 messages): [1] ${name}: three with a second line [2] ${name}: five`,
    );
    expect(last(run)).toMatchObject({ __typename: 'ChatCompleted', answer: { content: text(run), status: 'COMPLETE', saved: false } });
    expect(text(await summarize(c.s, c.member, { c: c.group, scope: 'UNREAD' }))).toBe(text(run));
    // Nothing is saved as a chat; the tokens are counted.
    expect(await c.s.db.prisma.chatMessage.count({ where: { userId: c.member.id } })).toBe(0);
    expect(await c.s.db.prisma.chatUsageRecord.count({ where: { userId: c.member.id } })).toBe(2);

    // Everything read: nothing to summarize, answered without a model.
    await c.s.ok(MarkRead, { c: c.group }, { token: c.member.token });
    const none = await summarize(c.s, c.member, { c: c.group, scope: 'UNREAD' });
    expect(none.events.map((e) => e.__typename)).toEqual(['ChatStarted', 'ChatToken', 'ChatCompleted']);
    expect(last(none).answer.content).toBe(NOTHING_TO_SUMMARIZE);
    expect(none.events.at(-1)!.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(await c.s.db.prisma.chatUsageRecord.count({ where: { userId: c.member.id } })).toBe(2);
  });

  it('LAST_DAY leaves out older messages; the model gets the numbered lines and a summary prompt', async () => {
    const c = await setUp(server());
    const old = [await send(c, 'old one'), await send(c, 'old two')];
    await c.s.db.prisma.message.updateMany({ where: { id: { in: old } }, data: { createdAt: new Date(Date.now() - 25 * 3600_000) } });
    const fresh = [await send(c, 'fresh one'), await send(c, 'fresh two', c.member)];
    const model = scriptedModel(['They talked ', 'about fresh things [1][2].']);
    const run = await summarize(c.s, c.owner, { c: c.group, scope: 'LAST_DAY', model: register(c.s, model) });
    expect(sources(run)).toEqual(fresh);
    expect(text(run)).toBe('They talked about fresh things [1][2].');
    expect(last(run)).toMatchObject({ __typename: 'ChatCompleted', answer: { content: 'They talked about fresh things [1][2].' } });
    const prompt = model.doStreamCalls[0].prompt;
    expect(prompt.find((m) => m.role === 'system')?.content).toMatch(/concise summary.*\[2\]/s);
    const user = prompt.find((m) => m.role === 'user')!.content as { text: string }[];
    expect(user[0].text).toBe(
      `Summarize the messages of the last 24 hours of this conversation (2 messages):\n[1] ${c.owner.name}: fresh one\n[2] ${c.member.name}: fresh two`,
    );
  });

  it('THREAD cites the root and its replies only; a reply stands for its thread', async () => {
    const c = await setUp(server());
    const root = await send(c, 'the question');
    const replies = [await send(c, 'an answer', c.member, root), await send(c, 'another', c.owner, root)];
    const other = await send(c, 'another topic');
    await send(c, 'not this thread', c.member, other);
    await send(c, 'main history');
    const run = await summarize(c.s, c.member, { c: c.group, scope: 'THREAD', root });
    expect(sources(run)).toEqual([root, ...replies]);
    expect(last(run).__typename).toBe('ChatCompleted');
    expect(sources(await summarize(c.s, c.member, { c: c.group, scope: 'THREAD', root: replies[0] }))).toEqual([root, ...replies]);
    // A root without replies has nothing to summarize.
    const quiet = await summarize(c.s, c.member, { c: c.group, scope: 'THREAD', root: await send(c, 'no replies') });
    expect(last(quiet).answer.content).toBe(NOTHING_TO_SUMMARIZE);
  });

  it('refuses strangers, former members, other tenants, foreign threads and guests with stable codes', async () => {
    const s = server();
    const c = await setUp(s);
    const root = await send(c, 'hello');
    const stranger = await s.user();
    expect(code(await summarize(s, stranger, { c: c.group, scope: 'LAST_DAY' }))).toBe('NOT_FOUND');
    expect(code(await summarize(s, stranger, { c: randomUUID(), scope: 'LAST_DAY' }))).toBe('NOT_FOUND');

    const leaver = await setUp(s);
    await send(leaver, 'before leaving');
    await s.ok(Leave, { c: leaver.group }, { token: leaver.member.token });
    expect(code(await summarize(s, leaver.member, { c: leaver.group, scope: 'LAST_DAY' }))).toBe('NOT_FOUND');

    const clientId = `sum-${randomUUID().slice(0, 8)}`;
    await s.services().tenants.add(clientId);
    const elsewhere = await setUp(s, clientId);
    await send(elsewhere, 'their secret', elsewhere.owner);
    expect(code(await summarize(s, elsewhere.owner, { c: c.group, scope: 'LAST_DAY' }))).toBe('NOT_FOUND');
    expect(code(await summarize(s, c.owner, { c: elsewhere.group, scope: 'LAST_DAY' }))).toBe('NOT_FOUND');

    // A thread of another conversation, even one the viewer is in, is not this conversation's.
    const otherGroup = (await s.ok(CreateGroup, { title: 'Other', memberIds: [c.member.id] }, { token: c.owner.token }))
      .createGroupConversation.id;
    const foreign = await send({ ...c, group: otherGroup }, 'elsewhere');
    const refused = await summarize(s, c.owner, { c: c.group, scope: 'THREAD', root: foreign });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'threadRootId' });
    expect(code(await summarize(s, c.owner, { c: c.group, scope: 'THREAD', root: randomUUID() }))).toBe('NOT_FOUND');

    expect((await summarize(s, c.owner, { c: c.group, scope: 'THREAD' })).errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'threadRootId',
    });
    expect(code(await summarize(s, c.owner, { c: c.group, scope: 'UNREAD', root }))).toBe('BAD_USER_INPUT');
    expect(code(await summarize(s, c.owner, { c: c.group, scope: 'NEVER' as never }))).toBe('BAD_USER_INPUT');
    expect(code(await summarize(s, c.owner, { c: c.group, scope: 'LAST_DAY', model: 'no-such-model' }))).toBe('BAD_USER_INPUT');
    expect(code(await summarize(s, null, { c: c.group, scope: 'LAST_DAY' }))).toBe('UNAUTHENTICATED');
  });

  it('shows a member who joined a FROM_JOIN group only what came after', async () => {
    const s = server();
    const c = await setUp(s);
    const before = await send(c, 'before you came');
    await s.ok(GroupSettings, { c: c.group }, { token: c.owner.token });
    const late = await s.user();
    await s.ok(Join, { id: c.group }, { token: late.token });
    const after = await send(c, 'after you came');
    expect(sources(await summarize(s, late, { c: c.group, scope: 'LAST_DAY' }))).toEqual([after]);
    expect(sources(await summarize(s, late, { c: c.group, scope: 'UNREAD' }))).toEqual([after]);
    expect(sources(await summarize(s, c.member, { c: c.group, scope: 'LAST_DAY' }))).toEqual([before, after]);
    await send(c, 'an old thread', c.member, before);
    expect(code(await summarize(s, late, { c: c.group, scope: 'THREAD', root: before }))).toBe('NOT_FOUND');
  });

  it('stopChat stops a summary; chatStream follows it, for its owner only', async () => {
    const s = server();
    const c = await setUp(s);
    const m = await send(c, 'something long');
    const g = gatedModel(['Partial', ' summary'], [' never sent']);
    const sub = open(s, c.member, { c: c.group, scope: 'LAST_DAY', model: register(s, g.model) });
    const started = (await sub.next()).data as { summarizeConversation: { assistantMessageId: string } };
    const id = started.summarizeConversation.assistantMessageId;
    const firstParts = await sub.take(3);
    expect(firstParts.map((r) => (r.data as { summarizeConversation: Event }).summarizeConversation.__typename)).toEqual([
      'ChatSource',
      'ChatToken',
      'ChatToken',
    ]);

    const follower = subscribe(s.ws({ token: c.member.token }), SummaryStream, { id });
    const seen = await follower.take(3);
    expect(seen.map((r) => r.data!.chatStream)).toEqual([
      { __typename: 'ChatSource', messageId: m },
      { __typename: 'ChatToken', delta: 'Partial' },
      { __typename: 'ChatToken', delta: ' summary' },
    ]);
    // Someone else's summary is not theirs to follow or stop.
    expect(code(await subscribe(s.ws({ token: c.owner.token }), SummaryStream, { id }).next())).toBe('NOT_FOUND');
    expect(code(await s.gql(StopSummary, { id }, { token: c.owner.token }))).toBe('NOT_FOUND');

    const { stopChat } = await s.ok(StopSummary, { id }, { token: c.member.token });
    expect(stopChat).toEqual({ id, status: 'STOPPED', content: 'Partial summary', saved: false });
    await g.abortSeen;
    const end = (await sub.next()).data as { summarizeConversation: Event };
    expect(end.summarizeConversation).toMatchObject({
      __typename: 'ChatStopped',
      answer: { content: 'Partial summary', status: 'STOPPED' },
    });
    expect((await follower.next()).data!.chatStream).toEqual({ __typename: 'ChatStopped', answer: { content: 'Partial summary' } });
  });

  it('counts against the token budget: QUOTA_EXCEEDED once it is spent', async () => {
    const s = server();
    const clientId = `sumq-${randomUUID().slice(0, 8)}`;
    await s.services().tenants.add(clientId);
    // The tenant's first user is its admin, who sets a budget one summary spends.
    const c = await setUp(s, clientId);
    await s.ok(Budgets, { daily: 10 }, { token: c.owner.token, clientId });
    await send(c, 'a message to summarize');
    const model = register(s, scriptedModel(['Short.'], { input: 20, output: 5 }));
    expect(last(await summarize(s, c.owner, { c: c.group, scope: 'LAST_DAY', model })).__typename).toBe('ChatCompleted');
    const refused = await summarize(s, c.owner, { c: c.group, scope: 'LAST_DAY', model });
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', budget: 'USER_DAILY', limit: 10 });
  });
});
