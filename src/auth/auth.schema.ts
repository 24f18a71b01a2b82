// GraphQL shape of access tokens, password recovery, email verification, password change and account deletion.
// The same services back the REST routes under /api/auth.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import type { AccessToken } from './authenticator.ts';
import { trustedRedirect } from './trusted.ts';

const AccessTokenRef = builder.objectRef<AccessToken>('AccessToken').implement({
  description:
    'A short-lived JWT (EdDSA/Ed25519) for the current session. Send it as `Authorization: Bearer <token>` on any transport; ' +
    'other services can verify it offline with the keys at GET /api/auth/jwks. Claims: sub (user id), sid (session id), ' +
    'tid (tenant), iss, aud, iat, exp, jti. It stops working when its session ends, even before it expires.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'The JWT.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When it expires (JWT_TTL_SECONDS, never after the session).' }),
    tokenType: t.string({ description: 'Always "Bearer".', resolve: () => 'Bearer' }),
  }),
});

builder.mutationFields((t) => ({
  accessToken: t.field({
    type: AccessTokenRef,
    authScopes: { signedIn: true },
    description: 'Issues a short-lived JWT access token for the current session (also GET /api/auth/token).',
    resolve: (_root, _args, ctx) => ctx.services.auth.issueAccessToken(requireViewer(ctx)),
  }),
  requestPasswordReset: t.boolean({
    description:
      'Mails a password reset link (valid one hour, single use) if an account with this email exists. Always true, and ' +
      'answered before the account is looked up and the mail sent, so neither the answer nor its timing reveals which ' +
      'emails have accounts. Rate limited per IP (RATE_LIMITED with extensions.retryAfter).',
    args: {
      email: t.arg.string({ required: true, description: 'The account email.' }),
      redirectTo: t.arg.string({
        description:
          'Page of your app that asks for the new password; the link lands there with ?token=. A path on this server ("/reset"), ' +
          'or an http(s) URL on PUBLIC_URL or one of CORS_ORIGINS; anything else (another origin, control characters, backslashes) ' +
          'is BAD_USER_INPUT with extensions.reason UNTRUSTED_REDIRECT. Default /reset-password.',
      }),
    },
    resolve: async (_root, { email, redirectTo }, ctx) => {
      const target = redirectTo ? trustedRedirect(ctx.services, redirectTo, 'redirectTo') : null;
      await ctx.services.recovery.requestPasswordReset(ctx.client, email, target);
      return true;
    },
  }),
  resetPassword: t.boolean({
    description: 'Sets a new password with the token from the reset mail, and ends every session of the account (their sockets close).',
    args: {
      token: t.arg.string({ required: true, description: 'The token from the reset link.' }),
      newPassword: t.arg.string({ required: true, description: '8 to 72 bytes (UTF-8).' }),
    },
    resolve: async (_root, { token, newPassword }, ctx) => {
      await ctx.services.recovery.resetPassword(token, newPassword);
      return true;
    },
  }),
  sendVerificationEmail: t.boolean({
    authScopes: { signedIn: true },
    description: "Mails a link that verifies the signed-in user's email address (valid one hour, single use).",
    args: {
      callbackURL: t.arg.string({
        description:
          'Where the link sends the browser after verifying: a path on this server, or an http(s) URL on PUBLIC_URL or one of ' +
          'CORS_ORIGINS (else BAD_USER_INPUT with extensions.reason UNTRUSTED_REDIRECT).',
      }),
    },
    resolve: async (_root, { callbackURL }, ctx) => {
      const target = callbackURL ? trustedRedirect(ctx.services, callbackURL, 'callbackURL') : null;
      await ctx.services.recovery.sendVerificationEmail(ctx.client, requireViewer(ctx), null, target);
      return true;
    },
  }),
  verifyEmail: t.prismaField({
    type: 'User',
    description: 'Marks an email address verified with the token from the verification mail.',
    args: { token: t.arg.string({ required: true, description: 'The token from the verification link.' }) },
    resolve: async (query, _root, { token }, ctx) => {
      const user = await ctx.services.recovery.verifyEmail(token);
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: user.id } });
    },
  }),
  changePassword: t.boolean({
    authScopes: { signedIn: true },
    description: 'Changes the password. A wrong current password gives BAD_USER_INPUT with extensions.reason INVALID_PASSWORD.',
    args: {
      currentPassword: t.arg.string({ required: true, description: 'The password in use now.' }),
      newPassword: t.arg.string({ required: true, description: '8 to 72 bytes (UTF-8).' }),
      revokeOtherSessions: t.arg.boolean({
        defaultValue: true,
        description: 'End every other session of the account (their sockets close); this one stays signed in. Default true.',
      }),
    },
    resolve: async (_root, { currentPassword, newPassword, revokeOtherSessions }, ctx) => {
      await ctx.services.accounts.changePassword(ctx.client, requireViewer(ctx), {
        currentPassword,
        newPassword,
        sessions: revokeOtherSessions === false ? 'none' : 'others',
      });
      return true;
    },
  }),
  deleteAccount: t.boolean({
    authScopes: { signedIn: true },
    description:
      'Deletes the signed-in account for good: the user, every session (their sockets close), conversation memberships, ' +
      'pending verification links, AI chat sessions and every file the user uploaded (those of sent messages too). Messages ' +
      "the user sent stay in the other members' conversations with no sender (`Message.sender` becomes null), so those " +
      'conversations remain readable.',
    args: { password: t.arg.string({ required: true, description: 'The current password, to confirm.' }) },
    resolve: async (_root, { password }, ctx) => {
      await ctx.services.accounts.deleteAccount(requireViewer(ctx), password);
      return true;
    },
  }),
}));
