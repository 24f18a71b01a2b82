// One model call for a run: streams deltas into the run and says how it ended. Provider failures (401, 429,
// timeouts, content filters, network) become an outcome with a ChatErrorCode; nothing here throws.
//
// The provider is driven through the AI SDK's model protocol directly (doStream, one reader): the SDK's streamText
// would add several web-stream stages and promises per token, which at a few hundred concurrent answers is most of
// the server's work. What it did for us is here: the prompt, one retry of a retryable failure before the first
// token (honouring Retry-After), a total and a between-chunks timeout, and usage and finish reason.
import { APICallError, LoadAPIKeyError, RetryError, type ModelMessage } from 'ai';
import type { LanguageModelV3, LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { Logger } from '../logger.ts';
import { estimateTokens, sleep } from './echo-model.ts';
import type { ChatErrorCode, TokenUsage } from './events.ts';
import type { Run } from './runs.ts';

export type Outcome =
  | { status: 'COMPLETE'; content: string; usage: TokenUsage }
  | { status: 'STOPPED'; content: string; usage: TokenUsage }
  | { status: 'FAILED'; content: string; usage: TokenUsage; code: ChatErrorCode; message: string };

export interface GenerateOptions {
  model: LanguageModelV3;
  system: string;
  messages: ModelMessage[];
  maxOutputTokens: number;
  timeoutMs: number;
  chunkTimeoutMs: number;
  logger: Logger;
}

const MESSAGES: Record<ChatErrorCode, string> = {
  PROVIDER_AUTH: 'The AI provider refused our credentials.',
  PROVIDER_RATE_LIMITED: 'The AI provider is rate limiting requests; try again shortly.',
  PROVIDER_TIMEOUT: 'The AI provider took too long to answer.',
  PROVIDER_UNAVAILABLE: 'The AI provider could not be reached.',
  CONTENT_FILTERED: "The AI provider's content filter stopped the answer.",
  PROVIDER_ERROR: 'The AI provider returned an error.',
  INTERRUPTED: 'The answer was interrupted because the server stopped.',
};

export const chatErrorMessage = (code: ChatErrorCode) => MESSAGES[code];

/** A provider error as a code; provider messages are logged, not shown (they can carry account details). */
export function mapProviderError(err: unknown): ChatErrorCode {
  if (RetryError.isInstance(err)) return mapProviderError(err.lastError);
  if (LoadAPIKeyError.isInstance(err)) return 'PROVIDER_AUTH';
  if (APICallError.isInstance(err)) {
    const s = err.statusCode;
    if (s === 401 || s === 403) return 'PROVIDER_AUTH';
    if (s === 429) return 'PROVIDER_RATE_LIMITED';
    if (s === 408 || s === 504) return 'PROVIDER_TIMEOUT';
    if (s == null || s >= 500) return 'PROVIDER_UNAVAILABLE';
    return 'PROVIDER_ERROR';
  }
  if (err instanceof Error && err.name === 'TimeoutError') return 'PROVIDER_TIMEOUT';
  return 'PROVIDER_ERROR';
}

/** The context as the provider protocol's prompt: the system prompt, then the text turns. */
function toPrompt(system: string, messages: ModelMessage[]): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = system ? [{ role: 'system', content: system }] : [];
  for (const m of messages) {
    const text = typeof m.content === 'string' ? m.content : m.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
    if (m.role === 'user') prompt.push({ role: 'user', content: [{ type: 'text', text }] });
    else if (m.role === 'assistant') prompt.push({ role: 'assistant', content: [{ type: 'text', text }] });
    else if (m.role === 'system') prompt.push({ role: 'system', content: text });
  }
  return prompt;
}

/** How long to wait before the one retry: the provider's Retry-After when it gives a usable one, else 2 s. */
function retryDelayMs(err: APICallError): number {
  const h = err.responseHeaders ?? {};
  let ms = h['retry-after-ms'] ? parseFloat(h['retry-after-ms']) : NaN;
  if (Number.isNaN(ms) && h['retry-after']) {
    const seconds = parseFloat(h['retry-after']);
    ms = Number.isNaN(seconds) ? Date.parse(h['retry-after']) - Date.now() : seconds * 1000;
  }
  return ms >= 0 && ms < 60_000 ? ms : 2_000;
}

const timeoutError = (what: string, ms: number) => new DOMException(`${what} timeout of ${ms}ms exceeded`, 'TimeoutError');

export async function generate(run: Run, o: GenerateOptions): Promise<Outcome> {
  let content = '';
  let reported: TokenUsage | null = null;
  let failure: unknown;
  let filtered = false;
  const estimated = (): TokenUsage => ({
    inputTokens: estimateTokens(o.system) + o.messages.reduce((n, m) => n + estimateTokens(JSON.stringify(m.content)), 0),
    outputTokens: estimateTokens(content),
  });
  // The provider's signal: the run's stop, the total time and the time between chunks, whichever fires first.
  const provider = new AbortController();
  const abort = (reason: unknown) => provider.signal.aborted || provider.abort(reason);
  const onStop = () => abort(run.signal.reason);
  if (run.signal.aborted) onStop();
  else run.signal.addEventListener('abort', onStop, { once: true });
  const total = setTimeout(() => abort(timeoutError('Total', o.timeoutMs)), o.timeoutMs);
  const quiet = setTimeout(() => abort(timeoutError('Chunk', o.chunkTimeoutMs)), o.chunkTimeoutMs);
  try {
    const prompt = toPrompt(o.system, o.messages);
    const call = () => o.model.doStream({ prompt, maxOutputTokens: o.maxOutputTokens, abortSignal: provider.signal });
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
          run.token(part.delta);
        } else if (part.type === 'error') {
          failure ??= part.error;
        } else if (part.type === 'finish') {
          const input = part.usage.inputTokens.total;
          const output = part.usage.outputTokens.total;
          if (input != null || output != null) reported = { inputTokens: input ?? 0, outputTokens: output ?? 0 };
          if (part.finishReason.unified === 'content-filter') filtered = true;
          if (part.finishReason.unified === 'error' && failure === undefined) failure = new Error('finish reason: error');
        }
      }
    } finally {
      provider.signal.removeEventListener('abort', cancel);
      reader.releaseLock();
    }
  } catch (err) {
    if (!provider.signal.aborted) failure ??= err;
  } finally {
    clearTimeout(total);
    clearTimeout(quiet);
    run.signal.removeEventListener('abort', onStop);
  }
  const usage = reported ?? estimated();
  if (provider.signal.aborted) {
    if (run.stopReason === 'user') return { status: 'STOPPED', content, usage };
    const code: ChatErrorCode = run.stopReason === 'shutdown' ? 'INTERRUPTED' : 'PROVIDER_TIMEOUT';
    return { status: 'FAILED', content, usage, code, message: MESSAGES[code] };
  }
  if (failure !== undefined) {
    const code = mapProviderError(failure);
    o.logger.warn('chat provider error', { messageId: run.messageId, code, error: failure });
    return { status: 'FAILED', content, usage, code, message: MESSAGES[code] };
  }
  if (filtered) return { status: 'FAILED', content, usage, code: 'CONTENT_FILTERED', message: MESSAGES.CONTENT_FILTERED };
  return { status: 'COMPLETE', content, usage };
}
