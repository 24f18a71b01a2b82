// Peer for row 3's rich page: the same 50 messages with what a chat client shows beside each (the quoted message,
// reactions with the viewer's own marked, mentioned members, thread summaries), and the same JSON as Parley's
// RICH_PAGE, from hand-written `pg` queries (peers/history-rich-rows.ts) on node:http (no GraphQL, no session check).
// POST /history with `{ "conversationId", "viewerId" }` as the body.
import { createServer } from 'node:http';
import { richPage } from './history-rich-rows.ts';

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
