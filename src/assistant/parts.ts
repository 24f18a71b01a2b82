// The parts of a chat message in order, as ChatMessage.parts stores them (JSON) and ChatMessage.parts shows them:
// an answer's text, reasoning, tool calls and their results; a question's text and files. A message of plain text
// alone stores [] (its content says it all).

export type MessagePart =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; output: unknown; isError: boolean }
  | { type: 'file'; attachmentId: string; mediaType: string; filename: string };

/** Adds streamed text or reasoning to the parts: to the last part when it is of the same kind, else as a new one. */
export function appendDelta(parts: MessagePart[], type: 'text' | 'reasoning', delta: string): void {
  const last = parts.at(-1);
  if (last && last.type === type) last.text += delta;
  else parts.push({ type, text: delta });
}

/** What is stored: [] when the parts are plain text only. */
export function storedParts(parts: MessagePart[]): MessagePart[] {
  return parts.every((p) => p.type === 'text') ? [] : parts;
}

/** A stored parts column as parts ([] for anything that is not a list of parts). */
export function partsOf(stored: unknown): MessagePart[] {
  return Array.isArray(stored) ? (stored.filter((p) => p && typeof p === 'object' && typeof p.type === 'string') as MessagePart[]) : [];
}

/** A message's parts as shown: the stored ones, else its content as one text part (none when it is empty). */
export function shownParts(message: { content: string; parts: unknown }): MessagePart[] {
  const stored = partsOf(message.parts);
  if (stored.length) return stored;
  return message.content ? [{ type: 'text', text: message.content }] : [];
}
