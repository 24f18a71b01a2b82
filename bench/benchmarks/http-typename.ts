// Row 1: `{ __typename }` over HTTP through Parley's whole stack (tenant, context, limits, masking, operation log)
// against the bare graphql-yoga hello-world, each alone on the server core under the same closed-loop load.
import type { Benchmark } from './index.ts';
import { startParley, startPeer, using } from '../lib/proc.ts';
import { alternate, gqlBody, type HttpJob } from '../lib/load.ts';
import { ratioText } from '../lib/results.ts';
import { round } from '../lib/stats.ts';

export const CONNECTIONS = 32;
/** Alternating rounds per side; each side's best round is reported. */
export const ROUNDS = (quick: boolean) => (quick ? 1 : 3);

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
      warmup: quick ? 2 : 5,
      duration: quick ? 5 : 15,
    });
    // Both servers stay up (idle while the other is measured) so the rounds can alternate.
    const [ours, peer] = await using(
      () => startParley(),
      (parley) => using(() => startPeer('yoga-hello.ts'), (yoga) => alternate(job(parley.url), job(yoga.url), ROUNDS(quick))),
    );
    const rps = ours.rps / peer.rps;
    const p99 = ours.latency.p99 / peer.latency.p99;
    return {
      title: this.title,
      lines: [
        { metric: 'req/s', ours: round(ours.rps, 0).toString(), peer: round(peer.rps, 0).toString(), ratio: ratioText(ours.rps, peer.rps), target: '>= 0.80x', pass: rps >= 0.8 },
        { metric: 'p99 ms', ours: round(ours.latency.p99).toString(), peer: round(peer.latency.p99).toString(), ratio: ratioText(ours.latency.p99, peer.latency.p99), target: '<= 1.25x', pass: p99 <= 1.25 },
        { metric: 'p50 ms', ours: round(ours.latency.p50).toString(), peer: round(peer.latency.p50).toString(), ratio: ratioText(ours.latency.p50, peer.latency.p50), target: '', pass: null },
      ],
      notes: [
        `${CONNECTIONS} connections, closed loop, ${job('').warmup} s warm-up + ${job('').duration} s measured per round, best of ${ROUNDS(quick)} alternating round(s) per side; errors/non-2xx: Parley ${ours.errors}/${ours.non2xx}, peer ${peer.errors}/${peer.non2xx}.`,
      ],
    };
  },
};
