// GraphQL shape of conversations, membership and read state. Rules live in the messaging services.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { UserRef } from '../accounts/accounts.schema.ts';
import type { Message } from '../generated/prisma/client.ts';
import { actorOf, batchLoad, withNodes } from './loaders.ts';
import { settingsOf, type ViewerSettings } from './conversation-settings.service.ts';
import { MessageConnection, loadMessagePage } from './messages.schema.ts';

const ConversationKindRef = builder.enumType('ConversationKind', {
  description: 'DIRECT: exactly two people, one conversation per pair. GROUP: a titled conversation with owners and members.',
  values: {
    DIRECT: { description: 'A one-to-one conversation.' },
    GROUP: { description: 'A group conversation with a title.' },
  } as const,
});

export const MemberRoleRef = builder.enumType('MemberRole', {
  description: 'What a member may do in a group.',
  values: {
    OWNER: { description: 'Adds and removes members, deletes any message.' },
    ADMIN: { description: 'Manages the group beside its owner (see the group permission table in the README).' },
    MEMBER: { description: 'Reads and sends messages.' },
  } as const,
});

const ViewerSettingsRef = builder.objectRef<ViewerSettings>('ConversationViewerSettings').implement({
  description: "The viewer's own settings of a conversation.",
  fields: (t) => ({
    muted: t.exposeBoolean('muted', { description: 'Muted: a new message does not bring it back from the archive.' }),
    archived: t.exposeBoolean('archived', {
      description: 'Archived: listed only by conversations(archived: true), until a new message arrives (unless muted).',
    }),
    pinned: t.exposeBoolean('pinned', { description: "Pinned to the top of the viewer's conversation list." }),
  }),
});

export const ConversationMemberRef = builder.prismaObject('ConversationMember', {
  description: 'A person in a conversation, with their read pointer (read receipts derive from it).',
  fields: (t) => ({
    user: t.relation('user', { description: 'The member.' }),
    role: t.expose('role', { type: MemberRoleRef, description: 'OWNER, ADMIN or MEMBER (DIRECT conversations have members only).' }),
    lastReadSequence: t.exposeInt('lastReadSequence', { description: 'Every message with a sequence up to this one has been read.' }),
    lastReadAt: t.expose('lastReadAt', { type: 'DateTime', nullable: true, description: 'When the read pointer last moved.' }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime', description: 'When they joined.' }),
  }),
});

export const ConversationRef = builder.prismaObject('Conversation', {
  description: 'A DIRECT or GROUP conversation. Only its members can see it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Conversation id.' }),
    kind: t.expose('kind', { type: ConversationKindRef, description: 'DIRECT or GROUP.' }),
    title: t.string({
      nullable: true,
      description: "The group's title; for DIRECT, the other person's name.",
      // One member row at most, however large the group: the other person of a DIRECT conversation.
      select: (_args, ctx) => ({
        members: { where: { userId: { not: ctx.viewer?.user.id ?? '' } }, take: 1, select: { user: { select: { name: true } } } },
      }),
      resolve: (c) => (c.kind === 'GROUP' ? c.title : (c.members[0]?.user.name ?? null)),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it started.' }),
    lastActivityAt: t.expose('lastMessageAt', {
      type: 'DateTime',
      description: 'Time of the last message (or of creation, before any): the order of `conversations`.',
      nullable: true,
    }),
    lastSequence: t.exposeInt('lastSequence', {
      description: 'Sequence of the latest event (use it as afterSequence to follow from now).',
    }),
    memberCount: t.exposeInt('memberCount', {
      description: 'How many members it has (a group at most 10,000).',
    }),
    members: t.relation('members', {
      description: 'Everyone in it, earliest first.',
      query: { orderBy: [{ joinedAt: 'asc' }, { userId: 'asc' }] },
    }),
    unreadCount: t.int({
      description:
        "Messages others sent after the viewer's read pointer (deleted ones do not count). A thread reply counts when it mentions the viewer or answers a thread the viewer started or replied in.",
      resolve: async (c, _args, ctx) => {
        const viewerId = requireViewer(ctx).user.id;
        const count = await batchLoad(ctx, 'unread', c.id, (ids) => ctx.services.messaging.conversations.unreadCounts(viewerId, ids));
        return count ?? 0;
      },
    }),
    lastMessage: t.prismaField({
      type: 'Message',
      nullable: true,
      description: 'The latest message of the main history (a tombstone if it was deleted; thread replies are not in it).',
      resolve: async (query, c, _args, ctx) => {
        const id = await batchLoad(ctx, 'lastMessage', c.id, (ids) => ctx.services.messaging.conversations.lastMessageIds(ids));
        if (!id) return null;
        const rows = await batchLoad(ctx, `lastMessageRows:${JSON.stringify(query)}`, id, async (ids) => {
          const found = (await ctx.prisma.message.findMany({ ...query, where: { id: { in: ids } } })) as Message[];
          return new Map(found.map((m) => [m.id, m]));
        });
        return rows ?? null;
      },
    }),
    viewerSettings: t.field({
      type: ViewerSettingsRef,
      description: "The viewer's own settings of this conversation (updateConversationSettings); nobody else sees them.",
      select: { lastMessageAt: true, createdAt: true },
      resolve: async (c, _args, ctx) => {
        const viewerId = requireViewer(ctx).user.id;
        const member = await batchLoad(ctx, 'settings', c.id, (ids) => ctx.services.messaging.settings.forConversations(viewerId, ids));
        return member ? settingsOf(member, c.lastMessageAt ?? c.createdAt) : { muted: false, archived: false, pinned: false };
      },
    }),
    pinnedMessages: t.prismaField({
      type: ['Message'],
      description:
        'Messages pinned in this conversation (pinMessage), the most recently pinned first; at most 50. Only those the viewer may read: none for someone who is not a member, and from their joining on in a group whose history shows from joining on.',
      resolve: async (query, c, _args, ctx) => {
        const member = await ctx.prisma.conversationMember.findUnique({
          where: { conversationId_userId: { conversationId: c.id, userId: actorOf(ctx).userId } },
          select: { visibleFrom: true },
        });
        if (!member) return [];
        return ctx.prisma.message.findMany({
          ...query,
          where: { conversationId: c.id, pinnedAt: { not: null }, sequence: { gte: member.visibleFrom } },
          orderBy: { pinnedAt: 'desc' },
        });
      },
    }),
    messages: t.field({
      type: MessageConnection,
      description: 'History, oldest first within a page: `first`/`after` reads forward, `last`/`before` backward.',
      args: {
        first: t.arg.int({ description: 'Page size reading forward (default 20, max 100).' }),
        after: t.arg.string({ description: 'Cursor to read forward from.' }),
        last: t.arg.int({ description: 'Page size reading backward, alone: the newest messages (default 20, max 100).' }),
        before: t.arg.string({ description: 'Cursor to read backward from.' }),
      },
      // The viewer's membership is checked by the page's statement: a public group found by a non-member shows none.
      resolve: (c, args, ctx, info) => loadMessagePage(ctx, info, c.id, args, actorOf(ctx)),
    }),
  }),
});

export const ConversationConnection = builder.connectionObject(
  {
    type: ConversationRef,
    name: 'ConversationConnection',
    description: "A page of the viewer's conversations.",
  },
  { description: 'A conversation and its cursor.' },
);

export const UserConnection = builder.connectionObject(
  { type: UserRef, name: 'UserConnection', description: 'A page of people.' },
  { description: 'A person and their cursor.' },
);

builder.queryFields((t) => ({
  conversations: t.field({
    type: ConversationConnection,
    authScopes: { signedIn: true },
    description:
      "The viewer's conversations: the ones they pinned first (most recently pinned first), then by most recent activity. " +
      'Archived ones are listed apart (`archived: true`); a new message brings an archived conversation back unless it is muted.',
    args: {
      first: t.arg.int({ description: 'Page size (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor from a previous page.' }),
      archived: t.arg.boolean({ description: 'true: only archived conversations; false or omitted: the others.' }),
    },
    resolve: async (_root, args, ctx, info) => {
      const page = await ctx.services.messaging.settings.list(actorOf(ctx), args);
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] });
      return withNodes(page, (ids) => ctx.prisma.conversation.findMany({ ...query, where: { id: { in: ids } } }));
    },
  }),
  conversation: t.prismaField({
    type: 'Conversation',
    nullable: true,
    authScopes: { signedIn: true },
    description: "One of the viewer's conversations; null when it does not exist or the viewer is not a member.",
    args: { id: t.arg.id({ required: true, description: 'Conversation id.' }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.prisma.conversation.findFirst({
        ...query,
        where: { id: String(id), tenantId: ctx.tenant.id, members: { some: { userId: requireViewer(ctx).user.id } } },
      }),
  }),
  conversationWith: t.prismaField({
    type: 'Conversation',
    nullable: true,
    authScopes: { signedIn: true },
    description:
      'The DIRECT conversation between the viewer and this person, if it exists and the viewer is in it (not after declining it).',
    args: { userId: t.arg.id({ required: true, description: 'The other person.' }) },
    resolve: async (query, _root, { userId }, ctx) => {
      const actor = actorOf(ctx);
      const found = await ctx.services.messaging.conversations.conversationWith(actor, String(userId));
      return found
        ? ctx.prisma.conversation.findFirst({ ...query, where: { id: found.id, members: { some: { userId: actor.userId } } } })
        : null;
    },
  }),
  users: t.field({
    type: UserConnection,
    authScopes: { signedIn: true },
    description:
      'People in this tenant to talk to (not the viewer), by name or username prefix, or exact email; by name. An email ' +
      'address finds only people who already share a conversation with the viewer (who may see it anyway), so it cannot ' +
      'be used to test which addresses have accounts; others are found by name or username.',
    args: {
      search: t.arg.string({
        description:
          'Name or username prefix (case-insensitive; "%", "_" and "\\" match themselves), or the whole email address of a contact.',
      }),
      first: t.arg.int({ description: 'Page size (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor from a previous page.' }),
    },
    resolve: (_root, args, ctx) => ctx.services.messaging.search.users(actorOf(ctx), args),
  }),
}));
