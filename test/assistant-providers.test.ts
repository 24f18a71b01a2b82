// A configured OpenAI-compatible provider (OPENAI_BASE_URL), against a small local server that speaks the Chat
// Completions protocol: streaming, usage reports, titles, auth errors, and a stop that closes the HTTP request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { ModelRegistry } from '../src/assistant/models.ts';
import { testConfig } from './helpers/server.ts';

const ProviderModels = graphql(`
  query ProviderModels {
    chatModels {
      id
      provider
      offline
      default
    }
  }
`);
const ProviderChat = graphql(`
  subscription ProviderChat($input: ChatInput!) {
    chat(input: $input) {
      __typename
      ... on ChatStarted {
        assistantMessageId
        session {
          id
        }
      }
      ... on ChatToken {
        index
        delta
      }
      ... on ChatCompleted {
        answer {
          content
          status
        }
        usage {
          inputTokens
          outputTokens
        }
      }
      ... on ChatStopped {
        answer {
          content
          status
        }
      }
      ... on ChatError {
        code
        answer {
          status
        }
      }
    }
  }
`);
const ProviderStop = graphql(`
  mutation ProviderStop($messageId: ID!) {
    stopChat(messageId: $messageId) {
      status
      content
    }
  }
`);
const ProviderTitle = graphql(`
  query ProviderTitle($id: ID!) {
    chatSession(id: $id) {
      title
    }
  }
`);

type Event = { __typename?: string; [k: string]: unknown };

/** A minimal OpenAI-compatible server: models "ok", "e401" and "slow" (one word, then waits for the client to go). */
function fakeProvider() {
  const requests: { auth: string | undefined; body: Record<string, unknown> }[] = [];
  let slowClosed!: () => void;
  const closed = new Promise<void>((r) => (slowClosed = r));
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || '{}') as { model: string; stream?: boolean };
    requests.push({ auth: req.headers.authorization, body });
    if (body.model === 'e401') {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'Incorrect API key provided: sk-***', type: 'invalid_request_error' } }));
    }
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          id: 't',
          object: 'chat.completion',
          created: 1,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'Counting words' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      send({
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: body.model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    if (body.model === 'slow') {
      chunk({ content: 'Thinking' });
      res.on('close', () => slowClosed());
      return;
    }
    for (const w of ['one', ' two', ' three']) chunk({ content: w });
    chunk({}, 'stop');
    send({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: body.model,
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
    });
    res.end('data: [DONE]\n\n');
  });
  return { server, requests, slowClosed: closed };
}

async function events(sub: Subscription<unknown>): Promise<Event[]> {
  const out: Event[] = [];
  for (;;) {
    const r = await sub.next(10_000);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    const e = (r.data as { chat: Event }).chat;
    out.push(e);
    if (['ChatCompleted', 'ChatStopped', 'ChatError'].includes(String(e.__typename))) return out;
  }
}

describe('an OpenAI-compatible provider', () => {
  const fake = fakeProvider();
  let s: TestServer;
  beforeAll(async () => {
    await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
    const port = (fake.server.address() as AddressInfo).port;
    s = await startServer({
      OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
      OPENAI_API_KEY: 'test-key',
      OPENAI_COMPATIBLE_MODELS: 'ok, e401, slow',
    });
  });
  afterAll(async () => {
    await s?.stop();
    fake.server.closeAllConnections();
    await new Promise((r) => fake.server.close(r));
  });

  it('is listed and is the default, beside parley-echo', async () => {
    const { chatModels } = await s.ok(ProviderModels);
    expect(chatModels).toEqual([
      { id: 'local:ok', provider: 'openai-compatible', offline: false, default: true },
      { id: 'local:e401', provider: 'openai-compatible', offline: false, default: false },
      { id: 'local:slow', provider: 'openai-compatible', offline: false, default: false },
      { id: 'parley-echo', provider: 'parley', offline: true, default: false },
    ]);
  });

  it('streams an answer with reported usage and a model-written title', async () => {
    const u = await s.user();
    const got = await events(
      subscribe(s.ws({ token: u.token }), ProviderChat, { input: { message: 'count to three' } }) as Subscription<unknown>,
    );
    const text = got
      .filter((e) => e.__typename === 'ChatToken')
      .map((e) => e.delta)
      .join('');
    expect(text).toBe('one two three');
    // 7 + 5 for the answer, 3 + 2 for the title.
    expect(got.at(-1)).toEqual({
      __typename: 'ChatCompleted',
      answer: { content: 'one two three', status: 'COMPLETE' },
      usage: { inputTokens: 10, outputTokens: 7 },
    });
    const sessionId = (got[0] as { session: { id: string } }).session.id;
    expect((await s.ok(ProviderTitle, { id: sessionId }, { token: u.token })).chatSession.title).toBe('Counting words');
    const streamed = fake.requests.find((r) => r.body.stream === true)!;
    expect(streamed.auth).toBe('Bearer test-key');
    expect(streamed.body.stream_options).toEqual({ include_usage: true });
  });

  it('maps a 401 to PROVIDER_AUTH', async () => {
    const u = await s.user();
    const got = await events(
      subscribe(s.ws({ token: u.token }), ProviderChat, { input: { message: 'hi', model: 'local:e401' } }) as Subscription<unknown>,
    );
    expect(got.at(-1)).toEqual({ __typename: 'ChatError', code: 'PROVIDER_AUTH', answer: { status: 'FAILED' } });
  });

  it('closes the HTTP request to the provider when stopped', async () => {
    const u = await s.user();
    const sub = subscribe(s.ws({ token: u.token }), ProviderChat, {
      input: { message: 'hi', model: 'local:slow', title: 'No title call' },
    });
    const started = (await sub.next()).data!.chat as { assistantMessageId: string };
    expect((await sub.next()).data!.chat).toEqual({ __typename: 'ChatToken', index: 0, delta: 'Thinking' });
    const { stopChat } = await s.ok(ProviderStop, { messageId: started.assistantMessageId }, { token: u.token });
    expect(stopChat).toEqual({ status: 'STOPPED', content: 'Thinking' });
    await fake.slowClosed;
  });
});

describe('model configuration', () => {
  it('registers every configured provider and checks CHAT_DEFAULT_MODEL', () => {
    const registry = new ModelRegistry(
      testConfig({
        ANTHROPIC_API_KEY: 'a',
        ANTHROPIC_MODELS: 'claude-x',
        OPENAI_API_KEY: 'o',
        OPENAI_MODELS: 'gpt-x,gpt-y',
        CHAT_DEFAULT_MODEL: 'openai:gpt-y',
      }),
    );
    expect(registry.list().map((m) => m.id)).toEqual(['anthropic:claude-x', 'openai:gpt-x', 'openai:gpt-y', 'parley-echo']);
    expect(registry.defaultId).toBe('openai:gpt-y');
    expect(() => new ModelRegistry(testConfig({ CHAT_DEFAULT_MODEL: 'gpt-9' }))).toThrow(
      /CHAT_DEFAULT_MODEL="gpt-9" is not a configured model/,
    );
  });
});
