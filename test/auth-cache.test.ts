// The viewer cache (session + user by token hash) must never serve what the database no longer says: a profile
// change is visible on the very next request, a revoked session is rejected on the very next request, and other
// instances drop their copies when the `users:changed` event reaches them.
import { beforeEach, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { useServer, useTwoInstances, type TestServer } from './helpers/server.ts';
import { online } from './helpers/online.ts';
import { MAX_SESSIONS_CACHED, SessionCache } from '../src/auth/session-cache.ts';
import type { Viewer } from '../src/accounts/accounts.types.ts';

const REDIS = process.env.TEST_REDIS_URL;

const Me = graphql(`
  query CacheMe {
    me {
      id
      name
      username
    }
  }
`);
const MeStatus = graphql(`
  query CacheMeStatus {
    me {
      id
      presence {
        status
        statusText
      }
    }
  }
`);
const UpdateProfile = graphql(`
  mutation CacheUpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      id
      name
    }
  }
`);
const SetStatus = graphql(`
  mutation CacheSetStatus($status: PresenceStatus!, $text: String) {
    setStatus(status: $status, text: $text) {
      status
    }
  }
`);
const SignIn = graphql(`
  mutation CacheSignIn($input: SignInInput!) {
    signIn(input: $input) {
      token
      session {
        id
      }
    }
  }
`);
const RevokeSession = graphql(`
  mutation CacheRevoke($id: ID!) {
    revokeSession(id: $id)
  }
`);
const SignOut = graphql(`
  mutation CacheSignOut {
    signOut
  }
`);

/** Two requests, so the second is certainly answered from the cache. */
const warm = async (s: TestServer, token: string) => {
  await s.ok(Me, {}, { token });
  return s.ok(Me, {}, { token });
};

describe('viewer cache on one instance', () => {
  const server = useServer();

  it('shows a profile change (GraphQL) on the next request', async () => {
    const s = server();
    const u = await s.user();
    expect((await warm(s, u.token)).me?.name).toBe(u.name);
    await s.ok(UpdateProfile, { input: { name: 'Renamed', username: `r_${Date.now()}` } }, { token: u.token });
    const { me } = await s.ok(Me, {}, { token: u.token });
    expect(me?.name).toBe('Renamed');
    expect(me?.username).toMatch(/^r_/);
  });

  it('shows a profile change made through REST on the next GraphQL request', async () => {
    const s = server();
    const u = await s.user();
    await warm(s, u.token);
    const res = await fetch(`${s.url}/api/auth/update-user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${u.token}` },
      body: JSON.stringify({ name: 'Via REST' }),
    });
    expect(res.status).toBe(200);
    expect((await s.ok(Me, {}, { token: u.token })).me?.name).toBe('Via REST');
  });

  it('shows a status change on the next request', async () => {
    const s = server();
    const u = await s.user();
    await online(s, u);
    await s.ok(MeStatus, {}, { token: u.token });
    await s.ok(MeStatus, {}, { token: u.token });
    await s.ok(SetStatus, { status: 'BUSY', text: 'in a meeting' }, { token: u.token });
    const { me } = await s.ok(MeStatus, {}, { token: u.token });
    expect(me?.presence).toMatchObject({ status: 'BUSY', statusText: 'in a meeting' });
  });

  it('rejects a revoked session on the next request', async () => {
    const s = server();
    const u = await s.user();
    const second = (await s.ok(SignIn, { input: { email: u.email, password: u.password } })).signIn;
    expect((await warm(s, second.token)).me?.id).toBe(u.id);
    await s.ok(RevokeSession, { id: second.session.id }, { token: u.token });
    expect((await s.ok(Me, {}, { token: second.token })).me).toBeNull();
    const res = await s.gql(UpdateProfile, { input: { name: 'Nope' } }, { token: second.token });
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('rejects a signed-out token on the next request', async () => {
    const s = server();
    const u = await s.user();
    await warm(s, u.token);
    await s.ok(SignOut, {}, { token: u.token });
    expect((await s.ok(Me, {}, { token: u.token })).me).toBeNull();
  });

  it('renews a remembered session used after a day (sliding expiry) though it is cached', async () => {
    const s = server();
    const u = await s.user();
    await warm(s, u.token);
    const prisma = s.services().prisma;
    const session = await prisma.session.findFirstOrThrow({ where: { userId: u.id } });
    const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    const soon = new Date(Date.now() + 60 * 60 * 1000);
    // Make the cached copy stale the way time would: the next use must go to the database and extend the session.
    await prisma.$executeRaw`UPDATE "Session" SET "updatedAt" = ${old}, "expiresAt" = ${soon} WHERE id = ${session.id}`;
    s.services().accounts.userChanged({ id: u.id, tenantId: session.tenantId });
    await s.ok(Me, {}, { token: u.token });
    const renewed = await prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 60 * 60 * 1000);
    expect((await s.ok(Me, {}, { token: u.token })).me?.id).toBe(u.id);
  });
});

describe.skipIf(!REDIS)('viewer cache across two instances', () => {
  const pair = useTwoInstances();
  let a: TestServer;
  let b: TestServer;
  beforeEach(() => ({ a, b } = pair()));

  it('a profile change on A is what B serves once the users:changed event reached B', async () => {
    const u = await a.user();
    expect((await warm(b, u.token)).me?.name).toBe(u.name);
    const events = b.services().pubsub.subscribe('users:changed')[Symbol.asyncIterator]();
    await b.services().pubsub.ready?.('users:changed');
    try {
      const arrived = (async () => {
        for (;;) {
          const e = await events.next();
          if (e.done || e.value.userId === u.id) return;
        }
      })();
      await a.ok(UpdateProfile, { input: { name: 'Changed on A' } }, { token: u.token });
      await arrived;
    } finally {
      await events.return?.();
    }
    expect((await b.ok(Me, {}, { token: u.token })).me?.name).toBe('Changed on A');
  });

  it('a session revoked on A is rejected by B', async () => {
    const u = await a.user();
    const second = (await a.ok(SignIn, { input: { email: u.email, password: u.password } })).signIn;
    await warm(b, second.token);
    const events = b.services().pubsub.subscribe('sessions:revoked')[Symbol.asyncIterator]();
    await b.services().pubsub.ready?.('sessions:revoked');
    try {
      const arrived = (async () => {
        for (;;) {
          const e = await events.next();
          if (e.done || e.value.sessionIds.includes(second.session.id)) return;
        }
      })();
      await a.ok(RevokeSession, { id: second.session.id }, { token: u.token });
      await arrived;
    } finally {
      await events.return?.();
    }
    expect((await b.ok(Me, {}, { token: second.token })).me).toBeNull();
  });
});

describe('SessionCache bounds', () => {
  const viewer = (sessionId: string, userId = `u-${sessionId}`) => ({ user: { id: userId }, session: { id: sessionId } }) as Viewer;

  it(`holds at most ${MAX_SESSIONS_CACHED} sessions; the least recently used goes with its token hash`, () => {
    const cache = new SessionCache();
    for (let i = 0; i <= MAX_SESSIONS_CACHED; i++) cache.setForToken(`hash-${i}`, viewer(`s-${i}`), cache.epoch());
    expect(cache.sizes()).toEqual({ sessions: MAX_SESSIONS_CACHED, tokens: MAX_SESSIONS_CACHED });
    expect(cache.getByToken('hash-0')).toBeUndefined();
    expect(cache.get('s-0')).toBeUndefined();
    expect(cache.getByToken(`hash-${MAX_SESSIONS_CACHED}`)?.session.id).toBe(`s-${MAX_SESSIONS_CACHED}`);
  });

  it('a revoked session is refused by both indexes, and once forgotten is gone from both', () => {
    const cache = new SessionCache();
    cache.setForToken('hash-a', viewer('a'), cache.epoch());
    cache.setForToken('hash-b', viewer('b'), cache.epoch());
    cache.revoke(['a']);
    expect(cache.get('a')).toBeNull();
    expect(cache.getByToken('hash-a')).toBeNull();
    expect(cache.sizes()).toEqual({ sessions: 2, tokens: 2 });
    cache.forgetSession('a');
    expect(cache.getByToken('hash-a')).toBeUndefined();
    expect(cache.sizes()).toEqual({ sessions: 1, tokens: 1 });
    cache.forgetUser('u-b');
    expect(cache.getByToken('hash-b')).toBeUndefined();
    expect(cache.sizes()).toEqual({ sessions: 0, tokens: 0 });
  });
});
