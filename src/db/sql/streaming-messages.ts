// The statements of a message written while it streams (an assistant's answer in a conversation): storing it with its
// MESSAGE_ADDED (one statement, as a send), and at its end its final text, inside the transaction that stores its
// MESSAGE_COMPLETED (messaging/streaming-messages.ts).
import type { Message, MessageStatus } from '../../generated/prisma/client.ts';
import { decodeMessage, MESSAGE_SELECT } from './messages.ts';
import { decoded, type RawClient, type SqlQuery } from './statement.ts';

export interface StreamingDraft {
  messageId: string;
  eventId: string;
  tenantId: string;
  conversationId: string;
  senderId: string;
  /** The message it quotes, of the same conversation (the caller's to check). */
  replyToId: string | null;
  /** The thread it answers in; the root's counters move, and a root gone meanwhile leaves it in the main history. */
  threadRootId: string | null;
  now: Date;
}

/**
 * Stores an empty STREAMING message and its MESSAGE_ADDED in one statement, as a send does (parley_append_message):
 * the conversation's next sequence (its row lock first, as every writer takes it), lastMessageAt, a thread root's
 * counters, the message and the event. Null, with nothing written, when the conversation is gone, of another tenant,
 * or has the assistant turned off.
 */
export async function appendStreamingMessage(query: SqlQuery, d: StreamingDraft): Promise<Message | null> {
  const rows = await decoded(
    query,
    `WITH conv AS (
       UPDATE "Conversation"
          SET "lastSequence" = "lastSequence" + 1, "updatedAt" = now(),
              "lastMessageAt" = GREATEST(COALESCE("lastMessageAt", $6::timestamp(3)), $6::timestamp(3))
        WHERE id = $3 AND "tenantId" = $2 AND "assistantEnabled"
       RETURNING "lastSequence" AS seq, "lastMessageAt" AS at),
     root AS (
       UPDATE "Message"
          SET "replyCount" = "replyCount" + 1, "lastReplyAt" = (SELECT at FROM conv),
              "threadParticipantIds" = CASE WHEN $4 = ANY("threadParticipantIds") THEN "threadParticipantIds"
                                            ELSE array_append("threadParticipantIds", $4) END
        WHERE id = $8 AND "conversationId" = $3 AND "threadRootId" IS NULL
          AND ("deletedAt" IS NULL OR "replyCount" > 0) AND EXISTS (SELECT 1 FROM conv)
       RETURNING id),
     msg AS (
       INSERT INTO "Message" (id, "tenantId", "conversationId", "senderId", sequence, content, "createdAt", "replyToId",
                              "threadRootId", status)
       SELECT $1, $2, $3, $4, conv.seq, '', conv.at, $7, (SELECT id FROM root), 'STREAMING' FROM conv
       RETURNING *),
     ev AS (
       INSERT INTO "ConversationEvent" (id, "conversationId", sequence, type, "messageId", "userId", "createdAt")
       SELECT $5, $3, seq, 'MESSAGE_ADDED', $1, $4, at FROM conv)
     SELECT ${MESSAGE_SELECT} FROM msg`,
    [d.messageId, d.tenantId, d.conversationId, d.senderId, d.eventId, d.now.toISOString().slice(0, -1), d.replyToId, d.threadRootId],
    decodeMessage,
  );
  return rows[0] ?? null;
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
