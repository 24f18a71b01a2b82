// GET /ready: whether this instance should get traffic. Not while it stops, nor when the database does not answer,
// answers but has lately failed for lack of disk, or when Redis is configured and not connected. Any method is answered.
import type { ServerResponse } from 'node:http';
import { json } from '../http/json.ts';

export interface ReadyChecks {
  /** The app's database (`Database` of db/client.ts): a trivial query, and what only its errors showed lately. */
  db: { ping(): Promise<boolean>; alarm(): string | null };
  /** The Redis connections (`RedisConnections` of realtime/redis.ts) when REDIS_URL is set, else null. */
  redis: { ready(): boolean } | null;
  /** stop() has begun: a balancer should send new requests elsewhere. */
  stopping: boolean;
}

export interface Readiness {
  status: number;
  body: { status: 'ready' | 'unavailable' | 'stopping'; database?: boolean; reason?: string; redis?: boolean };
}

export function serveReady(res: ServerResponse, checks: ReadyChecks): void {
  void readiness(checks).then(({ status, body }) => json(res, status, body));
}

/** 200 `ready` or 503 `unavailable` / `stopping`, with what was checked (`redis` only when it is configured). */
export async function readiness({ db, redis, stopping }: ReadyChecks): Promise<Readiness> {
  if (stopping) return { status: 503, body: { status: 'stopping' } };
  const answers = await db.ping();
  // A database that answers may still refuse writes: a full disk shows only in the errors it raised lately.
  const reason = answers ? db.alarm() : null;
  const database = answers && !reason;
  const events = redis ? redis.ready() : true;
  const ok = database && events;
  return {
    status: ok ? 200 : 503,
    body: { status: ok ? 'ready' : 'unavailable', database, ...(reason ? { reason } : {}), ...(redis ? { redis: events } : {}) },
  };
}
