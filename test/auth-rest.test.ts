// The /api/auth routes with plain fetch: wire format (cookies, headers, bodies), CSRF rules, and the session cookie
// on /graphql.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startServer, useServer, type TestServer } from './helpers/server.ts';

const Me = graphql(`
  query CookieMe {
    me {
      id
      email
    }
  }
`);
let n = 0;
const email = () => `rest${process.pid}x${Date.now()}x${n++}@example.com`;

async function post(s: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/api/auth${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { res, status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

async function signedUp(s: TestServer) {
  const e = email();
  const r = await post(s, '/sign-up/email', { name: 'C', email: e, password: 'password123' });
  const line = r.res.headers.getSetCookie()[0];
  const cookie = line.split(';')[0];
  return { email: e, token: r.body.token as string, cookie, line, res: r.res };
}

describe('REST wire format', () => {
  const server = useServer();

  it('sets the session cookie exactly as better-auth does, plus set-auth-token', async () => {
    const s = server();
    const { token, line, res } = await signedUp(s);
    const sig = createHmac('sha256', s.config.authSecret).update(token).digest('base64');
    expect(line).toBe(`better-auth.session_token=${encodeURIComponent(`${token}.${sig}`)}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax`);
    expect(res.headers.get('set-auth-token')).toBe(`${token}.${sig}`);
    expect(res.headers.get('access-control-expose-headers')).toContain('set-auth-token');
  });

  it('rememberMe: false gives a browser-session cookie and dont_remember; form bodies are accepted', async () => {
    const s = server();
    const { email: e } = await signedUp(s);
    const res = await fetch(`${s.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: e, password: 'password123', rememberMe: 'false' }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ redirect: false, user: { email: e } });
    const [session, dont] = res.headers.getSetCookie();
    expect(session).not.toMatch(/Max-Age/);
    expect(dont).toMatch(/^better-auth\.dont_remember=true\.[^;]+; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it('answers get-session with null when signed out, and unknown routes with an empty 404', async () => {
    const s = server();
    const anon = await fetch(`${s.url}/api/auth/get-session`);
    expect(anon.status).toBe(200);
    expect(await anon.text()).toBe('null');
    const missing = await fetch(`${s.url}/api/auth/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('');
    expect((await fetch(`${s.url}/api/auth/sign-in/email`)).status).toBe(404); // wrong method
  });

  it('rejects bad bodies the way better-auth does', async () => {
    const s = server();
    const text = await post(s, '/sign-in/email', 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const broken = await post(s, '/sign-in/email', '{"email":');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ message: 'Invalid JSON in request body', code: 'BAD_REQUEST' });
    const missing = await post(s, '/sign-up/email', { email: email(), password: 'password123' });
    expect(missing.body).toEqual({ code: 'VALIDATION_ERROR', message: '[body.name] Invalid input: expected string, received undefined' });
    const { token } = await signedUp(s);
    const nothing = await post(s, '/update-user', {}, { authorization: `Bearer ${token}` });
    expect(nothing.status).toBe(400);
    expect(nothing.body).toEqual({ message: 'No fields to update' });
    const noToken = await post(s, '/reset-password', { newPassword: 'password123' });
    expect(noToken.body).toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('refuses cookie-authenticated writes from a missing or foreign Origin (CSRF)', async () => {
    const s = server();
    const { cookie, token } = await signedUp(s);
    const noOrigin = await post(s, '/sign-out', {}, { cookie });
    expect(noOrigin.status).toBe(403);
    expect(noOrigin.body.code).toBe('MISSING_OR_NULL_ORIGIN');
    const evil = await post(s, '/sign-out', {}, { cookie, origin: 'https://evil.example' });
    expect(evil.body.code).toBe('INVALID_ORIGIN');
    const evilLogin = await post(s, '/sign-in/email', { email: 'a@b.co', password: 'x' }, { origin: 'https://evil.example' });
    expect(evilLogin.body.code).toBe('INVALID_ORIGIN');
    // still signed in
    const me = await fetch(`${s.url}/api/auth/get-session`, { headers: { authorization: `Bearer ${token}` } });
    expect((await me.json()).user).toBeTruthy();
    const ok = await post(s, '/sign-out', {}, { cookie, origin: s.url });
    expect(ok.body).toEqual({ success: true });
    expect(ok.res.headers.getSetCookie()[0]).toBe('better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
  });

  it('answers a reset link whose token has a malformed percent escape as an invalid token, not a 500', async () => {
    const s = server();
    for (const token of ['%E0', '%', '%zz', 'abc%E0%A4']) {
      const landed = await fetch(`${s.url}/api/auth/reset-password/${token}?callbackURL=/reset`, { redirect: 'manual' });
      expect([landed.status, landed.headers.get('location')], token).toEqual([302, `${s.url}/reset?error=INVALID_TOKEN`]);
      const bare = await fetch(`${s.url}/api/auth/reset-password/${token}`, { redirect: 'manual' });
      expect([bare.status, (await bare.json()).code], token).toEqual([400, 'VALIDATION_ERROR']);
    }
  });

  it('refuses untrusted redirect targets', async () => {
    const s = server();
    const r = await post(s, '/request-password-reset', { email: email(), redirectTo: 'https://evil.example/reset' });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('INVALID_REDIRECT_URL');
  });
});

describe('the session cookie on /graphql', () => {
  const server = useServer();

  it('is honoured on JSON POST, and on GET only with a header a cross-site form cannot send', async () => {
    const s = server();
    const { cookie, email: e } = await signedUp(s);
    const viaPost = await s.gql(Me, {}, { headers: { cookie } });
    expect(viaPost.data?.me?.email).toBe(e);
    const q = encodeURIComponent('{ me { email } }');
    const simpleGet = await fetch(`${s.url}/graphql?query=${q}`, { headers: { cookie, accept: 'application/json' } });
    expect((await simpleGet.json()).data.me).toBeNull();
    for (const extra of [{ 'x-client-id': 'default' }, { 'apollo-require-preflight': 'true' }] as Record<string, string>[]) {
      const get = await fetch(`${s.url}/graphql?query=${q}`, { headers: { cookie, accept: 'application/json', ...extra } });
      expect((await get.json()).data.me?.email).toBe(e);
    }
    const tampered = cookie.replace(/%3D$/, '%3E');
    expect((await s.gql(Me, {}, { headers: { cookie: tampered } })).data?.me).toBeNull();
  });

  it('uses the __Secure- prefix and Secure when PUBLIC_URL is https; CORS_ORIGINS may call /api/auth with cookies', async () => {
    const app = 'https://app.example.com';
    const s = await startServer({ PUBLIC_URL: 'https://chat.example.com', CORS_ORIGINS: app });
    try {
      const { line, cookie, email: e } = await signedUp(s);
      expect(line).toMatch(/^__Secure-better-auth\.session_token=.+; Max-Age=604800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      expect((await s.gql(Me, {}, { headers: { cookie } })).data?.me?.email).toBe(e);
      const preflight = await fetch(`${s.url}/api/auth/sign-out`, {
        method: 'OPTIONS',
        headers: { origin: app, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(app);
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
      const out = await post(s, '/sign-out', {}, { cookie, origin: app });
      expect(out.body).toEqual({ success: true });
      expect(out.res.headers.get('access-control-allow-origin')).toBe(app);
      expect((await s.gql(Me, {}, { headers: { cookie } })).data?.me).toBeNull();
    } finally {
      await s.stop();
    }
  });
});
