// buildApp(config): one node:http server with GraphQL over HTTP/SSE (yoga) and WebSocket (graphql-ws) on
// /graphql, plus /health, /ready, the REST auth routes and the web client (web/) at /. It listens only when start()
// is called; stop() drains and closes everything.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { createLogger, type Logger } from './logger.ts';
import { countPublishes, createMemoryPubSub, createRedisPubSub, type ParleyPubSub } from './realtime/pubsub.ts';
import { Metrics } from './observability/metrics.ts';
import { serveMetrics } from './observability/metrics-route.ts';
import { serveReady } from './observability/ready-route.ts';
import { connectRedis, type RedisConnections } from './realtime/redis.ts';
import { createServices, type Services } from './services.ts';
import { createParleyYoga } from './graphql/yoga.ts';
import { attachWebSocketServer } from './realtime/ws.ts';
import { closeRevokedConnections } from './realtime/connections.ts';
import { join } from 'node:path';
import { AUTH_BASE_PATH, createAuthRouter } from './auth/rest/router.ts';
import { startSessionSweeper } from './accounts/session-sweeper.ts';
import { serveStatic, WEB_ROOT } from './http/static.ts';
import { DEV_RELOAD_PATH, DEV_RELOAD_SCRIPT, startDevReload } from './http/dev-reload.ts';
import { GRAPHIQL_ASSET_PATH, GraphiQLAssets } from './http/graphiql.ts';
import { refuseRequest, requestIdOf, sendRefusal } from './http/graphql-request.ts';
import { json } from './http/json.ts';
import { slowClientLimits } from './http/slow-clients.ts';
import { ATTACHMENT_PATH, serveAttachment } from './attachments/attachments-route.ts';

export interface AppOptions {
  /** An already-open database (tests pass one); otherwise opened from config. */
  db?: Database;
  logger?: Logger;
  pubsub?: ParleyPubSub;
}

export interface App {
  services: Services;
  /** Listens on `port` (0 = any free port); resolves with the base URL. */
  start(port?: number, host?: string): Promise<string>;
  /** GraphQL HTTP requests being served right now. */
  inflightRequests(): number;
  /** Stops accepting, closes sockets (1001), lets in-flight requests finish (bounded), closes the database. */
  stop(): Promise<void>;
  url: string;
}

export async function buildApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const db =
    opts.db ??
    (await openDatabase({
      url: config.DATABASE_URL,
      pgliteDir: join(config.DATA_DIR, 'pglite'),
      poolSize: config.DATABASE_POOL_SIZE,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    }));
  const applied = await db.migrate();
  if (applied.length) logger.info('migrations applied', { migrations: applied });

  let redis: RedisConnections | null = null;
  try {
    redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, logger) : null;
  } catch (err) {
    if (!opts.db) await db.close();
    throw err;
  }
  const metrics = new Metrics();
  const bus =
    opts.pubsub ??
    (redis
      ? createRedisPubSub(redis.client, redis.subscriber, config.REDIS_PREFIX, (err, command) =>
          logger.warn('event bus: redis command failed', { command, error: err.message }),
        )
      : createMemoryPubSub((err) => logger.warn('event bus: a reader fell behind', { error: err.message })));
  const pubsub = countPublishes(bus, (topic) => metrics.eventsPublished.inc({ topic }));
  let listenUrl = `http://${config.HOST}:${config.PORT}`;
  const services = createServices({ config, db, logger, pubsub, redis: redis?.client ?? null, listenUrl: () => listenUrl, metrics });
  await services.presence.start();
  const yoga = createParleyYoga(services);
  const authRoutes = createAuthRouter(services);
  services.auth.start();
  const stopClosingRevoked = closeRevokedConnections(services);
  const stopSweeper = startSessionSweeper(services.accounts, config.SESSION_SWEEP_SECONDS, logger);

  const devReload = config.WEB_LIVE_RELOAD ? startDevReload(WEB_ROOT) : null;
  const staticOptions = devReload ? { injectIntoIndex: DEV_RELOAD_SCRIPT } : {};
  const graphiqlAssets = config.graphiql ? new GraphiQLAssets() : null;

  const server = createServer(slowClientLimits(config));
  const answering = new Set<ServerResponse>();
  let inflight = 0;
  let stopping = false;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // While stopping, every answer closes its connection: a kept-alive client then reconnects (to another instance)
    // instead of holding this one open until the shutdown timeout.
    if (stopping) res.setHeader('connection', 'close');
    else {
      answering.add(res);
      res.on('close', () => answering.delete(res));
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return json(res, 200, { status: 'ok' });
    if (path === '/ready') return serveReady(res, { db, redis, stopping });
    if (path === '/metrics' && config.metrics) return serveMetrics(req, res, config.METRICS_TOKEN, metrics);
    if (path === yoga.graphqlEndpoint) {
      const refusal = refuseRequest(req, config.MAX_BODY_BYTES, config.MAX_UPLOAD_BYTES);
      if (refusal) return sendRefusal(res, refusal);
      inflight++;
      res.on('close', () => inflight--);
      const requestId = requestIdOf(req);
      res.setHeader('x-request-id', requestId);
      void yoga(req, res, { requestId });
      return;
    }
    if (path === AUTH_BASE_PATH || path.startsWith(AUTH_BASE_PATH + '/')) {
      authRoutes(req, res, path).catch((err) => {
        logger.error('auth route failed', { error: err });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    if (path.startsWith(ATTACHMENT_PATH)) return void serveAttachment(req, res, path, services.attachments, logger);
    if (devReload && path === DEV_RELOAD_PATH) return devReload.serve(res);
    const serving =
      graphiqlAssets && path.startsWith(GRAPHIQL_ASSET_PATH)
        ? graphiqlAssets.serve(req, res, path)
        : serveStatic(req, res, path, staticOptions);
    serving.then(
      (served) => {
        if (!served) json(res, 404, { error: 'Not found', hint: 'GraphQL is served at /graphql, the web client at /' });
      },
      (err) => {
        logger.error('static file failed', { error: err });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      },
    );
  });

  const ws = attachWebSocketServer(server, yoga, services);
  metrics.register('parley_http_graphql_requests_in_flight', 'GraphQL HTTP requests being served (SSE streams included).', () => inflight);
  // Subscriptions stream over SSE whatever the Accept header says ("*/*" or none will do), so the registry of live
  // connections knows them, not the request.
  metrics.register('parley_sse_streams_open', 'Open subscription streams over SSE.', () => services.connections.openStreams());
  metrics.register('parley_db_queries_total', 'SQL statements sent to the database.', () => db.queryCount(), 'counter');
  metrics.register(
    'parley_event_topics_followed',
    'Conversation and inbox topics this instance listens to on the event bus (one subscription each, shared by all its streams).',
    () => services.eventTopics.followed(),
  );
  metrics.register('parley_db_pool_max', 'Size of the PostgreSQL connection pool (0 on embedded PGlite).', () => db.poolSize);

  const app: App = {
    services,
    url: '',
    inflightRequests: () => inflight,
    start(port = config.PORT, host = config.HOST) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address() as AddressInfo;
          const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
          app.url = `http://${shownHost}:${addr.port}`;
          listenUrl = app.url;
          resolve(app.url);
        });
      });
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      devReload?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
      // Answers in progress end first (saved as interrupted), so their subscribers get a final event.
      await services.assistant.close();
      await ws.close();
      services.connections.dropStreams(); // SSE subscriptions never end on their own
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), config.SHUTDOWN_TIMEOUT_MS)));
      if ((await Promise.race([closed, timedOut])) === 'timeout') {
        logger.warn('shutdown timeout: closing remaining connections');
        server.closeAllConnections();
        await closed;
      }
      clearTimeout(timer);
      await stopSweeper();
      await services.attachments.stop();
      await services.recovery.idle(); // reset and verification mail answered before it was sent
      await services.passwords.close();
      await services.auth.stop();
      await stopClosingRevoked();
      services.typing.stop();
      await services.presence.stop();
      services.eventTopics.close();
      services.sessionEnds.close();
      services.messaging.settings.close();
      await services.moderation.close();
      await yoga.dispose();
      metrics.close();
      await redis?.close();
      if (!opts.db) await db.close();
    },
  };
  return app;
}
