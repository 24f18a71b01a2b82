// A fresh PostgreSQL database per benchmark, on the server of DATABASE_URL (or BENCH_PG_URL): rows that compare
// against hand-written `pg` queries need PostgreSQL on both sides, and a fresh database keeps runs independent.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server to use, or null (the row then skips its peer and says so). */
export const pgServerUrl = () => process.env.DATABASE_URL || process.env.BENCH_PG_URL || null;

export async function freshDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `parley_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
