// Starting what a benchmark measures: Parley and its peers as child processes, pinned to the server core, each on a
// free port, ready when /health answers. Memory is read from outside (/proc/<pid>/status) after a GC that the probe
// preload (probe.mjs) runs on SIGUSR2, so nothing in the server itself is there for the benchmark's sake.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

export const ROOT = resolve(import.meta.dirname, '../..');
const PROBE = resolve(import.meta.dirname, 'probe.mjs');

/** Server on core 0, load on core 1, when taskset exists and there are at least two cores. */
export const PINNING = cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;
/** Cores the server process may run on (hashing threads included). */
export const SERVER_CORES = PINNING ? 1 : cpus().length;
export const LOG_LEVEL = 'warn';
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/**
 * How peers and load generators run their TypeScript: compiled on load by esbuild, with no name-keeping helpers
 * (see bench/lib/ts-hooks.mjs), so a peer runs code of the same shape as Parley's ahead-of-time build.
 */
export const TS = ['--import', './bench/lib/ts-register.mjs'];
/** Parley as production runs it (npm start, the Dockerfile): plain JavaScript from dist/, built by `npm run build`. */
export const PARLEY_MAIN = ['--enable-source-maps', 'dist/main.js'];

// dist/ is (re)built once per benchmark run when it is missing or older than src/, as npm start does.
let built: Promise<void> | null = null;

function buildParley(): Promise<void> {
  built ??= new Promise((done, fail) => {
    const build = spawn(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    build.once('error', fail);
    build.once('exit', (code) => (code === 0 ? done() : fail(new Error(`npm run build failed (${code})`))));
  });
  return built;
}

/** `node <args>` pinned to `core` when pinning is available. */
export function nodeCommand(core: number, args: string[]): [string, string[]] {
  return PINNING ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args];
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

export interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

export interface Proc {
  name: string;
  pid: number;
  url: string;
  child: ChildProcess;
  /** Full GC in the process (needs --expose-gc and the probe), then VmRSS from /proc and V8 heap figures. */
  memory(): Promise<Memory>;
  /** CPU seconds the process has used so far (all threads: user + system), from /proc/<pid>/stat. */
  cpuSeconds(): Promise<number>;
  /** Output so far, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  /** Arguments after `node`, e.g. PARLEY_MAIN or [...TS, 'bench/peers/<file>.ts']. */
  args: string[];
  env?: Record<string, string>;
  /** Preload the GC/memory probe (and --expose-gc). */
  probe?: boolean;
  readyTimeoutMs?: number;
}

export async function startProcess(opts: StartOptions): Promise<Proc> {
  const port = await freePort();
  const nodeArgs = opts.probe ? ['--expose-gc', '--import', PROBE, ...opts.args] : opts.args;
  const [cmd, args] = nodeCommand(SERVER_CORE, nodeArgs);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const probeWaiters: ((m: { heapUsed: number; external: number }) => void)[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.startsWith('@@probe ')) probeWaiters.shift()?.(JSON.parse(line.slice(8)));
      else if (line) out = (out + line + '\n').slice(-8000);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 180_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited (${child.exitCode}) before it was ready:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.name} was not ready within ${opts.readyTimeoutMs ?? 180_000} ms:\n${out}`);
    }
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    name: opts.name,
    pid: child.pid!,
    url,
    child,
    output: () => out,
    async cpuSeconds() {
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    async memory() {
      if (!opts.probe) throw new Error(`${opts.name} was started without the memory probe`);
      const v8 = new Promise<{ heapUsed: number; external: number }>((r) => probeWaiters.push(r));
      child.kill('SIGUSR2');
      const { heapUsed, external } = await v8;
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]);
      return { rss: kb * 1024, heapUsed, external };
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// PGlite's first start applies the migrations (tens of seconds on a busy machine); every benchmark then starts
// from a copy of one migrated data directory made once per run.
let template: Promise<string> | null = null;
const tempDirs: string[] = [];

function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-bench-template-'));
    tempDirs.push(dir);
    await buildParley();
    const p = await startProcess({ name: 'parley (migrating template)', args: PARLEY_MAIN, env: parleyEnv(dir) });
    await p.stop();
    return dir;
  })();
  return template;
}

function parleyEnv(dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL,
    DATA_DIR: dataDir,
    AUTH_SECRET: randomBytes(24).toString('hex'),
    // Benchmarks sign thousands of connections in from one address (and row 6 signs one account in repeatedly):
    // the abuse limits would answer RATE_LIMITED, which measures the limiter, not Parley.
    RATE_LIMIT_SIGN_IN_ACCOUNT: 'off',
    RATE_LIMIT_SIGN_IN_IP: 'off',
    RATE_LIMIT_SIGN_UP_IP: 'off',
    // Likewise thousands of WebSockets from a handful of users on one address: the connection caps would close them.
    WS_MAX_CONNECTIONS_PER_USER: '0',
    WS_MAX_CONNECTIONS_PER_IP: '0',
    // And one user (or, signed out, one address) keeps 32 HTTP connections busy (CONNECTIONS), plus the probes and
    // setup requests beside them: the per-client limit on operations in flight would refuse some with RATE_LIMITED.
    GRAPHQL_MAX_INFLIGHT_PER_CLIENT: '0',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    // WS_DIRECT_FRAMES=false measures graphql-ws's own frame path (the "before" of realtime/ws-frames.ts).
    ...(process.env.WS_DIRECT_FRAMES ? { WS_DIRECT_FRAMES: process.env.WS_DIRECT_FRAMES } : {}),
  };
}

export const databaseKind = () => (process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite');

/** A fresh data directory holding a copy of the migrated database (PGlite), or an empty one (PostgreSQL). */
export async function freshDataDir(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-'));
  tempDirs.push(dataDir);
  if (!process.env.DATABASE_URL) await cp(await migratedTemplate(), dataDir, { recursive: true });
  return dataDir;
}

/** Parley as deployed (`node --enable-source-maps dist/main.js`, NODE_ENV=production), on a fresh copy of the database. */
export async function startParley(opts: { env?: Record<string, string>; probe?: boolean; nodeArgs?: string[] } = {}): Promise<Proc> {
  const dataDir = await freshDataDir();
  await buildParley();
  return startProcess({
    name: 'parley',
    args: [...(opts.nodeArgs ?? []), ...profileArgs(), ...PARLEY_MAIN],
    env: { ...parleyEnv(dataDir), ...opts.env },
    probe: opts.probe,
  });
}

/** BENCH_CPU_PROF=<dir>: every Parley started writes a V8 CPU profile there when it stops (open in Chrome DevTools). */
function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', resolve(dir)] : [];
}

/** A peer from bench/peers/, compiled on load with no name-keeping helpers, like Parley's build (see TS). */
export function startPeer(file: string, opts: { probe?: boolean; env?: Record<string, string> } = {}): Promise<Proc> {
  return startProcess({ name: file, args: [...TS, `bench/peers/${file}`], probe: opts.probe, env: opts.env });
}

export async function cleanup(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Runs `fn` with every process `starts` starts (one after another), and always stops those that started. */
export async function usingAll<T>(starts: (() => Promise<Proc>)[], fn: (ps: Proc[]) => Promise<T>): Promise<T> {
  const [first, ...rest] = starts;
  if (!first) return fn([]);
  return using(first, (p) => usingAll(rest, (ps) => fn([p, ...ps])));
}

/** Runs `fn` with the processes it starts, and always stops them. */
export async function using<T>(start: () => Promise<Proc>, fn: (p: Proc) => Promise<T>): Promise<T> {
  const p = await start();
  try {
    return await fn(p);
  } finally {
    await p.stop();
  }
}
