// Request/response plumbing for the better-auth compatible REST routes: body parsing with better-auth's error
// shapes (`{ message, code }` and its status codes), and the route handler types.
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import type { Tenant } from '../../generated/prisma/client.ts';
import type { RequestInfo } from '../../accounts/accounts.types.ts';
import type { Authenticated } from '../authenticator.ts';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES } from '../../accounts/credentials.ts';
import { trustedRedirect } from '../trusted.ts';

/** An error with better-auth's status and body: `{ message, code }` (code omitted when null, as better-auth does). */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const unauthorized = () => new RestError(401, 'UNAUTHORIZED', 'Unauthorized');

export interface RouteResult {
  status?: number;
  /** JSON body; undefined sends an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
  cookies?: string[];
}

export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  services: Services;
  tenant: Tenant;
  client: RequestInfo;
  body: Record<string, unknown>;
  /** Path parameters (e.g. the token in /reset-password/:token). */
  params: Record<string, string>;
  /** The session making the request (bearer first, else cookie), resolved on first use. */
  viewer(): Promise<Authenticated | null>;
  /** Like viewer(), but 401 UNAUTHORIZED when signed out. */
  requireViewer(): Promise<Authenticated>;
  cookieHeader: string | null;
}

export type Handler = (ctx: RouteContext) => Promise<RouteResult>;

export interface Route {
  method: 'GET' | 'POST';
  /** Exact path under /api/auth, with at most one `:param` segment. */
  path: string;
  /** Accepts application/x-www-form-urlencoded bodies too (sign-in and sign-up, as better-auth does). */
  form?: boolean;
  /** Service error `reason`s (or `field:<name>`) mapped to this route's better-auth [status, code, message?]. */
  errors?: Record<string, [number, string, string?]>;
  handler: Handler;
}

/** Reads and parses the body: JSON (or form for some routes); better-auth's 400/415 errors otherwise. */
export async function readBody(req: IncomingMessage, maxBytes: number, form: boolean): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new RestError(413, 'PAYLOAD_TOO_LARGE', `Request body is larger than ${maxBytes} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (!text.trim()) return {};
  if (type === 'application/json' || (!type && text)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RestError(400, 'BAD_REQUEST', 'Invalid JSON in request body');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new RestError(400, 'BODY_MUST_BE_AN_OBJECT', 'Body must be an object');
    return parsed as Record<string, unknown>;
  }
  if (form && type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  const allowed = form ? 'application/json, application/x-www-form-urlencoded' : 'application/json';
  throw new RestError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type "${type}" is not allowed. Allowed types: ${allowed}`);
}

/** A string field of the body, or better-auth's VALIDATION_ERROR naming it. */
export function str(body: Record<string, unknown>, field: string, opts: { optional?: boolean; where?: 'body' | 'query' } = {}): string {
  const v = body[field];
  if (typeof v === 'string') return v;
  if (v === undefined && opts.optional) return '';
  const got = v === undefined ? 'undefined' : v === null ? 'null' : typeof v;
  throw new RestError(400, 'VALIDATION_ERROR', `[${opts.where ?? 'body'}.${field}] Invalid input: expected string, received ${got}`);
}

/**
 * Service errors in better-auth's vocabulary. `reasons` maps a field (or a `reason` detail) to the code a
 * better-auth client expects for this route.
 */
export function toRestError(err: AppError, reasons: Record<string, [number, string, string?]> = {}): RestError {
  const ext = err.details as { field?: string; reason?: string; retryAfter?: number };
  if (err.code === 'RATE_LIMITED') {
    const s = String(ext.retryAfter ?? 60);
    return new RestError(429, null, 'Too many requests. Please try again later.', { 'retry-after': s, 'x-retry-after': s });
  }
  const mapped = (ext.reason && reasons[ext.reason]) || (ext.field && reasons[`field:${ext.field}`]);
  if (mapped) return new RestError(mapped[0], mapped[1], mapped[2] ?? err.message);
  if (ext.reason) return new RestError(err.status, ext.reason, err.message);
  if (err.code === 'UNAUTHENTICATED') return unauthorized();
  if (err.code === 'BAD_USER_INPUT')
    return new RestError(400, 'VALIDATION_ERROR', ext.field ? `[body.${ext.field}] ${err.message}` : err.message);
  return new RestError(err.status, err.code, err.message);
}

const REDIRECT_CODES = { callbackURL: 'INVALID_CALLBACK_URL', redirectURL: 'INVALID_REDIRECT_URL' } as const;

/**
 * A redirect target from a request (body or query) as trustedRedirect resolved it (send that, never the raw value);
 * null when absent. Refused as better-auth refuses it: 403 INVALID_CALLBACK_URL / INVALID_REDIRECT_URL (`label` names
 * which). Call it before anything the request changes, so a refused target leaves no session or mail behind.
 */
export function redirectParam(services: Services, value: unknown, label: keyof typeof REDIRECT_CODES): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new RestError(400, 'BAD_REQUEST', `Invalid ${label}: expected a string`);
  try {
    return trustedRedirect(services, value, label);
  } catch (err) {
    if (err instanceof AppError) throw new RestError(403, REDIRECT_CODES[label], `Invalid ${label}`);
    throw err;
  }
}

/** better-auth's password length errors, checked before the service so the codes match. */
export function checkPasswordLength(password: string) {
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes < PASSWORD_MIN_BYTES) throw new RestError(400, 'PASSWORD_TOO_SHORT', 'Password too short');
  if (bytes > PASSWORD_MAX_BYTES) throw new RestError(400, 'PASSWORD_TOO_LONG', 'Password too long');
}
