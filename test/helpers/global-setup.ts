// Prepares one migrated database that every test file copies: a PGlite data-dir tarball by default, or a
// PostgreSQL template database when TEST_DATABASE_URL is set. Copying is much faster than migrating per file.
// Also brings dist/ up to date once per run: tests that start Parley as a process run it as production does.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.ts';
import { adminUrl, templateName } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string;
  }
}

/** `npm run build` when dist/ is missing or older than src/ (a walk of src/ when it is not). */
function buildIfStale() {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], {
    cwd: new URL('../..', import.meta.url),
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error(`npm run build failed (${build.status ?? build.error?.message})`);
}

export default async function setup(project: TestProject) {
  buildIfStale();
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const name = templateName();
    const admin = new pg.Client({ connectionString: adminUrl(url) });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    const db = await openDatabase({ url: adminUrl(url, name), poolSize: 2 });
    await db.migrate();
    await db.close();
    project.provide('postgresTemplate', name);
    project.provide('pgliteTemplate', '');
    return async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await admin.end();
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'parley-test-'));
  const db = await openDatabase({ pgliteDir: 'memory://' });
  await db.migrate();
  const pglite = (db.factory as unknown as { client: import('@electric-sql/pglite').PGlite }).client;
  const dump = await pglite.dumpDataDir('none');
  const path = join(dir, 'template.tar');
  await writeFile(path, Buffer.from(await dump.arrayBuffer()));
  await db.close();
  project.provide('pgliteTemplate', path);
  project.provide('postgresTemplate', '');
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
