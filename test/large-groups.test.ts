// Large groups: past LARGE_GROUP_MEMBERS a group's events reach its members' inboxes through the group's own topic
// (which the inboxes of connected members follow) instead of one publish per member; joining, leaving and a group
// growing past the line while inboxes are open; Conversation.memberCount kept by the database; the limits; and a
// group of 10,000 members. Publishes are counted by parley_events_published_total{topic}.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useServer, useTwoInstances, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { code } from './messaging-ops.ts';

const CREATE = 'mutation($t: String!, $m: [ID!]!) { createGroupConversation(title: $t, memberIds: $m) { id memberCount } }';
const ADD = 'mutation($c: ID!, $u: [ID!]!) { addMembers(conversationId: $c, userIds: $u) { id memberCount } }';
const REMOVE = 'mutation($c: ID!, $u: ID!) { removeMember(conversationId: $c, userId: $u) { id memberCount } }';
const SEND = 'mutation($c: ID!, $text: String!) { sendMessage(input: { conversationId: $c, content: $text }) { id } }';
const COUNT = 'query($c: ID!) { conversation(id: $c) { memberCount members { user { id } } } }';
const INBOX = 'subscription { conversationEvents { type conversationId user { id } message { id content } } }';
const DELETE_ME = 'mutation($p: String!) { deleteAccount(password: $p) }';

type InboxEvent = {
  conversationEvents: { type: string; conversationId: string; user: { id: string } | null; message: { id: string } | null };
};
type Vars = Record<string, unknown>;

const group = async (s: TestServer, owner: TestUser, members: TestUser[], t = 'Crowd') =>
  (await s.ok<{ createGroupConversation: { id: string } }, Vars>(CREATE, { t, m: members.map((m) => m.id) }, { token: owner.token }))
    .createGroupConversation.id;
const send = async (s: TestServer, by: TestUser, c: string, text: string) =>
  (await s.ok<{ sendMessage: { id: string } }, Vars>(SEND, { c, text }, { token: by.token })).sendMessage.id;
/** How many events the server has published on members' own topics so far. */
async function userPublishes(s: TestServer): Promise<number> {
  const counter = s.services().metrics.registry.getSingleMetric('parley_events_published_total')!;
  return (await counter.get()).values.find((v) => v.labels.topic === 'user:event')?.value ?? 0;
}

/** A member's inbox, proven live with a message in a conversation of theirs. */
async function inbox(s: TestServer, user: TestUser, probeIn: string, prober: TestUser): Promise<Subscription<InboxEvent>> {
  const sub = subscribe<InboxEvent, Vars>(s.ws({ token: user.token }), INBOX);
  await sub.live(() => send(s, prober, probeIn, 'probe'));
  return sub;
}
const messageArrives = (sub: Subscription<InboxEvent>, id: string) => sub.until((e) => e.data?.conversationEvents.message?.id === id);

describe('large groups', () => {
  const server = useServer({ LARGE_GROUP_MEMBERS: '3' });

  it('reach connected members through the group topic, with no publish per member; a small group publishes per member', async () => {
    const s = server();
    const [owner, ...rest] = await Promise.all(Array.from({ length: 6 }, () => s.user()));
    const crowd = await group(s, owner, rest);
    const small = await group(s, owner, rest.slice(0, 2), 'Small');
    const [a, b] = [await inbox(s, rest[0], crowd, owner), await inbox(s, rest[1], crowd, owner)];

    let before = await userPublishes(s);
    const id = await send(s, owner, crowd, 'to the crowd');
    await Promise.all([messageArrives(a, id), messageArrives(b, id)]);
    expect((await userPublishes(s)) - before).toBe(0);

    before = await userPublishes(s);
    const toSmall = await send(s, owner, small, 'to the few');
    await Promise.all([messageArrives(a, toSmall), messageArrives(b, toSmall)]);
    expect((await userPublishes(s)) - before).toBe(3);
  });

  it('follow a group that grows large, one joined while connected, and stop at being removed', async () => {
    const s = server();
    const [owner, ann, bea, dan] = await Promise.all(Array.from({ length: 4 }, () => s.user()));
    const crowd = await group(s, owner, [ann, bea]); // 3 members: not large yet
    const dansOwn = await group(s, owner, [dan], 'Dan');
    const annInbox = await inbox(s, ann, crowd, owner);
    const danInbox = await inbox(s, dan, dansOwn, owner);

    // Dan joins: 4 members, large from now on. Ann's inbox and Dan's hear of it, and of what comes after.
    await s.ok(ADD, { c: crowd, u: [dan.id] }, { token: owner.token });
    const joined = (e: { data?: InboxEvent | null }) =>
      e.data?.conversationEvents.type === 'MEMBER_JOINED' && e.data.conversationEvents.user?.id === dan.id;
    await Promise.all([annInbox.until(joined), danInbox.until(joined)]);
    const before = await userPublishes(s);
    const big = await send(s, owner, crowd, 'large now');
    await Promise.all([messageArrives(annInbox, big), messageArrives(danInbox, big)]);
    expect((await userPublishes(s)) - before).toBe(0);

    // Removed: Dan hears of his own removal, then nothing more of the group.
    await s.ok(REMOVE, { c: crowd, u: dan.id }, { token: owner.token });
    await danInbox.until((e) => e.data?.conversationEvents.type === 'MEMBER_LEFT' && e.data.conversationEvents.conversationId === crowd);
    const after = await send(s, owner, crowd, 'not for Dan');
    const marker = await send(s, owner, dansOwn, 'marker');
    await messageArrives(annInbox, after);
    const seen: string[] = [];
    await danInbox.until((e) => {
      seen.push(e.data?.conversationEvents.message?.id ?? '');
      return e.data?.conversationEvents.message?.id === marker;
    });
    expect(seen).not.toContain(after);
  });

  it('keep following a group left and joined again at once, and one shrunk below the line by a deleted account', async () => {
    const s = server();
    const [owner, ann, bea, cal] = await Promise.all(Array.from({ length: 4 }, () => s.user()));
    const crowd = await group(s, owner, [ann, bea, cal]); // 4 members: large
    const annInbox = await inbox(s, ann, crowd, owner);
    await s.ok(REMOVE, { c: crowd, u: ann.id }, { token: owner.token });
    await s.ok(ADD, { c: crowd, u: [ann.id] }, { token: owner.token });
    await messageArrives(annInbox, await send(s, owner, crowd, 'welcome back'));

    // The sends above left this instance sure the group is large; a deleted account makes it 3 without an event.
    await s.ok(DELETE_ME, { p: cal.password }, { token: cal.token });
    // Bea's inbox opens now, when the count says small: it still hears of the group (proven live by sends to it).
    const beaInbox = await inbox(s, bea, crowd, owner);
    await messageArrives(beaInbox, await send(s, owner, crowd, 'still heard'));
  });

  it('count members in the database: adds, removals, leaving, a deleted account', async () => {
    const s = server();
    const [owner, ...rest] = await Promise.all(Array.from({ length: 6 }, () => s.user()));
    const c = await group(s, owner, rest.slice(0, 3));
    const counted = async () => {
      const { conversation } = await s.ok<{ conversation: { memberCount: number; members: unknown[] } }, Vars>(
        COUNT,
        { c },
        { token: owner.token },
      );
      expect(conversation.memberCount).toBe(conversation.members.length);
      return conversation.memberCount;
    };
    expect(await counted()).toBe(4);
    await s.ok(ADD, { c, u: [rest[3].id, rest[4].id] }, { token: owner.token });
    expect(await counted()).toBe(6);
    await s.ok(REMOVE, { c, u: rest[4].id }, { token: owner.token });
    expect(await counted()).toBe(5);
    await s.ok(DELETE_ME, { p: rest[0].password }, { token: rest[0].token });
    expect(await counted()).toBe(4);
  });

  it('refuse more than 1,000 people in one call, before reading any of them', async () => {
    const s = server();
    const owner = await s.user();
    const c = await group(s, owner, [await s.user()]);
    const many = Array.from({ length: 1001 }, () => randomUUID());
    const add = await s.gql(ADD, { c, u: many }, { token: owner.token });
    expect(code(add)).toBe('BAD_USER_INPUT');
    expect(add.errors![0].extensions!.field).toBe('userIds');
    const create = await s.gql(CREATE, { t: 'Too many', m: many }, { token: owner.token });
    expect(code(create)).toBe('BAD_USER_INPUT');
    expect(create.errors![0].extensions!.field).toBe('memberIds');
  });
});

describe('a group of 10,000 members', () => {
  const server = useServer();

  it(
    'is built 1,000 at a time, reaches its connected members with no publish per member, and takes no one more',
    { timeout: 180_000 },
    async () => {
      const s = server();
      const [owner, ...connected] = await Promise.all(Array.from({ length: 4 }, () => s.user()));
      const { tenantId } = await s.db.prisma.user.findUniqueOrThrow({ where: { id: owner.id } });
      const run = randomUUID().slice(0, 8);
      const seeded = Array.from({ length: 9_996 }, (_, i) => ({
        id: randomUUID(),
        tenantId,
        email: `crowd-${run}-${i}@example.com`,
        name: `Crowd ${i}`,
        username: `crowd_${run}_${i}`,
        passwordHash: 'not-a-hash',
      }));
      await s.db.prisma.user.createMany({ data: seeded });
      const ids = [...connected.map((u) => u.id), ...seeded.map((u) => u.id)];
      const c = await group(s, owner, [], 'Ten thousand');
      for (let i = 0; i < ids.length; i += 1000) await s.ok(ADD, { c, u: ids.slice(i, i + 1000) }, { token: owner.token });
      expect((await s.db.prisma.conversation.findUniqueOrThrow({ where: { id: c } })).memberCount).toBe(10_000);

      const inboxes = await Promise.all(connected.map((u) => inbox(s, u, c, owner)));
      const before = await userPublishes(s);
      const id = await send(s, owner, c, 'hello, everyone');
      await Promise.all(inboxes.map((sub) => messageArrives(sub, id)));
      expect((await userPublishes(s)) - before).toBe(0);

      const one = await s.user();
      const refused = await s.gql(ADD, { c, u: [one.id] }, { token: owner.token });
      expect(code(refused)).toBe('BAD_USER_INPUT');
      expect(refused.errors![0].message).toContain('10000');
    },
  );
});

describe.skipIf(!process.env.TEST_REDIS_URL)('large groups across two instances', () => {
  const pair = useTwoInstances({ LARGE_GROUP_MEMBERS: '3' });

  it('a message sent on A reaches inboxes on B; a member added on A while connected to B follows from then on', async () => {
    const { a, b } = pair();
    const [owner, ...rest] = await Promise.all(Array.from({ length: 5 }, () => a.user()));
    const [ann, bea, cal, dan] = rest;
    const crowd = await group(a, owner, [ann, bea, cal]); // 4 members: large
    const dansOwn = await group(a, owner, [dan], 'Dan');
    const annOnB = await inbox(b, ann, crowd, owner);
    const danOnB = await inbox(b, dan, dansOwn, owner);

    const before = await userPublishes(a);
    const id = await send(a, owner, crowd, 'from A');
    await messageArrives(annOnB, id);
    expect((await userPublishes(a)) - before).toBe(0);

    await a.ok(ADD, { c: crowd, u: [dan.id] }, { token: owner.token });
    const next = await send(a, owner, crowd, 'Dan hears this on B');
    await messageArrives(danOnB, next);
  });
});
