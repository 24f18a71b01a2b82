// Row 7: `searchMessages` p95 over a large history (PostgreSQL full text, GIN index on the generated tsvector) against
// `ILIKE '%word%'` over the same rows. The rows are made by one INSERT ... SELECT generate_series in SQL.
// BENCH_SEARCH_ROWS sets how many (default 1,000,000; 100,000 with --quick).
import type { Benchmark } from './index.ts';
import { startParley, using, TS } from '../lib/proc.ts';
import { runChild } from '../lib/load.ts';
import { compare } from '../lib/results.ts';
import { seedConversation, signUp } from '../lib/gql.ts';
import { freshDatabase, pgServerUrl } from '../lib/pg.ts';
import type { SearchSide, SearchSpec } from '../lib/search-load.ts';
import pg from 'pg';

/** Each rare word is in one row of every 1,000 (0.1%); the rest of the text comes from 40 common words. */
const RARE = ['zebra', 'walrus', 'quokka', 'narwhal'];
const COMMON =
  'time person year way day thing man world life hand part child eye woman place work week case point government company number group problem fact lunch meeting project release budget review design test deploy server client message coffee friday monday plan idea'.split(
    ' ',
  );

export const search: Benchmark = {
  name: 'search',
  row: '7',
  title: 'Row 7: searchMessages p95 over a large history vs ILIKE',
  async run({ quick }) {
    const server = pgServerUrl();
    const rows = Number(process.env.BENCH_SEARCH_ROWS) || (quick ? 100_000 : 1_000_000);
    if (!server) {
      return {
        title: this.title,
        lines: [{ metric: 'p95 ms', ours: 'n/a', peer: 'n/a', ratio: '', target: '<= 0.05x', pass: null }],
        notes: ['Skipped: needs PostgreSQL (DATABASE_URL or BENCH_PG_URL).'],
      };
    }
    const db = await freshDatabase(server);
    try {
      let seedSeconds = 0;
      const result = await using(
        () => startParley({ env: { DATABASE_URL: db.url, BCRYPT_COST: '4' } }),
        async (p) => {
          const user = await signUp(p.url);
          const conversationId = await seedConversation(p.url, user.token, 1);
          const client = new pg.Client({ connectionString: db.url });
          client.on('error', () => {}); // a terminated connection fails the query in flight, which reports it
          await client.connect();
          const t = performance.now();
          const words = `(ARRAY[${COMMON.map((w) => `'${w}'`).join(',')}])`;
          const rare = `(ARRAY[${RARE.map((w) => `'${w}'`).join(',')}])`;
          await client.query(
            `INSERT INTO "Message" (id, "tenantId", "conversationId", "senderId", sequence, content, "createdAt")
             SELECT gen_random_uuid()::text, c."tenantId", c.id, $2, 1000 + g,
               ${words}[1 + (g * 7 % 40)] || ' ' || ${words}[1 + (g * 13 % 40)] || ' ' || ${words}[1 + (g * 31 % 40)] || ' '
                 || ${words}[1 + (g / 40 % 40)] || ' number ' || g
                 || CASE WHEN g % 1000 < ${RARE.length} THEN ' ' || ${rare}[1 + g % 1000] ELSE '' END,
               now() - g * interval '1 second'
             FROM "Conversation" c, generate_series(1, $3::int) g WHERE c.id = $1`,
            [conversationId, user.id, rows],
          );
          await client.query(`UPDATE "Conversation" SET "lastSequence" = $2 + 1000 WHERE id = $1`, [conversationId, rows]);
          await client.query('ANALYZE "Message"');
          seedSeconds = (performance.now() - t) / 1000;
          const {
            rows: [u],
          } = await client.query('SELECT "tenantId" FROM "User" WHERE id = $1', [user.id]);
          await client.end();
          const spec: SearchSpec = {
            graphqlUrl: `${p.url}/graphql`,
            token: user.token,
            pgUrl: db.url,
            tenantId: u.tenantId,
            userId: user.id,
            words: RARE,
            warmup: quick ? 8 : 20,
            requests: quick ? 40 : 200,
          };
          return {
            spec,
            ...(await runChild<{ ours: SearchSide; peer: SearchSide }>([...TS, 'bench/lib/search-load.ts', JSON.stringify(spec)])),
          };
        },
      );
      const { ours, peer, spec } = result;
      return {
        title: this.title,
        lines: [
          compare('p95 ms', ours.p95, peer.p95, ['<=', 0.05]),
          compare('p50 ms', ours.p50, peer.p50),
          compare('max ms', ours.max, peer.max),
        ],
        notes: [
          `${rows.toLocaleString('en')} messages in one conversation of the user (seeded in ${seedSeconds.toFixed(0)} s by one INSERT ... SELECT generate_series, tsvector generated and GIN index maintained by PostgreSQL), fresh database. Each search word (${RARE.join(', ')}) is in ${rows / 1000} rows; hits per request: Parley ${ours.hits}, ILIKE ${peer.hits} (page of 20, ILIKE fetches 21 as searchMessages does).`,
          `Parley: \`searchMessages(query, first: 20)\` over HTTP with rank, snippet and message. Peer: \`ILIKE '%word%'\` with the same tenant and membership filter, newest first, straight through one \`pg\` connection from the load process. ${spec.warmup} warm-up requests per side, then ${spec.requests} per side, one at a time, alternating.`,
        ],
      };
    } finally {
      await db.drop();
    }
  },
};
