// Applies and authors Prisma migrations through Prisma's WebAssembly schema engine, driven by the same driver
// adapter the server uses. The native engine is a download that fails behind firewalls; the WASM one ships in npm.
import { readFile, readdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');
export const SCHEMA_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../prisma/schema.prisma');

const filters = { externalTables: [], externalEnums: [] };

export async function loadMigrations(baseDir = MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockPath = join(baseDir, 'migration_lock.toml');
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: await readFile(lockPath, 'utf8').catch(() => null) },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      dirs.map(async (path) => ({
        path,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok' as const, value: await readFile(join(baseDir, path, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  };
}

type Bg = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

/** True once the engine's glue module has its WebAssembly instance (version() calls into it). */
function isStarted(bg: Bg): boolean {
  try {
    bg.version();
    return true;
  } catch {
    return false;
  }
}

/**
 * The schema engine's wasm-bindgen glue, wired to its WebAssembly instance by hand (Node 20 cannot `import` a .wasm
 * module). The glue is one module per process holding one instance, so the instance is set only when the glue has
 * none yet: replacing it would pull the memory from under an engine another database is running. Parley keeps no
 * state of its own here: the glue's module is the record of whether this was done.
 */
async function loadEngineModule(): Promise<Bg> {
  const bg: Bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  if (isStarted(bg)) return bg;
  const require = createRequire(import.meta.url);
  const wasmPath = join(dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
  const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { './schema_engine_bg.js': bg as never });
  // Checked again with no await in between: a concurrent first load may have finished while this one compiled.
  if (!isStarted(bg)) {
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  }
  return bg;
}

/**
 * adapter-pg runs a migration script by splitting it at every ";", which breaks a statement holding one (a PL/pgSQL
 * function body, a string, a comment). PostgreSQL's simple query protocol takes the whole script in one message and
 * runs it statement by statement, as `psql -f` does; PGlite's adapter already sends it whole.
 */
function wholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const driver =
    adapter.adapterName === '@prisma/adapter-pg'
      ? ((adapter as { underlyingDriver?: () => unknown }).underlyingDriver?.() as { query?: unknown } | undefined)
      : undefined;
  if (typeof driver?.query !== 'function') return adapter;
  const query = driver.query.bind(driver) as (text: string) => Promise<unknown>;
  const { onError } = adapter as unknown as { onError?: (error: unknown) => never };
  adapter.executeScript = async (script) => {
    try {
      await query(script);
    } catch (error) {
      onError?.call(adapter, error); // the adapter's own mapping to a DriverAdapterError, which the engine reports
      throw error;
    }
  };
  return adapter;
}

/**
 * Runs `fn` with a schema engine over `factory`. The engine holds a PostgreSQL advisory lock on the connection it
 * opens and never lets go; disposing every connection it opened releases it, so a second instance waiting on
 * the lock proceeds at once instead of stalling.
 */
export async function withSchemaEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schema: string | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
  log: (message: string) => void = () => {},
): Promise<T> {
  const bg = await loadEngineModule();
  const opened: SqlDriverAdapter[] = [];
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const a = wholeScripts(await factory.connect());
      opened.push(a);
      return a;
    },
    connectToShadowDb: async () => {
      const a = await factory.connectToShadowDb();
      opened.push(a);
      return a;
    },
  };
  const engine = await bg.SchemaEngine.new(
    { datamodels: schema ? [['schema.prisma', schema]] : undefined },
    (line: string) => log(line),
    bindMigrationAwareSqlAdapterFactory(tracking),
  );
  try {
    return await fn(engine);
  } finally {
    engine.free();
    await Promise.allSettled(opened.map((a) => a.dispose()));
  }
}

/** `prisma migrate deploy`: applies pending migrations, recording them in `_prisma_migrations`. */
export async function applyMigrations(
  factory: SqlMigrationAwareDriverAdapterFactory,
  opts: { migrationsDir?: string; isApplied?: (names: string[]) => Promise<boolean> } = {},
): Promise<string[]> {
  const migrationsList = await loadMigrations(opts.migrationsDir);
  const names = migrationsList.migrationDirectories.map((d) => d.path);
  // Fast path: nothing to do, so skip loading the engine (and its lock) entirely.
  if (opts.isApplied && (await opts.isApplied(names))) return [];
  return withSchemaEngine(factory, undefined, async (engine) => {
    const out = await engine.applyMigrations({ migrationsList, filters });
    return out.appliedMigrationNames;
  });
}

/** `prisma migrate dev --create-only`: the SQL that takes the migrated database to `schema`. */
export async function createMigration(
  factory: SqlMigrationAwareDriverAdapterFactory,
  name: string,
  schema: string,
  migrationsDir = MIGRATIONS_DIR,
): Promise<{ name: string; sql: string | null }> {
  const migrationsList = await loadMigrations(migrationsDir);
  return withSchemaEngine(factory, schema, async (engine) => {
    await engine.applyMigrations({ migrationsList, filters });
    await engine.devDiagnostic({ migrationsList, filters });
    const out = await engine.createMigration({
      draft: false,
      migrationName: name,
      migrationsList,
      schema: { files: [{ path: 'schema.prisma', content: schema }] },
      filters,
    });
    return { name: out.generatedMigrationName, sql: out.migrationScript ?? null };
  });
}
