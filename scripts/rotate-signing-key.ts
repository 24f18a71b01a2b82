// `npm run keys:rotate`: starts signing access tokens with a new Ed25519 key. Running instances pick it up within a
// minute; tokens signed with the previous key keep verifying until they expire. Uses the same environment as the
// server (DATABASE_URL or DATA_DIR, AUTH_SECRET). On the embedded PGlite default, stop the server first (one
// process per data directory).
import { join } from 'node:path';
import { parseConfig } from '../src/config.ts';
import { resolveAuthSecret } from '../src/secrets.ts';
import { openDatabase } from '../src/db/client.ts';
import { rotateSigningKey, keepRetiredMs } from '../src/auth/signing-keys.ts';

const config = parseConfig();
const secret = await resolveAuthSecret({
  authSecret: config.AUTH_SECRET,
  dataDir: config.DATA_DIR,
  production: config.NODE_ENV === 'production',
});
const db = await openDatabase({ url: config.DATABASE_URL, pgliteDir: join(config.DATA_DIR, 'pglite'), poolSize: 1 });
try {
  await db.migrate();
  const kid = await rotateSigningKey(db.prisma, secret, keepRetiredMs(config.JWT_TTL_SECONDS * 1000));
  console.log(`New signing key ${kid}; older keys verify until their tokens expire.`);
} finally {
  await db.close();
}
