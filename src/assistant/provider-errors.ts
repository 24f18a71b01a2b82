// How a provider's failure reads: a ChatErrorCode with its message (provider messages are logged, never shown: they
// can carry account details), and how long to wait before the one retry a retryable failure gets.
import { APICallError, LoadAPIKeyError, RetryError } from 'ai';
import type { ChatErrorCode } from './events.ts';

export const MESSAGES: Record<ChatErrorCode, string> = {
  PROVIDER_AUTH: 'The AI provider refused our credentials.',
  PROVIDER_RATE_LIMITED: 'The AI provider is rate limiting requests; try again shortly.',
  PROVIDER_TIMEOUT: 'The AI provider took too long to answer.',
  PROVIDER_UNAVAILABLE: 'The AI provider could not be reached.',
  CONTENT_FILTERED: "The AI provider's content filter stopped the answer.",
  PROVIDER_ERROR: 'The AI provider returned an error.',
  INTERRUPTED: 'The answer was interrupted because the server stopped.',
};

export const chatErrorMessage = (code: ChatErrorCode) => MESSAGES[code];

/** A provider error as a code. */
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

/** How long to wait before the one retry: the provider's Retry-After when it gives a usable one, else 2 s. */
export function retryDelayMs(err: APICallError): number {
  const h = err.responseHeaders ?? {};
  let ms = h['retry-after-ms'] ? parseFloat(h['retry-after-ms']) : NaN;
  if (Number.isNaN(ms) && h['retry-after']) {
    const seconds = parseFloat(h['retry-after']);
    ms = Number.isNaN(seconds) ? Date.parse(h['retry-after']) - Date.now() : seconds * 1000;
  }
  return ms >= 0 && ms < 60_000 ? ms : 2_000;
}

export const timeoutError = (what: string, ms: number) => new DOMException(`${what} timeout of ${ms}ms exceeded`, 'TimeoutError');
