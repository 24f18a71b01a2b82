// GraphQL shape of message requests and of blocks where messages show them: messageRequests, acceptMessageRequest,
// declineMessageRequest, Conversation.messageRequest and Message.senderBlockedByViewer. Rules live in RequestService
// (with RequestService.admitSend, before every send).
import { queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from '../graphql/builder.ts';
import { requireViewer } from '../graphql/context.ts';
import { ConversationConnection } from './conversations.schema.ts';
import { actorOf, batchLoad, withNodes } from './loaders.ts';
import { REQUEST_MESSAGE_LIMIT } from './requests.service.ts';

builder.queryFields((t) => ({
  messageRequests: t.field({
    type: ConversationConnection,
    authScopes: { signedIn: true },
    description:
      'DIRECT conversations others started with the viewer that the viewer has not accepted, newest first. They are not in `conversations` and count no unread messages until accepted (acceptMessageRequest). Requests from people the viewer blocks are not listed.',
    args: {
      first: t.arg.int({ description: 'Page size (default 20, max 100).' }),
      after: t.arg.string({ description: 'Cursor from a previous page.' }),
    },
    resolve: async (_root, args, ctx, info) => {
      const page = await ctx.services.messaging.requests.list(actorOf(ctx), args);
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'] });
      return withNodes(page, (ids) => ctx.prisma.conversation.findMany({ ...query, where: { id: { in: ids } } }));
    },
  }),
}));

builder.mutationFields((t) => ({
  acceptMessageRequest: t.prismaField({
    type: 'Conversation',
    authScopes: { signedIn: true },
    description:
      'Accepts a message request: the conversation joins `conversations` with its unread messages, and the two of you become accepted contacts (contact details and presence). Replying to a request, or starting the conversation yourself, accepts it too. NOT_FOUND when it is no pending request of yours.',
    args: { conversationId: t.arg.id({ required: true, description: 'The request (a DIRECT conversation).' }) },
    resolve: async (query, _root, args, ctx) => {
      const c = await ctx.services.messaging.requests.accept(actorOf(ctx), String(args.conversationId));
      return ctx.prisma.conversation.findUniqueOrThrow({ ...query, where: { id: c.id } });
    },
  }),
  declineMessageRequest: t.boolean({
    authScopes: { signedIn: true },
    description:
      'Declines a message request: you leave the conversation (its sender sees you leave, as when a request is declined with or without a block) and it is not offered again; with `block: true` the sender is blocked too. NOT_FOUND when it is no pending request of yours.',
    args: {
      conversationId: t.arg.id({ required: true, description: 'The request (a DIRECT conversation).' }),
      block: t.arg.boolean({ description: 'Also block the sender (default false).' }),
    },
    resolve: async (_root, args, ctx) => {
      await ctx.services.messaging.requests.decline(actorOf(ctx), String(args.conversationId), args.block ?? false);
      return true;
    },
  }),
}));

builder.prismaObjectField('Conversation', 'messageRequest', (t) =>
  t.boolean({
    description: `True while this is a message request for the viewer (see messageRequests). Its sender may send at most ${REQUEST_MESSAGE_LIMIT} messages until it is accepted (then BAD_USER_INPUT, reason REQUEST_LIMIT).`,
    select: (_args, ctx) => ({ members: { where: { userId: requireViewer(ctx).user.id }, select: { requestedAt: true } } }),
    resolve: (c) => c.members.some((m) => m.requestedAt !== null),
  }),
);

builder.prismaObjectField('Message', 'senderBlockedByViewer', (t) =>
  t.boolean({
    description:
      "Whether the viewer blocks this message's sender: clients collapse such messages (they still arrive in groups you share). One query per page of messages.",
    resolve: async (m, _args, ctx) => {
      if (!m.senderId || !ctx.viewer) return false;
      const viewerId = ctx.viewer.user.id;
      const blocked = await batchLoad(ctx, 'senderBlocked', m.senderId, async (ids) => {
        const found = await ctx.services.blocks.blockedAmong(viewerId, ids);
        return new Map(ids.map((id) => [id, found.has(id)]));
      });
      return blocked ?? false;
    },
  }),
);
