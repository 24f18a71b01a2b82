// Peer for row 3: the same 50-message page with senders, and the same JSON, served by one hand-written `pg` query
// on node:http (no GraphQL, no session check). POST /history with the conversation id as the body.
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const SQL = `SELECT m.id, m.content, m.sequence, m."createdAt", u.id AS "senderId", u.name AS "senderName"
  FROM "Message" m LEFT JOIN "User" u ON u.id = m."senderId"
  WHERE m."conversationId" = $1 ORDER BY m.sequence DESC LIMIT 50`;

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const { rows } = await pool.query(SQL, [Buffer.concat(chunks).toString()]);
      const edges = rows.reverse().map((r) => ({
        node: {
          id: r.id,
          content: r.content,
          sequence: r.sequence,
          createdAt: (r.createdAt as Date).toISOString(),
          sender: r.senderId ? { id: r.senderId, name: r.senderName } : null,
        },
      }));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: { messages: { edges } } }));
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
});
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
