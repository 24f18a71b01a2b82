// /metrics (Prometheus text format from prom-client, and who may read it), request ids in errors, slow-operation logs.
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { register as globalRegistry } from 'prom-client';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/logger.ts';
import { parseConfig } from '../src/config.ts';
import { Metrics } from '../src/observability/metrics.ts';
import { openTestDatabase, startServer, testConfig, useServer } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import { Events, Send } from './messaging-ops.ts';

/** One sample's value from a Prometheus text body, or undefined when the series is absent. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  const server = useServer();

  it('serves Prometheus text with operations, errors, WebSocket, events, database and duration histograms', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const sub = subscribe(s.ws({ token: b.token }), Events, {});
    const sent = (await s.ok(Send, { input: { toUserId: b.id, content: 'counted' } }, { token: a.token })).sendMessage;
    await sub.live(() => s.ok(Send, { input: { conversationId: sent.conversationId, content: 'probe' } }, { token: a.token }));
    const failed = await s.gql('mutation Broken($u: ID!) { startDirectConversation(userId: $u) { id } }', { u: a.id }, { token: a.token });
    expect(failed.errors?.length).toBeGreaterThan(0);

    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    expect(body).toContain('# TYPE parley_graphql_operations_total counter');
    expect(body).toContain('# TYPE parley_graphql_operation_duration_seconds histogram');
    const send = { operation: 'Send', type: 'mutation', transport: 'http', outcome: 'ok' };
    expect(sample(body, 'parley_graphql_operations_total', send)).toBeGreaterThanOrEqual(2);
    expect(sample(body, 'parley_graphql_operations_total', { operation: 'Broken', outcome: 'error' })).toBe(1);
    const bucket = { operation: 'Send', transport: 'http', outcome: 'ok', le: '+Inf' };
    expect(sample(body, 'parley_graphql_operation_duration_seconds_bucket', bucket)).toBe(
      sample(body, 'parley_graphql_operations_total', send),
    );
    expect(sample(body, 'parley_graphql_operation_duration_seconds_count', { operation: 'Send', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(sample(body, 'parley_graphql_errors_total', { code: failed.errors![0].extensions!.code as string })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'parley_ws_connections_open')).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'parley_ws_subscriptions_active')).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'parley_subscriptions_started_total', { transport: 'ws' })).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'parley_events_published_total', { topic: 'conversation:event' })).toBeGreaterThanOrEqual(2);
    expect(sample(body, 'parley_db_queries_total')).toBeGreaterThan(0);
    expect(sample(body, 'parley_db_pool_max')).toBe(s.db.kind === 'postgres' ? 5 : 0);

    sub.stop();
    await expect.poll(async () => sample(await (await fetch(`${s.url}/metrics`)).text(), 'parley_ws_subscriptions_active')).toBe(0);
  });

  it('counts AI tokens by model and direction', async () => {
    const s = server();
    const user = await s.user();
    const client = s.ws({ token: user.token });
    const chat = subscribe(
      client,
      'subscription { chat(input: { message: "count my tokens" }) { __typename ... on ChatCompleted { usage { inputTokens outputTokens } } } }',
    );
    const done = await chat.until((e) => (e.data as { chat: { __typename: string } } | undefined)?.chat.__typename === 'ChatCompleted');
    const usage = (done.data as { chat: { usage: { inputTokens: number; outputTokens: number } } }).chat.usage;
    const body = await (await fetch(`${s.url}/metrics`)).text();
    expect(sample(body, 'parley_ai_tokens_total', { direction: 'output' })).toBeGreaterThanOrEqual(usage.outputTokens);
    expect(sample(body, 'parley_ai_tokens_total', { direction: 'input' })).toBeGreaterThanOrEqual(usage.inputTokens);
  });

  it('keeps client-chosen operation names from growing label values without bound', async () => {
    const s = server();
    await s.gql('query Named_1 { __typename }');
    const body = await (await fetch(`${s.url}/metrics`)).text();
    expect(sample(body, 'parley_graphql_operations_total', { operation: 'Named_1', outcome: 'ok' })).toBe(1);
    await s.gql('{ __typename }');
    expect(
      sample(await (await fetch(`${s.url}/metrics`)).text(), 'parley_graphql_operations_total', { operation: 'anonymous' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('/metrics from prom-client', () => {
  const server = useServer();

  it("includes the default process, heap, GC and event-loop metrics beside Parley's", async () => {
    const body = await (await fetch(`${server().url}/metrics`)).text();
    const defaults = [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_active_handles_total',
    ];
    for (const name of defaults) expect(sample(body, name), name).toBeGreaterThanOrEqual(0);
    expect(sample(body, 'nodejs_heap_space_size_used_bytes', { space: 'old' })).toBeGreaterThan(0);
    expect(body).toContain('# TYPE nodejs_gc_duration_seconds histogram');
    expect(sample(body, 'nodejs_version_info', { version: process.version })).toBe(1);
    expect(body).toContain('# TYPE parley_graphql_operations_total counter');
  });

  it("keeps the numbers of two apps in one process apart, and never uses prom-client's global registry", async () => {
    const first = server();
    const second = await startServer();
    try {
      await first.gql('query OnlyOnFirst { __typename }');
      const [a, b] = await Promise.all([first, second].map(async (s) => (await fetch(`${s.url}/metrics`)).text()));
      expect(sample(a, 'parley_graphql_operations_total', { operation: 'OnlyOnFirst' })).toBe(1);
      expect(sample(b, 'parley_graphql_operations_total', { operation: 'OnlyOnFirst' })).toBeUndefined();
      expect(sample(b, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(sample(b, 'parley_ws_connections_open')).toBe(0);
      expect(await globalRegistry.getMetricsAsJSON()).toEqual([]);
    } finally {
      await second.stop();
    }
    // the stopped app's metrics are gone; the running one still scrapes
    expect(await (await fetch(`${first.url}/metrics`)).text()).toContain('parley_graphql_operations_total');
  });
});

describe('Metrics', () => {
  it('caps the series of a metric and counts the rest as overflow', async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 600; i++) metrics.operations.inc({ operation: `Op${i}`, type: 'query', transport: 'http', outcome: 'ok' });
    metrics.operations.inc({ operation: 'Op0', type: 'query', transport: 'http', outcome: 'ok' });
    const body = await metrics.render();
    const series = body.split('\n').filter((line) => line.startsWith('parley_graphql_operations_total{'));
    expect(series).toHaveLength(501);
    expect(sample(body, 'parley_graphql_operations_total', { operation: 'Op0' })).toBe(2);
    expect(sample(body, 'parley_graphql_operations_total', { overflow: 'true' })).toBe(100);
    metrics.close();
  });

  it('reads scrape-time gauges and counters, replaces a name registered twice, keeps the last reading of one that fails', async () => {
    const metrics = new Metrics();
    let open = 3;
    let failing = false;
    const unlessFailing = <T>(value: T) => {
      if (failing) throw new Error('closed');
      return value;
    };
    metrics.register('parley_test_open', 'Open things.', () => 99);
    metrics.register('parley_test_open', 'Open things.', () => unlessFailing(open));
    const runs = () => unlessFailing([{ labels: { kind: 'shared' }, value: 5 }]);
    metrics.register('parley_test_runs_total', 'Runs by kind.', runs, 'counter', ['kind']);
    metrics.register('parley_test_gone', 'A source that is shutting down.', () => {
      throw new Error('closed');
    });
    open = 4;
    const body = await metrics.render();
    expect(sample(body, 'parley_test_open')).toBe(4);
    expect(body).toContain('# TYPE parley_test_runs_total counter');
    expect(sample(body, 'parley_test_runs_total', { kind: 'shared' })).toBe(5);
    expect(sample(body, 'parley_test_gone')).toBe(0);
    open = 5;
    failing = true;
    const later = await metrics.render();
    expect(sample(later, 'parley_test_open')).toBe(4);
    expect(sample(later, 'parley_test_runs_total', { kind: 'shared' })).toBe(5);
    metrics.close();
    expect(await metrics.render()).toBe('\n');
  });
});

describe('/metrics access', () => {
  it('is off by default in production, on in development and test, and on when METRICS_TOKEN is set', () => {
    const secret = 'x'.repeat(40);
    expect(parseConfig({ NODE_ENV: 'production', AUTH_SECRET: secret }).metrics).toBe(false);
    expect(parseConfig({ NODE_ENV: 'production', AUTH_SECRET: secret, METRICS_TOKEN: 'metrics-token-0123456789' }).metrics).toBe(true);
    expect(parseConfig({ NODE_ENV: 'production', AUTH_SECRET: secret, METRICS: 'true' }).metrics).toBe(true);
    expect(parseConfig({ NODE_ENV: 'development' }).metrics).toBe(true);
    expect(parseConfig({ NODE_ENV: 'test' }).metrics).toBe(true);
    expect(parseConfig({ NODE_ENV: 'development', METRICS: 'false' }).metrics).toBe(false);
    expect(() => parseConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });

  it('requires the bearer token when METRICS_TOKEN is set, and is absent when turned off', async () => {
    const token = 'metrics-token-0123456789';
    const s = await startServer({ METRICS_TOKEN: token });
    const off = await startServer({ METRICS: 'false' });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('parley_ws_connections_open');
      expect((await fetch(`${s.url}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
    } finally {
      await s.stop();
      await off.stop();
    }
  });
});

describe('request ids', () => {
  const server = useServer();
  type Err = { extensions: { code: string; requestId?: string } };

  it('puts the request id in every error extension and in the X-Request-Id header', async () => {
    const s = server();
    const user = await s.user();
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${s.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, ...headers },
        body: JSON.stringify(body),
      });
    // an execution error (resolver), a validation error and a parse error
    for (const query of [`mutation { startDirectConversation(userId: "${user.id}") { id } }`, '{ noSuchField }', '{']) {
      const res = await post({ query });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const body = (await res.json()) as { errors?: Err[] };
      expect(body.errors?.length, query).toBeGreaterThan(0);
      for (const e of body.errors!) expect(e.extensions.requestId, query).toBe(id);
    }
    const given = await post({ query: '{ noSuchField }' }, { 'x-request-id': 'edge-abc.123' });
    expect(given.headers.get('x-request-id')).toBe('edge-abc.123');
    expect(((await given.json()) as { errors: Err[] }).errors[0].extensions.requestId).toBe('edge-abc.123');
    const junk = await post({ query: '{ __typename }' }, { 'x-request-id': 'bad id with spaces' });
    expect(junk.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts the request id in WebSocket errors too', async () => {
    const s = server();
    const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
    const messages: { type: string; id?: string; payload?: unknown }[] = [];
    const waiters: (() => void)[] = [];
    socket.on('message', (d) => {
      messages.push(JSON.parse(d.toString()));
      waiters.splice(0).forEach((w) => w());
    });
    const until = async (n: number) => {
      while (messages.length < n) await new Promise<void>((r) => waiters.push(r));
    };
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await until(1); // the ack: an operation sent before it would close the socket (4401)
    socket.send(JSON.stringify({ type: 'subscribe', id: 'v', payload: { query: '{ noSuchField }' } }));
    socket.send(
      JSON.stringify({ type: 'subscribe', id: 'e', payload: { query: 'mutation { startDirectConversation(userId: "nobody") { id } }' } }),
    );
    await until(4); // ack, error for v, next + complete for e
    socket.close();
    const validation = messages.find((m) => m.id === 'v')!.payload as Err[];
    expect(validation[0].extensions.requestId).toMatch(/^[0-9a-f-]{36}:v$/);
    const execution = messages.find((m) => m.id === 'e' && m.type === 'next')!.payload as { errors: Err[] };
    expect(execution.errors[0].extensions.requestId).toMatch(/^[0-9a-f-]{36}:e$/);
  });
});

describe('slow operations', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it('logs operations at or above SLOW_OPERATION_MS as slow, with their request id', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', {}, (line) => void lines.push(JSON.parse(line)));
    const start = async (slowMs: string) => {
      const { db, drop } = await openTestDatabase();
      const app = await buildApp(testConfig({ SLOW_OPERATION_MS: slowMs }), { db, logger });
      const url = await app.start(0, '127.0.0.1');
      closers.push(async () => {
        await app.stop();
        await db.close();
        await drop();
      });
      return (query: string) =>
        fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    };
    const everything = await start('0');
    const res = await everything('query Slowish { __typename }');
    const requestId = res.headers.get('x-request-id');
    const slow = lines.filter((l) => l.msg === 'slow operation');
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ level: 'warn', operation: 'Slowish', requestId, thresholdMs: 0, outcome: 'ok' });

    lines.length = 0;
    const relaxed = await start('3600000');
    await relaxed('query Quick { __typename }');
    expect(lines.some((l) => l.msg === 'operation' && l.operation === 'Quick')).toBe(true);
    expect(lines.some((l) => l.msg === 'slow operation')).toBe(false);
  });
});
