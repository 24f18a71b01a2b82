// File modes under a directory, for the tests of DATA_DIR's privacy.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every path under `dir` (itself included; symbolic links skipped) whose mode lets its group or others in, with that mode. */
export async function openToOthers(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (path: string) => {
    const stat = await lstat(path);
    if (stat.isSymbolicLink()) return;
    if (stat.mode & 0o077) found.push(`${(stat.mode & 0o777).toString(8)} ${path}`);
    if (stat.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(dir);
  return found;
}
