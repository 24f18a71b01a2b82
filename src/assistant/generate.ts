// One answer of a run: streams its parts into the run and says how it ended. Provider failures (401, 429, timeouts,
// content filters, network) become an outcome with a ChatErrorCode; nothing here throws.
//
// The provider is driven through the AI SDK's model protocol directly (doStream, one reader per step): the SDK's
// streamText would add several web-stream stages and promises per token, which at a few hundred concurrent answers
// is most of the server's work. What it did for us is here: the prompt, one retry of a retryable failure before a
// step's first part (honouring Retry-After), a total and a between-chunks timeout, usage and finish reason, and the
// step loop: a step that calls tools has them run (tools/registry.ts), their results appended to the prompt, and the
// model called again, up to `maxSteps` calls. The time tools take does not count as silence from the provider.
import { APICallError, type ModelMessage } from 'ai';
import type { LanguageModelV3, LanguageModelV3FunctionTool, LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { Logger } from '../logger.ts';
import { estimateTokens, sleep } from './echo-model.ts';
import type { ChatErrorCode, TokenUsage } from './events.ts';
import type { Run } from './runs.ts';
import { appendDelta, type MessagePart } from './parts.ts';
import { estimatePrompt, toolOutput, toPrompt } from './prompt.ts';
import { MESSAGES, mapProviderError, retryDelayMs, timeoutError } from './provider-errors.ts';
import type { Toolbox, ToolResult } from './tools/registry.ts';

export { chatErrorMessage, mapProviderError } from './provider-errors.ts';

type Ended = { content: string; usage: TokenUsage; parts: MessagePart[] };
export type Outcome =
  (Ended & { status: 'COMPLETE' }) | (Ended & { status: 'STOPPED' }) | (Ended & { status: 'FAILED'; code: ChatErrorCode; message: string });

export interface GenerateOptions {
  model: LanguageModelV3;
  system: string;
  messages: ModelMessage[];
  maxOutputTokens: number;
  timeoutMs: number;
  chunkTimeoutMs: number;
  logger: Logger;
  /** The tools the model is offered; none when absent. */
  toolbox?: Toolbox | null;
  /** Model calls at most (CHAT_MAX_STEPS); 1 when absent. */
  maxSteps?: number;
}

interface ToolCall {
  toolCallId: string;
  toolName: string;
  /** The model's arguments as JSON text. */
  input: string;
}

export async function generate(run: Run, o: GenerateOptions): Promise<Outcome> {
  let content = '';
  const parts: MessagePart[] = [];
  let reported: TokenUsage | null = null;
  let failure: unknown;
  let filtered = false;
  const prompt = toPrompt(o.system, o.messages);
  const firstPrompt = estimatePrompt(prompt);
  const estimated = (): TokenUsage => ({ inputTokens: firstPrompt, outputTokens: estimateTokens(content) });
  const tools: LanguageModelV3FunctionTool[] | undefined = o.toolbox?.tools.map((t) => ({
    type: 'function',
    name: t.name,
    description: t.description,
    inputSchema: t.inputSchema,
  }));
  const maxSteps = Math.max(1, o.maxSteps ?? 1);
  // The provider's signal: the run's stop, the total time and the time between chunks, whichever fires first.
  const provider = new AbortController();
  const abort = (reason: unknown) => provider.signal.aborted || provider.abort(reason);
  const onStop = () => abort(run.signal.reason);
  if (run.signal.aborted) onStop();
  else run.signal.addEventListener('abort', onStop, { once: true });
  const total = setTimeout(() => abort(timeoutError('Total', o.timeoutMs)), o.timeoutMs);
  const arm = () => setTimeout(() => abort(timeoutError('Chunk', o.chunkTimeoutMs)), o.chunkTimeoutMs);
  let quiet = arm();

  /** One model call, read to its end: its tool calls (none: the answer is done). */
  const step = async (): Promise<ToolCall[]> => {
    const calls: ToolCall[] = [];
    const call = () => o.model.doStream({ prompt, tools, maxOutputTokens: o.maxOutputTokens, abortSignal: provider.signal });
    let result: Awaited<ReturnType<typeof call>>;
    try {
      result = await call();
    } catch (err) {
      if (!APICallError.isInstance(err) || !err.isRetryable || provider.signal.aborted) throw err;
      await sleep(retryDelayMs(err), provider.signal).catch(() => {});
      if (provider.signal.aborted) throw err;
      quiet.refresh();
      result = await call();
    }
    quiet.refresh();
    const reader = result.stream.getReader();
    // A provider that does not end its stream when aborted must not hold the run: cancelling ends the read.
    const cancel = () => void reader.cancel(provider.signal.reason).catch(() => {});
    provider.signal.addEventListener('abort', cancel, { once: true });
    try {
      for (;;) {
        const { done, value: part } = (await reader.read()) as ReadableStreamReadResult<LanguageModelV3StreamPart>;
        if (done) break;
        quiet.refresh();
        if (part.type === 'text-delta') {
          if (!part.delta) continue;
          content += part.delta;
          appendDelta(parts, 'text', part.delta);
          run.token(part.delta);
        } else if (part.type === 'reasoning-delta') {
          if (!part.delta) continue;
          appendDelta(parts, 'reasoning', part.delta);
          run.part({ kind: 'reasoning', delta: part.delta });
        } else if (part.type === 'tool-call') {
          // A tool the provider ran itself is its business; only ours are called here.
          if (!part.providerExecuted) calls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
        } else if (part.type === 'error') {
          failure ??= part.error;
        } else if (part.type === 'finish') {
          const input = part.usage.inputTokens.total;
          const output = part.usage.outputTokens.total;
          if (input != null || output != null) {
            reported = {
              inputTokens: (reported?.inputTokens ?? 0) + (input ?? 0),
              outputTokens: (reported?.outputTokens ?? 0) + (output ?? 0),
            };
          }
          if (part.finishReason.unified === 'content-filter') filtered = true;
          if (part.finishReason.unified === 'error' && failure === undefined) failure = new Error('finish reason: error');
        }
      }
    } finally {
      provider.signal.removeEventListener('abort', cancel);
      reader.releaseLock();
    }
    return calls;
  };

  try {
    for (let n = 1; ; n++) {
      const textBefore = parts.length;
      const calls = await step();
      if (calls.length === 0 || failure !== undefined || filtered || provider.signal.aborted) break;
      // Tools take their own time (bounded by CHAT_TOOL_TIMEOUT_MS); the provider's silence is not measured meanwhile.
      clearTimeout(quiet);
      const results = await runTools(run, parts, calls, n < maxSteps ? o.toolbox : null, maxSteps, provider.signal);
      quiet = arm();
      if (n >= maxSteps || provider.signal.aborted) break;
      appendStep(prompt, parts.slice(textBefore), calls, results);
    }
  } catch (err) {
    if (!provider.signal.aborted) failure ??= err;
  } finally {
    clearTimeout(total);
    clearTimeout(quiet);
    run.signal.removeEventListener('abort', onStop);
  }
  const usage = reported ?? estimated();
  const ended = { content, usage, parts };
  if (provider.signal.aborted) {
    if (run.stopReason === 'user') return { status: 'STOPPED', ...ended };
    const code: ChatErrorCode = run.stopReason === 'shutdown' ? 'INTERRUPTED' : 'PROVIDER_TIMEOUT';
    return { status: 'FAILED', ...ended, code, message: MESSAGES[code] };
  }
  if (failure !== undefined) {
    const code = mapProviderError(failure);
    o.logger.warn('chat provider error', { messageId: run.messageId, code, error: failure });
    return { status: 'FAILED', ...ended, code, message: MESSAGES[code] };
  }
  if (filtered) return { status: 'FAILED', ...ended, code: 'CONTENT_FILTERED', message: MESSAGES.CONTENT_FILTERED };
  return { status: 'COMPLETE', ...ended };
}

/**
 * Runs a step's tool calls in order, each announced (ChatToolCall) and answered (ChatToolResult). Without a toolbox
 * (none offered, or the step limit reached) every call is answered with an error the model reads.
 */
async function runTools(
  run: Run,
  parts: MessagePart[],
  calls: ToolCall[],
  toolbox: Toolbox | null | undefined,
  maxSteps: number,
  signal: AbortSignal,
): Promise<ToolResult[]> {
  const results: ToolResult[] = [];
  for (const call of calls) {
    const input = parseInput(call.input);
    run.part({ kind: 'tool-call', toolCallId: call.toolCallId, name: call.toolName, input: input.value });
    parts.push({ type: 'tool-call', toolCallId: call.toolCallId, toolName: call.toolName, input: input.value });
    let result: ToolResult;
    if (!input.ok) result = { output: 'The input is not valid JSON.', isError: true };
    else if (!toolbox) result = { output: `Not run: the answer reached its limit of ${maxSteps} steps.`, isError: true };
    else result = await toolbox.call(call.toolName, input.value, signal);
    run.part({ kind: 'tool-result', toolCallId: call.toolCallId, output: result.output, isError: result.isError });
    parts.push({ type: 'tool-result', toolCallId: call.toolCallId, toolName: call.toolName, ...result });
    results.push(result);
  }
  return results;
}

function parseInput(text: string): { ok: boolean; value: unknown } {
  if (!text.trim()) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: text };
  }
}

/** The step as the model said it (its text, then its calls) and the results, for the next call. */
function appendStep(prompt: LanguageModelV3Prompt, said: MessagePart[], calls: ToolCall[], results: ToolResult[]) {
  const text = said.map((p) => (p.type === 'text' ? p.text : '')).join('');
  prompt.push({
    role: 'assistant',
    content: [
      ...(text ? [{ type: 'text' as const, text }] : []),
      ...calls.map((c) => ({
        type: 'tool-call' as const,
        toolCallId: c.toolCallId,
        toolName: c.toolName,
        input: parseInput(c.input).value,
      })),
    ],
  });
  prompt.push({
    role: 'tool',
    content: calls.map((c, i) => ({
      type: 'tool-result' as const,
      toolCallId: c.toolCallId,
      toolName: c.toolName,
      output: toolOutput(results[i]),
    })),
  });
}
