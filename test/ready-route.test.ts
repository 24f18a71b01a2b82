// readiness() (src/observability/ready-route.ts), in process on a real database. test/server.test.ts checks /ready
// over HTTP with the database up and down, test/disk-full.test.ts on a really full disk (where it may mount one),
// test/faults-redis.test.ts with Redis down; here: the exact bodies, stopping, and the disk alarm everywhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.ts';
import { readiness } from '../src/observability/ready-route.ts';
import { openTestDatabase } from './helpers/server.ts';

describe('readiness', () => {
  const opened: { db: Database; drop: () => Promise<void> }[] = [];
  const database = async () => {
    const d = await openTestDatabase();
    opened.push(d);
    return d.db;
  };
  let db: Database;
  beforeAll(async () => {
    db = await database();
  });
  afterAll(async () => {
    for (const d of opened) {
      await d.db.close();
      await d.drop();
    }
  });

  it('is 200 ready, with nothing but the database in the body when Redis is not configured', async () => {
    expect(await readiness({ db, redis: null, stopping: false })).toEqual({ status: 200, body: { status: 'ready', database: true } });
  });

  it('is 503 stopping once stop() began, however healthy the rest is', async () => {
    expect(await readiness({ db, redis: null, stopping: true })).toEqual({ status: 503, body: { status: 'stopping' } });
  });

  it('is 503 "disk full" while a database that answers has lately failed for lack of space (SQLSTATE 53100)', async () => {
    const full = await database();
    await expect(
      full.prisma.$executeRawUnsafe(`DO $$ BEGIN RAISE EXCEPTION 'no space left' USING ERRCODE = '53100'; END $$`),
    ).rejects.toThrow();
    expect(await full.ping()).toBe(true);
    expect(await readiness({ db: full, redis: null, stopping: false })).toEqual({
      status: 503,
      body: { status: 'unavailable', database: false, reason: 'disk full' },
    });
  });
});
