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
import { AssistantService } from './assistant/assistant.service.ts';

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
  assistant: AssistantService;
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
    assistant: new AssistantService({ config, prisma, pubsub: deps.pubsub, redis: deps.redis, logger: deps.logger }),
  };
}
