// Subscription events executed once for every subscriber that asked the same thing. Subscribers of a shared field are
// grouped when they subscribe (graphql/subscription-groups.ts) by document, operation and the variables below the
// subscription field; a message to a group of 1,000 reaches 1,000 streams (realtime/fanout.ts), and the group executes
// it once and the 1,000 streams send that result. A group of one executes with its subscriber's own context.
//
// Sharing is only safe when the result cannot depend on who is watching. That is decided by watching the execution
// itself, not by a list of fields: the shared execution runs with a context in which everything that identifies
// the subscriber (viewer, client, request id, transport, anything not known to be the same for all) is behind a
// tripwire. If any resolver touches it, or the result has errors, the shared result is discarded and every
// subscriber executes the event with its own context, exactly as without sharing; the document is then remembered
// as personal and its later events go straight to their subscribers' own executions. A new field that reads the
// viewer is therefore never shared by mistake, whoever writes it.
//
// A subscription field opts in with `extensions: { [SHARED_EVENTS]: { ignoresArguments, eventKey } }`, when its
// stream hands the same events to many subscribers (conversationEvents, through realtime/fanout.ts); other
// subscriptions (an AI chat's tokens, one subscriber each) keep the executor's own mapping. `eventKey` names an
// event within a group. Arguments of the field itself count only when its per-event resolver may read them:
// `ignoresArguments: true` (conversationEvents: `conversationId` picks the topic and `afterSequence` the replay, both
// at subscribe time) lets subscribers resuming from different sequences share.
//
// Every subscription (shared or not, over WebSocket and SSE) maps its events with one plain iterator instead of the
// executor's per-event mapping (an async generator and a flattening iterator per event per subscriber). Errors from
// the event source end the stream as before: a GraphQLError located at the operation, carrying the original error.
// An event that could not be resolved because the database (or Redis) is out of reach ends its stream with
// SERVICE_UNAVAILABLE instead of reaching the client with holes (a MESSAGE_ADDED whose message is null); the client
// resumes, for conversationEvents with afterSequence = the last event it received whole, and gets it again.
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { withExtensions } from './errors.ts';
import { located, mapEvents, maskResult, unavailable, type MaskError } from './mapped-events.ts';
import { SubscriptionGroups, type GroupResult, type SubscriptionGroup } from './subscription-groups.ts';
import { watched } from './tripwire-context.ts';

export type { MaskError };

/** Field extension of a subscription field whose events may be shared (SharedEventsExtension). */
export const SHARED_EVENTS = 'sharedEvents';
export interface SharedEventsExtension {
  /** The field's per-event resolver never reads the field's own arguments (they matter at subscribe time only). */
  ignoresArguments?: boolean;
  /** Names an event: two events with the same key have the same result for a group (e.g. conversation:sequence). */
  eventKey(event: never): string;
}

/** The subscription field an operation subscribes to, with its shared-events extension if it has one. */
function sharedField(args: ExecutionArgs, operation: OperationDefinitionNode) {
  const root = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  const field = root && args.schema.getSubscriptionType()?.getFields()[root.name.value];
  const extension = field?.extensions?.[SHARED_EVENTS] as SharedEventsExtension | undefined;
  return root && extension ? { root, extension } : null;
}

/** Documents found to depend on the viewer, remembered (most recent) so their events skip the shared attempt. */
const MAX_PERSONAL = 1000;

type Result = ExecutionResult | Promise<ExecutionResult>;

export interface SharedEventsStats {
  /** Events executed once on behalf of every subscriber of a group. */
  shared: number;
  /** Event deliveries that sent a group's shared result instead of executing the event. */
  reused: number;
  /** Executions with the subscriber's own context (groups of one, personal selections). */
  own: number;
}

export interface SharedSubscriptionEvents extends Plugin {
  stats: SharedEventsStats;
  /** Subscriber groups open now, and their members. */
  groups(): { groups: number; members: number };
  /**
   * Subscribes without envelop around it (graphql-ws, realtime/ws.ts): what this plugin's onSubscribe would run,
   * with `mask` doing the masking envelop's masked-errors plugin does there. Envelop would wrap every stream in two
   * more iterators (one per event of every subscriber for masking, one for errors), each held for the stream's life.
   */
  subscribe(args: ExecutionArgs, mask: MaskError): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>>;
}

export interface SharedEventsOptions {
  /**
   * Called with a subscriber's context once the subscription is set up and after every execution of one of its
   * events with that context: drops per-request caches (Pothos keeps its auth scope results per context) that a
   * stream open for hours would otherwise hold from its first event on, and answer every later event from.
   */
  release?: (context: unknown) => void;
}

export function sharedSubscriptionEvents(opts: SharedEventsOptions = {}): SharedSubscriptionEvents {
  const release = opts.release ?? (() => {});
  const stats: SharedEventsStats = { shared: 0, reused: 0, own: 0 };
  const groups = new SubscriptionGroups();
  const documentIds = new WeakMap<DocumentNode, number>();
  const personal = new LRUCache<string, true>({ max: MAX_PERSONAL });
  let nextDocumentId = 0;

  /** Executes an event with the subscriber's own context, then releases what the execution cached in it. */
  const executeOwn = (args: ExecutionArgs, event: unknown): Result => {
    const result = execute({ ...args, rootValue: event });
    if (!(result instanceof Promise)) {
      release(args.contextValue);
      return result;
    }
    return result.finally(() => release(args.contextValue));
  };

  const own = (args: ExecutionArgs, event: unknown): Result => {
    stats.own++;
    return executeOwn(args, event);
  };

  const executeShared = (args: ExecutionArgs, event: unknown, documentKey: string): GroupResult => {
    let touched = false;
    const contextValue = watched(args.contextValue as object, () => (touched = true));
    const entry: GroupResult = { promise: null as never };
    const settle = (result: ExecutionResult): ExecutionResult | null => {
      // A result whose only errors say the database (or Redis) was out of reach is every member's too: each stream
      // ends with SERVICE_UNAVAILABLE and resumes (mapped-events.ts), rather than each member reading it again now.
      if (!touched && (!result.errors || result.errors.every(unavailable))) {
        stats.shared++;
        entry.discard = !!result.errors;
        return (entry.value = result);
      }
      if (touched) personal.set(documentKey, true);
      return (entry.value = null);
    };
    try {
      const result = execute({ ...args, rootValue: event, contextValue });
      entry.promise = result instanceof Promise ? result.then(settle, () => (entry.value = null)) : Promise.resolve(settle(result));
    } catch {
      entry.promise = Promise.resolve((entry.value = null));
    }
    return entry;
  };

  const reuse = (value: ExecutionResult | null, args: ExecutionArgs, event: unknown): Result => {
    if (value === null) return own(args, event);
    stats.reused++;
    return value;
  };

  /** A member's result for an event: its group's shared execution, or its own (a group of one, a personal document). */
  const resultFor = (args: ExecutionArgs, group: SubscriptionGroup, documentKey: string, eventKey: string, event: unknown): Result => {
    if (group.members < 2 || personal.has(documentKey)) return own(args, event);
    const entry = group.resultFor(eventKey, () => executeShared(args, event, documentKey));
    if (entry.value !== undefined) return reuse(entry.value, args, event);
    return entry.promise.then((value) => reuse(value, args, event));
  };

  /**
   * The subscribe function of one subscription operation: its source stream, each event mapped to a result (shared
   * where it can be). With `mask`, every error on the way out goes through it (results' errors, and the error that
   * ends a stream), for callers that subscribe without envelop's masking around them.
   */
  const subscriber =
    (operation: OperationDefinitionNode, mask?: MaskError) =>
    async (args: ExecutionArgs): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> => {
      const masked = (result: ExecutionResult) => (mask ? maskResult(result, mask) : result);
      if (operation.variableDefinitions?.length) {
        // Bad variables are the client's fault (400 over SSE), as the executor reports them.
        const coerced = getVariableValues(args.schema, operation.variableDefinitions, args.variableValues ?? {}, { maxErrors: 50 });
        if (coerced.errors)
          return { errors: coerced.errors.map((e) => withExtensions(e, { code: 'BAD_USER_INPUT', http: { status: 400 } })) };
      }
      let source: Awaited<ReturnType<typeof createSourceEventStream>>;
      try {
        source = await createSourceEventStream(args);
        release(args.contextValue);
      } catch (err) {
        return masked({ errors: [located(err, operation)] }); // e.g. a subscribe resolver that returned no stream
      }
      if (!(Symbol.asyncIterator in source)) return masked(source as ExecutionResult);
      const fail = (err: unknown) => located(err, operation);
      const shared = sharedField(args, operation);
      if (!shared) return mapEvents(source, (event) => executeOwn(args, event), fail, mask);
      let id = documentIds.get(args.document);
      if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
      const documentKey = `${id}:${args.operationName ?? ''}`;
      const group = groups.join(`${documentKey}:${JSON.stringify(variablesThatMatter(args, shared))}`);
      const eventKey = shared.extension.eventKey as (event: unknown) => string;
      const map = (event: unknown) => resultFor(args, group, documentKey, eventKey(event), event);
      return mapEvents(source, map, fail, mask, () => groups.leave(group));
    };

  return {
    stats,
    groups: () => groups.size(),
    onSubscribe({ args: subscribing, setSubscribeFn }) {
      const operation = getOperationAST(subscribing.document, subscribing.operationName);
      if (operation?.operation === 'subscription') setSubscribeFn(subscriber(operation));
    },
    subscribe(args, mask) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'subscription')
        return Promise.resolve({ errors: [mask(new GraphQLError('Not a subscription operation.'))] });
      return subscriber(operation, mask)(args);
    },
  };
}

/**
 * The variables the per-event execution can see: those used below the subscription field, and those of its own
 * arguments unless the field declares that its event resolver ignores them.
 */
function variablesThatMatter(
  args: ExecutionArgs,
  { root, extension }: NonNullable<ReturnType<typeof sharedField>>,
): Record<string, unknown> {
  const values = (args.variableValues ?? {}) as Record<string, unknown>;
  if (!extension.ignoresArguments) return values;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of args.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const used = new Set<string>();
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { kind?: string; name?: { value: string } };
    if (n.kind === Kind.VARIABLE) used.add(n.name!.value);
    if (n.kind === Kind.FRAGMENT_SPREAD && !seen.has(n.name!.value)) {
      seen.add(n.name!.value);
      visit(fragments.get(n.name!.value));
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'loc' && typeof v === 'object') visit(v);
  };
  visit(root.directives); // @include/@skip on the field itself
  visit(root.selectionSet as SelectionSetNode | undefined);
  return Object.fromEntries([...used].sort().map((name) => [name, values[name]]));
}
