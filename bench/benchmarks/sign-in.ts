// Row 6: sign-in throughput at the default bcrypt cost against what the server's cores can hash, and the latency of
// a cheap query while sign-ins saturate the hashing (it must stay low: hashing runs off the event loop).
import type { Benchmark } from './index.ts';
import { startParley, using, SERVER_CORE, SERVER_CORES, TS } from '../lib/proc.ts';
import { gqlBody, httpLoad, runChild, type HttpJob } from '../lib/load.ts';
import { ratioText } from '../lib/results.ts';
import { round } from '../lib/stats.ts';
import { PASSWORD, SIGN_IN, signIn, signUp } from '../lib/gql.ts';

const COST = 12; // the default BCRYPT_COST (src/config.ts); the server below runs with its default
// Enough requests in flight to keep every core hashing while others wait on the database, and few enough that each
// one finishes well within the run (a sign-in holds its connection for connections / rate seconds).
const SIGN_IN_CONNECTIONS = 2 * SERVER_CORES + 2;
const PROBE_RATE = 100;

export const signInBench: Benchmark = {
  name: 'sign-in',
  row: '6',
  title: 'Row 6: sign-in throughput at bcrypt cost 12, and { __typename } p99 during a sign-in burst',
  async run({ quick }) {
    // Full runs: about 15-20 s of sign-ins at cost 12, so the probe's p99 rests on some 1,500 samples per phase.
    const amount = quick ? 6 : 60;
    // Measured on the server's core before the server starts, so nothing else of ours competes for it.
    const single = await runChild<{ rate: number; hashes: number; cpuMsPerHash: number }>(
      [...TS, 'bench/lib/hash-rate.ts', String(COST), String(quick ? 1.5 : 6)],
      SERVER_CORE,
    );
    const expected = SERVER_CORES * single.rate;

    const { signins, during, idle, burst, seconds, cpuMsPerSignIn } = await using(
      () => startParley(),
      async (p) => {
        const user = await signUp(p.url);
        // Fails loudly if sign-in is broken, before any load; also the warm-up (an aborted closed-loop warm-up would
        // leave hashes running into the measured phase).
        for (let i = 0; i < 3; i++) await signIn(p.url, user.email);
        // The probe runs about as long as the sign-ins are expected to take.
        const seconds = Math.max(quick ? 3 : 5, Math.min(60, Math.ceil(amount / expected)));
        const probe: HttpJob = {
          name: 'probe',
          url: `${p.url}/graphql`,
          body: gqlBody('{ __typename }'),
          connections: 2,
          rate: PROBE_RATE,
          warmup: 2,
          duration: seconds,
        };
        const burstProbe: HttpJob = { ...probe, warmup: 0 };
        const signinJob: HttpJob = {
          name: 'sign-in',
          url: `${p.url}/graphql`,
          body: gqlBody(SIGN_IN, { input: { email: user.email, password: PASSWORD } }),
          connections: SIGN_IN_CONNECTIONS,
          warmup: 0,
          duration: 0,
          amount,
        };
        const [idle] = await httpLoad([probe]);
        // Throughput alone first (the probe would take CPU from the hashing), then the burst with the probe.
        const cpuBefore = await p.cpuSeconds();
        const [signins] = await httpLoad([signinJob]);
        // All of the server's threads (event loop, bcrypt worker, V8's helpers); the server is idle around the job.
        const cpuMsPerSignIn = (((await p.cpuSeconds()) - cpuBefore) * 1000) / signins.total;
        const [during, burst] = await httpLoad([signinJob, burstProbe]);
        return { signins, during, idle, burst, seconds, cpuMsPerSignIn };
      },
    );
    return {
      title: this.title,
      lines: [
        {
          metric: 'sign-ins/s',
          ours: round(signins.rps, 2).toString(),
          peer: `${round(expected, 2)} (${SERVER_CORES} x ${round(single.rate, 2)})`,
          ratio: ratioText(signins.rps, expected),
          target: '>= 0.90x',
          pass: signins.rps / expected >= 0.9,
        },
        {
          metric: 'server CPU ms per sign-in vs per bare compare',
          ours: round(cpuMsPerSignIn, 1).toString(),
          peer: round(single.cpuMsPerHash, 1).toString(),
          ratio: ratioText(cpuMsPerSignIn, single.cpuMsPerHash),
          target: '',
          pass: null,
        },
        {
          metric: '{ __typename } p99 ms, burst vs idle',
          ours: round(burst.latency.p99).toString(),
          peer: round(idle.latency.p99).toString(),
          ratio: ratioText(burst.latency.p99, idle.latency.p99),
          target: '<= 1.5x',
          pass: burst.latency.p99 / idle.latency.p99 <= 1.5,
        },
        {
          metric: '{ __typename } p50 ms, burst vs idle',
          ours: round(burst.latency.p50).toString(),
          peer: round(idle.latency.p50).toString(),
          ratio: ratioText(burst.latency.p50, idle.latency.p50),
          target: '',
          pass: null,
        },
      ],
      notes: [
        `During the burst with the probe: ${round(during.rps, 2)} sign-ins/s.`,
        `Single-hash rate: ${single.hashes} synchronous bcrypt compares at cost ${COST} on the server core (${SERVER_CORE}) before the server started; the server may use ${SERVER_CORES} core(s).`,
        `Sign-in: ${amount} sign-ins on ${SIGN_IN_CONNECTIONS} connections, closed loop, in ${round(signins.seconds, 1)} s (errors/non-2xx ${signins.errors}/${signins.non2xx}). Probe: { __typename } at ${PROBE_RATE} req/s on 2 connections, ${seconds} s idle, then ${seconds} s during the burst (${idle.latency.count} and ${burst.latency.count} samples).`,
      ],
    };
  },
};
