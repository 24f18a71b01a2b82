// Token budgets: a user's tokens per UTC day and a tenant's per UTC month (guests included), summed from the
// ChatUsageRecord ledger, which survives deleted chats. Checked before any provider call; 0 in config = unlimited.
import type { PrismaClient } from '../generated/prisma/client.ts';
import { insertUsage, type UsageRow } from '../db/sql/chat.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { TokenUsage } from './events.ts';

export interface ChatUsage {
  usedToday: number;
  dailyLimit: number | null;
  usedThisMonthByTenant: number;
  monthlyLimit: number | null;
}

/** Whose spending: a user of a tenant, or a guest (userId null) who spends only from the tenant's budget. */
export interface Spender {
  tenantId: string;
  userId: string | null;
}

export type { UsageRow };

export class Budgets {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly config: Config,
  ) {}

  async usage(spender: Spender): Promise<ChatUsage> {
    const now = new Date();
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const sum = async (where: { userId?: string; tenantId?: string; createdAt: { gte: Date } }) => {
      const r = await this.prisma.chatUsageRecord.aggregate({ where, _sum: { inputTokens: true, outputTokens: true } });
      return (r._sum.inputTokens ?? 0) + (r._sum.outputTokens ?? 0);
    };
    const [usedToday, usedThisMonthByTenant] = await Promise.all([
      spender.userId ? sum({ userId: spender.userId, createdAt: { gte: day } }) : 0,
      sum({ tenantId: spender.tenantId, createdAt: { gte: month } }),
    ]);
    return {
      usedToday,
      dailyLimit: this.config.CHAT_USER_DAILY_TOKENS || null,
      usedThisMonthByTenant,
      monthlyLimit: this.config.CHAT_TENANT_MONTHLY_TOKENS || null,
    };
  }

  /** QUOTA_EXCEEDED (with `budget` and `limit`) when a budget that applies is spent. */
  async check(spender: Spender): Promise<void> {
    const daily = spender.userId ? this.config.CHAT_USER_DAILY_TOKENS : 0;
    const monthly = this.config.CHAT_TENANT_MONTHLY_TOKENS;
    if (!daily && !monthly) return;
    const u = await this.usage(spender);
    if (daily && u.usedToday >= daily) {
      throw new AppError('QUOTA_EXCEEDED', 'Your daily AI token budget is used up; it resets at 00:00 UTC.', {
        budget: 'USER_DAILY',
        limit: daily,
      });
    }
    if (monthly && u.usedThisMonthByTenant >= monthly) {
      throw new AppError('QUOTA_EXCEEDED', "This organisation's monthly AI token budget is used up.", {
        budget: 'TENANT_MONTHLY',
        limit: monthly,
      });
    }
  }

  /** Records what one answer spent (also a stopped or failed one: the provider charged for it). */
  async record(spender: Spender, messageId: string | null, model: string, usage: TokenUsage): Promise<void> {
    await insertUsage(this.prisma, [{ spender, messageId, model, usage }]);
  }
}
