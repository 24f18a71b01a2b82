// This instance's cache of live (and known-dead) sessions with their user: what lets the Authenticator answer a JWT or
// an opaque token without a database round trip. An entry is dropped the moment this instance revokes the session or
// changes the user (AccountService tells it synchronously), and on every other instance when the `sessions:revoked` /
// `users:changed` event arrives (the Authenticator listens). Entries also expire after SESSION_CACHE_MS, which bounds
// how long a revoked session or an old profile could still be served if an event were lost (e.g. during a Redis
// outage).
import { LRUCache } from 'lru-cache';
import type { SessionInvalidation, Viewer } from '../accounts/accounts.types.ts';

export const SESSION_CACHE_MS = 30_000;
/** Sessions (and token hashes) remembered per instance; past it the least recently used go first. */
export const MAX_SESSIONS_CACHED = 50_000;

/** A cached session: its viewer (null: known dead) and, when an opaque token found it, that token's hash. */
interface Entry {
  viewer: Viewer | null;
  tokenHash?: string;
}

/**
 * Live (or known-dead) sessions by id, with their user, for JWT checks and (by token hash) for opaque tokens.
 * Bounded in size and time; dropped per session on revocation and per user whenever a User row changes.
 */
export class SessionCache implements SessionInvalidation {
  /**
   * Token hash -> session id. Every key belongs to the entry that holds it: an entry leaving `entries` for any reason
   * (evicted, expired, deleted, replaced) takes its hash with it, so this index is never larger than `entries` and
   * never evicts on its own; its bound is a backstop.
   */
  private readonly byToken = new LRUCache<string, string>({ max: MAX_SESSIONS_CACHED });
  private readonly entries = new LRUCache<string, Entry>({
    max: MAX_SESSIONS_CACHED,
    ttl: SESSION_CACHE_MS,
    dispose: (entry, sessionId) => {
      if (entry.tokenHash !== undefined && this.byToken.peek(entry.tokenHash) === sessionId) this.byToken.delete(entry.tokenHash);
    },
  });
  /**
   * Bumped by every invalidation. A loader reads it before going to the database and stores its result only if it
   * is unchanged, so a read that raced a profile change or a revocation never re-caches the old row.
   */
  private generation = 0;

  epoch(): number {
    return this.generation;
  }

  /** How many sessions and token hashes are held (for tests and diagnostics). */
  sizes(): { sessions: number; tokens: number } {
    return { sessions: this.entries.size, tokens: this.byToken.size };
  }

  get(sessionId: string): Viewer | null | undefined {
    return this.entries.get(sessionId)?.viewer;
  }

  /** The viewer behind an opaque token's hash: a viewer, null when its session is known dead, undefined if unknown. */
  getByToken(tokenHash: string): Viewer | null | undefined {
    const sessionId = this.byToken.get(tokenHash);
    return sessionId === undefined ? undefined : this.get(sessionId);
  }

  /** Stores a lookup's result unless something was invalidated since `epoch` was read (then it may be stale). */
  set(sessionId: string, viewer: Viewer | null, epoch = this.generation) {
    if (epoch !== this.generation) return;
    this.put(sessionId, viewer);
  }

  setForToken(tokenHash: string, viewer: Viewer, epoch: number) {
    if (epoch !== this.generation) return;
    this.put(viewer.session.id, viewer, tokenHash);
  }

  /** Drops one session (e.g. it expired), with its token hash: the token is looked up again. */
  forgetSession(sessionId: string) {
    this.generation++;
    this.entries.delete(sessionId);
  }

  /**
   * Marks sessions dead (revoked ids are never reused, so a negative entry is safe). A token hash known for one keeps
   * pointing at it, so the revoked token is refused without a database read until the entry expires.
   */
  revoke(sessionIds: string[]) {
    this.generation++;
    for (const id of sessionIds) this.put(id, null);
  }

  /** Forgets everything cached for a user (a User column changed). */
  forgetUser(userId: string) {
    this.generation++;
    const ids: string[] = [];
    for (const [id, e] of this.entries.entries()) if (e.viewer?.user.id === userId) ids.push(id);
    for (const id of ids) this.entries.delete(id);
  }

  /**
   * Replaces a session's entry (the old one's token hash leaves with it, by `dispose`) and indexes the token hash the
   * new entry carries: the one given, else the one the session was already known by.
   */
  private put(sessionId: string, viewer: Viewer | null, tokenHash?: string) {
    const hash = tokenHash ?? this.entries.peek(sessionId, { allowStale: true })?.tokenHash;
    this.entries.set(sessionId, { viewer, tokenHash: hash });
    if (hash !== undefined) this.byToken.set(hash, sessionId);
  }
}
