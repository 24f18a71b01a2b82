// Row 5: memory per idle WebSocket connection. Parley: each connection signed in with its own session
// (connection_init) and subscribed to `sessionsEnded`; peer: raw `ws` connections that send nothing. Both servers
// are measured from outside: RSS from /proc/<pid>/status after full GCs (probe.mjs, on SIGUSR2), before and after
// opening the connections; the growth divided by the number of connections is the cost of one. A floor
// (peers/ws-graphql.ts: bare graphql-ws and graphql-js holding the same subscription) shows what the protocol
// library alone holds per subscribed connection.
import type { Benchmark } from './index.ts';
import { startParley, startPeer, using, type Memory, type Proc } from '../lib/proc.ts';
import { startWsClients, type WsClients } from '../lib/ws-load.ts';
import { formatBytes } from '../lib/stats.ts';
import { gql, pool, signIn, signUp } from '../lib/gql.ts';
import type { Line } from '../lib/results.ts';

const QUERY = 'subscription { sessionsEnded { reason } }';
const USERS = 10;
const WARM = 50;

interface Growth {
  size: number;
  rss: number;
  heap: number;
}

/** Memory after full GCs, read until RSS stops moving (V8 and malloc give pages back lazily after a GC). */
async function settle(p: Proc): Promise<Memory> {
  let last = await p.memory();
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await p.memory();
    const steady = Math.abs(now.rss - last.rss) < 256 * 1024;
    last = now;
    if (steady) break;
  }
  return last;
}

/** Opens `sizes` connections cumulatively (after WARM warm-up connections) and returns the growth per connection. */
async function measure(
  p: Proc,
  open: (clients: WsClients, count: number, from: number) => Promise<void>,
  sizes: number[],
): Promise<Growth[]> {
  const clients = startWsClients();
  try {
    await open(clients, WARM, 0);
    const base = await settle(p);
    const out: Growth[] = [];
    let opened = 0;
    for (const size of sizes) {
      await open(clients, size - opened, WARM + opened);
      opened = size;
      const now = await settle(p);
      out.push({ size, rss: (now.rss - base.rss) / size, heap: (now.heapUsed + now.external - base.heapUsed - base.external) / size });
    }
    return out;
  } finally {
    await clients.close();
  }
}

/** Parley's growth per connection; each connection has its own session, and (if `subscribed`) one live subscription. */
function parleyGrowth(sizes: number[], subscribed: boolean): Promise<Growth[]> {
  const total = WARM + sizes[sizes.length - 1];
  return using(
    // Sessions are created by signing in once per connection; cost 4 keeps that quick and changes no memory figure.
    () => startParley({ probe: true, env: { BCRYPT_COST: '4' } }),
    async (p) => {
      const wsUrl = p.url.replace(/^http/, 'ws') + '/graphql';
      const users = await pool(Array.from({ length: USERS }), 4, () => signUp(p.url));
      const tokens = await pool(
        Array.from({ length: total }, (_, i) => users[i % USERS]),
        16,
        (u) => signIn(p.url, u.email),
      );
      let expectedEvents = 0;
      return measure(
        p,
        async (clients, count, from) => {
          const query = subscribed ? QUERY : undefined;
          const r = await clients.request({
            cmd: 'open',
            url: wsUrl,
            count,
            protocol: 'graphql-ws',
            tokens: tokens.slice(from, from + count),
            query,
          });
          if (r.failed) throw new Error(`${r.failed} graphql-ws connections failed: ${r.lastError}`);
          if (!subscribed) return;
          // Subscriptions give no "ready" signal: end one extra session of every user, and wait until every open
          // connection has had its sessionsEnded event, which proves each subscription is live.
          for (const u of users) {
            const extra = await signIn(p.url, u.email);
            await gql(p.url, 'mutation { signOut }', undefined, extra);
          }
          expectedEvents += r.open;
          const seen = await clients.waitFor((x) => x.events >= expectedEvents, 60_000);
          if (seen.events < expectedEvents) throw new Error(`only ${seen.events} of ${expectedEvents} sessionsEnded events arrived`);
        },
        sizes,
      );
    },
  );
}

/**
 * The RSS and heap lines of one measured side against the raw peer at the same size; `target` puts the row's
 * target on the RSS line. RSS can fall while connections are added (the allocator handing back pages freed before
 * the baseline): a growth of zero or less measures nothing, and is no result either way.
 */
function memoryLines(prefix: string, o: Growth, q: Growth, target: boolean, suffix = ''): Line[] {
  const valid = o.rss > 0 && q.rss > 0;
  const rssRatio = o.rss / q.rss;
  return [
    {
      metric: `${prefix}RSS per connection, ${o.size}${suffix}`,
      ours: formatBytes(o.rss),
      peer: formatBytes(q.rss),
      ratio: valid ? `${rssRatio.toFixed(2)}x` : 'n/a (RSS fell)',
      target: target ? '<= 2x' : '',
      pass: target && valid ? rssRatio <= 2 : null,
    },
    {
      metric: `${prefix}V8 heap+external per connection, ${o.size}${suffix}`,
      ours: formatBytes(o.heap),
      peer: formatBytes(q.heap),
      ratio: `${(o.heap / q.heap).toFixed(2)}x`,
      target: '',
      pass: null,
    },
  ];
}

export const wsMemory: Benchmark = {
  name: 'ws-memory',
  row: '5',
  title: 'Row 5: memory per idle authenticated subscribed WebSocket vs raw ws',
  async run({ quick }) {
    const sizes = quick ? [500] : [1000, 5000];
    const ours = await parleyGrowth(sizes, true);
    // Where it goes: the same connections, authenticated, without the subscription (1k only; not with --quick).
    const unsubscribed = quick ? null : (await parleyGrowth([sizes[0]], false))[0];

    const peer = await using(
      () => startPeer('ws-raw.ts', { probe: true }),
      (p) =>
        measure(
          p,
          async (clients, count) => {
            const r = await clients.request({ cmd: 'open', url: p.url.replace(/^http/, 'ws'), count, protocol: 'raw' });
            if (r.failed) throw new Error(`${r.failed} raw connections failed: ${r.lastError}`);
          },
          sizes,
        ),
    );

    // The floor: bare graphql-ws connections with the same subscription, proven live by one event to each.
    const floor = await using(
      () => startPeer('ws-graphql.ts', { probe: true }),
      (p) => {
        let expectedEvents = 0;
        return measure(
          p,
          async (clients, count) => {
            const r = await clients.request({
              cmd: 'open',
              url: p.url.replace(/^http/, 'ws'),
              count,
              protocol: 'graphql-ws',
              query: QUERY,
            });
            if (r.failed) throw new Error(`${r.failed} graphql-ws connections to the floor failed: ${r.lastError}`);
            expectedEvents += r.open;
            await fetch(`${p.url}/emit`, { method: 'POST' });
            const seen = await clients.waitFor((x) => x.events >= expectedEvents, 60_000);
            if (seen.events < expectedEvents) throw new Error(`only ${seen.events} of ${expectedEvents} floor events arrived`);
          },
          sizes,
        );
      },
    );

    const lines: Line[] = [];
    for (let i = 0; i < sizes.length; i++) lines.push(...memoryLines('', ours[i], peer[i], true));
    for (let i = 0; i < sizes.length; i++)
      lines.push(...memoryLines('floor (bare graphql-ws + graphql-js, subscribed): ', floor[i], peer[i], false));
    if (unsubscribed) lines.push(...memoryLines('', unsubscribed, peer[0], false, ', authenticated but not subscribed'));
    return {
      title: this.title,
      lines,
      notes: [
        `Growth of the server process after full GCs, from a baseline with ${WARM} warm connections open, divided by the connections added (cumulative: the 5,000 figure includes the first 1,000).`,
        'Floor lines: bare graphql-ws (`useServer` over `ws`) with a graphql-js schema and the same subscription document (parsed once), no yoga, envelop, Pothos, auth or database, its connections proven live by one event each (peers/ws-graphql.ts); the Parley column holds the floor there, the peer column the same raw `ws` connections.',
        `Parley: ${USERS} users, one session per connection, graphql-ws connection_init with the token, one \`sessionsEnded\` subscription each, proven live by an event on every connection before measuring. PGlite runs inside the server process, so its cache growth from the session lookups is included.`,
      ],
    };
  },
};
