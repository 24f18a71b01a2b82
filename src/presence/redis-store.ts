// Presence in Redis, for several instances. Keys (all under REDIS_PREFIX + "presence:"):
//   instances            set of instance ids that may hold connections
//   alive:<instance>     heartbeat, refreshed every TTL/3, expires after 2/3 TTL without a refresh
//   conns:<instance>     hash connId -> "tenantId:userId" (what to clean up when the instance dies)
//   user:<userId>        hash connId -> instance (the user's open connections, everywhere)
//   pending:<instance>   set of "tenantId:userId" whose last connection closed here and who await the grace period
//   online:<userId>      set while the user is announced online
// Every transition is one Lua script, so instances racing on one user announce each change once. Every instance
// sweeps: an instance whose heartbeat expired (kill -9, lost network) has its connections removed and its users
// announced offline, so nobody stays online longer than PRESENCE_TTL_SECONDS after their instance died.
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { ConnectionRef, PresenceStore, PresenceTransitions } from './store.ts';

const CONNECT = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if redis.call('SET', KEYS[3], ARGV[4], 'NX') then return 1 end
return 0`;

const DISCONNECT = `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local n = redis.call('HLEN', KEYS[1])
if n == 0 then redis.call('SADD', KEYS[3], ARGV[2]) end
return n`;

const SETTLE = `
redis.call('SREM', KEYS[3], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then return redis.call('DEL', KEYS[2]) end
return 0`;

export class RedisPresenceStore implements PresenceStore {
  private readonly p: string;
  private readonly local = new Map<string, ConnectionRef>();
  private timer: NodeJS.Timeout | undefined;
  private transitions: PresenceTransitions | undefined;
  private failing = false;
  /** A connect or disconnect failed (Redis away): what Redis holds for this instance may be wrong until a resync. */
  private stale = false;
  private beating: Promise<void> | null = null;
  /** Beats at once when Redis is back, rather than up to a third of the TTL later. */
  private readonly onReady = () => this.beatSoon();

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly instanceId: string,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {
    this.p = `${prefix}presence:`;
  }

  /**
   * Heartbeats and sweeps run every third of the TTL and the heartbeat key lives two thirds of it (one missed beat
   * is tolerated): a dead instance's key expires at most 2/3 TTL after its last beat and the next sweep follows within
   * 1/3 TTL, so its users are OFFLINE within PRESENCE_TTL_SECONDS of its death.
   */
  private get intervalMs() {
    return Math.floor((this.ttlSeconds * 1000) / 3);
  }

  async start(transitions: PresenceTransitions) {
    this.transitions = transitions;
    await this.beat();
    this.timer = setInterval(() => this.beatSoon(), this.intervalMs);
    this.timer.unref();
    this.redis.on('ready', this.onReady);
  }

  private beatSoon() {
    if (!this.beating) this.beating = this.beat().finally(() => (this.beating = null));
  }

  /** Hands this instance's users over: the last instance cleans up itself, others leave it to the next sweep. */
  async stop() {
    clearInterval(this.timer);
    this.redis.off('ready', this.onReady);
    await this.beating;
    try {
      await this.redis.del(this.p + 'alive:' + this.instanceId);
      const others = (await this.redis.smembers(this.p + 'instances')).filter((id) => id !== this.instanceId);
      const live = others.length ? await this.redis.exists(...others.map((id) => this.p + 'alive:' + id)) : 0;
      // Nobody left to sweep: clean up now (this instance, and any dead one not swept yet).
      if (live === 0) for (const id of [this.instanceId, ...others]) await this.sweepInstance(id);
    } catch (err) {
      this.logger.warn('presence hand-over failed', { error: (err as Error).message });
    }
  }

  async connect(c: ConnectionRef) {
    this.local.set(c.connId, c);
    return (await this.unlessFailed(this.runConnect(c))) === 1;
  }

  async disconnect(c: ConnectionRef) {
    this.local.delete(c.connId);
    return Number(await this.unlessFailed(this.runDisconnect(c)));
  }

  /** Marks the store stale when a write fails, so the next heartbeat writes this instance's connections again. */
  private unlessFailed<T>(work: Promise<T>): Promise<T> {
    return work.catch((err) => {
      this.stale = true;
      throw err;
    });
  }

  private runDisconnect(c: ConnectionRef) {
    return this.redis.eval(
      DISCONNECT,
      3,
      this.p + 'user:' + c.userId,
      this.p + 'conns:' + this.instanceId,
      this.p + 'pending:' + this.instanceId,
      c.connId,
      `${c.tenantId}:${c.userId}`,
    );
  }

  async settle(tenantId: string, userId: string) {
    return (await this.runSettle(tenantId, userId, this.instanceId)) === 1;
  }

  async online(userIds: string[]) {
    if (userIds.length === 0) return new Set<string>();
    const values = await this.redis.mget(userIds.map((id) => this.p + 'online:' + id));
    return new Set(userIds.filter((_, i) => values[i] !== null));
  }

  private runConnect(c: ConnectionRef) {
    return this.redis.eval(
      CONNECT,
      3,
      this.p + 'user:' + c.userId,
      this.p + 'conns:' + this.instanceId,
      this.p + 'online:' + c.userId,
      c.connId,
      this.instanceId,
      `${c.tenantId}:${c.userId}`,
      c.tenantId,
    );
  }

  private runSettle(tenantId: string, userId: string, instance: string) {
    return this.redis.eval(
      SETTLE,
      3,
      this.p + 'user:' + userId,
      this.p + 'online:' + userId,
      this.p + 'pending:' + instance,
      `${tenantId}:${userId}`,
    );
  }

  /** Refreshes this instance's heartbeat, then sweeps instances whose heartbeat expired. */
  private async beat() {
    try {
      const keyMs = this.ttlSeconds * 1000 - this.intervalMs;
      const previous = await this.redis.call('SET', this.p + 'alive:' + this.instanceId, '1', 'PX', String(keyMs), 'GET');
      await this.redis.sadd(this.p + 'instances', this.instanceId);
      // Our heartbeat had expired (a long pause, or Redis lost its data: a restart), or a write failed while Redis was
      // away: another instance may have swept our connections, or Redis missed some; write them again.
      if (previous === null || this.stale) {
        this.stale = false;
        await this.resync();
      }
      await this.sweep();
      if (this.failing) this.logger.info('presence heartbeat restored');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.logger.warn('presence heartbeat failed', { error: (err as Error).message });
      this.failing = true;
    }
  }

  private async resync() {
    try {
      // Connections Redis still holds for this instance that closed while it could not be told: gone, and their
      // users offline unless connected elsewhere (their grace period has passed already).
      const held = await this.redis.hgetall(this.p + 'conns:' + this.instanceId);
      for (const [connId, member] of Object.entries(held)) {
        if (this.local.has(connId)) continue;
        const [tenantId, userId] = [member.slice(0, member.indexOf(':')), member.slice(member.indexOf(':') + 1)];
        await this.runDisconnect({ connId, tenantId, userId });
        if ((await this.runSettle(tenantId, userId, this.instanceId)) === 1) this.transitions?.offline(tenantId, userId);
      }
      for (const c of this.local.values()) {
        if ((await this.runConnect(c)) === 1) this.transitions?.online(c.tenantId, c.userId);
      }
    } catch (err) {
      this.stale = true;
      throw err;
    }
  }

  private async sweep() {
    const ids = (await this.redis.smembers(this.p + 'instances')).filter((id) => id !== this.instanceId);
    for (const id of ids) {
      if ((await this.redis.exists(this.p + 'alive:' + id)) === 0) await this.sweepInstance(id);
    }
  }

  /** Removes a dead (or stopping) instance's connections and settles its users; safe to run on several instances. */
  private async sweepInstance(id: string) {
    const conns = await this.redis.hgetall(this.p + 'conns:' + id);
    const pending = await this.redis.smembers(this.p + 'pending:' + id);
    const users = new Set<string>(pending);
    for (const [connId, member] of Object.entries(conns)) {
      const userId = member.slice(member.indexOf(':') + 1);
      await this.redis.hdel(this.p + 'user:' + userId, connId);
      users.add(member);
    }
    await this.redis.del(this.p + 'conns:' + id, this.p + 'pending:' + id);
    await this.redis.srem(this.p + 'instances', id);
    if (users.size) this.logger.info('presence: swept instance', { instance: id, users: users.size });
    for (const member of users) {
      const [tenantId, userId] = [member.slice(0, member.indexOf(':')), member.slice(member.indexOf(':') + 1)];
      if ((await this.runSettle(tenantId, userId, id)) === 1) this.transitions?.offline(tenantId, userId);
    }
  }
}
