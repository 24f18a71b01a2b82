import { describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { useServer } from './helpers/server.ts';
import { closed, subscribe } from './helpers/ws.ts';

const SignUp = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      token
      user {
        id
        email
        name
        username
        phoneNumber
        emailVerified
        createdAt
      }
      session {
        id
        current
        expiresAt
      }
    }
  }
`);
const SignIn = graphql(`
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      token
      user {
        id
        email
      }
      session {
        id
        expiresAt
      }
    }
  }
`);
const Me = graphql(`
  query Me {
    me {
      id
      name
      email
      username
      phoneNumber
    }
    session {
      id
      current
    }
  }
`);
const Sessions = graphql(`
  query Sessions {
    sessions {
      id
      current
      userAgent
    }
  }
`);
const SignOut = graphql(`
  mutation SignOut {
    signOut
  }
`);
const RevokeSession = graphql(`
  mutation RevokeSession($id: ID!) {
    revokeSession(id: $id)
  }
`);
const RevokeOthers = graphql(`
  mutation RevokeOthers {
    revokeOtherSessions
  }
`);
const UpdateProfile = graphql(`
  mutation UpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      id
      name
      username
      phoneNumber
      image
    }
  }
`);
const SessionsEnded = graphql(`
  subscription SessionsEnded {
    sessionsEnded {
      sessionIds
      reason
    }
  }
`);

const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;

describe('accounts', () => {
  const server = useServer();
  let n = 0;
  const email = () => `person${Date.now()}${n++}@Example.COM`;

  it('signs up, normalises input, and returns a working token', async () => {
    const s = server();
    const raw = email();
    const { signUp } = await s.ok(SignUp, {
      input: { email: `  ${raw} `, password: 'correct horse', name: ' Ada ', username: 'Ada.L', phoneNumber: '+44 20 7946 0958' },
    });
    expect(signUp.token.length).toBeGreaterThanOrEqual(43);
    expect(signUp.user).toMatchObject({
      email: raw.toLowerCase(),
      name: 'Ada',
      username: 'ada.l',
      phoneNumber: '+442079460958',
      emailVerified: false,
    });
    expect(signUp.session.current).toBe(true);
    const days = (Date.parse(signUp.session.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    const me = await s.ok(Me, {}, { token: signUp.token });
    expect(me.me?.id).toBe(signUp.user.id);
    expect(me.session?.current).toBe(true);
  });

  it('stores only a hash of the session token and never exposes the password hash', async () => {
    const s = server();
    const u = await s.user();
    const row = await s.db.prisma.session.findFirstOrThrow({ where: { userId: u.id } });
    expect(row.tokenHash).not.toBe(u.token);
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    const user = await s.db.prisma.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(user.passwordHash).toMatch(/^\$2[aby]\$/);
    const introspection = await s.gql('{ __type(name: "User") { fields { name } } }');
    expect(JSON.stringify(introspection)).not.toMatch(/password/i);
  });

  it('rejects bad sign-up input with BAD_USER_INPUT and the field', async () => {
    const s = server();
    const cases: [Record<string, string>, string][] = [
      [{ email: 'not-an-email' }, 'email'],
      [{ password: 'short' }, 'password'],
      [{ password: 'x'.repeat(73) }, 'password'],
      [{ password: 'é'.repeat(37) }, 'password'], // 74 bytes in UTF-8: too long even though 37 characters
      [{ phoneNumber: '12345' }, 'phoneNumber'],
      [{ phoneNumber: '020 7946 0958' }, 'phoneNumber'],
      [{ username: 'ab' }, 'username'],
      [{ username: 'has space' }, 'username'],
      [{ name: '   ' }, 'name'],
    ];
    for (const [override, field] of cases) {
      const r = await s.gql(SignUp, { input: { email: email(), password: 'correct horse', name: 'X', ...override } });
      expect(code(r), JSON.stringify(override)).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.extensions?.field).toBe(field);
    }
    const long = await s.gql(SignUp, { input: { email: email(), password: 'x'.repeat(73), name: 'X' } });
    expect(long.errors?.[0]?.message).toMatch(/at most 72 bytes/);
  });

  it('rejects a duplicate email or username in the same tenant, allows the email in another tenant', async () => {
    const s = server();
    const e = email();
    await s.ok(SignUp, { input: { email: e, password: 'correct horse', name: 'A', username: `u${n++}x` } });
    const dup = await s.gql(SignUp, { input: { email: e.toUpperCase(), password: 'correct horse', name: 'B' } });
    expect(code(dup)).toBe('CONFLICT');
    expect(dup.errors?.[0]?.extensions?.field).toBe('email');

    await s.services().tenants.add('acme', 'Acme');
    const other = await s.ok(SignUp, { input: { email: e, password: 'another pass', name: 'Other A' } }, { clientId: 'acme' });
    expect(other.signUp.user.email).toBe(e.toLowerCase());
  });

  it('signs in by email or username; a wrong password and an unknown email look the same', async () => {
    const s = server();
    const u = await s.user({ username: `ivy${n++}` });
    const byEmail = await s.ok(SignIn, { input: { email: u.email, password: u.password } });
    expect(byEmail.signIn.user.id).toBe(u.id);
    const row = await s.db.prisma.user.findUniqueOrThrow({ where: { id: u.id } });
    const byUsername = await s.ok(SignIn, { input: { username: row.username, password: u.password } });
    expect(byUsername.signIn.user.id).toBe(u.id);

    const wrong = await s.gql(SignIn, { input: { email: u.email, password: 'wrong password' } });
    const unknown = await s.gql(SignIn, { input: { email: 'nobody@example.com', password: 'wrong password' } });
    expect(code(wrong)).toBe('UNAUTHENTICATED');
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    // alike but for the request id, which every error carries
    expect({ ...wrong.errors?.[0]?.extensions, requestId: null }).toEqual({ ...unknown.errors?.[0]?.extensions, requestId: null });
  });

  it('compares against a dummy bcrypt hash when the email is unknown', async () => {
    const s = server();
    const dummy = await s.services().accounts.dummyHash();
    expect(dummy).toMatch(/^\$2[aby]\$04\$/); // a real hash at the configured cost, so timing matches
  });

  it('rememberMe: false gives a one-day session', async () => {
    const s = server();
    const u = await s.user();
    const r = await s.ok(SignIn, { input: { email: u.email, password: u.password, rememberMe: false } });
    const hours = (Date.parse(r.signIn.session.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23);
    expect(hours).toBeLessThanOrEqual(24);
  });

  it('expired and revoked sessions stop authenticating', async () => {
    const s = server();
    const u = await s.user();
    await s.db.prisma.session.updateMany({ where: { userId: u.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await s.ok(Me, {}, { token: u.token })).me).toBeNull();
    expect(code(await s.gql(Sessions, {}, { token: u.token }))).toBe('UNAUTHENTICATED');

    const a = await s.ok(SignIn, { input: { email: u.email, password: u.password } });
    const b = await s.ok(SignIn, { input: { email: u.email, password: u.password } });
    const list = await s.ok(Sessions, {}, { token: a.signIn.token });
    expect(list.sessions.map((x) => x.id).sort()).toEqual([a.signIn.session.id, b.signIn.session.id].sort());
    expect(list.sessions.find((x) => x.id === a.signIn.session.id)?.current).toBe(true);

    expect((await s.ok(RevokeSession, { id: b.signIn.session.id }, { token: a.signIn.token })).revokeSession).toBe(true);
    expect((await s.ok(Me, {}, { token: b.signIn.token })).me).toBeNull();
    expect(code(await s.gql(RevokeSession, { id: b.signIn.session.id }, { token: a.signIn.token }))).toBe('NOT_FOUND');

    expect((await s.ok(SignOut, {}, { token: a.signIn.token })).signOut).toBe(true);
    expect((await s.ok(Me, {}, { token: a.signIn.token })).me).toBeNull();
    expect((await s.ok(SignOut, {}, {})).signOut).toBe(false);
  });

  it('extends a remembered session used after a day (sliding expiry), not a one-day one', async () => {
    const s = server();
    const u = await s.user();
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    const soon = new Date(Date.now() + 3 * 86_400_000);
    await s.db.prisma.session.updateMany({ where: { userId: u.id }, data: { updatedAt: twoDaysAgo, expiresAt: soon } });
    const me = await s.ok(Me, {}, { token: u.token });
    expect(me.me?.id).toBe(u.id);
    const row = await s.db.prisma.session.findFirstOrThrow({ where: { userId: u.id } });
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);

    const short = await s.ok(SignIn, { input: { email: u.email, password: u.password, rememberMe: false } });
    await s.db.prisma.session.update({ where: { id: short.signIn.session.id }, data: { updatedAt: twoDaysAgo } });
    await s.ok(Me, {}, { token: short.signIn.token });
    const shortRow = await s.db.prisma.session.findUniqueOrThrow({ where: { id: short.signIn.session.id } });
    expect(shortRow.expiresAt.toISOString()).toBe(short.signIn.session.expiresAt);
  });

  it('refuses a WebSocket with a bad token (4403) instead of treating it as a guest', async () => {
    const s = server();
    const client = s.ws({ token: 'not-a-real-token' });
    const sub = subscribe(client, SessionsEnded);
    expect((await closed(client)).code).toBe(4403);
    sub.stop();
  });

  it("cannot revoke another user's session", async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const bSession = await s.ok(Me, {}, { token: b.token });
    expect(code(await s.gql(RevokeSession, { id: bSession.session!.id }, { token: a.token }))).toBe('NOT_FOUND');
    expect((await s.ok(Me, {}, { token: b.token })).me?.id).toBe(b.id);
  });

  it('revokeOtherSessions keeps only the current one and tells live subscribers', async () => {
    const s = server();
    const u = await s.user();
    const other = await s.ok(SignIn, { input: { email: u.email, password: u.password } });
    const client = s.ws({ token: u.token });
    const events = subscribe(client, SessionsEnded);
    // Probe: sign in and out again until the subscription reports it, so we know it is live.
    await events.live(async () => {
      const probe = await s.ok(SignIn, { input: { email: u.email, password: u.password } });
      await s.ok(SignOut, {}, { token: probe.signIn.token });
    });

    expect((await s.ok(RevokeOthers, {}, { token: u.token })).revokeOtherSessions).toBe(1);
    const ended = await events.until((e) => e.data?.sessionsEnded.reason === 'signed out elsewhere');
    expect(ended.data?.sessionsEnded.sessionIds).toEqual([other.signIn.session.id]);
    expect((await s.ok(Me, {}, { token: other.signIn.token })).me).toBeNull();
    expect((await s.ok(Me, {}, { token: u.token })).me?.id).toBe(u.id);
  });

  it("sessionsEnded streams only the viewer's own sessions", async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const signOutAnother = async (u: typeof a) => {
      const probe = await s.ok(SignIn, { input: { email: u.email, password: u.password } });
      await s.ok(SignOut, {}, { token: probe.signIn.token });
      return probe.signIn.session.id;
    };
    const [ofA, ofB] = [subscribe(s.ws({ token: a.token }), SessionsEnded), subscribe(s.ws({ token: b.token }), SessionsEnded)];
    await ofA.live(() => signOutAnother(a));
    await ofB.live(() => signOutAnother(b));
    const [first, second] = [await signOutAnother(b), await signOutAnother(a)];
    expect((await ofB.until((e) => e.data!.sessionsEnded.sessionIds.includes(first))).data?.sessionsEnded.reason).toBe('signed out');
    // A's stream, up to A's own sign-out, never saw B's.
    const seenByA: string[] = [];
    await ofA.until((e) => seenByA.push(...e.data!.sessionsEnded.sessionIds) > 0 && seenByA.includes(second));
    expect(seenByA).not.toContain(first);
  });

  it('updates the profile and validates it', async () => {
    const s = server();
    const u = await s.user();
    const r = await s.ok(
      UpdateProfile,
      { input: { name: 'New Name', username: `New_${n++}`, phoneNumber: '+1 (415) 555-0123' } },
      { token: u.token },
    );
    expect(r.updateProfile).toMatchObject({ name: 'New Name', phoneNumber: '+14155550123' });
    const cleared = await s.ok(UpdateProfile, { input: { phoneNumber: null } }, { token: u.token });
    expect(cleared.updateProfile.phoneNumber).toBeNull();
    expect(code(await s.gql(UpdateProfile, { input: { phoneNumber: 'call me' } }, { token: u.token }))).toBe('BAD_USER_INPUT');
    expect(code(await s.gql(UpdateProfile, { input: { name: 'x' } }))).toBe('UNAUTHENTICATED');
    const other = await s.user({ username: `taken${n++}` });
    const row = await s.db.prisma.user.findUniqueOrThrow({ where: { id: other.id } });
    expect(code(await s.gql(UpdateProfile, { input: { username: row.username } }, { token: u.token }))).toBe('CONFLICT');
  });

  it('hides contact details of other users', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const r = await s.ok<{ signIn: { user: { email: string | null } } }, Record<string, unknown>>(
      'mutation($i: SignInInput!) { signIn(input: $i) { user { email } } }',
      { i: { email: a.email, password: a.password } },
      { token: b.token },
    );
    expect(r.signIn.user.email).toBe(a.email); // the payload speaks for the user who just signed in
    const me = await s.ok(Me, {}, { token: b.token });
    expect(me.me?.email).toBe(b.email);
  });
});

describe('tenants', () => {
  const server = useServer();

  it('rejects an unknown tenant with TENANT_NOT_FOUND on HTTP and WS', async () => {
    const s = server();
    const r = await s.gql(Me, {}, { clientId: 'no-such-tenant' });
    expect(code(r)).toBe('TENANT_NOT_FOUND');
    const client = s.ws({ clientId: 'no-such-tenant' });
    const sub = subscribe(client, SessionsEnded);
    const close = closed(client);
    expect((await close).code).toBe(4403);
    sub.stop();
  });

  it('a token from tenant A is not valid with X-Client-ID: B, and data never crosses', async () => {
    const s = server();
    await s.services().tenants.add('tenant-a', 'A');
    await s.services().tenants.add('tenant-b', 'B');
    const a = await s.user({ clientId: 'tenant-a' });
    expect((await s.ok(Me, {}, { token: a.token, clientId: 'tenant-a' })).me?.id).toBe(a.id);
    expect((await s.ok(Me, {}, { token: a.token, clientId: 'tenant-b' })).me).toBeNull();
    expect((await s.ok(Me, {}, { token: a.token })).me).toBeNull(); // default tenant
    const signIn = await s.gql(SignIn, { input: { email: a.email, password: a.password } }, { clientId: 'tenant-b' });
    expect(code(signIn)).toBe('UNAUTHENTICATED');
    const client = s.ws({ token: a.token, clientId: 'tenant-b' });
    const sub = subscribe(client, SessionsEnded);
    expect((await closed(client)).code).toBe(4403);
    sub.stop();
  });

  it('a disabled tenant stops working', async () => {
    const s = server();
    await s.services().tenants.add('short-lived');
    await s.user({ clientId: 'short-lived' });
    await s.services().tenants.setDisabled('short-lived', true);
    expect(code(await s.gql(Me, {}, { clientId: 'short-lived' }))).toBe('TENANT_NOT_FOUND');
  });

  it('REQUIRE_CLIENT_ID=true refuses requests without X-Client-ID', async () => {
    const { startServer } = await import('./helpers/server.ts');
    const strict = await startServer({ REQUIRE_CLIENT_ID: 'true' });
    try {
      expect(code(await strict.gql(Me))).toBe('TENANT_NOT_FOUND');
      expect((await strict.ok(Me, {}, { clientId: 'default' })).me).toBeNull();
    } finally {
      await strict.stop();
    }
  });
});
