// Starts a real Parley on port 0 with its own database (a copy of the migrated template: PGlite by default,
// PostgreSQL when TEST_DATABASE_URL is set) and gives tests HTTP, WebSocket and signed-in-user helpers.
import { afterAll, beforeAll, inject } from 'vitest';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPGlite } from './pglite.js';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { print, type ExecutionResult } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { buildApp, type App } from '../../src/app.ts';
import { parseConfig, type Config } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { createDatabaseFromTemplate } from './postgres.ts';

export type Doc<R = unknown, V = Record<string, unknown>> = TypedDocumentNode<R, V> | string;

export interface RequestOptions {
  token?: string | null;
  clientId?: string;
  headers?: Record<string, string>;
}

export interface TestUser {
  token: string;
  id: string;
  email: string;
  name: string;
  password: string;
  clientId?: string;
}

export interface TestServer {
  app: App;
  url: string;
  wsUrl: string;
  db: Database;
  config: Config;
  services(): App['services'];
  /** POST a GraphQL operation; returns the whole result (data and errors). */
  gql<R, V extends Record<string, unknown>>(doc: Doc<R, V>, variables?: V, opts?: RequestOptions): Promise<ExecutionResult<R>>;
  /** Like gql, but throws on errors and returns data. */
  ok<R, V extends Record<string, unknown>>(doc: Doc<R, V>, variables?: V, opts?: RequestOptions): Promise<R>;
  /** A new signed-up user (unique email) in the given tenant. */
  user(overrides?: Partial<{ email: string; name: string; password: string; username: string; clientId: string }>): Promise<TestUser>;
  /** A graphql-ws client (no retries); closed with the server. */
  /** A graphql-ws client; `headers` go on its upgrade request (e.g. X-Forwarded-For, User-Agent). */
  ws(opts?: { token?: string | null; clientId?: string; lazy?: boolean; headers?: Record<string, string> }): Client;
  stop(): Promise<void>;
}

/** `node` arguments that run a TypeScript file as the npm scripts do (tsx: `npm run tenants`, `npm run db:migrate`). */
export const LOADER_ARGS = ['--import', 'tsx'];
/**
 * `node` arguments (from the repository root) that start Parley as npm start and the Dockerfile do: the ahead-of-time
 * build in dist/, which the suite's global setup brings up to date (test/helpers/global-setup.ts).
 */
export const MAIN_ARGS = ['--enable-source-maps', 'dist/main.js'];

let counter = 0;
const unique = () => `${process.pid}${Date.now().toString(36)}${(counter++).toString(36)}`;

export const testConfig = (overrides: Record<string, string> = {}): Config => ({
  ...parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    BCRYPT_COST: '4',
    HOST: '127.0.0.1',
    PORT: '0',
    // A directory of its own (attachments land there), removed when a server started by startServer stops.
    DATA_DIR: join(tmpdir(), `parley-test-${unique()}`),
    // Tests sign up and in many times from one address; test/auth-limits.test.ts turns limits on where it needs them.
    RATE_LIMIT_SIGN_IN_ACCOUNT: 'off',
    RATE_LIMIT_SIGN_IN_IP: 'off',
    RATE_LIMIT_SIGN_UP_IP: 'off',
    RATE_LIMIT_MAIL_IP: 'off',
    // An embedded database works on the test's own thread: seeding or a flood of slow statements can stall it for
    // seconds, and an idle keep-alive socket must outlast that, or the next request meets one the server is closing
    // (ECONNRESET). test/limits.test.ts sets its own to test the timeout itself.
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '60000',
    // With TEST_REDIS_URL (as in .ci/run) every server uses Redis, on a channel prefix of its own unless given one.
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL, REDIS_PREFIX: `test:${unique()}:` } : {}),
    ...overrides,
  }),
  authSecret: 'test-secret-test-secret-test-secret-0123456789',
});

/** Opens a fresh database copied from the run's migrated template. */
export async function openTestDatabase(): Promise<{ db: Database; url?: string; drop: () => Promise<void> }> {
  const baseUrl = process.env.TEST_DATABASE_URL;
  if (baseUrl) {
    const copy = await createDatabaseFromTemplate(baseUrl, inject('postgresTemplate'));
    const db = await openDatabase({ url: copy.url, poolSize: 5 });
    return { db, url: copy.url, drop: copy.drop };
  }
  const db = await openDatabase({ pgliteDir: 'memory://', ...(await testPGlite()) });
  return { db, drop: async () => {} };
}

export async function startServer(env: Record<string, string> = {}, extra: { db?: Database; logger?: Logger } = {}): Promise<TestServer> {
  const config = testConfig(env);
  const fresh = extra.db ? null : await openTestDatabase();
  const db = extra.db ?? fresh!.db;
  const app = await buildApp(config, { db, logger: extra.logger ?? createLogger(config.LOG_LEVEL) });
  const url = await app.start(0, '127.0.0.1');
  const wsUrl = url.replace(/^http/, 'ws') + '/graphql';
  const clients: Client[] = [];

  const gql: TestServer['gql'] = async (doc, variables, opts = {}) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.clientId ? { 'x-client-id': opts.clientId } : {}),
        ...opts.headers,
      },
      body: JSON.stringify({ query: typeof doc === 'string' ? doc : print(doc), variables }),
    });
    return (await res.json()) as ExecutionResult<never>;
  };

  const server: TestServer = {
    app,
    url,
    wsUrl,
    db,
    config,
    services: () => app.services,
    gql,
    async ok(doc, variables, opts) {
      const result = await gql(doc, variables, opts);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data as never;
    },
    async user(o = {}) {
      const id = unique();
      const input = {
        email: o.email ?? `user${id}@example.com`,
        name: o.name ?? `User ${id}`,
        password: o.password ?? 'correct horse battery',
        ...(o.username ? { username: o.username } : {}),
      };
      const data = await server.ok<{ signUp: { token: string; user: { id: string } } }, Record<string, unknown>>(
        'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }',
        { input },
        { clientId: o.clientId },
      );
      return {
        token: data.signUp.token,
        id: data.signUp.user.id,
        email: input.email,
        name: input.name,
        password: input.password,
        clientId: o.clientId,
      };
    },
    ws(opts = {}) {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: opts.headers ? withHeaders(opts.headers) : WebSocket,
        retryAttempts: 0,
        lazy: opts.lazy ?? true,
        connectionParams: {
          ...(opts.clientId ? { clientId: opts.clientId } : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.dispose()));
      await app.stop();
      if (!env.DATA_DIR) await rm(config.DATA_DIR, { recursive: true, force: true });
      // A database passed in (several servers on one database) belongs to the caller, who closes it.
      if (fresh) {
        await db.close();
        await fresh.drop();
      }
    },
  };
  return server;
}

/** The `ws` client class sending these headers on every upgrade request. */
function withHeaders(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  };
}

/** Starts one server for the file (beforeAll) and stops it afterwards (afterAll). */
export function useServer(env: Record<string, string> = {}): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('server not started yet (use it inside a test)');
    return server;
  };
}

/**
 * Two servers on one database and one Redis (same REDIS_PREFIX), started for the file's describe block and stopped
 * after it: how tests see what crosses instances. Needs TEST_REDIS_URL (guard the block with skipIf).
 */
export function useTwoInstances(env: Record<string, string> = {}): () => { a: TestServer; b: TestServer } {
  let db: Database | undefined;
  let drop: (() => Promise<void>) | undefined;
  let pair: { a: TestServer; b: TestServer } | undefined;
  beforeAll(async () => {
    ({ db, drop } = await openTestDatabase());
    const shared = { REDIS_PREFIX: `test:pair:${unique()}:`, ...env };
    pair = { a: await startServer(shared, { db }), b: await startServer(shared, { db }) };
  });
  afterAll(async () => {
    await pair?.a.stop();
    await pair?.b.stop();
    await db?.close();
    await drop?.();
  });
  return () => {
    if (!pair) throw new Error('servers not started yet (use them inside a test)');
    return pair;
  };
}
