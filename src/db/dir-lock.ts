// One process per embedded database: PGlite has no lock of its own, and two processes on one directory lose writes.
//
// The lock is the kernel's: an exclusive flock(2) on <dir>/parley.lock, held by the open file for as long as this
// process keeps it open and released by the kernel when the process ends, however it ends (a crash, SIGKILL, the OOM
// killer), so a lock is never stale. Node has no flock(); the flock(1) utility (util-linux, busybox) takes it on the
// descriptor this process hands it: a flock belongs to the open file description, which outlives the short-lived
// child. It works across PID and network namespaces (containers sharing a volume) and on NFSv4.
//
// Without flock(1) on the PATH (macOS, Windows), the file names its holder: the pid and, on Linux, that process's
// start time and the boot it belongs to. A holder counts as running only when that same process is: a pid reused by
// an unrelated process after a crash or a reboot does not block start-up. Elsewhere only the pid can be checked.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export class DatabaseLockedError extends Error {}

/** A process as the lock file records it. */
interface Holder {
  pid: number;
  /** `<boot id>:<start time in clock ticks>` on Linux; absent where it cannot be read. */
  started?: string;
}

/** Takes `<dir>/parley.lock`, or fails naming the process that holds it. Resolves with the function that releases it. */
export async function lockDirectory(dir: string): Promise<() => Promise<void>> {
  const handle = await open(join(dir, 'parley.lock'), constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    const kernel = await flockExclusive(handle);
    const holder = kernel === 'locked' ? null : parseHolder(await handle.readFile('utf8'));
    if (kernel === 'held' || (holder && (await isRunning(holder)))) {
      throw new DatabaseLockedError(
        `The embedded database in ${dir} is in use by another Parley process (pid ${holder?.pid ?? 'unknown'}). ` +
          `Stop that process, or point DATA_DIR at another directory, or use DATABASE_URL for a shared PostgreSQL.`,
      );
    }
    await handle.truncate(0);
    await handle.write(JSON.stringify({ pid: process.pid, started: await startedAt(process.pid) }), 0);
  } catch (err) {
    await handle.close();
    throw err;
  }
  let released: Promise<void> | undefined;
  // The file stays: a flock lives on an inode, and removing it would let a process that opened the old inode and one
  // that creates a new one both hold "the" lock. Emptied, it names nobody.
  return () => (released ??= handle.truncate(0).finally(() => handle.close()));
}

/** An exclusive flock on `handle` through flock(1): taken, held by another open file, or no way to tell. */
function flockExclusive(handle: FileHandle): Promise<'locked' | 'held' | 'unavailable'> {
  return new Promise((resolve) => {
    const child = spawn('flock', ['-n', '-x', '3'], { stdio: ['ignore', 'ignore', 'ignore', handle.fd] });
    child.once('error', () => resolve('unavailable')); // no flock(1) here
    // 1 is flock(1)'s answer for "another holds it"; other codes are errors (a filesystem without locks).
    child.once('exit', (code) => resolve(code === 0 ? 'locked' : code === 1 ? 'held' : 'unavailable'));
  });
}

/** The holder named in the lock file: `{"pid":..,"started":..}`, or a bare pid as earlier versions wrote. */
function parseHolder(text: string): Holder | null {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'number') return parsed > 0 ? { pid: parsed } : null;
    const holder = parsed as Partial<Holder> | null;
    return typeof holder?.pid === 'number' && holder.pid > 0
      ? { pid: holder.pid, ...(typeof holder.started === 'string' ? { started: holder.started } : {}) }
      : null;
  } catch {
    return null;
  }
}

/** True when the recorded process is alive and, where start times can be read, is the same process. */
async function isRunning(holder: Holder): Promise<boolean> {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = await startedAt(holder.pid);
  return !holder.started || !now || now === holder.started;
}

/** `<boot id>:<start time>` of `pid` from /proc (Linux), or undefined. */
async function startedAt(pid: number): Promise<string | undefined> {
  try {
    const [stat, boot] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile('/proc/sys/kernel/random/boot_id', 'utf8')]);
    // Fields after the command name, which is in parentheses and may itself hold spaces or parentheses; the start
    // time is field 22 of the line, the 20th after the name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${boot.trim()}:${fields[19]}`;
  } catch {
    return undefined;
  }
}
