// Finding out who has an account: users(search:) answers exact-email lookups only for contacts and treats LIKE
// wildcards literally; a reset request is answered before any account lookup or mail, for known and unknown addresses
// alike; sign-in attempts on one account share one limit whether they name its email or its username, and a spent
// account limit locks the account silently, so it does not link an email to a username.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, useServer, type TestServer } from './helpers/server.ts';
import { createConversation, makeContacts } from './helpers/conversations.ts';
import { linkIn, startSmtp, type TestSmtp } from './helpers/smtp.ts';

type Result = { errors?: readonly { extensions?: Record<string, unknown> }[] };
const code = (r: Result) => r.errors?.[0]?.extensions?.code;
let n = 0;
const unique = () => `${process.pid}x${Date.now().toString(36)}x${n++}`;

const Users = `query EnumUsers($search: String, $first: Int) { users(search: $search, first: $first) { edges { node { id name } } } }`;
const RequestReset = `mutation EnumReset($email: String!) { requestPasswordReset(email: $email) }`;
const SignIn = `mutation EnumSignIn($i: SignInInput!) { signIn(input: $i) { token } }`;

async function search(s: TestServer, token: string, term: string): Promise<string[]> {
  const r = await s.ok<{ users: { edges: { node: { id: string } }[] } }, Record<string, unknown>>(
    Users,
    { search: term, first: 100 },
    { token },
  );
  return r.users.edges.map((e) => e.node.id);
}

describe('users(search:)', () => {
  const server = useServer();

  it('treats %, _ and \\ as themselves, so "%" does not list everyone', async () => {
    const s = server();
    const id = unique();
    const viewer = await s.user();
    const percent = await s.user({ name: `Pct%${id}` });
    const plain = await s.user({ name: `Pctx${id}` });
    const underscore = await s.user({ name: `Und_${id}` });
    const backslash = await s.user({ name: `Back\\${id}` });
    await s.user({ name: `Undx${id}` });
    await s.user({ name: `Backx${id}` });

    expect(await search(s, viewer.token, '%')).toEqual([]);
    expect(await search(s, viewer.token, '_')).toEqual([]);
    expect(await search(s, viewer.token, '\\')).toEqual([]);
    expect(await search(s, viewer.token, `Pct%`)).toEqual([percent.id]);
    expect(await search(s, viewer.token, `Pctx`)).toEqual([plain.id]);
    expect(await search(s, viewer.token, `Und_`)).toEqual([underscore.id]);
    expect(await search(s, viewer.token, `Back\\`)).toEqual([backslash.id]);
  });

  it("matches a whole email address only of the viewer's accepted contacts", async () => {
    const s = server();
    const viewer = await s.user();
    const stranger = await s.user();
    const contact = await s.user();
    await makeContacts(s, viewer, contact);
    // A group the stranger was added to makes no contact (anyone can add anyone to a group).
    await createConversation(s, [viewer, stranger]);

    expect(await search(s, viewer.token, stranger.email)).toEqual([]);
    expect(await search(s, viewer.token, stranger.email.toUpperCase())).toEqual([]);
    expect(await search(s, viewer.token, contact.email)).toEqual([contact.id]);
    // the stranger is still found by name, as anyone in the tenant is
    expect(await search(s, viewer.token, stranger.name)).toEqual([stranger.id]);
  });
});

describe('password reset request', () => {
  let smtp: TestSmtp;
  let s: TestServer;
  beforeAll(async () => {
    smtp = await startSmtp();
    s = await startServer({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    smtp.release();
    await s?.stop();
    await smtp?.stop();
  });

  it('is answered before the mail is sent, and the mail still goes out', async () => {
    const u = await s.user();
    smtp.hold();
    // Answered while the mail server has not accepted the mail (the answer does not wait for it) ...
    expect(
      (await s.ok<{ requestPasswordReset: boolean }, Record<string, unknown>>(RequestReset, { email: u.email })).requestPasswordReset,
    ).toBe(true);
    expect(smtp.delivered.filter((m) => m.to.includes(u.email))).toEqual([]);
    // ... which is still on its way: it reaches the mail server, and once accepted it carries a working link.
    await smtp.mailTo(u.email, { held: true });
    smtp.release();
    const mail = await smtp.mailTo(u.email);
    const hop = await fetch(linkIn(mail), { redirect: 'manual' });
    expect(hop.status).toBe(302);
    expect(new URL(hop.headers.get('location')!).searchParams.get('token')).toBeTruthy();
  });

  it('answers an unknown address the same way, and sends nothing once the work behind it is done', async () => {
    const ghost = `ghost${unique()}@example.com`;
    expect(
      (await s.ok<{ requestPasswordReset: boolean }, Record<string, unknown>>(RequestReset, { email: ghost })).requestPasswordReset,
    ).toBe(true);
    await s.services().recovery.idle();
    expect(smtp.delivered.filter((m) => m.to.includes(ghost))).toEqual([]);
    expect(smtp.waiting()).toBe(0);
  });
});

describe('sign-in limit per account', () => {
  const server = useServer({ RATE_LIMIT_SIGN_IN_ACCOUNT: '3/60', RATE_LIMIT_SIGN_IN_IP: '200/60' });

  async function withUsername(s: TestServer) {
    const u = await s.user({ username: `u${unique().replace(/\W/g, '')}`.slice(0, 30).toLowerCase() });
    return { ...u, username: (await s.db.prisma.user.findUniqueOrThrow({ where: { id: u.id } })).username! };
  }
  /** A GraphQL sign-in's answer, without what differs between any two requests. */
  async function signInAnswer(s: TestServer, i: Record<string, string>) {
    const { errors, data } = await s.gql(SignIn, { i });
    return {
      data,
      errors: errors?.map(({ message, path, extensions }) => ({ message, path, extensions: { ...extensions, requestId: undefined } })),
    };
  }
  async function restSignIn(s: TestServer, email: string, password: string) {
    const res = await fetch(`${s.url}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  }

  it('does not tell which email belongs to a username whose attempts are spent', async () => {
    const s = server();
    const carol = await withUsername(s);
    const stranger = await s.user();
    const ghost = `ghost${unique()}@example.com`;
    const wrong = 'wrong password';
    for (let i = 0; i < 3; i++)
      expect(code(await s.gql(SignIn, { i: { username: carol.username, password: wrong } }))).toBe('UNAUTHENTICATED');
    // The typed login's own limit answers for itself ...
    expect(code(await s.gql(SignIn, { i: { username: carol.username, password: wrong } }))).toBe('RATE_LIMITED');
    // ... but carol's email, guessed next, answers exactly as another account's email and an unknown one do.
    const linked = await signInAnswer(s, { email: carol.email, password: wrong });
    expect(linked.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' });
    expect(await signInAnswer(s, { email: stranger.email, password: wrong })).toEqual(linked);
    expect(await signInAnswer(s, { email: ghost, password: wrong })).toEqual(linked);
    const rest = await restSignIn(s, carol.email, wrong);
    expect(rest).toEqual({
      status: 401,
      retryAfter: null,
      body: { code: 'INVALID_EMAIL_OR_PASSWORD', message: 'Invalid email or password' },
    });
    expect(await restSignIn(s, ghost, wrong)).toEqual(rest);
    // and with the same work: one bcrypt compare, against the hash an unknown account is compared with
    const dummy = await s.services().accounts.dummyHash();
    const before = s.services().passwords.work();
    await signInAnswer(s, { email: carol.email, password: wrong });
    const after = s.services().passwords.work();
    expect([after.compare - before.compare, after.lastCompared]).toEqual([1, dummy]);
  });

  it('locks the account after 3 failures by email and by username together, even for the right password', async () => {
    const s = server();
    const carol = await withUsername(s);
    const sessions = () => s.db.prisma.session.count({ where: { userId: carol.id } });
    const signedUp = await sessions();
    const wrong = 'wrong password';
    expect(code(await s.gql(SignIn, { i: { email: carol.email, password: wrong } }))).toBe('UNAUTHENTICATED');
    expect(code(await s.gql(SignIn, { i: { username: carol.username, password: wrong } }))).toBe('UNAUTHENTICATED');
    expect(code(await s.gql(SignIn, { i: { email: carol.email.toUpperCase(), password: wrong } }))).toBe('UNAUTHENTICATED');
    const invalid = { code: 'UNAUTHENTICATED', reason: 'INVALID_CREDENTIALS' };
    for (const login of [{ username: carol.username }, { email: carol.email }, { email: carol.username.toUpperCase() }]) {
      const r = await s.gql(SignIn, { i: { ...login, password: carol.password } });
      expect([r.data, r.errors?.[0]?.extensions], JSON.stringify(login)).toEqual([null, expect.objectContaining(invalid)]);
    }
    expect((await restSignIn(s, carol.email, carol.password)).status).toBe(429); // the email's own 4th attempt
    expect(await sessions()).toBe(signedUp);
    // another account is not affected
    const other = await s.user();
    expect(code(await s.gql(SignIn, { i: { email: other.email, password: other.password } }))).toBeUndefined();
  });
});
