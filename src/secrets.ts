// Secrets the server needs. In production they come from the environment; on the embedded default they are
// generated once and kept in DATA_DIR/secrets.json (mode 0600, in a 0700 DATA_DIR), so sessions survive restarts.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function resolveAuthSecret(opts: { authSecret?: string; dataDir: string; production: boolean }): Promise<string> {
  if (opts.authSecret) return opts.authSecret;
  if (opts.production) throw new Error('AUTH_SECRET is required when NODE_ENV=production');
  const path = join(opts.dataDir, 'secrets.json');
  try {
    const stored = JSON.parse(await readFile(path, 'utf8')) as { authSecret?: string };
    if (stored.authSecret && stored.authSecret.length >= 32) return stored.authSecret;
  } catch {
    // not there yet: generate below
  }
  const authSecret = randomBytes(32).toString('base64url');
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify({ authSecret }, null, 2) + '\n', { mode: 0o600 });
  return authSecret;
}
