// Row 1: `{ __typename }` over HTTP through Parley's whole stack (tenant, context, limits, masking, operation log)
// against the bare graphql-yoga hello-world, each alone on the server core under the same closed-loop load.
import type { Benchmark } from './index.ts';
import { startParley, startPeer, using } from '../lib/proc.ts';
import { alternate, gqlBody, type HttpJob } from '../lib/load.ts';
import { compare } from '../lib/results.ts';

export const CONNECTIONS = 32;
/** Alternating rounds per side; each side's best round is reported. */
export const ROUNDS = (quick: boolean) => (quick ? 1 : 3);
/** Seconds of warm-up and of measurement per round of the HTTP rows (`--quick`: a smoke test of a few seconds). */
export const TIMING = (quick: boolean) => ({ warmup: quick ? 1 : 5, duration: quick ? 2 : 15 });

export const httpTypename: Benchmark = {
  name: 'http-typename',
  row: '1',
  title: 'Row 1: HTTP { __typename } through the full stack vs bare graphql-yoga',
  async run({ quick }) {
    const job = (url: string): HttpJob => ({
      name: 'typename',
      url: `${url}/graphql`,
      body: gqlBody('{ __typename }'),
      connections: CONNECTIONS,
      ...TIMING(quick),
    });
    // Both servers stay up (idle while the other is measured) so the rounds can alternate.
    const [ours, peer] = await using(
      () => startParley(),
      (parley) =>
        using(
          () => startPeer('yoga-hello.ts'),
          (yoga) =>
            alternate(
              [
                { job: job(parley.url), server: parley },
                { job: job(yoga.url), server: yoga },
              ],
              ROUNDS(quick),
            ),
        ),
    );
    return {
      title: this.title,
      lines: [
        compare('req/s', ours.rps, peer.rps, ['>=', 0.8], 0),
        compare('p99 ms', ours.latency.p99, peer.latency.p99, ['<=', 1.25]),
        compare('p50 ms', ours.latency.p50, peer.latency.p50),
        compare('server CPU µs per request', ours.cpuUsPerRequest!, peer.cpuUsPerRequest!, undefined, 0),
      ],
      notes: [
        `${CONNECTIONS} connections, closed loop, ${job('').warmup} s warm-up + ${job('').duration} s measured per round, best of ${ROUNDS(quick)} alternating round(s) per side; errors/non-2xx: Parley ${ours.errors}/${ours.non2xx}, peer ${peer.errors}/${peer.non2xx}.`,
        'Server CPU per request = CPU time of the server process (all threads, /proc/<pid>/stat) over warm-up + measurement, divided by the responses: it does not depend on how fast the shared load core is.',
      ],
    };
  },
};
