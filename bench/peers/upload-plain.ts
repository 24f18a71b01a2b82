// Peer for row 10: a plain write of an upload. POST /upload with the file's bytes as the body: they are written
// whole to a new file under UPLOAD_DIR and the answer names it. No parsing, checks or image work.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const dir = process.env.UPLOAD_DIR!;

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const id = randomUUID();
      const bytes = Buffer.concat(chunks);
      await writeFile(join(dir, id), bytes, { mode: 0o600 });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id, size: bytes.length }));
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
});
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
