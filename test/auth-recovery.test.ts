// Recovery, verification, password change and account deletion over GraphQL, and the live revocation each causes:
// the affected sessions' sockets close with 4403.
import { describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { subscribe } from './helpers/ws.ts';
import { lastMail, tokenFromLink, watchClose } from './helpers/auth.ts';

const RequestReset = graphql(`
  mutation RequestReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`);
const ResetPassword = graphql(`
  mutation ResetPassword($token: String!, $pw: String!) {
    resetPassword(token: $token, newPassword: $pw)
  }
`);
const SendVerification = graphql(`
  mutation SendVerification {
    sendVerificationEmail
  }
`);
const VerifyEmail = graphql(`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) {
      id
      emailVerified
    }
  }
`);
const ChangePassword = graphql(`
  mutation ChangePassword($current: String!, $next: String!, $revoke: Boolean) {
    changePassword(currentPassword: $current, newPassword: $next, revokeOtherSessions: $revoke)
  }
`);
const DeleteAccount = graphql(`
  mutation DeleteAccount($pw: String!) {
    deleteAccount(password: $pw)
  }
`);
const SignIn = graphql(`
  mutation RecoverySignIn($i: SignInInput!) {
    signIn(input: $i) {
      token
      session {
        id
      }
    }
  }
`);
const Me = graphql(`
  query RecoveryMe {
    me {
      id
      emailVerified
    }
  }
`);
const SessionsEnded = graphql(`
  subscription RecoverySessionsEnded {
    sessionsEnded {
      sessionIds
      reason
    }
  }
`);

const code = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.code;
const reason = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.[0]?.extensions?.reason;

/** A live socket for a new session of `u`, and a way to wait for its close event. */
async function liveSocket(s: TestServer, u: TestUser) {
  const session = await s.ok(SignIn, { i: { email: u.email, password: u.password } });
  const client = s.ws({ token: session.signIn.token });
  const watcher = watchClose(client);
  const events = subscribe(client, SessionsEnded);
  await events.live(async () => {
    const probe = await s.ok(SignIn, { i: { email: u.email, password: u.password } });
    await s.ok(
      graphql(`
        mutation RecoveryProbeOut {
          signOut
        }
      `),
      {},
      { token: probe.signIn.token },
    );
  });
  return { token: session.signIn.token, close: () => watcher.wait(), events };
}

describe('password reset', () => {
  const server = useServer();

  it('mails a single-use link, sets the password and closes every socket of the account', async () => {
    const s = server();
    const u = await s.user();
    const socket = await liveSocket(s, u);
    const before = new Date();
    expect((await s.ok(RequestReset, { email: u.email.toUpperCase() })).requestPasswordReset).toBe(true);
    const mail = await lastMail(s, u.email, before);
    expect(mail.subject).toMatch(/reset/i);
    const token = tokenFromLink(mail.link);
    const stored = await s.db.prisma.verification.findFirstOrThrow({ where: { userId: u.id, purpose: 'PASSWORD_RESET' } });
    expect(stored.tokenHash).not.toBe(token);

    const short = await s.gql(ResetPassword, { token, pw: 'short' });
    expect(code(short)).toBe('BAD_USER_INPUT');
    expect((await s.ok(ResetPassword, { token, pw: 'brand new password' })).resetPassword).toBe(true);
    expect(await socket.close()).toEqual({ code: 4403, reason: 'Session ended: password reset' });
    expect((await s.ok(Me, {}, { token: u.token })).me).toBeNull();
    const again = await s.gql(ResetPassword, { token, pw: 'another new password' });
    expect(code(again)).toBe('BAD_USER_INPUT');
    expect(reason(again)).toBe('INVALID_TOKEN');
    expect(code(await s.gql(SignIn, { i: { email: u.email, password: u.password } }))).toBe('UNAUTHENTICATED');
    await s.ok(SignIn, { i: { email: u.email, password: 'brand new password' } });
  });

  it('answers the same for unknown emails and sends nothing; expired tokens fail', async () => {
    const s = server();
    const ghost = `ghost${Date.now()}@example.com`;
    expect((await s.ok(RequestReset, { email: ghost })).requestPasswordReset).toBe(true);
    await s.services().recovery.idle(); // the lookup happens after the answer
    expect(await s.db.prisma.outboxMail.count({ where: { to: ghost } })).toBe(0);
    expect(code(await s.gql(RequestReset, { email: 'not an email' }))).toBe('BAD_USER_INPUT');

    const u = await s.user();
    const before = new Date();
    await s.ok(RequestReset, { email: u.email });
    const token = tokenFromLink((await lastMail(s, u.email, before)).link);
    await s.db.prisma.verification.updateMany({ where: { userId: u.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(reason(await s.gql(ResetPassword, { token, pw: 'brand new password' }))).toBe('INVALID_TOKEN');
  });
});

describe('email verification, password change, account deletion', () => {
  const server = useServer();

  it('verifies the email with the mailed token, once', async () => {
    const s = server();
    const u = await s.user();
    expect(code(await s.gql(SendVerification))).toBe('UNAUTHENTICATED');
    const before = new Date();
    expect((await s.ok(SendVerification, {}, { token: u.token })).sendVerificationEmail).toBe(true);
    const token = tokenFromLink((await lastMail(s, u.email, before)).link);
    expect((await s.ok(VerifyEmail, { token })).verifyEmail).toEqual({ id: u.id, emailVerified: true });
    expect(reason(await s.gql(VerifyEmail, { token }))).toBe('INVALID_TOKEN');
    expect(reason(await s.gql(SendVerification, {}, { token: u.token }))).toBe('EMAIL_ALREADY_VERIFIED');
  });

  it('changePassword checks the current password and ends the other sessions', async () => {
    const s = server();
    const u = await s.user();
    const other = await liveSocket(s, u);
    const wrong = await s.gql(ChangePassword, { current: 'not it at all', next: 'brand new password' }, { token: u.token });
    expect(code(wrong)).toBe('BAD_USER_INPUT');
    expect(reason(wrong)).toBe('INVALID_PASSWORD');
    expect((await s.ok(ChangePassword, { current: u.password, next: 'brand new password' }, { token: u.token })).changePassword).toBe(true);
    expect(await other.close()).toEqual({ code: 4403, reason: 'Session ended: password changed' });
    expect((await s.ok(Me, {}, { token: u.token })).me?.id).toBe(u.id);
    expect((await s.ok(Me, {}, { token: other.token })).me).toBeNull();
  });

  it("deleteAccount closes sockets and leaves the messages in other people's conversations without a sender", async () => {
    const s = server();
    const [u, friend] = [await s.user(), await s.user()];
    const conversation = await s.db.prisma.conversation.create({
      data: { tenantId: 'default', kind: 'GROUP', title: 'x', members: { create: [{ userId: u.id }, { userId: friend.id }] } },
    });
    const message = await s.db.prisma.message.create({
      data: { tenantId: 'default', conversationId: conversation.id, senderId: u.id, sequence: 1, content: 'bye' },
    });
    const socket = await liveSocket(s, u);
    expect(code(await s.gql(DeleteAccount, { pw: 'wrong password' }, { token: u.token }))).toBe('BAD_USER_INPUT');
    expect((await s.ok(DeleteAccount, { pw: u.password }, { token: u.token })).deleteAccount).toBe(true);
    expect((await socket.close()).code).toBe(4403);
    expect((await s.ok(Me, {}, { token: u.token })).me).toBeNull();
    const kept = await s.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } });
    expect(kept).toMatchObject({ senderId: null, content: 'bye' });
    expect(await s.db.prisma.conversationMember.count({ where: { conversationId: conversation.id } })).toBe(1);
  });
});

describe('session expiry', () => {
  const server = useServer({ SESSION_SWEEP_SECONDS: '1' });

  it('an expired session is swept and its socket closes with 4403', async () => {
    const s = server();
    const u = await s.user();
    const socket = await liveSocket(s, u);
    const sessionId = (await s.db.prisma.session.findFirstOrThrow({ where: { userId: u.id }, orderBy: { createdAt: 'desc' } })).id;
    await s.db.prisma.session.update({ where: { id: sessionId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await socket.close()).toEqual({ code: 4403, reason: 'Session ended: session expired' });
    expect(await s.db.prisma.session.count({ where: { id: sessionId } })).toBe(0);
  });
});
