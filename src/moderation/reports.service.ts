// Reports of messages and users to the tenant's moderators (reportMessage, reportUser). A report keeps a snapshot of
// what was reported, taken when it is filed, so a later edit or delete does not erase the evidence. Reporting is
// rate limited per user (REPORT_RATE_LIMIT); the same person reporting the same thing again while their first report
// is open gets that report back, not a second one.
import type { Prisma, PrismaClient, Report, ReportReason } from '../generated/prisma/client.ts';
import { badInput, notFound } from '../errors.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import { cleanText } from '../text-rules.ts';

export const MAX_REPORT_NOTE = 1000;

export interface Reporter {
  tenantId: string;
  userId: string;
}

/** What a report's snapshot holds (Report.snapshot); `kind` says which fields are set. */
export interface ReportSnapshot {
  kind: 'MESSAGE' | 'USER' | 'FILTER';
  /** A message's text, or the text a content filter flagged. */
  content?: string | null;
  /** Which text a content filter flagged: content, name, title or text (status). */
  field?: string | null;
  senderId?: string | null;
  senderName?: string | null;
  attachmentNames?: string[];
  conversationId?: string | null;
  messageId?: string | null;
  sentAt?: string | null;
  editedAt?: string | null;
  name?: string | null;
  username?: string | null;
  statusText?: string | null;
}

export const cleanNote = (note: string | null | undefined, field = 'note') =>
  note == null ? null : cleanText(note, { field, label: 'A note', max: MAX_REPORT_NOTE, multiline: true });

export class ReportService {
  constructor(private readonly deps: { prisma: PrismaClient; limiter: RateLimiter }) {}

  /** Reports a message of one of the reporter's conversations (NOT_FOUND for any other). */
  async reportMessage(by: Reporter, messageId: string, reason: ReportReason, rawNote?: string | null): Promise<Report> {
    const note = cleanNote(rawNote);
    const message = await this.deps.prisma.message.findFirst({
      where: { id: messageId, tenantId: by.tenantId, conversation: { members: { some: { userId: by.userId } } } },
      include: {
        sender: { select: { id: true, name: true } },
        attachments: { select: { name: true }, orderBy: { position: 'asc' } },
        conversation: { select: { members: { where: { userId: by.userId }, select: { visibleFrom: true } } } },
      },
    });
    // A member sees the history from their visibleFrom on (a group whose history new members do not see).
    if (!message || message.sequence < (message.conversation.members[0]?.visibleFrom ?? 0)) throw notFound('Message');
    if (message.senderId === by.userId) throw badInput('You cannot report your own message.', 'messageId', 'CANNOT_REPORT_SELF');
    if (message.deletedAt) throw badInput('This message was deleted.', 'messageId', 'MESSAGE_DELETED');
    const snapshot: ReportSnapshot = {
      kind: 'MESSAGE',
      content: message.content,
      senderId: message.senderId,
      senderName: message.sender?.name ?? null,
      attachmentNames: message.attachments.map((a) => a.name),
      conversationId: message.conversationId,
      messageId: message.id,
      sentAt: message.createdAt.toISOString(),
      editedAt: message.editedAt?.toISOString() ?? null,
    };
    return this.file(by, { reason, note, snapshot, messageId, conversationId: message.conversationId, targetUserId: message.senderId });
  }

  /** Reports a user of the reporter's tenant (NOT_FOUND for anyone else). */
  async reportUser(by: Reporter, userId: string, reason: ReportReason, rawNote?: string | null): Promise<Report> {
    const note = cleanNote(rawNote);
    if (userId === by.userId) throw badInput('You cannot report yourself.', 'userId', 'CANNOT_REPORT_SELF');
    const user = await this.deps.prisma.user.findFirst({ where: { id: userId, tenantId: by.tenantId } });
    if (!user) throw notFound('User');
    const snapshot: ReportSnapshot = { kind: 'USER', name: user.name, username: user.username, statusText: user.statusText };
    return this.file(by, { reason, note, snapshot, messageId: null, conversationId: null, targetUserId: user.id });
  }

  private async file(
    by: Reporter,
    report: {
      reason: ReportReason;
      note: string | null;
      snapshot: ReportSnapshot;
      messageId: string | null;
      conversationId: string | null;
      targetUserId: string | null;
    },
  ): Promise<Report> {
    const open = await this.deps.prisma.report.findFirst({
      where: {
        tenantId: by.tenantId,
        reporterId: by.userId,
        status: 'OPEN',
        ...(report.messageId ? { messageId: report.messageId } : { messageId: null, targetUserId: report.targetUserId }),
      },
    });
    if (open) return open;
    await this.deps.limiter.check('report', by.userId);
    return this.deps.prisma.report.create({
      data: {
        tenantId: by.tenantId,
        reporterId: by.userId,
        ...report,
        snapshot: report.snapshot as unknown as Prisma.InputJsonValue,
      },
    });
  }
}
