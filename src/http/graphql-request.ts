// What the /graphql HTTP endpoint checks and settles before yoga sees a request: requests refused outright (GET
// parameters that are not JSON, body size, chunked bodies, the content-type CSRF rule), and the request's id. File
// uploads (the GraphQL multipart request spec) are the one POST that is not JSON: see MULTIPART.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { json } from './json.ts';

/** Why a request is refused: the HTTP status, the stable `extensions.code`, and the message the client gets. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** A finer stable code, sent as `extensions.reason` (FILE_TOO_LARGE). */
  reason?: string;
}

/** The parts of a request the checks read. */
export type RequestHead = Pick<IncomingMessage, 'method' | 'url' | 'headers'>;

/** POST bodies GraphQL runs: JSON in one of its media types, which a browser sends cross-site only after a preflight. */
const JSON_TYPES = /^application\/(json|graphql-response\+json|graphql\+json)$/;
/**
 * File uploads. A cross-site HTML form can POST multipart/form-data without a preflight, so the session cookie counts
 * on such a request only with a header a form cannot send (auth/credentials.ts); a bearer token is never sent by a
 * browser on its own.
 */
const MULTIPART = 'multipart/form-data';
/** What a multipart body may hold besides the file: the operation, the map, part headers and boundaries. */
export const MULTIPART_ALLOWANCE_BYTES = 64 * 1024;

/** The media type of a Content-Type value (no parameters, lower case). */
export const mediaTypeOf = (contentType: string | null | undefined) =>
  String(contentType ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();

export const isMultipart = (contentType: string | null | undefined) => mediaTypeOf(contentType) === MULTIPART;

/**
 * Limits applied before GraphQL sees a request: GET parameters that are not JSON, body size, and CSRF prevention. A
 * browser can send a "simple" cross-site request (form or text/plain POST) without a CORS preflight; such requests
 * are refused, so every POST that runs is either JSON (preflighted), a file upload (whose cookie needs a header no
 * form can send, see MULTIPART), or sent by a non-browser client. Uploads are taken only when `maxUploadBytes` is
 * given, with a body of at most that plus MULTIPART_ALLOWANCE_BYTES, and only from a request that carries a
 * credential (see carriesUploadCredential).
 */
export function refuseRequest(req: RequestHead, maxBytes: number, maxUploadBytes?: number): Refusal | null {
  if (req.method === 'GET') return refuseGetParameters(req);
  if (req.method !== 'POST') return null;
  const contentType = String(req.headers['content-type'] ?? '');
  const upload = maxUploadBytes !== undefined && isMultipart(contentType);
  if (upload && !carriesUploadCredential(req)) {
    return {
      status: 401,
      code: 'UNAUTHENTICATED',
      message: 'Sign in to upload files: send a bearer token, or the session cookie with x-client-id.',
    };
  }
  const length = Number(req.headers['content-length'] ?? NaN);
  if (Number.isNaN(length)) {
    // A chunked body's size is known only once read: refused up front so the body limit holds without reading it.
    if (req.headers['transfer-encoding']) {
      return { status: 411, code: 'BAD_USER_INPUT', message: 'Send a Content-Length header (chunked bodies are not accepted).' };
    }
  } else if (upload && length > maxUploadBytes + MULTIPART_ALLOWANCE_BYTES) {
    return { status: 413, code: 'BAD_USER_INPUT', reason: 'FILE_TOO_LARGE', message: `A file is at most ${maxUploadBytes} bytes.` };
  } else if (!upload && length > maxBytes) {
    return { status: 413, code: 'BAD_USER_INPUT', message: `Request body is larger than ${maxBytes} bytes.` };
  }
  if (upload) {
    if (!/;\s*boundary=/i.test(contentType)) return { status: 400, code: 'BAD_USER_INPUT', message: 'A multipart body needs a boundary.' };
    return null;
  }
  if (!JSON_TYPES.test(mediaTypeOf(contentType))) {
    const message =
      maxUploadBytes === undefined
        ? 'POST bodies must be application/json.'
        : 'POST bodies must be application/json, or multipart/form-data for file uploads.';
    return { status: 415, code: 'BAD_USER_INPUT', message };
  }
  return null;
}

/**
 * Whether a multipart request presents something that could sign it in: a bearer token, or a cookie with a header no
 * HTML form can send (the rule auth/credentials.ts applies to the cookie). Only uploads take the larger body limit,
 * and only a signed-in user may upload, so a request without either is refused before its body is read rather than
 * after MAX_UPLOAD_BYTES of it were buffered. Whether the credential is valid is still checked once yoga runs.
 */
function carriesUploadCredential({ headers }: RequestHead): boolean {
  if (/^Bearer\s+\S+\s*$/i.test(String(headers.authorization ?? ''))) return true;
  return !!headers.cookie && (headers['x-client-id'] !== undefined || headers['apollo-require-preflight'] !== undefined);
}

/** yoga parses GET's `variables` and `extensions` with a bare JSON.parse, so bad JSON would surface as a 500. */
function refuseGetParameters(req: RequestHead): Refusal | null {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  for (const name of ['variables', 'extensions']) {
    const value = params.get(name);
    if (!value) continue;
    try {
      JSON.parse(value);
    } catch {
      return { status: 400, code: 'BAD_USER_INPUT', message: `The ${name} parameter is not valid JSON.` };
    }
  }
  return null;
}

/** Answers a refused request as GraphQL over HTTP answers an error: `{ errors: [{ message, extensions: { code } }] }`. */
export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const extensions = { code: refusal.code, ...(refusal.reason ? { reason: refusal.reason } : {}) };
  json(res, refusal.status, { errors: [{ message: refusal.message, extensions }] });
}

/** The caller's X-Request-Id when it is a plausible id (so logs stay clean), else a new one. */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
}
