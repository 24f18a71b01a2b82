// Password reset and email verification: single-use tokens (stored as SHA-256 hashes, valid for one hour) sent by
// mail. Requests never reveal whether an account exists: not in the answer, and not in its timing, because the
// lookup, the token and the mail happen after the answer (see `later`). GraphQL mutations and REST routes both call this.
import type { PrismaClient, User, VerificationPurpose } from '../generated/prisma/client.ts';
import { badInput } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { AccountService } from './accounts.service.ts';
import type { RequestInfo, Viewer } from './accounts.types.ts';
import { checkPassword, hashToken, newToken, normalizeEmail } from './credentials.ts';
import type { PasswordHasher } from './password-hasher.ts';

export const TOKEN_TTL_MS = 60 * 60 * 1000;

export interface RecoveryDeps {
  prisma: PrismaClient;
  accounts: AccountService;
  mailer: Mailer;
  limiter: RateLimiter;
  passwords: PasswordHasher;
  /** Base of links in mail: PUBLIC_URL, or this server's own URL in development. */
  publicUrl: () => string;
  logger: Logger;
}

const invalidToken = () => badInput('This link is invalid or has expired; request a new one.', 'token', 'INVALID_TOKEN');

export class RecoveryService {
  /** Mail work started after answering a request, until it settles. */
  private readonly pending = new Set<Promise<void>>();
  constructor(private readonly deps: RecoveryDeps) {}

  private get prisma() {
    return this.deps.prisma;
  }

  private async issue(user: User, purpose: VerificationPurpose): Promise<string> {
    const { token, hash } = newToken();
    // One live token per purpose: a new request replaces the previous link.
    await this.prisma.$transaction([
      this.prisma.verification.deleteMany({ where: { userId: user.id, purpose, usedAt: null } }),
      this.prisma.verification.create({
        data: { tenantId: user.tenantId, userId: user.id, purpose, tokenHash: hash, expiresAt: new Date(Date.now() + TOKEN_TTL_MS) },
      }),
    ]);
    return token;
  }

  /** Marks a token used (once: a concurrent second use finds nothing) and returns its user id, or INVALID_TOKEN. */
  private async consume(token: string, purpose: VerificationPurpose): Promise<string> {
    if (!token || token.length > 200) throw invalidToken();
    const found = await this.prisma.verification.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!found || found.purpose !== purpose || found.usedAt || found.expiresAt.getTime() <= Date.now()) throw invalidToken();
    const { count } = await this.prisma.verification.updateMany({ where: { id: found.id, usedAt: null }, data: { usedAt: new Date() } });
    if (count !== 1) throw invalidToken();
    return found.userId;
  }

  /**
   * Runs `work` without the request waiting for it, so the answer leaves at the same moment whether or not the
   * account exists. A failure is logged (the requester was already told "check your mail").
   */
  private later(what: string, work: () => Promise<void>): void {
    const running: Promise<void> = work()
      .catch((error) => this.deps.logger.error(`${what} failed`, { error }))
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
  }

  /** Resolves once no mail work is running (app.stop() waits for it before the database closes). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  /**
   * What issue() costs, for an address with no account: a token made and hashed, and the same delete statement
   * (it matches nothing), so the work behind an unknown address looks like the work behind a known one.
   */
  private async decoy(purpose: VerificationPurpose): Promise<void> {
    const { hash } = newToken();
    await this.prisma.$transaction([this.prisma.verification.deleteMany({ where: { tokenHash: hash, purpose, usedAt: null } })]);
  }

  private link(path: string, params: Record<string, string>): string {
    const url = new URL(path, this.deps.publicUrl());
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  /**
   * Mails a reset link when the account exists; always resolves the same way, before looking the address up. The
   * link opens GET /api/auth/reset-password/<token>, which redirects to `redirectTo` (default /reset-password) with
   * ?token=. `redirectTo` has passed trustedRedirect (and is checked again when the link is opened).
   */
  async requestPasswordReset(req: RequestInfo, rawEmail: string, redirectTo?: string | null): Promise<void> {
    await this.deps.limiter.check('mailIp', req.ip);
    const email = normalizeEmail(rawEmail);
    this.later('password reset mail', () => this.mailResetLink(req.tenantId, email, redirectTo));
  }

  private async mailResetLink(tenantId: string, email: string, redirectTo?: string | null): Promise<void> {
    const user = await this.prisma.user.findFirst({ where: { tenantId, email, bot: false } });
    if (!user) return this.decoy('PASSWORD_RESET');
    const token = await this.issue(user, 'PASSWORD_RESET');
    const link = this.link(`/api/auth/reset-password/${token}`, { callbackURL: redirectTo || '/reset-password' });
    await this.deps.mailer.send({
      to: user.email,
      tenantId: user.tenantId,
      subject: 'Reset your password',
      text: `Someone asked to reset the password of your account. If it was you, open this link within an hour:\n\n${link}\n\nIf not, ignore this mail.`,
      link,
    });
  }

  /** Whether a reset token is currently valid (without using it). */
  async isResetTokenValid(token: string): Promise<boolean> {
    if (!token || token.length > 200) return false;
    const found = await this.prisma.verification.findUnique({ where: { tokenHash: hashToken(token) } });
    return !!found && found.purpose === 'PASSWORD_RESET' && !found.usedAt && found.expiresAt.getTime() > Date.now();
  }

  /** Sets a new password with a reset token and ends every session of the account. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    checkPassword(newPassword, 'newPassword');
    const userId = await this.consume(token, 'PASSWORD_RESET');
    const user = await this.prisma.user.update({
      where: { id: userId },
      data: { passwordHash: await this.deps.passwords.hash(newPassword) },
    });
    this.deps.accounts.userChanged(user);
    await this.deps.accounts.revokeAll(user, 'password reset');
  }

  /**
   * Mails a verification link. Signed in: to the viewer's own address (`email`, when given, must match it).
   * Signed out: to `email` if such an unverified account exists, with the same answer (and timing) either way.
   * `callbackURL` has passed trustedRedirect.
   */
  async sendVerificationEmail(
    req: RequestInfo,
    viewer: Viewer | null,
    rawEmail: string | null,
    callbackURL?: string | null,
  ): Promise<void> {
    await this.deps.limiter.check('mailIp', req.ip);
    if (viewer) {
      const user = await this.prisma.user.findUnique({ where: { id: viewer.user.id } });
      if (!user) return;
      if (rawEmail && normalizeEmail(rawEmail) !== user.email) throw badInput('This is not your email address.', 'email', 'EMAIL_MISMATCH');
      if (user.emailVerified) throw badInput('The email address is already verified.', 'email', 'EMAIL_ALREADY_VERIFIED');
      this.later('verification mail', () => this.mailVerificationLink(user, callbackURL));
      return;
    }
    if (!rawEmail) throw badInput('Enter your email address.', 'email');
    const email = normalizeEmail(rawEmail);
    this.later('verification mail', async () => {
      const user = await this.prisma.user.findFirst({ where: { tenantId: req.tenantId, email } });
      if (!user || user.emailVerified) return this.decoy('EMAIL_VERIFICATION');
      await this.mailVerificationLink(user, callbackURL);
    });
  }

  private async mailVerificationLink(user: User, callbackURL?: string | null): Promise<void> {
    const token = await this.issue(user, 'EMAIL_VERIFICATION');
    const link = this.link('/api/auth/verify-email', { token, ...(callbackURL ? { callbackURL } : {}) });
    await this.deps.mailer.send({
      to: user.email,
      tenantId: user.tenantId,
      subject: 'Verify your email address',
      text: `Open this link within an hour to confirm that this is your email address:\n\n${link}`,
      link,
    });
  }

  /** Marks the address verified; the token works once. */
  async verifyEmail(token: string): Promise<User> {
    const userId = await this.consume(token, 'EMAIL_VERIFICATION');
    const user = await this.prisma.user.update({ where: { id: userId }, data: { emailVerified: true } });
    this.deps.accounts.userChanged(user);
    return user;
  }
}
