// GraphQL shape of reports: reportMessage, reportUser, the reporter's myReports, and for moderators of the tenant
// moderationReports and resolveReport. Rules live in ReportService and ModerationService.
import { builder } from '../graphql/builder.ts';
import { requireViewer, type Context } from '../graphql/context.ts';
import { UserRef } from '../accounts/accounts.schema.ts';
import { loadUsers } from '../messaging/loaders.ts';
import { isModerator } from './moderation.service.ts';
import type { ReportSnapshot } from './reports.service.ts';

export const ReportReasonRef = builder.enumType('ReportReason', {
  description: 'Why something is reported.',
  values: {
    SPAM: { description: 'Unwanted advertising or repeated messages.' },
    HARASSMENT: { description: 'Bullying, threats or unwanted contact.' },
    HATE: { description: 'Attacks on people for who they are.' },
    SEXUAL: { description: 'Sexual content, or sexual content involving minors.' },
    VIOLENCE: { description: 'Violence or its glorification.' },
    SELF_HARM: { description: 'Someone may hurt themself.' },
    ILLEGAL: { description: 'Illegal goods, services or activity.' },
    OTHER: { description: 'Anything else (say what in the note); also what a content filter files.' },
  } as const,
});

export const ReportStatusRef = builder.enumType('ReportStatus', {
  description: 'Whether a moderator has acted on a report.',
  values: {
    OPEN: { description: 'Waiting for a moderator.' },
    RESOLVED: { description: 'A moderator resolved it (see action).' },
  } as const,
});

export const ReportActionRef = builder.enumType('ReportAction', {
  description: 'What a moderator did about a report (resolveReport).',
  values: {
    DISMISS: { description: 'Nothing to act on.' },
    DELETE_MESSAGE: { description: 'The reported message was deleted (a tombstone, as its sender deleting it).' },
    WARN: { description: 'The reported user was warned: the note is shown to them (myWarnings).' },
    SUSPEND_USER: { description: 'The reported user was suspended: signed out everywhere, sign-in refused until unsuspended.' },
  } as const,
});

const ReportKindRef = builder.enumType('ReportKind', {
  description: 'What a report is about.',
  values: {
    MESSAGE: { description: 'A message (reportMessage).' },
    USER: { description: 'A user (reportUser).' },
    FILTER: { description: "A text the tenant's content filter flagged (FLAG); filed with no reporter." },
  } as const,
});

const moderates = (ctx: Context) => isModerator(ctx.viewer?.user);

const ReportSnapshotRef = builder.objectRef<ReportSnapshot>('ReportSnapshot').implement({
  description: 'What was reported, as it was when the report was filed: later edits and deletes do not change it.',
  fields: (t) => ({
    kind: t.field({ type: ReportKindRef, description: 'Which fields are set.', resolve: (s) => s.kind }),
    content: t.string({
      nullable: true,
      description: "The message's text, or the text the filter flagged.",
      resolve: (s) => s.content ?? null,
    }),
    field: t.string({ nullable: true, description: 'FILTER: which text (content, name, title, text).', resolve: (s) => s.field ?? null }),
    senderId: t.id({ nullable: true, description: "MESSAGE: the sender's id.", resolve: (s) => s.senderId ?? null }),
    senderName: t.string({ nullable: true, description: "MESSAGE: the sender's name then.", resolve: (s) => s.senderName ?? null }),
    attachmentNames: t.stringList({ description: "MESSAGE: its attachments' file names.", resolve: (s) => s.attachmentNames ?? [] }),
    conversationId: t.id({ nullable: true, description: 'The conversation it was in.', resolve: (s) => s.conversationId ?? null }),
    messageId: t.id({ nullable: true, description: 'MESSAGE: the message.', resolve: (s) => s.messageId ?? null }),
    sentAt: t.field({ type: 'DateTime', nullable: true, description: 'MESSAGE: when it was sent.', resolve: (s) => s.sentAt ?? null }),
    editedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'MESSAGE: when it was last edited before the report.',
      resolve: (s) => s.editedAt ?? null,
    }),
    name: t.string({ nullable: true, description: "USER: the user's name then.", resolve: (s) => s.name ?? null }),
    username: t.string({ nullable: true, description: "USER: the user's username then.", resolve: (s) => s.username ?? null }),
    statusText: t.string({
      nullable: true,
      // Status text is for the user's contacts (presence): the reporter of a stranger does not learn it from the report.
      description: "USER: the user's status text then. Moderators only.",
      resolve: (s, _args, ctx) => (moderates(ctx) ? (s.statusText ?? null) : null),
    }),
  }),
});

const userById = async (ctx: Context, id: string | null) => (id ? ((await loadUsers(ctx, [id]))[0] ?? null) : null);

export const ReportRef = builder.prismaObject('Report', {
  description: "A report to the tenant's moderators. Its reporter sees it (myReports); moderators see every report of the tenant.",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Report id.' }),
    reason: t.expose('reason', { type: ReportReasonRef, description: 'Why it was reported.' }),
    note: t.exposeString('note', { nullable: true, description: "The reporter's note (or which pattern a content filter matched)." }),
    status: t.expose('status', { type: ReportStatusRef, description: 'OPEN until a moderator resolves it.' }),
    action: t.expose('action', { type: ReportActionRef, nullable: true, description: 'What the moderator did; null while open.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was filed.' }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true, description: 'When it was resolved.' }),
    messageId: t.exposeID('messageId', { nullable: true, description: 'The reported message, if a message was reported.' }),
    conversationId: t.exposeID('conversationId', { nullable: true, description: 'The conversation of the reported message.' }),
    snapshot: t.field({
      type: ReportSnapshotRef,
      description: 'What was reported, as it was when reported.',
      resolve: (r) => r.snapshot as unknown as ReportSnapshot,
    }),
    content: t.string({
      nullable: true,
      description: 'The reported text as it was (snapshot.content), for a message or a filtered text.',
      resolve: (r) => (r.snapshot as unknown as ReportSnapshot).content ?? null,
    }),
    targetUser: t.field({
      type: UserRef,
      nullable: true,
      description: "The reported user (a message's sender) as they are now; null once their account is deleted.",
      resolve: (r, _args, ctx) => userById(ctx, r.targetUserId),
    }),
    automatic: t.boolean({
      description: "True when the tenant's content filter filed it (no reporter).",
      resolve: (r) => r.reporterId === null,
    }),
    reporter: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who reported it: moderators and the reporter see it; null for anyone else or a filter.',
      resolve: (r, _args, ctx) => (moderates(ctx) || ctx.viewer?.user.id === r.reporterId ? userById(ctx, r.reporterId) : null),
    }),
    resolvedBy: t.field({
      type: UserRef,
      nullable: true,
      description: 'The moderator who resolved it: moderators only.',
      resolve: (r, _args, ctx) => (moderates(ctx) ? userById(ctx, r.resolvedById) : null),
    }),
    resolutionNote: t.string({
      nullable: true,
      description: "The moderator's note: moderators only.",
      resolve: (r, _args, ctx) => (moderates(ctx) ? r.resolutionNote : null),
    }),
  }),
});

const reporter = (ctx: Context) => {
  const { user } = requireViewer(ctx);
  return { tenantId: user.tenantId, userId: user.id };
};

builder.queryFields((t) => ({
  myReports: t.prismaConnection({
    type: 'Report',
    cursor: 'id',
    authScopes: { signedIn: true },
    description: 'Reports you filed, newest first.',
    resolve: (query, _root, _args, ctx) => {
      const { tenantId, userId } = reporter(ctx);
      return ctx.prisma.report.findMany({
        ...query,
        where: { tenantId, reporterId: userId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
    },
  }),
  moderationReports: t.prismaConnection({
    type: 'Report',
    cursor: 'id',
    authScopes: { moderator: true },
    description: "The tenant's reports, oldest first (the queue). Moderators and admins only (FORBIDDEN for anyone else).",
    args: { status: t.arg({ type: ReportStatusRef, description: 'Only reports in this status (e.g. OPEN); all when omitted.' }) },
    resolve: (query, _root, { status }, ctx) =>
      ctx.prisma.report.findMany({
        ...query,
        where: { tenantId: requireViewer(ctx).user.tenantId, ...(status ? { status } : {}) },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
  }),
}));

builder.mutationFields((t) => ({
  reportMessage: t.prismaField({
    type: 'Report',
    authScopes: { signedIn: true },
    description:
      "Reports a message of one of your conversations to the tenant's moderators (NOT_FOUND for any other). Reporting the same message again while your report is open returns that report.",
    args: {
      messageId: t.arg.id({ required: true, description: 'The message.' }),
      reason: t.arg({ type: ReportReasonRef, required: true, description: 'Why.' }),
      note: t.arg.string({ description: 'What a moderator should know, up to 1,000 characters.' }),
    },
    resolve: (_query, _root, args, ctx) =>
      ctx.services.moderation.reports.reportMessage(reporter(ctx), String(args.messageId), args.reason, args.note),
  }),
  reportUser: t.prismaField({
    type: 'Report',
    authScopes: { signedIn: true },
    description: 'Reports a user of your tenant to its moderators (their name, username and status text are kept as they are now).',
    args: {
      userId: t.arg.id({ required: true, description: 'The user.' }),
      reason: t.arg({ type: ReportReasonRef, required: true, description: 'Why.' }),
      note: t.arg.string({ description: 'What a moderator should know, up to 1,000 characters.' }),
    },
    resolve: (_query, _root, args, ctx) =>
      ctx.services.moderation.reports.reportUser(reporter(ctx), String(args.userId), args.reason, args.note),
  }),
  resolveReport: t.prismaField({
    type: 'Report',
    authScopes: { moderator: true },
    description:
      'Resolves an open report (moderators and admins): DISMISS, DELETE_MESSAGE, WARN (the note is shown to the user) or SUSPEND_USER (the note is the reason). A resolved report is CONFLICT; one about yourself is FORBIDDEN (another moderator resolves it).',
    args: {
      reportId: t.arg.id({ required: true, description: 'The report.' }),
      action: t.arg({ type: ReportActionRef, required: true, description: 'What to do.' }),
      note: t.arg.string({ description: 'Why, up to 1,000 characters; with WARN, what the user is told.' }),
    },
    resolve: (_query, _root, args, ctx) =>
      ctx.services.moderation.actions.resolveReport(requireViewer(ctx), String(args.reportId), args.action, args.note),
  }),
}));
