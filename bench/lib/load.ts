// Load generators run in their own process, pinned to the load core, never in the server's process.
import { spawn } from 'node:child_process';
import { nodeCommand, LOAD_CORE, ROOT, TS, type Proc } from './proc.ts';
import type { LatencySummary } from './stats.ts';

export interface HttpJob {
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** A file whose bytes are the body (binary bodies: uploads), instead of `body`. */
  bodyFile?: string;
  connections: number;
  /** Seconds of warm-up (not measured) and of measurement. */
  warmup: number;
  duration: number;
  /** Stop after this many requests instead of after `duration` (throughput is then amount / elapsed). */
  amount?: number;
  /** Fixed request rate for the whole job (req/s); unset = as fast as the server answers. */
  rate?: number;
}

export interface HttpResult {
  name: string;
  /** 2xx responses per second of measurement (measured seconds in `seconds`). */
  rps: number;
  total: number;
  /** Responses during the warm-up. */
  warmupTotal: number;
  seconds: number;
  errors: number;
  non2xx: number;
  latency: LatencySummary;
  /** Server CPU time per request (warm-up included), when the server process was given: robust to a slow load. */
  cpuUsPerRequest?: number;
}

/** Runs the jobs side by side in one load process; resolves with one result per job. */
export function httpLoad(jobs: HttpJob[]): Promise<HttpResult[]> {
  return runChild<HttpResult[]>([...TS, 'bench/lib/cannon.ts', JSON.stringify(jobs)]);
}

/** Runs a node script on the load core and parses the last line it prints as JSON. */
export function runChild<T>(args: string[], core = LOAD_CORE): Promise<T> {
  const [cmd, argv] = nodeCommand(core, args);
  const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${args.join(' ').slice(0, 120)} failed (${code}):\n${err.slice(-4000)}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`unexpected output from ${args[2]}:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

export const gqlBody = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

/**
 * Measures the sides in alternating rounds (A, B, A, B, ...) so that a burst of noise from other work on the machine
 * does not land on one side only, and keeps each side's best round: noise only ever slows a side down.
 */
export async function alternate<const S extends readonly Side[]>(sides: S, rounds: number): Promise<{ [K in keyof S]: HttpResult }> {
  const best: (HttpResult | null)[] = sides.map(() => null);
  for (let i = 0; i < rounds; i++) {
    for (const [k, side] of sides.entries()) {
      const r = await measured(side);
      if (!best[k] || r.rps > best[k].rps) best[k] = r;
    }
  }
  return best as { [K in keyof S]: HttpResult };
}

export interface Side {
  job: HttpJob;
  /** The server answering `job`, to charge its CPU time to the requests. */
  server?: Proc;
}

/** One job, with the server's CPU time per request when the server is given. */
export async function measured({ job, server }: Side): Promise<HttpResult> {
  const before = await server?.cpuSeconds();
  const [r] = await httpLoad([job]);
  if (server && before !== undefined) r.cpuUsPerRequest = (((await server.cpuSeconds()) - before) * 1e6) / (r.total + r.warmupTotal);
  return r;
}
