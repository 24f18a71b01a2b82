// Which origins Parley trusts, and the one check every redirect target goes through (reset and verification links,
// sign-in/sign-up callbackURL). Trust comes from configuration only: PUBLIC_URL (else the URL this instance listens
// on) and CORS_ORIGINS. The request's Host header is never consulted: a client chooses it freely.
import type { Services } from '../services.ts';
import { badInput } from '../errors.ts';

/** Parley's own origin (PUBLIC_URL, else where it listens) and CORS_ORIGINS; one per app (Services.trustedOrigins). */
export class TrustedOrigins {
  private readonly listed: ReadonlySet<string>;
  /** The public URL last seen and its origin: without PUBLIC_URL it is known once the server listens (port 0: any). */
  private own = { publicUrl: '', origin: '' };

  constructor(
    corsOrigins: readonly string[],
    private readonly publicUrl: () => string,
  ) {
    this.listed = new Set(corsOrigins);
  }

  /** Listed in CORS_ORIGINS: a browser app on another origin that may call Parley with credentials. */
  isListed(origin: string): boolean {
    return this.listed.has(origin);
  }

  has(origin: string): boolean {
    return origin === this.ownOrigin() || this.listed.has(origin);
  }

  private ownOrigin(): string {
    const publicUrl = this.publicUrl();
    if (publicUrl !== this.own.publicUrl) this.own = { publicUrl, origin: new URL(publicUrl).origin };
    return this.own.origin;
  }
}

/**
 * Whether a browser request may act with the session cookie: its Origin is trusted, or the browser itself says the
 * page is this server's own (`Sec-Fetch-Site: same-origin`, a header no page can set), as for the web client opened
 * under another name than PUBLIC_URL (localhost for 127.0.0.1).
 */
export function trustedRequestOrigin(services: Services, origin: string, secFetchSite: string | null | undefined): boolean {
  return services.trustedOrigins.has(origin) || secFetchSite === 'same-origin';
}

// C0 controls (tab, CR and LF among them), DEL, C1 controls, and backslashes: the URL parser drops or rewrites them,
// so what was checked would not be what a browser follows ("/\t/evil.example" becomes "//evil.example").
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\\]/;
const ABSOLUTE_HTTP = /^https?:\/\//i;
const MAX_LENGTH = 2048;

/**
 * A redirect target Parley may send a browser to: a path on this server ("/reset", resolved against PUBLIC_URL), or
 * an absolute http(s) URL whose origin is trusted. Anything else is BAD_USER_INPUT with `reason: UNTRUSTED_REDIRECT`
 * naming `field` (the REST routes answer better-auth's 403 INVALID_CALLBACK_URL or INVALID_REDIRECT_URL).
 *
 * Returns the target as the parser resolved it, which is what was checked, and what must be sent on (Location, body,
 * mail links): for a path, its resolved path, query and fragment, starting with exactly one "/"; for a URL, its
 * serialization. Either is ASCII (anything else percent-encoded, hosts in punycode), so it is a valid header value,
 * and checking it again accepts it unchanged (a mailed link is checked again when opened).
 */
export function trustedRedirect(services: Services, target: string, field: string): string {
  const refused = () =>
    badInput(
      `${field} must be a path on this server or a URL on a trusted origin (PUBLIC_URL or CORS_ORIGINS).`,
      field,
      'UNTRUSTED_REDIRECT',
    );
  if (target.length > MAX_LENGTH || UNSAFE.test(target)) throw refused();
  // Only the two unambiguous forms: a path ("/x", not the protocol-relative "//host"), or a URL with its scheme and
  // "//". Shapes like "http:evil.example" resolve differently against different bases.
  const path = target.startsWith('/') && !target.startsWith('//');
  if (!path && !ABSOLUTE_HTTP.test(target)) throw refused();
  let url: URL;
  try {
    url = new URL(target, services.publicUrl());
  } catch {
    throw refused();
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused();
  if (url.username || url.password || !services.trustedOrigins.has(url.origin)) throw refused();
  // "/..//evil.example" resolves to the path "//evil.example": sent as a path it would read as another host.
  if (url.pathname.startsWith('//')) throw refused();
  const resolved = path ? url.pathname + url.search + url.hash : url.href;
  if (resolved.length > MAX_LENGTH) throw refused();
  return resolved;
}
