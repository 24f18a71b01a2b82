// GraphQL shape of group invitations: groupInvitations, acceptGroupInvitation, declineGroupInvitation and
// Conversation.pendingInvitations. Rules live in InvitationService; who is invited rather than added, group-adds.ts.
import type { GroupInvitation } from '../generated/prisma/client.ts';
import { builder } from '../graphql/builder.ts';
import { UserRef } from '../accounts/accounts.schema.ts';
import { actorOf, batchLoad, loadUsers } from './loaders.ts';

const GroupInvitationRef = builder.objectRef<GroupInvitation>('GroupInvitation').implement({
  description:
    "An add to a group that your privacy settings (groupAdds) did not allow: accept it to join. Until then you see the group's title and who invited you, not its members or messages.",
  fields: (t) => ({
    conversationId: t.exposeID('conversationId', { description: 'The group (use it with acceptGroupInvitation).' }),
    title: t.string({
      nullable: true,
      description: "The group's title.",
      resolve: async (i, _args, ctx) =>
        (await batchLoad(ctx, 'invitationTitles', i.conversationId, async (ids) => {
          const rows = await ctx.prisma.conversation.findMany({ where: { id: { in: ids } }, select: { id: true, title: true } });
          return new Map(rows.map((r) => [r.id, r.title]));
        })) ?? null,
    }),
    invitedBy: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who tried to add you (null once their account is deleted).',
      resolve: async (i, _args, ctx) => (i.invitedById ? ((await loadUsers(ctx, [i.invitedById]))[0] ?? null) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When.' }),
  }),
});

const GroupInvitationConnection = builder.connectionObject(
  { type: GroupInvitationRef, name: 'GroupInvitationConnection' },
  { name: 'GroupInvitationEdge' },
);

builder.queryFields((t) => ({
  groupInvitations: t.field({
    type: GroupInvitationConnection,
    authScopes: { signedIn: true },
    description: "The viewer's invitations to groups, newest first (those from people the viewer blocks are not listed).",
    args: {
      first: t.arg.int({ description: 'Page size (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor from a previous page.' }),
    },
    resolve: (_root, args, ctx) => ctx.services.messaging.invitations.list(actorOf(ctx), args),
  }),
}));

builder.mutationFields((t) => ({
  acceptGroupInvitation: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description: 'Joins the group you were invited to (a MEMBER_JOINED event, as an add). NOT_FOUND without an invitation.',
    args: { conversationId: t.arg.id({ required: true, description: 'The group.' }) },
    resolve: async (query, _root, args, ctx) => {
      const c = await ctx.services.messaging.invitations.accept(actorOf(ctx), String(args.conversationId));
      return ctx.prisma.conversation.findUniqueOrThrow({ ...query, where: { id: c.id } });
    },
  }),
  declineGroupInvitation: t.boolean({
    authScopes: { signedIn: true },
    description: 'Declines an invitation to a group; the group is not told. NOT_FOUND without an invitation.',
    args: { conversationId: t.arg.id({ required: true, description: 'The group.' }) },
    resolve: async (_root, args, ctx) => {
      await ctx.services.messaging.invitations.decline(actorOf(ctx), String(args.conversationId));
      return true;
    },
  }),
}));

builder.prismaObjectField('Conversation', 'pendingInvitations', (t) =>
  t.field({
    type: [UserRef],
    description:
      'People invited to this group who have not answered yet (an add their privacy settings refused became an invitation). Empty for DIRECT conversations.',
    resolve: async (c, _args, ctx) => {
      if (c.kind !== 'GROUP') return [];
      const ids = await batchLoad(ctx, 'pendingInvitations', c.id, (ids) => ctx.services.messaging.invitations.pendingFor(ids));
      return loadUsers(ctx, ids ?? []);
    },
  }),
);
