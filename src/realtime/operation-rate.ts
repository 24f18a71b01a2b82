// The per-connection operation limit of WebSockets (WS_OPERATION_RATE_LIMIT, "<burst>/<seconds>"), over
// rate-limiter-flexible. The library has fixed windows, not token buckets; BurstyRateLimiter gives the bucket's
// shape: the sustained rate (burst/seconds) in windows of about the time one operation takes to come back (at least
// a second), and past it the rest of the burst once per <seconds>. So a client may start `capacity` operations at
// once and then keep going at `perSecond`, as with a bucket, while a flood of more than `capacity` is refused.
// One limiter per WebSocket server, keyed by socket: a socket's count is a record in it only while its window runs,
// instead of two limiters held by every socket for its whole life.
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Operations each connection may start: `capacity` at once, then `perSecond`. */
export class OperationRate {
  private readonly limiter: RateLimiterMemory | BurstyRateLimiter;

  constructor(capacity: number, perSecond: number) {
    const windowSeconds = capacity / perSecond;
    const sustainedSeconds = Math.max(1, Math.round(windowSeconds / capacity));
    const sustained = Math.min(capacity, Math.max(1, Math.round(perSecond * sustainedSeconds)));
    const limiter = new RateLimiterMemory({ keyPrefix: 'ws-sustained', points: sustained, duration: sustainedSeconds });
    this.limiter =
      sustained < capacity
        ? new BurstyRateLimiter(
            limiter,
            new RateLimiterMemory({ keyPrefix: 'ws-burst', points: capacity - sustained, duration: windowSeconds }),
          )
        : limiter;
  }

  /** Counts an operation of connection `socketId`; false when it is over its rate. */
  async take(socketId: string): Promise<boolean> {
    try {
      await this.limiter.consume(socketId);
      return true;
    } catch (res) {
      if (res instanceof RateLimiterRes) return false;
      throw res;
    }
  }
}
