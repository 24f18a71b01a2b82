// Fan-out load process (rows 4 and 8), pinned to the load core: opens `subscribers` WebSocket clients (graphql-ws
// subscribed to one query, raw `ws`, or Socket.IO as socketio-client.ts opens it), then one sender sends messages
// whose text carries the send time, and every delivery's send-to-receive time is recorded. Two phases: saturation (a
// few sends in flight, as fast as they are accepted) for deliveries/s, then a fixed send rate for latency. Prints one
// JSON line.
import WebSocket from 'ws';
import { summarize, type LatencySummary } from './stats.ts';
import { openSocketIo, type Closable, type SocketIoClient } from './socketio-client.ts';

export interface FanoutSpec {
  protocol: 'graphql-ws' | 'raw' | 'socket.io';
  /** socket.io: a lean `ws` client speaking its protocol (the default), or socket.io-client itself. */
  socketIoClient?: SocketIoClient;
  /** WebSocket URLs; subscriber i connects to wsUrls[i % length] (row 8 splits them over two instances). */
  wsUrls: string[];
  subscribers: number;
  /** graphql-ws: one token per connection, round robin. */
  tokens?: string[];
  query?: string;
  variables?: Record<string, unknown>;
  /** How the sender sends one message with text `text`. */
  send: { url: string; headers: Record<string, string>; body: string };
  messages: number;
  inFlight: number;
  /** Messages per second in the latency phase (0 = skip it), and how many to send there. */
  rate: number;
  rateMessages: number;
}

export interface FanoutResult {
  open: number;
  deliveriesPerSecond: number;
  messagesPerSecond: number;
  delivered: number;
  expected: number;
  saturation: LatencySummary;
  atRate: LatencySummary | null;
  sample: string;
  /** Connections closed by the server during the run, and the last socket error seen. */
  closed: number;
  lastError?: string;
  /** Sends retried after a reset keep-alive socket. */
  resets: number;
}

const spec: FanoutSpec = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const STAMP = /@(\d+\.\d+)@/;
let samples: number[] = [];
let delivered = 0;
let sample = '';
let closed = 0;
let resets = 0;
let lastError: string | undefined;

function onFrame(data: WebSocket.RawData | string) {
  const text = String(data);
  const m = STAMP.exec(text);
  if (!m) return;
  samples.push(now() - Number(m[1]));
  delivered++;
  if (!sample) sample = text;
}

function open(i: number): Promise<Closable> {
  const url = spec.wsUrls[i % spec.wsUrls.length];
  if (spec.protocol === 'socket.io') {
    return openSocketIo(url, spec.socketIoClient ?? 'lean', {
      onText: onFrame,
      onError: (message) => (lastError = message),
      onClose: (reason) => {
        closed++;
        lastError = reason;
      },
    });
  }
  return new Promise((resolve, reject) => {
    const ws = spec.protocol === 'raw' ? new WebSocket(url) : new WebSocket(url, 'graphql-transport-ws');
    let opened = false;
    ws.on('error', (err) => {
      lastError = err.message;
      if (!opened) reject(err);
    });
    ws.once('close', (code, reason) => {
      if (opened) {
        closed++;
        lastError = `closed ${code} ${reason}`;
      } else reject(new Error(`closed ${code} ${reason}`));
    });
    const ok = () => {
      opened = true;
      resolve(ws);
    };
    if (spec.protocol === 'raw') {
      ws.once('open', ok);
      ws.on('message', onFrame);
      return;
    }
    ws.once('open', () => {
      const token = spec.tokens?.[i % spec.tokens.length];
      ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
    });
    ws.on('message', (data) => {
      const text = String(data);
      if (text.includes('"next"')) return onFrame(data);
      const msg = JSON.parse(text);
      if (msg.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: spec.query, variables: spec.variables } }));
        ok();
      } else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      else if (msg.type === 'error') reject(new Error(JSON.stringify(msg.payload).slice(0, 300)));
    });
  });
}

async function sendOne(n: number): Promise<void> {
  const body = spec.send.body.replace('@STAMP@', `msg ${n} @${now().toFixed(3)}@`);
  // A reused keep-alive socket can be reset by the server closing it as idle at the same moment: retry that only.
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(spec.send.url, { method: 'POST', headers: spec.send.headers, body });
      const text = await res.text();
      if (!res.ok || text.includes('"errors"')) throw new Error(`send failed: ${res.status} ${text.slice(0, 300)}`);
      return;
    } catch (err) {
      const code = ((err as Error).cause as { code?: string } | undefined)?.code;
      if (code !== 'ECONNRESET' || attempt >= 2) throw err;
      resets++;
    }
  }
}

async function waitDelivered(target: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (delivered < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

const sockets: Closable[] = [];
for (let i = 0; i < spec.subscribers; i += 50) {
  sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, spec.subscribers - i) }, (_, k) => open(i + k)))));
}
const open_ = sockets.length;

// Subscriptions give no "ready" signal: send probes until every connection has received one, then reset.
for (let n = 0; delivered < open_ * 1 && n < 200; n++) {
  const before = delivered;
  await sendOne(-1);
  await waitDelivered(before + open_, 3000);
  if (delivered - before >= open_) break;
  delivered = 0;
}
await new Promise((r) => setTimeout(r, 200));
samples = [];
delivered = 0;

// Saturation: `inFlight` sends at a time; done when every delivery arrived (or 60 s after the last send).
const expected = spec.messages * open_;
const t0 = now();
let next = 0;
await Promise.all(
  Array.from({ length: spec.inFlight }, async () => {
    for (let n = next++; n < spec.messages; n = next++) await sendOne(n);
  }),
);
const sentSeconds = (now() - t0) / 1000;
await waitDelivered(expected, 60_000);
const seconds = (now() - t0) / 1000;
const result: FanoutResult = {
  open: open_,
  delivered,
  expected,
  deliveriesPerSecond: delivered / seconds,
  messagesPerSecond: spec.messages / sentSeconds,
  saturation: summarize(samples),
  atRate: null,
  sample: sample.slice(0, 1000),
  closed,
  lastError,
  resets,
};

if (spec.rate > 0) {
  await new Promise((r) => setTimeout(r, 500));
  samples = [];
  delivered = 0;
  const interval = 1000 / spec.rate;
  const start = now();
  const sends: Promise<void>[] = [];
  for (let n = 0; n < spec.rateMessages; n++) {
    const wait = start + n * interval - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sends.push(sendOne(n));
  }
  await Promise.all(sends);
  await waitDelivered(spec.rateMessages * open_, 60_000);
  result.atRate = summarize(samples);
}
result.closed = closed;
result.resets = resets;
result.lastError = lastError;
for (const ws of sockets) ws.terminate();
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
