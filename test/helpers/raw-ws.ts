// A raw graphql-transport-ws client on `ws`, so protocol rules and close codes are seen as a wire-level client sees them.
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { TestServer } from './server.ts';

export type Message = { type: string; id?: string; payload?: unknown };

/** A raw graphql-transport-ws socket: messages are queued; `next` waits for one, `closed` for the close frame. */
export async function rawSocket(s: TestServer, protocol = 'graphql-transport-ws') {
  const socket = new WebSocket(s.wsUrl, protocol);
  const queue: Message[] = [];
  const waiters: ((m: Message) => void)[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('message', (data) => {
    const m = JSON.parse(data.toString()) as Message;
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const within = <T>(p: Promise<T>, what: string, ms = 5_000) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref())]);
  return {
    socket,
    send: (m: unknown) => socket.send(typeof m === 'string' ? m : JSON.stringify(m)),
    next: () => within(queue.length ? Promise.resolve(queue.shift()!) : new Promise<Message>((r) => waiters.push(r)), 'a message'),
    closed: () => within(closed, 'the socket to close'),
    async init(payload: Record<string, unknown> = {}) {
      socket.send(JSON.stringify({ type: 'connection_init', payload }));
      const ack = await this.next();
      expect(ack.type).toBe('connection_ack');
    },
  };
}
