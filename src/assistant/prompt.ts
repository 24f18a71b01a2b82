// The context (AI SDK ModelMessages, as context.ts builds them) as the provider protocol's prompt, and the estimate of
// its tokens for providers that report none.
import type { ModelMessage } from 'ai';
import type { JSONValue, LanguageModelV3Message, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { estimateTokens } from './echo-model.ts';

type AssistantContent = Extract<LanguageModelV3Message, { role: 'assistant' }>['content'];
type UserContent = Extract<LanguageModelV3Message, { role: 'user' }>['content'];
type ToolContent = Extract<LanguageModelV3Message, { role: 'tool' }>['content'];

/** Tokens counted for a file part (an image's cost depends on the provider and its size; this is a floor). */
const FILE_TOKENS = 256;

/** The system prompt, then the turns: text and files from the user, text and tool calls from the assistant, tool results. */
export function toPrompt(system: string, messages: ModelMessage[]): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = system ? [{ role: 'system', content: system }] : [];
  for (const m of messages) {
    if (m.role === 'system') prompt.push({ role: 'system', content: m.content });
    else if (m.role === 'user') {
      const content: UserContent = [];
      for (const p of typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content) {
        if (p.type === 'text') content.push({ type: 'text', text: p.text });
        else if (p.type === 'file')
          content.push({ type: 'file', data: p.data as Uint8Array, mediaType: p.mediaType, filename: p.filename });
      }
      prompt.push({ role: 'user', content });
    } else if (m.role === 'assistant') {
      const content: AssistantContent = [];
      for (const p of typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content) {
        if (p.type === 'text') content.push({ type: 'text', text: p.text });
        else if (p.type === 'tool-call')
          content.push({ type: 'tool-call', toolCallId: p.toolCallId, toolName: p.toolName, input: p.input });
      }
      prompt.push({ role: 'assistant', content });
    } else if (m.role === 'tool') {
      const content: ToolContent = [];
      for (const p of m.content) {
        if (p.type === 'tool-result') {
          content.push({
            type: 'tool-result',
            toolCallId: p.toolCallId,
            toolName: p.toolName,
            output: p.output as ToolContent[number] extends { output: infer O } ? O : never,
          });
        }
      }
      prompt.push({ role: 'tool', content });
    }
  }
  return prompt;
}

/** About how many tokens a prompt is: its text and JSON at four characters a token, files at a floor each. */
export function estimatePrompt(prompt: LanguageModelV3Prompt): number {
  let tokens = 0;
  for (const m of prompt) {
    if (typeof m.content === 'string') {
      tokens += estimateTokens(m.content);
      continue;
    }
    for (const p of m.content) {
      if (p.type === 'text' || p.type === 'reasoning') tokens += estimateTokens(p.text);
      else if (p.type === 'file') tokens += FILE_TOKENS;
      else if (p.type === 'tool-call') tokens += estimateTokens(JSON.stringify(p.input) ?? '');
      else if (p.type === 'tool-result') tokens += estimateTokens(JSON.stringify(p.output) ?? '');
    }
  }
  return tokens;
}

/** A result in the protocol's shape: JSON, or an error as text or JSON. */
export function toolOutput(r: { output: unknown; isError: boolean }) {
  const value = (r.output ?? null) as JSONValue;
  if (r.isError) return typeof value === 'string' ? { type: 'error-text' as const, value } : { type: 'error-json' as const, value };
  return typeof value === 'string' ? { type: 'text' as const, value } : { type: 'json' as const, value };
}
