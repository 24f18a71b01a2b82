// What one generation run emits, in order: parts (tokens, reasoning, tool calls and results, sources; seq 0, 1, 2,
// ...) then exactly one terminal event (seq = the number of parts). The same JSON travels through the event bus and the replay buffer, so a follower on any
// instance can merge "replayed" and "live" by seq without gaps or duplicates.
import type { ChatMessage } from '../generated/prisma/client.ts';

/** Why a run ended without an answer. `INTERRUPTED`: the server running it went away. */
export const CHAT_ERROR_CODES = [
  'PROVIDER_AUTH',
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_TIMEOUT',
  'PROVIDER_UNAVAILABLE',
  'CONTENT_FILTERED',
  'PROVIDER_ERROR',
  'INTERRUPTED',
] as const;
export type ChatErrorCode = (typeof CHAT_ERROR_CODES)[number];

/**
 * The assistant message as the run saved it. For guests nothing is saved: `sessionId` is '' and the object exists
 * only in events. Dates may arrive as ISO strings after a trip through Redis; the DateTime scalar accepts both.
 */
export type MessageSnapshot = ChatMessage;

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** The events of a run before its end, each with the next `seq`: text, reasoning, tool calls and results, sources. */
export type ChatPartEvent =
  | { kind: 'token'; seq: number; delta: string }
  | { kind: 'reasoning'; seq: number; delta: string }
  | { kind: 'tool-call'; seq: number; toolCallId: string; name: string; input: unknown }
  | { kind: 'tool-result'; seq: number; toolCallId: string; output: unknown; isError: boolean }
  | { kind: 'source'; seq: number; messageId: string };

export type ChatRunEvent =
  | ChatPartEvent
  | { kind: 'completed'; seq: number; answer: MessageSnapshot; usage: TokenUsage }
  | { kind: 'stopped'; seq: number; answer: MessageSnapshot }
  | { kind: 'error'; seq: number; code: ChatErrorCode; message: string; answer: MessageSnapshot | null };

/** Sent on a message's topic by a follower to learn that its bus subscription is live; followers skip it. */
export interface ProbeEvent {
  kind: 'probe';
  nonce: string;
}

export type BusEvent = ChatRunEvent | ProbeEvent;

const PART_KINDS = new Set<ChatRunEvent['kind']>(['token', 'reasoning', 'tool-call', 'tool-result', 'source']);

export const isTerminal = (e: ChatRunEvent) => !PART_KINDS.has(e.kind);

/** Who may follow or stop a run that is not (or no longer) in the database: its owner; any holder of the id for guests. */
export interface RunOwner {
  tenantId: string;
  userId: string | null;
}

/** Asks whichever instance runs `messageId` to stop it. */
export interface StopRequest extends RunOwner {
  messageId: string;
  /** Asked by a member of the conversation the answer is written in (stopAssistantReply), not by its owner. */
  byMember?: boolean;
}
