// Opens Parley's database: PostgreSQL through adapter-pg when a URL is given, otherwise embedded PGlite in a private
// directory guarded by an exclusive lock (PGlite has none, and two processes on one directory lose writes).
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from '../generated/prisma/client.ts';
import { applyMigrations } from './migrate.ts';
import { lockDirectory } from './dir-lock.ts';
import { privateDirectory, repairModes } from './data-dir.ts';
import { queuedPGlite } from './pglite-queue.ts';
import { observeErrors, ResourceAlarm } from './alarm.ts';

export { DatabaseLockedError } from './dir-lock.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** The driver adapter factory migrations run through (on PostgreSQL, one opening pools of its own). */
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** True when a trivial query answers within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  /** What the database reported lately that a trivial query does not show ("disk full"), or null. */
  alarm(): string | null;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /**
   * A hand-written statement for a hot path (history pages, sends), straight through the driver Prisma uses (the
   * same pool, or the same PGlite instance), without Prisma's query planning and result mapping. Rows come as arrays
   * in select-list order, with PostgreSQL `timestamp` columns as UTC Dates, as Prisma returns them. Counted in
   * queryCount() and onQuery. Not for use inside a Prisma transaction (it runs on a connection of its own).
   */
  query: SqlQuery;
  /** Number of SQL statements sent, by Prisma and by query() (for tests that bound N+1). */
  queryCount(): number;
  /** Maximum connections in the pool (0 on PGlite, which has one in-process connection). */
  poolSize: number;
  /** Closes Prisma and the driver; later calls return the first call's promise. */
  close(): Promise<void>;
}

/** PGlite's two WebAssembly modules, compiled: the server and initdb. */
export interface PGliteWasm {
  pglite: WebAssembly.Module;
  initdb: WebAssembly.Module;
}

export interface DatabaseOptions {
  /** postgresql://... ; when absent, embedded PGlite is used. */
  url?: string;
  /** PGlite data directory; `memory://` for a throwaway in-memory database. */
  pgliteDir?: string;
  /** A tarball of a PGlite data directory to start from (tests use a migrated template). */
  pgliteTemplate?: Blob;
  /** PGlite's WebAssembly, compiled once by the caller; without it every open compiles its own (see test/helpers/pglite.ts). */
  pgliteWasm?: PGliteWasm;
  /** Size of the PostgreSQL connection pool. */
  poolSize?: number;
  /**
   * PostgreSQL: statement_timeout of every statement but the migrations'. PGlite, where a running statement cannot be
   * stopped (see pglite-queue.ts): the longest a statement waits for the connection. 0 or absent: no limit.
   */
  statementTimeoutMs?: number;
  /** How long alarm() reports a disk-full error after the last one (default 30 s). */
  diskFullReportMs?: number;
  onQuery?: (sql: string, durationMs: number) => void;
}

export type SqlQuery = (text: string, values: unknown[]) => Promise<unknown[][]>;

// Statements waiting for embedded PGlite's one connection at once (beyond: refused at once, retryable). Far above what
// the server queues under its own full load (sends are grouped, pages are one statement); a flood of cheap requests
// fails fast instead of growing the queue.
const PGLITE_MAX_WAITING = 1_000;

const TIMESTAMP_OID = 1114;
const digits = (text: string, from: number, to: number) => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
};
/**
 * `timestamp` (without time zone) text, as Prisma stores DateTime: UTC wall time, "2026-12-02 18:00:35.252" (read
 * by position: a history page has hundreds); any other form (years before 1000, BC, infinity) goes through Date's
 * own parser.
 */
function parseTimestamp(text: string): Date {
  if (!/^[1-9]\d{3}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?$/.test(text)) return new Date(`${text.replace(' ', 'T')}Z`);
  const ms = text.length > 20 ? digits(`${text.slice(20, 23)}00`, 0, 3) : 0;
  return new Date(
    Date.UTC(
      digits(text, 0, 4),
      digits(text, 5, 7) - 1,
      digits(text, 8, 10),
      digits(text, 11, 13),
      digits(text, 14, 16),
      digits(text, 17, 19),
      ms,
    ),
  );
}
const PG_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_OID ? parseTimestamp : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  let factory: SqlMigrationAwareDriverAdapterFactory;
  let prismaFactory: SqlMigrationAwareDriverAdapterFactory;
  let closeDriver: () => Promise<void>;
  let kind: DatabaseKind;
  let send: SqlQuery;
  let repairFiles = async () => {};
  const statementTimeoutMs = opts.statementTimeoutMs ?? 0;
  if (opts.url) {
    kind = 'postgres';
    // One pool for Prisma and query(); PrismaPg leaves a pool it was given open, so close() ends it. The server
    // cancels a statement past statement_timeout (57014) and the connection stays usable.
    const config = { connectionString: opts.url, max: opts.poolSize ?? 10, connectionTimeoutMillis: 5_000 };
    const pool = new pg.Pool({ ...config, ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}) });
    pool.on('error', () => {}); // an idle client lost with the server: the next checkout reconnects
    prismaFactory = new PrismaPg(pool);
    // Migrations get pools of their own, ended when the schema engine is done: it holds an advisory lock on its
    // connection until that connection closes, and a pooled one would keep it from every other instance. They have
    // no statement timeout: rewriting a large table may take long, and stopping half-way helps nobody.
    factory = new PrismaPg(config);
    send = async (text, values) => (await pool.query<unknown[]>({ text, values, types: PG_TYPES, rowMode: 'array' })).rows;
    closeDriver = () => pool.end();
  } else {
    kind = 'pglite';
    const dir = opts.pgliteDir ?? 'memory://';
    const onDisk = !dir.startsWith('memory://');
    let unlock = async () => {};
    if (onDisk) {
      await privateDirectory(dir);
      unlock = await lockDirectory(dir);
      // PGlite writes files others can read (0666 from initdb, 0644 for pg_internal.init whenever the catalog
      // changes): owner-only again once it is open and once migrations have run.
      repairFiles = async () => {
        await repairModes(dir);
      };
    }
    let pglite: PGlite;
    try {
      pglite = new PGlite(dir, {
        ...(opts.pgliteTemplate ? { loadDataDir: opts.pgliteTemplate } : {}),
        ...(opts.pgliteWasm ? { pgliteWasmModule: opts.pgliteWasm.pglite, initdbWasmModule: opts.pgliteWasm.initdb } : {}),
      });
      await pglite.waitReady;
      await repairFiles();
    } catch (err) {
      await unlock();
      throw err;
    }
    const statements = queuedPGlite(pglite, { maxWaitMs: statementTimeoutMs, maxWaiting: PGLITE_MAX_WAITING });
    // The adapter uses only query, exec and transaction of the instance it is given (pglite-prisma-adapter 0.7).
    prismaFactory = new PrismaPGlite(statements as PGlite);
    // Migrations run straight on the instance: at start-up, before anything else queues, and with no time limit.
    factory = new PrismaPGlite(pglite);
    const parsers = { [TIMESTAMP_OID]: parseTimestamp };
    send = async (text, values) => (await statements.query<unknown[]>(text, values, { parsers, rowMode: 'array' })).rows;
    closeDriver = async () => {
      await pglite.close();
      await unlock();
    };
  }

  let queries = 0;
  let closing: Promise<void> | undefined;
  const alarm = new ResourceAlarm(opts.diskFullReportMs);
  const prisma = new PrismaClient({ adapter: observeErrors(prismaFactory, alarm.note), log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (e) => {
    queries++;
    opts.onQuery?.(e.query, e.duration);
  });

  return {
    prisma,
    kind,
    factory,
    async ping(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          prisma.$queryRaw`SELECT 1`,
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs))),
        ]);
        return true;
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    alarm: () => alarm.current(),
    migrate: async () => {
      const applied = await applyMigrations(factory, {
        isApplied: async (names) => {
          try {
            const rows = await prisma.$queryRaw<{ migration_name: string }[]>`
              SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
            const done = new Set(rows.map((r) => r.migration_name));
            return names.every((n) => done.has(n));
          } catch {
            return false; // no _prisma_migrations table yet
          }
        },
      });
      await repairFiles();
      return applied;
    },
    async query(text, values) {
      const started = performance.now();
      queries++;
      try {
        return await send(text, values);
      } catch (err) {
        alarm.note(err);
        throw err;
      } finally {
        opts.onQuery?.(text, performance.now() - started);
      }
    },
    queryCount: () => queries,
    poolSize: kind === 'postgres' ? (opts.poolSize ?? 10) : 0,
    close() {
      closing ??= prisma.$disconnect().then(closeDriver);
      return closing;
    },
  };
}
