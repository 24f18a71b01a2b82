// Finding out who has an account: users(search:) answers exact-email lookups only for contacts and treats LIKE
// wildcards literally; a reset request is answered before any account lookup or mail, for known and unknown addresses
// alike; sign-in attempts on one account share one limit whether they name its email or its username.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, useServer, type TestServer } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';
import { linkIn, startSmtp, type TestSmtp } from './helpers/smtp.ts';

type Result = { errors?: readonly { extensions?: Record<string, unknown> }[] };
const code = (r: Result) => r.errors?.[0]?.extensions?.code;
let n = 0;
const unique = () => `${process.pid}x${Date.now().toString(36)}x${n++}`;

const Users = `query EnumUsers($search: String, $first: Int) { users(search: $search, first: $first) { edges { node { id name } } } }`;
const RequestReset = `mutation EnumReset($email: String!) { requestPasswordReset(email: $email) }`;
const SignIn = `mutation EnumSignIn($i: SignInInput!) { signIn(input: $i) { token } }`;

async function search(s: TestServer, token: string, term: string): Promise<string[]> {
  const r = await s.ok<{ users: { edges: { node: { id: string } }[] } }, Record<string, unknown>>(Users, { search: term, first: 100 }, { token });
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

  it('matches a whole email address only of people who share a conversation with the viewer', async () => {
    const s = server();
    const viewer = await s.user();
    const stranger = await s.user();
    const contact = await s.user();
    await createConversation(s, [viewer, contact]);

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
    expect((await s.ok<{ requestPasswordReset: boolean }, Record<string, unknown>>(RequestReset, { email: u.email })).requestPasswordReset).toBe(true);
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
    expect((await s.ok<{ requestPasswordReset: boolean }, Record<string, unknown>>(RequestReset, { email: ghost })).requestPasswordReset).toBe(true);
    await s.services().recovery.idle();
    expect(smtp.delivered.filter((m) => m.to.includes(ghost))).toEqual([]);
    expect(smtp.waiting()).toBe(0);
  });
});

describe('sign-in limit per account', () => {
  const server = useServer({ RATE_LIMIT_SIGN_IN_ACCOUNT: '3/60' });

  it('counts attempts by email and by username against one account', async () => {
    const s = server();
    const u = await s.user({ username: `u${unique().replace(/\W/g, '')}`.slice(0, 30).toLowerCase() });
    const username = (await s.db.prisma.user.findUniqueOrThrow({ where: { id: u.id } })).username!;
    for (let i = 0; i < 3; i++) expect(code(await s.gql(SignIn, { i: { email: u.email, password: 'wrong password' } }))).toBe('UNAUTHENTICATED');
    expect(code(await s.gql(SignIn, { i: { username, password: u.password } }))).toBe('RATE_LIMITED');
    expect(code(await s.gql(SignIn, { i: { email: username.toUpperCase(), password: u.password } }))).toBe('RATE_LIMITED');
  });

});
