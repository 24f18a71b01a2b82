// operationLogPlugin (src/graphql/plugins/operation-log.ts), in process, with a real Metrics registry and a logger
// whose lines the test collects: every query and mutation is counted by name, type, transport and outcome, timed,
// its errors counted by code, and logged at info with its request id, tenant, user and duration; from
// `slowOperationMs` on it is logged again at warn. A subscription over SSE is counted as started.
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { operationLogPlugin } from '../src/graphql/plugins/operation-log.ts';
import { createLogger, type LogLevel } from '../src/logger.ts';
import { Metrics } from '../src/observability/metrics.ts';
import { post, sse, testYoga } from './helpers/yoga.ts';

type Line = Record<string, unknown> & { level: string; msg: string };

const metricsToClose: Metrics[] = [];
afterAll(() => metricsToClose.forEach((m) => m.close()));

/** A yoga with only the operation log, its metrics and the lines it logs. */
function logged(slowOperationMs: number, level: LogLevel = 'info') {
  const lines: Line[] = [];
  const logger = createLogger(level, {}, (line) => lines.push(JSON.parse(line) as Line));
  const metrics = new Metrics();
  metricsToClose.push(metrics);
  const yoga = testYoga({
    plugins: [operationLogPlugin({ metrics, logger, slowOperationMs })],
    resolvers: { Query: { broken: () => Promise.reject(new AppError('FORBIDDEN', 'Not yours.')) } },
  });
  /** The values of a metric, by their labels. */
  const values = async (name: string) =>
    (await metrics.registry.getSingleMetric(name)!.get()).values.map(({ labels, value }) => ({ labels, value }));
  return { yoga, lines, values };
}

describe('operationLogPlugin', () => {
  it('counts, times and logs a query by its name, with request id, tenant and user', async () => {
    const { yoga, lines, values } = logged(60_000);
    await post(yoga, { query: 'query Greeting { hello }' }, { user: 'u1', requestId: 'req-1' });

    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'operation',
        requestId: 'req-1',
        transport: 'http',
        tenant: 'default',
        user: 'u1',
        operation: 'Greeting',
        outcome: 'ok',
        ms: expect.any(Number),
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('codes');
    expect(await values('parley_graphql_operations_total')).toEqual([
      { labels: { operation: 'Greeting', type: 'query', transport: 'http', outcome: 'ok' }, value: 1 },
    ]);
    const durations = await values('parley_graphql_operation_duration_seconds');
    expect(durations).toContainEqual({ labels: { operation: 'Greeting', transport: 'http', outcome: 'ok', le: '+Inf' }, value: 1 });
  });

  it('counts a failed operation as an error, its errors by code, and logs the codes', async () => {
    const { yoga, lines, values } = logged(60_000);
    await post(yoga, { query: '{ hello broken }' }, { requestId: 'req-2' });

    expect(lines).toEqual([
      expect.objectContaining({ msg: 'operation', requestId: 'req-2', operation: null, outcome: 'error', codes: ['FORBIDDEN'] }),
    ]);
    expect(lines[0].user).toBeUndefined();
    expect(await values('parley_graphql_operations_total')).toEqual([
      { labels: { operation: 'anonymous', type: 'query', transport: 'http', outcome: 'error' }, value: 1 },
    ]);
    expect(await values('parley_graphql_errors_total')).toEqual([{ labels: { code: 'FORBIDDEN' }, value: 1 }]);
  });

  it('logs an operation at or past slowOperationMs again at warn, with the threshold', async () => {
    const { yoga, lines } = logged(0);
    await post(yoga, { query: 'query Slowish { hello }' }, { requestId: 'req-3' });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'operation'],
      ['warn', 'slow operation'],
    ]);
    expect(lines[1]).toMatchObject({ requestId: 'req-3', operation: 'Slowish', outcome: 'ok', thresholdMs: 0 });
  });

  it('still counts with info lines off, and logs only the slow ones', async () => {
    const quiet = logged(60_000, 'warn');
    await post(quiet.yoga, { query: '{ hello }' });
    expect(quiet.lines).toEqual([]);
    expect(await quiet.values('parley_graphql_operations_total')).toEqual([
      { labels: { operation: 'anonymous', type: 'query', transport: 'http', outcome: 'ok' }, value: 1 },
    ]);

    const slow = logged(0, 'warn');
    await post(slow.yoga, { query: '{ hello }' });
    expect(slow.lines.map((l) => l.msg)).toEqual(['slow operation']);
  });

  it('counts a subscription over SSE as started (WebSocket counts its own), without an operation line', async () => {
    const { yoga, lines, values } = logged(0);
    const events = await sse(yoga, { query: 'subscription { items { pageInfo { hasNextPage } } }' });
    expect(events).toEqual([{ data: { items: { pageInfo: { hasNextPage: false } } } }]);
    expect(await values('parley_subscriptions_started_total')).toEqual([{ labels: { transport: 'sse' }, value: 1 }]);
    expect(await values('parley_graphql_operations_total')).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('leaves what never executes to the other layers: a request refused at validation is neither counted nor logged', async () => {
    const { yoga, lines, values } = logged(0);
    await post(yoga, { query: '{ nope }' });
    expect(lines).toEqual([]);
    expect(await values('parley_graphql_operations_total')).toEqual([]);
  });
});
