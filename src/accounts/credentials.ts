// Input rules for accounts, shared by GraphQL and REST: one place decides what a valid email, password,
// username and phone number are, and the messages users see; and the opaque session tokens. (Passwords are hashed by
// the app's PasswordHasher, password-hasher.ts.)
import { randomBytes, createHash } from 'node:crypto';
import { AppError, badInput } from '../errors.ts';
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
  if (RESERVED_USERNAMES.has(username)) throw new AppError('CONFLICT', 'This username is taken.', { field: 'username' });
  return username;
}

/** Usernames no person may take: `assistant` is each tenant's AI assistant (mentioned as @assistant). */
export const RESERVED_USERNAMES = new Set(['assistant']);

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

/** An opaque bearer token (32 random bytes, base64url) and the SHA-256 hash that is stored in its place. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
