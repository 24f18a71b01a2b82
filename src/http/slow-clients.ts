// Slow clients (slow-loris): headers and body must arrive in time, else node:http answers 408 and closes; an idle
// kept-alive socket closes after its own timeout.
import type { ServerOptions } from 'node:http';

/** The configuration's HTTP_*_TIMEOUT_MS (config.ts). */
export interface HttpTimeouts {
  HTTP_HEADERS_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number;
}

/** createServer() options enforcing the timeouts. */
export function slowClientLimits(t: HttpTimeouts): ServerOptions {
  return {
    headersTimeout: t.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: t.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: t.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    // node:http checks the header and body deadlines every connectionsCheckingInterval, so the interval follows the
    // shortest of them (a quarter of it, between 50 ms and node's default 30 s).
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(t.HTTP_HEADERS_TIMEOUT_MS / 4))),
  };
}
