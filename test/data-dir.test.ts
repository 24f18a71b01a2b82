// The embedded database's directory: private to its owner, and held by one process at a time through a lock that a
// crashed process or an unrelated one reusing its pid never leaves behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { testPGlite } from './helpers/pglite.js';
import { openDatabase, DatabaseLockedError } from '../src/db/client.ts';
import { LOADER_ARGS } from './helpers/server.ts';
import { openToOthers } from './helpers/modes.ts';

const root = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => vi.unstubAllEnvs());
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-data-'));
  dirs.push(dir);
  return dir;
}

/** A process of its own (not Parley) that keeps running until killed. */
async function unrelatedProcess(): Promise<number> {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  await once(child, 'spawn');
  return child.pid!;
}

describe.skipIf(!!process.env.TEST_DATABASE_URL)('the embedded database directory is private', () => {
  it('is created 0700 with nothing under it open to group or others, migrated and reopened', { timeout: 60_000 }, async () => {
    const dir = join(await tempDir(), 'data', 'pglite');
    const db = await openDatabase({ pgliteDir: dir, ...(await testPGlite()) });
    await db.migrate();
    await db.prisma.tenant.count();
    expect(await openToOthers(dir)).toEqual([]);
    expect((await lstat(dir)).mode & 0o777).toBe(0o700);
    await db.close();
  });

  it(
    'repairs a directory left group- and world-readable (0666 files, 0755 directories), leaving symlinked files alone',
    { timeout: 60_000 },
    async () => {
      const dir = join(await tempDir(), 'pglite');
      await (await openDatabase({ pgliteDir: dir, ...(await testPGlite()) })).close();
      // What an earlier Parley left: PGlite's own modes everywhere, and an operator's symlink to a file outside.
      const outside = join(await tempDir(), 'shared.conf');
      await writeFile(outside, 'x', { mode: 0o644 });
      await chmod(outside, 0o644);
      await symlink(outside, join(dir, 'linked.conf'));
      const loosen = async (path: string): Promise<void> => {
        const stat = await lstat(path);
        if (stat.isSymbolicLink()) return;
        await chmod(path, stat.isDirectory() ? 0o755 : 0o666);
        if (stat.isDirectory()) for (const name of await readdir(path)) await loosen(join(path, name));
      };
      await loosen(dir);
      expect((await openToOthers(dir)).length).toBeGreaterThan(900);

      const db = await openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: true })) });
      expect(await openToOthers(dir)).toEqual([]);
      expect((await lstat(join(dir, 'PG_VERSION'))).mode & 0o777).toBe(0o600);
      expect((await lstat(join(dir, 'base'))).mode & 0o777).toBe(0o700);
      expect((await lstat(outside)).mode & 0o777).toBe(0o644);
      await db.close();
    },
  );
});

describe.skipIf(!!process.env.TEST_DATABASE_URL)('the embedded database lock', () => {
  it('is not blocked by a lock file naming a live process that is not Parley', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    // As earlier versions wrote it (a bare pid), as this one does, and naming a process that is gone.
    const [bare, recorded] = [String(await unrelatedProcess()), JSON.stringify({ pid: process.ppid })];
    for (const content of [bare, recorded, '999999999']) {
      await writeFile(join(dir, 'parley.lock'), content);
      const db = await openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: content !== bare })) });
      expect(JSON.parse(await readFile(join(dir, 'parley.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
      await db.close();
    }
  });

  it(
    'refuses a second opener, in this process or another, naming the holder; frees it on close and when the holder is killed',
    { timeout: 60_000 },
    async () => {
      const dir = await tempDir();
      const db = await openDatabase({ pgliteDir: dir, ...(await testPGlite()) });
      await expect(openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: true })) })).rejects.toThrow(DatabaseLockedError);
      await expect(openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: true })) })).rejects.toThrow(
        `in use by another Parley process (pid ${process.pid})`,
      );
      await db.close();
      expect(await readFile(join(dir, 'parley.lock'), 'utf8')).toBe(''); // names nobody once released

      // Another process holds it, then dies without a chance to clean up.
      const holder = spawn(
        process.execPath,
        [
          ...LOADER_ARGS,
          '--input-type=module',
          '-e',
          `await (await import('./src/db/dir-lock.ts')).lockDirectory(process.argv[1]); console.log('locked'); setInterval(() => {}, 60_000);`,
          dir,
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(holder);
      await once(holder.stdout!, 'data');
      await expect(openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: true })) })).rejects.toThrow(
        `in use by another Parley process (pid ${holder.pid})`,
      );
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      await (await openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: true })) })).close();
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'without flock(1) on the PATH, tells the running holder from an unrelated process that got its pid',
    { timeout: 60_000 },
    async () => {
      const dir = await tempDir();
      const pid = await unrelatedProcess();
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const started = `${(await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim()}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
      vi.stubEnv('PATH', join(root, 'no-such-dir'));
      // Recorded with its own start time, the process counts as the holder: only the record can tell.
      await writeFile(join(dir, 'parley.lock'), JSON.stringify({ pid, started }));
      await expect(openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: true })) })).rejects.toThrow(
        `in use by another Parley process (pid ${pid})`,
      );
      // The pid is alive, but it is not the process that took the lock (another start time, another boot).
      await writeFile(join(dir, 'parley.lock'), JSON.stringify({ pid, started: 'another-boot:12345' }));
      const db = await openDatabase({ pgliteDir: dir, ...(await testPGlite()) });
      await expect(openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: true })) })).rejects.toThrow(
        `in use by another Parley process (pid ${process.pid})`,
      );
      await db.close();
      await (await openDatabase({ pgliteDir: dir, ...(await testPGlite({ bare: true })) })).close();
    },
  );
});
