// Caps on subscriptions streamed over HTTP (SSE), which stay open like WebSockets: per signed-in user
// (SSE_MAX_STREAMS_PER_USER) and per client address (SSE_MAX_STREAMS_PER_IP), per instance. One more than a cap is
// refused before its stream starts, with HTTP 429 and a TOO_MANY_CONNECTIONS error; closing a stream frees its slot.
// Every subscription that streams counts, whatever its Accept header says (yoga streams one to "*/*" or no Accept
// at all); queries and mutations sent with a streaming Accept header (urql sends one on every request) are neither
// counted nor refused, and WebSockets have caps of their own. The same registry gives /metrics its count of streams
// and lets a shutdown drop them.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, testConfig, useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { until } from './helpers/faults.ts';

const CAP = 3;
const SSE = 'text/event-stream';
// What urql sends on every operation.
const URQL_ACCEPT = 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed';
const SESSIONS_ENDED = 'subscription Ended { sessionsEnded { reason } }';

interface Stream {
  status: number;
  contentType: string | null;
  /** The whole body (for a refused stream: it ends at once). */
  text(): Promise<string>;
  close(): Promise<void>;
}

/** Every response a test asked for, closed after it (so none is left to fail when its server stops). */
const requested: Stream[] = [];
afterEach(async () => {
  await Promise.all(requested.splice(0).map((r) => r.close()));
});

/** POSTs `query` as `user` asking for `accept` (null: no Accept header); resolves once the response's headers arrive. */
async function request(s: TestServer, user: TestUser, accept: string | null, query = SESSIONS_ENDED): Promise<Stream> {
  const abort = new AbortController();
  // (fetch would add "Accept: */*"; an empty one is what yoga reads as none.)
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: accept ?? '', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ query }),
    signal: abort.signal,
  });
  const stream: Stream = {
    status: res.status,
    contentType: res.headers.get('content-type'),
    text: () => res.text(),
    close: async () => {
      abort.abort();
      await res.body?.cancel().catch(() => {});
    },
  };
  requested.push(stream);
  return stream;
}

/** The first GraphQL error in an SSE body. */
function firstError(body: string): { message: string; extensions: Record<string, unknown> } {
  const json = /\{"errors":.*\}/.exec(body);
  if (!json) throw new Error(`no GraphQL error in: ${body}`);
  return JSON.parse(json[0]).errors[0];
}

async function openAll(s: TestServer, users: TestUser[], accept = SSE): Promise<Stream[]> {
  const streams: Stream[] = [];
  for (const u of users) streams.push(await request(s, u, accept));
  return streams;
}

it('caps are on by default', () => {
  const config = testConfig();
  expect(config.SSE_MAX_STREAMS_PER_USER).toBe(20);
  expect(config.SSE_MAX_STREAMS_PER_IP).toBe(200);
});

describe('SSE_MAX_STREAMS_PER_USER', () => {
  const server = useServer({ SSE_MAX_STREAMS_PER_USER: String(CAP), SSE_MAX_STREAMS_PER_IP: '0', WS_MAX_CONNECTIONS_PER_USER: '1' });

  it('refuses the stream over the cap with 429 and TOO_MANY_CONNECTIONS before it starts, whatever the Accept header', async () => {
    const s = server();
    const [u, other] = [await s.user(), await s.user()];
    const open = [await request(s, u, SSE), await request(s, u, '*/*'), await request(s, u, URQL_ACCEPT)];
    expect(open.map((r) => [r.status, r.contentType])).toEqual(Array(CAP).fill([200, SSE]));

    for (const accept of [SSE, '*/*', null, URQL_ACCEPT]) {
      const refused = await request(s, u, accept);
      expect(refused.status).toBe(429);
      const error = firstError(await refused.text()); // the body ends: nothing is left open
      expect(error.extensions).toMatchObject({ code: 'TOO_MANY_CONNECTIONS', limit: CAP });
      expect(error.message).toMatch(/^Too many subscription streams for this user \(at most 3 at once\)/);
      expect(error.extensions).not.toHaveProperty('http');
    }
    expect(s.services().connections.count('streamUser', u.id)).toBe(CAP);

    // Another user is not affected, nor are this user's queries and mutations with a streaming Accept header, nor
    // their WebSocket (a cap of its own).
    expect((await request(s, other, SSE)).status).toBe(200);
    const queries = await Promise.all(Array.from({ length: CAP + 1 }, () => request(s, u, URQL_ACCEPT, '{ me { id } }')));
    for (const q of queries) expect(JSON.parse((await q.text()).match(/\{"data".*\}/)![0]).data.me.id).toBe(u.id);
    const ws = s.ws({ token: u.token });
    await new Promise<void>((resolve, reject) =>
      ws.subscribe({ query: '{ me { id } }' }, { next: () => {}, error: reject, complete: resolve }),
    );

    await open[0].close();
    await until(async () => s.services().connections.count('streamUser', u.id) < CAP, 5_000, 'the closed stream to be forgotten');
    expect((await request(s, u, SSE)).status).toBe(200);
    expect((await request(s, u, SSE)).status).toBe(429);
  });
});

describe('SSE_MAX_STREAMS_PER_IP', () => {
  const server = useServer({ SSE_MAX_STREAMS_PER_IP: String(CAP), SSE_MAX_STREAMS_PER_USER: '0' });

  it('counts the streams of every user from one address; a forged X-Forwarded-For does not get around it', async () => {
    const s = server();
    const users = await Promise.all(Array.from({ length: CAP + 1 }, () => s.user()));
    const open = await openAll(s, users.slice(0, CAP));
    expect(open.map((r) => r.status)).toEqual(Array(CAP).fill(200));

    const refused = await request(s, users[CAP], SSE);
    expect(refused.status).toBe(429);
    const error = firstError(await refused.text());
    expect(error.extensions).toMatchObject({ code: 'TOO_MANY_CONNECTIONS', limit: CAP });
    expect(error.message).toMatch(/^Too many subscription streams from this address/);
    const forged = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: SSE,
        authorization: `Bearer ${users[CAP].token}`,
        'x-forwarded-for': '198.51.100.1',
      },
      body: JSON.stringify({ query: SESSIONS_ENDED }),
    });
    expect(forged.status).toBe(429);
    await forged.text();

    await Promise.all(open.map((r) => r.close()));
    await until(async () => s.services().connections.count('streamIp', '127.0.0.1') === 0, 5_000, 'the closed streams to be forgotten');
    expect((await request(s, users[CAP], SSE)).status).toBe(200);
  });
});

it('a subscription streamed to "Accept: */*" is counted in /metrics and dropped when the server stops', async () => {
  // A stream the shutdown missed would hold stop() for SHUTDOWN_TIMEOUT_MS, past the test's own timeout.
  const s = await startServer({ SHUTDOWN_TIMEOUT_MS: '120000' });
  try {
    const u = await s.user();
    const stream = await request(s, u, '*/*');
    expect([stream.status, stream.contentType]).toEqual([200, SSE]);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^parley_sse_streams_open 1$/m);
    const dropped = expect(stream.text()).rejects.toThrow(); // dropped, not ended
    await s.app.stop();
    await dropped;
  } finally {
    await s.stop();
  }
});
