// Reactions: addReaction / removeReaction, Message.reactions (count, reactedByMe, users), REACTION_ADDED /
// REACTION_REMOVED events, one-emoji validation, the per-message cap, and the ids that must be refused.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { code, CreateGroup, Delete, Send } from './messaging-ops.ts';

const React = graphql(`
  mutation React($id: ID!, $emoji: String!) {
    addReaction(messageId: $id, emoji: $emoji) {
      id
      reactions {
        emoji
        count
        reactedByMe
        users {
          id
        }
      }
    }
  }
`);

const Unreact = graphql(`
  mutation Unreact($id: ID!, $emoji: String!) {
    removeReaction(messageId: $id, emoji: $emoji) {
      id
      reactions {
        emoji
        count
        reactedByMe
      }
    }
  }
`);

const History = graphql(`
  query ReactionHistory($c: ID!) {
    messages(conversationId: $c, last: 20) {
      edges {
        node {
          id
          reactions {
            emoji
            count
            reactedByMe
            users(first: 2) {
              name
            }
          }
        }
      }
    }
  }
`);

const ReactionEvents = graphql(`
  subscription ReactionEvents($c: ID) {
    conversationEvents(conversationId: $c) {
      type
      sequence
      user {
        id
      }
      reaction {
        emoji
      }
      message {
        id
      }
    }
  }
`);

type Ctx = { s: TestServer; owner: TestUser; a: TestUser; b: TestUser; group: string };

async function setUp(s: TestServer): Promise<Ctx> {
  const [owner, a, b] = [await s.user(), await s.user(), await s.user()];
  const group = (await s.ok(CreateGroup, { title: 'Reactions', memberIds: [a.id, b.id] }, { token: owner.token })).createGroupConversation
    .id;
  return { s, owner, a, b, group };
}
const send = async (c: Ctx, content = 'hello') =>
  (await c.s.ok(Send, { input: { conversationId: c.group, content } }, { token: c.owner.token })).sendMessage.id;
const lastSequence = async (c: Ctx) =>
  (
    await c.s.ok(
      graphql(`
        query ReactionSeq($id: ID!) {
          conversation(id: $id) {
            lastSequence
          }
        }
      `),
      { id: c.group },
      { token: c.owner.token },
    )
  ).conversation!.lastSequence;

describe('reactions', () => {
  const server = useServer();

  it('count per emoji in the order of their oldest reaction, say whether the viewer reacted, and go live; repeats change nothing', async () => {
    const c = await setUp(server());
    const live = subscribe(c.s.ws({ token: c.owner.token }), ReactionEvents, { c: c.group });
    await allLive([live], () => send(c, 'probe'));
    const id = await send(c);

    const first = await c.s.ok(React, { id, emoji: '👍' }, { token: c.a.token });
    expect(first.addReaction.reactions).toEqual([{ emoji: '👍', count: 1, reactedByMe: true, users: [{ id: c.a.id }] }]);
    const added = await live.until((r) => r.data?.conversationEvents.type === 'REACTION_ADDED');
    expect(added.data!.conversationEvents).toMatchObject({ user: { id: c.a.id }, reaction: { emoji: '👍' }, message: { id } });

    await c.s.ok(React, { id, emoji: '👍🏽' }, { token: c.b.token });
    await c.s.ok(React, { id, emoji: '👍' }, { token: c.b.token });
    const before = await lastSequence(c);
    await Promise.all(Array.from({ length: 4 }, () => c.s.ok(React, { id, emoji: '👍' }, { token: c.b.token })));
    expect(await lastSequence(c)).toBe(before);

    const page = await c.s.ok(History, { c: c.group }, { token: c.owner.token });
    const reactions = page.messages.edges.find((e) => e.node.id === id)!.node.reactions;
    expect(reactions.map((r) => [r.emoji, r.count, r.reactedByMe, r.users.length])).toEqual([
      ['👍', 2, false, 2],
      ['👍🏽', 1, false, 1],
    ]);

    const removed = await c.s.ok(Unreact, { id, emoji: '👍' }, { token: c.a.token });
    // 👍's oldest reaction left is now b's, made after their 👍🏽: the order follows the reactions still there.
    expect(removed.removeReaction.reactions).toEqual([
      { emoji: '👍🏽', count: 1, reactedByMe: false },
      { emoji: '👍', count: 1, reactedByMe: false },
    ]);
    const gone = await live.until((r) => r.data?.conversationEvents.type === 'REACTION_REMOVED');
    expect(gone.data!.conversationEvents).toMatchObject({ user: { id: c.a.id }, reaction: { emoji: '👍' } });
    const afterRemove = await lastSequence(c);
    await c.s.ok(Unreact, { id, emoji: '👍' }, { token: c.a.token });
    expect(await lastSequence(c)).toBe(afterRemove);
  });

  it('take exactly one emoji: sequences and flags yes, text, pairs and invisible characters no', async () => {
    const c = await setUp(server());
    const id = await send(c);
    for (const emoji of ['👩‍💻', '🇫🇷', '❤️', '❤', '1️⃣', '👨‍👩‍👧‍👦']) await c.s.ok(React, { id, emoji }, { token: c.a.token });
    const before = await lastSequence(c);
    for (const emoji of ['', 'a', ':)', '👍👍', '👍 ', '\u200d', '\u202e👍', 'x'.repeat(5000), '<img src=x>']) {
      const refused = await c.s.gql(React, { id, emoji }, { token: c.a.token });
      expect(code(refused), JSON.stringify(emoji)).toBe('BAD_USER_INPUT');
    }
    expect(await lastSequence(c)).toBe(before);
  });

  it('refuse strangers, other tenants, unknown and deleted messages, and a 21st emoji', async () => {
    const s = server();
    const c = await setUp(s);
    const id = await send(c);
    const stranger = await s.user();
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    const outsider = await s.user({ clientId: tenant });
    for (const [who, clientId, messageId] of [
      [stranger, undefined, id],
      [outsider, tenant, id],
      [c.a, undefined, randomUUID()],
    ] as const) {
      expect(code(await s.gql(React, { id: messageId, emoji: '👍' }, { token: who.token, clientId }))).toBe('NOT_FOUND');
      expect(code(await s.gql(Unreact, { id: messageId, emoji: '👍' }, { token: who.token, clientId }))).toBe('NOT_FOUND');
    }
    const doomed = await send(c, 'doomed');
    await s.ok(React, { id: doomed, emoji: '🔥' }, { token: c.a.token });
    await s.ok(Delete, { id: doomed }, { token: c.owner.token });
    expect(code(await s.gql(React, { id: doomed, emoji: '👍' }, { token: c.a.token }))).toBe('BAD_USER_INPUT');
    const page = await s.ok(History, { c: c.group }, { token: c.owner.token });
    expect(page.messages.edges.find((e) => e.node.id === doomed)!.node.reactions).toEqual([]);

    const emoji = [
      '😀',
      '😁',
      '😂',
      '🤣',
      '😃',
      '😄',
      '😅',
      '😆',
      '😉',
      '😊',
      '😋',
      '😎',
      '😍',
      '😘',
      '🥰',
      '😗',
      '😙',
      '😚',
      '🙂',
      '🤗',
      '🤩',
    ];
    for (const e of emoji.slice(0, 20)) await s.ok(React, { id, emoji: e }, { token: c.a.token });
    const refused = await s.gql(React, { id, emoji: emoji[20] }, { token: c.b.token });
    expect(code(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0].extensions!.reason).toBe('REACTION_LIMIT');
    await s.ok(React, { id, emoji: emoji[0] }, { token: c.b.token }); // an emoji already there is not a new one
  });

  it('keep a history page with reactions and reactors to a bounded number of statements', async () => {
    const c = await setUp(server());
    const ids = [await send(c, 'one')];
    const count = async () => {
      const samples: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = c.s.db.queryCount();
        await c.s.ok(History, { c: c.group }, { token: c.owner.token });
        samples.push(c.s.db.queryCount() - before);
      }
      return Math.min(...samples); // background work can add to one sample
    };
    await c.s.ok(React, { id: ids[0], emoji: '👍' }, { token: c.a.token });
    const few = await count();
    for (let i = 0; i < 10; i++) {
      const id = await send(c, `m${i}`);
      for (const [who, e] of [
        [c.a, '🎉'],
        [c.b, '🎉'],
        [c.owner, '👀'],
      ] as const)
        await c.s.ok(React, { id, emoji: e }, { token: who.token });
    }
    expect(await count()).toBe(few);
  });
});
