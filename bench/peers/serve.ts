// What row 3's peers share: a node:http server on PORT that answers /health, and either a POST whose body becomes a
// `{ data: { messages: { edges } } }` answer (the pg peers) or everything else handed to a graphql-yoga (the floors).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

function listen(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  createServer((req, res) => (req.url === '/health' ? res.end('ok') : handle(req, res))).listen(
    Number(process.env.PORT),
    process.env.HOST ?? '127.0.0.1',
  );
}

/** Answers each POST with the edges `page` makes of its body, as Parley's history page JSON. */
export function serveHistory(page: (body: string) => Promise<unknown[]>) {
  listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const edges = await page(Buffer.concat(chunks).toString());
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { messages: { edges } } }));
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
    });
  });
}

/** Hands every request to `yoga`. */
export function serveYoga(yoga: (req: IncomingMessage, res: ServerResponse) => unknown) {
  listen((req, res) => void yoga(req, res));
}
