// GraphQL shape of blocks: blockUser, unblockUser, blockedUsers. Rules live in BlockService; what a block does is
// applied by each feature (see blocks.service.ts).
import { builder } from '../graphql/builder.ts';
import { requireViewer, type Context } from '../graphql/context.ts';
import { UserRef } from './accounts.schema.ts';

const actor = (ctx: Context) => ({ tenantId: ctx.tenant.id, userId: requireViewer(ctx).user.id });

builder.queryFields((t) => ({
  blockedUsers: t.field({
    type: [UserRef],
    authScopes: { signedIn: true },
    description: 'The people the viewer blocks, most recently blocked first.',
    resolve: (_root, _args, ctx) => ctx.services.blocks.blocked(actor(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  blockUser: t.boolean({
    authScopes: { signedIn: true },
    description:
      'Blocks a person of your tenant; nothing tells them. They stop being a contact (no contact details or presence either way), cannot start a message request with you or add you to a group, their @mentions of you mention nobody, and you stop seeing their typing. Your DIRECT conversation with them leaves your conversation list and counts no unread messages: their sends still succeed for them. In groups you share their messages still arrive, marked `senderBlockedByViewer`. Blocking someone already blocked changes nothing. Yourself: BAD_USER_INPUT (reason SELF_BLOCK); no such user in your tenant: NOT_FOUND.',
    args: { userId: t.arg.id({ required: true, description: 'The person to block.' }) },
    resolve: async (_root, { userId }, ctx) => {
      await ctx.services.blocks.block(actor(ctx), String(userId));
      return true;
    },
  }),
  unblockUser: t.boolean({
    authScopes: { signedIn: true },
    description:
      'Lifts a block. Unblocking someone not blocked changes nothing; yourself is BAD_USER_INPUT (SELF_BLOCK), an unknown user NOT_FOUND.',
    args: { userId: t.arg.id({ required: true, description: 'The person to unblock.' }) },
    resolve: async (_root, { userId }, ctx) => {
      await ctx.services.blocks.unblock(actor(ctx), String(userId));
      return true;
    },
  }),
}));
