// The query cost budget against amplification: fields that scan, rank, count or aggregate cost what they read, and
// one GRAPHQL_MAX_COST budget covers a whole HTTP request, every operation of a batch together, checked before any
// of them runs.
import { describe, expect, it } from 'vitest';
import { FIELD_COSTS } from '../src/graphql/cost.ts';
import { schema } from '../src/graphql/schema.ts';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';

type Result = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const MAX_COST = 5000;
const STATS = 'messageStats { sent }'; // 1 + 2 full pages of rows (two aggregate statements)
const SEARCH = 'searchMessages(query: "lunch", first: 1) { pageInfo { hasNextPage } }'; // 1 + 2 full pages (match, rank)

/** One operation asking for `n` aliased copies of `field`. */
const aliased = (field: string, n: number) => `query { ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

describe('cost of fields that scan and aggregate, and one budget per request', () => {
  // Batches of up to 10 operations (the default); no background sweeps, so the SQL counted is the requests'.
  const server = useServer({ SESSION_SWEEP_SECONDS: '3600', GRAPHQL_MAX_BATCH: '10' });

  async function batch(s: TestServer, user: TestUser, operations: string[]) {
    const before = s.db.queryCount();
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify(operations.map((query) => ({ query }))),
    });
    const results = (await res.json()) as Result[];
    return { results, queries: s.db.queryCount() - before };
  }

  async function talking(s: TestServer) {
    const [a, b] = [await s.user(), await s.user()];
    await s.ok('mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', { i: { toUserId: b.id, content: 'lunch at noon?' } }, { token: a.token });
    return { a, b };
  }

  it('names only fields that exist in the schema', () => {
    for (const coordinate of Object.keys(FIELD_COSTS)) {
      const [type, field] = coordinate.split('.');
      const named = schema.getType(type);
      expect(named && 'getFields' in named ? named.getFields()[field] : undefined, coordinate).toBeDefined();
    }
  });

  it('refuses 10 batched operations x 30 aliased aggregates and searches before any SQL runs', async () => {
    const s = server();
    const { a } = await talking(s);
    const attack = Array.from({ length: 10 }, (_, i) => aliased(i % 2 ? STATS : SEARCH, 30));
    const { results, queries } = await batch(s, a, attack);
    expect(results).toHaveLength(10);
    for (const r of results) {
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxCost: MAX_COST });
      expect(r.errors![0].extensions!.cost as number).toBeGreaterThan(MAX_COST);
    }
    expect(queries).toBe(0);

    // One such operation alone is over the budget too: 30 x (1 + 200).
    const one = (await s.gql(aliased(STATS, 30), {}, { token: a.token })) as Result;
    expect(one.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 30 * 201, maxCost: MAX_COST });
  });

  it('refuses a batch whose operations each fit but together exceed the budget, every one of them, before any runs', async () => {
    const s = server();
    const { a } = await talking(s);
    const fits = aliased(STATS, 10); // 10 x 201 = 2010
    const alone = (await s.gql(fits, {}, { token: a.token })) as Result;
    expect(alone.errors).toBeUndefined();

    const { results, queries } = await batch(s, a, [fits, fits, fits]);
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.data).toBeUndefined();
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 3 * 2010, maxCost: MAX_COST });
      expect(r.errors?.[0].message).toMatch(/operations of this request together \(6030\) is over the limit of 5000/);
    }
    expect(queries).toBe(0);

    const { results: two } = await batch(s, a, [fits, fits]);
    expect(two.map((r) => r.errors)).toEqual([undefined, undefined]);
  });

  it('still runs what clients really ask for, alone and batched', async () => {
    const s = server();
    const { a } = await talking(s);
    // The web client's conversation list, a search page with its messages, statistics, usage, people search.
    const inbox = `{ conversations(first: 50) { edges { node { id kind title unreadCount lastSequence lastActivityAt
      lastMessage { content deletedAt senderName sender { id } } members { user { id name presence { status } } } } } } }`;
    const search = '{ searchMessages(query: "lunch") { edges { node { snippet rank message { id content sender { name } } } } pageInfo { hasNextPage } } }';
    const everyday = [inbox, search, '{ messageStats { sent received unread conversations perDay { date sent } } }', '{ chatUsage { usedToday } }', '{ users(search: "u", first: 8) { edges { node { id name } } } }'];
    for (const query of everyday) expect(((await s.gql(query, {}, { token: a.token })) as Result).errors, query).toBeUndefined();
    const { results } = await batch(s, a, everyday);
    expect(results.map((r) => r.errors)).toEqual(everyday.map(() => undefined));
    const hits = (results[1].data as { searchMessages: { edges: { node: { message: { content: string } } }[] } }).searchMessages.edges;
    expect(hits.map((e) => e.node.message.content)).toEqual(['lunch at noon?']);
  });
});
