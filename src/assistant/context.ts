// What the model sees (the session's recent messages within a character budget) and how sessions get titles.
import { generateText, type LanguageModel, type ModelMessage } from 'ai';
import type { ChatMessage } from '../generated/prisma/client.ts';
import type { TokenUsage } from './events.ts';
import { cleanText } from '../text-rules.ts';

/** Characters per token, for budgets stated in tokens. */
export const CHARS_PER_TOKEN = 4;

/**
 * The conversation for the model: newest messages first until `budgetTokens` is spent (the newest one is always
 * kept), then in order. Empty answers (failed before any text) are left out, and the list starts with a user turn,
 * as every provider expects. SYSTEM messages join the system prompt.
 */
export function buildContext(
  history: Pick<ChatMessage, 'role' | 'content'>[],
  systemPrompt: string,
  budgetTokens: number,
): { system: string; messages: ModelMessage[] } {
  const systemExtra = history.filter((m) => m.role === 'SYSTEM').map((m) => m.content);
  const system = [systemPrompt, ...systemExtra].filter(Boolean).join('\n\n');
  let budget = budgetTokens * CHARS_PER_TOKEN - system.length;
  const picked: ModelMessage[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i];
    if (m.role === 'SYSTEM' || !m.content) continue;
    if (picked.length > 0 && m.content.length > budget) break;
    budget -= m.content.length;
    picked.push(m.role === 'USER' ? { role: 'user', content: m.content } : { role: 'assistant', content: m.content });
  }
  picked.reverse();
  while (picked.length > 1 && picked[0].role !== 'user') picked.shift();
  return { system, messages: picked };
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
