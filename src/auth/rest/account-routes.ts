// better-auth routes for passwords, email verification and account deletion (same services as GraphQL).
import { RestError, checkPasswordLength, redirectParam, str, type Route } from './http.ts';
import { endSessionCookies, startSessionHeaders, userOut } from './shapes.ts';

const withQuery = (target: string, base: string, params: Record<string, string>) => {
  const url = new URL(target, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
};

export const accountRoutes: Route[] = [
  {
    method: 'POST',
    path: '/change-password',
    errors: { INVALID_PASSWORD: [400, 'INVALID_PASSWORD', 'Invalid password'] },
    async handler({ body, requireViewer, services, client }) {
      const v = await requireViewer();
      const newPassword = str(body, 'newPassword');
      const currentPassword = str(body, 'currentPassword');
      checkPasswordLength(newPassword);
      // better-auth's revokeOtherSessions: every session ends (this one too) and a new one starts.
      const { user, renewed } = await services.accounts.changePassword(client, v, {
        currentPassword,
        newPassword,
        sessions: body.revokeOtherSessions === true ? 'renew' : 'none',
      });
      if (!renewed) return { body: { token: null, user: userOut(user) } };
      return { body: { token: renewed.token, user: userOut(user) }, ...startSessionHeaders(services, renewed.token, renewed.session) };
    },
  },
  {
    method: 'POST',
    path: '/request-password-reset',
    async handler({ body, services, client }) {
      const email = str(body, 'email');
      const redirectTo = redirectParam(services, body.redirectTo, 'redirectURL');
      await services.recovery.requestPasswordReset(client, email, redirectTo);
      return { body: { status: true, message: 'If this email exists in our system, check your email for the reset link' } };
    },
  },
  {
    // The link in the reset mail: checks the token and sends the browser to the app's reset page with ?token=.
    method: 'GET',
    path: '/reset-password/:token',
    async handler({ params, url, services }) {
      const callbackURL = redirectParam(services, url.searchParams.get('callbackURL'), 'callbackURL');
      if (!callbackURL)
        throw new RestError(400, 'VALIDATION_ERROR', '[query.callbackURL] Invalid input: expected string, received undefined');
      const valid = await services.recovery.isResetTokenValid(params.token);
      const location = withQuery(callbackURL, services.publicUrl(), valid ? { token: params.token } : { error: 'INVALID_TOKEN' });
      return { status: 302, headers: { location } };
    },
  },
  {
    method: 'POST',
    path: '/reset-password',
    errors: { INVALID_TOKEN: [400, 'INVALID_TOKEN', 'Invalid token'] },
    async handler({ body, url, services }) {
      const token = (typeof body.token === 'string' && body.token) || url.searchParams.get('token');
      if (!token) throw new RestError(400, 'INVALID_TOKEN', 'Invalid token');
      const newPassword = str(body, 'newPassword');
      checkPasswordLength(newPassword);
      await services.recovery.resetPassword(token, newPassword);
      return { body: { status: true } };
    },
  },
  {
    method: 'POST',
    path: '/send-verification-email',
    errors: {
      EMAIL_MISMATCH: [400, 'EMAIL_MISMATCH', 'Email mismatch'],
      EMAIL_ALREADY_VERIFIED: [400, 'EMAIL_ALREADY_VERIFIED', 'Email is already verified'],
    },
    async handler({ body, viewer, services, client }) {
      const email = str(body, 'email');
      const callbackURL = redirectParam(services, body.callbackURL, 'callbackURL');
      await services.recovery.sendVerificationEmail(client, await viewer(), email, callbackURL);
      return { body: { status: true } };
    },
  },
  {
    method: 'GET',
    path: '/verify-email',
    errors: { INVALID_TOKEN: [401, 'INVALID_TOKEN', 'Invalid token'] },
    async handler({ url, services }) {
      const token = url.searchParams.get('token');
      if (!token) throw new RestError(400, 'VALIDATION_ERROR', '[query.token] Invalid input: expected string, received undefined');
      const callbackURL = redirectParam(services, url.searchParams.get('callbackURL'), 'callbackURL');
      try {
        await services.recovery.verifyEmail(token);
      } catch (err) {
        if (!callbackURL) throw err;
        return { status: 302, headers: { location: withQuery(callbackURL, services.publicUrl(), { error: 'INVALID_TOKEN' }) } };
      }
      if (callbackURL) return { status: 302, headers: { location: withQuery(callbackURL, services.publicUrl(), {}) } };
      return { body: { status: true, user: null } };
    },
  },
  {
    method: 'POST',
    path: '/delete-user',
    errors: {
      INVALID_PASSWORD: [400, 'INVALID_PASSWORD', 'Invalid password'],
      SESSION_EXPIRED: [400, 'SESSION_EXPIRED', 'Session expired. Re-authenticate to perform this action.'],
    },
    async handler({ body, requireViewer, services }) {
      const v = await requireViewer();
      const password = typeof body.password === 'string' ? body.password : null;
      await services.accounts.deleteAccount(v, password);
      return { body: { success: true, message: 'User deleted' }, cookies: endSessionCookies(services) };
    },
  },
];
