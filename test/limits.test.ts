// Abuse resistance over HTTP: query cost, page size caps, batching, production defaults (introspection, GraphiQL,
// field suggestions) and slow clients (node:http timeouts).
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.ts';
import { startServer, useServer, type TestServer } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import { Send, StartDirect } from './messaging-ops.ts';

type Result = { data?: Record<string, unknown> | null; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };

const post = (url: string, body: unknown) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Conversations with their newest messages and senders: cost first × (1 + last × 2). */
const NESTED = `query Nested($first: Int, $last: Int) {
  conversations(first: $first) { edges { node { id messages(last: $last) { edges { node { id content sender { name } } } } } } }
}`;

describe('query cost and page sizes', () => {
  // graphql-armor's depth count adds levels for fragments; the depth limit is not what these tests are about.
  const server = useServer({ SESSION_SWEEP_SECONDS: '3600', GRAPHQL_MAX_DEPTH: '30' });

  /** Runs `request` and returns its result with the SQL statements the server sent meanwhile. */
  async function counted(s: TestServer, request: () => Promise<Result>) {
    const before = s.db.queryCount();
    const result = await request();
    return { result, queries: s.db.queryCount() - before };
  }

  async function twoUsersTalking(s: TestServer) {
    const [a, b] = [await s.user(), await s.user()];
    await s.ok(StartDirect, { userId: b.id }, { token: a.token });
    await s.ok(Send, { input: { toUserId: b.id, content: 'hello' } }, { token: a.token });
    return { a, b };
  }

  it('refuses a nested connections query over GRAPHQL_MAX_COST before anything runs; a smaller one passes', async () => {
    const s = server();
    const { a } = await twoUsersTalking(s);
    const over = await counted(s, () => s.gql(NESTED, { first: 100, last: 100 }, { token: a.token }));
    expect(over.result.data).toBeUndefined();
    expect(over.result.errors).toHaveLength(1);
    expect(over.result.errors![0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', cost: 100 * (1 + 100 * 2), maxCost: 5000 });
    expect(over.result.errors![0].message).toMatch(/cost \(20100\) is over the limit of 5000/);
    expect(over.queries).toBe(0); // refused at validation: not even the context (tenant, viewer) was loaded

    // The same document with literals, and with the default page size (20 × (1 + 20 × 2) = 820: under).
    const literal = await s.gql(
      NESTED.replace('($first: Int, $last: Int)', '').replace('$first', '100').replace('$last', '100'),
      {},
      { token: a.token },
    );
    expect(literal.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const under = await counted(s, () => s.gql(NESTED, {}, { token: a.token }));
    expect(under.result.errors).toBeUndefined();
    const edges = (under.result.data as { conversations: { edges: { node: { messages: { edges: { node: { content: string } }[] } } }[] } })
      .conversations.edges;
    expect(edges[0].node.messages.edges.map((e) => e.node.content)).toEqual(['hello']);
    expect(under.queries).toBeGreaterThan(0);
  });

  it('counts fragments (named and inline) like the fields they hold', async () => {
    const s = server();
    const { a } = await twoUsersTalking(s);
    const doc = (n: number) => `query { conversations(first: ${n}) { ...Page } }
      fragment Page on ConversationConnection { edges { node { ... on Conversation { messages(last: 50) { ...Msgs } } } } }
      fragment Msgs on MessageConnection { edges { node { id readBy { id } } } }`;
    // n × (1 + 50 × (1 + 10 × 1)): a list without page size counts 10
    const over = await s.gql(doc(10), {}, { token: a.token });
    expect(over.errors?.[0], over.errors?.[0].message).toMatchObject({ extensions: { code: 'QUERY_TOO_COMPLEX', cost: 5510 } });
    const under = await s.gql(doc(9), {}, { token: a.token });
    expect(under.errors).toBeUndefined();
  });

  it('refuses first/last over 100 (or negative) on every connection with BAD_USER_INPUT naming the argument', async () => {
    const s = server();
    const { a } = await twoUsersTalking(s);
    const big = await counted(s, () => s.gql('{ conversations(first: 1000) { edges { node { id } } } }', {}, { token: a.token }));
    expect(big.result.errors?.[0]).toMatchObject({
      message: 'first must be between 0 and 100.',
      extensions: { code: 'BAD_USER_INPUT', field: 'first' },
    });
    expect(big.queries).toBe(0);
    // Pothos's own connections (which would clamp silently) are refused the same way, from variables too.
    const pothos = await s.gql('query($n: Int) { chatSessions(last: $n) { edges { node { id } } } }', { n: 101 }, { token: a.token });
    expect(pothos.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
    const negative = await s.gql('{ users(first: -1) { edges { node { id } } } }', {}, { token: a.token });
    expect(negative.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const max = await s.gql('{ users(first: 100) { edges { node { id } } } }', {}, { token: a.token });
    expect(max.errors).toBeUndefined();
  });

  it('answers a bad cursor on a Pothos connection with BAD_USER_INPUT, not a server error', async () => {
    const s = server();
    const a = await s.user();
    const r = await s.gql('{ chatSessions(after: "not-a-cursor") { edges { node { id } } } }', {}, { token: a.token });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('applies the same cost limit over WebSocket', async () => {
    const s = server();
    const { a } = await twoUsersTalking(s);
    const sub = subscribe(s.ws({ token: a.token }), NESTED, { first: 100, last: 100 });
    const error = (await sub.ended()) as { extensions?: Record<string, unknown> }[];
    expect(error[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', maxCost: 5000 });
  });
});

describe('batching', () => {
  const server = useServer({ GRAPHQL_MAX_BATCH: '3' });

  it('runs up to GRAPHQL_MAX_BATCH operations in one request and refuses more', async () => {
    const s = server();
    const ok = await post(s.url, [{ query: '{ __typename }' }, { query: '{ me { id } }' }, { query: '{ nope }' }]);
    expect(ok.status).toBe(200);
    const results = (await ok.json()) as Result[];
    expect(results).toHaveLength(3);
    expect(results[0].data).toEqual({ __typename: 'Query' });
    expect(results[1].data).toEqual({ me: null });
    expect(results[2].errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const tooMany = await post(
      s.url,
      Array.from({ length: 4 }, () => ({ query: '{ __typename }' })),
    );
    expect(tooMany.status).toBe(413);
    const body = (await tooMany.json()) as Result;
    expect(body.errors?.[0].message).toMatch(/limited to 3 operations/);
    expect(body.errors?.[0].extensions?.code).toBeDefined();
  });

  it('refuses every batch when GRAPHQL_MAX_BATCH=0', async () => {
    const s = await startServer({ GRAPHQL_MAX_BATCH: '0' });
    try {
      const r = await post(s.url, [{ query: '{ __typename }' }]);
      expect(r.status).toBe(400);
      expect(((await r.json()) as Result).errors?.[0].message).toMatch(/Batching is not supported/);
    } finally {
      await s.stop();
    }
  });
});

describe('introspection, GraphiQL and field suggestions', () => {
  const PRODUCTION = { NODE_ENV: 'production', AUTH_SECRET: 'p'.repeat(32) };
  const INTROSPECT = '{ __schema { queryType { name } } }';

  async function surface(s: TestServer) {
    const page = await fetch(`${s.url}/graphql`, { headers: { accept: 'text/html' } });
    const graphiql = page.status === 200 && /graphiql/i.test(await page.text());
    const intro = (await (await post(s.url, { query: INTROSPECT })).json()) as Result;
    const typo = (await (await post(s.url, { query: '{ mee { id } }' })).json()) as Result;
    return {
      graphiql,
      introspection: intro.data?.__schema !== undefined && !intro.errors,
      introspectionCode: intro.errors?.[0].extensions?.code,
      suggestions: /Did you mean/.test(typo.errors?.[0].message ?? ''),
      typoCode: typo.errors?.[0].extensions?.code,
    };
  }

  async function withServer(env: Record<string, string>, check: (s: TestServer) => Promise<void>) {
    const s = await startServer(env);
    try {
      await check(s);
    } finally {
      await s.stop();
    }
  }

  it('production: all three off', () =>
    withServer(PRODUCTION, async (s) => {
      expect(await surface(s)).toEqual({
        graphiql: false,
        introspection: false,
        introspectionCode: 'FORBIDDEN',
        suggestions: false,
        typoCode: 'GRAPHQL_VALIDATION_FAILED',
      });
    }));

  it('development: all three on', () =>
    withServer({ NODE_ENV: 'development' }, async (s) => {
      expect(await surface(s)).toMatchObject({ graphiql: true, introspection: true, suggestions: true });
    }));

  it('GRAPHIQL and INTROSPECTION override the defaults either way (suggestions stay off in production)', async () => {
    await withServer({ ...PRODUCTION, GRAPHIQL: 'true', INTROSPECTION: 'true' }, async (s) => {
      expect(await surface(s)).toMatchObject({ graphiql: true, introspection: true, suggestions: false });
    });
    await withServer({ NODE_ENV: 'development', GRAPHIQL: 'false', INTROSPECTION: 'false' }, async (s) => {
      expect(await surface(s)).toMatchObject({ graphiql: false, introspection: false, introspectionCode: 'FORBIDDEN', suggestions: true });
    });
  });
});

describe('slow clients (node:http timeouts)', () => {
  const server = useServer({ HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' });

  /**
   * Opens a raw TCP connection, writes `start`, then keeps trickling `drip` every 50 ms (as a slow-loris client
   * does) until the server closes the connection; resolves with what the server sent.
   */
  function trickle(s: TestServer, start: string, drip: string, timeoutMs = 10_000): Promise<string> {
    const { port } = new URL(s.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let received = '';
      const timer = setInterval(() => socket.writable && socket.write(drip), 50);
      const deadline = setTimeout(() => {
        clearInterval(timer);
        socket.destroy();
        reject(new Error(`the server kept a slow client for ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('connect', () => socket.write(start));
      socket.on('data', (d) => (received += d.toString()));
      socket.on('error', () => {}); // a reset after the server's close is fine: 'close' follows
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(received);
      });
    });
  }

  it('drops a client that sends its headers too slowly (408), and still serves others', async () => {
    const s = server();
    const answer = await trickle(s, 'GET /health HTTP/1.1\r\nHost: parley\r\n', 'X-Slow: 1\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('drops a client that sends its body too slowly (408)', async () => {
    const s = server();
    const head = 'POST /graphql HTTP/1.1\r\nHost: parley\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    const answer = await trickle(s, head + '{"query":"', ' ');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('configuration of the limits', () => {
  it('has documented defaults, accepts "off" for the WebSocket rate, and refuses inconsistent timeouts', () => {
    expect(parseConfig({})).toMatchObject({
      GRAPHQL_MAX_COST: 5000,
      GRAPHQL_MAX_BATCH: 10,
      HTTP_HEADERS_TIMEOUT_MS: 15_000,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
      WS_MAX_SUBSCRIPTIONS: 100,
      WS_OPERATION_RATE_LIMIT: { max: 100, windowSeconds: 10 },
      WS_MAX_MESSAGE_BYTES: 256 * 1024,
    });
    expect(parseConfig({ WS_OPERATION_RATE_LIMIT: 'off' }).WS_OPERATION_RATE_LIMIT).toBeNull();
    expect(() => parseConfig({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '1000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS.*HTTP_REQUEST_TIMEOUT_MS/,
    );
    expect(() => parseConfig({ GRAPHQL_MAX_COST: '0', GRAPHQL_MAX_BATCH: 'many' })).toThrow(/GRAPHQL_MAX_COST[\s\S]*GRAPHQL_MAX_BATCH/);
  });
});
