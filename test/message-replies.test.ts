// Replies that quote a message: SendMessageInput.replyToId -> Message.replyTo, over HTTP, live over WebSocket and SSE,
// in history pages (bounded SQL), and the ids that must be refused.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { fewestStatements } from './helpers/statements.ts';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { code, CreateGroup, Delete, Edit } from './messaging-ops.ts';

const Reply = graphql(`
  mutation Reply($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      replyToId
      replyTo {
        id
        content
        deletedAt
        senderName
      }
    }
  }
`);

const Page = graphql(`
  query ReplyPage($c: ID!, $last: Int) {
    messages(conversationId: $c, last: $last) {
      edges {
        node {
          id
          content
          replyTo {
            id
            content
            sender {
              id
              name
            }
          }
        }
      }
    }
  }
`);

const LiveReplies = graphql(`
  subscription LiveReplies($c: ID) {
    conversationEvents(conversationId: $c) {
      type
      message {
        id
        replyTo {
          id
          content
        }
      }
    }
  }
`);

type Ctx = { s: TestServer; owner: TestUser; member: TestUser; group: string };

async function setUp(s: TestServer, title = 'Replies'): Promise<Ctx> {
  const [owner, member] = [await s.user(), await s.user()];
  const group = (await s.ok(CreateGroup, { title, memberIds: [member.id] }, { token: owner.token })).createGroupConversation.id;
  return { s, owner, member, group };
}

const send = (c: Ctx, content: string, replyToId?: string, as = c.owner, conversationId = c.group) =>
  c.s.gql(Reply, { input: { conversationId, content, ...(replyToId ? { replyToId } : {}) } }, { token: as.token });

describe('replies', () => {
  const server = useServer();

  it('quote a message of the conversation, shown as it is now: edited, then a tombstone', async () => {
    const c = await setUp(server());
    const quoted = (await send(c, 'original')).data!.sendMessage;
    const reply = (await send(c, 'answering', quoted.id, c.member)).data!.sendMessage;
    expect(reply.replyToId).toBe(quoted.id);
    expect(reply.replyTo).toEqual({ id: quoted.id, content: 'original', deletedAt: null, senderName: expect.any(String) });
    expect(quoted.replyTo).toBeNull();

    await c.s.ok(Edit, { id: quoted.id, content: 'edited' }, { token: c.owner.token });
    let page = await c.s.ok(Page, { c: c.group, last: 10 }, { token: c.member.token });
    expect(page.messages.edges.at(-1)!.node.replyTo).toMatchObject({ id: quoted.id, content: 'edited', sender: { id: c.owner.id } });

    await c.s.ok(Delete, { id: quoted.id }, { token: c.owner.token });
    page = await c.s.ok(Page, { c: c.group, last: 10 }, { token: c.member.token });
    expect(page.messages.edges.at(-1)!.node.replyTo).toMatchObject({ id: quoted.id, content: null });
  });

  it('refuse a message of another conversation, another tenant, a deleted or unknown one, and store nothing', async () => {
    const s = server();
    const c = await setUp(s);
    const other = await setUp(s, 'Other');
    const stranger = await setUp(s, 'Elsewhere');
    // The owner of c is a member of `mine` too: a message they can see, but of another conversation.
    const mine = (await s.ok(CreateGroup, { title: 'Mine', memberIds: [c.member.id] }, { token: c.owner.token })).createGroupConversation
      .id;
    const inMine = (await send(c, 'in another conversation', undefined, c.owner, mine)).data!.sendMessage.id;
    const inOther = (await send(other, 'not yours')).data!.sendMessage.id;
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    const [t1, t2] = [await s.user({ clientId: tenant }), await s.user({ clientId: tenant })];
    const tenantGroup = (await s.ok(CreateGroup, { title: 'Tenant', memberIds: [t2.id] }, { token: t1.token, clientId: tenant }))
      .createGroupConversation.id;
    const inTenant = (
      await s.ok(Reply, { input: { conversationId: tenantGroup, content: 'other tenant' } }, { token: t1.token, clientId: tenant })
    ).sendMessage.id;
    const deleted = (await send(c, 'soon gone')).data!.sendMessage.id;
    await s.ok(Delete, { id: deleted }, { token: c.owner.token });
    const before = await s.ok(Page, { c: c.group, last: 100 }, { token: c.owner.token });

    for (const replyToId of [inMine, inOther, inTenant, deleted, randomUUID(), 'not-a-uuid', stranger.group]) {
      const refused = await send(c, 'reply', replyToId);
      expect(refused.data).toBeNull();
      expect(code(refused)).toBe('NOT_FOUND');
      expect(refused.errors![0].extensions!.field).toBe('replyToId');
    }
    const after = await s.ok(Page, { c: c.group, last: 100 }, { token: c.owner.token });
    expect(after.messages.edges.length).toBe(before.messages.edges.length);
  });

  it('reach subscribers live with the quoted message, over WebSocket and SSE', async () => {
    const c = await setUp(server());
    const live = subscribe(c.s.ws({ token: c.member.token }), LiveReplies, { c: c.group });
    await allLive([live], () => send(c, 'probe'));
    const sse = await fetch(`${c.s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${c.member.token}` },
      body: JSON.stringify({ query: LiveRepliesText, variables: { c: c.group } }),
    });
    const reader = sse.body!.getReader();
    const quoted = (await send(c, 'quoted')).data!.sendMessage.id;
    const reply = (await send(c, 'live reply', quoted, c.member)).data!.sendMessage.id;
    const got = await live.until((r) => r.data?.conversationEvents.message?.id === reply);
    expect(got.data!.conversationEvents.message!.replyTo).toEqual({ id: quoted, content: 'quoted' });
    let text = '';
    while (!text.includes(reply)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    const frame = text.split('\n').find((line) => line.startsWith('data:') && line.includes(reply))!;
    expect(JSON.parse(frame.slice(5)).data.conversationEvents.message.replyTo).toEqual({ id: quoted, content: 'quoted' });
    await reader.cancel();
  });

  it('keep a history page with quoted messages and their senders to a bounded number of statements', async () => {
    const c = await setUp(server());
    const first = (await send(c, 'root')).data!.sendMessage.id;
    const statements = () => fewestStatements(c.s, () => c.s.ok(Page, { c: c.group, last: 50 }, { token: c.member.token }));
    for (let i = 0; i < 5; i++) await send(c, `reply ${i}`, first, c.member);
    const few = await statements();
    let previous = first;
    for (let i = 0; i < 30; i++) previous = (await send(c, `chain ${i}`, previous, i % 2 ? c.owner : c.member)).data!.sendMessage.id;
    expect(await statements()).toBe(few);
  });
});

const DeleteMe = graphql(`
  mutation DeleteMeForReplies($password: String!) {
    deleteAccount(password: $password)
  }
`);

// The same page twice: as the page's one statement answers it, and with `edits` selected, which no row in hand
// answers, so Prisma reads the whole page.
const QUOTE_SELECTION = 'replyTo { id content deletedAt senderName sender { id name username } }';
const QuotePage = `query QuotePage($c: ID!) { messages(conversationId: $c, last: 50) { edges { node {
  id content senderName ${QUOTE_SELECTION} } } } }`;
type QuotePageResult = { messages: { edges: { node: Record<string, unknown> }[] } };
const QuotePageByPrisma = QuotePage.replace('senderName replyTo', 'senderName edits { content } replyTo');

describe('quoted messages in a history page', () => {
  const server = useServer();

  it('are read by the page statement itself, as Prisma reads them: tombstones, deleted senders, none', async () => {
    const s = server();
    const [owner, member, gone] = [await s.user(), await s.user(), await s.user()];
    const group = (await s.ok(CreateGroup, { title: 'Quotes', memberIds: [member.id, gone.id] }, { token: owner.token }))
      .createGroupConversation.id;
    const c: Ctx = { s, owner, member, group };
    const byGone = (await send(c, 'from an account soon deleted', undefined, gone)).data!.sendMessage.id;
    const tombstone = (await send(c, 'soon a tombstone')).data!.sendMessage.id;
    const plain = (await send(c, 'plain', undefined, c.member)).data!.sendMessage.id;
    for (const quoted of [byGone, tombstone, plain, byGone]) await send(c, `quoting ${quoted}`, quoted, c.member);
    await c.s.ok(Delete, { id: tombstone }, { token: c.owner.token });
    await c.s.ok(DeleteMe, { password: gone.password }, { token: gone.token });

    const statements = (query: string) => fewestStatements(c.s, () => c.s.ok(query, { c: c.group }, { token: c.member.token }));
    const fromRows = await c.s.ok<QuotePageResult, { c: string }>(QuotePage, { c: c.group }, { token: c.member.token });
    const byPrisma = await c.s.ok<QuotePageResult, { c: string }>(QuotePageByPrisma, { c: c.group }, { token: c.member.token });
    expect(fromRows.messages.edges).toEqual(byPrisma.messages.edges.map(({ node: { edits: _edits, ...node } }) => ({ node })));
    const quotes = fromRows.messages.edges.map((e) => e.node.replyTo as { senderName: string; content: string | null } | null);
    expect(quotes.filter(Boolean).map((q) => [q!.senderName, q!.content])).toEqual([
      ['Deleted user', 'from an account soon deleted'],
      [expect.any(String), null],
      [expect.any(String), 'plain'],
      ['Deleted user', 'from an account soon deleted'],
    ]);
    // Quotes cost no statement of their own: the page with them runs as many as the page without.
    expect(await statements(QuotePage)).toBe(await statements(QuotePage.replace(QUOTE_SELECTION, '')));
  });
});

const LiveRepliesText = `subscription LiveReplies($c: ID) { conversationEvents(conversationId: $c) { type message { id replyTo { id content } } } }`;
