// GraphQL shape of presence and typing. Rules live in PresenceService and TypingService.
import { filter, map, pipe } from 'graphql-yoga';
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import type { PresenceChangedEvent, TypingChangedEvent } from '../realtime/pubsub.ts';
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

const toInfo = (e: PresenceChangedEvent): PresenceInfo => ({
  userId: e.userId,
  status: e.status,
  statusText: e.statusText,
  lastSeenAt: e.lastSeenAt,
});

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
    description: 'Sets the status others see while you are connected (ONLINE, AWAY or BUSY) and an optional text.',
    args: {
      status: t.arg({ type: PresenceStatusEnum, required: true, description: 'ONLINE, AWAY or BUSY (OFFLINE is refused).' }),
      text: t.arg.string({ description: 'Status text, up to 100 characters; omit or null to clear.' }),
    },
    resolve: (_root, { status, text }, ctx) => ctx.services.presence.setStatus(requireViewer(ctx), status, text),
  }),
  setTyping: t.boolean({
    authScopes: { signedIn: true },
    description:
      'Tells the other members that you are (or stopped) typing. Call it freely while typing: repeats within 2 s are not re-sent, and without a repeat the state ends after 6 s.',
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
      'Live presence changes of these users (all must share a conversation with you), or without userIds of everyone who shares a conversation with you.',
    args: { userIds: t.arg.idList({ description: 'Users to watch (at most 100); omit for all your contacts.' }) },
    subscribe: async (_root, { userIds }, ctx) => {
      const viewer = requireViewer(ctx);
      const presence = ctx.services.presence;
      const only = userIds ? new Set(await presence.requireVisible(viewer, userIds.map(String))) : null;
      return pipe(
        ctx.services.pubsub.subscribe('presence:changed', viewer.user.tenantId),
        // Memberships change while a subscription lives: visibility is checked on every event.
        filter(async (event: PresenceChangedEvent) => (!only || only.has(event.userId)) && (await presence.canSee(viewer, event.userId))),
        map(toInfo),
      );
    },
    resolve: (info) => info,
  }),
  typing: t.field({
    type: TypingEventRef,
    authScopes: { signedIn: true },
    description: 'Live typing indicators of the other members of a conversation you are a member of (never your own).',
    args: { conversationId: t.arg.id({ required: true, description: 'The conversation.' }) },
    subscribe: async (_root, { conversationId }, ctx) => {
      const viewer = requireViewer(ctx);
      const id = String(conversationId);
      await ctx.services.typing.requireMember(viewer, id);
      return pipe(
        ctx.services.pubsub.subscribe('typing:changed', id),
        filter(
          async (event: TypingChangedEvent) =>
            event.userId !== viewer.user.id &&
            event.tenantId === viewer.user.tenantId &&
            (await ctx.services.typing.isMember(viewer, id)), // a member who left hears nothing more
        ),
      );
    },
    resolve: (event) => event,
  }),
}));
