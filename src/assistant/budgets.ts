// Token budgets: a user's tokens per UTC day and a tenant's per UTC month, summed from saved answers. Checked
// before any provider call; 0 in config means unlimited.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Config } from '../config.ts';
import type { Viewer } from '../accounts/accounts.service.ts';
import { AppError } from '../errors.ts';

export interface ChatUsage {
  usedToday: number;
  dailyLimit: number | null;
  usedThisMonthByTenant: number;
  monthlyLimit: number | null;
}

export class Budgets {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly config: Config,
  ) {}

  async usage(viewer: Viewer): Promise<ChatUsage> {
    const now = new Date();
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const sum = async (where: { userId?: string; tenantId?: string; createdAt: { gte: Date } }) => {
      const r = await this.prisma.chatMessage.aggregate({ where, _sum: { inputTokens: true, outputTokens: true } });
      return (r._sum.inputTokens ?? 0) + (r._sum.outputTokens ?? 0);
    };
    const [usedToday, usedThisMonthByTenant] = await Promise.all([
      sum({ userId: viewer.user.id, createdAt: { gte: day } }),
      sum({ tenantId: viewer.user.tenantId, createdAt: { gte: month } }),
    ]);
    return {
      usedToday,
      dailyLimit: this.config.CHAT_USER_DAILY_TOKENS || null,
      usedThisMonthByTenant,
      monthlyLimit: this.config.CHAT_TENANT_MONTHLY_TOKENS || null,
    };
  }

  /** QUOTA_EXCEEDED (with `budget` and `limit`) when either budget is spent. */
  async check(viewer: Viewer): Promise<void> {
    const { CHAT_USER_DAILY_TOKENS: daily, CHAT_TENANT_MONTHLY_TOKENS: monthly } = this.config;
    if (!daily && !monthly) return;
    const u = await this.usage(viewer);
    if (daily && u.usedToday >= daily) {
      throw new AppError('QUOTA_EXCEEDED', 'Your daily AI token budget is used up; it resets at 00:00 UTC.', { budget: 'USER_DAILY', limit: daily });
    }
    if (monthly && u.usedThisMonthByTenant >= monthly) {
      throw new AppError('QUOTA_EXCEEDED', "This organisation's monthly AI token budget is used up.", { budget: 'TENANT_MONTHLY', limit: monthly });
    }
  }
}
