// The final events of an answer as a new client selects them: one document, no aliases, for ChatCompleted,
// ChatStopped and ChatError alike (`answer` in all three; ChatError's `message` is its explanation).
import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { brokenMidStreamModel, gatedModel } from './helpers/chat.ts';

const FINAL_EVENTS = `
    __typename
    ... on ChatStarted { assistantMessageId }
    ... on ChatToken { index delta }
    ... on ChatCompleted { answer { content } }
    ... on ChatStopped { answer { content } }
    ... on ChatError { code message answer { content } }`;

/** The natural `chat` document: the input written inline, every final event selected as it is named. */
const naturalChat = (message: string, model?: string) =>
  `subscription { chat(input: { message: ${JSON.stringify(message)}${model ? `, model: ${JSON.stringify(model)}` : ''} }) { ${FINAL_EVENTS} } }`;
const naturalStream = (messageId: string) => `subscription { chatStream(messageId: ${JSON.stringify(messageId)}) { ${FINAL_EVENTS} } }`;

type Event = { __typename: string; assistantMessageId?: string; delta?: string; [k: string]: unknown };
type Chat = { chat?: Event; chatStream?: Event };

async function nextEvent(sub: Subscription<Chat>): Promise<Event> {
  const r = await sub.next(10_000);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return (r.data!.chat ?? r.data!.chatStream)!;
}

async function untilFinal(sub: Subscription<Chat>): Promise<Event[]> {
  const events: Event[] = [];
  for (;;) {
    const e = await nextEvent(sub);
    events.push(e);
    if (['ChatCompleted', 'ChatStopped', 'ChatError'].includes(e.__typename)) return events;
  }
}

let n = 0;
const register = (s: TestServer, model: Parameters<ReturnType<TestServer['services']>['assistant']['models']['register']>[1]) => {
  const id = `natural-${n++}`;
  s.services().assistant.models.register(id, model, { titles: false });
  return id;
};

describe('chat final events in one document', () => {
  const server = useServer({ CHAT_ECHO_DELAY_MS: '1' });

  it('validates against the published schema without aliases (no "Fields conflict")', () => {
    const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
    expect(validate(schema, parse(naturalChat('Hi'))).map((e) => e.message)).toEqual([]);
    expect(validate(schema, parse(naturalStream('x'))).map((e) => e.message)).toEqual([]);
  });

  it('streams a completed answer to the natural document', async () => {
    const s = server();
    const u = await s.user();
    const events = await untilFinal(subscribe<Chat, Record<string, never>>(s.ws({ token: u.token }), naturalChat('Hello there')));
    const text = events
      .filter((e) => e.__typename === 'ChatToken')
      .map((e) => e.delta)
      .join('');
    expect(text.length).toBeGreaterThan(0);
    expect(events.at(-1)).toEqual({ __typename: 'ChatCompleted', answer: { content: text } });
  });

  it('ends a stopped answer with ChatStopped carrying the partial answer', async () => {
    const s = server();
    const u = await s.user();
    const g = gatedModel(['Half', ' of it'], [' and the rest']);
    const sub = subscribe<Chat, Record<string, never>>(s.ws({ token: u.token }), naturalChat('stop me', register(s, g.model)));
    const { assistantMessageId } = await nextEvent(sub);
    expect([await nextEvent(sub), await nextEvent(sub)].map((e) => e.delta).join('')).toBe('Half of it');
    await s.ok('mutation($id: ID!) { stopChat(messageId: $id) { status } }', { id: assistantMessageId }, { token: u.token });
    expect(await nextEvent(sub)).toEqual({ __typename: 'ChatStopped', answer: { content: 'Half of it' } });
  });

  it('ends a failed answer with ChatError: code, explanation and the partial answer, live and when followed later', async () => {
    const s = server();
    const u = await s.user();
    const model = register(s, brokenMidStreamModel(['partial', ' answer']));
    const events = await untilFinal(subscribe<Chat, Record<string, never>>(s.ws({ token: u.token }), naturalChat('fail please', model)));
    const failed = { __typename: 'ChatError', code: 'PROVIDER_ERROR', message: expect.any(String), answer: { content: 'partial answer' } };
    expect(events.at(-1)).toEqual(failed);
    expect(String(events.at(-1)!.message).length).toBeGreaterThan(0);

    const followed = await untilFinal(
      subscribe<Chat, Record<string, never>>(s.ws({ token: u.token }), naturalStream(events[0].assistantMessageId!)),
    );
    expect(followed.at(-1)).toEqual(failed);
  });
});
