// PostgreSQL restarting under a running server. The server reaches its database through a TCP proxy the test cuts
// (every connection dropped, new ones refused) and restores: what a restart or a failover looks like from the
// server. Needs TEST_DATABASE_URL (the shared PostgreSQL is never restarted; PGlite is in-process and cannot go away);
// the two-instance part also needs TEST_REDIS_URL. Both run in the PostgreSQL + Redis leg of .ci/run.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql } from './gql/index.ts';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { createDatabaseFromTemplate } from './helpers/postgres.ts';
import { startTcpProxy, targetOf, throughProxy, type TcpProxy } from './helpers/tcp-proxy.ts';
import { closed, subscribe } from './helpers/ws.ts';
import { history, recordEvents, titled, until, waitForReady } from './helpers/faults.ts';
import { online } from './helpers/online.ts';
import { createConversation, makeContacts } from './helpers/conversations.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import type { PresenceStore } from '../src/presence/store.ts';

const POSTGRES = process.env.TEST_DATABASE_URL;
const REDIS = process.env.TEST_REDIS_URL;

const SendFault = graphql(`
  mutation FaultsSend($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      sequence
      clientMessageId
    }
  }
`);
const ConversationFault = graphql(`
  query FaultsConversation($id: ID!) {
    conversation(id: $id) {
      id
      lastSequence
    }
  }
`);
const PresenceFault = graphql(`
  query FaultsPresence($userIds: [ID!]!) {
    presence(userIds: $userIds) {
      status
    }
  }
`);
const FaultsEventsStart = graphql(`
  subscription FaultsEventsStart($c: ID) {
    conversationEvents(conversationId: $c) {
      sequence
    }
  }
`);
const CarriedEvents = graphql(`
  subscription FaultsCarried($c: ID) {
    conversationEvents(conversationId: $c) {
      sequence
      message {
        id
        content
        sender {
          name
        }
      }
    }
  }
`);
const SignInFault = graphql(`
  mutation FaultsSignIn($input: SignInInput!) {
    signIn(input: $input) {
      token
    }
  }
`);

type SendResult = ExecutionResult<{ sendMessage: { id: string; sequence: number; clientMessageId?: string | null } }>;

/** A fresh copy of the test template reached through a proxy, and one server on it. */
async function serverBehindProxy(env: Record<string, string> = {}) {
  const copy = await createDatabaseFromTemplate(POSTGRES!, inject('postgresTemplate'));
  const proxy = await startTcpProxy(targetOf(copy.url));
  const db = await openDatabase({ url: throughProxy(copy.url, proxy.port), poolSize: 5 });
  const server = await startServer(env, { db });
  return {
    copy,
    proxy,
    db,
    server,
    async stop() {
      proxy.restore();
      await server.stop();
      await db.close();
      await proxy.close();
      await copy.drop();
    },
  };
}

const expectRetryable = (result: ExecutionResult<unknown>) => {
  expect(Object.values(result.data ?? {}).every((v) => v === null)).toBe(true);
  expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  // Nothing of the driver's error reaches the client.
  expect(JSON.stringify(result.errors)).not.toMatch(/prisma|P10\d\d|ECONN|connection|at \//i);
};

describe.skipIf(!POSTGRES)(titled('PostgreSQL restart while clients are connected', { TEST_DATABASE_URL: POSTGRES }), () => {
  let env: Awaited<ReturnType<typeof serverBehindProxy>>;
  let s: TestServer;
  let proxy: TcpProxy;
  beforeAll(async () => {
    env = await serverBehindProxy({ PRESENCE_GRACE_MS: '100' });
    ({ server: s, proxy } = env);
  });
  afterEach(() => proxy.restore());
  afterAll(async () => env?.stop());

  it('answers SERVICE_UNAVAILABLE (retryable) during the outage, /ready is 503, and the same server recovers', async () => {
    const [alice, bob] = [await s.user(), await s.user()];
    const conversationId = await createConversation(s, [alice, bob]);
    await makeContacts(s, alice, bob); // presence is for accepted contacts
    // A token not used yet, so checking it needs the database (used tokens are cached).
    const fresh = (await s.ok(SignInFault, { input: { email: bob.email, password: bob.password } })).signIn.token;
    const bobOnline = await online(s, bob);
    const aliceSocket = await online(s, alice);
    await waitForReady(s, 200);

    proxy.cut();
    expectRetryable(await s.gql(ConversationFault, { id: conversationId }, { token: alice.token })); // in a resolver
    expectRetryable(await s.gql(ConversationFault, { id: conversationId }, { token: fresh })); // in the context
    expectRetryable(
      await s.gql(SendFault, { input: { conversationId, content: 'during', clientMessageId: 'k-during' } }, { token: alice.token }),
    );
    expect(await waitForReady(s, 503)).toMatchObject({ status: 'unavailable', database: false });
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    // A subscription started on a socket opened before the outage gets the same retryable error.
    expectRetryable(await subscribe(aliceSocket, FaultsEventsStart, { c: conversationId }).next());
    // The REST auth routes answer 503 with Retry-After.
    const rest = await fetch(`${s.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: bob.email, password: bob.password }),
    });
    expect(rest.status).toBe(503);
    expect(rest.headers.get('retry-after')).toBe('1');
    expect(await rest.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    // A WebSocket opened now is told to come back later (1013), not that its credentials are bad (4403).
    const socket = createClient({
      url: s.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
      connectionParams: { authorization: `Bearer ${fresh}` },
    });
    expect((await closed(socket)).code).toBe(1013);
    await socket.dispose();
    // Bob leaves while his last-seen time cannot be written: the grace period must still end his presence. (Read
    // from the presence store: every GraphQL way to ask needs the database.)
    await bobOnline.dispose();
    const store = (s.services().presence as unknown as { deps: { store: PresenceStore } }).deps.store;
    await until(async () => !(await store.online([bob.id])).has(bob.id), 5_000, 'bob to go offline during the outage');

    proxy.restore();
    expect(await waitForReady(s, 200)).toMatchObject({ status: 'ready', database: true });
    expect((await s.ok(ConversationFault, { id: conversationId }, { token: fresh })).conversation?.id).toBe(conversationId);
    // The send that failed, retried with its clientMessageId (twice), is stored once.
    const retried = await s.ok(
      SendFault,
      { input: { conversationId, content: 'during', clientMessageId: 'k-during' } },
      { token: alice.token },
    );
    const again = await s.ok(
      SendFault,
      { input: { conversationId, content: 'during', clientMessageId: 'k-during' } },
      { token: alice.token },
    );
    expect(again.sendMessage.id).toBe(retried.sendMessage.id);
    const stored = await history(s, alice, conversationId);
    expect(stored.filter((m) => m.clientMessageId === 'k-during').map((m) => m.id)).toEqual([retried.sendMessage.id]);
    // ... and he is not left ONLINE: the grace period ran out whatever the database said.
    await until(async () => (await s.ok(PresenceFault, { userIds: [bob.id] }, { token: alice.token })).presence[0].status === 'OFFLINE');
  });

  it('a send whose commit took effect but whose answer was lost: retryable error, stored once on retry, and delivered live', async () => {
    const [alice, bob] = [await s.user(), await s.user()];
    const conversationId = await createConversation(s, [alice, bob]);
    const start = (await s.ok(ConversationFault, { id: conversationId }, { token: alice.token })).conversation!.lastSequence;
    const events = recordEvents(s.ws({ token: bob.token }), conversationId, start);
    const send = (content: string, clientMessageId?: string) =>
      s.gql(SendFault, { input: { conversationId, content, clientMessageId } }, { token: alice.token }) as Promise<SendResult>;
    for (let i = 0; events.seen.length === 0; i++) {
      await send(`probe ${i}`);
      await events.reach(start + i + 1, 1_000).catch(() => {});
    }

    // A send is one statement (its own transaction): the connection dies once the statement is on its way.
    const lost = proxy.loseAnswerTo('parley_append_message(');
    const first = await send('answer lost', 'k-lost');
    await lost; // PostgreSQL ran (and committed) it
    expectRetryable(first);
    const retried = (await send('answer lost', 'k-lost')).data!.sendMessage;
    const stored = await history(s, alice, conversationId);
    expect(stored.filter((m) => m.clientMessageId === 'k-lost').map((m) => m.id)).toEqual([retried.id]);
    // Its first attempt published nothing: the retry does, so Bob does not wait for the next message to see it.
    await events.reach(retried.sequence, 5_000);
    expect(events.seen.at(-1)).toMatchObject({ sequence: retried.sequence, messageId: retried.id });
  });

  it('an event whose fields cannot be read ends the stream with a retryable error; resumed, it arrives whole', async () => {
    const [alice, bob] = [await s.user(), await s.user()];
    const conversationId = await createConversation(s, [alice, bob]);
    const start = (await s.ok(ConversationFault, { id: conversationId }, { token: alice.token })).conversation!.lastSequence;
    const events = recordEvents(s.ws({ token: bob.token }), conversationId, start);
    const send = async (content: string) =>
      (await s.ok(SendFault, { input: { conversationId, content } }, { token: alice.token })).sendMessage;
    for (let i = 0; events.seen.length === 0; i++) {
      await send(`probe ${i}`);
      await events.reach(start + i + 1, 1_000).catch(() => {});
    }

    // The connection drops while the event's `member` is being read (nothing else reads a membership by its key
    // meanwhile; the message and its sender travel with the event).
    const lost = proxy.loseAnswerTo(
      'FROM "public"."ConversationMember" AS "t0" WHERE (("t0"."conversationId" = $1 AND "t0"."userId" = $2)',
    );
    const sent = await send('its event loses the database');
    await lost;
    const error = (await events.current().ended(10_000)) as { extensions?: Record<string, unknown> }[] | undefined;
    expect(error?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(events.broken).toEqual([]); // not delivered with a hole where the message should be
    events.resume(s.ws({ token: bob.token }));
    await events.reach(sent.sequence);
    expect(events.seen.at(-1)).toMatchObject({ sequence: sent.sequence, messageId: sent.id });
    expect(events.seen.map((e) => e.sequence)).toEqual(Array.from({ length: sent.sequence - start }, (_, i) => start + 1 + i));
  });

  it('loses no send across the restart: each returns the stored message or a retryable error, and retries store it once', async () => {
    const [alice, bob] = [await s.user(), await s.user()];
    const conversationId = await createConversation(s, [alice, bob]);
    const start = (await s.ok(ConversationFault, { id: conversationId }, { token: alice.token })).conversation!.lastSequence;
    const events = recordEvents(s.ws({ token: bob.token }), conversationId, start);

    const send = (key: string): Promise<SendResult> =>
      s.gql(
        SendFault,
        { input: { conversationId, content: `m ${key}`, clientMessageId: key } },
        { token: alice.token },
      ) as Promise<SendResult>;
    const outcomes = new Map<string, SendResult>();
    let failures = 0;
    let failed: () => void = () => {};
    const firstFailure = new Promise<void>((resolve) => (failed = resolve));
    // Three writers send 20 messages each, without waiting for the outage; the database goes away mid-stream.
    const writers = [0, 1, 2].map(async (w) => {
      for (let i = 0; i < 20; i++) {
        const key = `w${w}-${i}`;
        const result = await send(key);
        outcomes.set(key, result);
        if (result.errors) {
          failures++;
          failed();
        }
      }
    });
    await events.reach(start + 6); // some sends are through
    proxy.cut();
    await firstFailure;
    await waitForReady(s, 503);
    proxy.restore();
    await Promise.all(writers);
    expect(failures).toBeGreaterThan(0);

    const stored = new Map<string, string>();
    for (const [key, result] of outcomes) {
      if (result.errors) {
        expect(result.errors[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
        // The client retries with the same key until it gets the stored message.
        let retry = await send(key);
        for (let n = 0; retry.errors && n < 50; n++) retry = await send(key);
        expect(retry.errors).toBeUndefined();
        stored.set(key, retry.data!.sendMessage.id);
      } else {
        stored.set(key, result.data!.sendMessage.id);
      }
    }
    const marker = (
      await s.ok(SendFault, { input: { conversationId, content: 'marker', clientMessageId: 'marker' } }, { token: alice.token })
    ).sendMessage;

    const messages = await history(s, alice, conversationId);
    // Exactly one stored message per key, and it is the one the sender was given.
    expect(
      messages
        .filter((m) => m.clientMessageId !== 'marker')
        .map((m) => m.clientMessageId)
        .sort(),
    ).toEqual([...stored.keys()].sort());
    for (const m of messages) if (m.clientMessageId !== 'marker') expect(m.id).toBe(stored.get(m.clientMessageId!));

    // The subscriber: either its stream lived through the restart, or it ended with an error and is resumed.
    const end = await Promise.race([
      events.reach(marker.sequence, 10_000).then(() => 'live'),
      events
        .current()
        .ended(10_000)
        .then(() => 'ended'),
    ]);
    if (end === 'ended') {
      events.resume(s.ws({ token: bob.token }));
      await events.reach(marker.sequence);
    }
    expect(events.broken).toEqual([]); // no event with holes: an unresolvable one ends the stream instead
    const sequences = events.seen.map((e) => e.sequence);
    expect(sequences).toEqual(Array.from({ length: marker.sequence - start }, (_, i) => start + 1 + i));
    expect(events.seen.filter((e) => e.type === 'MESSAGE_ADDED').map((e) => e.messageId)).toEqual(messages.map((m) => m.id));
  });
});

describe.skipIf(!POSTGRES || !REDIS)(
  titled('PostgreSQL lost by one instance while events arrive from another', { TEST_DATABASE_URL: POSTGRES, TEST_REDIS_URL: REDIS }),
  () => {
    let env: Awaited<ReturnType<typeof serverBehindProxy>>;
    let a: TestServer;
    let b: TestServer;
    let dbA: Database;
    beforeAll(async () => {
      const prefix = `test:faults-db:${process.pid}:${Date.now()}:`;
      env = await serverBehindProxy({ REDIS_PREFIX: prefix });
      b = env.server;
      dbA = await openDatabase({ url: env.copy.url, poolSize: 5 });
      a = await startServer({ REDIS_PREFIX: prefix }, { db: dbA });
    });
    afterAll(async () => {
      await a?.stop();
      await dbA?.close();
      await env?.stop();
    });

    it('a subscription whose server cannot read the log ends with a retryable error, and resumes with afterSequence without gaps', async () => {
      const [alice, bob]: TestUser[] = [await a.user(), await a.user()];
      const conversationId = await createConversation(a, [alice, bob]);
      const start = (await a.ok(ConversationFault, { id: conversationId }, { token: alice.token })).conversation!.lastSequence;
      const events = recordEvents(b.ws({ token: bob.token }), conversationId, start);
      const sendOnA = async (content: string) =>
        (await a.ok(SendFault, { input: { conversationId, content } }, { token: alice.token })).sendMessage;
      // Live on B (the subscription starts asynchronously): send until one arrives.
      for (let i = 0; events.seen.length === 0; i++) {
        await sendOnA(`probe ${i}`);
        await events.reach(start + i + 1, 1_000).catch(() => {});
      }

      env.proxy.cut();
      const during = await sendOnA('while B has no database');
      // B hears the event but cannot read the membership it selects: the stream ends with a clean, retryable error.
      const error = (await events.current().ended(10_000)) as { extensions?: Record<string, unknown> }[] | undefined;
      expect(JSON.stringify(error)).not.toMatch(/prisma|P10\d\d|ECONN|at \//i);
      expect(error?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
      const after = await sendOnA('also missed');

      env.proxy.restore();
      await waitForReady(b, 200);
      events.resume(b.ws({ token: bob.token }));
      await events.reach(after.sequence);
      const last = await sendOnA('live again');
      await events.reach(last.sequence);
      expect(events.seen.map((e) => e.sequence)).toEqual(Array.from({ length: last.sequence - start }, (_, i) => start + 1 + i));
      expect(events.seen.map((e) => e.messageId)).toContain(during.id);
    });

    it('delivers a live message on B without its database when the selection is what the event carries (message, sender)', async () => {
      const [alice, bob]: TestUser[] = [await a.user(), await a.user()];
      const conversationId = await createConversation(a, [alice, bob]);
      const sendOnA = async (content: string) =>
        (await a.ok(SendFault, { input: { conversationId, content } }, { token: alice.token })).sendMessage;
      const sub = subscribe(b.ws({ token: bob.token }), CarriedEvents, { c: conversationId });
      await sub.live(() => sendOnA('probe'));
      env.proxy.cut();
      try {
        const sent = await sendOnA('while B has no database');
        const got = await sub.until((r) => JSON.stringify(r).includes(sent.id));
        expect(got).toEqual({
          data: {
            conversationEvents: {
              sequence: sent.sequence,
              message: { id: sent.id, content: 'while B has no database', sender: { name: alice.name } },
            },
          },
        });
      } finally {
        env.proxy.restore();
        await waitForReady(b, 200);
      }
    });
  },
);
