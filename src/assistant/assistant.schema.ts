// GraphQL shape of AI chat: sessions and messages, models, usage, the `chat` and `chatStream` subscriptions and
// stopChat. Rules live in AssistantService.
import { builder } from '../graphql/builder.ts';
import { requireViewer, type Context } from '../graphql/context.ts';
import { notFound } from '../errors.ts';
import type { ChatActor, ChatStarted, ChatUsage } from './assistant.service.ts';
import { CHAT_ERROR_CODES, type ChatRunEvent, type TokenUsage } from './events.ts';
import type { RegisteredModel } from './models.ts';

const actor = (ctx: Context): ChatActor => ({ tenantId: ctx.tenant.id, viewer: ctx.viewer, ip: ctx.client.ip });

const ChatRole = builder.enumType('ChatRole', {
  description: 'Who wrote a chat message.',
  values: {
    USER: { description: 'The person chatting.' },
    ASSISTANT: { description: 'The model.' },
    SYSTEM: { description: 'Instructions for the model (not shown as a turn).' },
  } as const,
});

const ChatMessageStatus = builder.enumType('ChatMessageStatus', {
  description: 'Where an assistant message is in its life.',
  values: {
    STREAMING: { description: 'The answer is being generated.' },
    COMPLETE: { description: 'The answer finished normally.' },
    STOPPED: { description: 'Stopped by stopChat; `content` is the partial answer.' },
    FAILED: { description: 'The provider failed; `content` is what was generated before, `errorCode` says why.' },
  } as const,
});

const ChatErrorCode = builder.enumType('ChatErrorCode', {
  description: 'Why an answer failed.',
  values: {
    PROVIDER_AUTH: { description: 'The provider rejected the API key (401/403) or none is configured.' },
    PROVIDER_RATE_LIMITED: { description: 'The provider is rate limiting (429) even after a retry.' },
    PROVIDER_TIMEOUT: { description: 'No answer, or no next token, within the configured time.' },
    PROVIDER_UNAVAILABLE: { description: 'The provider could not be reached or had a server error.' },
    CONTENT_FILTERED: { description: "The provider's content filter ended the answer." },
    PROVIDER_ERROR: { description: 'Any other provider error.' },
    INTERRUPTED: { description: 'The server generating the answer stopped before it finished.' },
  } satisfies Record<(typeof CHAT_ERROR_CODES)[number], { description: string }>,
});

const ChatMessageRef = builder.prismaObject('ChatMessage', {
  description: 'One turn of an AI chat. Guest messages have the same shape but are never saved.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Message id (for an assistant message: use it with chatStream and stopChat).' }),
    sessionId: t.id({
      nullable: true,
      description: 'The chat session; null for guest messages.',
      resolve: (m) => m.sessionId || null,
    }),
    saved: t.boolean({ description: 'False for guest messages, which are never stored.', resolve: (m) => m.sessionId !== '' }),
    role: t.field({ type: ChatRole, description: 'Who wrote it.', resolve: (m) => m.role }),
    content: t.exposeString('content', { description: 'The text (for a stopped or failed answer, what was generated).' }),
    status: t.field({ type: ChatMessageStatus, description: 'Streaming, complete, stopped or failed.', resolve: (m) => m.status }),
    model: t.exposeString('model', { nullable: true, description: 'The model id that answered (or was asked).' }),
    inputTokens: t.exposeInt('inputTokens', { description: 'Prompt tokens of this answer (provider-reported; estimated for parley-echo).' }),
    outputTokens: t.exposeInt('outputTokens', { description: 'Generated tokens of this answer.' }),
    errorCode: t.field({
      type: ChatErrorCode,
      nullable: true,
      description: 'Why the answer failed, when status is FAILED.',
      resolve: (m) => (m.errorCode as (typeof CHAT_ERROR_CODES)[number] | null) ?? null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was written.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last change (the end of streaming for answers).' }),
  }),
});

const ChatSessionRef = builder.prismaObject('ChatSession', {
  description: 'A saved AI chat. Only its owner can see it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Session id.' }),
    title: t.exposeString('title', { description: 'Short title (from the first message, or written by the model).' }),
    model: t.exposeString('model', { description: 'The model new messages use unless `chat` names another.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the session started.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last activity.' }),
    messages: t.relatedConnection('messages', {
      cursor: 'id',
      description: 'The messages, oldest first (use `last` for the most recent ones).',
      query: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
    }),
  }),
});

const ChatModelRef = builder.objectRef<RegisteredModel & { isDefault: boolean }>('ChatModel').implement({
  description: 'A model this server can chat with.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Pass it as `model` (e.g. "anthropic:claude-sonnet-4-5", "parley-echo").' }),
    label: t.exposeString('label', { description: 'Human-readable name.' }),
    provider: t.exposeString('provider', { description: 'Who serves it: anthropic, openai, openai-compatible or parley.' }),
    offline: t.exposeBoolean('offline', { description: 'True for the built-in offline model, which only echoes (no provider configured).' }),
    default: t.boolean({ description: 'True for the model used when none is named.', resolve: (m) => m.isDefault }),
  }),
});

const ChatUsageRef = builder.objectRef<ChatUsage>('ChatUsage').implement({
  description: 'AI tokens spent and what is left of the budgets (days and months in UTC).',
  fields: (t) => ({
    usedToday: t.exposeInt('usedToday', { description: 'Tokens (input + output) you used today.' }),
    dailyLimit: t.exposeInt('dailyLimit', { nullable: true, description: 'Your daily budget; null when unlimited.' }),
    remainingToday: t.int({
      nullable: true,
      description: 'Tokens left today; null when unlimited.',
      resolve: (u) => (u.dailyLimit === null ? null : Math.max(0, u.dailyLimit - u.usedToday)),
    }),
    tenantUsedThisMonth: t.exposeInt('usedThisMonthByTenant', { description: 'Tokens your whole organisation (tenant) used this month.' }),
    monthlyLimit: t.exposeInt('monthlyLimit', { nullable: true, description: "The organisation's monthly budget; null when unlimited." }),
    remainingThisMonth: t.int({
      nullable: true,
      description: "Tokens left in the organisation's monthly budget; null when unlimited.",
      resolve: (u) => (u.monthlyLimit === null ? null : Math.max(0, u.monthlyLimit - u.usedThisMonthByTenant)),
    }),
  }),
});

const ChatTokenUsageRef = builder.objectRef<TokenUsage>('ChatTokenUsage').implement({
  description: 'Tokens one answer used.',
  fields: (t) => ({
    inputTokens: t.exposeInt('inputTokens', { description: 'Prompt tokens (the context sent to the model).' }),
    outputTokens: t.exposeInt('outputTokens', { description: 'Generated tokens.' }),
    totalTokens: t.int({ description: 'Input plus output.', resolve: (u) => u.inputTokens + u.outputTokens }),
  }),
});

type StartedEvent = ChatStarted & { kind: 'started' };
type GqlChatEvent = StartedEvent | ChatRunEvent;
type Of<K extends GqlChatEvent['kind']> = Extract<GqlChatEvent, { kind: K }>;

const ChatStartedRef = builder.objectRef<Of<'started'>>('ChatStarted').implement({
  description: 'First event of `chat`: the message is accepted and the answer is starting.',
  fields: (t) => ({
    session: t.field({
      type: ChatSessionRef,
      nullable: true,
      description: 'The session (created when `sessionId` was not given); null for guests.',
      resolve: (e) => e.session,
    }),
    userMessage: t.field({ type: ChatMessageRef, description: 'Your message as saved.', resolve: (e) => e.userMessage }),
    assistantMessageId: t.id({
      description: 'Id of the answer: for stopChat, and for chatStream to resume after a disconnect.',
      resolve: (e) => e.assistantMessageId,
    }),
  }),
});

const ChatTokenRef = builder.objectRef<Of<'token'>>('ChatToken').implement({
  description: 'A piece of the answer. Concatenate `delta`s in `index` order to get the text.',
  fields: (t) => ({
    index: t.int({ description: '0, 1, 2, ... for this answer (pass the last one you saw to chatStream).', resolve: (e) => e.seq }),
    delta: t.exposeString('delta', { description: 'Text to append.' }),
  }),
});

const ChatCompletedRef = builder.objectRef<Of<'completed'>>('ChatCompleted').implement({
  description: 'Last event: the answer finished and is saved.',
  fields: (t) => ({
    message: t.field({ type: ChatMessageRef, description: 'The complete answer.', resolve: (e) => e.message }),
    usage: t.field({ type: ChatTokenUsageRef, description: 'Tokens it used.', resolve: (e) => e.usage }),
  }),
});

const ChatStoppedRef = builder.objectRef<Of<'stopped'>>('ChatStopped').implement({
  description: 'Last event: stopChat stopped the answer; the partial text is saved.',
  fields: (t) => ({
    message: t.field({ type: ChatMessageRef, description: 'The partial answer (status STOPPED).', resolve: (e) => e.message }),
  }),
});

const ChatErrorRef = builder.objectRef<Of<'error'>>('ChatError').implement({
  description: 'Last event: the answer failed. What was generated before is saved (status FAILED).',
  fields: (t) => ({
    code: t.field({ type: ChatErrorCode, description: 'Why.', resolve: (e) => e.code }),
    message: t.exposeString('message', { description: 'Human-readable explanation.' }),
    chatMessage: t.field({
      type: ChatMessageRef,
      nullable: true,
      description: 'The failed answer with what was generated, when known.',
      resolve: (e) => e.chatMessage,
    }),
  }),
});

const ChatEvent = builder.unionType('ChatEvent', {
  description:
    'An event of an AI answer: ChatStarted (chat only), then ChatToken events, then exactly one of ChatCompleted, ChatStopped or ChatError.',
  types: [ChatStartedRef, ChatTokenRef, ChatCompletedRef, ChatStoppedRef, ChatErrorRef],
  resolveType: (e: GqlChatEvent) =>
    ({ started: 'ChatStarted', token: 'ChatToken', completed: 'ChatCompleted', stopped: 'ChatStopped', error: 'ChatError' })[e.kind],
});

const ChatInput = builder.inputType('ChatInput', {
  description: 'A message to the assistant.',
  fields: (t) => ({
    message: t.string({ required: true, description: 'What you say (up to CHAT_MAX_MESSAGE_CHARS characters).' }),
    sessionId: t.id({ description: 'Continue this session; omit to start a new one (signed in) or for a guest chat.' }),
    title: t.string({ description: 'Title for a new session; by default one is made from the message.' }),
    model: t.string({ description: 'Model id from chatModels; default: the session model, else the server default.' }),
  }),
});

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
      const found = await ctx.prisma.chatSession.findFirst({ ...query, where: { id: String(id), userId: user.id, tenantId: user.tenantId } });
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
    resolve: (_root, _args, ctx) => ctx.services.assistant.usage(requireViewer(ctx)),
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
    },
    resolve: async (query, _root, args, ctx) => {
      const s = await ctx.services.assistant.createSession(requireViewer(ctx), args);
      return ctx.prisma.chatSession.findUniqueOrThrow({ ...query, where: { id: s.id } });
    },
  }),
  updateChatSession: t.prismaField({
    type: 'ChatSession',
    authScopes: { signedIn: true },
    description: "Renames a session or changes its model; omitted arguments don't change.",
    args: {
      id: t.arg.id({ required: true, description: 'Session id.' }),
      title: t.arg.string({ description: 'New title.' }),
      model: t.arg.string({ description: 'New model id.' }),
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
      const started = await ctx.services.assistant.startChat(actor(ctx), { ...input, sessionId: input.sessionId == null ? null : String(input.sessionId) });
      const events = await ctx.services.assistant.follow(actor(ctx), started.assistantMessageId, -1);
      return prepend<GqlChatEvent>({ kind: 'started', ...started }, events);
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

async function* prepend<T>(first: T, rest: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield first;
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}
