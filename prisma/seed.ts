// `npm run db:seed`: demo data for trying Parley: a tenant "demo" and three users with known passwords.
// Idempotent: running it again leaves existing users alone.
import { PasswordHasher } from '../src/accounts/password-hasher.ts';
import { openCliDatabase } from '../scripts/cli-db.ts';

const PASSWORD = 'parley-demo-password';
const people = [
  { email: 'ada@example.com', name: 'Ada Lovelace', username: 'ada' },
  { email: 'grace@example.com', name: 'Grace Hopper', username: 'grace' },
  { email: 'alan@example.com', name: 'Alan Turing', username: 'alan' },
];

const db = await openCliDatabase();
const passwords = new PasswordHasher({ cost: 10, concurrency: 1 });
try {
  await db.migrate();
  await db.prisma.tenant.upsert({ where: { id: 'demo' }, create: { id: 'demo', name: 'Demo' }, update: {} });
  const passwordHash = await passwords.hash(PASSWORD);
  for (const tenantId of ['default', 'demo']) {
    for (const p of people) {
      await db.prisma.user.upsert({
        where: { tenantId_email: { tenantId, email: p.email } },
        create: { ...p, tenantId, passwordHash, emailVerified: true },
        update: {},
      });
    }
  }
  console.log('Seeded tenants "default" and "demo" (send X-Client-ID: demo for the latter), each with:');
  for (const p of people) console.log(`  ${p.email.padEnd(20)} username ${p.username.padEnd(6)} password ${PASSWORD}`);
} finally {
  await passwords.close();
  await db.close();
}
