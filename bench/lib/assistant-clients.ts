// Row 9's in-conversation line, the load process (pinned to the load core): each member's one graphql-ws
// connection follows every group it is in (conversationEvents from sequence 0, so nothing is missed), then every
// group's first member sends "@assistant ..." at the same moment, and the MESSAGE_DELTA events are counted until
// every member has every answer's MESSAGE_COMPLETED. Prints one JSON line.
import WebSocket from 'ws';
import { summarize } from './stats.ts';
import type { StreamsResult } from './chat-clients.ts';

export interface AssistantSpec {
  url: string;
  /** One token per member (each member follows its groups over one connection). */
  tokens: string[];
  /** Per group: its id and its members (indexes into tokens); the first one mentions the assistant. */
  groups: { id: string; members: number[] }[];
  message: string;
}

const EVENTS = `subscription($c: ID!) { conversationEvents(conversationId: $c, afterSequence: 0) {
  type delta { index text } message { status } } }`;
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
const spec: AssistantSpec = JSON.parse(process.argv[2]);
const wsUrl = spec.url.replace(/^http/, 'ws') + '/graphql';

function connect(token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    const onAck = (data: WebSocket.RawData) => {
      if (JSON.parse(String(data)).type !== 'connection_ack') return;
      ws.off('message', onAck);
      resolve(ws);
    };
    ws.on('message', onAck);
  });
}

const sockets = await Promise.all(spec.tokens.map(connect));
const expected = spec.groups.reduce((n, g) => n + g.members.length, 0);
const errors: string[] = [];
const firstDelta: number[] = [];
const sentAt = new Map<string, number>();
const seenFirst = new Set<string>();
let deltas = 0;
let completed = 0;
let following = 0;
let t0 = 0;
let last = 0;
let resolveLive!: () => void;
const live = new Promise<void>((r) => (resolveLive = r));
let resolveDone!: () => void;
const done = new Promise<void>((r) => (resolveDone = r));

// Subscription ids are `<group index>`; the first event of each (a replayed one) says it is following.
sockets.forEach((ws, member) => {
  const mine = spec.groups.map((g, i) => ({ g, i })).filter(({ g }) => g.members.includes(member));
  const firstSeen = new Set<string>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.type === 'ping') return ws.send(JSON.stringify({ type: 'pong' }));
    if (msg.type === 'error' || msg.payload?.errors) return void errors.push(JSON.stringify(msg.payload).slice(0, 200));
    if (msg.type !== 'next') return;
    if (!firstSeen.has(msg.id)) {
      firstSeen.add(msg.id);
      if (++following === expected) resolveLive();
    }
    const e = msg.payload.data.conversationEvents;
    if (e.type === 'MESSAGE_DELTA') {
      deltas++;
      const group = spec.groups[Number(msg.id)].id;
      if (!seenFirst.has(group) && sentAt.has(group)) {
        seenFirst.add(group);
        firstDelta.push(performance.now() - sentAt.get(group)!);
      }
    } else if (e.type === 'MESSAGE_COMPLETED' && t0) {
      last = performance.now();
      if (++completed === expected) resolveDone();
    }
  });
  for (const { g, i } of mine) {
    ws.send(JSON.stringify({ id: String(i), type: 'subscribe', payload: { query: EVENTS, variables: { c: g.id } } }));
  }
});
await live;

t0 = performance.now();
await Promise.all(
  spec.groups.map(async (g) => {
    sentAt.set(g.id, performance.now());
    const res = await fetch(`${spec.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.tokens[g.members[0]]}` },
      body: JSON.stringify({ query: SEND, variables: { input: { conversationId: g.id, content: `@assistant ${spec.message}` } } }),
    });
    const body = (await res.json()) as { errors?: unknown };
    if (body.errors) errors.push(JSON.stringify(body.errors).slice(0, 200));
  }),
);
const sendsAnswered = performance.now() - t0;
await Promise.race([done, new Promise((r) => setTimeout(r, 120_000))]);
const seconds = ((last || performance.now()) - t0) / 1000;
for (const ws of sockets) ws.terminate();
// Tokens per member: each answer's deltas reach each of its members once.
const perMember = deltas / (expected / spec.groups.length);
const result: StreamsResult = {
  streams: spec.groups.length,
  completed: completed / (expected / spec.groups.length),
  tokens: perMember,
  seconds,
  tokensPerSecond: perMember / seconds,
  ttft: summarize(firstDelta),
  errors: [...new Set(errors)].slice(0, 3),
  sendsAnsweredMs: Math.round(sendsAnswered),
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
