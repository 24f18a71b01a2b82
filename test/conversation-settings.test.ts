// Each member's own settings of a conversation: updateConversationSettings(muted, archived, pinned),
// Conversation.viewerSettings, and conversations(archived) listing pinned ones first.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { graphql } from './gql/index.ts';
import { code, CreateGroup, Send } from './messaging-ops.ts';

const Settings = graphql(`
  mutation Settings($c: ID!, $muted: Boolean, $archived: Boolean, $pinned: Boolean) {
    updateConversationSettings(conversationId: $c, muted: $muted, archived: $archived, pinned: $pinned) {
      id
      viewerSettings {
        muted
        archived
        pinned
      }
    }
  }
`);

const List = graphql(`
  query List($first: Int, $after: String, $archived: Boolean) {
    conversations(first: $first, after: $after, archived: $archived) {
      edges {
        node {
          id
          title
          viewerSettings {
            muted
            archived
            pinned
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

async function titles(s: TestServer, user: TestUser, archived?: boolean, first = 100): Promise<string[]> {
  const out: string[] = [];
  let after: string | null | undefined = undefined;
  for (;;) {
    const page: { edges: { node: { title?: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } } = (
      await s.ok(List, { first, after, archived }, { token: user.token })
    ).conversations;
    out.push(...page.edges.map((e) => e.node.title!));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

describe('conversation settings', () => {
  const server = useServer();

  async function setUp(s: TestServer, names: string[]) {
    const [me, other] = [await s.user(), await s.user()];
    const ids: Record<string, string> = {};
    for (const title of names) {
      ids[title] = (await s.ok(CreateGroup, { title, memberIds: [me.id] }, { token: other.token })).createGroupConversation.id;
      await s.ok(Send, { input: { conversationId: ids[title], content: `hello ${title}` } }, { token: other.token });
    }
    return { me, other, ids };
  }
  const send = (s: TestServer, who: TestUser, conversationId: string) =>
    s.ok(Send, { input: { conversationId, content: 'news' } }, { token: who.token });

  it('pins to the top for the viewer alone, in every page, newest pin first', async () => {
    const s = server();
    const { me, other, ids } = await setUp(s, ['a', 'b', 'c', 'd', 'e']);
    expect(await titles(s, me)).toEqual(['e', 'd', 'c', 'b', 'a']);
    const pinned = await s.ok(Settings, { c: ids.b, pinned: true }, { token: me.token });
    expect(pinned.updateConversationSettings.viewerSettings).toEqual({ muted: false, archived: false, pinned: true });
    await s.ok(Settings, { c: ids.d, pinned: true }, { token: me.token });
    // Pinned first (the latest pin first), then by activity; the same over pages of two.
    expect(await titles(s, me)).toEqual(['d', 'b', 'e', 'c', 'a']);
    expect(await titles(s, me, false, 2)).toEqual(['d', 'b', 'e', 'c', 'a']);
    await send(s, other, ids.a);
    expect(await titles(s, me, false, 2)).toEqual(['d', 'b', 'a', 'e', 'c']);
    // The other member's list is theirs.
    expect(await titles(s, other)).toEqual(['a', 'e', 'd', 'c', 'b']);
    await s.ok(Settings, { c: ids.d, pinned: false }, { token: me.token });
    expect(await titles(s, me)).toEqual(['b', 'a', 'e', 'd', 'c']);
  });

  it('archives until a new message arrives, unless muted; archived ones are listed apart', async () => {
    const s = server();
    const { me, other, ids } = await setUp(s, ['quiet', 'noisy', 'kept']);
    await s.ok(Settings, { c: ids.quiet, archived: true, muted: true }, { token: me.token });
    const archived = await s.ok(Settings, { c: ids.noisy, archived: true }, { token: me.token });
    expect(archived.updateConversationSettings.viewerSettings).toEqual({ muted: false, archived: true, pinned: false });
    expect(await titles(s, me)).toEqual(['kept']);
    expect(await titles(s, me, true)).toEqual(['noisy', 'quiet']);

    await send(s, other, ids.noisy);
    await send(s, other, ids.quiet);
    expect(await titles(s, me)).toEqual(['noisy', 'kept']);
    expect(await titles(s, me, true)).toEqual(['quiet']);
    const list = (await s.ok(List, { archived: true }, { token: me.token })).conversations.edges;
    expect(list[0].node.viewerSettings).toEqual({ muted: true, archived: true, pinned: false });

    // Unarchiving brings it back; leaving a setting out keeps it.
    const back = await s.ok(Settings, { c: ids.quiet, archived: false }, { token: me.token });
    expect(back.updateConversationSettings.viewerSettings).toEqual({ muted: true, archived: false, pinned: false });
    expect(await titles(s, me)).toEqual(['quiet', 'noisy', 'kept']);
  });

  it('refuses strangers, other tenants, unknown ids, bad cursors and a 21st pin', async () => {
    const s = server();
    const { me, ids } = await setUp(s, ['mine']);
    const stranger = await s.user();
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    const outsider = await s.user({ clientId: tenant });
    for (const [who, clientId, c] of [
      [stranger, undefined, ids.mine],
      [outsider, tenant, ids.mine],
      [me, undefined, randomUUID()],
    ] as const) {
      const refused = await s.gql(Settings, { c, pinned: true }, { token: who.token, clientId });
      expect(code(refused)).toBe('NOT_FOUND');
    }
    expect((await s.ok(List, {}, { token: me.token })).conversations.edges[0].node.viewerSettings.pinned).toBe(false);
    for (const after of [
      'garbage',
      Buffer.from('c:["not a date","x"]').toString('base64url'),
      Buffer.from('c:[1,2,3]').toString('base64url'),
    ]) {
      expect(code(await s.gql(List, { after }, { token: me.token }))).toBe('BAD_USER_INPUT');
    }

    const { me: busy, ids: many } = await setUp(
      s,
      Array.from({ length: 21 }, (_, i) => `g${i}`),
    );
    for (let i = 0; i < 20; i++) await s.ok(Settings, { c: many[`g${i}`], pinned: true }, { token: busy.token });
    const refused = await s.gql(Settings, { c: many.g20, pinned: true }, { token: busy.token });
    expect(code(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0].extensions!.reason).toBe('PIN_LIMIT');
    // Re-pinning a pinned one is not a new pin.
    await s.ok(Settings, { c: many.g0, pinned: true }, { token: busy.token });
  });

  it('costs one statement more for a page with viewerSettings, however long the page', async () => {
    const s = server();
    const { me } = await setUp(s, ['one', 'two']);
    const count = async () => {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = s.db.queryCount();
        await s.ok(List, {}, { token: me.token });
        samples.push(s.db.queryCount() - before);
      }
      return Math.min(...samples); // background work can add to one sample
    };
    const few = await count();
    const { other } = await setUp(s, []);
    for (let i = 0; i < 8; i++) await s.ok(CreateGroup, { title: `more ${i}`, memberIds: [other.id] }, { token: me.token });
    expect(await count()).toBe(few);
  });
});
