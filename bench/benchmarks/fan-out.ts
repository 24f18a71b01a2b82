// Row 4: one sender, 100 and 1,000 graphql-ws subscribers of one group (`conversationEvents`), against a raw `ws`
// server broadcasting the very frame Parley sent (peers/ws-raw.ts), and against Socket.IO broadcasting it to one room
// (peers/socketio.ts), what a chat server would otherwise be built on. Subscribers and sender live in one process on
// the load core (lib/fanout-clients.ts); each message carries its send time, each delivery is timed on arrival.
// Parley runs on embedded PGlite and, when a PostgreSQL server is given (DATABASE_URL or BENCH_PG_URL), once more on
// a fresh PostgreSQL database: PGlite executes every send's SQL on the server's own pinned core, PostgreSQL (as
// deployed) in its own processes. Each is measured against the same peers at its own half-load rate.
import type { Benchmark } from './index.ts';
import { startParley, startPeer, using } from '../lib/proc.ts';
import { compare, type Line } from '../lib/results.ts';
import { round } from '../lib/stats.ts';
import { freshDatabase, pgServerUrl } from '../lib/pg.ts';
import { EVENTS, FANOUT_ENV, MEMBERS, fanout, fanoutGroup, fanoutSpec, parleySpec, type FanoutTarget } from '../lib/fanout.ts';
import type { FanoutResult } from '../lib/fanout-clients.ts';
import type { SocketIoClient } from '../lib/socketio-client.ts';

export const fanOut: Benchmark = {
  name: 'fan-out',
  row: '4',
  title: 'Row 4: graphql-ws fan-out to 100 and 1,000 subscribers of one group vs raw ws and Socket.IO broadcast',
  async run({ quick }) {
    // --quick: the larger size only; BENCH_FANOUT_SIZES=100 (say) for one size, e.g. under a profiler.
    const sizes = process.env.BENCH_FANOUT_SIZES?.split(',').map(Number) ?? (quick ? [1000] : [100, 1000]);
    const rateSeconds = quick ? 2 : 5;
    const messagesFor = (size: number) => (size >= 1000 ? (quick ? 6 : 50) : quick ? 15 : 200);
    const server = pgServerUrl();
    // With DATABASE_URL set, Parley runs on PostgreSQL only (as every row then does).
    const databases: Database[] = process.env.DATABASE_URL ? [] : [{ label: 'PGlite' }];
    if (server) databases.push({ label: 'PostgreSQL', server });

    // Parley on each database: per size, saturation, then latency at half the message rate it sustained.
    const ours = new Map<Database, FanoutResult[]>();
    for (const database of databases) {
      const db = database.server ? await freshDatabase(database.server) : null;
      try {
        ours.set(
          database,
          await using(
            () => startParley({ env: { ...FANOUT_ENV, ...(db ? { DATABASE_URL: db.url } : {}) } }),
            async (p) => {
              const group = await fanoutGroup(p.url);
              const results: FanoutResult[] = [];
              try {
                for (const size of sizes) {
                  const sat = await fanout(parleySpec([p.url], group, size, messagesFor(size), 0));
                  const atRate = await fanout(parleySpec([p.url], group, size, 1, halfRate(sat), rateSeconds));
                  results.push({
                    ...sat,
                    atRate: atRate.atRate,
                    closed: sat.closed + atRate.closed,
                    resets: sat.resets + atRate.resets,
                    lastError: sat.lastError ?? atRate.lastError,
                  });
                }
              } catch (err) {
                const parleyOutput = `Parley output (exit ${p.child.exitCode}):\n${p.output().slice(-3000)}`;
                throw new Error(`${(err as Error).message}\n${parleyOutput}`, { cause: err });
              }
              return results;
            },
          ),
        );
      } finally {
        await db?.drop();
      }
    }

    // The peers: per size, saturation once, then latency at each rate Parley was measured at. Both broadcast the frame
    // Parley delivered, its stamp replaced by each send's.
    const first = ours.get(databases[0])!;
    const measurePeer = (file: string, client: Pick<FanoutTarget, 'protocol' | 'socketIoClient'>): Promise<PeerResult[]> =>
      using(
        () => startPeer(file),
        async (p) => {
          const out: PeerResult[] = [];
          for (let i = 0; i < sizes.length; i++) {
            const target: FanoutTarget = {
              ...client,
              wsUrls: [p.url.replace(/^http/, 'ws')],
              subscribers: sizes[i],
              send: { url: `${p.url}/broadcast`, headers: {}, body: first[i].sample.replace(/msg -?\d+ @\d+\.\d+@/, '@STAMP@') },
            };
            const spec = (rate: number, messages: number) => fanoutSpec(target, messages, rate, rateSeconds);
            const sat = await fanout(spec(0, messagesFor(sizes[i])));
            const atRate = new Map<number, FanoutResult>();
            for (const database of databases) {
              const rate = halfRate(ours.get(database)![i]);
              if (!atRate.has(rate)) atRate.set(rate, await fanout(spec(rate, 1)));
            }
            out.push({ sat, atRate });
          }
          return out;
        },
      );
    const peer = await measurePeer('ws-raw.ts', { protocol: 'raw' });
    const socketIo = await measurePeer('socketio.ts', { protocol: 'socket.io', socketIoClient: SOCKETIO_CLIENT });

    // The floor: bare graphql-ws + graphql-js (peers/ws-graphql.ts), no database, the same subscription document; its
    // sends are plain POSTs of the text. Saturation, then latency at the first database's half-load rate.
    const floor: FanoutResult[] = await using(
      () => startPeer('ws-graphql.ts'),
      async (p) => {
        const out: FanoutResult[] = [];
        for (let i = 0; i < sizes.length; i++) {
          const target: FanoutTarget = {
            protocol: 'graphql-ws',
            wsUrls: [p.url.replace(/^http/, 'ws')],
            subscribers: sizes[i],
            tokens: ['floor'],
            query: EVENTS,
            variables: { c: 'floor' },
            send: { url: `${p.url}/broadcast`, headers: {}, body: '@STAMP@' },
          };
          const spec = (rate: number, messages: number) => fanoutSpec(target, messages, rate, rateSeconds);
          const sat = await fanout(spec(0, messagesFor(sizes[i])));
          const atRate = await fanout(spec(halfRate(first[i]), 1));
          out.push({ ...sat, atRate: atRate.atRate });
        }
        return out;
      },
    );

    const lines: Line[] = [];
    for (let i = 0; i < sizes.length; i++) {
      for (const database of databases) {
        const o = ours.get(database)![i];
        const q = peer[i].sat;
        const on = `${sizes[i]}, ${database.label}`;
        lines.push(
          compare(
            `deliveries/s, ${sizes[i]} subscribers, ${database.label}`,
            o.deliveriesPerSecond,
            q.deliveriesPerSecond,
            ['>=', 0.25],
            0,
          ),
        );
        lines.push(compare(`send-to-receive p50 ms at saturation, ${on}`, o.saturation.p50, q.saturation.p50));
        lines.push(compare(`send-to-receive p99 ms at saturation, ${on}`, o.saturation.p99, q.saturation.p99));
        const rate = halfRate(o);
        const r = peer[i].atRate.get(rate)!.atRate;
        if (o.atRate && r) {
          lines.push(compare(`p50 ms at ${rate} msg/s (half Parley's rate), ${on}`, o.atRate.p50, r.p50));
          lines.push(compare(`p99 ms at ${rate} msg/s (half Parley's rate), ${on}`, o.atRate.p99, r.p99, ['<=', 2]));
        }
        lines.push(...socketIoLines(o, socketIo[i], sizes[i], database.label));
      }
      const f = floor[i];
      const rate = halfRate(first[i]);
      const r = peer[i].atRate.get(rate)!.atRate;
      lines.push(
        compare(
          `floor (bare graphql-ws + graphql-js, no database): deliveries/s, ${sizes[i]}`,
          f.deliveriesPerSecond,
          peer[i].sat.deliveriesPerSecond,
          undefined,
          0,
        ),
      );
      if (f.atRate && r) lines.push(compare(`floor: p99 ms at ${rate} msg/s, ${sizes[i]}`, f.atRate.p99, r.p99));
    }
    const each = (f: (o: FanoutResult, q: FanoutResult, size: number, database: Database) => string) =>
      sizes.flatMap((s, i) => databases.map((d) => f(ours.get(d)![i], peer[i].sat, s, d))).join('; ');
    const sioEach = (f: (q: FanoutResult) => string) => sizes.map((s, i) => `${f(socketIo[i].sat)} at ${s}`).join(', ');
    return {
      title: this.title,
      lines,
      notes: [
        `Parley: one group of 1 sender + ${MEMBERS} members; subscriber i is a graphql-ws connection of member i mod ${MEMBERS} (a group has at most 256 members), each with one \`conversationEvents(conversationId)\` subscription selecting the message and its sender; the sender calls \`sendMessage\` over HTTP. Peer: raw \`ws\` broadcast of the same frame bytes Parley delivered (${first[0].sample.length} bytes), sent by POST /broadcast.`,
        `Databases: ${databases.map((d) => d.label).join(' and ')}${server ? ' (a fresh database)' : ' (no PostgreSQL given: DATABASE_URL or BENCH_PG_URL)'}. Embedded PGlite runs each send's SQL in the server process, on the server's pinned core; PostgreSQL, as deployed, runs it in its own processes, which are not pinned.`,
        `Saturation: ${sizes.map((s) => `${messagesFor(s)} messages at ${s}`).join(', ')}, 4 sends in flight; deliveries/s = deliveries / (first send to last delivery). Delivered/expected: ${each((o, q, s, d) => `Parley ${o.delivered}/${o.expected} (${d.label}), peer ${q.delivered}/${q.expected} at ${s}`)}. Messages accepted/s by the sender: ${each((o, q, s, d) => `Parley ${round(o.messagesPerSecond, 1)} (${d.label}), peer ${round(q.messagesPerSecond, 1)} at ${s}`)}.`,
        `Connections closed by the server during the runs: ${each((o, q, s, d) => `Parley ${o.closed} (${d.label}), peer ${q.closed} at ${s}`)}; sends retried after a keep-alive reset: ${each((o, q, s, d) => `Parley ${o.resets} (${d.label}), peer ${q.resets} at ${s}`)}${
          [...ours.values()].flat().some((o) => o.lastError)
            ? ` (last error: ${[...ours.values()]
                .flat()
                .map((o) => o.lastError)
                .filter(Boolean)
                .pop()})`
            : ''
        }.`,
        `Socket.IO lines ("vs Socket.IO"; peer column = Socket.IO 4.8, peers/socketio.ts): every subscriber in one room, websocket transport only, the default in-memory adapter; POST /broadcast emits the same frame, parsed, as one \`message\` event (on the wire \`42["message",<frame>]\`, ${first[0].sample.length + 14} bytes). Subscribers: ${SOCKETIO_CLIENT === 'lean' ? "a lean `ws` client speaking Engine.IO v4 / Socket.IO v5 framing, as light per frame as the other sides' clients" : 'socket.io-client 4.8 (websocket transport), which parses every event'} (BENCH_SOCKETIO_CLIENT=${SOCKETIO_CLIENT}). Delivered/expected: ${sioEach((q) => `${q.delivered}/${q.expected}`)}; messages accepted/s: ${sioEach((q) => String(round(q.messagesPerSecond, 1)))}; connections closed by the server: ${sioEach((q) => String(q.closed))}.`,
        `Floor lines: bare graphql-ws (\`useServer\` over \`ws\`) with a graphql-js schema and the same subscription document, executing every event once per subscriber, no database, auth or HTTP GraphQL on the send side (a plain POST of the text; peers/ws-graphql.ts); the Parley column holds the floor there, at the latency rate of ${databases[0].label}. Delivered/expected: ${sizes.map((s, i) => `${floor[i].delivered}/${floor[i].expected} at ${s}`).join(', ')}.`,
        'Latency phase: a fixed send rate of half the message rate Parley sustained at that size on that database, the same rate on both sides ("half load" taken as half of Parley\'s own maximum). Subscriptions are proven live by a probe message reaching every connection before measuring. Clients parse only the send stamp out of each frame.',
      ],
    };
  },
};

interface PeerResult {
  sat: FanoutResult;
  /** Latency runs by message rate: one per distinct half-load rate of Parley's databases. */
  atRate: Map<number, FanoutResult>;
}

/** Which Socket.IO subscribers the load process runs (lib/socketio-client.ts): lean by default. */
const SOCKETIO_CLIENT: SocketIoClient = process.env.BENCH_SOCKETIO_CLIENT === 'library' ? 'library' : 'lean';

/**
 * Parley on one database beside Socket.IO at one size; the targets (>= 0.8x deliveries/s, p99 at half load <= 1.5x)
 * hold at 1,000 subscribers, the smaller size is shown for reference.
 */
function socketIoLines(o: FanoutResult, sio: PeerResult, size: number, database: string): Line[] {
  const targeted = size >= 1000;
  const on = `${size}, ${database}`;
  const lines = [
    compare(
      `vs Socket.IO: deliveries/s, ${size} subscribers, ${database}`,
      o.deliveriesPerSecond,
      sio.sat.deliveriesPerSecond,
      targeted ? ['>=', 0.8] : undefined,
      0,
    ),
    compare(`vs Socket.IO: send-to-receive p50 ms at saturation, ${on}`, o.saturation.p50, sio.sat.saturation.p50),
    compare(`vs Socket.IO: send-to-receive p99 ms at saturation, ${on}`, o.saturation.p99, sio.sat.saturation.p99),
  ];
  const rate = halfRate(o);
  const r = sio.atRate.get(rate)?.atRate;
  if (o.atRate && r) {
    lines.push(compare(`vs Socket.IO: p50 ms at ${rate} msg/s (half Parley's rate), ${on}`, o.atRate.p50, r.p50));
    lines.push(
      compare(`vs Socket.IO: p99 ms at ${rate} msg/s (half Parley's rate), ${on}`, o.atRate.p99, r.p99, targeted ? ['<=', 1.5] : undefined),
    );
  }
  return lines;
}

interface Database {
  label: string;
  /** PostgreSQL server to create a fresh database on; none for embedded PGlite. */
  server?: string;
}

/** Half the message rate a saturation run sustained: the latency phase's rate. */
const halfRate = (sat: FanoutResult) => round(sat.messagesPerSecond / 2, 1);
