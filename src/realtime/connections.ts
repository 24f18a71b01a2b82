// Every long-lived connection of this instance (WebSockets, and SSE or multipart subscription streams), indexed by
// what can end it: its session (revoked), its user (account deleted) and its tenant (disabled). WebSockets are also
// counted per user and per client address for the connection caps (WS_MAX_CONNECTIONS_PER_USER / _PER_IP). The
// counts are this instance's: with several instances a client can hold a cap's worth on each.
import type { ServerResponse } from 'node:http';
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

type Index = 'tenant' | 'user' | 'session' | 'wsUser' | 'wsIp';

export class LiveConnections {
  /** Connections by `<index>:<value>`; one map for every index, so adding and removing is one loop. */
  private readonly byKey = new Map<string, Set<LiveConnection>>();

  add(connection: LiveConnection) {
    for (const key of keysOf(connection)) {
      let set = this.byKey.get(key);
      if (!set) this.byKey.set(key, (set = new Set()));
      set.add(connection);
    }
  }

  /** Forgets a connection (it closed); a second call does nothing. */
  remove(connection: LiveConnection) {
    for (const key of keysOf(connection)) {
      const set = this.byKey.get(key);
      if (set?.delete(connection) && set.size === 0) this.byKey.delete(key);
    }
  }

  /** Open WebSockets of a user, or from a client address. */
  webSockets(index: 'wsUser' | 'wsIp', value: string): number {
    return this.byKey.get(`${index}:${value}`)?.size ?? 0;
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
    add('wsUser', c.userId);
    add('wsIp', c.ip);
  }
  return keys;
}

export const CLOSE_FORBIDDEN = 4403;

/**
 * Registers an HTTP response that streams (the request accepts text/event-stream or multipart/mixed) until it
 * closes; other responses are not tracked (they end on their own within the request timeouts).
 */
export function trackHttpStream(
  connections: LiveConnections,
  res: ServerResponse,
  accept: string | null,
  who: { tenantId: string; viewer: { user: { id: string }; session: { id: string } } | null; ip: string | null },
) {
  if (!accept || !STREAMING.test(accept) || res.destroyed) return;
  const connection: LiveConnection = {
    transport: 'http',
    tenantId: who.tenantId,
    userId: who.viewer?.user.id ?? null,
    sessionId: who.viewer?.session.id ?? null,
    ip: who.ip,
    // Destroyed, not ended: yoga is writing the stream; the client sees the connection drop and, reconnecting, the
    // reason (TENANT_NOT_FOUND, UNAUTHENTICATED).
    close: () => res.destroy(),
  };
  connections.add(connection);
  res.once('close', () => connections.remove(connection));
}

const STREAMING = /text\/event-stream|multipart\/mixed/i;

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
