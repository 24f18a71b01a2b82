// The only file that listens: config -> buildApp() -> start(); SIGINT/SIGTERM -> stop() -> exit 0.
import { ConfigError, parseConfig, type Config } from './config.ts';
import { resolveAuthSecret } from './secrets.ts';
import { buildApp } from './app.ts';
import { createLogger } from './logger.ts';
import { DatabaseLockedError } from './db/client.ts';
import { privateDirectory, repairModes } from './db/data-dir.ts';

async function main() {
  let config: Config;
  try {
    const parsed = parseConfig();
    // DATA_DIR holds the embedded database and the generated secret: owner-only (see db/data-dir.ts).
    if (!parsed.DATABASE_URL || !parsed.AUTH_SECRET) {
      await privateDirectory(parsed.DATA_DIR);
      const refused = await repairModes(parsed.DATA_DIR);
      if (refused.length) {
        createLogger(parsed.LOG_LEVEL).warn('DATA_DIR: entries of another owner stay readable by others', {
          count: refused.length,
          paths: refused.slice(0, 10),
        });
      }
    }
    const authSecret = await resolveAuthSecret({
      authSecret: parsed.AUTH_SECRET,
      dataDir: parsed.DATA_DIR,
      production: parsed.NODE_ENV === 'production',
    });
    config = { ...parsed, authSecret };
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : String(err));
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  let app;
  try {
    app = await buildApp(config, { logger });
  } catch (err) {
    if (err instanceof DatabaseLockedError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const url = await app.start();
  logger.info('parley listening', {
    url,
    graphql: `${url}/graphql`,
    database: config.DATABASE_URL ? 'postgresql' : `pglite (${config.DATA_DIR}/pglite)`,
    events: config.REDIS_URL ? 'redis' : 'memory',
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    try {
      await app.stop();
      process.exit(0);
    } catch (err) {
      logger.error('stop failed', { error: err });
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();
