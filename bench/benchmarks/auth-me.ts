// Row 2 (session-token half): `{ me { id name } }` with a session bearer token against the same query signed out, on
// the same server. The JWT half needs JWT access tokens: add a third job with `authorization: Bearer <jwt>` here.
import type { Benchmark } from './index.ts';
import { startParley, using } from '../lib/proc.ts';
import { alternate, gqlBody, type HttpJob } from '../lib/load.ts';
import { ratioText } from '../lib/results.ts';
import { round } from '../lib/stats.ts';
import { signUp } from '../lib/gql.ts';
import { CONNECTIONS, ROUNDS } from './http-typename.ts';

export const authMe: Benchmark = {
  name: 'auth-me',
  row: '2',
  title: 'Row 2: authenticated { me { id name } } (session token) vs the same query signed out',
  async run({ quick }) {
    const job = (url: string, name: string, token?: string): HttpJob => ({
      name,
      url: `${url}/graphql`,
      body: gqlBody('{ me { id name } }'),
      headers: token ? { authorization: `Bearer ${token}` } : {},
      connections: CONNECTIONS,
      warmup: quick ? 2 : 5,
      duration: quick ? 5 : 15,
    });
    const [anon, session] = await using(
      () => startParley(),
      async (p) => {
        const user = await signUp(p.url);
        return alternate(job(p.url, 'signed out'), job(p.url, 'session token', user.token), ROUNDS(quick));
      },
    );
    const lines = [
      { metric: 'req/s (session token)', ours: round(session.rps, 0).toString(), peer: round(anon.rps, 0).toString(), ratio: ratioText(session.rps, anon.rps), target: '>= 0.70x', pass: session.rps / anon.rps >= 0.7 },
      { metric: 'p99 ms (session token)', ours: round(session.latency.p99).toString(), peer: round(anon.latency.p99).toString(), ratio: ratioText(session.latency.p99, anon.latency.p99), target: '', pass: null },
      { metric: 'req/s (JWT)', ours: 'n/a', peer: '', ratio: '', target: '>= 0.70x', pass: null },
    ];
    return {
      title: this.title,
      lines,
      notes: [
        `Peer is the same server and query without a token (\`me\` is null, no database access). ${CONNECTIONS} connections, ${job('', '').warmup} s warm-up + ${job('', '').duration} s measured per round, best of ${ROUNDS(quick)} alternating round(s) per side; errors/non-2xx: token ${session.errors}/${session.non2xx}, signed out ${anon.errors}/${anon.non2xx}.`,
        'JWT: not measurable on this branch yet (JWT access tokens land with the auth branch).',
      ],
    };
  },
};
