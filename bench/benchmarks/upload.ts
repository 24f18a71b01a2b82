// Row 10: uploadAttachment of a 1 MB JPEG (3 megapixels) through Parley's whole stack (multipart GraphQL, session,
// quota, sniffing, re-encoding without metadata, a thumbnail, storage under DATA_DIR, the row) against a plain write
// of the same bytes (peers/upload-plain.ts), with the image work alone on node:http as the floor
// (peers/upload-sharp.ts, Parley's own prepareFile).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Benchmark } from './index.ts';
import { startParley, startPeer, using } from '../lib/proc.ts';
import { alternate, type HttpJob } from '../lib/load.ts';
import { compare } from '../lib/results.ts';
import { signUp } from '../lib/gql.ts';
import { ROUNDS } from './http-typename.ts';

/** Few connections: each request is tens of milliseconds of image work, and more would only queue. */
const CONNECTIONS = 4;
const TIMING = (quick: boolean) => ({ warmup: quick ? 1 : 3, duration: quick ? 3 : 10 });
const WIDTH = 2000;
const HEIGHT = 1500;

/** A photo-like 3-megapixel JPEG of about 1 MB: gradients under fine noise, at quality 88. */
async function photo(): Promise<Buffer> {
  const raw = Buffer.alloc(WIDTH * HEIGHT * 3);
  let seed = 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 40;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      const n = noise();
      raw[i] = (x / WIDTH) * 200 + n;
      raw[i + 1] = (y / HEIGHT) * 200 + n;
      raw[i + 2] = ((x + y) / (WIDTH + HEIGHT)) * 255 - n / 2;
    }
  }
  return sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

/** The GraphQL multipart request (operations, map, the file) that uploads `bytes` as photo.jpg. */
function multipart(bytes: Buffer): { body: Buffer; contentType: string } {
  const boundary = '----parleybench7d93';
  const part = (headers: string, content: Buffer | string) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(content), Buffer.from('\r\n')]);
  const operations = JSON.stringify({
    query: 'mutation($file: File!) { uploadAttachment(file: $file) { id size width height } }',
    variables: { file: null },
  });
  const body = Buffer.concat([
    part('Content-Disposition: form-data; name="operations"', operations),
    part('Content-Disposition: form-data; name="map"', JSON.stringify({ 0: ['variables.file'] })),
    part('Content-Disposition: form-data; name="0"; filename="photo.jpg"\r\nContent-Type: image/jpeg', bytes),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

export const upload: Benchmark = {
  name: 'upload',
  row: '10',
  title: 'Row 10: uploadAttachment of a 1 MB JPEG with its thumbnail vs a plain write of the same bytes',
  async run({ quick }) {
    const work = await mkdtemp(join(tmpdir(), 'parley-bench-upload-'));
    try {
      const jpeg = await photo();
      const { body, contentType } = multipart(jpeg);
      const [multipartFile, jpegFile] = [join(work, 'upload.multipart'), join(work, 'photo.jpg')];
      await writeFile(multipartFile, body);
      await writeFile(jpegFile, jpeg);
      const [plainDir, floorDir] = [await mkdtemp(join(work, 'plain-')), await mkdtemp(join(work, 'floor-'))];
      const timing = TIMING(quick);
      const raw = (url: string, name: string): HttpJob => ({
        name,
        url: `${url}/upload`,
        bodyFile: jpegFile,
        headers: { 'content-type': 'image/jpeg' },
        connections: CONNECTIONS,
        ...timing,
      });
      const [ours, plain, floor, sample] = await using(
        // No quota or per-user rate limit in the way of a benchmark's thousands of uploads from one user.
        () => startParley({ env: { ATTACHMENT_QUOTA_BYTES: '0', RATE_LIMIT_UPLOAD: 'off' } }),
        async (p) => {
          const user = await signUp(p.url);
          const jobOurs: HttpJob = {
            name: 'parley',
            url: `${p.url}/graphql`,
            bodyFile: multipartFile,
            headers: { 'content-type': contentType, authorization: `Bearer ${user.token}` },
            connections: CONNECTIONS,
            ...timing,
          };
          const answer = await fetch(jobOurs.url, { method: 'POST', headers: jobOurs.headers, body: new Uint8Array(body) }).then((r) =>
            r.text(),
          );
          return using(
            () => startPeer('upload-plain.ts', { env: { UPLOAD_DIR: plainDir } }),
            (plainProc) =>
              using(
                () => startPeer('upload-sharp.ts', { env: { UPLOAD_DIR: floorDir } }),
                async (floorProc) => {
                  const sides = await alternate(
                    [
                      { job: jobOurs, server: p },
                      { job: raw(plainProc.url, 'plain write'), server: plainProc },
                      { job: raw(floorProc.url, 'image work alone'), server: floorProc },
                    ],
                    ROUNDS(quick),
                  );
                  // An upload after the load must still be stored: a refusal (answered 200 with errors) would
                  // have been counted as an upload.
                  const after = await fetch(jobOurs.url, { method: 'POST', headers: jobOurs.headers, body: new Uint8Array(body) }).then(
                    (r) => r.text(),
                  );
                  return [...sides, answer + after] as const;
                },
              ),
          );
        },
      );
      const ok = (sample.match(/"width":2000,"height":1500/g) ?? []).length === 2 && !sample.includes('"errors"');
      return {
        title: this.title,
        lines: [
          compare('uploads/s', ours.rps, plain.rps, undefined, 1),
          compare('p50 ms', ours.latency.p50, plain.latency.p50),
          compare('p99 ms', ours.latency.p99, plain.latency.p99),
          compare('server CPU µs per upload', ours.cpuUsPerRequest!, plain.cpuUsPerRequest!, undefined, 0),
          compare('floor: the image work alone, uploads/s', floor.rps, plain.rps, undefined, 1),
          compare('Parley vs the floor, uploads/s', ours.rps, floor.rps, ['>=', 0.8], 1),
          compare('Parley vs the floor, server CPU µs per upload', ours.cpuUsPerRequest!, floor.cpuUsPerRequest!, undefined, 0),
        ],
        notes: [
          `A ${WIDTH}x${HEIGHT} JPEG of ${jpeg.length} bytes (${body.length} bytes as a multipart request); Parley's answers before and after the load ${ok ? 'gave its size' : `were unexpected: ${sample.slice(0, 300)}`}.`,
          `${CONNECTIONS} connections, closed loop, ${timing.warmup} s warm-up + ${timing.duration} s measured per round, best of ${ROUNDS(quick)} alternating round(s) per side; errors/non-2xx: Parley ${ours.errors}/${ours.non2xx}, plain ${plain.errors}/${plain.non2xx}, floor ${floor.errors}/${floor.non2xx}.`,
          "Plain write (peers/upload-plain.ts): node:http writing the body to a file. Floor (peers/upload-sharp.ts): node:http running Parley's prepareFile (sniffing, pixel check, re-encoding without metadata, the 320 px WebP thumbnail) and writing both files: the image work is most of an upload, so the target is against it.",
        ],
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};
