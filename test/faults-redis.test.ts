// Redis restarting under two running instances. The instances use a private redis-server the test kills (SIGKILL)
// and starts again on the same port, empty (no persistence), as a crashed cache node comes back; the shared Redis is
// never touched. Runs in the PostgreSQL + Redis leg of .ci/run (TEST_REDIS_URL) when redis-server is on PATH.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { openTestDatabase, startServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import { recordEvents, titled, until, waitForReady } from './helpers/faults.ts';
import { createConversation, makeContacts } from './helpers/conversations.ts';
import { online } from './helpers/online.ts';
import { hasRedisServer, startPrivateRedis, type PrivateRedis } from './helpers/redis-server.ts';
import type { Database } from '../src/db/client.ts';
import { startTcpProxy, targetOf, throughProxy, type TcpProxy } from './helpers/tcp-proxy.ts';

const REDIS = process.env.TEST_REDIS_URL;
const NEEDS = { TEST_REDIS_URL: REDIS, 'redis-server on PATH': hasRedisServer() };
const canRun = Object.values(NEEDS).every(Boolean);

const SendRedis = graphql(`
  mutation RedisFaultSend($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      sequence
    }
  }
`);
const LastSequenceRedis = graphql(`
  query RedisFaultLastSequence($id: ID!) {
    conversation(id: $id) {
      lastSequence
    }
  }
`);
const PresenceRedis = graphql(`
  query RedisFaultPresence($userIds: [ID!]!) {
    presence(userIds: $userIds) {
      status
    }
  }
`);
const PresenceChangedRedis = graphql(`
  subscription RedisFaultPresenceChanged($userIds: [ID!]) {
    presenceChanged(userIds: $userIds) {
      user {
        id
      }
      status
    }
  }
`);

describe.skipIf(!canRun)(titled('Redis restart under two instances', NEEDS), () => {
  let redis: PrivateRedis;
  let db: Database;
  let drop: () => Promise<void>;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    ({ db, drop } = await openTestDatabase());
    // A short presence TTL: heartbeats (which notice a Redis that lost its data) run every second.
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'faults:', PRESENCE_TTL_SECONDS: '3', PRESENCE_GRACE_MS: '150' };
    a = await startServer(env, { db });
    b = await startServer(env, { db });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await db?.close();
    await drop?.();
    await redis?.stop();
  });

  it('events resume across instances, presence recovers, /ready follows Redis, nothing crashes', async () => {
    const [alice, bob, carol] = [await a.user(), await a.user(), await a.user()];
    const conversationId = await createConversation(a, [alice, bob, carol]);
    await makeContacts(a, carol, bob); // presence is for accepted contacts
    const start = (await a.ok(LastSequenceRedis, { id: conversationId }, { token: alice.token })).conversation!.lastSequence;
    const send = async (content: string) =>
      (await a.ok(SendRedis, { input: { conversationId, content } }, { token: alice.token })).sendMessage;
    // Bob listens on B to what Alice sends on A; Carol is online with a socket on A.
    const events = recordEvents(b.ws({ token: bob.token }), conversationId, start);
    for (let i = 0; events.seen.length === 0; i++) {
      await send(`probe ${i}`);
      await events.reach(start + i + 1, 1_000).catch(() => {});
    }
    const carolOnline = await online(a, carol);
    const status = async () => (await b.ok(PresenceRedis, { userIds: [carol.id] }, { token: bob.token })).presence[0].status;
    await until(async () => (await status()) === 'ONLINE', 10_000, 'carol online on B');
    const watch = subscribe(b.ws({ token: bob.token }), PresenceChangedRedis, { userIds: [carol.id] });

    await redis.kill();
    expect(await waitForReady(a, 503)).toMatchObject({ status: 'unavailable', database: true, redis: false });
    expect(await waitForReady(b, 503)).toMatchObject({ redis: false });
    // The database still answers: a message sent now is stored (its event cannot travel yet).
    const during = await send('while Redis is down');
    // A subscription started during the outage waits for Redis instead of missing what follows.
    const late = recordEvents(b.ws({ token: bob.token }), conversationId, during.sequence);

    // Down for longer than ioredis holds a command while it reconnects (3 attempts, about 1.2 s): the late
    // subscription's SUBSCRIBE fails for good and must be made again once Redis is back.
    await new Promise((r) => setTimeout(r, 2_500));
    await redis.start(); // empty: no subscriptions, no presence keys
    await waitForReady(a, 200);
    await waitForReady(b, 200);
    // The message stored during the outage arrives without waiting for a later one: streams read the log back
    // when the bus reconnects.
    await events.reach(during.sequence, 15_000);
    const after = await send('after the restart');
    await events.reach(after.sequence, 15_000); // B re-subscribed, and the missed event is read from the log
    await late.reach(after.sequence, 15_000);
    expect(events.seen.map((e) => e.sequence)).toEqual(Array.from({ length: after.sequence - start }, (_, i) => start + 1 + i));
    expect(late.seen.map((e) => e.sequence)).toEqual([after.sequence]);

    // Carol's socket on A never closed: A writes its connections again (Redis came back empty), and B sees her
    // online; when she leaves, the OFFLINE announcement reaches B's subscriber.
    await until(async () => (await status()) === 'ONLINE', 10_000, 'carol online on B again');
    await carolOnline.dispose();
    await watch.until((e) => e.data?.presenceChanged.user.id === carol.id && e.data.presenceChanged.status === 'OFFLINE', 15_000);
    expect(await status()).toBe('OFFLINE');
  });
});

describe.skipIf(!canRun)(titled('Redis out of reach for one instance (its data kept)', NEEDS), () => {
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let db: Database;
  let drop: () => Promise<void>;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    proxy = await startTcpProxy(targetOf(redis.url));
    ({ db, drop } = await openTestDatabase());
    // The default TTL: A's heartbeat outlives the outage, so nobody sweeps A; it must put things right itself.
    const env = { REDIS_PREFIX: 'faults-cut:', PRESENCE_TTL_SECONDS: '30', PRESENCE_GRACE_MS: '150' };
    a = await startServer({ ...env, REDIS_URL: throughProxy(redis.url, proxy.port) }, { db });
    b = await startServer({ ...env, REDIS_URL: redis.url }, { db });
  });
  afterAll(async () => {
    proxy?.restore();
    await a?.stop();
    await b?.stop();
    await db?.close();
    await drop?.();
    await proxy?.close();
    await redis?.stop();
  });

  it('connections opened and closed on it meanwhile show up right on the other instance once it is back', async () => {
    const [viewer, leaves, stays, arrives] = [await a.user(), await a.user(), await a.user(), await a.user()];
    await createConversation(a, [viewer, leaves, stays, arrives]);
    for (const u of [leaves, stays, arrives]) await makeContacts(a, viewer, u); // presence is for accepted contacts
    const statuses = async () =>
      (await b.ok(PresenceRedis, { userIds: [leaves.id, stays.id, arrives.id] }, { token: viewer.token })).presence.map((p) => p.status);
    const leaving = await online(a, leaves);
    const staying = await online(a, stays);
    await until(async () => (await statuses()).join() === 'ONLINE,ONLINE,OFFLINE', 10_000, 'both online on B');

    proxy.cut();
    await waitForReady(a, 503);
    await leaving.dispose();
    const arriving = await online(a, arrives);
    // Longer than ioredis holds a command while it reconnects (3 attempts, about 1.2 s): both writes fail for good.
    await new Promise((r) => setTimeout(r, 2_500));
    proxy.restore();
    await waitForReady(a, 200);

    await until(async () => (await statuses()).join() === 'OFFLINE,ONLINE,ONLINE', 10_000, 'presence on B to catch up');
    await staying.dispose();
    await arriving.dispose();
    await until(async () => (await statuses()).join() === 'OFFLINE,OFFLINE,OFFLINE', 10_000, 'everyone offline');
  });
});
