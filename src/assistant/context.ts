// What the model sees (the session's recent messages within a character budget) and how sessions get titles.
import { generateText, type LanguageModel, type ModelMessage } from 'ai';
import type { ChatMessage } from '../generated/prisma/client.ts';
import type { TokenUsage } from './events.ts';
import { partsOf } from './parts.ts';
import { toolOutput } from './prompt.ts';

type AssistantContent = Exclude<Extract<ModelMessage, { role: 'assistant' }>['content'], string>;
type ToolContent = Extract<ModelMessage, { role: 'tool' }>['content'];
import { cleanText } from '../text-rules.ts';

/** Characters per token, for budgets stated in tokens. */
export const CHARS_PER_TOKEN = 4;

/** A saved message as the context reads it: its parts (tool calls and results, files) when it has any. */
export type HistoryMessage = Pick<ChatMessage, 'role' | 'content'> & { parts?: unknown };

/**
 * The conversation for the model: newest messages first until `budgetTokens` is spent (the newest one is always
 * kept), then in order. Empty answers (failed before any text or tool call) are left out, and the list starts with a
 * user turn, as every provider expects. SYSTEM messages join the system prompt. An answer that called tools goes back
 * as the model made it (its text and calls, then the results, step by step), its calls' input and results counted in
 * the budget; a question's files as a note of their names.
 */
export function buildContext(
  history: HistoryMessage[],
  systemPrompt: string,
  budgetTokens: number,
): { system: string; messages: ModelMessage[] } {
  const systemExtra = history.filter((m) => m.role === 'SYSTEM').map((m) => m.content);
  const system = [systemPrompt, ...systemExtra].filter(Boolean).join('\n\n');
  let budget = budgetTokens * CHARS_PER_TOKEN - system.length;
  const picked: ModelMessage[][] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i];
    if (m.role === 'SYSTEM') continue;
    const turn = m.role === 'USER' ? userTurn(m) : assistantTurns(m);
    if (!turn) continue;
    if (picked.length > 0 && turn.chars > budget) break;
    budget -= turn.chars;
    picked.push(turn.messages);
  }
  const messages = picked.reverse().flat();
  while (messages.length > 1 && messages[0].role !== 'user') messages.shift();
  return { system, messages };
}

function userTurn(m: HistoryMessage): { messages: ModelMessage[]; chars: number } | null {
  const files = partsOf(m.parts).flatMap((p) => (p.type === 'file' ? [`${p.filename} (${p.mediaType})`] : []));
  const content = files.length ? `${m.content}\n\n[Attached earlier: ${files.join(', ')}]` : m.content;
  return content ? { messages: [{ role: 'user', content }], chars: content.length } : null;
}

/** An answer's turns: its text, or for an answer that called tools each step's text and calls, then their results. */
function assistantTurns(m: HistoryMessage): { messages: ModelMessage[]; chars: number } | null {
  const parts = partsOf(m.parts);
  if (!parts.some((p) => p.type === 'tool-call')) {
    return m.content ? { messages: [{ role: 'assistant', content: m.content }], chars: m.content.length } : null;
  }
  const messages: ModelMessage[] = [];
  let said: AssistantContent = [];
  let results: ToolContent = [];
  let chars = 0;
  const flush = () => {
    if (said.length) messages.push({ role: 'assistant', content: said });
    if (results.length) messages.push({ role: 'tool', content: results });
    said = [];
    results = [];
  };
  for (const p of parts) {
    if (p.type === 'text' || p.type === 'tool-call') {
      if (results.length) flush();
      if (p.type === 'text') said.push({ type: 'text', text: p.text });
      else said.push({ type: 'tool-call', toolCallId: p.toolCallId, toolName: p.toolName, input: p.input ?? {} });
      chars += p.type === 'text' ? p.text.length : JSON.stringify(p.input ?? {}).length + p.toolName.length;
    } else if (p.type === 'tool-result') {
      results.push({ type: 'tool-result', toolCallId: p.toolCallId, toolName: p.toolName, output: toolOutput(p) });
      chars += (JSON.stringify(p.output ?? null) ?? '').length;
    }
  }
  flush();
  // A call without its result (the answer stopped meanwhile) would be refused by providers: the turn ends before it.
  const answered = new Set(
    messages.flatMap((x) => (x.role === 'tool' ? x.content.map((r) => (r.type === 'tool-result' ? r.toolCallId : '')) : [])),
  );
  for (const x of messages) {
    if (x.role === 'assistant' && Array.isArray(x.content)) {
      x.content = x.content.filter((c) => c.type !== 'tool-call' || answered.has(c.toolCallId));
    }
  }
  return { messages: messages.filter((x) => x.role !== 'assistant' || x.content.length > 0), chars };
}

const TITLE_LENGTH = 60;

/** A short title from the first message: its first words, cut at a word boundary. */
export function deriveTitle(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= TITLE_LENGTH) return line || 'New chat';
  const cut = line.slice(0, TITLE_LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_LENGTH / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** A title written by the model (for real providers); null when it fails or says nothing usable. */
export async function modelTitle(
  model: Exclude<LanguageModel, string>,
  text: string,
  timeoutMs: number,
): Promise<{ title: string; usage: TokenUsage } | null> {
  try {
    const result = await generateText({
      model,
      system: 'Write a title of at most six words for a chat that starts with the user message below. Reply with the title only.',
      prompt: text.slice(0, 2_000),
      maxOutputTokens: 24,
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    const title = result.text
      .split('\n')[0]
      .replace(/^["'\s#*]+|["'\s.*]+$/g, '')
      .slice(0, 100)
      .trim();
    if (!title) return null;
    return { title, usage: { inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0 } };
  } catch {
    return null;
  }
}

/** A title as given by a user: whitespace collapsed, at most 200 characters, one visible line; null when nothing is left. */
export function cleanTitle(title: string | null | undefined): string | null {
  return title == null ? null : cleanText(title.replace(/\s+/g, ' '), { field: 'title', label: 'A title', max: 200 });
}

/** The longest system prompt a session or preset keeps. */
export const MAX_SYSTEM_PROMPT = 4_000;

/** A system prompt as given: undefined to leave it, null for the server's ("" or only spaces), else the cleaned text. */
export function cleanSystemPrompt(raw: string | null | undefined): string | null | undefined {
  if (raw == null) return undefined;
  return cleanText(raw, { field: 'systemPrompt', label: 'A system prompt', max: MAX_SYSTEM_PROMPT, multiline: true });
}
