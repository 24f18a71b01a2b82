// Where attachment bytes live: one small interface, a local directory (local-storage.ts) or an S3-compatible bucket
// (s3-storage.ts). Keys are random ids made by AttachmentService, never derived from a file's name.
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../config.ts';
import { LocalStorage } from './local-storage.ts';
import { S3Storage } from './s3-storage.ts';

/** How many bytes are stored under a key; null when the store did not say (then no Content-Length is sent). */
export interface StoredSize {
  size: number | null;
}

/** Bytes read back: a stream to pipe (destroy it to stop reading) and how many bytes it holds. */
export interface StoredFile extends StoredSize {
  body: Readable;
}

export interface AttachmentStorage {
  /** Stores `bytes` under `key` whole (a reader never sees part of them). */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The bytes under `key`, or null when there are none. */
  get(key: string): Promise<StoredFile | null>;
  /** Whether anything is stored under `key`. */
  has(key: string): Promise<boolean>;
  /** The size of what is stored under `key` without reading it (a HEAD request), or null when there is nothing. */
  stat(key: string): Promise<StoredSize | null>;
  /** Deletes what is stored under these keys; keys with nothing stored are no error. */
  delete(keys: string[]): Promise<void>;
  /** Lets go of connections (S3). */
  close(): void;
}

/** S3 when S3_BUCKET is set, else DATA_DIR/attachments. */
export function createStorage(config: Config): AttachmentStorage {
  if (!config.S3_BUCKET) return new LocalStorage(join(config.DATA_DIR, 'attachments'));
  return new S3Storage({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    credentials:
      config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined,
    connectionTimeoutMs: config.S3_CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: config.S3_REQUEST_TIMEOUT_MS,
  });
}

/** Keys are made by AttachmentService (random UUIDs); anything else is refused before it reaches a path or a URL. */
export const isStorageKey = (key: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(key);
