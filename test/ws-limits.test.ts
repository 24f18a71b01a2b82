// Per-connection limits on WebSocket: operations running at once, operations started per second, message size. A
// client over a limit gets an error (or its socket closed); other clients on the same server are still served.
import { describe, expect, it, vi } from 'vitest';
import { useServer, type TestServer } from './helpers/server.ts';
import { makeContacts } from './helpers/conversations.ts';
import { rawSocket } from './helpers/raw-ws.ts';
import { subscribe } from './helpers/ws.ts';
import { Events, Send } from './messaging-ops.ts';

const SESSIONS_ENDED = { query: 'subscription { sessionsEnded { reason } }' };
const TYPENAME = { query: '{ __typename }' };

describe('WebSocket per-connection limits', () => {
  const server = useServer({ WS_MAX_SUBSCRIPTIONS: '3', WS_OPERATION_RATE_LIMIT: '20/60', WS_MAX_MESSAGE_BYTES: '4096' });

  /** Another client, on its own connection: a live conversation subscription that must keep receiving events. */
  async function bystander(s: TestServer) {
    const [a, b] = [await s.user(), await s.user()];
    await makeContacts(s, a, b); // accepted: more messages than a message request allows
    const first = (await s.ok(Send, { input: { toUserId: b.id, content: 'first' } }, { token: a.token })).sendMessage;
    const client = s.ws({ token: b.token });
    const events = subscribe(client, Events, { c: first.conversationId });
    await events.live(() => s.ok(Send, { input: { conversationId: first.conversationId, content: 'probe' } }, { token: a.token }));
    return {
      /** Sends a message and waits for b's subscription to deliver it; then b's query on the same socket answers. */
      async stillServed(content: string) {
        await s.ok(Send, { input: { conversationId: first.conversationId, content } }, { token: a.token });
        const event = await events.until(
          (e) => (e.data as { conversationEvents: { message?: { content?: string } } }).conversationEvents.message?.content === content,
        );
        expect(event.errors).toBeUndefined();
        const query = await subscribe(client, '{ me { id } }').next();
        expect(query.data).toEqual({ me: { id: b.id } });
      },
    };
  }

  it('refuses an operation past WS_MAX_SUBSCRIPTIONS with TOO_MANY_SUBSCRIPTIONS; the socket stays usable', async () => {
    const s = server();
    const user = await s.user();
    const ws = await rawSocket(s);
    await ws.init({ authorization: `Bearer ${user.token}` });
    for (const id of ['1', '2', '3']) ws.send({ type: 'subscribe', id, payload: SESSIONS_ENDED });
    ws.send({ type: 'subscribe', id: '4', payload: SESSIONS_ENDED });
    const refused = await ws.next();
    expect(refused).toMatchObject({ type: 'error', id: '4' });
    expect((refused.payload as { extensions: Record<string, unknown> }[])[0].extensions).toMatchObject({
      code: 'TOO_MANY_SUBSCRIPTIONS',
      limit: 3,
    });
    // Completing one makes room again.
    ws.send({ type: 'complete', id: '1' });
    ws.send({ type: 'subscribe', id: '5', payload: TYPENAME });
    expect(await ws.next()).toEqual({ type: 'next', id: '5', payload: { data: { __typename: 'Query' } } });
    expect(await ws.next()).toEqual({ type: 'complete', id: '5' });
  });

  it('closes a connection that starts operations faster than WS_OPERATION_RATE_LIMIT (4429); others are still served', async () => {
    const s = server();
    const other = await bystander(s);
    const flood = await rawSocket(s);
    await flood.init();
    for (let i = 0; i < 40; i++) flood.send({ type: 'subscribe', id: `q${i}`, payload: TYPENAME });
    expect(await flood.closed()).toEqual({ code: 4429, reason: 'Too many requests' });
    await other.stillServed('after the flood');
  });

  it('closes a connection that sends a message over WS_MAX_MESSAGE_BYTES (1009); others are still served', async () => {
    const s = server();
    const other = await bystander(s);
    const big = await rawSocket(s);
    await big.init();
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      big.send({ type: 'subscribe', id: 'big', payload: { query: `{ __typename }`, variables: { pad: 'x'.repeat(5000) } } });
      expect((await big.closed()).code).toBe(1009);
      expect(consoleError).not.toHaveBeenCalled(); // a client's oversized message is not a server error to print
    } finally {
      consoleError.mockRestore();
    }
    // Just under the limit is fine.
    const ok = await rawSocket(s);
    await ok.init();
    ok.send({ type: 'subscribe', id: 'fits', payload: { query: '{ __typename }', variables: { pad: 'x'.repeat(3000) } } });
    expect(await ok.next()).toMatchObject({ type: 'next', id: 'fits' });
    await other.stillServed('after the big message');
  });
});
