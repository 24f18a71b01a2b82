// The named rate limits, as fixed windows of rate-limiter-flexible: in memory for one instance (RateLimiterMemory);
// in Redis when REDIS_URL is set (RateLimiterRedis over the app's ioredis client, one atomic script per check), so
// every instance counts against the same window. A fixed window lets a burst of up to 2x `max` straddle a boundary;
// that is acceptable for abuse protection and costs one round trip per check.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
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

/** Where the library puts a key: `<prefix>rl:<limit name>:<subject>`. */
const KEY_PREFIX = 'rl';

/**
 * A store over rate-limiter-flexible: one limiter per distinct `max/windowSeconds` (made by `create`), the limit's
 * name and subject in its key. A refusal comes back as the library's RateLimiterRes; anything else is the store
 * failing, and goes to `unavailable`.
 */
function libraryStore(create: (limit: Limit) => RateLimiterAbstract, unavailable: (err: unknown) => Hit): RateLimitStore {
  const limiters = new Map<string, RateLimiterAbstract>();
  const limiterFor = (limit: Limit) => {
    const id = `${limit.max}/${limit.windowSeconds}`;
    let limiter = limiters.get(id);
    if (!limiter) limiters.set(id, (limiter = create(limit)));
    return limiter;
  };
  return {
    async hit(key, limit) {
      try {
        await limiterFor(limit).consume(key);
        return { allowed: true, retryAfter: 0 };
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) return unavailable(res);
        return { allowed: false, retryAfter: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
      }
    },
  };
}

export function createMemoryStore(): RateLimitStore {
  return libraryStore(
    (limit) => new RateLimiterMemory({ keyPrefix: KEY_PREFIX, points: limit.max, duration: limit.windowSeconds }),
    (err) => {
      throw err; // memory does not fail: this is a bug, not an outage
    },
  );
}

export function createRedisStore(redis: Redis, prefix: string, logger: Logger): RateLimitStore {
  return libraryStore(
    (limit) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}${KEY_PREFIX}`, points: limit.max, duration: limit.windowSeconds }),
    (err) => {
      // Fail open: an unreachable Redis must not lock every user out of signing in.
      logger.warn('rate limit store unavailable', { error: (err as Error).message });
      return { allowed: true, retryAfter: 0 };
    },
  );
}

export type LimitName =
  'signInAccount' | 'signInIp' | 'signUpIp' | 'mailIp' | 'chatUser' | 'chatGuestIp' | 'setStatus' | 'report' | 'upload';

/** The named limits: auth endpoints (RATE_LIMIT_*), starting AI chats (CHAT_*_RATE_LIMIT), setStatus, reports and uploads; see src/config.ts. */
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
