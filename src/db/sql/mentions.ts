// Mentions: who a message's @usernames name (an edit resolves them again; a send does it inside
// parley_append_message), and what the viewer reads of their own mentions: unread counts per conversation and the
// newest-first list across conversations.
import { int, type RawClient } from './statement.ts';
import { hiddenMembership } from './conversations.ts';

/**
 * The ids of the conversation's members other than `senderId` whose usernames are among `usernames` (lowercase), in
 * the order of `usernames`: the same rule as parley_append_message.
 */
export async function mentionedMembers(
  prisma: RawClient,
  q: { tenantId: string; conversationId: string; senderId: string; usernames: string[] },
): Promise<string[]> {
  if (q.usernames.length === 0) return [];
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT u.id FROM "User" u
    JOIN "ConversationMember" cm ON cm."userId" = u.id AND cm."conversationId" = ${q.conversationId}
    WHERE u."tenantId" = ${q.tenantId} AND u.username = ANY(${q.usernames}::text[]) AND u.id <> ${q.senderId}
    ORDER BY array_position(${q.usernames}::text[], u.username)`;
  return rows.map((r) => r.id);
}

interface CountRow {
  conversationId: string;
  count: bigint | number;
}

/** Per conversation with any, the messages after the user's read pointer that mention them (deleted ones do not; hidden memberships count none). */
export async function unreadMentionCounts(prisma: RawClient, userId: string, conversationIds: string[]): Promise<Map<string, number>> {
  const rows = await prisma.$queryRaw<CountRow[]>`
    SELECT mm."conversationId", count(*) AS count
    FROM "MessageMention" mm
    JOIN "ConversationMember" cm ON cm."conversationId" = mm."conversationId" AND cm."userId" = mm."userId"
    JOIN "Conversation" c ON c.id = mm."conversationId"
    WHERE mm."userId" = ${userId} AND mm."conversationId" = ANY(${conversationIds}::text[])
      AND mm.sequence > cm."lastReadSequence" AND NOT ${hiddenMembership}
    GROUP BY mm."conversationId"`;
  return new Map(rows.map((r) => [r.conversationId, int(r.count)]));
}

/** Where a page of mentions starts: after the mention of this message at this time. */
export interface MentionCursor {
  at: Date;
  messageId: string;
}

export interface MentionRow {
  messageId: string;
  createdAt: Date;
}

/**
 * A page of the messages that mention the user, newest first, in the conversations they are still a member of
 * (a deleted message's mention is gone with its content).
 */
export async function mentionPage(
  prisma: RawClient,
  q: { tenantId: string; userId: string; after: MentionCursor | null; take: number },
): Promise<MentionRow[]> {
  const at = q.after ? q.after.at.toISOString().slice(0, -1) : null;
  return prisma.$queryRaw<MentionRow[]>`
    SELECT mm."messageId", mm."createdAt"
    FROM "MessageMention" mm
    JOIN "ConversationMember" cm ON cm."conversationId" = mm."conversationId" AND cm."userId" = mm."userId"
    JOIN "Conversation" c ON c.id = mm."conversationId" AND c."tenantId" = ${q.tenantId}
    WHERE mm."userId" = ${q.userId}
      AND (${at}::timestamp(3) IS NULL OR (mm."createdAt", mm."messageId") < (${at}::timestamp(3), ${q.after?.messageId ?? null}::text))
    ORDER BY mm."createdAt" DESC, mm."messageId" DESC
    LIMIT ${q.take}`;
}
