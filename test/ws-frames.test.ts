// Subscription frames Parley writes itself (WS_DIRECT_FRAMES, src/realtime/ws-frames.ts) against graphql-ws's own
// path: the same script on two servers, one each way, must put the same bytes on every socket (next frames of a shared
// result, a subscribe-time error, the server's complete when a member leaves, nothing after the client's complete),
// and a result shared by several sockets is serialized once.
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { useServer, type TestServer, type TestUser } from './helpers/server.ts';
import { createConversation } from './helpers/conversations.ts';

const Events =
  'subscription($c: ID!, $after: Int) { conversationEvents(conversationId: $c, afterSequence: $after) { type sequence message { content sender { username } } member { user { username } } } }';
const Send = 'mutation($c: ID!, $content: String!) { sendMessage(input: { conversationId: $c, content: $content }) { sequence } }';
const Leave = 'mutation($c: ID!) { leaveConversation(conversationId: $c) }';
const MESSAGES = 5;

/** A raw graphql-transport-ws socket that keeps every frame as the text it arrived as. */
async function rawFrames(s: TestServer, user: TestUser) {
  const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
  const frames: string[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (data) => {
    frames.push(data.toString());
    wake?.();
  });
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  const until = async (count: number) => {
    while (frames.length < count) await new Promise<void>((resolve) => (wake = resolve));
  };
  /** Waits for a frame that contains `text`. */
  const untilText = async (text: string) => {
    while (!frames.some((f) => f.includes(text))) await new Promise<void>((resolve) => (wake = resolve));
  };
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } }));
  await until(1);
  frames.shift(); // connection_ack
  return { frames, until, untilText, send: (m: unknown) => socket.send(JSON.stringify(m)), close: () => socket.close() };
}

/** The script, on one server: what each socket received, and the server's payload counters. */
async function script(s: TestServer) {
  const alice = await s.user({ username: 'alice_frames', email: `alice_frames@example.com` });
  const bob = await s.user({ username: 'bob_frames', email: `bob_frames@example.com` });
  const c = await createConversation(s, [alice, bob]);
  const sockets = await Promise.all([rawFrames(s, alice), rawFrames(s, alice), rawFrames(s, bob), rawFrames(s, bob)]);
  // From the start of the log: what was sent before a socket's subscription was live is replayed to it, so every
  // socket gets the same frames whatever the timing.
  for (const socket of sockets) socket.send({ id: 'events', type: 'subscribe', payload: { query: Events, variables: { c, after: 0 } } });
  // Every socket has the two MEMBER_JOINED events (replayed): each follows the topic, so the messages arrive live and shared.
  await Promise.all(sockets.map((socket) => socket.until(2)));
  for (let i = 1; i <= MESSAGES; i++) await s.ok(Send, { c, content: `message ${i}` }, { token: alice.token });
  await Promise.all(sockets.map((socket) => socket.untilText(`message ${MESSAGES}`)));
  // One of alice's sockets completes; a subscription to a conversation that is not hers is refused.
  sockets[0].send({ id: 'events', type: 'complete' });
  sockets[0].send({
    id: 'stranger',
    type: 'subscribe',
    payload: { query: Events, variables: { c: '00000000-0000-4000-8000-000000000000' } },
  });
  await sockets[0].untilText('"stranger"');
  // Bob leaves: his streams end with the MEMBER_LEFT event, then the server's complete; alice's go on.
  await s.ok(Leave, { c }, { token: bob.token });
  await Promise.all([sockets[2].untilText('"complete"'), sockets[3].untilText('"complete"')]);
  await s.ok(Send, { c, content: 'after' }, { token: alice.token });
  await sockets[1].untilText('"after"');
  for (const socket of sockets) socket.close();
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  const counter = (name: string) =>
    Number(
      metrics
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.split(' ')[1] ?? NaN,
    );
  return {
    frames: sockets.map((socket) => socket.frames),
    serialized: counter('parley_ws_payloads_serialized_total'),
    reused: counter('parley_ws_payloads_reused_total'),
  };
}

describe('subscription frames written by Parley (WS_DIRECT_FRAMES)', () => {
  const direct = useServer();
  const plain = useServer({ WS_DIRECT_FRAMES: 'false' });

  it('are byte-for-byte the frames graphql-ws sends, and a shared result is serialized once', async () => {
    const [mine, theirs] = [await script(direct()), await script(plain())];
    // (Request ids name the socket, a random id of each server's own.)
    const sameSocket = (frames: string[][]) =>
      frames.map((f) => f.map((text) => text.replace(/"requestId":"[^":]+:/g, '"requestId":"<socket>:')));
    expect(sameSocket(mine.frames)).toEqual(sameSocket(theirs.frames));
    // The frames say what the script did.
    const parsed = mine.frames.map((frames) => frames.map((f) => JSON.parse(f) as { id: string; type: string; payload?: unknown }));
    expect(parsed[0].filter((m) => m.id === 'events').every((m) => m.type === 'next')).toBe(true);
    const stranger = parsed[0].filter((m) => m.id === 'stranger');
    expect(stranger.map((m) => m.type)).toEqual(['next', 'complete']);
    expect(stranger[0].payload).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    expect(parsed[2].slice(-2).map((m) => m.type)).toEqual(['next', 'complete']);
    expect(parsed[2].at(-2)?.payload).toMatchObject({ data: { conversationEvents: { type: 'MEMBER_LEFT' } } });
    expect(parsed[1].at(-1)?.payload).toMatchObject({ data: { conversationEvents: { message: { content: 'after' } } } });
    // Up to four sockets per event: the first executes alone, the shared result serves the others, serialized once.
    // (The refused subscription's one result is not a stream: graphql-ws sends it itself.)
    const nextFrames = parsed.flat().filter((m) => m.type === 'next' && m.id === 'events').length;
    expect(mine.serialized + mine.reused).toBe(nextFrames);
    expect(mine.reused).toBeGreaterThanOrEqual(2 * MESSAGES);
    expect(theirs.serialized + theirs.reused).toBe(0);
  });
});
