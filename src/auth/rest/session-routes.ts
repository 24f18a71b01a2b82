// better-auth routes for signing up, in and out, and managing sessions (same AccountService as GraphQL).
import { RestError, checkPasswordLength, redirectParam, str, type Route } from './http.ts';
import { endSessionCookies, sessionOut, startSessionHeaders, userOut } from './shapes.ts';
import { SESSION_COOKIE, parseCookies } from '../cookies.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const sessionRoutes: Route[] = [
  {
    method: 'POST',
    path: '/sign-up/email',
    form: true,
    errors: { USER_ALREADY_EXISTS: [422, 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL', 'User already exists. Use another email.'] },
    async handler({ body, services, client }) {
      const name = str(body, 'name');
      const email = str(body, 'email');
      const password = str(body, 'password');
      // Refused as better-auth refuses it, although sign-up sends no mail that would use it.
      redirectParam(services, body.callbackURL, 'callbackURL');
      if (!EMAIL.test(email.trim())) throw new RestError(400, 'VALIDATION_ERROR', '[body.email] Invalid email address');
      checkPasswordLength(password);
      const image = typeof body.image === 'string' ? body.image : null;
      const result = await services.accounts.signUp(client, { name, email, password, image });
      return { body: { token: result.token, user: userOut(result.user) }, ...startSessionHeaders(services, result.token, result.session) };
    },
  },
  {
    method: 'POST',
    path: '/sign-in/email',
    form: true,
    errors: { INVALID_CREDENTIALS: [401, 'INVALID_EMAIL_OR_PASSWORD', 'Invalid email or password'] },
    async handler({ body, services, client }) {
      const email = str(body, 'email');
      const password = str(body, 'password');
      const callbackURL = redirectParam(services, body.callbackURL, 'callbackURL');
      if (!EMAIL.test(email.trim())) throw new RestError(400, 'INVALID_EMAIL', 'Invalid email');
      if (Buffer.byteLength(password) > 128) throw new RestError(400, 'PASSWORD_TOO_LONG', 'Password too long');
      const rememberMe = body.rememberMe === false || body.rememberMe === 'false' ? false : true;
      const result = await services.accounts.signIn(client, { email, password, rememberMe });
      const headers = startSessionHeaders(services, result.token, result.session);
      return {
        body: { redirect: !!callbackURL, token: result.token, ...(callbackURL ? { url: callbackURL } : {}), user: userOut(result.user) },
        cookies: headers.cookies,
        headers: { ...headers.headers, ...(callbackURL ? { location: callbackURL } : {}) },
      };
    },
  },
  {
    method: 'GET',
    path: '/get-session',
    async handler({ viewer, services, cookieHeader }) {
      const headers = { pragma: 'no-cache' };
      const v = await viewer();
      if (!v) {
        // A signed cookie for a session that has ended: tell the browser to drop it.
        const stale = parseCookies(cookieHeader).has(SESSION_COOKIE);
        return { body: null, headers, cookies: stale ? endSessionCookies(services) : undefined };
      }
      const jwt = await services.auth.issueAccessToken(v);
      return {
        body: { session: sessionOut(v.session, v.token), user: userOut(v.user) },
        headers: { ...headers, 'set-auth-jwt': jwt.token, 'access-control-expose-headers': 'set-auth-jwt' },
      };
    },
  },
  {
    method: 'POST',
    path: '/sign-out',
    async handler({ viewer, services }) {
      const v = await viewer();
      if (v) await services.accounts.signOut(v);
      return { body: { success: true }, cookies: endSessionCookies(services) };
    },
  },
  {
    method: 'GET',
    path: '/list-sessions',
    async handler({ requireViewer, services }) {
      const v = await requireViewer();
      const sessions = await services.accounts.listSessions(v);
      return { body: sessions.map((s) => sessionOut(s, s.id === v.session.id ? v.token : null)) };
    },
  },
  {
    method: 'POST',
    path: '/revoke-session',
    async handler({ body, requireViewer, services }) {
      const v = await requireViewer();
      const token = str(body, 'token');
      const sessionId = token === v.token ? v.session.id : ((await services.accounts.sessionIdForToken(token)) ?? token);
      // Only the caller's own sessions are affected; an unknown or foreign token is a no-op, as in better-auth.
      await services.accounts.revoke(v.user, [sessionId], 'session revoked');
      return { body: { status: true }, cookies: sessionId === v.session.id ? endSessionCookies(services) : undefined };
    },
  },
  {
    method: 'POST',
    path: '/revoke-sessions',
    async handler({ requireViewer, services }) {
      const v = await requireViewer();
      await services.accounts.revokeAll(v.user, 'signed out everywhere');
      return { body: { status: true }, cookies: endSessionCookies(services) };
    },
  },
  {
    method: 'POST',
    path: '/revoke-other-sessions',
    async handler({ requireViewer, services }) {
      await services.accounts.revokeOtherSessions(await requireViewer());
      return { body: { status: true } };
    },
  },
  {
    method: 'POST',
    path: '/update-user',
    async handler({ body, requireViewer, services }) {
      const v = await requireViewer();
      if (body.email !== undefined) throw new RestError(400, 'EMAIL_CAN_NOT_BE_UPDATED', 'Email can not be updated');
      const input: Record<string, string | null> = {};
      for (const field of ['name', 'image', 'username', 'phoneNumber'] as const) {
        if (typeof body[field] === 'string' || body[field] === null) input[field] = body[field] as string | null;
      }
      if (Object.keys(input).length === 0) throw new RestError(400, null, 'No fields to update');
      await services.accounts.updateProfile(v, input);
      return { body: { status: true } };
    },
  },
];
