// Fuzz: thousands of random and malformed requests (seeded, so every run sends the same ones) over HTTP and
// WebSocket. Every answer must be a 4xx, or a 200 whose errors all carry an extensions.code; never a 5xx, a stack
// trace or a hang. Afterwards the server still answers, and it logged no unexpected error.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { print, type DocumentNode } from 'graphql';
import * as operations from './gql/graphql.ts';
import { schema } from '../src/graphql/schema.ts';
import { createLogger } from '../src/logger.ts';
import { startServer, type TestServer, type TestUser } from './helpers/server.ts';
import { malformedBody, mutateDocument, randomJson, randomOperation, randomString, Rng } from './helpers/fuzz.ts';
import { Send } from './messaging-ops.ts';

const SEED = 20_251_125;
const HTTP_CASES = 1_400;
const WS_CASES = 600;
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 10_000;

/** The operations the tests use (queries and mutations: a subscription over plain HTTP never ends by itself). */
const SEEDS = Object.values(operations)
  .filter((d): d is DocumentNode => typeof d === 'object' && d !== null && (d as DocumentNode).kind === 'Document')
  .map((d) => print(d))
  .filter((q) => !/^subscription/.test(q.trim()));

const STACK = /\n\s+at .+:\d+:\d+|\.ts:\d+:\d+/;
type GqlError = { message?: unknown; extensions?: { code?: unknown } };
type Payload = { data?: unknown; errors?: GqlError[] };

/** Why one GraphQL result is not acceptable, or null. */
function badResult(r: Payload): string | null {
  if (typeof r !== 'object' || r === null) return 'result is not an object';
  if (r.errors) {
    for (const e of r.errors) if (typeof e.extensions?.code !== 'string') return `error without a code: ${String(e.message)}`;
  } else if (r.data === undefined) return 'neither data nor errors';
  return null;
}

/** Why an HTTP answer is not acceptable, or null. */
function badAnswer(status: number, contentType: string, body: string): string | null {
  if (status >= 500) return `status ${status}: ${body.slice(0, 200)}`;
  if (status < 200 || (status >= 300 && status < 400)) return `status ${status}`;
  if (STACK.test(body)) return `stack trace in the body: ${body.slice(0, 300)}`;
  if (status >= 400) return null;
  if (contentType.includes('text/html')) return null; // GraphiQL
  if (!contentType.includes('json')) return `200 with content-type ${contentType}`;
  const parsed = JSON.parse(body) as Payload | Payload[];
  for (const r of Array.isArray(parsed) ? parsed : [parsed]) {
    const bad = badResult(r);
    if (bad) return bad;
  }
  return null;
}

interface HttpCase {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function httpCase(r: Rng, users: TestUser[], ids: string[]): HttpCase {
  const token = r.chance(0.6) ? r.pick(users).token : null;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const operation = () => {
    if (r.chance(0.5)) return randomOperation(r, schema, ids);
    const query = mutateDocument(r, r.chance(0.5) ? r.pick(SEEDS) : randomOperation(r, schema, ids).query);
    const names = [...new Set(query.match(/\$\w+/g) ?? [])].map((n) => n.slice(1));
    return { query, variables: Object.fromEntries(names.map((n) => [n, randomJson(r, ids)])) };
  };
  const json = (o: unknown) => JSON.stringify(o);
  const kind = r.int(100);
  if (kind < 60) return { method: 'POST', path: '/graphql', headers, body: json(operation()) };
  if (kind < 70) return { method: 'POST', path: '/graphql', headers, body: malformedBody(r, json(operation())) };
  if (kind < 76) {
    const type = r.pick([
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/graphql',
      '',
      'application/json; charset=utf-16',
      'application/xml',
    ]);
    return {
      method: r.pick(['POST', 'POST', 'PUT', 'PATCH', 'DELETE']),
      path: '/graphql',
      headers: { ...headers, 'content-type': type },
      body: json(operation()),
    };
  }
  if (kind < 84) {
    const { query, variables } = operation();
    const params = new URLSearchParams({ query, ...(r.chance(0.5) ? { variables: json(variables) } : { variables: randomString(r) }) });
    if (r.chance(0.2)) params.set(randomString(r).slice(0, 10), randomString(r).slice(0, 100));
    return {
      method: 'GET',
      path: `/graphql?${params}`,
      headers: { accept: r.pick(['application/json', '*/*', 'text/html', 'application/graphql-response+json']) },
    };
  }
  if (kind < 90) {
    const batch = Array.from({ length: 1 + r.int(7) }, () => (r.chance(0.8) ? operation() : randomJson(r, ids)));
    return { method: 'POST', path: '/graphql', headers, body: json(batch) };
  }
  // hostile headers
  const hostile: Record<string, string> = {
    ...headers,
    ...r.pick<Record<string, string>>([
      { authorization: `Bearer ${randomString(r).slice(0, 500)}` },
      { authorization: randomString(r).slice(0, 200) },
      { 'x-client-id': randomString(r).slice(0, 200) },
      { cookie: `better-auth.session_token=${randomString(r).slice(0, 300)}` },
      { accept: r.pick(['application/xml', 'application/graphql-response+json', 'text/html;q=0', '*/*;q=0.1']) },
      { 'x-request-id': randomString(r).slice(0, 300) },
    ]),
  };
  for (const [k, v] of Object.entries(hostile)) hostile[k] = v.replace(/[^\t\x20-\x7e]/g, '?'); // fetch sends no other bytes
  return { method: 'POST', path: '/graphql', headers: hostile, body: json(operation()) };
}

/**
 * A graphql-transport-ws socket that dispatches answers by operation id. With a token that no longer works (a fuzzed
 * signOut may have ended its session) the server closes it with 4403; then it connects as a guest.
 */
async function openSocket(s: TestServer, token: string | null): Promise<Awaited<ReturnType<typeof connectSocket>>> {
  try {
    return await connectSocket(s, token);
  } catch (err) {
    if (!token) throw err;
    return connectSocket(s, null);
  }
}

async function connectSocket(s: TestServer, token: string | null) {
  const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
  const pending = new Map<string, (outcome: string | null) => void>();
  let closedWith: { code: number; reason: string } | null = null;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => {
      closedWith = { code, reason: reason.toString() };
      for (const settle of pending.values()) settle(null);
      pending.clear();
      resolve(closedWith);
    }),
  );
  const acked = new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const text = data.toString();
      if (STACK.test(text)) return [...pending.values()].forEach((settle) => settle(`stack trace: ${text.slice(0, 300)}`));
      const m = JSON.parse(text) as { type: string; id?: string; payload?: unknown };
      if (m.type === 'connection_ack') return resolve();
      const settle = m.id ? pending.get(m.id) : undefined;
      if (!settle) return;
      if (m.type === 'next') {
        const bad = badResult(m.payload as Payload);
        if (bad) settle(bad);
      } else if (m.type === 'error') {
        const errors = m.payload as GqlError[];
        settle(errors.every((e) => typeof e.extensions?.code === 'string') ? null : `error message without codes: ${text.slice(0, 300)}`);
      } else if (m.type === 'complete') settle(null);
    });
    socket.once('error', reject);
    void closed.then(() => reject(new Error('closed before the ack')));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
  await acked;
  return {
    closed,
    isOpen: () => socket.readyState === WebSocket.OPEN,
    /** Sends a subscribe and resolves with what was wrong with the answer (null: fine, or the socket closed). */
    operation(id: string, payload: unknown): Promise<string | null> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(`no answer within ${REQUEST_TIMEOUT_MS} ms`), REQUEST_TIMEOUT_MS);
        pending.set(id, (outcome) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(outcome);
        });
        socket.send(JSON.stringify({ type: 'subscribe', id, payload }));
      });
    },
    raw: (text: string) => socket.send(text),
    close: () => socket.close(),
  };
}

describe('fuzz', () => {
  const logged: string[] = [];
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  let consoleErrors: ReturnType<typeof vi.spyOn>;
  let s: TestServer;
  let users: TestUser[];
  let ids: string[];

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
    consoleErrors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const logger = createLogger('error', {}, (line) => logged.push(line));
    s = await startServer({ GRAPHQL_MAX_BATCH: '5', WS_OPERATION_RATE_LIMIT: 'off', CHAT_ECHO_DELAY_MS: '0' }, { logger });
    users = [await s.user(), await s.user(), await s.user()];
    const sent = (await s.ok(Send, { input: { toUserId: users[1].id, content: 'hello' } }, { token: users[0].token })).sendMessage;
    ids = [...users.map((u) => u.id), sent.id, sent.conversationId];
  });

  afterAll(async () => {
    await s?.stop();
    consoleErrors.mockRestore();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  });

  it(`answers ${HTTP_CASES} hostile HTTP requests with a 4xx or coded errors`, { timeout: 120_000 }, async () => {
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < HTTP_CASES) {
        const i = next++;
        const c = httpCase(new Rng(SEED + i), users, ids);
        try {
          const res = await fetch(`${s.url}${c.path}`, {
            method: c.method,
            headers: c.headers,
            body: c.body,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          const bad = badAnswer(res.status, res.headers.get('content-type') ?? '', await res.text());
          if (bad) failures.push(`case ${i} (${c.method} ${c.path.slice(0, 80)} ${c.body?.slice(0, 200)}): ${bad}`);
        } catch (err) {
          failures.push(`case ${i}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it(`answers ${WS_CASES} hostile WebSocket messages with coded errors or a 44xx close`, { timeout: 120_000 }, async () => {
    const failures: string[] = [];
    const closeCodes = new Map<number, number>();
    let next = 0;
    const worker = async (w: number) => {
      let socket = await openSocket(s, users[w % users.length].token);
      while (next < WS_CASES) {
        const i = next++;
        const r = new Rng(SEED * 7 + i);
        if (!socket.isOpen()) socket = await openSocket(s, r.chance(0.5) ? r.pick(users).token : null);
        if (r.chance(0.9)) {
          const op = r.chance(0.5)
            ? randomOperation(r, schema, ids)
            : { query: mutateDocument(r, r.pick(SEEDS)), variables: randomJson(r, ids) };
          const bad = await socket.operation(`op${i}`, op);
          if (bad) failures.push(`ws case ${i} (${JSON.stringify(op).slice(0, 200)}): ${bad}`);
        } else {
          socket.raw(malformedBody(r, JSON.stringify({ type: 'subscribe', id: `op${i}`, payload: { query: '{ __typename }' } })));
          const timeout = new Promise<{ code: number }>((resolve) => setTimeout(() => resolve({ code: -1 }), REQUEST_TIMEOUT_MS).unref());
          const { code } = await Promise.race([socket.closed, timeout]);
          if (code === -1) socket.close(); // not closed: the message was taken as valid
          closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
          if (code !== -1 && !(code >= 4400 && code < 4500) && code !== 1009) failures.push(`ws case ${i}: closed with ${code}`);
        }
      }
      socket.close();
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    expect(failures.slice(0, 10)).toEqual([]);
    expect([...closeCodes.keys()]).toContain(4400); // malformed messages were sent, and refused by protocol
  });

  it('is still up and serving afterwards, and logged no unexpected error', async () => {
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    const fresh = await s.user();
    expect(await s.ok('{ me { id } }', {}, { token: fresh.token })).toEqual({ me: { id: fresh.id } });
    expect(logged).toEqual([]);
    expect(consoleErrors).not.toHaveBeenCalled();
    expect(uncaught).toEqual([]);
  });
});
