// The rich history page both rich row-3 peers serve (peers/history-rich-pg.ts, peers/history-rich-yoga.ts): hand-written
// `pg` queries for the newest messages with their quotes, reactions (the viewer's own marked), mentioned members and
// thread summaries, in the JSON shape of Parley's RICH_PAGE.
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const DELETED_USER_NAME = 'Deleted user';

// The page and each message's quote; then, for the page's ids, reactions per emoji and the mentioned members.
const PAGE = `SELECT m.id, CASE WHEN m."deletedAt" IS NULL THEN m.content END AS content, m.sequence, m."createdAt",
    u.id AS "senderId", u.name AS "senderName", m."mentionedIds", m."replyCount", m."lastReplyAt",
    q.id AS "quoteId", CASE WHEN q."deletedAt" IS NULL THEN q.content END AS "quoteContent", qu.name AS "quoteSenderName"
  FROM "Message" m LEFT JOIN "User" u ON u.id = m."senderId"
  LEFT JOIN "Message" q ON q.id = m."replyToId" LEFT JOIN "User" qu ON qu.id = q."senderId"
  WHERE m."conversationId" = $1 AND m."threadRootId" IS NULL ORDER BY m.sequence DESC LIMIT 50`;
const REACTIONS = `SELECT "messageId", emoji, count(*)::int AS count, bool_or("userId" = $2) AS mine
  FROM "Reaction" WHERE "messageId" = ANY($1::text[]) GROUP BY "messageId", emoji ORDER BY "messageId", min("createdAt"), emoji`;
const USERS = 'SELECT id, name FROM "User" WHERE id = ANY($1::text[])';

/** The newest 50 main-history messages of the conversation, oldest first, as `{ node }` edges of RICH_PAGE's JSON. */
export async function richPage(conversationId: string, viewerId: string) {
  const { rows } = await pool.query(PAGE, [conversationId]);
  rows.reverse();
  const ids = rows.map((r) => r.id as string);
  const mentioned = [...new Set(rows.flatMap((r) => r.mentionedIds as string[]))];
  const [reactions, users] = await Promise.all([pool.query(REACTIONS, [ids, viewerId]), pool.query(USERS, [mentioned])]);
  const byMessage = new Map<string, { emoji: string; count: number; reactedByMe: boolean }[]>();
  for (const r of reactions.rows) {
    const list = byMessage.get(r.messageId) ?? [];
    list.push({ emoji: r.emoji, count: r.count, reactedByMe: r.mine });
    byMessage.set(r.messageId, list);
  }
  const names = new Map<string, string>(users.rows.map((u) => [u.id, u.name]));
  return rows.map((r) => ({
    node: {
      id: r.id,
      content: r.content,
      sequence: r.sequence as number,
      createdAt: (r.createdAt as Date).toISOString(),
      sender: r.senderId ? { id: r.senderId, name: r.senderName } : null,
      replyTo: r.quoteId ? { id: r.quoteId, content: r.quoteContent, senderName: r.quoteSenderName ?? DELETED_USER_NAME } : null,
      reactions: byMessage.get(r.id) ?? [],
      mentions: (r.mentionedIds as string[]).filter((id) => names.has(id)).map((id) => ({ id, name: names.get(id) })),
      threadSummary:
        r.replyCount > 0 && r.lastReplyAt ? { replyCount: r.replyCount, lastReplyAt: (r.lastReplyAt as Date).toISOString() } : null,
    },
  }));
}
