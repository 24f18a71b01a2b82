// Mentions: @username resolved to members when a message is sent or edited -> Message.mentions,
// Conversation.unreadMentionCount, the viewer's mentions list; live over WebSocket; what must not count as a mention.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { fewestStatements } from './helpers/statements.ts';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { code, CreateGroup, Delete, Leave, MarkRead } from './messaging-ops.ts';

const SendMention = graphql(`
  mutation SendMention($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      mentions {
        id
        username
      }
    }
  }
`);

const EditMention = graphql(`
  mutation EditMention($id: ID!, $content: String!) {
    editMessage(id: $id, content: $content) {
      id
      mentions {
        id
      }
    }
  }
`);

const Mentions = graphql(`
  query Mentions($first: Int, $after: String, $c: ID!) {
    mentions(first: $first, after: $after) {
      edges {
        node {
          id
          content
          conversationId
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
    conversation(id: $c) {
      unreadMentionCount
    }
  }
`);

const LiveMentions = graphql(`
  subscription LiveMentions($c: ID) {
    conversationEvents(conversationId: $c) {
      type
      message {
        id
        mentions {
          id
          username
        }
      }
    }
  }
`);

type Ctx = {
  s: TestServer;
  owner: TestUser;
  ann: TestUser;
  bo: TestUser;
  group: string;
  names: { ann: string; bo: string; owner: string };
};

let serial = 0;
const uniqueName = (base: string) => `${base}_${Date.now().toString(36)}${(serial++).toString(36)}`;

async function setUp(s: TestServer, title = 'Mentions', clientId?: string): Promise<Ctx> {
  const names = { ann: uniqueName('ann'), bo: uniqueName('bo.b'), owner: uniqueName('own') };
  const [owner, ann, bo] = [
    await s.user({ username: names.owner, ...(clientId ? { clientId } : {}) }),
    await s.user({ username: names.ann, ...(clientId ? { clientId } : {}) }),
    await s.user({ username: names.bo, ...(clientId ? { clientId } : {}) }),
  ];
  const group = (await s.ok(CreateGroup, { title, memberIds: [ann.id, bo.id] }, { token: owner.token, ...(clientId ? { clientId } : {}) }))
    .createGroupConversation.id;
  return { s, owner, ann, bo, group, names };
}

const send = (c: Ctx, content: string, as = c.owner) =>
  c.s.ok(SendMention, { input: { conversationId: c.group, content } }, { token: as.token }).then((r) => r.sendMessage);
const mentionsOf = (c: Ctx, as: TestUser, vars: { first?: number; after?: string } = {}) =>
  c.s.ok(Mentions, { c: c.group, ...vars }, { token: as.token });

describe('mentions', () => {
  const server = useServer();

  it('name members by @username, in order, and nobody else', async () => {
    const s = server();
    const c = await setUp(s);
    const outsider = await s.user({ username: uniqueName('out') });
    const m = await send(
      c,
      `@${c.names.bo.toUpperCase()} and @${c.names.ann}. Not @${outsider.id.slice(0, 3)}zz, not @${c.names.owner} (me), ` +
        `not ann@${c.names.ann}.com, not x@${c.names.ann} nor @${(await s.services().prisma.user.findUniqueOrThrow({ where: { id: outsider.id } })).username}; @${c.names.ann} again`,
    );
    expect(m.mentions).toEqual([
      { id: c.bo.id, username: c.names.bo },
      { id: c.ann.id, username: c.names.ann },
    ]);
  });

  it('count unread mentions until read, and list them newest first across conversations', async () => {
    const s = server();
    const c = await setUp(s);
    const other = (await s.ok(CreateGroup, { title: 'Other', memberIds: [c.ann.id] }, { token: c.bo.token })).createGroupConversation.id;
    const first = await send(c, `hi @${c.names.ann}`);
    const plain = await send(c, 'no mention');
    const second = (
      await s.ok(SendMention, { input: { conversationId: other, content: `@${c.names.ann} over here` } }, { token: c.bo.token })
    ).sendMessage;
    const third = await send(c, `@${c.names.ann} @${c.names.bo} both`, c.bo);
    expect(plain.mentions).toEqual([]);

    let page = await mentionsOf(c, c.ann);
    expect(page.mentions.edges.map((e) => e.node.id)).toEqual([third.id, second.id, first.id]);
    expect(page.conversation!.unreadMentionCount).toBe(2);
    expect((await mentionsOf(c, c.bo)).conversation!.unreadMentionCount).toBe(0); // bo's own message
    // Pages.
    page = await mentionsOf(c, c.ann, { first: 2 });
    expect(page.mentions.edges.map((e) => e.node.id)).toEqual([third.id, second.id]);
    expect(page.mentions.pageInfo.hasNextPage).toBe(true);
    page = await mentionsOf(c, c.ann, { first: 2, after: page.mentions.pageInfo.endCursor! });
    expect(page.mentions.edges.map((e) => e.node.id)).toEqual([first.id]);
    expect(page.mentions.pageInfo.hasNextPage).toBe(false);

    await s.ok(MarkRead, { c: c.group }, { token: c.ann.token });
    expect((await mentionsOf(c, c.ann)).conversation!.unreadMentionCount).toBe(0);
    // Leaving a conversation takes its mentions out of the list.
    await s.ok(Leave, { c: other }, { token: c.ann.token });
    expect((await mentionsOf(c, c.ann)).mentions.edges.map((e) => e.node.id)).toEqual([third.id, first.id]);
  });

  it('are an empty list on a message without any, however the message is read', async () => {
    const c = await setUp(server());
    const m = await send(c, 'nobody named');
    const read = await c.s.ok(
      'query($id: ID!) { message(id: $id) { mentions { id } sender { id } conversation { id } threadSummary { replyCount } } }',
      { id: m.id },
      { token: c.ann.token },
    );
    expect(read).toMatchObject({ message: { mentions: [], threadSummary: null } });
  });

  it('follow edits and deletion', async () => {
    const c = await setUp(server());
    const m = await send(c, `hello @${c.names.ann}`);
    const edited = (await c.s.ok(EditMention, { id: m.id, content: `sorry, I meant @${c.names.bo}` }, { token: c.owner.token }))
      .editMessage;
    expect(edited.mentions).toEqual([{ id: c.bo.id }]);
    expect((await mentionsOf(c, c.ann)).mentions.edges).toEqual([]);
    expect((await mentionsOf(c, c.ann)).conversation!.unreadMentionCount).toBe(0);
    expect((await mentionsOf(c, c.bo)).mentions.edges.map((e) => e.node.id)).toEqual([m.id]);
    expect((await mentionsOf(c, c.bo)).conversation!.unreadMentionCount).toBe(1);
    await c.s.ok(Delete, { id: m.id }, { token: c.owner.token });
    expect((await mentionsOf(c, c.bo)).mentions.edges).toEqual([]);
    expect((await mentionsOf(c, c.bo)).conversation!.unreadMentionCount).toBe(0);
  });

  it('stay within the tenant and the conversation; a stranger reads no one`s mentions', async () => {
    const s = server();
    const c = await setUp(s);
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    // The same username in another tenant is another person.
    const twin = await s.user({ clientId: tenant, username: c.names.ann });
    const twinGroup = (
      await s.ok(
        CreateGroup,
        { title: 'Twin', memberIds: [twin.id] },
        { token: (await s.user({ clientId: tenant })).token, clientId: tenant },
      )
    ).createGroupConversation.id;
    const m = await send(c, `@${c.names.ann}`);
    expect(m.mentions.map((u) => u.id)).toEqual([c.ann.id]);
    const twins = await s.ok(Mentions, { c: twinGroup }, { token: twin.token, clientId: tenant });
    expect(twins.mentions.edges).toEqual([]);
    // A conversation the viewer is not in has no count for them (null conversation).
    const stranger = await s.user();
    const theirs = await s.gql(Mentions, { c: c.group }, { token: stranger.token });
    expect(theirs.data?.conversation ?? null).toBeNull();
    expect(theirs.data?.mentions.edges).toEqual([]);
    expect(code(await s.gql(Mentions, { c: c.group, first: 101 }, { token: c.ann.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(Mentions, { c: c.group, after: 'bad!' }, { token: c.ann.token }))).toBe('BAD_USER_INPUT');
  });

  it('reach subscribers live with the mentioned users', async () => {
    const c = await setUp(server());
    const live = subscribe(c.s.ws({ token: c.ann.token }), LiveMentions, { c: c.group });
    await allLive([live], () => send(c, 'probe'));
    const m = await send(c, `ping @${c.names.ann}`, c.bo);
    const got = await live.until((r) => r.data?.conversationEvents.message?.id === m.id);
    expect(got.data!.conversationEvents.message!.mentions).toEqual([{ id: c.ann.id, username: c.names.ann }]);
  });

  it('keep a history page with mentions to a bounded number of statements', async () => {
    const c = await setUp(server());
    const statements = () => fewestStatements(c.s, () => c.s.ok(MentionPage, { c: c.group }, { token: c.ann.token }));
    await send(c, `@${c.names.ann}`);
    const few = await statements();
    for (let i = 0; i < 10; i++) await send(c, i % 2 ? `@${c.names.ann} @${c.names.bo}` : `@${c.names.owner}`, i % 2 ? c.owner : c.bo);
    expect(await statements()).toBe(few);
  });
});

const MentionPage = graphql(`
  query MentionPage($c: ID!) {
    messages(conversationId: $c, last: 50) {
      edges {
        node {
          id
          mentions {
            id
            name
          }
        }
      }
    }
  }
`);
