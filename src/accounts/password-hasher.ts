// bcrypt for one app instance: createServices() builds it (BCRYPT_COST, BCRYPT_CONCURRENCY) and app.stop() closes it.
// Hashes and compares run on a pool of worker threads, at most `concurrency` at once; the rest wait in arrival order.
// Each worker lowers its own thread priority (see bcrypt-worker.mjs): left alone, a burst of sign-ins keeps every core
// hashing and the event loop waits for CPU, so every other request slows down.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Every core on Linux, where the workers run at nice 19: the event loop takes a core whenever it needs one and
 * hashing gets the rest (a sign-in burst may then use the whole machine). Elsewhere the workers keep normal
 * priority, so one core is left to the event loop.
 */
export const defaultBcryptConcurrency = () =>
  process.platform === 'linux' ? availableParallelism() : Math.max(1, availableParallelism() - 1);

interface Job {
  op: 'hash' | 'compare';
  password: string;
  arg: number | string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/** What a hasher has been asked to do: operations started, by kind, and the hash of the latest compare. */
export interface PasswordWork {
  hash: number;
  compare: number;
  lastCompared: string;
}

export class PasswordHasher {
  private idle: Worker[] = [];
  private waiting: Job[] = [];
  private running = new Map<Worker, Job>();
  private readonly done: PasswordWork = { hash: 0, compare: 0, lastCompared: '' };
  private dummy?: Promise<string>;
  private closed = false;
  private readonly cost: number;
  private readonly concurrency: number;

  constructor(opts: { cost: number; concurrency?: number }) {
    this.cost = opts.cost;
    this.concurrency = Math.max(1, opts.concurrency ?? defaultBcryptConcurrency());
  }

  hash(password: string): Promise<string> {
    return this.run<string>('hash', password, this.cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.run<boolean>('compare', password, hash);
  }

  /**
   * A hash to compare against when the account does not exist (made once), so timing does not reveal it: it goes
   * through this same pool and cost as a real account's compare.
   */
  dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(16).toString('hex'));
    return this.dummy;
  }

  /** Counts since start (tests check what sign-in compares). */
  work(): Readonly<PasswordWork> {
    return { ...this.done };
  }

  /** Ends the workers; work still waiting or running fails. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new Error('The password hasher is closed.'));
    const workers = [...this.idle, ...this.running.keys()];
    this.idle = [];
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private run<T>(op: Job['op'], password: string, arg: number | string): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The password hasher is closed.'));
    this.done[op]++;
    if (op === 'compare') this.done.lastCompared = String(arg);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ op, password, arg, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  private pump() {
    while (!this.closed && this.waiting.length && this.running.size < this.concurrency) {
      const worker = this.idle.pop() ?? this.spawn();
      const job = this.waiting.shift()!;
      this.running.set(worker, job);
      worker.ref(); // a hash in progress keeps the process up, an idle worker does not
      worker.postMessage({ id: 0, op: job.op, password: job.password, arg: job.arg });
    }
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./bcrypt-worker.mjs', import.meta.url));
    worker.on('message', (m: { result?: unknown; error?: string }) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      worker.unref();
      if (!this.closed) this.idle.push(worker);
      if (job) {
        if (m.error !== undefined) job.reject(new Error(m.error));
        else job.resolve(m.result);
      }
      this.pump();
    });
    const lost = (err: Error) => {
      // A worker that died takes its job with it (the caller gets the error); the pool starts a new one.
      const job = this.running.get(worker);
      this.running.delete(worker);
      this.idle = this.idle.filter((w) => w !== worker);
      job?.reject(err);
      this.pump();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (this.running.has(worker) || this.idle.includes(worker)) lost(new Error(`bcrypt worker exited with code ${code}`));
    });
    return worker;
  }
}
