// Subscription events executed once for every subscriber that asked the same thing. A message to a group of 1,000
// reaches 1,000 streams as one event object (realtime/fanout.ts); when they all subscribed with the same document
// and variables, the event is executed once and the 1,000 streams send that one result.
//
// Sharing is only safe when the result cannot depend on who is watching. That is decided by watching the execution
// itself, not by a list of fields: the shared execution runs with a context in which everything that identifies
// the subscriber (viewer, client, request id, anything not known to be the same for all) is behind a tripwire.
// If any resolver touches it, or the result has errors, the shared result is discarded and every subscriber
// executes the event with its own context, exactly as without sharing; the document is then remembered as personal
// and later events go straight to their subscribers' own executions. A new field that reads the viewer is therefore
// never shared by mistake, whoever writes it.
//
// Also replaces the executor's per-event mapping (an async generator and a flattening iterator per event per
// subscriber) with one plain iterator per subscription. Errors from the event source end the stream as before: a
// GraphQLError located at the operation, carrying the original error.
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Context properties that are the same for every subscriber of one topic (a topic never spans tenants). */
const SHARED_CONTEXT = new Set<PropertyKey>(['tenant', 'prisma', 'services', 'transport', 'then']);
/** Documents found to depend on the viewer, remembered so their events skip the shared attempt. */
const MAX_PERSONAL = 1000;

type Result = ExecutionResult | Promise<ExecutionResult>;
interface Shared {
  /** The shared result, or null when subscribers must execute with their own context. */
  value?: ExecutionResult | null;
  promise: Promise<ExecutionResult | null>;
}

export interface SharedEventsStats {
  /** Events executed once on behalf of every subscriber with the same selection. */
  shared: number;
  /** Event deliveries that reused a shared result instead of executing again. */
  reused: number;
  /** Executions with the subscriber's own context (personal selections, or no shared event object). */
  own: number;
}

export function sharedSubscriptionEvents(): Plugin & { stats: SharedEventsStats } {
  const stats: SharedEventsStats = { shared: 0, reused: 0, own: 0 };
  const results = new WeakMap<object, Map<string, Shared>>();
  const documentIds = new WeakMap<DocumentNode, number>();
  const personal = new Set<string>();
  let nextDocumentId = 0;

  const keyOf = (args: ExecutionArgs): string => {
    let id = documentIds.get(args.document);
    if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
    return `${id}:${args.operationName ?? ''}:${JSON.stringify(args.variableValues ?? {})}`;
  };

  const own = (args: ExecutionArgs, event: unknown): Result => {
    stats.own++;
    return execute({ ...args, rootValue: event });
  };

  const executeShared = (args: ExecutionArgs, event: object, key: string): Shared => {
    let touched = false;
    const contextValue = watched(args.contextValue as object, () => (touched = true));
    const settle = (result: ExecutionResult): ExecutionResult | null => {
      if (!touched && !result.errors) {
        stats.shared++;
        return (entry.value = result);
      }
      if (touched) remember(personal, key);
      return (entry.value = null);
    };
    const entry: Shared = { promise: null as never };
    try {
      const result = execute({ ...args, rootValue: event, contextValue });
      entry.promise = result instanceof Promise ? result.then(settle, () => (entry.value = null)) : Promise.resolve(settle(result));
    } catch {
      entry.promise = Promise.resolve((entry.value = null));
    }
    return entry;
  };

  const resultFor = (args: ExecutionArgs, key: string, event: unknown): Result => {
    if (typeof event !== 'object' || event === null || personal.has(key)) return own(args, event);
    let byKey = results.get(event);
    if (!byKey) results.set(event, (byKey = new Map()));
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, (entry = executeShared(args, event, key)));
    if (entry.value !== undefined) return reuse(entry.value, args, event);
    return entry.promise.then((value) => reuse(value, args, event));
  };

  const reuse = (value: ExecutionResult | null, args: ExecutionArgs, event: unknown): Result => {
    if (value === null) return own(args, event);
    stats.reused++;
    return value;
  };

  return {
    stats,
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args: ExecutionArgs) => {
        const source = await createSourceEventStream(args);
        if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
        const key = keyOf(args);
        const operation = getOperationAST(args.document, args.operationName);
        return mapEvents(source, (event) => resultFor(args, key, event), (err) => located(err, operation));
      });
    },
  };
}

/**
 * The context with a tripwire on every property that may differ between subscribers. Symbol-keyed properties are
 * where libraries keep per-request caches (Pothos keeps its scope and selection caches under one): the shared
 * execution gets its own, empty, so nothing one subscriber's execution cached (such as their evaluated auth scopes)
 * is read on behalf of all.
 */
function watched<T extends object>(context: T, onPersonal: () => void): T {
  const own = new Map<symbol, unknown>();
  return new Proxy(context, {
    get(target, prop) {
      if (typeof prop === 'symbol') return own.get(prop);
      if (!SHARED_CONTEXT.has(prop)) onPersonal();
      return Reflect.get(target, prop);
    },
    set(_target, prop, value) {
      if (typeof prop !== 'symbol') {
        onPersonal();
        return false;
      }
      own.set(prop, value);
      return true;
    },
    has(target, prop) {
      if (typeof prop === 'symbol') return own.has(prop);
      if (!SHARED_CONTEXT.has(prop)) onPersonal();
      return Reflect.has(target, prop);
    },
    ownKeys(target) {
      onPersonal();
      return Reflect.ownKeys(target);
    },
  });
}

function remember(set: Set<string>, key: string) {
  set.add(key);
  if (set.size > MAX_PERSONAL) set.delete(set.values().next().value!);
}

function located(err: unknown, operation: ReturnType<typeof getOperationAST>): GraphQLError {
  const error = err instanceof Error ? err : new Error(String(err));
  return new GraphQLError(error.message, { originalError: error, nodes: operation ? [operation] : undefined });
}

/** Maps a source stream to results; a plain iterator, so return() reaches the source even while it waits. */
function mapEvents(
  source: AsyncIterable<unknown>,
  map: (event: unknown) => Result,
  onError: (err: unknown) => GraphQLError,
): AsyncIterableIterator<ExecutionResult> {
  const inner = source[Symbol.asyncIterator]();
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      let next: IteratorResult<unknown>;
      try {
        next = await inner.next();
      } catch (err) {
        throw onError(err);
      }
      if (next.done) return { value: undefined, done: true };
      return { value: await map(next.value), done: false };
    },
    return: async () => {
      await inner.return?.();
      return { value: undefined, done: true };
    },
    throw: async (err?: unknown) => {
      if (inner.throw) await inner.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
