// `parley-echo`: a built-in offline language model. It needs no key and no network, answers deterministically, streams
// word by word with a small delay and stops the moment its AbortSignal fires, so `npm start` gives a working
// streaming chat out of the box and tests are reproducible. It speaks the AI SDK's provider protocol (v3), so the
// rest of the assistant treats it exactly like Anthropic or OpenAI.
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';

export const ECHO_MODEL_ID = 'parley-echo';

/** About four characters per token: the estimate used wherever a provider reports no usage. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

const usageOf = (input: number, output: number): LanguageModelV3Usage => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

// The AI SDK recognises an abort only by the error's name; rejecting with the raw reason would look like a failure.
const abortError = (signal: AbortSignal) =>
  signal.reason instanceof Error && (signal.reason.name === 'AbortError' || signal.reason.name === 'TimeoutError')
    ? signal.reason
    : new DOMException('The operation was aborted', 'AbortError');

/** Waits `ms`; rejects with an AbortError as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const textOf = (content: LanguageModelV3Prompt[number]['content']) =>
  typeof content === 'string' ? content : content.map((p) => (p.type === 'text' ? p.text : '')).join('');

function lastUserText(prompt: LanguageModelV3Prompt): string {
  for (let i = prompt.length - 1; i >= 0; i--) if (prompt[i].role === 'user') return textOf(prompt[i].content);
  return '';
}

export class EchoModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'parley';
  readonly modelId = ECHO_MODEL_ID;
  readonly supportedUrls: Record<string, RegExp[]> = {};

  constructor(private readonly delayMs: number) {}

  /** The reply to a prompt: the user's words, echoed, then a fixed sentence. Same prompt, same reply. */
  static reply(message: string): string {
    const said = message.replace(/\s+/g, ' ').trim();
    return `You said: "${said}". This is parley-echo, the built-in offline model; configure a provider for real answers.`;
  }

  private answer(o: LanguageModelV3CallOptions) {
    let words = EchoModel.reply(lastUserText(o.prompt)).split(' ');
    let finish: 'stop' | 'length' = 'stop';
    if (o.maxOutputTokens != null && words.length > o.maxOutputTokens) {
      words = words.slice(0, o.maxOutputTokens);
      finish = 'length';
    }
    const input = o.prompt.reduce((n, m) => n + estimateTokens(textOf(m.content)), 0);
    return { words, finish, input };
  }

  async doGenerate(o: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { words, finish, input } = this.answer(o);
    const text = words.join(' ');
    return {
      content: [{ type: 'text', text }],
      finishReason: { unified: finish, raw: finish },
      usage: usageOf(input, estimateTokens(text)),
      warnings: [],
    };
  }

  async doStream(o: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const { words, finish, input } = this.answer(o);
    const { delayMs } = this;
    const signal = o.abortSignal;
    let i = 0;
    let output = 0;
    // Each part is due a fixed time after the call (one every delayMs), as a remote provider's arrive whatever the
    // server is doing: a busy event loop reads them late and then catches up, it does not slow the model down.
    let due = performance.now();
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start(c) {
        c.enqueue({ type: 'stream-start', warnings: [] });
        c.enqueue({ type: 'response-metadata', modelId: ECHO_MODEL_ID, timestamp: new Date() });
        c.enqueue({ type: 'text-start', id: '0' });
      },
      async pull(c) {
        try {
          due += delayMs;
          await sleep(Math.max(0, due - performance.now()), signal);
        } catch (err) {
          c.error(err);
          return;
        }
        if (i < words.length) {
          const delta = (i === 0 ? '' : ' ') + words[i++];
          output += estimateTokens(delta);
          c.enqueue({ type: 'text-delta', id: '0', delta });
        } else {
          c.enqueue({ type: 'text-end', id: '0' });
          c.enqueue({ type: 'finish', finishReason: { unified: finish, raw: finish }, usage: usageOf(input, output) });
          c.close();
        }
      },
    });
    return { stream };
  }
}
