// Fixed-window rate limits. In memory for one instance; in Redis (INCR + PEXPIRE) when REDIS_URL is set, so every
// instance counts against the same window. A fixed window lets a burst of up to 2x `max` straddle a boundary;
// that is acceptable for abuse protection and costs one round trip per check.
import type { Redis } from 'ioredis';
import type { RateLimitSetting } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface Limit {
  max: number;
  windowSeconds: number;
}

export interface Hit {
  allowed: boolean;
  /** Seconds until the window resets (0 when allowed). */
  retryAfter: number;
}

export interface RateLimitStore {
  /** Counts one request for `key` and reports whether it is within `limit`. */
  hit(key: string, limit: Limit): Promise<Hit>;
}

export function createMemoryStore(): RateLimitStore {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let lastSweep = Date.now();
  return {
    async hit(key, limit) {
      const now = Date.now();
      if (now - lastSweep > 60_000 || windows.size > 100_000) {
        for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
        lastSweep = now;
      }
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + limit.windowSeconds * 1000 };
        windows.set(key, w);
      }
      w.count++;
      const allowed = w.count <= limit.max;
      return { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil((w.resetAt - now) / 1000)) };
    },
  };
}

export function createRedisStore(redis: Redis, prefix: string, logger: Logger): RateLimitStore {
  return {
    async hit(key, limit) {
      try {
        const k = `${prefix}rl:${key}`;
        // NX: only the first hit of a window sets the expiry, so the window does not slide with every request.
        const results = await redis.multi().incr(k).pexpire(k, limit.windowSeconds * 1000, 'NX').pttl(k).exec();
        const count = Number(results?.[0]?.[1] ?? 0);
        const ttl = Number(results?.[2]?.[1] ?? 0);
        const allowed = count <= limit.max;
        return { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(ttl / 1000)) };
      } catch (err) {
        // Fail open: an unreachable Redis must not lock every user out of signing in.
        logger.warn('rate limit store unavailable', { error: (err as Error).message });
        return { allowed: true, retryAfter: 0 };
      }
    },
  };
}

export type LimitName = 'signInAccount' | 'signInIp' | 'signUpIp' | 'mailIp' | 'chatUser' | 'chatGuestIp' | 'setStatus';

/** The named limits: auth endpoints (RATE_LIMIT_*), starting AI chats (CHAT_*_RATE_LIMIT) and setStatus; see src/config.ts. */
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly limits: Record<LimitName, RateLimitSetting>,
  ) {}

  /** Counts a request against `name` for `subject`; throws RATE_LIMITED (with `retryAfter` seconds) when over. */
  async check(name: LimitName, subject: string | null | undefined): Promise<void> {
    const limit = this.limits[name];
    if (!limit || !subject) return;
    const { allowed, retryAfter } = await this.store.hit(`${name}:${subject}`, limit);
    if (!allowed) throw new AppError('RATE_LIMITED', `Too many requests; try again in ${retryAfter} s.`, { retryAfter });
  }
}
