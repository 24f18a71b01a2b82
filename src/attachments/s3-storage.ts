// Attachment bytes in an S3 bucket (AWS, or an S3-compatible service at S3_ENDPOINT, addressed path-style), under
// attachments/<key>. Objects are private: Parley serves them through its own route, with its checks and headers.
import { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isStorageKey, type AttachmentStorage, type StoredFile, type StoredSize } from './storage.ts';

/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

export interface S3Options {
  bucket: string;
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** S3_CONNECTION_TIMEOUT_MS: the longest a connection to S3 may take to open. */
  connectionTimeoutMs: number;
  /**
   * S3_REQUEST_TIMEOUT_MS: the longest a request may wait for the head of S3's answer. A body that stops coming once
   * it started is not timed here: the route lets go of a download whose client got nothing for a minute, which
   * destroys the S3 stream too, and a client that reads slowly must not have its S3 stream cut under it.
   */
  requestTimeoutMs: number;
}

export class S3Storage implements AttachmentStorage {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3Options) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      // An endpoint of its own (MinIO, Ceph, s3rver...) rarely has a DNS name per bucket.
      forcePathStyle: !!options.endpoint,
      credentials: options.credentials,
      // Checksums only where S3 requires them: S3-compatible services do not all know the newer checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The SDK waits forever by default: an endpoint that accepts and never answers would hold every upload, download
      // and app.stop() with it. A breach is an error (not the SDK's warning), which clients see as SERVICE_UNAVAILABLE.
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs,
        requestTimeout: options.requestTimeoutMs,
        throwOnRequestTimeout: true,
      },
      // Each attempt has its own timeouts; two attempts keep the worst wait of a hung endpoint to twice the timeout.
      maxAttempts: 2,
    });
  }

  private objectKey(key: string): string {
    if (!isStorageKey(key)) throw new Error(`not a storage key: ${JSON.stringify(key)}`);
    return `attachments/${key}`;
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: bytes,
        ContentType: contentType,
        ContentLength: bytes.length,
      }),
    );
  }

  async get(key: string): Promise<StoredFile | null> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!(object.Body instanceof Readable)) throw new Error('S3 answered without a body stream');
      return { body: object.Body, size: object.ContentLength ?? null };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async has(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async stat(key: string): Promise<StoredSize | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return { size: head.ContentLength ?? null };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const answer = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((k) => ({ Key: this.objectKey(k) })), Quiet: true } }),
      );
      // A key that was not there is no error (S3 reports deleted); anything else is.
      const failed = (answer.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length) throw new Error(`S3 could not delete ${failed.length} objects: ${failed[0].Code} ${failed[0].Message ?? ''}`);
    }
  }

  close(): void {
    this.client.destroy();
  }
}

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
};
