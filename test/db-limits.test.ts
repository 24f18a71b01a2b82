// One viewer cannot hold the database for long. On PostgreSQL every statement but the migrations' runs under
// statement_timeout; on embedded PGlite (one connection, statements that cannot be interrupted) the wait in front of
// it is bounded and so is the queue. Either way the client gets a retryable SERVICE_UNAVAILABLE, never an internal error.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testPGlite } from './helpers/pglite.js';
import pg from 'pg';
import type { ExecutionResult } from 'graphql';
import { openDatabase, type Database } from '../src/db/client.ts';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { adminUrl, createDatabaseFromTemplate } from './helpers/postgres.ts';
import { createConversation } from './helpers/conversations.ts';
import { titled } from './helpers/faults.ts';

const POSTGRES = process.env.TEST_DATABASE_URL;
const LIMIT_MS = 300;

const Send = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id sequence } }';
const LastSequence = 'query($id: ID!) { conversation(id: $id) { lastSequence } }';
const Conversations = '{ conversations(first: 5) { edges { node { id } } } }';

const expectStatementTimeout = (result: ExecutionResult<unknown>) => {
  expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true, reason: 'STATEMENT_TIMEOUT' });
  expect(JSON.stringify(result.errors)).not.toMatch(/INTERNAL_SERVER_ERROR|57014|prisma|canceling/i);
};

/** Resolves when `promise` settles, with its error (or null). */
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (err: unknown) => err as { code?: string },
  );

describe.skipIf(!POSTGRES)(titled('PostgreSQL statement timeout', { TEST_DATABASE_URL: POSTGRES }), () => {
  let copy: Awaited<ReturnType<typeof createDatabaseFromTemplate>>;
  let db: Database;
  let s: TestServer;
  beforeAll(async () => {
    copy = await createDatabaseFromTemplate(POSTGRES!, inject('postgresTemplate'));
    db = await openDatabase({ url: copy.url, poolSize: 3, statementTimeoutMs: LIMIT_MS });
    s = await startServer({}, { db });
  });
  afterAll(async () => {
    await s?.stop();
    await db?.close();
    await copy?.drop();
  });

  it('cancels a statement that runs too long on the server, and the connection serves the next one', async () => {
    const err = await failureOf(db.query('SELECT pg_sleep(30)', []));
    expect(err?.code).toBe('57014');
    // Cancelled by the server, not abandoned by the client: nothing is left running.
    const running = await db.query(
      `SELECT count(*)::int FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'`,
      [],
    );
    expect(running).toEqual([[0]]);
    // Every pooled connection (3) still works.
    expect(await Promise.all([1, 2, 3].map((n) => db.query('SELECT $1::int', [n])))).toEqual([[[1]], [[2]], [[3]]]);
  });

  it('a send stuck behind a held row lock ends as SERVICE_UNAVAILABLE (STATEMENT_TIMEOUT), and the next send works', async () => {
    const [alice, bob] = [await s.user(), await s.user()];
    const conversationId = await createConversation(s, [alice, bob]);
    const lastSequence = async () =>
      (
        await s.ok<{ conversation: { lastSequence: number } }, Record<string, unknown>>(
          LastSequence,
          { id: conversationId },
          { token: alice.token },
        )
      ).conversation.lastSequence;
    const before = await lastSequence();
    // Another session holds the conversation's row: every send to it waits on the lock.
    const holder = new pg.Client({ connectionString: copy.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM "Conversation" WHERE id = $1 FOR UPDATE', [conversationId]);
      expectStatementTimeout(await s.gql(Send, { input: { conversationId, content: 'stuck' } }, { token: alice.token }));
      // Statements that need no such lock were never held up.
      expect((await s.gql(Conversations, {}, { token: bob.token })).errors).toBeUndefined();
    } finally {
      await holder.query('COMMIT');
      await holder.end();
    }
    const sent = await s.ok<{ sendMessage: { sequence: number } }, Record<string, unknown>>(
      Send,
      { input: { conversationId, content: 'after' } },
      { token: alice.token },
    );
    expect(sent.sendMessage.sequence).toBe(before + 1); // the cancelled send stored nothing
  });

  it('does not apply to migrations (a fresh database migrates under a 1 ms limit)', async () => {
    const name = `parley_limit_${process.pid}`;
    const admin = new pg.Client({ connectionString: POSTGRES });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    const fresh = await openDatabase({ url: adminUrl(POSTGRES!, name), poolSize: 1, statementTimeoutMs: 1 });
    try {
      expect((await fresh.migrate()).length).toBeGreaterThan(0);
      expect(await failureOf(fresh.query('SELECT pg_sleep(1)', []))).toMatchObject({ code: '57014' });
    } finally {
      await fresh.close();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe.skipIf(!!POSTGRES)('embedded PGlite: the wait for its one connection is bounded', () => {
  let db: Database;
  let s: TestServer;
  let alice: TestUser;
  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: 'memory://', ...(await testPGlite()), statementTimeoutMs: LIMIT_MS });
    s = await startServer({}, { db });
    alice = await s.user();
  });
  afterAll(async () => {
    await s?.stop();
    await db?.close();
  });

  /** Holds the connection in an open transaction until the returned function is called. */
  async function holdConnection(): Promise<{ release: () => Promise<void> }> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const holding = new Promise<void>((r) => (entered = r));
    const transaction = db.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        entered();
        await released;
      },
      { timeout: 60_000 },
    );
    await holding;
    return {
      release: async () => {
        release();
        await transaction;
      },
    };
  }

  it('refuses a request that waited past the limit with SERVICE_UNAVAILABLE (STATEMENT_TIMEOUT), then serves the next', async () => {
    const held = await holdConnection();
    try {
      expectStatementTimeout(await s.gql(Conversations, {}, { token: alice.token }));
    } finally {
      await held.release();
    }
    expect((await s.gql(Conversations, {}, { token: alice.token })).errors).toBeUndefined();
  });

  it('refuses, without running it, a statement queued behind one that ran past the limit', async () => {
    // No JavaScript runs while PGlite executes a statement: the one queued behind it learns when it is its turn.
    const slow = db.query('SELECT count(*)::int FROM generate_series(1, 2000000)', []);
    const queued = failureOf(db.query('SELECT 1', []));
    expect(await slow).toEqual([[2_000_000]]);
    expect(await queued).toMatchObject({ code: '57014' });
    expect(await db.query('SELECT 2', [])).toEqual([[2]]);
  });

  it('bounds how many statements wait: beyond 1000 they are refused at once', async () => {
    const unlimited = await openDatabase({ pgliteDir: 'memory://', ...(await testPGlite()) });
    try {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const holding = new Promise<void>((r) => (entered = r));
      const transaction = unlimited.prisma.$transaction(
        async () => {
          entered();
          await released;
        },
        { timeout: 60_000 },
      );
      await holding;
      const waiting = Array.from({ length: 1000 }, (_, i) => unlimited.query('SELECT $1::int', [i]));
      expect(await failureOf(unlimited.query('SELECT 1', []))).toMatchObject({ code: '53300' });
      release();
      await transaction;
      expect((await Promise.all(waiting)).length).toBe(1000);
    } finally {
      await unlimited.close();
    }
  });
});
