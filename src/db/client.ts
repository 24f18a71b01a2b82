// Opens Parley's database: PostgreSQL through adapter-pg when a URL is given, otherwise embedded PGlite in a
// directory guarded by an exclusive lock (PGlite has none, and two processes on one directory lose writes).
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from '../generated/prisma/client.ts';
import { applyMigrations } from './migrate.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  prisma: PrismaClient;
  kind: DatabaseKind;
  /** The driver adapter factory migrations run through (on PostgreSQL, one opening pools of its own). */
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** True when a trivial query answers within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
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

export interface DatabaseOptions {
  /** postgresql://... ; when absent, embedded PGlite is used. */
  url?: string;
  /** PGlite data directory; `memory://` for a throwaway in-memory database. */
  pgliteDir?: string;
  /** A tarball of a PGlite data directory to start from (tests use a migrated template). */
  pgliteTemplate?: Blob;
  /** Size of the PostgreSQL connection pool. */
  poolSize?: number;
  onQuery?: (sql: string, durationMs: number) => void;
}

export type SqlQuery = (text: string, values: unknown[]) => Promise<unknown[][]>;

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
  return new Date(Date.UTC(digits(text, 0, 4), digits(text, 5, 7) - 1, digits(text, 8, 10), digits(text, 11, 13), digits(text, 14, 16), digits(text, 17, 19), ms));
}
const PG_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_OID ? parseTimestamp : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class DatabaseLockedError extends Error {}

/** Takes `<dir>/parley.lock`, or fails naming the process that holds it. A lock left by a dead process is taken over. */
async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'parley.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        await unlink(path).catch(() => {});
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new DatabaseLockedError(
          `The embedded database in ${dir} is in use by another Parley process (pid ${pid}). ` +
            `Stop that process, or point DATA_DIR at another directory, or use DATABASE_URL for a shared PostgreSQL.`,
        );
      }
      await unlink(path).catch(() => {});
    }
  }
  throw new DatabaseLockedError(`Could not lock the embedded database in ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  let factory: SqlMigrationAwareDriverAdapterFactory;
  let prismaFactory: SqlMigrationAwareDriverAdapterFactory;
  let closeDriver: () => Promise<void>;
  let kind: DatabaseKind;
  let send: SqlQuery;
  if (opts.url) {
    kind = 'postgres';
    // One pool for Prisma and query(); PrismaPg leaves a pool it was given open, so close() ends it.
    const config = { connectionString: opts.url, max: opts.poolSize ?? 10, connectionTimeoutMillis: 5_000 };
    const pool = new pg.Pool(config);
    pool.on('error', () => {}); // an idle client lost with the server: the next checkout reconnects
    prismaFactory = new PrismaPg(pool);
    // Migrations get pools of their own, ended when the schema engine is done: it holds an advisory lock on its
    // connection until that connection closes, and a pooled one would keep it from every other instance.
    factory = new PrismaPg(config);
    send = async (text, values) => (await pool.query<unknown[]>({ text, values, types: PG_TYPES, rowMode: 'array' })).rows;
    closeDriver = () => pool.end();
  } else {
    kind = 'pglite';
    const dir = opts.pgliteDir ?? 'memory://';
    let unlock = async () => {};
    if (!dir.startsWith('memory://')) {
      await mkdir(dir, { recursive: true });
      unlock = await lockDirectory(dir);
    }
    let pglite: PGlite;
    try {
      pglite = new PGlite(dir, opts.pgliteTemplate ? { loadDataDir: opts.pgliteTemplate } : {});
      await pglite.waitReady;
    } catch (err) {
      await unlock();
      throw err;
    }
    factory = prismaFactory = new PrismaPGlite(pglite);
    const parsers = { [TIMESTAMP_OID]: parseTimestamp };
    send = async (text, values) => (await pglite.query<unknown[]>(text, values, { parsers, rowMode: 'array' })).rows;
    closeDriver = async () => {
      await pglite.close();
      await unlock();
    };
  }

  let queries = 0;
  let closing: Promise<void> | undefined;
  const prisma = new PrismaClient({ adapter: prismaFactory, log: [{ emit: 'event', level: 'query' }] });
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
    migrate: () =>
      applyMigrations(factory, {
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
      }),
    async query(text, values) {
      const started = performance.now();
      queries++;
      try {
        return await send(text, values);
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
