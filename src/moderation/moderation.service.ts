// What moderators and admins do: resolve reports (dismiss, delete the message, warn, suspend), suspend and unsuspend
// users, and set tenant roles. Each action is checked against the actor's tenant role and written to the audit log.
// A suspension ends the user's access at once on every instance: their sessions are deleted and announced
// (sessions:revoked), cached copies of them dropped (users:changed), and every connection of theirs closed
// (users:removed); the Authenticator refuses a suspended user's sessions and sign-in refuses them until lifted.
import type { PrismaClient, Report, ReportAction, TenantRole, User } from '../generated/prisma/client.ts';
import { AppError, badInput, forbidden, notFound } from '../errors.ts';
import type { AccountService } from '../accounts/accounts.service.ts';
import type { Viewer } from '../accounts/accounts.types.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { requireText } from '../text-rules.ts';
import type { AuditLog } from './audit-log.ts';
import { cleanNote, type ReportSnapshot } from './reports.service.ts';

const RANK: Record<TenantRole, number> = { USER: 0, MODERATOR: 1, ADMIN: 2 };
export const MAX_SUSPENSION_REASON = 500;
/** Warnings a user is shown (myWarnings), newest first. */
export const MAX_WARNINGS_SHOWN = 50;

/** What resolving a report needs of messages (MessageService implements it). */
export interface ModeratedMessages {
  /** Tombstones a message of the actor's tenant, as a delete by its sender would; NOT_FOUND when there is none. */
  moderatorDelete(actor: { tenantId: string; userId: string }, messageId: string): Promise<unknown>;
}

/** The viewer, or FORBIDDEN when their tenant role is below `least`. */
export function requireRole(viewer: Viewer, least: TenantRole): Viewer {
  if (RANK[viewer.user.role] < RANK[least])
    throw forbidden(least === 'ADMIN' ? 'Only an admin can do this.' : 'Only a moderator can do this.');
  return viewer;
}

/**
 * The tenants CLI's way to set a role (`npm run tenants -- role <tenant> <email> <role>`): an operator with database
 * access, so no viewer; the audit log names no actor. `userChanged` drops cached copies where it can reach.
 */
export async function setRoleAsOperator(
  deps: { prisma: PrismaClient; audit: AuditLog; userChanged?: (user: User) => void },
  tenantId: string,
  email: string,
  role: TenantRole,
): Promise<{ user: User; before: TenantRole }> {
  const found = await deps.prisma.user.findFirst({ where: { tenantId, email: email.trim().toLowerCase() } });
  if (!found) throw notFound(`User ${email} in tenant "${tenantId}"`);
  if (found.role === role) return { user: found, before: found.role };
  const user = await deps.prisma.$transaction(async (tx) => {
    const user = await tx.user.update({ where: { id: found.id }, data: { role } });
    await deps.audit.record(
      { tenantId, actorId: null, action: 'SET_ROLE', targetUserId: user.id, note: `${found.role} -> ${role} (tenants CLI)` },
      tx,
    );
    return user;
  });
  deps.userChanged?.(user);
  return { user, before: found.role };
}

export const isModerator = (user: Pick<User, 'role'> | null | undefined) => !!user && RANK[user.role] >= RANK.MODERATOR;

export class ModerationService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      pubsub: ParleyPubSub;
      accounts: Pick<AccountService, 'revokeAll' | 'userChanged'>;
      messages: ModeratedMessages;
      audit: AuditLog;
    },
  ) {}

  /** A user of the viewer's tenant, or NOT_FOUND. */
  private async userOfTenant(viewer: Viewer, userId: string): Promise<User> {
    const user = await this.deps.prisma.user.findFirst({ where: { id: userId, tenantId: viewer.user.tenantId } });
    if (!user) throw notFound('User');
    return user;
  }

  /** An admin sets another user's role. Admins cannot change their own, so a tenant always keeps one admin. */
  async setRole(viewer: Viewer, userId: string, role: TenantRole): Promise<User> {
    requireRole(viewer, 'ADMIN');
    if (userId === viewer.user.id) throw badInput('You cannot change your own role; ask another admin.', 'userId', 'OWN_ROLE');
    const target = await this.userOfTenant(viewer, userId);
    if (target.role === role) return target;
    const user = await this.deps.prisma.$transaction(async (tx) => {
      const user = await tx.user.update({ where: { id: target.id }, data: { role } });
      await this.deps.audit.record(
        { tenantId: user.tenantId, actorId: viewer.user.id, action: 'SET_ROLE', targetUserId: user.id, note: `${target.role} -> ${role}` },
        tx,
      );
      return user;
    });
    this.deps.accounts.userChanged(user);
    return user;
  }

  /** The target, or FORBIDDEN when the viewer may not act on them (themself, or a role as high as their own). */
  private async actionable(viewer: Viewer, userId: string): Promise<User> {
    requireRole(viewer, 'MODERATOR');
    if (userId === viewer.user.id) throw forbidden('You cannot do this to yourself.');
    const target = await this.userOfTenant(viewer, userId);
    if (RANK[target.role] >= RANK[viewer.user.role])
      throw forbidden(`A ${viewer.user.role.toLowerCase()} cannot act on a ${target.role.toLowerCase()}.`);
    return target;
  }

  async suspend(viewer: Viewer, userId: string, rawReason: string, reportId: string | null = null): Promise<User> {
    const reason = requireText(rawReason, { field: 'reason', label: 'A reason', max: MAX_SUSPENSION_REASON, multiline: true });
    const target = await this.actionable(viewer, userId);
    const user = await this.deps.prisma.$transaction(async (tx) => {
      const user = await tx.user.update({
        where: { id: target.id },
        data: { suspendedAt: target.suspendedAt ?? new Date(), suspendedReason: reason },
      });
      await this.deps.audit.record(
        { tenantId: user.tenantId, actorId: viewer.user.id, action: 'SUSPEND_USER', targetUserId: user.id, reportId, note: reason },
        tx,
      );
      return user;
    });
    // The row first, then the sessions: a session started meanwhile is refused by the Authenticator (suspendedAt).
    this.deps.accounts.userChanged(user);
    await this.deps.accounts.revokeAll(user, 'account suspended');
    this.deps.pubsub.publish('users:removed', { tenantId: user.tenantId, userId: user.id, reason: 'Account suspended' });
    return user;
  }

  async unsuspend(viewer: Viewer, userId: string): Promise<User> {
    const target = await this.actionable(viewer, userId);
    if (!target.suspendedAt) return target;
    const user = await this.deps.prisma.$transaction(async (tx) => {
      const user = await tx.user.update({ where: { id: target.id }, data: { suspendedAt: null, suspendedReason: null } });
      await this.deps.audit.record(
        { tenantId: user.tenantId, actorId: viewer.user.id, action: 'UNSUSPEND_USER', targetUserId: user.id },
        tx,
      );
      return user;
    });
    this.deps.accounts.userChanged(user);
    return user;
  }

  /**
   * Resolves an open report with an action. The report is claimed first (a second moderator gets CONFLICT), then the
   * action runs; when the action is refused, the report is open again. Other open reports of the same message (or
   * user) are resolved with it.
   */
  async resolveReport(viewer: Viewer, reportId: string, action: ReportAction, rawNote?: string | null): Promise<Report> {
    requireRole(viewer, 'MODERATOR');
    const note = cleanNote(rawNote);
    const { prisma } = this.deps;
    const tenantId = viewer.user.tenantId;
    const found = await prisma.report.findFirst({ where: { id: reportId, tenantId } });
    if (!found) throw notFound('Report');
    const report = await this.withFlaggedMessage(found);
    if (report.targetUserId === viewer.user.id) throw forbidden('A report about you is for another moderator to resolve.');
    if (action === 'DELETE_MESSAGE' && !report.messageId) throw badInput('This report is not about a message.', 'action');
    if ((action === 'WARN' || action === 'SUSPEND_USER') && !report.targetUserId)
      throw badInput('This report names no user to act on.', 'action');
    const resolved = { status: 'RESOLVED' as const, action, resolvedById: viewer.user.id, resolutionNote: note, resolvedAt: new Date() };
    const claimed = await prisma.report.updateMany({ where: { id: report.id, status: 'OPEN' }, data: resolved });
    if (claimed.count === 0) throw new AppError('CONFLICT', 'This report was already resolved.', { reason: 'ALREADY_RESOLVED' });
    try {
      await this.act(viewer, report, action, note);
    } catch (err) {
      await prisma.report.update({
        where: { id: report.id },
        data: { status: 'OPEN', action: null, resolvedById: null, resolutionNote: null, resolvedAt: null },
      });
      throw err;
    }
    // Other open reports of the same message (or, for a report of a user, the same user) were judged with it.
    const same = report.messageId ? { messageId: report.messageId } : { messageId: null, targetUserId: report.targetUserId };
    await prisma.report.updateMany({ where: { tenantId, status: 'OPEN', id: { not: report.id }, ...same }, data: resolved });
    await this.deps.audit.record({
      tenantId,
      actorId: viewer.user.id,
      action: 'RESOLVE_REPORT',
      reportId: report.id,
      targetUserId: report.targetUserId,
      messageId: report.messageId,
      note: note ? `${action}: ${note}` : action,
    });
    return { ...report, ...resolved };
  }

  /** How long after a content filter flagged a text a message of it is taken to be the one flagged. */
  private static readonly FLAGGED_SEND_MS = 60_000;

  /**
   * A report the content filter filed for a message being sent is filed before the message exists, so it names no
   * message: the sender's first message of that text (in that conversation, when known) stored just after it is the
   * one. Found once, it is written into the report.
   */
  private async withFlaggedMessage(report: Report): Promise<Report> {
    const snapshot = report.snapshot as unknown as ReportSnapshot;
    if (report.messageId || report.reporterId || snapshot.kind !== 'FILTER' || snapshot.field !== 'content' || !report.targetUserId)
      return report;
    const message = await this.deps.prisma.message.findFirst({
      where: {
        tenantId: report.tenantId,
        senderId: report.targetUserId,
        content: snapshot.content ?? '',
        ...(report.conversationId ? { conversationId: report.conversationId } : {}),
        // A few seconds either side: the report's time and the message's may come from different clocks.
        createdAt: {
          gte: new Date(report.createdAt.getTime() - 5_000),
          lte: new Date(report.createdAt.getTime() + ModerationService.FLAGGED_SEND_MS),
        },
      },
      orderBy: { createdAt: 'asc' },
      select: { id: true, conversationId: true },
    });
    if (!message) return report;
    return this.deps.prisma.report.update({
      where: { id: report.id },
      data: { messageId: message.id, conversationId: message.conversationId },
    });
  }

  private async act(viewer: Viewer, report: Report, action: ReportAction, note: string | null) {
    const entry = { tenantId: report.tenantId, actorId: viewer.user.id, reportId: report.id, targetUserId: report.targetUserId };
    if (action === 'DELETE_MESSAGE') {
      await this.deps.messages.moderatorDelete({ tenantId: report.tenantId, userId: viewer.user.id }, report.messageId!);
      await this.deps.audit.record({ ...entry, action: 'DELETE_MESSAGE', messageId: report.messageId });
    } else if (action === 'WARN') {
      await this.actionable(viewer, report.targetUserId!);
      await this.deps.audit.record({ ...entry, action: 'WARN', messageId: report.messageId, note });
    } else if (action === 'SUSPEND_USER') {
      await this.suspend(viewer, report.targetUserId!, note ?? `Reported for ${report.reason.toLowerCase().replace('_', ' ')}`, report.id);
    }
  }

  /** The warnings moderators gave the viewer (WARN), newest first: what the user is told. */
  warnings(viewer: Viewer) {
    return this.deps.prisma.moderationAction.findMany({
      where: { tenantId: viewer.user.tenantId, targetUserId: viewer.user.id, action: 'WARN' },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: MAX_WARNINGS_SHOWN,
    });
  }
}
