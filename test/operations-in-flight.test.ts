// Fairness between clients: one viewer firing slow operations without pause holds at most
// GRAPHQL_MAX_INFLIGHT_PER_CLIENT of them running (each operation of a batch counts); past it, RATE_LIMITED before
// anything runs, so the database's queue (PGlite) or pool (PostgreSQL) still has room for everybody else.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { startServer, useServer, type TestServer, type TestUser } from './helpers/server.ts';

type Result = { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const LIMIT = 4;
/** Ranks every message of the viewer's that mentions lunch (thousands, see withLongHistory), then keeps a page. */
const SEARCH = 'query Flood { searchMessages(query: "lunch", first: 20) { edges { node { snippet } } } }';

/** A viewer with a long history: 3,000 messages about lunch, so each of its searches ranks 3,000 matches. */
async function withLongHistory(s: TestServer): Promise<TestUser> {
  const [viewer, friend] = [await s.user(), await s.user()];
  const sent = await s.ok<{ sendMessage: { conversationId: string } }, Record<string, unknown>>(
    'mutation($i: SendMessageInput!) { sendMessage(input: $i) { conversationId } }',
    { i: { toUserId: friend.id, content: 'lunch?' } },
    { token: viewer.token },
  );
  await s.db.prisma.message.createMany({
    data: Array.from({ length: 3_000 }, (_, i) => ({
      tenantId: 'default',
      conversationId: sent.sendMessage.conversationId,
      senderId: i % 2 ? viewer.id : friend.id,
      sequence: 1_000 + i,
      content: `lunch plan number ${i}: soup, bread and a long walk to the lunch place by the river`,
    })),
  });
  return viewer;
}

const code = (r: Result) => r.errors?.[0].extensions?.code;

/** A batched request (a JSON array) of `n` copies of `query`, as `viewer`. */
async function batch(s: TestServer, viewer: TestUser, query: string, n: number): Promise<Result[]> {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer.token}` },
    body: JSON.stringify(Array.from({ length: n }, () => ({ query }))),
  });
  return (await res.json()) as Result[];
}

describe('queries and mutations in flight per client', () => {
  const server = useServer({ GRAPHQL_MAX_INFLIGHT_PER_CLIENT: String(LIMIT), SESSION_SWEEP_SECONDS: '3600' });

  it('refuses a viewer flooding slow searches past its limit, and answers another tenant without waiting for the flood', async () => {
    const s = server();
    const flooder = await withLongHistory(s);
    await s.services().tenants.add('elsewhere');
    const other = await s.user({ clientId: 'elsewhere' });
    // A query that reads the database, as most do (its tenant and session are known from the first call).
    const othersQuery = () =>
      s.gql('{ conversations(first: 5) { edges { node { id } } } }', {}, { token: other.token, clientId: 'elsewhere' }) as Promise<Result>;
    expect((await othersQuery()).errors).toBeUndefined();

    // 30 searches at once: three batched requests of ten (the operations of a batch run side by side).
    let searched = 0;
    const flood = Array.from({ length: 3 }, () =>
      batch(s, flooder, SEARCH, 10).then((results) => {
        searched += results.filter((r) => !r.errors).length;
        return results;
      }),
    );
    await Promise.race(flood); // the flood is being served
    const searchedBefore = searched;
    const answer = await othersQuery();
    const searchedMeanwhile = searched - searchedBefore;
    const results = (await Promise.all(flood)).flat();

    expect(answer.errors).toBeUndefined();
    expect(answer.data?.conversations).toEqual({ edges: [] });
    const refused = results.filter((r) => code(r) === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThanOrEqual(3 * (10 - LIMIT) - 2 * LIMIT);
    expect(refused[0].errors?.[0]).toMatchObject({ extensions: { retryAfter: 1, limit: LIMIT } });
    expect(refused[0].errors?.[0].message).toMatch(/At most 4 of your operations can run at once/);
    expect(results.filter((r) => r.errors && code(r) !== 'RATE_LIMITED')).toEqual([]);
    // The other tenant's query waited behind the flooder's operations in flight, not behind the whole flood.
    expect(searchedMeanwhile).toBeLessThanOrEqual(2 * LIMIT);
  });

  it('counts every operation of a batch, and other clients not at all', async () => {
    const s = server();
    const [viewer, other] = [await withLongHistory(s), await s.user()];
    const [flooded, fine] = await Promise.all([batch(s, viewer, SEARCH, 10), batch(s, other, SEARCH, LIMIT)]);
    const codes = flooded.map(code);
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(10 - 2 * LIMIT);
    expect(codes.filter((c) => c === undefined).length).toBeGreaterThanOrEqual(LIMIT);
    expect(fine.map(code)).toEqual(Array(LIMIT).fill(undefined));
  });

  it('gives a slot back whether its operation is answered or fails', async () => {
    const s = server();
    const viewer = await withLongHistory(s);
    for (let round = 0; round < 3; round++) {
      expect((await batch(s, viewer, SEARCH, LIMIT)).map(code)).toEqual(Array(LIMIT).fill(undefined));
      // Refused by the resolver, so its execution ends with an error.
      expect((await batch(s, viewer, '{ searchMessages(query: "---") { edges { node { snippet } } } }', LIMIT)).map(code)).toEqual(
        Array(LIMIT).fill('BAD_USER_INPUT'),
      );
    }
  });

  it('gives a slot back when its client has gone before the answer', async () => {
    // The operation log tells when the server has run what the departed client asked for.
    const lines: { msg?: string; requestId?: string }[] = [];
    let logged = () => {};
    const logger = createLogger('info', {}, (line) => {
      lines.push(JSON.parse(line));
      logged();
    });
    const s = await startServer({ GRAPHQL_MAX_INFLIGHT_PER_CLIENT: String(LIMIT) }, { logger });
    try {
      const viewer = await withLongHistory(s);
      // A batch that takes every slot, on a socket its client closes as soon as the request is sent.
      const body = JSON.stringify(Array.from({ length: LIMIT }, () => ({ query: SEARCH })));
      const socket = connect(Number(new URL(s.url).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      const request =
        `POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\nauthorization: Bearer ${viewer.token}\r\n` +
        `x-request-id: departed\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      await new Promise<void>((resolve) => socket.write(request, () => resolve()));
      socket.destroy();
      const ran = () => lines.filter((l) => l.msg === 'operation' && l.requestId === 'departed').length;
      await new Promise<void>((resolve) => {
        logged = () => ran() === LIMIT && resolve();
        logged();
      });
      expect((await batch(s, viewer, SEARCH, LIMIT)).map(code)).toEqual(Array(LIMIT).fill(undefined));
    } finally {
      await s.stop();
    }
  });
});
