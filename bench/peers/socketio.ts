// Second peer for row 4: Socket.IO 4.8 as a chat server would use it, every subscriber in one room, websocket
// transport only, the default in-memory adapter (which encodes a broadcast once and hands each socket the same
// pre-framed WebSocket frame). POST /broadcast emits the body (Parley's graphql-ws frame, JSON) to the room as one
// `message` event and answers how many sockets the room held.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const ROOM = 'fanout';

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/broadcast' && req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Emitted as the object it encodes, as an app emits its data: on the wire `42["message",<the same JSON>]`.
      io.to(ROOM).emit('message', JSON.parse(Buffer.concat(chunks).toString()));
      res.end(String(io.of('/').adapter.rooms.get(ROOM)?.size ?? 0));
    });
    return;
  }
  res.statusCode = 404;
  res.end();
});
// Socket.IO answers only under its own path (/socket.io/); /health and /broadcast reach the handler above.
const io = new Server(server, { transports: ['websocket'], serveClient: false });
io.on('connection', (socket) => void socket.join(ROOM));
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
