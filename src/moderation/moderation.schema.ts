// GraphQL shape of tenant roles, suspensions, warnings and the audit log: User.role, User.suspendedAt and
// suspendedReason, setUserRole (admins), suspendUser and unsuspendUser, moderationLog (moderators and admins), and the
// viewer's myWarnings. Rules live in ModerationService.
import type { ModerationAction, User } from '../generated/prisma/client.ts';
import { builder } from '../graphql/builder.ts';
import { requireViewer, type Context } from '../graphql/context.ts';
import { UserRef } from '../accounts/accounts.schema.ts';
import { loadUsers } from '../messaging/loaders.ts';
import { isModerator } from './moderation.service.ts';

const TenantRoleRef = builder.enumType('TenantRole', {
  description: "A user's role in their tenant. The first user of a tenant is its ADMIN; admins set roles (setUserRole).",
  values: {
    USER: { description: 'Everyone else.' },
    MODERATOR: { description: 'Sees and resolves reports, suspends users, reads the audit log and the content filter.' },
    ADMIN: { description: "A moderator who also sets roles and the tenant's content filter." },
  } as const,
});

/** Whether the viewer may see this user's suspension: the user themself, and moderators of the tenant. */
const seesSuspension = (ctx: Context, user: Pick<User, 'id'>) => ctx.viewer?.user.id === user.id || isModerator(ctx.viewer?.user);

builder.prismaObjectFields('User', (t) => ({
  role: t.expose('role', {
    type: TenantRoleRef,
    description: 'Role in the tenant. Public within the tenant, so people know who moderates.',
  }),
  suspendedAt: t.field({
    type: 'DateTime',
    nullable: true,
    description: 'When a moderator suspended the user (null: not suspended). Moderators and the user themself only.',
    resolve: (user, _args, ctx) => (seesSuspension(ctx, user) ? user.suspendedAt : null),
  }),
  suspendedReason: t.string({
    nullable: true,
    description: 'Why the user is suspended. Moderators and the user themself only.',
    resolve: (user, _args, ctx) => (seesSuspension(ctx, user) ? user.suspendedReason : null),
  }),
}));

const userById = async (ctx: Context, id: string | null) => (id ? ((await loadUsers(ctx, [id]))[0] ?? null) : null);

builder.prismaObject('ModerationAction', {
  description: "An entry of the tenant's audit log: what a moderator or admin did, to whom, when.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Entry id.' }),
    action: t.exposeString('action', {
      description: 'What was done: RESOLVE_REPORT, DELETE_MESSAGE, WARN, SUSPEND_USER, UNSUSPEND_USER, SET_ROLE or SET_CONTENT_FILTER.',
    }),
    actor: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who did it (null once their account is deleted).',
      resolve: (a, _args, ctx) => userById(ctx, a.actorId),
    }),
    targetUser: t.field({
      type: UserRef,
      nullable: true,
      description: 'To whom, if anyone.',
      resolve: (a, _args, ctx) => userById(ctx, a.targetUserId),
    }),
    messageId: t.exposeID('messageId', { nullable: true, description: 'The message acted on, if any.' }),
    reportId: t.exposeID('reportId', { nullable: true, description: 'The report it resolved or came from, if any.' }),
    note: t.exposeString('note', {
      nullable: true,
      description: 'The reason or note given, or what changed (SET_ROLE: "USER -> MODERATOR").',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When.' }),
  }),
});

const WarningRef = builder.objectRef<ModerationAction>('ModerationWarning').implement({
  description: "A moderator's warning to the viewer (a report resolved with WARN).",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Warning id.' }),
    note: t.exposeString('note', { nullable: true, description: 'What the moderator told you.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When.' }),
  }),
});

builder.queryFields((t) => ({
  moderationLog: t.prismaConnection({
    type: 'ModerationAction',
    cursor: 'id',
    authScopes: { moderator: true },
    description: "The tenant's audit log, newest first. Moderators and admins only (FORBIDDEN for anyone else).",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.moderationAction.findMany({
        ...query,
        where: { tenantId: requireViewer(ctx).user.tenantId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
  myWarnings: t.field({
    type: [WarningRef],
    authScopes: { signedIn: true },
    description: 'Warnings moderators gave you, newest first (at most 50).',
    resolve: (_root, _args, ctx) => ctx.services.moderation.actions.warnings(requireViewer(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  setUserRole: t.prismaField({
    type: UserRef,
    authScopes: { admin: true },
    description: "Sets a user's tenant role. Admins only; an admin cannot change their own role (BAD_USER_INPUT, OWN_ROLE).",
    args: {
      userId: t.arg.id({ required: true, description: 'The user (of your tenant).' }),
      role: t.arg({ type: TenantRoleRef, required: true, description: 'The new role.' }),
    },
    resolve: (_query, _root, args, ctx) => ctx.services.moderation.actions.setRole(requireViewer(ctx), String(args.userId), args.role),
  }),
  suspendUser: t.prismaField({
    type: UserRef,
    authScopes: { moderator: true },
    description:
      'Suspends a user: their sessions and connections end at once on every instance, and sign-in answers FORBIDDEN with reason ACCOUNT_SUSPENDED until unsuspendUser. Moderators may suspend users; admins users and moderators; nobody themself or an admin.',
    args: {
      userId: t.arg.id({ required: true, description: 'The user (of your tenant).' }),
      reason: t.arg.string({ required: true, description: 'Why, up to 500 characters (kept in the audit log).' }),
    },
    resolve: (_query, _root, args, ctx) => ctx.services.moderation.actions.suspend(requireViewer(ctx), String(args.userId), args.reason),
  }),
  unsuspendUser: t.prismaField({
    type: UserRef,
    authScopes: { moderator: true },
    description: 'Lifts a suspension: the user may sign in again. The same roles as suspendUser.',
    args: { userId: t.arg.id({ required: true, description: 'The user (of your tenant).' }) },
    resolve: (_query, _root, args, ctx) => ctx.services.moderation.actions.unsuspend(requireViewer(ctx), String(args.userId)),
  }),
}));
