// The audit log of moderators' and admins' actions (ModerationAction rows, read by moderationLog). Every action of
// the moderation services writes its entry here, inside the action's transaction when it has one.
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';

/** What was done: the values `ModerationAction.action` takes. */
export type AuditAction =
  'RESOLVE_REPORT' | 'DELETE_MESSAGE' | 'WARN' | 'SUSPEND_USER' | 'UNSUSPEND_USER' | 'SET_ROLE' | 'SET_CONTENT_FILTER';

export interface AuditEntry {
  tenantId: string;
  actorId: string | null;
  action: AuditAction;
  targetUserId?: string | null;
  messageId?: string | null;
  reportId?: string | null;
  note?: string | null;
}

type Writer = Pick<PrismaClient, 'moderationAction'> | Prisma.TransactionClient;

export class AuditLog {
  constructor(private readonly prisma: PrismaClient) {}

  /** Writes one entry; with `tx`, in that transaction (it commits or rolls back with the action). */
  async record(entry: AuditEntry, tx: Writer = this.prisma): Promise<void> {
    await tx.moderationAction.create({ data: entry });
  }
}
