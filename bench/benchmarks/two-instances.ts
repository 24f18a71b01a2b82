// Row 8: fan-out deliveries/s with a group's subscribers split over two Parley instances sharing events through
// Redis (sender on the first), against one instance with in-memory events. Both sides on PostgreSQL (a fresh
// database each), all instances on the server core: the same CPU, so the ratio is the cost of going through Redis.
import type { Benchmark } from './index.ts';
import { startParley, using, type Proc } from '../lib/proc.ts';
import { compare } from '../lib/results.ts';
import { best, round } from '../lib/stats.ts';
import { FANOUT_ENV, MEMBERS, fanout, fanoutGroup, parleySpec } from '../lib/fanout.ts';
import { freshDatabase, pgServerUrl } from '../lib/pg.ts';
import type { FanoutResult } from '../lib/fanout-clients.ts';
import { ROUNDS } from './http-typename.ts';
import { randomBytes } from 'node:crypto';

const SUBSCRIBERS = 1000;

export const twoInstances: Benchmark = {
  name: 'two-instances',
  row: '8',
  title: 'Row 8: fan-out over two instances sharing Redis vs one instance with in-memory events',
  async run({ quick }) {
    const redis = process.env.BENCH_REDIS_URL || process.env.REDIS_URL;
    const server = pgServerUrl();
    if (!redis || !server) {
      return {
        title: this.title,
        lines: [{ metric: 'deliveries/s', ours: 'n/a', peer: 'n/a', ratio: '', target: '>= 0.80x', pass: null }],
        notes: ['Skipped: needs PostgreSQL (DATABASE_URL or BENCH_PG_URL) and Redis (BENCH_REDIS_URL or REDIS_URL).'],
      };
    }
    // The one-instance side must not inherit Redis from the harness's environment.
    delete process.env.REDIS_URL;
    const messages = quick ? 10 : 50;
    const rounds = ROUNDS(quick);
    const db1 = await freshDatabase(server);
    const db2 = await freshDatabase(server);
    try {
      const shared = { ...FANOUT_ENV, DATABASE_URL: db1.url, REDIS_URL: redis, REDIS_PREFIX: `bench-${randomBytes(4).toString('hex')}:` };
      // All three instances stay up and the sides take turns, best round of each kept: with 50 messages a round, one
      // stall of the shared machine would otherwise decide the row.
      const twos: FanoutResult[] = [];
      const ones: FanoutResult[] = [];
      await using(
        () => startParley({ env: shared }),
        (a: Proc) =>
          using(
            () => startParley({ env: shared }),
            (b: Proc) =>
              using(
                () => startParley({ env: { ...FANOUT_ENV, DATABASE_URL: db2.url } }),
                async (p: Proc) => {
                  const [groupTwo, groupOne] = [await fanoutGroup(a.url), await fanoutGroup(p.url)];
                  for (let i = 0; i < rounds; i++) {
                    twos.push(await fanout(parleySpec([a.url, b.url], groupTwo, SUBSCRIBERS, messages, 0)));
                    ones.push(await fanout(parleySpec([p.url], groupOne, SUBSCRIBERS, messages, 0)));
                  }
                },
              ),
          ),
      );
      const [two, one] = [twos, ones].map((rs) => best(rs, (r) => r.deliveriesPerSecond));
      return {
        title: this.title,
        lines: [
          compare(`deliveries/s, ${SUBSCRIBERS} subscribers`, two.deliveriesPerSecond, one.deliveriesPerSecond, ['>=', 0.8], 0),
          compare('send-to-receive p50 ms at saturation', two.saturation.p50, one.saturation.p50),
          compare('send-to-receive p99 ms at saturation', two.saturation.p99, one.saturation.p99),
        ],
        notes: [
          `${SUBSCRIBERS} graphql-ws subscribers of one group (${MEMBERS} members, connections round robin), half on each instance; one sender on the first instance, ${messages} messages, 4 in flight, best of ${rounds} alternating round(s) per side (the three instances up throughout). Delivered/expected: two instances ${two.delivered}/${two.expected}, one instance ${one.delivered}/${one.expected}. Messages accepted/s: ${round(two.messagesPerSecond, 1)} vs ${round(one.messagesPerSecond, 1)}.`,
          'Both instances pinned to the same server core as the single instance (same CPU budget); Redis and PostgreSQL are not pinned and not charged to either side.',
        ],
      };
    } finally {
      await db1.drop();
      await db2.drop();
    }
  },
};
