// Load process (run pinned to the load core by load.ts): runs autocannon jobs side by side, first a warm-up, then the
// measured phase, and prints one JSON line with throughput and latency percentiles from every response's own time
// (autocannon's histogram rounds to whole milliseconds).
// @ts-expect-error autocannon ships no types
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { summarize } from './stats.ts';
import type { HttpJob, HttpResult } from './load.ts';

const jobs: HttpJob[] = JSON.parse(process.argv[2]);

function run(
  job: HttpJob,
  seconds: number,
  samples?: number[],
): Promise<{ total: number; errors: number; non2xx: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let lastResponse = started;
    const instance = autocannon(
      {
        url: job.url,
        method: job.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...job.headers },
        body: job.bodyFile ? readFileSync(job.bodyFile) : job.body,
        connections: job.connections,
        ...(job.amount && samples ? { amount: job.amount } : { duration: seconds }),
        ...(job.rate ? { overallRate: job.rate } : {}),
        timeout: 30,
      },
      (err: Error | null, r: { non2xx: number; errors: number; timeouts: number; '2xx': number }) => {
        if (err) return reject(err);
        // With `amount`, autocannon notices that it is done only at its next once-a-second tick: timing to the
        // callback would add up to a second of idle server to the run, so a fixed-amount job ends at its last response.
        const ended = job.amount && samples ? lastResponse : performance.now();
        resolve({ total: r['2xx'], errors: r.errors + r.timeouts, non2xx: r.non2xx, seconds: (ended - started) / 1000 });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      lastResponse = performance.now();
      if (samples && status < 300) samples.push(ms);
    });
  });
}

const results: HttpResult[] = [];
const warm = await Promise.all(jobs.map((j) => (j.warmup > 0 ? run(j, j.warmup) : { total: 0 })));
await Promise.all(
  jobs.map(async (job, i) => {
    const samples: number[] = [];
    const r = await run(job, job.duration, samples);
    results[i] = {
      name: job.name,
      rps: r.total / (job.amount ? r.seconds : job.duration),
      ...r,
      warmupTotal: warm[i].total,
      latency: summarize(samples),
    };
  }),
);
process.stdout.write(JSON.stringify(results) + '\n');
