// graphql-ws on the same port and path as HTTP GraphQL. Auth happens once, at connection_init, from
// connectionParams { clientId, authorization }; every operation then runs through yoga's envelop so context,
// limits, masking and logging are the same as over HTTP. Sockets are indexed by session so a revoked session's
// sockets close at once (4403) on whichever instance holds them. A socket that authenticated with a JWT access
// token closes (4403, "Access token expired") when that token expires: to stay connected, a client reconnects
// with a fresh token before then (graphql-ws reads connectionParams again on every connect, so a
// `connectionParams: async () => ({ authorization: 'Bearer ' + await getToken() })` function is all it takes).
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { withRequestId } from '../graphql/request-id.ts';
import type { Services } from '../services.ts';
import { bearerToken, type ParleyYoga, type SocketAuth } from '../graphql/yoga.ts';
import { AppError, isUnavailable } from '../errors.ts';

export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_FORBIDDEN = 4403;
/** The database (or Redis) did not answer while the socket was being set up: the client should reconnect later. */
export const CLOSE_TRY_AGAIN_LATER = 1013;

type Extra = {
  socket: WebSocket;
  request: import('node:http').IncomingMessage;
  auth?: SocketAuth;
  id?: string;
  expiry?: NodeJS.Timeout;
};

// setTimeout takes at most a 32-bit delay; JWTs live far shorter than that, but a bad clock should not wrap.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function attachWebSocketServer(
  server: Server,
  yoga: ParleyYoga,
  services: Services,
) {
  const { logger } = services;
  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: 256 * 1024 });
  const bySession = new Map<string, Set<WebSocket>>();
  /** Running subscriptions, by `<socket id>:<operation id>`; graphql-ws calls onComplete however one ends. */
  const subscriptions = new Set<string>();
  services.metrics.register('parley_ws_connections_open', 'Open WebSocket connections.', () => wss.clients.size);
  services.metrics.register('parley_ws_subscriptions_active', 'Subscriptions running over WebSocket.', () => subscriptions.size);

  const dispose = useServer<Record<string, unknown> | undefined, Extra>(
    {
      connectionInitWaitTimeout: services.config.WS_CONNECTION_INIT_TIMEOUT_MS,
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      async onConnect(ctx) {
        const clientId = connectionParam(ctx.connectionParams, 'clientId', 'x-client-id');
        const authorization = connectionParam(ctx.connectionParams, 'authorization');
        try {
          const tenant = await services.tenants.resolve(clientId, services.config.REQUIRE_CLIENT_ID);
          const token = bearerToken(authorization);
          const authenticated = token ? await services.auth.fromBearer(tenant.id, token) : null;
          if (token && !authenticated) return false; // a bad token is refused, not downgraded to a guest: 4403
          const viewer = authenticated ? { user: authenticated.user, session: authenticated.session } : null;
          ctx.extra.auth = { tenant, viewer };
          const expiresAt = authenticated?.credentialExpiresAt;
          if (expiresAt) {
            const socket = ctx.extra.socket;
            const ms = Math.min(Math.max(0, expiresAt.getTime() - Date.now()), MAX_TIMER_MS);
            ctx.extra.expiry = setTimeout(() => socket.close(CLOSE_FORBIDDEN, 'Access token expired'), ms);
            ctx.extra.expiry.unref();
          }
          ctx.extra.id = randomUUID();
          if (viewer) {
            const set = bySession.get(viewer.session.id) ?? new Set();
            set.add(ctx.extra.socket);
            bySession.set(viewer.session.id, set);
            services.presence.connected({ connId: ctx.extra.id, tenantId: tenant.id, userId: viewer.user.id });
          }
          logger.debug('ws connected', { socket: ctx.extra.id, tenant: tenant.id, user: viewer?.user.id });
          return true;
        } catch (err) {
          if (err instanceof AppError) return false;
          if (isUnavailable(err)) {
            // Not 4403: the credentials may be fine. graphql-ws's own close (4403) after this one is ignored.
            logger.warn('ws connect: backing service unavailable', { error: (err as Error).message });
            ctx.extra.socket.close(CLOSE_TRY_AGAIN_LATER, 'Service unavailable; retry shortly');
            return false;
          }
          logger.error('ws connect failed', { error: err });
          return false;
        }
      },
      onClose(ctx) {
        clearTimeout(ctx.extra.expiry);
        const sessionId = ctx.extra.auth?.viewer?.session.id;
        if (sessionId && ctx.extra.id) services.presence.disconnected(ctx.extra.id);
        if (sessionId) {
          const set = bySession.get(sessionId);
          set?.delete(ctx.extra.socket);
          if (set?.size === 0) bySession.delete(sessionId);
        }
      },
      onOperation(ctx, id, payload, _args, result) {
        if (result && Symbol.asyncIterator in result) {
          subscriptions.add(`${ctx.extra.id}:${id}`);
          services.metrics.subscriptionsStarted.inc({ transport: 'ws' });
          logger.info('subscription started', {
            requestId: `${ctx.extra.id}:${id}`,
            tenant: ctx.extra.auth?.tenant.id,
            user: ctx.extra.auth?.viewer?.user.id,
            operation: payload.operationName ?? null,
          });
        }
      },
      onComplete(ctx, id) {
        subscriptions.delete(`${ctx.extra.id}:${id}`);
        logger.debug('operation complete', { requestId: `${ctx.extra.id}:${id}` });
      },
      async onSubscribe(ctx, id, payload) {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          socketAuth: ctx.extra.auth,
          requestId: `${ctx.extra.id}:${id}`,
        });
        const requestId = `${ctx.extra.id}:${id}`;
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          return withRequestId({ errors: [err as GraphQLError] }, requestId).errors!;
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return withRequestId({ errors }, requestId).errors!;
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
    },
    wss,
    services.config.WS_KEEPALIVE_MS, // ping interval; a client that misses a pong is dropped at the next ping
  );

  // Close sockets of revoked sessions, wherever the revocation happened (the event bus spans instances).
  const revoked = services.pubsub.subscribe('sessions:revoked');
  void (async () => {
    for await (const event of revoked) {
      for (const sessionId of event.sessionIds) {
        for (const socket of bySession.get(sessionId) ?? []) socket.close(CLOSE_FORBIDDEN, `Session ended: ${event.reason}`);
        bySession.delete(sessionId);
      }
    }
  })().catch((err) => logger.error('revocation listener failed', { error: err }));

  return {
    wss,
    openSockets: () => wss.clients.size,
    async close() {
      await revoked.return?.();
      for (const client of wss.clients) client.close(CLOSE_GOING_AWAY, 'Server shutting down');
      await dispose.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * Reads a connection parameter the way clients send it: `{ authorization }` as Parley documents, or nested in
 * `headers` with any capitalisation (GraphiQL and Apollo Sandbox put HTTP-style headers there).
 */
function connectionParam(params: Record<string, unknown> | undefined, ...names: string[]): string | null {
  const sources = [params ?? {}, (params?.headers ?? {}) as Record<string, unknown>];
  for (const source of sources) {
    if (typeof source !== 'object' || source === null) continue;
    for (const [key, value] of Object.entries(source)) {
      if (typeof value === 'string' && names.some((n) => n.toLowerCase() === key.toLowerCase())) return value;
    }
  }
  return null;
}
