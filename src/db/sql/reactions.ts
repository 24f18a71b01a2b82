// Reactions: per message, each emoji's count, whether the viewer is among them, and the first reactors; one statement
// for a whole page of messages (Message.reactions batches them).
import { int, type RawClient } from './statement.ts';

interface ReactionRow {
  messageId: string;
  emoji: string;
  count: bigint | number;
  mine: boolean;
  userIds: string[];
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  /** Whether the viewer reacted with this emoji. */
  mine: boolean;
  /** The first reactors, in the order they reacted (at most `users` of the query). */
  userIds: string[];
}

/**
 * Per message with any, its reactions by emoji, ordered by each emoji's oldest reaction, with the viewer's part and up
 * to `users` reactors (oldest first) of each.
 */
export async function reactionSummaries(
  prisma: RawClient,
  viewerId: string,
  messageIds: string[],
  users: number,
): Promise<Map<string, ReactionSummary[]>> {
  const rows = await prisma.$queryRaw<ReactionRow[]>`
    SELECT "messageId", emoji, count(*) AS count, bool_or("userId" = ${viewerId}) AS mine,
           (array_agg("userId" ORDER BY "createdAt", "userId"))[1:${users}] AS "userIds"
    FROM "Reaction"
    WHERE "messageId" = ANY(${messageIds}::text[])
    GROUP BY "messageId", emoji
    ORDER BY "messageId", min("createdAt"), emoji`;
  const out = new Map<string, ReactionSummary[]>();
  for (const r of rows) {
    const list = out.get(r.messageId) ?? [];
    list.push({ emoji: r.emoji, count: int(r.count), mine: r.mine, userIds: r.userIds });
    out.set(r.messageId, list);
  }
  return out;
}
