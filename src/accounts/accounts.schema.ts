// GraphQL shape of accounts: users, sessions, sign-up/in/out and profiles. Rules live in AccountService.
import { builder, onlyScalars } from '../graphql/builder.ts';
import { requireViewer, type Context } from '../graphql/context.ts';
import type { Session, User } from '../generated/prisma/client.ts';
import type { AuthResult } from './accounts.types.ts';
import { followed } from '../realtime/fanout.ts';

/** Contact details are private: the user themself and their accepted contacts (see accounts/privacy.ts). */
export function canSeeContact(ctx: Context, user: Pick<User, 'id'>): boolean | Promise<boolean> {
  return ctx.viewer?.user.id === user.id || ctx.services.privacy.isContact(ctx, user.id);
}

/** The rest of this operation runs as the user who just signed in (so the payload shows their private fields). */
function signedInAs(ctx: Context, result: AuthResult): AuthResult {
  ctx.viewer = { user: result.user, session: result.session };
  return result;
}

export const UserRef = builder.prismaObject('User', {
  description: 'A person with an account in this tenant.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable user id.' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    username: t.exposeString('username', { nullable: true, description: 'Unique handle in the tenant (3-30 of a-z, 0-9, "_", ".").' }),
    image: t.exposeString('image', { nullable: true, description: 'Avatar URL.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the account was created.' }),
    email: t.string({
      nullable: true,
      description:
        'Email address (lower-case). Visible to the user themself and to their accepted contacts (a DIRECT conversation both sides accepted, and no block either way); null to anyone else.',
      resolve: async (user, _args, ctx) => ((await canSeeContact(ctx, user)) ? user.email : null),
    }),
    emailVerified: t.exposeBoolean('emailVerified', { description: 'Whether the email address has been verified.' }),
    phoneNumber: t.string({
      nullable: true,
      description: 'Phone number in E.164 format. Visible like `email`.',
      resolve: async (user, _args, ctx) => ((await canSeeContact(ctx, user)) ? user.phoneNumber : null),
    }),
  }),
});

export const SessionRef = builder.objectRef<Session>('Session').implement({
  description: 'A signed-in device or browser. The token itself is shown only once, when the session starts.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Session id (use it with revokeSession).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the session started.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When it stops working unless used (sliding expiry).' }),
    userAgent: t.exposeString('userAgent', { nullable: true, description: 'User-Agent of the client that signed in.' }),
    ipAddress: t.exposeString('ipAddress', { nullable: true, description: 'IP address the session was started from.' }),
    current: t.boolean({
      description: 'True for the session making this request.',
      resolve: (session, _args, ctx) => ctx.viewer?.session.id === session.id,
    }),
  }),
});

export const AuthPayloadRef = builder.objectRef<AuthResult>('AuthPayload').implement({
  description: 'A new session: keep `token` and send it as `Authorization: Bearer <token>`.',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Bearer token for this session. Shown once; store it securely.' }),
    user: t.field({ type: UserRef, description: 'The signed-in user.', resolve: (r) => r.user }),
    session: t.field({ type: SessionRef, description: 'The new session.', resolve: (r) => r.session }),
  }),
});

const SignUpInput = builder.inputType('SignUpInput', {
  description: 'A new account in the tenant named by X-Client-ID.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Email address; unique per tenant.' }),
    password: t.string({ required: true, description: '8 to 72 bytes (UTF-8).' }),
    name: t.string({ required: true, description: 'Display name, 1 to 100 characters.' }),
    username: t.string({ description: 'Optional handle, 3-30 of a-z, 0-9, "_", "."; unique per tenant.' }),
    phoneNumber: t.string({ description: 'Optional phone number with country code; stored as E.164.' }),
    image: t.string({ description: 'Optional avatar URL.' }),
  }),
});

const SignInInput = builder.inputType('SignInInput', {
  description: 'Credentials. Give `email` or `username`.',
  fields: (t) => ({
    email: t.string({ description: 'Email address (or a username in this field).' }),
    username: t.string({ description: 'Username, instead of email.' }),
    password: t.string({ required: true, description: 'The password.' }),
    rememberMe: t.boolean({ description: 'false: the session lasts one day and is not extended. Default true.' }),
  }),
});

const UpdateProfileInput = builder.inputType('UpdateProfileInput', {
  description: 'Profile fields to change; omitted fields stay as they are, null clears optional ones.',
  fields: (t) => ({
    name: t.string({ description: 'Display name.' }),
    username: t.string({ description: 'Handle; null removes it.' }),
    phoneNumber: t.string({ description: 'Phone number with country code; null removes it.' }),
    image: t.string({ description: 'Avatar URL; null removes it.' }),
  }),
});

builder.queryFields((t) => ({
  me: t.prismaField({
    type: 'User',
    nullable: true,
    description: 'The signed-in user, or null when signed out.',
    resolve: (query, _root, _args, ctx) => {
      if (!ctx.viewer) return null;
      // The viewer's row is already loaded (and kept current, see SessionCache): reuse it unless the selection
      // needs relations loaded with it.
      if (onlyScalars(query)) return ctx.viewer.user;
      return ctx.prisma.user.findUnique({ ...query, where: { id: ctx.viewer.user.id } });
    },
  }),
  session: t.field({
    type: SessionRef,
    nullable: true,
    description: 'The session making this request, or null when signed out.',
    resolve: (_root, _args, ctx) => ctx.viewer?.session ?? null,
  }),
  sessions: t.field({
    type: [SessionRef],
    authScopes: { signedIn: true },
    description: "The signed-in user's active sessions, newest first.",
    resolve: (_root, _args, ctx) => ctx.services.accounts.listSessions(requireViewer(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthPayloadRef,
    description: 'Creates an account and signs it in.',
    args: { input: t.arg({ type: SignUpInput, required: true, description: 'The new account.' }) },
    resolve: async (_root, { input }, ctx) => signedInAs(ctx, await ctx.services.accounts.signUp(ctx.client, input)),
  }),
  signIn: t.field({
    type: AuthPayloadRef,
    description: 'Starts a session. A wrong email and a wrong password give the same error.',
    args: { input: t.arg({ type: SignInInput, required: true, description: 'Credentials.' }) },
    resolve: async (_root, { input }, ctx) => signedInAs(ctx, await ctx.services.accounts.signIn(ctx.client, input)),
  }),
  signOut: t.boolean({
    description: 'Ends the current session (its token stops working everywhere). False when not signed in.',
    resolve: async (_root, _args, ctx) => {
      if (!ctx.viewer) return false;
      await ctx.services.accounts.signOut(ctx.viewer);
      return true;
    },
  }),
  revokeSession: t.boolean({
    authScopes: { signedIn: true },
    description: "Ends one of the signed-in user's sessions by id.",
    args: { id: t.arg.id({ required: true, description: 'Session id.' }) },
    resolve: async (_root, { id }, ctx) => {
      await ctx.services.accounts.revokeSession(requireViewer(ctx), String(id));
      return true;
    },
  }),
  revokeOtherSessions: t.int({
    authScopes: { signedIn: true },
    description: 'Ends every session of the signed-in user except this one; returns how many ended.',
    resolve: (_root, _args, ctx) => ctx.services.accounts.revokeOtherSessions(requireViewer(ctx)),
  }),
  updateProfile: t.prismaField({
    type: 'User',
    authScopes: { signedIn: true },
    description: "Changes the signed-in user's profile.",
    args: { input: t.arg({ type: UpdateProfileInput, required: true, description: 'Fields to change.' }) },
    resolve: async (query, _root, { input }, ctx) => {
      const user = await ctx.services.accounts.updateProfile(requireViewer(ctx), input);
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: user.id } });
    },
  }),
}));

const SessionsEndedRef = builder.objectRef<{ sessionIds: string[]; reason: string }>('SessionsEnded').implement({
  description: "Some of the signed-in user's sessions ended (signed out, revoked, expired or a password change).",
  fields: (t) => ({
    sessionIds: t.idList({ description: 'Ids of the sessions that ended.', resolve: (e) => e.sessionIds }),
    reason: t.exposeString('reason', { description: 'Why, in words (e.g. "signed out").' }),
  }),
});

builder.subscriptionFields((t) => ({
  sessionsEnded: t.field({
    type: SessionsEndedRef,
    authScopes: { signedIn: true },
    description: "Live: the signed-in user's sessions that end, on any device (keeps a sessions screen current).",
    subscribe: async (_root, _args, ctx) => {
      const userId = requireViewer(ctx).user.id;
      const stream = followed<{ sessionIds: string[]; reason: string }>((push) => ctx.services.sessionEnds.follow(userId, push));
      await stream.ready;
      return stream;
    },
    resolve: (event) => event,
  }),
}));
