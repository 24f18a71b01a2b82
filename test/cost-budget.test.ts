// The query cost budget against amplification: fields that scan, rank, count or aggregate cost what they read, and
// one GRAPHQL_MAX_COST budget covers a whole HTTP request, every operation of a batch together, checked before any
// of them runs. A subscription's selection runs again for every event: GRAPHQL_MAX_EVENT_COST bounds it.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Kind, parse, print, type DocumentNode } from 'graphql';
import { FIELD_COSTS, operationCost } from '../src/graphql/cost.ts';
import { schema } from '../src/graphql/schema.ts';
import { GRAPHIQL_DEFAULT_QUERY } from '../src/http/graphiql.ts';
import { startServer, testConfig, useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import { makeContacts } from './helpers/conversations.ts';

type Result = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const MAX_COST = 5000;
const STATS = 'messageStats { sent }'; // 1 + 2 full pages of rows (two aggregate statements)
const SEARCH = 'searchMessages(query: "lunch", first: 1) { pageInfo { hasNextPage } }'; // 1 + 2 full pages (match, rank)

/** Two users in a direct conversation b accepted: a sent b a message. */
async function talking(s: TestServer) {
  const [a, b] = [await s.user(), await s.user()];
  await makeContacts(s, a, b);
  await s.ok(
    'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
    { i: { toUserId: b.id, content: 'lunch at noon?' } },
    { token: a.token },
  );
  return { a, b };
}

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
    const search =
      '{ searchMessages(query: "lunch") { edges { node { snippet rank message { id content sender { name } } } } pageInfo { hasNextPage } } }';
    const everyday = [
      inbox,
      search,
      '{ messageStats { sent received unread conversations perDay { date sent } } }',
      '{ chatUsage { usedToday } }',
      '{ users(search: "u", first: 8) { edges { node { id name } } } }',
    ];
    for (const query of everyday) expect(((await s.gql(query, {}, { token: a.token })) as Result).errors, query).toBeUndefined();
    const { results } = await batch(s, a, everyday);
    expect(results.map((r) => r.errors)).toEqual(everyday.map(() => undefined));
    const hits = (results[1].data as { searchMessages: { edges: { node: { message: { content: string } } }[] } }).searchMessages.edges;
    expect(hits.map((e) => e.node.message.content)).toEqual(['lunch at noon?']);
  });
});

/**
 * Every subscription document in a source text: string literals and template literals that start with `subscription`,
 * with the web client's `${NAME}` pieces filled in from the constants the same files define.
 */
function subscriptionsIn(sources: string[]): string[] {
  const text = sources.join('\n');
  const pieces = new Map<string, string>();
  for (const m of text.matchAll(/const (\w+_FIELDS) =\s*(['`])([\s\S]*?)\2;/g)) pieces.set(m[1], m[3]);
  // A piece not found stays as it is (and fails to parse), rather than being filled again forever.
  const fill = (doc: string): string =>
    doc.replace(/\$\{(\w+)\}/g, (_, name: string) => (pieces.has(name) ? fill(pieces.get(name)!) : `\${${name}}`));
  return [...text.matchAll(/(['`])(subscription[\s\S]*?)\1/g)].map((m) => fill(m[2]));
}

/** Each subscription operation in the README's GraphQL blocks and quoted documents, as a document of its own. */
function readmeSubscriptions(readme: string): DocumentNode[] {
  const sources = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
  sources.push(...[...readme.matchAll(/'(subscription \{[^']*\})'/g)].map((m) => m[1]));
  sources.push(...[...readme.matchAll(/"query":"(subscription (?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string));
  return sources.flatMap((source) =>
    parse(source)
      .definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription')
      .map((d): DocumentNode => ({ kind: Kind.DOCUMENT, definitions: [d] })),
  );
}

describe('a budget for what a subscription selects per event', () => {
  const MAX_EVENT_COST = 100;
  const server = useServer({ SESSION_SWEEP_SECONDS: '3600' });
  const costOf = (document: DocumentNode) => operationCost(schema, document, {}, undefined, { maxPageSize: 100, defaultPageSize: 20 }).cost;
  /** Every event of the viewer's inbox loads the conversation's newest 100 messages, its members and its unread count. */
  const HEAVY = `subscription { conversationEvents { type conversation {
    messages(first: 100) { edges { node { id content sender { name } } } } members { user { id } } unreadCount } } }`;

  it('is the default, and what the web client, the README and GraphiQL subscribe to costs at most a third of it', async () => {
    expect(testConfig().GRAPHQL_MAX_EVENT_COST).toBe(MAX_EVENT_COST);
    const web = await Promise.all(
      ['conversations.js', 'thread.js', 'assistant.js', 'assistant-replies.js'].map((f) =>
        readFile(new URL(`../web/js/${f}`, import.meta.url), 'utf8'),
      ),
    );
    const webDocs = subscriptionsIn(web).map((doc) => parse(doc));
    const readmeDocs = readmeSubscriptions(await readFile(new URL('../README.md', import.meta.url), 'utf8'));
    const graphiql = parse(GRAPHIQL_DEFAULT_QUERY);
    expect(webDocs).toHaveLength(6); // inbox, presence, one conversation, typing, chat, chatStream
    expect(readmeDocs.length).toBeGreaterThanOrEqual(5);
    for (const document of [...webDocs, ...readmeDocs]) expect(costOf(document), print(document)).toBeLessThanOrEqual(MAX_EVENT_COST / 3);
    expect(operationCost(schema, graphiql, {}, 'Chat', { maxPageSize: 100, defaultPageSize: 20 }).cost).toBeLessThanOrEqual(
      MAX_EVENT_COST / 3,
    );
    expect(costOf(parse(HEAVY))).toBeGreaterThan(MAX_EVENT_COST);
  });

  it('refuses a subscription loading a page of 100 messages per event, over WebSocket and SSE, before it starts', async () => {
    const s = server();
    const { a } = await talking(s);
    const expected = { code: 'QUERY_TOO_COMPLEX', cost: costOf(parse(HEAVY)), maxCost: MAX_EVENT_COST };

    const before = s.db.queryCount();
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${a.token}` },
      body: JSON.stringify({ query: HEAVY }),
    });
    const data = /^data: (.*)$/m.exec(await res.text());
    expect((JSON.parse(data![1]) as Result).errors?.[0].extensions).toMatchObject(expected);
    expect(s.db.queryCount() - before).toBe(0); // refused at validation: no statement, not even the viewer's lookup

    // Over WebSocket (after the count: the socket's connect and close do work of their own, presence among it).
    const overWs = (await subscribe(s.ws({ token: a.token }), HEAVY).ended()) as Result['errors'];
    expect(overWs?.[0].extensions).toMatchObject(expected);
    expect(overWs?.[0].message).toMatch(/what this subscription selects for every event \(242\) is over the limit of 100/);

    // Aliases change nothing: the same selection under other names costs the same.
    const aliased = HEAVY.replace('conversation {', 'c: conversation {').replace('messages(', 'm: messages(');
    expect(((await subscribe(s.ws({ token: a.token }), aliased).ended()) as Result['errors'])?.[0].extensions).toMatchObject(expected);
  });

  it('still delivers what the web client subscribes to', async () => {
    const s = server();
    const { a, b } = await talking(s);
    const [inbox] = subscriptionsIn([await readFile(new URL('../web/js/conversations.js', import.meta.url), 'utf8')]).filter((d) =>
      d.includes('conversationEvents'),
    );
    const sub = subscribe<
      { conversationEvents: { conversation: { unreadCount: number; lastMessage: { content: string } } } },
      Record<string, unknown>
    >(s.ws({ token: b.token }), inbox, { cursor: null });
    const send = (content: string) =>
      s.ok('mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', { i: { toUserId: b.id, content } }, { token: a.token });
    await sub.live(() => send('probe'));
    await send('hello there');
    const event = await sub.until((e) => e.data?.conversationEvents.conversation?.lastMessage?.content === 'hello there');
    expect(event.errors).toBeUndefined();
  });

  it('is GRAPHQL_MAX_EVENT_COST: a larger budget lets the same subscription run', async () => {
    const s = await startServer({ GRAPHQL_MAX_EVENT_COST: '300' });
    try {
      const { a, b } = await talking(s);
      const sub = subscribe<{ conversationEvents: { conversation: { messages: { edges: unknown[] } } } }, Record<string, unknown>>(
        s.ws({ token: b.token }),
        HEAVY,
      );
      const send = () =>
        s.ok(
          'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }',
          { i: { toUserId: b.id, content: 'more' } },
          { token: a.token },
        );
      await sub.live(send);
      await send();
      const event = await sub.until((e) => (e.data?.conversationEvents.conversation?.messages.edges.length ?? 0) >= 3);
      expect(event.errors).toBeUndefined();
    } finally {
      await s.stop();
    }
  });
});
