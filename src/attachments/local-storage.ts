// Attachment bytes in a local directory (DATA_DIR/attachments): <first two characters of the key>/<key>, directories
// 0700 and files 0600 like the rest of DATA_DIR (db/data-dir.ts). A file is written beside its place and renamed into
// it, so a reader never sees part of one. The directory is made on the first upload, not at start.
import { open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { privateDirectory } from '../db/data-dir.ts';
import { isStorageKey, type AttachmentStorage, type StoredFile, type StoredSize } from './storage.ts';

export class LocalStorage implements AttachmentStorage {
  constructor(private readonly root: string) {}

  private pathOf(key: string): { dir: string; file: string } {
    if (!isStorageKey(key)) throw new Error(`not a storage key: ${JSON.stringify(key)}`);
    const dir = join(this.root, key.slice(0, 2));
    return { dir, file: join(dir, key) };
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const { dir, file } = this.pathOf(key);
    await privateDirectory(this.root);
    await privateDirectory(dir);
    const temporary = join(dir, `.${randomUUID()}.partial`);
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file).catch(async (err) => {
      await rm(temporary, { force: true });
      throw err;
    });
  }

  async get(key: string): Promise<StoredFile | null> {
    const { file } = this.pathOf(key);
    // Opened before answering, so a missing file is a null here rather than an error in the middle of a response.
    const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (!handle) return null;
    try {
      const { size } = await handle.stat();
      return { body: handle.createReadStream(), size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.pathOf(key).file, { force: true })));
  }

  async has(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async stat(key: string): Promise<StoredSize | null> {
    const found = await stat(this.pathOf(key).file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    return found && { size: found.size };
  }

  close(): void {}
}
