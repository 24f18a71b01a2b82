// The history page both row-3 peers serve (peers/history-pg.ts, peers/history-yoga.ts): one hand-written `pg`
// query for the newest messages with their senders, in the JSON shape Parley's page has.
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const SQL = `SELECT m.id, m.content, m.sequence, m."createdAt", u.id AS "senderId", u.name AS "senderName"
  FROM "Message" m LEFT JOIN "User" u ON u.id = m."senderId"
  WHERE m."conversationId" = $1 ORDER BY m.sequence DESC LIMIT $2`;

/** The newest `last` messages of the conversation, oldest first, as `{ node }` edges. */
export async function historyEdges(conversationId: string, last: number) {
  const { rows } = await pool.query(SQL, [conversationId, last]);
  return rows.reverse().map((r) => ({
    node: {
      id: r.id,
      content: r.content,
      sequence: r.sequence as number,
      createdAt: (r.createdAt as Date).toISOString(),
      sender: r.senderId ? { id: r.senderId, name: r.senderName } : null,
    },
  }));
}
