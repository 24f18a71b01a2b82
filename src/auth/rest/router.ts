// better-auth compatible REST under /api/auth: routing, tenant (X-Client-ID), CORS for CORS_ORIGINS, the origin
// check that makes cookie-authenticated POSTs safe from CSRF, and error responses shaped as better-auth shapes them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../services.ts';
import { AppError, ErrorCode, isUnavailable } from '../../errors.ts';
import { clientIp } from '../../http/client-ip.ts';
import { refuseNul } from '../../text-rules.ts';
import type { Authenticated } from '../authenticator.ts';
import { restCredential, viewerFor } from '../credentials.ts';
import { trustedRequestOrigin } from '../trusted.ts';
import { RestError, readBody, toRestError, unauthorized, type Route, type RouteContext, type RouteResult } from './http.ts';
import { sessionRoutes } from './session-routes.ts';
import { accountRoutes } from './account-routes.ts';
import { tokenRoutes } from './token-routes.ts';

export const AUTH_BASE_PATH = '/api/auth';

export function createAuthRouter(services: Services) {
  const { config, logger } = services;
  const routes: Route[] = [...sessionRoutes, ...accountRoutes, ...tokenRoutes];

  const match = (method: string, path: string): { route: Route; params: Record<string, string> } | null => {
    for (const route of routes) {
      if (route.method !== method) continue;
      const [prefix, param] = route.path.split('/:');
      if (!param && route.path === path) return { route, params: {} };
      if (param && path.startsWith(prefix + '/')) {
        const value = path.slice(prefix.length + 1);
        if (value && !value.includes('/')) return { route, params: { [param]: decodeParam(value) } };
      }
    }
    return null;
  };

  const trustedFrom = (req: IncomingMessage, origin: string) => trustedRequestOrigin(services, origin, header(req, 'sec-fetch-site'));

  function checkOrigin(req: IncomingMessage) {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const origin = req.headers.origin ?? refererOrigin(req.headers.referer);
    // As better-auth: a request carrying cookies must name a trusted origin; any request that names an origin
    // (a browser's) must name a trusted one. Non-browser clients without cookies pass.
    if (req.headers.cookie && (!origin || origin === 'null')) throw new RestError(403, 'MISSING_OR_NULL_ORIGIN', 'Missing or null Origin');
    if (origin && !trustedFrom(req, origin)) throw new RestError(403, 'INVALID_ORIGIN', 'Invalid origin');
  }

  function cors(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (!origin || !services.trustedOrigins.isListed(origin)) return false;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
    return true;
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const sub = path.slice(AUTH_BASE_PATH.length) || '/';
    const allowedCors = cors(req, res);
    if (req.method === 'OPTIONS' && allowedCors) {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type, authorization, x-client-id',
        'access-control-max-age': '600',
      });
      return void res.end();
    }
    const found = match(req.method ?? 'GET', sub);
    if (!found) {
      res.writeHead(404);
      return void res.end();
    }
    try {
      checkOrigin(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const tenant = await services.tenants.resolve(header(req, 'x-client-id'), config.REQUIRE_CLIENT_ID);
      const body = req.method === 'POST' ? refuseNul(await readBody(req, config.MAX_BODY_BYTES, !!found.route.form)) : {};
      // A bearer token, else the cookie unless an untrusted page sent the request (see auth/credentials.ts).
      const credential = restCredential(services, (name) => header(req, name));
      let resolved: Promise<Authenticated | null> | undefined;
      const viewer = () => (resolved ??= viewerFor(services.auth, tenant.id, credential));
      const ctx: RouteContext = {
        req,
        url,
        services,
        tenant,
        client: { tenantId: tenant.id, ip: clientIp(req, config.TRUST_PROXY), userAgent: header(req, 'user-agent') },
        body,
        params: found.params,
        viewer,
        requireViewer: async () => {
          const v = await viewer();
          if (!v) throw unauthorized();
          return v;
        },
        cookieHeader: credential.cookie,
      };
      send(res, await found.route.handler(ctx));
    } catch (err) {
      let rest: RestError;
      if (err instanceof RestError) rest = err;
      else if (err instanceof AppError)
        rest = err.code === 'TENANT_NOT_FOUND' ? new RestError(400, err.code, err.message) : toRestError(err, found.route.errors);
      else if (isUnavailable(err)) {
        logger.warn('auth route: backing service unavailable', { route: found.route.path, error: (err as Error).message });
        rest = new RestError(503, 'SERVICE_UNAVAILABLE', ErrorCode.SERVICE_UNAVAILABLE.message, { 'retry-after': '1' });
      } else {
        // The route's pattern, not the path: a path may hold a live reset token.
        logger.error('unexpected error in auth route', { route: found.route.path, error: err });
        res.writeHead(500);
        return void res.end();
      }
      send(res, {
        status: rest.status,
        headers: rest.headers,
        body: rest.code ? { message: rest.message, code: rest.code } : { message: rest.message },
      });
    }
  };
}

/**
 * A percent-decoded path parameter. A malformed escape ("%E0") is kept as sent, so the route answers it as any wrong
 * value (an invalid token: no token Parley issues contains "%").
 */
function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

function send(res: ServerResponse, result: RouteResult) {
  const headers: Record<string, string | string[]> = { 'cache-control': 'no-store', ...result.headers };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  if (result.body !== undefined) headers['content-type'] = 'application/json';
  res.writeHead(result.status ?? 200, headers);
  res.end(result.body === undefined ? undefined : JSON.stringify(result.body));
}
