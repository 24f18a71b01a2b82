// graphql-ws on the same port and path as HTTP GraphQL. Auth happens once, at connection_init, from
// connectionParams { clientId, authorization }; every operation then runs through yoga's envelop so context,
// limits, masking and logging are the same as over HTTP. Sockets are registered in services.connections by tenant,
// user and session, so a revoked session's, a deleted account's or a disabled tenant's sockets close at once (4403)
// on whichever instance holds them (realtime/connections.ts); the same registry counts them for the caps: per address
// from the upgrade (over: HTTP 429, no WebSocket is opened), per user at connection_init (over: close 4429). A socket
// that authenticated with a JWT access
// token closes (4403, "Access token expired") when that token expires: to stay connected, a client reconnects
// with a fresh token before then (graphql-ws reads connectionParams again on every connect, so a
// `connectionParams: async () => ({ authorization: 'Bearer ' + await getToken() })` function is all it takes).
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { makeServer } from 'graphql-ws';
import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { withRequestId } from '../graphql/request-id.ts';
import type { Services } from '../services.ts';
import type { ParleyYoga, SocketAuth } from '../graphql/yoga.ts';
import { socketCredential } from '../auth/credentials.ts';
import { AppError, isUnavailable } from '../errors.ts';
import { clientIp } from '../http/client-ip.ts';
import { CLOSE_FORBIDDEN, CLOSE_GOING_AWAY, type LiveConnection } from './connections.ts';
import { OperationRate } from './operation-rate.ts';
import { serveSockets } from './ws-socket.ts';
import { graphqlError } from '../graphql/errors.ts';
import { DirectFrames, PayloadCache } from './ws-frames.ts';
import { isPullable } from './pull.ts';
import { flatUUID, identify, sameIdentity, SocketConnection } from './ws-identity.ts';

export { CLOSE_FORBIDDEN, CLOSE_GOING_AWAY };
export const CLOSE_TOO_MANY_REQUESTS = 4429;
/** The database (or Redis) did not answer while the socket was being set up: the client should reconnect later. */
export const CLOSE_TRY_AGAIN_LATER = 1013;

type Extra = {
  socket: WebSocket;
  /** The upgrade request; dropped once connection_init is handled (what operations need of it is in `auth`). */
  request?: IncomingMessage;
  auth?: SocketAuth;
  id?: string;
  expiry?: NodeJS.Timeout;
  /** This socket in services.connections, from connection_init on. */
  connection?: LiveConnection;
};

// setTimeout takes at most a 32-bit delay; JWTs live far shorter than that, but a bad clock should not wrap.
const MAX_TIMER_MS = 2 ** 31 - 1;

export function attachWebSocketServer(server: Server, yoga: ParleyYoga, services: Services) {
  const { logger, config } = services;
  // A message over WS_MAX_MESSAGE_BYTES: ws closes the socket with 1009 (Message Too Big) without reading it.
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: config.WS_MAX_MESSAGE_BYTES,
    // Called synchronously, and the socket is counted in 'connection' below within the same upgrade: a burst of
    // upgrades from one address cannot all pass the check before any is counted.
    verifyClient(info: { req: IncomingMessage }, answer: (accept: boolean, status?: number, message?: string) => void) {
      const perIp = config.WS_MAX_CONNECTIONS_PER_IP;
      const ip = clientIp(info.req, config.TRUST_PROXY);
      if (!perIp || !ip || services.connections.socketsFrom(ip) < perIp) return answer(true);
      logger.warn('ws connection cap reached', { ip, reason: TOO_MANY_FROM_ADDRESS });
      answer(false, 429, TOO_MANY_FROM_ADDRESS);
    },
  });
  /** Running subscriptions, by `<socket id>:<operation id>`; graphql-ws calls onComplete however one ends. */
  const subscriptions = new Set<string>();
  const rate = config.WS_OPERATION_RATE_LIMIT;
  const operationRate = rate ? new OperationRate(rate.max, rate.max / rate.windowSeconds) : null;
  /** Each subscription result's JSON, made once however many sockets it goes to (ws-frames.ts). */
  const payloads = new PayloadCache();
  services.metrics.register(
    'parley_ws_payloads_serialized_total',
    'Subscription results serialized for WebSocket frames (WS_DIRECT_FRAMES).',
    () => payloads.stats.serialized,
    'counter',
  );
  services.metrics.register(
    'parley_ws_payloads_reused_total',
    'WebSocket frames that reused a result serialized for another socket.',
    () => payloads.stats.reused,
    'counter',
  );
  services.metrics.register('parley_ws_connections_open', 'Open WebSocket connections.', () => wss.clients.size);
  services.metrics.register('parley_ws_subscriptions_active', 'Subscriptions running over WebSocket.', () => subscriptions.size);
  services.metrics.register(
    'parley_ws_connections_counted',
    'Open WebSockets counted against WS_MAX_CONNECTIONS_PER_IP: each from its upgrade to its close, with or without connection_init.',
    () => services.connections.socketsFrom(),
  );

  const graphqlWs = makeServer<Record<string, unknown> | undefined, Extra>({
    connectionInitWaitTimeout: services.config.WS_CONNECTION_INIT_TIMEOUT_MS,
    execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
    // Subscriptions skip envelop's subscribe (see yoga.subscribeOverSocket); queries and mutations run through it.
    subscribe: (args) => yoga.subscribeOverSocket(args) as never,
    async onConnect(ctx) {
      const { clientId, credential } = socketCredential(ctx.connectionParams);
      const socket = ctx.extra.socket;
      try {
        const identity = await identify(services, clientId, credential);
        if (!identity) return false; // a bad token is refused, not downgraded to a guest: 4403
        const { tenant, authenticated } = identity;
        const viewer = authenticated ? { user: authenticated.user, session: authenticated.session } : null;
        const request = ctx.extra.request!;
        const ip = clientIp(request, config.TRUST_PROXY);
        if (socket.readyState !== socket.OPEN) return false; // gone while it was being authenticated
        // Checked and registered with no await in between, so sockets connecting at once cannot all slip past.
        const perUser = config.WS_MAX_CONNECTIONS_PER_USER;
        if (perUser && viewer && services.connections.count('wsUser', viewer.user.id) >= perUser) {
          logger.warn('ws connection cap reached', { tenant: tenant.id, user: viewer.user.id, ip, reason: TOO_MANY_FOR_USER });
          socket.close(CLOSE_TOO_MANY_REQUESTS, TOO_MANY_FOR_USER); // graphql-ws's own close (4403) after this one is ignored
          return false;
        }
        ctx.extra.connection = new SocketConnection(socket, tenant.id, viewer?.user.id ?? null, viewer?.session.id ?? null, ip);
        services.connections.add(ctx.extra.connection); // onClose removes it, however the socket ends
        // From here an ended session, a deleted account or a disabled tenant closes this socket. One that ended while
        // it was being authenticated was announced before the socket was registered, so ask once more; the
        // authenticator forgets a session as soon as it hears it ended (and the database has it gone by then).
        if (!sameIdentity(identity, await identify(services, clientId, credential))) return false;
        if (socket.readyState !== socket.OPEN) return false; // closed meanwhile (by that announcement, say)
        ctx.extra.auth = { tenant, viewer, ip, userAgent: request.headers['user-agent'] ?? null };
        ctx.extra.request = undefined; // (not delete: that would put every socket's extra in dictionary mode)
        const expiresAt = authenticated?.credentialExpiresAt;
        if (expiresAt) {
          const ms = Math.min(Math.max(0, expiresAt.getTime() - Date.now()), MAX_TIMER_MS);
          ctx.extra.expiry = setTimeout(() => socket.close(CLOSE_FORBIDDEN, 'Access token expired'), ms);
          ctx.extra.expiry.unref();
        }
        ctx.extra.id = flatUUID();
        if (viewer) {
          services.presence.connected({ connId: ctx.extra.id, tenantId: tenant.id, userId: viewer.user.id });
        }
        logger.debug('ws connected', { socket: ctx.extra.id, tenant: tenant.id, user: viewer?.user.id });
        return true;
      } catch (err) {
        if (err instanceof AppError) return false;
        if (isUnavailable(err)) {
          // Not 4403: the credentials may be fine. graphql-ws's own close (4403) after this one is ignored.
          logger.warn('ws connect: backing service unavailable', { error: (err as Error).message });
          socket.close(CLOSE_TRY_AGAIN_LATER, 'Service unavailable; retry shortly');
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
      if (ctx.extra.connection) services.connections.remove(ctx.extra.connection);
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
        const results = result[Symbol.asyncIterator]();
        if (config.WS_DIRECT_FRAMES && isPullable<ExecutionResult>(results))
          return new DirectFrames(results, id, ctx.extra.socket, payloads);
      }
    },
    onComplete(ctx, id) {
      subscriptions.delete(`${ctx.extra.id}:${id}`);
      logger.debug('operation complete', { requestId: `${ctx.extra.id}:${id}` });
    },
    async onSubscribe(ctx, id, payload) {
      // Per-connection limits, before any work: a flood of operations closes the socket (4429); too many running
      // at once refuses just this one (the socket stays usable). ctx.subscriptions holds every operation in flight
      // on the socket, this one included. Counted before the rate check awaits: operations that arrived together
      // with this one register meanwhile, and must not count against it.
      const running = Object.keys(ctx.subscriptions).length;
      if (operationRate) {
        if (!(await operationRate.take(ctx.extra.id!))) {
          // Messages already received may still arrive after the close: log and close once.
          if (ctx.extra.socket.readyState === ctx.extra.socket.OPEN) {
            logger.warn('ws operation rate exceeded', { socket: ctx.extra.id, tenant: ctx.extra.auth?.tenant.id });
            ctx.extra.socket.close(CLOSE_TOO_MANY_REQUESTS, 'Too many requests');
          }
          return [graphqlError(new AppError('RATE_LIMITED', 'Too many requests.'))];
        }
      }
      if (running > config.WS_MAX_SUBSCRIPTIONS) {
        return [
          graphqlError(
            new AppError(
              'TOO_MANY_SUBSCRIPTIONS',
              `At most ${config.WS_MAX_SUBSCRIPTIONS} operations can run at once on one connection; complete one first.`,
              {
                limit: config.WS_MAX_SUBSCRIPTIONS,
              },
            ),
          ),
        ];
      }
      const { schema, execute, contextFactory, parse, validate } = yoga.getEnveloped({
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
        // The same code a syntax error gets over HTTP (yoga adds it there).
        const error = err as GraphQLError;
        const coded = error.extensions?.code
          ? error
          : new GraphQLError(error.message, {
              source: error.source,
              positions: error.positions,
              extensions: { ...error.extensions, code: 'GRAPHQL_PARSE_FAILED' },
            });
        return withRequestId({ errors: [coded] }, requestId).errors!;
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return withRequestId({ errors }, requestId).errors!;
      return {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: await contextFactory(),
        rootValue: { execute },
      };
    },
  });
  const sockets = serveSockets(wss, graphqlWs, {
    keepAliveMs: services.config.WS_KEEPALIVE_MS, // a client that misses a pong is dropped at the next ping
    logger,
    extraFor: (socket, request) => ({ socket, request }),
  });

  wss.on('connection', (socket, request) => {
    // Counted against WS_MAX_CONNECTIONS_PER_IP until it closes: ws emits 'close' once for every socket, whichever
    // side or error ends it.
    const ip = clientIp(request, config.TRUST_PROXY);
    if (ip) {
      services.connections.socketOpened(ip);
      socket.once('close', () => services.connections.socketClosed(ip));
    }
  });

  return {
    wss,
    openSockets: () => wss.clients.size,
    async close() {
      await sockets.dispose(CLOSE_GOING_AWAY, 'Server shutting down');
    },
  };
}

const TOO_MANY_FOR_USER = 'Too many connections for this user';
const TOO_MANY_FROM_ADDRESS = 'Too many connections from this address';
