// Attachments: uploads (checked, sniffed, images cleaned, stored), which of them a new message may take, and who may
// read them. Deleting them (with their message, with their uploader's account, by the sweeper) is
// attachment-cleanup.ts. An attachment's bytes are stored before its row exists, so a row never points at nothing.
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Attachment, PrismaClient } from '../generated/prisma/client.ts';
import { AppError, badInput, notFound, serviceUnavailable } from '../errors.ts';
import { AttachmentCleanup, reachStorage } from './attachment-cleanup.ts';
import type { Logger } from '../logger.ts';
import { lockUploader } from '../db/sql/attachments.ts';
import { cleanFileName, prepareFile, THUMBNAIL_TYPE } from './files.ts';
import type { AttachmentStorage, StoredFile } from './storage.ts';
import type { AttachmentUrls, UrlGrant, Variant } from './signed-urls.ts';
import type { MessageAttachments } from '../messaging/messages.service.ts';
import type { AccountFiles } from '../accounts/accounts.types.ts';

/** Attachments one message may carry. */
export const MAX_ATTACHMENTS = 10;

/** A file as the GraphQL multipart request hands it over (a WHATWG File). */
export interface Upload {
  name: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface AttachmentLimits {
  /** MAX_UPLOAD_BYTES */
  maxUploadBytes: number;
  /** ATTACHMENT_QUOTA_BYTES: what one user's attachments may take together; 0 for no quota. */
  quotaBytes: number;
  /** ATTACHMENT_MAX_PIXELS */
  maxPixels: number;
  /** ATTACHMENT_UNSENT_TTL_SECONDS, in ms: how long an upload waits for a message. */
  unsentTtlMs: number;
  /** ATTACHMENT_SWEEP_MS */
  sweepMs: number;
  /** ATTACHMENT_IMAGE_CONCURRENCY: images decoded and encoded at once by this instance. */
  imageConcurrency: number;
  /** ATTACHMENT_IMAGE_QUEUE: images that may wait for a turn; past it an upload of one is SERVICE_UNAVAILABLE. */
  imageQueue: number;
}

/** The per-user upload rate (RATE_LIMIT_UPLOAD): throws RATE_LIMITED with `retryAfter` when over (RateLimiter). */
export interface UploadLimiter {
  check(name: 'upload', subject: string): Promise<void>;
}

export interface AttachmentDeps {
  prisma: PrismaClient;
  storage: AttachmentStorage;
  urls: AttachmentUrls;
  logger: Logger;
  /** Base of the URLs handed out (PUBLIC_URL, else where this instance listens). */
  publicUrl: () => string;
  limits: AttachmentLimits;
  limiter: UploadLimiter;
}

type Actor = { tenantId: string; userId: string };

export class AttachmentService implements MessageAttachments, AccountFiles {
  readonly storage: AttachmentStorage;
  readonly urls: AttachmentUrls;
  private readonly prisma: PrismaClient;
  /** Deleting files: with their message, with their uploader's account, and by the sweeper. */
  private readonly cleanup: AttachmentCleanup;
  /** Image work of this instance's uploads: a few at a time (each holds a decoded image), a bounded queue behind. */
  readonly imageWork: pLimit.Limit;

  constructor(private readonly deps: AttachmentDeps) {
    ({ prisma: this.prisma, storage: this.storage, urls: this.urls } = deps);
    this.imageWork = pLimit(deps.limits.imageConcurrency);
    this.cleanup = new AttachmentCleanup(deps);
  }

  /**
   * Stores a file for the actor's next message. BAD_USER_INPUT (field `file`) when it is empty (EMPTY_FILE), over
   * MAX_UPLOAD_BYTES (FILE_TOO_LARGE) or an image that is too large or unreadable (see prepareFile);
   * QUOTA_EXCEEDED (reason STORAGE_QUOTA) when it would take the actor's files over ATTACHMENT_QUOTA_BYTES;
   * RATE_LIMITED over the actor's RATE_LIMIT_UPLOAD; SERVICE_UNAVAILABLE (reason UPLOADS_BUSY) when an image would
   * wait behind ATTACHMENT_IMAGE_QUEUE others.
   */
  async upload(actor: Actor, file: Upload): Promise<Attachment> {
    const { maxUploadBytes, maxPixels } = this.deps.limits;
    await this.deps.limiter.check('upload', actor.userId);
    if (file.size > maxUploadBytes) {
      throw new AppError('BAD_USER_INPUT', `A file is at most ${maxUploadBytes} bytes.`, {
        field: 'file',
        reason: 'FILE_TOO_LARGE',
        limit: maxUploadBytes,
      });
    }
    if (file.size === 0) throw badInput('The file is empty.', 'file', 'EMPTY_FILE');
    const name = cleanFileName(file.name ?? '');
    await this.checkQuota(this.prisma, actor.userId, file.size); // before the work; again under the lock below
    const prepared = await prepareFile(Buffer.from(await file.arrayBuffer()), maxPixels, (work) => this.imageSlot(work));
    const storageKey = randomUUID();
    const thumbnailKey = prepared.thumbnail ? randomUUID() : null;
    try {
      await reachStorage(this.deps.logger, async () => {
        await this.storage.put(storageKey, prepared.bytes, prepared.contentType);
        if (thumbnailKey) await this.storage.put(thumbnailKey, prepared.thumbnail!, THUMBNAIL_TYPE);
      });
      return await this.prisma.$transaction(async (tx) => {
        if (!(await lockUploader(tx, actor.userId))) throw notFound('User');
        await this.checkQuota(tx, actor.userId, prepared.bytes.length);
        return tx.attachment.create({
          data: {
            tenantId: actor.tenantId,
            uploaderId: actor.userId,
            name,
            contentType: prepared.contentType,
            size: prepared.bytes.length,
            width: prepared.width,
            height: prepared.height,
            storageKey,
            thumbnailKey,
          },
        });
      });
    } catch (err) {
      await this.storage
        .delete([storageKey, ...(thumbnailKey ? [thumbnailKey] : [])])
        .catch((error) => this.deps.logger.warn('could not delete the bytes of a refused upload', { error: (error as Error).message }));
      throw err;
    }
  }

  /** Runs image work when one of ATTACHMENT_IMAGE_CONCURRENCY turns is free; refused when the queue is full. */
  private imageSlot<T>(work: () => Promise<T>): Promise<T> {
    const { imageConcurrency, imageQueue } = this.deps.limits;
    if (this.imageWork.activeCount + this.imageWork.pendingCount >= imageConcurrency + imageQueue) {
      throw serviceUnavailable('Too many images are being processed; retry shortly.', 'UPLOADS_BUSY');
    }
    return this.imageWork(work);
  }

  private async checkQuota(client: Pick<PrismaClient, 'attachment'>, userId: string, adding: number): Promise<void> {
    const quota = this.deps.limits.quotaBytes;
    if (quota === 0) return;
    const { _sum } = await client.attachment.aggregate({ where: { uploaderId: userId }, _sum: { size: true } });
    const used = Number(_sum.size ?? 0);
    if (used + adding > quota) {
      throw new AppError(
        'QUOTA_EXCEEDED',
        `Your files would take more than ${quota} bytes (${used} used); delete messages with files first.`,
        {
          reason: 'STORAGE_QUOTA',
          limit: quota,
          used,
        },
      );
    }
  }

  /**
   * The ids the actor may attach to a new message, in the order given: their own uploads not yet sent, at most
   * MAX_ATTACHMENTS, none twice. BAD_USER_INPUT (field attachmentIds; TOO_MANY_ATTACHMENTS, DUPLICATE_ATTACHMENT),
   * else NOT_FOUND (field attachmentIds) when any is unknown, someone else's, another tenant's or already sent.
   */
  async attachable(actor: Actor, ids: string[]): Promise<string[]> {
    if (ids.length > MAX_ATTACHMENTS) {
      throw badInput(`A message carries at most ${MAX_ATTACHMENTS} attachments.`, 'attachmentIds', 'TOO_MANY_ATTACHMENTS');
    }
    if (new Set(ids).size !== ids.length) throw badInput('An attachment is named twice.', 'attachmentIds', 'DUPLICATE_ATTACHMENT');
    if (ids.length === 0) return [];
    const found = await this.prisma.attachment.count({
      where: { id: { in: ids }, tenantId: actor.tenantId, uploaderId: actor.userId, messageId: null, attachedAt: null },
    });
    if (found !== ids.length) {
      throw new AppError('NOT_FOUND', 'An attachment was not found, is not yours, or was already sent.', { field: 'attachmentIds' });
    }
    return ids;
  }

  /** Per message, its attachments in order (one statement for any number of messages). */
  async ofMessages(messageIds: string[]): Promise<Map<string, Attachment[]>> {
    const rows = await this.prisma.attachment.findMany({
      where: { messageId: { in: messageIds } },
      orderBy: [{ messageId: 'asc' }, { position: 'asc' }],
    });
    const out = new Map<string, Attachment[]>();
    for (const row of rows) out.set(row.messageId!, [...(out.get(row.messageId!) ?? []), row]);
    return out;
  }

  /** A signed URL of the attachment (or its thumbnail) for this viewer; see signed-urls.ts. */
  url(attachment: Pick<Attachment, 'id'>, variant: Variant, viewerId: string): string {
    return this.deps.publicUrl().replace(/\/+$/, '') + this.urls.sign(attachment.id, variant, viewerId);
  }

  /**
   * What a valid URL asks for, when its viewer may still read it: a member of the conversation of the attachment's
   * message (not deleted), or its uploader while it is unsent. Null otherwise, and when it is gone.
   */
  async open(grant: UrlGrant): Promise<{ attachment: Attachment; file: StoredFile } | null> {
    const found = await this.readable(grant);
    const file = found && (await this.storage.get(found.key));
    return file ? { attachment: found.attachment, file } : null;
  }

  /** What open() finds, with the size stored but not the bytes (a HEAD request fetches nothing from storage). */
  async stat(grant: UrlGrant): Promise<{ attachment: Attachment; size: number | null } | null> {
    const found = await this.readable(grant);
    const stored = found && (await this.storage.stat(found.key));
    return stored ? { attachment: found.attachment, size: stored.size } : null;
  }

  /** The attachment a grant names and the storage key of its variant, when its viewer may read it (see open). */
  private async readable(grant: UrlGrant): Promise<{ attachment: Attachment; key: string } | null> {
    const attachment = await this.prisma.attachment.findUnique({
      where: { id: grant.attachmentId },
      include: { message: { select: { conversationId: true, deletedAt: true } } },
    });
    if (!attachment) return null;
    const { message, ...row } = attachment;
    if (message) {
      if (message.deletedAt) return null;
      const member = await this.prisma.conversationMember.findUnique({
        where: { conversationId_userId: { conversationId: message.conversationId, userId: grant.userId } },
        select: { userId: true },
      });
      if (!member) return null;
    } else if (row.attachedAt !== null || row.uploaderId !== grant.userId) {
      return null;
    }
    const key = grant.variant === 'thumbnail' ? row.thumbnailKey : row.storageKey;
    return key ? { attachment: row, key } : null;
  }

  /** A message was deleted: its files go (AttachmentCleanup). */
  messageDeleted(messageId: string): Promise<void> {
    return this.cleanup.messageDeleted(messageId);
  }

  /** An account is about to be deleted: its files go first (AttachmentCleanup). */
  accountDeleting(userId: string): Promise<void> {
    return this.cleanup.accountDeleting(userId);
  }

  /** One sweep now (AttachmentCleanup.sweep); returns how many attachments went. */
  sweep(now = Date.now()): Promise<number> {
    return this.cleanup.sweep(now);
  }

  /** Stops the sweeper (waiting for a sweep in progress) and lets go of the storage's connections. */
  async stop(): Promise<void> {
    await this.cleanup.stop();
    this.storage.close();
  }
}
