// WebSocket load process (started by ws-load.ts, pinned to the load core): opens and holds many connections, either
// raw `ws` or graphql-ws (graphql-transport-ws protocol, written by hand so 5,000 clients stay cheap here), and
// counts the subscription events they receive. Driven over the IPC channel, one request at a time.
import WebSocket from 'ws';

export type WsRequest =
  | { cmd: 'open'; url: string; count: number; protocol: 'raw' | 'graphql-ws'; tokens?: string[]; query?: string }
  | { cmd: 'events' }
  | { cmd: 'close' };

export interface WsReply {
  open: number;
  failed: number;
  events: number;
  lastError?: string;
}

const sockets = new Set<WebSocket>();
let failed = 0;
let events = 0;
let lastError: string | undefined;

function openOne(url: string, protocol: 'raw' | 'graphql-ws', token: string | undefined, query: string | undefined): Promise<void> {
  return new Promise((resolve) => {
    const ws = protocol === 'raw' ? new WebSocket(url) : new WebSocket(url, 'graphql-transport-ws');
    let settled = false;
    const done = (ok: boolean, why?: string) => {
      if (settled) return;
      settled = true;
      if (ok) sockets.add(ws);
      else {
        failed++;
        lastError = why;
        ws.terminate();
      }
      resolve();
    };
    ws.on('error', (err) => done(false, err.message));
    ws.on('close', (code, reason) => {
      sockets.delete(ws);
      done(false, `closed ${code} ${reason}`);
    });
    ws.on('open', () => {
      if (protocol === 'raw') return done(true);
      ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
    });
    if (protocol === 'graphql-ws') {
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.type === 'connection_ack') {
          if (query) ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
          done(true);
        } else if (msg.type === 'next') events++;
        else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
        else if (msg.type === 'error') lastError = JSON.stringify(msg.payload).slice(0, 300);
      });
    }
  });
}

async function handle(req: WsRequest): Promise<WsReply> {
  if (req.cmd === 'open') {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < req.count; i = next++) await openOne(req.url, req.protocol, req.tokens?.[i % req.tokens.length], req.query);
    };
    await Promise.all(Array.from({ length: 100 }, worker));
  } else if (req.cmd === 'close') {
    for (const ws of sockets) ws.terminate();
    setTimeout(() => process.exit(0), 50);
  }
  return { open: sockets.size, failed, events, lastError };
}

process.on('message', (req: WsRequest) => {
  void handle(req).then((reply) => process.send!(reply));
});
