// A full disk under the embedded database, for real: DATA_DIR on a small tmpfs that the test fills. Writes that need
// space fail as a retryable SERVICE_UNAVAILABLE (never INTERNAL_SERVER_ERROR), /ready says "disk full", and once
// space is back the same server writes and reports ready again. Mounting needs root (CAP_SYS_ADMIN): skipped where it
// is not permitted. PostgreSQL's disk_full (53100) takes the same path (a SQLSTATE of the class errors.ts maps).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPGlite } from './helpers/pglite.js';
import type { ExecutionResult } from 'graphql';
import { openDatabase, type Database } from '../src/db/client.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { titled, waitForReady } from './helpers/faults.ts';

const Send = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id sequence } }';
const Edit = 'mutation($id: ID!, $content: String!) { editMessage(id: $id, content: $content) { id } }';

/** A fresh 64 MiB tmpfs (a migrated embedded database takes about 40), or null where mounting is not permitted. */
function mountSmallDisk(): string | null {
  if (process.env.TEST_DATABASE_URL || process.platform !== 'linux') return null;
  const dir = mkdtempSync(join(tmpdir(), 'parley-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmdirSync(dir);
    return null;
  }
}

/** Writes `path` until the filesystem has no byte left. */
async function fillDisk(path: string): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (const size of [1 << 20, 4096, 512]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        const written = await file.write(chunk).then(
          () => true,
          (err: NodeJS.ErrnoException) => (err.code === 'ENOSPC' ? false : Promise.reject(err)),
        );
        if (!written) break;
      }
    }
  } finally {
    await file.close();
  }
}

const disk = mountSmallDisk();

describe.skipIf(!disk)(titled('embedded database on a full disk', { 'root (to mount a tmpfs) and no TEST_DATABASE_URL': disk }), () => {
  let db: Database;
  let s: TestServer;
  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: join(disk!, 'pglite'), ...(await testPGlite()), diskFullReportMs: 1_000 });
    s = await startServer({}, { db });
  });
  afterAll(async () => {
    await s?.stop();
    await db?.close();
    if (disk) {
      execFileSync('umount', [disk]);
      rmdirSync(disk);
    }
  });

  it(
    'answers SERVICE_UNAVAILABLE (retryable), /ready reports "disk full", and recovers when space is freed',
    { timeout: 120_000 },
    async () => {
      const [alice, bob] = [await s.user(), await s.user()];
      const conversationId = await createConversation(s, [alice, bob]);
      const send = (content: string) =>
        s.gql(Send, { input: { conversationId, content } }, { token: alice.token }) as Promise<
          ExecutionResult<{ sendMessage: { id: string; sequence: number } }>
        >;
      await waitForReady(s, 200);

      const edited = (await send('to be edited')).data!.sendMessage;
      const edit = (content: string) => s.gql(Edit, { id: edited.id, content }, { token: alice.token });
      const ballast = join(disk!, 'ballast');
      await fillDisk(ballast);
      // Text that does not compress, until a write needs a page the disk no longer has: sends (one statement through
      // the driver) and edits (a Prisma transaction; every edit leaves a new row version).
      for (const write of [send, edit]) {
        let refused: ExecutionResult<unknown> | undefined;
        for (let i = 0; i < 500 && !refused; i++) {
          const result = await write(randomBytes(2_400).toString('base64'));
          if (result.errors) refused = result;
        }
        expect(refused?.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
        expect(JSON.stringify(refused?.errors)).not.toMatch(/INTERNAL_SERVER_ERROR|No space|53100/);
        const ready = await fetch(`${s.url}/ready`);
        expect(ready.status).toBe(503);
        expect(await ready.json()).toMatchObject({ status: 'unavailable', database: false, reason: 'disk full' });
        // Reads work on a full disk: once no write has failed for a while, /ready no longer reports it.
        await waitForReady(s, 200);
      }

      await rm(ballast);
      const sent = await send('space again');
      expect(sent.errors).toBeUndefined();
      expect(await waitForReady(s, 200)).toMatchObject({ database: true });
    },
  );
});
