// Every long-lived connection of this instance (WebSockets, and subscriptions streamed over SSE), indexed by
// what can end it: its session (revoked), its user (account deleted) and its tenant (disabled). The same registry
// counts them for the connection caps, each transport against caps of its own: WebSockets per signed-in user
// (WS_MAX_CONNECTIONS_PER_USER, at connection_init) and per client address (WS_MAX_CONNECTIONS_PER_IP, from the
// upgrade on, so sockets that never send connection_init count too); SSE subscription streams per user and per
// address (SSE_MAX_STREAMS_PER_USER / _PER_IP). The counts are this instance's: with several instances a client can
// hold a cap's worth on each.
import type { ServerResponse } from 'node:http';
import { getOperationAST, parse } from 'graphql';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import type { Topics } from './pubsub.ts';

export interface LiveConnection {
  transport: 'ws' | 'http';
  tenantId: string;
  userId: string | null;
  sessionId: string | null;
  ip: string | null;
  /** Ends it: a WebSocket closes with `code` and `reason`; an HTTP stream's connection is dropped. */
  close(code: number, reason: string): void;
}

type Index = 'tenant' | 'user' | 'session' | 'wsUser' | 'streamUser' | 'streamIp';

export class LiveConnections {
  /** Connections by `<index>:<value>`; one map for every index, so adding and removing is one loop. */
  private readonly byKey = new Map<string, Set<LiveConnection>>();
  /** The subscriptions streamed over HTTP (SSE), which nothing but a shutdown or their client ends. */
  private readonly streams = new Set<LiveConnection>();
  /** Upgraded WebSockets per client address, from the upgrade until they close (connection_init or not). */
  private readonly socketsByAddress = new Map<string, number>();
  private socketsCounted = 0;

  add(connection: LiveConnection) {
    if (connection.transport === 'http') this.streams.add(connection);
    for (const key of keysOf(connection)) {
      let set = this.byKey.get(key);
      if (!set) this.byKey.set(key, (set = new Set()));
      set.add(connection);
    }
  }

  /** Forgets a connection (it closed); a second call does nothing. */
  remove(connection: LiveConnection) {
    this.streams.delete(connection);
    for (const key of keysOf(connection)) {
      const set = this.byKey.get(key);
      if (set?.delete(connection) && set.size === 0) this.byKey.delete(key);
    }
  }

  /** Registered WebSockets of a user, or HTTP subscription streams of a user or from a client address. */
  count(index: 'wsUser' | 'streamUser' | 'streamIp', value: string): number {
    return this.byKey.get(`${index}:${value}`)?.size ?? 0;
  }

  /** A WebSocket from `ip` was upgraded; call socketClosed(ip) exactly once when it closes. */
  socketOpened(ip: string) {
    this.socketsByAddress.set(ip, (this.socketsByAddress.get(ip) ?? 0) + 1);
    this.socketsCounted++;
  }

  socketClosed(ip: string) {
    const left = (this.socketsByAddress.get(ip) ?? 0) - 1;
    if (left > 0) this.socketsByAddress.set(ip, left);
    else this.socketsByAddress.delete(ip);
    this.socketsCounted--;
  }

  /** Open WebSockets from a client address (with `ip` omitted: from every address), counted from their upgrade. */
  socketsFrom(ip?: string): number {
    return ip === undefined ? this.socketsCounted : (this.socketsByAddress.get(ip) ?? 0);
  }

  /** Open subscription streams over HTTP. */
  openStreams(): number {
    return this.streams.size;
  }

  /** Drops every subscription stream over HTTP (the server is stopping). */
  dropStreams() {
    for (const stream of [...this.streams]) {
      this.remove(stream);
      stream.close(CLOSE_GOING_AWAY, 'Server shutting down');
    }
  }

  /** Tenants with at least one open connection here. */
  tenantIds(): string[] {
    const ids: string[] = [];
    for (const key of this.byKey.keys()) if (key.startsWith('tenant:')) ids.push(key.slice('tenant:'.length));
    return ids;
  }

  /** Closes every connection of a tenant, user or session; returns how many. */
  close(index: 'tenant' | 'user' | 'session', value: string, code: number, reason: string): number {
    const set = this.byKey.get(`${index}:${value}`);
    if (!set) return 0;
    const closing = [...set];
    for (const connection of closing) {
      this.remove(connection);
      connection.close(code, reason);
    }
    return closing.length;
  }
}

function keysOf(c: LiveConnection): string[] {
  const keys: string[] = [`tenant:${c.tenantId}`];
  const add = (index: Index, value: string | null) => {
    if (value !== null) keys.push(`${index}:${value}`);
  };
  add('user', c.userId);
  add('session', c.sessionId);
  if (c.transport === 'ws') {
    add('wsUser', c.userId); // its address is counted from the upgrade (socketOpened)
  } else {
    add('streamUser', c.userId);
    add('streamIp', c.ip);
  }
  return keys;
}

export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_GOING_AWAY = 1001;

/**
 * Registers a subscription over HTTP until its response closes. Yoga streams every subscription as SSE when the
 * Accept header admits text/event-stream (wildcards too) or is absent, and answers 406 at once otherwise, so the
 * operation decides, not the Accept header. Other responses are not tracked: they end on their own within the
 * request timeouts. Over SSE_MAX_STREAMS_PER_USER or SSE_MAX_STREAMS_PER_IP it throws TOO_MANY_CONNECTIONS (HTTP
 * 429) instead, before the stream starts. Called from the GraphQL context, once per operation.
 */
export function trackHttpStream(
  services: Pick<Services, 'connections' | 'config' | 'logger'>,
  res: ServerResponse,
  operation: { query?: string; operationName?: string },
  who: { tenantId: string; viewer: { user: { id: string }; session: { id: string } } | null; ip: string | null },
) {
  if (res.destroyed || !isSubscription(operation)) return;
  const { connections, config, logger } = services;
  const userId = who.viewer?.user.id ?? null;
  const overCap = streamCapExceeded(connections, config, userId, who.ip);
  if (overCap) {
    logger.warn('subscription stream cap reached', { tenant: who.tenantId, user: userId, ip: who.ip, reason: overCap.reason });
    throw new AppError('TOO_MANY_CONNECTIONS', `${overCap.reason} (at most ${overCap.limit} at once); end one first.`, {
      limit: overCap.limit,
      http: { status: 429 }, // the response's status (yoga reads it and leaves it out of the body)
    });
  }
  const connection: LiveConnection = {
    transport: 'http',
    tenantId: who.tenantId,
    userId,
    sessionId: who.viewer?.session.id ?? null,
    ip: who.ip,
    // Destroyed, not ended: yoga is writing the stream; the client sees the connection drop and, reconnecting, the
    // reason (TENANT_NOT_FOUND, UNAUTHENTICATED).
    close: () => res.destroy(),
  };
  connections.add(connection);
  res.once('close', () => connections.remove(connection));
}

/**
 * Whether the request runs a subscription (what stays open). Yoga has parsed and validated the document before the
 * context is built; a document without the word cannot hold a subscription, so most requests are not parsed again.
 */
function isSubscription({ query, operationName }: { query?: string; operationName?: string }): boolean {
  if (!query?.includes('subscription')) return false;
  try {
    return getOperationAST(parse(query), operationName)?.operation === 'subscription';
  } catch {
    return false;
  }
}

/** Which HTTP stream cap a new subscription stream would exceed, and its limit; null when it may open. */
function streamCapExceeded(
  connections: LiveConnections,
  config: Services['config'],
  userId: string | null,
  ip: string | null,
): { reason: string; limit: number } | null {
  const perUser = config.SSE_MAX_STREAMS_PER_USER;
  if (perUser && userId && connections.count('streamUser', userId) >= perUser)
    return { reason: 'Too many subscription streams for this user', limit: perUser };
  const perIp = config.SSE_MAX_STREAMS_PER_IP;
  if (perIp && ip && connections.count('streamIp', ip) >= perIp)
    return { reason: 'Too many subscription streams from this address', limit: perIp };
  return null;
}

/**
 * Closes connections that lost the right to stay open, on whichever instance holds them: sessions that ended,
 * deleted accounts and disabled tenants arrive as events on the bus (across instances with Redis). The tenants of
 * open connections are also re-checked in the database every TENANT_CACHE_MS: a tenant disabled where no event
 * reaches this instance (the tenants CLI on PostgreSQL without Redis, an event lost while Redis was away, a direct
 * SQL update) closes within that time. Returns the function that stops watching.
 */
export function closeRevokedConnections(services: Services): () => Promise<void> {
  const { connections, tenants, logger, config } = services;
  const streams = [
    listen(services, 'sessions:revoked', (e) => {
      for (const id of e.sessionIds) connections.close('session', id, CLOSE_FORBIDDEN, `Session ended: ${e.reason}`);
    }),
    listen(services, 'users:removed', (e) => connections.close('user', e.userId, CLOSE_FORBIDDEN, e.reason)),
    listen(services, 'tenants:changed', (e) => {
      tenants.forget(e.tenantId);
      if (e.disabled) connections.close('tenant', e.tenantId, CLOSE_FORBIDDEN, TENANT_DISABLED);
    }),
  ];

  let checking = false;
  const recheck = async () => {
    const ids = connections.tenantIds();
    if (checking || ids.length === 0) return;
    checking = true;
    try {
      const active = new Set(await tenants.activeAmong(ids));
      for (const id of ids) {
        if (active.has(id)) continue;
        tenants.forget(id);
        const closed = connections.close('tenant', id, CLOSE_FORBIDDEN, TENANT_DISABLED);
        if (closed) logger.info('closed connections of a disabled tenant', { tenant: id, connections: closed });
      }
    } catch (err) {
      logger.warn('tenant re-check failed', { error: (err as Error).message });
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void recheck(), config.TENANT_CACHE_MS);
  timer.unref();

  return async () => {
    clearInterval(timer);
    await Promise.all(streams.map((s) => s.return?.()));
  };
}

export const TENANT_DISABLED = 'Tenant disabled';

type WatchedTopic = 'sessions:revoked' | 'tenants:changed' | 'users:removed';

/** Calls `handle` for every event of `topic`; returns the subscription (its `return()` stops it). */
function listen<K extends WatchedTopic>(services: Services, topic: K, handle: (event: Topics[K][0]) => void): AsyncIterator<unknown> {
  const source = (services.pubsub.subscribe as (t: K) => AsyncIterableIterator<Topics[K][0]>)(topic);
  void (async () => {
    for await (const event of source) {
      try {
        handle(event);
      } catch (err) {
        services.logger.error('connection watcher failed', { topic, error: err });
      }
    }
  })().catch((err) => services.logger.error('connection watcher stopped', { topic, error: err }));
  return source;
}
