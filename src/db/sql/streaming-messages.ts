// The statements of a message written while it streams (an assistant's answer in a conversation): taking its place
// (the sequence, the conversation's lastMessageAt and, in a thread, the root's counters) and, at its end, its final
// text. Both run inside the transaction that stores the message's event (messaging/streaming-messages.ts).
import type { MessageStatus } from '../../generated/prisma/client.ts';
import { decodeFirstSequence } from './events.ts';
import { int, type RawClient } from './statement.ts';

export interface StreamingPlace {
  sequence: number;
  at: Date;
  /** The thread root it answers in, when it was still there; null: the main history. */
  threadRootId: string | null;
}

/**
 * Takes the next sequence of a conversation of the tenant where the assistant may answer (row-locked until commit),
 * moves lastMessageAt as a send does, and counts a thread reply on its root. Null when the conversation is gone,
 * of another tenant, or has the assistant turned off.
 */
export async function takeStreamingPlace(
  tx: RawClient,
  p: { tenantId: string; conversationId: string; senderId: string; threadRootId: string | null; now: Date },
): Promise<StreamingPlace | null> {
  const rows = await tx.$queryRaw<{ last: number | bigint; at: Date }[]>`
    UPDATE "Conversation"
       SET "lastSequence" = "lastSequence" + 1, "updatedAt" = now(),
           "lastMessageAt" = GREATEST(COALESCE("lastMessageAt", ${p.now}::timestamp(3)), ${p.now}::timestamp(3))
     WHERE id = ${p.conversationId} AND "tenantId" = ${p.tenantId} AND "assistantEnabled"
    RETURNING "lastSequence" AS last, "lastMessageAt" AS at`;
  if (!rows[0]) return null;
  const sequence = decodeFirstSequence(rows, p.conversationId, 1);
  const at = rows[0].at;
  if (!p.threadRootId) return { sequence, at, threadRootId: null };
  const roots = await tx.$queryRaw<{ id: string }[]>`
    UPDATE "Message"
       SET "replyCount" = "replyCount" + 1, "lastReplyAt" = ${at}::timestamp(3),
           "threadParticipantIds" = CASE WHEN ${p.senderId} = ANY("threadParticipantIds") THEN "threadParticipantIds"
                                         ELSE array_append("threadParticipantIds", ${p.senderId}) END
     WHERE id = ${p.threadRootId} AND "conversationId" = ${p.conversationId} AND "threadRootId" IS NULL
       AND ("deletedAt" IS NULL OR "replyCount" > 0)
    RETURNING id`;
  return { sequence: int(sequence), at, threadRootId: roots[0]?.id ?? null };
}

/**
 * Writes a streaming message's final text and status, once; false when it is gone or no longer streaming (deleted
 * meanwhile, or ended by another path).
 */
export async function finishStreamingMessage(
  tx: RawClient,
  p: { messageId: string; content: string; status: Exclude<MessageStatus, 'STREAMING'> },
): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    UPDATE "Message" SET content = ${p.content}, status = ${p.status}::"MessageStatus"
     WHERE id = ${p.messageId} AND status = 'STREAMING' AND "deletedAt" IS NULL
    RETURNING id`;
  return rows.length > 0;
}
