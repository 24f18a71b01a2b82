// GraphQL shape of the tenant's AI token budgets: chatBudgets (what is in force and who spent what) and
// setChatBudgets, both for the tenant's admins. Rules live in Budgets (budgets.ts); each user reads their own
// standing with chatUsage (assistant.schema.ts).
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { UserRef } from '../accounts/accounts.schema.ts';
import type { User } from '../generated/prisma/client.ts';
import { badInput } from '../errors.ts';
import type { BudgetChange, BudgetLimits } from './budgets.ts';

/** Users listed by ChatBudgets.users at most. */
const MAX_USERS_LISTED = 100;
/** The largest budget a GraphQL Int holds. */
const MAX_TOKENS = 2_147_483_647;

interface UserSpendingRow {
  user: User | null;
  tokensToday: number;
  tokensThisMonth: number;
}

const ChatUserUsageRef = builder.objectRef<UserSpendingRow>('ChatUserUsage').implement({
  description: "One user's AI token use (ChatBudgets.users).",
  fields: (t) => ({
    user: t.field({ type: UserRef, nullable: true, description: 'Who; null once the account is deleted.', resolve: (r) => r.user }),
    tokensToday: t.exposeInt('tokensToday', { description: 'Tokens spent today (UTC).' }),
    tokensThisMonth: t.exposeInt('tokensThisMonth', { description: 'Tokens spent this month (UTC).' }),
  }),
});

const ChatBudgetsRef = builder.objectRef<BudgetLimits & { tenantId: string }>('ChatBudgets').implement({
  description: "The organisation's AI token budgets in force (its admins' where they set one, else the server's) and its spending.",
  fields: (t) => ({
    userDailyTokens: t.int({
      nullable: true,
      description: 'Tokens each user may spend per UTC day; null: unlimited.',
      resolve: (b) => b.userDailyTokens,
    }),
    tenantMonthlyTokens: t.int({
      nullable: true,
      description: 'Tokens the whole organisation (guests included) may spend per UTC month; null: unlimited.',
      resolve: (b) => b.tenantMonthlyTokens,
    }),
    userDailyTokensSet: t.exposeBoolean('userDailySet', {
      description: "Whether the daily budget is the organisation's own (setChatBudgets) rather than the server's default.",
    }),
    tenantMonthlyTokensSet: t.exposeBoolean('tenantMonthlySet', {
      description: "Whether the monthly budget is the organisation's own rather than the server's default.",
    }),
    usedThisMonth: t.int({
      description: 'Tokens the organisation spent this month.',
      resolve: async (b, _args, ctx) =>
        (await ctx.services.assistant.budgets.usage({ tenantId: b.tenantId, userId: null })).usedThisMonthByTenant,
    }),
    users: t.field({
      type: [ChatUserUsageRef],
      description: `The users who spent most this month, most first, with what they spent today (at most ${MAX_USERS_LISTED}).`,
      args: { first: t.arg.int({ description: `How many (default 20, at most ${MAX_USERS_LISTED}).` }) },
      resolve: async (b, args, ctx) => {
        const first = args.first ?? 20;
        if (first < 1 || first > MAX_USERS_LISTED) throw badInput(`first must be 1 to ${MAX_USERS_LISTED}.`, 'first');
        const spending = await ctx.services.assistant.budgets.usageByUser(b.tenantId, first);
        const users = await ctx.prisma.user.findMany({ where: { id: { in: spending.map((s) => s.userId) }, tenantId: b.tenantId } });
        const byId = new Map(users.map((u) => [u.id, u]));
        return spending.map((s) => ({ user: byId.get(s.userId) ?? null, tokensToday: s.tokensToday, tokensThisMonth: s.tokensThisMonth }));
      },
    }),
  }),
});

/** A budget argument: omitted leaves it, null is the server's default, 0 unlimited, else at least 1 token. */
function budgetArg(value: number | null | undefined, field: string): number | null | undefined {
  if (value == null) return value;
  if (!Number.isInteger(value) || value < 0 || value > MAX_TOKENS)
    throw badInput(`${field} must be 0 (unlimited) or a number of tokens.`, field);
  return value;
}

builder.queryField('chatBudgets', (t) =>
  t.field({
    type: ChatBudgetsRef,
    nullable: true,
    authScopes: { admin: true },
    description:
      "The organisation's AI token budgets and spending (admins only: anyone else gets FORBIDDEN and null here, the rest of the query answered).",
    resolve: async (_root, _args, ctx) => {
      const { tenantId } = requireViewer(ctx).user;
      return { tenantId, ...(await ctx.services.assistant.budgets.limits(tenantId)) };
    },
  }),
);

builder.mutationField('setChatBudgets', (t) =>
  t.field({
    type: ChatBudgetsRef,
    authScopes: { admin: true },
    description:
      "Sets the organisation's AI token budgets (admins only): an omitted argument stays, null goes back to the server's default (CHAT_USER_DAILY_TOKENS, CHAT_TENANT_MONTHLY_TOKENS), 0 is unlimited. Checked before every answer (QUOTA_EXCEEDED).",
    args: {
      userDailyTokens: t.arg.int({ description: 'Tokens each user may spend per UTC day.' }),
      tenantMonthlyTokens: t.arg.int({ description: 'Tokens the whole organisation may spend per UTC month.' }),
    },
    resolve: async (_root, args, ctx) => {
      const { user } = requireViewer(ctx);
      const change: BudgetChange = {
        userDailyTokens: budgetArg(args.userDailyTokens, 'userDailyTokens'),
        tenantMonthlyTokens: budgetArg(args.tenantMonthlyTokens, 'tenantMonthlyTokens'),
      };
      return { tenantId: user.tenantId, ...(await ctx.services.assistant.budgets.set(user.tenantId, user.id, change)) };
    },
  }),
);
