// GraphQL shape of a chat message's parts (ChatMessage.parts): an answer's text, reasoning, tool calls and results in
// order, a question's text and files. Stored in ChatMessage.parts (parts.ts); plain text shows as one TEXT part.
import { builder } from '../graphql/builder.ts';
import { shownParts, type MessagePart } from './parts.ts';

const TYPES = {
  text: 'TEXT',
  reasoning: 'REASONING',
  'tool-call': 'TOOL_CALL',
  'tool-result': 'TOOL_RESULT',
  file: 'FILE',
} as const;

const ChatMessagePartType = builder.enumType('ChatMessagePartType', {
  description: 'What a part of a chat message is.',
  values: {
    TEXT: { description: 'Text of the message (`text`).' },
    REASONING: { description: "The model's reasoning before or between its text (`text`)." },
    TOOL_CALL: { description: 'The model called a tool (`toolCallId`, `toolName`, `input`).' },
    TOOL_RESULT: { description: "A tool's answer (`toolCallId`, `toolName`, `output`, `isError`)." },
    FILE: { description: 'A file sent with the question (`attachmentId`, `mediaType`, `filename`).' },
  } as const,
});

type Field<K extends string> = MessagePart extends infer P ? (P extends Record<K, infer V> ? V : never) : never;
const field =
  <K extends string>(key: K) =>
  (p: MessagePart): Field<K> | null =>
    ((p as Record<string, unknown>)[key] ?? null) as Field<K> | null;

export const ChatMessagePartRef = builder.objectRef<MessagePart>('ChatMessagePart').implement({
  description: 'One part of a chat message, in order. Which fields are set depends on `type`; the others are null.',
  fields: (t) => ({
    type: t.field({ type: ChatMessagePartType, description: 'What the part is.', resolve: (p) => TYPES[p.type] }),
    text: t.string({ nullable: true, description: 'TEXT and REASONING: the text.', resolve: field('text') }),
    toolCallId: t.string({
      nullable: true,
      description: 'TOOL_CALL and TOOL_RESULT: pairs a call with its result.',
      resolve: field('toolCallId'),
    }),
    toolName: t.string({ nullable: true, description: 'TOOL_CALL and TOOL_RESULT: the tool (see chatTools).', resolve: field('toolName') }),
    input: t.field({
      type: 'JSON',
      nullable: true,
      description: 'TOOL_CALL: the arguments the model passed.',
      resolve: (p) => (p.type === 'tool-call' ? (p.input ?? null) : null),
    }),
    output: t.field({
      type: 'JSON',
      nullable: true,
      description: "TOOL_RESULT: the tool's output (for an error, its message).",
      resolve: (p) => (p.type === 'tool-result' ? (p.output ?? null) : null),
    }),
    isError: t.boolean({
      nullable: true,
      description: 'TOOL_RESULT: true when the tool failed or refused.',
      resolve: (p) => (p.type === 'tool-result' ? p.isError : null),
    }),
    attachmentId: t.id({ nullable: true, description: 'FILE: the upload (uploadAttachment).', resolve: field('attachmentId') }),
    mediaType: t.string({ nullable: true, description: 'FILE: its media type, e.g. image/png.', resolve: field('mediaType') }),
    filename: t.string({ nullable: true, description: 'FILE: its name.', resolve: field('filename') }),
  }),
});

builder.prismaObjectField('ChatMessage', 'parts', (t) =>
  t.field({
    type: [ChatMessagePartRef],
    description:
      "The message's parts in order: an answer's text, reasoning, tool calls and their results; a question's text and files. A message of plain text has one TEXT part (none when empty).",
    resolve: (m) => shownParts(m),
  }),
);
