// Row 7 load process (pinned to the load core): sequential requests, one at a time, alternating between Parley's
// `searchMessages` over HTTP and the same user's rows searched with `ILIKE '%word%'` straight through `pg`.
// Prints one JSON line with both sides' latency percentiles (p95 included) and hit counts.
import pg from 'pg';
import { percentile } from './stats.ts';

export interface SearchSpec {
  graphqlUrl: string;
  token: string;
  pgUrl: string;
  tenantId: string;
  userId: string;
  words: string[];
  warmup: number;
  requests: number;
}

export interface SearchSide {
  p50: number;
  p95: number;
  max: number;
  hits: number;
}

const SEARCH =
  'query($q: String!) { searchMessages(query: $q, first: 20) { edges { node { rank snippet message { id content createdAt } } } } }';
// The same visibility rule as searchMessages (tenant, the user's conversations), newest first, one page.
const ILIKE = `SELECT m.id, m.content, m."createdAt" FROM "Message" m
  WHERE m.content ILIKE $1 AND m."tenantId" = $2 AND m."deletedAt" IS NULL
    AND m."conversationId" IN (SELECT "conversationId" FROM "ConversationMember" WHERE "userId" = $3)
  ORDER BY m."createdAt" DESC LIMIT 21`;

const spec: SearchSpec = JSON.parse(process.argv[2]);
const client = new pg.Client({ connectionString: spec.pgUrl });
await client.connect();

async function ours(word: string): Promise<number> {
  const res = await fetch(spec.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.token}` },
    body: JSON.stringify({ query: SEARCH, variables: { q: word } }),
  });
  const body = (await res.json()) as { data?: { searchMessages: { edges: unknown[] } }; errors?: unknown };
  if (!body.data) throw new Error(`searchMessages failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
  return body.data.searchMessages.edges.length;
}

async function peer(word: string): Promise<number> {
  const { rows } = await client.query(ILIKE, [`%${word}%`, spec.tenantId, spec.userId]);
  return rows.length;
}

const timed = async (fn: () => Promise<number>, into: number[]) => {
  const t = performance.now();
  const n = await fn();
  into.push(performance.now() - t);
  return n;
};

for (let i = 0; i < spec.warmup; i++) {
  await ours(spec.words[i % spec.words.length]);
  await peer(spec.words[i % spec.words.length]);
}
const a: number[] = [];
const b: number[] = [];
let hitsA = 0;
let hitsB = 0;
for (let i = 0; i < spec.requests; i++) {
  const w = spec.words[i % spec.words.length];
  hitsA += await timed(() => ours(w), a);
  hitsB += await timed(() => peer(w), b);
}
await client.end();
const side = (xs: number[], hits: number): SearchSide => {
  const s = Float64Array.from(xs).sort();
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1], hits: hits / xs.length };
};
process.stdout.write(JSON.stringify({ ours: side(a, hitsA), peer: side(b, hitsB) }) + '\n');
