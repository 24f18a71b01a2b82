// The events of an AI answer as GraphQL: the ChatEvent union and its members, and the `chat` input.
import { builder } from '../graphql/builder.ts';
import type { ChatStarted } from './assistant.service.ts';
import type { ChatRunEvent } from './events.ts';
import { ChatErrorCode, ChatMessageRef, ChatSessionRef, ChatTokenUsageRef } from './assistant.types.ts';

type StartedEvent = ChatStarted & { kind: 'started' };
export type GqlChatEvent = StartedEvent | ChatRunEvent;
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

const ChatReasoningRef = builder.objectRef<Of<'reasoning'>>('ChatReasoning').implement({
  description: "A piece of the model's reasoning, streamed before (or between) the answer's text, for models that show it.",
  fields: (t) => ({
    index: t.int({ description: "Its place among the answer's events (the same count as ChatToken.index).", resolve: (e) => e.seq }),
    delta: t.exposeString('delta', { description: 'Reasoning text to append.' }),
  }),
});

const ChatToolCallRef = builder.objectRef<Of<'tool-call'>>('ChatToolCall').implement({
  description: 'The model calls a tool; its ChatToolResult follows with the same toolCallId.',
  fields: (t) => ({
    index: t.int({ description: "Its place among the answer's events.", resolve: (e) => e.seq }),
    toolCallId: t.exposeString('toolCallId', { description: 'Pairs the call with its result.' }),
    name: t.exposeString('name', { description: 'The tool (see chatTools).' }),
    input: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The arguments the model passed, as JSON.',
      resolve: (e) => e.input ?? null,
    }),
  }),
});

const ChatToolResultRef = builder.objectRef<Of<'tool-result'>>('ChatToolResult').implement({
  description: "A tool's answer to a ChatToolCall. A failing tool gives a result with isError, which the model sees; the answer goes on.",
  fields: (t) => ({
    index: t.int({ description: "Its place among the answer's events.", resolve: (e) => e.seq }),
    toolCallId: t.exposeString('toolCallId', { description: 'The call this answers.' }),
    output: t.field({
      type: 'JSON',
      nullable: true,
      description: "The tool's output, as JSON (for an error, its message).",
      resolve: (e) => e.output ?? null,
    }),
    isError: t.exposeBoolean('isError', { description: 'True when the tool failed or refused; `output` says why.' }),
  }),
});

const ChatSourceRef = builder.objectRef<Of<'source'>>('ChatSource').implement({
  description: 'A conversation message the answer used (a summary cites each message it read).',
  fields: (t) => ({
    index: t.int({ description: "Its place among the answer's events.", resolve: (e) => e.seq }),
    messageId: t.id({ description: 'The message (read it with `message(id)`).', resolve: (e) => e.messageId }),
  }),
});

// The answer is `answer` in all three final events, and ChatError's `message` is its explanation, so one document
// selects all three without aliases. GraphQL lets fields of one name in one selection differ in nothing, nullability
// included (spec: SameResponseShape), and ChatError may not know its answer: `answer` is nullable in all three, and
// ChatCompleted and ChatStopped always fill it.
const ChatCompletedRef = builder.objectRef<Of<'completed'>>('ChatCompleted').implement({
  description: 'Last event: the answer finished and is saved.',
  fields: (t) => ({
    answer: t.field({
      type: ChatMessageRef,
      nullable: true,
      description: 'The complete answer (status COMPLETE); always present.',
      resolve: (e) => e.answer,
    }),
    usage: t.field({ type: ChatTokenUsageRef, description: 'Tokens it used.', resolve: (e) => e.usage }),
  }),
});

const ChatStoppedRef = builder.objectRef<Of<'stopped'>>('ChatStopped').implement({
  description: 'Last event: stopChat stopped the answer; the partial text is saved.',
  fields: (t) => ({
    answer: t.field({
      type: ChatMessageRef,
      nullable: true,
      description: 'The partial answer (status STOPPED); always present.',
      resolve: (e) => e.answer,
    }),
  }),
});

const ChatErrorRef = builder.objectRef<Of<'error'>>('ChatError').implement({
  description: 'Last event: the answer failed. What was generated before is saved (status FAILED).',
  fields: (t) => ({
    code: t.field({ type: ChatErrorCode, description: 'Why.', resolve: (e) => e.code }),
    message: t.exposeString('message', { description: 'Human-readable explanation.' }),
    answer: t.field({
      type: ChatMessageRef,
      nullable: true,
      description: 'The failed answer (status FAILED) with what was generated before the failure; null when it is not known.',
      resolve: (e) => e.answer,
    }),
  }),
});

export const ChatEvent = builder.unionType('ChatEvent', {
  description:
    'An event of an AI answer: ChatStarted (chat only), then its parts in order (ChatToken, ChatReasoning, ChatToolCall, ChatToolResult, ChatSource; `index` counts them all), then exactly one of ChatCompleted, ChatStopped or ChatError.',
  types: [
    ChatStartedRef,
    ChatTokenRef,
    ChatReasoningRef,
    ChatToolCallRef,
    ChatToolResultRef,
    ChatSourceRef,
    ChatCompletedRef,
    ChatStoppedRef,
    ChatErrorRef,
  ],
  resolveType: (e: GqlChatEvent) =>
    ({
      started: 'ChatStarted',
      token: 'ChatToken',
      reasoning: 'ChatReasoning',
      'tool-call': 'ChatToolCall',
      'tool-result': 'ChatToolResult',
      source: 'ChatSource',
      completed: 'ChatCompleted',
      stopped: 'ChatStopped',
      error: 'ChatError',
    })[e.kind],
});

export const ChatInput = builder.inputType('ChatInput', {
  description: 'A message to the assistant.',
  fields: (t) => ({
    message: t.string({ required: true, description: 'What you say (up to CHAT_MAX_MESSAGE_CHARS characters).' }),
    sessionId: t.id({ description: 'Continue this session; omit to start a new one (signed in) or for a guest chat.' }),
    title: t.string({ description: 'Title for a new session; by default one is made from the message.' }),
    model: t.string({ description: "Model id from chatModels; default: the preset's, else the session model, else the server default." }),
    presetId: t.id({
      description:
        "One of the organisation's presets (chatPresets): its model (unless `model` is given) and its instructions answer this message, and a new session keeps them. Signed in only (UNAUTHENTICATED for a guest); NOT_FOUND for an unknown one.",
    }),
    parentMessageId: t.id({
      description:
        'Answer from this point of the session: your message follows this one (an assistant answer, or null for the first turn) in a new branch. Edit-and-resend is `parentMessageId` = the parent of the message you edit. Default: the newest message of the newest branch.',
    }),
    regenerate: t.id({
      description:
        'A new answer beside this assistant message (same question, a new sibling; the old one stays). `message` is ignored; give "" .',
    }),
    attachmentIds: t.idList({
      description:
        'Files you uploaded (uploadAttachment) to send with the message: images to models that accept them, text files as text. At most 10.',
    }),
  }),
});

/** A started answer's events as the `chat` and `summarizeConversation` subscriptions send them: ChatStarted first. */
export async function* withStarted(started: ChatStarted, rest: AsyncGenerator<ChatRunEvent>): AsyncGenerator<GqlChatEvent> {
  try {
    yield { kind: 'started', ...started };
    yield* rest;
  } finally {
    await rest.return(undefined);
  }
}
