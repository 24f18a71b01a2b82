// Peer for row 3's rich page: the same 50 messages with what a chat client shows beside each (the quoted message,
// reactions with the viewer's own marked, mentioned members, thread summaries), and the same JSON as Parley's
// RICH_PAGE, from hand-written `pg` queries on node:http (no GraphQL, no session check). POST /history with
// `{ "conversationId", "viewerId" }` as the body.
import { createServer } from 'node:http';
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

async function richPage(conversationId: string, viewerId: string) {
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

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const { conversationId, viewerId } = JSON.parse(Buffer.concat(chunks).toString());
      const edges = await richPage(conversationId, viewerId);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: { messages: { edges } } }));
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
});
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
