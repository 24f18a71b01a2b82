// Rate limits on sign-in, sign-up and recovery mail (GraphQL RATE_LIMITED with retryAfter; REST 429 with
// Retry-After), shared across instances through Redis; and the unknown-email hash compare.
import { describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startServer, useServer, type TestServer } from './helpers/server.ts';

const SignIn = graphql(`
  mutation LimitSignIn($i: SignInInput!) {
    signIn(input: $i) {
      token
    }
  }
`);
const SignUp = graphql(`
  mutation LimitSignUp($i: SignUpInput!) {
    signUp(input: $i) {
      token
    }
  }
`);
const RequestReset = graphql(`
  mutation LimitReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`);

type Result = { errors?: readonly { extensions?: Record<string, unknown> }[] };
const code = (r: Result) => r.errors?.[0]?.extensions?.code;
let n = 0;
const email = () => `lim${process.pid}x${Date.now()}x${n++}@example.com`;

const restSignIn = (s: TestServer, body: Record<string, unknown>) =>
  fetch(`${s.url}/api/auth/sign-in/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('sign-in limits', () => {
  const server = useServer({ RATE_LIMIT_SIGN_IN_ACCOUNT: '3/60', RATE_LIMIT_SIGN_IN_IP: '8/60' });

  it('per account: the 4th attempt in a minute is RATE_LIMITED with retryAfter, also over REST (429)', async () => {
    const s = server();
    const u = await s.user();
    for (let i = 0; i < 3; i++)
      expect(code(await s.gql(SignIn, { i: { email: u.email, password: 'wrong password' } }))).toBe('UNAUTHENTICATED');
    const limited = await s.gql(SignIn, { i: { email: u.email, password: u.password } }); // even the right password
    expect(code(limited)).toBe('RATE_LIMITED');
    const retryAfter = limited.errors?.[0]?.extensions?.retryAfter as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const rest = await restSignIn(s, { email: u.email.toUpperCase(), password: u.password });
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await rest.json()).toEqual({ message: 'Too many requests. Please try again later.' });
    // another account from the same address is not affected by this account's limit
    const other = await s.user();
    expect(code(await s.gql(SignIn, { i: { email: other.email, password: other.password } }))).toBeUndefined();
  });

  it('per IP: many accounts from one address hit the address limit', async () => {
    const s = server();
    let last: Result = {};
    for (let i = 0; i < 10 && code(last) !== 'RATE_LIMITED'; i++)
      last = await s.gql(SignIn, { i: { email: email(), password: 'whatever pass' } });
    expect(code(last)).toBe('RATE_LIMITED');
  });
});

describe('sign-up and mail limits', () => {
  const server = useServer({ RATE_LIMIT_SIGN_UP_IP: '2/3600', RATE_LIMIT_MAIL_IP: '2/900' });

  it('limits sign-ups and reset requests per IP', async () => {
    const s = server();
    const input = () => ({ email: email(), password: 'password123', name: 'L' });
    await s.ok(SignUp, { i: input() });
    await s.ok(SignUp, { i: input() });
    expect(code(await s.gql(SignUp, { i: input() }))).toBe('RATE_LIMITED');
    const rest = await fetch(`${s.url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input()),
    });
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).toBeTruthy();

    await s.ok(RequestReset, { email: email() });
    await s.ok(RequestReset, { email: email() });
    const third = await s.gql(RequestReset, { email: email() });
    expect(code(third)).toBe('RATE_LIMITED');
    expect(third.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
  });
});

describe('sign-in timing', () => {
  const server = useServer();

  it('an unknown email still runs one bcrypt compare', async () => {
    const s = server();
    const dummy = await s.services().accounts.dummyHash();
    const before = s.services().passwords.work();
    expect(code(await s.gql(SignIn, { i: { email: email(), password: 'wrong password' } }))).toBe('UNAUTHENTICATED');
    const after = s.services().passwords.work();
    expect(after.compare - before.compare).toBe(1);
    expect(after.hash - before.hash).toBe(0);
    expect(after.lastCompared).toBe(dummy);
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('limits shared through Redis', () => {
  it('two instances count against one limit', async () => {
    const prefix = `test:limits:${process.pid}:${Date.now()}:`;
    const env = { REDIS_PREFIX: prefix, RATE_LIMIT_SIGN_IN_ACCOUNT: '2/60' };
    const a = await startServer(env);
    const b = await startServer(env, { db: a.db });
    try {
      const u = await a.user();
      const wrong = { i: { email: u.email, password: 'wrong password' } };
      expect(code(await a.gql(SignIn, wrong))).toBe('UNAUTHENTICATED');
      expect(code(await b.gql(SignIn, wrong))).toBe('UNAUTHENTICATED');
      expect(code(await a.gql(SignIn, wrong))).toBe('RATE_LIMITED');
      expect(code(await b.gql(SignIn, wrong))).toBe('RATE_LIMITED');
    } finally {
      await b.stop().catch(() => {});
      await a.stop();
    }
  });
});
