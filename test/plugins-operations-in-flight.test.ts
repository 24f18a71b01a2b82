// operationsInFlightPlugin (src/graphql/plugins/operations-in-flight.ts), in process: with 32 operations of one
// client running (the default GRAPHQL_MAX_INFLIGHT_PER_CLIENT), its 33rd is refused before it runs with RATE_LIMITED
// (retryAfter, limit), other clients are not held back, and a slot comes back however an operation ends.
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { operationsInFlightPlugin } from '../src/graphql/plugins/operations-in-flight.ts';
import { post, testYoga, type Asker, type Result } from './helpers/yoga.ts';

const LIMIT = 32;

/** Resolvers of `items` that wait until released; `started(n)` resolves once n of them are running. */
function gate() {
  let running = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    release,
    started: (n: number) => new Promise<void>((resolve) => (running >= n ? resolve() : waiters.push({ n, resolve }))),
    async resolve() {
      running++;
      for (const w of waiters.filter((w) => running >= w.n)) w.resolve();
      await released;
      return { edges: [], pageInfo: { hasNextPage: false } };
    },
  };
}

const SLOW = '{ items { pageInfo { hasNextPage } } }';
const QUICK = '{ hello }';
const RATE_LIMITED = {
  message: `At most ${LIMIT} of your operations can run at once; wait for one to finish.`,
  extensions: { code: 'RATE_LIMITED', retryAfter: 1, limit: LIMIT },
};

describe('operationsInFlightPlugin', () => {
  it("refuses a signed-in user's 33rd operation while 32 run, not another user's, and takes it again once one ends", async () => {
    const slow = gate();
    const yoga = testYoga({ plugins: [operationsInFlightPlugin(LIMIT)], resolvers: { Query: { items: slow.resolve } } });
    const alice: Asker = { user: 'alice', ip: '10.0.0.1' };
    const running = Array.from({ length: LIMIT }, () => post(yoga, { query: SLOW }, alice));
    await slow.started(LIMIT);

    expect(await post(yoga, { query: QUICK }, alice)).toEqual({ errors: [expect.objectContaining(RATE_LIMITED)] });
    // The same address, another user: counted apart.
    expect(await post(yoga, { query: QUICK }, { user: 'bob', ip: '10.0.0.1' })).toEqual({ data: { hello: 'hi' } });

    slow.release();
    for (const result of await Promise.all(running)) expect(result.errors).toBeUndefined();
    expect(await post(yoga, { query: QUICK }, alice)).toEqual({ data: { hello: 'hi' } });
  });

  it("counts a guest by address: one address's 33rd is refused, another address's runs", async () => {
    const slow = gate();
    const yoga = testYoga({ plugins: [operationsInFlightPlugin(LIMIT)], resolvers: { Query: { items: slow.resolve } } });
    const running = Array.from({ length: LIMIT }, () => post(yoga, { query: SLOW }, { ip: '10.0.0.1' }));
    await slow.started(LIMIT);
    expect(await post(yoga, { query: QUICK }, { ip: '10.0.0.1' })).toEqual({ errors: [expect.objectContaining(RATE_LIMITED)] });
    expect(await post(yoga, { query: QUICK }, { ip: '10.0.0.2' })).toEqual({ data: { hello: 'hi' } });
    slow.release();
    await Promise.all(running);
  });

  it('gives a slot back when the operation fails, as when it answers', async () => {
    const yoga = testYoga({
      plugins: [operationsInFlightPlugin(1)],
      resolvers: { Query: { broken: () => Promise.reject(new AppError('FORBIDDEN')) } },
    });
    for (let i = 0; i < 3; i++) {
      const failed = await post<Result>(yoga, { query: '{ broken }' }, { user: 'carol' });
      expect(failed.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    expect(await post(yoga, { query: QUICK }, { user: 'carol' })).toEqual({ data: { hello: 'hi' } });
  });

  it('counts nothing for a request with neither a viewer nor an address', async () => {
    const slow = gate();
    const yoga = testYoga({ plugins: [operationsInFlightPlugin(1)], resolvers: { Query: { items: slow.resolve } } });
    const running = [post(yoga, { query: SLOW }), post(yoga, { query: SLOW })];
    await slow.started(2);
    expect(await post(yoga, { query: QUICK })).toEqual({ data: { hello: 'hi' } });
    slow.release();
    for (const result of await Promise.all(running)) expect(result.errors).toBeUndefined();
  });
});
