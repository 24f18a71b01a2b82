// Sign-in timing for a known vs an unknown email (not a test: timings depend on the machine).
//   npx tsx bench/signin-timing.ts [rounds=40]
// Starts Parley on an in-memory PGlite with production bcrypt cost (BCRYPT_COST, default 12), creates one account,
// then alternates wrong-password sign-ins for that account and for unknown emails over HTTP, and prints medians.
import { parseConfig } from '../src/config.ts';
import { buildApp } from '../src/app.ts';
import { openDatabase } from '../src/db/client.ts';
import { createLogger } from '../src/logger.ts';

const rounds = Number(process.argv[2] ?? 40);
const config = {
  ...parseConfig({
    ...process.env,
    LOG_LEVEL: 'silent',
    REDIS_URL: '',
    RATE_LIMIT_SIGN_IN_ACCOUNT: 'off',
    RATE_LIMIT_SIGN_IN_IP: 'off',
    RATE_LIMIT_SIGN_UP_IP: 'off',
  }),
  authSecret: 'bench-secret-bench-secret-bench-secret-000',
};
const db = await openDatabase({ pgliteDir: 'memory://' });
const app = await buildApp(config, { db, logger: createLogger('silent') });
const url = await app.start(0, '127.0.0.1');

async function signIn(email: string, password: string): Promise<{ ms: number; code: unknown }> {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'mutation($i: SignInInput!) { signIn(input: $i) { token } }', variables: { i: { email, password } } }),
  });
  const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  return { ms: performance.now() - started, code: body.errors?.[0]?.extensions?.code ?? 'OK' };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  const known = 'bench@example.com';
  await app.services.accounts.signUp(
    { tenantId: 'default', ip: null, userAgent: null },
    { email: known, password: 'correct horse battery', name: 'Bench' },
  );
  // Warm up: the dummy hash is made lazily on the first unknown-email sign-in.
  await signIn('warmup@example.com', 'wrong password');
  await signIn(known, 'wrong password');
  const times = { known: [] as number[], unknown: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const a = await signIn(known, 'wrong password');
    const b = await signIn(`nobody${i}@example.com`, 'wrong password');
    if (a.code !== 'UNAUTHENTICATED' || b.code !== 'UNAUTHENTICATED') throw new Error(`unexpected result ${a.code} / ${b.code}`);
    times.known.push(a.ms);
    times.unknown.push(b.ms);
  }
  const k = median(times.known);
  const u = median(times.unknown);
  console.log(`bcrypt cost ${config.BCRYPT_COST}, ${rounds} rounds each (wrong password, GraphQL over HTTP, PGlite in memory)`);
  console.log(`  known email:   median ${k.toFixed(1)} ms`);
  console.log(`  unknown email: median ${u.toFixed(1)} ms`);
  console.log(`  difference:    ${(u - k).toFixed(1)} ms (${(((u - k) / k) * 100).toFixed(1)}%)`);
} finally {
  await app.stop();
  await db.close();
}
