import { describe, expect, it } from 'vitest';
import type { ExecutionResult } from 'graphql';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { makeContacts } from './helpers/conversations.ts';
import { allLive, subscribe, type Subscription } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import {
  AddMembers,
  code,
  ConversationQ,
  CreateGroup,
  Delete,
  Edit,
  Events,
  MarkRead,
  RemoveMember,
  Send,
  StartDirect,
} from './messaging-ops.ts';

const LastSequence = graphql(`
  query LastSequence($id: ID!) {
    conversation(id: $id) {
      id
      lastSequence
      unreadCount
    }
  }
`);

type EventResult = ExecutionResult<{
  conversationEvents: {
    type: string;
    sequence: number;
    conversationId: string;
    readUpTo?: number | null;
    message?: { id: string; content?: string | null; deletedAt?: string | null } | null;
    user?: { id: string } | null;
  };
}>;
const ev = (r: EventResult) => {
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data!.conversationEvents;
};

const Personal = graphql(`
  subscription Personal($c: ID, $after: Int) {
    conversationEvents(conversationId: $c, afterSequence: $after) {
      sequence
      message {
        id
        clientMessageId
      }
      conversation {
        title
        unreadCount
      }
    }
  }
`);

const Full = graphql(`
  subscription Full($c: ID, $after: Int) {
    conversationEvents(conversationId: $c, afterSequence: $after) {
      type
      sequence
      message {
        id
        content
        createdAt
        editedAt
        clientMessageId
        senderName
        sender {
          id
          name
          username
          image
          createdAt
          email
        }
      }
      user {
        id
        name
        emailVerified
      }
    }
  }
`);
const More = graphql(`
  subscription More($c: ID, $after: Int) {
    conversationEvents(conversationId: $c, afterSequence: $after) {
      sequence
      message {
        id
        content
        edits {
          content
        }
        conversation {
          title
        }
      }
      member {
        role
      }
    }
  }
`);

/** The server's count of subscription event executions, by kind (shared, reused, own). */
async function executions(s: TestServer): Promise<Record<string, number>> {
  const body = await (await fetch(`${s.url}/metrics`)).text();
  const out: Record<string, number> = { shared: 0, reused: 0, own: 0 };
  for (const m of body.matchAll(/^parley_subscription_event_executions_total\{kind="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** SQL statements the server ran between a send and the last subscriber receiving it (fewest of three sends). */
async function sqlPerSend(s: TestServer, sender: TestUser, conversationId: string, subs: Subscription<unknown>[]) {
  const used: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = s.db.queryCount();
    const sent = (await s.ok(Send, { input: { conversationId, content: `count ${i}` } }, { token: sender.token })).sendMessage;
    const got = await Promise.all(subs.map((sub) => sub.until((r) => ev(r as EventResult).message?.id === sent.id)));
    expect(got.map((r) => ev(r as EventResult).message?.content)).toEqual(subs.map(() => `count ${i}`));
    used.push(s.db.queryCount() - before);
  }
  return Math.min(...used);
}

async function lastSequence(s: TestServer, u: TestUser, id: string) {
  return (await s.ok(LastSequence, { id }, { token: u.token })).conversation!.lastSequence;
}

/** The first result of a subscription expected to fail: the error code, from a result or from the socket. */
async function subscriptionError(sub: Subscription<unknown>): Promise<unknown> {
  const result = await Promise.race([sub.next(), sub.ended().then((e) => ({ errors: [e as { extensions?: Record<string, unknown> }] }))]);
  return code(result as never) ?? (result as { errors?: { message?: string }[] }).errors?.[0];
}

describe('conversation events over graphql-ws', () => {
  const server = useServer();

  it('delivers messages live and in order, with edit, delete and read events', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    await makeContacts(s, a, b); // accepted: more messages than a message request allows
    const conv = (await s.ok(StartDirect, { userId: b.id }, { token: a.token })).startDirectConversation;
    const sub = subscribe(s.ws({ token: b.token }), Events, { c: conv.id, after: conv.lastSequence });
    const sent = [];
    for (let i = 1; i <= 5; i++)
      sent.push((await s.ok(Send, { input: { conversationId: conv.id, content: `n${i}` } }, { token: a.token })).sendMessage);
    const got = (await sub.take(5)).map(ev);
    expect(got.map((e) => [e.type, e.message?.content, e.user?.id])).toEqual(sent.map((m) => ['MESSAGE_ADDED', m.content, a.id]));
    expect(got.map((e) => e.sequence)).toEqual(sent.map((m) => m.sequence));
    await s.ok(Edit, { id: sent[0].id, content: 'n1 (edited)' }, { token: a.token });
    await s.ok(Delete, { id: sent[1].id }, { token: a.token });
    await s.ok(MarkRead, { c: conv.id, upTo: sent[4].id }, { token: b.token });
    const more = (await sub.take(3)).map(ev);
    expect(more.map((e) => e.type)).toEqual(['MESSAGE_EDITED', 'MESSAGE_DELETED', 'READ']);
    expect(more[0].message).toMatchObject({ id: sent[0].id, content: 'n1 (edited)' });
    expect(more[1].message).toMatchObject({ id: sent[1].id, content: null });
    expect(more[2]).toMatchObject({ readUpTo: sent[4].sequence, user: { id: b.id } });
    expect(more.map((e) => e.sequence)).toEqual([sent[4].sequence + 1, sent[4].sequence + 2, sent[4].sequence + 3]);
  });

  it('resumes after a disconnect with afterSequence: everything missed, once, then live', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    await makeContacts(s, a, b); // accepted: more messages than a message request allows
    const conv = (await s.ok(StartDirect, { userId: b.id }, { token: a.token })).startDirectConversation;
    const client = s.ws({ token: b.token });
    const sub = subscribe(client, Events, { c: conv.id, after: conv.lastSequence });
    await s.ok(Send, { input: { conversationId: conv.id, content: 'before' } }, { token: a.token });
    const seen = ev(await sub.next()).sequence;
    await client.dispose();
    const missed = [];
    for (let i = 0; i < 4; i++)
      missed.push((await s.ok(Send, { input: { conversationId: conv.id, content: `missed ${i}` } }, { token: a.token })).sendMessage);
    await s.ok(Edit, { id: missed[0].id, content: 'missed 0 (edited)' }, { token: a.token });
    const resumed = subscribe(s.ws({ token: b.token }), Events, { c: conv.id, after: seen });
    const replay = (await resumed.take(5)).map(ev);
    expect(replay.map((e) => e.sequence)).toEqual([seen + 1, seen + 2, seen + 3, seen + 4, seen + 5]);
    expect(replay.map((e) => e.type)).toEqual(['MESSAGE_ADDED', 'MESSAGE_ADDED', 'MESSAGE_ADDED', 'MESSAGE_ADDED', 'MESSAGE_EDITED']);
    const live = (await s.ok(Send, { input: { conversationId: conv.id, content: 'live again' } }, { token: a.token })).sendMessage;
    expect(ev(await resumed.next())).toMatchObject({ sequence: live.sequence, message: { content: 'live again' } });
    expect(resumed.buffered()).toBe(0);
  });

  it('has no gap and no duplicate at the seam while sends race the subscription', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    await makeContacts(s, a, b); // accepted: more messages than a message request allows
    const conv = (await s.ok(StartDirect, { userId: b.id }, { token: a.token })).startDirectConversation;
    const total = 30;
    const sends = Array.from({ length: total }, (_, i) =>
      s.ok(Send, { input: { conversationId: conv.id, content: `race ${i}` } }, { token: i % 2 ? a.token : b.token }),
    );
    const sub = subscribe(s.ws({ token: b.token }), Events, { c: conv.id, after: conv.lastSequence });
    await Promise.all(sends);
    const got = (await sub.take(total)).map((r) => ev(r).sequence);
    expect(got).toEqual(Array.from({ length: total }, (_, i) => conv.lastSequence + 1 + i));
    const marker = (await s.ok(Send, { input: { conversationId: conv.id, content: 'marker' } }, { token: a.token })).sendMessage;
    expect(ev(await sub.next()).sequence).toBe(marker.sequence); // nothing repeated before it
  });

  it('keeps unread counts and order exact under many concurrent sends from both sides', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const conv = await makeContacts(s, a, b);
    const perSide = 20;
    await Promise.all(
      Array.from({ length: perSide * 2 }, (_, i) =>
        s.ok(Send, { input: { conversationId: conv, content: `c${i}`, clientMessageId: `c${i}` } }, { token: i % 2 ? a.token : b.token }),
      ),
    );
    const messages = await s.db.prisma.message.findMany({ where: { conversationId: conv }, orderBy: { sequence: 'asc' } });
    expect(messages).toHaveLength(perSide * 2);
    expect(new Set(messages.map((m) => m.sequence)).size).toBe(perSide * 2);
    const times = messages.map((m) => m.createdAt.getTime());
    expect(times).toEqual([...times].sort((x, y) => x - y)); // time order agrees with sequence order
    expect((await s.ok(ConversationQ, { id: conv }, { token: a.token })).conversation?.unreadCount).toBe(perSide);
    expect((await s.ok(ConversationQ, { id: conv }, { token: b.token })).conversation?.unreadCount).toBe(perSide);
    // b reads up to the 10th message while both keep sending; unread is exactly what a sent after it.
    const mid = messages[9];
    await Promise.all([
      s.ok(MarkRead, { c: conv, upTo: mid.id }, { token: b.token }),
      ...Array.from({ length: 10 }, (_, i) =>
        s.ok(Send, { input: { conversationId: conv, content: `late ${i}` } }, { token: i % 2 ? a.token : b.token }),
      ),
    ]);
    const fromA = await s.db.prisma.message.count({ where: { conversationId: conv, senderId: a.id, sequence: { gt: mid.sequence } } });
    expect((await s.ok(ConversationQ, { id: conv }, { token: b.token })).conversation?.unreadCount).toBe(fromA);
    const events = await s.db.prisma.conversationEvent.findMany({ where: { conversationId: conv }, orderBy: { sequence: 'asc' } });
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1)); // one counter, no holes
    expect(await lastSequence(s, a, conv)).toBe(events.length);
  });

  it('streams the inbox without conversationId, including conversations created after subscribing', async () => {
    const s = server();
    const [a, b, c] = [await s.user(), await s.user(), await s.user()];
    const existing = await makeContacts(s, a, c);
    const inbox = subscribe(s.ws({ token: c.token }), Events, {});
    await inbox.live(() => s.ok(Send, { input: { conversationId: existing, content: 'probe' } }, { token: a.token }));
    const group = (await s.ok(CreateGroup, { title: 'New', memberIds: [b.id, c.id] }, { token: a.token })).createGroupConversation;
    await s.ok(Send, { input: { conversationId: group.id, content: 'welcome' } }, { token: b.token });
    // A conversation joined after subscribing streams from the viewer's own MEMBER_JOINED (history is in `messages`).
    const joined = ev(await inbox.until((r) => ev(r).conversationId === group.id));
    expect(joined).toMatchObject({ type: 'MEMBER_JOINED', sequence: 3, user: { id: c.id } });
    const welcome = ev(await inbox.until((r) => ev(r).conversationId === group.id));
    expect(welcome).toMatchObject({ type: 'MESSAGE_ADDED', sequence: 4, message: { content: 'welcome' } });
  });

  it('stops a removed member at once: they get their MEMBER_LEFT and nothing after', async () => {
    const s = server();
    const [owner, m, other] = [await s.user(), await s.user(), await s.user()];
    const group = (await s.ok(CreateGroup, { title: 'G', memberIds: [m.id, other.id] }, { token: owner.token })).createGroupConversation.id;
    const after = await lastSequence(s, owner, group);
    const convSub = subscribe(s.ws({ token: m.token }), Events, { c: group, after });
    const inbox = subscribe(s.ws({ token: m.token }), Events, {});
    const side = await makeContacts(s, other, m);
    await inbox.live(() => s.ok(Send, { input: { conversationId: side, content: 'probe' } }, { token: other.token }));
    await s.ok(RemoveMember, { c: group, u: m.id }, { token: owner.token });
    await s.ok(Send, { input: { conversationId: group, content: 'after removal' } }, { token: owner.token });
    expect(ev(await convSub.next())).toMatchObject({ type: 'MEMBER_LEFT', user: { id: m.id } });
    expect(await convSub.ended()).toBeUndefined(); // completed by the server
    expect(ev(await inbox.until((r) => ev(r).conversationId === group))).toMatchObject({ type: 'MEMBER_LEFT', user: { id: m.id } });
    const marker = (await s.ok(Send, { input: { conversationId: side, content: 'marker' } }, { token: other.token })).sendMessage;
    const next = ev(await inbox.until((r) => ev(r).conversationId === group || ev(r).message?.id === marker.id));
    expect(next.message?.id).toBe(marker.id); // the group's message never arrived
    // Resubscribing is refused.
    expect(await subscriptionError(subscribe(s.ws({ token: m.token }), Events, { c: group, after: 0 }))).toBe('NOT_FOUND');
  });

  it('loads what an event points at once, however many subscribers receive it', async () => {
    const s = server();
    const [owner, ...members] = await Promise.all(Array.from({ length: 4 }, () => s.user()));
    const group = (await s.ok(CreateGroup, { title: 'Many', memberIds: members.map((m) => m.id) }, { token: owner.token }))
      .createGroupConversation.id;
    const after = await lastSequence(s, owner, group);
    const one = [subscribe(s.ws({ token: members[0].token }), Events, { c: group, after })];
    await one[0].live(() => s.ok(Send, { input: { conversationId: group, content: 'probe' } }, { token: owner.token }));
    const alone = await sqlPerSend(s, owner, group, one);
    const many = Array.from({ length: 24 }, (_, i) =>
      subscribe(s.ws({ token: members[i % members.length].token }), Events, { c: group, after }),
    );
    await allLive(many, () => s.ok(Send, { input: { conversationId: group, content: 'probe' } }, { token: owner.token }));
    expect(await sqlPerSend(s, owner, group, [...one, ...many])).toBe(alone);
  });

  it("executes an event once for every member's inbox, also when each inbox topic is a message of its own (Redis)", async () => {
    const s = server();
    const [owner, ...members] = await Promise.all(Array.from({ length: 5 }, () => s.user()));
    const group = (await s.ok(CreateGroup, { title: 'Inboxes', memberIds: members.map((m) => m.id) }, { token: owner.token }))
      .createGroupConversation.id;
    const send = (content: string) => s.ok(Send, { input: { conversationId: group, content } }, { token: owner.token });
    const inboxes = members.map((m) => subscribe(s.ws({ token: m.token }), Events, {}));
    await allLive(inboxes, () => send('probe'));
    const everyoneGot = async (id: string) => Promise.all(inboxes.map((sub) => sub.until((r) => ev(r).message?.id === id)));
    await everyoneGot((await send('marker')).sendMessage.id);
    const before = await executions(s);
    const got = await everyoneGot((await send('counted')).sendMessage.id);
    expect(got.map((r) => ev(r).message?.content)).toEqual(members.map(() => 'counted'));
    const after = await executions(s);
    // The four inboxes are one group (the same document and variables): one shared execution, which all four send.
    expect({ own: after.own - before.own, shared: after.shared - before.shared, reused: after.reused - before.reused }).toEqual({
      own: 0,
      shared: 1,
      reused: 4,
    });
  });

  it("answers a live message's event from the rows it was written with: no SQL to deliver it, the same fields as the log", async () => {
    const s = server();
    const [owner, member] = [await s.user(), await s.user()];
    await makeContacts(s, owner, member); // so the sender's email is shown (a shared group makes no contacts)
    const group = (await s.ok(CreateGroup, { title: 'Rows', memberIds: [member.id] }, { token: owner.token })).createGroupConversation.id;
    const quiet = (await s.ok(CreateGroup, { title: 'Nobody listens', memberIds: [member.id] }, { token: owner.token }))
      .createGroupConversation.id;
    const send = (conversationId: string, content: string) =>
      s.ok(Send, { input: { conversationId, content, clientMessageId: content } }, { token: owner.token });
    const after = await lastSequence(s, owner, group);
    const live = subscribe(s.ws({ token: member.token }), Full, { c: group, after });
    await live.live(() => send(group, 'probe'));
    // SQL of a send nobody receives, and of one both subscriptions receive (fewest of three each).
    const used = async (conversationId: string, received: (id: string) => Promise<unknown>) => {
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = s.db.queryCount();
        const sent = (await send(conversationId, `${conversationId}-${i}`)).sendMessage;
        await received(sent.id);
        counts.push(s.db.queryCount() - before);
      }
      return Math.min(...counts);
    };
    const bare = await used(quiet, async () => {});
    const withLive = await used(group, (id) => live.until((r) => JSON.stringify(r).includes(id)));
    expect(withLive).toBe(bare);

    // What the live event said is what the log says (dates included, also after crossing Redis).
    const more = subscribe(s.ws({ token: member.token }), More, { c: group, after });
    await more.live(() => send(group, 'probe-2'));
    const sent = (await send(group, 'compare')).sendMessage;
    const delivered = await live.until((r) => JSON.stringify(r).includes(sent.id));
    const replay = subscribe(s.ws({ token: member.token }), Full, { c: group, after: sent.sequence - 1 });
    expect(await replay.next()).toEqual(delivered);
    expect(delivered.data!.conversationEvents).toMatchObject({
      type: 'MESSAGE_ADDED',
      message: {
        id: sent.id,
        content: 'compare',
        createdAt: sent.createdAt,
        clientMessageId: null,
        senderName: owner.name,
        sender: { id: owner.id, name: owner.name, email: owner.email },
      },
      user: { id: owner.id, name: owner.name },
    });
    // The owner's own stream shows the sender their clientMessageId.
    const own = subscribe(s.ws({ token: owner.token }), Full, { c: group, after: sent.sequence - 1 });
    expect((await own.next()).data!.conversationEvents.message).toMatchObject({ id: sent.id, clientMessageId: 'compare' });
    // A selection the carried rows do not answer is loaded, and right.
    const other = await more.until((r) => JSON.stringify(r).includes(sent.id));
    expect(other.data!.conversationEvents).toMatchObject({
      message: { id: sent.id, content: 'compare', edits: [], conversation: { title: 'Rows' } },
      member: { role: 'OWNER' },
    });
  });

  it('reaches a member added between two messages with the second one on their inbox', async () => {
    const s = server();
    const [owner, member, late] = [await s.user(), await s.user(), await s.user()];
    const group = (await s.ok(CreateGroup, { title: 'Joiners', memberIds: [member.id] }, { token: owner.token })).createGroupConversation
      .id;
    const send = (content: string) => s.ok(Send, { input: { conversationId: group, content } }, { token: owner.token });
    await send('one');
    await send('two'); // the server now knows who the group's members are
    const inbox = subscribe(s.ws({ token: late.token }), Events, {});
    await inbox.live(() => s.ok(Send, { input: { toUserId: late.id, content: 'probe' } }, { token: member.token }));
    await s.ok(AddMembers, { c: group, u: [late.id] }, { token: owner.token });
    const sent = (await send('three')).sendMessage;
    const got = ev(await inbox.until((r) => ev(r).message?.id === sent.id));
    expect(got).toMatchObject({ type: 'MESSAGE_ADDED', conversationId: group, sequence: sent.sequence });
  });

  it('executes an event once for every subscriber asking the same, and per subscriber what depends on the viewer', async () => {
    const s = server();
    const [owner, ...members] = await Promise.all(Array.from({ length: 4 }, () => s.user()));
    const group = (await s.ok(CreateGroup, { title: 'Shared', memberIds: members.map((m) => m.id) }, { token: owner.token }))
      .createGroupConversation.id;
    const after = await lastSequence(s, owner, group);
    const send = (content: string, clientMessageId?: string) =>
      s.ok(Send, { input: { conversationId: group, content, clientMessageId } }, { token: owner.token });
    // The same selection for everyone, resuming from different points (the arguments pick the replay only)...
    const same = members.map((m, i) => subscribe(s.ws({ token: m.token }), Events, { c: group, after: [after, after - 1, undefined][i] }));
    // ...and one with fields that do: the sender's own clientMessageId, the viewer's unread count.
    const personal = [owner, ...members].map((u) => subscribe(s.ws({ token: u.token }), Personal, { c: group, after }));
    const all = [...same, ...personal] as Subscription<unknown>[];
    await allLive(all, () => send('probe'));
    /** Waits until every subscriber has the message, so no earlier event is still being executed. */
    const everyoneGot = async (id: string) =>
      Promise.all(all.map((sub) => sub.until((r) => JSON.stringify(r).includes(id)))) as Promise<
        ExecutionResult<{ conversationEvents: Record<string, unknown> }>[]
      >;
    await everyoneGot((await send('marker')).sendMessage.id);

    const before = await executions(s);
    const sent = (await send('counted', 'mine-1')).sendMessage;
    const got = await everyoneGot(sent.id);
    const delta = Object.fromEntries(Object.entries(await executions(s)).map(([k, v]) => [k, v - before[k]]));
    // The same selection is one group: one shared execution, sent to each. The personal selection's group tripped the
    // wire on an earlier event, so each of its members executes with its own context.
    expect(delta).toEqual({ shared: 1, reused: same.length, own: personal.length });

    const events = got.map(
      (r) =>
        r.data!.conversationEvents as {
          message: { id: string; content?: string; clientMessageId?: string | null };
          conversation?: { title: string; unreadCount: number };
        },
    );
    expect(events.slice(0, same.length).map((e) => e.message.content)).toEqual(same.map(() => 'counted'));
    const mine = events.slice(same.length);
    expect(mine.map((e) => e.message.clientMessageId)).toEqual(['mine-1', null, null, null]);
    expect(mine.map((e) => e.conversation!.title)).toEqual(mine.map(() => 'Shared'));
    expect(mine[0].conversation!.unreadCount).toBe(0); // the sender has read their own messages
    expect(mine.slice(1).every((e) => e.conversation!.unreadCount > 0)).toBe(true);
  });

  it('refuses foreign, unauthenticated and malformed subscriptions', async () => {
    const s = server();
    await s.services().tenants.add('rt-other');
    const [a, b, stranger] = [await s.user(), await s.user(), await s.user()];
    const foreigner = await s.user({ clientId: 'rt-other' });
    const conv = await makeContacts(s, a, b);
    expect(await subscriptionError(subscribe(s.ws({ token: stranger.token }), Events, { c: conv }))).toBe('NOT_FOUND');
    expect(await subscriptionError(subscribe(s.ws({ token: foreigner.token, clientId: 'rt-other' }), Events, { c: conv }))).toBe(
      'NOT_FOUND',
    );
    expect(await subscriptionError(subscribe(s.ws(), Events, { c: conv }))).toBe('UNAUTHENTICATED');
    expect(await subscriptionError(subscribe(s.ws({ token: a.token }), Events, { after: 0 }))).toBe('BAD_USER_INPUT');
    expect(await subscriptionError(subscribe(s.ws({ token: a.token }), Events, { c: conv, after: 99 }))).toBe('BAD_USER_INPUT');
    expect(await subscriptionError(subscribe(s.ws({ token: a.token }), Events, { c: conv, after: -1 }))).toBe('BAD_USER_INPUT');
    // The foreign tenant's inbox hears nothing of tenant A.
    const inbox = subscribe(s.ws({ token: foreigner.token, clientId: 'rt-other' }), Events, {});
    const peer = await s.user({ clientId: 'rt-other' });
    const own = (await s.ok(StartDirect, { userId: foreigner.id }, { token: peer.token, clientId: 'rt-other' })).startDirectConversation.id;
    await inbox.live(() => s.ok(Send, { input: { conversationId: own, content: 'probe' } }, { token: peer.token, clientId: 'rt-other' }));
    await s.ok(Send, { input: { conversationId: conv, content: 'tenant A only' } }, { token: a.token });
    const marker = (await s.ok(Send, { input: { conversationId: own, content: 'marker' } }, { token: peer.token, clientId: 'rt-other' }))
      .sendMessage;
    const e = ev(await inbox.until((r) => ev(r).conversationId !== own || ev(r).message?.id === marker.id));
    expect(e.message?.id).toBe(marker.id);
  });

  it('runs mutations over the WebSocket too', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const client = s.ws({ token: a.token });
    const sent = ev2(await subscribe(client, Send, { input: { toUserId: b.id, content: 'over ws', clientMessageId: 'ws-1' } }).next());
    expect(sent.sendMessage).toMatchObject({ content: 'over ws', sender: { id: a.id } });
    const again = ev2(await subscribe(client, Send, { input: { toUserId: b.id, content: 'over ws', clientMessageId: 'ws-1' } }).next());
    expect(again.sendMessage.id).toBe(sent.sendMessage.id);
    const bad = await subscribe(client, Send, { input: { toUserId: b.id, content: '' } }).next();
    expect(code(bad)).toBe('BAD_USER_INPUT');
    const read = ev2(await subscribe(s.ws({ token: b.token }), MarkRead, { c: sent.sendMessage.conversationId }).next());
    expect(read.markConversationRead.unreadCount).toBe(0);
  });
});

describe('conversation events over SSE', () => {
  const server = useServer();

  it('replays after afterSequence and continues live on text/event-stream', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const first = (await s.ok(Send, { input: { toUserId: b.id, content: 'via sse' } }, { token: a.token })).sendMessage;
    const abort = new AbortController();
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      signal: abort.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${b.token}` },
      body: JSON.stringify({
        query:
          'subscription($c: ID, $after: Int) { conversationEvents(conversationId: $c, afterSequence: $after) { type sequence message { content } } }',
        variables: { c: first.conversationId, after: first.sequence - 1 },
      }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const events: { type: string; sequence: number; message: { content: string } }[] = [];
    let text = '';
    let sentLive = false;
    while (events.length < 2) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
      for (const m of text.matchAll(/event: next\ndata: (.*)\n/g)) {
        const e = JSON.parse(m[1]).data.conversationEvents;
        if (!events.some((x) => x.sequence === e.sequence)) events.push(e);
      }
      if (events.length === 1 && !sentLive) {
        sentLive = true;
        await s.ok(Send, { input: { conversationId: first.conversationId, content: 'live on sse' } }, { token: a.token });
      }
    }
    abort.abort();
    expect(events.map((e) => [e.sequence, e.message.content])).toEqual([
      [first.sequence, 'via sse'],
      [first.sequence + 1, 'live on sse'],
    ]);
  });
});

function ev2<T>(r: ExecutionResult<T>): T {
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data!;
}
