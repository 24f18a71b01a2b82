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

/** How a text file travels in a user message: this header line, its text, then FILE_TEXT_END (see chat-files.ts). */
export const fileTextHeader = (name: string, mediaType: string, bytes: number) =>
  `<file name="${name.replace(/["\n\r]/g, "'")}" type="${mediaType}" size="${bytes}">`;
export const FILE_TEXT_END = '</file>';
const FILE_TEXT = /^<file name="([^"]*)" type="([^"]*)" size="(\d+)">/;

/** "an image (image/png, 12 KiB, cat.png)": what parley-echo says of a file it was sent. */
export function describeAttachment(mediaType: string, bytes: number, name: string | undefined): string {
  const what = mediaType.startsWith('image/') ? 'an image' : 'a file';
  return `${what} (${mediaType}, ${Math.max(1, Math.ceil(bytes / 1024))} KiB${name ? `, ${name}` : ''})`;
}

const sizeOf = (data: unknown) =>
  data instanceof Uint8Array ? data.length : typeof data === 'string' ? Math.floor((data.length * 3) / 4) : 0;

/** The user's last message: what they said (text files apart) and what they attached, described. */
function lastUser(prompt: LanguageModelV3Prompt): { said: string; attached: string[]; index: number } {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const m = prompt[i];
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return { said: m.content, attached: [], index: i };
    let said = '';
    const attached: string[] = [];
    for (const p of m.content) {
      const file = p.type === 'text' ? FILE_TEXT.exec(p.text) : null;
      if (file) attached.push(describeAttachment(file[2], Number(file[3]), file[1]).replace(/^a file/, 'a text file'));
      else if (p.type === 'text') said += p.text;
      else if (p.type === 'file') attached.push(describeAttachment(p.mediaType, sizeOf(p.data), p.filename));
    }
    return { said, attached, index: i };
  }
  return { said: '', attached: [], index: -1 };
}

/** A list in prose: "a", "a and b", "a, b and c". */
const prose = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

/** What one call of parley-echo streams: reasoning, then text, or one tool call. */
interface Script {
  reasoning: string[];
  words: string[];
  toolCall: { toolName: string; input: string } | null;
}

const THINKING = ['Thinking', ' about', ' your', ' message…'];

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

  /**
   * What to answer. `/tool <name> <json>` calls that tool; once the prompt holds its result (a tool message after the
   * user's), the result is echoed. `/think` streams some reasoning first. Anything else is echoed as it always was.
   */
  private script(prompt: LanguageModelV3Prompt): Script {
    const user = lastUser(prompt);
    const results = prompt.slice(user.index + 1).flatMap((m) => (m.role === 'tool' ? m.content : []));
    if (results.length) {
      const said = results.map((r) =>
        r.type === 'tool-result'
          ? `${r.toolName} ${r.output.type.startsWith('error') ? 'failed' : 'returned'}: ${JSON.stringify('value' in r.output ? r.output.value : null)}`
          : '',
      );
      return { reasoning: [], words: `Tool ${said.join('; ')}`.split(' '), toolCall: null };
    }
    const tool = /^\/tool\s+(\S+)\s*([\s\S]*)$/.exec(user.said.trim());
    if (tool) return { reasoning: [], words: [], toolCall: { toolName: tool[1], input: tool[2].trim() || '{}' } };
    let reply = EchoModel.reply(user.said);
    if (user.attached.length) reply += ` You attached ${prose(user.attached)}.`;
    return { reasoning: /^\/think\b/.test(user.said.trim()) ? THINKING : [], words: reply.split(' '), toolCall: null };
  }

  private answer(o: LanguageModelV3CallOptions) {
    const script = this.script(o.prompt);
    let words = script.words;
    let finish: 'stop' | 'length' | 'tool-calls' = script.toolCall ? 'tool-calls' : 'stop';
    if (o.maxOutputTokens != null && words.length > o.maxOutputTokens) {
      words = words.slice(0, o.maxOutputTokens);
      finish = 'length';
    }
    const input = o.prompt.reduce((n, m) => n + estimateTokens(textOf(m.content)), 0);
    return { ...script, words, finish, input };
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
    const { words, reasoning, toolCall, finish, input } = this.answer(o);
    const { delayMs } = this;
    const signal = o.abortSignal;
    let output = 0;
    // One batch of parts per tick: the reasoning's deltas, then each word, then the end.
    const ticks: LanguageModelV3StreamPart[][] = reasoning.map((delta) => [{ type: 'reasoning-delta', id: 'r', delta }]);
    if (reasoning.length) ticks.push([{ type: 'reasoning-end', id: 'r' }]);
    if (toolCall) {
      const toolCallId = `echo-call-${o.prompt.filter((m) => m.role === 'tool').length + 1}`;
      ticks.push([{ type: 'tool-call', toolCallId, ...toolCall }]);
    }
    words.forEach((w, i) => {
      const delta = (i === 0 ? '' : ' ') + w;
      ticks.push([
        ...(i === 0 && reasoning.length ? [{ type: 'text-start' as const, id: '0' }] : []),
        { type: 'text-delta', id: '0', delta },
      ]);
    });
    ticks.push([
      ...(words.length ? [{ type: 'text-end' as const, id: '0' }] : []),
      { type: 'finish', finishReason: { unified: finish, raw: finish }, usage: usageOf(input, 0) },
    ]);
    // Each part is due a fixed time after the call (one every delayMs), as a remote provider's arrive whatever the
    // server is doing: a busy event loop reads them late and then catches up, it does not slow the model down.
    let due = performance.now();
    let i = 0;
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start(c) {
        c.enqueue({ type: 'stream-start', warnings: [] });
        c.enqueue({ type: 'response-metadata', modelId: ECHO_MODEL_ID, timestamp: new Date() });
        if (reasoning.length) c.enqueue({ type: 'reasoning-start', id: 'r' });
        else if (words.length) c.enqueue({ type: 'text-start', id: '0' });
      },
      async pull(c) {
        try {
          due += delayMs;
          await sleep(Math.max(0, due - performance.now()), signal);
        } catch (err) {
          c.error(err);
          return;
        }
        for (const part of ticks[i++]) {
          if (part.type === 'text-delta' || part.type === 'reasoning-delta') output += estimateTokens(part.delta);
          if (part.type === 'finish') c.enqueue({ ...part, usage: usageOf(input, output) });
          else c.enqueue(part);
        }
        if (i >= ticks.length) c.close();
      },
    });
    return { stream };
  }
}
