// Fixed-window request counters for starting chats: per user, and (lower) per IP for guests. In memory on one
// instance; in Redis (INCR + PEXPIRE on the first hit) when several instances share the limit.
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';

export interface ChatRateLimiter {
  /** Counts one request for `key`; RATE_LIMITED (with retryAfter seconds) once `limit` is reached in the window. */
  hit(key: string, limit: number, windowMs: number): Promise<void>;
}

export function createChatRateLimiter(redis: Redis | null, prefix: string): ChatRateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  const refuse = (retryMs: number) => {
    const retryAfter = Math.max(1, Math.ceil(retryMs / 1000));
    return new AppError('RATE_LIMITED', `Too many chat requests; try again in ${retryAfter} s.`, { retryAfter });
  };
  return {
    async hit(key, limit, windowMs) {
      if (redis) {
        const k = `${prefix}ratelimit:chat:${key}`;
        const [[, count], [, ttl]] = (await redis.multi().incr(k).pttl(k).exec()) as [[unknown, number], [unknown, number]];
        if (ttl < 0) await redis.pexpire(k, windowMs);
        if (count > limit) throw refuse(ttl > 0 ? ttl : windowMs);
        return;
      }
      const now = Date.now();
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        if (windows.size > 10_000) for (const [k, v] of windows) if (v.resetAt <= now) windows.delete(k);
        w = { count: 0, resetAt: now + windowMs };
        windows.set(key, w);
      }
      w.count++;
      if (w.count > limit) throw refuse(w.resetAt - now);
    },
  };
}
