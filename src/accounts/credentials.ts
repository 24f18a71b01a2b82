// Input rules for accounts, shared by GraphQL and REST: one place decides what a valid email, password,
// username and phone number are, and the messages users see.
import { randomBytes, createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { badInput } from '../errors.ts';
import { requireText } from '../text-rules.ts';

export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72; // bcrypt reads no further; longer input is rejected, never truncated

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  // Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is checked by verification mail.
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw badInput('Enter a valid email address.', 'email');
  }
  return email;
}

export function checkPassword(password: string, field = 'password'): void {
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < PASSWORD_MIN_BYTES) throw badInput(`Password must be at least ${PASSWORD_MIN_BYTES} characters.`, field);
  if (bytes > PASSWORD_MAX_BYTES) {
    throw badInput(`Password must be at most ${PASSWORD_MAX_BYTES} bytes (UTF-8); it is ${bytes}.`, field);
  }
}

export function normalizeUsername(raw: string): string {
  const username = raw.trim().toLowerCase();
  if (!/^[a-z0-9_.]{3,30}$/.test(username)) {
    throw badInput('Username must be 3 to 30 characters of a-z, 0-9, "_" and ".".', 'username');
  }
  return username;
}

/** Accepts common punctuation and returns E.164 (`+` and 8 to 15 digits); a country code is required. */
export function normalizePhone(raw: string): string {
  const compact = raw.trim().replace(/[\s().-]/g, '');
  const e164 = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  if (!/^\+[1-9]\d{7,14}$/.test(e164)) {
    throw badInput('Enter the phone number in international format with its country code, e.g. +14155550123.', 'phoneNumber');
  }
  return e164;
}

export function normalizeName(raw: string): string {
  return requireText(raw, { field: 'name', label: 'A name', max: 100 });
}

export function normalizeImage(raw: string | null | undefined): string | null {
  if (raw == null || raw.trim() === '') return null;
  const image = raw.trim();
  if (image.length > 2048 || !/^(https?:\/\/|data:image\/)/.test(image)) {
    throw badInput('Image must be an http(s) URL or a data:image URI under 2048 characters.', 'image');
  }
  return image;
}

/**
 * bcrypt runs on a pool of worker threads, at most `limit` at once (default: defaultBcryptConcurrency()); the
 * rest wait in arrival order. Each worker lowers its own thread priority (see bcrypt-worker.mjs): left alone, a
 * burst of sign-ins keeps every core hashing and the event loop waits for CPU, so every other request slows down.
 */
interface Job {
  op: 'hash' | 'compare';
  password: string;
  arg: number | string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

class HashPool {
  private idle: Worker[] = [];
  private workers = 0;
  private waiting: Job[] = [];
  private running = new Map<Worker, Job>();
  /** Operations started so far, by kind, and the hash of the latest compare (tests check what sign-in compares). */
  readonly done = { hash: 0, compare: 0, lastCompared: '' };
  constructor(public limit: number) {}

  run<T>(op: Job['op'], password: string, arg: number | string): Promise<T> {
    this.done[op]++;
    if (op === 'compare') this.done.lastCompared = String(arg);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ op, password, arg, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  private pump() {
    while (this.waiting.length && this.running.size < this.limit) {
      const worker = this.idle.pop() ?? this.spawn();
      const job = this.waiting.shift()!;
      this.running.set(worker, job);
      worker.ref(); // a hash in progress keeps the process up, an idle worker does not
      worker.postMessage({ id: 0, op: job.op, password: job.password, arg: job.arg });
    }
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./bcrypt-worker.mjs', import.meta.url));
    this.workers++;
    worker.on('message', (m: { result?: unknown; error?: string }) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      worker.unref();
      this.idle.push(worker);
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
      this.workers--;
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

/**
 * Every core on Linux, where the workers run at nice 19: the event loop takes a core whenever it needs one and
 * hashing gets the rest (a sign-in burst may then use the whole machine). Elsewhere the workers keep normal
 * priority, so one core is left to the event loop.
 */
export const defaultBcryptConcurrency = () => (process.platform === 'linux' ? availableParallelism() : Math.max(1, availableParallelism() - 1));
const hashing = new HashPool(defaultBcryptConcurrency());

/** How many bcrypt hashes/compares may run at once in this process (BCRYPT_CONCURRENCY). */
export function setBcryptConcurrency(limit: number | undefined) {
  hashing.limit = Math.max(1, limit ?? defaultBcryptConcurrency());
}

/** What the pool has been asked to do (counts since start; the hash of the latest compare). */
export const passwordWork = (): Readonly<HashPool['done']> => ({ ...hashing.done });

export const hashPassword = (password: string, cost: number) => hashing.run<string>('hash', password, cost);
// Unknown accounts compare against dummyHash() through this same pool, so both cases take the same time.
export const verifyPassword = (password: string, hash: string) => hashing.run<boolean>('compare', password, hash);

/** A hash to compare against when the account does not exist, so timing does not reveal it. */
export function dummyHash(cost: number): Promise<string> {
  return hashPassword(randomBytes(16).toString('hex'), cost);
}

/** An opaque bearer token (32 random bytes, base64url) and the SHA-256 hash that is stored in its place. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
