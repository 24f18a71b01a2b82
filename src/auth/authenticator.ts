// Who is making a request: one place that turns a credential into a viewer for every transport (GraphQL over
// HTTP/SSE/WS and the REST routes). Accepted credentials:
//  - `Authorization: Bearer <opaque session token>` (also better-auth's signed form `<token>.<signature>`),
//  - `Authorization: Bearer <JWT access token>` (EdDSA, from `accessToken` or GET /api/auth/token),
//  - the better-auth session cookie (the caller decides when a cookie may be honoured; see CSRF in yoga.ts).
//
// JWTs are verified without a database round trip per request: the signature is checked against the cached key
// set, then the session id (`sid`) is looked up in a small in-process cache of live sessions with their user.
// Opaque tokens use the same cache, keyed by the token's hash (see AccountService.authenticate). An entry is
// dropped the moment this instance revokes the session or changes the user, and on every other instance when the
// `sessions:revoked` / `users:changed` event arrives (milliseconds through Redis). Entries also expire after
// SESSION_CACHE_MS, which bounds how long a revoked session or an old profile could still be served if an event
// were lost (e.g. during a Redis outage).
import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { AccountService, Viewer } from '../accounts/accounts.service.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { Logger } from '../logger.ts';
import { ALG, type SigningKeys } from './signing-keys.ts';
import { sessionTokenFromCookie, verifySigned } from './cookies.ts';

export const SESSION_CACHE_MS = 30_000;
const MAX_CACHE = 50_000;

export interface Authenticated extends Viewer {
  /** The raw opaque token when the credential was one (or a cookie); null for a JWT. */
  token: string | null;
  /** When the credential stops working on its own: a JWT's `exp`; null for session tokens (the session expiry rules). */
  credentialExpiresAt: Date | null;
}

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

/**
 * Live (or known-dead) sessions by id, with their user, for JWT checks and (by token hash) for opaque tokens.
 * Bounded in size and time; dropped per session on revocation and per user whenever a User row changes.
 */
/** Verified JWTs remembered per instance (each about 1 KiB with its claims). */
const VERIFIED_JWTS = 10_000;

export class SessionCache {
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

const looksLikeJwt = (s: string) => s.startsWith('eyJ') && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(s);

export class Authenticator {
  private listener: AsyncIterator<unknown> | null = null;
  private userListener: AsyncIterator<unknown> | null = null;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      accounts: AccountService;
      keys: SigningKeys;
      cache: SessionCache;
      pubsub: ParleyPubSub;
      logger: Logger;
      secret: string;
      /** iss and aud of access tokens. */
      issuer: string;
      accessTokenTtlSeconds: number;
    },
  ) {}

  /** Listens for revocations from every instance. */
  start() {
    const events = this.deps.pubsub.subscribe('sessions:revoked');
    this.listener = events[Symbol.asyncIterator]();
    void (async () => {
      for await (const e of events) this.deps.cache.revoke(e.sessionIds);
    })().catch((err) => this.deps.logger.error('session cache listener failed', { error: err }));
    const changes = this.deps.pubsub.subscribe('users:changed');
    this.userListener = changes[Symbol.asyncIterator]();
    void (async () => {
      for await (const e of changes) this.deps.cache.forgetUser(e.userId);
    })().catch((err) => this.deps.logger.error('user change listener failed', { error: err }));
  }

  async stop() {
    await this.listener?.return?.();
    await this.userListener?.return?.();
  }

  /** A bearer credential (opaque, signed-opaque or JWT) in this tenant, or null. Never throws for a bad one. */
  async fromBearer(tenantId: string, credential: string): Promise<Authenticated | null> {
    if (!credential || credential.length > 4096) return null;
    if (looksLikeJwt(credential)) return this.fromJwt(tenantId, credential);
    let raw = credential;
    if (credential.includes('.')) {
      let decoded = credential;
      try {
        if (credential.includes('%')) decoded = decodeURIComponent(credential);
      } catch {
        return null;
      }
      const value = verifySigned(decoded, this.deps.secret);
      if (!value) return null;
      raw = value;
    }
    return this.fromOpaque(tenantId, raw);
  }

  /** The session behind a signed better-auth cookie header, or null. */
  async fromCookie(tenantId: string, cookieHeader: string | null | undefined): Promise<Authenticated | null> {
    const raw = sessionTokenFromCookie(cookieHeader, this.deps.secret);
    return raw ? this.fromOpaque(tenantId, raw) : null;
  }

  /** Opaque tokens go through AccountService.authenticate, which keeps them in the same cache by token hash. */
  private async fromOpaque(tenantId: string, raw: string): Promise<Authenticated | null> {
    const viewer = await this.deps.accounts.authenticate(tenantId, raw);
    return viewer ? { ...viewer, token: raw, credentialExpiresAt: null } : null;
  }

  async issueAccessToken(viewer: Viewer): Promise<AccessToken> {
    const key = await this.deps.keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    // Never outlive the session it stands for.
    const exp = Math.min(now + this.deps.accessTokenTtlSeconds, Math.floor(viewer.session.expiresAt.getTime() / 1000));
    const token = await new SignJWT({ sid: viewer.session.id, tid: viewer.session.tenantId })
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setSubject(viewer.user.id)
      .setIssuer(this.deps.issuer)
      .setAudience(this.deps.issuer)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(key.privateKey!);
    this.deps.cache.set(viewer.session.id, { user: viewer.user, session: viewer.session });
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /**
   * Claims of JWTs whose signature was checked, by the token itself, until they expire: the same string always has
   * the same (valid) signature, so a client sending its token on every request costs one EdDSA check, not one per
   * request. Whether the session is still alive is asked on every use all the same. Bounded.
   */
  private verified = new Map<string, JWTPayload>();

  private async verifiedClaims(jwt: string): Promise<JWTPayload | null> {
    const known = this.verified.get(jwt);
    if (known) {
      if ((known.exp ?? 0) * 1000 > Date.now()) return known;
      this.verified.delete(jwt);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        jwt,
        async (header) => {
          const key = header.kid ? await this.deps.keys.verificationKey(header.kid) : null;
          if (!key) throw new joseErrors.JWKSNoMatchingKey();
          return key;
        },
        { algorithms: [ALG], issuer: this.deps.issuer, audience: this.deps.issuer },
      ));
    } catch {
      return null;
    }
    if (this.verified.size >= VERIFIED_JWTS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(jwt, payload);
    return payload;
  }

  private async fromJwt(tenantId: string, jwt: string): Promise<Authenticated | null> {
    const payload = await this.verifiedClaims(jwt);
    if (!payload) return null;
    const sid = typeof payload.sid === 'string' ? payload.sid : null;
    if (!sid || payload.tid !== tenantId || !payload.sub || !payload.exp) return null;
    let viewer = this.deps.cache.get(sid);
    if (viewer === undefined) {
      const epoch = this.deps.cache.epoch();
      const found = await this.deps.prisma.session.findUnique({ where: { id: sid }, include: { user: true } });
      if (found) {
        const { user, ...session } = found;
        viewer = { user, session };
      } else viewer = null;
      this.deps.cache.set(sid, viewer, epoch);
    }
    if (!viewer || viewer.session.tenantId !== tenantId || viewer.user.id !== payload.sub) return null;
    if (viewer.session.expiresAt.getTime() <= Date.now()) return null;
    return { ...viewer, token: null, credentialExpiresAt: new Date(payload.exp * 1000) };
  }
}
