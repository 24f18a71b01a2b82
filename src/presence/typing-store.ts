// Typing state per (conversation, user): the token of the latest refresh, when isTyping:true was last published for
// the current state (or not at all), and how many starts were published in the current limit window. The instance
// that received the latest refresh owns the expiry timer; an older timer (on any instance) finds a newer token and
// does nothing, so exactly one isTyping:false goes out for each state that was shown. A state that ends is
// remembered until its window is over, so starting and stopping in turn cannot publish more than the limit allows.
// In Redis the record carries a TTL a little longer than that, so a state whose owner died disappears on its own.
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

export interface TypingRules {
  /** A shown state's refresh within this is not published again. */
  throttleMs: number;
  /** How long a state lives without a refresh (the owner's timer then ends it). */
  ttlMs: number;
  /** isTyping:true events published per key per window (starts and refreshes); null: no limit. */
  starts: { max: number; windowMs: number } | null;
}

export interface TypingStore {
  /** Records a start or refresh; true when isTyping:true should be published. */
  start(key: string, token: string, now: number, rules: TypingRules): Promise<boolean>;
  /** Ends the state if `token` is still the latest refresh; true when a shown state ended (publish isTyping:false). */
  expire(key: string, token: string): Promise<boolean>;
  /** Ends the state whatever its token; true when it had been shown (publish isTyping:false). */
  end(key: string): Promise<boolean>;
}

/** How long a key's record outlives its latest start: the state's owner must still find it, and its window counts. */
const keepMs = (rules: TypingRules) => Math.max(rules.ttlMs + 5_000, rules.starts?.windowMs ?? 0);

interface TypingRecord {
  /** Latest refresh of the current state; null once it ended. */
  token: string | null;
  /** When isTyping:true was published for the current state; 0: not shown. */
  shownAt: number;
  windowAt: number;
  starts: number;
}

/**
 * Records kept in memory at most: far more (user, conversation) pairs than type within one keepMs, so a record goes
 * when its time-to-live ends, as in Redis, and this bound only caps memory under a flood of distinct keys.
 */
const MAX_RECORDS = 100_000;

export class MemoryTypingStore implements TypingStore {
  /** Each record lives keepMs after its latest start; expired ones are dropped once a minute (purgeStale). */
  private records = new LRUCache<string, TypingRecord>({ max: MAX_RECORDS });
  private lastPurge = 0;

  async start(key: string, token: string, now: number, rules: TypingRules) {
    if (now - this.lastPurge >= 60_000) {
      this.lastPurge = now;
      this.records.purgeStale();
    }
    const cur = this.records.get(key) ?? { token: null, shownAt: 0, windowAt: now, starts: 0 };
    if (rules.starts && now - cur.windowAt >= rules.starts.windowMs) Object.assign(cur, { windowAt: now, starts: 0 });
    const repeat = cur.token !== null && cur.shownAt > 0 && now - cur.shownAt < rules.throttleMs;
    const publish = !repeat && (!rules.starts || cur.starts < rules.starts.max);
    if (publish) Object.assign(cur, { shownAt: now, starts: cur.starts + 1 });
    this.records.set(key, { ...cur, token }, { ttl: keepMs(rules) });
    return publish;
  }

  async expire(key: string, token: string) {
    return this.records.get(key)?.token === token && this.endState(key);
  }

  async end(key: string) {
    return this.endState(key);
  }

  private endState(key: string): boolean {
    const cur = this.records.get(key);
    if (!cur || cur.token === null) return false;
    const shown = cur.shownAt > 0;
    Object.assign(cur, { token: null, shownAt: 0 });
    return shown;
  }
}

const START = `
local cur = redis.call('HMGET', KEYS[1], 'token', 'shownAt', 'windowAt', 'starts')
local now = tonumber(ARGV[2])
local max = tonumber(ARGV[4])
local shownAt = tonumber(cur[2]) or 0
local windowAt = tonumber(cur[3]) or now
local starts = tonumber(cur[4]) or 0
if max >= 0 and now - windowAt >= tonumber(ARGV[5]) then
  windowAt = now
  starts = 0
end
local repeating = cur[1] and cur[1] ~= '' and shownAt > 0 and now - shownAt < tonumber(ARGV[3])
local publish = 0
if not repeating and (max < 0 or starts < max) then
  publish = 1
  shownAt = now
  starts = starts + 1
end
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'shownAt', shownAt, 'windowAt', windowAt, 'starts', starts)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return publish`;

// ARGV[1]: the token that must still be the latest, or '' for any.
const END = `
local cur = redis.call('HMGET', KEYS[1], 'token', 'shownAt')
if not cur[1] or cur[1] == '' or (ARGV[1] ~= '' and cur[1] ~= ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'token', '', 'shownAt', 0)
if (tonumber(cur[2]) or 0) > 0 then return 1 end
return 0`;

export class RedisTypingStore implements TypingStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async start(key: string, token: string, now: number, rules: TypingRules) {
    const limit = rules.starts ? [String(rules.starts.max), String(rules.starts.windowMs)] : ['-1', '0'];
    return (
      (await this.redis.eval(
        START,
        1,
        this.prefix + key,
        token,
        String(now),
        String(rules.throttleMs),
        ...limit,
        String(keepMs(rules)),
      )) === 1
    );
  }

  async expire(key: string, token: string) {
    return (await this.redis.eval(END, 1, this.prefix + key, token)) === 1;
  }

  async end(key: string) {
    return (await this.redis.eval(END, 1, this.prefix + key, '')) === 1;
  }
}
