// Accounts and sessions: the rules behind sign-up, sign-in, sessions and profiles. GraphQL resolvers and the
// REST auth routes both call this; neither touches the tables directly.
import { randomUUID } from 'node:crypto';
import type { User, Session } from '../generated/prisma/client.ts';
import { AppError, badInput, isUniqueViolation, notFound } from '../errors.ts';
import { lockTenant } from '../db/sql/tenants.ts';
import { lockConversationsOf } from '../db/sql/conversations.ts';
import { NO_TEXT_FILTER } from '../text-rules.ts';
import type { LimitName } from '../ratelimit/rate-limiter.ts';
import {
  checkPassword,
  hashToken,
  newToken,
  normalizeEmail,
  normalizeImage,
  normalizeName,
  normalizePhone,
  normalizeUsername,
} from './credentials.ts';
import type {
  AccountDeps,
  AuthResult,
  ChangePasswordInput,
  ProfileInput,
  RequestInfo,
  SignInInput,
  SignUpInput,
  Viewer,
} from './accounts.types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Sign-in of a suspended account (see moderation/): FORBIDDEN with the stable reason ACCOUNT_SUSPENDED. */
export const suspended = () => new AppError('FORBIDDEN', 'This account is suspended by a moderator.', { reason: 'ACCOUNT_SUSPENDED' });

export class AccountService {
  constructor(private readonly deps: AccountDeps) {}

  private get prisma() {
    return this.deps.prisma;
  }

  private get filter() {
    return this.deps.textFilter ?? NO_TEXT_FILTER;
  }

  async signUp(req: RequestInfo, input: SignUpInput): Promise<AuthResult> {
    await this.deps.limiter.check('signUpIp', req.ip);
    const email = normalizeEmail(input.email);
    checkPassword(input.password);
    // The id is chosen here so a name the content filter flags is reported against the account it names.
    const id = randomUUID();
    const name = await this.filter.apply({ tenantId: req.tenantId, userId: id }, normalizeName(input.name), 'name');
    const username = input.username ? normalizeUsername(input.username) : null;
    const phoneNumber = input.phoneNumber ? normalizePhone(input.phoneNumber) : null;
    const image = normalizeImage(input.image);
    const passwordHash = await this.deps.passwords.hash(input.password);
    let user: User;
    try {
      // The tenant's row is locked while its first user is decided: that user is its ADMIN.
      user = await this.prisma.$transaction(async (tx) => {
        await lockTenant(tx, req.tenantId);
        const first = (await tx.user.findFirst({ where: { tenantId: req.tenantId }, select: { id: true } })) === null;
        return tx.user.create({
          data: { id, tenantId: req.tenantId, email, name, username, phoneNumber, image, passwordHash, role: first ? 'ADMIN' : 'USER' },
        });
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const taken = await this.prisma.user.findFirst({ where: { tenantId: req.tenantId, email }, select: { id: true } });
      throw taken
        ? new AppError('CONFLICT', 'An account with this email already exists.', { field: 'email', reason: 'USER_ALREADY_EXISTS' })
        : new AppError('CONFLICT', 'This username is taken.', { field: 'username' });
    }
    return this.startSession(req, user, true);
  }

  async signIn(req: RequestInfo, input: SignInInput): Promise<AuthResult> {
    const invalid = () => new AppError('UNAUTHENTICATED', 'Invalid email or password.', { reason: 'INVALID_CREDENTIALS' });
    let where: { tenantId: string; email?: string; username?: string } | null = null;
    const login = (input.email ?? input.username ?? '').trim().toLowerCase();
    if (login.includes('@')) where = { tenantId: req.tenantId, email: login };
    else if (login) where = { tenantId: req.tenantId, username: login };
    if (!where || !input.password) throw badInput('Enter your email (or username) and password.');
    await this.deps.limiter.check('signInIp', req.ip);
    // Only what the client typed may answer RATE_LIMITED: were it the account's bucket, spending a public username's
    // attempts would make its email (and nothing else) answer RATE_LIMITED, linking the two.
    await this.deps.limiter.check('signInAccount', `login:${req.tenantId}:${login}`);
    const user = await this.prisma.user.findFirst({ where });
    // The account's own bucket counts attempts by its email and by its username together. Once spent, the account is
    // locked silently: the answer and the work of a wrong password, even for the right one.
    const locked = user ? !(await this.withinLimit('signInAccount', `user:${user.id}`)) : false;
    // Unknown or locked account: still one bcrypt compare (against the dummy hash), so the response takes the same time.
    // A bot (the tenant's assistant) never signs in: it answers as an unknown account.
    const person = user?.bot ? null : user;
    const ok = await this.deps.passwords.verify(input.password, person && !locked ? person.passwordHash : await this.dummyHash());
    if (!person || locked || !ok) throw invalid();
    // Said only to whoever knows the password: to anyone else a suspended account answers as any other.
    if (person.suspendedAt) throw suspended();
    return this.startSession(req, person, input.rememberMe ?? true);
  }

  /** Counts one attempt against a limit; false, instead of RATE_LIMITED, when it is over. */
  private async withinLimit(name: LimitName, subject: string): Promise<boolean> {
    try {
      await this.deps.limiter.check(name, subject);
      return true;
    } catch (err) {
      if (err instanceof AppError && err.code === 'RATE_LIMITED') return false;
      throw err;
    }
  }

  /** For tests and timing checks: the hash compared against when the account is unknown. */
  dummyHash(): Promise<string> {
    return this.deps.passwords.dummyHash();
  }

  async startSession(req: RequestInfo, user: User, rememberMe: boolean): Promise<AuthResult> {
    const { token, hash } = newToken();
    const session = await this.prisma.session.create({
      data: {
        tenantId: req.tenantId,
        userId: user.id,
        tokenHash: hash,
        rememberMe,
        expiresAt: new Date(Date.now() + (rememberMe ? this.deps.sessionTtlDays : 1) * DAY_MS),
        userAgent: req.userAgent?.slice(0, 512) ?? null,
        ipAddress: req.ip,
      },
    });
    return { token, user, session };
  }

  /**
   * The one path for "a User row changed" (profile, password, email verification, status, deletion): call it after
   * the write has committed. Drops this instance's cached copies at once and tells every other instance to do the
   * same, so the next request anywhere reads the new row.
   */
  userChanged(user: Pick<User, 'id' | 'tenantId'>) {
    this.deps.sessionCache?.forgetUser(user.id);
    this.deps.pubsub.publish('users:changed', { tenantId: user.tenantId, userId: user.id });
  }

  /** The id of the session a raw token belongs to, or null. */
  async sessionIdForToken(token: string): Promise<string | null> {
    if (!token || token.length > 200) return null;
    return (await this.prisma.session.findUnique({ where: { tokenHash: hashToken(token) }, select: { id: true } }))?.id ?? null;
  }

  listSessions(viewer: Viewer): Promise<Session[]> {
    return this.prisma.session.findMany({
      where: { userId: viewer.user.id, expiresAt: { gt: new Date() } },
      orderBy: { createdAt: 'desc' },
    });
  }

  async signOut(viewer: Viewer): Promise<void> {
    await this.revoke(viewer.user, [viewer.session.id], 'signed out');
  }

  async revokeSession(viewer: Viewer, sessionId: string): Promise<void> {
    const count = await this.revoke(viewer.user, [sessionId], 'session revoked');
    if (count === 0) throw notFound('Session');
  }

  async revokeOtherSessions(viewer: Viewer): Promise<number> {
    const others = await this.prisma.session.findMany({
      where: { userId: viewer.user.id, id: { not: viewer.session.id } },
      select: { id: true },
    });
    return this.revoke(
      viewer.user,
      others.map((s) => s.id),
      'signed out elsewhere',
    );
  }

  /** Deletes sessions of `user` and tells every instance to close their sockets. */
  async revoke(user: Pick<User, 'id' | 'tenantId'>, sessionIds: string[], reason: string): Promise<number> {
    if (sessionIds.length === 0) return 0;
    const { count } = await this.prisma.session.deleteMany({ where: { id: { in: sessionIds }, userId: user.id } });
    if (count > 0) this.revoked(user, sessionIds, reason);
    return count;
  }

  private revoked(user: Pick<User, 'id' | 'tenantId'>, sessionIds: string[], reason: string) {
    if (sessionIds.length === 0) return;
    this.deps.sessionCache?.revoke(sessionIds);
    this.deps.pubsub.publish('sessions:revoked', { tenantId: user.tenantId, userId: user.id, sessionIds, reason });
  }

  /** Ends every session of a user (password reset); returns the ids that ended. */
  async revokeAll(user: Pick<User, 'id' | 'tenantId'>, reason: string): Promise<string[]> {
    const rows = await this.prisma.session.findMany({ where: { userId: user.id }, select: { id: true } });
    const ids = rows.map((r) => r.id);
    await this.revoke(user, ids, reason);
    return ids;
  }

  /** Deletes expired sessions (all tenants) and announces them, so their sockets close. Returns how many ended. */
  async sweepExpiredSessions(batch = 500): Promise<number> {
    const expired = await this.prisma.session.findMany({
      where: { expiresAt: { lte: new Date() } },
      select: { id: true, userId: true, tenantId: true },
      take: batch,
    });
    if (expired.length === 0) return 0;
    const { count } = await this.prisma.session.deleteMany({
      where: { id: { in: expired.map((s) => s.id) }, expiresAt: { lte: new Date() } },
    });
    const byUser = new Map<string, { tenantId: string; ids: string[] }>();
    for (const s of expired) {
      const entry = byUser.get(s.userId) ?? { tenantId: s.tenantId, ids: [] };
      entry.ids.push(s.id);
      byUser.set(s.userId, entry);
    }
    for (const [userId, { tenantId, ids }] of byUser) this.revoked({ id: userId, tenantId }, ids, 'session expired');
    return count;
  }

  async changePassword(req: RequestInfo, viewer: Viewer, input: ChangePasswordInput): Promise<{ user: User; renewed: AuthResult | null }> {
    checkPassword(input.newPassword, 'newPassword');
    const current = await this.prisma.user.findUniqueOrThrow({ where: { id: viewer.user.id } });
    if (!(await this.deps.passwords.verify(input.currentPassword ?? '', current.passwordHash))) {
      throw badInput('The current password is not correct.', 'currentPassword', 'INVALID_PASSWORD');
    }
    const user = await this.prisma.user.update({
      where: { id: current.id },
      data: { passwordHash: await this.deps.passwords.hash(input.newPassword) },
    });
    this.userChanged(user);
    if (input.sessions === 'none') return { user, renewed: null };
    const others = await this.prisma.session.findMany({
      where: { userId: user.id, ...(input.sessions === 'others' ? { id: { not: viewer.session.id } } : {}) },
      select: { id: true },
    });
    await this.revoke(
      user,
      others.map((s) => s.id),
      'password changed',
    );
    const renewed = input.sessions === 'renew' ? await this.startSession(req, user, viewer.session.rememberMe) : null;
    return { user, renewed };
  }

  /**
   * Deletes the account and, by cascade, its sessions, memberships, verifications, AI chats and attachments (their
   * bytes first, through accountFiles). Messages the user sent stay in other people's conversations with no sender
   * (Message.senderId is set to null).
   * `password` may be null only when the session is less than a day old (a fresh sign-in).
   */
  async deleteAccount(viewer: Viewer, password: string | null): Promise<void> {
    const user = await this.prisma.user.findUniqueOrThrow({ where: { id: viewer.user.id } });
    if (password === null) {
      if (Date.now() - viewer.session.createdAt.getTime() > DAY_MS) {
        throw badInput('Sign in again (or give your password) to delete the account.', 'password', 'SESSION_EXPIRED');
      }
    } else if (!(await this.deps.passwords.verify(password, user.passwordHash))) {
      throw badInput('The password is not correct.', 'password', 'INVALID_PASSWORD');
    }
    const sessions = await this.prisma.session.findMany({ where: { userId: user.id }, select: { id: true } });
    await this.deps.accountFiles?.accountDeleting(user.id);
    await this.prisma.$transaction(async (tx) => {
      await lockConversationsOf(tx, user.id);
      await tx.user.delete({ where: { id: user.id } });
    });
    this.revoked(
      user,
      sessions.map((s) => s.id),
      'account deleted',
    );
    this.userChanged(user);
    // Every connection of the user closes, also one whose session was created while the account was being deleted.
    this.deps.pubsub.publish('users:removed', { tenantId: user.tenantId, userId: user.id, reason: 'Account deleted' });
  }

  async updateProfile(viewer: Viewer, input: ProfileInput): Promise<User> {
    const data: Partial<User> = {};
    if (input.name != null)
      data.name = await this.filter.apply({ tenantId: viewer.user.tenantId, userId: viewer.user.id }, normalizeName(input.name), 'name');
    if (input.username !== undefined) data.username = input.username ? normalizeUsername(input.username) : null;
    if (input.phoneNumber !== undefined) data.phoneNumber = input.phoneNumber ? normalizePhone(input.phoneNumber) : null;
    if (input.image !== undefined) data.image = normalizeImage(input.image);
    try {
      const user = await this.prisma.user.update({ where: { id: viewer.user.id }, data });
      this.userChanged(user);
      return user;
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'This username is taken.', { field: 'username' });
      throw err;
    }
  }
}
