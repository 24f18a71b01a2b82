// Several instances behind one load balancer: events and presence cross instances through Redis. The two-instance
// tests run when TEST_REDIS_URL is set (the SIGKILL test also needs TEST_DATABASE_URL, since a child process cannot
// share an in-memory PGlite) and are reported as skipped otherwise.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { graphql } from './gql/index.ts';
import { MAIN_ARGS, openTestDatabase, startServer, testConfig, useTwoInstances, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import { createConversation, makeContacts } from './helpers/conversations.ts';
import { connectRedis } from '../src/realtime/redis.ts';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/logger.ts';
import type { Database } from '../src/db/client.ts';
import { online } from './helpers/online.ts';

const REDIS = process.env.TEST_REDIS_URL;
const POSTGRES = process.env.TEST_DATABASE_URL;

const SetTyping = graphql(`
  mutation ScaleSetTyping($conversationId: ID!, $isTyping: Boolean!) {
    setTyping(conversationId: $conversationId, isTyping: $isTyping)
  }
`);
const Typing = graphql(`
  subscription ScaleTyping($conversationId: ID!) {
    typing(conversationId: $conversationId) {
      user {
        id
      }
      isTyping
    }
  }
`);
const SetStatus = graphql(`
  mutation ScaleSetStatus($status: PresenceStatus!, $text: String) {
    setStatus(status: $status, text: $text) {
      status
    }
  }
`);
const PresenceChanged = graphql(`
  subscription ScalePresence($userIds: [ID!]) {
    presenceChanged(userIds: $userIds) {
      user {
        id
      }
      status
    }
  }
`);
const PresenceOf = graphql(`
  query ScalePresenceOf($userIds: [ID!]!) {
    presence(userIds: $userIds) {
      status
    }
  }
`);
const SignIn = graphql(`
  mutation ScaleSignIn($input: SignInInput!) {
    signIn(input: $input) {
      token
      session {
        id
      }
    }
  }
`);
const RevokeSession = graphql(`
  mutation ScaleRevoke($id: ID!) {
    revokeSession(id: $id)
  }
`);
const SessionsEnded = graphql(`
  subscription ScaleSessionsEnded {
    sessionsEnded {
      sessionIds
      reason
    }
  }
`);

type PresenceEvent = { data?: { presenceChanged: { user: { id: string }; status: string } } | null };
const presenceOf = (userId: string, status: string) => (e: PresenceEvent) =>
  e.data?.presenceChanged.user.id === userId && e.data.presenceChanged.status === status;
type TypingEvent = { data?: { typing: { user: { id: string }; isTyping: boolean } } | null };
const typingOf = (userId: string, isTyping: boolean) => (e: TypingEvent) =>
  e.data?.typing.user.id === userId && e.data.typing.isTyping === isTyping;

describe('Redis unreachable at start', () => {
  it('fails with a clear message naming REDIS_URL (password hidden)', async () => {
    await expect(connectRedis('redis://:secret@127.0.0.1:1', createLogger('silent'), 2_000)).rejects.toThrow(
      /^Cannot connect to Redis at REDIS_URL \(redis:\/\/:\*\*\*@127\.0\.0\.1:1\/?\)/,
    );
  });

  it('stops the app from starting', async () => {
    const { db, drop } = await openTestDatabase();
    try {
      const config = testConfig({ REDIS_URL: 'redis://127.0.0.1:1' });
      await expect(buildApp(config, { db, logger: createLogger('silent') })).rejects.toThrow(/Cannot connect to Redis/);
    } finally {
      await db.close();
      await drop();
    }
  });
});

describe.skipIf(!REDIS)('two instances on one database and one Redis', () => {
  const pair = useTwoInstances({ PRESENCE_GRACE_MS: '150' });
  let a: TestServer;
  let b: TestServer;
  beforeEach(() => ({ a, b } = pair()));

  it('a session revoked on A ends on a subscriber of B', async () => {
    const user = await a.user();
    const ended = subscribe(b.ws({ token: user.token }), SessionsEnded);
    const newSession = async () => (await a.ok(SignIn, { input: { email: user.email, password: user.password } })).signIn.session.id;
    await ended.live(async () => a.ok(RevokeSession, { id: await newSession() }, { token: user.token }));
    const id = await newSession();
    await a.ok(RevokeSession, { id }, { token: user.token });
    await ended.until((e) => e.data?.sessionsEnded.sessionIds.includes(id) === true);
  });

  it('typing crosses instances, with one throttle and one state for both', async () => {
    const [alice, bob, dave] = [await a.user(), await a.user(), await a.user()];
    const conversationId = await createConversation(a, [alice, bob, dave]);
    const bobOnB = subscribe(b.ws({ token: bob.token }), Typing, { conversationId });
    await bobOnB.live(async () => {
      await a.ok(SetTyping, { conversationId, isTyping: true }, { token: dave.token });
      await a.ok(SetTyping, { conversationId, isTyping: false }, { token: dave.token });
    });

    await a.ok(SetTyping, { conversationId, isTyping: true }, { token: alice.token });
    await b.ok(SetTyping, { conversationId, isTyping: true }, { token: alice.token }); // throttled, though on B
    await b.ok(SetTyping, { conversationId, isTyping: false }, { token: alice.token }); // ends A's state
    await bobOnB.until(typingOf(alice.id, true));
    const next = await bobOnB.until((e) => e.data?.typing.user.id === alice.id);
    expect(next.data?.typing.isTyping).toBe(false);
  });

  it('presence crosses instances; sockets on both keep a user online until both close', async () => {
    const [alice, bob] = [await a.user(), await a.user()];
    await createConversation(a, [alice, bob]);
    await makeContacts(a, alice, bob); // presence is for accepted contacts
    const aliceOnA = subscribe(a.ws({ token: alice.token }), PresenceChanged, { userIds: [bob.id] });
    await aliceOnA.live(() => b.ok(SetStatus, { status: 'ONLINE' }, { token: bob.token }));

    const onB = await online(b, bob);
    await aliceOnA.until(presenceOf(bob.id, 'ONLINE'));
    const onA = await online(a, bob);
    await onB.dispose();
    await b.ok(SetStatus, { status: 'AWAY' }, { token: bob.token });
    // Still online through the socket on A: the status change shows AWAY, not OFFLINE.
    await aliceOnA.until(presenceOf(bob.id, 'AWAY'));
    expect((await b.ok(PresenceOf, { userIds: [bob.id] }, { token: alice.token })).presence[0].status).toBe('AWAY');
    await onA.dispose();
    await aliceOnA.until(presenceOf(bob.id, 'OFFLINE'));
  });
});

describe.skipIf(!REDIS || !POSTGRES)('an instance killed with SIGKILL', () => {
  let db: Database;
  let url: string;
  let drop: () => Promise<void>;
  let a: TestServer;
  let child: ChildProcess | undefined;
  let dataDir: string;
  const prefix = `test:kill:${process.pid}:${Date.now()}:`;
  const env = { REDIS_PREFIX: prefix, PRESENCE_TTL_SECONDS: '3', PRESENCE_GRACE_MS: '150' };

  beforeAll(async () => {
    const opened = await openTestDatabase();
    ({ db, drop } = opened);
    url = opened.url!;
    a = await startServer(env, { db });
    dataDir = await mkdtemp(join(tmpdir(), 'parley-b-'));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await a?.stop();
    await db?.close();
    await drop?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("makes the dead instance's users OFFLINE on the survivor within the TTL", async () => {
    const bUrl = await spawnInstance({
      ...env,
      DATABASE_URL: url,
      REDIS_URL: REDIS!,
      DATA_DIR: dataDir,
      AUTH_SECRET: a.config.authSecret,
      BCRYPT_COST: '4',
    });
    const [alice, bob] = [await a.user(), await a.user()];
    await createConversation(a, [alice, bob]);
    await makeContacts(a, alice, bob); // presence is for accepted contacts
    const aliceOnA = subscribe(a.ws({ token: alice.token }), PresenceChanged, { userIds: [bob.id] });
    await aliceOnA.live(() => a.ok(SetStatus, { status: 'ONLINE' }, { token: bob.token }));

    const bobOnB = createClient({
      url: bUrl.replace(/^http/, 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
      connectionParams: { authorization: `Bearer ${bob.token}` },
    });
    bobOnB.on('error', () => {});
    await aliceOnA.until(presenceOf(bob.id, 'ONLINE'));

    child!.kill('SIGKILL');
    // TTL 3 s, sweeps every second: well within the 15 s we wait.
    await aliceOnA.until(presenceOf(bob.id, 'OFFLINE'), 15_000);
    expect((await a.ok(PresenceOf, { userIds: [bob.id] }, { token: alice.token })).presence[0].status).toBe('OFFLINE');
    await bobOnB.dispose();
  });

  function spawnInstance(extraEnv: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      child = spawn(process.execPath, MAIN_ARGS, {
        env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const timer = setTimeout(() => reject(new Error(`instance B did not start:\n${out}`)), 45_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        for (const line of out.split('\n')) {
          if (!line.includes('parley listening')) continue;
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`instance B exited (${code}):\n${out}`));
      });
    });
  }
});

describe.skipIf(!REDIS)('Redis lost at runtime', () => {
  let proxy: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let s: TestServer;
  const target = REDIS ? new URL(REDIS) : null;

  /** A TCP proxy to the test Redis that the test can cut and restore. */
  async function startProxy(at = 0) {
    proxy = createServer((client) => {
      const upstream = createConnectionTo();
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => proxy.listen(at, '127.0.0.1', resolve));
    port = (proxy.address() as { port: number }).port;
  }
  const createConnectionTo = () => createConnection(Number(target!.port || 6379), target!.hostname);
  async function cut() {
    await new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  }
  async function readyStatus() {
    return (await fetch(`${s.url}/ready`)).status;
  }
  async function waitFor(status: number, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while ((await readyStatus()) !== status) {
      if (Date.now() > deadline) throw new Error(`/ready did not answer ${status} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    await startProxy();
    s = await startServer({ REDIS_URL: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await s?.stop();
    proxy?.close();
    for (const socket of sockets) socket.destroy();
  });

  it('keeps serving HTTP, reports not-ready, and recovers when Redis is back', async () => {
    expect(await readyStatus()).toBe(200);
    await cut();
    await waitFor(503, 10_000);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect(await s.ok('{ __typename }')).toEqual({ __typename: 'Query' });
    const body = await (await fetch(`${s.url}/ready`)).json();
    expect(body).toMatchObject({ status: 'unavailable', database: true, redis: false });

    await startProxy(port);
    await waitFor(200, 20_000);
    // Events flow again (the subscriber connection re-subscribed).
    const [alice, bob] = [await s.user(), await s.user()];
    const conversationId = await createConversation(s, [alice, bob]);
    const bobSees = subscribe(s.ws({ token: bob.token }), Typing, { conversationId });
    await bobSees.live(async () => {
      await s.ok(SetTyping, { conversationId, isTyping: true }, { token: alice.token });
      await s.ok(SetTyping, { conversationId, isTyping: false }, { token: alice.token });
    });
  });
});
