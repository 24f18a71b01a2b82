// Peer for rows 4 and 5: a raw `ws` server on node:http that keeps its connections and broadcasts what the harness
// asks it to (POST /broadcast with the payload as body).
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/broadcast' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = Buffer.concat(chunks);
      for (const client of wss.clients) client.send(payload);
      res.end(String(wss.clients.size));
    });
    return;
  }
  res.statusCode = 404;
  res.end();
});
const wss = new WebSocketServer({ server });
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
