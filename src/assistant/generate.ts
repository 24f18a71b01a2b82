// One model call for a run: streams deltas into the run and says how it ended. Provider failures (401, 429,
// timeouts, content filters, network) become an outcome with a ChatErrorCode; nothing here throws.
import { APICallError, LoadAPIKeyError, RetryError, streamText, type LanguageModel, type ModelMessage } from 'ai';
import type { Logger } from '../logger.ts';
import { estimateTokens } from './echo-model.ts';
import type { ChatErrorCode, TokenUsage } from './events.ts';
import type { Run } from './runs.ts';

export type Outcome =
  | { status: 'COMPLETE'; content: string; usage: TokenUsage }
  | { status: 'STOPPED'; content: string; usage: TokenUsage }
  | { status: 'FAILED'; content: string; usage: TokenUsage; code: ChatErrorCode; message: string };

export interface GenerateOptions {
  model: Exclude<LanguageModel, string>;
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

export async function generate(run: Run, o: GenerateOptions): Promise<Outcome> {
  let content = '';
  let reported: TokenUsage | null = null;
  let failure: unknown;
  let filtered = false;
  let aborted = false;
  const estimated = (): TokenUsage => ({
    inputTokens: estimateTokens(o.system) + o.messages.reduce((n, m) => n + estimateTokens(JSON.stringify(m.content)), 0),
    outputTokens: estimateTokens(content),
  });
  try {
    const result = streamText({
      model: o.model,
      system: o.system,
      messages: o.messages,
      abortSignal: run.signal,
      maxOutputTokens: o.maxOutputTokens,
      maxRetries: 1,
      timeout: { totalMs: o.timeoutMs, chunkMs: o.chunkTimeoutMs },
      onError: () => {}, // failures are read from the stream below; the default would print to stderr
    });
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') {
        content += part.text;
        run.token(part.text);
      } else if (part.type === 'error') {
        failure ??= part.error;
      } else if (part.type === 'abort') {
        aborted = true;
      } else if (part.type === 'finish') {
        const u = part.totalUsage;
        if (u.inputTokens != null || u.outputTokens != null) reported = { inputTokens: u.inputTokens ?? 0, outputTokens: u.outputTokens ?? 0 };
        if (part.finishReason === 'content-filter') filtered = true;
        if (part.finishReason === 'error' && failure === undefined) failure = new Error('finish reason: error');
      }
    }
  } catch (err) {
    if (run.signal.aborted) aborted = true;
    else failure ??= err;
  }
  const usage = reported ?? estimated();
  if (aborted || run.signal.aborted) {
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
