// Fairness between clients: at most `maxPerClient` queries and mutations of one client run at once, over HTTP and
// WebSocket alike (each operation of a batch counts). A client is the signed-in user, else the client's address. The
// database serves statements in arrival order (embedded PGlite is one connection behind a queue, PostgreSQL a pool),
// so without this one client firing slow operations without pause (searches, statistics) fills the queue or holds
// every pooled connection, and everybody else's requests wait behind it or are refused. With it, anybody else's
// statement waits behind at most `maxPerClient` operations of each busy client. Past the limit an operation is
// refused before it runs, with RATE_LIMITED (`retryAfter` in seconds, `limit`); subscriptions are bounded elsewhere
// (WS_MAX_SUBSCRIPTIONS, GRAPHQL_MAX_EVENT_COST).
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { AppError } from '../../errors.ts';
import { graphqlError } from '../errors.ts';
import type { Context } from '../context.ts';

/** Which client an operation counts against, or null when it has neither a viewer nor an address. */
function clientKey(context: Context): string | null {
  if (context.viewer) return `user:${context.viewer.user.id}`;
  return context.client.ip ? `ip:${context.client.ip}` : null;
}

export function operationsInFlightPlugin(maxPerClient: number): Plugin<Context> {
  // Operations running now, per client: this yoga instance's own (one per app), and a client's entry leaves with its
  // last operation, so it holds only clients with something running.
  const running = new Map<string, number>();
  const tooMany = () =>
    graphqlError(
      new AppError('RATE_LIMITED', `At most ${maxPerClient} of your operations can run at once; wait for one to finish.`, {
        retryAfter: 1,
        limit: maxPerClient,
      }),
    );

  return {
    onExecute({ executeFn, setExecuteFn }) {
      // Counted around the execution itself, so however it ends (a result, a thrown error, a client that went away
      // meanwhile) the slot is given back.
      setExecuteFn(async (args: ExecutionArgs) => {
        const key = clientKey(args.contextValue as Context);
        if (key === null) return executeFn(args);
        const count = running.get(key) ?? 0;
        if (count >= maxPerClient) return { errors: [tooMany()] };
        running.set(key, count + 1);
        try {
          return await executeFn(args);
        } finally {
          const left = running.get(key)! - 1;
          if (left > 0) running.set(key, left);
          else running.delete(key);
        }
      });
    },
  };
}
