// Row 9: 200 concurrent AI chat streams through Parley (`chat` subscriptions over graphql-ws, signed in, both
// messages saved) with the offline model, against the same model class streaming the same answers in a process of
// its own with no GraphQL (peers/echo-streams.ts). Both run on the server core; the clients on the load core.
import type { Benchmark } from './index.ts';
import { startParley, using, SERVER_CORE } from '../lib/proc.ts';
import { runChild } from '../lib/load.ts';
import { compare } from '../lib/results.ts';
import { pool, signUp } from '../lib/gql.ts';
import type { ChatSpec, StreamsResult } from '../lib/chat-clients.ts';
import { ROUNDS } from './http-typename.ts';

const STREAMS = 200;
const USERS = 20;
const DELAY_MS = 1;
const MESSAGE = 'Tell me about the benchmark: how many streams can one core carry while every token still arrives in order and on time?';

const best = (rs: StreamsResult[]) => rs.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));

export const aiStreams: Benchmark = {
  name: 'ai-streams',
  row: '9',
  title: 'Row 9: 200 concurrent AI chat streams (offline model) vs the model alone',
  async run({ quick }) {
    const rounds = ROUNDS(quick);
    const ours: StreamsResult[] = [];
    const peer: StreamsResult[] = [];
    await using(
      () => startParley({ env: { BCRYPT_COST: '4', RATE_LIMIT_SIGN_UP_IP: 'off', CHAT_ECHO_DELAY_MS: String(DELAY_MS), CHAT_USER_RATE_LIMIT: '0' } }),
      async (p) => {
        const users = await pool(Array.from({ length: USERS }), 4, () => signUp(p.url));
        const spec: ChatSpec = { wsUrl: p.url.replace(/^http/, 'ws') + '/graphql', tokens: users.map((u) => u.token), streams: STREAMS, message: MESSAGE };
        // A warm-up round (not kept), then alternating rounds with the model alone.
        await runChild<StreamsResult>(['--import', 'tsx', 'bench/lib/chat-clients.ts', JSON.stringify({ ...spec, streams: 20 })]);
        for (let i = 0; i < rounds; i++) {
          ours.push(await runChild<StreamsResult>(['--import', 'tsx', 'bench/lib/chat-clients.ts', JSON.stringify(spec)]));
          peer.push(await runChild<StreamsResult>(['--import', 'tsx', 'bench/peers/echo-streams.ts', JSON.stringify({ streams: STREAMS, message: MESSAGE, delayMs: DELAY_MS })], SERVER_CORE));
        }
      },
    );
    const o = best(ours);
    const q = best(peer);
    return {
      title: this.title,
      lines: [
        compare('tokens/s delivered', o.tokensPerSecond, q.tokensPerSecond, ['>=', 0.8], 0),
        compare('time to first token p99 ms', o.ttft.p99, q.ttft.p99),
        compare('time to first token p50 ms', o.ttft.p50, q.ttft.p50),
        compare('seconds for all streams', o.seconds, q.seconds),
      ],
      notes: [
        `${STREAMS} streams started at once from ${USERS} signed-in users (CHAT_USER_RATE_LIMIT=0: unlimited), CHAT_ECHO_DELAY_MS=${DELAY_MS}; each answer ${Math.round(o.tokens / Math.max(1, o.completed))} tokens (ChatToken events). Completed: Parley ${o.completed}/${o.streams}, peer ${q.completed}/${q.streams}; tokens: Parley ${o.tokens}, peer ${q.tokens}.${o.errors.length ? ` Errors: ${o.errors.join('; ')}` : ''}`,
        `Peer: EchoModel from src/assistant driven directly (doStream, ${STREAMS} at once) in its own process on the server core, no GraphQL, database or socket. Best of ${rounds} alternating round(s) per side, after a 20-stream warm-up on Parley. Time to first token on Parley = subscribe sent to first ChatToken received (includes saving the user message and the session).`,
      ],
    };
  },
};
