// DATA_DIR holds the embedded database and the generated secrets: readable by the user Parley runs as and nobody
// else. PGlite creates its files 0666 and its directories 0755 (modes of its own, whatever the umask), so the
// directories are made 0700 before it opens (nothing inside is reachable by another user from then on) and every
// entry is repaired after it has written: files owner-only (0600), directories 0700.
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const PRIVATE_DIR = 0o700;
const GROUP_OR_OTHER = 0o077;

/**
 * Creates `dir` (and missing parents) 0700, or makes an existing one 0700 where this user owns it (one of another
 * owner, as a volume mounted with a group, stays usable; repairModes() names it).
 */
export async function privateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR });
  await chmod(dir, PRIVATE_DIR).catch(() => {});
}

/**
 * Makes `dir` and everything under it owner-only: directories 0700, files keep only their owner bits (0666 -> 0600).
 * Symbolic links are left alone (chmod would follow them out of the directory). Returns the paths it could not change
 * (owned by another user): the caller says so.
 */
export async function repairModes(dir: string): Promise<string[]> {
  const refused: string[] = [];
  const fix = async (path: string, mode: number) => {
    await chmod(path, mode).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') refused.push(path); // gone meanwhile (PGlite removes temporary files): nothing to fix
    });
  };
  const walk = async (path: string): Promise<void> => {
    const stat = await lstat(path).catch(() => null);
    if (stat?.isDirectory()) {
      if ((stat.mode & 0o777) !== PRIVATE_DIR) await fix(path, PRIVATE_DIR);
      const entries = await readdir(path).catch(() => []);
      await Promise.all(entries.map((name) => walk(join(path, name))));
    } else if (stat?.isFile() && stat.mode & GROUP_OR_OTHER) {
      await fix(path, stat.mode & 0o700);
    }
  };
  await walk(dir);
  return refused;
}
