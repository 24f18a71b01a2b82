// Row 11: one message at a time to a group of 10,000 members with 500 of them connected (each an inbox
// subscription: `conversationEvents` without a conversation, what a chat client keeps open), against the same group
// at 5,000 members. A large group's events reach inboxes through its own topic, so the 5,000 members more should cost
// nothing; a third line runs 10,000 members with per-member publishing (LARGE_GROUP_MEMBERS=10000, as every group was
// published before), which is what the design saves. Members past the 500 who sign up are rows written with `pg`.
import pg from 'pg';
import type { Benchmark } from './index.ts';
import { startParley, using, type Proc } from '../lib/proc.ts';
import { compare } from '../lib/results.ts';
import { round } from '../lib/stats.ts';
import { freshDatabase, pgServerUrl } from '../lib/pg.ts';
import { gql, pool, signUp } from '../lib/gql.ts';
import { FANOUT_ENV, fanout, fanoutSpec, type FanoutTarget } from '../lib/fanout.ts';
import type { FanoutResult } from '../lib/fanout-clients.ts';

const INBOX = 'subscription { conversationEvents { type sequence message { id content createdAt sender { id name } } } }';
const CONNECTED = 500;
const ADD = 'mutation($c: ID!, $u: [ID!]!) { addMembers(conversationId: $c, userIds: $u) { memberCount } }';

interface Stage {
  owner: { id: string; token: string };
  connected: { id: string; token: string }[];
  conversationId: string;
}

/** The owner, the connected members (signed up) and a group of them all. */
async function stage(url: string): Promise<Stage> {
  const owner = await signUp(url);
  const connected = await pool(Array.from({ length: CONNECTED }), 4, () => signUp(url));
  const { createGroupConversation } = await gql<{ createGroupConversation: { id: string } }>(
    url,
    'mutation($m: [ID!]!) { createGroupConversation(memberIds: $m, title: "crowd") { id } }',
    { m: connected.map((m) => m.id) },
    owner.token,
  );
  return { owner, connected, conversationId: createGroupConversation.id };
}

/** Grows the group by `count` accounts (numbered from `from`) written straight into the database, added 1,000 per addMembers. */
async function grow(url: string, databaseUrl: string, s: Stage, count: number, from: number): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO "User" (id, "tenantId", email, name, username, "passwordHash", "updatedAt")
       SELECT gen_random_uuid()::text, u."tenantId", 'crowd' || n || '@bench.example', 'Crowd ' || n, 'crowd_' || n, 'x', now()
       FROM generate_series($2::int, $3::int - 1) n, "User" u WHERE u.id = $1 RETURNING id`,
      [s.owner.id, from, from + count],
    );
    for (let i = 0; i < rows.length; i += 1000) {
      await gql(url, ADD, { c: s.conversationId, u: rows.slice(i, i + 1000).map((r) => r.id) }, s.owner.token);
    }
  } finally {
    await db.end();
  }
}

/** Events published on members' own topics so far (parley_events_published_total{topic="user:event"}). */
async function userPublishes(p: Proc): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  return Number(/parley_events_published_total\{topic="user:event"\} (\d+)/.exec(text)?.[1] ?? 0);
}

/** Saturation: `messages` sends, 4 in flight, each delivered to the 500 inboxes; and the member-topic publishes it made. */
async function measure(p: Proc, s: Stage, messages: number): Promise<FanoutResult & { publishesPerMessage: number }> {
  const target: FanoutTarget = {
    protocol: 'graphql-ws',
    wsUrls: [p.url.replace(/^http/, 'ws') + '/graphql'],
    subscribers: CONNECTED,
    tokens: s.connected.map((m) => m.token),
    query: INBOX,
    variables: {},
    send: {
      url: `${p.url}/graphql`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${s.owner.token}` },
      body: JSON.stringify({
        query: 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }',
        variables: { input: { conversationId: s.conversationId, content: '@STAMP@' } },
      }),
    },
  };
  const before = await userPublishes(p);
  const result = await fanout(fanoutSpec(target, messages, 0));
  return { ...result, publishesPerMessage: ((await userPublishes(p)) - before) / (messages + 1) };
}

export const largeGroup: Benchmark = {
  name: 'large-group',
  row: '11',
  title: 'Row 11: messages to a 10,000-member group with 500 inboxes connected vs the same group at 5,000 members',
  async run({ quick }) {
    const server = pgServerUrl();
    if (!server) {
      return {
        title: this.title,
        lines: [{ metric: 'deliveries/s', ours: 'n/a', peer: 'n/a', ratio: '', target: '>= 0.90x', pass: null }],
        notes: ['Skipped: the members past the 500 who sign up are written with `pg`; set DATABASE_URL (or BENCH_PG_URL).'],
      };
    }
    const messages = quick ? 20 : 100;
    const db = await freshDatabase(server);
    const env = { ...FANOUT_ENV, DATABASE_URL: db.url, METRICS: 'true', WS_MAX_CONNECTIONS_PER_IP: '0' };
    try {
      const [at5k, at10k, perMember] = await using(
        () => startParley({ env }),
        async (p) => {
          const s = await stage(p.url);
          const firstGrowth = 5_000 - CONNECTED - 1; // the owner and the connected members are in already
          await grow(p.url, db.url, s, firstGrowth, 0);
          const five = await measure(p, s, messages);
          await grow(p.url, db.url, s, 5_000, firstGrowth);
          const ten = await measure(p, s, messages);
          // The same group and inboxes on a server that publishes to every member, as every group was before.
          const old = await using(
            () => startParley({ env: { ...env, LARGE_GROUP_MEMBERS: '10000' } }),
            (q) => measure(q, s, messages),
          );
          return [five, ten, old] as const;
        },
      );
      return {
        title: this.title,
        lines: [
          compare('deliveries/s, 10,000 members vs 5,000', at10k.deliveriesPerSecond, at5k.deliveriesPerSecond, ['>=', 0.9], 0),
          compare('messages/s, 10,000 vs 5,000', at10k.messagesPerSecond, at5k.messagesPerSecond, undefined, 1),
          compare('p99 ms send to inbox, 10,000 vs 5,000', at10k.saturation.p99, at5k.saturation.p99),
          {
            metric: 'publishes on members\u2019 topics per message, 10,000 / 5,000',
            ours: String(round(at10k.publishesPerMessage, 1)),
            peer: String(round(at5k.publishesPerMessage, 1)),
            ratio: '',
            target: '0',
            pass: at10k.publishesPerMessage === 0 && at5k.publishesPerMessage === 0,
          },
          compare(
            'deliveries/s, 10,000 members published to each member (before)',
            perMember.deliveriesPerSecond,
            at10k.deliveriesPerSecond,
            undefined,
            0,
          ),
          {
            metric: 'publishes on members\u2019 topics per message, published to each member (before)',
            ours: String(round(perMember.publishesPerMessage, 0)),
            peer: '',
            ratio: '',
            target: '',
            pass: null,
          },
        ],
        notes: [
          `PostgreSQL (fresh database on ${new URL(server).host}); ${CONNECTED} members signed up and connected, one inbox subscription each (conversationEvents without conversationId); the rest of the members are rows added 1,000 per addMembers. ${messages} messages at saturation (4 sends in flight), each to every connected inbox.`,
          `Delivered: 5,000 members ${at5k.delivered}/${at5k.expected}, 10,000 ${at10k.delivered}/${at10k.expected}, per-member ${perMember.delivered}/${perMember.expected}; connections closed by the server: ${at5k.closed} / ${at10k.closed} / ${perMember.closed}.`,
          'The "before" line is the same database, group and inboxes on a second Parley started with LARGE_GROUP_MEMBERS=10000, so every event goes to each member\u2019s own topic as every group\u2019s did before large groups: ratio = before / now.',
        ],
      };
    } finally {
      await db.drop();
    }
  },
};
