// better-auth's JSON shapes for users and sessions, and the cookie/header bundle that starts or ends a session.
import type { Session, User } from '../../generated/prisma/client.ts';
import type { Services } from '../../services.ts';
import { clearSessionCookies, signValue, sessionCookies, type CookieOptions } from '../cookies.ts';
import type { RouteResult } from './http.ts';

export function userOut(user: User) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    emailVerified: user.emailVerified,
    image: user.image ?? null,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    username: user.username ?? null,
  };
}

/**
 * Parley stores only a hash of each session token, so `token` is the raw token for the session making the request
 * and the session id for the others. POST /revoke-session accepts either.
 */
export function sessionOut(session: Session, token: string | null) {
  return {
    id: session.id,
    token: token ?? session.id,
    userId: session.userId,
    expiresAt: session.expiresAt,
    createdAt: session.createdAt,
    updatedAt: session.updatedAt,
    ipAddress: session.ipAddress ?? '',
    userAgent: session.userAgent ?? '',
  };
}

export function cookieOptions(services: Services): CookieOptions {
  return { secure: services.publicUrl().startsWith('https://'), secret: services.config.authSecret };
}

/** Set-Cookie + `set-auth-token` (better-auth's bearer plugin) for a new session. */
export function startSessionHeaders(services: Services, token: string, session: Session): Pick<RouteResult, 'cookies' | 'headers'> {
  const maxAge = session.rememberMe ? Math.max(0, Math.round((session.expiresAt.getTime() - Date.now()) / 1000)) : null;
  return {
    cookies: sessionCookies(token, maxAge, cookieOptions(services)),
    headers: { 'set-auth-token': signValue(token, services.config.authSecret), 'access-control-expose-headers': 'set-auth-token' },
  };
}

export const endSessionCookies = (services: Services) => clearSessionCookies(cookieOptions(services));
