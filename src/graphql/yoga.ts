// graphql-yoga with Parley's context, limits, error masking and operation logging. The same envelop plugins run
// for HTTP, SSE and WebSocket operations (the WS server executes through yoga.getEnveloped).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createYoga, type YogaInitialContext } from 'graphql-yoga';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { PothosValidationError } from '@pothos/core';
import { RequestCache } from '@pothos/plugin-scope-auth';
import { schema } from './schema.ts';
import { MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './builder.ts';
import { queryCostPlugin } from './plugins/query-cost.ts';
import { validationCachePlugin } from './plugins/validation-cache.ts';
import { disableIntrospection } from './plugins/disable-introspection.ts';
import { operationsInFlightPlugin } from './plugins/operations-in-flight.ts';
import { operationLogPlugin } from './plugins/operation-log.ts';
import { requestIdInErrorsPlugin } from './plugins/request-id-in-errors.ts';
import { filesPerRequestPlugin } from './plugins/files-per-request.ts';
import { inputStringsPlugin } from './input-strings.ts';
import type { Context } from './context.ts';
import type { Services } from '../services.ts';
import type { Viewer } from '../accounts/accounts.types.ts';
import type { Tenant } from '../generated/prisma/client.ts';
import { isUnavailable, unavailableError } from '../errors.ts';
import { graphqlError, maskedAppError, withExtensions } from './errors.ts';
import { clientIp } from '../http/client-ip.ts';
import { graphqlCredential, viewerFor } from '../auth/credentials.ts';
import { trackHttpStream } from '../realtime/connections.ts';
import { withRequestId } from './request-id.ts';
import { sharedSubscriptionEvents, type MaskError } from './shared-events.ts';
import { GRAPHIQL_DEFAULT_QUERY, graphiqlPageHeaders, renderGraphiQLPage } from '../http/graphiql.ts';

/**
 * What the WebSocket server resolved once at connection_init and hands to every operation on that socket, the
 * client's address and user agent included (the upgrade request itself is not kept for the socket's lifetime).
 */
export interface SocketAuth {
  tenant: Tenant;
  viewer: Viewer | null;
  ip: string | null;
  userAgent: string | null;
}

export interface ServerContext {
  req?: IncomingMessage;
  res?: ServerResponse;
  socketAuth?: SocketAuth;
  requestId?: string;
}

/** Files one HTTP request may upload: uploadAttachment takes one, and each costs an image decode at most. */
export const MAX_FILES_PER_REQUEST = 1;
/** Codes of yoga's own that mean a request it could not read, which Parley's vocabulary calls BAD_USER_INPUT. */
const isYogaRequestCode = (code: string): boolean => code === 'BAD_REQUEST' || code === 'REQUEST_ENTITY_TOO_LARGE';

export function createParleyYoga(services: Services) {
  const { config, logger } = services;

  async function context(initial: YogaInitialContext & ServerContext): Promise<Context> {
    const req = initial.req;
    const requestId = initial.requestId ?? initial.request?.headers.get('x-request-id')?.slice(0, 100) ?? randomUUID();
    // Over WebSocket, read from the upgrade request once, at connection_init.
    const { ip, userAgent } = initial.socketAuth ?? {
      ip: req ? clientIp(req, config.TRUST_PROXY) : null,
      userAgent: req?.headers['user-agent'] ?? null,
    };
    let tenant: Tenant;
    let viewer: Viewer | null;
    if (initial.socketAuth) {
      ({ tenant, viewer } = initial.socketAuth);
    } else {
      const headers = initial.request.headers;
      tenant = await services.tenants.resolve(headers.get('x-client-id'), config.REQUIRE_CLIENT_ID);
      // A bearer token, else the session cookie where the CSRF rule lets it count (see auth/credentials.ts).
      viewer = await viewerFor(
        services.auth,
        tenant.id,
        graphqlCredential(services, initial.request.method, (name) => headers.get(name)),
      );
      // A subscription over SSE stays open: registered so that it ends, as a WebSocket closes, when its session,
      // account or tenant does, and counted for the SSE caps (over one, this throws TOO_MANY_CONNECTIONS).
      if (initial.res) trackHttpStream(services, initial.res, initial.params, { tenantId: tenant.id, viewer, ip });
    }
    return {
      requestId,
      transport: initial.socketAuth ? 'ws' : 'http',
      tenant,
      viewer,
      client: { tenantId: tenant.id, ip, userAgent },
      prisma: services.prisma,
      services,
    };
  }

  const { metrics } = services;

  function maskError(error: unknown, message: string): Error {
    const appError = maskedAppError(error);
    if (appError) return appError;
    const original = error instanceof GraphQLError ? error.originalError : error;
    // Pothos's connection helpers refuse bad cursors and argument combinations this way: the client's fault.
    if (original instanceof PothosValidationError) {
      return new GraphQLError(original.message, {
        path: error instanceof GraphQLError ? error.path : undefined,
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) {
      // GraphQL's own parse/validation/variable errors, and yoga's refusals of requests it cannot read (a broken
      // multipart body is BAD_REQUEST to yoga): the client's fault, with a message worth showing.
      const code = error.extensions?.code;
      return code && !isYogaRequestCode(String(code)) ? error : withExtensions(error, { code: 'BAD_USER_INPUT' });
    }
    if (isUnavailable(original)) {
      // The database or Redis is restarting, out of reach, out of disk, or cancelled a statement that took too long:
      // a stable, retryable code, not an internal error.
      logger.warn('backing service unavailable', { error: (original as Error).message });
      return graphqlError(unavailableError(original));
    }
    logger.error('unexpected error', { error: original ?? error });
    return new GraphQLError(message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  }

  const sharedEvents = sharedSubscriptionEvents({ release: (context) => RequestCache.clearForContext(context as Context) });
  metrics.register(
    'parley_subscription_event_executions_total',
    "Subscription events executed once for a group of subscribers with the same selection (shared), deliveries that sent such a result (reused), and executions with the subscriber's own context (own: groups of one, personal selections).",
    () => Object.entries(sharedEvents.stats).map(([kind, value]) => ({ labels: { kind }, value })),
    'counter',
    ['kind'],
  );
  metrics.register(
    'parley_subscription_groups',
    'Groups of subscribers to a shared subscription field (same document, operation and variables that matter); each executes an event once for all its members.',
    () => sharedEvents.groups().groups,
  );
  metrics.register(
    'parley_subscription_group_members',
    'Subscribers in those groups (subscriptions to a shared field that have not ended).',
    () => sharedEvents.groups().members,
  );

  const maskedErrors = {
    // The request id (added by requestIdInErrors) survives masking, whichever order the two run in.
    maskError(error: unknown, message: string): Error {
      const masked = maskError(error, message);
      const requestId = error instanceof GraphQLError ? error.extensions?.requestId : undefined;
      return typeof requestId === 'string' ? withRequestId({ errors: [masked as GraphQLError] }, requestId).errors![0] : masked;
    },
  };
  // maskError returns GraphQLErrors for every input (an AppError as graphqlError() sends it).
  const mask: MaskError = (error) => maskedErrors.maskError(error, 'Unexpected error.') as GraphQLError;

  const production = config.NODE_ENV === 'production';
  const yoga = createYoga<ServerContext, Context>({
    schema,
    context,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // app.ts refuses bodies over MAX_BODY_BYTES from Content-Length before yoga sees them (and chunked bodies without
    // one), so yoga's own limit, which pipes every body through an extra stream, would only repeat the check.
    maxRequestBodySize: false,
    graphiql: config.graphiql ? { title: 'Parley', subscriptionsProtocol: 'WS', defaultQuery: GRAPHIQL_DEFAULT_QUERY } : false,
    // Its assets come from this server (app.ts serves them), not from a CDN.
    renderGraphiQL: renderGraphiQLPage,
    // Same-origin only, unless CORS_ORIGINS lists the caller: only a listed Origin gets CORS headers (credentials
    // included); any other gets none, preflights too. (Left undefined, yoga would echo every Origin with credentials.)
    cors: (request) => {
      const origin = request.headers.get('origin');
      return origin && services.trustedOrigins.isListed(origin) ? { origin: [origin], credentials: true } : false;
    },
    logging: false,
    // Parsed documents are still cached by yoga; validation results by validationCachePlugin (see there).
    parserAndValidationCache: { validationCache: false },
    // A JSON array of operations runs them all; more than GRAPHQL_MAX_BATCH is refused whole (413).
    batching: config.GRAPHQL_MAX_BATCH > 0 ? { limit: config.GRAPHQL_MAX_BATCH } : false,
    maskedErrors,
    plugins: [
      maxDepthPlugin({ n: config.GRAPHQL_MAX_DEPTH, ignoreIntrospection: true, exposeLimits: true }),
      maxAliasesPlugin({ n: config.GRAPHQL_MAX_ALIASES, exposeLimits: true }),
      maxTokensPlugin({ n: config.GRAPHQL_MAX_TOKENS, exposeLimits: true }),
      maxDirectivesPlugin({ n: config.GRAPHQL_MAX_DIRECTIVES, exposeLimits: true }),
      ...(production ? [blockFieldSuggestionsPlugin()] : []),
      ...(config.introspection ? [] : [disableIntrospection()]),
      validationCachePlugin(),
      queryCostPlugin({
        maxCost: config.GRAPHQL_MAX_COST,
        maxEventCost: config.GRAPHQL_MAX_EVENT_COST,
        maxPageSize: MAX_PAGE_SIZE,
        defaultPageSize: DEFAULT_PAGE_SIZE,
        maxTokens: config.GRAPHQL_MAX_TOKENS,
      }),
      inputStringsPlugin(),
      // One file per request (a multipart map naming a file many times, a batch, aliases), before any image work.
      filesPerRequestPlugin(MAX_FILES_PER_REQUEST),
      operationLogPlugin({ metrics, logger, slowOperationMs: config.SLOW_OPERATION_MS }),
      requestIdInErrorsPlugin(),
      sharedEvents,
      ...(config.graphiql ? [graphiqlPageHeaders()] : []),
      // Last, so it counts the execution that really runs, after every other plugin had its say.
      ...(config.GRAPHQL_MAX_INFLIGHT_PER_CLIENT > 0 ? [operationsInFlightPlugin(config.GRAPHQL_MAX_INFLIGHT_PER_CLIENT)] : []),
    ],
  });
  return Object.assign(yoga, {
    /**
     * Subscribes a WebSocket operation (realtime/ws.ts) past envelop's subscribe, which would wrap each stream in two
     * iterators for masking alone: the shared-events plugin's own subscription, masked as above. Context, parsing
     * and validation still go through envelop. Of the plugins' onSubscribe hooks this skips, the others have nothing
     * to do over a socket (they read the HTTP request); server.test.ts lists them, so a new one is not missed.
     */
    subscribeOverSocket: (args: ExecutionArgs) => {
      // What requestIdInErrorsPlugin's onSubscribe does over SSE: every error of the stream carries the request id.
      const requestId = (args.contextValue as Partial<Context>).requestId;
      return sharedEvents.subscribe(args, requestId ? (error) => withExtensions(mask(error), { requestId }) : mask);
    },
  });
}

export type ParleyYoga = ReturnType<typeof createParleyYoga>;
