// Row 2: `{ me { id name } }` with a session bearer token, and with a JWT access token (`mutation { accessToken }`),
// each against the same query signed out, on the same server.
import type { Benchmark } from './index.ts';
import { freshDataDir, startParley, using, SERVER_CORE, TS } from '../lib/proc.ts';
import type { CountSpec } from '../lib/count-queries.ts';
import { alternate, gqlBody, runChild, type HttpJob } from '../lib/load.ts';
import { compare } from '../lib/results.ts';
import { gql, signUp } from '../lib/gql.ts';
import { CONNECTIONS, ROUNDS, TIMING } from './http-typename.ts';

const ME = '{ me { id name } }';

export const authMe: Benchmark = {
  name: 'auth-me',
  row: '2',
  title: 'Row 2: authenticated { me { id name } } (session token, JWT) vs the same query signed out',
  async run({ quick }) {
    const job = (url: string, name: string, token?: string): HttpJob => ({
      name,
      url: `${url}/graphql`,
      body: gqlBody(ME),
      headers: token ? { authorization: `Bearer ${token}` } : {},
      connections: CONNECTIONS,
      ...TIMING(quick),
    });
    const [[anon, session], [anonJ, jwt]] = await using(
      () => startParley(),
      async (p) => {
        const user = await signUp(p.url);
        const { accessToken } = await gql<{ accessToken: { token: string } }>(
          p.url,
          'mutation { accessToken { token } }',
          undefined,
          user.token,
        );
        const s = await alternate(
          [
            { job: job(p.url, 'signed out'), server: p },
            { job: job(p.url, 'session token', user.token), server: p },
          ],
          ROUNDS(quick),
        );
        const j = await alternate(
          [
            { job: job(p.url, 'signed out'), server: p },
            { job: job(p.url, 'JWT', accessToken.token), server: p },
          ],
          ROUNDS(quick),
        );
        return [s, j] as const;
      },
    );
    // Counting SQL starts Parley once more in-process: full runs only (--quick stays under two minutes).
    const queries = quick
      ? null
      : await runChild<Record<string, number>>(
          [
            ...TS,
            'bench/lib/count-queries.ts',
            JSON.stringify({
              dataDir: await freshDataDir(),
              queries: [
                { name: 'anon', query: ME },
                { name: 'session', query: ME, signedIn: true },
                { name: 'jwt', query: ME, signedIn: 'jwt' },
              ],
            } satisfies CountSpec),
          ],
          SERVER_CORE,
        );
    return {
      title: this.title,
      lines: [
        compare('req/s (session token)', session.rps, anon.rps, ['>=', 0.7], 0),
        compare('p99 ms (session token)', session.latency.p99, anon.latency.p99),
        compare('server CPU µs per request (session token)', session.cpuUsPerRequest!, anon.cpuUsPerRequest!, undefined, 0),
        {
          metric: 'SQL statements per request (session token)',
          ours: queries ? String(queries.session) : 'n/a (full run)',
          peer: queries ? String(queries.anon) : '',
          ratio: '',
          target: '',
          pass: null,
        },
        compare('req/s (JWT)', jwt.rps, anonJ.rps, ['>=', 0.7], 0),
        compare('p99 ms (JWT)', jwt.latency.p99, anonJ.latency.p99),
        compare('server CPU µs per request (JWT)', jwt.cpuUsPerRequest!, anonJ.cpuUsPerRequest!, undefined, 0),
        {
          metric: 'SQL statements per request (JWT)',
          ours: queries ? String(queries.jwt) : 'n/a (full run)',
          peer: queries ? String(queries.anon) : '',
          ratio: '',
          target: '',
          pass: null,
        },
      ],
      notes: [
        `Peer is the same server and query without a token (\`me\` is null, no database access). ${CONNECTIONS} connections, ${job('', '').warmup} s warm-up + ${job('', '').duration} s measured per round, best of ${ROUNDS(quick)} alternating round(s) per side, the JWT pair measured after the session pair against its own signed-out rounds; errors/non-2xx: token ${session.errors}/${session.non2xx}, JWT ${jwt.errors}/${jwt.non2xx}, signed out ${anon.errors}/${anon.non2xx} and ${anonJ.errors}/${anonJ.non2xx}.`,
        'JWT obtained with `mutation { accessToken { token } }` using the session token, then sent as `Authorization: Bearer <jwt>`.',
      ],
    };
  },
};
