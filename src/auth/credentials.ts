// Where each transport carries its credential, and the viewer it stands for: GraphQL over HTTP and SSE, the REST
// routes under /api/auth and the WebSocket server all read a request's credential here and turn it into a viewer
// through the Authenticator (./authenticator.ts). A bearer token (`Authorization: Bearer <token>`) always wins; the
// session cookie counts only where the transport's rule against cross-site requests lets it; a WebSocket never
// uses cookies (a browser sends them on cross-site upgrades) and carries its credential in connectionParams.
import type { Services } from '../services.ts';
import type { Authenticated, Authenticator } from './authenticator.ts';
import { trustedRequestOrigin } from './trusted.ts';
import { isMultipart } from '../http/graphql-request.ts';

/** What a request presents: a bearer token, else (when its transport allows) the Cookie header. */
export interface Credential {
  bearer: string | null;
  cookie: string | null;
}

/** One of a request's headers, however its transport holds them; null when absent. */
export type HeaderOf = (name: string) => string | null;

/** The token of an `Authorization: Bearer <token>` value, or null for anything else. */
export function bearerToken(authorization: string | null | undefined): string | null {
  if (!authorization) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? m[1] : null;
}

/**
 * Whether a page on an untrusted origin sent the request: it names an Origin that is neither Parley's own nor in
 * CORS_ORIGINS. Such a request runs signed out, whatever its method, on GraphQL and REST alike.
 */
function fromUntrustedPage(services: Services, header: HeaderOf): boolean {
  const origin = header('origin');
  return origin !== null && !trustedRequestOrigin(services, origin, header('sec-fetch-site'));
}

/**
 * GraphQL over HTTP (and SSE). CSRF: the better-auth session cookie is honoured only on requests a browser cannot send
 * cross-site without a CORS preflight (which only CORS_ORIGINS pass). Every POST that reaches GraphQL is JSON or a file
 * upload (app.ts refuses form-encoded and text bodies); JSON POSTs qualify. A GET (query string, or EventSource for
 * SSE) and a multipart upload (an HTML form can send one) can be "simple" cross-site requests, so there the cookie
 * counts only with a header no simple request can carry: `x-client-id` or `apollo-require-preflight`. Otherwise the
 * request runs as a guest. Bearer tokens are never sent automatically, so they need no such rule.
 */
export function graphqlCredential(services: Services, method: string, header: HeaderOf): Credential {
  const bearer = bearerToken(header('authorization'));
  if (bearer) return { bearer, cookie: null };
  const preflighted = method === 'POST' && !isMultipart(header('content-type'));
  const allowed =
    !fromUntrustedPage(services, header) && (preflighted || header('x-client-id') !== null || header('apollo-require-preflight') !== null);
  return { bearer: null, cookie: allowed ? header('cookie') : null };
}

/**
 * The REST routes: the cookie unless a page on an untrusted origin sent the request. (State-changing routes also
 * refuse a cookie-carrying request without a trusted Origin outright: the router's origin check, as better-auth does.)
 */
export function restCredential(services: Services, header: HeaderOf): Credential {
  const bearer = bearerToken(header('authorization'));
  if (bearer) return { bearer, cookie: null };
  return { bearer: null, cookie: fromUntrustedPage(services, header) ? null : header('cookie') };
}

/**
 * A WebSocket's connection_init: `{ clientId, authorization }` as Parley documents them, or nested in `headers` with
 * any capitalisation (GraphiQL and Apollo Sandbox put HTTP-style headers there). Never a cookie.
 */
export function socketCredential(params: Record<string, unknown> | undefined): { clientId: string | null; credential: Credential } {
  return {
    clientId: connectionParam(params, 'clientId', 'x-client-id'),
    credential: { bearer: bearerToken(connectionParam(params, 'authorization')), cookie: null },
  };
}

/**
 * The session a credential stands for in this tenant; null when it presents none, or one that is not valid (never
 * throws for a bad credential: each transport decides whether that means a guest or a refusal).
 */
export function viewerFor(auth: Authenticator, tenantId: string, credential: Credential): Promise<Authenticated | null> {
  if (credential.bearer) return auth.fromBearer(tenantId, credential.bearer);
  if (credential.cookie) return auth.fromCookie(tenantId, credential.cookie);
  return Promise.resolve(null);
}

function connectionParam(params: Record<string, unknown> | undefined, ...names: string[]): string | null {
  const sources = [params ?? {}, (params?.headers ?? {}) as Record<string, unknown>];
  for (const source of sources) {
    if (typeof source !== 'object' || source === null) continue;
    for (const [key, value] of Object.entries(source)) {
      if (typeof value === 'string' && names.some((n) => n.toLowerCase() === key.toLowerCase())) return value;
    }
  }
  return null;
}
