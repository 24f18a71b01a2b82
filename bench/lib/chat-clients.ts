// Row 9 load process (pinned to the load core): `streams` graphql-ws connections each start one `chat` subscription
// at the same moment and count the ChatToken events until the answer ends. Prints one JSON line.
import WebSocket from 'ws';
import { summarize, type LatencySummary } from './stats.ts';

export interface ChatSpec {
  wsUrl: string;
  tokens: string[];
  streams: number;
  message: string;
}

export interface StreamsResult {
  streams: number;
  completed: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  ttft: LatencySummary;
  errors: string[];
  /** In-conversation line: how long the burst of mentions took to be answered over HTTP. */
  sendsAnsweredMs?: number;
}

const CHAT = 'subscription($input: ChatInput!) { chat(input: $input) { __typename ... on ChatToken { delta index } } }';
const spec: ChatSpec = JSON.parse(process.argv[2]);

function connect(i: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(spec.wsUrl, 'graphql-transport-ws');
    ws.once('error', reject);
    ws.once('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${spec.tokens[i % spec.tokens.length]}` } })),
    );
    const onAck = (data: WebSocket.RawData) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        ws.off('message', onAck);
        resolve(ws);
      }
    };
    ws.on('message', onAck);
  });
}

const sockets: WebSocket[] = [];
for (let i = 0; i < spec.streams; i += 50)
  sockets.push(...(await Promise.all(Array.from({ length: Math.min(50, spec.streams - i) }, (_, k) => connect(i + k)))));

const ttft: number[] = [];
const errors: string[] = [];
let tokens = 0;
let completed = 0;
let last = 0;
const t0 = performance.now();
await Promise.all(
  sockets.map(
    (ws) =>
      new Promise<void>((done) => {
        const started = performance.now();
        let first = true;
        ws.on('message', (data) => {
          const msg = JSON.parse(String(data));
          if (msg.type === 'next') {
            const ev = msg.payload.data?.chat;
            if (ev?.__typename === 'ChatToken') {
              tokens++;
              if (first) {
                first = false;
                ttft.push(performance.now() - started);
              }
            } else if (ev?.__typename === 'ChatCompleted') completed++;
            else if (!ev || msg.payload.errors) errors.push(JSON.stringify(msg.payload).slice(0, 200));
          } else if (msg.type === 'complete' || msg.type === 'error') {
            if (msg.type === 'error') errors.push(JSON.stringify(msg.payload).slice(0, 200));
            last = performance.now();
            done();
          } else if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
        });
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: CHAT, variables: { input: { message: spec.message } } } }));
      }),
  ),
);
const seconds = (last - t0) / 1000;
for (const ws of sockets) ws.terminate();
const result: StreamsResult = {
  streams: sockets.length,
  completed,
  tokens,
  seconds,
  tokensPerSecond: tokens / seconds,
  ttft: summarize(ttft),
  errors: [...new Set(errors)].slice(0, 3),
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
