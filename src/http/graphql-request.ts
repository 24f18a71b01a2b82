// What the /graphql HTTP endpoint checks and settles before yoga sees a request: requests refused outright (GET
// parameters that are not JSON, body size, chunked bodies, the content-type CSRF rule), and the request's id.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { json } from './json.ts';

/** Why a request is refused: the HTTP status, the stable `extensions.code`, and the message the client gets. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** The parts of a request the checks read. */
export type RequestHead = Pick<IncomingMessage, 'method' | 'url' | 'headers'>;

/** POST bodies GraphQL runs: JSON in one of its media types, which a browser sends cross-site only after a preflight. */
const JSON_TYPES = /^application\/(json|graphql-response\+json|graphql\+json)$/;

/**
 * Limits applied before GraphQL sees a request: GET parameters that are not JSON, body size, and CSRF prevention. A
 * browser can send a "simple" cross-site request (form or text/plain POST) without a CORS preflight; such requests
 * are refused, so every POST that runs is either JSON (preflighted) or sent by a non-browser client.
 */
export function refuseRequest(req: RequestHead, maxBytes: number): Refusal | null {
  if (req.method === 'GET') return refuseGetParameters(req);
  if (req.method !== 'POST') return null;
  const length = Number(req.headers['content-length'] ?? NaN);
  if (Number.isNaN(length)) {
    // A chunked body's size is known only once read: refused up front so the body limit holds without reading it.
    if (req.headers['transfer-encoding']) {
      return { status: 411, code: 'BAD_USER_INPUT', message: 'Send a Content-Length header (chunked bodies are not accepted).' };
    }
  } else if (length > maxBytes) {
    return { status: 413, code: 'BAD_USER_INPUT', message: `Request body is larger than ${maxBytes} bytes.` };
  }
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (!JSON_TYPES.test(type)) return { status: 415, code: 'BAD_USER_INPUT', message: 'POST bodies must be application/json.' };
  return null;
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
  json(res, refusal.status, { errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
}

/** The caller's X-Request-Id when it is a plausible id (so logs stay clean), else a new one. */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
}
