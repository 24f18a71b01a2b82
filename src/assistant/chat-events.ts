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
    'An event of an AI answer: ChatStarted (chat only), then ChatToken events, then exactly one of ChatCompleted, ChatStopped or ChatError.',
  types: [ChatStartedRef, ChatTokenRef, ChatCompletedRef, ChatStoppedRef, ChatErrorRef],
  resolveType: (e: GqlChatEvent) =>
    ({ started: 'ChatStarted', token: 'ChatToken', completed: 'ChatCompleted', stopped: 'ChatStopped', error: 'ChatError' })[e.kind],
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
  }),
});
