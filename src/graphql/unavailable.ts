// A subscription event that could not be resolved because the database (or Redis) is out of reach ends its stream
// with SERVICE_UNAVAILABLE instead of reaching the client with holes (a MESSAGE_ADDED whose message is null). The
// client resumes, for conversationEvents with afterSequence = the last event it received whole, and gets it again.
import type { Plugin } from 'graphql-yoga';
import type { ExecutionResult, GraphQLError } from 'graphql';
import { isUnavailable, serviceUnavailable } from '../errors.ts';

const unavailable = (e: GraphQLError) => e.extensions?.code === 'SERVICE_UNAVAILABLE' || isUnavailable(e.originalError);

function endOnUnavailable(source: AsyncIterable<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
  const inner = source[Symbol.asyncIterator]();
  // A plain iterator, not an async generator: return() must reach the source even while it waits for an event.
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const next = await inner.next();
      if (!next.done && next.value.errors?.some(unavailable)) {
        await inner.return?.();
        throw serviceUnavailable();
      }
      return next;
    },
    return: async (value?: unknown) => (await inner.return?.(value)) ?? { done: true, value: undefined },
    throw: async (err?: unknown) => (inner.throw ? inner.throw(err) : Promise.reject(err)),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

export function endStreamsOnUnavailable(): Plugin {
  return {
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (Symbol.asyncIterator in result) setResult(endOnUnavailable(result));
        },
      };
    },
  };
}
