// Redirect targets (reset and verification links, sign-in/sign-up callbackURL): every smuggling shape an attacker
// tried is refused through GraphQL and REST, and a mailed link only ever sends the browser to a trusted origin.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer } from './helpers/server.ts';
import { lastMail } from './helpers/auth.ts';

const APP = 'https://app.example.com';
const ATTACKS = [
  '/\t/evil.example/steal',
  '/\n/evil.example/steal',
  '/\r/evil.example/steal',
  '/\r\n/evil.example/steal',
  '/\\evil.example/steal',
  '\\\\evil.example/steal',
  '/\u0001/evil.example/steal', // (NUL is refused earlier, for every string input)
  '/\u0085/evil.example/steal',
  '/\u007f/evil.example/steal',
  'javascript:alert(document.cookie)',
  'JavaScript://%0aalert(1)',
  'data:text/html,<script>alert(1)</script>',
  'https://evil.example/steal',
  'http://evil.example',
  '//evil.example/steal',
  ' //evil.example/steal',
  'https:evil.example/steal',
  'https://app.example.com@evil.example/steal',
  'https://user:pw@app.example.com/reset',
  'evil.example/steal',
  // paths whose dot segments resolve to "//evil.example/steal", which a client normalizing the path reads as a host
  '/..//evil.example/steal',
  '/.//evil.example/steal',
  '/a/..//evil.example/steal',
  '/%2e%2e//evil.example/steal',
  `${APP}/..//evil.example/steal`,
];

type Result = { errors?: readonly { extensions?: Record<string, unknown> }[] };
const ext = (r: Result) => r.errors?.[0]?.extensions ?? {};
let n = 0;
const email = () => `redir${process.pid}x${Date.now()}x${n++}@example.com`;

async function post(s: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/api/auth${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, location: res.headers.get('location'), body: text ? JSON.parse(text) : undefined };
}

/** A GET through node:http, which sends the Host header it is given (fetch would not). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The origin a redirect sends the browser to, resolved as a browser resolves Location against the request URL. */
const landsOn = (requestUrl: string, location: string) => new URL(location, requestUrl).origin;

describe('redirect targets', () => {
  const server = useServer({ CORS_ORIGINS: APP });

  it('refuses every smuggled target in GraphQL requestPasswordReset and sendVerificationEmail', async () => {
    const s = server();
    const u = await s.user();
    for (const target of ATTACKS) {
      const reset = await s.gql('mutation($e: String!, $r: String) { requestPasswordReset(email: $e, redirectTo: $r) }', {
        e: u.email,
        r: target,
      });
      expect(ext(reset), JSON.stringify(target)).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'UNTRUSTED_REDIRECT',
        field: 'redirectTo',
      });
      const verify = await s.gql('mutation($c: String) { sendVerificationEmail(callbackURL: $c) }', { c: target }, { token: u.token });
      expect(ext(verify), JSON.stringify(target)).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'UNTRUSTED_REDIRECT',
        field: 'callbackURL',
      });
    }
    await s.services().recovery.idle();
    expect(await s.db.prisma.outboxMail.count({ where: { to: u.email } })).toBe(0);
  });

  it("refuses every smuggled target on the REST routes, with better-auth's codes and no Location", async () => {
    const s = server();
    const e = email();
    await post(s, '/sign-up/email', { name: 'R', email: e, password: 'password123' });
    for (const target of ATTACKS) {
      const why = JSON.stringify(target);
      const reset = await post(s, '/request-password-reset', { email: e, redirectTo: target });
      expect([reset.status, reset.body?.code, reset.location], why).toEqual([403, 'INVALID_REDIRECT_URL', null]);
      const verify = await post(s, '/send-verification-email', { email: e, callbackURL: target });
      expect([verify.status, verify.body?.code], why).toEqual([403, 'INVALID_CALLBACK_URL']);
      const signIn = await post(s, '/sign-in/email', { email: e, password: 'password123', callbackURL: target });
      expect([signIn.status, signIn.body?.code, signIn.location], why).toEqual([403, 'INVALID_CALLBACK_URL', null]);
      const signUp = await post(s, '/sign-up/email', { name: 'R', email: email(), password: 'password123', callbackURL: target });
      expect([signUp.status, signUp.body?.code], why).toEqual([403, 'INVALID_CALLBACK_URL']);
      const q = encodeURIComponent(target);
      const verifyLink = await get(`${s.url}/api/auth/verify-email?token=whatever&callbackURL=${q}`);
      expect([verifyLink.status, verifyLink.location], why).toEqual([403, undefined]);
      const resetLink = await get(`${s.url}/api/auth/reset-password/whatever?callbackURL=${q}`);
      expect([resetLink.status, resetLink.location], why).toEqual([403, undefined]);
    }
    await s.services().recovery.idle();
    expect(await s.db.prisma.outboxMail.count({ where: { to: e } })).toBe(0);
  });

  it('never trusts the Host header: a request claiming to be evil.example may not redirect there', async () => {
    const s = server();
    const e = email();
    await post(s, '/sign-up/email', { name: 'H', email: e, password: 'password123' });
    const body = JSON.stringify({ email: e, redirectTo: 'http://evil.example/steal' });
    // Sent by the attacker's own script (no browser, so no Origin to check): only the redirect rule stands in the way.
    const asked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers = { host: 'evil.example', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      const req = request(`${s.url}/api/auth/request-password-reset`, { method: 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect([asked.status, JSON.parse(asked.body).code]).toEqual([403, 'INVALID_REDIRECT_URL']);
    const link = await get(`${s.url}/api/auth/verify-email?token=whatever&callbackURL=${encodeURIComponent('http://evil.example/steal')}`, {
      host: 'evil.example',
    });
    expect([link.status, link.location]).toEqual([403, undefined]);
  });

  it('accepts paths and trusted origins, and the mailed link lands there with the token', async () => {
    const s = server();
    const u = await s.user();
    for (const [target, origin, path] of [
      ['/reset', new URL(s.url).origin, '/reset'],
      [`${s.url}/account/reset?from=mail`, new URL(s.url).origin, '/account/reset'],
      [`${APP}/reset`, APP, '/reset'],
    ]) {
      const before = new Date();
      await s.ok('mutation($e: String!, $r: String) { requestPasswordReset(email: $e, redirectTo: $r) }', { e: u.email, r: target });
      const mail = await lastMail(s, u.email, before);
      const hop = await get(mail.link!);
      expect(hop.status).toBe(302);
      const landing = new URL(hop.location!, mail.link!);
      expect([landing.origin, landing.pathname]).toEqual([origin, path]);
      expect(landing.searchParams.get('token')).toBeTruthy();
    }
  });

  it('a mailed link whose callbackURL was swapped for a smuggled one redirects nowhere', async () => {
    const s = server();
    const u = await s.user();
    const before = new Date();
    await s.ok('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: u.email });
    const mail = await lastMail(s, u.email, before);
    for (const target of ATTACKS) {
      const link = new URL(mail.link!);
      link.searchParams.set('callbackURL', target);
      const hop = await get(link.toString());
      expect([hop.status, hop.location], JSON.stringify(target)).toEqual([403, undefined]);
    }
    // the untouched link still works, and it lands on this server
    const hop = await get(mail.link!);
    expect(hop.status).toBe(302);
    expect(landsOn(mail.link!, hop.location!)).toBe(new URL(s.url).origin);
  });

  it('sign-in echoes a trusted callbackURL as better-auth does', async () => {
    const s = server();
    const e = email();
    await post(s, '/sign-up/email', { name: 'S', email: e, password: 'password123' });
    for (const target of ['/home', `${APP}/home`]) {
      const r = await post(s, '/sign-in/email', { email: e, password: 'password123', callbackURL: target });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ redirect: true, url: target });
      expect(r.location).toBe(target);
    }
  });

  it('sends the target it checked, as the URL parser resolved it: percent-encoded, dot segments gone', async () => {
    const s = server();
    const e = email();
    await post(s, '/sign-up/email', { name: 'S', email: e, password: 'password123' });
    const user = await s.db.prisma.user.findFirstOrThrow({ where: { email: e } });
    const sessions = () => s.db.prisma.session.count({ where: { userId: user.id } });
    for (const [target, sent] of [
      ['/聊天?q=é#ü', '/%E8%81%8A%E5%A4%A9?q=%C3%A9#%C3%BC'],
      ['/a/../home', '/home'],
      [`${APP}/聊天`, `${APP}/%E8%81%8A%E5%A4%A9`],
    ]) {
      const before = await sessions();
      const r = await post(s, '/sign-in/email', { email: e, password: 'password123', callbackURL: target });
      expect([r.status, r.body?.url, r.location], target).toEqual([200, sent, sent]);
      expect(await sessions()).toBe(before + 1);
    }
    // A refused target is refused before anything happens: no session, no account.
    const before = await sessions();
    const refused = await post(s, '/sign-in/email', { email: e, password: 'password123', callbackURL: '/..//evil.example' });
    expect([refused.status, refused.body?.code, refused.location]).toEqual([403, 'INVALID_CALLBACK_URL', null]);
    expect(await sessions()).toBe(before);
    const newcomer = email();
    const signUp = await post(s, '/sign-up/email', {
      name: 'S',
      email: newcomer,
      password: 'password123',
      callbackURL: '/..//evil.example',
    });
    expect(signUp.status).toBe(403);
    expect(await s.db.prisma.user.count({ where: { email: newcomer } })).toBe(0);

    // The verify-email link redirects to the resolved target too.
    const link = await get(`${s.url}/api/auth/verify-email?token=whatever&callbackURL=${encodeURIComponent('/x/../聊天')}`);
    expect([link.status, link.location]).toEqual([302, `${s.url}/%E8%81%8A%E5%A4%A9?error=INVALID_TOKEN`]);

    // Mail links carry the resolved target, and opening one lands on it.
    for (const [mutation, variables, field] of [
      ['mutation($e: String!, $r: String) { requestPasswordReset(email: $e, redirectTo: $r) }', { e }, 'r'],
      ['mutation($c: String) { sendVerificationEmail(callbackURL: $c) }', {}, 'c'],
    ] as const) {
      const after = new Date();
      await s.ok(
        mutation,
        { ...variables, [field]: '/x/../聊天' },
        { token: (await post(s, '/sign-in/email', { email: e, password: 'password123' })).body.token },
      );
      const mail = await lastMail(s, e, after);
      expect(new URL(mail.link!).searchParams.get('callbackURL')).toBe('/%E8%81%8A%E5%A4%A9');
      const hop = await get(mail.link!);
      expect(hop.status).toBe(302);
      expect(new URL(hop.location!).pathname).toBe('/%E8%81%8A%E5%A4%A9');
    }
  });
});
