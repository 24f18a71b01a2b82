// Graceful shutdown under load: two instances on one database and one Redis; instance A is stopped (what SIGTERM
// does) while messages are being sent through it and a subscriber listens on it. Needs TEST_REDIS_URL (the
// PostgreSQL + Redis leg of .ci/run); reported as skipped otherwise.
import { beforeEach, describe, expect, it } from 'vitest';
import { print, type ExecutionResult } from 'graphql';
import { graphql } from './gql/index.ts';
import { useTwoInstances, type TestServer } from './helpers/server.ts';
import { closed } from './helpers/ws.ts';
import { history, recordEvents, titled } from './helpers/faults.ts';
import { createConversation } from './helpers/conversations.ts';

const REDIS = process.env.TEST_REDIS_URL;

const SendShutdown = graphql(`
  mutation ShutdownSend($input: SendMessageInput!) {
    sendMessage(input: $input) {
      id
      sequence
      clientMessageId
    }
  }
`);
const LastSequenceShutdown = graphql(`
  query ShutdownLastSequence($id: ID!) {
    conversation(id: $id) {
      lastSequence
    }
  }
`);

type SendResult = ExecutionResult<{ sendMessage: { id: string; sequence: number } }>;
type Outcome = { key: string; on: 'A' | 'B'; result?: SendResult; failure?: string; ms: number };

describe.skipIf(!REDIS)(titled('graceful shutdown of one instance under load', { TEST_REDIS_URL: REDIS }), () => {
  const pair = useTwoInstances({ SHUTDOWN_TIMEOUT_MS: '5000' });
  let a: TestServer;
  let b: TestServer;
  beforeEach(() => ({ a, b } = pair()));

  it('in-flight sends complete or fail cleanly; the subscriber resumes on B with afterSequence and misses nothing', async () => {
    const [alice, bob] = [await a.user(), await a.user()];
    const conversationId = await createConversation(a, [alice, bob]);
    const start = (await a.ok(LastSequenceShutdown, { id: conversationId }, { token: alice.token })).conversation!.lastSequence;
    const bobClient = a.ws({ token: bob.token });
    const bobClosed = closed(bobClient, 30_000);
    const events = recordEvents(bobClient, conversationId, start);

    /** One send, bounded: a hang fails the test instead of passing for a slow success. */
    const send = async (s: TestServer, key: string, on: 'A' | 'B'): Promise<Outcome> => {
      const started = Date.now();
      try {
        const res = await fetch(`${s.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
          body: JSON.stringify({
            query: print(SendShutdown),
            variables: { input: { conversationId, content: `m ${key}`, clientMessageId: key } },
          }),
          signal: AbortSignal.timeout(15_000),
        });
        const result = (await res.json()) as SendResult;
        return { key, on, result, ms: Date.now() - started };
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        if (e.name === 'TimeoutError') throw new Error(`send ${key} to ${on} hung`, { cause: err });
        return { key, on, failure: e.cause?.code ?? e.message, ms: Date.now() - started };
      }
    };

    // Four clients send to A without pause; each one that A cannot serve goes to B with the same clientMessageId.
    const outcomes: Outcome[] = [];
    let total = 0;
    let sent: () => void = () => {};
    const enough = new Promise<void>((resolve) => (sent = resolve));
    const clients = [0, 1, 2, 3].map(async (c) => {
      let target: 'A' | 'B' = 'A';
      for (let i = 0, onB = 0; i < 60 && onB < 3; i++) {
        const key = `c${c}-${i}`;
        let outcome = await send(target === 'A' ? a : b, key, target);
        outcomes.push(outcome);
        if (++total === 12) sent();
        for (let n = 0; !ok(outcome) && n < 20; n++) {
          target = 'B';
          outcome = await send(b, key, 'B');
          outcomes.push(outcome);
        }
        expect(ok(outcome), `send ${key} was never stored: ${JSON.stringify(outcome)}`).toBe(true);
        if (target === 'B') onB++;
      }
    });
    await enough;
    const stopping = Date.now();
    await a.app.stop();
    // Drained, not timed out: a kept-alive connection closes with its last answer instead of holding the stop open
    // until its keep-alive timeout (HTTP_KEEP_ALIVE_TIMEOUT_MS, 60 s in tests).
    expect(Date.now() - stopping).toBeLessThan(3_000);
    await Promise.all(clients);

    // Every send to A ended, with the stored message or a clean error, and A's socket closed with 1001.
    const onA = outcomes.filter((o) => o.on === 'A');
    expect(onA.filter(ok).length).toBeGreaterThan(0);
    for (const o of onA.filter((o) => !ok(o))) {
      if (o.result) expect(o.result.errors?.[0]?.extensions?.code).toMatch(/^(SERVICE_UNAVAILABLE)$/);
      else expect(o.failure).toMatch(/^(ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|other side closed|fetch failed)$/);
    }
    expect((await bobClosed).code).toBe(1001);

    // Bob reconnects to B and resumes after the last event he saw.
    events.resume(b.ws({ token: bob.token }));
    const last = (await b.ok(LastSequenceShutdown, { id: conversationId }, { token: alice.token })).conversation!.lastSequence;
    await events.reach(last);
    const messages = await history(b, alice, conversationId);
    const keys = new Set(outcomes.map((o) => o.key));
    expect(messages.map((m) => m.clientMessageId).sort()).toEqual([...keys].sort()); // each once
    for (const o of outcomes.filter(ok)) expect(messages.find((m) => m.clientMessageId === o.key)?.id).toBe(o.result!.data!.sendMessage.id);
    expect(events.broken).toEqual([]);
    expect(events.seen.map((e) => e.sequence)).toEqual(Array.from({ length: last - start }, (_, i) => start + 1 + i));
    expect(events.seen.map((e) => e.messageId)).toEqual(messages.map((m) => m.id));
  });
});

const ok = (o: Outcome) => !!o.result?.data?.sendMessage;
