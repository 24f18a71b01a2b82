// Threads: SendMessageInput.threadRootId -> Message.replies, threadSummary and threadRootId; thread replies out of the
// main history, live as MESSAGE_ADDED over WebSocket and SSE, the unread rules, and the ids that must be refused.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { fewestStatements } from './helpers/statements.ts';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { code, CreateGroup, Delete, MarkRead, Stats } from './messaging-ops.ts';

const SendThread = graphql(`
  mutation SendThread($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      sequence
      createdAt
      threadRootId
      threadSummary {
        replyCount
      }
    }
  }
`);

const Thread = graphql(`
  query Thread($c: ID!, $first: Int, $after: String, $last: Int) {
    messages(conversationId: $c, last: 50) {
      edges {
        node {
          id
          content
          threadRootId
          threadSummary {
            replyCount
            lastReplyAt
            participants {
              id
            }
          }
          replies(first: $first, after: $after, last: $last) {
            edges {
              node {
                id
                content
                threadRootId
                sender {
                  id
                }
              }
            }
            pageInfo {
              hasNextPage
              hasPreviousPage
              endCursor
            }
          }
        }
      }
    }
    conversation(id: $c) {
      unreadCount
      lastMessage {
        id
      }
    }
  }
`);

const LiveThread = graphql(`
  subscription LiveThread($c: ID) {
    conversationEvents(conversationId: $c) {
      type
      message {
        id
        threadRootId
      }
    }
  }
`);

type Ctx = { s: TestServer; owner: TestUser; member: TestUser; third: TestUser; group: string };

async function setUp(s: TestServer, title = 'Threads'): Promise<Ctx> {
  const [owner, member, third] = [await s.user(), await s.user(), await s.user()];
  const group = (await s.ok(CreateGroup, { title, memberIds: [member.id, third.id] }, { token: owner.token })).createGroupConversation.id;
  return { s, owner, member, third, group };
}

const send = (c: Ctx, content: string, threadRootId?: string, as = c.owner, conversationId = c.group) =>
  c.s.gql(SendThread, { input: { conversationId, content, ...(threadRootId ? { threadRootId } : {}) } }, { token: as.token });
const sent = async (c: Ctx, content: string, threadRootId?: string, as = c.owner) =>
  (await send(c, content, threadRootId, as)).data!.sendMessage;
const read = (c: Ctx, as: TestUser, vars: { first?: number; after?: string; last?: number } = {}) =>
  c.s.ok(Thread, { c: c.group, ...vars }, { token: as.token });

describe('threads', () => {
  const server = useServer();

  it('keep replies out of the main history, in the root`s replies, with a summary of who replied', async () => {
    const c = await setUp(server());
    const root = await sent(c, 'root');
    expect(root.threadRootId).toBeNull();
    expect(root.threadSummary).toBeNull();
    const r1 = await sent(c, 'first reply', root.id, c.member);
    const r2 = await sent(c, 'second reply', root.id, c.third);
    // A reply to a thread reply joins the same thread (threads are one level deep).
    const r3 = await sent(c, 'third reply', r2.id, c.member);
    expect([r1.threadRootId, r2.threadRootId, r3.threadRootId]).toEqual([root.id, root.id, root.id]);
    const after = await sent(c, 'main again');

    const page = await read(c, c.owner);
    expect(page.messages.edges.map((e) => e.node.content)).toEqual(['root', 'main again']);
    expect(page.conversation!.lastMessage!.id).toBe(after.id);
    const node = page.messages.edges[0].node;
    expect(node.threadSummary).toMatchObject({ replyCount: 3, participants: [{ id: c.member.id }, { id: c.third.id }] });
    expect(node.threadSummary!.lastReplyAt).toBe(r3.createdAt);
    expect(node.replies.edges.map((e) => [e.node.content, e.node.sender!.id])).toEqual([
      ['first reply', c.member.id],
      ['second reply', c.third.id],
      ['third reply', c.member.id],
    ]);
    expect(page.messages.edges[1].node.replies.edges).toEqual([]);

    // Pages: forward by two, then the rest; backward from the newest.
    const firstTwo = (await read(c, c.owner, { first: 2 })).messages.edges[0].node.replies;
    expect(firstTwo.edges.map((e) => e.node.id)).toEqual([r1.id, r2.id]);
    expect(firstTwo.pageInfo.hasNextPage).toBe(true);
    const rest = (await read(c, c.owner, { first: 2, after: firstTwo.pageInfo.endCursor! })).messages.edges[0].node.replies;
    expect(rest.edges.map((e) => e.node.id)).toEqual([r3.id]);
    const newest = (await read(c, c.owner, { last: 1 })).messages.edges[0].node.replies;
    expect(newest.edges.map((e) => e.node.id)).toEqual([r3.id]);
    expect(newest.pageInfo.hasPreviousPage).toBe(true);
  });

  it('count thread replies as unread only for those they concern', async () => {
    const c = await setUp(server());
    const root = await sent(c, 'started by the owner');
    for (const who of [c.owner, c.member, c.third]) await c.s.ok(MarkRead, { c: c.group }, { token: who.token });
    await sent(c, 'the member answers the owner', root.id, c.member);
    // The owner started the thread, the member wrote it: the third member is not concerned.
    expect((await read(c, c.owner)).conversation!.unreadCount).toBe(1);
    expect((await read(c, c.third)).conversation!.unreadCount).toBe(0);
    await sent(c, 'the owner answers too', root.id);
    expect((await read(c, c.member)).conversation!.unreadCount).toBe(1); // a participant
    expect((await read(c, c.third)).conversation!.unreadCount).toBe(0);
    expect((await c.s.ok(Stats, {}, { token: c.third.token })).messageStats.unread).toBe(0);
    expect((await c.s.ok(Stats, {}, { token: c.member.token })).messageStats.unread).toBe(1);
    // A mention concerns whoever it names.
    const third = await c.s.services().prisma.user.update({ where: { id: c.third.id }, data: { username: `t${Date.now()}` } });
    await sent(c, `what do you think, @${third.username}?`, root.id, c.member);
    expect((await read(c, c.third)).conversation!.unreadCount).toBe(1);
    // A main-history message concerns everyone.
    await sent(c, 'to everyone', undefined, c.member);
    expect((await read(c, c.third)).conversation!.unreadCount).toBe(2);
  });

  it('refuse a root of another conversation, another tenant, a deleted or unknown one, and store nothing', async () => {
    const s = server();
    const c = await setUp(s);
    const other = await setUp(s, 'Other');
    const mine = (await s.ok(CreateGroup, { title: 'Mine', memberIds: [c.member.id] }, { token: c.owner.token })).createGroupConversation
      .id;
    const inMine = (await send(c, 'in another conversation', undefined, c.owner, mine)).data!.sendMessage.id;
    const inOther = (await sent(other, 'not yours')).id;
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    const [t1, t2] = [await s.user({ clientId: tenant }), await s.user({ clientId: tenant })];
    const tenantGroup = (await s.ok(CreateGroup, { title: 'Tenant', memberIds: [t2.id] }, { token: t1.token, clientId: tenant }))
      .createGroupConversation.id;
    const inTenant = (
      await s.ok(SendThread, { input: { conversationId: tenantGroup, content: 'other tenant' } }, { token: t1.token, clientId: tenant })
    ).sendMessage.id;
    const deleted = (await sent(c, 'soon gone')).id;
    await s.ok(Delete, { id: deleted }, { token: c.owner.token });
    const before = await s.services().prisma.message.count({ where: { conversationId: c.group } });

    for (const threadRootId of [inMine, inOther, inTenant, deleted, randomUUID(), 'not-a-uuid']) {
      const refused = await send(c, 'reply', threadRootId);
      expect(refused.data).toBeNull();
      expect(code(refused)).toBe('NOT_FOUND');
      expect(refused.errors![0].extensions!.field).toBe('threadRootId');
    }
    // A stranger cannot post into a thread of a conversation they are not in.
    const root = (await sent(c, 'root')).id;
    const stranger = await send(other, 'intruding', root, other.owner, c.group);
    expect(code(stranger)).toBe('NOT_FOUND');
    // The same answer for a root that is there and one that is not: a stranger learns nothing of what C holds.
    const guess = await send(other, 'intruding', randomUUID(), other.owner, c.group);
    expect([stranger.errors![0].extensions!.field, guess.errors![0].extensions!.field]).toEqual(['threadRootId', 'threadRootId']);
    expect(await s.services().prisma.message.count({ where: { conversationId: c.group } })).toBe(before + 1);

    // A deleted root keeps a thread it already has going.
    await sent(c, 'a reply', root, c.member);
    await s.ok(Delete, { id: root }, { token: c.owner.token });
    expect((await sent(c, 'still going', root, c.third)).threadRootId).toBe(root);
  });

  it('reach subscribers live as MESSAGE_ADDED with threadRootId, over WebSocket and SSE', async () => {
    const c = await setUp(server());
    const live = subscribe(c.s.ws({ token: c.member.token }), LiveThread, { c: c.group });
    await allLive([live], () => send(c, 'probe'));
    const sse = await fetch(`${c.s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${c.member.token}` },
      body: JSON.stringify({ query: LiveThreadText, variables: { c: c.group } }),
    });
    const reader = sse.body!.getReader();
    const root = (await sent(c, 'root')).id;
    const reply = (await sent(c, 'live reply', root, c.third)).id;
    const got = await live.until((r) => r.data?.conversationEvents.message?.id === reply);
    expect(got.data!.conversationEvents).toEqual({ type: 'MESSAGE_ADDED', message: { id: reply, threadRootId: root } });
    let text = '';
    while (!text.includes(reply)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    const frame = text.split('\n').find((line) => line.startsWith('data:') && line.includes(reply))!;
    expect(JSON.parse(frame.slice(5)).data.conversationEvents.message).toEqual({ id: reply, threadRootId: root });
    await reader.cancel();
  });

  it('keep a history page with thread summaries to a bounded number of statements', async () => {
    const c = await setUp(server());
    const statements = () => fewestStatements(c.s, () => c.s.ok(ThreadSummaries, { c: c.group }, { token: c.member.token }));
    const root = (await sent(c, 'root')).id;
    await sent(c, 'reply', root, c.member);
    const few = await statements();
    for (let i = 0; i < 10; i++) {
      const r = (await sent(c, `root ${i}`)).id;
      await sent(c, `reply ${i}`, r, i % 2 ? c.member : c.third);
    }
    expect(await statements()).toBe(few);
  });
});

const ThreadSummaries = graphql(`
  query ThreadSummaries($c: ID!) {
    messages(conversationId: $c, last: 50) {
      edges {
        node {
          id
          threadSummary {
            replyCount
            participants {
              id
              name
            }
          }
        }
      }
    }
  }
`);

const LiveThreadText = `subscription LiveThread($c: ID) { conversationEvents(conversationId: $c) { type message { id threadRootId } } }`;

describe('message(id)', () => {
  const server = useServer();

  it('reads one message of the viewer`s conversations, with its thread; null for anyone else', async () => {
    const s = server();
    const c = await setUp(s);
    const root = await sent(c, 'root');
    await sent(c, 'a reply', root.id, c.member);
    const one = await s.ok(OneMessage, { id: root.id }, { token: c.third.token });
    expect(one.message).toMatchObject({ id: root.id, content: 'root', threadSummary: { replyCount: 1 } });
    expect(one.message!.replies.edges.map((e) => e.node.content)).toEqual(['a reply']);
    const stranger = await s.user();
    expect((await s.ok(OneMessage, { id: root.id }, { token: stranger.token })).message).toBeNull();
    expect((await s.ok(OneMessage, { id: randomUUID() }, { token: c.owner.token })).message).toBeNull();
    expect(code(await s.gql(OneMessage, { id: root.id }))).toBe('UNAUTHENTICATED');
  });
});

const OneMessage = graphql(`
  query OneMessage($id: ID!) {
    message(id: $id) {
      id
      content
      threadSummary {
        replyCount
      }
      replies(last: 10) {
        edges {
          node {
            content
          }
        }
      }
    }
  }
`);

describe('the cost of replies', () => {
  const server = useServer();

  it('charges every message replies is selected on, so aliases of empty pages are no way around the budget', async () => {
    const s = server();
    const c = await setUp(s);
    const aliases = Array.from({ length: 28 }, (_, i) => `r${i}: replies(first: 0) { pageInfo { hasNextPage } }`).join(' ');
    const query = `{ conversations(first: 40) { edges { node { messages(last: 100) { edges { node { id ${aliases} } } } } } } }`;
    const refused = await s.gql(query, {}, { token: c.owner.token });
    expect(code(refused)).toBe('QUERY_TOO_COMPLEX');
    // One thread panel's worth is fine.
    const root = await sent(c, 'root');
    expect((await s.ok(OneMessage, { id: root.id }, { token: c.owner.token })).message!.replies.edges).toEqual([]);
  });
});
