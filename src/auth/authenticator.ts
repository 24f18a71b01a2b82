// The one owner of "which session is this credential": turns a session token, a JWT or the session cookie into a
// viewer for every transport (GraphQL over HTTP/SSE/WS and the REST routes, which read the credential with
// ./credentials.ts). Accepted credentials:
//  - `Authorization: Bearer <opaque session token>` (also better-auth's signed form `<token>.<signature>`),
//  - `Authorization: Bearer <JWT access token>` (EdDSA, from `accessToken` or GET /api/auth/token),
//  - the better-auth session cookie (the caller decides when a cookie may be honoured; see ./credentials.ts).
//
// JWTs are verified without a database round trip per request: the signature is checked against the cached key
// set, then the session id (`sid`) is looked up in this instance's SessionCache of live sessions with their user.
// Opaque tokens use the same cache, keyed by the token's hash; their sliding expiry is renewed here too. The cache is
// kept current by AccountService (synchronously) and by the `sessions:revoked` / `users:changed` events this class
// listens for (./session-cache.ts).
import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { AccountService } from '../accounts/accounts.service.ts';
import type { Viewer } from '../accounts/accounts.types.ts';
import { hashToken } from '../accounts/credentials.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { Logger } from '../logger.ts';
import { ALG, type SigningKeys } from './signing-keys.ts';
import { sessionTokenFromCookie, verifySigned } from './cookies.ts';
import type { SessionCache } from './session-cache.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Verified JWTs remembered per instance (each about 1 KiB with its claims); past it the least recently used go. */
export const VERIFIED_JWTS = 10_000;

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
      /** How long a remembered session lives from its last renewal (SESSION_TTL_DAYS). */
      sessionTtlDays: number;
      /** How many verified JWTs to remember; VERIFIED_JWTS unless a test asks for fewer. */
      maxVerifiedJwts?: number;
    },
  ) {
    this.verified = new LRUCache({ max: deps.maxVerifiedJwts ?? VERIFIED_JWTS });
  }

  /** How many verified JWTs this instance remembers (for tests and diagnostics). */
  get verifiedJwts(): number {
    return this.verified.size;
  }

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

  private async fromOpaque(tenantId: string, raw: string): Promise<Authenticated | null> {
    const viewer = await this.opaqueSession(tenantId, raw);
    return viewer ? { ...viewer, token: raw, credentialExpiresAt: null } : null;
  }

  /**
   * The viewer behind an opaque session token in this tenant, or null; a token from another tenant is not valid here.
   * Cached by the token's hash. A session past its expiry is ended (and announced); a remembered session used a day
   * or more after its last renewal gets a fresh lifetime (sliding expiry), so both go to the database.
   */
  private async opaqueSession(tenantId: string, token: string): Promise<Viewer | null> {
    if (!token || token.length > 200) return null;
    const tokenHash = hashToken(token);
    const { cache, prisma } = this.deps;
    const now = Date.now();
    const cached = cache.getByToken(tokenHash);
    if (cached === null) return null;
    if (cached) {
      const { session } = cached;
      const fresh = session.expiresAt.getTime() > now && !(session.rememberMe && now - session.updatedAt.getTime() > DAY_MS);
      if (fresh) return session.tenantId === tenantId ? cached : null;
      // Expired, or due for its sliding renewal: the database decides.
      cache.forgetSession(session.id);
    }
    const epoch = cache.epoch();
    const found = await prisma.session.findUnique({ where: { tokenHash }, include: { user: true } });
    // A suspended user's sessions do not authenticate (suspension deletes them; this covers one started meanwhile).
    if (!found || found.tenantId !== tenantId || found.user.suspendedAt) return null;
    if (found.expiresAt.getTime() <= now) {
      await this.deps.accounts.revoke(found.user, [found.id], 'session expired');
      return null;
    }
    const { user, ...session } = found;
    let viewer: Viewer = { user, session };
    if (session.rememberMe && now - session.updatedAt.getTime() > DAY_MS) {
      const updated = await prisma.session.update({
        where: { id: session.id },
        data: { expiresAt: new Date(now + this.deps.sessionTtlDays * DAY_MS) },
      });
      viewer = { user, session: updated };
    }
    cache.setForToken(tokenHash, viewer, epoch);
    return viewer;
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
   * request. Whether the session is still alive is asked on every use all the same. Bounded; each entry's ttl is
   * what is left of its token's lifetime, so an expired token is verified (and refused) again.
   */
  private readonly verified: LRUCache<string, JWTPayload>;

  private async verifiedClaims(jwt: string): Promise<JWTPayload | null> {
    const known = this.verified.get(jwt);
    if (known) return known;
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
    // A token without `exp` is refused by fromJwt; one that expires within the millisecond is not worth keeping.
    const left = (payload.exp ?? 0) * 1000 - Date.now();
    if (left >= 1) this.verified.set(jwt, payload, { ttl: left });
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
    if (!viewer || viewer.session.tenantId !== tenantId || viewer.user.id !== payload.sub || viewer.user.suspendedAt) return null;
    if (viewer.session.expiresAt.getTime() <= Date.now()) return null;
    return { ...viewer, token: null, credentialExpiresAt: new Date(payload.exp * 1000) };
  }
}
