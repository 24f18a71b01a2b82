// Floor for row 10: what the image work alone costs. POST /upload with the file's bytes as the body: Parley's own
// preparation (src/attachments/files.ts prepareFile: sniffing, the pixel check, re-encoding without metadata, a
// thumbnail) and then both files written, on node:http with no GraphQL, session, quota or database.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareFile } from '../../src/attachments/files.ts';

const dir = process.env.UPLOAD_DIR!;
const MAX_PIXELS = 50_000_000;

const server = createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const id = randomUUID();
      const file = await prepareFile(Buffer.concat(chunks), MAX_PIXELS);
      await writeFile(join(dir, id), file.bytes, { mode: 0o600 });
      if (file.thumbnail) await writeFile(join(dir, `${id}.thumb`), file.thumbnail, { mode: 0o600 });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id, size: file.bytes.length, width: file.width, height: file.height }));
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
});
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
