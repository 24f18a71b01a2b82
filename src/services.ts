// The services an app instance runs with. Built once per app by buildApp(); resolvers and REST routes reach them
// through the context.
import type { PrismaClient } from './generated/prisma/client.ts';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { Logger } from './logger.ts';
import type { ParleyPubSub } from './realtime/pubsub.ts';
import type { Redis } from 'ioredis';
import { AccountService } from './accounts/accounts.service.ts';
import { TenantService } from './accounts/tenants.ts';
import { Privacy } from './accounts/privacy.ts';
import { randomUUID } from 'node:crypto';
import { PresenceService } from './presence/presence.service.ts';
import { MemoryPresenceStore } from './presence/store.ts';
import { RedisPresenceStore } from './presence/redis-store.ts';
import { TypingService } from './presence/typing.service.ts';
import { MemoryTypingStore, RedisTypingStore } from './presence/typing-store.ts';

export interface Services {
  config: Config;
  db: Database;
  prisma: PrismaClient;
  logger: Logger;
  pubsub: ParleyPubSub;
  /** Shared state across instances (rate limits, presence, replay buffers); null when REDIS_URL is unset. */
  redis: Redis | null;
  tenants: TenantService;
  accounts: AccountService;
  privacy: Privacy;
  /** This process's id among instances (presence connection sets are kept per instance). */
  instanceId: string;
  presence: PresenceService;
  typing: TypingService;
}

export function createServices(deps: {
  config: Config;
  db: Database;
  logger: Logger;
  pubsub: ParleyPubSub;
  redis: Redis | null;
}): Services {
  const { config, db } = deps;
  const prisma = db.prisma;
  const instanceId = randomUUID();
  return {
    ...deps,
    prisma,
    tenants: new TenantService(prisma),
    accounts: new AccountService({
      prisma,
      pubsub: deps.pubsub,
      bcryptCost: config.BCRYPT_COST,
      sessionTtlDays: config.SESSION_TTL_DAYS,
    }),
    privacy: new Privacy(prisma),
    instanceId,
    presence: new PresenceService({
      prisma,
      pubsub: deps.pubsub,
      logger: deps.logger,
      store: deps.redis
        ? new RedisPresenceStore(deps.redis, config.REDIS_PREFIX, instanceId, config.PRESENCE_TTL_SECONDS, deps.logger)
        : new MemoryPresenceStore(),
      graceMs: config.PRESENCE_GRACE_MS,
    }),
    typing: new TypingService({
      prisma,
      pubsub: deps.pubsub,
      logger: deps.logger,
      store: deps.redis ? new RedisTypingStore(deps.redis, config.REDIS_PREFIX) : new MemoryTypingStore(),
      ttlMs: config.TYPING_TTL_MS,
      throttleMs: config.TYPING_THROTTLE_MS,
    }),
  };
}
