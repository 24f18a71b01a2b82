// Suspension: a suspended user's sockets and streams close at once (on every instance), their old session token and
// JWT stop working, sign-in over GraphQL and REST answers ACCOUNT_SUSPENDED until a moderator lifts it, and who may
// suspend whom (nobody themself or an admin; moderators only users; never across tenants).
import { describe, expect, it } from 'vitest';
import { useServer, useTwoInstances, type TestServer, type TestUser } from './helpers/server.ts';
import { rawSocket } from './helpers/raw-ws.ts';
import { titled } from './helpers/faults.ts';
import { as, code, ok, reason, team } from './helpers/moderation.ts';

const REDIS = process.env.TEST_REDIS_URL;
const SUSPEND = 'mutation($u: ID!, $r: String!) { suspendUser(userId: $u, reason: $r) { id suspendedAt suspendedReason } }';
const UNSUSPEND = 'mutation($u: ID!) { unsuspendUser(userId: $u) { id suspendedAt } }';
const SIGN_IN = 'mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { token } }';
const ME = '{ me { id } }';

/** A WebSocket past connection_init as `user`, with a subscription running. */
async function liveSocket(s: TestServer, user: TestUser) {
  const raw = await rawSocket(s);
  await raw.init({ clientId: user.clientId, authorization: `Bearer ${user.token}` });
  raw.send({ id: 'live', type: 'subscribe', payload: { query: 'subscription { sessionsEnded { reason } }' } });
  return raw;
}

/** An open SSE subscription as `user`; `ended()` resolves when the server drops or ends it. */
async function sseStream(s: TestServer, user: TestUser) {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${user.token}`,
      'x-client-id': user.clientId!,
    },
    body: JSON.stringify({ query: 'subscription { sessionsEnded { reason } }' }),
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader();
  const done = (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // the connection was dropped: that is the end too
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  return () =>
    Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('SSE stream still open')), 5_000)))]).finally(
      () => clearTimeout(timer),
    );
}

const restSignIn = (s: TestServer, user: TestUser, password = user.password) =>
  fetch(`${s.url}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: s.url, 'x-client-id': user.clientId! },
    body: JSON.stringify({ email: user.email, password }),
  });

describe('suspending a user', () => {
  const server = useServer();

  it('closes their sockets, ends their session token and JWT, and refuses sign-in until unsuspended', async () => {
    const s = server();
    const { moderator, users } = await team(s);
    const [u, bystander] = users;
    const jwt = (await ok<{ accessToken: { token: string } }>(s, u, 'mutation { accessToken { token } }')).accessToken.token;
    // Both credentials are in this instance's caches before the suspension.
    expect((await ok<{ me: { id: string } }>(s, u, ME)).me.id).toBe(u.id);
    expect((await ok<{ me: { id: string } }>(s, { ...u, token: jwt }, ME)).me.id).toBe(u.id);
    const [socket, other, sseEnded] = [await liveSocket(s, u), await liveSocket(s, bystander), await sseStream(s, u)];

    const done = await ok<{ suspendUser: { suspendedAt: string | null; suspendedReason: string } }>(s, moderator, SUSPEND, {
      u: u.id,
      r: 'Spam in every group',
    });
    expect(done.suspendUser.suspendedAt).not.toBeNull();
    expect(done.suspendUser.suspendedReason).toBe('Spam in every group');
    expect(await socket.closed()).toMatchObject({ code: 4403, reason: expect.stringMatching(/suspended/i) });
    await sseEnded();

    expect((await as<{ me: null }>(s, u, ME)).data?.me).toBeNull();
    expect((await as<{ me: null }>(s, { ...u, token: jwt }, ME)).data?.me).toBeNull();
    const refusedSocket = await rawSocket(s);
    refusedSocket.send({ type: 'connection_init', payload: { clientId: u.clientId, authorization: `Bearer ${u.token}` } });
    expect((await refusedSocket.closed()).code).toBe(4403);

    const signIn = await s.gql(SIGN_IN, { e: u.email, p: u.password }, { clientId: u.clientId });
    expect([code(signIn), reason(signIn)]).toEqual(['FORBIDDEN', 'ACCOUNT_SUSPENDED']);
    const rest = await restSignIn(s, u);
    expect(rest.status).toBe(403);
    expect(await rest.json()).toMatchObject({ code: 'ACCOUNT_SUSPENDED' });
    // A wrong password says nothing about the suspension.
    const wrong = await s.gql(SIGN_IN, { e: u.email, p: 'not the password' }, { clientId: u.clientId });
    expect(reason(wrong)).toBe('INVALID_CREDENTIALS');
    expect((await restSignIn(s, u, 'not the password')).status).toBe(401);

    // Others' connections stay; the user's row tells moderators why.
    other.send({ type: 'ping' });
    expect((await other.next()).type).toBe('pong');

    await ok(s, moderator, UNSUSPEND, { u: u.id });
    const again = await ok<{ signIn: { token: string } }>(s, u, SIGN_IN, { e: u.email, p: u.password });
    expect((await ok<{ me: { id: string } }>(s, { ...u, token: again.signIn.token }, ME)).me.id).toBe(u.id);
    expect((await restSignIn(s, u)).status).toBe(200);
  });

  it('lets nobody suspend themself or an admin, moderators only users, and nobody in another tenant', async () => {
    const s = server();
    const { admin, moderator, users } = await team(s);
    const other = await team(s);
    const refused = async (by: TestUser, target: TestUser, expected: string) =>
      expect(code(await as(s, by, SUSPEND, { u: target.id, r: 'because' }))).toBe(expected);
    await refused(users[0], users[1], 'FORBIDDEN');
    await refused(moderator, moderator, 'FORBIDDEN');
    await refused(moderator, admin, 'FORBIDDEN');
    await refused(admin, admin, 'FORBIDDEN');
    await refused(other.moderator, users[0], 'NOT_FOUND');
    await refused(other.admin, moderator, 'NOT_FOUND');
    const second = await s.user({ clientId: moderator.clientId });
    await ok(s, admin, 'mutation($u: ID!) { setUserRole(userId: $u, role: MODERATOR) { id } }', { u: second.id });
    await refused(moderator, second, 'FORBIDDEN');
    expect(code(await as(s, moderator, SUSPEND, { u: users[0].id, r: '   ' }))).toBe('BAD_USER_INPUT');
    expect(code(await as(s, users[0], UNSUSPEND, { u: users[1].id }))).toBe('FORBIDDEN');

    // An admin may suspend a moderator; every step is in the audit log.
    await ok(s, admin, SUSPEND, { u: second.id, r: 'Abused the role' });
    await ok(s, admin, UNSUSPEND, { u: second.id });
    const log = await ok<{ moderationLog: { edges: { node: { action: string; note: string | null } }[] } }>(
      s,
      moderator,
      '{ moderationLog(first: 5) { edges { node { action note } } } }',
    );
    expect(log.moderationLog.edges.slice(0, 2).map((e) => e.node)).toEqual([
      { action: 'UNSUSPEND_USER', note: null },
      { action: 'SUSPEND_USER', note: 'Abused the role' },
    ]);
  });

  it('shows a suspension to moderators, not to other users', async () => {
    const s = server();
    const { moderator, users } = await team(s);
    await ok(s, moderator, SUSPEND, { u: users[0].id, r: 'Spam' });
    const query = '{ users(first: 50) { edges { node { id suspendedAt suspendedReason } } } }';
    const find = async (who: TestUser) =>
      (await ok<{ users: { edges: { node: { id: string; suspendedReason: string | null } }[] } }>(s, who, query)).users.edges.find(
        (e) => e.node.id === users[0].id,
      )?.node;
    expect((await find(moderator))?.suspendedReason).toBe('Spam');
    expect((await find(users[1]))?.suspendedReason ?? null).toBeNull();
  });
});

describe.skipIf(!REDIS)(titled('suspending across instances', { TEST_REDIS_URL: REDIS }), () => {
  const pair = useTwoInstances({ TENANT_CACHE_MS: '600000' });

  it('a suspension on A closes the user’s socket on B and B refuses their cached token', async () => {
    const { a, b } = pair();
    await Promise.all([a, b].map((s) => s.services().pubsub.ready?.('users:removed')));
    await Promise.all([a, b].map((s) => s.services().pubsub.ready?.('sessions:revoked')));
    const { moderator, users } = await team(a);
    const [u] = users;
    expect((await ok<{ me: { id: string } }>(b, u, ME)).me.id).toBe(u.id); // cached on B
    const onB = await liveSocket(b, u);
    await ok(a, moderator, SUSPEND, { u: u.id, r: 'Harassment' });
    expect(await onB.closed()).toMatchObject({ code: 4403 });
    expect((await as<{ me: null }>(b, u, ME)).data?.me).toBeNull();
    const signIn = await b.gql(SIGN_IN, { e: u.email, p: u.password }, { clientId: u.clientId });
    expect(reason(signIn)).toBe('ACCOUNT_SUSPENDED');
  });
});
