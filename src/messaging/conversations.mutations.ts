// Mutations on conversations, membership, read state and the viewer's own settings. Each returns the conversation as it
// is after the change. Also the live feed of the viewer's settings changes, for their other devices.
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { followed } from '../realtime/fanout.ts';
import type { SettingsChangedEvent } from '../realtime/pubsub.ts';
import { actorOf } from './loaders.ts';

/** A conversation read again with the client's selection, as it is after a change. */
export const reload = <Q extends object>(ctx: { prisma: import('../generated/prisma/client.ts').PrismaClient }, query: Q, id: string) =>
  ctx.prisma.conversation.findUniqueOrThrow({ ...query, where: { id } });

builder.mutationFields((t) => ({
  startDirectConversation: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description: 'The DIRECT conversation with this person, created on first use (starting it again returns the same one).',
    args: { userId: t.arg.id({ required: true, description: 'The other person (same tenant).' }) },
    resolve: async (query, _root, { userId }, ctx) =>
      reload(ctx, query, (await ctx.services.messaging.conversations.startDirect(actorOf(ctx), String(userId))).id),
  }),
  createGroupConversation: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description: 'A new GROUP conversation; the viewer is its OWNER.',
    args: {
      title: t.arg.string({ required: true, description: 'Title, 1 to 100 characters.' }),
      memberIds: t.arg.idList({ required: true, description: 'The other members (same tenant).' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const c = await ctx.services.messaging.conversations.createGroup(actorOf(ctx), args.title, args.memberIds.map(String));
      return reload(ctx, query, c.id);
    },
  }),
  addMembers: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description: 'Adds people to a group (owners and admins). People already in it are ignored.',
    args: {
      conversationId: t.arg.id({ required: true, description: 'The group.' }),
      userIds: t.arg.idList({ required: true, description: 'People to add.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const c = await ctx.services.messaging.conversations.addMembers(actorOf(ctx), String(args.conversationId), args.userIds.map(String));
      return reload(ctx, query, c.id);
    },
  }),
  removeMember: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description:
      'Removes someone from a group: owners remove admins and members, admins remove members (removing yourself is leaving). They stop receiving its events at once.',
    args: {
      conversationId: t.arg.id({ required: true, description: 'The group.' }),
      userId: t.arg.id({ required: true, description: 'The member to remove.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const c = await ctx.services.messaging.conversations.removeMember(actorOf(ctx), String(args.conversationId), String(args.userId));
      return reload(ctx, query, c.id);
    },
  }),
  leaveConversation: t.boolean({
    authScopes: { signedIn: true },
    description: 'Leaves a group. When the last owner leaves, the longest-standing member becomes owner.',
    args: { conversationId: t.arg.id({ required: true, description: 'The group.' }) },
    resolve: async (_root, args, ctx) => {
      await ctx.services.messaging.conversations.leave(actorOf(ctx), String(args.conversationId));
      return true;
    },
  }),
  renameConversation: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description: "Changes a group's title: by its editPolicy, owners and admins (the default) or every member.",
    args: {
      conversationId: t.arg.id({ required: true, description: 'The group.' }),
      title: t.arg.string({ required: true, description: 'New title, 1 to 100 characters.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const c = await ctx.services.messaging.conversations.rename(actorOf(ctx), String(args.conversationId), args.title);
      return reload(ctx, query, c.id);
    },
  }),
  updateConversationSettings: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description:
      "Changes the viewer's own settings of a conversation they are in (see Conversation.viewerSettings); a setting left out stays as it is. " +
      `At most 20 conversations can be pinned (BAD_USER_INPUT, reason PIN_LIMIT).`,
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation.' }),
      muted: t.arg.boolean({ description: 'Muted: a new message does not bring it back from the archive.' }),
      archived: t.arg.boolean({
        description: 'Archived: listed only by conversations(archived: true), until a new message arrives (unless muted).',
      }),
      pinned: t.arg.boolean({ description: "Pinned to the top of the viewer's conversation list." }),
    },
    resolve: async (query, _root, { conversationId, ...change }, ctx) => {
      const c = await ctx.services.messaging.settings.update(actorOf(ctx), String(conversationId), change);
      return reload(ctx, query, c.id);
    },
  }),
  markConversationRead: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description: "Moves the viewer's read pointer forward to a message (default: the latest). Never moves it back.",
    args: {
      conversationId: t.arg.id({ required: true, description: 'The conversation.' }),
      upToMessageId: t.arg.id({ description: 'Read up to and including this message.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const c = await ctx.services.messaging.reads.markConversationRead(
        actorOf(ctx),
        String(args.conversationId),
        args.upToMessageId == null ? null : String(args.upToMessageId),
      );
      return reload(ctx, query, c.id);
    },
  }),
  markMessagesRead: t.prismaField({
    type: ['Conversation'],
    authScopes: { signedIn: true },
    description: 'Marks messages read: in each of their conversations, up to the latest of them. Returns those conversations.',
    args: { messageIds: t.arg.idList({ required: true, description: '1 to 100 message ids.' }) },
    resolve: async (query, _root, args, ctx) => {
      const cs = await ctx.services.messaging.reads.markMessagesRead(actorOf(ctx), args.messageIds.map(String));
      const rows = await ctx.prisma.conversation.findMany({ ...query, where: { id: { in: cs.map((c) => c.id) } } });
      return cs.map((c) => rows.find((r) => r.id === c.id)!);
    },
  }),
}));

builder.subscriptionFields((t) => ({
  conversationSettingsChanged: t.prismaField({
    type: 'Conversation',
    nullable: true,
    authScopes: { signedIn: true },
    description:
      "Live: the viewer's conversations whose settings (viewerSettings: muted, archived, pinned) the viewer changes, on any device, as they are after the change; null when the viewer has left it since.",
    subscribe: async (_root, _args, ctx) => {
      const userId = requireViewer(ctx).user.id;
      const stream = followed<SettingsChangedEvent>((push) => ctx.services.messaging.settings.follow(userId, push));
      await stream.ready;
      return stream;
    },
    resolve: (query, event: SettingsChangedEvent, _args, ctx) =>
      ctx.prisma.conversation.findFirst({
        ...query,
        where: { id: event.conversationId, tenantId: event.tenantId, members: { some: { userId: event.userId } } },
      }),
  }),
}));
