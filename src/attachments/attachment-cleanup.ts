// Deleting attachments: with their message, with their uploader's account, and by the sweeper (uploads no message
// took in time, rows whose message is gone or deleted). Bytes are deleted before their row goes, so a failure leaves
// rows that are found and deleted again, never bytes nobody knows of.
import type { Attachment, PrismaClient } from '../generated/prisma/client.ts';
import { serviceUnavailable } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AttachmentStorage } from './storage.ts';

/** Rows the sweeper handles per statement. */
const SWEEP_BATCH = 200;

type Stored = Pick<Attachment, 'id' | 'storageKey' | 'thumbnailKey'>;
const STORED = { id: true, storageKey: true, thumbnailKey: true } as const;

/** A storage call whose failure (S3 out of reach, a full or unwritable disk) clients see as retryable SERVICE_UNAVAILABLE. */
export async function reachStorage<T>(logger: Logger, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    logger.error('attachment storage failed', { error: (err as Error).message });
    throw serviceUnavailable('The file storage could not be reached; retry shortly.', 'STORAGE_UNAVAILABLE');
  }
}

export interface CleanupDeps {
  prisma: PrismaClient;
  storage: AttachmentStorage;
  logger: Logger;
  /** ATTACHMENT_UNSENT_TTL_SECONDS in ms, and ATTACHMENT_SWEEP_MS. */
  limits: { unsentTtlMs: number; sweepMs: number };
}

export class AttachmentCleanup {
  private readonly timer: NodeJS.Timeout;
  private sweeping: Promise<unknown> | null = null;

  constructor(private readonly deps: CleanupDeps) {
    // Every instance sweeps; a row is claimed by one statement, so two sweepers never delete the same file twice.
    this.timer = setInterval(() => {
      this.sweeping ??= this.sweep()
        .then((n) => n > 0 && deps.logger.debug('attachments swept', { count: n }))
        .catch((err) => deps.logger.warn('attachment sweep failed', { error: (err as Error).message }))
        .finally(() => (this.sweeping = null));
    }, deps.limits.sweepMs);
    this.timer.unref();
  }

  /**
   * A message was deleted: its files go. The rows are first let go of the message (they are then garbage the sweeper
   * also finds, should deleting the bytes fail now), then bytes and rows are deleted.
   */
  async messageDeleted(messageId: string): Promise<void> {
    const rows = await this.deps.prisma.attachment.findMany({ where: { messageId }, select: STORED });
    if (rows.length === 0) return;
    await this.deps.prisma.attachment.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { messageId: null } });
    await this.remove(rows).catch((err) =>
      this.deps.logger.warn('could not delete the files of a deleted message; the sweeper will', { error: (err as Error).message }),
    );
  }

  /** An account is about to be deleted: its files go first (their rows would go with the user, leaving the bytes). */
  async accountDeleting(userId: string): Promise<void> {
    for (;;) {
      const rows = await this.deps.prisma.attachment.findMany({ where: { uploaderId: userId }, select: STORED, take: SWEEP_BATCH });
      if (rows.length === 0) return;
      await this.remove(rows);
    }
  }

  /**
   * Deletes uploads no message took within ATTACHMENT_UNSENT_TTL_SECONDS, and attachments whose message is gone
   * (messageId null, attachedAt set: a deleted message's, or a hard-deleted message's by the foreign key) or deleted
   * (a tombstone's, when the process stopped before messageDeleted removed them). Stale
   * uploads are first claimed by setting attachedAt, in one statement that no send can interleave with: from then on
   * no message can take them (parley_append_message wants attachedAt null) and no URL serves them. Returns how many
   * went.
   */
  async sweep(now = Date.now()): Promise<number> {
    const cutoff = new Date(now - this.deps.limits.unsentTtlMs);
    await this.deps.prisma.attachment.updateMany({
      where: { messageId: null, attachedAt: null, createdAt: { lt: cutoff } },
      data: { attachedAt: new Date(now) },
    });
    let removed = 0;
    for (;;) {
      const garbage = await this.deps.prisma.attachment.findMany({
        // A deleted message's files too: messageDeleted runs after the delete commits, and may not have run.
        where: { OR: [{ messageId: null, attachedAt: { not: null } }, { message: { deletedAt: { not: null } } }] },
        select: STORED,
        take: SWEEP_BATCH,
      });
      if (garbage.length === 0) return removed;
      await this.remove(garbage);
      removed += garbage.length;
    }
  }

  /** Bytes first, then rows: a failure leaves rows that can be found and deleted again, never bytes nobody knows. */
  private async remove(rows: Stored[]): Promise<void> {
    await reachStorage(this.deps.logger, () =>
      this.deps.storage.delete(rows.flatMap((r) => (r.thumbnailKey ? [r.storageKey, r.thumbnailKey] : [r.storageKey]))),
    );
    await this.deps.prisma.attachment.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
  }

  /** Stops the sweeper, waiting for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }
}
