// Row 9: 200 concurrent AI chat streams through Parley (`chat` subscriptions over graphql-ws, signed in, both
// messages saved) with the offline model, against the same model class streaming the same answers in a process of
// its own with no GraphQL (peers/echo-streams.ts). Both run on the server core; the clients on the load core.
import type { Benchmark } from './index.ts';
import { startParley, using, SERVER_CORE, TS } from '../lib/proc.ts';
import { runChild } from '../lib/load.ts';
import { compare } from '../lib/results.ts';
import { gql, pool, signUp } from '../lib/gql.ts';
import type { ChatSpec, StreamsResult } from '../lib/chat-clients.ts';
import type { AssistantSpec } from '../lib/assistant-clients.ts';
import { ROUNDS } from './http-typename.ts';
import { best } from '../lib/stats.ts';

const STREAMS = 200;
const USERS = 20;
/** The offline model as shipped (CHAT_ECHO_DELAY_MS default: 40 ms per token, 25 tokens/s per stream). */
const SHIPPED_DELAY_MS = 40;
/** A stress variant (full runs only): a model 40 times faster, so Parley's own cost per token is what shows. */
const STRESS_DELAY_MS = 1;
const MESSAGE = 'Tell me about the benchmark: how many streams can one core carry while every token still arrives in order and on time?';

async function measure(delayMs: number, rounds: number): Promise<{ o: StreamsResult; q: StreamsResult }> {
  const ours: StreamsResult[] = [];
  const peer: StreamsResult[] = [];
  await using(
    () => startParley({ env: { BCRYPT_COST: '4', CHAT_ECHO_DELAY_MS: String(delayMs), CHAT_USER_RATE_LIMIT: '0' } }),
    async (p) => {
      const users = await pool(Array.from({ length: USERS }), 4, () => signUp(p.url));
      const spec: ChatSpec = {
        wsUrl: p.url.replace(/^http/, 'ws') + '/graphql',
        tokens: users.map((u) => u.token),
        streams: STREAMS,
        message: MESSAGE,
      };
      // A warm-up round (not kept), then alternating rounds with the model alone.
      await runChild<StreamsResult>([...TS, 'bench/lib/chat-clients.ts', JSON.stringify({ ...spec, streams: 20 })]);
      for (let i = 0; i < rounds; i++) {
        ours.push(await runChild<StreamsResult>([...TS, 'bench/lib/chat-clients.ts', JSON.stringify(spec)]));
        peer.push(
          await runChild<StreamsResult>(
            [...TS, 'bench/peers/echo-streams.ts', JSON.stringify({ streams: STREAMS, message: MESSAGE, delayMs })],
            SERVER_CORE,
          ),
        );
      }
    },
  );
  return { o: best(ours, tokensPerSecond), q: best(peer, tokensPerSecond) };
}

const tokensPerSecond = (r: StreamsResult) => r.tokensPerSecond;

/** The in-conversation line: 200 groups of 5 members (50 people, each in 20 groups), one @assistant answer each. */
const GROUP_MEMBERS = 5;
const PEOPLE = 50;
const CREATE_GROUP = 'mutation($t: String!, $m: [ID!]!) { createGroupConversation(title: $t, memberIds: $m) { id } }';

async function measureInConversations(delayMs: number, rounds: number): Promise<{ o: StreamsResult; q: StreamsResult }> {
  const ours: StreamsResult[] = [];
  const peer: StreamsResult[] = [];
  await using(
    () => startParley({ env: { BCRYPT_COST: '4', CHAT_ECHO_DELAY_MS: String(delayMs), CHAT_USER_RATE_LIMIT: '0' } }),
    async (p) => {
      const people = await pool(Array.from({ length: PEOPLE }), 4, () => signUp(p.url));
      const groups = await pool(
        Array.from({ length: STREAMS }, (_, g) => Array.from({ length: GROUP_MEMBERS }, (_, k) => (g * GROUP_MEMBERS + k) % PEOPLE)),
        4,
        async (members) => {
          const [creator, ...rest] = members;
          const data = await gql<{ createGroupConversation: { id: string } }>(
            p.url,
            CREATE_GROUP,
            { t: 'bench', m: rest.map((i) => people[i].id) },
            people[creator].token,
          );
          return { id: data.createGroupConversation.id, members };
        },
      );
      const spec: AssistantSpec = { url: p.url, tokens: people.map((u) => u.token), groups, message: MESSAGE };
      for (let i = 0; i < rounds; i++) {
        ours.push(await runChild<StreamsResult>([...TS, 'bench/lib/assistant-clients.ts', JSON.stringify(spec)]));
        // The model answers "Name: @assistant <message>", the line it reads last.
        const said = `User 1: @assistant ${MESSAGE}`;
        peer.push(
          await runChild<StreamsResult>(
            [...TS, 'bench/peers/echo-streams.ts', JSON.stringify({ streams: STREAMS, message: said, delayMs })],
            SERVER_CORE,
          ),
        );
      }
    },
  );
  return { o: best(ours, tokensPerSecond), q: best(peer, tokensPerSecond) };
}

export const aiStreams: Benchmark = {
  name: 'ai-streams',
  row: '9',
  title: 'Row 9: 200 concurrent AI chat streams (offline model) vs the model alone; 200 @assistant answers in groups of 5',
  async run({ quick }) {
    const rounds = ROUNDS(quick);
    const shipped = await measure(SHIPPED_DELAY_MS, rounds);
    const stress = quick ? null : await measure(STRESS_DELAY_MS, 1);
    const inConversations = await measureInConversations(SHIPPED_DELAY_MS, rounds);
    const lines = [
      compare('tokens/s delivered', shipped.o.tokensPerSecond, shipped.q.tokensPerSecond, ['>=', 0.8], 0),
      compare('time to first token p99 ms', shipped.o.ttft.p99, shipped.q.ttft.p99),
      compare('time to first token p50 ms', shipped.o.ttft.p50, shipped.q.ttft.p50),
      compare('seconds for all streams', shipped.o.seconds, shipped.q.seconds),
    ];
    const c = inConversations;
    lines.push(
      compare(
        `in conversations: tokens/s delivered to each of ${GROUP_MEMBERS} members`,
        c.o.tokensPerSecond,
        c.q.tokensPerSecond,
        ['>=', 0.8],
        0,
      ),
      compare('in conversations: mention sent to first MESSAGE_DELTA p99 ms', c.o.ttft.p99, c.q.ttft.p99),
    );
    if (stress) {
      lines.push(
        compare(
          `stress, ${STRESS_DELAY_MS} ms/token: tokens/s delivered`,
          stress.o.tokensPerSecond,
          stress.q.tokensPerSecond,
          undefined,
          0,
        ),
        compare(`stress, ${STRESS_DELAY_MS} ms/token: time to first token p99 ms`, stress.o.ttft.p99, stress.q.ttft.p99),
      );
    }
    const o = shipped.o;
    const q = shipped.q;
    return {
      title: this.title,
      lines,
      notes: [
        `${STREAMS} streams started at once from ${USERS} signed-in users (CHAT_USER_RATE_LIMIT=0: unlimited), the offline model as shipped (CHAT_ECHO_DELAY_MS=${SHIPPED_DELAY_MS}); each answer ${Math.round(o.tokens / Math.max(1, o.completed))} tokens (ChatToken events). Completed: Parley ${o.completed}/${o.streams}, peer ${q.completed}/${q.streams}; tokens: Parley ${o.tokens}, peer ${q.tokens}.${o.errors.length ? ` Errors: ${o.errors.join('; ')}` : ''}`,
        `In conversations: ${STREAMS} groups of ${GROUP_MEMBERS} (${PEOPLE} people on one connection each, every one following its ${(STREAMS * GROUP_MEMBERS) / PEOPLE} groups with conversationEvents), each group's first member sends "@assistant <message>" at once over HTTP; the tenant's assistant answers each as a streaming message (MESSAGE_DELTA per token to every member, MESSAGE_COMPLETED written once). Tokens per member = deltas received / ${GROUP_MEMBERS}. Completed: ${c.o.completed}/${c.o.streams}; tokens per member ${Math.round(c.o.tokens)}, peer ${c.q.tokens}.${c.o.errors.length ? ` Errors: ${c.o.errors.join('; ')}` : ''} First-delta time includes the send, its mention check, the budget check and the answer's MESSAGE_ADDED; the ${STREAMS} sends were answered in ${c.o.sendsAnsweredMs} ms.`,
        `Peer: EchoModel from src/assistant driven directly (doStream, ${STREAMS} at once) in its own process on the server core, no GraphQL, database or socket. Best of ${rounds} alternating round(s) per side, after a 20-stream warm-up on Parley. Time to first token on Parley = subscribe sent to first ChatToken received (includes saving the session and both messages).`,
        ...(stress
          ? [
              `Stress lines: the same with CHAT_ECHO_DELAY_MS=${STRESS_DELAY_MS} (1,000 tokens/s per stream, ${STREAMS * 1000} tokens/s asked of one core), one round: what one core carries when the model is never the limit. Completed: Parley ${stress.o.completed}/${stress.o.streams}.`,
            ]
          : []),
      ],
    };
  },
};
