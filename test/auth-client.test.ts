// better-auth's own client (better-auth/client) against Parley's /api/auth routes, unchanged.
import { describe, expect, it } from 'vitest';
import { useServer } from './helpers/server.ts';
import { authClient, lastMail, tokenFromLink } from './helpers/auth.ts';

let n = 0;
const email = () => `ba${process.pid}x${Date.now()}x${n++}@example.com`;

describe('better-auth client against Parley', () => {
  const server = useServer();

  it('signs up, reads the session, lists sessions and signs out (cookie)', async () => {
    const s = server();
    const { client, jar } = authClient(s);
    const e = email();
    const up = await client.signUp.email({ name: 'Ada', email: e.toUpperCase(), password: 'password123' });
    expect(up.error).toBeNull();
    expect(up.data?.token).toBeTruthy();
    expect(up.data?.user).toMatchObject({ name: 'Ada', email: e, emailVerified: false, image: null });
    expect(up.data?.user.createdAt).toBeInstanceOf(Date);
    expect(jar.get('better-auth.session_token')).toContain(encodeURIComponent(up.data!.token + '.').slice(0, 10));

    const session = await client.getSession();
    expect(session.data?.user.email).toBe(e);
    expect(session.data?.session.token).toBe(up.data?.token);
    expect(session.data?.session.expiresAt).toBeInstanceOf(Date);

    const list = await client.listSessions();
    expect(list.data).toHaveLength(1);
    expect(list.data?.[0].token).toBe(up.data?.token);

    expect((await client.signOut()).data).toEqual({ success: true });
    expect(jar.size).toBe(0);
    expect((await client.getSession()).data).toBeNull();
  });

  it('gives better-auth error codes and statuses', async () => {
    const s = server();
    const { client } = authClient(s);
    const e = email();
    await client.signUp.email({ name: 'B', email: e, password: 'password123' });
    const dup = await client.signUp.email({ name: 'B', email: e, password: 'password123' });
    expect(dup.error).toMatchObject({ status: 422, code: 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL' });
    const short = await client.signUp.email({ name: 'B', email: email(), password: 'short' });
    expect(short.error).toMatchObject({ status: 400, code: 'PASSWORD_TOO_SHORT' });
    const badEmail = await client.signUp.email({ name: 'B', email: 'nope', password: 'password123' });
    expect(badEmail.error).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    const wrong = await client.signIn.email({ email: e, password: 'wrong-password' });
    expect(wrong.error).toMatchObject({ status: 401, code: 'INVALID_EMAIL_OR_PASSWORD', message: 'Invalid email or password' });
    const unknown = await client.signIn.email({ email: email(), password: 'wrong-password' });
    expect(unknown.error).toMatchObject({ status: 401, code: 'INVALID_EMAIL_OR_PASSWORD' });
    const invalid = await client.signIn.email({ email: 'not-an-email', password: 'whatever1' });
    expect(invalid.error).toMatchObject({ status: 400, code: 'INVALID_EMAIL' });
    const anon = await authClient(s).client.listSessions(); // no cookie
    expect(anon.error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('revokes one, the others and all sessions', async () => {
    const s = server();
    const e = email();
    const a = authClient(s);
    const b = authClient(s);
    const c = authClient(s);
    await a.client.signUp.email({ name: 'R', email: e, password: 'password123' });
    await b.client.signIn.email({ email: e, password: 'password123' });
    const cIn = await c.client.signIn.email({ email: e, password: 'password123' });
    const list = await a.client.listSessions();
    expect(list.data).toHaveLength(3);

    // revoke C by its token (the signed-in client knows its own token)
    expect((await a.client.revokeSession({ token: cIn.data!.token })).data).toEqual({ status: true });
    expect((await c.client.getSession()).data).toBeNull();
    // revoking by the listed token of another session (its id) works too
    const bId = (await b.client.getSession()).data!.session.id;
    const listed = (await a.client.listSessions()).data!.find((x) => x.id === bId)!;
    expect((await a.client.revokeSession({ token: listed.token })).data).toEqual({ status: true });
    expect((await b.client.getSession()).data).toBeNull();

    await b.client.signIn.email({ email: e, password: 'password123' });
    expect((await a.client.revokeOtherSessions()).data).toEqual({ status: true });
    expect((await b.client.getSession()).data).toBeNull();
    expect((await a.client.getSession()).data?.user.email).toBe(e);
    expect((await a.client.revokeSessions()).data).toEqual({ status: true });
    expect((await a.client.getSession()).data).toBeNull();
  });

  it('changes the password and updates the user', async () => {
    const s = server();
    const e = email();
    const { client } = authClient(s);
    const other = authClient(s);
    await client.signUp.email({ name: 'P', email: e, password: 'password123' });
    await other.client.signIn.email({ email: e, password: 'password123' });
    const bad = await client.changePassword({ currentPassword: 'nope-nope', newPassword: 'password456' });
    expect(bad.error).toMatchObject({ status: 400, code: 'INVALID_PASSWORD' });
    const changed = await client.changePassword({ currentPassword: 'password123', newPassword: 'password456', revokeOtherSessions: true });
    expect(changed.error).toBeNull();
    expect(changed.data?.token).toBeTruthy();
    expect((await other.client.getSession()).data).toBeNull();
    expect((await client.getSession()).data?.session.token).toBe(changed.data?.token);
    expect((await client.signIn.email({ email: e, password: 'password456' })).error).toBeNull();

    expect((await client.updateUser({ name: 'Pat' })).data).toEqual({ status: true });
    expect((await client.getSession()).data?.user.name).toBe('Pat');
    const email2 = await client.updateUser({ email: 'x@example.com' } as never);
    expect(email2.error).toMatchObject({ status: 400, code: 'EMAIL_CAN_NOT_BE_UPDATED' });
  });

  it('resets a forgotten password through the outbox', async () => {
    const s = server();
    const e = email();
    const { client } = authClient(s);
    await client.signUp.email({ name: 'F', email: e, password: 'password123' });
    const before = new Date();
    const asked = await client.requestPasswordReset({ email: e, redirectTo: '/reset' });
    expect(asked.data).toMatchObject({ status: true });
    const mail = await lastMail(s, e, before);
    expect(mail.link).toMatch(new RegExp(`^${s.url}/api/auth/reset-password/`));
    // the link redirects to the app page with the token
    const hop = await fetch(mail.link!, { redirect: 'manual' });
    expect(hop.status).toBe(302);
    const landing = new URL(hop.headers.get('location')!);
    expect(landing.pathname).toBe('/reset');
    const token = landing.searchParams.get('token')!;
    expect(token).toBe(tokenFromLink(mail.link));

    expect((await client.requestPasswordReset({ email: email() })).data).toMatchObject({ status: true }); // unknown: same answer
    expect((await client.resetPassword({ newPassword: 'password789', token })).data).toEqual({ status: true });
    const again = await client.resetPassword({ newPassword: 'password000', token });
    expect(again.error).toMatchObject({ status: 400, code: 'INVALID_TOKEN' });
    expect((await client.getSession()).data).toBeNull(); // reset ends every session
    expect((await client.signIn.email({ email: e, password: 'password789' })).error).toBeNull();
  });

  it('verifies the email address and deletes the account', async () => {
    const s = server();
    const e = email();
    const { client } = authClient(s);
    await client.signUp.email({ name: 'V', email: e, password: 'password123' });
    const before = new Date();
    expect((await client.sendVerificationEmail({ email: e })).data).toEqual({ status: true });
    const mail = await lastMail(s, e, before);
    const verified = await client.verifyEmail({ query: { token: tokenFromLink(mail.link) } });
    expect(verified.data).toEqual({ status: true, user: null });
    expect((await client.getSession()).data?.user.emailVerified).toBe(true);
    const twice = await client.verifyEmail({ query: { token: tokenFromLink(mail.link) } });
    expect(twice.error).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
    const already = await client.sendVerificationEmail({ email: e });
    expect(already.error).toMatchObject({ status: 400, code: 'EMAIL_ALREADY_VERIFIED' });

    const wrong = await client.deleteUser({ password: 'wrong-password' });
    expect(wrong.error).toMatchObject({ status: 400, code: 'INVALID_PASSWORD' });
    expect((await client.deleteUser({ password: 'password123' })).data).toEqual({ success: true, message: 'User deleted' });
    expect((await client.getSession()).data).toBeNull();
    expect((await client.signIn.email({ email: e, password: 'password123' })).error).toMatchObject({ status: 401 });
  });

  it('works with bearer tokens (set-auth-token) and JWTs from token()', async () => {
    const s = server();
    const { client } = authClient(s);
    const e = email();
    let header = '';
    const up = await client.signUp.email(
      { name: 'T', email: e, password: 'password123' },
      { onSuccess: (ctx) => void (header = ctx.response.headers.get('set-auth-token') ?? '') },
    );
    expect(header).toMatch(new RegExp(`^${up.data!.token}\\.[A-Za-z0-9+/]{43}=$`));
    const bare = authClient(s).client; // no cookies
    for (const token of [up.data!.token!, header]) {
      const r = await bare.getSession({ fetchOptions: { auth: { type: 'Bearer', token } } });
      expect(r.data?.user.email).toBe(e);
    }
    const jwt = await client.token();
    expect(jwt.data?.token.split('.')).toHaveLength(3);
    const viaJwt = await bare.getSession({ fetchOptions: { auth: { type: 'Bearer', token: jwt.data!.token } } });
    expect(viaJwt.data?.user.email).toBe(e);
    const jwks = await client.jwks();
    expect(jwks.data?.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
  });

  it('X-Client-ID selects the tenant', async () => {
    const s = server();
    await s.services().tenants.add(`ba-${process.pid}`);
    const e = email();
    const t = authClient(s, { clientId: `ba-${process.pid}` });
    expect((await t.client.signUp.email({ name: 'X', email: e, password: 'password123' })).error).toBeNull();
    expect((await authClient(s).client.signIn.email({ email: e, password: 'password123' })).error).toMatchObject({ status: 401 });
    expect((await t.client.signIn.email({ email: e, password: 'password123' })).error).toBeNull();
    const missing = authClient(s, { clientId: 'no-such-tenant' });
    expect((await missing.client.getSession()).error).toMatchObject({ status: 400, code: 'TENANT_NOT_FOUND' });
  });
});
