// A client that stops reading its WebSocket must never cost unbounded memory or end the process, whatever is
// published meanwhile: for every subscription field, a socket that stopped reading (test/helpers/stalled-socket.ts)
// gets a flood through the API, then the server still answers, a client that reads still gets the latest state, and
// the stalled client, reading again, gets the latest state as well (or, past its bound, a SLOW_CONSUMER error).
// Before Parley bounded every stream, the presence and typing floods ended the process (RepeaterOverflowError thrown
// in the event bus's listener). The throttles on setStatus and setTyping are tested at the end.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { print, type ExecutionResult } from 'graphql';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { createConversation, makeContacts } from './helpers/conversations.ts';
import { dataOf, stalledClient, type Message, type StalledClient } from './helpers/stalled-socket.ts';
import { gatedModel } from './helpers/chat.ts';
import { online } from './helpers/online.ts';
import { ev, Inbox, type InboxEvent } from './helpers/inbox.ts';

const FLOOD = 1_500;

/** Runs mutation `fields` as fast as one client can: 25 aliases an operation, 10 operations a request. */
async function flood(s: TestServer, user: TestUser, fields: string[], variables: Record<string, unknown> = {}, definitions = '') {
  const data: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i += 250) {
    const operations = [];
    for (let j = i; j < Math.min(i + 250, fields.length); j += 25) {
      const aliased = fields.slice(j, j + 25).map((field, k) => `f${j + k}: ${field}`);
      operations.push({ query: `mutation${definitions} { ${aliased.join(' ')} }`, variables });
    }
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify(operations),
    });
    for (const result of (await res.json()) as ExecutionResult[]) {
      if (result.errors) throw new Error(`flood failed: ${JSON.stringify(result.errors).slice(0, 500)}`);
      Object.assign(data, result.data);
    }
  }
  return data;
}

/** Makes the stalled client's operation `id` live: probes until one of its events arrives. */
async function live(stalled: StalledClient, id: string, probe: () => Promise<unknown>) {
  for (let attempt = 0; attempt < 50; attempt++) {
    await probe();
    if (
      await stalled.next(id, 200).then(
        () => true,
        () => false,
      )
    )
      return;
  }
  throw new Error(`${id} never became live`);
}

/** Messages of the stalled client's operation `id` up to and including the one `last` accepts. */
async function readUntil(stalled: StalledClient, id: string, last: (m: Message) => boolean): Promise<Message[]> {
  const seen: Message[] = [];
  for (;;) {
    const m = await stalled.next(id, 30_000);
    seen.push(m);
    if (last(m)) return seen;
  }
}

async function stillServing(s: TestServer, user: TestUser) {
  expect((await s.ok<{ me: { id: string } }, Record<string, never>>('{ me { id } }', {}, { token: user.token })).me.id).toBe(user.id);
}

type Presence = { presenceChanged: { user: { id: string }; status: string; statusText: string | null } };
type Typing = { typing: { user: { id: string }; isTyping: boolean } };
type Events = { conversationEvents: { type: string; sequence: number; message: { content: string } | null } };
type Ended = { sessionsEnded: { sessionIds: string[]; reason: string } };
type Chat = { __typename: string; assistantMessageId?: string; index?: number };

const PresenceChanged = 'subscription($u: [ID!]) { presenceChanged(userIds: $u) { user { id } status statusText } }';
const TypingOf = 'subscription($c: ID!) { typing(conversationId: $c) { user { id } isTyping } }';
const EventsOf = 'subscription($c: ID!) { conversationEvents(conversationId: $c) { type sequence message { content } } }';
const SessionsEnded = 'subscription { sessionsEnded { sessionIds reason } }';
const ChatEventFields = '__typename ... on ChatStarted { assistantMessageId } ... on ChatToken { index }';
const ChatRun = `subscription($input: ChatInput!) { chat(input: $input) { ${ChatEventFields} } }`;
const ChatStream = `subscription($m: ID!) { chatStream(messageId: $m) { ${ChatEventFields} } }`;
const SetStatus = 'mutation($s: PresenceStatus!, $t: String) { setStatus(status: $s, text: $t) { status } }';
const SetTyping = 'mutation($c: ID!, $t: Boolean!) { setTyping(conversationId: $c, isTyping: $t) }';
const Send = 'mutation($c: ID!, $content: String!) { sendMessage(input: { conversationId: $c, content: $content }) { sequence } }';
const SignIn = 'mutation($i: SignInInput!) { signIn(input: $i) { token session { id } } }';
const Revoke = 'mutation($id: ID!) { revokeSession(id: $id) }';

const ended = (e: Chat) => ['ChatCompleted', 'ChatStopped', 'ChatError'].includes(e.__typename);

describe('a client that stops reading (every subscription field)', () => {
  // Each flood comes from one user; the per-user throttles have their own tests below.
  // A stalled client cannot answer the server's pings (they wait behind what it does not read): with the 12 s default
  // a flood that takes long on a loaded machine would see the socket closed as dead, which is not what is tested here.
  const server = useServer({ PRESENCE_STATUS_RATE_LIMIT: 'off', WS_KEEPALIVE_MS: '60000' });

  it('presenceChanged: 1,500 setStatus calls; the flood is coalesced to the latest state', async () => {
    const s = server();
    const [watcher, reader, flooder] = [await s.user(), await s.user(), await s.user()];
    await createConversation(s, [flooder, watcher, reader]);
    await makeContacts(s, flooder, watcher); // presence is for accepted contacts
    await makeContacts(s, flooder, reader);
    await online(s, flooder); // a chosen status shows while its user is connected
    const probe = () => s.ok(SetStatus, { s: 'ONLINE', t: 'probe' }, { token: flooder.token });
    const stalled = await stalledClient(s, watcher);
    stalled.subscribe('presence', PresenceChanged, { u: [flooder.id] });
    await live(stalled, 'presence', probe);
    const reading = subscribe(s.ws({ token: reader.token }), PresenceChanged, { u: [flooder.id] }) as Subscription<Presence>;
    await reading.live(probe);
    const before = stalled.received('presence');

    await stalled.stall();
    await flood(
      s,
      flooder,
      Array.from({ length: FLOOD }, (_, i) => `setStatus(status: BUSY, text: "flood ${i}") { status }`),
    );
    await s.ok(SetStatus, { s: 'AWAY', t: 'final' }, { token: flooder.token });

    await stillServing(s, reader);
    await reading.until((e) => e.data?.presenceChanged.statusText === 'final', 30_000);
    stalled.resume();
    const after = await readUntil(stalled, 'presence', (m) => dataOf<Presence>(m).presenceChanged.statusText === 'final');
    expect(dataOf<Presence>(after.at(-1)!).presenceChanged).toEqual({ user: { id: flooder.id }, status: 'AWAY', statusText: 'final' });
    expect(before + after.length).toBeLessThan(100); // the flood waited as one latest state, not 1,500 events
    stalled.close();
  }, 120_000);

  it('typing: 1,500 starts and stops in turn; stops end every start that was shown', async () => {
    const s = server();
    const [watcher, reader, typist, prober, marker] = [await s.user(), await s.user(), await s.user(), await s.user(), await s.user()];
    const c = await createConversation(s, [typist, watcher, reader, prober, marker]);
    const probe = async () => {
      await s.ok(SetTyping, { c, t: true }, { token: prober.token });
      await s.ok(SetTyping, { c, t: false }, { token: prober.token });
    };
    const stalled = await stalledClient(s, watcher);
    stalled.subscribe('typing', TypingOf, { c });
    await live(stalled, 'typing', probe);
    const reading = subscribe(s.ws({ token: reader.token }), TypingOf, { c }) as Subscription<Typing>;
    await reading.live(probe);

    await stalled.stall();
    await flood(
      s,
      typist,
      Array.from({ length: FLOOD }, (_, i) => `setTyping(conversationId: "${c}", isTyping: ${i % 2 === 0})`),
    );
    await s.ok(SetTyping, { c, t: false }, { token: typist.token });
    await s.ok(SetTyping, { c, t: true }, { token: marker.token }); // published after every event of the typist

    await stillServing(s, reader);
    const read: boolean[] = [];
    await reading.until((e) => {
      if (e.data?.typing.user.id === typist.id) read.push(e.data.typing.isTyping);
      return e.data?.typing.user.id === marker.id && e.data.typing.isTyping;
    }, 30_000);
    expect(read.at(-1)).toBe(false);
    expect(read.length).toBeLessThan(100); // throttled (see below), not 1,500 events
    stalled.resume();
    const after = await readUntil(
      stalled,
      'typing',
      (m) => dataOf<Typing>(m).typing.user.id === marker.id && dataOf<Typing>(m).typing.isTyping,
    );
    const typed = after.map((m) => dataOf<Typing>(m).typing).filter((t) => t.user.id === typist.id);
    expect(typed.at(-1)?.isTyping).toBe(false);
    stalled.close();
  }, 120_000);

  it('conversationEvents: 1,500 messages; both streams get every one, in order (read back from the log)', async () => {
    const s = server();
    const [watcher, reader, sender] = [await s.user(), await s.user(), await s.user()];
    const c = await createConversation(s, [sender, watcher, reader]);
    const probe = () => s.ok(Send, { c, content: 'probe' }, { token: sender.token });
    const stalled = await stalledClient(s, watcher);
    stalled.subscribe('events', EventsOf, { c });
    await live(stalled, 'events', probe);
    const reading = subscribe(s.ws({ token: reader.token }), EventsOf, { c }) as Subscription<Events>;
    await reading.live(probe);

    await stalled.stall();
    await flood(
      s,
      sender,
      Array.from({ length: FLOOD }, (_, i) => `sendMessage(input: { conversationId: "${c}", content: "m${i}" }) { id }`),
    );
    const final = (
      await s.ok<{ sendMessage: { sequence: number } }, Record<string, unknown>>(Send, { c, content: 'final' }, { token: sender.token })
    ).sendMessage;

    await stillServing(s, reader);
    const sequences = (events: Events['conversationEvents'][]) =>
      events.filter((e) => e.sequence > final.sequence - FLOOD - 1).map((e) => e.sequence);
    const read: Events['conversationEvents'][] = [];
    await reading.until((e) => (read.push(e.data!.conversationEvents), e.data!.conversationEvents.sequence === final.sequence), 60_000);
    const consecutive = Array.from({ length: FLOOD + 1 }, (_, i) => final.sequence - FLOOD + i);
    expect(sequences(read)).toEqual(consecutive);
    stalled.resume();
    const after = await readUntil(stalled, 'events', (m) => dataOf<Events>(m).conversationEvents.sequence === final.sequence);
    expect(sequences(after.map((m) => dataOf<Events>(m).conversationEvents))).toEqual(consecutive);
    stalled.close();
  }, 120_000);

  it('conversationEvents without conversationId (the inbox): 1,500 messages over two conversations; both streams get every one', async () => {
    const s = server();
    const [watcher, reader, sender] = [await s.user(), await s.user(), await s.user()];
    const conversations = [await createConversation(s, [sender, watcher, reader]), await createConversation(s, [sender, watcher, reader])];
    const probe = () => s.ok(Send, { c: conversations[0], content: 'probe' }, { token: sender.token });
    const stalled = await stalledClient(s, watcher); // its inbox has the plug's events too: they are filtered out below
    stalled.subscribe('inbox', print(Inbox));
    await live(stalled, 'inbox', probe);
    const reading = subscribe(s.ws({ token: reader.token }), Inbox);
    await reading.live(probe);

    await stalled.stall();
    // More than the 1,000 events a stream holds for its consumer: the stalled inbox reads the rest back from the log.
    await flood(
      s,
      sender,
      Array.from({ length: FLOOD }, (_, i) => `sendMessage(input: { conversationId: "${conversations[i % 2]}", content: "m${i}" }) { id }`),
    );
    const finals = new Map<string, number>();
    for (const c of conversations)
      finals.set(
        c,
        (await s.ok<{ sendMessage: { sequence: number } }, Record<string, unknown>>(Send, { c, content: 'final' }, { token: sender.token }))
          .sendMessage.sequence,
      );

    await stillServing(s, reader);
    // Per conversation (the inbox orders events only within each), the sequences of the flood and the final message.
    const perConversation = (events: InboxEvent[]) =>
      [...finals].map(([c, last]) => events.filter((e) => e.conversationId === c && e.sequence >= last - FLOOD / 2).map((e) => e.sequence));
    const consecutive = [...finals.values()].map((last) => Array.from({ length: FLOOD / 2 + 1 }, (_, i) => last - FLOOD / 2 + i));
    /** Whether `e` is the last final still missing from `got` (the finals seen so far, which it adds to). */
    const lastFinal = (e: InboxEvent, got: Set<string>) => {
      if (finals.get(e.conversationId) === e.sequence) got.add(e.conversationId);
      return got.size === finals.size;
    };
    const read: InboxEvent[] = [];
    const readFinals = new Set<string>();
    await reading.until((e) => (read.push(ev(e)), lastFinal(ev(e), readFinals)), 60_000);
    expect(perConversation(read)).toEqual(consecutive);
    stalled.resume();
    const stalledFinals = new Set<string>();
    const inboxOf = (m: Message) => dataOf<{ conversationEvents: InboxEvent }>(m).conversationEvents;
    const after = await readUntil(stalled, 'inbox', (m) => lastFinal(inboxOf(m), stalledFinals));
    expect(perConversation(after.map(inboxOf))).toEqual(consecutive);
    stalled.close();
  }, 120_000);

  it('sessionsEnded: 1,500 revocations; the stalled stream ends with SLOW_CONSUMER past 1,000 waiting', async () => {
    const s = server();
    const user = await s.user();
    const other = async () =>
      (
        await s.ok<{ signIn: { token: string; session: { id: string } } }, Record<string, unknown>>(SignIn, {
          i: { email: user.email, password: user.password },
        })
      ).signIn;
    const probe = async () => s.ok(Revoke, { id: (await other()).session.id }, { token: user.token });
    const stalled = await stalledClient(s, user);
    stalled.subscribe('sessions', SessionsEnded);
    await live(stalled, 'sessions', probe);
    const reading = subscribe(s.ws({ token: (await other()).token }), SessionsEnded) as Subscription<Ended>;
    await reading.live(probe);
    // Sessions to revoke, as 1,500 sign-ins would leave them (signing in is slow by design).
    const { tenantId } = await s.db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    const ids = Array.from({ length: FLOOD }, () => randomUUID());
    const expiresAt = new Date(Date.now() + 3_600_000);
    await s.db.prisma.session.createMany({
      data: ids.map((id) => ({ id, tenantId, userId: user.id, tokenHash: randomUUID(), expiresAt })),
    });

    await stalled.stall();
    await flood(
      s,
      user,
      ids.map((id) => `revokeSession(id: "${id}")`),
    );
    const last = (await other()).session.id;
    await s.ok(Revoke, { id: last }, { token: user.token });

    await stillServing(s, user);
    const revoked = new Set<string>();
    await reading.until((e) => (e.data!.sessionsEnded.sessionIds.forEach((id) => revoked.add(id)), revoked.has(last)), 30_000);
    expect(ids.filter((id) => !revoked.has(id))).toEqual([]);
    stalled.resume();
    const after = await readUntil(stalled, 'sessions', (m) => m.type !== 'next');
    expect(after.at(-1)).toMatchObject({ type: 'error', payload: [{ extensions: { code: 'SLOW_CONSUMER' } }] });
    stalled.close();
  }, 120_000);

  for (const field of ['chat', 'chatStream'] as const) {
    it(`${field}: an answer of 3,000 tokens; both streams get all of it`, async () => {
      const s = server();
      const user = await s.user();
      const model = `slow-consumer-${randomUUID()}`;
      const gate = gatedModel(
        ['Hello'],
        Array.from({ length: 3_000 }, (_, i) => ` w${i}`),
      );
      s.services().assistant.models.register(model, gate.model, { titles: false });
      const stalled = await stalledClient(s, user);
      const input = { input: { message: 'Talk', model } };
      let reading: Subscription<{ chat?: Chat; chatStream?: Chat }>;
      if (field === 'chat') {
        // The stalled client runs the chat; a reading client follows the same answer.
        stalled.subscribe('run', ChatRun, input);
        const started = dataOf<{ chat: Chat }>(await stalled.next('run')).chat;
        reading = subscribe(s.ws({ token: user.token }), ChatStream, { m: started.assistantMessageId }) as never;
      } else {
        // A reading client runs the chat; the stalled client follows it.
        reading = subscribe(s.ws({ token: user.token }), ChatRun, input) as never;
        const started = (await reading.next(10_000)).data!.chat!;
        stalled.subscribe('run', ChatStream, { m: started.assistantMessageId });
      }
      const first = await stalled.next('run'); // a token, or ChatStarted: the stream is live
      expect(first.type).toBe('next');

      await stalled.stall();
      gate.release();

      const read: Chat[] = [];
      await reading.until((e) => {
        const event = (e.data?.chat ?? e.data?.chatStream)!;
        read.push(event);
        return ended(event);
      }, 60_000);
      expect(read.at(-1)!.__typename).toBe('ChatCompleted');
      expect(read.filter((e) => e.__typename === 'ChatToken').at(-1)!.index).toBe(3_000);
      await stillServing(s, user);
      stalled.resume();
      const after = await readUntil(stalled, 'run', (m) =>
        ended(dataOf<Record<string, Chat>>(m)[field === 'chat' ? 'chat' : 'chatStream']),
      );
      expect(dataOf<Record<string, Chat>>(after.at(-1)!)).toEqual({
        [field === 'chat' ? 'chat' : 'chatStream']: { __typename: 'ChatCompleted' },
      });
      stalled.close();
    }, 120_000);
  }

  it('the event bus never throws into its listeners: 20,000 events for a subscription that is not read', async () => {
    const s = server();
    const { pubsub } = s.services();
    const topic = randomUUID();
    const unread = pubsub.subscribe('typing:changed', topic);
    await pubsub.ready?.('typing:changed', topic);
    for (let i = 0; i < 20_000; i++)
      pubsub.publish('typing:changed', topic, { tenantId: 'none', conversationId: topic, userId: String(i), isTyping: true });
    const first = await unread.next();
    // In memory every publish reached the subscription at once, and only the newest 10,000 were kept.
    if (!process.env.TEST_REDIS_URL) expect(first.value?.userId).toBe('10000');
    for (let event = first.value; event?.userId !== '19999'; event = (await unread.next()).value);
    await unread.return?.();
    const user = await s.user();
    await stillServing(s, user);
  });
});

describe('throttles on setStatus and setTyping', () => {
  // Windows far longer than the test, so how fast this machine runs it changes nothing (defaults: 30/60 and 10/10).
  const server = useServer({ PRESENCE_STATUS_RATE_LIMIT: '5/600', TYPING_RATE_LIMIT: '5/600' });
  const code = (r: ExecutionResult<unknown>) => r.errors?.[0]?.extensions;

  it('setStatus past PRESENCE_STATUS_RATE_LIMIT is RATE_LIMITED (with retryAfter) and changes nothing; per user', async () => {
    const s = server();
    const [user, other] = [await s.user(), await s.user()];
    for (let i = 0; i < 5; i++) await s.ok(SetStatus, { s: 'BUSY', t: `call ${i}` }, { token: user.token });
    const refused = await s.gql(SetStatus, { s: 'AWAY', t: 'one too many' }, { token: user.token });
    expect(code(refused)).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    const me = await s.ok<{ me: { presence: { statusText: string } } }, Record<string, never>>(
      '{ me { presence { statusText } } }',
      {},
      { token: user.token },
    );
    expect(me.me.presence.statusText).toBe('call 4');
    expect((await s.gql(SetStatus, { s: 'BUSY', t: 'mine' }, { token: other.token })).errors).toBeUndefined();
  });

  it('setTyping started and stopped in turn shows at most TYPING_RATE_LIMIT starts and ends stopped', async () => {
    const s = server();
    const [typist, reader, prober, marker] = [await s.user(), await s.user(), await s.user(), await s.user()];
    const c = await createConversation(s, [typist, reader, prober, marker]);
    const reading = subscribe(s.ws({ token: reader.token }), TypingOf, { c }) as Subscription<Typing>;
    await reading.live(async () => {
      await s.ok(SetTyping, { c, t: true }, { token: prober.token });
      await s.ok(SetTyping, { c, t: false }, { token: prober.token });
    });
    for (let i = 0; i < 40; i++)
      expect(
        (await s.ok<{ setTyping: boolean }, Record<string, unknown>>(SetTyping, { c, t: i % 2 === 0 }, { token: typist.token })).setTyping,
      ).toBe(true);
    await s.ok(SetTyping, { c, t: true }, { token: marker.token }); // published after every event of the typist

    const shown: boolean[] = [];
    await reading.until((e) => {
      if (e.data?.typing.user.id === typist.id) shown.push(e.data.typing.isTyping);
      return e.data?.typing.user.id === marker.id;
    });
    // Unhurried, the reader sees five starts each followed by its stop. A reader that falls behind gets the typist's
    // latest state in place of what it had not read yet (delivery.ts coalesces per user): never more starts, and
    // the last state it sees is the last one set, stopped.
    expect(shown.filter((typing) => typing).length).toBeLessThanOrEqual(5);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.at(-1)).toBe(false);
  });
});
