// Input rules for accounts, shared by GraphQL and REST: one place decides what a valid email, password,
// username and phone number are, and the messages users see.
import { randomBytes, createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';
import { badInput } from '../errors.ts';

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
  const name = raw.trim();
  if (name.length < 1 || name.length > 100) throw badInput('Name must be 1 to 100 characters.', 'name');
  return name;
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
 * At most `limit` bcrypt operations at once, the rest wait in arrival order. bcrypt runs on libuv's thread pool
 * (4 threads): left alone, a burst of sign-ins keeps every core hashing and the event loop waits for CPU, so every
 * other request slows down. One core is left to the event loop when there is more than one.
 */
class HashQueue {
  private running = 0;
  private waiting: (() => void)[] = [];
  constructor(public limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next in line, so a newcomer cannot overtake the queue.
      if (next) next();
      else this.running--;
    }
  }
}

export const defaultBcryptConcurrency = () => Math.max(1, availableParallelism() - 1);
const hashing = new HashQueue(defaultBcryptConcurrency());

/** How many bcrypt hashes/compares may run at once in this process (BCRYPT_CONCURRENCY). */
export function setBcryptConcurrency(limit: number | undefined) {
  hashing.limit = Math.max(1, limit ?? defaultBcryptConcurrency());
}

export const hashPassword = (password: string, cost: number) => hashing.run(() => bcrypt.hash(password, cost));
// Unknown accounts compare against dummyHash() through this same queue, so both cases take the same time.
export const verifyPassword = (password: string, hash: string) => hashing.run(() => bcrypt.compare(password, hash));

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
