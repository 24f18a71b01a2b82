// CORS and the session cookie: same-origin only by default (no CORS headers for any foreign Origin, preflights
// included); credentials only for the origins CORS_ORIGINS lists; a cookie sent by a page on any other origin
// does not sign the request in, on /graphql and on /api/auth.
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer } from './helpers/server.ts';
import { parseConfig } from '../src/config.ts';
import { TrustedOrigins } from '../src/auth/trusted.ts';

const APP = 'https://app.example.com';
const OTHER = 'https://other.example.com';
const FOREIGN = ['https://evil.example', 'http://127.0.0.1:1', 'null'];
let n = 0;
const email = () => `cors${process.pid}x${Date.now()}x${n++}@example.com`;

async function cookieUser(s: TestServer) {
  const e = email();
  const res = await fetch(`${s.url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'C', email: e, password: 'password123' }),
  });
  return { email: e, cookie: res.headers.getSetCookie()[0].split(';')[0] };
}

const me = (s: TestServer, headers: Record<string, string>) =>
  fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ me { email } }' }),
  });

const preflight = (s: TestServer, path: string, origin: string) =>
  fetch(`${s.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
  });

function corsHeaders(res: Response) {
  return {
    origin: res.headers.get('access-control-allow-origin'),
    credentials: res.headers.get('access-control-allow-credentials'),
    methods: res.headers.get('access-control-allow-methods'),
    headers: res.headers.get('access-control-allow-headers'),
  };
}
const NONE = { origin: null, credentials: null, methods: null, headers: null };

describe('with CORS_ORIGINS empty (the default)', () => {
  const server = useServer();

  it('sends no CORS headers to a foreign Origin, for requests and preflights', async () => {
    const s = server();
    for (const origin of FOREIGN) {
      expect(corsHeaders(await me(s, { origin })), origin).toEqual(NONE);
      expect(corsHeaders(await preflight(s, '/graphql', origin)), origin).toEqual(NONE);
      expect(corsHeaders(await preflight(s, '/api/auth/sign-in/email', origin)), origin).toEqual(NONE);
    }
  });

  it('does not sign in a request with the session cookie from a foreign Origin', async () => {
    const s = server();
    const { cookie, email: e } = await cookieUser(s);
    for (const origin of FOREIGN) {
      expect((await (await me(s, { cookie, origin })).json()).data.me, origin).toBeNull();
      const session = await fetch(`${s.url}/api/auth/get-session`, { headers: { cookie, origin } });
      expect(await session.text(), origin).toBe('null');
      const jwt = await fetch(`${s.url}/api/auth/token`, { headers: { cookie, origin } });
      expect(jwt.status, origin).toBe(401);
    }
    // this server's own pages still may: its origin, or a browser saying the page is its own (a page opened as
    // localhost when the server listens on 127.0.0.1)
    expect((await (await me(s, { cookie, origin: new URL(s.url).origin })).json()).data.me.email).toBe(e);
    const aliased = `http://localhost:${new URL(s.url).port}`;
    expect((await (await me(s, { cookie, origin: aliased })).json()).data.me).toBeNull();
    expect((await (await me(s, { cookie, origin: aliased, 'sec-fetch-site': 'same-origin' })).json()).data.me.email).toBe(e);
    // and a non-browser client (no Origin) as before
    expect((await (await me(s, { cookie })).json()).data.me.email).toBe(e);
  });
});

describe('with CORS_ORIGINS listing two apps', () => {
  const server = useServer({ CORS_ORIGINS: `${APP}, ${OTHER}` });

  it('gives each listed origin its own CORS headers with credentials, and nobody else any', async () => {
    const s = server();
    for (const origin of [APP, OTHER]) {
      expect(corsHeaders(await me(s, { origin })), origin).toMatchObject({ origin, credentials: 'true' });
      const pre = await preflight(s, '/graphql', origin);
      expect(corsHeaders(pre), origin).toMatchObject({ origin, credentials: 'true' });
      expect(pre.headers.get('access-control-allow-methods'), origin).toContain('POST');
      expect(corsHeaders(await preflight(s, '/api/auth/sign-out', origin)), origin).toMatchObject({ origin, credentials: 'true' });
    }
    for (const origin of FOREIGN) {
      expect(corsHeaders(await me(s, { origin })), origin).toEqual(NONE);
      expect(corsHeaders(await preflight(s, '/graphql', origin)), origin).toEqual(NONE);
    }
  });

  it('honours the cookie from a listed origin only', async () => {
    const s = server();
    const { cookie, email: e } = await cookieUser(s);
    expect((await (await me(s, { cookie, origin: APP })).json()).data.me.email).toBe(e);
    for (const origin of FOREIGN) expect((await (await me(s, { cookie, origin })).json()).data.me, origin).toBeNull();
  });
});

describe('CORS_ORIGINS', () => {
  it('takes exact origins only: "*", paths, a trailing slash or a bare host stop start-up', () => {
    for (const value of [
      '*',
      'https://app.example.com/',
      'https://app.example.com/app',
      'app.example.com',
      `${APP}, *`,
      'ftp://files.example',
    ]) {
      expect(() => parseConfig({ CORS_ORIGINS: value }), value).toThrow(/CORS_ORIGINS/);
    }
    expect(parseConfig({ CORS_ORIGINS: `${APP}, http://localhost:3000,` }).CORS_ORIGINS).toEqual([APP, 'http://localhost:3000']);
    expect(parseConfig({}).CORS_ORIGINS).toEqual([]);
  });

  it("is trusted with Parley's own origin, which follows the public URL once the server listens", () => {
    let publicUrl = 'http://127.0.0.1:0';
    const trusted = new TrustedOrigins(parseConfig({ CORS_ORIGINS: APP }).CORS_ORIGINS, () => publicUrl);
    expect([trusted.has(APP), trusted.isListed(APP), trusted.has('http://127.0.0.1:0')]).toEqual([true, true, true]);
    publicUrl = 'http://127.0.0.1:41234';
    expect([trusted.has('http://127.0.0.1:0'), trusted.has('http://127.0.0.1:41234'), trusted.isListed('http://127.0.0.1:41234')]).toEqual([
      false,
      true,
      false,
    ]);
  });
});
