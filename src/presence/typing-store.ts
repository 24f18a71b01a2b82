// Typing state per (conversation, user): the token of the latest refresh and when isTyping:true was last published.
// The instance that received the latest refresh owns the expiry timer; an older timer (on any instance) finds a
// newer token and does nothing, so exactly one isTyping:false goes out. In Redis the state carries a TTL a little
// longer than the typing TTL, so a state whose owner died disappears on its own.
import type { Redis } from 'ioredis';

export interface TypingStore {
  /** Records a refresh; true when isTyping:true should be published (new state, or the throttle window passed). */
  start(key: string, token: string, now: number, throttleMs: number, ttlMs: number): Promise<boolean>;
  /** Ends the state if `token` is still the latest refresh; true when it ended (publish isTyping:false). */
  expire(key: string, token: string): Promise<boolean>;
  /** Ends the state whatever its token; true when there was one. */
  end(key: string): Promise<boolean>;
}

export class MemoryTypingStore implements TypingStore {
  private states = new Map<string, { token: string; publishedAt: number }>();

  async start(key: string, token: string, now: number, throttleMs: number) {
    const cur = this.states.get(key);
    const publish = !cur || now - cur.publishedAt >= throttleMs;
    this.states.set(key, { token, publishedAt: publish ? now : cur!.publishedAt });
    return publish;
  }

  async expire(key: string, token: string) {
    if (this.states.get(key)?.token !== token) return false;
    return this.states.delete(key);
  }

  async end(key: string) {
    return this.states.delete(key);
  }
}

const START = `
local cur = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[2])
local published = now
local publish = 1
if cur then
  local last = tonumber(string.match(cur, ':(%d+)$'))
  if last and now - last < tonumber(ARGV[3]) then
    publish = 0
    published = last
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. published, 'PX', ARGV[4])
return publish`;

const EXPIRE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ':' then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export class RedisTypingStore implements TypingStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async start(key: string, token: string, now: number, throttleMs: number, ttlMs: number) {
    const keepMs = ttlMs + 5_000; // outlives the owner's timer, which must still find it
    return (await this.redis.eval(START, 1, this.prefix + key, token, String(now), String(throttleMs), String(keepMs))) === 1;
  }

  async expire(key: string, token: string) {
    return (await this.redis.eval(EXPIRE, 1, this.prefix + key, token)) === 1;
  }

  async end(key: string) {
    return (await this.redis.del(this.prefix + key)) === 1;
  }
}
