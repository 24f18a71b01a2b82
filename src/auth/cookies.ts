// The session cookie exactly as better-auth writes it, so better-auth front ends and their helpers work unchanged:
// `better-auth.session_token=<encodeURIComponent(token + "." + base64(HMAC-SHA256(AUTH_SECRET, token)))>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'better-auth.session_token';
export const DONT_REMEMBER_COOKIE = 'better-auth.dont_remember';
const SESSION_DATA_COOKIE = 'better-auth.session_data';
const SECURE_PREFIX = '__Secure-';

const signature = (value: string, secret: string) => createHmac('sha256', secret).update(value).digest('base64');

/** `value.signature`, not yet URL-encoded (the form better-auth sends in `set-auth-token`). */
export function signValue(value: string, secret: string): string {
  return `${value}.${signature(value, secret)}`;
}

/** The raw value behind a decoded `value.signature`, or null when the signature does not match. */
export function verifySigned(signed: string, secret: string): string | null {
  const i = signed.lastIndexOf('.');
  if (i < 1) return null;
  const value = signed.slice(0, i);
  const sig = signed.slice(i + 1);
  // Strict shape first: Buffer.from(base64) skips characters it does not know, which would let a tampered signature pass.
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(sig)) return null;
  // better-auth accepts the standard and URL-safe base64 alphabets for the signature.
  const given = Buffer.from(sig.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const expected = createHmac('sha256', secret).update(value).digest();
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : null;
}

export function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    const name = part.slice(0, i).trim();
    if (out.has(name)) continue; // first occurrence wins, as in better-call
    let value = part.slice(i + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      // malformed escape: ignore this cookie
    }
  }
  return out;
}

/** The raw session token from a Cookie header (either cookie name variant), if its signature is valid. */
export function sessionTokenFromCookie(header: string | null | undefined, secret: string): string | null {
  const cookies = parseCookies(header);
  const signed = cookies.get(SECURE_PREFIX + SESSION_COOKIE) ?? cookies.get(SESSION_COOKIE);
  return signed ? verifySigned(signed, secret) : null;
}

export function hasDontRemember(header: string | null | undefined, secret: string): boolean {
  const cookies = parseCookies(header);
  const v = cookies.get(SECURE_PREFIX + DONT_REMEMBER_COOKIE) ?? cookies.get(DONT_REMEMBER_COOKIE);
  return v ? verifySigned(v, secret) === 'true' : false;
}

export interface CookieOptions {
  secure: boolean;
  secret: string;
}

const name = (base: string, o: CookieOptions) => (o.secure ? SECURE_PREFIX : '') + base;
const attrs = (o: CookieOptions) => `Path=/; HttpOnly${o.secure ? '; Secure' : ''}; SameSite=Lax`;

/** Set-Cookie lines that start a session; without `maxAgeSeconds` (rememberMe: false) it is a browser-session cookie. */
export function sessionCookies(token: string, maxAgeSeconds: number | null, o: CookieOptions): string[] {
  const value = encodeURIComponent(signValue(token, o.secret));
  if (maxAgeSeconds !== null) return [`${name(SESSION_COOKIE, o)}=${value}; Max-Age=${maxAgeSeconds}; ${attrs(o)}`];
  return [
    `${name(SESSION_COOKIE, o)}=${value}; ${attrs(o)}`,
    `${name(DONT_REMEMBER_COOKIE, o)}=${encodeURIComponent(signValue('true', o.secret))}; ${attrs(o)}`,
  ];
}

/** Set-Cookie lines that end a session in the browser. */
export function clearSessionCookies(o: CookieOptions): string[] {
  return [SESSION_COOKIE, SESSION_DATA_COOKIE, DONT_REMEMBER_COOKIE].map((n) => `${name(n, o)}=; Max-Age=0; ${attrs(o)}`);
}
