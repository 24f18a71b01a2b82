// JWT access tokens: issuing, verifying offline with the JWKS (jose alone), use on every transport, revocation,
// key rotation, and sockets that close when their token expires.
import { describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { graphql } from './gql/index.ts';
import { startServer, useServer, type TestServer } from './helpers/server.ts';
import { closed, subscribe } from './helpers/ws.ts';
import { watchClose } from './helpers/auth.ts';
import { Authenticator } from '../src/auth/authenticator.ts';
import { SessionCache } from '../src/auth/session-cache.ts';

const AccessToken = graphql(`
  mutation AccessToken {
    accessToken {
      token
      expiresAt
      tokenType
    }
  }
`);
const Me = graphql(`
  query TokenMe {
    me {
      id
    }
    session {
      id
    }
  }
`);
const SignOut = graphql(`
  mutation TokenSignOut {
    signOut
  }
`);
const SessionsEnded = graphql(`
  subscription TokenSessionsEnded {
    sessionsEnded {
      sessionIds
      reason
    }
  }
`);

const jwks = async (s: TestServer) => createLocalJWKSet((await (await fetch(`${s.url}/api/auth/jwks`)).json()) as JSONWebKeySet);

describe('access tokens', () => {
  const server = useServer();

  it('issues an EdDSA JWT that jose verifies with the JWKS alone', async () => {
    const s = server();
    const u = await s.user();
    const { accessToken } = await s.ok(AccessToken, {}, { token: u.token });
    expect(accessToken.tokenType).toBe('Bearer');
    const { payload, protectedHeader } = await jwtVerify(accessToken.token, await jwks(s), { issuer: 'parley', audience: 'parley' });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(protectedHeader.kid).toBeTruthy();
    const me = await s.ok(Me, {}, { token: u.token });
    expect(payload).toMatchObject({ sub: u.id, sid: me.session?.id, tid: 'default' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(accessToken.expiresAt).getTime()).toBe(payload.exp! * 1000);

    const rest = await fetch(`${s.url}/api/auth/token`, { headers: { authorization: `Bearer ${u.token}` } });
    expect((await jwtVerify(((await rest.json()) as { token: string }).token, await jwks(s))).payload.sub).toBe(u.id);
    expect((await fetch(`${s.url}/api/auth/token`)).status).toBe(401);
    const anon = await s.gql(AccessToken);
    expect(anon.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('works as a Bearer token over HTTP and WebSocket, and stops working when its session ends', async () => {
    const s = server();
    const u = await s.user();
    const jwt = (await s.ok(AccessToken, {}, { token: u.token })).accessToken.token;
    expect((await s.ok(Me, {}, { token: jwt })).me?.id).toBe(u.id);

    const client = s.ws({ token: jwt });
    const events = subscribe(client, SessionsEnded);
    const close = watchClose(client);
    await events.live(async () => {
      // Probe: another session of the same user signs out, which this subscription reports.
      const extra = await s.gql(
        graphql(`
          mutation TokenSignIn($i: SignInInput!) {
            signIn(input: $i) {
              token
            }
          }
        `),
        { i: { email: u.email, password: u.password } },
      );
      await s.ok(SignOut, {}, { token: extra.data!.signIn.token });
    });

    await s.ok(SignOut, {}, { token: u.token });
    expect((await close.wait()).code).toBe(4403);
    expect((await s.ok(Me, {}, { token: jwt })).me).toBeNull();
    const late = s.ws({ token: jwt });
    const lateSub = subscribe(late, SessionsEnded);
    expect((await closed(late)).code).toBe(4403);
    lateSub.stop();
  });

  it('rejects tampered tokens and tokens from another tenant', async () => {
    const s = server();
    await s.services().tenants.add(`jwt-${process.pid}`);
    const u = await s.user();
    const jwt = (await s.ok(AccessToken, {}, { token: u.token })).accessToken.token;
    const [h, p, sig] = jwt.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${sig}`;
    expect((await s.ok(Me, {}, { token: forged })).me).toBeNull();
    expect((await s.ok(Me, {}, { token: jwt, clientId: `jwt-${process.pid}` })).me).toBeNull();
  });

  it('rotates keys: the new key signs, tokens of the old key keep verifying', async () => {
    const s = server();
    const u = await s.user();
    const before = (await s.ok(AccessToken, {}, { token: u.token })).accessToken.token;
    await s.services().signingKeys.rotate();
    const after = (await s.ok(AccessToken, {}, { token: u.token })).accessToken.token;
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid);
    const set = await jwks(s);
    for (const t of [before, after]) {
      expect((await jwtVerify(t, set)).payload.sub).toBe(u.id);
      expect((await s.ok(Me, {}, { token: t })).me?.id).toBe(u.id);
    }
    const stored = await s.db.prisma.signingKey.findMany();
    expect(stored.filter((k) => !k.retiredAt)).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain('"d":'); // private keys are stored encrypted
  });

  it('remembers at most its bound of verified tokens, and never an expired one', async () => {
    const s = server();
    const u = await s.user();
    const services = s.services();
    const viewer = (await services.auth.fromBearer('default', u.token))!;
    const auth = new Authenticator({
      prisma: services.prisma,
      accounts: services.accounts,
      keys: services.signingKeys,
      cache: new SessionCache(),
      pubsub: services.pubsub,
      logger: services.logger,
      secret: services.config.authSecret,
      issuer: 'parley',
      accessTokenTtlSeconds: 900,
      sessionTtlDays: services.config.SESSION_TTL_DAYS,
      maxVerifiedJwts: 2,
    });
    // A token never outlives its session: one issued for a session already past its expiry is expired at once.
    const ended = { ...viewer, session: { ...viewer.session, expiresAt: new Date(Date.now() - 60_000) } };
    expect(await auth.fromBearer('default', (await auth.issueAccessToken(ended)).token)).toBeNull();
    expect(auth.verifiedJwts).toBe(0);
    const tokens = [await auth.issueAccessToken(viewer), await auth.issueAccessToken(viewer), await auth.issueAccessToken(viewer)];
    for (const { token } of tokens) expect((await auth.fromBearer('default', token))?.session.id).toBe(viewer.session.id);
    expect(auth.verifiedJwts).toBe(2);
    // A token verified again (evicted, or remembered) is accepted all the same.
    expect((await auth.fromBearer('default', tokens[0].token))?.user.id).toBe(u.id);
    expect(auth.verifiedJwts).toBe(2);
  });
});

describe('a socket authenticated with a JWT', () => {
  const server = useServer({ JWT_TTL_SECONDS: '5' });

  it('closes with 4403 when the token expires (clients reconnect with a fresh token)', async () => {
    const s = server();
    const u = await s.user();
    const jwt = (await s.ok(AccessToken, {}, { token: u.token })).accessToken.token;
    const client = s.ws({ token: jwt });
    const close = watchClose(client);
    const events = subscribe(client, SessionsEnded);
    const result = await close.wait();
    expect(result).toEqual({ code: 4403, reason: 'Access token expired' });
    events.stop();
    // the session itself is fine: a new token connects again
    expect((await s.ok(Me, {}, { token: u.token })).me?.id).toBe(u.id);
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('two instances sharing PostgreSQL/PGlite and Redis', () => {
  it('a session revoked on one instance stops its JWT and closes its socket on the other', async () => {
    const prefix = `test:shared:${process.pid}:${Date.now()}:`;
    const a = await startServer({ REDIS_PREFIX: prefix });
    const b = await startServer({ REDIS_PREFIX: prefix }, { db: a.db });
    try {
      const u = await a.user();
      const jwt = (await a.ok(AccessToken, {}, { token: u.token })).accessToken.token;
      expect((await b.ok(Me, {}, { token: jwt })).me?.id).toBe(u.id); // same keys: B verifies A's token, and caches the session
      const client = b.ws({ token: jwt });
      const close = watchClose(client);
      const sub = subscribe(client, SessionsEnded);
      await sub.live(async () => {
        const extra = await a.gql(
          graphql(`
            mutation TokenSignIn2($i: SignInInput!) {
              signIn(input: $i) {
                token
              }
            }
          `),
          { i: { email: u.email, password: u.password } },
        );
        await a.ok(SignOut, {}, { token: extra.data!.signIn.token });
      });
      await a.ok(SignOut, {}, { token: u.token });
      expect((await close.wait()).code).toBe(4403);
      expect((await b.ok(Me, {}, { token: jwt })).me).toBeNull();
    } finally {
      await b.stop().catch(() => {});
      await a.stop();
    }
  });
});
