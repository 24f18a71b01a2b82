// AI chat test helpers: scripted AI SDK mock models (a provider, not a mock of Parley), registering them on a server,
// reading a chat subscription to its end, and an SSE reader.
import { MockLanguageModelV3 } from 'ai/test';
import { APICallError, simulateReadableStream } from 'ai';
import type { LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { TestServer } from './server.ts';
import { subscribe, type Subscription } from './ws.ts';

export const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
});

const finish = (input: number, output: number, reason: 'stop' | 'content-filter' = 'stop'): LanguageModelV3StreamPart => ({
  type: 'finish',
  finishReason: { unified: reason, raw: reason },
  usage: usage(input, output),
});

/** A model that streams `words` and reports the given usage; `generate` answers doGenerate (titles). */
export function scriptedModel(
  words: string[],
  opts: { input?: number; output?: number; generate?: string; reason?: 'stop' | 'content-filter' } = {},
) {
  return new MockLanguageModelV3({
    doStream: async () => ({
      stream: simulateReadableStream<LanguageModelV3StreamPart>({
        chunkDelayInMs: null,
        chunks: [...textParts(words), { type: 'text-end', id: 't' }, finish(opts.input ?? 10, opts.output ?? 20, opts.reason)],
      }),
    }),
    doGenerate: async () => ({
      content: [{ type: 'text', text: opts.generate ?? '' }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: usage(5, 3),
      warnings: [],
    }),
  });
}

/**
 * A model that streams `before` at once, then waits for `release()` before streaming `after`. It honours its
 * AbortSignal like a real provider (the stream errors with an AbortError) and records that it saw the abort.
 */
export function gatedModel(before: string[], after: string[]) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const seen = { aborted: false, calls: [] as LanguageModelV3CallOptions[] };
  let onAbort!: () => void;
  const abortSeen = new Promise<void>((r) => (onAbort = r));
  const model = new MockLanguageModelV3({
    doStream: async (options) => {
      seen.calls.push(options);
      const signal = options.abortSignal;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        async start(c) {
          c.enqueue({ type: 'stream-start', warnings: [] });
          c.enqueue({ type: 'text-start', id: 't' });
          for (const w of before) c.enqueue({ type: 'text-delta', id: 't', delta: w });
          const aborted = new Promise<'aborted'>((r) => {
            if (signal?.aborted) r('aborted');
            signal?.addEventListener('abort', () => r('aborted'), { once: true });
          });
          if ((await Promise.race([gate.then(() => 'go' as const), aborted])) === 'aborted') {
            seen.aborted = true;
            onAbort();
            c.error(new DOMException('The operation was aborted', 'AbortError'));
            return;
          }
          for (const w of after) c.enqueue({ type: 'text-delta', id: 't', delta: w });
          c.enqueue({ type: 'text-end', id: 't' });
          c.enqueue(finish(7, before.length + after.length));
          c.close();
        },
      });
      return { stream };
    },
  });
  return { model, release, seen, abortSeen };
}

/** A model whose request fails like an HTTP provider answering `status`. */
export function failingModel(status: number) {
  return new MockLanguageModelV3({
    doStream: async () => {
      throw new APICallError({
        message: `HTTP ${status}`,
        url: 'https://provider.example/v1/chat',
        requestBodyValues: {},
        statusCode: status,
        responseHeaders: { 'retry-after-ms': '1' },
      });
    },
  });
}

/** A model that streams some words, then an error part (a failure mid-answer). */
export function brokenMidStreamModel(words: string[]) {
  return new MockLanguageModelV3({
    doStream: async () => ({
      stream: simulateReadableStream<LanguageModelV3StreamPart>({
        chunkDelayInMs: null,
        chunks: [...textParts(words), { type: 'error', error: new Error('upstream connection reset') }],
      }),
    }),
  });
}

/** A model that sends one word and then nothing (for chunk timeouts). */
export function stallingModel(word: string) {
  return new MockLanguageModelV3({
    doStream: async ({ abortSignal }) => ({
      stream: new ReadableStream<LanguageModelV3StreamPart>({
        start(c) {
          c.enqueue({ type: 'stream-start', warnings: [] });
          c.enqueue({ type: 'text-start', id: 't' });
          c.enqueue({ type: 'text-delta', id: 't', delta: word });
          abortSignal?.addEventListener('abort', () => c.error(abortSignal.reason), { once: true });
        },
      }),
    }),
  });
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** POSTs a GraphQL subscription asking for text/event-stream; resolves with every event once the stream completes. */
export async function sse(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const events: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trim());
    }
    const raw = data.join('\n');
    if (raw || event !== 'message') events.push({ event, data: raw ? JSON.parse(raw) : null });
  }
  return { status: res.status, contentType: res.headers.get('content-type'), events };
}

/** The opening of a streamed text answer: stream start, then one text delta per word. */
function textParts(words: string[]): LanguageModelV3StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't' },
    ...words.map((w): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't', delta: w })),
  ];
}

export type Event = { __typename?: string; [k: string]: unknown };
export const terminal = (e: Event) => ['ChatCompleted', 'ChatStopped', 'ChatError'].includes(String(e.__typename));

/** The next event of a `chat` or `chatStream` subscription (its errors thrown). */
export async function nextEvent(sub: Subscription<unknown>): Promise<Event> {
  const r = await sub.next(10_000);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  const data = r.data as { chat?: Event; chatStream?: Event };
  return (data.chat ?? data.chatStream)!;
}

/** Events up to and including the terminal one (ChatCompleted, ChatStopped or ChatError). */
export async function rest(sub: Subscription<unknown>): Promise<Event[]> {
  const out: Event[] = [];
  for (;;) {
    const e = await nextEvent(sub);
    out.push(e);
    if (terminal(e)) return out;
  }
}

let registered = 0;
/** Registers `model` on the server under a fresh id (offered to chat as `model`), and returns the id. */
export const register = (
  s: TestServer,
  model: Parameters<TestServer['app']['services']['assistant']['models']['register']>[1],
  titles = false,
) => {
  const id = `mock-${registered++}`;
  s.services().assistant.models.register(id, model, { titles });
  return id;
};

/** Every event type of a chat, with the answer's parts: what the tools, files and branches tests read. */
export const CHAT_EVENT_FIELDS = `__typename
  ... on ChatStarted { assistantMessageId session { id } userMessage { id content parentId parts { type text attachmentId mediaType filename } } }
  ... on ChatToken { index delta }
  ... on ChatReasoning { index delta }
  ... on ChatToolCall { index toolCallId name input }
  ... on ChatToolResult { index toolCallId output isError }
  ... on ChatCompleted { answer { id content status parentId parts { type text toolCallId toolName input output isError } } }
  ... on ChatStopped { answer { id content status } }
  ... on ChatError { code message answer { id content status } }`;

export const CHAT_ALL = `subscription($input: ChatInput!) { chat(input: $input) { ${CHAT_EVENT_FIELDS} } }`;
export const CHAT_STREAM_ALL = `subscription($id: ID!, $after: Int) { chatStream(messageId: $id, afterIndex: $after) { ${CHAT_EVENT_FIELDS} } }`;

type Refusal = { errors: readonly { message: string; extensions?: Record<string, unknown> }[] };

/** A chat to its final event (ChatStarted first), or the errors it was refused with. */
export async function chatOnce(s: TestServer, input: Record<string, unknown>, user?: { token: string; clientId?: string } | null) {
  const sub = subscribe(s.ws({ token: user?.token ?? null, clientId: user?.clientId }), CHAT_ALL, { input }) as Subscription<unknown>;
  const first = await sub.next(10_000);
  if (first.errors) return { errors: first.errors, events: [] as Event[] } as Refusal & { events: Event[] };
  const started = (first.data as { chat: Event }).chat;
  return { errors: undefined, events: [started, ...(await rest(sub))] };
}

/**
 * A model that calls tools as scripted: each entry of `steps` is one call's tool calls (name and input), and once
 * they run out it answers `final` as text. It records every call (`doStreamCalls`).
 */
export function toolCallingModel(steps: { name: string; input: unknown }[][], final: string[], opts: { reasoning?: string[] } = {}) {
  let call = 0;
  return new MockLanguageModelV3({
    doStream: async () => {
      const calls = steps[call++];
      const chunks: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      for (const delta of opts.reasoning ?? []) chunks.push({ type: 'reasoning-delta', id: 'r', delta });
      if (calls) {
        calls.forEach((c, i) =>
          chunks.push({ type: 'tool-call', toolCallId: `call-${call}-${i}`, toolName: c.name, input: JSON.stringify(c.input) }),
        );
        chunks.push({ type: 'finish', finishReason: { unified: 'tool-calls', raw: 'tool_use' }, usage: usage(10, 5) });
      } else {
        chunks.push(...final.map((w): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't', delta: w })));
        chunks.push(finish(10, final.length));
      }
      return { stream: simulateReadableStream({ chunkDelayInMs: null, chunks }) };
    },
  });
}
