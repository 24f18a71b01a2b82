// Attachments: the row lock that makes a user's storage quota hold when uploads race (AttachmentService.upload).
import type { RawClient } from './statement.ts';

/**
 * Locks the uploader's User row until the transaction ends, so their uploads check the quota and insert one at a time
 * (FOR NO KEY UPDATE: rows that merely reference the user, as messages and sessions, are not held up). False when the
 * user is gone.
 */
export async function lockUploader(tx: RawClient, userId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "User" WHERE id = ${userId} FOR NO KEY UPDATE`;
  return rows.length > 0;
}
