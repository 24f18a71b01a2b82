// GraphQL shape of managing groups: roles (setMemberRole), settings (updateGroupSettings and the Conversation fields
// they set, viewerCan), invite links, public groups and joining. Rules live in GroupService, InviteService and
// group-permissions.ts.
import { queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { actorOf, batchLoad, withNodes } from './loaders.ts';
import { ConversationConnection, MemberRoleRef } from './conversations.schema.ts';
import { permitted, type GroupAction } from './group-permissions.ts';
import { reload } from './conversations.mutations.ts';

const GroupPolicyRef = builder.enumType('GroupPolicy', {
  description: 'Who may do something in a group.',
  values: {
    EVERYONE: { description: 'Every member.' },
    ADMINS: { description: 'Owners and admins only.' },
  } as const,
});

const VisibilityRef = builder.enumType('ConversationVisibility', {
  description: 'Whether people of the tenant who are not members can find and join a group.',
  values: {
    PRIVATE: { description: 'Members add people, or share an invite link.' },
    PUBLIC: { description: 'Listed by publicConversations; anyone of the tenant may joinConversation.' },
  } as const,
});

const HistoryVisibilityRef = builder.enumType('HistoryVisibility', {
  description: 'What a new member of a group may read.',
  values: {
    ALL: { description: 'The whole history.' },
    FROM_JOIN: { description: 'Only what was sent after they joined.' },
  } as const,
});

const ACTIONS: { field: string; action: GroupAction; description: string }[] = [
  { field: 'post', action: 'post', description: 'Send messages (postPolicy).' },
  { field: 'rename', action: 'rename', description: 'Change the title and description (editPolicy).' },
  { field: 'configure', action: 'configure', description: 'Change who may post and rename, the visibility and the history visibility.' },
  { field: 'addMembers', action: 'addMembers', description: 'Add people.' },
  { field: 'removeMembers', action: 'removeMembers', description: 'Remove members of a lower role.' },
  { field: 'deleteOthersMessages', action: 'deleteOthersMessages', description: "Delete other members' messages." },
  { field: 'setRoles', action: 'setRoles', description: "Change members' roles." },
  { field: 'manageInvites', action: 'manageInvites', description: 'Create, list and revoke invite links.' },
];

type Can = Record<string, boolean>;

const ViewerCanRef = builder.objectRef<Can>('ConversationPermissions').implement({
  description: 'What the viewer may do in a conversation, by their role and its settings (the README has the whole table).',
  fields: (t) =>
    Object.fromEntries(ACTIONS.map(({ field, description }) => [field, t.boolean({ description, resolve: (can) => can[field] })])),
});

export const InviteLinkRef = builder.prismaObject('InviteLink', {
  description: 'A link whose code lets anyone of the tenant join a group (joinByInvite), until it expires, is used up or is revoked.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Link id (revokeInviteLink).' }),
    code: t.exposeString('code', { description: 'The secret part: whoever has it may join.' }),
    url: t.string({
      description: "The link to share: the web client's address with the code.",
      resolve: (link, _args, ctx) => `${ctx.services.publicUrl()}/?invite=${encodeURIComponent(link.code)}`,
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'When it stops working; null: never.' }),
    maxUses: t.exposeInt('maxUses', { nullable: true, description: 'How many people may join with it; null: no limit.' }),
    uses: t.exposeInt('uses', { description: 'How many have joined with it.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When it was revoked; null: it was not.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was made.' }),
  }),
});

builder.prismaObjectFields('Conversation', (t) => ({
  description: t.exposeString('description', { nullable: true, description: "A group's description (updateGroupSettings)." }),
  postPolicy: t.expose('postPolicy', {
    type: GroupPolicyRef,
    description: 'Who may post: everyone, or owners and admins (an announcement group).',
  }),
  editPolicy: t.expose('editPolicy', { type: GroupPolicyRef, description: 'Who may change the title and description.' }),
  visibility: t.expose('visibility', { type: VisibilityRef, description: 'PRIVATE, or PUBLIC: found and joined by anyone of the tenant.' }),
  historyVisibility: t.expose('historyVisibility', { type: HistoryVisibilityRef, description: 'What a new member may read.' }),
  assistantEnabled: t.exposeBoolean('assistantEnabled', {
    description: "Whether the tenant's assistant answers @assistant here (updateGroupSettings; always true in direct conversations).",
  }),
  viewerCan: t.field({
    type: ViewerCanRef,
    description: 'What the viewer may do here; nothing for someone who is not a member (a public group they found).',
    select: { kind: true, postPolicy: true, editPolicy: true },
    resolve: async (c, _args, ctx) => {
      const viewerId = requireViewer(ctx).user.id;
      const member = await batchLoad(ctx, 'settings', c.id, (ids) => ctx.services.messaging.settings.forConversations(viewerId, ids));
      return Object.fromEntries(ACTIONS.map(({ field, action }) => [field, !!member && permitted(member.role, action, c)]));
    },
  }),
  inviteLinks: t.field({
    type: [InviteLinkRef],
    description: 'Its invite links, newest first (at most 100), for those who may manage them; empty for anyone else.',
    resolve: (c, _args, ctx) => ctx.services.messaging.invites.list(actorOf(ctx), c.id),
  }),
}));

builder.queryField('publicConversations', (t) =>
  t.field({
    type: ConversationConnection,
    authScopes: { signedIn: true },
    description: 'Public groups of the tenant, by title: anyone may join them (joinConversation).',
    args: {
      search: t.arg.string({ description: 'Only groups whose title contains this (any case).' }),
      first: t.arg.int({ description: 'Page size (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor from a previous page.' }),
    },
    resolve: async (_root, args, ctx, info) => {
      const page = await ctx.services.messaging.groups.publicGroups(actorOf(ctx), args);
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] });
      return withNodes(page, (ids) => ctx.prisma.conversation.findMany({ ...query, where: { id: { in: ids } } }));
    },
  }),
);

builder.mutationFields((t) => ({
  setMemberRole: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description: "Sets a group member's role (owners only; OWNER makes a co-owner). Members see CONVERSATION_UPDATED.",
    args: {
      conversationId: t.arg.id({ required: true, description: 'The group.' }),
      userId: t.arg.id({ required: true, description: 'The member.' }),
      role: t.arg({ type: MemberRoleRef, required: true, description: 'OWNER, ADMIN or MEMBER.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const c = await ctx.services.messaging.groups.setMemberRole(
        actorOf(ctx),
        String(args.conversationId),
        String(args.userId),
        args.role,
      );
      return reload(ctx, query, c.id);
    },
  }),
  updateGroupSettings: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description:
      'Changes a group: title and description (by editPolicy), who may post and rename, visibility, history visibility and whether @assistant answers (owners and admins). A setting left out stays.',
    args: {
      conversationId: t.arg.id({ required: true, description: 'The group.' }),
      title: t.arg.string({ description: 'New title, 1 to 100 characters.' }),
      description: t.arg.string({ description: 'Up to 500 characters; empty or whitespace removes it.' }),
      postPolicy: t.arg({ type: GroupPolicyRef, description: 'Who may post.' }),
      editPolicy: t.arg({ type: GroupPolicyRef, description: 'Who may change the title and description.' }),
      visibility: t.arg({ type: VisibilityRef, description: 'PRIVATE or PUBLIC.' }),
      historyVisibility: t.arg({ type: HistoryVisibilityRef, description: 'What a new member may read.' }),
      assistantEnabled: t.arg.boolean({
        description: 'false: @assistant no longer answers in the group (answers streaming now finish); true: it does again.',
      }),
    },
    resolve: async (query, _root, { conversationId, ...change }, ctx) => {
      const c = await ctx.services.messaging.groups.updateSettings(actorOf(ctx), String(conversationId), change);
      return reload(ctx, query, c.id);
    },
  }),
  createInviteLink: t.prismaField({
    type: 'InviteLink',
    authScopes: { signedIn: true },
    description: 'A new invite link to a group (owners and admins); at most 50 live links per group (reason LINK_LIMIT).',
    args: {
      conversationId: t.arg.id({ required: true, description: 'The group.' }),
      expiresAt: t.arg({ type: 'DateTime', description: 'When it stops working (within a year); default: never.' }),
      maxUses: t.arg.int({ description: 'How many people may join with it (1 to 100,000); default: no limit.' }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.services.messaging.invites.create(actorOf(ctx), String(args.conversationId), {
        expiresAt: args.expiresAt,
        maxUses: args.maxUses,
      }),
  }),
  revokeInviteLink: t.prismaField({
    type: 'InviteLink',
    authScopes: { signedIn: true },
    description: 'Revokes an invite link (owners and admins of its group); revoking again changes nothing.',
    args: { id: t.arg.id({ required: true, description: 'The link.' }) },
    resolve: (query, _root, args, ctx) => ctx.services.messaging.invites.revoke(actorOf(ctx), String(args.id)),
  }),
  joinByInvite: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description:
      'Joins the group of an invite link of your tenant. Unknown codes are NOT_FOUND; revoked, expired and used-up links are BAD_USER_INPUT with reason INVITE_REVOKED, INVITE_EXPIRED or INVITE_USED_UP. A member gets the group back and uses nothing.',
    args: { code: t.arg.string({ required: true, description: 'The code of the link.' }) },
    resolve: async (query, _root, args, ctx) => reload(ctx, query, (await ctx.services.messaging.invites.join(actorOf(ctx), args.code)).id),
  }),
  joinConversation: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description: 'Joins a PUBLIC group of your tenant (NOT_FOUND for any other conversation). A member gets the group back unchanged.',
    args: { id: t.arg.id({ required: true, description: 'The group.' }) },
    resolve: async (query, _root, args, ctx) =>
      reload(ctx, query, (await ctx.services.messaging.groups.join(actorOf(ctx), String(args.id))).id),
  }),
}));
