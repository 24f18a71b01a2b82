// Counts the SQL statements Prisma sends for one GraphQL request, by running Parley in this process on a copy of
// the benchmark database (the benchmarks themselves measure a separate server process; this only counts).
// Usage (from a benchmark): runChild([...TS, 'bench/lib/count-queries.ts', JSON.stringify(spec)]).
import { join } from 'node:path';
import { buildApp } from '../../src/app.ts';
import { parseConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createLogger } from '../../src/logger.ts';
import { gql, seedConversation, seedRichConversation, signUp } from './gql.ts';

export interface CountSpec {
  dataDir: string;
  /** Named queries; `signedIn` ones carry a fresh user's session token (or, with 'jwt', a JWT access token). */
  queries: { name: string; query: string; variables?: Record<string, unknown>; signedIn?: boolean | 'jwt'; rich?: boolean }[];
  /** PostgreSQL database to count on (default: DATABASE_URL from the environment, else PGlite in dataDir). */
  databaseUrl?: string;
  /**
   * Seed a group of the signed-in user with this many messages; its id is passed as `$conversationId`, or for a
   * `rich` query the id of a second group seeded by seedRichConversation.
   */
  seedMessages?: number;
}

const spec: CountSpec = JSON.parse(process.argv[2]);
const authSecret = 'bench-count-queries-secret-0123456789abcdef';
const config = {
  ...parseConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    DATA_DIR: spec.dataDir,
    BCRYPT_COST: '4',
    PORT: '0',
    AUTH_SECRET: authSecret,
  }),
  authSecret,
};
const db = await openDatabase({ url: spec.databaseUrl ?? process.env.DATABASE_URL, pgliteDir: join(spec.dataDir, 'pglite') });
const app = await buildApp(config, { db, logger: createLogger('silent') });
const url = await app.start(0, '127.0.0.1');
const user = await signUp(url);
const { accessToken } = await gql<{ accessToken: { token: string } }>(url, 'mutation { accessToken { token } }', undefined, user.token);
let seeded: Record<string, unknown> = {};
let richSeeded: Record<string, unknown> = {};
if (spec.seedMessages) {
  const conversationId = await seedConversation(url, user.token, spec.seedMessages);
  seeded = { conversationId };
  if (spec.queries.some((q) => q.rich)) {
    const otherUsername = `count_${Date.now().toString(36)}`;
    const other = await signUp(url, otherUsername);
    richSeeded = { conversationId: await seedRichConversation(url, user, other, otherUsername, spec.seedMessages) };
  }
}
const counts: Record<string, number> = {};
for (const q of spec.queries) {
  const run = () =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(q.signedIn ? { authorization: `Bearer ${q.signedIn === 'jwt' ? accessToken.token : user.token}` } : {}),
      },
      body: JSON.stringify({ query: q.query, variables: { ...(q.rich ? richSeeded : seeded), ...q.variables } }),
    }).then((r) => r.text());
  await run(); // first run fills caches (tenant) the way a warm server has them
  const before = db.queryCount();
  await run();
  counts[q.name] = db.queryCount() - before;
}
await app.stop();
await db.close();
process.stdout.write(JSON.stringify(counts) + '\n');
