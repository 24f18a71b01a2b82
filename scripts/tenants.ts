// `npm run tenants -- add <id> [name] | list | disable <id> | enable <id> | role <id> <email> <USER|MODERATOR|ADMIN>`:
// manage tenants (X-Client-ID values) and set a user's tenant role (e.g. appoint an admin).
// A status change reaches running instances: with REDIS_URL it is published on their event bus (same REDIS_PREFIX),
// so they close the tenant's connections at once; without Redis they re-check on their own within TENANT_CACHE_MS.
// On the embedded database the server holds ./data, so this runs only while the server is stopped.
import { parseConfig } from '../src/config.ts';
import { TenantService } from '../src/accounts/tenants.ts';
import { AppError } from '../src/errors.ts';
import { createLogger } from '../src/logger.ts';
import { createRedisPubSub } from '../src/realtime/pubsub.ts';
import { connectRedis, type RedisConnections } from '../src/realtime/redis.ts';
import { fail, openCliDatabase } from './cli-db.ts';
import { AuditLog } from '../src/moderation/audit-log.ts';
import { setRoleAsOperator } from '../src/moderation/moderation.service.ts';
import type { TenantRole } from '../src/generated/prisma/client.ts';

const [command, id, ...rest] = process.argv.slice(2);
const usage = 'usage: npm run tenants -- add <id> [name] | list | disable <id> | enable <id> | role <id> <email> <USER|MODERATOR|ADMIN>';
const ROLES = ['USER', 'MODERATOR', 'ADMIN'];
if (!command || !['add', 'list', 'disable', 'enable', 'role'].includes(command) || (command !== 'list' && !id)) fail(usage);
if (command === 'role' && (rest.length !== 2 || !ROLES.includes(rest[1].toUpperCase()))) fail(usage);

const db = await openCliDatabase();
const config = parseConfig();
let redis: RedisConnections | null = null;
try {
  await db.migrate();
  if (command === 'list') {
    const rows = await new TenantService(db.prisma).list();
    for (const t of rows) console.log(`${t.id}\t${t.disabled ? 'disabled' : 'active'}\t${t.name}`);
  } else if (command === 'add') {
    const t = await new TenantService(db.prisma).add(id, rest.join(' '));
    console.log(`Added tenant "${t.id}" (${t.name}). Clients select it with the header X-Client-ID: ${t.id}`);
  } else if (command === 'role') {
    redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, createLogger('silent')).catch(warnNoRedis) : null;
    const pubsub = redis ? createRedisPubSub(redis.client, redis.subscriber, config.REDIS_PREFIX, () => {}) : undefined;
    const { user, before } = await setRoleAsOperator(
      {
        prisma: db.prisma,
        audit: new AuditLog(db.prisma),
        // Running instances drop their cached copy of the user, so the new role counts on their next request.
        userChanged: (u) => pubsub?.publish('users:changed', { tenantId: u.tenantId, userId: u.id }),
      },
      id,
      rest[0],
      rest[1].toUpperCase() as TenantRole,
    );
    console.log(`${user.email} in tenant "${id}" is now ${user.role} (was ${before}).`);
    if (!pubsub) console.log(`Running instances apply it within SESSION_CACHE_MS (30 s), when their cached sessions expire.`);
  } else {
    redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, createLogger('silent')).catch(warnNoRedis) : null;
    let published = true;
    const pubsub = redis ? createRedisPubSub(redis.client, redis.subscriber, config.REDIS_PREFIX, () => (published = false)) : undefined;
    const t = await new TenantService(db.prisma, { pubsub }).setDisabled(id, command === 'disable');
    console.log(`Tenant "${t.id}" is now ${t.disabled ? 'disabled' : 'active'}.`);
    // Commands on one connection run in order: once NUMSUB answers, the PUBLISH before it has been handled.
    const listening = redis ? await instancesListening(redis, config.REDIS_PREFIX).catch(() => null) : null;
    const lag = `within TENANT_CACHE_MS (${config.TENANT_CACHE_MS} ms)`;
    if (!config.REDIS_URL) console.log(`Running instances apply it ${lag}: without REDIS_URL they re-check tenants on their own.`);
    else if (!published || listening === null) console.log(`Could not publish the change on Redis; running instances apply it ${lag}.`);
    else console.log(`Told ${listening} running instance(s) through Redis (prefix "${config.REDIS_PREFIX}"); they apply it now.`);
  }
} catch (err) {
  if (err instanceof AppError) fail(err.message);
  throw err;
} finally {
  await redis?.close();
  await db.close();
}

/** Instances subscribed to tenant changes on this Redis and prefix (each listens once). */
async function instancesListening(r: RedisConnections, prefix: string): Promise<number> {
  const reply = (await r.client.pubsub('NUMSUB', `${prefix}tenants:changed`)) as [string, number];
  return Number(reply[1]);
}

function warnNoRedis(err: Error): null {
  console.error(`${err.message}\nThe change is still made; running instances apply it within TENANT_CACHE_MS.`);
  return null;
}
