// Attachments in tests: uploads as a browser or Apollo's upload link sends them (fetch with FormData, the GraphQL
// multipart request spec), images made with sharp (one with EXIF GPS and an orientation, a decompression bomb), and a
// private s3rver on a free port.
import { deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { TestServer } from './server.ts';

export const UPLOAD = `mutation Upload($file: File!) { uploadAttachment(file: $file) { id name contentType size width height url thumbnailUrl } }`;

export interface UploadedAttachment {
  id: string;
  name: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  url: string;
  thumbnailUrl: string | null;
}

export interface UploadResult {
  status: number;
  data?: { uploadAttachment: UploadedAttachment } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** POSTs `bytes` as the file of uploadAttachment, multipart, with a bearer token unless `token` is null. */
export async function upload(
  s: TestServer,
  token: string | null,
  bytes: Uint8Array,
  name = 'file.bin',
  opts: { type?: string; headers?: Record<string, string>; clientId?: string } = {},
): Promise<UploadResult> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: UPLOAD, variables: { file: null } }));
  form.set('map', JSON.stringify({ 0: ['variables.file'] }));
  form.set('0', new Blob([new Uint8Array(bytes)], { type: opts.type ?? 'application/octet-stream' }), name);
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(opts.clientId ? { 'x-client-id': opts.clientId } : {}),
      ...opts.headers,
    },
    body: form,
  });
  return { status: res.status, ...((await res.json()) as object) };
}

/** uploadAttachment's answer, or a thrown error with the GraphQL errors. */
export async function uploaded(s: TestServer, token: string, bytes: Uint8Array, name?: string, clientId?: string) {
  const result = await upload(s, token, bytes, name, { clientId });
  if (!result.data?.uploadAttachment) throw new Error(`upload failed: ${result.status} ${JSON.stringify(result.errors)}`);
  return result.data.uploadAttachment;
}

type Errors = { errors?: readonly { extensions?: Record<string, unknown> }[] };
export const codeOf = (r: Errors) => r.errors?.[0]?.extensions?.code;
export const reasonOf = (r: Errors) => r.errors?.[0]?.extensions?.reason;

/**
 * A JPEG photo with the EXIF a phone writes: GPS position, camera, and orientation 6 (stored on its side: shown
 * upright, it is `height` wide and `width` high).
 */
export function photoWithGps(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'Parley Phone', Model: 'Test' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 30/1', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 40/1' },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** Whether an image's EXIF (read back with sharp) points to a GPS directory (tag 0x8825, either byte order). */
export async function hasGps(image: Buffer): Promise<boolean> {
  const { exif } = await sharp(image).metadata();
  if (!exif) return false;
  const littleEndian = exif.includes(Buffer.from('II*\0', 'latin1'));
  return exif.includes(Buffer.from(littleEndian ? [0x25, 0x88] : [0x88, 0x25]));
}

export const png = (width = 40, height = 30) =>
  sharp({ create: { width, height, channels: 4, background: { r: 0, g: 120, b: 255, alpha: 1 } } })
    .png()
    .toBuffer();

/** A small PNG whose header declares `width` × `height` pixels (a decompression bomb: the pixels never come). */
export function declaredPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** GET `url` (absolute, as the API gives it): status, headers and bytes. */
export async function download(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** A private s3rver on a free port with one bucket; `env` points Parley at it. */
export async function startS3(bucket = 'parley-test') {
  // s3rver (CommonJS) ships no types; its constructor and run()/close() are all the tests use.
  const S3rver = createRequire(import.meta.url)('s3rver') as new (o: Record<string, unknown>) => {
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  };
  const directory = await mkdtemp(join(tmpdir(), 'parley-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const address = await server.run();
  let stopped = false;
  return {
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: `http://127.0.0.1:${address.port}`,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    /** Stops the server (once; later calls do nothing) and removes its files. */
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A DATA_DIR of its own for a server's local attachment storage; `remove()` when done. */
export async function dataDir() {
  const dir = await mkdtemp(join(tmpdir(), 'parley-attachments-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
