// A WebSocket client that stops reading, as a stalled or hostile client does. graphql-ws waits for each send to reach
// the socket, so once the connection's buffers are full the server stops pulling that socket's streams and all that
// is published meanwhile has to wait in the server. Those buffers (about 4 MB in the kernel on loopback) are filled
// on purpose, with fat events of a conversation of the client's own on several subscriptions at once, so the
// streams under test are stalled from the first event they send after stall().
import WebSocket from 'ws';
import type { TestServer, TestUser } from './server.ts';
import { createConversation } from './conversations.ts';

export type Message = { type: string; id?: string; payload?: { data?: Record<string, unknown> | null; errors?: unknown } | unknown[] };

const PLUG_SUBSCRIPTIONS = 8;
const PLUG_ALIASES = 25;
const PLUG_CONTENT = 'plug '.repeat(800); // 4,000 characters, the longest message
const PLUG_MESSAGES = 16; // x 8 subscriptions x 25 aliases x 4,000 characters: about 13 MB, three times the buffers

export interface StalledClient {
  /** Starts operation `id` (a subscription) on the socket. */
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  /** The next message (next, error or complete) of operation `id`. */
  next(id: string, timeoutMs?: number): Promise<Message>;
  /** Messages of operation `id` received so far and not yet taken. */
  received(id: string): number;
  /** Stops reading and fills the connection's buffers with events the server must send first. */
  stall(): Promise<void>;
  /** Reads again. */
  resume(): void;
  close(): void;
}

/** A signed-in raw graphql-transport-ws client of `user`, ready to stall (its plug subscriptions are live). */
export async function stalledClient(s: TestServer, user: TestUser): Promise<StalledClient> {
  const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
  const queues = new Map<string, Message[]>();
  const waiters = new Map<string, (m: Message) => void>();
  const plugIds = Array.from({ length: PLUG_SUBSCRIPTIONS }, (_, i) => `plug${i}`);
  const plugsLive = new Set<string>();
  let allPlugsLive!: () => void;
  const everyPlugLive = new Promise<void>((resolve) => (allPlugsLive = resolve));
  socket.on('message', (data) => {
    const m = JSON.parse(data.toString()) as Message;
    if (!m.id) return;
    if (m.id.startsWith('plug')) {
      // The plug's events only fill buffers; the first of each shows that its subscription is live.
      if (plugsLive.add(m.id).size === plugIds.length) allPlugsLive();
      return;
    }
    const waiter = waiters.get(m.id);
    waiters.delete(m.id);
    if (waiter) waiter(m);
    else queues.set(m.id, [...(queues.get(m.id) ?? []), m]);
  });
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  const acknowledged = new Promise<void>((resolve) => socket.once('message', () => resolve()));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${user.token}` } }));
  await acknowledged;

  const send = (m: unknown) => socket.send(JSON.stringify(m));
  const client: StalledClient = {
    subscribe: (id, query, variables) => send({ id, type: 'subscribe', payload: { query, variables } }),
    next(id, timeoutMs = 10_000) {
      const queued = queues.get(id)?.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise<Message>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for a message of ${id}`)), timeoutMs).unref();
        waiters.set(id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
      });
    },
    received: (id) => queues.get(id)?.length ?? 0,
    async stall() {
      socket.pause();
      for (let i = 0; i < PLUG_MESSAGES; i++)
        await s.ok(Send, { input: { conversationId: plug, content: PLUG_CONTENT } }, { token: sender.token });
    },
    resume: () => socket.resume(),
    close: () => socket.terminate(),
  };

  // The plug: a conversation with a helper, followed by several subscriptions that each select the content many times.
  const sender = await s.user();
  const plug = await createConversation(s, [sender, user], 'Plug');
  const fields = Array.from({ length: PLUG_ALIASES }, (_, i) => `c${i}: content`).join(' ');
  for (const id of plugIds)
    client.subscribe(id, `subscription($c: ID!) { conversationEvents(conversationId: $c) { message { ${fields} } } }`, { c: plug });
  for (let attempt = 0; ; attempt++) {
    if (attempt === 50) throw new Error('the plug subscriptions never became live');
    await s.ok(Send, { input: { conversationId: plug, content: 'probe' } }, { token: sender.token });
    const waited = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200).unref());
    if (await Promise.race([everyPlugLive.then(() => true), waited])) return client;
  }
}

const Send = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';

/** The data of a `next` message (throws on anything else, with the message, so a failure says what came). */
export function dataOf<T = Record<string, unknown>>(m: Message): T {
  const payload = m.payload as { data?: T; errors?: unknown } | undefined;
  if (m.type !== 'next' || !payload?.data || payload.errors) throw new Error(`expected a next with data, got ${JSON.stringify(m)}`);
  return payload.data;
}
