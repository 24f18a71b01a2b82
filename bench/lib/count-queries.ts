// Counts the SQL statements Prisma sends for one GraphQL request, by running Parley in this process on a copy of
// the benchmark database (the benchmarks themselves measure a separate server process; this only counts).
// Usage (from a benchmark): runChild(['--import', 'tsx', 'bench/lib/count-queries.ts', JSON.stringify(spec)]).
import { join } from 'node:path';
import { buildApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createLogger } from '../../src/logger.ts';
import { signUp } from './gql.ts';

export interface CountSpec {
  dataDir: string;
  /** Named queries; `signedIn` ones carry a fresh user's session token. */
  queries: { name: string; query: string; signedIn?: boolean }[];
}

const spec: CountSpec = JSON.parse(process.argv[2]);
const authSecret = 'bench-count-queries-secret-0123456789abcdef';
const config = {
  ...parseConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', DATA_DIR: spec.dataDir, BCRYPT_COST: '4', PORT: '0', AUTH_SECRET: authSecret }),
  authSecret,
};
const db = await openDatabase({ url: process.env.DATABASE_URL, pgliteDir: join(spec.dataDir, 'pglite') });
const app = await buildApp(config, { db, logger: createLogger('silent') });
const url = await app.start(0, '127.0.0.1');
const user = await signUp(url);
const counts: Record<string, number> = {};
for (const q of spec.queries) {
  const run = () =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(q.signedIn ? { authorization: `Bearer ${user.token}` } : {}) },
      body: JSON.stringify({ query: q.query }),
    }).then((r) => r.text());
  await run(); // first run fills caches (tenant) the way a warm server has them
  const before = db.queryCount();
  await run();
  counts[q.name] = db.queryCount() - before;
}
await app.stop();
await db.close();
process.stdout.write(JSON.stringify(counts) + '\n');
