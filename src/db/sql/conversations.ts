// Conversations: the row lock membership changes and read pointers take first, and the per-page lookups the
// conversation type batches (unread counts, each conversation's latest message).
import { int, type RawClient } from './statement.ts';

/**
 * Locks the conversation row until the transaction ends: the lock every writer of a conversation takes first (the
 * sequence update of takeSequences takes the same one), so changes to one conversation apply one after another.
 */
export async function lockConversation(tx: RawClient, conversationId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Conversation" WHERE id = ${conversationId} FOR UPDATE`;
}

interface UnreadRow {
  conversationId: string;
  unread: bigint | number;
}

export const decodeUnread = (r: UnreadRow): [conversationId: string, unread: number] => [r.conversationId, int(r.unread)];

/** Per conversation with any, the messages others sent after the user's read pointer (deleted ones do not count). */
export async function unreadCounts(prisma: RawClient, userId: string, conversationIds: string[]): Promise<Map<string, number>> {
  const rows = await prisma.$queryRaw<UnreadRow[]>`
    SELECT m."conversationId", count(*) AS unread
    FROM "Message" m
    JOIN "ConversationMember" cm ON cm."conversationId" = m."conversationId" AND cm."userId" = ${userId}
    WHERE m."conversationId" = ANY(${conversationIds}::text[])
      AND m.sequence > cm."lastReadSequence"
      AND m."deletedAt" IS NULL
      AND m."senderId" IS DISTINCT FROM ${userId}
    GROUP BY m."conversationId"`;
  return new Map(rows.map(decodeUnread));
}

interface LastMessageRow {
  conversationId: string;
  id: string;
}

export const decodeLastMessage = (r: LastMessageRow): [conversationId: string, messageId: string] => [r.conversationId, r.id];

/** Per conversation with any, the id of its latest message (a tombstone counts). */
export async function lastMessageIds(prisma: RawClient, conversationIds: string[]): Promise<Map<string, string>> {
  const rows = await prisma.$queryRaw<LastMessageRow[]>`
    SELECT DISTINCT ON ("conversationId") "conversationId", id FROM "Message"
    WHERE "conversationId" = ANY(${conversationIds}::text[]) ORDER BY "conversationId", sequence DESC`;
  return new Map(rows.map(decodeLastMessage));
}
