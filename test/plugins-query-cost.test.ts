// queryCostPlugin (src/graphql/plugins/query-cost.ts), in process, on a connection whose cost is its page size
// (`items(first: n) { edges { node { id } } }` costs n): over the budget an operation is refused at validation with
// QUERY_TOO_COMPLEX, its cost and the budget it is over (maxCost), before any resolver runs; a subscription has a
// budget of its own; the operations of a batch share one; a page size out of range is BAD_USER_INPUT with its field.
import { describe, expect, it } from 'vitest';
import { queryCostPlugin } from '../src/graphql/plugins/query-cost.ts';
import { validationCachePlugin } from '../src/graphql/plugins/validation-cache.ts';
import { post, sse, testYoga, connection, type Result } from './helpers/yoga.ts';

const LIMITS = { maxCost: 50, maxEventCost: 10, maxPageSize: 100, defaultPageSize: 20 };
const PAGE = 'query Page($n: Int) { items(first: $n) { edges { node { id } } } }';
const EVENTS = 'subscription Events($n: Int) { items(first: $n) { edges { node { id } } } }';

describe('queryCostPlugin', () => {
  let resolved = 0;
  const yoga = testYoga({
    // As in Parley's yoga: the validation cache just before the cost check.
    plugins: [validationCachePlugin(), queryCostPlugin(LIMITS)],
    resolvers: { Query: { items: (_: unknown, { first }: { first: number }) => (resolved++, connection(first)) } },
    batching: { limit: 5 },
  });

  it('answers within the budget and refuses over it with QUERY_TOO_COMPLEX, cost and maxCost, before anything runs', async () => {
    const within = await post(yoga, { query: PAGE, variables: { n: 50 } });
    expect(within.errors).toBeUndefined();
    expect(resolved).toBe(1);

    const over = await post(yoga, { query: PAGE, variables: { n: 51 } });
    expect(over.data).toBeUndefined();
    expect(over.errors).toEqual([
      expect.objectContaining({
        message: expect.stringContaining('(51) is over the limit of 50'),
        extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', cost: 51, maxCost: 50 }),
      }),
    ]);
    expect(resolved).toBe(1);
  });

  it('prices the same document again for other variables: a refusal is never remembered for a smaller page', async () => {
    for (const [n, code] of [
      [80, 'QUERY_TOO_COMPLEX'],
      [5, undefined],
      [80, 'QUERY_TOO_COMPLEX'],
      [6, undefined],
    ] as const) {
      const result = await post(yoga, { query: PAGE, variables: { n } });
      expect(result.errors?.[0]?.extensions?.code, `first: ${n}`).toBe(code);
    }
  });

  it('refuses a page size out of range with BAD_USER_INPUT and the argument, literal or variable', async () => {
    for (const body of [
      { query: PAGE, variables: { n: 101 } },
      { query: PAGE, variables: { n: -1 } },
      { query: '{ items(first: 1000) { pageInfo { hasNextPage } } }' },
    ]) {
      const result = await post(yoga, body);
      expect(result.errors, JSON.stringify(body)).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'first' }) }),
      ]);
    }
  });

  it('gives the operations of a batch one budget: together over it, every one of them is refused and none runs', async () => {
    const before = resolved;
    const apart = await post<Result[]>(yoga, [
      { query: PAGE, variables: { n: 20 } },
      { query: PAGE, variables: { n: 20 } },
    ]);
    expect(apart.map((r) => r.errors)).toEqual([undefined, undefined]);

    const together = await post<Result[]>(yoga, [
      { query: PAGE, variables: { n: 30 } },
      { query: PAGE, variables: { n: 30 } },
    ]);
    for (const result of together) {
      expect(result.errors).toEqual([
        expect.objectContaining({
          message: expect.stringContaining('operations of this request together (60)'),
          extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', cost: 60, maxCost: 50 }),
        }),
      ]);
    }
    expect(resolved).toBe(before + 2);
  });

  it('gives a subscription the smaller per-event budget (maxEventCost), over SSE', async () => {
    const within = await sse(yoga, { query: EVENTS, variables: { n: 10 } });
    expect(within).toEqual([{ data: { items: { edges: connection(10).edges.map(({ node }) => ({ node })) } } }]);

    const over = await sse(yoga, { query: EVENTS, variables: { n: 11 } });
    expect(over).toEqual([
      {
        errors: [
          expect.objectContaining({
            message: expect.stringContaining('selects for every event (11) is over the limit of 10'),
            extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', cost: 11, maxCost: 10 }),
          }),
        ],
      },
    ]);
  });
});
