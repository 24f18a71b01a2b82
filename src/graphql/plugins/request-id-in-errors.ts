// Errors carry the request id, so a client's report can be matched with the server's log lines. maskError has no
// context, so the id is added to the result after execution, and to each event of a subscription's stream (over
// HTTP and SSE here; over WebSocket, which subscribes past envelop, yoga.subscribeOverSocket does the same).
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.ts';
import { withRequestId } from '../request-id.ts';
import type { ServerContext } from '../yoga.ts';

export function requestIdInErrorsPlugin(): Plugin<Context, ServerContext> {
  return {
    // Over HTTP also errors that stop a request before execution (parse, validation, bad parameters).
    onResultProcess({ result, setResult, serverContext }) {
      const requestId = serverContext.requestId;
      if (!requestId || Symbol.asyncIterator in result) return;
      setResult(Array.isArray(result) ? result.map((r) => withRequestId(r, requestId)) : withRequestId(result, requestId));
    },
    onSubscribe({ args }) {
      const requestId = args.contextValue.requestId;
      return {
        onSubscribeResult({ result }) {
          if (!(Symbol.asyncIterator in result)) return;
          return { onNext: ({ result: r, setResult: set }) => set(withRequestId(r, requestId)) };
        },
      };
    },
    onExecute({ args }) {
      const requestId = args.contextValue.requestId;
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result) {
            return { onNext: ({ result: r, setResult: set }) => set(withRequestId(r, requestId)) };
          }
          setResult(withRequestId(result, requestId));
        },
      };
    },
  };
}
