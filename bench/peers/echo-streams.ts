// Peer for row 9: the offline model itself (src/assistant/echo-model.ts), `streams` answers streamed at once in this
// process with no GraphQL, database or WebSocket: the rate the model alone delivers tokens. Prints one JSON line.
import { EchoModel } from '../../src/assistant/echo-model.ts';
import { summarize } from '../lib/stats.ts';
import type { StreamsResult } from '../lib/chat-clients.ts';

const { streams, message, delayMs } = JSON.parse(process.argv[2]) as { streams: number; message: string; delayMs: number };
const model = new EchoModel(delayMs);
const ttft: number[] = [];
let tokens = 0;
let completed = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: streams }, async () => {
    const started = performance.now();
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: message }] }],
      maxOutputTokens: 2048,
    });
    let first = true;
    const reader = stream.getReader();
    for (;;) {
      const { done, value: part } = await reader.read();
      if (done) break;
      if (part.type === 'text-delta') {
        tokens++;
        if (first) {
          first = false;
          ttft.push(performance.now() - started);
        }
      } else if (part.type === 'finish') completed++;
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const result: StreamsResult = { streams, completed, tokens, seconds, tokensPerSecond: tokens / seconds, ttft: summarize(ttft), errors: [] };
process.stdout.write(JSON.stringify(result) + '\n');
