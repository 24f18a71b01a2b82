// The per-connection operation limit of WebSockets (WS_OPERATION_RATE_LIMIT, "<burst>/<seconds>"), over
// rate-limiter-flexible. The library has fixed windows, not token buckets; BurstyRateLimiter gives the bucket's
// shape: the sustained rate (burst/seconds) in windows of about the time one operation takes to come back (at least
// a second), and past it the rest of the burst once per <seconds>. So a client may start `capacity` operations at
// once and then keep going at `perSecond`, as with a bucket, while a flood of more than `capacity` is refused.
// In memory: the count belongs to one socket on this instance.
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** The one key of a connection's own limiter. */
const KEY = 'operations';

/** Operations a connection may start: `capacity` at once, then `perSecond`. */
export class TokenBucket {
  private readonly limiter: RateLimiterMemory | BurstyRateLimiter;

  constructor(capacity: number, perSecond: number) {
    const windowSeconds = capacity / perSecond;
    const sustainedSeconds = Math.max(1, Math.round(windowSeconds / capacity));
    const sustained = Math.min(capacity, Math.max(1, Math.round(perSecond * sustainedSeconds)));
    const limiter = new RateLimiterMemory({ keyPrefix: '', points: sustained, duration: sustainedSeconds });
    this.limiter =
      sustained < capacity
        ? new BurstyRateLimiter(limiter, new RateLimiterMemory({ keyPrefix: '', points: capacity - sustained, duration: windowSeconds }))
        : limiter;
  }

  /** Counts an operation; false when the connection is over its rate. */
  async take(): Promise<boolean> {
    try {
      await this.limiter.consume(KEY);
      return true;
    } catch (res) {
      if (res instanceof RateLimiterRes) return false;
      throw res;
    }
  }
}
