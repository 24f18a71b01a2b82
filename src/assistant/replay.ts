// The Redis side of a run, for followers on other instances: who owns it, and every event so far (a list that
// expires CHAT_REPLAY_TTL_SECONDS after the last write). Without Redis the run itself keeps its events in memory.
import type { Redis } from 'ioredis';
import type { ChatRunEvent, RunOwner } from './events.ts';

export class RedisReplay {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(messageId: string, part: 'owner' | 'events') {
    return `${this.prefix}chat:run:${messageId}:${part}`;
  }

  async start(messageId: string, owner: RunOwner): Promise<void> {
    await this.redis.set(this.key(messageId, 'owner'), JSON.stringify(owner), 'EX', this.ttlSeconds);
  }

  /** Appends before the event is published, so a follower that reads after subscribing misses nothing. */
  async append(messageId: string, event: ChatRunEvent): Promise<void> {
    await this.redis
      .multi()
      .rpush(this.key(messageId, 'events'), JSON.stringify(event))
      .expire(this.key(messageId, 'events'), this.ttlSeconds)
      .expire(this.key(messageId, 'owner'), this.ttlSeconds)
      .exec();
  }

  async owner(messageId: string): Promise<RunOwner | null> {
    const raw = await this.redis.get(this.key(messageId, 'owner'));
    return raw ? (JSON.parse(raw) as RunOwner) : null;
  }

  async events(messageId: string): Promise<ChatRunEvent[]> {
    const raw = await this.redis.lrange(this.key(messageId, 'events'), 0, -1);
    return raw.map((r) => JSON.parse(r) as ChatRunEvent);
  }
}
