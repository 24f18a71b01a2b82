// Two Parley instances sharing one database and one Redis: an answer generated on A can be followed and stopped
// from B. Runs only with TEST_REDIS_URL (without Redis there is a single instance by definition).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { subscribe, type Subscription } from './helpers/ws.ts';
import { gatedModel } from './helpers/chat.ts';

// The fragment the documents below spread: codegen reads it from this call, nothing uses its value.
graphql(`
  fragment ClusterEventFields on ChatEvent {
    __typename
    ... on ChatStarted {
      assistantMessageId
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
    }
    ... on ChatStopped {
      answer {
        content
        status
      }
    }
    ... on ChatError {
      code
    }
  }
`);
const ClusterChat = graphql(`
  subscription ClusterChat($input: ChatInput!) {
    chat(input: $input) {
      ...ClusterEventFields
    }
  }
`);
const ClusterStream = graphql(`
  subscription ClusterStream($messageId: ID!, $afterIndex: Int) {
    chatStream(messageId: $messageId, afterIndex: $afterIndex) {
      ...ClusterEventFields
    }
  }
`);
const ClusterStop = graphql(`
  mutation ClusterStop($messageId: ID!) {
    stopChat(messageId: $messageId) {
      status
      content
    }
  }
`);

type Event = { __typename?: string; [k: string]: unknown };
async function next(sub: Subscription<unknown>): Promise<Event> {
  const r = await sub.next(10_000);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  const data = r.data as { chat?: Event; chatStream?: Event };
  return (data.chat ?? data.chatStream)!;
}

describe.skipIf(!process.env.TEST_REDIS_URL)('assistant across instances (Redis)', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const prefix = `test:cluster:${process.pid}:${Date.now()}:`;
    a = await startServer({ REDIS_PREFIX: prefix });
    b = await startServer({ REDIS_PREFIX: prefix }, { db: a.db });
  });
  afterAll(async () => {
    await b?.app.stop();
    await a?.stop();
  });

  let n = 0;
  const startOnA = (token: string | undefined, g: ReturnType<typeof gatedModel>) => {
    const id = `cluster-${n++}`;
    a.services().assistant.models.register(id, g.model);
    return subscribe(a.ws({ token }), ClusterChat, { input: { message: 'hi', model: id } }) as Subscription<unknown>;
  };

  it('follows an answer generated on another instance: replay, then live, no gap, no duplicate', async () => {
    const u = await a.user();
    const g = gatedModel(['t0', 't1', 't2'], ['t3', 't4']);
    const onA = startOnA(u.token, g);
    const { assistantMessageId } = (await next(onA)) as { assistantMessageId: string };
    for (let i = 0; i < 3; i++) await next(onA);

    const onB = subscribe(b.ws({ token: u.token }), ClusterStream, {
      messageId: assistantMessageId,
      afterIndex: 0,
    }) as Subscription<unknown>;
    expect([await next(onB), await next(onB)]).toEqual([
      { __typename: 'ChatToken', index: 1, delta: 't1' },
      { __typename: 'ChatToken', index: 2, delta: 't2' },
    ]);
    g.release();
    expect([await next(onB), await next(onB), await next(onB)]).toEqual([
      { __typename: 'ChatToken', index: 3, delta: 't3' },
      { __typename: 'ChatToken', index: 4, delta: 't4' },
      { __typename: 'ChatCompleted', answer: { content: 't0t1t2t3t4', status: 'COMPLETE' } },
    ]);
    await onB.ended();
  });

  it('stops from another instance: the owning instance aborts the model and saves the partial answer', async () => {
    const u = await a.user();
    const g = gatedModel(['partial', ' words'], [' never sent']);
    const onA = startOnA(u.token, g);
    const { assistantMessageId } = (await next(onA)) as { assistantMessageId: string };
    await next(onA);
    await next(onA);
    const { stopChat } = await b.ok(ClusterStop, { messageId: assistantMessageId }, { token: u.token });
    expect(stopChat).toEqual({ status: 'STOPPED', content: 'partial words' });
    expect(await next(onA)).toEqual({ __typename: 'ChatStopped', answer: { content: 'partial words', status: 'STOPPED' } });
    expect(g.seen.aborted).toBe(true);
  });

  it("follows and stops a guest's answer from another instance by its id", async () => {
    const g = gatedModel(['guest'], [' rest']);
    const onA = startOnA(undefined, g);
    const { assistantMessageId } = (await next(onA)) as { assistantMessageId: string };
    await next(onA);
    const onB = subscribe(b.ws(), ClusterStream, { messageId: assistantMessageId }) as Subscription<unknown>;
    expect(await next(onB)).toEqual({ __typename: 'ChatToken', index: 0, delta: 'guest' });
    const { stopChat } = await b.ok(ClusterStop, { messageId: assistantMessageId });
    expect(stopChat).toEqual({ status: 'STOPPED', content: 'guest' });
    expect(await next(onB)).toEqual({ __typename: 'ChatStopped', answer: { content: 'guest', status: 'STOPPED' } });
  });
});
