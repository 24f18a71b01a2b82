// Row 3: a 50-message history page with senders through GraphQL against the same rows and JSON from one
// hand-written `pg` query (peers/history-pg.ts), both on the same fresh PostgreSQL database.
import type { Benchmark } from './index.ts';
import { freshDataDir, startParley, startPeer, using, usingAll, SERVER_CORE, TS } from '../lib/proc.ts';
import type { CountSpec } from '../lib/count-queries.ts';
import { alternate, gqlBody, runChild, type HttpJob } from '../lib/load.ts';
import { compare } from '../lib/results.ts';
import { round } from '../lib/stats.ts';
import { seedConversation, seedRichConversation, signUp } from '../lib/gql.ts';
import { freshDatabase, pgServerUrl } from '../lib/pg.ts';
import { CONNECTIONS, ROUNDS, TIMING } from './http-typename.ts';

const PAGE =
  'query($conversationId: ID!) { messages(conversationId: $conversationId, last: 50) { edges { node { id content sequence createdAt sender { id name } } } } }';

/** The same page with what a chat client shows beside each message: quotes, reactions, mentions, threads. */
export const RICH_PAGE =
  'query($conversationId: ID!) { messages(conversationId: $conversationId, last: 50) { edges { node { id content sequence createdAt sender { id name } replyTo { id content senderName } reactions { emoji count reactedByMe } mentions { id name } threadSummary { replyCount lastReplyAt } } } } }';

export const historyPage: Benchmark = {
  name: 'history-page',
  row: '3',
  title: 'Row 3: 50-message history page with senders vs a hand-written pg query',
  async run({ quick }) {
    const server = pgServerUrl();
    if (!server) {
      return {
        title: this.title,
        lines: [{ metric: 'req/s', ours: 'n/a', peer: 'n/a', ratio: '', target: '>= 0.70x', pass: null }],
        notes: [
          'Skipped: the peer is a `pg` query and needs PostgreSQL; set DATABASE_URL (or BENCH_PG_URL) to a server where a fresh database can be created.',
        ],
      };
    }
    const db = await freshDatabase(server);
    const timing = TIMING(quick);
    try {
      const env = { DATABASE_URL: db.url };
      const [ours, peer, floor, sample] = await using(
        () => startParley({ env }),
        async (p) => {
          // Two members so senders differ; 60 messages so the page is a full 50 of a longer history.
          const otherUsername = `bench_${Date.now().toString(36)}`;
          const other = await signUp(p.url, otherUsername);
          const user = await signUp(p.url);
          const conversationId = await seedConversation(p.url, user.token, 60, [other.id]);
          const richId = await seedRichConversation(p.url, user, other, otherUsername, 60);
          const jobOurs: HttpJob = {
            name: 'parley',
            url: `${p.url}/graphql`,
            body: gqlBody(PAGE, { conversationId }),
            headers: { authorization: `Bearer ${user.token}` },
            connections: CONNECTIONS,
            ...timing,
          };
          const jobRich: HttpJob = { ...jobOurs, name: 'parley rich', body: gqlBody(RICH_PAGE, { conversationId: richId }) };
          const peers = ['history-pg.ts', 'history-yoga.ts', 'history-rich-pg.ts', 'history-rich-yoga.ts'];
          return usingAll(
            peers.map((file) => () => startPeer(file, { env })),
            async ([peerProc, floorProc, richProc, richFloorProc]) => {
              const jobPeer: HttpJob = {
                name: 'pg',
                url: `${peerProc.url}/history`,
                body: conversationId,
                connections: CONNECTIONS,
                ...timing,
              };
              const jobFloor: HttpJob = { ...jobOurs, name: 'yoga+pg', url: `${floorProc.url}/graphql`, headers: {} };
              const jobRichPeer: HttpJob = {
                ...jobPeer,
                name: 'pg rich',
                url: `${richProc.url}/history`,
                body: JSON.stringify({ conversationId: richId, viewerId: user.id }),
              };
              const jobRichFloor: HttpJob = {
                ...jobRich,
                name: 'yoga+pg rich',
                url: `${richFloorProc.url}/graphql`,
                headers: { 'x-viewer-id': user.id },
              };
              // Same JSON on all sides, checked once before measuring.
              const post = (job: HttpJob) =>
                fetch(job.url, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json', ...job.headers },
                  body: job.body,
                }).then((r) => r.text());
              const [a, b, c] = [await post(jobOurs), await post(jobPeer), await post(jobFloor)];
              const [d, e, f] = [await post(jobRich), await post(jobRichPeer), await post(jobRichFloor)];
              const [o, pr, fl, ri, rp, rf] = await alternate(
                [
                  { job: jobOurs, server: p },
                  { job: jobPeer, server: peerProc },
                  { job: jobFloor, server: floorProc },
                  { job: jobRich, server: p },
                  { job: jobRichPeer, server: richProc },
                  { job: jobRichFloor, server: richFloorProc },
                ],
                ROUNDS(quick),
              );
              const sample = {
                same: a === b && b === c,
                richSame: d === e && e === f,
                bytes: a.length,
                peerBytes: b.length,
                richBytes: d.length,
              };
              return [o, pr, fl, { ...sample, rich: ri, richPeer: rp, richFloor: rf }] as const;
            },
          );
        },
      );
      const queries = await runChild<Record<string, number>>(
        [
          ...TS,
          'bench/lib/count-queries.ts',
          JSON.stringify({
            dataDir: await freshDataDir(),
            databaseUrl: db.url,
            seedMessages: 60,
            queries: [
              { name: 'page', query: PAGE, signedIn: true },
              { name: 'rich', query: RICH_PAGE, signedIn: true, rich: true },
            ],
          } satisfies CountSpec),
        ],
        SERVER_CORE,
      );
      return {
        title: this.title,
        lines: [
          compare('req/s', ours.rps, peer.rps, ['>=', 0.7], 0),
          compare('p99 ms', ours.latency.p99, peer.latency.p99),
          compare('p50 ms', ours.latency.p50, peer.latency.p50),
          compare('server CPU µs per request', ours.cpuUsPerRequest!, peer.cpuUsPerRequest!, undefined, 0),
          compare('floor: bare graphql-yoga + the same pg query, req/s', floor.rps, peer.rps, undefined, 0),
          compare('floor: server CPU µs per request', floor.cpuUsPerRequest!, peer.cpuUsPerRequest!, undefined, 0),
          compare('Parley vs the floor, req/s', ours.rps, floor.rps, undefined, 0),
          { metric: 'SQL statements per request', ours: String(queries.page), peer: '1', ratio: '', target: 'bounded', pass: null },
          compare('rich page (quotes, reactions, mentions, threads) req/s vs the same JSON from pg', sample.rich.rps, sample.richPeer.rps, [
            '>=',
            round((ours.rps / peer.rps) * 0.9, 2),
          ]),
          compare('rich floor: bare graphql-yoga + the same pg queries, req/s', sample.richFloor.rps, sample.richPeer.rps, undefined, 0),
          compare(
            'rich page vs the rich floor, req/s (plain: Parley vs the floor above)',
            sample.rich.rps,
            sample.richFloor.rps,
            undefined,
            0,
          ),
          compare('rich page vs the plain page, req/s', sample.rich.rps, ours.rps, undefined, 0),
          compare('rich page server CPU µs per request', sample.rich.cpuUsPerRequest!, ours.cpuUsPerRequest!, undefined, 0),
          {
            metric: 'rich page SQL statements per request',
            ours: String(queries.rich),
            peer: '1',
            ratio: '',
            target: 'bounded',
            pass: null,
          },
        ],
        notes: [
          `Rich page target: the plain page's ratio to its peer, within 10% (row 3's ratio kept with the new fields selected); its peer (peers/history-rich-pg.ts) answers the same JSON with three hand-written queries (the page with each quote, reactions per emoji, mentioned members): ${sample.richSame ? 'identical JSON' : 'JSON NOT identical'} (${sample.richBytes} bytes); errors/non-2xx: Parley ${sample.rich.errors}/${sample.rich.non2xx}, peer ${sample.richPeer.errors}/${sample.richPeer.non2xx}.`,
          `Rich page: a second group of the same two, 60 messages where every third quotes the one before, every fourth mentions the other member, every second has two reactions and every fifth a thread reply (RICH_PAGE selects them, and the senders); its ratio to the plain page is what the new fields cost.`,
          `PostgreSQL (fresh database on ${new URL(server).host}); one group of 2 members, 60 messages from one sender, page = the newest 50. Response ${sample.bytes} bytes, peer ${sample.peerBytes} bytes, ${sample.same ? 'identical JSON on all three sides' : 'JSON NOT identical (check field order/format)'}.`,
          `${CONNECTIONS} connections, ${timing.warmup} s warm-up + ${timing.duration} s measured per round, best of ${ROUNDS(quick)} alternating round(s); errors/non-2xx: Parley ${ours.errors}/${ours.non2xx}, peer ${peer.errors}/${peer.non2xx}, floor ${floor.errors}/${floor.non2xx}.`,
          "Floor (peers/history-yoga.ts): graphql-yoga with a graphql-js schema and default resolvers over the peer's pg query, no Prisma, session, membership check or limits: the most any server on graphql-yoga can reach here; the ratio the target asks is bounded by its ratio.",
          'Peer: node:http + pg.Pool (10 connections, as Parley\'s default DATABASE_POOL_SIZE), one SELECT ... LEFT JOIN "User" ... ORDER BY sequence DESC LIMIT 50; it checks no session or membership. Server CPU per request counts only the Node process, not PostgreSQL.',
          'SQL statements per request: one warm request, counted in-process (lib/count-queries.ts) on the same database; includes session lookup and membership check.',
        ],
      };
    } finally {
      await db.drop();
    }
  },
};
