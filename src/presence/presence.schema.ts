// GraphQL shape of presence and typing. Rules live in PresenceService and TypingService.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import type { TypingChangedEvent } from '../realtime/pubsub.ts';
import type { PresenceInfo } from './presence.service.ts';

const PresenceStatusEnum = builder.enumType('PresenceStatus', {
  description: 'Whether a user is reachable. OFFLINE follows their connections; the others are chosen with setStatus.',
  values: {
    ONLINE: { description: 'Connected and available.' },
    AWAY: { description: 'Connected, but said they are away.' },
    BUSY: { description: 'Connected, but asked not to be disturbed.' },
    OFFLINE: { description: 'No open connection (announced after a short grace period), or not visible to you.' },
  } as const,
});

const PresenceRef = builder.objectRef<PresenceInfo>('Presence').implement({
  description: "A user's presence. Visible to the user themself and to people who share a conversation with them.",
  fields: (t) => ({
    user: t.prismaField({
      type: 'User',
      description: 'Whose presence this is.',
      resolve: (query, info, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: info.userId } }),
    }),
    status: t.field({ type: PresenceStatusEnum, description: 'Current status.', resolve: (info) => info.status }),
    statusText: t.exposeString('statusText', { nullable: true, description: 'What the user says they are doing (set with setStatus).' }),
    lastSeenAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "When the user's last connection closed; null if never seen (or not visible to you).",
      resolve: (info) => info.lastSeenAt,
    }),
  }),
});

const TypingEventRef = builder.objectRef<TypingChangedEvent>('TypingEvent').implement({
  description: 'Someone in a conversation started or stopped typing.',
  fields: (t) => ({
    conversationId: t.exposeID('conversationId', { description: 'The conversation.' }),
    user: t.prismaField({
      type: 'User',
      description: 'Who is typing.',
      resolve: (query, event, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: event.userId } }),
    }),
    isTyping: t.exposeBoolean('isTyping', {
      description: 'True while typing (repeated every few seconds while it goes on); false when stopped, sent or expired.',
    }),
  }),
});

builder.prismaObjectField('User', 'presence', (t) =>
  t.field({
    type: PresenceRef,
    description: 'Online status. People who do not share a conversation with this user see OFFLINE and nothing else.',
    resolve: (user, _args, ctx) => ctx.services.presence.forUser(ctx.viewer, user),
  }),
);

builder.queryFields((t) => ({
  presence: t.field({
    type: [PresenceRef],
    authScopes: { signedIn: true },
    description: 'Presence of these users, in the same order. FORBIDDEN if any of them does not share a conversation with you.',
    args: { userIds: t.arg.idList({ required: true, description: 'User ids (at most 100).' }) },
    resolve: (_root, { userIds }, ctx) => ctx.services.presence.list(requireViewer(ctx), userIds.map(String)),
  }),
}));

builder.mutationFields((t) => ({
  setStatus: t.field({
    type: PresenceRef,
    authScopes: { signedIn: true },
    description:
      'Sets the status others see while you are connected (ONLINE, AWAY or BUSY) and an optional text. Rate limited per user (PRESENCE_STATUS_RATE_LIMIT, by default 30 calls a minute): past it RATE_LIMITED with `retryAfter` seconds, and nothing changes.',
    args: {
      status: t.arg({ type: PresenceStatusEnum, required: true, description: 'ONLINE, AWAY or BUSY (OFFLINE is refused).' }),
      text: t.arg.string({ description: 'Status text, up to 100 characters; omit or null to clear.' }),
    },
    resolve: (_root, { status, text }, ctx) => ctx.services.presence.setStatus(requireViewer(ctx), status, text),
  }),
  setTyping: t.boolean({
    authScopes: { signedIn: true },
    description:
      'Tells the other members that you are (or stopped) typing. Call it freely while typing: repeats within 2 s are not re-sent, and without a repeat the state ends after 6 s. Starts shown are limited per user and conversation (TYPING_RATE_LIMIT, by default 10 in 10 s), so starting and stopping in turn cannot flood the members: past it the call still answers true, and the start shows at your next call after the window. Every start that was shown is followed by one stop.',
    args: {
      conversationId: t.arg.id({ required: true, description: 'A conversation you are a member of.' }),
      isTyping: t.arg.boolean({ required: true, description: 'True while typing, false when you stop.' }),
    },
    resolve: async (_root, { conversationId, isTyping }, ctx) => {
      await ctx.services.typing.setTyping(requireViewer(ctx), String(conversationId), isTyping);
      return true;
    },
  }),
}));

builder.subscriptionFields((t) => ({
  presenceChanged: t.field({
    type: PresenceRef,
    authScopes: { signedIn: true },
    description:
      'Live presence changes of these users (all must share a conversation with you), or without userIds of everyone who shares a conversation with you. While you are not reading, only the latest presence of each user waits for you; past 1,000 users waiting the subscription ends with SLOW_CONSUMER (subscribe again and re-read presence).',
    args: { userIds: t.arg.idList({ description: 'Users to watch (at most 100); omit for all your contacts.' }) },
    subscribe: async (_root, { userIds }, ctx) => {
      const viewer = requireViewer(ctx);
      const presence = ctx.services.presence;
      const only = userIds ? new Set(await presence.requireVisible(viewer, userIds.map(String))) : null;
      const changes = presence.changes(viewer, only);
      await changes.ready;
      return changes;
    },
    resolve: (event): PresenceInfo => event,
  }),
  typing: t.field({
    type: TypingEventRef,
    authScopes: { signedIn: true },
    description:
      'Live typing indicators of the other members of a conversation you are a member of (never your own). While you are not reading, only the latest state of each member waits for you.',
    args: { conversationId: t.arg.id({ required: true, description: 'The conversation.' }) },
    subscribe: async (_root, { conversationId }, ctx) => {
      const viewer = requireViewer(ctx);
      const id = String(conversationId);
      await ctx.services.typing.requireMember(viewer, id);
      const changes = ctx.services.typing.changes(viewer, id);
      await changes.ready;
      return changes;
    },
    resolve: (event) => event,
  }),
}));
