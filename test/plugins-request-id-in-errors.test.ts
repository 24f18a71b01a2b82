// requestIdInErrorsPlugin (src/graphql/plugins/request-id-in-errors.ts), in process: every error a client gets carries
// the request id app.ts gave the request (`extensions.requestId`, beside its code), whether it stopped the request
// before execution (parse, validation), came from a resolver, sat in one operation of a batch or refused a
// subscription; results without errors are left as they are.
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { requestIdInErrorsPlugin } from '../src/graphql/plugins/request-id-in-errors.ts';
import { post, sse, testYoga, type Result } from './helpers/yoga.ts';

const requestId = 'req-1234';

describe('requestIdInErrorsPlugin', () => {
  const yoga = testYoga({
    plugins: [requestIdInErrorsPlugin()],
    batching: { limit: 5 },
    resolvers: {
      Query: { broken: () => Promise.reject(new AppError('FORBIDDEN', 'Not yours.')) },
      Subscription: {
        items: {
          // Refused when it is set up, before any event.
          subscribe: () => Promise.reject(new AppError('NOT_FOUND', 'No such stream.')),
        },
      },
    },
  });

  it('adds the request id to a resolver error, keeping its code', async () => {
    const result = await post<Result>(yoga, { query: '{ hello broken }' }, { requestId });
    expect(result.data).toEqual({ hello: 'hi', broken: null });
    expect(result.errors).toEqual([expect.objectContaining({ message: 'Not yours.', extensions: { code: 'FORBIDDEN', requestId } })]);
  });

  it('adds it to errors that stop a request before execution: parse and validation', async () => {
    for (const query of ['{ hello', '{ nope }']) {
      const result = await post<Result>(yoga, { query }, { requestId });
      expect(result.errors, query).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ requestId }) })]);
    }
  });

  it('adds it to the failing operation of a batch and leaves the others alone', async () => {
    const results = await post<Result[]>(yoga, [{ query: '{ broken }' }, { query: '{ hello }' }], { requestId });
    expect(results).toEqual([
      { data: { broken: null }, errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN', requestId } })] },
      { data: { hello: 'hi' } },
    ]);
  });

  it('adds it to a subscription refused when it is set up, over SSE', async () => {
    const events = await sse(yoga, { query: 'subscription { items { edges { node { id } } } }' }, { requestId });
    expect(events).toEqual([
      { errors: [expect.objectContaining({ message: 'No such stream.', extensions: { code: 'NOT_FOUND', requestId } })] },
    ]);
  });

  it("adds it to the failing event of a subscription's stream, over SSE (WebSocket: server.test.ts)", async () => {
    const failing = testYoga({
      plugins: [requestIdInErrorsPlugin()],
      resolvers: {
        Subscription: {
          items: {
            subscribe: async function* () {
              yield { items: { edges: [{ node: { id: '1' }, cursor: '1' }], pageInfo: { hasNextPage: false } } };
              yield {
                items: {
                  get edges(): never {
                    throw new AppError('NOT_FOUND', 'Gone.'); // the event's result has an error
                  },
                },
              };
            },
          },
        },
      },
    });
    const events = await sse(failing, { query: 'subscription { items { edges { node { id } } } }' }, { requestId });
    expect(events).toEqual([
      { data: { items: { edges: [{ node: { id: '1' } }] } } },
      expect.objectContaining({ errors: [expect.objectContaining({ message: 'Gone.', extensions: { code: 'NOT_FOUND', requestId } })] }),
    ]);
  });

  it('is what adds it: the same yoga without the plugin answers without one', async () => {
    const bare = testYoga({ plugins: [], resolvers: { Query: { broken: () => Promise.reject(new AppError('FORBIDDEN')) } } });
    const result = await post<Result>(bare, { query: '{ broken }' }, { requestId });
    expect(result.errors?.[0].extensions).toEqual({ code: 'FORBIDDEN' });
  });
});
