// GraphQL root fields of AI chat: sessions, models, usage, the `chat` and `chatStream` subscriptions and stopChat.
// Rules live in AssistantService; types in assistant.types.ts and chat-events.ts.
import { builder } from '../graphql/builder.ts';
import { requireViewer, type Context } from '../graphql/context.ts';
import { notFound } from '../errors.ts';
import type { ChatActor } from './assistant.service.ts';
import { MAX_SYSTEM_PROMPT } from './context.ts';
import { ChatMessageRef, ChatModelRef, ChatUsageRef } from './assistant.types.ts';
import { ChatEvent, ChatInput, withStarted } from './chat-events.ts';
// Registered with the chat schema: message parts (ChatMessage.parts) and tools (chatTools, MCP servers).
import './parts.schema.ts';
import './mcp.schema.ts';

const actor = (ctx: Context): ChatActor => ({ tenantId: ctx.tenant.id, viewer: ctx.viewer, ip: ctx.client.ip });

builder.queryFields((t) => ({
  chatSessions: t.prismaConnection({
    type: 'ChatSession',
    cursor: 'id',
    authScopes: { signedIn: true },
    description: 'Your AI chat sessions, most recently active first.',
    resolve: (query, _root, _args, ctx) => {
      const { user } = requireViewer(ctx);
      return ctx.prisma.chatSession.findMany({
        ...query,
        where: { userId: user.id, tenantId: user.tenantId },
        orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      });
    },
  }),
  chatSession: t.prismaField({
    type: 'ChatSession',
    authScopes: { signedIn: true },
    description: 'One of your chat sessions (NOT_FOUND for anyone else).',
    args: { id: t.arg.id({ required: true, description: 'Session id.' }) },
    resolve: async (query, _root, { id }, ctx) => {
      const { user } = requireViewer(ctx);
      const found = await ctx.prisma.chatSession.findFirst({
        ...query,
        where: { id: String(id), userId: user.id, tenantId: user.tenantId },
      });
      if (!found) throw notFound('Chat session');
      return found;
    },
  }),
  chatModels: t.field({
    type: [ChatModelRef],
    description: 'The models configured on this server (the offline parley-echo is always there).',
    resolve: (_root, _args, ctx) => {
      const models = ctx.services.assistant.models;
      return models.list().map((m) => ({ ...m, isDefault: m.id === models.defaultId }));
    },
  }),
  chatUsage: t.field({
    type: ChatUsageRef,
    authScopes: { signedIn: true },
    description: 'Your AI token use today, your organisation’s this month, and the remaining budgets.',
    resolve: (_root, _args, ctx) => {
      const { user } = requireViewer(ctx);
      return ctx.services.assistant.budgets.usage({ tenantId: user.tenantId, userId: user.id });
    },
  }),
}));

builder.mutationFields((t) => ({
  createChatSession: t.prismaField({
    type: 'ChatSession',
    authScopes: { signedIn: true },
    description: 'Starts an empty chat session (`chat` without sessionId also creates one).',
    args: {
      title: t.arg.string({ description: 'Title; default "New chat".' }),
      model: t.arg.string({ description: 'Model id from chatModels; default: the server default.' }),
      systemPrompt: t.arg.string({
        description: `Instructions to the model for this session, up to ${MAX_SYSTEM_PROMPT} characters; default: the server's.`,
      }),
    },
    resolve: async (query, _root, args, ctx) => {
      const s = await ctx.services.assistant.createSession(requireViewer(ctx), args);
      return ctx.prisma.chatSession.findUniqueOrThrow({ ...query, where: { id: s.id } });
    },
  }),
  updateChatSession: t.prismaField({
    type: 'ChatSession',
    authScopes: { signedIn: true },
    description: "Renames a session or changes its model or system prompt; omitted arguments don't change.",
    args: {
      id: t.arg.id({ required: true, description: 'Session id.' }),
      title: t.arg.string({ description: 'New title.' }),
      model: t.arg.string({ description: 'New model id.' }),
      systemPrompt: t.arg.string({
        description: `New instructions to the model (at most ${MAX_SYSTEM_PROMPT} characters); "" goes back to the server's.`,
      }),
    },
    resolve: async (query, _root, { id, ...rest }, ctx) => {
      const s = await ctx.services.assistant.updateSession(requireViewer(ctx), String(id), rest);
      return ctx.prisma.chatSession.findUniqueOrThrow({ ...query, where: { id: s.id } });
    },
  }),
  deleteChatSession: t.id({
    authScopes: { signedIn: true },
    description: 'Deletes a session and its messages (stopping an answer in progress); returns its id.',
    args: { id: t.arg.id({ required: true, description: 'Session id.' }) },
    resolve: async (_root, { id }, ctx) => {
      await ctx.services.assistant.deleteSession(requireViewer(ctx), String(id));
      return id;
    },
  }),
  stopChat: t.field({
    type: ChatMessageRef,
    description:
      'Stops an answer that is streaming (on any server instance): the model request is aborted and the partial answer saved as STOPPED. Returns the answer as saved; an answer that already ended is returned unchanged.',
    args: { messageId: t.arg.id({ required: true, description: 'The assistantMessageId from ChatStarted.' }) },
    resolve: (_root, { messageId }, ctx) => ctx.services.assistant.stopChat(actor(ctx), String(messageId)),
  }),
}));

builder.subscriptionFields((t) => ({
  chat: t.field({
    type: ChatEvent,
    description:
      'Sends a message and streams the answer: ChatStarted, ChatToken..., then ChatCompleted, ChatStopped or ChatError. Signed in, both messages are saved; guests get the same stream with nothing saved. Unsubscribing does not stop the answer (use stopChat).',
    args: { input: t.arg({ type: ChatInput, required: true, description: 'The message.' }) },
    subscribe: async (_root, { input }, ctx) => {
      const started = await ctx.services.assistant.startChat(actor(ctx), {
        ...input,
        sessionId: input.sessionId == null ? null : String(input.sessionId),
        presetId: input.presetId == null ? null : String(input.presetId),
        parentMessageId: input.parentMessageId == null ? null : String(input.parentMessageId),
        regenerate: input.regenerate == null ? null : String(input.regenerate),
        attachmentIds: input.attachmentIds?.map(String) ?? null,
      });
      return withStarted(started, ctx.services.assistant.followStarted(started));
    },
    resolve: (event) => event,
  }),
  chatStream: t.field({
    type: ChatEvent,
    description:
      'Follows an answer from another connection or device: the tokens after `afterIndex` (all when omitted), then live ones, then the final event. Works across server instances.',
    args: {
      messageId: t.arg.id({ required: true, description: 'The assistantMessageId from ChatStarted.' }),
      afterIndex: t.arg.int({ description: 'Index of the last token you have; omit to get every token.' }),
    },
    subscribe: (_root, { messageId, afterIndex }, ctx) => ctx.services.assistant.follow(actor(ctx), String(messageId), afterIndex),
    resolve: (event) => event,
  }),
}));
