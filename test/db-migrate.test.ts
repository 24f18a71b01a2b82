// Migrations through Prisma's WebAssembly schema engine (src/db/migrate.ts), on embedded PGlite.
import { describe, expect, it } from 'vitest';
import { testPGlite } from './helpers/pglite.ts';
import { openDatabase } from '../src/db/client.ts';
import { loadMigrations } from '../src/db/migrate.ts';

describe('the schema engine', () => {
  // Both load the engine at once (nothing else in this file loads it: test databases are copies of a migrated
  // template), and the engine's module holds one WebAssembly instance per process: a second load must not replace
  // the instance under the first database's engine.
  it('migrates two fresh embedded databases at once in one process', { timeout: 120_000 }, async () => {
    const opened = await Promise.all(
      [0, 1].map(async () => openDatabase({ pgliteDir: 'memory://', ...(await testPGlite({ bare: true })) })),
    );
    try {
      const all = (await loadMigrations()).migrationDirectories.map((d) => d.path);
      expect(await Promise.all(opened.map((db) => db.migrate()))).toEqual([all, all]);
      for (const db of opened)
        expect(await db.prisma.$queryRaw`SELECT 1 FROM pg_proc WHERE proname = 'parley_append_message'`).toHaveLength(1);
    } finally {
      await Promise.all(opened.map((db) => db.close()));
    }
  });
});
