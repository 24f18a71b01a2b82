// This instance's cache of live (and known-dead) sessions with their user: what lets the Authenticator answer a JWT or
// an opaque token without a database round trip. An entry is dropped the moment this instance revokes the session or
// changes the user (AccountService tells it synchronously), and on every other instance when the `sessions:revoked` /
// `users:changed` event arrives (the Authenticator listens). Entries also expire after SESSION_CACHE_MS, which bounds
// how long a revoked session or an old profile could still be served if an event were lost (e.g. during a Redis
// outage).
import type { SessionInvalidation, Viewer } from '../accounts/accounts.types.ts';

export const SESSION_CACHE_MS = 30_000;
const MAX_CACHE = 50_000;

/**
 * Live (or known-dead) sessions by id, with their user, for JWT checks and (by token hash) for opaque tokens.
 * Bounded in size and time; dropped per session on revocation and per user whenever a User row changes.
 */
export class SessionCache implements SessionInvalidation {
  private entries = new Map<string, { viewer: Viewer | null; until: number }>();
  private byToken = new Map<string, string>();
  /**
   * Bumped by every invalidation. A loader reads it before going to the database and stores its result only if it
   * is unchanged, so a read that raced a profile change or a revocation never re-caches the old row.
   */
  private generation = 0;

  epoch(): number {
    return this.generation;
  }

  get(sessionId: string): Viewer | null | undefined {
    const e = this.entries.get(sessionId);
    if (!e) return undefined;
    if (e.until <= Date.now()) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return e.viewer;
  }

  /** The viewer behind an opaque token's hash: a viewer, null when its session is known dead, undefined if unknown. */
  getByToken(tokenHash: string): Viewer | null | undefined {
    const sessionId = this.byToken.get(tokenHash);
    if (sessionId === undefined) return undefined;
    const viewer = this.get(sessionId);
    if (viewer === undefined) this.byToken.delete(tokenHash);
    return viewer;
  }

  /** Stores a lookup's result unless something was invalidated since `epoch` was read (then it may be stale). */
  set(sessionId: string, viewer: Viewer | null, epoch = this.generation) {
    if (epoch !== this.generation) return;
    this.put(sessionId, viewer);
  }

  setForToken(tokenHash: string, viewer: Viewer, epoch: number) {
    if (epoch !== this.generation) return;
    this.put(viewer.session.id, viewer);
    this.byToken.set(tokenHash, viewer.session.id);
  }

  /** Drops one session (e.g. it expired); its token hash then misses and is looked up again. */
  forgetSession(sessionId: string) {
    this.generation++;
    this.entries.delete(sessionId);
  }

  /** Marks sessions dead (revoked ids are never reused, so a negative entry is safe). */
  revoke(sessionIds: string[]) {
    this.generation++;
    for (const id of sessionIds) this.put(id, null);
  }

  /** Forgets everything cached for a user (a User column changed). */
  forgetUser(userId: string) {
    this.generation++;
    for (const [id, e] of this.entries) if (e.viewer?.user.id === userId) this.entries.delete(id);
  }

  private put(sessionId: string, viewer: Viewer | null) {
    if (this.entries.size >= MAX_CACHE || this.byToken.size >= MAX_CACHE) {
      this.entries.clear();
      this.byToken.clear();
    }
    this.entries.set(sessionId, { viewer, until: Date.now() + SESSION_CACHE_MS });
  }
}
