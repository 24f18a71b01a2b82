// Row 4's Socket.IO subscribers (peers/socketio.ts), opened by the fan-out load process (fanout-clients.ts).
// 'lean' (the default) is a bare `ws` client speaking the wire protocol itself, Engine.IO v4 over the websocket
// transport carrying Socket.IO v5 packets: it costs the load core what the raw and graphql-ws clients of the other
// sides cost (one string and a prefix test per frame), so the load process, which one core shares between 1,000
// subscribers and the sender, holds Socket.IO back no more than it holds back the others. 'library' is
// socket.io-client itself (websocket transport only), which also JSON-parses every event and runs its emitters:
// a cross-check that the lean client reads what the library would.
import WebSocket from 'ws';
import { io } from 'socket.io-client';

export type SocketIoClient = 'lean' | 'library';

export interface SocketIoHooks {
  /** Text that carries a delivery's send stamp. */
  onText(text: string): void;
  onError(message: string): void;
  /** The server closed a connection that had connected. */
  onClose(reason: string): void;
}

export interface Closable {
  terminate(): void;
}

/** One connection to the main namespace of the Socket.IO server at `url` (ws://host:port), ready once connected. */
export function openSocketIo(url: string, client: SocketIoClient, hooks: SocketIoHooks): Promise<Closable> {
  return client === 'library' ? library(url, hooks) : lean(url, hooks);
}

function lean(url: string, hooks: SocketIoHooks): Promise<Closable> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/socket.io/?EIO=4&transport=websocket`);
    let connected = false;
    ws.on('error', (err) => {
      hooks.onError(err.message);
      if (!connected) reject(err);
    });
    ws.once('close', (code, reason) => {
      if (connected) hooks.onClose(`closed ${code} ${reason}`);
      else reject(new Error(`closed ${code} ${reason}`));
    });
    // The first digit is the Engine.IO packet type (0 open, 2 ping, 4 message); inside a message, the second is the
    // Socket.IO packet type (0 connect, 2 event, 4 connect error).
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('42')) return hooks.onText(text);
      if (text === '2') return ws.send('3'); // the server pings every 25 s and drops a client that does not answer
      if (text.startsWith('0')) return ws.send('40'); // handshake done: join the main namespace
      if (text.startsWith('40')) {
        connected = true;
        resolve(ws);
      } else if (text.startsWith('44')) reject(new Error(`connect error: ${text.slice(2, 300)}`));
    });
  });
}

/** The part of Parley's graphql-ws frame (what the peer broadcasts) that holds the stamp. */
interface Frame {
  payload?: { data?: { conversationEvents?: { message?: { content?: string } } } };
}

function library(url: string, hooks: SocketIoHooks): Promise<Closable> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      resolve({ terminate: () => socket.disconnect() });
    });
    socket.on('connect_error', (err) => {
      hooks.onError(err.message);
      reject(err);
    });
    socket.on('disconnect', (reason) => {
      if (connected && reason !== 'io client disconnect') hooks.onClose(reason);
    });
    // The library hands over the parsed event; the stamp is in the message's content.
    socket.on('message', (frame: Frame) => hooks.onText(frame.payload?.data?.conversationEvents?.message?.content ?? ''));
  });
}
