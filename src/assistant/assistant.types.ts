// GraphQL types of AI chat: messages, sessions, models and usage. Root fields are in assistant.schema.ts.
import { builder } from '../graphql/builder.ts';
import type { ChatUsage } from './budgets.ts';
import { CHAT_ERROR_CODES, type TokenUsage } from './events.ts';
import type { RegisteredModel } from './models.ts';

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

export const ChatErrorCode = builder.enumType('ChatErrorCode', {
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

export const ChatMessageRef = builder.prismaObject('ChatMessage', {
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
    parentId: t.id({
      nullable: true,
      description:
        'The message this one follows in its branch; null for the first turn. Messages with the same parent are siblings (an edited question, a regenerated answer).',
      resolve: (m) => m.parentId,
    }),
    content: t.exposeString('content', { description: 'The text (for a stopped or failed answer, what was generated).' }),
    status: t.field({ type: ChatMessageStatus, description: 'Streaming, complete, stopped or failed.', resolve: (m) => m.status }),
    model: t.exposeString('model', { nullable: true, description: 'The model id that answered (or was asked).' }),
    inputTokens: t.exposeInt('inputTokens', {
      description: 'Prompt tokens of this answer (provider-reported; estimated for parley-echo).',
    }),
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

builder.prismaObjectField('ChatMessage', 'siblings', (t) =>
  t.field({
    type: [ChatMessageRef],
    description:
      'The messages with the same parent in the same session, this one included, oldest first (at most 100): the versions of an edited question or a regenerated answer. Show another with `ChatSession.messages(leafId:)`.',
    resolve: (m, _args, ctx) => ctx.services.assistant.siblings(m),
  }),
);

export const ChatSessionRef = builder.prismaObject('ChatSession', {
  description: 'A saved AI chat. Only its owner can see it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Session id.' }),
    title: t.exposeString('title', { description: 'Short title (from the first message, or written by the model).' }),
    model: t.exposeString('model', { description: 'The model new messages use unless `chat` names another.' }),
    systemPrompt: t.exposeString('systemPrompt', {
      nullable: true,
      description: "The session's own instructions to the model, sent before the conversation; null: the server's (CHAT_SYSTEM_PROMPT).",
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the session started.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last activity.' }),
    messages: t.prismaConnection({
      type: 'ChatMessage',
      cursor: 'id',
      description:
        'One branch of the session, from its first message to `leafId` (by default the newest message, the branch last continued), oldest first; use `last` for the most recent ones. Other branches: `ChatMessage.siblings`.',
      args: {
        leafId: t.arg.id({ description: 'The last message of the branch to show (NOT_FOUND when it is not of this session).' }),
      },
      resolve: async (query, session, { leafId }, ctx) => {
        const ids = await ctx.services.assistant.branchIds(session, leafId == null ? null : String(leafId));
        return ctx.prisma.chatMessage.findMany({ ...query, where: { id: { in: ids } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      },
    }),
  }),
});

export const ChatModelRef = builder.objectRef<RegisteredModel & { isDefault: boolean }>('ChatModel').implement({
  description: 'A model this server can chat with.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Pass it as `model` (e.g. "anthropic:claude-sonnet-4-5", "parley-echo").' }),
    label: t.exposeString('label', { description: 'Human-readable name.' }),
    provider: t.exposeString('provider', { description: 'Who serves it: anthropic, openai, openai-compatible or parley.' }),
    offline: t.exposeBoolean('offline', {
      description: 'True for the built-in offline model, which only echoes (no provider configured).',
    }),
    default: t.boolean({ description: 'True for the model used when none is named.', resolve: (m) => m.isDefault }),
    images: t.exposeBoolean('images', {
      description: 'Whether it takes images sent with ChatInput.attachmentIds (text files go to every model).',
    }),
  }),
});

export const ChatUsageRef = builder.objectRef<ChatUsage>('ChatUsage').implement({
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

export const ChatTokenUsageRef = builder.objectRef<TokenUsage>('ChatTokenUsage').implement({
  description: 'Tokens one answer used.',
  fields: (t) => ({
    inputTokens: t.exposeInt('inputTokens', { description: 'Prompt tokens (the context sent to the model).' }),
    outputTokens: t.exposeInt('outputTokens', { description: 'Generated tokens.' }),
    totalTokens: t.int({ description: 'Input plus output.', resolve: (u) => u.inputTokens + u.outputTokens }),
  }),
});
