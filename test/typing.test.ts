import { describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { createConversation } from './helpers/conversations.ts';

const SetTyping = graphql(`
  mutation SetTyping($conversationId: ID!, $isTyping: Boolean!) {
    setTyping(conversationId: $conversationId, isTyping: $isTyping)
  }
`);
const Typing = graphql(`
  subscription Typing($conversationId: ID!) {
    typing(conversationId: $conversationId) {
      conversationId
      user {
        id
        name
      }
      isTyping
    }
  }
`);

type TypingResult = { data?: { typing: { conversationId: string; user: { id: string }; isTyping: boolean } } | null };
const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;
const by = (userId: string, isTyping?: boolean) => (e: TypingResult) =>
  e.data?.typing.user.id === userId && (isTyping === undefined || e.data.typing.isTyping === isTyping);

/** alice, bob and dave share a conversation; dave's typing is the probe that shows a subscription is live. */
async function room(s: TestServer) {
  const [alice, bob, dave, carol] = [await s.user(), await s.user(), await s.user(), await s.user()];
  const conversationId = await createConversation(s, [alice, bob, dave]);
  return { alice, bob, dave, carol, conversationId };
}

async function watch(
  s: TestServer,
  viewer: TestUser,
  probe: TestUser,
  conversationId: string,
): Promise<Subscription<TypingResult['data']>> {
  const sub = subscribe(s.ws({ token: viewer.token }), Typing, { conversationId });
  await sub.live(async () => {
    await s.ok(SetTyping, { conversationId, isTyping: true }, { token: probe.token });
    await s.ok(SetTyping, { conversationId, isTyping: false }, { token: probe.token });
  });
  return sub as never;
}

describe('typing', () => {
  const server = useServer();

  it('publishes start and stop to the other members, throttles repeats, and never echoes to the typist', async () => {
    const s = server();
    const { alice, bob, dave, conversationId } = await room(s);
    const bobSees = await watch(s, bob, dave, conversationId);
    const aliceSees = await watch(s, alice, dave, conversationId);

    for (let i = 0; i < 3; i++)
      expect((await s.ok(SetTyping, { conversationId, isTyping: true }, { token: alice.token })).setTyping).toBe(true);
    // Read before the stop is sent: a subscriber keeps only each user's latest state, so a start still waiting when
    // the stop arrives would be replaced by it.
    const first = await bobSees.until(by(alice.id));
    expect(first.data?.typing).toMatchObject({ conversationId, isTyping: true, user: { id: alice.id } });
    await s.ok(SetTyping, { conversationId, isTyping: false }, { token: alice.token });
    await s.ok(SetTyping, { conversationId, isTyping: false }, { token: alice.token }); // already stopped: nothing sent

    const second = await bobSees.until(by(alice.id));
    expect(second.data?.typing.isTyping).toBe(false);
    // Three starts within the throttle window and two stops made exactly one true and one false: a marker published
    // afterwards arrives with nothing from alice before it.
    await s.ok(SetTyping, { conversationId, isTyping: true }, { token: dave.token });
    const between: TypingResult[] = [];
    await bobSees.until((e) => (between.push(e as TypingResult), by(dave.id, true)(e as TypingResult)));
    expect(between.filter(by(alice.id))).toEqual([]);

    // alice's own subscription: bob's start (published after all of alice's calls) comes with none of hers before it.
    await s.ok(SetTyping, { conversationId, isTyping: true }, { token: bob.token });
    const aliceSaw: TypingResult[] = [];
    await aliceSees.until((e) => (aliceSaw.push(e as TypingResult), by(bob.id, true)(e as TypingResult)));
    expect(aliceSaw.filter(by(alice.id))).toEqual([]);
  });

  it('ends typing when a message is sent (endTyping, called by messaging)', async () => {
    const s = server();
    const { alice, bob, dave, conversationId } = await room(s);
    const bobSees = await watch(s, bob, dave, conversationId);
    await s.ok(SetTyping, { conversationId, isTyping: true }, { token: alice.token });
    await bobSees.until(by(alice.id, true));
    const { tenantId } = await s.db.prisma.user.findUniqueOrThrow({ where: { id: alice.id } });
    await s.services().typing.endTyping(tenantId, conversationId, alice.id);
    await bobSees.until(by(alice.id, false));
    // A new start after the message is published again at once (the throttle state went with the ended state).
    await s.ok(SetTyping, { conversationId, isTyping: true }, { token: alice.token });
    await bobSees.until(by(alice.id, true));
  });

  it('is for members only', async () => {
    const s = server();
    const { alice, carol, conversationId } = await room(s);
    expect(code(await s.gql(SetTyping, { conversationId, isTyping: true }, { token: carol.token }))).toBe('FORBIDDEN');
    expect(code(await s.gql(SetTyping, { conversationId: 'no-such-conversation', isTyping: true }, { token: alice.token }))).toBe(
      'FORBIDDEN',
    );
    expect(code(await s.gql(SetTyping, { conversationId, isTyping: true }))).toBe('UNAUTHENTICATED');
    const refused = subscribe(s.ws({ token: carol.token }), Typing, { conversationId });
    expect(code(await refused.next())).toBe('FORBIDDEN');
    const guest = subscribe(s.ws({}), Typing, { conversationId });
    expect(code(await guest.next())).toBe('UNAUTHENTICATED');
  });
});

describe('typing expiry', () => {
  const server = useServer({ TYPING_TTL_MS: '300', TYPING_THROTTLE_MS: '100' });

  it('sends isTyping:false when a typing state is not refreshed', async () => {
    const s = server();
    const { alice, bob, dave, conversationId } = await room(s);
    const bobSees = await watch(s, bob, dave, conversationId);
    await s.ok(SetTyping, { conversationId, isTyping: true }, { token: alice.token });
    await bobSees.until(by(alice.id, true));
    const ended = await bobSees.until(by(alice.id));
    expect(ended.data?.typing.isTyping).toBe(false);
  });
});
