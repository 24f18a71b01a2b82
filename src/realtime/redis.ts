// Redis connections for several instances: one for commands and publishing, one for subscriptions (a Redis
// connection in subscribe mode can do nothing else). Unreachable at start: fail with a clear message. Lost at
// runtime: ioredis reconnects with backoff while /ready reports not-ready.
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

export interface RedisConnections {
  /** Commands and PUBLISH (rate limits, presence, replay buffers). */
  client: Redis;
  /** SUBSCRIBE only (the event bus). */
  subscriber: Redis;
  ready(): boolean;
  close(): Promise<void>;
}

export async function connectRedis(url: string, logger: Logger, timeoutMs = 5_000): Promise<RedisConnections> {
  const make = (name: string) => {
    const r = new Redis(url, {
      connectionName: `parley-${name}`,
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    });
    let down = false;
    r.on('error', (err) => {
      if (!down) logger.warn('redis connection error', { connection: name, error: err.message });
      down = true;
    });
    r.on('ready', () => {
      if (down) logger.info('redis reconnected', { connection: name });
      down = false;
    });
    return r;
  };
  const client = make('client');
  const subscriber = make('subscriber');
  const connect = async (r: Redis) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        r.connect(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    await Promise.all([connect(client), connect(subscriber)]);
  } catch (err) {
    client.disconnect();
    subscriber.disconnect();
    throw new Error(`Cannot connect to Redis at REDIS_URL (${redact(url)}): ${(err as Error).message}`, { cause: err });
  }
  return {
    client,
    subscriber,
    ready: () => client.status === 'ready' && subscriber.status === 'ready',
    async close() {
      await Promise.allSettled([client.quit(), subscriber.quit()]);
    },
  };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
