// Peer for row 3: the same 50-message page with senders, and the same JSON, served by one hand-written `pg` query
// on node:http (no GraphQL, no session check). POST /history with the conversation id as the body.
import { createServer } from 'node:http';
import { historyEdges } from './history-rows.ts';

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const edges = await historyEdges(Buffer.concat(chunks).toString(), 50);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: { messages: { edges } } }));
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
});
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
