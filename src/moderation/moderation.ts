// Moderation as one unit for createServices(): the audit log, each tenant's content filter (built first: accounts,
// messaging and presence apply it), reports and the moderators' actions.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { AccountService } from '../accounts/accounts.service.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { AuditLog } from './audit-log.ts';
import type { ContentFilters } from './filters.service.ts';
import { ModerationService, type ModeratedMessages } from './moderation.service.ts';
import { ReportService } from './reports.service.ts';

export interface Moderation {
  audit: AuditLog;
  /** Each tenant's content filter: saved, compiled and cached, applied to what people write. */
  filters: ContentFilters;
  reports: ReportService;
  /** Resolving reports, suspensions, tenant roles. */
  actions: ModerationService;
  /** Stops listening for filter changes (app.stop()). */
  close(): Promise<void>;
}

export function createModeration(deps: {
  prisma: PrismaClient;
  pubsub: ParleyPubSub;
  limiter: RateLimiter;
  accounts: AccountService;
  messages: ModeratedMessages;
  audit: AuditLog;
  filters: ContentFilters;
}): Moderation {
  const { prisma, pubsub, limiter, accounts, messages, audit, filters } = deps;
  return {
    audit,
    filters,
    reports: new ReportService({ prisma, limiter }),
    actions: new ModerationService({ prisma, pubsub, accounts, messages, audit }),
    close: () => filters.close(),
  };
}
