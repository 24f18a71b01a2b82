// GraphQL over WebSocket (graphql-transport-ws), checked with a raw `ws` client so every protocol rule and close
// code is exercised as a wire-level client would see it. Plus: SSE delivers the same events as WS.
import { describe, expect, it } from 'vitest';
import { print } from 'graphql';
import { useServer } from './helpers/server.ts';
import { makeContacts } from './helpers/conversations.ts';
import { rawSocket, type Message } from './helpers/raw-ws.ts';
import { subscribe } from './helpers/ws.ts';
import { Events, Send } from './messaging-ops.ts';

const TYPENAME = { query: '{ __typename }' };

describe('graphql-transport-ws close codes', () => {
  const server = useServer({ WS_CONNECTION_INIT_TIMEOUT_MS: '200' });

  it('closes 4408 when connection_init does not arrive in time', async () => {
    const ws = await rawSocket(server());
    expect(await ws.closed()).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
  });

  it('closes 4429 on a second connection_init', async () => {
    const ws = await rawSocket(server());
    await ws.init();
    ws.send({ type: 'connection_init' });
    expect((await ws.closed()).code).toBe(4429);
  });

  it('closes 4401 on subscribe before the ack', async () => {
    const ws = await rawSocket(server());
    ws.send({ type: 'subscribe', id: '1', payload: TYPENAME });
    expect(await ws.closed()).toEqual({ code: 4401, reason: 'Unauthorized' });
  });

  it('closes 4409 when an operation id is already in use', async () => {
    const s = server();
    const user = await s.user();
    const ws = await rawSocket(s);
    await ws.init({ authorization: `Bearer ${user.token}` });
    const events = { query: print(Events), variables: {} };
    ws.send({ type: 'subscribe', id: 'same', payload: events });
    ws.send({ type: 'subscribe', id: 'same', payload: events });
    expect(await ws.closed()).toEqual({ code: 4409, reason: 'Subscriber for same already exists' });
  });

  it('closes 4400 on malformed messages', async () => {
    for (const bad of ['not json', '{"type":"no-such-type"}', '{"type":"subscribe","id":"1"}', '[]']) {
      const ws = await rawSocket(server());
      await ws.init();
      ws.send(bad);
      expect((await ws.closed()).code, bad).toBe(4400);
    }
    const early = await rawSocket(server());
    early.send('{"type":"connection_init","payload":"not an object"}');
    expect((await early.closed()).code).toBe(4400);
  });

  it('closes 4403 when connection_init carries a bad token', async () => {
    const ws = await rawSocket(server());
    ws.send({ type: 'connection_init', payload: { authorization: 'Bearer not-a-real-token' } });
    expect(await ws.closed()).toEqual({ code: 4403, reason: 'Forbidden' });
  });
});

describe('graphql-transport-ws messages', () => {
  const server = useServer();

  it('answers ping with pong (echoing the payload), before and after the ack', async () => {
    const ws = await rawSocket(server());
    ws.send({ type: 'ping', payload: { n: 1 } });
    expect(await ws.next()).toEqual({ type: 'pong', payload: { n: 1 } });
    await ws.init();
    ws.send({ type: 'ping' });
    expect(await ws.next()).toEqual({ type: 'pong' });
    ws.send({ type: 'pong' }); // an unsolicited pong is allowed and ignored
    ws.send({ type: 'ping' });
    expect((await ws.next()).type).toBe('pong');
  });

  it('completes a query from the server side: next, then complete', async () => {
    const ws = await rawSocket(server());
    await ws.init();
    ws.send({ type: 'subscribe', id: 'q1', payload: TYPENAME });
    expect(await ws.next()).toEqual({ type: 'next', id: 'q1', payload: { data: { __typename: 'Query' } } });
    expect(await ws.next()).toEqual({ type: 'complete', id: 'q1' });
  });

  it('sends validation errors as an error message (no complete), and the socket stays usable', async () => {
    const ws = await rawSocket(server());
    await ws.init();
    ws.send({ type: 'subscribe', id: 'bad', payload: { query: '{ noSuchField }' } });
    const error = await ws.next();
    expect(error).toMatchObject({ type: 'error', id: 'bad' });
    expect((error.payload as { extensions: { code: string } }[])[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    ws.send({ type: 'ping' });
    expect((await ws.next()).type).toBe('pong');
  });

  it('stops a subscription on complete from the client; the socket and other operations go on', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    const first = (await s.ok(Send, { input: { toUserId: b.id, content: 'one' } }, { token: a.token })).sendMessage;
    const ws = await rawSocket(s);
    await ws.init({ authorization: `Bearer ${b.token}` });
    const payload = { query: print(Events), variables: { c: first.conversationId, after: first.sequence - 1 } };
    const replayed = { type: 'next', payload: { data: { conversationEvents: { sequence: first.sequence } } } };
    ws.send({ type: 'subscribe', id: 'old', payload });
    expect(await ws.next()).toMatchObject({ ...replayed, id: 'old' });
    ws.send({ type: 'complete', id: 'old' });
    ws.send({ type: 'subscribe', id: 'new', payload });
    const seen: Message[] = [await ws.next()];
    expect(seen[0]).toMatchObject({ ...replayed, id: 'new' });
    for (const content of ['two', 'three']) {
      await s.ok(Send, { input: { conversationId: first.conversationId, content } }, { token: a.token });
      seen.push(await ws.next());
    }
    // Only the running subscription got the live events; the completed one sent nothing more, not even complete.
    expect(seen.map((m) => [m.id, m.type])).toEqual([
      ['new', 'next'],
      ['new', 'next'],
      ['new', 'next'],
    ]);
    ws.send({ type: 'ping' });
    expect(await ws.next()).toEqual({ type: 'pong' });
  });
});

describe('SSE and WebSocket deliver the same events', () => {
  const server = useServer();

  it('conversationEvents: identical replayed and live events on both transports', async () => {
    const s = server();
    const [a, b] = [await s.user(), await s.user()];
    await makeContacts(s, a, b); // accepted: more messages than a message request allows
    const first = (await s.ok(Send, { input: { toUserId: b.id, content: 'before 1' } }, { token: a.token })).sendMessage;
    await s.ok(Send, { input: { conversationId: first.conversationId, content: 'before 2' } }, { token: a.token });
    const variables = { c: first.conversationId, after: first.sequence - 1 };

    const wsSub = subscribe(s.ws({ token: b.token }), Events, variables);
    const abort = new AbortController();
    const res = await fetch(`${s.url}/graphql`, {
      method: 'POST',
      signal: abort.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${b.token}` },
      body: JSON.stringify({ query: print(Events), variables }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const sse: unknown[] = [];
    const readSse = async (n: number) => {
      while (sse.length < n) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error('SSE stream ended');
        text += new TextDecoder().decode(chunk.value, { stream: true });
        let end;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const data = /^event: next\ndata: (.*)$/m.exec(block);
          if (data) sse.push(JSON.parse(data[1]));
        }
      }
      return sse.slice(0, n);
    };

    // Both streams subscribe before replaying, so once each has replayed the log, live events reach both.
    const wsEvents = await wsSub.take(2);
    await readSse(2);
    for (const content of ['live 1', 'live 2']) {
      await s.ok(Send, { input: { conversationId: first.conversationId, content } }, { token: a.token });
    }
    wsEvents.push(...(await wsSub.take(2)));
    const sseEvents = await readSse(4);
    abort.abort();
    wsSub.stop();

    expect(sseEvents).toEqual(wsEvents);
    const contents = wsEvents.map(
      (e) => (e.data as { conversationEvents: { message?: { content?: string } } }).conversationEvents.message?.content,
    );
    expect(contents).toEqual(['before 1', 'before 2', 'live 1', 'live 2']);
  });
});
