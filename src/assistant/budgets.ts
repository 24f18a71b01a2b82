// Token budgets: a user's tokens per UTC day and a tenant's per UTC month (guests included), summed from the
// ChatUsageRecord ledger, which survives deleted chats. Checked before any provider call. A tenant's admins set its
// own (ChatBudget, setChatBudgets); a budget they leave unset is the server's (CHAT_USER_DAILY_TOKENS,
// CHAT_TENANT_MONTHLY_TOKENS). 0 = unlimited.
import { LRUCache } from 'lru-cache';
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

/** The budgets in force for a tenant (null: unlimited), and whether its admins set each one. */
export interface BudgetLimits {
  userDailyTokens: number | null;
  tenantMonthlyTokens: number | null;
  userDailySet: boolean;
  tenantMonthlySet: boolean;
}

/** A budget to set: a number of tokens (0: unlimited), null for the server's default, undefined to leave it. */
export interface BudgetChange {
  userDailyTokens?: number | null;
  tenantMonthlyTokens?: number | null;
}

/** One user's spending (usageByUser). */
export interface UserSpending {
  userId: string;
  tokensToday: number;
  tokensThisMonth: number;
}

/** The start of today and of this month, UTC. */
function periods(now = new Date()) {
  return {
    day: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())),
    month: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
  };
}

/** Tenants whose budgets an instance keeps in memory (each for TENANT_CACHE_MS). */
const TENANTS_CACHED = 10_000;

export class Budgets {
  /**
   * The budgets in force per tenant, so an answer under no budget costs no statement: kept TENANT_CACHE_MS, dropped
   * at once on the instance that sets them (other instances follow within that time).
   */
  private readonly cached: LRUCache<string, BudgetLimits>;
  /** Counts set() calls (see limits). */
  private generation = 0;
  /** Reads under way, per tenant (see limits). */
  private readonly reading = new Map<string, Promise<BudgetLimits>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly config: Config,
  ) {
    this.cached = new LRUCache({ max: TENANTS_CACHED, ttl: config.TENANT_CACHE_MS });
  }

  /** The tenant's budgets in force (its admins' where set, else the server's). */
  async limits(tenantId: string): Promise<BudgetLimits> {
    const known = this.cached.get(tenantId);
    if (known) return known;
    // Answers starting together share one read.
    const under = this.reading.get(tenantId);
    if (under) return under;
    // A read that a set() overtook is not cached: it may hold the budgets from before.
    const generation = this.generation;
    const read = this.readLimits(tenantId)
      .then((limits) => {
        if (generation === this.generation) this.cached.set(tenantId, limits);
        return limits;
      })
      .finally(() => {
        if (this.reading.get(tenantId) === read) this.reading.delete(tenantId);
      });
    this.reading.set(tenantId, read);
    return read;
  }

  private async readLimits(tenantId: string): Promise<BudgetLimits> {
    const own = await this.prisma.chatBudget.findUnique({ where: { tenantId } });
    const inForce = (set: number | null | undefined, fallback: number) => ((set ?? fallback) === 0 ? null : (set ?? fallback));
    return {
      userDailyTokens: inForce(own?.userDailyTokens, this.config.CHAT_USER_DAILY_TOKENS),
      tenantMonthlyTokens: inForce(own?.tenantMonthlyTokens, this.config.CHAT_TENANT_MONTHLY_TOKENS),
      userDailySet: own?.userDailyTokens != null,
      tenantMonthlySet: own?.tenantMonthlyTokens != null,
    };
  }

  /** Sets the tenant's own budgets (see BudgetChange); returns those in force. */
  async set(tenantId: string, by: string, change: BudgetChange): Promise<BudgetLimits> {
    const data = { ...change, updatedById: by };
    this.generation++;
    await this.prisma.chatBudget.upsert({ where: { tenantId }, create: { tenantId, ...data }, update: data });
    this.generation++;
    this.cached.delete(tenantId);
    this.reading.delete(tenantId);
    return this.limits(tenantId);
  }

  async usage(spender: Spender): Promise<ChatUsage> {
    const { day, month } = periods();
    const sum = async (where: { userId?: string; tenantId?: string; createdAt: { gte: Date } }) => {
      const r = await this.prisma.chatUsageRecord.aggregate({ where, _sum: { inputTokens: true, outputTokens: true } });
      return (r._sum.inputTokens ?? 0) + (r._sum.outputTokens ?? 0);
    };
    const [usedToday, usedThisMonthByTenant, limits] = await Promise.all([
      spender.userId ? sum({ userId: spender.userId, createdAt: { gte: day } }) : 0,
      sum({ tenantId: spender.tenantId, createdAt: { gte: month } }),
      this.limits(spender.tenantId),
    ]);
    return { usedToday, dailyLimit: limits.userDailyTokens, usedThisMonthByTenant, monthlyLimit: limits.tenantMonthlyTokens };
  }

  /** The tenant's users who spent most this month (at most `first`), with what they spent today. */
  async usageByUser(tenantId: string, first: number): Promise<UserSpending[]> {
    const { day, month } = periods();
    const spent = (where: { createdAt: { gte: Date } }) =>
      this.prisma.chatUsageRecord.groupBy({
        by: ['userId'],
        where: { tenantId, userId: { not: null }, ...where },
        _sum: { inputTokens: true, outputTokens: true },
      });
    const total = (r: { _sum: { inputTokens: number | null; outputTokens: number | null } }) =>
      (r._sum.inputTokens ?? 0) + (r._sum.outputTokens ?? 0);
    const [thisMonth, today] = await Promise.all([spent({ createdAt: { gte: month } }), spent({ createdAt: { gte: day } })]);
    const todays = new Map(today.map((r) => [r.userId, total(r)]));
    return thisMonth
      .map((r) => ({ userId: r.userId!, tokensThisMonth: total(r), tokensToday: todays.get(r.userId) ?? 0 }))
      .sort((a, b) => b.tokensThisMonth - a.tokensThisMonth || a.userId.localeCompare(b.userId))
      .slice(0, first);
  }

  /** QUOTA_EXCEEDED (with `budget` and `limit`) when a budget that applies is spent. */
  async check(spender: Spender): Promise<void> {
    const limits = await this.limits(spender.tenantId);
    if (limits.tenantMonthlyTokens === null && (limits.userDailyTokens === null || !spender.userId)) return;
    const u = await this.usage(spender);
    if (spender.userId && u.dailyLimit !== null && u.usedToday >= u.dailyLimit) {
      throw new AppError('QUOTA_EXCEEDED', 'Your daily AI token budget is used up; it resets at 00:00 UTC.', {
        budget: 'USER_DAILY',
        limit: u.dailyLimit,
      });
    }
    if (u.monthlyLimit !== null && u.usedThisMonthByTenant >= u.monthlyLimit) {
      throw new AppError('QUOTA_EXCEEDED', "This organisation's monthly AI token budget is used up.", {
        budget: 'TENANT_MONTHLY',
        limit: u.monthlyLimit,
      });
    }
  }

  /** Records what one answer spent (also a stopped or failed one: the provider charged for it). */
  async record(spender: Spender, messageId: string | null, model: string, usage: TokenUsage): Promise<void> {
    await insertUsage(this.prisma, [{ spender, messageId, model, usage }]);
  }
}
