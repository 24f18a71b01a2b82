// Conversations: the row lock membership changes and read pointers take first, and the per-page lookups the
// conversation type batches (unread counts, each conversation's latest message).
import { Prisma } from '../../generated/prisma/client.ts';
import { int, type RawClient } from './statement.ts';

/**
 * Locks the conversation row until the transaction ends: the lock every writer of a conversation takes first (the
 * sequence update of takeSequences takes the same one), so changes to one conversation apply one after another.
 */
export async function lockConversation(tx: RawClient, conversationId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM "Conversation" WHERE id = ${conversationId} FOR UPDATE`;
}

/**
 * Locks every conversation the user is a member of, in id order: before deleting the account, whose memberships'
 * removal updates each conversation's member count (parley_count_members), so it takes those locks first, in the order
 * every other writer of several would, instead of after the user's row (which a send or an add of the user waits on).
 */
export async function lockConversationsOf(tx: RawClient, userId: string): Promise<void> {
  await tx.$queryRaw`SELECT c.id FROM "Conversation" c JOIN "ConversationMember" cm ON cm."conversationId" = c.id
    WHERE cm."userId" = ${userId} ORDER BY c.id FOR UPDATE OF c`;
}

interface UnreadRow {
  conversationId: string;
  unread: bigint | number;
}

export const decodeUnread = (r: UnreadRow): [conversationId: string, unread: number] => [r.conversationId, int(r.unread)];

/**
 * Whether message `m` (its thread root joined as `root`, if any) counts as unread for the user once past their read
 * pointer: someone else sent it, someone the user does not block, it is not deleted, and it is in the main history
 * or concerns the user (it mentions them, or answers a thread they started or wrote in).
 */
export const unreadFor = (userId: string) => Prisma.sql`m."senderId" IS DISTINCT FROM ${userId} AND m."deletedAt" IS NULL
  AND (m."threadRootId" IS NULL OR ${userId} = ANY(m."mentionedIds")
       OR root."senderId" = ${userId} OR ${userId} = ANY(root."threadParticipantIds"))
  AND NOT EXISTS (SELECT 1 FROM "Block" b WHERE b."blockerId" = ${userId} AND b."blockedId" = m."senderId")`;

/**
 * Whether the user's membership `cm` of conversation `c` is out of their conversation list and unread counts: a
 * message request they have not accepted, or a DIRECT conversation with someone they block.
 */
export const hiddenMembership = Prisma.sql`(cm."requestedAt" IS NOT NULL OR (c.kind = 'DIRECT' AND EXISTS (
  SELECT 1 FROM "ConversationMember" o JOIN "Block" b ON b."blockedId" = o."userId" AND b."blockerId" = cm."userId"
  WHERE o."conversationId" = c.id AND o."userId" <> cm."userId")))`;

/**
 * Per conversation with any, the messages others sent after the user's read pointer (deleted ones do not count). A
 * thread reply counts only for those it concerns: it mentions the user, or answers a thread the user started or
 * wrote in. A hidden membership (a message request, a DIRECT conversation with someone blocked) counts none.
 */
export async function unreadCounts(prisma: RawClient, userId: string, conversationIds: string[]): Promise<Map<string, number>> {
  const rows = await prisma.$queryRaw<UnreadRow[]>`
    SELECT m."conversationId", count(*) AS unread
    FROM "Message" m
    JOIN "ConversationMember" cm ON cm."conversationId" = m."conversationId" AND cm."userId" = ${userId}
    JOIN "Conversation" c ON c.id = m."conversationId"
    LEFT JOIN "Message" root ON root.id = m."threadRootId"
    WHERE m."conversationId" = ANY(${conversationIds}::text[])
      AND m.sequence > cm."lastReadSequence"
      AND ${unreadFor(userId)} AND NOT ${hiddenMembership}
    GROUP BY m."conversationId"`;
  return new Map(rows.map(decodeUnread));
}

interface LastMessageRow {
  conversationId: string;
  id: string;
}

export const decodeLastMessage = (r: LastMessageRow): [conversationId: string, messageId: string] => [r.conversationId, r.id];

/** Per conversation with any, the id of its latest message in the main history (a tombstone counts; thread replies do not). */
export async function lastMessageIds(prisma: RawClient, conversationIds: string[]): Promise<Map<string, string>> {
  const rows = await prisma.$queryRaw<LastMessageRow[]>`
    SELECT DISTINCT ON ("conversationId") "conversationId", id FROM "Message"
    WHERE "conversationId" = ANY(${conversationIds}::text[]) AND "threadRootId" IS NULL ORDER BY "conversationId", sequence DESC`;
  return new Map(rows.map(decodeLastMessage));
}

/** Where a page of the conversation list starts: after this conversation, pinned or by activity. */
export interface ListCursor {
  pinned: boolean;
  /** The conversation's pinnedAt (pinned) or its activity time (lastMessageAt, else createdAt). */
  at: Date;
  id: string;
}

export interface ListRow {
  id: string;
  /** When the viewer pinned it, or null. */
  pinnedAt: Date | null;
  /** Its last message's time, or its creation time before any. */
  activeAt: Date;
}

/** A timestamp(3) column's value as the UTC wall time it holds. */
const wallTime = (d: Date) => d.toISOString().slice(0, -1);

/**
 * A page of a member's conversations: archived ones or the others, the ones they pinned first (most recently pinned
 * first), then by activity, newest first. A conversation counts as archived while it was archived (archivedAt) and
 * no message came after that, or while it is muted: a new message brings an archived conversation back unless muted.
 * Hidden memberships (message requests, DIRECT conversations with someone blocked) are in neither list.
 */
export async function conversationList(
  prisma: RawClient,
  q: { tenantId: string; userId: string; archived: boolean; after: ListCursor | null; take: number },
): Promise<ListRow[]> {
  const after = q.after;
  const kind = after ? (after.pinned ? 'pinned' : 'active') : null;
  const at = after ? wallTime(after.at) : null;
  return prisma.$queryRaw<ListRow[]>`
    SELECT c.id, cm."pinnedAt", COALESCE(c."lastMessageAt", c."createdAt") AS "activeAt"
    FROM "ConversationMember" cm
    JOIN "Conversation" c ON c.id = cm."conversationId"
    WHERE cm."userId" = ${q.userId} AND c."tenantId" = ${q.tenantId}
      AND (cm."archivedAt" IS NOT NULL AND (cm.muted OR COALESCE(c."lastMessageAt", c."createdAt") <= cm."archivedAt")) = ${q.archived}
      AND NOT ${hiddenMembership}
      AND (${kind}::text IS NULL
        OR (${kind} = 'pinned' AND (cm."pinnedAt" IS NULL OR (cm."pinnedAt", c.id) < (${at}::timestamp(3), ${after?.id ?? null}::text)))
        OR (${kind} = 'active' AND cm."pinnedAt" IS NULL
            AND (COALESCE(c."lastMessageAt", c."createdAt"), c.id) < (${at}::timestamp(3), ${after?.id ?? null}::text)))
    ORDER BY cm."pinnedAt" IS NULL, cm."pinnedAt" DESC, COALESCE(c."lastMessageAt", c."createdAt") DESC, c.id DESC
    LIMIT ${q.take}`;
}
