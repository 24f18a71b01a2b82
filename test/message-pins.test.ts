// Pinned messages: pinMessage / unpinMessage, Message.pinnedAt / pinnedBy, Conversation.pinnedMessages, and their
// MESSAGE_PINNED / MESSAGE_UNPINNED events, with the ids and states that must be refused.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { allLive, subscribe } from './helpers/ws.ts';
import { graphql } from './gql/index.ts';
import { code, CreateGroup, Delete, Send } from './messaging-ops.ts';

const Pin = graphql(`
  mutation Pin($id: ID!) {
    pinMessage(messageId: $id) {
      id
      pinnedAt
      pinnedBy {
        id
      }
    }
  }
`);

const Unpin = graphql(`
  mutation Unpin($id: ID!) {
    unpinMessage(messageId: $id) {
      id
      pinnedAt
      pinnedBy {
        id
      }
    }
  }
`);

const Pinned = graphql(`
  query Pinned($id: ID!) {
    conversation(id: $id) {
      lastSequence
      pinnedMessages {
        id
        content
        pinnedBy {
          id
        }
      }
    }
  }
`);

const PinEvents = graphql(`
  subscription PinEvents($c: ID) {
    conversationEvents(conversationId: $c) {
      type
      sequence
      user {
        id
      }
      message {
        id
        pinnedAt
      }
    }
  }
`);

type Ctx = { s: TestServer; owner: TestUser; member: TestUser; group: string };

async function setUp(s: TestServer): Promise<Ctx> {
  const [owner, member] = [await s.user(), await s.user()];
  const group = (await s.ok(CreateGroup, { title: 'Pins', memberIds: [member.id] }, { token: owner.token })).createGroupConversation.id;
  return { s, owner, member, group };
}

const send = async (c: Ctx, content: string) =>
  (await c.s.ok(Send, { input: { conversationId: c.group, content } }, { token: c.owner.token })).sendMessage.id;
const pinned = async (c: Ctx, as = c.member) => (await c.s.ok(Pinned, { id: c.group }, { token: as.token })).conversation!;

describe('pinned messages', () => {
  const server = useServer();

  it('any member pins and unpins, newest pin first, live to every member; repeating changes nothing', async () => {
    const c = await setUp(server());
    const live = subscribe(c.s.ws({ token: c.owner.token }), PinEvents, { c: c.group });
    await allLive([live], () => send(c, 'probe'));
    const [first, second] = [await send(c, 'first'), await send(c, 'second')];

    const pin = await c.s.ok(Pin, { id: first }, { token: c.member.token });
    expect(pin.pinMessage).toMatchObject({ id: first, pinnedAt: expect.any(String), pinnedBy: { id: c.member.id } });
    const event = await live.until((r) => r.data?.conversationEvents.type === 'MESSAGE_PINNED');
    expect(event.data!.conversationEvents).toMatchObject({
      user: { id: c.member.id },
      message: { id: first, pinnedAt: expect.any(String) },
    });
    await c.s.ok(Pin, { id: second }, { token: c.owner.token });
    expect((await pinned(c)).pinnedMessages.map((m) => [m.content, m.pinnedBy?.id])).toEqual([
      ['second', c.owner.id],
      ['first', c.member.id],
    ]);

    // Pinning a pinned message again writes nothing, even when several arrive at once.
    const before = (await pinned(c)).lastSequence;
    const again = await Promise.all(Array.from({ length: 5 }, () => c.s.ok(Pin, { id: first }, { token: c.owner.token })));
    expect(again.every((r) => r.pinMessage.pinnedBy?.id === c.member.id)).toBe(true);
    expect((await pinned(c)).lastSequence).toBe(before);

    const unpinned = await c.s.ok(Unpin, { id: first }, { token: c.owner.token });
    expect(unpinned.unpinMessage).toMatchObject({ pinnedAt: null, pinnedBy: null });
    const gone = await live.until((r) => r.data?.conversationEvents.type === 'MESSAGE_UNPINNED');
    expect(gone.data!.conversationEvents.message).toEqual({ id: first, pinnedAt: null });
    expect((await pinned(c)).pinnedMessages.map((m) => m.content)).toEqual(['second']);
    const afterUnpin = (await pinned(c)).lastSequence;
    await c.s.ok(Unpin, { id: first }, { token: c.owner.token });
    expect((await pinned(c)).lastSequence).toBe(afterUnpin);

    // Pins race: five members' pins of one message make one event.
    const third = await send(c, 'third');
    const seq = (await pinned(c)).lastSequence;
    await Promise.all(Array.from({ length: 5 }, (_, i) => c.s.ok(Pin, { id: third }, { token: (i % 2 ? c.owner : c.member).token })));
    expect((await pinned(c)).lastSequence).toBe(seq + 1);
  });

  it('a deleted message leaves the pins and cannot be pinned; strangers and other tenants get NOT_FOUND', async () => {
    const s = server();
    const c = await setUp(s);
    const doomed = await send(c, 'doomed');
    await s.ok(Pin, { id: doomed }, { token: c.owner.token });
    await s.ok(Delete, { id: doomed }, { token: c.owner.token });
    expect((await pinned(c)).pinnedMessages).toEqual([]);
    const refusedDeleted = await s.gql(Pin, { id: doomed }, { token: c.owner.token });
    expect(code(refusedDeleted)).toBe('BAD_USER_INPUT');

    const kept = await send(c, 'kept');
    const stranger = await s.user();
    const tenant = `tenant-${randomUUID()}`;
    await s.services().tenants.add(tenant);
    const outsider = await s.user({ clientId: tenant });
    for (const [id, who, clientId] of [
      [kept, stranger, undefined],
      [kept, outsider, tenant],
      [randomUUID(), c.owner, undefined],
    ] as const) {
      const refused = [
        await s.gql(Pin, { id }, { token: who.token, clientId }),
        await s.gql(Unpin, { id }, { token: who.token, clientId }),
      ];
      for (const r of refused) {
        expect(r.data).toBeNull();
        expect(code(r)).toBe('NOT_FOUND');
      }
    }
    expect((await pinned(c)).pinnedMessages).toEqual([]);
  });

  it('holds at most 50 pins per conversation: the next is refused with PIN_LIMIT', async () => {
    const c = await setUp(server());
    const ids: string[] = [];
    for (let i = 0; i < 51; i++) ids.push(await send(c, `m${i}`));
    for (const id of ids.slice(0, 50)) await c.s.ok(Pin, { id }, { token: c.owner.token });
    const refused = await c.s.gql(Pin, { id: ids[50] }, { token: c.owner.token });
    expect(code(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0].extensions!.reason).toBe('PIN_LIMIT');
    await c.s.ok(Unpin, { id: ids[0] }, { token: c.owner.token });
    await c.s.ok(Pin, { id: ids[50] }, { token: c.owner.token });
    expect((await pinned(c)).pinnedMessages).toHaveLength(50);
  });
});
