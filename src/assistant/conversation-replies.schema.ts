// GraphQL of @assistant in conversations: stopping an answer. The answers themselves are Messages (STREAMING, then
// MESSAGE_DELTA and MESSAGE_COMPLETED on conversationEvents); the switch is updateGroupSettings(assistantEnabled).
import { builder } from '../graphql/builder.ts';
import { actorOf } from '../messaging/loaders.ts';

builder.mutationFields((t) => ({
  stopAssistantReply: t.prismaField({
    type: 'Message',
    authScopes: { signedIn: true },
    description:
      "Stops the assistant's answer streaming in a conversation (any member may, on any server instance): its text so far is kept, status STOPPED, with MESSAGE_COMPLETED. Returns the message as it ends; an answer that already ended is returned as it is. NOT_FOUND for a message the viewer cannot read; BAD_USER_INPUT for a message that is not the assistant's.",
    args: { messageId: t.arg.id({ required: true, description: 'The streaming message (from MESSAGE_ADDED with status STREAMING).' }) },
    resolve: async (query, _root, { messageId }, ctx) => {
      const stopped = await ctx.services.replies.stop(actorOf(ctx), String(messageId));
      return ctx.prisma.message.findUniqueOrThrow({ ...query, where: { id: stopped.id } });
    },
  }),
}));
