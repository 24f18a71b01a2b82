// Opens the same database the server would (DATABASE_URL, else the embedded one under DATA_DIR) for the CLI
// scripts, with a clear message when a running server holds the embedded database.
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../src/config.ts';
import { DatabaseLockedError, openDatabase, type Database } from '../src/db/client.ts';

export async function openCliDatabase(): Promise<Database> {
  try {
    const config = parseConfig();
    return await openDatabase({ url: config.DATABASE_URL, pgliteDir: join(config.DATA_DIR, 'pglite'), poolSize: 2 });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    if (err instanceof DatabaseLockedError) {
      fail(`${err.message}\nThe embedded database allows one process at a time: stop the server, run this command, start it again.`);
    }
    throw err;
  }
}

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
