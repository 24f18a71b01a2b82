// The shapes the account rules take and give: who is asking, the viewer a credential stands for, and the inputs of
// sign-up, sign-in, profile and password changes.
import type { PrismaClient, User, Session } from '../generated/prisma/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { RateLimiter } from '../ratelimit/rate-limiter.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { TextFilter } from '../text-rules.ts';

/** Who is asking, as far as the transport knows. */
export interface RequestInfo {
  tenantId: string;
  ip: string | null;
  userAgent: string | null;
}

export interface Viewer {
  user: User;
  session: Session;
}

export interface AuthResult extends Viewer {
  /** The bearer token: returned once, never stored. */
  token: string;
}

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
  username?: string | null;
  phoneNumber?: string | null;
  image?: string | null;
}

export interface SignInInput {
  email?: string | null;
  username?: string | null;
  password: string;
  rememberMe?: boolean | null;
}

export interface ProfileInput {
  name?: string | null;
  username?: string | null;
  phoneNumber?: string | null;
  image?: string | null;
}

/**
 * What the account rules tell this instance's cache of live sessions (auth's SessionCache) when they end sessions or
 * change a user. An interface here, so accounts need not know the cache that implements it.
 */
export interface SessionInvalidation {
  /** These sessions ended: remember them as dead. */
  revoke(sessionIds: string[]): void;
  /** A User column changed: forget every cached session of the user. */
  forgetUser(userId: string): void;
}

export interface AccountDeps {
  prisma: PrismaClient;
  pubsub: ParleyPubSub;
  /** This app's bcrypt pool (BCRYPT_COST, BCRYPT_CONCURRENCY). */
  passwords: PasswordHasher;
  sessionTtlDays: number;
  limiter: RateLimiter;
  /** This instance's cache of live sessions: told synchronously, before the event reaches other instances. */
  sessionCache?: SessionInvalidation;
  /** Told before an account's row is deleted, for what does not go with it by cascade (attachment bytes). */
  accountFiles?: AccountFiles;
  /** The tenants' content filters, applied to display names (moderation's ContentFilters). */
  textFilter?: TextFilter;
}

/** What an account keeps outside the database (AttachmentService implements it). */
export interface AccountFiles {
  /** Deletes the account's stored files; called before the account's row goes. */
  accountDeleting(userId: string): Promise<void>;
}

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  /**
   * What happens to sessions: 'none' keeps them all; 'others' ends all but the current one; 'renew' ends all of
   * them, the current one included, and starts a new session (better-auth's `revokeOtherSessions: true`).
   */
  sessions: 'none' | 'others' | 'renew';
}
